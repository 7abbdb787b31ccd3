//! `smime export`: one identity of a mailbox — private key, certificate,
//! chain — as a PKCS#12 bundle, modern (PBES2, PBKDF2-HMAC-SHA256,
//! AES-256-CBC, SHA-256 MAC) or `--legacy` (PBE-SHA1-3DES, SHA-1 MAC, for
//! gpgsm 2.2 and old Windows). A new `--out` file is created 0600.

use std::io::Write;

use smime::Fingerprint;
use smime::pkcs12::ExportOptions;

use super::{Context, mailbox};
use crate::args::ExportArgs;
use crate::failure::Failure;
use crate::files::{self, Content};
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
    files::with_output(args.output.as_deref(), out, Content::WhenComplete, |w| {
        Ok(w.write_all(&bundle)?)
    })?;
    if let Some(path) = &args.output {
        warn_if_readable_by_others(path);
        writeln!(
            out,
            "{}",
            output::exported_line(&mailbox, &fingerprint, args.legacy)
        )?;
    }
    Ok(())
}

/// A bundle is only as strong as its password against whoever can read
/// it: a replaced file keeps its mode (the `--out` rule), so say so when
/// others may read it. A new file is 0600.
#[cfg(unix)]
fn warn_if_readable_by_others(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "smime: warning: {}",
            output::bundle_readable_by_others(path, meta.permissions().mode())
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &std::path::Path) {}
