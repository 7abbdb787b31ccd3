//! `add-cert` and `list --recipients`: the recipient directory.

mod common;

use common::*;

#[test]
fn add_cert_files_a_recipient_listed_with_source_recipient() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let fp = fingerprint_of("certs/bob.pem");
    assert_eq!(out.stdout, format!("added {fp} for bob@example.org\n"));

    let entries = env.recipients_json("bob@example.org");
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(str_field(e, "fingerprint"), fp);
    assert_eq!(str_field(e, "source"), "recipient");
    assert_eq!(str_field(e, "mailbox"), "bob@example.org");
    assert!(
        e.get("imported_at").is_none() && e.get("chain").is_none(),
        "{e}"
    );
    // Not one of the store's own mailboxes.
    assert!(env.list_json(None).is_empty());
}

#[test]
fn own_certificates_are_listed_with_source_mailbox() {
    let env = Env::new();
    env.import(ALICE, &alice_p12(), &[]).expect(0);
    let entries = env.list_json(Some(ALICE));
    assert_eq!(str_field(&entries[0], "source"), "mailbox");
}

#[test]
fn list_recipients_requires_a_mailbox() {
    let env = Env::new();
    env.run(&["list", "--recipients"]).expect(2);
    assert!(!env.store.exists());
}

#[test]
fn add_cert_twice_reports_already_present() {
    let env = Env::new();
    env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let out = env.add_cert(&[fixture("certs/bob.pem")]).expect(0);
    let fp = fingerprint_of("certs/bob.pem");
    assert_eq!(out.stdout, format!("already present: {fp}\n"));
    assert_eq!(env.recipients_json("bob@example.org").len(), 1);
}

#[test]
fn add_cert_of_a_pem_bundle_adds_every_certificate() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/bundle.pem")]).expect(0);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("added ")),
        "{}",
        out.stdout
    );
    for name in ["alice", "bob", "carol"] {
        let entries = env.recipients_json(&format!("{name}@example.org"));
        assert_eq!(entries.len(), 1, "{name}: {entries:?}");
        let fp = fingerprint_of(&format!("certs/{name}.pem"));
        assert_eq!(str_field(&entries[0], "fingerprint"), fp);
    }
}

#[test]
fn add_cert_of_a_ca_certificate_exits_2_and_adds_nothing() {
    let env = Env::new();
    // With a good file before it: nothing at all is added.
    let out = env
        .add_cert(&[fixture("certs/bob.pem"), fixture("ca/root.pem")])
        .expect(2)
        .one_line_error();
    assert!(out.stderr.contains("CA certificate"), "{}", out.stderr);
    assert!(!env.store.exists(), "the store was opened");
    env.add_cert(&[fixture("ca/root.pem")])
        .expect(2)
        .one_line_error();
    assert!(env.recipients_json("bob@example.org").is_empty());
}

#[test]
fn add_cert_of_a_garbage_file_exits_2() {
    let env = Env::new();
    let mut random = [0u8; 512];
    openssl::rand::rand_bytes(&mut random).unwrap();
    let garbage = env.file("garbage.pem", &random);
    env.add_cert(&[garbage]).expect(2).one_line_error();
    let missing = env.dir.path().join("missing.pem");
    env.add_cert(&[missing]).expect(2).one_line_error();
    assert!(!env.store.exists(), "the store was opened");
}

#[test]
fn add_cert_reads_der() {
    let env = Env::new();
    let out = env.add_cert(&[fixture("certs/alice.der")]).expect(0);
    let fp = fingerprint_of("certs/alice.der");
    assert_eq!(out.stdout, format!("added {fp} for {ALICE}\n"));
    let entries = env.recipients_json(ALICE);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(str_field(&entries[0], "fingerprint"), fp);
}
