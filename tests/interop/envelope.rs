//! Encryption across implementations, at test time: our messages must
//! decrypt with `openssl cms -decrypt` and `gpgsm --decrypt`; messages from
//! `openssl cms -encrypt` (CBC, GCM, streamed BER, keyid, OAEP, ECDH) and
//! `gpgsm --encrypt` must decrypt with ours; and the Thunderbird corpus
//! (NSS and OpenSSL EnvelopedData to Bob and Fran) decrypts as its
//! MANIFEST says.
//!
//! Each part is skipped, with the reason printed, when the `openssl` or
//! `gpgsm` CLI or `../shared/corpus` is missing.

use crate::common::{base64_body, cert, find, identity};

use std::path::Path;

use crate::common::peers::{Gpgsm, f, gpgsm_missing, openssl, stderr};
use crate::common::{corpus, openssl_cli};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smime::{
    Certificate, ContentEncryption, EncryptOptions, Error, Identity, Password, SignatureStatus,
    VerifyOptions, decrypt, decrypt_and_verify, encrypt, pkcs12,
};

const ENTITY: &[u8] =
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\nInterop test message.\r\nSecond line.\r\n";

const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: interop\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nInterop test message.\r\nSecond line.\r\n";

/// Raw DER EnvelopedData wrapped as an `application/pkcs7-mime` entity.
fn wrap_der(der: &[u8], smime_type: &str) -> Vec<u8> {
    let mut out = format!(
        "Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n"
    )
    .into_bytes();
    for line in STANDARD.encode(der).as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn cipher_name(cipher: ContentEncryption) -> &'static str {
    if cipher == ContentEncryption::Aes256Cbc {
        "AES-256-CBC"
    } else if cipher == ContentEncryption::Aes128Gcm {
        "AES-128-GCM"
    } else {
        "AES-256-GCM"
    }
}

#[test]
fn our_messages_decrypt_with_openssl_cms() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, bool, ContentEncryption)] = &[
        ("alice", false, ContentEncryption::Aes256Cbc),
        ("alice", true, ContentEncryption::Aes256Cbc),
        ("bob", true, ContentEncryption::Aes256Cbc),
        ("carol", false, ContentEncryption::Aes256Cbc),
        ("dave", false, ContentEncryption::Aes256Cbc),
        ("alice", false, ContentEncryption::Aes128Gcm),
        ("alice", false, ContentEncryption::Aes256Gcm),
        ("alice", true, ContentEncryption::Aes256Gcm),
        ("carol", false, ContentEncryption::Aes128Gcm),
        ("carol", false, ContentEncryption::Aes256Gcm),
    ];
    for &(name, oaep, cipher) in cases {
        let label = format!("{name} oaep={oaep} {}", cipher_name(cipher));
        let mut options = EncryptOptions::default().cipher(cipher);
        if oaep {
            options = options.rsa_oaep();
        }
        for (what, input) in [("entity", ENTITY), ("message", MESSAGE)] {
            let encrypted = encrypt(input, &[cert(name)], &options).unwrap();
            let file = tmp
                .path()
                .join(format!("{name}-{oaep}-{cipher:?}-{what}.eml"));
            std::fs::write(&file, &encrypted).unwrap();
            let content = openssl(
                &[
                    "cms",
                    "-decrypt",
                    "-in",
                    file.to_str().unwrap(),
                    "-recip",
                    &f(&format!("certs/{name}.pem")),
                    "-inkey",
                    &f(&format!("keys/{name}.key")),
                ],
                tmp.path(),
            )
            .unwrap_or_else(|e| panic!("openssl cannot decrypt our {label} {what}: {e}"));
            let ours = decrypt(
                &encrypted,
                &[identity(name)],
                &smime::DecryptOptions::default(),
            )
            .unwrap()
            .content;
            assert_eq!(
                String::from_utf8_lossy(&content),
                String::from_utf8_lossy(&ours),
                "{label} {what}: openssl sees other content than we do"
            );
            if what == "entity" {
                assert_eq!(content, ENTITY, "{label}: openssl sees other content");
            } else {
                assert!(
                    content.starts_with(b"Content-Type: text/plain"),
                    "{label} {what}"
                );
                assert!(find(&content, b"Subject:").is_none(), "{label} {what}");
            }
        }
    }
}

#[test]
fn openssl_cms_messages_decrypt_with_ours() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("entity.txt");
    std::fs::write(&input, ENTITY).unwrap();
    let alice = f("certs/alice.pem");
    let carol = f("certs/carol.pem");
    let dave = f("certs/dave.pem");
    // label, recipient, extra options (the certificate is appended last
    // unless the options name it with -recip), cipher name, authenticated.
    let cases: &[(&str, &str, &[&str], &str, bool)] = &[
        ("aes256", "alice", &["-aes256"], "AES-256-CBC", false),
        ("aes128", "alice", &["-aes128"], "AES-128-CBC", false),
        (
            "aes-256-gcm",
            "alice",
            &["-aes-256-gcm"],
            "AES-256-GCM",
            true,
        ),
        (
            "aes-128-gcm",
            "alice",
            &["-aes-128-gcm"],
            "AES-128-GCM",
            true,
        ),
        (
            "stream (BER)",
            "alice",
            &["-aes256", "-stream"],
            "AES-256-CBC",
            false,
        ),
        (
            "stream gcm (BER)",
            "alice",
            &["-aes-128-gcm", "-stream"],
            "AES-128-GCM",
            true,
        ),
        (
            "keyid",
            "alice",
            &["-aes256", "-keyid"],
            "AES-256-CBC",
            false,
        ),
        (
            "binary",
            "alice",
            &["-aes256", "-binary"],
            "AES-256-CBC",
            false,
        ),
        (
            "oaep",
            "alice",
            &[
                "-aes256",
                "-recip",
                "ALICE",
                "-keyopt",
                "rsa_padding_mode:oaep",
            ],
            "AES-256-CBC",
            false,
        ),
        (
            "oaep sha256",
            "alice",
            &[
                "-aes256",
                "-recip",
                "ALICE",
                "-keyopt",
                "rsa_padding_mode:oaep",
                "-keyopt",
                "rsa_oaep_md:sha256",
                "-keyopt",
                "rsa_mgf1_md:sha256",
            ],
            "AES-256-CBC",
            false,
        ),
        ("ecdh p-256", "carol", &["-aes256"], "AES-256-CBC", false),
        (
            "ecdh p-256 gcm",
            "carol",
            &["-aes-256-gcm"],
            "AES-256-GCM",
            true,
        ),
        (
            "ecdh p-256 keyid",
            "carol",
            &["-aes128", "-keyid"],
            "AES-128-CBC",
            false,
        ),
        ("ecdh p-384", "dave", &["-aes256"], "AES-256-CBC", false),
    ];
    let mut failures = Vec::new();
    for &(label, name, extra, cipher, authenticated) in cases {
        let out = tmp.path().join("encrypted.eml");
        let recip_path = match name {
            "alice" => &alice,
            "carol" => &carol,
            _ => &dave,
        };
        let mut args: Vec<String> = [
            "cms",
            "-encrypt",
            "-in",
            input.to_str().unwrap(),
            "-out",
            out.to_str().unwrap(),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.iter().map(|s| {
            if *s == "ALICE" {
                alice.clone()
            } else {
                s.to_string()
            }
        }));
        if !extra.contains(&"-recip") {
            args.push(recip_path.clone());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&refs, tmp.path()).unwrap_or_else(|e| panic!("openssl cms -encrypt {label}: {e}"));
        let message = std::fs::read(&out).unwrap();
        let id = identity(name);
        let d = match decrypt(
            &message,
            std::slice::from_ref(&id),
            &smime::DecryptOptions::default(),
        ) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!(
                    "{label}: ours cannot decrypt openssl's message: {e:?}"
                ));
                continue;
            }
        };
        if d.content != ENTITY {
            failures.push(format!(
                "{label}: content {:?}",
                String::from_utf8_lossy(&d.content)
            ));
        }
        if d.content_encryption.to_string() != cipher {
            failures.push(format!("{label}: cipher {}", d.content_encryption));
        }
        if d.authenticated != authenticated {
            failures.push(format!("{label}: authenticated {}", d.authenticated));
        }
        if d.recipient != id.certificate().fingerprint() {
            failures.push(format!("{label}: recipient {}", d.recipient));
        }
    }

    // DER output, wrapped by hand, and several recipients.
    let der = tmp.path().join("encrypted.der");
    openssl(
        &[
            "cms",
            "-encrypt",
            "-in",
            input.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            der.to_str().unwrap(),
            "-aes256",
            &f("certs/bob.pem"),
            &carol,
            &alice,
        ],
        tmp.path(),
    )
    .unwrap();
    let message = wrap_der(&std::fs::read(&der).unwrap(), "enveloped-data");
    for name in ["alice", "bob", "carol"] {
        let d = match decrypt(
            &message,
            &[identity(name)],
            &smime::DecryptOptions::default(),
        ) {
            Ok(d) => d,
            Err(e) => panic!("{name}, DER with three recipients: {e:?}"),
        };
        assert_eq!(d.content, ENTITY, "{name}");
    }
    match decrypt(
        &message,
        &[identity("dave")],
        &smime::DecryptOptions::default(),
    ) {
        Err(Error::NotForRecipient) => {}
        Err(e) => panic!("dave: expected NotForRecipient, got {e:?}"),
        Ok(_) => panic!("dave decrypted a message not for him"),
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn gpgsm_messages_decrypt_with_ours() {
    if let Some(reason) = gpgsm_missing() {
        println!("skipped: {reason}");
        return;
    }
    let gpgsm = Gpgsm::new();
    let dir = gpgsm.path();
    let out = gpgsm.run(&["--import", &f("certs/alice.pem")], None);
    assert!(
        out.status.success(),
        "gpgsm --import alice.pem: {}",
        stderr(&out)
    );
    let data = dir.join("data");
    std::fs::write(&data, ENTITY).unwrap();
    let der = dir.join("encrypted.der");
    let out = gpgsm.run(
        &[
            "--encrypt",
            "-r",
            "alice@example.org",
            "--output",
            der.to_str().unwrap(),
            data.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "gpgsm --encrypt: {}", stderr(&out));
    let message = wrap_der(&std::fs::read(&der).unwrap(), "enveloped-data");
    let alice = identity("alice");
    let d = match decrypt(
        &message,
        std::slice::from_ref(&alice),
        &smime::DecryptOptions::default(),
    ) {
        Ok(d) => d,
        Err(e) => panic!("ours cannot decrypt gpgsm's message: {e:?}"),
    };
    assert_eq!(d.content, ENTITY, "gpgsm: content");
    assert!(!d.authenticated, "gpgsm 2.2 writes EnvelopedData (CBC)");
    assert!(
        d.content_encryption.to_string().starts_with("AES-"),
        "{}",
        d.content_encryption
    );
    assert_eq!(d.recipient, alice.certificate().fingerprint());
    // Not for bob.
    match decrypt(
        &message,
        &[identity("bob")],
        &smime::DecryptOptions::default(),
    ) {
        Err(Error::NotForRecipient) => {}
        Err(e) => panic!("bob: expected NotForRecipient, got {e:?}"),
        Ok(_) => panic!("bob decrypted a message not for him"),
    }
}

#[test]
fn our_messages_decrypt_with_gpgsm() {
    if let Some(reason) = gpgsm_missing() {
        println!("skipped: {reason}");
        return;
    }
    let gpgsm = Gpgsm::new();
    let dir = gpgsm.path();
    // gpgsm 2.2 cannot read the PBES2 bags of alice.p12; alice-3des.p12
    // holds the same key.
    let mut imported = false;
    for bundle in ["p12/alice.p12", "p12/alice-3des.p12"] {
        let out = gpgsm.run_with_passphrase(&["--import", &f(bundle)]);
        if out.status.success() {
            println!("gpgsm imported alice's key from {bundle}");
            imported = true;
            break;
        }
        println!(
            "note: gpgsm cannot import {bundle}: {}",
            stderr(&out).trim()
        );
    }
    assert!(imported, "gpgsm imports none of alice's PKCS#12 bundles");
    // gpgsm 2.2 reads neither AuthEnvelopedData nor RSA-OAEP nor ECDH:
    // AES-CBC with PKCS#1 v1.5 key transport it does.
    // The streamed form is DER too (lengths computed before writing).
    for (what, input, streamed) in [
        ("entity", ENTITY, false),
        ("message", MESSAGE, false),
        ("streamed", MESSAGE, true),
    ] {
        let encrypted = if streamed {
            let mut out = Vec::new();
            smime::encrypt_stream(
                std::io::Cursor::new(input),
                &mut out,
                &[cert("alice")],
                &EncryptOptions::default(),
            )
            .unwrap();
            out
        } else {
            encrypt(input, &[cert("alice")], &EncryptOptions::default()).unwrap()
        };
        let ours = decrypt(
            &encrypted,
            &[identity("alice")],
            &smime::DecryptOptions::default(),
        )
        .unwrap()
        .content;
        let der = dir.join(format!("{what}.der"));
        let plain = dir.join(format!("{what}.out"));
        std::fs::write(&der, base64_body(&encrypted)).unwrap();
        let out = gpgsm.run_with_passphrase(&[
            "--decrypt",
            "--output",
            plain.to_str().unwrap(),
            der.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "gpgsm cannot decrypt our {what}: {}",
            stderr(&out)
        );
        let content = std::fs::read(&plain).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&content),
            String::from_utf8_lossy(&ours),
            "{what}: gpgsm sees other content than we do"
        );
        if what == "entity" {
            assert_eq!(content, ENTITY);
        }
    }
}

const FRAN_TEXT: &str = "This is a test message to Fran.";
const ALICE_BOB_TEXT: &str = "This is a test message from Alice to Bob.";

fn nss_identity(path: &Path) -> Identity {
    pkcs12::import(
        &std::fs::read(path).unwrap(),
        &Password::new("nss"),
        &smime::Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

/// A corpus `.env` file as a message: used as is when it is already MIME,
/// wrapped when it is raw DER.
fn env_message(bytes: Vec<u8>) -> Vec<u8> {
    if bytes.first() == Some(&0x30) {
        let mut out = b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\
            Content-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        out.extend_from_slice(STANDARD.encode(&bytes).as_bytes());
        out.extend_from_slice(b"\r\n");
        out
    } else {
        bytes
    }
}

#[test]
fn thunderbird_openssl_messages_to_fran_decrypt() {
    let Some(corpus) = corpus() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let dir = corpus.join("thunderbird/mailnews-test-data-smime-interop");
    let fran = nss_identity(&dir.join("Fran.p12"));
    let fran_ec = nss_identity(&dir.join("Fran-ec.p12"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("fran") && n.ends_with(".env"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let message = env_message(std::fs::read(dir.join(name)).unwrap());
        let (id, other) = if name.starts_with("fran-ec") {
            (&fran_ec, &fran)
        } else {
            (&fran, &fran_ec)
        };
        let expected_cipher = if name.contains("aes128") || name == "fran-oaep-sha256hash_ossl.env"
        {
            Some("AES-128-CBC")
        } else if name == "fran-oaep_ossl.env" {
            None // des-ede3-cbc: the name is the implementation's choice
        } else {
            Some("AES-256-CBC")
        };
        match decrypt(
            &message,
            std::slice::from_ref(id),
            &smime::DecryptOptions::default(),
        ) {
            Ok(d) => {
                let text = String::from_utf8_lossy(&d.content);
                if !text.contains(FRAN_TEXT) {
                    failures.push(format!("{name}: decrypted to {text:?}"));
                }
                if let Some(c) = expected_cipher
                    && d.content_encryption.to_string() != c
                {
                    failures.push(format!("{name}: cipher {} != {c}", d.content_encryption));
                }
                if d.authenticated {
                    failures.push(format!("{name}: CBC reported authenticated"));
                }
                if d.recipient != id.certificate().fingerprint() {
                    failures.push(format!("{name}: wrong recipient"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e:?}")),
        }
        // The other Fran key is not a recipient; both together work.
        match decrypt(
            &message,
            std::slice::from_ref(other),
            &smime::DecryptOptions::default(),
        ) {
            Err(Error::NotForRecipient) => {}
            Err(e) => failures.push(format!("{name} with the other key: {e:?}")),
            Ok(_) => failures.push(format!("{name}: decrypted with the other key")),
        }
        let both = [
            nss_identity(&dir.join("Fran.p12")),
            nss_identity(&dir.join("Fran-ec.p12")),
        ];
        if let Err(e) = decrypt(&message, &both, &smime::DecryptOptions::default()) {
            failures.push(format!("{name} with both keys: {e:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn thunderbird_nss_messages_to_bob_decrypt() {
    let Some(corpus) = corpus() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let dir = corpus.join("thunderbird/mailnews-test-data-smime");
    let bob = nss_identity(&dir.join("Bob.p12"));
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();

    // Enveloped only.
    let d = match decrypt(
        &read("alice.env.eml"),
        std::slice::from_ref(&bob),
        &smime::DecryptOptions::default(),
    ) {
        Ok(d) => d,
        Err(e) => panic!("alice.env.eml: {e:?}"),
    };
    let text = String::from_utf8_lossy(&d.content);
    assert!(text.contains(ALICE_BOB_TEXT), "alice.env.eml: {text}");
    assert_eq!(d.content_encryption, ContentEncryption::Aes128Cbc);
    assert!(!d.authenticated);
    assert_eq!(d.recipient, bob.certificate().fingerprint());
    // Alice's own identity is not a recipient.
    let alice = nss_identity(&dir.join("Alice.p12"));
    match decrypt(
        &read("alice.env.eml"),
        std::slice::from_ref(&alice),
        &smime::DecryptOptions::default(),
    ) {
        Err(Error::NotForRecipient) => {}
        Err(e) => panic!("alice.env.eml by Alice: {e:?}"),
        Ok(_) => panic!("alice.env.eml decrypted by Alice"),
    }

    // Signed by Alice, then enveloped to Bob: decrypt and verify.
    let ca = Certificate::from_pem(&read("TestCA.pem")).unwrap();
    let options = VerifyOptions::new(std::slice::from_ref(&ca));
    for sha in ["SHA256", "SHA384", "SHA512"] {
        for name in [
            format!("alice.sig.{sha}.opaque.env.eml"),
            format!("alice.dsig.{sha}.multipart.env.eml"),
        ] {
            let (d, report) = match decrypt_and_verify(
                &read(&name),
                std::slice::from_ref(&bob),
                &smime::DecryptOptions::default(),
                &options,
            ) {
                Ok(r) => r,
                Err(e) => panic!("{name}: {e:?}"),
            };
            assert!(!d.authenticated, "{name}");
            assert_eq!(d.content_encryption, ContentEncryption::Aes128Cbc, "{name}");
            let report = report.unwrap_or_else(|| panic!("{name}: signature not seen"));
            assert!(report.valid, "{name}: {report:#?}");
            assert_eq!(report.signers.len(), 1, "{name}");
            assert_eq!(
                report.signers[0].signature,
                SignatureStatus::Valid,
                "{name}"
            );
            assert_eq!(report.signers[0].emails(), ["Alice@example.com"], "{name}");
            let text = String::from_utf8_lossy(&report.content);
            assert!(text.contains(ALICE_BOB_TEXT), "{name}: {text}");
        }
    }
}

#[test]
fn openssl_opens_and_verifies_our_sign_then_encrypt() {
    if crate::common::openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: both\r\n\r\nSigned, then sealed.\r\n";
    for cipher in [ContentEncryption::Aes256Cbc, ContentEncryption::Aes128Gcm] {
        let sealed = smime::sign_and_encrypt(
            message,
            &identity("alice"),
            &[cert("bob")],
            &smime::SignOptions::default(),
            &EncryptOptions::default().cipher(cipher),
        )
        .unwrap();
        let file = tmp.path().join("sealed.eml");
        std::fs::write(&file, &sealed).unwrap();
        let inner = openssl(
            &[
                "cms",
                "-decrypt",
                "-in",
                file.to_str().unwrap(),
                "-recip",
                &f("certs/bob.pem"),
                "-inkey",
                &f("keys/bob.key"),
            ],
            tmp.path(),
        )
        .unwrap_or_else(|e| panic!("{cipher:?}: openssl cannot decrypt: {e}"));
        let inner_file = tmp.path().join("inner.eml");
        std::fs::write(&inner_file, &inner).unwrap();
        let content = openssl(
            &[
                "cms",
                "-verify",
                "-in",
                inner_file.to_str().unwrap(),
                "-CAfile",
                &f("ca/root.pem"),
            ],
            tmp.path(),
        )
        .unwrap_or_else(|e| panic!("{cipher:?}: openssl cannot verify the inner signature: {e}"));
        assert!(
            String::from_utf8_lossy(&content).contains("Signed, then sealed."),
            "{cipher:?}"
        );
    }
}
