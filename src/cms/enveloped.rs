//! `EnvelopedData` (RFC 5652 §6.1) and `AuthEnvelopedData` (RFC 5083
//! §2.1): what decryption must know before any key is used, and the one
//! streaming walker that takes an envelope apart around its content.
#![forbid(unsafe_code)]

use std::io::Read;

use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{EncryptedContentInfo, KekRecipientInfo, OriginatorInfo};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{ContextSpecific, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::asn1::{CcmParameters, ChaCha20Poly1305Nonce, GcmParameters, Rc2CbcParameter};
use super::ber::{self, BerReader, tag};
use super::{
    definite_header, definite_len, invalid, malformed, normalize, read_content_type, wrap,
};
use crate::algorithm::ContentEncryption;
use crate::error::{CmsError, Error, Result, Unsupported};
use crate::limits::Limits;
use crate::oid;
use crate::oid::ObjectId;

/// What decryption needs to know about an `EnvelopedData` (RFC 5652 §6.1)
/// or `AuthEnvelopedData` (RFC 5083 §2.1) before any key is used.
pub(crate) struct Envelope {
    /// AuthEnvelopedData with an AEAD: the content is authenticated.
    pub(crate) authenticated: bool,
    pub(crate) content_encryption: ContentEncryption,
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
    // originatorInfo [0] IMPLICIT OPTIONAL: decoded once counted (below).
    let originator_tag = der::Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    let originator = match reader.peek_tag() {
        Ok(tag) if tag == originator_tag => Some(Any::decode(&mut reader).map_err(&bad)?),
        _ => None,
    };
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
    // The `der` crate sorts every SET OF it decodes (OriginatorInfo's,
    // authAttrs), in quadratic time: counted first. RecipientInfos, just
    // counted, may hold up to max_recipients.
    super::check_set_widths(
        ci.content.value(),
        limits.max_set_elements.max(limits.max_recipients),
        super::width::Implicit::Sets,
    )?;
    if let Some(originator) = originator {
        let der = originator.to_der().map_err(&bad)?;
        let mut at = SliceReader::new(&der).map_err(&bad)?;
        ContextSpecific::<OriginatorInfo>::decode_implicit(&mut at, TagNumber::N0)
            .map_err(malformed("OriginatorInfo"))?;
    }
    let eci =
        EncryptedContentInfo::decode(&mut reader).map_err(malformed("EncryptedContentInfo"))?;
    let cipher = content_encryption(&eci.content_enc_alg)?;
    if authenticated != cipher.is_authenticated() {
        // OpenSSL 3.0 decrypts CBC inside AuthEnvelopedData without any
        // check: the "authenticated" flag must never be this easy to forge.
        return Err(invalid(if authenticated {
            CmsError::UnauthenticatedCipher
        } else {
            CmsError::AeadInEnvelopedData
        }));
    }
    if authenticated {
        let params = aead_params(&eci.content_enc_alg)?;
        // authAttrs [1] IMPLICIT OPTIONAL, then mac OCTET STRING.
        let _auth_attrs =
            ContextSpecific::<SetOfVec<Attribute>>::decode_implicit(&mut reader, TagNumber::N1)
                .map_err(malformed("authAttrs"))?;
        let mac = OctetString::decode(&mut reader).map_err(malformed("mac"))?;
        params.check_mac(mac.as_bytes().len())?;
    }
    Ok(Envelope {
        authenticated,
        content_encryption: cipher,
        key_transport_recipients: key_transport,
    })
}

/// The content-encryption algorithm, refusing what OpenSSL's default
/// provider cannot decrypt with a typed error that names it (RC2, DES)
/// rather than a decryption failure.
pub(crate) fn content_encryption(alg: &AlgorithmIdentifierOwned) -> Result<ContentEncryption> {
    if let Some(cipher) = ContentEncryption::from_oid(&alg.oid) {
        return Ok(cipher);
    }
    Err(Error::UnsupportedAlgorithm(match alg.oid {
        oid::RC2_CBC => Unsupported::Rc2Cbc {
            key_bits: alg
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<Rc2CbcParameter>().ok())
                .and_then(|p| rc2_key_bits(p.version?)),
        },
        oid::DES_CBC => Unsupported::DesCbc,
        other => Unsupported::ContentEncryption(ObjectId(other)),
    }))
}

/// RFC 2268 §6: the effective key bits an `rc2ParameterVersion` encodes
/// (the three that occur in mail).
fn rc2_key_bits(version: u32) -> Option<u16> {
    match version {
        160 => Some(40),
        120 => Some(64),
        58 => Some(128),
        v if v >= 256 => u16::try_from(v).ok(),
        _ => None,
    }
}

/// What an AEAD's AlgorithmIdentifier parameters say.
#[derive(Clone, Debug)]
pub(crate) struct AeadParams {
    pub(crate) cipher: ContentEncryption,
    pub(crate) nonce: Vec<u8>,
    /// The tag (`mac`) length.
    pub(crate) icv_len: u8,
}

impl AeadParams {
    /// `mac` must be exactly as long as announced. (OpenSSL 3.0 accepts
    /// any GCM tag length down to one byte, which would make a forgery a
    /// matter of 256 tries.)
    pub(crate) fn check_mac(&self, found: usize) -> Result<()> {
        if found == usize::from(self.icv_len) {
            return Ok(());
        }
        Err(invalid(if self.cipher.is_gcm() {
            CmsError::GcmTagMismatch {
                found,
                announced: self.icv_len,
            }
        } else {
            CmsError::AeadTagMismatch {
                cipher: self.cipher,
                found,
                announced: self.icv_len,
            }
        }))
    }

    /// Whether OpenSSL's CMS engine keys this cipher itself: GCM with the
    /// 12-byte nonce it assumes. The others (other GCM nonces, CCM,
    /// ChaCha20-Poly1305) are keyed by us through EVP.
    pub(crate) fn keyed_by_cms_engine(&self) -> bool {
        self.cipher.is_gcm() && self.nonce.len() == 12
    }
}

/// The parameters of an AEAD content-encryption algorithm, checked:
///
/// * AES-GCM, RFC 5084 §3.2, `GCMParameters`: tag 12 to 16 bytes (default
///   12), nonce 12 to 16 bytes (12 recommended, 16 seen in the wild);
/// * AES-CCM, RFC 5084 §3.1, `CCMParameters`: nonce 7 to 13 bytes, tag 12,
///   14 or 16 bytes (the RFC's 4 to 10 are refused: too easy to forge);
/// * ChaCha20-Poly1305, RFC 8103 §4: a 12-byte nonce, a 16-byte tag.
pub(crate) fn aead_params(alg: &AlgorithmIdentifierOwned) -> Result<AeadParams> {
    let cipher = ContentEncryption::from_oid(&alg.oid)
        .filter(|c| c.is_authenticated())
        .ok_or(invalid(CmsError::UnauthenticatedCipher))?;
    let missing = || {
        invalid(if cipher.is_gcm() {
            CmsError::MissingGcmParameters
        } else {
            CmsError::MissingAeadParameters(cipher)
        })
    };
    let params = alg.parameters.as_ref().ok_or_else(missing)?;
    let (nonce, icv_len, nonce_ok) = if cipher.is_gcm() {
        let p: GcmParameters = params.decode_as().map_err(malformed("GCMParameters"))?;
        let icv_len = p.icv_len.unwrap_or(12);
        if !(12..=16).contains(&icv_len) {
            return Err(invalid(CmsError::GcmTagLength(icv_len)));
        }
        (p.nonce.into_bytes(), icv_len, 12..=16)
    } else if cipher.is_ccm() {
        let p: CcmParameters = params.decode_as().map_err(malformed("CCMParameters"))?;
        let icv_len = p.icv_len.unwrap_or(12);
        if !matches!(icv_len, 12 | 14 | 16) {
            return Err(invalid(CmsError::AeadTagLength {
                cipher,
                found: icv_len,
            }));
        }
        (p.nonce.into_bytes(), icv_len, 7..=13)
    } else {
        let nonce: ChaCha20Poly1305Nonce = params
            .decode_as()
            .map_err(malformed("AEADChaCha20Poly1305Nonce"))?;
        (nonce.into_bytes(), 16, 12..=12)
    };
    if !nonce_ok.contains(&nonce.len()) {
        return Err(invalid(CmsError::AeadNonceLength {
            cipher,
            found: nonce.len(),
        }));
    }
    Ok(AeadParams {
        cipher,
        nonce,
        icv_len,
    })
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
    /// The same fields as an `EnvelopedData` (an AuthEnvelopedData's
    /// without its `mac`): what OpenSSL opens the RecipientInfos of when we
    /// key the content cipher ourselves (see
    /// [`AeadParams::keyed_by_cms_engine`]).
    pub(crate) as_enveloped_data: Vec<u8>,
    /// The `encryptedContent [0]` header; its octets follow in the reader.
    pub(crate) content: ber::Header,
    /// The EncryptedContentInfo header, closed after the content.
    pub(crate) encrypted_content_info: ber::Header,
    /// The content type inside (`id-data`, or `id-ct-compressedData`).
    pub(crate) content_type: Oid,
    /// AuthEnvelopedData: what the AEAD's parameters announce.
    pub(crate) aead: Option<AeadParams>,
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
    let content_type = Oid::from_der(&eci).map_err(malformed("contentType"))?;
    let h = r.expect(tag::SEQUENCE, "contentEncryptionAlgorithm")?;
    let algorithm = r.element(h, 4096)?;
    let alg = AlgorithmIdentifierOwned::from_der(&algorithm)
        .map_err(malformed("contentEncryptionAlgorithm"))?;
    let aead = if authenticated {
        Some(aead_params(&alg)?)
    } else {
        None
    };
    eci.extend(algorithm);
    // encryptedContent [0] IMPLICIT, empty: OpenSSL gets the content later.
    eci.extend(wrap(implicit_0(false), &[])?);
    body.extend(wrap(Tag::Sequence, &eci)?);
    let enveloped_type = oid::ENVELOPED_DATA
        .to_der()
        .map_err(malformed("contentType"))?;
    let as_enveloped_data = super::content_info(&enveloped_type, &body)?;
    if let Some(params) = &aead {
        body.extend(wrap(
            Tag::OctetString,
            &vec![0; usize::from(params.icv_len)],
        )?);
    }
    let content = r.header()?;
    if content.tag & !tag::CONSTRUCTED != tag::CONTEXT_0_PRIMITIVE {
        return Err(invalid(CmsError::MissingEncryptedContent));
    }
    Ok(EnvelopeHead {
        der: super::content_info(&encoded_type, &body)?,
        as_enveloped_data,
        content,
        encrypted_content_info,
        content_type,
        aead,
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
/// as long as the AEAD's parameters announce (see [`aead_params`]).
pub(crate) fn read_mac<R: Read>(r: &mut BerReader<R>, params: &AeadParams) -> Result<Vec<u8>> {
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
    params.check_mac(mac.len())?;
    Ok(mac)
}

/// An envelope written with definite lengths (DER, X.690 §10): the
/// encoding before the ciphertext, and for AuthEnvelopedData the tag
/// length the `mac` must have.
pub(crate) struct DefiniteEnvelope {
    pub(crate) prefix: Vec<u8>,
    pub(crate) icv_len: Option<u8>,
}

/// Lays out an envelope whose RecipientInfos and content-encryption
/// algorithm OpenSSL has set (`structure`: OpenSSL's DER of it before any
/// content) around `ciphertext_len` octets of content, every length
/// computed before the first byte is written:
///
/// ```text
/// ContentInfo ::= SEQUENCE {
///   contentType id-envelopedData | id-ct-authEnvelopedData,
///   content [0] EXPLICIT SEQUENCE {
///     version CMSVersion,
///     originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
///     recipientInfos RecipientInfos,
///     encryptedContentInfo EncryptedContentInfo ::= SEQUENCE {
///       contentType ContentType,
///       contentEncryptionAlgorithm ContentEncryptionAlgorithmIdentifier,
///       encryptedContent [0] IMPLICIT OCTET STRING }, -- primitive
///     -- AuthEnvelopedData (RFC 5083 §2.1) only:
///     mac MessageAuthenticationCode } }              -- OCTET STRING
/// ```
///
/// The ciphertext follows [`DefiniteEnvelope::prefix`]; for
/// AuthEnvelopedData [`definite_mac`] closes it.
pub(crate) fn definite_envelope(structure: &[u8], ciphertext_len: u64) -> Result<DefiniteEnvelope> {
    let bad = malformed("EnvelopedData");
    let ci = ContentInfo::from_der(structure).map_err(malformed("ContentInfo"))?;
    let authenticated = match ci.content_type {
        oid::ENVELOPED_DATA => false,
        oid::AUTH_ENVELOPED_DATA => true,
        _ => return Err(Error::NotEncrypted),
    };
    let mut reader = SliceReader::new(ci.content.value()).map_err(&bad)?;
    // version, [originatorInfo], recipientInfos as OpenSSL encoded them.
    let mut fields = Any::decode(&mut reader)
        .and_then(|v| v.to_der())
        .map_err(&bad)?;
    let mut next = Any::decode(&mut reader).map_err(&bad)?;
    if next.tag() == implicit_0(true) {
        fields.extend(next.to_der().map_err(&bad)?);
        next = Any::decode(&mut reader).map_err(&bad)?;
    }
    if next.tag() != Tag::Set {
        return Err(invalid(CmsError::Malformed("RecipientInfos")));
    }
    fields.extend(next.to_der().map_err(&bad)?);
    let eci = Any::decode(&mut reader).map_err(malformed("EncryptedContentInfo"))?;
    let mut eci_reader = SliceReader::new(eci.value()).map_err(&bad)?;
    let content_type = Oid::decode(&mut eci_reader).map_err(&bad)?;
    let alg = AlgorithmIdentifierOwned::decode(&mut eci_reader).map_err(&bad)?;
    let icv_len = if authenticated {
        Some(aead_params(&alg)?.icv_len)
    } else {
        None
    };
    let mut eci_fields = content_type.to_der().map_err(&bad)?;
    eci_fields.extend(alg.to_der().map_err(&bad)?);
    let eci_len = eci_fields.len() as u64 + definite_len(ciphertext_len);
    let mac_len = icv_len.map_or(0, |n| definite_len(u64::from(n)));
    let body_len = fields.len() as u64 + definite_len(eci_len) + mac_len;
    let explicit_len = definite_len(body_len);
    let outer_type = ci.content_type.to_der().map_err(&bad)?;
    let info_len = outer_type.len() as u64 + definite_len(explicit_len);

    let mut prefix = definite_header(tag::SEQUENCE, info_len);
    prefix.extend(outer_type);
    prefix.extend(definite_header(tag::CONTEXT_0, explicit_len));
    prefix.extend(definite_header(tag::SEQUENCE, body_len));
    prefix.extend(fields);
    prefix.extend(definite_header(tag::SEQUENCE, eci_len));
    prefix.extend(eci_fields);
    prefix.extend(definite_header(tag::CONTEXT_0_PRIMITIVE, ciphertext_len));
    Ok(DefiniteEnvelope { prefix, icv_len })
}

/// The `mac` that closes an AuthEnvelopedData from [`definite_envelope`].
pub(crate) fn definite_mac(tag_value: &[u8]) -> Result<Vec<u8>> {
    wrap(Tag::OctetString, tag_value)
}

/// The `encryptedKey` of the KEKRecipientInfo (RFC 5652 §6.2.3) whose
/// `kekid.keyIdentifier` is `kek_id`, in the DER `EnvelopedData` `der`
/// (see `ffi::cms_rewrap_content_key`); `None` when there is none.
///
/// ```text
/// RecipientInfo ::= CHOICE { ..., kekri [2] KEKRecipientInfo, ... }
/// KEKRecipientInfo ::= SEQUENCE {
///   version CMSVersion,  -- always set to 4
///   kekid KEKIdentifier ::= SEQUENCE { keyIdentifier OCTET STRING, ... },
///   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
///   encryptedKey EncryptedKey }
/// ```
pub(crate) fn kek_wrapped_key(der: &[u8], kek_id: &[u8]) -> Result<Option<Vec<u8>>> {
    let bad = malformed("EnvelopedData");
    let ci = ContentInfo::from_der(der).map_err(&bad)?;
    let mut reader = SliceReader::new(ci.content.value()).map_err(&bad)?;
    let _version = Any::decode(&mut reader).map_err(&bad)?;
    let mut infos = Any::decode(&mut reader).map_err(&bad)?;
    if infos.tag() == implicit_0(true) {
        infos = Any::decode(&mut reader).map_err(&bad)?;
    }
    let mut inner = SliceReader::new(infos.value()).map_err(&bad)?;
    let kekri = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N2,
    };
    while !inner.is_finished() {
        let ri = Any::decode(&mut inner).map_err(&bad)?;
        if ri.tag() != kekri {
            continue;
        }
        let Ok(info) = KekRecipientInfo::from_der(&wrap(Tag::Sequence, ri.value())?) else {
            continue;
        };
        if info.kek_id.kek_identifier.as_bytes() == kek_id {
            return Ok(Some(info.encrypted_key.into_bytes()));
        }
    }
    Ok(None)
}
