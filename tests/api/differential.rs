//! Issue 14, case 6, "one engine": `verify` (in memory) and
//! `verify_stream` must give one verdict for one message. Run over every
//! message of `../shared/corpus` (skipped, saying so, when it is absent),
//! over copies of the cases relied on most (fixtures/interop), and over
//! more than a thousand deterministic mutations of signed messages (bit
//! flips, header edits, micalg changes, line-ending changes, truncation).
//! Equal means: both `Ok` with equal reports (valid, form, from,
//! coverage, problems, and per signer the signature, chain, offending
//! certificate, from match, algorithms, weaknesses, revocation and path),
//! or both `Err` of the same kind. A `Verifier` with the same options gives
//! the same outcomes as each.

use std::path::Path;

use crate::common::pki::{essentials, raw_signed_by};
use crate::common::{corpus, identity, read_fixture, root};
use smime::{Certificate, SignOptions, VerifyOptions, sign};

/// The two entry points' outcomes as comparable text: the report's
/// essentials, or the error's kind; a [`smime::Verifier`] set up with the
/// same options must agree with both (checked here).
fn outcomes(message: &[u8], options: &VerifyOptions) -> (String, String) {
    let kind = |e: &smime::Error| {
        let name = format!("{e:?}");
        let name = name
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned();
        format!("error {name}")
    };
    let memory = match smime::verify(message, options) {
        Ok(report) => essentials(&report),
        Err(e) => kind(&e),
    };
    let mut content = Vec::new();
    let streamed = match smime::verify_stream(message, &mut content, options) {
        Ok(report) => essentials(&report),
        Err(e) => kind(&e),
    };
    let verifier = smime::Verifier::new(options.clone()).unwrap();
    let reused = match verifier.verify(message) {
        Ok(report) => essentials(&report),
        Err(e) => kind(&e),
    };
    let reused_stream = match verifier.verify_stream(message, std::io::sink()) {
        Ok(report) => essentials(&report),
        Err(e) => kind(&e),
    };
    assert_eq!(memory, reused, "verify and Verifier::verify disagree");
    assert_eq!(
        streamed, reused_stream,
        "verify_stream and Verifier::verify_stream disagree"
    );
    (memory, streamed)
}

fn assert_one_verdict(label: &str, message: &[u8], options: &VerifyOptions) {
    let (memory, streamed) = outcomes(message, options);
    assert_eq!(
        memory, streamed,
        "{label}: verify and verify_stream disagree"
    );
}

/// Every certificate of the corpus and fixtures that could be an anchor.
fn anchors(dir: Option<&Path>) -> Vec<Certificate> {
    let mut out = vec![
        root(),
        Certificate::from_pem(&read_fixture("interop/thunderbird-TestCA.pem")).unwrap(),
        Certificate::from_pem(&read_fixture("interop/rfc9216-ca.rsa.crt")).unwrap(),
    ];
    if let Some(dir) = dir {
        for path in files(dir) {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "pem" | "crt")
                && let Ok(certs) = Certificate::all_from_pem_or_der(&std::fs::read(&path).unwrap())
            {
                out.extend(certs.into_iter().filter(|c| c.is_ca()));
            }
        }
    }
    out
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn one_verdict_for_every_corpus_message() {
    let Some(dir) = corpus() else {
        println!("skipped: ../shared/corpus is absent (the fixture copies still run)");
        return;
    };
    let anchors = anchors(Some(&dir));
    let now = VerifyOptions::new(&anchors);
    let archive = VerifyOptions::new(&anchors)
        .at(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_383_436_800)); // 2013-11-03
    let mut checked = 0;
    for path in files(&dir) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(
            ext,
            "pem" | "crt" | "key" | "p12" | "pfx" | "cfg" | "md" | "py" | "tsv" | "cnf"
        ) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let label = path.display().to_string();
        assert_one_verdict(&label, &bytes, &now);
        assert_one_verdict(&format!("{label} (2013)"), &bytes, &archive);
        checked += 1;
    }
    println!("{checked} corpus files: one verdict each");
    assert!(checked > 100, "{checked}");
}

/// The corpus cases relied on most, copied into fixtures/interop: they
/// always run. The RFC 9788 vectors carry their protected header (`hp=`)
/// and are valid: the inner From is the signer.
#[test]
fn one_verdict_for_the_fixture_copies() {
    let anchors = anchors(None);
    let options = VerifyOptions::new(&anchors);
    for name in [
        "thunderbird-alice.dsig.SHA256.multipart.eml",
        "thunderbird-alice.dsig.SHA256.multipart.bad.eml",
        "thunderbird-alice.sig.SHA256.opaque.eml",
        "mimekit-as2-mixed-line-endings.dat",
        "rfc9788-C.2.1-smime-one-part-hp.eml",
        "rfc9788-C.2.2-smime-multipart-hp.eml",
        "rfc9788-C.2.5-smime-one-part-complex-rfc8551hp.eml",
    ] {
        assert_one_verdict(name, &read_fixture(&format!("interop/{name}")), &options);
    }
    for name in [
        "rfc9788-C.2.1-smime-one-part-hp.eml",
        "rfc9788-C.2.2-smime-multipart-hp.eml",
        "rfc9788-C.2.5-smime-one-part-complex-rfc8551hp.eml",
    ] {
        let report = smime::verify(&read_fixture(&format!("interop/{name}")), &options).unwrap();
        assert!(report.valid, "{name}: {report:#?}");
    }
}

/// Case 6 as the issue reproduced it: `micalg` names another digest than
/// the signer used. Before: `verify_stream` said invalid
/// (DigestNotComputed), `verify` valid. Now one rule for both (the
/// announced digests and SHA-256 are taken): a SHA-384 signer under
/// `micalg=sha-256` is `DigestNotComputed` on both; a SHA-256 signer
/// under `micalg=sha-512` or `sha-1` is valid on both.
#[test]
fn a_wrong_micalg_gets_one_verdict() {
    let alice = identity("alice");
    let message = b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nHi\r\n";
    let options = VerifyOptions::new(&[root()]);
    let sha384 = String::from_utf8(
        sign(
            message,
            &alice,
            &SignOptions::default().digest(smime::DigestAlgorithm::Sha384),
        )
        .unwrap(),
    )
    .unwrap();
    let wrong = sha384.replace("micalg=sha-384", "micalg=sha-256");
    assert_ne!(wrong, sha384);
    let report = crate::common::pki::both(wrong.as_bytes(), &options);
    assert_eq!(
        report.signers[0].signature,
        smime::SignatureStatus::Invalid(smime::SignatureFailure::DigestNotComputed(
            smime::DigestAlgorithm::Sha384
        ))
    );
    let sha256 =
        String::from_utf8(sign(message, &alice, &SignOptions::default()).unwrap()).unwrap();
    for micalg in [
        "micalg=sha-512",
        "micalg=sha-1",
        "micalg=\"sha-256, sha-1\"",
        "micalg=md5",
    ] {
        let relabelled = sha256.replace("micalg=sha-256", micalg);
        let report = crate::common::pki::both(relabelled.as_bytes(), &options);
        assert!(report.valid, "{micalg}: {report:#?}");
    }
}

/// A signature part over the 4 MiB the streaming path reads one within
/// is refused by both (before: only by `verify_stream`).
#[test]
fn an_oversized_signature_part_gets_one_verdict() {
    let signed = String::from_utf8(
        sign(
            b"From: alice@example.org\r\nContent-Type: text/plain\r\n\r\nHi\r\n",
            &identity("alice"),
            &SignOptions::default(),
        )
        .unwrap(),
    )
    .unwrap();
    let padding = " \r\n".repeat((4 << 20) / 3 + 1);
    let marker = "Content-Description: S/MIME Cryptographic Signature\r\n\r\n";
    assert!(signed.contains(marker));
    let padded = signed.replacen(marker, &format!("{marker}{padding}"), 1);
    let options = VerifyOptions::new(&[root()]);
    let (memory, streamed) = outcomes(padded.as_bytes(), &options);
    assert_eq!(memory, "error InvalidMessage");
    assert_eq!(memory, streamed);
}

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn replace_first(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    match bytes.windows(from.len()).position(|w| w == from) {
        Some(at) => [&bytes[..at], to, &bytes[at + from.len()..]].concat(),
        None => bytes.to_vec(),
    }
}

/// One mutation of `base`, chosen by `rng`, and its name.
fn mutate(base: &[u8], rng: &mut Rng) -> (&'static str, Vec<u8>) {
    let mut m = base.to_vec();
    match rng.below(9) {
        0 => {
            let at = rng.below(m.len());
            m[at] ^= 1 << rng.below(8);
            ("bit flip", m)
        }
        1 => {
            let cut = rng.below(m.len());
            m.truncate(cut);
            ("truncation", m)
        }
        2 => (
            "CRLF to LF",
            String::from_utf8_lossy(&m)
                .replace("\r\n", "\n")
                .into_bytes(),
        ),
        3 => {
            // Only part of the message: from a random point on.
            let at = rng.below(m.len());
            let tail = String::from_utf8_lossy(&m[at..]).replace("\r\n", "\n");
            ("partial CRLF to LF", [&m[..at], tail.as_bytes()].concat())
        }
        4 => {
            let micalgs: [&[u8]; 6] = [
                b"micalg=sha-1",
                b"micalg=sha-384",
                b"micalg=sha-512",
                b"micalg=md5",
                b"micalg=\"sha-256,sha-512\"",
                b"",
            ];
            let to = micalgs[rng.below(micalgs.len())];
            ("micalg change", replace_first(&m, b"micalg=sha-256", to))
        }
        5 => {
            let edits: [(&[u8], &[u8]); 8] = [
                (b"From: ", b"From: mallory@example.net\r\nFrom: "),
                (b"From: ", b"Sender: alice@example.org\r\nX-From: "),
                (
                    b"From: alice@example.org",
                    b"From: \"bob@example.org\" <alice@example.org>",
                ),
                (
                    b"From: alice@example.org",
                    b"From: =?utf-8?q?Alice?= <alice@example.org>",
                ),
                (
                    b"Content-Type: text/plain",
                    b"Content-Type: text/plain; hp=clear",
                ),
                (b"hp=\"clear\"", b"hp=\"cipher\""),
                (b"MIME-Version: 1.0\r\n", b""),
                (b"\r\n\r\n", b"\r\nX-Extra: 1\r\n\r\n"),
            ];
            let (from, to) = edits[rng.below(edits.len())];
            ("header edit", replace_first(&m, from, to))
        }
        6 => {
            let at = rng.below(m.len());
            let junk: [&[u8]; 5] = [b"\r\n", b"--", b"\n\n", b"=?", b"\r"];
            m.splice(at..at, junk[rng.below(junk.len())].iter().copied());
            ("insertion", m)
        }
        7 => {
            let at = rng.below(m.len());
            let end = (at + 1 + rng.below(64)).min(m.len());
            m.drain(at..end);
            ("deletion", m)
        }
        _ => (
            "LF to CRLF",
            String::from_utf8_lossy(&m)
                .replace("\r\n", "\n")
                .replace('\n', "\r\n")
                .into_bytes(),
        ),
    }
}

#[test]
fn one_verdict_for_a_thousand_mutations() {
    let alice = identity("alice");
    let message = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: numbers\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\n";
    let multipart = b"From: alice@example.org\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nI approve.\r\n--b\r\nContent-Type: text/plain\r\n\r\nSecond part.\r\n--b--\r\n";
    let protected = b"Content-Type: text/plain; hp=\"clear\"\r\nFrom: alice@example.org\r\nSubject: numbers\r\n\r\nHello\r\n";
    let mut bases: Vec<Vec<u8>> = Vec::new();
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        bases.push(sign(message, &alice, &options).unwrap());
        bases.push(sign(multipart, &alice, &options).unwrap());
    }
    bases.extend(raw_signed_by(
        "From: alice@example.org\r\n",
        protected,
        "alice",
    ));
    // Real clients' messages too: Thunderbird detached and opaque, an RFC
    // 9788 header-protected one.
    for name in [
        "thunderbird-alice.dsig.SHA256.multipart.eml",
        "thunderbird-alice.sig.SHA256.opaque.eml",
        "rfc9788-C.2.1-smime-one-part-hp.eml",
    ] {
        bases.push(read_fixture(&format!("interop/{name}")));
    }
    let anchors = anchors(None);
    let options = VerifyOptions::new(&anchors);
    // A fixed seed; SMIME_DIFF_SEED explores others.
    let seed = std::env::var("SMIME_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_ef01);
    let mut rng = Rng(seed);
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut valid = 0;
    let total = 1500;
    for i in 0..total {
        let base = &bases[i % bases.len()];
        let (kind, mutated) = mutate(base, &mut rng);
        *counts.entry(kind).or_default() += 1;
        let (memory, streamed) = outcomes(&mutated, &options);
        assert_eq!(
            memory,
            streamed,
            "mutation {i} ({kind}) of base {}: verify and verify_stream disagree\n{}",
            i % bases.len(),
            String::from_utf8_lossy(&mutated)
        );
        if memory.starts_with("valid=true") {
            valid += 1;
        }
    }
    println!("{total} mutations, {valid} still valid: {counts:?}");
    assert!(counts.len() >= 8, "{counts:?}");
}
