//! # Header protection (RFC 9788) and what `compose` / `open` decide
//!
//! S/MIME (RFC 8551) signs and encrypts a message's *body*: From, To,
//! Subject and Date travel outside the envelope, readable and changeable
//! by every server on the way. RFC 9788 (2025) fixes this without
//! breaking old clients: the composer copies every header field into the
//! Cryptographic Payload (the MIME entity inside all signature and
//! encryption layers) and marks it `hp="clear"` (signed only) or
//! `hp="cipher"` (encrypted too). For encrypted mail a Header
//! Confidentiality Policy decides what stays visible outside, and one
//! `HP-Outer` field per outer field records that choice *inside*, under
//! the signature.
//!
//! ## Sending ([`compose`](crate::compose()))
//!
//! * **`hcp_baseline` by default** (RFC 9788 §3.3 requires a default that
//!   hides at least the Subject, and recommends this one): the outer
//!   Subject is `[...]`, Comments and Keywords are dropped, routing fields
//!   stay. `hcp_shy` also strips display names and the sender's time zone
//!   — better privacy, but some filters dislike bare headers, so it is
//!   opt-in.
//! * **Bcc is named nowhere.** Every recipient decrypts the same payload,
//!   so a Bcc inside would reveal the blind copy to all of them (RFC 9788
//!   §11.4); Bcc addresses are encrypted to, and that is all.
//! * **Legacy Display elements only when asked.** They repeat the hidden
//!   Subject at the top of the body for clients that decrypt but ignore
//!   header protection (Outlook, Thunderbird before it shipped RFC 9788);
//!   clients that implement it strip them, others show a strange first
//!   line. The caller knows its recipients; we do not guess.
//! * **Every missing certificate at once**
//!   ([`Error::NoCertificateFor`](crate::Error::NoCertificateFor)): a user
//!   fixing one recipient at a time is a user who gives up and sends in
//!   the clear.
//!
//! ## Receiving ([`open`](crate::open()))
//!
//! * A field is **confidential** only when the composer said so: the
//!   payload is `hp="cipher"`, the message really was encrypted, and the
//!   field's exact value is not among the `HP-Outer` records (§4.3.1).
//!   Encryption added in transit, or an attacker deleting an outer field,
//!   cannot make a field look confidential, and a reply never leaks what
//!   the sender hid.
//! * A field is **signed** only under a *valid* signature; otherwise the
//!   state drops to unprotected (or encrypted-only), silently, as §4.3.1
//!   says: the verdict already tells the user the signature failed.
//! * The protected values are shown, the outer ones only for fields that
//!   exist only outside (added in transit, such as Received), marked
//!   unprotected. The inner From (and Sender) is bound to the innermost
//!   signature's signers: by [`verify`](crate::verify()) when the signed
//!   content is the payload, and by `open` itself when an encrypted or
//!   compressed layer lies between them (encrypt-then-sign, sign over
//!   compressed-data), where `verify` saw only the envelope; either way a
//!   mismatch is [`Problem::InnerFromNotSigner`](crate::Problem::InnerFromNotSigner)
//!   and the signature not valid.
//! * Compressed-data alone protects nothing: without a signed or
//!   encrypted layer the outer fields are shown, unprotected. Legacy
//!   Display elements are removed only from a message that was encrypted
//!   (§4.5.3.1).
//! * Legacy RFC 8551 messages (a `message/rfc822` payload) are shown as
//!   the message they wrap, not as an attachment (§4.10), with the real
//!   outer header as the reference for confidentiality.
//! * **Not signed is not the same as a destroyed signature.** A
//!   multipart/signed whose signature part does not parse is
//!   [`Verdict::SignatureUnreadable`](crate::Verdict::SignatureUnreadable),
//!   never [`Verdict::Unsigned`](crate::Verdict::Unsigned): stripping or
//!   damaging a signature must not downgrade a message silently; so is a
//!   root multipart of another type whose last part is a signature (a
//!   multipart/signed relabelled, [`MimeError::SignatureOutsideSigned`](crate::MimeError::SignatureOutsideSigned)). A
//!   signature nested inside unsigned content is not the message's
//!   signature at all (the Johnny wrapping attack): `open` unwraps only
//!   layers at the root, so such a message is `Unsigned`.
//! * A message that cannot be decrypted is an error, not a half-rendered
//!   message: RFC 9788 §4.7 says to show the outer header then, which the
//!   caller has.
#![forbid(unsafe_code)]
