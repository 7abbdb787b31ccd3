//! What verification found, as values a mail client branches on: per
//! signer [`SignatureStatus`], [`ChainStatus`], address match, algorithms
//! and [`Weakness`]es; per message the [`Coverage`] and the [`Problem`]s.
//! Every enum has a one-line English `Display`.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::SystemTime;

use crate::algorithm::EcCurve;
use crate::algorithm::{ContentEncryption, DigestAlgorithm, Named, SignatureAlgorithm};
use crate::cert::{Certificate, CertificateDigest};
use crate::cms::SignatureFailure;
use crate::error::MimeError;
use crate::fingerprint::Fingerprint;
use crate::oid::ObjectId;
use crate::revocation::Revocation;
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
    /// The chain is fine, but a certificate of it (see
    /// [`SignerReport::chain_certificate`]) was revoked at the
    /// verification time, by a CRL or OCSP response verification had.
    Revoked,
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
            ChainStatus::Revoked => f.write_str("revoked"),
        }
    }
}

/// Why a chain is not trusted: path validation's verdict (RFC 5280 §6), as
/// OpenSSL's `X509_V_ERR_*` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainFailure {
    /// No issuer certificate among the message's, the intermediates given
    /// and the trust anchors (`X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY`).
    UnknownIssuer,
    /// The signer's certificate is self-signed and no trust anchor
    /// (`X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT`).
    SelfSigned,
    /// The path ends in a self-signed certificate that is no trust anchor
    /// (`X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN`).
    SelfSignedInChain,
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature,
    /// An issuer that is not a CA (basicConstraints, keyCertSign).
    InvalidCa,
    /// A certificate of the path not allowed for S/MIME signing (OpenSSL's
    /// `smimesign` purpose: a CA whose extended key usage lists neither
    /// emailProtection nor anyExtendedKeyUsage).
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
            20 => ChainFailure::UnknownIssuer,
            18 => ChainFailure::SelfSigned,
            19 => ChainFailure::SelfSignedInChain,
            7 => ChainFailure::BadSignature,
            24 => ChainFailure::InvalidCa,
            26 => ChainFailure::InvalidPurpose,
            code => ChainFailure::Other {
                code,
                reason: crate::ffi::x509_verify_error_string(code),
            },
        }
    }

    /// The `X509_V_ERR_*` code.
    pub fn code(&self) -> i32 {
        match self {
            ChainFailure::UnknownIssuer => 20,
            ChainFailure::SelfSigned => 18,
            ChainFailure::SelfSignedInChain => 19,
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
    /// The protected header section of the signed content (RFC 8551 §3.1
    /// `message/rfc822`, `protected-headers`, RFC 9788 `hp=`) breaks the
    /// rules the outer header is held to: this sender problem
    /// ([`Problem::SeveralFromFields`], [`Problem::UncheckableSender`],
    /// [`Problem::AmbiguousSender`]) was found in it.
    ProtectedHeader(Box<Problem>),
    /// The signed content's header section, or the protected header
    /// section inside it, cannot be read (malformed, or larger than the
    /// header limit): the sender a client may show cannot be checked.
    UncheckableProtectedHeader(MimeError),
    /// A signed `message/rfc822` with a transfer encoding RFC 2046 §5.2.1
    /// forbids: its header is not read, so it cannot be checked.
    EncodedProtectedMessage {
        /// The Content-Transfer-Encoding.
        encoding: String,
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
            Problem::ProtectedHeader(problem) => {
                write!(f, "in the signed (protected) header: {problem}")
            }
            Problem::UncheckableProtectedHeader(why) => {
                write!(f, "the signed header section cannot be checked: {why}")
            }
            Problem::EncodedProtectedMessage { encoding } => write!(
                f,
                "the signed message/rfc822 is {encoding}-encoded, which RFC 2046 forbids: its header cannot be checked"
            ),
        }
    }
}

/// A weak algorithm or key in a signature or on its certificate path:
/// reported always, and making the message not valid unless
/// [`VerifyOptions::allow_weak`](super::VerifyOptions::allow_weak) — but
/// [`Weakness::KeyTooLarge`] is refused even then ([`Weakness::is_refused`]).
/// `depth` is the place on the signer's
/// [`path`](SignerReport::path): 0 the signer's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// A broken or unknown digest in the signature (SHA-1, MD5).
    Digest(Named<DigestAlgorithm>),
    /// A certificate of the path signed with a broken digest (MD5, SHA-1;
    /// a trust anchor's own self-signature does not count).
    CertificateDigest {
        /// Where on the path.
        depth: usize,
        /// The digest of its signature.
        digest: CertificateDigest,
    },
    /// An RSA key shorter than 2048 bits.
    RsaKey {
        /// Where on the path.
        depth: usize,
        /// The modulus length.
        bits: u32,
    },
    /// An elliptic curve under 256 bits or unknown.
    EcCurve {
        /// Where on the path.
        depth: usize,
        /// The curve.
        curve: EcCurve,
    },
    /// An RSA key over 16384 bits: absurd, refused.
    KeyTooLarge {
        /// Where on the path.
        depth: usize,
        /// The modulus length.
        bits: u32,
    },
}

impl Weakness {
    /// Refused whatever the options say (not merely weak).
    pub fn is_refused(&self) -> bool {
        matches!(self, Weakness::KeyTooLarge { .. })
    }
}

fn at_depth(f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    match depth {
        0 => f.write_str(" (signer's certificate)"),
        d => write!(f, " (certificate {d} of the path)"),
    }
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::Digest(d) => write!(f, "{d} digest"),
            Weakness::CertificateDigest { depth, digest } => {
                write!(f, "{digest}-signed certificate")?;
                at_depth(f, *depth)
            }
            Weakness::RsaKey { depth, bits } => {
                write!(f, "RSA key of {bits} bits")?;
                at_depth(f, *depth)
            }
            Weakness::EcCurve { depth, curve } => {
                write!(f, "EC curve {curve}")?;
                at_depth(f, *depth)
            }
            Weakness::KeyTooLarge { depth, bits } => {
                write!(f, "absurd RSA key of {bits} bits")?;
                at_depth(f, *depth)
            }
        }
    }
}

/// The certificate of a signer's path a [`ChainStatus`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainCertificate {
    /// Its place on the path: 0 the signer's own certificate, counting up
    /// towards the trust anchor (OpenSSL's error depth).
    pub depth: usize,
    /// Its SHA-256 fingerprint.
    pub fingerprint: Fingerprint,
}

impl fmt::Display for ChainCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate {} of the path ({})",
            self.depth, self.fingerprint
        )
    }
}

/// One certificate of a signer's path as path validation built it, signer
/// first, trust anchor last, with its revocation status.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathCertificate {
    /// The certificate.
    pub certificate: Certificate,
    /// Whether it is one of the trust anchors given.
    pub trust_anchor: bool,
    /// Its revocation status at the verification time
    /// ([`Revocation::NotChecked`] for a trust anchor).
    pub revocation: Revocation,
}

impl PathCertificate {
    /// Where a caller may fetch revocation information for it: its CRL
    /// distribution points, then its OCSP responders.
    pub fn revocation_urls(&self) -> Vec<String> {
        let mut urls = self.certificate.crl_distribution_points().to_vec();
        urls.extend_from_slice(self.certificate.ocsp_responders());
        urls
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
    /// The certificate of the path `chain` is about when it is not
    /// trusted (the one that expired, was revoked, may not serve S/MIME,
    /// whose issuer is unknown...), when path validation named one.
    pub chain_certificate: Option<ChainCertificate>,
    /// The path as built, signer first (empty without a certificate); a
    /// partial path when no trust anchor was reached.
    pub path: Vec<PathCertificate>,
    /// The path's revocation status: the worst of its certificates' but
    /// the trust anchor's (revoked, then unknown, then good);
    /// [`Revocation::NotChecked`] when revocation is off or there is no
    /// path.
    pub revocation: Revocation,
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

    /// Where a caller may fetch the CRLs and OCSP responses verification
    /// lacked: the URLs of every certificate of the path but the trust
    /// anchor, without duplicates.
    pub fn revocation_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = Vec::new();
        for url in self
            .path
            .iter()
            .filter(|p| !p.trust_anchor)
            .flat_map(PathCertificate::revocation_urls)
        {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
        urls
    }
}

/// The result of [`verify`](crate::verify()). `Debug` does not print the
/// content (it may be decrypted plaintext), only its length.
#[derive(Clone)]
#[non_exhaustive]
pub struct VerifyReport {
    /// True only when there is at least one signer, every signature is
    /// valid, every chain is trusted (S/MIME purpose on the whole path, no
    /// certificate revoked, and under [`RevocationPolicy::Hard`](crate::RevocationPolicy::Hard)
    /// every one known good) with signing usage, a signer's address
    /// matches `From` (when there is one), the signature covers the whole
    /// body, no weak algorithm or key is involved in the signature or on
    /// any path (unless allowed; absurd keys never), and nothing in
    /// [`VerifyReport::problems`] was found (the protected header's sender
    /// included).
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

impl std::fmt::Debug for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyReport")
            .field("valid", &self.valid)
            .field("form", &self.form)
            .field("signers", &self.signers)
            .field("from", &self.from)
            .field("coverage", &self.coverage)
            .field("problems", &self.problems)
            .field("content_len", &self.content.len())
            .field("certificates", &self.certificates)
            .finish()
    }
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
