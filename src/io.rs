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

/// `head`, then the rest of `input` (at most `max` bytes of it), in one
/// buffer of exactly their length: read in chunks and joined once, so the
/// peak is the length twice, never the three times of a doubling buffer's
/// last reallocation beside the data it copies. The buffer is zeroed
/// memory (fresh pages the system maps as they are written) filled from
/// its end with the last chunk first, each chunk freed once copied: the
/// most recently allocated memory goes back first, so the resident size
/// stays near the length itself.
pub(crate) fn read_joined<R: Read>(head: &[u8], input: &mut R, max: u64) -> Result<Vec<u8>> {
    const PIECE: u64 = 256 << 10;
    let mut input = input.take(max.saturating_add(1));
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0u64;
    loop {
        let mut chunk = Vec::with_capacity(PIECE as usize);
        let n = input.by_ref().take(PIECE).read_to_end(&mut chunk)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        crate::limits::check("max_in_memory", total, max)?;
        chunk.shrink_to_fit();
        chunks.push(chunk);
    }
    let mut all = vec![0u8; head.len().saturating_add(total as usize)];
    let (start, rest) = all.split_at_mut(head.len());
    start.copy_from_slice(head);
    let mut end = rest.len();
    while let Some(chunk) = chunks.pop() {
        let begin = end.saturating_sub(chunk.len());
        if let Some(slot) = rest.get_mut(begin..end) {
            slot.copy_from_slice(&chunk);
        }
        end = begin;
    }
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
