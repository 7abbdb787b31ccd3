//! CMS SignedData from raw BER (no MIME around it): OpenSSL's BER→DER
//! normalisation, the strict `der` decode, signer lookup, signature checks.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::fuzzing::cms_signed(data);
    });
}
