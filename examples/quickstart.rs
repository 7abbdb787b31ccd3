//! Imports a PKCS#12 bundle into a persistent store, shows what a mail
//! client would show about it, then signs a message with it and verifies
//! the signature.
//!
//! ```text
//! cargo run --example quickstart [BUNDLE.p12 PASSWORD MAILBOX]
//! ```
//! Without arguments it uses the fixture bundle of alice@example.org.

use std::time::SystemTime;

use smime::{Certificate, Mailbox, Passphrase, Password, SignOptions, Store, VerifyOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bundle, password, mailbox) = match args.as_slice() {
        [b, p, m] => (b.clone(), p.clone(), m.clone()),
        _ => (
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice.p12").to_owned(),
            "test-password".to_owned(),
            "alice@example.org".to_owned(),
        ),
    };
    let mailbox: Mailbox = mailbox.parse()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("quickstart.db");

    let store = Store::open(&path, &Passphrase::new("quickstart passphrase"))?;
    let imported =
        store.import_pkcs12(&mailbox, &std::fs::read(&bundle)?, &Password::new(password))?;
    println!("imported into {} (store file {})", mailbox, path.display());

    let cert = &imported.certificate;
    println!("  subject      {}", cert.subject());
    println!("  issuer       {}", cert.issuer());
    println!("  e-mail       {}", cert.email_addresses().join(", "));
    println!("  key          {}", cert.key_algorithm());
    println!("  fingerprint  {}", cert.fingerprint());
    println!("  valid now    {}", cert.is_valid_at(SystemTime::now()));
    println!("  can sign     {}", cert.can_sign());
    println!("  can decrypt  {}", cert.can_decrypt());

    if cert.can_decrypt() {
        store.set_encrypt_by_default(&mailbox, true)?;
    }
    store.set_sign_by_default(&mailbox, cert.can_sign())?;
    drop(store);

    // A second open reads the same file back, keys unsealed with the passphrase.
    let store = Store::open(&path, &Passphrase::new("quickstart passphrase"))?;
    let settings = store.settings(&mailbox)?;
    println!(
        "settings: sign by default {}, encrypt by default {}",
        settings.sign_by_default, settings.encrypt_by_default
    );
    let signer = store.default_signer(&mailbox)?;
    println!(
        "default signer: {} ({} chain certificates)",
        signer.certificate().fingerprint(),
        signer.chain().len()
    );

    let message = format!(
        "From: {mailbox}\r\nTo: bob@example.org\r\nSubject: quickstart\r\n\r\nHello from smime.\r\n"
    );
    let signed = smime::sign(message.as_bytes(), &signer, &SignOptions::default())?;
    println!("\n--- signed message ({} bytes) ---", signed.len());
    println!(
        "{}",
        String::from_utf8_lossy(&signed[..signed.len().min(600)])
    );
    println!("[...]\n");

    // The recipient trusts the test root CA (the chain's last certificate).
    let anchors: Vec<Certificate> = signer
        .chain()
        .iter()
        .filter(|c| c.subject() == c.issuer())
        .cloned()
        .collect();
    let report = smime::verify(&signed, &VerifyOptions::new(&anchors))?;
    println!("verified: valid = {}", report.valid);
    for s in &report.signers {
        println!(
            "  signer {:?}: signature {}, chain {}, matches From: {:?}, {} / {}",
            s.emails(),
            s.signature,
            s.chain,
            s.from_matches,
            s.digest_algorithm,
            s.signature_algorithm
        );
    }
    Ok(())
}
