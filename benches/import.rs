//! PKCS#12 import and store costs. Run with `cargo bench --bench import`.
//!
//! The figures to compare: `pkcs12/*` against `openssl pkcs12 -in F -nodes
//! -passin pass:test-password` on the same fixture, and `store/open` which
//! is dominated by the PBKDF2-HMAC-SHA256 key derivation (600 000 rounds).

use criterion::{Criterion, criterion_group, criterion_main};
use smime::{Mailbox, Passphrase, Password, Store, pkcs12};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + rel).unwrap()
}

fn bench_pkcs12(c: &mut Criterion) {
    let password = Password::new("test-password");
    for name in ["alice", "alice-legacy", "alice-3des", "carol", "erin"] {
        let bundle = fixture(&format!("p12/{name}.p12"));
        c.bench_function(&format!("pkcs12/import/{name}"), |b| {
            b.iter(|| pkcs12::import(&bundle, &password).unwrap())
        });
    }
}

fn bench_store(c: &mut Criterion) {
    let password = Password::new("test-password");
    let alice: Mailbox = "alice@example.org".parse().unwrap();
    let bundle = fixture("p12/alice.p12");
    c.bench_function("store/memory/import+remove", |b| {
        let mut store = Store::in_memory().unwrap();
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

criterion_group!(benches, bench_pkcs12, bench_store);
criterion_main!(benches);
