//! Input and output files: `--in` (else stdin), `--out` (else stdout), and
//! the temporary files that keep partial or unauthenticated output from
//! being seen.
//!
//! `--out PATH` never replaces anything but a regular file:
//!
//! * a path that does not exist, or a regular file with one name: the
//!   output is written to a new file in the same directory and renamed onto
//!   the path only when complete ([`staged`]); it keeps the replaced file's
//!   permission bits and owner (where allowed), a new file is 0600 (a
//!   secret, [`Content::Secret`], is always 0600);
//! * a regular file with several names (hard links), or one reached through
//!   a symbolic link: written in place like `cp` does, so every name sees
//!   the new content and the link stays a link; the output is spooled to
//!   an unnamed temporary file first and copied in only when complete;
//! * anything else — a FIFO, a character or block device, a socket, a
//!   symbolic link to one of these, or our own standard output (`--out
//!   /dev/stdout`) — is opened and written through, never renamed over.

mod cleanup;
mod staged;

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, Write};
#[cfg(unix)]
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use self::staged::Staged;
use crate::failure::Failure;

/// Buffer size for writing messages.
const BUFFER: usize = 64 * 1024;

/// An I/O error that names the file it happened on.
fn named(file: &Path) -> impl Fn(io::Error) -> io::Error + '_ {
    move |e| io::Error::new(e.kind(), format!("{}: {e}", file.display()))
}

/// The whole of a (small) file: a bundle, a certificate.
pub fn read(file: &Path) -> Result<Vec<u8>, Failure> {
    Ok(std::fs::read(file).map_err(named(file))?)
}

/// Opens `file` for reading.
pub fn open(file: &Path) -> Result<File, Failure> {
    Ok(File::open(file).map_err(named(file))?)
}

/// The message from `file`, else from stdin, as a stream.
pub fn stream_input(file: Option<&Path>) -> Result<Box<dyn Read>, Failure> {
    Ok(match file {
        Some(file) => Box::new(open(file)?),
        None => Box::new(io::stdin().lock()),
    })
}

/// The message as a file that can be read twice (signing and encryption
/// scan before they stream): `file` itself, or stdin copied to an
/// anonymous temporary file.
pub fn seekable_input(file: Option<&Path>) -> Result<File, Failure> {
    match file {
        Some(file) => open(file),
        None => {
            let mut spool = spool()?;
            io::copy(&mut io::stdin().lock(), &mut spool)?;
            spool.rewind()?;
            Ok(spool)
        }
    }
}

/// An anonymous temporary file (unnamed, or unlinked at once): for
/// intermediate results read back once complete.
pub fn spool() -> Result<File, Failure> {
    Ok(tempfile::tempfile()?)
}

/// When what is written may be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// As it is written (signing, encryption, verified content: a failure
    /// still leaves no partial file, but a FIFO or stdout sees bytes as
    /// they come).
    AsWritten,
    /// Only once complete: decrypted plaintext, authenticated (CBC padding,
    /// GCM tag) only at its end. Spooled for stdout, FIFOs and devices.
    WhenComplete,
    /// A secret (an exported private key): as [`Content::WhenComplete`],
    /// and a regular file is left 0600 whatever mode it had (a replaced
    /// file does not lend its mode, a file written in place is chmod 0600);
    /// a FIFO or device has no mode of its own to set.
    Secret,
}

/// Where `--out` (or its absence) sent the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Our standard output: no `--out`, or a path that is our stdout
    /// (`/dev/stdout`, `--out F > F`). A status line on stdout would land
    /// inside the data.
    Stdout,
    /// A file (or FIFO, device) other than our stdout.
    Elsewhere,
}

/// What `--out PATH` is, and so how it is written.
#[derive(Debug)]
enum Target {
    /// Our own standard output (`/dev/stdout`, `/proc/self/fd/1`).
    Stdout,
    /// New, or a regular file with one name: staged and renamed.
    Replace(Option<Metadata>),
    /// A regular file with several names or behind a symbolic link (or a
    /// dangling link, whose target is created): written in place.
    InPlace,
    /// A FIFO, device or socket (or a link to one): written through.
    Through,
}

impl Target {
    fn of(path: &Path) -> io::Result<Target> {
        let link = match std::fs::symlink_metadata(path) {
            Ok(link) => link,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::Replace(None)),
            Err(e) => return Err(e),
        };
        let is_link = link.file_type().is_symlink();
        let meta = if is_link {
            match std::fs::metadata(path) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Target::InPlace),
                Err(e) => return Err(e),
            }
        } else {
            link
        };
        let kind = meta.file_type();
        if kind.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        if is_stdout(&meta) {
            return Ok(Target::Stdout);
        }
        Ok(if !kind.is_file() {
            Target::Through
        } else if is_link || links(&meta) > 1 {
            Target::InPlace
        } else {
            Target::Replace(Some(meta))
        })
    }
}

/// How many names the file has.
#[cfg(unix)]
fn links(meta: &Metadata) -> u64 {
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_meta: &Metadata) -> u64 {
    1
}

/// Is `meta` the file (or pipe, or terminal) our stdout is?
#[cfg(unix)]
fn is_stdout(meta: &Metadata) -> bool {
    use std::os::fd::AsFd;
    let ours = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| File::from(fd).metadata());
    ours.is_ok_and(|ours| (ours.dev(), ours.ino()) == (meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn is_stdout(_meta: &Metadata) -> bool {
    false
}

/// Opens an existing `--out` target to write through it; a dangling
/// symbolic link's target is created 0600.
fn open_through(path: &Path, truncate: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)
}

/// Runs `write` on `--out FILE`, else on `stdout`, as the module doc says;
/// on an error nothing was renamed or copied into place.
pub fn with_output<T>(
    file: Option<&Path>,
    stdout: &mut impl Write,
    content: Content,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    with_output_to(file, stdout, content, write).map(|(value, _)| value)
}

/// [`with_output`], also saying where the output went, for commands that
/// follow it with a status line on stdout.
pub fn with_output_to<T>(
    file: Option<&Path>,
    stdout: &mut impl Write,
    content: Content,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<(T, Destination), Failure> {
    let Some(path) = file else {
        return Ok((to_stream(stdout, content, write)?, Destination::Stdout));
    };
    let named = named(path);
    let value = match Target::of(path).map_err(&named)? {
        Target::Stdout => {
            return Ok((to_stream(stdout, content, write)?, Destination::Stdout));
        }
        Target::Through if content == Content::AsWritten => {
            let mut through = open_through(path, false).map_err(&named)?;
            buffered(&mut through, write)?
        }
        Target::Through => {
            let (value, mut spool) = spooled(write)?;
            let mut through = open_through(path, false).map_err(&named)?;
            io::copy(&mut spool, &mut through).map_err(&named)?;
            value
        }
        Target::InPlace => {
            let (value, mut spool) = spooled(write)?;
            let mut file = open_through(path, true).map_err(&named)?;
            if content == Content::Secret {
                make_private(&file).map_err(&named)?;
            }
            io::copy(&mut spool, &mut file).map_err(&named)?;
            file.sync_all().map_err(&named)?;
            value
        }
        Target::Replace(existing) => {
            // A secret does not take the replaced file's mode: 0600.
            let existing = existing.filter(|_| content != Content::Secret);
            let mut staged = Staged::new(path, existing.as_ref()).map_err(&named)?;
            let value = buffered(staged.file().map_err(&named)?, write)?;
            staged.commit().map_err(&named)?;
            value
        }
    };
    Ok((value, Destination::Elsewhere))
}

/// Leaves a regular file written in place readable by its owner only,
/// before the secret goes in.
#[cfg(unix)]
fn make_private(file: &File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_file: &File) -> io::Result<()> {
    Ok(())
}

/// Output past which [`Widening`] widens a stdout pipe: below it, the
/// default 64 KiB pipe costs a handful of wake-ups.
const WIDEN_AFTER: usize = 1 << 20;

/// Our stdout, which asks for a wider pipe ([`widen_stdout_pipe`]) once
/// the output turns out longer than [`WIDEN_AFTER`]: only long messages
/// charge the pipe's owner for a 1 MiB buffer.
struct Widening<W> {
    inner: W,
    written: usize,
}

impl<W: Write> Write for Widening<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let before = self.written;
        if before < WIDEN_AFTER && before.saturating_add(buf.len()) >= WIDEN_AFTER {
            widen_stdout_pipe();
        }
        let n = self.inner.write(buf)?;
        self.written = before.saturating_add(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The buffer [`widen_stdout_pipe`] asks for: the default
/// `/proc/sys/fs/pipe-max-size`.
#[cfg(target_os = "linux")]
const PIPE: usize = 1 << 20;

/// When stdout is a pipe, asks Linux for a 1 MiB pipe buffer instead of
/// the default 64 KiB (`F_SETPIPE_SZ`), never a smaller one and never
/// more than `/proc/sys/fs/pipe-max-size` allows (root could exceed it):
/// a message of tens of MiB then wakes the reader at the other end
/// sixteen times less often, which on a virtual machine halves the time
/// the bytes spend in the pipe (64 MiB: 65 ms → 30 ms measured). The
/// pages count against the pipe owner's `pipe-user-pages-soft` while the
/// pipe lives, which is why only long outputs ask ([`Widening`]). Best
/// effort: the system's limits may refuse, and the pipe then stays as it
/// was.
#[cfg(target_os = "linux")]
fn widen_stdout_pipe() {
    let stdout = io::stdout();
    let Ok(stat) = rustix::fs::fstat(&stdout) else {
        return;
    };
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::Fifo {
        return;
    }
    let max = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .ok()
        .and_then(|max| max.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let wanted = PIPE.min(max);
    if rustix::pipe::fcntl_getpipe_size(&stdout).is_ok_and(|size| size >= wanted) {
        return;
    }
    // Refused (EPERM over the user's pipe quota, EBUSY): nothing to undo.
    let _ = rustix::pipe::fcntl_setpipe_size(&stdout, wanted);
}

/// Elsewhere pipes keep their size.
#[cfg(not(target_os = "linux"))]
fn widen_stdout_pipe() {}

/// `write` on a stream (stdout, or our stdout by another name).
fn to_stream<T>(
    stream: &mut impl Write,
    content: Content,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut stream = Widening {
        inner: stream,
        written: 0,
    };
    match content {
        Content::AsWritten => buffered(&mut stream, write),
        Content::WhenComplete | Content::Secret => {
            let (value, mut spool) = spooled(write)?;
            io::copy(&mut spool, &mut stream)?;
            stream.flush()?;
            Ok(value)
        }
    }
}

/// `write` through a buffer onto `sink`, flushed.
fn buffered<T>(
    sink: &mut impl Write,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let mut buffered = io::BufWriter::with_capacity(BUFFER, sink);
    let value = write(&mut buffered)?;
    buffered.flush()?;
    Ok(value)
}

/// `write` into an anonymous spool file, rewound for reading.
fn spooled<T>(
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<(T, File), Failure> {
    let mut spool = spool()?;
    let value = buffered(&mut spool, write)?;
    spool.rewind()?;
    Ok((value, spool))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn kind(path: &Path) -> &'static str {
        match Target::of(path) {
            Ok(Target::Stdout) => "stdout",
            Ok(Target::Replace(None)) => "new",
            Ok(Target::Replace(Some(_))) => "replace",
            Ok(Target::InPlace) => "in place",
            Ok(Target::Through) => "through",
            Err(_) => "error",
        }
    }

    #[test]
    fn targets_are_classified_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"old").unwrap();
        let second = dir.path().join("second-name");
        std::fs::hard_link(&file, &second).unwrap();
        let single = dir.path().join("single");
        std::fs::write(&single, b"old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&single, &link).unwrap();
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert_eq!(kind(&dir.path().join("missing")), "new");
        assert_eq!(kind(&single), "replace");
        assert_eq!(kind(&file), "in place");
        assert_eq!(kind(&link), "in place");
        assert_eq!(kind(&dangling), "in place");
        assert_eq!(kind(dir.path()), "error");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out");
        std::fs::write(&file, b"old").unwrap();
        let result = with_output(Some(&file), &mut io::sink(), Content::AsWritten, |w| {
            w.write_all(b"partial")?;
            Err::<(), _>(Failure::Usage("failed".into()))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_new_one_is_0600() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        std::fs::write(&old, b"old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o640)).unwrap();
        let new = dir.path().join("new");
        for path in [&old, &new] {
            with_output(Some(path), &mut io::sink(), Content::WhenComplete, |w| {
                Ok(w.write_all(b"new")?)
            })
            .unwrap();
            assert_eq!(std::fs::read(path).unwrap(), b"new");
        }
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&old), 0o640);
        assert_eq!(mode(&new), 0o600);
    }
}
