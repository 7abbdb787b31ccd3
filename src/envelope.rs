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

use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use const_oid::ObjectIdentifier as Oid;
use openssl::cms::CmsContentInfo;
use x509_cert::der::Decode;
use x509_cert::spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::algorithm::{ContentEncryption, KeyTransport};
use crate::ber::{self, BerReader};
use crate::cert::{Certificate, Fingerprint, KeyAlgorithm};
use crate::cms;
use crate::error::{Error, Result};
use crate::ffi::{self, CmsDecryptStream, RecipientKey};
use crate::identity::Identity;
use crate::io;
use crate::limits::Limits;
use crate::mime::{self, Entity};
use crate::oid;
use crate::sign::{SignOptions, sign};
use crate::verify::{VerifyOptions, VerifyReport, verify, verify_stream};

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
    /// MIME depth and parts of the message; what [`encrypt_stream`] may
    /// read into memory.
    pub limits: Limits,
}

impl EncryptOptions {
    /// Other [`Limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

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
    /// The content-encryption algorithm.
    pub content_encryption: ContentEncryption,
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
    let keys = recipient_keys(recipients, options)?;
    let (outer, entity) = mime::split_message(message)?;
    let entity = Zeroizing::new(mime::with_content_type(entity)?);
    // Canonical and 7-bit safe, as for signing: the entity may be signed
    // inside, and transport after decryption must not alter it.
    let entity = Zeroizing::new(mime::prepare_for_signing(&entity, &options.limits)?);
    let der = ffi::cms_encrypt(&keys, &entity, options.cipher.cipher())?;
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(&outer);
    out.extend_from_slice(&pkcs7_head(options.cipher));
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}

/// [`encrypt()`] from a reader to a writer, in memory that does not grow
/// with the message: the entity is read once to check that it needs no
/// re-encoding, then again while OpenSSL encrypts it into BER with
/// indefinite lengths (as `openssl cms -encrypt -stream` does), base64
/// encoded as it goes. Entities that need re-encoding are encrypted in
/// memory, up to 256 MiB (larger: [`Error::InvalidMessage`]).
///
/// ```
/// # use smime::{EncryptOptions, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"))?;
/// let message = std::io::Cursor::new(b"To: bob@example.org\r\n\r\nMeet at noon.\r\n".to_vec());
/// let mut sealed = Vec::new();
/// smime::encrypt_stream(message, &mut sealed, &[bob.certificate().clone()], &EncryptOptions::default())?;
/// let opened = smime::decrypt(&sealed, &[bob])?;
/// assert!(opened.content.ends_with(b"Meet at noon.\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn encrypt_stream<R: Read + Seek, W: Write>(
    mut input: R,
    mut output: W,
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<()> {
    let keys = recipient_keys(recipients, options)?;
    let start = input.stream_position()?;
    let Some(entity) = mime::streamable(&mut input, b"", true)? else {
        input.seek(SeekFrom::Start(start))?;
        let message = Zeroizing::new(io::read_bounded(&mut input, options.limits.max_in_memory)?);
        output.write_all(&encrypt(&message, recipients, options)?)?;
        return Ok(());
    };
    output.write_all(&entity.outer)?;
    output.write_all(&pkcs7_head(options.cipher))?;
    let mut base64 = mime::Base64Writer::new(&mut output);
    let mut put = |der: &[u8]| base64.put(der);
    let mut encryptor = ffi::CmsEncryptStream::new(&keys, options.cipher.cipher())?;
    encryptor.write(&entity.head, &mut put)?;
    mime::canonical_body(&mut input, &entity, &mut |bytes: &[u8]| {
        encryptor.write(bytes, &mut put)
    })?;
    encryptor.finish(&mut put)?;
    base64.finish()?.flush()?;
    Ok(())
}

/// Checks every recipient certificate and picks its key transport.
fn recipient_keys<'a>(
    recipients: &'a [Certificate],
    options: &EncryptOptions,
) -> Result<Vec<RecipientKey<'a>>> {
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    if !options.cipher.can_encrypt() {
        return Err(Error::UnsupportedAlgorithm(format!(
            "{} is read, never written",
            options.cipher
        )));
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
    Ok(keys)
}

/// The MIME header of an `application/pkcs7-mime` envelope (RFC 8551 §3.3).
fn pkcs7_head(cipher: ContentEncryption) -> Vec<u8> {
    let smime_type = if cipher.is_authenticated() {
        "authEnveloped-data"
    } else {
        "enveloped-data"
    };
    format!(
        "MIME-Version: 1.0\r\n\
         Content-Type: application/pkcs7-mime; smime-type={smime_type}; name=\"smime.p7m\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n"
    )
    .into_bytes()
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
    // The plaintext is only handed out once the padding or tag checked.
    // It is never longer than the message that carries its ciphertext:
    // reserved once, the buffer never reallocates, so no uncleared copy of
    // a partial plaintext goes back to the allocator.
    let mut content = Zeroizing::new(Vec::with_capacity(message.len()));
    let info = decrypt_stream(message, &mut *content, identities)?;
    Ok(Decrypted {
        content: std::mem::take(&mut *content),
        authenticated: info.authenticated,
        content_encryption: info.content_encryption,
        recipient: info.recipient,
    })
}

/// What [`decrypt_stream`] found; the content went to its writer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Decryption {
    /// True for `AuthEnvelopedData` (the tag verified); false for
    /// `EnvelopedData`, whose content could have been altered (EFAIL).
    pub authenticated: bool,
    /// The content-encryption algorithm.
    pub content_encryption: ContentEncryption,
    /// The certificate of the identity that decrypted it.
    pub recipient: Fingerprint,
}

/// [`decrypt()`] from a reader to a writer, in memory that does not grow
/// with the message: the base64 body is decoded, the BER walked and the
/// content decrypted chunk by chunk (OpenSSL opens the RecipientInfos and
/// keys the cipher; only the copy loop is ours).
///
/// **The writer receives plaintext before it is authenticated**: the CBC
/// padding and the GCM tag can only be checked at the end. When this
/// returns an error, discard everything written — write to a temporary
/// file and use it only on `Ok`. [`decrypt()`] does that for you in
/// memory.
///
/// ```
/// # use smime::{EncryptOptions, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"))?;
/// let sealed = smime::encrypt(b"Content-Type: text/plain\r\n\r\nhi\r\n", &[bob.certificate().clone()], &EncryptOptions::default())?;
/// let mut plain = Vec::new();
/// let info = smime::decrypt_stream(&sealed[..], &mut plain, &[bob])?;
/// assert!(!info.authenticated); // AES-CBC
/// assert!(plain.ends_with(b"hi\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt_stream<R: Read, W: Write>(
    input: R,
    output: W,
    identities: &[Identity],
) -> Result<Decryption> {
    decrypt_stream_with_limits(input, output, identities, &Limits::default())
}

/// [`decrypt_stream`] within other [`Limits`] (RecipientInfos, BER depth,
/// what a quoted-printable envelope may take in memory).
pub fn decrypt_stream_with_limits<R: Read, W: Write>(
    input: R,
    mut output: W,
    identities: &[Identity],
    limits: &Limits,
) -> Result<Decryption> {
    let depth = limits.max_ber_depth;
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let root = Entity::parse(&head)?;
    if !root.is_pkcs7_mime() {
        return Err(Error::NotEncrypted);
    }
    let info = match root.transfer_encoding().as_str() {
        "base64" => open(
            BerReader::new(mime::Base64Reader::new(input), depth),
            &mut output,
            identities,
            limits,
        ),
        "7bit" | "8bit" | "binary" => open(
            BerReader::new(input, depth),
            &mut output,
            identities,
            limits,
        ),
        _ => {
            // Quoted-printable DER is rare enough to decode in memory.
            let mut whole = head;
            whole.extend(io::read_bounded(&mut input, limits.max_in_memory)?);
            let der = Entity::parse(&whole)?.decoded_body()?;
            open(
                BerReader::new(&der[..], depth),
                &mut output,
                identities,
                limits,
            )
        }
    }?;
    output.flush()?;
    Ok(info)
}

/// An originatorInfo larger than this is refused.
const MAX_ENVELOPE_FIELD: usize = 1 << 20;

/// Room per allowed recipient when reading the RecipientInfos (an RSA-4096
/// KeyTransRecipientInfo takes about 600 bytes, a KeyAgreeRecipientInfo
/// with its originator key less).
const RECIPIENT_INFO_SIZE: usize = 16 * 1024;

/// The part of an `EnvelopedData` (RFC 5652 §6.1) or `AuthEnvelopedData`
/// (RFC 5083 §2.1) before the encrypted content, re-encoded as a whole
/// structure with an empty `encryptedContent` (and, for AES-GCM, a
/// placeholder `mac` of the announced length): what OpenSSL needs to open
/// the RecipientInfos.
struct EnvelopeHead {
    der: Vec<u8>,
    /// The `encryptedContent [0]` header; its octets follow in the reader.
    content: ber::Header,
    /// The EncryptedContentInfo header, closed after the content.
    encrypted_content_info: ber::Header,
    /// AES-GCM: the tag length GCMParameters announce.
    icv_len: Option<u8>,
}

fn read_envelope_head<R: Read>(r: &mut BerReader<R>, limits: &Limits) -> Result<EnvelopeHead> {
    let _content_info = r.expect(0x30, "ContentInfo")?;
    let h = r.expect(0x06, "contentType")?;
    let content_type = r.element(h, 64)?;
    let authenticated =
        match Oid::from_der(&content_type).map_err(|e| Error::InvalidCms(e.to_string()))? {
            oid::ENVELOPED_DATA => false,
            oid::AUTH_ENVELOPED_DATA => true,
            _ => return Err(Error::NotEncrypted),
        };
    let _explicit = r.expect(0xA0, "[0] content")?;
    let _enveloped = r.expect(0x30, "EnvelopedData")?;
    let h = r.expect(0x02, "version")?;
    let mut body = r.element(h, 16)?;
    let mut h = r.header()?;
    if h.tag == 0xA0 {
        body.extend(r.element(h, MAX_ENVELOPE_FIELD)?);
        h = r.header()?;
    }
    if h.tag != 0x31 {
        return Err(Error::InvalidCms("expected RecipientInfos".into()));
    }
    // Counted by cms::parse_envelope; a set far larger than the allowed
    // number of recipients could fill is refused while it is read.
    let max_recipients = limits.max_recipients;
    let too_many = || Error::LimitExceeded {
        limit: "max_recipients",
        max: max_recipients as u64,
    };
    let cap = max_recipients.saturating_mul(RECIPIENT_INFO_SIZE);
    body.extend(r.element_or(h, cap, &too_many)?);
    let encrypted_content_info = r.expect(0x30, "EncryptedContentInfo")?;
    let h = r.expect(0x06, "contentType")?;
    let mut eci = r.element(h, 64)?;
    let h = r.expect(0x30, "contentEncryptionAlgorithm")?;
    let algorithm = r.element(h, 4096)?;
    let icv_len = if authenticated {
        let alg = AlgorithmIdentifierOwned::from_der(&algorithm)
            .map_err(|e| Error::InvalidCms(e.to_string()))?;
        Some(cms::gcm_icv_len(&alg)?)
    } else {
        None
    };
    eci.extend(algorithm);
    eci.extend([0x80, 0x00]);
    body.extend(cms::tlv(0x30, &eci));
    if let Some(len) = icv_len {
        body.extend(cms::tlv(0x04, &vec![0; usize::from(len)]));
    }
    let mut ci = content_type;
    ci.extend(cms::tlv(0xA0, &cms::tlv(0x30, &body)));
    let content = r.header()?;
    if content.tag & !0x20 != 0x80 {
        return Err(Error::InvalidCms(
            "EncryptedContentInfo without encryptedContent".into(),
        ));
    }
    Ok(EnvelopeHead {
        der: cms::tlv(0x30, &ci),
        content,
        encrypted_content_info,
        icv_len,
    })
}

/// Reads an envelope, picks the identity, streams the content through the
/// cipher into `output`, and checks padding or tag at the end.
fn open<R: Read, W: Write>(
    mut r: BerReader<R>,
    output: &mut W,
    identities: &[Identity],
    limits: &Limits,
) -> Result<Decryption> {
    let head = read_envelope_head(&mut r, limits)?;
    // Counts RecipientInfos, checks cipher against structure (CBC in
    // AuthEnvelopedData is refused) before any key is used.
    let envelope = cms::parse_envelope(&head.der, limits)?;
    let content_encryption = content_encryption(&envelope.content_encryption)?;
    let cms = CmsContentInfo::from_der(&head.der)
        .map_err(|_| Error::InvalidCms("unreadable EnvelopedData".into()))?;
    // OpenSSL's own matching (issuer and serial, subject key identifier,
    // rKeyId; key transport and key agreement alike) picks our identity.
    // Once one matches, every failure is the same error.
    let named = identities
        .iter()
        .find(|id| ffi::cms_names_recipient(&cms, id.certificate().openssl()));
    let state = match named {
        Some(id) => State::Open {
            stream: CmsDecryptStream::new(
                cms,
                id.private_key().openssl(),
                Some(id.certificate().openssl()),
            )
            .map_err(|_| Error::DecryptionFailed)?,
            id,
        },
        // Trial decryption costs one RSA operation per key-transport
        // recipient and identity; beyond a handful of recipients it is not
        // a client's wrong identifier but an attempt to burn CPU.
        None if envelope.key_transport_recipients > MAX_TRIAL_RECIPIENTS => {
            return Err(Error::NotForRecipient);
        }
        None => State::Trial {
            prefix: Zeroizing::new(Vec::with_capacity(TRIAL_PREFIX + io::CHUNK)),
            der: &head.der,
            candidates: identities,
        },
    };
    let mut sink = ContentSink {
        output,
        state,
        buf: Zeroizing::new(vec![0; io::CHUNK + 64]),
    };
    r.octets(&head.content, &mut |ciphertext| sink.push(ciphertext))?;
    r.close(&head.encrypted_content_info)?;
    let tag = match head.icv_len {
        Some(len) => Some(read_mac(&mut r, len)?),
        None => None,
    };
    let id = sink.finish(tag.as_deref())?;
    Ok(Decryption {
        authenticated: envelope.authenticated,
        content_encryption,
        recipient: id.certificate().fingerprint(),
    })
}

/// RFC 5083 §2.1: `authAttrs [1]` (refused: they would have to be
/// authenticated before the content they follow) then `mac`, which must be
/// as long as GCMParameters announce (see [`cms::gcm_icv_len`]).
fn read_mac<R: Read>(r: &mut BerReader<R>, icv_len: u8) -> Result<Vec<u8>> {
    let h = r.header()?;
    if h.tag == 0xA1 {
        return Err(Error::UnsupportedAlgorithm(
            "AuthEnvelopedData with authenticated attributes".into(),
        ));
    }
    if h.tag != 0x04 {
        return Err(Error::InvalidCms("AuthEnvelopedData without mac".into()));
    }
    let header_len = h.raw.len();
    let mac = r.element(h, 64)?.split_off(header_len);
    if mac.len() != usize::from(icv_len) {
        return Err(Error::InvalidCms(format!(
            "AES-GCM tag of {} bytes where GCMParameters announce {icv_len}",
            mac.len()
        )));
    }
    Ok(mac)
}

/// Trial decryption is skipped for messages with more key-transport
/// recipients than this.
const MAX_TRIAL_RECIPIENTS: usize = 8;

/// Ciphertext decrypted by each candidate identity during trial
/// decryption, enough for the MIME header that tells the right key.
const TRIAL_PREFIX: usize = 16 * 1024;

enum State<'a> {
    /// Decrypting with the chosen identity.
    Open {
        stream: CmsDecryptStream,
        id: &'a Identity,
    },
    /// No RecipientInfo names any identity: collecting the first
    /// ciphertext, then trying each RSA key on it.
    Trial {
        prefix: Zeroizing<Vec<u8>>,
        der: &'a [u8],
        candidates: &'a [Identity],
    },
}

/// Decrypts content as the BER reader hands it over.
struct ContentSink<'a, W: Write> {
    output: &'a mut W,
    state: State<'a>,
    /// Plaintext on its way out.
    buf: Zeroizing<Vec<u8>>,
}

impl<'a, W: Write> ContentSink<'a, W> {
    fn push(&mut self, ciphertext: &[u8]) -> Result<()> {
        match &mut self.state {
            State::Open { stream, .. } => {
                for piece in ciphertext.chunks(io::CHUNK) {
                    let n = stream
                        .cipher()
                        .cipher_update(piece, Some(&mut self.buf))
                        .map_err(|_| Error::DecryptionFailed)?;
                    self.output
                        .write_all(self.buf.get(..n).unwrap_or_default())?;
                }
                Ok(())
            }
            State::Trial { prefix, .. } => {
                prefix.extend_from_slice(ciphertext);
                if prefix.len() >= TRIAL_PREFIX {
                    self.choose()?;
                }
                Ok(())
            }
        }
    }

    /// No RecipientInfo names any of our certificates: some clients write
    /// wrong identifiers, so each RSA key is tried on every key-transport
    /// recipient. OpenSSL then substitutes a random content key for a
    /// failed key transport (so timing and errors do not tell which
    /// recipient was ours), which with CBC yields padding-valid garbage
    /// about once in 256 tries; an identity is therefore chosen only when
    /// the first plaintext reads as a MIME header, which random bytes do
    /// not.
    fn choose(&mut self) -> Result<()> {
        let State::Trial {
            prefix,
            der,
            candidates,
        } = &self.state
        else {
            return Ok(());
        };
        let rsa = candidates
            .iter()
            .filter(|id| matches!(id.certificate().key_algorithm(), KeyAlgorithm::Rsa { .. }));
        for id in rsa {
            let Ok(cms) = CmsContentInfo::from_der(der) else {
                continue;
            };
            let Ok(mut stream) = CmsDecryptStream::new(cms, id.private_key().openssl(), None)
            else {
                continue;
            };
            let mut plain = Zeroizing::new(vec![0; prefix.len() + 64]);
            let Ok(n) = stream.cipher().cipher_update(prefix, Some(&mut plain)) else {
                continue;
            };
            let plain = plain.get(..n).unwrap_or_default();
            if looks_like_mime(plain) {
                self.output.write_all(plain)?;
                self.state = State::Open { stream, id };
                return Ok(());
            }
        }
        Err(Error::NotForRecipient)
    }

    /// Checks padding (CBC) or `tag` (GCM) and writes the last plaintext.
    fn finish(mut self, tag: Option<&[u8]>) -> Result<&'a Identity> {
        self.choose()?;
        let State::Open { mut stream, id } = self.state else {
            return Err(Error::NotForRecipient);
        };
        let cipher = stream.cipher();
        if let Some(tag) = tag {
            cipher.set_tag(tag).map_err(|_| Error::DecryptionFailed)?;
        }
        let n = cipher
            .cipher_final(&mut self.buf)
            .map_err(|_| Error::DecryptionFailed)?;
        self.output
            .write_all(self.buf.get(..n).unwrap_or_default())?;
        Ok(id)
    }
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

/// [`decrypt_and_verify()`] for streams: decrypts `input` into
/// `plaintext` (a temporary file, typically), then verifies what it holds
/// with the outer header fields of `input` for the `From` check. On return
/// `plaintext` is rewound to its start. As with [`decrypt_stream`], use
/// its content only when this returns `Ok`.
pub fn decrypt_and_verify_stream<R: Read, F: Read + Write + Seek>(
    input: R,
    plaintext: &mut F,
    identities: &[Identity],
    options: &VerifyOptions,
) -> Result<(Decryption, Option<VerifyReport>)> {
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let (outer, _) = mime::split_message(&head)?;
    let message = std::io::Cursor::new(head).chain(input);
    let writer = std::io::BufWriter::new(&mut *plaintext);
    let decrypted = decrypt_stream_with_limits(message, writer, identities, &options.limits)?;
    plaintext.seek(SeekFrom::Start(0))?;
    let inner = std::io::Cursor::new(outer).chain(BufReader::new(&mut *plaintext));
    // As in decrypt_and_verify: whatever the plaintext is, the outcome is
    // "no valid signature", never an error that depends on it.
    let report = verify_stream(inner, std::io::sink(), options).ok();
    plaintext.seek(SeekFrom::Start(0))?;
    Ok((decrypted, report))
}

/// The content-encryption algorithm, refusing what OpenSSL's default
/// provider cannot decrypt (RC2, DES) with a typed error rather than a
/// decryption failure.
fn content_encryption(alg: &const_oid::ObjectIdentifier) -> Result<ContentEncryption> {
    ContentEncryption::from_oid(alg)
        .ok_or_else(|| Error::UnsupportedAlgorithm(format!("content encryption {alg}")))
}
