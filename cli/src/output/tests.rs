//! The contract words of `output`, checked one by one.

use super::*;

#[test]
fn chain_words_are_the_contract_words() {
    assert_eq!(chain_word(&ChainStatus::Trusted), "trusted");
    assert_eq!(
        chain_word(&ChainStatus::Untrusted(smime::ChainFailure::UnknownIssuer)),
        "untrusted"
    );
    assert_eq!(chain_word(&ChainStatus::Revoked), "revoked");
    assert_eq!(chain_word(&ChainStatus::NoCertificate), "untrusted");
    assert_eq!(chain_word(&ChainStatus::Expired), "expired");
    assert_eq!(chain_word(&ChainStatus::NotYetValid), "not-yet-valid");
    assert_eq!(chain_word(&ChainStatus::BadUsage), "bad-usage");
    assert_eq!(chain_detail(&ChainStatus::Trusted), None);
    assert!(chain_detail(&ChainStatus::NoCertificate).is_some());
}

#[test]
fn revocation_words_are_the_contract_words() {
    assert_eq!(revocation_word(&Revocation::Good), "good");
    let revoked = Revocation::Revoked {
        time: std::time::SystemTime::UNIX_EPOCH,
        reason: None,
    };
    assert_eq!(revocation_word(&revoked), "revoked");
    assert_eq!(revocation_word(&Revocation::Unknown), "unknown");
    assert_eq!(revocation_word(&Revocation::NotChecked), "not-checked");
}

#[test]
fn usage_and_from_words() {
    assert_eq!(usage_word(true, true), "sign,decrypt");
    assert_eq!(usage_word(true, false), "sign");
    assert_eq!(usage_word(false, true), "decrypt");
    assert_eq!(usage_word(false, false), "-");
    assert_eq!(from_word(Some(true)), "matches");
    assert_eq!(from_word(Some(false)), "mismatch");
    assert_eq!(from_word(None), "n/a");
    assert_eq!(form_word(SignatureForm::Opaque), "opaque");
    assert_eq!(form_word(SignatureForm::Detached), "detached");
}

#[test]
fn domain_and_export_words() {
    assert_eq!(policy_words(&smime::DomainPolicy::ENABLED), "enabled");
    assert_eq!(policy_words(&smime::DomainPolicy::DISABLED), "disabled");
    assert_eq!(
        policy_words(&smime::DomainPolicy::new(true, false)),
        "enabled, no encryption by default"
    );
    let mut text = Vec::new();
    write_domains(
        &mut text,
        true,
        &[("a.example".into(), smime::DomainPolicy::ENABLED)],
        false,
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "hosted mode: on\na.example enabled\n"
    );
    let address: Mailbox = "a@b.example".parse().unwrap();
    assert_eq!(
        exported_certs_line(&address, 1),
        "exported 1 certificate of a@b.example"
    );
    assert_eq!(
        exported_certs_line(&address, 2),
        "exported 2 certificates of a@b.example"
    );
    assert_eq!(invalid_domain("x y"), "invalid domain \"x y\"");
}

#[test]
fn times_are_rfc3339_utc() {
    let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(86_400 + 61);
    assert_eq!(rfc3339(t).as_deref(), Some("1970-01-02T00:01:01Z"));
}
