//! What [`open`](crate::open()) found, as one value a mail client renders:
//! the summary [`Verdict`], the [`Layer`]s it unwrapped with their full
//! reports, and `Display` for the reports (the words a UI may show as
//! they are).
#![forbid(unsafe_code)]

use std::fmt;

use crate::algorithm::{ContentEncryption, DecryptionWeakness};
use crate::error::Error;
use crate::fingerprint::Fingerprint;
use crate::verify::{
    ChainStatus, Coverage, Problem, SignatureStatus, SignerReport, VerifyReport, Weakness,
};

/// The one-line summary of a message's cryptographic state. "Not signed"
/// ([`Verdict::Unsigned`], [`Verdict::EncryptedOnly`]) and "the signature
/// was destroyed" ([`Verdict::SignatureUnreadable`]) are different
/// outcomes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// No signature and no encryption.
    Unsigned,
    /// Encrypted, not signed: anyone who had the recipients' certificates
    /// could have written it. `authenticated` is false for AES-CBC, whose
    /// content could have been altered on the way (EFAIL).
    EncryptedOnly {
        /// AuthEnvelopedData (AES-GCM): the content is as encrypted.
        authenticated: bool,
    },
    /// Signed, valid (every signature, trusted chain, sender bound), not
    /// encrypted.
    SignedAndValid,
    /// Encrypted and signed with a valid signature, in either order:
    /// signed inside (sign-then-encrypt, the usual form) or the envelope
    /// signed (encrypt-then-sign; the payload's sender is then bound to
    /// that signer too). [`Opened::layers`](crate::Opened::layers) gives
    /// the order.
    SignedAndEncrypted,
    /// Signed, but not valid: the first reason.
    SignedButInvalid {
        /// Was it also encrypted?
        encrypted: bool,
        /// Why it is not valid.
        why: Invalid,
    },
    /// A signature layer is there, but could not be read at all (damaged
    /// CMS, missing signature part): the message was signed and the
    /// signature destroyed, which is not the same as never signed.
    SignatureUnreadable {
        /// Was it also encrypted?
        encrypted: bool,
    },
}

impl Verdict {
    /// Is the message signed with a valid signature?
    pub fn is_valid(&self) -> bool {
        matches!(self, Verdict::SignedAndValid | Verdict::SignedAndEncrypted)
    }

    /// Was the message encrypted?
    pub fn is_encrypted(&self) -> bool {
        match self {
            Verdict::EncryptedOnly { .. } | Verdict::SignedAndEncrypted => true,
            Verdict::SignedButInvalid { encrypted, .. }
            | Verdict::SignatureUnreadable { encrypted } => *encrypted,
            Verdict::Unsigned | Verdict::SignedAndValid => false,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let also = |encrypted: bool| if encrypted { " (encrypted)" } else { "" };
        match self {
            Verdict::Unsigned => f.write_str("not signed, not encrypted"),
            Verdict::EncryptedOnly {
                authenticated: true,
            } => f.write_str("encrypted, not signed"),
            Verdict::EncryptedOnly {
                authenticated: false,
            } => f.write_str("encrypted (AES-CBC, not integrity protected), not signed"),
            Verdict::SignedAndValid => f.write_str("signed, valid"),
            Verdict::SignedAndEncrypted => f.write_str("signed and encrypted, valid"),
            Verdict::SignedButInvalid { encrypted, why } => {
                write!(f, "signed{}, NOT valid: {why}", also(*encrypted))
            }
            Verdict::SignatureUnreadable { encrypted } => write!(
                f,
                "signed{}, but the signature is damaged and cannot be read",
                also(*encrypted)
            ),
        }
    }
}

/// Why a signed message is not valid: the first reason its
/// [`VerifyReport`] gives.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// A signature does not verify.
    Signature(SignatureStatus),
    /// A signer's chain is not trusted.
    Chain(ChainStatus),
    /// No signer's certificate names the sender.
    SenderMismatch,
    /// A weak algorithm or key.
    Weak(Weakness),
    /// The signature covers only a nested part of the message.
    PartOnly,
    /// A message-level problem (no signers, spoofed inner sender, ...).
    Problem(Problem),
    /// Not valid for a reason none of the above names.
    Other,
}

impl Invalid {
    /// The first reason `report` is not valid.
    pub(crate) fn of(report: &VerifyReport) -> Invalid {
        if let Some(problem) = report.problems.first() {
            return Invalid::Problem(problem.clone());
        }
        for signer in &report.signers {
            if signer.signature != SignatureStatus::Valid {
                return Invalid::Signature(signer.signature);
            }
            if signer.chain != ChainStatus::Trusted {
                return Invalid::Chain(signer.chain);
            }
        }
        if report.signers.iter().all(|s| s.from_matches == Some(false)) {
            return Invalid::SenderMismatch;
        }
        if let Some(weak) = report
            .signers
            .iter()
            .flat_map(|s| s.weaknesses.iter())
            .next()
        {
            return Invalid::Weak(weak.clone());
        }
        if matches!(report.coverage, Coverage::Part(_)) {
            return Invalid::PartOnly;
        }
        Invalid::Other
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Signature(status) => write!(f, "signature {status}"),
            Invalid::Chain(status) => write!(f, "certificate {status}"),
            Invalid::SenderMismatch => {
                f.write_str("the signer's certificate does not name the sender")
            }
            Invalid::Weak(weakness) => write!(f, "weak: {weakness}"),
            Invalid::PartOnly => f.write_str("only a part of the message is signed"),
            Invalid::Problem(problem) => write!(f, "{problem}"),
            Invalid::Other => f.write_str("the signature is not valid"),
        }
    }
}

/// One cryptographic layer [`open`](crate::open()) unwrapped, outermost
/// first. `Debug` does not print the signed content a report holds.
#[non_exhaustive]
pub enum Layer {
    /// EnvelopedData or AuthEnvelopedData, decrypted.
    Encrypted {
        /// The content-encryption algorithm.
        content_encryption: ContentEncryption,
        /// AuthEnvelopedData: the tag verified.
        authenticated: bool,
        /// What is weak about the encryption.
        weaknesses: Vec<DecryptionWeakness>,
        /// The certificate of the identity that decrypted it.
        recipient: Fingerprint,
    },
    /// A signature (multipart/signed or opaque signed-data), verified.
    /// The report's `content` is empty: the signed content was moved
    /// into wiped memory, and what it shows is the next layer or
    /// [`Opened::message`](crate::Opened::message).
    Signed(Box<VerifyReport>),
    /// A signature layer that could not be read: why.
    SignatureUnreadable(Error),
    /// compressed-data (RFC 3274), inflated.
    Compressed,
}

impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Encrypted {
                content_encryption,
                authenticated,
                weaknesses,
                recipient,
            } => f
                .debug_struct("Encrypted")
                .field("content_encryption", content_encryption)
                .field("authenticated", authenticated)
                .field("weaknesses", weaknesses)
                .field("recipient", recipient)
                .finish(),
            Layer::Signed(report) => f
                .debug_struct("Signed")
                .field("valid", &report.valid)
                .field("signers", &report.signers)
                .field("problems", &report.problems)
                .field("content", &format_args!("<{} bytes>", report.content.len()))
                .finish(),
            Layer::SignatureUnreadable(why) => {
                f.debug_tuple("SignatureUnreadable").field(why).finish()
            }
            Layer::Compressed => f.write_str("Compressed"),
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Encrypted {
                content_encryption,
                authenticated,
                ..
            } => {
                write!(f, "encrypted with {content_encryption}")?;
                if !authenticated {
                    f.write_str(" (not integrity protected)")?;
                }
                Ok(())
            }
            Layer::Signed(report) => write!(f, "{report}"),
            Layer::SignatureUnreadable(why) => write!(f, "unreadable signature: {why}"),
            Layer::Compressed => f.write_str("compressed"),
        }
    }
}

/// `signed by Alice <alice@example.org>: signature valid, chain trusted`.
impl fmt::Display for SignerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("signed by ")?;
        let name = self.certificate.as_ref().and_then(|c| c.common_name());
        match (name, self.emails().first()) {
            (Some(name), Some(email)) => write!(f, "{name} <{email}>")?,
            (Some(name), None) => f.write_str(&name)?,
            (None, Some(email)) => f.write_str(email)?,
            (None, None) => f.write_str("an unknown signer")?,
        }
        write!(f, ": signature {}, chain {}", self.signature, self.chain)?;
        if self.from_matches == Some(false) {
            f.write_str(", not the sender")?;
        }
        for weakness in &self.weaknesses {
            write!(f, ", weak: {weakness}")?;
        }
        Ok(())
    }
}

/// `valid: signed by ...; signed by ...` or `NOT valid (...)`.
impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.valid { "valid" } else { "NOT valid" })?;
        for problem in &self.problems {
            write!(f, " ({problem})")?;
        }
        if let Coverage::Part(_) = self.coverage {
            f.write_str(" (only a part of the message is signed)")?;
        }
        for (i, signer) in self.signers.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            write!(f, "{signer}")?;
        }
        Ok(())
    }
}
