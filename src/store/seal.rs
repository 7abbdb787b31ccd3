//! Private keys at rest: AES-256-GCM under a key-encryption key (KEK).
//!
//! Every private key a [`crate::Store`] keeps is sealed on its own:
//! `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`, the plaintext being
//! the key's PKCS#8 `PrivateKeyInfo`, with the mailbox and certificate
//! fingerprint as associated data so a sealed key cannot be moved to
//! another row unnoticed. The KEK is derived once per open from the store
//! passphrase (PBKDF2-HMAC-SHA256, see [`Kek::derive`]), or is a key
//! service's raw [`KeyEncryptionKey`] (an in-memory store draws one at
//! random). The original PKCS#12 password and its (possibly weak)
//! encryption are never kept. The row MAC key is derived from the KEK
//! (see the `integrity` module).
#![forbid(unsafe_code)]

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use zeroize::Zeroizing;

use super::backend::{Backend, Lock, Transaction};
use super::integrity::{Corrupted, MacKey, corrupt};
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
    /// A raw key-encryption key, used as it is.
    pub(crate) fn raw(key: &KeyEncryptionKey) -> Self {
        let mut copy = Zeroizing::new([0u8; 32]);
        copy.copy_from_slice(key.expose());
        Kek(copy)
    }

    /// The key bytes (for deriving the row MAC key).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// PBKDF2-HMAC-SHA256(passphrase, salt, iterations) → 32 bytes.
    pub(crate) fn derive(passphrase: &Passphrase, salt: &[u8], iterations: u32) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        let iterations = usize::try_from(iterations).map_err(|_| {
            corrupt(Corrupted::Meta {
                name: META_ITERATIONS,
            })
        })?;
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
        // Callers name what failed (a key, the check value); the cause is
        // deliberately one value.
        let fail = || Error::DecryptionFailed;
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

/// A 32-byte key-encryption key from a key service (KMS, HSM, a secrets
/// manager), used instead of a passphrase: no key derivation, so opening a
/// store costs milliseconds. Zeroized on drop, printed as `<redacted>`.
///
/// ```
/// let kek = smime::KeyEncryptionKey::generate()?;
/// assert_eq!(format!("{kek:?}"), "KeyEncryptionKey(<redacted>)");
/// let same = smime::KeyEncryptionKey::from_slice(kek.expose())?;
/// assert!(smime::KeyEncryptionKey::from_slice(&[0u8; 16]).is_err());
/// # drop(same);
/// # Ok::<(), smime::Error>(())
/// ```
pub struct KeyEncryptionKey(Zeroizing<[u8; 32]>);

impl KeyEncryptionKey {
    /// The key's length in bytes.
    pub const LEN: usize = 32;

    /// Copies a key from `bytes`, which must be exactly 32 bytes long
    /// ([`Error::InvalidKeyEncryptionKey`] otherwise). Zeroize your copy.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidKeyEncryptionKey { len: bytes.len() });
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(bytes);
        Ok(KeyEncryptionKey(key))
    }

    /// A fresh random key (OpenSSL's CSPRNG), e.g. to provision a key
    /// service.
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; 32]);
        openssl::rand::rand_bytes(&mut key[..])?;
        Ok(KeyEncryptionKey(key))
    }

    /// The key bytes. Copy them only into zeroizing buffers.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(<redacted>)")
    }
}

/// What protects a store's private keys: a passphrase (PBKDF2) or a raw
/// [`KeyEncryptionKey`]. `&Passphrase` and `&KeyEncryptionKey` convert into
/// it, so [`crate::Store::open`] takes either.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum StoreKey<'a> {
    /// A passphrase; the KEK is PBKDF2-HMAC-SHA256 of it (600 000
    /// iterations, salt kept in the store). Never empty or blank for a new
    /// store or a re-key ([`Error::EmptyPassphrase`]).
    Passphrase(&'a Passphrase),
    /// A raw key-encryption key, used as it is.
    Key(&'a KeyEncryptionKey),
}

impl<'a> From<&'a Passphrase> for StoreKey<'a> {
    fn from(p: &'a Passphrase) -> Self {
        StoreKey::Passphrase(p)
    }
}

impl<'a> From<&'a KeyEncryptionKey> for StoreKey<'a> {
    fn from(k: &'a KeyEncryptionKey) -> Self {
        StoreKey::Key(k)
    }
}

/// Refuses an empty or whitespace-only passphrase for a new store or a
/// re-key: such a store would protect nothing.
pub(crate) fn check_new_key(key: StoreKey<'_>) -> Result<()> {
    match key {
        StoreKey::Passphrase(p) if p.expose().trim().is_empty() => Err(Error::EmptyPassphrase),
        _ => Ok(()),
    }
}

/// The store records how its KEK is derived; a known value sealed under the
/// KEK proves a key right or wrong before any row is touched. Its
/// associated data also says whether the store's rows carry tags (v2) or
/// not yet (v1, before schema 4): an attacker cannot turn a v2 check into
/// a v1 one to have tampered rows re-tagged without the KEK.
pub(crate) const META_KDF: &str = "kdf";
const META_SALT: &str = "kdf_salt";
const META_ITERATIONS: &str = "kdf_iterations";
pub(crate) const META_CHECK: &str = "check";
const KDF_PBKDF2: &[u8] = b"pbkdf2-hmac-sha256";
const KDF_RAW: &[u8] = b"raw";
const CHECK_PLAINTEXT: &[u8] = b"smime store passphrase check";
const CHECK_AAD_V1: &[u8] = b"smime store check v1";
const CHECK_AAD_V2: &[u8] = b"smime store check v2";

/// Key-derivation parameters and check value as stored.
pub(crate) struct KeyParams {
    /// `None`: a raw KEK.
    pbkdf2: Option<(Vec<u8>, u32)>,
    check: Vec<u8>,
}

/// A store's keys once unlocked: the KEK, the row MAC key, and the check
/// value they were proven against (to notice a re-key by another process).
pub(crate) struct Keys {
    pub(crate) kek: Kek,
    pub(crate) mac: MacKey,
    pub(crate) check: Vec<u8>,
}

impl Keys {
    fn new(kek: Kek, check: Vec<u8>) -> Result<Self> {
        let mac = MacKey::derive(kek.bytes())?;
        Ok(Keys { kek, mac, check })
    }

    /// True when `check` (read inside a transaction) is still the value
    /// these keys were proven against, or one they open (a v1 → v2 step).
    pub(crate) fn current(&self, check: Option<&[u8]>) -> bool {
        check.is_some_and(|c| c == self.check.as_slice())
    }
}

impl KeyParams {
    /// The stored parameters; `None` only for a store that has never been
    /// keyed (no parameter at all and no certificate). Anything in between
    /// is damage, and is refused rather than "repaired" with a new salt,
    /// which would make every stored key unreadable.
    pub(crate) fn read(tx: &dyn Transaction) -> Result<Option<Self>> {
        let kdf = tx.meta(META_KDF)?;
        let check = tx.meta(META_CHECK)?;
        let salt = tx.meta(META_SALT)?;
        let iterations = tx.meta(META_ITERATIONS)?;
        if kdf.is_none() && check.is_none() && salt.is_none() && iterations.is_none() {
            // Mailbox rows are written only after a store is keyed (and
            // this query works on every schema version).
            if !tx.mailboxes()?.is_empty() {
                return Err(corrupt(Corrupted::Meta { name: META_KDF }));
            }
            return Ok(None);
        }
        let (Some(kdf), Some(check)) = (kdf, check) else {
            return Err(corrupt(Corrupted::Meta { name: META_CHECK }));
        };
        if kdf == KDF_RAW {
            return Ok(Some(KeyParams {
                pbkdf2: None,
                check,
            }));
        }
        if kdf != KDF_PBKDF2 {
            return Err(corrupt(Corrupted::Meta { name: META_KDF }));
        }
        let salt = salt.ok_or_else(|| corrupt(Corrupted::Meta { name: META_SALT }))?;
        let iterations = iterations
            .as_deref()
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|s| s.parse::<u32>().ok())
            .filter(|n| (1..=MAX_STORE_ITERATIONS).contains(n))
            .ok_or_else(|| {
                corrupt(Corrupted::Meta {
                    name: META_ITERATIONS,
                })
            })?;
        Ok(Some(KeyParams {
            pbkdf2: Some((salt, iterations)),
            check,
        }))
    }

    pub(crate) fn write_to(&self, tx: &mut dyn Transaction) -> Result<()> {
        match &self.pbkdf2 {
            Some((salt, iterations)) => {
                tx.set_meta(META_KDF, KDF_PBKDF2)?;
                tx.set_meta(META_SALT, salt)?;
                tx.set_meta(META_ITERATIONS, iterations.to_string().as_bytes())?;
            }
            None => tx.set_meta(META_KDF, KDF_RAW)?,
        }
        tx.set_meta(META_CHECK, &self.check)
    }

    /// Fresh parameters for `key` (a new salt for a passphrase), the KEK,
    /// and its v2 check value.
    pub(crate) fn fresh(key: StoreKey<'_>) -> Result<(Self, Keys)> {
        check_new_key(key)?;
        let (pbkdf2, kek) = match key {
            StoreKey::Passphrase(passphrase) => {
                let mut salt = vec![0u8; 16];
                openssl::rand::rand_bytes(&mut salt)?;
                let kek = Kek::derive(passphrase, &salt, PBKDF2_ITERATIONS)?;
                (Some((salt, PBKDF2_ITERATIONS)), kek)
            }
            StoreKey::Key(raw) => (None, Kek::raw(raw)),
        };
        let check = kek.seal(CHECK_PLAINTEXT, CHECK_AAD_V2)?;
        Ok((
            KeyParams {
                pbkdf2,
                check: check.clone(),
            },
            Keys::new(kek, check)?,
        ))
    }

    /// The keys for `key` and whether the rows are tagged (check v2), or
    /// [`Error::WrongPassphrase`] (also for a key of the other kind).
    pub(crate) fn unlock(&self, key: StoreKey<'_>) -> Result<(Keys, bool)> {
        let kek = match (&self.pbkdf2, key) {
            (Some((salt, iterations)), StoreKey::Passphrase(p)) => {
                Kek::derive(p, salt, *iterations)?
            }
            (None, StoreKey::Key(raw)) => Kek::raw(raw),
            _ => return Err(Error::WrongPassphrase),
        };
        let tagged = if kek.open(&self.check, CHECK_AAD_V2).is_ok() {
            true
        } else if kek.open(&self.check, CHECK_AAD_V1).is_ok() {
            false
        } else {
            return Err(Error::WrongPassphrase);
        };
        Ok((Keys::new(kek, self.check.clone())?, tagged))
    }
}

/// The keys of the store in `backend` and whether its rows are tagged:
/// derived from `key` and checked against the stored check value, or, for
/// a store that has none yet, set up afresh (in one transaction, so two
/// processes creating the same store agree on one salt). `init` writes
/// what a new store needs beside its key parameters (the policy row).
pub(crate) fn unlock(
    backend: &dyn Backend,
    key: StoreKey<'_>,
    init: &dyn Fn(&mut dyn Transaction, &Keys) -> Result<()>,
) -> Result<(Keys, bool)> {
    let mut stored = None;
    backend.read(&mut |tx| {
        stored = KeyParams::read(tx)?;
        Ok(())
    })?;
    if let Some(params) = stored {
        return params.unlock(key);
    }
    // Derive before the write transaction: PBKDF2 is slow, locks are not.
    let (fresh, keys) = KeyParams::fresh(key)?;
    let mut raced = None;
    backend.write(&mut |tx| {
        tx.lock(Lock::Key { exclusive: true })?;
        raced = KeyParams::read(tx)?;
        match raced {
            Some(_) => Ok(()),
            None => {
                fresh.write_to(tx)?;
                init(tx, &keys)
            }
        }
    })?;
    match raced {
        Some(params) => params.unlock(key),
        None => Ok((keys, true)),
    }
}

/// The v2 check value under `keys` (rows tagged from now on).
pub(crate) fn check_v2(keys: &Keys) -> Result<Vec<u8>> {
    keys.kek.seal(CHECK_PLAINTEXT, CHECK_AAD_V2)
}

/// True when `check` is a v2 check value under `keys`.
pub(crate) fn is_v2(keys: &Keys, check: &[u8]) -> bool {
    keys.kek.open(check, CHECK_AAD_V2).is_ok()
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
        let kek = Kek::raw(&KeyEncryptionKey::generate().unwrap());
        let sealed = kek.seal(b"secret key", b"row 1").unwrap();
        assert_eq!(&kek.open(&sealed, b"row 1").unwrap()[..], b"secret key");
        assert!(kek.open(&sealed, b"row 2").is_err());
        let other = Kek::raw(&KeyEncryptionKey::generate().unwrap());
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
