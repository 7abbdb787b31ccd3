//! Helpers that drive the independent peers (the `openssl` and `gpgsm`
//! CLIs) from the interop tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use openssl::hash::MessageDigest;
use openssl::x509::X509;

use super::{PASSWORD, fixture, read_fixture};

/// A fixture path as a string argument.
pub fn f(rel: &str) -> String {
    fixture(rel).to_str().unwrap().to_owned()
}

/// Runs the `openssl` CLI in `dir`: stdout on success, stderr otherwise.
pub fn openssl(args: &[&str], dir: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Why gpgsm cannot run here, or `None` when it can.
pub fn gpgsm_missing() -> Option<String> {
    match Command::new("gpgsm").arg("--version").output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("`gpgsm --version` exited with {}", o.status)),
        Err(e) => Some(format!("`gpgsm --version` cannot run: {e}")),
    }
}

/// A throw-away GNUPGHOME that trusts the fixture root and holds the
/// fixture CA certificates.
pub struct Gpgsm {
    home: tempfile::TempDir,
    /// Options for every call: offline, non-interactive.
    base: Vec<&'static str>,
}

impl Gpgsm {
    pub fn new() -> Gpgsm {
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

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    /// Runs gpgsm with the base options, `args`, and `stdin` (or nothing).
    pub fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
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
    pub fn run_with_passphrase(&self, args: &[&str]) -> Output {
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
