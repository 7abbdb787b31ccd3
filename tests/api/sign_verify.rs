//! Sign and verify round trips, and one negative test per way a signed
//! message can be wrong (including the "Johnny, you are fired!" classes).

use crate::common::{identity, root};

use std::time::{Duration, SystemTime};

use crate::common::read_fixture;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode};
use smime::{
    ChainStatus, Coverage, DigestAlgorithm, Error, Named, Problem, SignOptions, SignatureAlgorithm,
    SignatureFailure, SignatureForm, SignatureStatus, Unusable, VerifyOptions, VerifyReport, sign,
    verify,
};

const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: quarterly numbers\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\n";

fn check(message: &[u8]) -> VerifyReport {
    verify(message, &VerifyOptions::new(&[root()])).unwrap()
}

fn from_line(message: &[u8], from: &str) -> Vec<u8> {
    let text = String::from_utf8(message.to_vec()).unwrap();
    text.replacen(
        "From: Alice <alice@example.org>",
        &format!("From: {from}"),
        1,
    )
    .into_bytes()
}

fn year(y: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs((y - 1970) * 31_557_600)
}

fn assert_valid(report: &VerifyReport, email: &str) {
    assert!(report.valid, "{report:#?}");
    assert_eq!(report.signers.len(), 1);
    let s = &report.signers[0];
    assert_eq!(s.signature, SignatureStatus::Valid);
    assert_eq!(s.chain, ChainStatus::Trusted);
    assert_eq!(s.emails(), [email]);
    assert_eq!(report.coverage, Coverage::WholeBody);
    assert!(report.problems.is_empty());
}

#[test]
fn detached_and_opaque_round_trips_for_rsa_and_ec() {
    for (name, email) in [
        ("alice", "alice@example.org"),
        ("bob", "bob@example.org"),
        ("carol", "carol@example.org"),
        ("dave", "dave@example.org"),
    ] {
        let id = identity(name);
        let message = from_line(MESSAGE, email);
        for options in [SignOptions::default(), SignOptions::default().opaque()] {
            let signed = sign(&message, &id, &options).unwrap();
            let report = check(&signed);
            assert_valid(&report, email);
            assert_eq!(report.form, options.form);
            assert_eq!(report.signers[0].from_matches, Some(true));
            assert_eq!(report.from.as_deref(), Some(email));
            assert_eq!(
                report.signers[0].digest_algorithm,
                Named::Known(DigestAlgorithm::Sha256)
            );
            assert!(report.signers[0].signing_time.is_some());
            // The signed entity keeps the Content-* fields and the body;
            // the outer fields stay outside.
            let content = String::from_utf8(report.content.clone()).unwrap();
            assert!(content.starts_with("Content-Type: text/plain"), "{content}");
            assert!(content.contains("the numbers are fine."));
            assert!(!content.contains("Subject:"));
            let text = String::from_utf8(signed.clone()).unwrap();
            assert!(text.starts_with("From: "), "outer headers first");
            assert!(text.contains("Subject: quarterly numbers\r\n"));
            assert_eq!(
                report.certificates.len(),
                3,
                "leaf and chain travel in the message"
            );
        }
    }
}

#[test]
fn digest_and_padding_choices() {
    let alice = identity("alice");
    for options in [
        SignOptions::default().digest(DigestAlgorithm::Sha384),
        SignOptions::default().digest(DigestAlgorithm::Sha512),
        SignOptions::default().rsa_pss(),
        SignOptions::default()
            .rsa_pss()
            .digest(DigestAlgorithm::Sha512)
            .opaque(),
    ] {
        let signed = sign(MESSAGE, &alice, &options).unwrap();
        let report = check(&signed);
        assert_valid(&report, "alice@example.org");
        assert_eq!(
            report.signers[0].digest_algorithm,
            Named::Known(options.digest)
        );
        if options.rsa_pss {
            assert_eq!(
                report.signers[0].signature_algorithm,
                Named::Known(SignatureAlgorithm::RsaPss)
            );
        }
        if options.form == SignatureForm::Detached {
            let text = String::from_utf8(signed).unwrap();
            assert!(
                text.contains(&format!("micalg={}", options.digest.micalg())),
                "{text}"
            );
        }
    }
}

#[test]
fn bare_entity_without_from() {
    let entity = b"Content-Type: text/plain\r\n\r\njust a part\r\n";
    let signed = sign(entity, &identity("carol"), &SignOptions::default()).unwrap();
    let report = check(&signed);
    assert!(report.valid, "{report:#?}");
    assert_eq!(report.from, None);
    assert_eq!(report.signers[0].from_matches, None);
    assert_eq!(report.content, entity);
}

#[test]
fn eight_bit_content_is_made_transport_safe_before_signing() {
    let message = "From: alice@example.org\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln\r\n";
    let signed = sign(
        message.as_bytes(),
        &identity("alice"),
        &SignOptions::default(),
    )
    .unwrap();
    assert!(
        signed.iter().all(|b| b.is_ascii()),
        "the signed message is 7-bit"
    );
    assert!(signed.split(|&b| b == b'\n').all(|l| l.len() <= 998));
    let report = check(&signed);
    assert!(report.valid, "{report:#?}");
    let content = String::from_utf8(report.content).unwrap();
    assert!(
        content.contains("Content-Transfer-Encoding: quoted-printable"),
        "{content}"
    );
    assert!(content.contains("Gr=C3=BC=C3=9Fe"), "{content}");
}

#[test]
fn crlf_turned_into_lf_in_transport_still_verifies() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let lf: Vec<u8> = String::from_utf8(signed)
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    let report = check(&lf);
    assert_valid(&report, "alice@example.org");
}

#[test]
fn signing_refuses_unusable_certificates() {
    for (name, what) in [
        ("expired", Unusable::Expired),
        ("noeku", Unusable::CannotSign),
    ] {
        let err = sign(MESSAGE, &identity(name), &SignOptions::default()).unwrap_err();
        assert!(
            matches!(&err, Error::CertificateNotUsable { reason, .. } if *reason == what),
            "{name}: {err:?}"
        );
    }
    let err = sign(
        MESSAGE,
        &identity("alice"),
        &SignOptions::default().digest(DigestAlgorithm::Sha1),
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnsupportedAlgorithm(_)), "{err:?}");
}

/// Flips one bit in the base64 body of the signature part (or the opaque
/// body) and returns the re-encoded message.
fn tamper_cms(signed: &[u8], mut edit: impl FnMut(&mut Vec<u8>)) -> Vec<u8> {
    let text = String::from_utf8(signed.to_vec()).unwrap();
    let marker = "Content-Transfer-Encoding: base64\r\n";
    let start = text.rfind(marker).unwrap() + marker.len();
    let body_start = text[start..]
        .find("\r\n\r\n")
        .map_or(start, |i| start + i + 4);
    let body_start = if text[start..].starts_with("Content-") {
        body_start
    } else {
        start + 2
    };
    let end = text[body_start..]
        .find("--")
        .map_or(text.len(), |i| body_start + i);
    let b64: String = text[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut der = STANDARD.decode(&b64).unwrap();
    edit(&mut der);
    let mut encoded = String::new();
    for chunk in STANDARD.encode(&der).as_bytes().chunks(76) {
        encoded.push_str(std::str::from_utf8(chunk).unwrap());
        encoded.push_str("\r\n");
    }
    format!("{}{}{}", &text[..body_start], encoded, &text[end..]).into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn one_flipped_bit_in_the_body_is_an_invalid_signature() {
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let signed = sign(MESSAGE, &identity("alice"), &options).unwrap();
        let tampered = if options.form == SignatureForm::Detached {
            let mut t = signed.clone();
            let at = find(&t, b"numbers are fine");
            t[at] ^= 0x01;
            t
        } else {
            tamper_cms(&signed, |der| {
                let at = find(der, b"numbers are fine");
                der[at] ^= 0x01;
            })
        };
        let report = check(&tampered);
        assert!(!report.valid);
        assert!(
            report.signers[0].signature
                == SignatureStatus::Invalid(SignatureFailure::DigestMismatch),
            "{:?}",
            report.signers[0].signature
        );
    }
}

#[test]
fn one_flipped_bit_in_the_signature_value_is_invalid() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    // The signature value is the last field of the only SignerInfo: the
    // last bytes of the DER.
    let tampered = tamper_cms(&signed, |der| {
        let n = der.len();
        der[n - 5] ^= 0x01;
    });
    let report = check(&tampered);
    assert!(!report.valid);
    assert!(matches!(
        &report.signers[0].signature,
        SignatureStatus::Invalid(_)
    ));
}

#[test]
fn one_flipped_bit_in_a_signed_attribute_is_invalid() {
    let signed = sign(
        MESSAGE,
        &identity("carol"),
        &SignOptions::default().signing_time(year(2026)),
    )
    .unwrap();
    let tampered = tamper_cms(&signed, |der| {
        // The signingTime UTCTime value "26..." inside the signed attributes.
        let at = find(der, &[0x17, 0x0d, b'2', b'6']);
        der[at + 3] ^= 0x01;
    });
    let report = check(&tampered);
    assert!(!report.valid);
    assert!(
        matches!(&report.signers[0].signature, SignatureStatus::Invalid(_)),
        "{report:#?}"
    );
}

#[test]
fn one_flipped_bit_in_the_signer_certificate_is_never_valid() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let alice_der = read_fixture("certs/alice.der");
    // A byte in the certificate's public key modulus.
    let tampered = tamper_cms(&signed, |der| {
        let at = find(der, &alice_der[..40]) + alice_der.len() / 2;
        der[at] ^= 0x01;
    });
    match verify(&tampered, &VerifyOptions::new(&[root()])) {
        Ok(report) => assert!(!report.valid, "{report:#?}"),
        Err(e) => assert!(matches!(e, Error::InvalidCms(_)), "{e:?}"),
    }
}

#[test]
fn from_mismatch_is_reported_and_not_valid() {
    // Johnny ID class: a valid signature by mallory under From: the boss.
    let message = from_line(MESSAGE, "Boss <boss@example.org>");
    let signed = sign(&message, &identity("alice"), &SignOptions::default()).unwrap();
    let report = check(&signed);
    assert!(!report.valid);
    assert_eq!(report.signers[0].signature, SignatureStatus::Valid);
    assert_eq!(report.signers[0].chain, ChainStatus::Trusted);
    assert_eq!(report.signers[0].from_matches, Some(false));
}

#[test]
fn untrusted_root_expired_and_wrong_usage() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let report = verify(&signed, &VerifyOptions::new(&[])).unwrap();
    assert!(!report.valid);
    assert_eq!(report.signers[0].signature, SignatureStatus::Valid);
    assert!(
        matches!(report.signers[0].chain, ChainStatus::Untrusted(_)),
        "{:?}",
        report.signers[0].chain
    );

    let message = from_line(MESSAGE, "expired@example.org");
    let allow = SignOptions::default().allow_unusable_certificate();
    let signed = sign(&message, &identity("expired"), &allow).unwrap();
    let report = check(&signed);
    assert!(!report.valid);
    assert_eq!(report.signers[0].chain, ChainStatus::Expired);
    // The verification time decides, not the signingTime: alice's
    // certificate (2025-2125) as of 2124, 2126 and 2024.
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let at = |y| verify(&signed, &VerifyOptions::new(&[root()]).at(year(y))).unwrap();
    assert!(at(2124).valid);
    assert_eq!(at(2126).signers[0].chain, ChainStatus::Expired);
    assert_eq!(at(2024).signers[0].chain, ChainStatus::NotYetValid);

    let message = from_line(MESSAGE, "noeku@example.org");
    let signed = sign(&message, &identity("noeku"), &allow).unwrap();
    let report = check(&signed);
    assert!(!report.valid);
    assert_eq!(report.signers[0].chain, ChainStatus::BadUsage);
}

/// Rewrites the SignedData inside a signed message.
fn edit_signed_data(
    signed: &[u8],
    mut edit: impl FnMut(&mut cms::signed_data::SignedData),
) -> Vec<u8> {
    tamper_cms(signed, |der| {
        let mut ci = cms::content_info::ContentInfo::from_der(der).unwrap();
        let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
        edit(&mut sd);
        ci.content = der::Any::encode_from(&sd).unwrap();
        *der = ci.to_der().unwrap();
    })
}

#[test]
fn no_signer_is_never_valid() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let stripped = edit_signed_data(&signed, |sd| {
        sd.signer_infos = cms::signed_data::SignerInfos(Default::default());
    });
    let report = check(&stripped);
    assert!(!report.valid);
    assert!(report.signers.is_empty());
    assert!(
        report.problems.contains(&Problem::NoSigners),
        "{:?}",
        report.problems
    );
}

#[test]
fn two_signers_one_bad_is_reported_per_signer_and_not_valid() {
    let entity = b"Content-Type: text/plain\r\n\r\nsigned twice\r\n";
    let by_alice = sign(entity, &identity("alice"), &SignOptions::default()).unwrap();
    let by_bob = sign(entity, &identity("bob"), &SignOptions::default()).unwrap();
    let bob_signer = {
        let mut found = None;
        edit_signed_data(&by_bob, |sd| {
            found = Some((
                sd.signer_infos.0.as_slice()[0].clone(),
                sd.certificates.clone(),
            ))
        });
        found.unwrap()
    };
    let both = |corrupt_bob: bool| {
        edit_signed_data(&by_alice, |sd| {
            let (mut si, certs) = bob_signer.clone();
            if corrupt_bob {
                let mut sig = si.signature.as_bytes().to_vec();
                sig[10] ^= 0x01;
                si.signature = der::asn1::OctetString::new(sig).unwrap();
            }
            sd.signer_infos.0.insert(si).unwrap();
            let set = &mut sd.certificates.as_mut().unwrap().0;
            for c in certs.unwrap().0.iter() {
                if !set.iter().any(|have| have == c) {
                    set.insert(c.clone()).unwrap();
                }
            }
        })
    };
    let report = check(&both(false));
    assert_eq!(report.signers.len(), 2);
    assert!(report.valid, "{report:#?}");
    let report = check(&both(true));
    assert_eq!(report.signers.len(), 2);
    assert!(!report.valid);
    let statuses: Vec<bool> = report
        .signers
        .iter()
        .map(|s| s.signature == SignatureStatus::Valid)
        .collect();
    assert_eq!(statuses.iter().filter(|v| **v).count(), 1, "{report:#?}");
}

#[test]
fn signed_part_inside_unsigned_multipart_is_partial_coverage() {
    // Johnny MIME-wrapping class.
    let entity = b"Content-Type: text/plain\r\n\r\nI approve.\r\n";
    let signed = sign(entity, &identity("alice"), &SignOptions::default()).unwrap();
    let mut wrapper = b"From: alice@example.org\r\nSubject: fwd\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\n".to_vec();
    wrapper.extend_from_slice(
        b"Content-Type: text/plain\r\n\r\nAttacker text shown first.\r\n--outer\r\n",
    );
    wrapper.extend_from_slice(&signed);
    wrapper.extend_from_slice(b"\r\n--outer--\r\n");
    let report = check(&wrapper);
    assert_eq!(report.coverage, Coverage::Part(vec![1]));
    assert_eq!(report.signers[0].signature, SignatureStatus::Valid);
    assert!(!report.valid);
}

#[test]
fn embedded_content_in_a_detached_signature_is_ambiguous() {
    // Johnny CMS class (eContent confusion): multipart/signed whose CMS
    // also carries other content.
    let detached = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let other = sign(
        b"Content-Type: text/plain\r\n\r\nsomething else\r\n",
        &identity("alice"),
        &SignOptions::default().opaque(),
    )
    .unwrap();
    let other_cms = {
        let mut out = Vec::new();
        tamper_cms(&other, |der| out = der.clone());
        out
    };
    let confused = tamper_cms(&detached, |der| *der = other_cms.clone());
    let report = check(&confused);
    assert!(!report.valid);
    assert!(!report.problems.is_empty(), "{report:#?}");
}

#[test]
fn unsigned_and_encrypted_messages_are_errors() {
    assert!(matches!(
        verify(MESSAGE, &VerifyOptions::new(&[root()])),
        Err(Error::NotSigned)
    ));
    assert!(verify(b"", &VerifyOptions::new(&[root()])).is_err());
}

#[test]
fn mutated_signed_messages_never_panic_and_are_never_valid_with_altered_content() {
    let alice = identity("alice");
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let signed = sign(MESSAGE, &alice, &options).unwrap();
        let body_at = find(&signed, b"numbers");
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..600 {
            // xorshift: deterministic, no extra dependency.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bytes = signed.clone();
            let pos = (state % bytes.len() as u64) as usize;
            bytes[pos] ^= 1 << (state >> 61);
            let result = verify(&bytes, &VerifyOptions::new(&[root()]));
            let in_body =
                options.form == SignatureForm::Detached && (body_at..body_at + 7).contains(&pos);
            if let (Ok(report), true) = (&result, in_body) {
                assert!(!report.valid, "altered body accepted at {pos}");
            }
        }
        for cut in (0..signed.len()).step_by(97) {
            let _ = verify(&signed[..cut], &VerifyOptions::new(&[root()]));
        }
    }
}

#[test]
fn legacy_content_types_missing_smime_type_and_odd_base64_lines_verify() {
    let alice = identity("alice");
    let detached =
        String::from_utf8(sign(MESSAGE, &alice, &SignOptions::default()).unwrap()).unwrap();
    let x_types = detached.replace(
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
    );
    assert_valid(&check(x_types.as_bytes()), "alice@example.org");

    let opaque =
        String::from_utf8(sign(MESSAGE, &alice, &SignOptions::default().opaque()).unwrap())
            .unwrap();
    let legacy = opaque.replace(
        "application/pkcs7-mime; smime-type=signed-data;",
        "application/x-pkcs7-mime;",
    );
    assert_valid(&check(legacy.as_bytes()), "alice@example.org");

    // Re-wrap the base64 body at 50 characters with LF line ends.
    let (head, body) = opaque.split_once("\r\n\r\n").unwrap();
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let rewrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(50)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let odd = format!("{head}\r\n\r\n{}\n", rewrapped.join("\n"));
    assert_valid(&check(odd.as_bytes()), "alice@example.org");
}

/// Signs `entity` as `signer` under the given outer header lines.
fn signed_with_headers(headers: &str, entity: &[u8], signer: &str) -> Vec<u8> {
    let signed = sign(entity, &identity(signer), &SignOptions::default()).unwrap();
    let mut out = headers.as_bytes().to_vec();
    out.extend_from_slice(&signed);
    out
}

#[test]
fn senders_that_cannot_be_checked_are_never_valid() {
    // Johnny ID class variants found in review.
    let entity = b"Content-Type: text/plain\r\n\r\nPay the invoice.\r\n";
    for headers in [
        "From: =?utf-8?q?alice=40example.org?=\r\n",
        "From: Alice Example (CEO)\r\n",
        "From: mallory@example.net\r\nFrom: alice@example.org\r\n",
        "From: mallory@example.net, alice@example.org\r\n",
        "From: alice@example.org <mallory@example.net>\r\n",
    ] {
        let report = check(&signed_with_headers(headers, entity, "mallory"));
        assert!(!report.valid, "{headers:?}: {report:#?}");
        assert!(!report.problems.is_empty(), "{headers:?}");
    }
    // Without From, Sender names the sender.
    let report = check(&signed_with_headers(
        "Sender: mallory@example.net\r\n",
        entity,
        "alice",
    ));
    assert_eq!(report.signers[0].from_matches, Some(false));
    assert!(!report.valid);
    let report = check(&signed_with_headers(
        "Sender: alice@example.org\r\n",
        entity,
        "alice",
    ));
    assert!(report.valid, "{report:#?}");
}

#[test]
fn a_bare_cr_cannot_hide_a_change_behind_canonicalisation() {
    let entity = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nI approve payment to A.\r\n--b\r\nContent-Type: text/plain\r\n\r\nVoid unless countersigned.\r\n--b--\r\n";
    let signed = String::from_utf8(signed_with_headers(
        "From: alice@example.org\r\n",
        entity,
        "alice",
    ))
    .unwrap();
    let altered = signed.replacen("text/plain\r\n\r\nVoid", "text/plain\r\r\nVoid", 1);
    assert_ne!(altered, signed);
    let report = check(altered.as_bytes());
    assert!(!report.valid, "{report:#?}");
}

#[test]
fn a_third_part_or_a_second_content_type_is_refused() {
    let signed =
        String::from_utf8(sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap())
            .unwrap();
    let boundary = signed
        .split("boundary=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let extra = signed.replacen(
        &format!("--{boundary}--"),
        &format!(
            "--{boundary}\r\nContent-Type: text/plain\r\n\r\nPay EVIL instead.\r\n--{boundary}--"
        ),
        1,
    );
    assert!(matches!(
        verify(extra.as_bytes(), &VerifyOptions::new(&[root()])),
        Err(Error::InvalidMessage(_))
    ));
    let two_types = signed.replacen(
        "MIME-Version: 1.0\r\n",
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n",
        1,
    );
    assert!(matches!(
        verify(two_types.as_bytes(), &VerifyOptions::new(&[root()])),
        Err(Error::InvalidMessage(_))
    ));
}

#[test]
fn protected_headers_must_name_a_signer() {
    // RFC 8551 §3.1: the signed message/rfc822 carries the From a client shows.
    let inner = b"Content-Type: message/rfc822\r\n\r\nFrom: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
    let report = check(&signed_with_headers(
        "From: mallory@example.net\r\n",
        inner,
        "mallory",
    ));
    assert!(!report.valid);
    assert!(
        report.problems.iter().any(|p| matches!(
            p,
            Problem::InnerFromNotSigner { from } if from == "alice@example.org"
        )),
        "{:?}",
        report.problems
    );
    let report = check(&signed_with_headers(
        "From: alice@example.org\r\n",
        inner,
        "alice",
    ));
    assert!(report.valid, "{report:#?}");
}

#[test]
fn one_verifier_serves_many_messages_and_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let alice = identity("alice");
    let verifier = smime::Verifier::new(VerifyOptions::new(&[root()])).unwrap();
    shareable(&verifier);
    let messages: Vec<Vec<u8>> = (0..8)
        .map(|i| {
            let m = format!("From: alice@example.org\r\nSubject: {i}\r\n\r\nmessage {i}\r\n");
            sign(m.as_bytes(), &alice, &SignOptions::default()).unwrap()
        })
        .collect();
    std::thread::scope(|threads| {
        for (i, message) in messages.iter().enumerate() {
            let verifier = &verifier;
            threads.spawn(move || {
                let report = verifier.verify(message).unwrap();
                assert!(report.valid, "message {i}");
                assert!(
                    report
                        .content
                        .ends_with(format!("message {i}\r\n").as_bytes())
                );
            });
        }
    });
    // A tampered message through the same verifier is still caught.
    let mut tampered = messages[0].clone();
    let at = tampered.windows(9).position(|w| w == b"message 0").unwrap();
    tampered[at + 8] = b'9';
    assert!(!verifier.verify(&tampered).unwrap().valid);
}

#[test]
fn a_verifier_at_a_fixed_time_judges_the_chain_then() {
    let alice = identity("alice");
    let signed = sign(
        b"From: alice@example.org\r\n\r\nhi\r\n",
        &alice,
        &SignOptions::default(),
    )
    .unwrap();
    let later = alice.certificate().not_after() + Duration::from_secs(86_400);
    let options = VerifyOptions::new(&[root()]).at(later);
    let verifier = smime::Verifier::new(options.clone()).unwrap();
    for _ in 0..2 {
        let report = verifier.verify(&signed).unwrap();
        assert!(!report.valid);
        assert_eq!(report.signers[0].chain, ChainStatus::Expired);
    }
    assert_eq!(
        smime::verify(&signed, &options).unwrap().signers[0].chain,
        ChainStatus::Expired
    );
}
