//! `smime`: the command-line face of the `smime` crate.
//!
//! The contract — commands, where the store, passphrases and passwords come
//! from, `--out` semantics, exit codes, the text and `--json` output — is
//! the *CLI* section of the repository's `README.md`, and only there. This
//! page says how the binary keeps it.
//!
//! | module | holds |
//! |---|---|
//! | [`args`] | the clap definitions: every option and its help text |
//! | [`commands`] | one file per command; the store is opened only after every argument checked |
//! | [`secrets`] | the store passphrase, the new passphrase, the PKCS#12 password, prompts |
//! | [`files`] | `--in` / `--out` files, stdin spooling, temporary files |
//! | [`output`] | every line and JSON object printed on stdout, and the words they use |
//! | [`failure`] | why a command failed, its exit code, the one-line `smime:` message |
//!
//! How the contract is kept:
//!
//! * Every argument is checked (addresses, fingerprints, certificate and
//!   bundle files read) before the store is opened, so bad input never
//!   creates or touches a store. `verify` never opens it (unless
//!   `--remember`); `encrypt` only for `--to-addr` and `--sign-with`;
//!   `sign --p12` and `decrypt --p12` never.
//! * A prompt is attempted only when stdin is a terminal; otherwise the
//!   command fails at once naming the variable or option to use.
//! * `--out` replaces only regular files, atomically; links, hard-linked
//!   files, FIFOs, devices and stdout are written through ([`files`] has
//!   the rules); temporary files are unnamed while written, or removed on
//!   SIGINT/SIGTERM/SIGHUP where they must have a name.
//! * Messages stream in memory that does not grow with their size: `sign`
//!   and `encrypt` read their input twice (a 7-bit transport scan first;
//!   stdin is spooled to an anonymous temporary file), `verify` and
//!   `decrypt` once. Decrypted content reaches stdout or `--out` only once
//!   the CBC padding or GCM tag checked.
//! * An error is exactly one line on stderr, `smime: <message>`, never a
//!   backtrace or a secret.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod args;
mod commands;
mod failure;
mod files;
mod output;
mod printable;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
