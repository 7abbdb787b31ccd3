//! The certificates a [`Verifier`](super::Verifier) has read before, by
//! their DER: messages from one sender carry the same chain, and OpenSSL
//! 3.0 takes about 0.2 ms (and global locks) to decode each certificate,
//! more than checking the signature with it. A certificate is a function
//! of its DER alone, so a hit is exactly what decoding would give. Bounded
//! by the DER bytes held: when full, it starts again empty.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::RwLock;

use crate::cert::Certificate;

/// DER octets held at most (about a thousand typical certificates).
const MAX_BYTES: usize = 4 << 20;

#[derive(Debug, Default)]
pub(super) struct CertificateCache {
    inner: RwLock<Held>,
}

#[derive(Debug, Default)]
struct Held {
    by_der: HashMap<Vec<u8>, Certificate>,
    bytes: usize,
}

impl CertificateCache {
    /// [`Certificate::from_der`], from the cache when seen before.
    pub(super) fn parse(&self, der: &[u8]) -> Option<Certificate> {
        if let Ok(held) = self.inner.read()
            && let Some(known) = held.by_der.get(der)
        {
            return Some(known.clone());
        }
        let cert = Certificate::from_der(der).ok()?;
        if der.len() <= MAX_BYTES
            && let Ok(mut held) = self.inner.write()
        {
            if held.bytes + der.len() > MAX_BYTES {
                held.by_der.clear();
                held.bytes = 0;
            }
            if held.by_der.insert(der.to_vec(), cert.clone()).is_none() {
                held.bytes += der.len();
            }
        }
        Some(cert)
    }

    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        self.inner
            .read()
            .map(|h| (h.by_der.len(), h.bytes))
            .unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn der(name: &str) -> Vec<u8> {
        let pem = std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        Certificate::from_pem(&pem).unwrap().to_der().to_vec()
    }

    #[test]
    fn a_hit_is_what_decoding_gives_and_garbage_is_not_kept() {
        let cache = CertificateCache::default();
        let alice = der("certs/alice.pem");
        let first = cache.parse(&alice).unwrap();
        let again = cache.parse(&alice).unwrap();
        assert_eq!(first, again);
        assert_eq!(again, Certificate::from_der(&alice).unwrap());
        assert_eq!(cache.held(), (1, alice.len()));
        assert!(cache.parse(b"not a certificate").is_none());
        assert_eq!(cache.held(), (1, alice.len()));
    }

    #[test]
    fn it_starts_again_when_full() {
        let cache = CertificateCache::default();
        let alice = der("certs/alice.pem");
        let bob = der("certs/bob.pem");
        cache.parse(&alice).unwrap();
        cache.inner.write().unwrap().bytes = MAX_BYTES - 1;
        cache.parse(&bob).unwrap();
        assert_eq!(cache.held(), (1, bob.len()));
    }
}
