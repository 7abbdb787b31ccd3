//! The SQLite schema: its version (`PRAGMA user_version`) and the
//! migrations that move a file from one version to the next.
#![forbid(unsafe_code)]

use super::*;

/// The schema this version writes. Each entry of [`MIGRATIONS`] moves a
/// file from version `i` to `i + 1`.
pub(super) const SCHEMA_VERSION: u32 = 5;

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
    // 4 -> 5: how the recipient directory learnt each certificate (NULL for
    // older rows: unverified), and the store-wide trust rows (anchors and
    // CRLs, see store/trust.rs).
    "ALTER TABLE recipients ADD COLUMN provenance INTEGER;
     CREATE TABLE trust (
         kind     TEXT NOT NULL,                -- 'anchor' | 'crl'
         key      BLOB NOT NULL,                -- fingerprint | issuer name DER
         der      BLOB NOT NULL,
         added_at INTEGER NOT NULL,
         tag      BLOB NOT NULL,
         PRIMARY KEY (kind, key)
     ) STRICT;",
];

pub(super) fn schema_version(conn: &Connection) -> Result<u32> {
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    if version > SCHEMA_VERSION {
        return Err(Error::Store(StoreFailure::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        }));
    }
    Ok(version)
}

/// Applies the missing migrations in one transaction (re-reading the
/// version inside it, in case another process migrated meanwhile).
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
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
