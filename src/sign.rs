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

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::SystemTime;

use openssl::hash::Hasher;

use crate::algorithm::DigestAlgorithm;
use crate::cms::{self, SignParams};
use crate::error::{Error, Result, Unsupported, Unusable};
use crate::identity::Identity;
use crate::limits::Limits;
use crate::{io, mime};

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
    /// Compress the entity (RFC 3274 compressed-data, RFC 8551 §3.6)
    /// and sign the compressed entity. Off by default: clients without
    /// compressed-data support (Thunderbird, Apple Mail) cannot show it.
    pub compress: bool,
    /// MIME depth and parts of the message; what [`sign_stream`] may read
    /// into memory.
    pub limits: Limits,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            form: SignatureForm::Detached,
            digest: DigestAlgorithm::Sha256,
            rsa_pss: false,
            allow_unusable_certificate: false,
            signing_time: None,
            compress: false,
            limits: Limits::default(),
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

    /// Other [`Limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Compress the entity before signing it (see [`SignOptions::compress`]).
    pub fn compress(mut self) -> Self {
        self.compress = true;
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
/// let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nHello Bob\r\n";
/// let signed = smime::sign(message, &alice, &SignOptions::default())?;
///
/// let root = Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
/// let report = smime::verify(&signed, &VerifyOptions::new(&[root]))?;
/// assert!(report.valid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign(message: &[u8], signer: &Identity, options: &SignOptions) -> Result<Vec<u8>> {
    let params = params(signer, options)?;
    let (outer, entity) = mime::split_message(message)?;
    let mut entity = mime::prepare_for_signing(&entity, &options.limits)?;
    if options.compress {
        entity = crate::compress::compressed_entity(&entity)?;
    }
    let der = cms::build_signed_data(&entity, &params)?;
    Ok(match options.form {
        SignatureForm::Detached => multipart_signed(&outer, &entity, &der, options.digest)?,
        SignatureForm::Opaque => pkcs7_mime(&outer, &der),
    })
}

/// [`sign()`] from a reader to a writer, in memory that does not grow with
/// the message, in two passes over the input. The first checks that a
/// 7-bit transport could not alter the entity (and fixes its canonical
/// length); the second writes it (copied as it is when its line ends are
/// CRLF already). The detached form hashes in the second pass, exactly the
/// octets it writes, and checks them again as it goes; opaque signing
/// writes DER, as [`sign()`] does, so it hashes in the first pass, which
/// also fixes every length, and again in the second. An input that
/// changes in between is [`Error::InputChanged`] (the output written so
/// far is then to be discarded). The output is what [`sign()`] writes. From 1 MiB on,
/// hashing runs on a second thread; why the input must be seekable:
/// [`manual::streaming`](crate::manual::streaming).
///
/// An entity with 8-bit or binary content or over-long lines needs
/// re-encoding first; such a message is signed in memory, up to 256 MiB
/// (larger: [`Error::InvalidMessage`]).
///
/// ```
/// # use smime::{Password, SignOptions};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let message = std::io::Cursor::new(b"From: alice@example.org\r\n\r\nHello\r\n".to_vec());
/// let mut signed = Vec::new();
/// smime::sign_stream(message, &mut signed, &alice, &SignOptions::default())?;
/// assert!(signed.starts_with(b"From: alice@example.org\r\nMIME-Version: 1.0\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sign_stream<R: Read + Seek, W: Write>(
    mut input: R,
    mut output: W,
    signer: &Identity,
    options: &SignOptions,
) -> Result<()> {
    let params = params(signer, options)?;
    let start = input.stream_position()?;
    let streamed = match options.form {
        // The compressed length is known only once compressed: in memory.
        _ if options.compress => false,
        SignatureForm::Detached => detached_stream(&mut input, &mut output, &params, options)?,
        SignatureForm::Opaque => opaque_stream(&mut input, &mut output, &params, options)?,
    };
    if !streamed {
        input.seek(SeekFrom::Start(start))?;
        let message = io::read_bounded(&mut input, options.limits.max_in_memory)?;
        output.write_all(&sign(&message, signer, options)?)?;
    }
    output.flush()?;
    Ok(())
}

/// `hash(bytes)` on this thread for a short input, else on a second one
/// ([`io::offload`]) beside `produce`, which hands it the bytes.
fn hashed<T>(
    digest: DigestAlgorithm,
    len: u64,
    produce: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<T>,
) -> Result<(T, Vec<u8>)> {
    let mut hasher = Hasher::new(digest.md())?;
    let value = if len >= io::OFFLOAD_FROM {
        let (value, done) = io::offload(
            hasher,
            |hasher, bytes, _| Ok(hasher.update(bytes)?),
            produce,
            |_| Ok(()),
        )?;
        hasher = done;
        value
    } else {
        produce(&mut |bytes| Ok(hasher.update(bytes)?))?
    };
    Ok((value, hasher.finish()?.to_vec()))
}

/// The detached form in two passes: the scan alone, then the pass that
/// writes the entity and hashes what it writes (on a second thread
/// beside the writing, for a long one), the signature last. `false`:
/// nothing written, sign in memory.
fn detached_stream<R: Read + Seek, W: Write>(
    input: &mut R,
    output: &mut W,
    params: &SignParams<'_>,
    options: &SignOptions,
) -> Result<bool> {
    let boundary = new_boundary()?;
    let remaining = io::remaining(input)?;
    let mut len = 0u64;
    let scanned = mime::streamable(input, boundary.as_bytes(), false, &mut |bytes| {
        len += bytes.len() as u64;
        Ok(())
    })?;
    let Some(entity) = scanned else {
        return Ok(false);
    };
    output.write_all(&detached_head(&entity.outer, &boundary, options.digest))?;
    let mut written = 0u64;
    let ((), digest) = hashed(options.digest, remaining, |hash| {
        let mut sink = |bytes: &[u8]| -> Result<()> {
            written += bytes.len() as u64;
            output.write_all(bytes)?;
            hash(bytes)
        };
        sink(&entity.head)?;
        mime::canonical_body(input, &entity, boundary.as_bytes(), &mut sink)
    })?;
    if written != len {
        return Err(Error::InputChanged);
    }
    let der = cms::build_detached_signed_data(&digest, params)?;
    output.write_all(&detached_tail(&boundary, &der))?;
    Ok(true)
}

/// The opaque form in two passes: the scan that hashes (DER: the
/// content's length and the SignerInfo's are known before the first
/// octet is written), then the pass that writes and hashes again, so
/// that the signature is written only over what was written. `false`:
/// nothing written, sign in memory.
fn opaque_stream<R: Read + Seek, W: Write>(
    input: &mut R,
    output: &mut W,
    params: &SignParams<'_>,
    options: &SignOptions,
) -> Result<bool> {
    let remaining = io::remaining(input)?;
    let mut len = 0u64;
    let (scanned, digest) = hashed(options.digest, remaining, |hash| {
        mime::streamable(input, b"", false, &mut |bytes| {
            len += bytes.len() as u64;
            hash(bytes)
        })
    })?;
    let Some(entity) = scanned else {
        return Ok(false);
    };
    let der = cms::build_detached_signed_data(&digest, params)?;
    let signer_fields = cms::signer_fields(&der)?;
    output.write_all(&entity.outer)?;
    output.write_all(PKCS7_SIGNED_HEAD)?;
    let mut base64 = mime::Base64Writer::new(&mut *output);
    base64.put(&cms::opaque_prefix(
        options.digest,
        len,
        signer_fields.len() as u64,
    )?)?;
    let mut written = 0u64;
    // Hashed again as it is written: octets changed in between, however
    // safe and however long, are refused before the signature is.
    let ((), again) = hashed(options.digest, remaining, |hash| {
        let mut sink = |bytes: &[u8]| -> Result<()> {
            written += bytes.len() as u64;
            base64.put(bytes)?;
            hash(bytes)
        };
        sink(&entity.head)?;
        mime::canonical_body(input, &entity, b"", &mut sink)
    })?;
    if written != len || again != digest {
        return Err(Error::InputChanged);
    }
    base64.put(&signer_fields)?;
    base64.finish()?;
    Ok(true)
}

/// Checks the signer and options; what [`cms`] needs to sign.
fn params<'a>(signer: &'a Identity, options: &SignOptions) -> Result<SignParams<'a>> {
    let now = SystemTime::now();
    if !options.allow_unusable_certificate {
        check_usable(signer, now)?;
    }
    if options.digest.is_weak() {
        return Err(Error::UnsupportedAlgorithm(Unsupported::SigningDigest(
            options.digest,
        )));
    }
    Ok(SignParams {
        identity: signer,
        digest: options.digest,
        rsa_pss: options.rsa_pss,
        signing_time: options.signing_time.unwrap_or(now),
        embed: options.form == SignatureForm::Opaque,
    })
}

fn check_usable(signer: &Identity, now: SystemTime) -> Result<()> {
    let cert = signer.certificate();
    let refuse = |reason| Error::CertificateNotUsable {
        fingerprint: cert.fingerprint(),
        reason,
    };
    if now > cert.not_after() {
        return Err(refuse(Unusable::Expired));
    }
    if now < cert.not_before() {
        return Err(refuse(Unusable::NotYetValid));
    }
    if !cert.can_sign() {
        return Err(refuse(Unusable::CannotSign));
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
    let mut out = detached_head(outer, &boundary, digest);
    out.extend_from_slice(entity);
    out.extend_from_slice(&detached_tail(&boundary, der));
    Ok(out)
}

/// Everything of a `multipart/signed` message before the signed entity.
fn detached_head(outer: &[u8], boundary: &str, digest: DigestAlgorithm) -> Vec<u8> {
    let mut out = outer.to_vec();
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
    out
}

/// Everything of a `multipart/signed` message after the signed entity.
fn detached_tail(boundary: &str, der: &[u8]) -> Vec<u8> {
    let mut out = format!("\r\n--{boundary}\r\n").into_bytes();
    out.extend_from_slice(
        b"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
          Content-Transfer-Encoding: base64\r\n\
          Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
          Content-Description: S/MIME Cryptographic Signature\r\n\r\n",
    );
    out.extend_from_slice(&mime::base64_lines(der));
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

const PKCS7_SIGNED_HEAD: &[u8] = b"MIME-Version: 1.0\r\n\
      Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n\
      Content-Transfer-Encoding: base64\r\n\
      Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n";

/// RFC 8551 §3.5.2.
fn pkcs7_mime(outer: &[u8], der: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(outer);
    out.extend_from_slice(PKCS7_SIGNED_HEAD);
    out.extend_from_slice(&mime::base64_lines(der));
    out
}

/// A random boundary (96 bits).
fn new_boundary() -> Result<String> {
    let mut random = [0u8; 12];
    openssl::rand::rand_bytes(&mut random)?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("----=_smime_{hex}"))
}

/// A random boundary that does not occur in the content.
fn boundary_for(entity: &[u8]) -> Result<String> {
    loop {
        let boundary = new_boundary()?;
        if memchr::memmem::find(entity, boundary.as_bytes()).is_none() {
            return Ok(boundary);
        }
    }
}

/// [`sign()`] of an `entity` that is signed exactly as given, its header
/// fields included, with the header fields `outer` (complete CRLF-ended
/// lines) put outside: for a payload that carries protected header
/// fields (RFC 9788 §5.2), which [`sign()`] would move outside.
pub(crate) fn sign_entity(
    outer: &[u8],
    entity: &[u8],
    signer: &Identity,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let params = params(signer, options)?;
    let mut entity = mime::prepare_for_signing(entity, &options.limits)?;
    if options.compress {
        entity = crate::compress::compressed_entity(&entity)?;
    }
    let der = cms::build_signed_data(&entity, &params)?;
    Ok(match options.form {
        SignatureForm::Detached => multipart_signed(outer, &entity, &der, options.digest)?,
        SignatureForm::Opaque => pkcs7_mime(outer, &der),
    })
}
