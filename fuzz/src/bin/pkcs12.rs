//! PKCS#12 import of hostile bundles (OpenSSL path and the legacy `p12` path).
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::pkcs12::import(data, &smime::Password::new("test-password"), &smime::Limits::default());
        let _ = smime::pkcs12::import(data, &smime::Password::empty(), &smime::Limits::default());
    });
}
