//! A MIME entity (RFC 2045 §2.4) split into header fields and body, and
//! the whole-message operations on top of it: the outer header fields
//! that stay outside a signature or envelope (RFC 8551 §3.1), the RFC 2045
//! §5.2 default Content-Type.
#![forbid(unsafe_code)]

use super::content_type::ContentType;
use super::header::{Field, HeaderBudget, MAX_HEADER, parse_fields, split_field};
use super::transfer::{decode_base64, decode_quoted_printable};
use super::{Lines, canonicalize, invalid, is_wsp, sub};
use crate::error::{MimeError, Result};

/// An entity split into its header section and body, borrowing the input.
#[derive(Debug, Clone)]
pub(crate) struct Entity<'a> {
    raw: &'a [u8],
    header: &'a [u8],
    body: &'a [u8],
    fields: Vec<Field>,
}

impl<'a> Entity<'a> {
    /// Splits at the first empty line, accepting CRLF, LF and mixtures
    /// because mail reaches us after transports and tools that rewrite line
    /// ends. Input whose first line is no header field is all body: a
    /// headerless part (RFC 2045 §5.2 defaults apply), not an error.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Entity<'a>> {
        Self::parse_charged(bytes, None)
    }

    /// [`Entity::parse`] of a part within a walk: its header section is
    /// charged to `headers` before any field is copied out of it, and its
    /// parameters counted.
    pub(crate) fn parse_within(bytes: &'a [u8], headers: &mut HeaderBudget) -> Result<Entity<'a>> {
        let entity = Self::parse_charged(bytes, Some(headers))?;
        headers.count_params(&entity)?;
        Ok(entity)
    }

    fn parse_charged(bytes: &'a [u8], headers: Option<&mut HeaderBudget>) -> Result<Entity<'a>> {
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
                return Err(invalid(MimeError::HeaderTooLarge));
            }
        }
        let (header, body) = match split {
            Some((end, body_start)) => (sub(bytes, 0, end), sub(bytes, body_start, bytes.len())),
            None => (bytes, &[][..]),
        };
        if let Some(headers) = headers {
            headers.charge_bytes(header.len())?;
        }
        Ok(Entity {
            raw: bytes,
            header,
            body,
            fields: parse_fields(header)?,
        })
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
    pub(crate) fn separator(&self) -> &'a [u8] {
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
            other => Err(invalid(MimeError::UnknownTransferEncoding(
                other.chars().take(64).collect::<String>(),
            ))),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::header::MAX_FIELDS;
    use crate::mime::test_support::*;

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
}
