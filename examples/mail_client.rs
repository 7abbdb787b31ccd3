//! The strings a mail client shows for a received message: the verdict,
//! who signed it and whether that is trusted, how it was encrypted, and
//! which header fields were protected (RFC 9788), for a few messages:
//! signed and encrypted with header protection, signed only, signed by a
//! certificate nobody trusts, and one whose signature was damaged.
//!
//! ```text
//! cargo run --example mail_client
//! ```

use smime::{
    Certificate, ComposeOptions, FieldProtection, HeaderConfidentialityPolicy, Layer, Mailbox,
    OpenOptions, Opened, Password, Store, Verdict, VerifyOptions,
};

fn fixture(name: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
}

/// What the message view shows above the body.
fn banner(title: &str, opened: &Opened) {
    println!("== {title}");
    let icon = match &opened.verdict {
        Verdict::SignedAndEncrypted => "[lock] [seal]",
        Verdict::SignedAndValid => "[seal]",
        Verdict::EncryptedOnly { .. } => "[lock]",
        Verdict::SignedButInvalid { .. } | Verdict::SignatureUnreadable { .. } => "[warning]",
        _ => "",
    };
    println!("{icon} {}", opened.verdict);
    for layer in &opened.layers {
        match layer {
            Layer::Signed(report) => {
                for signer in &report.signers {
                    let name = signer
                        .certificate
                        .as_ref()
                        .and_then(|c| c.common_name())
                        .unwrap_or_else(|| "unknown signer".to_owned());
                    println!("  signed by {name} ({})", signer.emails().join(", "));
                    println!("  certificate: {}", signer.chain);
                }
            }
            Layer::Encrypted {
                content_encryption,
                authenticated,
                ..
            } => {
                let integrity = if *authenticated {
                    "tamper-evident"
                } else {
                    "trust only what the signature covers"
                };
                println!("  encrypted with {content_encryption} ({integrity})");
            }
            Layer::SignatureUnreadable(why) => println!("  the signature is damaged: {why}"),
            other => println!("  {other}"),
        }
    }
    println!("  header protection: {}", opened.header_protection);
    for header in &opened.headers {
        let mark = match header.protection {
            FieldProtection::SignedAndEncrypted => "signed, encrypted",
            FieldProtection::SignedOnly => "signed",
            FieldProtection::EncryptedOnly => "encrypted",
            _ => "unprotected",
        };
        println!(
            "  {:<8} {:<30} ({mark})",
            format!("{}:", header.name),
            header.decoded_value()
        );
    }
    println!();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let alice: Mailbox = "alice@example.org".parse()?;
    let bob: Mailbox = "bob@example.org".parse()?;
    let password = Password::new("test-password");
    let store = Store::in_memory()?;
    store.import_pkcs12(&alice, &fixture("p12/alice.p12")?, &password)?;
    store.import_pkcs12(&bob, &fixture("p12/bob.p12")?, &password)?;
    let message = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n\
Subject: The quarterly numbers\r\nDate: Mon, 1 Dec 2025 09:30:00 +0100\r\n\r\nThey are good.\r\n";
    let anchors = Certificate::all_from_pem(&fixture("ca/root.pem")?)?;
    let trusted = OpenOptions::new(VerifyOptions::new(&anchors));
    let bobs_keys = store.identities(&bob)?;

    let both = ComposeOptions::default()
        .sign(true)
        .encrypt(true)
        .header_protection(Some(HeaderConfidentialityPolicy::Shy));
    let sent = smime::compose(message, &store, &alice, &both)?;
    banner(
        "signed and encrypted, hcp_shy",
        &smime::open(&sent, &bobs_keys, &trusted)?,
    );

    let signed = smime::compose(
        message,
        &store,
        &alice,
        &ComposeOptions::default().sign(true),
    )?;
    banner("signed only", &smime::open(&signed, &bobs_keys, &trusted)?);

    let nobody = OpenOptions::new(VerifyOptions::new(&[]));
    banner(
        "signed, no trust anchor",
        &smime::open(&signed, &bobs_keys, &nobody)?,
    );

    let text = String::from_utf8_lossy(&signed).into_owned();
    let marker = "S/MIME Cryptographic Signature\r\n\r\n";
    let damaged = match text.find(marker) {
        Some(at) => format!(
            "{}AAAA\r\n{}",
            &text[..at + marker.len()],
            &text[text.rfind("\r\n--").unwrap_or(0)..]
        ),
        None => text.clone(),
    };
    banner(
        "damaged signature",
        &smime::open(damaged.as_bytes(), &bobs_keys, &trusted)?,
    );
    Ok(())
}
