//! The one error type of the crate.
//!
//! Each variant is something a caller can act on: ask for the password again
//! ([`Error::WrongPassword`]), tell the user the bundle is damaged
//! ([`Error::CorruptBundle`]), offer to remove an old certificate
//! ([`Error::MailboxFull`]), and so on. Messages are one line, name the
//! problem, and never carry secret material (passwords, keys, plaintext).
#![forbid(unsafe_code)]

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
    InvalidRevocationInfo(crate::revocation::RevocationError),

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
        what: crate::store::Corrupted,
    },

    /// The store file is not safe to use: a symbolic link, not a regular
    /// file, or writable by others (like ssh refusing a loose key file).
    #[error("refusing store file {}: {reason}", .path.display())]
    StoreInsecure {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        reason: crate::store::Insecurity,
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
    /// schema from a newer version, ...). The store is unchanged.
    #[error("store error: {0}")]
    Store(String),

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

/// Why a CMS structure (RFC 5652, RFC 5083) could not be read, for
/// [`Error::InvalidCms`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CmsError {
    /// Not a BER/DER `ContentInfo` at all.
    #[error("not a CMS ContentInfo (BER/DER decoding failed)")]
    NotContentInfo,
    /// OpenSSL could not re-encode what it decoded.
    #[error("cannot re-encode the CMS structure")]
    ReEncoding,
    /// A structure that does not decode as its ASN.1 says.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// Another content type than the one needed here.
    #[error("expected {expected}, found content type {found}")]
    UnexpectedContentType {
        /// What was needed.
        expected: &'static str,
        /// What the `ContentInfo` says.
        found: ObjectId,
    },
    /// An opaque `SignedData` without encapsulated content.
    #[error("opaque signed-data without content")]
    MissingContent,
    /// An envelope without any RecipientInfo.
    #[error("no RecipientInfo")]
    NoRecipientInfo,
    /// `AuthEnvelopedData` with a cipher that authenticates nothing.
    #[error("AuthEnvelopedData with a cipher that authenticates nothing")]
    UnauthenticatedCipher,
    /// `EnvelopedData` with an AEAD (RFC 5084 §3: AuthEnvelopedData only).
    #[error("EnvelopedData with an AEAD cipher (RFC 5084 §3: AuthEnvelopedData only)")]
    AeadInEnvelopedData,
    /// AES-GCM without its GCMParameters (RFC 5084 §3.2).
    #[error("AES-GCM without GCMParameters")]
    MissingGcmParameters,
    /// GCMParameters announcing a tag length outside 12 to 16.
    #[error("AES-GCM tag length {0} outside 12..16")]
    GcmTagLength(u8),
    /// A `mac` of another length than GCMParameters announce.
    #[error("AES-GCM tag of {found} bytes where GCMParameters announce {announced}")]
    GcmTagMismatch {
        /// The length of `mac`.
        found: usize,
        /// `aes-ICVlen`.
        announced: u8,
    },
    /// An AEAD (AES-CCM, ChaCha20-Poly1305) without its parameters.
    #[error("{0} without its nonce parameters")]
    MissingAeadParameters(ContentEncryption),
    /// A nonce of a length the AEAD does not allow here (GCM: 12 to 16
    /// bytes; CCM: 7 to 13, RFC 5084 §3.1; ChaCha20-Poly1305: 12, RFC
    /// 8103 §4).
    #[error("{cipher} nonce of {found} bytes")]
    AeadNonceLength {
        /// The cipher.
        cipher: ContentEncryption,
        /// The nonce length.
        found: usize,
    },
    /// CCMParameters announcing a tag shorter than 12 bytes (RFC 5084
    /// allows 4; a 4-byte tag is forged in 2³² tries) or of odd length.
    #[error("{cipher} tag length {found}, not 12, 14 or 16")]
    AeadTagLength {
        /// The cipher.
        cipher: ContentEncryption,
        /// `aes-ICVlen`.
        found: u8,
    },
    /// A `mac` of another length than the AEAD's parameters announce.
    #[error("{cipher} tag of {found} bytes where its parameters announce {announced}")]
    AeadTagMismatch {
        /// The cipher.
        cipher: ContentEncryption,
        /// The length of `mac`.
        found: usize,
        /// The announced length.
        announced: u8,
    },
    /// zlib data that does not inflate (RFC 1950).
    #[error("compressed-data whose zlib stream is damaged")]
    BadCompression,
    /// `AuthEnvelopedData` without `mac`.
    #[error("AuthEnvelopedData without mac")]
    MissingMac,
    /// `EncryptedContentInfo` without `encryptedContent`.
    #[error("EncryptedContentInfo without encryptedContent")]
    MissingEncryptedContent,
    /// The encoding ends inside an element.
    #[error("truncated CMS structure")]
    Truncated,
    /// A tag number of 31 or more (X.690 §8.1.2.4), which CMS never uses.
    #[error("high tag numbers do not occur in CMS")]
    HighTagNumber,
    /// The indefinite form on a primitive element (X.690 §8.1.3.2).
    #[error("indefinite length on a primitive element")]
    IndefinitePrimitive,
    /// A length of more than 8 octets.
    #[error("length of more than 8 octets")]
    LengthTooLong,
    /// Another element than the structure has at this place.
    #[error("expected {expected}, found tag 0x{found:02x}")]
    UnexpectedTag {
        /// The field expected.
        expected: &'static str,
        /// The identifier octet found.
        found: u8,
    },
    /// An indefinite length not closed by end-of-contents octets.
    #[error("missing end-of-contents octets")]
    MissingEndOfContents,
    /// A field larger than it can sensibly be.
    #[error("element larger than {max} bytes")]
    ElementTooLarge {
        /// The bound.
        max: usize,
    },
    /// A segment of a constructed OCTET STRING that is no OCTET STRING.
    #[error("a segment of an OCTET STRING that is no OCTET STRING")]
    BadSegment,
    /// Segments longer than the definite length around them.
    #[error("OCTET STRING segments overrun their length")]
    SegmentOverrun,
    /// Indefinite-length `eContent` that is not an OCTET STRING.
    #[error("indefinite-length eContent that is no OCTET STRING")]
    IndefiniteEContent,
}

/// Why a PKCS#12 bundle (RFC 7292) was refused, for
/// [`Error::CorruptBundle`] and [`Error::UnsupportedBundle`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not a PKCS#12 PFX structure.
    #[error("not a PKCS#12 PFX structure")]
    NotPfx,
    /// A bundle with neither keys nor certificates.
    #[error("the bundle is empty")]
    Empty,
    /// A bundle without integrity MAC (RFC 7292 §4).
    #[error("the bundle has no integrity MAC")]
    NoMac,
    /// A part of the bundle that does not decode.
    #[error("unreadable {0}")]
    Unreadable(&'static str),
    /// An EncryptedData that is not version 0 over id-data (RFC 7292 §4.1).
    #[error("EncryptedData that is not version 0 over id-data (RFC 7292 §4.1)")]
    BadEncryptedData,
    /// More than one private key.
    #[error(
        "{0} private keys in one bundle where one was expected (import them all with pkcs12::import_all)"
    )]
    SeveralKeys(usize),
    /// A password or friendlyName with a NUL character, which C importers
    /// would cut short (export).
    #[error("a PKCS#12 password or friendlyName containing NUL")]
    NulInPassword,
    /// Several end-entity certificates for the key and no localKeyId.
    #[error("several certificates for one key and no localKeyId to choose")]
    AmbiguousCertificate,
    /// OpenSSL refused the bundle; its reasons, for diagnosis.
    #[error("{reason}")]
    Rejected {
        /// OpenSSL's reason strings.
        reason: String,
    },
}

/// Why a certificate could not be read, for [`Error::InvalidCertificate`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not a DER X.509 certificate (RFC 5280 §4.1).
    #[error("not a DER X.509 certificate")]
    Malformed,
    /// An extension that does not decode.
    #[error("{0}: malformed extension")]
    Extension(&'static str),
    /// No `CERTIFICATE` block in a PEM text.
    #[error("no PEM certificate found")]
    NoPem,
    /// A PEM text OpenSSL cannot read.
    #[error("unreadable PEM")]
    BadPem,
    /// Bytes that are neither a certificate nor a PKCS#7 bundle or
    /// certs-only message with certificates in it.
    #[error("no certificate, PKCS#7 bundle or certs-only message found")]
    NoCertificates,
}

/// What was asked for and is not there, for [`Error::NotFound`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Missing {
    /// A certificate of a mailbox, by fingerprint.
    #[error("certificate {fingerprint} in mailbox {mailbox}")]
    Certificate {
        /// The mailbox.
        mailbox: Mailbox,
        /// The fingerprint asked for.
        fingerprint: Fingerprint,
    },
    /// A certificate of the recipient directory, by fingerprint.
    #[error("recipient certificate {fingerprint} for {address}")]
    RecipientCertificate {
        /// The address it was filed under.
        address: Mailbox,
        /// The fingerprint asked for.
        fingerprint: Fingerprint,
    },
    /// No certificate of the mailbox can sign now.
    #[error("valid signing certificate for {0}")]
    SigningCertificate(Mailbox),
    /// No certificate for the address can be encrypted to now.
    #[error("valid encryption certificate for {0}")]
    EncryptionCertificate(Mailbox),
    /// The sender has no certificate to encrypt the sent copy to.
    #[error(
        "valid encryption certificate for the sender {0} (needed to keep the sent copy readable)"
    )]
    SenderEncryptionCertificate(Mailbox),
    /// The mailbox holds no private key.
    #[error("private key in mailbox {0}")]
    PrivateKey(Mailbox),
    /// A trust anchor of the store, by fingerprint.
    #[error("trust anchor {0}")]
    TrustAnchor(Fingerprint),
}

/// An algorithm we do not implement or no longer accept, for
/// [`Error::UnsupportedAlgorithm`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// A content-encryption algorithm we cannot decrypt (RC2, DES, ...).
    #[error("content encryption {0}")]
    ContentEncryption(ObjectId),
    /// RC2-CBC (RFC 3370 §5.2): pre-2010 clients' default. Not decrypted:
    /// OpenSSL's default provider has no RC2, and loading the legacy
    /// provider would turn obsolete ciphers on for the whole process.
    #[error("RC2-CBC content encryption{} (obsolete; decrypt with a legacy tool)", .key_bits.map(|b| format!(" ({b}-bit)")).unwrap_or_default())]
    Rc2Cbc {
        /// The effective key length its parameters announce, when they do.
        key_bits: Option<u16>,
    },
    /// Single DES-CBC (56-bit keys): not decrypted.
    #[error("DES-CBC content encryption (56-bit, obsolete)")]
    DesCbc,
    /// A compression algorithm other than zlib (RFC 3274 §2).
    #[error("compression algorithm {0}")]
    Compression(ObjectId),
    /// A content-encryption algorithm we read but never write.
    #[error("{0} is read, never written")]
    WriteOnly(ContentEncryption),
    /// A digest we verify but never sign with.
    #[error("{0} is not used for new signatures")]
    SigningDigest(DigestAlgorithm),
    /// `authAttrs` in AuthEnvelopedData (RFC 5083 §2.1).
    #[error("AuthEnvelopedData with authenticated attributes")]
    AuthenticatedAttributes,
}

/// Why a certificate may not be used for what was asked, for
/// [`Error::CertificateNotUsable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// Expired at the time of use.
    #[error("it has expired")]
    Expired,
    /// Not yet valid at the time of use.
    #[error("it is not valid yet")]
    NotYetValid,
    /// Expired or not yet valid (encryption).
    #[error("it is expired or not yet valid")]
    OutsideValidity,
    /// Key usage / extended key usage forbid signing e-mail (RFC 8550 §4.4).
    #[error("its key usage or extended key usage does not allow signing e-mail")]
    CannotSign,
    /// Key usage / extended key usage forbid encryption to it.
    #[error("its key usage or extended key usage does not allow encryption to it")]
    CannotEncryptTo,
    /// A CA certificate offered as a correspondent's.
    #[error("a CA certificate is not a correspondent's certificate")]
    CaCertificate,
    /// A certificate that names no e-mail address.
    #[error("it names no e-mail address")]
    NoAddress,
    /// An end-entity certificate offered as an intermediate CA.
    #[error("it is not a CA certificate")]
    NotCa,
}

fn display_emails(emails: &[String]) -> String {
    if emails.is_empty() {
        "no e-mail address".to_owned()
    } else {
        emails.join(", ")
    }
}
