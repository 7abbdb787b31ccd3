//! Issue 14, case 8: encryption hijack. One `add-cert` of a self-signed
//! certificate naming bob@example.org made `encrypt --to-addr
//! bob@example.org` encrypt only to it (newest notBefore won, no trust
//! check), so the real Bob could not read the mail and the attacker could.
//! Now the store encrypts only to trusted certificates (own, chained to a
//! store anchor, learnt from a trusted signature, or pinned), an untrusted
//! one never displaces a trusted one, and an address with only untrusted
//! certificates is refused with `Error::UntrustedRecipient` unless the
//! caller allows untrusted ones.

use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use smime::{
    Certificate, DecryptOptions, EncryptOptions, Error, Mailbox, RecipientLookup, Store,
    VerifiedSigner, decrypt, encrypt,
};

use crate::common::pki::{Key, Spec, identity_of, issue, smime_cert};

fn bob() -> Mailbox {
    "bob@example.org".parse().unwrap()
}

/// A root, the real Bob issued by it ten days ago, and an attacker's
/// self-signed certificate naming Bob, made yesterday (newer).
struct Case {
    root: Certificate,
    real: (X509, PKey<Private>),
    fake: (X509, PKey<Private>),
}

fn case() -> Case {
    let (root, root_key) = issue(&Spec::ca("Trusted Root", 1), None);
    let real = issue(
        &Spec {
            key: Key::Rsa(2048),
            not_before_days: -10,
            ..Spec::leaf("Bob", "bob@example.org", 2)
        },
        Some((&root, &root_key)),
    );
    let fake = issue(
        &Spec {
            key: Key::Rsa(2048),
            ..Spec::leaf("Bob", "bob@example.org", 3)
        },
        None,
    );
    Case {
        root: smime_cert(&root),
        real,
        fake,
    }
}

/// The regression: the real Bob's trusted certificate first, the
/// attacker's newer self-signed one after: encryption still picks the real
/// one (also with untrusted allowed: an untrusted certificate never
/// displaces a trusted one), and the real Bob can read the mail.
#[test]
fn a_self_signed_certificate_added_later_does_not_hijack_encryption() {
    let c = case();
    let store = Store::in_memory().unwrap();
    store.add_trust_anchor(&c.root).unwrap();
    store
        .add_recipient_certificate(&smime_cert(&c.real.0))
        .unwrap();
    store
        .add_recipient_certificate(&smime_cert(&c.fake.0))
        .unwrap();
    assert_eq!(store.recipient_certificates(&bob()).unwrap().len(), 2);
    let chosen = store.encryption_certificate(&bob()).unwrap();
    assert_eq!(chosen, smime_cert(&c.real.0));
    let lenient = RecipientLookup::new().allow_untrusted();
    assert_eq!(
        store.encryption_certificate_with(&bob(), &lenient).unwrap(),
        smime_cert(&c.real.0)
    );
    let mail = b"From: a@example.org\r\nTo: bob@example.org\r\n\r\nhi\r\n";
    let sealed = encrypt(mail, &[chosen], &EncryptOptions::default()).unwrap();
    let real_bob = identity_of(&c.real.1, &c.real.0, &[]);
    let fake_bob = identity_of(&c.fake.1, &c.fake.0, &[]);
    assert!(decrypt(&sealed, &[real_bob], &DecryptOptions::default()).is_ok());
    assert!(decrypt(&sealed, &[fake_bob], &DecryptOptions::default()).is_err());
}

/// Only the attacker's certificate: refused, naming the address; with
/// untrusted allowed it is used; pinned it is trusted as is.
#[test]
fn an_address_with_only_untrusted_certificates_is_refused() {
    let c = case();
    let store = Store::in_memory().unwrap();
    store.add_trust_anchor(&c.root).unwrap();
    store
        .add_recipient_certificate(&smime_cert(&c.fake.0))
        .unwrap();
    let err = store.encryption_certificate(&bob()).unwrap_err();
    assert!(
        matches!(&err, Error::UntrustedRecipient { address } if *address == bob()),
        "{err:?}"
    );
    assert!(err.to_string().contains("bob@example.org"), "{err}");
    let sender: Mailbox = "alice@example.org".parse().unwrap();
    assert!(matches!(
        store.recipients_for(&sender, &[bob()]),
        Err(Error::UntrustedRecipient { .. })
    ));
    let lenient = RecipientLookup::new().allow_untrusted();
    assert_eq!(
        store.encryption_certificate_with(&bob(), &lenient).unwrap(),
        smime_cert(&c.fake.0)
    );
    // Negotiation judges the certificate an allowed lookup would use.
    assert!(
        store
            .negotiate_content_encryption(std::slice::from_ref(&bob()))
            .is_ok()
    );
    // Pinning (the user checked the fingerprint) trusts it as is.
    assert!(
        store
            .pin_recipient_certificate(&smime_cert(&c.fake.0))
            .unwrap()
    );
    assert!(
        !store
            .pin_recipient_certificate(&smime_cert(&c.fake.0))
            .unwrap(),
        "already pinned"
    );
    assert_eq!(
        store.encryption_certificate(&bob()).unwrap(),
        smime_cert(&c.fake.0)
    );
    // Adding it again as is does not take the pin away.
    store
        .add_recipient_certificate(&smime_cert(&c.fake.0))
        .unwrap();
    assert_eq!(
        store.encryption_certificate(&bob()).unwrap(),
        smime_cert(&c.fake.0)
    );
}

/// A certificate learnt from a verified trusted signature is trusted
/// without an anchor in the store; without the anchor, one merely added is
/// not.
#[test]
fn a_certificate_from_a_trusted_signature_is_trusted() {
    let c = case();
    let store = Store::in_memory().unwrap();
    store
        .add_recipient_certificate(&smime_cert(&c.real.0))
        .unwrap();
    assert!(matches!(
        store.encryption_certificate(&bob()),
        Err(Error::UntrustedRecipient { .. })
    ));
    let signer = VerifiedSigner::new(smime_cert(&c.real.0), None, None);
    assert_eq!(store.add_verified_signers(&[signer]).unwrap(), 1);
    assert_eq!(
        store.encryption_certificate(&bob()).unwrap(),
        smime_cert(&c.real.0)
    );
}

/// A trusted certificate that has expired is never chosen; the anchor
/// does not make an expired certificate usable, and a certificate whose
/// path does not allow e-mail protection (a serverAuth-only CA) is not
/// trusted through it.
#[test]
fn expired_or_wrong_purpose_certificates_are_not_trusted() {
    let (root, root_key) = issue(&Spec::ca("Root", 1), None);
    let expired = issue(
        &Spec {
            key: Key::Rsa(2048),
            not_before_days: -30,
            not_after_days: -1,
            ..Spec::leaf("Bob", "bob@example.org", 2)
        },
        Some((&root, &root_key)),
    );
    let (tls_ca, tls_key) = issue(
        &Spec {
            eku: Some(vec!["serverAuth"]),
            ..Spec::ca("TLS CA", 3)
        },
        Some((&root, &root_key)),
    );
    let under_tls = issue(
        &Spec {
            key: Key::Rsa(2048),
            ..Spec::leaf("Bob", "bob@example.org", 4)
        },
        Some((&tls_ca, &tls_key)),
    );
    let (mail_ca, mail_key) = issue(&Spec::ca("Mail CA", 5), Some((&root, &root_key)));
    let under_mail = issue(
        &Spec {
            key: Key::Rsa(2048),
            not_before_days: -20,
            ..Spec::leaf("Bob", "bob@example.org", 6)
        },
        Some((&mail_ca, &mail_key)),
    );
    let store = Store::in_memory().unwrap();
    store.add_trust_anchor(&smime_cert(&root)).unwrap();
    store.add_intermediate(&smime_cert(&tls_ca)).unwrap();
    store.add_intermediate(&smime_cert(&mail_ca)).unwrap();
    store
        .add_recipient_certificate(&smime_cert(&expired.0))
        .unwrap();
    assert!(matches!(
        store.encryption_certificate(&bob()),
        Err(Error::NotFound(_))
    ));
    store
        .add_recipient_certificate(&smime_cert(&under_tls.0))
        .unwrap();
    assert!(matches!(
        store.encryption_certificate(&bob()),
        Err(Error::UntrustedRecipient { .. })
    ));
    // Control: an older certificate under an e-mail CA is trusted and
    // chosen over the newer one under the serverAuth-only CA.
    store
        .add_recipient_certificate(&smime_cert(&under_mail.0))
        .unwrap();
    assert_eq!(
        store.encryption_certificate(&bob()).unwrap(),
        smime_cert(&under_mail.0)
    );
}
