//! `smime compose`: a whole message signed and/or encrypted as the
//! mailbox's settings say (or `--sign`/`--encrypt` and their `--no-`
//! forms), recipients from its To/Cc/Bcc, RFC 9788 header protection.

use std::io::Write;

use smime::{ComposeOptions, HeaderConfidentialityPolicy};

use super::{Context, mailbox, read_message};
use crate::args::{ComposeArgs, HeaderProtectionArg};
use crate::failure::Failure;
use crate::files::{self, Content};

pub fn run(ctx: &Context, args: &ComposeArgs, out: &mut impl Write) -> Result<(), Failure> {
    let sender = mailbox(&args.mailbox)?;
    let message = read_message(args.input.as_deref())?;
    let mut options = ComposeOptions::default().header_protection(match args.header_protection {
        HeaderProtectionArg::Baseline => Some(HeaderConfidentialityPolicy::Baseline),
        HeaderProtectionArg::Shy => Some(HeaderConfidentialityPolicy::Shy),
        HeaderProtectionArg::Off => None,
    });
    options.sign = switch(args.sign, args.no_sign);
    options.encrypt = switch(args.encrypt, args.no_encrypt);
    if args.legacy_display {
        options = options.legacy_display();
    }
    let store = ctx.open_store()?;
    let composed = smime::compose(&message, &store, &sender, &options)?;
    files::with_output(args.output.as_deref(), out, Content::AsWritten, |w| {
        Ok(w.write_all(&composed)?)
    })?;
    Ok(())
}

/// `--x` / `--no-x` (clap keeps them apart), else the setting decides.
fn switch(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}
