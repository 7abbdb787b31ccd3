//! PKCS#12 import: every fixture bundle, modern and legacy, each error.

use crate::common::{Mint, PASSWORD, bundle, intermediate, mint, read_fixture};
use smime::{EcCurve, KeyAlgorithm};
use smime::{Error, Password, pkcs12};

fn import(rel: &str, password: &str) -> smime::Result<smime::Identity> {
    pkcs12::import(
        &read_fixture(rel),
        &Password::new(password),
        &smime::Limits::default(),
    )
}

#[test]
fn imports_every_fixture_bundle_modern_and_legacy() {
    let cases: &[(&str, &str, KeyAlgorithm)] = &[
        (
            "alice",
            "alice@example.org",
            KeyAlgorithm::Rsa { bits: 2048 },
        ),
        ("bob", "bob@example.org", KeyAlgorithm::Rsa { bits: 3072 }),
        ("erin", "erin@example.org", KeyAlgorithm::Rsa { bits: 4096 }),
        (
            "carol",
            "carol@example.org",
            KeyAlgorithm::Ec {
                curve: EcCurve::P256,
            },
        ),
        (
            "dave",
            "dave@example.org",
            KeyAlgorithm::Ec {
                curve: EcCurve::P384,
            },
        ),
        (
            "frank",
            "frank@example.org",
            KeyAlgorithm::Rsa { bits: 2048 },
        ),
    ];
    for (name, email, alg) in cases {
        for suffix in ["", "-legacy"] {
            let file = format!("p12/{name}{suffix}.p12");
            let id = import(&file, PASSWORD).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(id.certificate().email_addresses(), [*email], "{file}");
            assert_eq!(id.certificate().key_algorithm(), alg, "{file}");
            assert!(id.private_key().matches(id.certificate()), "{file}");
            let chain: Vec<_> = id.chain().iter().map(|c| c.subject().to_owned()).collect();
            assert_eq!(chain.len(), 2, "{file}: {chain:?}");
            assert!(
                chain[0].contains("Intermediate"),
                "{file}: chain not ordered: {chain:?}"
            );
            assert!(
                chain[1].contains("Root"),
                "{file}: chain not ordered: {chain:?}"
            );
        }
    }
}

#[test]
fn legacy_rc2_bundle_imports_the_same_key_as_the_modern_one() {
    let modern = import("p12/alice.p12", PASSWORD).unwrap();
    let legacy = import("p12/alice-legacy.p12", PASSWORD).unwrap();
    assert_eq!(modern.certificate(), legacy.certificate());
    assert_eq!(
        *modern.private_key().to_pkcs8_der().unwrap(),
        *legacy.private_key().to_pkcs8_der().unwrap()
    );
    let expected =
        openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/alice.key")).unwrap();
    assert_eq!(
        *legacy.private_key().to_pkcs8_der().unwrap(),
        expected.private_key_to_pkcs8().unwrap()
    );
}

#[test]
fn windows_style_3des_bundle_imports() {
    let id = import("p12/alice-3des.p12", PASSWORD).unwrap();
    assert_eq!(id.certificate().email_addresses(), ["alice@example.org"]);
}

#[test]
fn empty_password_bundles_import() {
    for file in ["p12/alice-nopass.p12", "p12/alice-nopass-legacy.p12"] {
        let id = pkcs12::import(
            &read_fixture(file),
            &Password::empty(),
            &smime::Limits::default(),
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(id.certificate().email_addresses(), ["alice@example.org"]);
        let wrong = pkcs12::import(
            &read_fixture(file),
            &Password::new("x"),
            &smime::Limits::default(),
        );
        assert!(
            matches!(wrong, Err(Error::WrongPassword)),
            "{file}: {wrong:?}"
        );
    }
}

#[test]
fn bundle_without_chain_has_empty_chain() {
    let id = import("p12/alice-nochain.p12", PASSWORD).unwrap();
    assert!(id.chain().is_empty());
}

#[test]
fn wrong_password_is_its_own_error() {
    for file in [
        "p12/alice.p12",
        "p12/alice-legacy.p12",
        "p12/alice-3des.p12",
        "p12/carol.p12",
    ] {
        let err = import(file, "not-the-password").unwrap_err();
        assert!(matches!(err, Error::WrongPassword), "{file}: {err:?}");
        assert_eq!(err.to_string(), "wrong PKCS#12 password");
    }
    // A NUL cannot reach C intact: refused as wrong, never truncated.
    let err = import("p12/alice.p12", "test-password\0junk").unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err:?}");
}

#[test]
fn empty_password_on_a_protected_bundle_is_wrong_password() {
    let err = import("p12/alice.p12", "").unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err:?}");
}

#[test]
fn garbage_is_a_corrupt_bundle() {
    for bytes in [
        &b""[..],
        b"hello world",
        &[0x30, 0x82, 0xff, 0xff, 0x02][..],
        &[0u8; 64][..],
    ] {
        let err =
            pkcs12::import(bytes, &Password::new(PASSWORD), &smime::Limits::default()).unwrap_err();
        assert!(matches!(err, Error::CorruptBundle(_)), "{bytes:?}: {err:?}");
    }
}

#[test]
fn truncated_bundles_are_corrupt_never_a_panic() {
    for file in ["p12/alice.p12", "p12/alice-legacy.p12"] {
        let full = read_fixture(file);
        for cut in [
            1,
            16,
            full.len() / 3,
            full.len() / 2,
            full.len() - 40,
            full.len() - 1,
        ] {
            let err = pkcs12::import(
                &full[..cut],
                &Password::new(PASSWORD),
                &smime::Limits::default(),
            )
            .unwrap_err();
            assert!(
                matches!(err, Error::CorruptBundle(_) | Error::WrongPassword),
                "{file} cut at {cut}: {err:?}"
            );
        }
    }
}

#[test]
fn flipped_bytes_never_panic_and_never_import_a_different_identity() {
    let good = import("p12/alice-legacy.p12", PASSWORD).unwrap();
    for file in ["p12/alice.p12", "p12/alice-legacy.p12"] {
        let full = read_fixture(file);
        for pos in (0..full.len()).step_by(7) {
            let mut bytes = full.clone();
            bytes[pos] ^= 0x01;
            // The MAC covers the content: any accepted result must be alice.
            if let Ok(id) =
                pkcs12::import(&bytes, &Password::new(PASSWORD), &smime::Limits::default())
            {
                assert_eq!(id.certificate(), good.certificate(), "{file} byte {pos}");
            }
        }
    }
}

#[test]
fn certificate_only_bundle_is_no_private_key() {
    let err = import("p12/certs-only.p12", PASSWORD).unwrap_err();
    assert!(matches!(err, Error::NoPrivateKey), "{err:?}");
}

#[test]
fn key_without_its_certificate_is_a_mismatch() {
    let (_, key) = mint(Mint::new("x@example.org", 1));
    let (other_cert, _) = mint(Mint::new("y@example.org", 2));
    let p12 = bundle(Some(&key), None, &[other_cert, intermediate().0], PASSWORD);
    let err =
        pkcs12::import(&p12, &Password::new(PASSWORD), &smime::Limits::default()).unwrap_err();
    assert!(matches!(err, Error::KeyCertificateMismatch), "{err:?}");
}

#[test]
fn extra_end_entity_certificates_are_not_taken_as_chain() {
    let (cert, key) = mint(Mint::new("x@example.org", 3));
    let (stranger, _) = mint(Mint::new("stranger@example.org", 4));
    let p12 = bundle(
        Some(&key),
        Some(&cert),
        &[stranger, intermediate().0],
        PASSWORD,
    );
    let id = pkcs12::import(&p12, &Password::new(PASSWORD), &smime::Limits::default()).unwrap();
    assert_eq!(id.certificate().email_addresses(), ["x@example.org"]);
    assert_eq!(id.chain().len(), 1);
    assert!(id.chain()[0].is_ca());
}

#[test]
fn leaf_is_found_by_key_even_when_listed_after_the_cas() {
    // No `cert` given: the leaf travels among the CA certificates.
    let (cert, key) = mint(Mint::new("x@example.org", 5));
    let p12 = bundle(
        Some(&key),
        None,
        &[intermediate().0, cert.clone()],
        PASSWORD,
    );
    let id = pkcs12::import(&p12, &Password::new(PASSWORD), &smime::Limits::default()).unwrap();
    assert_eq!(id.certificate().to_der(), cert.to_der().unwrap());
}

#[test]
fn private_key_debug_is_redacted() {
    let id = import("p12/alice.p12", PASSWORD).unwrap();
    let dbg = format!("{id:?}");
    assert!(dbg.contains("<redacted>"), "{dbg}");
    let pem = String::from_utf8(read_fixture("keys/alice.key")).unwrap();
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!dbg.contains(body_line));
}

fn corpus_keys(file: &str) -> Option<Vec<u8>> {
    let dir = crate::common::corpus()?;
    std::fs::read(dir.join("rfc9788/keys").join(file)).ok()
}

#[test]
fn rfc9216_bundles_import_both_identities_with_a_shared_chain() {
    for name in ["alice", "bob"] {
        let Some(p12) = corpus_keys(&format!("{name}.p12")) else {
            println!("skipped: ../shared/corpus/rfc9788 is missing");
            return;
        };
        let password = Password::new(name);
        let bundle = pkcs12::import_all(&p12, &password, &smime::Limits::default()).unwrap();
        assert_eq!(bundle.identities.len(), 2, "{name}");
        let pem = |file: &str| {
            smime::Certificate::from_pem(&corpus_keys(&format!("{name}.{file}.crt")).unwrap())
                .unwrap()
        };
        let (signing, encryption) = (pem("sign"), pem("encrypt"));
        let certs: Vec<_> = bundle
            .identities
            .iter()
            .map(|i| i.certificate().clone())
            .collect();
        assert!(certs.contains(&signing), "{name}: no signing identity");
        assert!(
            certs.contains(&encryption),
            "{name}: no encryption identity"
        );
        for id in &bundle.identities {
            assert!(id.private_key().matches(id.certificate()), "{name}");
            let chain: Vec<_> = id.chain().iter().map(|c| c.subject().to_owned()).collect();
            assert_eq!(chain.len(), 1, "{name}: {chain:?}");
            assert!(chain[0].contains("Certification Authority"), "{chain:?}");
        }
        // Key usage tells them apart: sign picks one, decrypt the other.
        let signer = bundle
            .identities
            .iter()
            .find(|i| i.certificate().can_sign())
            .unwrap();
        let decrypter = bundle
            .identities
            .iter()
            .find(|i| i.certificate().can_decrypt())
            .unwrap();
        assert_eq!(signer.certificate(), &signing, "{name}");
        assert_eq!(decrypter.certificate(), &encryption, "{name}");
        // import wants exactly one key.
        assert!(matches!(
            pkcs12::import(&p12, &password, &smime::Limits::default()),
            Err(Error::UnsupportedBundle(smime::BundleError::SeveralKeys(2)))
        ));
        // A wrong password is still its own error.
        assert!(matches!(
            pkcs12::import_all(&p12, &Password::new("nope"), &smime::Limits::default()),
            Err(Error::WrongPassword)
        ));
    }
}

#[test]
fn a_bundle_is_all_or_nothing() {
    // carlos: an Ed25519 signing key beside an X25519 decryption key;
    // neither is usable here, so nothing is imported.
    let Some(p12) = corpus_keys("carlos.p12") else {
        println!("skipped: ../shared/corpus/rfc9788 is missing");
        return;
    };
    let err =
        pkcs12::import_all(&p12, &Password::new("carlos"), &smime::Limits::default()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedKey(_)), "{err:?}");
}

#[test]
fn a_second_key_without_its_certificate_fails_the_whole_bundle() {
    // hostile/twokeys.p12: alice's and bob's keys, only alice's
    // certificate. import refuses two keys; import_all refuses bob's key
    // without certificate rather than import alice alone.
    let p12 = read_fixture("hostile/twokeys.p12");
    let password = Password::new(PASSWORD);
    assert!(matches!(
        pkcs12::import_all(&p12, &password, &smime::Limits::default()),
        Err(Error::KeyCertificateMismatch)
    ));
    assert!(matches!(
        pkcs12::import(&p12, &password, &smime::Limits::default()),
        Err(Error::UnsupportedBundle(smime::BundleError::SeveralKeys(2)))
    ));
}

#[test]
fn two_identities_joined_in_one_bundle_each_get_their_certificate() {
    // alice's and bob's key bags and certificate bags, each pair sharing a
    // localKeyId, plus the CA chain: built from OpenSSL bundles by
    // re-using their SafeContents.
    let alice = import("p12/alice.p12", PASSWORD).unwrap();
    let bob = import("p12/bob.p12", PASSWORD).unwrap();
    let p12 = joined_bundle(&[&alice, &bob]);
    let bundle =
        pkcs12::import_all(&p12, &Password::new(PASSWORD), &smime::Limits::default()).unwrap();
    assert_eq!(bundle.identities.len(), 2);
    assert_eq!(bundle.identities[0].certificate(), alice.certificate());
    assert_eq!(bundle.identities[1].certificate(), bob.certificate());
    for id in &bundle.identities {
        assert!(id.private_key().matches(id.certificate()));
        assert_eq!(id.chain().len(), 2);
    }
    let mut limits = smime::Limits::default();
    limits.max_certificates = 1;
    assert!(matches!(
        pkcs12::import_all(&p12, &Password::new(PASSWORD), &limits),
        Err(Error::LimitExceeded {
            limit: "max_certificates",
            max: 1
        })
    ));
}

/// RFC 7292 §4: PFX, MacData and DigestInfo, for joining bundles.
#[derive(der::Sequence)]
struct Pfx {
    version: u8,
    auth_safe: cms::content_info::ContentInfo,
    mac_data: Option<MacData>,
}

#[derive(der::Sequence)]
struct MacData {
    mac: DigestInfo,
    mac_salt: der::asn1::OctetString,
    iterations: Option<u32>,
}

#[derive(der::Sequence)]
struct DigestInfo {
    algorithm: x509_cert::spki::AlgorithmIdentifierOwned,
    digest: der::asn1::OctetString,
}

/// One PKCS#12 bundle holding every identity given: each identity
/// bundled alone by OpenSSL (its key and certificate bags sharing a
/// localKeyId), their AuthenticatedSafes joined, the SHA-256 MAC
/// recomputed (RFC 7292 App. B.2: for a key no longer than the hash, the
/// MAC key is H^c(D || S || P) with ID 3).
fn joined_bundle(ids: &[&smime::Identity]) -> Vec<u8> {
    use der::{Decode, Encode};
    let mut safes: Vec<cms::content_info::ContentInfo> = Vec::new();
    let mut first: Option<Pfx> = None;
    for (i, id) in ids.iter().enumerate() {
        let key =
            openssl::pkey::PKey::private_key_from_pkcs8(&id.private_key().to_pkcs8_der().unwrap())
                .unwrap();
        let cert = openssl::x509::X509::from_der(id.certificate().to_der()).unwrap();
        let chain: Vec<_> = if i == 0 {
            id.chain()
                .iter()
                .map(|c| openssl::x509::X509::from_der(c.to_der()).unwrap())
                .collect()
        } else {
            Vec::new()
        };
        let pfx = Pfx::from_der(&crate::common::bundle(
            Some(&key),
            Some(&cert),
            &chain,
            PASSWORD,
        ))
        .unwrap();
        let octets: der::asn1::OctetString = pfx.auth_safe.content.decode_as().unwrap();
        safes.extend(Vec::<cms::content_info::ContentInfo>::from_der(octets.as_bytes()).unwrap());
        first.get_or_insert(pfx);
    }
    let mut pfx = first.unwrap();
    let auth_safe = safes.to_der().unwrap();
    let mac = pfx.mac_data.as_mut().unwrap();
    assert_eq!(
        mac.mac.algorithm.oid.to_string(),
        "2.16.840.1.101.3.4.2.1",
        "SHA-256 MAC"
    );
    let v = 64;
    let repeat = |bytes: &[u8]| -> Vec<u8> {
        let len = bytes.len().div_ceil(v) * v;
        bytes.iter().copied().cycle().take(len).collect()
    };
    let mut password: Vec<u8> = PASSWORD
        .encode_utf16()
        .flat_map(|u| u.to_be_bytes())
        .collect();
    password.extend([0, 0]);
    let mut input = vec![3u8; v];
    input.extend(repeat(mac.mac_salt.as_bytes()));
    input.extend(repeat(&password));
    let mut key = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), &input)
        .unwrap()
        .to_vec();
    for _ in 1..mac.iterations.unwrap_or(1) {
        key = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), &key)
            .unwrap()
            .to_vec();
    }
    let hmac_key = openssl::pkey::PKey::hmac(&key).unwrap();
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &hmac_key).unwrap();
    signer.update(&auth_safe).unwrap();
    mac.mac.digest = der::asn1::OctetString::new(signer.sign_to_vec().unwrap()).unwrap();
    pfx.auth_safe.content =
        der::Any::encode_from(&der::asn1::OctetString::new(auth_safe).unwrap()).unwrap();
    pfx.to_der().unwrap()
}

fn asn1parse(der: &[u8]) -> Option<String> {
    crate::common::openssl_cli()?;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("b.p12"), der).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "pkcs12",
            "-info",
            "-nokeys",
            "-nocerts",
            "-in",
            "b.p12",
            "-passin",
            "pass:export me",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    Some(String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout))
}

#[test]
fn export_modern_and_legacy_re_import_with_chain_name_and_key_id() {
    let alice = import("p12/alice.p12", PASSWORD).unwrap();
    let password = Password::new("export me");
    for (options, words) in [
        (
            pkcs12::ExportOptions::default().friendly_name("Alice (work)"),
            ["PBES2", "PBKDF2", "AES-256-CBC", "sha256", "600000"],
        ),
        (
            pkcs12::ExportOptions::default()
                .legacy()
                .friendly_name("Alice (work)"),
            [
                "pbeWithSHA1And3-KeyTripleDES-CBC",
                "sha1",
                "2048",
                "Certificate bag",
                "Shrouded Keybag",
            ],
        ),
    ] {
        let p12 = pkcs12::export(&alice, &password, &options).unwrap();
        let again = pkcs12::import(&p12, &password, &smime::Limits::default()).unwrap();
        assert_eq!(again.certificate(), alice.certificate());
        assert_eq!(again.chain(), alice.chain());
        assert_eq!(
            *again.private_key().to_pkcs8_der().unwrap(),
            *alice.private_key().to_pkcs8_der().unwrap()
        );
        assert!(matches!(
            pkcs12::import(&p12, &Password::new("wrong"), &smime::Limits::default()),
            Err(Error::WrongPassword)
        ));
        if let Some(info) = asn1parse(&p12) {
            for word in words {
                assert!(
                    info.contains(word),
                    "{:?}: {word} missing in\n{info}",
                    options.protection
                );
            }
        }
        // friendlyName and localKeyId on the bags.
        if crate::common::openssl_cli().is_some() {
            let tmp = tempfile::tempdir().unwrap();
            std::fs::write(tmp.path().join("b.p12"), &p12).unwrap();
            let out = std::process::Command::new("openssl")
                .args([
                    "pkcs12",
                    "-in",
                    "b.p12",
                    "-passin",
                    "pass:export me",
                    "-nodes",
                ])
                .current_dir(tmp.path())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                text.matches("friendlyName: Alice (work)").count(),
                2,
                "{text}"
            );
            assert_eq!(text.matches("localKeyID:").count(), 2, "{text}");
            assert_eq!(text.matches("BEGIN CERTIFICATE").count(), 3, "{text}");
        }
    }
}

#[test]
fn export_refuses_nul_in_password_or_name() {
    let alice = import("p12/alice.p12", PASSWORD).unwrap();
    for (password, options) in [
        ("a\0b", pkcs12::ExportOptions::default()),
        (
            "fine",
            pkcs12::ExportOptions::default().friendly_name("a\0b"),
        ),
    ] {
        assert!(matches!(
            pkcs12::export(&alice, &Password::new(password), &options),
            Err(Error::UnsupportedBundle(smime::BundleError::NulInPassword))
        ));
    }
}

#[test]
fn an_exported_ec_identity_and_an_empty_password_re_import() {
    let carol = import("p12/carol.p12", PASSWORD).unwrap();
    let p12 = pkcs12::export(
        &carol,
        &Password::new(""),
        &pkcs12::ExportOptions::default().legacy(),
    )
    .unwrap();
    let again = pkcs12::import(&p12, &Password::new(""), &smime::Limits::default()).unwrap();
    assert_eq!(again.certificate(), carol.certificate());
}

/// A second end-entity certificate for `key` (same public key, another
/// serial and subject), issued by the fixture intermediate.
fn second_certificate(key: &openssl::pkey::PKey<openssl::pkey::Private>) -> openssl::x509::X509 {
    use openssl::x509::extension::SubjectAlternativeName;
    let (ca, ca_key) = intermediate();
    let mut name = openssl::x509::X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "Alice (second certificate)")
        .unwrap();
    let name = name.build();
    let mut b = openssl::x509::X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = openssl::bn::BigNum::from_u32(0x77_7777).unwrap();
    b.set_serial_number(&openssl::asn1::Asn1Integer::from_bn(&serial).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email("alice@example.org")
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca_key, openssl::hash::MessageDigest::sha256())
        .unwrap();
    b.build()
}

#[test]
fn local_key_id_decides_between_two_certificates_of_one_key() {
    // OpenSSL gives the key and the main certificate one localKeyId and
    // writes the other certificate without one: whichever order they are
    // in, the one sharing the key's localKeyId is the identity's.
    let key = openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/alice.key")).unwrap();
    let first = openssl::x509::X509::from_pem(&read_fixture("certs/alice.pem")).unwrap();
    let second = second_certificate(&key);
    for (main, other) in [(&first, &second), (&second, &first)] {
        let p12 = bundle(
            Some(&key),
            Some(main),
            std::slice::from_ref(other),
            PASSWORD,
        );
        for id in [
            import_bytes(&p12),
            pkcs12::import_all(&p12, &Password::new(PASSWORD), &smime::Limits::default())
                .unwrap()
                .identities
                .remove(0),
        ] {
            assert_eq!(id.certificate().to_der(), main.to_der().unwrap());
        }
    }
}

fn import_bytes(p12: &[u8]) -> smime::Identity {
    pkcs12::import(p12, &Password::new(PASSWORD), &smime::Limits::default()).unwrap()
}
