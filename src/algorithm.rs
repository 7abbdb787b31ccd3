//! The algorithms S/MIME names: message digests (RFC 5754), content
//! encryption (RFC 3565, RFC 5084) and RSA key transport (RFC 8017,
//! RFC 4055).
//!
//! This module sits below everything that names an algorithm — signing,
//! verification, encryption, the store's recipient directory — so none of
//! them has to import another for a name. Each enum maps to and from its
//! OID here and nowhere else.
#![forbid(unsafe_code)]

use std::fmt;

use const_oid::ObjectIdentifier as Oid;
use openssl::hash::MessageDigest;
use openssl::symm::Cipher;

use crate::oid::{self, ObjectId};

/// A message digest algorithm (RFC 5754).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-1: verified, reported as weak, never used to sign.
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256, the default (RFC 8551 §2.1).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// Every digest we verify, the default first.
    pub(crate) const ALL: [DigestAlgorithm; 5] = [
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
        Self::Sha224,
        Self::Sha1,
    ];

    pub(crate) fn from_oid(oid: &Oid) -> Option<Self> {
        Some(match *oid {
            oid::SHA1 => Self::Sha1,
            oid::SHA224 => Self::Sha224,
            oid::SHA256 => Self::Sha256,
            oid::SHA384 => Self::Sha384,
            oid::SHA512 => Self::Sha512,
            _ => return None,
        })
    }

    pub(crate) fn oid(self) -> Oid {
        match self {
            Self::Sha1 => oid::SHA1,
            Self::Sha224 => oid::SHA224,
            Self::Sha256 => oid::SHA256,
            Self::Sha384 => oid::SHA384,
            Self::Sha512 => oid::SHA512,
        }
    }

    pub(crate) fn md(self) -> MessageDigest {
        match self {
            Self::Sha1 => MessageDigest::sha1(),
            Self::Sha224 => MessageDigest::sha224(),
            Self::Sha256 => MessageDigest::sha256(),
            Self::Sha384 => MessageDigest::sha384(),
            Self::Sha512 => MessageDigest::sha512(),
        }
    }

    /// The `micalg` parameter of `multipart/signed` (RFC 8551 §3.5.3.2).
    pub fn micalg(self) -> &'static str {
        match self {
            Self::Sha1 => "sha-1",
            Self::Sha224 => "sha-224",
            Self::Sha256 => "sha-256",
            Self::Sha384 => "sha-384",
            Self::Sha512 => "sha-512",
        }
    }

    /// The digest a `micalg` value names (case-insensitive), if any.
    pub(crate) fn from_micalg(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.micalg().eq_ignore_ascii_case(name.trim()))
    }

    /// SHA-1 is collision-broken (SHAttered, 2017); Thunderbird 115 and
    /// RFC 8551 §2.1 no longer accept it for new signatures.
    pub fn is_weak(self) -> bool {
        self == Self::Sha1
    }

    /// The digest length in bytes.
    pub(crate) fn output_len(self) -> u32 {
        match self {
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        })
    }
}

/// An algorithm as a message names it: one this crate knows, or the
/// identifier of one it does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Named<T> {
    /// An algorithm this crate implements.
    Known(T),
    /// Any other, by its identifier.
    Unknown(ObjectId),
}

impl<T: Copy> Named<T> {
    /// The known algorithm, if it is one.
    pub fn known(&self) -> Option<T> {
        match self {
            Named::Known(t) => Some(*t),
            Named::Unknown(_) => None,
        }
    }
}

impl<T: fmt::Display> fmt::Display for Named<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Named::Known(t) => t.fmt(f),
            Named::Unknown(oid) => oid.fmt(f),
        }
    }
}

impl Named<DigestAlgorithm> {
    pub(crate) fn digest(oid: &Oid) -> Self {
        DigestAlgorithm::from_oid(oid).map_or(Named::Unknown(ObjectId(*oid)), Named::Known)
    }
}

/// A signature algorithm of a SignerInfo (RFC 5652 §5.3,
/// `signatureAlgorithm`), by key type: RFC 5754 and RFC 8551 allow
/// `rsaEncryption` or `sha*WithRSAEncryption` for PKCS#1 v1.5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 (RFC 8017 §8.2).
    RsaPkcs1v15,
    /// RSASSA-PSS (RFC 4055).
    RsaPss,
    /// ECDSA (RFC 5753, RFC 5758).
    Ecdsa,
}

impl SignatureAlgorithm {
    /// The signature algorithm an OID names, whatever digest it combines.
    pub(crate) fn from_oid(oid: &Oid) -> Option<Self> {
        Some(match *oid {
            oid::RSA_ENCRYPTION
            | oid::SHA1_WITH_RSA
            | oid::SHA224_WITH_RSA
            | oid::SHA256_WITH_RSA
            | oid::SHA384_WITH_RSA
            | oid::SHA512_WITH_RSA => Self::RsaPkcs1v15,
            oid::RSASSA_PSS => Self::RsaPss,
            oid::EC_PUBLIC_KEY
            | oid::ECDSA_WITH_SHA1
            | oid::ECDSA_WITH_SHA224
            | oid::ECDSA_WITH_SHA256
            | oid::ECDSA_WITH_SHA384
            | oid::ECDSA_WITH_SHA512 => Self::Ecdsa,
            _ => return None,
        })
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RsaPkcs1v15 => "RSA PKCS#1 v1.5",
            Self::RsaPss => "RSASSA-PSS",
            Self::Ecdsa => "ECDSA",
        })
    }
}

impl Named<SignatureAlgorithm> {
    pub(crate) fn signature(oid: &Oid) -> Self {
        SignatureAlgorithm::from_oid(oid).map_or(Named::Unknown(ObjectId(*oid)), Named::Known)
    }
}

/// A content-encryption algorithm: what [`crate::encrypt`] writes and
/// what [`crate::Decrypted`] reports.
///
/// [`crate::encrypt`] writes AES-256-CBC (`EnvelopedData`, the default for
/// reach) or AES-128/256-GCM (`AuthEnvelopedData`, RFC 8551 §2.7); the
/// other variants are read only, from mail other clients wrote
/// ([`ContentEncryption::can_encrypt`]): ChaCha20-Poly1305 (RFC 8103, what
/// Stalwart writes), AES-CCM (RFC 5084), Triple-DES (old archives,
/// reported as a [`DecryptionWeakness`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// AES-128-CBC in `EnvelopedData` (read only).
    Aes128Cbc,
    /// AES-192-CBC in `EnvelopedData` (read only).
    Aes192Cbc,
    /// AES-256-CBC in `EnvelopedData`: every S/MIME client reads it; the
    /// default for reach. Not authenticated.
    #[default]
    Aes256Cbc,
    /// AES-128-GCM in `AuthEnvelopedData` (RFC 8551 §2.7 MUST).
    Aes128Gcm,
    /// AES-192-GCM in `AuthEnvelopedData` (read only).
    Aes192Gcm,
    /// AES-256-GCM in `AuthEnvelopedData`.
    Aes256Gcm,
    /// ChaCha20-Poly1305 in `AuthEnvelopedData` (RFC 8103; read only).
    ChaCha20Poly1305,
    /// AES-128-CCM in `AuthEnvelopedData` (RFC 5084 §3.1; read only).
    Aes128Ccm,
    /// AES-192-CCM in `AuthEnvelopedData` (read only).
    Aes192Ccm,
    /// AES-256-CCM in `AuthEnvelopedData` (read only).
    Aes256Ccm,
    /// Triple-DES CBC in `EnvelopedData`: old archives and gpgsm's
    /// default; read only, reported as [`DecryptionWeakness::TripleDes`].
    DesEde3Cbc,
}

impl ContentEncryption {
    /// Every algorithm, in order of preference for what we write.
    pub(crate) const ALL: [ContentEncryption; 11] = [
        Self::Aes256Gcm,
        Self::Aes128Gcm,
        Self::Aes256Cbc,
        Self::Aes192Gcm,
        Self::Aes128Cbc,
        Self::Aes192Cbc,
        Self::ChaCha20Poly1305,
        Self::Aes256Ccm,
        Self::Aes192Ccm,
        Self::Aes128Ccm,
        Self::DesEde3Cbc,
    ];

    /// What we announce in SMIMECapabilities and can negotiate, most
    /// preferred first: AES-GCM (RFC 8551 §2.7 MUST) before AES-CBC.
    pub(crate) const ANNOUNCED: [ContentEncryption; 4] = [
        Self::Aes256Gcm,
        Self::Aes128Gcm,
        Self::Aes256Cbc,
        Self::Aes128Cbc,
    ];

    pub(crate) fn from_oid(oid: &Oid) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.oid() == *oid)
    }

    pub(crate) fn oid(self) -> Oid {
        match self {
            Self::Aes128Cbc => oid::AES128_CBC,
            Self::Aes192Cbc => oid::AES192_CBC,
            Self::Aes256Cbc => oid::AES256_CBC,
            Self::Aes128Gcm => oid::AES128_GCM,
            Self::Aes192Gcm => oid::AES192_GCM,
            Self::Aes256Gcm => oid::AES256_GCM,
            Self::ChaCha20Poly1305 => oid::CHACHA20_POLY1305,
            Self::Aes128Ccm => oid::AES128_CCM,
            Self::Aes192Ccm => oid::AES192_CCM,
            Self::Aes256Ccm => oid::AES256_CCM,
            Self::DesEde3Cbc => oid::DES_EDE3_CBC,
        }
    }

    /// The cipher for OpenSSL's CMS engine (what it writes, and what it
    /// keys on decryption: CBC and 12-byte-nonce GCM).
    pub(crate) fn cipher(self) -> Cipher {
        match self {
            Self::Aes128Cbc => Cipher::aes_128_cbc(),
            Self::Aes192Cbc => Cipher::aes_192_cbc(),
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes192Gcm => Cipher::aes_192_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
            Self::ChaCha20Poly1305 => Cipher::chacha20_poly1305(),
            Self::Aes128Ccm => Cipher::aes_128_ccm(),
            Self::Aes192Ccm => Cipher::aes_192_ccm(),
            Self::Aes256Ccm => Cipher::aes_256_ccm(),
            Self::DesEde3Cbc => Cipher::des_ede3_cbc(),
        }
    }

    /// The EVP cipher, for the AEADs we key ourselves.
    pub(crate) fn evp(self) -> &'static openssl::cipher::CipherRef {
        use openssl::cipher::Cipher as Evp;
        match self {
            Self::Aes128Cbc => Evp::aes_128_cbc(),
            Self::Aes192Cbc => Evp::aes_192_cbc(),
            Self::Aes256Cbc => Evp::aes_256_cbc(),
            Self::Aes128Gcm => Evp::aes_128_gcm(),
            Self::Aes192Gcm => Evp::aes_192_gcm(),
            Self::Aes256Gcm => Evp::aes_256_gcm(),
            Self::ChaCha20Poly1305 => Evp::chacha20_poly1305(),
            Self::Aes128Ccm => Evp::aes_128_ccm(),
            Self::Aes192Ccm => Evp::aes_192_ccm(),
            Self::Aes256Ccm => Evp::aes_256_ccm(),
            Self::DesEde3Cbc => Evp::des_ede3_cbc(),
        }
    }

    /// An AEAD (carried in `AuthEnvelopedData`, RFC 5083): the content is
    /// authenticated, so a decryption that succeeds was not altered.
    pub fn is_authenticated(self) -> bool {
        self.is_gcm() || self.is_ccm() || self == Self::ChaCha20Poly1305
    }

    pub(crate) fn is_gcm(self) -> bool {
        matches!(self, Self::Aes128Gcm | Self::Aes192Gcm | Self::Aes256Gcm)
    }

    pub(crate) fn is_ccm(self) -> bool {
        matches!(self, Self::Aes128Ccm | Self::Aes192Ccm | Self::Aes256Ccm)
    }

    /// Whether [`crate::encrypt`] writes it (the others are read only).
    pub fn can_encrypt(self) -> bool {
        matches!(self, Self::Aes256Cbc | Self::Aes128Gcm | Self::Aes256Gcm)
    }

    /// What is weak about it, for [`crate::Decrypted::weaknesses`].
    pub fn weaknesses(self) -> Vec<DecryptionWeakness> {
        match self {
            Self::DesEde3Cbc => vec![DecryptionWeakness::TripleDes],
            _ => Vec::new(),
        }
    }

    /// The content encryption for a set of recipients, from what each
    /// announced (`None`: unknown): AES-GCM when every recipient announced
    /// it (AES-256-GCM if all support it, else AES-128-GCM), otherwise
    /// AES-256-CBC, which every client reads (RFC 8551 §2.7).
    pub fn negotiate(recipients: &[Option<Vec<ContentEncryption>>]) -> ContentEncryption {
        let all = |c| {
            !recipients.is_empty()
                && recipients
                    .iter()
                    .all(|r| r.as_ref().is_some_and(|caps| caps.contains(&c)))
        };
        if all(Self::Aes256Gcm) {
            Self::Aes256Gcm
        } else if all(Self::Aes128Gcm) {
            Self::Aes128Gcm
        } else {
            Self::Aes256Cbc
        }
    }
}

impl fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Aes128Cbc => "AES-128-CBC",
            Self::Aes192Cbc => "AES-192-CBC",
            Self::Aes256Cbc => "AES-256-CBC",
            Self::Aes128Gcm => "AES-128-GCM",
            Self::Aes192Gcm => "AES-192-GCM",
            Self::Aes256Gcm => "AES-256-GCM",
            Self::ChaCha20Poly1305 => "ChaCha20-Poly1305",
            Self::Aes128Ccm => "AES-128-CCM",
            Self::Aes192Ccm => "AES-192-CCM",
            Self::Aes256Ccm => "AES-256-CCM",
            Self::DesEde3Cbc => "3DES-CBC",
        })
    }
}

/// What is weak about how a message was encrypted, beyond whether it was
/// authenticated ([`crate::Decrypted::authenticated`]): the message was
/// decrypted, but a client should say it was protected by less than
/// today's standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecryptionWeakness {
    /// Triple-DES (RFC 3370 §5.1): 64-bit blocks (Sweet32, CVE-2016-2183)
    /// and 112-bit security; NIST disallowed it for encryption after 2023
    /// (SP 800-131A Rev. 2). Old archives and gpgsm 2.2's default.
    TripleDes,
}

impl fmt::Display for DecryptionWeakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TripleDes => "3DES-CBC",
        })
    }
}

/// How the content key reaches an RSA recipient (EC recipients always use
/// ECDH key agreement, RFC 5753).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyTransport {
    /// RSA PKCS#1 v1.5: what every client reads; the default.
    #[default]
    RsaPkcs1v15,
    /// RSAES-OAEP with SHA-256 (RFC 8017, RFC 4055): preferred where the
    /// recipients support it.
    RsaOaep,
}

impl fmt::Display for KeyTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RsaPkcs1v15 => "RSA PKCS#1 v1.5",
            Self::RsaOaep => "RSAES-OAEP",
        })
    }
}

/// The public key algorithm of a certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus length in bits.
        bits: u32,
    },
    /// An RSASSA-PSS key (id-RSASSA-PSS, RFC 4055): signatures only, never
    /// key transport.
    RsaPss {
        /// Modulus length in bits.
        bits: u32,
    },
    /// Elliptic curve key on a named curve.
    Ec {
        /// The curve.
        curve: EcCurve,
    },
    /// DSA (readable, not usable for S/MIME here).
    Dsa {
        /// Size of `p` in bits.
        bits: u32,
    },
    /// Ed25519 (RFC 8419).
    Ed25519,
    /// Anything else, by OpenSSL's short name or "unknown".
    Other(String),
}

impl KeyAlgorithm {
    /// Key size in bits (for EC, the curve's field size).
    pub fn bits(&self) -> Option<u32> {
        match self {
            KeyAlgorithm::Rsa { bits }
            | KeyAlgorithm::RsaPss { bits }
            | KeyAlgorithm::Dsa { bits } => Some(*bits),
            KeyAlgorithm::Ec { curve } => curve.bits(),
            KeyAlgorithm::Ed25519 => Some(256),
            KeyAlgorithm::Other(_) => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyAlgorithm::RsaPss { bits } => write!(f, "RSA-PSS-{bits}"),
            KeyAlgorithm::Ec { curve } => write!(f, "EC {curve}"),
            KeyAlgorithm::Dsa { bits } => write!(f, "DSA-{bits}"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Other(name) => f.write_str(name),
        }
    }
}

/// A named elliptic curve.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EcCurve {
    /// NIST P-256 (prime256v1, secp256r1).
    P256,
    /// NIST P-384 (secp384r1).
    P384,
    /// NIST P-521 (secp521r1).
    P521,
    /// Another curve, by OpenSSL's short name.
    Other(String),
}

impl EcCurve {
    fn bits(&self) -> Option<u32> {
        match self {
            EcCurve::P256 => Some(256),
            EcCurve::P384 => Some(384),
            EcCurve::P521 => Some(521),
            EcCurve::Other(_) => None,
        }
    }
}

impl fmt::Display for EcCurve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EcCurve::P256 => f.write_str("P-256"),
            EcCurve::P384 => f.write_str("P-384"),
            EcCurve::P521 => f.write_str("P-521"),
            EcCurve::Other(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip() {
        for d in DigestAlgorithm::ALL {
            assert_eq!(DigestAlgorithm::from_oid(&d.oid()), Some(d));
            assert_eq!(DigestAlgorithm::from_micalg(d.micalg()), Some(d));
        }
        for c in ContentEncryption::ALL {
            assert_eq!(ContentEncryption::from_oid(&c.oid()), Some(c));
        }
        assert_eq!(
            DigestAlgorithm::from_micalg(" SHA-256 "),
            Some(DigestAlgorithm::Sha256)
        );
        assert_eq!(DigestAlgorithm::from_micalg("md5"), None);
    }

    #[test]
    fn negotiation_needs_every_recipient() {
        use ContentEncryption::*;
        assert_eq!(ContentEncryption::negotiate(&[]), Aes256Cbc);
        assert_eq!(
            ContentEncryption::negotiate(&[
                Some(vec![Aes256Gcm, Aes128Gcm]),
                Some(vec![Aes128Gcm])
            ]),
            Aes128Gcm
        );
        assert_eq!(
            ContentEncryption::negotiate(&[Some(vec![Aes256Gcm]), None]),
            Aes256Cbc
        );
        assert!(Aes128Gcm.is_authenticated() && !Aes256Cbc.is_authenticated());
        assert!(!DesEde3Cbc.can_encrypt() && Aes256Cbc.can_encrypt());
        assert!(ChaCha20Poly1305.is_authenticated() && Aes128Ccm.is_authenticated());
        assert!(!ChaCha20Poly1305.can_encrypt() && !Aes256Ccm.can_encrypt());
        assert_eq!(DesEde3Cbc.weaknesses(), [DecryptionWeakness::TripleDes]);
        assert!(Aes256Cbc.weaknesses().is_empty());
        assert_eq!(ChaCha20Poly1305.to_string(), "ChaCha20-Poly1305");
        assert_eq!(Aes256Ccm.to_string(), "AES-256-CCM");
    }
}
