//! MIME parsing and splitting (crate-private `mime` module, through the
//! `fuzzing` feature): entity, Content-Type, fields, transfer decoding,
//! multipart splitting, message splitting, canonicalisation, From address.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = smime::fuzzing::mime(data);
    });
}
