//! Signing a MIME message: `multipart/signed` (RFC 1847, RFC 8551 §3.5.3)
//! or opaque `application/pkcs7-mime; smime-type=signed-data` (§3.5.2).
//!
//! A whole RFC 5322 message keeps its outer header fields (From, To,
//! Subject, Date, ...) outside the signature and signs its body entity with
//! the entity's `Content-*` fields, as mail clients do. The entity is made
//! transport-proof first (RFC 8551 §3.1.1-3.1.2): canonical CRLF line
//! endings, and 8-bit, binary or over-long lines re-encoded as
//! quoted-printable or base64, so no relay can alter what was signed.
#![forbid(unsafe_code)]

use std::time::SystemTime;

use crate::cms::{self, DigestAlgorithm, SignParams};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::mime;

/// Detached or opaque signing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureForm {
    /// `multipart/signed`: the content stays readable by clients without
    /// S/MIME; the default.
    #[default]
    Detached,
    /// `application/pkcs7-mime; smime-type=signed-data`: the content is
    /// inside the CMS structure, so relays that rewrite text cannot break
    /// the signature, but only S/MIME clients can show it.
    Opaque,
}

/// How to sign.
///
/// ```
/// use smime::{DigestAlgorithm, SignOptions};
/// let options = SignOptions::default().opaque().digest(DigestAlgorithm::Sha384);
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SignOptions {
    /// Detached (default) or opaque.
    pub form: SignatureForm,
    /// The digest algorithm; SHA-256 by default. SHA-1 is refused.
    pub digest: DigestAlgorithm,
    /// RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys.
    pub rsa_pss: bool,
    /// Sign even with an expired, not yet valid, or signing-forbidden
    /// certificate. Off by default: recipients would see a bad signature.
    pub allow_unusable_certificate: bool,
    /// The signingTime attribute; now by default.
    pub signing_time: Option<SystemTime>,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            form: SignatureForm::Detached,
            digest: DigestAlgorithm::Sha256,
            rsa_pss: false,
            allow_unusable_certificate: false,
            signing_time: None,
        }
    }
}

impl SignOptions {
    /// Opaque signing.
    pub fn opaque(mut self) -> Self {
        self.form = SignatureForm::Opaque;
        self
    }

    /// Another digest algorithm.
    pub fn digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = digest;
        self
    }

    /// RSASSA-PSS for RSA keys.
    pub fn rsa_pss(mut self) -> Self {
        self.rsa_pss = true;
        self
    }

    /// Skip the validity and key-usage checks of the signing certificate.
    pub fn allow_unusable_certificate(mut self) -> Self {
        self.allow_unusable_certificate = true;
        self
    }

    /// A fixed signingTime (tests, re-signing archived mail).
    pub fn signing_time(mut self, time: SystemTime) -> Self {
        self.signing_time = Some(time);
        self
    }
}

/// Signs `message` (a whole RFC 5322 message or a bare MIME entity) with
/// `signer`, and returns the signed message.
///
/// Refused with [`Error::CertificateNotUsable`] when the certificate has
/// expired, is not yet valid, or its key usage / extended key usage forbid
/// signing e-mail (RFC 8550 §4.4), unless the options allow it.
///
/// ```
/// # use smime::{Password, SignOptions, VerifyOptions, Certificate};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"))?;
/// let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello Bob\r\n";
/// let signed = smime::sign(message, &alice, &SignOptions::default())?;
///
/// let root = Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
/// let report = smime::verify(&signed, &VerifyOptions::new(&[root]))?;
/// assert!(report.valid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign(message: &[u8], signer: &Identity, options: &SignOptions) -> Result<Vec<u8>> {
    let now = SystemTime::now();
    if !options.allow_unusable_certificate {
        check_usable(signer, now)?;
    }
    if options.digest.is_weak() {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{} is not used for new signatures",
            options.digest
        )));
    }
    let (outer, entity) = mime::split_message(message)?;
    let entity = mime::prepare_for_signing(&entity)?;
    let params = SignParams {
        identity: signer,
        digest: options.digest,
        rsa_pss: options.rsa_pss,
        signing_time: options.signing_time.unwrap_or(now),
        embed: options.form == SignatureForm::Opaque,
    };
    let der = cms::build_signed_data(&entity, &params)?;
    Ok(match options.form {
        SignatureForm::Detached => multipart_signed(&outer, &entity, &der, options.digest)?,
        SignatureForm::Opaque => pkcs7_mime(&outer, &der),
    })
}

fn check_usable(signer: &Identity, now: SystemTime) -> Result<()> {
    let cert = signer.certificate();
    let refuse = |reason| Error::CertificateNotUsable {
        fingerprint: cert.fingerprint().to_string(),
        reason,
    };
    if now > cert.not_after() {
        return Err(refuse("it has expired"));
    }
    if now < cert.not_before() {
        return Err(refuse("it is not valid yet"));
    }
    if !cert.can_sign() {
        return Err(refuse(
            "its key usage or extended key usage does not allow signing e-mail",
        ));
    }
    Ok(())
}

/// RFC 1847 §2.1 / RFC 8551 §3.5.3.
fn multipart_signed(
    outer: &[u8],
    entity: &[u8],
    der: &[u8],
    digest: DigestAlgorithm,
) -> Result<Vec<u8>> {
    let boundary = boundary_for(entity)?;
    let mut out = Vec::with_capacity(outer.len() + entity.len() + der.len() * 2 + 512);
    out.extend_from_slice(outer);
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(
        format!(
            "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg={};\r\n\tboundary=\"{boundary}\"\r\n\r\n",
            digest.micalg()
        )
        .as_bytes(),
    );
    out.extend_from_slice(b"This is a cryptographically signed message in MIME format.\r\n\r\n");
    out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    out.extend_from_slice(entity);
    out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
    out.extend_from_slice(
        b"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
          Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
    );
    out.extend_from_slice(&mime::base64_lines(der));
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(out)
}

/// RFC 8551 §3.5.2.
fn pkcs7_mime(outer: &[u8], der: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(outer);
    out.extend_from_slice(
        b"MIME-Version: 1.0\r\n\
          Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n",
    );
    out.extend_from_slice(&mime::base64_lines(der));
    out
}

/// A random boundary that does not occur in the content.
fn boundary_for(entity: &[u8]) -> Result<String> {
    loop {
        let mut random = [0u8; 12];
        openssl::rand::rand_bytes(&mut random)?;
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let boundary = format!("----=_smime_{hex}");
        if !entity
            .windows(boundary.len())
            .any(|w| w == boundary.as_bytes())
        {
            return Ok(boundary);
        }
    }
}
