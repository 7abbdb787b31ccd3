//! Domain policy: which domains may use S/MIME (hosted mode) and whether
//! they may encrypt by default.
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// Sets the policy of `domain` (e.g. `"example.org"`, IDN domains in
    /// either form): whether its mailboxes may use S/MIME and encrypt by
    /// default. Disabling a domain keeps its mailboxes' certificates and
    /// settings; they are unusable until it is enabled again.
    pub fn set_domain_policy(&self, domain: &str, policy: DomainPolicy) -> Result<()> {
        let name = canonical_domain(domain)?;
        self.write(|tx, keys| {
            let tag = keys.mac.domain_tag(&name, &policy)?;
            tx.set_domain(&StoredDomain {
                name: name.clone(),
                policy,
                tag,
            })
        })
    }

    /// Forgets the policy of `domain`: it falls back to the store's default
    /// (enabled, unless [`Store::set_require_domain_enablement`] is on).
    /// Returns false when the domain had no policy.
    pub fn remove_domain_policy(&self, domain: &str) -> Result<bool> {
        let name = canonical_domain(domain)?;
        self.write(|tx, _| tx.delete_domain(&name))
    }

    /// The policy that applies to `domain`: its own, else the default
    /// ([`DomainPolicy::DISABLED`] when the store requires enablement,
    /// [`DomainPolicy::ENABLED`] otherwise).
    pub fn domain_policy(&self, domain: &str) -> Result<DomainPolicy> {
        let name = canonical_domain(domain)?;
        self.read(|tx, keys| effective_policy(tx, keys, &name))
    }

    /// Every domain with a policy of its own, by name.
    pub fn domain_policies(&self) -> Result<Vec<(String, DomainPolicy)>> {
        self.read(|tx, keys| {
            let rows = tx.domains()?;
            rows.into_iter()
                .map(|d| {
                    keys.mac.check_domain(&d.name, &d.policy, &d.tag)?;
                    Ok((d.name, d.policy))
                })
                .collect()
        })
    }

    /// Hosted mode: when on, only domains enabled with
    /// [`Store::set_domain_policy`] may use S/MIME (import, signing,
    /// decryption, encryption by default); every other mailbox gets
    /// [`Error::DomainNotEnabled`]. Off (the default, for a desktop
    /// client): every domain without a policy of its own is enabled.
    pub fn set_require_domain_enablement(&self, on: bool) -> Result<()> {
        self.write(|tx, keys| {
            tx.set_meta(
                META_POLICY,
                &keys.mac.seal_meta(META_POLICY, &[u8::from(on)])?,
            )
        })
    }

    /// Whether the store is in hosted mode
    /// ([`Store::set_require_domain_enablement`]).
    pub fn requires_domain_enablement(&self) -> Result<bool> {
        self.read(|tx, keys| require_enablement(tx, keys))
    }

    /// `Ok` when `mailbox` may use S/MIME under the domain policy, else
    /// [`Error::DomainNotEnabled`] naming its domain: lets a web client
    /// hide the S/MIME settings of a domain that is not enabled.
    pub fn check_domain_enabled(&self, mailbox: &Mailbox) -> Result<()> {
        self.read(|tx, keys| allowed(tx, keys, mailbox).map(|_| ()))
    }
}

/// The domain part of a canonical mailbox.
pub(super) fn domain_of(mailbox: &Mailbox) -> &str {
    mailbox.canonical().rsplit_once('@').map_or("", |(_, d)| d)
}

/// `domain` in the form mailboxes use (lower-case A-labels), validated.
pub(super) fn canonical_domain(domain: &str) -> Result<String> {
    let mailbox: Mailbox = format!("postmaster@{}", domain.trim()).parse()?;
    Ok(domain_of(&mailbox).to_owned())
}

pub(super) fn require_enablement(tx: &dyn Transaction, keys: &Keys) -> Result<bool> {
    let stored = tx
        .meta(META_POLICY)?
        .ok_or_else(|| corrupt(C::Meta { name: META_POLICY }))?;
    match keys.mac.open_meta(META_POLICY, &stored)? {
        [0] => Ok(false),
        [1] => Ok(true),
        _ => Err(corrupt(C::Meta { name: META_POLICY })),
    }
}

pub(super) fn effective_policy(
    tx: &dyn Transaction,
    keys: &Keys,
    name: &str,
) -> Result<DomainPolicy> {
    let required = require_enablement(tx, keys)?;
    match tx.domain(name)? {
        Some(row) => {
            keys.mac.check_domain(name, &row.policy, &row.tag)?;
            Ok(row.policy)
        }
        None if required => Ok(DomainPolicy::DISABLED),
        None => Ok(DomainPolicy::ENABLED),
    }
}

pub(super) fn domain_policy_for(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
) -> Result<(String, DomainPolicy)> {
    let domain = domain_of(mailbox);
    Ok((domain.to_owned(), effective_policy(tx, keys, domain)?))
}

/// The policy of the mailbox's domain, or [`Error::DomainNotEnabled`].
pub(super) fn allowed(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
) -> Result<DomainPolicy> {
    let (domain, policy) = domain_policy_for(tx, keys, mailbox)?;
    if policy.enabled {
        Ok(policy)
    } else {
        Err(Error::DomainNotEnabled { domain })
    }
}
