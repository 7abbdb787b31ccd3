//! Certificate parsing (DER and PEM) and every accessor.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(certs) = smime::Certificate::all_from_pem_or_der(data) {
            for c in certs {
                let _ = (
                    c.email_addresses(),
                    c.can_sign(),
                    c.can_decrypt(),
                    c.key_algorithm().bits(),
                );
            }
        }
    });
}
