//! # Streaming: what is written before it is authenticated
//!
//! The `_stream` functions work from a `Read` to a `Write` in memory that
//! does not grow with the message, touching each byte once. Some verdicts
//! exist only at the end of the input, so some bytes reach the writer
//! before they are known to be good:
//!
//! | function | what the writer gets before the verdict | what the caller must do |
//! |---|---|---|
//! | [`decrypt_stream`](crate::decrypt_stream) | plaintext, before the CBC padding or the GCM tag is checked | write to a temporary file and use it only when the call returns `Ok`; [`decrypt`](crate::decrypt) does that in memory, and the CLI renames its output into place only on success |
//! | [`verify_stream`](crate::verify_stream) | the signed content, before the signature is checked | show it only as far as the [`VerifyReport`](crate::VerifyReport) says |
//! | [`sign_stream`](crate::sign_stream), [`encrypt_stream`](crate::encrypt_stream) | output only | nothing: a failure leaves a partial output to discard |
//!
//! Why not buffer? A 256 MiB attachment would then cost 256 MiB of memory
//! in every mail client and server that opens it, which is what
//! `openssl cms` does (its decrypt peaks at 3× the message). The rule of
//! EFAIL — never *render* unauthenticated plaintext — is the caller's, and
//! the types say when it applies: [`Decryption::authenticated`](crate::Decryption::authenticated).
//!
//! ## How one pass is enough
//!
//! Signing must hash the exact bytes it writes. A scan first proves that no
//! 7-bit transport could alter the entity (no NUL, no 8-bit byte, no line
//! over 998 octets); then signing needs only CRLF canonicalization, done
//! chunk by chunk while hashing and writing. An entity that needs
//! re-encoding (quoted-printable, base64) is signed in memory, within
//! [`Limits::max_in_memory`](crate::Limits::max_in_memory).
//!
//! Verification hashes the content as it streams, once per digest the
//! message announces (`micalg`, `digestAlgorithms`), and a second set over
//! the LF→CRLF form starts only at the first bare LF (a relay may have
//! rewritten line ends). Decryption walks the BER from the base64 stream,
//! lets OpenSSL open the RecipientInfos on a content-less re-encoding of
//! the envelope, and decrypts the content through OpenSSL's keyed cipher.
//! BER with indefinite lengths is read everywhere; opaque signatures and
//! envelopes are written in DER, which strict readers require: an extra
//! read pass learns the content length (and for opaque signing the digest,
//! so the SignerInfo) before the first byte is written.
//!
//! What the streaming decryptor writes before it is authenticated: CBC,
//! GCM and ChaCha20-Poly1305 plaintext as it is decrypted (the padding or
//! tag is checked at the end: discard the output on error); AES-CCM and
//! compressed-data contents nothing until the tag verified (they are held
//! within `max_in_memory`).
#![forbid(unsafe_code)]
