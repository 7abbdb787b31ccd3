//! MIME splitting, BER/CMS SignedData parsing and verification, in memory
//! and streaming (multipart/signed splitter, base64 and BER stream readers).
fn main() {
    let options = smime::VerifyOptions::new(std::slice::from_ref(smime_fuzz::root()));
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::verify(data, &options);
        let _ = smime::verify_stream(data, std::io::sink(), &options);
    });
}
