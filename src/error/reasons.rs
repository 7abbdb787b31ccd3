//! The typed reasons carried by [`Error`] variants: why a message, a CMS
//! structure, a bundle, a certificate or revocation information was
//! refused, what is missing, unsupported or unusable.

use super::*;

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
    /// A signature part (`application/(x-)pkcs7-signature`) as the last
    /// part of a multipart that is not `multipart/signed`: a
    /// multipart/signed whose Content-Type was rewritten (RFC 1847 §2.1).
    #[error("a signature part in a {media_type}, not in a multipart/signed")]
    SignatureOutsideSigned {
        /// The multipart's media type, e.g. `multipart/mixed`.
        media_type: String,
    },
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
    /// A signed message (content or signers) where a certs-only message
    /// or PKCS#7 bundle was asked for ([`crate::read_certs_only`]).
    #[error("a signed message, not a certs-only message or PKCS#7 bundle")]
    NotCertsOnly,
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

/// Why revocation information could not be read, for
/// [`Error::InvalidRevocationInfo`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// Not a DER `CertificateList` (RFC 5280 §5.1).
    #[error("not a DER X.509 CRL")]
    NotCrl,
    /// Not a DER `OCSPResponse` (RFC 6960 §4.2.1).
    #[error("not a DER OCSP response")]
    NotOcspResponse,
    /// An OCSP response whose responseStatus is not successful: it holds
    /// no certificate status.
    #[error("the OCSP response says {0}, not successful")]
    OcspStatus(&'static str),
    /// An OCSP response of another type than id-pkix-ocsp-basic.
    #[error("the OCSP response is not a BasicOCSPResponse")]
    NotBasic,
    /// A PEM text without the expected block.
    #[error("no PEM {0} block found")]
    NoPem(&'static str),
}
