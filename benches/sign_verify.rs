//! Sign and verify costs for 1 KiB and 1 MiB bodies (RSA-2048, EC P-256).
//! Run with `cargo bench --bench sign_verify`. The streaming work of a
//! later release is measured against these figures.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use smime::{Certificate, Password, SignOptions, VerifyOptions, pkcs12, sign, verify};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + rel).unwrap()
}

fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: bench\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, 0123456789 abcdefghij.\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m
}

fn bench(c: &mut Criterion) {
    let root = Certificate::from_pem(&fixture("ca/root.pem")).unwrap();
    let options = VerifyOptions::new(std::slice::from_ref(&root));
    let mut group = c.benchmark_group("smime");
    group.sample_size(20);
    for name in ["alice", "carol"] {
        let id = pkcs12::import(
            &fixture(&format!("p12/{name}.p12")),
            &Password::new("test-password"),
        )
        .unwrap();
        for size in [1024, 1 << 20] {
            let input = message(size);
            group.throughput(Throughput::Bytes(size as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("sign/{name}"), size),
                &input,
                |b, m| b.iter(|| sign(m, &id, &SignOptions::default()).unwrap()),
            );
            let signed = sign(&input, &id, &SignOptions::default()).unwrap();
            group.bench_with_input(
                BenchmarkId::new(format!("verify/{name}"), size),
                &signed,
                |b, m| b.iter(|| verify(m, &options).unwrap()),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
