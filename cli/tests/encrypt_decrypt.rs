//! `encrypt` and `decrypt` (with `--sign-with`, `--verify`, `--p12`), and interop with `openssl cms`.

mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

#[test]
fn encrypt_to_a_certificate_file_needs_no_passphrase_and_bob_decrypts() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let mut cmd = env.command(&["encrypt", "--to", &fixture_arg("certs/bob.pem")]);
    cmd.env_remove("SMIME_STORE_PASSPHRASE");
    let out = env.run_with_stdin(cmd, MESSAGE.as_bytes()).expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let sealed = out.stdout;
    assert!(sealed.contains("smime-type=enveloped-data"), "{sealed}");
    assert!(sealed.contains("Subject: hi"), "{sealed}");
    assert!(!sealed.contains("noon"), "{sealed}");
    let out = env.decrypt(BOB, sealed.as_bytes(), &[]).expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_is_the_entity(&out.stdout);
}

#[test]
fn encrypt_in_and_out_files() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let input = env.file("message.eml", MESSAGE.as_bytes());
    let sealed = env.dir.path().join("sealed.eml");
    let mut cmd = env.command(&["encrypt", "--to", &fixture_arg("certs/bob.pem"), "--in"]);
    cmd.arg(&input).arg("--out").arg(&sealed);
    let out = run(cmd).expect(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let content = env.dir.path().join("content.eml");
    let mut cmd = env.command(&["decrypt", "--mailbox", BOB, "--in"]);
    cmd.arg(&sealed).arg("--out").arg(&content);
    let out = run(cmd).expect(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_is_the_entity(&std::fs::read_to_string(&content).unwrap());
}

#[test]
fn gcm_is_authenticated_and_cbc_is_not() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let bob = fixture_arg("certs/bob.pem");
    for (cipher, name, authenticated) in [
        (None, "AES-256-CBC", false),
        (Some("aes256-cbc"), "AES-256-CBC", false),
        (Some("aes128-gcm"), "AES-128-GCM", true),
        (Some("aes256-gcm"), "AES-256-GCM", true),
    ] {
        let mut args = vec!["--to", &bob];
        if let Some(cipher) = cipher {
            args.extend(["--cipher", cipher]);
        }
        let sealed = env.encrypt(&args).expect(0).stdout;
        let smime_type = if authenticated {
            "smime-type=authEnveloped-data"
        } else {
            "smime-type=enveloped-data"
        };
        assert!(sealed.contains(smime_type), "{sealed}");
        let (report, content) = env.decrypt_json(BOB, sealed.as_bytes(), &[], 0);
        assert_eq!(
            report["authenticated"],
            Value::Bool(authenticated),
            "{report}"
        );
        assert_eq!(report["content_encryption"], name, "{report}");
        assert_eq!(
            str_field(&report, "recipient"),
            fingerprint_of("certs/bob.pem")
        );
        assert_eq!(report["signature"], Value::Null, "{report}");
        assert_is_the_entity(&content);
    }
    env.encrypt(&["--to", &bob, "--cipher", "des"]).expect(2);
}

#[test]
fn oaep_round_trip() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let sealed = env
        .encrypt(&["--to", &fixture_arg("certs/bob.pem"), "--oaep"])
        .expect(0)
        .stdout;
    let out = env.decrypt(BOB, sealed.as_bytes(), &[]).expect(0);
    assert_is_the_entity(&out.stdout);
}

#[test]
fn to_addr_finds_an_added_ec_certificate_and_carol_decrypts() {
    let env = Env::new();
    env.add_cert(&[fixture("certs/carol.pem")]).expect(0);
    let sealed = env
        .encrypt(&["--to-addr", CAROL, "--cipher", "aes128-gcm"])
        .expect(0)
        .stdout;
    env.import(CAROL, &fixture("p12/carol.p12"), &[]).expect(0);
    let (report, content) = env.decrypt_json(CAROL, sealed.as_bytes(), &[], 0);
    assert_eq!(
        str_field(&report, "recipient"),
        fingerprint_of("certs/carol.pem")
    );
    assert_is_the_entity(&content);
}

#[test]
fn several_recipients_each_decrypt_and_duplicates_are_dropped() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    env.import(CAROL, &fixture("p12/carol.p12"), &[]).expect(0);
    let bob = fixture_arg("certs/bob.pem");
    let sealed = env
        .encrypt(&["--to", &bob, "--to-addr", CAROL])
        .expect(0)
        .stdout;
    for mailbox in [BOB, CAROL] {
        let out = env.decrypt(mailbox, sealed.as_bytes(), &[]).expect(0);
        assert_is_the_entity(&out.stdout);
    }
    // Bob three times (twice by file, once by address: his own mailbox
    // certificate) is one recipient: the same size as Bob once.
    let once = env.encrypt(&["--to", &bob]).expect(0).stdout;
    let thrice = env
        .encrypt(&["--to", &bob, "--to", &bob, "--to-addr", BOB])
        .expect(0)
        .stdout;
    assert_eq!(once.len(), thrice.len());
}

#[test]
fn sign_with_encrypts_to_self_and_the_signature_verifies_inside() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let sealed = env
        .encrypt(&[
            "--to",
            &fixture_arg("certs/bob.pem"),
            "--sign-with",
            ALICE,
            "--cipher",
            "aes256-gcm",
        ])
        .expect(0)
        .stdout;
    let out = env
        .decrypt(
            BOB,
            sealed.as_bytes(),
            &["--verify", "--trust", &root_pem()],
        )
        .expect(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(out.stdout.contains("multipart/signed"), "{}", out.stdout);
    assert!(out.stdout.contains("noon"), "{}", out.stdout);
    let (report, _) = env.decrypt_json(
        BOB,
        sealed.as_bytes(),
        &["--verify", "--trust", &root_pem()],
        0,
    );
    let signature = &report["signature"];
    assert_eq!(signature["valid"], Value::Bool(true), "{report}");
    assert_eq!(signature["from_matches"], Value::Null, "{report}");
    assert_eq!(signature["signers"][0]["chain"], "trusted", "{report}");
    assert_eq!(signature["signers"][0]["from_matches"], Value::Bool(true));
    assert_eq!(
        str_field(&signature["signers"][0], "fingerprint"),
        fingerprint_of("certs/alice.der")
    );
    // Encrypt-to-self: Alice reads her sent copy.
    let (report, content) = env.decrypt_json(ALICE, sealed.as_bytes(), &[], 0);
    assert_eq!(
        str_field(&report, "recipient"),
        fingerprint_of("certs/alice.der")
    );
    assert!(content.contains("noon"), "{content}");
}

#[test]
fn decrypt_verify_exits_1_when_untrusted_or_unsigned_and_still_writes_the_content() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let bob = fixture_arg("certs/bob.pem");
    let signed = env
        .encrypt(&["--to", &bob, "--sign-with", ALICE])
        .expect(0)
        .stdout;
    // No trust anchor: the signature is fine, the chain is untrusted.
    let out = env
        .decrypt(BOB, signed.as_bytes(), &["--verify"])
        .expect(1)
        .one_line_error();
    assert!(out.stderr.contains("NOT valid"), "{}", out.stderr);
    assert!(out.stderr.contains("chain untrusted"), "{}", out.stderr);
    assert!(out.stdout.contains("noon"), "{}", out.stdout);
    let (report, content) = env.decrypt_json(BOB, signed.as_bytes(), &["--verify"], 1);
    assert_eq!(report["signature"]["valid"], Value::Bool(false), "{report}");
    assert_eq!(report["signature"]["signers"][0]["chain"], "untrusted");
    assert!(content.contains("noon"), "{content}");
    // Not signed at all.
    let unsigned = env.encrypt(&["--to", &bob]).expect(0).stdout;
    let out = env
        .decrypt(
            BOB,
            unsigned.as_bytes(),
            &["--verify", "--trust", &root_pem()],
        )
        .expect(1)
        .one_line_error();
    assert!(out.stderr.contains("not signed"), "{}", out.stderr);
    assert_is_the_entity(&out.stdout);
    let (report, _) = env.decrypt_json(BOB, unsigned.as_bytes(), &["--verify"], 1);
    assert_eq!(report["signature"], Value::Null, "{report}");
}

#[test]
fn sign_with_a_sender_that_cannot_be_encrypted_to_exits_3() {
    let env = Env::new();
    // Grace's only certificate can sign but not be encrypted to.
    env.import("grace@example.org", &fixture("p12/grace.p12"), &[])
        .expect(0);
    let out = env
        .encrypt(&[
            "--to",
            &fixture_arg("certs/bob.pem"),
            "--sign-with",
            "grace@example.org",
        ])
        .expect(3)
        .one_line_error();
    assert!(out.stderr.contains("grace@example.org"), "{}", out.stderr);
    assert!(out.stderr.contains("sent copy"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // A sender without any certificate has no signer.
    env.encrypt(&[
        "--to",
        &fixture_arg("certs/bob.pem"),
        "--sign-with",
        "nobody@example.org",
    ])
    .expect(3)
    .one_line_error();
}

#[test]
fn decrypt_with_the_wrong_mailbox_exits_2() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let sealed = env
        .encrypt(&["--to", &fixture_arg("certs/bob.pem")])
        .expect(0)
        .stdout;
    let out = env
        .decrypt(ALICE, sealed.as_bytes(), &[])
        .expect(2)
        .one_line_error();
    assert!(
        out.stderr.contains("not encrypted for this mailbox"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn decrypt_for_a_mailbox_without_keys_exits_3() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let sealed = env
        .encrypt(&["--to", &fixture_arg("certs/bob.pem")])
        .expect(0)
        .stdout;
    let out = env
        .decrypt("nobody@example.org", sealed.as_bytes(), &[])
        .expect(3)
        .one_line_error();
    assert!(out.stderr.contains("nobody@example.org"), "{}", out.stderr);
}

#[test]
fn decrypting_an_unencrypted_message_exits_2() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let out = env
        .decrypt(BOB, MESSAGE.as_bytes(), &[])
        .expect(2)
        .one_line_error();
    assert!(
        out.stderr.contains("not S/MIME encrypted"),
        "{}",
        out.stderr
    );
    let signed = env.alice_signed(&[]);
    env.decrypt(BOB, signed.as_bytes(), &[])
        .expect(2)
        .one_line_error();
}

#[test]
fn tampered_gcm_ciphertext_exits_2_decryption_failed() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let sealed = env
        .encrypt(&[
            "--to",
            &fixture_arg("certs/bob.pem"),
            "--cipher",
            "aes128-gcm",
        ])
        .expect(0)
        .stdout;
    let (header, body) = sealed.split_once("\r\n\r\n").unwrap();
    let b64: String = body.split_whitespace().collect();
    let mut der = openssl::base64::decode_block(&b64).unwrap();
    // AuthEnvelopedData ends with the encrypted content, then the 16-byte
    // tag (`04 10 <tag>`), last in DER (streamed BER had end-of-contents
    // octets after it): flip the last byte of the ciphertext.
    let tag = (0..=der.len().saturating_sub(18))
        .rev()
        .find(|&p| der[p..p + 2] == [0x04, 0x10] && der[p + 18..].iter().all(|&b| b == 0))
        .expect("no 16-byte tag at the end");
    // Indefinite lengths: the content's segments and the
    // EncryptedContentInfo close with `00 00` each before the tag.
    let eocs = if der[tag - 4..tag] == [0, 0, 0, 0] {
        4
    } else {
        0
    };
    der[tag - 1 - eocs] ^= 0x01;
    let b64 = openssl::base64::encode_block(&der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let tampered = format!("{header}\r\n\r\n{}\r\n", lines.join("\r\n"));
    let out = env
        .decrypt(BOB, tampered.as_bytes(), &[])
        .expect(2)
        .one_line_error();
    assert_eq!(out.stderr, "smime: decryption failed\n");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn encrypt_to_a_certificate_that_cannot_be_encrypted_to_exits_2() {
    let env = Env::new();
    let mut cmd = env.command(&["encrypt", "--to", &fixture_arg("certs/grace.pem")]);
    cmd.env_remove("SMIME_STORE_PASSPHRASE");
    let out = env
        .run_with_stdin(cmd, MESSAGE.as_bytes())
        .expect(2)
        .one_line_error();
    assert!(
        out.stderr.contains(&fingerprint_of("certs/grace.pem")),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    // Expired: refused unless allowed.
    let expired = fixture_arg("certs/expired.pem");
    let out = env.encrypt(&["--to", &expired]).expect(2).one_line_error();
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
    env.encrypt(&["--to", &expired, "--allow-expired"])
        .expect(0);
    // Not a certificate file.
    let garbage = env.file("garbage.pem", b"not a certificate");
    env.encrypt(&["--to", &garbage.display().to_string()])
        .expect(2)
        .one_line_error();
}

#[test]
fn encrypt_to_an_unknown_address_exits_3() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let out = env
        .encrypt(&["--to-addr", "nobody@example.org"])
        .expect(3)
        .one_line_error();
    assert!(out.stderr.contains("nobody@example.org"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    env.encrypt(&["--to-addr", "not an address"])
        .expect(2)
        .one_line_error();
}

#[test]
fn encrypt_and_decrypt_usage_errors_exit_2() {
    let env = Env::new();
    // At least one recipient.
    env.encrypt(&[]).expect(2);
    // --json needs --out (the content cannot share stdout with it).
    env.decrypt(BOB, MESSAGE.as_bytes(), &["--json"]).expect(2);
    // --trust only with --verify.
    env.decrypt(BOB, MESSAGE.as_bytes(), &["--trust", &root_pem()])
        .expect(2);
    assert!(!env.store.exists(), "a usage error created a store");
}

#[test]
fn openssl_cms_decrypts_our_output() {
    if common::openssl_cli().is_none() {
        eprintln!("skipped: the openssl CLI is not installed");
        return;
    }
    let env = Env::new();
    let bob = fixture_arg("certs/bob.pem");
    for args in [
        vec!["--to", &bob],
        vec!["--to", &bob, "--cipher", "aes128-gcm", "--oaep"],
    ] {
        let sealed = env.encrypt(&args).expect(0).stdout;
        let file = env.file("sealed.eml", sealed.as_bytes());
        let out = Command::new("openssl")
            .args(["cms", "-decrypt", "-in"])
            .arg(&file)
            .arg("-recip")
            .arg(&bob)
            .arg("-inkey")
            .arg(fixture("keys/bob.key"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl cms -decrypt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_is_the_entity(&String::from_utf8(out.stdout).unwrap());
    }
}

#[test]
fn openssl_cms_encrypted_mail_decrypts() {
    if common::openssl_cli().is_none() {
        eprintln!("skipped: the openssl CLI is not installed");
        return;
    }
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let content = env.file(
        "content.txt",
        b"Content-Type: text/plain\r\n\r\nHello from openssl cms\r\n",
    );
    let sealed = env.dir.path().join("openssl-sealed.eml");
    let status = Command::new("openssl")
        .args(["cms", "-encrypt", "-aes256", "-in"])
        .arg(&content)
        .arg("-out")
        .arg(&sealed)
        .arg(fixture("certs/bob.pem"))
        .status()
        .unwrap();
    assert!(status.success(), "openssl cms -encrypt failed");
    let (report, content) = env.decrypt_json(BOB, &std::fs::read(&sealed).unwrap(), &[], 0);
    assert_eq!(report["content_encryption"], "AES-256-CBC");
    assert_eq!(report["authenticated"], Value::Bool(false));
    assert!(content.contains("Hello from openssl cms"), "{content}");
}

#[test]
fn verify_remember_lets_encrypt_choose_aes_gcm() {
    let env = Env::new();
    // Bob signs (in his own client); alice's client verifies and remembers.
    let bob_store = Env::new();
    bob_store
        .import(BOB, &fixture("p12/bob.p12"), &[])
        .expect(0);
    let signed = bob_store
        .run_with_stdin(
            bob_store.command(&["sign", "--mailbox", BOB]),
            b"From: bob@example.org\r\n\r\nhello\r\n",
        )
        .expect(0)
        .stdout;
    let signed_file = env.file("signed.eml", signed.as_bytes());
    let mut cmd = env.command(&[
        "verify",
        "--remember",
        "--trust",
        &fixture_arg("ca/root.pem"),
        "--in",
    ]);
    cmd.arg(&signed_file);
    run(cmd).expect(0);
    // Bob announced AES-GCM: no --cipher needed.
    let sealed = env.encrypt(&["--to-addr", BOB]).expect(0).stdout;
    assert!(sealed.contains("smime-type=authEnveloped-data"), "{sealed}");
    // A certificate given as a file has no known capabilities: AES-CBC.
    let sealed = env
        .encrypt(&["--to", &fixture_arg("certs/bob.pem")])
        .expect(0)
        .stdout;
    assert!(sealed.contains("smime-type=enveloped-data"), "{sealed}");
}

/// `sign --p12` and `decrypt --p12` take the identity from a PKCS#12 file,
/// like `openssl cms -signer/-inkey`: no store, no store passphrase.
#[test]
fn sign_and_decrypt_with_a_p12_file_need_no_store() {
    let env = Env::new();
    let mut cmd = env.command(&["sign", "--p12", &fixture_arg("p12/alice.p12")]);
    cmd.env_remove("SMIME_STORE_PASSPHRASE")
        .env("SMIME_P12_PASSWORD", "test-password");
    let signed = env.run_with_stdin(cmd, MESSAGE.as_bytes()).expect(0).stdout;
    env.verify(signed.as_bytes(), &["--trust", &fixture_arg("ca/root.pem")])
        .expect(0);
    let sealed = env
        .encrypt(&["--to", &fixture_arg("certs/bob.pem")])
        .expect(0)
        .stdout;
    let file = env.file("sealed.eml", sealed.as_bytes());
    let mut cmd = env.command(&["decrypt", "--p12", &fixture_arg("p12/bob.p12"), "--in"]);
    cmd.arg(file)
        .env_remove("SMIME_STORE_PASSPHRASE")
        .env("SMIME_P12_PASSWORD", "test-password");
    let plain = run(cmd).expect(0).stdout;
    assert!(plain.contains("Content-Type"), "{plain}");
    assert!(!env.store.exists(), "no store was created");
    // --mailbox and --p12 together are a usage error.
    let out = env
        .run(&[
            "sign",
            "--mailbox",
            ALICE,
            "--p12",
            &fixture_arg("p12/alice.p12"),
        ])
        .expect(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

/// A failed decryption leaves no `--out` file behind (the plaintext is
/// only authenticated at its end).
#[test]
fn failed_decryption_leaves_no_output_file() {
    let env = Env::new();
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let sealed = env
        .encrypt(&[
            "--to",
            &fixture_arg("certs/bob.pem"),
            "--cipher",
            "aes256-gcm",
        ])
        .expect(0)
        .stdout;
    // Flip one base64 character in the middle of the body.
    let mut bytes = sealed.into_bytes();
    let at = bytes.len() * 2 / 3;
    let pos = (at..bytes.len())
        .find(|&i| bytes[i].is_ascii_alphabetic())
        .unwrap();
    bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
    let out_file = env.dir.path().join("plain.eml");
    env.decrypt(BOB, &bytes, &["--out", out_file.to_str().unwrap()])
        .expect(2);
    assert!(
        !out_file.exists(),
        "a partial plaintext was left in {}",
        out_file.display()
    );
}

/// A RecipientInfo naming another certificate (a client writing wrong
/// identifiers; fixtures/hostile/wrong-recipient-id.eml, for bob, naming
/// mallory): "not encrypted for this mailbox" unless --trial-decryption.
#[test]
fn trial_decryption_is_opt_in() {
    let env = Env::new();
    let decrypt = |extra: &[&str]| {
        let mut cmd = env.command(&["decrypt", "--p12", &fixture_arg("p12/bob.p12"), "--in"]);
        cmd.arg(fixture("hostile/wrong-recipient-id.eml"))
            .args(extra)
            .env_remove("SMIME_STORE_PASSPHRASE")
            .env("SMIME_P12_PASSWORD", "test-password");
        run(cmd)
    };
    let out = decrypt(&[]).expect(2).one_line_error();
    assert!(
        out.stderr.contains("not encrypted for this mailbox"),
        "{}",
        out.stderr
    );
    let plain = decrypt(&["--trial-decryption"]).expect(0).stdout;
    assert!(plain.ends_with("found by trial decryption\r\n"), "{plain}");
}
