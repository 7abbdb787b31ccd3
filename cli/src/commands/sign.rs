//! `smime sign`: with the mailbox's default signer, or a PKCS#12 file's
//! identity (`--p12`, no store).

use std::io::Write;

use smime::{DigestAlgorithm, SignOptions};

use super::{Context, mailbox, signer_from_p12};
use crate::args::{Digest, SignArgs};
use crate::failure::Failure;
use crate::files::{self, Content};

pub fn run(ctx: &Context, args: &SignArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut options = SignOptions::default().digest(digest(args.digest));
    if args.opaque {
        options = options.opaque();
    }
    if args.compress {
        options = options.compress();
    }
    let signer = match (&args.mailbox, &args.p12) {
        (_, Some(p12)) => signer_from_p12(p12)?,
        (Some(address), None) => {
            let mailbox = mailbox(address)?;
            ctx.open_store()?.default_signer(&mailbox)?
        }
        // clap's group makes one of them required.
        (None, None) => return Err(Failure::Usage("--mailbox or --p12 is required".into())),
    };
    let message = files::seekable_input(args.input.as_deref())?;
    files::with_output(args.output.as_deref(), out, Content::AsWritten, |w| {
        Ok(smime::sign_stream(message, w, &signer, &options)?)
    })?;
    Ok(())
}

/// The library's name for `--digest`.
fn digest(digest: Digest) -> DigestAlgorithm {
    match digest {
        Digest::Sha256 => DigestAlgorithm::Sha256,
        Digest::Sha384 => DigestAlgorithm::Sha384,
        Digest::Sha512 => DigestAlgorithm::Sha512,
    }
}
