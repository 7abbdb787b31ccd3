//! `SignedData` (RFC 5652 §5) built and read: in memory, and as one
//! streaming walker over opaque signed-data whose content is too large to
//! hold.
#![forbid(unsafe_code)]

use std::io::Read;
use std::time::SystemTime;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Reader, SliceReader};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::ber::{BerReader, Header, tag};
use super::signer::{sign_bytes, signed_attributes};
use super::width::Implicit;
use super::{
    alg, definite_header, definite_len, invalid, malformed, normalize, read_content_type, wrap,
};
use crate::algorithm::DigestAlgorithm;
use crate::cert::Certificate;
use crate::error::{CmsError, Error, Result};
use crate::identity::Identity;
use crate::limits::Limits;
use crate::oid::{self, ObjectId};

/// What to sign and how.
pub(crate) struct SignParams<'a> {
    pub(crate) identity: &'a Identity,
    pub(crate) digest: DigestAlgorithm,
    pub(crate) rsa_pss: bool,
    pub(crate) signing_time: SystemTime,
    /// Embed the content (opaque signing) or not (detached).
    pub(crate) embed: bool,
}

/// Builds a DER `ContentInfo` holding a `SignedData` over `content`, with
/// the signed attributes RFC 8551 §2.5 asks for and the signer's chain.
pub(crate) fn build_signed_data(content: &[u8], p: &SignParams<'_>) -> Result<Vec<u8>> {
    let digest = openssl::hash::hash(p.digest.md(), content)?;
    signed_data(&digest, p.embed.then_some(content), p)
}

/// A detached `SignedData` for content already hashed with `p.digest`:
/// what streaming signers build once the content has gone by.
pub(crate) fn build_detached_signed_data(digest: &[u8], p: &SignParams<'_>) -> Result<Vec<u8>> {
    signed_data(digest, None, p)
}

fn signed_data(digest: &[u8], content: Option<&[u8]>, p: &SignParams<'_>) -> Result<Vec<u8>> {
    let set = |what| malformed(what);
    let cert = p.identity.certificate();
    let signed_attrs = signed_attributes(digest, p.identity, p.signing_time)?;
    let to_sign = signed_attrs.to_der().map_err(set("SignedAttributes"))?;
    let (signature, signature_algorithm) = sign_bytes(p.identity, p.digest, p.rsa_pss, &to_sign)?;
    let tbs = &cert.x509().tbs_certificate;
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        // RFC 5754 §2: parameters absent for SHA-2.
        digest_alg: alg(p.digest.oid(), None),
        signed_attrs: Some(signed_attrs),
        signature_algorithm,
        signature: OctetString::new(signature).map_err(set("signature"))?,
        unsigned_attrs: None,
    };
    let mut certificates = vec![cms::cert::CertificateChoices::Certificate(
        cert.x509().clone(),
    )];
    certificates.extend(
        p.identity
            .chain()
            .iter()
            .map(|c| cms::cert::CertificateChoices::Certificate(c.x509().clone())),
    );
    let econtent = match content {
        Some(content) => Some(
            OctetString::new(content)
                .and_then(|o| Any::encode_from(&o))
                .map_err(set("eContent"))?,
        ),
        None => None,
    };
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(p.digest.oid(), None)])
            .map_err(set("digestAlgorithms"))?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent,
        },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(certificates).map_err(set("CertificateSet"))?,
        )),
        crls: None,
        signer_infos: SignerInfos(
            SetOfVec::try_from(vec![signer_info]).map_err(set("SignerInfos"))?,
        ),
    };
    Any::encode_from(&signed_data)
        .and_then(|content| {
            ContentInfo {
                content_type: oid::SIGNED_DATA,
                content,
            }
            .to_der()
        })
        .map_err(set("SignedData"))
}

fn der<T: Encode>(value: &T) -> Result<Vec<u8>> {
    value.to_der().map_err(malformed("SignedData"))
}

/// Opaque signing in DER from a stream (RFC 5652 §5.2, X.690 §10): the
/// content's length and the signer fields' (certificates and SignerInfos,
/// from [`signer_fields`]) are known before the first byte, so every
/// length is definite. Everything before the eContent octets:
///
/// ```text
/// ContentInfo ::= SEQUENCE {
///   contentType id-signedData,
///   content [0] EXPLICIT SignedData ::= SEQUENCE {
///     version CMSVersion (1: id-data, certificates only, RFC 5652 §5.1),
///     digestAlgorithms SET OF DigestAlgorithmIdentifier,
///     encapContentInfo SEQUENCE {
///       eContentType id-data,
///       eContent [0] EXPLICIT OCTET STRING },   -- primitive, DER
///     certificates [0] IMPLICIT CertificateSet,  -- | signer_fields
///     signerInfos SET OF SignerInfo } }          -- |
/// ```
///
/// The `content_len` content octets follow, then the signer fields.
pub(crate) fn opaque_prefix(
    digest: DigestAlgorithm,
    content_len: u64,
    signer_fields_len: u64,
) -> Result<Vec<u8>> {
    let digest_algorithms =
        SetOfVec::try_from(vec![alg(digest.oid(), None)]).map_err(malformed("digestAlgorithms"))?;
    let version = der(&CmsVersion::V1)?;
    let digest_algorithms = der(&digest_algorithms)?;
    let content_type = der(&oid::DATA)?;
    let explicit_len = definite_len(content_len);
    let encap_len = content_type.len() as u64 + definite_len(explicit_len);
    let signed_len = (version.len() + digest_algorithms.len()) as u64
        + definite_len(encap_len)
        + signer_fields_len;
    let outer_type = der(&oid::SIGNED_DATA)?;
    let info_len = outer_type.len() as u64 + definite_len(definite_len(signed_len));
    let mut out = definite_header(tag::SEQUENCE, info_len);
    out.extend(outer_type);
    out.extend(definite_header(tag::CONTEXT_0, definite_len(signed_len)));
    out.extend(definite_header(tag::SEQUENCE, signed_len));
    out.extend(version);
    out.extend(digest_algorithms);
    out.extend(definite_header(tag::SEQUENCE, encap_len));
    out.extend(content_type);
    out.extend(definite_header(tag::CONTEXT_0, explicit_len));
    out.extend(definite_header(tag::OCTET_STRING, content_len));
    Ok(out)
}

/// The certificates and SignerInfos of `detached` (a DER `ContentInfo`
/// from [`build_detached_signed_data`] over the content's digest), as
/// encoded: what follows the eContent of [`opaque_prefix`].
pub(crate) fn signer_fields(detached: &[u8]) -> Result<Vec<u8>> {
    let bad = malformed("SignedData");
    let ci = ContentInfo::from_der(detached).map_err(&bad)?;
    let mut reader = SliceReader::new(ci.content.value()).map_err(&bad)?;
    // version, digestAlgorithms and encapContentInfo are in the prefix;
    // certificates and SignerInfos follow as encoded.
    for _ in 0..3 {
        Any::decode(&mut reader).map_err(&bad)?;
    }
    Ok(reader
        .read_slice(reader.remaining_len())
        .map_err(&bad)?
        .to_vec())
}

/// A decoded `SignedData` and what it carries.
pub(crate) struct Parsed {
    pub(crate) signed_data: SignedData,
    /// The certificates of the message that could be read.
    pub(crate) certificates: Vec<Certificate>,
    /// The encapsulated content, when present (opaque signing).
    pub(crate) econtent: Option<Vec<u8>>,
    /// SignedData `crls`: each RevocationInfoChoice as encoded.
    pub(crate) revocation_info: Vec<Vec<u8>>,
}

/// Decodes a `ContentInfo` that must hold a `SignedData`.
pub(crate) fn parse_signed_data(ber: &[u8], limits: &Limits) -> Result<Parsed> {
    parse_signed_data_with(ber, limits, &|der| Certificate::from_der(der).ok())
}

/// Turns a certificate's DER into a [`Certificate`] (`None`: unreadable,
/// skipped): [`Certificate::from_der`], or a verifier's cache of it.
pub(crate) type CertificateParser<'a> = &'a (dyn Fn(&[u8]) -> Option<Certificate> + 'a);

/// [`parse_signed_data`] with the message's certificates read by `parse`.
pub(crate) fn parse_signed_data_with(
    ber: &[u8],
    limits: &Limits,
    parse: CertificateParser<'_>,
) -> Result<Parsed> {
    // DER already (what we, OpenSSL without -stream and most clients
    // write) is read as it is; BER is re-encoded by OpenSSL first, which
    // costs decoding every certificate in it once more.
    let (sets, signed_data) = match split_signed_data(ber, limits) {
        Err(Error::LimitExceeded { limit, max }) => {
            return Err(Error::LimitExceeded { limit, max });
        }
        Err(_) => split_signed_data(&normalize(ber)?, limits)?,
        Ok(split) => split,
    };
    let certificates = certificates(&sets.certificates, parse, limits)?;
    let econtent = signed_data.encap_content_info.econtent.as_ref().map(|any| {
        match any.decode_as::<OctetString>() {
            Ok(octets) => octets.into_bytes(),
            // PKCS#7 v1.5 allowed any type here; hash its contents octets.
            Err(_) => any.value().to_vec(),
        }
    });
    Ok(Parsed {
        signed_data,
        certificates,
        econtent,
        revocation_info: sets.revocation_info,
    })
}

/// A DER `ContentInfo` holding a `SignedData`: its unsigned sets, and the
/// rest decoded (without them: `certificates` and `crls` are `None`). The
/// sets' lengths are checked before anything is decoded: the `der` crate
/// sorts a SET OF by insertion as it decodes it. `digestAlgorithms`
/// counts against `max_signers` too: each signer names one.
fn split_signed_data(der: &[u8], limits: &Limits) -> Result<(super::UnsignedSets, SignedData)> {
    let sets = super::take_unsigned_sets(der)?;
    super::check_set_widths(&sets.rest, limits.max_set_elements, Implicit::Sets)?;
    let max_signers = limits.max_signers as u64;
    crate::limits::check("max_signers", sets.signer_infos as u64, max_signers)?;
    crate::limits::check("max_signers", sets.digest_algorithms as u64, max_signers)?;
    crate::limits::check(
        "max_certificates",
        sets.certificates.len() as u64,
        limits.max_certificates as u64,
    )?;
    let ci = ContentInfo::from_der(&sets.rest).map_err(malformed("ContentInfo"))?;
    if ci.content_type != oid::SIGNED_DATA {
        return Err(invalid(CmsError::UnexpectedContentType {
            expected: "SignedData",
            found: ObjectId(ci.content_type),
        }));
    }
    let signed_data: SignedData = ci.content.decode_as().map_err(malformed("SignedData"))?;
    Ok((sets, signed_data))
}

/// The `certificate` choices of a `CertificateSet`, read by `parse`, in
/// DER's SET OF order. What decoding the set as a whole refuses is
/// malformed, as before the set was split off: a choice that is neither
/// an X.509 certificate nor another format, or one given twice; a
/// certificate that X.509 decodes and [`Certificate`] does not (an
/// unsupported key, say) is skipped.
fn certificates(
    choices: &[Any],
    parse: CertificateParser<'_>,
    limits: &Limits,
) -> Result<Vec<Certificate>> {
    use der::{Tag, Tagged};
    let bad = malformed("SignedData");
    let mut encoded = choices
        .iter()
        .map(|choice| Ok((choice.tag(), choice.to_der().map_err(&bad)?)))
        .collect::<Result<Vec<_>>>()?;
    encoded.sort_by(|a, b| a.1.cmp(&b.1));
    if encoded
        .windows(2)
        .any(|pair| matches!(pair, [a, b] if a.1 == b.1))
    {
        return Err(bad(der::Tag::Set.value_error()));
    }
    let mut certificates = Vec::new();
    for (tag, der) in &encoded {
        // The decoders below sort every SET OF they meet.
        super::check_set_widths(der, limits.max_set_elements, Implicit::No)?;
        if *tag != Tag::Sequence {
            cms::cert::CertificateChoices::from_der(der).map_err(&bad)?;
            continue;
        }
        match parse(der) {
            Some(certificate) => certificates.push(certificate),
            None => {
                x509_cert::Certificate::from_der(der).map_err(&bad)?;
            }
        }
    }
    Ok(certificates)
}
/// Certificates, CRLs and SignerInfos of a streamed SignedData larger than
/// this are refused.
const MAX_SIGNED_DATA_FIELD: usize = 4 << 20;

/// Opaque signed-data from a stream (RFC 5652 §5.1-5.2), the one walker
/// for SignedData: [`OpaqueSignedData::open`] reads up to the eContent,
/// [`OpaqueSignedData::content`] passes its octets to a sink,
/// [`OpaqueSignedData::finish`] reads the rest whole and decodes it
/// re-encoded without the content.
pub(crate) struct OpaqueSignedData<R: Read> {
    r: BerReader<R>,
    /// The digest algorithms the SignedData announces, those we know.
    pub(crate) digest_algorithms: Vec<DigestAlgorithm>,
    content_type: Vec<u8>,
    /// The fields read so far, re-encoded.
    body: Vec<u8>,
    encap: Header,
    /// The eContent's `[0]`; `None` without eContent (certs-only), when
    /// the encapContentInfo is already closed.
    explicit: Option<Header>,
}

impl<R: Read> OpaqueSignedData<R> {
    /// Reads up to the eContent octets. An envelope is
    /// [`Error::Encrypted`]; another content type is invalid.
    pub(crate) fn open(mut r: BerReader<R>) -> Result<Self> {
        let (content_type, encoded) = read_content_type(&mut r)?;
        match content_type {
            oid::SIGNED_DATA => {}
            oid::ENVELOPED_DATA | oid::AUTH_ENVELOPED_DATA => return Err(Error::Encrypted),
            other => {
                return Err(invalid(CmsError::UnexpectedContentType {
                    expected: "SignedData",
                    found: ObjectId(other),
                }));
            }
        }
        let mut body = super::read_content_start(&mut r, "SignedData")?;
        let h = r.expect(tag::SET, "digestAlgorithms")?;
        let digest_algorithms = r.element(h, 4096)?;
        let known = SetOfVec::<AlgorithmIdentifierOwned>::from_der(&digest_algorithms)
            .map_err(malformed("digestAlgorithms"))?
            .iter()
            .filter_map(|a| DigestAlgorithm::from_oid(&a.oid))
            .collect();
        body.extend(digest_algorithms);
        let encap = r.expect(tag::SEQUENCE, "EncapsulatedContentInfo")?;
        let h = r.expect(tag::OID, "eContentType")?;
        let content_type = r.element(h, 64)?;
        body.extend(wrap(der::Tag::Sequence, &content_type)?);
        // eContent is OPTIONAL: a certs-only message (RFC 8551 §3.6.2) has
        // none, which a definite encapContentInfo shows by its length and
        // an indefinite one by its end-of-contents octets.
        let explicit = if encap.len == Some(content_type.len() as u64) {
            None
        } else {
            let h = r.header()?;
            if h.tag == 0 && h.len == Some(0) && encap.len.is_none() {
                None
            } else if h.tag != tag::CONTEXT_0 {
                return Err(invalid(CmsError::MissingContent));
            } else {
                Some(h)
            }
        };
        Ok(OpaqueSignedData {
            r,
            digest_algorithms: known,
            content_type: encoded,
            body,
            encap,
            explicit,
        })
    }

    /// Passes the eContent octets to `sink`; a non-OCTET STRING eContent
    /// (PKCS#7 v1.5) is read whole, within `max_in_memory`, and its
    /// contents octets passed.
    pub(crate) fn content(
        &mut self,
        sink: &mut impl FnMut(&[u8]) -> Result<()>,
        limits: &Limits,
    ) -> Result<()> {
        let r = &mut self.r;
        let Some(explicit) = &self.explicit else {
            return Ok(());
        };
        let inner = r.header()?;
        if inner.tag & !tag::CONSTRUCTED == tag::OCTET_STRING {
            r.octets(&inner, sink)?;
        } else if inner.len.is_some() {
            let header_len = inner.raw.len();
            let max = usize::try_from(limits.max_in_memory).unwrap_or(usize::MAX);
            let element = r.element(inner, max)?;
            sink(element.get(header_len..).unwrap_or_default())?;
        } else {
            return Err(invalid(CmsError::IndefiniteEContent));
        }
        r.close(explicit)?;
        r.close(&self.encap)
    }

    /// Reads certificates, CRLs and SignerInfos and decodes the SignedData
    /// without its content, its certificates read by `parse`.
    pub(crate) fn finish(
        mut self,
        limits: &Limits,
        parse: CertificateParser<'_>,
    ) -> Result<Parsed> {
        loop {
            let h = self.r.header()?;
            let field = h.tag;
            self.body.extend(self.r.element(h, MAX_SIGNED_DATA_FIELD)?);
            if field == tag::SET {
                break;
            }
            if field != tag::CONTEXT_0 && field != tag::CONTEXT_1 {
                return Err(invalid(CmsError::UnexpectedTag {
                    expected: "SignerInfos",
                    found: field,
                }));
            }
        }
        parse_signed_data_with(
            &super::content_info(&self.content_type, &self.body)?,
            limits,
            parse,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_invalid_cms() {
        for bytes in [&b""[..], b"garbage", &[0x30, 0x80, 0x00][..]] {
            assert!(matches!(
                parse_signed_data(bytes, &Limits::default()),
                Err(Error::InvalidCms(_))
            ));
        }
    }

    fn certificate(name: &str) -> Vec<u8> {
        let pem = std::fs::read(format!(
            "{}/fixtures/certs/{name}.pem",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        Certificate::from_pem(&pem).unwrap().to_der().to_vec()
    }

    fn tagged(tag: der::Tag, value: Vec<u8>) -> Vec<u8> {
        Any::new(tag, value).unwrap().to_der().unwrap()
    }

    fn context(number: der::TagNumber, value: Vec<u8>) -> Vec<u8> {
        let tag = der::Tag::ContextSpecific {
            constructed: true,
            number,
        };
        tagged(tag, value)
    }

    /// version, digestAlgorithms (empty), encapContentInfo (id-data, no
    /// content): the fields before the unsigned sets.
    fn head() -> Vec<Vec<u8>> {
        let encap = EncapsulatedContentInfo {
            econtent_type: oid::DATA,
            econtent: None,
        };
        vec![
            CmsVersion::V1.to_der().unwrap(),
            SetOfVec::<AlgorithmIdentifierOwned>::new()
                .to_der()
                .unwrap(),
            encap.to_der().unwrap(),
        ]
    }

    /// An empty `signerInfos`.
    fn no_signers() -> Vec<u8> {
        SignerInfos(SetOfVec::new()).to_der().unwrap()
    }

    /// A `ContentInfo` holding a SignedData of these fields.
    fn signed_data_of(fields: Vec<Vec<u8>>) -> Vec<u8> {
        ContentInfo {
            content_type: oid::SIGNED_DATA,
            content: Any::new(der::Tag::Sequence, fields.concat()).unwrap(),
        }
        .to_der()
        .unwrap()
    }

    /// A `ContentInfo` holding a SignedData without signers whose
    /// `certificates [0]` holds `choices`, encoded as given.
    fn with_certificate_set(choices: &[Vec<u8>]) -> Vec<u8> {
        let mut fields = head();
        fields.push(context(der::TagNumber::N0, choices.concat()));
        fields.push(no_signers());
        signed_data_of(fields)
    }

    /// A certificate or CRL set anywhere but right after
    /// `encapContentInfo`, or twice, is malformed; in place, both parse.
    #[test]
    fn an_unsigned_set_out_of_place_or_twice_is_malformed() {
        let certs = || context(der::TagNumber::N0, certificate("alice"));
        let crls = || context(der::TagNumber::N1, Vec::new());
        let [version, algorithms, encap] = <[Vec<u8>; 3]>::try_from(head()).unwrap();
        let good = signed_data_of(vec![
            version.clone(),
            algorithms.clone(),
            encap.clone(),
            certs(),
            crls(),
            no_signers(),
        ]);
        let parsed = parse_signed_data(&good, &Limits::default()).unwrap();
        assert_eq!(parsed.certificates.len(), 1);
        for fields in [
            vec![
                version.clone(),
                algorithms.clone(),
                encap.clone(),
                no_signers(),
                certs(),
            ],
            vec![
                certs(),
                version.clone(),
                algorithms.clone(),
                encap.clone(),
                no_signers(),
            ],
            vec![
                version.clone(),
                algorithms.clone(),
                encap.clone(),
                context(der::TagNumber::N0, Vec::new()),
                certs(),
                no_signers(),
            ],
            vec![
                version.clone(),
                algorithms.clone(),
                encap.clone(),
                crls(),
                certs(),
                no_signers(),
            ],
            vec![
                version.clone(),
                algorithms.clone(),
                encap.clone(),
                certs(),
                crls(),
                crls(),
                no_signers(),
            ],
        ] {
            assert!(
                matches!(
                    parse_signed_data(&signed_data_of(fields), &Limits::default()),
                    Err(Error::InvalidCms(_))
                ),
                "a set out of place or twice was read"
            );
        }
    }

    /// `signerInfos` and `digestAlgorithms` are counted before they are
    /// decoded (and sorted): too many elements are over the limit even
    /// when none of them would decode.
    #[test]
    fn signers_and_digest_algorithms_are_counted_before_decoding() {
        let limits = Limits::default();
        let garbage = |n: usize| tagged(der::Tag::Set, [0x05u8, 0x00].repeat(n));
        let too_many = limits.max_signers + 1;
        let [version, algorithms, encap] = <[Vec<u8>; 3]>::try_from(head()).unwrap();
        let signers = signed_data_of(vec![
            version.clone(),
            algorithms,
            encap.clone(),
            garbage(too_many),
        ]);
        let digests = signed_data_of(vec![
            version.clone(),
            garbage(too_many),
            encap.clone(),
            no_signers(),
        ]);
        for message in [signers, digests] {
            let Err(err) = parse_signed_data(&message, &limits) else {
                panic!("over the limit and read");
            };
            assert!(
                matches!(
                    err,
                    Error::LimitExceeded {
                        limit: "max_signers",
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        // Within the limit the same garbage is malformed, not a limit.
        let few = signed_data_of(vec![version, head().swap_remove(1), encap, garbage(2)]);
        assert!(matches!(
            parse_signed_data(&few, &limits),
            Err(Error::InvalidCms(_))
        ));
    }

    /// The set split off reads as the `cms` crate's decoding of the whole
    /// SignedData read it: the same certificates, in DER's SET OF order,
    /// whatever order the message gives.
    #[test]
    fn the_certificate_set_reads_as_the_whole_decoding_did() {
        let (alice, bob) = (certificate("alice"), certificate("bob"));
        let message = with_certificate_set(&[bob.clone(), alice.clone()]);
        let whole: SignedData = ContentInfo::from_der(&message)
            .unwrap()
            .content
            .decode_as()
            .unwrap();
        let expected: Vec<Vec<u8>> = whole
            .certificates
            .unwrap()
            .0
            .iter()
            .map(|choice| choice.to_der().unwrap())
            .collect();
        let parsed = parse_signed_data(&message, &Limits::default()).unwrap();
        let read: Vec<Vec<u8>> = parsed
            .certificates
            .iter()
            .map(|c| c.to_der().to_vec())
            .collect();
        assert_eq!(read, expected);
        let mut sorted = vec![alice, bob];
        sorted.sort();
        assert_eq!(read, sorted);
        assert!(parsed.signed_data.certificates.is_none());
    }

    /// What the whole decoding refused stays malformed: a certificate
    /// twice, a choice of no known format, a SEQUENCE that is no
    /// certificate.
    #[test]
    fn a_certificate_set_the_whole_decoding_refused_is_malformed() {
        let alice = certificate("alice");
        for choices in [
            vec![alice.clone(), alice.clone()],
            vec![alice.clone(), vec![0xa1, 0x00]],
            vec![vec![0x30, 0x03, 0x02, 0x01, 0x00]],
        ] {
            let message = with_certificate_set(&choices);
            assert!(
                ContentInfo::from_der(&message)
                    .unwrap()
                    .content
                    .decode_as::<SignedData>()
                    .is_err()
            );
            assert!(matches!(
                parse_signed_data(&message, &Limits::default()),
                Err(Error::InvalidCms(CmsError::Malformed(_)))
            ));
        }
        let one = with_certificate_set(&[alice]);
        assert_eq!(
            parse_signed_data(&one, &Limits::default())
                .unwrap()
                .certificates
                .len(),
            1
        );
    }
}
