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

mod schema;
mod transaction;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, Row, Statement};
use postgres_openssl::MakeTlsConnector;

use super::backend::{
    Backend, CertFacts, DomainPolicy, Lock, Provenance, RecipientRecord, Record, RecordHead,
    Settings, StoredDomain, StoredSettings, Transaction, TrustKind, TrustRecord,
};
use super::backend::{
    capabilities_column, capabilities_from_column, parse_fingerprint, parse_mailbox,
    provenance_column,
};
use super::integrity::{Corrupted, corrupt};
use crate::cert::Fingerprint;
use crate::error::{Error, Result, StoreFailure};
use crate::mailbox::Mailbox;

use transaction::PgTx;

/// How often a write is tried when PostgreSQL reports a serialization
/// failure or a deadlock.
pub const MAX_ATTEMPTS: u32 = 5;

/// How long a thread waits for a pooled connection.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a writer waits for a lock before the database gives up
/// (`lock_timeout`), like SQLite's busy timeout.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// A serialization failure or a deadlock: the transaction may succeed
/// when run again.
fn is_transient(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

fn db_err(e: postgres::Error) -> Error {
    Error::Store(StoreFailure::Database(format!("PostgreSQL: {e}")))
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
        let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            Error::Store(StoreFailure::Database(format!(
                "invalid PostgreSQL URL: {e}"
            )))
        })?;
        let tls = MakeTlsConnector::new(SslConnector::builder(SslMethod::tls())?.build());
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(Manager { config, tls })
            .map_err(|e| Error::Store(StoreFailure::Database(format!("PostgreSQL: {e}"))))?;
        let backend = PostgresBackend { pool };
        backend.migrate()?;
        Ok(backend)
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| Error::Store(StoreFailure::Database(format!("PostgreSQL: {e}"))))
    }
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
