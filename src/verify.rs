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

use std::io::{BufReader, Read, Write};
use std::time::SystemTime;

use const_oid::ObjectIdentifier as Oid;
use der::Decode;
use der::asn1::SetOfVec;
use openssl::hash::Hasher;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::algorithm::{ContentEncryption, DigestAlgorithm};
use crate::ber::BerReader;
use crate::cert::{Certificate, Fingerprint, KeyAlgorithm};
use crate::cms;
use crate::error::{Error, MimeError, Result};
use crate::limits::Limits;
use crate::mailbox::Mailbox;
use crate::mime::{self, Entity};
use crate::sign::SignatureForm;
use crate::store::VerifiedSigner;
use crate::{io, oid};

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

/// Did the signature verify?
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureStatus {
    /// The signature and the message digest verify.
    Valid,
    /// They do not; the text says why.
    Invalid(String),
}

/// Does the signer's certificate chain to a trust anchor, as of the
/// verification time, and may it sign e-mail?
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainStatus {
    /// Chains to a trust anchor, every certificate valid at the time, and
    /// the signer's key usage allows signing e-mail.
    Trusted,
    /// No path to a trust anchor (unknown issuer, self-signed, bad CA
    /// signature); the text says why.
    Untrusted(String),
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

impl ChainStatus {
    /// The word the CLI's JSON uses.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChainStatus::Trusted => "trusted",
            ChainStatus::Untrusted(_) | ChainStatus::NoCertificate => "untrusted",
            ChainStatus::Expired => "expired",
            ChainStatus::NotYetValid => "not-yet-valid",
            ChainStatus::BadUsage => "bad-usage",
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
    /// Digest algorithm, e.g. "SHA-256".
    pub digest_algorithm: String,
    /// Signature algorithm, e.g. "RSA PKCS#1 v1.5", "ECDSA".
    pub signature_algorithm: String,
    /// Why the algorithms are weak (SHA-1, RSA under 2048 bits, ...); empty
    /// when they are not.
    pub weaknesses: Vec<String>,
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

/// The result of [`verify`].
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
    pub problems: Vec<String>,
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

/// Verifies an S/MIME-signed message (RFC 8551): `multipart/signed` or
/// `application/(x-)pkcs7-mime` signed-data, BER or DER, at the root or
/// nested inside `multipart/*`.
///
/// Returns [`Error::NotSigned`] when there is no signature, and
/// [`Error::Encrypted`] when the message must be decrypted first. Anything
/// else — bad signature, untrusted chain, wrong sender — is reported in the
/// [`VerifyReport`], not as an error.
pub fn verify(message: &[u8], options: &VerifyOptions) -> Result<VerifyReport> {
    let root = Entity::parse(message)?;
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
        (None, None) => {
            return Err(Error::InvalidCms(
                "opaque signed-data without content".into(),
            ));
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
/// # let alice = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"))?;
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
    let streams =
        content_types <= 1 && (ct.is("multipart/signed") || (root.is_pkcs7_mime() && identity));
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

/// The digests to take of streamed detached content: those `micalg` (RFC
/// 8551 §3.5.3.2) announces and SHA-256 (the one clients use whatever they
/// announce); every supported one when `micalg` is missing or names none
/// we know. A signer using another digest is reported invalid with that
/// reason ([`verify()`] in memory is not limited so).
fn micalg_digests(micalg: Option<&str>) -> Vec<DigestAlgorithm> {
    let named: Vec<DigestAlgorithm> = micalg
        .unwrap_or_default()
        .split(',')
        .filter_map(DigestAlgorithm::from_micalg)
        .collect();
    if named.is_empty() {
        return DigestAlgorithm::ALL.to_vec();
    }
    let mut digests = named;
    if !digests.contains(&DigestAlgorithm::Sha256) {
        digests.push(DigestAlgorithm::Sha256);
    }
    digests
}

/// Opaque signed-data from a stream (RFC 5652 §5.1-5.2): the eContent is
/// hashed and written to `content` as it passes; the rest is read whole
/// and re-encoded without the content for [`cms::parse_signed_data`].
fn opaque_stream<R: Read, W: Write>(
    mut r: BerReader<R>,
    content: &mut W,
    limits: &Limits,
) -> Result<(cms::Parsed, cms::ContentDigests, Vec<u8>)> {
    let _content_info = r.expect(0x30, "ContentInfo")?;
    let h = r.expect(0x06, "contentType")?;
    let content_type = r.element(h, 64)?;
    match Oid::from_der(&content_type).map_err(|e| Error::InvalidCms(e.to_string()))? {
        oid::SIGNED_DATA => {}
        oid::ENVELOPED_DATA | oid::AUTH_ENVELOPED_DATA => return Err(Error::Encrypted),
        other => {
            return Err(Error::InvalidCms(format!(
                "unexpected CMS content type {other}"
            )));
        }
    }
    let _explicit = r.expect(0xA0, "[0] content")?;
    let _signed_data = r.expect(0x30, "SignedData")?;
    let h = r.expect(0x02, "version")?;
    let mut body = r.element(h, 16)?;
    let h = r.expect(0x31, "digestAlgorithms")?;
    let digest_algorithms = r.element(h, 4096)?;
    let algorithms: Vec<DigestAlgorithm> =
        SetOfVec::<AlgorithmIdentifierOwned>::from_der(&digest_algorithms)
            .map_err(|e| Error::InvalidCms(e.to_string()))?
            .iter()
            .filter_map(|a| DigestAlgorithm::from_oid(&a.oid))
            .collect();
    body.extend(digest_algorithms);
    let encap = r.expect(0x30, "EncapsulatedContentInfo")?;
    let h = r.expect(0x06, "eContentType")?;
    body.extend(cms::tlv(0x30, &r.element(h, 64)?));
    let explicit = r.header()?;
    if explicit.tag != 0xA0 {
        return Err(Error::InvalidCms(
            "opaque signed-data without content".into(),
        ));
    }
    let mut tee = ContentTee::new(content, algorithms, false)?;
    let inner = r.header()?;
    if inner.tag & !0x20 == 0x04 {
        r.octets(&inner, &mut |bytes| tee.update(bytes))?;
    } else if inner.len.is_some() {
        // PKCS#7 v1.5 allowed any type here; its contents octets are hashed.
        let header_len = inner.raw.len();
        let max = usize::try_from(limits.max_in_memory).unwrap_or(usize::MAX);
        let element = r.element(inner, max)?;
        tee.update(element.get(header_len..).unwrap_or_default())?;
    } else {
        return Err(Error::InvalidCms(
            "indefinite-length eContent that is no OCTET STRING".into(),
        ));
    }
    r.close(&explicit)?;
    r.close(&encap)?;
    let (digests, content_head) = tee.finish()?;
    loop {
        let h = r.header()?;
        let (tag, max) = (h.tag, MAX_SIGNED_DATA_FIELD);
        body.extend(r.element(h, max)?);
        if tag == 0x31 {
            break;
        }
        if tag != 0xA0 && tag != 0xA1 {
            return Err(Error::InvalidCms("expected SignerInfos".into()));
        }
    }
    let mut ci = content_type;
    ci.extend(cms::tlv(0xA0, &cms::tlv(0x30, &body)));
    Ok((
        cms::parse_signed_data(&cms::tlv(0x30, &ci), limits)?,
        digests,
        content_head,
    ))
}

/// Certificates, CRLs and SignerInfos of a streamed SignedData larger than
/// this are refused.
const MAX_SIGNED_DATA_FIELD: usize = 4 << 20;

/// How much of the signed content is kept for the protected-header
/// `From` check (RFC 8551 §3.1).
const CONTENT_HEAD: usize = 64 * 1024;

/// Hashes the signed content with every needed algorithm as it passes to
/// the caller's writer. For `multipart/signed` a second set of hashes over
/// the content with bare LF turned into CRLF starts at the first bare LF
/// (what [`lf_to_crlf`] gives in memory: a relay may have rewritten line
/// ends).
struct ContentTee<'w, W: Write> {
    out: &'w mut W,
    raw: Vec<(DigestAlgorithm, Hasher)>,
    canonical: Option<Vec<(DigestAlgorithm, Hasher)>>,
    track_lf: bool,
    previous: u8,
    head: Vec<u8>,
    converted: Vec<u8>,
}

impl<'w, W: Write> ContentTee<'w, W> {
    fn new(out: &'w mut W, algorithms: Vec<DigestAlgorithm>, track_lf: bool) -> Result<Self> {
        let raw = algorithms
            .into_iter()
            .map(|alg| Ok((alg, Hasher::new(alg.md())?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(ContentTee {
            out,
            raw,
            canonical: None,
            track_lf,
            previous: 0,
            head: Vec::new(),
            converted: Vec::new(),
        })
    }

    fn update(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.out.write_all(bytes)?;
        let room = CONTENT_HEAD
            .saturating_sub(self.head.len())
            .min(bytes.len());
        self.head
            .extend_from_slice(bytes.get(..room).unwrap_or_default());
        let mut rest = bytes;
        if self.track_lf && self.canonical.is_none() {
            let bare_lf = memchr::memchr_iter(b'\n', bytes).find(|&i| {
                let before = match i.checked_sub(1) {
                    None => self.previous,
                    Some(j) => bytes.get(j).copied().unwrap_or(0),
                };
                before != b'\r'
            });
            let Some(at) = bare_lf else {
                hash_all(&mut self.raw, bytes)?;
                self.previous = bytes.last().copied().unwrap_or(self.previous);
                return Ok(());
            };
            let (clean, tail) = bytes.split_at(at);
            hash_all(&mut self.raw, clean)?;
            self.previous = clean.last().copied().unwrap_or(self.previous);
            self.canonical = Some(self.raw.clone());
            rest = tail;
        }
        hash_all(&mut self.raw, rest)?;
        if let Some(canonical) = &mut self.canonical {
            self.converted.clear();
            for &b in rest {
                if b == b'\n' && self.previous != b'\r' {
                    self.converted.push(b'\r');
                }
                self.converted.push(b);
                self.previous = b;
            }
            hash_all(canonical, &self.converted)?;
        }
        self.previous = rest.last().copied().unwrap_or(self.previous);
        Ok(())
    }

    /// The digests (as received, then LF → CRLF when it differs) and the
    /// beginning of the content.
    fn finish(self) -> Result<(cms::ContentDigests, Vec<u8>)> {
        let mut digests = cms::ContentDigests::default();
        digests.push(finish_all(self.raw)?);
        if let Some(canonical) = self.canonical {
            digests.push(finish_all(canonical)?);
        }
        Ok((digests, self.head))
    }
}

fn hash_all(hashers: &mut [(DigestAlgorithm, Hasher)], bytes: &[u8]) -> Result<()> {
    for (_, h) in hashers.iter_mut() {
        h.update(bytes)?;
    }
    Ok(())
}

fn finish_all(hashers: Vec<(DigestAlgorithm, Hasher)>) -> Result<Vec<(DigestAlgorithm, Vec<u8>)>> {
    hashers
        .into_iter()
        .map(|(alg, mut h)| Ok((alg, h.finish()?.to_vec())))
        .collect()
}

/// What the MIME layer found around the signature.
struct Message {
    form: SignatureForm,
    from: Option<String>,
    /// Part indexes from the root to the signed entity.
    path: Vec<usize>,
    problems: Vec<String>,
}

/// Checks every signer against the content digests and decides
/// [`VerifyReport::valid`]; `content_head` is (at least the beginning of)
/// the signed content, for the protected-header `From` check. Returns the
/// report without content and the index of the candidate that matched.
fn evaluate(
    parsed: cms::Parsed,
    digests: &cms::ContentDigests,
    content_head: &[u8],
    message: Message,
    options: &VerifyOptions,
) -> (VerifyReport, usize) {
    let Message {
        form,
        from,
        path,
        mut problems,
    } = message;
    let time = options.time.unwrap_or_else(SystemTime::now);
    if form == SignatureForm::Detached && parsed.econtent.is_some() {
        problems.push(
            "the multipart/signed signature also embeds content: which content is signed is ambiguous".into(),
        );
    }
    let econtent_type = parsed.signed_data.encap_content_info.econtent_type;
    if econtent_type != oid::DATA {
        problems.push(format!(
            "the signed content is of type {econtent_type}, not a MIME entity (id-data)"
        ));
    }
    let mut matched = 0;
    let mut pool = parsed.certificates.clone();
    pool.extend(options.intermediates.iter().cloned());
    pool.extend(options.trust_anchors.iter().cloned());
    let signers: Vec<SignerReport> = parsed
        .signed_data
        .signer_infos
        .0
        .iter()
        .map(|si| {
            let check = cms::check_signer(si, &econtent_type, digests, &pool);
            if let Ok(index) = check.result {
                matched = index;
            }
            signer_report(check, &pool, options, time, from.as_deref())
        })
        .collect();
    check_inner_from(content_head, &signers, &mut problems);
    if signers.is_empty() {
        problems.push("the message has no signers".into());
    }
    let coverage = if path.is_empty() {
        Coverage::WholeBody
    } else {
        Coverage::Part(path)
    };
    let valid = problems.is_empty()
        && coverage == Coverage::WholeBody
        && !signers.is_empty()
        && signers.iter().all(|s| {
            s.signature == SignatureStatus::Valid
                && s.chain == ChainStatus::Trusted
                && (options.allow_weak || s.weaknesses.is_empty())
        })
        && (from.is_none() || signers.iter().any(|s| s.from_matches == Some(true)));
    let report = VerifyReport {
        valid,
        form,
        signers,
        from,
        coverage,
        problems,
        content: Vec::new(),
        certificates: parsed.certificates,
    };
    (report, matched)
}

/// The sender address to check signers against: the one `From` field
/// (RFC 5322 §3.6.2), else `Sender`. A `From` that is present but yields no
/// address (encoded-words, bare display names), several `From` fields, or
/// several addresses are problems: a client would display a sender we
/// could not check ("Johnny, you are fired!", ID class).
fn sender(root: &Entity<'_>, problems: &mut Vec<String>) -> Option<String> {
    let named = |name: &str| -> Vec<&str> {
        root.fields()
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
            .collect()
    };
    let from = named("From");
    if from.len() > 1 {
        problems.push("the message has several From fields".into());
    }
    let value = from.first().or(named("Sender").first()).copied()?;
    match mime::first_address(value) {
        None => {
            problems.push(format!(
                "the sender {value:?} has no address that can be checked"
            ));
            // Kept as shown: it parses as no mailbox, so no signer matches.
            Some(value.to_owned())
        }
        Some(address) => {
            let rest = value.replacen(&address, "", 1);
            if rest.contains('@') || value.contains("=?") {
                problems.push(format!(
                    "the sender {value:?} shows more than the one address that can be checked"
                ));
            }
            Some(address)
        }
    }
}

/// RFC 8551 §3.1 header protection: a signed `message/rfc822` entity, or
/// one marked `protected-headers="v1"`, carries header fields a client
/// shows instead of the outer ones; its `From` must belong to a signer too.
fn check_inner_from(content: &[u8], signers: &[SignerReport], problems: &mut Vec<String>) {
    let Ok(entity) = Entity::parse(content) else {
        return;
    };
    let ct = entity.content_type();
    let inner_from = if ct.is("message/rfc822") {
        Entity::parse(entity.body())
            .ok()
            .and_then(|m| m.field("From").map(str::to_owned))
    } else if ct.param("protected-headers").is_some() {
        entity.field("From").map(str::to_owned)
    } else {
        None
    };
    let Some(inner_from) = inner_from else {
        return;
    };
    let matches = mime::first_address(&inner_from)
        .and_then(|a| a.parse::<Mailbox>().ok())
        .is_some_and(|m| {
            signers
                .iter()
                .any(|s| s.certificate.as_ref().is_some_and(|c| c.names_mailbox(&m)))
        });
    if !matches {
        problems.push(format!(
            "the signed content shows From {inner_from:?}, which no signer's certificate names"
        ));
    }
}

/// Bare LF → CRLF, nothing else: a bare CR is not a line break to the MIME
/// parser, so treating it as one here would let an altered message (a
/// hidden blank line, a hidden boundary) hash like the signed one.
fn lf_to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

enum Found<'a> {
    Detached {
        content: &'a [u8],
        signature: Vec<u8>,
    },
    Opaque {
        cms: Vec<u8>,
    },
}

/// Depth-first search for the first signed structure; `path` collects the
/// part indexes leading to it.
fn find_signed<'a>(
    entity: &Entity<'a>,
    depth: usize,
    path: &mut Vec<usize>,
    limits: &Limits,
) -> Result<Option<(Found<'a>, Vec<usize>)>> {
    crate::limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
    let content_types = entity
        .fields()
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Content-Type"))
        .count();
    if content_types > 1 {
        // Clients disagree on which one wins; so could what is shown and
        // what is verified.
        return Err(Error::InvalidMessage(MimeError::SeveralContentTypes));
    }
    let ct = entity.content_type();
    let boundary = || ct.boundary();
    if ct.is("multipart/signed") {
        let parts = mime::split_multipart(entity.body(), boundary()?, limits)?;
        // RFC 1847 §2.1: exactly two parts. A third one would be shown by
        // some clients and covered by nothing.
        let [content, signature] = parts.as_slice() else {
            return Err(Error::InvalidMessage(MimeError::SignedPartCount));
        };
        let signature = signature_der(signature)?;
        return Ok(Some((Found::Detached { content, signature }, path.clone())));
    }
    if entity.is_pkcs7_mime() {
        let cms_bytes = entity.decoded_body()?;
        return match cms::content_type(&cms_bytes)? {
            oid::SIGNED_DATA => Ok(Some((Found::Opaque { cms: cms_bytes }, path.clone()))),
            oid::ENVELOPED_DATA | oid::AUTH_ENVELOPED_DATA => Err(Error::Encrypted),
            other => Err(Error::InvalidCms(format!(
                "unexpected CMS content type {other}"
            ))),
        };
    }
    if ct.is_multipart() {
        for (i, part) in mime::split_multipart(entity.body(), boundary()?, limits)?
            .iter()
            .enumerate()
        {
            path.push(i);
            if let Some(found) = find_signed(&Entity::parse(part)?, depth + 1, path, limits)? {
                return Ok(Some(found));
            }
            path.pop();
        }
    }
    Ok(None)
}

/// The CMS of a `multipart/signed` signature part (RFC 8551 §3.5.3), which
/// must say it is one.
fn signature_der(part: &[u8]) -> Result<Vec<u8>> {
    let signature = Entity::parse(part)?;
    let sig_type = signature.content_type();
    if !(sig_type.is("application/pkcs7-signature") || sig_type.is("application/x-pkcs7-signature"))
    {
        return Err(Error::InvalidMessage(MimeError::SignaturePartType {
            media_type: sig_type.mime_type,
        }));
    }
    signature.decoded_body()
}

fn signer_report(
    check: cms::SignerCheck,
    pool: &[Certificate],
    options: &VerifyOptions,
    time: SystemTime,
    from: Option<&str>,
) -> SignerReport {
    let signature = match &check.result {
        Ok(_) => SignatureStatus::Valid,
        Err(why) => SignatureStatus::Invalid(why.clone()),
    };
    let chain = match &check.certificate {
        None => ChainStatus::NoCertificate,
        Some(cert) => match chain_status(cert, pool, &options.trust_anchors, time) {
            ChainStatus::Trusted if !cert.can_sign() => ChainStatus::BadUsage,
            status => status,
        },
    };
    let from_matches = from.map(|f| {
        f.parse::<Mailbox>().is_ok_and(|m| {
            check
                .certificate
                .as_ref()
                .is_some_and(|c| c.names_mailbox(&m))
        })
    });
    let mut weaknesses = Vec::new();
    if check.digest.is_some_and(|d| d.is_weak()) || check.digest.is_none() {
        weaknesses.push(format!("{} digest", check.digest_name));
    }
    if let Some(cert) = &check.certificate {
        match cert.key_algorithm() {
            KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } if *bits < 2048 => {
                weaknesses.push(format!("RSA key of {bits} bits"));
            }
            KeyAlgorithm::Ec { curve } if cert.key_algorithm().bits().is_none_or(|b| b < 256) => {
                weaknesses.push(format!("EC curve {curve}"));
            }
            _ => {}
        }
    }
    SignerReport {
        certificate: check.certificate,
        signature,
        chain,
        from_matches,
        digest_algorithm: check.digest_name,
        signature_algorithm: check.signature_algorithm,
        weaknesses,
        signing_time: check.signing_time,
        capabilities: check.capabilities.map(|oids| {
            oids.iter()
                .filter_map(ContentEncryption::from_oid)
                .filter(|c| c.can_encrypt())
                .collect()
        }),
    }
}

/// Path validation by OpenSSL (RFC 5280 §6) at `time`.
fn chain_status(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
) -> ChainStatus {
    match run_chain_check(cert, pool, anchors, time) {
        Ok(status) => status,
        Err(e) => ChainStatus::Untrusted(e.to_string()),
    }
}

// X509_V_ERR_* from <openssl/x509_vfy.h>.
const X509_V_ERR_CERT_NOT_YET_VALID: i32 = 9;
const X509_V_ERR_CERT_HAS_EXPIRED: i32 = 10;

fn run_chain_check(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
) -> std::result::Result<ChainStatus, openssl::error::ErrorStack> {
    let mut builder = X509StoreBuilder::new()?;
    for anchor in anchors {
        builder.add_cert(anchor.openssl().clone())?;
    }
    let mut param = X509VerifyParam::new()?;
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    param.set_time(libc_time(seconds));
    builder.set_param(&param)?;
    let store = builder.build();
    let mut untrusted = Stack::<X509>::new()?;
    for c in pool {
        untrusted.push(c.openssl().clone())?;
    }
    let mut ctx = X509StoreContext::new()?;
    ctx.init(&store, cert.openssl(), &untrusted, |c| {
        let ok = c.verify_cert()?;
        let error = c.error();
        Ok(if ok {
            ChainStatus::Trusted
        } else {
            match error.as_raw() {
                X509_V_ERR_CERT_HAS_EXPIRED => ChainStatus::Expired,
                X509_V_ERR_CERT_NOT_YET_VALID => ChainStatus::NotYetValid,
                _ => ChainStatus::Untrusted(error.error_string().to_owned()),
            }
        })
    })
}

/// `time_t` from seconds, saturating (a 32-bit `time_t` ends in 2038).
fn libc_time(seconds: u64) -> libc::time_t {
    libc::time_t::try_from(seconds).unwrap_or(libc::time_t::MAX)
}
