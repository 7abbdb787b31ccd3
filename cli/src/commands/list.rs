//! `smime list`: a mailbox's own certificates (or every mailbox's), or the
//! correspondents' certificates filed under an address.

use std::io::Write;

use super::{Context, mailbox};
use crate::args::ListArgs;
use crate::failure::Failure;
use crate::output::{self, Listed};

pub fn run(ctx: &Context, args: &ListArgs, out: &mut impl Write) -> Result<(), Failure> {
    let address = args.mailbox.as_deref().map(mailbox).transpose()?;
    let store = ctx.open_store()?;
    let listed = match address {
        // clap's `requires` guarantees the mailbox with `--recipients`.
        Some(address) if args.recipients => store
            .recipient_certificates(&address)?
            .iter()
            .map(|c| Listed::recipient(&address, c))
            .collect(),
        address => {
            let mailboxes = match address {
                Some(m) => vec![m],
                None => store.mailboxes()?,
            };
            let mut listed = Vec::new();
            for m in &mailboxes {
                listed.extend(store.list(m)?.iter().map(Listed::own));
            }
            listed
        }
    };
    output::write_list(out, listed, args.json)?;
    Ok(())
}
