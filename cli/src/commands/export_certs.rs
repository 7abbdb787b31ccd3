//! `smime export-certs`: the certificates of a mailbox (each with its
//! chain) or a correspondent's as a certs-only message (RFC 8551 §3.6.2,
//! `application/pkcs7-mime; smime-type=certs-only`), what a correspondent
//! imports with `add-cert` (or `openssl pkcs7 -print_certs`).

use std::io::Write;

use super::{Context, mailbox};
use crate::args::ExportCertsArgs;
use crate::failure::Failure;
use crate::files::{self, Content, Destination};
use crate::output;

pub fn run(ctx: &Context, args: &ExportCertsArgs, out: &mut impl Write) -> Result<(), Failure> {
    let (address, recipient) = match (&args.mailbox, &args.recipient) {
        (Some(address), None) => (mailbox(address)?, false),
        (None, Some(address)) => (mailbox(address)?, true),
        // clap's group makes exactly one of them required.
        _ => {
            return Err(Failure::Usage(
                "one of --mailbox or --recipient is required".into(),
            ));
        }
    };
    let store = ctx.open_store()?;
    let certs = if recipient {
        store.recipient_certificates(&address)?
    } else {
        store.certificates_to_share(&address)?
    };
    if certs.is_empty() {
        return Err(Failure::NotFound(output::no_certificates(
            &address, recipient,
        )));
    }
    let message = smime::certs_only(&certs)?;
    let (_, destination) =
        files::with_output_to(args.output.as_deref(), out, Content::AsWritten, |w| {
            Ok(w.write_all(&message)?)
        })?;
    // No status line inside the message when --out is our stdout.
    if destination == Destination::Elsewhere {
        writeln!(
            out,
            "{}",
            output::exported_certs_line(&address, certs.len())
        )?;
    }
    Ok(())
}
