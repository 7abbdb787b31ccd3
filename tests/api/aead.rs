//! AuthEnvelopedData others write and OpenSSL's CMS engine cannot read:
//! ChaCha20-Poly1305 (RFC 8103, Stalwart), AES-CCM (RFC 5084 §3.1), AES-GCM
//! with a 16-byte nonce or 12-byte tag — built here at test time with
//! OpenSSL EVP and a hand-assembled CMS structure (KeyTransRecipientInfo
//! to a fixture identity), and every way they can be wrong: flipped tag,
//! flipped ciphertext, wrong nonce or tag lengths, any `smime-type` label,
//! a recipient that is not ours. Also the legacy ciphers: 3DES decrypts
//! and is reported as a weakness, RC2 is a typed error naming RC2.

use crate::common::{cert, identity};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::enveloped_data::{
    EncryptedContentInfo, EnvelopedData, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo,
    RecipientInfos,
};
use const_oid::ObjectIdentifier as Oid;
use der::asn1::{Null, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use openssl::rsa::Padding;
use openssl::symm::Cipher;
use smime::{
    CmsError, ContentEncryption, DecryptOptions, DecryptionWeakness, Error, Limits, Unsupported,
    decrypt, decrypt_stream,
};
use x509_cert::spki::AlgorithmIdentifierOwned;

const ENTITY: &[u8] = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nFrom a mail server that encrypts at rest.\r\n";

const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const ENVELOPED: Oid = Oid::new_unwrap("1.2.840.113549.1.7.3");
const AUTH_ENVELOPED: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.23");
const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const CHACHA: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.3.18");
const AES128_CCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.7");
const AES256_CCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.47");
const AES128_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.6");
const AES256_GCM: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.1.46");
const RC2_CBC: Oid = Oid::new_unwrap("1.2.840.113549.3.2");

/// RFC 5083 §2.1, without the OPTIONAL fields we never write here.
#[derive(Sequence)]
struct AuthEnvelopedData {
    version: CmsVersion,
    recipient_infos: RecipientInfos,
    auth_encrypted_content_info: EncryptedContentInfo,
    mac: OctetString,
}

/// GCMParameters / CCMParameters (RFC 5084 §3): the same shape.
#[derive(Sequence)]
struct NonceAndIcv {
    nonce: OctetString,
    icv_len: Option<u8>,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    ChaCha,
    Ccm128,
    Ccm256,
    Gcm128,
    Gcm256,
}

impl Kind {
    fn cipher(self) -> Cipher {
        match self {
            Kind::ChaCha => Cipher::chacha20_poly1305(),
            Kind::Ccm128 => Cipher::aes_128_ccm(),
            Kind::Ccm256 => Cipher::aes_256_ccm(),
            Kind::Gcm128 => Cipher::aes_128_gcm(),
            Kind::Gcm256 => Cipher::aes_256_gcm(),
        }
    }
    fn oid(self) -> Oid {
        match self {
            Kind::ChaCha => CHACHA,
            Kind::Ccm128 => AES128_CCM,
            Kind::Ccm256 => AES256_CCM,
            Kind::Gcm128 => AES128_GCM,
            Kind::Gcm256 => AES256_GCM,
        }
    }
    fn ours(self) -> ContentEncryption {
        match self {
            Kind::ChaCha => ContentEncryption::ChaCha20Poly1305,
            Kind::Ccm128 => ContentEncryption::Aes128Ccm,
            Kind::Ccm256 => ContentEncryption::Aes256Ccm,
            Kind::Gcm128 => ContentEncryption::Aes128Gcm,
            Kind::Gcm256 => ContentEncryption::Aes256Gcm,
        }
    }
}

/// What to build; `Spec::new` gives the conventional parameters.
#[derive(Clone, Debug)]
struct Spec {
    kind: Kind,
    nonce_len: usize,
    /// The tag length written into the parameters (None: omitted, the
    /// DEFAULT 12 for GCM/CCM).
    icv_param: Option<u8>,
    /// The tag length actually produced and written as `mac`.
    tag_len: usize,
    /// The RSA-encrypted key is garbage (a failed key transport).
    bad_key_transport: bool,
}

impl Spec {
    fn new(kind: Kind) -> Spec {
        let (nonce_len, icv_param, tag_len) = match kind {
            Kind::ChaCha => (12, None, 16),
            Kind::Ccm128 | Kind::Ccm256 => (12, Some(16), 16),
            Kind::Gcm128 | Kind::Gcm256 => (12, Some(16), 16),
        };
        Spec {
            kind,
            nonce_len,
            icv_param,
            tag_len,
            bad_key_transport: false,
        }
    }
    fn nonce(mut self, n: usize) -> Spec {
        self.nonce_len = n;
        self
    }
    fn icv(mut self, param: Option<u8>, tag_len: usize) -> Spec {
        self.icv_param = param;
        self.tag_len = tag_len;
        self
    }
}

fn ktri(recipient: &str, cek: &[u8], garbage: bool) -> RecipientInfo {
    let x509 = openssl::x509::X509::from_der(cert(recipient).to_der()).unwrap();
    let parsed = x509_cert::Certificate::from_der(cert(recipient).to_der()).unwrap();
    let rsa = x509.public_key().unwrap().rsa().unwrap();
    let mut enc_key = vec![0u8; rsa.size() as usize];
    let n = rsa
        .public_encrypt(cek, &mut enc_key, Padding::PKCS1)
        .unwrap();
    enc_key.truncate(n);
    if garbage {
        enc_key.iter_mut().for_each(|b| *b ^= 0x5a);
    }
    RecipientInfo::Ktri(KeyTransRecipientInfo {
        version: CmsVersion::V0,
        rid: RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: parsed.tbs_certificate.issuer.clone(),
            serial_number: parsed.tbs_certificate.serial_number.clone(),
        }),
        key_enc_alg: AlgorithmIdentifierOwned {
            oid: RSA,
            parameters: Some(Any::encode_from(&Null).unwrap()),
        },
        enc_key: OctetString::new(enc_key).unwrap(),
    })
}

/// EVP encryption in the order CCM needs (nonce and tag lengths before
/// the key, the data length before the data).
fn seal(
    kind: Kind,
    key: &[u8],
    nonce: &[u8],
    plaintext: &[u8],
    tag_len: usize,
) -> (Vec<u8>, Vec<u8>) {
    use openssl::cipher::Cipher as Evp;
    let evp = match kind {
        Kind::ChaCha => Evp::chacha20_poly1305(),
        Kind::Ccm128 => Evp::aes_128_ccm(),
        Kind::Ccm256 => Evp::aes_256_ccm(),
        Kind::Gcm128 => Evp::aes_128_gcm(),
        Kind::Gcm256 => Evp::aes_256_gcm(),
    };
    let ccm = matches!(kind, Kind::Ccm128 | Kind::Ccm256);
    let mut ctx = openssl::cipher_ctx::CipherCtx::new().unwrap();
    ctx.encrypt_init(Some(evp), None, None).unwrap();
    ctx.set_iv_length(nonce.len()).unwrap();
    if ccm {
        ctx.set_tag_length(tag_len).unwrap();
    }
    ctx.encrypt_init(None, Some(key), Some(nonce)).unwrap();
    if ccm {
        ctx.set_data_len(plaintext.len()).unwrap();
    }
    let mut out = vec![0u8; plaintext.len() + 32];
    let n = ctx.cipher_update(plaintext, Some(&mut out)).unwrap();
    let m = ctx.cipher_final(&mut out[n..]).unwrap();
    out.truncate(n + m);
    let mut tag = vec![0u8; tag_len];
    ctx.tag(&mut tag).unwrap();
    (out, tag)
}

/// An AuthEnvelopedData (DER) of `plaintext` to the fixture `recipient`.
fn build(spec: &Spec, recipient: &str, plaintext: &[u8]) -> Vec<u8> {
    let cipher = spec.kind.cipher();
    let mut cek = vec![0u8; cipher.key_len()];
    openssl::rand::rand_bytes(&mut cek).unwrap();
    let mut nonce = vec![0u8; spec.nonce_len];
    openssl::rand::rand_bytes(&mut nonce).unwrap();
    let (ciphertext, tag) = seal(spec.kind, &cek, &nonce, plaintext, spec.tag_len);
    let parameters = match spec.kind {
        Kind::ChaCha => Any::encode_from(&OctetString::new(nonce).unwrap()).unwrap(),
        _ => Any::encode_from(&NonceAndIcv {
            nonce: OctetString::new(nonce).unwrap(),
            icv_len: spec.icv_param,
        })
        .unwrap(),
    };
    let aed = AuthEnvelopedData {
        version: CmsVersion::V0,
        recipient_infos: RecipientInfos(
            SetOfVec::try_from(vec![ktri(recipient, &cek, spec.bad_key_transport)]).unwrap(),
        ),
        auth_encrypted_content_info: EncryptedContentInfo {
            content_type: DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: spec.kind.oid(),
                parameters: Some(parameters),
            },
            encrypted_content: Some(OctetString::new(ciphertext).unwrap()),
        },
        mac: OctetString::new(tag).unwrap(),
    };
    ContentInfo {
        content_type: AUTH_ENVELOPED,
        content: Any::encode_from(&aed).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// `der` as an `application/pkcs7-mime` entity with `smime_type`.
fn mime(der: &[u8], smime_type: Option<&str>) -> Vec<u8> {
    let label = smime_type.map_or(String::new(), |t| format!("; smime-type={t}"));
    let mut out = format!(
        "Content-Type: application/pkcs7-mime{label}; name=\"smime.p7m\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n"
    )
    .into_bytes();
    for line in STANDARD.encode(der).as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn open(message: &[u8]) -> smime::Result<smime::Decrypted> {
    decrypt(message, &[identity("bob")], &DecryptOptions::default())
}

fn flip_last(der: &mut [u8], from_end: usize) {
    let n = der.len();
    der[n - from_end] ^= 0x01;
}

#[test]
fn chacha20_poly1305_ccm_and_gcm_variants_decrypt_authenticated() {
    let specs = [
        Spec::new(Kind::ChaCha),
        Spec::new(Kind::Ccm128),
        Spec::new(Kind::Ccm256),
        Spec::new(Kind::Ccm128).nonce(7),
        Spec::new(Kind::Ccm256).nonce(13).icv(None, 12),
        Spec::new(Kind::Ccm128).icv(Some(14), 14),
        Spec::new(Kind::Gcm128).nonce(16),
        Spec::new(Kind::Gcm256).nonce(16).icv(None, 12),
        Spec::new(Kind::Gcm256).icv(Some(12), 12),
        Spec::new(Kind::Gcm128).icv(Some(13), 13),
    ];
    for spec in specs {
        let message = mime(&build(&spec, "bob", ENTITY), Some("authEnveloped-data"));
        let opened = open(&message).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert_eq!(opened.content, ENTITY, "{spec:?}");
        assert!(opened.authenticated, "{spec:?}");
        assert_eq!(opened.content_encryption, spec.kind.ours(), "{spec:?}");
        assert!(opened.weaknesses.is_empty(), "{spec:?}");
        assert_eq!(opened.recipient, cert("bob").fingerprint(), "{spec:?}");
        // The streaming form writes the same content.
        let mut out = Vec::new();
        decrypt_stream(
            &message[..],
            &mut out,
            &[identity("bob")],
            &DecryptOptions::default(),
        )
        .unwrap();
        assert_eq!(out, ENTITY, "{spec:?} stream");
    }
}

#[test]
fn a_large_chacha20_poly1305_content_streams() {
    let big: Vec<u8> = ENTITY
        .iter()
        .copied()
        .chain((0..300_000u32).flat_map(|i| format!("line {i}\r\n").into_bytes()))
        .collect();
    for kind in [Kind::ChaCha, Kind::Ccm256, Kind::Gcm256] {
        let spec = Spec::new(kind).nonce(if matches!(kind, Kind::Gcm256) { 16 } else { 12 });
        let opened = open(&mime(&build(&spec, "bob", &big), None)).unwrap();
        assert!(opened.content == big, "{kind:?}");
    }
}

#[test]
fn any_label_or_none_is_read_by_the_cms_content_type() {
    let der = build(&Spec::new(Kind::ChaCha), "bob", ENTITY);
    for label in [
        Some("authenticated-enveloped-data"), // Stalwart
        Some("authEnveloped-data"),           // RFC 8551
        Some("enveloped-data"),               // wrong, but the OID decides
        Some("signed-data"),
        None,
    ] {
        let opened = open(&mime(&der, label)).unwrap_or_else(|e| panic!("{label:?}: {e}"));
        assert_eq!(opened.content, ENTITY, "{label:?}");
        assert!(opened.authenticated, "{label:?}");
    }
}

#[test]
fn a_flipped_tag_or_ciphertext_is_decryption_failed_and_releases_nothing() {
    for kind in [Kind::ChaCha, Kind::Ccm128, Kind::Ccm256, Kind::Gcm256] {
        let spec = Spec::new(kind).nonce(if matches!(kind, Kind::Gcm256) { 16 } else { 12 });
        let der = build(&spec, "bob", ENTITY);
        // The mac is the last element: its last byte, then a ciphertext
        // byte just before the mac's header.
        for from_end in [1, spec.tag_len + 3] {
            let mut bad = der.clone();
            flip_last(&mut bad, from_end);
            let message = mime(&bad, Some("authEnveloped-data"));
            assert!(
                matches!(open(&message), Err(Error::DecryptionFailed)),
                "{kind:?} flip at -{from_end}"
            );
            let mut out = Vec::new();
            let streamed = decrypt_stream(
                &message[..],
                &mut out,
                &[identity("bob")],
                &DecryptOptions::default(),
            );
            assert!(matches!(streamed, Err(Error::DecryptionFailed)), "{kind:?}");
            if matches!(kind, Kind::Ccm128 | Kind::Ccm256) {
                // CCM is decrypted only once the tag is known: nothing out.
                assert!(out.is_empty(), "{kind:?}: CCM released {} bytes", out.len());
            }
        }
    }
}

#[test]
fn a_failed_key_transport_is_the_same_uniform_error() {
    for kind in [Kind::ChaCha, Kind::Ccm128] {
        let mut spec = Spec::new(kind);
        spec.bad_key_transport = true;
        let message = mime(&build(&spec, "bob", ENTITY), None);
        assert!(
            matches!(open(&message), Err(Error::DecryptionFailed)),
            "{kind:?}"
        );
    }
}

#[test]
fn nonce_lengths_outside_the_rfcs_are_refused_by_name() {
    let cases = [
        (
            Spec::new(Kind::ChaCha).nonce(8),
            ContentEncryption::ChaCha20Poly1305,
            8,
        ),
        (
            Spec::new(Kind::ChaCha).nonce(16),
            ContentEncryption::ChaCha20Poly1305,
            16,
        ),
        (
            Spec::new(Kind::Ccm128).nonce(6),
            ContentEncryption::Aes128Ccm,
            6,
        ),
        (
            Spec::new(Kind::Gcm128).nonce(8),
            ContentEncryption::Aes128Gcm,
            8,
        ),
    ];
    for (spec, cipher, found) in cases {
        // OpenSSL refuses to build some of these itself; write them with a
        // valid nonce and patch the announced one in the DER instead.
        let der = build_with_announced_nonce(&spec, found);
        let err = open(&mime(&der, None)).unwrap_err();
        assert!(
            matches!(err, Error::InvalidCms(CmsError::AeadNonceLength { cipher: c, found: f }) if c == cipher && f == found),
            "{spec:?}: {err:?}"
        );
    }
}

/// Builds with the conventional nonce, then rewrites the parameters to
/// announce a nonce of `announced` bytes.
fn build_with_announced_nonce(spec: &Spec, announced: usize) -> Vec<u8> {
    let good = Spec {
        nonce_len: Spec::new(spec.kind).nonce_len,
        ..spec.clone()
    };
    let der = build(&good, "bob", ENTITY);
    let ci = ContentInfo::from_der(&der).unwrap();
    let mut aed: AuthEnvelopedData = ci.content.decode_as().unwrap();
    let alg = &mut aed.auth_encrypted_content_info.content_enc_alg;
    let nonce = OctetString::new(vec![1u8; announced]).unwrap();
    alg.parameters = Some(match spec.kind {
        Kind::ChaCha => Any::encode_from(&nonce).unwrap(),
        _ => Any::encode_from(&NonceAndIcv {
            nonce,
            icv_len: good.icv_param,
        })
        .unwrap(),
    });
    ContentInfo {
        content_type: AUTH_ENVELOPED,
        content: Any::encode_from(&aed).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn short_or_mismatched_tags_are_refused_before_any_key_is_used() {
    // CCM with an 8-byte tag: allowed by RFC 5084, too easy to forge.
    let err = open(&mime(
        &build(&Spec::new(Kind::Ccm128).icv(Some(8), 8), "bob", ENTITY),
        None,
    ))
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCms(CmsError::AeadTagLength {
                cipher: ContentEncryption::Aes128Ccm,
                found: 8
            })
        ),
        "{err:?}"
    );
    // ChaCha20-Poly1305 with a 12-byte mac.
    let spec = Spec::new(Kind::ChaCha).icv(None, 12);
    let err = open(&mime(&build(&spec, "bob", ENTITY), None)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCms(CmsError::AeadTagMismatch {
                cipher: ContentEncryption::ChaCha20Poly1305,
                found: 12,
                announced: 16
            })
        ),
        "{err:?}"
    );
}

#[test]
fn an_aead_envelope_for_someone_else_is_not_for_recipient() {
    let message = mime(&build(&Spec::new(Kind::ChaCha), "alice", ENTITY), None);
    assert!(matches!(open(&message), Err(Error::NotForRecipient)));
}

#[test]
fn ccm_held_in_memory_stops_at_max_in_memory() {
    let big = vec![b'a'; 200_000];
    let message = mime(&build(&Spec::new(Kind::Ccm128), "bob", &big), None);
    let mut limits = Limits::default();
    limits.max_in_memory = 100_000;
    let err = decrypt(
        &message,
        &[identity("bob")],
        &DecryptOptions::default().limits(limits),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_in_memory",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn triple_des_decrypts_and_is_reported_as_a_weakness() {
    let x509 = openssl::x509::X509::from_der(cert("bob").to_der()).unwrap();
    let mut certs = openssl::stack::Stack::new().unwrap();
    certs.push(x509).unwrap();
    let der = openssl::cms::CmsContentInfo::encrypt(
        &certs,
        ENTITY,
        Cipher::des_ede3_cbc(),
        openssl::cms::CMSOptions::BINARY,
    )
    .unwrap()
    .to_der()
    .unwrap();
    let opened = open(&mime(&der, Some("enveloped-data"))).unwrap();
    assert_eq!(opened.content, ENTITY);
    assert_eq!(opened.content_encryption, ContentEncryption::DesEde3Cbc);
    assert_eq!(opened.weaknesses, [DecryptionWeakness::TripleDes]);
    assert!(!opened.authenticated);
    assert_eq!(opened.weaknesses[0].to_string(), "3DES-CBC");
}

/// RFC 3370 §5.2 RC2CBCParameter.
#[derive(Sequence)]
struct Rc2Params {
    version: u32,
    iv: OctetString,
}

#[test]
fn rc2_is_an_unsupported_algorithm_that_names_rc2() {
    for (version, bits) in [(160u32, Some(40u16)), (58, Some(128))] {
        let mut cek = [0u8; 16];
        openssl::rand::rand_bytes(&mut cek).unwrap();
        let params = Rc2Params {
            version,
            iv: OctetString::new([0u8; 8]).unwrap(),
        };
        let env = EnvelopedData {
            version: CmsVersion::V0,
            originator_info: None,
            recip_infos: RecipientInfos(
                SetOfVec::try_from(vec![ktri("bob", &cek, false)]).unwrap(),
            ),
            encrypted_content: EncryptedContentInfo {
                content_type: DATA,
                content_enc_alg: AlgorithmIdentifierOwned {
                    oid: RC2_CBC,
                    parameters: Some(Any::encode_from(&params).unwrap()),
                },
                encrypted_content: Some(OctetString::new(vec![0u8; 32]).unwrap()),
            },
            unprotected_attrs: None,
        };
        let der = ContentInfo {
            content_type: ENVELOPED,
            content: Any::encode_from(&env).unwrap(),
        }
        .to_der()
        .unwrap();
        let err = open(&mime(&der, Some("enveloped-data"))).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedAlgorithm(Unsupported::Rc2Cbc { key_bits }) if key_bits == bits),
            "{err:?}"
        );
        assert!(err.to_string().contains("RC2"), "{err}");
    }
}

#[test]
fn an_envelope_whose_content_type_is_compressed_data_is_inflated() {
    // Bouncy Castle's CMSEnvelopedDataGenerator over CMSCompressedData:
    // EncryptedContentInfo.contentType id-ct-compressedData.
    let compressed = smime::compress(ENTITY, &Limits::default()).unwrap();
    let (_, inner) = crate::common::split_base64(&compressed);
    let mut cek = [0u8; 32];
    openssl::rand::rand_bytes(&mut cek).unwrap();
    let iv = [7u8; 16];
    let ciphertext =
        openssl::symm::encrypt(Cipher::aes_256_cbc(), &cek, Some(&iv), &inner).unwrap();
    let env = EnvelopedData {
        version: CmsVersion::V0,
        originator_info: None,
        recip_infos: RecipientInfos(SetOfVec::try_from(vec![ktri("bob", &cek, false)]).unwrap()),
        encrypted_content: EncryptedContentInfo {
            content_type: Oid::new_unwrap("1.2.840.113549.1.9.16.1.9"),
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: Oid::new_unwrap("2.16.840.1.101.3.4.1.42"),
                parameters: Some(Any::encode_from(&OctetString::new(iv).unwrap()).unwrap()),
            },
            encrypted_content: Some(OctetString::new(ciphertext).unwrap()),
        },
        unprotected_attrs: None,
    };
    let der = ContentInfo {
        content_type: ENVELOPED,
        content: Any::encode_from(&env).unwrap(),
    }
    .to_der()
    .unwrap();
    let message = mime(&der, Some("enveloped-data"));
    let opened = open(&message).unwrap();
    assert!(
        opened.content.ends_with(b"encrypts at rest.\r\n"),
        "{:?}",
        String::from_utf8_lossy(&opened.content)
    );
    // And bounded like any compressed layer.
    let mut limits = Limits::default();
    limits.max_decompressed = 10;
    assert!(matches!(
        decrypt(
            &message,
            &[identity("bob")],
            &DecryptOptions::default().limits(limits)
        ),
        Err(Error::LimitExceeded {
            limit: "max_decompressed",
            ..
        })
    ));
    // The compressed content is held first, within max_in_memory.
    let mut limits = Limits::default();
    limits.max_in_memory = 16;
    let err = decrypt_stream(
        &message[..],
        std::io::sink(),
        &[identity("bob")],
        &DecryptOptions::default().limits(limits),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_in_memory",
                max: 16
            }
        ),
        "{err:?}"
    );
}
