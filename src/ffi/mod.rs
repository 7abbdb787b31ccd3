//! The few libcrypto calls the `openssl` crate does not wrap the way we need.
//!
//! Each `unsafe` block states the invariant it relies on. Nothing else in the
//! crate calls C directly.
#![allow(unsafe_code)]

mod decrypt_stream;
mod envelope;
mod pkcs12;

pub(crate) use decrypt_stream::CmsDecryptStream;
pub(crate) use envelope::{
    EnvelopeEncryptor, RecipientKey, cms_key_transport_recipients, cms_names_recipient,
    cms_rewrap_content_key,
};
pub(crate) use pkcs12::{Pkcs12Failure, Pkcs12Profile, pkcs12_bags, pkcs12_create};

use std::ffi::c_char;
use std::ptr;

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::error::ErrorStack;
use openssl::pkcs12::Pkcs12Ref;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;
use zeroize::Zeroizing;

// SAFETY: each declaration matches its prototype in <openssl/cms.h>
// (OpenSSL 1.1.1 and 3.x); calls stay `unsafe` and state their invariants.
unsafe extern "C" {
    pub(super) fn CMS_decrypt_set1_pkey(
        cms: *mut openssl_sys::CMS_ContentInfo,
        pk: *mut openssl_sys::EVP_PKEY,
        cert: *mut openssl_sys::X509,
    ) -> std::ffi::c_int;
    pub(super) fn CMS_dataInit(
        cms: *mut openssl_sys::CMS_ContentInfo,
        icont: *mut openssl_sys::BIO,
    ) -> *mut openssl_sys::BIO;
}

/// `BIO_C_GET_CIPHER_CTX` from `<openssl/bio.h>` (`BIO_get_cipher_ctx`).
pub(super) const BIO_C_GET_CIPHER_CTX: std::ffi::c_int = 129;

/// OpenSSL's description of an `X509_V_ERR_*` code, e.g. "unable to get
/// local issuer certificate" (`X509_verify_cert_error_string`).
pub(crate) fn x509_verify_error_string(code: i32) -> &'static str {
    // SAFETY: `from_raw` only wraps the integer; `error_string` calls
    // X509_verify_cert_error_string, which accepts any value and returns a
    // static string (a generic one for unknown codes).
    unsafe { openssl::x509::X509VerifyResult::from_raw(code) }.error_string()
}
