//! EnvelopedData / AuthEnvelopedData parsing and decryption (RSA and EC
//! keys) on the streaming decryptor, then verification of what it yields.
fn main() {
    let identities = [smime_fuzz::identity("bob"), smime_fuzz::identity("carol")];
    let options = smime::VerifyOptions::new(std::slice::from_ref(smime_fuzz::root()));
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::decrypt_and_verify(data, &identities, &smime::DecryptOptions::default(), &options);
    });
}
