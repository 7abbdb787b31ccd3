//! Per-mailbox settings (sign / encrypt by default, the chosen signer) and
//! the choice of the signing identity.
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// The settings of `mailbox` as they take effect: encryption by
    /// default reads as off while the mailbox's domain does not allow it,
    /// both switches as off while the domain may not use S/MIME.
    pub fn settings(&self, mailbox: &Mailbox) -> Result<Settings> {
        self.read(|tx, keys| {
            let mut settings = stored_settings(tx, keys, mailbox)?;
            let (_, policy) = domain_policy_for(tx, keys, mailbox)?;
            if !policy.enabled {
                settings.sign_by_default = false;
            }
            if !(policy.enabled && policy.encryption_allowed) {
                settings.encrypt_by_default = false;
            }
            Ok(settings)
        })
    }

    /// Sign outgoing mail of `mailbox` by default, or not.
    pub fn set_sign_by_default(&self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.sign_by_default = on)
    }

    /// Encrypt outgoing mail of `mailbox` by default, or not. Switching it
    /// on is refused with [`Error::NoDecryptionCertificate`] while no
    /// certificate of the mailbox can decrypt (the user could not read
    /// their own sent mail), with [`Error::DomainNotEnabled`] while the
    /// mailbox's domain may not use S/MIME and with
    /// [`Error::EncryptionNotAllowed`] while it may not encrypt by default.
    pub fn set_encrypt_by_default(&self, mailbox: &Mailbox, on: bool) -> Result<()> {
        self.update_settings(mailbox, |s| s.encrypt_by_default = on)
    }

    /// Chooses the signing certificate of `mailbox` (`None`: automatic).
    /// The certificate must be in the mailbox and allowed to sign.
    pub fn set_default_signer(
        &self,
        mailbox: &Mailbox,
        fingerprint: Option<Fingerprint>,
    ) -> Result<()> {
        self.update_settings(mailbox, |s| s.default_signer = fingerprint)
    }

    /// Changes several settings of `mailbox` in one transaction: `change`
    /// edits a copy of the current settings, the result is checked against
    /// the rules of the setters above, and either all of it is stored or
    /// nothing (the error says which rule refused).
    pub fn update_settings(&self, mailbox: &Mailbox, change: impl Fn(&mut Settings)) -> Result<()> {
        self.write(|tx, keys| {
            let (domain, policy) = domain_policy_for(tx, keys, mailbox)?;
            tx.lock(Lock::Mailbox(mailbox))?;
            let heads = checked_heads(tx, keys, mailbox)?;
            let mut settings = stored_settings(tx, keys, mailbox)?;
            change(&mut settings);
            if settings.encrypt_by_default {
                if !policy.enabled {
                    return Err(Error::DomainNotEnabled { domain });
                }
                if !policy.encryption_allowed {
                    return Err(Error::EncryptionNotAllowed { domain });
                }
            }
            check_settings(mailbox, &heads, &settings)?;
            put_settings(tx, keys, mailbox, &settings)
        })
    }

    /// The identity `mailbox` signs with: the chosen one, else the newest
    /// (latest notBefore) certificate that is valid now and can sign.
    /// Refused with [`Error::DomainNotEnabled`] when the mailbox's domain
    /// may not use S/MIME.
    ///
    /// Costs a few indexed reads, one HMAC per certificate of the mailbox,
    /// and parsing and unsealing only the chosen certificate and key.
    pub fn default_signer(&self, mailbox: &Mailbox) -> Result<Identity> {
        self.default_signer_at(mailbox, SystemTime::now())
    }

    /// Which certificate [`Store::default_signer`] would sign with, without
    /// parsing it or unsealing its key (for a settings page, or to cache
    /// identities by fingerprint): a few indexed reads and one HMAC per
    /// certificate of the mailbox. Same rules and errors.
    pub fn default_signer_fingerprint(&self, mailbox: &Mailbox) -> Result<Fingerprint> {
        let time = SystemTime::now();
        self.read(|tx, keys| signer_choice(tx, keys, mailbox, time))
    }

    /// [`Store::default_signer`] judged at `time` instead of now.
    pub fn default_signer_at(&self, mailbox: &Mailbox, time: SystemTime) -> Result<Identity> {
        let record = self.read(|tx, keys| {
            let fp = signer_choice(tx, keys, mailbox, time)?;
            tx.record(mailbox, &fp)?
                .ok_or_else(|| not_found(mailbox, &fp))
        })?;
        unseal(&self.keys(), mailbox, &record)
    }
}

/// The stored settings of `mailbox`, checked; defaults when there is no
/// row, unless the mailbox holds certificates (then the row was deleted).
pub(super) fn stored_settings(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
) -> Result<Settings> {
    match tx.settings(mailbox)? {
        Some(row) => {
            keys.mac.check_settings(mailbox, &row.settings, &row.tag)?;
            Ok(row.settings)
        }
        None => stored_settings_given(tx, keys, mailbox, !tx.heads(mailbox)?.is_empty()),
    }
}

pub(super) fn stored_settings_given(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    has_records: bool,
) -> Result<Settings> {
    match tx.settings(mailbox)? {
        Some(row) => {
            keys.mac.check_settings(mailbox, &row.settings, &row.tag)?;
            Ok(row.settings)
        }
        None if has_records => Err(corrupt(C::Settings {
            mailbox: mailbox.clone(),
        })),
        None => Ok(Settings::default()),
    }
}

pub(super) fn put_settings(
    tx: &mut dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    settings: &Settings,
) -> Result<()> {
    let tag = keys.mac.settings_tag(mailbox, settings)?;
    tx.set_settings(
        mailbox,
        &StoredSettings {
            settings: settings.clone(),
            tag,
        },
    )
}

/// The fingerprint `mailbox` signs with at `time`: the chosen one, else the
/// newest valid one that can sign (domain policy checked first).
pub(super) fn signer_choice(
    tx: &dyn Transaction,
    keys: &Keys,
    mailbox: &Mailbox,
    time: SystemTime,
) -> Result<Fingerprint> {
    allowed(tx, keys, mailbox)?;
    let heads = checked_heads(tx, keys, mailbox)?;
    let settings = stored_settings_given(tx, keys, mailbox, !heads.is_empty())?;
    settings
        .default_signer
        .filter(|fp| heads.iter().any(|h| &h.fingerprint == fp))
        .or_else(|| newest_signer(&heads, time))
        .ok_or_else(|| Error::NotFound(Missing::SigningCertificate(mailbox.clone())))
}

/// The newest (notBefore, then import time) head valid at `time` that can sign.
pub(super) fn newest_signer(heads: &[RecordHead], time: SystemTime) -> Option<Fingerprint> {
    heads
        .iter()
        .filter(|h| h.facts.can_sign && h.facts.valid_at(time))
        .max_by_key(|h| (h.facts.not_before, h.imported_at))
        .map(|h| h.fingerprint)
}

/// The rules every stored [`Settings`] value obeys.
pub(super) fn check_settings(
    mailbox: &Mailbox,
    heads: &[RecordHead],
    settings: &Settings,
) -> Result<()> {
    if settings.encrypt_by_default && !heads.iter().any(|h| h.facts.can_decrypt) {
        return Err(Error::NoDecryptionCertificate(mailbox.clone()));
    }
    if let Some(fp) = settings.default_signer {
        let head = heads
            .iter()
            .find(|h| h.fingerprint == fp)
            .ok_or_else(|| not_found(mailbox, &fp))?;
        if !head.facts.can_sign {
            return Err(Error::CertificateNotUsable {
                fingerprint: fp,
                reason: Unusable::CannotSign,
            });
        }
    }
    Ok(())
}
