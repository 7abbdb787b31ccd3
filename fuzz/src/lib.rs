//! Shared set-up for the fuzz targets: fixture identities loaded once.

use std::sync::OnceLock;

use smime::{Certificate, Identity, Password};

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/").to_owned() + rel)
        .expect("fixture")
}

/// The fixture root CA.
pub fn root() -> &'static Certificate {
    static ROOT: OnceLock<Certificate> = OnceLock::new();
    ROOT.get_or_init(|| Certificate::from_pem(&fixture("ca/root.pem")).expect("root"))
}

/// A fixture identity by name (alice, bob, carol...).
pub fn identity(name: &str) -> Identity {
    smime::pkcs12::import(
        &fixture(&format!("p12/{name}.p12")),
        &Password::new("test-password"), &smime::Limits::default())
    .expect("identity")
}
