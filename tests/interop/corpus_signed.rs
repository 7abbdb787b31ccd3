//! Signed messages written by other clients (Thunderbird/NSS, MimeKit's
//! real-world samples) verify as the corpus MANIFEST says. A few are copied
//! into fixtures/interop and always run; the whole corpus runs when
//! `../shared/corpus` is present.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::common::{corpus, read_fixture};
use smime::{
    Certificate, ChainStatus, Coverage, DigestAlgorithm, Error, Named, SignatureFailure,
    SignatureStatus, VerifyOptions, VerifyReport, Weakness, verify,
};

fn tb_ca_from_fixture() -> Certificate {
    Certificate::from_pem(&read_fixture("interop/thunderbird-TestCA.pem")).unwrap()
}

fn run(bytes: &[u8], options: &VerifyOptions) -> VerifyReport {
    verify(bytes, options).unwrap()
}

fn assert_good(name: &str, report: &VerifyReport) {
    assert!(report.valid, "{name}: {report:#?}");
    assert_eq!(report.signers.len(), 1, "{name}");
    assert_eq!(report.signers[0].emails(), ["Alice@example.com"], "{name}");
    assert_eq!(report.signers[0].from_matches, Some(true), "{name}");
    let text = String::from_utf8_lossy(&report.content);
    assert!(
        text.contains("This is a test message from Alice to Bob."),
        "{name}: {text}"
    );
}

#[test]
fn thunderbird_fixture_copies() {
    let options = VerifyOptions::new(&[tb_ca_from_fixture()]);
    for name in [
        "thunderbird-alice.dsig.SHA256.multipart.eml",
        "thunderbird-alice.sig.SHA256.opaque.eml",
    ] {
        assert_good(
            name,
            &run(&read_fixture(&format!("interop/{name}")), &options),
        );
    }
    let bad = run(
        &read_fixture("interop/thunderbird-alice.dsig.SHA256.multipart.bad.eml"),
        &options,
    );
    assert!(!bad.valid);
    assert!(
        bad.signers[0].signature == SignatureStatus::Invalid(SignatureFailure::DigestMismatch),
        "{:?}",
        bad.signers[0].signature
    );
}

#[test]
fn as2_message_with_bare_lf_is_hashed_byte_exact() {
    // MimeKit TestSecureMimeVerifyMixedLineEndings: raw binary DER signature
    // part, first part ending in a bare LF. Valid only if hashed as received.
    let report = run(
        &read_fixture("interop/mimekit-as2-mixed-line-endings.dat"),
        &VerifyOptions::new(&[]),
    );
    assert_eq!(report.signers.len(), 1);
    assert_eq!(
        report.signers[0].signature,
        SignatureStatus::Valid,
        "{report:#?}"
    );
    assert!(
        report.signers[0]
            .weaknesses
            .contains(&Weakness::Digest(Named::Known(DigestAlgorithm::Sha1)))
    );
    assert!(!report.valid, "no trust anchor, SHA-1: not valid");
}

fn tb(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join("thunderbird/mailnews-test-data-smime").join(name)).unwrap()
}

#[test]
fn thunderbird_corpus() {
    let Some(dir) = corpus() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let ca = Certificate::from_pem(&tb(&dir, "TestCA.pem")).unwrap();
    let options = VerifyOptions::new(std::slice::from_ref(&ca));
    for sha in ["SHA256", "SHA384", "SHA512"] {
        for form in [
            format!("alice.dsig.{sha}.multipart.eml"),
            format!("alice.sig.{sha}.opaque.eml"),
        ] {
            assert_good(&form, &run(&tb(&dir, &form), &options));
        }
        let bad = run(
            &tb(&dir, &format!("alice.dsig.{sha}.multipart.bad.eml")),
            &options,
        );
        assert!(!bad.valid, "{sha} bad");
        assert!(
            matches!(bad.signers[0].signature, SignatureStatus::Invalid(_)),
            "{sha} bad"
        );
        // Johnny CMS class: embedded eContent differs from the MIME content.
        let confused = run(
            &tb(
                &dir,
                &format!("alice.dsig.{sha}.multipart.mismatch-econtent.eml"),
            ),
            &options,
        );
        assert!(!confused.valid, "{sha} mismatch-econtent: {confused:#?}");
        // Encrypted layers need decryption first.
        let env = verify(
            &tb(&dir, &format!("alice.sig.{sha}.opaque.env.eml")),
            &options,
        );
        assert!(matches!(env, Err(Error::Encrypted)), "{sha} env: {env:?}");
    }
    // SHA-1: cryptographically fine, weak by policy (Thunderbird 115 too).
    for name in ["alice.dsig.SHA1.multipart.eml", "alice.sig.SHA1.opaque.eml"] {
        let report = run(&tb(&dir, name), &options);
        assert!(!report.valid, "{name}");
        assert_eq!(
            report.signers[0].signature,
            SignatureStatus::Valid,
            "{name}"
        );
        assert!(!report.signers[0].weaknesses.is_empty(), "{name}");
        assert_good(name, &run(&tb(&dir, name), &options.clone().allow_weak()));
    }
    // Date 6 h after signingTime: the signature itself is valid.
    assert_good(
        "future",
        &run(
            &tb(&dir, "alice.future.dsig.SHA256.multipart.eml"),
            &options,
        ),
    );
    // Dave (From: Dave) signed a message that holds Alice's signed message:
    // the report is about the outer signature, Dave's, over the whole body.
    let outer = run(
        &tb(
            &dir,
            "alice.plain.dsig.SHA256.multipart.dave.dsig.SHA256.multipart.eml",
        ),
        &options,
    );
    assert_eq!(outer.signers[0].signature, SignatureStatus::Valid);
    assert_eq!(outer.signers[0].emails(), ["Dave@example.com"]);
    assert_eq!(outer.signers[0].from_matches, Some(true));
    assert_eq!(outer.coverage, Coverage::WholeBody);
    assert!(outer.valid);
    assert!(
        String::from_utf8_lossy(&outer.content).contains("multipart/signed"),
        "the inner signed message is the content"
    );
}

#[test]
fn thunderbird_24_real_message_as_of_its_signing_day() {
    let Some(dir) = corpus() else {
        println!("skipped: ../shared/corpus is absent");
        return;
    };
    let message = std::fs::read(dir.join("mimekit/thunderbird-signed.txt")).unwrap();
    let startcom = Certificate::all_from_pem_or_der(
        &std::fs::read(dir.join("mimekit/StartComCertificationAuthority.crt")).unwrap(),
    )
    .unwrap();
    let day = SystemTime::UNIX_EPOCH + Duration::from_secs(1_383_436_800); // 2013-11-03
    let then = run(
        &message,
        &VerifyOptions::new(&startcom).at(day).allow_weak(),
    );
    assert!(then.valid, "{then:#?}");
    assert_eq!(then.signers[0].emails(), ["fejj@gnome.org"]);
    let now = run(&message, &VerifyOptions::new(&startcom).allow_weak());
    assert_eq!(now.signers[0].signature, SignatureStatus::Valid);
    assert_eq!(now.signers[0].chain, ChainStatus::Expired);
    assert!(!now.valid);
}
