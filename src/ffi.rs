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

/// `CMS_RecipientInfo` from `<openssl/cms.h>`; only ever behind a pointer.
#[allow(non_camel_case_types)]
enum CMS_RecipientInfo {}

// SAFETY: each declaration matches its prototype in <openssl/cms.h>
// (OpenSSL 1.1.1 and 3.x, which openssl-sys links): same argument and
// return types, opaque structs only ever behind pointers. Calls stay
// `unsafe`; each call site states its own invariants.
unsafe extern "C" {
    fn CMS_add1_recipient_cert(
        cms: *mut openssl_sys::CMS_ContentInfo,
        recip: *mut openssl_sys::X509,
        flags: std::ffi::c_uint,
    ) -> *mut CMS_RecipientInfo;
    fn CMS_RecipientInfo_get0_pkey_ctx(
        ri: *mut CMS_RecipientInfo,
    ) -> *mut openssl_sys::EVP_PKEY_CTX;
    fn CMS_get0_RecipientInfos(
        cms: *mut openssl_sys::CMS_ContentInfo,
    ) -> *mut openssl_sys::OPENSSL_STACK;
    fn CMS_RecipientInfo_type(ri: *mut CMS_RecipientInfo) -> std::ffi::c_int;
    fn CMS_RecipientInfo_ktri_cert_cmp(
        ri: *mut CMS_RecipientInfo,
        cert: *mut openssl_sys::X509,
    ) -> std::ffi::c_int;
    fn CMS_RecipientInfo_kari_get0_reks(
        ri: *mut CMS_RecipientInfo,
    ) -> *mut openssl_sys::OPENSSL_STACK;
    fn CMS_RecipientEncryptedKey_cert_cmp(
        rek: *mut std::ffi::c_void,
        cert: *mut openssl_sys::X509,
    ) -> std::ffi::c_int;
}

/// `CMS_RECIPINFO_TRANS` / `CMS_RECIPINFO_AGREE` from `<openssl/cms.h>`.
const CMS_RECIPINFO_TRANS: std::ffi::c_int = 0;
const CMS_RECIPINFO_AGREE: std::ffi::c_int = 1;

/// True when a KeyTransRecipientInfo or KeyAgreeRecipientInfo of `cms`
/// names `cert` (issuer and serial number, subject key identifier or
/// rKeyId), decided by OpenSSL's own matching functions, the ones
/// `CMS_decrypt` uses.
pub(crate) fn cms_names_recipient(cms: &openssl::cms::CmsContentInfoRef, cert: &X509) -> bool {
    // SAFETY: `cms` and `cert` are live for the whole function; the stacks
    // and their elements are owned by `cms` and only read; every index is
    // below the count OpenSSL reports for the same stack.
    unsafe {
        let ris = CMS_get0_RecipientInfos(cms.as_ptr());
        if ris.is_null() {
            return false;
        }
        for i in 0..openssl_sys::OPENSSL_sk_num(ris) {
            let ri = openssl_sys::OPENSSL_sk_value(ris, i).cast::<CMS_RecipientInfo>();
            if ri.is_null() {
                continue;
            }
            match CMS_RecipientInfo_type(ri) {
                CMS_RECIPINFO_TRANS if CMS_RecipientInfo_ktri_cert_cmp(ri, cert.as_ptr()) == 0 => {
                    return true;
                }
                CMS_RECIPINFO_AGREE => {
                    let reks = CMS_RecipientInfo_kari_get0_reks(ri);
                    if reks.is_null() {
                        continue;
                    }
                    for j in 0..openssl_sys::OPENSSL_sk_num(reks) {
                        let rek = openssl_sys::OPENSSL_sk_value(reks, j);
                        if !rek.is_null()
                            && CMS_RecipientEncryptedKey_cert_cmp(rek, cert.as_ptr()) == 0
                        {
                            return true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// How the content-encryption key reaches one recipient.
pub(crate) enum RecipientKey<'a> {
    /// OpenSSL's default for the certificate: RSA PKCS#1 v1.5 key
    /// transport, or ECDH key agreement for EC keys.
    Default(&'a X509),
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 8017, RFC 4055).
    RsaOaep(&'a X509),
}

/// An EnvelopedData (AuthEnvelopedData for an AEAD cipher) without
/// content yet, with one RecipientInfo per recipient: `CMS_encrypt` in
/// parts, so each recipient's key transport can be set (the `openssl`
/// crate's `encrypt` has no per-recipient parameters).
fn envelope(
    recipients: &[RecipientKey<'_>],
    cipher: openssl::symm::Cipher,
    flags: std::ffi::c_uint,
) -> Result<openssl::cms::CmsContentInfo, ErrorStack> {
    use openssl::cms::CmsContentInfo;
    // SAFETY: a NULL certificate stack with CMS_PARTIAL is documented to
    // create an empty EnvelopedData that recipients are added to. The
    // returned pointer is owned by `cms` from here on.
    let cms = unsafe {
        let ptr =
            openssl_sys::CMS_encrypt(ptr::null_mut(), ptr::null_mut(), cipher.as_ptr(), flags);
        if ptr.is_null() {
            return Err(ErrorStack::get());
        }
        CmsContentInfo::from_ptr(ptr)
    };
    for recipient in recipients {
        let (cert, oaep) = match recipient {
            RecipientKey::Default(c) => (c, false),
            RecipientKey::RsaOaep(c) => (c, true),
        };
        // SAFETY: `cms` and `cert` are live; CMS_add1_recipient_cert takes
        // its own reference to the certificate. The RecipientInfo and its
        // EVP_PKEY_CTX belong to `cms` and are only used before it is
        // dropped, within this function.
        unsafe {
            let ri = CMS_add1_recipient_cert(cms.as_ptr(), cert.as_ptr(), flags);
            if ri.is_null() {
                return Err(ErrorStack::get());
            }
            if oaep {
                let ctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
                if ctx.is_null()
                    || openssl_sys::EVP_PKEY_CTX_set_rsa_padding(
                        ctx,
                        openssl_sys::RSA_PKCS1_OAEP_PADDING,
                    ) <= 0
                    || openssl_sys::EVP_PKEY_CTX_set_rsa_oaep_md(
                        ctx,
                        openssl_sys::EVP_sha256() as *mut _,
                    ) <= 0
                    || openssl_sys::EVP_PKEY_CTX_set_rsa_mgf1_md(
                        ctx,
                        openssl_sys::EVP_sha256() as *mut _,
                    ) <= 0
                {
                    return Err(ErrorStack::get());
                }
            }
        }
    }
    Ok(cms)
}

const ENCRYPT_FLAGS: std::ffi::c_uint =
    openssl_sys::CMS_BINARY | openssl_sys::CMS_PARTIAL | openssl_sys::CMS_KEY_PARAM;

/// An envelope being written by us with OpenSSL's key management: the
/// CMS engine chooses the content-encryption key and IV (or GCM nonce),
/// encrypts the key to every recipient (`CMS_dataInit` does that before
/// any content is seen, as streaming needs) and keys the content cipher;
/// the caller reads the finished RecipientInfos and algorithm parameters
/// from [`EnvelopeEncryptor::structure`], writes the definite-length
/// encoding itself, and runs the content through
/// [`EnvelopeEncryptor::cipher`] chunk by chunk. The content-encryption
/// key never leaves OpenSSL, which clears it.
pub(crate) struct EnvelopeEncryptor {
    cms: openssl::cms::CmsContentInfo,
    bio: *mut openssl_sys::BIO,
    ctx: *mut openssl_sys::EVP_CIPHER_CTX,
}

impl EnvelopeEncryptor {
    pub(crate) fn new(
        recipients: &[RecipientKey<'_>],
        cipher: openssl::symm::Cipher,
    ) -> Result<Self, ErrorStack> {
        let cms = envelope(recipients, cipher, ENCRYPT_FLAGS)?;
        // SAFETY: `cms` is a live, partial EnvelopedData/AuthEnvelopedData
        // with its recipients added; CMS_dataInit with a NULL input BIO
        // generates the key and IV, encrypts the key for every
        // RecipientInfo and returns a BIO chain (cipher filter on top) that
        // we own and free in Drop. The cipher context belongs to the chain.
        unsafe {
            let bio = CMS_dataInit(cms.as_ptr(), ptr::null_mut());
            if bio.is_null() {
                return Err(ErrorStack::get());
            }
            let mut ctx: *mut openssl_sys::EVP_CIPHER_CTX = ptr::null_mut();
            let rc = openssl_sys::BIO_ctrl(
                bio,
                BIO_C_GET_CIPHER_CTX,
                0,
                (&mut ctx as *mut *mut openssl_sys::EVP_CIPHER_CTX).cast(),
            );
            if rc <= 0 || ctx.is_null() {
                openssl_sys::BIO_free_all(bio);
                return Err(ErrorStack::get());
            }
            Ok(EnvelopeEncryptor { cms, bio, ctx })
        }
    }

    /// The structure as OpenSSL holds it now (DER): version,
    /// RecipientInfos and the content-encryption AlgorithmIdentifier are
    /// final; the content and `mac` are not (they are ours to write).
    pub(crate) fn structure(&self) -> Result<Vec<u8>, ErrorStack> {
        self.cms.to_der()
    }

    /// The keyed content cipher (encrypting).
    pub(crate) fn cipher(&mut self) -> &mut openssl::cipher_ctx::CipherCtxRef {
        // SAFETY: `ctx` belongs to `bio`, which lives as long as `self`;
        // the exclusive borrow of `self` makes this the only reference.
        unsafe { openssl::cipher_ctx::CipherCtxRef::from_ptr_mut(self.ctx) }
    }
}

impl Drop for EnvelopeEncryptor {
    fn drop(&mut self) {
        // SAFETY: `bio` came from CMS_dataInit and is freed exactly once.
        unsafe { openssl_sys::BIO_free_all(self.bio) }
    }
}

// SAFETY: each declaration matches its prototype in <openssl/cms.h> and
// <openssl/crypto.h> (OpenSSL 1.1.1 and 3.x): same argument and return
// types, opaque structs only behind pointers. Calls stay `unsafe`; each
// call site states its own invariants.
unsafe extern "C" {
    fn CMS_add0_recipient_key(
        cms: *mut openssl_sys::CMS_ContentInfo,
        nid: std::ffi::c_int,
        key: *mut u8,
        keylen: libc::size_t,
        id: *mut u8,
        idlen: libc::size_t,
        date: *mut std::ffi::c_void,
        other_type_id: *mut std::ffi::c_void,
        other_type: *mut std::ffi::c_void,
    ) -> *mut CMS_RecipientInfo;
    fn CMS_RecipientInfo_encrypt(
        cms: *const openssl_sys::CMS_ContentInfo,
        ri: *mut CMS_RecipientInfo,
    ) -> std::ffi::c_int;
    fn OPENSSL_cleanse(ptr: *mut std::ffi::c_void, len: libc::size_t);
}

/// A copy of `bytes` in memory from `OPENSSL_malloc`, which the CMS
/// structure it is handed to frees (`OPENSSL_clear_free` for keys).
fn openssl_copy(bytes: &[u8]) -> Result<*mut u8, ErrorStack> {
    // SAFETY: CRYPTO_malloc returns NULL or a buffer of `bytes.len()`
    // bytes, which we fill completely before handing it on.
    unsafe {
        let ptr = openssl_sys::CRYPTO_malloc(bytes.len(), c"ffi.rs".as_ptr(), 0).cast::<u8>();
        if ptr.is_null() {
            return Err(ErrorStack::get());
        }
        ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len());
        Ok(ptr)
    }
}

/// Frees a buffer from [`openssl_copy`] that OpenSSL did not take.
fn openssl_free(ptr: *mut u8, len: usize) {
    // SAFETY: `ptr` came from CRYPTO_malloc for `len` bytes and is freed
    // once; it is cleared first (it may hold key material).
    unsafe { OPENSSL_cleanse(ptr.cast(), len) };
    // SAFETY: as above.
    unsafe { openssl_sys::CRYPTO_free(ptr.cast(), c"ffi.rs".as_ptr(), 0) };
}

/// Opens the RecipientInfo of `cms` (an EnvelopedData) that names `cert`
/// with `key`, as `CMS_decrypt` would, and has OpenSSL wrap the content
/// key it recovered for one more recipient: a KEKRecipientInfo (RFC 5652
/// §6.2.3) under the one-time AES-256 key-wrap key `kek`, identified by
/// `kek_id`. The caller finds that RecipientInfo in `cms.to_der()` and
/// unwraps the key: the way to key a cipher OpenSSL's CMS engine does not
/// implement (ChaCha20-Poly1305, AES-CCM) with OpenSSL's own key transport,
/// key agreement and countermeasures.
///
/// `Ok(false)` when OpenSSL holds no content key afterwards (its key
/// transport failed and it says nothing more, CVE-2019-1563): the caller
/// then uses a random key, so the failure shows only as the tag error.
pub(crate) fn cms_rewrap_content_key(
    cms: &openssl::cms::CmsContentInfoRef,
    key: &openssl::pkey::PKeyRef<Private>,
    cert: &X509,
    kek: &[u8; 32],
    kek_id: &[u8],
) -> Result<bool, ErrorStack> {
    // SAFETY: `cms`, `key` and `cert` are live for the call; OpenSSL takes
    // its own references where it keeps them.
    if unsafe { CMS_decrypt_set1_pkey(cms.as_ptr(), key.as_ptr(), cert.as_ptr()) } <= 0 {
        return Err(ErrorStack::get());
    }
    let kek_copy = openssl_copy(kek)?;
    let id_copy = match openssl_copy(kek_id) {
        Ok(id) => id,
        Err(e) => {
            openssl_free(kek_copy, kek.len());
            return Err(e);
        }
    };
    // SAFETY: both buffers come from OPENSSL_malloc with the lengths
    // given; on success the new RecipientInfo owns them (freed with
    // `cms`), on failure (NULL) they are still ours and freed here. The
    // RecipientInfo belongs to `cms` and is only used while it lives.
    unsafe {
        let ri = CMS_add0_recipient_key(
            cms.as_ptr(),
            openssl_sys::NID_undef,
            kek_copy,
            kek.len(),
            id_copy,
            kek_id.len(),
            ptr::null_mut(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        if ri.is_null() {
            openssl_free(kek_copy, kek.len());
            openssl_free(id_copy, kek_id.len());
            return Err(ErrorStack::get());
        }
        if CMS_RecipientInfo_encrypt(cms.as_ptr(), ri) <= 0 {
            // No content key to wrap: OpenSSL's key transport failed.
            let _ = ErrorStack::get();
            return Ok(false);
        }
    }
    Ok(true)
}

// SAFETY: each declaration matches its prototype in <openssl/cms.h>
// (OpenSSL 1.1.1 and 3.x); calls stay `unsafe` and state their invariants.
unsafe extern "C" {
    fn CMS_decrypt_set1_pkey(
        cms: *mut openssl_sys::CMS_ContentInfo,
        pk: *mut openssl_sys::EVP_PKEY,
        cert: *mut openssl_sys::X509,
    ) -> std::ffi::c_int;
    fn CMS_dataInit(
        cms: *mut openssl_sys::CMS_ContentInfo,
        icont: *mut openssl_sys::BIO,
    ) -> *mut openssl_sys::BIO;
}

/// `BIO_C_GET_CIPHER_CTX` from `<openssl/bio.h>` (`BIO_get_cipher_ctx`).
const BIO_C_GET_CIPHER_CTX: std::ffi::c_int = 129;

/// The content cipher of an EnvelopedData or AuthEnvelopedData whose
/// RecipientInfos OpenSSL has opened, ready to decrypt content that we
/// read ourselves in chunks (OpenSSL's `CMS_decrypt` needs the whole
/// message). Key transport, key agreement, the content-encryption key and
/// the countermeasures around them stay OpenSSL's: `CMS_decrypt` is
/// `CMS_decrypt_set1_pkey` + `CMS_dataInit` + a copy loop, and this is the
/// same without the loop. The key never leaves OpenSSL, which clears it.
pub(crate) struct CmsDecryptStream {
    /// Owns the key material the cipher BIO was set up from.
    _cms: openssl::cms::CmsContentInfo,
    bio: *mut openssl_sys::BIO,
    ctx: *mut openssl_sys::EVP_CIPHER_CTX,
}

impl CmsDecryptStream {
    /// `cert`: open the RecipientInfo that names it (when its key transport
    /// fails OpenSSL substitutes a random key, so the failure surfaces only
    /// as a padding or tag error at the end, CVE-2019-1563). `None`: trial
    /// decryption with `key` over every RecipientInfo, with OpenSSL's
    /// no-certificate countermeasures on (`havenocert`, set by a
    /// `CMS_decrypt` call without key, certificate or data, as documented).
    pub(crate) fn new(
        cms: openssl::cms::CmsContentInfo,
        key: &openssl::pkey::PKeyRef<Private>,
        cert: Option<&X509>,
    ) -> Result<Self, ErrorStack> {
        // SAFETY: `cms`, `key` and `cert` are live for the calls; OpenSSL
        // takes its own references where it keeps them. The BIO chain
        // returned by CMS_dataInit is ours to free (Drop), and the cipher
        // context pointer is owned by that chain.
        unsafe {
            if cert.is_none()
                && openssl_sys::CMS_decrypt(
                    cms.as_ptr(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    0,
                ) <= 0
            {
                return Err(ErrorStack::get());
            }
            let cert = cert.map_or(ptr::null_mut(), |c| c.as_ptr());
            if CMS_decrypt_set1_pkey(cms.as_ptr(), key.as_ptr(), cert) <= 0 {
                return Err(ErrorStack::get());
            }
            let bio = CMS_dataInit(cms.as_ptr(), ptr::null_mut());
            if bio.is_null() {
                return Err(ErrorStack::get());
            }
            let mut ctx: *mut openssl_sys::EVP_CIPHER_CTX = ptr::null_mut();
            let rc = openssl_sys::BIO_ctrl(
                bio,
                BIO_C_GET_CIPHER_CTX,
                0,
                (&mut ctx as *mut *mut openssl_sys::EVP_CIPHER_CTX).cast(),
            );
            if rc <= 0 || ctx.is_null() {
                openssl_sys::BIO_free_all(bio);
                return Err(ErrorStack::get());
            }
            Ok(CmsDecryptStream {
                _cms: cms,
                bio,
                ctx,
            })
        }
    }

    /// The keyed content cipher (decrypting).
    pub(crate) fn cipher(&mut self) -> &mut openssl::cipher_ctx::CipherCtxRef {
        // SAFETY: `ctx` belongs to `bio`, which lives as long as `self`;
        // the exclusive borrow of `self` makes this the only reference.
        unsafe { openssl::cipher_ctx::CipherCtxRef::from_ptr_mut(self.ctx) }
    }
}

impl Drop for CmsDecryptStream {
    fn drop(&mut self) {
        // SAFETY: `bio` came from CMS_dataInit and is freed exactly once.
        unsafe { openssl_sys::BIO_free_all(self.bio) }
    }
}

/// OpenSSL's description of an `X509_V_ERR_*` code, e.g. "unable to get
/// local issuer certificate" (`X509_verify_cert_error_string`).
pub(crate) fn x509_verify_error_string(code: i32) -> &'static str {
    // SAFETY: `from_raw` only wraps the integer; `error_string` calls
    // X509_verify_cert_error_string, which accepts any value and returns a
    // static string (a generic one for unknown codes).
    unsafe { openssl::x509::X509VerifyResult::from_raw(code) }.error_string()
}

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
