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
//! `SqliteBackend::BUSY_TIMEOUT`, 10 s, then fail); on PostgreSQL writers to
//! different mailboxes run in parallel and writers to one mailbox queue on
//! its lock. Opening with a passphrase blocks for its PBKDF2 (about 0.15 s);
//! with a [`KeyEncryptionKey`] it costs milliseconds. A re-key or a
//! migration rewrites every row in one transaction and blocks other writers
//! meanwhile (readers keep reading the old state).
#![forbid(unsafe_code)]

mod backend;
mod directory;
mod import;
mod integrity;
mod memory;
mod policy;
#[cfg(feature = "postgres")]
mod postgres;
mod rekey;
mod seal;
#[cfg(feature = "sqlite")]
mod sqlite;

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
use crate::error::{Error, Missing, Result, Unusable};
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::mailbox::Mailbox;
use crate::secret::{Passphrase, Password};
use integrity::{Corrupted as C, corrupt};
use policy::{allowed, domain_of, domain_policy_for, require_enablement};
use rekey::migrate_tags;
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
}

fn poisoned() -> Error {
    Error::Store("a thread panicked while re-keying the store".into())
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
        .ok_or_else(|| Error::NotFound(Missing::SigningCertificate(mailbox.clone())))
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
                fingerprint: fp,
                reason: Unusable::CannotSign,
            });
        }
    }
    Ok(())
}

fn not_found(mailbox: &Mailbox, fingerprint: &Fingerprint) -> Error {
    Error::NotFound(Missing::Certificate {
        mailbox: mailbox.clone(),
        fingerprint: *fingerprint,
    })
}
