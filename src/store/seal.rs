//! Private keys at rest: AES-256-GCM under a key-encryption key (KEK).
//!
//! Every private key a [`crate::Store`] keeps is sealed on its own:
//! `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, the plaintext being
//! the key's PKCS#8 `PrivateKeyInfo`, with the mailbox and certificate
//! fingerprint as associated data so a sealed key cannot be moved to
//! another row unnoticed. The KEK is derived once per open from the store
//! passphrase (PBKDF2-HMAC-SHA256, see [`Kek::derive`]) or, for an
//! in-memory store, drawn at random. The original PKCS#12 password and its
//! (possibly weak) encryption are never kept.
#![forbid(unsafe_code)]

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use zeroize::Zeroizing;

use super::backend::{Backend, Transaction};
use crate::cert::Fingerprint;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::secret::Passphrase;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// OWASP's 2023 figure for PBKDF2-HMAC-SHA256; a file records the count it
/// was written with, so raising this later does not lock old files out.
pub(crate) const PBKDF2_ITERATIONS: u32 = 600_000;

/// A store file asking for more is refused: a tampered file must not make
/// `open` hang.
const MAX_STORE_ITERATIONS: u32 = 10_000_000;

/// A key-encryption key. Zeroized on drop; never printed.
pub(crate) struct Kek(Zeroizing<[u8; 32]>);

impl Kek {
    /// A fresh random KEK (in-memory stores).
    pub(crate) fn random() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        openssl::rand::rand_bytes(&mut key[..])?;
        Ok(Kek(key))
    }

    /// PBKDF2-HMAC-SHA256(passphrase, salt, iterations) → 32 bytes.
    pub(crate) fn derive(passphrase: &Passphrase, salt: &[u8], iterations: u32) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        let iterations =
            usize::try_from(iterations).map_err(|_| Error::Store("bad KDF parameters".into()))?;
        openssl::pkcs5::pbkdf2_hmac(
            passphrase.expose().as_bytes(),
            salt,
            iterations,
            openssl::hash::MessageDigest::sha256(),
            &mut key[..],
        )?;
        Ok(Kek(key))
    }

    /// Seals `plaintext` bound to `aad`.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        openssl::rand::rand_bytes(&mut nonce)?;
        let mut tag = [0u8; TAG_LEN];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0[..],
            Some(&nonce),
            aad,
            plaintext,
            &mut tag,
        )?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens what [`Kek::seal`] made with the same `aad`; any mismatch
    /// (wrong KEK, tampering, moved row) is one error.
    pub(crate) fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let fail = || Error::Store("a sealed private key failed authentication".into());
        let (&version, rest) = sealed.split_first().ok_or_else(fail)?;
        if version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(fail());
        }
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        decrypt_aead(
            Cipher::aes_256_gcm(),
            &self.0[..],
            Some(nonce),
            aad,
            ct,
            tag,
        )
        .map(Zeroizing::new)
        .map_err(|_| fail())
    }
}

/// The store records how its KEK is derived; a known value sealed under the
/// KEK proves a passphrase right or wrong before any key is touched.
const META_KDF: &str = "kdf";
const META_SALT: &str = "kdf_salt";
const META_ITERATIONS: &str = "kdf_iterations";
const META_CHECK: &str = "check";
const KDF_NAME: &[u8] = b"pbkdf2-hmac-sha256";
const CHECK_PLAINTEXT: &[u8] = b"smime store passphrase check";
const CHECK_AAD: &[u8] = b"smime store check v1";

/// Key-derivation parameters and check value as stored.
struct KeyParams {
    salt: Vec<u8>,
    iterations: u32,
    check: Vec<u8>,
}

impl KeyParams {
    /// The stored parameters; `None` only for a store that has never been
    /// keyed (no parameter at all and no certificate). Anything in between
    /// is damage, and is refused rather than "repaired" with a new salt,
    /// which would make every stored key unreadable.
    fn read(tx: &dyn Transaction) -> Result<Option<Self>> {
        let names = [META_KDF, META_SALT, META_ITERATIONS, META_CHECK];
        let values = names
            .iter()
            .map(|n| tx.meta(n))
            .collect::<Result<Vec<_>>>()?;
        if values.iter().all(Option::is_none) {
            let mut keyed = false;
            for mailbox in tx.mailboxes()? {
                keyed |= !tx.records(&mailbox)?.is_empty();
            }
            if keyed {
                return Err(Error::Store(
                    "the store holds keys but no key-derivation parameters".into(),
                ));
            }
            return Ok(None);
        }
        let incomplete =
            || Error::Store("incomplete or unreadable key-derivation parameters".into());
        let [Some(kdf), Some(salt), Some(iterations), Some(check)] =
            <[Option<Vec<u8>>; 4]>::try_from(values).map_err(|_| incomplete())?
        else {
            return Err(incomplete());
        };
        if kdf != KDF_NAME {
            return Err(Error::Store(
                "the store uses an unknown key-derivation function".into(),
            ));
        }
        let iterations = std::str::from_utf8(&iterations)
            .ok()
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|n| (1..=MAX_STORE_ITERATIONS).contains(n))
            .ok_or_else(incomplete)?;
        Ok(Some(KeyParams {
            salt,
            iterations,
            check,
        }))
    }

    fn write(&self, tx: &mut dyn Transaction) -> Result<()> {
        tx.set_meta(META_KDF, KDF_NAME)?;
        tx.set_meta(META_SALT, &self.salt)?;
        tx.set_meta(META_ITERATIONS, self.iterations.to_string().as_bytes())?;
        tx.set_meta(META_CHECK, &self.check)
    }

    /// Fresh salt, the KEK derived from `passphrase`, and its check value.
    fn fresh(passphrase: &Passphrase) -> Result<(Self, Kek)> {
        let mut salt = vec![0u8; 16];
        openssl::rand::rand_bytes(&mut salt)?;
        let kek = Kek::derive(passphrase, &salt, PBKDF2_ITERATIONS)?;
        let check = kek.seal(CHECK_PLAINTEXT, CHECK_AAD)?;
        Ok((
            KeyParams {
                salt,
                iterations: PBKDF2_ITERATIONS,
                check,
            },
            kek,
        ))
    }

    /// The KEK for `passphrase`, or [`Error::WrongPassphrase`].
    fn unlock(&self, passphrase: &Passphrase) -> Result<Kek> {
        let kek = Kek::derive(passphrase, &self.salt, self.iterations)?;
        kek.open(&self.check, CHECK_AAD)
            .map_err(|_| Error::WrongPassphrase)?;
        Ok(kek)
    }
}

/// The KEK of the store in `backend`: derived from `passphrase` and checked
/// against the stored check value, or, for a store that has none yet,
/// set up with a fresh salt (in one transaction, so two processes creating
/// the same file agree on one salt).
pub(crate) fn unlock(backend: &mut dyn Backend, passphrase: &Passphrase) -> Result<Kek> {
    let mut stored = None;
    backend.read(&mut |tx| {
        stored = KeyParams::read(tx)?;
        Ok(())
    })?;
    if let Some(params) = stored {
        return params.unlock(passphrase);
    }
    // Derive before the write transaction: PBKDF2 is slow, locks are not.
    let (fresh, kek) = KeyParams::fresh(passphrase)?;
    let mut raced = None;
    backend.write(&mut |tx| {
        raced = KeyParams::read(tx)?;
        match raced {
            Some(_) => Ok(()),
            None => fresh.write(tx),
        }
    })?;
    match raced {
        Some(params) => params.unlock(passphrase),
        None => Ok(kek),
    }
}

/// Re-seals every private key under a KEK derived from `new_passphrase`,
/// in one transaction; returns the new KEK. `old` must still open the
/// stored check value (another process may have changed the passphrase).
pub(crate) fn rekey(
    backend: &mut dyn Backend,
    old: &Kek,
    new_passphrase: &Passphrase,
) -> Result<Kek> {
    let (fresh, new) = KeyParams::fresh(new_passphrase)?;
    backend.write(&mut |tx| {
        // An in-memory store has a random KEK and no check value.
        if let Some(check) = tx.meta(META_CHECK)? {
            old.open(&check, CHECK_AAD)
                .map_err(|_| Error::WrongPassphrase)?;
        }
        for mailbox in tx.mailboxes()? {
            for record in tx.records(&mailbox)? {
                let aad = key_aad(&mailbox, &record.fingerprint);
                let key = old.open(&record.sealed_key, &aad)?;
                tx.replace_sealed_key(&mailbox, &record.fingerprint, &new.seal(&key, &aad)?)?;
            }
        }
        fresh.write(tx)
    })?;
    Ok(new)
}

/// Associated data binding a sealed key to its row.
pub(crate) fn key_aad(mailbox: &Mailbox, fingerprint: &Fingerprint) -> Vec<u8> {
    let mut aad = b"smime private key v1\0".to_vec();
    aad.extend_from_slice(mailbox.canonical().as_bytes());
    aad.push(0);
    aad.extend_from_slice(fingerprint.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trips_and_binds_aad() {
        let kek = Kek::random().unwrap();
        let sealed = kek.seal(b"secret key", b"row 1").unwrap();
        assert_eq!(&kek.open(&sealed, b"row 1").unwrap()[..], b"secret key");
        assert!(kek.open(&sealed, b"row 2").is_err());
        let other = Kek::random().unwrap();
        assert!(other.open(&sealed, b"row 1").is_err());
        let mut flipped = sealed.clone();
        flipped[20] ^= 1;
        assert!(kek.open(&flipped, b"row 1").is_err());
        assert!(kek.open(&sealed[..10], b"row 1").is_err());
        assert!(kek.open(&[], b"row 1").is_err());
    }

    #[test]
    fn derive_is_deterministic_per_salt() {
        let pp = Passphrase::new("pp");
        let a = Kek::derive(&pp, b"salt-a", 1000).unwrap();
        let b = Kek::derive(&pp, b"salt-a", 1000).unwrap();
        let c = Kek::derive(&pp, b"salt-b", 1000).unwrap();
        let sealed = a.seal(b"x", b"").unwrap();
        assert!(b.open(&sealed, b"").is_ok());
        assert!(c.open(&sealed, b"").is_err());
    }
}
