//! The `smime` binary, driven as a user (or a script) would: each test gets
//! its own store file in a temp dir, the store passphrase through
//! `$SMIME_STORE_PASSPHRASE`, and stdin from `/dev/null`, so a prompt can
//! never hang. `$SMIME_STORE`, `$SMIME_P12_PASSWORD`, `$SMIME_EXPORT_PASSWORD` and
//! `$SMIME_NEW_STORE_PASSPHRASE` are removed from the child's environment so
//! the caller's cannot leak in.
//!
//! Also: fixture paths (the repository's `fixtures/`, one level above this
//! crate) and PKCS#12 bundles minted at test time by the fixture
//! intermediate CA.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use serde_json::Value;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};

pub const PASSWORD: &str = "test-password";

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// The `openssl` CLI, when installed.
pub fn openssl_cli() -> Option<&'static str> {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "openssl")
}

fn days_from_now(days: i64) -> Asn1Time {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Asn1Time::from_unix(now + days * 86_400).unwrap()
}

/// A fresh P-256 identity for `email` (serial `serial`), issued by the
/// fixture intermediate and valid from yesterday for a year, as a PKCS#12
/// bundle (OpenSSL 3 defaults, password [`PASSWORD`]) with the intermediate.
pub fn minted_bundle(email: &str, serial: u32) -> Vec<u8> {
    let ca = X509::from_pem(&read_fixture("ca/intermediate.pem")).unwrap();
    let ca_key = PKey::private_key_from_pem(&read_fixture("ca/intermediate.key")).unwrap();
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key: PKey<Private> = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", &format!("minted {serial}"))
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &Asn1Integer::from_bn(&BigNum::from_u32(0x10_0000 + serial).unwrap()).unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&days_from_now(-1)).unwrap();
    b.set_not_after(&days_from_now(365)).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    let mut ku = KeyUsage::new();
    ku.critical().digital_signature().key_agreement();
    b.append_extension(ku.build().unwrap()).unwrap();
    b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email(email)
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();

    let mut chain = Stack::new().unwrap();
    chain.push(ca).unwrap();
    let mut p12 = Pkcs12::builder();
    p12.pkey(&key).cert(&cert).ca(chain).name("minted");
    p12.build2(PASSWORD).unwrap().to_der().unwrap()
}

pub const STORE_PASSPHRASE: &str = "store passphrase for tests";
pub const ALICE: &str = "alice@example.org";

/// What one invocation did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts exit code `code`, showing the streams when it is not.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the failure was reported as exactly one `smime: ...` line.
    pub fn one_line_error(self) -> Self {
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
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
}

impl Env {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store.db");
        Env { dir, store }
    }

    /// `smime --store <store> <args>` with the test passphrase and a clean environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smime"));
        cmd.arg("--store")
            .arg(&self.store)
            .args(args)
            .env_remove("SMIME_STORE")
            .env_remove("SMIME_P12_PASSWORD")
            .env_remove("SMIME_EXPORT_PASSWORD")
            .env_remove("SMIME_NEW_STORE_PASSPHRASE")
            .env("SMIME_STORE_PASSPHRASE", STORE_PASSPHRASE)
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run(self.command(args))
    }

    /// `import --mailbox <mailbox> <bundle>`, the password through `$SMIME_P12_PASSWORD`.
    pub fn import(&self, mailbox: &str, bundle: &Path, extra: &[&str]) -> Output {
        let mut args = vec!["import", "--mailbox", mailbox];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        cmd.arg(bundle).env("SMIME_P12_PASSWORD", PASSWORD);
        run(cmd)
    }

    /// `list --json [--mailbox <mailbox>]`, parsed.
    pub fn list_json(&self, mailbox: Option<&str>) -> Vec<Value> {
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
    pub fn recipients_json(&self, address: &str) -> Vec<Value> {
        let out = self
            .run(&["list", "--recipients", "--mailbox", address, "--json"])
            .expect(0);
        match serde_json::from_str(&out.stdout).unwrap() {
            Value::Array(entries) => entries,
            other => panic!("list --json is not an array: {other}"),
        }
    }

    /// `add-cert <files>`.
    pub fn add_cert(&self, files: &[PathBuf]) -> Output {
        let mut cmd = self.command(&["add-cert"]);
        cmd.args(files);
        run(cmd)
    }

    /// Writes `bytes` to a file in the temp dir.
    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

pub fn run(mut cmd: Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        // A signal has no code: -1 never matches an expected exit code.
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn alice_p12() -> PathBuf {
    fixture("p12/alice.p12")
}

pub fn str_field<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {entry}"))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, parsed.
pub fn rfc3339(text: &str) -> SystemTime {
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

/// SHA-256 of a fixture certificate (PEM or DER), as `list` prints it.
pub fn fingerprint_of(rel: &str) -> String {
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
pub fn with_passphrase(env: &Env, passphrase: &str, args: &[&str]) -> Output {
    let mut cmd = env.command(args);
    cmd.env("SMIME_STORE_PASSPHRASE", passphrase);
    run(cmd)
}

/// A whole message from Alice, as a mail client hands it over (LF endings).
pub const MESSAGE: &str = "From: alice@example.org\nTo: bob@example.org\nSubject: hi\n\
Content-Type: text/plain; charset=us-ascii\n\nHello Bob, the meeting is at noon.\n";

impl Env {
    /// `cmd` with `input` on stdin.
    pub fn run_with_stdin(&self, mut cmd: Command, input: &[u8]) -> Output {
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
    pub fn alice_signed(&self, extra: &[&str]) -> String {
        self.import(ALICE, &alice_p12(), &[]).expect(0);
        let mut args = vec!["sign", "--mailbox", ALICE];
        args.extend_from_slice(extra);
        self.run_with_stdin(self.command(&args), MESSAGE.as_bytes())
            .expect(0)
            .stdout
    }

    /// `verify --in <message> <args>`.
    pub fn verify(&self, message: &[u8], args: &[&str]) -> Output {
        let file = self.file("to-verify.eml", message);
        let mut cmd = self.command(&["verify", "--in"]);
        cmd.arg(file).args(args);
        run(cmd)
    }

    /// `verify --json --in <message> <args>` with exit code `code`, parsed.
    pub fn verify_json(&self, message: &[u8], args: &[&str], code: i32) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.verify(message, &all).expect(code);
        serde_json::from_str(&out.stdout).unwrap()
    }
}

pub fn root_pem() -> String {
    fixture("ca/root.pem").display().to_string()
}

pub const BOB: &str = "bob@example.org";
pub const CAROL: &str = "carol@example.org";

pub fn fixture_arg(rel: &str) -> String {
    fixture(rel).display().to_string()
}

impl Env {
    /// `encrypt <args>` with `MESSAGE` on stdin.
    pub fn encrypt(&self, args: &[&str]) -> Output {
        let mut all = vec!["encrypt"];
        all.extend_from_slice(args);
        self.run_with_stdin(self.command(&all), MESSAGE.as_bytes())
    }

    /// `decrypt --mailbox <mailbox> --in <message> <args>`.
    pub fn decrypt(&self, mailbox: &str, message: &[u8], args: &[&str]) -> Output {
        let file = self.file("to-decrypt.eml", message);
        let mut cmd = self.command(&["decrypt", "--mailbox", mailbox, "--in"]);
        cmd.arg(file).args(args);
        run(cmd)
    }

    /// `decrypt --json --out <file> <args>` with exit code `code`: the
    /// parsed object and the content written.
    pub fn decrypt_json(
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
pub fn assert_is_the_entity(content: &str) {
    assert!(
        content.contains("Hello Bob, the meeting is at noon."),
        "{content}"
    );
    assert!(content.contains("Content-Type: text/plain"), "{content}");
    assert!(!content.contains("Subject: hi"), "{content}");
}
