//! Tests of the public API, one module per feature: certificates, PKCS#12
//! import, signing and verification, encryption and decryption, streaming.

mod common;

mod api {
    mod aead;
    mod cert;
    mod certs_only;
    mod compressed;
    mod differential;
    mod envelope;
    mod message;
    #[cfg(feature = "async")]
    mod message_async;
    mod message_binding;
    mod message_rfc9788;
    mod pkcs12;
    mod sign_verify;
    mod streaming;
}
