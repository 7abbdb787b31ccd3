//! The manual: why `smime` does what it does, chapter by chapter, in the
//! style of rustls' manual. Nothing here is code; each chapter is a page of
//! these docs.
//!
//! | chapter | what it explains |
//! |---|---|
//! | [`attacks`] | the published attacks on S/MIME and mail clients (EFAIL, "Johnny, you are fired!", Marvin and Bleichenbacher, signature stripping, parser denial of service) and how each is answered |
//! | [`defaults`] | the defaults and why: AES-256-CBC for reach and AES-GCM when announced, SHA-256, SHA-1 refused, 30 certificates per mailbox, the store's key derivation, the limits |
//! | [`header_protection`] | RFC 9788 header protection: what `compose` hides and why (hcp_baseline, Bcc, Legacy Display), how `open` decides each field's protection, "not signed" versus "signature destroyed" |
//! | [`streaming`] | what the streaming functions write before it is authenticated, and what a caller must do with it |
#![forbid(unsafe_code)]

pub mod attacks;
pub mod defaults;
pub mod header_protection;
pub mod streaming;
