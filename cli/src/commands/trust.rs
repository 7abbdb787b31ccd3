//! `smime trust add | list | remove`: the store's trust anchors. `add`
//! reads every file first, so a bad one adds nothing.

use std::io::Write;

use smime::Fingerprint;

use super::{Context, read_all_certificates};
use crate::args::TrustCommand;
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, command: &TrustCommand, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        TrustCommand::Add(args) => {
            let certs = read_all_certificates(&args.files)?;
            let store = ctx.open_store()?;
            for cert in &certs {
                let added = store.add_trust_anchor(cert)?;
                output::write_trusted(out, cert, added)?;
            }
        }
        TrustCommand::List(args) => {
            let anchors = ctx.open_store()?.trust_anchors()?;
            output::write_anchors(out, &anchors, args.json)?;
        }
        TrustCommand::Remove(args) => {
            let fingerprint: Fingerprint = args.fingerprint.parse()?;
            ctx.open_store()?.remove_trust_anchor(&fingerprint)?;
            output::write_untrusted(out, &fingerprint)?;
        }
    }
    Ok(())
}
