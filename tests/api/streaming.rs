//! The streaming API (`sign_stream`, `encrypt_stream`, `decrypt_stream`,
//! `verify_stream`): same results as the in-memory functions, readable by
//! OpenSSL, and multi-megabyte messages pass through in chunks.
//!
//! Peak memory is measured by `benches/compare.sh` (whole processes, RSS),
//! not here.

use std::io::Cursor;

use crate::common::peers::{f, openssl};
use crate::common::{cert, identity, openssl_cli, root};
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
fn sign_stream_opaque_is_der_byte_identical_to_sign() {
    // RSA PKCS#1 v1.5 is deterministic: with the same signingTime, the
    // streamed opaque signature must be exactly what `sign` writes (DER).
    let message = big_message(1 << 20);
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_790_000_000);
    let options = SignOptions::default().opaque().signing_time(time);
    let streamed = sign_streamed(&message, &options);
    let der = crate::common::base64_body(&streamed);
    assert_eq!(der[0], 0x30);
    assert_ne!(der[1], 0x80, "indefinite-length ContentInfo");
    let report = verify(&streamed, &VerifyOptions::new(&[root()])).unwrap();
    assert!(report.valid, "{:?}", report.problems);
    assert_eq!(report.form, SignatureForm::Opaque);
    let in_memory = sign(&message, &identity("alice"), &options).unwrap();
    assert!(
        streamed == in_memory,
        "streamed and in-memory opaque signatures differ"
    );
    // And for encryption, the streamed envelope has the in-memory layout:
    // same length (random key and IV aside), DER.
    let options = smime::EncryptOptions::default();
    let mut sealed = Vec::new();
    smime::encrypt_stream(
        Cursor::new(message.clone()),
        &mut sealed,
        &[crate::common::cert("bob")],
        &options,
    )
    .unwrap();
    let in_memory = smime::encrypt(&message, &[crate::common::cert("bob")], &options).unwrap();
    assert_eq!(sealed.len(), in_memory.len());
    assert_ne!(crate::common::base64_body(&sealed)[1], 0x80);
}

#[test]
fn sign_stream_re_encodes_8bit_content_like_sign() {
    let message = "From: alice@example.org\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGr\u{fc}\u{df}e\r\n".as_bytes();
    let streamed = sign_streamed(message, &SignOptions::default());
    let in_memory = sign(message, &identity("alice"), &SignOptions::default()).unwrap();
    assert_eq!(signed_entity(&streamed), signed_entity(&in_memory));
    assert!(
        crate::common::find(signed_entity(&streamed), b"quoted-printable").is_some(),
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
        &smime::DecryptOptions::default(),
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
            let opened =
                decrypt(&sealed, &[identity(who)], &smime::DecryptOptions::default()).unwrap();
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
    let opened = decrypt(
        &sealed,
        &[identity("bob")],
        &smime::DecryptOptions::default(),
    )
    .unwrap();
    assert!(crate::common::find(&opened.content, b"Content-Transfer-Encoding: base64").is_some());
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
    let expected = decrypt(
        &sealed,
        &[identity("bob")],
        &smime::DecryptOptions::default(),
    )
    .unwrap()
    .content;
    assert_eq!(
        crate::common::find(&plain, b"The quick brown fox"),
        crate::common::find(&expected, b"The quick brown fox")
    );
    assert_eq!(plain.len(), expected.len());
}

/// Every message under `dir` (recursively) named `*.eml`.
fn eml_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            eml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "eml") {
            out.push(path);
        }
    }
}

fn lf_to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut previous = 0;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

/// verify_stream and verify agree on every signed message we have: ours,
/// Thunderbird's, OpenSSL's, MimeKit's (the corpus when present).
#[test]
fn verify_stream_reports_what_verify_reports() {
    let mut files = Vec::new();
    eml_files(&crate::common::fixture("interop"), &mut files);
    match crate::common::corpus() {
        Some(corpus) => eml_files(&corpus, &mut files),
        None => println!("SKIP corpus part: ../shared/corpus is absent"),
    }
    let tb = smime::Certificate::from_pem(&crate::common::read_fixture(
        "interop/thunderbird-TestCA.pem",
    ))
    .unwrap();
    let options = VerifyOptions::new(&[root(), tb]).allow_weak();
    let mut ours = vec![
        sign(
            &big_message(1 << 16),
            &identity("alice"),
            &SignOptions::default(),
        )
        .unwrap(),
        sign(
            &big_message(1 << 16),
            &identity("carol"),
            &SignOptions::default().opaque(),
        )
        .unwrap(),
    ];
    ours.extend(files.iter().map(|f| std::fs::read(f).unwrap()));
    let mut compared = 0;
    for (i, message) in ours.iter().enumerate() {
        let name = files
            .get(i.wrapping_sub(2))
            .map_or("ours".into(), |p| p.display().to_string());
        let mut written = Vec::new();
        let streamed = smime::verify_stream(&message[..], &mut written, &options);
        let in_memory = verify(message, &options);
        match (streamed, in_memory) {
            (Ok(s), Ok(m)) => {
                compared += 1;
                assert_eq!(s.valid, m.valid, "{name}");
                assert_eq!(s.form, m.form, "{name}");
                assert_eq!(s.from, m.from, "{name}");
                assert_eq!(s.coverage, m.coverage, "{name}");
                assert_eq!(s.problems, m.problems, "{name}");
                let statuses = |r: &smime::VerifyReport| {
                    r.signers
                        .iter()
                        .map(|x| {
                            // Streamed detached content is hashed with the
                            // micalg digests (and SHA-256) only, so the
                            // reason for an invalid signature may differ.
                            let valid = x.signature == smime::SignatureStatus::Valid;
                            (valid, x.chain, x.from_matches)
                        })
                        .collect::<Vec<_>>()
                };
                assert_eq!(statuses(&s), statuses(&m), "{name}");
                assert!(s.content.is_empty());
                assert!(
                    written == m.content || lf_to_crlf(&written) == m.content,
                    "{name}: streamed content differs"
                );
            }
            (Err(s), Err(m)) => assert_eq!(s.to_string(), m.to_string(), "{name}"),
            (s, m) => panic!(
                "{name}: streamed {:?} vs in memory {:?}",
                s.map(|r| r.valid),
                m.map(|r| r.valid)
            ),
        }
    }
    assert!(compared >= 4, "only {compared} messages compared");
}

#[test]
fn verify_stream_handles_multi_megabyte_messages_in_both_forms() {
    let message = big_message(4 << 20);
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let signed = sign_streamed(&message, &options);
        let mut written = Vec::new();
        let report =
            smime::verify_stream(&signed[..], &mut written, &VerifyOptions::new(&[root()]))
                .unwrap();
        assert!(report.valid, "{:?}", report.problems);
        assert!(written.len() > 4 << 20);
        // One flipped byte in the middle of the content breaks it.
        let mut tampered = signed.clone();
        let at = tampered.len() / 2;
        tampered[at] = if tampered[at] == b'x' { b'y' } else { b'x' };
        let outcome = smime::verify_stream(
            &tampered[..],
            std::io::sink(),
            &VerifyOptions::new(&[root()]),
        );
        assert!(outcome.map_or(true, |r| !r.valid));
    }
}

#[test]
fn decrypt_stream_round_trips_large_messages() {
    let message = big_message(5 << 20);
    for cipher in [ContentEncryption::Aes256Cbc, ContentEncryption::Aes256Gcm] {
        let sealed = encrypt_streamed(&message, &EncryptOptions::default().cipher(cipher));
        let mut plain = Vec::new();
        let info = smime::decrypt_stream(
            &sealed[..],
            &mut plain,
            &[identity("carol")],
            &smime::DecryptOptions::default(),
        )
        .unwrap();
        assert_eq!(info.authenticated, cipher == ContentEncryption::Aes256Gcm);
        assert_eq!(
            plain,
            decrypt(
                &sealed,
                &[identity("bob")],
                &smime::DecryptOptions::default()
            )
            .unwrap()
            .content
        );
        assert!(crate::common::find(&plain, b"The quick brown fox").is_some());
    }
}

#[test]
fn sign_and_encrypt_stream_handle_crlf_bodies_and_a_late_switch_to_lf() {
    // CRLF throughout (copied as it is), CRLF turning into LF after a few
    // chunks (canonicalized from there on), and a bare CR at the very end.
    let crlf: Vec<u8> = big_message(2 << 20)
        .split(|&b| b == b'\n')
        .flat_map(|line| line.iter().copied().chain(*b"\r\n"))
        .collect();
    let mut late = crlf.clone();
    late.truncate(300_000);
    late.extend_from_slice(&big_message(2 << 20)[200..]);
    let mut bare_cr = crlf.clone();
    bare_cr.truncate(bare_cr.len() - 1);
    let alice = identity("alice");
    let bob = identity("bob");
    for (name, message) in [("crlf", &crlf), ("late lf", &late), ("bare cr", &bare_cr)] {
        let streamed = sign_streamed(message, &SignOptions::default());
        let in_memory = sign(message, &alice, &SignOptions::default()).unwrap();
        assert_eq!(
            signed_entity(&streamed),
            signed_entity(&in_memory),
            "{name}"
        );
        assert!(
            verify(&streamed, &VerifyOptions::new(&[root()]))
                .unwrap()
                .valid,
            "{name}"
        );
        let opaque = sign_streamed(message, &SignOptions::default().opaque());
        let opaque_in_memory = sign(message, &alice, &SignOptions::default().opaque()).unwrap();
        assert_eq!(opaque.len(), opaque_in_memory.len(), "{name}");
        assert!(
            verify(&opaque, &VerifyOptions::new(&[root()]))
                .unwrap()
                .valid,
            "{name}"
        );
        let sealed = encrypt_streamed(message, &EncryptOptions::default());
        let opened = decrypt(
            &sealed,
            std::slice::from_ref(&bob),
            &smime::DecryptOptions::default(),
        )
        .unwrap();
        let expected = decrypt(
            &encrypt(
                message,
                &[bob.certificate().clone()],
                &EncryptOptions::default(),
            )
            .unwrap(),
            std::slice::from_ref(&bob),
            &smime::DecryptOptions::default(),
        )
        .unwrap();
        assert_eq!(opened.content, expected.content, "{name}");
    }
}

/// A reader that changes its bytes once it has been read to the end, at
/// the next seek: what a file edited between `sign_stream`'s two passes
/// looks like.
struct ChangedBetweenPasses {
    inner: Cursor<Vec<u8>>,
    change: Option<fn(&mut Vec<u8>)>,
    read_to_end: bool,
}

impl std::io::Read for ChangedBetweenPasses {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read_to_end |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

impl std::io::Seek for ChangedBetweenPasses {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        if self.read_to_end
            && let Some(change) = self.change.take()
        {
            change(self.inner.get_mut());
        }
        self.inner.seek(pos)
    }
}

/// The last occurrence of `b'a'` in the body, which every change below
/// edits.
fn last_a(message: &[u8]) -> usize {
    message.iter().rposition(|&b| b == b'a').unwrap()
}

/// An input edited between the two passes: the detached form signs what
/// it writes (a same-length, still safe edit gives a valid signature over
/// the edited text), and everything else is `Error::InputChanged`, in
/// both forms, on one thread and on two.
#[test]
fn an_input_changed_between_the_passes_is_input_changed() {
    let same_length: fn(&mut Vec<u8>) = |m| {
        let at = last_a(m);
        m[at] = b'b';
    };
    let eight_bit: fn(&mut Vec<u8>) = |m| {
        let at = last_a(m);
        m[at] = 0xe9;
    };
    let longer: fn(&mut Vec<u8>) = |m| m.extend_from_slice(b"more\r\n");
    let bare_lf: fn(&mut Vec<u8>) = |m| {
        let at = m.windows(2).rposition(|w| w == b"\r\n").unwrap();
        m[at] = b'x';
    };
    let alice = identity("alice");
    for size in [1 << 10, 2 << 20] {
        let message = lf_to_crlf(&big_message(size));
        for form in [SignatureForm::Detached, SignatureForm::Opaque] {
            let options = match form {
                SignatureForm::Opaque => SignOptions::default().opaque(),
                _ => SignOptions::default(),
            };
            for (what, change) in [
                ("same length", same_length),
                ("8-bit", eight_bit),
                ("longer", longer),
                ("bare LF", bare_lf),
            ] {
                let input = ChangedBetweenPasses {
                    inner: Cursor::new(message.clone()),
                    change: Some(change),
                    read_to_end: false,
                };
                let mut out = Vec::new();
                let result = sign_stream(input, &mut out, &alice, &options);
                if what == "same length" && form == SignatureForm::Detached {
                    result.unwrap();
                    let report = verify(&out, &VerifyOptions::new(&[root()])).unwrap();
                    assert!(report.valid, "{size} {what}: {report:?}");
                    let mut edited = message.clone();
                    change(&mut edited);
                    assert!(signed_entity(&out).ends_with(&edited[edited.len() - 64..]));
                } else {
                    assert!(
                        matches!(result, Err(Error::InputChanged)),
                        "{size} {form:?} {what}: {result:?}"
                    );
                }
            }
        }
    }
}
