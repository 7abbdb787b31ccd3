//! PKCS#12 bundles written by other implementations (MimeKit/BouncyCastle,
//! Thunderbird/NSS, OpenSSL's own test data). The two most telling cases
//! are copied into fixtures/interop and always run; the whole
//! `../shared/corpus` runs when it is present (see its MANIFEST.md).

use crate::common::{corpus, read_fixture};
use smime::{EcCurve, KeyAlgorithm};
use smime::{Error, Password, pkcs12};

#[derive(Debug)]
enum Expect {
    /// Imports: leaf e-mail addresses, key algorithm, chain length.
    Identity(&'static [&'static str], KeyAlgorithm, usize),
    /// Refused with this error kind.
    Error(fn(&Error) -> bool),
}

const RSA4096: KeyAlgorithm = KeyAlgorithm::Rsa { bits: 4096 };
const RSA2048: KeyAlgorithm = KeyAlgorithm::Rsa { bits: 2048 };
const P384: KeyAlgorithm = KeyAlgorithm::Ec {
    curve: EcCurve::P384,
};

fn check(name: &str, bytes: &[u8], password: &str, expect: &Expect) {
    let result = pkcs12::import(bytes, &Password::new(password), &smime::Limits::default());
    match (expect, result) {
        (Expect::Identity(emails, alg, chain), Ok(id)) => {
            assert_eq!(id.certificate().email_addresses(), *emails, "{name}");
            assert_eq!(id.certificate().key_algorithm(), alg, "{name}");
            assert_eq!(id.chain().len(), *chain, "{name}");
            assert!(id.private_key().matches(id.certificate()), "{name}");
        }
        (Expect::Error(is), Err(e)) => assert!(is(&e), "{name}: unexpected error {e:?}"),
        (expect, got) => panic!("{name}: expected {expect:?}, got {got:?}"),
    }
    if matches!(expect, Expect::Identity(..)) {
        let wrong = pkcs12::import(
            bytes,
            &Password::new("definitely wrong"),
            &smime::Limits::default(),
        );
        assert!(
            matches!(wrong, Err(Error::WrongPassword)),
            "{name}: wrong password gave {wrong:?}"
        );
    }
}

#[test]
fn fixture_copies_of_mimekit_and_thunderbird_bundles() {
    check(
        "mimekit-rsa.pfx",
        &read_fixture("interop/mimekit-rsa.pfx"),
        "no.secret",
        &Expect::Identity(&["rsa@mimekit.net"], RSA4096, 3),
    );
    check(
        "thunderbird-alice.p12",
        &read_fixture("interop/thunderbird-alice.p12"),
        "nss",
        &Expect::Identity(&["Alice@example.com"], RSA2048, 1),
    );
}

#[test]
fn every_pkcs12_file_of_the_shared_corpus() {
    let Some(dir) = corpus() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let no_key: fn(&Error) -> bool = |e| matches!(e, Error::NoPrivateKey);
    let corrupt: fn(&Error) -> bool = |e| matches!(e, Error::CorruptBundle(_));
    let dsa: fn(&Error) -> bool = |e| matches!(e, Error::UnsupportedKey(KeyAlgorithm::Dsa { .. }));
    let cases: &[(&str, &str, Expect)] = &[
        (
            "mimekit/rsa/smime.pfx",
            "no.secret",
            Expect::Identity(&["rsa@mimekit.net"], RSA4096, 3),
        ),
        (
            "mimekit/ec/smime.pfx",
            "no.secret",
            Expect::Identity(&["ec@mimekit.net"], P384, 3),
        ),
        (
            "mimekit/nochain/smime.pfx",
            "no.secret",
            Expect::Identity(&["nochain@mimekit.net"], RSA4096, 0),
        ),
        (
            "mimekit/revoked/smime.pfx",
            "no.secret",
            Expect::Identity(&["revoked@mimekit.net"], RSA4096, 3),
        ),
        (
            "mimekit/revokednochain/smime.pfx",
            "no.secret",
            Expect::Identity(&["revokednochain@mimekit.net"], RSA4096, 0),
        ),
        (
            "mimekit/revokedsubca/smime.pfx",
            "no.secret",
            Expect::Identity(&["revokedsubca@mimekit.net"], RSA4096, 2),
        ),
        // A domain certificate: no e-mail address, DNS names only.
        (
            "mimekit/dnsnames/smime.pfx",
            "no.secret",
            Expect::Identity(&[], RSA4096, 3),
        ),
        // CA bundles import as what they are (a CA certificate and key).
        (
            "mimekit/certificate-authority.pfx",
            "no.secret",
            Expect::Identity(&["root@mimekit.net"], RSA4096, 0),
        ),
        (
            "mimekit/intermediate1.pfx",
            "no.secret",
            Expect::Identity(&[], RSA4096, 1),
        ),
        (
            "mimekit/intermediate2.pfx",
            "no.secret",
            Expect::Identity(&[], RSA4096, 2),
        ),
        (
            "mimekit/revoked-intermediate.pfx",
            "no.secret",
            Expect::Identity(&[], RSA4096, 1),
        ),
        // MimeKit itself lists DSA among the unsupported certificates.
        ("mimekit/dsa/smime.pfx", "no.secret", Expect::Error(dsa)),
        (
            "thunderbird/mailnews-test-data-smime/Alice.p12",
            "nss",
            Expect::Identity(&["Alice@example.com"], RSA2048, 1),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Bob.p12",
            "nss",
            Expect::Identity(&["Bob@example.com"], RSA2048, 1),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Dave.p12",
            "nss",
            Expect::Identity(&["Dave@example.com"], RSA2048, 1),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Eve.p12",
            "nss",
            // The subject DN's Eve@example.com is not among the SAN's
            // addresses: RFC 8550 §3 uses the SAN when present (issue 14).
            Expect::Identity(
                &["eve@example.net", "eve@example.org", "beve@example.com"],
                RSA2048,
                1,
            ),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Alice-ec.p12",
            "nss",
            Expect::Identity(&["Alice-ec@example.com"], P384, 1),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Fran.p12",
            "nss",
            Expect::Identity(&["Fran@example.com"], RSA2048, 0),
        ),
        (
            "thunderbird/mailnews-test-data-smime/Fran-ec.p12",
            "nss",
            Expect::Identity(&["Fran-ec@example.com"], P384, 0),
        ),
        (
            "thunderbird/mailnews-test-data-smime-interop/Fran.p12",
            "nss",
            Expect::Identity(&["Fran@example.com"], RSA2048, 0),
        ),
        (
            "thunderbird/mailnews-test-data-smime-interop/Fran-ec.p12",
            "nss",
            Expect::Identity(&["Fran-ec@example.com"], P384, 0),
        ),
        // Certificates only, RC2-40 and 3DES bags.
        (
            "openssl/test/certs/v3-certs-RC2.p12",
            "v3-certs",
            Expect::Error(no_key),
        ),
        (
            "openssl/test/certs/v3-certs-TDES.p12",
            "v3-certs",
            Expect::Error(no_key),
        ),
        // Malformed files from OpenSSL's own test suite (empty password).
        (
            "openssl/test/recipes/80-test_pkcs12_data/bad1.p12",
            "",
            Expect::Error(corrupt),
        ),
        (
            "openssl/test/recipes/80-test_pkcs12_data/bad2.p12",
            "",
            Expect::Error(corrupt),
        ),
        (
            "openssl/test/recipes/80-test_pkcs12_data/bad3.p12",
            "",
            Expect::Error(corrupt),
        ),
    ];
    for (rel, password, expect) in cases {
        let bytes = std::fs::read(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        check(rel, &bytes, password, expect);
    }
}
