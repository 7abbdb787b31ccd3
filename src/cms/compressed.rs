//! `CompressedData` (RFC 3274): zlib-compressed content, as MimeKit and
//! Bouncy Castle write it (`smime-type=compressed-data`), alone or inside
//! signed or enveloped layers.
//!
//! ```text
//! CompressedData ::= SEQUENCE {
//!   version CMSVersion,       -- Always set to 0
//!   compressionAlgorithm CompressionAlgorithmIdentifier,
//!   encapContentInfo EncapsulatedContentInfo }
//!
//! id-alg-zlibCompress OBJECT IDENTIFIER ::= { ... smime(16) alg(3) 8 }
//! ```
//!
//! Inflating is bounded by [`Limits::max_decompressed`] while it runs, so
//! a bomb (1 KiB of zlib that inflates to 4 GiB) is
//! [`Error::LimitExceeded`] after at most that many bytes of output, never
//! memory exhaustion.
#![forbid(unsafe_code)]

use std::io::{Read, Write};

use cms::compressed_data::CompressedData;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::EncapsulatedContentInfo;
use der::asn1::OctetString;
use der::{Any, Decode, Encode};

use super::asn1::CompressionAlgorithmIdentifier;
use super::{alg, invalid, malformed, normalize};
use crate::error::{CmsError, Error, Result, Unsupported};
use crate::io::CHUNK;
use crate::limits::Limits;
use crate::oid::{self, ObjectId};

/// True when `ber` is a `ContentInfo` of type id-ct-compressedData.
pub(crate) fn is_compressed(ber: &[u8]) -> bool {
    super::content_type(ber).is_ok_and(|t| t == oid::COMPRESSED_DATA)
}

/// Inflates the `ContentInfo` (BER or DER) holding a `CompressedData`
/// into `out`, at most `limits.max_decompressed` bytes. Returns the
/// content type inside (`id-data` for a MIME entity).
pub(crate) fn decompress_into<W: Write>(
    ber: &[u8],
    out: &mut W,
    limits: &Limits,
) -> Result<const_oid::ObjectIdentifier> {
    let der = normalize(ber)?;
    let ci = ContentInfo::from_der(&der).map_err(malformed("ContentInfo"))?;
    if ci.content_type != oid::COMPRESSED_DATA {
        return Err(invalid(CmsError::UnexpectedContentType {
            expected: "CompressedData",
            found: ObjectId(ci.content_type),
        }));
    }
    let compressed: CompressedData = ci
        .content
        .decode_as()
        .map_err(malformed("CompressedData"))?;
    if compressed.compression_alg.oid != oid::ZLIB_COMPRESS {
        return Err(Error::UnsupportedAlgorithm(Unsupported::Compression(
            ObjectId(compressed.compression_alg.oid),
        )));
    }
    let encap = compressed.encap_content_info;
    let zlib = match encap.econtent {
        Some(any) => any
            .decode_as::<OctetString>()
            .map_err(malformed("eContent"))?
            .into_bytes(),
        None => return Err(invalid(CmsError::MissingContent)),
    };
    inflate(&zlib[..], out, limits.max_decompressed)?;
    Ok(encap.econtent_type)
}

/// [`decompress_into`] a buffer.
pub(crate) fn decompress(ber: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(ber, &mut out, limits)?;
    Ok(out)
}

/// zlib (RFC 1950) from `zlib` to `out`, refusing more than `max` bytes
/// of output as soon as it is produced.
fn inflate<R: Read, W: Write>(zlib: R, out: &mut W, max: u64) -> Result<()> {
    let mut decoder = flate2::read::ZlibDecoder::new(zlib);
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(invalid(CmsError::BadCompression)),
        };
        total += n as u64;
        crate::limits::check("max_decompressed", total, max)?;
        out.write_all(buf.get(..n).unwrap_or_default())?;
    }
}

/// A DER `ContentInfo` holding a `CompressedData` of `content` (a MIME
/// entity, `id-data`) compressed with zlib (RFC 3274 §1.1: version 0,
/// id-alg-zlibCompress with absent parameters).
pub(crate) fn build_compressed_data(content: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(content)?;
    let zlib = encoder.finish()?;
    let compression_alg: CompressionAlgorithmIdentifier = alg(oid::ZLIB_COMPRESS, None);
    let econtent = OctetString::new(zlib)
        .and_then(|o| Any::encode_from(&o))
        .map_err(malformed("eContent"))?;
    let compressed = CompressedData {
        version: CmsVersion::V0,
        compression_alg,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent: Some(econtent),
        },
    };
    Any::encode_from(&compressed)
        .and_then(|content| {
            ContentInfo {
                content_type: oid::COMPRESSED_DATA,
                content,
            }
            .to_der()
        })
        .map_err(malformed("CompressedData"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_names_its_type() {
        let der = build_compressed_data(b"Content-Type: text/plain\r\n\r\nhi\r\n").unwrap();
        assert!(is_compressed(&der));
        assert_eq!(
            decompress(&der, &Limits::default()).unwrap(),
            b"Content-Type: text/plain\r\n\r\nhi\r\n"
        );
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let der = build_compressed_data(&vec![0u8; 4 << 20]).unwrap();
        assert!(der.len() < 16 << 10, "{}", der.len());
        let limits = Limits {
            max_decompressed: 1 << 20,
            ..Limits::default()
        };
        assert!(matches!(
            decompress(&der, &limits),
            Err(Error::LimitExceeded {
                limit: "max_decompressed",
                ..
            })
        ));
    }

    #[test]
    fn damaged_zlib_is_typed() {
        let mut der = build_compressed_data(&[7u8; 1000]).unwrap();
        let n = der.len();
        der[n - 8] ^= 0xff;
        assert!(matches!(
            decompress(&der, &Limits::default()),
            Err(Error::InvalidCms(CmsError::BadCompression))
        ));
    }
}
