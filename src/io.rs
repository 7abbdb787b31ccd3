//! Streaming building blocks: the pieces that let [`sign_stream`],
//! [`encrypt_stream`], [`decrypt_stream`] and [`verify_stream`] run in
//! memory that does not grow with the message.
//!
//! Each block touches a byte once: the canonicalizer turns line ends into
//! CRLF (RFC 5322 §2.3, RFC 2049 §4) chunk by chunk, the base64 writer emits
//! 76-column lines (RFC 2045 §6.8) as bytes arrive, the base64 reader
//! decodes as leniently as [`mime`](crate::mime) does in memory.
//!
//! [`sign_stream`]: crate::sign::sign_stream
//! [`encrypt_stream`]: crate::envelope::encrypt_stream
//! [`decrypt_stream`]: crate::envelope::decrypt_stream
//! [`verify_stream`]: crate::verify::verify_stream
#![forbid(unsafe_code)]

use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, Result};
use crate::mime::{self, LENIENT_BASE64, MAX_HEADER};

/// Size of every buffer the streaming paths use.
pub(crate) const CHUNK: usize = 64 * 1024;

/// RFC 5322 §2.1.1: the hard limit on a line, without its CRLF.
const MAX_LINE: usize = 998;

/// Reads the header section of an entity: lines up to and including the
/// first empty one, or to the end of input. `None` when it is larger than
/// [`MAX_HEADER`] (the caller decides whether that is an error). Whether
/// these bytes really are header fields is [`mime::Entity::parse`]'s
/// decision, exactly as for an entity in memory.
pub(crate) fn read_head<R: BufRead>(reader: &mut R) -> Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let limit = (MAX_HEADER + 2).saturating_sub(start) as u64;
        let n = reader.by_ref().take(limit).read_until(b'\n', &mut head)?;
        if n == 0 {
            return Ok(Some(head));
        }
        if head.len() > MAX_HEADER {
            return Ok(None);
        }
        let line = head.get(start..).unwrap_or_default();
        if line == b"\n" || line == b"\r\n" {
            return Ok(Some(head));
        }
        if start == 0 && !mime::starts_header(line) {
            // A headerless entity: this line is body already.
            return Ok(Some(head));
        }
    }
}

/// What a first pass over an entity found.
pub(crate) struct Scan {
    /// Nothing a 7-bit transport would alter: no NUL, no 8-bit byte, no
    /// line over 998 octets. Such an entity is prepared for signing by
    /// canonicalizing its line ends and nothing else.
    pub(crate) transport_safe: bool,
    /// The candidate boundary occurs in the entity.
    pub(crate) contains_boundary: bool,
}

/// Scans `head` then the rest of `reader` (see [`Scan`]).
pub(crate) fn scan<R: Read>(head: &[u8], reader: &mut R, boundary: &[u8]) -> Result<Scan> {
    let finder = (!boundary.is_empty()).then(|| memchr::memmem::Finder::new(boundary));
    let keep = boundary.len().saturating_sub(1);
    let mut line = 0usize;
    let mut safe = true;
    let mut found = false;
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + keep);
    let mut buf = vec![0u8; CHUNK];
    let mut feed = |bytes: &[u8], window: &mut Vec<u8>| {
        // Word-at-a-time friendly: OR of all bytes for the high bit, memchr
        // for NUL and for line ends.
        if bytes.iter().fold(0u8, |acc, &b| acc | b) & 0x80 != 0
            || memchr::memchr(0, bytes).is_some()
        {
            safe = false;
        }
        let mut start = 0usize;
        for end in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if line + (end - start) > MAX_LINE {
                safe = false;
            }
            line = 0;
            start = end + 1;
        }
        line += bytes.len() - start.min(bytes.len());
        if line > MAX_LINE {
            safe = false;
        }
        window.extend_from_slice(bytes);
        if finder.as_ref().is_some_and(|f| f.find(window).is_some()) {
            found = true;
        }
        let cut = window.len().saturating_sub(keep);
        window.drain(..cut);
    };
    feed(head, &mut window);
    loop {
        let n = read_some(reader, &mut buf)?;
        if n == 0 {
            break;
        }
        feed(buf.get(..n).unwrap_or_default(), &mut window);
    }
    Ok(Scan {
        transport_safe: safe,
        contains_boundary: found,
    })
}

/// An entity that one pass can prepare for signing or encryption: a 7-bit
/// transport would not alter it, so [`mime::prepare_for_signing`] would
/// only canonicalize its line ends (see [`Scan`]).
pub(crate) struct Streamable {
    /// The header fields that stay outside (see [`mime::split_message`]).
    pub(crate) outer: Vec<u8>,
    /// The entity's header section, canonical.
    pub(crate) head: Vec<u8>,
    /// Where the entity's body starts in the input.
    pub(crate) body_start: u64,
}

/// Reads `input` once to decide whether it is [`Streamable`], checking
/// that `boundary` (when not empty) does not occur in the entity. `None`
/// means: prepare it in memory instead. `add_content_type` gives a
/// headerless entity its RFC 2045 §5.2 default first, as encryption does.
pub(crate) fn streamable<R: Read + Seek>(
    input: &mut R,
    boundary: &[u8],
    add_content_type: bool,
) -> Result<Option<Streamable>> {
    let start = input.stream_position()?;
    let mut reader = io::BufReader::with_capacity(CHUNK, &mut *input);
    let Some(head) = read_head(&mut reader)? else {
        return Ok(None);
    };
    let (outer, mut entity_head) = mime::split_message(&head)?;
    if add_content_type {
        entity_head = mime::with_content_type(entity_head)?;
    }
    let scan = scan(&entity_head, &mut reader, boundary)?;
    if !scan.transport_safe || scan.contains_boundary {
        return Ok(None);
    }
    Ok(Some(Streamable {
        outer,
        head: mime::canonicalize(&entity_head),
        body_start: start + head.len() as u64,
    }))
}

/// Streams the body of a [`Streamable`] entity, canonicalized, to `sink`.
pub(crate) fn canonical_body<R: Read + Seek>(
    input: &mut R,
    entity: &Streamable,
    sink: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    input.seek(SeekFrom::Start(entity.body_start))?;
    let mut canonicalizer = Canonicalizer::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_some(input, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        canonicalizer.push(buf.get(..n).unwrap_or_default(), sink)?;
    }
}

/// Reads the rest of `input` into memory, at most `max` bytes
/// ([`Limits::max_in_memory`](crate::Limits::max_in_memory)).
pub(crate) fn read_bounded<R: Read>(input: &mut R, max: u64) -> Result<Vec<u8>> {
    let mut all = Vec::new();
    input.take(max.saturating_add(1)).read_to_end(&mut all)?;
    crate::limits::check("max_in_memory", all.len() as u64, max)?;
    Ok(all)
}

/// The signature part of a `multipart/signed` body is read into memory up
/// to this size (64 certificates and 16 signers take far less).
pub(crate) const MAX_SIGNATURE_PART: usize = 4 << 20;

/// Splits a `multipart/signed` body (RFC 1847 §2.1) as it streams by: the
/// first body part goes to `first` in pieces, byte-exact as
/// [`mime::split_multipart`] cuts it (the line break before a delimiter
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
    let invalid = |what: &str| Error::InvalidMessage(what.into());
    if boundary.is_empty() {
        return Err(invalid("empty multipart boundary"));
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
            mime::delimiter_kind(content, delimiter.as_bytes())
        } else {
            None
        };
        match (kind, &part) {
            (Some(mime::Delimiter::Open), Part::Second) => {
                return Err(invalid("multipart/signed needs exactly two parts"));
            }
            (Some(mime::Delimiter::Open), _) => {
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
            (Some(mime::Delimiter::Close), _) => {
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
                    return Err(invalid("signature part larger than 4 MiB"));
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
        return Err(invalid("multipart body without its boundary delimiter"));
    }
    if parts != 2 {
        return Err(invalid("multipart/signed needs exactly two parts"));
    }
    Ok(second)
}

/// `read` that retries on `Interrupted`.
pub(crate) fn read_some<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Turns every bare CR and bare LF into CRLF, like
/// [`mime::canonicalize`], across chunk boundaries.
#[derive(Default)]
pub(crate) struct Canonicalizer {
    /// The previous chunk ended in CR: a LF starting this one is its pair.
    pending_cr: bool,
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

/// Base64 in CRLF-terminated lines of 76 characters, as
/// [`mime::base64_lines`] writes it, for output of any length.
pub(crate) struct Base64Writer<W: Write> {
    inner: W,
    /// Input not yet encoded: less than one line's 57 bytes.
    pending: Vec<u8>,
    out: Vec<u8>,
}

/// 57 input bytes make one 76-character line.
const LINE_INPUT: usize = 57;

impl<W: Write> Base64Writer<W> {
    pub(crate) fn new(inner: W) -> Self {
        Base64Writer {
            inner,
            pending: Vec::with_capacity(LINE_INPUT),
            out: Vec::with_capacity(CHUNK + CHUNK / 2),
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
        let mut lines = bytes.chunks_exact(LINE_INPUT);
        for line in lines.by_ref() {
            self.line(line);
            if self.out.len() >= CHUNK {
                self.flush_out()?;
            }
        }
        self.pending.extend_from_slice(lines.remainder());
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
            return Err(Error::InvalidMessage("truncated base64 body".into()));
        }
        LENIENT_BASE64
            .decode_vec(quad.as_slice(), out)
            .map_err(|e| Error::InvalidMessage(format!("bad base64 body: {e}")))?;
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
                        return Err(Error::InvalidMessage(
                            "invalid character in base64 body".into(),
                        ));
                    }
                }
            }
            let whole = symbols.len() / 4 * 4;
            self.quad = symbols.split_off(whole);
            LENIENT_BASE64
                .decode_vec(symbols.as_slice(), &mut self.out)
                .map_err(|e| Error::InvalidMessage(format!("bad base64 body: {e}")))?;
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

/// Carries our [`Error`] through `std::io::Read`; [`from_io`] unwraps it.
pub(crate) fn into_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// The inverse of [`into_io`].
pub(crate) fn from_io(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(ours) = inner.downcast::<Error>() {
                return *ours;
            }
            return Error::Io(io::Error::other("stream error"));
        }
        return Error::Io(io::Error::other("stream error"));
    }
    Error::Io(e)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

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
                mime::canonicalize(input),
                "chunk size {size}"
            );
        }
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
                    mime::base64_lines(&data),
                    "len {len} split {split}"
                );
            }
        }
    }

    #[test]
    fn base64_reader_decodes_what_the_writer_wrote() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 % 256) as u8).collect();
        let text = mime::base64_lines(&data);
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
        let lines = mime::base64_lines(&data);
        let mut variants = vec![lines.clone()];
        // A space and a tab near every chunk boundary.
        let mut spaced = lines.clone();
        for at in [CHUNK - 2, CHUNK - 1, 2 * CHUNK - 3] {
            spaced.insert(at, b' ');
            spaced.insert(at + 5, b'\t');
        }
        variants.push(spaced);
        // Two padded chunks one after the other, padding across a chunk end.
        let mut padded = mime::base64_lines(b"ab");
        padded.extend(&lines);
        let mut across = vec![b'Q'; CHUNK - 3];
        across.extend_from_slice(b"Q==");
        across.extend_from_slice(b"QUJD");
        variants.push(padded);
        variants.push(across);
        for (i, text) in variants.iter().enumerate() {
            let mut entity = b"Content-Transfer-Encoding: base64\r\n\r\n".to_vec();
            entity.extend_from_slice(text);
            let expected = mime::Entity::parse(&entity).unwrap().decoded_body();
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
            let expected = mime::split_multipart(body.as_bytes(), "b").unwrap();
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

    #[test]
    fn read_head_stops_at_the_blank_line() {
        let mut input = &b"A: 1\r\nB: 2\n\r\nbody\r\n"[..];
        let head = read_head(&mut input).unwrap().unwrap();
        assert_eq!(head, b"A: 1\r\nB: 2\n\r\n");
        assert_eq!(input, b"body\r\n");
        let mut headerless = &b"just text\r\nmore\r\n"[..];
        assert_eq!(
            read_head(&mut headerless).unwrap().unwrap(),
            b"just text\r\n"
        );
    }

    #[test]
    fn scan_finds_unsafe_bytes_long_lines_and_the_boundary() {
        let scan_of = |head: &[u8], body: &[u8]| scan(head, &mut &body[..], b"XYZ").unwrap();
        assert!(scan_of(b"A: 1\r\n\r\n", b"plain\r\n").transport_safe);
        assert!(!scan_of(b"A: 1\r\n\r\n", "gr\u{fc}n".as_bytes()).transport_safe);
        assert!(!scan_of(b"", &[b'a'; 999]).transport_safe);
        assert!(scan_of(b"", &[b'a'; 998]).transport_safe);
        assert!(scan_of(b"..X", b"YZ..").contains_boundary);
        assert!(!scan_of(b"..X", b"Y.Z").contains_boundary);
    }
}
