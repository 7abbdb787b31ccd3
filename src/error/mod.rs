//! The one error type of the crate.
//!
//! Each variant is something a caller can act on: ask for the password again
//! ([`Error::WrongPassword`]), tell the user the bundle is damaged
//! ([`Error::CorruptBundle`]), offer to remove an old certificate
//! ([`Error::MailboxFull`]), and so on. Messages are one line, name the
//! problem, and never carry secret material (passwords, keys, plaintext).
#![forbid(unsafe_code)]

mod reasons;
mod store;

pub use reasons::{
    BundleError, CertificateError, CmsError, MimeError, Missing, RevocationError, Unsupported,
    Unusable,
};
pub(crate) use store::corrupt;
pub use store::{Corrupted, Insecurity, StoreFailure};

use crate::algorithm::{ContentEncryption, DigestAlgorithm, KeyAlgorithm};
use crate::fingerprint::{Fingerprint, InvalidFingerprint};
use crate::mailbox::Mailbox;
use crate::oid::ObjectId;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `smime`.
///
/// Variants whose cause a caller may need to tell apart carry a typed
/// reason ([`MimeError`], [`CmsError`], [`BundleError`], ...), never a bare
/// string; every reason has a one-line `Display` for users.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PKCS#12 password is wrong: the bundle's MAC (or, for a bundle
    /// without MAC, its decryption) failed.
    #[error("wrong PKCS#12 password")]
    WrongPassword,

    /// The store passphrase is wrong; nothing was changed.
    #[error("wrong store passphrase")]
    WrongPassphrase,

    /// The input goes over one of the [`Limits`](crate::Limits) (size,
    /// nesting, parts, certificates, signers, recipients, PKCS#12
    /// iterations): refused before the work it would cost.
    #[error("input exceeds the {limit} limit ({max})")]
    LimitExceeded {
        /// Which limit, named as the [`Limits`](crate::Limits) field.
        limit: &'static str,
        /// Its value.
        max: u64,
    },

    /// The bytes are not a well-formed PKCS#12 bundle (truncated, garbage,
    /// inconsistent structure).
    #[error("corrupt PKCS#12 bundle: {0}")]
    CorruptBundle(BundleError),

    /// The bundle is well formed but uses something we do not support
    /// (an unknown cipher, no integrity MAC, ...).
    #[error("unsupported PKCS#12 bundle: {0}")]
    UnsupportedBundle(BundleError),

    /// The bundle holds certificates but no private key.
    #[error("the PKCS#12 bundle holds no private key")]
    NoPrivateKey,

    /// The bundle's private key belongs to none of its certificates.
    #[error("the private key in the PKCS#12 bundle matches none of its certificates")]
    KeyCertificateMismatch,

    /// A key algorithm S/MIME cannot use here (DSA, RSASSA-PSS-only keys,
    /// Ed25519, unknown curves, ...).
    #[error("unsupported key algorithm: {0}")]
    UnsupportedKey(KeyAlgorithm),

    /// A private key that does not decode (PKCS#8, RFC 5958).
    #[error("unreadable PKCS#8 private key")]
    InvalidKey,

    /// A certificate could not be parsed.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(CertificateError),

    /// A CRL or OCSP response that cannot be read.
    #[error("invalid revocation information: {0}")]
    InvalidRevocationInfo(RevocationError),

    /// The text is not an e-mail address we accept as a mailbox.
    #[error("invalid e-mail address {input:?}: {reason}")]
    InvalidAddress {
        /// What was given (truncated to a sane length).
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// The mailbox already holds [`crate::MAX_CERTS_PER_MAILBOX`] certificates.
    #[error("mailbox {mailbox} is full ({max} certificates)")]
    MailboxFull {
        /// The mailbox that is full.
        mailbox: Mailbox,
        /// The cap, [`crate::MAX_CERTS_PER_MAILBOX`].
        max: usize,
    },

    /// The certificate does not name the mailbox's address; import it with
    /// the explicit override if that is really intended.
    #[error("certificate ({}) does not name mailbox {mailbox}", display_emails(.certificate_emails))]
    AddressMismatch {
        /// The mailbox the import was for.
        mailbox: Mailbox,
        /// The addresses the certificate does name.
        certificate_emails: Vec<String>,
    },

    /// The text is not a SHA-256 certificate fingerprint (64 hex digits,
    /// colons allowed).
    #[error(transparent)]
    InvalidFingerprint(#[from] InvalidFingerprint),

    /// The message is not well-formed MIME (RFC 2045-2049) where it must be.
    #[error("invalid MIME message: {0}")]
    InvalidMessage(MimeError),

    /// A CMS structure (RFC 5652) could not be read: not DER/BER, the wrong
    /// content type, a missing field.
    #[error("invalid CMS structure: {0}")]
    InvalidCms(CmsError),

    /// The message carries no S/MIME signature to verify.
    #[error("the message is not S/MIME signed")]
    NotSigned,

    /// The message is encrypted; it must be decrypted before it can be
    /// verified.
    #[error("the message is S/MIME encrypted; decrypt it first")]
    Encrypted,

    /// The message is not S/MIME encrypted.
    #[error("the message is not S/MIME encrypted")]
    NotEncrypted,

    /// The message is not an S/MIME compressed-data message (RFC 3274).
    #[error("the message is not S/MIME compressed-data")]
    NotCompressed,

    /// None of the given identities is a recipient of the message.
    #[error("the message is not encrypted for this mailbox")]
    NotForRecipient,

    /// Decryption failed. Deliberately one error for every cause (key
    /// transport, padding, key unwrap, cipher, authentication tag): a
    /// distinguishable cause would be a decryption oracle.
    #[error("decryption failed")]
    DecryptionFailed,

    /// Encryption was asked for without any recipient.
    #[error("no recipients to encrypt to")]
    NoRecipients,

    /// An algorithm we do not implement or no longer accept.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(Unsupported),

    /// A mailbox, certificate or setting that was asked for does not exist.
    #[error("{0} not found")]
    NotFound(Missing),

    /// [`compose`](crate::compose()) was asked to encrypt, but these
    /// addresses (recipients, or the sender's own for encrypt-to-self)
    /// have no usable certificate in the store: every one is listed, so a
    /// client can ask for all of them at once.
    #[error("no usable certificate for {}", display_mailboxes(.addresses))]
    NoCertificateFor {
        /// Every address without a usable certificate, in message order.
        addresses: Vec<Mailbox>,
    },

    /// Encryption by default cannot be switched on: no certificate of the
    /// mailbox can decrypt.
    #[error(
        "mailbox {0} has no certificate that can decrypt; import one before enabling encryption by default"
    )]
    NoDecryptionCertificate(Mailbox),

    /// A certificate may not be used for what was asked (signing with a
    /// certificate whose key usage forbids it, ...).
    #[error("certificate {fingerprint} cannot be used: {reason}")]
    CertificateNotUsable {
        /// SHA-256 fingerprint of the certificate.
        fingerprint: Fingerprint,
        /// Why not.
        reason: Unusable,
    },

    /// A row of the store failed authentication (an edited column, a row
    /// moved to another mailbox or certificate, a forged or deleted row
    /// where that is detectable): `what` names it. The row is never used.
    #[error("store corrupt or tampered with: {what}")]
    StoreCorrupt {
        /// The row that failed.
        what: Corrupted,
    },

    /// The store file is not safe to use: a symbolic link, not a regular
    /// file, or writable by others (like ssh refusing a loose key file).
    #[error("refusing store file {}: {reason}", .path.display())]
    StoreInsecure {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: Insecurity,
    },

    /// An empty or whitespace-only passphrase for a new store or a
    /// passphrase change: it would protect nothing.
    #[error("the store passphrase must not be empty")]
    EmptyPassphrase,

    /// A key-encryption key that is not 32 bytes long.
    #[error("a key-encryption key is 32 bytes, not {len}")]
    InvalidKeyEncryptionKey {
        /// The length given.
        len: usize,
    },

    /// Another process re-keyed the store (new passphrase or key) since it
    /// was opened here: open it again with the new key. Nothing changed.
    #[error("the store was re-keyed by another process; open it again with the new key")]
    StoreKeyChanged,

    /// The mailbox's domain may not use S/MIME (domain policy, see
    /// [`crate::Store::set_domain_policy`]).
    #[error("S/MIME is not enabled for domain {domain}")]
    DomainNotEnabled {
        /// The domain (lower-case A-labels).
        domain: String,
    },

    /// The mailbox's domain may not switch encryption by default on.
    #[error("encryption by default is not allowed for domain {domain}")]
    EncryptionNotAllowed {
        /// The domain (lower-case A-labels).
        domain: String,
    },

    /// No certificate for `address` may be encrypted to without the caller
    /// allowing untrusted ones: each of its certificates neither chains to
    /// a trust anchor of the store, nor came from a verified trusted
    /// signature, nor was pinned (an unsolicited certificate naming the
    /// address must not receive its mail).
    #[error(
        "no trusted certificate for {address}: add its CA as a trust anchor, pin the certificate, or allow untrusted recipients"
    )]
    UntrustedRecipient {
        /// The address.
        address: Mailbox,
    },

    /// A CRL whose signature does not verify under any certificate the
    /// store trusts or holds (nor one the caller gave): not kept.
    #[error("CRL of {issuer} is not signed by a trust anchor or known CA certificate")]
    CrlNotVerified {
        /// The issuer the CRL names (RFC 4514).
        issuer: String,
    },

    /// The certificate store failed (database error, unreadable file,
    /// schema from a newer version, ...): [`StoreFailure`] says which. The
    /// store is unchanged.
    #[error("store error: {0}")]
    Store(StoreFailure),

    /// A streaming function reads its input more than once (to learn
    /// lengths before writing DER); the input changed in between.
    #[error("the input changed while it was being read")]
    InputChanged,

    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// OpenSSL failed in a way none of the variants above describes.
    #[error("cryptographic operation failed: {0}")]
    Crypto(#[from] openssl::error::ErrorStack),
}

/// `a@x.org, b@y.org` for [`Error::NoCertificateFor`].
fn display_mailboxes(addresses: &[Mailbox]) -> String {
    addresses
        .iter()
        .map(Mailbox::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_emails(emails: &[String]) -> String {
    if emails.is_empty() {
        "no e-mail address".to_owned()
    } else {
        emails.join(", ")
    }
}
