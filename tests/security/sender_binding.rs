//! Issue 14, sender binding: the protected inner header (RFC 8551 §3.1,
//! RFC 9788 `hp=`) held to the outer header's rules, on the whole inner
//! header section; SAN before the subject emailAddress; SmtpUTF8Mailbox;
//! confusable `@`; RFC 2047 display names decoded, not refused. Each
//! case runs on both entry points (`common::pki::both` asserts that
//! `verify` and `verify_stream` agree).

use crate::common::pki::{Spec, both, identity_of, issue, raw_signed_by};
use crate::common::{identity, intermediate, root};
use smime::{
    ChainStatus, MimeError, Problem, SignOptions, SignatureStatus, VerifyOptions, VerifyReport,
    sign,
};

fn anchors() -> VerifyOptions {
    VerifyOptions::new(&[root()])
}

/// `entity` signed by the fixture identity `signer` with `smime::sign`
/// (detached and opaque), under `headers`.
fn signed(headers: &str, entity: &[u8], signer: &str) -> [Vec<u8>; 2] {
    let id = identity(signer);
    [SignOptions::default(), SignOptions::default().opaque()].map(|options| {
        let mut out = headers.as_bytes().to_vec();
        out.extend(sign(entity, &id, &options).unwrap());
        out
    })
}

/// `entity` signed as is, its header fields inside the signature (as an
/// RFC 9788 signer writes them), detached and opaque, under `headers`.
fn protected(headers: &str, entity: &[u8], signer: &str) -> [Vec<u8>; 2] {
    raw_signed_by(headers, entity, signer)
}

fn has(report: &VerifyReport, want: impl Fn(&Problem) -> bool) -> bool {
    report.problems.iter().any(want)
}

fn inner_not_signer(p: &Problem) -> bool {
    matches!(p, Problem::InnerFromNotSigner { .. })
}

/// Case 1a: RFC 9788 marks header protection with `hp="clear"` (signed
/// only) or `hp="cipher"` on the cryptographic payload's Content-Type.
/// Mallory signs a payload whose protected `From` is alice: never valid,
/// `InnerFromNotSigner`. Before: `valid, from matches`. Control: alice's
/// own payload is valid.
#[test]
fn rfc9788_hp_parameter_marks_the_protected_header() {
    for hp in ["hp=\"clear\"", "hp=cipher", "protected-headers=\"v1\""] {
        let entity = format!(
            "Content-Type: text/plain; charset=utf-8; {hp}\r\nFrom: Alice <alice@example.org>\r\nSubject: pay\r\n\r\nPay invoice 1234.\r\n"
        );
        for message in protected(
            "From: mallory@example.net\r\n",
            entity.as_bytes(),
            "mallory",
        ) {
            let report = both(&message, &anchors());
            assert!(!report.valid, "{hp}: {report:#?}");
            assert_eq!(report.signers[0].signature, SignatureStatus::Valid);
            assert!(
                has(&report, inner_not_signer),
                "{hp}: {:?}",
                report.problems
            );
        }
        for message in protected("From: alice@example.org\r\n", entity.as_bytes(), "alice") {
            let report = both(&message, &anchors());
            assert!(report.valid, "{hp} control: {report:#?}");
        }
    }
}

/// Case 1b: more than 64 KiB of header fields before the inner `From`
/// (the streaming path used to look at a 64 KiB head only, and a parse
/// failure skipped the check). Now the whole inner header section is read
/// on both paths: 200 KiB of fields then `From: alice`, signed by
/// mallory, is `InnerFromNotSigner`; a section over the 1 MiB header
/// limit is `UncheckableProtectedHeader(HeaderTooLarge)`, not a skip.
#[test]
fn inner_from_after_a_huge_header_is_still_checked() {
    let padding = format!("X-Padding: {}\r\n", "a".repeat(900));
    let mut entity = String::from("Content-Type: message/rfc822\r\n\r\n");
    while entity.len() < 200 * 1024 {
        entity.push_str(&padding);
    }
    entity.push_str("From: Alice <alice@example.org>\r\nSubject: pay\r\n\r\nPay.\r\n");
    for message in protected(
        "From: mallory@example.net\r\n",
        entity.as_bytes(),
        "mallory",
    ) {
        let report = both(&message, &anchors());
        assert!(!report.valid);
        assert!(has(&report, inner_not_signer), "{:?}", report.problems);
    }

    let mut huge = String::from("Content-Type: message/rfc822\r\n\r\n");
    while huge.len() < (1 << 20) + 64 * 1024 {
        huge.push_str(&padding);
    }
    huge.push_str("From: Alice <alice@example.org>\r\n\r\nPay.\r\n");
    for message in protected("From: mallory@example.net\r\n", huge.as_bytes(), "mallory") {
        let report = both(&message, &anchors());
        assert!(!report.valid);
        assert!(
            report
                .problems
                .contains(&Problem::UncheckableProtectedHeader(
                    MimeError::HeaderTooLarge
                )),
            "{:?}",
            report.problems
        );
    }
}

/// Case 1c: the inner `From` is held to the outer rules. Signed by alice,
/// each protected header shows a second sender a client may display: two
/// `From` fields, two addresses, an address as display name, an
/// encoded-word hiding an address. Each is `ProtectedHeader(..)` with the
/// outer rule's problem, and not valid (before: all valid).
#[test]
fn inner_from_is_held_to_the_outer_rules() {
    for (inner, outer_rule) in [
        (
            "From: alice@example.org\r\nFrom: mallory@example.net\r\n",
            Problem::SeveralFromFields,
        ),
        (
            "From: alice@example.org, mallory@example.net\r\n",
            Problem::AmbiguousSender {
                value: "alice@example.org, mallory@example.net".to_owned(),
            },
        ),
        (
            "From: \"boss@example.org\" <alice@example.org>\r\n",
            Problem::AmbiguousSender {
                value: "\"boss@example.org\" <alice@example.org>".to_owned(),
            },
        ),
        (
            "From: =?utf-8?q?boss=40example.org?= <alice@example.org>\r\n",
            Problem::AmbiguousSender {
                value: "=?utf-8?q?boss=40example.org?= <alice@example.org>".to_owned(),
            },
        ),
    ] {
        let entity =
            format!("Content-Type: text/plain; hp=\"clear\"\r\n{inner}Subject: s\r\n\r\nHi\r\n");
        for message in protected("From: alice@example.org\r\n", entity.as_bytes(), "alice") {
            let report = both(&message, &anchors());
            assert!(!report.valid, "{inner:?}");
            assert!(
                report
                    .problems
                    .contains(&Problem::ProtectedHeader(Box::new(outer_rule.clone()))),
                "{inner:?}: {:?}",
                report.problems
            );
        }
    }
}

/// Case 5a: RFC 8550 §3, the subjectAltName before the subject DN
/// `emailAddress`. A certificate whose SAN names mallory and whose DN
/// names alice signs `From: alice`: `from_matches == Some(false)`, the
/// certificate's addresses are the SAN's only. Before: matched alice.
/// Control: the same shape without SAN email uses the DN address.
#[test]
fn san_wins_over_a_different_dn_email_address() {
    let (ca, ca_key) = intermediate();
    let mut spec = Spec::leaf("two names", "mallory@example.net", 0x51_0001);
    spec.dn_email = Some("alice@example.org");
    let (cert, key) = issue(&spec, Some((&ca, &ca_key)));
    let id = identity_of(&key, &cert, std::slice::from_ref(&ca));
    assert_eq!(id.certificate().email_addresses(), ["mallory@example.net"]);
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let message = b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nHi\r\n";
        let report = both(&sign(message, &id, &options).unwrap(), &anchors());
        assert!(!report.valid);
        assert_eq!(report.signers[0].chain, ChainStatus::Trusted);
        assert_eq!(report.signers[0].from_matches, Some(false));
    }
    let mut dn_only = Spec::leaf("dn only", "", 0x51_0002);
    dn_only.san_emails.clear();
    dn_only.dn_email = Some("alice@example.org");
    let (cert, _) = issue(&dn_only, Some((&ca, &ca_key)));
    let cert = smime::Certificate::from_der(&cert.to_der().unwrap()).unwrap();
    assert_eq!(cert.email_addresses(), ["alice@example.org"]);
}

/// Case 5b: RFC 8398 SmtpUTF8Mailbox otherName read as an address: a
/// certificate naming `jürgen@example.org` only that way signs
/// `From: jürgen@example.org` and is valid (before: no address at all).
#[test]
fn smtputf8_mailbox_is_an_address() {
    let (ca, ca_key) = intermediate();
    let mut spec = Spec::leaf("utf8", "", 0x51_0003);
    spec.san_emails.clear();
    spec.san_utf8 = vec!["jürgen@example.org"];
    let (cert, key) = issue(&spec, Some((&ca, &ca_key)));
    let id = identity_of(&key, &cert, std::slice::from_ref(&ca));
    assert_eq!(id.certificate().email_addresses(), ["jürgen@example.org"]);
    let message = "From: Jürgen <jürgen@example.org>\r\nContent-Type: text/plain\r\n\r\nHallo\r\n";
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let report = both(
            &sign(message.as_bytes(), &id, &options).unwrap(),
            &anchors(),
        );
        assert!(report.valid, "{report:#?}");
        assert_eq!(report.signers[0].from_matches, Some(true));
    }
}

/// Case 5c: a display name with a look-alike `@` (U+FF20 FULLWIDTH, U+FE6B
/// SMALL, the circled a; raw UTF-8 or encoded-word) reads as another
/// address: `AmbiguousSender`, not valid (before: valid, from matches).
#[test]
fn confusable_at_in_a_display_name_is_flagged() {
    for display in [
        "alice\u{FF20}example.org",
        "alice\u{FE6B}example.org",
        "alice\u{24D0}example.org",
        "=?utf-8?b?YWxpY2XvvKBleGFtcGxlLm9yZw==?=",
    ] {
        let from = format!("From: {display} <mallory@example.net>\r\n");
        for message in signed(&from, b"Content-Type: text/plain\r\n\r\nHi\r\n", "mallory") {
            let report = both(&message, &anchors());
            assert!(!report.valid, "{display}");
            assert_eq!(report.signers[0].from_matches, Some(true));
            assert!(
                has(&report, |p| matches!(p, Problem::AmbiguousSender { .. })),
                "{display}: {:?}",
                report.problems
            );
        }
    }
}

/// Case 9 (false NOT valid): RFC 2047 encoded display names, as
/// Thunderbird, Outlook and mail-builder write every non-ASCII name
/// (B and Q, UTF-8, ISO-8859-1, windows-1251), are decoded and checked,
/// and a plain name is no problem: valid on both paths. Before: every
/// one `AmbiguousSender`, NOT valid.
#[test]
fn rfc2047_display_names_are_valid() {
    for display in [
        "=?utf-8?B?SsO8cmdlbiBNw7xsbGVy?=",
        "=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=",
        "=?iso-8859-1?q?J=FCrgen_M=FCller?=",
        "=?windows-1251?B?yuDs6A==?=",
        "\"=?utf-8?q?Fran=C3=A7ois?=\"",
        "=?utf-8?q?Jean?= =?utf-8?q?-Fran=C3=A7ois?=",
    ] {
        let from = format!("From: {display} <alice@example.org>\r\n");
        for message in signed(&from, b"Content-Type: text/plain\r\n\r\nHi\r\n", "alice") {
            let report = both(&message, &anchors());
            assert!(report.valid, "{display}: {report:#?}");
            assert!(report.problems.is_empty());
        }
        // The same name in a protected header is fine too.
        let entity = format!(
            "Content-Type: text/plain; hp=\"clear\"\r\nFrom: {display} <alice@example.org>\r\n\r\nHi\r\n"
        );
        for message in protected(&from, entity.as_bytes(), "alice") {
            assert!(both(&message, &anchors()).valid, "{display} (inner)");
        }
    }
}
