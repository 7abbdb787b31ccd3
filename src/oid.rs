//! Object identifiers used by the crate, named as in their RFCs, and
//! [`ObjectId`], the public form of an identifier a message carries.
#![forbid(unsafe_code)]

use std::fmt;

use const_oid::ObjectIdentifier as Oid;

/// An object identifier (X.660) as a message carries it — an algorithm or
/// a content type this crate does not know or does not accept. Displays
/// the algorithm's usual name where there is one (`MD5`, `MD5 with RSA`),
/// else the dotted form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectId(pub(crate) Oid);

impl ObjectId {
    /// The dotted decimal form, e.g. `1.2.840.113549.2.5`.
    pub fn dotted(&self) -> String {
        self.0.to_string()
    }

    /// The usual name of a signature or digest algorithm, if it has one.
    pub(crate) fn name(&self) -> Option<&'static str> {
        Some(match self.0 {
            MD5 => "MD5",
            SHA1 => "SHA-1",
            SHA224 => "SHA-224",
            SHA256 => "SHA-256",
            SHA384 => "SHA-384",
            SHA512 => "SHA-512",
            RSA_ENCRYPTION | SHA1_WITH_RSA | SHA224_WITH_RSA | SHA256_WITH_RSA
            | SHA384_WITH_RSA | SHA512_WITH_RSA => "RSA PKCS#1 v1.5",
            MD5_WITH_RSA => "MD5 with RSA",
            RSASSA_PSS => "RSASSA-PSS",
            EC_PUBLIC_KEY | ECDSA_WITH_SHA1 | ECDSA_WITH_SHA224 | ECDSA_WITH_SHA256
            | ECDSA_WITH_SHA384 | ECDSA_WITH_SHA512 => "ECDSA",
            _ => return None,
        })
    }
}

impl From<Oid> for ObjectId {
    fn from(oid: Oid) -> Self {
        ObjectId(oid)
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({})", self.0)
    }
}

/// RFC 5652 §4: id-data.
pub(crate) const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
/// RFC 5652 §5.1: id-signedData.
pub(crate) const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// RFC 5652 §6.1: id-envelopedData.
pub(crate) const ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
/// RFC 5083 §1: id-ct-authEnvelopedData.
pub(crate) const AUTH_ENVELOPED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.23");

/// RFC 5652 §11.1: id-contentType.
pub(crate) const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
/// RFC 5652 §11.2: id-messageDigest.
pub(crate) const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
/// RFC 5652 §11.3: id-signingTime.
pub(crate) const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
/// RFC 8551 §2.5.2: smimeCapabilities.
pub(crate) const SMIME_CAPABILITIES: Oid = Oid::new_unwrap("1.2.840.113549.1.9.15");
/// RFC 8551 §2.5.3: id-aa-encrypKeyPref.
pub(crate) const ENCRYPTION_KEY_PREFERENCE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.11");

/// RFC 3370 / RFC 5754 digests.
pub(crate) const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");
pub(crate) const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
pub(crate) const SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.4");
pub(crate) const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub(crate) const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub(crate) const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

/// RFC 8017 Appendix C.
pub(crate) const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
#[allow(dead_code)] // named for completeness; OpenSSL writes the OAEP parameters
pub(crate) const RSAES_OAEP: Oid = Oid::new_unwrap("1.2.840.113549.1.1.7");
pub(crate) const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
pub(crate) const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
pub(crate) const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
pub(crate) const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub(crate) const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub(crate) const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub(crate) const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub(crate) const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");

/// RFC 5480 / RFC 5758.
pub(crate) const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub(crate) const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub(crate) const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
pub(crate) const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub(crate) const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub(crate) const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");

/// RFC 3565 / RFC 5084 content encryption.
pub(crate) const AES128_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.2");
pub(crate) const AES256_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.42");
pub(crate) const AES128_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.6");
pub(crate) const AES256_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.46");
pub(crate) const AES192_CBC: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.22");
pub(crate) const AES192_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.26");
/// RFC 3370 §5.1: des-ede3-cbc (decryption of legacy mail only).
pub(crate) const DES_EDE3_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.7");
/// RC2-CBC (RFC 2268, RFC 3370 §5.2): read by nothing here, named in errors.
pub(crate) const RC2_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.2");
/// DES-CBC (56-bit keys): named in errors.
pub(crate) const DES_CBC: Oid = Oid::new_unwrap("1.3.14.3.2.7");
/// AES-CCM (RFC 5084 §3.1).
pub(crate) const AES128_CCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.7");
pub(crate) const AES192_CCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.27");
pub(crate) const AES256_CCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.47");
/// id-alg-AEADChaCha20Poly1305 (RFC 8103 §4).
pub(crate) const CHACHA20_POLY1305: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.3.18");
/// id-ct-compressedData (RFC 3274 §1.1).
pub(crate) const COMPRESSED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.9");
/// id-alg-zlibCompress (RFC 3274 §2).
pub(crate) const ZLIB_COMPRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.3.8");
