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
use crate::mime::{HeaderScanner, Protected};

/// The digests to take of the content, on both paths alike: those the
/// message announces (`micalg` of `multipart/signed`, RFC 8551 §3.5.3.2;
/// `digestAlgorithms` of opaque SignedData, RFC 5652 §5.1) and SHA-256
/// (the one clients use whatever they announce); every supported one when
/// nothing we know is announced. A streamed content is hashed before its
/// SignerInfos are read, so a signer using a digest outside this set is
/// reported [`DigestNotComputed`](crate::SignatureFailure::DigestNotComputed)
/// — by [`verify()`](super::verify()) in memory just the same.
pub(super) fn digests_to_take(announced: &[DigestAlgorithm]) -> Vec<DigestAlgorithm> {
    if announced.is_empty() {
        return DigestAlgorithm::ALL.to_vec();
    }
    let mut digests = Vec::new();
    for &d in announced.iter().chain([DigestAlgorithm::Sha256].iter()) {
        if !digests.contains(&d) {
            digests.push(d);
        }
    }
    digests
}

/// The digests `micalg` names, those we know.
pub(super) fn micalg_digests(micalg: Option<&str>) -> Vec<DigestAlgorithm> {
    micalg
        .unwrap_or_default()
        .split(',')
        .filter_map(DigestAlgorithm::from_micalg)
        .collect()
}

/// Opaque signed-data from a stream (RFC 5652 §5.1-5.2): the eContent is
/// hashed and written to `content` as it passes.
pub(super) fn opaque_stream<R: Read, W: Write>(
    r: BerReader<R>,
    content: &mut W,
    limits: &Limits,
    parse: cms::CertificateParser<'_>,
) -> Result<(cms::Parsed, cms::ContentDigests, Protected)> {
    let mut signed = cms::OpaqueSignedData::open(r)?;
    let mut tee = ContentTee::new(content, digests_to_take(&signed.digest_algorithms), false)?;
    signed.content(&mut |bytes| tee.update(bytes), limits)?;
    let (digests, protected) = tee.finish()?;
    Ok((signed.finish(limits, parse)?, digests, protected))
}

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
    headers: HeaderScanner,
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
            headers: HeaderScanner::default(),
            converted: Vec::new(),
        })
    }

    pub(super) fn update(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.out.write_all(bytes)?;
        self.headers.update(bytes);
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
    /// protected header fields the content carries.
    pub(super) fn finish(self) -> Result<(cms::ContentDigests, Protected)> {
        let mut digests = cms::ContentDigests::default();
        digests.push(finish_all(self.raw)?);
        if let Some(canonical) = self.canonical {
            digests.push(finish_all(canonical)?);
        }
        Ok((digests, self.headers.finish()))
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
/// Borrowed when there is no bare LF (no copy of a content that is
/// already canonical).
pub(super) fn lf_to_crlf(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let bare =
        memchr::memchr_iter(b'\n', bytes).any(|i| i == 0 || bytes.get(i - 1) != Some(&b'\r'));
    if !bare {
        return std::borrow::Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    std::borrow::Cow::Owned(out)
}
