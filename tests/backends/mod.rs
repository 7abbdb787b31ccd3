//! One test body, every backend: memory, an SQLite file, and PostgreSQL
//! when `SMIME_TEST_POSTGRES` names a database (each store in a schema of
//! its own, dropped at the end) and the crate was built with `--features
//! postgres`; otherwise the PostgreSQL run is skipped with a printed reason.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use smime::{KeyEncryptionKey, Passphrase, Store, StoreKey};

/// Which backend a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Memory,
    Sqlite,
    Postgres,
}

/// A place for a store that tests can open again (and edit behind the
/// store's back): an SQLite file or a PostgreSQL schema.
pub struct Place {
    pub kind: Kind,
    /// The path or URL handed to `Store::open`.
    pub location: String,
    /// The PostgreSQL schema, for raw edits.
    pub schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Place {
    pub fn open<'k>(&self, key: impl Into<StoreKey<'k>>) -> smime::Result<Store> {
        Store::open(&self.location, key)
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.location)
    }

    /// Runs SQL against the store's tables behind its back (an attacker
    /// with write access to the file or database).
    pub fn sql(&self, statement: &str) {
        match self.kind {
            Kind::Sqlite => {
                let conn = rusqlite::Connection::open(&self.location).unwrap();
                conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {statement}"))
                    .unwrap();
            }
            Kind::Postgres => {
                let mut client = pg_client();
                let schema = self.schema.as_deref().unwrap();
                client
                    .batch_execute(&format!(
                        "SET search_path = {schema}; SET session_replication_role = replica; {statement}"
                    ))
                    .unwrap();
            }
            Kind::Memory => panic!("a memory store has no SQL"),
        }
    }

    /// Two byte columns of every row of `query`.
    pub fn pairs(&self, query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        match self.kind {
            Kind::Sqlite => {
                let conn = rusqlite::Connection::open(&self.location).unwrap();
                let mut stmt = conn.prepare(query).unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
            Kind::Postgres => {
                let mut client = pg_client();
                let schema = self.schema.as_deref().unwrap();
                client
                    .batch_execute(&format!("SET search_path = {schema}"))
                    .unwrap();
                client
                    .query(query, &[])
                    .unwrap()
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect()
            }
            Kind::Memory => panic!("a memory store has no SQL"),
        }
    }

    /// One integer from SQL.
    pub fn count(&self, query: &str) -> i64 {
        match self.kind {
            Kind::Sqlite => rusqlite::Connection::open(&self.location)
                .unwrap()
                .query_row(query, [], |r| r.get(0))
                .unwrap(),
            Kind::Postgres => {
                let mut client = pg_client();
                let schema = self.schema.as_deref().unwrap();
                client
                    .batch_execute(&format!("SET search_path = {schema}"))
                    .unwrap();
                client.query_one(query, &[]).unwrap().get(0)
            }
            Kind::Memory => panic!("a memory store has no SQL"),
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema
            && !std::thread::panicking()
        {
            let _ = pg_client().batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// The PostgreSQL URL to test against, or why not (printed once).
pub fn postgres_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if !cfg!(feature = "postgres") {
            eprintln!("SKIP PostgreSQL: built without --features postgres");
            return None;
        }
        match std::env::var("SMIME_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Some(url),
            _ => {
                eprintln!(
                    "SKIP PostgreSQL: SMIME_TEST_POSTGRES is unset (eval \"$(.ci/postgres.sh start)\" sets it)"
                );
                None
            }
        }
    })
    .clone()
}

fn pg_client() -> postgres::Client {
    postgres::Client::connect(&postgres_url().unwrap(), postgres::NoTls).unwrap()
}

fn random_name() -> String {
    let mut b = [0u8; 8];
    openssl::rand::rand_bytes(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A fresh SQLite place.
pub fn sqlite() -> Place {
    let dir = tempfile::tempdir().unwrap();
    Place {
        kind: Kind::Sqlite,
        location: dir.path().join("store.db").to_str().unwrap().to_owned(),
        schema: None,
        _dir: Some(dir),
    }
}

/// A fresh PostgreSQL place (a new schema), or `None` when PostgreSQL is
/// not available (the reason was printed).
pub fn postgres() -> Option<Place> {
    let url = postgres_url()?;
    let schema = format!("t_{}", random_name());
    pg_client()
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    Some(Place {
        kind: Kind::Postgres,
        location: format!("{url}{sep}options=-csearch_path%3D{schema}"),
        schema: Some(schema),
        _dir: None,
    })
}

/// Every persistent place available: SQLite, and PostgreSQL when available.
pub fn places() -> Vec<Place> {
    let mut out = vec![sqlite()];
    out.extend(postgres());
    out
}

/// The store passphrase the tests use.
pub fn pp() -> Passphrase {
    Passphrase::new("pp")
}

/// A fixed raw key for child processes (hex in `SMIME_TEST_KEK`).
pub fn test_kek() -> KeyEncryptionKey {
    KeyEncryptionKey::from_slice(&[0x5a; 32]).unwrap()
}

/// Runs `test` on a fresh store of every backend.
pub fn on_each_backend(test: impl Fn(&Store, Kind)) {
    test(&Store::in_memory().unwrap(), Kind::Memory);
    for place in places() {
        let store = place.open(&pp()).unwrap();
        test(&store, place.kind);
    }
}

/// Runs `test` on every persistent place (SQLite, PostgreSQL).
pub fn on_each_place(test: impl Fn(&Place)) {
    for place in places() {
        test(&place);
    }
}
