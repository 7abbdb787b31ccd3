//! `compose` and `open`: the mailbox's settings applied, RFC 9788 Header
//! Protection written as the RFC's vectors show it for the same inputs,
//! re-opened by us and by `openssl cms`, every address without a
//! certificate listed, Bcc kept out, and mail-builder / mail-parser round
//! trips with non-ASCII header fields and attachments.

use std::process::Command;

use smime::{
    Certificate, ComposeOptions, FieldProtection, HeaderConfidentialityPolicy, Identity,
    ImportOptions, Mailbox, SignOptions, Store, Verdict,
};

use super::message_rfc9788::{rfc9216_identities, rfc9216_options};
use crate::common::{fixture, openssl_cli, read_fixture};

fn mailbox(s: &str) -> Mailbox {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Alice's mailbox (both RFC 9216 identities) and Bob's encryption
/// certificate in the recipient directory.
fn alice_store() -> (Store, Mailbox) {
    let store = Store::in_memory().unwrap_or_else(|e| panic!("{e}"));
    let alice = mailbox("alice@smime.example");
    for identity in rfc9216_identities("alice") {
        store
            .import_identity(&alice, &identity, ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let bob = Certificate::from_pem(&read_fixture("rfc9788/keys/bob.encrypt.crt"))
        .unwrap_or_else(|e| panic!("{e}"));
    store
        .add_recipient_certificate(&bob)
        .unwrap_or_else(|e| panic!("{e}"));
    (store, alice)
}

/// The message the composer of an RFC vector started from: the vector's
/// payload without the `HP-Outer` fields and the `hp` parameter.
fn rfc_input(layer: &str) -> Vec<u8> {
    let payload = String::from_utf8(read_fixture(&format!("rfc9788/layers/{layer}")))
        .unwrap_or_else(|e| panic!("{e}"));
    payload
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("HP-Outer:"))
        .collect::<String>()
        .replace("; hp=\"cipher\"", "")
        .replace("; hp=\"clear\"", "")
        .into_bytes()
}

/// The `(name, value)` pairs of a header section, sorted, unfolded.
fn fields(entity: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(entity);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut out: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push_str(line);
                last.1 = last.1.trim().to_owned();
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    out.sort();
    out
}

fn non_structural(fields: Vec<(String, String)>) -> Vec<(String, String)> {
    fields
        .into_iter()
        .filter(|(n, _)| {
            !n.eq_ignore_ascii_case("MIME-Version")
                && !n.to_ascii_lowercase().starts_with("content-")
        })
        .collect()
}

/// The Cryptographic Payload inside our output: decrypted with Bob's key,
/// the signed content.
fn payload_of(sent: &[u8]) -> Vec<u8> {
    let bob = rfc9216_identities("bob");
    let decrypted = smime::decrypt(sent, &bob, &smime::DecryptOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let report = smime::verify(&decrypted.content, &rfc9216_options().verify)
        .unwrap_or_else(|e| panic!("{e}"));
    report.content
}

fn compose_like_the_rfc(layer: &str, hcp: HeaderConfidentialityPolicy) -> (Vec<u8>, Vec<u8>) {
    let (store, alice) = alice_store();
    let input = rfc_input(layer);
    let options = ComposeOptions::default()
        .sign(true)
        .encrypt(true)
        .header_protection(Some(hcp))
        .sign_options(SignOptions::default().opaque());
    let sent = smime::compose(&input, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    (input, sent)
}

#[test]
fn compose_writes_the_rfc9788_structure_for_the_rfcs_inputs() {
    for (vector, layer, hcp) in [
        (
            "C.3.1-smime-signed-enc-hp-baseline.eml",
            "C.3.1.2-smime-signed-enc-hp-baseline.decrypted-unwrapped.eml",
            HeaderConfidentialityPolicy::Baseline,
        ),
        (
            "C.3.3-smime-signed-enc-hp-shy.eml",
            "C.3.3.2-smime-signed-enc-hp-shy.decrypted-unwrapped.eml",
            HeaderConfidentialityPolicy::Shy,
        ),
    ] {
        let (_, sent) = compose_like_the_rfc(layer, hcp);
        let rfc = read_fixture(&format!("rfc9788/vectors/{vector}"));
        // The outer header: the same Non-Structural fields with the same
        // values (Subject `[...]`; for hcp_shy bare addresses, UTC Date).
        assert_eq!(
            non_structural(fields(&sent)),
            non_structural(fields(&rfc)),
            "{vector}"
        );
        // Inside: the same fields, HP-Outer records and hp="cipher"
        // (structural fields may come in another order), the same body.
        let ours = payload_of(&sent);
        let theirs = read_fixture(&format!("rfc9788/layers/{layer}"));
        assert_eq!(fields(&ours), fields(&theirs), "{vector}");
        let body = |b: &[u8]| {
            let text = String::from_utf8_lossy(b).into_owned();
            text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
        };
        assert_eq!(body(&ours), body(&theirs), "{vector}");
    }
}

#[test]
fn signed_only_compose_writes_the_rfc9788_hp_clear_structure() {
    let (store, alice) = alice_store();
    let layer = "C.2.1.1-smime-one-part-hp.unwrapped.eml";
    let options = ComposeOptions::default()
        .sign(true)
        .encrypt(false)
        .sign_options(SignOptions::default().opaque());
    let sent = smime::compose(&rfc_input(layer), &store, &alice, &options)
        .unwrap_or_else(|e| panic!("{e}"));
    let rfc = read_fixture("rfc9788/vectors/C.2.1-smime-one-part-hp.eml");
    // Signed only: every field outside as it was, and the same inside.
    assert_eq!(non_structural(fields(&sent)), non_structural(fields(&rfc)));
    let report = smime::verify(&sent, &rfc9216_options().verify).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.valid);
    let theirs = read_fixture(&format!("rfc9788/layers/{layer}"));
    assert_eq!(fields(&report.content), fields(&theirs));
    assert!(!String::from_utf8_lossy(&report.content).contains("HP-Outer"));
}

#[test]
fn compressed_layers_are_unwrapped_and_bounded_by_the_depth_limit() {
    let (store, alice) = alice_store();
    let message =
        b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: zipped\r\n\r\nbody\r\n";
    let options = ComposeOptions::default()
        .sign(true)
        .sign_options(SignOptions::default().compress());
    let sent = smime::compose(message, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    let none: [Identity; 0] = [];
    let opened = smime::open(&sent, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndValid);
    assert!(matches!(
        opened.layers.as_slice(),
        [smime::Layer::Signed(_), smime::Layer::Compressed]
    ));
    assert_eq!(
        opened.header("Subject").map(|h| h.protection),
        Some(FieldProtection::SignedOnly)
    );
    assert!(opened.message.ends_with(b"body\r\n"));
    // Layers inside layers, beyond max_mime_depth: refused, named.
    let mut nested = message.to_vec();
    for _ in 0..4 {
        nested =
            smime::compress(&nested, &smime::Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    }
    let mut limits = smime::Limits::default();
    limits.max_mime_depth = 3;
    let mut shallow = rfc9216_options();
    shallow.verify = shallow.verify.limits(limits);
    assert!(matches!(
        smime::open(&nested, &none, &shallow),
        Err(smime::Error::LimitExceeded {
            limit: "max_mime_depth",
            ..
        })
    ));
    let deep = smime::open(&nested, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deep.layers.len(), 4);
    assert_eq!(deep.verdict, Verdict::Unsigned);
}

#[test]
fn composed_messages_open_here_with_the_protected_header() {
    let (input, sent) = compose_like_the_rfc(
        "C.3.3.2-smime-signed-enc-hp-shy.decrypted-unwrapped.eml",
        HeaderConfidentialityPolicy::Shy,
    );
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndEncrypted);
    let shown = |name: &str| opened.header(name).map(|h| (h.value.clone(), h.protection));
    assert_eq!(
        shown("From"),
        Some((
            "Alice <alice@smime.example>".to_owned(),
            FieldProtection::SignedAndEncrypted
        ))
    );
    assert_eq!(
        shown("Subject"),
        Some((
            "smime-signed-enc-hp-shy".to_owned(),
            FieldProtection::SignedAndEncrypted
        ))
    );
    assert_eq!(
        shown("Message-ID").map(|s| s.1),
        Some(FieldProtection::SignedOnly)
    );
    let body = String::from_utf8_lossy(&input)
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned());
    assert!(body.is_some_and(|b| opened.message.ends_with(b.as_bytes())));
}

#[test]
fn composed_messages_decrypt_and_verify_with_openssl_cms() {
    let Some(openssl) = openssl_cli() else {
        eprintln!("skipped: no openssl CLI");
        return;
    };
    for opaque in [true, false] {
        let (store, alice) = alice_store();
        let input = rfc_input("C.3.1.2-smime-signed-enc-hp-baseline.decrypted-unwrapped.eml");
        let mut options = ComposeOptions::default().sign(true).encrypt(true);
        if opaque {
            options = options.sign_options(SignOptions::default().opaque());
        }
        let sent =
            smime::compose(&input, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = |n: &str| dir.path().join(n);
        std::fs::write(path("sent.eml"), &sent).unwrap_or_else(|e| panic!("{e}"));
        let keys = fixture("rfc9788/keys");
        let run = |args: &[&std::ffi::OsStr]| {
            let out = Command::new(openssl)
                .args(args)
                .output()
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&[
            "cms".as_ref(),
            "-decrypt".as_ref(),
            "-in".as_ref(),
            path("sent.eml").as_os_str(),
            "-inkey".as_ref(),
            keys.join("bob.decrypt.key").as_os_str(),
            "-recip".as_ref(),
            keys.join("bob.encrypt.crt").as_os_str(),
            "-out".as_ref(),
            path("decrypted.eml").as_os_str(),
        ]);
        run(&[
            "cms".as_ref(),
            "-verify".as_ref(),
            "-in".as_ref(),
            path("decrypted.eml").as_os_str(),
            "-CAfile".as_ref(),
            keys.join("ca.rsa.crt").as_os_str(),
            "-out".as_ref(),
            path("payload.eml").as_os_str(),
        ]);
        let payload = std::fs::read(path("payload.eml")).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&payload);
        assert!(
            text.contains("Subject: smime-signed-enc-hp-baseline\r\n"),
            "{text}"
        );
        assert!(text.contains("HP-Outer: Subject: [...]\r\n"), "{text}");
        assert!(text.contains("hp=\"cipher\""), "{text}");
    }
}

#[test]
fn every_address_without_a_certificate_is_listed() {
    let (store, alice) = alice_store();
    let message = b"From: alice@smime.example\r\nTo: Bob <bob@smime.example>, carol@x.example\r\n\
Cc: dave@y.example\r\nBcc: erin@z.example\r\nSubject: s\r\n\r\nbody\r\n";
    let err = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().encrypt(true),
    );
    match err {
        Err(smime::Error::NoCertificateFor { addresses }) => assert_eq!(
            addresses,
            vec![
                mailbox("carol@x.example"),
                mailbox("dave@y.example"),
                mailbox("erin@z.example")
            ]
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bcc_is_encrypted_to_but_named_nowhere() {
    let (store, alice) = alice_store();
    let message =
        b"From: alice@smime.example\r\nTo: alice@smime.example\r\nBcc: bob@smime.example\r\n\
Subject: s\r\n\r\nbody\r\n";
    let sent = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().sign(true).encrypt(true),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!String::from_utf8_lossy(&sent).contains("Bcc"));
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndEncrypted);
    assert!(opened.header("Bcc").is_none());
    assert!(!String::from_utf8_lossy(&opened.message).contains("bob@smime.example"));
}

#[test]
fn the_mailbox_settings_decide_unless_told() {
    let (store, alice) = alice_store();
    let message =
        b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\r\nbody\r\n";
    let options = ComposeOptions::default();
    let plain = smime::compose(message, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plain, message, "both settings off: unchanged");
    store
        .set_sign_by_default(&alice, true)
        .unwrap_or_else(|e| panic!("{e}"));
    let signed =
        smime::compose(message, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    let open = |m: &[u8]| {
        smime::open(m, &rfc9216_identities("bob"), &rfc9216_options())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let opened = open(&signed);
    assert_eq!(opened.verdict, Verdict::SignedAndValid);
    assert_eq!(opened.header_protection, smime::HeaderProtection::Clear);
    assert_eq!(
        opened.header("Subject").map(|h| h.protection),
        Some(FieldProtection::SignedOnly)
    );
    store
        .set_encrypt_by_default(&alice, true)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        open(&smime::compose(message, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}")))
            .verdict,
        Verdict::SignedAndEncrypted
    );
    let only = options.clone().sign(false);
    assert!(matches!(
        open(&smime::compose(message, &store, &alice, &only).unwrap_or_else(|e| panic!("{e}")))
            .verdict,
        Verdict::EncryptedOnly { .. }
    ));
    let off = options.header_protection(None);
    let sent = smime::compose(message, &store, &alice, &off).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        String::from_utf8_lossy(&sent).contains("Subject: s\r\n"),
        "no HP: Subject outside"
    );
    assert_eq!(open(&sent).header_protection, smime::HeaderProtection::None);
}

#[test]
fn legacy_display_only_when_asked_and_never_shown() {
    let (store, alice) = alice_store();
    let message =
        b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: secret plans\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\r\nbody\r\n";
    let options = ComposeOptions::default()
        .sign(true)
        .encrypt(true)
        .legacy_display();
    let sent = smime::compose(message, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
    let inner = String::from_utf8_lossy(&payload_of(&sent)).into_owned();
    assert!(inner.contains("hp-legacy-display=\"1\""), "{inner}");
    assert!(
        inner.contains("\r\n\r\nSubject: secret plans\r\n\r\nbody\r\n"),
        "{inner}"
    );
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(opened.legacy_display_removed);
    assert!(opened.message.ends_with(b"\r\n\r\nbody\r\n"));
    let without = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().sign(true).encrypt(true),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!String::from_utf8_lossy(&payload_of(&without)).contains("hp-legacy-display"));
}

#[test]
fn a_destroyed_signature_is_not_the_same_as_no_signature() {
    let (store, alice) = alice_store();
    let message =
        b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\r\nbody\r\n";
    let signed = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().sign(true),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&signed).into_owned();
    // Replace the base64 of the signature part with garbage.
    let marker = "S/MIME Cryptographic Signature\r\n\r\n";
    let start = text.find(marker).unwrap_or_else(|| panic!("{text}")) + marker.len();
    let mut damaged = text.get(..start).unwrap_or_default().to_owned();
    damaged.push_str("AAAA\r\n");
    damaged.push_str(
        text.get(text.rfind("\r\n--").unwrap_or(0)..)
            .unwrap_or_default(),
    );
    let none: [Identity; 0] = [];
    let opened = smime::open(damaged.as_bytes(), &none, &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        opened.verdict,
        Verdict::SignatureUnreadable { encrypted: false }
    );
    assert!(matches!(
        opened.layers.first(),
        Some(smime::Layer::SignatureUnreadable(_))
    ));
    assert!(opened.message.ends_with(b"body\r\n"));
    let unsigned =
        smime::open(message, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unsigned.verdict, Verdict::Unsigned);
    assert!(
        unsigned
            .headers
            .iter()
            .all(|h| h.protection == FieldProtection::Unprotected)
    );
}

#[test]
fn mail_builder_to_compose_to_open_to_mail_parser_keeps_non_ascii_and_attachments() {
    use mail_parser::{MessageParser, MimeHeaders};
    let (store, alice) = alice_store();
    let png = [
        0x89u8, b'P', b'N', b'G', 0, 1, 2, 0xff, 0xfe, b'\r', b'\n', 0,
    ];
    let built = mail_builder::MessageBuilder::new()
        .from(("Alice Ünïcødé", "alice@smime.example"))
        .to(("Bøb", "bob@smime.example"))
        .subject("Grüße — 秘密の計画")
        .text_body("Hallo Bøb, ça va? 日本語\r\n")
        .attachment("image/png", "bild-ä.png", png.as_slice())
        .write_to_vec()
        .unwrap_or_else(|e| panic!("{e}"));
    for (sign, encrypt) in [(true, true), (true, false), (false, true)] {
        let options = ComposeOptions::default().sign(sign).encrypt(encrypt);
        let sent =
            smime::compose(&built, &store, &alice, &options).unwrap_or_else(|e| panic!("{e}"));
        if encrypt {
            // The real Subject is not readable outside.
            let outer = MessageParser::default()
                .parse(&sent)
                .unwrap_or_else(|| panic!("parse"));
            assert_eq!(outer.subject(), Some("[...]"));
        }
        let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            opened.verdict.is_valid() || matches!(opened.verdict, Verdict::EncryptedOnly { .. }),
            "{}",
            opened.verdict
        );
        assert_eq!(
            opened
                .header("Subject")
                .map(|h| h.decoded_value())
                .as_deref(),
            Some("Grüße — 秘密の計画")
        );
        let shown = MessageParser::default()
            .parse(&opened.message[..])
            .unwrap_or_else(|| panic!("parse"));
        assert_eq!(shown.subject(), Some("Grüße — 秘密の計画"));
        assert_eq!(
            shown.from().and_then(|a| a.first()).and_then(|a| a.name()),
            Some("Alice Ünïcødé")
        );
        assert_eq!(
            shown.body_text(0).as_deref().map(str::trim_end),
            Some("Hallo Bøb, ça va? 日本語")
        );
        assert_eq!(
            shown.attachment_count(),
            1,
            "no smime.p7s, the one attachment"
        );
        let attachment = shown.attachment(0).unwrap_or_else(|| panic!("attachment"));
        assert_eq!(attachment.attachment_name(), Some("bild-ä.png"));
        assert_eq!(attachment.contents(), png);
    }
}

#[test]
fn a_signature_by_someone_other_than_the_sender_is_signed_but_invalid() {
    let (store, alice) = alice_store();
    // Alice's signer, but the message claims to come from Mallory.
    let message =
        b"From: mallory@evil.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\r\nbody\r\n";
    let sent = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().sign(true),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let none: [Identity; 0] = [];
    let opened = smime::open(&sent, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        matches!(
            opened.verdict,
            Verdict::SignedButInvalid {
                encrypted: false,
                ..
            }
        ),
        "{:?}",
        opened.verdict
    );
    assert!(!opened.verdict.is_valid());
    assert_eq!(
        opened.header("From").map(|h| h.protection),
        Some(FieldProtection::Unprotected)
    );
}

#[test]
fn reports_display_the_words_a_client_shows() {
    let alice = Certificate::from_pem(&read_fixture("rfc9788/keys/alice.sign.crt"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(alice.common_name().as_deref(), Some("Alice Lovelace"));
    let root =
        Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(root.common_name().as_deref(), Some("smime test Root CA"));

    let message = read_fixture("rfc9788/vectors/C.3.1-smime-signed-enc-hp-baseline.eml");
    let opened = smime::open(&message, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict.to_string(), "signed and encrypted, valid");
    let lines: Vec<String> = opened.layers.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "encrypted with AES-128-CBC (not integrity protected)",
            "valid: signed by Alice Lovelace <alice@smime.example>: signature valid, chain trusted",
        ]
    );
    let untrusted = smime::open(
        &message,
        &rfc9216_identities("bob"),
        &smime::OpenOptions::new(smime::VerifyOptions::new(&[])),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        untrusted
            .verdict
            .to_string()
            .starts_with("signed (encrypted), NOT valid: certificate untrusted"),
        "{}",
        untrusted.verdict
    );
}

#[test]
fn debug_output_shows_no_decrypted_content() {
    let message = read_fixture("rfc9788/vectors/C.3.3-smime-signed-enc-hp-shy.eml");
    let opened = smime::open(&message, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    let debug = format!("{opened:?}");
    for secret in [
        "smime-signed-enc-hp-shy\r\nmessage",
        "Alice <alice",
        "10:12:02 -0500",
        "This is the",
    ] {
        assert!(!debug.contains(secret), "{secret:?} in {debug}");
    }
    assert!(debug.contains("SignedAndEncrypted"));
}
