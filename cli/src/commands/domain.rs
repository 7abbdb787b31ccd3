//! `smime domain`: the store's per-domain S/MIME policy (the hosted-mail
//! administrator's switch) and hosted mode, in which only enabled domains
//! may import, sign, decrypt or encrypt by default.

use std::io::Write;

use smime::DomainPolicy;

use super::Context;
use crate::args::{DomainArgs, DomainCommand};
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, command: &DomainCommand, out: &mut impl Write) -> Result<(), Failure> {
    // The domain is checked before the store is opened.
    let checked = |args: &DomainArgs| -> Result<String, Failure> {
        let probe: smime::Mailbox = format!("postmaster@{}", args.domain.trim())
            .parse()
            .map_err(|_| Failure::Usage(output::invalid_domain(&args.domain)))?;
        Ok(probe
            .canonical()
            .rsplit_once('@')
            .map_or_else(String::new, |(_, d)| d.to_owned()))
    };
    match command {
        DomainCommand::Enable(args) => {
            let domain = checked(args)?;
            let policy = DomainPolicy::new(true, !args.no_encrypt_by_default);
            ctx.open_store()?.set_domain_policy(&domain, policy)?;
            output::write_domain_set(out, &domain, &policy)?;
        }
        DomainCommand::Disable(args) => {
            let domain = checked(args)?;
            ctx.open_store()?
                .set_domain_policy(&domain, DomainPolicy::DISABLED)?;
            output::write_domain_set(out, &domain, &DomainPolicy::DISABLED)?;
        }
        DomainCommand::List(args) => {
            let store = ctx.open_store()?;
            let require = store.requires_domain_enablement()?;
            output::write_domains(out, require, &store.domain_policies()?, args.json)?;
        }
        DomainCommand::Require(args) => {
            let on = bool::from(args.switch);
            ctx.open_store()?.set_require_domain_enablement(on)?;
            output::write_require(out, on)?;
        }
    }
    Ok(())
}
