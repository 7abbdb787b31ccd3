//! Legacy Display elements (RFC 9788 §2.1.2): decorative copies of the
//! confidential header fields at the top of each Main Body Part, for
//! clients that decrypt but know nothing of Header Protection. A composer
//! adds them only when asked (§5.2.2, §5.2.3); a receiver that implements
//! Header Protection never shows them (§4.5.3).
//!
//! Main Body Parts (§5.2.4, RFC 9787 §7.1): text/plain and text/html
//! leaves that are not attachments and descend through the first child of
//! every multipart/mixed or multipart/related ancestor (any child of a
//! multipart/alternative).
#![forbid(unsafe_code)]

use crate::error::Result;
use crate::limits::{self, Limits};
use crate::mime::{self, Entity};

/// The class of the `<div>` a text/html Legacy Display element is (§5.2.3).
const HTML_CLASS: &str = "header-protection-legacy-display";

/// Applies `edit` to every Main Body Part of `entity` (a whole MIME
/// entity, header and body), rebuilding the multiparts around the parts
/// it changed; everything else stays byte-exact.
fn edit_main_parts(
    entity: &[u8],
    depth: usize,
    limits: &Limits,
    edit: &mut dyn FnMut(&Entity<'_>) -> Result<Option<Vec<u8>>>,
) -> Result<Vec<u8>> {
    limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
    let parsed = Entity::parse(entity)?;
    let attachment = parsed.field("Content-Disposition").is_some_and(|d| {
        d.trim_start()
            .to_ascii_lowercase()
            .starts_with("attachment")
    });
    if attachment {
        return Ok(entity.to_vec());
    }
    let ct = parsed.content_type();
    if ct.is_multipart() {
        let alternative = ct.is("multipart/alternative");
        let body = parsed.body();
        let parts = mime::split_multipart(body, ct.boundary()?, limits)?;
        let base = body.as_ptr() as usize;
        let mut rebuilt = Vec::with_capacity(body.len() + 512);
        let mut pos = 0;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 && !alternative {
                break;
            }
            let start = (part.as_ptr() as usize).wrapping_sub(base);
            let end = start.saturating_add(part.len());
            rebuilt.extend_from_slice(body.get(pos..start).unwrap_or_default());
            rebuilt.extend_from_slice(&edit_main_parts(part, depth + 1, limits, edit)?);
            pos = end;
        }
        rebuilt.extend_from_slice(body.get(pos..).unwrap_or_default());
        return Ok(assemble(&parsed, &[], &rebuilt));
    }
    if (ct.is("text/plain") || ct.is("text/html"))
        && let Some(changed) = edit(&parsed)?
    {
        return Ok(changed);
    }
    Ok(entity.to_vec())
}

/// The entity's header fields (with `replace`: `(name, new raw line)`
/// pairs standing in for the first field of that name, added at the end
/// when absent), the blank line, then `body`.
fn assemble(entity: &Entity<'_>, replace: &[(&str, Vec<u8>)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entity.header_bytes().len() + body.len() + 64);
    let mut done = vec![false; replace.len()];
    for field in entity.fields() {
        let slot = replace
            .iter()
            .position(|(name, _)| field.name.eq_ignore_ascii_case(name));
        match slot {
            Some(i) => {
                if let (Some(false), Some((_, line))) = (done.get(i).copied(), replace.get(i)) {
                    out.extend_from_slice(line);
                }
                if let Some(d) = done.get_mut(i) {
                    *d = true;
                }
            }
            None => {
                out.extend_from_slice(&field.raw);
                if !field.raw.ends_with(b"\n") {
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
    }
    for ((_, line), done) in replace.iter().zip(done) {
        if !done {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The raw Content-Type line of `entity` with `param` appended.
fn content_type_with(entity: &Entity<'_>, param: &str) -> Vec<u8> {
    let raw = entity
        .fields()
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case("Content-Type"))
        .map(|f| f.raw.clone())
        .unwrap_or_else(|| b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec());
    let mut line = raw;
    while line.last().is_some_and(|b| matches!(b, b'\r' | b'\n')) {
        line.pop();
    }
    line.extend_from_slice(format!("; {param}\r\n").as_bytes());
    line
}

/// `entity` with `param` added to its Content-Type (for `hp=` on the
/// root of a Cryptographic Payload, RFC 9788 §5.2.1 steps 4-5), any `hp`
/// parameter it had (a message opened earlier, sent again) removed.
pub(crate) fn add_content_type_param(entity: &[u8], param: &str) -> Result<Vec<u8>> {
    let parsed = Entity::parse(entity)?;
    let line = without_param(&content_type_with(&parsed, param), "hp");
    let line = [line.as_slice(), format!("; {param}\r\n").as_bytes()].concat();
    Ok(assemble(&parsed, &[("Content-Type", line)], parsed.body()))
}

/// A Content-Type line (`param` already appended last, which is kept
/// out) without any `; name=value` parameter called `name`, and without
/// its line end. Quoted values are skipped whole.
fn without_param(line: &[u8], name: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    // The parameter this call appended is the last "; ..." segment.
    let body = text.rsplit_once(';').map_or(text, |(head, _)| head);
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    let mut first = true;
    while !rest.is_empty() {
        let (segment, next) = split_unquoted(rest);
        let is_named = segment
            .split_once('=')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name));
        if first || !is_named {
            if !first {
                out.push(';');
            }
            out.push_str(segment);
        }
        first = false;
        rest = next;
    }
    out.into_bytes()
}

/// `text` up to its first `;` outside a quoted string, and what follows.
fn split_unquoted(text: &str) -> (&str, &str) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                return (
                    text.get(..i).unwrap_or_default(),
                    text.get(i + 1..).unwrap_or_default(),
                );
            }
            _ => {}
        }
    }
    (text, "")
}

/// The body re-encoded in the part's transfer encoding after `change`
/// rewrote its decoded text; `None` for encodings that cannot be edited.
fn rewrite_body(
    part: &Entity<'_>,
    change: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Result<Option<Vec<u8>>> {
    let encoding = part.transfer_encoding();
    let text = part.decoded_body()?;
    let Some(changed) = change(&text) else {
        return Ok(None);
    };
    Ok(Some(match encoding.as_str() {
        "7bit" | "8bit" | "binary" => changed,
        "base64" => mime::base64_lines(&changed),
        "quoted-printable" => {
            let mut out = Vec::with_capacity(changed.len() + changed.len() / 8 + 8);
            mime::encode_quoted_printable_into(&changed, &mut out);
            out
        }
        _ => return Ok(None),
    }))
}

/// Adds a Legacy Display element listing `fields` (`(name, value)` of the
/// obscured or removed User-Facing fields) to every Main Body Part of
/// `entity` (RFC 9788 §5.2.2-5.2.5).
pub(crate) fn add(entity: &[u8], fields: &[(String, String)], limits: &Limits) -> Result<Vec<u8>> {
    if fields.is_empty() {
        return Ok(entity.to_vec());
    }
    let mut lines = String::new();
    for (name, value) in fields {
        lines.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut edit = |part: &Entity<'_>| -> Result<Option<Vec<u8>>> {
        let html = part.content_type().is("text/html");
        let body = rewrite_body(part, |text| {
            Some(if html {
                insert_html(text, &lines)
            } else {
                [lines.as_bytes(), b"\r\n", text].concat()
            })
        })?;
        Ok(body.map(|body| {
            let line = content_type_with(part, "hp-legacy-display=\"1\"");
            assemble(part, &[("Content-Type", line)], &body)
        }))
    };
    edit_main_parts(entity, 0, limits, &mut edit)
}

/// `html` with the `<div>` of §5.2.3.1 as the first child of `<body>`
/// (at the start when there is no `<body>`).
fn insert_html(html: &[u8], lines: &str) -> Vec<u8> {
    let escaped = lines
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let div = format!("<div class=\"{HTML_CLASS}\"><pre>{escaped}</pre></div>\r\n");
    let lower = html.to_ascii_lowercase();
    let at = memchr::memmem::find(&lower, b"<body")
        .and_then(|i| memchr::memchr(b'>', lower.get(i..).unwrap_or_default()).map(|j| i + j + 1));
    let at = at.unwrap_or(0);
    let (head, tail) = html.split_at(at.min(html.len()));
    let mut out = head.to_vec();
    if at > 0 {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(div.as_bytes());
    out.extend_from_slice(tail);
    out
}

/// `entity` without the Legacy Display elements of its Main Body Parts
/// (RFC 9788 §4.5.3): in text/plain the leading lines up to and including
/// the first blank one, in text/html every `<div class=
/// "header-protection-legacy-display">`. Only parts marked
/// `hp-legacy-display="1"` are touched. Returns whether any was removed.
pub(crate) fn strip(entity: &[u8], limits: &Limits) -> Result<(Vec<u8>, bool)> {
    let mut removed = false;
    let mut edit = |part: &Entity<'_>| -> Result<Option<Vec<u8>>> {
        let ct = part.content_type();
        if ct.param("hp-legacy-display") != Some("1") {
            return Ok(None);
        }
        let html = ct.is("text/html");
        let body = rewrite_body(part, |text| {
            if html {
                remove_html(text)
            } else {
                Some(drop_leading_block(text))
            }
        })?;
        Ok(body.map(|body| {
            removed = true;
            assemble(part, &[], &body)
        }))
    };
    let out = edit_main_parts(entity, 0, limits, &mut edit)?;
    Ok((out, removed))
}

/// §4.5.3.2: the text after the first blank line (all of it when there
/// is none: the element is then the whole part).
fn drop_leading_block(text: &[u8]) -> Vec<u8> {
    let mut pos = 0;
    while pos < text.len() {
        let rest = text.get(pos..).unwrap_or_default();
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = rest.get(..end).unwrap_or_default();
        pos += end;
        if line == b"\r\n" || line == b"\n" {
            return text.get(pos..).unwrap_or_default().to_vec();
        }
    }
    Vec::new()
}

/// §4.5.3.3: `html` without its legacy-display `<div>`s (nested `<div>`s
/// inside counted); `None` when it has none.
fn remove_html(html: &[u8]) -> Option<Vec<u8>> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::with_capacity(html.len());
    let mut pos = 0;
    let mut found = false;
    while let Some(start) = find_marked_div(&lower, pos) {
        found = true;
        out.extend_from_slice(html.get(pos..start).unwrap_or_default());
        let mut depth = 0usize;
        let mut at = start;
        let end = loop {
            let rest = lower.get(at..).unwrap_or_default();
            let open = memchr::memmem::find(rest, b"<div");
            let close = memchr::memmem::find(rest, b"</div");
            match (open, close) {
                (Some(o), Some(c)) if o < c => {
                    depth += 1;
                    at += o + 4;
                }
                (_, Some(c)) => {
                    depth = depth.saturating_sub(1);
                    let tag_end = memchr::memchr(b'>', rest.get(c..).unwrap_or_default())
                        .map_or(rest.len(), |i| c + i + 1);
                    at += tag_end;
                    if depth == 0 {
                        break at;
                    }
                }
                _ => break lower.len(),
            }
        };
        pos = end.min(html.len());
    }
    found.then(|| {
        out.extend_from_slice(html.get(pos..).unwrap_or_default());
        out
    })
}

/// Where the next `<div` whose class names [`HTML_CLASS`] starts.
fn find_marked_div(lower: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    loop {
        let rest = lower.get(at..)?;
        let start = at + memchr::memmem::find(rest, b"<div")?;
        let tag = lower.get(start..)?;
        let tag_end = memchr::memchr(b'>', tag)?;
        if memchr::memmem::find(tag.get(..tag_end)?, HTML_CLASS.as_bytes()).is_some() {
            return Some(start);
        }
        at = start + 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_plain_element_is_added_and_stripped_back() {
        let part = b"Content-Type: text/plain; charset=UTF-8\r\n\r\nI think we should skip the meeting.\r\n";
        let fields = [("Subject".to_owned(), "Thursday's meeting".to_owned())];
        let added = add(part, &fields, &Limits::default()).unwrap_or_default();
        assert_eq!(
            added,
            b"Content-Type: text/plain; charset=UTF-8; hp-legacy-display=\"1\"\r\n\r\n\
Subject: Thursday's meeting\r\n\r\nI think we should skip the meeting.\r\n"
        );
        let (stripped, removed) = strip(&added, &Limits::default()).unwrap_or_default();
        assert!(removed);
        assert!(stripped.ends_with(b"\r\n\r\nI think we should skip the meeting.\r\n"));
    }

    #[test]
    fn html_element_is_added_after_body_and_stripped() {
        let part = b"Content-Type: text/html\r\n\r\n<html><body>\r\n<p>x</p></body></html>\r\n";
        let fields = [("Subject".to_owned(), "a<b".to_owned())];
        let added = add(part, &fields, &Limits::default()).unwrap_or_default();
        let text = String::from_utf8_lossy(&added);
        assert!(text.contains(
            "<body>\r\n<div class=\"header-protection-legacy-display\"><pre>Subject: a&lt;b\r\n</pre></div>"
        ));
        let (stripped, removed) = strip(&added, &Limits::default()).unwrap_or_default();
        assert!(removed);
        assert!(!String::from_utf8_lossy(&stripped).contains("legacy-display\">"));
        assert!(String::from_utf8_lossy(&stripped).contains("<p>x</p>"));
    }

    #[test]
    fn an_old_hp_parameter_is_replaced() {
        let entity = b"Content-Type: text/plain; hp=\"clear\"; charset=\"a;b\"\r\n\r\nx\r\n";
        let out = add_content_type_param(entity, "hp=\"cipher\"").unwrap_or_default();
        assert_eq!(
            out,
            b"Content-Type: text/plain; charset=\"a;b\"; hp=\"cipher\"\r\n\r\nx\r\n"
        );
        let plain = b"Content-Type: text/plain\r\n\r\nx\r\n";
        let out = add_content_type_param(plain, "hp=\"clear\"").unwrap_or_default();
        assert_eq!(out, b"Content-Type: text/plain; hp=\"clear\"\r\n\r\nx\r\n");
    }

    #[test]
    fn attachments_and_later_mixed_children_are_not_main_body_parts() {
        let entity = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nmain\r\n--b\r\nContent-Type: text/plain\r\n\r\nsecond\r\n--b--\r\n";
        let fields = [("Subject".to_owned(), "s".to_owned())];
        let added = add(entity, &fields, &Limits::default()).unwrap_or_default();
        let text = String::from_utf8_lossy(&added);
        assert_eq!(text.matches("hp-legacy-display").count(), 1, "{text}");
        assert!(text.contains("Subject: s\r\n\r\nmain"));
        let unmarked = b"Content-Type: text/plain\r\n\r\nSubject: x\r\n\r\nbody\r\n";
        let (same, removed) = strip(unmarked, &Limits::default()).unwrap_or_default();
        assert!(!removed);
        assert_eq!(same, unmarked);
    }
}
