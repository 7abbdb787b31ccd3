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
