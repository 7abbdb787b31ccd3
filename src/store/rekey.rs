//! Re-keying (passphrase change, passphrase ↔ raw key) and the migration
//! of untagged stores: every row rewritten in one transaction.
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// Re-encrypts every private key of the store under `new_passphrase`
    /// and re-tags every row, in one transaction: on any failure the store
    /// keeps the old key and every row as it was. An empty or blank
    /// passphrase is refused ([`Error::EmptyPassphrase`]).
    pub fn change_passphrase(&self, new_passphrase: &Passphrase) -> Result<()> {
        self.rekey(new_passphrase)
    }

    /// [`Store::change_passphrase`] for either kind of key: passphrase to
    /// [`KeyEncryptionKey`] and back, or a new key of the same kind. Blocks
    /// every writer of the store while it runs (it rewrites every row).
    pub fn rekey<'k>(&self, new_key: impl Into<StoreKey<'k>>) -> Result<()> {
        let new_key = new_key.into();
        let old = self.keys();
        let (params, new) = seal::KeyParams::fresh(new_key)?;
        self.backend.write(&mut |tx| {
            tx.lock(Lock::Key { exclusive: true })?;
            if !old.current(tx.meta(META_CHECK)?.as_deref()) {
                return Err(Error::StoreKeyChanged);
            }
            retag_all(tx, Some(&old), &new)?;
            params.write_to(tx)
        })?;
        *self.keys.write().map_err(|_| poisoned())? = Arc::new(new);
        Ok(())
    }
}

/// Brings a store whose rows carry no tags yet (schema 3 and older, check
/// value v1) to tagged rows: facts derived from each certificate, every row
/// tagged, the policy row written and a v2 check value, in one
/// transaction. Runs only after the key was proven right.
pub(super) fn migrate_tags(backend: &dyn Backend, keys: Keys) -> Result<Keys> {
    let mut check = None;
    backend.write(&mut |tx| {
        check = None;
        tx.lock(Lock::Key { exclusive: true })?;
        let stored = tx.meta(META_CHECK)?;
        if let Some(stored) = stored.as_deref().filter(|c| seal::is_v2(&keys, c)) {
            // Another process migrated meanwhile.
            check = Some(stored.to_vec());
            return Ok(());
        }
        if !keys.current(stored.as_deref()) {
            return Err(Error::StoreKeyChanged);
        }
        retag_all(tx, None, &keys)?;
        let v2 = seal::check_v2(&keys)?;
        tx.set_meta(META_CHECK, &v2)?;
        check = Some(v2);
        Ok(())
    })?;
    let check = check.ok_or(Error::Store(StoreFailure::Internal(
        "the backend did not run the migration",
    )))?;
    Ok(Keys { check, ..keys })
}

/// Re-tags every row of the store under `new` (and re-seals every private
/// key when the KEK changes). With `old`, every row is first checked under
/// the old keys, so a re-key never launders a tampered row; without
/// (migration from untagged rows) facts are derived from the certificates.
pub(super) fn retag_all(tx: &mut dyn Transaction, old: Option<&Keys>, new: &Keys) -> Result<()> {
    let unsealing = old.unwrap_or(new);
    for mailbox in tx.mailboxes()? {
        let has_records = !tx.heads(&mailbox)?.is_empty();
        for mut record in tx.records(&mailbox)? {
            match old {
                Some(old) => old.mac.check_record(&mailbox, &record)?,
                None => {
                    if Fingerprint::of(&record.certificate) != record.fingerprint {
                        return Err(corrupt(C::Certificate {
                            mailbox: mailbox.clone(),
                            fingerprint: record.fingerprint,
                        }));
                    }
                    record.facts =
                        CertFacts::of(&Certificate::from_der(&record.certificate)?, &mailbox);
                }
            }
            let aad = key_aad(&mailbox, &record.fingerprint);
            let key = unsealing.kek.open(&record.sealed_key, &aad).map_err(|_| {
                corrupt(C::PrivateKey {
                    mailbox: mailbox.clone(),
                    fingerprint: record.fingerprint,
                })
            })?;
            record.sealed_key = new.kek.seal(&key, &aad)?;
            new.mac.tag_record(&mailbox, &mut record)?;
            tx.update_record(&mailbox, &record)?;
        }
        let settings = match (old, tx.settings(&mailbox)?) {
            (Some(old), Some(row)) => {
                old.mac.check_settings(&mailbox, &row.settings, &row.tag)?;
                row.settings
            }
            (Some(_), None) if has_records => {
                return Err(corrupt(C::Settings {
                    mailbox: mailbox.clone(),
                }));
            }
            (_, row) => row.map(|r| r.settings).unwrap_or_default(),
        };
        put_settings(tx, new, &mailbox, &settings)?;
    }
    for address in tx.recipient_addresses()? {
        for mut record in tx.recipients(&address)? {
            match old {
                Some(old) => old.mac.check_recipient(&address, &record)?,
                None => {
                    record.facts =
                        CertFacts::of(&Certificate::from_der(&record.certificate)?, &address);
                }
            }
            record.tag = new.mac.recipient_tag(&address, &record)?;
            tx.update_recipient(&address, &record)?;
        }
    }
    for mut domain in tx.domains()? {
        if let Some(old) = old {
            old.mac
                .check_domain(&domain.name, &domain.policy, &domain.tag)?;
        }
        domain.tag = new.mac.domain_tag(&domain.name, &domain.policy)?;
        tx.set_domain(&domain)?;
    }
    super::trust::retag_trust(tx, old, new)?;
    let required = match old {
        Some(old) => require_enablement(tx, old)?,
        None => false,
    };
    tx.set_meta(
        META_POLICY,
        &new.mac.seal_meta(META_POLICY, &[u8::from(required)])?,
    )
}
