//! The one error type of the crate.
//!
//! Each variant is something a caller can act on: ask for the password again
//! ([`Error::WrongPassword`]), tell the user the bundle is damaged
//! ([`Error::CorruptBundle`]), offer to remove an old certificate
//! ([`Error::MailboxFull`]), and so on. Messages are one line, name the
//! problem, and never carry secret material (passwords, keys, plaintext).
#![forbid(unsafe_code)]

use crate::mailbox::Mailbox;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `smime`.
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
    CorruptBundle(String),

    /// The bundle is well formed but uses something we do not support
    /// (an unknown cipher, several private keys, ...).
    #[error("unsupported PKCS#12 bundle: {0}")]
    UnsupportedBundle(String),

    /// The bundle holds certificates but no private key.
    #[error("the PKCS#12 bundle holds no private key")]
    NoPrivateKey,

    /// The bundle's private key belongs to none of its certificates.
    #[error("the private key in the PKCS#12 bundle matches none of its certificates")]
    KeyCertificateMismatch,

    /// A key algorithm S/MIME cannot use here (DSA, unknown curves, ...).
    #[error("unsupported key algorithm: {0}")]
    UnsupportedKey(String),

    /// A certificate could not be parsed.
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),

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
    #[error("invalid certificate fingerprint {0:?}: expected 64 hex digits")]
    InvalidFingerprint(String),

    /// The message is not well-formed MIME (RFC 2045-2049) where it must be.
    #[error("invalid MIME message: {0}")]
    InvalidMessage(MimeError),

    /// A CMS structure (RFC 5652) could not be read: not DER/BER, the wrong
    /// content type, a missing field.
    #[error("invalid CMS structure: {0}")]
    InvalidCms(String),

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
    UnsupportedAlgorithm(String),

    /// A mailbox, certificate or setting that was asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),

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
        fingerprint: String,
        /// Why not.
        reason: &'static str,
    },

    /// The certificate store failed (database error, unreadable file,
    /// schema from a newer version, ...). The store is unchanged.
    #[error("store error: {0}")]
    Store(String),

    /// Reading or writing a file failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// OpenSSL failed in a way none of the variants above describes.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
}

/// Why a message is not well-formed MIME (RFC 5322, RFC 2045-2049,
/// RFC 1847), for [`Error::InvalidMessage`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MimeError {
    /// The first header line is folded (RFC 5322 §2.2.3).
    #[error("header section starts with a continuation line")]
    ContinuationFirst,
    /// A header line is neither a field nor a continuation.
    #[error("header line {line} is not a field")]
    NotAField {
        /// The line number, from 1.
        line: usize,
    },
    /// More header fields than one entity may have.
    #[error("more than {max} header fields")]
    TooManyFields {
        /// The bound.
        max: usize,
    },
    /// A header section over 1 MiB.
    #[error("header section larger than 1 MiB")]
    HeaderTooLarge,
    /// A Content-Transfer-Encoding RFC 2045 §6 does not define.
    #[error("unknown Content-Transfer-Encoding {0:?}")]
    UnknownTransferEncoding(String),
    /// A base64 body that stops inside a quantum.
    #[error("truncated base64 body")]
    TruncatedBase64,
    /// A base64 body that does not decode.
    #[error("bad base64 body")]
    BadBase64,
    /// A character outside the base64 alphabet.
    #[error("invalid character in base64 body")]
    InvalidBase64Character,
    /// A multipart entity without (or with an empty) boundary parameter.
    #[error("{media_type} without boundary")]
    MissingBoundary {
        /// The media type, e.g. `multipart/mixed`.
        media_type: String,
    },
    /// `boundary=""`.
    #[error("empty multipart boundary")]
    EmptyBoundary,
    /// A multipart body in which the boundary never appears.
    #[error("multipart body without its boundary delimiter")]
    NoDelimiter,
    /// A multipart body without any body part.
    #[error("multipart body without body parts")]
    NoParts,
    /// RFC 1847 §2.1: `multipart/signed` has exactly two parts.
    #[error("multipart/signed needs exactly two parts")]
    SignedPartCount,
    /// The signature part is not `application/(x-)pkcs7-signature`.
    #[error("multipart/signed with a {media_type} signature part")]
    SignaturePartType {
        /// Its media type.
        media_type: String,
    },
    /// A signature part too large to be one.
    #[error("signature part larger than 4 MiB")]
    SignaturePartTooLarge,
    /// Two Content-Type fields: clients disagree on which one wins.
    #[error("several Content-Type fields in one entity")]
    SeveralContentTypes,
}

fn display_emails(emails: &[String]) -> String {
    if emails.is_empty() {
        "no e-mail address".to_owned()
    } else {
        emails.join(", ")
    }
}

impl From<openssl::error::ErrorStack> for Error {
    fn from(e: openssl::error::ErrorStack) -> Self {
        Error::Crypto(e.to_string())
    }
}
