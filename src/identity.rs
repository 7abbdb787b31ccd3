//! [`Identity`]: an end-entity certificate with its private key and chain.
#![forbid(unsafe_code)]

use std::fmt;

use openssl::pkey::{Id, PKey, Private};
use zeroize::Zeroizing;

use crate::algorithm::KeyAlgorithm;
use crate::cert::Certificate;
use crate::error::{Error, Result};

/// A private key held by OpenSSL.
///
/// The key material lives in OpenSSL's memory, which `EVP_PKEY_free`
/// clears (`BN_clear_free`, `OPENSSL_clear_free`) when the last handle is
/// dropped. Exported forms ([`PrivateKey::to_pkcs8_der`]) come back in
/// [`Zeroizing`] buffers. `Debug` shows only the algorithm.
pub struct PrivateKey(PKey<Private>);

impl PrivateKey {
    /// Reads an unencrypted PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let key = PKey::private_key_from_pkcs8(der).map_err(|_| Error::InvalidKey)?;
        Self::from_openssl(key)
    }

    /// Wraps an OpenSSL key after checking it is one S/MIME can use here.
    pub(crate) fn from_openssl(key: PKey<Private>) -> Result<Self> {
        match key.id() {
            Id::RSA | Id::EC => Ok(PrivateKey(key)),
            Id::DSA => Err(Error::UnsupportedKey(KeyAlgorithm::Dsa {
                bits: key.bits(),
            })),
            Id::RSA_PSS => Err(Error::UnsupportedKey(KeyAlgorithm::RsaPss {
                bits: key.bits(),
            })),
            Id::ED25519 => Err(Error::UnsupportedKey(KeyAlgorithm::Ed25519)),
            other => Err(Error::UnsupportedKey(KeyAlgorithm::Other(format!(
                "key type {}",
                other.as_raw()
            )))),
        }
    }

    /// The unencrypted PKCS#8 `PrivateKeyInfo` (DER), in a zeroizing buffer.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(self.0.private_key_to_pkcs8()?))
    }

    /// True when `cert` carries this key's public half.
    pub fn matches(&self, cert: &Certificate) -> bool {
        cert.public_key()
            .is_ok_and(|public| public.public_eq(&self.0))
    }

    /// The OpenSSL key, for the primitives.
    pub(crate) fn openssl(&self) -> &PKey<Private> {
        &self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey({:?}, {} bits, <redacted>)",
            self.0.id(),
            self.0.bits()
        )
    }
}

/// An end-entity certificate, its private key, and the CA certificates that
/// came with it (nearest issuer first when the bundle said so).
#[derive(Debug)]
pub struct Identity {
    certificate: Certificate,
    key: PrivateKey,
    chain: Vec<Certificate>,
}

impl Identity {
    /// Builds an identity, checking that `key` belongs to `certificate`.
    pub fn new(certificate: Certificate, key: PrivateKey, chain: Vec<Certificate>) -> Result<Self> {
        if !key.matches(&certificate) {
            return Err(Error::KeyCertificateMismatch);
        }
        if !matches!(
            certificate.key_algorithm(),
            KeyAlgorithm::Rsa { .. } | KeyAlgorithm::Ec { .. }
        ) {
            return Err(Error::UnsupportedKey(certificate.key_algorithm().clone()));
        }
        Ok(Identity {
            certificate,
            key,
            chain,
        })
    }

    /// The end-entity certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key.
    pub fn private_key(&self) -> &PrivateKey {
        &self.key
    }

    /// CA certificates that travelled with the identity.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }
}
