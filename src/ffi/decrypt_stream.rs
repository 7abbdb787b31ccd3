//! Streaming decryption of a CMS EnvelopedData through OpenSSL's BIO chain.

use super::*;

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
