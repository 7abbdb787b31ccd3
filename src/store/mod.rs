//! [`Store`]: per-mailbox certificate store with private keys sealed at rest.
//!
//! A mailbox (an e-mail address, [`Mailbox`]) holds at most
//! [`MAX_CERTS_PER_MAILBOX`] end-entity certificates with their private
//! keys; the CA certificates that came with each one are kept as its chain
//! and do not count. Every change is one backend transaction: a refused
//! import (mailbox full, wrong password, corrupt bundle, address mismatch)
//! leaves the store exactly as it was.
//!
//! Backends: [`Store::open`] with a path (an SQLite file, the default for
//! one machine), [`Store::open`] with a `postgres://` URL (cargo feature
//! `postgres`: one database shared by many nodes), and
//! [`Store::in_memory`]. Each seals private keys with AES-256-GCM under a
//! key-encryption key (from a passphrase or a key service's
//! [`KeyEncryptionKey`]) and authenticates every row with an HMAC tag (see
//! the `seal` and `integrity` module docs in the source).
//!
//! The store also keeps trust: anchors, intermediates, the opt-in system
//! roots and CRLs ([`Store::add_trust_anchor`], [`Store::add_crl`], used by
//! `VerifyOptions::with_store_trust`), and it encrypts to an address only
//! with a trusted certificate ([`Store::encryption_certificate`]; the
//! `trust` and `trusted` module docs in the source say which).
//!
//! # Threads and what blocks
//!
//! `Store` is `Send + Sync` and every method takes `&self`: share one
//! `Store` (in an `Arc`) between the threads of a server. Reads run in
//! parallel (SQLite: a small pool of connections in WAL mode, readers never
//! wait for a writer; PostgreSQL: a connection pool). Writes are
//! transactions: on SQLite one writer at a time per file (others wait up to
//! `SqliteBackend::BUSY_TIMEOUT`, 10 s, then fail); on PostgreSQL writers to
//! different mailboxes run in parallel and writers to one mailbox queue on
//! its lock. Opening with a passphrase blocks for its PBKDF2 (about 0.15 s);
//! with a [`KeyEncryptionKey`] it costs milliseconds. A re-key or a
//! migration rewrites every row in one transaction and blocks other writers
//! meanwhile (readers keep reading the old state).
#![forbid(unsafe_code)]

mod backend;
mod directory;
mod export;
mod import;
mod integrity;
mod memory;
mod open;
mod policy;
#[cfg(feature = "postgres")]
mod postgres;
mod rekey;
mod seal;
mod settings;
#[cfg(feature = "sqlite")]
mod sqlite;
mod trust;
mod trusted;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

pub use backend::{
    Backend, CertFacts, DomainPolicy, Lock, Provenance, RecipientRecord, Record, RecordHead,
    Settings, StoredDomain, StoredSettings, Transaction, TrustKind, TrustRecord,
};
pub use integrity::Corrupted;
pub use memory::MemoryBackend;
pub use open::{Insecurity, OpenWarning};
#[cfg(feature = "postgres")]
pub use postgres::PostgresBackend;
pub use seal::{KeyEncryptionKey, StoreKey};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteBackend;
pub use trust::{CrlUpdate, TrustAnchor};
pub use trusted::RecipientLookup;

use crate::algorithm::ContentEncryption;
use crate::cert::{Certificate, Fingerprint};
use crate::error::{Error, Missing, Result, StoreFailure, Unusable};
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::mailbox::Mailbox;
use crate::secret::{Passphrase, Password};
use integrity::{Corrupted as C, corrupt};
use policy::{allowed, domain_of, domain_policy_for, require_enablement};
use rekey::migrate_tags;
use seal::{Keys, META_CHECK, key_aad};
use settings::{put_settings, stored_settings};

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

/// The name of the store-wide policy row (whether domains must be enabled).
const META_POLICY: &str = "policy";

/// The certificate store.
///
/// ```
/// use smime::{Mailbox, Password, Store};
/// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice.p12"))?;
/// let alice: Mailbox = "alice@example.org".parse()?;
/// let store = Store::in_memory()?;
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
    keys: RwLock<Arc<Keys>>,
    warnings: Vec<OpenWarning>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    fn keys(&self) -> Arc<Keys> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Runs `f` in a write transaction under the current key (shared key
    /// lock, then the check value compared with ours: another process may
    /// have re-keyed the store).
    fn write<T>(&self, mut f: impl FnMut(&mut dyn Transaction, &Keys) -> Result<T>) -> Result<T> {
        let keys = self.keys();
        let mut out = None;
        self.backend.write(&mut |tx| {
            out = None;
            tx.lock(Lock::Key { exclusive: false })?;
            if !keys.current(tx.meta(META_CHECK)?.as_deref()) {
                return Err(Error::StoreKeyChanged);
            }
            out = Some(f(tx, &keys)?);
            Ok(())
        })?;
        out.ok_or(Error::Store(StoreFailure::Internal(
            "the backend did not run the transaction",
        )))
    }

    /// Runs `f` on a snapshot. A row failing authentication after another
    /// process re-keyed the store is [`Error::StoreKeyChanged`], not
    /// corruption.
    fn read<T>(&self, mut f: impl FnMut(&dyn Transaction, &Keys) -> Result<T>) -> Result<T> {
        let keys = self.keys();
        let mut out = None;
        let result = self.backend.read(&mut |tx| {
            out = None;
            match f(tx, &keys) {
                Err(Error::StoreCorrupt { .. })
                    if !keys.current(tx.meta(META_CHECK)?.as_deref()) =>
                {
                    Err(Error::StoreKeyChanged)
                }
                other => {
                    out = Some(other?);
                    Ok(())
                }
            }
        });
        result?;
        out.ok_or(Error::Store(StoreFailure::Internal(
            "the backend did not run the transaction",
        )))
    }

    /// Mailboxes that hold certificates or settings.
    pub fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        self.read(|tx, _| tx.mailboxes())
    }

    /// The certificates of `mailbox`, oldest import first.
    pub fn list(&self, mailbox: &Mailbox) -> Result<Vec<StoredCertificate>> {
        self.read(|tx, keys| {
            let records = tx.records(mailbox)?;
            records.iter().map(|r| checked(keys, mailbox, r)).collect()
        })
    }

    /// One certificate of `mailbox` by fingerprint.
    pub fn get(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<StoredCertificate> {
        self.read(|tx, keys| {
            let record = tx
                .record(mailbox, fingerprint)?
                .ok_or_else(|| not_found(mailbox, fingerprint))?;
            checked(keys, mailbox, &record)
        })
    }

    /// The certificate with its private key, unsealed. Refused with
    /// [`Error::DomainNotEnabled`] when the mailbox's domain may not use
    /// S/MIME.
    pub fn identity(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Identity> {
        let record = self.read(|tx, keys| {
            allowed(tx, keys, mailbox)?;
            tx.record(mailbox, fingerprint)?
                .ok_or_else(|| not_found(mailbox, fingerprint))
        })?;
        unseal(&self.keys(), mailbox, &record)
    }

    /// Every identity of `mailbox`, keys unsealed, oldest import first: what
    /// [`crate::decrypt`] needs to open mail sent to the mailbox. Refused
    /// with [`Error::DomainNotEnabled`] when the mailbox's domain may not
    /// use S/MIME.
    pub fn identities(&self, mailbox: &Mailbox) -> Result<Vec<Identity>> {
        let records = self.read(|tx, keys| {
            allowed(tx, keys, mailbox)?;
            tx.records(mailbox)
        })?;
        let keys = self.keys();
        records.iter().map(|r| unseal(&keys, mailbox, r)).collect()
    }

    /// Removes a certificate (and its key) from `mailbox`, freeing its slot.
    ///
    /// If it was the chosen signer, the choice falls back to automatic; if
    /// it was the last certificate that can decrypt, encryption by default
    /// is switched off, as it could not be switched on without one.
    pub fn remove(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<()> {
        self.write(|tx, keys| {
            tx.lock(Lock::Mailbox(mailbox))?;
            let mut settings = stored_settings(tx, keys, mailbox)?;
            if !tx.delete(mailbox, fingerprint)? {
                return Err(not_found(mailbox, fingerprint));
            }
            let heads = checked_heads(tx, keys, mailbox)?;
            if settings.default_signer == Some(*fingerprint) {
                settings.default_signer = None;
            }
            if settings.encrypt_by_default && !heads.iter().any(|h| h.facts.can_decrypt) {
                settings.encrypt_by_default = false;
            }
            put_settings(tx, keys, mailbox, &settings)
        })
    }
}

fn poisoned() -> Error {
    Error::Store(StoreFailure::Internal(
        "a thread panicked while re-keying the store",
    ))
}

fn checked_heads(tx: &dyn Transaction, keys: &Keys, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
    let heads = tx.heads(mailbox)?;
    for h in &heads {
        keys.mac.check_head(mailbox, h)?;
    }
    Ok(heads)
}

/// A record checked and parsed.
fn checked(keys: &Keys, mailbox: &Mailbox, record: &Record) -> Result<StoredCertificate> {
    keys.mac.check_record(mailbox, record)?;
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

fn unseal(keys: &Keys, mailbox: &Mailbox, record: &Record) -> Result<Identity> {
    let stored = checked(keys, mailbox, record)?;
    let pkcs8 = keys
        .kek
        .open(&record.sealed_key, &key_aad(mailbox, &record.fingerprint))
        .map_err(|_| {
            corrupt(C::PrivateKey {
                mailbox: mailbox.clone(),
                fingerprint: record.fingerprint,
            })
        })?;
    let key = PrivateKey::from_pkcs8_der(&pkcs8)?;
    Identity::new(stored.certificate, key, stored.chain)
}

fn not_found(mailbox: &Mailbox, fingerprint: &Fingerprint) -> Error {
    Error::NotFound(Missing::Certificate {
        mailbox: mailbox.clone(),
        fingerprint: *fingerprint,
    })
}
