//! The store at hosted-mail scale: one store of `SMIME_BENCH_MAILBOXES`
//! mailboxes (default 1 000 000), each holding two certificates (an expired
//! one and a valid one, the same two re-used under every address, imported
//! with the address check off), plus, in every 100th mailbox, a certificate
//! naming the mailbox (for `encryption_certificate`).
//!
//! ```text
//! cargo bench --bench store                       # SQLite
//! SMIME_BENCH_POSTGRES=postgres://… cargo bench --bench store --features postgres
//! ```
//!
//! The SQLite file lives in `SMIME_BENCH_DIR` (default
//! `target/smime-bench`), the PostgreSQL store in schema `bench_<N>`; both
//! are built once (batched `Store::import_identities`, timed) and re-used
//! by later runs. Building 2 000 000 rows through the PostgreSQL pool
//! takes about an hour on a busy 2-core machine (several round trips per
//! row); `benches/store-to-postgres.sh URL` copies the SQLite store's rows
//! instead (COPY, 3 minutes: the tags depend on the key, not the backend). Printed: lookup latency p50/p99 over random mailboxes
//! (`default_signer`, `encryption_certificate`), single-import throughput
//! (one transaction each), and signing throughput (`default_signer` +
//! `sign` of 1 KiB) with 1, 2 and 8 threads sharing one `Store`; then
//! criterion's own estimates for the two lookups.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::Criterion;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};
use smime::{
    Certificate, Identity, ImportOptions, KeyEncryptionKey, Mailbox, PrivateKey, SignOptions, Store,
};

const PER_BATCH: usize = 5_000;

fn key() -> PKey<Private> {
    PKey::from_ec_key(
        EcKey::generate(&EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap()).unwrap(),
    )
    .unwrap()
}

/// A self-signed P-256 identity for `email`, valid from `from` to `to` days.
fn mint(key: &PKey<Private>, email: &str, serial: u32, from: i64, to: i64) -> Identity {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", email).unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&BigNum::from_u32(serial).unwrap().to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(now + from * 86_400).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + to * 86_400).unwrap())
        .unwrap();
    let mut ku = KeyUsage::new();
    ku.critical().digital_signature().key_agreement();
    b.append_extension(ku.build().unwrap()).unwrap();
    b.append_extension(ExtendedKeyUsage::new().email_protection().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .email(email)
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(key, MessageDigest::sha256()).unwrap();
    let cert = Certificate::from_der(&b.build().to_der().unwrap()).unwrap();
    let key = PrivateKey::from_pkcs8_der(&key.private_key_to_pkcs8().unwrap()).unwrap();
    Identity::new(cert, key, Vec::new()).unwrap()
}

fn mailbox(i: usize) -> Mailbox {
    format!("user{i}@example.org").parse().unwrap()
}

fn random_below(n: usize) -> usize {
    let mut b = [0u8; 8];
    openssl::rand::rand_bytes(&mut b).unwrap();
    (u64::from_le_bytes(b) % n as u64) as usize
}

/// Fills `store` unless a previous run did (the last mailbox is there).
fn populate(store: &Store, n: usize, name: &str) {
    if !store.list(&mailbox(n - 1)).unwrap().is_empty() {
        println!("{name}: re-using the store of {n} mailboxes");
        return;
    }
    let k = key();
    let expired = mint(&k, "user@example.org", 1, -400, -35);
    let valid = mint(&k, "user@example.org", 2, -30, 365);
    let options = ImportOptions::allowing_address_mismatch();
    let started = Instant::now();
    let mut rows = 0usize;
    for start in (0..n).step_by(PER_BATCH) {
        let mailboxes: Vec<Mailbox> = (start..(start + PER_BATCH).min(n)).map(mailbox).collect();
        let named: Vec<(usize, Identity)> = (start..(start + PER_BATCH).min(n))
            .filter(|i| i % 100 == 0)
            .map(|i| (i, mint(&k, mailbox(i).as_str(), 10 + i as u32, -10, 365)))
            .collect();
        let mut batch: Vec<(&Mailbox, &Identity)> = Vec::with_capacity(2 * mailboxes.len() + 50);
        for m in &mailboxes {
            batch.push((m, &expired));
            batch.push((m, &valid));
        }
        for (i, id) in &named {
            batch.push((&mailboxes[i - start], id));
        }
        rows += batch.len();
        store.import_identities(&batch, options).unwrap();
        if start % 100_000 == 0 {
            println!(
                "{name}: {} mailboxes, {rows} rows, {:.0} rows/s",
                start + mailboxes.len(),
                rows as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "{name}: built {n} mailboxes ({rows} rows) in {:.1} s: {:.0} rows/s batched",
        started.elapsed().as_secs_f64(),
        rows as f64 / started.elapsed().as_secs_f64()
    );
}

fn percentiles(name: &str, what: &str, samples: usize, mut op: impl FnMut()) {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let t = Instant::now();
            op();
            t.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "{name}: {what}: p50 {:.0} µs, p99 {:.0} µs ({samples} samples)",
        at(0.50).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    );
}

fn measure(name: &str, store: &Store, n: usize) {
    // Warm up caches a little, as a running server would be.
    for _ in 0..2000 {
        store.default_signer(&mailbox(random_below(n))).unwrap();
    }
    percentiles(name, "default_signer", 20_000, || {
        store.default_signer(&mailbox(random_below(n))).unwrap();
    });
    percentiles(name, "encryption_certificate", 20_000, || {
        store
            .encryption_certificate(&mailbox(random_below(n / 100) * 100))
            .unwrap();
    });
    percentiles(
        name,
        "default_signer_fingerprint (the lookup alone)",
        20_000,
        || {
            store
                .default_signer_fingerprint(&mailbox(random_below(n)))
                .unwrap();
        },
    );
    percentiles(name, "settings", 20_000, || {
        store.settings(&mailbox(random_below(n))).unwrap();
    });

    // Single imports, one transaction each, into fresh mailboxes.
    let k = key();
    let ids: Vec<Identity> = (0..200)
        .map(|i| mint(&k, "new@example.org", 100_000_000 + i, -1, 365))
        .collect();
    let run = random_below(1_000_000);
    let options = ImportOptions::allowing_address_mismatch();
    let started = Instant::now();
    for (i, id) in ids.iter().enumerate() {
        let m: Mailbox = format!("new{run}-{i}@example.org").parse().unwrap();
        store.import_identity(&m, id, options).unwrap();
    }
    println!(
        "{name}: import_identity: {:.0} imports/s (one transaction each, {} imports)",
        ids.len() as f64 / started.elapsed().as_secs_f64(),
        ids.len()
    );

    // Signing throughput, threads sharing one Store.
    let message = {
        let mut m = b"From: user@example.org\r\nTo: bob@example.org\r\nSubject: bench\r\nContent-Type: text/plain\r\n\r\n".to_vec();
        m.extend(std::iter::repeat_n(b'x', 1024));
        m.extend(b"\r\n");
        m
    };
    for threads in [1, 2, 8] {
        let done = AtomicU64::new(0);
        let until = Instant::now() + Duration::from_secs(3);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    while Instant::now() < until {
                        let signer = store.default_signer(&mailbox(random_below(n))).unwrap();
                        smime::sign(&message, &signer, &SignOptions::default()).unwrap();
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        println!(
            "{name}: default_signer + sign 1 KiB, {threads} thread(s): {:.0} messages/s",
            done.load(Ordering::Relaxed) as f64 / 3.0
        );
    }
}

fn criterion_lookups(c: &mut Criterion, name: &str, store: &Store, n: usize) {
    let mut group = c.benchmark_group(format!("store/{name}"));
    group.bench_function("default_signer", |b| {
        b.iter(|| store.default_signer(&mailbox(random_below(n))).unwrap())
    });
    group.bench_function("encryption_certificate", |b| {
        b.iter(|| {
            store
                .encryption_certificate(&mailbox(random_below(n / 100) * 100))
                .unwrap()
        })
    });
    group.finish();
}

/// What building an `Identity` costs outside the store (OpenSSL 3
/// decoders): the floor under `default_signer`.
fn components() {
    let id = mint(&key(), "user@example.org", 1, -1, 365);
    let der = id.certificate().to_der().to_vec();
    let pkcs8 = id.private_key().to_pkcs8_der().unwrap();
    percentiles("parts", "Certificate::from_der", 5_000, || {
        Certificate::from_der(&der).unwrap();
    });
    percentiles("parts", "PrivateKey::from_pkcs8_der (P-256)", 5_000, || {
        PrivateKey::from_pkcs8_der(&pkcs8).unwrap();
    });
    percentiles("parts", "PrivateKey::to_pkcs8_der (P-256)", 5_000, || {
        id.private_key().to_pkcs8_der().unwrap();
    });
}

fn main() {
    components();
    let n: usize = std::env::var("SMIME_BENCH_MAILBOXES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
        .max(100);
    let kek = KeyEncryptionKey::from_slice(&[0x33; 32]).unwrap();
    let mut c = Criterion::default().configure_from_args().sample_size(50);

    let dir = std::env::var("SMIME_BENCH_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target/smime-bench").to_owned());
    let path = std::path::Path::new(&dir).join(format!("store-{n}.db"));
    let started = Instant::now();
    let store = Store::open(&path, &kek).unwrap();
    println!("sqlite: opened with a raw key in {:?}", started.elapsed());
    populate(&store, n, "sqlite");
    measure("sqlite", &store, n);
    criterion_lookups(&mut c, "sqlite", &store, n);
    drop(store);

    if let Ok(url) = std::env::var("SMIME_BENCH_POSTGRES") {
        let schema = format!("bench_{n}");
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .unwrap();
        let sep = if url.contains('?') { '&' } else { '?' };
        let location = format!("{url}{sep}options=-csearch_path%3D{schema}");
        let started = Instant::now();
        match Store::open(&location, &kek) {
            Ok(store) => {
                println!("postgres: opened with a raw key in {:?}", started.elapsed());
                populate(&store, n, "postgres");
                measure("postgres", &store, n);
                criterion_lookups(&mut c, "postgres", &store, n);
            }
            Err(e) => println!("postgres: skipped ({e}; build with --features postgres)"),
        }
    }
    c.final_summary();
}
