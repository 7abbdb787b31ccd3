//! [`MemoryBackend`]: mailboxes in process memory, for tests and ephemeral use.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;

use super::backend::{Backend, RecipientRecord, Record, Settings, Transaction};
use crate::cert::Fingerprint;
use crate::error::Result;
use crate::mailbox::Mailbox;

#[derive(Clone, Default)]
struct Slot {
    mailbox: Option<Mailbox>,
    records: Vec<Record>,
    settings: Settings,
}

/// Keeps everything in a map; a write works on a copy that replaces the
/// original only on success, which makes every write atomic.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    slots: BTreeMap<String, Slot>,
    meta: BTreeMap<String, Vec<u8>>,
    recipients: BTreeMap<String, Vec<RecipientRecord>>,
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Transaction for MemoryBackend {
    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        Ok(self
            .slots
            .values()
            .filter_map(|s| s.mailbox.clone())
            .collect())
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .map(|s| s.records.clone())
            .unwrap_or_default())
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Settings> {
        Ok(self
            .slots
            .get(mailbox.canonical())
            .map(|s| s.settings.clone())
            .unwrap_or_default())
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

    fn set_settings(&mut self, mailbox: &Mailbox, settings: &Settings) -> Result<()> {
        self.slot(mailbox).settings = settings.clone();
        Ok(())
    }

    fn replace_sealed_key(
        &mut self,
        mailbox: &Mailbox,
        fingerprint: &Fingerprint,
        sealed_key: &[u8],
    ) -> Result<()> {
        let records = self
            .slots
            .get_mut(mailbox.canonical())
            .map(|s| s.records.iter_mut());
        for record in records
            .into_iter()
            .flatten()
            .filter(|r| &r.fingerprint == fingerprint)
        {
            record.sealed_key = sealed_key.to_vec();
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

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        Ok(self
            .recipients
            .get(address.canonical())
            .cloned()
            .unwrap_or_default())
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.recipients
            .entry(address.canonical().to_owned())
            .or_default()
            .push(record.clone());
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let Some(list) = self.recipients.get_mut(address.canonical()) else {
            return Ok(false);
        };
        let before = list.len();
        list.retain(|r| &r.fingerprint != fingerprint);
        Ok(list.len() != before)
    }
}

impl MemoryBackend {
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
        f(self)
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut draft = self.clone();
        f(&mut draft)?;
        *self = draft;
        Ok(())
    }
}
