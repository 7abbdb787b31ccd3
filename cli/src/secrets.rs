//! Where secrets come from, in the order of the CLI contract: the store
//! passphrase, the new store passphrase of `passwd`, the PKCS#12 password.
//! There is deliberately no option that takes a secret on the command line,
//! where every user of the machine could read it (`ps`, `/proc/*/cmdline`);
//! a file's first line, a variable, or a prompt on the terminal.

use std::io::{self, IsTerminal};
use std::path::Path;

use smime::{Passphrase, Password};

use crate::failure::Failure;
use crate::output;

/// Environment variable holding the store passphrase.
const ENV_STORE_PASSPHRASE: &str = "SMIME_STORE_PASSPHRASE";
/// Environment variable holding the new store passphrase (`passwd`).
const ENV_NEW_STORE_PASSPHRASE: &str = "SMIME_NEW_STORE_PASSPHRASE";
/// Environment variable holding the PKCS#12 password.
const ENV_P12_PASSWORD: &str = "SMIME_P12_PASSWORD";

/// The store passphrase: `$SMIME_STORE_PASSPHRASE`, else the first line of
/// `--passphrase-file`, else a prompt. Never empty or only whitespace: a
/// store is never created, or opened, under such a passphrase.
pub fn store_passphrase(file: Option<&Path>) -> Result<Passphrase, Failure> {
    let passphrase = current_store_passphrase(file)?;
    refuse_blank("the store passphrase", passphrase.expose())?;
    Ok(passphrase)
}

/// The store passphrase as [`store_passphrase`] finds it, blank or not:
/// only for `passwd`, so a store given an empty passphrase by an earlier
/// version can still be given a real one.
pub fn current_store_passphrase(file: Option<&Path>) -> Result<Passphrase, Failure> {
    if let Some(value) = env_secret(ENV_STORE_PASSPHRASE)? {
        return Ok(Passphrase::new(value));
    }
    if let Some(file) = file {
        return Passphrase::from_file(file).map_err(unreadable("the store passphrase", file));
    }
    let typed = prompt(
        "Store passphrase: ",
        &format!("set ${ENV_STORE_PASSPHRASE} or use --passphrase-file"),
    )?;
    Ok(Passphrase::new(typed))
}

/// The new store passphrase for `passwd`: `--new-passphrase-file`, else
/// `$SMIME_NEW_STORE_PASSPHRASE`, else a prompt asked twice. Never empty
/// or only whitespace.
pub fn new_store_passphrase(file: Option<&Path>) -> Result<Passphrase, Failure> {
    let new = if let Some(file) = file {
        Passphrase::from_file(file).map_err(unreadable("the new store passphrase", file))?
    } else if let Some(value) = env_secret(ENV_NEW_STORE_PASSPHRASE)? {
        Passphrase::new(value)
    } else {
        let hint = format!("set ${ENV_NEW_STORE_PASSPHRASE} or use --new-passphrase-file");
        let first = Passphrase::new(prompt("New store passphrase: ", &hint)?);
        let again = Passphrase::new(prompt("Repeat new store passphrase: ", &hint)?);
        if first.expose() != again.expose() {
            return Err(Failure::Usage(
                "the new store passphrases do not match".to_owned(),
            ));
        }
        first
    };
    refuse_blank("the new store passphrase", new.expose())?;
    Ok(new)
}

/// Refuses an empty or whitespace-only passphrase or password (`what`
/// names it).
fn refuse_blank(what: &str, secret: &str) -> Result<(), Failure> {
    if secret.is_empty() {
        Err(Failure::Usage(output::secret_empty(what)))
    } else if secret.trim().is_empty() {
        Err(Failure::Usage(output::secret_only_whitespace(what)))
    } else {
        Ok(())
    }
}

/// A `--*-file` that cannot be read, or whose first line is no UTF-8:
/// the error names the secret and the file (never its content).
fn unreadable<'a>(what: &'a str, file: &'a Path) -> impl FnOnce(smime::Error) -> Failure + 'a {
    move |e| Failure::Usage(output::secret_file_unreadable(what, file, &e))
}

/// The PKCS#12 password: the first line of `--password-file`, else
/// `$SMIME_P12_PASSWORD`, else a prompt.
pub fn p12_password(file: Option<&Path>) -> Result<Password, Failure> {
    if let Some(file) = file {
        return Password::from_file(file).map_err(unreadable("the PKCS#12 password", file));
    }
    if let Some(value) = env_secret(ENV_P12_PASSWORD)? {
        return Ok(Password::new(value));
    }
    let typed = prompt(
        "PKCS#12 password: ",
        &format!("set ${ENV_P12_PASSWORD} or use --password-file"),
    )?;
    Ok(Password::new(typed))
}

/// Environment variable holding the export password (`export`).
const ENV_EXPORT_PASSWORD: &str = "SMIME_EXPORT_PASSWORD";

/// The password protecting an exported PKCS#12 bundle: the first line of
/// `--password-file`, else `$SMIME_EXPORT_PASSWORD`, else a prompt asked
/// twice. Never empty or only whitespace: the bundle carries a private key.
pub fn export_password(file: Option<&Path>) -> Result<Password, Failure> {
    let password = if let Some(file) = file {
        Password::from_file(file).map_err(unreadable("the export password", file))?
    } else if let Some(value) = env_secret(ENV_EXPORT_PASSWORD)? {
        Password::new(value)
    } else {
        let hint = format!("set ${ENV_EXPORT_PASSWORD} or use --password-file");
        let first = Password::new(prompt("Export password: ", &hint)?);
        let again = Password::new(prompt("Repeat export password: ", &hint)?);
        if first.expose() != again.expose() {
            return Err(Failure::Usage(
                "the export passwords do not match".to_owned(),
            ));
        }
        first
    };
    refuse_blank("the export password", password.expose())?;
    // C importers end the password at a NUL: refused here, before the
    // store is opened and the key unsealed (pkcs12::export refuses it too).
    if password.expose().contains('\0') {
        return Err(Failure::Usage(output::secret_with_nul(
            "the export password",
        )));
    }
    Ok(password)
}

/// A secret from the environment: `None` when unset, an error when not UTF-8.
fn env_secret(name: &str) -> Result<Option<String>, Failure> {
    match std::env::var(name) {
        Ok(value) => Ok(Some(value)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::Usage(format!("${name} is not valid UTF-8")))
        }
    }
}

/// Asks on the terminal; the caller wraps the answer in its secret type at
/// once. Without a terminal on stdin, fails with `hint`.
fn prompt(question: &str, hint: &str) -> Result<String, Failure> {
    let no_tty = |why: String| Failure::Usage(format!("{why}; {hint}"));
    if !io::stdin().is_terminal() {
        return Err(no_tty("no terminal to prompt on".to_owned()));
    }
    rpassword::prompt_password(question).map_err(|e| no_tty(format!("cannot prompt ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_passphrases_are_refused_with_what_they_are() {
        let refused = |p: &str| match refuse_blank("the store passphrase", p) {
            Err(Failure::Usage(message)) => Some(message),
            _ => None,
        };
        assert_eq!(
            refused("").as_deref(),
            Some("the store passphrase is empty")
        );
        assert_eq!(
            refused(" \t ").as_deref(),
            Some("the store passphrase is only whitespace")
        );
        assert_eq!(refused(" a real one "), None);
        let refused_password =
            |p: &str| match refuse_blank("the export password", Password::new(p).expose()) {
                Err(Failure::Usage(message)) => Some(message),
                _ => None,
            };
        assert_eq!(
            refused_password("").as_deref(),
            Some("the export password is empty")
        );
        assert_eq!(
            refused_password("  ").as_deref(),
            Some("the export password is only whitespace")
        );
        assert_eq!(refused_password("x"), None);
    }
}
