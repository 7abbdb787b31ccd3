//! Encrypting and decrypting MIME messages: CMS `EnvelopedData` (RFC 5652
//! §6) and `AuthEnvelopedData` (RFC 5083, AES-GCM per RFC 5084), carried as
//! `application/pkcs7-mime` (RFC 8551 §3.3).
//!
//! OpenSSL's CMS engine does the cryptography end to end: key transport
//! (RSA PKCS#1 v1.5 or RSAES-OAEP), key agreement (ECDH, RFC 5753), key
//! wrap, content encryption. Rust decides which recipient is ours, checks
//! recipients before encrypting, and keeps the outcome honest:
//!
//! * One error, [`Error::DecryptionFailed`], for every failure after a
//!   recipient was chosen — padding, key length, key unwrap, cipher, tag —
//!   so the error says nothing an attacker could use as an oracle (the
//!   pyca/cryptography CVE-2026-69247 lesson). Against Bleichenbacher-style
//!   attacks on PKCS#1 v1.5 (Marvin, 2023) we rely on OpenSSL: its CMS
//!   layer substitutes a random content key when key transport fails
//!   (CVE-2019-1563), so neither our error nor our code path depends on the
//!   padding; OpenSSL 3.2 and later also apply implicit rejection inside
//!   RSA decryption itself. On OpenSSL 3.0/3.1 (as on Debian 12) the RSA
//!   padding check's timing is OpenSSL's own; prefer RSA-OAEP or EC keys
//!   where the peers support them.
//! * [`Decrypted::authenticated`] says whether the content was integrity
//!   protected: AES-CBC `EnvelopedData` is malleable (EFAIL, USENIX
//!   Security 2018), a client should treat its plaintext with suspicion
//!   unless a signature inside covers it. With AES-GCM no plaintext is
//!   returned unless the tag verifies.
//! * The content-encryption key never leaves OpenSSL, which clears it.
#![forbid(unsafe_code)]

use openssl::cms::CmsContentInfo;
use openssl::symm::Cipher;
use zeroize::Zeroizing;

use crate::cert::{Certificate, Fingerprint, KeyAlgorithm};
use crate::cms;
use crate::error::{Error, Result};
use crate::ffi::{self, RecipientKey};
use crate::identity::Identity;
use crate::mime::{self, Entity};
use crate::oid;
use crate::sign::{SignOptions, sign};
use crate::verify::{VerifyOptions, VerifyReport, verify};

/// The content-encryption algorithm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentEncryption {
    /// AES-256-CBC in `EnvelopedData`: every S/MIME client reads it; the
    /// default for reach. Not authenticated.
    #[default]
    Aes256Cbc,
    /// AES-128-GCM in `AuthEnvelopedData` (RFC 8551 §2.7 MUST).
    Aes128Gcm,
    /// AES-256-GCM in `AuthEnvelopedData`.
    Aes256Gcm,
}

impl ContentEncryption {
    fn cipher(self) -> Cipher {
        match self {
            Self::Aes256Cbc => Cipher::aes_256_cbc(),
            Self::Aes128Gcm => Cipher::aes_128_gcm(),
            Self::Aes256Gcm => Cipher::aes_256_gcm(),
        }
    }

    fn is_aead(self) -> bool {
        !matches!(self, Self::Aes256Cbc)
    }

    pub(crate) fn from_oid(oid: &const_oid::ObjectIdentifier) -> Option<Self> {
        match *oid {
            oid::AES256_CBC => Some(Self::Aes256Cbc),
            oid::AES128_GCM => Some(Self::Aes128Gcm),
            oid::AES256_GCM => Some(Self::Aes256Gcm),
            _ => None,
        }
    }

    /// A short name: `aes256-cbc`, `aes128-gcm`, `aes256-gcm` (the CLI's).
    pub fn name(self) -> &'static str {
        match self {
            Self::Aes256Cbc => "aes256-cbc",
            Self::Aes128Gcm => "aes128-gcm",
            Self::Aes256Gcm => "aes256-gcm",
        }
    }

    /// Parses [`ContentEncryption::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Aes256Cbc, Self::Aes128Gcm, Self::Aes256Gcm]
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    /// The content encryption for a set of recipients, from what each
    /// announced (`None`: unknown): AES-GCM when every recipient announced
    /// it (AES-256-GCM if all support it, else AES-128-GCM), otherwise
    /// AES-256-CBC, which every client reads (RFC 8551 §2.7).
    pub fn negotiate(recipients: &[Option<Vec<ContentEncryption>>]) -> ContentEncryption {
        let all = |c| {
            !recipients.is_empty()
                && recipients
                    .iter()
                    .all(|r| r.as_ref().is_some_and(|caps| caps.contains(&c)))
        };
        if all(Self::Aes256Gcm) {
            Self::Aes256Gcm
        } else if all(Self::Aes128Gcm) {
            Self::Aes128Gcm
        } else {
            Self::Aes256Cbc
        }
    }
}

/// How the content key reaches an RSA recipient (EC recipients always use
/// ECDH key agreement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyTransport {
    /// RSA PKCS#1 v1.5: what every client reads; the default.
    #[default]
    RsaPkcs1v15,
    /// RSAES-OAEP with SHA-256 (RFC 8017, RFC 4055): preferred where the
    /// recipients support it.
    RsaOaep,
}

/// How to encrypt.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct EncryptOptions {
    /// Content encryption; AES-256-CBC by default.
    pub cipher: ContentEncryption,
    /// RSA key transport; PKCS#1 v1.5 by default.
    pub key_transport: KeyTransport,
    /// Encrypt even to expired recipients (key usage is still enforced:
    /// an unusable key cannot be made usable by a flag).
    pub allow_unusable_recipient: bool,
}

impl EncryptOptions {
    /// Another content-encryption algorithm.
    pub fn cipher(mut self, cipher: ContentEncryption) -> Self {
        self.cipher = cipher;
        self
    }

    /// RSAES-OAEP for RSA recipients.
    pub fn rsa_oaep(mut self) -> Self {
        self.key_transport = KeyTransport::RsaOaep;
        self
    }

    /// Accept expired recipient certificates.
    pub fn allow_unusable_recipient(mut self) -> Self {
        self.allow_unusable_recipient = true;
        self
    }
}

/// A decrypted message. `Debug` does not print the content.
#[derive(Clone)]
#[non_exhaustive]
pub struct Decrypted {
    /// The decrypted MIME entity.
    pub content: Vec<u8>,
    /// True for `AuthEnvelopedData` (the tag verified); false for
    /// `EnvelopedData`, whose content could have been altered (EFAIL).
    pub authenticated: bool,
    /// The content-encryption algorithm, e.g. "AES-256-CBC".
    pub content_encryption: String,
    /// The certificate of the identity that decrypted it.
    pub recipient: Fingerprint,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("authenticated", &self.authenticated)
            .field("content_encryption", &self.content_encryption)
            .field("recipient", &self.recipient)
            .finish()
    }
}

/// Encrypts `message` (a whole RFC 5322 message, whose outer header fields
/// stay outside, or a bare MIME entity) to every certificate in
/// `recipients`. Include the sender's own certificate to keep sent mail
/// readable.
///
/// A recipient that cannot be encrypted to (key usage or extended key
/// usage, RFC 8550 §4.4; expired unless allowed) is refused with
/// [`Error::CertificateNotUsable`] naming it.
///
/// ```
/// # use smime::{EncryptOptions, ContentEncryption, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"))?;
/// let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: secret\r\n\r\nMeet at noon.\r\n";
/// let options = EncryptOptions::default().cipher(ContentEncryption::Aes128Gcm);
/// let sealed = smime::encrypt(message, &[bob.certificate().clone()], &options)?;
///
/// let opened = smime::decrypt(&sealed, &[bob])?;
/// assert!(opened.authenticated);
/// assert!(opened.content.ends_with(b"Meet at noon.\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encrypt(
    message: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Vec<u8>> {
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    let now = std::time::SystemTime::now();
    let mut keys = Vec::with_capacity(recipients.len());
    for cert in recipients {
        let refuse = |reason| Error::CertificateNotUsable {
            fingerprint: cert.fingerprint().to_string(),
            reason,
        };
        if !cert.can_decrypt() {
            return Err(refuse(
                "its key usage or extended key usage does not allow encryption to it",
            ));
        }
        if !options.allow_unusable_recipient && !cert.is_valid_at(now) {
            return Err(refuse("it is expired or not yet valid"));
        }
        keys.push(match (cert.key_algorithm(), options.key_transport) {
            (KeyAlgorithm::Rsa { .. }, KeyTransport::RsaOaep) => {
                RecipientKey::RsaOaep(cert.openssl())
            }
            _ => RecipientKey::Default(cert.openssl()),
        });
    }
    let (outer, entity) = mime::split_message(message)?;
    let entity = Zeroizing::new(with_content_type(entity)?);
    // Canonical and 7-bit safe, as for signing: the entity may be signed
    // inside, and transport after decryption must not alter it.
    let entity = Zeroizing::new(mime::prepare_for_signing(&entity)?);
    let der = ffi::cms_encrypt(&keys, &entity, options.cipher.cipher())?;
    let smime_type = if options.cipher.is_aead() {
        "authEnveloped-data"
    } else {
        "enveloped-data"
    };
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(&outer);
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(
        format!(
            "Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n",
    );
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}

/// The entity with an explicit `Content-Type` (RFC 2045 §5.2's default
/// when it had none), so the decrypted content always reads as MIME.
fn with_content_type(entity: Vec<u8>) -> Result<Vec<u8>> {
    let parsed = Entity::parse(&entity)?;
    if parsed.field("Content-Type").is_some() {
        return Ok(entity);
    }
    let mut out = b"Content-Type: text/plain; charset=us-ascii\r\n".to_vec();
    let header_less =
        parsed.fields().is_empty() && !entity.starts_with(b"\r\n") && !entity.starts_with(b"\n");
    if header_less {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&entity);
    Ok(out)
}

/// Signs `message` with `signer`, then encrypts the signed message to
/// `recipients` (RFC 8551 §3.7): the signature is inside the envelope, so
/// it also protects the decrypted content against EFAIL-style changes.
pub fn sign_and_encrypt(
    message: &[u8],
    signer: &Identity,
    recipients: &[Certificate],
    sign_options: &SignOptions,
    encrypt_options: &EncryptOptions,
) -> Result<Vec<u8>> {
    let signed = sign(message, signer, sign_options)?;
    encrypt(&signed, recipients, encrypt_options)
}

/// Decrypts `message` with the first of `identities` that a RecipientInfo
/// names (issuer and serial number, or subject key identifier); when none
/// is named (some clients write wrong identifiers), each identity is tried.
///
/// Errors: [`Error::NotEncrypted`], [`Error::NotForRecipient`] (no identity
/// can open it), [`Error::DecryptionFailed`] (one error for every failure
/// once a recipient matched), [`Error::UnsupportedAlgorithm`], and
/// [`Error::InvalidMessage`] / [`Error::InvalidCms`] for malformed input.
pub fn decrypt(message: &[u8], identities: &[Identity]) -> Result<Decrypted> {
    let root = Entity::parse(message)?;
    let ct = root.content_type();
    if !(ct.is("application/pkcs7-mime")
        || ct.is("application/x-pkcs7-mime")
        || (ct.is("application/octet-stream")
            && ct
                .param("name")
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".p7m"))))
    {
        return Err(Error::NotEncrypted);
    }
    let der = root.decoded_body()?;
    let envelope = cms::parse_envelope(&der)?;
    let content_encryption = content_encryption_name(&envelope.content_encryption)?;
    let cms = CmsContentInfo::from_der(&der)
        .map_err(|_| Error::InvalidCms("unreadable EnvelopedData".into()))?;
    // OpenSSL's own matching (issuer and serial, subject key identifier,
    // rKeyId; key transport and key agreement alike) picks our identity.
    // Once one matches, every failure is the same error.
    if let Some(id) = identities
        .iter()
        .find(|id| ffi::cms_names_recipient(&cms, id.certificate().openssl()))
    {
        return cms
            .decrypt(id.private_key().openssl(), id.certificate().openssl())
            .map(|content| decrypted(content, &envelope, content_encryption, id))
            .map_err(|_| Error::DecryptionFailed);
    }
    // Trial decryption costs one RSA operation per key-transport recipient
    // and identity; beyond a handful of recipients it is not a client's
    // wrong identifier but an attempt to burn CPU.
    if envelope.key_transport_recipients > MAX_TRIAL_RECIPIENTS {
        return Err(Error::NotForRecipient);
    }
    trial_decrypt(&cms, identities)
        .map(|(content, id)| decrypted(content, &envelope, content_encryption, id))
        .ok_or(Error::NotForRecipient)
}

fn decrypted(
    content: Vec<u8>,
    envelope: &cms::Envelope,
    content_encryption: String,
    id: &Identity,
) -> Decrypted {
    Decrypted {
        content,
        authenticated: envelope.authenticated,
        content_encryption,
        recipient: id.certificate().fingerprint(),
    }
}

/// Trial decryption is skipped for messages with more key-transport
/// recipients than this.
const MAX_TRIAL_RECIPIENTS: usize = 8;

/// No RecipientInfo names any of our certificates: some clients write
/// wrong identifiers, so each RSA key is tried on every key-transport
/// recipient. OpenSSL then substitutes a random content key for a failed
/// key transport (so timing and errors do not tell which recipient was
/// ours), which with CBC yields a padding-valid garbage plaintext about
/// once in 256 tries; a result is therefore accepted only when it reads as
/// a MIME entity, which random bytes do not.
fn trial_decrypt<'a>(
    cms: &CmsContentInfo,
    identities: &'a [Identity],
) -> Option<(Vec<u8>, &'a Identity)> {
    identities
        .iter()
        .filter(|id| matches!(id.certificate().key_algorithm(), KeyAlgorithm::Rsa { .. }))
        .find_map(|id| {
            let content = cms
                .decrypt_without_cert_check(id.private_key().openssl())
                .ok()?;
            looks_like_mime(&content).then_some((content, id))
        })
}

/// A header section of printable ASCII `Name: value` fields, ending in an
/// empty line, with a `Content-*` field (what [`encrypt`] always writes).
fn looks_like_mime(content: &[u8]) -> bool {
    let Ok(entity) = Entity::parse(content) else {
        return false;
    };
    let header = entity.header_bytes();
    entity
        .fields()
        .iter()
        .any(|f| f.name.to_ascii_lowercase().starts_with("content-"))
        && header
            .iter()
            .all(|&b| b == b'\r' || b == b'\n' || b == b'\t' || (0x20..0x7f).contains(&b))
}

/// Decrypts `message`, and verifies the decrypted content when it is
/// signed (sign-then-encrypt). The outer header fields of `message` (From,
/// ...) are used for the verification's `From` check.
pub fn decrypt_and_verify(
    message: &[u8],
    identities: &[Identity],
    options: &VerifyOptions,
) -> Result<(Decrypted, Option<VerifyReport>)> {
    let decrypted = decrypt(message, identities)?;
    let (outer, _) = mime::split_message(message)?;
    let mut inner = Zeroizing::new(outer);
    inner.extend_from_slice(&decrypted.content);
    // Whatever the decrypted content is (not signed, malformed, encrypted
    // again), the outcome is "no valid signature": an error that depended
    // on the plaintext would tell an attacker about its structure after a
    // CBC bit flip.
    Ok((decrypted, verify(&inner, options).ok()))
}

/// Names the content-encryption algorithm, refusing what OpenSSL's default
/// provider cannot decrypt (RC2, DES) with a typed error rather than a
/// decryption failure.
fn content_encryption_name(alg: &const_oid::ObjectIdentifier) -> Result<String> {
    let name = match *alg {
        oid::AES128_CBC => "AES-128-CBC",
        oid::AES192_CBC => "AES-192-CBC",
        oid::AES256_CBC => "AES-256-CBC",
        oid::AES128_GCM => "AES-128-GCM",
        oid::AES192_GCM => "AES-192-GCM",
        oid::AES256_GCM => "AES-256-GCM",
        oid::DES_EDE3_CBC => "3DES-CBC",
        other => {
            return Err(Error::UnsupportedAlgorithm(format!(
                "content encryption {other}"
            )));
        }
    };
    Ok(name.to_owned())
}
