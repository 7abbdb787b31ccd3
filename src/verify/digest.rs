//! The content's digests: which algorithms to take (`micalg`, RFC 8551
//! §3.5.3.2), the content as received and LF→CRLF canonical (a relay may
//! have rewritten line ends), hashed once as it streams by.
#![forbid(unsafe_code)]

use std::io::{Read, Write};

use openssl::hash::Hasher;

use crate::algorithm::DigestAlgorithm;
use crate::cms::{self, ber::BerReader};
use crate::error::Result;
use crate::limits::Limits;

/// The digests to take of streamed detached content: those `micalg` (RFC
/// 8551 §3.5.3.2) announces and SHA-256 (the one clients use whatever they
/// announce); every supported one when `micalg` is missing or names none
/// we know. A signer using another digest is reported invalid with that
/// reason ([`verify()`] in memory is not limited so).
pub(super) fn micalg_digests(micalg: Option<&str>) -> Vec<DigestAlgorithm> {
    let named: Vec<DigestAlgorithm> = micalg
        .unwrap_or_default()
        .split(',')
        .filter_map(DigestAlgorithm::from_micalg)
        .collect();
    if named.is_empty() {
        return DigestAlgorithm::ALL.to_vec();
    }
    let mut digests = named;
    if !digests.contains(&DigestAlgorithm::Sha256) {
        digests.push(DigestAlgorithm::Sha256);
    }
    digests
}

/// Opaque signed-data from a stream (RFC 5652 §5.1-5.2): the eContent is
/// hashed and written to `content` as it passes.
pub(super) fn opaque_stream<R: Read, W: Write>(
    r: BerReader<R>,
    content: &mut W,
    limits: &Limits,
) -> Result<(cms::Parsed, cms::ContentDigests, Vec<u8>)> {
    let mut signed = cms::OpaqueSignedData::open(r)?;
    let mut tee = ContentTee::new(content, signed.digest_algorithms.clone(), false)?;
    signed.content(&mut |bytes| tee.update(bytes), limits)?;
    let (digests, content_head) = tee.finish()?;
    Ok((signed.finish(limits)?, digests, content_head))
}

/// How much of the signed content is kept for the protected-header
/// `From` check (RFC 8551 §3.1).
const CONTENT_HEAD: usize = 64 * 1024;

/// Hashes the signed content with every needed algorithm as it passes to
/// the caller's writer. For `multipart/signed` a second set of hashes over
/// the content with bare LF turned into CRLF starts at the first bare LF
/// (what [`lf_to_crlf`] gives in memory: a relay may have rewritten line
/// ends).
pub(super) struct ContentTee<'w, W: Write> {
    out: &'w mut W,
    raw: Vec<(DigestAlgorithm, Hasher)>,
    canonical: Option<Vec<(DigestAlgorithm, Hasher)>>,
    track_lf: bool,
    previous: u8,
    head: Vec<u8>,
    converted: Vec<u8>,
}

impl<'w, W: Write> ContentTee<'w, W> {
    pub(super) fn new(
        out: &'w mut W,
        algorithms: Vec<DigestAlgorithm>,
        track_lf: bool,
    ) -> Result<Self> {
        let raw = algorithms
            .into_iter()
            .map(|alg| Ok((alg, Hasher::new(alg.md())?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(ContentTee {
            out,
            raw,
            canonical: None,
            track_lf,
            previous: 0,
            head: Vec::new(),
            converted: Vec::new(),
        })
    }

    pub(super) fn update(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.out.write_all(bytes)?;
        let room = CONTENT_HEAD
            .saturating_sub(self.head.len())
            .min(bytes.len());
        self.head
            .extend_from_slice(bytes.get(..room).unwrap_or_default());
        let mut rest = bytes;
        if self.track_lf && self.canonical.is_none() {
            let bare_lf = memchr::memchr_iter(b'\n', bytes).find(|&i| {
                let before = match i.checked_sub(1) {
                    None => self.previous,
                    Some(j) => bytes.get(j).copied().unwrap_or(0),
                };
                before != b'\r'
            });
            let Some(at) = bare_lf else {
                hash_all(&mut self.raw, bytes)?;
                self.previous = bytes.last().copied().unwrap_or(self.previous);
                return Ok(());
            };
            let (clean, tail) = bytes.split_at(at);
            hash_all(&mut self.raw, clean)?;
            self.previous = clean.last().copied().unwrap_or(self.previous);
            self.canonical = Some(self.raw.clone());
            rest = tail;
        }
        hash_all(&mut self.raw, rest)?;
        if let Some(canonical) = &mut self.canonical {
            self.converted.clear();
            for &b in rest {
                if b == b'\n' && self.previous != b'\r' {
                    self.converted.push(b'\r');
                }
                self.converted.push(b);
                self.previous = b;
            }
            hash_all(canonical, &self.converted)?;
        }
        self.previous = rest.last().copied().unwrap_or(self.previous);
        Ok(())
    }

    /// The digests (as received, then LF → CRLF when it differs) and the
    /// beginning of the content.
    pub(super) fn finish(self) -> Result<(cms::ContentDigests, Vec<u8>)> {
        let mut digests = cms::ContentDigests::default();
        digests.push(finish_all(self.raw)?);
        if let Some(canonical) = self.canonical {
            digests.push(finish_all(canonical)?);
        }
        Ok((digests, self.head))
    }
}

fn hash_all(hashers: &mut [(DigestAlgorithm, Hasher)], bytes: &[u8]) -> Result<()> {
    for (_, h) in hashers.iter_mut() {
        h.update(bytes)?;
    }
    Ok(())
}

fn finish_all(hashers: Vec<(DigestAlgorithm, Hasher)>) -> Result<Vec<(DigestAlgorithm, Vec<u8>)>> {
    hashers
        .into_iter()
        .map(|(alg, mut h)| Ok((alg, h.finish()?.to_vec())))
        .collect()
}

/// Bare LF → CRLF, nothing else: a bare CR is not a line break to the MIME
/// parser, so treating it as one here would let an altered message (a
/// hidden blank line, a hidden boundary) hash like the signed one.
pub(super) fn lf_to_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}
