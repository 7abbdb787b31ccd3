//! The command line: every option, its help text and its checks that need
//! nothing but the arguments (required groups, conflicts, value lists).
//! No library type appears here; the commands convert.
// The doc comments are the help text, `<data dir>` and all.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The top-level `about`, as the binary has always printed it.
const ABOUT: &str = "S/MIME for mail clients: PKCS#12 import, a per-mailbox certificate store, \
                     sign/verify/encrypt/decrypt";

/// S/MIME certificate store for mail clients.
#[derive(Debug, Parser)]
#[command(name = "smime", version, about = ABOUT)]
pub struct Cli {
    /// Store file [default: $SMIME_STORE, else <data dir>/smime/store.db]
    #[arg(long, global = true, value_name = "FILE")]
    pub store: Option<PathBuf>,

    /// Read the store passphrase from the first line of F
    /// [default: $SMIME_STORE_PASSPHRASE, else a prompt]
    #[arg(long, global = true, value_name = "F")]
    pub passphrase_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a PKCS#12 bundle (key, certificate, chain) into a mailbox
    Import(ImportArgs),
    /// List certificates of one mailbox, or of all mailboxes
    List(ListArgs),
    /// Remove a certificate and its private key from a mailbox
    Remove(RemoveArgs),
    /// Show, and optionally change, the settings of a mailbox
    Settings(SettingsArgs),
    /// Change the store passphrase (every private key is re-sealed)
    Passwd(PasswdArgs),
    /// File correspondents' certificates (to encrypt to them) under every
    /// address they name
    AddCert(AddCertArgs),
    /// Sign a message with the mailbox's default signing certificate
    #[command(group(ArgGroup::new("identity").required(true).args(["mailbox", "p12"])))]
    Sign(SignArgs),
    /// Verify a signed message; exits 0 only when it is valid, else 1
    Verify(VerifyArgs),
    /// Encrypt a message to one or more recipients (optionally signed first)
    #[command(group(
        ArgGroup::new("recipients")
            .args(["to", "to_addr"])
            .required(true)
            .multiple(true)
    ))]
    Encrypt(EncryptArgs),
    /// Decrypt a message with the private keys of a mailbox
    #[command(group(ArgGroup::new("identity").required(true).args(["mailbox", "p12"])))]
    Decrypt(DecryptArgs),
    /// Per-domain S/MIME policy (enable, disable, list) and hosted mode
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Export an identity of a mailbox (key, certificate, chain) as a
    /// PKCS#12 bundle
    Export(ExportArgs),
    /// Write the certificates of a mailbox, or a correspondent's, as a
    /// certs-only S/MIME message
    #[command(group(
        ArgGroup::new("whose").required(true).args(["mailbox", "recipient"])
    ))]
    ExportCerts(ExportCertsArgs),
    /// Sign and/or encrypt a whole message as the mailbox's settings say
    /// (recipients from To/Cc/Bcc), with RFC 9788 header protection
    Compose(ComposeArgs),
    /// Decrypt, verify and unwrap a received message for display: the
    /// verdict, each header field's protection, the displayable message
    Open(OpenArgs),
    /// Trust anchors kept in the store (used by `verify --store-trust` and
    /// to trust recipients' certificates for `encrypt --to-addr`)
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Keep CRLs (DER or PEM) in the store, one per issuer, newest wins;
    /// each must be signed by a trust anchor of the store
    AddCrl(AddCrlArgs),
}

/// `trust add | list | remove`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Add every certificate of the files as a trust anchor
    Add(TrustAddArgs),
    /// List the store's trust anchors
    List(TrustListArgs),
    /// Remove a trust anchor
    Remove(TrustRemoveArgs),
}

#[derive(Debug, Args)]
pub struct TrustAddArgs {
    /// CA certificate files: PEM with one or more certificates, or one DER
    #[arg(value_name = "CA.pem", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TrustListArgs {
    /// Print a JSON array instead of one line per anchor
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrustRemoveArgs {
    /// SHA-256 fingerprint of the anchor (as `trust list` prints it)
    pub fingerprint: String,
}

#[derive(Debug, Args)]
pub struct AddCrlArgs {
    /// CRL files: PEM with one or more CRLs, or one DER
    #[arg(value_name = "CRL", required = true)]
    pub files: Vec<PathBuf>,
}

/// `smime domain ...`.
#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Let the domain's mailboxes use S/MIME
    Enable(DomainArgs),
    /// Refuse S/MIME to the domain's mailboxes (their certificates stay)
    Disable(DomainDisableArgs),
    /// List the domains with a policy of their own, and the hosted mode
    List(DomainListArgs),
    /// Hosted mode: when on, only enabled domains may use S/MIME
    Require(RequireArgs),
}

#[derive(Debug, Args)]
pub struct DomainArgs {
    /// The domain (e.g. example.org; IDN domains in either form)
    pub domain: String,
    /// Enabled, but encryption by default may not be switched on
    #[arg(long)]
    pub no_encrypt_by_default: bool,
}

/// `domain disable`: the domain alone (no option of `enable` applies).
#[derive(Debug, Args)]
pub struct DomainDisableArgs {
    /// The domain (e.g. example.org; IDN domains in either form)
    pub domain: String,
}

#[derive(Debug, Args)]
pub struct DomainListArgs {
    /// Print a JSON object instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RequireArgs {
    /// on: only enabled domains may use S/MIME; off: every domain without
    /// a policy of its own may
    #[arg(value_name = "on|off")]
    pub switch: Switch,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The mailbox holding the identity
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// SHA-256 fingerprint of the certificate (as `list` prints it)
    pub fingerprint: String,
    /// Legacy protection (PBE-SHA1-3DES, SHA-1 MAC) for importers that
    /// need it (gpgsm 2.2, old Windows); default: PBES2/AES-256-CBC
    #[arg(long)]
    pub legacy: bool,
    /// Read the export password from the first line of F
    /// [default: $SMIME_EXPORT_PASSWORD, else a prompt, asked twice]
    #[arg(long, value_name = "F")]
    pub password_file: Option<PathBuf>,
    /// Write the bundle to F [default: stdout]
    #[arg(long = "out", value_name = "F.p12")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportCertsArgs {
    /// The certificates of this mailbox (with their chains)
    #[arg(long, value_name = "ADDR")]
    pub mailbox: Option<String>,
    /// The correspondent's certificates filed under this address
    #[arg(long, value_name = "ADDR")]
    pub recipient: Option<String>,
    /// Write the message to F [default: stdout]
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
}

// The argument structs carry no doc comments of their own: a subcommand's
// help text is its variant's doc comment above.

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The mailbox (e-mail address) to import into
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// Read the PKCS#12 password from the first line of F
    /// [default: $SMIME_P12_PASSWORD, else a prompt]
    #[arg(long, value_name = "F")]
    pub password_file: Option<PathBuf>,
    /// Import even if the certificate does not name the mailbox
    #[arg(long)]
    pub allow_address_mismatch: bool,
    /// The PKCS#12 file
    #[arg(value_name = "BUNDLE.p12")]
    pub bundle: PathBuf,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this mailbox
    #[arg(long, value_name = "ADDR")]
    pub mailbox: Option<String>,
    /// List the correspondents' certificates filed under the address
    /// (see `add-cert`) instead of the mailbox's own
    #[arg(long, requires = "mailbox")]
    pub recipients: bool,
    /// Print a JSON array instead of one line per certificate
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The mailbox holding the certificate
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// SHA-256 fingerprint of the certificate (as `list` prints it)
    pub fingerprint: String,
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// The mailbox
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// Sign outgoing mail by default
    #[arg(long, value_name = "on|off")]
    pub sign_by_default: Option<Switch>,
    /// Encrypt outgoing mail by default (needs a certificate that can decrypt)
    #[arg(long, value_name = "on|off")]
    pub encrypt_by_default: Option<Switch>,
    /// The certificate to sign with, or `auto` for the newest usable one
    #[arg(long, value_name = "FINGERPRINT|auto")]
    pub default_signer: Option<String>,
}

#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// Read the new store passphrase from the first line of F
    /// [default: $SMIME_NEW_STORE_PASSPHRASE, else a prompt, asked twice]
    #[arg(long, value_name = "F")]
    pub new_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AddCertArgs {
    /// Certificate files: PEM with one or more certificates, one DER, or
    /// a certs-only message or PKCS#7 bundle (.p7c/.p7b/.eml; DER, PEM or
    /// MIME)
    #[arg(value_name = "CERT", required = true)]
    pub files: Vec<PathBuf>,
    /// Trust these certificates for encryption as they are (you checked
    /// them, e.g. by fingerprint), without a chain to a trust anchor
    #[arg(long)]
    pub pin: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The mailbox whose signing identity is used
    #[arg(long, value_name = "ADDR")]
    pub mailbox: Option<String>,
    /// Sign with the identity of a PKCS#12 file instead of the store (of
    /// several, the one that can sign; password: $SMIME_P12_PASSWORD, else
    /// a prompt)
    #[arg(long, value_name = "BUNDLE.p12")]
    pub p12: Option<PathBuf>,
    /// Opaque `application/pkcs7-mime` instead of `multipart/signed`
    #[arg(long)]
    pub opaque: bool,
    /// Digest algorithm
    #[arg(long, value_name = "ALG", default_value = "sha256")]
    pub digest: Digest,
    /// Compress the message (RFC 3274 compressed-data) inside the signature
    #[arg(long)]
    pub compress: bool,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the signed message to F [default: stdout]
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Trust anchors: PEM with one or more certificates, or one DER
    /// (repeatable)
    #[arg(long, value_name = "CA.pem")]
    pub trust: Vec<PathBuf>,
    /// Judge certificate validity at this time (YYYY-MM-DDTHH:MM:SSZ)
    /// instead of now
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print a JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the signed content (the MIME entity verified) to F
    #[arg(long = "out", value_name = "CONTENT")]
    pub output: Option<PathBuf>,
    /// File the certificates of valid, trusted signers in the store's
    /// recipient directory, with the algorithms they announced (opens
    /// the store)
    #[arg(long)]
    pub remember: bool,
    /// CRLs to check the signers' paths against: PEM with one or more
    /// CRLs, or one DER (repeatable)
    #[arg(long, value_name = "F")]
    pub crl: Vec<PathBuf>,
    /// OCSP responses to check the signers' paths against: PEM or DER
    /// (repeatable)
    #[arg(long, value_name = "F")]
    pub ocsp_response: Vec<PathBuf>,
    /// What revocation does to the verdict: off (not checked), soft
    /// (revoked is not valid; unknown is reported), hard (unknown is not
    /// valid either)
    #[arg(long, value_name = "off|soft|hard", default_value = "soft")]
    pub revocation: Revocation,
    /// Also use the store's trust anchors and CRLs (opens the store)
    #[arg(long)]
    pub store_trust: bool,
}

/// `verify --revocation`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Revocation {
    /// Revocation is not checked.
    Off,
    /// Revoked is not valid; unknown is reported, still valid.
    Soft,
    /// Revoked or unknown is not valid.
    Hard,
}

#[derive(Debug, Args)]
pub struct EncryptArgs {
    /// Recipient certificates: PEM with one or more certificates, or one
    /// DER (repeatable)
    #[arg(long, value_name = "CERT.pem")]
    pub to: Vec<PathBuf>,
    /// A recipient by address: its certificate from the store (recipient
    /// directory or own mailbox) (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub to_addr: Vec<String>,
    /// Content encryption. Default: AES-GCM when every recipient is
    /// known (from its verified signatures) to read it, else AES-256-CBC
    #[arg(long, value_name = "ALG")]
    pub cipher: Option<Cipher>,
    /// RSAES-OAEP (SHA-256) key transport for RSA recipients instead of
    /// PKCS#1 v1.5
    #[arg(long)]
    pub oaep: bool,
    /// Encrypt to expired `--to` certificates too (key usage still applies)
    #[arg(long)]
    pub allow_expired: bool,
    /// `--to-addr`: use an address's untrusted certificate when it has no
    /// trusted one (trusted: chains to a store anchor, learnt from a
    /// trusted signature, or pinned with `add-cert --pin`)
    #[arg(long)]
    pub allow_untrusted: bool,
    /// Sign with this mailbox's default signer first; its own encryption
    /// certificate is always added as a recipient
    #[arg(long, value_name = "ADDR")]
    pub sign_with: Option<String>,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the encrypted message to F [default: stdout]
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The mailbox whose private keys are tried
    #[arg(long, value_name = "ADDR")]
    pub mailbox: Option<String>,
    /// Decrypt with the identities of a PKCS#12 file instead of the store
    /// (password: $SMIME_P12_PASSWORD, else a prompt)
    #[arg(long, value_name = "BUNDLE.p12")]
    pub p12: Option<PathBuf>,
    /// Verify the signature inside; exits 1 when the content is not
    /// signed or the signature is not valid (the content is still written)
    #[arg(long)]
    pub verify: bool,
    /// Trust anchors for --verify: PEM with one or more certificates, or
    /// one DER (repeatable)
    #[arg(long, value_name = "CA.pem", requires = "verify")]
    pub trust: Vec<PathBuf>,
    /// Print a JSON object (recipient, content encryption, authenticated,
    /// signature) on stdout; the content goes to --out
    #[arg(long, requires = "output")]
    pub json: bool,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the decrypted MIME entity to F [default: stdout]
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
    /// When no recipient names one of the keys (clients writing wrong
    /// identifiers), try each RSA key; chosen by padding or tag only
    #[arg(long)]
    pub trial_decryption: bool,
}

#[derive(Debug, Args)]
pub struct ComposeArgs {
    /// The sending mailbox: its settings, signer and own certificate
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// Sign, whatever the mailbox's sign-by-default setting says
    #[arg(long, conflicts_with = "no_sign")]
    pub sign: bool,
    /// Do not sign, whatever the setting says
    #[arg(long)]
    pub no_sign: bool,
    /// Encrypt to every To/Cc/Bcc address and the sender, whatever the
    /// mailbox's encrypt-by-default setting says
    #[arg(long, conflicts_with = "no_encrypt")]
    pub encrypt: bool,
    /// Do not encrypt, whatever the setting says
    #[arg(long)]
    pub no_encrypt: bool,
    /// RFC 9788 header protection: the Header Confidentiality Policy for
    /// encrypted mail (hcp_baseline, hcp_shy), or none
    #[arg(long, value_name = "HCP", default_value = "baseline")]
    pub header_protection: HeaderProtectionArg,
    /// Add RFC 9788 Legacy Display elements (the hidden Subject, ... at
    /// the top of the text) for clients without header protection
    #[arg(long)]
    pub legacy_display: bool,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the composed message to F [default: stdout]
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The receiving mailbox: its private keys decrypt
    #[arg(long, value_name = "ADDR")]
    pub mailbox: String,
    /// Trust anchors: PEM with one or more certificates, or one DER
    /// (repeatable)
    #[arg(long, value_name = "CA.pem")]
    pub trust: Vec<PathBuf>,
    /// Also use the store's trust anchors and CRLs (opens the store)
    #[arg(long)]
    pub store_trust: bool,
    /// Print a JSON object instead of text
    #[arg(long)]
    pub json: bool,
    /// Read the message from F [default: stdin]
    #[arg(long = "in", value_name = "F")]
    pub input: Option<PathBuf>,
    /// Write the displayable message (protected header fields in place,
    /// no signature part, no Legacy Display) to F
    #[arg(long = "out", value_name = "F")]
    pub output: Option<PathBuf>,
}

/// `compose --header-protection`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HeaderProtectionArg {
    /// hcp_baseline: the outer Subject becomes `[...]` (the default).
    Baseline,
    /// hcp_shy: also bare addresses and a UTC Date outside.
    Shy,
    /// No header protection: the header fields stay outside, unprotected.
    Off,
}

/// The content-encryption algorithms `encrypt` offers.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Cipher {
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

/// The digest algorithms `sign` offers.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Digest {
    /// SHA-256 (the default).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// `on` / `off` for a boolean setting.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Switch {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
