//! The words of `verify` and `decrypt`: chain, signature, form, coverage,
//! the JSON objects and the text report.

use super::*;

// ----------------------------------------------------------------- verify

/// `detached` / `opaque`.
pub(super) fn form_word(form: SignatureForm) -> &'static str {
    match form {
        SignatureForm::Opaque => "opaque",
        _ => "detached",
    }
}

/// `trusted`, `untrusted`, `expired`, `not-yet-valid`, `bad-usage` or
/// `revoked`. A signer whose certificate is missing is `untrusted`, and so
/// is any status this version does not know.
pub(super) fn chain_word(chain: &ChainStatus) -> &'static str {
    match chain {
        ChainStatus::Trusted => "trusted",
        ChainStatus::Expired => "expired",
        ChainStatus::NotYetValid => "not-yet-valid",
        ChainStatus::BadUsage => "bad-usage",
        ChainStatus::Revoked => "revoked",
        _ => "untrusted",
    }
}

/// The word `verify --json` prints for a certificate's revocation status:
/// `good`, `revoked`, `unknown`, `not-checked` (also for any status this
/// version does not know).
pub(super) fn revocation_word(revocation: &Revocation) -> &'static str {
    match revocation {
        Revocation::Good => "good",
        Revocation::Revoked { .. } => "revoked",
        Revocation::Unknown => "unknown",
        _ => "not-checked",
    }
}

/// `chain_detail`: why a chain is untrusted, when the library says.
pub(super) fn chain_detail(chain: &ChainStatus) -> Option<String> {
    match chain {
        ChainStatus::Untrusted(why) => Some(why.to_string()),
        ChainStatus::NoCertificate => Some("the signer's certificate is not in the message".into()),
        _ => None,
    }
}

/// `valid` / `invalid`, and why it is invalid when the library says.
pub(super) fn signature_words(signature: &SignatureStatus) -> (&'static str, Option<String>) {
    match signature {
        SignatureStatus::Valid => ("valid", None),
        SignatureStatus::Invalid(why) => ("invalid", Some(why.to_string())),
        _ => ("invalid", None),
    }
}

/// Each value's one-line `Display`, as the JSON arrays and the `weak:` list
/// print them.
pub(super) fn words<T: std::fmt::Display>(values: &[T]) -> Vec<String> {
    values.iter().map(T::to_string).collect()
}

/// `matches`, `mismatch`, or `n/a` without a `From`.
pub(super) fn from_word(from_matches: Option<bool>) -> &'static str {
    match from_matches {
        Some(true) => "matches",
        Some(false) => "mismatch",
        None => "n/a",
    }
}

/// The `verify --json` object.
pub fn report_json(report: &VerifyReport) -> Value {
    let coverage = match &report.coverage {
        Coverage::Part(path) => json!({ "part": path }),
        _ => json!("whole-body"),
    };
    json!({
        "valid": report.valid,
        "form": form_word(report.form),
        "from": report.from,
        "coverage": coverage,
        "problems": report.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "signers": report.signers.iter().map(signer_json).collect::<Vec<_>>(),
    })
}

/// One signer of `verify --json`.
pub(super) fn signer_json(signer: &SignerReport) -> Value {
    let (signature, signature_error) = signature_words(&signer.signature);
    json!({
        "emails": signer.emails(),
        "fingerprint": signer.fingerprint().map(|f| f.to_string()),
        "signature": signature,
        "signature_error": signature_error,
        "chain": chain_word(&signer.chain),
        "chain_detail": chain_detail(&signer.chain),
        "from_matches": signer.from_matches,
        "digest_algorithm": signer.digest_algorithm.to_string(),
        "signature_algorithm": signer.signature_algorithm.to_string(),
        "weaknesses": words(&signer.weaknesses),
        "signing_time": signer.signing_time.and_then(rfc3339),
        "revocation": revocation_word(&signer.revocation),
        "revocation_urls": signer.revocation_urls(),
    })
}

/// The `verify` text report: `valid` / `NOT valid`, one line per signer,
/// the coverage, one line per problem.
pub fn write_report(out: &mut impl Write, report: &VerifyReport) -> io::Result<()> {
    writeln!(out, "{}", if report.valid { "valid" } else { "NOT valid" })?;
    for signer in &report.signers {
        writeln!(out, "{}", signer_line(signer).replace(['\r', '\n'], " "))?;
    }
    match &report.coverage {
        Coverage::Part(path) => {
            let path: Vec<String> = path.iter().map(usize::to_string).collect();
            writeln!(out, "coverage: part {}", path.join("."))?;
        }
        _ => writeln!(out, "coverage: whole body")?,
    }
    for problem in &report.problems {
        writeln!(
            out,
            "problem: {}",
            problem.to_string().replace(['\r', '\n'], " ")
        )?;
    }
    Ok(())
}

/// `signer <emails> <fingerprint>: signature ..., chain ..., from ...,
/// <digest>/<signature algorithm>[ weak: ...]`.
pub(super) fn signer_line(signer: &SignerReport) -> String {
    let emails = match signer.emails() {
        [] => "-".to_owned(),
        emails => emails.join(","),
    };
    let fingerprint = signer
        .fingerprint()
        .map_or_else(|| "no certificate".to_owned(), |f| f.to_string());
    let signature = match signature_words(&signer.signature) {
        (word, Some(why)) => format!("{word} ({why})"),
        (word, None) => word.to_owned(),
    };
    let mut line = format!(
        "signer {emails} {fingerprint}: signature {signature}, chain {}, from {}, {}/{}",
        chain_word(&signer.chain),
        from_word(signer.from_matches),
        signer.digest_algorithm,
        signer.signature_algorithm
    );
    if !signer.weaknesses.is_empty() {
        line.push_str(&format!(" weak: {}", words(&signer.weaknesses).join(", ")));
    }
    line
}

// ---------------------------------------------------------------- decrypt

/// The `decrypt --json` object; `signature` is the `verify --json` object
/// of the signature inside (`--verify`), else null.
pub fn decrypted_json(decrypted: &Decryption, report: Option<&VerifyReport>) -> Value {
    json!({
        "recipient": decrypted.recipient.to_string(),
        "content_encryption": decrypted.content_encryption.to_string(),
        "authenticated": decrypted.authenticated,
        "weaknesses": words(&decrypted.weaknesses),
        "signature": report.map(report_json),
    })
}

/// `decrypt --verify`'s reason for exit 1 when the signature inside is not
/// valid: the `verify` text report after its `NOT valid` line, on one line.
pub fn not_valid_line(report: &VerifyReport) -> io::Result<String> {
    let mut text = Vec::new();
    write_report(&mut text, report)?;
    let text = String::from_utf8_lossy(&text);
    let details: Vec<&str> = text.lines().skip(1).collect();
    Ok(format!(
        "the signature inside is NOT valid: {}",
        details.join("; ")
    ))
}
