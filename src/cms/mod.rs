//! CMS (RFC 5652) in and out: `SignedData` ([`signed`]), one `SignerInfo`
//! ([`signer`] writes one, [`check`] checks a received one), `EnvelopedData` / `AuthEnvelopedData` ([`enveloped`]),
//! the ASN.1 types S/MIME adds ([`asn1`]), and a pull reader for BER from
//! a stream ([`ber`]).
//!
//! The structures are RustCrypto `cms` / `x509-cert` types and our own
//! typed `der` structures; every primitive (digest, RSA PKCS#1 v1.5 / PSS,
//! ECDSA) is OpenSSL's. BER input held in memory — indefinite lengths,
//! chunked OCTET STRINGs, as `openssl cms -stream`, Outlook and NSS write
//! it — is normalised to DER by OpenSSL's own CMS decoder before the
//! strict `der` decoder sees it ([`normalize`]). A structure too large to
//! hold is walked from the stream instead: one walker per structure, both
//! starting with [`read_content_type`]. The signature over signed
//! attributes is always checked against their DER encoding, as RFC 5652
//! §5.4 defines it.
#![forbid(unsafe_code)]

mod asn1;
pub(crate) mod ber;
mod check;
mod compressed;
mod enveloped;
mod signed;
mod signer;
mod width;

use std::io::Read;

use const_oid::ObjectIdentifier as Oid;
use der::{Any, Decode, Encode, Length, Tag};
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::error::{CmsError, Error, Result};
use ber::{BerReader, tag};

pub use check::SignatureFailure;
pub(crate) use check::{
    Budget, ContentDigests, MAX_RSA_BITS, SignerCheck, cheap_public_key, check_signer, pss_hash,
};
#[cfg(feature = "fuzzing")]
pub(crate) use check::{find_signer_certificates, signer_digests};
pub(crate) use compressed::{build_compressed_data, decompress, decompress_into, is_compressed};
pub(crate) use enveloped::{
    AeadParams, EnvelopeHead, definite_envelope, definite_mac, kek_wrapped_key, parse_envelope,
    read_envelope_head, read_mac,
};
pub(crate) use signed::{
    CertificateParser, OpaqueSignedData, Parsed, SignParams, build_detached_signed_data,
    build_signed_data, opaque_prefix, parse_signed_data, parse_signed_data_with, signer_fields,
};
pub(crate) use signer::{UnsignedSets, take_unsigned_sets};
pub(crate) use width::{Implicit, check_set_widths};

/// An [`Error::InvalidCms`] for `reason`.
pub(crate) fn invalid(reason: CmsError) -> Error {
    Error::InvalidCms(reason)
}

/// Maps a `der` decoding failure of the structure `what` to
/// [`CmsError::Malformed`]; the position within it is not actionable.
pub(crate) fn malformed(what: &'static str) -> impl Fn(der::Error) -> Error {
    move |_| invalid(CmsError::Malformed(what))
}

pub(crate) fn alg(oid: Oid, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters }
}

/// A DER TLV: typed identifier and definite length octets (X.690
/// §8.1.2-8.1.3), then `content`, which is already an encoding.
pub(crate) fn wrap(tag: Tag, content: &[u8]) -> Result<Vec<u8>> {
    let length = Length::try_from(content.len()).map_err(malformed("length"))?;
    let mut out = der::Header::new(tag, length)
        .and_then(|h| h.to_der())
        .map_err(malformed("length"))?;
    out.extend_from_slice(content);
    Ok(out)
}

/// The identifier and definite length octets (X.690 §8.1.2, §8.1.3.3-5,
/// shortest form as DER requires) of an element of `len` content octets
/// whose identifier octet is `identifier` (one of [`tag`]): what a
/// streaming writer puts before content it has not produced yet. Unlike
/// `der::Length` (at most 256 MiB) it takes any `u64`.
pub(crate) fn definite_header(identifier: u8, len: u64) -> Vec<u8> {
    let mut out = vec![identifier];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out
}

/// The length of [`definite_header`]`(_, len)` plus `len`: an element's
/// whole encoding.
pub(crate) fn definite_len(len: u64) -> u64 {
    definite_header(0, len).len() as u64 + len
}

/// The content type of a CMS `ContentInfo` in BER or DER.
pub(crate) fn content_type(ber: &[u8]) -> Result<Oid> {
    Ok(cms::content_info::ContentInfo::from_der(&normalize(ber)?)
        .map_err(malformed("ContentInfo"))?
        .content_type)
}

/// BER → DER through OpenSSL's CMS decoder and encoder.
pub(crate) fn normalize(ber: &[u8]) -> Result<Vec<u8>> {
    let cms = openssl::cms::CmsContentInfo::from_der(ber)
        .map_err(|_| invalid(CmsError::NotContentInfo))?;
    cms.to_der().map_err(|_| invalid(CmsError::ReEncoding))
}

/// The first reads of every streaming walker (RFC 5652 §3):
///
/// ```text
/// ContentInfo ::= SEQUENCE {
///   contentType ContentType,
///   content [0] EXPLICIT ANY DEFINED BY contentType }
/// ```
///
/// Reads the SEQUENCE header and `contentType`; returns the OID and its
/// encoding (for re-encoding the structure), leaving the reader at
/// `content`, whose `[0]` and inner SEQUENCE headers
/// [`read_content_start`] reads once the caller accepted the type.
pub(crate) fn read_content_type<R: Read>(r: &mut BerReader<R>) -> Result<(Oid, Vec<u8>)> {
    let _content_info = r.expect(tag::SEQUENCE, "ContentInfo")?;
    let h = r.expect(tag::OID, "contentType")?;
    let encoded = r.element(h, 64)?;
    let oid = Oid::from_der(&encoded).map_err(malformed("contentType"))?;
    Ok((oid, encoded))
}

/// `[0] EXPLICIT` and the structure's SEQUENCE, then its `version`
/// (returned as encoded): the common start of SignedData, EnvelopedData
/// and AuthEnvelopedData.
pub(crate) fn read_content_start<R: Read>(
    r: &mut BerReader<R>,
    structure: &'static str,
) -> Result<Vec<u8>> {
    let _explicit = r.expect(tag::CONTEXT_0, "[0] content")?;
    let _structure = r.expect(tag::SEQUENCE, structure)?;
    let h = r.expect(tag::INTEGER, "version")?;
    r.element(h, 16)
}

/// Re-encodes what a walker read around a content it did not keep: the
/// `ContentInfo` of `content_type` (encoded OID) holding the SEQUENCE of
/// the already encoded fields `body`.
pub(crate) fn content_info(content_type: &[u8], body: &[u8]) -> Result<Vec<u8>> {
    let explicit = Tag::ContextSpecific {
        constructed: true,
        number: der::TagNumber::N0,
    };
    let mut inner = content_type.to_vec();
    inner.extend(wrap(explicit, &wrap(Tag::Sequence, body)?)?);
    wrap(Tag::Sequence, &inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use cms::content_info::ContentInfo;
    use der::Tagged;

    #[test]
    fn wrap_writes_definite_lengths() {
        assert_eq!(wrap(Tag::OctetString, &[1, 2]).unwrap(), [0x04, 2, 1, 2]);
        let long = vec![0u8; 200];
        assert_eq!(
            &wrap(Tag::OctetString, &long).unwrap()[..3],
            &[0x04, 0x81, 200]
        );
        let longer = vec![0u8; 300];
        assert_eq!(
            &wrap(Tag::OctetString, &longer).unwrap()[..4],
            &[0x04, 0x82, 0x01, 0x2c]
        );
    }

    #[test]
    fn definite_headers_match_der() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536, 1 << 24] {
            let content = vec![0u8; len];
            let whole = wrap(Tag::OctetString, &content).unwrap();
            let header = definite_header(ber::tag::OCTET_STRING, len as u64);
            assert_eq!(&whole[..header.len()], &header[..], "{len}");
            assert_eq!(definite_len(len as u64), whole.len() as u64, "{len}");
        }
        assert_eq!(
            definite_header(0x04, 1 << 32),
            [0x04, 0x85, 0x01, 0, 0, 0, 0]
        );
    }

    #[test]
    fn content_info_round_trips_through_der() {
        let oid = crate::oid::DATA.to_der().unwrap();
        let body = 1u8.to_der().unwrap();
        let der = content_info(&oid, &body).unwrap();
        let ci = ContentInfo::from_der(&der).unwrap();
        assert_eq!(ci.content_type, crate::oid::DATA);
        assert_eq!(ci.content.tag(), Tag::Sequence);
        assert_eq!(ci.content.value(), body);
    }
}
