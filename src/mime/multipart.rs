//! Multipart bodies (RFC 2046 §5.1): delimiters and body parts cut
//! byte-exact, in memory ([`split_multipart`]) and as a stream
//! ([`split_signed`], for `multipart/signed`, RFC 1847 §2.1).
#![forbid(unsafe_code)]

use std::io::{BufRead, Read};

use super::{Lines, invalid, is_wsp, sub};
use crate::error::{MimeError, Result};
use crate::io::CHUNK;
use crate::limits::{self, Limits};

/// A multipart delimiter line (RFC 2046 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delimiter {
    /// Another body part follows.
    Open,
    /// The last body part ended.
    Close,
}

/// Whether a line (without its line break) is a delimiter (`--boundary`)
/// or the close delimiter (`--boundary--`), trailing whitespace allowed.
pub(crate) fn delimiter_kind(content: &[u8], delimiter: &[u8]) -> Option<Delimiter> {
    let rest = content.strip_prefix(delimiter)?;
    let padding = |s: &[u8]| s.iter().all(|&b| is_wsp(b) || b == b'\r');
    if padding(rest) {
        Some(Delimiter::Open)
    } else if rest.strip_prefix(b"--").is_some_and(padding) {
        Some(Delimiter::Close)
    } else {
        None
    }
}

/// Byte ranges of the body parts; see [`split_multipart`].
pub(super) fn multipart_spans(
    body: &[u8],
    boundary: &str,
    max_parts: usize,
) -> Result<Vec<(usize, usize)>> {
    if boundary.is_empty() {
        return Err(invalid(MimeError::EmptyBoundary));
    }
    let mut delimiter = b"--".to_vec();
    delimiter.extend_from_slice(boundary.as_bytes());
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    let mut seen = false;
    let mut pos = 0usize;
    for (line, content) in Lines::new(body) {
        let line_start = pos;
        pos += line.len();
        let Some(kind) = delimiter_kind(content, &delimiter) else {
            continue;
        };
        seen = true;
        if let Some(start) = open.take() {
            // The line break before a delimiter belongs to the delimiter.
            let mut end = line_start.saturating_sub(1);
            if line_start >= 2 && body.get(line_start - 2) == Some(&b'\r') {
                end = line_start - 2;
            }
            limits::check("max_parts", spans.len() as u64 + 1, max_parts as u64)?;
            spans.push((start, end.max(start)));
        }
        if kind == Delimiter::Close {
            break;
        }
        open = Some(pos);
    }
    if let Some(start) = open {
        // No close delimiter: tolerated, the last part runs to the end.
        limits::check("max_parts", spans.len() as u64 + 1, max_parts as u64)?;
        spans.push((start, body.len()));
    }
    if !seen {
        return Err(invalid(MimeError::NoDelimiter));
    }
    if spans.is_empty() {
        return Err(invalid(MimeError::NoParts));
    }
    Ok(spans)
}

/// RFC 2046 §5.1.1: the body parts of a multipart body, each exactly the
/// bytes between the end of a delimiter line (after its line break) and
/// the line break that precedes the next delimiter (that CRLF — or bare LF
/// — belongs to the delimiter). Byte-exactness matters: the first part of
/// a multipart/signed is what the signature covers (RFC 1847 §2.1).
/// Preamble and epilogue are dropped; a missing close delimiter is
/// tolerated (the last part runs to the end); no delimiter or no part at
/// all is an error.
pub(crate) fn split_multipart<'a>(
    body: &'a [u8],
    boundary: &str,
    limits: &Limits,
) -> Result<Vec<&'a [u8]>> {
    Ok(multipart_spans(body, boundary, limits.max_parts)?
        .into_iter()
        .map(|(start, end)| sub(body, start, end))
        .collect())
}

/// The signature part of a `multipart/signed` body is read into memory up
/// to this size (64 certificates and 16 signers take far less).
pub(crate) const MAX_SIGNATURE_PART: usize = 4 << 20;

/// Splits a `multipart/signed` body (RFC 1847 §2.1) as it streams by: the
/// first body part goes to `first` in pieces, byte-exact as
/// [`split_multipart`] cuts it (the line break before a delimiter
/// belongs to the delimiter); the second part is returned. Anything but
/// exactly two parts is an error.
pub(crate) fn split_signed<R: BufRead>(
    reader: &mut R,
    boundary: &str,
    first: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<Vec<u8>> {
    #[derive(PartialEq)]
    enum Part {
        Preamble,
        First,
        Second,
    }
    if boundary.is_empty() {
        return Err(invalid(MimeError::EmptyBoundary));
    }
    let delimiter = format!("--{boundary}");
    let mut part = Part::Preamble;
    let mut parts = 0usize;
    let mut seen = false;
    let mut second = Vec::new();
    // The line break of the previous line, held back until the next line
    // shows it is no delimiter's.
    let mut pending_eol: &[u8] = b"";
    let mut line = Vec::with_capacity(CHUNK);
    // First-part bytes collect here and go out in chunks, not per line.
    let mut out: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut at_line_start = true;
    loop {
        line.clear();
        if reader
            .by_ref()
            .take(CHUNK as u64)
            .read_until(b'\n', &mut line)?
            == 0
        {
            break;
        }
        let starts_line = at_line_start;
        at_line_start = line.ends_with(b"\n");
        let eol: &'static [u8] = if line.ends_with(b"\r\n") {
            b"\r\n"
        } else if line.ends_with(b"\n") {
            b"\n"
        } else {
            b""
        };
        let content = line.get(..line.len() - eol.len()).unwrap_or_default();
        let kind = if starts_line {
            delimiter_kind(content, delimiter.as_bytes())
        } else {
            None
        };
        match (kind, &part) {
            (Some(Delimiter::Open), Part::Second) => {
                return Err(invalid(MimeError::SignedPartCount));
            }
            (Some(Delimiter::Open), _) => {
                first(&out)?;
                out.clear();
                seen = true;
                parts += 1;
                part = if part == Part::Preamble {
                    Part::First
                } else {
                    Part::Second
                };
                pending_eol = b"";
            }
            (Some(Delimiter::Close), _) => {
                first(&out)?;
                out.clear();
                seen = true;
                pending_eol = b"";
                part = Part::Preamble;
                break;
            }
            (None, Part::Preamble) => {}
            (None, Part::First) => {
                out.extend_from_slice(pending_eol);
                out.extend_from_slice(content);
                pending_eol = eol;
                if out.len() >= CHUNK {
                    first(&out)?;
                    out.clear();
                }
            }
            (None, Part::Second) => {
                second.extend_from_slice(pending_eol);
                second.extend_from_slice(content);
                pending_eol = eol;
                if second.len() > MAX_SIGNATURE_PART {
                    return Err(invalid(MimeError::SignaturePartTooLarge));
                }
            }
        }
    }
    // No close delimiter: tolerated, the last part runs to the end.
    match part {
        Part::Second => second.extend_from_slice(pending_eol),
        Part::First => {
            out.extend_from_slice(pending_eol);
            first(&out)?;
        }
        Part::Preamble => {}
    }
    if !seen {
        return Err(invalid(MimeError::NoDelimiter));
    }
    if parts != 2 {
        return Err(invalid(MimeError::SignedPartCount));
    }
    Ok(second)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::mime::test_support::*;

    const MAX_PARTS: usize = 10_000;

    const MULTIPART_CRLF: &[u8] = b"This is the preamble.\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
first part\r\n\
\r\n\
--b1  \t\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
second\r\n\
--b1--\r\n\
epilogue\r\n\
--b1\r\n\
not a part\r\n";

    #[test]
    fn multipart_crlf_byte_exact() {
        let parts = ok(split_multipart(MULTIPART_CRLF, "b1", &Limits::default()));
        assert_eq!(
            parts,
            vec![
                &b"Content-Type: text/plain\r\n\r\nfirst part\r\n"[..],
                &b"Content-Type: application/octet-stream\r\n\r\nsecond"[..],
            ]
        );
    }

    #[test]
    fn multipart_lf_byte_exact() {
        let lf: Vec<u8> = MULTIPART_CRLF
            .iter()
            .copied()
            .filter(|&b| b != b'\r')
            .collect();
        let parts = ok(split_multipart(&lf, "b1", &Limits::default()));
        assert_eq!(
            parts,
            vec![
                &b"Content-Type: text/plain\n\nfirst part\n"[..],
                &b"Content-Type: application/octet-stream\n\nsecond"[..],
            ]
        );
    }

    #[test]
    fn multipart_delimiter_at_start_and_empty_parts() {
        let parts = ok(split_multipart(
            b"--x\r\none\r\n--x\r\n--x\r\ntwo\r\n--x--",
            "x",
            &Limits::default(),
        ));
        assert_eq!(parts, vec![&b"one"[..], &b""[..], &b"two"[..]]);
    }

    #[test]
    fn multipart_prefix_boundaries() {
        let body = b"--a\r\n\
Content-Type: multipart/mixed; boundary=ab\r\n\
\r\n\
--ab\r\n\
inner\r\n\
--a--b\r\n\
--ab--\r\n\
--a--\r\n";
        let outer = ok(split_multipart(body, "a", &Limits::default()));
        assert_eq!(outer.len(), 1);
        let part = outer.first().copied().unwrap_or_default();
        assert!(
            part.ends_with(b"--ab--"),
            "{:?}",
            String::from_utf8_lossy(part)
        );
        let entity = parse(part);
        assert_eq!(entity.content_type().param("boundary"), Some("ab"));
        let inner = ok(split_multipart(entity.body(), "ab", &Limits::default()));
        assert_eq!(inner, vec![&b"inner\r\n--a--b"[..]]);
        // "--a" inside text is no delimiter unless it starts a line.
        assert!(is_invalid(split_multipart(
            b"x --a\r\n",
            "a",
            &Limits::default()
        )));
    }

    #[test]
    fn multipart_missing_close_and_errors() {
        let parts = ok(split_multipart(
            b"pre\r\n--b\r\none\r\n--b\r\ntwo\r\n",
            "b",
            &Limits::default(),
        ));
        assert_eq!(parts, vec![&b"one"[..], &b"two\r\n"[..]]);
        assert!(is_invalid(split_multipart(
            b"no delimiter here\r\n",
            "b",
            &Limits::default()
        )));
        assert!(is_invalid(split_multipart(
            b"--b--\r\n",
            "b",
            &Limits::default()
        )));
        assert!(is_invalid(split_multipart(
            b"--\r\n",
            "",
            &Limits::default()
        )));
        assert!(is_invalid(split_multipart(b"", "b", &Limits::default())));
        let many = "--b\r\n".repeat(MAX_PARTS + 1);
        assert!(matches!(
            split_multipart(many.as_bytes(), "b", &Limits::default()),
            Err(Error::LimitExceeded {
                limit: "max_parts",
                ..
            })
        ));
        let enough = "--b\r\n".repeat(MAX_PARTS);
        assert_eq!(
            ok(split_multipart(enough.as_bytes(), "b", &Limits::default())).len(),
            MAX_PARTS
        );
    }

    /// The streaming splitter cuts exactly where the in-memory one does.
    #[test]
    fn split_signed_matches_split_multipart() {
        let long = "x".repeat(3 * CHUNK + 7);
        let bodies = [
            "pre\r\n--b\r\none\r\ntwo\r\n--b\r\nsig\r\n--b--\r\nepilogue".to_owned(),
            "--b\nLF only\n\n--b\nsig\n--b--\n".to_owned(),
            "--b\r\n\r\n--b\r\nsig".to_owned(),
            "--b  \r\nmixed\r\nends\n--b\t\r\nsig\r\n\r\n".to_owned(),
            format!("--b\r\n{long}\r\n--b\r\nsig\r\n--b--\r\n"),
            "--b\r\nbare\rcr\r\n--b\r\nsig\r\n--b--".to_owned(),
        ];
        for body in &bodies {
            let expected = split_multipart(body.as_bytes(), "b", &Limits::default()).unwrap();
            let mut first = Vec::new();
            let second = split_signed(&mut body.as_bytes(), "b", &mut |b| {
                first.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
            assert_eq!(first, expected[0], "{body:?}");
            assert_eq!(second, expected[1], "{body:?}");
        }
        for bad in [
            "no delimiter",
            "--b\r\nonly one\r\n--b--",
            "--b\r\n1\r\n--b\r\n2\r\n--b\r\n3",
        ] {
            let result = split_signed(&mut bad.as_bytes(), "b", &mut |_| Ok(()));
            assert!(matches!(result, Err(Error::InvalidMessage(_))), "{bad:?}");
        }
    }
}
