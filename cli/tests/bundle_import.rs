//! `import` of bundles with several identities (RFC 9216's samples: a
//! signing and an encryption pair, `fixtures/interop/rfc9216-*.p12`), the
//! `domain` commands and hosted mode, and the same commands on a
//! PostgreSQL store (`--store postgres://…`, when `SMIME_TEST_POSTGRES`
//! names a database; skipped with a printed reason otherwise).

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::*;
use serde_json::Value;

const RFC_ALICE: &str = "alice@smime.example";

fn rfc9216(name: &str) -> PathBuf {
    fixture(&format!("interop/rfc9216-{name}.p12"))
}

/// `import --mailbox alice@smime.example rfc9216-alice.p12` (password `alice`).
fn import_rfc_alice(env: &Env) -> Output {
    let mut cmd = env.command(&["import", "--mailbox", RFC_ALICE]);
    cmd.arg(rfc9216("alice")).env("SMIME_P12_PASSWORD", "alice");
    run(cmd)
}

/// The fingerprints of the listed certificates that can sign, and that can decrypt.
fn by_usage(listed: &[Value]) -> (Vec<String>, Vec<String>) {
    let pick = |key: &str| -> Vec<String> {
        listed
            .iter()
            .filter(|e| e[key] == Value::Bool(true))
            .map(|e| str_field(e, "fingerprint").to_owned())
            .collect()
    };
    (pick("can_sign"), pick("can_decrypt"))
}

/// Checks what `import` of RFC 9216 alice printed and stored, then that
/// sign takes the signing pair and decrypt the encryption pair.
fn both_identities_are_used_by_key_usage(env: &Env) {
    let out = import_rfc_alice(env).expect(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per identity: {}", out.stdout);
    let listed = env.list_json(Some(RFC_ALICE));
    assert_eq!(listed.len(), 2, "each pair one slot");
    let (signing, decrypting) = by_usage(&listed);
    assert_eq!((signing.len(), decrypting.len()), (1, 1), "{listed:?}");
    assert_ne!(signing, decrypting);
    for fp in signing.iter().chain(&decrypting) {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("imported {fp} "))
                    && l.ends_with(&format!(" into {RFC_ALICE}"))),
            "{fp} printed: {}",
            out.stdout
        );
    }
    // Again: nothing new, both reported as present.
    let again = import_rfc_alice(env).expect(0);
    assert_eq!(
        again.stdout.matches("already present: ").count(),
        2,
        "{}",
        again.stdout
    );

    // sign takes the signing pair.
    let message = env.file(
        "m.eml",
        format!("From: {RFC_ALICE}\r\nTo: bob@smime.example\r\nSubject: x\r\n\r\nhi\r\n")
            .as_bytes(),
    );
    let signed = env.dir.path().join("signed.eml");
    let mut cmd = env.command(&["sign", "--mailbox", RFC_ALICE, "--in"]);
    cmd.arg(&message).arg("--out").arg(&signed);
    run(cmd).expect(0);
    let report = env.verify_json(
        &std::fs::read(&signed).unwrap(),
        &["--trust", &fixture_arg("interop/rfc9216-ca.rsa.crt")],
        0,
    );
    assert_eq!(
        report["signers"][0]["fingerprint"],
        Value::from(signing[0].clone())
    );

    // encrypt --to-addr takes the encryption pair; decrypt opens it with its key.
    let sealed = env.dir.path().join("sealed.eml");
    let mut cmd = env.command(&["encrypt", "--to-addr", RFC_ALICE, "--in"]);
    cmd.arg(&message).arg("--out").arg(&sealed);
    run(cmd).expect(0);
    let opened = env.dir.path().join("opened.eml");
    let mut cmd = env.command(&["decrypt", "--mailbox", RFC_ALICE, "--json", "--in"]);
    cmd.arg(&sealed).arg("--out").arg(&opened);
    let out = run(cmd).expect(0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["recipient"], Value::from(decrypting[0].clone()));
}

#[test]
fn import_stores_every_identity_and_key_usage_decides() {
    both_identities_are_used_by_key_usage(&Env::new());
}

#[test]
fn sign_and_decrypt_with_p12_pick_by_key_usage_too() {
    let env = Env::new();
    import_rfc_alice(&env).expect(0);
    let (signing, decrypting) = by_usage(&env.list_json(Some(RFC_ALICE)));
    let message = env.file(
        "m.eml",
        format!("From: {RFC_ALICE}\r\nSubject: x\r\n\r\nhi\r\n").as_bytes(),
    );
    let signed = env.dir.path().join("signed.eml");
    let mut cmd = env.command(&["sign", "--p12"]);
    cmd.arg(rfc9216("alice"))
        .arg("--in")
        .arg(&message)
        .arg("--out")
        .arg(&signed)
        .env("SMIME_P12_PASSWORD", "alice");
    run(cmd).expect(0);
    let report = env.verify_json(
        &std::fs::read(&signed).unwrap(),
        &["--trust", &fixture_arg("interop/rfc9216-ca.rsa.crt")],
        0,
    );
    assert_eq!(
        report["signers"][0]["fingerprint"],
        Value::from(signing[0].clone())
    );

    let sealed = env.dir.path().join("sealed.eml");
    let mut cmd = env.command(&["encrypt", "--to-addr", RFC_ALICE, "--in"]);
    cmd.arg(&message).arg("--out").arg(&sealed);
    run(cmd).expect(0);
    let opened = env.dir.path().join("opened.eml");
    let mut cmd = env.command(&["decrypt", "--p12"]);
    cmd.arg(rfc9216("alice"))
        .args(["--json", "--in"])
        .arg(&sealed)
        .arg("--out")
        .arg(&opened)
        .env("SMIME_P12_PASSWORD", "alice");
    let out = run(cmd).expect(0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["recipient"], Value::from(decrypting[0].clone()));
}

#[test]
fn a_bundle_that_needs_the_thirty_first_slot_stores_nothing() {
    let env = Env::new();
    let dir = env.dir.path();
    for serial in 1..=29u32 {
        let file = dir.join(format!("filler-{serial}.p12"));
        std::fs::write(&file, minted_bundle(RFC_ALICE, 4000 + serial)).unwrap();
        env.import(RFC_ALICE, &file, &[]).expect(0);
    }
    let out = import_rfc_alice(&env).expect(3).one_line_error();
    assert_eq!(
        out.stderr,
        "smime: mailbox alice@smime.example is full (30 certificates)\n"
    );
    assert_eq!(out.stdout, "", "nothing reported imported");
    assert_eq!(env.list_json(Some(RFC_ALICE)).len(), 29, "no pair stored");
}

#[test]
fn a_bundle_for_another_address_is_refused_before_the_store_opens() {
    let env = Env::new();
    let mut cmd = env.command(&["import", "--mailbox", "carol@smime.example"]);
    cmd.arg(rfc9216("alice")).env("SMIME_P12_PASSWORD", "alice");
    run(cmd).expect(2).one_line_error();
    assert!(!env.store.exists(), "no store created");
}

/// The domain commands, then hosted mode refusing each operation with exit
/// 3 and one line naming the domain.
fn domain_policy_is_enforced(env: &Env) {
    assert_eq!(
        env.run(&["domain", "list"]).expect(0).stdout,
        "hosted mode: off\n"
    );
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let out = env.run(&["domain", "enable", "Example.ORG"]).expect(0);
    assert_eq!(out.stdout, "domain example.org enabled\n");
    let out = env
        .run(&[
            "domain",
            "enable",
            "strict.example",
            "--no-encrypt-by-default",
        ])
        .expect(0);
    assert_eq!(
        out.stdout,
        "domain strict.example enabled, no encryption by default\n"
    );
    let out = env.run(&["domain", "disable", "smime.example"]).expect(0);
    assert_eq!(out.stdout, "domain smime.example disabled\n");
    let out = env.run(&["domain", "list"]).expect(0);
    assert_eq!(
        out.stdout,
        "hosted mode: off\nexample.org enabled\nsmime.example disabled\nstrict.example enabled, no encryption by default\n"
    );

    // A disabled domain is refused even without hosted mode.
    let out = import_rfc_alice(env).expect(3).one_line_error();
    assert_eq!(
        out.stderr,
        "smime: S/MIME is not enabled for domain smime.example\n"
    );

    let out = env.run(&["domain", "require", "on"]).expect(0);
    assert_eq!(
        out.stdout,
        "hosted mode on: only enabled domains may use S/MIME\n"
    );
    let json: Value =
        serde_json::from_str(&env.run(&["domain", "list", "--json"]).expect(0).stdout).unwrap();
    assert_eq!(json["require_enablement"], Value::Bool(true));
    assert_eq!(
        json["domains"][0],
        serde_json::json!({"domain": "example.org", "enabled": true, "encryption_allowed": true})
    );
    assert_eq!(json["domains"].as_array().unwrap().len(), 3);

    // example.org is enabled: alice signs. other.org is not: refused.
    let message = env.file(
        "m.eml",
        b"From: alice@example.org\r\nSubject: x\r\n\r\nhi\r\n",
    );
    let mut sign = env.command(&["sign", "--mailbox", ALICE, "--in"]);
    sign.arg(&message);
    run(sign).expect(0);
    let other = env.dir.path().join("other.p12");
    std::fs::write(&other, minted_bundle("dan@other.org", 77)).unwrap();
    let out = env
        .import("dan@other.org", &other, &[])
        .expect(3)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: S/MIME is not enabled for domain other.org\n"
    );

    // Disabling example.org stops sign, decrypt, export and encrypt-by-default.
    env.run(&["domain", "disable", "example.org"]).expect(0);
    let refused = "smime: S/MIME is not enabled for domain example.org\n";
    let mut sign = env.command(&["sign", "--mailbox", ALICE, "--in"]);
    sign.arg(&message);
    assert_eq!(run(sign).expect(3).one_line_error().stderr, refused);
    let mut decrypt = env.command(&["decrypt", "--mailbox", ALICE, "--in"]);
    decrypt.arg(&message);
    assert_eq!(run(decrypt).expect(3).one_line_error().stderr, refused);
    let settings = env
        .run(&["settings", "--mailbox", ALICE, "--encrypt-by-default", "on"])
        .expect(3)
        .one_line_error();
    assert_eq!(settings.stderr, refused);
    let mut export = env.command(&[
        "export",
        "--mailbox",
        ALICE,
        &fingerprint_of("certs/alice.pem"),
    ]);
    export.env("SMIME_EXPORT_PASSWORD", PASSWORD);
    assert_eq!(run(export).expect(3).one_line_error().stderr, refused);

    // Hosted mode off again: domains without a policy are enabled.
    let out = env.run(&["domain", "require", "off"]).expect(0);
    assert!(out.stdout.starts_with("hosted mode off"), "{}", out.stdout);
    env.import("dan@other.org", &other, &[]).expect(0);
}

#[test]
fn domain_commands_and_hosted_mode() {
    domain_policy_is_enforced(&Env::new());
}

#[test]
fn domain_arguments_are_checked_before_the_store_opens() {
    let env = Env::new();
    env.run(&["domain", "enable", "not a domain"])
        .expect(2)
        .one_line_error();
    env.run(&["domain", "require", "maybe"]).expect(2);
    env.run(&["domain"]).expect(2);
    // An option of `enable` is no option of `disable` (it was ignored).
    let out = env
        .run(&[
            "domain",
            "disable",
            "example.org",
            "--no-encrypt-by-default",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("--no-encrypt-by-default"),
        "{}",
        out.stderr
    );
    assert!(!env.store.exists(), "no store created");
}

#[test]
fn encryption_by_default_follows_the_domain_switch() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    env.run(&["domain", "enable", "example.org", "--no-encrypt-by-default"])
        .expect(0);
    let out = env
        .run(&["settings", "--mailbox", ALICE, "--encrypt-by-default", "on"])
        .expect(3)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: encryption by default is not allowed for domain example.org\n"
    );
    env.run(&["domain", "enable", "example.org"]).expect(0);
    env.run(&["settings", "--mailbox", ALICE, "--encrypt-by-default", "on"])
        .expect(0);
}

// ------------------------------------------------------------- PostgreSQL

/// A fresh schema in `$SMIME_TEST_POSTGRES` as a store URL, or `None` (the
/// reason printed) when there is no database to test against.
fn postgres_env() -> Option<(Env, PgSchema)> {
    let url = match std::env::var("SMIME_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            println!(
                "skipped PostgreSQL: SMIME_TEST_POSTGRES is unset (eval \"$(.ci/postgres.sh start)\" sets it)"
            );
            return None;
        }
    };
    let mut bytes = [0u8; 8];
    openssl::rand::rand_bytes(&mut bytes).unwrap();
    let schema = format!("cli_{}", hex(&bytes));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
        store: PathBuf::from(format!("{url}{sep}options=-csearch_path%3D{schema}")),
    };
    Some((env, PgSchema { url, schema }))
}

/// Drops the schema at the end.
struct PgSchema {
    url: String,
    schema: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
        }
    }
}

#[test]
fn postgres_import_list_sign_and_decrypt() {
    let Some((env, _schema)) = postgres_env() else {
        return;
    };
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let listed = env.list_json(Some(ALICE));
    assert_eq!(listed.len(), 1);
    assert_eq!(
        str_field(&listed[0], "fingerprint"),
        fingerprint_of("certs/alice.pem")
    );
    let signed = env.alice_signed(&[]);
    let report = env.verify_json(
        signed.as_bytes(),
        &["--trust", &fixture_arg("ca/root.pem")],
        0,
    );
    assert_eq!(report["valid"], Value::Bool(true));
    both_identities_are_used_by_key_usage(&env);
    // A second process sees the same store: nothing is local.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smime"));
    cmd.args(["--store", env.store.to_str().unwrap(), "list"])
        .env("SMIME_STORE_PASSPHRASE", STORE_PASSPHRASE)
        .env_remove("SMIME_STORE")
        .stdin(std::process::Stdio::null());
    let out = run(cmd).expect(0);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    // The wrong passphrase is refused there as on SQLite.
    with_passphrase(&env, "not it", &["list"])
        .expect(3)
        .one_line_error();
}

#[test]
fn postgres_domain_commands_and_hosted_mode() {
    let Some((env, _schema)) = postgres_env() else {
        return;
    };
    domain_policy_is_enforced(&env);
}
