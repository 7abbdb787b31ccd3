//! A hostile SQLite store file: `SqliteBackend::open` (schema version and
//! foreign-database checks, pragmas, migrations), every row read without the
//! key-encryption key, then `Store::open` with the fixture passphrase and,
//! if it opens, mailboxes / list / settings / identities / recipients.
//!
//! `Store::open` derives the KEK with PBKDF2 at the iteration count the file
//! records (600 000 for real stores, about 150 ms an exec). The target only
//! takes that step for files recording at most [`FAST_KDF`] iterations (the
//! seeds from `store_seeds` record 1); other files get the row checks only.
//! Nothing in the library is weakened for fuzzing.
use std::path::PathBuf;
use std::sync::OnceLock;

use smime::backend::{Backend, SqliteBackend};
use smime::{Mailbox, Passphrase, Store};

/// The most PBKDF2 iterations a file may ask for before the target skips
/// `Store::open` (at about 4 µs each this keeps an exec under 5 ms).
const FAST_KDF: u32 = 1000;

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

fn main() {
    let passphrase = Passphrase::new("fixture-passphrase");
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
        let mut iterations = None;
        let _ = backend.read(&mut |tx| {
            let mut mailboxes = tx.mailboxes().unwrap_or_default();
            mailboxes.truncate(8);
            for m in mailboxes.iter().chain(&fixed) {
                let _ = (tx.records(m), tx.settings(m), tx.recipients(m));
            }
            let kdf = [tx.meta("kdf")?, tx.meta("kdf_salt")?, tx.meta("check")?];
            if kdf.iter().all(Option::is_some) {
                iterations = tx.meta("kdf_iterations")?;
            }
            Ok(())
        });
        drop(backend);
        let fast = iterations
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse::<u32>().ok())
            .is_some_and(|n| n <= FAST_KDF);
        if !fast {
            return;
        }
        let Ok(store) = Store::open(path(), &passphrase) else {
            return;
        };
        let mut mailboxes = store.mailboxes().unwrap_or_default();
        mailboxes.truncate(8);
        for m in mailboxes.iter().chain(&fixed) {
            let _ = (store.list(m), store.settings(m), store.identities(m));
            let _ = store.recipient_certificates(m);
        }
    });
    remove_companions();
    let _ = std::fs::remove_file(path());
}
