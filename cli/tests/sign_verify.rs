//! `sign` and `verify`.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::Value;

#[test]
fn sign_from_stdin_then_verify_with_the_root_exits_0_and_prints_valid() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    assert!(signed.contains("multipart/signed"), "{signed}");
    let out = env
        .verify(signed.as_bytes(), &["--trust", &root_pem()])
        .expect(0);
    assert_eq!(out.stdout.lines().next(), Some("valid"), "{}", out.stdout);
    assert!(
        out.stdout.lines().any(|l| l.starts_with(&format!(
            "signer {ALICE} {}: signature valid, chain trusted, from matches, SHA-256/",
            fingerprint_of("certs/alice.der")
        ))),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.lines().any(|l| l == "coverage: whole body"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn sign_with_in_and_out_files_then_verify_from_stdin() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let input = env.file("message.eml", MESSAGE.as_bytes());
    let output = env.dir.path().join("signed.eml");
    let mut cmd = env.command(&["sign", "--mailbox", ALICE, "--in"]);
    cmd.arg(&input).arg("--out").arg(&output);
    let out = run(cmd).expect(0);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let signed = std::fs::read(&output).unwrap();
    let out = env
        .run_with_stdin(env.command(&["verify", "--trust", &root_pem()]), &signed)
        .expect(0);
    assert_eq!(out.stdout.lines().next(), Some("valid"));
}

#[test]
fn verify_json_reports_the_signer() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let report = env.verify_json(signed.as_bytes(), &["--trust", &root_pem()], 0);
    assert_eq!(report["valid"], Value::Bool(true), "{report}");
    assert_eq!(report["form"], "detached");
    assert_eq!(report["from"], ALICE);
    assert_eq!(report["coverage"], "whole-body");
    assert_eq!(report["problems"], serde_json::json!([]));
    let signers = report["signers"].as_array().unwrap();
    assert_eq!(signers.len(), 1, "{report}");
    let s = &signers[0];
    assert_eq!(s["emails"], serde_json::json!([ALICE]));
    assert_eq!(
        str_field(s, "fingerprint"),
        fingerprint_of("certs/alice.der")
    );
    assert_eq!(s["signature"], "valid");
    assert_eq!(s["signature_error"], Value::Null);
    assert_eq!(s["chain"], "trusted");
    assert_eq!(s["chain_detail"], Value::Null);
    assert_eq!(s["from_matches"], Value::Bool(true));
    assert_eq!(s["digest_algorithm"], "SHA-256");
    assert!(s["signature_algorithm"].is_string(), "{s}");
    assert_eq!(s["weaknesses"], serde_json::json!([]));
    let signed_at = rfc3339(str_field(s, "signing_time"));
    assert!(signed_at <= SystemTime::now() + Duration::from_secs(2));
}

#[test]
fn sign_with_another_digest() {
    let env = Env::new();
    let signed = env.alice_signed(&["--digest", "sha512"]);
    assert!(signed.contains("micalg=sha-512"), "{signed}");
    let report = env.verify_json(signed.as_bytes(), &["--trust", &root_pem()], 0);
    assert_eq!(report["signers"][0]["digest_algorithm"], "SHA-512");
    env.run_with_stdin(
        env.command(&["sign", "--mailbox", ALICE, "--digest", "md5"]),
        MESSAGE.as_bytes(),
    )
    .expect(2);
}

#[test]
fn opaque_round_trip() {
    let env = Env::new();
    let signed = env.alice_signed(&["--opaque"]);
    assert!(signed.contains("application/pkcs7-mime"), "{signed}");
    assert!(!signed.contains("Hello Bob"), "{signed}");
    let report = env.verify_json(signed.as_bytes(), &["--trust", &root_pem()], 0);
    assert_eq!(report["valid"], Value::Bool(true), "{report}");
    assert_eq!(report["form"], "opaque");
    let content = env.dir.path().join("content.eml");
    let mut cmd = env.command(&["verify", "--trust", &root_pem(), "--in"]);
    cmd.arg(env.file("opaque.eml", signed.as_bytes()))
        .arg("--out")
        .arg(&content);
    run(cmd).expect(0);
    let content = std::fs::read_to_string(&content).unwrap();
    assert!(content.contains("Hello Bob"), "{content}");
}

#[test]
fn verify_without_trust_exits_1_untrusted() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let out = env.verify(signed.as_bytes(), &[]).expect(1);
    assert_eq!(
        out.stdout.lines().next(),
        Some("NOT valid"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let report = env.verify_json(signed.as_bytes(), &[], 1);
    assert_eq!(report["valid"], Value::Bool(false));
    assert_eq!(report["signers"][0]["chain"], "untrusted");
    assert!(report["signers"][0]["chain_detail"].is_string(), "{report}");
    assert_eq!(report["signers"][0]["signature"], "valid");
}

#[test]
fn tampered_body_exits_1_with_an_invalid_signature() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    assert!(signed.contains("noon"));
    let tampered = signed.replace("noon", "nine");
    let report = env.verify_json(tampered.as_bytes(), &["--trust", &root_pem()], 1);
    assert_eq!(report["valid"], Value::Bool(false));
    assert_eq!(report["signers"][0]["signature"], "invalid");
    assert!(
        report["signers"][0]["signature_error"].is_string(),
        "{report}"
    );
    let out = env
        .verify(tampered.as_bytes(), &["--trust", &root_pem()])
        .expect(1);
    assert!(
        out.stdout.contains(": signature invalid ("),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_at_a_time_after_expiry_exits_1_expired() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let args = ["--trust", &root_pem(), "--at", "2130-01-01T00:00:00Z"];
    let report = env.verify_json(signed.as_bytes(), &args, 1);
    assert_eq!(report["signers"][0]["chain"], "expired", "{report}");
    // The `+00:00` form is the same time.
    let args = ["--trust", &root_pem(), "--at", "2130-01-01T00:00:00+00:00"];
    let report = env.verify_json(signed.as_bytes(), &args, 1);
    assert_eq!(report["signers"][0]["chain"], "expired", "{report}");
    let args = ["--trust", &root_pem(), "--at", "2030-06-01T12:00:00Z"];
    env.verify_json(signed.as_bytes(), &args, 0);
}

#[test]
fn verify_at_garbage_exits_2() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    for at in ["garbage", "2030-06-01", "2030-06-01T12:00:00+02:00"] {
        let out = env
            .verify(signed.as_bytes(), &["--trust", &root_pem(), "--at", at])
            .expect(2)
            .one_line_error();
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
}

#[test]
fn verifying_an_unsigned_message_exits_2() {
    let env = Env::new();
    let out = env
        .verify(MESSAGE.as_bytes(), &["--trust", &root_pem()])
        .expect(2)
        .one_line_error();
    assert!(out.stderr.contains("not S/MIME signed"), "{}", out.stderr);
}

#[test]
fn verify_out_writes_the_signed_entity() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let content = env.dir.path().join("content.eml");
    let mut cmd = env.command(&["verify", "--trust", &root_pem(), "--in"]);
    cmd.arg(env.file("signed.eml", signed.as_bytes()))
        .arg("--out")
        .arg(&content);
    let out = run(cmd).expect(0);
    assert_eq!(out.stdout.lines().next(), Some("valid"));
    let content = std::fs::read_to_string(&content).unwrap();
    assert!(
        content.contains("Hello Bob, the meeting is at noon."),
        "{content}"
    );
    assert!(content.starts_with("Content-Type: text/plain"), "{content}");
}

#[test]
fn sign_for_a_mailbox_without_a_certificate_exits_3() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let cmd = env.command(&["sign", "--mailbox", "nobody@example.org"]);
    let out = env
        .run_with_stdin(cmd, MESSAGE.as_bytes())
        .expect(3)
        .one_line_error();
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn sign_with_an_unusable_certificate_exits_2() {
    let env = Env::new();
    let expired = "expired@example.org";
    env.import(expired, &fixture("p12/expired.p12"), &[])
        .expect(0);
    // Not picked automatically (it is not valid now): no signing identity.
    let cmd = env.command(&["sign", "--mailbox", expired]);
    env.run_with_stdin(cmd, MESSAGE.as_bytes()).expect(3);
    // Chosen explicitly, it is found but refused by `sign`.
    let fp = fingerprint_of("certs/expired.pem");
    env.run(&["settings", "--mailbox", expired, "--default-signer", &fp])
        .expect(0);
    let cmd = env.command(&["sign", "--mailbox", expired]);
    let out = env
        .run_with_stdin(cmd, MESSAGE.as_bytes())
        .expect(2)
        .one_line_error();
    assert!(out.stderr.contains("expired"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn verify_needs_no_store_and_no_passphrase() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    std::fs::remove_file(&env.store).unwrap();
    let file = env.file("signed.eml", signed.as_bytes());
    let mut cmd = env.command(&["verify", "--trust", &root_pem(), "--in"]);
    cmd.arg(&file).env_remove("SMIME_STORE_PASSPHRASE");
    let out = run(cmd).expect(0);
    assert_eq!(out.stdout.lines().next(), Some("valid"));
    assert!(!env.store.exists(), "verify created a store");
}

#[test]
fn a_signature_by_openssl_cms_verifies() {
    if common::openssl_cli().is_none() {
        eprintln!("skipped: the openssl CLI is not installed");
        return;
    }
    let env = Env::new();
    let content = env.file(
        "content.txt",
        b"Content-Type: text/plain\r\n\r\nHello from openssl cms\r\n",
    );
    let signed = env.dir.path().join("openssl-signed.eml");
    let status = Command::new("openssl")
        .args(["cms", "-sign", "-from", ALICE, "-to", "bob@example.org"])
        .arg("-in")
        .arg(&content)
        .arg("-signer")
        .arg(fixture("certs/alice.pem"))
        .arg("-inkey")
        .arg(fixture("keys/alice.key"))
        .arg("-certfile")
        .arg(fixture("ca/intermediate.pem"))
        .arg("-out")
        .arg(&signed)
        .status()
        .unwrap();
    assert!(status.success(), "openssl cms -sign failed");
    let mut cmd = env.command(&["verify", "--json", "--trust", &root_pem(), "--in"]);
    cmd.arg(&signed).env_remove("SMIME_STORE_PASSPHRASE");
    let out = run(cmd).expect(0);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["signers"][0]["emails"], serde_json::json!([ALICE]));
    assert_eq!(report["signers"][0]["from_matches"], Value::Bool(true));
}
