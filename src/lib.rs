//! # smime — S/MIME for mail clients
//!
//! `smime` imports a user's PKCS#12 bundle into a per-mailbox certificate
//! store and signs, verifies, encrypts and decrypts MIME messages with it,
//! in memory or streaming from a reader to a writer in memory that does not
//! grow with the message. Rust owns the formats (RustCrypto `x509-cert`, `der`,
//! `cms`); OpenSSL owns every cryptographic primitive.
//!
//! ## Modules, one concept each
//!
//! | module | what it is |
//! |---|---|
//! | [`error`] | [`Error`], the one error type, with variants a caller can act on |
//! | [`secret`] | [`Password`], [`Passphrase`]: zeroized on drop, redacted in `Debug` |
//! | [`mailbox`] | [`Mailbox`]: a validated e-mail address, compared case-insensitively |
//! | [`cert`] | [`Certificate`]: subject, e-mail addresses, key usage, "can sign / can decrypt" (RFC 8550) |
//! | [`identity`] | [`Identity`]: certificate + private key + chain |
//! | [`limits`] | [`Limits`]: sizes, depths and counts hostile input may not exceed |
//! | [`pkcs12`] | PKCS#12 import, modern and legacy bundles |
//! | [`store`] | [`Store`]: mailboxes of at most [`MAX_CERTS_PER_MAILBOX`] certificates, keys sealed at rest |
//! | [`cms`] | CMS `SignedData` (RFC 5652) built and checked: signed attributes, signer lookup, algorithms |
//! | `mime` (internal) | MIME parsing, multipart splitting, canonical form, transfer encodings |
//! | `io` (internal) | streaming blocks: header reader, transport-safety scan, canonicalizer, base64 in and out, `multipart/signed` splitter |
//! | `ber` (internal) | a pull reader for BER from a stream: CMS fields read whole, content octets passed through |
//! | [`sign`](mod@sign) | [`sign()`], [`sign_stream()`]: `multipart/signed` or opaque `application/pkcs7-mime` |
//! | [`envelope`] | [`encrypt()`] / [`decrypt()`] and their `_stream` forms: EnvelopedData (AES-CBC) and AuthEnvelopedData (AES-GCM), RSA and ECDH recipients |
//! | [`verify`](mod@verify) | [`verify()`], [`verify_stream()`] → [`VerifyReport`]: per-signer signature, chain, usage, `From` match, coverage |
//!
//! ## Quick start
//!
//! ```
//! use smime::{Mailbox, Password, Store};
//!
//! let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice.p12"))?;
//! let alice: Mailbox = "alice@example.org".parse()?;
//! let mut store = Store::in_memory()?; // or Store::open("mail.db", &passphrase)
//! store.import_pkcs12(&alice, &p12, &Password::new("test-password"))?;
//! for entry in store.list(&alice)? {
//!     println!("{} {}", entry.certificate.fingerprint(), entry.certificate.subject());
//! }
//! # Ok::<(), smime::Error>(())
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
mod cms;
mod envelope;
mod error;
mod ffi;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod identity;
mod io;
mod limits;
mod mailbox;
mod message;
mod mime;
mod oid;
pub mod pkcs12;
mod secret;
mod sign;
mod store;
mod verify;

pub use algorithm::{ContentEncryption, DigestAlgorithm, KeyTransport, Named, SignatureAlgorithm};
pub use cert::{Certificate, EcCurve, Fingerprint, KeyAlgorithm, KeyPurpose, KeyUsage};
pub use cms::SignatureFailure;
pub use envelope::{
    DecryptOptions, Decrypted, Decryption, EncryptOptions, decrypt, decrypt_stream, encrypt,
    encrypt_stream,
};
pub use error::{
    BundleError, CertificateError, CmsError, Error, MimeError, Missing, Result, Unsupported,
    Unusable,
};
pub use identity::{Identity, PrivateKey};
pub use limits::Limits;
pub use mailbox::Mailbox;
pub use message::{decrypt_and_verify, decrypt_and_verify_stream, sign_and_encrypt};
pub use oid::ObjectId;
pub use secret::{Passphrase, Password};
pub use sign::{SignOptions, SignatureForm, sign, sign_stream};
pub use store::{
    ImportOptions, Imported, MAX_CERTS_PER_MAILBOX, Settings, Store, StoredCertificate,
    VerifiedSigner,
};
pub use verify::{
    ChainFailure, ChainStatus, Coverage, Problem, SignatureStatus, SignerReport, VerifyOptions,
    VerifyReport, Weakness, verify, verify_stream,
};

/// Where a [`Store`] keeps its mailboxes: the [`Backend`](backend::Backend)
/// and [`Transaction`](backend::Transaction) traits the store's rules are
/// written against, the records a backend keeps (private keys only ever
/// sealed), and the backends that ship.
pub mod backend {
    #[cfg(feature = "sqlite")]
    pub use crate::store::SqliteBackend;
    pub use crate::store::{Backend, MemoryBackend, RecipientRecord, Record, Transaction};
}
