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
//! # Threads and what blocks
//!
//! `Store` is `Send + Sync` and every method takes `&self`: share one
//! `Store` (in an `Arc`) between the threads of a server. Reads run in
//! parallel (SQLite: a small pool of connections in WAL mode, readers never
//! wait for a writer; PostgreSQL: a connection pool). Writes are
//! transactions: on SQLite one writer at a time per file (others wait up to
//! [`sqlite::BUSY_TIMEOUT`], 10 s, then fail); on PostgreSQL writers to
//! different mailboxes run in parallel and writers to one mailbox queue on
//! its lock. Opening with a passphrase blocks for its PBKDF2 (about 0.15 s);
//! with a [`KeyEncryptionKey`] it costs milliseconds. A re-key or a
//! migration rewrites every row in one transaction and blocks other writers
//! meanwhile (readers keep reading the old state).
#![forbid(unsafe_code)]

mod backend;
mod integrity;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod seal;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

pub use backend::{
    Backend, CertFacts, DomainPolicy, Lock, RecipientRecord, Record, RecordHead, Settings,
    StoredDomain, StoredSettings, Transaction,
};
pub use integrity::Corrupted;
pub use memory::MemoryBackend;
#[cfg(feature = "postgres")]
pub use postgres::PostgresBackend;
pub use seal::{KeyEncryptionKey, StoreKey};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteBackend;

use crate::algorithm::ContentEncryption;
use crate::cert::{Certificate, Fingerprint};
use crate::error::{Error, Result};
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::mailbox::Mailbox;
use crate::secret::{Passphrase, Password};
use integrity::{Corrupted as C, corrupt};
use seal::{Keys, META_CHECK, key_aad};

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

/// Something a caller should know about a store it opened, which did not
/// stop it from opening ([`Store::warnings`]). A library prints nothing;
/// the caller decides whether to tell the user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenWarning {
    /// The store file can be read by other users (group or world read
    /// bits; `mode` is the file's permission bits). Keys stay sealed, but
    /// the certificates, addresses and settings are readable and the
    /// passphrase can be attacked offline: `chmod 600` the file.
    ReadableByOthers {
        /// The file.
        path: std::path::PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The store was opened with an empty or whitespace-only passphrase (a
    /// store created before such passphrases were refused): its keys are
    /// as good as unprotected; change the passphrase.
    BlankPassphrase,
}

/// Why a store file was refused ([`Error::StoreInsecure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Insecurity {
    /// The path (or its `-wal`/`-shm` companion) is a symbolic link:
    /// whoever placed it chooses which file the keys go to.
    Symlink,
    /// The path is not a regular file (a directory, device, FIFO, ...).
    NotARegularFile,
    /// Group or others may write the file (`mode` = its permission bits):
    /// they could delete rows or roll the store back. `chmod 600` it.
    WritableByOthers {
        /// The file's permission bits.
        mode: u32,
    },
}

impl std::fmt::Display for Insecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Insecurity::Symlink => f.write_str("it is a symbolic link"),
            Insecurity::NotARegularFile => f.write_str("it is not a regular file"),
            Insecurity::WritableByOthers { mode } => {
                write!(
                    f,
                    "it is writable by group or others (mode {mode:04o}); chmod 600 it"
                )
            }
        }
    }
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

/// True for `postgres://…` and `postgresql://…` locations.
fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

impl Store {
    /// A store that lives in memory only. Keys are still sealed, under a
    /// random key that dies with the store.
    pub fn in_memory() -> Result<Self> {
        let key = KeyEncryptionKey::generate()?;
        Self::with_backend(Box::new(MemoryBackend::new()), &key)
    }

    /// Opens (or creates) the store at `location` with `key` (a
    /// [`&Passphrase`](Passphrase) or a [`&KeyEncryptionKey`](KeyEncryptionKey)).
    ///
    /// - a path: an SQLite file (cargo feature `sqlite`, on by default),
    ///   created `0600` (its directory `0700` when created); a file that is
    ///   group- or world-writable, not a regular file, or reached through a
    ///   symbolic link is refused with [`Error::StoreInsecure`]; one that is
    ///   readable by others opens with [`OpenWarning::ReadableByOthers`];
    /// - a `postgres://` or `postgresql://` URL: a PostgreSQL database
    ///   (cargo feature `postgres`), see [`Store::open_postgres`].
    ///
    /// A wrong key is [`Error::WrongPassphrase`] and changes nothing; a new
    /// store refuses an empty or blank passphrase
    /// ([`Error::EmptyPassphrase`]). An older store is migrated once the
    /// key is proven right.
    pub fn open<'k>(location: impl AsRef<Path>, key: impl Into<StoreKey<'k>>) -> Result<Self> {
        let location = location.as_ref();
        if let Some(url) = location.to_str().filter(|l| is_postgres_url(l)) {
            return Self::open_url(url, key.into());
        }
        Self::open_file(location, key.into())
    }

    #[cfg(feature = "sqlite")]
    fn open_file(path: &Path, key: StoreKey<'_>) -> Result<Self> {
        let backend = SqliteBackend::open(path)?;
        let warnings = backend
            .readable_by_others()
            .map(|mode| OpenWarning::ReadableByOthers {
                path: path.to_owned(),
                mode,
            })
            .into_iter()
            .collect();
        Self::with_backend_warnings(Box::new(backend), key, warnings)
    }

    #[cfg(not(feature = "sqlite"))]
    fn open_file(_path: &Path, _key: StoreKey<'_>) -> Result<Self> {
        Err(Error::Store(
            "this smime was built without the sqlite feature".into(),
        ))
    }

    #[cfg(feature = "postgres")]
    fn open_url(url: &str, key: StoreKey<'_>) -> Result<Self> {
        Self::open_postgres(url, key)
    }

    #[cfg(not(feature = "postgres"))]
    fn open_url(_url: &str, _key: StoreKey<'_>) -> Result<Self> {
        Err(Error::Store(
            "this smime was built without the postgres feature".into(),
        ))
    }

    /// Opens (or creates) the store in the PostgreSQL database at `url`
    /// (`postgres://user[:password]@host[:port]/db[?options]`, libpq's
    /// keyword form works too), with a pool of up to
    /// [`PostgresBackend::DEFAULT_POOL_SIZE`] connections; TLS is used when
    /// the server offers it (`sslmode=require` to insist). See
    /// [`PostgresBackend`] for the schema, the locking and the pool.
    #[cfg(feature = "postgres")]
    pub fn open_postgres<'k>(url: &str, key: impl Into<StoreKey<'k>>) -> Result<Self> {
        let backend = PostgresBackend::connect(url, PostgresBackend::DEFAULT_POOL_SIZE)?;
        Self::with_backend(Box::new(backend), key)
    }

    /// A store on any [`Backend`], its keys protected by `key`.
    pub fn with_backend<'k>(
        backend: Box<dyn Backend>,
        key: impl Into<StoreKey<'k>>,
    ) -> Result<Self> {
        Self::with_backend_warnings(backend, key.into(), Vec::new())
    }

    fn with_backend_warnings(
        backend: Box<dyn Backend>,
        key: StoreKey<'_>,
        mut warnings: Vec<OpenWarning>,
    ) -> Result<Self> {
        let init = |tx: &mut dyn Transaction, keys: &Keys| {
            tx.set_meta(META_POLICY, &keys.mac.seal_meta(META_POLICY, &[0])?)
        };
        let (keys, tagged) = seal::unlock(backend.as_ref(), key, &init)?;
        backend.upgrade()?;
        let keys = if tagged {
            keys
        } else {
            migrate_tags(backend.as_ref(), keys)?
        };
        if matches!(key, StoreKey::Passphrase(p) if p.expose().trim().is_empty()) {
            warnings.push(OpenWarning::BlankPassphrase);
        }
        Ok(Store {
            backend,
            keys: RwLock::new(Arc::new(keys)),
            warnings,
        })
    }

    /// What the caller should know about how the store was found when it
    /// was opened (e.g. a file readable by other users).
    pub fn warnings(&self) -> &[OpenWarning] {
        &self.warnings
    }

    /// Re-encrypts every private key of the store under `new_passphrase`
    /// and re-tags every row, in one transaction: on any failure the store
    /// keeps the old key and every row as it was. An empty or blank
    /// passphrase is refused ([`Error::EmptyPassphrase`]).
    pub fn change_passphrase(&self, new_passphrase: &Passphrase) -> Result<()> {
        self.rekey(new_passphrase)
    }

    /// [`Store::change_passphrase`] for either kind of key: passphrase to
    /// [`KeyEncryptionKey`] and back, or a new key of the same kind. Blocks
    /// every writer of the store while it runs (it rewrites every row).
    pub fn rekey<'k>(&self, new_key: impl Into<StoreKey<'k>>) -> Result<()> {
        let new_key = new_key.into();
        let old = self.keys();
        let (params, new) = seal::KeyParams::fresh(new_key)?;
        self.backend.write(&mut |tx| {
            tx.lock(Lock::Key { exclusive: true })?;
            if !old.current(tx.meta(META_CHECK)?.as_deref()) {
                return Err(Error::StoreKeyChanged);
            }
            retag_all(tx, Some(&old), &new)?;
            params.write_to(tx)
        })?;
        *self.keys.write().map_err(|_| poisoned())? = Arc::new(new);
        Ok(())
    }

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
        out.ok_or_else(|| Error::Store("the backend did not run the transaction".into()))
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
        out.ok_or_else(|| Error::Store("the backend did not run the transaction".into()))
    }

    /// Imports a PKCS#12 bundle into `mailbox`; see [`Store::import_identity`].
    pub fn import_pkcs12(
        &self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
    ) -> Result<Imported> {
        self.import_pkcs12_with(mailbox, bundle, password, ImportOptions::default())
    }

    /// [`Store::import_pkcs12`] with options.
    pub fn import_pkcs12_with(
        &self,
        mailbox: &Mailbox,
        bundle: &[u8],
        password: &Password,
        options: ImportOptions,
    ) -> Result<Imported> {
        // The domain rule first: a disabled domain costs no PKCS#12 work.
        self.read(|tx, keys| allowed(tx, keys, mailbox).map(|_| ()))?;
        let identity = crate::pkcs12::import_with_limits(bundle, password, &options.limits)?;
        self.import_identity(mailbox, &identity, options)
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

    /// The settings of `mailbox` as they take effect: encryption by
    /// default reads as off while the mailbox's domain does not allow it,
    /// both switches as off while the domain may not use S/MIME.
    pub fn settings(&self, mailbox: &Mailbox) -> Result<Settings> {
        self.read(|tx, keys| {
            let mut settings = stored_settings(tx, keys, mailbox)?;
            let (_, policy) = domain_policy_for(tx, keys, mailbox)?;
            if !policy.enabled {
                settings.sign_by_default = false;
            }
            if !(policy.enabled && policy.encryption_allowed) {
                settings.encrypt_by_default = false;
            }
            Ok(settings)
        })
    }

    /// Sign outgoing mail of `mailbox` by default, or not.
    pub fn set_sign_by_default(&self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.sign_by_default = on)
    }

    /// Encrypt outgoing mail of `mailbox` by default, or not. Switching it
    /// on is refused with [`Error::NoDecryptionCertificate`] while no
    /// certificate of the mailbox can decrypt (the user could not read
    /// their own sent mail), with [`Error::DomainNotEnabled`] while the
    /// mailbox's domain may not use S/MIME and with
    /// [`Error::EncryptionNotAllowed`] while it may not encrypt by default.
    pub fn set_encrypt_by_default(&self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.encrypt_by_default = on)
    }

    /// Chooses the signing certificate of `mailbox` (`None`: automatic).
    /// The certificate must be in the mailbox and allowed to sign.
    pub fn set_default_signer(
        &self,
        mailbox: &Mailbox,
        fingerprint: Option<Fingerprint>,
    ) -> Result<()> {
        self.update_settings(mailbox, |s| s.default_signer = fingerprint)
    }

    /// Changes several settings of `mailbox` in one transaction: `change`
    /// edits a copy of the current settings, the result is checked against
    /// the rules of the setters above, and either all of it is stored or
    /// nothing (the error says which rule refused).
    pub fn update_settings(&self, mailbox: &Mailbox, change: impl Fn(&mut Settings)) -> Result<()> {
        self.write(|tx, keys| {
            let (domain, policy) = domain_policy_for(tx, keys, mailbox)?;
            tx.lock(Lock::Mailbox(mailbox))?;
            let heads = checked_heads(tx, keys, mailbox)?;
            let mut settings = stored_settings(tx, keys, mailbox)?;
            change(&mut settings);
            if settings.encrypt_by_default {
                if !policy.enabled {
                    return Err(Error::DomainNotEnabled { domain });
                }
                if !policy.encryption_allowed {
                    return Err(Error::EncryptionNotAllowed { domain });
                }
            }
            check_settings(mailbox, &heads, &settings)?;
            put_settings(tx, keys, mailbox, &settings)
        })
    }

    /// The identity `mailbox` signs with: the chosen one, else the newest
    /// (latest notBefore) certificate that is valid now and can sign.
    /// Refused with [`Error::DomainNotEnabled`] when the mailbox's domain
    /// may not use S/MIME.
    ///
    /// Costs a few indexed reads, one HMAC per certificate of the mailbox,
    /// and parsing and unsealing only the chosen certificate and key.
    pub fn default_signer(&self, mailbox: &Mailbox) -> Result<Identity> {
        self.default_signer_at(mailbox, SystemTime::now())
    }

    /// Which certificate [`Store::default_signer`] would sign with, without
    /// parsing it or unsealing its key (for a settings page, or to cache
    /// identities by fingerprint): a few indexed reads and one HMAC per
    /// certificate of the mailbox. Same rules and errors.
    pub fn default_signer_fingerprint(&self, mailbox: &Mailbox) -> Result<Fingerprint> {
        let time = SystemTime::now();
        self.read(|tx, keys| signer_choice(tx, keys, mailbox, time))
    }

    /// [`Store::default_signer`] judged at `time` instead of now.
    pub fn default_signer_at(&self, mailbox: &Mailbox, time: SystemTime) -> Result<Identity> {
        let record = self.read(|tx, keys| {
            let fp = signer_choice(tx, keys, mailbox, time)?;
            tx.record(mailbox, &fp)?
                .ok_or_else(|| not_found(mailbox, &fp))
        })?;
        unseal(&self.keys(), mailbox, &record)
    }

    /// Files a correspondent's certificate in the recipient directory, under
    /// every address it names, for [`Store::encryption_certificate`].
    /// Returns false when it was already filed under all of them. The
    /// directory is not subject to [`MAX_CERTS_PER_MAILBOX`]; a newer
    /// certificate never replaces an older one, it is kept beside it.
    pub fn add_recipient_certificate(&self, certificate: &Certificate) -> Result<bool> {
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
    pub fn add_verified_signers(&self, signers: &[VerifiedSigner]) -> Result<usize> {
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
        &self,
        certificate: &Certificate,
        announced: Option<(Vec<ContentEncryption>, u64)>,
    ) -> Result<bool> {
        let unusable = |reason| Error::CertificateNotUsable {
            fingerprint: certificate.fingerprint().to_string(),
            reason,
        };
        if certificate.is_ca() {
            return Err(unusable(
                "a CA certificate is not a correspondent's certificate",
            ));
        }
        let addresses: Vec<Mailbox> = certificate
            .email_addresses()
            .iter()
            .filter_map(|e| e.parse().ok())
            .collect();
        if addresses.is_empty() {
            return Err(unusable("it names no e-mail address"));
        }
        let fingerprint = certificate.fingerprint();
        let (capabilities, capabilities_time) = match &announced {
            Some((caps, time)) => (Some(caps.clone()), Some(*time)),
            None => (None, None),
        };
        let added_at = backend::unix_seconds(SystemTime::now());
        self.write(|tx, keys| {
            let mut changed = false;
            for address in &addresses {
                tx.lock(Lock::Mailbox(address))?;
                let existing = tx
                    .recipients(address)?
                    .into_iter()
                    .find(|r| r.fingerprint == fingerprint);
                let newer = |old: &RecipientRecord| {
                    old.capabilities_time
                        .is_none_or(|t| capabilities_time.is_some_and(|n| n > t))
                };
                match existing {
                    None => {
                        let mut record = RecipientRecord {
                            fingerprint,
                            certificate: certificate.to_der().to_vec(),
                            added_at,
                            capabilities: capabilities.clone(),
                            capabilities_time,
                            facts: CertFacts::of(certificate, address),
                            tag: Vec::new(),
                        };
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.insert_recipient(address, &record)?;
                    }
                    Some(old)
                        if capabilities.is_some()
                            && old.capabilities != capabilities
                            && newer(&old) =>
                    {
                        keys.mac.check_recipient(address, &old)?;
                        let mut record = RecipientRecord {
                            capabilities: capabilities.clone(),
                            capabilities_time,
                            ..old
                        };
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.update_recipient(address, &record)?;
                    }
                    Some(_) => continue,
                }
                changed = true;
            }
            Ok(changed)
        })
    }

    /// What the correspondent behind `fingerprint` announced it can
    /// decrypt; `None` when unknown.
    pub fn recipient_capabilities(
        &self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Vec<ContentEncryption>>> {
        self.read(|tx, keys| {
            let Some(record) = tx
                .recipients(address)?
                .into_iter()
                .find(|r| &r.fingerprint == fingerprint)
            else {
                return Ok(None);
            };
            keys.mac.check_recipient(address, &record)?;
            Ok(record.capabilities)
        })
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
        let now = SystemTime::now();
        let mut announced = Vec::with_capacity(addresses.len());
        for address in addresses {
            announced.push(match self.encryption_choice(address, now)? {
                Choice::Own(_) => Some(vec![
                    ContentEncryption::Aes256Gcm,
                    ContentEncryption::Aes128Gcm,
                    ContentEncryption::Aes256Cbc,
                ]),
                Choice::Recipient(record) => record.capabilities,
            });
        }
        Ok(ContentEncryption::negotiate(&announced))
    }

    /// The certificates filed under `address` in the recipient directory.
    pub fn recipient_certificates(&self, address: &Mailbox) -> Result<Vec<Certificate>> {
        let records = self.read(|tx, keys| {
            let records = tx.recipients(address)?;
            for r in &records {
                keys.mac.check_recipient(address, r)?;
            }
            Ok(records)
        })?;
        records
            .iter()
            .map(|r| Certificate::from_der(&r.certificate))
            .collect()
    }

    /// Removes a certificate from the recipient directory entry of `address`.
    pub fn remove_recipient_certificate(
        &self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<()> {
        self.write(|tx, _| {
            tx.lock(Lock::Mailbox(address))?;
            if tx.delete_recipient(address, fingerprint)? {
                Ok(())
            } else {
                Err(Error::NotFound(format!(
                    "recipient certificate {fingerprint} for {address}"
                )))
            }
        })
    }

    /// The certificate to encrypt to `address`: among the recipient
    /// directory's certificates for it and the mailbox's own, the newest
    /// (latest notBefore) that is valid now and can be encrypted to.
    ///
    /// Decided on the authenticated facts of each row; only the chosen
    /// certificate is parsed.
    pub fn encryption_certificate(&self, address: &Mailbox) -> Result<Certificate> {
        self.encryption_certificate_at(address, SystemTime::now())
    }

    /// [`Store::encryption_certificate`] judged at `time`.
    pub fn encryption_certificate_at(
        &self,
        address: &Mailbox,
        time: SystemTime,
    ) -> Result<Certificate> {
        match self.encryption_choice(address, time)? {
            Choice::Own(record) => Certificate::from_der(&record.certificate),
            Choice::Recipient(record) => Certificate::from_der(&record.certificate),
        }
    }

    fn encryption_choice(&self, address: &Mailbox, time: SystemTime) -> Result<Choice> {
        self.read(|tx, keys| {
            let recipients = tx.recipients(address)?;
            let heads = checked_heads(tx, keys, address)?;
            let usable = |f: &CertFacts| f.can_decrypt && f.names_address && f.valid_at(time);
            // Recipients first, own certificates after: on a tie the last
            // one (an own certificate) wins, as before.
            let mut best: Option<(i64, Result<usize, Fingerprint>)> = None;
            for (i, r) in recipients.iter().enumerate() {
                keys.mac.check_recipient(address, r)?;
                if usable(&r.facts)
                    && best
                        .as_ref()
                        .is_none_or(|(nb, _)| r.facts.not_before >= *nb)
                {
                    best = Some((r.facts.not_before, Ok(i)));
                }
            }
            for h in &heads {
                if usable(&h.facts)
                    && best
                        .as_ref()
                        .is_none_or(|(nb, _)| h.facts.not_before >= *nb)
                {
                    best = Some((h.facts.not_before, Err(h.fingerprint)));
                }
            }
            let missing = || Error::NotFound(format!("valid encryption certificate for {address}"));
            match best {
                None => Err(missing()),
                Some((_, Ok(i))) => recipients
                    .get(i)
                    .cloned()
                    .map(Choice::Recipient)
                    .ok_or_else(missing),
                Some((_, Err(fp))) => {
                    let record = tx.record(address, &fp)?.ok_or_else(missing)?;
                    keys.mac.check_record(address, &record)?;
                    Ok(Choice::Own(record))
                }
            }
        })
    }

    /// Sets the policy of `domain` (e.g. `"example.org"`, IDN domains in
    /// either form): whether its mailboxes may use S/MIME and encrypt by
    /// default. Disabling a domain keeps its mailboxes' certificates and
    /// settings; they are unusable until it is enabled again.
    pub fn set_domain_policy(&self, domain: &str, policy: DomainPolicy) -> Result<()> {
        let name = canonical_domain(domain)?;
        self.write(|tx, keys| {
            let tag = keys.mac.domain_tag(&name, &policy)?;
            tx.set_domain(&StoredDomain {
                name: name.clone(),
                policy,
                tag,
            })
        })
    }

    /// Forgets the policy of `domain`: it falls back to the store's default
    /// (enabled, unless [`Store::set_require_domain_enablement`] is on).
    /// Returns false when the domain had no policy.
    pub fn remove_domain_policy(&self, domain: &str) -> Result<bool> {
        let name = canonical_domain(domain)?;
        self.write(|tx, _| tx.delete_domain(&name))
    }

    /// The policy that applies to `domain`: its own, else the default
    /// ([`DomainPolicy::DISABLED`] when the store requires enablement,
    /// [`DomainPolicy::ENABLED`] otherwise).
    pub fn domain_policy(&self, domain: &str) -> Result<DomainPolicy> {
        let name = canonical_domain(domain)?;
        self.read(|tx, keys| effective_policy(tx, keys, &name))
    }

    /// Every domain with a policy of its own, by name.
    pub fn domain_policies(&self) -> Result<Vec<(String, DomainPolicy)>> {
        self.read(|tx, keys| {
            let rows = tx.domains()?;
            rows.into_iter()
                .map(|d| {
                    keys.mac.check_domain(&d.name, &d.policy, &d.tag)?;
                    Ok((d.name, d.policy))
                })
                .collect()
        })
    }

    /// Hosted mode: when on, only domains enabled with
    /// [`Store::set_domain_policy`] may use S/MIME (import, signing,
    /// decryption, encryption by default); every other mailbox gets
    /// [`Error::DomainNotEnabled`]. Off (the default, for a desktop
    /// client): every domain without a policy of its own is enabled.
    pub fn set_require_domain_enablement(&self, on: bool) -> Result<()> {
        self.write(|tx, keys| {
            tx.set_meta(
                META_POLICY,
                &keys.mac.seal_meta(META_POLICY, &[u8::from(on)])?,
            )
        })
    }

    /// Whether the store is in hosted mode
    /// ([`Store::set_require_domain_enablement`]).
    pub fn requires_domain_enablement(&self) -> Result<bool> {
        self.read(|tx, keys| require_enablement(tx, keys))
    }

    /// `Ok` when `mailbox` may use S/MIME under the domain policy, else
    /// [`Error::DomainNotEnabled`] naming its domain: lets a web client
    /// hide the S/MIME settings of a domain that is not enabled.
    pub fn check_domain_enabled(&self, mailbox: &Mailbox) -> Result<()> {
        self.read(|tx, keys| allowed(tx, keys, mailbox).map(|_| ()))
    }
}

/// The chosen encryption certificate and where it came from.
enum Choice {
    Own(Record),
    Recipient(RecipientRecord),
}

fn poisoned() -> Error {
    Error::Store("a thread panicked while re-keying the store".into())
}

/// The domain part of a canonical mailbox.
fn domain_of(mailbox: &Mailbox) -> &str {
    mailbox.canonical().rsplit_once('@').map_or("", |(_, d)| d)
}

/// `domain` in the form mailboxes use (lower-case A-labels), validated.
fn canonical_domain(domain: &str) -> Result<String> {
    let mailbox: Mailbox = format!("postmaster@{}", domain.trim()).parse()?;
    Ok(domain_of(&mailbox).to_owned())
}

fn require_enablement(tx: &dyn Transaction, keys: &Keys) -> Result<bool> {
    let stored = tx
        .meta(META_POLICY)?
        .ok_or_else(|| corrupt(C::Meta { name: META_POLICY }))?;
    match keys.mac.open_meta(META_POLICY, &stored)? {
        [0] => Ok(false),
        [1] => Ok(true),
        _ => Err(corrupt(C::Meta { name: META_POLICY })),
    }
}

fn effective_policy(tx: &dyn Transaction, keys: &Keys, name: &str) -> Result<DomainPolicy> {
    let required = require_enablement(tx, keys)?;
    match tx.domain(name)? {
        Some(row) => {
            keys.mac.check_domain(name, &row.policy, &row.tag)?;
            Ok(row.policy)
        }
        None if required => Ok(DomainPolicy::DISABLED),
        None => Ok(DomainPolicy::ENABLED),
    }
}

fn domain_policy_for(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
) -> Result<(String, DomainPolicy)> {
    let domain = domain_of(mailbox);
    Ok((domain.to_owned(), effective_policy(tx, keys, domain)?))
}

/// The policy of the mailbox's domain, or [`Error::DomainNotEnabled`].
fn allowed(tx: &dyn Transaction, keys: &Keys, mailbox: &Mailbox) -> Result<DomainPolicy> {
    let (domain, policy) = domain_policy_for(tx, keys, mailbox)?;
    if policy.enabled {
        Ok(policy)
    } else {
        Err(Error::DomainNotEnabled { domain })
    }
}

fn checked_heads(tx: &dyn Transaction, keys: &Keys, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
    let heads = tx.heads(mailbox)?;
    for h in &heads {
        keys.mac.check_head(mailbox, h)?;
    }
    Ok(heads)
}

/// The stored settings of `mailbox`, checked; defaults when there is no
/// row, unless the mailbox holds certificates (then the row was deleted).
fn stored_settings(tx: &dyn Transaction, keys: &Keys, mailbox: &Mailbox) -> Result<Settings> {
    match tx.settings(mailbox)? {
        Some(row) => {
            keys.mac.check_settings(mailbox, &row.settings, &row.tag)?;
            Ok(row.settings)
        }
        None => stored_settings_given(tx, keys, mailbox, !tx.heads(mailbox)?.is_empty()),
    }
}

fn stored_settings_given(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    has_records: bool,
) -> Result<Settings> {
    match tx.settings(mailbox)? {
        Some(row) => {
            keys.mac.check_settings(mailbox, &row.settings, &row.tag)?;
            Ok(row.settings)
        }
        None if has_records => Err(corrupt(C::Settings {
            mailbox: mailbox.clone(),
        })),
        None => Ok(Settings::default()),
    }
}

fn put_settings(
    tx: &mut dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    settings: &Settings,
) -> Result<()> {
    let tag = keys.mac.settings_tag(mailbox, settings)?;
    tx.set_settings(
        mailbox,
        &StoredSettings {
            settings: settings.clone(),
            tag,
        },
    )
}

/// The fingerprint `mailbox` signs with at `time`: the chosen one, else the
/// newest valid one that can sign (domain policy checked first).
fn signer_choice(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    time: SystemTime,
) -> Result<Fingerprint> {
    allowed(tx, keys, mailbox)?;
    let heads = checked_heads(tx, keys, mailbox)?;
    let settings = stored_settings_given(tx, keys, mailbox, !heads.is_empty())?;
    settings
        .default_signer
        .filter(|fp| heads.iter().any(|h| &h.fingerprint == fp))
        .or_else(|| newest_signer(&heads, time))
        .ok_or_else(|| Error::NotFound(format!("valid signing certificate for {mailbox}")))
}

/// The newest (notBefore, then import time) head valid at `time` that can sign.
fn newest_signer(heads: &[RecordHead], time: SystemTime) -> Option<Fingerprint> {
    heads
        .iter()
        .filter(|h| h.facts.can_sign && h.facts.valid_at(time))
        .max_by_key(|h| (h.facts.not_before, h.imported_at))
        .map(|h| h.fingerprint)
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

/// The rules every stored [`Settings`] value obeys.
fn check_settings(mailbox: &Mailbox, heads: &[RecordHead], settings: &Settings) -> Result<()> {
    if settings.encrypt_by_default && !heads.iter().any(|h| h.facts.can_decrypt) {
        return Err(Error::NoDecryptionCertificate(mailbox.clone()));
    }
    if let Some(fp) = settings.default_signer {
        let head = heads
            .iter()
            .find(|h| h.fingerprint == fp)
            .ok_or_else(|| not_found(mailbox, &fp))?;
        if !head.facts.can_sign {
            return Err(Error::CertificateNotUsable {
                fingerprint: fp.to_string(),
                reason: "its key usage does not allow signing e-mail",
            });
        }
    }
    Ok(())
}

fn not_found(mailbox: &Mailbox, fingerprint: &Fingerprint) -> Error {
    Error::NotFound(format!("certificate {fingerprint} in mailbox {mailbox}"))
}

/// Brings a store whose rows carry no tags yet (schema 3 and older, check
/// value v1) to tagged rows: facts derived from each certificate, every row
/// tagged, the policy row written and a v2 check value, in one
/// transaction. Runs only after the key was proven right.
fn migrate_tags(backend: &dyn Backend, keys: Keys) -> Result<Keys> {
    let mut check = None;
    backend.write(&mut |tx| {
        check = None;
        tx.lock(Lock::Key { exclusive: true })?;
        let stored = tx.meta(META_CHECK)?;
        if let Some(stored) = stored.as_deref().filter(|c| seal::is_v2(&keys, c)) {
            // Another process migrated meanwhile.
            check = Some(stored.to_vec());
            return Ok(());
        }
        if !keys.current(stored.as_deref()) {
            return Err(Error::StoreKeyChanged);
        }
        retag_all(tx, None, &keys)?;
        let v2 = seal::check_v2(&keys)?;
        tx.set_meta(META_CHECK, &v2)?;
        check = Some(v2);
        Ok(())
    })?;
    let check =
        check.ok_or_else(|| Error::Store("the backend did not run the migration".into()))?;
    Ok(Keys { check, ..keys })
}

/// Re-tags every row of the store under `new` (and re-seals every private
/// key when the KEK changes). With `old`, every row is first checked under
/// the old keys, so a re-key never launders a tampered row; without
/// (migration from untagged rows) facts are derived from the certificates.
fn retag_all(tx: &mut dyn Transaction, old: Option<&Keys>, new: &Keys) -> Result<()> {
    let unsealing = old.unwrap_or(new);
    for mailbox in tx.mailboxes()? {
        let has_records = !tx.heads(&mailbox)?.is_empty();
        for mut record in tx.records(&mailbox)? {
            match old {
                Some(old) => old.mac.check_record(&mailbox, &record)?,
                None => {
                    if Fingerprint::of(&record.certificate) != record.fingerprint {
                        return Err(corrupt(C::Certificate {
                            mailbox: mailbox.clone(),
                            fingerprint: record.fingerprint,
                        }));
                    }
                    record.facts =
                        CertFacts::of(&Certificate::from_der(&record.certificate)?, &mailbox);
                }
            }
            let aad = key_aad(&mailbox, &record.fingerprint);
            let key = unsealing.kek.open(&record.sealed_key, &aad).map_err(|_| {
                corrupt(C::PrivateKey {
                    mailbox: mailbox.clone(),
                    fingerprint: record.fingerprint,
                })
            })?;
            record.sealed_key = new.kek.seal(&key, &aad)?;
            new.mac.tag_record(&mailbox, &mut record)?;
            tx.update_record(&mailbox, &record)?;
        }
        let settings = match (old, tx.settings(&mailbox)?) {
            (Some(old), Some(row)) => {
                old.mac.check_settings(&mailbox, &row.settings, &row.tag)?;
                row.settings
            }
            (Some(_), None) if has_records => {
                return Err(corrupt(C::Settings {
                    mailbox: mailbox.clone(),
                }));
            }
            (_, row) => row.map(|r| r.settings).unwrap_or_default(),
        };
        put_settings(tx, new, &mailbox, &settings)?;
    }
    for address in tx.recipient_addresses()? {
        for mut record in tx.recipients(&address)? {
            match old {
                Some(old) => old.mac.check_recipient(&address, &record)?,
                None => {
                    record.facts =
                        CertFacts::of(&Certificate::from_der(&record.certificate)?, &address);
                }
            }
            record.tag = new.mac.recipient_tag(&address, &record)?;
            tx.update_recipient(&address, &record)?;
        }
    }
    for mut domain in tx.domains()? {
        if let Some(old) = old {
            old.mac
                .check_domain(&domain.name, &domain.policy, &domain.tag)?;
        }
        domain.tag = new.mac.domain_tag(&domain.name, &domain.policy)?;
        tx.set_domain(&domain)?;
    }
    let required = match old {
        Some(old) => require_enablement(tx, old)?,
        None => false,
    };
    tx.set_meta(
        META_POLICY,
        &new.mac.seal_meta(META_POLICY, &[u8::from(required)])?,
    )
}
