//! `smime export`: one identity of a mailbox — private key, certificate,
//! chain — as a PKCS#12 bundle, modern (PBES2, PBKDF2-HMAC-SHA256,
//! AES-256-CBC, SHA-256 MAC) or `--legacy` (PBE-SHA1-3DES, SHA-1 MAC, for
//! gpgsm 2.2 and old Windows). An `--out` file is left 0600, also one that
//! existed with another mode.

use std::io::Write;

use smime::Fingerprint;
use smime::pkcs12::ExportOptions;

use super::{Context, mailbox};
use crate::args::ExportArgs;
use crate::failure::Failure;
use crate::files::{self, Content, Destination};
use crate::{output, secrets};

pub fn run(ctx: &Context, args: &ExportArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mailbox = mailbox(&args.mailbox)?;
    let fingerprint: Fingerprint = args.fingerprint.parse()?;
    // The export password is settled before the store is opened, as
    // import's bundle password is: a missing or blank one touches no store.
    let password = secrets::export_password(args.password_file.as_deref())?;
    let store = ctx.open_store()?;
    let identity = store.identity(&mailbox, &fingerprint)?;
    let mut options = ExportOptions::default().friendly_name(mailbox.canonical());
    if args.legacy {
        options = options.legacy();
    }
    // Sealed under the export password: not a secret in clear.
    let bundle = smime::pkcs12::export(&identity, &password, &options)?;
    let (_, destination) =
        files::with_output_to(args.output.as_deref(), out, Content::Secret, |w| {
            Ok(w.write_all(&bundle)?)
        })?;
    // No status line inside the bundle when --out is our stdout.
    if destination == Destination::Elsewhere {
        writeln!(
            out,
            "{}",
            output::exported_line(&mailbox, &fingerprint, args.legacy)
        )?;
    }
    Ok(())
}
