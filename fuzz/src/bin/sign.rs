//! MIME parsing and canonicalisation of hostile input on the signing path.
fn main() {
    let alice = smime_fuzz::identity("alice");
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::sign(data, &alice, &smime::SignOptions::default());
    });
}
