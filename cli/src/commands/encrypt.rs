//! `smime encrypt`: to certificate files (`--to`, no store) and addresses
//! from the store (`--to-addr`), optionally signed first (`--sign-with`,
//! which always encrypts to the sender too, so the sent copy stays
//! readable).

use std::collections::HashSet;
use std::io::{self, Seek, Write};

use smime::{
    Certificate, ContentEncryption, EncryptOptions, Error, Identity, Mailbox, Missing,
    RecipientLookup, SignOptions,
};

use super::{Context, mailbox, read_all_certificates};
use crate::args::{Cipher, EncryptArgs};
use crate::failure::Failure;
use crate::files::{self, Content};

pub fn run(ctx: &Context, args: &EncryptArgs, out: &mut impl Write) -> Result<(), Failure> {
    let addresses = args
        .to_addr
        .iter()
        .map(|a| mailbox(a))
        .collect::<Result<Vec<_>, _>>()?;
    let sender = args.sign_with.as_deref().map(mailbox).transpose()?;
    let mut recipients = read_all_certificates(&args.to)?;
    let mut options = EncryptOptions::default();
    if args.oaep {
        options = options.rsa_oaep();
    }
    if args.allow_expired {
        options = options.allow_unusable_recipient();
    }
    let mut signer = None;
    // Only addresses need the store: `--to` files alone need no passphrase.
    if !addresses.is_empty() || sender.is_some() {
        let from_store = from_store(ctx, args, &addresses, sender.as_ref())?;
        recipients.extend(from_store.recipients);
        if let Some(cipher) = from_store.cipher {
            options = options.cipher(cipher);
        }
        signer = from_store.signer;
    }
    if let Some(cipher) = args.cipher {
        options = options.cipher(content_encryption(cipher));
    }
    let mut seen = HashSet::new();
    recipients.retain(|c| seen.insert(c.fingerprint()));
    let mut message = files::seekable_input(args.input.as_deref())?;
    if let Some(signer) = &signer {
        // Sign-then-encrypt (RFC 8551 §3.7) through a temporary file.
        let mut signed = files::spool()?;
        smime::sign_stream(
            &mut message,
            io::BufWriter::new(&mut signed),
            signer,
            &SignOptions::default(),
        )?;
        signed.seek(io::SeekFrom::Start(0))?;
        message = signed;
    }
    files::with_output(args.output.as_deref(), out, Content::AsWritten, |w| {
        Ok(smime::encrypt_stream(message, w, &recipients, &options)?)
    })?;
    Ok(())
}

/// What `--to-addr` and `--sign-with` take from the store.
struct FromStore {
    recipients: Vec<Certificate>,
    /// The content encryption every store recipient is known to read, when
    /// it is for the store to choose.
    cipher: Option<ContentEncryption>,
    signer: Option<Identity>,
}

fn from_store(
    ctx: &Context,
    args: &EncryptArgs,
    addresses: &[Mailbox],
    sender: Option<&Mailbox>,
) -> Result<FromStore, Failure> {
    let store = ctx.open_store()?;
    let mut lookup = RecipientLookup::new();
    if args.allow_untrusted {
        lookup = lookup.allow_untrusted();
    }
    let mut recipients = Vec::new();
    for address in addresses {
        recipients.push(store.encryption_certificate_with(address, &lookup)?);
    }
    // Only recipients from the store have known capabilities: a `--to`
    // file keeps the default, which everyone reads.
    let cipher = if args.cipher.is_none() && args.to.is_empty() {
        let mut all = addresses.to_vec();
        all.extend(sender.cloned());
        Some(store.negotiate_content_encryption(&all)?)
    } else {
        None
    };
    let mut signer = None;
    if let Some(sender) = sender {
        let identity = store.default_signer(sender)?;
        // Encrypt to self, or the sender could not read the sent copy.
        let own = store
            .encryption_certificate_with(sender, &lookup)
            .map_err(|e| match e {
                Error::NotFound(_) => {
                    Error::NotFound(Missing::SenderEncryptionCertificate(sender.clone()))
                }
                e => e,
            })?;
        recipients.push(own);
        signer = Some(identity);
    }
    Ok(FromStore {
        recipients,
        cipher,
        signer,
    })
}

/// The library's name for `--cipher`.
fn content_encryption(cipher: Cipher) -> ContentEncryption {
    match cipher {
        Cipher::Aes256Cbc => ContentEncryption::Aes256Cbc,
        Cipher::Aes128Gcm => ContentEncryption::Aes128Gcm,
        Cipher::Aes256Gcm => ContentEncryption::Aes256Gcm,
    }
}
