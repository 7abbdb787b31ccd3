//! What we write is DER and every peer reads it (issue 19): envelopes,
//! opaque signatures and certs-only bundles re-encode byte for byte
//! through OpenSSL's DER encoder (so no indefinite length, no segmented
//! OCTET STRING, sorted SETs); `openssl cms` verifies our streamed opaque
//! signatures; gpgsm and `openssl pkcs7` read our certs-only bundles and
//! we read gpgsm's exports; our PKCS#12 exports import into `openssl
//! pkcs12` (both profiles) and gpgsm 2.2 (legacy); 3DES messages from
//! `openssl cms` and gpgsm decrypt with the weakness reported.

use crate::common::{cert, identity, openssl_cli, root};

use crate::common::peers::{Gpgsm, f, gpgsm_missing, openssl, stderr};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smime::{
    ContentEncryption, DecryptOptions, DecryptionWeakness, EncryptOptions, Limits, Password,
    SignOptions, certs_only_der, decrypt, encrypt, encrypt_stream, pkcs12, read_certificates, sign,
    sign_stream,
};

const ENTITY: &[u8] = b"Content-Type: text/plain\r\n\r\nDER for strict readers.\r\n";

fn base64_body(message: &[u8]) -> Vec<u8> {
    crate::common::base64_body(message)
}

fn streamed_encrypt(recipient: &str, options: &EncryptOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt_stream(
        std::io::Cursor::new(ENTITY.to_vec()),
        &mut out,
        &[cert(recipient)],
        options,
    )
    .unwrap();
    out
}

fn streamed_sign(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    sign_stream(
        std::io::Cursor::new(ENTITY.to_vec()),
        &mut out,
        &identity(name),
        &SignOptions::default().opaque(),
    )
    .unwrap();
    out
}

#[test]
fn everything_we_write_is_der_as_openssl_re_encodes_it() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let gcm = EncryptOptions::default().cipher(ContentEncryption::Aes256Gcm);
    let oaep = EncryptOptions::default().rsa_oaep();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "CBC to RSA",
            base64_body(&encrypt(ENTITY, &[cert("alice")], &EncryptOptions::default()).unwrap()),
        ),
        (
            "GCM to EC",
            base64_body(&encrypt(ENTITY, &[cert("carol")], &gcm).unwrap()),
        ),
        (
            "OAEP to two",
            base64_body(&encrypt(ENTITY, &[cert("alice"), cert("bob")], &oaep).unwrap()),
        ),
        (
            "streamed CBC",
            base64_body(&streamed_encrypt("bob", &EncryptOptions::default())),
        ),
        (
            "streamed GCM to EC",
            base64_body(&streamed_encrypt("dave", &gcm)),
        ),
        (
            "opaque RSA",
            base64_body(
                &sign(ENTITY, &identity("alice"), &SignOptions::default().opaque()).unwrap(),
            ),
        ),
        ("streamed opaque EC", base64_body(&streamed_sign("carol"))),
        ("streamed opaque RSA", base64_body(&streamed_sign("alice"))),
        (
            "certs-only",
            certs_only_der(&[cert("alice"), cert("bob"), root()]).unwrap(),
        ),
    ];
    for (what, der) in cases {
        assert_ne!(&der[..2], [0x30, 0x80], "{what}: indefinite length");
        let file = tmp.path().join("ours.der");
        std::fs::write(&file, &der).unwrap();
        let again = openssl(
            &[
                "cms", "-cmsout", "-inform", "DER", "-outform", "DER", "-in", "ours.der",
            ],
            tmp.path(),
        )
        .unwrap_or_else(|e| panic!("{what}: openssl cannot read it: {e}"));
        assert!(
            again == der,
            "{what}: OpenSSL's DER re-encoding differs from ours"
        );
    }
}

#[test]
fn openssl_verifies_our_streamed_opaque_der_signatures() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for name in ["alice", "carol", "dave"] {
        std::fs::write(tmp.path().join("s.der"), base64_body(&streamed_sign(name))).unwrap();
        let content = openssl(
            &[
                "cms",
                "-verify",
                "-inform",
                "DER",
                "-in",
                "s.der",
                "-CAfile",
                &f("ca/root.pem"),
                "-purpose",
                "any",
            ],
            tmp.path(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(content, ENTITY, "{name}");
    }
}

#[test]
fn certs_only_bundles_cross_to_openssl_and_back() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ours.p7c"),
        certs_only_der(&[cert("alice"), root()]).unwrap(),
    )
    .unwrap();
    let out = openssl(
        &["pkcs7", "-inform", "DER", "-in", "ours.p7c", "-print_certs"],
        tmp.path(),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 2, "{text}");
    assert!(text.contains("alice@example.org"), "{text}");
    // Our certs-only MIME message, as `openssl smime -pk7out` would read a
    // signed message: openssl pkcs7 takes the PEM of it.
    let pem = format!(
        "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
        STANDARD.encode(certs_only_der(&[cert("bob")]).unwrap())
    );
    std::fs::write(tmp.path().join("ours.pem"), pem).unwrap();
    let out = openssl(&["pkcs7", "-in", "ours.pem", "-print_certs"], tmp.path()).unwrap();
    assert!(String::from_utf8_lossy(&out).contains("bob@example.org"));
}

#[test]
fn pkcs12_exports_import_into_openssl_both_profiles() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (name, options) in [
        ("modern", pkcs12::ExportOptions::default()),
        ("legacy", pkcs12::ExportOptions::default().legacy()),
    ] {
        for who in ["alice", "dave"] {
            let p12 =
                pkcs12::export(&identity(who), &Password::new("s3cret pass"), &options).unwrap();
            std::fs::write(tmp.path().join("x.p12"), &p12).unwrap();
            let out = openssl(
                &[
                    "pkcs12",
                    "-in",
                    "x.p12",
                    "-passin",
                    "pass:s3cret pass",
                    "-nodes",
                ],
                tmp.path(),
            )
            .unwrap_or_else(|e| panic!("{name} {who}: {e}"));
            let text = String::from_utf8_lossy(&out);
            assert_eq!(text.matches("BEGIN PRIVATE KEY").count(), 1, "{name} {who}");
            assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{name} {who}");
            // The key openssl recovered is the identity's.
            let pem_key = &text[text.find("-----BEGIN PRIVATE KEY").unwrap()..];
            let key = openssl::pkey::PKey::private_key_from_pem(pem_key.as_bytes()).unwrap();
            assert_eq!(
                key.private_key_to_pkcs8().unwrap(),
                *identity(who).private_key().to_pkcs8_der().unwrap(),
                "{name} {who}"
            );
        }
    }
}

#[test]
fn triple_des_from_openssl_decrypts_with_the_weakness_reported() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("in.txt"), ENTITY).unwrap();
    let out = openssl(
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-des3",
            "-in",
            "in.txt",
            &f("certs/bob.pem"),
        ],
        tmp.path(),
    )
    .unwrap();
    let opened = decrypt(&out, &[identity("bob")], &DecryptOptions::default()).unwrap();
    assert_eq!(opened.content, ENTITY);
    assert_eq!(opened.content_encryption, ContentEncryption::DesEde3Cbc);
    assert_eq!(opened.weaknesses, [DecryptionWeakness::TripleDes]);
}

#[test]
fn gpgsm_imports_our_legacy_export_and_certs_only_and_we_read_its_export() {
    if let Some(reason) = gpgsm_missing() {
        println!("skipped: {reason}");
        return;
    }
    let gpgsm = Gpgsm::new();
    let dir = gpgsm.path();
    // The modern profile is beyond gpgsm 2.2 (PBES2); the legacy one is
    // what it is for.
    let modern = pkcs12::export(
        &identity("alice"),
        &Password::new(crate::common::PASSWORD),
        &pkcs12::ExportOptions::default(),
    )
    .unwrap();
    std::fs::write(dir.join("modern.p12"), &modern).unwrap();
    let out = gpgsm.run_with_passphrase(&["--import", dir.join("modern.p12").to_str().unwrap()]);
    println!(
        "gpgsm --import of the modern export: {} ({})",
        out.status,
        stderr(&out).lines().last().unwrap_or_default()
    );
    let legacy = pkcs12::export(
        &identity("alice"),
        &Password::new(crate::common::PASSWORD),
        &pkcs12::ExportOptions::default().legacy(),
    )
    .unwrap();
    std::fs::write(dir.join("legacy.p12"), &legacy).unwrap();
    let out = gpgsm.run_with_passphrase(&["--import", dir.join("legacy.p12").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "gpgsm --import legacy: {}",
        stderr(&out)
    );
    // The imported key decrypts what we encrypt to alice.
    let sealed = encrypt(ENTITY, &[cert("alice")], &EncryptOptions::default()).unwrap();
    std::fs::write(dir.join("sealed.der"), base64_body(&sealed)).unwrap();
    let plain = dir.join("plain.txt");
    let out = gpgsm.run_with_passphrase(&[
        "--decrypt",
        "--output",
        plain.to_str().unwrap(),
        dir.join("sealed.der").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "gpgsm --decrypt with the exported key: {}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&plain).unwrap(), ENTITY);

    // Our certs-only bundle imports into gpgsm.
    std::fs::write(dir.join("bob.p7c"), certs_only_der(&[cert("bob")]).unwrap()).unwrap();
    let out = gpgsm.run(&["--import", dir.join("bob.p7c").to_str().unwrap()], None);
    assert!(
        out.status.success(),
        "gpgsm --import certs-only: {}",
        stderr(&out)
    );
    let out = gpgsm.run(&["--list-keys", "bob@example.org"], None);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("bob@example.org"),
        "gpgsm does not list bob after importing our certs-only bundle: {}",
        stderr(&out)
    );
    // gpgsm's export (PEM or DER) reads as certificates here.
    for armor in [true, false] {
        let mut args = vec!["--export"];
        if armor {
            args.push("--armor");
        }
        args.push("bob@example.org");
        let out = gpgsm.run(&args, None);
        assert!(out.status.success(), "gpgsm --export: {}", stderr(&out));
        let certs = read_certificates(&out.stdout, &Limits::default())
            .unwrap_or_else(|e| panic!("gpgsm --export (armor {armor}): {e}"));
        assert!(certs.contains(&cert("bob")), "armor {armor}");
    }
    // gpgsm with 3DES: decrypts, reported weak.
    let data = dir.join("data");
    std::fs::write(&data, ENTITY).unwrap();
    let der = dir.join("3des.der");
    let out = gpgsm.run(
        &[
            "--cipher-algo",
            "3DES",
            "--encrypt",
            "-r",
            "bob@example.org",
            "--output",
            der.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.status.success(),
        "gpgsm --encrypt 3DES: {}",
        stderr(&out)
    );
    let message = crate::common::join_base64(
        b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        &std::fs::read(&der).unwrap(),
    );
    let opened = decrypt(&message, &[identity("bob")], &DecryptOptions::default()).unwrap();
    assert_eq!(opened.content, ENTITY);
    assert_eq!(opened.weaknesses, [DecryptionWeakness::TripleDes]);
}
