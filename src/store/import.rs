//! Imports: one identity, a PKCS#12 bundle, or a batch in one transaction.
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// Imports a PKCS#12 bundle holding one private key into `mailbox`,
    /// with [`ImportOptions::default`]; see [`Store::import_identity`]. A
    /// bundle with several (a signing and an encryption pair) is
    /// [`crate::BundleError::SeveralKeys`]: import it, or import with
    /// options, with [`Store::import_pkcs12_all`].
    pub fn import_pkcs12(
        &self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
    ) -> Result<Imported> {
        let options = ImportOptions::default();
        // The domain rule first: a disabled domain costs no PKCS#12 work.
        self.read(|tx, keys| allowed(tx, keys, mailbox).map(|_| ()))?;
        let identity = crate::pkcs12::import(bundle, password, &options.limits)?;
        self.import_identity(mailbox, &identity, options)
    }

    /// Imports every identity of a PKCS#12 bundle into `mailbox` (e.g. the
    /// signing and the encryption pair of RFC 9216's samples and of many
    /// enterprise exports; see [`crate::pkcs12::import_all`]): each pair
    /// takes one of the mailbox's [`MAX_CERTS_PER_MAILBOX`] slots, and the
    /// whole bundle is one transaction, all pairs or none. When the bundle
    /// needs more slots than are free the import is
    /// [`Error::MailboxFull`] and nothing of it is stored; a pair the
    /// mailbox already holds takes no second slot (`added: false`). The
    /// rules of [`Store::import_identity`] hold for every pair (domain,
    /// address). Returns one [`Imported`] per identity, in bundle order.
    /// This is also the form with [`ImportOptions`] for a one-key bundle.
    ///
    /// Which pair is used for what is then decided by key usage, as for
    /// any certificates of a mailbox: [`Store::default_signer`] picks one
    /// that can sign, [`Store::encryption_certificate`] one that can be
    /// encrypted to, and [`Store::identities`] offers every key to
    /// [`crate::decrypt`].
    ///
    /// ```
    /// use smime::{ImportOptions, Mailbox, Password, Store};
    /// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/interop/rfc9216-alice.p12"))?;
    /// let alice: Mailbox = "alice@smime.example".parse()?;
    /// let store = Store::in_memory()?;
    /// let imported = store.import_pkcs12_all(&alice, &p12, &Password::new("alice"), ImportOptions::default())?;
    /// assert_eq!(imported.len(), 2);
    /// let signer = store.default_signer(&alice)?;
    /// let encryption = store.encryption_certificate(&alice)?;
    /// assert!(signer.certificate().can_sign() && encryption.can_decrypt());
    /// assert_ne!(signer.certificate(), &encryption);
    /// # Ok::<(), smime::Error>(())
    /// ```
    pub fn import_pkcs12_all(
        &self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
        options: ImportOptions,
    ) -> Result<Vec<Imported>> {
        // The domain rule first: a disabled domain costs no PKCS#12 work.
        self.read(|tx, keys| allowed(tx, keys, mailbox).map(|_| ()))?;
        let bundle = crate::pkcs12::import_all(bundle, password, &options.limits)?;
        let batch: Vec<(&Mailbox, &Identity)> =
            bundle.identities.iter().map(|i| (mailbox, i)).collect();
        self.import_identities(&batch, options)
    }

    /// Adds an identity to `mailbox`.
    ///
    /// Refused with [`Error::DomainNotEnabled`] when the mailbox's domain
    /// may not use S/MIME, with [`Error::AddressMismatch`] when the
    /// certificate does not name the mailbox (unless `options` allow it)
    /// and with [`Error::MailboxFull`] when the mailbox already holds
    /// [`MAX_CERTS_PER_MAILBOX`] certificates. Importing a certificate the
    /// mailbox already holds changes nothing and reports `added: false`.
    pub fn import_identity(
        &self,
        mailbox: &Mailbox,
        identity: &Identity,
        options: ImportOptions,
    ) -> Result<Imported> {
        let cert = identity.certificate();
        options.check(mailbox, cert)?;
        let fingerprint = cert.fingerprint();
        let pkcs8 = identity.private_key().to_pkcs8_der()?;
        let chain: Vec<Vec<u8>> = identity
            .chain()
            .iter()
            .map(|c| c.to_der().to_vec())
            .collect();
        let facts = CertFacts::of(cert, mailbox);
        let imported_at = backend::unix_seconds(SystemTime::now());
        let added = self.write(|tx, keys| {
            allowed(tx, keys, mailbox)?;
            tx.lock(Lock::Mailbox(mailbox))?;
            let heads = tx.heads(mailbox)?;
            if heads.iter().any(|r| r.fingerprint == fingerprint) {
                return Ok(false);
            }
            if heads.len() >= MAX_CERTS_PER_MAILBOX {
                return Err(Error::MailboxFull {
                    mailbox: mailbox.clone(),
                    max: MAX_CERTS_PER_MAILBOX,
                });
            }
            let settings = tx.settings(mailbox)?;
            let mut record = Record {
                fingerprint,
                certificate: cert.to_der().to_vec(),
                chain: chain.clone(),
                sealed_key: keys.kek.seal(&pkcs8, &key_aad(mailbox, &fingerprint))?,
                imported_at,
                facts,
                tag: Vec::new(),
                chain_tag: Vec::new(),
            };
            keys.mac.tag_record(mailbox, &mut record)?;
            tx.insert(mailbox, &record)?;
            if settings.is_none() {
                put_settings(tx, keys, mailbox, &Settings::default())?;
            }
            Ok(true)
        })?;
        Ok(Imported {
            certificate: cert.clone(),
            added,
        })
    }

    /// Imports many identities in one transaction (provisioning, moving a
    /// user base from another system): each item obeys the rules of
    /// [`Store::import_identity`], and the first refusal refuses the whole
    /// batch, leaving the store as it was. Returns one [`Imported`] per
    /// item, in order. Much faster than one transaction per identity (one
    /// commit, one fsync), but holds the write lock for the whole batch:
    /// keep batches to a few thousand items on a store that serves users.
    pub fn import_identities(
        &self,
        batch: &[(&Mailbox, &Identity)],
        options: ImportOptions,
    ) -> Result<Vec<Imported>> {
        struct Prepared<'a> {
            mailbox: &'a Mailbox,
            identity: &'a Identity,
            record: Record,
            index: usize,
        }
        let mut prepared = Vec::with_capacity(batch.len());
        for (index, (mailbox, identity)) in batch.iter().enumerate() {
            let cert = identity.certificate();
            options.check(mailbox, cert)?;
            prepared.push(Prepared {
                mailbox,
                identity,
                record: Record {
                    fingerprint: cert.fingerprint(),
                    certificate: cert.to_der().to_vec(),
                    chain: identity
                        .chain()
                        .iter()
                        .map(|c| c.to_der().to_vec())
                        .collect(),
                    sealed_key: Vec::new(),
                    imported_at: backend::unix_seconds(SystemTime::now()),
                    facts: CertFacts::of(cert, mailbox),
                    tag: Vec::new(),
                    chain_tag: Vec::new(),
                },
                index,
            });
        }
        // Locks are taken in one order (by mailbox) so that concurrent
        // batches cannot deadlock.
        prepared.sort_by(|a, b| a.mailbox.canonical().cmp(b.mailbox.canonical()));
        let added = self.write(|tx, keys| {
            let mut added = vec![false; batch.len()];
            // One PKCS#8 encoding per distinct identity (OpenSSL 3's
            // encoder is slow), zeroized when the batch ends.
            let mut encoded: std::collections::HashMap<Fingerprint, zeroize::Zeroizing<Vec<u8>>> =
                Default::default();
            let mut policies: std::collections::HashMap<&str, ()> = Default::default();
            for item in &prepared {
                let (mailbox, identity) = (item.mailbox, item.identity);
                if policies.insert(domain_of(mailbox), ()).is_none() {
                    allowed(tx, keys, mailbox)?;
                }
                tx.lock(Lock::Mailbox(mailbox))?;
                let heads = tx.heads(mailbox)?;
                if heads
                    .iter()
                    .any(|r| r.fingerprint == item.record.fingerprint)
                {
                    continue;
                }
                if heads.len() >= MAX_CERTS_PER_MAILBOX {
                    return Err(Error::MailboxFull {
                        mailbox: mailbox.clone(),
                        max: MAX_CERTS_PER_MAILBOX,
                    });
                }
                let settings = tx.settings(mailbox)?;
                let mut record = item.record.clone();
                let pkcs8 = match encoded.entry(record.fingerprint) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(identity.private_key().to_pkcs8_der()?)
                    }
                };
                record.sealed_key = keys
                    .kek
                    .seal(pkcs8, &key_aad(mailbox, &record.fingerprint))?;
                keys.mac.tag_record(mailbox, &mut record)?;
                tx.insert(mailbox, &record)?;
                if settings.is_none() {
                    put_settings(tx, keys, mailbox, &Settings::default())?;
                }
                if let Some(slot) = added.get_mut(item.index) {
                    *slot = true;
                }
            }
            Ok(added)
        })?;
        Ok(batch
            .iter()
            .zip(added)
            .map(|((_, identity), added)| Imported {
                certificate: identity.certificate().clone(),
                added,
            })
            .collect())
    }
}
