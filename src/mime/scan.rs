//! The one-pass scan of an entity before it is signed or encrypted
//! (RFC 8551 §3.1.1-3.1.2): does a 7-bit transport leave it alone, does
//! the boundary occur in it; the canonical form handed on as it is read.
#![forbid(unsafe_code)]

use std::io::{self, Read, Seek, SeekFrom};

use super::MAX_LINE;
use super::canonical::*;
use super::entity::{split_message, with_content_type};
use super::header::read_head;
use crate::error::{Error, Result};
use crate::io::{CHUNK, read_some};

/// Read size of the passes over a body: [`CHUNK`] (four times as much
/// measured no faster: fewer calls, but slower copies out of the cache).
const PASS: usize = CHUNK;

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
    let mut buf = vec![0u8; PASS];
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
        let summary = Summary::of(bytes);
        if summary.unsafe_octet {
            self.safe = false;
        }
        let mut canonical = body && self.canonical;
        if canonical {
            // A CR handed on last time wants this chunk's first octet to
            // be its LF; a LF first wants that CR.
            canonical = match bytes.first() {
                None => true,
                Some(&b'\n') => self.previous == b'\r',
                Some(_) => self.previous != b'\r',
            } && !summary.unpaired;
        }
        if summary.interior_lines_short() {
            self.lines_at_ends(bytes);
        } else {
            self.lines_one_by_one(bytes);
        }
        if body {
            self.canonical = canonical;
            self.previous = bytes.last().copied().unwrap_or(self.previous);
        }
        self.find_boundary(bytes);
    }

    /// The line-length check when [`Summary`] proved every line between
    /// the chunk's first and last line end short: only the line carried
    /// in and the one carried out are measured.
    fn lines_at_ends(&mut self, bytes: &[u8]) {
        match (
            memchr::memchr2(b'\r', b'\n', bytes),
            memchr::memrchr2(b'\r', b'\n', bytes),
        ) {
            (Some(first), Some(last)) => {
                if self.line + first > MAX_LINE {
                    self.safe = false;
                }
                self.line = bytes.len() - last - 1;
            }
            _ => self.line += bytes.len(),
        }
        if self.line > MAX_LINE {
            self.safe = false;
        }
    }

    /// The line-length check line by line (a chunk with a long stretch
    /// free of line ends).
    fn lines_one_by_one(&mut self, bytes: &[u8]) {
        let mut start = 0usize;
        for end in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            if self.line + (end - start) > MAX_LINE {
                self.safe = false;
            }
            self.line = 0;
            start = end + 1;
        }
        self.line += bytes.len() - start.min(bytes.len());
        if self.line > MAX_LINE {
            self.safe = false;
        }
    }

    /// Whether the boundary occurs, also across the previous chunk's end.
    fn find_boundary(&mut self, bytes: &[u8]) {
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
        // Only the last `keep` octets are kept: copy no more than those.
        let tail = bytes
            .get(bytes.len().saturating_sub(self.keep)..)
            .unwrap_or_default();
        self.window.extend_from_slice(tail);
        let cut = self.window.len().saturating_sub(self.keep);
        self.window.drain(..cut);
    }
}

/// Octets per block of [`Summary::of`].
const BLOCK: usize = 64;

/// Blocks free of line ends in a row that still prove every line between
/// two line ends short: such a line holds at most that many whole blocks
/// and parts of two more, `64 × (13 + 2) - 2 = 958 <= 998` octets.
const LINE_FREE_BLOCKS: usize = (MAX_LINE + 2) / BLOCK - 2;

/// What one vectorizable pass finds in a chunk (the per-line loop it
/// replaces ran once per line, ~860 000 times for 64 MiB of base64).
struct Summary {
    /// An octet with the high bit set, or NUL.
    unsafe_octet: bool,
    /// A CR not followed by LF, or a LF not preceded by CR, inside the
    /// chunk (its first and last octet are the caller's to judge).
    unpaired: bool,
    /// The most blocks in a row without CR or LF.
    line_free_run: usize,
}

impl Summary {
    fn of(bytes: &[u8]) -> Summary {
        let mut high = 0u8;
        let mut nul = false;
        let mut run = 0usize;
        let mut line_free_run = 0usize;
        for block in bytes.chunks(BLOCK) {
            let mut line_end = false;
            for &b in block {
                high |= b;
                nul |= b == 0;
                line_end |= (b == b'\r') | (b == b'\n');
            }
            run = if line_end { 0 } else { run + 1 };
            line_free_run = line_free_run.max(run);
        }
        let unpaired = bytes
            .iter()
            .zip(bytes.iter().skip(1))
            .fold(false, |acc, (&a, &b)| acc | ((a == b'\r') != (b == b'\n')));
        Summary {
            unsafe_octet: high & 0x80 != 0 || nul,
            unpaired,
            line_free_run,
        }
    }

    /// Every line between the chunk's first and last line end is at most
    /// [`MAX_LINE`] octets (see [`LINE_FREE_BLOCKS`]).
    fn interior_lines_short(&self) -> bool {
        self.line_free_run <= LINE_FREE_BLOCKS
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

/// Streams the body of a [`Streamable`] entity, canonicalized, to `sink`,
/// scanning it again as it goes: an input that changed since
/// [`streamable`] proved it safe (8-bit octets, long lines, the
/// `boundary`, other line ends) is [`Error::InputChanged`], at its end.
pub(crate) fn canonical_body<R: Read + Seek>(
    input: &mut R,
    entity: &Streamable,
    boundary: &[u8],
    sink: &mut impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    input.seek(SeekFrom::Start(entity.body_start))?;
    let mut scanner = Scanner::new(boundary);
    scanner.feed(&entity.head, false);
    let mut canonicalizer = Canonicalizer::default();
    let mut buf = vec![0u8; PASS];
    loop {
        let n = read_some(input, &mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = buf.get(..n).unwrap_or_default();
        scanner.feed(chunk, true);
        if entity.canonical {
            sink(chunk)?;
        } else {
            canonicalizer.push(chunk, sink)?;
        }
    }
    let still_canonical = scanner.canonical && scanner.previous != b'\r';
    if !scanner.safe || scanner.found || (entity.canonical && !still_canonical) {
        return Err(Error::InputChanged);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The scan as it was before [`Summary`]: one step per line end.
    fn reference(chunks: &[&[u8]], boundary: &[u8]) -> (bool, bool, bool) {
        let all: Vec<u8> = chunks.concat();
        let mut safe = !all.iter().any(|&b| b == 0 || b >= 0x80);
        let mut line = 0usize;
        for &b in &all {
            if b == b'\r' || b == b'\n' {
                line = 0;
            } else {
                line += 1;
                if line > MAX_LINE {
                    safe = false;
                }
            }
        }
        let found = !boundary.is_empty() && all.windows(boundary.len()).any(|w| w == boundary);
        let canonical = (0..all.len()).all(|i| match all[i] {
            b'\n' => i > 0 && all[i - 1] == b'\r',
            b'\r' => all.get(i + 1) == Some(&b'\n') || i + 1 == all.len(),
            _ => true,
        });
        if safe {
            safe = line <= MAX_LINE;
        }
        (safe, found, canonical)
    }

    fn scanned(chunks: &[&[u8]], boundary: &[u8]) -> (bool, bool, bool) {
        let mut scanner = Scanner::new(boundary);
        for chunk in chunks {
            scanner.feed(chunk, true);
        }
        (scanner.safe, scanner.found, scanner.canonical)
    }

    /// A xorshift: deterministic inputs without a dependency.
    struct Random(u64);
    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Lines of random lengths (some over 998), CRLF, bare CR or LF,
    /// now and then an 8-bit octet, NUL or the boundary, cut into chunks
    /// at random places: the one-pass summary agrees with the line-by-line
    /// definition every time.
    #[test]
    fn the_summary_agrees_with_the_line_by_line_scan() {
        let boundary = b"=_b0undary_=";
        let mut random = Random(0x9E37_79B9_7F4A_7C15);
        for round in 0..400 {
            let mut input = Vec::new();
            while input.len() < 20_000 {
                let long = random.below(40) == 0;
                let len = if long {
                    900 + random.below(300)
                } else {
                    random.below(120)
                };
                input.extend((0..len).map(|_| b'a' + (random.below(26) as u8)));
                match random.below(60) {
                    0 => input.push(b'\r'),
                    1 => input.push(b'\n'),
                    2 => input.push(0xE9),
                    3 => input.push(0),
                    4 if round % 5 == 0 => input.extend_from_slice(boundary),
                    _ => input.extend_from_slice(b"\r\n"),
                }
            }
            if round % 3 == 0 {
                // Mostly clean inputs too, so `safe` and `canonical` are
                // often true and each chunk takes the fast path.
                input.retain(|&b| b != 0 && b < 0x80);
            }
            let mut cuts = vec![0, input.len()];
            for _ in 0..random.below(12) {
                cuts.push(random.below(input.len()));
            }
            cuts.sort_unstable();
            let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &input[w[0]..w[1]]).collect();
            assert_eq!(
                scanned(&chunks, boundary),
                reference(&chunks, boundary),
                "round {round}, cuts {cuts:?}"
            );
        }
    }

    #[test]
    fn a_line_of_998_octets_is_safe_and_999_is_not() {
        for (len, safe) in [(998, true), (999, false)] {
            let mut input = b"x\r\n".to_vec();
            input.extend(std::iter::repeat_n(b'y', len));
            input.extend_from_slice(b"\r\nz\r\n");
            for split in [1, 2, 500, len] {
                let chunks = [&input[..split], &input[split..]];
                assert_eq!(scanned(&chunks, b"").0, safe, "len {len}, split {split}");
            }
        }
    }
}
