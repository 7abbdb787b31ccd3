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

mod open;

use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use openssl::cipher_ctx::CipherCtxRef;
use zeroize::Zeroizing;

use crate::algorithm::{ContentEncryption, DecryptionWeakness, KeyAlgorithm, KeyTransport};
use crate::cert::Certificate;
use crate::cms::{self, ber::BerReader};
use crate::error::{Error, Result, Unsupported, Unusable};
use crate::ffi::{self, RecipientKey};
use crate::fingerprint::Fingerprint;
use crate::identity::Identity;
use crate::io;
use crate::limits::Limits;
use crate::mime::{self, Entity};

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

/// How to decrypt.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct DecryptOptions {
    /// RecipientInfos, BER depth, what a quoted-printable envelope may take
    /// in memory, private-key operations of trial decryption.
    pub limits: Limits,
    /// Try every RSA identity when no RecipientInfo names one (some old
    /// clients write wrong recipient identifiers). Off by default: then
    /// such a message is [`Error::NotForRecipient`] before any private-key
    /// operation. When on, each RSA identity is tried on each key-transport
    /// RecipientInfo alone, at most [`Limits::max_trial_keys`] such pairs
    /// (checked before the first; more is [`Error::LimitExceeded`]), the
    /// content is held in memory (within [`Limits::max_in_memory`]), and a
    /// pair is chosen only by the CBC padding or the AEAD tag over the
    /// whole content, never by what the plaintext looks like: the outcome
    /// does not depend on the IV, the first blocks, or another
    /// RecipientInfo. A wrong key passes a CBC padding check about once in
    /// 256 tries, so a CBC pair that passes is decrypted a second time
    /// (one more private-key operation) and kept only when both give the
    /// same bytes. Like every CBC result it stays unauthenticated
    /// ([`Decrypted::authenticated`] is false).
    ///
    /// With CBC content a residual oracle remains: a crafted RecipientInfo
    /// whose RSA ciphertext is conformant under our key (PKCS#1 v1.5 or
    /// OAEP) makes about 1 in 256 trial decryptions succeed (with
    /// garbage), one that is not conformant never (OpenSSL 3.0 has no
    /// implicit rejection; a failed key transport gets a fresh random
    /// key). Whoever sees whether trial decryption succeeded thus has a
    /// Bleichenbacher oracle about 256 times slower than a direct one.
    /// AEAD content (AES-GCM) has no such signal. Enable this only where
    /// that is acceptable.
    pub trial_decryption: bool,
}

impl DecryptOptions {
    /// Other [`Limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Turns trial decryption on or off (see
    /// [`DecryptOptions::trial_decryption`]).
    ///
    /// ```
    /// let options = smime::DecryptOptions::default().trial_decryption(true);
    /// assert!(options.trial_decryption);
    /// assert!(!smime::DecryptOptions::default().trial_decryption);
    /// ```
    pub fn trial_decryption(mut self, on: bool) -> Self {
        self.trial_decryption = on;
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
    /// What is weak about the encryption (Triple-DES), beyond
    /// [`Decrypted::authenticated`]: decrypted, but a client should say so.
    pub weaknesses: Vec<DecryptionWeakness>,
    /// The certificate of the identity that decrypted it.
    pub recipient: Fingerprint,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field("authenticated", &self.authenticated)
            .field("content_encryption", &self.content_encryption)
            .field("weaknesses", &self.weaknesses)
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
/// # use smime::{DecryptOptions, EncryptOptions, ContentEncryption, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: secret\r\n\r\nMeet at noon.\r\n";
/// let options = EncryptOptions::default().cipher(ContentEncryption::Aes128Gcm);
/// let sealed = smime::encrypt(message, &[bob.certificate().clone()], &options)?;
///
/// let opened = smime::decrypt(&sealed, &[bob], &DecryptOptions::default())?;
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
    let mut der = Vec::with_capacity(entity.len() + 4096);
    seal(
        &keys,
        options.cipher,
        entity.len() as u64,
        |put| put(&entity),
        &mut |bytes| {
            der.extend_from_slice(bytes);
            Ok(())
        },
    )?;
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(&outer);
    out.extend_from_slice(&pkcs7_head(options.cipher));
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}

/// [`encrypt()`] from a reader to a writer, in memory that does not grow
/// with the message, writing DER (definite lengths, as every reader
/// accepts), in two passes over the input: the first checks that the
/// entity needs no re-encoding and counts its canonical length (which
/// fixes every length of the structure before its first byte), the
/// second encrypts it chunk by chunk and base64 encodes it as it goes
/// (from 1 MiB on, AES on a second thread).
/// Entities that need re-encoding are encrypted in memory, up to 256 MiB
/// (larger: [`Error::InvalidMessage`]). An input that changes between the
/// passes is [`Error::InputChanged`].
///
/// ```
/// # use smime::{DecryptOptions, EncryptOptions, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let message = std::io::Cursor::new(b"To: bob@example.org\r\n\r\nMeet at noon.\r\n".to_vec());
/// let mut sealed = Vec::new();
/// smime::encrypt_stream(message, &mut sealed, &[bob.certificate().clone()], &EncryptOptions::default())?;
/// let opened = smime::decrypt(&sealed, &[bob], &DecryptOptions::default())?;
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
    // One pass proves the entity needs only CRLF canonicalization and
    // counts its canonical length, which fixes every length of the DER.
    let mut len = 0u64;
    let streamable = mime::streamable(&mut input, b"", true, &mut |bytes: &[u8]| {
        len += bytes.len() as u64;
        Ok(())
    })?;
    let Some(entity) = streamable else {
        input.seek(SeekFrom::Start(start))?;
        let message = Zeroizing::new(io::read_bounded(&mut input, options.limits.max_in_memory)?);
        output.write_all(&encrypt(&message, recipients, options)?)?;
        return Ok(());
    };
    output.write_all(&entity.outer)?;
    output.write_all(&pkcs7_head(options.cipher))?;
    let mut base64 = mime::Base64Writer::new(&mut output);
    seal(
        &keys,
        options.cipher,
        len,
        |put| {
            put(&entity.head)?;
            mime::canonical_body(&mut input, &entity, b"", &mut |b: &[u8]| put(b))
        },
        &mut |der| Ok(base64.put(der)?),
    )?;
    base64.finish()?.flush()?;
    Ok(())
}

/// The ciphertext length of `len` plaintext octets: CBC pads to the next
/// whole block (RFC 5652 §6.3, always at least one octet); the AEADs add
/// nothing (the tag is a field of its own).
fn ciphertext_len(cipher: ContentEncryption, len: u64) -> u64 {
    let block = cipher.cipher().block_size() as u64;
    if block > 1 && !cipher.is_authenticated() {
        (len / block + 1) * block
    } else {
        len
    }
}

/// Writes the DER envelope of the `len` plaintext octets that `content`
/// hands to its sink: the structure with every length computed up front
/// ([`cms::definite_envelope`]), the content through OpenSSL's keyed
/// cipher chunk by chunk, the GCM tag last.
fn seal<C, O>(
    keys: &[RecipientKey<'_>],
    cipher: ContentEncryption,
    len: u64,
    content: C,
    out: &mut O,
) -> Result<()>
where
    C: FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()>,
    O: FnMut(&[u8]) -> Result<()>,
{
    let mut encryptor = ffi::EnvelopeEncryptor::new(keys, cipher.cipher())?;
    let expected = ciphertext_len(cipher, len);
    let layout = cms::definite_envelope(&encryptor.structure()?, expected)?;
    out(&layout.prefix)?;
    let (mut read, mut written) = (0u64, 0u64);
    let mut buf = vec![0u8; io::CHUNK + 64];
    if len >= io::OFFLOAD_FROM {
        // AES on a second thread, beside reading, canonicalizing, base64
        // and writing.
        let encrypt = |cipher: &mut &mut CipherCtxRef, plain: &[u8], ciphertext: &mut Vec<u8>| {
            for piece in plain.chunks(io::CHUNK) {
                let start = ciphertext.len();
                ciphertext.resize(start + piece.len() + 64, 0);
                let n = cipher.cipher_update(piece, ciphertext.get_mut(start..))?;
                ciphertext.truncate(start + n);
            }
            Ok(())
        };
        io::offload(
            encryptor.cipher(),
            encrypt,
            |put| {
                content(&mut |plain: &[u8]| {
                    read += plain.len() as u64;
                    put(plain)
                })
            },
            |ciphertext| {
                written += ciphertext.len() as u64;
                out(ciphertext)
            },
        )?;
    } else {
        content(&mut |plain: &[u8]| {
            read += plain.len() as u64;
            for piece in plain.chunks(io::CHUNK) {
                let n = encryptor.cipher().cipher_update(piece, Some(&mut buf))?;
                written += n as u64;
                out(buf.get(..n).unwrap_or_default())?;
            }
            Ok(())
        })?;
    }
    let n = encryptor.cipher().cipher_final(&mut buf)?;
    written += n as u64;
    if read != len || written != expected {
        return Err(Error::InputChanged);
    }
    out(buf.get(..n).unwrap_or_default())?;
    if let Some(icv) = layout.icv_len {
        let mut tag = vec![0u8; usize::from(icv)];
        encryptor.cipher().tag(&mut tag)?;
        out(&cms::definite_mac(&tag)?)?;
    }
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
        return Err(Error::UnsupportedAlgorithm(Unsupported::WriteOnly(
            options.cipher,
        )));
    }
    let now = std::time::SystemTime::now();
    let mut keys = Vec::with_capacity(recipients.len());
    for cert in recipients {
        let refuse = |reason| Error::CertificateNotUsable {
            fingerprint: cert.fingerprint(),
            reason,
        };
        if !cert.can_decrypt() {
            return Err(refuse(Unusable::CannotEncryptTo));
        }
        if !options.allow_unusable_recipient && !cert.is_valid_at(now) {
            return Err(refuse(Unusable::OutsideValidity));
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

/// Decrypts `message` with the first of `identities` that a RecipientInfo
/// names (issuer and serial number, or subject key identifier); when none
/// is named (some clients write wrong identifiers), each RSA identity is
/// tried only with [`DecryptOptions::trial_decryption`].
///
/// Errors: [`Error::NotEncrypted`], [`Error::NotForRecipient`] (no identity
/// can open it), [`Error::DecryptionFailed`] (one error for every failure
/// once a recipient matched), [`Error::UnsupportedAlgorithm`], and
/// [`Error::InvalidMessage`] / [`Error::InvalidCms`] for malformed input.
pub fn decrypt(
    message: &[u8],
    identities: &[Identity],
    options: &DecryptOptions,
) -> Result<Decrypted> {
    // The plaintext is only handed out once the padding or tag checked.
    // It is never longer than the message that carries its ciphertext:
    // reserved once, the buffer never reallocates, so no uncleared copy of
    // a partial plaintext goes back to the allocator.
    let mut content = Zeroizing::new(Vec::with_capacity(message.len()));
    let info = decrypt_stream(message, &mut *content, identities, options)?;
    Ok(Decrypted {
        content: std::mem::take(&mut *content),
        authenticated: info.authenticated,
        content_encryption: info.content_encryption,
        weaknesses: info.weaknesses,
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
    /// What is weak about the encryption (see [`Decrypted::weaknesses`]).
    pub weaknesses: Vec<DecryptionWeakness>,
    /// The certificate of the identity that decrypted it.
    pub recipient: Fingerprint,
}

/// [`decrypt()`] from a reader to a writer, in memory that does not grow
/// with the message: the base64 body is decoded, the BER walked and the
/// content decrypted chunk by chunk (OpenSSL opens the RecipientInfos and
/// keys the cipher; only the copy loop is ours).
///
/// **The writer receives plaintext before it is authenticated** for CBC,
/// GCM and ChaCha20-Poly1305: the padding or tag can only be checked at
/// the end. When this returns an error, discard everything written —
/// write to a temporary file and use it only on `Ok`. [`decrypt()`] does
/// that for you in memory. AES-CCM is the exception: OpenSSL decrypts it
/// in one call once the tag is known, so its ciphertext is held (within
/// [`Limits::max_in_memory`]) and nothing is written unless the tag
/// verifies. A `compressed-data` content (RFC 3274) is held the same way
/// and written decompressed, within [`Limits::max_decompressed`].
///
/// ```
/// # use smime::{DecryptOptions, EncryptOptions, Password};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let bob = smime::pkcs12::import(&std::fs::read(format!("{dir}p12/bob.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let sealed = smime::encrypt(b"Content-Type: text/plain\r\n\r\nhi\r\n", &[bob.certificate().clone()], &EncryptOptions::default())?;
/// let mut plain = Vec::new();
/// let info = smime::decrypt_stream(&sealed[..], &mut plain, &[bob], &DecryptOptions::default())?;
/// assert!(!info.authenticated); // AES-CBC
/// assert!(plain.ends_with(b"hi\r\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decrypt_stream<R: Read, W: Write>(
    input: R,
    mut output: W,
    identities: &[Identity],
    options: &DecryptOptions,
) -> Result<Decryption> {
    let limits = &options.limits;
    let depth = limits.max_ber_depth;
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let root = Entity::parse(&head)?;
    mime::HeaderBudget::new(limits).charge(&root)?;
    if !root.is_pkcs7_mime() {
        return Err(Error::NotEncrypted);
    }
    let info = match root.transfer_encoding().as_str() {
        "base64" => open::open(
            BerReader::new(mime::Base64Reader::new(input), depth),
            &mut output,
            identities,
            options,
        ),
        "7bit" | "8bit" | "binary" => open::open(
            BerReader::new(input, depth),
            &mut output,
            identities,
            options,
        ),
        _ => {
            // Quoted-printable DER is rare enough to decode in memory.
            let mut whole = head;
            whole.extend(io::read_bounded(&mut input, limits.max_in_memory)?);
            let der = Entity::parse(&whole)?.decoded_body()?;
            open::open(
                BerReader::new(&der[..], depth),
                &mut output,
                identities,
                options,
            )
        }
    }?;
    output.flush()?;
    Ok(info)
}

/// [`encrypt()`] of an `entity` that is encrypted exactly as given, its
/// header fields included, with the header fields `outer` (complete
/// CRLF-ended lines) put outside: for a payload that carries protected
/// header fields (RFC 9788 §5.2), which [`encrypt()`] would move outside.
pub(crate) fn encrypt_entity(
    outer: &[u8],
    entity: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Vec<u8>> {
    let keys = recipient_keys(recipients, options)?;
    let entity = Zeroizing::new(mime::prepare_for_signing(entity, &options.limits)?);
    let mut der = Vec::with_capacity(entity.len() + 4096);
    seal(
        &keys,
        options.cipher,
        entity.len() as u64,
        |put| put(&entity),
        &mut |bytes| {
            der.extend_from_slice(bytes);
            Ok(())
        },
    )?;
    let mut out = Vec::with_capacity(outer.len() + der.len() * 2 + 256);
    out.extend_from_slice(outer);
    out.extend_from_slice(&pkcs7_head(options.cipher));
    out.extend_from_slice(&mime::base64_lines(&der));
    Ok(out)
}
