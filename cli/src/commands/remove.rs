//! `smime remove`: a certificate and its private key out of a mailbox.

use std::io::Write;

use smime::Fingerprint;

use super::{Context, mailbox};
use crate::args::RemoveArgs;
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, args: &RemoveArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mailbox = mailbox(&args.mailbox)?;
    let fingerprint: Fingerprint = args.fingerprint.parse()?;
    let store = ctx.open_store()?;
    store.remove(&mailbox, &fingerprint)?;
    output::write_removed(out, &mailbox, &fingerprint)?;
    Ok(())
}
