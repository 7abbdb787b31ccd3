//! # smime — S/MIME for mail clients and mail servers
//!
//! `smime` imports a user's PKCS#12 bundle into a per-mailbox certificate
//! store and signs, verifies, encrypts and decrypts MIME messages with it
//! (RFC 8551), in memory or streaming from a reader to a writer in memory
//! that does not grow with the message. Rust owns the formats (RustCrypto
//! `x509-cert`, `der`, `cms`, and typed `der` structures of our own);
//! OpenSSL owns every cryptographic primitive.
//!
//! Every outcome a mail client acts on is a typed value: a
//! [`VerifyReport`] with per-signer [`SignatureStatus`], [`ChainStatus`],
//! [`Weakness`]es and message-level [`Problem`]s; a [`Decrypted`] with its
//! [`ContentEncryption`]; an [`Error`] whose variants carry reasons
//! ([`MimeError`], [`CmsError`], [`BundleError`], ...). The [`manual`]
//! explains the defaults and the attacks they answer.
//!
//! ## Where things are
//!
//! Every item is public at the crate root (or in the [`backend`] and
//! [`pkcs12`] namespaces); the source is one file per concept:
//!
//! | source | what | items |
//! |---|---|---|
//! | `src/sign.rs` | signing: `multipart/signed` or opaque `application/pkcs7-mime` | [`sign()`], [`sign_stream()`], [`SignOptions`] |
//! | `src/verify/` | verification: `mod` (entry points), `report` (typed outcomes), `locate`, `digest`, `policy` (the `valid` rule), `chain` | [`verify()`], [`verify_stream()`], [`Verifier`], [`VerifyReport`] |
//! | `src/envelope/` | encryption and decryption: `mod` (EnvelopedData / AuthEnvelopedData), `open` (the streaming decryptor) | [`encrypt()`], [`decrypt()`] and their `_stream` forms |
//! | `src/message/` | the mail-client layer: the combined operations of RFC 8551 §3.7, `compose` (settings → sign/encrypt, RFC 9788 Header Protection), `open` (every layer → a displayable message and one verdict), `header_protection`, `legacy_display`, `verdict` | [`sign_and_encrypt()`], [`decrypt_and_verify()`], [`compose()`], [`open()`], [`Verdict`] |
//! | `src/store/` | the per-mailbox store: rules (`mod`), `open`, `import`, `export` (certificates to share), `settings`, `directory` (recipients), `trust` (anchors, intermediates, system roots, CRLs), `trusted` (which recipient certificate is trusted), `policy` (domains), `backend` traits, `memory`, `sqlite/`, `postgres/`, `seal` (keys at rest), `integrity` (row tags), `rekey` | [`Store`], [`backend`], [`RecipientLookup`], [`TrustAnchor`], [`CrlUpdate`] |
//! | `src/pkcs12/` | PKCS#12 import (every identity of a bundle; modern and legacy bundles) and export | [`pkcs12::import`], [`pkcs12::import_all`], [`pkcs12::export()`] |
//! | `src/certs_only.rs` | certs-only messages and PKCS#7 certificate bundles | [`read_certificates()`], [`read_certs_only()`], [`certs_only()`] |
//! | `src/compress.rs` | compressed-data (RFC 3274) | [`compress()`], [`decompress()`] |
//! | `src/cert.rs`, `src/fingerprint.rs`, `src/identity.rs` | certificates (RFC 8550 usage rules), fingerprints, key + certificate + chain | [`Certificate`], [`Fingerprint`], [`Identity`] |
//! | `src/algorithm.rs` | every algorithm name: digests, content encryption, key transport, signature and key algorithms | [`DigestAlgorithm`], [`ContentEncryption`], [`KeyAlgorithm`] |
//! | `src/mime/` (internal) | MIME, one file per RFC area: `header`, `entity`, `content_type`, `transfer`, `multipart`, `canonical`, `scan` (the one-pass scan before signing or encrypting), `address`, each streaming form beside its in-memory twin | — |
//! | `src/cms/` (internal) | CMS: `ber` (pull reader), `asn1` (typed S/MIME structures), `signed`, `signer`, `enveloped`, `compressed` | [`SignatureFailure`] |
//! | `src/error/` (`mod`: [`Error`]; `reasons`; `store`), `src/limits.rs`, `src/secret.rs`, `src/mailbox.rs`, `src/oid.rs` | errors and their reasons, resource limits, zeroized secrets, addresses, object identifiers | [`Error`], [`Limits`], [`Password`], [`Mailbox`], [`ObjectId`] |
//! | `src/ffi/` | the few libcrypto calls the `openssl` crate lacks (the only `unsafe`) | — |
//! | `src/manual/` | the why: [`manual::attacks`], [`manual::defaults`], [`manual::header_protection`], [`manual::streaming`] | — |
//!
//! ## Quick start
//!
//! ```
//! use smime::{Mailbox, Password, SignOptions, Store, VerifyOptions};
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
//! let p12 = std::fs::read(format!("{dir}p12/alice.p12"))?;
//! let alice: Mailbox = "alice@example.org".parse()?;
//! let store = Store::in_memory()?; // or Store::open("mail.db", &passphrase)
//! store.import_pkcs12(&alice, &p12, &Password::new("test-password"))?;
//!
//! let signer = store.default_signer(&alice)?;
//! let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello\r\n";
//! let signed = smime::sign(message, &signer, &SignOptions::default())?;
//!
//! let root = smime::Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
//! let report = smime::verify(&signed, &VerifyOptions::new(&[root]))?;
//! assert!(report.valid);
//! for signer in &report.signers {
//!     println!("signed by {:?}: {}, chain {}", signer.emails(), signer.signature, signer.chain);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
// Only `ffi` may use `unsafe`, and it says why at each block; every other
// module has `#![forbid(unsafe_code)]`, which no `allow` can undo.
#![deny(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

// Every module is private: the items below are the public API, each at
// one path. `backend`, `pkcs12` and `manual` are namespaces of their own.
mod algorithm;
mod cert;
mod certs_only;
mod cms;
mod compress;
mod envelope;
mod error;
mod ffi;
mod fingerprint;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod io;
mod limits;
mod mailbox;
pub mod manual;
mod message;
mod mime;
mod oid;
pub mod pkcs12;
mod revocation;
mod secret;
mod sign;
mod store;
mod verify;

pub use algorithm::{
    ContentEncryption, DecryptionWeakness, DigestAlgorithm, EcCurve, KeyAlgorithm, KeyTransport,
    Named, SignatureAlgorithm,
};
pub use cert::{Certificate, CertificateDigest, KeyPurpose, KeyUsage};
pub use certs_only::{certs_only, certs_only_der, read_certificates, read_certs_only};
pub use cms::SignatureFailure;
pub use compress::{compress, decompress};
pub use envelope::{
    DecryptOptions, Decrypted, Decryption, EncryptOptions, decrypt, decrypt_stream, encrypt,
    encrypt_stream,
};
pub use error::{
    BundleError, CertificateError, CmsError, Error, MimeError, Missing, Result, StoreFailure,
    Unsupported, Unusable,
};
pub use fingerprint::{Fingerprint, InvalidFingerprint};
pub use identity::{Identity, PrivateKey};
pub use limits::Limits;
pub use mailbox::Mailbox;
#[cfg(feature = "async")]
pub use message::AsyncStore;
pub use message::{
    ComposeOptions, FieldProtection, HeaderConfidentialityPolicy, HeaderField, HeaderProtection,
    Invalid, Layer, OpenOptions, Opened, Verdict, compose, decrypt_and_verify,
    decrypt_and_verify_stream, open, sign_and_encrypt,
};
pub use oid::ObjectId;
pub use revocation::{
    Crl, OcspResponse, Revocation, RevocationError, RevocationPolicy, RevocationReason,
};
pub use secret::{Passphrase, Password};
pub use sign::{SignOptions, SignatureForm, sign, sign_stream};
pub use store::{
    Corrupted, DomainPolicy, ImportOptions, Imported, Insecurity, KeyEncryptionKey,
    MAX_CERTS_PER_MAILBOX, OpenWarning, Settings, Store, StoreKey, StoredCertificate,
    VerifiedSigner,
};
pub use store::{CrlUpdate, RecipientLookup, TrustAnchor};
pub use verify::{
    ChainCertificate, ChainFailure, ChainStatus, Coverage, PathCertificate, Problem,
    SignatureStatus, SignerReport, Verifier, VerifyOptions, VerifyReport, Weakness, verify,
    verify_stream,
};

// README.md's library example is compiled and run as a doc test.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;

/// Where a [`Store`] keeps its mailboxes: the [`Backend`](backend::Backend)
/// and [`Transaction`](backend::Transaction) traits the store's rules are
/// written against, the records a backend keeps (private keys only ever
/// sealed), and the backends that ship.
pub mod backend {
    #[cfg(feature = "postgres")]
    pub use crate::store::PostgresBackend;
    #[cfg(feature = "sqlite")]
    pub use crate::store::SqliteBackend;
    pub use crate::store::{
        Backend, CertFacts, Lock, MemoryBackend, RecipientRecord, Record, RecordHead, StoredDomain,
        StoredSettings, Transaction,
    };
    pub use crate::store::{Provenance, TrustKind, TrustRecord};
}
