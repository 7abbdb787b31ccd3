//! The persistent stores (SQLite file, PostgreSQL when
//! `SMIME_TEST_POSTGRES` is set): passphrase change, schema migration,
//! recipient directory, concurrent writers (threads and processes, the
//! 8-process race on a nearly full mailbox), and crash safety under SIGKILL.
//!
//! Child processes are this test binary re-executed on an `#[ignore]`d
//! entry test, selected by the `SMIME_TEST_CHILD` variable.

mod backends;
mod common;

use backends::{Kind, Place, on_each_backend, places, test_kek};

use common::cert;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Mint, PASSWORD, bundle, intermediate, mint, minted_bundle, read_fixture};
use smime::{Certificate, Error, MAX_CERTS_PER_MAILBOX, Mailbox, Passphrase, Password, Store};
use smime::{Corrupted, StoreFailure};

fn mb(s: &str) -> Mailbox {
    s.parse().unwrap()
}

fn pw() -> Password {
    Password::new(PASSWORD)
}

fn open(path: &Path, pp: &str) -> smime::Result<Store> {
    Store::open(path, &Passphrase::new(pp))
}

/// (fingerprint, sealed key) of every certificate row, in import order.
fn sealed_keys(place: &Place) -> Vec<(Vec<u8>, Vec<u8>)> {
    place.pairs("SELECT fingerprint, sealed_key FROM certificates ORDER BY id")
}

#[test]
fn passphrase_change_reseals_every_key() {
    for place in places() {
        let (alice, carol) = (mb("alice@example.org"), mb("carol@example.org"));
        let store = place.open(&Passphrase::new("old")).unwrap();
        let fa = store
            .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
            .unwrap()
            .certificate
            .fingerprint();
        let fc = store
            .import_pkcs12(&carol, &read_fixture("p12/carol.p12"), &pw())
            .unwrap()
            .certificate
            .fingerprint();
        let before = sealed_keys(&place);
        store.change_passphrase(&Passphrase::new("new")).unwrap();
        // The same handle keeps working with the new key.
        assert!(store.identity(&alice, &fa).is_ok());
        drop(store);
        let after = sealed_keys(&place);
        assert_eq!(before.len(), after.len());
        for ((fp_b, key_b), (fp_a, key_a)) in before.iter().zip(&after) {
            assert_eq!(fp_b, fp_a);
            assert_ne!(key_b, key_a, "{:?}: every key is sealed anew", place.kind);
        }
        assert!(matches!(
            place.open(&Passphrase::new("old")),
            Err(Error::WrongPassphrase)
        ));
        let store = place.open(&Passphrase::new("new")).unwrap();
        let expected =
            openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/carol.key")).unwrap();
        let id = store.identity(&carol, &fc).unwrap();
        assert_eq!(
            *id.private_key().to_pkcs8_der().unwrap(),
            expected.private_key_to_pkcs8().unwrap()
        );
        assert!(store.identity(&alice, &fa).is_ok());
    }
}

#[test]
fn a_failed_passphrase_change_changes_nothing() {
    for place in places() {
        let store = place.open(&Passphrase::new("old")).unwrap();
        store
            .import_pkcs12(
                &mb("alice@example.org"),
                &read_fixture("p12/alice.p12"),
                &pw(),
            )
            .unwrap();
        store
            .import_pkcs12(
                &mb("carol@example.org"),
                &read_fixture("p12/carol.p12"),
                &pw(),
            )
            .unwrap();
        // Damage the second sealed key: re-sealing must fail half-way.
        place.sql(
            "UPDATE certificates SET sealed_key = fingerprint WHERE mailbox = 'carol@example.org'",
        );
        let before = sealed_keys(&place);
        match store.change_passphrase(&Passphrase::new("new")) {
            Err(Error::StoreCorrupt {
                what: Corrupted::PrivateKey { mailbox, .. },
            }) => assert_eq!(mailbox, mb("carol@example.org")),
            other => panic!("{:?}: expected a corrupt key, got {other:?}", place.kind),
        }
        drop(store);
        assert_eq!(sealed_keys(&place), before, "no key was re-sealed");
        assert!(matches!(
            place.open(&Passphrase::new("new")),
            Err(Error::WrongPassphrase)
        ));
        let store = place.open(&Passphrase::new("old")).unwrap();
        let fa = cert("alice").fingerprint();
        assert!(store.identity(&mb("alice@example.org"), &fa).is_ok());
    }
}

#[test]
fn in_memory_store_can_change_passphrase_too() {
    let store = Store::in_memory().unwrap();
    let alice = mb("alice@example.org");
    let fp = store
        .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
        .unwrap()
        .certificate
        .fingerprint();
    store.change_passphrase(&Passphrase::new("x")).unwrap();
    assert!(store.identity(&alice, &fp).is_ok());
}

#[test]
fn a_schema_1_file_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    std::fs::copy(common::fixture("store/v1.db"), &path).unwrap();
    let version = |p: &Path| -> i64 {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&path), 1);
    let bytes = std::fs::read(&path).unwrap();
    assert!(matches!(open(&path, "wrong"), Err(Error::WrongPassphrase)));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "a wrong passphrase migrates nothing"
    );
    assert_eq!(version(&path), 1);
    let store = open(&path, "fixture-passphrase").unwrap();
    assert_eq!(version(&path), 5);
    let untagged: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT (SELECT count(*) FROM certificates WHERE tag IS NULL OR chain_tag IS NULL)
                  + (SELECT count(*) FROM mailboxes WHERE tag IS NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(untagged, 0, "every row was tagged by the migration");
    let alice = mb("alice@example.org");
    let listed = store.list(&alice).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].certificate, cert("alice"));
    assert!(store.settings(&alice).unwrap().sign_by_default);
    assert!(
        store.default_signer(&alice).is_ok(),
        "keys written by schema 1 unseal"
    );
    // The table added by schema 2 works.
    assert!(store.add_recipient_certificate(&cert("bob")).unwrap());
}

#[test]
fn damaged_key_parameters_are_refused_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    open(&path, "right")
        .unwrap()
        .import_pkcs12(
            &mb("alice@example.org"),
            &read_fixture("p12/alice.p12"),
            &pw(),
        )
        .unwrap();
    for row in ["check", "kdf_salt", "kdf_iterations", "kdf"] {
        let copy = dir.path().join(format!("damaged-{row}.db"));
        std::fs::copy(&path, &copy).unwrap();
        let conn = rusqlite::Connection::open(&copy).unwrap();
        conn.execute("DELETE FROM meta WHERE name = ?1", [row])
            .unwrap();
        drop(conn);
        // Any passphrase: the store must not be "re-keyed" as if new.
        let err = open(&copy, "anything").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::StoreCorrupt {
                    what: Corrupted::Meta { .. }
                }
            ),
            "{row}: {err:?}"
        );
    }
    // A tampered iteration count cannot make open hang.
    let copy = dir.path().join("huge-iterations.db");
    std::fs::copy(&path, &copy).unwrap();
    let conn = rusqlite::Connection::open(&copy).unwrap();
    conn.execute(
        "UPDATE meta SET value = CAST('4000000000' AS BLOB) WHERE name = 'kdf_iterations'",
        [],
    )
    .unwrap();
    drop(conn);
    assert!(matches!(
        open(&copy, "right"),
        Err(Error::StoreCorrupt {
            what: Corrupted::Meta {
                name: "kdf_iterations"
            }
        })
    ));
    // The original is intact.
    assert_eq!(
        open(&path, "right")
            .unwrap()
            .list(&mb("alice@example.org"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn another_applications_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');")
        .unwrap();
    drop(conn);
    let bytes = std::fs::read(&path).unwrap();
    let err = open(&path, "pp").unwrap_err();
    assert!(
        matches!(&err, Error::Store(StoreFailure::NotAStore)),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn recipient_directory_on_every_backend() {
    on_each_backend(|store, _| {
        let bob = mb("bob@example.org");
        assert!(matches!(
            store.encryption_certificate(&bob),
            Err(Error::NotFound(_))
        ));
        assert!(store.add_recipient_certificate(&cert("bob")).unwrap());
        assert!(
            !store.add_recipient_certificate(&cert("bob")).unwrap(),
            "idempotent"
        );
        assert_eq!(
            store
                .recipient_certificates(&mb("BOB@example.org"))
                .unwrap(),
            [cert("bob")]
        );
        // Untrusted until its CA is (issue 14 case 8; tests/store/trust.rs).
        assert!(matches!(
            store.encryption_certificate(&bob),
            Err(Error::UntrustedRecipient { .. })
        ));
        store.add_trust_anchor(&common::root()).unwrap();
        store
            .add_intermediate(&Certificate::from_pem(&read_fixture("ca/intermediate.pem")).unwrap())
            .unwrap();
        assert_eq!(store.encryption_certificate(&bob).unwrap(), cert("bob"));

        // Certificates that cannot be encrypted to are kept but never chosen.
        store.add_recipient_certificate(&cert("grace")).unwrap(); // digitalSignature only
        assert!(matches!(
            store.encryption_certificate(&mb("grace@example.org")),
            Err(Error::NotFound(_))
        ));
        store.add_recipient_certificate(&cert("expired")).unwrap();
        assert!(matches!(
            store.encryption_certificate(&mb("expired@example.org")),
            Err(Error::NotFound(_))
        ));

        // CA certificates and certificates without an address are refused.
        let root = Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap();
        assert!(matches!(
            store.add_recipient_certificate(&root),
            Err(Error::CertificateNotUsable { .. })
        ));

        // Newest valid one wins; the older one is kept beside it.
        let (older, _) = mint(Mint {
            not_before_days: -20,
            ..Mint::new("dora@example.org", 1)
        });
        let (newer, _) = mint(Mint {
            not_before_days: -2,
            ..Mint::new("dora@example.org", 2)
        });
        let (expired, _) = mint(Mint {
            not_before_days: -1,
            not_after_days: -1,
            ..Mint::new("dora@example.org", 3)
        });
        for c in [&newer, &older, &expired] {
            store
                .add_recipient_certificate(&Certificate::from_der(&c.to_der().unwrap()).unwrap())
                .unwrap();
        }
        let dora = mb("dora@example.org");
        assert_eq!(store.recipient_certificates(&dora).unwrap().len(), 3);
        assert_eq!(
            store.encryption_certificate(&dora).unwrap().to_der(),
            &newer.to_der().unwrap()[..]
        );

        // The mailbox's own certificates are found too (encrypt to self).
        store
            .import_pkcs12(
                &mb("alice@example.org"),
                &read_fixture("p12/alice.p12"),
                &pw(),
            )
            .unwrap();
        assert_eq!(
            store
                .encryption_certificate(&mb("alice@example.org"))
                .unwrap(),
            cert("alice")
        );

        // Removal.
        store
            .remove_recipient_certificate(&bob, &cert("bob").fingerprint())
            .unwrap();
        assert!(store.recipient_certificates(&bob).unwrap().is_empty());
        assert!(matches!(
            store.remove_recipient_certificate(&bob, &cert("bob").fingerprint()),
            Err(Error::NotFound(_))
        ));
    });
}

#[test]
fn recipient_directory_is_not_subject_to_the_mailbox_cap() {
    let store = Store::in_memory().unwrap();
    for serial in 1..=MAX_CERTS_PER_MAILBOX as u32 + 5 {
        let (c, _) = mint(Mint::new("many@example.org", serial));
        assert!(
            store
                .add_recipient_certificate(&Certificate::from_der(&c.to_der().unwrap()).unwrap())
                .unwrap()
        );
    }
    assert_eq!(
        store
            .recipient_certificates(&mb("many@example.org"))
            .unwrap()
            .len(),
        MAX_CERTS_PER_MAILBOX + 5
    );
}

#[test]
fn concurrent_writers_from_threads_respect_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(open(&path, "pp").unwrap());
    let bundles: Vec<Vec<u8>> = (1..=40)
        .map(|i| minted_bundle("busy@example.org", i))
        .collect();
    let results: Vec<smime::Result<bool>> = std::thread::scope(|s| {
        let handles: Vec<_> = bundles
            .chunks(10)
            .map(|chunk| {
                let path = path.clone();
                s.spawn(move || {
                    let store = open(&path, "pp").unwrap();
                    chunk
                        .iter()
                        .map(|b| {
                            store
                                .import_pkcs12(&mb("busy@example.org"), b, &pw())
                                .map(|i| i.added)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let added = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let full = results
        .iter()
        .filter(|r| matches!(r, Err(Error::MailboxFull { .. })))
        .count();
    let other: Vec<_> = results
        .iter()
        .filter(|r| !matches!(r, Ok(true) | Err(Error::MailboxFull { .. })))
        .collect();
    assert!(other.is_empty(), "unexpected outcomes: {other:?}");
    assert_eq!((added, full), (30, 10));
    assert_eq!(
        open(&path, "pp")
            .unwrap()
            .list(&mb("busy@example.org"))
            .unwrap()
            .len(),
        30
    );
}

/// Runs this test binary as a child on `child_process_entry`.
fn child(role: &str, store: &str, extra_env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_process_entry",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("SMIME_TEST_CHILD", role)
    .env("SMIME_TEST_STORE", store)
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd
}

/// Not a test on its own: the body of the child processes of the tests
/// below (`SMIME_TEST_CHILD` = `writer`, `crash` or `race`).
#[test]
#[ignore = "child process entry point, run by the tests of this file"]
fn child_process_entry() {
    let role = std::env::var("SMIME_TEST_CHILD").expect("run only as a child");
    let location = std::env::var("SMIME_TEST_STORE").unwrap();
    let tag = std::env::var("SMIME_TEST_TAG").unwrap_or_default();
    // `writer` opens with the passphrase (PBKDF2 per process, as the CLI
    // does), the others with the raw test key so that they start at once.
    let store = if role == "writer" {
        Store::open(&location, &Passphrase::new("pp")).unwrap()
    } else {
        Store::open(&location, &test_kek()).unwrap()
    };
    // libtest has printed "test child_process_entry ... " without a newline.
    println!();
    match role.as_str() {
        // Imports 20 fresh identities into one mailbox; prints each outcome.
        "writer" => {
            for i in 0..20 {
                let serial = tag.parse::<u32>().unwrap() * 100 + i;
                let outcome = match store.import_pkcs12(
                    &mb("shared@example.org"),
                    &minted_bundle("shared@example.org", serial),
                    &pw(),
                ) {
                    Ok(i) if i.added => "ADDED".to_owned(),
                    Err(Error::MailboxFull { .. }) => "FULL".to_owned(),
                    other => format!("OTHER {other:?}"),
                };
                println!("{outcome}");
            }
        }
        // Imports forever, one fresh mailbox per identity; prints each
        // import only after it returned Ok, i.e. after the commit.
        "crash" => {
            for i in 0.. {
                let address = format!("crash-{tag}-{i}@example.org");
                let (c, key) = mint(Mint::new(&address, i));
                let p12 = bundle(Some(&key), Some(&c), &[intermediate().0], PASSWORD);
                let imported = store.import_pkcs12(&mb(&address), &p12, &pw()).unwrap();
                println!("OK {address} {}", imported.certificate.fingerprint());
            }
        }
        // Waits for the go file, then imports one bundle into the race
        // mailbox; prints the outcome.
        "race" => {
            let bundle = std::fs::read(std::env::var("SMIME_TEST_BUNDLE").unwrap()).unwrap();
            let go = PathBuf::from(std::env::var("SMIME_TEST_GO").unwrap());
            println!("READY");
            while !go.exists() {
                std::thread::sleep(Duration::from_millis(1));
            }
            let outcome = match store.import_pkcs12_all(
                &mb(&tag),
                &bundle,
                &pw(),
                smime::ImportOptions::allowing_address_mismatch(),
            ) {
                Ok(i) if i.len() == 1 && i[0].added => {
                    format!("ADDED {}", i[0].certificate.fingerprint())
                }
                Err(Error::MailboxFull { .. }) => "FULL".to_owned(),
                other => format!("OTHER {other:?}"),
            };
            println!("{outcome}");
        }
        other => panic!("unknown child role {other}"),
    }
}

#[test]
fn two_processes_writing_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(open(&path, "pp").unwrap());
    let location = path.to_str().unwrap();
    let children: Vec<_> = (1..=2)
        .map(|tag| {
            child("writer", location, &[("SMIME_TEST_TAG", tag.to_string())])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut lines = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "a writer process failed");
        let text = String::from_utf8(out.stdout).unwrap();
        lines.extend(
            text.lines()
                .filter(|l| ["ADDED", "FULL", "OTHER"].iter().any(|p| l.starts_with(p)))
                .map(str::to_owned),
        );
    }
    assert_eq!(lines.len(), 40);
    assert!(!lines.iter().any(|l| l.starts_with("OTHER")), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| *l == "ADDED").count(), 30);
    assert_eq!(lines.iter().filter(|l| *l == "FULL").count(), 10);
    assert_eq!(
        open(&path, "pp")
            .unwrap()
            .list(&mb("shared@example.org"))
            .unwrap()
            .len(),
        30
    );
}

/// 8 processes import 8 distinct certificates at once into a mailbox that
/// holds 26, 20 rounds: exactly 4 succeed each round, every refusal is
/// `MailboxFull`, every success is listed, never more than 30.
fn race_on(place: &Place) {
    const ROUNDS: usize = 20;
    const PROCESSES: usize = 8;
    const HELD: usize = 26;
    let store = place.open(&test_kek()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let held: Vec<smime::Identity> = (0..HELD as u32)
        .map(|i| {
            let (c, key) = mint(Mint::new("held@example.org", 5000 + i));
            smime::pkcs12::import(
                &bundle(Some(&key), Some(&c), &[], PASSWORD),
                &pw(),
                &smime::Limits::default(),
            )
            .unwrap()
        })
        .collect();
    let racers: Vec<PathBuf> = (0..PROCESSES as u32)
        .map(|i| {
            let p = dir.path().join(format!("racer-{i}.p12"));
            std::fs::write(&p, minted_bundle("racer@example.org", 6000 + i)).unwrap();
            p
        })
        .collect();
    let options = smime::ImportOptions::allowing_address_mismatch();
    for round in 0..ROUNDS {
        let mailbox = format!("race-{round}@example.org");
        for id in &held {
            store.import_identity(&mb(&mailbox), id, options).unwrap();
        }
        let go = dir.path().join(format!("go-{round}"));
        let mut children: Vec<_> = racers
            .iter()
            .map(|bundle| {
                child(
                    "race",
                    &place.location,
                    &[
                        ("SMIME_TEST_TAG", mailbox.clone()),
                        ("SMIME_TEST_BUNDLE", bundle.display().to_string()),
                        ("SMIME_TEST_GO", go.display().to_string()),
                    ],
                )
                .spawn()
                .unwrap()
            })
            .collect();
        // Wait until every child has opened the store, then start them together.
        let mut readers: Vec<_> = children
            .iter_mut()
            .map(|c| BufReader::new(c.stdout.take().unwrap()).lines())
            .collect();
        for r in &mut readers {
            loop {
                let line = r.next().expect("child died before READY").unwrap();
                if line == "READY" {
                    break;
                }
            }
        }
        std::fs::write(&go, b"").unwrap();
        let mut outcomes = Vec::new();
        for (c, r) in children.iter_mut().zip(readers) {
            outcomes.extend(
                r.map_while(Result::ok)
                    .filter(|l| ["ADDED", "FULL", "OTHER"].iter().any(|p| l.starts_with(p))),
            );
            assert!(c.wait().unwrap().success(), "a racer failed");
        }
        let added: Vec<&str> = outcomes
            .iter()
            .filter_map(|l| l.strip_prefix("ADDED "))
            .collect();
        let full = outcomes.iter().filter(|l| *l == "FULL").count();
        assert_eq!(
            (added.len(), full, outcomes.len()),
            (
                MAX_CERTS_PER_MAILBOX - HELD,
                PROCESSES - (MAX_CERTS_PER_MAILBOX - HELD),
                PROCESSES
            ),
            "{:?} round {round}: {outcomes:?}",
            place.kind
        );
        let listed: Vec<String> = store
            .list(&mb(&mailbox))
            .unwrap()
            .iter()
            .map(|s| s.certificate.fingerprint().to_string())
            .collect();
        assert_eq!(
            listed.len(),
            MAX_CERTS_PER_MAILBOX,
            "{:?} round {round}",
            place.kind
        );
        for fp in added {
            assert!(
                listed.iter().any(|l| l == fp),
                "{fp} reported added, not listed"
            );
        }
    }
}

#[test]
fn eight_processes_racing_for_the_last_four_slots_never_make_a_31st() {
    for place in places() {
        let started = std::time::Instant::now();
        race_on(&place);
        println!("race on {:?}: {:?}", place.kind, started.elapsed());
    }
}

fn random_below(n: u64) -> u64 {
    let mut b = [0u8; 8];
    openssl::rand::rand_bytes(&mut b).unwrap();
    u64::from_le_bytes(b) % n
}

/// Kills importing children at random moments; then every import a child
/// reported (after its commit) is there, whole, and nothing is half there.
fn sigkill_on(place: &Place, rounds: usize, first_kill_ms: u64) {
    // `first_kill_ms`: the kill lands up to this long after the first import.
    drop(place.open(&test_kek()).unwrap());
    let mut reported = Vec::new();
    for round in 0..rounds {
        let mut c = child(
            "crash",
            &place.location,
            &[("SMIME_TEST_TAG", round.to_string())],
        )
        .spawn()
        .unwrap();
        let stdout = c.stdout.take().unwrap();
        let (sender, lines) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        // Kill at a random moment once the child is importing (opening and
        // connecting take long, and longer on a busy machine).
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !seen.iter().any(|l: &String| l.starts_with("OK ")) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        std::thread::sleep(Duration::from_millis(random_below(first_kill_ms)));
        c.kill().unwrap(); // SIGKILL
        c.wait().unwrap();
        reader.join().unwrap();
        seen.extend(lines.try_iter());
        for line in seen {
            if let Some(rest) = line.strip_prefix("OK ") {
                let (address, fp) = rest.split_once(' ').unwrap();
                reported.push((address.to_owned(), fp.to_owned()));
            }
        }
    }
    assert!(
        reported.len() > rounds,
        "the children imported too little to test anything: {}",
        reported.len()
    );
    if place.kind == Kind::Sqlite {
        let conn = rusqlite::Connection::open(place.path()).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }
    let orphans = place.count(
        "SELECT count(*) FROM chain WHERE certificate_id NOT IN (SELECT id FROM certificates)",
    );
    assert_eq!(orphans, 0);
    let bare = place.count(
        "SELECT count(*) FROM certificates c WHERE NOT EXISTS (SELECT 1 FROM mailboxes m WHERE m.address = c.mailbox AND m.tag IS NOT NULL)",
    );
    assert_eq!(bare, 0, "a certificate without its settings row");

    let store = place.open(&test_kek()).unwrap();
    for (address, fp) in &reported {
        let id = store.identity(&mb(address), &fp.parse().unwrap());
        assert!(
            id.is_ok(),
            "import of {address} reported success but is missing: {id:?}"
        );
    }
    // Nothing half-present: every stored certificate has its chain and a key that unseals.
    let mut present = 0;
    for mailbox in store.mailboxes().unwrap() {
        for entry in store.list(&mailbox).unwrap() {
            let id = store
                .identity(&mailbox, &entry.certificate.fingerprint())
                .unwrap();
            assert_eq!(id.chain().len(), 1, "{mailbox}: chain incomplete");
            present += 1;
        }
    }
    assert!(present >= reported.len());
    println!(
        "{:?}: {rounds} SIGKILLs, {} reported imports, {present} present",
        place.kind,
        reported.len()
    );
}

#[test]
fn sigkill_at_random_moments_loses_no_committed_import_and_leaves_nothing_half_written() {
    sigkill_on(&backends::sqlite(), 25, 500);
}

#[test]
fn sigkill_on_postgres_loses_no_committed_import_and_leaves_nothing_half_written() {
    match backends::postgres() {
        Some(place) => sigkill_on(&place, 20, 500),
        None => println!("skipped: no PostgreSQL (see above)"),
    }
}

#[test]
fn aes_gcm_is_chosen_only_when_every_recipient_announced_it() {
    use smime::{ContentEncryption as C, SignOptions, VerifyOptions};
    assert_eq!(C::negotiate(&[]), C::Aes256Cbc);
    assert_eq!(
        C::negotiate(&[Some(vec![C::Aes256Gcm, C::Aes128Gcm])]),
        C::Aes256Gcm
    );
    assert_eq!(
        C::negotiate(&[
            Some(vec![C::Aes128Gcm]),
            Some(vec![C::Aes256Gcm, C::Aes128Gcm])
        ]),
        C::Aes128Gcm
    );
    assert_eq!(
        C::negotiate(&[Some(vec![C::Aes256Gcm]), None]),
        C::Aes256Cbc
    );
    assert_eq!(C::negotiate(&[Some(vec![C::Aes256Cbc])]), C::Aes256Cbc);

    let root = Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap();
    let store = Store::in_memory().unwrap();
    let (bob, carol) = (mb("bob@example.org"), mb("carol@example.org"));
    // Our own signatures announce AES-GCM first.
    let bob_id = smime::pkcs12::import(
        &read_fixture("p12/bob.p12"),
        &pw(),
        &smime::Limits::default(),
    )
    .unwrap();
    let signed = smime::sign(
        b"From: bob@example.org\r\n\r\nhi\r\n",
        &bob_id,
        &SignOptions::default(),
    )
    .unwrap();
    let report = smime::verify(&signed, &VerifyOptions::new(std::slice::from_ref(&root))).unwrap();
    assert_eq!(
        report.signers[0].capabilities.as_deref(),
        Some(&[C::Aes256Gcm, C::Aes128Gcm, C::Aes256Cbc][..])
    );
    // Untrusted signers are not filed.
    assert_eq!(
        store
            .add_verified_signers(
                &smime::verify(&signed, &VerifyOptions::new(&[]))
                    .unwrap()
                    .verified_signers()
            )
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .add_verified_signers(&report.verified_signers())
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .recipient_capabilities(&bob, &cert("bob").fingerprint())
            .unwrap()
            .unwrap()[0],
        C::Aes256Gcm
    );
    assert_eq!(
        store
            .negotiate_content_encryption(std::slice::from_ref(&bob))
            .unwrap(),
        C::Aes256Gcm
    );
    // Carol filed by hand: nothing known, so CBC for any mail that includes her.
    store.add_recipient_certificate(&cert("carol")).unwrap();
    assert_eq!(
        store
            .negotiate_content_encryption(&[bob.clone(), carol])
            .unwrap(),
        C::Aes256Cbc
    );
    // Re-filing bob without capabilities keeps what was learnt.
    store.add_recipient_certificate(&cert("bob")).unwrap();
    assert_eq!(
        store.negotiate_content_encryption(&[bob]).unwrap(),
        C::Aes256Gcm
    );
}

#[test]
fn recipients_for_adds_the_sender_itself() {
    let store = Store::in_memory().unwrap();
    let alice = mb("alice@example.org");
    store
        .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
        .unwrap();
    store.add_recipient_certificate(&cert("bob")).unwrap();
    // Bob's certificate is trusted through the fixture CA.
    store.add_trust_anchor(&common::root()).unwrap();
    store
        .add_intermediate(
            &smime::Certificate::from_der(&common::intermediate().0.to_der().unwrap()).unwrap(),
        )
        .unwrap();
    let certs = store
        .recipients_for(&alice, &[mb("bob@example.org"), alice.clone()])
        .unwrap();
    assert_eq!(certs, [cert("bob"), cert("alice")]);
    let err = store
        .recipients_for(&alice, &[mb("nobody@example.org")])
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound(smime::Missing::EncryptionCertificate(m)) if m.canonical() == "nobody@example.org"),
        "{err:?}"
    );
}

#[test]
fn an_older_or_invalid_signature_cannot_downgrade_learnt_capabilities() {
    use smime::{ContentEncryption as C, SignOptions, VerifyOptions};
    let root = Certificate::from_pem(&read_fixture("ca/root.pem")).unwrap();
    let options = VerifyOptions::new(std::slice::from_ref(&root));
    let bob = mb("bob@example.org");
    let bob_id = smime::pkcs12::import(
        &read_fixture("p12/bob.p12"),
        &pw(),
        &smime::Limits::default(),
    )
    .unwrap();
    let store = Store::in_memory().unwrap();

    // Our client, signing "tomorrow": announces AES-GCM.
    let tomorrow = std::time::SystemTime::now() + Duration::from_secs(86_400);
    let ours = smime::sign(
        b"From: bob@example.org\r\n\r\nnew\r\n",
        &bob_id,
        &SignOptions::default().signing_time(tomorrow),
    )
    .unwrap();
    store
        .add_verified_signers(&smime::verify(&ours, &options).unwrap().verified_signers())
        .unwrap();
    assert_eq!(
        store
            .negotiate_content_encryption(std::slice::from_ref(&bob))
            .unwrap(),
        C::Aes256Gcm
    );

    // An OpenSSL-signed mail (signed now, so older; announces no AES-GCM).
    let cert_x509 = openssl::x509::X509::from_pem(&read_fixture("certs/bob.pem")).unwrap();
    let key = openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/bob.key")).unwrap();
    let cms = openssl::cms::CmsContentInfo::sign(
        Some(&cert_x509),
        Some(&key),
        None,
        Some(b"Content-Type: text/plain\r\n\r\nold\r\n"),
        openssl::cms::CMSOptions::BINARY,
    )
    .unwrap();
    let der = cms.to_der().unwrap();
    let mut older = b"From: bob@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    older.extend(openssl::base64::encode_block(&der).into_bytes());
    let report = smime::verify(
        &older,
        &options
            .clone()
            .with_intermediates(&[
                Certificate::from_pem(&read_fixture("ca/intermediate.pem")).unwrap()
            ]),
    )
    .unwrap();
    assert!(report.valid, "{report:#?}");
    assert!(
        !report.signers[0]
            .capabilities
            .clone()
            .unwrap_or_default()
            .contains(&C::Aes256Gcm)
    );
    store
        .add_verified_signers(&report.verified_signers())
        .unwrap();
    assert_eq!(
        store
            .negotiate_content_encryption(std::slice::from_ref(&bob))
            .unwrap(),
        C::Aes256Gcm,
        "replayed older mail downgraded"
    );

    // A report that is not valid (From mismatch) teaches nothing.
    let mismatch =
        String::from_utf8(older.clone())
            .unwrap()
            .replacen("From: bob@", "From: mallory@", 1);
    let report = smime::verify(mismatch.as_bytes(), &options).unwrap();
    assert!(!report.valid);
    assert_eq!(
        store
            .add_verified_signers(&report.verified_signers())
            .unwrap(),
        0
    );
}

/// Several nodes opening a new store at once agree on one key (one salt,
/// one check value) and one schema; each sees what the others wrote.
#[test]
fn nodes_creating_one_store_at_once_agree_on_its_key_and_schema() {
    for place in places() {
        let alice = mb("alice@example.org");
        let stores: Vec<Store> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| place.open(&Passphrase::new("pp")).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        stores[0]
            .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
            .unwrap();
        for store in &stores {
            assert!(store.default_signer(&alice).is_ok(), "{:?}", place.kind);
        }
        assert_eq!(
            place.count("SELECT count(*) FROM meta WHERE name = 'kdf_salt'"),
            1
        );
    }
}
