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
    ///
    /// The certificate is filed as [`Provenance::Added`]: mail is encrypted
    /// to it only if it chains to a trust anchor of the store (see
    /// [`Store::encryption_certificate`]); pin it
    /// ([`Store::pin_recipient_certificate`]) to trust it as is.
    pub fn add_recipient_certificate(&self, certificate: &Certificate) -> Result<bool> {
        self.file_recipient(certificate, None, Provenance::Added)
    }

    /// Files a correspondent's certificate like
    /// [`Store::add_recipient_certificate`], pinned: trusted for encryption
    /// as is, without a chain to a trust anchor (the user checked it, e.g.
    /// by its fingerprint). Pinning a certificate already filed upgrades
    /// it. Returns false when it was already pinned under every address.
    pub fn pin_recipient_certificate(&self, certificate: &Certificate) -> Result<bool> {
        self.file_recipient(certificate, None, Provenance::Pinned)
    }

    /// Files the certificates of the signers of a verified message whose
    /// signature is valid and whose chain is trusted
    /// ([`crate::VerifyReport::verified_signers`]), with the content
    /// encryptions each announced (SMIMECapabilities), so a reply can use
    /// AES-GCM where every recipient supports it. Returns how many
    /// certificates were filed or had their capabilities updated.
    ///
    /// Only trusted signers belong here ("Mailto: Me Your Secrets", 2020: an
    /// unsolicited certificate must not become a recipient): a certificate
    /// filed this way is trusted for encryption as is
    /// ([`Provenance::Signature`]). An older certificate is never
    /// replaced, only joined. Signers whose
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
            if self.file_recipient(&signer.certificate, announced, Provenance::Signature)? {
                filed += 1;
            }
        }
        Ok(filed)
    }

    /// Files `certificate` under each of its addresses; with `announced`
    /// (capabilities and the signingTime they came with), also records
    /// them, replacing older ones only with newer ones. A row's provenance
    /// only ever rises (added < signature < pinned).
    fn file_recipient(
        &self,
        certificate: &Certificate,
        announced: Option<(Vec<ContentEncryption>, u64)>,
        provenance: Provenance,
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
                            provenance: Some(provenance),
                            tag: Vec::new(),
                        };
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.insert_recipient(address, &record)?;
                    }
                    Some(old) => {
                        keys.mac.check_recipient(address, &old)?;
                        let old_provenance = old.provenance.unwrap_or(Provenance::Added);
                        let new_caps = capabilities.is_some()
                            && old.capabilities != capabilities
                            && newer(&old);
                        if !new_caps && provenance <= old_provenance {
                            continue;
                        }
                        let mut record = RecipientRecord {
                            provenance: Some(provenance.max(old_provenance)),
                            ..old
                        };
                        if new_caps {
                            record.capabilities = capabilities.clone();
                            record.capabilities_time = capabilities_time;
                        }
                        record.tag = keys.mac.recipient_tag(address, &record)?;
                        tx.update_recipient(address, &record)?;
                    }
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
    /// that has no usable certificate, [`Error::UntrustedRecipient`] for
    /// the first that has only untrusted ones.
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
    /// own mailboxes are this crate, which reads AES-GCM. An address with
    /// only untrusted certificates is judged by the one
    /// [`RecipientLookup::allow_untrusted`] would choose.
    pub fn negotiate_content_encryption(&self, addresses: &[Mailbox]) -> Result<ContentEncryption> {
        let now = SystemTime::now();
        let mut announced = Vec::with_capacity(addresses.len());
        for address in addresses {
            announced.push(match self.trusted_choice(address, now, true)?.1 {
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
    /// directory's certificates for it and the mailbox's own that are
    /// valid now, can be encrypted to and are not revoked by a stored CRL,
    /// the newest (latest notBefore) *trusted* one: an own certificate, one
    /// learnt from a trusted signature or pinned, or one that chains to a
    /// store trust anchor for S/MIME encryption. With only untrusted
    /// candidates, [`Error::UntrustedRecipient`] names the address
    /// ([`Store::encryption_certificate_with`] can allow them).
    pub fn encryption_certificate(&self, address: &Mailbox) -> Result<Certificate> {
        self.encryption_certificate_with(address, &RecipientLookup::new())
    }

    /// [`Store::encryption_certificate`] judged at `time`.
    pub fn encryption_certificate_at(
        &self,
        address: &Mailbox,
        time: SystemTime,
    ) -> Result<Certificate> {
        self.encryption_certificate_with(address, &RecipientLookup::new().at(time))
    }
}

/// The chosen encryption certificate and where it came from.
#[allow(dead_code)]
pub(super) enum Choice {
    Own(Record),
    Recipient(RecipientRecord),
}
