//! Signatures across implementations with GnuPG's `gpgsm`, at test time:
//! ours (detached and opaque, RSA and EC) must verify with `gpgsm --verify`,
//! and `gpgsm` signatures (detached and opaque) must verify with ours.
//!
//! Every gpgsm call runs in a fresh GNUPGHOME, offline (no dirmngr, no CRL
//! or policy checks), with the fixture root marked trusted in
//! `trustlist.txt`; the gpg-agent it starts is killed at the end.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{PASSWORD, fixture, read_fixture};
use openssl::hash::MessageDigest;
use openssl::x509::X509;
use smime::{
    Certificate, ChainStatus, Password, SignOptions, SignatureStatus, VerifyOptions, pkcs12, sign,
    verify,
};

const ENTITY: &[u8] = b"Content-Type: text/plain\r\n\r\nhello gpgsm\r\n";

/// Why gpgsm cannot run here, or `None` when it can.
fn gpgsm_missing() -> Option<String> {
    match Command::new("gpgsm").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("`gpgsm --version` exited with {}", o.status)),
        Err(e) => Some(format!("`gpgsm --version` cannot run: {e}")),
    }
}

/// A throw-away GNUPGHOME that trusts the fixture root and holds the
/// fixture CA certificates.
struct Gpgsm {
    home: tempfile::TempDir,
    /// Options for every call: offline, non-interactive.
    base: Vec<&'static str>,
}

impl Gpgsm {
    fn new() -> Gpgsm {
        let home = tempfile::tempdir().unwrap();
        let help = Command::new("gpgsm")
            .arg("--help")
            .env("GNUPGHOME", home.path())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut base = vec![
            "--batch",
            "--yes",
            "--disable-crl-checks",
            "--disable-policy-checks",
        ];
        if help.contains("--disable-dirmngr") {
            base.push("--disable-dirmngr");
        }
        let p = home.path();
        std::fs::write(p.join("gpg-agent.conf"), "allow-loopback-pinentry\n").unwrap();
        std::fs::write(p.join("gpgsm.conf"), "disable-crl-checks\n").unwrap();
        let root = X509::from_pem(&read_fixture("ca/root.pem")).unwrap();
        let sha1 = root.digest(MessageDigest::sha1()).unwrap();
        let fpr: Vec<String> = sha1.iter().map(|b| format!("{b:02X}")).collect();
        std::fs::write(p.join("trustlist.txt"), format!("{} S\n", fpr.join(":"))).unwrap();
        let gpgsm = Gpgsm { home, base };
        let out = gpgsm.run(
            &["--import", &f("ca/root.pem"), &f("ca/intermediate.pem")],
            None,
        );
        assert!(
            out.status.success(),
            "gpgsm --import of the CA certificates: {}",
            stderr(&out)
        );
        gpgsm
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    /// Runs gpgsm with the base options, `args`, and `stdin` (or nothing).
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = Command::new("gpgsm")
            .env("GNUPGHOME", self.path())
            .current_dir(self.path())
            .args(&self.base)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpgsm runs");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// Runs gpgsm with the passphrase fed to the agent on fd 0 (loopback).
    fn run_with_passphrase(&self, args: &[&str]) -> Output {
        let mut all = vec!["--pinentry-mode", "loopback", "--passphrase-fd", "0"];
        all.extend_from_slice(args);
        self.run(&all, Some(format!("{PASSWORD}\n").as_bytes()))
    }
}

impl Drop for Gpgsm {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", self.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn f(rel: &str) -> String {
    fixture(rel).to_str().unwrap().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn root() -> Certificate {
    Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The body of a MIME entity (after the first blank line), base64-decoded.
fn base64_body(entity: &[u8]) -> Vec<u8> {
    let start = find(entity, b"\r\n\r\n").expect("header/body separator") + 4;
    let text: Vec<u8> = entity[start..]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD.decode(text).expect("base64 body")
}

/// The first part (byte-exact) and the decoded DER signature of the
/// `multipart/signed` message we wrote.
fn split_multipart_signed(message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let at = find(message, b"boundary=\"").expect("boundary parameter") + 10;
    let len = message[at..].iter().position(|&b| b == b'"').unwrap();
    let delimiter = [b"\r\n--", &message[at..at + len]].concat();
    // The first delimiter follows the preamble; its leading CRLF is the
    // preamble's last line break.
    let first = find(message, &delimiter).expect("first delimiter") + delimiter.len();
    let first = first + find(&message[first..], b"\r\n").unwrap() + 2;
    let second = first + find(&message[first..], &delimiter).expect("second delimiter");
    let entity = message[first..second].to_vec();
    let sig_start = second + delimiter.len();
    let sig_end = sig_start + find(&message[sig_start..], &delimiter).expect("close delimiter");
    (entity, base64_body(&message[sig_start..sig_end]))
}

fn base64_lines(der: &[u8]) -> Vec<u8> {
    let text = STANDARD.encode(der);
    let mut out = Vec::new();
    for line in text.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn assert_valid_alice(report: &smime::VerifyReport, label: &str) {
    assert!(report.valid, "{label}: {report:#?}");
    assert_eq!(report.signers.len(), 1, "{label}");
    let signer = &report.signers[0];
    assert_eq!(signer.signature, SignatureStatus::Valid, "{label}");
    assert_eq!(signer.chain, ChainStatus::Trusted, "{label}");
    assert_eq!(signer.emails(), ["alice@example.org"], "{label}");
}

#[test]
fn our_signatures_verify_with_gpgsm() {
    if let Some(reason) = gpgsm_missing() {
        println!("skipped: {reason}");
        return;
    }
    let gpgsm = Gpgsm::new();
    let dir = gpgsm.path();
    let anchors = [root()];
    for name in ["alice", "carol"] {
        let id = pkcs12::import(
            &read_fixture(&format!("p12/{name}.p12")),
            &Password::new(PASSWORD),
        )
        .unwrap();

        // Detached: multipart/signed.
        let signed = sign(ENTITY, &id, &SignOptions::default()).unwrap();
        let report = verify(&signed, &VerifyOptions::new(&anchors)).unwrap();
        assert!(report.valid, "{name}: {report:#?}");
        let (entity, der) = split_multipart_signed(&signed);
        assert_eq!(entity, report.content, "{name}: first part");
        let data = dir.join(format!("{name}-data"));
        let sig = dir.join(format!("{name}-sig.der"));
        std::fs::write(&data, &entity).unwrap();
        std::fs::write(&sig, &der).unwrap();
        let out = gpgsm.run(
            &["--verify", sig.to_str().unwrap(), data.to_str().unwrap()],
            None,
        );
        assert!(
            out.status.success(),
            "gpgsm rejects our detached signature by {name}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("Good signature"),
            "{name} detached: {}",
            stderr(&out)
        );

        // Opaque: application/pkcs7-mime; smime-type=signed-data.
        let signed = sign(ENTITY, &id, &SignOptions::default().opaque()).unwrap();
        let report = verify(&signed, &VerifyOptions::new(&anchors)).unwrap();
        assert!(report.valid, "{name} opaque: {report:#?}");
        let opaque = dir.join(format!("{name}-opaque.der"));
        let content = dir.join(format!("{name}-out.txt"));
        std::fs::write(&opaque, base64_body(&signed)).unwrap();
        let out = gpgsm.run(
            &[
                "--verify",
                "--output",
                content.to_str().unwrap(),
                opaque.to_str().unwrap(),
            ],
            None,
        );
        assert!(
            out.status.success(),
            "gpgsm rejects our opaque signature by {name}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("Good signature"),
            "{name} opaque: {}",
            stderr(&out)
        );
        assert_eq!(
            std::fs::read(&content).unwrap(),
            report.content,
            "{name} opaque: gpgsm sees other content"
        );
    }
}

#[test]
fn gpgsm_signatures_verify_with_ours() {
    if let Some(reason) = gpgsm_missing() {
        println!("skipped: {reason}");
        return;
    }
    let gpgsm = Gpgsm::new();
    let dir = gpgsm.path();

    // gpgsm 2.2 cannot decrypt the PBES2 / PBKDF2-HMAC-SHA256 bags of an
    // OpenSSL 3 default bundle ("encryptedData error at pkcs5PBES2-params");
    // alice-3des.p12 holds the same key and certificates in 3DES.
    let mut imported = None;
    for bundle in ["p12/alice.p12", "p12/alice-3des.p12"] {
        let out = gpgsm.run_with_passphrase(&["--import", &f(bundle)]);
        if out.status.success() {
            imported = Some(bundle);
            break;
        }
        println!(
            "note: gpgsm cannot import {bundle}: {}",
            stderr(&out).trim()
        );
    }
    let bundle = imported.expect("gpgsm imports none of alice's PKCS#12 bundles");
    println!("gpgsm imported alice's key from {bundle}");
    let data = dir.join("data");
    std::fs::write(&data, ENTITY).unwrap();
    let anchors = [root()];

    // Detached, DER, wrapped into multipart/signed by hand.
    let sig = dir.join("sig.der");
    let out = gpgsm.run_with_passphrase(&[
        "--detach-sign",
        "--local-user",
        "alice@example.org",
        "--output",
        sig.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "gpgsm --detach-sign: {}",
        stderr(&out)
    );
    let boundary = "----=_gpgsm_interop_boundary";
    let mut message = format!(
        "MIME-Version: 1.0\r\n\
         Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\r\n\
         \tboundary=\"{boundary}\"\r\n\
         \r\n\
         This is a cryptographically signed message in MIME format.\r\n\
         \r\n\
         --{boundary}\r\n"
    )
    .into_bytes();
    message.extend_from_slice(ENTITY);
    message.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\n\
             Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n\
             Content-Transfer-Encoding: base64\r\n\
             Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\
             \r\n"
        )
        .as_bytes(),
    );
    message.extend_from_slice(&base64_lines(&std::fs::read(&sig).unwrap()));
    message.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let report = verify(&message, &VerifyOptions::new(&anchors)).unwrap();
    assert_valid_alice(&report, "gpgsm detached");
    assert_eq!(report.content, ENTITY, "gpgsm detached: content");

    // Opaque, wrapped as application/pkcs7-mime by hand.
    let opaque = dir.join("opaque.der");
    let out = gpgsm.run_with_passphrase(&[
        "--sign",
        "--local-user",
        "alice@example.org",
        "--output",
        opaque.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "gpgsm --sign: {}", stderr(&out));
    let mut message = b"MIME-Version: 1.0\r\n\
        Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\r\n\
        Content-Transfer-Encoding: base64\r\n\
        Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\
        \r\n"
        .to_vec();
    message.extend_from_slice(&base64_lines(&std::fs::read(&opaque).unwrap()));
    let report = verify(&message, &VerifyOptions::new(&anchors)).unwrap();
    assert_valid_alice(&report, "gpgsm opaque");
    assert_eq!(report.content, ENTITY, "gpgsm opaque: content");
}
