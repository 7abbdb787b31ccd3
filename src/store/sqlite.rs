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

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::Insecurity;
use super::backend::{
    Backend, CertFacts, DomainPolicy, RecipientRecord, Record, RecordHead, Settings, StoredDomain,
    StoredSettings, Transaction,
};
use super::backend::{
    capabilities_column, capabilities_from_column, parse_fingerprint, parse_mailbox,
};
use super::integrity::{Corrupted, corrupt};
use crate::cert::Fingerprint;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;

/// The schema this version writes. Each entry of [`MIGRATIONS`] moves a
/// file from version `i` to `i + 1`.
const SCHEMA_VERSION: u32 = 4;

const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first release.
    "CREATE TABLE meta (
         name  TEXT PRIMARY KEY,
         value BLOB NOT NULL
     ) STRICT;
     CREATE TABLE mailboxes (
         address            TEXT PRIMARY KEY,   -- Mailbox::canonical()
         display            TEXT NOT NULL,      -- as the user wrote it
         sign_by_default    INTEGER NOT NULL DEFAULT 0,
         encrypt_by_default INTEGER NOT NULL DEFAULT 0,
         default_signer     BLOB                -- SHA-256 fingerprint or NULL
     ) STRICT;
     CREATE TABLE certificates (
         id          INTEGER PRIMARY KEY,
         mailbox     TEXT NOT NULL REFERENCES mailboxes(address),
         fingerprint BLOB NOT NULL,
         certificate BLOB NOT NULL,
         sealed_key  BLOB NOT NULL,             -- AES-256-GCM, see seal.rs
         imported_at INTEGER NOT NULL,
         UNIQUE (mailbox, fingerprint)
     ) STRICT;
     CREATE TABLE chain (
         certificate_id INTEGER NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,
         position       INTEGER NOT NULL,
         der            BLOB NOT NULL,
         PRIMARY KEY (certificate_id, position)
     ) STRICT;",
    // 1 -> 2: the recipient directory (correspondents' public certificates,
    // one row per address the certificate names).
    "CREATE TABLE recipients (
         id          INTEGER PRIMARY KEY,
         address     TEXT NOT NULL,              -- Mailbox::canonical()
         fingerprint BLOB NOT NULL,
         certificate BLOB NOT NULL,
         added_at    INTEGER NOT NULL,
         UNIQUE (address, fingerprint)
     ) STRICT;",
    // 2 -> 3: what each correspondent announced it can decrypt, learnt from
    // its verified signatures (SMIMECapabilities), to choose AES-GCM.
    "ALTER TABLE recipients ADD COLUMN capabilities TEXT;
     ALTER TABLE recipients ADD COLUMN capabilities_time INTEGER;",
    // 3 -> 4: every row authenticated (tags, see integrity.rs; filled by the
    // store once the key is proven, in the same run), the facts lookups
    // decide on, and per-domain policy.
    "ALTER TABLE certificates ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE certificates ADD COLUMN not_after INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE certificates ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE certificates ADD COLUMN tag BLOB;
     ALTER TABLE certificates ADD COLUMN chain_tag BLOB;
     ALTER TABLE mailboxes ADD COLUMN tag BLOB;
     ALTER TABLE recipients ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE recipients ADD COLUMN not_after INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE recipients ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE recipients ADD COLUMN tag BLOB;
     CREATE TABLE domains (
         name               TEXT PRIMARY KEY,   -- lower-case A-labels
         enabled            INTEGER NOT NULL,
         encryption_allowed INTEGER NOT NULL,
         tag                BLOB NOT NULL
     ) STRICT;",
];

/// Idle connections kept for re-use; more are opened while more threads
/// use the store at once, and closed when they come back.
const MAX_IDLE: usize = 16;

fn db_err(e: rusqlite::Error) -> Error {
    Error::Store(e.to_string())
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
            .ok_or_else(|| Error::Store("connection already returned".into()))
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
            return Err(Error::Store(
                "the file is an SQLite database but not an smime store".into(),
            ));
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

fn schema_version(conn: &Connection) -> Result<u32> {
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    if version > SCHEMA_VERSION {
        return Err(Error::Store(format!(
            "the store file has schema version {version}, newer than this smime ({SCHEMA_VERSION}); upgrade smime"
        )));
    }
    Ok(version)
}

/// Applies the missing migrations in one transaction (re-reading the
/// version inside it, in case another process migrated meanwhile).
fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let version: u32 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql).map_err(db_err)?;
        tx.pragma_update(None, "user_version", (from + 1) as i64)
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

struct SqlTx<'a>(&'a Connection);

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl SqlTx<'_> {
    fn ensure_mailbox(&self, mailbox: &Mailbox) -> Result<()> {
        self.0
            .prepare_cached("INSERT OR IGNORE INTO mailboxes (address, display) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![mailbox.canonical(), mailbox.as_str()]))
            .map_err(db_err)?;
        Ok(())
    }

    fn chain(&self, id: i64) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT der FROM chain WHERE certificate_id = ?1 ORDER BY position")
            .map_err(db_err)?;
        let rows = stmt.query_map([id], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }
}

type RecordRow = (
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
    i64,
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

const RECORD_COLUMNS: &str = "id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after, flags, tag, chain_tag";

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

impl SqlTx<'_> {
    fn to_record(&self, row: RecordRow) -> Result<Record> {
        let (id, fp, certificate, sealed_key, imported_at, nb, na, flags, tag, chain_tag) = row;
        Ok(Record {
            fingerprint: parse_fingerprint(&fp, "certificates")?,
            certificate,
            chain: self.chain(id)?,
            sealed_key,
            imported_at: to_u64(imported_at),
            facts: CertFacts::from_columns(nb, na, flags),
            tag: tag.unwrap_or_default(),
            chain_tag: chain_tag.unwrap_or_default(),
        })
    }
}

impl Transaction for SqlTx<'_> {
    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT address, display FROM mailboxes ORDER BY address")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(db_err)?;
        rows.map(|r| {
            let (address, display) = r.map_err(db_err)?;
            let mailbox = parse_mailbox(&display, "mailboxes")?;
            // Rows are keyed by the canonical form; should its definition
            // ever change, say so instead of silently missing rows.
            if mailbox.canonical() != address {
                return Err(corrupt(Corrupted::Row { table: "mailboxes" }));
            }
            Ok(mailbox)
        })
        .collect()
    }

    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT fingerprint, imported_at, not_before, not_after, flags, tag
                 FROM certificates WHERE mailbox = ?1 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([mailbox.canonical()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<Vec<u8>>>(5)?,
                ))
            })
            .map_err(db_err)?;
        rows.map(|row| {
            let (fp, imported_at, nb, na, flags, tag) = row.map_err(db_err)?;
            Ok(RecordHead {
                fingerprint: parse_fingerprint(&fp, "certificates")?,
                imported_at: to_u64(imported_at),
                facts: CertFacts::from_columns(nb, na, flags),
                tag: tag.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>> {
        let row = self
            .0
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM certificates WHERE mailbox = ?1 AND fingerprint = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(
                    params![mailbox.canonical(), fingerprint.as_bytes().as_slice()],
                    record_row,
                )
                .optional()
            })
            .map_err(db_err)?;
        row.map(|row| self.to_record(row)).transpose()
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        let rows: Vec<RecordRow> = {
            let mut stmt = self
                .0
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM certificates WHERE mailbox = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map([mailbox.canonical()], record_row)
                .map_err(db_err)?;
            rows.collect::<Result<_, _>>().map_err(db_err)?
        };
        rows.into_iter().map(|row| self.to_record(row)).collect()
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>> {
        let row = self
            .0
            .prepare_cached(
                "SELECT sign_by_default, encrypt_by_default, default_signer, tag FROM mailboxes WHERE address = ?1",
            )
            .and_then(|mut s| {
                s.query_row([mailbox.canonical()], |r| {
                    Ok((
                        r.get::<_, bool>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, Option<Vec<u8>>>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((sign_by_default, encrypt_by_default, signer, tag)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredSettings {
            settings: Settings {
                sign_by_default,
                encrypt_by_default,
                default_signer: signer
                    .as_deref()
                    .map(|f| parse_fingerprint(f, "mailboxes"))
                    .transpose()?,
            },
            tag: tag.unwrap_or_default(),
        }))
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        self.0
            .prepare_cached(
                "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at,
                                           not_before, not_after, flags, tag, chain_tag)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    mailbox.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    record.sealed_key,
                    to_i64(record.imported_at),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.chain_tag,
                ])
            })
            .map_err(db_err)?;
        let id = self.0.last_insert_rowid();
        for (position, der) in record.chain.iter().enumerate() {
            self.0
                .prepare_cached(
                    "INSERT INTO chain (certificate_id, position, der) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![id, position as i64, der]))
                .map_err(db_err)?;
        }
        Ok(())
    }

    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let n = self
            .0
            .execute(
                "DELETE FROM certificates WHERE mailbox = ?1 AND fingerprint = ?2",
                params![mailbox.canonical(), fingerprint.as_bytes().as_slice()],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    fn set_settings(&mut self, mailbox: &Mailbox, stored: &StoredSettings) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        let settings = &stored.settings;
        self.0
            .execute(
                "UPDATE mailboxes SET sign_by_default = ?2, encrypt_by_default = ?3, default_signer = ?4, tag = ?5
                 WHERE address = ?1",
                params![
                    mailbox.canonical(),
                    settings.sign_by_default,
                    settings.encrypt_by_default,
                    settings.default_signer.as_ref().map(|f| f.as_bytes().to_vec()),
                    stored.tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.0
            .execute(
                "UPDATE certificates SET sealed_key = ?3, not_before = ?4, not_after = ?5, flags = ?6,
                                         tag = ?7, chain_tag = ?8
                 WHERE mailbox = ?1 AND fingerprint = ?2",
                params![
                    mailbox.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.sealed_key,
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.chain_tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.0
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .map_err(db_err)
    }

    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn recipient_addresses(&self) -> Result<Vec<Mailbox>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT DISTINCT address FROM recipients ORDER BY address")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        rows.map(|r| parse_mailbox(&r.map_err(db_err)?, "recipients"))
            .collect()
    }

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT fingerprint, certificate, added_at, capabilities, capabilities_time,
                        not_before, not_after, flags, tag
                 FROM recipients WHERE address = ?1 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([address.canonical()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<Vec<u8>>>(8)?,
                ))
            })
            .map_err(db_err)?;
        rows.map(|row| {
            let (fp, certificate, added_at, capabilities, capabilities_time, nb, na, flags, tag) =
                row.map_err(db_err)?;
            Ok(RecipientRecord {
                fingerprint: parse_fingerprint(&fp, "recipients")?,
                certificate,
                added_at: to_u64(added_at),
                capabilities: capabilities.as_deref().map(capabilities_from_column),
                capabilities_time: capabilities_time.and_then(|t| u64::try_from(t).ok()),
                facts: CertFacts::from_columns(nb, na, flags),
                tag: tag.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.0
            .execute(
                "INSERT INTO recipients
                 (address, fingerprint, certificate, added_at, capabilities, capabilities_time,
                  not_before, not_after, flags, tag)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    address.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    to_i64(record.added_at),
                    record.capabilities.as_deref().map(capabilities_column),
                    record.capabilities_time.map(to_i64),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.0
            .execute(
                "UPDATE recipients SET capabilities = ?3, capabilities_time = ?4, not_before = ?5,
                                       not_after = ?6, flags = ?7, tag = ?8
                 WHERE address = ?1 AND fingerprint = ?2",
                params![
                    address.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.capabilities.as_deref().map(capabilities_column),
                    record.capabilities_time.map(to_i64),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let n = self
            .0
            .execute(
                "DELETE FROM recipients WHERE address = ?1 AND fingerprint = ?2",
                params![address.canonical(), fingerprint.as_bytes().as_slice()],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    fn domains(&self) -> Result<Vec<StoredDomain>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT name, enabled, encryption_allowed, tag FROM domains ORDER BY name",
            )
            .map_err(db_err)?;
        let rows = stmt.query_map([], domain_row).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn domain(&self, name: &str) -> Result<Option<StoredDomain>> {
        self.0
            .prepare_cached(
                "SELECT name, enabled, encryption_allowed, tag FROM domains WHERE name = ?1",
            )
            .and_then(|mut s| s.query_row([name], domain_row).optional())
            .map_err(db_err)
    }

    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO domains (name, enabled, encryption_allowed, tag) VALUES (?1, ?2, ?3, ?4)",
                params![
                    domain.name,
                    domain.policy.enabled,
                    domain.policy.encryption_allowed,
                    domain.tag
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn delete_domain(&mut self, name: &str) -> Result<bool> {
        let n = self
            .0
            .execute("DELETE FROM domains WHERE name = ?1", [name])
            .map_err(db_err)?;
        Ok(n > 0)
    }
}

fn domain_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDomain> {
    Ok(StoredDomain {
        name: r.get(0)?,
        policy: DomainPolicy::new(r.get(1)?, r.get(2)?),
        tag: r.get(3)?,
    })
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
