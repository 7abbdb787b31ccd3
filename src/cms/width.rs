//! The width of every `SET OF` in DER, bounded before the `der` crate
//! decodes it. `der` 0.7 sorts a SET OF as it decodes it, by insertion,
//! re-encoding both elements of every comparison: time quadratic in the
//! set's length (one SignerInfo with 16 000 signed attributes, 160 KB,
//! took 12 s). A linear walk counts first.
//!
//! ```text
//! SignerInfos ::= SET OF SignerInfo                      -- RFC 5652 §5.1
//! SignedAttributes ::= SET SIZE (1..MAX) OF Attribute    -- RFC 5652 §5.3
//! RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
//!     AttributeTypeAndValue                              -- RFC 5280 §4.1.2.4
//! ```
//!
//! A universal SET is counted, and in CMS structures every constructed
//! context-specific value too (`signedAttrs [0] IMPLICIT SET OF` looks
//! like one); X.509 structures have no IMPLICIT SET OF, while their
//! IMPLICIT SEQUENCE OFs (name constraints' subtrees) may be long and are
//! not sorted, so there only SETs count ([`Implicit::No`]). The contents
//! of an OCTET STRING are walked too when they are DER themselves (an
//! extension's `extnValue` holds a `GeneralNames` whose directory names
//! hold RDNs). What does not parse is left for the typed decoder to
//! refuse.
#![forbid(unsafe_code)]

use der::{Decode, Header, Reader, SliceReader, Tag};

use crate::error::{Error, Result};

/// Whether constructed context-specific values count as sets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implicit {
    /// CMS: `[n] IMPLICIT SET OF` attributes and certificate sets.
    Sets,
    /// X.509: certificates, CRLs, OCSP responses.
    No,
}

/// `Err(LimitExceeded { limit: "max_set_elements", .. })` when a SET OF
/// in `der` has more than `max` elements.
pub(crate) fn check_set_widths(der: &[u8], max: usize, implicit: Implicit) -> Result<()> {
    // (TLVs to read, whether to count them, whether a parse error there
    // only means "not DER inside this OCTET STRING").
    let mut pending: Vec<(&[u8], bool)> = vec![(der, false)];
    while let Some((list, counted)) = pending.pop() {
        let Ok(elements) = tlvs(list) else {
            continue;
        };
        if counted && elements.len() > max {
            return Err(Error::LimitExceeded {
                limit: "max_set_elements",
                max: max as u64,
            });
        }
        for (tag, value) in elements {
            if tag.is_constructed() {
                let set = tag == Tag::Set
                    || (implicit == Implicit::Sets && matches!(tag, Tag::ContextSpecific { .. }));
                pending.push((value, set));
            } else if tag == Tag::OctetString && value.first().is_some_and(|&b| b & 0x20 != 0) {
                pending.push((value, false));
            }
        }
    }
    Ok(())
}

/// The (tag, value) of each TLV of `list`, values borrowed.
fn tlvs(list: &[u8]) -> der::Result<Vec<(Tag, &[u8])>> {
    let mut reader = SliceReader::new(list)?;
    let mut found = Vec::new();
    while !reader.is_finished() {
        let header = Header::decode(&mut reader)?;
        found.push((header.tag, reader.read_slice(header.length)?));
    }
    Ok(found)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use der::{Any, Encode, TagNumber};

    fn tlv(tag: Tag, value: Vec<u8>) -> Vec<u8> {
        Any::new(tag, value).unwrap().to_der().unwrap()
    }

    fn set_of(n: usize) -> Vec<u8> {
        tlv(Tag::Set, tlv(Tag::Null, Vec::new()).repeat(n))
    }

    fn over(der: &[u8], max: usize) -> bool {
        matches!(
            check_set_widths(der, max, Implicit::Sets),
            Err(Error::LimitExceeded {
                limit: "max_set_elements",
                ..
            })
        )
    }

    #[test]
    fn a_set_is_counted_wherever_it_is_nested() {
        let deep = tlv(Tag::Sequence, tlv(Tag::Sequence, set_of(5)));
        assert!(!over(&deep, 5));
        assert!(over(&deep, 4));
        // A SEQUENCE OF is not sorted: not counted.
        assert!(!over(
            &tlv(Tag::Sequence, tlv(Tag::Null, Vec::new()).repeat(9)),
            4
        ));
    }

    #[test]
    fn implicit_sets_and_der_inside_octet_strings_are_counted() {
        let implicit = tlv(
            Tag::ContextSpecific {
                constructed: true,
                number: TagNumber::N0,
            },
            tlv(Tag::Null, Vec::new()).repeat(5),
        );
        assert!(over(&tlv(Tag::Sequence, implicit.clone()), 4));
        // In X.509 a context-specific value is no SET OF.
        assert!(check_set_widths(&tlv(Tag::Sequence, implicit), 4, Implicit::No).is_ok());
        let wrapped = tlv(Tag::OctetString, tlv(Tag::Sequence, set_of(5)));
        assert!(over(&tlv(Tag::Sequence, wrapped), 4));
        // Octets that are not DER are left alone.
        assert!(!over(&tlv(Tag::OctetString, vec![0x31, 0xff, 1, 2]), 0));
    }

    #[test]
    fn what_does_not_parse_is_left_to_the_decoder() {
        assert!(check_set_widths(b"garbage", 0, Implicit::Sets).is_ok());
        assert!(check_set_widths(&[0x30, 0x05, 0x31], 0, Implicit::Sets).is_ok());
    }
}
