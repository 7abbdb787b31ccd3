//! Per-message costs: sign, verify, encrypt (AES-256-CBC, AES-256-GCM) and
//! decrypt, in memory and streaming, for 1 KiB, 1 MiB and 64 MiB bodies
//! (RSA-2048 fixtures; EC P-256 for the small sizes). Run with
//! `cargo bench --bench messages`; whole-process figures against
//! `openssl cms` come from `benches/compare.sh`.

use std::io::{Cursor, sink};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smime::{
    Certificate, ContentEncryption, EncryptOptions, Identity, Password, SignOptions, VerifyOptions,
    decrypt, decrypt_stream, encrypt, encrypt_stream, pkcs12, sign, sign_stream, verify,
    verify_stream,
};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + rel).unwrap()
}

fn identity(name: &str) -> Identity {
    pkcs12::import(
        &fixture(&format!("p12/{name}.p12")),
        &Password::new("test-password"),
        &smime::Limits::default(),
    )
    .unwrap()
}

fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: bench\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, 0123456789 abcdefghij.\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m
}

const SIZES: [usize; 3] = [1 << 10, 1 << 20, 64 << 20];

fn bench_sign_verify(c: &mut Criterion) {
    let root = Certificate::from_pem(&fixture("ca/root.pem")).unwrap();
    let options = VerifyOptions::new(std::slice::from_ref(&root));
    let mut group = c.benchmark_group("sign_verify");
    group.sample_size(10);
    for name in ["alice", "carol"] {
        let id = identity(name);
        for size in SIZES {
            if name == "carol" && size > 1 << 20 {
                continue;
            }
            let input = message(size);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("sign/{name}"), size),
                &input,
                |b, m| b.iter(|| sign(m, &id, &SignOptions::default()).unwrap()),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("sign_stream/{name}"), size),
                &input,
                |b, m| {
                    b.iter(|| {
                        sign_stream(Cursor::new(m), sink(), &id, &SignOptions::default()).unwrap()
                    })
                },
            );
            let signed = sign(&input, &id, &SignOptions::default()).unwrap();
            group.bench_with_input(
                BenchmarkId::new(format!("verify/{name}"), size),
                &signed,
                |b, m| b.iter(|| verify(m, &options).unwrap()),
            );
            group.bench_with_input(
                BenchmarkId::new(format!("verify_stream/{name}"), size),
                &signed,
                |b, m| b.iter(|| verify_stream(&m[..], sink(), &options).unwrap()),
            );
        }
    }
    group.finish();
}

fn bench_envelope(c: &mut Criterion) {
    let bob = identity("bob");
    let to = [bob.certificate().clone()];
    let ids = [bob];
    let mut group = c.benchmark_group("envelope");
    group.sample_size(10);
    for cipher in [ContentEncryption::Aes256Cbc, ContentEncryption::Aes256Gcm] {
        let options = EncryptOptions::default().cipher(cipher);
        for size in SIZES {
            let input = message(size);
            group.throughput(Throughput::Bytes(size as u64));
            let id = |op: &str| BenchmarkId::new(format!("{op}/{cipher}"), size);
            group.bench_with_input(id("encrypt"), &input, |b, m| {
                b.iter(|| encrypt(m, &to, &options).unwrap())
            });
            group.bench_with_input(id("encrypt_stream"), &input, |b, m| {
                b.iter(|| encrypt_stream(Cursor::new(m), sink(), &to, &options).unwrap())
            });
            let sealed = encrypt(&input, &to, &options).unwrap();
            group.bench_with_input(id("decrypt"), &sealed, |b, m| {
                b.iter(|| decrypt(m, &ids, &smime::DecryptOptions::default()).unwrap())
            });
            group.bench_with_input(id("decrypt_stream"), &sealed, |b, m| {
                b.iter(|| {
                    decrypt_stream(&m[..], sink(), &ids, &smime::DecryptOptions::default()).unwrap()
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_sign_verify, bench_envelope);
criterion_main!(benches);
