//! [`SqliteBackend`]: the store as one SQLite file (bundled SQLite, no
//! system library needed).
//!
//! Crash safety comes from SQLite transactions (WAL journal,
//! `synchronous=FULL`): every [`Backend::write`] is one `BEGIN IMMEDIATE`
//! transaction, so a process killed at any instant leaves either the old
//! or the new state. Concurrent processes wait up to [`BUSY_TIMEOUT`] for
//! the write lock instead of failing at once.
//!
//! The schema is versioned with `PRAGMA user_version`; a file written by a
//! newer schema is refused, never modified.
#![forbid(unsafe_code)]

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::backend::{Backend, RecipientRecord, Record, Settings, Transaction};
use crate::algorithm::ContentEncryption;
use crate::cert::Fingerprint;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;

/// How long a writer waits for another process's transaction.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema this version writes. Each entry of [`MIGRATIONS`] moves a
/// file from version `i` to `i + 1`.
const SCHEMA_VERSION: u32 = 3;

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
];

fn db_err(e: rusqlite::Error) -> Error {
    Error::Store(e.to_string())
}

/// The SQLite backend. [`crate::Store::open`] uses it; open it yourself
/// only to hand it to [`crate::Store::with_backend`].
pub struct SqliteBackend {
    conn: Connection,
}

impl SqliteBackend {
    /// Opens or creates the file. A new file gets the current schema at
    /// once; an older one is migrated by [`Backend::upgrade`], which the
    /// store calls only after the passphrase proved right. A file from a
    /// newer schema, or an SQLite database that is not an `smime` store,
    /// is refused before anything is written to it.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_err)?;
        let backend = SqliteBackend { conn };
        let version = backend.schema_version()?;
        if version == 0 && backend.has_tables()? {
            return Err(Error::Store(
                "the file is an SQLite database but not an smime store".into(),
            ));
        }
        // journal_mode answers with a row; WAL lets readers run beside a writer.
        backend
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .map_err(db_err)?;
        backend
            .conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(db_err)?;
        let mut backend = backend;
        if version == 0 {
            backend.migrate()?;
        }
        Ok(backend)
    }

    fn schema_version(&self) -> Result<u32> {
        let version: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(db_err)?;
        if version > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the store file has schema version {version}, newer than this smime ({SCHEMA_VERSION}); upgrade smime"
            )));
        }
        Ok(version)
    }

    fn has_tables(&self) -> Result<bool> {
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n > 0)
            .map_err(db_err)
    }

    /// Applies the missing migrations in one transaction (re-reading the
    /// version inside it, in case another process migrated meanwhile).
    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
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
}

struct SqlTx<'a>(&'a Connection);

/// The `recipients.capabilities` column: comma-separated names, most
/// preferred first (the format schema version 3 introduced).
fn capabilities_column(capabilities: &[ContentEncryption]) -> String {
    capabilities
        .iter()
        .filter_map(|c| capability_name(*c))
        .collect::<Vec<_>>()
        .join(",")
}

/// The inverse of [`capabilities_column`]; unknown names are skipped.
fn capabilities_from_column(text: &str) -> Vec<ContentEncryption> {
    text.split(',')
        .filter_map(|name| {
            ContentEncryption::ANNOUNCED
                .into_iter()
                .find(|c| capability_name(*c) == Some(name))
        })
        .collect()
}

fn capability_name(c: ContentEncryption) -> Option<&'static str> {
    Some(match c {
        ContentEncryption::Aes256Cbc => "aes256-cbc",
        ContentEncryption::Aes128Gcm => "aes128-gcm",
        ContentEncryption::Aes256Gcm => "aes256-gcm",
        _ => return None,
    })
}

fn parse_mailbox(text: &str) -> Result<Mailbox> {
    text.parse()
        .map_err(|_| Error::Store(format!("corrupt mailbox row {text:?}")))
}

fn parse_fingerprint(bytes: &[u8]) -> Result<Fingerprint> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| Error::Store("corrupt fingerprint".into()))?;
    Ok(Fingerprint::from_bytes(arr))
}

impl SqlTx<'_> {
    fn ensure_mailbox(&self, mailbox: &Mailbox) -> Result<()> {
        self.0
            .execute(
                "INSERT OR IGNORE INTO mailboxes (address, display) VALUES (?1, ?2)",
                params![mailbox.canonical(), mailbox.as_str()],
            )
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
            let mailbox = parse_mailbox(&display)?;
            // Rows are keyed by the canonical form; should its definition
            // ever change, say so instead of silently missing rows.
            if mailbox.canonical() != address {
                return Err(Error::Store(format!(
                    "mailbox row {address:?} is not in canonical form"
                )));
            }
            Ok(mailbox)
        })
        .collect()
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT id, fingerprint, certificate, sealed_key, imported_at
                 FROM certificates WHERE mailbox = ?1 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([mailbox.canonical()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, fp, certificate, sealed_key, imported_at) = row.map_err(db_err)?;
            out.push(Record {
                fingerprint: parse_fingerprint(&fp)?,
                certificate,
                chain: self.chain(id)?,
                sealed_key,
                imported_at: u64::try_from(imported_at).unwrap_or(0),
            });
        }
        Ok(out)
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Settings> {
        let row = self
            .0
            .query_row(
                "SELECT sign_by_default, encrypt_by_default, default_signer FROM mailboxes WHERE address = ?1",
                [mailbox.canonical()],
                |r| Ok((r.get::<_, bool>(0)?, r.get::<_, bool>(1)?, r.get::<_, Option<Vec<u8>>>(2)?)),
            )
            .optional()
            .map_err(db_err)?;
        let Some((sign_by_default, encrypt_by_default, signer)) = row else {
            return Ok(Settings::default());
        };
        Ok(Settings {
            sign_by_default,
            encrypt_by_default,
            default_signer: signer.as_deref().map(parse_fingerprint).transpose()?,
        })
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        self.0
            .execute(
                "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    mailbox.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    record.sealed_key,
                    i64::try_from(record.imported_at).unwrap_or(i64::MAX),
                ],
            )
            .map_err(db_err)?;
        let id = self.0.last_insert_rowid();
        for (position, der) in record.chain.iter().enumerate() {
            self.0
                .execute(
                    "INSERT INTO chain (certificate_id, position, der) VALUES (?1, ?2, ?3)",
                    params![id, position as i64, der],
                )
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

    fn set_settings(&mut self, mailbox: &Mailbox, settings: &Settings) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        self.0
            .execute(
                "UPDATE mailboxes SET sign_by_default = ?2, encrypt_by_default = ?3, default_signer = ?4
                 WHERE address = ?1",
                params![
                    mailbox.canonical(),
                    settings.sign_by_default,
                    settings.encrypt_by_default,
                    settings.default_signer.as_ref().map(|f| f.as_bytes().to_vec()),
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn replace_sealed_key(
        &mut self,
        mailbox: &Mailbox,
        fingerprint: &Fingerprint,
        sealed_key: &[u8],
    ) -> Result<()> {
        self.0
            .execute(
                "UPDATE certificates SET sealed_key = ?3 WHERE mailbox = ?1 AND fingerprint = ?2",
                params![
                    mailbox.canonical(),
                    fingerprint.as_bytes().as_slice(),
                    sealed_key
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.0
            .query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
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

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT fingerprint, certificate, added_at, capabilities, capabilities_time
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
                ))
            })
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            let (fp, certificate, added_at, capabilities, capabilities_time) =
                row.map_err(db_err)?;
            out.push(RecipientRecord {
                fingerprint: parse_fingerprint(&fp)?,
                certificate,
                added_at: u64::try_from(added_at).unwrap_or(0),
                capabilities: capabilities.as_deref().map(capabilities_from_column),
                capabilities_time: capabilities_time.and_then(|t| u64::try_from(t).ok()),
            });
        }
        Ok(out)
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.0
            .execute(
                "INSERT INTO recipients
                 (address, fingerprint, certificate, added_at, capabilities, capabilities_time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    address.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    i64::try_from(record.added_at).unwrap_or(i64::MAX),
                    record.capabilities.as_deref().map(capabilities_column),
                    record.capabilities_time.and_then(|t| i64::try_from(t).ok()),
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
}

impl Backend for SqliteBackend {
    fn upgrade(&mut self) -> Result<()> {
        if self.schema_version()? < SCHEMA_VERSION {
            self.migrate()?;
        }
        Ok(())
    }

    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()> {
        // A deferred transaction gives the reads one consistent snapshot.
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        f(&SqlTx(&tx))?;
        tx.commit().map_err(db_err)
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        f(&mut SqlTx(&tx))?; // dropping `tx` on error rolls back
        tx.commit().map_err(db_err)
    }
}
