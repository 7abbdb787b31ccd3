//! [`MemoryBackend`]: mailboxes in process memory, for tests and ephemeral use.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::backend::{
    Backend, RecipientRecord, Record, RecordHead, StoredDomain, StoredSettings, Transaction,
    TrustKind, TrustRecord,
};
use crate::cert::Fingerprint;
use crate::error::{Error, Result, StoreFailure};
use crate::mailbox::Mailbox;

#[derive(Clone, Default)]
struct Slot {
    mailbox: Option<Mailbox>,
    records: Vec<Record>,
    settings: Option<StoredSettings>,
}

#[derive(Clone, Default)]
struct Data {
    slots: BTreeMap<String, Slot>,
    meta: BTreeMap<String, Vec<u8>>,
    recipients: BTreeMap<String, (Mailbox, Vec<RecipientRecord>)>,
    domains: BTreeMap<String, StoredDomain>,
    trust: Vec<TrustRecord>,
}

/// Keeps everything in a map behind a lock; a write works on a copy that
/// replaces the original only on success, which makes every write atomic,
/// and holds the write lock throughout, which serialises writers.
#[derive(Default)]
pub struct MemoryBackend {
    data: RwLock<Data>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    fn read_data(&self) -> Result<RwLockReadGuard<'_, Data>> {
        self.data.read().map_err(|_| poisoned())
    }

    fn write_data(&self) -> Result<RwLockWriteGuard<'_, Data>> {
        self.data.write().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::Store(StoreFailure::Internal(
        "a thread panicked inside a memory store transaction",
    ))
}

impl Transaction for Data {
    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        Ok(self
            .slots
            .values()
            .filter_map(|s| s.mailbox.clone())
            .collect())
    }

    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .map(|s| s.records.iter().map(Record::head).collect())
            .unwrap_or_default())
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .and_then(|s| s.records.iter().find(|r| &r.fingerprint == fingerprint))
            .cloned())
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .map(|s| s.records.clone())
            .unwrap_or_default())
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .and_then(|s| s.settings.clone()))
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.slot(mailbox).records.push(record.clone());
        Ok(())
    }

    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let Some(slot) = self.slots.get_mut(mailbox.canonical()) else {
            return Ok(false);
        };
        let before = slot.records.len();
        slot.records.retain(|r| &r.fingerprint != fingerprint);
        Ok(slot.records.len() != before)
    }

    fn set_settings(&mut self, mailbox: &Mailbox, settings: &StoredSettings) -> Result<()> {
        self.slot(mailbox).settings = Some(settings.clone());
        Ok(())
    }

    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        let slot = self.slot(mailbox);
        for r in slot
            .records
            .iter_mut()
            .filter(|r| r.fingerprint == record.fingerprint)
        {
            r.sealed_key = record.sealed_key.clone();
            r.facts = record.facts;
            r.tag = record.tag.clone();
            r.chain_tag = record.chain_tag.clone();
        }
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.meta.get(name).cloned())
    }

    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.meta.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn recipient_addresses(&self) -> Result<Vec<Mailbox>> {
        Ok(self
            .recipients
            .values()
            .filter(|(_, list)| !list.is_empty())
            .map(|(m, _)| m.clone())
            .collect())
    }

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        Ok(self
            .recipients
            .get(address.canonical())
            .map(|(_, list)| list.clone())
            .unwrap_or_default())
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.recipients
            .entry(address.canonical().to_owned())
            .or_insert_with(|| (address.clone(), Vec::new()))
            .1
            .push(record.clone());
        Ok(())
    }

    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        if let Some((_, list)) = self.recipients.get_mut(address.canonical()) {
            for r in list
                .iter_mut()
                .filter(|r| r.fingerprint == record.fingerprint)
            {
                r.capabilities = record.capabilities.clone();
                r.capabilities_time = record.capabilities_time;
                r.facts = record.facts;
                r.provenance = record.provenance;
                r.tag = record.tag.clone();
            }
        }
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let Some((_, list)) = self.recipients.get_mut(address.canonical()) else {
            return Ok(false);
        };
        let before = list.len();
        list.retain(|r| &r.fingerprint != fingerprint);
        Ok(list.len() != before)
    }

    fn domains(&self) -> Result<Vec<StoredDomain>> {
        Ok(self.domains.values().cloned().collect())
    }

    fn domain(&self, name: &str) -> Result<Option<StoredDomain>> {
        Ok(self.domains.get(name).cloned())
    }

    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()> {
        self.domains.insert(domain.name.clone(), domain.clone());
        Ok(())
    }

    fn delete_domain(&mut self, name: &str) -> Result<bool> {
        Ok(self.domains.remove(name).is_some())
    }

    fn trust_records(&self, kind: TrustKind) -> Result<Vec<TrustRecord>> {
        Ok(self
            .trust
            .iter()
            .filter(|r| r.kind == kind)
            .cloned()
            .collect())
    }

    fn put_trust_record(&mut self, record: &TrustRecord) -> Result<()> {
        match self
            .trust
            .iter_mut()
            .find(|r| r.kind == record.kind && r.key == record.key)
        {
            Some(r) => *r = record.clone(),
            None => self.trust.push(record.clone()),
        }
        Ok(())
    }

    fn delete_trust_record(&mut self, kind: TrustKind, key: &[u8]) -> Result<bool> {
        let before = self.trust.len();
        self.trust.retain(|r| !(r.kind == kind && r.key == key));
        Ok(self.trust.len() != before)
    }
}

impl Data {
    fn slot(&mut self, mailbox: &Mailbox) -> &mut Slot {
        let slot = self
            .slots
            .entry(mailbox.canonical().to_owned())
            .or_default();
        slot.mailbox.get_or_insert_with(|| mailbox.clone());
        slot
    }
}

impl Backend for MemoryBackend {
    fn read(&self, f: &mut dyn FnMut(&dyn Transaction) -> Result<()>) -> Result<()> {
        f(&*self.read_data()?)
    }

    fn write(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut data = self.write_data()?;
        let mut draft = data.clone();
        f(&mut draft)?;
        *data = draft;
        Ok(())
    }
}
