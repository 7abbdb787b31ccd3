//! PKCS#12 safe bags (every bag, with its localKeyId) and bundle creation
//! with a chosen profile.

use super::*;

/// `PKCS12_SAFEBAG` from `<openssl/pkcs12.h>`; only ever behind a pointer.
#[allow(non_camel_case_types)]
enum PKCS12_SAFEBAG {}

// SAFETY: each declaration matches its prototype in <openssl/pkcs12.h>,
// <openssl/x509.h> and <openssl/asn1.h> (OpenSSL 1.1.1 and 3.x): same
// argument and return types, opaque structs only behind pointers. Calls
// stay `unsafe`; each call site states its own invariants.
unsafe extern "C" {
    fn PKCS12_mac_present(p12: *const openssl_sys::PKCS12) -> std::ffi::c_int;
    fn PKCS12_verify_mac(
        p12: *mut openssl_sys::PKCS12,
        pass: *const c_char,
        passlen: std::ffi::c_int,
    ) -> std::ffi::c_int;
    fn PKCS12_unpack_authsafes(p12: *const openssl_sys::PKCS12) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_unpack_p7data(p7: *mut openssl_sys::PKCS7) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_unpack_p7encdata(
        p7: *mut openssl_sys::PKCS7,
        pass: *const c_char,
        passlen: std::ffi::c_int,
    ) -> *mut openssl_sys::OPENSSL_STACK;
    fn PKCS12_SAFEBAG_get_nid(bag: *const PKCS12_SAFEBAG) -> std::ffi::c_int;
    fn PKCS12_SAFEBAG_get0_p8inf(
        bag: *const PKCS12_SAFEBAG,
    ) -> *const openssl_sys::PKCS8_PRIV_KEY_INFO;
    fn PKCS12_decrypt_skey(
        bag: *const PKCS12_SAFEBAG,
        pass: *const c_char,
        passlen: std::ffi::c_int,
    ) -> *mut openssl_sys::PKCS8_PRIV_KEY_INFO;
    fn PKCS12_SAFEBAG_get1_cert(bag: *const PKCS12_SAFEBAG) -> *mut openssl_sys::X509;
    fn PKCS12_SAFEBAG_get0_attr(
        bag: *const PKCS12_SAFEBAG,
        attr_nid: std::ffi::c_int,
    ) -> *const openssl_sys::ASN1_TYPE;
    fn PKCS12_SAFEBAG_get0_safes(bag: *const PKCS12_SAFEBAG) -> *const openssl_sys::OPENSSL_STACK;
    fn PKCS12_SAFEBAG_free(bag: *mut PKCS12_SAFEBAG);
    fn ASN1_TYPE_get_octetstring(
        a: *const openssl_sys::ASN1_TYPE,
        data: *mut u8,
        max_len: std::ffi::c_int,
    ) -> std::ffi::c_int;
}

/// Every key and certificate of a PKCS#12 bundle, each with its
/// `localKeyId` (RFC 7292 §4.2, PKCS#9) when the bag has one.
pub(crate) struct Pkcs12Bags {
    pub(crate) keys: Vec<(PKey<Private>, Option<Vec<u8>>)>,
    pub(crate) certs: Vec<(X509, Option<Vec<u8>>)>,
}

/// How deep SafeContents may nest inside safeContentsBags.
const MAX_SAFE_CONTENTS_DEPTH: usize = 4;

/// What `PKCS12_parse` does, without its one-key limit: the MAC checked
/// with `password` (an empty password tried as absent and as empty, as
/// OpenSSL does), then every SafeContents — plain or encrypted — opened
/// and every key bag (plain or shrouded) and certificate bag collected.
/// OpenSSL decrypts everything; the password lives in a buffer we clear
/// (the caller refused passwords containing NUL).
pub(crate) fn pkcs12_bags(p12: &Pkcs12Ref, password: &str) -> Result<Pkcs12Bags, Pkcs12Failure> {
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() + 1));
    pass.extend_from_slice(password.as_bytes());
    pass.push(0);
    let p12 = p12.as_ptr();
    // SAFETY: `p12` is a live PKCS12 object for the whole function; `pass`
    // is NUL-terminated and outlives every call that reads it.
    let pass_ptr: *const c_char = unsafe {
        if password.is_empty() {
            if PKCS12_mac_present(p12) == 0 || PKCS12_verify_mac(p12, ptr::null(), 0) > 0 {
                ptr::null()
            } else if PKCS12_verify_mac(p12, pass.as_ptr().cast(), 0) > 0 {
                pass.as_ptr().cast()
            } else {
                return Err(Pkcs12Failure::Mac(ErrorStack::get()));
            }
        } else if PKCS12_verify_mac(p12, pass.as_ptr().cast(), -1) > 0 {
            pass.as_ptr().cast()
        } else {
            return Err(Pkcs12Failure::Mac(ErrorStack::get()));
        }
    };
    let mut found = Pkcs12Bags {
        keys: Vec::new(),
        certs: Vec::new(),
    };
    // SAFETY: PKCS12_unpack_authsafes returns NULL or a stack of PKCS7 we
    // own (freed with PKCS7_free below, once). Each element is read while
    // the stack lives; OBJ_obj2nid reads the `type` field of a live PKCS7.
    // The SafeContents stacks the unpack functions return are ours and
    // freed with PKCS12_SAFEBAG_free once each.
    unsafe {
        let safes = PKCS12_unpack_authsafes(p12);
        if safes.is_null() {
            return Err(Pkcs12Failure::Contents(ErrorStack::get()));
        }
        let mut result = Ok(());
        for i in 0..openssl_sys::OPENSSL_sk_num(safes) {
            let p7 = openssl_sys::OPENSSL_sk_value(safes, i).cast::<openssl_sys::PKCS7>();
            if p7.is_null() {
                continue;
            }
            let bags = match openssl_sys::OBJ_obj2nid((*p7).type_) {
                openssl_sys::NID_pkcs7_data => PKCS12_unpack_p7data(p7),
                openssl_sys::NID_pkcs7_encrypted => PKCS12_unpack_p7encdata(p7, pass_ptr, -1),
                _ => continue,
            };
            if bags.is_null() {
                result = Err(ErrorStack::get());
                break;
            }
            let collected = collect_bags(bags, pass_ptr, &mut found, 0);
            openssl_sys::OPENSSL_sk_pop_free(bags, Some(free_safebag));
            if let Err(e) = collected {
                result = Err(e);
                break;
            }
        }
        openssl_sys::OPENSSL_sk_pop_free(safes, Some(free_pkcs7));
        result.map_err(Pkcs12Failure::Contents)?;
    }
    Ok(found)
}

/// Why [`pkcs12_bags`] failed.
pub(crate) enum Pkcs12Failure {
    /// The MAC did not verify with the password (or could not be
    /// computed: the stack then says `MAC_GENERATION_ERROR`).
    Mac(ErrorStack),
    /// The MAC verified but the contents did not open (a cipher OpenSSL's
    /// default provider lacks, damage); OpenSSL's reasons.
    Contents(ErrorStack),
}

unsafe extern "C" fn free_safebag(bag: *mut std::ffi::c_void) {
    // SAFETY: called by OPENSSL_sk_pop_free on each element of a SafeBag
    // stack, once.
    unsafe { PKCS12_SAFEBAG_free(bag.cast()) }
}

unsafe extern "C" fn free_pkcs7(p7: *mut std::ffi::c_void) {
    // SAFETY: called by OPENSSL_sk_pop_free on each element of a PKCS7
    // stack, once.
    unsafe { openssl_sys::PKCS7_free(p7.cast()) }
}

/// Collects the keys and certificates of one SafeContents (`bags`, a live
/// stack the caller owns; `pass` the verified password or NULL).
///
/// # Safety
/// `bags` must be a live `STACK_OF(PKCS12_SAFEBAG)` and `pass` NULL or a
/// NUL-terminated string, both valid for the call.
unsafe fn collect_bags(
    bags: *const openssl_sys::OPENSSL_STACK,
    pass: *const c_char,
    found: &mut Pkcs12Bags,
    depth: usize,
) -> Result<(), ErrorStack> {
    if depth > MAX_SAFE_CONTENTS_DEPTH {
        return Err(ErrorStack::get());
    }
    // SAFETY: per this function's contract; every element is a live
    // SafeBag owned by the stack. Objects the get1/decrypt/PKCS82PKEY
    // calls return are ours and wrapped (or freed) exactly once; get0
    // results are borrowed from the bag and only read.
    unsafe {
        for i in 0..openssl_sys::OPENSSL_sk_num(bags) {
            let bag = openssl_sys::OPENSSL_sk_value(bags, i).cast::<PKCS12_SAFEBAG>();
            if bag.is_null() {
                continue;
            }
            let key_id = local_key_id(bag);
            match PKCS12_SAFEBAG_get_nid(bag) {
                openssl_sys::NID_keyBag => {
                    let p8 = PKCS12_SAFEBAG_get0_p8inf(bag);
                    if p8.is_null() {
                        return Err(ErrorStack::get());
                    }
                    let key = openssl_sys::EVP_PKCS82PKEY(p8);
                    if key.is_null() {
                        return Err(ErrorStack::get());
                    }
                    found.keys.push((PKey::from_ptr(key), key_id));
                }
                openssl_sys::NID_pkcs8ShroudedKeyBag => {
                    let p8 = PKCS12_decrypt_skey(bag, pass, -1);
                    if p8.is_null() {
                        return Err(ErrorStack::get());
                    }
                    let key = openssl_sys::EVP_PKCS82PKEY(p8);
                    // Clears the decrypted key octets (pkey_cb).
                    openssl_sys::PKCS8_PRIV_KEY_INFO_free(p8);
                    if key.is_null() {
                        return Err(ErrorStack::get());
                    }
                    found.keys.push((PKey::from_ptr(key), key_id));
                }
                openssl_sys::NID_certBag => {
                    // NULL for a non-X.509 certificate bag (SDSI): skipped.
                    let cert = PKCS12_SAFEBAG_get1_cert(bag);
                    if !cert.is_null() {
                        found.certs.push((X509::from_ptr(cert), key_id));
                    }
                }
                openssl_sys::NID_safeContentsBag => {
                    let inner = PKCS12_SAFEBAG_get0_safes(bag);
                    if !inner.is_null() {
                        collect_bags(inner, pass, found, depth + 1)?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The `localKeyId` attribute of a bag, when it is an OCTET STRING.
///
/// # Safety
/// `bag` must be a live SafeBag.
unsafe fn local_key_id(bag: *const PKCS12_SAFEBAG) -> Option<Vec<u8>> {
    // SAFETY: per the contract; the attribute is borrowed from the bag and
    // only read; the first call asks for the length (max_len 0), the
    // second copies at most `buf.len()` bytes into `buf`.
    unsafe {
        let attr = PKCS12_SAFEBAG_get0_attr(bag, openssl_sys::NID_localKeyID);
        if attr.is_null() {
            return None;
        }
        let len = ASN1_TYPE_get_octetstring(attr, ptr::null_mut(), 0);
        let len = usize::try_from(len).ok().filter(|&n| n <= 256)?;
        let mut buf = vec![0u8; len];
        let got = ASN1_TYPE_get_octetstring(attr, buf.as_mut_ptr(), len as std::ffi::c_int);
        (usize::try_from(got).ok() == Some(len)).then_some(buf)
    }
}

/// How [`pkcs12_create`] protects a bundle.
pub(crate) struct Pkcs12Profile {
    /// `PKCS12_create`'s `nid_key` / `nid_cert`: a cipher NID for PBES2
    /// (PBKDF2-HMAC-SHA256 in OpenSSL 3), or a PKCS#12 PBE NID.
    pub(crate) nid: std::ffi::c_int,
    pub(crate) iterations: std::ffi::c_int,
    pub(crate) mac: openssl::hash::MessageDigest,
    pub(crate) mac_iterations: std::ffi::c_int,
}

/// `PKCS12_create` + `PKCS12_set_mac` with the password in a buffer we
/// clear (the `openssl` crate's builder copies it into a `CString` freed
/// uncleared). OpenSSL sets `localKeyId` on the key and its certificate
/// (the certificate's SHA-1) and `friendlyName` on both when given. The
/// caller refused passwords and names containing NUL.
pub(crate) fn pkcs12_create(
    password: &str,
    friendly_name: Option<&str>,
    key: &openssl::pkey::PKeyRef<Private>,
    cert: &X509,
    chain: &[X509],
    profile: &Pkcs12Profile,
) -> Result<Vec<u8>, ErrorStack> {
    let mut pass = Zeroizing::new(Vec::with_capacity(password.len() + 1));
    pass.extend_from_slice(password.as_bytes());
    pass.push(0);
    let name = friendly_name
        .map(|n| std::ffi::CString::new(n).map_err(|_| ErrorStack::get()))
        .transpose()?;
    let mut stack = Stack::<X509>::new()?;
    for c in chain {
        stack.push(c.clone())?;
    }
    // SAFETY: `pass` is NUL-terminated, `name` NULL or a C string, `key`,
    // `cert` and `stack` live for the calls (PKCS12_create takes its own
    // references). The returned PKCS12 is wrapped once and so freed once.
    let p12 = unsafe {
        let ptr = openssl_sys::PKCS12_create(
            pass.as_ptr().cast(),
            name.as_ref().map_or(ptr::null(), |n| n.as_ptr()),
            key.as_ptr(),
            cert.as_ptr(),
            stack.as_ptr(),
            profile.nid,
            profile.nid,
            profile.iterations,
            -1,
            0,
        );
        if ptr.is_null() {
            return Err(ErrorStack::get());
        }
        openssl::pkcs12::Pkcs12::from_ptr(ptr)
    };
    // SAFETY: `p12` is live; `pass` as above; a NULL salt makes OpenSSL
    // draw a random one of the default length.
    let rc = unsafe {
        openssl_sys::PKCS12_set_mac(
            p12.as_ptr(),
            pass.as_ptr().cast(),
            -1,
            ptr::null_mut(),
            0,
            profile.mac_iterations,
            profile.mac.as_ptr(),
        )
    };
    if rc <= 0 {
        return Err(ErrorStack::get());
    }
    p12.to_der()
}
