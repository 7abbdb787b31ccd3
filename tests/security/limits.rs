//! Every `Limits` field, hit: the typed `Error::LimitExceeded` naming it,
//! and the same input accepted when the limit is raised (so the test shows
//! the limit, not something else, refused it).

use std::io::Cursor;

use crate::common::{cert, identity, read_fixture, root};
use smime::{
    EncryptOptions, Error, Limits, Password, SignOptions, VerifyOptions, encrypt, sign,
    sign_stream, verify, verify_stream,
};

fn limited(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut limits = Limits::default();
    f(&mut limits);
    limits
}

fn assert_limit<T: std::fmt::Debug>(result: smime::Result<T>, name: &str) {
    match result {
        Err(Error::LimitExceeded { limit, .. }) => assert_eq!(limit, name),
        other => panic!("expected LimitExceeded({name}), got {other:?}"),
    }
}

const SIGNED_TEXT: &[u8] = b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nhello\r\n";

#[test]
fn max_in_memory_bounds_what_streaming_falls_back_to() {
    // 8-bit content must be re-encoded before signing: read into memory.
    let mut message =
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            .to_vec();
    message.extend("gr\u{fc}n\r\n".repeat(10_000).as_bytes());
    let small = SignOptions::default().limits(limited(|l| l.max_in_memory = 4096));
    assert_limit(
        sign_stream(
            Cursor::new(&message),
            std::io::sink(),
            &identity("alice"),
            &small,
        ),
        "max_in_memory",
    );
    sign_stream(
        Cursor::new(&message),
        std::io::sink(),
        &identity("alice"),
        &SignOptions::default(),
    )
    .unwrap();
}

#[test]
fn max_mime_depth_bounds_nesting() {
    let signed = sign(SIGNED_TEXT, &identity("alice"), &SignOptions::default()).unwrap();
    let mut message = signed;
    for level in 0..5 {
        let mut outer =
            format!("Content-Type: multipart/mixed; boundary=n{level}\r\n\r\n--n{level}\r\n")
                .into_bytes();
        outer.extend_from_slice(&message);
        outer.extend_from_slice(format!("\r\n--n{level}--\r\n").as_bytes());
        message = outer;
    }
    let options = VerifyOptions::new(&[root()]);
    assert_limit(
        verify(
            &message,
            &options.clone().limits(limited(|l| l.max_mime_depth = 3)),
        ),
        "max_mime_depth",
    );
    assert!(verify(&message, &options).is_ok());
}

#[test]
fn max_parts_bounds_multiparts() {
    let mut message = b"Content-Type: multipart/mixed; boundary=p\r\n\r\n".to_vec();
    for _ in 0..10 {
        message.extend_from_slice(b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n");
    }
    message.extend_from_slice(b"--p--\r\n");
    let options = VerifyOptions::new(&[root()]);
    assert_limit(
        verify(
            &message,
            &options.clone().limits(limited(|l| l.max_parts = 5)),
        ),
        "max_parts",
    );
    assert!(matches!(verify(&message, &options), Err(Error::NotSigned)));
}

#[test]
fn max_certificates_and_max_signers_bound_signed_data() {
    let signed = sign(SIGNED_TEXT, &identity("alice"), &SignOptions::default()).unwrap();
    let options = VerifyOptions::new(&[root()]);
    assert_limit(
        verify(
            &signed,
            &options.clone().limits(limited(|l| l.max_certificates = 1)),
        ),
        "max_certificates",
    );
    assert_limit(
        verify(
            &signed,
            &options.clone().limits(limited(|l| l.max_signers = 0)),
        ),
        "max_signers",
    );
    // The streaming verifier applies the same limits.
    assert_limit(
        verify_stream(
            &signed[..],
            std::io::sink(),
            &options.clone().limits(limited(|l| l.max_signers = 0)),
        ),
        "max_signers",
    );
    assert!(verify(&signed, &options).unwrap().valid);
}

#[test]
fn max_recipients_bounds_decryption_work() {
    let sealed = encrypt(
        SIGNED_TEXT,
        &[cert("bob"), cert("carol")],
        &EncryptOptions::default(),
    )
    .unwrap();
    let ids = [identity("bob")];
    assert_limit(
        smime::decrypt_stream(
            &sealed[..],
            std::io::sink(),
            &ids,
            &smime::DecryptOptions::default().limits(limited(|l| l.max_recipients = 1)),
        ),
        "max_recipients",
    );
    smime::decrypt(&sealed, &ids, &smime::DecryptOptions::default()).unwrap();
}

#[test]
fn max_pkcs12_iterations_acts_before_any_derivation() {
    // alice.p12 uses OpenSSL's default 2048 iterations.
    let bundle = read_fixture("p12/alice.p12");
    let password = Password::new("test-password");
    assert_limit(
        smime::pkcs12::import(
            &bundle,
            &password,
            &limited(|l| l.max_pkcs12_iterations = 1000),
        ),
        "max_pkcs12_iterations",
    );
    smime::pkcs12::import(&bundle, &password, &smime::Limits::default()).unwrap();
}

#[test]
fn max_ber_depth_bounds_streamed_cms() {
    // We write DER; `openssl cms -sign -stream` writes indefinite lengths
    // and a segmented OCTET STRING: nested encodings to walk.
    if crate::common::openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("in.txt"), SIGNED_TEXT).unwrap();
    let ber = crate::common::peers::openssl(
        &[
            "cms",
            "-sign",
            "-stream",
            "-nodetach",
            "-binary",
            "-outform",
            "DER",
            "-in",
            "in.txt",
            "-signer",
            &crate::common::peers::f("certs/alice.pem"),
            "-inkey",
            &crate::common::peers::f("keys/alice.key"),
            "-certfile",
            &crate::common::peers::f("ca/chain.pem"),
        ],
        tmp.path(),
    )
    .unwrap();
    assert_eq!(
        &ber[..2],
        [0x30, 0x80],
        "openssl -stream writes indefinite lengths"
    );
    let signed = crate::common::join_base64(
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        &ber,
    );
    let options = VerifyOptions::new(&[root()]);
    assert_limit(
        verify_stream(
            &signed[..],
            std::io::sink(),
            &options.clone().limits(limited(|l| l.max_ber_depth = 0)),
        ),
        "max_ber_depth",
    );
    assert!(
        verify_stream(&signed[..], std::io::sink(), &options)
            .unwrap()
            .valid
    );
}
