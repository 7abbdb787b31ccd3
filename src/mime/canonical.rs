//! Canonical form (RFC 2049 §4, RFC 5322 §2.3) and what must be true of
//! an entity before it is signed so no transport can alter it (RFC 8551
//! §3.1.1-3.1.2): CRLF line ends, and 8-bit, binary or over-long lines
//! re-encoded. In memory ([`canonicalize`], [`prepare_for_signing`]) and
//! streaming ([`Canonicalizer`], [`scan`], [`streamable`]).
#![forbid(unsafe_code)]

use super::entity::Entity;
use super::header::HeaderBudget;
use super::multipart::multipart_spans;
use super::transfer::{base64_lines_into, encode_quoted_printable_into};
use super::{MAX_LINE, sub};
use crate::error::Result;
use crate::limits::{self, Limits};

/// Every bare LF and bare CR becomes CRLF: RFC 5322 / RFC 2049 §4
/// canonical form, the only form in which a signature survives transport.
pub(crate) fn canonicalize(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 2);
    canonicalize_into(bytes, &mut out);
    out
}

/// [`canonicalize`] appended to `out`.
fn canonicalize_into(bytes: &[u8], out: &mut Vec<u8>) {
    let mut iter = bytes.iter().copied().peekable();
    while let Some(b) = iter.next() {
        match b {
            b'\r' => {
                iter.next_if_eq(&b'\n');
                out.extend_from_slice(b"\r\n");
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
}

/// Whether a body declared 7bit/8bit/binary would not survive a 7-bit
/// transport unchanged (RFC 8551 §3.1.2).
fn needs_encoding(body: &[u8]) -> bool {
    let mut line = 0usize;
    for &b in body {
        match b {
            b'\r' | b'\n' => line = 0,
            0 | 0x80..=0xff => return true,
            _ => {
                line += 1;
                if line > MAX_LINE {
                    return true;
                }
            }
        }
    }
    false
}

/// Header fields canonicalized, the Content-Transfer-Encoding replaced (or
/// added) when `encoding` is given, then the blank line, appended to
/// `out` (the body follows).
fn assemble_head(entity: &Entity<'_>, encoding: Option<&str>, out: &mut Vec<u8>) {
    let mut replaced = false;
    let push_cte = |out: &mut Vec<u8>, encoding: &str| {
        out.extend_from_slice(b"Content-Transfer-Encoding: ");
        out.extend_from_slice(encoding.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    for field in entity.fields() {
        if let Some(encoding) = encoding
            && field.name.eq_ignore_ascii_case("Content-Transfer-Encoding")
        {
            if !replaced {
                push_cte(out, encoding);
                replaced = true;
            }
            continue;
        }
        canonicalize_into(&field.raw, out);
        if !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(encoding) = encoding
        && !replaced
    {
        push_cte(out, encoding);
    }
    if !entity.separator().is_empty() || encoding.is_some() {
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends the prepared form of `bytes` to `out`: one buffer for the
/// whole entity, no copy per nesting level.
fn prepare(
    bytes: &[u8],
    depth: usize,
    limits: &Limits,
    headers: &mut HeaderBudget,
    out: &mut Vec<u8>,
) -> Result<()> {
    limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
    let entity = Entity::parse_within(bytes, headers)?;
    let content_type = entity.content_type();
    let encoding = entity.transfer_encoding();
    let identity = matches!(encoding.as_str(), "7bit" | "8bit" | "binary");
    if content_type.is_multipart() {
        let boundary = content_type.boundary()?;
        let body = entity.body();
        let spans = multipart_spans(body, boundary, limits.max_parts)?;
        assemble_head(&entity, None, out);
        let mut pos = 0;
        for (start, end) in spans {
            canonicalize_into(sub(body, pos, start), out);
            prepare(sub(body, start, end), depth + 1, limits, headers, out)?;
            pos = end;
        }
        canonicalize_into(sub(body, pos, body.len()), out);
        return Ok(());
    }
    if content_type.is("message/rfc822") && identity {
        // RFC 2046 §5.2.1: no encoding allowed here; make the inner message safe.
        assemble_head(&entity, None, out);
        return prepare(entity.body(), depth + 1, limits, headers, out);
    }
    if identity && needs_encoding(entity.body()) {
        if content_type.mime_type.starts_with("text/") {
            assemble_head(&entity, Some("quoted-printable"), out);
            encode_quoted_printable_into(&canonicalize(entity.body()), out);
            return Ok(());
        }
        // Binary content is not line-oriented: encode the bytes as they are.
        assemble_head(&entity, Some("base64"), out);
        base64_lines_into(entity.body(), out);
        return Ok(());
    }
    canonicalize_into(bytes, out);
    Ok(())
}

/// Makes a MIME entity safe to sign (RFC 8551 §3.1.1-3.1.2): a signature
/// covers bytes, and transports rewrite line ends, 8-bit bytes and long
/// lines, so the entity is put in canonical CRLF form and every leaf that
/// would not survive a 7-bit transport is re-encoded (quoted-printable for
/// text, base64 otherwise), recursively through multiparts and
/// message/rfc822, within `limits` (MIME depth, parts, header bytes and
/// parameters). Everything
/// else stays byte-exact.
pub(crate) fn prepare_for_signing(entity: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(entity.len() + entity.len() / 8 + 64);
    prepare(entity, 0, limits, &mut HeaderBudget::new(limits), &mut out)?;
    Ok(out)
}

/// Turns every bare CR and bare LF into CRLF, like
/// [`canonicalize`], across chunk boundaries.
#[derive(Default)]
pub(crate) struct Canonicalizer {
    /// The previous chunk ended in CR: a LF starting this one is its pair.
    pub(super) pending_cr: bool,
    out: Vec<u8>,
}

impl Canonicalizer {
    /// Canonicalizes `chunk` and hands the result to `sink`.
    pub(crate) fn push(
        &mut self,
        chunk: &[u8],
        sink: &mut impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        self.out.clear();
        let mut rest = chunk;
        if self.pending_cr {
            self.pending_cr = false;
            if let Some(after) = rest.strip_prefix(b"\n") {
                rest = after;
            }
        }
        while let Some(i) = memchr::memchr2(b'\r', b'\n', rest) {
            let (text, tail) = rest.split_at(i);
            self.out.extend_from_slice(text);
            self.out.extend_from_slice(b"\r\n");
            rest = match tail {
                [b'\r', b'\n', after @ ..] => after,
                [b'\r'] => {
                    self.pending_cr = true;
                    &[]
                }
                [_, after @ ..] => after,
                [] => &[],
            };
        }
        self.out.extend_from_slice(rest);
        sink(&self.out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::mime::scan::scan;
    use crate::mime::test_support::*;
    use crate::mime::{ENCODED_LINE, split_multipart};
    use std::io::{self, Read};

    #[test]
    fn canonicalize_line_ends() {
        assert_eq!(
            canonicalize(b"a\nb\r\nc\rd\r\r\ne\n\n"),
            b"a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\n"
        );
        assert_eq!(canonicalize(b""), b"");
        assert_eq!(canonicalize(b"\r"), b"\r\n");
        assert_eq!(canonicalize(b"x\r\n"), b"x\r\n");
    }

    fn assert_7bit_safe(bytes: &[u8]) {
        assert!(bytes.iter().all(|&b| b != 0 && b < 0x80), "8-bit byte left");
        assert_eq!(canonicalize(bytes), bytes, "not canonical");
        for line in crlf_lines(bytes) {
            assert!(line.len() <= MAX_LINE, "line of {} octets", line.len());
        }
    }

    #[test]
    fn prepare_8bit_text_becomes_quoted_printable() {
        let text = "Grüße aus Köln = 1 \t\nFrom the start\n\nend \u{00e9}".as_bytes();
        let mut input = b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nX-Other: kept\n\n".to_vec();
        input.extend_from_slice(text);
        let out = ok(prepare_for_signing(&input, &Limits::default()));
        assert_7bit_safe(&out);
        let e = parse(&out);
        assert_eq!(e.transfer_encoding(), "quoted-printable");
        assert_eq!(
            e.header_bytes(),
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\nX-Other: kept\r\n"
        );
        assert_eq!(ok(e.decoded_body()), canonicalize(text));
        assert!(e.body().windows(7).any(|w| w == b"=46rom "));
        for line in crlf_lines(e.body()) {
            assert!(line.len() <= ENCODED_LINE);
            assert!(!line.ends_with(b" ") && !line.ends_with(b"\t"));
        }
    }

    #[test]
    fn prepare_long_line_becomes_quoted_printable() {
        let line = "word ".repeat(400);
        let input = format!("Subject: long\r\n\r\n{line}\r\nshort\r\n");
        let out = ok(prepare_for_signing(input.as_bytes(), &Limits::default()));
        assert_7bit_safe(&out);
        let e = parse(&out);
        assert_eq!(
            e.header_bytes(),
            b"Subject: long\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        );
        assert_eq!(
            ok(e.decoded_body()),
            format!("{line}\r\nshort\r\n").into_bytes()
        );
        for line in crlf_lines(e.body()) {
            assert!(line.len() <= ENCODED_LINE);
        }
    }

    #[test]
    fn prepare_binary_becomes_base64() {
        let data: Vec<u8> = (0..=255u8).chain([b'\r', b'\n', b'\n', b'\r']).collect();
        let mut input = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".to_vec();
        input.extend_from_slice(&data);
        let out = ok(prepare_for_signing(&input, &Limits::default()));
        assert_7bit_safe(&out);
        let e = parse(&out);
        assert_eq!(
            e.header_bytes(),
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        );
        assert_eq!(ok(e.decoded_body()), data);
    }

    #[test]
    fn prepare_7bit_entity_is_only_canonicalized() {
        let input = b"Content-Type: text/plain\n\tcharset=us-ascii\nContent-Transfer-Encoding: 7bit\n\nhello\nworld \n";
        assert_eq!(
            ok(prepare_for_signing(input, &Limits::default())),
            canonicalize(input)
        );
        let already = b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\n";
        assert_eq!(
            ok(prepare_for_signing(already, &Limits::default())),
            canonicalize(already)
        );
        let qp = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n";
        assert_eq!(ok(prepare_for_signing(qp, &Limits::default())), qp);
        assert_eq!(
            ok(prepare_for_signing(MULTIPART_CRLF, &Limits::default())),
            canonicalize(MULTIPART_CRLF)
        );
        let lf = b"Content-Type: multipart/mixed; boundary=q\n\npre\n--q\n\nx\n--q--\npost\n";
        assert_eq!(
            ok(prepare_for_signing(lf, &Limits::default())),
            canonicalize(lf)
        );
    }

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
    fn prepare_multipart_with_one_8bit_part() {
        let input = "Content-Type: multipart/mixed; boundary=\"==b==\"\n\
MIME-Version: 1.0\n\
\n\
preamble\n\
--==b==\n\
Content-Type: text/plain; charset=us-ascii\n\
\n\
plain ascii\n\
--==b== \n\
Content-Type: text/plain; charset=utf-8\n\
\n\
naïve\n\
--==b==--\n\
epilogue\n";
        let out = ok(prepare_for_signing(input.as_bytes(), &Limits::default()));
        assert_7bit_safe(&out);
        let e = parse(&out);
        assert_eq!(
            e.header_bytes(),
            b"Content-Type: multipart/mixed; boundary=\"==b==\"\r\nMIME-Version: 1.0\r\n"
        );
        assert!(e.body().starts_with(b"preamble\r\n--==b==\r\n"));
        assert!(e.body().ends_with(b"\r\n--==b==--\r\nepilogue\r\n"));
        assert!(e.body().windows(10).any(|w| w == b"--==b== \r\n"));
        let parts = ok(split_multipart(e.body(), "==b==", &Limits::default()));
        assert_eq!(
            parts.first().copied(),
            Some(&b"Content-Type: text/plain; charset=us-ascii\r\n\r\nplain ascii"[..])
        );
        let second = parse(parts.get(1).copied().unwrap_or_default());
        assert_eq!(second.transfer_encoding(), "quoted-printable");
        assert_eq!(ok(second.decoded_body()), "naïve".as_bytes());
    }

    #[test]
    fn prepare_nested_message_and_limits() {
        let input =
            b"Content-Type: message/rfc822\r\n\r\nFrom: a@b.c\r\nSubject: x\r\n\r\n\xe9t\xe9\r\n";
        let out = ok(prepare_for_signing(input, &Limits::default()));
        assert_7bit_safe(&out);
        let inner = parse(parse(&out).body());
        assert_eq!(inner.field("From"), Some("a@b.c"));
        assert_eq!(ok(inner.decoded_body()), b"\xe9t\xe9\r\n");

        // Distinct boundaries per level: 40 levels deep.
        let mut deep = b"x\r\n".to_vec();
        for level in 0..40 {
            let mut outer =
                format!("Content-Type: multipart/mixed; boundary=z{level}\r\n\r\n--z{level}\r\n")
                    .into_bytes();
            outer.extend_from_slice(&deep);
            outer.extend_from_slice(format!("\r\n--z{level}--\r\n").as_bytes());
            deep = outer;
        }
        let err = prepare_for_signing(&deep, &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::LimitExceeded {
                    limit: "max_mime_depth",
                    max: 32
                }
            ),
            "{err:?}"
        );
        assert!(is_invalid(prepare_for_signing(
            b"Content-Type: multipart/mixed\r\n\r\nx",
            &Limits::default()
        )));
        assert!(is_invalid(prepare_for_signing(
            b"Content-Type: multipart/mixed; boundary=z\r\n\r\nno parts",
            &Limits::default()
        )));
    }

    fn canonical_in_chunks(input: &[u8], size: usize) -> Vec<u8> {
        let mut c = Canonicalizer::default();
        let mut out = Vec::new();
        for chunk in input.chunks(size.max(1)) {
            c.push(chunk, &mut |b| {
                out.extend_from_slice(b);
                Ok(())
            })
            .unwrap();
        }
        out
    }

    #[test]
    fn canonicalizer_matches_in_memory_at_every_split() {
        let input = b"a\rb\nc\r\nd\r\r\n\n\re\r";
        for size in 1..input.len() + 1 {
            assert_eq!(
                canonical_in_chunks(input, size),
                canonicalize(input),
                "chunk size {size}"
            );
        }
    }

    #[test]
    fn scan_finds_unsafe_bytes_long_lines_and_the_boundary() {
        let scan_of =
            |head: &[u8], body: &[u8]| scan(head, &mut &body[..], b"XYZ", &mut |_| Ok(())).unwrap();
        assert!(scan_of(b"A: 1\r\n\r\n", b"plain\r\n").transport_safe);
        assert!(!scan_of(b"A: 1\r\n\r\n", "gr\u{fc}n".as_bytes()).transport_safe);
        assert!(!scan_of(b"", &[b'a'; 999]).transport_safe);
        assert!(scan_of(b"", &[b'a'; 998]).transport_safe);
        assert!(scan_of(b"..X", b"YZ..").contains_boundary);
        assert!(!scan_of(b"..X", b"Y.Z").contains_boundary);
    }

    /// A reader that hands out at most `size` octets per call.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            let (now, rest) = self.0.split_at(n);
            buf[..n].copy_from_slice(now);
            self.0 = rest;
            Ok(n)
        }
    }

    #[test]
    fn scan_hands_on_the_canonical_form_and_says_whether_it_was_already() {
        let inputs: [&[u8]; 6] = [
            b"a\r\nb\r\n",
            b"a\nb\r\n",
            b"a\r\nb\r",
            b"a\r\rb\r\n\n",
            b"\nstart",
            b"x\r\n\r\ny",
        ];
        for input in inputs {
            for size in 1..=input.len() {
                let mut out = Vec::new();
                let found = scan(b"", &mut Trickle(input, size), b"", &mut |b| {
                    out.extend_from_slice(b);
                    Ok(())
                })
                .unwrap();
                assert_eq!(out, canonicalize(input), "{input:?} in chunks of {size}");
                assert_eq!(
                    found.canonical,
                    canonicalize(input) == input,
                    "{input:?} / {size}"
                );
            }
        }
    }

    #[test]
    fn scan_finds_a_boundary_split_over_many_small_reads() {
        for size in 1..8 {
            let body = b"....--XYZboundary....";
            let found = scan(b"", &mut Trickle(body, size), b"XYZboundary", &mut |_| {
                Ok(())
            })
            .unwrap();
            assert!(found.contains_boundary, "chunks of {size}");
            let body = b"....--XYZbounda.ry..";
            let found = scan(b"", &mut Trickle(body, size), b"XYZboundary", &mut |_| {
                Ok(())
            })
            .unwrap();
            assert!(!found.contains_boundary, "chunks of {size}");
        }
    }
}
