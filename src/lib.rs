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

pub(crate) mod algorithm;
mod ber;
pub mod cert;
pub mod cms;
pub mod envelope;
pub mod error;
mod ffi;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
mod io;
pub mod limits;
pub mod mailbox;
pub(crate) mod mime;
mod oid;
pub mod pkcs12;
pub mod secret;
pub mod sign;
pub mod store;
pub mod verify;

pub use algorithm::{ContentEncryption, DigestAlgorithm, KeyTransport};
pub use cert::{Certificate, Fingerprint, KeyAlgorithm, KeyPurpose, KeyUsage};
pub use envelope::{
    Decrypted, Decryption, EncryptOptions, decrypt, decrypt_and_verify, decrypt_and_verify_stream,
    decrypt_stream, decrypt_stream_with_limits, encrypt, encrypt_stream, sign_and_encrypt,
};
pub use error::{Error, Result};
pub use identity::{Identity, PrivateKey};
pub use limits::Limits;
pub use mailbox::Mailbox;
pub use secret::{Passphrase, Password};
pub use sign::{SignOptions, SignatureForm, sign, sign_stream};
pub use store::{
    DomainPolicy, ImportOptions, Imported, KeyEncryptionKey, MAX_CERTS_PER_MAILBOX, OpenWarning,
    Settings, Store, StoreKey, StoredCertificate, VerifiedSigner,
};
pub use verify::{
    ChainStatus, Coverage, SignatureStatus, SignerReport, VerifyOptions, VerifyReport, verify,
    verify_stream,
};
