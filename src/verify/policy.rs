//! The verdict: each signer's report from its checks, the sender binding
//! (RFC 8550 §3), weaknesses, and the one rule for [`VerifyReport::valid`],
//! shared by [`super::verify`] and [`super::verify_stream`].
#![forbid(unsafe_code)]

use std::time::SystemTime;

use super::VerifyOptions;
use super::chain::chain_status;
use super::report::{
    ChainStatus, Coverage, Problem, SignatureStatus, SignerReport, VerifyReport, Weakness,
};
use crate::algorithm::ContentEncryption;
use crate::algorithm::KeyAlgorithm;
use crate::cert::Certificate;
use crate::cms;
use crate::mailbox::Mailbox;
use crate::mime::{self, Entity};
use crate::oid::{self, ObjectId};
use crate::sign::SignatureForm;

/// What the MIME layer found around the signature.
pub(super) struct Message {
    pub(super) form: SignatureForm,
    pub(super) from: Option<String>,
    /// Part indexes from the root to the signed entity.
    pub(super) path: Vec<usize>,
    pub(super) problems: Vec<Problem>,
}

/// Checks every signer against the content digests and decides
/// [`VerifyReport::valid`]; `content_head` is (at least the beginning of)
/// the signed content, for the protected-header `From` check. Returns the
/// report without content and the index of the candidate that matched.
pub(super) fn evaluate(
    parsed: cms::Parsed,
    digests: &cms::ContentDigests,
    content_head: &[u8],
    message: Message,
    options: &VerifyOptions,
) -> (VerifyReport, usize) {
    let Message {
        form,
        from,
        path,
        mut problems,
    } = message;
    let time = options.time.unwrap_or_else(SystemTime::now);
    if form == SignatureForm::Detached && parsed.econtent.is_some() {
        problems.push(Problem::EmbeddedContent);
    }
    let econtent_type = parsed.signed_data.encap_content_info.econtent_type;
    if econtent_type != oid::DATA {
        problems.push(Problem::NotMimeContent {
            content_type: ObjectId(econtent_type),
        });
    }
    let mut matched = 0;
    let mut pool = parsed.certificates.clone();
    pool.extend(options.intermediates.iter().cloned());
    pool.extend(options.trust_anchors.iter().cloned());
    let signers: Vec<SignerReport> = parsed
        .signed_data
        .signer_infos
        .0
        .iter()
        .map(|si| {
            let check = cms::check_signer(si, &econtent_type, digests, &pool);
            if let Ok(index) = check.result {
                matched = index;
            }
            signer_report(check, &pool, options, time, from.as_deref())
        })
        .collect();
    check_inner_from(content_head, &signers, &mut problems);
    if signers.is_empty() {
        problems.push(Problem::NoSigners);
    }
    let coverage = if path.is_empty() {
        Coverage::WholeBody
    } else {
        Coverage::Part(path)
    };
    let valid = problems.is_empty()
        && coverage == Coverage::WholeBody
        && !signers.is_empty()
        && signers.iter().all(|s| {
            s.signature == SignatureStatus::Valid
                && s.chain == ChainStatus::Trusted
                && (options.allow_weak || s.weaknesses.is_empty())
        })
        && (from.is_none() || signers.iter().any(|s| s.from_matches == Some(true)));
    let report = VerifyReport {
        valid,
        form,
        signers,
        from,
        coverage,
        problems,
        content: Vec::new(),
        certificates: parsed.certificates,
    };
    (report, matched)
}

/// The sender address to check signers against: the one `From` field
/// (RFC 5322 §3.6.2), else `Sender`. A `From` that is present but yields no
/// address (encoded-words, bare display names), several `From` fields, or
/// several addresses are problems: a client would display a sender we
/// could not check ("Johnny, you are fired!", ID class).
pub(super) fn sender(root: &Entity<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    let named = |name: &str| -> Vec<&str> {
        root.fields()
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
            .collect()
    };
    let from = named("From");
    if from.len() > 1 {
        problems.push(Problem::SeveralFromFields);
    }
    let value = from.first().or(named("Sender").first()).copied()?;
    match mime::first_address(value) {
        None => {
            problems.push(Problem::UncheckableSender {
                value: value.to_owned(),
            });
            // Kept as shown: it parses as no mailbox, so no signer matches.
            Some(value.to_owned())
        }
        Some(address) => {
            let rest = value.replacen(&address, "", 1);
            if rest.contains('@') || value.contains("=?") {
                problems.push(Problem::AmbiguousSender {
                    value: value.to_owned(),
                });
            }
            Some(address)
        }
    }
}

/// RFC 8551 §3.1 header protection: a signed `message/rfc822` entity, or
/// one marked `protected-headers="v1"`, carries header fields a client
/// shows instead of the outer ones; its `From` must belong to a signer too.
fn check_inner_from(content: &[u8], signers: &[SignerReport], problems: &mut Vec<Problem>) {
    let Ok(entity) = Entity::parse(content) else {
        return;
    };
    let ct = entity.content_type();
    let inner_from = if ct.is("message/rfc822") {
        Entity::parse(entity.body())
            .ok()
            .and_then(|m| m.field("From").map(str::to_owned))
    } else if ct.param("protected-headers").is_some() {
        entity.field("From").map(str::to_owned)
    } else {
        None
    };
    let Some(inner_from) = inner_from else {
        return;
    };
    let matches = mime::first_address(&inner_from)
        .and_then(|a| a.parse::<Mailbox>().ok())
        .is_some_and(|m| {
            signers
                .iter()
                .any(|s| s.certificate.as_ref().is_some_and(|c| c.names_mailbox(&m)))
        });
    if !matches {
        problems.push(Problem::InnerFromNotSigner { from: inner_from });
    }
}

fn signer_report(
    check: cms::SignerCheck,
    pool: &[Certificate],
    options: &VerifyOptions,
    time: SystemTime,
    from: Option<&str>,
) -> SignerReport {
    let signature = match &check.result {
        Ok(_) => SignatureStatus::Valid,
        Err(why) => SignatureStatus::Invalid(*why),
    };
    let chain = match &check.certificate {
        None => ChainStatus::NoCertificate,
        Some(cert) => match chain_status(cert, pool, &options.trust_anchors, time) {
            ChainStatus::Trusted if !cert.can_sign() => ChainStatus::BadUsage,
            status => status,
        },
    };
    let from_matches = from.map(|f| {
        f.parse::<Mailbox>().is_ok_and(|m| {
            check
                .certificate
                .as_ref()
                .is_some_and(|c| c.names_mailbox(&m))
        })
    });
    let mut weaknesses = Vec::new();
    if check.digest.known().is_none_or(|d| d.is_weak()) {
        weaknesses.push(Weakness::Digest(check.digest));
    }
    if let Some(cert) = &check.certificate {
        match cert.key_algorithm() {
            KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } if *bits < 2048 => {
                weaknesses.push(Weakness::RsaKey { bits: *bits });
            }
            KeyAlgorithm::Ec { curve } if cert.key_algorithm().bits().is_none_or(|b| b < 256) => {
                weaknesses.push(Weakness::EcCurve(curve.clone()));
            }
            _ => {}
        }
    }
    SignerReport {
        certificate: check.certificate,
        signature,
        chain,
        from_matches,
        digest_algorithm: check.digest,
        signature_algorithm: check.signature_algorithm,
        weaknesses,
        signing_time: check.signing_time,
        capabilities: check.capabilities.map(|oids| {
            oids.iter()
                .filter_map(ContentEncryption::from_oid)
                .filter(|c| c.can_encrypt())
                .collect()
        }),
    }
}
