//! PKCS#12 export (RFC 7292): an [`Identity`] with its chain to a bundle
//! another client imports — a new phone, a laptop, MimeKit, Thunderbird,
//! Outlook, gpgsm.
//!
//! Two protections:
//!
//! * [`Protection::Modern`] (the default): key and certificates encrypted
//!   with PBES2 (RFC 8018) — PBKDF2-HMAC-SHA256, AES-256-CBC — and an
//!   HMAC-SHA-256 MAC, 600 000 iterations each (OWASP's 2023 figure for
//!   PBKDF2-HMAC-SHA256, about a second on a laptop: paid once per
//!   export and import, and the bundle may travel by mail or cloud).
//!   OpenSSL 3, pyca/cryptography, Windows 10 1709+, macOS 13+, MimeKit
//!   and gpgsm 2.4 read it.
//! * [`Protection::Legacy`]: PBE-SHA1-3DES (RFC 7292 App. C) for key and
//!   certificates and an HMAC-SHA-1 MAC, 2 048 iterations (OpenSSL's
//!   `PKCS12_DEFAULT_ITER`): for importers that know nothing newer, gpgsm
//!   2.2 (Debian 12) and old Windows/macOS. Weak against offline guessing:
//!   use a long password and delete the file after the import.
//!
//! Both carry `localKeyId` on the key and its certificate (the
//! certificate's SHA-1, as OpenSSL, NSS and Windows write it) and, when
//! given, a `friendlyName`. The password is a [`Password`] and reaches
//! OpenSSL from a buffer that is cleared afterwards; the key never leaves
//! OpenSSL unencrypted.
#![forbid(unsafe_code)]

use openssl::hash::MessageDigest;

use crate::error::{BundleError, Error, Result};
use crate::ffi::{self, Pkcs12Profile};
use crate::identity::Identity;
use crate::secret::Password;

/// How an exported bundle is protected (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC, SHA-256 MAC, 600 000
    /// iterations.
    #[default]
    Modern,
    /// PBE-SHA1-3DES, SHA-1 MAC, 2 048 iterations: gpgsm 2.2, old Windows.
    Legacy,
}

/// Iterations of [`Protection::Modern`].
pub const MODERN_ITERATIONS: u32 = 600_000;
/// Iterations of [`Protection::Legacy`].
pub const LEGACY_ITERATIONS: u32 = 2_048;

/// How to export.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ExportOptions {
    /// The protection; [`Protection::Modern`] by default.
    pub protection: Protection,
    /// The `friendlyName` importers show (e.g. "Alice (work)"); none by
    /// default.
    pub friendly_name: Option<String>,
}

impl ExportOptions {
    /// [`Protection::Legacy`].
    pub fn legacy(mut self) -> Self {
        self.protection = Protection::Legacy;
        self
    }

    /// A `friendlyName`.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }
}

/// Exports `identity` — key, certificate and chain — as a PKCS#12 bundle
/// (DER) protected by `password`.
///
/// Passwords and names containing NUL are refused
/// ([`BundleError::NulInPassword`]): C importers would cut them short.
///
/// ```
/// # use smime::{Password, pkcs12::{self, ExportOptions}};
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let alice = pkcs12::import(&std::fs::read(format!("{dir}p12/alice.p12"))?, &Password::new("test-password"), &smime::Limits::default())?;
/// let password = Password::new("correct horse battery staple");
/// let p12 = pkcs12::export(&alice, &password, &ExportOptions::default().legacy())?;
/// let again = pkcs12::import(&p12, &password, &smime::Limits::default())?;
/// assert_eq!(again.certificate(), alice.certificate());
/// assert_eq!(again.chain().len(), alice.chain().len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export(
    identity: &Identity,
    password: &Password,
    options: &ExportOptions,
) -> Result<Vec<u8>> {
    if password.expose().contains('\0')
        || options
            .friendly_name
            .as_deref()
            .is_some_and(|n| n.contains('\0'))
    {
        return Err(Error::UnsupportedBundle(BundleError::NulInPassword));
    }
    let profile = match options.protection {
        Protection::Modern => Pkcs12Profile {
            nid: openssl_sys::NID_aes_256_cbc,
            iterations: MODERN_ITERATIONS as i32,
            mac: MessageDigest::sha256(),
            mac_iterations: MODERN_ITERATIONS as i32,
        },
        Protection::Legacy => Pkcs12Profile {
            nid: openssl_sys::NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
            iterations: LEGACY_ITERATIONS as i32,
            mac: MessageDigest::sha1(),
            mac_iterations: LEGACY_ITERATIONS as i32,
        },
    };
    let chain: Vec<_> = identity
        .chain()
        .iter()
        .map(|c| c.openssl().clone())
        .collect();
    Ok(ffi::pkcs12_create(
        password.expose(),
        options.friendly_name.as_deref(),
        identity.private_key().openssl(),
        identity.certificate().openssl(),
        &chain,
        &profile,
    )?)
}
