//! What a mailbox hands to its correspondents: its certificates, each with
//! the CA certificates of its chain, for a certs-only message (RFC 8551
//! §3.6.2, [`crate::certs_only`]) or a PKCS#7 bundle
//! ([`crate::certs_only_der`]).
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// The mailbox's certificates (every identity, in [`Store::list`]
    /// order) and the CA certificates of their chains, each once: what a
    /// correspondent needs to encrypt to the mailbox and check its
    /// signatures. Empty when the mailbox holds none. No private key is
    /// read or unsealed.
    ///
    /// ```
    /// use smime::{Mailbox, Password, Store};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
    /// let store = Store::in_memory()?;
    /// let alice: Mailbox = "alice@example.org".parse()?;
    /// store.import_pkcs12(&alice, &std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"))?;
    /// let certs = store.certificates_to_share(&alice)?;
    /// assert_eq!(certs.len(), 3); // alice's, the intermediate, the root
    /// let message = smime::certs_only(&certs)?;
    /// assert_eq!(smime::read_certs_only(&message, &smime::Limits::default())?.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn certificates_to_share(&self, mailbox: &Mailbox) -> Result<Vec<Certificate>> {
        let mut certs: Vec<Certificate> = Vec::new();
        for stored in self.list(mailbox)? {
            for cert in std::iter::once(stored.certificate).chain(stored.chain) {
                if !certs.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                    certs.push(cert);
                }
            }
        }
        Ok(certs)
    }
}
