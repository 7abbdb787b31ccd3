//! Issue 14, case 7: offline revocation. A PKI made at test time with
//! `openssl ca` (`-revoke`, `-gencrl`) and `openssl ocsp` (`-respout`):
//! root → intermediate → leaves, a second intermediate revoked by the
//! root, a delegated OCSP responder. CRLs and OCSP responses come from the
//! caller (`VerifyOptions::with_crls` / `with_ocsp_responses`) or from the
//! message (SignedData `crls`, RFC 5940 OCSP). Tests skip, saying so, when
//! the `openssl` CLI is missing. Both entry points on each case.

use std::time::{Duration, SystemTime};

use crate::common::openssl_cli;
use crate::common::pki::{
    CliCa, Spec, both, identity_of, issue, ocsp_choice, openssl, with_revocation_info,
};
use smime::{
    ChainStatus, Crl, Error, Identity, OcspResponse, Revocation, RevocationPolicy,
    RevocationReason, SignOptions, VerifyOptions, sign,
};

struct Pki {
    _dir: tempfile::TempDir,
    root: CliCa,
    inter: CliCa,
    inter2: CliCa,
    alice: Identity,
    bob: Identity,
    carol: Identity,
    /// A certificate of `inter` that is not in its index (OCSP unknown).
    stranger: Identity,
}

fn pki() -> Option<Pki> {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = CliCa::new(dir.path(), "root", None);
    let inter = CliCa::new(dir.path(), "inter", Some(&root));
    let inter2 = CliCa::new(dir.path(), "inter2", Some(&root));
    let chain = |ca: &CliCa| vec![ca.x509()];
    let (cert, key) = inter.leaf("alice", "alice@pki.example");
    let alice = identity_of(&key, &cert, &chain(&inter));
    let (cert, key) = inter.leaf("bob", "bob@pki.example");
    let bob = identity_of(&key, &cert, &chain(&inter));
    let (cert, key) = inter2.leaf("carol", "carol@pki.example");
    let carol = identity_of(&key, &cert, &chain(&inter2));
    inter.responder("responder");
    let (cert, key) = issue(
        &Spec::leaf("stranger", "stranger@pki.example", 0x7777),
        Some((&inter.x509(), &inter.key())),
    );
    std::fs::write(inter.path("stranger.pem"), cert.to_pem().unwrap()).unwrap();
    let stranger = identity_of(&key, &cert, &chain(&inter));
    Some(Pki {
        _dir: dir,
        root,
        inter,
        inter2,
        alice,
        bob,
        carol,
        stranger,
    })
}

fn message(id: &Identity, opaque: bool) -> Vec<u8> {
    let from = &id.certificate().email_addresses()[0];
    let text = format!("From: {from}\r\nContent-Type: text/plain\r\n\r\nPay invoice 1234.\r\n");
    let options = if opaque {
        SignOptions::default().opaque()
    } else {
        SignOptions::default()
    };
    sign(text.as_bytes(), id, &options).unwrap()
}

fn messages(id: &Identity) -> [Vec<u8>; 2] {
    [message(id, false), message(id, true)]
}

impl Pki {
    fn options(&self) -> VerifyOptions {
        VerifyOptions::new(&[self.root.certificate()])
    }

    fn crl(&self, ca: &CliCa) -> Crl {
        Crl::from_der(&ca.crl(24)).unwrap()
    }

    fn ocsp(&self, who: &str, signer: &str) -> OcspResponse {
        let signer = (
            self.inter.path(&format!("{signer}.pem")),
            self.inter.path(&format!("{signer}.key")),
        );
        OcspResponse::from_der(&self.inter.ocsp(
            &self.inter.path(&format!("{who}.pem")),
            (&signer.0, &signer.1),
            Some(60),
        ))
        .unwrap()
    }
}

fn revoked_reason(r: Revocation) -> Option<RevocationReason> {
    match r {
        Revocation::Revoked { reason, .. } => reason,
        other => panic!("expected revoked, got {other:?}"),
    }
}

/// A revoked leaf (`openssl ca -revoke -crl_reason keyCompromise`, then
/// `-gencrl`): `ChainStatus::Revoked` naming the leaf, its path entry and
/// the signer revoked with the reason, not valid (before: valid, no
/// revocation at all). Control: alice, not revoked, is good on the same
/// CRL and valid.
#[test]
fn revoked_leaf_by_crl_is_not_valid() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let options = pki
        .options()
        .with_crls(&[pki.crl(&pki.inter), pki.crl(&pki.root)]);
    for message in messages(&pki.bob) {
        let report = both(&message, &options);
        let s = &report.signers[0];
        assert!(!report.valid);
        assert_eq!(s.chain, ChainStatus::Revoked);
        let at = s.chain_certificate.unwrap();
        assert_eq!(at.depth, 0);
        assert_eq!(at.fingerprint, pki.bob.certificate().fingerprint());
        assert_eq!(
            revoked_reason(s.path[0].revocation),
            Some(RevocationReason::KeyCompromise)
        );
        assert!(matches!(s.revocation, Revocation::Revoked { .. }));
    }
    for message in messages(&pki.alice) {
        let report = both(&message, &options);
        assert!(report.valid, "{report:#?}");
        let s = &report.signers[0];
        assert_eq!(s.revocation, Revocation::Good);
        assert_eq!(s.path[0].revocation, Revocation::Good);
        assert_eq!(s.path[1].revocation, Revocation::Good, "the root's CRL");
        assert_eq!(s.path[2].revocation, Revocation::NotChecked, "trust anchor");
    }
}

/// A revoked intermediate (the root revokes `inter2`): the leaf under it
/// is `Revoked` at depth 1, not valid.
#[test]
fn revoked_intermediate_by_crl_is_not_valid() {
    let Some(pki) = pki() else { return };
    pki.root.revoke(&pki.inter2.path("ca.pem"), "cACompromise");
    let options = pki.options().with_crls(&[pki.crl(&pki.root)]);
    for message in messages(&pki.carol) {
        let report = both(&message, &options);
        let s = &report.signers[0];
        assert!(!report.valid);
        assert_eq!(s.chain, ChainStatus::Revoked);
        assert_eq!(s.chain_certificate.unwrap().depth, 1);
        assert_eq!(
            revoked_reason(s.path[1].revocation),
            Some(RevocationReason::CaCompromise)
        );
        assert_eq!(
            s.path[0].revocation,
            Revocation::Unknown,
            "no CRL of inter2"
        );
    }
}

/// A CRL that names the intermediate as issuer and lists bob as revoked
/// but is signed by an attacker's key (an attacker CA with the same
/// subject name) is ignored: bob's status is unknown, not revoked, and the
/// message stays valid under the soft default. Control: the attacker's CRL
/// does list bob.
#[test]
fn crl_signed_by_an_attacker_key_is_ignored() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let evil = tempfile::tempdir().unwrap();
    let attacker = CliCa::new(evil.path(), "inter", None);
    std::fs::copy(pki.inter.path("index.txt"), attacker.path("index.txt")).unwrap();
    let forged = Crl::from_der(&attacker.crl(24)).unwrap();
    assert_eq!(
        forged.issuer(),
        pki.crl(&pki.inter).issuer(),
        "same issuer name"
    );
    assert_eq!(forged.revoked_count(), 1, "control: it lists bob");
    let options = pki.options().with_crls(&[forged]);
    for message in messages(&pki.bob) {
        let report = both(&message, &options);
        let s = &report.signers[0];
        assert_eq!(s.chain, ChainStatus::Trusted);
        assert_eq!(s.path[0].revocation, Revocation::Unknown);
        assert!(report.valid, "{report:#?}");
    }
}

/// OCSP responses by the delegated responder (id-kp-OCSPSigning, issued
/// by the intermediate), made with `openssl ocsp -respout`: good for
/// alice, revoked for bob, unknown for a certificate not in the CA's
/// index. Also a response signed by the CA itself.
#[test]
fn ocsp_good_revoked_and_unknown() {
    let Some(pki) = pki() else { return };
    pki.inter.revoke(&pki.inter.path("bob.pem"), "superseded");
    for (id, who, signer, expect_good) in [
        (&pki.alice, "alice", "responder", Some(true)),
        (&pki.alice, "alice", "ca", Some(true)),
        (&pki.bob, "bob", "responder", Some(false)),
        (&pki.stranger, "stranger", "responder", None),
    ] {
        let options = pki.options().with_ocsp_responses(&[pki.ocsp(who, signer)]);
        for message in messages(id) {
            let report = both(&message, &options);
            let s = &report.signers[0];
            match expect_good {
                Some(true) => {
                    assert_eq!(s.path[0].revocation, Revocation::Good, "{who}/{signer}");
                    assert!(report.valid);
                }
                Some(false) => {
                    assert_eq!(
                        revoked_reason(s.path[0].revocation),
                        Some(RevocationReason::Superseded)
                    );
                    assert_eq!(s.chain, ChainStatus::Revoked);
                    assert!(!report.valid);
                }
                None => {
                    assert_eq!(s.path[0].revocation, Revocation::Unknown, "{who}");
                    assert!(report.valid, "soft: unknown is reported, still valid");
                    let hard = both(
                        &message,
                        &options.clone().revocation(RevocationPolicy::Hard),
                    );
                    assert!(!hard.valid, "hard: unknown is not valid");
                }
            }
        }
    }
}

/// OCSP responses that must not count: "revoked" signed by a leaf of the
/// same CA without id-kp-OCSPSigning, "revoked" signed by an attacker's
/// self-signed key, and a "good" response past its nextUpdate (stale).
/// Each leaves the status unknown.
#[test]
fn unauthorised_and_stale_ocsp_responses_are_ignored() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    // alice's own key: a certificate of the CA, but no OCSPSigning.
    let unauthorised = pki.ocsp("bob", "alice");
    let evil = tempfile::tempdir().unwrap();
    let attacker = CliCa::new(evil.path(), "attacker", None);
    let forged = OcspResponse::from_der(&pki.inter.ocsp(
        &pki.inter.path("bob.pem"),
        (&attacker.path("ca.pem"), &attacker.path("ca.key")),
        Some(60),
    ))
    .unwrap();
    for (label, response) in [("unauthorised", unauthorised), ("attacker", forged)] {
        let options = pki.options().with_ocsp_responses(&[response]);
        for message in messages(&pki.bob) {
            let report = both(&message, &options);
            assert_eq!(
                report.signers[0].path[0].revocation,
                Revocation::Unknown,
                "{label}"
            );
            assert_eq!(report.signers[0].chain, ChainStatus::Trusted, "{label}");
        }
    }
    let fresh = OcspResponse::from_der(&pki.inter.ocsp(
        &pki.inter.path("alice.pem"),
        (
            &pki.inter.path("responder.pem"),
            &pki.inter.path("responder.key"),
        ),
        Some(1),
    ))
    .unwrap();
    let later = SystemTime::now() + Duration::from_secs(3600);
    for message in messages(&pki.alice) {
        let now = both(
            &message,
            &pki.options()
                .with_ocsp_responses(std::slice::from_ref(&fresh)),
        );
        assert_eq!(
            now.signers[0].path[0].revocation,
            Revocation::Good,
            "control"
        );
        let stale = both(
            &message,
            &pki.options()
                .with_ocsp_responses(std::slice::from_ref(&fresh))
                .at(later),
        );
        assert_eq!(
            stale.signers[0].path[0].revocation,
            Revocation::Unknown,
            "stale"
        );
    }
}

/// Revocation information carried in the message: a CRL in SignedData
/// `crls` revokes bob; an RFC 5940 `otherRevocationInfo`
/// (`id-ri-ocsp-response`) says alice is good. No caller input needed.
#[test]
fn revocation_info_carried_in_the_message_is_used() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let crl = pki.inter.crl(24);
    for message in messages(&pki.bob) {
        let carried = with_revocation_info(&message, std::slice::from_ref(&crl));
        let report = both(&carried, &pki.options());
        assert_eq!(report.signers[0].chain, ChainStatus::Revoked);
        assert!(!report.valid);
    }
    let response = pki.ocsp("alice", "responder");
    for message in messages(&pki.alice) {
        let carried = with_revocation_info(&message, &[ocsp_choice(response.to_der())]);
        let report = both(&carried, &pki.options());
        assert_eq!(report.signers[0].path[0].revocation, Revocation::Good);
        assert!(report.valid, "{report:#?}");
    }
}

/// The policy: `Off` checks nothing (revoked bob is valid, every status
/// not-checked); `Hard` needs every certificate but the anchor known good.
#[test]
fn revocation_policy_off_soft_hard() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let crls = [pki.crl(&pki.inter), pki.crl(&pki.root)];
    let off = pki
        .options()
        .with_crls(&crls)
        .revocation(RevocationPolicy::Off);
    for message in messages(&pki.bob) {
        let report = both(&message, &off);
        assert!(report.valid);
        assert_eq!(report.signers[0].revocation, Revocation::NotChecked);
        assert!(
            report.signers[0]
                .path
                .iter()
                .all(|p| p.revocation == Revocation::NotChecked)
        );
    }
    let hard = pki.options().revocation(RevocationPolicy::Hard);
    for message in messages(&pki.alice) {
        assert!(!both(&message, &hard).valid, "hard without information");
        let soft = both(&message, &pki.options());
        assert!(soft.valid);
        assert_eq!(soft.signers[0].revocation, Revocation::Unknown);
        let only_leaf = hard.clone().with_crls(&crls[..1]);
        assert!(
            !both(&message, &only_leaf).valid,
            "the intermediate unknown"
        );
        let report = both(&message, &hard.clone().with_crls(&crls));
        assert!(report.valid, "{report:#?}");
        assert_eq!(report.signers[0].revocation, Revocation::Good);
    }
}

/// The library opens no connection: it lists where to fetch. alice's
/// certificate names a CRL distribution point and an OCSP responder.
#[test]
fn revocation_urls_are_reported() {
    let Some(pki) = pki() else { return };
    let report = both(&message(&pki.alice, false), &pki.options());
    assert_eq!(
        report.signers[0].revocation_urls(),
        ["http://crl.example/inter.crl", "http://ocsp.example/inter"]
    );
}

/// CRLs and OCSP responses read as DER or PEM; their count and sizes are
/// bounded by `Limits`.
#[test]
fn crl_and_ocsp_inputs_are_parsed_and_bounded() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let der = pki.inter.crl(24);
    let pem = openssl(&pki.inter.dir, &["crl", "-inform", "DER", "-in", "crl.der"]);
    let from_pem = Crl::all_from_pem_or_der(&pem).unwrap();
    assert_eq!(from_pem, Crl::all_from_pem_or_der(&der).unwrap());
    let crl = &from_pem[0];
    assert_eq!(crl.revoked_count(), 1);
    assert!(crl.this_update() <= SystemTime::now());
    assert!(crl.next_update().unwrap() > SystemTime::now());
    assert_eq!(crl.to_der(), der.as_slice());
    assert!(!crl.issuer_der().is_empty());
    assert!(crl.crl_number().is_some());
    let newer = Crl::from_der(&pki.inter.crl(24)).unwrap();
    assert!(
        newer.supersedes(crl) && !crl.supersedes(&newer),
        "cRLNumber 2 over 1"
    );
    assert!(!pki.crl(&pki.root).supersedes(crl), "another issuer");
    assert!(matches!(
        Crl::from_der(b"not a crl"),
        Err(Error::InvalidRevocationInfo(_))
    ));
    assert!(matches!(
        OcspResponse::from_der(&der),
        Err(Error::InvalidRevocationInfo(_))
    ));
    let response = pki.ocsp("alice", "responder");
    let b64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        response.to_der(),
    );
    let pem = format!("-----BEGIN OCSP RESPONSE-----\n{b64}\n-----END OCSP RESPONSE-----\n");
    assert_eq!(
        OcspResponse::all_from_pem_or_der(pem.as_bytes()).unwrap(),
        [response]
    );

    let mut limits = smime::Limits::default();
    limits.max_revocation_items = 1;
    let options = pki
        .options()
        .with_crls(&[crl.clone(), crl.clone()])
        .limits(limits);
    let err = smime::verify(&message(&pki.alice, false), &options).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_revocation_items",
                ..
            }
        ),
        "{err:?}"
    );
    let mut limits = smime::Limits::default();
    limits.max_crl_size = 16;
    let carried = with_revocation_info(&message(&pki.alice, true), &[der]);
    let err = smime::verify(&carried, &pki.options().limits(limits)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_crl_size",
                ..
            }
        ),
        "{err:?}"
    );
}

/// CRLs kept by the store (`Store::add_crl`) are used by
/// `VerifyOptions::with_store_trust`, with the store's anchors: bob revoked
/// by the intermediate is `Revoked`, alice stays valid; the attacker's CRL
/// for the same issuer name is refused by the store and never replaces
/// the real one.
#[test]
fn store_crls_are_used_by_verification() {
    let Some(pki) = pki() else { return };
    pki.inter
        .revoke(&pki.inter.path("bob.pem"), "keyCompromise");
    let store = smime::Store::in_memory().unwrap();
    store.add_trust_anchor(&pki.root.certificate()).unwrap();
    let crl = pki.crl(&pki.inter);
    // The intermediate is not known to the store yet: the CRL is refused.
    assert!(matches!(
        store.add_crl(&crl, &[]),
        Err(Error::CrlNotVerified { .. })
    ));
    store.add_intermediate(&pki.inter.certificate()).unwrap();
    store.add_crl(&crl, &[]).unwrap();
    store.add_crl(&pki.crl(&pki.root), &[]).unwrap();
    let evil = tempfile::tempdir().unwrap();
    let attacker = CliCa::new(evil.path(), "inter", None);
    let forged = Crl::from_der(&attacker.crl(24)).unwrap();
    assert!(matches!(
        store.add_crl(&forged, &[]),
        Err(Error::CrlNotVerified { .. })
    ));
    assert_eq!(store.crls().unwrap().len(), 2);
    let options = VerifyOptions::new(&[]).with_store_trust(&store).unwrap();
    for message in messages(&pki.bob) {
        let report = both(&message, &options);
        assert!(!report.valid);
        assert_eq!(report.signers[0].chain, ChainStatus::Revoked);
    }
    for message in messages(&pki.alice) {
        let report = both(&message, &options);
        assert!(report.valid, "{report:#?}");
        assert_eq!(report.signers[0].revocation, Revocation::Good);
    }
}
