//! Uses the application's own rusqlite and smime side by side: smime's
//! in-memory store, and with `--features store` its SQLite store too (a
//! file in a fresh temporary directory, removed again).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = rusqlite::Connection::open_in_memory()?;
    let version: String = conn.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    let alice: smime::Mailbox = "alice@example.org".parse()?;
    let store = smime::Store::in_memory()?;
    println!(
        "SQLite {version} (the application's) beside smime; {alice} holds {} certificates",
        store.list(&alice)?.len()
    );
    #[cfg(feature = "store")]
    sqlite_store(&alice)?;
    Ok(())
}

#[cfg(feature = "store")]
fn sqlite_store(alice: &smime::Mailbox) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("smime-downstream-{}", std::process::id()));
    std::fs::create_dir(&dir)?;
    let opened = smime::Store::open(dir.join("store.db"), &smime::Passphrase::new("downstream"))
        .and_then(|store| store.list(alice));
    std::fs::remove_dir_all(&dir)?;
    println!("smime's SQLite store on the same SQLite: {} certificates", opened?.len());
    Ok(())
}
