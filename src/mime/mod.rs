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

mod address;
mod canonical;
mod content_type;
mod encoded_word;
mod entity;
mod header;
mod multipart;
mod protected;
mod scan;
mod transfer;

pub(crate) use address::first_address;
pub(crate) use address::{SenderIssue, all_addresses, check_sender};
pub(crate) use canonical::{canonicalize, prepare_for_signing};
pub(crate) use encoded_word::decode as decode_words;
pub(crate) use entity::{Entity, split_message, with_content_type};
pub(crate) use header::Field;
pub(crate) use header::{HeaderBudget, read_head};
pub(crate) use multipart::{MAX_SIGNATURE_PART, split_multipart, split_signed};
pub(crate) use protected::{HeaderScanner, Protected, protected_headers};
pub(crate) use scan::{canonical_body, streamable};
pub(crate) use transfer::{Base64Reader, Base64Writer, base64_lines, encode_quoted_printable_into};

use crate::error::{Error, MimeError};

/// RFC 5322 §2.1.1: the hard limit on a line, without its CRLF.
const MAX_LINE: usize = 998;

/// RFC 2045 §6.7 (5) and §6.8: encoded lines are at most 76 characters.
const ENCODED_LINE: usize = 76;

/// An [`Error::InvalidMessage`] for `reason`.
fn invalid(reason: MimeError) -> Error {
    Error::InvalidMessage(reason)
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

/// Helpers for the unit tests of every file of this module.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::error::Result;

    pub(crate) fn parse(bytes: &[u8]) -> Entity<'_> {
        Entity::parse(bytes).unwrap_or_else(|e| panic!("parse failed: {e}"))
    }

    pub(crate) fn ok<T>(r: Result<T>) -> T {
        r.unwrap_or_else(|e| panic!("unexpected error: {e}"))
    }

    pub(crate) fn is_invalid<T>(r: Result<T>) -> bool {
        matches!(r, Err(Error::InvalidMessage(_)))
    }

    /// Lines of `bytes` split at CRLF, for checking encoded output.
    pub(crate) fn crlf_lines(bytes: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
            out.push(sub(rest, 0, i));
            rest = sub(rest, i + 2, rest.len());
        }
        out.push(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;
    use crate::mime::content_type::ContentType;

    use crate::mime::transfer::{decode_base64, decode_quoted_printable};

    /// Runs every entry point on `bytes`; the assertion is "no panic".
    fn exercise(bytes: &[u8]) {
        if let Ok(e) = Entity::parse(bytes) {
            let _ = e.decoded_body();
            let _ = e.field("from");
            let ct = e.content_type();
            if let Some(boundary) = ct.param("boundary")
                && let Ok(parts) = split_multipart(e.body(), boundary, &Limits::default())
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
        let _ = split_multipart(bytes, "b", &Limits::default());
        let _ = prepare_for_signing(bytes, &Limits::default());
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
