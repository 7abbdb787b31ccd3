//! Finding the signature in a message (RFC 8551 §3.5): `multipart/signed`
//! or `application/(x-)pkcs7-mime` signed-data, at the root or nested in
//! `multipart/*` (then the [`Coverage`](super::Coverage) is a part).
#![forbid(unsafe_code)]

use const_oid::ObjectIdentifier as Oid;

use crate::cms;
use crate::error::{CmsError, Error, MimeError, Result};
use crate::limits::Limits;
use crate::mime::{self, Entity};
use crate::oid::{self, ObjectId};

pub(super) enum Found<'a> {
    Detached {
        content: &'a [u8],
        signature: Vec<u8>,
        /// The `micalg` parameter of the `multipart/signed`.
        micalg: Option<String>,
    },
    Opaque {
        body: OpaqueBody<'a>,
    },
}

/// The body of an `application/pkcs7-mime` entity, read as
/// [`verify_stream`](super::verify_stream) reads it: base64 decoded lazily
/// by the streaming decoder, so both entry points meet the same first
/// error.
pub(super) enum OpaqueBody<'a> {
    Base64(&'a [u8]),
    Raw(std::borrow::Cow<'a, [u8]>),
}

impl OpaqueBody<'_> {
    pub(super) fn reader(&self) -> Box<dyn std::io::Read + '_> {
        match self {
            OpaqueBody::Base64(body) => Box::new(mime::Base64Reader::new(*body)),
            OpaqueBody::Raw(body) => Box::new(body.as_ref()),
        }
    }
}

/// The CMS content type at the start of an `application/pkcs7-mime`
/// body (`body` may be only its first bytes), read as the streaming
/// walker reads it; `None` when it cannot be read from these bytes.
pub(super) fn opaque_content_type(entity: &Entity<'_>, body: &[u8]) -> Option<Oid> {
    let body = match entity.transfer_encoding().as_str() {
        "base64" => OpaqueBody::Base64(body),
        "7bit" | "8bit" | "binary" => OpaqueBody::Raw(body.into()),
        _ => return None,
    };
    let mut ber = cms::ber::BerReader::new(body.reader(), 4);
    cms::read_content_type(&mut ber).ok().map(|(oid, _)| oid)
}

/// Depth-first search for the first signed structure; `path` collects the
/// part indexes leading to it, `headers` is charged for each part parsed
/// (the caller charged `entity`).
pub(super) fn find_signed<'a>(
    entity: &Entity<'a>,
    depth: usize,
    path: &mut Vec<usize>,
    limits: &Limits,
    headers: &mut mime::HeaderBudget,
) -> Result<Option<(Found<'a>, Vec<usize>)>> {
    crate::limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
    let content_types = entity
        .fields()
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("Content-Type"))
        .count();
    if content_types > 1 {
        // Clients disagree on which one wins; so could what is shown and
        // what is verified.
        return Err(Error::InvalidMessage(MimeError::SeveralContentTypes));
    }
    let ct = entity.content_type();
    let boundary = || ct.boundary();
    if ct.is("multipart/signed") {
        let parts = mime::split_multipart(entity.body(), boundary()?, limits)?;
        // RFC 1847 §2.1: exactly two parts. A third one would be shown by
        // some clients and covered by nothing.
        let [content, signature] = parts.as_slice() else {
            return Err(Error::InvalidMessage(MimeError::SignedPartCount));
        };
        // The bound the streaming path reads a signature part within.
        if signature.len() > mime::MAX_SIGNATURE_PART {
            return Err(Error::InvalidMessage(MimeError::SignaturePartTooLarge));
        }
        let signature = signature_der(signature)?;
        let micalg = ct.param("micalg").map(str::to_owned);
        return Ok(Some((
            Found::Detached {
                content,
                signature,
                micalg,
            },
            path.clone(),
        )));
    }
    if entity.is_pkcs7_mime() {
        let body = match entity.transfer_encoding().as_str() {
            "base64" => OpaqueBody::Base64(entity.body()),
            "7bit" | "8bit" | "binary" => OpaqueBody::Raw(entity.body().into()),
            _ => OpaqueBody::Raw(entity.decoded_body()?.into()),
        };
        // Read as the streaming walker reads it: the ContentInfo's
        // SEQUENCE and contentType, the rest by the walker itself.
        let content_type = {
            let mut ber = cms::ber::BerReader::new(body.reader(), limits.max_ber_depth);
            cms::read_content_type(&mut ber)?.0
        };
        return match content_type {
            oid::SIGNED_DATA => Ok(Some((Found::Opaque { body }, path.clone()))),
            oid::ENVELOPED_DATA | oid::AUTH_ENVELOPED_DATA => Err(Error::Encrypted),
            other => Err(Error::InvalidCms(CmsError::UnexpectedContentType {
                expected: "SignedData",
                found: ObjectId(other),
            })),
        };
    }
    if ct.is_multipart() {
        for (i, part) in mime::split_multipart(entity.body(), boundary()?, limits)?
            .iter()
            .enumerate()
        {
            path.push(i);
            let part = Entity::parse_within(part, headers)?;
            if let Some(found) = find_signed(&part, depth + 1, path, limits, headers)? {
                return Ok(Some(found));
            }
            path.pop();
        }
    }
    Ok(None)
}

/// The CMS of a `multipart/signed` signature part (RFC 8551 §3.5.3), which
/// must say it is one.
pub(super) fn signature_der(part: &[u8]) -> Result<Vec<u8>> {
    let signature = Entity::parse(part)?;
    let sig_type = signature.content_type();
    if !(sig_type.is("application/pkcs7-signature") || sig_type.is("application/x-pkcs7-signature"))
    {
        return Err(Error::InvalidMessage(MimeError::SignaturePartType {
            media_type: sig_type.mime_type,
        }));
    }
    signature.decoded_body()
}
