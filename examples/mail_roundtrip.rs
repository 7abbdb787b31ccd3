//! A mail client's send and receive path end to end: a message built with
//! `mail-builder` (non-ASCII header fields, an attachment), `compose`d for
//! sending (signed, encrypted, RFC 9788 header protection), `open`ed by the
//! recipient, and the displayable message parsed with `mail-parser`.
//!
//! ```text
//! cargo run --example mail_roundtrip
//! ```

use mail_parser::{MessageParser, MimeHeaders};
use smime::{Certificate, ComposeOptions, Mailbox, OpenOptions, Password, Store, VerifyOptions};

fn fixture(name: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let alice: Mailbox = "alice@example.org".parse()?;
    let bob: Mailbox = "bob@example.org".parse()?;
    let password = Password::new("test-password");
    let store = Store::in_memory()?;
    store.import_pkcs12(&alice, &fixture("p12/alice.p12")?, &password)?;
    store.import_pkcs12(&bob, &fixture("p12/bob.p12")?, &password)?;
    // The mailbox's toggles: "Digital signature" and "Email encryption".
    store.set_sign_by_default(&alice, true)?;
    store.set_encrypt_by_default(&alice, true)?;

    let built = mail_builder::MessageBuilder::new()
        .from(("Alice Liddell", "alice@example.org"))
        .to(("Bob Øster", "bob@example.org"))
        .subject("Café plans — 秘密")
        .text_body("Shall we meet at the café at noon?\r\n")
        .attachment(
            "text/calendar",
            "invite.ics",
            "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        )
        .write_to_vec()?;

    // Sending: the settings say sign and encrypt; recipients from To/Cc/Bcc.
    let sent = smime::compose(&built, &store, &alice, &ComposeOptions::default())?;
    let outside = MessageParser::default()
        .parse(&sent)
        .ok_or("the sent message does not parse")?;
    println!(
        "what the servers see:  Subject: {}",
        outside.subject().unwrap_or("-")
    );

    // Receiving.
    let anchors = Certificate::all_from_pem(&fixture("ca/root.pem")?)?;
    let opened = smime::open(
        &sent,
        &store.identities(&bob)?,
        &OpenOptions::new(VerifyOptions::new(&anchors)),
    )?;
    println!("verdict:               {}", opened.verdict);
    let shown = MessageParser::default()
        .parse(&opened.message[..])
        .ok_or("the opened message does not parse")?;
    println!(
        "what Bob reads:        Subject: {}",
        shown.subject().unwrap_or("-")
    );
    println!(
        "                       From: {}",
        shown
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.name())
            .unwrap_or("-")
    );
    println!(
        "                       {}",
        shown.body_text(0).unwrap_or_default().trim_end()
    );
    for attachment in shown.attachments() {
        println!(
            "attachment:            {} ({} bytes)",
            attachment.attachment_name().unwrap_or("unnamed"),
            attachment.contents().len()
        );
    }
    assert_eq!(shown.subject(), Some("Café plans — 秘密"));
    assert_eq!(
        shown.attachment_count(),
        1,
        "no smime.p7s among the attachments"
    );
    Ok(())
}
