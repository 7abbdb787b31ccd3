//! Input and output files: `--in` (else stdin), `--out` (else stdout), and
//! the temporary files that keep unauthenticated or partial output from
//! being seen.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

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
            spool.seek(io::SeekFrom::Start(0))?;
            Ok(spool)
        }
    }
}

/// An anonymous temporary file (already unlinked): for intermediate
/// results that are read back once complete.
pub fn spool() -> Result<File, Failure> {
    Ok(tempfile::tempfile()?)
}

/// Runs `write` on `--out FILE` or on stdout. A file is written under a
/// temporary name next to it and renamed into place only when `write`
/// succeeds, so a failure never leaves a partial file behind.
pub fn with_output<T>(
    file: Option<&Path>,
    stdout: &mut impl Write,
    write: impl FnOnce(&mut dyn Write) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let Some(file) = file else {
        let mut buffered = io::BufWriter::with_capacity(BUFFER, stdout);
        let value = write(&mut buffered)?;
        buffered.flush()?;
        return Ok(value);
    };
    let dir = match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let named = named(file);
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(&named)?;
    let value = {
        let mut buffered = io::BufWriter::with_capacity(BUFFER, tmp.as_file_mut());
        let value = write(&mut buffered)?;
        buffered.flush().map_err(&named)?;
        value
    };
    tmp.persist(file).map_err(|e| named(e.error))?;
    Ok(value)
}
