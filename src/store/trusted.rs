//! Trusted recipients: which certificate mail to an address is encrypted
//! to ("Mailto: Me Your Secrets", Müller et al. 2020: one unsolicited
//! certificate naming bob@example.org must not receive Bob's mail).
//!
//! A candidate (a directory certificate or one of the mailbox's own, that
//! names the address, can be encrypted to and is valid at the lookup time)
//! is *trusted* when
//! - it is one of the store's own identities (the user holds its key), or
//! - the directory learnt it from a verified signature with a trusted
//!   chain ([`Provenance::Signature`]) or the user pinned it
//!   ([`Provenance::Pinned`]), or
//! - it chains to a store trust anchor ([`Store::anchors`]) at the lookup
//!   time, through the intermediates the store keeps ([`Store::intermediates`]),
//!   with e-mail protection allowed by the extended key usage of every
//!   certificate of the path (RFC 8550 §4.4.4) and encryption by the
//!   leaf's key usage.
//!
//! A candidate that a stored CRL lists as revoked at the lookup time is
//! never chosen. The newest trusted candidate (latest notBefore) wins; an
//! untrusted one never displaces it. With only untrusted candidates the
//! lookup fails with [`Error::UntrustedRecipient`] naming the address,
//! unless the caller allows untrusted ones
//! ([`RecipientLookup::allow_untrusted`]).
#![forbid(unsafe_code)]

use der::Encode;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};

use super::backend::{TrustKind, TrustRecord};
use super::directory::Choice;
use super::trust::checked_trust;
use super::*;
use crate::cert::KeyPurpose;
use crate::revocation::Crl;

/// How [`Store::encryption_certificate_with`] chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecipientLookup {
    time: Option<SystemTime>,
    allow_untrusted: bool,
}

impl RecipientLookup {
    /// Trusted certificates only, valid now.
    pub fn new() -> Self {
        Self::default()
    }

    /// Judges validity, revocation and chains at `time` instead of now.
    pub fn at(mut self, time: SystemTime) -> Self {
        self.time = Some(time);
        self
    }

    /// When an address has no trusted certificate, use its newest untrusted
    /// one instead of failing with [`Error::UntrustedRecipient`] (a trusted
    /// one is still preferred). For a user who checked the certificate
    /// another way.
    pub fn allow_untrusted(mut self) -> Self {
        self.allow_untrusted = true;
        self
    }
}

/// One candidate certificate of an address, decided on its authenticated
/// facts; only the candidates looked at are parsed (in the common case one).
struct Candidate {
    not_before: i64,
    /// The store vouches for it without a chain (own, signature, pinned).
    vouched: bool,
    source: Source,
}

enum Source {
    Recipient(RecipientRecord),
    /// An own certificate, by fingerprint (its record is read when chosen).
    Own(Fingerprint),
}

impl Store {
    /// [`Store::encryption_certificate`] with explicit options.
    pub fn encryption_certificate_with(
        &self,
        address: &Mailbox,
        lookup: &RecipientLookup,
    ) -> Result<Certificate> {
        let time = lookup.time.unwrap_or_else(SystemTime::now);
        self.trusted_choice(address, time, lookup.allow_untrusted)
            .map(|(cert, _)| cert)
    }

    /// [`Store::recipients_for`] with explicit options.
    pub fn recipients_for_with(
        &self,
        sender: &Mailbox,
        addresses: &[Mailbox],
        lookup: &RecipientLookup,
    ) -> Result<Vec<Certificate>> {
        let mut out: Vec<Certificate> = Vec::with_capacity(addresses.len() + 1);
        for address in addresses.iter().chain(std::iter::once(sender)) {
            let cert = self.encryption_certificate_with(address, lookup)?;
            if !out.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                out.push(cert);
            }
        }
        Ok(out)
    }

    /// The chosen certificate of `address` and where it came from.
    pub(super) fn trusted_choice(
        &self,
        address: &Mailbox,
        time: SystemTime,
        allow_untrusted: bool,
    ) -> Result<(Certificate, Choice)> {
        let (mut candidates, crl_rows) = self.candidates(address, time)?;
        let missing = || Error::NotFound(Missing::EncryptionCertificate(address.clone()));
        // Newest first; on a tie an own certificate (listed last) first.
        candidates.reverse();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.not_before));
        let mut anchors = None;
        let mut pool = None;
        let mut untrusted = None;
        for candidate in candidates {
            let vouched = candidate.vouched;
            let (certificate, choice) = self.materialize(address, candidate)?;
            if revoked(&crl_rows, &certificate, time)? {
                continue;
            }
            if vouched {
                return Ok((certificate, choice));
            }
            let anchors = match &anchors {
                Some(a) => a,
                None => anchors.insert(self.anchors()?),
            };
            let pool = match &pool {
                Some(p) => p,
                None => pool.insert(self.intermediates()?),
            };
            if chains_for_encryption(&certificate, pool, anchors, time) {
                return Ok((certificate, choice));
            }
            untrusted.get_or_insert((certificate, choice));
        }
        match untrusted {
            Some(chosen) if allow_untrusted => Ok(chosen),
            Some(_) => Err(Error::UntrustedRecipient {
                address: address.clone(),
            }),
            None => Err(missing()),
        }
    }

    /// The certificate of a candidate, parsed (an own one read and
    /// authenticated first).
    fn materialize(
        &self,
        address: &Mailbox,
        candidate: Candidate,
    ) -> Result<(Certificate, Choice)> {
        match candidate.source {
            Source::Recipient(r) => {
                Ok((Certificate::from_der(&r.certificate)?, Choice::Recipient(r)))
            }
            Source::Own(fingerprint) => {
                let record = self.read(|tx, keys| {
                    let record = tx
                        .record(address, &fingerprint)?
                        .ok_or_else(|| not_found(address, &fingerprint))?;
                    keys.mac.check_record(address, &record)?;
                    Ok(record)
                })?;
                Ok((
                    Certificate::from_der(&record.certificate)?,
                    Choice::Own(record),
                ))
            }
        }
    }

    /// The usable certificates of `address` by their authenticated facts
    /// (directory entries first, own certificates after), and the stored
    /// CRLs when there is any candidate, from one snapshot.
    fn candidates(
        &self,
        address: &Mailbox,
        time: SystemTime,
    ) -> Result<(Vec<Candidate>, Vec<TrustRecord>)> {
        let usable = |f: &CertFacts| f.can_decrypt && f.names_address && f.valid_at(time);
        self.read(|tx, keys| {
            let mut out = Vec::new();
            for r in tx.recipients(address)? {
                keys.mac.check_recipient(address, &r)?;
                if usable(&r.facts) {
                    out.push(Candidate {
                        not_before: r.facts.not_before,
                        vouched: r.provenance.is_some_and(Provenance::trusted),
                        source: Source::Recipient(r),
                    });
                }
            }
            for h in checked_heads(tx, keys, address)? {
                if usable(&h.facts) {
                    out.push(Candidate {
                        not_before: h.facts.not_before,
                        vouched: true,
                        source: Source::Own(h.fingerprint),
                    });
                }
            }
            let crls = if out.is_empty() {
                Vec::new()
            } else {
                checked_trust(tx, keys, TrustKind::Crl)?
            };
            Ok((out, crls))
        })
    }
}

/// Whether a stored CRL of the certificate's issuer lists it as revoked
/// at `time`. Stored CRLs were verified against a known issuer when they
/// were added (and are authenticated rows since); they are keyed by issuer
/// name, so only the issuer's own CRL is parsed.
fn revoked(crl_rows: &[TrustRecord], cert: &Certificate, time: SystemTime) -> Result<bool> {
    let tbs = &cert.x509().tbs_certificate;
    let Ok(issuer) = tbs.issuer.to_der() else {
        return Ok(false);
    };
    for row in crl_rows.iter().filter(|r| r.key == issuer) {
        let crl = Crl::from_der(&row.der)?;
        let listed = crl
            .parsed()
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .any(|entry| {
                entry.serial_number == tbs.serial_number
                    && entry.revocation_date.to_system_time() <= time
            });
        if listed {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Path validation (RFC 5280 §6) at `time` for S/MIME encryption: a
/// path to an anchor, and every certificate of it allows e-mail protection
/// (extended key usage absent, emailProtection or anyExtendedKeyUsage).
/// The leaf's key usage was decided before ([`Certificate::can_decrypt`]):
/// OpenSSL's `smimeencrypt` purpose wants keyEncipherment, which refuses
/// every ECDH (keyAgreement) certificate.
fn chains_for_encryption(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
) -> bool {
    if anchors.is_empty() {
        return false;
    }
    let run = || -> std::result::Result<bool, openssl::error::ErrorStack> {
        let mut builder = X509StoreBuilder::new()?;
        for anchor in anchors {
            builder.add_cert(anchor.openssl().clone())?;
        }
        let mut param = X509VerifyParam::new()?;
        let seconds = time
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        param.set_time(libc::time_t::try_from(seconds).unwrap_or(libc::time_t::MAX));
        builder.set_param(&param)?;
        let store = builder.build();
        let mut untrusted = Stack::<X509>::new()?;
        for c in pool {
            untrusted.push(c.openssl().clone())?;
        }
        let mut ctx = X509StoreContext::new()?;
        ctx.init(&store, cert.openssl(), &untrusted, |c| {
            if !c.verify_cert()? {
                return Ok(false);
            }
            let Some(chain) = c.chain() else {
                return Ok(false);
            };
            Ok(chain.iter().all(|x| {
                x.to_der()
                    .ok()
                    .and_then(|der| Certificate::from_der(&der).ok())
                    .is_some_and(|c| allows_email(&c))
            }))
        })
    };
    run().unwrap_or(false)
}

/// The extended key usage rule of S/MIME (RFC 8550 §4.4.4), with
/// anyExtendedKeyUsage accepted.
fn allows_email(cert: &Certificate) -> bool {
    cert.extended_key_usage().is_none_or(|purposes| {
        purposes
            .iter()
            .any(|p| matches!(p, KeyPurpose::EmailProtection | KeyPurpose::Any))
    })
}
