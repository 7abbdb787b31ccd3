//! `smime passwd`: a new store passphrase; every private key is re-sealed
//! in one transaction.

use std::io::Write;

use super::Context;
use crate::args::PasswdArgs;
use crate::failure::Failure;
use crate::{output, secrets};

pub fn run(ctx: &Context, args: &PasswdArgs, out: &mut impl Write) -> Result<(), Failure> {
    // The current one may be blank (a store from an earlier version): this
    // is how it gets a real one.
    let passphrase = secrets::current_store_passphrase(ctx.passphrase_file.as_deref())?;
    let new = secrets::new_store_passphrase(args.new_passphrase_file.as_deref())?;
    let store = ctx.open_store_with(&passphrase)?;
    store.change_passphrase(&new)?;
    output::write_passphrase_changed(out)?;
    Ok(())
}
