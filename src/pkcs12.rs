//! PKCS#12 (RFC 7292) import: a `.p12`/`.pfx` bundle and its password to an
//! [`Identity`].
//!
//! OpenSSL's `PKCS12_parse` reads every bundle OpenSSL 3 writes by default
//! (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC) as well as 3DES bundles
//! (Windows/macOS exports). Bundles whose certificates are encrypted with
//! `pbeWithSHAAnd40BitRC2-CBC` — `openssl pkcs12 -legacy`, MimeKit, older
//! Windows — need OpenSSL's *legacy provider*, which many systems lack. For
//! those we fall back to the `p12` crate, which implements the two legacy
//! PKCS#12 PBE ciphers; we do not load the legacy provider, because that
//! would switch obsolete ciphers on for the whole process.
//!
//! The password is checked first, through the bundle's MAC (RFC 7292 §5),
//! so a wrong password is [`Error::WrongPassword`] and never confused with
//! a damaged bundle ([`Error::CorruptBundle`]).
//!
//! Choosing the identity inside the bundle is deliberate: exactly one
//! private key is accepted; the end-entity certificate is the one carrying
//! that key's public half (localKeyId breaks a tie between several); other
//! end-entity certificates are ignored; CA certificates form the chain.
#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::error::{BundleError, Error, Result};
use crate::ffi;
use crate::fingerprint::Fingerprint;
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::secret::Password;

/// `ERR_LIB_PKCS12` and `PKCS12_R_MAC_VERIFY_FAILURE` from `<openssl/pkcs12err.h>`.
const ERR_LIB_PKCS12: i32 = 35;
const PKCS12_R_MAC_GENERATION_ERROR: i32 = 109;
const PKCS12_R_MAC_VERIFY_FAILURE: i32 = 113;

/// Imports a PKCS#12 bundle (DER, as in a `.p12` or `.pfx` file).
///
/// ```
/// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice-legacy.p12"))?;
/// let id = smime::pkcs12::import(&p12, &smime::Password::new("test-password"), &smime::Limits::default())?;
/// assert_eq!(id.certificate().email_addresses(), ["alice@example.org"]);
/// assert_eq!(id.chain().len(), 2);
///
/// let wrong = smime::pkcs12::import(&p12, &smime::Password::new("nope"), &smime::Limits::default());
/// assert!(matches!(wrong, Err(smime::Error::WrongPassword)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
/// The key-derivation iterations a
/// bundle may ask for, for its MAC or any of its encryptions
/// ([`Limits::max_pkcs12_iterations`]), are checked before the password is
/// tried. Real exporters use 1 024 to 600 000; a hostile bundle asking for
/// 10⁹ would otherwise keep a mail client busy for minutes.
pub fn import(bundle: &[u8], password: &Password, limits: &Limits) -> Result<Identity> {
    // C strings end at NUL: such a password cannot be what any tool used.
    if password.expose().contains('\0') {
        return Err(Error::WrongPassword);
    }
    let p12 = Pkcs12::from_der(bundle).map_err(|_| Error::CorruptBundle(BundleError::NotPfx))?;
    preflight::check(&p12, limits.max_pkcs12_iterations)?;
    match ffi::pkcs12_parse(&p12, password.expose()) {
        Ok(found) => {
            let hint = found
                .cert
                .as_ref()
                .and_then(|c| c.to_der().ok())
                .map(|d| Fingerprint::of(&d));
            let certs = found
                .cert
                .iter()
                .chain(found.others.iter())
                .map(|x| x.to_der())
                .collect::<Result<_, _>>()?;
            let keys = found.key.into_iter().collect();
            select(keys, certs, hint)
        }
        Err(stack) if is_mac_failure(&stack) => Err(Error::WrongPassword),
        Err(stack) => match legacy::contents(&p12, password)? {
            Some(found) => select(found.keys, found.certs, found.hint),
            None => Err(classify(&stack)),
        },
    }
}

/// A MAC that was computed and did not match means a wrong password; a MAC
/// that could not even be computed (the authenticated content does not
/// decode) means a damaged bundle.
fn is_mac_failure(stack: &openssl::error::ErrorStack) -> bool {
    let has = |reason| {
        stack
            .errors()
            .iter()
            .any(|e| e.library_code() == ERR_LIB_PKCS12 && e.reason_code() == reason)
    };
    has(PKCS12_R_MAC_VERIFY_FAILURE) && !has(PKCS12_R_MAC_GENERATION_ERROR)
}

fn classify(stack: &openssl::error::ErrorStack) -> Error {
    let reasons: Vec<&str> = stack.errors().iter().filter_map(|e| e.reason()).collect();
    let text = if reasons.is_empty() {
        "unreadable".to_owned()
    } else {
        reasons.join("; ")
    };
    let reason = BundleError::Rejected { reason: text };
    if reasons.iter().any(|r| r.contains("unsupported")) {
        Error::UnsupportedBundle(reason)
    } else {
        Error::CorruptBundle(reason)
    }
}

/// Picks the identity out of what a bundle held (see the module docs).
/// Certificates are parsed only once a key is known to be there, so a
/// certificate-only bundle is [`Error::NoPrivateKey`] whatever its
/// certificates look like.
fn select(
    keys: Vec<PKey<Private>>,
    certs: Vec<Vec<u8>>,
    hint: Option<Fingerprint>,
) -> Result<Identity> {
    let mut keys = keys.into_iter();
    let key = match (keys.next(), keys.next()) {
        (Some(key), None) => PrivateKey::from_openssl(key)?,
        (None, _) if certs.is_empty() => {
            return Err(Error::CorruptBundle(BundleError::Empty));
        }
        (None, _) => return Err(Error::NoPrivateKey),
        (Some(_), Some(_)) => {
            return Err(Error::UnsupportedBundle(BundleError::SeveralKeys(
                2 + keys.count(),
            )));
        }
    };
    let mut seen = Vec::new();
    let (mut leaves, mut cas) = (Vec::new(), Vec::new());
    for der in certs {
        let fingerprint = Fingerprint::of(&der);
        if seen.contains(&fingerprint) {
            continue;
        }
        seen.push(fingerprint);
        if carries_key(&der, &key) {
            // The identity's own certificate must be readable.
            leaves.push(Certificate::from_der(&der)?);
        } else if let Ok(cert) = Certificate::from_der(&der) {
            // A chain certificate x509-cert cannot read (old, non-conformant
            // CAs exist) is left out rather than failing the import.
            cas.extend(cert.is_ca().then_some(cert));
        }
    }
    let leaf = match leaves.len() {
        0 => return Err(Error::KeyCertificateMismatch),
        1 => leaves.into_iter().next(),
        _ => leaves.into_iter().find(|c| Some(c.fingerprint()) == hint),
    }
    .ok_or(Error::UnsupportedBundle(BundleError::AmbiguousCertificate))?;
    let chain = order_chain(&leaf, cas);
    Identity::new(leaf, key, chain)
}

/// True when the certificate `der` carries `key`'s public half (decided by
/// OpenSSL, so even a certificate x509-cert rejects can be recognised).
fn carries_key(der: &[u8], key: &PrivateKey) -> bool {
    openssl::x509::X509::from_der(der)
        .and_then(|x| x.public_key())
        .is_ok_and(|public| public.public_eq(key.openssl()))
}

/// Orders CA certificates issuer by issuer from `leaf` upwards; whatever
/// does not fit the path keeps its bundle order at the end.
fn order_chain(leaf: &Certificate, mut cas: Vec<Certificate>) -> Vec<Certificate> {
    let mut chain = Vec::with_capacity(cas.len());
    let mut issuer = leaf.issuer().to_owned();
    while let Some(pos) = cas.iter().position(|c| c.subject() == issuer) {
        let next = cas.remove(pos);
        let self_signed = next.subject() == next.issuer();
        issuer = next.issuer().to_owned();
        chain.push(next);
        if self_signed {
            break;
        }
    }
    chain.extend(cas);
    chain
}

/// What can be checked before the password is tried: the iteration counts
/// (bounded by [`Limits::max_pkcs12_iterations`]), the presence of a MAC, and the number
/// of private keys that are not inside an encrypted container.
mod preflight {
    use super::*;
    use p12::{AlgorithmIdentifier, ContentInfo, PFX, SafeBag, SafeBagKind};
    use yasna::models::ObjectIdentifier;

    const PBES2: &[u64] = &[1, 2, 840, 113_549, 1, 5, 13];
    const PBKDF2: &[u64] = &[1, 2, 840, 113_549, 1, 5, 12];
    const KEY_BAG: &[u64] = &[1, 2, 840, 113_549, 1, 12, 10, 1, 1];

    pub(super) fn check(p12: &Pkcs12, max: u64) -> Result<()> {
        // OpenSSL has decoded the bundle; its DER re-encoding is what `p12`
        // (DER only) can read. Its asserts are kept from unwinding into us.
        let Ok(der) = p12.to_der() else {
            return Ok(());
        };
        if !guard::within_p12_assumptions(&der) {
            return Err(Error::CorruptBundle(BundleError::BadEncryptedData));
        }
        let Ok(Ok(pfx)) = catch_unwind(|| PFX::parse(&der)) else {
            return Ok(()); // unusual structure: OpenSSL alone decides
        };
        let Some(mac) = &pfx.mac_data else {
            // OpenSSL 3.0 reports a missing MAC as a MAC failure, which we
            // would misreport as a wrong password.
            return Err(Error::UnsupportedBundle(BundleError::NoMac));
        };
        limit(u64::from(mac.iterations), max)?;
        let ContentInfo::Data(safe) = &pfx.auth_safe else {
            return Ok(());
        };
        let safe = Zeroizing::new(safe.clone());
        catch_unwind(AssertUnwindSafe(|| contents(&safe, max))).unwrap_or(Ok(()))
    }

    fn contents(safe: &[u8], max: u64) -> Result<()> {
        let Ok(list) = yasna::parse_ber(safe, |r| r.collect_sequence_of(ContentInfo::parse)) else {
            return Ok(());
        };
        let mut keys = 0;
        for content in &list {
            match content {
                ContentInfo::EncryptedData(e) => {
                    algorithm(&e.encrypted_content_info.content_encryption_algorithm, max)?
                }
                ContentInfo::Data(plain) => {
                    let Ok(bags) =
                        yasna::parse_ber(plain, |r| r.collect_sequence_of(SafeBag::parse))
                    else {
                        continue;
                    };
                    for bag in &bags {
                        match &bag.bag {
                            SafeBagKind::Pkcs8ShroudedKeyBag(epki) => {
                                keys += 1;
                                algorithm(&epki.encryption_algorithm, max)?;
                            }
                            SafeBagKind::OtherBagKind(o)
                                if o.bag_id == ObjectIdentifier::from_slice(KEY_BAG) =>
                            {
                                keys += 1
                            }
                            _ => {}
                        }
                    }
                }
                ContentInfo::OtherContext(_) => {}
            }
        }
        if keys > 1 {
            return Err(Error::UnsupportedBundle(BundleError::SeveralKeys(keys)));
        }
        Ok(())
    }

    fn algorithm(alg: &AlgorithmIdentifier, max: u64) -> Result<()> {
        match alg {
            AlgorithmIdentifier::PbewithSHAAnd40BitRC2CBC(p)
            | AlgorithmIdentifier::PbeWithSHAAnd3KeyTripleDESCBC(p) => limit(p.iterations, max),
            AlgorithmIdentifier::OtherAlg(o)
                if o.algorithm_type == ObjectIdentifier::from_slice(PBES2) =>
            {
                match o.params.as_deref().map(pbkdf2_iterations) {
                    Some(Ok(Some(n))) => limit(n, max),
                    Some(Err(_)) => Err(Error::CorruptBundle(BundleError::Unreadable(
                        "PBES2 parameters",
                    ))),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// RFC 8018 §A.4 PBES2-params → §A.2 PBKDF2-params.iterationCount.
    fn pbkdf2_iterations(params: &[u8]) -> Result<Option<u64>, yasna::ASN1Error> {
        yasna::parse_der(params, |r| {
            r.read_sequence(|r| {
                let n = r.next().read_sequence(|r| {
                    let kdf = r.next().read_oid()?;
                    if kdf != ObjectIdentifier::from_slice(PBKDF2) {
                        r.next().read_der()?;
                        return Ok(None);
                    }
                    r.next().read_sequence(|r| {
                        r.next().read_der()?; // salt
                        let n = r.next().read_u64()?;
                        r.read_optional(|r| r.read_u64())?; // keyLength
                        r.read_optional(|r| r.read_der())?; // prf
                        Ok(Some(n))
                    })
                })?;
                r.next().read_der()?; // encryptionScheme
                Ok(n)
            })
        })
    }

    fn limit(iterations: u64, max: u64) -> Result<()> {
        crate::limits::check("max_pkcs12_iterations", iterations, max)
    }
}

/// The `p12` crate `debug_assert!`s that every EncryptedData is version 0
/// and encrypts id-data; with debug assertions on (debug builds, fuzzing)
/// hostile input would panic inside it. This walks the same structure with
/// yasna, which never asserts, so `p12` only ever sees input it accepts.
mod guard {
    use yasna::models::ObjectIdentifier;
    use yasna::{BERReader, Tag};

    const DATA: &[u64] = &[1, 2, 840, 113_549, 1, 7, 1];
    const ENCRYPTED_DATA: &[u64] = &[1, 2, 840, 113_549, 1, 7, 6];

    /// PFX ::= SEQUENCE { version, authSafe ContentInfo, macData OPTIONAL }.
    pub(super) fn within_p12_assumptions(pfx: &[u8]) -> bool {
        let inner = yasna::parse_der(pfx, |r| {
            r.read_sequence(|r| {
                r.next().read_der()?; // version
                let inner = content_info(r.next())?;
                r.read_optional(|r| r.read_der())?; // macData
                Ok(inner)
            })
        });
        match inner {
            Ok(Some(safe)) => yasna::parse_ber(&safe, |r| {
                r.collect_sequence_of(|r| content_info(r).map(|_| ()))
            })
            .is_ok(),
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Checks one ContentInfo; returns the octets of a `data` content.
    fn content_info(r: BERReader<'_, '_>) -> yasna::ASN1Result<Option<Vec<u8>>> {
        r.read_sequence(|r| {
            let oid = r.next().read_oid()?;
            if oid == ObjectIdentifier::from_slice(DATA) {
                return r
                    .next()
                    .read_tagged(Tag::context(0), |r| r.read_bytes())
                    .map(Some);
            }
            if oid == ObjectIdentifier::from_slice(ENCRYPTED_DATA) {
                r.next().read_tagged(Tag::context(0), |r| {
                    r.read_sequence(|r| {
                        if r.next().read_u8()? != 0 {
                            return Err(yasna::ASN1Error::new(yasna::ASN1ErrorKind::Invalid));
                        }
                        r.next().read_sequence(|r| {
                            if r.next().read_oid()? != ObjectIdentifier::from_slice(DATA) {
                                return Err(yasna::ASN1Error::new(yasna::ASN1ErrorKind::Invalid));
                            }
                            r.next().read_der()?; // contentEncryptionAlgorithm
                            r.read_optional(|r| r.read_der())?; // [0] encryptedContent
                            Ok(())
                        })
                    })
                })?;
                return Ok(None);
            }
            r.next().read_der()?;
            Ok(None)
        })
    }
}

/// Legacy PKCS#12 PBE (RC2-40, 3DES with SHA-1 MAC) through the `p12` crate.
mod legacy {
    use super::*;
    use p12::{AlgorithmIdentifier, CertBag, ContentInfo, PFX, SafeBag, SafeBagKind};

    pub(super) struct Found {
        pub(super) keys: Vec<PKey<Private>>,
        pub(super) certs: Vec<Vec<u8>>,
        pub(super) hint: Option<Fingerprint>,
    }

    /// `Ok(None)` when the bundle is not one this fallback can read, so the
    /// caller reports OpenSSL's own diagnosis instead.
    ///
    /// `p12` has `assert!`s reachable from input (its MAC check asserts
    /// SHA-1, which we check first); a panic inside it on hostile input is
    /// turned into "cannot read", never allowed to unwind into the caller.
    ///
    /// `p12` reads only DER, while BouncyCastle (MimeKit) and Java write
    /// PKCS#12 in BER with indefinite lengths; OpenSSL already decoded the
    /// bundle, so its re-encoding gives `p12` the same content in DER. The
    /// MAC covers the content octets, which re-encoding does not change.
    pub(super) fn contents(p12: &Pkcs12, password: &Password) -> Result<Option<Found>> {
        let Ok(der) = p12.to_der() else {
            return Ok(None);
        };
        let Ok(Ok(pfx)) = catch_unwind(|| PFX::parse(&der)) else {
            return Ok(None);
        };
        match pfx.mac_data.as_ref().map(|m| &m.mac.digest_algorithm) {
            Some(AlgorithmIdentifier::Sha1) => {}
            _ => return Ok(None),
        }
        catch_unwind(AssertUnwindSafe(|| read(&pfx, password))).unwrap_or_else(|_| {
            Err(Error::CorruptBundle(BundleError::Unreadable(
                "legacy bundle",
            )))
        })
    }

    fn read(pfx: &PFX, password: &Password) -> Result<Option<Found>> {
        let (bmp, safe) = verified_auth_safe(pfx, password)?;
        let Ok(contents) = yasna::parse_ber(&safe, |r| r.collect_sequence_of(ContentInfo::parse))
        else {
            return Err(Error::CorruptBundle(BundleError::Unreadable(
                "AuthenticatedSafe",
            )));
        };
        let mut key_bags = Vec::new();
        let mut cert_bags = Vec::new();
        for content in &contents {
            let Some(plain) = content.data(&bmp).map(Zeroizing::new) else {
                return Ok(None); // a cipher p12 does not know either
            };
            let bags = yasna::parse_ber(&plain, |r| r.collect_sequence_of(SafeBag::parse))
                .map_err(|_| Error::CorruptBundle(BundleError::Unreadable("SafeContents")))?;
            for bag in bags {
                match &bag.bag {
                    SafeBagKind::Pkcs8ShroudedKeyBag(epki) => {
                        let pkcs8 = epki
                            .decrypt(&bmp)
                            .map(Zeroizing::new)
                            .ok_or(Error::CorruptBundle(BundleError::Unreadable("key bag")))?;
                        key_bags.push((pkcs8, bag.local_key_id()));
                    }
                    SafeBagKind::CertBag(CertBag::X509(der)) => {
                        cert_bags.push((der.clone(), bag.local_key_id()))
                    }
                    _ => {}
                }
            }
        }
        let key_id = key_bags.first().and_then(|(_, id)| id.clone());
        let mut found = Found {
            keys: Vec::new(),
            certs: Vec::new(),
            hint: None,
        };
        for (pkcs8, _) in &key_bags {
            let key = PKey::private_key_from_pkcs8(pkcs8)
                .map_err(|_| Error::CorruptBundle(BundleError::Unreadable("private key")))?;
            found.keys.push(key);
        }
        for (der, id) in cert_bags {
            if key_id.is_some() && id == key_id {
                found.hint = Some(Fingerprint::of(&der));
            }
            found.certs.push(der);
        }
        Ok(Some(found))
    }

    /// Checks the HMAC-SHA1 MAC and returns the password in the form that
    /// verified it with the authenticated content. RFC 7292 Appendix B.1:
    /// the password is a NUL-terminated BMPString; an empty password has
    /// been written both as `00 00` and as zero octets (OpenSSL tries both).
    fn verified_auth_safe(pfx: &PFX, password: &Password) -> Result<(Secret, Secret)> {
        let Some(mac) = &pfx.mac_data else {
            return Err(Error::CorruptBundle(BundleError::NoMac));
        };
        let mut candidates = vec![bmp_string(password.expose())];
        if password.is_empty() {
            candidates.push(Zeroizing::new(Vec::new()));
        }
        for bmp in candidates {
            let bmp: Zeroizing<Vec<u8>> = bmp;
            let Some(safe) = pfx.auth_safe.data(&bmp).map(Zeroizing::new) else {
                return Err(Error::CorruptBundle(BundleError::Unreadable(
                    "AuthenticatedSafe (not id-data)",
                )));
            };
            if mac.verify_mac(&safe, &bmp) {
                return Ok((bmp, safe));
            }
        }
        Err(Error::WrongPassword)
    }

    /// Password-derived or decrypted bytes.
    type Secret = Zeroizing<Vec<u8>>;

    fn bmp_string(s: &str) -> Secret {
        let mut out = Zeroizing::new(Vec::with_capacity(s.len() * 2 + 2));
        for unit in s.encode_utf16() {
            out.extend_from_slice(&unit.to_be_bytes());
        }
        out.extend_from_slice(&[0, 0]);
        out
    }
}
