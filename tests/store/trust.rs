//! Trust kept by the store (issue 14): anchors, intermediates, the
//! system-roots switch and CRLs on every backend, their rows authenticated
//! (tampering through SQL is `StoreCorrupt`), a re-key keeps them, and
//! recipient provenance cannot be raised behind the store's back.

use smime::{
    Certificate, Corrupted, Crl, CrlUpdate, Error, Missing, Passphrase, Store, Unusable,
    VerifyOptions,
};

use crate::backends::{self, Kind, on_each_backend, on_each_place, pp};
use crate::common::openssl_cli;
use crate::common::pki::{CliCa, Key, Spec, issue, smime_cert};
use crate::common::{cert, read_fixture, root};

fn intermediate_cert() -> Certificate {
    Certificate::from_pem(&read_fixture("ca/intermediate.pem")).unwrap()
}

#[test]
fn anchors_are_added_listed_and_removed_on_every_backend() {
    on_each_backend(|store, kind| {
        assert!(store.trust_anchors().unwrap().is_empty());
        assert!(store.add_trust_anchor(&root()).unwrap());
        assert!(!store.add_trust_anchor(&root()).unwrap(), "idempotent");
        let anchors = store.trust_anchors().unwrap();
        assert_eq!(anchors.len(), 1, "{kind:?}");
        assert_eq!(anchors[0].certificate, root());
        assert_eq!(store.anchors().unwrap(), [root()]);
        // Intermediates: CA certificates only, not trusted themselves.
        assert!(store.add_intermediate(&intermediate_cert()).unwrap());
        assert_eq!(store.intermediates().unwrap(), [intermediate_cert()]);
        assert_eq!(store.anchors().unwrap(), [root()]);
        let err = store.add_intermediate(&cert("bob")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::CertificateNotUsable {
                    reason: Unusable::NotCa,
                    ..
                }
            ),
            "{err:?}"
        );
        store.remove_trust_anchor(&root().fingerprint()).unwrap();
        assert!(store.trust_anchors().unwrap().is_empty());
        let err = store
            .remove_trust_anchor(&root().fingerprint())
            .unwrap_err();
        assert!(
            matches!(err, Error::NotFound(Missing::TrustAnchor(fp)) if fp == root().fingerprint()),
            "{err:?}"
        );
        // The system roots are opt-in.
        assert!(!store.uses_system_roots().unwrap());
        store.set_use_system_roots(true).unwrap();
        assert!(store.uses_system_roots().unwrap());
        store.set_use_system_roots(false).unwrap();
        assert!(!store.uses_system_roots().unwrap());
    });
}

/// The store's anchors verify a signature: `VerifyOptions::with_store_trust`
/// makes bob's signed mail trusted without passing anchors.
#[test]
fn verification_uses_the_store_anchors() {
    on_each_backend(|store, _| {
        let bob = crate::common::identity("bob");
        let mail = b"From: bob@example.org\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
        let signed = smime::sign(mail, &bob, &smime::SignOptions::default()).unwrap();
        let options = VerifyOptions::new(&[]).with_store_trust(store).unwrap();
        assert!(!smime::verify(&signed, &options).unwrap().valid);
        store.add_trust_anchor(&root()).unwrap();
        let options = VerifyOptions::new(&[]).with_store_trust(store).unwrap();
        let report = smime::verify(&signed, &options).unwrap();
        assert!(report.valid, "{report:#?}");
    });
}

/// Editing, forging or moving a trust row through SQL is detected; a
/// recipient's provenance cannot be raised to "pinned" (nor its v2 tag
/// passed off as an old row) by SQL.
#[test]
fn trust_rows_and_provenance_are_authenticated() {
    on_each_place(|place| {
        let store = place.open(&pp()).unwrap();
        store.add_trust_anchor(&root()).unwrap();
        store.add_recipient_certificate(&cert("carol")).unwrap();
        drop(store);
        place.sql("UPDATE trust SET added_at = added_at + 1");
        let store = place.open(&pp()).unwrap();
        let err = store.trust_anchors().unwrap_err();
        assert!(
            matches!(&err, Error::StoreCorrupt { what: Corrupted::TrustAnchor { fingerprint } } if *fingerprint == root().fingerprint()),
            "{:?}: {err:?}",
            place.kind
        );
        // A forged anchor (any certificate, a made-up tag) is refused too.
        place.sql("DELETE FROM trust");
        let hex: String = intermediate_cert()
            .to_der()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let fp: String = intermediate_cert()
            .fingerprint()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let blob = |h: &str| match place.kind {
            Kind::Postgres => format!("'\\x{h}'::bytea"),
            _ => format!("X'{h}'"),
        };
        place.sql(&format!(
            "INSERT INTO trust (kind, key, der, added_at, tag) VALUES ('anchor', {}, {}, 1, {})",
            blob(&fp),
            blob(&hex),
            blob(&"00".repeat(32))
        ));
        assert!(matches!(
            store.trust_anchors(),
            Err(Error::StoreCorrupt { .. })
        ));
        assert!(matches!(
            store.encryption_certificate(&"carol@example.org".parse().unwrap()),
            Err(Error::StoreCorrupt { .. })
        ));
        place.sql("DELETE FROM trust");
        // Provenance raised to pinned, or cleared to pass as an old row.
        place.sql("UPDATE recipients SET provenance = 2");
        assert!(matches!(
            store.recipient_certificates(&"carol@example.org".parse().unwrap()),
            Err(Error::StoreCorrupt {
                what: Corrupted::Recipient { .. }
            })
        ));
        place.sql("UPDATE recipients SET provenance = NULL");
        assert!(matches!(
            store.encryption_certificate(&"carol@example.org".parse().unwrap()),
            Err(Error::StoreCorrupt { .. })
        ));
    });
}

/// A re-key re-tags the trust rows and the system-roots switch.
#[test]
fn a_rekey_keeps_the_trust_rows() {
    on_each_place(|place| {
        let store = place.open(&pp()).unwrap();
        store.add_trust_anchor(&root()).unwrap();
        store.add_intermediate(&intermediate_cert()).unwrap();
        store.set_use_system_roots(true).unwrap();
        store.change_passphrase(&Passphrase::new("new")).unwrap();
        drop(store);
        let store = place.open(&Passphrase::new("new")).unwrap();
        assert_eq!(store.trust_anchors().unwrap().len(), 1);
        assert_eq!(store.intermediates().unwrap().len(), 1);
        assert!(store.uses_system_roots().unwrap());
    });
}

/// CRLs in the store, made with `openssl ca -gencrl`: one per issuer, only
/// when signed by a known CA, an older one never replaces a newer one, and
/// a row edited by SQL is detected.
#[test]
fn crls_are_kept_one_per_issuer_newest_first() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = CliCa::new(dir.path(), "crlroot", None);
    let first = Crl::from_der(&ca.crl(24)).unwrap();
    let second = Crl::from_der(&ca.crl(24)).unwrap();
    let evil = tempfile::tempdir().unwrap();
    let attacker = CliCa::new(evil.path(), "crlroot", None);
    let forged = Crl::from_der(&attacker.crl(24)).unwrap();
    assert_eq!(forged.issuer(), first.issuer(), "control: same issuer name");
    on_each_backend(|store, kind| {
        let err = store.add_crl(&first, &[]).unwrap_err();
        assert!(
            matches!(&err, Error::CrlNotVerified { issuer } if issuer == first.issuer()),
            "{kind:?}: {err:?}"
        );
        // Known through the caller: kept.
        assert_eq!(
            store.add_crl(&first, &[ca.certificate()]).unwrap(),
            CrlUpdate::Added
        );
        store.add_trust_anchor(&ca.certificate()).unwrap();
        assert_eq!(store.add_crl(&second, &[]).unwrap(), CrlUpdate::Replaced);
        assert_eq!(store.add_crl(&first, &[]).unwrap(), CrlUpdate::KeptNewer);
        assert_eq!(store.add_crl(&second, &[]).unwrap(), CrlUpdate::KeptNewer);
        assert_eq!(store.crls().unwrap(), std::slice::from_ref(&second));
        // A CRL from an attacker's key with the same issuer name never
        // takes the issuer's place.
        assert!(matches!(
            store.add_crl(&forged, &[]),
            Err(Error::CrlNotVerified { .. })
        ));
        assert_eq!(store.crls().unwrap(), std::slice::from_ref(&second));
    });
    let place = backends::sqlite();
    let store = place.open(&pp()).unwrap();
    store.add_crl(&first, &[ca.certificate()]).unwrap();
    place.sql("UPDATE trust SET der = CAST(der || X'00' AS BLOB) WHERE kind = 'crl'");
    assert!(matches!(
        store.crls(),
        Err(Error::StoreCorrupt {
            what: Corrupted::Crl { .. }
        })
    ));
}

/// A recipient certificate a stored CRL revokes is never chosen for
/// encryption; the older, unrevoked one is.
#[test]
fn a_revoked_recipient_certificate_is_not_chosen() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ca = CliCa::new(dir.path(), "mailca", None);
    let (old, _) = issue(
        &Spec {
            key: Key::Rsa(2048),
            not_before_days: -5,
            ..Spec::leaf("Dan", "dan@example.org", 0x51)
        },
        Some((&ca.x509(), &ca.key())),
    );
    let (new, _) = ca.leaf("dan", "dan@example.org");
    ca.revoke(&ca.path("dan.pem"), "keyCompromise");
    let crl = Crl::from_der(&ca.crl(24)).unwrap();
    let dan = "dan@example.org".parse().unwrap();
    on_each_backend(|store, _| {
        store.add_trust_anchor(&ca.certificate()).unwrap();
        store.add_recipient_certificate(&smime_cert(&old)).unwrap();
        store.add_recipient_certificate(&smime_cert(&new)).unwrap();
        assert_eq!(
            store.encryption_certificate(&dan).unwrap(),
            smime_cert(&new)
        );
        store.add_crl(&crl, &[]).unwrap();
        assert_eq!(
            store.encryption_certificate(&dan).unwrap(),
            smime_cert(&old)
        );
    });
}

/// `fixtures/store/v4.db` (schema 4, written by the release before trust
/// rows: alice's identity and bob's certificate added with `add-cert`,
/// passphrase `fixture-passphrase`) migrates to schema 5 on open: bob's row
/// keeps its old tag and counts as added (untrusted until its CA is an
/// anchor), alice's own certificate stays trusted, and the new rows work.
#[test]
fn a_schema_4_file_is_migrated_and_its_recipients_count_as_added() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v4.db");
    std::fs::copy(crate::common::fixture("store/v4.db"), &path).unwrap();
    let version = || -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(), 4);
    let store = Store::open(&path, &Passphrase::new("fixture-passphrase")).unwrap();
    assert_eq!(version(), 5);
    let bob: smime::Mailbox = "bob@example.org".parse().unwrap();
    let alice: smime::Mailbox = "alice@example.org".parse().unwrap();
    assert_eq!(store.recipient_certificates(&bob).unwrap(), [cert("bob")]);
    assert!(matches!(
        store.encryption_certificate(&bob),
        Err(Error::UntrustedRecipient { .. })
    ));
    assert_eq!(store.encryption_certificate(&alice).unwrap(), cert("alice"));
    store.add_trust_anchor(&root()).unwrap();
    // Alice's bundle brought the intermediate, but identities' chains are
    // not searched: bob chains once the intermediate is kept.
    assert!(matches!(
        store.encryption_certificate(&bob),
        Err(Error::UntrustedRecipient { .. })
    ));
    store.add_intermediate(&intermediate_cert()).unwrap();
    assert_eq!(store.encryption_certificate(&bob).unwrap(), cert("bob"));
    // Pinning rewrites the old row with a provenance and the new tag.
    store.remove_trust_anchor(&root().fingerprint()).unwrap();
    store.pin_recipient_certificate(&cert("bob")).unwrap();
    drop(store);
    let store = Store::open(&path, &Passphrase::new("fixture-passphrase")).unwrap();
    assert_eq!(store.encryption_certificate(&bob).unwrap(), cert("bob"));
}

/// A PostgreSQL schema at version 4 (made here by taking version 5's
/// additions away from an empty store) is upgraded in place on open.
#[test]
fn a_schema_4_postgres_database_is_upgraded() {
    let Some(place) = backends::postgres() else {
        return;
    };
    drop(place.open(&pp()).unwrap());
    place.sql(
        "DROP TABLE trust; ALTER TABLE recipients DROP COLUMN provenance;
         UPDATE smime_schema SET version = 4;",
    );
    assert_eq!(
        place.count("SELECT max(version)::bigint FROM smime_schema"),
        4
    );
    let store = place.open(&pp()).unwrap();
    assert_eq!(
        place.count("SELECT max(version)::bigint FROM smime_schema"),
        5
    );
    assert!(store.add_trust_anchor(&root()).unwrap());
    assert!(store.add_recipient_certificate(&cert("carol")).unwrap());
    assert_eq!(store.trust_anchors().unwrap().len(), 1);
}

/// The system roots are OpenSSL's default paths, opt-in: run in a child
/// process whose `SSL_CERT_FILE` names a temporary file holding the
/// fixture root (and `SSL_CERT_DIR` an empty directory), so no real
/// system path is read. Off, the root is not an anchor; on, it is, and
/// alice's signed mail verifies with `with_store_trust`.
#[test]
fn system_roots_come_from_openssl_default_paths_when_enabled() {
    const CHILD: &str = "SMIME_TEST_SYSTEM_ROOTS_CHILD";
    if std::env::var_os(CHILD).is_some() {
        let store = Store::in_memory().unwrap();
        assert!(store.anchors().unwrap().is_empty(), "off by default");
        store.set_use_system_roots(true).unwrap();
        assert_eq!(store.anchors().unwrap(), [root()]);
        assert!(store.trust_anchors().unwrap().is_empty(), "not stored");
        let alice = crate::common::identity("alice");
        let mail = b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
        let signed = smime::sign(mail, &alice, &smime::SignOptions::default()).unwrap();
        let options = VerifyOptions::new(&[]).with_store_trust(&store).unwrap();
        assert!(smime::verify(&signed, &options).unwrap().valid);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roots.pem");
    std::fs::write(&file, read_fixture("ca/root.pem")).unwrap();
    let empty = dir.path().join("certs");
    std::fs::create_dir(&empty).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "store::trust::system_roots_come_from_openssl_default_paths_when_enabled",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("SSL_CERT_FILE", &file)
        .env("SSL_CERT_DIR", &empty)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
