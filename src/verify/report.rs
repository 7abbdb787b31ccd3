//! What verification found, as values a mail client branches on: per
//! signer [`SignatureStatus`], [`ChainStatus`], address match, algorithms
//! and [`Weakness`]es; per message the [`Coverage`] and the [`Problem`]s.
//! Every enum has a one-line English `Display`.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::SystemTime;

use crate::algorithm::EcCurve;
use crate::algorithm::{ContentEncryption, DigestAlgorithm, Named, SignatureAlgorithm};
use crate::cert::Certificate;
use crate::cms::SignatureFailure;
use crate::fingerprint::Fingerprint;
use crate::oid::ObjectId;
use crate::sign::SignatureForm;
use crate::store::VerifiedSigner;

/// Did the signature verify?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureStatus {
    /// The signature and the message digest verify.
    Valid,
    /// They do not, for this reason.
    Invalid(SignatureFailure),
}

impl fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureStatus::Valid => f.write_str("valid"),
            SignatureStatus::Invalid(why) => write!(f, "invalid: {why}"),
        }
    }
}

/// Does the signer's certificate chain to a trust anchor, as of the
/// verification time, and may it sign e-mail?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainStatus {
    /// Chains to a trust anchor, every certificate valid at the time, and
    /// the signer's key usage allows signing e-mail.
    Trusted,
    /// No path to a trust anchor, for this reason.
    Untrusted(ChainFailure),
    /// A certificate of the chain had expired at the verification time.
    Expired,
    /// A certificate of the chain was not yet valid at the verification time.
    NotYetValid,
    /// The chain is fine but the signer's key usage / extended key usage do
    /// not allow signing e-mail (RFC 8550 §4.4).
    BadUsage,
    /// The signer's certificate is not in the message.
    NoCertificate,
}

impl fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainStatus::Trusted => f.write_str("trusted"),
            ChainStatus::Untrusted(why) => write!(f, "untrusted: {why}"),
            ChainStatus::Expired => f.write_str("expired"),
            ChainStatus::NotYetValid => f.write_str("not yet valid"),
            ChainStatus::BadUsage => f.write_str("not allowed to sign e-mail"),
            ChainStatus::NoCertificate => {
                f.write_str("the signer's certificate is not in the message")
            }
        }
    }
}

/// Why a chain is not trusted: path validation's verdict (RFC 5280 §6), as
/// OpenSSL's `X509_V_ERR_*` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainFailure {
    /// No issuer certificate among the message's, the intermediates given
    /// and the trust anchors.
    UnknownIssuer,
    /// A self-signed certificate that is not a trust anchor.
    SelfSigned,
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature,
    /// An issuer that is not a CA (basicConstraints, keyCertSign).
    InvalidCa,
    /// A certificate not allowed for this purpose.
    InvalidPurpose,
    /// Any other path validation error, with OpenSSL's code and text.
    Other {
        /// `X509_V_ERR_*`.
        code: i32,
        /// OpenSSL's description of it.
        reason: &'static str,
    },
}

impl ChainFailure {
    /// From OpenSSL's `X509_V_ERR_*` code.
    pub(crate) fn from_code(code: i32) -> Self {
        match code {
            2 | 20 => ChainFailure::UnknownIssuer,
            18 | 19 => ChainFailure::SelfSigned,
            7 => ChainFailure::BadSignature,
            24 => ChainFailure::InvalidCa,
            26 => ChainFailure::InvalidPurpose,
            code => ChainFailure::Other {
                code,
                reason: crate::ffi::x509_verify_error_string(code),
            },
        }
    }

    /// The `X509_V_ERR_*` code (for the variants that stand for two, the
    /// more common one).
    pub fn code(&self) -> i32 {
        match self {
            ChainFailure::UnknownIssuer => 20,
            ChainFailure::SelfSigned => 18,
            ChainFailure::BadSignature => 7,
            ChainFailure::InvalidCa => 24,
            ChainFailure::InvalidPurpose => 26,
            ChainFailure::Other { code, .. } => *code,
        }
    }
}

impl fmt::Display for ChainFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainFailure::Other { reason, .. } => f.write_str(reason),
            known => f.write_str(crate::ffi::x509_verify_error_string(known.code())),
        }
    }
}

/// A message-level finding that makes a message not valid whatever its
/// signatures say ("Johnny, you are fired!", USENIX Security 2019).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// No SignerInfo at all: nothing is signed.
    NoSigners,
    /// Several `From` fields: which one a client shows is not defined.
    SeveralFromFields,
    /// The sender shows no address that a certificate could be checked
    /// against.
    UncheckableSender {
        /// The field value as received.
        value: String,
    },
    /// The sender shows more than the one address that was checked (a
    /// second address, an address in the display name, encoded words).
    AmbiguousSender {
        /// The field value as received.
        value: String,
    },
    /// A `multipart/signed` whose CMS also embeds content: which content
    /// is signed is ambiguous.
    EmbeddedContent,
    /// The signed content is not a MIME entity (eContentType is not
    /// id-data).
    NotMimeContent {
        /// The eContentType.
        content_type: ObjectId,
    },
    /// The signed content carries a `From` (protected header) that no
    /// signer's certificate names.
    InnerFromNotSigner {
        /// The inner `From` as received.
        from: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoSigners => f.write_str("the message has no signers"),
            Problem::SeveralFromFields => f.write_str("the message has several From fields"),
            Problem::UncheckableSender { value } => {
                write!(f, "the sender {value:?} has no address that can be checked")
            }
            Problem::AmbiguousSender { value } => write!(
                f,
                "the sender {value:?} shows more than the one address that can be checked"
            ),
            Problem::EmbeddedContent => f.write_str(
                "the multipart/signed signature also embeds content: which content is signed is ambiguous",
            ),
            Problem::NotMimeContent { content_type } => write!(
                f,
                "the signed content is of type {}, not a MIME entity (id-data)",
                content_type.dotted()
            ),
            Problem::InnerFromNotSigner { from } => write!(
                f,
                "the signed content shows From {from:?}, which no signer's certificate names"
            ),
        }
    }
}

/// A weak algorithm or key in a signature: reported always, and making the
/// message not valid unless [`VerifyOptions::allow_weak`](super::VerifyOptions::allow_weak).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// A broken or unknown digest (SHA-1, MD5).
    Digest(Named<DigestAlgorithm>),
    /// An RSA key shorter than 2048 bits.
    RsaKey {
        /// The modulus length.
        bits: u32,
    },
    /// An elliptic curve under 256 bits or unknown.
    EcCurve(EcCurve),
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::Digest(d) => write!(f, "{d} digest"),
            Weakness::RsaKey { bits } => write!(f, "RSA key of {bits} bits"),
            Weakness::EcCurve(curve) => write!(f, "EC curve {curve}"),
        }
    }
}

/// What the signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Coverage {
    /// The whole body of the message (the outer header fields, such as
    /// Subject, are never covered by S/MIME).
    WholeBody,
    /// Only one nested part, at this path of part indexes; the rest of the
    /// message is not signed. A client must not show the message as signed.
    Part(Vec<usize>),
}

/// One signer's verdict.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignerReport {
    /// The signer's certificate, when the message carries it.
    pub certificate: Option<Certificate>,
    /// Did the signature verify?
    pub signature: SignatureStatus,
    /// Is the certificate trusted, at the verification time?
    pub chain: ChainStatus,
    /// Does one of the certificate's addresses match `From`? `None` when the
    /// message has no `From` (a bare entity).
    pub from_matches: Option<bool>,
    /// The SignerInfo's digest algorithm.
    pub digest_algorithm: Named<DigestAlgorithm>,
    /// The SignerInfo's signature algorithm.
    pub signature_algorithm: Named<SignatureAlgorithm>,
    /// Why the algorithms are weak; empty when they are not.
    pub weaknesses: Vec<Weakness>,
    /// The signingTime attribute: informative only, chosen by the signer.
    pub signing_time: Option<SystemTime>,
    /// The content encryptions the signer's client announced it can
    /// decrypt (SMIMECapabilities, RFC 8551 §2.5.2), most preferred first,
    /// limited to those this crate can use; `None` when not announced.
    pub capabilities: Option<Vec<ContentEncryption>>,
}

impl SignerReport {
    /// The certificate's e-mail addresses.
    pub fn emails(&self) -> &[String] {
        self.certificate
            .as_ref()
            .map_or(&[], |c| c.email_addresses())
    }

    /// The certificate's fingerprint.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.certificate.as_ref().map(Certificate::fingerprint)
    }
}

/// The result of [`verify`](crate::verify()).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct VerifyReport {
    /// True only when there is at least one signer, every signature is
    /// valid, every chain is trusted with signing usage, a signer's address
    /// matches `From` (when there is one), the signature covers the whole
    /// body, no weak algorithm is involved (unless allowed) and nothing in
    /// [`VerifyReport::problems`] was found.
    pub valid: bool,
    /// Detached or opaque.
    pub form: SignatureForm,
    /// One entry per SignerInfo, in message order.
    pub signers: Vec<SignerReport>,
    /// The `From` address of the message, when it has one.
    pub from: Option<String>,
    /// What the signature covers.
    pub coverage: Coverage,
    /// Message-level findings that make it not valid (no signers, content
    /// confusion, ...).
    pub problems: Vec<Problem>,
    /// The signed MIME entity, for display: exactly what was verified.
    pub content: Vec<u8>,
    /// Every certificate the message carried, for the recipient directory.
    pub certificates: Vec<Certificate>,
}

impl VerifyReport {
    /// The signers a recipient directory may learn from: none unless the
    /// message is valid as a whole (sender matches, nothing wrapped or
    /// ambiguous); then each signer whose signature is valid and whose
    /// chain is trusted, with what it announced. For
    /// [`Store::add_verified_signers`](crate::Store::add_verified_signers).
    pub fn verified_signers(&self) -> Vec<VerifiedSigner> {
        if !self.valid {
            return Vec::new();
        }
        self.signers
            .iter()
            .filter(|s| s.signature == SignatureStatus::Valid && s.chain == ChainStatus::Trusted)
            .filter_map(|s| {
                let certificate = s.certificate.clone()?;
                Some(VerifiedSigner::new(
                    certificate,
                    s.capabilities.clone(),
                    s.signing_time,
                ))
            })
            .collect()
    }
}
