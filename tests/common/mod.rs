//! Shared helpers for the integration tests: fixture paths and a small CA
//! that mints certificates and PKCS#12 bundles at test time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

pub const PASSWORD: &str = "test-password";

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

pub fn read_fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// `../shared/corpus`, when present.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
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

pub fn intermediate() -> (X509, PKey<Private>) {
    let cert = X509::from_pem(&read_fixture("ca/intermediate.pem")).unwrap();
    let key = PKey::private_key_from_pem(&read_fixture("ca/intermediate.key")).unwrap();
    (cert, key)
}

/// Options for [`mint`].
pub struct Mint<'a> {
    pub email: &'a str,
    /// Serial; distinct serials give distinct certificates.
    pub serial: u32,
    /// Days relative to now for notBefore / notAfter.
    pub not_before_days: i64,
    pub not_after_days: i64,
    pub key_usage: Option<KeyUsage>,
    pub email_protection: bool,
}

impl<'a> Mint<'a> {
    pub fn new(email: &'a str, serial: u32) -> Self {
        Mint {
            email,
            serial,
            not_before_days: -1,
            not_after_days: 365,
            key_usage: None,
            email_protection: true,
        }
    }
}

fn days_from_now(days: i64) -> Asn1Time {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Asn1Time::from_unix(now + days * 86_400).unwrap()
}

/// A P-256 key and a certificate for it issued by the fixture intermediate.
pub fn mint(m: Mint<'_>) -> (X509, PKey<Private>) {
    let (ca, ca_key) = intermediate();
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", &format!("minted {}", m.serial))
        .unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(
        &Asn1Integer::from_bn(&BigNum::from_u32(0x10_0000 + m.serial).unwrap()).unwrap(),
    )
    .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&days_from_now(m.not_before_days)).unwrap();
    b.set_not_after(&days_from_now(m.not_after_days)).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    let ku = m.key_usage.unwrap_or_else(|| {
        let mut ku = KeyUsage::new();
        ku.critical().digital_signature().key_agreement();
        ku
    });
    b.append_extension(ku.build().unwrap()).unwrap();
    if m.email_protection {
        b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
            .unwrap();
    } else {
        b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
            .unwrap();
    }
    let san = SubjectAlternativeName::new()
        .email(m.email)
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

/// A PKCS#12 bundle (OpenSSL 3 defaults) of `key`, `cert` and `extra` certs.
pub fn bundle(
    key: Option<&PKey<Private>>,
    cert: Option<&X509>,
    extra: &[X509],
    password: &str,
) -> Vec<u8> {
    let mut b = Pkcs12::builder();
    if let Some(key) = key {
        b.pkey(key);
    }
    if let Some(cert) = cert {
        b.cert(cert);
    }
    if !extra.is_empty() {
        let mut stack = Stack::new().unwrap();
        for c in extra {
            stack.push(c.clone()).unwrap();
        }
        b.ca(stack);
    }
    b.name("minted");
    b.build2(password).unwrap().to_der().unwrap()
}

/// Mints a fresh identity for `email` and returns its PKCS#12 bundle.
pub fn minted_bundle(email: &str, serial: u32) -> Vec<u8> {
    let (cert, key) = mint(Mint::new(email, serial));
    bundle(Some(&key), Some(&cert), &[intermediate().0], PASSWORD)
}

/// A fixture identity (`fixtures/p12/NAME.p12`).
pub fn identity(name: &str) -> smime::Identity {
    smime::pkcs12::import(
        &read_fixture(&format!("p12/{name}.p12")),
        &smime::Password::new(PASSWORD),
        &smime::Limits::default(),
    )
    .unwrap()
}

/// A fixture certificate (`fixtures/certs/NAME.pem`).
pub fn cert(name: &str) -> smime::Certificate {
    smime::Certificate::from_pem(&read_fixture(&format!("certs/{name}.pem"))).unwrap()
}

/// The fixture root CA.
pub fn root() -> smime::Certificate {
    smime::Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap()
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The body of a MIME entity (after the first blank line), base64-decoded.
pub fn base64_body(entity: &[u8]) -> Vec<u8> {
    let start = find(entity, b"\r\n\r\n").expect("header/body separator") + 4;
    let text: Vec<u8> = entity[start..]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text).expect("base64 body")
}

/// An `application/pkcs7-mime` message cut into its header (through the
/// blank line) and its base64-decoded DER body.
pub fn split_base64(message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let at = find(message, b"\r\n\r\n").expect("header/body separator") + 4;
    (message[..at].to_vec(), base64_body(message))
}

/// The inverse of [`split_base64`]: `der` base64-encoded in 76-character
/// CRLF lines after `head`.
pub fn join_base64(head: &[u8], der: &[u8]) -> Vec<u8> {
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, der);
    let mut out = head.to_vec();
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

pub mod peers;
pub mod pki;
