//! `smime`: the command-line face of the `smime` crate.
//!
//! ```text
//! smime [--store FILE] [--passphrase-file F] COMMAND
//! smime import   --mailbox ADDR [--password-file F] [--allow-address-mismatch] BUNDLE.p12
//! smime list     [--mailbox ADDR] [--json]
//! smime remove   --mailbox ADDR FINGERPRINT
//! smime settings --mailbox ADDR [--sign-by-default on|off] [--encrypt-by-default on|off]
//!                [--default-signer FINGERPRINT|auto]
//! ```
//!
//! # Where things come from
//!
//! * Store file: `--store`, else `$SMIME_STORE`, else
//!   `<user data dir>/smime/store.db` (the `smime` directory is created).
//! * Store passphrase: `--passphrase-file F` (first line), else
//!   `$SMIME_STORE_PASSPHRASE`, else a prompt on the terminal.
//! * PKCS#12 password: `--password-file F` (first line), else
//!   `$SMIME_P12_PASSWORD`, else a prompt on the terminal. There is
//!   deliberately no option that takes a password on the command line, where
//!   every user of the machine could read it (`ps`, `/proc/*/cmdline`).
//!
//! A prompt is only attempted when standard input is a terminal; otherwise
//! (scripts, CI, `</dev/null`) the command fails at once, telling which
//! variable or option to use, instead of waiting for input that never comes.
//!
//! Every argument is checked (addresses, fingerprints, the bundle file is
//! read) before the store is opened, so bad input never touches the store.
//!
//! # Output and exit codes
//!
//! * `0`: success; results on stdout.
//! * `2`: bad input or usage (clap's usage errors, wrong PKCS#12 password,
//!   corrupt or unsupported bundle, invalid address, address mismatch, I/O).
//! * `3`: store error (mailbox full, not found, wrong store passphrase,
//!   database failure, anything else).
//!
//! An error is exactly one line on stderr, `smime: <message>`, never a
//! backtrace or debug dump, and never a secret.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use smime::{
    Error, Fingerprint, ImportOptions, Mailbox, Passphrase, Password, Settings, Store,
    StoredCertificate,
};

/// Environment variable naming the store file.
const ENV_STORE: &str = "SMIME_STORE";
/// Environment variable holding the store passphrase.
const ENV_STORE_PASSPHRASE: &str = "SMIME_STORE_PASSPHRASE";
/// Environment variable holding the PKCS#12 password.
const ENV_P12_PASSWORD: &str = "SMIME_P12_PASSWORD";

/// S/MIME certificate store for mail clients.
#[derive(Debug, Parser)]
#[command(name = "smime", version, about)]
struct Cli {
    /// Store file [default: $SMIME_STORE, else <data dir>/smime/store.db]
    #[arg(long, global = true, value_name = "FILE")]
    store: Option<PathBuf>,

    /// Read the store passphrase from the first line of F
    /// [default: $SMIME_STORE_PASSPHRASE, else a prompt]
    #[arg(long, global = true, value_name = "F")]
    passphrase_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Import a PKCS#12 bundle (key, certificate, chain) into a mailbox
    Import {
        /// The mailbox (e-mail address) to import into
        #[arg(long, value_name = "ADDR")]
        mailbox: String,
        /// Read the PKCS#12 password from the first line of F
        /// [default: $SMIME_P12_PASSWORD, else a prompt]
        #[arg(long, value_name = "F")]
        password_file: Option<PathBuf>,
        /// Import even if the certificate does not name the mailbox
        #[arg(long)]
        allow_address_mismatch: bool,
        /// The PKCS#12 file
        #[arg(value_name = "BUNDLE.p12")]
        bundle: PathBuf,
    },
    /// List certificates of one mailbox, or of all mailboxes
    List {
        /// Only this mailbox
        #[arg(long, value_name = "ADDR")]
        mailbox: Option<String>,
        /// Print a JSON array instead of one line per certificate
        #[arg(long)]
        json: bool,
    },
    /// Remove a certificate and its private key from a mailbox
    Remove {
        /// The mailbox holding the certificate
        #[arg(long, value_name = "ADDR")]
        mailbox: String,
        /// SHA-256 fingerprint of the certificate (as `list` prints it)
        fingerprint: String,
    },
    /// Show, and optionally change, the settings of a mailbox
    Settings {
        /// The mailbox
        #[arg(long, value_name = "ADDR")]
        mailbox: String,
        /// Sign outgoing mail by default
        #[arg(long, value_name = "on|off")]
        sign_by_default: Option<Switch>,
        /// Encrypt outgoing mail by default (needs a certificate that can decrypt)
        #[arg(long, value_name = "on|off")]
        encrypt_by_default: Option<Switch>,
        /// The certificate to sign with, or `auto` for the newest usable one
        #[arg(long, value_name = "FINGERPRINT|auto")]
        default_signer: Option<String>,
    },
}

/// `on` / `off` for a boolean setting.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl From<Switch> for bool {
    fn from(s: Switch) -> bool {
        matches!(s, Switch::On)
    }
}

/// Why a command failed: the library's error, or a usage problem of the
/// command line itself (no passphrase source, no data directory).
enum Failure {
    Usage(String),
    Smime(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Smime(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Smime(Error::Io(e))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (message, code) = match run(cli) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => (message, 2),
        Err(Failure::Smime(e)) => (e.to_string(), exit_code(&e)),
    };
    // One line, whatever an underlying library put in the message.
    eprintln!("smime: {}", message.replace(['\r', '\n'], " "));
    ExitCode::from(code)
}

/// The process exit code for an error: 2 for bad input, 3 for the store.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::WrongPassword
        | Error::InvalidFingerprint(_)
        | Error::CorruptBundle(_)
        | Error::UnsupportedBundle(_)
        | Error::NoPrivateKey
        | Error::KeyCertificateMismatch
        | Error::UnsupportedKey(_)
        | Error::InvalidCertificate(_)
        | Error::InvalidAddress { .. }
        | Error::AddressMismatch { .. }
        | Error::Io(_) => 2,
        _ => 3,
    }
}

/// Runs one command. Arguments are validated before the store is opened.
fn run(cli: Cli) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match cli.command {
        Command::Import {
            mailbox,
            password_file,
            allow_address_mismatch,
            bundle,
        } => {
            let mailbox: Mailbox = mailbox.parse()?;
            let bytes = std::fs::read(&bundle)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", bundle.display())))?;
            let options = if allow_address_mismatch {
                ImportOptions::allowing_address_mismatch()
            } else {
                ImportOptions::default()
            };
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let password = p12_password(password_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            let imported = store.import_pkcs12_with(&mailbox, &bytes, &password, options)?;
            let cert = &imported.certificate;
            if imported.added {
                writeln!(
                    out,
                    "imported {} {} into {}",
                    cert.fingerprint(),
                    cert.subject(),
                    mailbox.canonical()
                )?;
            } else {
                writeln!(
                    out,
                    "already present: {} in {}",
                    cert.fingerprint(),
                    mailbox.canonical()
                )?;
            }
        }
        Command::List { mailbox, json } => {
            let mailbox = mailbox.map(|m| m.parse::<Mailbox>()).transpose()?;
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let store = open_store(cli.store, &passphrase)?;
            let mailboxes = match mailbox {
                Some(m) => vec![m],
                None => store.mailboxes()?,
            };
            let mut entries = Vec::new();
            for m in &mailboxes {
                entries.extend(store.list(m)?);
            }
            if json {
                let array = Value::Array(entries.iter().map(to_json).collect());
                writeln!(out, "{array:#}")?;
            } else {
                for entry in &entries {
                    writeln!(out, "{}", to_line(entry))?;
                }
            }
        }
        Command::Remove {
            mailbox,
            fingerprint,
        } => {
            let mailbox: Mailbox = mailbox.parse()?;
            let fingerprint: Fingerprint = fingerprint.parse()?;
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            store.remove(&mailbox, &fingerprint)?;
            writeln!(out, "removed {fingerprint} from {}", mailbox.canonical())?;
        }
        Command::Settings {
            mailbox,
            sign_by_default,
            encrypt_by_default,
            default_signer,
        } => {
            let mailbox: Mailbox = mailbox.parse()?;
            let default_signer = match default_signer.as_deref() {
                None => None,
                Some(s) if s.eq_ignore_ascii_case("auto") => Some(None),
                Some(s) => Some(Some(s.parse::<Fingerprint>()?)),
            };
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            // All changes in one transaction: a refused one applies none.
            store.update_settings(&mailbox, |s| {
                if let Some(signer) = default_signer {
                    s.default_signer = signer;
                }
                if let Some(on) = encrypt_by_default {
                    s.encrypt_by_default = on.into();
                }
                if let Some(on) = sign_by_default {
                    s.sign_by_default = on.into();
                }
            })?;
            write_settings(&mut out, &store.settings(&mailbox)?)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Opens the store file chosen by `--store`, `$SMIME_STORE` or the default.
fn open_store(option: Option<PathBuf>, passphrase: &Passphrase) -> Result<Store, Failure> {
    let path = match option {
        Some(path) => path,
        None => match std::env::var_os(ENV_STORE).filter(|v| !v.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => default_store_path()?,
        },
    };
    Ok(Store::open(path, passphrase)?)
}

/// `<data dir>/smime/store.db`, creating the `smime` directory.
fn default_store_path() -> Result<PathBuf, Failure> {
    let data = dirs::data_dir().ok_or_else(|| {
        Failure::Usage(format!(
            "no data directory known for this user; set ${ENV_STORE} or use --store"
        ))
    })?;
    let dir = data.join("smime");
    std::fs::create_dir_all(&dir)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
    Ok(dir.join("store.db"))
}

/// The store passphrase: `--passphrase-file`, else the environment, else a prompt.
fn store_passphrase(file: Option<&PathBuf>) -> Result<Passphrase, Failure> {
    if let Some(file) = file {
        return Ok(Passphrase::from_file(file)?);
    }
    if let Some(value) = env_secret(ENV_STORE_PASSPHRASE)? {
        return Ok(Passphrase::new(value));
    }
    let typed = prompt(
        "Store passphrase: ",
        &format!("set ${ENV_STORE_PASSPHRASE} or use --passphrase-file"),
    )?;
    Ok(Passphrase::new(typed))
}

/// The PKCS#12 password: `--password-file`, else the environment, else a prompt.
fn p12_password(file: Option<&PathBuf>) -> Result<Password, Failure> {
    if let Some(file) = file {
        return Ok(Password::from_file(file)?);
    }
    if let Some(value) = env_secret(ENV_P12_PASSWORD)? {
        return Ok(Password::new(value));
    }
    let typed = prompt(
        "PKCS#12 password: ",
        &format!("set ${ENV_P12_PASSWORD} or use --password-file"),
    )?;
    Ok(Password::new(typed))
}

/// A secret from the environment: `None` when unset, an error when not UTF-8.
fn env_secret(name: &str) -> Result<Option<String>, Failure> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::Usage(format!("${name} is not valid UTF-8")))
        }
    }
}

/// Asks on the terminal; the caller wraps the answer in its secret type at
/// once. Without a terminal on stdin, fails with `hint`.
fn prompt(question: &str, hint: &str) -> Result<String, Failure> {
    let no_tty = |why: String| Failure::Usage(format!("{why}; {hint}"));
    if !io::stdin().is_terminal() {
        return Err(no_tty("no terminal to prompt on".to_owned()));
    }
    rpassword::prompt_password(question).map_err(|e| no_tty(format!("cannot prompt ({e})")))
}

/// RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`), or `None` outside 1970..=9999.
fn rfc3339(time: SystemTime) -> Option<String> {
    der::DateTime::from_system_time(time)
        .ok()
        .map(|t| t.to_string())
}

/// One `list --json` object.
fn to_json(entry: &StoredCertificate) -> Value {
    let cert = &entry.certificate;
    json!({
        "mailbox": entry.mailbox.canonical(),
        "fingerprint": cert.fingerprint().to_string(),
        "subject": cert.subject(),
        "issuer": cert.issuer(),
        "serial": cert.serial_hex(),
        "emails": cert.email_addresses(),
        "not_before": rfc3339(cert.not_before()),
        "not_after": rfc3339(cert.not_after()),
        "imported_at": rfc3339(entry.imported_at),
        "key_algorithm": cert.key_algorithm().to_string(),
        "can_sign": cert.can_sign(),
        "can_decrypt": cert.can_decrypt(),
        "chain": entry.chain.iter().map(|c| c.subject()).collect::<Vec<_>>(),
    })
}

/// One `list` text line: mailbox, fingerprint, expiry date, usages, subject.
fn to_line(entry: &StoredCertificate) -> String {
    let cert = &entry.certificate;
    let until =
        rfc3339(cert.not_after()).map_or_else(|| "?".to_owned(), |t| t.chars().take(10).collect());
    let usage = match (cert.can_sign(), cert.can_decrypt()) {
        (true, true) => "sign,decrypt",
        (true, false) => "sign",
        (false, true) => "decrypt",
        (false, false) => "-",
    };
    format!(
        "{} {} {until} {usage} {}",
        entry.mailbox.canonical(),
        cert.fingerprint(),
        cert.subject()
    )
}

/// The settings, one `key: value` per line.
fn write_settings(out: &mut impl Write, settings: &Settings) -> io::Result<()> {
    writeln!(out, "sign_by_default: {}", settings.sign_by_default)?;
    writeln!(out, "encrypt_by_default: {}", settings.encrypt_by_default)?;
    match settings.default_signer {
        Some(fp) => writeln!(out, "default_signer: {fp}"),
        None => writeln!(out, "default_signer: auto"),
    }
}
