//! Issue 14, path validation and algorithm policy: the S/MIME signing
//! purpose on every certificate of the path (as `openssl cms -verify
//! -purpose smimesign`, anyExtendedKeyUsage accepted), weak digests and
//! keys anywhere on the path, absurd keys, and signatureAlgorithm bound
//! to the signer's key. Both entry points on each case.

use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::X509;

use crate::common::pki::{Key, Spec, both, edit_signed_data, fixture_root, identity_of, issue};
use crate::common::{identity, root};
use smime::{
    CertificateDigest, ChainFailure, ChainStatus, EcCurve, Named, SignOptions, SignatureAlgorithm,
    SignatureFailure, SignatureStatus, VerifyOptions, VerifyReport, Weakness, sign,
};

const MESSAGE: &[u8] =
    b"From: leaf@example.org\r\nContent-Type: text/plain\r\n\r\nPay invoice 1234.\r\n";

/// A sub-CA of the fixture root shaped by `sub`, a leaf under it shaped
/// by `leaf`; the message signed by the leaf (detached, opaque), and the
/// sub-CA.
fn chain_of(sub: Spec<'_>, leaf: Spec<'_>) -> ([Vec<u8>; 2], X509) {
    let (root_cert, root_key) = fixture_root();
    let (sub_cert, sub_key) = issue(&sub, Some((&root_cert, &root_key)));
    let (leaf_cert, leaf_key) = issue(&leaf, Some((&sub_cert, &sub_key)));
    let id = identity_of(&leaf_key, &leaf_cert, std::slice::from_ref(&sub_cert));
    let messages = [SignOptions::default(), SignOptions::default().opaque()]
        .map(|options| sign(MESSAGE, &id, &options).unwrap());
    (messages, sub_cert)
}

fn leaf(serial: u32) -> Spec<'static> {
    Spec::leaf("leaf", "leaf@example.org", serial)
}

fn fingerprint(x: &X509) -> smime::Fingerprint {
    smime::Certificate::from_der(&x.to_der().unwrap())
        .unwrap()
        .fingerprint()
}

fn anchors() -> VerifyOptions {
    VerifyOptions::new(&[root()])
}

/// Case 2: a leaf issued by a sub-CA whose extended key usage is
/// serverAuth only. `openssl cms -verify -purpose smimesign` says
/// "unsuitable certificate purpose"; so do we now:
/// `Untrusted(InvalidPurpose)`, naming the sub-CA at depth 1 (before:
/// `trusted`, valid). Controls: a sub-CA with emailProtection, with
/// anyExtendedKeyUsage (which OpenSSL 3.0 refuses and RFC 5280 allows),
/// or without the extension is trusted.
#[test]
fn intermediate_without_email_protection_is_an_invalid_purpose() {
    let mut server = Spec::ca("server-only sub-CA", 0x52_0001);
    server.eku = Some(vec!["serverAuth"]);
    let (messages, sub) = chain_of(server, leaf(0x52_0101));
    for message in messages {
        let report = both(&message, &anchors());
        let s = &report.signers[0];
        assert!(!report.valid);
        assert_eq!(s.signature, SignatureStatus::Valid);
        assert_eq!(
            s.chain,
            ChainStatus::Untrusted(ChainFailure::InvalidPurpose)
        );
        let at = s.chain_certificate.expect("the offending certificate");
        assert_eq!((at.depth, at.fingerprint), (1, fingerprint(&sub)));
        assert_eq!(s.path.len(), 3, "leaf, sub-CA, root");
    }
    // Another failure on the path names its certificate too: an expired
    // sub-CA is `Expired` at depth 1.
    let mut expired = Spec::ca("expired sub-CA", 0x52_0003);
    expired.not_before_days = -30;
    expired.not_after_days = -1;
    let (messages, sub) = chain_of(expired, leaf(0x52_0103));
    let report = both(&messages[0], &anchors());
    assert_eq!(report.signers[0].chain, ChainStatus::Expired);
    let at = report.signers[0].chain_certificate.unwrap();
    assert_eq!((at.depth, at.fingerprint), (1, fingerprint(&sub)));
    for (label, eku) in [
        ("emailProtection", Some(vec!["emailProtection"])),
        ("anyExtendedKeyUsage", Some(vec!["anyExtendedKeyUsage"])),
        (
            "serverAuth and anyExtendedKeyUsage",
            Some(vec!["serverAuth", "anyExtendedKeyUsage"]),
        ),
        ("no EKU", None),
    ] {
        let mut sub = Spec::ca("fine sub-CA", 0x52_0002);
        sub.eku = eku;
        let (messages, _) = chain_of(sub, leaf(0x52_0102));
        for message in messages {
            let report = both(&message, &anchors());
            assert!(report.valid, "{label}: {report:#?}");
            assert_eq!(report.signers[0].chain_certificate, None);
        }
    }
}

fn weak(report: &VerifyReport, w: &Weakness) -> bool {
    report.signers[0].weaknesses.contains(w)
}

/// Case 3: weak algorithms on the path. A SHA-1-signed sub-CA, an
/// MD5-signed leaf, an RSA-1024 sub-CA key and a P-224 leaf key are each a
/// typed `Weakness` at its depth, and not valid unless `allow_weak`
/// (before: valid, no weakness). Control: a root whose own self-signature
/// is SHA-1 is fine when it is the trust anchor.
#[test]
fn weak_digests_and_keys_on_the_path_are_weaknesses() {
    let mut sha1_sub = Spec::ca("sha1 sub-CA", 0x53_0001);
    sha1_sub.digest = MessageDigest::sha1();
    let mut md5_leaf = leaf(0x53_0101);
    md5_leaf.digest = MessageDigest::md5();
    let mut small_sub = Spec::ca("rsa1024 sub-CA", 0x53_0002);
    small_sub.key = Key::Rsa(1024);
    let mut p224_leaf = leaf(0x53_0102);
    p224_leaf.key = Key::Ec(Nid::SECP224R1);
    let cases = [
        (
            "SHA-1-signed sub-CA",
            chain_of(sha1_sub, leaf(0x53_0103)).0,
            Weakness::CertificateDigest {
                depth: 1,
                digest: CertificateDigest::Sha1,
            },
        ),
        (
            "MD5-signed leaf",
            chain_of(Spec::ca("sub", 0x53_0003), md5_leaf).0,
            Weakness::CertificateDigest {
                depth: 0,
                digest: CertificateDigest::Md5,
            },
        ),
        (
            "RSA-1024 sub-CA",
            chain_of(small_sub, leaf(0x53_0104)).0,
            Weakness::RsaKey {
                depth: 1,
                bits: 1024,
            },
        ),
        (
            "P-224 leaf",
            chain_of(Spec::ca("sub", 0x53_0004), p224_leaf).0,
            Weakness::EcCurve {
                depth: 0,
                curve: EcCurve::Other("secp224r1".to_owned()),
            },
        ),
    ];
    for (label, messages, weakness) in cases {
        for message in messages {
            let report = both(&message, &anchors());
            assert!(!report.valid, "{label}");
            assert_eq!(report.signers[0].chain, ChainStatus::Trusted, "{label}");
            assert!(
                weak(&report, &weakness),
                "{label}: {:?}",
                report.signers[0].weaknesses
            );
            let allowed = both(&message, &anchors().allow_weak());
            assert!(allowed.valid, "{label} with allow_weak: {allowed:#?}");
        }
    }

    // A SHA-1 self-signed root as trust anchor: its self-signature is not
    // what makes it trusted.
    let mut root_spec = Spec::ca("sha1 root", 0x53_0005);
    root_spec.digest = MessageDigest::sha1();
    let (sha1_root, sha1_root_key) = issue(&root_spec, None);
    let (sub, sub_key) = issue(
        &Spec::ca("sub", 0x53_0006),
        Some((&sha1_root, &sha1_root_key)),
    );
    let (cert, key) = issue(&leaf(0x53_0105), Some((&sub, &sub_key)));
    let id = identity_of(&key, &cert, std::slice::from_ref(&sub));
    let anchor = smime::Certificate::from_der(&sha1_root.to_der().unwrap()).unwrap();
    let report = both(
        &sign(MESSAGE, &id, &SignOptions::default()).unwrap(),
        &VerifyOptions::new(&[anchor]),
    );
    assert!(report.valid, "{report:#?}");
    assert!(report.signers[0].weaknesses.is_empty());
}

/// Case 3, absurd keys: a signer certificate with a 17 000-bit RSA
/// modulus is refused before any RSA work (`KeyTooLarge`, signature
/// invalid) and `Weakness::KeyTooLarge` keeps the message not valid even
/// with `allow_weak`.
#[test]
fn an_absurd_rsa_key_is_refused_even_with_allow_weak() {
    let (root_cert, root_key) = fixture_root();
    let (sub, sub_key) = issue(&Spec::ca("sub", 0x54_0001), Some((&root_cert, &root_key)));
    let (cert, key) = issue(&leaf(0x54_0101), Some((&sub, &sub_key)));
    let id = identity_of(&key, &cert, std::slice::from_ref(&sub));
    // Same issuer and serial, a huge public key: the SignerInfo names it.
    let mut n = BigNum::new().unwrap();
    n.rand(17_000, openssl::bn::MsbOption::ONE, true).unwrap();
    let e = BigNum::from_u32(65_537).unwrap();
    let huge = PKey::from_rsa(Rsa::from_public_components(n, e).unwrap()).unwrap();
    let public = PKey::public_key_from_der(&huge.public_key_to_der().unwrap()).unwrap();
    let mut spec = leaf(0x54_0101);
    spec.public_key = Some(public);
    let (absurd, _) = issue(&spec, Some((&sub, &sub_key)));
    let absurd = x509_cert::Certificate::from_der(&absurd.to_der().unwrap()).unwrap();
    use der::Decode;
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let signed = sign(MESSAGE, &id, &options).unwrap();
        let forged = edit_signed_data(&signed, |sd| {
            let set = sd.certificates.as_mut().unwrap();
            let mut certs: Vec<_> = set.0.iter().cloned().collect();
            certs[0] = cms::cert::CertificateChoices::Certificate(absurd.clone());
            set.0 = certs.try_into().unwrap();
        });
        for verify_options in [anchors(), anchors().allow_weak()] {
            let report = both(&forged, &verify_options);
            let s = &report.signers[0];
            assert!(!report.valid);
            assert_eq!(
                s.signature,
                SignatureStatus::Invalid(SignatureFailure::KeyTooLarge { bits: 17_000 })
            );
            assert!(
                s.weaknesses.contains(&Weakness::KeyTooLarge {
                    depth: 0,
                    bits: 17_000
                }),
                "{:?}",
                s.weaknesses
            );
        }
    }
}

/// Case 4: signatureAlgorithm bound to the key. alice's RSA signature
/// relabelled ecdsa-with-SHA256, and carol's ECDSA signature relabelled
/// sha256WithRSAEncryption: `Invalid(KeyMismatch)`, and the report never
/// names the label as the algorithm (before: RSA labelled ECDSA verified
/// and was reported as ECDSA).
#[test]
fn a_signature_algorithm_that_does_not_fit_the_key_fails() {
    const ECDSA_SHA256: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    const SHA256_RSA: const_oid::ObjectIdentifier =
        const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    for (signer, label, oid, from) in [
        (
            "alice",
            SignatureAlgorithm::Ecdsa,
            ECDSA_SHA256,
            "alice@example.org",
        ),
        (
            "carol",
            SignatureAlgorithm::RsaPkcs1v15,
            SHA256_RSA,
            "carol@example.org",
        ),
    ] {
        let message = format!("From: {from}\r\nContent-Type: text/plain\r\n\r\nHi\r\n");
        for options in [SignOptions::default(), SignOptions::default().opaque()] {
            let signed = sign(message.as_bytes(), &identity(signer), &options).unwrap();
            assert!(both(&signed, &anchors()).valid, "control {signer}");
            let relabelled = edit_signed_data(&signed, |sd| {
                let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
                infos[0].signature_algorithm.oid = oid;
                infos[0].signature_algorithm.parameters = None;
                sd.signer_infos.0 = infos.try_into().unwrap();
            });
            let report = both(&relabelled, &anchors());
            let s = &report.signers[0];
            assert!(!report.valid, "{signer}");
            assert_eq!(
                s.signature,
                SignatureStatus::Invalid(SignatureFailure::KeyMismatch { label }),
                "{signer}"
            );
            assert_ne!(s.signature_algorithm, Named::Known(label), "{signer}");
        }
    }
}
