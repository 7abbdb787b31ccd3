//! PKCS#12 import and store costs. Run with `cargo bench --bench import`.
//!
//! The figures to compare: `pkcs12/*` against `openssl pkcs12 -in F -nodes
//! -passin pass:test-password` on the same fixture, and `store/open` which
//! is dominated by the PBKDF2-HMAC-SHA256 key derivation (600 000 rounds).
//! `store/full/*` is a store of 1 000 mailboxes with 30 certificates each
//! (the per-mailbox maximum): open, list one mailbox, pick its default
//! signer, find an encryption certificate.

use criterion::{Criterion, criterion_group, criterion_main};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::extension::SubjectAlternativeName;
use openssl::x509::{X509, X509NameBuilder};
use smime::{
    Certificate, Identity, ImportOptions, Mailbox, Passphrase, Password, PrivateKey, Store, pkcs12,
};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + rel).unwrap()
}

fn bench_pkcs12(c: &mut Criterion) {
    let password = Password::new("test-password");
    for name in ["alice", "alice-legacy", "alice-3des", "carol", "erin"] {
        let bundle = fixture(&format!("p12/{name}.p12"));
        c.bench_function(&format!("pkcs12/import/{name}"), |b| {
            b.iter(|| pkcs12::import(&bundle, &password, &smime::Limits::default()).unwrap())
        });
    }
}

fn bench_store(c: &mut Criterion) {
    let password = Password::new("test-password");
    let alice: Mailbox = "alice@example.org".parse().unwrap();
    let bundle = fixture("p12/alice.p12");
    c.bench_function("store/memory/import+remove", |b| {
        let store = Store::in_memory().unwrap();
        b.iter(|| {
            let imported = store.import_pkcs12(&alice, &bundle, &password).unwrap();
            store
                .remove(&alice, &imported.certificate.fingerprint())
                .unwrap();
        })
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let passphrase = Passphrase::new("bench");
    Store::open(&path, &passphrase)
        .unwrap()
        .import_pkcs12(&alice, &bundle, &password)
        .unwrap();
    let mut group = c.benchmark_group("store/sqlite");
    group.sample_size(10);
    group.bench_function("open", |b| {
        b.iter(|| Store::open(&path, &passphrase).unwrap())
    });
    let store = Store::open(&path, &passphrase).unwrap();
    group.bench_function("default_signer", |b| {
        b.iter(|| store.default_signer(&alice).unwrap())
    });
    group.finish();
}

/// A self-signed EC P-256 identity for `email` (serial `serial`).
fn mint(email: &str, serial: u32) -> Identity {
    let key = PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", email).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email(email)
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    let cert = Certificate::from_der(&b.build().to_der().unwrap()).unwrap();
    let key = PrivateKey::from_pkcs8_der(&key.private_key_to_pkcs8().unwrap()).unwrap();
    Identity::new(cert, key, Vec::new()).unwrap()
}

fn bench_full_store(c: &mut Criterion) {
    // 30 certificates shared by 1 000 mailboxes (imported with the address
    // check off): 30 000 rows, each key sealed separately.
    let identities: Vec<Identity> = (0..30).map(|i| mint("user@example.org", i + 1)).collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("full.db");
    let passphrase = Passphrase::new("bench");
    let mailboxes: Vec<Mailbox> = (0..1000)
        .map(|i| format!("user{i}@example.org").parse().unwrap())
        .collect();
    {
        let store = Store::open(&path, &passphrase).unwrap();
        let options = ImportOptions::allowing_address_mismatch();
        for chunk in mailboxes.chunks(100) {
            let batch: Vec<(&Mailbox, &Identity)> = chunk
                .iter()
                .flat_map(|m| identities.iter().map(move |id| (m, id)))
                .collect();
            store.import_identities(&batch, options).unwrap();
        }
    }
    let mut group = c.benchmark_group("store/full");
    group.sample_size(10);
    group.bench_function("open", |b| {
        b.iter(|| Store::open(&path, &passphrase).unwrap())
    });
    let store = Store::open(&path, &passphrase).unwrap();
    let mailbox = &mailboxes[500];
    group.bench_function("list", |b| b.iter(|| store.list(mailbox).unwrap()));
    group.bench_function("default_signer", |b| {
        b.iter(|| store.default_signer(mailbox).unwrap())
    });
    group.bench_function("identities", |b| {
        b.iter(|| store.identities(mailbox).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench_pkcs12, bench_store, bench_full_store);
criterion_main!(benches);
