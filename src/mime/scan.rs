//! The one-pass scan of an entity before it is signed or encrypted
//! (RFC 8551 §3.1.1-3.1.2): does a 7-bit transport leave it alone, does
//! the boundary occur in it; the canonical form handed on as it is read.
#![forbid(unsafe_code)]

use std::io::{self, Read, Seek, SeekFrom};

use super::MAX_LINE;
use super::canonical::*;
use super::entity::{split_message, with_content_type};
use super::header::read_head;
use crate::error::Result;
use crate::io::{CHUNK, read_some};

/// What a first pass over an entity found.
pub(crate) struct Scan {
    /// Nothing a 7-bit transport would alter: no NUL, no 8-bit byte, no
    /// line over 998 octets. Such an entity is prepared for signing by
    /// canonicalizing its line ends and nothing else.
    pub(crate) transport_safe: bool,
    /// The candidate boundary occurs in the entity.
    pub(crate) contains_boundary: bool,
    /// The body after `head` is canonical already (every CR is followed
    /// by LF and every LF preceded by CR): it is copied, not rewritten.
    pub(crate) canonical: bool,
}

/// Scans `head` then the rest of `reader` (see [`Scan`]), handing the
/// canonical form of what it reads after `head` to `sink` in the same
/// pass (so a signature's hash needs no pass of its own).
pub(crate) fn scan<R: Read>(
    head: &[u8],
    reader: &mut R,
    boundary: &[u8],
    sink: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<Scan> {
    let mut scanner = Scanner::new(boundary);
    scanner.feed(head, false);
    let mut canonicalizer = Canonicalizer::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_some(reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        let (was, previous) = (scanner.canonical, scanner.previous);
        scanner.feed(chunk, true);
        if scanner.canonical {
            sink(chunk)?;
            continue;
        }
        if was && previous == b'\r' {
            // The body stops being canonical here: a CR already handed on
            // as it was gets its LF, and a LF starting this chunk is its.
            sink(b"\n")?;
            canonicalizer.pending_cr = true;
        }
        canonicalizer.push(chunk, sink)?;
    }
    // A body ending in a bare CR: its canonical LF is still to come.
    let mut canonical = scanner.canonical;
    if canonical && scanner.previous == b'\r' {
        canonical = false;
        sink(b"\n")?;
    }
    Ok(Scan {
        transport_safe: scanner.safe,
        contains_boundary: scanner.found,
        canonical,
    })
}

/// The transport-safety and boundary checks of [`scan`], chunk by chunk.
struct Scanner {
    finder: Option<memchr::memmem::Finder<'static>>,
    keep: usize,
    line: usize,
    safe: bool,
    found: bool,
    window: Vec<u8>,
    /// The body so far has only CRLF line ends (a CR at its very end aside).
    canonical: bool,
    /// The body's last octet so far (0 before it).
    previous: u8,
}

impl Scanner {
    fn new(boundary: &[u8]) -> Scanner {
        Scanner {
            finder: (!boundary.is_empty())
                .then(|| memchr::memmem::Finder::new(boundary).into_owned()),
            keep: boundary.len().saturating_sub(1),
            line: 0,
            safe: true,
            found: false,
            window: Vec::with_capacity(CHUNK + boundary.len()),
            canonical: true,
            previous: 0,
        }
    }

    /// Checks `bytes`, and, when they are `body`, whether they keep the
    /// body canonical.
    fn feed(&mut self, bytes: &[u8], body: bool) {
        let mut canonical = body && self.canonical;
        if canonical && self.previous == b'\r' && bytes.first().is_some_and(|&b| b != b'\n') {
            canonical = false;
        }
        // Word-at-a-time friendly: OR of all bytes for the high bit, memchr
        // for NUL and for line ends.
        if bytes.iter().fold(0u8, |acc, &b| acc | b) & 0x80 != 0
            || memchr::memchr(0, bytes).is_some()
        {
            self.safe = false;
        }
        let mut start = 0usize;
        for end in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if self.line + (end - start) > MAX_LINE {
                self.safe = false;
            }
            if canonical {
                // LF only after CR; CR only before LF (or last, for the
                // next chunk to decide).
                canonical = if bytes.get(end) == Some(&b'\n') {
                    let before = end
                        .checked_sub(1)
                        .map_or(Some(&self.previous), |j| bytes.get(j));
                    before == Some(&b'\r')
                } else {
                    bytes.get(end + 1).is_none_or(|&next| next == b'\n')
                };
            }
            self.line = 0;
            start = end + 1;
        }
        self.line += bytes.len() - start.min(bytes.len());
        if self.line > MAX_LINE {
            self.safe = false;
        }
        if body {
            self.canonical = canonical;
            self.previous = bytes.last().copied().unwrap_or(self.previous);
        }
        let Some(finder) = &self.finder else {
            return;
        };
        // `window` holds the last `keep` octets seen before: a match either
        // lies within `bytes` or starts in `window` and ends in the first
        // `keep` octets of `bytes`.
        let carried = self.window.len();
        let prefix = bytes.get(..self.keep.min(bytes.len())).unwrap_or_default();
        self.window.extend_from_slice(prefix);
        if finder.find(&self.window).is_some() || finder.find(bytes).is_some() {
            self.found = true;
        }
        self.window.truncate(carried);
        self.window.extend_from_slice(bytes);
        let cut = self.window.len().saturating_sub(self.keep);
        self.window.drain(..cut);
    }
}

/// An entity that one pass can prepare for signing or encryption: a 7-bit
/// transport would not alter it, so [`prepare_for_signing`] would
/// only canonicalize its line ends (see [`Scan`]).
pub(crate) struct Streamable {
    /// The header fields that stay outside (see [`split_message`]).
    pub(crate) outer: Vec<u8>,
    /// The entity's header section, canonical.
    pub(crate) head: Vec<u8>,
    /// Where the entity's body starts in the input.
    pub(crate) body_start: u64,
    /// The body is canonical as it is: [`canonical_body`] copies it.
    pub(crate) canonical: bool,
}

/// Reads `input` once to decide whether it is [`Streamable`], checking
/// that `boundary` (when not empty) does not occur in the entity, and
/// hands the canonical entity (head, then body) to `sink` as it goes.
/// `None` means: prepare it in memory instead (what `sink` saw is then
/// to be discarded). `add_content_type` gives a headerless entity its RFC
/// 2045 §5.2 default first, as encryption does.
pub(crate) fn streamable<R: Read + Seek>(
    input: &mut R,
    boundary: &[u8],
    add_content_type: bool,
    sink: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<Option<Streamable>> {
    let start = input.stream_position()?;
    let mut reader = io::BufReader::with_capacity(CHUNK, &mut *input);
    let head = read_head(&mut reader)?;
    let (outer, mut entity_head) = split_message(&head)?;
    if add_content_type {
        entity_head = with_content_type(entity_head)?;
    }
    let canonical_head = canonicalize(&entity_head);
    sink(&canonical_head)?;
    let scan = scan(&entity_head, &mut reader, boundary, sink)?;
    if !scan.transport_safe || scan.contains_boundary {
        return Ok(None);
    }
    Ok(Some(Streamable {
        outer,
        head: canonical_head,
        body_start: start + head.len() as u64,
        canonical: scan.canonical,
    }))
}

/// Streams the body of a [`Streamable`] entity, canonicalized, to `sink`.
pub(crate) fn canonical_body<R: Read + Seek>(
    input: &mut R,
    entity: &Streamable,
    sink: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    input.seek(SeekFrom::Start(entity.body_start))?;
    let mut canonicalizer = Canonicalizer::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_some(input, &mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let chunk = buf.get(..n).unwrap_or_default();
        if entity.canonical {
            sink(chunk)?;
        } else {
            canonicalizer.push(chunk, sink)?;
        }
    }
}
