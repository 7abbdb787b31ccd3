//! Addresses in header fields (RFC 5322 §3.4): the addr-spec of a
//! mailbox among display names, comments, quoted strings and groups, to
//! match `From`/`Sender` against a signer's certificate (RFC 8550 §3).
#![forbid(unsafe_code)]

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
}
