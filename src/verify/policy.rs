//! The verdict: each signer's report from its checks, the sender binding
//! (RFC 8550 §3), weaknesses, and the one rule for [`VerifyReport::valid`],
//! shared by [`super::verify`] and [`super::verify_stream`].
#![forbid(unsafe_code)]

use std::time::SystemTime;

use super::VerifyOptions;
use super::chain::{self, Trust};
use super::report::{
    ChainCertificate, ChainStatus, Coverage, PathCertificate, Problem, SignatureStatus,
    SignerReport, VerifyReport, Weakness,
};
use super::revocation::{Checker, Sources};
use crate::algorithm::ContentEncryption;
use crate::algorithm::KeyAlgorithm;
use crate::cert::Certificate;
use crate::cms::{self, MAX_RSA_BITS};
use crate::error::Result;
use crate::mailbox::Mailbox;
use crate::mime::{self, Entity, Protected, SenderIssue};
use crate::oid::{self, ObjectId};
use crate::revocation::{Revocation, RevocationPolicy};
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
/// [`VerifyReport::valid`]; `protected` is what the signed content says
/// about protected header fields (the same scanner on both paths). Returns
/// the report without content and the index of the candidate that
/// matched.
pub(super) fn evaluate(
    parsed: cms::Parsed,
    digests: &cms::ContentDigests,
    protected: Protected,
    message: Message,
    options: &VerifyOptions,
    trust: &Trust,
) -> Result<(VerifyReport, usize)> {
    let Message {
        form,
        from,
        path,
        mut problems,
    } = message;
    let time = options.time.unwrap_or_else(SystemTime::now);
    let sources = Sources::gather(
        &options.crls,
        &options.ocsp_responses,
        &parsed.revocation_info,
        &options.limits,
    )?;
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
    // Every signature first, within one budget of public-key operations
    // for the whole SignedData; path validation only for a message that
    // stayed within it.
    let mut budget = cms::Budget::new(options.limits.max_signature_operations);
    let checks = parsed
        .signed_data
        .signer_infos
        .0
        .iter()
        .map(|si| cms::check_signer(si, &econtent_type, digests, &pool, &mut budget))
        .collect::<Result<Vec<_>>>()?;
    // Revocation checks share the same budget and one checker, so each
    // (CRL, issuer) pair and OCSP response is verified once.
    let mut checker = Checker::new(&sources, &options.trust_anchors, &pool, time);
    let signers: Vec<SignerReport> = checks
        .into_iter()
        .map(|check| {
            if let Ok(index) = check.result {
                matched = index;
            }
            let context = Context {
                pool: &pool,
                options,
                trust,
                time,
                from: from.as_deref(),
            };
            signer_report(check, &context, &mut checker, &mut budget)
        })
        .collect::<Result<_>>()?;
    check_protected(protected, &signers, &mut problems);
    if signers.is_empty() {
        problems.push(Problem::NoSigners);
    }
    let coverage = if path.is_empty() {
        Coverage::WholeBody
    } else {
        Coverage::Part(path)
    };
    let revocation_ok = |s: &SignerReport| match options.revocation {
        RevocationPolicy::Off => true,
        RevocationPolicy::Hard => {
            !s.path.is_empty()
                && s.path
                    .iter()
                    .filter(|p| !p.trust_anchor)
                    .all(|p| p.revocation == Revocation::Good)
        }
        _ => !matches!(s.revocation, Revocation::Revoked { .. }),
    };
    let valid = problems.is_empty()
        && coverage == Coverage::WholeBody
        && !signers.is_empty()
        && signers.iter().all(|s| {
            s.signature == SignatureStatus::Valid
                && s.chain == ChainStatus::Trusted
                && !s.weaknesses.iter().any(Weakness::is_refused)
                && (options.allow_weak || s.weaknesses.is_empty())
                && revocation_ok(s)
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
    Ok((report, matched))
}

fn sender_problem(issue: SenderIssue) -> Problem {
    match issue {
        SenderIssue::SeveralFrom => Problem::SeveralFromFields,
        SenderIssue::NoAddress(value) => Problem::UncheckableSender { value },
        SenderIssue::Ambiguous(value) => Problem::AmbiguousSender { value },
    }
}

/// The sender address to check signers against (RFC 5322 §3.6.2, RFC
/// 8550 §3) under the rules of [`mime::check_sender`]: several `From`
/// fields, a `From` without an address, and one that shows more than the
/// address checked are problems ("Johnny, you are fired!", ID class).
pub(super) fn sender(root: &Entity<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    let named = |name: &str| -> Vec<&str> {
        root.fields()
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value.as_str())
            .collect()
    };
    let check = mime::check_sender(&named("From"), &named("Sender"));
    problems.extend(check.issues.into_iter().map(sender_problem));
    check.address
}

/// Header protection (RFC 8551 §3.1 `message/rfc822`, legacy
/// `protected-headers`, RFC 9788 `hp=`): the protected header section a
/// client shows instead of the outer one is held to the same sender
/// rules, and its sender must belong to a signer.
pub(crate) fn check_protected(
    protected: Protected,
    signers: &[SignerReport],
    problems: &mut Vec<Problem>,
) {
    let (from, sender) = match protected {
        Protected::None => return,
        Protected::Unreadable(why) => {
            problems.push(Problem::UncheckableProtectedHeader(why));
            return;
        }
        Protected::EncodedMessage(encoding) => {
            problems.push(Problem::EncodedProtectedMessage { encoding });
            return;
        }
        Protected::Fields { from, sender } => (from, sender),
    };
    let from_refs: Vec<&str> = from.iter().map(String::as_str).collect();
    let sender_refs: Vec<&str> = sender.iter().map(String::as_str).collect();
    let check = mime::check_sender(&from_refs, &sender_refs);
    for issue in check.issues {
        problems.push(Problem::ProtectedHeader(Box::new(sender_problem(issue))));
    }
    let Some(address) = check.address else {
        return;
    };
    let matches = address.parse::<Mailbox>().is_ok_and(|m| {
        signers
            .iter()
            .any(|s| s.certificate.as_ref().is_some_and(|c| c.names_mailbox(&m)))
    });
    if !matches {
        let shown = from.first().or(sender.first()).cloned().unwrap_or(address);
        problems.push(Problem::InnerFromNotSigner { from: shown });
    }
}

/// What every signer's report is made against.
struct Context<'a> {
    pool: &'a [Certificate],
    options: &'a VerifyOptions,
    trust: &'a Trust,
    time: SystemTime,
    from: Option<&'a str>,
}

fn signer_report(
    check: cms::SignerCheck,
    context: &Context<'_>,
    checker: &mut Checker<'_>,
    budget: &mut cms::Budget,
) -> Result<SignerReport> {
    let Context {
        pool,
        options,
        trust,
        time,
        from,
    } = *context;
    let signature = match &check.result {
        Ok(_) => SignatureStatus::Valid,
        Err(why) => SignatureStatus::Invalid(*why),
    };
    let anchors = &options.trust_anchors;
    let (mut chain, mut chain_certificate, built) = match &check.certificate {
        None => (ChainStatus::NoCertificate, None, Vec::new()),
        Some(cert) => {
            let validated = chain::validate(cert, pool, anchors, trust, time);
            match validated.status {
                ChainStatus::Trusted if !cert.can_sign() => (
                    ChainStatus::BadUsage,
                    Some(ChainCertificate {
                        depth: 0,
                        fingerprint: cert.fingerprint(),
                    }),
                    validated.path,
                ),
                status => (status, validated.at, validated.path),
            }
        }
    };
    // Revocation is checked only on a path that reached a trust anchor:
    // on any other it changes nothing, and its CRLs and OCSP responses
    // would be signature checks an attacker chooses.
    let check_revocation = options.revocation != RevocationPolicy::Off
        && matches!(chain, ChainStatus::Trusted | ChainStatus::BadUsage);
    let path: Vec<PathCertificate> = built
        .iter()
        .enumerate()
        .map(|(depth, cert)| {
            Ok(PathCertificate {
                trust_anchor: anchors.contains(cert),
                revocation: if check_revocation {
                    checker.status(cert, built.get(depth + 1), budget)?
                } else {
                    Revocation::NotChecked
                },
                certificate: cert.clone(),
            })
        })
        .collect::<Result<_>>()?;
    let revocation = if check_revocation {
        summary(&path)
    } else {
        Revocation::NotChecked
    };
    if matches!(chain, ChainStatus::Trusted | ChainStatus::BadUsage)
        && let Some((depth, revoked)) = path
            .iter()
            .enumerate()
            .find(|(_, p)| matches!(p.revocation, Revocation::Revoked { .. }))
    {
        chain = ChainStatus::Revoked;
        chain_certificate = Some(ChainCertificate {
            depth,
            fingerprint: revoked.certificate.fingerprint(),
        });
    }
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
    let keys: Vec<(usize, &Certificate, bool)> = if path.is_empty() {
        check.certificate.iter().map(|c| (0, c, false)).collect()
    } else {
        path.iter()
            .enumerate()
            .map(|(depth, p)| (depth, &p.certificate, p.trust_anchor))
            .collect()
    };
    for (depth, cert, anchor) in keys {
        // A trust anchor is trusted as given (RFC 5280 §6.1.1): its own
        // signature, self-signature or not, is never what makes it so.
        if !anchor && let Some(digest) = cert.weak_signature_digest() {
            weaknesses.push(Weakness::CertificateDigest { depth, digest });
        }
        match cert.key_algorithm() {
            KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } if *bits > MAX_RSA_BITS => {
                weaknesses.push(Weakness::KeyTooLarge { depth, bits: *bits });
            }
            KeyAlgorithm::Rsa { bits } | KeyAlgorithm::RsaPss { bits } if *bits < 2048 => {
                weaknesses.push(Weakness::RsaKey { depth, bits: *bits });
            }
            KeyAlgorithm::Ec { curve } if cert.key_algorithm().bits().is_none_or(|b| b < 256) => {
                weaknesses.push(Weakness::EcCurve {
                    depth,
                    curve: curve.clone(),
                });
            }
            _ => {}
        }
    }
    Ok(SignerReport {
        certificate: check.certificate,
        signature,
        chain,
        chain_certificate,
        path,
        revocation,
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
    })
}

/// The path's revocation status: revoked, else unknown, else good, over
/// the certificates but the trust anchors.
fn summary(path: &[PathCertificate]) -> Revocation {
    let checked: Vec<&Revocation> = path
        .iter()
        .filter(|p| !p.trust_anchor)
        .map(|p| &p.revocation)
        .collect();
    if let Some(revoked) = checked
        .iter()
        .find(|r| matches!(r, Revocation::Revoked { .. }))
    {
        return **revoked;
    }
    if checked.is_empty() {
        Revocation::NotChecked
    } else if checked.iter().all(|r| **r == Revocation::Good) {
        Revocation::Good
    } else {
        Revocation::Unknown
    }
}
