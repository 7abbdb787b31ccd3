//! CMS EnvelopedData / AuthEnvelopedData structure from raw BER: version,
//! originatorInfo, RecipientInfo bounds, content-encryption algorithm,
//! AES-GCM parameters and tag length. No key is used.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::fuzzing::cms_enveloped(data);
    });
}
