//! Composing an outgoing message from a mailbox's settings (RFC 8551
//! §3.7 sign-then-encrypt, RFC 9788 §5.2 Header Protection): whether to
//! sign and encrypt comes from the store's per-mailbox toggles unless the
//! caller says, the recipients from To/Cc/Bcc plus the sender
//! (encrypt-to-self), the certificates from the store's recipient
//! directory, the cipher negotiated from what they announced.
#![forbid(unsafe_code)]

use super::header_protection::{HeaderConfidentialityPolicy, is_structural, is_user_facing};
use super::legacy_display;
use crate::algorithm::ContentEncryption;
use crate::cert::Certificate;
use crate::envelope::{EncryptOptions, encrypt, encrypt_entity};
use crate::error::{Error, Missing, Result};
use crate::mailbox::Mailbox;
use crate::mime::{self, Entity, Field};
use crate::sign::{SignOptions, sign, sign_entity};
use crate::store::Store;

/// How to compose. The default follows the mailbox's settings, with
/// `hcp_baseline` Header Protection and no Legacy Display elements.
///
/// ```
/// use smime::{ComposeOptions, HeaderConfidentialityPolicy};
/// let options = ComposeOptions::default()
///     .sign(true)
///     .header_protection(Some(HeaderConfidentialityPolicy::Shy));
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ComposeOptions {
    /// Sign: `None` follows the mailbox's sign-by-default setting.
    pub sign: Option<bool>,
    /// Encrypt: `None` follows the mailbox's encrypt-by-default setting.
    pub encrypt: Option<bool>,
    /// RFC 9788 Header Protection with this HCP (`hcp_baseline` by
    /// default); `None` for none (the header fields stay outside,
    /// unprotected, as RFC 8551 clients write).
    pub header_protection: Option<HeaderConfidentialityPolicy>,
    /// Add Legacy Display elements (RFC 9788 §5.2.2-5.2.3) for recipients
    /// whose clients decrypt but do not implement Header Protection. Off
    /// by default: such clients show the obscured Subject otherwise.
    pub legacy_display: bool,
    /// The content encryption; `None` negotiates it from what every
    /// recipient announced ([`Store::negotiate_content_encryption`]).
    pub cipher: Option<ContentEncryption>,
    /// How to sign (form, digest, ...).
    pub sign_options: SignOptions,
    /// How to encrypt (key transport, limits); its cipher is replaced by
    /// [`ComposeOptions::cipher`] or the negotiated one.
    pub encrypt_options: EncryptOptions,
}

impl Default for ComposeOptions {
    fn default() -> Self {
        ComposeOptions {
            sign: None,
            encrypt: None,
            header_protection: Some(HeaderConfidentialityPolicy::Baseline),
            legacy_display: false,
            cipher: None,
            sign_options: SignOptions::default(),
            encrypt_options: EncryptOptions::default(),
        }
    }
}

impl ComposeOptions {
    /// Sign or not, whatever the settings say.
    pub fn sign(mut self, on: bool) -> Self {
        self.sign = Some(on);
        self
    }

    /// Encrypt or not, whatever the settings say.
    pub fn encrypt(mut self, on: bool) -> Self {
        self.encrypt = Some(on);
        self
    }

    /// Another HCP, or `None` for no Header Protection.
    pub fn header_protection(mut self, hcp: Option<HeaderConfidentialityPolicy>) -> Self {
        self.header_protection = hcp;
        self
    }

    /// Add Legacy Display elements.
    pub fn legacy_display(mut self) -> Self {
        self.legacy_display = true;
        self
    }

    /// A fixed content encryption instead of the negotiated one.
    pub fn cipher(mut self, cipher: ContentEncryption) -> Self {
        self.cipher = Some(cipher);
        self
    }

    /// Other signing options.
    pub fn sign_options(mut self, options: SignOptions) -> Self {
        self.sign_options = options;
        self
    }
}

/// Composes `message` (a whole RFC 5322 message: header fields, MIME
/// header, body) for sending from `sender`: signs it with the mailbox's
/// default signer when asked or by default, encrypts it when asked or by
/// default to every To, Cc and Bcc address and to the sender, sign first
/// (RFC 8551 §3.7), with RFC 9788 Header Protection (every header field
/// signed inside; when encrypting, the outer ones per the HCP and
/// recorded in `HP-Outer` fields). `Bcc` never appears in the output:
/// its addresses are encrypted to, and named nowhere (RFC 9788 §11.4).
/// With neither signing nor encryption the message is returned as is.
///
/// Errors: [`Error::NoCertificateFor`] listing every address without a
/// usable certificate; [`Error::NotFound`] when the sender has no
/// signing certificate; [`Error::InvalidAddress`] for a recipient that
/// is not an address.
///
/// ```
/// use smime::{ComposeOptions, Mailbox, Password, Store};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let store = Store::in_memory()?;
/// let alice: Mailbox = "alice@example.org".parse()?;
/// store.import_pkcs12(&alice, &std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"))?;
/// store.import_pkcs12(&"bob@example.org".parse()?, &std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"))?;
/// let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: lunch\r\n\r\nAt noon?\r\n";
/// let sent = smime::compose(message, &store, &alice, &ComposeOptions::default().sign(true).encrypt(true))?;
/// assert!(String::from_utf8_lossy(&sent).contains("Subject: [...]\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn compose(
    message: &[u8],
    store: &Store,
    sender: &Mailbox,
    options: &ComposeOptions,
) -> Result<Vec<u8>> {
    let settings = store.settings(sender)?;
    let signing = options.sign.unwrap_or(settings.sign_by_default);
    let encrypting = options.encrypt.unwrap_or(settings.encrypt_by_default);
    if !signing && !encrypting {
        return Ok(message.to_vec());
    }
    let root = Entity::parse(message)?;
    let recipients = if encrypting {
        Some(encryption_certificates(store, sender, root.fields())?)
    } else {
        None
    };
    let signer = if signing {
        Some(store.default_signer(sender)?)
    } else {
        None
    };
    let mut encrypt_options = options.encrypt_options.clone();
    if let Some((_, addresses)) = &recipients {
        encrypt_options.cipher = match options.cipher {
            Some(cipher) => cipher,
            None => store.negotiate_content_encryption(addresses)?,
        };
    }
    // The header fields the composer wrote, Bcc left out (§11.4).
    let fields: Vec<&Field> = root
        .fields()
        .iter()
        .filter(|f| !is_structural(&f.name) && !f.name.eq_ignore_ascii_case("Bcc"))
        .collect();
    let (_, body_entity) = mime::split_message(message)?;
    let body_entity = mime::with_content_type(body_entity)?;
    let Some(hcp) = options.header_protection else {
        // RFC 8551 without Header Protection: the fields stay outside.
        let mut whole = raw_lines(&fields);
        whole.extend_from_slice(&body_entity);
        let signed = match &signer {
            Some(signer) => sign(&whole, signer, &options.sign_options)?,
            None => whole,
        };
        return match &recipients {
            Some((certs, _)) => encrypt(&signed, certs, &encrypt_options),
            None => Ok(signed),
        };
    };
    let payload = payload(&fields, body_entity, hcp, encrypting, options)?;
    let outer = if encrypting {
        outer_lines(&fields, hcp)
    } else {
        raw_lines(&fields)
    };
    match (&signer, &recipients) {
        (Some(signer), Some((certs, _))) => {
            let signed = sign_entity(&outer, &payload, signer, &options.sign_options)?;
            encrypt(&signed, certs, &encrypt_options)
        }
        (Some(signer), None) => sign_entity(&outer, &payload, signer, &options.sign_options),
        (None, Some((certs, _))) => encrypt_entity(&outer, &payload, certs, &encrypt_options),
        (None, None) => Ok(message.to_vec()),
    }
}

/// The certificates for every To/Cc/Bcc address and the sender (each
/// once), and those addresses; [`Error::NoCertificateFor`] lists every
/// address without one.
fn encryption_certificates(
    store: &Store,
    sender: &Mailbox,
    fields: &[Field],
) -> Result<(Vec<Certificate>, Vec<Mailbox>)> {
    let mut addresses: Vec<Mailbox> = Vec::new();
    for field in fields.iter().filter(|f| {
        ["To", "Cc", "Bcc"]
            .iter()
            .any(|n| f.name.eq_ignore_ascii_case(n))
    }) {
        for address in mime::all_addresses(&field.value) {
            let mailbox: Mailbox = address.parse()?;
            if !addresses.contains(&mailbox) {
                addresses.push(mailbox);
            }
        }
    }
    if !addresses.contains(sender) {
        addresses.push(sender.clone());
    }
    let mut certificates: Vec<Certificate> = Vec::with_capacity(addresses.len());
    let mut missing = Vec::new();
    for address in &addresses {
        match store.encryption_certificate(address) {
            Ok(cert) => {
                if !certificates
                    .iter()
                    .any(|c| c.fingerprint() == cert.fingerprint())
                {
                    certificates.push(cert);
                }
            }
            Err(Error::NotFound(
                Missing::EncryptionCertificate(_) | Missing::SenderEncryptionCertificate(_),
            )) => missing.push(address.clone()),
            Err(e) => return Err(e),
        }
    }
    if !missing.is_empty() {
        return Err(Error::NoCertificateFor { addresses: missing });
    }
    Ok((certificates, addresses))
}

/// The Cryptographic Payload (RFC 9788 §5.2.1 steps 1-5): the body
/// entity (with Legacy Display elements when asked and encrypting), every
/// header field copied in, `hp="clear"` or `hp="cipher"`, and when
/// encrypting an `HP-Outer` field per field left outside.
fn payload(
    fields: &[&Field],
    body_entity: Vec<u8>,
    hcp: HeaderConfidentialityPolicy,
    encrypting: bool,
    options: &ComposeOptions,
) -> Result<Vec<u8>> {
    let limits = &options.sign_options.limits;
    let mut body = body_entity;
    if encrypting && options.legacy_display {
        let obscured: Vec<(String, String)> = fields
            .iter()
            .filter(|f| is_user_facing(&f.name))
            .filter(|f| hcp.apply(&f.name, &f.value).as_deref() != Some(f.value.as_str()))
            .map(|f| (f.name.clone(), f.value.clone()))
            .collect();
        body = legacy_display::add(&body, &obscured, limits)?;
    }
    let hp = if encrypting {
        "hp=\"cipher\""
    } else {
        "hp=\"clear\""
    };
    let body = legacy_display::add_content_type_param(&body, hp)?;
    let mut out = b"MIME-Version: 1.0\r\n".to_vec();
    out.extend_from_slice(&raw_lines(fields));
    if encrypting {
        for field in fields {
            if let Some(value) = hcp.apply(&field.name, &field.value) {
                out.extend_from_slice(format!("HP-Outer: {}: {value}\r\n", field.name).as_bytes());
            }
        }
    }
    out.extend_from_slice(&body);
    Ok(out)
}

/// The fields' raw lines, CRLF-ended.
fn raw_lines(fields: &[&Field]) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(&mime::canonicalize(&field.raw));
        if !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// The outer header of an encrypted message (§5.2.1 steps 5.iv and 7):
/// each field through the HCP, unchanged ones byte-exact.
fn outer_lines(fields: &[&Field], hcp: HeaderConfidentialityPolicy) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields {
        match hcp.apply(&field.name, &field.value) {
            Some(value) if value == field.value => out.extend_from_slice(&raw_lines(&[field])),
            Some(value) => out.extend_from_slice(format!("{}: {value}\r\n", field.name).as_bytes()),
            None => {}
        }
    }
    out
}
