//! The few libcrypto calls the `openssl` crate does not wrap the way we need.
//!
//! Each `unsafe` block states the invariant it relies on. Nothing else in the
//! crate calls C directly.
#![allow(unsafe_code)]

use std::ffi::c_char;
use std::ptr;

use foreign_types::{ForeignType, ForeignTypeRef};
use openssl::error::ErrorStack;
use openssl::pkcs12::Pkcs12Ref;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::X509;
use zeroize::Zeroizing;

/// What `PKCS12_parse` found: the first private key, the certificate whose
/// localKeyId matches it, and every other certificate.
pub(crate) struct Pkcs12Contents {
    pub(crate) key: Option<PKey<Private>>,
    pub(crate) cert: Option<X509>,
    pub(crate) others: Vec<X509>,
}

/// `PKCS12_parse` with the password in a buffer we zeroize.
///
/// `openssl::pkcs12::Pkcs12Ref::parse2` copies the password into a
/// `CString` that is freed without being cleared, and panics on an interior
/// NUL; this wrapper does neither. The caller must have refused passwords
/// containing NUL (C would silently truncate them).
pub(crate) fn pkcs12_parse(p12: &Pkcs12Ref, password: &str) -> Result<Pkcs12Contents, ErrorStack> {
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() + 1));
    pass.extend_from_slice(password.as_bytes());
    pass.push(0);
    let mut key = ptr::null_mut();
    let mut cert = ptr::null_mut();
    let mut ca = ptr::null_mut();
    // SAFETY: `p12` is a live PKCS12 object; `pass` is NUL-terminated and
    // outlives the call; the three out-pointers start NULL, so OpenSSL
    // allocates what it returns and hands ownership to us (on failure it
    // frees them and leaves NULL). Each non-NULL result is wrapped in its
    // owning Rust type exactly once, so it is freed exactly once.
    let rc = unsafe {
        openssl_sys::PKCS12_parse(
            p12.as_ptr(),
            pass.as_ptr().cast::<c_char>(),
            &mut key,
            &mut cert,
            &mut ca,
        )
    };
    // SAFETY: as above, each pointer is either NULL or owned by us now.
    let (key, cert, ca) = unsafe {
        (
            (!key.is_null()).then(|| PKey::from_ptr(key)),
            (!cert.is_null()).then(|| X509::from_ptr(cert)),
            (!ca.is_null()).then(|| Stack::<X509>::from_ptr(ca)),
        )
    };
    if rc <= 0 {
        return Err(ErrorStack::get());
    }
    Ok(Pkcs12Contents {
        key,
        cert,
        others: ca.map(|s| s.into_iter().collect()).unwrap_or_default(),
    })
}
