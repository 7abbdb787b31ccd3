//! `smime`: the command-line face of the `smime` crate.
//!
//! ```text
//! smime [--store FILE] [--passphrase-file F] COMMAND
//! smime import   --mailbox ADDR [--password-file F] [--allow-address-mismatch] BUNDLE.p12
//! smime list     [--mailbox ADDR] [--json]
//! smime list     --recipients --mailbox ADDR [--json]
//! smime remove   --mailbox ADDR FINGERPRINT
//! smime settings --mailbox ADDR [--sign-by-default on|off] [--encrypt-by-default on|off]
//!                [--default-signer FINGERPRINT|auto]
//! smime passwd   [--new-passphrase-file F]
//! smime add-cert CERT...
//! smime sign     --mailbox ADDR|--p12 BUNDLE.p12 [--opaque] [--digest sha256|sha384|sha512] [--in F] [--out F]
//! smime verify   [--trust CA.pem]... [--at RFC3339] [--json] [--in F] [--out CONTENT]
//! smime encrypt  (--to CERT.pem | --to-addr ADDR)... [--cipher aes256-cbc|aes128-gcm|aes256-gcm]
//!                [--oaep] [--allow-expired] [--sign-with ADDR] [--in F] [--out F]
//! smime decrypt  --mailbox ADDR|--p12 BUNDLE.p12 [--verify] [--trust CA.pem]... [--json] [--in F] [--out F]
//! ```
//!
//! # Where things come from
//!
//! * Store file: `--store`, else `$SMIME_STORE`, else
//!   `<user data dir>/smime/store.db` (the `smime` directory is created).
//! * Store passphrase: `$SMIME_STORE_PASSPHRASE`, else
//!   `--passphrase-file F` (first line), else a prompt on the terminal
//!   (the order of the CLI contract).
//! * New store passphrase (`passwd`): `--new-passphrase-file F` (first
//!   line), else `$SMIME_NEW_STORE_PASSPHRASE`, else a prompt on the
//!   terminal, asked twice. An empty one is refused.
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
//! `verify` never opens the store: it needs no passphrase; neither does
//! `encrypt` with only `--to` files (the store is opened for `--to-addr` and
//! `--sign-with`).
//!
//! `sign`, `verify`, `encrypt` and `decrypt` read the message from `--in F`,
//! else stdin, and write to `--out F`, else stdout (`verify --out` writes the
//! signed content, the report always goes to stdout; `decrypt --json` prints
//! its JSON object on stdout and needs `--out` for the content). Messages
//! stream in memory that does not grow with their size: `sign` and `encrypt`
//! read their input twice (stdin is first copied to a temporary file),
//! `verify` and `decrypt` once. `--out F` is written under a temporary name
//! and renamed into place on success only; `decrypt` to stdout spools the
//! plaintext to a temporary file and prints it once the padding or tag
//! checked, so no unauthenticated plaintext is ever shown.
//!
//! `sign --p12 F` and `decrypt --p12 F` take the identity from a PKCS#12
//! file (password as for `import`) instead of the store, like `openssl cms
//! -signer/-inkey`: no store passphrase, no key derivation.
//!
//! `encrypt --sign-with ADDR` signs with the mailbox's default signer, then
//! encrypts, always to the sender's own encryption certificate too, so the
//! sent copy stays readable. Recipients are deduplicated by fingerprint.
//! `decrypt` writes the decrypted MIME entity (the outer header fields are
//! not part of it); `--json` says which certificate opened it, the content
//! encryption and whether it was authenticated (AES-GCM) or not (AES-CBC,
//! malleable: trust it only as far as a signature inside covers it).
//!
//! # Output and exit codes
//!
//! * `0`: success; results on stdout (`verify`: the message is valid).
//! * `1`: `verify`: the report (on stdout) says the message is not valid
//!   (bad signature, untrusted or expired chain, sender mismatch, ...);
//!   nothing is printed on stderr. `decrypt --verify`: the decrypted
//!   content (still written) is not signed or its signature is not valid;
//!   one `smime:` line on stderr says why, or with `--json` the object's
//!   `signature` does and stderr stays empty.
//! * `2`: bad input or usage (clap's usage errors, wrong PKCS#12 password,
//!   corrupt or unsupported bundle, invalid certificate file, a certificate
//!   unfit for the use asked (CA certificate, no e-mail address, signer
//!   that cannot sign), invalid address, address mismatch, empty or
//!   mismatched new passphrase, I/O, a message that is not signed, is
//!   encrypted, is not encrypted, is not encrypted for the mailbox, does not
//!   decrypt, or is not well-formed MIME or CMS, an unsupported algorithm,
//!   an `--at` time that is not RFC 3339, a recipient certificate that
//!   cannot be encrypted to).
//! * `3`: store error (mailbox full, not found (including no signing
//!   certificate for `sign`, no encryption certificate for `--to-addr` or
//!   the `--sign-with` sender, no private key in the `decrypt` mailbox),
//!   wrong store passphrase, database failure, anything else).
//!
//! An error is exactly one line on stderr, `smime: <message>`, never a
//! backtrace or debug dump, and never a secret.
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::io::{self, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::SystemTime;

use clap::{ArgGroup, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use smime::{
    Certificate, ChainStatus, ContentEncryption, Coverage, Decryption, DigestAlgorithm,
    EncryptOptions, Error, Fingerprint, ImportOptions, Mailbox, Passphrase, Password, Settings,
    SignOptions, SignatureForm, SignatureStatus, SignerReport, Store, StoredCertificate,
    VerifyOptions, VerifyReport,
};

/// Environment variable naming the store file.
const ENV_STORE: &str = "SMIME_STORE";
/// Environment variable holding the store passphrase.
const ENV_STORE_PASSPHRASE: &str = "SMIME_STORE_PASSPHRASE";
/// Environment variable holding the new store passphrase (`passwd`).
const ENV_NEW_STORE_PASSPHRASE: &str = "SMIME_NEW_STORE_PASSPHRASE";
/// Environment variable holding the PKCS#12 password.
const ENV_P12_PASSWORD: &str = "SMIME_P12_PASSWORD";

/// The top-level `about`: the library's description, as the binary printed
/// it when it was part of the library crate.
const ABOUT: &str = "S/MIME for mail clients: PKCS#12 import, a per-mailbox certificate store, \
                     sign/verify/encrypt/decrypt";

/// S/MIME certificate store for mail clients.
#[derive(Debug, Parser)]
#[command(name = "smime", version, about = ABOUT)]
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
        /// List the correspondents' certificates filed under the address
        /// (see `add-cert`) instead of the mailbox's own
        #[arg(long, requires = "mailbox")]
        recipients: bool,
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
    /// Change the store passphrase (every private key is re-sealed)
    Passwd {
        /// Read the new store passphrase from the first line of F
        /// [default: $SMIME_NEW_STORE_PASSPHRASE, else a prompt, asked twice]
        #[arg(long, value_name = "F")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// File correspondents' certificates (to encrypt to them) under every
    /// address they name
    AddCert {
        /// Certificate files: PEM with one or more certificates, or one DER
        #[arg(value_name = "CERT", required = true)]
        files: Vec<PathBuf>,
    },
    /// Sign a message with the mailbox's default signing certificate
    #[command(group(ArgGroup::new("identity").required(true).args(["mailbox", "p12"])))]
    Sign {
        /// The mailbox whose signing identity is used
        #[arg(long, value_name = "ADDR")]
        mailbox: Option<String>,
        /// Sign with the identity of a PKCS#12 file instead of the store
        /// (password: $SMIME_P12_PASSWORD, else a prompt)
        #[arg(long, value_name = "BUNDLE.p12")]
        p12: Option<PathBuf>,
        /// Opaque `application/pkcs7-mime` instead of `multipart/signed`
        #[arg(long)]
        opaque: bool,
        /// Digest algorithm
        #[arg(long, value_name = "ALG", default_value = "sha256")]
        digest: Digest,
        /// Read the message from F [default: stdin]
        #[arg(long = "in", value_name = "F")]
        input: Option<PathBuf>,
        /// Write the signed message to F [default: stdout]
        #[arg(long = "out", value_name = "F")]
        output: Option<PathBuf>,
    },
    /// Verify a signed message; exits 0 only when it is valid, else 1
    Verify {
        /// Trust anchors: PEM with one or more certificates, or one DER
        /// (repeatable)
        #[arg(long, value_name = "CA.pem")]
        trust: Vec<PathBuf>,
        /// Judge certificate validity at this time (YYYY-MM-DDTHH:MM:SSZ)
        /// instead of now
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Print a JSON object instead of text
        #[arg(long)]
        json: bool,
        /// Read the message from F [default: stdin]
        #[arg(long = "in", value_name = "F")]
        input: Option<PathBuf>,
        /// Write the signed content (the MIME entity verified) to F
        #[arg(long = "out", value_name = "CONTENT")]
        output: Option<PathBuf>,
        /// File the certificates of valid, trusted signers in the store's
        /// recipient directory, with the algorithms they announced (opens
        /// the store)
        #[arg(long)]
        remember: bool,
    },
    /// Encrypt a message to one or more recipients (optionally signed first)
    #[command(group(
        ArgGroup::new("recipients")
            .args(["to", "to_addr"])
            .required(true)
            .multiple(true)
    ))]
    Encrypt {
        /// Recipient certificates: PEM with one or more certificates, or one
        /// DER (repeatable)
        #[arg(long, value_name = "CERT.pem")]
        to: Vec<PathBuf>,
        /// A recipient by address: its certificate from the store (recipient
        /// directory or own mailbox) (repeatable)
        #[arg(long, value_name = "ADDR")]
        to_addr: Vec<String>,
        /// Content encryption. Default: AES-GCM when every recipient is
        /// known (from its verified signatures) to read it, else AES-256-CBC
        #[arg(long, value_name = "ALG")]
        cipher: Option<Cipher>,
        /// RSAES-OAEP (SHA-256) key transport for RSA recipients instead of
        /// PKCS#1 v1.5
        #[arg(long)]
        oaep: bool,
        /// Encrypt to expired `--to` certificates too (key usage still applies)
        #[arg(long)]
        allow_expired: bool,
        /// Sign with this mailbox's default signer first; its own encryption
        /// certificate is always added as a recipient
        #[arg(long, value_name = "ADDR")]
        sign_with: Option<String>,
        /// Read the message from F [default: stdin]
        #[arg(long = "in", value_name = "F")]
        input: Option<PathBuf>,
        /// Write the encrypted message to F [default: stdout]
        #[arg(long = "out", value_name = "F")]
        output: Option<PathBuf>,
    },
    /// Decrypt a message with the private keys of a mailbox
    #[command(group(ArgGroup::new("identity").required(true).args(["mailbox", "p12"])))]
    Decrypt {
        /// The mailbox whose private keys are tried
        #[arg(long, value_name = "ADDR")]
        mailbox: Option<String>,
        /// Decrypt with the identity of a PKCS#12 file instead of the store
        /// (password: $SMIME_P12_PASSWORD, else a prompt)
        #[arg(long, value_name = "BUNDLE.p12")]
        p12: Option<PathBuf>,
        /// Verify the signature inside; exits 1 when the content is not
        /// signed or the signature is not valid (the content is still written)
        #[arg(long)]
        verify: bool,
        /// Trust anchors for --verify: PEM with one or more certificates, or
        /// one DER (repeatable)
        #[arg(long, value_name = "CA.pem", requires = "verify")]
        trust: Vec<PathBuf>,
        /// Print a JSON object (recipient, content encryption, authenticated,
        /// signature) on stdout; the content goes to --out
        #[arg(long, requires = "output")]
        json: bool,
        /// Read the message from F [default: stdin]
        #[arg(long = "in", value_name = "F")]
        input: Option<PathBuf>,
        /// Write the decrypted MIME entity to F [default: stdout]
        #[arg(long = "out", value_name = "F")]
        output: Option<PathBuf>,
    },
}

/// The content-encryption algorithms `encrypt` offers.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Cipher {
    /// AES-256-CBC EnvelopedData (the default: every client reads it; not
    /// authenticated).
    #[value(name = "aes256-cbc")]
    Aes256Cbc,
    /// AES-128-GCM AuthEnvelopedData.
    #[value(name = "aes128-gcm")]
    Aes128Gcm,
    /// AES-256-GCM AuthEnvelopedData.
    #[value(name = "aes256-gcm")]
    Aes256Gcm,
}

impl From<Cipher> for ContentEncryption {
    fn from(c: Cipher) -> Self {
        match c {
            Cipher::Aes256Cbc => ContentEncryption::Aes256Cbc,
            Cipher::Aes128Gcm => ContentEncryption::Aes128Gcm,
            Cipher::Aes256Gcm => ContentEncryption::Aes256Gcm,
        }
    }
}

/// The digest algorithms `sign` offers.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Digest {
    /// SHA-256 (the default).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl From<Digest> for DigestAlgorithm {
    fn from(d: Digest) -> Self {
        match d {
            Digest::Sha256 => DigestAlgorithm::Sha256,
            Digest::Sha384 => DigestAlgorithm::Sha384,
            Digest::Sha512 => DigestAlgorithm::Sha512,
        }
    }
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

/// Why a command failed: the library's error, a usage problem of the
/// command line itself (no passphrase source, no data directory), a
/// message that did not verify (its report is already on stdout), or
/// decrypted content whose signature is missing or not valid (`decrypt
/// --verify` without `--json`: the one-line reason goes to stderr).
enum Failure {
    Usage(String),
    Smime(Error),
    Invalid,
    Unverified(String),
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
        Err(Failure::Unverified(message)) => (message, 1),
        // The report on stdout says why; nothing on stderr.
        Err(Failure::Invalid) => return ExitCode::from(1),
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
        | Error::CertificateNotUsable { .. }
        | Error::NotSigned
        | Error::Encrypted
        | Error::NotEncrypted
        | Error::NotForRecipient
        | Error::DecryptionFailed
        | Error::NoRecipients
        | Error::InvalidMessage(_)
        | Error::LimitExceeded { .. }
        | Error::InvalidCms(_)
        | Error::UnsupportedAlgorithm(_)
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
            // Everything about the bundle is settled before the store is
            // opened (or created): a refused import leaves no trace.
            let password = p12_password(password_file.as_ref())?;
            let identity = smime::pkcs12::import(&bytes, &password)?;
            options.check(&mailbox, identity.certificate())?;
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            let imported = store.import_identity(&mailbox, &identity, options)?;
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
        Command::List {
            mailbox,
            recipients,
            json,
        } => {
            let mailbox = mailbox.map(|m| m.parse::<Mailbox>()).transpose()?;
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let store = open_store(cli.store, &passphrase)?;
            let (objects, lines): (Vec<Value>, Vec<String>) = match mailbox {
                // clap's `requires` guarantees the mailbox with `--recipients`.
                Some(address) if recipients => store
                    .recipient_certificates(&address)?
                    .iter()
                    .map(|c| (recipient_json(&address, c), to_line(&address, c)))
                    .unzip(),
                mailbox => {
                    let mailboxes = match mailbox {
                        Some(m) => vec![m],
                        None => store.mailboxes()?,
                    };
                    let mut entries = Vec::new();
                    for m in &mailboxes {
                        entries.extend(store.list(m)?);
                    }
                    entries
                        .iter()
                        .map(|e| (to_json(e), to_line(&e.mailbox, &e.certificate)))
                        .unzip()
                }
            };
            if json {
                writeln!(out, "{:#}", Value::Array(objects))?;
            } else {
                for line in &lines {
                    writeln!(out, "{line}")?;
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
            let changes = default_signer.is_some()
                || encrypt_by_default.is_some()
                || sign_by_default.is_some();
            // All changes in one transaction: a refused one applies none.
            // Showing the settings writes nothing.
            if changes {
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
            }
            write_settings(&mut out, &store.settings(&mailbox)?)?;
        }
        Command::Passwd {
            new_passphrase_file,
        } => {
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let new = new_store_passphrase(new_passphrase_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            store.change_passphrase(&new)?;
            writeln!(out, "store passphrase changed")?;
        }
        Command::AddCert { files } => {
            let mut certs = Vec::new();
            for file in &files {
                certs.extend(read_recipient_certificates(file)?);
            }
            let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
            let mut store = open_store(cli.store, &passphrase)?;
            for cert in &certs {
                if store.add_recipient_certificate(cert)? {
                    writeln!(
                        out,
                        "added {} for {}",
                        cert.fingerprint(),
                        cert.email_addresses().join(", ")
                    )?;
                } else {
                    writeln!(out, "already present: {}", cert.fingerprint())?;
                }
            }
        }
        Command::Sign {
            mailbox,
            p12,
            opaque,
            digest,
            input,
            output,
        } => {
            let mut options = SignOptions::default().digest(digest.into());
            if opaque {
                options = options.opaque();
            }
            let signer = match (mailbox, p12) {
                (_, Some(p12)) => identity_from_p12(&p12)?,
                (Some(mailbox), None) => {
                    let mailbox: Mailbox = mailbox.parse()?;
                    let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
                    open_store(cli.store, &passphrase)?.default_signer(&mailbox)?
                }
                (None, None) => {
                    return Err(Failure::Usage("--mailbox or --p12 is required".into()));
                }
            };
            let message = seekable_input(input.as_deref())?;
            with_output(output.as_deref(), &mut out, |w| {
                Ok(smime::sign_stream(message, w, &signer, &options)?)
            })?;
        }
        Command::Verify {
            trust,
            at,
            json,
            input,
            output,
            remember,
        } => {
            let mut anchors = Vec::new();
            for file in &trust {
                anchors.extend(read_certificates(file)?);
            }
            let mut options = VerifyOptions::new(&anchors);
            if let Some(at) = at {
                options = options.at(parse_time(&at)?);
            }
            let message = stream_input(input.as_deref())?;
            let report = match output {
                Some(path) => with_output(Some(&path), &mut out, |w| {
                    Ok(smime::verify_stream(message, w, &options)?)
                })?,
                None => smime::verify_stream(message, io::sink(), &options)?,
            };
            if remember {
                let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
                open_store(cli.store.clone(), &passphrase)?
                    .add_verified_signers(&report.verified_signers())?;
            }
            if json {
                writeln!(out, "{:#}", report_json(&report))?;
            } else {
                write_report(&mut out, &report)?;
            }
            out.flush()?;
            if !report.valid {
                return Err(Failure::Invalid);
            }
        }
        Command::Encrypt {
            to,
            to_addr,
            cipher,
            oaep,
            allow_expired,
            sign_with,
            input,
            output,
        } => {
            let addresses = to_addr
                .iter()
                .map(|a| a.parse::<Mailbox>())
                .collect::<Result<Vec<_>, _>>()?;
            let sender = sign_with.map(|a| a.parse::<Mailbox>()).transpose()?;
            let mut recipients = Vec::new();
            for file in &to {
                recipients.extend(read_certificates(file)?);
            }
            let mut options = EncryptOptions::default();
            if oaep {
                options = options.rsa_oaep();
            }
            if allow_expired {
                options = options.allow_unusable_recipient();
            }
            let mut signer = None;
            // Only addresses need the store: `--to` files alone need no
            // passphrase.
            if !addresses.is_empty() || sender.is_some() {
                let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
                let store = open_store(cli.store, &passphrase)?;
                for address in &addresses {
                    recipients.push(store.encryption_certificate(address)?);
                }
                // Only recipients from the store have known capabilities: a
                // `--to` file keeps the default, which everyone reads.
                if cipher.is_none() && to.is_empty() {
                    let mut all = addresses.clone();
                    all.extend(sender.iter().cloned());
                    options = options.cipher(store.negotiate_content_encryption(&all)?);
                }
                if let Some(sender) = &sender {
                    let identity = store.default_signer(sender)?;
                    // Encrypt to self, or the sender could not read the sent copy.
                    let own = store.encryption_certificate(sender).map_err(|e| match e {
                        Error::NotFound(_) => Error::NotFound(format!(
                            "valid encryption certificate for the sender {} \
                             (needed to keep the sent copy readable)",
                            sender.canonical()
                        )),
                        e => e,
                    })?;
                    recipients.push(own);
                    signer = Some(identity);
                }
            }
            if let Some(cipher) = cipher {
                options = options.cipher(cipher.into());
            }
            let mut seen = HashSet::new();
            recipients.retain(|c| seen.insert(c.fingerprint()));
            let mut message = seekable_input(input.as_deref())?;
            if let Some(signer) = &signer {
                // Sign-then-encrypt (RFC 8551 §3.7) through a temporary file.
                let mut signed = tempfile::tempfile()?;
                smime::sign_stream(
                    &mut message,
                    io::BufWriter::new(&mut signed),
                    signer,
                    &SignOptions::default(),
                )?;
                signed.seek(io::SeekFrom::Start(0))?;
                message = signed;
            }
            with_output(output.as_deref(), &mut out, |w| {
                Ok(smime::encrypt_stream(message, w, &recipients, &options)?)
            })?;
        }
        Command::Decrypt {
            mailbox,
            p12,
            verify,
            trust,
            json,
            input,
            output,
        } => {
            let mut anchors = Vec::new();
            for file in &trust {
                anchors.extend(read_certificates(file)?);
            }
            let identities = match (mailbox, p12) {
                (_, Some(p12)) => vec![identity_from_p12(&p12)?],
                (Some(mailbox), None) => {
                    let mailbox: Mailbox = mailbox.parse()?;
                    let passphrase = store_passphrase(cli.passphrase_file.as_ref())?;
                    let identities = open_store(cli.store, &passphrase)?.identities(&mailbox)?;
                    if identities.is_empty() {
                        return Err(Error::NotFound(format!(
                            "private key in mailbox {}",
                            mailbox.canonical()
                        ))
                        .into());
                    }
                    identities
                }
                (None, None) => {
                    return Err(Failure::Usage("--mailbox or --p12 is required".into()));
                }
            };
            let message = stream_input(input.as_deref())?;
            // The plaintext is only authenticated at its end: it reaches
            // --out (renamed into place) or stdout (spooled) only once
            // decryption succeeded.
            let (decrypted, report) = match (&output, verify) {
                (Some(_), false) => {
                    let info = with_output(output.as_deref(), &mut out, |w| {
                        Ok(smime::decrypt_stream(message, w, &identities)?)
                    })?;
                    (info, None)
                }
                _ => {
                    let mut plain = tempfile::tempfile()?;
                    let (info, report) = if verify {
                        let options = VerifyOptions::new(&anchors);
                        smime::decrypt_and_verify_stream(
                            message,
                            &mut plain,
                            &identities,
                            &options,
                        )?
                    } else {
                        let w = io::BufWriter::new(&mut plain);
                        (smime::decrypt_stream(message, w, &identities)?, None)
                    };
                    plain.seek(io::SeekFrom::Start(0))?;
                    with_output(output.as_deref(), &mut out, |w| {
                        io::copy(&mut plain, w)?;
                        Ok(())
                    })?;
                    (info, report)
                }
            };
            if json {
                writeln!(out, "{:#}", decrypted_json(&decrypted, report.as_ref()))?;
            }
            out.flush()?;
            if verify {
                match &report {
                    Some(report) if report.valid => {}
                    // The object on stdout says why.
                    _ if json => return Err(Failure::Invalid),
                    Some(report) => return Err(Failure::Unverified(not_valid_line(report)?)),
                    None => {
                        return Err(Failure::Unverified(
                            "the decrypted message is not signed".to_owned(),
                        ));
                    }
                }
            }
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
        .map_err(|e| Error::Store(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir.join("store.db"))
}

/// The store passphrase, in the order of the CLI contract (DESIGN.md):
/// the environment, else `--passphrase-file`, else a prompt.
fn store_passphrase(file: Option<&PathBuf>) -> Result<Passphrase, Failure> {
    if let Some(value) = env_secret(ENV_STORE_PASSPHRASE)? {
        return Ok(Passphrase::new(value));
    }
    if let Some(file) = file {
        return Ok(Passphrase::from_file(file)?);
    }
    let typed = prompt(
        "Store passphrase: ",
        &format!("set ${ENV_STORE_PASSPHRASE} or use --passphrase-file"),
    )?;
    Ok(Passphrase::new(typed))
}

/// The new store passphrase for `passwd`: `--new-passphrase-file`, else
/// the environment, else a prompt asked twice. Never empty.
fn new_store_passphrase(file: Option<&PathBuf>) -> Result<Passphrase, Failure> {
    let new = if let Some(file) = file {
        Passphrase::from_file(file)?
    } else if let Some(value) = env_secret(ENV_NEW_STORE_PASSPHRASE)? {
        Passphrase::new(value)
    } else {
        let hint = format!("set ${ENV_NEW_STORE_PASSPHRASE} or use --new-passphrase-file");
        let first = Passphrase::new(prompt("New store passphrase: ", &hint)?);
        let again = Passphrase::new(prompt("Repeat new store passphrase: ", &hint)?);
        if first.expose() != again.expose() {
            return Err(Failure::Usage(
                "the new store passphrases do not match".to_owned(),
            ));
        }
        first
    };
    if new.is_empty() {
        return Err(Failure::Usage(
            "the new store passphrase is empty".to_owned(),
        ));
    }
    Ok(new)
}

/// The certificates of one `add-cert` file, checked as the recipient
/// directory will check them, so that a bad file adds nothing at all.
fn read_recipient_certificates(file: &PathBuf) -> Result<Vec<Certificate>, Failure> {
    let in_file = |what: String| Failure::Usage(format!("{}: {what}", file.display()));
    let bytes = std::fs::read(file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    let certs = Certificate::all_from_pem_or_der(&bytes).map_err(|e| in_file(e.to_string()))?;
    if certs.is_empty() {
        return Err(in_file("no certificate found".to_owned()));
    }
    for cert in &certs {
        let unusable = |reason: &str| {
            in_file(format!(
                "certificate {} cannot be used: {reason}",
                cert.fingerprint()
            ))
        };
        if cert.is_ca() {
            return Err(unusable(
                "a CA certificate is not a correspondent's certificate",
            ));
        }
        if !cert
            .email_addresses()
            .iter()
            .any(|e| e.parse::<Mailbox>().is_ok())
        {
            return Err(unusable("it names no e-mail address"));
        }
    }
    Ok(certs)
}

/// The identity of a PKCS#12 file (`--p12`), password as for `import`.
fn identity_from_p12(file: &Path) -> Result<smime::Identity, Failure> {
    let bytes = std::fs::read(file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    let password = p12_password(None)?;
    Ok(smime::pkcs12::import(&bytes, &password)?)
}

/// The message from `file`, else from stdin, as a stream.
fn stream_input(file: Option<&Path>) -> Result<Box<dyn Read>, Failure> {
    Ok(match file {
        Some(file) => Box::new(open_file(file)?),
        None => Box::new(io::stdin().lock()),
    })
}

/// The message as a file that can be read twice (signing and encryption
/// scan before they stream): `file` itself, or stdin copied to an
/// anonymous temporary file.
fn seekable_input(file: Option<&Path>) -> Result<std::fs::File, Failure> {
    match file {
        Some(file) => open_file(file),
        None => {
            let mut spool = tempfile::tempfile()?;
            io::copy(&mut io::stdin().lock(), &mut spool)?;
            spool.seek(io::SeekFrom::Start(0))?;
            Ok(spool)
        }
    }
}

fn open_file(file: &Path) -> Result<std::fs::File, Failure> {
    Ok(std::fs::File::open(file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?)
}

/// Runs `write` on `--out FILE` or on stdout. A file is written under a
/// temporary name next to it and renamed into place only when `write`
/// succeeds, so a failure never leaves a partial file behind.
fn with_output<T>(
    file: Option<&Path>,
    stdout: &mut impl Write,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let Some(file) = file else {
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, stdout);
        let value = write(&mut buffered)?;
        buffered.flush()?;
        return Ok(value);
    };
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let named = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", file.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(named)?;
    let value = {
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, tmp.as_file_mut());
        let value = write(&mut buffered)?;
        buffered.flush().map_err(named)?;
        value
    };
    tmp.persist(file).map_err(|e| named(e.error))?;
    Ok(value)
}

/// The certificates of one `--trust` or `--to` file: PEM (one or many) or
/// one DER.
fn read_certificates(file: &Path) -> Result<Vec<Certificate>, Failure> {
    let in_file = |what: String| Failure::Usage(format!("{}: {what}", file.display()));
    let bytes = std::fs::read(file)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", file.display())))?;
    let certs = Certificate::all_from_pem_or_der(&bytes).map_err(|e| in_file(e.to_string()))?;
    if certs.is_empty() {
        return Err(in_file("no certificate found".to_owned()));
    }
    Ok(certs)
}

/// `--at`: RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ` (a `+00:00` suffix is
/// accepted for `Z`).
fn parse_time(text: &str) -> Result<SystemTime, Failure> {
    let normalised = match text.strip_suffix("+00:00") {
        Some(rest) => format!("{rest}Z"),
        None => text.to_owned(),
    };
    der::DateTime::from_str(&normalised)
        .map(|t| t.to_system_time())
        .map_err(|_| {
            Failure::Usage(format!(
                "invalid --at time {:?}: expected YYYY-MM-DDTHH:MM:SSZ",
                text.chars().take(64).collect::<String>()
            ))
        })
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

/// One `list --json` object for a mailbox's own certificate.
fn to_json(entry: &StoredCertificate) -> Value {
    let mut value = cert_json(&entry.mailbox, &entry.certificate, "mailbox");
    value["imported_at"] = json!(rfc3339(entry.imported_at));
    value["chain"] = json!(entry.chain.iter().map(|c| c.subject()).collect::<Vec<_>>());
    value
}

/// One `list --recipients --json` object.
fn recipient_json(address: &Mailbox, cert: &Certificate) -> Value {
    cert_json(address, cert, "recipient")
}

/// The `list --json` fields every certificate has.
fn cert_json(mailbox: &Mailbox, cert: &Certificate, source: &str) -> Value {
    json!({
        "mailbox": mailbox.canonical(),
        "source": source,
        "fingerprint": cert.fingerprint().to_string(),
        "subject": cert.subject(),
        "issuer": cert.issuer(),
        "serial": cert.serial_hex(),
        "emails": cert.email_addresses(),
        "not_before": rfc3339(cert.not_before()),
        "not_after": rfc3339(cert.not_after()),
        "key_algorithm": cert.key_algorithm().to_string(),
        "can_sign": cert.can_sign(),
        "can_decrypt": cert.can_decrypt(),
    })
}

/// One `list` text line: mailbox, fingerprint, expiry date, usages, subject.
fn to_line(mailbox: &Mailbox, cert: &Certificate) -> String {
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
        mailbox.canonical(),
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

/// `detached` / `opaque`.
fn form_str(form: SignatureForm) -> &'static str {
    match form {
        SignatureForm::Opaque => "opaque",
        _ => "detached",
    }
}

/// The `verify --json` object.
fn report_json(report: &VerifyReport) -> Value {
    let coverage = match &report.coverage {
        Coverage::Part(path) => json!({ "part": path }),
        _ => json!("whole-body"),
    };
    json!({
        "valid": report.valid,
        "form": form_str(report.form),
        "from": report.from,
        "coverage": coverage,
        "problems": report.problems,
        "signers": report.signers.iter().map(signer_json).collect::<Vec<_>>(),
    })
}

/// One signer of `verify --json`.
fn signer_json(signer: &SignerReport) -> Value {
    let (signature, signature_error) = match &signer.signature {
        SignatureStatus::Valid => ("valid", None),
        SignatureStatus::Invalid(why) => ("invalid", Some(why.as_str())),
        _ => ("invalid", None),
    };
    let chain_detail = match &signer.chain {
        ChainStatus::Untrusted(why) => Some(why.clone()),
        ChainStatus::NoCertificate => Some("the signer's certificate is not in the message".into()),
        _ => None,
    };
    json!({
        "emails": signer.emails(),
        "fingerprint": signer.fingerprint().map(|f| f.to_string()),
        "signature": signature,
        "signature_error": signature_error,
        "chain": signer.chain.as_str(),
        "chain_detail": chain_detail,
        "from_matches": signer.from_matches,
        "digest_algorithm": signer.digest_algorithm,
        "signature_algorithm": signer.signature_algorithm,
        "weaknesses": signer.weaknesses,
        "signing_time": signer.signing_time.and_then(rfc3339),
    })
}

/// The `decrypt --json` object; `signature` is the `verify --json` object
/// of the signature inside (`--verify`), else null.
fn decrypted_json(decrypted: &Decryption, report: Option<&VerifyReport>) -> Value {
    json!({
        "recipient": decrypted.recipient.to_string(),
        "content_encryption": decrypted.content_encryption.to_string(),
        "authenticated": decrypted.authenticated,
        "signature": report.map(report_json),
    })
}

/// `decrypt --verify`'s reason for exit 1: the `verify` text report after
/// its `NOT valid` line, on one line.
fn not_valid_line(report: &VerifyReport) -> io::Result<String> {
    let mut text = Vec::new();
    write_report(&mut text, report)?;
    let text = String::from_utf8_lossy(&text);
    let details: Vec<&str> = text.lines().skip(1).collect();
    Ok(format!(
        "the signature inside is NOT valid: {}",
        details.join("; ")
    ))
}

/// The `verify` text report: `valid` / `NOT valid`, one line per signer,
/// the coverage, one line per problem.
fn write_report(out: &mut impl Write, report: &VerifyReport) -> io::Result<()> {
    writeln!(out, "{}", if report.valid { "valid" } else { "NOT valid" })?;
    for signer in &report.signers {
        let emails = match signer.emails() {
            [] => "-".to_owned(),
            emails => emails.join(","),
        };
        let fingerprint = signer
            .fingerprint()
            .map_or_else(|| "no certificate".to_owned(), |f| f.to_string());
        let signature = match &signer.signature {
            SignatureStatus::Valid => "valid".to_owned(),
            SignatureStatus::Invalid(why) => format!("invalid ({why})"),
            _ => "invalid".to_owned(),
        };
        let from = match signer.from_matches {
            Some(true) => "matches",
            Some(false) => "mismatch",
            None => "n/a",
        };
        let mut line = format!(
            "signer {emails} {fingerprint}: signature {signature}, chain {}, from {from}, {}/{}",
            signer.chain.as_str(),
            signer.digest_algorithm,
            signer.signature_algorithm
        );
        if !signer.weaknesses.is_empty() {
            line.push_str(&format!(" weak: {}", signer.weaknesses.join(", ")));
        }
        writeln!(out, "{}", line.replace(['\r', '\n'], " "))?;
    }
    match &report.coverage {
        Coverage::Part(path) => {
            let path: Vec<String> = path.iter().map(usize::to_string).collect();
            writeln!(out, "coverage: part {}", path.join("."))?;
        }
        _ => writeln!(out, "coverage: whole body")?,
    }
    for problem in &report.problems {
        writeln!(out, "problem: {}", problem.replace(['\r', '\n'], " "))?;
    }
    Ok(())
}
