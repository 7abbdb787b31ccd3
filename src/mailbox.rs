//! [`Mailbox`]: the e-mail address a certificate store is organised by.
//!
//! RFC 5321 §2.4 makes the domain of an address case-insensitive and leaves
//! the local part to the receiving server; in practice every mail system
//! treats `Alice@Example.org` and `alice@example.org` as one mailbox, so we
//! compare the local part ASCII-case-insensitively too (as MimeKit and NSS
//! do). Internationalised domains are compared in their IDNA A-label form
//! (UTS #46), so `lothlórien.example` and `xn--lothlrien-96a.example` are the
//! same mailbox.
#![forbid(unsafe_code)]

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::Error;

/// RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain; 254 in all
/// because a path is at most 256 octets including the angle brackets.
const MAX_LOCAL_LEN: usize = 64;
const MAX_ADDRESS_LEN: usize = 254;

/// A validated e-mail address (`local@domain`), the key of a mailbox in the
/// [`crate::Store`].
///
/// ```
/// use smime::Mailbox;
/// let a: Mailbox = "Alice@Example.ORG".parse()?;
/// let b: Mailbox = "alice@example.org".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.canonical(), "alice@example.org");
/// assert!("not an address".parse::<Mailbox>().is_err());
/// # Ok::<(), smime::Error>(())
/// ```
#[derive(Clone)]
pub struct Mailbox {
    original: String,
    canonical: String,
}

impl Mailbox {
    /// The address as it was given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The form used for comparison and storage: local part lower-cased
    /// (ASCII), domain in lower-case IDNA A-labels.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// True when `address` (as found in a certificate or a `From` header)
    /// names this mailbox. Unparseable text never matches.
    pub fn matches(&self, address: &str) -> bool {
        address
            .parse::<Mailbox>()
            .is_ok_and(|other| other.canonical == self.canonical)
    }
}

impl FromStr for Mailbox {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let original = input.trim();
        let fail = |reason| Error::InvalidAddress {
            input: original.chars().take(80).collect(),
            reason,
        };
        if original.len() > MAX_ADDRESS_LEN {
            return Err(fail("longer than 254 octets"));
        }
        let (local, domain) = original.rsplit_once('@').ok_or_else(|| fail("no '@'"))?;
        check_local_part(local).map_err(fail)?;
        if domain.is_empty() {
            return Err(fail("empty domain"));
        }
        if domain.starts_with('[') {
            return Err(fail("address literals are not supported"));
        }
        let domain_ascii =
            idna::domain_to_ascii_strict(domain).map_err(|_| fail("invalid domain"))?;
        if domain_ascii.is_empty() || domain_ascii.split('.').any(str::is_empty) {
            return Err(fail("invalid domain"));
        }
        Ok(Mailbox {
            canonical: format!("{}@{}", local.to_ascii_lowercase(), domain_ascii),
            original: original.to_owned(),
        })
    }
}

/// RFC 5322 §3.4.1 dot-atom, extended to UTF-8 by RFC 6531 §3.3. Quoted
/// local parts are refused: no certificate authority issues them and they
/// make comparison ambiguous.
fn check_local_part(local: &str) -> Result<(), &'static str> {
    if local.is_empty() {
        return Err("empty local part");
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err("local part longer than 64 octets");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("misplaced '.' in local part");
    }
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+-/=?^_`{|}~.".contains(c)
            || (!c.is_ascii() && !c.is_control() && !c.is_whitespace())
    };
    if local.chars().all(atext) {
        Ok(())
    } else {
        Err("local part contains a character not allowed in an address")
    }
}

impl PartialEq for Mailbox {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Eq for Mailbox {}

impl Hash for Mailbox {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.canonical.hash(state);
    }
}

impl PartialOrd for Mailbox {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Mailbox {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.canonical.cmp(&other.canonical)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailbox({:?})", self.canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(s: &str) -> Mailbox {
        s.parse().unwrap()
    }

    #[test]
    fn domain_and_local_part_compare_case_insensitively() {
        assert_eq!(mb("Alice@EXAMPLE.org"), mb("alice@example.org"));
        assert_eq!(mb("  alice@example.org "), mb("alice@example.org"));
        assert_ne!(mb("alice@example.org"), mb("alice@example.net"));
    }

    #[test]
    fn idn_domains_compare_in_a_label_form() {
        assert_eq!(
            mb("frodo@lothlórien.example"),
            mb("frodo@xn--lothlrien-96a.example")
        );
        assert_eq!(
            mb("frodo@LOTHLÓRIEN.example").canonical(),
            "frodo@xn--lothlrien-96a.example"
        );
    }

    #[test]
    fn display_keeps_the_given_spelling() {
        assert_eq!(mb("Alice@Example.org").to_string(), "Alice@Example.org");
        assert_eq!(mb("Alice@Example.org").canonical(), "alice@example.org");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.org",
            "a b@example.org",
            "alice@exa mple.org",
            "alice@@example.org",
            ".alice@example.org",
            "al..ice@example.org",
            "alice@example..org",
            "alice@[192.0.2.1]",
            "\"quoted\"@example.org",
            "alice@-example.org",
            "alice\n@example.org",
        ] {
            let err = bad.parse::<Mailbox>().unwrap_err();
            assert!(
                matches!(err, Error::InvalidAddress { .. }),
                "{bad:?}: {err}"
            );
        }
        let long = format!("{}@example.org", "a".repeat(65));
        assert!(long.parse::<Mailbox>().is_err());
        let huge = format!("a@{}.org", "b".repeat(300));
        assert!(huge.parse::<Mailbox>().is_err());
    }

    #[test]
    fn matches_compares_canonical_forms() {
        let m = mb("bob@example.org");
        assert!(m.matches("BOB@Example.Org"));
        assert!(!m.matches("bob@example.org.evil"));
        assert!(!m.matches("garbage"));
    }
}
