//! [`Certificate`]: a read-only view of an X.509 certificate, with what an
//! S/MIME agent needs to know about it (RFC 8550).
//!
//! Parsing and inspection use RustCrypto `x509-cert`/`der`, strict DER as
//! RFC 5280 §4.1 requires; the public key is handed to OpenSSL, which owns
//! every cryptographic use of it. Everything is decoded once, when the
//! certificate is read, so accessors cannot fail and a malformed extension
//! is reported up front as [`Error::InvalidCertificate`].
#![forbid(unsafe_code)]

use std::fmt;
use std::time::SystemTime;

use const_oid::ObjectIdentifier;
use const_oid::db::{rfc3280, rfc5280};
use der::Decode;
use der::asn1::Ia5StringRef;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::x509::X509;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage,
    KeyUsage as PkixKeyUsage, SubjectAltName, SubjectKeyIdentifier,
};

pub(crate) use crate::algorithm::{EcCurve, KeyAlgorithm};
use crate::error::{CertificateError, Error, Result};
use crate::limits::Limits;
// The store imports these from here (to be moved to their own paths).
pub(crate) use crate::fingerprint::Fingerprint;
use crate::mailbox::Mailbox;

/// The key usage extension (RFC 5280 §4.2.1.3), one flag per bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyUsage {
    /// digitalSignature (0)
    pub digital_signature: bool,
    /// nonRepudiation, a.k.a. contentCommitment (1)
    pub non_repudiation: bool,
    /// keyEncipherment (2)
    pub key_encipherment: bool,
    /// dataEncipherment (3)
    pub data_encipherment: bool,
    /// keyAgreement (4)
    pub key_agreement: bool,
    /// keyCertSign (5)
    pub key_cert_sign: bool,
    /// cRLSign (6)
    pub crl_sign: bool,
    /// encipherOnly (7)
    pub encipher_only: bool,
    /// decipherOnly (8)
    pub decipher_only: bool,
}

impl From<&PkixKeyUsage> for KeyUsage {
    fn from(ku: &PkixKeyUsage) -> Self {
        KeyUsage {
            digital_signature: ku.digital_signature(),
            non_repudiation: ku.non_repudiation(),
            key_encipherment: ku.key_encipherment(),
            data_encipherment: ku.data_encipherment(),
            key_agreement: ku.key_agreement(),
            key_cert_sign: ku.key_cert_sign(),
            crl_sign: ku.crl_sign(),
            encipher_only: ku.encipher_only(),
            decipher_only: ku.decipher_only(),
        }
    }
}

/// A key purpose from the extended key usage extension (RFC 5280 §4.2.1.12).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyPurpose {
    /// id-kp-emailProtection: the S/MIME purpose.
    EmailProtection,
    /// anyExtendedKeyUsage.
    Any,
    /// id-kp-serverAuth.
    ServerAuth,
    /// id-kp-clientAuth.
    ClientAuth,
    /// id-kp-codeSigning.
    CodeSigning,
    /// id-kp-timeStamping.
    TimeStamping,
    /// Any other purpose, as a dotted OID.
    Other(String),
}

impl From<&ObjectIdentifier> for KeyPurpose {
    fn from(oid: &ObjectIdentifier) -> Self {
        match *oid {
            rfc5280::ID_KP_EMAIL_PROTECTION => KeyPurpose::EmailProtection,
            rfc5280::ANY_EXTENDED_KEY_USAGE => KeyPurpose::Any,
            rfc5280::ID_KP_SERVER_AUTH => KeyPurpose::ServerAuth,
            rfc5280::ID_KP_CLIENT_AUTH => KeyPurpose::ClientAuth,
            rfc5280::ID_KP_CODE_SIGNING => KeyPurpose::CodeSigning,
            rfc5280::ID_KP_TIME_STAMPING => KeyPurpose::TimeStamping,
            other => KeyPurpose::Other(other.to_string()),
        }
    }
}

/// An X.509 certificate with the facts an S/MIME agent needs.
///
/// ```
/// let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/certs/alice.pem"))?;
/// let cert = smime::Certificate::from_pem(&pem)?;
/// assert_eq!(cert.email_addresses(), ["alice@example.org"]);
/// assert!(cert.can_sign() && cert.can_decrypt());
/// assert_eq!(cert.fingerprint().to_string().len(), 64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    openssl: X509,
    parsed: x509_cert::Certificate,
    subject_key_identifier: Option<Vec<u8>>,
    subject: String,
    issuer: String,
    serial: Vec<u8>,
    not_before: SystemTime,
    not_after: SystemTime,
    emails: Vec<String>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<Vec<KeyPurpose>>,
    is_ca: bool,
    key_algorithm: KeyAlgorithm,
    fingerprint: Fingerprint,
    crl_distribution_points: Vec<String>,
    ocsp_responders: Vec<String>,
}

/// A broken digest in a certificate's own signature (its
/// `signatureAlgorithm`, RFC 5280 §4.1.1.2): collisions let whoever had
/// one such certificate issued forge another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateDigest {
    /// MD2 (md2WithRSAEncryption).
    Md2,
    /// MD4 (md4WithRSAEncryption).
    Md4,
    /// MD5 (md5WithRSAEncryption).
    Md5,
    /// SHA-1 (sha1WithRSAEncryption, ecdsa-with-SHA1, dsa-with-sha1,
    /// RSASSA-PSS with its SHA-1 default).
    Sha1,
}

impl fmt::Display for CertificateDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Md2 => "MD2",
            Self::Md4 => "MD4",
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
        })
    }
}

/// `id-smtputf8Name` (RFC 8398 §3): an SmtpUTF8Mailbox in an otherName.
const SMTP_UTF8_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.8.9");
/// `id-ad-ocsp` (RFC 5280 §4.2.2.1).
const AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");

fn invalid(reason: CertificateError) -> Error {
    Error::InvalidCertificate(reason)
}

fn extension(name: &'static str) -> impl Fn(der::Error) -> Error {
    move |_| invalid(CertificateError::Extension(name))
}

impl Certificate {
    /// Reads one DER-encoded certificate. Trailing bytes are an error; a
    /// SET OF wider than [`Limits::max_set_elements`]'s default is
    /// [`Error::LimitExceeded`].
    pub fn from_der(der: &[u8]) -> Result<Self> {
        // Names are SETs, which the `der` crate sorts as it decodes them.
        crate::cms::check_set_widths(
            der,
            Limits::default().max_set_elements,
            crate::cms::Implicit::No,
        )?;
        let parsed = x509_cert::Certificate::from_der(der)
            .map_err(|_| invalid(CertificateError::Malformed))?;
        let openssl = X509::from_der(der).map_err(|_| invalid(CertificateError::Malformed))?;
        let tbs = &parsed.tbs_certificate;
        let key_usage = tbs
            .get::<PkixKeyUsage>()
            .map_err(extension("key usage"))?
            .map(|(_, ku)| KeyUsage::from(&ku));
        let extended_key_usage = tbs
            .get::<ExtendedKeyUsage>()
            .map_err(extension("extended key usage"))?
            .map(|(_, eku)| eku.0.iter().map(KeyPurpose::from).collect());
        let subject_key_identifier = tbs
            .get::<SubjectKeyIdentifier>()
            .map_err(extension("subject key identifier"))?
            .map(|(_, ski)| ski.0.as_bytes().to_vec());
        let is_ca = tbs
            .get::<BasicConstraints>()
            .map_err(extension("basic constraints"))?
            .is_some_and(|(_, bc)| bc.ca);
        let crl_distribution_points = tbs
            .get::<CrlDistributionPoints>()
            .map_err(extension("CRL distribution points"))?
            .map(|(_, dps)| dps.0.iter().flat_map(distribution_point_uris).collect())
            .unwrap_or_default();
        let ocsp_responders = tbs
            .get::<AuthorityInfoAccessSyntax>()
            .map_err(extension("authority information access"))?
            .map(|(_, aia)| {
                aia.0
                    .iter()
                    .filter(|ad| ad.access_method == AD_OCSP)
                    .filter_map(|ad| match &ad.access_location {
                        GeneralName::UniformResourceIdentifier(uri) => {
                            Some(uri.as_str().to_owned())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Certificate {
            crl_distribution_points,
            ocsp_responders,
            emails: email_addresses(tbs)?,
            key_algorithm: key_algorithm(
                &openssl
                    .public_key()
                    .map_err(|_| invalid(CertificateError::Malformed))?,
            ),
            subject: tbs.subject.to_string(),
            issuer: tbs.issuer.to_string(),
            serial: tbs.serial_number.as_bytes().to_vec(),
            not_before: tbs.validity.not_before.to_system_time(),
            not_after: tbs.validity.not_after.to_system_time(),
            key_usage,
            extended_key_usage,
            is_ca,
            fingerprint: Fingerprint::of(der),
            der: der.to_vec(),
            openssl,
            subject_key_identifier,
            parsed,
        })
    }

    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        Self::all_from_pem(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| invalid(CertificateError::NoPem))
    }

    /// Reads every `CERTIFICATE` block of a PEM bundle, in order.
    pub fn all_from_pem(pem: &[u8]) -> Result<Vec<Self>> {
        let stack = X509::stack_from_pem(pem).map_err(|_| invalid(CertificateError::BadPem))?;
        stack
            .iter()
            .map(|c| Self::from_der(&c.to_der().map_err(|_| invalid(CertificateError::BadPem))?))
            .collect()
    }

    /// Reads certificates from bytes that are either PEM (one or many) or
    /// a single DER certificate.
    pub fn all_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>> {
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            Self::all_from_pem(bytes)
        } else {
            Ok(vec![Self::from_der(bytes)?])
        }
    }

    /// The DER encoding.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as one PEM block.
    pub fn to_pem(&self) -> String {
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &self.der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// Subject distinguished name, RFC 4514 string form.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject's commonName (the first one), e.g. `Alice Lovelace`,
    /// for "signed by ..." in a mail client; `None` when the subject has
    /// none or it is not text.
    pub fn common_name(&self) -> Option<String> {
        let entry = self
            .openssl
            .subject_name()
            .entries_by_nid(Nid::COMMONNAME)
            .next()?;
        entry.data().to_string().ok()
    }

    /// Issuer distinguished name, RFC 4514 string form.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Serial number, big-endian bytes as encoded.
    pub fn serial(&self) -> &[u8] {
        &self.serial
    }

    /// Serial number as lowercase hex.
    pub fn serial_hex(&self) -> String {
        self.serial.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// True when `time` lies inside the validity period (both ends included,
    /// RFC 5280 §4.1.2.5).
    pub fn is_valid_at(&self, time: SystemTime) -> bool {
        self.not_before <= time && time <= self.not_after
    }

    /// E-mail addresses the certificate names (RFC 8550 §3): the
    /// subjectAltName's rfc822Name entries and SmtpUTF8Mailbox otherNames
    /// (RFC 8398 §3), in order; the legacy subject `emailAddress`
    /// attributes only when the subjectAltName names no address at all
    /// ("use the SAN when present"). Without duplicates, as written in the
    /// certificate.
    pub fn email_addresses(&self) -> &[String] {
        &self.emails
    }

    /// True when one of [`Certificate::email_addresses`] names `mailbox`:
    /// a subject `emailAddress` that differs from the subjectAltName never
    /// counts.
    pub fn names_mailbox(&self, mailbox: &Mailbox) -> bool {
        self.emails.iter().any(|e| mailbox.matches(e))
    }

    /// The URLs of the CRL distribution points extension (RFC 5280
    /// §4.2.1.13, fullName URIs), where a caller may fetch CRLs.
    pub fn crl_distribution_points(&self) -> &[String] {
        &self.crl_distribution_points
    }

    /// The OCSP responder URLs of the authority information access
    /// extension (RFC 5280 §4.2.2.1).
    pub fn ocsp_responders(&self) -> &[String] {
        &self.ocsp_responders
    }

    /// The digest of the certificate's own signature when it is a broken
    /// one (MD2, MD4, MD5, SHA-1), `None` for SHA-2 and others.
    pub fn weak_signature_digest(&self) -> Option<CertificateDigest> {
        let alg = &self.parsed.signature_algorithm;
        let oid = alg.oid.to_string();
        match oid.as_str() {
            "1.2.840.113549.1.1.2" => Some(CertificateDigest::Md2),
            "1.2.840.113549.1.1.3" => Some(CertificateDigest::Md4),
            "1.2.840.113549.1.1.4" => Some(CertificateDigest::Md5),
            "1.2.840.113549.1.1.5"
            | "1.3.14.3.2.29"
            | "1.2.840.10045.4.1"
            | "1.2.840.10040.4.3" => Some(CertificateDigest::Sha1),
            // RSASSA-PSS: hashAlgorithm [0] DEFAULT sha1 (RFC 4055 §3.1).
            "1.2.840.113549.1.1.10" => match crate::cms::pss_hash(alg.parameters.as_ref()) {
                Some(d) if d != crate::algorithm::DigestAlgorithm::Sha1 => None,
                _ => Some(CertificateDigest::Sha1),
            },
            _ => None,
        }
    }

    /// The key usage extension, `None` when absent (then all usages are allowed).
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }

    /// The extended key usage purposes, `None` when the extension is absent.
    pub fn extended_key_usage(&self) -> Option<&[KeyPurpose]> {
        self.extended_key_usage.as_deref()
    }

    /// True for a CA certificate (basicConstraints cA = TRUE).
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// The public key algorithm and size.
    pub fn key_algorithm(&self) -> &KeyAlgorithm {
        &self.key_algorithm
    }

    /// SHA-256 fingerprint of the DER encoding.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// RFC 8550 §4.4.4: without the extension every purpose is allowed;
    /// with it, emailProtection or anyExtendedKeyUsage must be listed.
    pub fn allows_email_protection(&self) -> bool {
        self.extended_key_usage.as_ref().is_none_or(|p| {
            p.iter()
                .any(|p| matches!(p, KeyPurpose::EmailProtection | KeyPurpose::Any))
        })
    }

    /// May this certificate's key sign S/MIME messages?
    ///
    /// RFC 8550 §4.4.2: when key usage is present, digitalSignature or
    /// nonRepudiation must be set; §4.4.4 for the extended key usage. The
    /// key must be of a signing algorithm we support (RSA, EC).
    pub fn can_sign(&self) -> bool {
        let ku_ok = self
            .key_usage
            .is_none_or(|ku| ku.digital_signature || ku.non_repudiation);
        let alg_ok = matches!(
            self.key_algorithm,
            KeyAlgorithm::Rsa { .. } | KeyAlgorithm::Ec { .. }
        );
        ku_ok && alg_ok && self.allows_email_protection() && !self.is_ca
    }

    /// May S/MIME messages be encrypted to this certificate (and so be
    /// decrypted with its key)?
    ///
    /// RFC 8550 §4.4.2: an RSA key transports content keys and needs
    /// keyEncipherment; an EC key agrees on them (RFC 5753) and needs
    /// keyAgreement; no key usage extension allows both. An RSASSA-PSS key
    /// may only sign (RFC 4055 §1.2).
    pub fn can_decrypt(&self) -> bool {
        let ku_ok = match (&self.key_algorithm, self.key_usage) {
            (KeyAlgorithm::Rsa { .. } | KeyAlgorithm::Ec { .. }, None) => true,
            (KeyAlgorithm::Rsa { .. }, Some(ku)) => ku.key_encipherment,
            (KeyAlgorithm::Ec { .. }, Some(ku)) => ku.key_agreement,
            _ => false,
        };
        ku_ok && self.allows_email_protection() && !self.is_ca
    }

    /// The subject key identifier extension's value, when present.
    pub fn subject_key_identifier(&self) -> Option<&[u8]> {
        self.subject_key_identifier.as_deref()
    }

    /// The decoded structure, for building and matching CMS identifiers.
    pub(crate) fn x509(&self) -> &x509_cert::Certificate {
        &self.parsed
    }

    /// The OpenSSL handle, for the primitives.
    pub(crate) fn openssl(&self) -> &X509 {
        &self.openssl
    }

    /// The public key, for comparison with a private key.
    pub(crate) fn public_key(&self) -> Result<PKey<Public>> {
        Ok(self.openssl().public_key()?)
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("emails", &self.emails)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// The fullName URIs of a distribution point.
fn distribution_point_uris(dp: &DistributionPoint) -> Vec<String> {
    match &dp.distribution_point {
        Some(DistributionPointName::FullName(names)) => names
            .iter()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(uri) => Some(uri.as_str().to_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn email_addresses(tbs: &x509_cert::TbsCertificate) -> Result<Vec<String>> {
    let mut emails: Vec<String> = Vec::new();
    fn push(emails: &mut Vec<String>, e: &str) {
        if !emails.iter().any(|seen| seen.eq_ignore_ascii_case(e)) {
            emails.push(e.to_owned());
        }
    }
    for san in tbs.filter::<SubjectAltName>() {
        let (_, san) = san.map_err(extension("subject alternative name"))?;
        for name in &san.0 {
            match name {
                GeneralName::Rfc822Name(addr) => push(&mut emails, addr.as_str()),
                // RFC 8398 §3: SmtpUTF8Mailbox ::= UTF8String, in
                // otherName [0] EXPLICIT.
                GeneralName::OtherName(other) if other.type_id == SMTP_UTF8_NAME => {
                    let mailbox = other
                        .value
                        .decode_as::<der::asn1::Utf8StringRef<'_>>()
                        .map_err(extension("SmtpUTF8Mailbox"))?;
                    push(&mut emails, mailbox.as_str());
                }
                _ => {}
            }
        }
    }
    if !emails.is_empty() {
        // RFC 8550 §3: the subjectAltName, when it names addresses, is
        // what counts; a different subject emailAddress is not the
        // certificate's address.
        return Ok(emails);
    }
    for rdn in tbs.subject.0.iter() {
        for atv in rdn.0.iter() {
            if atv.oid == rfc3280::EMAIL_ADDRESS {
                let value = atv
                    .value
                    .decode_as::<Ia5StringRef<'_>>()
                    .map_err(extension("subject emailAddress"))?;
                push(&mut emails, value.as_str());
            }
        }
    }
    Ok(emails)
}

fn key_algorithm(key: &PKey<Public>) -> KeyAlgorithm {
    match key.id() {
        Id::RSA => KeyAlgorithm::Rsa { bits: key.bits() },
        Id::RSA_PSS => KeyAlgorithm::RsaPss { bits: key.bits() },
        Id::DSA => KeyAlgorithm::Dsa { bits: key.bits() },
        Id::ED25519 => KeyAlgorithm::Ed25519,
        Id::EC => {
            let nid = key.ec_key().ok().and_then(|k| k.group().curve_name());
            let curve = match nid {
                Some(Nid::X9_62_PRIME256V1) => EcCurve::P256,
                Some(Nid::SECP384R1) => EcCurve::P384,
                Some(Nid::SECP521R1) => EcCurve::P521,
                Some(other) => EcCurve::Other(other.short_name().unwrap_or("unknown").to_owned()),
                None => EcCurve::Other("explicit parameters".to_owned()),
            };
            KeyAlgorithm::Ec { curve }
        }
        _ => KeyAlgorithm::Other("unknown".to_owned()),
    }
}
