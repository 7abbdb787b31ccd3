//! Revocation information as a caller, a store or a message hands it over:
//! certificate revocation lists ([`Crl`], RFC 5280 §5) and OCSP responses
//! ([`OcspResponse`], RFC 6960 §4.2), DER or PEM, and the per-certificate
//! verdict [`Revocation`] that verification reports under a
//! [`RevocationPolicy`].
//!
//! Nothing here opens a network connection: verification uses what it is
//! given and reports the URLs (CRL distribution points, OCSP responders) a
//! caller may fetch ([`PathCertificate::revocation_urls`](crate::PathCertificate)).
//! Parsing is RustCrypto `x509-cert` (`crl`) and `x509-ocsp`; signature
//! checks are OpenSSL's (`X509_CRL_verify`, `OCSP_basic_verify`).
#![forbid(unsafe_code)]

use std::fmt;
use std::time::SystemTime;

use base64::Engine;
use der::{Decode, Encode};
use x509_cert::crl::CertificateList;
use x509_ocsp::{BasicOcspResponse, OcspResponseStatus};

use crate::error::{Error, Result};
use crate::limits::Limits;

pub use crate::error::RevocationError;

fn invalid(reason: RevocationError) -> Error {
    Error::InvalidRevocationInfo(reason)
}

/// The base64 payloads of every `-----BEGIN label-----` block of `pem`.
fn pem_blocks(pem: &[u8], labels: &[&str]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = rest.get(start + 11..).unwrap_or_default();
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after.get(..label_end).unwrap_or_default();
        let body = after.get(label_end + 5..).unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body.find(&end_marker) else {
            break;
        };
        if labels.contains(&label) {
            let b64: String = body
                .get(..end)
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) {
                out.push(der);
            }
        }
        rest = body.get(end + end_marker.len()..).unwrap_or_default();
    }
    out
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// A certificate revocation list (RFC 5280 §5), read once; its signature
/// is checked against the issuing certificate when it is used.
///
/// For a store, a CRL is keyed by [`Crl::issuer_der`]; of two CRLs of one
/// issuer the one with the later [`Crl::this_update`] is the newer.
#[derive(Clone)]
pub struct Crl {
    der: Vec<u8>,
    parsed: CertificateList,
    issuer: String,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
}

impl Crl {
    /// Reads one DER `CertificateList`. Trailing bytes are an error; a
    /// SET OF wider than [`Limits::max_set_elements`]'s default is
    /// [`Error::LimitExceeded`].
    pub fn from_der(der: &[u8]) -> Result<Self> {
        // Names are SETs, which the `der` crate sorts as it decodes them.
        crate::cms::check_set_widths(
            der,
            Limits::default().max_set_elements,
            crate::cms::Implicit::No,
        )?;
        let parsed =
            CertificateList::from_der(der).map_err(|_| invalid(RevocationError::NotCrl))?;
        let tbs = &parsed.tbs_cert_list;
        Ok(Crl {
            issuer: tbs.issuer.to_string(),
            this_update: tbs.this_update.to_system_time(),
            next_update: tbs.next_update.map(|t| t.to_system_time()),
            der: der.to_vec(),
            parsed,
        })
    }

    /// Reads every `X509 CRL` block of a PEM text, or one DER CRL.
    pub fn all_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>> {
        if !is_pem(bytes) {
            return Ok(vec![Self::from_der(bytes)?]);
        }
        let blocks = pem_blocks(bytes, &["X509 CRL"]);
        if blocks.is_empty() {
            return Err(invalid(RevocationError::NoPem("X509 CRL")));
        }
        blocks.iter().map(|der| Self::from_der(der)).collect()
    }

    /// The DER encoding.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// The issuer's distinguished name, RFC 4514 string form.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer's distinguished name, DER: what a store keys CRLs by
    /// (it equals the `issuer` of the certificates the CRL is about).
    pub fn issuer_der(&self) -> Vec<u8> {
        self.parsed
            .tbs_cert_list
            .issuer
            .to_der()
            .unwrap_or_default()
    }

    /// When the CRL was issued.
    pub fn this_update(&self) -> SystemTime {
        self.this_update
    }

    /// When the next CRL will be issued; past it this one is stale.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.next_update
    }

    /// The cRLNumber extension (RFC 5280 §5.2.3), big-endian as encoded,
    /// when present.
    pub fn crl_number(&self) -> Option<Vec<u8>> {
        self.parsed
            .tbs_cert_list
            .crl_extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id == CRL_NUMBER)
            .and_then(|e| x509_cert::ext::pkix::CrlNumber::from_der(e.extn_value.as_bytes()).ok())
            .map(|n| n.0.as_bytes().to_vec())
    }

    /// Whether this CRL replaces `other` in a store: the same issuer, and
    /// a larger cRLNumber (when both have one) or else a later thisUpdate.
    pub fn supersedes(&self, other: &Crl) -> bool {
        if self.parsed.tbs_cert_list.issuer != other.parsed.tbs_cert_list.issuer {
            return false;
        }
        match (self.crl_number(), other.crl_number()) {
            (Some(a), Some(b)) => {
                let strip =
                    |n: &[u8]| -> Vec<u8> { n.iter().skip_while(|&&b| b == 0).copied().collect() };
                let (a, b) = (strip(&a), strip(&b));
                (a.len(), a) > (b.len(), b)
            }
            _ => self.this_update > other.this_update,
        }
    }

    /// How many certificates it lists as revoked.
    pub fn revoked_count(&self) -> usize {
        self.parsed
            .tbs_cert_list
            .revoked_certificates
            .as_ref()
            .map_or(0, Vec::len)
    }

    pub(crate) fn parsed(&self) -> &CertificateList {
        &self.parsed
    }
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer)
            .field("this_update", &self.this_update)
            .field("next_update", &self.next_update)
            .field("revoked", &self.revoked_count())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Crl {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for Crl {}

/// `id-ce-cRLNumber` (RFC 5280 §5.2.3).
const CRL_NUMBER: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.5.29.20");

/// A successful OCSP response (RFC 6960 §4.2.1, a BasicOCSPResponse),
/// read once; its signature and responder are checked when it is used.
#[derive(Clone)]
pub struct OcspResponse {
    der: Vec<u8>,
    basic: BasicOcspResponse,
    produced_at: SystemTime,
}

/// `id-pkix-ocsp-basic` (RFC 6960 §4.2.1).
const OCSP_BASIC: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");

impl OcspResponse {
    /// Reads one DER `OCSPResponse`; it must be `successful` and basic. A
    /// SET OF wider than [`Limits::max_set_elements`]'s default is
    /// [`Error::LimitExceeded`].
    pub fn from_der(der: &[u8]) -> Result<Self> {
        // Names are SETs, which the `der` crate sorts as it decodes them
        // (the BasicOCSPResponse inside its OCTET STRING is walked too).
        crate::cms::check_set_widths(
            der,
            Limits::default().max_set_elements,
            crate::cms::Implicit::No,
        )?;
        let response = x509_ocsp::OcspResponse::from_der(der)
            .map_err(|_| invalid(RevocationError::NotOcspResponse))?;
        let status = match response.response_status {
            OcspResponseStatus::Successful => None,
            OcspResponseStatus::MalformedRequest => Some("malformedRequest"),
            OcspResponseStatus::InternalError => Some("internalError"),
            OcspResponseStatus::TryLater => Some("tryLater"),
            OcspResponseStatus::SigRequired => Some("sigRequired"),
            OcspResponseStatus::Unauthorized => Some("unauthorized"),
        };
        if let Some(status) = status {
            return Err(invalid(RevocationError::OcspStatus(status)));
        }
        let bytes = response
            .response_bytes
            .ok_or(invalid(RevocationError::NotOcspResponse))?;
        if bytes.response_type != OCSP_BASIC {
            return Err(invalid(RevocationError::NotBasic));
        }
        let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
            .map_err(|_| invalid(RevocationError::NotOcspResponse))?;
        Ok(OcspResponse {
            produced_at: basic.tbs_response_data.produced_at.0.to_system_time(),
            der: der.to_vec(),
            basic,
        })
    }

    /// Reads every `OCSP RESPONSE` block of a PEM text, or one DER response.
    pub fn all_from_pem_or_der(bytes: &[u8]) -> Result<Vec<Self>> {
        if !is_pem(bytes) {
            return Ok(vec![Self::from_der(bytes)?]);
        }
        let blocks = pem_blocks(bytes, &["OCSP RESPONSE"]);
        if blocks.is_empty() {
            return Err(invalid(RevocationError::NoPem("OCSP RESPONSE")));
        }
        blocks.iter().map(|der| Self::from_der(der)).collect()
    }

    /// The DER encoding.
    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// When the responder signed it.
    pub fn produced_at(&self) -> SystemTime {
        self.produced_at
    }

    pub(crate) fn basic(&self) -> &BasicOcspResponse {
        &self.basic
    }
}

impl fmt::Debug for OcspResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OcspResponse")
            .field("produced_at", &self.produced_at)
            .field("responses", &self.basic.tbs_response_data.responses.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for OcspResponse {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}

impl Eq for OcspResponse {}

/// The reasonCode of a revocation (RFC 5280 §5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationReason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6)
    CertificateHold,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl RevocationReason {
    /// From the `CRLReason` value; `None` for removeFromCRL (8), which
    /// un-revokes (delta CRLs only).
    pub(crate) fn from_crl_reason(reason: x509_cert::ext::pkix::CrlReason) -> Option<Self> {
        use x509_cert::ext::pkix::CrlReason as R;
        Some(match reason {
            R::Unspecified => Self::Unspecified,
            R::KeyCompromise => Self::KeyCompromise,
            R::CaCompromise => Self::CaCompromise,
            R::AffiliationChanged => Self::AffiliationChanged,
            R::Superseded => Self::Superseded,
            R::CessationOfOperation => Self::CessationOfOperation,
            R::CertificateHold => Self::CertificateHold,
            R::RemoveFromCRL => return None,
            R::PrivilegeWithdrawn => Self::PrivilegeWithdrawn,
            R::AaCompromise => Self::AaCompromise,
        })
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unspecified => "unspecified",
            Self::KeyCompromise => "key compromise",
            Self::CaCompromise => "CA compromise",
            Self::AffiliationChanged => "affiliation changed",
            Self::Superseded => "superseded",
            Self::CessationOfOperation => "cessation of operation",
            Self::CertificateHold => "certificate hold",
            Self::PrivilegeWithdrawn => "privilege withdrawn",
            Self::AaCompromise => "AA compromise",
        })
    }
}

/// A certificate's revocation status as of the verification time, from
/// the CRLs and OCSP responses verification had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revocation {
    /// A CRL current at the time (thisUpdate ≤ time ≤ nextUpdate), signed
    /// by the issuer, does not list it; or a fresh, authorised OCSP
    /// response says good.
    Good,
    /// A CRL signed by the issuer, or an authorised OCSP response, says it
    /// was revoked at `time` (not after the verification time).
    Revoked {
        /// The revocation date.
        time: SystemTime,
        /// The reasonCode, when given.
        reason: Option<RevocationReason>,
    },
    /// Nothing usable said either: no CRL or OCSP response for it, only
    /// stale ones, or an OCSP `unknown`.
    Unknown,
    /// Not checked: [`RevocationPolicy::Off`], or a trust anchor (whose
    /// revocation no issuer can state).
    NotChecked,
}

impl fmt::Display for Revocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revocation::Good => f.write_str("not revoked"),
            Revocation::Revoked { reason, .. } => match reason {
                Some(reason) => write!(f, "revoked ({reason})"),
                None => f.write_str("revoked"),
            },
            Revocation::Unknown => f.write_str("revocation status unknown"),
            Revocation::NotChecked => f.write_str("revocation not checked"),
        }
    }
}

/// What revocation does to [`VerifyReport::valid`](crate::VerifyReport).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationPolicy {
    /// Not checked: every status is [`Revocation::NotChecked`].
    Off,
    /// The default: a revoked certificate on the path makes the message
    /// not valid; an unknown status is reported and the message may still
    /// be valid.
    #[default]
    Soft,
    /// Every certificate of the path (but the trust anchor) must be known
    /// [`Revocation::Good`]; unknown is not valid.
    Hard,
}
