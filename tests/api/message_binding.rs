//! `open` binds the payload's protected sender to the innermost signer
//! even when an encrypted or compressed layer lies between them
//! (encrypt-then-sign, sign over compressed-data): a signer cannot wrap a
//! payload that claims someone else sent it.

use smime::{
    EncryptOptions, FieldProtection, Identity, Invalid, Layer, Problem, SignOptions, Verdict,
};

use super::message_rfc9788::{rfc9216_identities, rfc9216_options};

/// Bob's signing identity (his bundle also holds an encryption-only one).
fn bob_signer() -> Identity {
    rfc9216_identities("bob")
        .into_iter()
        .find(|i| i.certificate().can_sign())
        .unwrap_or_else(|| panic!("bob.p12 has no signing identity"))
}

/// Bob's encryption certificate.
fn bob_encryption() -> smime::Certificate {
    rfc9216_identities("bob")
        .into_iter()
        .map(|i| i.certificate().clone())
        .find(|c| !c.can_sign())
        .or_else(|| {
            rfc9216_identities("bob")
                .first()
                .map(|i| i.certificate().clone())
        })
        .unwrap_or_else(|| panic!("bob.p12 is empty"))
}

/// A message from `outer_from` whose wrapped (RFC 8551 §3.1) payload
/// claims `inner_from`.
fn wrapped(outer_from: &str, inner_from: &str) -> Vec<u8> {
    format!(
        "From: {outer_from}\r\nTo: bob@smime.example\r\nSubject: hi\r\n\
         Content-Type: message/rfc822\r\n\r\n\
         From: {inner_from}\r\nTo: bob@smime.example\r\nSubject: hi\r\n\r\nbody\r\n"
    )
    .into_bytes()
}

fn assert_spoof_refused(opened: &smime::Opened, encrypted: bool) {
    assert!(
        matches!(
            &opened.verdict,
            Verdict::SignedButInvalid {
                encrypted: e,
                why: Invalid::Problem(Problem::InnerFromNotSigner { from }),
            } if *e == encrypted && from.contains("alice@smime.example")
        ),
        "{:?}",
        opened.verdict
    );
    let from = opened
        .header("From")
        .unwrap_or_else(|| panic!("no From shown"));
    assert!(
        !matches!(
            from.protection,
            FieldProtection::SignedOnly | FieldProtection::SignedAndEncrypted
        ),
        "{:?}",
        from.protection
    );
}

#[test]
fn a_signer_wrapping_an_envelope_whose_payload_claims_another_sender_is_invalid() {
    let enc = smime::encrypt(
        &wrapped("bob@smime.example", "alice@smime.example"),
        &[bob_encryption()],
        &EncryptOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sent =
        smime::sign(&enc, &bob_signer(), &SignOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        opened.layers.as_slice(),
        [Layer::Signed(_), Layer::Encrypted { .. }]
    ));
    assert_spoof_refused(&opened, true);
}

#[test]
fn a_signer_wrapping_compressed_data_whose_payload_claims_another_sender_is_invalid() {
    let zipped = smime::compress(
        &wrapped("bob@smime.example", "alice@smime.example"),
        &smime::Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sent = smime::sign(&zipped, &bob_signer(), &SignOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let none: [Identity; 0] = [];
    let opened = smime::open(&sent, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        opened.layers.as_slice(),
        [Layer::Signed(_), Layer::Compressed]
    ));
    assert_spoof_refused(&opened, false);
}

#[test]
fn encrypt_then_sign_by_the_payloads_sender_stays_valid_and_signed() {
    let enc = smime::encrypt(
        &wrapped("bob@smime.example", "bob@smime.example"),
        &[bob_encryption()],
        &EncryptOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let sent =
        smime::sign(&enc, &bob_signer(), &SignOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndEncrypted);
    // The same From outside: signed, not confidential.
    assert_eq!(
        opened.header("From").map(|h| h.protection),
        Some(FieldProtection::SignedOnly)
    );
}

/// A payload with an `hp="clear"` Legacy Display part.
const LEGACY: &[u8] = b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"; hp=\"clear\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=UTF-8; hp-legacy-display=\"1\"\r\n\r\nSubject: s\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b--\r\n";

#[test]
fn legacy_display_is_kept_on_a_message_never_encrypted() {
    let alice = rfc9216_identities("alice")
        .into_iter()
        .find(|i| i.certificate().can_sign())
        .unwrap_or_else(|| panic!("alice.p12 has no signing identity"));
    let signed =
        smime::sign(LEGACY, &alice, &SignOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let none: [Identity; 0] = [];
    let opened = smime::open(&signed, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndValid);
    assert!(!opened.legacy_display_removed);
    assert!(
        String::from_utf8_lossy(&opened.message).contains("hp-legacy-display=\"1\""),
        "{}",
        String::from_utf8_lossy(&opened.message)
    );
}

#[test]
fn compressed_only_protects_no_header_field() {
    let zipped = smime::compress(
        &wrapped("alice@smime.example", "mallory@evil.example"),
        &smime::Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let none: [Identity; 0] = [];
    let opened = smime::open(&zipped, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::Unsigned);
    assert_eq!(opened.header_protection, smime::HeaderProtection::None);
    let from = opened
        .header("From")
        .unwrap_or_else(|| panic!("no From shown"));
    assert_eq!(from.value, "alice@smime.example");
    assert_eq!(from.protection, FieldProtection::Unprotected);
    let legacy =
        smime::compress(LEGACY, &smime::Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let opened = smime::open(&legacy, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!opened.legacy_display_removed);
}

#[test]
fn encrypted_only_is_authenticated_only_when_every_envelope_is() {
    let message =
        b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\r\nbody\r\n";
    let seal = |m: &[u8], cipher| {
        smime::encrypt(
            m,
            &[bob_encryption()],
            &EncryptOptions::default().cipher(cipher),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let cbc = seal(message, smime::ContentEncryption::Aes256Cbc);
    let gcm_over_cbc = seal(&cbc, smime::ContentEncryption::Aes256Gcm);
    let bob = rfc9216_identities("bob");
    let opened =
        smime::open(&gcm_over_cbc, &bob, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.layers.len(), 2);
    assert_eq!(
        opened.verdict,
        Verdict::EncryptedOnly {
            authenticated: false
        }
    );
    let gcm = seal(message, smime::ContentEncryption::Aes256Gcm);
    let opened = smime::open(&gcm, &bob, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        opened.verdict,
        Verdict::EncryptedOnly {
            authenticated: true
        }
    );
}

#[test]
fn a_signed_layer_keeps_no_copy_of_the_signed_content() {
    let enc = smime::encrypt(
        &wrapped("bob@smime.example", "bob@smime.example"),
        &[bob_encryption()],
        &EncryptOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let signed =
        smime::sign(&enc, &bob_signer(), &SignOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let sent = smime::encrypt(&signed, &[bob_encryption()], &EncryptOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let opened = smime::open(&sent, &rfc9216_identities("bob"), &rfc9216_options())
        .unwrap_or_else(|e| panic!("{e}"));
    let reports: Vec<_> = opened
        .layers
        .iter()
        .filter_map(|l| match l {
            Layer::Signed(report) => Some(report),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 1);
    assert!(reports.iter().all(|r| r.content.is_empty()));
    assert!(opened.message.ends_with(b"body\r\n"));
}

#[test]
fn a_multipart_signed_relabelled_mixed_is_an_unreadable_signature_not_unsigned() {
    let signed = smime::sign(
        b"From: bob@smime.example\r\nTo: bob@smime.example\r\nSubject: s\r\n\r\nbody\r\n",
        &bob_signer(),
        &SignOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&signed).into_owned();
    assert!(text.contains("multipart/signed"), "{text}");
    let mixed = text.replacen("multipart/signed", "multipart/mixed", 1);
    let none: [Identity; 0] = [];
    let opened =
        smime::open(mixed.as_bytes(), &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        opened.verdict,
        Verdict::SignatureUnreadable { encrypted: false }
    );
    assert!(matches!(
        opened.layers.as_slice(),
        [Layer::SignatureUnreadable(smime::Error::InvalidMessage(
            smime::MimeError::SignatureOutsideSigned { media_type }
        ))] if media_type == "multipart/mixed"
    ));
    assert!(opened.message.ends_with(b"body\r\n"));
    // A multipart/mixed with an ordinary attachment last stays Unsigned.
    let plain = b"From: bob@smime.example\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n";
    let opened = smime::open(plain, &none, &rfc9216_options()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::Unsigned);
}
