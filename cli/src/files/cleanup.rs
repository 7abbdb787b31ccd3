//! Named temporary files that must not outlive the process: registered
//! here while they exist, removed by a signal thread on SIGINT, SIGTERM or
//! SIGHUP, which then exits with 128 + the signal number.
//!
//! Most staged output never needs this: it lives in an unnamed file
//! (`O_TMPFILE`) that the kernel frees with the process, even on SIGKILL.
//! Only the fallback for file systems without `O_TMPFILE`, and the moment
//! between naming a finished file and renaming it into place, have a path
//! to remove. The signal thread is started the first time a path is
//! registered, so prompts and everything before any output keep the
//! default signal behaviour.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

/// The paths to remove if a signal ends the process.
static REGISTERED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static HANDLER: Once = Once::new();

fn registered() -> MutexGuard<'static, Vec<PathBuf>> {
    REGISTERED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` with the registry locked, the signal thread started: a signal
/// arriving meanwhile is handled only after `f` returns, so a path that `f`
/// creates and registers (or renames away and unregisters) is never missed.
pub fn locked<T>(f: impl FnOnce(&mut Registry<'_>) -> T) -> T {
    HANDLER.call_once(start_handler);
    let mut guard = registered();
    f(&mut Registry(&mut guard))
}

/// The registry, while [`locked`] holds it.
pub struct Registry<'a>(&'a mut Vec<PathBuf>);

impl Registry<'_> {
    pub fn add(&mut self, path: &Path) {
        self.0.push(path.to_owned());
    }

    pub fn remove(&mut self, path: &Path) {
        self.0.retain(|p| p != path);
    }
}

/// Removes every registered path (what the signal thread does).
fn remove_registered(paths: &mut Vec<PathBuf>) {
    for path in paths.drain(..) {
        let _ = std::fs::remove_file(&path);
    }
}

#[cfg(unix)]
fn start_handler() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    // Without the handler a signal still ends the process (default
    // action); only a named temporary file could then be left behind.
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("smime-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until exit: nothing can register or rename meanwhile.
                let mut paths = registered();
                remove_registered(&mut paths);
                std::process::exit(128 + signal);
            }
        });
    drop(spawned);
}

/// Elsewhere the default behaviour stays: a signal could leave a named
/// temporary file behind.
#[cfg(not(unix))]
fn start_handler() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_paths_are_removed_and_unregistered_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"partial").unwrap();
        std::fs::write(&b, b"finished").unwrap();
        let mut paths = Vec::new();
        let mut registry = Registry(&mut paths);
        registry.add(&a);
        registry.add(&b);
        registry.remove(&b);
        remove_registered(&mut paths);
        assert!(!a.exists(), "a registered path survived");
        assert!(b.exists(), "an unregistered path was removed");
        assert!(paths.is_empty());
    }
}
