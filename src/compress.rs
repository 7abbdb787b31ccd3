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

use std::io::Write;

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

/// Signed content that is itself a compressed-data entity (RFC 3274 inside
/// a signature, as [`crate::SignOptions::compress`] writes) inflated, so a
/// verifier reads the message that was compressed (RFC 8551 §3.6: a
/// compressed-data layer may be anywhere); any other content as it is.
pub(crate) fn inflated(content: Vec<u8>, limits: &Limits) -> Result<Vec<u8>> {
    let der = match Entity::parse(&content) {
        Ok(entity) if entity.is_pkcs7_mime() => entity.decoded_body().ok(),
        _ => None,
    };
    match der {
        Some(der) if cms::is_compressed(&der) => cms::decompress(&der, limits),
        _ => Ok(content),
    }
}

/// Where streamed signed content goes: [`inflated`] as it is written. The
/// header of the content is looked at first; content that may be
/// compressed-data (`application/pkcs7-mime` without another `smime-type`)
/// is held, within [`Limits::max_in_memory`], and inflated at
/// [`Inflating::finish`]; anything else is passed on as it comes.
pub(crate) struct Inflating<'l, W: Write> {
    inner: W,
    limits: &'l Limits,
    state: Held,
}

/// What [`Inflating`] does with the bytes it is given.
enum Held {
    /// Reading the content's header (not yet decided).
    Head(Vec<u8>),
    /// Possibly compressed: kept whole.
    Whole(Vec<u8>),
    /// Possibly compressed but over `max_in_memory`: refused at the end.
    TooLarge,
    /// Anything else: passed on.
    Through,
}

/// A content header longer than this is no compressed-data entity's.
const MAX_HEAD: usize = 64 << 10;

impl<'l, W: Write> Inflating<'l, W> {
    /// Content for `inner`, bounded by `limits`.
    pub(crate) fn new(inner: W, limits: &'l Limits) -> Self {
        Inflating {
            inner,
            limits,
            state: Held::Head(Vec::new()),
        }
    }

    /// Writes what was held (inflated when it was compressed-data) and
    /// flushes. Errors: [`Error::LimitExceeded`] for content held over
    /// `max_in_memory` or inflating over `max_decompressed`,
    /// [`Error::InvalidCms`] for damaged compressed-data.
    pub(crate) fn finish(mut self) -> Result<W> {
        match std::mem::replace(&mut self.state, Held::Through) {
            Held::Head(bytes) | Held::Whole(bytes) => {
                self.inner.write_all(&inflated(bytes, self.limits)?)?;
            }
            Held::TooLarge => {
                let max = self.limits.max_in_memory;
                return Err(Error::LimitExceeded {
                    limit: "max_in_memory",
                    max,
                });
            }
            Held::Through => {}
        }
        self.inner.flush()?;
        Ok(self.inner)
    }

    /// Decides, once the header of the held bytes is complete, whether to
    /// keep holding them.
    fn decide(&mut self) -> std::io::Result<()> {
        let Held::Head(bytes) = &mut self.state else {
            return Ok(());
        };
        let Some(end) = head_end(bytes) else {
            if bytes.len() > MAX_HEAD {
                self.inner.write_all(bytes)?;
                self.state = Held::Through;
            }
            return Ok(());
        };
        let head = bytes.get(..end).unwrap_or_default();
        let maybe = Entity::parse(head).is_ok_and(|e| {
            e.is_pkcs7_mime()
                && e.content_type()
                    .param("smime-type")
                    .is_none_or(|t| t.eq_ignore_ascii_case("compressed-data"))
        });
        if maybe {
            self.state = Held::Whole(std::mem::take(bytes));
        } else {
            self.inner.write_all(bytes)?;
            self.state = Held::Through;
        }
        Ok(())
    }
}

/// Where the header section of `bytes` ends (after its blank line).
fn head_end(bytes: &[u8]) -> Option<usize> {
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4);
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<W: Write> Write for Inflating<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.state {
            Held::Through => return self.inner.write(buf),
            Held::TooLarge => {}
            Held::Head(bytes) => {
                bytes.extend_from_slice(buf);
                self.decide()?;
            }
            Held::Whole(bytes) => {
                let total = (bytes.len() as u64).saturating_add(buf.len() as u64);
                if total > self.limits.max_in_memory {
                    self.state = Held::TooLarge;
                } else {
                    bytes.extend_from_slice(buf);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.state {
            Held::Through => self.inner.flush(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTITY: &[u8] = b"Content-Type: text/plain\r\n\r\nline\r\nline\r\nline\r\n";

    /// `bytes` written to an [`Inflating`] `chunk` bytes at a time.
    fn through_inflating(bytes: &[u8], chunk: usize, limits: &Limits) -> Result<Vec<u8>> {
        let mut inflating = Inflating::new(Vec::new(), limits);
        for piece in bytes.chunks(chunk) {
            inflating.write_all(piece)?;
        }
        inflating.finish()
    }

    #[test]
    fn compressed_content_is_inflated_in_any_chunking() {
        let compressed = compressed_entity(ENTITY).unwrap();
        let limits = Limits::default();
        assert_eq!(inflated(compressed.clone(), &limits).unwrap(), ENTITY);
        for chunk in [1, 7, 4096] {
            let out = through_inflating(&compressed, chunk, &limits).unwrap();
            assert_eq!(out, ENTITY, "chunks of {chunk}");
        }
    }

    #[test]
    fn other_content_is_passed_on_unchanged() {
        let limits = Limits::default();
        let pkcs7 = b"Content-Type: application/pkcs7-mime\r\n\r\nMAMCAQA=\r\n".to_vec();
        let labelled = b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nx";
        for content in [ENTITY, b"no header at all", &pkcs7, labelled] {
            assert_eq!(inflated(content.to_vec(), &limits).unwrap(), content);
            assert_eq!(through_inflating(content, 3, &limits).unwrap(), content);
        }
    }

    #[test]
    fn held_content_over_max_in_memory_is_a_limit() {
        let compressed = compressed_entity(ENTITY).unwrap();
        let limits = Limits {
            max_in_memory: 64,
            ..Limits::default()
        };
        assert!(matches!(
            through_inflating(&compressed, 16, &limits),
            Err(Error::LimitExceeded {
                limit: "max_in_memory",
                ..
            })
        ));
    }
}
