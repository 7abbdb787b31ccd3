//! Opening a store: a path (SQLite), a `postgres://` URL, memory or any
//! [`Backend`]; what the caller is warned about and why a file is refused.
#![forbid(unsafe_code)]

use super::*;

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

pub use crate::error::Insecurity;

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
        Err(Error::Store(StoreFailure::BackendNotBuilt {
            feature: "sqlite",
        }))
    }

    #[cfg(feature = "postgres")]
    fn open_url(url: &str, key: StoreKey<'_>) -> Result<Self> {
        Self::open_postgres(url, key)
    }

    #[cfg(not(feature = "postgres"))]
    fn open_url(_url: &str, _key: StoreKey<'_>) -> Result<Self> {
        Err(Error::Store(StoreFailure::BackendNotBuilt {
            feature: "postgres",
        }))
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
}
