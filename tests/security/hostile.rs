//! Hostile inputs found in review (fixtures/hostile): each is refused with
//! the right error, quickly, and without any panic — not even one caught
//! inside a dependency.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::common::{PASSWORD, read_fixture};
use smime::{BundleError, Certificate, Error, KeyAlgorithm, Password, pkcs12};

static PANICS: AtomicUsize = AtomicUsize::new(0);

fn import(rel: &str) -> smime::Result<smime::Identity> {
    pkcs12::import(
        &read_fixture(rel),
        &Password::new(PASSWORD),
        &smime::Limits::default(),
    )
}

// One test function: the panic hook is process-wide.
#[test]
fn hostile_bundles_are_refused_quickly_and_without_panics() {
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        eprintln!("panic: {info}");
    }));

    let started = Instant::now();
    let err = import("hostile/bigiter.p12").unwrap_err();
    assert!(
        matches!(
            &err,
            Error::LimitExceeded {
                limit: "max_pkcs12_iterations",
                max: 10_000_000
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed().as_secs() < 5,
        "the iteration limit must act before any derivation"
    );

    let err = import("hostile/nomac.p12").unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedBundle(BundleError::NoMac)),
        "{err:?}"
    );

    let err = import("hostile/twokeys.p12").unwrap_err();
    assert!(
        matches!(&err, Error::UnsupportedBundle(BundleError::SeveralKeys(2))),
        "{err:?}"
    );

    // A non-conformant EncryptedData version under a valid MAC: refused
    // before the `p12` crate (whose debug_assert! it would trip) sees it.
    let err = import("hostile/ver1.p12").unwrap_err();
    assert!(matches!(err, Error::CorruptBundle(_)), "{err:?}");

    let _ = std::panic::take_hook();
    assert_eq!(
        PANICS.load(Ordering::SeqCst),
        0,
        "a dependency panicked on hostile input"
    );
}

#[test]
fn rsa_pss_certificates_can_sign_but_never_be_encrypted_to() {
    let pss = Certificate::from_pem(&read_fixture("hostile/rsa-pss-cert.pem")).unwrap();
    assert_eq!(pss.key_algorithm(), &KeyAlgorithm::RsaPss { bits: 2048 });
    assert!(!pss.can_decrypt());
}

#[test]
fn fingerprints_accept_hex_digits_only() {
    let good = "ab".repeat(32);
    assert!(good.parse::<smime::Fingerprint>().is_ok());
    let plus = format!("+f{}", "ab".repeat(31));
    assert!(matches!(
        plus.parse::<smime::Fingerprint>(),
        Err(smime::InvalidFingerprint { .. })
    ));
}

#[test]
fn fuzzer_found_bundles_are_refused_without_reaching_p12_asserts() {
    // AFL++ (fuzz/run.sh pkcs12) found inputs that tripped debug_assert!s
    // inside the `p12` crate (EncryptedData version, EncryptedContentInfo
    // content type); the guard in src/pkcs12/mod.rs now refuses them before
    // `p12` sees them. These two reproduce the two assert sites.
    for rel in ["hostile/ver1.p12", "hostile/eci-not-data.p12"] {
        let result = pkcs12::import(
            &read_fixture(rel),
            &Password::new(PASSWORD),
            &smime::Limits::default(),
        );
        assert!(
            matches!(
                result,
                Err(Error::CorruptBundle(_) | Error::WrongPassword | Error::UnsupportedBundle(_))
            ),
            "{rel}: {result:?}"
        );
    }
}
