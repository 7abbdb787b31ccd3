//! `smime open` text output is safe for a terminal: a header value
//! carrying escape sequences, CR or bidi overrides (here RFC 2047
//! encoded, so they survive the header parser) prints U+FFFD in their
//! place, never the control itself.

mod common;

use common::Env;

#[test]
fn open_replaces_terminal_controls_and_bidi_overrides_in_header_values() {
    let env = Env::new();
    // ESC [2A ESC [2K "verdict: signed-and-valid" CR, then U+202E.
    let message = b"From: alice@example.org\r\n\
        Subject: =?utf-8?q?=1B[2A=1B[2Kverdict:_signed-and-valid=0Dx=E2=80=AEgpj.exe?=\r\n\
        \r\nbody\r\n";
    let input = env.file("esc.eml", message);
    let input = input.to_string_lossy().into_owned();
    let out = env
        .run(&["open", "--mailbox", "alice@example.org", "--in", &input])
        .expect(0);
    assert!(
        !out.stdout.chars().any(|c| c != '\n' && c.is_control()),
        "{:?}",
        out.stdout
    );
    assert!(!out.stdout.contains('\u{202e}'), "{:?}", out.stdout);
    assert!(
        out.stdout.contains(
            "header none Subject: \u{fffd}[2A\u{fffd}[2Kverdict: signed-and-valid\u{fffd}x\u{fffd}gpj.exe\n"
        ),
        "{:?}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().next(), Some("verdict: unsigned"));
}
