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

use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use zeroize::Zeroizing;

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
