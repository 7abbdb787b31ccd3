//! Store rules, one test body on every backend (memory, SQLite file,
//! PostgreSQL when `SMIME_TEST_POSTGRES` is set), file security, row
//! authentication (tampering through SQL behind the store's back), raw
//! key-encryption keys, domain policy, and one `Store` shared by threads.

mod backends;
mod common;
mod store {
    mod trust;
}

use common::{Mint, PASSWORD, bundle, intermediate, mint, minted_bundle, read_fixture};
use smime::{
    Error, ImportOptions, MAX_CERTS_PER_MAILBOX, Mailbox, Passphrase, Password, Store, StoreFailure,
};

fn mb(s: &str) -> Mailbox {
    s.parse().unwrap()
}

fn pw() -> Password {
    Password::new(PASSWORD)
}

use backends::on_each_backend;

#[test]
fn import_list_get_and_unseal() {
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
            .import_pkcs12_all(
                &alice,
                &mallory,
                &pw(),
                ImportOptions::allowing_address_mismatch(),
            )
            .unwrap();
        assert!(imported.len() == 1 && imported[0].added);
    });
}

#[test]
fn remove_unknown_is_not_found() {
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
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
    on_each_backend(|store, _| {
        let m = mb("signer@example.org");
        assert!(matches!(store.default_signer(&m), Err(Error::NotFound(_))));
        let add = |store: &Store, mint_opts: Mint<'_>| {
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
            let store = open(&path, "pp").unwrap();
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
            matches!(
                &err,
                Error::Store(StoreFailure::SchemaTooNew {
                    found: 99,
                    supported: _
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_store_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        std::fs::write(&path, vec![0x42u8; 4096]).unwrap();
        let err = open(&path, "pp").unwrap_err();
        assert!(
            matches!(err, Error::Store(StoreFailure::Database(_))),
            "{err:?}"
        );
    }

    #[test]
    fn no_private_key_material_in_clear_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        {
            let store = open(&path, "pp").unwrap();
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

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn one_store_serves_many_threads_and_keeps_the_cap() {
    assert_send_sync::<Store>();
    let bundles: Vec<Vec<u8>> = (1..=40)
        .map(|i| minted_bundle("threads@example.org", i))
        .collect();
    on_each_backend(|store, kind| {
        let m = mb("threads@example.org");
        let results: Vec<smime::Result<bool>> = std::thread::scope(|s| {
            let handles: Vec<_> = bundles
                .chunks(5)
                .map(|chunk| {
                    s.spawn(|| {
                        chunk
                            .iter()
                            .map(|b| store.import_pkcs12(&m, b, &pw()).map(|i| i.added))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let added = results.iter().filter(|r| matches!(r, Ok(true))).count();
        let full = results
            .iter()
            .filter(|r| matches!(r, Err(Error::MailboxFull { .. })))
            .count();
        assert_eq!((added, full), (30, 10), "{kind:?}: {results:?}");
        assert_eq!(store.list(&m).unwrap().len(), 30, "{kind:?}");
        // Readers in parallel with each other.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..5 {
                        store.default_signer(&m).unwrap();
                    }
                });
            }
        });
    });
}

mod at_rest {
    use super::*;
    use backends::{Kind, Place, on_each_place, pp, sqlite};
    use smime::{Corrupted, Insecurity};
    use smime::{KeyEncryptionKey, OpenWarning};
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn store_files_are_created_0600_and_a_new_directory_0700() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new-dir/deeper/store.db");
        let store = Store::open(&path, &pp()).unwrap();
        store
            .import_pkcs12(
                &mb("alice@example.org"),
                &read_fixture("p12/alice.p12"),
                &pw(),
            )
            .unwrap();
        assert_eq!(mode(&path), 0o600);
        for side in ["-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{side}", path.display()));
            assert!(p.exists(), "{side} exists while the store is open");
            assert_eq!(mode(&p), 0o600, "{side}");
        }
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&dir.path().join("new-dir")), 0o700);
        assert!(store.warnings().is_empty());
    }

    #[test]
    fn a_loose_store_file_is_refused_untouched() {
        let place = sqlite();
        drop(place.open(&pp()).unwrap());
        let path = place.path();
        for loose in [0o666, 0o620, 0o602] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(loose)).unwrap();
            let before = std::fs::read(&path).unwrap();
            match place.open(&pp()) {
                Err(Error::StoreInsecure {
                    path: p,
                    reason: Insecurity::WritableByOthers { mode },
                }) => {
                    assert_eq!(p, path);
                    assert_eq!(mode, loose);
                }
                other => panic!("{loose:o}: expected StoreInsecure, got {other:?}"),
            }
            assert_eq!(std::fs::read(&path).unwrap(), before);
        }
        // Readable by others: opens, and says so.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = place.open(&pp()).unwrap();
        assert_eq!(
            store.warnings(),
            [OpenWarning::ReadableByOthers {
                path: path.clone(),
                mode: 0o644
            }]
        );
        drop(store);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(place.open(&pp()).unwrap().warnings().is_empty());
    }

    #[test]
    fn a_symlinked_store_path_or_a_non_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.db");
        drop(Store::open(&real, &pp()).unwrap());
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(matches!(
            Store::open(&link, &pp()),
            Err(Error::StoreInsecure {
                reason: Insecurity::Symlink,
                ..
            })
        ));
        // A dangling link is not followed to create a file either.
        let dangling = dir.path().join("dangling.db");
        std::os::unix::fs::symlink(dir.path().join("nowhere.db"), &dangling).unwrap();
        assert!(matches!(
            Store::open(&dangling, &pp()),
            Err(Error::StoreInsecure {
                reason: Insecurity::Symlink,
                ..
            })
        ));
        assert!(!dir.path().join("nowhere.db").exists());
        // A symlinked -wal companion is refused too.
        let other = dir.path().join("other.db");
        drop(Store::open(&other, &pp()).unwrap());
        std::os::unix::fs::symlink(dir.path().join("x"), dir.path().join("other.db-wal")).unwrap();
        assert!(matches!(
            Store::open(&other, &pp()),
            Err(Error::StoreInsecure {
                reason: Insecurity::Symlink,
                ..
            })
        ));
        assert!(matches!(
            Store::open(dir.path(), &pp()),
            Err(Error::StoreInsecure {
                reason: Insecurity::NotARegularFile,
                ..
            })
        ));
    }

    #[test]
    fn an_empty_or_blank_passphrase_is_refused_at_creation_and_on_change() {
        for blank in ["", "   ", "\t \n"] {
            let place = sqlite();
            assert!(
                matches!(
                    place.open(&Passphrase::new(blank)),
                    Err(Error::EmptyPassphrase)
                ),
                "{blank:?}"
            );
            assert!(!place.path().exists() || place.open(&pp()).is_ok());
        }
        on_each_backend(|store, kind| {
            assert!(
                matches!(
                    store.change_passphrase(&Passphrase::new(" ")),
                    Err(Error::EmptyPassphrase)
                ),
                "{kind:?}"
            );
        });
        let place = sqlite();
        let store = place.open(&pp()).unwrap();
        assert!(matches!(
            store.change_passphrase(&Passphrase::empty()),
            Err(Error::EmptyPassphrase)
        ));
        drop(store);
        assert!(
            place.open(&pp()).is_ok(),
            "the old passphrase still opens it"
        );
    }

    /// A store with one of every row kind: alice (certificate + chain +
    /// settings), carol, bob in the directory with capabilities, a domain row.
    fn populated(place: &Place) -> Store {
        let store = place.open(&backends::test_kek()).unwrap();
        let alice = mb("alice@example.org");
        store
            .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
            .unwrap();
        store
            .import_pkcs12(
                &mb("carol@example.org"),
                &read_fixture("p12/carol.p12"),
                &pw(),
            )
            .unwrap();
        store.set_sign_by_default(&alice, true).unwrap();
        store
            .add_verified_signers(&[smime::VerifiedSigner::new(
                common::cert("bob"),
                Some(vec![smime::ContentEncryption::Aes256Gcm]),
                None,
            )])
            .unwrap();
        store
            .set_domain_policy("example.org", smime::DomainPolicy::ENABLED)
            .unwrap();
        store
    }

    fn expect_corrupt(result: smime::Result<impl std::fmt::Debug>, what: &str) -> Corrupted {
        match result {
            Err(Error::StoreCorrupt { what: c }) => c,
            other => panic!("{what}: expected StoreCorrupt, got {other:?}"),
        }
    }

    #[test]
    fn every_tampered_row_kind_is_detected_and_named() {
        let alice = mb("alice@example.org");
        let carol = mb("carol@example.org");
        let bob = mb("bob@example.org");
        let fa = common::cert("alice").fingerprint();
        let fc = common::cert("carol").fingerprint();
        let fb = common::cert("bob").fingerprint();
        type Check = fn(&Store) -> Corrupted;
        type Expect = fn(&Corrupted) -> bool;
        let cases: &[(&str, &str, Check, Expect)] = &[
            (
                "certificate bytes replaced by another certificate",
                "UPDATE certificates SET certificate = (SELECT certificate FROM certificates WHERE mailbox = 'carol@example.org') WHERE mailbox = 'alice@example.org'",
                |s| expect_corrupt(s.list(&mb("alice@example.org")), "list"),
                |c| matches!(c, Corrupted::Certificate { .. }),
            ),
            (
                "facts column edited (can-sign flag)",
                "UPDATE certificates SET flags = 0 WHERE mailbox = 'alice@example.org'",
                |s| expect_corrupt(s.default_signer(&mb("alice@example.org")), "default_signer"),
                |c| matches!(c, Corrupted::Certificate { .. }),
            ),
            (
                "validity column edited",
                "UPDATE certificates SET not_after = not_after + 100000000 WHERE mailbox = 'alice@example.org'",
                |s| {
                    expect_corrupt(
                        s.encryption_certificate(&mb("alice@example.org")),
                        "encryption_certificate",
                    )
                },
                |c| matches!(c, Corrupted::Certificate { .. }),
            ),
            (
                "certificate row moved to another mailbox",
                "UPDATE certificates SET mailbox = 'carol@example.org' WHERE mailbox = 'alice@example.org'",
                |s| expect_corrupt(s.list(&mb("carol@example.org")), "list"),
                |c| matches!(c, Corrupted::Certificate { mailbox, .. } if mailbox.canonical() == "carol@example.org"),
            ),
            (
                "chain certificate edited",
                "UPDATE chain SET der = (SELECT certificate FROM certificates WHERE mailbox = 'carol@example.org') WHERE position = 0 AND certificate_id = (SELECT id FROM certificates WHERE mailbox = 'alice@example.org')",
                |s| expect_corrupt(s.default_signer(&mb("alice@example.org")), "default_signer"),
                |c| matches!(c, Corrupted::Chain { .. }),
            ),
            (
                "chain row moved to another certificate",
                "UPDATE chain SET position = 7, certificate_id = (SELECT id FROM certificates WHERE mailbox = 'carol@example.org') WHERE position = 1 AND certificate_id = (SELECT id FROM certificates WHERE mailbox = 'alice@example.org')",
                |s| expect_corrupt(s.list(&mb("carol@example.org")), "list"),
                |c| matches!(c, Corrupted::Chain { .. }),
            ),
            (
                "chain row deleted",
                "DELETE FROM chain WHERE position = 1 AND certificate_id = (SELECT id FROM certificates WHERE mailbox = 'alice@example.org')",
                |s| expect_corrupt(s.identities(&mb("alice@example.org")), "identities"),
                |c| matches!(c, Corrupted::Chain { .. }),
            ),
            (
                "sealed keys swapped between rows",
                "UPDATE certificates SET sealed_key = (SELECT sealed_key FROM certificates WHERE mailbox = 'carol@example.org') WHERE mailbox = 'alice@example.org'",
                |s| expect_corrupt(s.default_signer(&mb("alice@example.org")), "default_signer"),
                |c| matches!(c, Corrupted::PrivateKey { .. }),
            ),
            (
                "settings edited",
                "UPDATE mailboxes SET sign_by_default = NOT sign_by_default WHERE address = 'alice@example.org'",
                |s| expect_corrupt(s.settings(&mb("alice@example.org")), "settings"),
                |c| matches!(c, Corrupted::Settings { .. }),
            ),
            (
                "settings copied from another mailbox",
                "UPDATE mailboxes SET tag = (SELECT tag FROM mailboxes WHERE address = 'alice@example.org'), sign_by_default = (SELECT sign_by_default FROM mailboxes WHERE address = 'alice@example.org') WHERE address = 'carol@example.org'",
                |s| expect_corrupt(s.settings(&mb("carol@example.org")), "settings"),
                |c| matches!(c, Corrupted::Settings { .. }),
            ),
            (
                "recipient capabilities edited",
                "UPDATE recipients SET capabilities = 'aes256-cbc'",
                |s| {
                    expect_corrupt(
                        s.negotiate_content_encryption(&[mb("bob@example.org")]),
                        "negotiate",
                    )
                },
                |c| matches!(c, Corrupted::Recipient { .. }),
            ),
            (
                "recipient moved to another address",
                "UPDATE recipients SET address = 'alice@example.org'",
                |s| {
                    expect_corrupt(
                        s.encryption_certificate(&mb("alice@example.org")),
                        "encryption_certificate",
                    )
                },
                |c| matches!(c, Corrupted::Recipient { .. }),
            ),
            (
                "recipient certificate replaced",
                "UPDATE recipients SET certificate = (SELECT certificate FROM certificates WHERE mailbox = 'alice@example.org')",
                |s| {
                    expect_corrupt(
                        s.recipient_certificates(&mb("bob@example.org")),
                        "recipient_certificates",
                    )
                },
                |c| matches!(c, Corrupted::Recipient { .. }),
            ),
            (
                "domain policy edited",
                "UPDATE domains SET encryption_allowed = NOT encryption_allowed",
                |s| expect_corrupt(s.domain_policies(), "domain_policies"),
                |c| matches!(c, Corrupted::Domain { domain } if domain == "example.org"),
            ),
            (
                "store policy row deleted (hosted mode switched off)",
                "DELETE FROM meta WHERE name = 'policy'",
                |s| expect_corrupt(s.requires_domain_enablement(), "requires_domain_enablement"),
                |c| matches!(c, Corrupted::Meta { name: "policy" }),
            ),
            (
                "forged certificate row",
                "INSERT INTO certificates (mailbox, fingerprint, certificate, sealed_key, imported_at, not_before, not_after, flags, tag, chain_tag) SELECT 'carol@example.org', fingerprint, certificate, sealed_key, imported_at, not_before, not_after, flags, tag, chain_tag FROM certificates WHERE mailbox = 'alice@example.org'",
                |s| expect_corrupt(s.list(&mb("carol@example.org")), "list"),
                |c| matches!(c, Corrupted::Certificate { .. }),
            ),
        ];
        on_each_place(|place| {
            for (name, sql, check, expected) in cases {
                let fresh = match place.kind {
                    Kind::Sqlite => backends::sqlite(),
                    _ => backends::postgres().unwrap(),
                };
                let store = populated(&fresh);
                // The untouched store reads fine.
                check_all_readable(&store);
                fresh.sql(sql);
                // Detected by the open handle and by a fresh open alike.
                check(&store);
                let store = fresh.open(&backends::test_kek()).unwrap();
                let what = check(&store);
                assert!(
                    expected(&what),
                    "{:?} {name}: wrong row named: {what}",
                    place.kind
                );
                let err = Error::StoreCorrupt { what: what.clone() }.to_string();
                assert!(err.starts_with("store corrupt or tampered with: "), "{err}");
            }
        });
        let _ = (alice, carol, bob, fa, fc, fb);
    }

    fn check_all_readable(store: &Store) {
        let alice = mb("alice@example.org");
        store.list(&alice).unwrap();
        store.default_signer(&alice).unwrap();
        store.identities(&alice).unwrap();
        store.settings(&alice).unwrap();
        store.list(&mb("carol@example.org")).unwrap();
        store.settings(&mb("carol@example.org")).unwrap();
        store
            .recipient_certificates(&mb("bob@example.org"))
            .unwrap();
        store
            .negotiate_content_encryption(&[mb("bob@example.org")])
            .unwrap();
        store.domain_policies().unwrap();
        store.requires_domain_enablement().unwrap();
    }

    #[test]
    fn deleting_the_settings_of_a_mailbox_with_certificates_is_detected() {
        on_each_place(|place| {
            drop(populated(place));
            place.sql("DELETE FROM mailboxes WHERE address = 'alice@example.org'");
            let store = place.open(&backends::test_kek()).unwrap();
            let what = expect_corrupt(store.settings(&mb("alice@example.org")), "settings");
            assert!(matches!(what, Corrupted::Settings { .. }), "{what}");
            let what = expect_corrupt(store.default_signer(&mb("alice@example.org")), "signer");
            assert!(matches!(what, Corrupted::Settings { .. }), "{what}");
        });
    }

    #[test]
    fn a_raw_key_opens_and_rekeys_both_ways() {
        on_each_place(|place| {
            let kek = KeyEncryptionKey::generate().unwrap();
            let alice = mb("alice@example.org");
            let store = place.open(&kek).unwrap();
            store
                .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                .unwrap();
            drop(store);
            // How fast it opens is a benchmark's business (benches/store.rs),
            // not a test's: a loaded machine would make it flaky.
            let store = place.open(&kek).unwrap();
            assert!(store.default_signer(&alice).is_ok());
            drop(store);
            // The wrong key, or a passphrase, is refused and changes nothing.
            let wrong = KeyEncryptionKey::generate().unwrap();
            assert!(matches!(place.open(&wrong), Err(Error::WrongPassphrase)));
            assert!(matches!(place.open(&pp()), Err(Error::WrongPassphrase)));
            // Raw key -> passphrase -> another raw key, each in one transaction.
            let store = place.open(&kek).unwrap();
            store.rekey(&Passphrase::new("new passphrase")).unwrap();
            assert!(store.default_signer(&alice).is_ok(), "the handle follows");
            drop(store);
            assert!(matches!(place.open(&kek), Err(Error::WrongPassphrase)));
            let store = place.open(&Passphrase::new("new passphrase")).unwrap();
            let kek2 = KeyEncryptionKey::generate().unwrap();
            store.rekey(&kek2).unwrap();
            drop(store);
            assert!(matches!(
                place.open(&Passphrase::new("new passphrase")),
                Err(Error::WrongPassphrase)
            ));
            let store = place.open(&kek2).unwrap();
            assert!(store.default_signer(&alice).is_ok());
            assert_eq!(store.list(&alice).unwrap().len(), 1);
        });
        assert!(matches!(
            KeyEncryptionKey::from_slice(&[1; 31]),
            Err(Error::InvalidKeyEncryptionKey { len: 31 })
        ));
    }

    #[test]
    fn a_rekey_by_another_process_is_its_own_error() {
        on_each_place(|place| {
            let alice = mb("alice@example.org");
            let a = place.open(&pp()).unwrap();
            a.import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                .unwrap();
            let b = place.open(&pp()).unwrap();
            b.change_passphrase(&Passphrase::new("other")).unwrap();
            assert!(
                matches!(
                    a.set_sign_by_default(&alice, true),
                    Err(Error::StoreKeyChanged)
                ),
                "{:?}",
                place.kind
            );
            assert!(matches!(
                a.default_signer(&alice),
                Err(Error::StoreKeyChanged)
            ));
            assert!(matches!(
                a.change_passphrase(&Passphrase::new("third")),
                Err(Error::StoreKeyChanged)
            ));
            assert!(b.default_signer(&alice).is_ok());
        });
    }
}

mod domains {
    use super::*;
    use smime::DomainPolicy;

    #[test]
    fn every_domain_is_enabled_unless_the_store_requires_enablement() {
        on_each_backend(|store, kind| {
            let alice = mb("alice@example.org");
            assert!(!store.requires_domain_enablement().unwrap());
            assert_eq!(
                store.domain_policy("example.org").unwrap(),
                DomainPolicy::ENABLED
            );
            store
                .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                .unwrap();
            store.set_encrypt_by_default(&alice, true).unwrap();
            store.set_sign_by_default(&alice, true).unwrap();

            store.set_require_domain_enablement(true).unwrap();
            assert!(store.requires_domain_enablement().unwrap());
            let refused = |r: smime::Result<()>, what: &str| match r {
                Err(Error::DomainNotEnabled { domain }) => assert_eq!(domain, "example.org"),
                other => panic!("{kind:?} {what}: expected DomainNotEnabled, got {other:?}"),
            };
            refused(
                store
                    .import_pkcs12(&alice, &read_fixture("p12/alice.p12"), &pw())
                    .map(|_| ()),
                "import_pkcs12",
            );
            let bob_id = common::identity("bob");
            refused(
                store
                    .import_identity(&mb("bob@example.org"), &bob_id, ImportOptions::default())
                    .map(|_| ()),
                "import_identity",
            );
            refused(store.default_signer(&alice).map(|_| ()), "default_signer");
            refused(store.identities(&alice).map(|_| ()), "identities");
            refused(
                store
                    .identity(&alice, &common::cert("alice").fingerprint())
                    .map(|_| ()),
                "identity",
            );
            refused(
                store.set_encrypt_by_default(&alice, true),
                "encrypt by default",
            );
            refused(store.check_domain_enabled(&alice), "check");
            let s = store.settings(&alice).unwrap();
            assert!(
                !s.encrypt_by_default && !s.sign_by_default,
                "{kind:?}: {s:?}"
            );
            // Switching encryption off stays possible.
            store.set_encrypt_by_default(&alice, false).unwrap();
            store.set_encrypt_by_default(&alice, true).unwrap_err();

            // The admin enables the domain (IDN and case folded).
            store
                .set_domain_policy("Example.ORG", DomainPolicy::ENABLED)
                .unwrap();
            assert!(store.default_signer(&alice).is_ok());
            store.set_encrypt_by_default(&alice, true).unwrap();
            assert_eq!(store.identities(&alice).unwrap().len(), 1);
            assert!(store.settings(&alice).unwrap().sign_by_default);

            // Enabled, but encryption by default not allowed.
            store
                .set_domain_policy("example.org", DomainPolicy::new(true, false))
                .unwrap();
            assert!(!store.settings(&alice).unwrap().encrypt_by_default);
            match store.set_encrypt_by_default(&alice, true) {
                Err(Error::EncryptionNotAllowed { domain }) => assert_eq!(domain, "example.org"),
                other => panic!("{kind:?}: expected EncryptionNotAllowed, got {other:?}"),
            }
            assert!(store.default_signer(&alice).is_ok());

            store
                .set_domain_policy("bücher.example", DomainPolicy::ENABLED)
                .unwrap();
            assert_eq!(
                store.domain_policies().unwrap(),
                [
                    ("example.org".to_owned(), DomainPolicy::new(true, false)),
                    ("xn--bcher-kva.example".to_owned(), DomainPolicy::ENABLED),
                ]
            );
            assert!(store.remove_domain_policy("example.org").unwrap());
            assert!(!store.remove_domain_policy("example.org").unwrap());
            assert_eq!(
                store.domain_policy("example.org").unwrap(),
                DomainPolicy::DISABLED
            );
            assert!(matches!(
                store.set_domain_policy("not a domain", DomainPolicy::ENABLED),
                Err(Error::InvalidAddress { .. })
            ));

            // Back to desktop mode: enabled again, an explicit row still counts.
            store.set_require_domain_enablement(false).unwrap();
            assert!(store.default_signer(&alice).is_ok());
            store
                .set_domain_policy("example.org", DomainPolicy::DISABLED)
                .unwrap();
            refused(
                store.default_signer(&alice).map(|_| ()),
                "explicitly disabled",
            );
        });
    }
}

mod batches {
    use super::*;

    #[test]
    fn a_batch_imports_in_one_transaction_or_not_at_all() {
        let ids: Vec<smime::Identity> = (0..32u32)
            .map(|i| {
                smime::pkcs12::import(
                    &minted_bundle("batch@example.org", 700 + i),
                    &pw(),
                    &smime::Limits::default(),
                )
                .unwrap()
            })
            .collect();
        on_each_backend(|store, kind| {
            let (a, b) = (mb("batch@example.org"), mb("other@example.org"));
            let options = ImportOptions::allowing_address_mismatch();
            let batch: Vec<(&Mailbox, &smime::Identity)> = ids[..29]
                .iter()
                .map(|id| (&a, id))
                .chain([(&b, &ids[0]), (&a, &ids[0])])
                .collect();
            let imported = store.import_identities(&batch, options).unwrap();
            assert_eq!(imported.len(), 31);
            assert_eq!(imported.iter().filter(|i| i.added).count(), 30, "{kind:?}");
            assert!(
                !imported[30].added,
                "the same identity twice in one mailbox: once"
            );
            assert_eq!(store.list(&a).unwrap().len(), 29);
            assert_eq!(
                store.default_signer(&b).unwrap().certificate(),
                ids[0].certificate()
            );
            // 29 + 2 > 30: the whole batch is refused, nothing of it stays.
            let over: Vec<(&Mailbox, &smime::Identity)> =
                vec![(&b, &ids[1]), (&a, &ids[29]), (&a, &ids[30])];
            assert!(matches!(
                store.import_identities(&over, options),
                Err(Error::MailboxFull { .. })
            ));
            assert_eq!(store.list(&a).unwrap().len(), 29);
            assert_eq!(
                store.list(&b).unwrap().len(),
                1,
                "{kind:?}: b's import rolled back"
            );
            // The address rule and the domain rule hold per item.
            assert!(matches!(
                store.import_identities(&[(&b, &ids[2])], ImportOptions::default()),
                Err(Error::AddressMismatch { .. })
            ));
            store.set_require_domain_enablement(true).unwrap();
            assert!(matches!(
                store.import_identities(&[(&b, &ids[2])], options),
                Err(Error::DomainNotEnabled { .. })
            ));
            // The lookup alone names what default_signer would use.
            store
                .set_domain_policy("example.org", smime::DomainPolicy::ENABLED)
                .unwrap();
            assert_eq!(
                store.default_signer_fingerprint(&b).unwrap(),
                ids[0].certificate().fingerprint()
            );
            assert!(matches!(
                store.default_signer_fingerprint(&mb("nobody@example.org")),
                Err(Error::NotFound(_))
            ));
        });
    }

    /// A store keyed with an empty passphrase by an older version (built by
    /// hand here: the library refuses to make one) opens, with a warning.
    #[test]
    fn an_old_store_with_a_blank_passphrase_opens_with_a_warning() {
        use openssl::symm::{Cipher, encrypt_aead};
        let place = backends::sqlite();
        drop(place.open(&backends::pp()).unwrap());
        let salt = [7u8; 16];
        let mut kek = [0u8; 32];
        openssl::pkcs5::pbkdf2_hmac(
            b"",
            &salt,
            1,
            openssl::hash::MessageDigest::sha256(),
            &mut kek,
        )
        .unwrap();
        let nonce = [9u8; 12];
        let mut tag = [0u8; 16];
        let ct = encrypt_aead(
            Cipher::aes_256_gcm(),
            &kek,
            Some(&nonce),
            b"smime store check v2",
            b"smime store passphrase check",
            &mut tag,
        )
        .unwrap();
        let check = [&[1u8][..], &nonce, &ct, &tag].concat();
        let conn = rusqlite::Connection::open(place.path()).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'kdf_salt'",
            [&salt[..]],
        )
        .unwrap();
        conn.execute(
            "UPDATE meta SET value = CAST('1' AS BLOB) WHERE name = 'kdf_iterations'",
            [],
        )
        .unwrap();
        conn.execute("UPDATE meta SET value = ?1 WHERE name = 'check'", [&check])
            .unwrap();
        drop(conn);
        let store = place.open(&Passphrase::empty()).unwrap();
        assert_eq!(store.warnings(), [smime::OpenWarning::BlankPassphrase]);
        assert!(matches!(
            place.open(&backends::pp()),
            Err(Error::WrongPassphrase)
        ));
    }
}

/// Bundles with several identities (RFC 9216's samples: a signing and an
/// encryption pair in one .p12; `fixtures/interop/rfc9216-*.p12`).
mod bundles {
    use super::*;

    fn rfc9216(name: &str) -> Vec<u8> {
        read_fixture(&format!("interop/rfc9216-{name}.p12"))
    }

    /// The RFC 9216 certificate of `name`'s `usage` ("sign" or
    /// "encrypt") pair, as published beside the bundle.
    fn crt(name: &str, usage: &str) -> smime::Certificate {
        let pem = read_fixture(&format!("interop/rfc9216-{name}.{usage}.crt"));
        smime::Certificate::from_pem(&pem).unwrap()
    }

    #[test]
    fn the_certificates_to_share_are_every_pair_and_the_chain_once() {
        on_each_backend(|store, kind| {
            let alice = mb("alice@smime.example");
            assert!(store.certificates_to_share(&alice).unwrap().is_empty());
            store
                .import_pkcs12_all(
                    &alice,
                    &rfc9216("alice"),
                    &Password::new("alice"),
                    ImportOptions::default(),
                )
                .unwrap();
            let shared = store.certificates_to_share(&alice).unwrap();
            assert_eq!(shared.len(), 3, "{kind:?}: two pairs, one CA");
            for cert in [crt("alice", "sign"), crt("alice", "encrypt")] {
                assert!(shared.contains(&cert), "{kind:?}");
            }
            assert_eq!(
                shared.iter().filter(|c| c.is_ca()).count(),
                1,
                "{kind:?}: the shared CA once"
            );
        });
    }

    #[test]
    fn every_pair_is_stored_and_key_usage_picks_the_signer_and_the_encryption_key() {
        on_each_backend(|store, kind| {
            for name in ["alice", "bob"] {
                let mailbox = mb(&format!("{name}@smime.example"));
                let (signing, encryption) = (crt(name, "sign"), crt(name, "encrypt"));
                let imported = store
                    .import_pkcs12_all(
                        &mailbox,
                        &rfc9216(name),
                        &Password::new(name),
                        ImportOptions::default(),
                    )
                    .unwrap();
                assert_eq!(imported.len(), 2, "{kind:?} {name}");
                assert!(imported.iter().all(|i| i.added));
                let listed: Vec<_> = store
                    .list(&mailbox)
                    .unwrap()
                    .into_iter()
                    .map(|s| s.certificate)
                    .collect();
                assert_eq!(listed.len(), 2, "each pair one slot");
                assert!(listed.contains(&signing) && listed.contains(&encryption));
                assert_eq!(
                    store.default_signer(&mailbox).unwrap().certificate(),
                    &signing
                );
                assert_eq!(store.encryption_certificate(&mailbox).unwrap(), encryption);
                // Mail encrypted to the mailbox opens with its keys.
                let sealed = smime::encrypt(
                    b"Subject: hi\r\n\r\nfor the encryption key\r\n",
                    std::slice::from_ref(&encryption),
                    &smime::EncryptOptions::default(),
                )
                .unwrap();
                let opened = smime::decrypt(
                    &sealed,
                    &store.identities(&mailbox).unwrap(),
                    &smime::DecryptOptions::default(),
                )
                .unwrap();
                assert!(common::find(&opened.content, b"for the encryption key").is_some());
                // Again: idempotent, no new slot.
                let again = store
                    .import_pkcs12_all(
                        &mailbox,
                        &rfc9216(name),
                        &Password::new(name),
                        ImportOptions::default(),
                    )
                    .unwrap();
                assert!(again.iter().all(|i| !i.added));
                assert_eq!(store.list(&mailbox).unwrap().len(), 2);
            }
        });
    }

    #[test]
    fn a_bundle_that_needs_the_thirty_first_slot_is_refused_whole() {
        let fillers: Vec<smime::Identity> = (0..29u32)
            .map(|i| {
                smime::pkcs12::import(
                    &minted_bundle("alice@smime.example", 900 + i),
                    &pw(),
                    &smime::Limits::default(),
                )
                .unwrap()
            })
            .collect();
        on_each_backend(|store, kind| {
            let alice = mb("alice@smime.example");
            let batch: Vec<_> = fillers.iter().map(|i| (&alice, i)).collect();
            store
                .import_identities(&batch, ImportOptions::default())
                .unwrap();
            assert_eq!(store.list(&alice).unwrap().len(), 29);
            let settings = store.settings(&alice).unwrap();
            let err = store
                .import_pkcs12_all(
                    &alice,
                    &rfc9216("alice"),
                    &Password::new("alice"),
                    ImportOptions::default(),
                )
                .unwrap_err();
            assert!(
                matches!(&err, Error::MailboxFull { mailbox, max: 30 } if mailbox == &alice),
                "{kind:?}: {err:?}"
            );
            assert_eq!(
                store.list(&alice).unwrap().len(),
                29,
                "{kind:?}: not one pair stored"
            );
            assert_eq!(store.settings(&alice).unwrap(), settings);
            // Two free slots: both pairs fit.
            store
                .remove(&alice, &fillers[0].certificate().fingerprint())
                .unwrap();
            let imported = store
                .import_pkcs12_all(
                    &alice,
                    &rfc9216("alice"),
                    &Password::new("alice"),
                    ImportOptions::default(),
                )
                .unwrap();
            assert_eq!(imported.len(), 2);
            assert_eq!(store.list(&alice).unwrap().len(), MAX_CERTS_PER_MAILBOX);
        });
    }

    #[test]
    fn a_refused_bundle_stores_nothing() {
        on_each_backend(|store, kind| {
            let alice = mb("alice@smime.example");
            let import = |mailbox: &Mailbox, password: &str| {
                store.import_pkcs12_all(
                    mailbox,
                    &rfc9216("alice"),
                    &Password::new(password),
                    ImportOptions::default(),
                )
            };
            assert!(matches!(import(&alice, "nope"), Err(Error::WrongPassword)));
            // The one-key import points elsewhere rather than pick one.
            assert!(matches!(
                store.import_pkcs12(&alice, &rfc9216("alice"), &Password::new("alice")),
                Err(Error::UnsupportedBundle(smime::BundleError::SeveralKeys(2)))
            ));
            let other = mb("carol@smime.example");
            assert!(
                matches!(import(&other, "alice"), Err(Error::AddressMismatch { .. })),
                "{kind:?}"
            );
            store.set_require_domain_enablement(true).unwrap();
            assert!(matches!(
                import(&alice, "alice"),
                Err(Error::DomainNotEnabled { domain }) if domain == "smime.example"
            ));
            assert!(store.list(&alice).unwrap().is_empty());
            assert!(store.list(&other).unwrap().is_empty());
        });
    }
}
