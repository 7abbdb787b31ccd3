//! Opening an envelope as it streams by: the RecipientInfo that names one
//! of our identities (OpenSSL's matching), the content through the keyed
//! cipher chunk by chunk, padding or tag checked at the end.
//!
//! Trial decryption, for clients that write wrong recipient identifiers,
//! is off unless [`DecryptOptions::trial_decryption`](super::DecryptOptions)
//! asks for it: without it, an envelope with no RecipientInfo naming one
//! of our certificates is [`Error::NotForRecipient`] before any private-key
//! operation. With it, each RSA identity is tried on each key-transport
//! RecipientInfo alone (`ffi::CmsDecryptStream::for_key_transport`: at most
//! `Limits::max_trial_keys` pairs, counted before the first), so no
//! RecipientInfo changes the outcome of another; the only signal that
//! picks a pair is the one every decryption ends with: the CBC padding or
//! the AEAD tag over the whole content (for CBC confirmed by a second
//! decryption with the same pair that must give the same bytes: a wrong
//! key passes the padding check once in 256 tries). No look at the
//! plaintext decides, so the outcome never depends on the IV or on the
//! first blocks (which an attacker flips at will, EFAIL).
//!
//! A residual oracle remains with CBC content (no tag): OpenSSL 3.0 has no
//! implicit rejection, so a RecipientInfo whose RSA ciphertext is
//! conformant under our key (PKCS#1 v1.5 padding, or OAEP decoding) gives
//! the same wrong content key on both decryptions, and one that is not a
//! fresh random key each time. Either passes the content's padding about
//! once in 256, but only the first passes the second decryption too: about
//! 1 in 256 trial decryptions of such a crafted message succeeds (with
//! garbage) when its RecipientInfo is conformant, never when it is not. An
//! attacker who can submit messages and see whether trial decryption
//! succeeded has a Bleichenbacher oracle about 256 times slower than a
//! direct one. With AEAD content a wrong key never passes the tag, so
//! there is no such signal. The content is held (within
//! `Limits::max_in_memory`) until a key is chosen.
//!
//! OpenSSL's CMS engine keys AES-CBC, 3DES and 12-byte-nonce AES-GCM
//! itself. For the AEADs it does not implement (ChaCha20-Poly1305,
//! AES-CCM, GCM with another nonce length) it still opens the
//! RecipientInfo — key transport, key agreement and their countermeasures
//! stay OpenSSL's — and then wraps the content key it recovered for a
//! one-time KEKRecipientInfo (`ffi::cms_rewrap_content_key`), which we
//! unwrap into a zeroizing buffer to key the EVP cipher ourselves. A
//! failed key transport leaves OpenSSL without a key; a random one takes
//! its place, so that failure too is the tag's.
#![forbid(unsafe_code)]

use std::io::{Read, Write};

use openssl::cipher_ctx::CipherCtx;
use openssl::cms::CmsContentInfo;
use zeroize::Zeroizing;

use super::{DecryptOptions, Decryption};
use crate::algorithm::KeyAlgorithm;
use crate::cms::{self, AeadParams, ber::BerReader};
use crate::error::{CmsError, Error, Result};
use crate::ffi::{self, CmsDecryptStream};
use crate::identity::Identity;
use crate::io;
use crate::limits::Limits;
use crate::oid;

/// Reads an envelope, picks the identity, streams the content through the
/// cipher into `output`, and checks padding or tag at the end. A
/// `compressed-data` content is held, then inflated into `output`.
pub(super) fn open<R: Read, W: Write>(
    mut r: BerReader<R>,
    output: &mut W,
    identities: &[Identity],
    options: &DecryptOptions,
) -> Result<Decryption> {
    let limits = &options.limits;
    let head = cms::read_envelope_head(&mut r, limits)?;
    if head.content_type != oid::COMPRESSED_DATA {
        return open_content(r, head, output, identities, options);
    }
    let mut compressed = Bounded {
        buf: Zeroizing::new(Vec::new()),
        max: limits.max_in_memory,
    };
    let info = open_content(r, head, &mut compressed, identities, options)?;
    cms::decompress_into(&compressed.buf, output, limits)?;
    Ok(info)
}

/// A writer into memory that refuses more than `max` bytes.
struct Bounded {
    buf: Zeroizing<Vec<u8>>,
    max: u64,
}

impl Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if (self.buf.len() + bytes.len()) as u64 > self.max {
            return Err(io::into_io(Error::LimitExceeded {
                limit: "max_in_memory",
                max: self.max,
            }));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn open_content<R: Read, W: Write>(
    mut r: BerReader<R>,
    head: cms::EnvelopeHead,
    output: &mut W,
    identities: &[Identity],
    options: &DecryptOptions,
) -> Result<Decryption> {
    let limits = &options.limits;
    // Counts RecipientInfos, checks cipher against structure (CBC in
    // AuthEnvelopedData is refused) before any key is used.
    let envelope = cms::parse_envelope(&head.der, limits)?;
    let content_encryption = envelope.content_encryption;
    let own = head.aead.as_ref().filter(|a| !a.keyed_by_cms_engine());
    let der = if own.is_some() {
        &head.as_enveloped_data
    } else {
        &head.der
    };
    let cms = CmsContentInfo::from_der(der)
        .map_err(|_| Error::InvalidCms(CmsError::Malformed("EnvelopedData")))?;
    // OpenSSL's own matching (issuer and serial, subject key identifier,
    // rKeyId; key transport and key agreement alike) picks our identity.
    // Once one matches, every failure is the same error.
    let named = identities
        .iter()
        .find(|id| ffi::cms_names_recipient(&cms, id.certificate().openssl()));
    let state = match (named, own) {
        (Some(id), Some(params)) => State::Open {
            content: Content::keyed(&cms, id, params, limits)?,
            id,
        },
        (Some(id), None) => State::Open {
            content: Content::Cms(
                CmsDecryptStream::new(
                    cms,
                    id.private_key().openssl(),
                    Some(id.certificate().openssl()),
                )
                .map_err(|_| Error::DecryptionFailed)?,
            ),
            id,
        },
        // Trial decryption is opt-in, and needs OpenSSL to key the cipher
        // for each try.
        (None, _) if !options.trial_decryption => return Err(Error::NotForRecipient),
        (None, Some(_)) => return Err(Error::NotForRecipient),
        (None, None) => {
            // One private-key operation per (identity, key-transport
            // recipient) pair, counted before the first.
            let candidates = trial_candidates(identities);
            let operations = candidates
                .len()
                .saturating_mul(envelope.key_transport_recipients);
            crate::limits::check(
                "max_trial_keys",
                operations as u64,
                limits.max_trial_keys as u64,
            )?;
            let recipients = ffi::cms_key_transport_recipients(&cms);
            let pairs = candidates
                .iter()
                .flat_map(|&id| recipients.iter().map(move |&ri| (id, ri)))
                .collect();
            State::Trial {
                ciphertext: Zeroizing::new(Vec::new()),
                max: limits.max_in_memory,
                der: &head.der,
                pairs,
            }
        }
    };
    let mut sink = ContentSink {
        output,
        state,
        buf: Zeroizing::new(vec![0; io::CHUNK + 64]),
    };
    r.octets(&head.content, &mut |ciphertext| sink.push(ciphertext))?;
    r.close(&head.encrypted_content_info)?;
    let tag = match &head.aead {
        Some(params) => Some(cms::read_mac(&mut r, params)?),
        None => None,
    };
    let id = sink.finish(tag.as_deref())?;
    Ok(Decryption {
        authenticated: envelope.authenticated,
        content_encryption,
        weaknesses: content_encryption.weaknesses(),
        recipient: id.certificate().fingerprint(),
    })
}

/// The content cipher, keyed.
enum Content {
    /// Keyed by OpenSSL's CMS engine.
    Cms(CmsDecryptStream),
    /// GCM with a nonce other than 12 bytes, ChaCha20-Poly1305: EVP keyed
    /// by us, streaming like GCM.
    Stream(CipherCtx),
    /// AES-CCM: OpenSSL needs the tag and the whole ciphertext before it
    /// decrypts, so the ciphertext is held (within `max_in_memory`) and
    /// nothing is released before the tag verified.
    Ccm {
        key: Zeroizing<Vec<u8>>,
        params: AeadParams,
        ciphertext: Vec<u8>,
        max: u64,
    },
}

impl Content {
    /// Keys an AEAD OpenSSL's CMS engine does not (see the module docs).
    fn keyed(
        cms: &CmsContentInfo,
        id: &Identity,
        params: &AeadParams,
        limits: &Limits,
    ) -> Result<Content> {
        let evp = params.cipher.evp();
        let key = content_key(cms, id, evp.key_length())?;
        if params.cipher.is_ccm() {
            return Ok(Content::Ccm {
                key,
                params: params.clone(),
                ciphertext: Vec::new(),
                max: limits.max_in_memory,
            });
        }
        let fail = |_| Error::DecryptionFailed;
        let mut ctx = CipherCtx::new()?;
        ctx.decrypt_init(Some(evp), None, None).map_err(fail)?;
        ctx.set_iv_length(params.nonce.len()).map_err(fail)?;
        ctx.decrypt_init(None, Some(&key), Some(&params.nonce))
            .map_err(fail)?;
        Ok(Content::Stream(ctx))
    }
}

/// The content key OpenSSL recovers from our RecipientInfo, `len` bytes;
/// a random one when it recovers none (a failed key transport), which
/// then fails the tag like any other wrong key.
fn content_key(cms: &CmsContentInfo, id: &Identity, len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut kek = Zeroizing::new([0u8; 32]);
    openssl::rand::rand_bytes(&mut *kek)?;
    let mut kek_id = [0u8; 16];
    openssl::rand::rand_bytes(&mut kek_id)?;
    let rewrapped = ffi::cms_rewrap_content_key(
        cms,
        id.private_key().openssl(),
        id.certificate().openssl(),
        &kek,
        &kek_id,
    )
    .map_err(|_| Error::DecryptionFailed)?;
    let wrapped = if rewrapped {
        cms::kek_wrapped_key(&cms.to_der()?, &kek_id)?
    } else {
        None
    };
    let mut key = Zeroizing::new(vec![0u8; len]);
    let unwrapped = wrapped.and_then(|wrapped| {
        let aes = openssl::aes::AesKey::new_decrypt(&*kek).ok()?;
        let mut out = Zeroizing::new(vec![0u8; wrapped.len().checked_sub(8)?]);
        let n = openssl::aes::unwrap_key(&aes, None, &mut out, &wrapped).ok()?;
        (n == len).then_some(out)
    });
    match unwrapped {
        Some(found) => key.copy_from_slice(&found),
        None => openssl::rand::rand_bytes(&mut key)?,
    }
    Ok(key)
}

/// The identities trial decryption tries: those with an RSA key (key
/// agreement recipients name their originator; there is nothing to try).
fn trial_candidates(identities: &[Identity]) -> Vec<&Identity> {
    identities
        .iter()
        .filter(|id| matches!(id.certificate().key_algorithm(), KeyAlgorithm::Rsa { .. }))
        .collect()
}

/// The content cipher keyed by `id`'s key on the key-transport
/// RecipientInfo at `index` alone, from a fresh CMS context (so a fresh
/// random content key when that key transport fails).
fn trial_stream(der: &[u8], id: &Identity, index: usize) -> Option<CmsDecryptStream> {
    let cms = CmsContentInfo::from_der(der).ok()?;
    CmsDecryptStream::for_key_transport(cms, id.private_key().openssl(), index).ok()
}

/// Whether `ciphertext` decrypts under the pair (`id`, `index`) to `plain`
/// once more ([`trial_stream`]), compared chunk by chunk.
fn same_again(der: &[u8], (id, index): Pair<'_>, ciphertext: &[u8], plain: &[u8]) -> bool {
    let Some(mut stream) = trial_stream(der, id, index) else {
        return false;
    };
    let cipher = stream.cipher();
    let mut buf = Zeroizing::new(vec![0u8; io::CHUNK + 64]);
    let mut at = 0;
    for piece in ciphertext.chunks(io::CHUNK) {
        let Ok(n) = cipher.cipher_update(piece, Some(&mut buf)) else {
            return false;
        };
        if plain.get(at..at + n) != buf.get(..n) {
            return false;
        }
        at += n;
    }
    match cipher.cipher_final(&mut buf) {
        Ok(n) => plain.get(at..) == buf.get(..n),
        Err(_) => false,
    }
}

enum State<'a> {
    /// Decrypting with the chosen identity.
    Open { content: Content, id: &'a Identity },
    /// No RecipientInfo names any identity: holding the ciphertext (within
    /// `max`), then trying each RSA key on all of it.
    Trial {
        ciphertext: Zeroizing<Vec<u8>>,
        max: u64,
        der: &'a [u8],
        pairs: Vec<Pair<'a>>,
    },
}

/// An identity and the index (among all RecipientInfos) of one
/// key-transport RecipientInfo it is tried on.
type Pair<'a> = (&'a Identity, usize);

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
            State::Open {
                content:
                    Content::Ccm {
                        ciphertext: held,
                        max,
                        ..
                    },
                ..
            } => {
                crate::limits::check(
                    "max_in_memory",
                    (held.len() + ciphertext.len()) as u64,
                    *max,
                )?;
                held.extend_from_slice(ciphertext);
                Ok(())
            }
            State::Open { content, .. } => {
                for piece in ciphertext.chunks(io::CHUNK) {
                    let cipher = match content {
                        Content::Cms(stream) => stream.cipher(),
                        Content::Stream(ctx) => ctx,
                        Content::Ccm { .. } => return Ok(()),
                    };
                    let n = cipher
                        .cipher_update(piece, Some(&mut self.buf))
                        .map_err(|_| Error::DecryptionFailed)?;
                    self.output
                        .write_all(self.buf.get(..n).unwrap_or_default())
                        .map_err(io::from_io)?;
                }
                Ok(())
            }
            State::Trial {
                ciphertext: held,
                max,
                ..
            } => {
                crate::limits::check(
                    "max_in_memory",
                    (held.len() + ciphertext.len()) as u64,
                    *max,
                )?;
                held.extend_from_slice(ciphertext);
                Ok(())
            }
        }
    }

    /// No RecipientInfo names any of our certificates: some clients write
    /// wrong identifiers, so each RSA key is tried on every key-transport
    /// key-transport recipient alone (OpenSSL substitutes a random content
    /// key for a failed key transport, so no error tells which recipient
    /// was ours) and on the whole content. The first identity under which
    /// the padding (CBC) or `tag` (AEAD) verifies is chosen. A wrong key
    /// passes a CBC padding check about once in 256 tries; without a tag,
    /// the content is therefore decrypted once more under the chosen key
    /// and must come out the same ([`same_again`]): the right key gives
    /// the same plaintext every time, a wrong one a fresh random content
    /// key each time. Neither check looks at what the plaintext says.
    fn try_each(&mut self, tag: Option<&[u8]>) -> Result<&'a Identity> {
        let State::Trial {
            ciphertext,
            der,
            pairs,
            ..
        } = &self.state
        else {
            return Err(Error::NotForRecipient);
        };
        let mut plain = Zeroizing::new(vec![0u8; ciphertext.len() + 64]);
        for &(id, index) in pairs {
            let Some(mut stream) = trial_stream(der, id, index) else {
                continue;
            };
            let cipher = stream.cipher();
            let Ok(n) = cipher.cipher_update(ciphertext, Some(&mut plain)) else {
                continue;
            };
            if let Some(tag) = tag
                && cipher.set_tag(tag).is_err()
            {
                continue;
            }
            let Ok(last) = cipher.cipher_final(plain.get_mut(n..).unwrap_or_default()) else {
                continue;
            };
            let found = plain.get(..n + last).unwrap_or_default();
            if tag.is_none() && !same_again(der, (id, index), ciphertext, found) {
                continue;
            }
            self.output.write_all(found).map_err(io::from_io)?;
            return Ok(id);
        }
        Err(Error::NotForRecipient)
    }

    /// Checks padding (CBC) or `tag` (AEAD) and writes the last plaintext
    /// (for AES-CCM: all of it, once the tag verified).
    fn finish(mut self, tag: Option<&[u8]>) -> Result<&'a Identity> {
        if matches!(self.state, State::Trial { .. }) {
            return self.try_each(tag);
        }
        let State::Open { content, id } = self.state else {
            return Err(Error::NotForRecipient);
        };
        let fail = |_| Error::DecryptionFailed;
        match content {
            Content::Ccm {
                key,
                params,
                ciphertext,
                ..
            } => {
                let tag = tag.ok_or(Error::DecryptionFailed)?;
                let mut ctx = CipherCtx::new()?;
                ctx.decrypt_init(Some(params.cipher.evp()), None, None)
                    .map_err(fail)?;
                ctx.set_iv_length(params.nonce.len()).map_err(fail)?;
                ctx.set_tag(tag).map_err(fail)?;
                ctx.decrypt_init(None, Some(&key), Some(&params.nonce))
                    .map_err(fail)?;
                ctx.set_data_len(ciphertext.len()).map_err(fail)?;
                let mut plain = Zeroizing::new(vec![0u8; ciphertext.len() + 16]);
                // CCM verifies the tag inside this one update.
                let n = ctx
                    .cipher_update(&ciphertext, Some(&mut plain))
                    .map_err(fail)?;
                self.output
                    .write_all(plain.get(..n).unwrap_or_default())
                    .map_err(io::from_io)?;
            }
            mut content => {
                let cipher = match &mut content {
                    Content::Cms(stream) => stream.cipher(),
                    Content::Stream(ctx) => ctx,
                    Content::Ccm { .. } => return Err(Error::DecryptionFailed),
                };
                if let Some(tag) = tag {
                    cipher.set_tag(tag).map_err(fail)?;
                }
                let n = cipher.cipher_final(&mut self.buf).map_err(fail)?;
                self.output
                    .write_all(self.buf.get(..n).unwrap_or_default())
                    .map_err(io::from_io)?;
            }
        }
        Ok(id)
    }
}
