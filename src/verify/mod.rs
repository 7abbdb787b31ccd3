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

mod cache;
mod chain;
mod digest;
mod locate;
mod policy;
mod report;
mod revocation;

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Read, Write};
use std::time::SystemTime;

use crate::cert::Certificate;
use crate::cms::{self, ber::BerReader};
use crate::error::{Error, Result};
use crate::io;
use crate::limits::Limits;
use crate::mime::{self, Entity};
use crate::oid;
use crate::revocation::{Crl, OcspResponse, RevocationPolicy};
use crate::sign::SignatureForm;
use cache::CertificateCache;
use chain::Trust;
use digest::{ContentTee, digests_to_take, lf_to_crlf, micalg_digests, opaque_stream};
use locate::{Found, find_signed, signature_der};
pub(crate) use policy::check_protected;
use policy::{Message, evaluate, sender};

pub use report::{
    ChainCertificate, ChainFailure, ChainStatus, Coverage, PathCertificate, Problem,
    SignatureStatus, SignerReport, VerifyReport, Weakness,
};

/// What to trust and when.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    trust_anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    time: Option<SystemTime>,
    allow_weak: bool,
    crls: Vec<Crl>,
    ocsp_responses: Vec<OcspResponse>,
    revocation: RevocationPolicy,
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
            crls: Vec::new(),
            ocsp_responses: Vec::new(),
            revocation: RevocationPolicy::default(),
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

    /// Accept SHA-1 digests, MD5/SHA-1-signed certificates and short keys
    /// in [`VerifyReport::valid`] (they are still reported as weak; absurd
    /// keys stay refused). Off by default, as in Thunderbird.
    pub fn allow_weak(mut self) -> Self {
        self.allow_weak = true;
        self
    }

    /// CRLs to check the signers' paths against (beside those the message
    /// carries), e.g. fetched from [`SignerReport::revocation_urls`] or
    /// kept by a store. Each is used only for the certificates of its
    /// issuer, and only when that issuer's key signed it.
    pub fn with_crls(mut self, crls: &[Crl]) -> Self {
        self.crls.extend_from_slice(crls);
        self
    }

    /// OCSP responses to check the signers' paths against (beside those
    /// the message carries, RFC 5940), each used only when signed by the
    /// issuing CA or a responder it authorised.
    pub fn with_ocsp_responses(mut self, responses: &[OcspResponse]) -> Self {
        self.ocsp_responses.extend_from_slice(responses);
        self
    }

    /// Adds what `store` keeps for verification: its trust anchors (with
    /// the system roots when [`crate::Store::uses_system_roots`]), the
    /// intermediates it keeps for building paths
    /// ([`crate::Store::intermediates`]) and its CRLs ([`crate::Store::crls`]),
    /// so a client need not pass them on every call.
    pub fn with_store_trust(mut self, store: &crate::Store) -> Result<Self> {
        self.trust_anchors.extend(store.anchors()?);
        self.intermediates.extend(store.intermediates()?);
        self.crls.extend(store.crls()?);
        Ok(self)
    }

    /// What revocation does to [`VerifyReport::valid`]; default
    /// [`RevocationPolicy::Soft`]. No policy opens a network connection.
    pub fn revocation(mut self, policy: RevocationPolicy) -> Self {
        self.revocation = policy;
        self
    }
}

/// A verifier set up once and used for many messages: the trust anchors
/// are turned into OpenSSL stores (`X509_STORE`, with and without the
/// S/MIME purpose) once, in [`Verifier::new`], instead of on every call.
/// `Send + Sync`: one `Verifier` (behind an `Arc`, or borrowed by scoped
/// threads) serves every thread of a mail client or server. [`verify()`]
/// and [`verify_stream()`] are this with a verifier of one use.
///
/// ```
/// # use smime::{Password, SignOptions, Verifier, VerifyOptions, Certificate};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// # let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let root = Certificate::from_pem(&std::fs::read(format!("{dir}ca/root.pem"))?)?;
/// let verifier = Verifier::new(VerifyOptions::new(&[root]))?;
/// let folder = [
///     smime::sign(b"From: alice@example.org\r\n\r\nfirst\r\n", &alice, &SignOptions::default())?,
///     smime::sign(b"From: alice@example.org\r\n\r\nsecond\r\n", &alice, &SignOptions::default())?,
/// ];
/// std::thread::scope(|threads| {
///     for message in &folder {
///         let verifier = &verifier;
///         threads.spawn(move || assert!(verifier.verify(message).unwrap().valid));
///     }
/// });
/// let mut content = Vec::new();
/// assert!(verifier.verify_stream(&folder[0][..], &mut content)?.valid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Verifier {
    options: VerifyOptions,
    trust: Trust,
    /// The certificates messages carried, decoded once (see `cache`).
    certificates: CertificateCache,
}

impl Verifier {
    /// Sets up verification with `options` (trust anchors, intermediates,
    /// CRLs, OCSP responses, time, policy). Without a fixed time
    /// ([`VerifyOptions::at`]) each verification is as of its own "now".
    pub fn new(options: VerifyOptions) -> Result<Verifier> {
        let trust = Trust::new(&options.trust_anchors, options.time)?;
        Ok(Verifier {
            options,
            trust,
            certificates: CertificateCache::default(),
        })
    }

    /// [`verify()`] with this verifier's options.
    pub fn verify(&self, message: &[u8]) -> Result<VerifyReport> {
        let parse = |der: &[u8]| self.certificates.parse(der);
        let mut report = one_layer(message, &self.engine(&parse))?;
        report.content = crate::compress::inflated(report.content, &self.options.limits)?;
        Ok(report)
    }

    /// [`verify_stream()`] with this verifier's options.
    pub fn verify_stream<R: Read, W: Write>(&self, input: R, content: W) -> Result<VerifyReport> {
        stream(
            input,
            content,
            &self.engine(&|der| self.certificates.parse(der)),
        )
    }

    fn engine<'a>(&'a self, parse: cms::CertificateParser<'a>) -> Engine<'a> {
        Engine {
            options: &self.options,
            trust: &self.trust,
            parse,
        }
    }
}

/// What one verification works with: the options, the trust anchors as
/// OpenSSL stores, and how the message's certificates are decoded.
struct Engine<'a> {
    options: &'a VerifyOptions,
    trust: &'a Trust,
    parse: cms::CertificateParser<'a>,
}

/// A verification of one use: [`verify()`], [`verify_stream()`].
fn once<T>(options: &VerifyOptions, run: impl FnOnce(&Engine<'_>) -> Result<T>) -> Result<T> {
    let trust = Trust::new(&options.trust_anchors, options.time)?;
    run(&Engine {
        options,
        trust: &trust,
        parse: &|der| Certificate::from_der(der).ok(),
    })
}

/// Verifies an S/MIME-signed message (RFC 8551): `multipart/signed` or
/// `application/(x-)pkcs7-mime` signed-data, BER or DER, at the root or
/// nested inside `multipart/*`. Verifying many messages with the same
/// options: [`Verifier`], which sets up the trust anchors once.
///
/// Returns [`Error::NotSigned`] when there is no signature, and
/// [`Error::Encrypted`] when the message must be decrypted first. Anything
/// else — bad signature, untrusted chain, wrong sender — is reported in the
/// [`VerifyReport`], not as an error. Signed content that is a
/// compressed-data entity ([`crate::SignOptions::compress`]) is reported
/// inflated, within `Limits::max_decompressed`.
pub fn verify(message: &[u8], options: &VerifyOptions) -> Result<VerifyReport> {
    let mut report = verify_one_layer(message, options)?;
    report.content = crate::compress::inflated(report.content, &options.limits)?;
    Ok(report)
}

/// [`verify()`] whose report's content is the signed content as it is, a
/// compressed-data entity still compressed: for [`crate::open`], which
/// shows each layer.
pub(crate) fn verify_one_layer(message: &[u8], options: &VerifyOptions) -> Result<VerifyReport> {
    once(options, |engine| one_layer(message, engine))
}

/// One layer verified with `engine`, its report holding the signed
/// content as it is (a compressed-data entity still compressed).
fn one_layer(message: &[u8], engine: &Engine<'_>) -> Result<VerifyReport> {
    let headers = &mut mime::HeaderBudget::new(&engine.options.limits);
    let (mut report, content) = verify_layer(message, engine, 0, headers)?;
    report.content = content.into_owned();
    Ok(report)
}

/// [`verify()`] of a message that may be a compressed-data layer (RFC
/// 3274) around the signed one: inflated (within
/// `Limits::max_decompressed`) and verified inside, nested at most
/// `max_mime_depth` times, every layer charged to the same `headers`
/// budget. The report comes without its content, which
/// is returned beside it: borrowed from `message` when it is the bytes as
/// received (no copy), owned when it was made (a canonical form, an
/// encapsulated content, an inflated layer).
fn verify_layer<'a>(
    message: &'a [u8],
    engine: &Engine<'_>,
    depth: usize,
    headers: &mut mime::HeaderBudget,
) -> Result<(VerifyReport, Cow<'a, [u8]>)> {
    let (options, trust) = (engine.options, engine.trust);
    let root = Entity::parse_within(message, headers)?;
    if root.is_pkcs7_mime()
        && locate::opaque_content_type(&root, root.body()) == Some(oid::COMPRESSED_DATA)
    {
        let limits = &options.limits;
        crate::limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
        let der = root.decoded_body()?;
        let inflated = cms::decompress(&der, limits)?;
        let (report, content) = verify_layer(&inflated, engine, depth + 1, headers)?;
        return Ok((report, Cow::Owned(content.into_owned())));
    }
    let mut problems = Vec::new();
    let from = sender(&root, &mut problems);
    let limits = &options.limits;
    let (found, path) =
        find_signed(&root, 0, &mut Vec::new(), limits, headers)?.ok_or(Error::NotSigned)?;
    let message = |form| Message {
        form,
        from,
        path,
        problems,
    };
    match found {
        Found::Detached {
            content,
            signature,
            micalg,
        } => {
            let parsed = cms::parse_signed_data_with(&signature, limits, engine.parse)?;
            // Signed as received first; a relay may have turned CRLF into
            // LF. Borrowed (no copy) when there is no bare LF.
            let canonical = lf_to_crlf(content);
            let candidates: Vec<&[u8]> = match &canonical {
                Cow::Owned(crlf) => vec![content, crlf],
                Cow::Borrowed(_) => vec![content],
            };
            // The digests the streaming path takes: what the message
            // announces, never what the SignerInfos (read last) ask for.
            let algorithms = digests_to_take(&micalg_digests(micalg.as_deref()));
            let digests = cms::ContentDigests::of(&candidates, &algorithms)?;
            drop(candidates);
            let protected = mime::protected_headers(content);
            let message = message(SignatureForm::Detached);
            let (report, matched) = evaluate(parsed, &digests, protected, message, options, trust)?;
            // Exactly the bytes that were verified: the canonical copy
            // when it matched, else the part as received (borrowed).
            let verified = match canonical {
                Cow::Owned(crlf) if matched == 1 => Cow::Owned(crlf),
                _ => Cow::Borrowed(content),
            };
            Ok((report, verified))
        }
        Found::Opaque { body } => {
            // The streaming walker, over memory: one reading of opaque
            // signed-data for both entry points.
            let ber = BerReader::new(body.reader(), limits.max_ber_depth);
            let mut econtent = Vec::new();
            let (parsed, digests, protected) =
                opaque_stream(ber, &mut econtent, limits, engine.parse)?;
            let message = message(SignatureForm::Opaque);
            let (report, _) = evaluate(parsed, &digests, protected, message, options, trust)?;
            Ok((report, Cow::Owned(econtent)))
        }
    }
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
/// when the report says it may be. Many messages with the same options:
/// [`Verifier::verify_stream`].
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
    content: W,
    options: &VerifyOptions,
) -> Result<VerifyReport> {
    once(options, |engine| stream(input, content, engine))
}

fn stream<R: Read, W: Write>(input: R, content: W, engine: &Engine<'_>) -> Result<VerifyReport> {
    let (options, trust) = (engine.options, engine.trust);
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let root = Entity::parse(&head)?;
    mime::HeaderBudget::new(&options.limits).charge(&root)?;
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
    // A compressed-data layer (by its content type, as `verify` decides)
    // is inflated in memory. The ContentInfo's first octets are in the
    // reader's buffer already.
    let compressed = root.is_pkcs7_mime()
        && locate::opaque_content_type(&root, input.fill_buf()?) == Some(oid::COMPRESSED_DATA);
    let streams = content_types <= 1
        && (ct.is("multipart/signed") || (root.is_pkcs7_mime() && identity && !compressed));
    // Compressed-data signed content is written inflated, at the end.
    let mut content = crate::compress::Inflating::new(content, &options.limits);
    if !streams {
        // In memory: the message once (exactly its length), and the
        // content written from it, not copied into the report.
        let message = io::read_joined(&head, &mut input, options.limits.max_in_memory)?;
        drop(head);
        let headers = &mut mime::HeaderBudget::new(&options.limits);
        let (report, verified) = verify_layer(&message, engine, 0, headers)?;
        content.write_all(&verified)?;
        content.finish()?;
        return Ok(report);
    }
    let mut problems = Vec::new();
    let from = sender(&root, &mut problems);
    let (form, parsed, digests, protected) = if ct.is("multipart/signed") {
        let boundary = ct.boundary()?;
        let digests = digests_to_take(&micalg_digests(ct.param("micalg")));
        let mut tee = ContentTee::new(&mut content, digests, true)?;
        let signature = mime::split_signed(&mut input, boundary, &mut |bytes| tee.update(bytes))?;
        let (digests, protected) = tee.finish()?;
        let der = signature_der(&signature)?;
        let parsed = cms::parse_signed_data_with(&der, &options.limits, engine.parse)?;
        (SignatureForm::Detached, parsed, digests, protected)
    } else if root.transfer_encoding() == "base64" {
        let ber = BerReader::new(mime::Base64Reader::new(input), options.limits.max_ber_depth);
        let (parsed, digests, protected) =
            opaque_stream(ber, &mut content, &options.limits, engine.parse)?;
        (SignatureForm::Opaque, parsed, digests, protected)
    } else {
        let ber = BerReader::new(input, options.limits.max_ber_depth);
        let (parsed, digests, protected) =
            opaque_stream(ber, &mut content, &options.limits, engine.parse)?;
        (SignatureForm::Opaque, parsed, digests, protected)
    };
    content.finish()?;
    let message = Message {
        form,
        from,
        path: Vec::new(),
        problems,
    };
    Ok(evaluate(parsed, &digests, protected, message, options, trust)?.0)
}
