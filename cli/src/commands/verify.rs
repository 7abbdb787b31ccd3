//! `smime verify`: the report on stdout (exit 1 when not valid), the
//! signed content to `--out`; no store unless `--remember` or
//! `--store-trust`.

use std::io::{self, Write};
use std::str::FromStr;
use std::time::SystemTime;

use std::path::{Path, PathBuf};

use smime::{Crl, OcspResponse, RevocationPolicy, VerifyOptions};

use super::{Context, read_all_certificates};
use crate::args::{Revocation, VerifyArgs};
use crate::failure::Failure;
use crate::files::{self, Content};
use crate::output;

pub fn run(ctx: &Context, args: &VerifyArgs, out: &mut impl Write) -> Result<(), Failure> {
    let anchors = read_all_certificates(&args.trust)?;
    let crls = read_all(&args.crl, Crl::all_from_pem_or_der)?;
    let responses = read_all(&args.ocsp_response, OcspResponse::all_from_pem_or_der)?;
    let mut options = VerifyOptions::new(&anchors)
        .with_crls(&crls)
        .with_ocsp_responses(&responses)
        .revocation(policy(args.revocation));
    if let Some(at) = &args.at {
        options = options.at(parse_time(at)?);
    }
    let message = files::stream_input(args.input.as_deref())?;
    let mut store = None;
    if args.store_trust {
        let opened = ctx.open_store()?;
        options = options.with_store_trust(&opened)?;
        store = Some(opened);
    }
    let report = match &args.output {
        // Written as it streams: the report says whether to trust it.
        Some(path) => files::with_output(Some(path), out, Content::AsWritten, |w| {
            Ok(smime::verify_stream(message, w, &options)?)
        })?,
        None => smime::verify_stream(message, io::sink(), &options)?,
    };
    if args.remember {
        let store = match store {
            Some(store) => store,
            None => ctx.open_store()?,
        };
        store.add_verified_signers(&report.verified_signers())?;
    }
    if args.json {
        output::write_json(out, &output::report_json(&report))?;
    } else {
        output::write_report(out, &report)?;
    }
    out.flush()?;
    if !report.valid {
        return Err(Failure::Invalid);
    }
    Ok(())
}

/// The library's policy for `--revocation`.
fn policy(revocation: Revocation) -> RevocationPolicy {
    match revocation {
        Revocation::Off => RevocationPolicy::Off,
        Revocation::Soft => RevocationPolicy::Soft,
        Revocation::Hard => RevocationPolicy::Hard,
    }
}

/// Every item of every file (`--crl`, `--ocsp-response`); a file that does
/// not parse is a usage error naming it.
fn read_all<T>(
    paths: &[PathBuf],
    parse: impl Fn(&[u8]) -> smime::Result<Vec<T>>,
) -> Result<Vec<T>, Failure> {
    let mut out = Vec::new();
    for path in paths {
        out.extend(read_one(path, &parse)?);
    }
    Ok(out)
}

fn read_one<T>(
    path: &Path,
    parse: &impl Fn(&[u8]) -> smime::Result<Vec<T>>,
) -> Result<Vec<T>, Failure> {
    let bytes = files::read(path)?;
    parse(&bytes).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}

/// `--at`: RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ` (a `+00:00` suffix is
/// accepted for `Z`).
fn parse_time(text: &str) -> Result<SystemTime, Failure> {
    let normalised = match text.strip_suffix("+00:00") {
        Some(rest) => format!("{rest}Z"),
        None => text.to_owned(),
    };
    der::DateTime::from_str(&normalised)
        .map(|t| t.to_system_time())
        .map_err(|_| {
            Failure::Usage(format!(
                "invalid --at time {:?}: expected YYYY-MM-DDTHH:MM:SSZ",
                text.chars().take(64).collect::<String>()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_accepts_z_and_plus_zero_only() {
        let z = parse_time("2030-06-01T12:00:00Z").ok();
        assert!(z.is_some());
        assert_eq!(parse_time("2030-06-01T12:00:00+00:00").ok(), z);
        for bad in ["garbage", "2030-06-01", "2030-06-01T12:00:00+02:00"] {
            assert!(matches!(parse_time(bad), Err(Failure::Usage(_))), "{bad}");
        }
    }
}
