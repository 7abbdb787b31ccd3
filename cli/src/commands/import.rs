//! `smime import`: a PKCS#12 bundle into a mailbox.

use std::io::Write;

use smime::ImportOptions;

use super::{Context, mailbox};
use crate::args::ImportArgs;
use crate::failure::Failure;
use crate::{files, output, secrets};

pub fn run(ctx: &Context, args: &ImportArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mailbox = mailbox(&args.mailbox)?;
    let bytes = files::read(&args.bundle)?;
    let options = if args.allow_address_mismatch {
        ImportOptions::allowing_address_mismatch()
    } else {
        ImportOptions::default()
    };
    // Everything about the bundle is settled before the store is opened
    // (or created): a refused import leaves no trace.
    let password = secrets::p12_password(args.password_file.as_deref())?;
    let identity = smime::pkcs12::import(&bytes, &password, &smime::Limits::default())?;
    options.check(&mailbox, identity.certificate())?;
    let store = ctx.open_store()?;
    let imported = store.import_identity(&mailbox, &identity, options)?;
    output::write_imported(out, &mailbox, &imported.certificate, imported.added)?;
    Ok(())
}
