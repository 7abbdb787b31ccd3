//! `open` over all 31 RFC 9788 Appendix C test vectors: the verdict, the
//! Header Protection scheme, the displayed Subject/From/To/Date, each
//! protected field's protection state and the Legacy Display elements
//! hidden, as the corpus README (fixtures/rfc9788/) states per vector.

use smime::{
    Certificate, FieldProtection, HeaderProtection, Identity, OpenOptions, Opened, Password,
    Verdict, VerifyOptions,
};

use crate::common::read_fixture;

/// What a vector is: the crypto, the Header Protection and which protected
/// fields are confidential.
#[derive(Clone, Copy, PartialEq)]
enum Crypto {
    None,
    Signed,
    SignedEncrypted,
}

struct Vector {
    file: &'static str,
    crypto: Crypto,
    hp: HeaderProtection,
    /// The hcp_shy vectors hide From, To and Date too.
    shy: bool,
    legacy: bool,
    reply: bool,
    date: &'static str,
}

const fn v(
    file: &'static str,
    crypto: Crypto,
    hp: HeaderProtection,
    shy: bool,
    legacy: bool,
    reply: bool,
    date: &'static str,
) -> Vector {
    Vector {
        file,
        crypto,
        hp,
        shy,
        legacy,
        reply,
        date,
    }
}

use Crypto::{None as Plain, Signed, SignedEncrypted as Both};
use HeaderProtection::{Cipher, Clear, None as NoHp, Rfc8551};

/// The corpus README's table "Per vector", one line each.
const VECTORS: [Vector; 31] = [
    v(
        "C.1.1-no-crypto",
        Plain,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:00:02 -0500",
    ),
    v(
        "C.1.2-smime-one-part",
        Signed,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:01:02 -0500",
    ),
    v(
        "C.1.3-smime-multipart",
        Signed,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:02:02 -0500",
    ),
    v(
        "C.1.4-smime-signed-enc",
        Both,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:03:02 -0500",
    ),
    v(
        "C.1.5-no-crypto-complex",
        Plain,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:00:02 -0500",
    ),
    v(
        "C.1.6-smime-one-part-complex",
        Signed,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:01:02 -0500",
    ),
    v(
        "C.1.7-smime-multipart-complex",
        Signed,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:02:02 -0500",
    ),
    v(
        "C.1.8-smime-signed-enc-complex",
        Both,
        NoHp,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:03:02 -0500",
    ),
    v(
        "C.2.1-smime-one-part-hp",
        Signed,
        Clear,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:06:02 -0500",
    ),
    v(
        "C.2.2-smime-multipart-hp",
        Signed,
        Clear,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:07:02 -0500",
    ),
    v(
        "C.2.3-smime-one-part-complex-hp",
        Signed,
        Clear,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:06:02 -0500",
    ),
    v(
        "C.2.4-smime-multipart-complex-hp",
        Signed,
        Clear,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:07:02 -0500",
    ),
    v(
        "C.2.5-smime-one-part-complex-rfc8551hp",
        Signed,
        Rfc8551,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:26:02 -0500",
    ),
    v(
        "C.2.6-smime-multipart-complex-rfc8551hp",
        Signed,
        Rfc8551,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:27:02 -0500",
    ),
    v(
        "C.3.1-smime-signed-enc-hp-baseline",
        Both,
        Cipher,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 10:09:02 -0500",
    ),
    v(
        "C.3.2-smime-signed-enc-hp-baseline-legacy",
        Both,
        Cipher,
        false,
        true,
        false,
        "Sat, 20 Feb 2021 10:10:02 -0500",
    ),
    v(
        "C.3.3-smime-signed-enc-hp-shy",
        Both,
        Cipher,
        true,
        false,
        false,
        "Sat, 20 Feb 2021 10:12:02 -0500",
    ),
    v(
        "C.3.4-smime-signed-enc-hp-shy-legacy",
        Both,
        Cipher,
        true,
        true,
        false,
        "Sat, 20 Feb 2021 10:13:02 -0500",
    ),
    v(
        "C.3.5-smime-signed-enc-hp-baseline-reply",
        Both,
        Cipher,
        false,
        false,
        true,
        "Sat, 20 Feb 2021 10:15:02 -0500",
    ),
    v(
        "C.3.6-smime-signed-enc-hp-baseline-legacy-reply",
        Both,
        Cipher,
        false,
        true,
        true,
        "Sat, 20 Feb 2021 10:16:02 -0500",
    ),
    v(
        "C.3.7-smime-signed-enc-hp-shy-reply",
        Both,
        Cipher,
        true,
        false,
        true,
        "Sat, 20 Feb 2021 10:18:02 -0500",
    ),
    v(
        "C.3.8-smime-signed-enc-hp-shy-legacy-reply",
        Both,
        Cipher,
        true,
        true,
        true,
        "Sat, 20 Feb 2021 10:19:02 -0500",
    ),
    v(
        "C.3.9-smime-signed-enc-complex-hp-baseline",
        Both,
        Cipher,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:09:02 -0500",
    ),
    v(
        "C.3.10-smime-signed-enc-complex-hp-baseline-legacy",
        Both,
        Cipher,
        false,
        true,
        false,
        "Sat, 20 Feb 2021 12:10:02 -0500",
    ),
    v(
        "C.3.11-smime-signed-enc-complex-hp-shy",
        Both,
        Cipher,
        true,
        false,
        false,
        "Sat, 20 Feb 2021 12:12:02 -0500",
    ),
    v(
        "C.3.12-smime-signed-enc-complex-hp-shy-legacy",
        Both,
        Cipher,
        true,
        true,
        false,
        "Sat, 20 Feb 2021 12:13:02 -0500",
    ),
    v(
        "C.3.13-smime-signed-enc-complex-hp-baseline-reply",
        Both,
        Cipher,
        false,
        false,
        true,
        "Sat, 20 Feb 2021 12:15:02 -0500",
    ),
    v(
        "C.3.14-smime-signed-enc-complex-hp-baseline-lgc-rpl",
        Both,
        Cipher,
        false,
        true,
        true,
        "Sat, 20 Feb 2021 12:16:02 -0500",
    ),
    v(
        "C.3.15-smime-signed-enc-complex-hp-shy-reply",
        Both,
        Cipher,
        true,
        false,
        true,
        "Sat, 20 Feb 2021 12:18:02 -0500",
    ),
    v(
        "C.3.16-smime-signed-enc-complex-hp-shy-legacy-reply",
        Both,
        Cipher,
        true,
        true,
        true,
        "Sat, 20 Feb 2021 12:19:02 -0500",
    ),
    v(
        "C.3.17-smime-enc-signed-complex-rfc8551hp-baseline",
        Both,
        Rfc8551,
        false,
        false,
        false,
        "Sat, 20 Feb 2021 12:28:02 -0500",
    ),
];

pub fn rfc9216_identities(name: &str) -> Vec<Identity> {
    let bundle = read_fixture(&format!("rfc9788/keys/{name}.p12"));
    smime::pkcs12::import_all(&bundle, &Password::new(name), &smime::Limits::default())
        .unwrap_or_else(|e| panic!("{name}.p12: {e}"))
        .identities
}

pub fn rfc9216_options() -> OpenOptions {
    let ca = Certificate::from_pem(&read_fixture("rfc9788/keys/ca.rsa.crt"))
        .unwrap_or_else(|e| panic!("ca: {e}"));
    OpenOptions::new(VerifyOptions::new(&[ca]))
}

fn value<'a>(opened: &'a Opened, name: &str) -> &'a str {
    opened
        .header(name)
        .map(|h| h.value.as_str())
        .unwrap_or_else(|| panic!("no {name} shown"))
}

fn protection(opened: &Opened, name: &str) -> FieldProtection {
    opened
        .header(name)
        .map(|h| h.protection)
        .unwrap_or_else(|| panic!("no {name} shown"))
}

#[test]
fn open_shows_every_rfc9788_vector_as_the_rfc_says() {
    let bob = rfc9216_identities("bob");
    let options = rfc9216_options();
    for vector in &VECTORS {
        let name = vector.file;
        let message = read_fixture(&format!("rfc9788/vectors/{name}.eml"));
        let opened =
            smime::open(&message, &bob, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = match vector.crypto {
            Plain => Verdict::Unsigned,
            Signed => Verdict::SignedAndValid,
            Both => Verdict::SignedAndEncrypted,
        };
        assert_eq!(opened.verdict, expected, "{name}: {:?}", opened.layers);
        assert_eq!(opened.header_protection, vector.hp, "{name}");
        // The displayed values are the protected ones: the real Subject
        // (not `[...]`), display names, the composer's own time zone.
        let subject = name.split_once('-').map_or("", |(_, s)| s);
        assert_eq!(value(&opened, "Subject"), subject, "{name}");
        assert_eq!(
            value(&opened, "From"),
            "Alice <alice@smime.example>",
            "{name}"
        );
        assert_eq!(value(&opened, "To"), "Bob <bob@smime.example>", "{name}");
        assert_eq!(value(&opened, "Date"), vector.date, "{name}");
        assert_eq!(
            opened
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("Subject"))
                .count(),
            1,
            "{name}: one Subject"
        );
        assert!(
            opened.header("HP-Outer").is_none(),
            "{name}: HP-Outer is not shown"
        );
        // Per-field protection (§4.3.1).
        let confidential: &[&str] = match (vector.hp, vector.shy) {
            (Cipher | Rfc8551, true) => &["Subject", "From", "To", "Date"],
            (Cipher, false) => &["Subject"],
            (Rfc8551, false) if vector.crypto == Both => &["Subject"],
            _ => &[],
        };
        let mut exposed = vec!["Message-ID", "User-Agent"];
        if vector.reply {
            exposed.extend(["In-Reply-To", "References"]);
        }
        for field in ["Subject", "From", "To", "Date"] {
            if !confidential.contains(&field) {
                exposed.push(field);
            }
        }
        for field in confidential {
            assert_eq!(
                protection(&opened, field),
                FieldProtection::SignedAndEncrypted,
                "{name} {field}"
            );
        }
        let exposed_state = match vector.hp {
            NoHp => FieldProtection::Unprotected,
            _ => FieldProtection::SignedOnly,
        };
        for field in exposed {
            assert_eq!(protection(&opened, field), exposed_state, "{name} {field}");
        }
        // The displayed message: the protected header in place, no
        // signature part, no legacy display element, the body shown.
        let shown = String::from_utf8_lossy(&opened.message);
        assert!(
            shown.contains(&format!("\r\nSubject: {subject}\r\n"))
                || shown.starts_with(&format!("Subject: {subject}\r\n")),
            "{name}: {shown}"
        );
        assert!(!shown.contains("[...]"), "{name}: obscured subject shown");
        assert!(
            !shown.contains("pkcs7"),
            "{name}: a signature or envelope left"
        );
        assert!(!shown.contains("HP-Outer"), "{name}");
        // (The RFC 8551 vectors' inner message has bare LF line ends.)
        let lf = shown.replace("\r\n", "\n");
        assert!(
            lf.contains(&format!("{subject}\nmessage."))
                || lf.contains(&format!("<b>{subject}</b>\nmessage.")),
            "{name}: body not shown"
        );
        assert_eq!(opened.legacy_display_removed, vector.legacy, "{name}");
        assert!(
            !shown.contains("header-protection-legacy-display\""),
            "{name}: html legacy display shown"
        );
        if vector.legacy {
            // The text/plain element repeated the Subject as the first line.
            assert!(
                !lf.contains(&format!("\n\nSubject: {subject}\n")),
                "{name}: legacy display shown"
            );
        }
        if vector.hp == Rfc8551 {
            assert!(
                !shown.contains("message/rfc822"),
                "{name}: rendered as an attachment"
            );
        }
    }
}

#[test]
fn open_without_the_key_is_a_typed_error_and_alice_opens_them_too() {
    let options = rfc9216_options();
    let message = read_fixture("rfc9788/vectors/C.3.3-smime-signed-enc-hp-shy.eml");
    let none: Vec<Identity> = Vec::new();
    assert!(matches!(
        smime::open(&message, &none, &options),
        Err(smime::Error::NotForRecipient)
    ));
    let alice = rfc9216_identities("alice");
    let opened = smime::open(&message, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndEncrypted);
    assert_eq!(value(&opened, "From"), "Alice <alice@smime.example>");
}

#[test]
fn untrusted_signer_is_signed_but_invalid_and_fields_drop_to_encrypted_only() {
    let bob = rfc9216_identities("bob");
    let options = OpenOptions::new(VerifyOptions::new(&[]));
    let message = read_fixture("rfc9788/vectors/C.3.1-smime-signed-enc-hp-baseline.eml");
    let opened = smime::open(&message, &bob, &options).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            opened.verdict,
            Verdict::SignedButInvalid {
                encrypted: true,
                why: smime::Invalid::Chain(_)
            }
        ),
        "{:?}",
        opened.verdict
    );
    // §4.3.1: without a valid signature the states drop a level.
    assert_eq!(
        protection(&opened, "Subject"),
        FieldProtection::EncryptedOnly
    );
    assert_eq!(protection(&opened, "From"), FieldProtection::Unprotected);
}

#[test]
fn every_intermediate_layer_of_the_corpus_is_what_we_decrypt_and_verify() {
    let Some(corpus) = crate::common::corpus() else {
        eprintln!(
            "skipped: ../shared/corpus is not there (the layers are only in the shared corpus)"
        );
        return;
    };
    let dir = corpus.join("rfc9788");
    let bob = rfc9216_identities("bob");
    let verify = rfc9216_options().verify;
    let mut checked = 0;
    for vector in &VECTORS {
        let name = vector.file;
        let message = std::fs::read(dir.join(format!("vectors/{name}.eml")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let section = name.split('-').next().unwrap_or_default();
        let stem = name.split_once('-').map_or("", |(_, s)| s);
        let layer = |kind: &str| {
            let (number, kind) = kind.split_at(2);
            std::fs::read(dir.join(format!("layers/{section}{number}-{stem}{kind}")))
        };
        match vector.crypto {
            Both => {
                let decrypted = smime::decrypt(&message, &bob, &smime::DecryptOptions::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let expected = layer(".1.decrypted.eml").unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(decrypted.content, expected, "{name}: decrypted layer");
                let report = smime::verify(&decrypted.content, &verify)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(report.valid, "{name}");
                let payload =
                    layer(".2.decrypted-unwrapped.eml").unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(report.content, payload, "{name}: payload");
                checked += 2;
            }
            Signed if vector.file.contains("one-part") => {
                let report =
                    smime::verify(&message, &verify).unwrap_or_else(|e| panic!("{name}: {e}"));
                let payload = layer(".1.unwrapped.eml").unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(report.content, payload, "{name}: payload");
                checked += 1;
            }
            _ => {}
        }
    }
    assert_eq!(checked, 43, "every layer the corpus has");
}

#[test]
fn outer_fields_changed_in_transit_do_not_change_what_is_shown() {
    let message = String::from_utf8(read_fixture("rfc9788/vectors/C.2.2-smime-multipart-hp.eml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // A relay (or an attacker) rewrites the outer Subject and adds a
    // Reply-To: the outer header is not signed.
    let tampered = message.replacen(
        "Subject: smime-multipart-hp\r\n",
        "Subject: URGENT: wire the money\r\nReply-To: mallory@evil.example\r\n",
        1,
    );
    assert_ne!(tampered, message);
    let none: Vec<Identity> = Vec::new();
    let opened = smime::open(tampered.as_bytes(), &none, &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndValid);
    assert_eq!(value(&opened, "Subject"), "smime-multipart-hp");
    assert_eq!(protection(&opened, "Subject"), FieldProtection::SignedOnly);
    // Shown, but marked as what it is.
    assert_eq!(value(&opened, "Reply-To"), "mallory@evil.example");
    assert_eq!(
        protection(&opened, "Reply-To"),
        FieldProtection::Unprotected
    );
    assert!(!String::from_utf8_lossy(&opened.message).contains("URGENT"));
}
