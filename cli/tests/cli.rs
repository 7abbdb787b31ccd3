//! The `smime` binary, driven as a user (or a script) would: each test gets
//! its own store file in a temp dir, the store passphrase through
//! `$SMIME_STORE_PASSPHRASE`, and stdin from `/dev/null`, so a prompt can
//! never hang. `$SMIME_STORE`, `$SMIME_P12_PASSWORD` and
//! `$SMIME_NEW_STORE_PASSPHRASE` are removed from the child's environment so
//! the caller's cannot leak in.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use common::{PASSWORD, fixture, minted_bundle, read_fixture};
use serde_json::Value;

const STORE_PASSPHRASE: &str = "store passphrase for tests";
const ALICE: &str = "alice@example.org";

/// What one invocation did.
struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Output {
    /// Asserts exit code `code`, showing the streams when it is not.
    fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the failure was reported as exactly one `smime: ...` line.
    fn one_line_error(self) -> Self {
        assert_eq!(self.stderr.lines().count(), 1, "stderr: {:?}", self.stderr);
        assert!(
            self.stderr.starts_with("smime: "),
            "stderr: {:?}",
            self.stderr
        );
        assert!(self.stderr.ends_with('\n'), "stderr: {:?}", self.stderr);
        self
    }
}

/// A temp dir holding one store file.
struct Env {
    dir: tempfile::TempDir,
    store: PathBuf,
}

impl Env {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store.db");
        Env { dir, store }
    }

    /// `smime --store <store> <args>` with the test passphrase and a clean environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smime"));
        cmd.arg("--store")
            .arg(&self.store)
            .args(args)
            .env_remove("SMIME_STORE")
            .env_remove("SMIME_P12_PASSWORD")
            .env_remove("SMIME_NEW_STORE_PASSPHRASE")
            .env("SMIME_STORE_PASSPHRASE", STORE_PASSPHRASE)
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        run(self.command(args))
    }

    /// `import --mailbox <mailbox> <bundle>`, the password through `$SMIME_P12_PASSWORD`.
    fn import(&self, mailbox: &str, bundle: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["import", "--mailbox", mailbox];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        cmd.arg(bundle).env("SMIME_P12_PASSWORD", PASSWORD);
        run(cmd)
    }

    /// `list --json [--mailbox <mailbox>]`, parsed.
    fn list_json(&self, mailbox: Option<&str>) -> Vec<Value> {
        let mut args = vec!["list", "--json"];
        if let Some(m) = mailbox {
            args.extend(["--mailbox", m]);
        }
        let out = self.run(&args).expect(0);
        match serde_json::from_str(&out.stdout).unwrap() {
            Value::Array(entries) => entries,
            other => panic!("list --json is not an array: {other}"),
        }
    }

    /// `list --recipients --mailbox <address> --json`, parsed.
    fn recipients_json(&self, address: &str) -> Vec<Value> {
        let out = self
            .run(&["list", "--recipients", "--mailbox", address, "--json"])
            .expect(0);
        match serde_json::from_str(&out.stdout).unwrap() {
            Value::Array(entries) => entries,
            other => panic!("list --json is not an array: {other}"),
        }
    }

    /// `add-cert <files>`.
    fn add_cert(&self, files: &[PathBuf]) -> Output {
        let mut cmd = self.command(&["add-cert"]);
        cmd.args(files);
        run(cmd)
    }

    /// Writes `bytes` to a file in the temp dir.
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn run(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        // A signal has no code: -1 never matches an expected exit code.
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn alice_p12() -> PathBuf {
    fixture("p12/alice.p12")
}

fn str_field<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {entry}"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, parsed.
fn rfc3339(text: &str) -> SystemTime {
    let shape = text.len() == 20
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(shape, "not RFC 3339 UTC: {text:?}");
    text.parse::<der::DateTime>().unwrap().to_system_time()
}

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

/// SHA-256 of a fixture certificate (PEM or DER), as `list` prints it.
fn fingerprint_of(rel: &str) -> String {
    let bytes = read_fixture(rel);
    let der = if rel.ends_with(".pem") {
        openssl::x509::X509::from_pem(&bytes)
            .unwrap()
            .to_der()
            .unwrap()
    } else {
        bytes
    };
    hex(&openssl::sha::sha256(&der))
}

/// `env.command(args)` with the store passphrase `passphrase`.
fn with_passphrase(env: &Env, passphrase: &str, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.env("SMIME_STORE_PASSPHRASE", passphrase);
    run(cmd)
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
fn add_cert_files_a_recipient_listed_with_source_recipient() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let fp = fingerprint_of("certs/bob.pem");
    assert_eq!(out.stdout, format!("added {fp} for bob@example.org\n"));

    let entries = env.recipients_json("bob@example.org");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(str_field(e, "fingerprint"), fp);
    assert_eq!(str_field(e, "source"), "recipient");
    assert_eq!(str_field(e, "mailbox"), "bob@example.org");
    assert!(
        e.get("imported_at").is_none() && e.get("chain").is_none(),
        "{e}"
    );
    // Not one of the store's own mailboxes.
    assert!(env.list_json(None).is_empty());
}

#[test]
fn own_certificates_are_listed_with_source_mailbox() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let entries = env.list_json(Some(ALICE));
    assert_eq!(str_field(&entries[0], "source"), "mailbox");
}

#[test]
fn list_recipients_requires_a_mailbox() {
    let env = Env::new();
    env.run(&["list", "--recipients"]).expect(2);
    assert!(!env.store.exists());
}

#[test]
fn add_cert_twice_reports_already_present() {
    let env = Env::new();
    env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let out = env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let fp = fingerprint_of("certs/bob.pem");
    assert_eq!(out.stdout, format!("already present: {fp}\n"));
    assert_eq!(env.recipients_json("bob@example.org").len(), 1);
}

#[test]
fn add_cert_of_a_pem_bundle_adds_every_certificate() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/bundle.pem")]).expect(0);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("added ")),
        "{}",
        out.stdout
    );
    for name in ["alice", "bob", "carol"] {
        let entries = env.recipients_json(&format!("{name}@example.org"));
        assert_eq!(entries.len(), 1, "{name}: {entries:?}");
        let fp = fingerprint_of(&format!("certs/{name}.pem"));
        assert_eq!(str_field(&entries[0], "fingerprint"), fp);
    }
}

#[test]
fn add_cert_of_a_ca_certificate_exits_2_and_adds_nothing() {
    let env = Env::new();
    // With a good file before it: nothing at all is added.
    let out = env
        .add_cert(&[fixture("certs/bob.pem"), fixture("ca/root.pem")])
        .expect(2)
        .one_line_error();
    assert!(out.stderr.contains("CA certificate"), "{}", out.stderr);
    assert!(!env.store.exists(), "the store was opened");
    env.add_cert(&[fixture("ca/root.pem")])
        .expect(2)
        .one_line_error();
    assert!(env.recipients_json("bob@example.org").is_empty());
}

#[test]
fn add_cert_of_a_garbage_file_exits_2() {
    let env = Env::new();
    let mut random = [0u8; 512];
    openssl::rand::rand_bytes(&mut random).unwrap();
    let garbage = env.file("garbage.pem", &random);
    env.add_cert(&[garbage]).expect(2).one_line_error();
    let missing = env.dir.path().join("missing.pem");
    env.add_cert(&[missing]).expect(2).one_line_error();
    assert!(!env.store.exists(), "the store was opened");
}

#[test]
fn add_cert_reads_der() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/alice.der")]).expect(0);
    let fp = fingerprint_of("certs/alice.der");
    assert_eq!(out.stdout, format!("added {fp} for {ALICE}\n"));
    let entries = env.recipients_json(ALICE);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(str_field(&entries[0], "fingerprint"), fp);
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

// ---------------------------------------------------------------- sign / verify

/// A whole message from Alice, as a mail client hands it over (LF endings).
const MESSAGE: &str = "From: alice@example.org\nTo: bob@example.org\nSubject: hi\n\
Content-Type: text/plain; charset=us-ascii\n\nHello Bob, the meeting is at noon.\n";

impl Env {
    /// `cmd` with `input` on stdin.
    fn run_with_stdin(&self, mut cmd: Command, input: &[u8]) -> Output {
        use std::io::Write;
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        // A command that fails on its arguments exits without reading
        // stdin: a broken pipe here is not the test's failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(input) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        let out = child.wait_with_output().unwrap();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Imports alice and signs `MESSAGE` from stdin; the signed message.
    fn alice_signed(&self, extra: &[&str]) -> String {
        self.import(ALICE, &alice_p12(), &[]).expect(0);
        let mut args = vec!["sign", "--mailbox", ALICE];
        args.extend_from_slice(extra);
        self.run_with_stdin(self.command(&args), MESSAGE.as_bytes())
            .expect(0)
            .stdout
    }

    /// `verify --in <message> <args>`.
    fn verify(&self, message: &[u8], args: &[&str]) -> Output {
        let file = self.file("to-verify.eml", message);
        let mut cmd = self.command(&["verify", "--in"]);
        cmd.arg(file).args(args);
        run(cmd)
    }

    /// `verify --json --in <message> <args>` with exit code `code`, parsed.
    fn verify_json(&self, message: &[u8], args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.verify(message, &all).expect(code);
        serde_json::from_str(&out.stdout).unwrap()
    }
}

fn root_pem() -> String {
    fixture("ca/root.pem").display().to_string()
}

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

// ---------------------------------------------------------------- encrypt / decrypt

const BOB: &str = "bob@example.org";
const CAROL: &str = "carol@example.org";

fn fixture_arg(rel: &str) -> String {
    fixture(rel).display().to_string()
}

impl Env {
    /// `encrypt <args>` with `MESSAGE` on stdin.
    fn encrypt(&self, args: &[&str]) -> Output {
        let mut all = vec!["encrypt"];
        all.extend_from_slice(args);
        self.run_with_stdin(self.command(&all), MESSAGE.as_bytes())
    }

    /// `decrypt --mailbox <mailbox> --in <message> <args>`.
    fn decrypt(&self, mailbox: &str, message: &[u8], args: &[&str]) -> Output {
        let file = self.file("to-decrypt.eml", message);
        let mut cmd = self.command(&["decrypt", "--mailbox", mailbox, "--in"]);
        cmd.arg(file).args(args);
        run(cmd)
    }

    /// `decrypt --json --out <file> <args>` with exit code `code`: the
    /// parsed object and the content written.
    fn decrypt_json(
        &self,
        mailbox: &str,
        message: &[u8],
        args: &[&str],
        code: i32,
    ) -> (Value, String) {
        let content = self.dir.path().join("decrypted.eml");
        let _ = std::fs::remove_file(&content);
        let content_arg = content.display().to_string();
        let mut all = vec!["--json", "--out", &content_arg];
        all.extend_from_slice(args);
        let out = self.decrypt(mailbox, message, &all).expect(code);
        let value =
            serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
        (value, std::fs::read_to_string(&content).unwrap())
    }
}

/// Asserts `content` is the entity of `MESSAGE`, without its outer header fields.
fn assert_is_the_entity(content: &str) {
    assert!(
        content.contains("Hello Bob, the meeting is at noon."),
        "{content}"
    );
    assert!(content.contains("Content-Type: text/plain"), "{content}");
    assert!(!content.contains("Subject: hi"), "{content}");
}

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
    // tag (`04 10 <tag>`), then (streamed BER) end-of-contents octets:
    // flip the last byte of the ciphertext.
    let tag = (0..der.len().saturating_sub(18))
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
