//! Certificates exchanged the S/MIME way: the certs-only message (RFC 8551
//! §3.6.2, `application/pkcs7-mime; smime-type=certs-only`) and the
//! PKCS#7 certificate bundles it is made of (`.p7c`, `.p7b`: what
//! `openssl crl2pkcs7 -nocrl -certfile` and Apple/Windows exports write).
//!
//! Both are a CMS `SignedData` with no content and no signers, whose
//! `certificates` field carries the certificates (RFC 5652 §5.1):
//!
//! ```text
//! SignedData ::= SEQUENCE {
//!   version CMSVersion,                          -- 1
//!   digestAlgorithms DigestAlgorithmIdentifiers, -- empty
//!   encapContentInfo EncapsulatedContentInfo,    -- id-data, no eContent
//!   certificates [0] IMPLICIT CertificateSet OPTIONAL,
//!   crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
//!   signerInfos SignerInfos }                    -- empty
//! ```
#![forbid(unsafe_code)]

use ::cms::cert::CertificateChoices;
use ::cms::content_info::{CmsVersion, ContentInfo};
use ::cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::asn1::SetOfVec;
use der::{Any, Encode};

use crate::cert::Certificate;
use crate::cms;
use crate::error::{CertificateError, CmsError, Error, Result};
use crate::limits::Limits;
use crate::mime::{self, Entity};
use crate::oid;

/// Reads the certificates of whatever a correspondent or a directory
/// hands over: a DER or PEM certificate (one or many `CERTIFICATE`
/// blocks), a PKCS#7 bundle in DER, BER or PEM (`PKCS7` block), or a
/// certs-only message (base64 MIME, any `smime-type` label: the CMS
/// content type decides). The certificates of a signed message's
/// SignedData are read too. Certificates the bundle holds in other forms
/// (attribute certificates) are skipped.
///
/// At most [`Limits::max_certificates`] are read. Errors:
/// [`Error::InvalidCertificate`] when the bytes are none of these or hold
/// no certificate, [`Error::InvalidCms`] for a damaged bundle.
///
/// ```
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let alice = smime::Certificate::from_pem(&std::fs::read(format!("{dir}certs/alice.pem"))?)?;
/// let root = smime::Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
/// let message = smime::certs_only(&[alice.clone(), root.clone()])?;
/// let read = smime::read_certificates(&message, &smime::Limits::default())?;
/// assert!(read.len() == 2 && read.contains(&alice) && read.contains(&root));
/// # Ok::<(), smime::Error>(())
/// ```
pub fn read_certificates(bytes: &[u8], limits: &Limits) -> Result<Vec<Certificate>> {
    read(bytes, limits, Signed::Read)
}

/// [`read_certificates()`] that takes only what is meant to hand over
/// certificates: a PKCS#7 must be certs-only, RFC 8551 §3.6.2.2: "The
/// certs-only message or file is created by ... a SignedData where the
/// encapContentInfo eContent field MUST be absent and the signerInfos
/// field MUST be empty". A signed message (content or signers) is
/// [`Error::InvalidCertificate`] with [`CertificateError::NotCertsOnly`];
/// the other errors are [`read_certificates()`]'s.
///
/// ```
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// # let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &smime::Password::new("test-password"), &smime::Limits::default())?;
/// let bundle = smime::certs_only(&[alice.certificate().clone()])?;
/// assert_eq!(smime::read_certs_only(&bundle, &smime::Limits::default())?.len(), 1);
/// let signed = smime::sign(b"Subject: hi\r\n\r\nhi\r\n", &alice, &smime::SignOptions::default().opaque())?;
/// assert!(smime::read_certs_only(&signed, &smime::Limits::default()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_certs_only(bytes: &[u8], limits: &Limits) -> Result<Vec<Certificate>> {
    read(bytes, limits, Signed::Refuse)
}

/// Whether a signed message's certificates are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Signed {
    Read,
    Refuse,
}

fn read(bytes: &[u8], limits: &Limits, signed: Signed) -> Result<Vec<Certificate>> {
    let from_pkcs7 = |ber: &[u8]| from_pkcs7(ber, limits, signed);
    let certs = if let Some(der) = pem_block(bytes, "PKCS7")? {
        from_pkcs7(&der)?
    } else if contains(bytes, b"-----BEGIN CERTIFICATE-----") {
        Certificate::all_from_pem(bytes)?
    } else if bytes.first() == Some(&0x30) {
        match Certificate::from_der(bytes) {
            Ok(cert) => vec![cert],
            Err(_) => from_pkcs7(bytes)?,
        }
    } else {
        let entity = Entity::parse(bytes).map_err(|_| not_certificates())?;
        if !entity.is_pkcs7_mime() {
            return Err(not_certificates());
        }
        from_pkcs7(&entity.decoded_body()?)?
    };
    crate::limits::check(
        "max_certificates",
        certs.len() as u64,
        limits.max_certificates as u64,
    )?;
    if certs.is_empty() {
        return Err(not_certificates());
    }
    Ok(certs)
}

fn not_certificates() -> Error {
    Error::InvalidCertificate(CertificateError::NoCertificates)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The DER of the first PEM block labelled `label`, if there is one.
fn pem_block(bytes: &[u8], label: &str) -> Result<Option<Vec<u8>>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = memchr::memmem::find(bytes, begin.as_bytes()) else {
        return Ok(None);
    };
    let body = bytes.get(start + begin.len()..).unwrap_or_default();
    let stop = memchr::memmem::find(body, end.as_bytes())
        .ok_or(Error::InvalidCertificate(CertificateError::BadPem))?;
    let text: Vec<u8> = body
        .get(..stop)
        .unwrap_or_default()
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(text)
        .map(Some)
        .map_err(|_| Error::InvalidCertificate(CertificateError::BadPem))
}

/// The certificates of a `ContentInfo` holding a `SignedData` (with
/// [`Signed::Refuse`], one with no content and no signers).
fn from_pkcs7(ber: &[u8], limits: &Limits, signed: Signed) -> Result<Vec<Certificate>> {
    match cms::content_type(ber)? {
        oid::SIGNED_DATA => {
            let parsed = cms::parse_signed_data(ber, limits)?;
            let is_signed =
                parsed.econtent.is_some() || !parsed.signed_data.signer_infos.0.is_empty();
            if signed == Signed::Refuse && is_signed {
                return Err(Error::InvalidCertificate(CertificateError::NotCertsOnly));
            }
            Ok(parsed.certificates)
        }
        found => Err(Error::InvalidCms(CmsError::UnexpectedContentType {
            expected: "SignedData (certs-only)",
            found: crate::oid::ObjectId(found),
        })),
    }
}

/// A PKCS#7 certificate bundle (`.p7c`, DER) of `certificates` (in DER
/// `SET OF` order, X.690 §11.6): a `SignedData` with no content and no
/// signers.
pub fn certs_only_der(certificates: &[Certificate]) -> Result<Vec<u8>> {
    let bad = |_| Error::InvalidCms(CmsError::Malformed("SignedData (certs-only)"));
    let choices: Vec<CertificateChoices> = certificates
        .iter()
        .map(|c| CertificateChoices::Certificate(c.x509().clone()))
        .collect();
    let certificates = if choices.is_empty() {
        None
    } else {
        Some(CertificateSet(SetOfVec::try_from(choices).map_err(bad)?))
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::new(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent: None,
        },
        certificates,
        crls: None,
        signer_infos: SignerInfos(SetOfVec::new()),
    };
    let content = Any::encode_from(&signed_data).map_err(bad)?;
    ContentInfo {
        content_type: oid::SIGNED_DATA,
        content,
    }
    .to_der()
    .map_err(bad)
}

/// A certs-only message (RFC 8551 §3.6.2) of `certificates`: what a
/// client imports a correspondent's certificates from.
pub fn certs_only(certificates: &[Certificate]) -> Result<Vec<u8>> {
    let der = certs_only_der(certificates)?;
    let mut out = b"MIME-Version: 1.0\r\n\
        Content-Type: application/pkcs7-mime; smime-type=certs-only; name=\"smime.p7c\"\r\n\
        Content-Transfer-Encoding: base64\r\n\
        Content-Disposition: attachment; filename=\"smime.p7c\"\r\n\r\n"
        .to_vec();
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}
