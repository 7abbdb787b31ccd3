//! Opening a received message for display (RFC 8551 §3.7, RFC 9788 §4):
//! every cryptographic layer unwrapped (enveloped or auth-enveloped,
//! multipart/signed or opaque signed-data, compressed-data), verified,
//! and the Cryptographic Payload turned into the message a client shows:
//! the protected header fields in place of the outer ones (§4.5), the
//! Legacy Display elements removed (§4.5.3), the signature part gone,
//! and for every header field its protection state (§4.3.1).
#![forbid(unsafe_code)]

use std::fmt;

use zeroize::Zeroizing;

use super::header_protection::{
    FieldProtection, HeaderProtection, contains, is_structural, non_structural, parse_hp_outer,
};
use super::legacy_display;
use super::verdict::{Invalid, Layer, Verdict};
use crate::envelope::{DecryptOptions, decrypt};
use crate::error::{Error, MimeError, Result};
use crate::identity::Identity;
use crate::limits;
use crate::mime::{self, Entity, Field};
use crate::verify::{VerifyOptions, verify_one_layer};

/// How to open: what to trust when verifying, and the decryption limits.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OpenOptions {
    /// Trust anchors, time, revocation: as for [`verify`](crate::verify()).
    pub verify: VerifyOptions,
    /// Limits of decryption.
    pub decrypt: DecryptOptions,
}

impl OpenOptions {
    /// Verification against `verify`, default decryption.
    pub fn new(verify: VerifyOptions) -> Self {
        OpenOptions {
            verify,
            decrypt: DecryptOptions::default(),
        }
    }
}

/// One header field of the displayed message. `Debug` does not print the
/// value (a confidential Subject is as secret as the body).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderField {
    /// The field name as written.
    pub name: String,
    /// The unfolded value as written (RFC 2047 encoded words left
    /// encoded; see [`HeaderField::decoded_value`]).
    pub value: String,
    /// Whether it was signed, encrypted, both, or neither.
    pub protection: FieldProtection,
}

impl fmt::Debug for HeaderField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeaderField")
            .field("name", &self.name)
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .field("protection", &self.protection)
            .finish()
    }
}

impl HeaderField {
    /// The value with RFC 2047 encoded words decoded, for display (the
    /// value as written when they do not decode).
    pub fn decoded_value(&self) -> String {
        mime::decode_words(&self.value).unwrap_or_else(|_| self.value.clone())
    }
}

/// A message opened for display. `Debug` does not print the content.
#[non_exhaustive]
pub struct Opened {
    /// The message to render: the displayed header fields, the payload's
    /// MIME header and its body, Legacy Display elements removed. Parse
    /// it with any MIME parser.
    pub message: Zeroizing<Vec<u8>>,
    /// The displayed header fields, in order, each with its protection.
    pub headers: Vec<HeaderField>,
    /// The summary.
    pub verdict: Verdict,
    /// Which scheme protected the header fields.
    pub header_protection: HeaderProtection,
    /// Whether Legacy Display elements were removed.
    pub legacy_display_removed: bool,
    /// Every layer unwrapped, outermost first.
    pub layers: Vec<Layer>,
}

impl Opened {
    /// The first displayed field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&HeaderField> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
    }
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("message", &format_args!("<{} bytes>", self.message.len()))
            .field("headers", &self.headers)
            .field("verdict", &self.verdict)
            .field("header_protection", &self.header_protection)
            .field("legacy_display_removed", &self.legacy_display_removed)
            .field("layers", &self.layers)
            .finish()
    }
}

/// Opens `message` for display: decrypts with the first of `identities`
/// an envelope names, verifies every signature against
/// `options.verify`, inflates compressed-data, and returns the
/// displayable message with one [`Verdict`].
///
/// Errors are those of reading the message and of decryption
/// ([`Error::NotForRecipient`], [`Error::DecryptionFailed`]): a message
/// that cannot be decrypted cannot be shown (RFC 9788 §4.7: show its
/// outer header fields, as received). A signature that cannot be read is
/// no error but [`Verdict::SignatureUnreadable`].
///
/// ```
/// use smime::{OpenOptions, Verdict, VerifyOptions};
/// let message = b"From: alice@example.org\r\nSubject: hi\r\n\r\nHello\r\n";
/// let opened = smime::open(message, &[], &OpenOptions::new(VerifyOptions::new(&[])))?;
/// assert_eq!(opened.verdict, Verdict::Unsigned);
/// assert_eq!(opened.header("Subject").map(|h| h.value.as_str()), Some("hi"));
/// # Ok::<(), smime::Error>(())
/// ```
pub fn open(message: &[u8], identities: &[Identity], options: &OpenOptions) -> Result<Opened> {
    let root = Entity::parse(message)?;
    let outer_fields: Vec<Field> = root.fields().to_vec();
    let (outer, _) = mime::split_message(message)?;
    let limits = &options.verify.limits;
    let mut layers = Vec::new();
    let mut current = Zeroizing::new(message.to_vec());
    let mut depth = 0usize;
    loop {
        limits::check("max_mime_depth", depth as u64, limits.max_mime_depth as u64)?;
        depth += 1;
        let (next, layer) = match unwrap(&current, &outer, depth > 1, identities, options)? {
            Step::Layer(next, layer) => (next, layer),
            Step::Payload => break,
            Step::Unreadable(next, error) => {
                layers.push(Layer::SignatureUnreadable(error));
                current = next;
                break;
            }
        };
        layers.push(layer);
        current = next;
    }
    let payload: &[u8] = &current;
    bind_payload_sender(&mut layers, payload);
    let encrypted = layers.iter().any(|l| matches!(l, Layer::Encrypted { .. }));
    let verdict = verdict(&layers, encrypted);
    let signed_valid = verdict.is_valid();
    // Compressed-data alone protects nothing: the inner header fields are
    // shown only behind a signature or an envelope.
    let protected = layers.iter().any(|l| !matches!(l, Layer::Compressed));
    let display = Shown::of(payload, &outer_fields, encrypted, signed_valid, protected)?;
    // RFC 9788 §4.5.3.1: Legacy Display elements go only when the
    // message was encrypted (their copy of the header was hidden).
    let (body, legacy_display_removed) =
        if display.protection == HeaderProtection::None || !encrypted {
            (display.entity.clone(), false)
        } else {
            legacy_display::strip(&display.entity, limits)?
        };
    let mut rendered = Zeroizing::new(Vec::with_capacity(body.len() + 1024));
    for raw in &display.raw {
        rendered.extend_from_slice(raw);
    }
    rendered.extend_from_slice(&body);
    Ok(Opened {
        message: rendered,
        headers: display.headers,
        verdict,
        header_protection: display.protection,
        legacy_display_removed,
        layers,
    })
}

/// Binds the payload's protected `From`/`Sender` to the innermost
/// signature when an encrypted or compressed layer lies between them.
///
/// [`verify`] checks the protected sender of the content it verified;
/// when that content is itself an envelope (sign-then-encrypt's mirror,
/// encrypt-then-sign, or sign over compressed-data) the fields shown are
/// one layer deeper, unseen by it. They are held to the same check
/// against that layer's signers here, so a signer cannot wrap a payload
/// that claims another sender (`Problem::InnerFromNotSigner`, the report
/// made not valid).
fn bind_payload_sender(layers: &mut [Layer], payload: &[u8]) {
    let Some(innermost) = layers.iter().rposition(|l| matches!(l, Layer::Signed(_))) else {
        return;
    };
    if innermost + 1 == layers.len() {
        return;
    }
    let Some(Layer::Signed(report)) = layers.get_mut(innermost) else {
        return;
    };
    let before = report.problems.len();
    crate::verify::check_protected(
        mime::protected_headers(payload),
        &report.signers,
        &mut report.problems,
    );
    if report.problems.len() > before {
        report.valid = false;
    }
}

/// What one step of unwrapping found.
enum Step {
    /// A layer, and what is inside it.
    Layer(Zeroizing<Vec<u8>>, Layer),
    /// No cryptographic layer: this is the Cryptographic Payload.
    Payload,
    /// A signature that cannot be read, and the content to show instead.
    Unreadable(Zeroizing<Vec<u8>>, Error),
}

/// Unwraps the root layer of `current` (the outer header `outer` is put
/// back in front of inner layers for the `From` check).
fn unwrap(
    current: &[u8],
    outer: &[u8],
    inner: bool,
    identities: &[Identity],
    options: &OpenOptions,
) -> Result<Step> {
    let entity = Entity::parse(current)?;
    if !entity.is_pkcs7_mime() && !entity.content_type().is("multipart/signed") {
        return Ok(match stripped_signature(&entity) {
            Some(why) => Step::Unreadable(signed_content(&entity), why),
            None => Step::Payload,
        });
    }
    let mut whole = Zeroizing::new(Vec::with_capacity(outer.len() + current.len()));
    if inner {
        whole.extend_from_slice(outer);
    }
    whole.extend_from_slice(current);
    // Layer by layer: a compressed entity inside is the next layer.
    match verify_one_layer(&whole, &options.verify) {
        Ok(mut report) => {
            // Moved, not copied: the signed content (plaintext, when an
            // envelope was around it) lives on only in wiped memory.
            let next = Zeroizing::new(std::mem::take(&mut report.content));
            Ok(Step::Layer(next, Layer::Signed(Box::new(report))))
        }
        Err(Error::Encrypted) => {
            let mut decrypted = decrypt(current, identities, &options.decrypt)?;
            let next = Zeroizing::new(std::mem::take(&mut decrypted.content));
            let layer = Layer::Encrypted {
                content_encryption: decrypted.content_encryption,
                authenticated: decrypted.authenticated,
                weaknesses: decrypted.weaknesses,
                recipient: decrypted.recipient,
            };
            Ok(Step::Layer(next, layer))
        }
        Err(Error::NotSigned) => match crate::compress::decompress(current, &options.verify.limits)
        {
            Ok(inflated) => Ok(Step::Layer(Zeroizing::new(inflated), Layer::Compressed)),
            Err(Error::NotCompressed) => Ok(Step::Payload),
            Err(e) => Err(e),
        },
        Err(e @ Error::LimitExceeded { .. }) => Err(e),
        Err(e) => Ok(Step::Unreadable(signed_content(&entity), e)),
    }
}

/// A root multipart (not multipart/signed) whose last part is a
/// signature: a multipart/signed with its Content-Type rewritten, the
/// signature destroyed rather than absent.
fn stripped_signature(entity: &Entity<'_>) -> Option<Error> {
    let ct = entity.content_type();
    if !ct.is_multipart() {
        return None;
    }
    let boundary = ct.boundary().ok()?;
    let parts = mime::split_multipart(entity.body(), boundary, &Default::default()).ok()?;
    let last = Entity::parse(parts.last()?).ok()?;
    let last_ct = last.content_type();
    let is_signature =
        last_ct.is("application/pkcs7-signature") || last_ct.is("application/x-pkcs7-signature");
    (parts.len() >= 2 && is_signature).then(|| {
        Error::InvalidMessage(MimeError::SignatureOutsideSigned {
            media_type: ct.mime_type.clone(),
        })
    })
}

/// What a damaged signature layer still shows: the first part of a
/// multipart/signed, nothing of opaque signed-data.
fn signed_content(entity: &Entity<'_>) -> Zeroizing<Vec<u8>> {
    let ct = entity.content_type();
    let first = ct
        .boundary()
        .ok()
        .and_then(|b| mime::split_multipart(entity.body(), b, &Default::default()).ok())
        .and_then(|parts| parts.first().map(|p| p.to_vec()));
    Zeroizing::new(
        first.unwrap_or_else(|| b"Content-Type: text/plain; charset=us-ascii\r\n\r\n".to_vec()),
    )
}

/// The summary of `layers`.
fn verdict(layers: &[Layer], encrypted: bool) -> Verdict {
    if layers
        .iter()
        .any(|l| matches!(l, Layer::SignatureUnreadable(_)))
    {
        return Verdict::SignatureUnreadable { encrypted };
    }
    let mut reports = layers.iter().filter_map(|l| match l {
        Layer::Signed(report) => Some(report),
        _ => None,
    });
    let Some(first) = reports.next() else {
        // Every envelope authenticated: one AES-CBC layer anywhere is
        // enough to alter what is shown (EFAIL).
        let authenticated = layers
            .iter()
            .filter_map(|l| match l {
                Layer::Encrypted { authenticated, .. } => Some(*authenticated),
                _ => None,
            })
            .all(|a| a);
        return if encrypted {
            Verdict::EncryptedOnly { authenticated }
        } else {
            Verdict::Unsigned
        };
    };
    let invalid = std::iter::once(first)
        .chain(reports)
        .find(|report| !report.valid);
    match (invalid, encrypted) {
        (Some(report), _) => Verdict::SignedButInvalid {
            encrypted,
            why: Invalid::of(report),
        },
        (None, true) => Verdict::SignedAndEncrypted,
        (None, false) => Verdict::SignedAndValid,
    }
}

/// The displayed header and the entity to render below it.
struct Shown {
    protection: HeaderProtection,
    headers: Vec<HeaderField>,
    /// The raw lines of the displayed fields.
    raw: Vec<Vec<u8>>,
    /// The payload's MIME header fields and body.
    entity: Vec<u8>,
}

impl Shown {
    /// RFC 9788 §4.1-4.3 over the Cryptographic Payload `payload`.
    fn of(
        payload: &[u8],
        outer: &[Field],
        encrypted: bool,
        signed_valid: bool,
        protected: bool,
    ) -> Result<Shown> {
        let root = Entity::parse(payload)?;
        let ct = root.content_type();
        let hp = ct.param("hp").map(str::to_ascii_lowercase);
        let (protection, inner) = match hp.as_deref() {
            _ if !protected => (HeaderProtection::None, None),
            Some("cipher") => (HeaderProtection::Cipher, None),
            Some("clear") => (HeaderProtection::Clear, None),
            _ if ct.is("message/rfc822")
                && matches!(
                    root.transfer_encoding().as_str(),
                    "7bit" | "8bit" | "binary"
                ) =>
            {
                let child = Entity::parse(root.body())?;
                let cryptographic =
                    child.is_pkcs7_mime() || child.content_type().is("multipart/signed");
                if cryptographic {
                    (HeaderProtection::None, None)
                } else {
                    (HeaderProtection::Rfc8551, Some(root.body()))
                }
            }
            _ => (HeaderProtection::None, None),
        };
        if protection == HeaderProtection::None {
            return Ok(Self::unprotected(payload, outer));
        }
        let source = inner.unwrap_or(payload);
        let source_entity = Entity::parse(source)?;
        let fields = source_entity.fields();
        // refouter (§4.2): the HP-Outer fields, or for RFC 8551 the real
        // outer header; only meaningful when the payload was encrypted
        // with hp="cipher" (§4.3.1 step 6).
        let reference: Vec<(String, String)> = match protection {
            HeaderProtection::Rfc8551 => non_structural(outer),
            _ => fields
                .iter()
                .filter(|f| f.name.eq_ignore_ascii_case("HP-Outer"))
                .filter_map(|f| parse_hp_outer(&f.value))
                .collect(),
        };
        let confidential = encrypted
            && matches!(
                protection,
                HeaderProtection::Cipher | HeaderProtection::Rfc8551
            );
        let mut headers = Vec::new();
        let mut raw = Vec::new();
        for field in fields
            .iter()
            .filter(|f| !is_structural(&f.name) && !f.name.eq_ignore_ascii_case("HP-Outer"))
        {
            let hidden = confidential && !contains(&reference, &field.name, &field.value);
            let protection = match (hidden, signed_valid) {
                (true, true) => FieldProtection::SignedAndEncrypted,
                (true, false) => FieldProtection::EncryptedOnly,
                (false, true) => FieldProtection::SignedOnly,
                (false, false) => FieldProtection::Unprotected,
            };
            headers.push(header(field, protection));
            raw.push(line(field));
        }
        // Fields only outside (added in transit): shown, unprotected.
        for field in outer.iter().filter(|f| {
            !is_structural(&f.name) && !fields.iter().any(|p| p.name.eq_ignore_ascii_case(&f.name))
        }) {
            headers.push(header(field, FieldProtection::Unprotected));
            raw.push(line(field));
        }
        Ok(Shown {
            protection,
            headers,
            raw,
            entity: structural_entity(&source_entity),
        })
    }

    /// No Header Protection: the outer fields, all unprotected (§4.3).
    fn unprotected(payload: &[u8], outer: &[Field]) -> Shown {
        let shown: Vec<&Field> = outer.iter().filter(|f| !is_structural(&f.name)).collect();
        let entity = Entity::parse(payload)
            .map(|e| structural_entity(&e))
            .unwrap_or_else(|_| payload.to_vec());
        Shown {
            protection: HeaderProtection::None,
            headers: shown
                .iter()
                .map(|f| header(f, FieldProtection::Unprotected))
                .collect(),
            raw: shown.iter().map(|f| line(f)).collect(),
            entity,
        }
    }
}

fn header(field: &Field, protection: FieldProtection) -> HeaderField {
    HeaderField {
        name: field.name.clone(),
        value: field.value.clone(),
        protection,
    }
}

/// The field's raw line(s), CRLF-ended.
fn line(field: &Field) -> Vec<u8> {
    let mut raw = mime::canonicalize(&field.raw);
    if !raw.ends_with(b"\r\n") {
        raw.extend_from_slice(b"\r\n");
    }
    raw
}

/// The entity with only its structural header fields (MIME-Version,
/// Content-*), then the blank line and the body.
fn structural_entity(entity: &Entity<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(entity.header_bytes().len() + entity.body().len() + 4);
    for field in entity.fields().iter().filter(|f| is_structural(&f.name)) {
        out.extend_from_slice(&line(field));
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(entity.body());
    out
}
