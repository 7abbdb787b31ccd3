//! Content-Transfer-Encodings (RFC 2045 §6): base64 (§6.8) and
//! quoted-printable (§6.7), decoded as leniently as real encoders need and
//! encoded strictly; each with its streaming twin ([`Base64Writer`],
//! [`Base64Reader`]) beside the in-memory function.
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use super::{ENCODED_LINE, Lines, invalid, is_wsp, sub};
use crate::error::{MimeError, Result};
use crate::io::{CHUNK, into_io, read_some};

/// Base64 as mail clients really write it: padding optional, stray bits in
/// the last symbol ignored.
pub(crate) const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Lenient base64 (RFC 2045 §6.8): whitespace anywhere, missing padding,
/// several padded chunks one after another.
pub(super) fn decode_base64(body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let mut chunk = Vec::with_capacity(body.len());
    let flush = |chunk: &mut Vec<u8>, out: &mut Vec<u8>| -> Result<()> {
        if chunk.len() % 4 == 1 {
            return Err(invalid(MimeError::TruncatedBase64));
        }
        LENIENT_BASE64
            .decode_vec(chunk.as_slice(), out)
            .map_err(|_| invalid(MimeError::BadBase64))?;
        chunk.clear();
        Ok(())
    };
    for &b in body {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => chunk.push(b),
            b'=' => flush(&mut chunk, &mut out)?,
            b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {}
            _ => return Err(invalid(MimeError::InvalidBase64Character)),
        }
    }
    flush(&mut chunk, &mut out)?;
    Ok(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// RFC 2045 §6.7: trailing whitespace is transport noise, "=" at the end of
/// a line is a soft break, a bad escape is kept literally (rule (1) advice).
/// Hard line breaks are kept as received.
pub(super) fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for (line, content) in Lines::new(body) {
        let eol = sub(line, content.len(), line.len());
        let end = content
            .iter()
            .rposition(|&b| !is_wsp(b))
            .map_or(0, |i| i + 1);
        let content = sub(content, 0, end);
        let (content, soft) = match content.strip_suffix(b"=") {
            Some(c) => (c, true),
            None => (content, false),
        };
        decode_hex_escapes(content, b'=', &mut out);
        if !soft {
            out.extend_from_slice(eol);
        }
    }
    out
}

/// Appends `bytes` to `out`, turning `<marker>XX` (two hex digits) into
/// the byte XX — quoted-printable's `=XX`, RFC 2231's `%XX`. A malformed
/// escape is kept literally.
pub(super) fn decode_hex_escapes(bytes: &[u8], marker: u8, out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == marker {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
}

/// [`base64_lines`] appended to `out`, line by line (57 octets make one
/// 76-character line, so the lines are those of the whole encoding).
pub(super) fn base64_lines_into(bytes: &[u8], out: &mut Vec<u8>) {
    const LINE_OCTETS: usize = ENCODED_LINE / 4 * 3;
    let mut line = String::with_capacity(ENCODED_LINE);
    for chunk in bytes.chunks(LINE_OCTETS) {
        line.clear();
        STANDARD.encode_string(chunk, &mut line);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Base64 with CRLF line breaks every 76 characters (RFC 2045 §6.8),
/// ending with CRLF: the 7-bit-safe form for binary content and for
/// `application/pkcs7-*` bodies. Empty input gives empty output.
pub(crate) fn base64_lines(bytes: &[u8]) -> Vec<u8> {
    let encoded = STANDARD.encode(bytes);
    let mut out = Vec::with_capacity(encoded.len() + encoded.len() / ENCODED_LINE * 2 + 2);
    for chunk in encoded.as_bytes().chunks(ENCODED_LINE) {
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045 §6.7) of canonical CRLF text, keeping its
/// line structure. "From " at the start of a line is encoded too, so mbox
/// "From " quoting cannot break the signature.
/// Appended to `out`.
pub(crate) fn encode_quoted_printable_into(text: &[u8], out: &mut Vec<u8>) {
    let mut rest = text;
    loop {
        let (line, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => (sub(rest, 0, i), Some(sub(rest, i + 2, rest.len()))),
            None => (rest, None),
        };
        encode_qp_line(line, out);
        match next {
            Some(next) => {
                out.extend_from_slice(b"\r\n");
                if next.is_empty() {
                    break;
                }
                rest = next;
            }
            None => break,
        }
    }
}

fn encode_qp_line(line: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let from = line.starts_with(b"From ");
    let mut column = 0usize;
    for (i, &b) in line.iter().enumerate() {
        let last = i + 1 == line.len();
        let literal = match b {
            b' ' | b'\t' => !last,
            b'=' => false,
            33..=126 => !(i == 0 && from),
            _ => false,
        };
        let width = if literal { 1 } else { 3 };
        // Room for the "=" of a soft break unless this ends the line.
        let limit = if last { ENCODED_LINE } else { ENCODED_LINE - 1 };
        if column + width > limit {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        if literal {
            out.push(b);
        } else {
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'=', hi, lo]);
        }
        column += width;
    }
}

/// Base64 in CRLF-terminated lines of 76 characters, as
/// [`base64_lines`] writes it, for output of any length.
pub(crate) struct Base64Writer<W: Write> {
    inner: W,
    /// Input not yet encoded: less than one line's 57 bytes.
    pending: Vec<u8>,
    out: Vec<u8>,
    /// Base64 of a batch of whole lines, before it is cut into lines.
    scratch: Vec<u8>,
}

/// 57 input bytes make one 76-character line.
const LINE_INPUT: usize = 57;

/// Lines encoded in one call.
const BATCH_LINES: usize = 64;

impl<W: Write> Base64Writer<W> {
    pub(crate) fn new(inner: W) -> Self {
        Base64Writer {
            inner,
            pending: Vec::with_capacity(LINE_INPUT),
            out: Vec::with_capacity(CHUNK + CHUNK / 2),
            scratch: Vec::with_capacity(BATCH_LINES * ENCODED_LINE),
        }
    }

    fn line(&mut self, bytes: &[u8]) {
        let start = self.out.len();
        self.out.resize(start + 78, 0);
        let written = self
            .out
            .get_mut(start..)
            .and_then(|dst| STANDARD.encode_slice(bytes, dst).ok())
            .unwrap_or(0);
        self.out.truncate(start + written);
        self.out.extend_from_slice(b"\r\n");
    }

    /// Encodes whole lines (`bytes` is a multiple of 57 octets long).
    fn lines(&mut self, bytes: &[u8]) {
        let encoded_len = bytes.len() / LINE_INPUT * ENCODED_LINE;
        self.scratch.resize(encoded_len, 0);
        let written = STANDARD.encode_slice(bytes, &mut self.scratch).unwrap_or(0);
        for line in self
            .scratch
            .get(..written)
            .unwrap_or_default()
            .chunks(ENCODED_LINE)
        {
            self.out.extend_from_slice(line);
            self.out.extend_from_slice(b"\r\n");
        }
    }

    fn flush_out(&mut self) -> io::Result<()> {
        self.inner.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    /// Encodes `bytes`.
    pub(crate) fn put(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        if !self.pending.is_empty() {
            let take = (LINE_INPUT - self.pending.len()).min(bytes.len());
            let (head, tail) = bytes.split_at(take);
            self.pending.extend_from_slice(head);
            bytes = tail;
            if self.pending.len() < LINE_INPUT {
                return Ok(());
            }
            let pending = std::mem::take(&mut self.pending);
            self.line(&pending);
            self.pending = pending;
            self.pending.clear();
        }
        // Whole lines in batches: one long encode is several times faster
        // than one per 57 octets (the encoder's fast loop needs room), then
        // the 76-character lines are cut out of it.
        let whole = bytes.len() - bytes.len() % LINE_INPUT;
        let (full, rest) = bytes.split_at(whole);
        for batch in full.chunks(LINE_INPUT * BATCH_LINES) {
            self.lines(batch);
            if self.out.len() >= CHUNK {
                self.flush_out()?;
            }
        }
        self.pending.extend_from_slice(rest);
        Ok(())
    }

    /// Encodes what is left (with padding) and returns the inner writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.line(&pending);
        }
        self.flush_out()?;
        Ok(self.inner)
    }
}

/// Decodes a base64 body as [`mime`]'s in-memory decoder does: whitespace
/// anywhere, padding optional, `=` ends a chunk and another may follow;
/// any other character is an error.
pub(crate) struct Base64Reader<R: Read> {
    inner: R,
    /// Symbols read but not yet decoded (fewer than four).
    quad: Vec<u8>,
    /// Decoded bytes not yet handed out.
    out: Vec<u8>,
    pos: usize,
    raw: Vec<u8>,
    eof: bool,
}

impl<R: Read> Base64Reader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Base64Reader {
            inner,
            quad: Vec::with_capacity(4),
            out: Vec::with_capacity(CHUNK),
            pos: 0,
            raw: vec![0; CHUNK],
            eof: false,
        }
    }

    fn flush_quad(quad: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<()> {
        if quad.len() % 4 == 1 {
            return Err(invalid(MimeError::TruncatedBase64));
        }
        LENIENT_BASE64
            .decode_vec(quad.as_slice(), out)
            .map_err(|_| invalid(MimeError::BadBase64))?;
        quad.clear();
        Ok(())
    }

    /// The common case in bulk: lines of alphabet characters between CRLF
    /// or LF, no padding, decoded at once (the decoder checks the
    /// alphabet). False, with nothing changed, when the chunk needs the
    /// byte-by-byte path (padding, other whitespace, invalid characters).
    fn fast_path(raw: &[u8], quad: &mut Vec<u8>, out: &mut Vec<u8>) -> bool {
        if memchr::memchr(b'=', raw).is_some() {
            return false;
        }
        let mut symbols = Vec::with_capacity(quad.len() + raw.len());
        symbols.extend_from_slice(quad);
        let mut from = 0;
        for end in memchr::memchr2_iter(b'\r', b'\n', raw).chain(std::iter::once(raw.len())) {
            if let Some(segment) = raw.get(from..end) {
                symbols.extend_from_slice(segment);
            }
            from = end + 1;
        }
        let whole = symbols.len() / 4 * 4;
        let (body, rest) = symbols.split_at(whole);
        if !rest
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        {
            return false;
        }
        let before = out.len();
        if LENIENT_BASE64.decode_vec(body, out).is_err() {
            out.truncate(before);
            return false;
        }
        *quad = rest.to_vec();
        true
    }

    fn fill(&mut self) -> Result<()> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() && !self.eof {
            let n = read_some(&mut self.inner, &mut self.raw)?;
            if n == 0 {
                self.eof = true;
                return Self::flush_quad(&mut self.quad, &mut self.out);
            }
            let raw = self.raw.get(..n).unwrap_or_default();
            if Self::fast_path(raw, &mut self.quad, &mut self.out) {
                continue;
            }
            // Symbols of this read, whitespace dropped; whole quads are
            // decoded at once.
            let mut symbols = std::mem::take(&mut self.quad);
            for &b in raw {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => symbols.push(b),
                    b'=' => Self::flush_quad(&mut symbols, &mut self.out)?,
                    b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {}
                    _ => {
                        return Err(invalid(MimeError::InvalidBase64Character));
                    }
                }
            }
            let whole = symbols.len() / 4 * 4;
            self.quad = symbols.split_off(whole);
            LENIENT_BASE64
                .decode_vec(symbols.as_slice(), &mut self.out)
                .map_err(|_| invalid(MimeError::BadBase64))?;
        }
        Ok(())
    }
}

impl<R: Read> Read for Base64Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() {
            self.fill().map_err(into_io)?;
        }
        let available = self.out.get(self.pos..).unwrap_or_default();
        let n = available.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), available.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn base64_lines_into_matches_base64_lines() {
        for len in [0usize, 1, 56, 57, 58, 114, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut out = Vec::new();
            base64_lines_into(&bytes, &mut out);
            assert_eq!(out, base64_lines(&bytes), "{len}");
        }
    }
    use crate::error::Error;
    use crate::io::from_io;
    use crate::mime::Entity;
    use crate::mime::test_support::*;

    fn body_with(encoding: &str, body: &[u8]) -> Vec<u8> {
        let mut out = format!("Content-Transfer-Encoding: {encoding}\r\n\r\n").into_bytes();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn base64_decoding_is_lenient() {
        let decode = |body: &[u8]| parse(&body_with("base64", body)).decoded_body();
        assert_eq!(
            ok(decode(b"SGVsbG8s\r\nIHdv\r\ncmxk\r\nIQ==\r\n")),
            b"Hello, world!"
        );
        assert_eq!(ok(decode(b"SGVs bG8sIH\n dvcmxkIQ")), b"Hello, world!");
        assert_eq!(ok(decode(b"SGVsbG8sIHdvcmxkIQ=")), b"Hello, world!");
        assert_eq!(ok(decode(b"QQ==\r\nQkM=\r\n")), b"ABC");
        assert_eq!(ok(decode(b"QR==")), b"A");
        assert_eq!(ok(decode(b"")), b"");
        assert!(is_invalid(decode(b"SGVs*bG8=")));
        assert!(is_invalid(decode(b"SGVsb")));
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        assert_eq!(ok(decode(&base64_lines(&data))), data);
    }

    #[test]
    fn quoted_printable_decoding() {
        let decode = |body: &[u8]| ok(parse(&body_with("Quoted-Printable", body)).decoded_body());
        assert_eq!(
            decode(b"caf=C3=A9 =3D 1   \r\nsoft=\r\nbreak= \r\nend=e9=\r\n"),
            b"caf\xc3\xa9 = 1\r\nsoftbreakend\xe9"
        );
        assert_eq!(
            decode(b"bad =ZZ escape =4\n= x\n=="),
            b"bad =ZZ escape =4\n= x\n="
        );
        assert_eq!(decode(b"lf\nlines\n"), b"lf\nlines\n");
    }

    #[test]
    fn base64_lines_wraps_at_76() {
        let data = vec![0xabu8; 200];
        let encoded = base64_lines(&data);
        assert!(encoded.ends_with(b"\r\n"));
        let lines = crlf_lines(&encoded);
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![76, 76, 76, 40, 0]
        );
        assert!(base64_lines(b"").is_empty());
    }

    #[test]
    fn base64_writer_matches_base64_lines() {
        for len in [0usize, 1, 2, 3, 56, 57, 58, 114, 1000, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for split in [1usize, 5, 57, 4096] {
                let mut w = Base64Writer::new(Vec::new());
                for chunk in data.chunks(split) {
                    w.put(chunk).unwrap();
                }
                assert_eq!(
                    w.finish().unwrap(),
                    base64_lines(&data),
                    "len {len} split {split}"
                );
            }
        }
    }

    #[test]
    fn base64_reader_decodes_what_the_writer_wrote() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 256) as u8).collect();
        let text = base64_lines(&data);
        let mut decoded = Vec::new();
        Base64Reader::new(&text[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, data);
    }

    #[test]
    fn base64_reader_leniency_and_errors() {
        let decode = |s: &[u8]| {
            let mut out = Vec::new();
            Base64Reader::new(s).read_to_end(&mut out).map(|_| out)
        };
        assert_eq!(decode(b"aGk=\r\naGk").unwrap(), b"hihi");
        assert_eq!(decode(b" a G k ").unwrap(), b"hi");
        let err = decode(b"aGk*").unwrap_err();
        assert!(matches!(from_io(err), Error::InvalidMessage(_)));
        let err = decode(b"aGkxa").unwrap_err();
        assert!(matches!(from_io(err), Error::InvalidMessage(_)));
    }

    /// The bulk path and the byte-by-byte path agree with the in-memory
    /// decoder wherever whitespace, padding and chunk ends fall.
    #[test]
    fn base64_reader_matches_the_in_memory_decoder() {
        let data: Vec<u8> = (0..150_000u32).map(|i| (i * 31 % 256) as u8).collect();
        let lines = base64_lines(&data);
        let mut variants = vec![lines.clone()];
        // A space and a tab near every chunk boundary.
        let mut spaced = lines.clone();
        for at in [CHUNK - 2, CHUNK - 1, 2 * CHUNK - 3] {
            spaced.insert(at, b' ');
            spaced.insert(at + 5, b'\t');
        }
        variants.push(spaced);
        // Two padded chunks one after the other, padding across a chunk end.
        let mut padded = base64_lines(b"ab");
        padded.extend(&lines);
        let mut across = vec![b'Q'; CHUNK - 3];
        across.extend_from_slice(b"Q==");
        across.extend_from_slice(b"QUJD");
        variants.push(padded);
        variants.push(across);
        for (i, text) in variants.iter().enumerate() {
            let mut entity = b"Content-Transfer-Encoding: base64\r\n\r\n".to_vec();
            entity.extend_from_slice(text);
            let expected = Entity::parse(&entity).unwrap().decoded_body();
            let mut got = Vec::new();
            let streamed = Base64Reader::new(&text[..])
                .read_to_end(&mut got)
                .map(|_| got);
            match (expected, streamed) {
                (Ok(e), Ok(g)) => assert_eq!(e, g, "variant {i}"),
                (Err(_), Err(_)) => {}
                (e, g) => panic!(
                    "variant {i}: {:?} vs {:?}",
                    e.map(|v| v.len()),
                    g.map(|v| v.len())
                ),
            }
        }
    }
}
