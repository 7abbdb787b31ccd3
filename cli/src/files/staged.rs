//! A new file written next to its final path and put there in one rename,
//! so the path holds the old content or the whole new one, never a part.
//!
//! On Linux the file is unnamed while it is written (`O_TMPFILE` in the
//! target's directory, mode 0600): no other process can open it, and
//! whatever ends the process, SIGKILL included, leaves nothing behind. Once
//! complete it gets the final mode (and owner, where allowed), is flushed
//! to disk, linked under a temporary name (`linkat` through
//! `/proc/self/fd`) and renamed onto the target. Where `O_TMPFILE` is not
//! supported, a named 0600 temporary file is used instead, registered for
//! removal on SIGINT/SIGTERM/SIGHUP (see [`super::cleanup`]).

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Seek};
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::{Builder, NamedTempFile};

use super::cleanup;

/// Mode of a new output file (and of every temporary file).
const NEW_FILE_MODE: u32 = 0o600;

/// Names of temporary files: hidden, recognisable.
fn builder() -> Builder<'static, 'static> {
    let mut builder = Builder::new();
    builder.prefix(".smime-").suffix(".tmp");
    builder
}

/// The output file being written.
pub struct Staged {
    /// The path it will have.
    target: PathBuf,
    /// The target's directory, where the file lives meanwhile.
    dir: PathBuf,
    /// Permission bits it will have: the replaced file's, else 0600.
    mode: u32,
    /// Owner it will have when allowed: the replaced file's.
    owner: Option<(u32, u32)>,
    /// `None` only once committed.
    place: Option<Place>,
}

enum Place {
    /// `O_TMPFILE`: no name until committed.
    Unnamed(File),
    /// The fallback: a named temporary file, registered for cleanup.
    Named(NamedTempFile),
}

impl Staged {
    /// A file that will replace `target` (`existing`: its metadata, when
    /// there is one).
    pub fn new(target: &Path, existing: Option<&Metadata>) -> io::Result<Self> {
        let dir = match target.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
            _ => PathBuf::from("."),
        };
        let place = match unnamed_in(&dir)? {
            Some(file) => Place::Unnamed(file),
            None => Place::Named(named_in(&dir)?),
        };
        Ok(Staged {
            target: target.to_owned(),
            dir,
            mode: existing.map_or(NEW_FILE_MODE, mode_of),
            owner: existing.and_then(owner_of),
            place: Some(place),
        })
    }

    /// Where to write.
    pub fn file(&mut self) -> io::Result<&mut File> {
        match &mut self.place {
            Some(Place::Unnamed(file)) => Ok(file),
            Some(Place::Named(named)) => Ok(named.as_file_mut()),
            None => Err(io::Error::other("output already committed")),
        }
    }

    /// Gives the complete file its mode and owner, flushes it to disk and
    /// renames it onto the target.
    pub fn commit(mut self) -> io::Result<()> {
        match self.place.take() {
            Some(Place::Unnamed(file)) => {
                self.finish(&file)?;
                cleanup::locked(|registry| match link_in(&self.dir, &file) {
                    Ok(linked) => persist(registry, linked, &self.target),
                    // No /proc and no CAP_DAC_READ_SEARCH: copy it out.
                    Err(_) => {
                        let copy = copy_in(&self.dir, &file)?;
                        self.finish(copy.as_file())?;
                        persist(registry, copy, &self.target)
                    }
                })
            }
            Some(Place::Named(named)) => cleanup::locked(|registry| {
                self.finish(named.as_file())?;
                persist(registry, named, &self.target)
            }),
            None => Ok(()),
        }
    }

    /// Owner (where allowed), then mode (a change of owner may clear
    /// bits), then the data on disk.
    fn finish(&self, file: &File) -> io::Result<()> {
        #[cfg(unix)]
        if let Some((uid, gid)) = self.owner {
            let ours = file.metadata()?;
            if (ours.uid(), ours.gid()) != (uid, gid)
                && std::os::unix::fs::fchown(file, Some(uid), Some(gid)).is_err()
            {
                // Not root: keep our uid, take the group if we are in it.
                let _ = std::os::unix::fs::fchown(file, None, Some(gid));
            }
        }
        #[cfg(unix)]
        file.set_permissions(std::fs::Permissions::from_mode(self.mode))?;
        file.sync_all()
    }
}

/// The permission bits a replaced file had.
#[cfg(unix)]
fn mode_of(meta: &Metadata) -> u32 {
    meta.mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(_meta: &Metadata) -> u32 {
    NEW_FILE_MODE
}

/// The owner a replaced file had.
#[cfg(unix)]
fn owner_of(meta: &Metadata) -> Option<(u32, u32)> {
    Some((meta.uid(), meta.gid()))
}

#[cfg(not(unix))]
fn owner_of(_meta: &Metadata) -> Option<(u32, u32)> {
    None
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Not committed: an unnamed file vanishes with its descriptor; a
        // named one is removed (by NamedTempFile) and unregistered.
        if let Some(Place::Named(named)) = self.place.take() {
            cleanup::locked(|registry| {
                registry.remove(named.path());
                drop(named);
            });
        }
    }
}

/// Renames `temp` onto `target`, registered for cleanup meanwhile (a
/// failed rename drops, and so removes, `temp`).
fn persist<F>(
    registry: &mut cleanup::Registry<'_>,
    temp: NamedTempFile<F>,
    target: &Path,
) -> io::Result<()> {
    let path = temp.path().to_owned();
    registry.add(&path);
    let persisted = temp.persist(target).map(drop).map_err(|e| e.error);
    registry.remove(&path);
    persisted
}

/// An unnamed 0600 file in `dir` (`O_TMPFILE`), or `None` where the system
/// or the file system has none.
#[cfg(target_os = "linux")]
fn unnamed_in(dir: &Path) -> io::Result<Option<File>> {
    use rustix::fs::{CWD, Mode, OFlags, openat};
    use rustix::io::Errno;
    if force_named() {
        return Ok(None);
    }
    let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
    match openat(CWD, dir, flags, Mode::from_raw_mode(NEW_FILE_MODE)) {
        Ok(fd) => Ok(Some(File::from(fd))),
        // The "not supported" answers to O_TMPFILE.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn unnamed_in(_dir: &Path) -> io::Result<Option<File>> {
    Ok(None)
}

/// Debug builds only: `SMIME_TEST_NAMED_STAGING=1` takes the fallback path,
/// so the tests can reach it on a file system that has `O_TMPFILE`.
#[cfg(target_os = "linux")]
fn force_named() -> bool {
    cfg!(debug_assertions) && std::env::var_os("SMIME_TEST_NAMED_STAGING").is_some()
}

/// A named 0600 temporary file in `dir` (tempfile's mode), registered for
/// cleanup.
fn named_in(dir: &Path) -> io::Result<NamedTempFile> {
    cleanup::locked(|registry| {
        let named = builder().tempfile_in(dir)?;
        registry.add(named.path());
        Ok(named)
    })
}

/// Gives the unnamed `file` a temporary name in `dir` (`linkat` through
/// `/proc/self/fd`, else `AT_EMPTY_PATH`, which needs privilege).
#[cfg(target_os = "linux")]
fn link_in(dir: &Path, file: &File) -> io::Result<NamedTempFile<()>> {
    use rustix::fs::{AtFlags, CWD, linkat};
    use rustix::io::Errno;
    use std::os::fd::AsRawFd;
    let by_proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    builder().make_in(dir, |name| {
        match linkat(CWD, by_proc.as_str(), CWD, name, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => Ok(()),
            // Name taken: make_in tries another.
            Err(Errno::EXIST) => Err(Errno::EXIST.into()),
            Err(_) => linkat(file, "", CWD, name, AtFlags::EMPTY_PATH).map_err(Into::into),
        }
    })
}

#[cfg(not(target_os = "linux"))]
fn link_in(_dir: &Path, _file: &File) -> io::Result<NamedTempFile<()>> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// A named 0600 copy of the unnamed `file` in `dir`.
fn copy_in(dir: &Path, file: &File) -> io::Result<NamedTempFile> {
    let mut named = builder().make_in(dir, |name| {
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        options.mode(NEW_FILE_MODE);
        options.open(name)
    })?;
    let mut source = file;
    source.rewind()?;
    io::copy(&mut source, named.as_file_mut())?;
    Ok(named)
}
