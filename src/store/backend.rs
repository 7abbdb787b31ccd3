//! The storage interface behind [`crate::Store`].
//!
//! The store's rules (the 30-certificate cap, idempotent import, the
//! encrypt-by-default rule, domain policy, row authentication, ...) are
//! written once, in [`crate::Store`], against the [`Transaction`] trait; a
//! backend only has to keep rows, make each [`Backend::write`]
//! all-or-nothing, and honour [`Transaction::lock`] where several writers
//! can run at once. Three backends ship: [`super::MemoryBackend`],
//! [`super::SqliteBackend`] and (cargo feature `postgres`)
//! `PostgresBackend`.
//!
//! Every row carries a tag (HMAC-SHA256 under a key derived from the store's
//! key-encryption key) that the store computes before a row reaches the
//! backend and checks after it comes back; a backend stores tags as opaque
//! bytes and never needs the key.
#![forbid(unsafe_code)]

use std::time::{Duration, SystemTime};

use crate::algorithm::ContentEncryption;
use crate::cert::{Certificate, Fingerprint};
use crate::error::Result;
use crate::error::{Corrupted, corrupt};
use crate::mailbox::Mailbox;

/// Facts about a certificate that the store's lookups decide on, derived
/// from the certificate when it is stored and authenticated with its row,
/// so that choosing a signer or an encryption certificate needs no
/// certificate parsing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CertFacts {
    /// Start of validity, seconds since the Unix epoch (negative before 1970).
    pub not_before: i64,
    /// End of validity, seconds since the Unix epoch.
    pub not_after: i64,
    /// [`Certificate::can_sign`].
    pub can_sign: bool,
    /// [`Certificate::can_decrypt`].
    pub can_decrypt: bool,
    /// The certificate names the address the row is filed under.
    pub names_address: bool,
}

impl CertFacts {
    /// The facts of `certificate` filed under `address`.
    pub fn of(certificate: &Certificate, address: &Mailbox) -> Self {
        CertFacts {
            not_before: signed_seconds(certificate.not_before()),
            not_after: signed_seconds(certificate.not_after()),
            can_sign: certificate.can_sign(),
            can_decrypt: certificate.can_decrypt(),
            names_address: certificate.names_mailbox(address),
        }
    }

    /// The three booleans as one integer column (bit 0 sign, 1 decrypt,
    /// 2 names the address).
    pub fn flags(&self) -> i64 {
        i64::from(self.can_sign)
            | (i64::from(self.can_decrypt) << 1)
            | (i64::from(self.names_address) << 2)
    }

    /// The inverse of [`CertFacts::flags`] with the validity period.
    pub fn from_columns(not_before: i64, not_after: i64, flags: i64) -> Self {
        CertFacts {
            not_before,
            not_after,
            can_sign: flags & 1 != 0,
            can_decrypt: flags & 2 != 0,
            names_address: flags & 4 != 0,
        }
    }

    /// True when `time` lies inside the validity period (both ends included).
    pub fn valid_at(&self, time: SystemTime) -> bool {
        from_signed_seconds(self.not_before) <= time && time <= from_signed_seconds(self.not_after)
    }
}

/// One certificate of a mailbox without its certificate bytes, chain and
/// sealed key: what [`Transaction::heads`] returns for choosing among a
/// mailbox's certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordHead {
    /// SHA-256 of the certificate.
    pub fingerprint: Fingerprint,
    /// When it was imported, seconds since the Unix epoch.
    pub imported_at: u64,
    /// What the store decides on.
    pub facts: CertFacts,
    /// The row's tag (mailbox, fingerprint, imported_at, facts).
    pub tag: Vec<u8>,
}

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
    /// Facts derived from the certificate.
    pub facts: CertFacts,
    /// Tag over mailbox, fingerprint, imported_at and facts (the
    /// certificate is tied to the fingerprint by SHA-256 itself).
    pub tag: Vec<u8>,
    /// Tag over mailbox, fingerprint and every chain certificate in order.
    pub chain_tag: Vec<u8>,
}

impl Record {
    /// The head of this record.
    pub fn head(&self) -> RecordHead {
        RecordHead {
            fingerprint: self.fingerprint,
            imported_at: self.imported_at,
            facts: self.facts,
            tag: self.tag.clone(),
        }
    }
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
    /// Facts derived from the certificate.
    pub facts: CertFacts,
    /// How the directory learnt the certificate; `None` for a row written
    /// before schema 5, which counts as [`Provenance::Added`] (and is
    /// tagged in the older format, without this column).
    pub provenance: Option<Provenance>,
    /// Tag over address, fingerprint, added_at, capabilities (with their
    /// time), facts and provenance.
    pub tag: Vec<u8>,
}

/// How the recipient directory learnt a certificate: what decides whether
/// mail may be encrypted to it without the caller allowing untrusted
/// certificates (see [`crate::Store::encryption_certificate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Provenance {
    /// Added as is ([`crate::Store::add_recipient_certificate`]): trusted
    /// only if it chains to a store trust anchor.
    Added,
    /// Learnt from a verified signature with a trusted chain
    /// ([`crate::Store::add_verified_signers`]).
    Signature,
    /// Pinned by the user ([`crate::Store::pin_recipient_certificate`]):
    /// trusted as is.
    Pinned,
}

impl Provenance {
    /// The `recipients.provenance` column (schema 5).
    pub fn code(self) -> i64 {
        match self {
            Provenance::Added => 0,
            Provenance::Signature => 1,
            Provenance::Pinned => 2,
        }
    }

    /// The inverse of [`Provenance::code`].
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => Provenance::Added,
            1 => Provenance::Signature,
            2 => Provenance::Pinned,
            _ => return None,
        })
    }

    /// Whether a certificate learnt this way is trusted for encryption as
    /// is (without a chain to an anchor).
    pub fn trusted(self) -> bool {
        self != Provenance::Added
    }
}

/// The kinds of store-wide trust rows ([`TrustRecord`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrustKind {
    /// A trust anchor, keyed by its SHA-256 fingerprint.
    Anchor,
    /// A CRL, keyed by its issuer name (DER): one per issuer.
    Crl,
    /// An intermediate CA certificate, keyed by its fingerprint: not
    /// trusted, only used to build paths to an anchor.
    Intermediate,
}

impl TrustKind {
    /// The `trust.kind` column.
    pub fn name(self) -> &'static str {
        match self {
            TrustKind::Anchor => "anchor",
            TrustKind::Crl => "crl",
            TrustKind::Intermediate => "intermediate",
        }
    }
}

/// A store-wide trust row: a trust anchor or a CRL (schema 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustRecord {
    /// What it is.
    pub kind: TrustKind,
    /// Its key within the kind: an anchor's fingerprint, a CRL's issuer
    /// name (DER).
    pub key: Vec<u8>,
    /// The certificate or CRL, DER.
    pub der: Vec<u8>,
    /// When it was added, seconds since the Unix epoch.
    pub added_at: u64,
    /// Tag over kind, key, DER and added_at.
    pub tag: Vec<u8>,
}

/// Per-mailbox settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Sign outgoing mail unless told otherwise.
    pub sign_by_default: bool,
    /// Encrypt outgoing mail unless told otherwise (only while the mailbox
    /// holds a certificate that can decrypt, and its domain allows it).
    pub encrypt_by_default: bool,
    /// The certificate chosen for signing; `None` means "the newest valid
    /// one that can sign".
    pub default_signer: Option<Fingerprint>,
}

/// A mailbox's settings row as a backend keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSettings {
    /// The settings.
    pub settings: Settings,
    /// Tag over mailbox and settings.
    pub tag: Vec<u8>,
}

/// What an administrator allows for one mail domain
/// ([`crate::Store::set_domain_policy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DomainPolicy {
    /// S/MIME may be used by the domain's mailboxes: import, signing,
    /// decryption, encryption by default.
    pub enabled: bool,
    /// Mailboxes of the domain may switch encryption by default on.
    pub encryption_allowed: bool,
}

impl DomainPolicy {
    /// S/MIME enabled, encryption by default allowed.
    pub const ENABLED: DomainPolicy = DomainPolicy {
        enabled: true,
        encryption_allowed: true,
    };
    /// S/MIME disabled.
    pub const DISABLED: DomainPolicy = DomainPolicy {
        enabled: false,
        encryption_allowed: false,
    };

    /// A policy with both switches given.
    pub fn new(enabled: bool, encryption_allowed: bool) -> Self {
        DomainPolicy {
            enabled,
            encryption_allowed,
        }
    }
}

/// A domain's policy row as a backend keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDomain {
    /// The domain, lower-case IDNA A-labels (as in [`Mailbox::canonical`]).
    pub name: String,
    /// The policy.
    pub policy: DomainPolicy,
    /// Tag over name and policy.
    pub tag: Vec<u8>,
}

/// What a write transaction locks before it reads what it will decide on,
/// so that writers on other connections or nodes cannot interleave. The
/// store always locks in this order: key, trust, domain, mailbox.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Lock<'a> {
    /// The store key (check value): shared by every write that tags or
    /// seals with the current key, exclusive for a re-key or migration.
    Key {
        /// Exclusive (re-key) or shared.
        exclusive: bool,
    },
    /// A domain's policy row (shared: a write for one of its mailboxes).
    Domain(&'a str),
    /// The store-wide trust rows (anchors, CRLs): exclusive.
    Trust,
    /// One mailbox: its certificates and settings (exclusive).
    Mailbox(&'a Mailbox),
}

/// Reads and writes inside one backend transaction.
pub trait Transaction {
    /// Locks `what` until the transaction ends. Backends whose
    /// [`Backend::write`] already excludes every other writer (SQLite's
    /// `BEGIN IMMEDIATE`, the memory backend's lock) need not do anything.
    fn lock(&mut self, what: Lock<'_>) -> Result<()> {
        let _ = what;
        Ok(())
    }

    /// Mailboxes that hold certificates or settings, in canonical order.
    fn mailboxes(&self) -> Result<Vec<Mailbox>>;
    /// The heads of the records of `mailbox`, oldest import first.
    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>>;
    /// One record of `mailbox`.
    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>>;
    /// The records of `mailbox`, oldest import first.
    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>>;
    /// The settings row of `mailbox`, `None` when never set.
    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>>;
    /// Adds a record; the caller has checked it is not present.
    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()>;
    /// Deletes a record (and its chain); false when there was none.
    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool>;
    /// Replaces the settings row of `mailbox`.
    fn set_settings(&mut self, mailbox: &Mailbox, settings: &StoredSettings) -> Result<()>;
    /// Replaces the sealed key, facts and tags of the record of `mailbox`
    /// with `record.fingerprint` (re-key, migration).
    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()>;

    /// A store-wide value (key-derivation parameters, the passphrase check).
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Sets a store-wide value.
    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()>;

    /// Addresses with certificates in the recipient directory.
    fn recipient_addresses(&self) -> Result<Vec<Mailbox>>;
    /// Recipient directory: certificates filed under `address`, oldest first.
    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>>;
    /// Files a certificate under `address`; the caller has checked it is
    /// not there yet.
    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()>;
    /// Replaces capabilities (and their time), facts and tag of the entry
    /// of `address` with `record.fingerprint`.
    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()>;
    /// Removes a certificate filed under `address`; false when there was none.
    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool>;

    /// Every domain policy row, by name.
    fn domains(&self) -> Result<Vec<StoredDomain>>;
    /// One domain policy row.
    fn domain(&self, name: &str) -> Result<Option<StoredDomain>>;
    /// Adds or replaces a domain policy row.
    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()>;
    /// Removes a domain policy row; false when there was none.
    fn delete_domain(&mut self, name: &str) -> Result<bool>;

    /// The trust rows of `kind`, oldest first.
    fn trust_records(&self, kind: TrustKind) -> Result<Vec<TrustRecord>>;
    /// Adds a trust row or replaces the one with the same kind and key.
    fn put_trust_record(&mut self, record: &TrustRecord) -> Result<()>;
    /// Removes a trust row; false when there was none.
    fn delete_trust_record(&mut self, kind: TrustKind, key: &[u8]) -> Result<bool>;
}

/// A place to keep mailboxes, shared by every thread of a process
/// ([`crate::Store`] is `Send + Sync`).
pub trait Backend: Send + Sync {
    /// Runs `f` on a consistent snapshot.
    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()>;
    /// Runs `f` in a transaction that is committed when `f` returns `Ok`
    /// and leaves the store exactly as it was otherwise. A backend may run
    /// `f` again after a transient conflict (a serialization failure or
    /// deadlock), so `f` must start from scratch each time.
    fn write(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()>;
    /// Brings the stored schema to the current format. The store calls it
    /// once the key is proven right, so a wrong key changes nothing. Until
    /// then only [`Transaction::meta`] needs to work.
    fn upgrade(&self) -> Result<()> {
        Ok(())
    }
}

/// Seconds since the Unix epoch (0 before 1970).
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the Unix epoch, negative before it.
pub(crate) fn signed_seconds(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The inverse of [`signed_seconds`].
pub(crate) fn from_signed_seconds(s: i64) -> SystemTime {
    let d = Duration::from_secs(s.unsigned_abs());
    if s >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(d)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d)
    }
    .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The `recipients.capabilities` column: comma-separated names, most
/// preferred first (the format schema version 3 introduced).
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn capabilities_column(capabilities: &[ContentEncryption]) -> String {
    capabilities
        .iter()
        .filter_map(|c| capability_name(*c))
        .collect::<Vec<_>>()
        .join(",")
}

/// The inverse of [`capabilities_column`]; unknown names are skipped.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn capabilities_from_column(text: &str) -> Vec<ContentEncryption> {
    text.split(',')
        .filter_map(|name| {
            ContentEncryption::ANNOUNCED
                .into_iter()
                .find(|c| capability_name(*c) == Some(name))
        })
        .collect()
}

#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
fn capability_name(c: ContentEncryption) -> Option<&'static str> {
    Some(match c {
        ContentEncryption::Aes256Cbc => "aes256-cbc",
        ContentEncryption::Aes128Gcm => "aes128-gcm",
        ContentEncryption::Aes256Gcm => "aes256-gcm",
        _ => return None,
    })
}

#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn parse_mailbox(text: &str, table: &'static str) -> Result<Mailbox> {
    text.parse().map_err(|_| corrupt(Corrupted::Row { table }))
}

#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn parse_fingerprint(bytes: &[u8], table: &'static str) -> Result<Fingerprint> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| corrupt(Corrupted::Row { table }))?;
    Ok(Fingerprint::from_bytes(arr))
}

/// The `recipients.provenance` column: NULL for rows older than schema 5,
/// an unknown code is a corrupt row.
#[cfg_attr(not(any(feature = "sqlite", feature = "postgres")), allow(dead_code))]
pub(crate) fn provenance_column(
    code: Option<i64>,
    table: &'static str,
) -> Result<Option<Provenance>> {
    code.map(|c| Provenance::from_code(c).ok_or_else(|| corrupt(Corrupted::Row { table })))
        .transpose()
}
