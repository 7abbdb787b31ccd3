//! [`Transaction`] on one SQLite connection: the queries behind every
//! store operation.
#![forbid(unsafe_code)]

use super::*;

pub(super) struct SqlTx<'a>(pub(super) &'a Connection);

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl SqlTx<'_> {
    fn ensure_mailbox(&self, mailbox: &Mailbox) -> Result<()> {
        self.0
            .prepare_cached("INSERT OR IGNORE INTO mailboxes (address, display) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![mailbox.canonical(), mailbox.as_str()]))
            .map_err(db_err)?;
        Ok(())
    }

    fn chain(&self, id: i64) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT der FROM chain WHERE certificate_id = ?1 ORDER BY position")
            .map_err(db_err)?;
        let rows = stmt.query_map([id], |r| r.get(0)).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }
}

type RecordRow = (
    i64,
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    i64,
    i64,
    i64,
    i64,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

const RECORD_COLUMNS: &str = "id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after, flags, tag, chain_tag";

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

impl SqlTx<'_> {
    fn to_record(&self, row: RecordRow) -> Result<Record> {
        let (id, fp, certificate, sealed_key, imported_at, nb, na, flags, tag, chain_tag) = row;
        Ok(Record {
            fingerprint: parse_fingerprint(&fp, "certificates")?,
            certificate,
            chain: self.chain(id)?,
            sealed_key,
            imported_at: to_u64(imported_at),
            facts: CertFacts::from_columns(nb, na, flags),
            tag: tag.unwrap_or_default(),
            chain_tag: chain_tag.unwrap_or_default(),
        })
    }
}

impl Transaction for SqlTx<'_> {
    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT address, display FROM mailboxes ORDER BY address")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(db_err)?;
        rows.map(|r| {
            let (address, display) = r.map_err(db_err)?;
            let mailbox = parse_mailbox(&display, "mailboxes")?;
            // Rows are keyed by the canonical form; should its definition
            // ever change, say so instead of silently missing rows.
            if mailbox.canonical() != address {
                return Err(corrupt(Corrupted::Row { table: "mailboxes" }));
            }
            Ok(mailbox)
        })
        .collect()
    }

    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT fingerprint, imported_at, not_before, not_after, flags, tag
                 FROM certificates WHERE mailbox = ?1 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([mailbox.canonical()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<Vec<u8>>>(5)?,
                ))
            })
            .map_err(db_err)?;
        rows.map(|row| {
            let (fp, imported_at, nb, na, flags, tag) = row.map_err(db_err)?;
            Ok(RecordHead {
                fingerprint: parse_fingerprint(&fp, "certificates")?,
                imported_at: to_u64(imported_at),
                facts: CertFacts::from_columns(nb, na, flags),
                tag: tag.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>> {
        let row = self
            .0
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM certificates WHERE mailbox = ?1 AND fingerprint = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(
                    params![mailbox.canonical(), fingerprint.as_bytes().as_slice()],
                    record_row,
                )
                .optional()
            })
            .map_err(db_err)?;
        row.map(|row| self.to_record(row)).transpose()
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        let rows: Vec<RecordRow> = {
            let mut stmt = self
                .0
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM certificates WHERE mailbox = ?1 ORDER BY id"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map([mailbox.canonical()], record_row)
                .map_err(db_err)?;
            rows.collect::<Result<_, _>>().map_err(db_err)?
        };
        rows.into_iter().map(|row| self.to_record(row)).collect()
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>> {
        let row = self
            .0
            .prepare_cached(
                "SELECT sign_by_default, encrypt_by_default, default_signer, tag FROM mailboxes WHERE address = ?1",
            )
            .and_then(|mut s| {
                s.query_row([mailbox.canonical()], |r| {
                    Ok((
                        r.get::<_, bool>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, Option<Vec<u8>>>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(db_err)?;
        let Some((sign_by_default, encrypt_by_default, signer, tag)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredSettings {
            settings: Settings {
                sign_by_default,
                encrypt_by_default,
                default_signer: signer
                    .as_deref()
                    .map(|f| parse_fingerprint(f, "mailboxes"))
                    .transpose()?,
            },
            tag: tag.unwrap_or_default(),
        }))
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        self.0
            .prepare_cached(
                "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at,
                                           not_before, not_after, flags, tag, chain_tag)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    mailbox.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    record.sealed_key,
                    to_i64(record.imported_at),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.chain_tag,
                ])
            })
            .map_err(db_err)?;
        let id = self.0.last_insert_rowid();
        for (position, der) in record.chain.iter().enumerate() {
            self.0
                .prepare_cached(
                    "INSERT INTO chain (certificate_id, position, der) VALUES (?1, ?2, ?3)",
                )
                .and_then(|mut s| s.execute(params![id, position as i64, der]))
                .map_err(db_err)?;
        }
        Ok(())
    }

    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let n = self
            .0
            .execute(
                "DELETE FROM certificates WHERE mailbox = ?1 AND fingerprint = ?2",
                params![mailbox.canonical(), fingerprint.as_bytes().as_slice()],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    fn set_settings(&mut self, mailbox: &Mailbox, stored: &StoredSettings) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        let settings = &stored.settings;
        self.0
            .execute(
                "UPDATE mailboxes SET sign_by_default = ?2, encrypt_by_default = ?3, default_signer = ?4, tag = ?5
                 WHERE address = ?1",
                params![
                    mailbox.canonical(),
                    settings.sign_by_default,
                    settings.encrypt_by_default,
                    settings.default_signer.as_ref().map(|f| f.as_bytes().to_vec()),
                    stored.tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.0
            .execute(
                "UPDATE certificates SET sealed_key = ?3, not_before = ?4, not_after = ?5, flags = ?6,
                                         tag = ?7, chain_tag = ?8
                 WHERE mailbox = ?1 AND fingerprint = ?2",
                params![
                    mailbox.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.sealed_key,
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.chain_tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.0
            .prepare_cached("SELECT value FROM meta WHERE name = ?1")
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .map_err(db_err)
    }

    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                params![name, value],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn recipient_addresses(&self) -> Result<Vec<Mailbox>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT DISTINCT address FROM recipients ORDER BY address")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        rows.map(|r| parse_mailbox(&r.map_err(db_err)?, "recipients"))
            .collect()
    }

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT fingerprint, certificate, added_at, capabilities, capabilities_time,
                        not_before, not_after, flags, tag, provenance
                 FROM recipients WHERE address = ?1 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([address.canonical()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<Vec<u8>>>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                ))
            })
            .map_err(db_err)?;
        rows.map(|row| {
            let (
                fp,
                certificate,
                added_at,
                capabilities,
                capabilities_time,
                nb,
                na,
                flags,
                tag,
                pv,
            ) = row.map_err(db_err)?;
            Ok(RecipientRecord {
                fingerprint: parse_fingerprint(&fp, "recipients")?,
                certificate,
                added_at: to_u64(added_at),
                capabilities: capabilities.as_deref().map(capabilities_from_column),
                capabilities_time: capabilities_time.and_then(|t| u64::try_from(t).ok()),
                facts: CertFacts::from_columns(nb, na, flags),
                provenance: provenance_column(pv, "recipients")?,
                tag: tag.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.0
            .execute(
                "INSERT INTO recipients
                 (address, fingerprint, certificate, added_at, capabilities, capabilities_time,
                  not_before, not_after, flags, tag, provenance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    address.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.certificate,
                    to_i64(record.added_at),
                    record.capabilities.as_deref().map(capabilities_column),
                    record.capabilities_time.map(to_i64),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.provenance.map(Provenance::code),
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.0
            .execute(
                "UPDATE recipients SET capabilities = ?3, capabilities_time = ?4, not_before = ?5,
                                       not_after = ?6, flags = ?7, tag = ?8, provenance = ?9
                 WHERE address = ?1 AND fingerprint = ?2",
                params![
                    address.canonical(),
                    record.fingerprint.as_bytes().as_slice(),
                    record.capabilities.as_deref().map(capabilities_column),
                    record.capabilities_time.map(to_i64),
                    record.facts.not_before,
                    record.facts.not_after,
                    record.facts.flags(),
                    record.tag,
                    record.provenance.map(Provenance::code),
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        let n = self
            .0
            .execute(
                "DELETE FROM recipients WHERE address = ?1 AND fingerprint = ?2",
                params![address.canonical(), fingerprint.as_bytes().as_slice()],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }

    fn domains(&self) -> Result<Vec<StoredDomain>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT name, enabled, encryption_allowed, tag FROM domains ORDER BY name",
            )
            .map_err(db_err)?;
        let rows = stmt.query_map([], domain_row).map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn domain(&self, name: &str) -> Result<Option<StoredDomain>> {
        self.0
            .prepare_cached(
                "SELECT name, enabled, encryption_allowed, tag FROM domains WHERE name = ?1",
            )
            .and_then(|mut s| s.query_row([name], domain_row).optional())
            .map_err(db_err)
    }

    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO domains (name, enabled, encryption_allowed, tag) VALUES (?1, ?2, ?3, ?4)",
                params![
                    domain.name,
                    domain.policy.enabled,
                    domain.policy.encryption_allowed,
                    domain.tag
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn delete_domain(&mut self, name: &str) -> Result<bool> {
        let n = self
            .0
            .execute("DELETE FROM domains WHERE name = ?1", [name])
            .map_err(db_err)?;
        Ok(n > 0)
    }

    fn trust_records(&self, kind: TrustKind) -> Result<Vec<TrustRecord>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT key, der, added_at, tag FROM trust WHERE kind = ?1
                 ORDER BY added_at, rowid",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([kind.name()], |r| {
                Ok(TrustRecord {
                    kind,
                    key: r.get(0)?,
                    der: r.get(1)?,
                    added_at: to_u64(r.get(2)?),
                    tag: r.get(3)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<Result<_, _>>().map_err(db_err)
    }

    fn put_trust_record(&mut self, record: &TrustRecord) -> Result<()> {
        self.0
            .execute(
                "INSERT OR REPLACE INTO trust (kind, key, der, added_at, tag)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    record.kind.name(),
                    record.key,
                    record.der,
                    to_i64(record.added_at),
                    record.tag,
                ],
            )
            .map_err(db_err)?;
        Ok(())
    }

    fn delete_trust_record(&mut self, kind: TrustKind, key: &[u8]) -> Result<bool> {
        let n = self
            .0
            .execute(
                "DELETE FROM trust WHERE kind = ?1 AND key = ?2",
                params![kind.name(), key],
            )
            .map_err(db_err)?;
        Ok(n > 0)
    }
}

fn domain_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDomain> {
    Ok(StoredDomain {
        name: r.get(0)?,
        policy: DomainPolicy::new(r.get(1)?, r.get(2)?),
        tag: r.get(3)?,
    })
}
