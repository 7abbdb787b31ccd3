//! Path validation (RFC 5280 §6) by OpenSSL, as of the verification time,
//! for S/MIME signing: OpenSSL's `smimesign` purpose
//! (`X509_PURPOSE_SMIME_SIGN`, what `openssl cms -verify -purpose
//! smimesign` applies) on every certificate of the path, with
//! anyExtendedKeyUsage accepted on a CA (RFC 5280 §4.2.1.12), which
//! OpenSSL 3.0 refuses.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use openssl::stack::Stack;
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509PurposeId, X509StoreContext, X509StoreContextRef};

use super::report::{ChainCertificate, ChainFailure, ChainStatus};
use crate::cert::{Certificate, KeyPurpose};
use crate::fingerprint::Fingerprint;

/// What path validation found.
#[derive(Clone)]
pub(super) struct Chain {
    pub(super) status: ChainStatus,
    /// The certificate the status is about, when it is not trusted.
    pub(super) at: Option<ChainCertificate>,
    /// The path OpenSSL built, signer first (partial when untrusted).
    pub(super) path: Vec<Certificate>,
}

/// The trust anchors as OpenSSL stores, built once per [`Verifier`]
/// (building one costs more than validating a path with it): one with the
/// S/MIME purpose, one without (see [`validate`]), both at the fixed
/// verification time when there is one, else at OpenSSL's "now".
///
/// [`Verifier`]: super::Verifier
pub(super) struct Trust {
    purpose: X509Store,
    any: X509Store,
    /// Trusted paths found before, by the signer's certificate and the
    /// pool's (see [`Trust::known`]).
    trusted: Mutex<HashMap<Vec<Fingerprint>, Chain>>,
}

/// Trusted paths remembered at most; then it starts again empty.
const MAX_TRUSTED: usize = 1024;

impl Trust {
    pub(super) fn new(
        anchors: &[Certificate],
        time: Option<SystemTime>,
    ) -> std::result::Result<Trust, openssl::error::ErrorStack> {
        Ok(Trust {
            purpose: store(anchors, time, true)?,
            any: store(anchors, time, false)?,
            trusted: Mutex::new(HashMap::new()),
        })
    }

    /// A path OpenSSL found trusted for this signer certificate with this
    /// pool before, if `time` is within the validity of every certificate
    /// of it: with the same anchors, certificates and purpose, and no
    /// certificate expired or not yet valid, path validation decides the
    /// same (revocation is checked apart, on every call).
    fn known(&self, key: &[Fingerprint], time: SystemTime) -> Option<Chain> {
        let trusted = self.trusted.lock().ok()?;
        let chain = trusted.get(key)?;
        chain
            .path
            .iter()
            .all(|c| c.not_before() <= time && time <= c.not_after())
            .then(|| chain.clone())
    }

    fn remember(&self, key: Vec<Fingerprint>, chain: &Chain) {
        if let Ok(mut trusted) = self.trusted.lock() {
            if trusted.len() >= MAX_TRUSTED {
                trusted.clear();
            }
            trusted.insert(key, chain.clone());
        }
    }
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust").finish_non_exhaustive()
    }
}

fn store(
    anchors: &[Certificate],
    time: Option<SystemTime>,
    purpose: bool,
) -> std::result::Result<X509Store, openssl::error::ErrorStack> {
    let mut builder = X509StoreBuilder::new()?;
    for anchor in anchors {
        builder.add_cert(anchor.openssl().clone())?;
    }
    let mut param = X509VerifyParam::new()?;
    if let Some(time) = time {
        param.set_time(libc_time(time));
    }
    if purpose {
        param.set_purpose(X509PurposeId::SMIME_SIGN)?;
    }
    builder.set_param(&param)?;
    Ok(builder.build())
}

/// Path validation by OpenSSL (RFC 5280 §6) against `trust` at `time`
/// (the time `trust` was built for, or now), remembering trusted paths.
pub(super) fn validate(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    trust: &Trust,
    time: SystemTime,
) -> Chain {
    let mut key: Vec<Fingerprint> = pool.iter().map(Certificate::fingerprint).collect();
    key.sort_unstable();
    key.insert(0, cert.fingerprint());
    if let Some(chain) = trust.known(&key, time) {
        return chain;
    }
    let chain = validate_anew(cert, pool, anchors, trust);
    if chain.status == ChainStatus::Trusted {
        trust.remember(key, &chain);
    }
    chain
}

fn validate_anew(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    trust: &Trust,
) -> Chain {
    let with_purpose = run(cert, pool, anchors, &trust.purpose);
    let chain = match with_purpose {
        Ok(chain) => chain,
        Err(_) => unspecified(cert),
    };
    if chain.status != ChainStatus::Untrusted(ChainFailure::InvalidPurpose) {
        return chain;
    }
    // OpenSSL refuses anyExtendedKeyUsage on a CA and decides the
    // signer's own usage before we do: validate without the purpose and
    // apply its rule to the CAs of the path ourselves.
    let mut chain = match run(cert, pool, anchors, &trust.any) {
        Ok(chain) => chain,
        Err(_) => return unspecified(cert),
    };
    if chain.status == ChainStatus::Trusted {
        let last = chain.path.len().saturating_sub(1);
        for (depth, ca) in chain.path.iter().enumerate().take(last).skip(1) {
            if !allows_smime(ca) {
                chain.status = ChainStatus::Untrusted(ChainFailure::InvalidPurpose);
                chain.at = Some(ChainCertificate {
                    depth,
                    fingerprint: ca.fingerprint(),
                });
                break;
            }
        }
    }
    chain
}

/// `X509_V_ERR_UNSPECIFIED`: OpenSSL failed before deciding.
fn unspecified(cert: &Certificate) -> Chain {
    Chain {
        status: ChainStatus::Untrusted(ChainFailure::from_code(1)),
        at: None,
        path: vec![cert.clone()],
    }
}

/// The extended key usage rule of OpenSSL's S/MIME purpose for a CA, with
/// anyExtendedKeyUsage accepted.
fn allows_smime(ca: &Certificate) -> bool {
    ca.extended_key_usage().is_none_or(|purposes| {
        purposes
            .iter()
            .any(|p| matches!(p, KeyPurpose::EmailProtection | KeyPurpose::Any))
    })
}

// X509_V_ERR_* from <openssl/x509_vfy.h>.
const X509_V_ERR_CERT_NOT_YET_VALID: i32 = 9;
const X509_V_ERR_CERT_HAS_EXPIRED: i32 = 10;

fn run(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    store: &X509Store,
) -> std::result::Result<Chain, openssl::error::ErrorStack> {
    let mut untrusted = Stack::<X509>::new()?;
    for c in pool {
        untrusted.push(c.openssl().clone())?;
    }
    let mut ctx = X509StoreContext::new()?;
    ctx.init(store, cert.openssl(), &untrusted, |c| {
        let ok = c.verify_cert()?;
        let path = built_path(c, cert, pool, anchors);
        if ok {
            return Ok(Chain {
                status: ChainStatus::Trusted,
                at: None,
                path,
            });
        }
        let status = match c.error().as_raw() {
            X509_V_ERR_CERT_HAS_EXPIRED => ChainStatus::Expired,
            X509_V_ERR_CERT_NOT_YET_VALID => ChainStatus::NotYetValid,
            code => ChainStatus::Untrusted(ChainFailure::from_code(code)),
        };
        let at = c
            .current_cert()
            .and_then(|x| x.to_der().ok())
            .map(|der| ChainCertificate {
                depth: usize::try_from(c.error_depth()).unwrap_or(usize::MAX),
                fingerprint: crate::fingerprint::Fingerprint::of(&der),
            });
        Ok(Chain { status, at, path })
    })
}

/// The chain OpenSSL built, as our certificates (those we already hold
/// reused), signer first.
fn built_path(
    ctx: &X509StoreContextRef,
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
) -> Vec<Certificate> {
    let Some(chain) = ctx.chain() else {
        return vec![cert.clone()];
    };
    let path: Vec<Certificate> = chain
        .iter()
        .filter_map(|x| {
            let der = x.to_der().ok()?;
            std::iter::once(cert)
                .chain(pool)
                .chain(anchors)
                .find(|c| c.to_der() == der.as_slice())
                .cloned()
                .or_else(|| Certificate::from_der(&der).ok())
        })
        .collect();
    if path.is_empty() {
        vec![cert.clone()]
    } else {
        path
    }
}

/// `time_t` from a time, saturating (a 32-bit `time_t` ends in 2038).
pub(super) fn libc_time(time: SystemTime) -> libc::time_t {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    libc::time_t::try_from(seconds).unwrap_or(libc::time_t::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cert(name: &str) -> Certificate {
        let pem = std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        Certificate::from_pem(&pem).unwrap()
    }

    #[test]
    fn a_remembered_path_is_used_only_within_its_validity() {
        let (alice, intermediate, root) = (
            cert("certs/alice.pem"),
            cert("ca/intermediate.pem"),
            cert("ca/root.pem"),
        );
        let anchors = [root];
        let pool = [intermediate];
        let trust = Trust::new(&anchors, None).unwrap();
        let now = SystemTime::now();
        let first = validate(&alice, &pool, &anchors, &trust, now);
        assert_eq!(first.status, ChainStatus::Trusted);
        let key = vec![alice.fingerprint(), pool[0].fingerprint()];
        let known = trust.known(&key, now).unwrap();
        assert_eq!(known.path, first.path);
        let later = alice.not_after() + Duration::from_secs(1);
        assert!(trust.known(&key, later).is_none());
        // Another pool is another question.
        assert!(trust.known(&[alice.fingerprint()], now).is_none());
        // Untrusted results are not remembered.
        let alone = Trust::new(&[], None).unwrap();
        let untrusted = validate(&alice, &pool, &[], &alone, now);
        assert_ne!(untrusted.status, ChainStatus::Trusted);
        assert!(alone.known(&key, now).is_none());
    }
}
