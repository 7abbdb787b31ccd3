//! [`PostgresBackend`]: the store in a PostgreSQL database shared by many
//! nodes (cargo feature `postgres`).
//!
//! - **Client and pool**: the synchronous `postgres` crate (the
//!   [`Backend`] trait is synchronous; an async runtime would add nothing
//!   but a second executor inside a library), pooled with `r2d2` (checkout
//!   timeout, broken-connection detection), each pooled connection keeping
//!   its prepared statements so a lookup costs one round trip per query.
//!   TLS through OpenSSL (already a dependency) when the server offers it;
//!   certificates are verified against OpenSSL's default roots.
//! - **Consistency**: writes run in READ COMMITTED transactions that take
//!   transaction-scoped advisory locks before they read what they decide
//!   on: one per mailbox (exclusive), and one for the store key (shared by
//!   every write, exclusive for a re-key or migration), always in the order
//!   key, mailbox. After a lock is granted every statement sees what the
//!   previous holder committed, so the 30-certificate cap, idempotent
//!   import and the settings rules hold across nodes without retry loops:
//!   eight writers on one mailbox queue instead of aborting each other as
//!   SERIALIZABLE would make them (writers on different mailboxes never
//!   wait for each other). A serialization failure or deadlock, should one
//!   happen anyway, is retried up to [`MAX_ATTEMPTS`] times. Reads run in
//!   REPEATABLE READ READ ONLY transactions: one snapshot, never blocked.
//!   The locks are keyed by `current_schema()`, so stores in different
//!   schemas of one database do not contend.
//! - **Schema**: the SQLite schema's version numbers; a database is
//!   created at version 4 (tagged rows, facts, domains) in one migration,
//!   later versions migrate both backends alike. The version lives in
//!   `smime_schema`; a newer one is refused untouched.
//! - **Keys**: sealed by the store exactly as for SQLite; the database only
//!   ever sees sealed keys and tags.
#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, Row, Statement};
use postgres_openssl::MakeTlsConnector;

use super::backend::{
    Backend, CertFacts, DomainPolicy, Lock, RecipientRecord, Record, RecordHead, Settings,
    StoredDomain, StoredSettings, Transaction,
};
use super::backend::{
    capabilities_column, capabilities_from_column, parse_fingerprint, parse_mailbox,
};
use super::integrity::{Corrupted, corrupt};
use crate::cert::Fingerprint;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;

/// The schema this version writes (the same numbering as SQLite's).
const SCHEMA_VERSION: i32 = 4;

/// How often a write is tried when PostgreSQL reports a serialization
/// failure or a deadlock.
pub const MAX_ATTEMPTS: u32 = 5;

/// How long a thread waits for a pooled connection.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a writer waits for a lock before the database gives up
/// (`lock_timeout`), like SQLite's busy timeout.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

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
    UNIQUE (address, fingerprint)
);
CREATE TABLE domains (
    name               text PRIMARY KEY,
    enabled            boolean NOT NULL,
    encryption_allowed boolean NOT NULL,
    tag                bytea NOT NULL
);
INSERT INTO smime_schema (version) VALUES (4);
";

/// A serialization failure or a deadlock: the transaction may succeed
/// when run again.
fn is_transient(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

fn db_err(e: postgres::Error) -> Error {
    Error::Store(format!("PostgreSQL: {e}"))
}

/// A pooled connection with its prepared statements.
pub struct PgConnection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// Opens connections for the pool.
struct Manager {
    config: postgres::Config,
    tls: MakeTlsConnector,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConnection, postgres::Error> {
        let mut client = self.config.connect(self.tls.clone())?;
        client.batch_execute(&format!(
            "SET lock_timeout = '{}ms'",
            LOCK_TIMEOUT.as_millis()
        ))?;
        Ok(PgConnection {
            client,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> std::result::Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.client.is_closed()
    }
}

/// The PostgreSQL backend; see the module docs. [`crate::Store::open`]
/// with a `postgres://` URL uses it.
pub struct PostgresBackend {
    pool: r2d2::Pool<Manager>,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The configuration may hold a password: never printed.
        f.debug_struct("PostgresBackend").finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connections a pool opened by [`crate::Store::open`] may hold.
    pub const DEFAULT_POOL_SIZE: u32 = 16;

    /// Connects to `url` with a pool of at most `pool_size` connections
    /// (one is opened now, the others when threads need them) and creates
    /// the schema in an empty database (`CREATE` rights needed then). A
    /// database from a newer schema is refused untouched.
    pub fn connect(url: &str, pool_size: u32) -> Result<Self> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| Error::Store(format!("invalid PostgreSQL URL: {e}")))?;
        let tls = MakeTlsConnector::new(SslConnector::builder(SslMethod::tls())?.build());
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(Manager { config, tls })
            .map_err(|e| Error::Store(format!("PostgreSQL: {e}")))?;
        let backend = PostgresBackend { pool };
        backend.migrate()?;
        Ok(backend)
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| Error::Store(format!("PostgreSQL: {e}")))
    }

    /// Creates or upgrades the schema, under a lock so that nodes starting
    /// together do it once.
    fn migrate(&self) -> Result<()> {
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
                return Err(Error::Store(
                    "the PostgreSQL schema holds tables but is not an smime store".into(),
                ));
            }
            0
        };
        if version > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the store database has schema version {version}, newer than this smime ({SCHEMA_VERSION}); upgrade smime"
            )));
        }
        if version == 0 {
            tx.batch_execute(CREATE).map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }
}

/// One transaction on a pooled connection.
struct PgTx<'a> {
    tx: RefCell<postgres::Transaction<'a>>,
    statements: RefCell<&'a mut HashMap<&'static str, Statement>>,
    /// A serialization failure or deadlock happened: worth another attempt.
    transient: Cell<bool>,
}

impl PgTx<'_> {
    fn err(&self, e: postgres::Error) -> Error {
        if is_transient(&e) {
            self.transient.set(true);
        }
        db_err(e)
    }

    fn statement(&self, sql: &'static str) -> Result<Statement> {
        let mut statements = self.statements.borrow_mut();
        if let Some(s) = statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.borrow_mut().prepare(sql).map_err(|e| self.err(e))?;
        statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .query(&statement, params)
            .map_err(|e| self.err(e))
    }

    fn execute(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .execute(&statement, params)
            .map_err(|e| self.err(e))
    }

    fn ensure_mailbox(&self, mailbox: &Mailbox) -> Result<()> {
        self.execute(
            "INSERT INTO mailboxes (address, display) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&mailbox.canonical(), &mailbox.as_str()],
        )?;
        Ok(())
    }

    fn chain(&self, id: i64) -> Result<Vec<Vec<u8>>> {
        self.query(
            "SELECT der FROM chain WHERE certificate_id = $1 ORDER BY position",
            &[&id],
        )?
        .iter()
        .map(|r| get(r, 0, "chain"))
        .collect()
    }

    fn to_record(&self, row: &Row) -> Result<Record> {
        const T: &str = "certificates";
        Ok(Record {
            fingerprint: parse_fingerprint(&get::<Vec<u8>>(row, 1, T)?, T)?,
            certificate: get(row, 2, T)?,
            chain: self.chain(get(row, 0, T)?)?,
            sealed_key: get(row, 3, T)?,
            imported_at: to_u64(get(row, 4, T)?),
            facts: CertFacts::from_columns(get(row, 5, T)?, get(row, 6, T)?, get(row, 7, T)?),
            tag: get::<Option<Vec<u8>>>(row, 8, T)?.unwrap_or_default(),
            chain_tag: get::<Option<Vec<u8>>>(row, 9, T)?.unwrap_or_default(),
        })
    }
}

fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    table: &'static str,
) -> Result<T> {
    row.try_get(i)
        .map_err(|_| corrupt(Corrupted::Row { table }))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Transaction for PgTx<'_> {
    fn lock(&mut self, what: Lock<'_>) -> Result<()> {
        match what {
            Lock::Key { exclusive: true } => self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:key'))",
                &[],
            ),
            Lock::Key { exclusive: false } => self.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext(current_schema()), hashtext('smime:key'))",
                &[],
            ),
            Lock::Mailbox(mailbox) => self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:mailbox:' || $1))",
                &[&mailbox.canonical()],
            ),
            _ => Ok(0),
        }?;
        Ok(())
    }

    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        const T: &str = "mailboxes";
        self.query(
            "SELECT address, display FROM mailboxes ORDER BY address",
            &[],
        )?
        .iter()
        .map(|r| {
            let address: String = get(r, 0, T)?;
            let mailbox = parse_mailbox(&get::<String>(r, 1, T)?, T)?;
            if mailbox.canonical() != address {
                return Err(corrupt(Corrupted::Row { table: T }));
            }
            Ok(mailbox)
        })
        .collect()
    }

    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
        const T: &str = "certificates";
        self.query(
            "SELECT fingerprint, imported_at, not_before, not_after, flags, tag
             FROM certificates WHERE mailbox = $1 ORDER BY id",
            &[&mailbox.canonical()],
        )?
        .iter()
        .map(|r| {
            Ok(RecordHead {
                fingerprint: parse_fingerprint(&get::<Vec<u8>>(r, 0, T)?, T)?,
                imported_at: to_u64(get(r, 1, T)?),
                facts: CertFacts::from_columns(get(r, 2, T)?, get(r, 3, T)?, get(r, 4, T)?),
                tag: get::<Option<Vec<u8>>>(r, 5, T)?.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>> {
        let rows = self.query(
            "SELECT id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after,
                    flags, tag, chain_tag
             FROM certificates WHERE mailbox = $1 AND fingerprint = $2",
            &[&mailbox.canonical(), &fingerprint.as_bytes().as_slice()],
        )?;
        rows.first().map(|r| self.to_record(r)).transpose()
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        self.query(
            "SELECT id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after,
                    flags, tag, chain_tag
             FROM certificates WHERE mailbox = $1 ORDER BY id",
            &[&mailbox.canonical()],
        )?
        .iter()
        .map(|r| self.to_record(r))
        .collect()
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>> {
        const T: &str = "mailboxes";
        let rows = self.query(
            "SELECT sign_by_default, encrypt_by_default, default_signer, tag
             FROM mailboxes WHERE address = $1",
            &[&mailbox.canonical()],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(StoredSettings {
            settings: Settings {
                sign_by_default: get(r, 0, T)?,
                encrypt_by_default: get(r, 1, T)?,
                default_signer: get::<Option<Vec<u8>>>(r, 2, T)?
                    .as_deref()
                    .map(|f| parse_fingerprint(f, T))
                    .transpose()?,
            },
            tag: get::<Option<Vec<u8>>>(r, 3, T)?.unwrap_or_default(),
        }))
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        let rows = self.query(
            "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at,
                                       not_before, not_after, flags, tag, chain_tag)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &mailbox.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.certificate,
                &record.sealed_key,
                &to_i64(record.imported_at),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.chain_tag,
            ],
        )?;
        let id: i64 = rows
            .first()
            .ok_or_else(|| Error::Store("PostgreSQL: INSERT returned no id".into()))
            .and_then(|r| get(r, 0, "certificates"))?;
        for (position, der) in record.chain.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            self.execute(
                "INSERT INTO chain (certificate_id, position, der) VALUES ($1, $2, $3)",
                &[&id, &position, der],
            )?;
        }
        Ok(())
    }

    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM certificates WHERE mailbox = $1 AND fingerprint = $2",
            &[&mailbox.canonical(), &fingerprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn set_settings(&mut self, mailbox: &Mailbox, stored: &StoredSettings) -> Result<()> {
        let s = &stored.settings;
        self.execute(
            "INSERT INTO mailboxes (address, display, sign_by_default, encrypt_by_default, default_signer, tag)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (address) DO UPDATE SET sign_by_default = $3, encrypt_by_default = $4,
                                                 default_signer = $5, tag = $6",
            &[
                &mailbox.canonical(),
                &mailbox.as_str(),
                &s.sign_by_default,
                &s.encrypt_by_default,
                &s.default_signer.as_ref().map(|f| f.as_bytes().to_vec()),
                &stored.tag,
            ],
        )?;
        Ok(())
    }

    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.execute(
            "UPDATE certificates SET sealed_key = $3, not_before = $4, not_after = $5, flags = $6,
                                     tag = $7, chain_tag = $8
             WHERE mailbox = $1 AND fingerprint = $2",
            &[
                &mailbox.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.sealed_key,
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.chain_tag,
            ],
        )?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let rows = self.query("SELECT value FROM meta WHERE name = $1", &[&name])?;
        rows.first().map(|r| get(r, 0, "meta")).transpose()
    }

    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO meta (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = $2",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn recipient_addresses(&self) -> Result<Vec<Mailbox>> {
        self.query(
            "SELECT DISTINCT address FROM recipients ORDER BY address",
            &[],
        )?
        .iter()
        .map(|r| parse_mailbox(&get::<String>(r, 0, "recipients")?, "recipients"))
        .collect()
    }

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        const T: &str = "recipients";
        self.query(
            "SELECT fingerprint, certificate, added_at, capabilities, capabilities_time,
                    not_before, not_after, flags, tag
             FROM recipients WHERE address = $1 ORDER BY id",
            &[&address.canonical()],
        )?
        .iter()
        .map(|r| {
            Ok(RecipientRecord {
                fingerprint: parse_fingerprint(&get::<Vec<u8>>(r, 0, T)?, T)?,
                certificate: get(r, 1, T)?,
                added_at: to_u64(get(r, 2, T)?),
                capabilities: get::<Option<String>>(r, 3, T)?
                    .as_deref()
                    .map(capabilities_from_column),
                capabilities_time: get::<Option<i64>>(r, 4, T)?.and_then(|t| u64::try_from(t).ok()),
                facts: CertFacts::from_columns(get(r, 5, T)?, get(r, 6, T)?, get(r, 7, T)?),
                tag: get::<Option<Vec<u8>>>(r, 8, T)?.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.execute(
            "INSERT INTO recipients (address, fingerprint, certificate, added_at, capabilities,
                                     capabilities_time, not_before, not_after, flags, tag)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &address.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.certificate,
                &to_i64(record.added_at),
                &record.capabilities.as_deref().map(capabilities_column),
                &record.capabilities_time.map(to_i64),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
            ],
        )?;
        Ok(())
    }

    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.execute(
            "UPDATE recipients SET capabilities = $3, capabilities_time = $4, not_before = $5,
                                   not_after = $6, flags = $7, tag = $8
             WHERE address = $1 AND fingerprint = $2",
            &[
                &address.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.capabilities.as_deref().map(capabilities_column),
                &record.capabilities_time.map(to_i64),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
            ],
        )?;
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM recipients WHERE address = $1 AND fingerprint = $2",
            &[&address.canonical(), &fingerprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn domains(&self) -> Result<Vec<StoredDomain>> {
        self.query(
            "SELECT name, enabled, encryption_allowed, tag FROM domains ORDER BY name",
            &[],
        )?
        .iter()
        .map(domain_row)
        .collect()
    }

    fn domain(&self, name: &str) -> Result<Option<StoredDomain>> {
        let rows = self.query(
            "SELECT name, enabled, encryption_allowed, tag FROM domains WHERE name = $1",
            &[&name],
        )?;
        rows.first().map(domain_row).transpose()
    }

    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()> {
        self.execute(
            "INSERT INTO domains (name, enabled, encryption_allowed, tag) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET enabled = $2, encryption_allowed = $3, tag = $4",
            &[
                &domain.name,
                &domain.policy.enabled,
                &domain.policy.encryption_allowed,
                &domain.tag,
            ],
        )?;
        Ok(())
    }

    fn delete_domain(&mut self, name: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM domains WHERE name = $1", &[&name])? > 0)
    }
}

fn domain_row(r: &Row) -> Result<StoredDomain> {
    const T: &str = "domains";
    Ok(StoredDomain {
        name: get(r, 0, T)?,
        policy: DomainPolicy::new(get(r, 1, T)?, get(r, 2, T)?),
        tag: get(r, 3, T)?,
    })
}

impl Backend for PostgresBackend {
    fn upgrade(&self) -> Result<()> {
        self.migrate()
    }

    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()> {
        let mut conn = self.conn()?;
        let PgConnection { client, statements } = &mut *conn;
        let tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db_err)?;
        let tx = PgTx {
            tx: RefCell::new(tx),
            statements: RefCell::new(statements),
            transient: Cell::new(false),
        };
        f(&tx)?;
        tx.tx.into_inner().commit().map_err(db_err)
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut attempt = 1;
        loop {
            let mut conn = self.conn()?;
            let PgConnection { client, statements } = &mut *conn;
            let tx = client.transaction().map_err(db_err)?;
            let mut tx = PgTx {
                tx: RefCell::new(tx),
                statements: RefCell::new(statements),
                transient: Cell::new(false),
            };
            let (transient, error) = match f(&mut tx) {
                Ok(()) => match tx.tx.into_inner().commit() {
                    Ok(()) => return Ok(()),
                    Err(e) => (is_transient(&e), db_err(e)),
                },
                // Dropping `tx` rolls back.
                Err(e) => (tx.transient.get(), e),
            };
            if !(transient && attempt < MAX_ATTEMPTS) {
                return Err(error);
            }
            attempt += 1;
        }
    }
}
