//! [`MemoryBackend`]: mailboxes in process memory, for tests and ephemeral use.

use std::collections::BTreeMap;

use super::backend::{Backend, Record, Settings, Transaction};
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
