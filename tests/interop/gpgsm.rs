//! Signatures across implementations with GnuPG's `gpgsm`, at test time:
//! ours (detached and opaque, RSA and EC) must verify with `gpgsm --verify`,
//! and `gpgsm` signatures (detached and opaque) must verify with ours.
//!
//! Every gpgsm call runs in a fresh GNUPGHOME, offline (no dirmngr, no CRL
//! or policy checks), with the fixture root marked trusted in
//! `trustlist.txt`; the gpg-agent it starts is killed at the end.

use crate::common::{base64_body, find, root};

use crate::common::peers::{Gpgsm, f, gpgsm_missing, stderr};
use crate::common::{PASSWORD, read_fixture};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smime::{
    ChainStatus, Password, SignOptions, SignatureStatus, VerifyOptions, pkcs12, sign, verify,
};

const ENTITY: &[u8] = b"Content-Type: text/plain\r\n\r\nhello gpgsm\r\n";

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
            &smime::Limits::default(),
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

        // Opaque: application/pkcs7-mime; smime-type=signed-data, in memory
        // and streamed (both DER).
        for streamed in [false, true] {
            let signed = if streamed {
                let mut out = Vec::new();
                let opaque = SignOptions::default().opaque();
                smime::sign_stream(std::io::Cursor::new(ENTITY), &mut out, &id, &opaque).unwrap();
                out
            } else {
                sign(ENTITY, &id, &SignOptions::default().opaque()).unwrap()
            };
            let report = verify(&signed, &VerifyOptions::new(&anchors)).unwrap();
            assert!(report.valid, "{name} opaque: {report:#?}");
            let opaque = dir.join(format!("{name}-opaque-{streamed}.der"));
            let content = dir.join(format!("{name}-out-{streamed}.txt"));
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
                "{name} opaque (streamed: {streamed}): gpgsm sees other content"
            );
        }
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
