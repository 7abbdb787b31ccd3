//! `smime domain`: the store's per-domain S/MIME policy (the hosted-mail
//! administrator's switch) and hosted mode, in which only enabled domains
//! may import, sign, decrypt or encrypt by default.

use std::io::Write;

use smime::DomainPolicy;

use super::Context;
use crate::args::DomainCommand;
use crate::failure::Failure;
use crate::output;

pub fn run(ctx: &Context, command: &DomainCommand, out: &mut impl Write) -> Result<(), Failure> {
    match command {
        DomainCommand::Enable(args) => {
            let domain = checked(&args.domain)?;
            let policy = DomainPolicy::new(true, !args.no_encrypt_by_default);
            ctx.open_store()?.set_domain_policy(&domain, policy)?;
            output::write_domain_set(out, &domain, &policy)?;
        }
        DomainCommand::Disable(args) => {
            let domain = checked(&args.domain)?;
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

/// The domain in the form the store keeps (lower-case A-labels), checked
/// before the store is opened: as a mailbox's domain (`postmaster@D`),
/// the rule the store applies itself.
fn checked(domain: &str) -> Result<String, Failure> {
    let invalid = || Failure::Usage(output::invalid_domain(domain));
    let probe: smime::Mailbox = format!("postmaster@{}", domain.trim())
        .parse()
        .map_err(|_| invalid())?;
    probe
        .canonical()
        .rsplit_once('@')
        .map(|(_, d)| d.to_owned())
        .ok_or_else(invalid)
}
