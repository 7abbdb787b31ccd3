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
    // Issue 15 items 5 and 7: AES-256-CBC for bob, its RecipientInfo
    // naming mallory (a client writing wrong identifiers): only trial
    // decryption opens it.
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
