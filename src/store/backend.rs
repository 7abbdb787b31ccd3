//! The storage interface behind [`crate::Store`].
//!
//! The store's rules (the 30-certificate cap, idempotent import, the
//! encrypt-by-default rule, ...) are written once, in [`crate::Store`],
//! against the [`Transaction`] trait; a backend only has to keep records and
//! make each [`Backend::write`] all-or-nothing. Two backends ship:
//! [`super::MemoryBackend`] and [`super::SqliteBackend`].
#![forbid(unsafe_code)]

use std::time::SystemTime;

use crate::algorithm::ContentEncryption;
use crate::cert::Fingerprint;
use crate::error::Result;
use crate::mailbox::Mailbox;

/// One certificate of a mailbox as a backend keeps it. Private keys are
/// sealed by the store before they reach a backend; a backend never sees a
/// key in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// SHA-256 of `certificate`.
    pub fingerprint: Fingerprint,
    /// The end-entity certificate, DER.
    pub certificate: Vec<u8>,
    /// CA certificates that came with it, DER, nearest issuer first.
    pub chain: Vec<Vec<u8>>,
    /// The private key, sealed (AES-256-GCM under the store's KEK).
    pub sealed_key: Vec<u8>,
    /// When it was imported, seconds since the Unix epoch.
    pub imported_at: u64,
}

/// A correspondent's public certificate in the recipient directory, filed
/// under one of the addresses it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientRecord {
    /// SHA-256 of `certificate`.
    pub fingerprint: Fingerprint,
    /// The certificate, DER.
    pub certificate: Vec<u8>,
    /// When it was added, seconds since the Unix epoch.
    pub added_at: u64,
    /// The content encryptions the correspondent announced
    /// (SMIMECapabilities), most preferred first; `None` when unknown.
    pub capabilities: Option<Vec<ContentEncryption>>,
    /// The signingTime of the signature `capabilities` came from, seconds
    /// since the Unix epoch: only a newer signature may replace them
    /// (RFC 8551 §2.7.1), so replaying an old mail cannot downgrade.
    pub capabilities_time: Option<u64>,
}

/// Per-mailbox settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Sign outgoing mail unless told otherwise.
    pub sign_by_default: bool,
    /// Encrypt outgoing mail unless told otherwise (only while the mailbox
    /// holds a certificate that can decrypt).
    pub encrypt_by_default: bool,
    /// The certificate chosen for signing; `None` means "the newest valid
    /// one that can sign".
    pub default_signer: Option<Fingerprint>,
}

/// Reads and writes inside one backend transaction.
pub trait Transaction {
    /// Mailboxes that hold certificates or settings, in canonical order.
    fn mailboxes(&self) -> Result<Vec<Mailbox>>;
    /// The records of `mailbox`, oldest import first.
    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>>;
    /// The settings of `mailbox` (defaults when never set).
    fn settings(&self, mailbox: &Mailbox) -> Result<Settings>;
    /// Adds a record; the caller has checked it is not present.
    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()>;
    /// Deletes a record; false when there was none.
    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool>;
    /// Replaces the settings of `mailbox`.
    fn set_settings(&mut self, mailbox: &Mailbox, settings: &Settings) -> Result<()>;
    /// Replaces the sealed private key of a record (passphrase change).
    fn replace_sealed_key(
        &mut self,
        mailbox: &Mailbox,
        fingerprint: &Fingerprint,
        sealed_key: &[u8],
    ) -> Result<()>;

    /// A store-wide value (key-derivation parameters, the passphrase check).
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Sets a store-wide value.
    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()>;

    /// Recipient directory: certificates filed under `address`, oldest first.
    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>>;
    /// Files a certificate under `address`; the caller has checked it is
    /// not there yet.
    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()>;
    /// Removes a certificate filed under `address`; false when there was none.
    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool>;
}

/// A place to keep mailboxes.
pub trait Backend: Send {
    /// Runs `f` on a consistent snapshot.
    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()>;
    /// Runs `f` in a transaction that is committed when `f` returns `Ok`
    /// and leaves the store exactly as it was otherwise.
    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()>;
    /// Brings stored data to the current format. The store calls it once
    /// the passphrase is proven right, so a wrong passphrase changes
    /// nothing. Until then only [`Transaction::meta`] needs to work.
    fn upgrade(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Seconds since the Unix epoch (0 before 1970).
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
