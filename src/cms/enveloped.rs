//! `EnvelopedData` (RFC 5652 §6.1) and `AuthEnvelopedData` (RFC 5083
//! §2.1): what decryption must know before any key is used, and the one
//! streaming walker that takes an envelope apart around its content.
#![forbid(unsafe_code)]

use std::io::Read;

use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{EncryptedContentInfo, OriginatorInfo};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{ContextSpecific, OctetString, SetOfVec};
use der::{Any, Decode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::asn1::GcmParameters;
use super::ber::{self, BerReader, tag};
use super::{invalid, malformed, normalize, read_content_type, wrap};
use crate::error::{CmsError, Error, Result, Unsupported};
use crate::limits::Limits;
use crate::oid;

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
    let der = normalize(ber)?;
    let ci = ContentInfo::from_der(&der).map_err(malformed("ContentInfo"))?;
    let authenticated = match ci.content_type {
        oid::ENVELOPED_DATA => false,
        oid::AUTH_ENVELOPED_DATA => true,
        _ => return Err(Error::NotEncrypted),
    };
    let bad = malformed("EnvelopedData");
    let mut reader = SliceReader::new(ci.content.value()).map_err(&bad)?;
    let _version = CmsVersion::decode(&mut reader).map_err(&bad)?;
    let _originator =
        ContextSpecific::<OriginatorInfo>::decode_implicit(&mut reader, TagNumber::N0)
            .map_err(malformed("OriginatorInfo"))?;
    let recipient_infos = Any::decode(&mut reader).map_err(malformed("RecipientInfos"))?;
    let mut inner = SliceReader::new(recipient_infos.value()).map_err(&bad)?;
    let (mut count, mut key_transport) = (0usize, 0usize);
    while !inner.is_finished() {
        let ri = Any::decode(&mut inner).map_err(malformed("RecipientInfo"))?;
        // KeyTransRecipientInfo is the untagged SEQUENCE alternative.
        key_transport += usize::from(ri.tag() == der::Tag::Sequence);
        count += 1;
        // Decryption work must stay bounded: thousands of RecipientInfos
        // are an attack, not mail.
        crate::limits::check("max_recipients", count as u64, limits.max_recipients as u64)?;
    }
    if count == 0 {
        return Err(invalid(CmsError::NoRecipientInfo));
    }
    let eci =
        EncryptedContentInfo::decode(&mut reader).map_err(malformed("EncryptedContentInfo"))?;
    let aead =
        [oid::AES128_GCM, oid::AES192_GCM, oid::AES256_GCM].contains(&eci.content_enc_alg.oid);
    if authenticated != aead {
        // OpenSSL 3.0 decrypts CBC inside AuthEnvelopedData without any
        // check: the "authenticated" flag must never be this easy to forge.
        return Err(invalid(if authenticated {
            CmsError::UnauthenticatedCipher
        } else {
            CmsError::AeadInEnvelopedData
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
fn check_gcm_tag(eci: &EncryptedContentInfo, reader: &mut SliceReader<'_>) -> Result<()> {
    let icv_len = gcm_icv_len(&eci.content_enc_alg)?;
    // authAttrs [1] IMPLICIT OPTIONAL, then mac OCTET STRING.
    let _auth_attrs =
        ContextSpecific::<SetOfVec<Attribute>>::decode_implicit(reader, TagNumber::N1)
            .map_err(malformed("authAttrs"))?;
    let mac = OctetString::decode(reader).map_err(malformed("mac"))?;
    if mac.as_bytes().len() != usize::from(icv_len) {
        return Err(invalid(CmsError::GcmTagMismatch {
            found: mac.as_bytes().len(),
            announced: icv_len,
        }));
    }
    Ok(())
}

/// RFC 5084 §3.2: GCMParameters' `aes-ICVlen` (default 12), refused
/// outside 12 to 16.
pub(crate) fn gcm_icv_len(alg: &AlgorithmIdentifierOwned) -> Result<u8> {
    let params: GcmParameters = alg
        .parameters
        .as_ref()
        .ok_or(invalid(CmsError::MissingGcmParameters))?
        .decode_as()
        .map_err(malformed("GCMParameters"))?;
    let icv_len = params.icv_len.unwrap_or(12);
    if !(12..=16).contains(&icv_len) {
        return Err(invalid(CmsError::GcmTagLength(icv_len)));
    }
    Ok(icv_len)
}

/// An originatorInfo larger than this is refused.
const MAX_ENVELOPE_FIELD: usize = 1 << 20;

/// Room per allowed recipient when reading the RecipientInfos (an RSA-4096
/// KeyTransRecipientInfo takes about 600 bytes, a KeyAgreeRecipientInfo
/// with its originator key less).
const RECIPIENT_INFO_SIZE: usize = 16 * 1024;

/// The part of an `EnvelopedData` (RFC 5652 §6.1) or `AuthEnvelopedData`
/// (RFC 5083 §2.1) before the encrypted content, re-encoded as a whole
/// structure with an empty `encryptedContent` (and, for AES-GCM, a
/// placeholder `mac` of the announced length): what OpenSSL needs to open
/// the RecipientInfos.
pub(crate) struct EnvelopeHead {
    pub(crate) der: Vec<u8>,
    /// The `encryptedContent [0]` header; its octets follow in the reader.
    pub(crate) content: ber::Header,
    /// The EncryptedContentInfo header, closed after the content.
    pub(crate) encrypted_content_info: ber::Header,
    /// AES-GCM: the tag length GCMParameters announce.
    pub(crate) icv_len: Option<u8>,
}

/// The one streaming walker for envelopes: reads an `EnvelopedData` or
/// `AuthEnvelopedData` up to the octets of its `encryptedContent`,
///
/// ```text
/// EnvelopedData ::= SEQUENCE {
///   version CMSVersion,
///   originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
///   recipientInfos RecipientInfos,
///   encryptedContentInfo EncryptedContentInfo ::= SEQUENCE {
///     contentType ContentType,
///     contentEncryptionAlgorithm ContentEncryptionAlgorithmIdentifier,
///     encryptedContent [0] IMPLICIT EncryptedContent OPTIONAL },
///   ... }
/// ```
///
/// (AuthEnvelopedData, RFC 5083 §2.1, has the same fields up to there.)
pub(crate) fn read_envelope_head<R: Read>(
    r: &mut BerReader<R>,
    limits: &Limits,
) -> Result<EnvelopeHead> {
    let (content_type, encoded_type) = read_content_type(r)?;
    let authenticated = match content_type {
        oid::ENVELOPED_DATA => false,
        oid::AUTH_ENVELOPED_DATA => true,
        _ => return Err(Error::NotEncrypted),
    };
    let mut body = super::read_content_start(r, "EnvelopedData")?;
    let mut h = r.header()?;
    if h.tag == tag::CONTEXT_0 {
        body.extend(r.element(h, MAX_ENVELOPE_FIELD)?);
        h = r.header()?;
    }
    if h.tag != tag::SET {
        return Err(invalid(CmsError::UnexpectedTag {
            expected: "RecipientInfos",
            found: h.tag,
        }));
    }
    // Counted by parse_envelope; a set far larger than the allowed number
    // of recipients could fill is refused while it is read.
    let max_recipients = limits.max_recipients;
    let too_many = || Error::LimitExceeded {
        limit: "max_recipients",
        max: max_recipients as u64,
    };
    let cap = max_recipients.saturating_mul(RECIPIENT_INFO_SIZE);
    body.extend(r.element_or(h, cap, &too_many)?);
    let encrypted_content_info = r.expect(tag::SEQUENCE, "EncryptedContentInfo")?;
    let h = r.expect(tag::OID, "contentType")?;
    let mut eci = r.element(h, 64)?;
    let h = r.expect(tag::SEQUENCE, "contentEncryptionAlgorithm")?;
    let algorithm = r.element(h, 4096)?;
    let icv_len = if authenticated {
        let alg = AlgorithmIdentifierOwned::from_der(&algorithm)
            .map_err(malformed("contentEncryptionAlgorithm"))?;
        Some(gcm_icv_len(&alg)?)
    } else {
        None
    };
    eci.extend(algorithm);
    // encryptedContent [0] IMPLICIT, empty: OpenSSL gets the content later.
    eci.extend(wrap(implicit_0(false), &[])?);
    body.extend(wrap(Tag::Sequence, &eci)?);
    if let Some(len) = icv_len {
        body.extend(wrap(Tag::OctetString, &vec![0; usize::from(len)])?);
    }
    let content = r.header()?;
    if content.tag & !tag::CONSTRUCTED != tag::CONTEXT_0_PRIMITIVE {
        return Err(invalid(CmsError::MissingEncryptedContent));
    }
    Ok(EnvelopeHead {
        der: super::content_info(&encoded_type, &body)?,
        content,
        encrypted_content_info,
        icv_len,
    })
}

/// `[0] IMPLICIT`, primitive or constructed.
fn implicit_0(constructed: bool) -> Tag {
    Tag::ContextSpecific {
        constructed,
        number: TagNumber::N0,
    }
}

/// RFC 5083 §2.1: `authAttrs [1]` (refused: they would have to be
/// authenticated before the content they follow) then `mac`, which must be
/// as long as GCMParameters announce (see [`gcm_icv_len`]).
pub(crate) fn read_mac<R: Read>(r: &mut BerReader<R>, icv_len: u8) -> Result<Vec<u8>> {
    let h = r.header()?;
    if h.tag == tag::CONTEXT_1 {
        return Err(Error::UnsupportedAlgorithm(
            Unsupported::AuthenticatedAttributes,
        ));
    }
    if h.tag != tag::OCTET_STRING {
        return Err(invalid(CmsError::MissingMac));
    }
    let header_len = h.raw.len();
    let mac = r.element(h, 64)?.split_off(header_len);
    if mac.len() != usize::from(icv_len) {
        return Err(invalid(CmsError::GcmTagMismatch {
            found: mac.len(),
            announced: icv_len,
        }));
    }
    Ok(mac)
}
