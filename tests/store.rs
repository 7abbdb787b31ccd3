//! Store rules, run against both backends (memory and SQLite file).

mod common;

use common::{Mint, PASSWORD, bundle, intermediate, mint, minted_bundle, read_fixture};
use smime::{Error, ImportOptions, MAX_CERTS_PER_MAILBOX, Mailbox, Passphrase, Password, Store};

fn mb(s: &str) -> Mailbox {
    s.parse().unwrap()
}

fn pw() -> Password {
    Password::new(PASSWORD)
}

/// Runs `test` once on an in-memory store and once on a fresh SQLite file.
fn on_each_backend(test: impl Fn(&mut Store)) {
    let mut memory = Store::in_memory().unwrap();
    test(&mut memory);
    let dir = tempfile::tempdir().unwrap();
    let mut file = Store::open(dir.path().join("store.db"), &Passphrase::new("pp")).unwrap();
    test(&mut file);
}

#[test]
fn import_list_get_and_unseal() {
    on_each_backend(|store| {
        let alice = mb("alice@example.org");
        let imported = store
            .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
            .unwrap();
        assert!(imported.added);
        let fp = imported.certificate.fingerprint();
        let listed = store.list(&alice).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].certificate.fingerprint(), fp);
        assert_eq!(
            listed[0].chain.len(),
            2,
            "the chain travels with the certificate"
        );
        assert_eq!(
            store.get(&alice, &fp).unwrap().certificate,
            imported.certificate
        );
        let id = store.identity(&alice, &fp).unwrap();
        let expected =
            openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/alice.key")).unwrap();
        assert_eq!(
            *id.private_key().to_pkcs8_der().unwrap(),
            expected.private_key_to_pkcs8().unwrap()
        );
        assert_eq!(store.mailboxes().unwrap(), [alice]);
    });
}

#[test]
fn mailbox_lookup_is_case_insensitive() {
    on_each_backend(|store| {
        store
            .import_pkcs12(
                &mb("Alice@Example.ORG"),
                &read_fixture("p12/alice.p12"),
                &pw(),
            )
            .unwrap();
        assert_eq!(store.list(&mb("alice@example.org")).unwrap().len(), 1);
    });
}

#[test]
fn thirty_certificates_fit_and_the_thirty_first_is_refused_whole() {
    on_each_backend(|store| {
        let cap = mb("cap@example.org");
        let mut fingerprints = Vec::new();
        for serial in 1..=MAX_CERTS_PER_MAILBOX as u32 {
            let imported = store
                .import_pkcs12(&cap, &minted_bundle("cap@example.org", serial), &pw())
                .unwrap();
            assert!(imported.added);
            fingerprints.push(imported.certificate.fingerprint());
        }
        // Each bundle carried the intermediate CA: chain certificates do not count.
        assert_eq!(store.list(&cap).unwrap().len(), MAX_CERTS_PER_MAILBOX);

        let before = store.list(&cap).unwrap();
        let settings_before = store.settings(&cap).unwrap();
        let extra = minted_bundle("cap@example.org", 31);
        let err = store.import_pkcs12(&cap, &extra, &pw()).unwrap_err();
        match &err {
            Error::MailboxFull { mailbox, max } => {
                assert_eq!(mailbox, &cap);
                assert_eq!(*max, 30);
            }
            other => panic!("expected MailboxFull, got {other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "mailbox cap@example.org is full (30 certificates)"
        );
        let after = store.list(&cap).unwrap();
        assert_eq!(
            before
                .iter()
                .map(|s| s.certificate.fingerprint())
                .collect::<Vec<_>>(),
            after
                .iter()
                .map(|s| s.certificate.fingerprint())
                .collect::<Vec<_>>(),
            "a refused import changes nothing"
        );
        assert_eq!(store.settings(&cap).unwrap(), settings_before);

        // Re-importing one already held is still fine when full (idempotent).
        let again = store.import_pkcs12(&cap, &minted_bundle_again(store, &cap), &pw());
        assert!(again.is_ok_and(|i| !i.added));

        // Removing one frees a slot.
        store.remove(&cap, &fingerprints[0]).unwrap();
        assert_eq!(store.list(&cap).unwrap().len(), 29);
        assert!(store.import_pkcs12(&cap, &extra, &pw()).unwrap().added);
        assert_eq!(store.list(&cap).unwrap().len(), 30);

        // The cap is per mailbox.
        let other = mb("other@example.org");
        assert!(
            store
                .import_pkcs12(&other, &minted_bundle("other@example.org", 99), &pw())
                .unwrap()
                .added
        );
    });
}

/// A PKCS#12 of an identity the mailbox already holds.
fn minted_bundle_again(store: &Store, mailbox: &Mailbox) -> Vec<u8> {
    let first = &store.list(mailbox).unwrap()[0];
    let id = store
        .identity(mailbox, &first.certificate.fingerprint())
        .unwrap();
    let cert = openssl::x509::X509::from_der(id.certificate().to_der()).unwrap();
    let key =
        openssl::pkey::PKey::private_key_from_pkcs8(&id.private_key().to_pkcs8_der().unwrap())
            .unwrap();
    bundle(Some(&key), Some(&cert), &[], PASSWORD)
}

#[test]
fn reimporting_the_same_certificate_is_idempotent() {
    on_each_backend(|store| {
        let alice = mb("alice@example.org");
        assert!(
            store
                .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                .unwrap()
                .added
        );
        // Same certificate through another bundle format.
        let again = store
            .import_pkcs12(&alice, &read_fixture("p12/alice-legacy.p12"), &pw())
            .unwrap();
        assert!(!again.added);
        assert_eq!(store.list(&alice).unwrap().len(), 1);
    });
}

#[test]
fn failed_imports_change_nothing() {
    on_each_backend(|store| {
        let alice = mb("alice@example.org");
        let err = store
            .import_pkcs12(
                &alice,
                &read_fixture("p12/alice.p12"),
                &Password::new("wrong"),
            )
            .unwrap_err();
        assert!(matches!(err, Error::WrongPassword));
        let err = store.import_pkcs12(&alice, b"garbage", &pw()).unwrap_err();
        assert!(matches!(err, Error::CorruptBundle(_)));
        let p12 = read_fixture("p12/alice.p12");
        let err = store
            .import_pkcs12(&alice, &p12[..p12.len() / 2], &pw())
            .unwrap_err();
        assert!(matches!(err, Error::CorruptBundle(_)), "{err:?}");
        assert!(store.list(&alice).unwrap().is_empty());
        assert!(store.mailboxes().unwrap().is_empty());
    });
}

#[test]
fn certificate_for_another_address_needs_the_override() {
    on_each_backend(|store| {
        let alice = mb("alice@example.org");
        let mallory = read_fixture("p12/mallory.p12");
        match store.import_pkcs12(&alice, &mallory, &pw()) {
            Err(Error::AddressMismatch {
                mailbox,
                certificate_emails,
            }) => {
                assert_eq!(mailbox, alice);
                assert_eq!(certificate_emails, ["mallory@example.net"]);
            }
            other => panic!("expected AddressMismatch, got {other:?}"),
        }
        assert!(store.list(&alice).unwrap().is_empty());
        let imported = store
            .import_pkcs12_with(
                &alice,
                &mallory,
                &pw(),
                ImportOptions::allowing_address_mismatch(),
            )
            .unwrap();
        assert!(imported.added);
    });
}

#[test]
fn remove_unknown_is_not_found() {
    on_each_backend(|store| {
        let alice = mb("alice@example.org");
        let fp = smime::Certificate::from_pem(&read_fixture("certs/alice.pem"))
            .unwrap()
            .fingerprint();
        assert!(matches!(store.remove(&alice, &fp), Err(Error::NotFound(_))));
        assert!(matches!(store.get(&alice, &fp), Err(Error::NotFound(_))));
        assert!(matches!(
            store.identity(&alice, &fp),
            Err(Error::NotFound(_))
        ));
    });
}

#[test]
fn encryption_by_default_needs_a_certificate_that_can_decrypt() {
    on_each_backend(|store| {
        let grace = mb("grace@example.org");
        assert!(matches!(
            store.set_encrypt_by_default(&grace, true),
            Err(Error::NoDecryptionCertificate(_))
        ));
        // grace's certificate can sign but not decrypt (digitalSignature only).
        store
            .import_pkcs12(&grace, &read_fixture("p12/grace.p12"), &pw())
            .unwrap();
        assert!(matches!(
            store.set_encrypt_by_default(&grace, true),
            Err(Error::NoDecryptionCertificate(_))
        ));
        assert!(!store.settings(&grace).unwrap().encrypt_by_default);
        // Switching it off is always allowed.
        store.set_encrypt_by_default(&grace, false).unwrap();

        let alice = mb("alice@example.org");
        let fp = store
            .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
            .unwrap()
            .certificate
            .fingerprint();
        store.set_encrypt_by_default(&alice, true).unwrap();
        store.set_sign_by_default(&alice, true).unwrap();
        let s = store.settings(&alice).unwrap();
        assert!(s.encrypt_by_default && s.sign_by_default);
        // Removing the last certificate that can decrypt switches it off again.
        store.remove(&alice, &fp).unwrap();
        let s = store.settings(&alice).unwrap();
        assert!(!s.encrypt_by_default && s.sign_by_default);
    });
}

#[test]
fn several_settings_change_together_or_not_at_all() {
    on_each_backend(|store| {
        let grace = mb("grace@example.org");
        let fp = store
            .import_pkcs12(&grace, &read_fixture("p12/grace.p12"), &pw())
            .unwrap()
            .certificate
            .fingerprint();
        // Choosing the signer is fine, encryption is not (grace cannot decrypt).
        let err = store
            .update_settings(&grace, |s| {
                s.default_signer = Some(fp);
                s.sign_by_default = true;
                s.encrypt_by_default = true;
            })
            .unwrap_err();
        assert!(matches!(err, Error::NoDecryptionCertificate(_)), "{err:?}");
        assert_eq!(store.settings(&grace).unwrap(), smime::Settings::default());
        store
            .update_settings(&grace, |s| {
                s.default_signer = Some(fp);
                s.sign_by_default = true;
            })
            .unwrap();
        let s = store.settings(&grace).unwrap();
        assert_eq!(
            (s.default_signer, s.sign_by_default, s.encrypt_by_default),
            (Some(fp), true, false)
        );
    });
}

#[test]
fn default_signer_is_the_explicit_choice_else_the_newest_valid_one() {
    on_each_backend(|store| {
        let m = mb("signer@example.org");
        assert!(matches!(store.default_signer(&m), Err(Error::NotFound(_))));
        let add = |store: &mut Store, mint_opts: Mint<'_>| {
            let (cert, key) = mint(mint_opts);
            let p12 = bundle(Some(&key), Some(&cert), &[intermediate().0], PASSWORD);
            store
                .import_pkcs12(&m, &p12, &pw())
                .unwrap()
                .certificate
                .fingerprint()
        };
        let older = add(
            store,
            Mint {
                not_before_days: -30,
                ..Mint::new("signer@example.org", 1)
            },
        );
        let newer = add(
            store,
            Mint {
                not_before_days: -2,
                ..Mint::new("signer@example.org", 2)
            },
        );
        // Newest of all, but expired: never chosen automatically.
        let _expired = add(
            store,
            Mint {
                not_before_days: -1,
                not_after_days: -1,
                ..Mint::new("signer@example.org", 3)
            },
        );
        // Newest valid, but its EKU forbids e-mail: not chosen either.
        let no_email = add(
            store,
            Mint {
                not_before_days: 0,
                email_protection: false,
                ..Mint::new("signer@example.org", 4)
            },
        );
        // Imported last but issued earliest: import order does not matter.
        let _oldest = add(
            store,
            Mint {
                not_before_days: -60,
                ..Mint::new("signer@example.org", 5)
            },
        );

        let fp = |store: &Store| {
            store
                .default_signer(&m)
                .unwrap()
                .certificate()
                .fingerprint()
        };
        assert_eq!(fp(store), newer);

        store.set_default_signer(&m, Some(older)).unwrap();
        assert_eq!(fp(store), older);
        assert_eq!(store.settings(&m).unwrap().default_signer, Some(older));

        let err = store.set_default_signer(&m, Some(no_email)).unwrap_err();
        assert!(matches!(err, Error::CertificateNotUsable { .. }), "{err:?}");

        // Removing the chosen one falls back to automatic.
        store.remove(&m, &older).unwrap();
        assert_eq!(store.settings(&m).unwrap().default_signer, None);
        assert_eq!(fp(store), newer);
        store.set_default_signer(&m, None).unwrap();
        assert_eq!(fp(store), newer);
    });
}

mod sqlite {
    use super::*;

    fn open(path: &std::path::Path, pp: &str) -> smime::Result<Store> {
        Store::open(path, &Passphrase::new(pp))
    }

    #[test]
    fn persists_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let alice = mb("alice@example.org");
        let fp = {
            let mut store = open(&path, "pp").unwrap();
            let fp = store
                .import_pkcs12(&alice, &read_fixture("p12/carol.p12"), &pw())
                .map(|i| i.certificate.fingerprint());
            assert!(matches!(fp, Err(Error::AddressMismatch { .. })));
            let fp = store
                .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                .unwrap()
                .certificate
                .fingerprint();
            store.set_sign_by_default(&alice, true).unwrap();
            fp
        };
        let store = open(&path, "pp").unwrap();
        assert_eq!(store.list(&alice).unwrap().len(), 1);
        assert!(store.settings(&alice).unwrap().sign_by_default);
        assert_eq!(
            store
                .default_signer(&alice)
                .unwrap()
                .certificate()
                .fingerprint(),
            fp
        );
    }

    #[test]
    fn wrong_passphrase_is_its_own_error_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        open(&path, "right")
            .unwrap()
            .import_pkcs12(
                &mb("alice@example.org"),
                &read_fixture("p12/alice.p12"),
                &pw(),
            )
            .unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(open(&path, "wrong"), Err(Error::WrongPassphrase)));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            open(&path, "right")
                .unwrap()
                .list(&mb("alice@example.org"))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn a_file_from_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(open(&path, "pp").unwrap());
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let bytes = std::fs::read(&path).unwrap();
        let err = open(&path, "pp").unwrap_err();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a newer file is not touched"
        );
        assert!(
            matches!(&err, Error::Store(m) if m.contains("schema version 99")),
            "{err:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_store_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        std::fs::write(&path, vec![0x42u8; 4096]).unwrap();
        let err = open(&path, "pp").unwrap_err();
        assert!(matches!(err, Error::Store(_)), "{err:?}");
    }

    #[test]
    fn no_private_key_material_in_clear_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        {
            let mut store = open(&path, "pp").unwrap();
            store
                .import_pkcs12(
                    &mb("alice@example.org"),
                    &read_fixture("p12/alice.p12"),
                    &pw(),
                )
                .unwrap();
            store
                .import_pkcs12(
                    &mb("carol@example.org"),
                    &read_fixture("p12/carol.p12"),
                    &pw(),
                )
                .unwrap();
        }
        let mut bytes = std::fs::read(&path).unwrap();
        for side in ["-wal", "-shm"] {
            if let Ok(more) = std::fs::read(format!("{}{side}", path.display())) {
                bytes.extend(more);
            }
        }
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        let rsa =
            openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/alice.key")).unwrap();
        let d = rsa.rsa().unwrap().d().to_vec();
        let p = rsa.rsa().unwrap().p().unwrap().to_vec();
        assert!(
            !contains(&d[..32]),
            "RSA private exponent found in the store file"
        );
        assert!(!contains(&p[..32]), "RSA prime found in the store file");
        let ec =
            openssl::pkey::PKey::private_key_from_pem(&read_fixture("keys/carol.key")).unwrap();
        let scalar = ec.ec_key().unwrap().private_key().to_vec();
        assert!(
            !contains(&scalar),
            "EC private scalar found in the store file"
        );
        // The fixed prefix of an unencrypted PKCS#8 PrivateKeyInfo for RSA.
        let pkcs8_rsa_prefix = [
            0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
            0x01, 0x01,
        ];
        assert!(
            !contains(&pkcs8_rsa_prefix),
            "an unencrypted PKCS#8 key header is in the file"
        );
        // The certificates themselves are public and are stored.
        assert!(contains(&read_fixture("certs/alice.der")));
    }
}
