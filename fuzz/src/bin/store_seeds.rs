//! Not a fuzz target: writes the `store_open` seeds into the directory given
//! as the only argument (run.sh calls it).
//!
//! - `fresh.db`: a new store made with the crate under the fixture
//!   passphrase (alice's identity with settings, bob as a recipient with
//!   capabilities, a domain policy): 600 000 PBKDF2 iterations, so the
//!   target reads its rows but does not derive its key;
//! - `fresh-raw.db`: the same under the fixed raw key-encryption key the
//!   target opens with (no key derivation: the fuzzer gets past the key
//!   check and into the tagged rows at once);
//! - `v1.db`: fixtures/store/v1.db as it is (schema 1, rows untagged);
//! - `v1-raw.db`: v1.db migrated by the crate to the current schema and
//!   re-keyed to the raw key.
use std::path::{Path, PathBuf};

use smime::{DomainPolicy, KeyEncryptionKey, Mailbox, Passphrase, Password, Store};

const PASSPHRASE: &str = "fixture-passphrase";

/// The raw key the `store_open` target opens `kdf = raw` stores with.
const FUZZ_KEK: [u8; 32] = [0x42; 32];

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

fn populate(store: &Store) {
    let alice: Mailbox = "alice@example.org".parse().expect("mailbox");
    let p12 = std::fs::read(fixture("p12/alice.p12")).expect("alice.p12");
    store
        .import_pkcs12(&alice, &p12, &Password::new("test-password"))
        .expect("import");
    store.set_sign_by_default(&alice, true).expect("settings");
    store.set_encrypt_by_default(&alice, true).expect("settings");
    let bob = std::fs::read(fixture("certs/bob.pem")).expect("bob.pem");
    let bob = smime::Certificate::from_pem(&bob).expect("bob");
    store
        .add_verified_signers(&[smime::VerifiedSigner::new(
            bob,
            Some(vec![smime::ContentEncryption::Aes256Gcm]),
            None,
        )])
        .expect("recipient");
    store
        .set_domain_policy("example.org", DomainPolicy::ENABLED)
        .expect("domain");
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: store_seeds DIR"));
    let passphrase = Passphrase::new(PASSPHRASE);
    let raw = KeyEncryptionKey::from_slice(&FUZZ_KEK).expect("key");
    for name in ["fresh.db", "fresh-raw.db", "v1.db", "v1-raw.db"] {
        let _ = std::fs::remove_file(out.join(name));
    }
    populate(&Store::open(out.join("fresh.db"), &passphrase).expect("new store"));
    populate(&Store::open(out.join("fresh-raw.db"), &raw).expect("new raw store"));
    std::fs::copy(fixture("store/v1.db"), out.join("v1.db")).expect("v1.db");
    std::fs::copy(fixture("store/v1.db"), out.join("v1-raw.db")).expect("v1-raw.db");
    Store::open(out.join("v1-raw.db"), &passphrase)
        .expect("v1 migrates")
        .rekey(&raw)
        .expect("rekey");
    // Proof that the raw seeds open with their keys.
    let alice: Mailbox = "alice@example.org".parse().expect("mailbox");
    for name in ["fresh-raw.db", "v1-raw.db"] {
        let store = Store::open(out.join(name), &raw).expect("raw seed opens");
        assert_eq!(store.identities(&alice).expect("identities").len(), 1, "{name}");
    }
    // Only the .db files are seeds (SQLite removes -wal/-shm on close).
    for entry in std::fs::read_dir(&out).expect("dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".db") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
