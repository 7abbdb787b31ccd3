//! Offline revocation checking of a signer's path (RFC 5280 §6.3 CRLs,
//! RFC 6960 OCSP) from the CRLs and OCSP responses the caller gave and the
//! message carried, as of the verification time. No network.
//!
//! A CRL counts for a certificate when its issuer is the certificate's
//! issuer, its signature verifies with the issuing certificate's key (which
//! may sign CRLs), and it is a complete CRL for that certificate (no delta,
//! no partial or indirect scope, no unknown critical extension). It says
//! revoked when it lists the serial with a revocation date not after the
//! time; good when it does not and thisUpdate ≤ time ≤ nextUpdate.
//!
//! An OCSP response counts when OpenSSL's `OCSP_basic_verify` accepts it at
//! the time: signature by a responder that is the issuing CA itself, or
//! that the issuing CA certified for id-kp-OCSPSigning, chaining to a
//! trust anchor. Its single response for the certificate (CertID by the
//! issuer's name and key hashes and the serial) says revoked at a time not
//! after the verification time, or good when fresh: thisUpdate ≤ time
//! (5 minutes of skew allowed) and time ≤ nextUpdate, or within
//! [`OCSP_MAX_AGE`] of thisUpdate when there is no nextUpdate.
//!
//! Only a path that reached a trust anchor is checked. The signature of a
//! CRL or OCSP response is checked only with a key within the bound of
//! signer keys (RSA ≤ 16384 bits, exponent ≤ 2³²+1, named curves), once
//! per (CRL, issuer) pair and per response for the whole SignedData, and
//! each check is charged to `Limits::max_signature_operations`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use const_oid::ObjectIdentifier as Oid;
use der::{Any, Decode, Encode, Sequence};
use openssl::ocsp::OcspFlag;
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509Crl};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::ext::pkix::crl::dp::IssuingDistributionPoint;
use x509_ocsp::CertStatus;

use crate::algorithm::DigestAlgorithm;
use crate::cert::{Certificate, Fingerprint};
use crate::cms;
use crate::error::Result;
use crate::limits::{self, Limits};
use crate::revocation::{Crl, OcspResponse, Revocation, RevocationReason};

/// An OCSP response without nextUpdate is fresh this long after its
/// thisUpdate.
pub(crate) const OCSP_MAX_AGE: Duration = Duration::from_secs(7 * 86_400);

/// Clock skew allowed on an OCSP thisUpdate in the future.
const SKEW: Duration = Duration::from_secs(300);

/// RFC 5940 §4.1: `id-ri-ocsp-response`.
const RI_OCSP_RESPONSE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.16.2");

/// RFC 5652 §10.2.1 (carried as `other [1] IMPLICIT`):
///
/// ```text
/// OtherRevocationInfoFormat ::= SEQUENCE {
///   otherRevInfoFormat OBJECT IDENTIFIER,
///   otherRevInfo ANY DEFINED BY otherRevInfoFormat }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OtherRevocationInfoFormat {
    other_rev_info_format: Oid,
    other_rev_info: Any,
}

/// The CRLs and OCSP responses one verification uses: the caller's
/// (borrowed) and the message's.
pub(super) struct Sources<'a> {
    caller_crls: &'a [Crl],
    caller_ocsp: &'a [OcspResponse],
    crls: Vec<Crl>,
    ocsp: Vec<OcspResponse>,
}

impl<'a> Sources<'a> {
    /// The caller's and the message's (each RevocationInfoChoice as
    /// encoded: a CRL, or RFC 5940 `other` OCSP responses); unreadable
    /// choices in the message are skipped. Bounded by `limits`.
    pub(super) fn gather(
        crls: &'a [Crl],
        ocsp: &'a [OcspResponse],
        message: &[Vec<u8>],
        limits: &Limits,
    ) -> Result<Sources<'a>> {
        limits::check(
            "max_revocation_items",
            (crls.len() + ocsp.len() + message.len()) as u64,
            limits.max_revocation_items as u64,
        )?;
        for crl in crls {
            limits::check(
                "max_crl_size",
                crl.to_der().len() as u64,
                limits.max_crl_size as u64,
            )?;
        }
        for response in ocsp {
            limits::check(
                "max_ocsp_response_size",
                response.to_der().len() as u64,
                limits.max_ocsp_response_size as u64,
            )?;
        }
        let mut sources = Sources {
            caller_crls: crls,
            caller_ocsp: ocsp,
            crls: Vec::new(),
            ocsp: Vec::new(),
        };
        for choice in message {
            match choice.first() {
                // crl CertificateList (a SEQUENCE)
                Some(0x30) => {
                    limits::check(
                        "max_crl_size",
                        choice.len() as u64,
                        limits.max_crl_size as u64,
                    )?;
                    if let Ok(crl) = Crl::from_der(choice) {
                        sources.crls.push(crl);
                    }
                }
                // other [1] IMPLICIT OtherRevocationInfoFormat
                Some(0xa1) => {
                    limits::check(
                        "max_ocsp_response_size",
                        choice.len() as u64,
                        limits.max_ocsp_response_size as u64,
                    )?;
                    if let Some(response) = other_ocsp(choice) {
                        sources.ocsp.push(response);
                    }
                }
                _ => {}
            }
        }
        Ok(sources)
    }

    fn all_crls(&self) -> impl Iterator<Item = &Crl> {
        self.caller_crls.iter().chain(&self.crls)
    }

    fn all_ocsp(&self) -> impl Iterator<Item = &OcspResponse> {
        self.caller_ocsp.iter().chain(&self.ocsp)
    }

    fn ocsp_count(&self) -> usize {
        self.caller_ocsp.len() + self.ocsp.len()
    }
}

/// An RFC 5940 OCSP response out of an `other [1]` choice.
fn other_ocsp(choice: &[u8]) -> Option<OcspResponse> {
    let any = Any::from_der(choice).ok()?;
    let sequence = Any::new(der::Tag::Sequence, any.value()).ok()?;
    let other: OtherRevocationInfoFormat = sequence.decode_as().ok()?;
    if other.other_rev_info_format != RI_OCSP_RESPONSE {
        return None;
    }
    OcspResponse::from_der(&other.other_rev_info.to_der().ok()?).ok()
}

/// Checks whole paths (signer first): one status per certificate,
/// `NotChecked` for trust anchors. One checker serves every signer of a
/// SignedData, so each (CRL, issuer) pair and each OCSP response is
/// verified once, and every such verification is charged to the
/// SignedData's [`cms::Budget`] of public-key operations.
pub(super) struct Checker<'a> {
    sources: &'a Sources<'a>,
    anchors: &'a [Certificate],
    pool: &'a [Certificate],
    time: SystemTime,
    /// Per OCSP response: authorised at `time` (decided once).
    authorised: Vec<Option<bool>>,
    /// Per (CRL index, issuer): whether the CRL's signature verifies
    /// with the issuer's key (decided once).
    signed: HashMap<(usize, Fingerprint), bool>,
}

impl<'a> Checker<'a> {
    pub(super) fn new(
        sources: &'a Sources<'a>,
        anchors: &'a [Certificate],
        pool: &'a [Certificate],
        time: SystemTime,
    ) -> Self {
        Checker {
            authorised: vec![None; sources.ocsp_count()],
            signed: HashMap::new(),
            sources,
            anchors,
            pool,
            time,
        }
    }

    /// The status of `cert`, issued by `issuer` (the next certificate of
    /// its path; `None` when the path ends without a trust anchor).
    /// Refuses with [`crate::Error::LimitExceeded`] when the signature
    /// checks would exceed `budget`.
    pub(super) fn status(
        &mut self,
        cert: &Certificate,
        issuer: Option<&Certificate>,
        budget: &mut cms::Budget,
    ) -> Result<Revocation> {
        if self.anchors.contains(cert) {
            return Ok(Revocation::NotChecked);
        }
        let Some(issuer) = issuer else {
            return Ok(Revocation::Unknown);
        };
        let mut good = false;
        let sources = self.sources;
        for (i, crl) in sources.all_crls().enumerate() {
            let Some(status) = crl_status(crl, cert, issuer, self.time) else {
                continue;
            };
            if !self.is_signed(i, crl, issuer, budget)? {
                continue;
            }
            match status {
                revoked @ Revocation::Revoked { .. } => return Ok(revoked),
                Revocation::Good => good = true,
                _ => {}
            }
        }
        for (i, response) in sources.all_ocsp().enumerate() {
            let Some(status) = ocsp_status(response, cert, issuer, self.time) else {
                continue;
            };
            if !self.is_authorised(i, response, budget)? {
                continue;
            }
            match status {
                revoked @ Revocation::Revoked { .. } => return Ok(revoked),
                Revocation::Good => good = true,
                _ => {}
            }
        }
        Ok(if good {
            Revocation::Good
        } else {
            Revocation::Unknown
        })
    }

    /// Whether CRL `i` is signed by `issuer`'s key: a key within the bound
    /// of signer keys (RSA ≤ 16384 bits, exponent ≤ 2³²+1, named curves),
    /// one operation charged to `budget` per (CRL, issuer) pair.
    fn is_signed(
        &mut self,
        i: usize,
        crl: &Crl,
        issuer: &Certificate,
        budget: &mut cms::Budget,
    ) -> Result<bool> {
        let slot = (i, issuer.fingerprint());
        if let Some(known) = self.signed.get(&slot) {
            return Ok(*known);
        }
        let decided = match cms::cheap_public_key(issuer) {
            None => false,
            Some(key) => {
                budget.charge()?;
                X509Crl::from_der(crl.to_der())
                    .ok()
                    .and_then(|x| x.verify(&key).ok())
                    == Some(true)
            }
        };
        self.signed.insert(slot, decided);
        Ok(decided)
    }

    /// Whether OCSP response `i` is authorised at the time (decided once,
    /// one operation charged to `budget`).
    fn is_authorised(
        &mut self,
        i: usize,
        response: &OcspResponse,
        budget: &mut cms::Budget,
    ) -> Result<bool> {
        if let Some(Some(known)) = self.authorised.get(i) {
            return Ok(*known);
        }
        let decided = if response_keys_cheap(response) {
            budget.charge()?;
            ocsp_authorised(response, self.anchors, self.pool, self.time).unwrap_or(false)
        } else {
            false
        };
        if let Some(slot) = self.authorised.get_mut(i) {
            *slot = Some(decided);
        }
        Ok(decided)
    }
}

/// Whether every certificate the response carries has a key within the
/// bound of signer keys: OpenSSL takes its responder and the responder's
/// chain from them, and would verify with any of those keys.
fn response_keys_cheap(response: &OcspResponse) -> bool {
    response.basic().certs.iter().flatten().all(|c| {
        c.to_der()
            .ok()
            .and_then(|der| Certificate::from_der(&der).ok())
            .is_some_and(|cert| cms::cheap_public_key(&cert).is_some())
    })
}

// Extensions of a CRL (RFC 5280 §5.2) and its entries (§5.3).
const AUTHORITY_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.35");
const CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
const DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
const ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
const FRESHEST_CRL: Oid = Oid::new_unwrap("2.5.29.46");
const AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
const REASON_CODE: Oid = Oid::new_unwrap("2.5.29.21");
const INVALIDITY_DATE: Oid = Oid::new_unwrap("2.5.29.24");
const CERTIFICATE_ISSUER: Oid = Oid::new_unwrap("2.5.29.29");

/// What `crl` says of `cert` (before its signature is checked): `None`
/// when it is not a usable CRL for it.
fn crl_status(
    crl: &Crl,
    cert: &Certificate,
    issuer: &Certificate,
    time: SystemTime,
) -> Option<Revocation> {
    let tbs = &crl.parsed().tbs_cert_list;
    if tbs.issuer != cert.x509().tbs_certificate.issuer
        || issuer.x509().tbs_certificate.subject != tbs.issuer
        || issuer.key_usage().is_some_and(|ku| !ku.crl_sign)
    {
        return None;
    }
    for ext in tbs.crl_extensions.iter().flatten() {
        match ext.extn_id {
            AUTHORITY_KEY_IDENTIFIER | CRL_NUMBER | FRESHEST_CRL | AUTHORITY_INFO_ACCESS => {}
            DELTA_CRL_INDICATOR => return None,
            ISSUING_DISTRIBUTION_POINT => {
                let idp = IssuingDistributionPoint::from_der(ext.extn_value.as_bytes()).ok()?;
                if idp.only_some_reasons.is_some()
                    || idp.indirect_crl
                    || idp.only_contains_attribute_certs
                    || (idp.only_contains_user_certs && cert.is_ca())
                    || (idp.only_contains_ca_certs && !cert.is_ca())
                {
                    return None;
                }
            }
            _ if ext.critical => return None,
            _ => {}
        }
    }
    let serial = &cert.x509().tbs_certificate.serial_number;
    let mut revoked = None;
    for entry in tbs.revoked_certificates.iter().flatten() {
        let mut reason = None;
        for ext in entry.crl_entry_extensions.iter().flatten() {
            match ext.extn_id {
                REASON_CODE => {
                    reason = CrlReason::from_der(ext.extn_value.as_bytes()).ok();
                }
                INVALIDITY_DATE => {}
                // An indirect CRL's entries may be about another issuer.
                CERTIFICATE_ISSUER => return None,
                _ if ext.critical => return None,
                _ => {}
            }
        }
        if entry.serial_number != *serial {
            continue;
        }
        if reason == Some(CrlReason::RemoveFromCRL) {
            continue;
        }
        let at = entry.revocation_date.to_system_time();
        if at <= time {
            revoked = Some(Revocation::Revoked {
                time: at,
                reason: reason.and_then(RevocationReason::from_crl_reason),
            });
        }
    }
    if revoked.is_some() {
        return revoked;
    }
    let current = crl.this_update() <= time && crl.next_update().is_none_or(|next| time <= next);
    Some(if current {
        Revocation::Good
    } else {
        Revocation::Unknown
    })
}

/// What `response` says of `cert` (before its signature is checked):
/// `None` when it has no single response for it.
fn ocsp_status(
    response: &OcspResponse,
    cert: &Certificate,
    issuer: &Certificate,
    time: SystemTime,
) -> Option<Revocation> {
    let mut found = None;
    for single in &response.basic().tbs_response_data.responses {
        if !cert_id_matches(&single.cert_id, cert, issuer) {
            continue;
        }
        let this_update = single.this_update.0.to_system_time();
        let fresh = this_update <= time + SKEW
            && match &single.next_update {
                Some(next) => time <= next.0.to_system_time(),
                None => time <= this_update + OCSP_MAX_AGE,
            };
        let status = match &single.cert_status {
            CertStatus::Revoked(info) => {
                let at = info.revocation_time.0.to_system_time();
                if at <= time {
                    return Some(Revocation::Revoked {
                        time: at,
                        reason: info
                            .revocation_reason
                            .and_then(RevocationReason::from_crl_reason),
                    });
                }
                Revocation::Unknown
            }
            CertStatus::Good(_) if fresh => Revocation::Good,
            _ => Revocation::Unknown,
        };
        if found != Some(Revocation::Good) {
            found = Some(status);
        }
    }
    found
}

/// RFC 6960 §4.1.1 CertID: the issuer's name and key hashed with the
/// CertID's algorithm, and the serial number.
fn cert_id_matches(id: &x509_ocsp::CertId, cert: &Certificate, issuer: &Certificate) -> bool {
    if id.serial_number != cert.x509().tbs_certificate.serial_number {
        return false;
    }
    let Some(digest) = DigestAlgorithm::from_oid(&id.hash_algorithm.oid) else {
        return false;
    };
    let hash = |bytes: &[u8]| openssl::hash::hash(digest.md(), bytes).ok();
    let name = cert.x509().tbs_certificate.issuer.to_der().ok();
    let key = issuer
        .x509()
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    name.and_then(|n| hash(&n))
        .is_some_and(|h| h.as_ref() == id.issuer_name_hash.as_bytes())
        && hash(key).is_some_and(|h| h.as_ref() == id.issuer_key_hash.as_bytes())
}

/// OpenSSL's `OCSP_basic_verify` at `time`: the signature, the responder's
/// chain to a trust anchor, and its authorisation by the issuing CA.
fn ocsp_authorised(
    response: &OcspResponse,
    anchors: &[Certificate],
    pool: &[Certificate],
    time: SystemTime,
) -> std::result::Result<bool, openssl::error::ErrorStack> {
    let parsed = openssl::ocsp::OcspResponse::from_der(response.to_der())?;
    let basic = parsed.basic()?;
    let mut builder = X509StoreBuilder::new()?;
    for anchor in anchors {
        builder.add_cert(anchor.openssl().clone())?;
    }
    let mut param = X509VerifyParam::new()?;
    param.set_time(super::chain::libc_time(time));
    builder.set_param(&param)?;
    let store = builder.build();
    let mut certs = Stack::<X509>::new()?;
    // A certificate whose key is out of bound is no candidate responder
    // nor chain link: OpenSSL would verify with its key.
    for c in pool.iter().filter(|c| cms::cheap_public_key(c).is_some()) {
        certs.push(c.openssl().clone())?;
    }
    Ok(basic.verify(&certs, &store, OcspFlag::empty()).is_ok())
}
