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

/// Inputs at least this long are worth a second thread ([`offload`]);
/// below, starting one costs more than it saves.
pub(crate) const OFFLOAD_FROM: u64 = 1 << 20;

/// The octets left in `input` from where it is (its position unchanged).
pub(crate) fn remaining<R: std::io::Seek>(input: &mut R) -> Result<u64> {
    let here = input.stream_position()?;
    let end = input.seek(std::io::SeekFrom::End(0))?;
    input.seek(std::io::SeekFrom::Start(here))?;
    Ok(end.saturating_sub(here))
}

/// Jobs in flight between the two threads of [`offload`].
const IN_FLIGHT: usize = 4;

/// Octets per job of [`offload`]: large, because every hand-over wakes a
/// thread, which on a virtual machine costs as much as hashing tens of
/// KiB; [`IN_FLIGHT`] of them (twice, input and output) stay well inside
/// the flat-memory budget.
const JOB: usize = 512 << 10;

/// A chunk on its way to the worker, and what the worker made of it;
/// cleared when dropped (the chunks may be plaintext on its way to AES).
struct Job {
    input: zeroize::Zeroizing<Vec<u8>>,
    output: Vec<u8>,
}

/// Overlaps two stages of a stream on two threads: `produce` runs on this
/// thread (reading and canonicalizing; the reader and writer need not be
/// `Send`) and hands chunks to its sink; `work` runs on a second thread
/// over each chunk in order, with `state`, and may fill an output buffer,
/// which `emit` receives back here, in order. Returns `produce`'s value
/// and the state. A 2-core machine runs hashing or AES beside the reading,
/// scanning, base64 and writing; the chunks are copied once (memcpy is
/// cheap beside either stage).
pub(crate) fn offload<S, T, P, F, E>(
    mut state: S,
    work: F,
    produce: P,
    mut emit: E,
) -> Result<(T, S)>
where
    S: Send,
    F: Fn(&mut S, &[u8], &mut Vec<u8>) -> Result<()> + Send,
    P: FnOnce(&mut dyn FnMut(&[u8]) -> Result<()>) -> Result<T>,
    E: FnMut(&[u8]) -> Result<()>,
{
    use std::sync::mpsc::sync_channel;
    let (to_worker, jobs) = sync_channel::<Job>(IN_FLIGHT);
    let (to_main, done) = sync_channel::<Job>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || -> Result<S> {
            for mut job in jobs {
                job.output.clear();
                work(&mut state, &job.input, &mut job.output)?;
                if to_main.send(job).is_err() {
                    break;
                }
            }
            Ok(state)
        });
        let mut in_flight = 0usize;
        let mut spare: Vec<Job> = Vec::new();
        let mut failed = false;
        let receive = |emit: &mut E, spare: &mut Vec<Job>| -> Result<bool> {
            match done.recv() {
                Ok(job) => {
                    emit(&job.output)?;
                    spare.push(job);
                    Ok(true)
                }
                // The worker stopped: its error is returned below.
                Err(_) => Ok(false),
            }
        };
        // Bytes gather in `filling` until a job is full: one hand-over
        // (two thread wake-ups) per JOB octets, however small the calls.
        let mut filling: Option<Job> = None;
        let hand_over = |job: Job,
                         in_flight: &mut usize,
                         spare: &mut Vec<Job>,
                         failed: &mut bool,
                         emit: &mut E|
         -> Result<()> {
            if *in_flight == IN_FLIGHT {
                if !receive(emit, spare)? {
                    *failed = true;
                    return Err(Error::Io(io::Error::other("worker stopped")));
                }
                *in_flight -= 1;
            }
            if to_worker.send(job).is_err() {
                *failed = true;
                return Err(Error::Io(io::Error::other("worker stopped")));
            }
            *in_flight += 1;
            Ok(())
        };
        let mut produced = produce(&mut |mut bytes: &[u8]| {
            while !bytes.is_empty() {
                if failed {
                    return Err(Error::Io(io::Error::other("worker stopped")));
                }
                let mut job = match filling.take() {
                    Some(job) => job,
                    None => {
                        let mut job = spare.pop().unwrap_or_else(|| Job {
                            input: zeroize::Zeroizing::new(Vec::with_capacity(JOB)),
                            output: Vec::with_capacity(JOB + 64),
                        });
                        job.input.clear();
                        job
                    }
                };
                let room = JOB.saturating_sub(job.input.len()).min(bytes.len());
                let (piece, rest) = bytes.split_at(room);
                job.input.extend_from_slice(piece);
                bytes = rest;
                if job.input.len() < JOB {
                    filling = Some(job);
                } else {
                    hand_over(job, &mut in_flight, &mut spare, &mut failed, &mut emit)?;
                }
            }
            Ok(())
        });
        if let Some(job) = filling.take().filter(|job| !job.input.is_empty())
            && produced.is_ok()
            && let Err(e) = hand_over(job, &mut in_flight, &mut spare, &mut failed, &mut emit)
        {
            produced = Err(e);
        }
        drop(to_worker);
        let mut drained = Ok(());
        while in_flight > 0 {
            match receive(&mut emit, &mut spare) {
                Ok(true) => in_flight -= 1,
                Ok(false) => break,
                Err(e) => {
                    drained = Err(e);
                    break;
                }
            }
        }
        drop(done);
        let state = match worker.join() {
            Ok(state) => state,
            Err(_) => Err(Error::Io(io::Error::other("worker panicked"))),
        };
        // The worker's own error first: it is why the others happened.
        let state = state?;
        drained?;
        Ok((produced?, state))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offload_keeps_order_and_returns_the_state() {
        let chunks: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; usize::from(i) * 100]).collect();
        let mut emitted = Vec::new();
        let (count, total) = offload(
            0usize,
            |total, bytes, out| {
                *total += bytes.len();
                out.extend(bytes.iter().map(|b| b.wrapping_add(1)));
                Ok(())
            },
            |sink| {
                for chunk in &chunks {
                    sink(chunk)?;
                }
                Ok(chunks.len())
            },
            |out| {
                emitted.extend_from_slice(out);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(count, 50);
        assert_eq!(total, chunks.iter().map(Vec::len).sum::<usize>());
        let expected: Vec<u8> = chunks.concat().iter().map(|b| b.wrapping_add(1)).collect();
        assert_eq!(emitted, expected);
    }

    #[test]
    fn calls_are_gathered_into_jobs_of_equal_size() {
        let big = vec![7u8; JOB * 3 + 5];
        let (_, sizes) = offload(
            Vec::new(),
            |sizes: &mut Vec<usize>, bytes, _| {
                sizes.push(bytes.len());
                Ok(())
            },
            |sink| sink(&big),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(sizes, [JOB, JOB, JOB, 5]);
        let (_, sizes) = offload(
            Vec::new(),
            |sizes: &mut Vec<usize>, bytes, _| {
                sizes.push(bytes.len());
                Ok(())
            },
            |sink| big.chunks(1000).try_for_each(sink),
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(sizes, [JOB, JOB, JOB, 5]);
    }

    #[test]
    fn a_worker_error_is_the_error_returned() {
        let result = offload(
            (),
            |_, bytes, _| {
                if bytes.windows(3).any(|w| w == b"bad") {
                    Err(Error::InputChanged)
                } else {
                    Ok(())
                }
            },
            |sink| {
                for _ in 0..20 {
                    sink(b"good")?;
                }
                sink(b"bad")?;
                for _ in 0..20 {
                    sink(b"good")?;
                }
                Ok(())
            },
            |_| Ok(()),
        );
        assert!(matches!(result, Err(Error::InputChanged)), "{result:?}");
    }

    #[test]
    fn an_emit_error_stops_the_stream() {
        let result = offload(
            (),
            |_, bytes, out| {
                out.extend_from_slice(bytes);
                Ok(())
            },
            |sink| {
                for _ in 0..100 {
                    sink(b"x")?;
                }
                Ok(())
            },
            |_| Err(Error::InputChanged),
        );
        assert!(matches!(result, Err(Error::InputChanged)), "{result:?}");
    }
}
