//! Issue 14 on the command line: `trust add | list | remove`, `add-crl`,
//! `add-cert --pin`, `verify --store-trust / --crl / --ocsp-response /
//! --revocation`, and `encrypt --to-addr` refusing an address with only
//! untrusted certificates unless `--allow-untrusted` (case 8: a
//! self-signed certificate naming Bob must not receive Bob's mail).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::{ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};

fn chain() -> String {
    fixture_arg("ca/chain.pem")
}

/// An attacker's self-signed certificate naming bob@example.org, newer
/// than the real Bob's.
fn fake_bob(env: &Env) -> PathBuf {
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "Bob").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(0xbad).unwrap()).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    b.set_not_before(&Asn1Time::from_unix(now - 60).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + 86_400 * 365).unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .digital_signature()
            .key_encipherment()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email(BOB)
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    env.file("fake-bob.pem", &b.build().to_pem().unwrap())
}

/// `decrypt --p12 fixtures/p12/bob.p12` of `sealed`: the real Bob.
fn real_bob_decrypts(env: &Env, sealed: &str) -> Output {
    let file = env.file("sealed.eml", sealed.as_bytes());
    let mut cmd = env.command(&["decrypt", "--p12", &fixture_arg("p12/bob.p12"), "--in"]);
    cmd.arg(file).env("SMIME_P12_PASSWORD", PASSWORD);
    run(cmd)
}

#[test]
fn trust_add_list_and_remove() {
    let env = Env::new();
    let out = env.run(&["trust", "add", &chain()]).expect(0);
    let root_fp = fingerprint_of("ca/root.pem");
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
    assert!(out.stdout.contains(&format!("trusted {root_fp} ")));
    let again = env.run(&["trust", "add", &root_pem()]).expect(0);
    assert_eq!(again.stdout, format!("already trusted: {root_fp}\n"));
    let list = env.run(&["trust", "list"]).expect(0);
    assert_eq!(list.stdout.lines().count(), 2);
    assert!(list.stdout.lines().any(|l| l.starts_with(&root_fp)));
    let json: serde_json::Value =
        serde_json::from_str(&env.run(&["trust", "list", "--json"]).expect(0).stdout).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .any(|e| str_field(e, "fingerprint") == root_fp)
    );
    for e in entries {
        for key in ["subject", "not_after", "added_at"] {
            assert!(e.get(key).is_some(), "{key} in {e}");
        }
    }
    let removed = env.run(&["trust", "remove", &root_fp]).expect(0);
    assert_eq!(removed.stdout, format!("removed trust anchor {root_fp}\n"));
    assert_eq!(
        env.run(&["trust", "list"]).expect(0).stdout.lines().count(),
        1
    );
    // Removing it again: not found, a store refusal.
    let err = env
        .run(&["trust", "remove", &root_fp])
        .expect(3)
        .one_line_error();
    assert!(err.stderr.contains("trust anchor"), "{}", err.stderr);
    // Bad input: exit 2, the store untouched.
    let bad = env.file("bad.pem", b"not a certificate");
    env.run(&["trust", "add", bad.to_str().unwrap()])
        .expect(2)
        .one_line_error();
    env.run(&["trust", "remove", "abc"])
        .expect(2)
        .one_line_error();
}

/// Case 8: the real Bob's certificate (trusted through the fixture CA),
/// then an attacker's newer self-signed one: `--to-addr` still encrypts to
/// the real Bob, who reads the mail.
#[test]
fn a_self_signed_certificate_does_not_hijack_to_addr() {
    let env = Env::new();
    env.run(&["trust", "add", &chain()]).expect(0);
    env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    env.add_cert(&[fake_bob(&env)]).expect(0);
    let sealed = env.encrypt(&["--to-addr", BOB]).expect(0).stdout;
    let out = real_bob_decrypts(&env, &sealed).expect(0);
    assert_is_the_entity(&out.stdout);
}

/// Only the attacker's certificate: exit 3 with one line naming the
/// address; `--allow-untrusted` uses it; `add-cert --pin` trusts it.
#[test]
fn to_addr_refuses_an_address_with_only_untrusted_certificates() {
    let env = Env::new();
    let fake = fake_bob(&env);
    env.add_cert(std::slice::from_ref(&fake)).expect(0);
    let err = env.encrypt(&["--to-addr", BOB]).expect(3).one_line_error();
    assert!(err.stderr.contains(BOB), "{}", err.stderr);
    assert!(
        err.stderr.contains("no trusted certificate"),
        "{}",
        err.stderr
    );
    assert!(err.stdout.is_empty());
    env.encrypt(&["--to-addr", BOB, "--allow-untrusted"])
        .expect(0);
    let mut cmd = env.command(&["add-cert", "--pin"]);
    cmd.arg(&fake);
    let pinned = run(cmd).expect(0);
    assert!(pinned.stdout.starts_with("pinned "), "{}", pinned.stdout);
    env.encrypt(&["--to-addr", BOB]).expect(0);
    let mut cmd = env.command(&["add-cert", "--pin"]);
    cmd.arg(&fake);
    assert!(run(cmd).expect(0).stdout.starts_with("already pinned: "));
}

/// `verify --store-trust` uses the store's anchors (and opens the store);
/// without anchors the same message is untrusted.
#[test]
fn verify_store_trust_uses_the_store_anchors() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let report = env.verify_json(signed.as_bytes(), &["--store-trust"], 1);
    assert_eq!(str_field(&report["signers"][0], "chain"), "untrusted");
    env.run(&["trust", "add", &root_pem()]).expect(0);
    let report = env.verify_json(signed.as_bytes(), &["--store-trust"], 0);
    assert_eq!(report["valid"], true);
    // The store needs its passphrase then.
    let file = env.file("signed.eml", signed.as_bytes());
    let mut cmd = env.command(&["verify", "--store-trust", "--in"]);
    cmd.arg(file).env_remove("SMIME_STORE_PASSPHRASE");
    run(cmd).expect(2).one_line_error();
}

/// `open --store-trust` uses the store's anchors too: the same signed
/// message is signed-but-invalid (exit 1) without them, signed-and-valid
/// once the root is a store anchor.
#[test]
fn open_store_trust_uses_the_store_anchors() {
    let env = Env::new();
    let signed = env.alice_signed(&[]);
    let file = env.file("to-open.eml", signed.as_bytes());
    let open = |code| {
        let mut cmd = env.command(&[
            "open",
            "--mailbox",
            ALICE,
            "--store-trust",
            "--json",
            "--in",
        ]);
        cmd.arg(&file);
        let out = run(cmd).expect(code);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        str_field(&json, "verdict").to_string()
    };
    assert_eq!(open(1), "signed-but-invalid");
    env.run(&["trust", "add", &root_pem()]).expect(0);
    assert_eq!(open(0), "signed-and-valid");
}

/// A CA run with `openssl ca` over the fixture intermediate: `-revoke`
/// Bob, `-gencrl`. `None` (skip) without the openssl CLI.
fn revoking_bob(env: &Env) -> Option<PathBuf> {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return None;
    }
    let dir = env.dir.path().join("ca");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\ncrlnumber = crlnumber\n\
         default_md = sha256\ndefault_crl_days = 7\n",
    )
    .unwrap();
    let ca = |args: &[&str]| {
        let out = Command::new("openssl")
            .arg("ca")
            .args(["-config", "ca.cnf", "-keyfile"])
            .arg(fixture("ca/intermediate.key"))
            .arg("-cert")
            .arg(fixture("ca/intermediate.pem"))
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ca(&[
        "-revoke",
        &fixture_arg("certs/bob.pem"),
        "-crl_reason",
        "keyCompromise",
    ]);
    ca(&["-gencrl", "-out", "crl.pem"]);
    Some(dir.join("crl.pem"))
}

fn sign_as_bob(env: &Env) -> String {
    env.import(BOB, &fixture("p12/bob.p12"), &[]).expect(0);
    let from_bob = MESSAGE.replace(
        "From: alice@example.org\nTo: bob@example.org",
        "From: bob@example.org\nTo: alice@example.org",
    );
    assert_ne!(from_bob, MESSAGE);
    env.run_with_stdin(
        env.command(&["sign", "--mailbox", BOB]),
        from_bob.as_bytes(),
    )
    .expect(0)
    .stdout
}

/// `add-crl`: refused (exit 3) while its issuer is unknown, then kept once
/// per issuer; `verify --store-trust` then reports Bob revoked, as
/// `verify --crl` does; `--revocation off` does not check.
#[test]
fn add_crl_and_verify_with_store_crls() {
    let env = Env::new();
    let Some(crl) = revoking_bob(&env) else {
        return;
    };
    let crl = crl.to_str().unwrap().to_owned();
    // No anchor, no identity whose chain holds the intermediate: refused.
    let err = env.run(&["add-crl", &crl]).expect(3).one_line_error();
    assert!(err.stderr.contains("CRL"), "{}", err.stderr);
    env.run(&["trust", "add", &chain()]).expect(0);
    let signed = sign_as_bob(&env);
    let added = env.run(&["add-crl", &crl]).expect(0);
    assert!(
        added.stdout.starts_with("added CRL of "),
        "{}",
        added.stdout
    );
    let kept = env.run(&["add-crl", &crl]).expect(0);
    assert!(
        kept.stdout.starts_with("kept newer CRL of "),
        "{}",
        kept.stdout
    );
    let report = env.verify_json(signed.as_bytes(), &["--store-trust"], 1);
    assert_eq!(str_field(&report["signers"][0], "chain"), "revoked");
    assert_eq!(str_field(&report["signers"][0], "revocation"), "revoked");
    let report = env.verify_json(
        signed.as_bytes(),
        &["--trust", &root_pem(), "--crl", &crl],
        1,
    );
    assert_eq!(str_field(&report["signers"][0], "chain"), "revoked");
    let report = env.verify_json(
        signed.as_bytes(),
        &["--store-trust", "--revocation", "off"],
        0,
    );
    assert_eq!(
        str_field(&report["signers"][0], "revocation"),
        "not-checked"
    );
    // Bad CRL or OCSP files: exit 2.
    let bad = env.file("bad.crl", b"garbage");
    let bad = bad.to_str().unwrap();
    env.run(&["add-crl", bad]).expect(2).one_line_error();
    env.verify(signed.as_bytes(), &["--crl", bad])
        .expect(2)
        .one_line_error();
    env.verify(signed.as_bytes(), &["--ocsp-response", bad])
        .expect(2)
        .one_line_error();
    env.verify(signed.as_bytes(), &["--revocation", "sometimes"])
        .expect(2);
}

/// A recipient certificate revoked by a stored CRL is not encrypted to.
#[test]
fn to_addr_skips_a_certificate_revoked_by_a_stored_crl() {
    let env = Env::new();
    let Some(crl) = revoking_bob(&env) else {
        return;
    };
    env.run(&["trust", "add", &chain()]).expect(0);
    env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    env.encrypt(&["--to-addr", BOB]).expect(0);
    env.run(&["add-crl", crl.to_str().unwrap()]).expect(0);
    env.encrypt(&["--to-addr", BOB]).expect(3).one_line_error();
}

/// A certs-only bundle (bob and the intermediate that issued him) through
/// `add-cert`: the intermediate is kept for building paths, so trusting
/// only the root makes bob trusted for `--to-addr`; without the root he is
/// not (the intermediate is not trusted itself).
#[test]
fn add_cert_of_a_bundle_keeps_its_ca_for_paths_to_an_anchor() {
    let env = Env::new();
    let read = |rel: &str| smime::Certificate::from_pem(&read_fixture(rel)).unwrap();
    let bundle =
        smime::certs_only_der(&[read("certs/bob.pem"), read("ca/intermediate.pem")]).unwrap();
    let file = env.file("bob.p7c", &bundle);
    let added = env.add_cert(&[file]).expect(0);
    assert_eq!(added.stdout.lines().count(), 1, "{}", added.stdout);
    env.encrypt(&["--to-addr", BOB]).expect(3).one_line_error();
    env.run(&["trust", "add", &root_pem()]).expect(0);
    let sealed = env.encrypt(&["--to-addr", BOB]).expect(0).stdout;
    assert_is_the_entity(&real_bob_decrypts(&env, &sealed).expect(0).stdout);
}

/// A certificate learnt by `verify --remember` from a valid signature with
/// a trusted chain (`--trust`, not a store anchor) is trusted for
/// `--to-addr` without any anchor in the store.
#[test]
fn verify_remember_makes_the_signer_a_trusted_recipient() {
    let signer = Env::new();
    let signed = sign_as_bob(&signer);
    let env = Env::new();
    env.verify(signed.as_bytes(), &["--trust", &root_pem(), "--remember"])
        .expect(0);
    assert!(env.run(&["trust", "list"]).expect(0).stdout.is_empty());
    let sealed = env.encrypt(&["--to-addr", BOB]).expect(0).stdout;
    assert_is_the_entity(&real_bob_decrypts(&env, &sealed).expect(0).stdout);
}
