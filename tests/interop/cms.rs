//! Signatures across implementations, at test time: ours must verify with
//! `openssl cms -verify`, and `openssl cms -sign` output (detached, opaque,
//! streamed BER, binary, other digests, PSS, EC) must verify with ours.

use crate::common::peers::{f, openssl};
use crate::common::{PASSWORD, openssl_cli, read_fixture};
use smime::{
    Certificate, Password, SignOptions, SignatureStatus, VerifyOptions, pkcs12, sign, verify,
};

const ENTITY: &[u8] =
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\nInterop test message.\r\nSecond line.\r\n";

#[test]
fn our_signatures_verify_with_openssl_cms() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for name in ["alice", "carol", "dave"] {
        let id = pkcs12::import(
            &read_fixture(&format!("p12/{name}.p12")),
            &Password::new(PASSWORD),
            &smime::Limits::default(),
        )
        .unwrap();
        for (label, options) in [
            ("detached", SignOptions::default()),
            ("opaque", SignOptions::default().opaque()),
            (
                "detached-sha512",
                SignOptions::default().digest(smime::DigestAlgorithm::Sha512),
            ),
        ] {
            let signed = sign(ENTITY, &id, &options).unwrap();
            let file = tmp.path().join(format!("{name}-{label}.eml"));
            std::fs::write(&file, &signed).unwrap();
            let content = openssl(
                &[
                    "cms",
                    "-verify",
                    "-in",
                    file.to_str().unwrap(),
                    "-CAfile",
                    &f("ca/root.pem"),
                    "-purpose",
                    "smimesign",
                ],
                tmp.path(),
            )
            .unwrap_or_else(|e| panic!("openssl rejects our {label} signature by {name}: {e}"));
            assert_eq!(
                content, ENTITY,
                "{name} {label}: openssl sees other content"
            );
        }
    }
    // RSASSA-PSS.
    let alice = pkcs12::import(
        &read_fixture("p12/alice.p12"),
        &Password::new(PASSWORD),
        &smime::Limits::default(),
    )
    .unwrap();
    let file = tmp.path().join("pss.eml");
    std::fs::write(
        &file,
        sign(ENTITY, &alice, &SignOptions::default().rsa_pss()).unwrap(),
    )
    .unwrap();
    openssl(
        &[
            "cms",
            "-verify",
            "-in",
            file.to_str().unwrap(),
            "-CAfile",
            &f("ca/root.pem"),
        ],
        tmp.path(),
    )
    .unwrap_or_else(|e| panic!("openssl rejects our PSS signature: {e}"));
}

#[test]
fn openssl_cms_signatures_verify_with_ours() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let root = Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("detached", &[]),
        ("nodetach", &["-nodetach"]),
        ("stream detached", &["-stream"]),
        ("stream nodetach (BER)", &["-stream", "-nodetach"]),
        ("binary", &["-binary"]),
        ("sha512", &["-md", "sha512"]),
        ("sha1", &["-md", "sha1"]),
        ("pss", &["-keyopt", "rsa_padding_mode:pss"]),
        ("no attributes", &["-noattr"]),
        ("keyid", &["-keyid"]),
    ];
    for name in ["alice", "carol"] {
        for (label, extra) in cases {
            if name == "carol" && *label == "pss" {
                continue;
            }
            let out = tmp.path().join("signed.eml");
            let mut args = vec![
                "cms",
                "-sign",
                "-in",
                input.to_str().unwrap(),
                "-signer",
                &f(&format!("certs/{name}.pem")).to_owned(),
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
            args.extend(
                [
                    "-inkey",
                    &f(&format!("keys/{name}.key")),
                    "-certfile",
                    &f("ca/chain.pem"),
                    "-out",
                    out.to_str().unwrap(),
                ]
                .map(str::to_owned),
            );
            args.extend(extra.iter().map(|s| s.to_string()));
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            openssl(&refs, tmp.path()).unwrap_or_else(|e| panic!("openssl cms -sign {label}: {e}"));
            let signed = std::fs::read(&out).unwrap();
            let report = verify(&signed, &VerifyOptions::new(std::slice::from_ref(&root)))
                .unwrap_or_else(|e| panic!("{name} {label}: {e}"));
            assert_eq!(report.signers.len(), 1, "{name} {label}");
            assert_eq!(
                report.signers[0].signature,
                SignatureStatus::Valid,
                "{name} {label}: {report:#?}"
            );
            assert_eq!(
                report.signers[0].chain,
                smime::ChainStatus::Trusted,
                "{name} {label}"
            );
            if *label == "sha1" {
                assert!(!report.valid, "SHA-1 is weak: not valid by default");
                assert!(!report.signers[0].weaknesses.is_empty());
                let allowed = verify(
                    &signed,
                    &VerifyOptions::new(std::slice::from_ref(&root)).allow_weak(),
                )
                .unwrap();
                assert!(allowed.valid, "{name} sha1 with allow_weak");
            } else {
                assert!(report.valid, "{name} {label}: {report:#?}");
            }
            if *label == "detached" {
                // OpenSSL 3.0 announces AES-CBC but not AES-GCM: a reply
                // to it must not be AuthEnvelopedData.
                let caps = report.signers[0].capabilities.clone().unwrap_or_default();
                assert!(
                    caps.contains(&smime::ContentEncryption::Aes256Cbc),
                    "{caps:?}"
                );
                assert_eq!(
                    smime::ContentEncryption::negotiate(&[Some(caps)]),
                    smime::ContentEncryption::Aes256Cbc
                );
            }
            let shown = String::from_utf8_lossy(&report.content).replace("\r\n", "\n");
            assert!(
                shown.contains("Interop test message.\nSecond line."),
                "{name} {label}: {shown}"
            );
        }
    }
}
