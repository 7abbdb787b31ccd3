//! `smime import`: every identity of a PKCS#12 bundle into a mailbox, all
//! or none (a signing and an encryption pair each take one slot).

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
    let bundle = smime::pkcs12::import_all(&bytes, &password, &smime::Limits::default())?;
    for identity in &bundle.identities {
        options.check(&mailbox, identity.certificate())?;
    }
    let store = ctx.open_store()?;
    // The bundle is read once (its PBKDF2 is the slow part): its
    // identities go in as one batch, all or none.
    let batch: Vec<_> = bundle.identities.iter().map(|i| (&mailbox, i)).collect();
    let imported = store.import_identities(&batch, options)?;
    for one in &imported {
        output::write_imported(out, &mailbox, &one.certificate, one.added)?;
    }
    Ok(())
}
