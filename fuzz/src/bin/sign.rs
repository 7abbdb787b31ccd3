//! MIME parsing and canonicalisation of hostile input on the signing path,
//! in memory and streaming (header reader, transport-safety scan).
fn main() {
    let alice = smime_fuzz::identity("alice");
    let options = smime::SignOptions::default();
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::sign(data, &alice, &options);
        let _ = smime::sign_stream(
            std::io::Cursor::new(data),
            std::io::sink(),
            &alice,
            &options,
        );
    });
}
