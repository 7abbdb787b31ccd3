//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`,
//! off by default, hidden from the docs, not a stable API).
//!
//! The MIME and CMS parsers are crate-private; these thin wrappers feed
//! hostile bytes straight to them, past the public functions' earlier
//! checks, and drop whatever they return. Each is a plain call into the
//! same code normal builds run: nothing here weakens a check.
#![forbid(unsafe_code)]

use crate::error::Result;
use crate::limits::Limits;
use crate::{cms, mime};

/// MIME parsing and splitting: `mime::Entity::parse`, its Content-Type,
/// field lookups and decoded body; the body parts (each parsed and decoded
/// in turn) when it is a multipart; `mime::split_message`,
/// `mime::prepare_for_signing` and `mime::first_address` on `From`.
pub fn mime(data: &[u8]) -> Result<()> {
    let entity = mime::Entity::parse(data)?;
    let content_type = entity.content_type();
    let _ = (
        entity.header_bytes(),
        entity.fields().len(),
        entity.field("Content-Transfer-Encoding"),
        entity.field("MIME-Version"),
        entity.transfer_encoding(),
        content_type.param("charset"),
        content_type.param("protocol"),
        content_type.param("smime-type"),
        content_type.is("multipart/signed"),
    );
    if let Some(from) = entity.field("From") {
        let _ = mime::first_address(from);
    }
    let _ = entity.decoded_body();
    if content_type.is_multipart()
        && let Some(boundary) = content_type.param("boundary")
        && let Ok(parts) = mime::split_multipart(entity.body(), boundary, &Limits::default())
    {
        for part in parts
            .into_iter()
            .filter_map(|p| mime::Entity::parse(p).ok())
        {
            let _ = (part.content_type(), part.decoded_body());
        }
    }
    let (_outer, inner) = mime::split_message(data)?;
    mime::prepare_for_signing(&inner, &Limits::default())?;
    Ok(())
}

/// `cms::parse_signed_data` on raw BER, then, for each `SignerInfo`, the
/// signer lookup and the signature check against the encapsulated content
/// (or nothing, as for a detached signature).
pub fn cms_signed(ber: &[u8]) -> Result<()> {
    let parsed = cms::parse_signed_data(ber, &Limits::default())?;
    let econtent_type = &parsed.signed_data.encap_content_info.econtent_type;
    let content = parsed.econtent.as_deref().unwrap_or_default();
    let digests = cms::ContentDigests::of(&[content], &cms::signer_digests(&parsed.signed_data))?;
    let mut budget = cms::Budget::new(Limits::default().max_signature_operations);
    for si in parsed.signed_data.signer_infos.0.iter() {
        let _ = cms::find_signer_certificates(&si.sid, &parsed.certificates);
        let _ = cms::check_signer(
            si,
            econtent_type,
            &digests,
            &parsed.certificates,
            &mut budget,
        );
    }
    Ok(())
}

/// `cms::parse_envelope` on raw BER: `EnvelopedData` and
/// `AuthEnvelopedData` structure, RecipientInfo bounds, GCM tag checks.
pub fn cms_enveloped(ber: &[u8]) -> Result<()> {
    cms::parse_envelope(ber, &Limits::default()).map(drop)
}
