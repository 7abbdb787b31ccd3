//! The async API (feature `async`): a store opened without blocking the
//! runtime (its KDF runs on tokio's blocking pool), a message composed
//! and opened over `AsyncRead`/`AsyncWrite`, and a compose cancelled by a
//! timeout, which writes nothing.
//!
//! ```text
//! cargo run --example tokio_client --features async
//! ```

use std::time::Duration;

use smime::{
    AsyncStore, Certificate, ComposeOptions, Mailbox, OpenOptions, Passphrase, Password,
    VerifyOptions,
};

fn fixture(name: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR")))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = AsyncStore::open(
        dir.path().join("mail.db"),
        Passphrase::new("example passphrase"),
    )
    .await?;
    let alice: Mailbox = "alice@example.org".parse()?;
    let bob: Mailbox = "bob@example.org".parse()?;
    for (mailbox, file) in [
        (alice.clone(), "p12/alice.p12"),
        (bob.clone(), "p12/bob.p12"),
    ] {
        let bundle = fixture(file)?;
        store
            .blocking(move |s| s.import_pkcs12(&mailbox, &bundle, &Password::new("test-password")))
            .await?;
    }
    let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: async hello\r\n\r\nSent from tokio.\r\n";
    let options = ComposeOptions::default().sign(true).encrypt(true);

    // Compose into any AsyncWrite (here a Vec; a socket or a file alike).
    let mut sent = Vec::new();
    store
        .compose_stream(&message[..], &mut sent, alice.clone(), options.clone())
        .await?;
    println!("composed {} bytes", sent.len());

    let anchors = Certificate::all_from_pem(&fixture("ca/root.pem")?)?;
    let mut shown = Vec::new();
    let opened = store
        .open_stream(
            &sent[..],
            &mut shown,
            bob,
            OpenOptions::new(VerifyOptions::new(&anchors)),
        )
        .await?;
    println!("opened: {}", opened.verdict);
    print!("{}", String::from_utf8_lossy(&shown));

    // Cancellation: the future is dropped at the timeout; nothing is written.
    let big: Vec<u8> = [&message[..], &vec![b'x'; 8 << 20]].concat();
    let mut out = Vec::new();
    let cancelled = tokio::time::timeout(
        Duration::from_millis(1),
        store.compose_stream(&big[..], &mut out, alice, options),
    )
    .await;
    println!(
        "cancelled: {}, bytes written: {}",
        cancelled.is_err(),
        out.len()
    );
    Ok(())
}
