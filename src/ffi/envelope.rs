//! CMS envelopes: which RecipientInfo names a certificate, streaming
//! EnvelopedData encryption, and re-wrapping a content key.

use super::*;

/// `CMS_RecipientInfo` from `<openssl/cms.h>`; only ever behind a pointer.
#[allow(non_camel_case_types)]
pub(super) enum CMS_RecipientInfo {}

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
    pub(super) fn CMS_get0_RecipientInfos(
        cms: *mut openssl_sys::CMS_ContentInfo,
    ) -> *mut openssl_sys::OPENSSL_STACK;
    pub(super) fn CMS_RecipientInfo_type(ri: *mut CMS_RecipientInfo) -> std::ffi::c_int;
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
pub(super) const CMS_RECIPINFO_TRANS: std::ffi::c_int = 0;
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

/// The indexes, among all RecipientInfos of `cms`, of its
/// KeyTransRecipientInfos (OpenSSL's types).
pub(crate) fn cms_key_transport_recipients(cms: &openssl::cms::CmsContentInfoRef) -> Vec<usize> {
    let mut found = Vec::new();
    // SAFETY: `cms` is live for the whole function; the stack and its
    // elements are owned by `cms` and only read; every index is below the
    // count OpenSSL reports for the same stack.
    unsafe {
        let ris = CMS_get0_RecipientInfos(cms.as_ptr());
        if ris.is_null() {
            return found;
        }
        for i in 0..openssl_sys::OPENSSL_sk_num(ris) {
            let ri = openssl_sys::OPENSSL_sk_value(ris, i).cast::<CMS_RecipientInfo>();
            if !ri.is_null()
                && CMS_RecipientInfo_type(ri) == CMS_RECIPINFO_TRANS
                && let Ok(index) = usize::try_from(i)
            {
                found.push(index);
            }
        }
    }
    found
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
