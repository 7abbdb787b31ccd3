//! Header protection: the header fields a signed content carries for a
//! client to show instead of the outer ones (RFC 8551 §3.1 `message/rfc822`
//! wrapping, the legacy `protected-headers` Content-Type parameter, RFC
//! 9788 §2.1.1 `hp="clear"` / `hp="cipher"`), found by one incremental
//! scanner fed the content as it passes. In memory the whole content is
//! fed at once, streaming chunk by chunk: both see the same fields, and
//! the whole header section (up to [`MAX_HEADER`], beyond which the
//! section is unreadable, never silently cut).
#![forbid(unsafe_code)]

use super::entity::Entity;
use super::header::MAX_HEADER;
use crate::error::MimeError;

/// What the signed content says about protected header fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Protected {
    /// The content protects no header fields.
    None,
    /// The protected header section's `From` and `Sender` values.
    Fields {
        /// `From` values, in order.
        from: Vec<String>,
        /// `Sender` values, in order.
        sender: Vec<String>,
    },
    /// A header section that had to be read does not parse (or is larger
    /// than [`MAX_HEADER`]): what a client shows cannot be checked.
    Unreadable(MimeError),
    /// A `message/rfc822` content with a transfer encoding RFC 2046 §5.2.1
    /// forbids for it: its header is not read.
    EncodedMessage(String),
}

enum Stage {
    /// Reading the content's own header section.
    Content,
    /// Reading the header of the `message/rfc822` inside.
    Inner,
    Done(Protected),
}

/// Collects the content's header section, and for `message/rfc822` the
/// inner message's, from bytes fed in any chunks.
pub(crate) struct HeaderScanner {
    stage: Stage,
    /// The section being read (complete lines and the partial last one).
    buf: Vec<u8>,
    /// Where the next unexamined line starts in `buf`.
    line_start: usize,
}

impl Default for HeaderScanner {
    fn default() -> Self {
        HeaderScanner {
            stage: Stage::Content,
            buf: Vec::new(),
            line_start: 0,
        }
    }
}

impl HeaderScanner {
    /// Feeds the next bytes of the content.
    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() && !matches!(self.stage, Stage::Done(_)) {
            let take = match memchr::memchr(b'\n', bytes) {
                Some(i) => i + 1,
                None => bytes.len(),
            };
            let (line, rest) = bytes.split_at(take);
            bytes = rest;
            self.buf.extend_from_slice(line);
            if line.last() == Some(&b'\n') {
                self.line_done();
            } else if self.buf.len() > MAX_HEADER + 2 {
                // A partial line this long cannot be the blank line, so the
                // section is over the bound whenever it ends.
                self.stage = Stage::Done(Protected::Unreadable(MimeError::HeaderTooLarge));
            }
        }
    }

    /// The verdict, once the whole content has been fed.
    pub(crate) fn finish(mut self) -> Protected {
        if !matches!(self.stage, Stage::Done(_)) {
            // The last section runs to the end of the content.
            self.section_done(self.buf.len(), self.buf.len());
        }
        match self.stage {
            Stage::Done(protected) => protected,
            _ => Protected::None,
        }
    }

    /// The line from `line_start` to the end of `buf` is complete.
    fn line_done(&mut self) {
        let start = self.line_start;
        let line = self.buf.get(start..).unwrap_or_default();
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let end = self.buf.len();
        if start == 0 && !content.is_empty() && !super::header::starts_header(line) {
            // A headerless entity (all body): no header fields.
            self.section_done(0, 0);
        } else if content.is_empty() {
            self.section_done(start, end);
        } else if end > MAX_HEADER {
            self.stage = Stage::Done(Protected::Unreadable(MimeError::HeaderTooLarge));
        } else {
            self.line_start = end;
        }
    }

    /// The header section is `buf[..header_end]`; the body starts at
    /// `body_start`.
    fn section_done(&mut self, header_end: usize, body_start: usize) {
        let header = self.buf.get(..header_end).unwrap_or_default();
        let entity = match Entity::parse(header) {
            Ok(entity) => entity,
            Err(crate::error::Error::InvalidMessage(why)) => {
                self.stage = Stage::Done(Protected::Unreadable(why));
                return;
            }
            Err(_) => {
                self.stage = Stage::Done(Protected::Unreadable(MimeError::HeaderTooLarge));
                return;
            }
        };
        let values = |name: &str| -> Vec<String> {
            entity
                .fields()
                .iter()
                .filter(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| f.value.clone())
                .collect()
        };
        let fields = || Protected::Fields {
            from: values("From"),
            sender: values("Sender"),
        };
        let next = match self.stage {
            Stage::Inner => Stage::Done(fields()),
            _ => {
                let ct = entity.content_type();
                if ct.is("message/rfc822") {
                    let encoding = entity.transfer_encoding();
                    if matches!(encoding.as_str(), "7bit" | "8bit" | "binary") {
                        Stage::Inner
                    } else {
                        Stage::Done(Protected::EncodedMessage(encoding))
                    }
                } else if ct.param("protected-headers").is_some() || ct.param("hp").is_some() {
                    Stage::Done(fields())
                } else {
                    Stage::Done(Protected::None)
                }
            }
        };
        self.stage = next;
        if matches!(self.stage, Stage::Inner) {
            let body = self.buf.split_off(body_start.min(self.buf.len()));
            self.buf.clear();
            self.line_start = 0;
            self.update(&body);
        } else {
            self.buf = Vec::new();
        }
    }
}

/// [`HeaderScanner`] over a whole content in memory.
pub(crate) fn protected_headers(content: &[u8]) -> Protected {
    let mut scanner = HeaderScanner::default();
    scanner.update(content);
    scanner.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(from: &[&str]) -> Protected {
        Protected::Fields {
            from: from.iter().map(|s| (*s).to_owned()).collect(),
            sender: Vec::new(),
        }
    }

    #[test]
    fn every_marking_is_recognised_in_any_chunking() {
        let cases: &[(&[u8], Protected)] = &[
            (
                b"Content-Type: message/rfc822\r\n\r\nFrom: a@x.org\r\nSubject: s\r\n\r\nbody\r\n",
                fields(&["a@x.org"]),
            ),
            (
                b"Content-Type: text/plain; hp=\"clear\"\r\nFrom: a@x.org\r\nFrom: b@x.org\r\n\r\nbody",
                fields(&["a@x.org", "b@x.org"]),
            ),
            (
                b"Content-Type: multipart/mixed; boundary=b; hp=cipher\nFrom: a@x.org\n\n--b--\n",
                fields(&["a@x.org"]),
            ),
            (
                b"From: a@x.org\r\nContent-Type: text/plain; protected-headers=v1\r\n\r\n",
                fields(&["a@x.org"]),
            ),
            (
                b"From: a@x.org\r\nContent-Type: text/plain\r\n\r\nFrom: b@x.org\r\n",
                Protected::None,
            ),
            (b"just text\r\n", Protected::None),
            (
                b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJvbTog\r\n",
                Protected::EncodedMessage("base64".to_owned()),
            ),
            (
                b"Content-Type: message/rfc822\r\n\r\nFrom: a@x.org",
                fields(&["a@x.org"]),
            ),
        ];
        for (content, expected) in cases {
            assert_eq!(&protected_headers(content), expected, "{content:?}");
            for chunk in [1, 2, 3, 7] {
                let mut scanner = HeaderScanner::default();
                for piece in content.chunks(chunk) {
                    scanner.update(piece);
                }
                assert_eq!(&scanner.finish(), expected, "{content:?} by {chunk}");
            }
        }
    }

    #[test]
    fn a_from_after_a_huge_header_is_found_and_a_too_large_header_is_unreadable() {
        let padding = [b"X-Padding: ".as_slice(), &[b'a'; 900], b"\r\n"].concat();
        let mut content = b"Content-Type: text/plain; hp=clear\r\n".to_vec();
        while content.len() < 200 * 1024 {
            content.extend_from_slice(&padding);
        }
        content.extend_from_slice(b"From: alice@example.org\r\n\r\nbody\r\n");
        assert_eq!(protected_headers(&content), fields(&["alice@example.org"]));
        let mut huge = b"Content-Type: text/plain; hp=clear\r\n".to_vec();
        while huge.len() <= MAX_HEADER {
            huge.extend_from_slice(&padding);
        }
        huge.extend_from_slice(b"From: alice@example.org\r\n\r\nbody\r\n");
        assert_eq!(
            protected_headers(&huge),
            Protected::Unreadable(MimeError::HeaderTooLarge)
        );
        let mut scanner = HeaderScanner::default();
        for piece in huge.chunks(8192) {
            scanner.update(piece);
        }
        assert_eq!(
            scanner.finish(),
            Protected::Unreadable(MimeError::HeaderTooLarge)
        );
    }
}
