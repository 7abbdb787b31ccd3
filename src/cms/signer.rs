//! One SignerInfo (RFC 5652 §5.3): the signed attributes we write
//! (RFC 5652 §11, RFC 8551 §2.5) and signing their DER encoding; a
//! received one is checked in [`check`](super::check).
#![forbid(unsafe_code)]

use std::time::SystemTime;

use cms::cert::IssuerAndSerialNumber;
use cms::signed_data::SignedAttributes;
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{Null, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use openssl::pkey::{PKeyRef, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::time::Time;

use super::asn1::{EncryptionKeyPreference, RsassaPssParams, SmimeCapabilities, SmimeCapability};
use super::{alg, malformed};
use crate::algorithm::KeyAlgorithm;
use crate::algorithm::{ContentEncryption, DigestAlgorithm};
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::oid;

fn attribute(oid: Oid, value: Any) -> Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).map_err(malformed("Attribute"))?,
    })
}

fn any<T: Encode>(value: &T) -> Result<Any> {
    value
        .to_der()
        .and_then(|der| Any::from_der(&der))
        .map_err(malformed("attribute value"))
}

/// contentType, signingTime, messageDigest (RFC 5652 §11), SMIMECapabilities
/// and SMIMEEncryptionKeyPreference (RFC 8551 §2.5.2-2.5.3).
pub(super) fn signed_attributes(
    digest: &[u8],
    identity: &Identity,
    signing_time: SystemTime,
) -> Result<SignedAttributes> {
    let message_digest = OctetString::new(digest).map_err(malformed("messageDigest"))?;
    let mut attrs = vec![
        attribute(oid::CONTENT_TYPE, any(&oid::DATA)?)?,
        attribute(oid::SIGNING_TIME, any(&time(signing_time)?)?)?,
        attribute(oid::MESSAGE_DIGEST, any(&message_digest)?)?,
        attribute(oid::SMIME_CAPABILITIES, any(&smime_capabilities())?)?,
    ];
    let cert = identity.certificate();
    if cert.can_decrypt() {
        attrs.push(attribute(
            oid::ENCRYPTION_KEY_PREFERENCE,
            any(&key_preference(cert))?,
        )?);
    }
    SetOfVec::try_from(attrs).map_err(malformed("SignedAttributes"))
}

/// RFC 5652 §11.3: UTCTime for 1950 through 2049, GeneralizedTime
/// otherwise (x509-cert's own conversion always picks GeneralizedTime).
fn time(time: SystemTime) -> Result<Time> {
    let dt = der::DateTime::from_system_time(time).map_err(malformed("signingTime"))?;
    if (1950..2050).contains(&dt.year()) {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_date_time(dt).map_err(malformed("signingTime"))?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_date_time(dt),
        ))
    }
}

/// What we can decrypt, most preferred first: AES-GCM (RFC 8551 §2.7 MUST)
/// before AES-CBC; no parameters (RFC 8551 §2.7.1 for AES).
fn smime_capabilities() -> SmimeCapabilities {
    ContentEncryption::ANNOUNCED
        .into_iter()
        .map(|c| SmimeCapability {
            capability_id: c.oid(),
            parameters: None,
        })
        .collect()
}

/// Our own certificate by issuer and serial number: encrypt to this one
/// (RFC 8551 §2.5.3).
fn key_preference(cert: &Certificate) -> EncryptionKeyPreference {
    let tbs = &cert.x509().tbs_certificate;
    EncryptionKeyPreference::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: tbs.issuer.clone(),
        serial_number: tbs.serial_number.clone(),
    })
}

/// Signs `data` with the identity's key; returns the signature and its
/// SignerInfo.signatureAlgorithm.
pub(super) fn sign_bytes(
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
            alg(oid::RSASSA_PSS, Some(any(&pss_params(digest)?)?))
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
        other => return Err(Error::UnsupportedKey(other.clone())),
    };
    signer.update(data)?;
    Ok((signer.sign_to_vec()?, algorithm))
}

/// RSASSA-PSS-params (RFC 4055 §3.1) as we write them: the hash, MGF1 with
/// the same hash, salt as long as the hash, trailer at its DEFAULT.
pub(super) fn pss_params(digest: DigestAlgorithm) -> Result<RsassaPssParams> {
    let hash = alg(digest.oid(), Some(Any::from(Null)));
    let mgf = alg(oid::MGF1, Some(any(&hash)?));
    Ok(RsassaPssParams {
        hash_algorithm: Some(hash),
        mask_gen_algorithm: Some(mgf),
        salt_length: Some(digest.output_len()),
        trailer_field: None,
    })
}

/// The two unsigned sets of a SignedData (RFC 5652 §5.1, §10.2.1-10.2.2),
///
/// ```text
/// certificates [0] IMPLICIT CertificateSet OPTIONAL,
/// crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
/// CertificateSet ::= SET OF CertificateChoices
/// RevocationInfoChoices ::= SET OF RevocationInfoChoice
/// RevocationInfoChoice ::= CHOICE {
///   crl CertificateList,
///   other [1] IMPLICIT OtherRevocationInfoFormat }
/// ```
///
/// taken out of a DER `ContentInfo`, each choice as encoded. They are not
/// signed, and decoding them with the rest would cost most of the time of
/// verifying a small message (a certificate a verifier has seen before is
/// not decoded again); the `cms` crate cannot decode an `other`
/// revocation choice (RFC 5940 OCSP responses), nor should one
/// unreadable CRL make the whole message unreadable: each is read on its
/// own by verification.
pub(crate) struct UnsignedSets {
    /// The `ContentInfo` re-encoded without them.
    pub(crate) rest: Vec<u8>,
    /// `certificates`: each `CertificateChoices` as encoded.
    pub(crate) certificates: Vec<Any>,
    /// `crls`: each `RevocationInfoChoice` as encoded.
    pub(crate) revocation_info: Vec<Vec<u8>>,
    /// How many elements `digestAlgorithms` and `signerInfos` hold,
    /// counted before they are decoded: the `der` crate sorts a SET OF it
    /// decodes by insertion, in time quadratic in its length.
    pub(crate) digest_algorithms: usize,
    /// See `digest_algorithms`.
    pub(crate) signer_infos: usize,
}

/// Splits [`UnsignedSets`] off a DER `ContentInfo` holding a SignedData;
/// anything else is returned as it is, for the typed decoding to name.
/// The sets must stand where RFC 5652 puts them, each at most once, right
/// after `encapContentInfo` and before `signerInfos`: a set elsewhere is
/// malformed (the typed decoding of the rest would take a second one for
/// the first and sort it before any limit applies).
pub(crate) fn take_unsigned_sets(content_info: &[u8]) -> Result<UnsignedSets> {
    use der::{Tag, TagNumber, Tagged};
    let bad = malformed("SignedData");
    let ci = cms::content_info::ContentInfo::from_der(content_info).map_err(&bad)?;
    let mut sets = UnsignedSets {
        rest: content_info.to_vec(),
        certificates: Vec::new(),
        revocation_info: Vec::new(),
        digest_algorithms: 0,
        signer_infos: 0,
    };
    if ci.content_type != crate::oid::SIGNED_DATA || ci.content.tag() != Tag::Sequence {
        return Ok(sets);
    }
    let set = |number| Tag::ContextSpecific {
        constructed: true,
        number,
    };
    let is_unsigned_set =
        |field: &Any| [set(TagNumber::N0), set(TagNumber::N1)].contains(&field.tag());
    let fields = elements(ci.content.value()).map_err(&bad)?;
    // version, digestAlgorithms, encapContentInfo, then the sets.
    let (head, mut tail) = fields.split_at(fields.len().min(3));
    let certificates = take_field(&mut tail, set(TagNumber::N0));
    let crls = take_field(&mut tail, set(TagNumber::N1));
    if head.iter().chain(tail).any(is_unsigned_set) {
        return Err(bad(Tag::Set.value_error()));
    }
    if let Some(algorithms) = head.get(1).filter(|f| f.tag() == Tag::Set) {
        sets.digest_algorithms = count(algorithms.value()).map_err(&bad)?;
    }
    if let Some(signers) = tail.first().filter(|f| f.tag() == Tag::Set) {
        sets.signer_infos = count(signers.value()).map_err(&bad)?;
    }
    if certificates.is_none() && crls.is_none() {
        return Ok(sets);
    }
    if let Some(certificates) = certificates {
        sets.certificates = elements(certificates.value()).map_err(&bad)?;
    }
    if let Some(crls) = crls {
        sets.revocation_info = elements(crls.value())
            .map_err(&bad)?
            .iter()
            .map(|choice| choice.to_der().map_err(&bad))
            .collect::<Result<_>>()?;
    }
    let mut kept = Vec::new();
    for field in head.iter().chain(tail) {
        kept.extend(field.to_der().map_err(&bad)?);
    }
    let content = Any::new(Tag::Sequence, kept).map_err(&bad)?;
    sets.rest = cms::content_info::ContentInfo {
        content_type: ci.content_type,
        content,
    }
    .to_der()
    .map_err(&bad)?;
    Ok(sets)
}

/// The first of `fields` when it has `tag`, taken off them.
fn take_field<'a>(fields: &mut &'a [Any], tag: der::Tag) -> Option<&'a Any> {
    use der::Tagged;
    let (first, rest) = fields.split_first()?;
    if first.tag() != tag {
        return None;
    }
    *fields = rest;
    Some(first)
}

/// The TLVs a constructed value holds, each as encoded.
fn elements(value: &[u8]) -> der::Result<Vec<Any>> {
    use der::{Reader, SliceReader};
    let mut reader = SliceReader::new(value)?;
    let mut found = Vec::new();
    while !reader.is_finished() {
        found.push(Any::decode(&mut reader)?);
    }
    Ok(found)
}

/// How many TLVs a constructed value holds, none of them copied.
fn count(value: &[u8]) -> der::Result<usize> {
    use der::{Reader, SliceReader, asn1::AnyRef};
    let mut reader = SliceReader::new(value)?;
    let mut found = 0usize;
    while !reader.is_finished() {
        AnyRef::decode(&mut reader)?;
        found += 1;
    }
    Ok(found)
}
