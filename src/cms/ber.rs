//! A pull reader for BER (X.690 §8) from a stream: just enough to walk a
//! CMS structure whose content is too large to hold, read the small
//! fields around it whole, and pass the content octets through in chunks.
//!
//! Definite and indefinite lengths, primitive and constructed (segmented)
//! OCTET STRINGs are accepted, as OpenSSL, NSS and Bouncy Castle write
//! them. Everything is bounded: each element read whole is capped by its
//! caller, nesting by [`Limits::max_ber_depth`](crate::Limits), lengths by
//! what fits a `u64`.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read};

use crate::error::{CmsError, Error, Result};
use crate::io::CHUNK;

fn invalid(reason: CmsError) -> Error {
    Error::InvalidCms(reason)
}

/// Identifier octets (X.690 §8.1.2) of the elements the CMS walkers meet,
/// by their ASN.1 names (checked against `der::Tag` in the tests).
pub(crate) mod tag {
    /// INTEGER.
    pub(crate) const INTEGER: u8 = 0x02;
    /// OCTET STRING, primitive.
    pub(crate) const OCTET_STRING: u8 = 0x04;
    /// OBJECT IDENTIFIER.
    pub(crate) const OID: u8 = 0x06;
    /// SEQUENCE (constructed).
    pub(crate) const SEQUENCE: u8 = 0x30;
    /// SET (constructed).
    pub(crate) const SET: u8 = 0x31;
    /// `[0]` constructed: EXPLICIT content, or an IMPLICIT SET/SEQUENCE.
    pub(crate) const CONTEXT_0: u8 = 0xA0;
    /// `[1]` constructed.
    pub(crate) const CONTEXT_1: u8 = 0xA1;
    /// `[0] IMPLICIT OCTET STRING`, primitive (`encryptedContent`).
    pub(crate) const CONTEXT_0_PRIMITIVE: u8 = 0x80;
    /// The constructed bit (X.690 §8.1.2.5).
    pub(crate) const CONSTRUCTED: u8 = 0x20;
}

/// The identifier and length octets of one element.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The identifier octet (class, constructed bit, tag number < 31).
    pub(crate) tag: u8,
    /// `None` for the indefinite form (X.690 §8.1.3.6).
    pub(crate) len: Option<u64>,
    /// The identifier and length octets as read.
    pub(crate) raw: Vec<u8>,
}

impl Header {
    pub(crate) fn constructed(&self) -> bool {
        self.tag & tag::CONSTRUCTED != 0
    }

    fn is_end_of_contents(&self) -> bool {
        self.tag == 0 && self.len == Some(0)
    }
}

/// Reads BER elements one after another from `R`.
pub(crate) struct BerReader<R: Read> {
    inner: BufReader<R>,
    /// [`Limits::max_ber_depth`](crate::Limits::max_ber_depth).
    max_depth: usize,
}

impl<R: Read> BerReader<R> {
    pub(crate) fn new(inner: R, max_depth: usize) -> Self {
        BerReader {
            inner: BufReader::with_capacity(CHUNK, inner),
            max_depth,
        }
    }

    fn depth(&self, depth: usize) -> Result<()> {
        crate::limits::check("max_ber_depth", depth as u64, self.max_depth as u64)
    }

    fn byte(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.inner.read_exact(&mut b).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => invalid(CmsError::Truncated),
            _ => crate::io::from_io(e),
        })?;
        Ok(b[0])
    }

    /// Reads identifier and length octets.
    pub(crate) fn header(&mut self) -> Result<Header> {
        let tag = self.byte()?;
        if tag & 0x1f == 0x1f {
            return Err(invalid(CmsError::HighTagNumber));
        }
        let first = self.byte()?;
        let mut raw = vec![tag, first];
        let len = match first {
            0x80 => {
                if tag & tag::CONSTRUCTED == 0 {
                    return Err(invalid(CmsError::IndefinitePrimitive));
                }
                None
            }
            n if n < 0x80 => Some(u64::from(n)),
            n => {
                let count = usize::from(n & 0x7f);
                if count > 8 {
                    return Err(invalid(CmsError::LengthTooLong));
                }
                let mut len = 0u64;
                for _ in 0..count {
                    let b = self.byte()?;
                    raw.push(b);
                    len = (len << 8) | u64::from(b);
                }
                Some(len)
            }
        };
        Ok(Header { tag, len, raw })
    }

    /// Reads a header that must carry `tag`.
    pub(crate) fn expect(&mut self, tag: u8, what: &'static str) -> Result<Header> {
        let header = self.header()?;
        if header.tag != tag {
            return Err(invalid(CmsError::UnexpectedTag {
                expected: what,
                found: header.tag,
            }));
        }
        Ok(header)
    }

    /// Reads the end-of-contents octets that close an indefinite length;
    /// nothing when `header` had a definite one.
    pub(crate) fn close(&mut self, header: &Header) -> Result<()> {
        if header.len.is_none() && !self.header()?.is_end_of_contents() {
            return Err(invalid(CmsError::MissingEndOfContents));
        }
        Ok(())
    }

    /// The rest of the element `header` began (its contents), appended to
    /// `out` together with any nested encoding as read, at most `max`
    /// bytes in all.
    fn contents_into(
        &mut self,
        header: &Header,
        out: &mut Vec<u8>,
        max: usize,
        depth: usize,
        too_large: &dyn Fn() -> Error,
    ) -> Result<()> {
        self.depth(depth)?;
        match header.len {
            Some(len) => {
                let len = usize::try_from(len).map_err(|_| too_large())?;
                if out.len().saturating_add(len) > max {
                    return Err(too_large());
                }
                // A declared length is a claim, not data: the buffer grows
                // as bytes arrive, so 300 bytes announcing 250 MiB cost
                // 300 bytes, not 250 MiB.
                let got = (&mut self.inner)
                    .take(len as u64)
                    .read_to_end(out)
                    .map_err(crate::io::from_io)?;
                if got < len {
                    return Err(invalid(CmsError::Truncated));
                }
            }
            None => loop {
                let inner = self.header()?;
                out.extend_from_slice(&inner.raw);
                if out.len() > max {
                    return Err(too_large());
                }
                if inner.is_end_of_contents() {
                    break;
                }
                self.contents_into(&inner, out, max, depth + 1, too_large)?;
            },
        }
        Ok(())
    }

    /// The whole element `header` began, identifier to last octet, as
    /// read: at most `max` bytes.
    pub(crate) fn element(&mut self, header: Header, max: usize) -> Result<Vec<u8>> {
        let too_large = || invalid(CmsError::ElementTooLarge { max });
        self.element_or(header, max, &too_large)
    }

    /// [`BerReader::element`] with the error for an element over `max`.
    pub(crate) fn element_or(
        &mut self,
        header: Header,
        max: usize,
        too_large: &dyn Fn() -> Error,
    ) -> Result<Vec<u8>> {
        let mut out = header.raw.clone();
        self.contents_into(&header, &mut out, max, 0, too_large)?;
        Ok(out)
    }

    /// Passes the contents octets of an OCTET STRING (or of an IMPLICIT
    /// tag on one, like `encryptedContent [0]`) to `sink` in chunks,
    /// primitive or segmented (X.690 §8.7.3), definite or indefinite.
    pub(crate) fn octets(
        &mut self,
        header: &Header,
        sink: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        self.octets_at(header, sink, 0)
    }

    fn octets_at(
        &mut self,
        header: &Header,
        sink: &mut impl FnMut(&[u8]) -> Result<()>,
        depth: usize,
    ) -> Result<()> {
        self.depth(depth)?;
        if !header.constructed() {
            let len = header.len.unwrap_or(0);
            return self.primitive(len, sink);
        }
        let mut remaining = header.len;
        loop {
            if remaining == Some(0) {
                return Ok(());
            }
            let segment = self.header()?;
            if remaining.is_none() && segment.is_end_of_contents() {
                return Ok(());
            }
            if segment.tag & !tag::CONSTRUCTED != tag::OCTET_STRING {
                return Err(invalid(CmsError::BadSegment));
            }
            let used = segment.raw.len() as u64 + segment.len.unwrap_or(0);
            self.octets_at(&segment, sink, depth + 1)?;
            if let Some(left) = remaining {
                // A nested indefinite segment has no known size: only
                // definite segments can live in a definite encoding.
                if segment.len.is_none() || used > left {
                    return Err(invalid(CmsError::SegmentOverrun));
                }
                remaining = Some(left - used);
            }
        }
    }

    fn primitive(
        &mut self,
        mut len: u64,
        sink: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        while len > 0 {
            let buf = self.inner.fill_buf().map_err(crate::io::from_io)?;
            if buf.is_empty() {
                return Err(invalid(CmsError::Truncated));
            }
            let take = buf.len().min(usize::try_from(len).unwrap_or(usize::MAX));
            sink(buf.get(..take).unwrap_or_default())?;
            self.inner.consume(take);
            len -= take as u64;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8]) -> Result<Vec<u8>> {
        let mut r = BerReader::new(bytes, 32);
        let h = r.header()?;
        let mut out = Vec::new();
        r.octets(&h, &mut |b| {
            out.extend_from_slice(b);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn tag_constants_are_ders() {
        use der::{Tag, TagNumber};
        let octet = |t: Tag| t.octet();
        assert_eq!(tag::INTEGER, octet(Tag::Integer));
        assert_eq!(tag::OCTET_STRING, octet(Tag::OctetString));
        assert_eq!(tag::OID, octet(Tag::ObjectIdentifier));
        assert_eq!(tag::SEQUENCE, octet(Tag::Sequence));
        assert_eq!(tag::SET, octet(Tag::Set));
        let context = |number, constructed| Tag::ContextSpecific {
            constructed,
            number,
        };
        assert_eq!(tag::CONTEXT_0, octet(context(TagNumber::N0, true)));
        assert_eq!(tag::CONTEXT_1, octet(context(TagNumber::N1, true)));
        assert_eq!(
            tag::CONTEXT_0_PRIMITIVE,
            octet(context(TagNumber::N0, false))
        );
    }

    #[test]
    fn octet_strings_in_every_form() {
        assert_eq!(collect(&[0x04, 0x02, 1, 2]).unwrap(), [1, 2]);
        assert_eq!(
            collect(&[0x24, 0x80, 0x04, 0x01, 1, 0x04, 0x01, 2, 0, 0]).unwrap(),
            [1, 2]
        );
        assert_eq!(
            collect(&[0x24, 0x06, 0x04, 0x01, 1, 0x04, 0x01, 2]).unwrap(),
            [1, 2]
        );
        assert_eq!(
            collect(&[0x24, 0x80, 0x24, 0x80, 0x04, 0x01, 7, 0, 0, 0, 0]).unwrap(),
            [7]
        );
        assert_eq!(collect(&[0x84, 0x81, 0x01, 9]).unwrap(), [9]);
    }

    #[test]
    fn malformed_encodings_are_errors() {
        for bad in [
            &[0x04, 0x05, 1][..],
            &[0x24, 0x80, 0x04, 0x01, 1][..],
            &[0x24, 0x80, 0x02, 0x01, 1, 0, 0][..],
            &[0x04, 0x80][..],
            &[0x24, 0x03, 0x04, 0x02, 1, 2][..],
            &[0x04, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1][..],
            &[0x1f, 0x01][..],
        ] {
            assert!(
                matches!(collect(bad), Err(Error::InvalidCms(_))),
                "{bad:02x?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut bytes = Vec::new();
        for _ in 0..100 {
            bytes.extend_from_slice(&[0x24, 0x80]);
        }
        assert!(matches!(
            collect(&bytes),
            Err(Error::LimitExceeded {
                limit: "max_ber_depth",
                max: 32
            })
        ));
        let mut r = BerReader::new(&bytes[..], 32);
        let h = r.header().unwrap();
        assert!(r.element(h, 1 << 20).is_err());
    }

    #[test]
    fn a_declared_length_is_not_allocated_before_the_data_arrives() {
        // 250 MiB announced, 3 bytes present: truncated, and the buffer
        // never grew beyond what was read.
        let bytes = [0x30, 0x84, 0x0f, 0xa0, 0x00, 0x00, 1, 2, 3];
        let mut r = BerReader::new(&bytes[..], 32);
        let h = r.header().unwrap();
        let mut out = Vec::new();
        let err = r
            .contents_into(&h, &mut out, usize::MAX, 0, &|| {
                invalid(CmsError::Truncated)
            })
            .unwrap_err();
        assert!(matches!(err, Error::InvalidCms(CmsError::Truncated)));
        assert!(
            out.capacity() < 1 << 20,
            "{} bytes reserved",
            out.capacity()
        );
    }

    #[test]
    fn elements_are_read_whole_and_capped() {
        let bytes = [0x30, 0x80, 0x02, 0x01, 5, 0, 0, 0x05, 0x00];
        let mut r = BerReader::new(&bytes[..], 32);
        let h = r.header().unwrap();
        assert_eq!(r.element(h, 100).unwrap(), &bytes[..7]);
        assert_eq!(r.header().unwrap().tag, 0x05);
        let mut r = BerReader::new(&[0x04, 0x05, 1, 2, 3, 4, 5][..], 32);
        let h = r.header().unwrap();
        assert!(r.element(h, 4).is_err());
    }
}
