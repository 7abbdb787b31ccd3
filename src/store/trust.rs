//! Trust kept by the store: trust anchors, the opt-in system roots,
//! intermediate CA certificates (for building paths only) and CRLs, so that a client does not pass them on every verification
//! (`VerifyOptions::with_store_trust`) and the recipient directory can
//! tell a trusted encryption certificate from an unsolicited one.
//!
//! # Which CRLs are kept
//!
//! One CRL per issuer (RFC 5280 §5: a complete CRL replaces the previous
//! one). A CRL is stored only when its signature verifies under a
//! certificate the store already trusts or holds: a trust anchor (system
//! roots included when enabled), an intermediate the store keeps, or an
//! issuer the caller hands over. An older
//! CRL (smaller cRLNumber, or an earlier thisUpdate) never replaces a
//! newer one, so replaying last month's CRL cannot un-revoke anyone, and
//! a CRL from an unknown key cannot take an issuer's place at all.
//! Verification checks each CRL's signature again when it uses it.
#![forbid(unsafe_code)]

use openssl::x509::X509Crl;
use openssl::x509::store::X509StoreBuilder;

use super::backend::{TrustKind, TrustRecord};
use super::*;
use crate::revocation::Crl;

/// The meta row saying whether the system roots count as anchors.
const META_SYSTEM_ROOTS: &str = "system_roots";

/// A trust anchor kept by the store.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TrustAnchor {
    /// The anchor (usually a self-signed root).
    pub certificate: Certificate,
    /// When it was added.
    pub added_at: SystemTime,
}

/// What [`Store::add_crl`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlUpdate {
    /// The store had no CRL of this issuer.
    Added,
    /// It replaced an older CRL of the same issuer.
    Replaced,
    /// The store already holds this CRL or a newer one of the issuer; kept.
    KeptNewer,
}

impl Store {
    /// Adds a trust anchor (a root CA, or a certificate trusted as is).
    /// Returns false when it was already one.
    ///
    /// ```
    /// use smime::{Certificate, Error, Mailbox, Store};
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
    /// let read = |name: &str| std::fs::read(format!("{dir}{name}"));
    /// let root = Certificate::from_pem(&read("ca/root.pem")?)?;
    /// let intermediate = Certificate::from_pem(&read("ca/intermediate.pem")?)?;
    /// let bob = Certificate::from_pem(&read("certs/bob.pem")?)?;
    /// let address: Mailbox = "bob@example.org".parse()?;
    /// let store = Store::in_memory()?;
    /// store.add_recipient_certificate(&bob)?;
    /// // Anyone can make a certificate naming Bob: not trusted yet.
    /// assert!(matches!(
    ///     store.encryption_certificate(&address),
    ///     Err(Error::UntrustedRecipient { .. })
    /// ));
    /// store.add_trust_anchor(&root)?;
    /// store.add_intermediate(&intermediate)?;
    /// assert_eq!(store.encryption_certificate(&address)?, bob);
    /// # Ok::<(), smime::Error>(())
    /// ```
    pub fn add_trust_anchor(&self, certificate: &Certificate) -> Result<bool> {
        self.add_trust_certificate(TrustKind::Anchor, certificate)
    }

    /// Keeps an intermediate CA certificate for building paths to an
    /// anchor (verification, trusted recipients whose mail did not carry
    /// their chain); it is not trusted itself. Refused with
    /// [`Unusable::NotCa`] for an end-entity certificate. Returns false
    /// when it was already kept.
    pub fn add_intermediate(&self, certificate: &Certificate) -> Result<bool> {
        if !certificate.is_ca() {
            return Err(Error::CertificateNotUsable {
                fingerprint: certificate.fingerprint(),
                reason: Unusable::NotCa,
            });
        }
        self.add_trust_certificate(TrustKind::Intermediate, certificate)
    }

    /// The intermediate CA certificates kept, oldest first.
    pub fn intermediates(&self) -> Result<Vec<Certificate>> {
        self.read(|tx, keys| checked_trust(tx, keys, TrustKind::Intermediate))?
            .iter()
            .map(|r| Certificate::from_der(&r.der))
            .collect()
    }

    fn add_trust_certificate(&self, kind: TrustKind, certificate: &Certificate) -> Result<bool> {
        let fingerprint = certificate.fingerprint();
        let added_at = backend::unix_seconds(SystemTime::now());
        self.write(|tx, keys| {
            tx.lock(Lock::Trust)?;
            let present = tx
                .trust_records(kind)?
                .iter()
                .any(|r| r.key == fingerprint.as_bytes());
            if present {
                return Ok(false);
            }
            let mut record = TrustRecord {
                kind,
                key: fingerprint.as_bytes().to_vec(),
                der: certificate.to_der().to_vec(),
                added_at,
                tag: Vec::new(),
            };
            record.tag = keys.mac.trust_tag(&record)?;
            tx.put_trust_record(&record)?;
            Ok(true)
        })
    }

    /// The store's trust anchors, oldest first (without the system roots).
    pub fn trust_anchors(&self) -> Result<Vec<TrustAnchor>> {
        self.read(|tx, keys| checked_trust(tx, keys, TrustKind::Anchor))?
            .iter()
            .map(|r| {
                Ok(TrustAnchor {
                    certificate: Certificate::from_der(&r.der)?,
                    added_at: backend::from_signed_seconds(
                        i64::try_from(r.added_at).unwrap_or(i64::MAX),
                    ),
                })
            })
            .collect()
    }

    /// Removes a trust anchor; [`Error::NotFound`] when it is none.
    pub fn remove_trust_anchor(&self, fingerprint: &Fingerprint) -> Result<()> {
        self.write(|tx, _| {
            tx.lock(Lock::Trust)?;
            if tx.delete_trust_record(TrustKind::Anchor, fingerprint.as_bytes())? {
                Ok(())
            } else {
                Err(Error::NotFound(Missing::TrustAnchor(*fingerprint)))
            }
        })
    }

    /// Whether the system's roots (OpenSSL's default certificate file and
    /// directory, or `SSL_CERT_FILE` / `SSL_CERT_DIR`) count as trust
    /// anchors beside the store's own. Off by default: a mail client that
    /// wants them opts in.
    pub fn set_use_system_roots(&self, on: bool) -> Result<()> {
        self.write(|tx, keys| {
            tx.set_meta(
                META_SYSTEM_ROOTS,
                &keys.mac.seal_meta(META_SYSTEM_ROOTS, &[u8::from(on)])?,
            )
        })
    }

    /// [`Store::set_use_system_roots`]'s current value.
    pub fn uses_system_roots(&self) -> Result<bool> {
        self.read(|tx, keys| system_roots_on(tx, keys))
    }

    /// Every anchor verification should use: the store's own and, when
    /// [`Store::uses_system_roots`], the system's.
    pub fn anchors(&self) -> Result<Vec<Certificate>> {
        let (rows, system) = self.read(|tx, keys| {
            Ok((
                checked_trust(tx, keys, TrustKind::Anchor)?,
                system_roots_on(tx, keys)?,
            ))
        })?;
        let mut out = rows
            .iter()
            .map(|r| Certificate::from_der(&r.der))
            .collect::<Result<Vec<_>>>()?;
        if system {
            for root in system_roots()? {
                if !out.iter().any(|c| c.fingerprint() == root.fingerprint()) {
                    out.push(root);
                }
            }
        }
        Ok(out)
    }

    /// Keeps `crl` as its issuer's CRL (see the module docs for which CRLs
    /// are kept). Its signature must verify under a trust anchor, an
    /// intermediate the store keeps, or one of `issuers`;
    /// otherwise it is refused with [`Error::CrlNotVerified`]. Only a newer
    /// CRL replaces the one kept.
    pub fn add_crl(&self, crl: &Crl, issuers: &[Certificate]) -> Result<CrlUpdate> {
        let mut known = self.anchors()?;
        known.extend(self.intermediates()?);
        known.extend_from_slice(issuers);
        if !known.iter().any(|c| signs_crl(c, crl)) {
            return Err(Error::CrlNotVerified {
                issuer: crl.issuer().to_owned(),
            });
        }
        let key = crl.issuer_der();
        let added_at = backend::unix_seconds(SystemTime::now());
        self.write(|tx, keys| {
            tx.lock(Lock::Trust)?;
            let old = checked_trust(tx, keys, TrustKind::Crl)?
                .into_iter()
                .find(|r| r.key == key);
            let update = match &old {
                None => CrlUpdate::Added,
                Some(old) => {
                    let old = Crl::from_der(&old.der)?;
                    if crl.supersedes(&old) {
                        CrlUpdate::Replaced
                    } else {
                        return Ok(CrlUpdate::KeptNewer);
                    }
                }
            };
            let mut record = TrustRecord {
                kind: TrustKind::Crl,
                key: key.clone(),
                der: crl.to_der().to_vec(),
                added_at,
                tag: Vec::new(),
            };
            record.tag = keys.mac.trust_tag(&record)?;
            tx.put_trust_record(&record)?;
            Ok(update)
        })
    }

    /// The CRLs kept, one per issuer.
    pub fn crls(&self) -> Result<Vec<Crl>> {
        self.read(|tx, keys| checked_trust(tx, keys, TrustKind::Crl))?
            .iter()
            .map(|r| Crl::from_der(&r.der))
            .collect()
    }
}

/// The trust rows of `kind`, each authenticated.
pub(super) fn checked_trust(
    tx: &dyn Transaction,
    keys: &Keys,
    kind: TrustKind,
) -> Result<Vec<TrustRecord>> {
    let rows = tx.trust_records(kind)?;
    for r in &rows {
        keys.mac.check_trust(r)?;
    }
    Ok(rows)
}

/// A missing row means off (deleting it can only take trust away).
fn system_roots_on(tx: &dyn Transaction, keys: &Keys) -> Result<bool> {
    let Some(stored) = tx.meta(META_SYSTEM_ROOTS)? else {
        return Ok(false);
    };
    match keys.mac.open_meta(META_SYSTEM_ROOTS, &stored)? {
        [0] => Ok(false),
        [1] => Ok(true),
        _ => Err(corrupt(C::Meta {
            name: META_SYSTEM_ROOTS,
        })),
    }
}

/// Re-tags the trust rows and the system-roots switch under `new` (a
/// re-key), each first checked under `old`.
pub(super) fn retag_trust(tx: &mut dyn Transaction, old: Option<&Keys>, new: &Keys) -> Result<()> {
    for kind in [TrustKind::Anchor, TrustKind::Crl, TrustKind::Intermediate] {
        for mut record in tx.trust_records(kind)? {
            if let Some(old) = old {
                old.mac.check_trust(&record)?;
            }
            record.tag = new.mac.trust_tag(&record)?;
            tx.put_trust_record(&record)?;
        }
    }
    let on = match old {
        Some(old) => system_roots_on(tx, old)?,
        None => false,
    };
    if on || tx.meta(META_SYSTEM_ROOTS)?.is_some() {
        tx.set_meta(
            META_SYSTEM_ROOTS,
            &new.mac.seal_meta(META_SYSTEM_ROOTS, &[u8::from(on)])?,
        )?;
    }
    Ok(())
}

/// Whether `issuer` is named by `crl` and its key signed it.
fn signs_crl(issuer: &Certificate, crl: &Crl) -> bool {
    if issuer.x509().tbs_certificate.subject != crl.parsed().tbs_cert_list.issuer {
        return false;
    }
    X509Crl::from_der(crl.to_der())
        .ok()
        .zip(issuer.public_key().ok())
        .and_then(|(x, key)| x.verify(&key).ok())
        == Some(true)
}

/// The system's roots, as OpenSSL finds them (its default file and
/// directory; `SSL_CERT_FILE` and `SSL_CERT_DIR` override them). Only the
/// certificates OpenSSL loads eagerly are returned: the default file, not
/// a hashed directory's entries.
fn system_roots() -> Result<Vec<Certificate>> {
    let mut builder = X509StoreBuilder::new()?;
    // A missing default file is no error: there are no system roots.
    let _ = builder.set_default_paths();
    let store = builder.build();
    Ok(store
        .all_certificates()
        .iter()
        .filter_map(|x| x.to_der().ok())
        .filter_map(|der| Certificate::from_der(&der).ok())
        .collect())
}
