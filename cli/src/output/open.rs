//! The words of `open`: verdicts, each header field's protection, layers.

use super::*;

// ------------------------------------------------------------------ open

/// The verdict word: `signed-and-valid`, `signed-and-encrypted`,
/// `signed-but-invalid`, `encrypted-only`, `unsigned` or
/// `signature-unreadable`.
pub(super) fn verdict_word(verdict: &Verdict) -> &'static str {
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
pub(super) fn verdict_why(verdict: &Verdict) -> Option<String> {
    match verdict {
        Verdict::SignedButInvalid { why, .. } => Some(why.to_string()),
        _ => None,
    }
}

/// A header field's protection: `signed`, `encrypted`,
/// `signed+encrypted` or `none`.
pub(super) fn protection_word(protection: FieldProtection) -> &'static str {
    match protection {
        FieldProtection::SignedOnly => "signed",
        FieldProtection::EncryptedOnly => "encrypted",
        FieldProtection::SignedAndEncrypted => "signed+encrypted",
        _ => "none",
    }
}

/// The header protection scheme: `none`, `clear`, `cipher` or `rfc8551`.
pub(super) fn header_protection_word(hp: HeaderProtection) -> &'static str {
    match hp {
        HeaderProtection::Clear => "clear",
        HeaderProtection::Cipher => "cipher",
        HeaderProtection::Rfc8551 => "rfc8551",
        _ => "none",
    }
}

/// One layer of `open --json`.
pub(super) fn layer_json(layer: &Layer) -> Value {
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
