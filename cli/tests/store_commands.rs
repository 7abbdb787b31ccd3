//! `import`, `list`, `remove`, `settings` and `passwd`: the store as the CLI manages it.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use serde_json::Value;

#[test]
fn import_then_list_json_in_a_second_invocation() {
    let env = Env::new();
    let before = SystemTime::now();
    env.import(ALICE, &alice_p12(), &[]).expect(0);

    let entries = env.list_json(None);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(str_field(e, "mailbox"), ALICE);
    let expected_fp = hex(&openssl::sha::sha256(&read_fixture("certs/alice.der")));
    assert_eq!(str_field(e, "fingerprint"), expected_fp);
    assert!(str_field(e, "subject").contains("CN=Alice"), "{e}");
    assert!(
        str_field(e, "issuer").contains("CN=smime test Intermediate CA"),
        "{e}"
    );
    assert_eq!(str_field(e, "serial"), "1000");
    assert_eq!(e["emails"], serde_json::json!([ALICE]));
    assert_eq!(str_field(e, "not_before"), "2025-01-01T00:00:00Z");
    assert_eq!(str_field(e, "not_after"), "2125-01-01T00:00:00Z");
    let imported_at = rfc3339(str_field(e, "imported_at"));
    assert!(
        imported_at + Duration::from_secs(2) >= before,
        "imported_at {imported_at:?} before the test"
    );
    assert!(
        imported_at <= SystemTime::now(),
        "imported_at {imported_at:?} in the future"
    );
    assert_eq!(str_field(e, "key_algorithm"), "RSA-2048");
    assert_eq!(e["can_sign"], Value::Bool(true));
    assert_eq!(e["can_decrypt"], Value::Bool(true));
    let chain = e["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "{e}");
    assert!(chain.iter().all(Value::is_string), "{e}");
}

#[test]
fn password_file_works_with_a_trailing_newline() {
    let env = Env::new();
    let password_file = env.file("p12-password", format!("{PASSWORD}\n").as_bytes());
    let mut cmd = env.command(&["import", "--mailbox", ALICE, "--password-file"]);
    cmd.arg(&password_file).arg(alice_p12());
    let out = run(cmd).expect(0);
    assert!(out.stdout.starts_with("imported "), "{}", out.stdout);
    assert_eq!(env.list_json(Some(ALICE)).len(), 1);
}

#[test]
fn wrong_password_exits_2_with_one_line_and_leaves_the_store_unchanged() {
    let env = Env::new();
    let mut cmd = env.command(&["import", "--mailbox", ALICE]);
    cmd.arg(alice_p12())
        .env("SMIME_P12_PASSWORD", "not the password");
    let out = run(cmd).expect(2).one_line_error();
    assert!(
        out.stderr.contains("wrong PKCS#12 password"),
        "{}",
        out.stderr
    );
    assert!(env.list_json(None).is_empty());
}

#[test]
fn corrupt_and_truncated_bundles_exit_2() {
    let env = Env::new();
    let mut random = [0u8; 2048];
    openssl::rand::rand_bytes(&mut random).unwrap();
    let garbage = env.file("garbage.p12", &random);
    env.import(ALICE, &garbage, &[]).expect(2).one_line_error();

    let alice = read_fixture("p12/alice.p12");
    let truncated = env.file("truncated.p12", &alice[..alice.len() / 2]);
    env.import(ALICE, &truncated, &[])
        .expect(2)
        .one_line_error();
}

#[test]
fn bad_address_exits_2() {
    let env = Env::new();
    env.import("not an address", &alice_p12(), &[])
        .expect(2)
        .one_line_error();
}

#[test]
fn address_mismatch_exits_2_unless_allowed() {
    let env = Env::new();
    let mallory = fixture("p12/mallory.p12");
    let out = env.import(ALICE, &mallory, &[]).expect(2).one_line_error();
    assert!(out.stderr.contains(ALICE), "{}", out.stderr);
    env.import(ALICE, &mallory, &["--allow-address-mismatch"])
        .expect(0);
}

#[test]
fn thirty_first_certificate_is_refused_until_one_is_removed() {
    let env = Env::new();
    let cap = "cap@example.org";
    for serial in 1..=30 {
        let bundle = env.file(&format!("cap-{serial}.p12"), &minted_bundle(cap, serial));
        env.import(cap, &bundle, &[]).expect(0);
    }
    let extra = env.file("cap-31.p12", &minted_bundle(cap, 31));
    let out = env.import(cap, &extra, &[]).expect(3).one_line_error();
    assert!(
        out.stderr.contains("is full (30 certificates)"),
        "{}",
        out.stderr
    );

    let entries = env.list_json(Some(cap));
    assert_eq!(entries.len(), 30);
    let victim = str_field(&entries[0], "fingerprint");
    env.run(&["remove", "--mailbox", cap, victim]).expect(0);
    env.import(cap, &extra, &[]).expect(0);
}

#[test]
fn reimport_reports_already_present() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let out = env.import(ALICE, &alice_p12(), &[]).expect(0);
    assert!(
        out.stdout.starts_with("already present: "),
        "{}",
        out.stdout
    );
    assert_eq!(env.list_json(None).len(), 1);
}

#[test]
fn remove_unknown_or_malformed_fingerprint_fails() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let unknown = "00".repeat(32);
    env.run(&["remove", "--mailbox", ALICE, &unknown])
        .expect(3)
        .one_line_error();

    let out = env
        .run(&["remove", "--mailbox", ALICE, "not-a-fingerprint"])
        .expect(2)
        .one_line_error();
    assert!(
        out.stderr.contains("invalid certificate fingerprint"),
        "{}",
        out.stderr
    );
    assert_eq!(env.list_json(None).len(), 1);
}

#[test]
fn wrong_store_passphrase_exits_3() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let mut cmd = env.command(&["list"]);
    cmd.env("SMIME_STORE_PASSPHRASE", "not the passphrase");
    let out = run(cmd).expect(3).one_line_error();
    assert!(
        out.stderr.contains("wrong store passphrase"),
        "{}",
        out.stderr
    );
}

#[test]
fn legacy_bundle_imports_without_the_legacy_provider() {
    let env = Env::new();
    let no_modules = tempfile::tempdir().unwrap();
    let mut cmd = env.command(&["import", "--mailbox", ALICE]);
    cmd.arg(fixture("p12/alice-legacy.p12"))
        .env("SMIME_P12_PASSWORD", PASSWORD)
        .env("OPENSSL_MODULES", no_modules.path());
    run(cmd).expect(0);
}

#[test]
fn there_is_no_password_option() {
    let env = Env::new();
    let mut cmd = env.command(&["import", "--mailbox", ALICE, "--password", PASSWORD]);
    cmd.arg(alice_p12());
    run(cmd).expect(2);
}

#[test]
fn encrypt_by_default_needs_a_certificate_that_can_decrypt() {
    let env = Env::new();
    env.run(&["settings", "--mailbox", ALICE, "--encrypt-by-default", "on"])
        .expect(3)
        .one_line_error();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    env.run(&["settings", "--mailbox", ALICE, "--encrypt-by-default", "on"])
        .expect(0);
    let out = env.run(&["settings", "--mailbox", ALICE]).expect(0);
    assert!(
        out.stdout.lines().any(|l| l == "encrypt_by_default: true"),
        "{}",
        out.stdout
    );
}

#[test]
fn no_passphrase_available_exits_2() {
    let env = Env::new();
    let mut cmd = env.command(&["list"]);
    cmd.env_remove("SMIME_STORE_PASSPHRASE");
    let out = run(cmd).expect(2).one_line_error();
    assert!(
        out.stderr.contains("SMIME_STORE_PASSPHRASE"),
        "{}",
        out.stderr
    );
    assert!(
        !env.store.exists(),
        "the store was created without a passphrase"
    );
}

#[test]
fn passwd_with_a_new_passphrase_file_replaces_the_old_passphrase() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let new_file = env.file("new-passphrase", b"the new passphrase\n");
    let mut cmd = env.command(&["passwd", "--new-passphrase-file"]);
    cmd.arg(&new_file);
    let out = run(cmd).expect(0);
    assert_eq!(out.stdout, "store passphrase changed\n");

    let out = env.run(&["list"]).expect(3).one_line_error();
    assert!(
        out.stderr.contains("wrong store passphrase"),
        "{}",
        out.stderr
    );

    let out = with_passphrase(&env, "the new passphrase", &["list", "--json"]).expect(0);
    let entries: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let fp = fingerprint_of("certs/alice.der");
    assert_eq!(str_field(&entries[0], "fingerprint"), fp);
    with_passphrase(
        &env,
        "the new passphrase",
        &["settings", "--mailbox", ALICE, "--default-signer", &fp],
    )
    .expect(0);
}

#[test]
fn passwd_without_a_new_passphrase_source_exits_2_and_keeps_the_old_one() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let out = env.run(&["passwd"]).expect(2).one_line_error();
    assert!(
        out.stderr.contains("SMIME_NEW_STORE_PASSPHRASE"),
        "{}",
        out.stderr
    );
    assert_eq!(env.list_json(None).len(), 1);
}

#[test]
fn passwd_refuses_an_empty_new_passphrase() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let empty = env.file("empty", b"\n");
    let mut cmd = env.command(&["passwd", "--new-passphrase-file"]);
    cmd.arg(&empty);
    let out = run(cmd).expect(2).one_line_error();
    assert!(out.stderr.contains("empty"), "{}", out.stderr);
    assert_eq!(env.list_json(None).len(), 1);
}

#[test]
fn default_signer_that_cannot_sign_exits_2() {
    let env = Env::new();
    let noeku = "noeku@example.org";
    env.import(noeku, &fixture("p12/noeku.p12"), &[]).expect(0);
    let fp = fingerprint_of("certs/noeku.pem");
    let out = env
        .run(&["settings", "--mailbox", noeku, "--default-signer", &fp])
        .expect(2)
        .one_line_error();
    assert!(out.stderr.contains("cannot be used"), "{}", out.stderr);
}

#[test]
fn store_passphrase_from_the_environment_wins_over_the_file_as_the_contract_says() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let wrong_file = env.file("wrong-passphrase", b"not the passphrase\n");
    // $SMIME_STORE_PASSPHRASE (right) is set by `command`; the file is wrong.
    let mut cmd = env.command(&["--passphrase-file"]);
    cmd.arg(&wrong_file).args(["list", "--json"]);
    run(cmd).expect(0);
    // Without the variable the file is used.
    let mut cmd = env.command(&["--passphrase-file"]);
    cmd.arg(&wrong_file)
        .args(["list"])
        .env_remove("SMIME_STORE_PASSPHRASE");
    let out = run(cmd).expect(3);
    assert!(
        out.stderr.contains("wrong store passphrase"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_refused_import_creates_no_store() {
    let env = Env::new();
    let mut cmd = env.command(&["import", "--mailbox", ALICE]);
    cmd.arg(alice_p12()).env("SMIME_P12_PASSWORD", "wrong");
    run(cmd).expect(2);
    let out = env
        .import(ALICE, &fixture("p12/mallory.p12"), &[])
        .expect(2);
    assert!(out.stderr.contains(ALICE), "{}", out.stderr);
    assert!(
        !env.store.exists(),
        "a refused import must leave no store file behind"
    );
}

#[test]
fn showing_settings_writes_nothing() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let out = env
        .run(&["settings", "--mailbox", "typo@example.org"])
        .expect(0);
    assert!(
        out.stdout.contains("encrypt_by_default: false"),
        "{}",
        out.stdout
    );
    let mailboxes: Vec<String> = env
        .list_json(None)
        .iter()
        .map(|e| e["mailbox"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(mailboxes, [ALICE]);
    // And the store has no row for the typo (a later `settings` change would create it).
    let conn = rusqlite::Connection::open(&env.store).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM mailboxes WHERE address = 'typo@example.org'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn an_empty_or_blank_store_passphrase_is_refused_and_creates_no_store() {
    let env = Env::new();
    for (value, why) in [("", "is empty"), ("  \t ", "is only whitespace")] {
        let mut cmd = env.command(&["import", "--mailbox", ALICE]);
        cmd.arg(alice_p12())
            .env("SMIME_P12_PASSWORD", PASSWORD)
            .env("SMIME_STORE_PASSPHRASE", value);
        let out = run(cmd).expect(2).one_line_error();
        assert_eq!(out.stderr, format!("smime: the store passphrase {why}\n"));
        assert!(!env.store.exists(), "a store was created under {value:?}");
    }
    for (contents, why) in [
        (&b"\n"[..], "is empty"),
        (b"   \nsecond line\n", "is only whitespace"),
    ] {
        let file = env.file("blank-passphrase", contents);
        let mut cmd = env.command(&["--passphrase-file"]);
        cmd.arg(&file)
            .args(["list"])
            .env_remove("SMIME_STORE_PASSPHRASE");
        let out = run(cmd).expect(2).one_line_error();
        assert!(out.stderr.contains(why), "{}", out.stderr);
        assert!(!env.store.exists(), "a store was created from {contents:?}");
    }
}

#[test]
fn passwd_refuses_a_whitespace_only_new_passphrase() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let blank = env.file("blank", b" \t \n");
    let mut cmd = env.command(&["passwd", "--new-passphrase-file"]);
    cmd.arg(&blank);
    let out = run(cmd).expect(2).one_line_error();
    assert_eq!(
        out.stderr,
        "smime: the new store passphrase is only whitespace\n"
    );
    assert_eq!(env.list_json(None).len(), 1);
}
