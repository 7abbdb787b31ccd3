//! One file per command, and what they share: the store (opened only once
//! every argument has been checked), certificate files, `--p12` identities.

mod add_cert;
mod compose;
mod decrypt;
mod domain;
mod encrypt;
mod export;
mod export_certs;
mod import;
mod list;
mod open;
mod passwd;
mod remove;
mod settings;
mod sign;
mod verify;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use smime::{Certificate, Identity, Mailbox, Store};

use crate::args::{Cli, Command};
use crate::failure::Failure;
use crate::{files, secrets};

/// Environment variable naming the store file.
const ENV_STORE: &str = "SMIME_STORE";

/// The global options every command may need: where the store is and where
/// its passphrase comes from.
pub struct Context {
    store: Option<PathBuf>,
    passphrase_file: Option<PathBuf>,
}

impl Context {
    /// Asks for the store passphrase and opens (or creates) the store file
    /// chosen by `--store`, `$SMIME_STORE` or the default.
    fn open_store(&self) -> Result<Store, Failure> {
        let passphrase = secrets::store_passphrase(self.passphrase_file.as_deref())?;
        self.open_store_with(&passphrase)
    }

    /// Opens the store with a passphrase already asked for.
    fn open_store_with(&self, passphrase: &smime::Passphrase) -> Result<Store, Failure> {
        let path = match &self.store {
            Some(path) => path.clone(),
            None => match std::env::var_os(ENV_STORE).filter(|v| !v.is_empty()) {
                Some(path) => PathBuf::from(path),
                None => default_store_path()?,
            },
        };
        let store = Store::open(path, passphrase)?;
        for warning in store.warnings() {
            eprintln!("smime: warning: {}", crate::output::warning_line(warning));
        }
        Ok(store)
    }
}

/// Runs one command, its output on stdout.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let ctx = Context {
        store: cli.store,
        passphrase_file: cli.passphrase_file,
    };
    let mut out = io::stdout().lock();
    match cli.command {
        Command::Import(args) => import::run(&ctx, &args, &mut out)?,
        Command::List(args) => list::run(&ctx, &args, &mut out)?,
        Command::Remove(args) => remove::run(&ctx, &args, &mut out)?,
        Command::Settings(args) => settings::run(&ctx, &args, &mut out)?,
        Command::Passwd(args) => passwd::run(&ctx, &args, &mut out)?,
        Command::AddCert(args) => add_cert::run(&ctx, &args, &mut out)?,
        Command::Sign(args) => sign::run(&ctx, &args, &mut out)?,
        Command::Verify(args) => verify::run(&ctx, &args, &mut out)?,
        Command::Encrypt(args) => encrypt::run(&ctx, &args, &mut out)?,
        Command::Decrypt(args) => decrypt::run(&ctx, &args, &mut out)?,
        Command::Compose(args) => compose::run(&ctx, &args, &mut out)?,
        Command::Open(args) => open::run(&ctx, &args, &mut out)?,
        Command::Domain(command) => domain::run(&ctx, &command, &mut out)?,
        Command::Export(args) => export::run(&ctx, &args, &mut out)?,
        Command::ExportCerts(args) => export_certs::run(&ctx, &args, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

/// `<data dir>/smime/store.db` (the library creates the `smime` directory
/// 0700 when it opens the store).
fn default_store_path() -> Result<PathBuf, Failure> {
    let data = dirs::data_dir().ok_or_else(|| {
        Failure::Usage(format!(
            "no data directory known for this user; set ${ENV_STORE} or use --store"
        ))
    })?;
    Ok(data.join("smime").join("store.db"))
}

/// An address argument.
fn mailbox(address: &str) -> Result<Mailbox, Failure> {
    Ok(address.parse()?)
}

/// The certificates of one `--trust` or `--to` file: PEM (one or many) or
/// one DER.
fn read_certificates(file: &Path) -> Result<Vec<Certificate>, Failure> {
    let in_file = |what: String| Failure::Usage(format!("{}: {what}", file.display()));
    let bytes = files::read(file)?;
    let certs = Certificate::all_from_pem_or_der(&bytes).map_err(|e| in_file(e.to_string()))?;
    if certs.is_empty() {
        return Err(in_file(crate::output::NO_CERTIFICATE_FOUND.to_owned()));
    }
    Ok(certs)
}

/// The certificates of every file, in order.
fn read_all_certificates(files: &[PathBuf]) -> Result<Vec<Certificate>, Failure> {
    let mut certs = Vec::new();
    for file in files {
        certs.extend(read_certificates(file)?);
    }
    Ok(certs)
}

/// Every identity of a PKCS#12 file (`--p12`), password as for `import`:
/// one, or (RFC 9216 and many enterprise exports) a signing and an
/// encryption pair.
fn identities_from_p12(file: &Path) -> Result<Vec<Identity>, Failure> {
    let bytes = files::read(file)?;
    let password = secrets::p12_password(None)?;
    let bundle = smime::pkcs12::import_all(&bytes, &password, &smime::Limits::default())?;
    Ok(bundle.identities)
}

/// The identity of a PKCS#12 file (`--p12`) to sign with: key usage
/// decides between several (the first whose certificate can sign), else
/// the first, which `sign` then refuses as it would from the store.
fn signer_from_p12(file: &Path) -> Result<Identity, Failure> {
    let mut identities = identities_from_p12(file)?;
    let index = identities
        .iter()
        .position(|i| i.certificate().can_sign())
        .unwrap_or(0);
    if index < identities.len() {
        Ok(identities.swap_remove(index))
    } else {
        Err(smime::Error::NoPrivateKey.into())
    }
}

/// A whole message from `--in` or stdin, up to the library's in-memory
/// limit (`compose` and `open` work on whole messages).
fn read_message(file: Option<&Path>) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let max = smime::Limits::default().max_in_memory;
    let mut message = Vec::new();
    files::stream_input(file)?
        .take(max + 1)
        .read_to_end(&mut message)?;
    if message.len() as u64 > max {
        return Err(smime::Error::LimitExceeded {
            limit: "max_in_memory",
            max,
        }
        .into());
    }
    Ok(message)
}
