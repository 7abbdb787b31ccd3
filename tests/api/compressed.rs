//! compressed-data (RFC 3274, RFC 8551 §3.6) at every layer: alone,
//! signed inside a compressed layer, compressed inside a signature
//! (`SignOptions::compress`), inside an envelope (as a MIME layer and as
//! the EncryptedContentInfo's content type), and a zip bomb refused within
//! `Limits::max_decompressed`.

use crate::common::{cert, identity, root};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smime::{
    CmsError, DecryptOptions, EncryptOptions, Error, Limits, SignOptions, VerifyOptions, compress,
    decompress, decrypt, encrypt, sign, verify,
};

const MESSAGE: &[u8] = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: logs\r\n\r\nline one\r\nline one\r\nline one\r\nline one\r\n";

fn verify_options() -> VerifyOptions {
    VerifyOptions::new(&[root()])
}

#[test]
fn a_compressed_message_round_trips_and_keeps_its_outer_header() {
    let compressed = compress(MESSAGE, &Limits::default()).unwrap();
    assert!(
        compressed
            .starts_with(b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: logs\r\n")
    );
    assert!(crate::common::find(&compressed, b"smime-type=compressed-data").is_some());
    let entity = decompress(&compressed, &Limits::default()).unwrap();
    assert!(
        entity.starts_with(b"Content-Type: text/plain"),
        "{}",
        String::from_utf8_lossy(&entity)
    );
    assert!(entity.ends_with(b"line one\r\nline one\r\nline one\r\nline one\r\n"));
}

#[test]
fn what_is_not_compressed_data_is_not_compressed() {
    for message in [
        &b"Content-Type: text/plain\r\n\r\nhi\r\n"[..],
        &encrypt(MESSAGE, &[cert("bob")], &EncryptOptions::default()).unwrap(),
    ] {
        assert!(matches!(
            decompress(message, &Limits::default()),
            Err(Error::NotCompressed)
        ));
    }
}

/// A zlib stream (RFC 1950) of `mib` MiB of zeros, made without deflating
/// them all: one MiB is deflated with a full flush (which makes the block
/// independent of what precedes it) and repeated, then closed with an
/// empty final block and the Adler-32 of that many zeros.
fn zeros_zlib(mib: u64) -> Vec<u8> {
    let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
    let mut block = Vec::with_capacity(4096);
    deflate
        .compress_vec(&vec![0u8; 1 << 20], &mut block, flate2::FlushCompress::Full)
        .unwrap();
    let mut last = Vec::with_capacity(64);
    flate2::Compress::new(flate2::Compression::best(), false)
        .compress_vec(&[], &mut last, flate2::FlushCompress::Finish)
        .unwrap();
    let mut zlib = vec![0x78, 0xda];
    for _ in 0..mib {
        zlib.extend_from_slice(&block);
    }
    zlib.extend_from_slice(&last);
    // Adler-32 of n zeros: a = 1, b = n (mod 65521).
    let b = ((mib << 20) % 65_521) as u32;
    zlib.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    zlib
}

/// A compressed-data entity (MIME) around `zlib`.
fn bomb(zlib: &[u8]) -> Vec<u8> {
    // CompressedData by hand (RFC 3274 §1.1), definite lengths.
    let tlv = |tag: u8, body: &[u8]| {
        let mut out = vec![tag];
        let len = body.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = (len as u64).to_be_bytes();
            let skip = bytes.iter().take_while(|&&b| b == 0).count();
            out.push(0x80 | (8 - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(body);
        out
    };
    let oid = |text: &str| {
        use der::Encode;
        const_oid::ObjectIdentifier::new_unwrap(text)
            .to_der()
            .unwrap()
    };
    let mut encap = oid("1.2.840.113549.1.7.1");
    encap.extend(tlv(0xa0, &tlv(0x04, zlib)));
    let mut body = vec![0x02, 0x01, 0x00];
    body.extend(tlv(0x30, &oid("1.2.840.113549.1.9.16.3.8")));
    body.extend(tlv(0x30, &encap));
    let mut info = oid("1.2.840.113549.1.9.16.1.9");
    info.extend(tlv(0xa0, &tlv(0x30, &body)));
    let der = tlv(0x30, &info);
    let mut out = b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    out.extend(STANDARD.encode(&der).into_bytes());
    out.extend(b"\r\n");
    out
}

#[test]
fn the_zeros_zlib_helper_is_a_real_stream() {
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::ZlibDecoder::new(&zeros_zlib(3)[..]),
        &mut inflated,
    )
    .unwrap();
    assert_eq!(inflated.len(), 3 << 20);
    assert!(inflated.iter().all(|&b| b == 0));
}

#[test]
fn a_zip_bomb_is_a_limit_never_memory_exhaustion() {
    // 4 GiB of zeros in about 4 MiB of zlib (deflate's 1032:1 at best),
    // refused as soon as the limit's worth came out.
    let message = bomb(&zeros_zlib(4096));
    assert!(message.len() < 8 << 20, "{}", message.len());
    let mut limits = Limits::default();
    limits.max_decompressed = 16 << 20;
    let err = decompress(&message, &limits).unwrap_err();
    assert!(
        matches!(err, Error::LimitExceeded { limit: "max_decompressed", max } if max == 16 << 20),
        "{err:?}"
    );
    // A 1 KiB bomb of 1 MiB against a 64 KiB limit.
    let small = bomb(&zeros_zlib(1));
    assert!(small.len() < 4096, "{}", small.len());
    limits.max_decompressed = 64 << 10;
    assert!(matches!(
        decompress(&small, &limits),
        Err(Error::LimitExceeded {
            limit: "max_decompressed",
            ..
        })
    ));
    // Verify meets the same limit on a compressed layer.
    assert!(matches!(
        verify(&small, &verify_options().limits(limits)),
        Err(Error::LimitExceeded {
            limit: "max_decompressed",
            ..
        })
    ));
    // Within the limit, the same message inflates.
    limits.max_decompressed = 2 << 20;
    assert_eq!(decompress(&small, &limits).unwrap().len(), 1 << 20);
}

#[test]
fn damaged_zlib_is_bad_compression() {
    let compressed = compress(MESSAGE, &Limits::default()).unwrap();
    let (head, body) = crate::common::split_base64(&compressed);
    let mut der = body;
    let n = der.len();
    der[n - 6] ^= 0xff;
    let damaged = crate::common::join_base64(&head, &der);
    assert!(matches!(
        decompress(&damaged, &Limits::default()),
        Err(Error::InvalidCms(CmsError::BadCompression))
    ));
}

#[test]
fn sign_compress_signs_a_compressed_entity_that_verifies() {
    for options in [
        SignOptions::default().compress(),
        SignOptions::default().compress().opaque(),
    ] {
        let signed = sign(MESSAGE, &identity("alice"), &options).unwrap();
        let mut streamed = Vec::new();
        smime::sign_stream(
            std::io::Cursor::new(MESSAGE.to_vec()),
            &mut streamed,
            &identity("alice"),
            &options,
        )
        .unwrap();
        for (how, message) in [("in memory", &signed), ("stream", &streamed)] {
            let report = verify(message, &verify_options()).unwrap();
            assert!(report.valid, "{how}: {:?}", report.problems);
            // The signed content is the compressed entity; the report's
            // content is the entity inflated (RFC 8551 §3.6: any layer).
            assert!(
                report.content.ends_with(b"line one\r\nline one\r\n"),
                "{how}"
            );
            assert!(
                crate::common::find(&report.content, b"compressed-data").is_none(),
                "{how}: inflated"
            );
            // verify_stream writes the same inflated entity.
            let mut content = Vec::new();
            let streamed_report =
                smime::verify_stream(&message[..], &mut content, &verify_options()).unwrap();
            assert!(streamed_report.valid, "{how}");
            assert_eq!(content, report.content, "{how}: verify_stream");
        }
    }
}

#[test]
fn a_compressed_bomb_inside_a_signature_is_a_limit_on_both_verify_paths() {
    let signed = sign(
        MESSAGE,
        &identity("alice"),
        &SignOptions::default().compress(),
    )
    .unwrap();
    let mut limits = Limits::default();
    limits.max_decompressed = 16;
    let options = verify_options().limits(limits);
    assert!(matches!(
        verify(&signed, &options),
        Err(Error::LimitExceeded {
            limit: "max_decompressed",
            ..
        })
    ));
    let streamed = smime::verify_stream(&signed[..], Vec::new(), &options);
    assert!(matches!(
        streamed,
        Err(Error::LimitExceeded {
            limit: "max_decompressed",
            ..
        })
    ));
}

#[test]
fn a_signed_message_inside_a_compressed_layer_verifies() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let compressed = compress(&signed, &Limits::default()).unwrap();
    let report = verify(&compressed, &verify_options()).unwrap();
    assert!(report.valid, "{:?}", report.problems);
    let mut content = Vec::new();
    let streamed = smime::verify_stream(&compressed[..], &mut content, &verify_options()).unwrap();
    assert!(streamed.valid);
}

/// The layer is recognised by its CMS content type, not its label: with
/// the `smime-type` parameter removed, both entry points still inflate it
/// and agree (the streaming path used to decide by the label alone).
#[test]
fn an_unlabelled_compressed_layer_gets_one_verdict() {
    let signed = sign(MESSAGE, &identity("alice"), &SignOptions::default()).unwrap();
    let compressed = String::from_utf8(compress(&signed, &Limits::default()).unwrap()).unwrap();
    assert!(compressed.contains("smime-type=compressed-data"));
    let unlabelled = compressed.replace("smime-type=compressed-data", "name=x.p7m");
    let report = verify(unlabelled.as_bytes(), &verify_options()).unwrap();
    assert!(report.valid, "{:?}", report.problems);
    let streamed =
        smime::verify_stream(unlabelled.as_bytes(), std::io::sink(), &verify_options()).unwrap();
    assert!(streamed.valid, "{:?}", streamed.problems);
}

#[test]
fn a_compressed_entity_inside_an_envelope_decrypts_and_decompresses() {
    let compressed = compress(MESSAGE, &Limits::default()).unwrap();
    let sealed = encrypt(&compressed, &[cert("bob")], &EncryptOptions::default()).unwrap();
    let opened = decrypt(&sealed, &[identity("bob")], &DecryptOptions::default()).unwrap();
    let inner = decompress(&opened.content, &Limits::default()).unwrap();
    assert!(inner.ends_with(b"line one\r\nline one\r\n"));
}
