//! # Defaults, and why
//!
//! ## Content encryption: AES-256-CBC for reach, AES-GCM when announced
//!
//! RFC 8551 §2.7 makes AES-128-GCM the MUST, but Outlook and many
//! deployed clients still cannot decrypt `AuthEnvelopedData`. A message
//! nobody can read protects nothing, so [`EncryptOptions`](crate::EncryptOptions)
//! default to AES-256-CBC `EnvelopedData`, which every client reads, and
//! [`ContentEncryption::negotiate`](crate::ContentEncryption::negotiate)
//! picks AES-GCM as soon as every recipient announced it in a verified
//! signature (the store remembers, [`Store::add_verified_signers`](crate::Store::add_verified_signers)).
//! CBC is malleable (see [`attacks`](super::attacks)): it is reported as
//! not authenticated.
//!
//! Decryption also reads AES-128/192-CBC, AES-192-GCM and 3DES-CBC
//! (old archives, gpgsm's default); [`ContentEncryption::can_encrypt`](crate::ContentEncryption::can_encrypt)
//! says which ones are written.
//!
//! ## Digests: SHA-256; SHA-1 verified but weak, never written
//!
//! SHA-256 is RFC 8551's default. SHA-1 is collision-broken (SHAttered,
//! 2017); Thunderbird 115 refuses SHA-1 signatures. We verify them, report
//! [`Weakness::Digest`](crate::Weakness::Digest) and call the message not
//! valid unless [`VerifyOptions::allow_weak`](crate::VerifyOptions::allow_weak);
//! we never sign with SHA-1. RSA keys under 2048 bits and curves under 256
//! bits are weaknesses too.
//!
//! ## 30 certificates per mailbox
//!
//! [`MAX_CERTS_PER_MAILBOX`](crate::MAX_CERTS_PER_MAILBOX): real users hold
//! a handful of certificates (renewals, a signing and an encryption one);
//! the cap keeps lookups cheap and bounds certificate stuffing. The CA
//! certificates of a bundle are kept as its chain and do not count; the
//! recipient directory (correspondents' certificates) is not capped.
//!
//! ## The store's key derivation
//!
//! Private keys are sealed with AES-256-GCM under a key-encryption key
//! derived from the store passphrase with PBKDF2-HMAC-SHA256 and 600 000
//! iterations (OWASP 2023), bound to their row by the mailbox and
//! fingerprint as associated data. A file records the count it was
//! written with, so raising it later locks no old store out.
//!
//! ## Limits
//!
//! [`Limits`](crate::Limits) defaults are far above what real mail uses
//! (256 MiB in memory when a message cannot stream, 32 levels of MIME,
//! 10 000 parts, 64 certificates and 16 signers per SignedData, 256
//! RecipientInfos, 10⁷ PKCS#12 iterations, 32 levels of BER) and far below
//! what hurts a mail client.
#![forbid(unsafe_code)]
