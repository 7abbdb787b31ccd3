//! Streaming decryption of a CMS EnvelopedData through OpenSSL's BIO chain.

use super::envelope::{
    CMS_RECIPINFO_TRANS, CMS_RecipientInfo, CMS_RecipientInfo_type, CMS_get0_RecipientInfos,
};
use super::*;

// SAFETY: each declaration matches its prototype in <openssl/cms.h>
// (OpenSSL 1.1.1 and 3.x): same argument and return types, opaque structs
// only ever behind pointers.
unsafe extern "C" {
    fn CMS_RecipientInfo_set0_pkey(
        ri: *mut CMS_RecipientInfo,
        pkey: *mut openssl_sys::EVP_PKEY,
    ) -> std::ffi::c_int;
    fn CMS_RecipientInfo_decrypt(
        cms: *mut openssl_sys::CMS_ContentInfo,
        ri: *mut CMS_RecipientInfo,
    ) -> std::ffi::c_int;
}

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
            Self::init(cms)
        }
    }

    /// The cipher BIO of `cms`, whose content key OpenSSL has (or replaces
    /// with a random one).
    fn init(cms: openssl::cms::CmsContentInfo) -> Result<Self, ErrorStack> {
        // SAFETY: `cms` is live for the calls. The BIO chain returned by
        // CMS_dataInit is ours to free (Drop, or here on failure), and the
        // cipher context pointer is owned by that chain.
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
            Ok(CmsDecryptStream {
                _cms: cms,
                bio,
                ctx,
            })
        }
    }

    /// Trial decryption of ONE KeyTransRecipientInfo: `key` opens the
    /// RecipientInfo at `index` (among all of them) and no other, so the
    /// outcome never depends on another RecipientInfo. Whether its key
    /// transport succeeded is never looked at: when it fails (or yields a
    /// key of the wrong length) OpenSSL keys the content with a random key
    /// (`havenocert` on, as in [`CmsDecryptStream::new`] without a
    /// certificate), so the failure surfaces only as a padding or tag
    /// error at the end. `Err` only when `index` is no key-transport
    /// recipient or OpenSSL cannot set the cipher up.
    pub(crate) fn for_key_transport(
        cms: openssl::cms::CmsContentInfo,
        key: &openssl::pkey::PKeyRef<Private>,
        index: usize,
    ) -> Result<Self, ErrorStack> {
        let index = std::ffi::c_int::try_from(index).map_err(|_| ErrorStack::get())?;
        // SAFETY: `cms` and `key` are live for the calls. The RecipientInfo
        // pointer is owned by `cms` and `index` is checked against the
        // stack's count. `set0_pkey` is handed a reference of its own (up_ref)
        // and releases it when cleared (set to null) right after the one
        // decryption that uses it. The BIO chain
        // returned by CMS_dataInit is ours to free (Drop), and the cipher
        // context pointer is owned by that chain.
        unsafe {
            if openssl_sys::CMS_decrypt(
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
            let ris = CMS_get0_RecipientInfos(cms.as_ptr());
            if ris.is_null() || index >= openssl_sys::OPENSSL_sk_num(ris) {
                return Err(ErrorStack::get());
            }
            let ri = openssl_sys::OPENSSL_sk_value(ris, index).cast::<CMS_RecipientInfo>();
            if ri.is_null() || CMS_RecipientInfo_type(ri) != CMS_RECIPINFO_TRANS {
                return Err(ErrorStack::get());
            }
            // set0 takes over one reference (and frees it when replaced):
            // that reference is ours, taken here, as CMS_decrypt does.
            if openssl_sys::EVP_PKEY_up_ref(key.as_ptr()) <= 0 {
                return Err(ErrorStack::get());
            }
            if CMS_RecipientInfo_set0_pkey(ri, key.as_ptr()) <= 0 {
                return Err(ErrorStack::get());
            }
            // Its result is deliberately ignored (see above): no branch on
            // whether the PKCS#1 padding of this RecipientInfo was valid.
            let _ = CMS_RecipientInfo_decrypt(cms.as_ptr(), ri);
            CMS_RecipientInfo_set0_pkey(ri, ptr::null_mut());
            openssl_sys::ERR_clear_error();
            Self::init(cms)
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
