//! Why a command failed, and what the process says and exits with.
//!
//! Exit codes (the CLI contract in README.md): `0` success; `1` a report
//! that says "not valid" (`verify`, `decrypt --verify`); `2` bad input or
//! usage; `3` the store (or anything else).

use std::io;
use std::process::ExitCode;

use smime::Error;

/// Why a command failed.
#[derive(Debug)]
pub enum Failure {
    /// A usage problem of the command line itself (no passphrase source, no
    /// data directory, mismatched new passphrases): exit 2.
    Usage(String),
    /// The library's error: exit 2 or 3 by [`exit_code`].
    Smime(Error),
    /// A message that did not verify; its report is already on stdout:
    /// exit 1, nothing on stderr.
    Invalid,
    /// Decrypted content whose signature is missing or not valid (`decrypt
    /// --verify` without `--json`): exit 1, this one line on stderr.
    Unverified(String),
    /// The store holds nothing to do it with (`export-certs` of an address
    /// without certificates): exit 3, as the library's `NotFound`.
    NotFound(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Smime(e)
    }
}

impl From<smime::InvalidFingerprint> for Failure {
    fn from(e: smime::InvalidFingerprint) -> Self {
        Failure::Smime(e.into())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Smime(Error::Io(e))
    }
}

impl Failure {
    /// The exit code, and the line for stderr (none for [`Failure::Invalid`]).
    fn outcome(&self) -> (u8, Option<String>) {
        match self {
            Failure::Usage(message) => (2, Some(message.clone())),
            Failure::Smime(e) => (exit_code(e), Some(e.to_string())),
            Failure::Unverified(message) => (1, Some(message.clone())),
            Failure::NotFound(message) => (3, Some(message.clone())),
            Failure::Invalid => (1, None),
        }
    }

    /// Prints the one `smime: ...` line (if any) and gives the exit code.
    pub fn report(self) -> ExitCode {
        let (code, message) = self.outcome();
        if let Some(message) = message {
            eprintln!("smime: {}", one_line(&message));
        }
        ExitCode::from(code)
    }
}

/// One line, whatever an underlying library put in the message, and no
/// terminal control from a value it quotes.
fn one_line(message: &str) -> String {
    crate::printable::printable(message)
}

/// The process exit code for a library error: 2 for bad input, 3 for the
/// store and anything else.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::WrongPassword
        | Error::InvalidFingerprint(_)
        | Error::CorruptBundle(_)
        | Error::UnsupportedBundle(_)
        | Error::NoPrivateKey
        | Error::KeyCertificateMismatch
        | Error::UnsupportedKey(_)
        | Error::InvalidCertificate(_)
        | Error::InvalidAddress { .. }
        | Error::AddressMismatch { .. }
        | Error::CertificateNotUsable { .. }
        | Error::NotSigned
        | Error::Encrypted
        | Error::NotEncrypted
        | Error::NotForRecipient
        | Error::DecryptionFailed
        | Error::NoRecipients
        | Error::InvalidMessage(_)
        | Error::LimitExceeded { .. }
        | Error::InvalidCms(_)
        | Error::UnsupportedAlgorithm(_)
        | Error::InvalidKey
        | Error::InvalidRevocationInfo(_)
        | Error::InputChanged
        | Error::NotCompressed
        | Error::EmptyPassphrase
        | Error::InvalidKeyEncryptionKey { .. }
        | Error::Io(_) => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_has_the_exit_code_of_the_contract() {
        assert_eq!(Failure::Usage("x".into()).outcome().0, 2);
        assert_eq!(Failure::Invalid.outcome(), (1, None));
        assert_eq!(Failure::Unverified("x".into()).outcome().0, 1);
        assert_eq!(Failure::from(Error::WrongPassword).outcome().0, 2);
        assert_eq!(Failure::from(Error::DecryptionFailed).outcome().0, 2);
        let io = io::Error::other("disk");
        assert_eq!(Failure::from(io).outcome().0, 2);
        assert_eq!(Failure::from(Error::WrongPassphrase).outcome().0, 3);
        let missing = smime::Missing::PrivateKey("a@example.org".parse().unwrap());
        assert_eq!(Failure::from(Error::NotFound(missing)).outcome().0, 3);
        let domain = Error::DomainNotEnabled {
            domain: "example.org".into(),
        };
        assert_eq!(Failure::from(domain).outcome().0, 3);
        assert_eq!(Failure::from(Error::EmptyPassphrase).outcome().0, 2);
        let no_cert = Error::NoCertificateFor {
            addresses: vec!["carol@example.org".parse().unwrap()],
        };
        assert_eq!(Failure::from(no_cert).outcome().0, 3);
        // Trust refusals are store/policy refusals.
        let untrusted = Error::UntrustedRecipient {
            address: "bob@example.org".parse().unwrap(),
        };
        assert_eq!(Failure::from(untrusted).outcome().0, 3);
        let crl = Error::CrlNotVerified {
            issuer: "CN=x".into(),
        };
        assert_eq!(Failure::from(crl).outcome().0, 3);
        assert_eq!(Failure::NotFound("x".into()).outcome().0, 3);
    }

    #[test]
    fn messages_are_one_line() {
        assert_eq!(
            one_line("a\r\nb\nc\u{1b}[2J"),
            "a\u{fffd}\u{fffd}b\u{fffd}c\u{fffd}[2J"
        );
    }
}
