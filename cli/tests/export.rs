//! `export` (PKCS#12 out of the store), `export-certs` (certs-only out),
//! `add-cert` with certs-only messages and PKCS#7 bundles, and `sign
//! --compress`, each crossed with the `openssl` CLI (and gpgsm for the
//! legacy export) where installed.

mod common;
#[path = "../../tests/common/peers.rs"]
mod peers;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::*;

/// Alice imported; her certificate's fingerprint.
fn with_alice(env: &Env) -> String {
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    fingerprint_of("certs/alice.pem")
}

/// `export --mailbox alice ... <fp>` with `$SMIME_EXPORT_PASSWORD`.
fn export(env: &Env, fingerprint: &str, extra: &[&str], password: Option<&str>) -> Output {
    let mut args = vec!["export", "--mailbox", ALICE, fingerprint];
    args.extend_from_slice(extra);
    let mut cmd = env.command(&args);
    if let Some(password) = password {
        cmd.env("SMIME_EXPORT_PASSWORD", password);
    }
    run(cmd)
}

/// Runs `openssl args...`: `Err(stderr)` when it fails.
fn openssl(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("openssl").args(args).output().unwrap();
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn an_export_reimports_here_and_in_openssl_and_is_0600() {
    let env = Env::new();
    let fp = with_alice(&env);
    let p12 = env.dir.path().join("alice.p12");
    let out = export(&env, &fp, &["--out", path(&p12)], Some(PASSWORD)).expect(0);
    assert_eq!(
        out.stdout,
        format!("exported {fp} from {ALICE} (PBES2, AES-256-CBC, SHA-256 MAC)\n")
    );
    let mode = std::fs::metadata(&p12).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a new bundle file is 0600");

    // Onto an existing file others may read: replaced, and left 0600 (a
    // private-key bundle never lends the old file's mode).
    let shared = env.file("shared.p12", b"old");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = export(&env, &fp, &["--out", path(&shared)], Some(PASSWORD)).expect(0);
    assert_eq!(out.stderr, "");
    assert_ne!(std::fs::read(&shared).unwrap(), b"old");
    let mode = std::fs::metadata(&shared).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a replaced 0644 file is 0600 after export");

    // Written in place (a second name): the one file is chmod 0600 too.
    let linked = env.file("linked.p12", b"old");
    std::fs::set_permissions(&linked, std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::hard_link(&linked, env.dir.path().join("other-name.p12")).unwrap();
    export(&env, &fp, &["--out", path(&linked)], Some(PASSWORD)).expect(0);
    let mode = std::fs::metadata(&linked).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a file written in place is 0600 after export");

    // Our import reads it, into another store.
    let other = Env::new();
    let out = other.import(ALICE, &p12, &[]).expect(0);
    assert!(
        out.stdout.starts_with(&format!("imported {fp} ")),
        "{}",
        out.stdout
    );
    let listed = other.list_json(Some(ALICE));
    assert_eq!(
        listed[0]["chain"].as_array().unwrap().len(),
        2,
        "the chain came along"
    );

    // OpenSSL 3 reads the modern profile without -legacy.
    if openssl_cli().is_none() {
        println!("skipped openssl: not installed");
        return;
    }
    let pass = format!("pass:{PASSWORD}");
    let info = openssl(&[
        "pkcs12",
        "-info",
        "-nokeys",
        "-in",
        path(&p12),
        "-passin",
        &pass,
    ])
    .unwrap_or_else(|e| panic!("openssl pkcs12 -info: {e}"));
    let info = String::from_utf8_lossy(&info);
    assert!(info.contains("friendlyName: alice@example.org"), "{info}");
    assert_eq!(info.matches("BEGIN CERTIFICATE").count(), 3, "{info}");
    assert!(
        openssl(&[
            "pkcs12",
            "-info",
            "-nokeys",
            "-in",
            path(&p12),
            "-passin",
            "pass:wrong"
        ])
        .is_err(),
        "a wrong password is refused"
    );
}

/// Runs `cmd` with its stdout sent to `file` (`> file`), and `--out` naming
/// that same file: the output is our stdout by another name.
fn out_is_our_stdout(mut cmd: Command, file: &Path) -> i32 {
    let sink = std::fs::File::create(file).unwrap();
    cmd.arg("--out").arg(file).stdout(sink);
    cmd.status().unwrap().code().unwrap_or(-1)
}

#[test]
fn no_status_line_lands_inside_output_that_is_our_stdout() {
    let env = Env::new();
    let fp = with_alice(&env);

    // export --out F > F: F is the bundle, byte for byte, and imports.
    let p12 = env.dir.path().join("self.p12");
    let mut cmd = env.command(&["export", "--mailbox", ALICE, &fp]);
    cmd.env("SMIME_EXPORT_PASSWORD", PASSWORD);
    assert_eq!(out_is_our_stdout(cmd, &p12), 0);
    let bundle = std::fs::read(&p12).unwrap();
    assert!(
        !String::from_utf8_lossy(&bundle).contains("exported "),
        "no status line in the bundle"
    );
    assert_eq!(bundle.first(), Some(&0x30), "DER from the first byte");
    Env::new().import(ALICE, &p12, &[]).expect(0);

    // export-certs --out F > F: F is the message alone, and add-cert reads it.
    let certs = env.dir.path().join("self.eml");
    let cmd = env.command(&["export-certs", "--mailbox", ALICE]);
    assert_eq!(out_is_our_stdout(cmd, &certs), 0);
    let message = std::fs::read_to_string(&certs).unwrap();
    assert!(!message.contains("exported "), "{message}");
    Env::new().add_cert(&[certs]).expect(0);

    // And through /proc/self/fd/1, where there is one.
    if !Path::new("/proc/self/fd/1").exists() {
        println!("skipped /proc/self/fd/1: no /proc");
        return;
    }
    let via_proc = env.dir.path().join("via-proc.eml");
    let sink = std::fs::File::create(&via_proc).unwrap();
    let mut cmd = env.command(&[
        "export-certs",
        "--mailbox",
        ALICE,
        "--out",
        "/proc/self/fd/1",
    ]);
    cmd.stdout(sink);
    assert_eq!(cmd.status().unwrap().code(), Some(0));
    let message = std::fs::read_to_string(&via_proc).unwrap();
    assert!(!message.contains("exported "), "{message}");
}

#[test]
fn the_legacy_export_is_3des_and_reads_in_openssl_legacy_and_gpgsm() {
    let env = Env::new();
    let fp = with_alice(&env);
    let p12 = env.dir.path().join("legacy.p12");
    let out = export(
        &env,
        &fp,
        &["--legacy", "--out", path(&p12)],
        Some(PASSWORD),
    )
    .expect(0);
    assert!(
        out.stdout.contains("(legacy: PBE-SHA1-3DES, SHA-1 MAC)"),
        "{}",
        out.stdout
    );
    let other = Env::new();
    other.import(ALICE, &p12, &[]).expect(0);

    if openssl_cli().is_some() {
        let pass = format!("pass:{PASSWORD}");
        let info = openssl(&[
            "pkcs12",
            "-info",
            "-nokeys",
            "-legacy",
            "-in",
            path(&p12),
            "-passin",
            &pass,
        ])
        .unwrap_or_else(|e| panic!("openssl pkcs12 -legacy -info: {e}"));
        // -info writes the algorithms on stderr; ask for them with -nocerts too.
        assert!(String::from_utf8_lossy(&info).contains("BEGIN CERTIFICATE"));
        let out = Command::new("openssl")
            .args([
                "pkcs12",
                "-info",
                "-noout",
                "-legacy",
                "-in",
                path(&p12),
                "-passin",
                &pass,
            ])
            .output()
            .unwrap();
        let algorithms = String::from_utf8_lossy(&out.stderr);
        assert!(algorithms.contains("MAC: sha1"), "{algorithms}");
        assert!(
            algorithms.contains("pbeWithSHA1And3-KeyTripleDES-CBC"),
            "{algorithms}"
        );
    } else {
        println!("skipped openssl: not installed");
    }

    if let Some(reason) = peers::gpgsm_missing() {
        println!("skipped gpgsm: {reason}");
        return;
    }
    let gpgsm = peers::Gpgsm::new();
    let out = gpgsm.run_with_passphrase(&["--import", path(&p12)]);
    assert!(
        out.status.success(),
        "gpgsm --import: {}",
        peers::stderr(&out)
    );
    let out = gpgsm.run(&["--list-secret-keys", "--with-colons"], None);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("alice@example.org"), "{listed}");
}

#[test]
fn the_export_password_is_never_blank_and_never_asked_without_a_terminal() {
    let env = Env::new();
    let fp = with_alice(&env);
    let p12 = env.dir.path().join("x.p12");
    let target = ["--out", path(&p12)];
    let out = export(&env, &fp, &target, Some(""))
        .expect(2)
        .one_line_error();
    assert_eq!(out.stderr, "smime: the export password is empty\n");
    let out = export(&env, &fp, &target, Some(" \t"))
        .expect(2)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: the export password is only whitespace\n"
    );
    let out = export(&env, &fp, &target, None).expect(2).one_line_error();
    assert!(
        out.stderr.contains("$SMIME_EXPORT_PASSWORD"),
        "{}",
        out.stderr
    );
    assert!(!p12.exists(), "nothing written");
    // --password-file wins over the variable.
    let file = env.file("pw", b"from the file\n");
    export(
        &env,
        &fp,
        &["--password-file", path(&file), "--out", path(&p12)],
        Some("env"),
    )
    .expect(0);
    let bytes = std::fs::read(&p12).unwrap();
    let id = smime::pkcs12::import(
        &bytes,
        &smime::Password::new("from the file"),
        &Default::default(),
    );
    assert!(id.is_ok(), "the file's password protects the bundle");
}

#[test]
fn a_missing_export_password_touches_no_store() {
    let env = Env::new();
    let fp = fingerprint_of("certs/alice.pem");
    export(&env, &fp, &[], None).expect(2).one_line_error();
    export(&env, &fp, &[], Some("")).expect(2).one_line_error();
    // A NUL in the password: refused before the store is opened.
    let nul = env.file("nul-pw", b"pass\0word\n");
    let out = export(&env, &fp, &["--password-file", path(&nul)], None)
        .expect(2)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: the export password contains a NUL character\n"
    );
    // An unreadable password file: the error names the secret and the file.
    let missing = env.dir.path().join("no-such-pw");
    let out = export(&env, &fp, &["--password-file", path(&missing)], None)
        .expect(2)
        .one_line_error();
    assert!(
        out.stderr.starts_with(&format!(
            "smime: cannot read the export password from {}: ",
            missing.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!env.store.exists(), "no store created");
}

#[test]
fn exporting_what_the_mailbox_does_not_hold_is_refused() {
    let env = Env::new();
    let fp = with_alice(&env);
    let bob = fingerprint_of("certs/bob.pem");
    let out = export(&env, &bob, &[], Some(PASSWORD))
        .expect(3)
        .one_line_error();
    assert!(out.stderr.contains(&bob), "{}", out.stderr);
    export(&env, "not-a-fingerprint", &[], Some(PASSWORD))
        .expect(2)
        .one_line_error();
    let mut cmd = env.command(&["export", "--mailbox", "bob@example.org", &fp]);
    cmd.env("SMIME_EXPORT_PASSWORD", PASSWORD);
    run(cmd).expect(3).one_line_error();
    // To stdout: the DER bundle itself.
    let out = Command::new(env!("CARGO_BIN_EXE_smime"))
        .args([
            "--store",
            path(&env.store),
            "export",
            "--mailbox",
            ALICE,
            &fp,
        ])
        .env("SMIME_STORE_PASSPHRASE", STORE_PASSPHRASE)
        .env("SMIME_EXPORT_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.first(), Some(&0x30), "DER on stdout");
    smime::pkcs12::import(
        &out.stdout,
        &smime::Password::new(PASSWORD),
        &Default::default(),
    )
    .unwrap();
}

#[test]
fn export_certs_writes_certs_only_that_openssl_and_add_cert_read() {
    let env = Env::new();
    with_alice(&env);
    let p7 = env.dir.path().join("alice.p7m");
    let out = env
        .run(&["export-certs", "--mailbox", ALICE, "--out", path(&p7)])
        .expect(0);
    assert_eq!(out.stdout, format!("exported 3 certificates of {ALICE}\n"));
    let message = std::fs::read_to_string(&p7).unwrap();
    assert!(
        message.contains("application/pkcs7-mime; smime-type=certs-only"),
        "{message}"
    );
    let certs = smime::read_certificates(message.as_bytes(), &Default::default()).unwrap();
    assert_eq!(certs.len(), 3, "alice's certificate and her chain");

    // add-cert re-reads it (into another store): alice's certificate only.
    let other = Env::new();
    let out = other.add_cert(std::slice::from_ref(&p7)).expect(0);
    let alice_fp = fingerprint_of("certs/alice.pem");
    assert_eq!(
        out.stdout,
        format!("added {alice_fp} for alice@example.org\n")
    );
    // ... and the correspondent's certificate goes out again.
    let out = other.run(&["export-certs", "--recipient", ALICE]).expect(0);
    let again = smime::read_certificates(out.stdout.as_bytes(), &Default::default()).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].fingerprint().to_string(), alice_fp);

    if openssl_cli().is_none() {
        println!("skipped openssl: not installed");
        return;
    }
    let printed = openssl(&[
        "pkcs7",
        "-print_certs",
        "-in",
        path(&p7),
        "-inform",
        "SMIME",
    ])
    .or_else(|_| {
        // OpenSSL 3.0's pkcs7 has no SMIME input: take the DER out.
        let der = env.file("alice.p7c", &smime_body(&message));
        openssl(&["pkcs7", "-print_certs", "-inform", "DER", "-in", path(&der)])
    })
    .unwrap_or_else(|e| panic!("openssl pkcs7 -print_certs: {e}"));
    let printed = String::from_utf8_lossy(&printed);
    assert_eq!(printed.matches("BEGIN CERTIFICATE").count(), 3, "{printed}");
    let cms = openssl(&[
        "cms",
        "-cmsout",
        "-print",
        "-inform",
        "SMIME",
        "-in",
        path(&p7),
    ])
    .unwrap_or_else(|e| panic!("openssl cms -cmsout: {e}"));
    let cms = String::from_utf8_lossy(&cms);
    assert!(cms.contains("contentType: pkcs7-signedData"), "{cms}");
    assert!(cms.contains("signerInfos:\n      <EMPTY>"), "{cms}");
}

/// The base64 body of a MIME message, decoded.
fn smime_body(message: &str) -> Vec<u8> {
    let body = message.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let text: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    openssl::base64::decode_block(&text).unwrap()
}

#[test]
fn export_certs_without_certificates_is_exit_3() {
    let env = Env::new();
    with_alice(&env);
    let out = env
        .run(&["export-certs", "--mailbox", "nobody@example.org"])
        .expect(3)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: mailbox nobody@example.org holds no certificate\n"
    );
    let out = env
        .run(&["export-certs", "--recipient", ALICE])
        .expect(3)
        .one_line_error();
    assert_eq!(
        out.stderr,
        "smime: no correspondent's certificate is filed under alice@example.org\n"
    );
    env.run(&["export-certs"]).expect(2);
    env.run(&["export-certs", "--mailbox", ALICE, "--recipient", ALICE])
        .expect(2);
    env.run(&["export-certs", "--mailbox", "not an address"])
        .expect(2)
        .one_line_error();
}

#[test]
fn add_cert_reads_openssl_pkcs7_bundles_in_der_and_pem() {
    if openssl_cli().is_none() {
        println!("skipped: openssl not installed");
        return;
    }
    let env = Env::new();
    let dir = env.dir.path();
    let (bob, root) = (fixture("certs/bob.pem"), fixture("ca/root.pem"));
    for (name, form) in [("bob.p7b", "PEM"), ("bob.p7c", "DER")] {
        let file = dir.join(name);
        openssl(&[
            "crl2pkcs7",
            "-nocrl",
            "-certfile",
            path(&bob),
            "-certfile",
            path(&root),
            "-outform",
            form,
            "-out",
            path(&file),
        ])
        .unwrap();
        let out = env.add_cert(&[file]).expect(0);
        assert!(
            out.stdout.contains(&fingerprint_of("certs/bob.pem")),
            "{name}: {}",
            out.stdout
        );
        assert_eq!(out.stdout.lines().count(), 1, "{name}: the CA is skipped");
    }
    assert_eq!(env.recipients_json("bob@example.org").len(), 1);

    // Only CA certificates: refused, nothing added.
    let cas = dir.join("cas.p7c");
    openssl(&[
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        path(&root),
        "-outform",
        "DER",
        "-out",
        path(&cas),
    ])
    .unwrap();
    let out = env.add_cert(&[cas]).expect(2).one_line_error();
    assert!(
        out.stderr.contains("only CA certificates"),
        "{}",
        out.stderr
    );
    // DER that is no PKCS#7 and no certificate: the certificate reading's error.
    let garbage = env.file("garbage.p7c", &[0x30, 0x03, 0x02, 0x01, 0x00]);
    let out = env.add_cert(&[garbage]).expect(2).one_line_error();
    assert!(out.stderr.contains("garbage.p7c: "), "{}", out.stderr);
}

#[test]
fn add_cert_refuses_signed_and_enveloped_messages_and_names_a_damaged_bundle() {
    let env = Env::new();
    // An opaque signed message carries Alice's certificate, but hands
    // nothing over: refused, nothing filed.
    let signed = env.file("signed.eml", env.alice_signed(&["--opaque"]).as_bytes());
    let out = env.add_cert(&[signed]).expect(2).one_line_error();
    assert!(
        out.stderr
            .contains("signed.eml: invalid certificate: a signed message, not a certs-only"),
        "{}",
        out.stderr
    );
    assert!(env.recipients_json(ALICE).is_empty(), "nothing filed");

    // A real enveloped message (`smime encrypt` output): refused.
    let bob = fixture_arg("certs/bob.pem");
    let enveloped = env.encrypt(&["--to", &bob]).expect(0).stdout;
    let enveloped = env.file("enveloped.eml", enveloped.as_bytes());
    let out = env.add_cert(&[enveloped]).expect(2).one_line_error();
    assert!(
        out.stderr.contains("enveloped.eml: ") && out.stderr.contains("SignedData"),
        "{}",
        out.stderr
    );
    assert!(env.recipients_json(BOB).is_empty(), "nothing filed");

    // A damaged certs-only bundle: the bundle's own error, not the
    // certificate reading's.
    let bundle = env.dir.path().join("bob.p7c");
    env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    env.run(&["export-certs", "--recipient", BOB, "--out", path(&bundle)])
        .expect(0);
    let text = std::fs::read_to_string(&bundle).unwrap();
    let der = smime_body(&text);
    let cut = der.get(..der.len() / 2).unwrap();
    let damaged = env.file("damaged.p7c", cut);
    let out = Env::new().add_cert(&[damaged]).expect(2).one_line_error();
    assert!(
        !out.stderr.contains("X.509") && !out.stderr.contains("no certificate"),
        "{}",
        out.stderr
    );
}

#[test]
fn sign_compress_verifies_here_and_in_openssl() {
    let env = Env::new();
    with_alice(&env);
    let message = env.file(
        "message.eml",
        format!(
            "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: zip\r\n\r\n{}",
            "compressible line of text\r\n".repeat(200)
        )
        .as_bytes(),
    );
    let signed = env.dir.path().join("signed.eml");
    env.run(&[
        "sign",
        "--mailbox",
        ALICE,
        "--compress",
        "--in",
        path(&message),
        "--out",
        path(&signed),
    ])
    .expect(0);
    let plain = env.dir.path().join("plain.eml");
    env.run(&[
        "sign",
        "--mailbox",
        ALICE,
        "--in",
        path(&message),
        "--out",
        path(&plain),
    ])
    .expect(0);
    let (small, large) = (
        std::fs::metadata(&signed).unwrap().len(),
        std::fs::metadata(&plain).unwrap().len(),
    );
    assert!(small < large, "compressed {small} < plain {large}");
    let text = std::fs::read_to_string(&signed).unwrap();
    assert!(
        text.contains("smime-type=compressed-data"),
        "the signed entity is compressed-data"
    );
    let root = fixture("ca/root.pem");
    let content = env.dir.path().join("content.eml");
    let out = env
        .run(&[
            "verify",
            "--trust",
            path(&root),
            "--in",
            path(&signed),
            "--out",
            path(&content),
        ])
        .expect(0);
    assert!(out.stdout.starts_with("valid\n"), "{}", out.stdout);
    // verify --out writes the entity that was compressed, inflated.
    let content = std::fs::read_to_string(&content).unwrap();
    assert!(!content.contains("compressed-data"), "{content}");
    assert!(
        content.ends_with(&"compressible line of text\r\n".repeat(200)),
        "{content}"
    );

    if openssl_cli().is_none() {
        println!("skipped openssl: not installed");
        return;
    }
    let inner = env.dir.path().join("inner.eml");
    openssl(&[
        "cms",
        "-verify",
        "-in",
        path(&signed),
        "-CAfile",
        path(&root),
        "-purpose",
        "any",
        "-out",
        path(&inner),
    ])
    .unwrap_or_else(|e| panic!("openssl cms -verify: {e}"));
    match openssl(&["cms", "-uncompress", "-in", path(&inner)]) {
        Ok(content) => {
            let content = String::from_utf8_lossy(&content);
            assert!(content.contains("compressible line of text"), "{content}");
        }
        Err(e) if e.contains("unsupported compression") => {
            // This OpenSSL was built without zlib: its ASN.1 parser finds
            // the compressed content, Python's zlib inflates it.
            println!("openssl cms -uncompress: no zlib in this OpenSSL; inflating with python3");
            let der = env.dir.path().join("inner.der");
            openssl(&[
                "cms",
                "-cmsout",
                "-inform",
                "SMIME",
                "-in",
                path(&inner),
                "-outform",
                "DER",
                "-out",
                path(&der),
            ])
            .unwrap();
            let parsed = openssl(&["asn1parse", "-inform", "DER", "-in", path(&der)]).unwrap();
            let parsed = String::from_utf8_lossy(&parsed);
            assert!(parsed.contains(":zlib compression"), "{parsed}");
            let hex = parsed
                .lines()
                .filter_map(|l| l.split_once("OCTET STRING      [HEX DUMP]:"))
                .map(|(_, hex)| hex.trim().to_owned())
                .next_back()
                .unwrap();
            let inflated = Command::new("python3")
                .args(["-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(bytes.fromhex(sys.argv[1])))", &hex])
                .output();
            // Skipped only when python3 cannot start; once it runs, a
            // failure to inflate is a failure of the test.
            match inflated {
                Ok(out) => {
                    assert!(
                        out.status.success(),
                        "python3 zlib.decompress: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let content = String::from_utf8_lossy(&out.stdout);
                    assert!(
                        content.ends_with(&"compressible line of text\r\n".repeat(200)),
                        "{content}"
                    );
                }
                Err(e) => println!("skipped inflating: python3 does not start: {e}"),
            }
        }
        Err(e) => panic!("openssl cms -uncompress: {e}"),
    }
}
