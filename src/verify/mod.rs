//! Verifying an S/MIME-signed message, and saying precisely what is true
//! about it.
//!
//! A signature being mathematically correct is not enough for a mail
//! client to show "signed by alice@example.org". [`VerifyReport`] keeps the
//! questions apart, per signer: does the signature verify; does the
//! certificate chain to a trust anchor as of a chosen time; may the
//! certificate sign e-mail (RFC 8550 §4.4); does it name the `From`
//! address (RFC 8550 §3); which algorithms, and are they weak. And for the
//! message: which part the signature covers. The spoofing classes of
//! "Johnny, you are fired!" (Müller et al., USENIX Security 2019) are each
//! reported, never folded into a plain "valid": no signers, several signers
//! with mixed outcomes, a `multipart/signed` whose CMS also embeds content,
//! a signed part wrapped in unsigned content, a valid signature by someone
//! other than the sender.
#![forbid(unsafe_code)]

mod chain;
mod digest;
mod locate;
mod policy;
mod report;

use std::io::{BufReader, Read, Write};
use std::time::SystemTime;

use crate::cert::Certificate;
use crate::cms::{self, ber::BerReader};
use crate::error::{CmsError, Error, Result};
use crate::io;
use crate::limits::Limits;
use crate::mime::{self, Entity};
use crate::sign::SignatureForm;
use digest::{ContentTee, lf_to_crlf, micalg_digests, opaque_stream};
use locate::{Found, find_signed, signature_der};
use policy::{Message, evaluate, sender};

pub use report::{
    ChainFailure, ChainStatus, Coverage, Problem, SignatureStatus, SignerReport, VerifyReport,
    Weakness,
};

/// What to trust and when.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    trust_anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    time: Option<SystemTime>,
    allow_weak: bool,
    pub(crate) limits: Limits,
}

impl VerifyOptions {
    /// Verification against these trust anchors (root certificates).
    pub fn new(trust_anchors: &[Certificate]) -> Self {
        VerifyOptions {
            trust_anchors: trust_anchors.to_vec(),
            intermediates: Vec::new(),
            time: None,
            allow_weak: false,
            limits: Limits::default(),
        }
    }

    /// Other [`Limits`] for what the message may contain.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Judges certificate validity as of `time` instead of now (archived
    /// mail; test certificates that have since expired). The signingTime
    /// attribute is never used for this: the signer chooses it.
    pub fn at(mut self, time: SystemTime) -> Self {
        self.time = Some(time);
        self
    }

    /// More certificates to build chains with (e.g. intermediates from the
    /// store), beyond those the message carries.
    pub fn with_intermediates(mut self, certificates: &[Certificate]) -> Self {
        self.intermediates.extend_from_slice(certificates);
        self
    }

    /// Accept SHA-1 digests and short keys in [`VerifyReport::valid`]
    /// (they are still reported as weak). Off by default, as in Thunderbird.
    pub fn allow_weak(mut self) -> Self {
        self.allow_weak = true;
        self
    }
}

/// Verifies an S/MIME-signed message (RFC 8551): `multipart/signed` or
/// `application/(x-)pkcs7-mime` signed-data, BER or DER, at the root or
/// nested inside `multipart/*`.
///
/// Returns [`Error::NotSigned`] when there is no signature, and
/// [`Error::Encrypted`] when the message must be decrypted first. Anything
/// else — bad signature, untrusted chain, wrong sender — is reported in the
/// [`VerifyReport`], not as an error.
pub fn verify(message: &[u8], options: &VerifyOptions) -> Result<VerifyReport> {
    verify_layer(message, options, 0)
}

/// [`verify()`] of a message that may be a compressed-data layer (RFC
/// 3274) around the signed one: inflated (within
/// `Limits::max_decompressed`) and verified inside, nested at most
/// `max_mime_depth` times.
fn verify_layer(message: &[u8], options: &VerifyOptions, depth: usize) -> Result<VerifyReport> {
    let root = Entity::parse(message)?;
    if root.is_pkcs7_mime() {
        let der = root.decoded_body()?;
        if cms::is_compressed(&der) {
            let limits = &options.limits;
            crate::limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
            return verify_layer(&cms::decompress(&der, limits)?, options, depth + 1);
        }
    }
    let mut problems = Vec::new();
    let from = sender(&root, &mut problems);
    let limits = &options.limits;
    let (found, path) = find_signed(&root, 0, &mut Vec::new(), limits)?.ok_or(Error::NotSigned)?;
    let (form, cms_bytes, detached) = match found {
        Found::Detached { content, signature } => {
            (SignatureForm::Detached, signature, Some(content))
        }
        Found::Opaque { cms } => (SignatureForm::Opaque, cms, None),
    };
    let parsed = cms::parse_signed_data(&cms_bytes, limits)?;
    let content: Vec<u8> = match (detached, &parsed.econtent) {
        (Some(content), _) => content.to_vec(),
        (None, Some(econtent)) => econtent.clone(),
        // A certs-only message (RFC 8551 §3.6.2): no content, no signers;
        // reported as Problem::NoSigners rather than refused.
        (None, None) if parsed.signed_data.signer_infos.0.is_empty() => Vec::new(),
        (None, None) => {
            return Err(Error::InvalidCms(CmsError::MissingContent));
        }
    };
    let canonical = lf_to_crlf(&content);
    let candidates: Vec<&[u8]> = if detached.is_some() && canonical != content {
        // Signed as received first; a relay may have turned CRLF into LF.
        vec![&content, &canonical]
    } else {
        vec![&content]
    };
    let digests = cms::ContentDigests::of(&candidates, &cms::signer_digests(&parsed.signed_data))?;
    let message = Message {
        form,
        from,
        path,
        problems,
    };
    let (mut report, matched) = evaluate(parsed, &digests, &content, message, options);
    // Report exactly the bytes that were verified.
    report.content = candidates
        .get(matched)
        .map_or(content.clone(), |c| c.to_vec());
    Ok(report)
}

/// [`verify()`] from a reader, in memory that does not grow with the
/// message: the signed content is hashed as it streams by and written to
/// `content` (as received; [`VerifyReport::content`] stays empty), the
/// signature is read whole (it is small). `multipart/signed` and
/// `application/pkcs7-mime` signed-data at the root of the message stream
/// (BER with indefinite lengths too); a signature nested inside another
/// multipart is verified in memory, up to 256 MiB.
///
/// The content is written before the signature is checked: use it only
/// when the report says it may be.
///
/// ```
/// # use smime::{Password, SignOptions, VerifyOptions, Certificate};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// # let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let signed = smime::sign(b"From: alice@example.org\r\n\r\nHello\r\n", &alice, &SignOptions::default())?;
/// let root = Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
/// let mut content = Vec::new();
/// let report = smime::verify_stream(&signed[..], &mut content, &VerifyOptions::new(&[root]))?;
/// assert!(report.valid);
/// assert!(content.ends_with(b"Hello\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_stream<R: Read, W: Write>(
    input: R,
    mut content: W,
    options: &VerifyOptions,
) -> Result<VerifyReport> {
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let root = Entity::parse(&head)?;
    let ct = root.content_type();
    let content_types = root
        .fields()
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Content-Type"))
        .count();
    let identity = matches!(
        root.transfer_encoding().as_str(),
        "base64" | "7bit" | "8bit" | "binary"
    );
    // A compressed-data layer (labelled so) is inflated in memory.
    let compressed = ct
        .param("smime-type")
        .is_some_and(|t| t.eq_ignore_ascii_case("compressed-data"));
    let streams = content_types <= 1
        && (ct.is("multipart/signed") || (root.is_pkcs7_mime() && identity && !compressed));
    if !streams {
        let mut message = head.clone();
        message.extend(io::read_bounded(&mut input, options.limits.max_in_memory)?);
        let mut report = verify(&message, options)?;
        content.write_all(&report.content)?;
        report.content = Vec::new();
        return Ok(report);
    }
    let mut problems = Vec::new();
    let from = sender(&root, &mut problems);
    let (form, parsed, digests, content_head) = if ct.is("multipart/signed") {
        let boundary = ct.boundary()?;
        let mut tee = ContentTee::new(&mut content, micalg_digests(ct.param("micalg")), true)?;
        let signature = mime::split_signed(&mut input, boundary, &mut |bytes| tee.update(bytes))?;
        let (digests, content_head) = tee.finish()?;
        let parsed = cms::parse_signed_data(&signature_der(&signature)?, &options.limits)?;
        (SignatureForm::Detached, parsed, digests, content_head)
    } else if root.transfer_encoding() == "base64" {
        let ber = BerReader::new(mime::Base64Reader::new(input), options.limits.max_ber_depth);
        let (parsed, digests, content_head) = opaque_stream(ber, &mut content, &options.limits)?;
        (SignatureForm::Opaque, parsed, digests, content_head)
    } else {
        let ber = BerReader::new(input, options.limits.max_ber_depth);
        let (parsed, digests, content_head) = opaque_stream(ber, &mut content, &options.limits)?;
        (SignatureForm::Opaque, parsed, digests, content_head)
    };
    content.flush()?;
    let message = Message {
        form,
        from,
        path: Vec::new(),
        problems,
    };
    Ok(evaluate(parsed, &digests, &content_head, message, options).0)
}
