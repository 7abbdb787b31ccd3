//! Not a fuzz target: writes the `store_open` seeds into the directory given
//! as the only argument (run.sh calls it).
//!
//! - `fresh.db`: a new store made with the crate (alice's identity with
//!   settings, bob as a recipient);
//! - `v1.db`: fixtures/store/v1.db as it is (schema 1, 600 000 iterations:
//!   the target reads its rows but does not derive its key);
//! - `fresh-fast.db`, `v1-fast.db`: the same re-keyed to 1 PBKDF2
//!   iteration, so that the fuzzer gets past the passphrase check quickly.
//!
//! Re-keying follows src/store/seal.rs by hand: PBKDF2-HMAC-SHA256 to a
//! 32-byte KEK, each sealed value `1 ‖ nonce(12) ‖ ciphertext ‖ tag(16)`
//! under AES-256-GCM. If that format changes, the `-fast` seeds stop
//! opening (this tool says so) and the target loses depth, nothing else.
use std::path::{Path, PathBuf};

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use smime::backend::{Backend, SqliteBackend};
use smime::{Mailbox, Passphrase, Password, Store};

const PASSPHRASE: &str = "fixture-passphrase";
const CHECK_AAD: &[u8] = b"smime store check v1";

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

fn kek(salt: &[u8], iterations: usize) -> [u8; 32] {
    let mut key = [0u8; 32];
    openssl::pkcs5::pbkdf2_hmac(
        PASSPHRASE.as_bytes(),
        salt,
        iterations,
        openssl::hash::MessageDigest::sha256(),
        &mut key,
    )
    .expect("pbkdf2");
    key
}

fn open(key: &[u8], sealed: &[u8], aad: &[u8]) -> Vec<u8> {
    assert_eq!(sealed[0], 1, "seal format version");
    let (nonce, rest) = sealed[1..].split_at(12);
    let (ct, tag) = rest.split_at(rest.len() - 16);
    decrypt_aead(Cipher::aes_256_gcm(), key, Some(nonce), aad, ct, tag).expect("unseal")
}

fn seal(key: &[u8], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 12];
    openssl::rand::rand_bytes(&mut nonce).expect("rand");
    let mut tag = [0u8; 16];
    let ct = encrypt_aead(
        Cipher::aes_256_gcm(),
        key,
        Some(&nonce),
        aad,
        plaintext,
        &mut tag,
    )
    .expect("seal");
    [&[1u8][..], &nonce, &ct, &tag].concat()
}

fn key_aad(mailbox: &Mailbox, fingerprint: &[u8]) -> Vec<u8> {
    let mut aad = b"smime private key v1\0".to_vec();
    aad.extend_from_slice(mailbox.canonical().as_bytes());
    aad.push(0);
    aad.extend_from_slice(fingerprint);
    aad
}

/// Re-seals the check value and every key of `path` under a 1-iteration KEK.
fn rekey_fast(path: &Path) {
    let mut backend = SqliteBackend::open(path).expect("open");
    backend
        .write(&mut |tx| {
            let salt = tx.meta("kdf_salt")?.expect("salt");
            let iterations: usize = String::from_utf8(tx.meta("kdf_iterations")?.expect("n"))
                .expect("utf-8")
                .parse()
                .expect("number");
            let (old, new) = (kek(&salt, iterations), kek(&salt, 1));
            let check = open(&old, &tx.meta("check")?.expect("check"), CHECK_AAD);
            tx.set_meta("check", &seal(&new, &check, CHECK_AAD))?;
            tx.set_meta("kdf_iterations", b"1")?;
            for mailbox in tx.mailboxes()? {
                for record in tx.records(&mailbox)? {
                    let aad = key_aad(&mailbox, record.fingerprint.as_bytes());
                    let key = open(&old, &record.sealed_key, &aad);
                    tx.replace_sealed_key(&mailbox, &record.fingerprint, &seal(&new, &key, &aad))?;
                }
            }
            Ok(())
        })
        .expect("rekey");
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).expect("usage: store_seeds DIR"));
    let passphrase = Passphrase::new(PASSPHRASE);
    let alice: Mailbox = "alice@example.org".parse().expect("mailbox");

    let fresh = out.join("fresh.db");
    let _ = std::fs::remove_file(&fresh);
    {
        let mut store = Store::open(&fresh, &passphrase).expect("new store");
        let p12 = std::fs::read(fixture("p12/alice.p12")).expect("alice.p12");
        store
            .import_pkcs12(&alice, &p12, &Password::new("test-password"))
            .expect("import");
        store.set_sign_by_default(&alice, true).expect("settings");
        store
            .set_encrypt_by_default(&alice, true)
            .expect("settings");
        let bob = std::fs::read(fixture("certs/bob.pem")).expect("bob.pem");
        let bob = smime::Certificate::from_pem(&bob).expect("bob");
        store.add_recipient_certificate(&bob).expect("recipient");
    }
    std::fs::copy(fixture("store/v1.db"), out.join("v1.db")).expect("v1.db");
    for (from, to) in [("fresh.db", "fresh-fast.db"), ("v1.db", "v1-fast.db")] {
        std::fs::copy(out.join(from), out.join(to)).expect("copy");
        rekey_fast(&out.join(to));
        // Proof that the fast seed opens, with its keys (on a copy: opening
        // migrates a schema-1 file).
        let check = out.join(format!("{to}.check"));
        std::fs::copy(out.join(to), &check).expect("copy");
        let store = Store::open(&check, &passphrase).expect("fast seed opens");
        assert_eq!(
            store.identities(&alice).expect("identities").len(),
            1,
            "{to}"
        );
    }
    // Only the .db files are seeds (SQLite removes -wal/-shm on close).
    for entry in std::fs::read_dir(&out).expect("dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".db") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
