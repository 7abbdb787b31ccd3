//! `smime decrypt`: with a mailbox's private keys, or a PKCS#12 file's
//! (`--p12`, no store); optionally verifying the signature inside.

use std::io::{self, Seek, Write};

use smime::{DecryptOptions, Error, Identity, Missing, VerifyOptions, VerifyReport};

use super::{Context, identities_from_p12, mailbox, read_all_certificates};
use crate::args::DecryptArgs;
use crate::failure::Failure;
use crate::files::{self, Content};
use crate::output;

pub fn run(ctx: &Context, args: &DecryptArgs, out: &mut impl Write) -> Result<(), Failure> {
    let anchors = read_all_certificates(&args.trust)?;
    let identities = identities(ctx, args)?;
    let message = files::stream_input(args.input.as_deref())?;
    let output = args.output.as_deref();
    let decrypt_options = DecryptOptions::default().trial_decryption(args.trial_decryption);
    // The plaintext is authenticated (CBC padding, GCM tag) only at its
    // end: nothing of it is seen, at --out or on stdout, before that.
    let (decrypted, report) = if args.verify {
        let mut plain = files::spool()?;
        let options = VerifyOptions::new(&anchors);
        let (info, report) = smime::decrypt_and_verify_stream(
            message,
            &mut plain,
            &identities,
            &decrypt_options,
            &options,
        )?;
        plain.rewind()?;
        files::with_output(output, out, Content::AsWritten, |w| {
            io::copy(&mut plain, w)?;
            Ok(())
        })?;
        (info, report)
    } else {
        let info = files::with_output(output, out, Content::WhenComplete, |w| {
            Ok(smime::decrypt_stream(
                message,
                w,
                &identities,
                &decrypt_options,
            )?)
        })?;
        (info, None)
    };
    if args.json {
        output::write_json(out, &output::decrypted_json(&decrypted, report.as_ref()))?;
    }
    out.flush()?;
    if args.verify {
        verdict(report.as_ref(), args.json)?;
    }
    Ok(())
}

/// The private keys to try: the `--p12` file's, or the mailbox's (at least
/// one).
fn identities(ctx: &Context, args: &DecryptArgs) -> Result<Vec<Identity>, Failure> {
    match (&args.mailbox, &args.p12) {
        (_, Some(p12)) => identities_from_p12(p12),
        (Some(address), None) => {
            let mailbox = mailbox(address)?;
            let identities = ctx.open_store()?.identities(&mailbox)?;
            if identities.is_empty() {
                return Err(Error::NotFound(Missing::PrivateKey(mailbox)).into());
            }
            Ok(identities)
        }
        // clap's group makes one of them required.
        (None, None) => Err(Failure::Usage("--mailbox or --p12 is required".into())),
    }
}

/// `--verify`: exit 1 unless the content is signed and valid; the reason on
/// stderr, or (`--json`) in the object already printed.
fn verdict(report: Option<&VerifyReport>, json: bool) -> Result<(), Failure> {
    match report {
        Some(report) if report.valid => Ok(()),
        _ if json => Err(Failure::Invalid),
        Some(report) => Err(Failure::Unverified(output::not_valid_line(report)?)),
        None => Err(Failure::Unverified(output::NOT_SIGNED.to_owned())),
    }
}
