//! `compressed-data` messages (RFC 8551 §3.6, RFC 3274): a MIME entity
//! zlib-compressed inside a CMS `CompressedData`, carried as
//! `application/pkcs7-mime; smime-type=compressed-data`. MimeKit and
//! Bouncy Castle write them, alone or as a layer inside signed or
//! enveloped content; [`crate::SignOptions::compress`] writes one inside
//! a signature.
//!
//! Decompression is bounded by [`Limits::max_decompressed`] while it runs:
//! a zip bomb is [`Error::LimitExceeded`], never memory exhaustion.
#![forbid(unsafe_code)]

use crate::cms;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::mime::{self, Entity};

/// The MIME header of a compressed-data entity (RFC 8551 §3.6).
const COMPRESSED_HEAD: &[u8] = b"MIME-Version: 1.0\r\n\
      Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"\r\n\
      Content-Transfer-Encoding: base64\r\n\
      Content-Disposition: attachment; filename=\"smime.p7z\"\r\n\r\n";

/// Compresses `message` (a whole RFC 5322 message, whose outer header
/// fields stay outside, or a bare MIME entity) into a compressed-data
/// message.
///
/// ```
/// let message = b"From: alice@example.org\r\nSubject: logs\r\n\r\nline\r\nline\r\nline\r\n";
/// let compressed = smime::compress(message, &smime::Limits::default())?;
/// assert!(compressed.starts_with(b"From: alice@example.org\r\nSubject: logs\r\n"));
/// let entity = smime::decompress(&compressed, &smime::Limits::default())?;
/// assert!(entity.ends_with(b"line\r\nline\r\nline\r\n"));
/// # Ok::<(), smime::Error>(())
/// ```
pub fn compress(message: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let (outer, entity) = mime::split_message(message)?;
    let entity = mime::with_content_type(entity)?;
    let entity = mime::prepare_for_signing(&entity, limits)?;
    let mut out = outer;
    out.extend_from_slice(&compressed_entity(&entity)?);
    Ok(out)
}

/// The compressed-data entity of a prepared (canonical) entity.
pub(crate) fn compressed_entity(entity: &[u8]) -> Result<Vec<u8>> {
    let der = cms::build_compressed_data(entity)?;
    let mut out = COMPRESSED_HEAD.to_vec();
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}

/// The MIME entity inside a compressed-data message (any `smime-type`
/// label, or none: the CMS content type decides), inflated within
/// [`Limits::max_decompressed`].
///
/// Errors: [`Error::NotCompressed`] for a message that is no
/// `application/pkcs7-mime` compressed-data,
/// [`Error::LimitExceeded`] for a bomb, [`Error::InvalidCms`] for damaged
/// zlib or CMS, [`Error::UnsupportedAlgorithm`] for another algorithm
/// than zlib.
pub fn decompress(message: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let entity = Entity::parse(message)?;
    if !entity.is_pkcs7_mime() {
        return Err(Error::NotCompressed);
    }
    let der = entity.decoded_body()?;
    if !cms::is_compressed(&der) {
        return Err(Error::NotCompressed);
    }
    cms::decompress(&der, limits)
}
