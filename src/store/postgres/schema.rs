//! The PostgreSQL schema (the same version numbering as SQLite's) and
//! its creation or upgrade under an advisory lock.
#![forbid(unsafe_code)]

use super::*;

/// The schema this version writes (the same numbering as SQLite's).
const SCHEMA_VERSION: i32 = 5;

const CREATE: &str = "
CREATE TABLE smime_schema (version integer NOT NULL);
CREATE TABLE meta (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
CREATE TABLE mailboxes (
    address            text PRIMARY KEY,
    display            text NOT NULL,
    sign_by_default    boolean NOT NULL DEFAULT false,
    encrypt_by_default boolean NOT NULL DEFAULT false,
    default_signer     bytea,
    tag                bytea
);
CREATE TABLE certificates (
    id          bigserial PRIMARY KEY,
    mailbox     text NOT NULL REFERENCES mailboxes(address),
    fingerprint bytea NOT NULL,
    certificate bytea NOT NULL,
    sealed_key  bytea NOT NULL,
    imported_at bigint NOT NULL,
    not_before  bigint NOT NULL,
    not_after   bigint NOT NULL,
    flags       bigint NOT NULL,
    tag         bytea,
    chain_tag   bytea,
    UNIQUE (mailbox, fingerprint)
);
CREATE TABLE chain (
    certificate_id bigint NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,
    position       integer NOT NULL,
    der            bytea NOT NULL,
    PRIMARY KEY (certificate_id, position)
);
CREATE TABLE recipients (
    id                bigserial PRIMARY KEY,
    address           text NOT NULL,
    fingerprint       bytea NOT NULL,
    certificate       bytea NOT NULL,
    added_at          bigint NOT NULL,
    capabilities      text,
    capabilities_time bigint,
    not_before        bigint NOT NULL,
    not_after         bigint NOT NULL,
    flags             bigint NOT NULL,
    tag               bytea,
    provenance        bigint,
    UNIQUE (address, fingerprint)
);
CREATE TABLE domains (
    name               text PRIMARY KEY,
    enabled            boolean NOT NULL,
    encryption_allowed boolean NOT NULL,
    tag                bytea NOT NULL
);
CREATE TABLE trust (
    id       bigserial PRIMARY KEY,
    kind     text NOT NULL,
    key      bytea NOT NULL,
    der      bytea NOT NULL,
    added_at bigint NOT NULL,
    tag      bytea NOT NULL,
    UNIQUE (kind, key)
);
INSERT INTO smime_schema (version) VALUES (5);
";

/// Each entry moves a database from version `i + 4` to `i + 5` (version 4
/// was the first PostgreSQL schema; [`CREATE`] writes the newest at once).
const UPGRADES: &[&str] = &[
    // 4 -> 5: recipient provenance and the trust rows (anchors, CRLs).
    "ALTER TABLE recipients ADD COLUMN provenance bigint;
     CREATE TABLE trust (
         id       bigserial PRIMARY KEY,
         kind     text NOT NULL,
         key      bytea NOT NULL,
         der      bytea NOT NULL,
         added_at bigint NOT NULL,
         tag      bytea NOT NULL,
         UNIQUE (kind, key)
     );
     UPDATE smime_schema SET version = 5;",
];

impl PostgresBackend {
    /// Creates or upgrades the schema, under a lock so that nodes starting
    /// together do it once.
    pub(super) fn migrate(&self) -> Result<()> {
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction().map_err(db_err)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:migrate'))",
            &[],
        )
        .map_err(db_err)?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('smime_schema') IS NOT NULL", &[])
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        let version: i32 = if exists {
            tx.query_one("SELECT max(version) FROM smime_schema", &[])
                .and_then(|r| r.try_get::<_, Option<i32>>(0))
                .map_err(db_err)?
                .unwrap_or(0)
        } else {
            let foreign: i64 = tx
                .query_one(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                    &[],
                )
                .and_then(|r| r.try_get(0))
                .map_err(db_err)?;
            if foreign > 0 {
                return Err(Error::Store(StoreFailure::NotAStore));
            }
            0
        };
        if version > SCHEMA_VERSION {
            return Err(Error::Store(StoreFailure::SchemaTooNew {
                found: version.unsigned_abs(),
                supported: SCHEMA_VERSION.unsigned_abs(),
            }));
        }
        if version == 0 {
            tx.batch_execute(CREATE).map_err(db_err)?;
        } else {
            let done = usize::try_from(version.saturating_sub(4)).unwrap_or(0);
            for sql in UPGRADES.iter().skip(done) {
                tx.batch_execute(sql).map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }
}
