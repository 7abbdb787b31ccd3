//! Row authentication: every row of a store carries an HMAC-SHA256 tag
//! under a MAC key derived from the key-encryption key, so an edited
//! column, a row moved to another mailbox, a chain row moved to another
//! certificate or a forged row is [`Error::StoreCorrupt`] naming the row,
//! never silently used.
//!
//! The MAC key is HKDF-Expand (RFC 5869 §2.3) of the KEK with the info
//! `"smime store row mac v1"`, one block: `HMAC(KEK, info ‖ 0x01)`. The KEK
//! is already uniformly random (PBKDF2 output or a key service's 32 raw
//! bytes), so the extract step is skipped. A re-key derives a new MAC key
//! and re-tags every row in the same transaction.
//!
//! Each tag covers a canonical encoding: a label naming the row kind and
//! format version, then every field as a 4-byte big-endian length and its
//! bytes. The certificate bytes are tied to their fingerprint by SHA-256
//! (checked whenever a certificate is returned), the fingerprint to the
//! row by the tag; sealed keys are authenticated by their own AEAD tag,
//! whose associated data names mailbox and fingerprint.
//!
//! Detected besides edits: rows moved between mailboxes or certificates,
//! forged rows, and the deletion of rows that must exist (a chain
//! certificate, the policy row, the settings row of a mailbox that holds
//! certificates). Not detectable by per-row tags: deleting a whole
//! certificate, recipient or domain row (it looks like a removal), replaying
//! an older version of the same row (a tag has no notion of freshness), or
//! rolling the whole store back to an older copy.
#![forbid(unsafe_code)]

use openssl::hash::MessageDigest;
use openssl::memcmp;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use zeroize::Zeroizing;

use super::backend::{
    CertFacts, DomainPolicy, RecipientRecord, Record, RecordHead, Settings, TrustKind, TrustRecord,
};
use crate::algorithm::ContentEncryption;
use crate::cert::Fingerprint;
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;

pub use crate::error::Corrupted;
pub(crate) use crate::error::corrupt;

const MAC_INFO: &[u8] = b"smime store row mac v1";

/// The row MAC key. Zeroized on drop (the OpenSSL copy inside the PKey is
/// freed with `OPENSSL_clear_free`).
pub(crate) struct MacKey {
    pkey: PKey<Private>,
}

impl MacKey {
    /// HKDF-Expand(kek, MAC_INFO, 32).
    pub(crate) fn derive(kek: &[u8; 32]) -> Result<Self> {
        let prk = PKey::hmac(kek)?;
        let mut signer = Signer::new(MessageDigest::sha256(), &prk)?;
        signer.update(MAC_INFO)?;
        signer.update(&[1])?;
        let okm = Zeroizing::new(signer.sign_to_vec()?);
        Ok(MacKey {
            pkey: PKey::hmac(&okm)?,
        })
    }

    fn tag(&self, label: &[u8], fields: &[&[u8]]) -> Result<Vec<u8>> {
        let mut signer = Signer::new(MessageDigest::sha256(), &self.pkey)?;
        put(&mut signer, label)?;
        for field in fields {
            put(&mut signer, field)?;
        }
        Ok(signer.sign_to_vec()?)
    }

    fn check(
        &self,
        tag: &[u8],
        label: &[u8],
        fields: &[&[u8]],
        what: impl FnOnce() -> Corrupted,
    ) -> Result<()> {
        let expected = self.tag(label, fields)?;
        if tag.len() == expected.len() && memcmp::eq(tag, &expected) {
            Ok(())
        } else {
            Err(corrupt(what()))
        }
    }

    // Certificate rows.

    pub(crate) fn record_tag(
        &self,
        mailbox: &Mailbox,
        fingerprint: &Fingerprint,
        imported_at: u64,
        facts: &CertFacts,
    ) -> Result<Vec<u8>> {
        self.tag(
            b"certificate v1",
            &[
                mailbox.canonical().as_bytes(),
                fingerprint.as_bytes(),
                &imported_at.to_be_bytes(),
                &facts_bytes(facts),
            ],
        )
    }

    pub(crate) fn chain_tag(
        &self,
        mailbox: &Mailbox,
        fingerprint: &Fingerprint,
        chain: &[Vec<u8>],
    ) -> Result<Vec<u8>> {
        let count = (chain.len() as u64).to_be_bytes();
        let mut fields: Vec<&[u8]> = vec![
            mailbox.canonical().as_bytes(),
            fingerprint.as_bytes(),
            &count,
        ];
        fields.extend(chain.iter().map(Vec::as_slice));
        self.tag(b"chain v1", &fields)
    }

    pub(crate) fn check_head(&self, mailbox: &Mailbox, head: &RecordHead) -> Result<()> {
        let expected =
            self.record_tag(mailbox, &head.fingerprint, head.imported_at, &head.facts)?;
        if head.tag.len() == expected.len() && memcmp::eq(&head.tag, &expected) {
            Ok(())
        } else {
            Err(corrupt(Corrupted::Certificate {
                mailbox: mailbox.clone(),
                fingerprint: head.fingerprint,
            }))
        }
    }

    /// The whole record: head tag, certificate bytes against the
    /// fingerprint, chain tag.
    pub(crate) fn check_record(&self, mailbox: &Mailbox, record: &Record) -> Result<()> {
        self.check_head(mailbox, &record.head())?;
        if Fingerprint::of(&record.certificate) != record.fingerprint {
            return Err(corrupt(Corrupted::Certificate {
                mailbox: mailbox.clone(),
                fingerprint: record.fingerprint,
            }));
        }
        let expected = self.chain_tag(mailbox, &record.fingerprint, &record.chain)?;
        if record.chain_tag.len() == expected.len() && memcmp::eq(&record.chain_tag, &expected) {
            Ok(())
        } else {
            Err(corrupt(Corrupted::Chain {
                mailbox: mailbox.clone(),
                fingerprint: record.fingerprint,
            }))
        }
    }

    /// Sets `record.tag` and `record.chain_tag`.
    pub(crate) fn tag_record(&self, mailbox: &Mailbox, record: &mut Record) -> Result<()> {
        record.tag = self.record_tag(
            mailbox,
            &record.fingerprint,
            record.imported_at,
            &record.facts,
        )?;
        record.chain_tag = self.chain_tag(mailbox, &record.fingerprint, &record.chain)?;
        Ok(())
    }

    // Settings rows.

    fn settings_fields(settings: &Settings) -> [u8; 35] {
        let mut out = [0u8; 35];
        out[0] = u8::from(settings.sign_by_default);
        out[1] = u8::from(settings.encrypt_by_default);
        if let Some(fp) = &settings.default_signer {
            out[2] = 1;
            out[3..].copy_from_slice(fp.as_bytes());
        }
        out
    }

    pub(crate) fn settings_tag(&self, mailbox: &Mailbox, settings: &Settings) -> Result<Vec<u8>> {
        self.tag(
            b"settings v1",
            &[
                mailbox.canonical().as_bytes(),
                &Self::settings_fields(settings),
            ],
        )
    }

    pub(crate) fn check_settings(
        &self,
        mailbox: &Mailbox,
        settings: &Settings,
        tag: &[u8],
    ) -> Result<()> {
        self.check(
            tag,
            b"settings v1",
            &[
                mailbox.canonical().as_bytes(),
                &Self::settings_fields(settings),
            ],
            || Corrupted::Settings {
                mailbox: mailbox.clone(),
            },
        )
    }

    // Recipient rows.

    fn recipient_fields(record: &RecipientRecord) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(&record.added_at.to_be_bytes());
        out.extend_from_slice(&facts_bytes(&record.facts));
        match &record.capabilities {
            None => out.push(0),
            Some(caps) => {
                out.push(1);
                out.extend_from_slice(&(caps.len() as u32).to_be_bytes());
                for c in caps {
                    out.push(capability_code(*c));
                }
            }
        }
        match record.capabilities_time {
            None => out.push(0),
            Some(t) => {
                out.push(1);
                out.extend_from_slice(&t.to_be_bytes());
            }
        }
        if let Some(p) = record.provenance {
            out.push(p.code() as u8);
        }
        out
    }

    /// Rows from schema 5 on carry a provenance and a v2 tag over it; older
    /// rows keep their v1 tag (and count as `Provenance::Added`).
    fn recipient_label(record: &RecipientRecord) -> &'static [u8] {
        match record.provenance {
            Some(_) => b"recipient v2",
            None => b"recipient v1",
        }
    }

    pub(crate) fn recipient_tag(
        &self,
        address: &Mailbox,
        record: &RecipientRecord,
    ) -> Result<Vec<u8>> {
        self.tag(
            Self::recipient_label(record),
            &[
                address.canonical().as_bytes(),
                record.fingerprint.as_bytes(),
                &Self::recipient_fields(record),
            ],
        )
    }

    /// Tag and certificate bytes against the fingerprint.
    pub(crate) fn check_recipient(
        &self,
        address: &Mailbox,
        record: &RecipientRecord,
    ) -> Result<()> {
        let what = || Corrupted::Recipient {
            address: address.clone(),
            fingerprint: record.fingerprint,
        };
        self.check(
            &record.tag,
            Self::recipient_label(record),
            &[
                address.canonical().as_bytes(),
                record.fingerprint.as_bytes(),
                &Self::recipient_fields(record),
            ],
            what,
        )?;
        if Fingerprint::of(&record.certificate) != record.fingerprint {
            return Err(corrupt(what()));
        }
        Ok(())
    }

    // Trust rows (anchors, CRLs).

    pub(crate) fn trust_tag(&self, record: &TrustRecord) -> Result<Vec<u8>> {
        self.tag(
            b"trust v1",
            &[
                record.kind.name().as_bytes(),
                &record.key,
                &record.der,
                &record.added_at.to_be_bytes(),
            ],
        )
    }

    /// Tag, and for an anchor its certificate bytes against the
    /// fingerprint it is keyed by.
    pub(crate) fn check_trust(&self, record: &TrustRecord) -> Result<()> {
        let what = || match record.kind {
            TrustKind::Anchor | TrustKind::Intermediate => Corrupted::TrustAnchor {
                fingerprint: record
                    .key
                    .as_slice()
                    .try_into()
                    .map(Fingerprint::from_bytes)
                    .unwrap_or_else(|_| Fingerprint::of(&record.der)),
            },
            TrustKind::Crl => Corrupted::Crl {
                issuer: issuer_text(&record.key),
            },
        };
        let expected = self.trust_tag(record)?;
        if record.tag.len() != expected.len() || !memcmp::eq(&record.tag, &expected) {
            return Err(corrupt(what()));
        }
        if record.kind != TrustKind::Crl
            && Fingerprint::of(&record.der).as_bytes().as_slice() != record.key.as_slice()
        {
            return Err(corrupt(what()));
        }
        Ok(())
    }

    // Domain rows and the store policy.

    pub(crate) fn domain_tag(&self, name: &str, policy: &DomainPolicy) -> Result<Vec<u8>> {
        self.tag(b"domain v1", &[name.as_bytes(), &policy_bytes(policy)])
    }

    pub(crate) fn check_domain(&self, name: &str, policy: &DomainPolicy, tag: &[u8]) -> Result<()> {
        self.check(
            tag,
            b"domain v1",
            &[name.as_bytes(), &policy_bytes(policy)],
            || Corrupted::Domain {
                domain: name.to_owned(),
            },
        )
    }

    /// A store-wide value with its tag appended.
    pub(crate) fn seal_meta(&self, name: &'static str, value: &[u8]) -> Result<Vec<u8>> {
        let mut out = value.to_vec();
        out.extend(self.tag(b"meta v1", &[name.as_bytes(), value])?);
        Ok(out)
    }

    /// The value of what [`MacKey::seal_meta`] made, checked.
    pub(crate) fn open_meta<'a>(&self, name: &'static str, stored: &'a [u8]) -> Result<&'a [u8]> {
        let fail = || corrupt(Corrupted::Meta { name });
        let split = stored.len().checked_sub(32).ok_or_else(fail)?;
        let (value, tag) = stored.split_at(split);
        self.check(tag, b"meta v1", &[name.as_bytes(), value], || {
            Corrupted::Meta { name }
        })?;
        Ok(value)
    }
}

/// A DER name as RFC 4514 text, or hex when it does not decode.
pub(crate) fn issuer_text(der: &[u8]) -> String {
    use der::Decode;
    match x509_cert::name::Name::from_der(der) {
        Ok(name) => name.to_string(),
        Err(_) => der.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn put(signer: &mut Signer<'_>, field: &[u8]) -> Result<()> {
    let len = u32::try_from(field.len()).map_err(|_| Error::LimitExceeded {
        limit: "row field",
        max: u64::from(u32::MAX),
    })?;
    signer.update(&len.to_be_bytes())?;
    signer.update(field)?;
    Ok(())
}

fn facts_bytes(facts: &CertFacts) -> [u8; 17] {
    let mut out = [0u8; 17];
    out[..8].copy_from_slice(&facts.not_before.to_be_bytes());
    out[8..16].copy_from_slice(&facts.not_after.to_be_bytes());
    out[16] = facts.flags() as u8;
    out
}

fn policy_bytes(policy: &DomainPolicy) -> [u8; 2] {
    [
        u8::from(policy.enabled),
        u8::from(policy.encryption_allowed),
    ]
}

/// A stable code per content encryption for tags (not the column format).
fn capability_code(c: ContentEncryption) -> u8 {
    match c {
        ContentEncryption::Aes256Cbc => 1,
        ContentEncryption::Aes128Gcm => 2,
        ContentEncryption::Aes256Gcm => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_bind_every_field() {
        let key = MacKey::derive(&[7u8; 32]).unwrap();
        let other = MacKey::derive(&[8u8; 32]).unwrap();
        let a: Mailbox = "a@example.org".parse().unwrap();
        let b: Mailbox = "b@example.org".parse().unwrap();
        let fp = Fingerprint::from_bytes([1; 32]);
        let facts = CertFacts::default();
        let t = key.record_tag(&a, &fp, 5, &facts).unwrap();
        assert_eq!(t, key.record_tag(&a, &fp, 5, &facts).unwrap());
        assert_ne!(t, key.record_tag(&b, &fp, 5, &facts).unwrap());
        assert_ne!(t, key.record_tag(&a, &fp, 6, &facts).unwrap());
        assert_ne!(t, other.record_tag(&a, &fp, 5, &facts).unwrap());
        let moved = CertFacts {
            can_sign: true,
            ..facts
        };
        assert_ne!(t, key.record_tag(&a, &fp, 5, &moved).unwrap());
        // Length prefixes: ["ab", "c"] and ["a", "bc"] differ.
        assert_ne!(
            key.tag(b"x", &[b"ab", b"c"]).unwrap(),
            key.tag(b"x", &[b"a", b"bc"]).unwrap()
        );
        let sealed = key.seal_meta("policy", b"\x01").unwrap();
        assert_eq!(key.open_meta("policy", &sealed).unwrap(), b"\x01");
        assert!(key.open_meta("other", &sealed).is_err());
        assert!(other.open_meta("policy", &sealed).is_err());
        assert!(key.open_meta("policy", &sealed[..10]).is_err());
    }

    #[test]
    fn trust_and_provenance_tags_bind_their_fields() {
        let key = MacKey::derive(&[7u8; 32]).unwrap();
        let der = b"not really a certificate".to_vec();
        let mut row = TrustRecord {
            kind: TrustKind::Anchor,
            key: Fingerprint::of(&der).as_bytes().to_vec(),
            der,
            added_at: 5,
            tag: Vec::new(),
        };
        row.tag = key.trust_tag(&row).unwrap();
        assert!(key.check_trust(&row).is_ok());
        let edits: [fn(&mut TrustRecord); 4] = [
            |r| r.kind = TrustKind::Intermediate,
            |r| r.added_at += 1,
            |r| r.der.push(0),
            |r| r.key[0] ^= 1,
        ];
        for edit in edits {
            let mut edited = row.clone();
            edit(&mut edited);
            assert!(key.check_trust(&edited).is_err());
        }
        // A recipient row's provenance is tagged, and a v2 row cannot pass
        // as a v1 row (provenance cleared).
        let address: Mailbox = "a@example.org".parse().unwrap();
        let mut r = RecipientRecord {
            fingerprint: Fingerprint::of(b"c"),
            certificate: b"c".to_vec(),
            added_at: 1,
            capabilities: None,
            capabilities_time: None,
            facts: CertFacts::default(),
            provenance: Some(super::super::backend::Provenance::Added),
            tag: Vec::new(),
        };
        r.tag = key.recipient_tag(&address, &r).unwrap();
        assert!(key.check_recipient(&address, &r).is_ok());
        for p in [Some(super::super::backend::Provenance::Pinned), None] {
            let edited = RecipientRecord {
                provenance: p,
                ..r.clone()
            };
            assert!(key.check_recipient(&address, &edited).is_err());
        }
    }
}
