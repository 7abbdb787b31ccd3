//! Checking a received SignerInfo (RFC 5652 §5.4-5.6) against the
//! content's digests: finding its certificate (by issuer and serial number
//! or subject key identifier, never "the first certificate in the bag"),
//! bounding the work before any public-key operation (key sizes, the
//! public exponent, named curves, and `Limits::max_signature_operations`
//! over the whole SignedData), and the signature itself.
#![forbid(unsafe_code)]

use std::time::SystemTime;

use cms::signed_data::{SignedAttributes, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::OctetString;
use der::{Any, Decode, Encode};
use openssl::md::Md;
use openssl::pkey::{PKey, PKeyRef, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::sign::RsaPssSaltlen;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use super::asn1::{RsassaPssParams, SmimeCapabilities};
use crate::algorithm::{DigestAlgorithm, KeyAlgorithm, Named, SignatureAlgorithm};
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::oid::{self, ObjectId};

/// Why a signature did not verify (RFC 5652 §5.4-5.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// No certificate the SignerInfo names (RFC 5652 §5.3 `sid`) is in the
    /// message or among the certificates given.
    #[error("the signer's certificate is not in the message")]
    NoCertificate,
    /// A digest algorithm we do not implement (MD5, ...).
    #[error("unsupported digest algorithm {0}")]
    UnsupportedDigest(ObjectId),
    /// The content was never hashed with the signer's digest: the message
    /// did not announce it (`micalg`, `digestAlgorithms`).
    #[error(
        "the content was not hashed with {0}: the message did not announce it (micalg or digestAlgorithms)"
    )]
    DigestNotComputed(DigestAlgorithm),
    /// The signer's public key cannot be used.
    #[error("the signer's public key is unusable")]
    UnusableKey,
    /// No signed attributes while the content is not id-data (RFC 5652
    /// §5.3): nothing protects its type.
    #[error("content type is not id-data and no signed attributes protect it")]
    UnprotectedContentType,
    /// Without signed attributes, the signature does not match the content.
    #[error("the signature does not match the content")]
    ContentMismatch,
    /// RFC 5652 §11.1: the contentType attribute is missing.
    #[error("the contentType signed attribute is missing")]
    MissingContentType,
    /// The contentType attribute names another type than the content has
    /// (a signature over one type replayed as another).
    #[error("the contentType attribute ({attribute}) differs from the content ({content})")]
    ContentTypeMismatch {
        /// The signed contentType.
        attribute: ObjectId,
        /// The eContentType.
        content: ObjectId,
    },
    /// RFC 5652 §11.2: the messageDigest attribute is missing.
    #[error("the messageDigest signed attribute is missing")]
    MissingMessageDigest,
    /// The messageDigest differs from the content's digest.
    #[error("message digest mismatch: the signed content was altered")]
    DigestMismatch,
    /// A signature algorithm we do not implement.
    #[error("unsupported signature algorithm {0}")]
    UnsupportedSignatureAlgorithm(ObjectId),
    /// RSASSA-PSS parameters (RFC 4055 §3.1) we cannot read or use.
    #[error("unreadable or unsupported RSASSA-PSS parameters")]
    BadPssParameters,
    /// RSASSA-PSS with another hash than the SignerInfo's digest.
    #[error("RSASSA-PSS hash differs from the digest algorithm")]
    PssHashMismatch,
    /// The signature does not verify with the certificate's key.
    #[error("the signature does not verify with the signer's public key")]
    BadSignature,
    /// The SignerInfo's signatureAlgorithm names an algorithm the
    /// signer's key cannot make (an RSA signature labelled ECDSA, or the
    /// reverse): the label is refused, never reported as what signed.
    #[error("the signature is labelled {label}, which the signer's key cannot make")]
    KeyMismatch {
        /// What the SignerInfo claims.
        label: SignatureAlgorithm,
    },
    /// An RSA key larger than 16384 bits: refused before any work (no
    /// client makes one; verifying with it costs seconds).
    #[error("the signer's RSA key of {bits} bits is absurdly large")]
    KeyTooLarge {
        /// The modulus length.
        bits: u32,
    },
    /// An RSA public exponent above 2³²+1: refused before any work. Real
    /// keys use 65537 (Windows CryptoAPI cannot even hold an exponent
    /// above 32 bits); a 64-bit exponent, which OpenSSL still accepts for
    /// moduli above 3072 bits, makes each verification 4× slower.
    #[error("the signer's RSA public exponent of {bits} bits is absurdly large")]
    ExponentTooLarge {
        /// The exponent's length in bits.
        bits: u32,
    },
    /// An EC key with explicit curve parameters instead of a named curve
    /// (RFC 5480 §2.1.1 allows only namedCurve): refused before any work,
    /// since its field may be of any size. A named curve below P-256 is a
    /// [`Weakness`](crate::Weakness) instead.
    #[error("the signer's EC key does not name its curve")]
    UnsupportedCurve,
}

/// RSA moduli above this many bits are refused (OpenSSL's own
/// `OPENSSL_RSA_MAX_MODULUS_BITS`).
pub(crate) const MAX_RSA_BITS: u32 = 16384;

/// The largest RSA public exponent accepted: 2³²+1 (F5).
const MAX_RSA_EXPONENT: u64 = (1 << 32) + 1;

/// The public-key operations one SignedData may still cost
/// ([`Limits::max_signature_operations`](crate::Limits)), shared by all
/// its SignerInfos and every candidate certificate each one names.
pub(crate) struct Budget {
    left: usize,
    max: usize,
}

impl Budget {
    /// A budget of `max` operations.
    pub(crate) fn new(max: usize) -> Self {
        Budget { left: max, max }
    }

    /// Takes one operation, or says the limit is reached.
    fn spend(&mut self) -> std::result::Result<(), Stop> {
        self.left = self.left.checked_sub(1).ok_or(Stop::Budget)?;
        Ok(())
    }

    /// Takes one operation outside a signature check (a CRL's or an OCSP
    /// response's signature), or refuses the message with
    /// [`Error::LimitExceeded`].
    pub(crate) fn charge(&mut self) -> Result<()> {
        self.spend().map_err(|_| self.exceeded())
    }

    fn exceeded(&self) -> Error {
        Error::LimitExceeded {
            limit: "max_signature_operations",
            max: self.max as u64,
        }
    }
}

/// Why checking one candidate stopped: its signature failed, or the
/// message's budget of public-key operations is spent.
enum Stop {
    Failure(SignatureFailure),
    Budget,
}

impl From<SignatureFailure> for Stop {
    fn from(failure: SignatureFailure) -> Self {
        Stop::Failure(failure)
    }
}

/// The key of `cert` when a public-key operation with it stays cheap
/// (the bound of [`bounded_key`]); `None` otherwise. For the keys that
/// sign CRLs and OCSP responses.
pub(crate) fn cheap_public_key(cert: &Certificate) -> Option<PKey<Public>> {
    let public = cert.public_key().ok()?;
    bounded_key(cert.key_algorithm(), &public).ok()?;
    Some(public)
}

/// Refuses, before any public-key operation, a key that would make one
/// expensive: an RSA modulus above [`MAX_RSA_BITS`], an RSA exponent above
/// [`MAX_RSA_EXPONENT`], an EC key with explicit curve parameters.
fn bounded_key(
    key: &KeyAlgorithm,
    public: &PKeyRef<Public>,
) -> std::result::Result<(), SignatureFailure> {
    match key {
        KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } => {
            if *bits > MAX_RSA_BITS {
                return Err(SignatureFailure::KeyTooLarge { bits: *bits });
            }
            let rsa = public.rsa().map_err(|_| SignatureFailure::UnusableKey)?;
            let e = rsa.e();
            let bits = u32::try_from(e.num_bits()).unwrap_or(u32::MAX);
            let value = e
                .to_vec()
                .iter()
                .fold(0u64, |v, b| (v << 8) | u64::from(*b));
            if bits > 33 || value > MAX_RSA_EXPONENT {
                return Err(SignatureFailure::ExponentTooLarge { bits });
            }
            Ok(())
        }
        KeyAlgorithm::Ec { .. } => {
            let ec = public.ec_key().map_err(|_| SignatureFailure::UnusableKey)?;
            match ec.group().curve_name() {
                Some(_) => Ok(()),
                None => Err(SignatureFailure::UnsupportedCurve),
            }
        }
        _ => Ok(()),
    }
}

/// Whether `key` can make signatures of the `label` algorithm.
fn key_fits(label: SignatureAlgorithm, key: &KeyAlgorithm) -> bool {
    matches!(
        (label, key),
        (SignatureAlgorithm::RsaPkcs1v15, KeyAlgorithm::Rsa { .. })
            | (
                SignatureAlgorithm::RsaPss,
                KeyAlgorithm::Rsa { .. } | KeyAlgorithm::RsaPss { .. }
            )
            | (SignatureAlgorithm::Ecdsa, KeyAlgorithm::Ec { .. })
    )
}

/// The hash of RSASSA-PSS parameters (RFC 4055 §3.1, SHA-1 when absent),
/// `None` when they do not decode.
pub(crate) fn pss_hash(params: Option<&Any>) -> Option<DigestAlgorithm> {
    parse_pss_params(params).ok().map(|(hash, _, _)| hash)
}

/// The outcome of checking one `SignerInfo`'s signature.
pub(crate) struct SignerCheck {
    pub(crate) certificate: Option<Certificate>,
    pub(crate) digest: Named<DigestAlgorithm>,
    pub(crate) signature_algorithm: Named<SignatureAlgorithm>,
    pub(crate) signing_time: Option<SystemTime>,
    /// The SMIMECapabilities attribute's algorithm OIDs, when present.
    pub(crate) capabilities: Option<Vec<Oid>>,
    /// `Ok` with the index of the content candidate that matched.
    pub(crate) result: std::result::Result<usize, SignatureFailure>,
}

/// The content a signature may cover, as digests: the content as received
/// and then its alternative canonical forms, each hashed with the digest
/// algorithms the signers use. Streaming verification hashes as the
/// content passes; the content itself is never needed again.
#[derive(Default)]
pub(crate) struct ContentDigests {
    candidates: Vec<Vec<(DigestAlgorithm, Vec<u8>)>>,
}

impl ContentDigests {
    /// Hashes each of `contents` with each of `algorithms`.
    pub(crate) fn of(contents: &[&[u8]], algorithms: &[DigestAlgorithm]) -> Result<Self> {
        let mut candidates = Vec::with_capacity(contents.len());
        for content in contents {
            let mut digests = Vec::with_capacity(algorithms.len());
            for &alg in algorithms {
                digests.push((alg, openssl::hash::hash(alg.md(), content)?.to_vec()));
            }
            candidates.push(digests);
        }
        Ok(ContentDigests { candidates })
    }

    /// Adds one candidate's digests.
    pub(crate) fn push(&mut self, digests: Vec<(DigestAlgorithm, Vec<u8>)>) {
        self.candidates.push(digests);
    }

    /// Whether the content was hashed with `alg` at all.
    fn has(&self, alg: DigestAlgorithm) -> bool {
        self.candidates
            .first()
            .is_some_and(|c| c.iter().any(|(a, _)| *a == alg))
    }

    /// Each candidate's `alg` digest, in order (empty for a candidate
    /// not hashed with it, which cannot match).
    fn each(&self, alg: DigestAlgorithm) -> impl Iterator<Item = &[u8]> {
        self.candidates.iter().map(move |c| {
            c.iter()
                .find(|(a, _)| *a == alg)
                .map_or(&[][..], |(_, d)| d.as_slice())
        })
    }

    /// The first candidate whose `alg` digest satisfies `matches`.
    fn position(
        &self,
        alg: DigestAlgorithm,
        mut matches: impl FnMut(&[u8]) -> bool,
    ) -> Option<usize> {
        self.candidates.iter().position(|c| {
            c.iter()
                .find(|(a, _)| *a == alg)
                .is_some_and(|(_, d)| matches(d))
        })
    }
}

/// The digest algorithms of a SignedData's SignerInfos that we support
/// (the fuzz target hashes with these; verification takes what the
/// message announces, `verify::digest::digests_to_take`).
#[cfg(feature = "fuzzing")]
pub(crate) fn signer_digests(signed_data: &cms::signed_data::SignedData) -> Vec<DigestAlgorithm> {
    let mut algorithms = Vec::new();
    for si in signed_data.signer_infos.0.iter() {
        if let Some(alg) = DigestAlgorithm::from_oid(&si.digest_alg.oid)
            && !algorithms.contains(&alg)
        {
            algorithms.push(alg);
        }
    }
    algorithms
}

/// Checks one signer against the first candidate in `content` (the
/// content as received, then alternative canonical forms) whose digest
/// matches; each public-key operation is taken from `budget`, and
/// [`Error::LimitExceeded`] (`max_signature_operations`) ends the whole
/// verification when it is spent: a message that asks for more work than
/// any real one is refused, not half-reported.
pub(crate) fn check_signer(
    si: &SignerInfo,
    econtent_type: &Oid,
    content: &ContentDigests,
    certificates: &[Certificate],
    budget: &mut Budget,
) -> Result<SignerCheck> {
    // The certificate set is not signed: anyone on the path can add a
    // certificate that claims the signer's issuer and serial. Every match
    // is tried; the first under which the signature verifies is the signer.
    let matching = find_signer_certificates(&si.sid, certificates);
    let new_check = |certificate| SignerCheck {
        digest: Named::digest(&si.digest_alg.oid),
        signature_algorithm: Named::signature(&si.signature_algorithm.oid),
        signing_time: None,
        capabilities: None,
        certificate,
        result: Err(SignatureFailure::NoCertificate),
    };
    let mut first_failure = None;
    let mut run = |mut check: SignerCheck| {
        check.result = match verify_signer(si, econtent_type, content, &mut check, budget) {
            Ok(index) => Ok(index),
            Err(Stop::Failure(failure)) => Err(failure),
            Err(Stop::Budget) => return Err(budget.exceeded()),
        };
        Ok(check)
    };
    for cert in matching {
        let check = run(new_check(Some(cert)))?;
        if check.result.is_ok() {
            return Ok(check);
        }
        first_failure.get_or_insert(check);
    }
    match first_failure {
        Some(check) => Ok(check),
        None => run(new_check(None)),
    }
}

fn verify_signer(
    si: &SignerInfo,
    econtent_type: &Oid,
    content: &ContentDigests,
    check: &mut SignerCheck,
    budget: &mut Budget,
) -> std::result::Result<usize, Stop> {
    let cert = check
        .certificate
        .clone()
        .ok_or(SignatureFailure::NoCertificate)?;
    let digest = match check.digest {
        Named::Known(d) => d,
        Named::Unknown(oid) => return Err(SignatureFailure::UnsupportedDigest(oid).into()),
    };
    if let KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } = cert.key_algorithm()
        && *bits > MAX_RSA_BITS
    {
        return Err(SignatureFailure::KeyTooLarge { bits: *bits }.into());
    }
    if let Some(label) = SignatureAlgorithm::from_oid(&si.signature_algorithm.oid)
        && !key_fits(label, cert.key_algorithm())
    {
        // Never report the label as what signed.
        check.signature_algorithm = Named::Unknown(ObjectId(si.signature_algorithm.oid));
        return Err(SignatureFailure::KeyMismatch { label }.into());
    }
    let public = cert
        .public_key()
        .map_err(|_| SignatureFailure::UnusableKey)?;
    bounded_key(cert.key_algorithm(), &public)?;
    if !content.has(digest) {
        return Err(SignatureFailure::DigestNotComputed(digest).into());
    }
    let Some(attrs) = &si.signed_attrs else {
        // No signed attributes: the signature is over the content itself,
        // which RFC 5652 §5.3 allows only for id-data.
        if *econtent_type != oid::DATA {
            return Err(SignatureFailure::UnprotectedContentType.into());
        }
        for (index, d) in content.each(digest).enumerate() {
            budget.spend()?;
            if verify_signature(si, digest, &public, Signed::Digest(d)).is_ok() {
                return Ok(index);
            }
        }
        return Err(SignatureFailure::ContentMismatch.into());
    };
    check.capabilities = single_value(attrs, &oid::SMIME_CAPABILITIES).and_then(capability_oids);
    check.signing_time = single_value(attrs, &oid::SIGNING_TIME)
        .and_then(|v| v.to_der().ok())
        .and_then(|der| Time::from_der(&der).ok())
        .map(|t| t.to_system_time());
    // RFC 5652 §11.1: contentType must be present and equal eContentType,
    // or a signature over one type could be replayed as another.
    let content_type = single_value(attrs, &oid::CONTENT_TYPE)
        .and_then(|v| v.decode_as::<Oid>().ok())
        .ok_or(SignatureFailure::MissingContentType)?;
    if content_type != *econtent_type {
        return Err(SignatureFailure::ContentTypeMismatch {
            attribute: ObjectId(content_type),
            content: ObjectId(*econtent_type),
        }
        .into());
    }
    let expected = single_value(attrs, &oid::MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or(SignatureFailure::MissingMessageDigest)?;
    // Digests are public values: no constant-time compare needed.
    let matched = content
        .position(digest, |d| d == expected.as_bytes())
        .ok_or(SignatureFailure::DigestMismatch)?;
    let signed = attrs.to_der().map_err(|_| SignatureFailure::BadSignature)?;
    budget.spend()?;
    verify_signature(si, digest, &public, Signed::Data(&signed))?;
    Ok(matched)
}

/// RFC 8551 §2.5.2: `SMIMECapabilities ::= SEQUENCE OF SMIMECapability`;
/// `None` when it does not decode or announces absurdly many.
fn capability_oids(value: &Any) -> Option<Vec<Oid>> {
    let capabilities: SmimeCapabilities = value.decode_as().ok()?;
    (capabilities.len() <= 64).then(|| capabilities.iter().map(|c| c.capability_id).collect())
}

/// The single value of a signed attribute; `None` when absent or when it
/// has several values (RFC 5652 §11 allows exactly one).
fn single_value<'a>(attrs: &'a SignedAttributes, oid: &Oid) -> Option<&'a Any> {
    let mut found = attrs.iter().filter(|a| a.oid == *oid);
    let attr = found.next()?;
    if found.next().is_some() || attr.values.len() != 1 {
        return None;
    }
    attr.values.iter().next()
}

/// What a signature is over: data to hash, or its digest already taken
/// (RFC 5652 §5.4: the content itself when there are no signed
/// attributes, which streaming verification has only as a digest).
enum Signed<'a> {
    Data(&'a [u8]),
    Digest(&'a [u8]),
}

fn verify_signature(
    si: &SignerInfo,
    digest: DigestAlgorithm,
    public: &PKeyRef<Public>,
    signed: Signed<'_>,
) -> std::result::Result<(), SignatureFailure> {
    let bad = |_| SignatureFailure::BadSignature;
    let hash = match signed {
        Signed::Data(data) => openssl::hash::hash(digest.md(), data)
            .map_err(bad)?
            .to_vec(),
        Signed::Digest(d) => d.to_vec(),
    };
    let md =
        |d: DigestAlgorithm| Md::from_nid(d.md().type_()).ok_or(SignatureFailure::BadSignature);
    let mut ctx = PkeyCtx::new(public).map_err(bad)?;
    ctx.verify_init().map_err(bad)?;
    ctx.set_signature_md(md(digest)?).map_err(bad)?;
    let sig_oid = si.signature_algorithm.oid;
    match SignatureAlgorithm::from_oid(&sig_oid) {
        Some(SignatureAlgorithm::RsaPss) => {
            let (hash_alg, mgf, salt) =
                parse_pss_params(si.signature_algorithm.parameters.as_ref())?;
            if hash_alg != digest {
                return Err(SignatureFailure::PssHashMismatch);
            }
            let salt = i32::try_from(salt).map_err(|_| SignatureFailure::BadPssParameters)?;
            ctx.set_rsa_padding(Padding::PKCS1_PSS).map_err(bad)?;
            ctx.set_rsa_mgf1_md(md(mgf)?).map_err(bad)?;
            ctx.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))
                .map_err(bad)?;
        }
        Some(_) => {}
        None => {
            return Err(SignatureFailure::UnsupportedSignatureAlgorithm(ObjectId(
                sig_oid,
            )));
        }
    }
    match ctx.verify(&hash, si.signature.as_bytes()) {
        Ok(true) => Ok(()),
        _ => Err(SignatureFailure::BadSignature),
    }
}

/// RFC 4055 §3.1 RSASSA-PSS-params, with its SHA-1 defaults: the hash,
/// MGF1's hash and the salt length.
fn parse_pss_params(
    params: Option<&Any>,
) -> std::result::Result<(DigestAlgorithm, DigestAlgorithm, u32), SignatureFailure> {
    let bad = SignatureFailure::BadPssParameters;
    let Some(params) = params else {
        return Ok((DigestAlgorithm::Sha1, DigestAlgorithm::Sha1, 20));
    };
    let params: RsassaPssParams = params.decode_as().map_err(|_| bad)?;
    let digest_of = |a: Option<&AlgorithmIdentifierOwned>| match a {
        None => Ok(DigestAlgorithm::Sha1),
        Some(a) => DigestAlgorithm::from_oid(&a.oid).ok_or(bad),
    };
    let hash = digest_of(params.hash_algorithm.as_ref())?;
    let mgf_hash = match &params.mask_gen_algorithm {
        None => DigestAlgorithm::Sha1,
        Some(m) if m.oid == oid::MGF1 => {
            let inner = m
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok());
            digest_of(inner.as_ref())?
        }
        Some(_) => return Err(bad),
    };
    Ok((hash, mgf_hash, params.salt_length.unwrap_or(20)))
}

/// Finds the certificates a `SignerIdentifier` names (RFC 5652 §5.3):
/// strictly by issuer and serial number or by subject key identifier, never
/// "the first certificate in the bag".
pub(crate) fn find_signer_certificates(
    sid: &SignerIdentifier,
    certificates: &[Certificate],
) -> Vec<Certificate> {
    let mut found: Vec<Certificate> = Vec::new();
    for c in certificates.iter().filter(|c| match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            let tbs = &c.x509().tbs_certificate;
            tbs.issuer == ias.issuer && tbs.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            c.subject_key_identifier() == Some(ski.0.as_bytes())
        }
    }) {
        if !found.contains(c) {
            found.push(c.clone());
        }
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::signer::pss_params;
    use super::*;

    #[test]
    fn pss_params_round_trip() {
        for d in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let any = Any::encode_from(&pss_params(d).unwrap()).unwrap();
            assert_eq!(
                parse_pss_params(Some(&any)).unwrap(),
                (d, d, d.output_len())
            );
        }
        assert_eq!(
            parse_pss_params(None).unwrap(),
            (DigestAlgorithm::Sha1, DigestAlgorithm::Sha1, 20)
        );
    }
}
