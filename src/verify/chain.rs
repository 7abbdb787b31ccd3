//! Path validation (RFC 5280 §6) by OpenSSL, as of the verification time.
#![forbid(unsafe_code)]

use std::time::SystemTime;

use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509, X509StoreContext};

use super::report::{ChainFailure, ChainStatus};
use crate::cert::Certificate;

/// Path validation by OpenSSL (RFC 5280 §6) at `time`.
pub(super) fn chain_status(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
) -> ChainStatus {
    match run_chain_check(cert, pool, anchors, time) {
        Ok(status) => status,
        // X509_V_ERR_UNSPECIFIED: OpenSSL failed before deciding.
        Err(_) => ChainStatus::Untrusted(ChainFailure::from_code(1)),
    }
}

// X509_V_ERR_* from <openssl/x509_vfy.h>.
const X509_V_ERR_CERT_NOT_YET_VALID: i32 = 9;
const X509_V_ERR_CERT_HAS_EXPIRED: i32 = 10;

fn run_chain_check(
    cert: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    time: SystemTime,
) -> std::result::Result<ChainStatus, openssl::error::ErrorStack> {
    let mut builder = X509StoreBuilder::new()?;
    for anchor in anchors {
        builder.add_cert(anchor.openssl().clone())?;
    }
    let mut param = X509VerifyParam::new()?;
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    param.set_time(libc_time(seconds));
    builder.set_param(&param)?;
    let store = builder.build();
    let mut untrusted = Stack::<X509>::new()?;
    for c in pool {
        untrusted.push(c.openssl().clone())?;
    }
    let mut ctx = X509StoreContext::new()?;
    ctx.init(&store, cert.openssl(), &untrusted, |c| {
        let ok = c.verify_cert()?;
        let error = c.error();
        Ok(if ok {
            ChainStatus::Trusted
        } else {
            match error.as_raw() {
                X509_V_ERR_CERT_HAS_EXPIRED => ChainStatus::Expired,
                X509_V_ERR_CERT_NOT_YET_VALID => ChainStatus::NotYetValid,
                code => ChainStatus::Untrusted(ChainFailure::from_code(code)),
            }
        })
    })
}

/// `time_t` from seconds, saturating (a 32-bit `time_t` ends in 2038).
fn libc_time(seconds: u64) -> libc::time_t {
    libc::time_t::try_from(seconds).unwrap_or(libc::time_t::MAX)
}
