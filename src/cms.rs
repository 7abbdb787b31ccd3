//! CMS `SignedData` (RFC 5652 §5) in and out.
//!
//! The structures are RustCrypto `cms` types; every primitive (digest,
//! RSA PKCS#1 v1.5 / PSS, ECDSA) is OpenSSL's. BER input — indefinite
//! lengths, chunked OCTET STRINGs, as `openssl cms -stream`, Outlook and NSS
//! write — is normalised to DER by OpenSSL's own CMS decoder before the
//! strict `der` decoder sees it. The signature over signed attributes is
//! always checked against their DER encoding, as RFC 5652 §5.4 defines it.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::SystemTime;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{ContextSpecific, Null, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader, SliceReader, TagMode, TagNumber, Tagged};
use openssl::error::ErrorStack;
use openssl::md::Md;
use openssl::pkey::{PKeyRef, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use crate::algorithm::{ContentEncryption, DigestAlgorithm};
use crate::cert::{Certificate, KeyAlgorithm};
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::limits::Limits;
use crate::oid;

fn cms_err(what: impl fmt::Display) -> Error {
    Error::InvalidCms(what.to_string())
}

fn alg(oid: Oid, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters }
}

fn attribute(oid: Oid, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(cms_err)?,
    })
}

/// What to sign and how.
pub(crate) struct SignParams<'a> {
    pub(crate) identity: &'a Identity,
    pub(crate) digest: DigestAlgorithm,
    pub(crate) rsa_pss: bool,
    pub(crate) signing_time: SystemTime,
    /// Embed the content (opaque signing) or not (detached).
    pub(crate) embed: bool,
}

/// Builds a DER `ContentInfo` holding a `SignedData` over `content`, with
/// the signed attributes RFC 8551 §2.5 asks for and the signer's chain.
pub(crate) fn build_signed_data(content: &[u8], p: &SignParams<'_>) -> Result<Vec<u8>> {
    let digest = openssl::hash::hash(p.digest.md(), content)?;
    signed_data(&digest, p.embed.then_some(content), p)
}

/// A detached `SignedData` for content already hashed with `p.digest`:
/// what streaming signers build once the content has gone by.
pub(crate) fn build_detached_signed_data(digest: &[u8], p: &SignParams<'_>) -> Result<Vec<u8>> {
    signed_data(digest, None, p)
}

fn signed_data(digest: &[u8], content: Option<&[u8]>, p: &SignParams<'_>) -> Result<Vec<u8>> {
    let cert = p.identity.certificate();
    let signed_attrs = signed_attributes(digest, p)?;
    let to_sign = signed_attrs.to_der().map_err(cms_err)?;
    let (signature, signature_algorithm) = sign_bytes(p.identity, p.digest, p.rsa_pss, &to_sign)?;
    let tbs = &cert.x509().tbs_certificate;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        // RFC 5754 §2: parameters absent for SHA-2.
        digest_alg: alg(p.digest.oid(), None),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature).map_err(cms_err)?,
        unsigned_attrs: None,
    };
    let mut certificates = vec![cms::cert::CertificateChoices::Certificate(
        cert.x509().clone(),
    )];
    certificates.extend(
        p.identity
            .chain()
            .iter()
            .map(|c| cms::cert::CertificateChoices::Certificate(c.x509().clone())),
    );
    let econtent = match content {
        Some(content) => {
            Some(Any::encode_from(&OctetString::new(content).map_err(cms_err)?).map_err(cms_err)?)
        }
        None => None,
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(p.digest.oid(), None)]).map_err(cms_err)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent,
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(certificates).map_err(cms_err)?,
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info]).map_err(cms_err)?),
    };
    ContentInfo {
        content_type: oid::SIGNED_DATA,
        content: Any::encode_from(&signed_data).map_err(cms_err)?,
    }
    .to_der()
    .map_err(cms_err)
}

/// contentType, signingTime, messageDigest (RFC 5652 §11), SMIMECapabilities
/// and SMIMEEncryptionKeyPreference (RFC 8551 §2.5.2-2.5.3).
fn signed_attributes(digest: &[u8], p: &SignParams<'_>) -> Result<SignedAttributes> {
    let time = signing_time(p.signing_time)?;
    let mut attrs = vec![
        attribute(
            oid::CONTENT_TYPE,
            Any::encode_from(&oid::DATA).map_err(cms_err)?,
        )?,
        attribute(oid::SIGNING_TIME, Any::encode_from(&time).map_err(cms_err)?)?,
        attribute(
            oid::MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest).map_err(cms_err)?).map_err(cms_err)?,
        )?,
        attribute(oid::SMIME_CAPABILITIES, smime_capabilities()?)?,
    ];
    let cert = p.identity.certificate();
    if cert.can_decrypt() {
        attrs.push(attribute(
            oid::ENCRYPTION_KEY_PREFERENCE,
            key_preference(cert)?,
        )?);
    }
    SetOfVec::try_from(attrs).map_err(cms_err)
}

/// RFC 5652 §11.3: UTCTime for 1950 through 2049, GeneralizedTime
/// otherwise (x509-cert's own conversion always picks GeneralizedTime).
fn signing_time(time: SystemTime) -> Result<Time> {
    let dt = der::DateTime::from_system_time(time).map_err(cms_err)?;
    if (1950..2050).contains(&dt.year()) {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_date_time(dt).map_err(cms_err)?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

/// What we can decrypt, most preferred first: AES-GCM (RFC 8551 §2.7 MUST)
/// before AES-CBC.
fn smime_capabilities() -> Result<Any> {
    let mut body = Vec::new();
    for cap in ContentEncryption::ANNOUNCED {
        body.extend(tlv(0x30, &cap.oid().to_der().map_err(cms_err)?));
    }
    Any::from_der(&tlv(0x30, &body)).map_err(cms_err)
}

/// `issuerAndSerialNumber [0] IMPLICIT` of our own certificate: encrypt to
/// this one (RFC 8551 §2.5.3).
fn key_preference(cert: &Certificate) -> Result<Any> {
    let tbs = &cert.x509().tbs_certificate;
    let ias = IssuerAndSerialNumber {
        issuer: tbs.issuer.clone(),
        serial_number: tbs.serial_number.clone(),
    };
    let der = ias.to_der().map_err(cms_err)?;
    let content = der::asn1::AnyRef::from_der(&der)
        .map_err(cms_err)?
        .value()
        .to_vec();
    Any::from_der(&tlv(0xA0, &content)).map_err(cms_err)
}

/// A DER TLV with a one-byte tag.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = tlv_header(tag, content.len());
    out.extend_from_slice(content);
    out
}

/// The identifier and definite length octets of a TLV (X.690 §8.1.3).
pub(crate) fn tlv_header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend(bytes.iter().skip(skip));
    }
    out
}

/// Opaque signing in one pass (RFC 5652 §5.2 with BER indefinite lengths,
/// X.690 §8.1.3.6, as `openssl cms -sign -stream` writes it): everything
/// before the eContent octets. The content follows as primitive OCTET
/// STRING segments ([`tlv_header`]`(0x04, n)`), then [`opaque_suffix`].
pub(crate) fn opaque_prefix(digest: DigestAlgorithm) -> Result<Vec<u8>> {
    let digest_algorithms = SetOfVec::try_from(vec![alg(digest.oid(), None)])
        .and_then(|set| set.to_der())
        .map_err(cms_err)?;
    let mut out = vec![0x30, 0x80];
    out.extend(oid::SIGNED_DATA.to_der().map_err(cms_err)?);
    out.extend([0xA0, 0x80, 0x30, 0x80]);
    // CMSVersion 1: id-data content, certificates only (RFC 5652 §5.1).
    out.extend([0x02, 0x01, 0x01]);
    out.extend(digest_algorithms);
    out.extend([0x30, 0x80]);
    out.extend(oid::DATA.to_der().map_err(cms_err)?);
    // eContent [0] EXPLICIT OCTET STRING, constructed and segmented.
    out.extend([0xA0, 0x80, 0x24, 0x80]);
    Ok(out)
}

/// What follows the eContent segments of [`opaque_prefix`]: the
/// certificates and SignerInfos of `detached` (a DER `ContentInfo` from
/// [`build_detached_signed_data`] over the same digest), then the
/// end-of-contents octets of every indefinite length still open.
pub(crate) fn opaque_suffix(detached: &[u8]) -> Result<Vec<u8>> {
    let ci = ContentInfo::from_der(detached).map_err(cms_err)?;
    let mut reader = SliceReader::new(ci.content.value()).map_err(cms_err)?;
    // version, digestAlgorithms and encapContentInfo are in the prefix.
    for _ in 0..3 {
        Any::decode(&mut reader).map_err(cms_err)?;
    }
    let rest = reader.read_slice(reader.remaining_len()).map_err(cms_err)?;
    // Closes the OCTET STRING, [0], EncapsulatedContentInfo.
    let mut out = vec![0, 0, 0, 0, 0, 0];
    out.extend_from_slice(rest);
    // Closes SignedData, [0], ContentInfo.
    out.extend([0, 0, 0, 0, 0, 0]);
    Ok(out)
}

/// Signs `data` with the identity's key; returns the signature and its
/// SignerInfo.signatureAlgorithm.
fn sign_bytes(
    identity: &Identity,
    digest: DigestAlgorithm,
    rsa_pss: bool,
    data: &[u8],
) -> Result<(Vec<u8>, AlgorithmIdentifierOwned)> {
    let key: &PKeyRef<Private> = identity.private_key().openssl();
    let md = digest.md();
    let mut signer = Signer::new(md, key)?;
    let algorithm = match identity.certificate().key_algorithm() {
        KeyAlgorithm::Rsa { .. } if rsa_pss => {
            signer.set_rsa_padding(Padding::PKCS1_PSS)?;
            signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
            signer.set_rsa_mgf1_md(md)?;
            alg(oid::RSASSA_PSS, Some(pss_params(digest)?))
        }
        // What OpenSSL, NSS and Outlook write: rsaEncryption, NULL params.
        KeyAlgorithm::Rsa { .. } => alg(oid::RSA_ENCRYPTION, Some(Any::from(Null))),
        KeyAlgorithm::Ec { .. } => alg(
            match digest {
                DigestAlgorithm::Sha1 => oid::ECDSA_WITH_SHA1,
                DigestAlgorithm::Sha224 => oid::ECDSA_WITH_SHA224,
                DigestAlgorithm::Sha256 => oid::ECDSA_WITH_SHA256,
                DigestAlgorithm::Sha384 => oid::ECDSA_WITH_SHA384,
                DigestAlgorithm::Sha512 => oid::ECDSA_WITH_SHA512,
            },
            None,
        ),
        other => return Err(Error::UnsupportedKey(other.to_string())),
    };
    signer.update(data)?;
    Ok((signer.sign_to_vec()?, algorithm))
}

/// RSASSA-PSS-params (RFC 4055 §3.1): the hash, MGF1 with the same hash,
/// salt as long as the hash, trailer 1.
fn pss_params(digest: DigestAlgorithm) -> Result<Any> {
    let hash = alg(digest.oid(), Some(Any::from(Null)));
    let mgf = alg(oid::MGF1, Some(Any::encode_from(&hash).map_err(cms_err)?));
    let explicit = |n: u8, der: Vec<u8>| tlv(0xA0 | n, &der);
    let mut body = explicit(0, hash.to_der().map_err(cms_err)?);
    body.extend(explicit(1, mgf.to_der().map_err(cms_err)?));
    body.extend(explicit(2, digest.output_len().to_der().map_err(cms_err)?));
    Any::from_der(&tlv(0x30, &body)).map_err(cms_err)
}

/// A decoded `SignedData` and what it carries.
pub(crate) struct Parsed {
    pub(crate) signed_data: SignedData,
    /// The certificates of the message that could be read.
    pub(crate) certificates: Vec<Certificate>,
    /// The encapsulated content, when present (opaque signing).
    pub(crate) econtent: Option<Vec<u8>>,
}

/// The content type of a CMS `ContentInfo` in BER or DER.
pub(crate) fn content_type(ber: &[u8]) -> Result<Oid> {
    Ok(ContentInfo::from_der(&normalize(ber)?)
        .map_err(cms_err)?
        .content_type)
}

/// BER → DER through OpenSSL's CMS decoder and encoder.
pub(crate) fn normalize(ber: &[u8]) -> Result<Vec<u8>> {
    let cms = openssl::cms::CmsContentInfo::from_der(ber)
        .map_err(|_| cms_err("not a CMS ContentInfo (BER/DER decoding failed)"))?;
    cms.to_der()
        .map_err(|_| cms_err("cannot re-encode the CMS structure"))
}

/// Decodes a `ContentInfo` that must hold a `SignedData`.
pub(crate) fn parse_signed_data(ber: &[u8], limits: &Limits) -> Result<Parsed> {
    let der = normalize(ber)?;
    let ci = ContentInfo::from_der(&der).map_err(cms_err)?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(cms_err(format!(
            "expected SignedData, found content type {}",
            ci.content_type
        )));
    }
    let signed_data: SignedData = ci.content.decode_as().map_err(cms_err)?;
    crate::limits::check(
        "max_signers",
        signed_data.signer_infos.0.len() as u64,
        limits.max_signers as u64,
    )?;
    let choices = signed_data
        .certificates
        .as_ref()
        .map(|c| c.0.as_slice())
        .unwrap_or_default();
    crate::limits::check(
        "max_certificates",
        choices.len() as u64,
        limits.max_certificates as u64,
    )?;
    let certificates = choices
        .iter()
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => c.to_der().ok(),
            _ => None,
        })
        .filter_map(|der| Certificate::from_der(&der).ok())
        .collect();
    let econtent = signed_data.encap_content_info.econtent.as_ref().map(|any| {
        match any.decode_as::<OctetString>() {
            Ok(octets) => octets.into_bytes(),
            // PKCS#7 v1.5 allowed any type here; hash its contents octets.
            Err(_) => any.value().to_vec(),
        }
    });
    Ok(Parsed {
        signed_data,
        certificates,
        econtent,
    })
}

/// What decryption needs to know about an `EnvelopedData` (RFC 5652 §6.1)
/// or `AuthEnvelopedData` (RFC 5083 §2.1) before any key is used.
pub(crate) struct Envelope {
    /// AuthEnvelopedData with AES-GCM: the content is authenticated.
    pub(crate) authenticated: bool,
    pub(crate) content_encryption: Oid,
    /// How many KeyTransRecipientInfos (bounds trial decryption).
    pub(crate) key_transport_recipients: usize,
}

/// Decodes the content-encryption algorithm of an `EnvelopedData` or
/// `AuthEnvelopedData` and bounds its number of RecipientInfos. Both start
/// with version, [0] originatorInfo, recipientInfos, EncryptedContentInfo.
/// The RecipientInfos are only counted here (OpenSSL matches them against
/// our certificates): cms 0.2.3 cannot decode a KeyAgreeRecipientInfo that
/// names its recipient by rKeyId (RustCrypto/formats#1350), which
/// `openssl cms -encrypt -keyid` writes.
pub(crate) fn parse_envelope(ber: &[u8], limits: &Limits) -> Result<Envelope> {
    use cms::enveloped_data::{EncryptedContentInfo, OriginatorInfo};
    let der = normalize(ber)?;
    let ci = ContentInfo::from_der(&der).map_err(cms_err)?;
    let authenticated = match ci.content_type {
        oid::ENVELOPED_DATA => false,
        oid::AUTH_ENVELOPED_DATA => true,
        _ => return Err(Error::NotEncrypted),
    };
    let mut reader = SliceReader::new(ci.content.value()).map_err(cms_err)?;
    let _version = CmsVersion::decode(&mut reader).map_err(cms_err)?;
    let _originator =
        ContextSpecific::<OriginatorInfo>::decode_implicit(&mut reader, TagNumber::N0)
            .map_err(cms_err)?;
    let recipient_infos = Any::decode(&mut reader).map_err(cms_err)?;
    let mut inner = SliceReader::new(recipient_infos.value()).map_err(cms_err)?;
    let (mut count, mut key_transport) = (0usize, 0usize);
    while !inner.is_finished() {
        let ri = Any::decode(&mut inner).map_err(cms_err)?;
        // KeyTransRecipientInfo is the untagged SEQUENCE alternative.
        key_transport += usize::from(ri.tag() == der::Tag::Sequence);
        count += 1;
        // Decryption work must stay bounded: thousands of RecipientInfos
        // are an attack, not mail.
        crate::limits::check("max_recipients", count as u64, limits.max_recipients as u64)?;
    }
    if count == 0 {
        return Err(cms_err("no RecipientInfo"));
    }
    let eci = EncryptedContentInfo::decode(&mut reader).map_err(cms_err)?;
    let aead =
        [oid::AES128_GCM, oid::AES192_GCM, oid::AES256_GCM].contains(&eci.content_enc_alg.oid);
    if authenticated != aead {
        // OpenSSL 3.0 decrypts CBC inside AuthEnvelopedData without any
        // check: the "authenticated" flag must never be this easy to forge.
        return Err(cms_err(if authenticated {
            "AuthEnvelopedData with a cipher that authenticates nothing"
        } else {
            "EnvelopedData with an AEAD cipher (RFC 5084 §3: AuthEnvelopedData only)"
        }));
    }
    if authenticated {
        check_gcm_tag(&eci, &mut reader)?;
    }
    Ok(Envelope {
        authenticated,
        content_encryption: eci.content_enc_alg.oid,
        key_transport_recipients: key_transport,
    })
}

/// RFC 5084 §3.2: the tag (`mac`) must be as long as GCMParameters'
/// `aes-ICVlen` (default 12, 12 to 16). OpenSSL 3.0 accepts any `mac`
/// length down to one byte, which would make a forgery a matter of 256
/// tries; we accept 12 to 16 bytes and only the announced length.
fn check_gcm_tag(
    eci: &cms::enveloped_data::EncryptedContentInfo,
    reader: &mut SliceReader<'_>,
) -> Result<()> {
    let icv_len = gcm_icv_len(&eci.content_enc_alg)?;
    // authAttrs [1] IMPLICIT OPTIONAL, then mac OCTET STRING.
    let _auth_attrs =
        ContextSpecific::<SetOfVec<Attribute>>::decode_implicit(reader, TagNumber::N1)
            .map_err(cms_err)?;
    let mac = OctetString::decode(reader).map_err(cms_err)?;
    if mac.as_bytes().len() != usize::from(icv_len) {
        return Err(cms_err(format!(
            "AES-GCM tag of {} bytes where GCMParameters announce {icv_len}",
            mac.as_bytes().len()
        )));
    }
    Ok(())
}

/// RFC 5084 §3.2: GCMParameters' `aes-ICVlen` (default 12), refused
/// outside 12 to 16.
pub(crate) fn gcm_icv_len(alg: &AlgorithmIdentifierOwned) -> Result<u8> {
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| cms_err("AES-GCM without GCMParameters"))?;
    let mut p = SliceReader::new(params.value()).map_err(cms_err)?;
    let _nonce = OctetString::decode(&mut p).map_err(cms_err)?;
    let icv_len = if p.is_finished() {
        12
    } else {
        u8::decode(&mut p).map_err(cms_err)?
    };
    if !(12..=16).contains(&icv_len) {
        return Err(cms_err(format!(
            "AES-GCM tag length {icv_len} outside 12..16"
        )));
    }
    Ok(icv_len)
}

/// The outcome of checking one `SignerInfo`'s signature.
pub(crate) struct SignerCheck {
    pub(crate) certificate: Option<Certificate>,
    pub(crate) digest: Option<DigestAlgorithm>,
    pub(crate) digest_name: String,
    pub(crate) signature_algorithm: String,
    pub(crate) signing_time: Option<SystemTime>,
    /// The SMIMECapabilities attribute's algorithm OIDs, when present.
    pub(crate) capabilities: Option<Vec<Oid>>,
    /// `Ok` with the index of the content candidate that matched.
    pub(crate) result: std::result::Result<usize, String>,
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

/// The digest algorithms of a SignedData's SignerInfos that we support.
pub(crate) fn signer_digests(signed_data: &SignedData) -> Vec<DigestAlgorithm> {
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
/// matches.
pub(crate) fn check_signer(
    si: &SignerInfo,
    econtent_type: &Oid,
    content: &ContentDigests,
    certificates: &[Certificate],
) -> SignerCheck {
    // The certificate set is not signed: anyone on the path can add a
    // certificate that claims the signer's issuer and serial. Every match
    // is tried; the first under which the signature verifies is the signer.
    let matching = find_signer_certificates(&si.sid, certificates);
    let digest = DigestAlgorithm::from_oid(&si.digest_alg.oid);
    let new_check = |certificate| SignerCheck {
        digest_name: digest.map_or_else(|| name_of(&si.digest_alg.oid), |d| d.to_string()),
        signature_algorithm: name_of(&si.signature_algorithm.oid),
        signing_time: None,
        capabilities: None,
        certificate,
        digest,
        result: Err(String::new()),
    };
    let mut first_failure = None;
    for cert in matching {
        let mut check = new_check(Some(cert));
        check.result = verify_signer(si, econtent_type, content, &mut check);
        if check.result.is_ok() {
            return check;
        }
        first_failure.get_or_insert(check);
    }
    first_failure.unwrap_or_else(|| {
        let mut check = new_check(None);
        check.result = verify_signer(si, econtent_type, content, &mut check);
        check
    })
}

fn verify_signer(
    si: &SignerInfo,
    econtent_type: &Oid,
    content: &ContentDigests,
    check: &mut SignerCheck,
) -> std::result::Result<usize, String> {
    let cert = check
        .certificate
        .clone()
        .ok_or("the signer's certificate is not in the message")?;
    let digest = check
        .digest
        .ok_or_else(|| format!("unsupported digest algorithm {}", check.digest_name))?;
    let public = cert.public_key().map_err(|e| e.to_string())?;
    if !content.has(digest) {
        return Err(format!(
            "the content was not hashed with {digest}: the message did not announce it (micalg or digestAlgorithms)"
        ));
    }
    let Some(attrs) = &si.signed_attrs else {
        // No signed attributes: the signature is over the content itself,
        // which RFC 5652 §5.3 allows only for id-data.
        if *econtent_type != oid::DATA {
            return Err("content type is not id-data and no signed attributes protect it".into());
        }
        return content
            .position(digest, |d| {
                verify_signature(si, digest, &public, Signed::Digest(d)).is_ok()
            })
            .ok_or_else(|| "the signature does not match the content".to_owned());
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
        .ok_or("the contentType signed attribute is missing")?;
    if content_type != *econtent_type {
        return Err(format!(
            "the contentType attribute ({content_type}) differs from the content ({econtent_type})"
        ));
    }
    let expected = single_value(attrs, &oid::MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("the messageDigest signed attribute is missing")?;
    // Digests are public values: no constant-time compare needed.
    let matched = content
        .position(digest, |d| d == expected.as_bytes())
        .ok_or("message digest mismatch: the signed content was altered")?;
    let signed = attrs.to_der().map_err(|e| e.to_string())?;
    verify_signature(si, digest, &public, Signed::Data(&signed))?;
    Ok(matched)
}

/// RFC 8551 §2.5.2: `SMIMECapabilities ::= SEQUENCE OF SMIMECapability`,
/// each `SEQUENCE { capabilityID OID, parameters ANY OPTIONAL }`.
fn capability_oids(value: &Any) -> Option<Vec<Oid>> {
    let mut reader = SliceReader::new(value.value()).ok()?;
    let mut oids = Vec::new();
    while !reader.is_finished() && oids.len() < 64 {
        oids.push(AlgorithmIdentifierOwned::decode(&mut reader).ok()?.oid);
    }
    Some(oids)
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
) -> std::result::Result<(), String> {
    let err = |e: ErrorStack| e.to_string();
    let hash = match signed {
        Signed::Data(data) => openssl::hash::hash(digest.md(), data)
            .map_err(err)?
            .to_vec(),
        Signed::Digest(d) => d.to_vec(),
    };
    let mut ctx = PkeyCtx::new(public).map_err(err)?;
    ctx.verify_init().map_err(err)?;
    ctx.set_signature_md(Md::from_nid(digest.md().type_()).ok_or("unknown digest")?)
        .map_err(err)?;
    let sig_oid = si.signature_algorithm.oid;
    if sig_oid == oid::RSASSA_PSS {
        let (hash_alg, mgf, salt) = parse_pss_params(si.signature_algorithm.parameters.as_ref())?;
        if hash_alg != digest {
            return Err("RSASSA-PSS hash differs from the digest algorithm".into());
        }
        ctx.set_rsa_padding(Padding::PKCS1_PSS).map_err(err)?;
        ctx.set_rsa_mgf1_md(Md::from_nid(mgf.md().type_()).ok_or("unknown MGF1 digest")?)
            .map_err(err)?;
        let salt = i32::try_from(salt).map_err(|_| "RSASSA-PSS salt length out of range")?;
        ctx.set_rsa_pss_saltlen(RsaPssSaltlen::custom(salt))
            .map_err(err)?;
    } else if !is_known_signature_algorithm(&sig_oid) {
        return Err(format!(
            "unsupported signature algorithm {}",
            name_of(&sig_oid)
        ));
    }
    match ctx.verify(&hash, si.signature.as_bytes()) {
        Ok(true) => Ok(()),
        _ => Err("the signature does not verify with the signer's public key".into()),
    }
}

fn is_known_signature_algorithm(oid: &Oid) -> bool {
    [
        oid::RSA_ENCRYPTION,
        oid::SHA1_WITH_RSA,
        oid::SHA224_WITH_RSA,
        oid::SHA256_WITH_RSA,
        oid::SHA384_WITH_RSA,
        oid::SHA512_WITH_RSA,
        oid::EC_PUBLIC_KEY,
        oid::ECDSA_WITH_SHA1,
        oid::ECDSA_WITH_SHA224,
        oid::ECDSA_WITH_SHA256,
        oid::ECDSA_WITH_SHA384,
        oid::ECDSA_WITH_SHA512,
    ]
    .contains(oid)
}

/// RFC 4055 §3.1 RSASSA-PSS-params, with its SHA-1 defaults.
fn parse_pss_params(
    params: Option<&Any>,
) -> std::result::Result<(DigestAlgorithm, DigestAlgorithm, u32), String> {
    let bad = |_| "unreadable RSASSA-PSS parameters".to_owned();
    let Some(params) = params else {
        return Ok((DigestAlgorithm::Sha1, DigestAlgorithm::Sha1, 20));
    };
    let mut reader = SliceReader::new(params.value()).map_err(bad)?;
    let hash =
        ContextSpecific::<AlgorithmIdentifierOwned>::decode_explicit(&mut reader, TagNumber::N0)
            .map_err(bad)?
            .map(|c| c.value);
    let mgf =
        ContextSpecific::<AlgorithmIdentifierOwned>::decode_explicit(&mut reader, TagNumber::N1)
            .map_err(bad)?
            .map(|c| c.value);
    let salt = ContextSpecific::<u32>::decode_explicit(&mut reader, TagNumber::N2)
        .map_err(bad)?
        .map_or(20, |c| c.value);
    let digest_of = |a: Option<&AlgorithmIdentifierOwned>| match a {
        None => Ok(DigestAlgorithm::Sha1),
        Some(a) => DigestAlgorithm::from_oid(&a.oid)
            .ok_or_else(|| format!("unsupported PSS hash {}", a.oid)),
    };
    let hash = digest_of(hash.as_ref())?;
    let mgf_hash = match mgf {
        None => DigestAlgorithm::Sha1,
        Some(m) if m.oid == oid::MGF1 => {
            let inner = m
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<AlgorithmIdentifierOwned>().ok());
            digest_of(inner.as_ref())?
        }
        Some(m) => return Err(format!("unsupported mask generation function {}", m.oid)),
    };
    let _ = TagMode::Explicit; // the three fields above are EXPLICIT-tagged
    Ok((hash, mgf_hash, salt))
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

/// A readable name for an algorithm OID.
pub(crate) fn name_of(oid: &Oid) -> String {
    let name = match *oid {
        oid::MD5 => "MD5",
        oid::SHA1 => "SHA-1",
        oid::SHA224 => "SHA-224",
        oid::SHA256 => "SHA-256",
        oid::SHA384 => "SHA-384",
        oid::SHA512 => "SHA-512",
        oid::RSA_ENCRYPTION => "RSA PKCS#1 v1.5",
        oid::SHA1_WITH_RSA
        | oid::SHA224_WITH_RSA
        | oid::SHA256_WITH_RSA
        | oid::SHA384_WITH_RSA
        | oid::SHA512_WITH_RSA => "RSA PKCS#1 v1.5",
        oid::MD5_WITH_RSA => "MD5 with RSA",
        oid::RSASSA_PSS => "RSASSA-PSS",
        oid::EC_PUBLIC_KEY
        | oid::ECDSA_WITH_SHA1
        | oid::ECDSA_WITH_SHA224
        | oid::ECDSA_WITH_SHA256
        | oid::ECDSA_WITH_SHA384
        | oid::ECDSA_WITH_SHA512 => "ECDSA",
        _ => return oid.to_string(),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        let long = vec![0u8; 200];
        assert_eq!(&tlv(0x04, &long)[..3], &[0x04, 0x81, 200]);
        let longer = vec![0u8; 300];
        assert_eq!(&tlv(0x04, &longer)[..4], &[0x04, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn pss_params_round_trip() {
        for d in [
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
        ] {
            let any = pss_params(d).unwrap();
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

    #[test]
    fn garbage_is_invalid_cms() {
        for bytes in [&b""[..], b"garbage", &[0x30, 0x80, 0x00][..]] {
            assert!(matches!(
                parse_signed_data(bytes, &Limits::default()),
                Err(Error::InvalidCms(_))
            ));
        }
    }
}
