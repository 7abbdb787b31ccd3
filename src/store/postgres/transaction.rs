//! [`Transaction`] on one pooled PostgreSQL connection: the queries
//! behind every store operation.
#![forbid(unsafe_code)]

use super::*;

/// One transaction on a pooled connection.
pub(super) struct PgTx<'a> {
    pub(super) tx: RefCell<postgres::Transaction<'a>>,
    pub(super) statements: RefCell<&'a mut HashMap<&'static str, Statement>>,
    /// A serialization failure or deadlock happened: worth another attempt.
    pub(super) transient: Cell<bool>,
}

impl PgTx<'_> {
    fn err(&self, e: postgres::Error) -> Error {
        if is_transient(&e) {
            self.transient.set(true);
        }
        db_err(e)
    }

    fn statement(&self, sql: &'static str) -> Result<Statement> {
        let mut statements = self.statements.borrow_mut();
        if let Some(s) = statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.borrow_mut().prepare(sql).map_err(|e| self.err(e))?;
        statements.insert(sql, s.clone());
        Ok(s)
    }

    fn query(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .query(&statement, params)
            .map_err(|e| self.err(e))
    }

    fn execute(&self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        let statement = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .execute(&statement, params)
            .map_err(|e| self.err(e))
    }

    fn ensure_mailbox(&self, mailbox: &Mailbox) -> Result<()> {
        self.execute(
            "INSERT INTO mailboxes (address, display) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&mailbox.canonical(), &mailbox.as_str()],
        )?;
        Ok(())
    }

    fn chain(&self, id: i64) -> Result<Vec<Vec<u8>>> {
        self.query(
            "SELECT der FROM chain WHERE certificate_id = $1 ORDER BY position",
            &[&id],
        )?
        .iter()
        .map(|r| get(r, 0, "chain"))
        .collect()
    }

    fn to_record(&self, row: &Row) -> Result<Record> {
        const T: &str = "certificates";
        Ok(Record {
            fingerprint: parse_fingerprint(&get::<Vec<u8>>(row, 1, T)?, T)?,
            certificate: get(row, 2, T)?,
            chain: self.chain(get(row, 0, T)?)?,
            sealed_key: get(row, 3, T)?,
            imported_at: to_u64(get(row, 4, T)?),
            facts: CertFacts::from_columns(get(row, 5, T)?, get(row, 6, T)?, get(row, 7, T)?),
            tag: get::<Option<Vec<u8>>>(row, 8, T)?.unwrap_or_default(),
            chain_tag: get::<Option<Vec<u8>>>(row, 9, T)?.unwrap_or_default(),
        })
    }
}

fn get<'a, T: postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    table: &'static str,
) -> Result<T> {
    row.try_get(i)
        .map_err(|_| corrupt(Corrupted::Row { table }))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Transaction for PgTx<'_> {
    fn lock(&mut self, what: Lock<'_>) -> Result<()> {
        match what {
            Lock::Key { exclusive: true } => self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:key'))",
                &[],
            ),
            Lock::Key { exclusive: false } => self.execute(
                "SELECT pg_advisory_xact_lock_shared(hashtext(current_schema()), hashtext('smime:key'))",
                &[],
            ),
            Lock::Trust => self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:trust'))",
                &[],
            ),
            Lock::Mailbox(mailbox) => self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(current_schema()), hashtext('smime:mailbox:' || $1))",
                &[&mailbox.canonical()],
            ),
            _ => Ok(0),
        }?;
        Ok(())
    }

    fn mailboxes(&self) -> Result<Vec<Mailbox>> {
        const T: &str = "mailboxes";
        self.query(
            "SELECT address, display FROM mailboxes ORDER BY address",
            &[],
        )?
        .iter()
        .map(|r| {
            let address: String = get(r, 0, T)?;
            let mailbox = parse_mailbox(&get::<String>(r, 1, T)?, T)?;
            if mailbox.canonical() != address {
                return Err(corrupt(Corrupted::Row { table: T }));
            }
            Ok(mailbox)
        })
        .collect()
    }

    fn heads(&self, mailbox: &Mailbox) -> Result<Vec<RecordHead>> {
        const T: &str = "certificates";
        self.query(
            "SELECT fingerprint, imported_at, not_before, not_after, flags, tag
             FROM certificates WHERE mailbox = $1 ORDER BY id",
            &[&mailbox.canonical()],
        )?
        .iter()
        .map(|r| {
            Ok(RecordHead {
                fingerprint: parse_fingerprint(&get::<Vec<u8>>(r, 0, T)?, T)?,
                imported_at: to_u64(get(r, 1, T)?),
                facts: CertFacts::from_columns(get(r, 2, T)?, get(r, 3, T)?, get(r, 4, T)?),
                tag: get::<Option<Vec<u8>>>(r, 5, T)?.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn record(&self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<Option<Record>> {
        let rows = self.query(
            "SELECT id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after,
                    flags, tag, chain_tag
             FROM certificates WHERE mailbox = $1 AND fingerprint = $2",
            &[&mailbox.canonical(), &fingerprint.as_bytes().as_slice()],
        )?;
        rows.first().map(|r| self.to_record(r)).transpose()
    }

    fn records(&self, mailbox: &Mailbox) -> Result<Vec<Record>> {
        self.query(
            "SELECT id, fingerprint, certificate, sealed_key, imported_at, not_before, not_after,
                    flags, tag, chain_tag
             FROM certificates WHERE mailbox = $1 ORDER BY id",
            &[&mailbox.canonical()],
        )?
        .iter()
        .map(|r| self.to_record(r))
        .collect()
    }

    fn settings(&self, mailbox: &Mailbox) -> Result<Option<StoredSettings>> {
        const T: &str = "mailboxes";
        let rows = self.query(
            "SELECT sign_by_default, encrypt_by_default, default_signer, tag
             FROM mailboxes WHERE address = $1",
            &[&mailbox.canonical()],
        )?;
        let Some(r) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(StoredSettings {
            settings: Settings {
                sign_by_default: get(r, 0, T)?,
                encrypt_by_default: get(r, 1, T)?,
                default_signer: get::<Option<Vec<u8>>>(r, 2, T)?
                    .as_deref()
                    .map(|f| parse_fingerprint(f, T))
                    .transpose()?,
            },
            tag: get::<Option<Vec<u8>>>(r, 3, T)?.unwrap_or_default(),
        }))
    }

    fn insert(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.ensure_mailbox(mailbox)?;
        let rows = self.query(
            "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at,
                                       not_before, not_after, flags, tag, chain_tag)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &mailbox.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.certificate,
                &record.sealed_key,
                &to_i64(record.imported_at),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.chain_tag,
            ],
        )?;
        let id: i64 = rows
            .first()
            .ok_or(Error::Store(StoreFailure::Internal(
                "PostgreSQL: INSERT returned no id",
            )))
            .and_then(|r| get(r, 0, "certificates"))?;
        for (position, der) in record.chain.iter().enumerate() {
            let position = i32::try_from(position).unwrap_or(i32::MAX);
            self.execute(
                "INSERT INTO chain (certificate_id, position, der) VALUES ($1, $2, $3)",
                &[&id, &position, der],
            )?;
        }
        Ok(())
    }

    fn delete(&mut self, mailbox: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM certificates WHERE mailbox = $1 AND fingerprint = $2",
            &[&mailbox.canonical(), &fingerprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn set_settings(&mut self, mailbox: &Mailbox, stored: &StoredSettings) -> Result<()> {
        let s = &stored.settings;
        self.execute(
            "INSERT INTO mailboxes (address, display, sign_by_default, encrypt_by_default, default_signer, tag)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (address) DO UPDATE SET sign_by_default = $3, encrypt_by_default = $4,
                                                 default_signer = $5, tag = $6",
            &[
                &mailbox.canonical(),
                &mailbox.as_str(),
                &s.sign_by_default,
                &s.encrypt_by_default,
                &s.default_signer.as_ref().map(|f| f.as_bytes().to_vec()),
                &stored.tag,
            ],
        )?;
        Ok(())
    }

    fn update_record(&mut self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.execute(
            "UPDATE certificates SET sealed_key = $3, not_before = $4, not_after = $5, flags = $6,
                                     tag = $7, chain_tag = $8
             WHERE mailbox = $1 AND fingerprint = $2",
            &[
                &mailbox.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.sealed_key,
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.chain_tag,
            ],
        )?;
        Ok(())
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let rows = self.query("SELECT value FROM meta WHERE name = $1", &[&name])?;
        rows.first().map(|r| get(r, 0, "meta")).transpose()
    }

    fn set_meta(&mut self, name: &str, value: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO meta (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = $2",
            &[&name, &value],
        )?;
        Ok(())
    }

    fn recipient_addresses(&self) -> Result<Vec<Mailbox>> {
        self.query(
            "SELECT DISTINCT address FROM recipients ORDER BY address",
            &[],
        )?
        .iter()
        .map(|r| parse_mailbox(&get::<String>(r, 0, "recipients")?, "recipients"))
        .collect()
    }

    fn recipients(&self, address: &Mailbox) -> Result<Vec<RecipientRecord>> {
        const T: &str = "recipients";
        self.query(
            "SELECT fingerprint, certificate, added_at, capabilities, capabilities_time,
                    not_before, not_after, flags, tag, provenance
             FROM recipients WHERE address = $1 ORDER BY id",
            &[&address.canonical()],
        )?
        .iter()
        .map(|r| {
            Ok(RecipientRecord {
                fingerprint: parse_fingerprint(&get::<Vec<u8>>(r, 0, T)?, T)?,
                certificate: get(r, 1, T)?,
                added_at: to_u64(get(r, 2, T)?),
                capabilities: get::<Option<String>>(r, 3, T)?
                    .as_deref()
                    .map(capabilities_from_column),
                capabilities_time: get::<Option<i64>>(r, 4, T)?.and_then(|t| u64::try_from(t).ok()),
                facts: CertFacts::from_columns(get(r, 5, T)?, get(r, 6, T)?, get(r, 7, T)?),
                provenance: provenance_column(get(r, 9, T)?, T)?,
                tag: get::<Option<Vec<u8>>>(r, 8, T)?.unwrap_or_default(),
            })
        })
        .collect()
    }

    fn insert_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.execute(
            "INSERT INTO recipients (address, fingerprint, certificate, added_at, capabilities,
                                     capabilities_time, not_before, not_after, flags, tag,
                                     provenance)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &address.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.certificate,
                &to_i64(record.added_at),
                &record.capabilities.as_deref().map(capabilities_column),
                &record.capabilities_time.map(to_i64),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.provenance.map(Provenance::code),
            ],
        )?;
        Ok(())
    }

    fn update_recipient(&mut self, address: &Mailbox, record: &RecipientRecord) -> Result<()> {
        self.execute(
            "UPDATE recipients SET capabilities = $3, capabilities_time = $4, not_before = $5,
                                   not_after = $6, flags = $7, tag = $8, provenance = $9
             WHERE address = $1 AND fingerprint = $2",
            &[
                &address.canonical(),
                &record.fingerprint.as_bytes().as_slice(),
                &record.capabilities.as_deref().map(capabilities_column),
                &record.capabilities_time.map(to_i64),
                &record.facts.not_before,
                &record.facts.not_after,
                &record.facts.flags(),
                &record.tag,
                &record.provenance.map(Provenance::code),
            ],
        )?;
        Ok(())
    }

    fn delete_recipient(&mut self, address: &Mailbox, fingerprint: &Fingerprint) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM recipients WHERE address = $1 AND fingerprint = $2",
            &[&address.canonical(), &fingerprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn domains(&self) -> Result<Vec<StoredDomain>> {
        self.query(
            "SELECT name, enabled, encryption_allowed, tag FROM domains ORDER BY name",
            &[],
        )?
        .iter()
        .map(domain_row)
        .collect()
    }

    fn domain(&self, name: &str) -> Result<Option<StoredDomain>> {
        let rows = self.query(
            "SELECT name, enabled, encryption_allowed, tag FROM domains WHERE name = $1",
            &[&name],
        )?;
        rows.first().map(domain_row).transpose()
    }

    fn set_domain(&mut self, domain: &StoredDomain) -> Result<()> {
        self.execute(
            "INSERT INTO domains (name, enabled, encryption_allowed, tag) VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) DO UPDATE SET enabled = $2, encryption_allowed = $3, tag = $4",
            &[
                &domain.name,
                &domain.policy.enabled,
                &domain.policy.encryption_allowed,
                &domain.tag,
            ],
        )?;
        Ok(())
    }

    fn delete_domain(&mut self, name: &str) -> Result<bool> {
        Ok(self.execute("DELETE FROM domains WHERE name = $1", &[&name])? > 0)
    }

    fn trust_records(&self, kind: TrustKind) -> Result<Vec<TrustRecord>> {
        const T: &str = "trust";
        self.query(
            "SELECT key, der, added_at, tag FROM trust WHERE kind = $1 ORDER BY added_at, id",
            &[&kind.name()],
        )?
        .iter()
        .map(|r| {
            Ok(TrustRecord {
                kind,
                key: get(r, 0, T)?,
                der: get(r, 1, T)?,
                added_at: to_u64(get(r, 2, T)?),
                tag: get(r, 3, T)?,
            })
        })
        .collect()
    }

    fn put_trust_record(&mut self, record: &TrustRecord) -> Result<()> {
        self.execute(
            "INSERT INTO trust (kind, key, der, added_at, tag) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (kind, key) DO UPDATE
             SET der = EXCLUDED.der, added_at = EXCLUDED.added_at, tag = EXCLUDED.tag",
            &[
                &record.kind.name(),
                &record.key,
                &record.der,
                &to_i64(record.added_at),
                &record.tag,
            ],
        )?;
        Ok(())
    }

    fn delete_trust_record(&mut self, kind: TrustKind, key: &[u8]) -> Result<bool> {
        Ok(self.execute(
            "DELETE FROM trust WHERE kind = $1 AND key = $2",
            &[&kind.name(), &key],
        )? > 0)
    }
}

fn domain_row(r: &Row) -> Result<StoredDomain> {
    const T: &str = "domains";
    Ok(StoredDomain {
        name: get(r, 0, T)?,
        policy: DomainPolicy::new(get(r, 1, T)?, get(r, 2, T)?),
        tag: get(r, 3, T)?,
    })
}
