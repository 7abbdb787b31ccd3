//! `smime add-cert`: correspondents' certificates into the recipient
//! directory, filed under every address they name. A file is PEM (one or
//! many certificates), one DER certificate, or a certs-only message or
//! PKCS#7 bundle (`.p7c`/`.p7b`/`.eml`: DER, PEM or MIME; its CA
//! certificates travel as the chain and are kept as intermediates, for
//! building paths to a trust anchor, not trusted themselves), never a
//! signed or enveloped message. Every file is read
//! and checked first, so a bad one adds nothing at all. `--pin`: trusted
//! for encryption as they are.

use std::io::Write;
use std::path::Path;

use smime::{Certificate, CertificateError, Error, Mailbox};

use super::Context;
use crate::args::AddCertArgs;
use crate::failure::Failure;
use crate::{files, output};

pub fn run(ctx: &Context, args: &AddCertArgs, out: &mut impl Write) -> Result<(), Failure> {
    let mut certs = Vec::new();
    let mut cas = Vec::new();
    for file in &args.files {
        let (end_entity, chain) = recipient_certificates(file)?;
        certs.extend(end_entity);
        cas.extend(chain);
    }
    let store = ctx.open_store()?;
    // A bundle's CA certificates are kept for building paths to a trust
    // anchor (not trusted themselves), so its recipients can be trusted
    // once their root is.
    for ca in &cas {
        store.add_intermediate(ca)?;
    }
    for cert in &certs {
        if args.pin {
            let pinned = store.pin_recipient_certificate(cert)?;
            output::write_pinned(out, cert, pinned)?;
        } else {
            let added = store.add_recipient_certificate(cert)?;
            output::write_added(out, cert, added)?;
        }
    }
    Ok(())
}

/// What one file holds.
enum Held {
    /// Plain certificates (PEM or one DER): each must be a correspondent's.
    Certificates(Vec<Certificate>),
    /// A certs-only message or PKCS#7 bundle: its end-entity certificates
    /// (its CA certificates are the chain that came with them).
    Bundle(Vec<Certificate>),
}

/// The certificates of one file, checked as the recipient directory will
/// check them (no CA certificate, at least one usable e-mail address), and
/// a bundle's CA certificates.
fn recipient_certificates(file: &Path) -> Result<(Vec<Certificate>, Vec<Certificate>), Failure> {
    let (certs, cas) = match read(file)? {
        Held::Certificates(certs) => (certs, Vec::new()),
        Held::Bundle(certs) => {
            let (cas, end_entity): (Vec<Certificate>, Vec<Certificate>) =
                certs.into_iter().partition(Certificate::is_ca);
            if end_entity.is_empty() {
                return Err(Failure::Usage(output::only_ca_certificates(file)));
            }
            (end_entity, cas)
        }
    };
    for cert in &certs {
        let unusable =
            |reason: &str| Failure::Usage(output::unusable_certificate(file, cert, reason));
        if cert.is_ca() {
            return Err(unusable(output::REASON_CA_CERTIFICATE));
        }
        if !cert
            .email_addresses()
            .iter()
            .any(|e| e.parse::<Mailbox>().is_ok())
        {
            return Err(unusable(output::REASON_NO_ADDRESS));
        }
    }
    Ok((certs, cas))
}

/// Plain certificates first; else a certs-only message or PKCS#7 bundle
/// (a signed message is refused: it hands over a signer's certificate
/// without anyone meaning to). When the file is neither, the plain
/// reading's error is the one shown; when it is a PKCS#7 that cannot be
/// used (damaged, signed, not SignedData), the bundle's own.
fn read(file: &Path) -> Result<Held, Failure> {
    let in_file = |what: String| Failure::Usage(format!("{}: {what}", file.display()));
    let bytes = files::read(file)?;
    let plain = match Certificate::all_from_pem_or_der(&bytes) {
        Ok(certs) if !certs.is_empty() => return Ok(Held::Certificates(certs)),
        Ok(_) => output::NO_CERTIFICATE_FOUND.to_owned(),
        Err(e) => e.to_string(),
    };
    match smime::read_certs_only(&bytes, &smime::Limits::default()) {
        Ok(certs) => Ok(Held::Bundle(certs)),
        Err(Error::InvalidCertificate(CertificateError::NoCertificates)) => Err(in_file(plain)),
        Err(e @ Error::LimitExceeded { .. }) => Err(e.into()),
        // DER that is no ContentInfo: a damaged certificate, rather.
        Err(_) if bytes.first() == Some(&0x30) && !is_signed_data_der(&bytes) => {
            Err(in_file(plain))
        }
        Err(e) => Err(in_file(e.to_string())),
    }
}

/// DER `id-signedData` (1.2.840.113549.1.7.2), the OID that opens a
/// ContentInfo holding a SignedData (RFC 5652 §3, §5.1).
const SIGNED_DATA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

/// Whether DER `bytes` open like a PKCS#7 SignedData: the OID right after
/// the outer SEQUENCE's header (at most 6 octets).
fn is_signed_data_der(bytes: &[u8]) -> bool {
    let start = bytes.get(..6 + SIGNED_DATA_OID.len()).unwrap_or(bytes);
    start
        .windows(SIGNED_DATA_OID.len())
        .any(|w| w == SIGNED_DATA_OID)
}
