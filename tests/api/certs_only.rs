//! Certificates exchanged the S/MIME way (RFC 8551 §3.6.2): certs-only
//! messages and PKCS#7 bundles read in every form peers write them (DER,
//! BER, PEM, base64 MIME, `openssl crl2pkcs7` output), built for
//! `export-certs`, and reported by verify as "no signers".

use crate::common::peers::{f, openssl};
use crate::common::{cert, openssl_cli, root};

use smime::{
    CertificateError, Error, Limits, Problem, VerifyOptions, certs_only, certs_only_der,
    read_certificates, verify, verify_stream,
};

#[test]
fn our_certs_only_message_reads_back_in_every_form() {
    let certs = [cert("alice"), cert("bob"), root()];
    let message = certs_only(&certs).unwrap();
    assert!(smime_type(&message).contains("smime-type=certs-only"));
    let der = certs_only_der(&certs).unwrap();
    let pem = format!(
        "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
    );
    for (form, bytes) in [
        ("MIME", message.clone()),
        ("DER", der.clone()),
        ("PEM", pem.into_bytes()),
    ] {
        let read = read_certificates(&bytes, &Limits::default()).unwrap();
        assert_eq!(read.len(), 3, "{form}");
        for c in &certs {
            assert!(read.contains(c), "{form}: {} missing", c.subject());
        }
    }
}

fn smime_type(message: &[u8]) -> String {
    String::from_utf8_lossy(message)
        .lines()
        .find(|l| l.starts_with("Content-Type:"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn openssl_crl2pkcs7_bundles_read_in_der_and_pem() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for form in ["DER", "PEM"] {
        let out = openssl(
            &[
                "crl2pkcs7",
                "-nocrl",
                "-certfile",
                &f("certs/alice.pem"),
                "-certfile",
                &f("ca/chain.pem"),
                "-outform",
                form,
            ],
            tmp.path(),
        )
        .unwrap();
        let read = read_certificates(&out, &Limits::default()).unwrap();
        assert!(read.contains(&cert("alice")), "{form}");
        assert!(read.contains(&root()), "{form}");
        assert!(read.len() >= 3, "{form}: {}", read.len());
    }
}

#[test]
fn plain_certificates_still_read() {
    let pem = crate::common::read_fixture("certs/alice.pem");
    assert_eq!(
        read_certificates(&pem, &Limits::default()).unwrap(),
        [cert("alice")]
    );
    let der = crate::common::read_fixture("certs/alice.der");
    assert_eq!(
        read_certificates(&der, &Limits::default()).unwrap(),
        [cert("alice")]
    );
}

#[test]
fn what_holds_no_certificate_is_a_typed_error() {
    for bytes in [
        &b"hello"[..],
        b"Content-Type: text/plain\r\n\r\nhi\r\n",
        &certs_only(&[]).unwrap(),
    ] {
        let err = read_certificates(bytes, &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidCertificate(CertificateError::NoCertificates)
            ),
            "{err:?}"
        );
    }
    // An envelope is CMS, but not a certificate bundle.
    let sealed = smime::encrypt(
        b"Content-Type: text/plain\r\n\r\nhi\r\n",
        &[cert("bob")],
        &smime::EncryptOptions::default(),
    )
    .unwrap();
    assert!(matches!(
        read_certificates(&sealed, &Limits::default()),
        Err(Error::InvalidCms(
            smime::CmsError::UnexpectedContentType { .. }
        ))
    ));
}

#[test]
fn too_many_certificates_are_refused_by_the_limit() {
    let certs = vec![cert("alice"), cert("bob"), cert("carol")];
    let mut limits = Limits::default();
    limits.max_certificates = 2;
    let err = read_certificates(&certs_only(&certs).unwrap(), &limits).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_certificates",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn verify_reports_a_certs_only_message_as_no_signers() {
    let message = certs_only(&[cert("alice"), root()]).unwrap();
    let options = VerifyOptions::new(&[root()]);
    let report = verify(&message, &options).unwrap();
    assert!(!report.valid);
    assert!(report.signers.is_empty());
    assert!(
        report.problems.contains(&Problem::NoSigners),
        "{:?}",
        report.problems
    );
    let mut content = Vec::new();
    let streamed = verify_stream(&message[..], &mut content, &options).unwrap();
    assert!(!streamed.valid);
    assert!(streamed.problems.contains(&Problem::NoSigners));
    assert!(content.is_empty());
}

#[test]
fn read_certs_only_takes_bundles_and_refuses_signed_messages() {
    let certs = [cert("alice"), root()];
    for bundle in [certs_only(&certs).unwrap(), certs_only_der(&certs).unwrap()] {
        assert_eq!(
            smime::read_certs_only(&bundle, &Limits::default())
                .unwrap()
                .len(),
            2
        );
    }
    let alice = crate::common::identity("alice");
    let options = smime::SignOptions::default().opaque();
    let signed = smime::sign(b"Subject: hi\r\n\r\nhi\r\n", &alice, &options).unwrap();
    // read_certificates still reads a signed message's certificates.
    assert!(
        !read_certificates(&signed, &Limits::default())
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        smime::read_certs_only(&signed, &Limits::default()),
        Err(Error::InvalidCertificate(CertificateError::NotCertsOnly))
    ));
}
