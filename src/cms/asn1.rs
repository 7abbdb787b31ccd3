//! The ASN.1 types of S/MIME and its algorithms that the `cms` and
//! `x509-cert` crates do not define, as typed `der` structures, each with
//! the definition it mirrors.
#![forbid(unsafe_code)]

use cms::cert::IssuerAndSerialNumber;
use const_oid::ObjectIdentifier as Oid;
use der::asn1::OctetString;
use der::{Any, Choice, Sequence};
use x509_cert::spki::AlgorithmIdentifierOwned;

/// RFC 8551 §2.5.2:
///
/// ```text
/// SMIMECapability ::= SEQUENCE {
///    capabilityID OBJECT IDENTIFIER,
///    parameters ANY DEFINED BY capabilityID OPTIONAL }
///
/// SMIMECapabilities ::= SEQUENCE OF SMIMECapability
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SmimeCapability {
    pub(crate) capability_id: Oid,
    pub(crate) parameters: Option<Any>,
}

/// `SMIMECapabilities ::= SEQUENCE OF SMIMECapability`.
pub(crate) type SmimeCapabilities = Vec<SmimeCapability>;

/// RFC 8551 §2.5.3 (the module is IMPLICIT TAGS):
///
/// ```text
/// SMIMEEncryptionKeyPreference ::= CHOICE {
///    issuerAndSerialNumber   [0] IssuerAndSerialNumber,
///    receipentKeyId          [1] RecipientKeyIdentifier,
///    subjectAltKeyIdentifier [2] SubjectKeyIdentifier
/// }
/// ```
///
/// We write only the first alternative: it names our own certificate.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub(crate) enum EncryptionKeyPreference {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", constructed = "true")]
    IssuerAndSerialNumber(IssuerAndSerialNumber),
}

/// RFC 4055 §3.1 (the module is EXPLICIT TAGS):
///
/// ```text
/// RSASSA-PSS-params  ::=  SEQUENCE  {
///    hashAlgorithm      [0] HashAlgorithm DEFAULT sha1Identifier,
///    maskGenAlgorithm   [1] MaskGenAlgorithm DEFAULT mgf1SHA1Identifier,
///    saltLength         [2] INTEGER DEFAULT 20,
///    trailerField       [3] INTEGER DEFAULT 1  }
/// ```
///
/// A field at its DEFAULT is absent (`None`), as DER requires.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct RsassaPssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) hash_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) mask_gen_algorithm: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    pub(crate) trailer_field: Option<u32>,
}

/// RFC 5084 §3.2:
///
/// ```text
/// GCMParameters ::= SEQUENCE {
///   aes-nonce        OCTET STRING, -- recommended size is 12 octets
///   aes-ICVlen       AES-GCM-ICVlen DEFAULT 12 }
///
/// AES-GCM-ICVlen ::= INTEGER (12 | 13 | 14 | 15 | 16)
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct GcmParameters {
    pub(crate) nonce: OctetString,
    pub(crate) icv_len: Option<u8>,
}

/// RFC 5084 §3.1:
///
/// ```text
/// CCMParameters ::= SEQUENCE {
///   aes-nonce         OCTET STRING (SIZE(7..13)),
///   aes-ICVlen        AES-CCM-ICVlen DEFAULT 12 }
///
/// AES-CCM-ICVlen ::= INTEGER (4 | 6 | 8 | 10 | 12 | 14 | 16)
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct CcmParameters {
    pub(crate) nonce: OctetString,
    pub(crate) icv_len: Option<u8>,
}

/// RFC 8103 §4 (the parameters of id-alg-AEADChaCha20Poly1305):
///
/// ```text
/// AEADChaCha20Poly1305Nonce ::= OCTET STRING (SIZE(12))
/// ```
pub(crate) type ChaCha20Poly1305Nonce = OctetString;

/// RFC 3370 §5.2 (RC2 content encryption, named in errors only):
///
/// ```text
/// RC2CBCParameter ::= SEQUENCE {
///   rc2ParameterVersion INTEGER,
///   iv OCTET STRING  }  -- exactly 8 octets
/// ```
///
/// `rc2ParameterVersion` 160, 120 and 58 stand for 40-, 64- and 128-bit
/// effective keys (RFC 2268 §6).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Rc2CbcParameter {
    pub(crate) version: Option<u32>,
    pub(crate) iv: OctetString,
}

/// RFC 3274 §2 (the module is IMPLICIT TAGS); zlib's AlgorithmIdentifier
/// has absent parameters:
///
/// ```text
/// CompressionAlgorithmIdentifier ::= AlgorithmIdentifier
/// id-alg-zlibCompress OBJECT IDENTIFIER ::= { iso(1) member-body(2)
///     us(840) rsadsi(113549) pkcs(1) pkcs-9(9) smime(16) alg(3) 8 }
/// ```
///
/// (The structure itself is `cms::compressed_data::CompressedData`.)
pub(crate) type CompressionAlgorithmIdentifier = AlgorithmIdentifierOwned;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn capabilities_encode_as_the_rfc_example_shape() {
        let caps: SmimeCapabilities = vec![SmimeCapability {
            capability_id: crate::oid::AES256_CBC,
            parameters: None,
        }];
        // SEQUENCE { SEQUENCE { OID 2.16.840.1.101.3.4.1.42 } }
        assert_eq!(
            caps.to_der().unwrap(),
            [
                0x30, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01,
                0x2a
            ]
        );
    }

    #[test]
    fn gcm_parameters_default_icv_is_absent() {
        // SEQUENCE { OCTET STRING (12 bytes) }: aes-ICVlen at its DEFAULT.
        let mut der = vec![0x30, 0x0e, 0x04, 0x0c];
        der.extend([7u8; 12]);
        let params = GcmParameters::from_der(&der).unwrap();
        assert_eq!(params.icv_len, None);
        assert_eq!(params.nonce.as_bytes(), [7u8; 12]);
        der[1] = 0x11;
        der.extend([0x02, 0x01, 0x10]);
        assert_eq!(GcmParameters::from_der(&der).unwrap().icv_len, Some(16));
    }

    #[test]
    fn ccm_and_rc2_parameters_decode() {
        // SEQUENCE { OCTET STRING (7 bytes), INTEGER 16 }
        let mut der = vec![0x30, 0x0c, 0x04, 0x07];
        der.extend([1u8; 7]);
        der.extend([0x02, 0x01, 0x10]);
        let ccm = CcmParameters::from_der(&der).unwrap();
        assert_eq!((ccm.nonce.as_bytes().len(), ccm.icv_len), (7, Some(16)));
        // SEQUENCE { INTEGER 160, OCTET STRING (8 bytes) }: RC2-40.
        let mut der = vec![0x30, 0x0e, 0x02, 0x02, 0x00, 0xa0, 0x04, 0x08];
        der.extend([0u8; 8]);
        assert_eq!(Rc2CbcParameter::from_der(&der).unwrap().version, Some(160));
    }
}
