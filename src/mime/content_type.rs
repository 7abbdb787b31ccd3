//! Content-Type values (RFC 2045 §5.1) with RFC 2231 parameter
//! continuations and charsets.
#![forbid(unsafe_code)]

use super::sub;
use super::transfer::decode_hex_escapes;
use crate::error::{Error, MimeError, Result};

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

    /// Skips past the next `stop` outside quoted-strings and comments;
    /// whether there was one.
    fn skip_past(&mut self, stop: u8) -> bool {
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    self.quoted();
                }
                b'(' => self.skip_comment(),
                _ => {
                    self.bump();
                    if b == stop {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// The parameters of a structured field value (RFC 2045 §5.1): the `;`
/// outside quoted-strings and comments, counted in one pass.
pub(super) fn count_params(value: &str) -> usize {
    let mut c = Cursor {
        s: value.as_bytes(),
        pos: 0,
    };
    let mut count = 0;
    while c.skip_past(b';') {
        count += 1;
    }
    count
}

/// At most this many parameters are parsed from one field value (a
/// message with more is refused by `Limits::max_header_params` where a
/// walk charges its entities; this bounds every other reader).
const MAX_PARSED_PARAMS: usize = 1024;

fn percent_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    decode_hex_escapes(s.as_bytes(), b'%', &mut out);
    out
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
    pub(crate) fn default_text() -> ContentType {
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
        while raw.len() < MAX_PARSED_PARAMS {
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
                let _ = c.skip_past(b';');
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

    /// The `boundary` parameter of a multipart (RFC 2046 §5.1.1), which
    /// must be present.
    pub(crate) fn boundary(&self) -> Result<&str> {
        self.param("boundary").ok_or_else(|| {
            Error::InvalidMessage(MimeError::MissingBoundary {
                media_type: self.mime_type.clone(),
            })
        })
    }

    /// Whether the body is a multipart (RFC 2046 §5.1) to split.
    pub(crate) fn is_multipart(&self) -> bool {
        self.mime_type.starts_with("multipart/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

        assert_eq!(count_params("text/plain"), 0);
        assert_eq!(count_params("text/plain; a=1; b=\"x;y\" (c;d); e=2"), 3);
        let many = format!("text/plain{}", "; p=v".repeat(5000));
        assert_eq!(count_params(&many), 5000);
        assert_eq!(
            ContentType::parse(&many).map(|ct| ct.params.len()),
            Some(MAX_PARSED_PARAMS)
        );

        assert!(ContentType::parse("garbage").is_none());
        assert!(ContentType::parse("text/").is_none());
        assert!(ContentType::parse("").is_none());
    }
}
