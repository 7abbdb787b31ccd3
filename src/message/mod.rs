//! The mail-client layer above [`sign`](crate::sign()),
//! [`verify`](crate::verify()) and [`encrypt`](crate::encrypt()): the
//! combined operations of RFC 8551 §3.7, sign-then-encrypt and
//! decrypt-then-verify.
//!
//! Above them, what a mail client needs whole: [`compose()`] (the
//! mailbox's settings decide signing and encryption, RFC 9788 Header
//! Protection) and [`open()`] (every layer unwrapped, one [`Verdict`],
//! the displayable message with each header field's protection), one
//! file per topic: `compose`, `open`, `header_protection` (the HCPs and
//! protection states), `legacy_display`, `verdict`.
#![forbid(unsafe_code)]

#[cfg(feature = "async")]
mod async_io;
mod compose;
mod header_protection;
mod legacy_display;
mod open;
mod verdict;

#[cfg(feature = "async")]
pub use async_io::AsyncStore;
pub use compose::{ComposeOptions, compose};
pub use header_protection::{FieldProtection, HeaderConfidentialityPolicy, HeaderProtection};
pub use open::{HeaderField, OpenOptions, Opened, open};
pub use verdict::{Invalid, Layer, Verdict};

use std::io::{BufReader, Read, Seek, SeekFrom, Write};

use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::envelope::{
    DecryptOptions, Decrypted, Decryption, EncryptOptions, decrypt, decrypt_stream, encrypt,
};
use crate::error::Result;
use crate::identity::Identity;
use crate::io;
use crate::mime;
use crate::sign::{SignOptions, sign};
use crate::verify::{VerifyOptions, VerifyReport, verify, verify_stream};

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

/// Decrypts `message`, and verifies the decrypted content when it is
/// signed (sign-then-encrypt). The outer header fields of `message` (From,
/// ...) are used for the verification's `From` check.
pub fn decrypt_and_verify(
    message: &[u8],
    identities: &[Identity],
    decrypt_options: &DecryptOptions,
    options: &VerifyOptions,
) -> Result<(Decrypted, Option<VerifyReport>)> {
    let decrypted = decrypt(message, identities, decrypt_options)?;
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
/// `plaintext` is rewound to its start. As with [`decrypt_stream`](crate::decrypt_stream), use
/// its content only when this returns `Ok`.
pub fn decrypt_and_verify_stream<R: Read, F: Read + Write + Seek>(
    input: R,
    plaintext: &mut F,
    identities: &[Identity],
    decrypt_options: &DecryptOptions,
    options: &VerifyOptions,
) -> Result<(Decryption, Option<VerifyReport>)> {
    let mut input = BufReader::with_capacity(io::CHUNK, input);
    let head = mime::read_head(&mut input)?;
    let (outer, _) = mime::split_message(&head)?;
    let message = std::io::Cursor::new(head).chain(input);
    let writer = std::io::BufWriter::new(&mut *plaintext);
    let decrypted = decrypt_stream(message, writer, identities, decrypt_options)?;
    plaintext.seek(SeekFrom::Start(0))?;
    let inner = std::io::Cursor::new(outer).chain(BufReader::new(&mut *plaintext));
    // As in decrypt_and_verify: whatever the plaintext is, the outcome is
    // "no valid signature", never an error that depends on it.
    let report = verify_stream(inner, std::io::sink(), options).ok();
    plaintext.seek(SeekFrom::Start(0))?;
    Ok((decrypted, report))
}
