//! `smime open`: a received message decrypted with the mailbox's keys,
//! verified against `--trust`, unwrapped; the verdict and every header
//! field's protection on stdout (text or `--json`), the displayable
//! message to `--out`. Exits 1 when a signature is there but not valid
//! (or unreadable), 0 otherwise (an unsigned message opens fine).

use std::io::Write;

use smime::{OpenOptions, Verdict, VerifyOptions};

use super::{Context, mailbox, read_all_certificates, read_message};
use crate::args::OpenArgs;
use crate::failure::Failure;
use crate::files::{self, Content};
use crate::output;

pub fn run(ctx: &Context, args: &OpenArgs, out: &mut impl Write) -> Result<(), Failure> {
    let receiver = mailbox(&args.mailbox)?;
    // `--store-trust`: the store keeps no trust anchors yet (the `trust`
    // work adds them); until then it adds none.
    let anchors = read_all_certificates(&args.trust)?;
    let message = read_message(args.input.as_deref())?;
    let identities = ctx.open_store()?.identities(&receiver)?;
    let options = OpenOptions::new(VerifyOptions::new(&anchors));
    let opened = smime::open(&message, &identities, &options)?;
    if let Some(path) = &args.output {
        files::with_output(Some(path), out, Content::WhenComplete, |w| {
            Ok(w.write_all(&opened.message)?)
        })?;
    }
    if args.json {
        output::write_json(out, &output::opened_json(&opened))?;
    } else {
        output::write_opened(out, &opened)?;
    }
    out.flush()?;
    match opened.verdict {
        Verdict::SignedButInvalid { .. } | Verdict::SignatureUnreadable { .. } => {
            Err(Failure::Invalid)
        }
        _ => Ok(()),
    }
}
