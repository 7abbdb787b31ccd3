//! `smime add-cert`: correspondents' certificates into the recipient
//! directory, filed under every address they name (`--pin`: trusted for
//! encryption as they are). Every file is read and
//! checked first, so a bad one adds nothing at all.

use std::io::Write;
use std::path::Path;

use smime::{Certificate, Mailbox};

use super::{Context, read_certificates};
use crate::args::AddCertArgs;
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, args: &AddCertArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut certs = Vec::new();
    for file in &args.files {
        certs.extend(recipient_certificates(file)?);
    }
    let store = ctx.open_store()?;
    for cert in &certs {
        if args.pin {
            let pinned = store.pin_recipient_certificate(cert)?;
            output::write_pinned(out, cert, pinned)?;
        } else {
            let added = store.add_recipient_certificate(cert)?;
            output::write_added(out, cert, added)?;
        }
    }
    Ok(())
}

/// The certificates of one file, checked as the recipient directory will
/// check them: no CA certificate, at least one usable e-mail address.
fn recipient_certificates(file: &Path) -> Result<Vec<Certificate>, Failure> {
    let certs = read_certificates(file)?;
    for cert in &certs {
        let unusable = |reason: &str| {
            Failure::Usage(format!(
                "{}: certificate {} cannot be used: {reason}",
                file.display(),
                cert.fingerprint()
            ))
        };
        if cert.is_ca() {
            return Err(unusable(
                "a CA certificate is not a correspondent's certificate",
            ));
        }
        if !cert
            .email_addresses()
            .iter()
            .any(|e| e.parse::<Mailbox>().is_ok())
        {
            return Err(unusable("it names no e-mail address"));
        }
    }
    Ok(certs)
}
