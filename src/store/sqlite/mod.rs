//! [`SqliteBackend`]: the store as one SQLite file (bundled SQLite, no
//! system library needed).
//!
//! Crash safety comes from SQLite transactions (WAL journal,
//! `synchronous=FULL`): every [`Backend::write`] is one `BEGIN IMMEDIATE`
//! transaction, so a process killed at any instant leaves either the old
//! or the new state. Concurrent writers (threads or processes) wait up to
//! [`SqliteBackend::BUSY_TIMEOUT`] for the write lock instead of failing at
//! once; readers never wait (WAL). One backend keeps a small pool of
//! connections, one per thread that is using the store at the moment, so
//! one [`crate::Store`] serves many threads.
//!
//! The file is created `0600` (SQLite gives its `-wal` and `-shm` files
//! the same mode), missing directories `0700`; a file (or `-wal`/`-shm`)
//! that is a symbolic link, not a regular file, or writable by group or
//! others is refused ([`Error::StoreInsecure`]), like ssh refuses a loose
//! key file: whoever can write it can delete or roll back rows. A file
//! readable by others is opened, with [`SqliteBackend::readable_by_others`]
//! saying so (keys stay sealed; see the README's security notes).
//!
//! The schema is versioned with `PRAGMA user_version`; a file written by a
//! newer schema is refused, never modified.
#![forbid(unsafe_code)]

mod schema;
mod transaction;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::Insecurity;
use super::backend::{
    Backend, CertFacts, DomainPolicy, Provenance, RecipientRecord, Record, RecordHead, Settings,
    StoredDomain, StoredSettings, Transaction, TrustKind, TrustRecord,
};
use super::backend::{
    capabilities_column, capabilities_from_column, parse_fingerprint, parse_mailbox,
    provenance_column,
};
use super::integrity::{Corrupted, corrupt};
use crate::cert::Fingerprint;
use crate::error::{Error, Result, StoreFailure};
use crate::mailbox::Mailbox;

use schema::{SCHEMA_VERSION, migrate, schema_version};
use transaction::SqlTx;

/// Idle connections kept for re-use; more are opened while more threads
/// use the store at once, and closed when they come back.
const MAX_IDLE: usize = 16;

fn db_err(e: rusqlite::Error) -> Error {
    Error::Store(StoreFailure::Database(e.to_string()))
}

/// The SQLite backend. [`crate::Store::open`] uses it; open it yourself
/// only to hand it to [`crate::Store::with_backend`].
pub struct SqliteBackend {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    readable_by_others: Option<u32>,
}

/// A connection taken from the pool; back into it on drop.
struct Pooled<'a> {
    conn: Option<Connection>,
    pool: &'a SqliteBackend,
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut idle)) = (self.conn.take(), self.pool.idle.lock())
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }
}

impl Pooled<'_> {
    fn get(&mut self) -> Result<&mut Connection> {
        self.conn
            .as_mut()
            .ok_or(Error::Store(StoreFailure::Internal(
                "connection already returned",
            )))
    }
}

impl SqliteBackend {
    /// How long a writer waits for another process's (or thread's)
    /// transaction before the write fails.
    pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

    /// Opens or creates the file. A new file gets the current schema at
    /// once; an older one is migrated by [`Backend::upgrade`], which the
    /// store calls only after the key proved right. A file from a newer
    /// schema, or an SQLite database that is not an `smime` store, is
    /// refused before anything is written to it; so is a file that is not
    /// safe to use ([`Error::StoreInsecure`], see the module docs).
    pub fn open(path: &Path) -> Result<Self> {
        let readable_by_others = secure_file(path)?;
        let backend = SqliteBackend {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            readable_by_others,
        };
        let mut pooled = backend.conn()?;
        let conn = pooled.get()?;
        // One snapshot: another process may be creating the schema now.
        let (version, tables) = {
            let tx = conn.transaction().map_err(db_err)?;
            let version = schema_version(&tx)?;
            let tables: i64 = tx
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            (version, tables)
        };
        if version == 0 && tables > 0 {
            return Err(Error::Store(StoreFailure::NotAStore));
        }
        // journal_mode answers with a row; WAL lets readers run beside a writer.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(db_err)?;
        if version == 0 {
            migrate(conn)?;
        }
        drop(pooled);
        Ok(backend)
    }

    /// The file's permission bits when group or others may read it (the
    /// store opened anyway: keys are sealed); `None` otherwise.
    pub fn readable_by_others(&self) -> Option<u32> {
        self.readable_by_others
    }

    fn conn(&self) -> Result<Pooled<'_>> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE
                        | OpenFlags::SQLITE_OPEN_CREATE
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(db_err)?;
                conn.busy_timeout(Self::BUSY_TIMEOUT).map_err(db_err)?;
                conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
                    .map_err(db_err)?;
                conn
            }
        };
        Ok(Pooled {
            conn: Some(conn),
            pool: self,
        })
    }
}

/// Checks an existing store file (and its `-wal`/`-shm`) or creates it
/// `0600` (missing directories `0700`). Returns the mode when others may
/// read the file.
#[cfg(unix)]
fn secure_file(path: &Path) -> Result<Option<u32>> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let insecure = |reason| Error::StoreInsecure {
        path: path.to_owned(),
        reason,
    };
    let check = |p: &Path| -> Result<Option<u32>> {
        let meta = match std::fs::symlink_metadata(p) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if meta.file_type().is_symlink() {
            return Err(insecure(Insecurity::Symlink));
        }
        if !meta.is_file() {
            return Err(insecure(Insecurity::NotARegularFile));
        }
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(insecure(Insecurity::WritableByOthers { mode }));
        }
        Ok((mode & 0o044 != 0).then_some(mode))
    };
    for side in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(side);
        check(Path::new(&p))?;
    }
    if std::fs::symlink_metadata(path).is_ok() {
        return check(path);
    }
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(_) => Ok(None),
        // Another process created it meanwhile: check what it made.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => check(path),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn secure_file(_path: &Path) -> Result<Option<u32>> {
    Ok(None)
}

impl Backend for SqliteBackend {
    fn upgrade(&self) -> Result<()> {
        let mut pooled = self.conn()?;
        let conn = pooled.get()?;
        if schema_version(conn)? < SCHEMA_VERSION {
            migrate(conn)?;
        }
        Ok(())
    }

    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()> {
        let mut pooled = self.conn()?;
        let conn = pooled.get()?;
        // A deferred transaction gives the reads one consistent snapshot.
        let tx = conn.transaction().map_err(db_err)?;
        f(&SqlTx(&tx))?;
        tx.commit().map_err(db_err)
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut pooled = self.conn()?;
        let conn = pooled.get()?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        f(&mut SqlTx(&tx))?; // dropping `tx` on error rolls back
        tx.commit().map_err(db_err)
    }
}
