//! [`Fingerprint`]: how a certificate is named to users and in the store,
//! the SHA-256 digest of its DER encoding.
#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

/// A SHA-256 fingerprint of a certificate's DER encoding.
///
/// Displays as 64 lowercase hex digits without colons (the CLI's format);
/// parses from that form, upper case, or colon-separated pairs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint of `der`.
    pub fn of(der: &[u8]) -> Self {
        Fingerprint(openssl::sha::sha256(der))
    }

    /// Wraps 32 digest bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }

    /// The 32 bytes of the digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// Text that is not a SHA-256 certificate fingerprint (64 hex digits,
/// colons allowed), for [`Error::InvalidFingerprint`](crate::Error::InvalidFingerprint).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid certificate fingerprint {input:?}: expected 64 hex digits")]
pub struct InvalidFingerprint {
    /// What was given (truncated to a sane length).
    pub input: String,
}

impl FromStr for Fingerprint {
    type Err = InvalidFingerprint;

    fn from_str(s: &str) -> Result<Self, InvalidFingerprint> {
        let hex: Vec<u8> = s.bytes().filter(|&b| b != b':').collect();
        let bad = || InvalidFingerprint {
            input: s.chars().take(100).collect(),
        };
        if hex.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(bad());
        }
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(text, 16).map_err(|_| bad())?;
        }
        Ok(Fingerprint(out))
    }
}
