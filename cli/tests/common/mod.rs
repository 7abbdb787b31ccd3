//! Shared helpers for the CLI tests: fixture paths (the repository's
//! `fixtures/`, one level above this crate) and PKCS#12 bundles minted at
//! test time by the fixture intermediate CA.
#![allow(dead_code)]

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::{X509, X509NameBuilder};
use std::path::{Path, PathBuf};

pub const PASSWORD: &str = "test-password";

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// The `openssl` CLI, when installed.
pub fn openssl_cli() -> Option<&'static str> {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "openssl")
}

fn days_from_now(days: i64) -> Asn1Time {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Asn1Time::from_unix(now + days * 86_400).unwrap()
}

/// A fresh P-256 identity for `email` (serial `serial`), issued by the
/// fixture intermediate and valid from yesterday for a year, as a PKCS#12
/// bundle (OpenSSL 3 defaults, password [`PASSWORD`]) with the intermediate.
pub fn minted_bundle(email: &str, serial: u32) -> Vec<u8> {
    let ca = X509::from_pem(&read_fixture("ca/intermediate.pem")).unwrap();
    let ca_key = PKey::private_key_from_pem(&read_fixture("ca/intermediate.key")).unwrap();
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key: PKey<Private> = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", &format!("minted {serial}"))
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &Asn1Integer::from_bn(&BigNum::from_u32(0x10_0000 + serial).unwrap()).unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&days_from_now(-1)).unwrap();
    b.set_not_after(&days_from_now(365)).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    let mut ku = KeyUsage::new();
    ku.critical().digital_signature().key_agreement();
    b.append_extension(ku.build().unwrap()).unwrap();
    b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email(email)
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();

    let mut chain = Stack::new().unwrap();
    chain.push(ca).unwrap();
    let mut p12 = Pkcs12::builder();
    p12.pkey(&key).cert(&cert).ca(chain).name("minted");
    p12.build2(PASSWORD).unwrap().to_der().unwrap()
}
