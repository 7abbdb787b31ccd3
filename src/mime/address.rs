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

/// The addr-spec of every mailbox in an address-list value (To, Cc,
/// Bcc), in order; items without one are skipped.
pub(crate) fn all_addresses(header_value: &str) -> Vec<String> {
    let cleaned = strip_comments(header_value);
    mailbox_items(&cleaned)
        .iter()
        .filter_map(|item| addr_of(item))
        .collect()
}

/// Characters a reader takes for `@` (Unicode confusables of U+0040 and
/// the circled letter a): a display name `alice＠example.org` shows an
/// address that no parser sees.
const CONFUSABLE_AT: &[char] = &[
    '\u{FF20}', // FULLWIDTH COMMERCIAL AT
    '\u{FE6B}', // SMALL COMMERCIAL AT
    '\u{24D0}', // CIRCLED LATIN SMALL LETTER A
    '\u{24B6}', // CIRCLED LATIN CAPITAL LETTER A
];

/// Why a sender field cannot be shown as the checked address, found by
/// [`check_sender`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SenderIssue {
    /// More than one `From` field.
    SeveralFrom,
    /// The value shows no address (`value` as received).
    NoAddress(String),
    /// The value shows more than the one address checked: a second
    /// mailbox, another address or a look-alike `@` in the display name or
    /// a comment, possibly behind RFC 2047 encoded-words, or encoded-words
    /// that cannot be decoded.
    Ambiguous(String),
}

/// The sender of a header section and what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SenderCheck {
    /// The address to check certificates against: the one `From` field's
    /// (RFC 5322 §3.6.2), else `Sender`'s; the value as received when it
    /// has no address (then nothing matches it).
    pub(crate) address: Option<String>,
    pub(crate) issues: Vec<SenderIssue>,
}

/// One set of rules for every header section whose sender a client shows
/// (the outer header, and the protected inner one of RFC 8551 §3.1 / RFC
/// 9788): `from` and `sender` are the values of the `From` and `Sender`
/// fields in order.
pub(crate) fn check_sender(from: &[&str], sender: &[&str]) -> SenderCheck {
    let mut issues = Vec::new();
    if from.len() > 1 {
        issues.push(SenderIssue::SeveralFrom);
    }
    let Some(value) = from.first().or(sender.first()).copied() else {
        return SenderCheck {
            address: None,
            issues,
        };
    };
    let Some(address) = first_address(value) else {
        issues.push(SenderIssue::NoAddress(value.to_owned()));
        return SenderCheck {
            // Kept as shown: it parses as no mailbox, so no signer matches.
            address: Some(value.to_owned()),
            issues,
        };
    };
    if shows_more_than(value, &address) {
        issues.push(SenderIssue::Ambiguous(value.to_owned()));
    }
    SenderCheck {
        address: Some(address),
        issues,
    }
}

/// Whether `value` shows more than `address`: a second mailbox, or a
/// display name or comment that (RFC 2047-decoded) holds an `@`, a
/// look-alike of it, or another address.
fn shows_more_than(value: &str, address: &str) -> bool {
    let cleaned = strip_comments(value);
    let mailboxes = mailbox_items(&cleaned)
        .iter()
        .filter(|item| !item.trim().is_empty())
        .count();
    if mailboxes > 1 {
        return true;
    }
    let rest = value.replacen(address, "", 1);
    let Ok(shown) = super::encoded_word::decode(&rest) else {
        return true;
    };
    if shown.contains(CONFUSABLE_AT) {
        return true;
    }
    let checked = address.parse::<crate::mailbox::Mailbox>().ok();
    shown
        .split(|c: char| c.is_whitespace() || "\"<>(),;:[]".contains(c))
        .filter(|token| token.contains('@'))
        .any(|token| !checked.as_ref().is_some_and(|m| m.matches(token)))
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

    #[test]
    fn sender_rules() {
        let ok = |value: &str, address: &str| {
            let check = check_sender(&[value], &[]);
            assert_eq!(check.address.as_deref(), Some(address), "{value:?}");
            assert!(check.issues.is_empty(), "{value:?}: {:?}", check.issues);
        };
        ok("Alice <alice@example.org>", "alice@example.org");
        ok(
            "=?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.org>",
            "juergen@example.org",
        );
        ok("=?iso-8859-1?q?J=FCrgen?= <j@example.org>", "j@example.org");
        ok(
            "\"alice@example.org\" <alice@example.org>",
            "alice@example.org",
        );
        ok(
            "\"ALICE@example.org\" <alice@example.org>",
            "alice@example.org",
        );
        let ambiguous = |value: &str| {
            let check = check_sender(&[value], &[]);
            assert_eq!(
                check.issues,
                [SenderIssue::Ambiguous(value.to_owned())],
                "{value:?}"
            );
        };
        ambiguous("\"alice@example.org\" <mallory@example.net>");
        ambiguous("alice\u{FF20}example.org <mallory@example.net>");
        ambiguous("alice\u{FE6B}example.org <mallory@example.net>");
        ambiguous("=?utf-8?q?alice=EF=BC=A0example.org?= <mallory@example.net>");
        ambiguous("=?utf-8?q?bob=40example.org?= <mallory@example.net>");
        ambiguous("=?x-unknown?q?bob?= <mallory@example.net>");
        ambiguous("mallory@example.net, alice@example.org");
        ambiguous("first, second@x.org");
        ambiguous("Bob (x@evil.org) <bob@example.org>");
        let two = check_sender(&["a@example.org", "b@example.org"], &[]);
        assert_eq!(two.issues, [SenderIssue::SeveralFrom]);
        let none = check_sender(&["Alice"], &[]);
        assert_eq!(none.issues, [SenderIssue::NoAddress("Alice".to_owned())]);
        assert_eq!(
            check_sender(&[], &["s@example.org"]).address.as_deref(),
            Some("s@example.org")
        );
        assert_eq!(check_sender(&[], &[]), SenderCheck::default());
    }
}
