//! Secrets we own: passwords and passphrases.
//!
//! Both types keep their bytes in a [`Zeroizing`] buffer, so the memory is
//! overwritten when they are dropped, print as `Password(<redacted>)` in
//! `Debug`, and have no `Display`: a secret cannot end up in a log line by
//! accident. Private keys live inside OpenSSL objects, whose `free` clears
//! the key material (`BN_clear_free`); see [`crate::Identity`].
#![forbid(unsafe_code)]

use std::fmt;
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// How much of a password or passphrase file is read.
pub(crate) const MAX_SECRET_FILE: usize = 64 * 1024;

macro_rules! secret_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<String>);

        impl $name {
            /// Wraps a secret; the `String` is moved, not copied.
            pub fn new(secret: impl Into<String>) -> Self {
                Self(Zeroizing::new(secret.into()))
            }

            /// The empty secret (PKCS#12 bundles exported without a password).
            pub fn empty() -> Self {
                Self::new(String::new())
            }

            /// Reads the secret from a file, as `openssl -passin file:` does:
            /// the first line, without its line ending. At most
            /// 64 KiB are read, into one buffer allocated
            /// up front so no reallocation leaves a copy behind (pipes too).
            pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
                let mut raw = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE));
                std::fs::File::open(path)?
                    .take(MAX_SECRET_FILE as u64)
                    .read_to_end(&mut raw)?;
                Self::from_first_line(&raw)
            }

            /// The first line of `raw` (UTF-8), without `\n` or `\r\n`.
            pub fn from_first_line(raw: &[u8]) -> Result<Self> {
                let line = raw.split(|&b| b == b'\n').next().unwrap_or_default();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let text = std::str::from_utf8(line).map_err(|_| {
                    Error::Io(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        concat!(stringify!($name), " is not valid UTF-8"),
                    ))
                })?;
                Ok(Self::new(text))
            }

            /// The secret text. Copy it only into zeroizing buffers.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// True when the secret is the empty string.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_string!(
    /// The password of a PKCS#12 bundle.
    ///
    /// ```
    /// let pw = smime::Password::new("correct horse");
    /// assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
    /// ```
    Password
);

secret_string!(
    /// The passphrase that protects the private keys of a [`crate::Store`]
    /// file at rest.
    ///
    /// ```
    /// let pp = smime::Passphrase::new("store secret");
    /// assert_eq!(format!("{pp:?}"), "Passphrase(<redacted>)");
    /// ```
    Passphrase
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let pw = Password::new("hunter2");
        assert!(!format!("{pw:?}").contains("hunter2"));
        let pp = Passphrase::new("hunter2");
        assert!(!format!("{pp:?}").contains("hunter2"));
    }

    #[test]
    fn first_line_strips_line_endings() {
        assert_eq!(
            Password::from_first_line(b"abc\r\nrest").unwrap().expose(),
            "abc"
        );
        assert_eq!(Password::from_first_line(b"abc\n").unwrap().expose(), "abc");
        assert_eq!(Password::from_first_line(b"abc").unwrap().expose(), "abc");
        assert!(Password::from_first_line(b"").unwrap().is_empty());
    }

    #[test]
    fn non_utf8_is_refused() {
        assert!(Password::from_first_line(&[0xff, 0xfe]).is_err());
    }
}
