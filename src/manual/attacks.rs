//! # Attacks, and how `smime` answers each
//!
//! Every byte of a received message may come from an attacker. The tests
//! in `tests/security/` hold one regression per attack named here.
//!
//! ## EFAIL (Poddebniak et al., USENIX Security 2018)
//!
//! CMS `EnvelopedData` with AES-CBC authenticates nothing: knowing one
//! plaintext block (every MIME entity starts with `Content-Type:`) lets an
//! attacker splice chosen blocks — an `<img src="https://attacker/...`
//! that exfiltrates the rest — into a message the victim decrypts.
//!
//! * [`Decrypted::authenticated`](crate::Decrypted::authenticated) is false
//!   for CBC: a client must not render active content of such a plaintext
//!   unless a valid signature *inside* the envelope covers it.
//! * AES-GCM `AuthEnvelopedData` is written whenever every recipient
//!   announced it (SMIMECapabilities learnt from their verified
//!   signatures); no GCM plaintext is returned unless the tag verifies, and
//!   a tag shorter than GCMParameters announce is refused (OpenSSL 3.0
//!   would accept one byte).
//! * CBC relabelled as AuthEnvelopedData, or an AEAD inside
//!   EnvelopedData, is refused as [`CmsError`](crate::CmsError): the
//!   "authenticated" flag cannot be forged by relabelling.
//! * The decrypted entity is returned on its own, never merged with the
//!   parts around the envelope.
//!
//! ## "Johnny, you are fired!" (Müller et al., USENIX Security 2019)
//!
//! 15 of 22 clients showed forged signatures as valid. Each class is a
//! typed outcome in the [`VerifyReport`](crate::VerifyReport), never folded
//! into "valid":
//!
//! * **CMS class** — no SignerInfo is [`Problem::NoSigners`](crate::Problem::NoSigners);
//!   every SignerInfo must verify; a `multipart/signed` whose CMS also
//!   embeds content is [`Problem::EmbeddedContent`](crate::Problem::EmbeddedContent);
//!   a non-`id-data` eContent is [`Problem::NotMimeContent`](crate::Problem::NotMimeContent);
//!   the signer's certificate is found strictly by `sid`, and every
//!   certificate matching it is tried (the certificate set is unsigned).
//! * **ID class** — a signer's certificate must name the `From` address
//!   (RFC 8550 §3, [`SignerReport::from_matches`](crate::SignerReport::from_matches));
//!   several `From` fields, several addresses, or an address hidden in a
//!   display name are [`Problem`](crate::Problem)s; a protected inner
//!   `From` must name a signer too.
//! * **MIME wrapping** — a signed part nested in unsigned content is
//!   [`Coverage::Part`](crate::Coverage::Part), and not valid.
//!
//! ## Marvin and Bleichenbacher (Kario, ESORICS 2023; CVE-2019-1563)
//!
//! RSA PKCS#1 v1.5 key transport leaks through errors and timing. Every
//! failure after a recipient was chosen is one
//! [`Error::DecryptionFailed`](crate::Error::DecryptionFailed); OpenSSL's CMS
//! layer substitutes a random content key when key transport fails, so
//! neither our error nor our code path depends on the padding (OpenSSL
//! 3.2+ also applies implicit rejection inside RSA). The pyca/cryptography
//! lesson (CVE-2026-69247) is why the error never names its cause. On
//! OpenSSL 3.0/3.1 the padding check's timing is OpenSSL's own: prefer
//! RSA-OAEP ([`KeyTransport::RsaOaep`](crate::KeyTransport::RsaOaep)) or EC
//! keys where peers support them.
//!
//! ## Signature stripping and downgrade
//!
//! A signed message turned into an unsigned one verifies as
//! [`Error::NotSigned`](crate::Error::NotSigned) — a client that expected a
//! signature (because the sender always signs) can say so. Capabilities
//! learnt from a signature are replaced only by those of a newer one
//! (RFC 8551 §2.7.1), so replaying old mail cannot downgrade the cipher.
//! Only trusted signers' certificates enter the recipient directory
//! ("Mailto: Me Your Secrets", 2020).
//!
//! ## Parser denial of service
//!
//! Deep BER, MIME nesting, certificate and RecipientInfo floods, PKCS#12
//! bundles asking for 10⁹ KDF iterations: each dimension has a bound in
//! [`Limits`](crate::Limits), checked before the work it would cost, and
//! going over one is [`Error::LimitExceeded`](crate::Error::LimitExceeded)
//! naming it. The parsers are fuzzed (`fuzz/`), and no path reachable from
//! input may panic.
#![forbid(unsafe_code)]
