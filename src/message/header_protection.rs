//! Header Protection for cryptographically protected e-mail (RFC 9788):
//! the Header Confidentiality Policies a composer applies to the header
//! fields it puts outside the envelope (§3), the `HP-Outer` fields that
//! record its choices inside (§2.2), the `hp` Content-Type parameter that
//! marks a Cryptographic Payload (§2.1.1), and the per-field protection
//! state a receiver computes (§4.3.1).
//!
//! Structural header fields (RFC 9787 §1.1.2: `MIME-Version` and
//! `Content-*`) describe the MIME tree and are never subject to an HCP;
//! every other field is Non-Structural.
#![forbid(unsafe_code)]

use std::fmt;

use crate::mime::{Field, all_addresses, first_address};

/// A Header Confidentiality Policy (RFC 9788 §3): which header fields of
/// an encrypted message stay readable outside the envelope, and how.
/// Signed-only messages need none: every field is signed inside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderConfidentialityPolicy {
    /// `hcp_baseline` (§3.2.1), the recommended default: the outer
    /// `Subject` becomes `[...]`, `Comments` and `Keywords` are removed,
    /// everything else is copied.
    ///
    /// ```text
    /// hcp_baseline(name, val_in) → val_out:
    ///     if lower(name) is 'subject':
    ///         return '[...]'
    ///     else if lower(name) is in ['comments', 'keywords']:
    ///         return null
    ///     else:
    ///         return val_in
    /// ```
    #[default]
    Baseline,
    /// `hcp_shy` (§3.2.2): `hcp_baseline`, and the outer `From`, `To` and
    /// `Cc` show bare addresses (no display names), the outer `Date` is
    /// in UTC (no local time zone).
    Shy,
}

impl HeaderConfidentialityPolicy {
    /// The registered name, `hcp_baseline` or `hcp_shy` (§12.3).
    pub fn name(&self) -> &'static str {
        match self {
            HeaderConfidentialityPolicy::Baseline => "hcp_baseline",
            HeaderConfidentialityPolicy::Shy => "hcp_shy",
        }
    }

    /// `hcp(name, val_in) → val_out` (§3.1): the value a Non-Structural
    /// header field shows outside the envelope, `None` to remove it.
    pub fn apply(&self, name: &str, value: &str) -> Option<String> {
        let lower = name.to_ascii_lowercase();
        if *self == HeaderConfidentialityPolicy::Shy {
            let shy = match lower.as_str() {
                "from" => single_addr_spec(value),
                "to" | "cc" => addr_spec_list(value),
                "date" => date_in_utc(value),
                _ => None,
            };
            if let Some(shy) = shy {
                return Some(shy);
            }
        }
        match lower.as_str() {
            "subject" => Some(OBSCURED_SUBJECT.to_owned()),
            "comments" | "keywords" => None,
            _ => Some(value.to_owned()),
        }
    }
}

impl fmt::Display for HeaderConfidentialityPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The Subject an HCP shows outside (§3.2.1).
pub(crate) const OBSCURED_SUBJECT: &str = "[...]";

/// The protection state of one header field (RFC 9788 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldProtection {
    /// No Header Protection covers it: it could have been changed in
    /// transit (every field of a message without Header Protection, and
    /// fields added outside it).
    Unprotected,
    /// Under a valid signature, and also visible in transit.
    SignedOnly,
    /// Only inside the encryption (removed or obscured outside), under no
    /// valid signature.
    EncryptedOnly,
    /// Only inside the encryption, and under a valid signature.
    SignedAndEncrypted,
}

impl FieldProtection {
    /// Was the field under a valid signature?
    pub fn is_signed(&self) -> bool {
        matches!(
            self,
            FieldProtection::SignedOnly | FieldProtection::SignedAndEncrypted
        )
    }

    /// Was the field kept confidential (not exposed outside)?
    pub fn is_encrypted(&self) -> bool {
        matches!(
            self,
            FieldProtection::EncryptedOnly | FieldProtection::SignedAndEncrypted
        )
    }
}

impl fmt::Display for FieldProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldProtection::Unprotected => "unprotected",
            FieldProtection::SignedOnly => "signed-only",
            FieldProtection::EncryptedOnly => "encrypted-only",
            FieldProtection::SignedAndEncrypted => "signed-and-encrypted",
        })
    }
}

/// Which scheme protected a message's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderProtection {
    /// None: the Cryptographic Payload carries no header fields (or the
    /// message has no cryptographic layer).
    None,
    /// RFC 9788 with `hp="clear"`: the fields are signed, none encrypted.
    Clear,
    /// RFC 9788 with `hp="cipher"`: the composer made fields confidential
    /// per an HCP and recorded the outer values in `HP-Outer` fields.
    Cipher,
    /// The legacy RFC 8551 §3.1 scheme: the payload is a `message/rfc822`
    /// whose header fields are the protected ones (RFC 9788 §4.10); the
    /// exposed values are the real outer header's.
    Rfc8551,
}

impl fmt::Display for HeaderProtection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderProtection::None => "no header protection",
            HeaderProtection::Clear => "RFC 9788 header protection (hp=\"clear\")",
            HeaderProtection::Cipher => "RFC 9788 header protection (hp=\"cipher\")",
            HeaderProtection::Rfc8551 => "RFC 8551 header protection (message/rfc822)",
        })
    }
}

/// RFC 9787 §1.1.2: `MIME-Version` and `Content-*` describe the MIME
/// structure; every other field is Non-Structural.
pub(crate) fn is_structural(name: &str) -> bool {
    name.eq_ignore_ascii_case("MIME-Version")
        || name
            .get(..8)
            .is_some_and(|p| p.eq_ignore_ascii_case("Content-"))
}

/// RFC 9787 §1.1.2's User-Facing fields: what a Legacy Display element
/// shows (RFC 9788 §5.2.1 step 2).
pub(crate) fn is_user_facing(name: &str) -> bool {
    [
        "Subject",
        "From",
        "To",
        "Cc",
        "Date",
        "Reply-To",
        "Followup-To",
        "Keywords",
        "Comments",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}

/// The `(name, value)` of an `HP-Outer` field's value (§2.2.1:
/// `field-name ": " hp-outer-value`).
pub(crate) fn parse_hp_outer(value: &str) -> Option<(String, String)> {
    let (name, rest) = value.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.bytes().any(|b| !(33..=126).contains(&b)) {
        return None;
    }
    Some((name.to_owned(), rest.trim().to_owned()))
}

/// `(h, v)` matches a reference set: the name case-insensitively, the
/// unfolded value exactly (RFC 9788 §4.3.1 step 6).
pub(crate) fn contains(set: &[(String, String)], name: &str, value: &str) -> bool {
    set.iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(name) && v == value)
}

/// The Non-Structural `(name, value)` pairs of a header section.
pub(crate) fn non_structural(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|f| !is_structural(&f.name))
        .map(|f| (f.name.clone(), f.value.clone()))
        .collect()
}

/// An RFC 5322 mailbox's addr-spec, when `value` is exactly one mailbox.
fn single_addr_spec(value: &str) -> Option<String> {
    let all = all_addresses(value);
    if all.len() == 1 {
        first_address(value)
    } else {
        None
    }
}

/// The addr-specs of a mailbox-list, comma separated.
fn addr_spec_list(value: &str) -> Option<String> {
    let all = all_addresses(value);
    (!all.is_empty()).then(|| all.join(", "))
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An RFC 5322 §3.3 date-time in UTC (`+0000`), day of week recomputed;
/// `None` when `value` does not parse as one.
pub(crate) fn date_in_utc(value: &str) -> Option<String> {
    let text = match value.split_once(',') {
        Some((_, rest)) => rest,
        None => value,
    };
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [day, month, year, time, zone] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as i64 + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (h, m, s) = match hms.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let offset = zone_offset(zone)?;
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s - offset;
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday = DAYS.get((days + 3).rem_euclid(7) as usize)?;
    let month_name = MONTHS.get((mo - 1) as usize)?;
    Some(format!(
        "{weekday}, {d} {month_name} {y} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    ))
}

/// `+hhmm` / `-hhmm` or the obsolete names of RFC 5322 §4.3, in seconds.
fn zone_offset(zone: &str) -> Option<i64> {
    let named = match zone.to_ascii_uppercase().as_str() {
        "UT" | "GMT" | "Z" => Some(0),
        "EDT" => Some(-4),
        "EST" | "CDT" => Some(-5),
        "CST" | "MDT" => Some(-6),
        "MST" | "PDT" => Some(-7),
        "PST" => Some(-8),
        _ => None,
    };
    if let Some(hours) = named {
        return Some(hours * 3600);
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, zone.get(1..)?),
        b'-' => (-1, zone.get(1..)?),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits.get(..2)?.parse().ok()?;
    let minutes: i64 = digits.get(2..)?.parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_obscures_the_subject_and_drops_comments_and_keywords() {
        let hcp = HeaderConfidentialityPolicy::Baseline;
        assert_eq!(hcp.apply("SUBJECT", "secret").as_deref(), Some("[...]"));
        assert_eq!(hcp.apply("Keywords", "k"), None);
        assert_eq!(hcp.apply("Comments", "c"), None);
        let from = "Alice <alice@smime.example>";
        assert_eq!(hcp.apply("From", from).as_deref(), Some(from));
    }

    #[test]
    fn shy_matches_the_rfc_vectors() {
        let hcp = HeaderConfidentialityPolicy::Shy;
        assert_eq!(
            hcp.apply("From", "Alice <alice@smime.example>").as_deref(),
            Some("alice@smime.example")
        );
        assert_eq!(
            hcp.apply("To", "Bob <bob@smime.example>, \"C, D\" <c@x.org>")
                .as_deref(),
            Some("bob@smime.example, c@x.org")
        );
        // C.3.3 and C.3.11.
        assert_eq!(
            hcp.apply("Date", "Sat, 20 Feb 2021 10:12:02 -0500")
                .as_deref(),
            Some("Sat, 20 Feb 2021 15:12:02 +0000")
        );
        assert_eq!(
            hcp.apply("Date", "Sat, 20 Feb 2021 12:12:02 -0500")
                .as_deref(),
            Some("Sat, 20 Feb 2021 17:12:02 +0000")
        );
        // Across a day, a month and a year.
        assert_eq!(
            date_in_utc("Thu, 31 Dec 2020 23:30:00 -0100").as_deref(),
            Some("Fri, 1 Jan 2021 00:30:00 +0000")
        );
        assert_eq!(
            date_in_utc("1 Mar 2024 01:00 +0200").as_deref(),
            Some("Thu, 29 Feb 2024 23:00:00 +0000")
        );
        // Not a date: copied as is.
        assert_eq!(hcp.apply("Date", "yesterday").as_deref(), Some("yesterday"));
        assert_eq!(hcp.apply("Subject", "s").as_deref(), Some("[...]"));
    }

    #[test]
    fn hp_outer_values_and_structural_fields() {
        assert_eq!(
            parse_hp_outer("Message-ID: <a@b>"),
            Some(("Message-ID".to_owned(), "<a@b>".to_owned()))
        );
        assert_eq!(parse_hp_outer("no colon"), None);
        assert!(is_structural("content-type"));
        assert!(is_structural("MIME-Version"));
        assert!(!is_structural("Subject"));
    }
}
