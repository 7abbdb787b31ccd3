//! Every line and JSON object the CLI prints on stdout, and the one-line
//! reasons of `decrypt --verify`, built from the library's types. The words
//! (`trusted`, `whole-body`, `sign,decrypt`, ...) are the CLI contract of
//! README.md and live here, not in the library.

mod open;
mod verify;

pub use open::*;
pub use verify::*;

use std::io::{self, Write};
use std::time::SystemTime;

use crate::printable::printable;
use serde_json::{Map, Value, json};
use smime::{
    Certificate, ChainStatus, Coverage, Decryption, FieldProtection, Fingerprint, HeaderProtection,
    Layer, Mailbox, Opened, Revocation, Settings, SignatureForm, SignatureStatus, SignerReport,
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
