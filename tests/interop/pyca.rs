//! Interop both ways with pyca/cryptography (≥ 44, from PyPI, in the
//! test-only venv `.ci/run` makes at `target/pyca-venv`, or the Python
//! named by `SMIME_PYCA_PYTHON`): a strict DER reader (its Rust ASN.1
//! parser refuses indefinite lengths), so every test here is also a proof
//! that what we write is DER.
//!
//! * pyca's `pkcs7_decrypt_smime` / `pkcs7_decrypt_der` open our
//!   envelopes (in memory and streamed), pyca's `PKCS7EnvelopeBuilder`
//!   envelopes decrypt with ours;
//! * pyca's `PKCS7SignatureBuilder` opaque and detached signatures verify
//!   with ours; pyca's `load_der_pkcs7_certificates` reads our opaque
//!   signatures and certs-only bundles;
//! * pyca's `load_pkcs12` reads our PKCS#12 exports (modern and legacy),
//!   friendlyName included, and its `serialize_key_and_certificates`
//!   bundles import here.
//!
//! Each test prints why it skips when the venv is missing.

use crate::common::{cert, identity, root};

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::peers::f;
use smime::{
    ContentEncryption, DecryptOptions, EncryptOptions, Password, SignOptions, VerifyOptions,
    certs_only_der, decrypt, encrypt, encrypt_stream, pkcs12, sign, sign_stream, verify,
};

const ENTITY: &[u8] =
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\nInterop with pyca.\r\nSecond line.\r\n";

/// The venv's Python when it has pyca/cryptography ≥ 44.
fn pyca() -> Option<PathBuf> {
    let python = std::env::var_os("SMIME_PYCA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyca-venv/bin/python")
        });
    let out = Command::new(&python)
        .args([
            "-c",
            "import cryptography, sys; v = tuple(int(x) for x in cryptography.__version__.split('.')[:2]); print(cryptography.__version__); sys.exit(0 if v >= (44, 0) else 1)",
        ])
        .output();
    match out {
        Ok(o) if o.status.success() => Some(python),
        Ok(o) => {
            println!(
                "skipped: {} has no pyca/cryptography >= 44 ({}{})",
                python.display(),
                String::from_utf8_lossy(&o.stdout).trim(),
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            println!(
                "skipped: no pyca venv at {} ({e}); `.ci/run` makes it",
                python.display()
            );
            None
        }
    }
}

/// Runs `script` with pyca in `dir`; its stdout, or a panic with stderr.
fn run(python: &Path, dir: &Path, script: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyca script failed:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const DECRYPT: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
message, cert, key, how = sys.argv[1:5]
cert = x509.load_pem_x509_certificate(open(cert, "rb").read())
key = serialization.load_pem_private_key(open(key, "rb").read(), None)
data = open(message, "rb").read()
if how == "smime":
    out = pkcs7.pkcs7_decrypt_smime(data, cert, key, [])
else:
    out = pkcs7.pkcs7_decrypt_der(data, cert, key, [])
sys.stdout.buffer.write(out)
"#;

#[test]
fn pyca_decrypts_our_envelopes_in_memory_and_streamed() {
    let Some(python) = pyca() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // pyca decrypts AES-128/256-CBC with RSA PKCS#1 v1.5 key transport.
    for name in ["alice", "bob"] {
        let options = EncryptOptions::default().cipher(ContentEncryption::Aes256Cbc);
        let in_memory = encrypt(ENTITY, &[cert(name)], &options).unwrap();
        let mut streamed = Vec::new();
        encrypt_stream(
            std::io::Cursor::new(ENTITY.to_vec()),
            &mut streamed,
            &[cert(name)],
            &options,
        )
        .unwrap();
        for (what, message) in [("in memory", in_memory), ("streamed", streamed)] {
            let file = tmp.path().join(format!("{name}.eml"));
            std::fs::write(&file, &message).unwrap();
            let content = run(
                &python,
                tmp.path(),
                DECRYPT,
                &[
                    file.to_str().unwrap(),
                    &f(&format!("certs/{name}.pem")),
                    &f(&format!("keys/{name}.key")),
                    "smime",
                ],
            );
            assert_eq!(
                String::from_utf8_lossy(&content),
                String::from_utf8_lossy(ENTITY),
                "{name} {what}"
            );
            // And the bare DER.
            let der = crate::common::base64_body(&message);
            let file = tmp.path().join(format!("{name}.der"));
            std::fs::write(&file, &der).unwrap();
            let content = run(
                &python,
                tmp.path(),
                DECRYPT,
                &[
                    file.to_str().unwrap(),
                    &f(&format!("certs/{name}.pem")),
                    &f(&format!("keys/{name}.key")),
                    "der",
                ],
            );
            assert_eq!(content, ENTITY, "{name} {what} DER");
        }
    }
}

const ENVELOPE: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert, encoding = sys.argv[1:3]
cert = x509.load_pem_x509_certificate(open(cert, "rb").read())
data = sys.stdin.buffer.read()
builder = pkcs7.PKCS7EnvelopeBuilder().set_data(data).add_recipient(cert)
enc = serialization.Encoding.SMIME if encoding == "smime" else serialization.Encoding.DER
sys.stdout.buffer.write(builder.encrypt(enc, [pkcs7.PKCS7Options.Binary]))
"#;

#[test]
fn pyca_envelopes_decrypt_with_ours() {
    let Some(python) = pyca() else { return };
    let tmp = tempfile::tempdir().unwrap();
    for encoding in ["smime", "der"] {
        let out = Command::new(&python)
            .arg("-c")
            .arg(ENVELOPE)
            .args([&f("certs/bob.pem"), encoding])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .current_dir(tmp.path())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(ENTITY)?;
                child.wait_with_output()
            })
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let message = if encoding == "der" {
            crate::common::join_base64(
                b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                &out.stdout,
            )
        } else {
            out.stdout
        };
        let opened = decrypt(&message, &[identity("bob")], &DecryptOptions::default())
            .unwrap_or_else(|e| panic!("{encoding}: {e}"));
        assert_eq!(opened.content, ENTITY, "{encoding}");
        assert!(!opened.authenticated);
    }
}

const SIGN: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
cert, key, form = sys.argv[1:4]
cert = x509.load_pem_x509_certificate(open(cert, "rb").read())
key = serialization.load_pem_private_key(open(key, "rb").read(), None)
data = sys.stdin.buffer.read()
builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(cert, key, hashes.SHA256())
options = [pkcs7.PKCS7Options.Binary]
if form == "detached":
    options.append(pkcs7.PKCS7Options.DetachedSignature)
enc = serialization.Encoding.DER if form == "der" else serialization.Encoding.SMIME
sys.stdout.buffer.write(builder.sign(enc, options))
"#;

fn pyca_sign(python: &Path, dir: &Path, name: &str, form: &str) -> Vec<u8> {
    let out = Command::new(python)
        .arg("-c")
        .arg(SIGN)
        .args([
            &f(&format!("certs/{name}.pem")),
            &f(&format!("keys/{name}.key")),
            form,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .current_dir(dir)
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(ENTITY)?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn pyca_opaque_and_detached_signatures_verify_with_ours() {
    let Some(python) = pyca() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let intermediate =
        smime::Certificate::from_pem(&crate::common::read_fixture("ca/intermediate.pem")).unwrap();
    let options = VerifyOptions::new(&[root()]).with_intermediates(&[intermediate]);
    for name in ["alice", "carol"] {
        // pyca writes opaque signatures as DER (Encoding.DER without
        // DetachedSignature); its S/MIME encoding without that option is a
        // multipart/signed that also embeds the content, which we report.
        let embedded = pyca_sign(&python, tmp.path(), name, "opaque");
        let report = verify(&embedded, &options).unwrap();
        assert!(!report.valid, "{name}");
        assert!(
            report.problems.contains(&smime::Problem::EmbeddedContent),
            "{name}"
        );
        for form in ["detached", "der"] {
            let signed = pyca_sign(&python, tmp.path(), name, form);
            let message = if form == "der" {
                crate::common::join_base64(
                    b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    &signed,
                )
            } else {
                signed
            };
            let report =
                verify(&message, &options).unwrap_or_else(|e| panic!("{name} {form}: {e}"));
            assert!(
                report.valid,
                "{name} {form}: {:?} {:?}",
                report.problems, report.signers
            );
            assert_eq!(report.signers.len(), 1);
            assert!(
                report.content.ends_with(b"Second line.\r\n"),
                "{name} {form}"
            );
            let mut content = Vec::new();
            let streamed = smime::verify_stream(&message[..], &mut content, &options).unwrap();
            assert!(streamed.valid, "{name} {form} streamed");
        }
    }
}

const LOAD_PKCS7: &str = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs7
certs = pkcs7.load_der_pkcs7_certificates(open(sys.argv[1], "rb").read())
for c in certs:
    print(c.subject.rfc4514_string())
"#;

#[test]
fn pyca_reads_our_opaque_signatures_and_certs_only_bundles_as_der() {
    let Some(python) = pyca() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let opaque = SignOptions::default().opaque();
    let in_memory = sign(ENTITY, &identity("alice"), &opaque).unwrap();
    let mut streamed = Vec::new();
    sign_stream(
        std::io::Cursor::new(ENTITY.to_vec()),
        &mut streamed,
        &identity("alice"),
        &opaque,
    )
    .unwrap();
    let bundle = certs_only_der(&[cert("alice"), cert("bob"), root()]).unwrap();
    for (what, der, count) in [
        (
            "opaque signature",
            crate::common::base64_body(&in_memory),
            3,
        ),
        (
            "streamed opaque signature",
            crate::common::base64_body(&streamed),
            3,
        ),
        ("certs-only", bundle, 3),
    ] {
        let file = tmp.path().join("p7.der");
        std::fs::write(&file, &der).unwrap();
        let out = run(&python, tmp.path(), LOAD_PKCS7, &[file.to_str().unwrap()]);
        let subjects = String::from_utf8_lossy(&out);
        assert_eq!(subjects.lines().count(), count, "{what}: {subjects}");
    }
}

const LOAD_PKCS12: &str = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
p12 = pkcs12.load_pkcs12(open(sys.argv[1], "rb").read(), sys.argv[2].encode())
print(p12.cert.friendly_name.decode())
print(p12.cert.certificate.subject.rfc4514_string())
print(len(p12.additional_certs))
print(p12.key.key_size)
"#;

const SERIALIZE_PKCS12: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
cert, key, ca = sys.argv[1:4]
cert = x509.load_pem_x509_certificate(open(cert, "rb").read())
key = serialization.load_pem_private_key(open(key, "rb").read(), None)
cas = x509.load_pem_x509_certificates(open(ca, "rb").read())
enc = serialization.BestAvailableEncryption(b"pyca password")
sys.stdout.buffer.write(pkcs12.serialize_key_and_certificates(b"from pyca", key, cert, cas, enc))
"#;

#[test]
fn pkcs12_exports_load_in_pyca_and_pyca_bundles_import() {
    let Some(python) = pyca() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let alice = identity("alice");
    for options in [
        pkcs12::ExportOptions::default(),
        pkcs12::ExportOptions::default().legacy(),
    ] {
        let options = options.friendly_name("Alice (work)");
        let p12 = pkcs12::export(&alice, &Password::new("pyca reads it"), &options).unwrap();
        let file = tmp.path().join("alice.p12");
        std::fs::write(&file, &p12).unwrap();
        let out = run(
            &python,
            tmp.path(),
            LOAD_PKCS12,
            &[file.to_str().unwrap(), "pyca reads it"],
        );
        let out = String::from_utf8_lossy(&out);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "Alice (work)", "{:?}", options.protection);
        assert!(lines[1].contains("alice@example.org"), "{out}");
        assert_eq!(lines[2], "2", "{out}");
        assert_eq!(lines[3], "2048", "{out}");
    }
    let bundle = run(
        &python,
        tmp.path(),
        SERIALIZE_PKCS12,
        &[&f("certs/bob.pem"), &f("keys/bob.key"), &f("ca/chain.pem")],
    );
    let bob = pkcs12::import(
        &bundle,
        &Password::new("pyca password"),
        &smime::Limits::default(),
    )
    .unwrap();
    assert_eq!(bob.certificate(), &cert("bob"));
    assert_eq!(bob.chain().len(), 2);
}
