//! RFC 2047 encoded-words in header text (`=?charset?B|Q?text?=`), decoded
//! with the charset they name (RFC 2047 §2, RFC 2231 §5 language suffix),
//! so that a display name is checked as a client shows it.
//!
//! Charsets are the WHATWG Encoding Standard's labels (`encoding_rs`):
//! UTF-8, ISO-8859-*, windows-125*, KOI8, Shift_JIS, EUC-*, GB18030,
//! Big5, ... An encoded-word whose charset is unknown or whose text does
//! not decode is an error: what a client would show cannot be checked.
#![forbid(unsafe_code)]

use base64::Engine;

/// An encoded-word that cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Undecodable;

/// RFC 2047 §2: an encoded-word is at most 75 characters; decoders are
/// liberal here, we allow a whole header line.
const MAX_WORD: usize = 998;

/// `text` with every encoded-word decoded: the words RFC 2047 §6.2 joins
/// (only linear white space between two encoded-words) are joined, all
/// other text is kept as is. Encoded-words are decoded wherever they
/// appear — also inside quoted strings, where RFC 2047 §5 forbids them but
/// clients decode them all the same.
pub(crate) fn decode(text: &str) -> Result<String, Undecodable> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut after_word = false;
    loop {
        let Some(start) = rest.find("=?") else {
            out.push_str(rest);
            return Ok(out);
        };
        let (before, candidate) = rest.split_at(start);
        match parse_word(candidate)? {
            Some((decoded, len)) => {
                // RFC 2047 §6.2: white space between two encoded-words is
                // not displayed.
                let joins = after_word && before.chars().all(|c| c.is_ascii_whitespace());
                if !joins {
                    out.push_str(before);
                }
                out.push_str(&decoded);
                rest = candidate.get(len..).unwrap_or_default();
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = candidate.get(2..).unwrap_or_default();
                after_word = false;
            }
        }
    }
}

/// The encoded-word at the start of `s`: `Ok(Some((decoded, length)))`,
/// `Ok(None)` when `s` does not start with the syntax of one (plain text
/// that happens to contain `=?`), `Err` when it has the syntax but cannot
/// be decoded (unknown charset or encoding, bad base64).
fn parse_word(s: &str) -> Result<Option<(String, usize)>, Undecodable> {
    let Some(body) = s.strip_prefix("=?") else {
        return Ok(None);
    };
    let token = |c: char| c.is_ascii_graphic() && !"()<>@,;:\"/[]?.=".contains(c);
    let Some(q1) = body.find('?') else {
        return Ok(None);
    };
    let (charset, after) = body.split_at(q1);
    let after = after.get(1..).unwrap_or_default();
    let Some(q2) = after.find('?') else {
        return Ok(None);
    };
    let (encoding, after) = after.split_at(q2);
    let after = after.get(1..).unwrap_or_default();
    let Some(end) = after.find("?=") else {
        return Ok(None);
    };
    let encoded = after.get(..end).unwrap_or_default();
    let charset_ok =
        !charset.is_empty() && charset.chars().all(|c| token(c) || c == '*' || c == '.');
    let text_ok = encoded.chars().all(|c| c.is_ascii_graphic() && c != '?');
    if !charset_ok || encoding.len() != 1 || !text_ok {
        return Ok(None);
    }
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + encoded.len() + 2;
    if len > MAX_WORD {
        return Err(Undecodable);
    }
    // RFC 2231 §5: charset*language.
    let label = charset.split('*').next().unwrap_or_default();
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| Undecodable)?,
        "Q" | "q" => decode_q(encoded)?,
        _ => return Err(Undecodable),
    };
    let text = charset_decode(label, &bytes)?;
    Ok(Some((text, len)))
}

/// RFC 2047 §4.2: `_` is a space, `=XX` an octet.
fn decode_q(text: &str) -> Result<Vec<u8>, Undecodable> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = |c: Option<u8>| {
                    c.and_then(|c| char::from(c).to_digit(16))
                        .ok_or(Undecodable)
                };
                let hi = hex(bytes.next())?;
                let lo = hex(bytes.next())?;
                out.push(u8::try_from(hi * 16 + lo).map_err(|_| Undecodable)?);
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

/// The text of `bytes` in the charset `label`.
fn charset_decode(label: &str, bytes: &[u8]) -> Result<String, Undecodable> {
    let encoding = if label.eq_ignore_ascii_case("us-ascii") {
        encoding_rs::WINDOWS_1252
    } else {
        encoding_rs::Encoding::for_label(label.as_bytes()).ok_or(Undecodable)?
    };
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_b_and_q_in_many_charsets() {
        let cases: &[(&str, &str)] = &[
            ("=?utf-8?B?SsO8cmdlbiBNw7xsbGVy?=", "Jürgen Müller"),
            ("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=", "Jürgen Müller"),
            ("=?iso-8859-1?q?J=FCrgen?=", "Jürgen"),
            ("=?ISO-8859-15?Q?=A4uro?=", "€uro"),
            ("=?windows-1251?B?yuDs6A==?=", "Ками"),
            ("=?koi8-r?B?68nSyczM?=", "Кирилл"),
            ("=?gb2312?B?1cXI/Q==?=", "张三"),
            ("=?utf-8*de?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
            ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
            ("=?utf-8?q?a?=  x =?utf-8?q?b?=", "a  x b"),
            ("plain text", "plain text"),
            ("a =? b ?= c", "a =? b ?= c"),
            ("\"=?utf-8?q?quoted?=\"", "\"quoted\""),
        ];
        for (input, expected) in cases {
            assert_eq!(decode(input).as_deref(), Ok(*expected), "{input:?}");
        }
    }

    #[test]
    fn undecodable_words_are_errors() {
        for input in [
            "=?x-no-such-charset?q?a?=",
            "=?utf-8?x?a?=",
            "=?utf-8?b?!!!?=",
            "=?utf-8?q?=Z1?=",
        ] {
            assert_eq!(decode(input), Err(Undecodable), "{input:?}");
        }
    }
}
