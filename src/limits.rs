//! Resource limits for hostile input.
//!
//! Every byte `smime` reads may come from an attacker: a bundle asking for
//! 10⁹ PBKDF2 iterations, a message nested ten thousand levels deep, a CMS
//! structure with a million RecipientInfos would each keep a mail client
//! busy or make it allocate without bound. Each such dimension has a limit
//! here; going over it is [`Error::LimitExceeded`],
//! naming the limit, never a hang, a panic or a generic parse error.
//!
//! The defaults are far above what real mail uses and far below what hurts;
//! raise one for a known sender, lower them on a constrained device:
//!
//! ```
//! let mut limits = smime::Limits::default();
//! limits.max_in_memory = 32 << 20;
//! let options = smime::VerifyOptions::new(&[]).limits(limits);
//! # let _ = options;
//! ```
#![forbid(unsafe_code)]

use crate::error::{Error, Result};

/// The limits; see the module documentation. `Default` gives the values
/// documented on each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes a streaming function reads into memory when a message cannot
    /// be streamed (an entity that must be re-encoded before signing, a
    /// signature nested inside another multipart, a quoted-printable
    /// envelope). Default 256 MiB.
    pub max_in_memory: u64,
    /// Levels of nested MIME entities (multiparts, `message/rfc822`).
    /// Default 32.
    pub max_mime_depth: usize,
    /// Body parts in one multipart. Default 10 000.
    pub max_parts: usize,
    /// Certificates in one CMS `SignedData`. Default 64.
    pub max_certificates: usize,
    /// SignerInfos in one `SignedData` (a mail has one or two). Default 16.
    pub max_signers: usize,
    /// Public-key operations (signature verifications) one `SignedData`
    /// may cost, over all its SignerInfos and every certificate each one
    /// names: the certificate set is not signed, so each certificate
    /// claiming a signer's issuer and serial number (or key identifier) is
    /// tried, and 16 signers × 64 such certificates would be 1 024
    /// operations. Keys are bounded before any operation (RSA ≤ 16 384
    /// bits, public exponent ≤ 2³²+1, EC on a named curve). The
    /// signature checks of CRLs and OCSP responses on a path that reached
    /// a trust anchor count too (once per CRL and issuer, and per
    /// response). Default 64.
    pub max_signature_operations: usize,
    /// RecipientInfos in one envelope: decryption work is bounded by it.
    /// Default 256.
    pub max_recipients: usize,
    /// Private-key operations trial decryption may cost (identities tried
    /// × key-transport RecipientInfos), checked before the first; only
    /// with [`DecryptOptions::trial_decryption`](crate::DecryptOptions).
    /// Default 64: a full mailbox (30 keys) against a message with two
    /// key-transport recipients (the addressee and the sender's own copy,
    /// as [`encrypt`](crate::encrypt) writes it), 60 operations.
    pub max_trial_keys: usize,
    /// PBKDF2 / PKCS#12 KDF / MAC iterations a PKCS#12 bundle may ask for,
    /// checked before any derivation. Default 10 000 000 (seconds of CPU;
    /// real bundles use 2 048 to 600 000).
    pub max_pkcs12_iterations: u64,
    /// Parameters of one `Content-*` header field (`; name=value`, RFC
    /// 2045 §5.1; RFC 2231 continuations count one each), checked before
    /// they are parsed. Default 128 (mail uses fewer than ten; a long
    /// file name split by RFC 2231 a few dozen).
    pub max_header_params: usize,
    /// Bytes of header sections across all the nested parts of one
    /// message (each section is also at most 1 MiB), charged as a walk
    /// (verify, sign, encrypt) parses each part. Default 4 MiB.
    pub max_header_bytes: u64,
    /// Nesting of constructed BER encodings read from a stream. Default 32.
    pub max_ber_depth: usize,
    /// CRLs and OCSP responses one verification reads, from the caller
    /// ([`VerifyOptions`](crate::VerifyOptions)) and from the message
    /// (SignedData `crls`) together; more is refused. Default 64.
    pub max_revocation_items: usize,
    /// Bytes of one CRL (DER). Default 32 MiB (large CAs publish CRLs of
    /// several MiB).
    pub max_crl_size: usize,
    /// Bytes of one OCSP response (DER). Default 1 MiB.
    pub max_ocsp_response_size: usize,
    /// Bytes a `compressed-data` layer (RFC 3274) may inflate to: zlib
    /// expands up to 1032:1, so a 4 MiB message could otherwise become
    /// 4 GiB. Checked while inflating, never after. Default 256 MiB.
    pub max_decompressed: u64,
    /// Elements of any one ASN.1 `SET OF` in a structure decoded as DER
    /// (signed attributes, an RDN, SignerInfos...), counted before it is
    /// decoded: the `der` crate sorts a SET OF in time quadratic in its
    /// length. RecipientInfos may have up to `max_recipients` instead,
    /// when that is larger. Default 256.
    pub max_set_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_memory: 256 << 20,
            max_mime_depth: 32,
            max_parts: 10_000,
            max_certificates: 64,
            max_signers: 16,
            max_signature_operations: 64,
            max_recipients: 256,
            max_trial_keys: 64,
            max_pkcs12_iterations: 10_000_000,
            max_header_params: 128,
            max_header_bytes: 4 << 20,
            max_ber_depth: 32,
            max_revocation_items: 64,
            max_crl_size: 32 << 20,
            max_ocsp_response_size: 1 << 20,
            max_decompressed: 256 << 20,
            max_set_elements: 256,
        }
    }
}

/// `Err(LimitExceeded)` when `value` is over `max`.
pub(crate) fn check(limit: &'static str, value: u64, max: u64) -> Result<()> {
    if value > max {
        return Err(Error::LimitExceeded { limit, max });
    }
    Ok(())
}
