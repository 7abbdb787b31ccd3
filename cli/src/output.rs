//! Every line and JSON object the CLI prints on stdout, and the one-line
//! reasons of `decrypt --verify`, built from the library's types. The words
//! (`trusted`, `whole-body`, `sign,decrypt`, ...) are the CLI contract of
//! README.md and live here, not in the library.

use std::io::{self, Write};
use std::time::SystemTime;

use crate::printable::printable;
use serde_json::{Map, Value, json};
use smime::{
    Certificate, ChainStatus, Coverage, Decryption, FieldProtection, Fingerprint, HeaderProtection,
    Layer, Mailbox, Opened, Settings, SignatureForm, SignatureStatus, SignerReport,
    StoredCertificate, Verdict, VerifyReport,
};

/// A JSON value, pretty-printed on its own lines.
pub fn write_json(out: &mut impl Write, value: &Value) -> io::Result<()> {
    writeln!(out, "{value:#}")
}

/// RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`), or `None` outside 1970..=9999.
fn rfc3339(time: SystemTime) -> Option<String> {
    der::DateTime::from_system_time(time)
        .ok()
        .map(|t| t.to_string())
}

// ------------------------------------------------------------ import, remove

/// `import`: `imported <fp> <subject> into <mailbox>`, or `already present:
/// <fp> in <mailbox>` when the mailbox held it already.
pub fn write_imported(
    out: &mut impl Write,
    mailbox: &Mailbox,
    cert: &Certificate,
    added: bool,
) -> io::Result<()> {
    if added {
        writeln!(
            out,
            "imported {} {} into {}",
            cert.fingerprint(),
            cert.subject(),
            mailbox.canonical()
        )
    } else {
        writeln!(
            out,
            "already present: {} in {}",
            cert.fingerprint(),
            mailbox.canonical()
        )
    }
}

/// `remove`: `removed <fp> from <mailbox>`.
pub fn write_removed(
    out: &mut impl Write,
    mailbox: &Mailbox,
    fingerprint: &Fingerprint,
) -> io::Result<()> {
    writeln!(out, "removed {fingerprint} from {}", mailbox.canonical())
}

/// `passwd`.
pub fn write_passphrase_changed(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "store passphrase changed")
}

/// `add-cert`: `added <fp> for <addresses>`, or `already present: <fp>`.
pub fn write_added(out: &mut impl Write, cert: &Certificate, added: bool) -> io::Result<()> {
    if added {
        writeln!(
            out,
            "added {} for {}",
            cert.fingerprint(),
            cert.email_addresses().join(", ")
        )
    } else {
        writeln!(out, "already present: {}", cert.fingerprint())
    }
}

/// `add-cert`: why a file's certificate cannot be filed.
pub fn unusable_certificate(file: &std::path::Path, cert: &Certificate, reason: &str) -> String {
    format!(
        "{}: certificate {} cannot be used: {reason}",
        file.display(),
        cert.fingerprint()
    )
}

/// `add-cert`: a CA certificate given as a correspondent's.
pub const REASON_CA_CERTIFICATE: &str = "a CA certificate is not a correspondent's certificate";
/// `add-cert`: a certificate without a usable address.
pub const REASON_NO_ADDRESS: &str = "it names no e-mail address";
/// A certificate file without a certificate.
pub const NO_CERTIFICATE_FOUND: &str = "no certificate found";

/// `add-cert`: a certs-only message or PKCS#7 bundle of CA certificates only.
pub fn only_ca_certificates(file: &std::path::Path) -> String {
    format!(
        "{}: holds only CA certificates, no correspondent's certificate",
        file.display()
    )
}

// ----------------------------------------------------------------- domain

/// `domain enable` / `domain disable`.
pub fn write_domain_set(
    out: &mut impl Write,
    domain: &str,
    policy: &smime::DomainPolicy,
) -> io::Result<()> {
    writeln!(out, "domain {domain} {}", policy_words(policy))
}

/// `enabled`, `enabled, no encryption by default` or `disabled`.
fn policy_words(policy: &smime::DomainPolicy) -> &'static str {
    match (policy.enabled, policy.encryption_allowed) {
        (true, true) => "enabled",
        (true, false) => "enabled, no encryption by default",
        (false, _) => "disabled",
    }
}

/// `domain enable|disable`: not a domain name.
pub fn invalid_domain(domain: &str) -> String {
    format!("invalid domain {domain:?}")
}

/// `domain require on|off`.
pub fn write_require(out: &mut impl Write, on: bool) -> io::Result<()> {
    if on {
        writeln!(out, "hosted mode on: only enabled domains may use S/MIME")
    } else {
        writeln!(
            out,
            "hosted mode off: every domain without a policy of its own may use S/MIME"
        )
    }
}

/// `domain list`: `hosted mode: on|off`, then `<domain> <policy>` per
/// domain; `--json`: `{"require_enablement": bool, "domains": [{"domain",
/// "enabled", "encryption_allowed"}]}`.
pub fn write_domains(
    out: &mut impl Write,
    require: bool,
    domains: &[(String, smime::DomainPolicy)],
    json: bool,
) -> io::Result<()> {
    if json {
        let domains: Vec<Value> = domains
            .iter()
            .map(|(name, policy)| {
                json!({
                    "domain": name,
                    "enabled": policy.enabled,
                    "encryption_allowed": policy.encryption_allowed,
                })
            })
            .collect();
        return write_json(
            out,
            &json!({ "require_enablement": require, "domains": domains }),
        );
    }
    writeln!(out, "hosted mode: {}", if require { "on" } else { "off" })?;
    for (name, policy) in domains {
        writeln!(out, "{name} {}", policy_words(policy))?;
    }
    Ok(())
}

// ----------------------------------------------------------------- export

/// `export --out F` (F not our stdout), on stdout once F is written:
/// `exported <fp> from <mailbox> (<profile>)`.
pub fn exported_line(mailbox: &Mailbox, fingerprint: &Fingerprint, legacy: bool) -> String {
    let profile = if legacy {
        "legacy: PBE-SHA1-3DES, SHA-1 MAC"
    } else {
        "PBES2, AES-256-CBC, SHA-256 MAC"
    };
    format!(
        "exported {fingerprint} from {} ({profile})",
        mailbox.canonical()
    )
}

/// A secret (`what`: "the export password", ...) that is empty.
pub fn secret_empty(what: &str) -> String {
    format!("{what} is empty")
}

/// A secret that is only whitespace.
pub fn secret_only_whitespace(what: &str) -> String {
    format!("{what} is only whitespace")
}

/// A secret with a NUL character (PKCS#12 passwords end at one in C).
pub fn secret_with_nul(what: &str) -> String {
    format!("{what} contains a NUL character")
}

/// A secret's file that cannot be read (the error never holds the secret).
pub fn secret_file_unreadable(what: &str, file: &std::path::Path, error: &smime::Error) -> String {
    format!("cannot read {what} from {}: {error}", file.display())
}

/// `export-certs`: `exported N certificates of <address>`.
pub fn exported_certs_line(address: &Mailbox, count: usize) -> String {
    let noun = if count == 1 {
        "certificate"
    } else {
        "certificates"
    };
    format!("exported {count} {noun} of {}", address.canonical())
}

/// `export-certs`: nothing to export.
pub fn no_certificates(address: &Mailbox, recipient: bool) -> String {
    if recipient {
        format!(
            "no correspondent's certificate is filed under {}",
            address.canonical()
        )
    } else {
        format!("mailbox {} holds no certificate", address.canonical())
    }
}

// ------------------------------------------------------------------- list

/// One certificate as `list` shows it: a text line and a JSON object.
pub struct Listed {
    line: String,
    object: Value,
}

impl Listed {
    /// A mailbox's own certificate (`source: "mailbox"`).
    pub fn own(entry: &StoredCertificate) -> Self {
        let mut object = cert_fields(&entry.mailbox, &entry.certificate, "mailbox");
        object.insert("imported_at".into(), json!(rfc3339(entry.imported_at)));
        let chain: Vec<&str> = entry.chain.iter().map(|c| c.subject()).collect();
        object.insert("chain".into(), json!(chain));
        Listed {
            line: cert_line(&entry.mailbox, &entry.certificate),
            object: Value::Object(object),
        }
    }

    /// A correspondent's certificate filed under `address` (`source:
    /// "recipient"`, no `imported_at`, no `chain`).
    pub fn recipient(address: &Mailbox, cert: &Certificate) -> Self {
        Listed {
            line: cert_line(address, cert),
            object: Value::Object(cert_fields(address, cert, "recipient")),
        }
    }
}

/// `list`: one line per certificate, or (`--json`) one array.
pub fn write_list(out: &mut impl Write, listed: Vec<Listed>, json: bool) -> io::Result<()> {
    if json {
        let objects = listed.into_iter().map(|l| l.object).collect();
        write_json(out, &Value::Array(objects))
    } else {
        for entry in &listed {
            writeln!(out, "{}", entry.line)?;
        }
        Ok(())
    }
}

/// The `list --json` fields every certificate has.
fn cert_fields(mailbox: &Mailbox, cert: &Certificate, source: &str) -> Map<String, Value> {
    let fields = [
        ("mailbox", json!(mailbox.canonical())),
        ("source", json!(source)),
        ("fingerprint", json!(cert.fingerprint().to_string())),
        ("subject", json!(cert.subject())),
        ("issuer", json!(cert.issuer())),
        ("serial", json!(cert.serial_hex())),
        ("emails", json!(cert.email_addresses())),
        ("not_before", json!(rfc3339(cert.not_before()))),
        ("not_after", json!(rfc3339(cert.not_after()))),
        ("key_algorithm", json!(cert.key_algorithm().to_string())),
        ("can_sign", json!(cert.can_sign())),
        ("can_decrypt", json!(cert.can_decrypt())),
    ];
    fields
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
}

/// One `list` text line: mailbox, fingerprint, expiry date, usages, subject.
fn cert_line(mailbox: &Mailbox, cert: &Certificate) -> String {
    let until =
        rfc3339(cert.not_after()).map_or_else(|| "?".to_owned(), |t| t.chars().take(10).collect());
    format!(
        "{} {} {until} {} {}",
        mailbox.canonical(),
        cert.fingerprint(),
        usage_word(cert.can_sign(), cert.can_decrypt()),
        cert.subject()
    )
}

/// `sign,decrypt`, `sign`, `decrypt` or `-`.
fn usage_word(can_sign: bool, can_decrypt: bool) -> &'static str {
    match (can_sign, can_decrypt) {
        (true, true) => "sign,decrypt",
        (true, false) => "sign",
        (false, true) => "decrypt",
        (false, false) => "-",
    }
}

// --------------------------------------------------------------- settings

/// The settings, one `key: value` per line.
pub fn write_settings(out: &mut impl Write, settings: &Settings) -> io::Result<()> {
    writeln!(out, "sign_by_default: {}", settings.sign_by_default)?;
    writeln!(out, "encrypt_by_default: {}", settings.encrypt_by_default)?;
    match settings.default_signer {
        Some(fp) => writeln!(out, "default_signer: {fp}"),
        None => writeln!(out, "default_signer: auto"),
    }
}

// ----------------------------------------------------------------- verify

/// `detached` / `opaque`.
fn form_word(form: SignatureForm) -> &'static str {
    match form {
        SignatureForm::Opaque => "opaque",
        _ => "detached",
    }
}

/// `trusted`, `untrusted`, `expired`, `not-yet-valid`, `bad-usage` or
/// `revoked`. A signer whose certificate is missing is `untrusted`, and so
/// is any status this version does not know.
fn chain_word(chain: &ChainStatus) -> &'static str {
    match chain {
        ChainStatus::Trusted => "trusted",
        ChainStatus::Expired => "expired",
        ChainStatus::NotYetValid => "not-yet-valid",
        ChainStatus::BadUsage => "bad-usage",
        ChainStatus::Revoked => "revoked",
        _ => "untrusted",
    }
}

/// `chain_detail`: why a chain is untrusted, when the library says.
fn chain_detail(chain: &ChainStatus) -> Option<String> {
    match chain {
        ChainStatus::Untrusted(why) => Some(why.to_string()),
        ChainStatus::NoCertificate => Some("the signer's certificate is not in the message".into()),
        _ => None,
    }
}

/// `valid` / `invalid`, and why it is invalid when the library says.
fn signature_words(signature: &SignatureStatus) -> (&'static str, Option<String>) {
    match signature {
        SignatureStatus::Valid => ("valid", None),
        SignatureStatus::Invalid(why) => ("invalid", Some(why.to_string())),
        _ => ("invalid", None),
    }
}

/// Each value's one-line `Display`, as the JSON arrays and the `weak:` list
/// print them.
fn words<T: std::fmt::Display>(values: &[T]) -> Vec<String> {
    values.iter().map(T::to_string).collect()
}

/// `matches`, `mismatch`, or `n/a` without a `From`.
fn from_word(from_matches: Option<bool>) -> &'static str {
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
fn signer_json(signer: &SignerReport) -> Value {
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
        "revocation": signer.revocation.word(),
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
fn signer_line(signer: &SignerReport) -> String {
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

// ------------------------------------------------------------------ open

/// The verdict word: `signed-and-valid`, `signed-and-encrypted`,
/// `signed-but-invalid`, `encrypted-only`, `unsigned` or
/// `signature-unreadable`.
fn verdict_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::SignedAndValid => "signed-and-valid",
        Verdict::SignedAndEncrypted => "signed-and-encrypted",
        Verdict::SignedButInvalid { .. } => "signed-but-invalid",
        Verdict::EncryptedOnly { .. } => "encrypted-only",
        Verdict::SignatureUnreadable { .. } => "signature-unreadable",
        _ => "unsigned",
    }
}

/// Why a signed message is not valid, when it is not.
fn verdict_why(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::SignedButInvalid { why, .. } => Some(why.to_string()),
        _ => None,
    }
}

/// A header field's protection: `signed`, `encrypted`,
/// `signed+encrypted` or `none`.
fn protection_word(protection: FieldProtection) -> &'static str {
    match protection {
        FieldProtection::SignedOnly => "signed",
        FieldProtection::EncryptedOnly => "encrypted",
        FieldProtection::SignedAndEncrypted => "signed+encrypted",
        _ => "none",
    }
}

/// The header protection scheme: `none`, `clear`, `cipher` or `rfc8551`.
fn header_protection_word(hp: HeaderProtection) -> &'static str {
    match hp {
        HeaderProtection::Clear => "clear",
        HeaderProtection::Cipher => "cipher",
        HeaderProtection::Rfc8551 => "rfc8551",
        _ => "none",
    }
}

/// One layer of `open --json`.
fn layer_json(layer: &Layer) -> Value {
    match layer {
        Layer::Encrypted {
            content_encryption,
            authenticated,
            weaknesses,
            recipient,
            ..
        } => json!({
            "type": "encrypted",
            "content_encryption": content_encryption.to_string(),
            "authenticated": authenticated,
            "weaknesses": words(weaknesses),
            "recipient": recipient.to_string(),
        }),
        Layer::Signed(report) => {
            let mut object = report_json(report);
            if let Value::Object(map) = &mut object {
                map.insert("type".into(), json!("signed"));
            }
            object
        }
        Layer::SignatureUnreadable(why) => json!({
            "type": "signature-unreadable",
            "error": why.to_string(),
        }),
        _ => json!({ "type": "compressed" }),
    }
}

/// The `open --json` object.
pub fn opened_json(opened: &Opened) -> Value {
    let headers: Vec<Value> = opened
        .headers
        .iter()
        .map(|h| {
            json!({
                "name": h.name,
                "value": h.decoded_value(),
                "protection": protection_word(h.protection),
            })
        })
        .collect();
    json!({
        "verdict": verdict_word(&opened.verdict),
        "why": verdict_why(&opened.verdict),
        "header_protection": header_protection_word(opened.header_protection),
        "legacy_display_removed": opened.legacy_display_removed,
        "headers": headers,
        "layers": opened.layers.iter().map(layer_json).collect::<Vec<_>>(),
    })
}

/// The `open` text: `verdict: <word>[ (<why>)]`, `header protection:
/// <word>`, one `header <protection> <Name>: <value>` line per field, one
/// `layer ...` line per layer (a signed layer's signers as `verify`
/// prints them).
pub fn write_opened(out: &mut impl Write, opened: &Opened) -> io::Result<()> {
    let one_line = |s: String| printable(&s);
    match verdict_why(&opened.verdict) {
        Some(why) => writeln!(
            out,
            "verdict: {} ({})",
            verdict_word(&opened.verdict),
            one_line(why)
        )?,
        None => writeln!(out, "verdict: {}", verdict_word(&opened.verdict))?,
    }
    writeln!(
        out,
        "header protection: {}",
        header_protection_word(opened.header_protection)
    )?;
    for h in &opened.headers {
        writeln!(
            out,
            "header {} {}: {}",
            protection_word(h.protection),
            printable(&h.name),
            one_line(h.decoded_value())
        )?;
    }
    for layer in &opened.layers {
        match layer {
            Layer::Encrypted {
                content_encryption,
                authenticated,
                ..
            } => writeln!(
                out,
                "layer encrypted: {content_encryption}{}",
                if *authenticated {
                    ", authenticated"
                } else {
                    ", not authenticated"
                }
            )?,
            Layer::Signed(report) => {
                writeln!(
                    out,
                    "layer signed: {}",
                    if report.valid { "valid" } else { "NOT valid" }
                )?;
                for signer in &report.signers {
                    writeln!(out, "{}", one_line(signer_line(signer)))?;
                }
                for problem in &report.problems {
                    writeln!(out, "problem: {}", one_line(problem.to_string()))?;
                }
            }
            Layer::SignatureUnreadable(why) => writeln!(
                out,
                "layer signature-unreadable: {}",
                one_line(why.to_string())
            )?,
            _ => writeln!(out, "layer compressed")?,
        }
    }
    Ok(())
}

/// A store-opening warning, for stderr.
pub fn warning_line(warning: &smime::OpenWarning) -> String {
    match warning {
        smime::OpenWarning::ReadableByOthers { path, mode } => format!(
            "{} is readable by other users (mode {:o}): chmod 600 it",
            path.display(),
            mode & 0o777
        ),
        smime::OpenWarning::BlankPassphrase => {
            "the store passphrase is blank: change it with `smime passwd`".to_owned()
        }
        other => format!("{other:?}"),
    }
}

/// `decrypt --verify`'s reason for exit 1 when the content is not signed.
pub const NOT_SIGNED: &str = "the decrypted message is not signed";

// ------------------------------------------------- trust, add-crl, --pin

/// `add-cert --pin`: `pinned <fp> for <addresses>`, or `already pinned:
/// <fp>`.
pub fn write_pinned(out: &mut impl Write, cert: &Certificate, pinned: bool) -> io::Result<()> {
    if pinned {
        writeln!(
            out,
            "pinned {} for {}",
            cert.fingerprint(),
            cert.email_addresses().join(", ")
        )
    } else {
        writeln!(out, "already pinned: {}", cert.fingerprint())
    }
}

/// `trust add`: `trusted <fp> <subject>`, or `already trusted: <fp>`.
pub fn write_trusted(out: &mut impl Write, cert: &Certificate, added: bool) -> io::Result<()> {
    if added {
        writeln!(out, "trusted {} {}", cert.fingerprint(), cert.subject())
    } else {
        writeln!(out, "already trusted: {}", cert.fingerprint())
    }
}

/// `trust remove`: `removed trust anchor <fp>`.
pub fn write_untrusted(out: &mut impl Write, fingerprint: &Fingerprint) -> io::Result<()> {
    writeln!(out, "removed trust anchor {fingerprint}")
}

/// `trust list`: `<fp> <expiry date> <subject>` per anchor, or (`--json`)
/// an array of `{fingerprint, subject, not_after, added_at}`.
pub fn write_anchors(
    out: &mut impl Write,
    anchors: &[smime::TrustAnchor],
    json: bool,
) -> io::Result<()> {
    if json {
        let objects = anchors
            .iter()
            .map(|a| {
                json!({
                    "fingerprint": a.certificate.fingerprint().to_string(),
                    "subject": a.certificate.subject(),
                    "not_after": rfc3339(a.certificate.not_after()),
                    "added_at": rfc3339(a.added_at),
                })
            })
            .collect();
        return write_json(out, &Value::Array(objects));
    }
    for a in anchors {
        let until = rfc3339(a.certificate.not_after())
            .map_or_else(|| "?".to_owned(), |t| t.chars().take(10).collect());
        writeln!(
            out,
            "{} {until} {}",
            a.certificate.fingerprint(),
            a.certificate.subject()
        )?;
    }
    Ok(())
}

/// `add-crl`: `added CRL of <issuer>`, `replaced CRL of <issuer>`, or
/// `kept newer CRL of <issuer>`.
pub fn write_crl_update(
    out: &mut impl Write,
    crl: &smime::Crl,
    update: smime::CrlUpdate,
) -> io::Result<()> {
    let word = match update {
        smime::CrlUpdate::Added => "added",
        smime::CrlUpdate::Replaced => "replaced",
        _ => "kept newer",
    };
    writeln!(out, "{word} CRL of {}", crl.issuer())
}

#[cfg(test)]
mod tests;
