//! Small-message throughput: `verify` of a 1 KiB signed message with a
//! reused [`Verifier`] and with the free function, `sign` of 1 KiB
//! against one bare RSA-2048 signature, and messages per second for 1 KiB
//! sign and verify on one and on two threads. Run with
//! `cargo bench --bench verifier`.

use std::io::{Cursor, sink};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use openssl::hash::MessageDigest;
use openssl::sign::Signer;
use smime::{Certificate, Identity, Password, SignOptions, Verifier, VerifyOptions, sign, verify};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + rel).unwrap()
}

fn identity(name: &str) -> Identity {
    smime::pkcs12::import(
        &fixture(&format!("p12/{name}.p12")),
        &Password::new("test-password"),
        &smime::Limits::default(),
    )
    .unwrap()
}

fn message() -> Vec<u8> {
    let mut m = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: bench\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, 0123456789 abcdefghij.\r\n";
    while m.len() < 1 << 10 {
        m.extend_from_slice(line);
    }
    m
}

fn options() -> VerifyOptions {
    VerifyOptions::new(&[Certificate::from_pem(&fixture("ca/root.pem")).unwrap()])
}

fn bench_small(c: &mut Criterion) {
    let alice = identity("alice");
    let input = message();
    let signed = sign(&input, &alice, &SignOptions::default()).unwrap();
    let verifier = Verifier::new(options()).unwrap();
    assert!(verifier.verify(&signed).unwrap().valid);
    let free = options();
    let mut group = c.benchmark_group("small");
    group.bench_function("verify 1 KiB, reused Verifier", |b| {
        b.iter(|| verifier.verify(&signed).unwrap())
    });
    group.bench_function("verify_stream 1 KiB, reused Verifier", |b| {
        b.iter(|| verifier.verify_stream(&signed[..], sink()).unwrap())
    });
    group.bench_function("verify 1 KiB, free function", |b| {
        b.iter(|| verify(&signed, &free).unwrap())
    });
    group.bench_function("sign 1 KiB (RSA-2048)", |b| {
        b.iter(|| sign(&input, &alice, &SignOptions::default()).unwrap())
    });
    group.bench_function("sign_stream 1 KiB (RSA-2048)", |b| {
        b.iter(|| {
            smime::sign_stream(Cursor::new(&input), sink(), &alice, &SignOptions::default())
                .unwrap()
        })
    });
    let key = openssl::pkey::PKey::private_key_from_pem(&fixture("keys/alice.key")).unwrap();
    group.bench_function("one RSA-2048 signature (SHA-256, OpenSSL)", |b| {
        b.iter(|| {
            let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
            signer.update(&input).unwrap();
            signer.sign_to_vec().unwrap()
        })
    });
    group.finish();
}

/// Messages per second of `op` on `threads` threads for about `span`.
fn rate(threads: usize, span: Duration, op: Arc<dyn Fn() + Send + Sync>) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let op = Arc::clone(&op);
            std::thread::spawn(move || {
                let mut n = 0u64;
                while start.elapsed() < span {
                    op();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let done: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    done as f64 / start.elapsed().as_secs_f64()
}

/// 1 vs 2 threads: printed, not a criterion measurement (criterion times
/// one thread).
fn bench_threads(_c: &mut Criterion) {
    let alice = Arc::new(identity("alice"));
    let input = Arc::new(message());
    let signed = Arc::new(sign(&input, &alice, &SignOptions::default()).unwrap());
    let verifier = Arc::new(Verifier::new(options()).unwrap());
    let span = Duration::from_secs(3);
    let sign_op: Arc<dyn Fn() + Send + Sync> = {
        let (alice, input) = (Arc::clone(&alice), Arc::clone(&input));
        Arc::new(move || {
            sign(&input, &alice, &SignOptions::default()).unwrap();
        })
    };
    let verify_op: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        assert!(verifier.verify(&signed).unwrap().valid);
    });
    for (name, op) in [("sign", sign_op), ("verify (reused Verifier)", verify_op)] {
        let one = rate(1, span, Arc::clone(&op));
        let two = rate(2, span, op);
        println!(
            "threads/{name} 1 KiB: 1 thread {one:.0} msg/s, 2 threads {two:.0} msg/s, {:.2}x",
            two / one
        );
    }
}

criterion_group!(benches, bench_small, bench_threads);
criterion_main!(benches);
