//! Encrypt / decrypt round trips (every cipher to RSA PKCS#1 v1.5, RSA-OAEP,
//! EC P-256 and EC P-384 recipients), sign-then-encrypt, triple wrapping,
//! and one negative test per way an encrypted message can be wrong:
//! wrong recipient, tampered ciphertext or key (one uniform error, no
//! oracle), truncation, no enveloped layer, unusable recipients.

use crate::common::{cert, identity, root};

use crate::common::{PASSWORD, minted_bundle, read_fixture};
use smime::{
    Certificate, ContentEncryption, Decrypted, EncryptOptions, Error, KeyTransport, Mailbox,
    Password, SignOptions, SignatureStatus, Store, VerifyOptions, decrypt, decrypt_and_verify,
    encrypt, sign, sign_and_encrypt, verify,
};

const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: quarterly numbers\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\n";

const ENTITY: &[u8] =
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\n";

const CIPHERS: [ContentEncryption; 3] = [
    ContentEncryption::Aes256Cbc,
    ContentEncryption::Aes128Gcm,
    ContentEncryption::Aes256Gcm,
];

fn is_gcm(cipher: ContentEncryption) -> bool {
    cipher != ContentEncryption::Aes256Cbc
}

fn options(cipher: ContentEncryption, oaep: bool) -> EncryptOptions {
    let o = EncryptOptions::default().cipher(cipher);
    if oaep { o.rsa_oaep() } else { o }
}

fn tamper(message: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let (head, mut der) = crate::common::split_base64(message);
    edit(&mut der);
    crate::common::join_base64(&head, &der)
}

/// One primitive BER element: its tag and where its contents lie.
#[derive(Debug, Clone, Copy)]
struct Prim {
    tag: u8,
    start: usize,
    len: usize,
}

/// Walks DER/BER (definite and indefinite lengths), collecting every
/// primitive element in document order.
fn primitives(der: &[u8]) -> Vec<Prim> {
    fn walk(d: &[u8], mut i: usize, end: usize, out: &mut Vec<Prim>) -> usize {
        while i < end {
            if d[i] == 0 && d.get(i + 1) == Some(&0) {
                return i + 2; // end-of-contents
            }
            let tag = d[i];
            i += 1;
            let first = d[i];
            i += 1;
            let len = if first == 0x80 {
                None
            } else if first & 0x80 == 0 {
                Some(first as usize)
            } else {
                let n = (first & 0x7f) as usize;
                let mut l = 0usize;
                for k in 0..n {
                    l = (l << 8) | d[i + k] as usize;
                }
                i += n;
                Some(l)
            };
            if tag & 0x20 != 0 {
                match len {
                    Some(l) => {
                        walk(d, i, i + l, out);
                        i += l;
                    }
                    None => i = walk(d, i, d.len(), out),
                }
            } else {
                let l = len.expect("primitive with indefinite length");
                out.push(Prim {
                    tag,
                    start: i,
                    len: l,
                });
                i += l;
            }
        }
        i
    }
    let mut out = Vec::new();
    walk(der, 0, der.len(), &mut out);
    out
}

/// The encryptedContent ([0] IMPLICIT OCTET STRING): the last primitive
/// context-specific [0] element.
fn ciphertext(der: &[u8]) -> Prim {
    *primitives(der)
        .iter()
        .rev()
        .find(|p| p.tag == 0x80)
        .expect("encryptedContent")
}

/// The first recipient's encrypted (RSA) or wrapped (ECDH) content key:
/// the first OCTET STRING of at least 24 bytes (IVs and GCM nonces are
/// shorter).
fn encrypted_key(der: &[u8]) -> Prim {
    *primitives(der)
        .iter()
        .find(|p| p.tag == 0x04 && p.len >= 24)
        .expect("encryptedKey")
}

/// The error of a result whose success type need not be `Debug`.
fn failure<T>(result: smime::Result<T>, label: &str) -> Error {
    match result {
        Ok(_) => panic!("{label}: expected an error, got Ok"),
        Err(e) => e,
    }
}

fn assert_decrypted(d: &Decrypted, cipher: ContentEncryption, by: &Certificate, label: &str) {
    assert_eq!(d.authenticated, is_gcm(cipher), "{label}: authenticated");
    assert_eq!(d.content_encryption, cipher, "{label}");
    assert_eq!(d.recipient, by.fingerprint(), "{label}: recipient");
}

#[test]
fn every_cipher_to_every_key_type_round_trips() {
    let recipients: [(&str, bool, &str); 6] = [
        ("alice", false, "RSA-2048 PKCS#1 v1.5"),
        ("bob", false, "RSA-3072 PKCS#1 v1.5"),
        ("alice", true, "RSA-2048 OAEP"),
        ("bob", true, "RSA-3072 OAEP"),
        ("carol", false, "EC P-256"),
        ("dave", false, "EC P-384"),
    ];
    for (name, oaep, what) in recipients {
        let id = identity(name);
        for cipher in CIPHERS {
            let label = format!("{what} {cipher:?}");
            let opts = options(cipher, oaep);
            assert_eq!(opts.cipher, cipher);
            assert_eq!(matches!(opts.key_transport, KeyTransport::RsaOaep), oaep);

            // A bare entity comes back byte for byte.
            let encrypted = encrypt(ENTITY, &[cert(name)], &opts)
                .unwrap_or_else(|e| panic!("{label}: encrypt: {e}"));
            let text = String::from_utf8(encrypted.clone()).unwrap();
            let smime_type = if is_gcm(cipher) {
                "smime-type=authEnveloped-data"
            } else {
                "smime-type=enveloped-data"
            };
            assert!(text.contains("application/pkcs7-mime"), "{label}: {text}");
            assert!(text.contains(smime_type), "{label}: {text}");
            assert!(text.contains("smime.p7m"), "{label}");
            assert!(
                text.contains("Content-Transfer-Encoding: base64"),
                "{label}"
            );
            assert!(
                !text.contains("numbers are fine"),
                "{label}: plaintext leaks"
            );
            let d = decrypt(
                &encrypted,
                std::slice::from_ref(&id),
                &smime::DecryptOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{label}: decrypt: {e}"));
            assert_eq!(d.content, ENTITY, "{label}: content");
            assert_decrypted(&d, cipher, id.certificate(), &label);

            // A whole message: outer fields stay outside, the Content-*
            // fields and the body go inside.
            let encrypted = encrypt(MESSAGE, &[cert(name)], &opts).unwrap();
            let text = String::from_utf8(encrypted.clone()).unwrap();
            assert!(text.starts_with("From: "), "{label}: outer fields first");
            assert!(text.contains("Subject: quarterly numbers\r\n"), "{label}");
            assert!(text.contains("Message-ID: <1@example.org>\r\n"), "{label}");
            assert!(
                !text.contains("numbers are fine"),
                "{label}: plaintext leaks"
            );
            let d = decrypt(
                &encrypted,
                std::slice::from_ref(&id),
                &smime::DecryptOptions::default(),
            )
            .unwrap();
            let content = String::from_utf8(d.content.clone()).unwrap();
            assert!(
                content.starts_with("Content-Type: text/plain"),
                "{label}: {content}"
            );
            assert!(content.ends_with("the numbers are fine.\r\n"), "{label}");
            assert!(!content.contains("Subject:"), "{label}: {content}");
            assert!(!content.contains("From:"), "{label}: {content}");
            assert_decrypted(&d, cipher, id.certificate(), &label);
        }
    }
}

#[test]
fn default_options_are_aes_256_cbc_and_pkcs1_v15() {
    let o = EncryptOptions::default();
    assert_eq!(o.cipher, ContentEncryption::Aes256Cbc);
    assert!(matches!(o.key_transport, KeyTransport::RsaPkcs1v15));
    assert!(!o.allow_unusable_recipient);
    assert!(
        EncryptOptions::default()
            .allow_unusable_recipient()
            .allow_unusable_recipient
    );
    let encrypted = encrypt(ENTITY, &[cert("alice")], &o).unwrap();
    let d = decrypt(
        &encrypted,
        &[identity("alice")],
        &smime::DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(d.content_encryption, ContentEncryption::Aes256Cbc);
    assert!(!d.authenticated, "CBC is not authenticated (EFAIL)");
}

#[test]
fn several_recipients_each_decrypt() {
    for cipher in CIPHERS {
        for oaep in [false, true] {
            let names = ["alice", "carol", "dave"];
            let certs: Vec<Certificate> = names.iter().map(|n| cert(n)).collect();
            let encrypted = encrypt(MESSAGE, &certs, &options(cipher, oaep)).unwrap();
            for name in names {
                let id = identity(name);
                let label = format!("{name} {cipher:?} oaep={oaep}");
                let d = decrypt(
                    &encrypted,
                    std::slice::from_ref(&id),
                    &smime::DecryptOptions::default(),
                )
                .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert!(
                    d.content.starts_with(b"Content-Type: text/plain"),
                    "{label}"
                );
                assert!(d.content.ends_with(b"the numbers are fine.\r\n"), "{label}");
                assert_decrypted(&d, cipher, id.certificate(), &label);
            }
            // Someone else: not for them.
            let err = failure(
                decrypt(
                    &encrypted,
                    &[identity("bob")],
                    &smime::DecryptOptions::default(),
                ),
                &format!("{cipher:?} oaep={oaep}"),
            );
            assert!(matches!(err, Error::NotForRecipient), "{cipher:?}: {err:?}");
        }
    }
}

#[test]
fn the_matching_identity_among_several_is_found() {
    // A plain list: only the second identity is a recipient.
    for (to, others) in [("alice", ["bob", "carol"]), ("carol", ["dave", "alice"])] {
        let encrypted = encrypt(ENTITY, &[cert(to)], &EncryptOptions::default()).unwrap();
        let ids = [identity(others[0]), identity(to), identity(others[1])];
        let d = decrypt(&encrypted, &ids, &smime::DecryptOptions::default()).unwrap();
        assert_eq!(d.content, ENTITY);
        assert_eq!(d.recipient, cert(to).fingerprint(), "{to}");
    }

    // A mailbox with two identities (alice's RSA one and a minted EC one):
    // a message to either one of them decrypts with all of the mailbox's
    // identities, and names the one that did it.
    let mailbox: Mailbox = "alice@example.org".parse().unwrap();
    let store = Store::in_memory().unwrap();
    store
        .import_pkcs12(
            &mailbox,
            &read_fixture("p12/alice.p12"),
            &Password::new(PASSWORD),
        )
        .unwrap();
    store
        .import_pkcs12(
            &mailbox,
            &minted_bundle("alice@example.org", 7001),
            &Password::new(PASSWORD),
        )
        .unwrap();
    let ids = store.identities(&mailbox).unwrap();
    assert_eq!(ids.len(), 2);
    for which in [1, 0] {
        let to = ids[which].certificate().clone();
        for cipher in CIPHERS {
            let encrypted =
                encrypt(MESSAGE, std::slice::from_ref(&to), &options(cipher, false)).unwrap();
            let d = decrypt(&encrypted, &ids, &smime::DecryptOptions::default())
                .unwrap_or_else(|e| panic!("identity #{which} {cipher:?}: {e}"));
            assert_eq!(d.recipient, to.fingerprint(), "identity #{which}");
            assert!(d.content.ends_with(b"the numbers are fine.\r\n"));
            assert_decrypted(&d, cipher, &to, &format!("identity #{which}"));
        }
    }
    // An unknown mailbox has no identities (or is NotFound), never a panic.
    let nobody: Mailbox = "nobody@example.org".parse().unwrap();
    match store.identities(&nobody) {
        Ok(v) => assert!(v.is_empty()),
        Err(e) => assert!(matches!(e, Error::NotFound(_)), "{e:?}"),
    }
}

#[test]
fn wrong_identity_is_not_for_recipient() {
    for (to, wrong) in [
        ("alice", "bob"),
        ("bob", "alice"),
        ("carol", "dave"),
        ("dave", "carol"),
        ("alice", "carol"),
        ("carol", "alice"),
    ] {
        for cipher in CIPHERS {
            for oaep in [false, true] {
                let encrypted = encrypt(ENTITY, &[cert(to)], &options(cipher, oaep)).unwrap();
                let err = failure(
                    decrypt(
                        &encrypted,
                        &[identity(wrong)],
                        &smime::DecryptOptions::default(),
                    ),
                    &format!("to {to}, by {wrong}, {cipher:?} oaep={oaep}"),
                );
                assert!(
                    matches!(err, Error::NotForRecipient),
                    "to {to}, decrypted by {wrong}, {cipher:?} oaep={oaep}: {err:?}"
                );
            }
        }
    }
    // No identities at all.
    let encrypted = encrypt(ENTITY, &[cert("alice")], &EncryptOptions::default()).unwrap();
    let err = failure(
        decrypt(&encrypted, &[], &smime::DecryptOptions::default()),
        "",
    );
    assert!(matches!(err, Error::NotForRecipient), "{err:?}");
}

#[test]
fn tampered_ciphertext_never_yields_the_original() {
    for (name, oaep) in [("alice", false), ("alice", true), ("carol", false)] {
        let id = identity(name);
        for cipher in CIPHERS {
            let label = format!("{name} oaep={oaep} {cipher:?}");
            let encrypted = encrypt(ENTITY, &[cert(name)], &options(cipher, oaep)).unwrap();
            // Flip a byte in the last ciphertext block.
            let tampered = tamper(&encrypted, |der| {
                let ct = ciphertext(der);
                assert!(ct.len >= 16, "{label}: {ct:?}");
                der[ct.start + ct.len - 8] ^= 0x01;
            });
            let result = decrypt(
                &tampered,
                std::slice::from_ref(&id),
                &smime::DecryptOptions::default(),
            );
            if is_gcm(cipher) {
                let err = failure(result, &label);
                assert!(matches!(err, Error::DecryptionFailed), "{label}: {err:?}");
            } else {
                // CBC: the padding check fails (usually) or the last block is
                // garbage; never the original text.
                match result {
                    Err(Error::DecryptionFailed) => {}
                    Ok(d) => {
                        assert_ne!(d.content, ENTITY, "{label}: tampering went unnoticed");
                        assert!(!d.authenticated, "{label}");
                    }
                    Err(e) => panic!("{label}: expected DecryptionFailed, got {e:?}"),
                }
            }
            // GCM: a flipped bit in the first block, or in the tag itself.
            if is_gcm(cipher) {
                for at in [0usize, 1] {
                    let tampered = tamper(&encrypted, |der| {
                        let ct = ciphertext(der);
                        if at == 0 {
                            der[ct.start] ^= 0x80;
                        } else {
                            // The mac OCTET STRING follows the content.
                            let mac = primitives(der)
                                .into_iter()
                                .rev()
                                .find(|p| p.tag == 0x04)
                                .unwrap();
                            assert!(mac.start > ct.start, "{label}: mac after content");
                            der[mac.start + mac.len - 1] ^= 0x01;
                        }
                    });
                    let err = failure(
                        decrypt(
                            &tampered,
                            std::slice::from_ref(&id),
                            &smime::DecryptOptions::default(),
                        ),
                        &format!("{label} case {at}"),
                    );
                    assert!(
                        matches!(err, Error::DecryptionFailed),
                        "{label} case {at}: {err:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn tampered_encrypted_key_is_the_same_uniform_error() {
    for (name, oaep) in [
        ("alice", false),
        ("alice", true),
        ("bob", true),
        ("carol", false),
        ("dave", false),
    ] {
        let id = identity(name);
        for cipher in CIPHERS {
            let label = format!("{name} oaep={oaep} {cipher:?}");
            let encrypted = encrypt(ENTITY, &[cert(name)], &options(cipher, oaep)).unwrap();
            let bad_key = tamper(&encrypted, |der| {
                let k = encrypted_key(der);
                der[k.start + k.len / 2] ^= 0x01;
            });
            let bad_content = tamper(&encrypted, |der| {
                let ct = ciphertext(der);
                der[ct.start + ct.len - 8] ^= 0x01;
            });
            let key_result = decrypt(
                &bad_key,
                std::slice::from_ref(&id),
                &smime::DecryptOptions::default(),
            );
            let content_result = decrypt(
                &bad_content,
                std::slice::from_ref(&id),
                &smime::DecryptOptions::default(),
            );
            if is_gcm(cipher) {
                let key_err = failure(key_result, &label);
                let content_err = failure(content_result, &label);
                assert!(
                    matches!(key_err, Error::DecryptionFailed),
                    "{label}: {key_err:?}"
                );
                assert!(
                    matches!(content_err, Error::DecryptionFailed),
                    "{label}: {content_err:?}"
                );
                // No oracle: not even the text differs.
                assert_eq!(key_err.to_string(), content_err.to_string(), "{label}");
            } else {
                // CBC with a wrong (random) content key: the padding check
                // fails, or rarely passes on garbage; never the original.
                match key_result {
                    Err(Error::DecryptionFailed) => {}
                    Ok(d) => assert_ne!(d.content, ENTITY, "{label}: wrong key accepted"),
                    Err(e) => panic!("{label}: expected DecryptionFailed, got {e:?}"),
                }
            }
        }
    }
}

#[test]
fn truncated_messages_are_errors_not_panics() {
    for cipher in CIPHERS {
        let encrypted = encrypt(MESSAGE, &[cert("alice")], &options(cipher, false)).unwrap();
        let alice = [identity("alice")];
        // The DER cut short, cleanly re-encoded.
        let (head, der) = crate::common::split_base64(&encrypted);
        for cut in [der.len() - 1, der.len() - 17, der.len() / 2, 40, 2] {
            let truncated = crate::common::join_base64(&head, &der[..cut]);
            let err = failure(
                decrypt(&truncated, &alice, &smime::DecryptOptions::default()),
                &format!("{cipher:?} DER cut at {cut}"),
            );
            assert!(
                matches!(
                    err,
                    Error::InvalidCms(_) | Error::InvalidMessage(_) | Error::DecryptionFailed
                ),
                "{cipher:?} DER cut at {cut}: {err:?}"
            );
        }
        // The message text cut anywhere: an error or (when only trailing
        // whitespace went) the original, never a panic.
        for cut in (0..encrypted.len()).step_by(53) {
            if let Ok(d) = decrypt(&encrypted[..cut], &alice, &smime::DecryptOptions::default()) {
                assert!(d.content.ends_with(b"the numbers are fine.\r\n"));
            }
        }
        assert!(decrypt(b"", &alice, &smime::DecryptOptions::default()).is_err());
    }
}

#[test]
fn messages_without_an_enveloped_layer_are_not_encrypted() {
    let alice = [identity("alice")];
    let err = failure(
        decrypt(MESSAGE, &alice, &smime::DecryptOptions::default()),
        "",
    );
    assert!(matches!(err, Error::NotEncrypted), "{err:?}");
    let err = failure(
        decrypt(ENTITY, &alice, &smime::DecryptOptions::default()),
        "",
    );
    assert!(matches!(err, Error::NotEncrypted), "{err:?}");
    for form in [SignOptions::default(), SignOptions::default().opaque()] {
        let signed = sign(MESSAGE, &alice[0], &form).unwrap();
        let err = failure(
            decrypt(&signed, &alice, &smime::DecryptOptions::default()),
            "",
        );
        assert!(
            matches!(err, Error::NotEncrypted),
            "{:?}: {err:?}",
            form.form
        );
        let err = failure(
            decrypt_and_verify(
                &signed,
                &alice,
                &smime::DecryptOptions::default(),
                &VerifyOptions::new(&[root()]),
            ),
            "",
        );
        assert!(
            matches!(err, Error::NotEncrypted),
            "{:?}: {err:?}",
            form.form
        );
    }
    // And the other way round: verify() refuses an encrypted message.
    let encrypted = encrypt(MESSAGE, &[cert("alice")], &EncryptOptions::default()).unwrap();
    let err = verify(&encrypted, &VerifyOptions::new(&[root()])).unwrap_err();
    assert!(matches!(err, Error::Encrypted), "{err:?}");
}

#[test]
fn unusable_recipients_are_refused_by_fingerprint() {
    for (name, also_ok) in [("grace", "carol"), ("noeku", "alice"), ("expired", "bob")] {
        let bad = cert(name);
        // Alone, and among usable recipients: the whole encryption is refused.
        for list in [vec![bad.clone()], vec![cert(also_ok), bad.clone()]] {
            let err = encrypt(MESSAGE, &list, &EncryptOptions::default()).unwrap_err();
            match &err {
                Error::CertificateNotUsable { fingerprint, .. } => assert_eq!(
                    fingerprint,
                    &bad.fingerprint(),
                    "{name}: names the unusable certificate"
                ),
                _ => panic!("{name}: {err:?}"),
            }
        }
    }
    // The caller may knowingly encrypt to an expired certificate.
    let encrypted = encrypt(
        MESSAGE,
        &[cert("expired")],
        &EncryptOptions::default().allow_unusable_recipient(),
    )
    .unwrap();
    let d = decrypt(
        &encrypted,
        &[identity("expired")],
        &smime::DecryptOptions::default(),
    )
    .unwrap();
    assert!(d.content.ends_with(b"the numbers are fine.\r\n"));
    assert_eq!(d.recipient, cert("expired").fingerprint());
}

#[test]
fn no_recipients_is_an_error() {
    for cipher in CIPHERS {
        let err = encrypt(MESSAGE, &[], &options(cipher, false)).unwrap_err();
        assert!(matches!(err, Error::NoRecipients), "{err:?}");
    }
    let err = sign_and_encrypt(
        MESSAGE,
        &identity("alice"),
        &[],
        &SignOptions::default(),
        &EncryptOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NoRecipients), "{err:?}");
}

fn assert_valid_alice(report: &smime::VerifyReport, label: &str) {
    assert!(report.valid, "{label}: {report:#?}");
    assert_eq!(report.signers.len(), 1, "{label}");
    assert_eq!(
        report.signers[0].signature,
        SignatureStatus::Valid,
        "{label}"
    );
    assert_eq!(report.signers[0].emails(), ["alice@example.org"], "{label}");
}

#[test]
fn sign_and_encrypt_then_decrypt_and_verify() {
    let alice = identity("alice");
    let anchors = [root()];
    for cipher in CIPHERS {
        for (to, oaep) in [("bob", false), ("bob", true), ("carol", false)] {
            for sign_options in [SignOptions::default(), SignOptions::default().opaque()] {
                let label = format!("{to} {cipher:?} oaep={oaep} {:?}", sign_options.form);
                let message = sign_and_encrypt(
                    MESSAGE,
                    &alice,
                    &[cert(to)],
                    &sign_options,
                    &options(cipher, oaep),
                )
                .unwrap_or_else(|e| panic!("{label}: {e}"));
                let text = String::from_utf8(message.clone()).unwrap();
                assert!(text.starts_with("From: "), "{label}");
                assert!(text.contains("Subject: quarterly numbers\r\n"), "{label}");
                assert!(
                    !text.contains("numbers are fine"),
                    "{label}: plaintext leaks"
                );
                let recipient = identity(to);
                let (d, report) = decrypt_and_verify(
                    &message,
                    std::slice::from_ref(&recipient),
                    &smime::DecryptOptions::default(),
                    &VerifyOptions::new(&anchors),
                )
                .unwrap_or_else(|e| panic!("{label}: {e}"));
                assert_decrypted(&d, cipher, recipient.certificate(), &label);
                let report = report.unwrap_or_else(|| panic!("{label}: signature not seen"));
                assert_valid_alice(&report, &label);
                let content = String::from_utf8_lossy(&report.content);
                assert!(
                    content.starts_with("Content-Type: text/plain"),
                    "{label}: {content}"
                );
                assert!(content.contains("the numbers are fine."), "{label}");
                assert!(!content.contains("Subject:"), "{label}");
                // Plain decrypt shows the signed entity.
                let plain = decrypt(
                    &message,
                    std::slice::from_ref(&recipient),
                    &smime::DecryptOptions::default(),
                )
                .unwrap();
                assert_eq!(plain.content, d.content, "{label}");
                let inner = String::from_utf8_lossy(&plain.content);
                assert!(
                    inner.contains("multipart/signed") || inner.contains("signed-data"),
                    "{label}: {inner}"
                );
            }
        }
    }
    // An unsigned encrypted message: decrypted, no report.
    let encrypted = encrypt(MESSAGE, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let (d, report) = decrypt_and_verify(
        &encrypted,
        &[identity("bob")],
        &smime::DecryptOptions::default(),
        &VerifyOptions::new(&anchors),
    )
    .unwrap();
    assert!(report.is_none(), "{report:#?}");
    assert!(d.content.ends_with(b"the numbers are fine.\r\n"));
    // The sender cannot read it without being a recipient.
    let message = sign_and_encrypt(
        MESSAGE,
        &alice,
        &[cert("bob")],
        &SignOptions::default(),
        &EncryptOptions::default(),
    )
    .unwrap();
    let err = failure(
        decrypt_and_verify(
            &message,
            &[identity("carol")],
            &smime::DecryptOptions::default(),
            &VerifyOptions::new(&anchors),
        ),
        "",
    );
    assert!(matches!(err, Error::NotForRecipient), "{err:?}");
}

#[test]
fn signed_encrypted_and_signed_again_triple_wrap() {
    let alice = identity("alice");
    let bob = identity("bob");
    let anchors = [root()];
    for cipher in CIPHERS {
        for outer in [SignOptions::default(), SignOptions::default().opaque()] {
            let label = format!("{cipher:?} outer {:?}", outer.form);
            let inner = sign_and_encrypt(
                MESSAGE,
                &alice,
                &[cert("bob")],
                &SignOptions::default(),
                &options(cipher, false),
            )
            .unwrap();
            let wrapped = sign(&inner, &alice, &outer).unwrap();
            let text = String::from_utf8(wrapped.clone()).unwrap();
            assert!(text.starts_with("From: "), "{label}");
            let outer_report = verify(&wrapped, &VerifyOptions::new(&anchors))
                .unwrap_or_else(|e| panic!("{label}: outer verify: {e}"));
            assert!(outer_report.valid, "{label}: {outer_report:#?}");
            assert_eq!(outer_report.signers[0].emails(), ["alice@example.org"]);
            let encrypted_entity = String::from_utf8_lossy(&outer_report.content);
            assert!(
                encrypted_entity.starts_with("Content-Type: application/pkcs7-mime"),
                "{label}: {encrypted_entity}"
            );
            let (d, report) = decrypt_and_verify(
                &outer_report.content,
                std::slice::from_ref(&bob),
                &smime::DecryptOptions::default(),
                &VerifyOptions::new(&anchors),
            )
            .unwrap_or_else(|e| panic!("{label}: inner: {e}"));
            assert_decrypted(&d, cipher, bob.certificate(), &label);
            let report = report.unwrap_or_else(|| panic!("{label}: inner signature not seen"));
            assert_valid_alice(&report, &label);
            assert!(
                String::from_utf8_lossy(&report.content).contains("the numbers are fine."),
                "{label}"
            );
        }
    }
}

#[test]
fn mutated_encrypted_messages_never_panic() {
    let alice = [identity("alice")];
    let carol = [identity("carol")];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for (to, ids) in [("alice", &alice), ("carol", &carol)] {
        for cipher in CIPHERS {
            let encrypted = encrypt(MESSAGE, &[cert(to)], &options(cipher, false)).unwrap();
            for _ in 0..300 {
                // xorshift: deterministic, no extra dependency.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let mut bytes = encrypted.clone();
                let pos = (state % bytes.len() as u64) as usize;
                bytes[pos] ^= 1 << (state >> 61);
                let result = decrypt(&bytes, ids.as_slice(), &smime::DecryptOptions::default());
                if let (Ok(d), true) = (&result, is_gcm(cipher)) {
                    // Authenticated: whatever was flipped, an accepted
                    // message carries exactly the original content.
                    assert!(
                        d.content.ends_with(b"the numbers are fine.\r\n")
                            && d.content.starts_with(b"Content-Type: text/plain"),
                        "{to} {cipher:?}: altered content accepted (bit flip at {pos})"
                    );
                    assert!(d.authenticated);
                }
            }
        }
    }
}

#[test]
fn a_stranger_never_gets_garbage_instead_of_not_for_recipient() {
    // With CBC and RSA, trial decryption by a key that is not a recipient
    // meets OpenSSL's MMA countermeasure (a random content key on failure):
    // about 1 in 256 of those random keys gives valid CBC padding. Such a
    // message must still be NotForRecipient, never Ok with garbage
    // attributed to the stranger's certificate.
    let alice = [identity("alice")];
    let bob = cert("bob");
    let mut garbage = Vec::new();
    for oaep in [false, true] {
        for i in 0..600 {
            let encrypted = encrypt(
                ENTITY,
                std::slice::from_ref(&bob),
                &options(ContentEncryption::Aes256Cbc, oaep),
            )
            .unwrap();
            match decrypt(&encrypted, &alice, &smime::DecryptOptions::default()) {
                Err(Error::NotForRecipient) => {}
                Err(e) => panic!("oaep={oaep} #{i}: expected NotForRecipient, got {e:?}"),
                Ok(d) => garbage.push(format!(
                    "oaep={oaep} #{i}: Ok, {} bytes, recipient {} (alice), original: {}",
                    d.content.len(),
                    d.recipient,
                    d.content == ENTITY
                )),
            }
        }
    }
    assert!(garbage.is_empty(), "{garbage:#?}");
}

#[test]
fn an_unknown_content_encryption_is_a_typed_error() {
    let alice = identity("alice");
    let sealed = encrypt(ENTITY, &[cert("alice")], &EncryptOptions::default()).unwrap();
    // id-aes256-CBC (2.16.840.1.101.3.4.1.42) → .43 (id-aes256-OFB).
    let other = tamper(&sealed, |der| {
        let oid = [
            0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a,
        ];
        let at = der.windows(oid.len()).position(|w| w == oid).unwrap();
        der[at + oid.len() - 1] = 0x2b;
    });
    let err = decrypt(
        &other,
        std::slice::from_ref(&alice),
        &smime::DecryptOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, smime::Error::UnsupportedAlgorithm(_)),
        "{err:?}"
    );
}

#[test]
fn an_rsa_certificate_without_key_encipherment_is_refused_by_name() {
    use openssl::x509::extension::KeyUsage;
    let (ca, ca_key) = crate::common::intermediate();
    let key = openssl::pkey::PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
    let mut b = openssl::x509::X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &openssl::bn::BigNum::from_u32(77)
            .unwrap()
            .to_asn1_integer()
            .unwrap(),
    )
    .unwrap();
    b.set_subject_name(ca.subject_name()).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.sign(&ca_key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    let signing_only = Certificate::from_der(&b.build().to_der().unwrap()).unwrap();
    assert!(!signing_only.can_decrypt());
    let err = encrypt(
        ENTITY,
        &[cert("alice"), signing_only.clone()],
        &EncryptOptions::default(),
    )
    .unwrap_err();
    match err {
        smime::Error::CertificateNotUsable { fingerprint, .. } => {
            assert_eq!(fingerprint, signing_only.fingerprint())
        }
        other => panic!("{other:?}"),
    }
}

/// Rewrites the outer ContentInfo of an encrypted message: new content
/// type, and `edit` applied to the content's SEQUENCE value bytes.
fn rewrap(message: &[u8], content_type: &str, edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    use der::{Decode, Encode};
    tamper(message, |der| {
        let mut ci = cms::content_info::ContentInfo::from_der(der).unwrap();
        let mut value = ci.content.value().to_vec();
        edit(&mut value);
        ci.content = der::Any::new(der::Tag::Sequence, value).unwrap();
        ci.content_type = content_type.parse().unwrap();
        *der = ci.to_der().unwrap();
    })
}

const AUTH_ENVELOPED: &str = "1.2.840.113549.1.9.16.1.23";

#[test]
fn cbc_content_relabelled_as_auth_enveloped_is_refused() {
    // Review finding: OpenSSL 3.0 decrypts CBC inside AuthEnvelopedData
    // without any check; "authenticated" must not be forgeable that way.
    let sealed = encrypt(ENTITY, &[cert("alice")], &EncryptOptions::default()).unwrap();
    let forged = rewrap(&sealed, AUTH_ENVELOPED, |v| {
        v.extend_from_slice(&[0x04, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    });
    let err = decrypt(
        &forged,
        &[identity("alice")],
        &smime::DecryptOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, smime::Error::InvalidCms(_)), "{err:?}");
}

#[test]
fn a_shortened_gcm_tag_is_refused() {
    // Review finding: OpenSSL 3.0 accepts a 1-byte tag, making forgery a
    // matter of 256 tries.
    let options = EncryptOptions::default().cipher(ContentEncryption::Aes256Gcm);
    let sealed = encrypt(ENTITY, &[cert("alice")], &options).unwrap();
    for keep in [1usize, 4, 8, 11] {
        let forged = rewrap(&sealed, AUTH_ENVELOPED, |v| {
            let n = v.len();
            assert_eq!(&v[n - 18..n - 16], &[0x04, 0x10]);
            let tag = v[n - 16..n - 16 + keep].to_vec();
            v.truncate(n - 18);
            v.extend_from_slice(&[0x04, keep as u8]);
            v.extend_from_slice(&tag);
        });
        let err = decrypt(
            &forged,
            &[identity("alice")],
            &smime::DecryptOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, smime::Error::InvalidCms(_)),
            "tag of {keep}: {err:?}"
        );
    }
}

#[test]
fn decrypt_and_verify_never_fails_on_what_the_plaintext_contains() {
    // An inner content that is itself encrypted, or not MIME at all, is
    // "not signed", not an error that would describe the plaintext.
    let bob = identity("bob");
    let inner = encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let outer = encrypt(&inner, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let (decrypted, report) = smime::decrypt_and_verify(
        &outer,
        std::slice::from_ref(&bob),
        &smime::DecryptOptions::default(),
        &smime::VerifyOptions::new(&[]),
    )
    .unwrap();
    assert!(report.is_none());
    assert!(String::from_utf8_lossy(&decrypted.content).contains("pkcs7-mime"));
    assert!(
        !format!("{decrypted:?}").contains("pkcs7-mime"),
        "Debug must not print the content"
    );
}
