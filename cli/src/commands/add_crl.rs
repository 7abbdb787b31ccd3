//! `smime add-crl`: CRLs into the store, one per issuer. Every file is read
//! first, so a bad one adds nothing; each CRL must then be signed by a
//! trust anchor or intermediate of the store (exit 3 otherwise).

use std::io::Write;

use smime::Crl;

use super::Context;
use crate::args::AddCrlArgs;
use crate::failure::Failure;
use crate::{files, output};

pub fn run(ctx: &Context, args: &AddCrlArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut crls = Vec::new();
    for file in &args.files {
        let bytes = files::read(file)?;
        let parsed = Crl::all_from_pem_or_der(&bytes)
            .map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?;
        crls.extend(parsed);
    }
    let store = ctx.open_store()?;
    for crl in &crls {
        let update = store.add_crl(crl, &[])?;
        output::write_crl_update(out, crl, update)?;
    }
    Ok(())
}
