//! Stream plumbing shared by the streaming entry points: the chunk size,
//! reads that retry on `Interrupted`, bounded reads into memory, and
//! carrying our [`Error`] through `std::io`.
#![forbid(unsafe_code)]

use std::io::{self, Read};

use crate::error::{Error, Result};

/// Size of every buffer the streaming paths use.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Reads the rest of `input` into memory, at most `max` bytes
/// ([`Limits::max_in_memory`](crate::Limits::max_in_memory)).
pub(crate) fn read_bounded<R: Read>(input: &mut R, max: u64) -> Result<Vec<u8>> {
    let mut all = Vec::new();
    input.take(max.saturating_add(1)).read_to_end(&mut all)?;
    crate::limits::check("max_in_memory", all.len() as u64, max)?;
    Ok(all)
}

/// `read` that retries on `Interrupted`.
pub(crate) fn read_some<R: Read + ?Sized>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Carries our [`Error`] through `std::io::Read`; [`from_io`] unwraps it.
pub(crate) fn into_io(e: Error) -> io::Error {
    match e {
        Error::Io(e) => e,
        other => io::Error::other(other),
    }
}

/// The inverse of [`into_io`].
pub(crate) fn from_io(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = e.into_inner() {
            if let Ok(ours) = inner.downcast::<Error>() {
                return *ours;
            }
            return Error::Io(io::Error::other("stream error"));
        }
        return Error::Io(io::Error::other("stream error"));
    }
    Error::Io(e)
}
