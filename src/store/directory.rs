//! The recipient directory: correspondents' certificates, the encryption
//! certificate of an address, and content-encryption negotiation.
#![forbid(unsafe_code)]

use super::*;

impl Store {
    /// Files a correspondent's certificate in the recipient directory, under
    /// every address it names, for [`Store::encryption_certificate`].
    /// Returns false when it was already filed under all of them. The
    /// directory is not subject to [`MAX_CERTS_PER_MAILBOX`]; a newer
    /// certificate never replaces an older one, it is kept beside it.
    pub fn add_recipient_certificate(&self, certificate: &Certificate) -> Result<bool> {
        self.file_recipient(certificate, None)
    }

    /// Files the certificates of the signers of a verified message whose
    /// signature is valid and whose chain is trusted
    /// ([`crate::VerifyReport::verified_signers`]), with the content
    /// encryptions each announced (SMIMECapabilities), so a reply can use
    /// AES-GCM where every recipient supports it. Returns how many
    /// certificates were filed or had their capabilities updated.
    ///
    /// Only trusted signers belong here ("Mailto: Me Your Secrets", 2020: an
    /// unsolicited certificate must not become a recipient), and an older
    /// certificate is never replaced, only joined. Signers whose
    /// certificate cannot be encrypted to are skipped.
    pub fn add_verified_signers(&self, signers: &[VerifiedSigner]) -> Result<usize> {
        let mut filed = 0;
        for signer in signers {
            if !signer.certificate.can_decrypt() {
                continue;
            }
            let announced = signer.capabilities.clone().map(|caps| {
                let time = signer.signing_time.map_or(0, backend::unix_seconds);
                (caps, time)
            });
            if self.file_recipient(&signer.certificate, announced)? {
                filed += 1;
            }
        }
        Ok(filed)
    }

    /// Files `certificate` under each of its addresses; with `announced`
    /// (capabilities and the signingTime they came with), also records
    /// them, replacing older ones only with newer ones.
    fn file_recipient(
        &self,
        certificate: &Certificate,
        announced: Option<(Vec<ContentEncryption>, u64)>,
    ) -> Result<bool> {
        let unusable = |reason| Error::CertificateNotUsable {
            fingerprint: certificate.fingerprint(),
            reason,
        };
        if certificate.is_ca() {
            return Err(unusable(Unusable::CaCertificate));
        }
        let addresses: Vec<Mailbox> = certificate
            .email_addresses()
            .iter()
            .filter_map(|e| e.parse().ok())
            .collect();
        if addresses.is_empty() {
            return Err(unusable(Unusable::NoAddress));
        }
        let fingerprint = certificate.fingerprint();
        let (capabilities, capabilities_time) = match &announced {
            Some((caps, time)) => (Some(caps.clone()), Some(*time)),
            None => (None, None),
        };
        let added_at = backend::unix_seconds(SystemTime::now());
        self.write(|tx, keys| {
            let mut changed = false;
            for address in &addresses {
                tx.lock(Lock::Mailbox(address))?;
                let existing = tx
                    .recipients(address)?
                    .into_iter()
                    .find(|r| r.fingerprint == fingerprint);
                let newer = |old: &RecipientRecord| {
                    old.capabilities_time
                        .is_none_or(|t| capabilities_time.is_some_and(|n| n > t))
                };
                match existing {
                    None => {
                        let mut record = RecipientRecord {
                            fingerprint,
                            certificate: certificate.to_der().to_vec(),
                            added_at,
                            capabilities: capabilities.clone(),
                            capabilities_time,
                            facts: CertFacts::of(certificate, address),
                            tag: Vec::new(),
                        };
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.insert_recipient(address, &record)?;
                    }
                    Some(old)
                        if capabilities.is_some()
                            && old.capabilities != capabilities
                            && newer(&old) =>
                    {
                        keys.mac.check_recipient(address, &old)?;
                        let mut record = RecipientRecord {
                            capabilities: capabilities.clone(),
                            capabilities_time,
                            ..old
                        };
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.update_recipient(address, &record)?;
                    }
                    Some(_) => continue,
                }
                changed = true;
            }
            Ok(changed)
        })
    }

    /// What the correspondent behind `fingerprint` announced it can
    /// decrypt; `None` when unknown.
    pub fn recipient_capabilities(
        &self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Vec<ContentEncryption>>> {
        self.read(|tx, keys| {
            let Some(record) = tx
                .recipients(address)?
                .into_iter()
                .find(|r| &r.fingerprint == fingerprint)
            else {
                return Ok(None);
            };
            keys.mac.check_recipient(address, &record)?;
            Ok(record.capabilities)
        })
    }

    /// The certificates to encrypt a message from `sender` to `addresses`:
    /// each address's [`Store::encryption_certificate`], plus the sender's
    /// own (encrypt-to-self, so the sent copy stays readable), without
    /// duplicates. Fails with [`Error::NotFound`] naming the first address
    /// that has no usable certificate.
    pub fn recipients_for(
        &self,
        sender: &Mailbox,
        addresses: &[Mailbox],
    ) -> Result<Vec<Certificate>> {
        let mut out: Vec<Certificate> = Vec::with_capacity(addresses.len() + 1);
        for address in addresses.iter().chain(std::iter::once(sender)) {
            let cert = self.encryption_certificate(address)?;
            if !out.iter().any(|c| c.fingerprint() == cert.fingerprint()) {
                out.push(cert);
            }
        }
        Ok(out)
    }

    /// The content encryption to use for mail to `addresses`
    /// ([`ContentEncryption::negotiate`]): AES-GCM only when every
    /// recipient's chosen certificate is known to support it. The store's
    /// own mailboxes are this crate, which reads AES-GCM.
    pub fn negotiate_content_encryption(&self, addresses: &[Mailbox]) -> Result<ContentEncryption> {
        let now = SystemTime::now();
        let mut announced = Vec::with_capacity(addresses.len());
        for address in addresses {
            announced.push(match self.encryption_choice(address, now)? {
                Choice::Own(_) => Some(vec![
                    ContentEncryption::Aes256Gcm,
                    ContentEncryption::Aes128Gcm,
                    ContentEncryption::Aes256Cbc,
                ]),
                Choice::Recipient(record) => record.capabilities,
            });
        }
        Ok(ContentEncryption::negotiate(&announced))
    }

    /// The certificates filed under `address` in the recipient directory.
    pub fn recipient_certificates(&self, address: &Mailbox) -> Result<Vec<Certificate>> {
        let records = self.read(|tx, keys| {
            let records = tx.recipients(address)?;
            for r in &records {
                keys.mac.check_recipient(address, r)?;
            }
            Ok(records)
        })?;
        records
            .iter()
            .map(|r| Certificate::from_der(&r.certificate))
            .collect()
    }

    /// Removes a certificate from the recipient directory entry of `address`.
    pub fn remove_recipient_certificate(
        &self,
        address: &Mailbox,
        fingerprint: &Fingerprint,
    ) -> Result<()> {
        self.write(|tx, _| {
            tx.lock(Lock::Mailbox(address))?;
            if tx.delete_recipient(address, fingerprint)? {
                Ok(())
            } else {
                Err(Error::NotFound(Missing::RecipientCertificate {
                    address: address.clone(),
                    fingerprint: *fingerprint,
                }))
            }
        })
    }

    /// The certificate to encrypt to `address`: among the recipient
    /// directory's certificates for it and the mailbox's own, the newest
    /// (latest notBefore) that is valid now and can be encrypted to.
    ///
    /// Decided on the authenticated facts of each row; only the chosen
    /// certificate is parsed.
    pub fn encryption_certificate(&self, address: &Mailbox) -> Result<Certificate> {
        self.encryption_certificate_at(address, SystemTime::now())
    }

    /// [`Store::encryption_certificate`] judged at `time`.
    pub fn encryption_certificate_at(
        &self,
        address: &Mailbox,
        time: SystemTime,
    ) -> Result<Certificate> {
        match self.encryption_choice(address, time)? {
            Choice::Own(record) => Certificate::from_der(&record.certificate),
            Choice::Recipient(record) => Certificate::from_der(&record.certificate),
        }
    }

    fn encryption_choice(&self, address: &Mailbox, time: SystemTime) -> Result<Choice> {
        self.read(|tx, keys| {
            let recipients = tx.recipients(address)?;
            let heads = checked_heads(tx, keys, address)?;
            let usable = |f: &CertFacts| f.can_decrypt && f.names_address && f.valid_at(time);
            // Recipients first, own certificates after: on a tie the last
            // one (an own certificate) wins, as before.
            let mut best: Option<(i64, Result<usize, Fingerprint>)> = None;
            for (i, r) in recipients.iter().enumerate() {
                keys.mac.check_recipient(address, r)?;
                if usable(&r.facts)
                    && best
                        .as_ref()
                        .is_none_or(|(nb, _)| r.facts.not_before >= *nb)
                {
                    best = Some((r.facts.not_before, Ok(i)));
                }
            }
            for h in &heads {
                if usable(&h.facts)
                    && best
                        .as_ref()
                        .is_none_or(|(nb, _)| h.facts.not_before >= *nb)
                {
                    best = Some((h.facts.not_before, Err(h.fingerprint)));
                }
            }
            let missing = || Error::NotFound(Missing::EncryptionCertificate(address.clone()));
            match best {
                None => Err(missing()),
                Some((_, Ok(i))) => recipients
                    .get(i)
                    .cloned()
                    .map(Choice::Recipient)
                    .ok_or_else(missing),
                Some((_, Err(fp))) => {
                    let record = tx.record(address, &fp)?.ok_or_else(missing)?;
                    keys.mac.check_record(address, &record)?;
                    Ok(Choice::Own(record))
                }
            }
        })
    }
}

/// The chosen encryption certificate and where it came from.
pub(super) enum Choice {
    Own(Record),
    Recipient(RecipientRecord),
}
