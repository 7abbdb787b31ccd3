//! The streaming API (`sign_stream`, `encrypt_stream`, `decrypt_stream`,
//! `verify_stream`): same results as the in-memory functions, readable by
//! OpenSSL, and multi-megabyte messages pass through in chunks.
//!
//! Peak memory is measured by `benches/compare.sh` (whole processes, RSS),
//! not here.

mod common;

use std::io::Cursor;

use common::peers::{f, openssl};
use common::{cert, identity, openssl_cli, root};
use smime::{
    ContentEncryption, EncryptOptions, Error, SignOptions, SignatureForm, VerifyOptions, decrypt,
    encrypt, encrypt_stream, sign, sign_stream, verify,
};

/// A message of about `size` bytes with LF line ends (so canonicalization
/// has work to do) and a multipart structure.
fn big_message(size: usize) -> Vec<u8> {
    let mut m = b"From: alice@example.org\nTo: bob@example.org\nSubject: big\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog 0123456789.\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"--b1--\n");
    m
}

fn sign_streamed(message: &[u8], options: &SignOptions) -> Vec<u8> {
    let mut out = Vec::new();
    sign_stream(Cursor::new(message), &mut out, &identity("alice"), options).unwrap();
    out
}

/// The signed entity of a multipart/signed message: between the first
/// delimiter line and the CRLF before the second.
fn signed_entity(signed: &[u8]) -> &[u8] {
    let text = std::str::from_utf8(signed).unwrap();
    let b = text.split("boundary=\"").nth(1).unwrap();
    let boundary = &b[..b.find('"').unwrap()];
    let delimiter = format!("--{boundary}\r\n");
    let start = text.find(&delimiter).unwrap() + delimiter.len();
    let end = start
        + text[start..]
            .find(&format!("\r\n--{boundary}\r\n"))
            .unwrap();
    &signed[start..end]
}

#[test]
fn sign_stream_detached_signs_what_sign_signs() {
    let message = big_message(3 << 20);
    let streamed = sign_streamed(&message, &SignOptions::default());
    let in_memory = sign(&message, &identity("alice"), &SignOptions::default()).unwrap();
    assert_eq!(signed_entity(&streamed), signed_entity(&in_memory));
    let report = verify(&streamed, &VerifyOptions::new(&[root()])).unwrap();
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.form, SignatureForm::Detached);
}

#[test]
fn sign_stream_opaque_is_indefinite_length_ber_that_verifies() {
    let message = big_message(1 << 20);
    let streamed = sign_streamed(&message, &SignOptions::default().opaque());
    let der = common::base64_body(&streamed);
    assert_eq!(&der[..2], &[0x30, 0x80], "indefinite-length ContentInfo");
    let report = verify(&streamed, &VerifyOptions::new(&[root()])).unwrap();
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.form, SignatureForm::Opaque);
    let in_memory = sign(
        &message,
        &identity("alice"),
        &SignOptions::default().opaque(),
    )
    .unwrap();
    let expected = verify(&in_memory, &VerifyOptions::new(&[root()])).unwrap();
    assert_eq!(report.content, expected.content);
}

#[test]
fn sign_stream_re_encodes_8bit_content_like_sign() {
    let message = "From: alice@example.org\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\u{fc}\u{df}e\r\n".as_bytes();
    let streamed = sign_streamed(message, &SignOptions::default());
    let in_memory = sign(message, &identity("alice"), &SignOptions::default()).unwrap();
    assert_eq!(signed_entity(&streamed), signed_entity(&in_memory));
    assert!(
        common::find(signed_entity(&streamed), b"quoted-printable").is_some(),
        "8-bit text is re-encoded before signing"
    );
}

#[test]
fn sign_stream_checks_the_signer_like_sign() {
    let mut out = Vec::new();
    let err = sign_stream(
        Cursor::new(b"hi\r\n"),
        &mut out,
        &identity("alice"),
        &SignOptions::default().digest(smime::DigestAlgorithm::Sha1),
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnsupportedAlgorithm(_)), "{err}");
    assert!(out.is_empty(), "nothing written before the checks pass");
}

#[test]
fn streamed_signatures_verify_with_openssl() {
    if openssl_cli().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let message = big_message(2 << 20);
    for (name, options) in [
        ("detached.eml", SignOptions::default()),
        ("opaque.eml", SignOptions::default().opaque()),
    ] {
        std::fs::write(dir.path().join(name), sign_streamed(&message, &options)).unwrap();
        openssl(
            &[
                "cms",
                "-verify",
                "-in",
                name,
                "-CAfile",
                &f("ca/root.pem"),
                "-purpose",
                "any",
                "-out",
                "content.out",
            ],
            dir.path(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

fn encrypt_streamed(message: &[u8], options: &EncryptOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt_stream(
        Cursor::new(message),
        &mut out,
        &[cert("bob"), cert("carol")],
        options,
    )
    .unwrap();
    out
}

#[test]
fn encrypt_stream_round_trips_for_every_cipher_and_recipient() {
    let message = big_message(3 << 20);
    let expected = decrypt(
        &encrypt(&message, &[cert("bob")], &EncryptOptions::default()).unwrap(),
        &[identity("bob")],
    )
    .unwrap()
    .content;
    for cipher in [
        ContentEncryption::Aes256Cbc,
        ContentEncryption::Aes128Gcm,
        ContentEncryption::Aes256Gcm,
    ] {
        let sealed = encrypt_streamed(&message, &EncryptOptions::default().cipher(cipher));
        for who in ["bob", "carol"] {
            let opened = decrypt(&sealed, &[identity(who)]).unwrap();
            assert_eq!(opened.content, expected, "{cipher:?} to {who}");
            assert_eq!(opened.authenticated, cipher != ContentEncryption::Aes256Cbc);
        }
    }
}

#[test]
fn encrypt_stream_falls_back_for_binary_content() {
    let mut message =
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            .to_vec();
    message.extend((0..=255u8).cycle().take(10_000));
    let sealed = encrypt_streamed(&message, &EncryptOptions::default());
    let opened = decrypt(&sealed, &[identity("bob")]).unwrap();
    assert!(common::find(&opened.content, b"Content-Transfer-Encoding: base64").is_some());
}

#[test]
fn streamed_envelopes_decrypt_with_openssl() {
    if openssl_cli().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let message = big_message(2 << 20);
    let sealed = encrypt_streamed(&message, &EncryptOptions::default().rsa_oaep());
    std::fs::write(dir.path().join("sealed.eml"), &sealed).unwrap();
    let plain = openssl(
        &[
            "cms",
            "-decrypt",
            "-in",
            "sealed.eml",
            "-recip",
            &f("certs/bob.pem"),
            "-inkey",
            &f("keys/bob.key"),
        ],
        dir.path(),
    )
    .unwrap();
    let expected = decrypt(&sealed, &[identity("bob")]).unwrap().content;
    assert_eq!(
        common::find(&plain, b"The quick brown fox"),
        common::find(&expected, b"The quick brown fox")
    );
    assert_eq!(plain.len(), expected.len());
}
