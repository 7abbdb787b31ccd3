//! MIME plumbing for signing and verifying: just enough RFC 5322 / MIME to
//! find, canonicalize and rebuild the entity a signature covers.
//!
//! - RFC 5322 §2.2 (header fields, §2.2.3 unfolding), §3.4 (addresses);
//! - RFC 2045 §5 (Content-Type, default §5.2), §6 (transfer encodings:
//!   §6.7 quoted-printable, §6.8 base64);
//! - RFC 2046 §5.1.1 (multipart delimiters), RFC 2049 §4 (canonical form);
//! - RFC 2231 (parameter continuations and charsets);
//! - RFC 1847 and RFC 8551 §3.1 (what must be true of an entity before it
//!   is signed, so that no transport can alter it).
//!
//! Everything works on bytes, borrows its input where it can, never panics
//! and is bounded ([`MAX_FIELDS`], [`MAX_HEADER`], and the parts and
//! depth of [`Limits`]): the input is hostile mail.
#![forbid(unsafe_code)]
// wired in by sign.rs / verify.rs
#![allow(dead_code)]

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

use crate::error::{Error, Result};
use crate::limits::{self, Limits};

/// At most this many header fields per entity.
pub(crate) const MAX_FIELDS: usize = 1000;
/// At most this many bytes of header section per entity.
pub(crate) const MAX_HEADER: usize = 1 << 20;
/// The default body parts per multipart ([`Limits::max_parts`]).
#[cfg(test)]
const MAX_PARTS: usize = 10_000;

/// RFC 5322 §2.1.1: the hard limit on a line, without its CRLF.
const MAX_LINE: usize = 998;
/// RFC 2045 §6.7 (5) and §6.8: encoded lines are at most 76 characters.
const ENCODED_LINE: usize = 76;

/// Base64 as mail clients really write it: padding optional, stray bits in
/// the last symbol ignored.
pub(crate) const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidMessage(reason.into())
}

/// `bytes[start..end]`, or empty when out of range (never panics).
fn sub(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end).unwrap_or_default()
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Lines split after each LF. Yields `(line with its line break, content
/// without CRLF / LF)`; a last line without LF is yielded as is.
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines { rest: bytes }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(i) => self.rest.split_at_checked(i + 1)?,
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        let content = match line.strip_suffix(b"\n") {
            Some(c) => c.strip_suffix(b"\r").unwrap_or(c),
            None => line,
        };
        Some((line, content))
    }
}

/// One header field (RFC 5322 §2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    /// The name as written (obsolete whitespace before the colon removed).
    pub(crate) name: String,
    /// The value unfolded (RFC 5322 §2.2.3: line breaks before WSP
    /// removed, the WSP kept), trimmed, lossy UTF-8.
    pub(crate) value: String,
    /// The field exactly as received: name, folding and line ending.
    pub(crate) raw: Vec<u8>,
}

/// An entity split into its header section and body, borrowing the input.
#[derive(Debug, Clone)]
pub(crate) struct Entity<'a> {
    raw: &'a [u8],
    header: &'a [u8],
    body: &'a [u8],
    fields: Vec<Field>,
}

/// If `line` starts a header field, its name and the value after the colon.
fn split_field(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, rest) = line.split_at_checked(colon)?;
    let value = rest.get(1..).unwrap_or_default();
    // RFC 5322 §4.5.3 (obsolete): whitespace may precede the colon.
    let end = name.iter().rposition(|&b| !is_wsp(b))?;
    let name = name.get(..=end)?;
    name.iter()
        .all(|&b| (33..=126).contains(&b))
        .then_some((name, value))
}

/// Whether `line` (with or without its line break) is the first line of a
/// header section for [`Entity::parse`]: a field, not blank, not folded.
pub(crate) fn starts_header(line: &[u8]) -> bool {
    Lines::new(line).next().is_some_and(|(_, content)| {
        content.first().is_some_and(|&b| !is_wsp(b)) && split_field(content).is_some()
    })
}

fn parse_fields(header: &[u8]) -> Result<Vec<Field>> {
    let mut fields: Vec<Field> = Vec::new();
    let mut value: Vec<u8> = Vec::new();
    for (number, (line, content)) in Lines::new(header).enumerate() {
        if content.first().is_some_and(|&b| is_wsp(b)) {
            let Some(field) = fields.last_mut() else {
                return Err(invalid("header section starts with a continuation line"));
            };
            value.extend_from_slice(content);
            field.raw.extend_from_slice(line);
            continue;
        }
        let Some((name, first)) = split_field(content) else {
            return Err(invalid(format!(
                "header line {} is not a field",
                number + 1
            )));
        };
        if let Some(field) = fields.last_mut() {
            field.value = String::from_utf8_lossy(&value).trim().to_owned();
        }
        if fields.len() >= MAX_FIELDS {
            return Err(invalid(format!("more than {MAX_FIELDS} header fields")));
        }
        value.clear();
        value.extend_from_slice(first);
        fields.push(Field {
            name: String::from_utf8_lossy(name).into_owned(),
            value: String::new(),
            raw: line.to_vec(),
        });
    }
    if let Some(field) = fields.last_mut() {
        field.value = String::from_utf8_lossy(&value).trim().to_owned();
    }
    Ok(fields)
}

impl<'a> Entity<'a> {
    /// Splits at the first empty line, accepting CRLF, LF and mixtures
    /// because mail reaches us after transports and tools that rewrite line
    /// ends. Input whose first line is no header field is all body: a
    /// headerless part (RFC 2045 §5.2 defaults apply), not an error.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Entity<'a>> {
        let mut lines = Lines::new(bytes);
        let Some((first, first_content)) = lines.next() else {
            return Ok(Entity {
                raw: bytes,
                header: &[],
                body: &[],
                fields: Vec::new(),
            });
        };
        let all_body = |body: &'a [u8]| Entity {
            raw: bytes,
            header: &[],
            body,
            fields: Vec::new(),
        };
        if first_content.is_empty() {
            // Leading blank line: no header fields at all.
            return Ok(all_body(sub(bytes, first.len(), bytes.len())));
        }
        if first_content.first().is_some_and(|&b| is_wsp(b)) || split_field(first_content).is_none()
        {
            return Ok(all_body(bytes));
        }
        let mut offset = 0;
        let mut split = None;
        for (line, content) in Lines::new(bytes) {
            if content.is_empty() {
                split = Some((offset, offset + line.len()));
                break;
            }
            offset += line.len();
            if offset > MAX_HEADER {
                return Err(invalid("header section larger than 1 MiB"));
            }
        }
        let (header, body) = match split {
            Some((end, body_start)) => (sub(bytes, 0, end), sub(bytes, body_start, bytes.len())),
            None => (bytes, &[][..]),
        };
        Ok(Entity {
            raw: bytes,
            header,
            body,
            fields: parse_fields(header)?,
        })
    }

    /// The whole entity as given, for hashing exactly what was received.
    pub(crate) fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The header section without the blank line.
    pub(crate) fn header_bytes(&self) -> &'a [u8] {
        self.header
    }

    /// `application/pkcs7-mime`, its `x-` variant, or an octet stream named
    /// `*.p7m` (some clients send that); the CMS content type decides the
    /// rest, since `smime-type` is optional and sometimes wrong.
    pub(crate) fn is_pkcs7_mime(&self) -> bool {
        let ct = self.content_type();
        ct.is("application/pkcs7-mime")
            || ct.is("application/x-pkcs7-mime")
            || (ct.is("application/octet-stream")
                && ct
                    .param("name")
                    .is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m")))
    }

    /// The body, still transfer-encoded.
    pub(crate) fn body(&self) -> &'a [u8] {
        self.body
    }

    /// The blank line between header and body as written (empty if none).
    fn separator(&self) -> &'a [u8] {
        let end = self.raw.len().saturating_sub(self.body.len());
        sub(self.raw, self.header.len(), end)
    }

    /// All fields in order, for callers that must keep or copy them.
    pub(crate) fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The first field of that name: field names are case-insensitive
    /// (RFC 5322 §1.2.2) and later duplicates are ignored, as mail clients do.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
    }

    /// The media type, with the RFC 2045 §5.2 default so that callers never
    /// have to special-case a missing or broken field.
    pub(crate) fn content_type(&self) -> ContentType {
        self.field("Content-Type")
            .and_then(ContentType::parse)
            .unwrap_or_else(ContentType::default_text)
    }

    /// The transfer encoding token, lowercased; RFC 2045 §6.1 default "7bit".
    pub(crate) fn transfer_encoding(&self) -> String {
        let value = self.field("Content-Transfer-Encoding").unwrap_or("");
        let token = value
            .split(|c: char| c.is_ascii_whitespace() || c == '(' || c == ';')
            .next()
            .unwrap_or("");
        if token.is_empty() {
            "7bit".to_owned()
        } else {
            token.to_ascii_lowercase()
        }
    }

    /// The body as its sender meant it (signatures, certificates, text),
    /// tolerant of what real encoders emit.
    pub(crate) fn decoded_body(&self) -> Result<Vec<u8>> {
        match self.transfer_encoding().as_str() {
            "base64" => decode_base64(self.body),
            "quoted-printable" => Ok(decode_quoted_printable(self.body)),
            "7bit" | "8bit" | "binary" => Ok(self.body.to_vec()),
            other => Err(invalid(format!(
                "unknown Content-Transfer-Encoding {:?}",
                other.chars().take(64).collect::<String>()
            ))),
        }
    }
}

/// Lenient base64 (RFC 2045 §6.8): whitespace anywhere, missing padding,
/// several padded chunks one after another.
fn decode_base64(body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len() / 4 * 3 + 3);
    let mut chunk = Vec::with_capacity(body.len());
    let flush = |chunk: &mut Vec<u8>, out: &mut Vec<u8>| -> Result<()> {
        if chunk.len() % 4 == 1 {
            return Err(invalid("truncated base64 body"));
        }
        LENIENT_BASE64
            .decode_vec(chunk.as_slice(), out)
            .map_err(|e| invalid(format!("bad base64 body: {e}")))?;
        chunk.clear();
        Ok(())
    };
    for &b in body {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' => chunk.push(b),
            b'=' => flush(&mut chunk, &mut out)?,
            b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c => {}
            _ => return Err(invalid("invalid character in base64 body")),
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
fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
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

/// A parsed Content-Type value (RFC 2045 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentType {
    /// Lowercased "type/subtype".
    pub(crate) mime_type: String,
    /// Parameters in order: names lowercased, values unquoted, RFC 2231
    /// continuations joined and charsets decoded.
    params: Vec<(String, String)>,
}

fn is_tspecial(b: u8) -> bool {
    b"()<>@,;:\\\"/[]?=".contains(&b)
}

fn is_token(b: u8) -> bool {
    (33..=126).contains(&b) && !is_tspecial(b)
}

/// A cursor over a structured field value (RFC 5322 §3.2 lexical tokens).
struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    /// Skips whitespace and (nested) comments.
    fn skip_cfws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.bump(),
                Some(b'(') => self.skip_comment(),
                _ => return,
            }
        }
    }

    fn skip_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.bump();
            match b {
                b'\\' => self.bump(),
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.bump();
        }
        sub(self.s, start, self.pos)
    }

    /// A quoted-string, cursor on the opening quote; an unterminated one
    /// runs to the end.
    fn quoted(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.bump();
        while let Some(b) = self.peek() {
            self.bump();
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(next) = self.peek() {
                        out.push(next);
                        self.bump();
                    }
                }
                _ => out.push(b),
            }
        }
        out
    }

    fn skip_past(&mut self, stop: u8) {
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    self.quoted();
                }
                b'(' => self.skip_comment(),
                _ => {
                    self.bump();
                    if b == stop {
                        return;
                    }
                }
            }
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    decode_hex_escapes(s.as_bytes(), b'%', &mut out);
    out
}

/// Appends `bytes` to `out`, turning `<marker>XX` (two hex digits) into
/// the byte XX — quoted-printable's `=XX`, RFC 2231's `%XX`. A malformed
/// escape is kept literally.
fn decode_hex_escapes(bytes: &[u8], marker: u8, out: &mut Vec<u8>) {
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

fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// RFC 2231 §4: `charset'language'text` into charset and text.
fn split_rfc2231(value: &str) -> Option<(&str, &str)> {
    let (charset, rest) = value.split_once('\'')?;
    let (_language, text) = rest.split_once('\'')?;
    Some((charset, text))
}

/// RFC 2231: joins `name*0`, `name*1*`, ... and decodes `name*`.
fn join_rfc2231(raw: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    // (base name, section number, extended, value)
    let mut sections: Vec<(String, u32, bool, String)> = Vec::new();
    for (name, value) in raw {
        let Some((base, rest)) = name.split_once('*') else {
            out.push((name, value));
            continue;
        };
        if rest.is_empty() {
            let (charset, text) = split_rfc2231(&value).unwrap_or(("", &value));
            let decoded = decode_charset(charset, &percent_decode(text));
            out.push((base.to_owned(), decoded));
            continue;
        }
        let (number, extended) = match rest.strip_suffix('*') {
            Some(n) => (n, true),
            None => (rest, false),
        };
        match number.parse::<u32>() {
            Ok(n) if n < 1000 => sections.push((base.to_owned(), n, extended, value)),
            _ => out.push((name, value)),
        }
    }
    sections.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut iter = sections.into_iter().peekable();
    while let Some((base, _, extended, value)) = iter.next() {
        let mut charset = String::new();
        let mut bytes = Vec::new();
        let mut push = |extended: bool, value: &str, first: bool, charset: &mut String| {
            if !extended {
                bytes.extend_from_slice(value.as_bytes());
                return;
            }
            let mut text = value;
            if first && let Some((cs, rest)) = split_rfc2231(value) {
                cs.clone_into(charset);
                text = rest;
            }
            bytes.extend_from_slice(&percent_decode(text));
        };
        push(extended, &value, true, &mut charset);
        while let Some((_, _, extended, value)) = iter.next_if(|s| s.0 == base) {
            push(extended, &value, false, &mut charset);
        }
        out.push((base, decode_charset(&charset, &bytes)));
    }
    out
}

impl ContentType {
    /// RFC 2045 §5.2: what a part without (a usable) Content-Type is.
    fn default_text() -> ContentType {
        ContentType {
            mime_type: "text/plain".to_owned(),
            params: vec![("charset".to_owned(), "us-ascii".to_owned())],
        }
    }

    /// Parses a field value, tolerating comments, odd spacing, unquoted
    /// values with specials and missing semicolons; `None` when there is no
    /// "type/subtype", so callers apply the default.
    pub(crate) fn parse(value: &str) -> Option<ContentType> {
        let mut c = Cursor {
            s: value.as_bytes(),
            pos: 0,
        };
        c.skip_cfws();
        let main = c.take_while(is_token).to_vec();
        c.skip_cfws();
        if c.peek() != Some(b'/') {
            return None;
        }
        c.bump();
        c.skip_cfws();
        let subtype = c.take_while(is_token).to_vec();
        if main.is_empty() || subtype.is_empty() {
            return None;
        }
        let mime_type = format!(
            "{}/{}",
            String::from_utf8_lossy(&main),
            String::from_utf8_lossy(&subtype)
        )
        .to_ascii_lowercase();

        let mut raw = Vec::new();
        loop {
            c.skip_cfws();
            match c.peek() {
                None => break,
                Some(b';') => {
                    c.bump();
                    continue;
                }
                Some(_) => {}
            }
            let name = c.take_while(is_token).to_ascii_lowercase();
            c.skip_cfws();
            if name.is_empty() || c.peek() != Some(b'=') {
                c.skip_past(b';');
                continue;
            }
            c.bump();
            c.skip_cfws();
            let value = if c.peek() == Some(b'"') {
                c.quoted()
            } else {
                c.take_while(|b| b != b';' && !b.is_ascii_whitespace())
                    .to_vec()
            };
            raw.push((
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            ));
        }
        Some(ContentType {
            mime_type,
            params: join_rfc2231(raw),
        })
    }

    /// The first parameter of that name (names are case-insensitive).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is `mime_type` ("type/subtype", any case).
    pub(crate) fn is(&self, mime_type: &str) -> bool {
        self.mime_type.eq_ignore_ascii_case(mime_type)
    }

    /// Whether the body is a multipart (RFC 2046 §5.1) to split.
    pub(crate) fn is_multipart(&self) -> bool {
        self.mime_type.starts_with("multipart/")
    }
}

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
fn multipart_spans(body: &[u8], boundary: &str, max_parts: usize) -> Result<Vec<(usize, usize)>> {
    if boundary.is_empty() {
        return Err(invalid("empty multipart boundary"));
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
        return Err(invalid("multipart body without its boundary delimiter"));
    }
    if spans.is_empty() {
        return Err(invalid("multipart body without body parts"));
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
pub(crate) fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>> {
    split_multipart_with(body, boundary, &Limits::default())
}

/// [`split_multipart`] with [`Limits::max_parts`] from `limits`.
pub(crate) fn split_multipart_with<'a>(
    body: &'a [u8],
    boundary: &str,
    limits: &Limits,
) -> Result<Vec<&'a [u8]>> {
    Ok(multipart_spans(body, boundary, limits.max_parts)?
        .into_iter()
        .map(|(start, end)| sub(body, start, end))
        .collect())
}

/// Every bare LF and bare CR becomes CRLF: RFC 5322 / RFC 2049 §4
/// canonical form, the only form in which a signature survives transport.
pub(crate) fn canonicalize(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32 + 2);
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
    out
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

/// Quoted-printable (RFC 2045 §6.7) of canonical CRLF text, keeping its
/// line structure. "From " at the start of a line is encoded too, so mbox
/// "From " quoting cannot break the signature.
fn encode_quoted_printable(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 8 + 8);
    let mut rest = text;
    loop {
        let (line, next) = match rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => (sub(rest, 0, i), Some(sub(rest, i + 2, rest.len()))),
            None => (rest, None),
        };
        encode_qp_line(line, &mut out);
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
    out
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

/// Header fields canonicalized, the Content-Transfer-Encoding replaced (or
/// added) when `encoding` is given, then the blank line and `body`.
fn assemble(entity: &Entity<'_>, encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entity.header.len() + body.len() + 64);
    let mut replaced = false;
    let push_cte = |out: &mut Vec<u8>, encoding: &str| {
        out.extend_from_slice(b"Content-Transfer-Encoding: ");
        out.extend_from_slice(encoding.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    for field in &entity.fields {
        if let Some(encoding) = encoding
            && field.name.eq_ignore_ascii_case("Content-Transfer-Encoding")
        {
            if !replaced {
                push_cte(&mut out, encoding);
                replaced = true;
            }
            continue;
        }
        out.extend_from_slice(&canonicalize(&field.raw));
        if !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(encoding) = encoding
        && !replaced
    {
        push_cte(&mut out, encoding);
    }
    if !entity.separator().is_empty() || encoding.is_some() {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(body);
    out
}

fn prepare(bytes: &[u8], depth: usize, limits: &Limits) -> Result<Vec<u8>> {
    limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
    let entity = Entity::parse(bytes)?;
    let content_type = entity.content_type();
    let encoding = entity.transfer_encoding();
    let identity = matches!(encoding.as_str(), "7bit" | "8bit" | "binary");
    if content_type.is_multipart() {
        let Some(boundary) = content_type.param("boundary") else {
            return Err(invalid("multipart entity without boundary parameter"));
        };
        let body = entity.body;
        let mut rebuilt = Vec::with_capacity(body.len() + body.len() / 16);
        let mut pos = 0;
        for (start, end) in multipart_spans(body, boundary, limits.max_parts)? {
            rebuilt.extend_from_slice(&canonicalize(sub(body, pos, start)));
            rebuilt.extend_from_slice(&prepare(sub(body, start, end), depth + 1, limits)?);
            pos = end;
        }
        rebuilt.extend_from_slice(&canonicalize(sub(body, pos, body.len())));
        return Ok(assemble(&entity, None, &rebuilt));
    }
    if content_type.is("message/rfc822") && identity {
        // RFC 2046 §5.2.1: no encoding allowed here; make the inner message safe.
        let inner = prepare(entity.body, depth + 1, limits)?;
        return Ok(assemble(&entity, None, &inner));
    }
    if identity && needs_encoding(entity.body) {
        if content_type.mime_type.starts_with("text/") {
            let qp = encode_quoted_printable(&canonicalize(entity.body));
            return Ok(assemble(&entity, Some("quoted-printable"), &qp));
        }
        // Binary content is not line-oriented: encode the bytes as they are.
        let b64 = base64_lines(entity.body);
        return Ok(assemble(&entity, Some("base64"), &b64));
    }
    Ok(canonicalize(bytes))
}

/// Makes a MIME entity safe to sign (RFC 8551 §3.1.1-3.1.2): a signature
/// covers bytes, and transports rewrite line ends, 8-bit bytes and long
/// lines, so the entity is put in canonical CRLF form and every leaf that
/// would not survive a 7-bit transport is re-encoded (quoted-printable for
/// text, base64 otherwise), recursively through multiparts and
/// message/rfc822. Everything else stays byte-exact.
pub(crate) fn prepare_for_signing(entity: &[u8]) -> Result<Vec<u8>> {
    prepare(entity, 0, &Limits::default())
}

/// [`prepare_for_signing`] within `limits` (MIME depth, parts).
pub(crate) fn prepare_for_signing_with(entity: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    prepare(entity, 0, limits)
}

/// The entity with an explicit `Content-Type` (RFC 2045 §5.2's default
/// when it had none), so the decrypted content always reads as MIME.
pub(crate) fn with_content_type(entity: Vec<u8>) -> Result<Vec<u8>> {
    let parsed = Entity::parse(&entity)?;
    if parsed.field("Content-Type").is_some() {
        return Ok(entity);
    }
    let mut out = b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec();
    let header_less =
        parsed.fields().is_empty() && !entity.starts_with(b"\r\n") && !entity.starts_with(b"\n");
    if header_less {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&entity);
    Ok(out)
}

/// Fields that only a whole message (not a bare MIME entity) has.
const MESSAGE_FIELDS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Sender",
    "Reply-To",
    "Cc",
];

fn is_content_field(name: &str) -> bool {
    name.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("Content-"))
}

/// Splits a whole RFC 5322 message into the header fields that stay
/// outside the signature (routing and display: everything except
/// MIME-Version and Content-*, each raw with a CRLF ending) and the entity
/// to sign (the Content-* fields as received, the blank line, the body).
/// Input without any message field is already a bare entity and is
/// returned unchanged.
pub(crate) fn split_message(message: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let entity = Entity::parse(message)?;
    let is_message = entity.fields.iter().any(|f| {
        MESSAGE_FIELDS
            .iter()
            .any(|m| f.name.eq_ignore_ascii_case(m))
    });
    if !is_message {
        return Ok((Vec::new(), message.to_vec()));
    }
    let mut outer = Vec::with_capacity(entity.header.len());
    let mut inner = Vec::with_capacity(message.len().saturating_sub(outer.capacity()));
    for field in &entity.fields {
        if is_content_field(&field.name) {
            inner.extend_from_slice(&field.raw);
            if !field.raw.ends_with(b"\n") {
                inner.extend_from_slice(b"\r\n");
            }
        } else if !field.name.eq_ignore_ascii_case("MIME-Version") {
            outer.extend_from_slice(&canonicalize(&field.raw));
            if !outer.ends_with(b"\r\n") {
                outer.extend_from_slice(b"\r\n");
            }
        }
    }
    let separator = entity.separator();
    inner.extend_from_slice(if separator.is_empty() {
        b"\r\n"
    } else {
        separator
    });
    inner.extend_from_slice(entity.body);
    Ok((outer, inner))
}

/// Comments (nested, RFC 5322 §3.2.2) replaced by a space, quoted strings
/// kept with their escapes.
fn strip_comments(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    let mut quoted = false;
    let mut depth = 0usize;
    while let Some(c) = chars.next() {
        if depth > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\\' if quoted => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
                continue;
            }
            '"' => quoted = !quoted,
            '(' if !quoted => {
                depth = 1;
                out.push(' ');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// The mailboxes of an address list as text, group names dropped.
fn mailbox_items(list: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars();
    let (mut quoted, mut angle) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                continue;
            }
            '"' => quoted = !quoted,
            _ if quoted => {}
            '<' => angle = true,
            '>' => angle = false,
            _ if angle => {}
            ',' | ';' => {
                items.push(std::mem::take(&mut current));
                continue;
            }
            ':' => {
                // group: the display name before the colon is no mailbox
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current);
    items
}

/// Splits at ASCII whitespace outside quoted strings.
fn words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = None;
    for (i, c) in s.char_indices() {
        let boundary = c.is_ascii_whitespace() && !quoted;
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        }
        match (boundary, start) {
            (true, Some(s0)) => {
                out.extend(s.get(s0..i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s0) = start {
        out.extend(s.get(s0..));
    }
    out
}

fn looks_like_addr_spec(candidate: &str) -> bool {
    let Some((local, domain)) = candidate.rsplit_once('@') else {
        return false;
    };
    let specials = |c: char| c.is_whitespace() || "<>()[]\\,;:\"@".contains(c);
    let local_ok = if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        true
    } else {
        !local.is_empty() && !local.contains(specials)
    };
    let domain_ok = if domain.starts_with('[') {
        domain.len() >= 2 && domain.ends_with(']') && !domain.contains(char::is_whitespace)
    } else {
        !domain.is_empty()
            && !domain.contains(specials)
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
    };
    local_ok && domain_ok
}

/// The addr-spec of one mailbox: inside `<...>` if there is one (source
/// route dropped), else the word that looks like an address.
fn addr_of(item: &str) -> Option<String> {
    let mut quoted = false;
    let mut escaped = false;
    let mut angle_start = None;
    for (i, c) in item.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == '<' && !quoted {
            angle_start = Some(i + 1);
            break;
        }
    }
    if let Some(start) = angle_start {
        let inner = item.get(start..).unwrap_or("");
        let inner = inner.split('>').next().unwrap_or("").trim();
        // RFC 5322 §4.4 obsolete route: "<@relay1,@relay2:user@host>"
        let inner = match inner.strip_prefix('@') {
            Some(route) => route.split_once(':').map_or(inner, |(_, a)| a.trim()),
            None => inner,
        };
        return looks_like_addr_spec(inner).then(|| inner.to_owned());
    }
    words(item)
        .into_iter()
        .find(|w| looks_like_addr_spec(w))
        .map(str::to_owned)
}

/// The addr-spec of the first mailbox in an address-list value (RFC 5322
/// §3.4), to match a From or Sender against the signer's certificate
/// (RFC 8550 §3). Comments are ignored, quoted strings and groups
/// respected; `None` when nothing looks like local@domain.
pub(crate) fn first_address(header_value: &str) -> Option<String> {
    let cleaned = strip_comments(header_value);
    mailbox_items(&cleaned)
        .iter()
        .find_map(|item| addr_of(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Entity<'_> {
        Entity::parse(bytes).unwrap_or_else(|e| panic!("parse failed: {e}"))
    }

    fn ok<T>(r: Result<T>) -> T {
        r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    fn is_invalid<T>(r: Result<T>) -> bool {
        matches!(r, Err(Error::InvalidMessage(_)))
    }

    /// Lines of `bytes` split at CRLF, for checking encoded output.
    fn crlf_lines(bytes: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            out.push(sub(rest, 0, i));
            rest = sub(rest, i + 2, rest.len());
        }
        out.push(rest);
        out
    }

    #[test]
    fn header_unfolding() {
        let msg = b"Subject: hello\r\n world\r\n\tagain \r\nX-Empty:\r\nTo : a@b.c\r\n\r\nbody\r\n";
        let e = parse(msg);
        assert_eq!(e.field("subject"), Some("hello world\tagain"));
        assert_eq!(e.field("X-EMPTY"), Some(""));
        assert_eq!(e.field("to"), Some("a@b.c"));
        assert_eq!(e.fields().len(), 3);
        assert_eq!(
            e.fields().first().map(|f| f.raw.as_slice()),
            Some(&b"Subject: hello\r\n world\r\n\tagain \r\n"[..])
        );
        assert_eq!(e.fields().get(2).map(|f| f.name.as_str()), Some("To"));
        assert_eq!(e.header_bytes(), sub(msg, 0, msg.len() - 8));
        assert_eq!(e.body(), b"body\r\n");
        assert_eq!(e.raw(), msg);
    }

    #[test]
    fn lf_only_and_mixed_line_ends() {
        let e = parse(b"From: a@b.c\nSubject: x\n y\n\nbody\nmore\n");
        assert_eq!(e.header_bytes(), b"From: a@b.c\nSubject: x\n y\n");
        assert_eq!(e.field("Subject"), Some("x y"));
        assert_eq!(e.body(), b"body\nmore\n");

        let e = parse(b"A: 1\r\n\nbody");
        assert_eq!(
            (e.header_bytes(), e.body()),
            (&b"A: 1\r\n"[..], &b"body"[..])
        );
        let e = parse(b"A: 1\n\r\nbody");
        assert_eq!((e.header_bytes(), e.body()), (&b"A: 1\n"[..], &b"body"[..]));
    }

    #[test]
    fn header_edge_cases() {
        // No blank line, fields only: all header.
        let e = parse(b"A: 1\r\nB: 2");
        assert_eq!((e.fields().len(), e.body()), (2, &b""[..]));
        // First line is no field: all body.
        let e = parse(b"just text\r\nA: b\r\n");
        assert!(e.fields().is_empty());
        assert_eq!(e.body(), b"just text\r\nA: b\r\n");
        let e = parse(b" indented: x\n\nbody");
        assert!(e.fields().is_empty());
        assert_eq!(e.body(), b" indented: x\n\nbody");
        // Leading blank line: empty header, all body.
        let e = parse(b"\r\nA: b\r\n");
        assert!(e.fields().is_empty());
        assert_eq!((e.header_bytes(), e.body()), (&b""[..], &b"A: b\r\n"[..]));
        // Empty input.
        let e = parse(b"");
        assert!(e.fields().is_empty() && e.body().is_empty());
        // A later line that is neither field nor continuation.
        assert!(is_invalid(Entity::parse(
            b"A: 1\r\nnot a field\r\n\r\nbody"
        )));
        assert!(is_invalid(Entity::parse(b"A: 1\r\n: no name\r\n\r\n")));
    }

    #[test]
    fn header_limits() {
        let many = "X: y\r\n".repeat(MAX_FIELDS);
        assert_eq!(
            parse(format!("{many}\r\nbody").as_bytes()).fields().len(),
            MAX_FIELDS
        );
        assert!(is_invalid(Entity::parse(
            format!("{many}X: z\r\n\r\nbody").as_bytes()
        )));
        let huge = format!("X: {}\r\n\r\nbody", "a".repeat(MAX_HEADER));
        assert!(is_invalid(Entity::parse(huge.as_bytes())));
        // A big body is fine.
        let big = format!("X: y\r\n\r\n{}", "a".repeat(2 * MAX_HEADER));
        assert_eq!(parse(big.as_bytes()).body().len(), 2 * MAX_HEADER);
    }

    #[test]
    fn content_type_parameters() {
        let ct = ContentType::parse(
            "Multipart/Signed; protocol=\"application/pkcs7-signature\";\r\n\tMICALG=SHA-256; (comment) boundary=\"a \\\"b\\\\;c\"",
        );
        let Some(ct) = ct else {
            panic!("no content type")
        };
        assert_eq!(ct.mime_type, "multipart/signed");
        assert!(ct.is("multipart/SIGNED") && ct.is_multipart());
        assert_eq!(ct.param("protocol"), Some("application/pkcs7-signature"));
        assert_eq!(ct.param("MicAlg"), Some("SHA-256"));
        assert_eq!(ct.param("boundary"), Some("a \"b\\;c"));
        assert_eq!(ct.param("charset"), None);

        // Unquoted values with specials, odd spacing, trailing semicolon.
        let ct = ContentType::parse(" text / plain ;charset = UTF-8 ; boundary=----=_Part_1;")
            .unwrap_or_else(ContentType::default_text);
        assert_eq!(ct.mime_type, "text/plain");
        assert_eq!(ct.param("charset"), Some("UTF-8"));
        assert_eq!(ct.param("boundary"), Some("----=_Part_1"));

        // RFC 2231 continuations and charset.
        let ct = ContentType::parse(
            "application/x-stuff; title*0*=us-ascii'en'This%20is%20; title*1=\"fun\"; name*=utf-8''caf%C3%A9",
        )
        .unwrap_or_else(ContentType::default_text);
        assert_eq!(ct.param("title"), Some("This is fun"));
        assert_eq!(ct.param("name"), Some("café"));

        assert!(ContentType::parse("garbage").is_none());
        assert!(ContentType::parse("text/").is_none());
        assert!(ContentType::parse("").is_none());
    }

    #[test]
    fn content_type_default() {
        let e = parse(b"Subject: x\r\n\r\nbody");
        let ct = e.content_type();
        assert!(ct.is("text/plain"));
        assert_eq!(ct.param("charset"), Some("us-ascii"));
        let e = parse(b"Content-Type: nonsense\r\n\r\nbody");
        assert!(e.content_type().is("text/plain"));
        let e = parse(b"content-type: Application/PKCS7-MIME; smime-type=signed-data\r\n\r\n");
        assert!(e.content_type().is("application/pkcs7-mime"));
        assert_eq!(e.content_type().param("smime-type"), Some("signed-data"));
    }

    #[test]
    fn transfer_encoding_values() {
        assert_eq!(parse(b"A: b\r\n\r\n").transfer_encoding(), "7bit");
        let e = parse(b"Content-Transfer-Encoding:  BASE64 (comment)\r\n\r\n");
        assert_eq!(e.transfer_encoding(), "base64");
        let e = parse(b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin");
        assert!(is_invalid(e.decoded_body()));
        let e = parse(b"Content-Transfer-Encoding: 8bit\r\n\r\n\xffbody\n");
        assert_eq!(ok(e.decoded_body()), b"\xffbody\n");
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
    fn multipart_crlf_byte_exact() {
        let parts = ok(split_multipart(MULTIPART_CRLF, "b1"));
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
        let parts = ok(split_multipart(&lf, "b1"));
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
        let outer = ok(split_multipart(body, "a"));
        assert_eq!(outer.len(), 1);
        let part = outer.first().copied().unwrap_or_default();
        assert!(
            part.ends_with(b"--ab--"),
            "{:?}",
            String::from_utf8_lossy(part)
        );
        let entity = parse(part);
        assert_eq!(entity.content_type().param("boundary"), Some("ab"));
        let inner = ok(split_multipart(entity.body(), "ab"));
        assert_eq!(inner, vec![&b"inner\r\n--a--b"[..]]);
        // "--a" inside text is no delimiter unless it starts a line.
        assert!(is_invalid(split_multipart(b"x --a\r\n", "a")));
    }

    #[test]
    fn multipart_missing_close_and_errors() {
        let parts = ok(split_multipart(b"pre\r\n--b\r\none\r\n--b\r\ntwo\r\n", "b"));
        assert_eq!(parts, vec![&b"one"[..], &b"two\r\n"[..]]);
        assert!(is_invalid(split_multipart(b"no delimiter here\r\n", "b")));
        assert!(is_invalid(split_multipart(b"--b--\r\n", "b")));
        assert!(is_invalid(split_multipart(b"--\r\n", "")));
        assert!(is_invalid(split_multipart(b"", "b")));
        let many = "--b\r\n".repeat(MAX_PARTS + 1);
        assert!(matches!(
            split_multipart(many.as_bytes(), "b"),
            Err(Error::LimitExceeded {
                limit: "max_parts",
                ..
            })
        ));
        let enough = "--b\r\n".repeat(MAX_PARTS);
        assert_eq!(ok(split_multipart(enough.as_bytes(), "b")).len(), MAX_PARTS);
    }

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
    fn canonicalize_line_ends() {
        assert_eq!(
            canonicalize(b"a\nb\r\nc\rd\r\r\ne\n\n"),
            b"a\r\nb\r\nc\r\nd\r\n\r\ne\r\n\r\n"
        );
        assert_eq!(canonicalize(b""), b"");
        assert_eq!(canonicalize(b"\r"), b"\r\n");
        assert_eq!(canonicalize(b"x\r\n"), b"x\r\n");
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
        let out = ok(prepare_for_signing(&input));
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
        let out = ok(prepare_for_signing(input.as_bytes()));
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
        let out = ok(prepare_for_signing(&input));
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
        assert_eq!(ok(prepare_for_signing(input)), canonicalize(input));
        let already = b"Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8=\n";
        assert_eq!(ok(prepare_for_signing(already)), canonicalize(already));
        let qp = b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n";
        assert_eq!(ok(prepare_for_signing(qp)), qp);
        assert_eq!(
            ok(prepare_for_signing(MULTIPART_CRLF)),
            canonicalize(MULTIPART_CRLF)
        );
        let lf = b"Content-Type: multipart/mixed; boundary=q\n\npre\n--q\n\nx\n--q--\npost\n";
        assert_eq!(ok(prepare_for_signing(lf)), canonicalize(lf));
    }

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
        let out = ok(prepare_for_signing(input.as_bytes()));
        assert_7bit_safe(&out);
        let e = parse(&out);
        assert_eq!(
            e.header_bytes(),
            b"Content-Type: multipart/mixed; boundary=\"==b==\"\r\nMIME-Version: 1.0\r\n"
        );
        assert!(e.body().starts_with(b"preamble\r\n--==b==\r\n"));
        assert!(e.body().ends_with(b"\r\n--==b==--\r\nepilogue\r\n"));
        assert!(e.body().windows(10).any(|w| w == b"--==b== \r\n"));
        let parts = ok(split_multipart(e.body(), "==b=="));
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
        let out = ok(prepare_for_signing(input));
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
        let err = prepare_for_signing(&deep).unwrap_err();
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
            b"Content-Type: multipart/mixed\r\n\r\nx"
        )));
        assert!(is_invalid(prepare_for_signing(
            b"Content-Type: multipart/mixed; boundary=z\r\n\r\nno parts"
        )));
    }

    #[test]
    fn split_message_outer_and_inner() {
        let msg = b"From: Alice <alice@example.org>\n\
To: bob@example.org\n\
Subject: hi\n\x20there\n\
MIME-Version: 1.0\n\
Content-Type: text/plain; charset=utf-8\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\n\
content-transfer-encoding: 8bit\n\
\n\
body\n";
        let (outer, inner) = ok(split_message(msg));
        assert_eq!(
            outer,
            b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hi\r\n there\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        );
        assert_eq!(
            inner,
            b"Content-Type: text/plain; charset=utf-8\ncontent-transfer-encoding: 8bit\n\nbody\n"
        );
        let bare = b"Content-Type: text/plain\r\n\r\nbody\r\n";
        assert_eq!(ok(split_message(bare)), (Vec::new(), bare.to_vec()));
        let (outer, inner) = ok(split_message(b"Subject: only header"));
        assert_eq!(
            (outer.as_slice(), inner.as_slice()),
            (&b"Subject: only header\r\n"[..], &b"\r\n"[..])
        );
    }

    #[test]
    fn first_address_forms() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Alice <alice@example.org>", Some("alice@example.org")),
            ("\"Doe, John\" <j@x.org>, other@x.org", Some("j@x.org")),
            ("alice@example.org (Alice)", Some("alice@example.org")),
            ("<a@b.c>", Some("a@b.c")),
            ("  < a@b.c >  ", Some("a@b.c")),
            ("team: a@b.c, d@e.f;", Some("a@b.c")),
            ("undisclosed-recipients:;, z@y.x", Some("z@y.x")),
            (
                "(x@evil.org (nested) ) bob@example.org",
                Some("bob@example.org"),
            ),
            (
                "Bob (x@evil.org) <bob@example.org>",
                Some("bob@example.org"),
            ),
            ("\"a@b <c@d>\" <real@x.org>", Some("real@x.org")),
            ("\"john doe\"@example.org", Some("\"john doe\"@example.org")),
            (
                "<@relay.example:user@example.org>",
                Some("user@example.org"),
            ),
            ("=?utf-8?q?J=C3=BCrgen?= <j@x.org>", Some("j@x.org")),
            ("user@[192.0.2.1]", Some("user@[192.0.2.1]")),
            ("first, second@x.org", Some("second@x.org")),
            ("", None),
            ("Alice", None),
            ("undisclosed-recipients:;", None),
            ("a@", None),
            ("@b.c", None),
            ("<a@b..c>", None),
            ("\"unterminated <a@b.c>", None),
            ("(unterminated comment a@b.c", None),
        ];
        for (input, expected) in cases {
            assert_eq!(first_address(input).as_deref(), *expected, "{input:?}");
        }
    }

    /// Runs every entry point on `bytes`; the assertion is "no panic".
    fn exercise(bytes: &[u8]) {
        if let Ok(e) = Entity::parse(bytes) {
            let _ = e.decoded_body();
            let _ = e.field("from");
            let ct = e.content_type();
            if let Some(boundary) = ct.param("boundary")
                && let Ok(parts) = split_multipart(e.body(), boundary)
            {
                for part in parts {
                    if let Ok(p) = Entity::parse(part) {
                        let _ = p.decoded_body();
                    }
                }
            }
            for f in e.fields() {
                let _ = first_address(&f.value);
                let _ = ContentType::parse(&f.value);
            }
        }
        let _ = split_multipart(bytes, "b");
        let _ = prepare_for_signing(bytes);
        let _ = split_message(bytes);
        let _ = canonicalize(bytes);
        let _ = decode_base64(bytes);
        let _ = decode_quoted_printable(bytes);
        let text = String::from_utf8_lossy(bytes);
        let _ = first_address(&text);
        let _ = ContentType::parse(&text);
    }

    #[test]
    fn fuzzish_no_panic() {
        let sample = b"From: \"A (b)\" <a@b.c>\r\nSubject: s\r\n t\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\
\r\npre\r\n--b\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n--bb\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
caf=C3=A9 =\r\nx=ZZ\r\n--bb\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xc3\xa9\r\n\
--bb--\r\n--b\r\nContent-Type: application/pkcs7-signature; name*0=smime; name*1=.p7s\r\n\
Content-Transfer-Encoding: base64\r\n\r\nMIIB\r\nAAAA=\r\n--b--\r\nepilogue\r\n";
        for end in 0..=sample.len() {
            exercise(sample.get(..end).unwrap_or_default());
        }

        let tokens: &[&[u8]] = &[
            b"\r\n",
            b"\n",
            b"\r",
            b" ",
            b"\t",
            b":",
            b";",
            b"=",
            b"\"",
            b"\\",
            b"(",
            b")",
            b"<",
            b">",
            b"@",
            b",",
            b"--b",
            b"--b--",
            b"--",
            b"From: ",
            b"Content-Type: multipart/mixed; boundary=b\r\n",
            b"Content-Type: text/plain\r\n",
            b"Content-Transfer-Encoding: base64\r\n",
            b"Content-Transfer-Encoding: quoted-printable\r\n",
            b"Content-Type: message/rfc822\r\n",
            b"=C3",
            b"=\r\n",
            b"*0*=",
            b"'",
            b"%",
            b"\xff",
            b"\0",
            b"QUJD",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = (next() % 96) as usize;
            let mut input = Vec::new();
            for _ in 0..len {
                let r = next();
                if r % 3 == 0 {
                    input.push((r >> 8) as u8);
                } else {
                    let i = (r >> 8) as usize % tokens.len();
                    input.extend_from_slice(tokens.get(i).copied().unwrap_or_default());
                }
            }
            exercise(&input);
        }
    }
}
