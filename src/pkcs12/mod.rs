//! PKCS#12 (RFC 7292): a `.p12`/`.pfx` bundle and its password to
//! [`Identity`]s ([`import`], [`import_all`]), and an identity back to a
//! bundle ([`export()`]).
//!
//! OpenSSL opens every bundle OpenSSL 3 writes by default (PBES2,
//! PBKDF2-HMAC-SHA256, AES-256-CBC) as well as 3DES bundles (Windows/macOS
//! exports): we walk the bags with its PKCS#12 functions (its
//! `PKCS12_parse` stops at the first private key) so that every key is
//! found. Bundles whose certificates are encrypted with
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
//! Choosing identities inside the bundle is deliberate: each private key
//! becomes one identity with the end-entity certificate carrying its
//! public half (localKeyId breaks a tie between several); CA certificates
//! form the chains, shared by all identities; other end-entity
//! certificates are ignored. A bundle with a signing and a separate
//! encryption identity (RFC 9216's samples, many enterprise exports)
//! gives two identities ([`import_all`]); [`import`] wants exactly one.
#![forbid(unsafe_code)]

mod export;

use std::panic::{AssertUnwindSafe, catch_unwind};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::error::{BundleError, Error, Result};
use crate::ffi::{self, Pkcs12Failure};
use crate::fingerprint::Fingerprint;
use crate::identity::{Identity, PrivateKey};
use crate::limits::Limits;
use crate::secret::Password;

pub use export::{ExportOptions, LEGACY_ITERATIONS, MODERN_ITERATIONS, Protection, export};

/// `ERR_LIB_PKCS12` and `PKCS12_R_MAC_GENERATION_ERROR` from `<openssl/pkcs12err.h>`.
const ERR_LIB_PKCS12: i32 = 35;
const PKCS12_R_MAC_GENERATION_ERROR: i32 = 109;

/// Every identity of a PKCS#12 bundle ([`import_all`]).
#[derive(Debug)]
#[non_exhaustive]
pub struct Bundle {
    /// One identity per private key, in bundle order; each with the CA
    /// certificates of the bundle that lead from it towards a root.
    pub identities: Vec<Identity>,
}

/// A private key or certificate as a bag held it, with its `localKeyId`.
type Bagged<T> = (T, Option<Vec<u8>>);

/// Every private key and certificate (DER) of a bundle.
type Contents = (Vec<Bagged<PKey<Private>>>, Vec<Bagged<Vec<u8>>>);

/// Imports a PKCS#12 bundle (DER, as in a `.p12` or `.pfx` file) that
/// holds exactly one private key; a bundle with several is
/// [`BundleError::SeveralKeys`] (use [`import_all`]).
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
    let (keys, certs) = contents(bundle, password, limits, KeyCap::One)?;
    if keys.len() > 1 {
        return Err(Error::UnsupportedBundle(BundleError::SeveralKeys(
            keys.len(),
        )));
    }
    let mut identities = select(keys, certs)?;
    identities.pop().ok_or(Error::NoPrivateKey)
}

/// Imports every identity of a PKCS#12 bundle: each private key with the
/// certificate that carries its public half (the bag's `localKeyId`
/// decides between several), the bundle's CA certificates as every
/// identity's chain. All or nothing: a key without its certificate fails
/// the whole import. At most [`Limits::max_certificates`] keys.
///
/// ```
/// # let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
/// let p12 = std::fs::read(format!("{dir}p12/alice.p12"))?;
/// let bundle = smime::pkcs12::import_all(&p12, &smime::Password::new("test-password"), &smime::Limits::default())?;
/// assert_eq!(bundle.identities.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn import_all(bundle: &[u8], password: &Password, limits: &Limits) -> Result<Bundle> {
    let (keys, certs) = contents(bundle, password, limits, KeyCap::Limit)?;
    crate::limits::check(
        "max_certificates",
        keys.len() as u64,
        limits.max_certificates as u64,
    )?;
    Ok(Bundle {
        identities: select(keys, certs)?,
    })
}

/// How many private keys a bundle may hold.
#[derive(Clone, Copy)]
enum KeyCap {
    /// [`import`]: one ([`BundleError::SeveralKeys`] otherwise).
    One,
    /// [`import_all`]: [`Limits::max_certificates`].
    Limit,
}

/// The keys and certificates (DER) of a bundle, the MAC verified.
fn contents(bundle: &[u8], password: &Password, limits: &Limits, cap: KeyCap) -> Result<Contents> {
    // C strings end at NUL: such a password cannot be what any tool used.
    if password.expose().contains('\0') {
        return Err(Error::WrongPassword);
    }
    let p12 = Pkcs12::from_der(bundle).map_err(|_| Error::CorruptBundle(BundleError::NotPfx))?;
    preflight::check(&p12, limits, cap)?;
    match ffi::pkcs12_bags(&p12, password.expose()) {
        Ok(found) => {
            let certs = found
                .certs
                .into_iter()
                .map(|(x, id)| Ok((x.to_der()?, id)))
                .collect::<Result<_>>()?;
            Ok((found.keys, certs))
        }
        // A MAC that was computed and did not match means a wrong
        // password; one that could not even be computed (the
        // authenticated content does not decode) a damaged bundle.
        Err(Pkcs12Failure::Mac(stack)) if !has_reason(&stack, PKCS12_R_MAC_GENERATION_ERROR) => {
            Err(Error::WrongPassword)
        }
        Err(Pkcs12Failure::Mac(stack)) => Err(classify(&stack)),
        Err(Pkcs12Failure::Contents(stack)) => match legacy::contents(&p12, password)? {
            Some(found) => Ok((found.keys, found.certs)),
            None => Err(classify(&stack)),
        },
    }
}

fn has_reason(stack: &openssl::error::ErrorStack, reason: i32) -> bool {
    stack
        .errors()
        .iter()
        .any(|e| e.library_code() == ERR_LIB_PKCS12 && e.reason_code() == reason)
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

/// Picks the identities out of what a bundle held (see the module docs).
/// Certificates are parsed only once a key is known to be there, so a
/// certificate-only bundle is [`Error::NoPrivateKey`] whatever its
/// certificates look like.
fn select(keys: Vec<Bagged<PKey<Private>>>, certs: Vec<Bagged<Vec<u8>>>) -> Result<Vec<Identity>> {
    if keys.is_empty() {
        return Err(if certs.is_empty() {
            Error::CorruptBundle(BundleError::Empty)
        } else {
            Error::NoPrivateKey
        });
    }
    let mut seen = Vec::new();
    let mut unique = Vec::new();
    for (der, id) in certs {
        let fingerprint = Fingerprint::of(&der);
        if !seen.contains(&fingerprint) {
            seen.push(fingerprint);
            unique.push((der, id));
        }
    }
    let cas: Vec<Certificate> = unique
        .iter()
        .filter_map(|(der, _)| Certificate::from_der(der).ok())
        .filter(|c| c.is_ca())
        .collect();
    let mut identities: Vec<Identity> = Vec::with_capacity(keys.len());
    for (key, key_id) in keys {
        let key = PrivateKey::from_openssl(key)?;
        let leaves: Vec<&Bagged<Vec<u8>>> = unique
            .iter()
            .filter(|(der, _)| carries_key(der, &key))
            .collect();
        let leaf = match leaves.as_slice() {
            [] => return Err(Error::KeyCertificateMismatch),
            [(der, _)] => der,
            several => {
                &several
                    .iter()
                    .find(|(_, id)| key_id.is_some() && *id == key_id)
                    .ok_or(Error::UnsupportedBundle(BundleError::AmbiguousCertificate))?
                    .0
            }
        };
        // The identity's own certificate must be readable.
        let leaf = Certificate::from_der(leaf)?;
        if identities.iter().any(|i| i.certificate() == &leaf) {
            continue; // the same key twice
        }
        // The chain is the bundle's CA certificates other than the leaf
        // itself (a CA's own bundle).
        let others = cas.iter().filter(|c| **c != leaf).cloned().collect();
        let chain = order_chain(&leaf, others);
        identities.push(Identity::new(leaf, key, chain)?);
    }
    Ok(identities)
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

    pub(super) fn check(p12: &Pkcs12, limits: &Limits, cap: KeyCap) -> Result<()> {
        let max = limits.max_pkcs12_iterations;
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
        catch_unwind(AssertUnwindSafe(|| contents(&safe, max, limits, cap))).unwrap_or(Ok(()))
    }

    fn contents(safe: &[u8], max: u64, limits: &Limits, cap: KeyCap) -> Result<()> {
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
        match cap {
            KeyCap::One if keys > 1 => {
                return Err(Error::UnsupportedBundle(BundleError::SeveralKeys(keys)));
            }
            KeyCap::Limit => crate::limits::check(
                "max_certificates",
                keys as u64,
                limits.max_certificates as u64,
            )?,
            KeyCap::One => {}
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
        pub(super) keys: Vec<Bagged<PKey<Private>>>,
        pub(super) certs: Vec<Bagged<Vec<u8>>>,
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
        let mut found = Found {
            keys: Vec::new(),
            certs: cert_bags,
        };
        for (pkcs8, id) in key_bags {
            let key = PKey::private_key_from_pkcs8(&pkcs8)
                .map_err(|_| Error::CorruptBundle(BundleError::Unreadable("private key")))?;
            found.keys.push((key, id));
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
