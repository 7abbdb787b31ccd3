//! Hostile messages crafted at test time (issue 15, items 5–7), and the
//! writer of their copies in `fixtures/hostile/` (for the fuzz corpus and
//! for measuring the CLI with `/usr/bin/time -v`):
//!
//! ```text
//! SMIME_WRITE_HOSTILE=1 cargo test --test security crafted::write -- --ignored
//! ```

use der::Decode;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};

use crate::common::pki::edit_signed_data;
use crate::common::{identity, read_fixture};
use smime::SignOptions;

/// A public RSA key of `bits` with exponent `e`. Nothing but its public
/// operation is ever used, so the modulus is any odd number with its top
/// bit set: no prime search (an RSA-16384 key pair takes minutes).
fn public_rsa(bits: i32, e: &BigNum) -> PKey<openssl::pkey::Public> {
    let mut n = BigNum::new().unwrap();
    n.rand(bits, MsbOption::ONE, true).unwrap();
    let e = BigNum::from_slice(&e.to_vec()).unwrap();
    PKey::from_rsa(Rsa::from_public_components(n, e).unwrap()).unwrap()
}

/// `alice`'s signed message with its certificates replaced by `certs`
/// certificates that all claim her issuer and serial number (each with a
/// key of `bits` and exponent `e`), and its one SignerInfo by `signers`
/// copies with signatures that verify under none of them: every signer
/// tries every certificate.
pub fn signer_flood(signers: usize, certs: usize, bits: i32, e: &BigNum) -> Vec<u8> {
    signer_flood_with(signers, certs, (bits as usize).div_ceil(8), None, &|| {
        public_rsa(bits, e)
    })
}

/// [`signer_flood`] with keys from `key`, signatures of `signature_len`
/// bytes, and the SignerInfos' signatureAlgorithm replaced by `label`.
pub fn signer_flood_with(
    signers: usize,
    certs: usize,
    signature_len: usize,
    label: Option<const_oid::ObjectIdentifier>,
    key: &dyn Fn() -> PKey<openssl::pkey::Public>,
) -> Vec<u8> {
    let signed = smime::sign(
        b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nhello\r\n",
        &identity("alice"),
        &SignOptions::default(),
    )
    .unwrap();
    let alice = X509::from_pem(&read_fixture("certs/alice.pem")).unwrap();
    let ca = PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap();
    let forged: Vec<x509_cert::Certificate> = (0..certs)
        .map(|i| {
            let mut name = X509NameBuilder::new().unwrap();
            name.append_entry_by_text("CN", &format!("flood {i}"))
                .unwrap();
            let mut b = X509::builder().unwrap();
            b.set_version(2).unwrap();
            b.set_serial_number(alice.serial_number()).unwrap();
            b.set_issuer_name(alice.issuer_name()).unwrap();
            b.set_subject_name(&name.build()).unwrap();
            b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
                .unwrap();
            b.set_not_after(&Asn1Time::days_from_now(3650).unwrap())
                .unwrap();
            b.set_pubkey(&key()).unwrap();
            b.sign(&ca, MessageDigest::sha256()).unwrap();
            x509_cert::Certificate::from_der(&b.build().to_der().unwrap()).unwrap()
        })
        .collect();
    edit_signed_data(&signed, |sd| {
        let choices = forged
            .into_iter()
            .map(cms::cert::CertificateChoices::Certificate)
            .collect::<Vec<_>>();
        sd.certificates = Some(cms::signed_data::CertificateSet(
            der::asn1::SetOfVec::try_from(choices).unwrap(),
        ));
        let alice_si = sd.signer_infos.0.iter().next().unwrap().clone();
        let infos = (0..signers)
            .map(|i| {
                let mut si = alice_si.clone();
                // As long as the modulus and below it (OpenSSL checks both
                // before its modular exponentiation), distinct per signer.
                if let Some(oid) = label {
                    si.signature_algorithm.oid = oid;
                    si.signature_algorithm.parameters = None;
                }
                let mut signature = vec![0x5a; signature_len];
                signature[0] = 0x01;
                signature[1..9].copy_from_slice(&(i as u64).to_be_bytes());
                si.signature = der::asn1::OctetString::new(signature).unwrap();
                si
            })
            .collect::<Vec<_>>();
        sd.signer_infos =
            cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
    })
}

/// Issue 15 item 6: `levels` nested `multipart/mixed` parts, each with a
/// Content-Type of `params` parameters of `value_len` bytes (folded into
/// lines a transport keeps), around one text part.
pub fn nested_params(levels: usize, params: usize, value_len: usize) -> Vec<u8> {
    let value = "v".repeat(value_len);
    let mut message = b"Content-Type: text/plain\r\n\r\nhello\r\n".to_vec();
    for level in (0..levels).rev() {
        let mut head = format!("Content-Type: multipart/mixed; boundary=b{level}");
        for i in 0..params {
            head.push_str(&format!(";\r\n\tp{i}={value}"));
        }
        let mut outer = head.into_bytes();
        outer.extend_from_slice(format!("\r\n\r\n--b{level}\r\n").as_bytes());
        outer.extend_from_slice(&message);
        outer.extend_from_slice(format!("\r\n--b{level}--\r\n").as_bytes());
        message = outer;
    }
    message
}

/// The exponent of the issue's input: 64 bits (OpenSSL accepts up to 64
/// bits for moduli above 3072 bits).
pub fn exponent_64() -> BigNum {
    BigNum::from_hex_str("FFFFFFFFFFFFFFC5").unwrap()
}

/// Writes the crafted inputs to `fixtures/hostile/` (see the module
/// documentation); ignored unless asked for.
#[test]
#[ignore = "writes fixtures; run with SMIME_WRITE_HOSTILE=1 and --ignored"]
fn write() {
    if std::env::var_os("SMIME_WRITE_HOSTILE").is_none() {
        println!("skipped: SMIME_WRITE_HOSTILE is not set");
        return;
    }
    let dir = crate::common::fixture("hostile");
    // Existing inputs are kept (they are random; a fixture should not
    // change under the fuzz corpus): delete one to write it anew.
    let put = |name: &str, bytes: &dyn Fn() -> Vec<u8>| {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(path, bytes()).unwrap();
        }
    };
    // Issue 15 item 5: 16 SignerInfos × 64 certificates sharing one
    // issuer/serial, RSA-16384 with a 64-bit public exponent.
    put("signer-flood.eml", &|| {
        signer_flood(16, 64, 16384, &exponent_64())
    });
    // Issue 15 item 6, small: 3 levels of 10 000 parameters each.
    put("nested-params.eml", &|| nested_params(3, 10_000, 1));
    // And the 30 MB one of the issue, for measuring only (not committed).
    if let Some(big) = std::env::var_os("SMIME_WRITE_BIG") {
        let big = std::path::Path::new(&big);
        std::fs::write(
            big.join("nested-params-30mb.eml"),
            nested_params(30, 48_000, 10),
        )
        .unwrap();
        // Within max_header_params (120 per field) but 30 × 960 KB of
        // headers: max_header_bytes.
        std::fs::write(
            big.join("nested-long-params-30mb.eml"),
            nested_params(30, 120, 8000),
        )
        .unwrap();
        // The budget's worst case: exponents within the bound (2³²+1), so
        // every candidate costs an RSA-16384 operation until the budget
        // is spent.
        std::fs::write(
            big.join("signer-flood-f5.eml"),
            signer_flood(16, 64, 16384, &BigNum::from_hex_str("100000001").unwrap()),
        )
        .unwrap();
    }
    // Review of issue 15, finding 1: 16 signers under a fake RSA-16384
    // "CA" with a 64-bit exponent, and 64 CRLs claiming that CA.
    put("crl-flood.eml", &|| crl_flood(16, 64));
    // Issue 15 items 5 and 7: AES-256-CBC for bob, its RecipientInfo
    // naming mallory (a client writing wrong identifiers): only trial
    // decryption opens it.
    put("wrong-recipient-id.eml", &|| {
        let sealed = smime::encrypt(
            b"Content-Type: text/plain\r\n\r\nfound by trial decryption\r\n",
            &[crate::common::cert("bob")],
            &smime::EncryptOptions::default(),
        )
        .unwrap();
        crate::security::attacks::mislabelled(&sealed, &identity("mallory"))
    });
}

/// `ncrl` complete CRLs named as issued by `issuer`, each with a
/// signature that verifies under no key.
fn junk_crls(issuer: &openssl::x509::X509NameRef, ncrl: usize) -> Vec<Vec<u8>> {
    use der::Encode;
    let issuer = x509_cert::name::Name::from_der(&issuer.to_der().unwrap()).unwrap();
    let alg = x509_cert::spki::AlgorithmIdentifierOwned {
        oid: const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: Some(der::Any::from(der::asn1::Null)),
    };
    let now = x509_cert::time::Time::UtcTime(
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(1_700_000_000))
            .unwrap(),
    );
    (0..ncrl)
        .map(|i| {
            let mut sig = vec![0x5a; 2048];
            sig[0] = 0x01;
            sig[1..9].copy_from_slice(&(i as u64).to_be_bytes());
            x509_cert::crl::CertificateList {
                tbs_cert_list: x509_cert::crl::TbsCertList {
                    version: x509_cert::Version::V2,
                    signature: alg.clone(),
                    issuer: issuer.clone(),
                    this_update: now,
                    next_update: None,
                    revoked_certificates: None,
                    crl_extensions: None,
                },
                signature_algorithm: alg.clone(),
                signature: der::asn1::BitString::from_bytes(&sig).unwrap(),
            }
            .to_der()
            .unwrap()
        })
        .collect()
}

/// The security review's CRL flood: `signers` SignerInfos naming a
/// signer certificate that chains to a fake "CA" with an RSA-16384 key and
/// a 64-bit exponent, and `ncrl` CRLs claiming that CA as issuer (each a
/// 16384-bit signature check if ever verified).
pub fn crl_flood(signers: usize, ncrl: usize) -> Vec<u8> {
    use openssl::x509::X509Builder;
    let signed = smime::sign(
        b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nhello\r\n",
        &identity("alice"),
        &SignOptions::default(),
    )
    .unwrap();
    let alice = X509::from_pem(&read_fixture("certs/alice.pem")).unwrap();
    let small = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let build = |issuer: &openssl::x509::X509NameRef,
                 subject: &openssl::x509::X509NameRef,
                 key: &openssl::pkey::PKeyRef<openssl::pkey::Public>| {
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(alice.serial_number()).unwrap();
        b.set_issuer_name(issuer).unwrap();
        b.set_subject_name(subject).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(3650).unwrap())
            .unwrap();
        b.set_pubkey(key).unwrap();
        b.sign(&small, MessageDigest::sha256()).unwrap();
        b.build()
    };
    let small_public = PKey::public_key_from_der(&small.public_key_to_der().unwrap()).unwrap();
    let signer = build(alice.issuer_name(), alice.subject_name(), &small_public);
    let mut elsewhere = X509NameBuilder::new().unwrap();
    elsewhere.append_entry_by_text("CN", "elsewhere").unwrap();
    let elsewhere = elsewhere.build();
    let ca = build(
        &elsewhere,
        alice.issuer_name(),
        &public_rsa(16384, &exponent_64()),
    );
    let certs: Vec<x509_cert::Certificate> = [signer, ca]
        .iter()
        .map(|x| x509_cert::Certificate::from_der(&x.to_der().unwrap()).unwrap())
        .collect();
    let edited = edit_signed_data(&signed, |sd| {
        let choices = certs
            .into_iter()
            .map(cms::cert::CertificateChoices::Certificate)
            .collect::<Vec<_>>();
        sd.certificates = Some(cms::signed_data::CertificateSet(
            der::asn1::SetOfVec::try_from(choices).unwrap(),
        ));
        let alice_si = sd.signer_infos.0.iter().next().unwrap().clone();
        let infos = (0..signers)
            .map(|i| {
                let mut si = alice_si.clone();
                si.signature_algorithm.oid =
                    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
                si.signature_algorithm.parameters = None;
                let mut signature = vec![0x5a; 256];
                signature[0] = 0x01;
                signature[1..9].copy_from_slice(&(i as u64).to_be_bytes());
                si.signature = der::asn1::OctetString::new(signature).unwrap();
                si
            })
            .collect::<Vec<_>>();
        sd.signer_infos =
            cms::signed_data::SignerInfos(der::asn1::SetOfVec::try_from(infos).unwrap());
    });
    let crls = junk_crls(alice.issuer_name(), ncrl);
    crate::common::pki::with_revocation_info(&edited, &crls)
}

/// Review finding 1a: on a path that reached no trust anchor the
/// flood's CRLs are never verified; every signer's revocation is "not
/// checked" (before the fix: 16 × 64 RSA-16384 checks, 4.7 s CPU).
#[test]
fn crl_flood_on_an_untrusted_path_is_not_checked() {
    let message = crl_flood(16, 48);
    let report = smime::verify(
        &message,
        &smime::VerifyOptions::new(&[crate::common::root()]),
    )
    .unwrap();
    assert!(!report.valid);
    assert_eq!(report.signers.len(), 16);
    for signer in &report.signers {
        assert_ne!(signer.chain, smime::ChainStatus::Trusted);
        assert_eq!(signer.revocation, smime::Revocation::NotChecked);
        assert!(
            signer
                .path
                .iter()
                .all(|p| p.revocation == smime::Revocation::NotChecked)
        );
    }
}

/// Review finding 1c: CRL signature checks on a trusted path are charged
/// to `max_signature_operations`: alice's signature (1) and 63 CRLs fit
/// the default 64, a 64th CRL refuses the message.
#[test]
fn crl_signature_checks_are_charged_to_the_signature_budget() {
    let signed = smime::sign(
        b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nhello\r\n",
        &identity("alice"),
        &SignOptions::default(),
    )
    .unwrap();
    let alice = X509::from_pem(&read_fixture("certs/alice.pem")).unwrap();
    let options = smime::VerifyOptions::new(&[crate::common::root()]);
    let within =
        crate::common::pki::with_revocation_info(&signed, &junk_crls(alice.issuer_name(), 63));
    let report = smime::verify(&within, &options).unwrap();
    assert_eq!(report.signers[0].chain, smime::ChainStatus::Trusted);
    assert_eq!(report.signers[0].revocation, smime::Revocation::Unknown);
    let over =
        crate::common::pki::with_revocation_info(&signed, &junk_crls(alice.issuer_name(), 64));
    match smime::verify(&over, &options) {
        Err(smime::Error::LimitExceeded { limit, max }) => {
            assert_eq!((limit, max), ("max_signature_operations", 64));
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
}
