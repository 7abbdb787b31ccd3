//! Why a store failed, was refused or failed authentication: the reasons
//! of [`Error::Store`](crate::Error::Store),
//! [`Error::StoreInsecure`](crate::Error::StoreInsecure) and
//! [`Error::StoreCorrupt`](crate::Error::StoreCorrupt).

use std::fmt;

use crate::fingerprint::Fingerprint;
use crate::mailbox::Mailbox;

/// Which row of a store failed authentication, for
/// [`Error::StoreCorrupt`](crate::Error::StoreCorrupt).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Corrupted {
    /// A certificate row of a mailbox (fingerprint, import time, facts, or
    /// the certificate bytes not matching the fingerprint).
    Certificate {
        /// The mailbox the row is filed under.
        mailbox: Mailbox,
        /// The fingerprint the row claims.
        fingerprint: Fingerprint,
    },
    /// The chain (CA certificates) of a certificate row.
    Chain {
        /// The mailbox.
        mailbox: Mailbox,
        /// The end-entity certificate whose chain was altered.
        fingerprint: Fingerprint,
    },
    /// A sealed private key (its AEAD tag failed).
    PrivateKey {
        /// The mailbox.
        mailbox: Mailbox,
        /// The certificate whose key failed.
        fingerprint: Fingerprint,
    },
    /// The settings row of a mailbox (edited, or missing while the mailbox
    /// holds certificates).
    Settings {
        /// The mailbox.
        mailbox: Mailbox,
    },
    /// A recipient-directory row.
    Recipient {
        /// The address it is filed under.
        address: Mailbox,
        /// The fingerprint the row claims.
        fingerprint: Fingerprint,
    },
    /// A trust anchor or intermediate CA row of the store.
    TrustAnchor {
        /// The fingerprint the row claims.
        fingerprint: Fingerprint,
    },
    /// A CRL row of the store.
    Crl {
        /// The issuer the row is filed under (RFC 4514 form, or hex when
        /// the stored name does not decode).
        issuer: String,
    },
    /// A domain policy row.
    Domain {
        /// The domain.
        domain: String,
    },
    /// A store-wide row (key parameters, the store policy), by name.
    Meta {
        /// The row's name.
        name: &'static str,
    },
    /// A row that cannot be decoded at all (a bad fingerprint, address or
    /// number in a column).
    Row {
        /// The table.
        table: &'static str,
    },
}

impl fmt::Display for Corrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Corrupted::Certificate {
                mailbox,
                fingerprint,
            } => write!(f, "certificate {fingerprint} of mailbox {mailbox}"),
            Corrupted::Chain {
                mailbox,
                fingerprint,
            } => write!(f, "chain of certificate {fingerprint} of mailbox {mailbox}"),
            Corrupted::PrivateKey {
                mailbox,
                fingerprint,
            } => write!(
                f,
                "sealed private key of certificate {fingerprint} of mailbox {mailbox}"
            ),
            Corrupted::Settings { mailbox } => write!(f, "settings of mailbox {mailbox}"),
            Corrupted::Recipient {
                address,
                fingerprint,
            } => write!(f, "recipient certificate {fingerprint} for {address}"),
            Corrupted::TrustAnchor { fingerprint } => write!(f, "trust anchor {fingerprint}"),
            Corrupted::Crl { issuer } => write!(f, "CRL of {issuer}"),
            Corrupted::Domain { domain } => write!(f, "policy of domain {domain}"),
            Corrupted::Meta { name } => write!(f, "store value {name:?}"),
            Corrupted::Row { table } => write!(f, "a row of table {table}"),
        }
    }
}

/// Why a store file was refused ([`Error::StoreInsecure`](crate::Error::StoreInsecure)).
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

/// The error for a row that failed authentication.
pub(crate) fn corrupt(what: Corrupted) -> crate::Error {
    crate::Error::StoreCorrupt { what }
}

/// Why the certificate store failed, for [`Error::Store`](crate::Error::Store).
/// The store is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreFailure {
    /// The database said no: its own message (SQLite's, the PostgreSQL
    /// driver's or server's: an unreadable file, a lost connection, a
    /// refused login, an invalid URL). It names no secret we hold.
    Database(String),
    /// The store was written by a newer smime, whose schema this one
    /// cannot read: upgrade smime.
    SchemaTooNew {
        /// The store's schema version.
        found: u32,
        /// The newest this version reads.
        supported: u32,
    },
    /// The file or PostgreSQL schema holds a database, but not an smime
    /// store (other tables, no schema version of ours); left untouched.
    NotAStore,
    /// This build of the library lacks the backend the path or URL
    /// names: the Cargo feature to turn on.
    BackendNotBuilt {
        /// `sqlite` or `postgres`.
        feature: &'static str,
    },
    /// A backend broke its contract (did not run a transaction it was
    /// given) or a thread panicked inside the store: a bug, reported
    /// rather than hidden.
    Internal(&'static str),
}

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreFailure::Database(message) => f.write_str(message),
            StoreFailure::SchemaTooNew { found, supported } => write!(
                f,
                "the store has schema version {found}, newer than this smime ({supported}); upgrade smime"
            ),
            StoreFailure::NotAStore => {
                f.write_str("the database holds tables but is not an smime store")
            }
            StoreFailure::BackendNotBuilt { feature } => {
                write!(f, "this smime was built without the {feature} feature")
            }
            StoreFailure::Internal(what) => f.write_str(what),
        }
    }
}
