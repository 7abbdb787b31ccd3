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
//! ## Two passes, two threads
//!
//! Signing must hash the exact bytes it writes. The first pass over the
//! input proves that no 7-bit transport could alter the entity (no NUL, no
//! 8-bit byte, no line over 998 octets); the second writes it, copied as
//! it is when its line ends are CRLF already. A detached signature hashes
//! in the second pass what it writes (the `multipart/signed` head needs
//! no length), so the input is read from disk once and from the page
//! cache once, and the second pass scans again what it writes: an input
//! that changed in between, and is no longer safe or no longer as long,
//! is [`Error::InputChanged`](crate::Error::InputChanged). An opaque
//! signature is DER, whose lengths (the SignerInfo's too) precede the
//! content, so it hashes in the first pass, and again in the second,
//! before the SignerInfo is written: changed octets are `InputChanged`
//! there too. An entity that needs re-encoding
//! (quoted-printable, base64) is signed in memory, within
//! [`Limits::max_in_memory`](crate::Limits::max_in_memory). Encryption's
//! first pass counts the canonical length (DER needs every length before
//! the first byte), its second encrypts. From 1 MiB on, the hash (signing)
//! or the AES (encryption) runs on a second thread beside reading,
//! scanning, base64 and writing; the reader and writer stay on the
//! caller's thread.
//!
//! Why not one pass from a plain `Read`? Signing cannot write a byte of
//! the entity before the scan has reached its end (an 8-bit byte at the
//! last octet means the entity is re-encoded from its start), and DER
//! encryption cannot write its first byte before it knows the length. A
//! plain `Read` would therefore always mean a copy to a temporary file:
//! writing and reading back 64 MiB costs 0.055 s of CPU here, half again
//! what signing 64 MiB costs. So `sign_stream` and `encrypt_stream` take
//! `Read + Seek`, and a caller with a pipe or socket spools it (the CLI
//! copies stdin to an unnamed temporary file).
//!
//! ## Decrypting to a pipe
//!
//! CBC padding and the GCM tag are checked only at the end. The CLI's rule
//! is that nothing of a plaintext is seen unless it is authenticated, so
//! `smime decrypt` to stdout, a FIFO or a device spools the plaintext to an
//! unnamed temporary file and copies it out only on success (`--out FILE`
//! is staged and renamed instead, no extra copy). Streaming CBC to stdout
//! with all but the last block first would be faster, but bytes already
//! in a pipe cannot be called back when the padding then fails; for GCM
//! the tag must be checked first anyway. Measured, decryption to a pipe
//! with the spool still takes less than 0.4× the time of
//! `openssl cms -decrypt` (README, *Performance*).
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
