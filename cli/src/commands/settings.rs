//! `smime settings`: show a mailbox's settings, changing them first when
//! asked (all changes in one transaction: a refused one applies none).

use std::io::Write;

use smime::Fingerprint;

use super::{Context, mailbox};
use crate::args::SettingsArgs;
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, args: &SettingsArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mailbox = mailbox(&args.mailbox)?;
    // `Some(None)`: back to automatic choice.
    let default_signer = match args.default_signer.as_deref() {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("auto") => Some(None),
        Some(s) => Some(Some(s.parse::<Fingerprint>()?)),
    };
    let store = ctx.open_store()?;
    let changes = default_signer.is_some()
        || args.encrypt_by_default.is_some()
        || args.sign_by_default.is_some();
    // Showing the settings writes nothing.
    if changes {
        store.update_settings(&mailbox, |s| {
            if let Some(signer) = default_signer {
                s.default_signer = signer;
            }
            if let Some(on) = args.encrypt_by_default {
                s.encrypt_by_default = on.into();
            }
            if let Some(on) = args.sign_by_default {
                s.sign_by_default = on.into();
            }
        })?;
    }
    output::write_settings(out, &store.settings(&mailbox)?)?;
    Ok(())
}
