//! A hostile SQLite store file: `SqliteBackend::open` (file checks, schema
//! version and foreign-database checks, pragmas, migrations), every row read
//! without the key-encryption key, then `Store::open` and, if it opens,
//! mailboxes / list / settings / identities / recipients / domain policy /
//! lookups (every row's tag checked).
//!
//! A file whose `kdf` row says `raw` is opened with the fixed raw key the
//! `store_seeds` tool keys its `-raw` seeds with (no key derivation); a
//! passphrase file only when it records at most [`FAST_KDF`] PBKDF2
//! iterations (real stores record 600 000, about 150 ms an exec); other
//! files get the row checks only. Nothing in the library is weakened for
//! fuzzing.
use std::path::PathBuf;
use std::sync::OnceLock;

use smime::backend::{Backend, SqliteBackend};
use smime::{KeyEncryptionKey, Mailbox, Passphrase, Store};

/// The most PBKDF2 iterations a file may ask for before the target skips
/// `Store::open` with the passphrase (at about 4 µs each this keeps an exec
/// under 5 ms).
const FAST_KDF: u32 = 1000;

/// The raw key of the `-raw` seeds (see store_seeds.rs).
const FUZZ_KEK: [u8; 32] = [0x42; 32];

/// One file per process, in RAM when /dev/shm exists.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = PathBuf::from("/dev/shm");
        let dir = if dir.is_dir() {
            dir
        } else {
            std::env::temp_dir()
        };
        dir.join(format!("smime-fuzz-store-{}.db", std::process::id()))
    })
}

/// Removes the file's journal, WAL and shared-memory companions.
fn remove_companions() {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path().clone().into_os_string();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}

fn write_input(data: &[u8]) -> std::io::Result<()> {
    // A journal or WAL left by the previous input would leak into this one.
    remove_companions();
    std::fs::write(path(), data)
}

enum Key {
    Raw,
    Passphrase,
    Slow,
}

fn main() {
    let passphrase = Passphrase::new("fixture-passphrase");
    let raw = KeyEncryptionKey::from_slice(&FUZZ_KEK).expect("key");
    let fixed: Vec<Mailbox> = ["alice@example.org", "bob@example.org"]
        .iter()
        .map(|m| m.parse().expect("mailbox"))
        .collect();
    // Named before AFL++'s fork server starts: one file per fuzzer process,
    // not one per forked child.
    let _ = path();
    afl::fuzz!(|data: &[u8]| {
        if write_input(data).is_err() {
            return;
        }
        let Ok(backend) = SqliteBackend::open(path()) else {
            return;
        };
        let mut key = Key::Slow;
        let _ = backend.read(&mut |tx| {
            let mut mailboxes = tx.mailboxes().unwrap_or_default();
            mailboxes.truncate(8);
            for m in mailboxes.iter().chain(&fixed) {
                let _ = (tx.heads(m), tx.records(m), tx.settings(m), tx.recipients(m));
            }
            let _ = (tx.domains(), tx.recipient_addresses(), tx.meta("policy"));
            key = match tx.meta("kdf")?.as_deref() {
                Some(b"raw") => Key::Raw,
                _ => {
                    let fast = tx
                        .meta("kdf_iterations")?
                        .and_then(|v| String::from_utf8(v).ok())
                        .and_then(|s| s.parse::<u32>().ok())
                        .is_some_and(|n| n <= FAST_KDF);
                    if fast { Key::Passphrase } else { Key::Slow }
                }
            };
            Ok(())
        });
        drop(backend);
        let store = match key {
            Key::Raw => Store::open(path(), &raw),
            Key::Passphrase => Store::open(path(), &passphrase),
            Key::Slow => return,
        };
        let Ok(store) = store else {
            return;
        };
        let mut mailboxes = store.mailboxes().unwrap_or_default();
        mailboxes.truncate(8);
        for m in mailboxes.iter().chain(&fixed) {
            let _ = (store.list(m), store.settings(m), store.identities(m));
            let _ = (store.default_signer(m), store.encryption_certificate(m));
            let _ = store.recipient_certificates(m);
        }
        let _ = (store.domain_policies(), store.requires_domain_enablement());
    });
    remove_companions();
    let _ = std::fs::remove_file(path());
}
