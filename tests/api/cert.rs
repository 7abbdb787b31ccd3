//! Certificate inspection against the fixture PKI (see fixtures/README.md).

use crate::common::cert;

use std::time::{Duration, SystemTime};

use crate::common::read_fixture;
use smime::{Certificate, Error, Fingerprint};
use smime::{EcCurve, KeyAlgorithm, KeyPurpose};

fn year(y: u64) -> SystemTime {
    // Good enough for validity checks far from the edges: 365.25-day years.
    SystemTime::UNIX_EPOCH + Duration::from_secs((y - 1970) * 31_557_600)
}

#[test]
fn reads_subject_issuer_serial_and_validity() {
    let alice = cert("alice");
    assert!(alice.subject().contains("CN=Alice"), "{}", alice.subject());
    assert!(
        alice.issuer().contains("CN=smime test Intermediate CA"),
        "{}",
        alice.issuer()
    );
    assert!(!alice.serial().is_empty());
    assert_eq!(alice.serial_hex().len(), alice.serial().len() * 2);
    assert!(alice.is_valid_at(year(2026)));
    assert!(alice.is_valid_at(year(2124)));
    assert!(!alice.is_valid_at(year(2024)));
    assert!(!alice.is_valid_at(year(2126)));
}

#[test]
fn expired_certificate_is_not_valid_now() {
    let expired = cert("expired");
    assert!(!expired.is_valid_at(SystemTime::now()));
    assert!(expired.is_valid_at(year(2020) + Duration::from_secs(86_400 * 180)));
}

#[test]
fn fingerprint_is_sha256_of_der() {
    let der = read_fixture("certs/alice.der");
    let alice = cert("alice");
    assert_eq!(alice.to_der(), &der[..]);
    assert_eq!(alice.fingerprint().as_bytes(), &openssl::sha::sha256(&der));
    let hex = alice.fingerprint().to_string();
    assert_eq!(hex.len(), 64);
    assert!(
        hex.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    // Parses back from its own form, upper case, and colon-separated pairs.
    assert_eq!(hex.parse::<Fingerprint>().unwrap(), alice.fingerprint());
    assert_eq!(
        hex.to_uppercase().parse::<Fingerprint>().unwrap(),
        alice.fingerprint()
    );
    let colons = hex
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(colons.parse::<Fingerprint>().unwrap(), alice.fingerprint());
    assert!("abc".parse::<Fingerprint>().is_err());
    assert!("zz".repeat(32).parse::<Fingerprint>().is_err());
}

#[test]
fn email_from_san_and_from_legacy_subject_attribute() {
    assert_eq!(cert("alice").email_addresses(), ["alice@example.org"]);
    // frank has no SAN: the address comes from the subject emailAddress.
    assert_eq!(cert("frank").email_addresses(), ["frank@example.org"]);
    assert!(cert("alice").names_mailbox(&"ALICE@example.ORG".parse().unwrap()));
    assert!(!cert("alice").names_mailbox(&"bob@example.org".parse().unwrap()));
}

#[test]
fn key_algorithms_and_sizes() {
    assert_eq!(
        cert("alice").key_algorithm(),
        &KeyAlgorithm::Rsa { bits: 2048 }
    );
    assert_eq!(
        cert("bob").key_algorithm(),
        &KeyAlgorithm::Rsa { bits: 3072 }
    );
    assert_eq!(
        cert("erin").key_algorithm(),
        &KeyAlgorithm::Rsa { bits: 4096 }
    );
    assert_eq!(
        cert("carol").key_algorithm(),
        &KeyAlgorithm::Ec {
            curve: EcCurve::P256
        }
    );
    assert_eq!(
        cert("dave").key_algorithm(),
        &KeyAlgorithm::Ec {
            curve: EcCurve::P384
        }
    );
    assert_eq!(cert("dave").key_algorithm().bits(), Some(384));
    assert_eq!(cert("carol").key_algorithm().to_string(), "EC P-256");
}

#[test]
fn key_usage_and_extended_key_usage() {
    let alice = cert("alice");
    let ku = alice.key_usage().unwrap();
    assert!(ku.digital_signature && ku.non_repudiation && ku.key_encipherment);
    assert!(!ku.key_agreement && !ku.key_cert_sign);
    assert_eq!(
        alice.extended_key_usage().unwrap(),
        [KeyPurpose::EmailProtection]
    );
    let noeku = cert("noeku");
    assert_eq!(
        noeku.extended_key_usage().unwrap(),
        [KeyPurpose::ServerAuth, KeyPurpose::ClientAuth]
    );
    let henry = cert("henry");
    assert!(henry.key_usage().is_none() && henry.extended_key_usage().is_none());
}

#[test]
fn can_sign_and_can_decrypt_follow_rfc_8550() {
    // (name, can_sign, can_decrypt)
    for (name, sign, decrypt) in [
        ("alice", true, true), // RSA, digitalSignature + keyEncipherment, emailProtection
        ("carol", true, true), // EC, digitalSignature + keyAgreement
        ("dave", true, true),  // EC P-384
        ("grace", true, false), // EC, digitalSignature only
        ("noeku", false, false), // EKU without emailProtection
        ("henry", true, true), // no KU, no EKU: everything allowed
        ("frank", true, true), // no EKU, KU signature + encipherment
        ("expired", true, true), // usage does not depend on time
    ] {
        let c = cert(name);
        assert_eq!(c.can_sign(), sign, "{name} can_sign");
        assert_eq!(c.can_decrypt(), decrypt, "{name} can_decrypt");
    }
}

#[test]
fn ca_certificates_are_recognised_and_cannot_sign_mail() {
    let root = Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap();
    assert!(root.is_ca());
    assert!(!root.can_sign() && !root.can_decrypt());
    assert!(!cert("alice").is_ca());
}

#[test]
fn reads_pem_bundles_and_der() {
    let all = Certificate::all_from_pem(&read_fixture("certs/bundle.pem")).unwrap();
    let emails: Vec<_> = all.iter().map(|c| c.email_addresses()[0].clone()).collect();
    assert_eq!(
        emails,
        ["alice@example.org", "bob@example.org", "carol@example.org"]
    );
    let der = Certificate::all_from_pem_or_der(&read_fixture("certs/alice.der")).unwrap();
    assert_eq!(der, [cert("alice")]);
    let pem = Certificate::all_from_pem_or_der(&read_fixture("ca/chain.pem")).unwrap();
    assert_eq!(pem.len(), 2);
    // PEM round trip.
    let alice = cert("alice");
    assert_eq!(
        Certificate::from_pem(alice.to_pem().as_bytes()).unwrap(),
        alice
    );
}

#[test]
fn garbage_is_an_invalid_certificate() {
    for bytes in [
        &b""[..],
        b"not a certificate",
        &[0x30, 0x03, 0x02, 0x01, 0x01][..],
    ] {
        let err = Certificate::from_der(bytes).unwrap_err();
        assert!(matches!(err, Error::InvalidCertificate(_)), "{err:?}");
    }
    assert!(matches!(
        Certificate::from_pem(b"no pem here"),
        Err(Error::InvalidCertificate(_))
    ));
    let der = read_fixture("certs/alice.der");
    for cut in [10, der.len() / 2, der.len() - 1] {
        assert!(Certificate::from_der(&der[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(
        Certificate::from_der(&trailing).is_err(),
        "trailing data must be refused"
    );
}
