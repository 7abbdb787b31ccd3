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
    fn CMS_final(
        cms: *mut openssl_sys::CMS_ContentInfo,
        data: *mut openssl_sys::BIO,
        dcont: *mut openssl_sys::BIO,
        flags: std::ffi::c_uint,
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

/// Encrypts `data` for `recipients`; returns the DER `ContentInfo`.
pub(crate) fn cms_encrypt(
    recipients: &[RecipientKey<'_>],
    data: &[u8],
    cipher: openssl::symm::Cipher,
) -> Result<Vec<u8>, ErrorStack> {
    let len = std::ffi::c_int::try_from(data.len()).map_err(|_| ErrorStack::get())?;
    let cms = envelope(recipients, cipher, ENCRYPT_FLAGS)?;
    // SAFETY: the memory BIO reads from `data`, which outlives it; it is
    // freed right after CMS_final.
    unsafe {
        let bio = openssl_sys::BIO_new_mem_buf(data.as_ptr().cast(), len);
        if bio.is_null() {
            return Err(ErrorStack::get());
        }
        let rc = CMS_final(cms.as_ptr(), bio, ptr::null_mut(), ENCRYPT_FLAGS);
        openssl_sys::BIO_free_all(bio);
        if rc <= 0 {
            return Err(ErrorStack::get());
        }
    }
    cms.to_der()
}

unsafe extern "C" {
    fn BIO_new_NDEF(
        out: *mut openssl_sys::BIO,
        val: *mut std::ffi::c_void,
        it: *const std::ffi::c_void,
    ) -> *mut openssl_sys::BIO;
    fn CMS_ContentInfo_it() -> *const std::ffi::c_void;
    fn BIO_pop(b: *mut openssl_sys::BIO) -> *mut openssl_sys::BIO;
    fn BIO_free(b: *mut openssl_sys::BIO) -> std::ffi::c_int;
}

/// Streaming encryption, the way `openssl cms -encrypt -stream` does it
/// (`i2d_CMS_bio_stream` in steps): OpenSSL's NDEF filter writes the
/// BER `ContentInfo` with indefinite lengths — RecipientInfos first, the
/// encrypted content in segments as plaintext is written, the GCM tag and
/// end-of-contents octets on [`CmsEncryptStream::finish`]. Output collects
/// in a memory BIO that every call drains, so memory stays at one chunk.
pub(crate) struct CmsEncryptStream {
    /// Keeps the structure the NDEF chain writes from alive.
    _cms: openssl::cms::CmsContentInfo,
    /// Top of the filter chain (cipher, ASN.1 segmenting) above `out`.
    ndef: *mut openssl_sys::BIO,
    out: *mut openssl_sys::BIO,
}

impl CmsEncryptStream {
    pub(crate) fn new(
        recipients: &[RecipientKey<'_>],
        cipher: openssl::symm::Cipher,
    ) -> Result<Self, ErrorStack> {
        let cms = envelope(recipients, cipher, ENCRYPT_FLAGS | openssl_sys::CMS_STREAM)?;
        // SAFETY: `out` is a fresh memory BIO; BIO_new_NDEF pushes its
        // filters onto it and keeps a pointer to `cms`, which the returned
        // value owns for as long as the chain exists (freed in Drop).
        unsafe {
            let out = openssl_sys::BIO_new(openssl_sys::BIO_s_mem());
            if out.is_null() {
                return Err(ErrorStack::get());
            }
            let ndef = BIO_new_NDEF(out, cms.as_ptr().cast(), CMS_ContentInfo_it());
            if ndef.is_null() {
                openssl_sys::BIO_free_all(out);
                return Err(ErrorStack::get());
            }
            Ok(CmsEncryptStream {
                _cms: cms,
                ndef,
                out,
            })
        }
    }

    /// Encrypts `data`; hands the encoded output so far to `sink`.
    pub(crate) fn write(
        &mut self,
        data: &[u8],
        sink: &mut impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), crate::Error> {
        for piece in data.chunks(1 << 20) {
            // SAFETY: `ndef` is live until Drop; `piece` is valid for its
            // length, which fits a c_int (at most 1 MiB).
            let written = unsafe {
                openssl_sys::BIO_write(self.ndef, piece.as_ptr().cast(), piece.len() as _)
            };
            if written as usize != piece.len() {
                return Err(ErrorStack::get().into());
            }
            self.drain(sink)?;
        }
        Ok(())
    }

    /// Finishes the content (padding or GCM tag) and the structure.
    pub(crate) fn finish(
        mut self,
        sink: &mut impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), crate::Error> {
        // SAFETY: `ndef` is live until Drop.
        let flushed = unsafe {
            openssl_sys::BIO_ctrl(self.ndef, openssl_sys::BIO_CTRL_FLUSH, 0, ptr::null_mut())
        };
        if flushed <= 0 {
            return Err(ErrorStack::get().into());
        }
        self.drain(sink)
    }

    fn drain(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<(), crate::Error> {
        let mut buf = vec![0u8; crate::io::CHUNK];
        loop {
            // SAFETY: `out` is live until Drop; `buf` is writable for its
            // length (64 KiB, fits a c_int).
            let n =
                unsafe { openssl_sys::BIO_read(self.out, buf.as_mut_ptr().cast(), buf.len() as _) };
            let Ok(n) = usize::try_from(n) else {
                return Ok(());
            };
            if n == 0 {
                return Ok(());
            }
            sink(buf.get(..n).unwrap_or_default())?;
        }
    }
}

impl Drop for CmsEncryptStream {
    fn drop(&mut self) {
        // SAFETY: as `i2d_ASN1_bio_stream` does: pop and free the filters
        // BIO_new_NDEF pushed, down to `out`, then `out`. Each pointer is
        // freed once; none is used afterwards.
        unsafe {
            let mut bio = self.ndef;
            while !bio.is_null() && bio != self.out {
                let next = BIO_pop(bio);
                BIO_free(bio);
                bio = next;
            }
            openssl_sys::BIO_free_all(self.out);
        }
    }
}

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
