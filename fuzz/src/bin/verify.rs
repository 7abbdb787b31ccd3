//! MIME splitting, BER/CMS SignedData parsing and verification.
fn main() {
    let options = smime::VerifyOptions::new(std::slice::from_ref(smime_fuzz::root()));
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::verify(data, &options);
    });
}
