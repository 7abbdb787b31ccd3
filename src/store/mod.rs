//! [`Store`]: per-mailbox certificate store with private keys sealed at rest.
//!
//! A mailbox (an e-mail address, [`Mailbox`]) holds at most
//! [`MAX_CERTS_PER_MAILBOX`] end-entity certificates with their private
//! keys; the CA certificates that came with each one are kept as its chain
//! and do not count. Every change is one backend transaction: a refused
//! import (mailbox full, wrong password, corrupt bundle, address mismatch)
//! leaves the store exactly as it was.
//!
//! Two backends: [`Store::open`] (an SQLite file, the default for real use)
//! and [`Store::in_memory`]. Both seal private keys with AES-256-GCM under a
//! key-encryption key; see the `seal` module docs in the source.
#![forbid(unsafe_code)]

mod backend;
mod memory;
mod seal;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
use std::path::Path;
use std::time::SystemTime;

pub use backend::{Backend, RecipientRecord, Record, Settings, Transaction};
pub use memory::MemoryBackend;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteBackend;

use crate::algorithm::ContentEncryption;
use crate::cert::{Certificate, Fingerprint};
use crate::error::{Error, Missing, Result, Unusable};
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::mailbox::Mailbox;
use crate::secret::{Passphrase, Password};
use seal::{Kek, key_aad};

/// The most certificates one mailbox may hold. The 31st import is refused
/// with [`Error::MailboxFull`]; remove one to make room.
///
/// The cap keeps lookups cheap and bounds what an attacker can stuff into a
/// mailbox (certificate flooding).
pub const MAX_CERTS_PER_MAILBOX: usize = 30;

/// How an import treats a certificate that does not name the mailbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Import even when none of the certificate's addresses is the
    /// mailbox's (e.g. a shared mailbox or an alias). Off by default: a
    /// signature made with such a certificate will not match `From`.
    pub allow_address_mismatch: bool,
    /// What a PKCS#12 bundle may ask for (iterations).
    pub limits: Limits,
}

impl ImportOptions {
    /// Options that accept a certificate for another address.
    pub fn allowing_address_mismatch() -> Self {
        ImportOptions {
            allow_address_mismatch: true,
            limits: Limits::default(),
        }
    }

    /// The address rule of [`Store::import_identity`], on its own, so a
    /// caller can refuse an import before touching any store:
    /// [`Error::AddressMismatch`] when `certificate` does not name
    /// `mailbox` and the options do not allow that.
    pub fn check(&self, mailbox: &Mailbox, certificate: &Certificate) -> Result<()> {
        if self.allow_address_mismatch || certificate.names_mailbox(mailbox) {
            return Ok(());
        }
        Err(Error::AddressMismatch {
            mailbox: mailbox.clone(),
            certificate_emails: certificate.email_addresses().to_vec(),
        })
    }
}

/// What an import did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Imported {
    /// The imported end-entity certificate.
    pub certificate: Certificate,
    /// False when the same certificate was already in the mailbox (the
    /// import changed nothing).
    pub added: bool,
}

/// What a verified, trusted signature says about its signer, for
/// [`Store::add_verified_signers`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifiedSigner {
    /// The signer's certificate.
    pub certificate: Certificate,
    /// The content encryptions it announced (SMIMECapabilities), most
    /// preferred first; `None` when not announced.
    pub capabilities: Option<Vec<ContentEncryption>>,
    /// The signature's signingTime: only capabilities from a newer
    /// signature replace those already recorded.
    pub signing_time: Option<std::time::SystemTime>,
}

impl VerifiedSigner {
    /// A signer with what it announced.
    pub fn new(
        certificate: Certificate,
        capabilities: Option<Vec<ContentEncryption>>,
        signing_time: Option<std::time::SystemTime>,
    ) -> Self {
        VerifiedSigner {
            certificate,
            capabilities,
            signing_time,
        }
    }
}

/// A certificate held by a mailbox, without its private key.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct StoredCertificate {
    /// The mailbox holding it.
    pub mailbox: Mailbox,
    /// The end-entity certificate.
    pub certificate: Certificate,
    /// CA certificates that came with it.
    pub chain: Vec<Certificate>,
    /// When it was imported.
    pub imported_at: SystemTime,
}

/// The certificate store.
///
/// ```
/// use smime::{Mailbox, Password, Store};
/// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice.p12"))?;
/// let alice: Mailbox = "alice@example.org".parse()?;
/// let mut store = Store::in_memory()?;
/// let imported = store.import_pkcs12(&alice, &p12, &Password::new("test-password"))?;
/// assert!(imported.added);
/// assert_eq!(store.list(&alice)?.len(), 1);
/// store.set_encrypt_by_default(&alice, true)?;
/// let signer = store.default_signer(&alice)?;
/// assert_eq!(signer.certificate(), &imported.certificate);
/// # Ok::<(), smime::Error>(())
/// ```
pub struct Store {
    backend: Box<dyn Backend>,
    kek: Kek,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// A store that lives in memory only. Keys are still sealed, under a
    /// random key that dies with the store.
    pub fn in_memory() -> Result<Self> {
        Ok(Store {
            backend: Box::new(MemoryBackend::new()),
            kek: Kek::random()?,
        })
    }

    /// Opens (or creates) the SQLite store file at `path` (cargo feature
    /// `sqlite`, on by default); `passphrase`
    /// protects its private keys. A wrong passphrase is
    /// [`Error::WrongPassphrase`] and changes nothing.
    #[cfg(feature = "sqlite")]
    pub fn open(path: impl AsRef<Path>, passphrase: &Passphrase) -> Result<Self> {
        Self::with_backend(Box::new(SqliteBackend::open(path.as_ref())?), passphrase)
    }

    /// A store on any [`Backend`], its keys protected by `passphrase`
    /// (PBKDF2-HMAC-SHA256, 600 000 iterations, salt kept in the backend).
    pub fn with_backend(mut backend: Box<dyn Backend>, passphrase: &Passphrase) -> Result<Self> {
        let kek = seal::unlock(backend.as_mut(), passphrase)?;
        backend.upgrade()?;
        Ok(Store { backend, kek })
    }

    /// Re-encrypts every private key of the store under `new_passphrase`,
    /// in one transaction: on any failure the store keeps the old
    /// passphrase and every key as it was.
    pub fn change_passphrase(&mut self, new_passphrase: &Passphrase) -> Result<()> {
        self.kek = seal::rekey(self.backend.as_mut(), &self.kek, new_passphrase)?;
        Ok(())
    }

    /// Imports a PKCS#12 bundle into `mailbox`; see [`Store::import_identity`].
    pub fn import_pkcs12(
        &mut self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
    ) -> Result<Imported> {
        self.import_pkcs12_with(mailbox, bundle, password, ImportOptions::default())
    }

    /// [`Store::import_pkcs12`] with options.
    pub fn import_pkcs12_with(
        &mut self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
        options: ImportOptions,
    ) -> Result<Imported> {
        let identity = crate::pkcs12::import(bundle, password, &options.limits)?;
        self.import_identity(mailbox, &identity, options)
    }

    /// Adds an identity to `mailbox`.
    ///
    /// Refused with [`Error::AddressMismatch`] when the certificate does not
    /// name the mailbox (unless `options` allow it) and with
    /// [`Error::MailboxFull`] when the mailbox already holds
    /// [`MAX_CERTS_PER_MAILBOX`] certificates. Importing a certificate the
    /// mailbox already holds changes nothing and reports `added: false`.
    pub fn import_identity(
        &mut self,
        mailbox: &Mailbox,
        identity: &Identity,
        options: ImportOptions,
    ) -> Result<Imported> {
        let cert = identity.certificate();
        options.check(mailbox, cert)?;
        let fingerprint = cert.fingerprint();
        let pkcs8 = identity.private_key().to_pkcs8_der()?;
        let record = Record {
            fingerprint,
            certificate: cert.to_der().to_vec(),
            chain: identity
                .chain()
                .iter()
                .map(|c| c.to_der().to_vec())
                .collect(),
            sealed_key: self.kek.seal(&pkcs8, &key_aad(mailbox, &fingerprint))?,
            imported_at: backend::unix_seconds(SystemTime::now()),
        };
        let mut added = false;
        self.backend.write(&mut |tx| {
            let records = tx.records(mailbox)?;
            if records.iter().any(|r| r.fingerprint == fingerprint) {
                return Ok(());
            }
            if records.len() >= MAX_CERTS_PER_MAILBOX {
                return Err(Error::MailboxFull {
                    mailbox: mailbox.clone(),
                    max: MAX_CERTS_PER_MAILBOX,
                });
            }
            tx.insert(mailbox, &record)?;
            added = true;
            Ok(())
        })?;
        Ok(Imported {
            certificate: cert.clone(),
            added,
        })
    }

    /// Mailboxes that hold certificates or settings.
    pub fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        let mut out = Vec::new();
        self.backend.read(&mut |tx| {
            out = tx.mailboxes()?;
            Ok(())
        })?;
        Ok(out)
    }

    /// The certificates of `mailbox`, oldest import first.
    pub fn list(&self, mailbox: &Mailbox) -> Result<Vec<StoredCertificate>> {
        self.records(mailbox)?
            .iter()
            .map(|r| stored(mailbox, r))
            .collect()
    }

    /// One certificate of `mailbox` by fingerprint.
    pub fn get(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<StoredCertificate> {
        stored(mailbox, &self.record(mailbox, fingerprint)?)
    }

    /// The certificate with its private key, unsealed.
    pub fn identity(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Identity> {
        self.unseal(mailbox, &self.record(mailbox, fingerprint)?)
    }

    /// Every identity of `mailbox`, keys unsealed, oldest import first: what
    /// [`crate::decrypt`] needs to open mail sent to the mailbox.
    pub fn identities(&self, mailbox: &Mailbox) -> Result<Vec<Identity>> {
        self.records(mailbox)?
            .iter()
            .map(|r| self.unseal(mailbox, r))
            .collect()
    }

    /// Removes a certificate (and its key) from `mailbox`, freeing its slot.
    ///
    /// If it was the chosen signer, the choice falls back to automatic; if
    /// it was the last certificate that can decrypt, encryption by default
    /// is switched off, as it could not be switched on without one.
    pub fn remove(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<()> {
        self.backend.write(&mut |tx| {
            if !tx.delete(mailbox, fingerprint)? {
                return Err(not_found(mailbox, fingerprint));
            }
            let mut settings = tx.settings(mailbox)?;
            if settings.default_signer == Some(*fingerprint) {
                settings.default_signer = None;
            }
            if settings.encrypt_by_default && !any_can_decrypt(&tx.records(mailbox)?) {
                settings.encrypt_by_default = false;
            }
            tx.set_settings(mailbox, &settings)
        })
    }

    /// The settings of `mailbox`.
    pub fn settings(&self, mailbox: &Mailbox) -> Result<Settings> {
        let mut out = Settings::default();
        self.backend.read(&mut |tx| {
            out = tx.settings(mailbox)?;
            Ok(())
        })?;
        Ok(out)
    }

    /// Sign outgoing mail of `mailbox` by default, or not.
    pub fn set_sign_by_default(&mut self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.sign_by_default = on)
    }

    /// Encrypt outgoing mail of `mailbox` by default, or not. Switching it
    /// on is refused with [`Error::NoDecryptionCertificate`] while no
    /// certificate of the mailbox can decrypt: the user could not read
    /// their own sent mail.
    pub fn set_encrypt_by_default(&mut self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.encrypt_by_default = on)
    }

    /// Chooses the signing certificate of `mailbox` (`None`: automatic).
    /// The certificate must be in the mailbox and allowed to sign.
    pub fn set_default_signer(
        &mut self,
        mailbox: &Mailbox,
        fingerprint: Option<Fingerprint>,
    ) -> Result<()> {
        self.update_settings(mailbox, |s| s.default_signer = fingerprint)
    }

    /// Changes several settings of `mailbox` in one transaction: `change`
    /// edits a copy of the current settings, the result is checked against
    /// the rules of the setters above, and either all of it is stored or
    /// nothing (the error says which rule refused).
    pub fn update_settings(
        &mut self,
        mailbox: &Mailbox,
        change: impl Fn(&mut Settings),
    ) -> Result<()> {
        self.backend.write(&mut |tx| {
            let records = tx.records(mailbox)?;
            let mut settings = tx.settings(mailbox)?;
            change(&mut settings);
            check_settings(mailbox, &records, &settings)?;
            tx.set_settings(mailbox, &settings)
        })
    }

    /// The identity `mailbox` signs with: the chosen one, else the newest
    /// (latest notBefore) certificate that is valid now and can sign.
    pub fn default_signer(&self, mailbox: &Mailbox) -> Result<Identity> {
        self.default_signer_at(mailbox, SystemTime::now())
    }

    /// [`Store::default_signer`] judged at `time` instead of now.
    pub fn default_signer_at(&self, mailbox: &Mailbox, time: SystemTime) -> Result<Identity> {
        let records = self.records(mailbox)?;
        if let Some(fp) = self.settings(mailbox)?.default_signer
            && let Some(record) = records.iter().find(|r| r.fingerprint == fp)
        {
            return self.unseal(mailbox, record);
        }
        let mut best: Option<(&Record, Certificate)> = None;
        for record in &records {
            let cert = Certificate::from_der(&record.certificate)?;
            if !(cert.can_sign() && cert.is_valid_at(time)) {
                continue;
            }
            let newer = best.as_ref().is_none_or(|(r, b)| {
                (cert.not_before(), record.imported_at) > (b.not_before(), r.imported_at)
            });
            if newer {
                best = Some((record, cert));
            }
        }
        let (record, _) =
            best.ok_or_else(|| Error::NotFound(Missing::SigningCertificate(mailbox.clone())))?;
        self.unseal(mailbox, record)
    }

    /// Files a correspondent's certificate in the recipient directory, under
    /// every address it names, for [`Store::encryption_certificate`].
    /// Returns false when it was already filed under all of them. The
    /// directory is not subject to [`MAX_CERTS_PER_MAILBOX`]; a newer
    /// certificate never replaces an older one, it is kept beside it.
    pub fn add_recipient_certificate(&mut self, certificate: &Certificate) -> Result<bool> {
        self.file_recipient(certificate, None)
    }

    /// Files the certificates of the signers of a verified message whose
    /// signature is valid and whose chain is trusted
    /// ([`crate::VerifyReport::verified_signers`]), with the content
    /// encryptions each announced (SMIMECapabilities), so a reply can use
    /// AES-GCM where every recipient supports it. Returns how many
    /// certificates were filed or had their capabilities updated.
    ///
    /// Only trusted signers belong here ("Mailto: Me Your Secrets", 2020: an
    /// unsolicited certificate must not become a recipient), and an older
    /// certificate is never replaced, only joined. Signers whose
    /// certificate cannot be encrypted to are skipped.
    pub fn add_verified_signers(&mut self, signers: &[VerifiedSigner]) -> Result<usize> {
        let mut filed = 0;
        for signer in signers {
            if !signer.certificate.can_decrypt() {
                continue;
            }
            let announced = signer.capabilities.clone().map(|caps| {
                let time = signer.signing_time.map_or(0, backend::unix_seconds);
                (caps, time)
            });
            if self.file_recipient(&signer.certificate, announced)? {
                filed += 1;
            }
        }
        Ok(filed)
    }

    /// Files `certificate` under each of its addresses; with `announced`
    /// (capabilities and the signingTime they came with), also records
    /// them, replacing older ones only with newer ones.
    fn file_recipient(
        &mut self,
        certificate: &Certificate,
        announced: Option<(Vec<ContentEncryption>, u64)>,
    ) -> Result<bool> {
        let unusable = |reason| Error::CertificateNotUsable {
            fingerprint: certificate.fingerprint(),
            reason,
        };
        if certificate.is_ca() {
            return Err(unusable(Unusable::CaCertificate));
        }
        let addresses: Vec<Mailbox> = certificate
            .email_addresses()
            .iter()
            .filter_map(|e| e.parse().ok())
            .collect();
        if addresses.is_empty() {
            return Err(unusable(Unusable::NoAddress));
        }
        let fingerprint = certificate.fingerprint();
        let mut changed = false;
        self.backend.write(&mut |tx| {
            for address in &addresses {
                let existing = tx
                    .recipients(address)?
                    .into_iter()
                    .find(|r| r.fingerprint == fingerprint);
                let (capabilities, capabilities_time) = match &announced {
                    Some((caps, time)) => (Some(caps.clone()), Some(*time)),
                    None => (None, None),
                };
                let newer = |old: &RecipientRecord| {
                    old.capabilities_time
                        .is_none_or(|t| capabilities_time.is_some_and(|n| n > t))
                };
                let record = match existing {
                    None => RecipientRecord {
                        fingerprint,
                        certificate: certificate.to_der().to_vec(),
                        added_at: backend::unix_seconds(SystemTime::now()),
                        capabilities,
                        capabilities_time,
                    },
                    Some(old)
                        if capabilities.is_some()
                            && old.capabilities != capabilities
                            && newer(&old) =>
                    {
                        tx.delete_recipient(address, &fingerprint)?;
                        RecipientRecord {
                            capabilities,
                            capabilities_time,
                            ..old
                        }
                    }
                    Some(_) => continue,
                };
                tx.insert_recipient(address, &record)?;
                changed = true;
            }
            Ok(())
        })?;
        Ok(changed)
    }

    /// What the correspondent behind `fingerprint` announced it can
    /// decrypt; `None` when unknown.
    pub fn recipient_capabilities(
        &self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Vec<ContentEncryption>>> {
        let mut found = None;
        self.backend.read(&mut |tx| {
            found = tx
                .recipients(address)?
                .into_iter()
                .find(|r| &r.fingerprint == fingerprint)
                .and_then(|r| r.capabilities);
            Ok(())
        })?;
        Ok(found)
    }

    /// The certificates to encrypt a message from `sender` to `addresses`:
    /// each address's [`Store::encryption_certificate`], plus the sender's
    /// own (encrypt-to-self, so the sent copy stays readable), without
    /// duplicates. Fails with [`Error::NotFound`] naming the first address
    /// that has no usable certificate.
    pub fn recipients_for(
        &self,
        sender: &Mailbox,
        addresses: &[Mailbox],
    ) -> Result<Vec<Certificate>> {
        let mut out: Vec<Certificate> = Vec::with_capacity(addresses.len() + 1);
        for address in addresses.iter().chain(std::iter::once(sender)) {
            let cert = self.encryption_certificate(address)?;
            if !out.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                out.push(cert);
            }
        }
        Ok(out)
    }

    /// The content encryption to use for mail to `addresses`
    /// ([`ContentEncryption::negotiate`]): AES-GCM only when every
    /// recipient's chosen certificate is known to support it. The store's
    /// own mailboxes are this crate, which reads AES-GCM.
    pub fn negotiate_content_encryption(&self, addresses: &[Mailbox]) -> Result<ContentEncryption> {
        let mut announced = Vec::with_capacity(addresses.len());
        for address in addresses {
            let cert = self.encryption_certificate(address)?;
            let own = self.list(address)?.iter().any(|s| s.certificate == cert);
            announced.push(if own {
                Some(vec![
                    ContentEncryption::Aes256Gcm,
                    ContentEncryption::Aes128Gcm,
                    ContentEncryption::Aes256Cbc,
                ])
            } else {
                self.recipient_capabilities(address, &cert.fingerprint())?
            });
        }
        Ok(ContentEncryption::negotiate(&announced))
    }

    /// The certificates filed under `address` in the recipient directory.
    pub fn recipient_certificates(&self, address: &Mailbox) -> Result<Vec<Certificate>> {
        let mut records = Vec::new();
        self.backend.read(&mut |tx| {
            records = tx.recipients(address)?;
            Ok(())
        })?;
        records
            .iter()
            .map(|r| Certificate::from_der(&r.certificate))
            .collect()
    }

    /// Removes a certificate from the recipient directory entry of `address`.
    pub fn remove_recipient_certificate(
        &mut self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<()> {
        self.backend.write(&mut |tx| {
            if tx.delete_recipient(address, fingerprint)? {
                Ok(())
            } else {
                Err(Error::NotFound(Missing::RecipientCertificate {
                    address: address.clone(),
                    fingerprint: *fingerprint,
                }))
            }
        })
    }

    /// The certificate to encrypt to `address`: among the recipient
    /// directory's certificates for it and the mailbox's own, the newest
    /// (latest notBefore) that is valid now and can be encrypted to.
    pub fn encryption_certificate(&self, address: &Mailbox) -> Result<Certificate> {
        self.encryption_certificate_at(address, SystemTime::now())
    }

    /// [`Store::encryption_certificate`] judged at `time`.
    pub fn encryption_certificate_at(
        &self,
        address: &Mailbox,
        time: SystemTime,
    ) -> Result<Certificate> {
        let own = self.list(address)?.into_iter().map(|s| s.certificate);
        let candidates = self.recipient_certificates(address)?.into_iter().chain(own);
        candidates
            .filter(|c| c.can_decrypt() && c.is_valid_at(time) && c.names_mailbox(address))
            .max_by_key(Certificate::not_before)
            .ok_or_else(|| Error::NotFound(Missing::EncryptionCertificate(address.clone())))
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        self.backend.read(&mut |tx| {
            out = tx.records(mailbox)?;
            Ok(())
        })?;
        Ok(out)
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Record> {
        self.records(mailbox)?
            .into_iter()
            .find(|r| &r.fingerprint == fingerprint)
            .ok_or_else(|| not_found(mailbox, fingerprint))
    }

    fn unseal(&self, mailbox: &Mailbox, record: &Record) -> Result<Identity> {
        let stored = stored(mailbox, record)?;
        let pkcs8 = self
            .kek
            .open(&record.sealed_key, &key_aad(mailbox, &record.fingerprint))?;
        let key = PrivateKey::from_pkcs8_der(&pkcs8)?;
        Identity::new(stored.certificate, key, stored.chain)
    }
}

fn stored(mailbox: &Mailbox, record: &Record) -> Result<StoredCertificate> {
    Ok(StoredCertificate {
        mailbox: mailbox.clone(),
        certificate: Certificate::from_der(&record.certificate)?,
        chain: record
            .chain
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<_>>()?,
        imported_at: SystemTime::UNIX_EPOCH
            .checked_add(std::time::Duration::from_secs(record.imported_at))
            .unwrap_or(SystemTime::UNIX_EPOCH),
    })
}

/// The rules every stored [`Settings`] value obeys.
fn check_settings(mailbox: &Mailbox, records: &[Record], settings: &Settings) -> Result<()> {
    if settings.encrypt_by_default && !any_can_decrypt(records) {
        return Err(Error::NoDecryptionCertificate(mailbox.clone()));
    }
    if let Some(fp) = settings.default_signer {
        let record = records
            .iter()
            .find(|r| r.fingerprint == fp)
            .ok_or_else(|| not_found(mailbox, &fp))?;
        if !Certificate::from_der(&record.certificate)?.can_sign() {
            return Err(Error::CertificateNotUsable {
                fingerprint: fp,
                reason: Unusable::CannotSign,
            });
        }
    }
    Ok(())
}

fn any_can_decrypt(records: &[Record]) -> bool {
    records
        .iter()
        .any(|r| Certificate::from_der(&r.certificate).is_ok_and(|c| c.can_decrypt()))
}

fn not_found(mailbox: &Mailbox, fingerprint: &Fingerprint) -> Error {
    Error::NotFound(Missing::Certificate {
        mailbox: mailbox.clone(),
        fingerprint: *fingerprint,
    })
}
