//! Opening an envelope as it streams by: the RecipientInfo that names one
//! of our identities (OpenSSL's matching), optional trial decryption, the
//! content through the keyed cipher chunk by chunk, padding or tag checked
//! at the end.
#![forbid(unsafe_code)]

use std::io::{Read, Write};

use openssl::cms::CmsContentInfo;
use zeroize::Zeroizing;

use super::{Decryption, content_encryption};
use crate::algorithm::KeyAlgorithm;
use crate::cms::{self, ber::BerReader};
use crate::error::{CmsError, Error, Result};
use crate::ffi::{self, CmsDecryptStream};
use crate::identity::Identity;
use crate::io;
use crate::limits::Limits;
use crate::mime::Entity;

/// Reads an envelope, picks the identity, streams the content through the
/// cipher into `output`, and checks padding or tag at the end.
pub(super) fn open<R: Read, W: Write>(
    mut r: BerReader<R>,
    output: &mut W,
    identities: &[Identity],
    limits: &Limits,
) -> Result<Decryption> {
    let head = cms::read_envelope_head(&mut r, limits)?;
    // Counts RecipientInfos, checks cipher against structure (CBC in
    // AuthEnvelopedData is refused) before any key is used.
    let envelope = cms::parse_envelope(&head.der, limits)?;
    let content_encryption = content_encryption(&envelope.content_encryption)?;
    let cms = CmsContentInfo::from_der(&head.der)
        .map_err(|_| Error::InvalidCms(CmsError::Malformed("EnvelopedData")))?;
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
        Some(len) => Some(cms::read_mac(&mut r, len)?),
        None => None,
    };
    let id = sink.finish(tag.as_deref())?;
    Ok(Decryption {
        authenticated: envelope.authenticated,
        content_encryption,
        recipient: id.certificate().fingerprint(),
    })
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
