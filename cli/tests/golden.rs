//! Before/after guard for the CLI contract: each case runs a fixed
//! sequence of `smime` commands on fixed inputs (fixtures, and messages
//! signed or encrypted once and committed under `golden/inputs/`) in a
//! fresh temp dir, and compares the exact stdout, stderr and exit code of
//! every step (and the files named by `--out`) with the transcript recorded
//! in `golden/<case>.txt`.
//!
//! The transcripts were recorded with the binary built from the tree before
//! the CLI became its own crate (`SMIME_GOLDEN_RECORD=1 cargo test --test
//! golden` writes them instead of comparing). Only what differs from run to
//! run is normalised: the temp dir, fixture and golden paths become `$DIR`,
//! `$FIX` and `$GOLD`, and `imported_at` values become `<time>`.

#[path = "golden/harness.rs"]
mod harness;

use harness::{Step, check, smime};

#[test]
fn help_version_and_usage_errors() {
    let mut steps = vec![
        smime("--help").bare().step(),
        smime("--version").bare().step(),
        smime("").bare().step(),
        smime("frobnicate").bare().step(),
    ];
    for command in [
        "import",
        "list",
        "remove",
        "settings",
        "passwd",
        "add-cert",
        "sign",
        "verify",
        "encrypt",
        "decrypt",
        "domain",
        "export",
        "export-certs",
        "compose",
        "open",
    ] {
        steps.push(smime(&format!("{command} --help")).bare().step());
    }
    steps.extend([
        smime("import $FIX/p12/alice.p12").step(),
        smime("import --mailbox alice@example.org --password test-password $FIX/p12/alice.p12")
            .step(),
        smime("list --recipients").step(),
        smime("settings --mailbox alice@example.org --sign-by-default maybe").step(),
        smime("sign --mailbox alice@example.org --p12 $FIX/p12/alice.p12").step(),
        smime("sign --mailbox alice@example.org --digest md5").step(),
        smime("sign").step(),
        smime("encrypt").step(),
        smime("encrypt --to $FIX/certs/bob.pem --cipher des").step(),
        smime("decrypt --mailbox bob@example.org --json").step(),
        smime("decrypt --mailbox bob@example.org --trust $FIX/ca/root.pem").step(),
        smime("add-cert").step(),
        smime("remove --mailbox alice@example.org").step(),
    ]);
    check("usage", &steps);
}

#[test]
fn import_list_settings_remove() {
    let alice = "alice@example.org";
    let steps = [
        smime(&format!("import --mailbox {alice} $FIX/p12/alice.p12"))
            .p12()
            .step(),
        smime(&format!("import --mailbox {alice} $FIX/p12/alice.p12"))
            .p12()
            .step(),
        smime("import --mailbox Bob@Example.ORG $FIX/p12/bob-legacy.p12")
            .p12()
            .step(),
        smime("import --mailbox carol@example.org $FIX/p12/carol.p12")
            .p12()
            .step(),
        smime("import --mailbox noeku@example.org $FIX/p12/noeku.p12")
            .p12()
            .step(),
        smime("import --mailbox expired@example.org $FIX/p12/expired.p12")
            .p12()
            .step(),
        smime("import --mailbox frank@example.org $FIX/p12/frank.p12")
            .p12()
            .step(),
        Step::Write("$DIR/p12-password", b"test-password\n"),
        smime("import --mailbox grace@example.org --password-file $DIR/p12-password $FIX/p12/grace.p12").step(),
        smime("import --mailbox nopass@example.org --allow-address-mismatch $FIX/p12/alice-nopass.p12")
            .env("SMIME_P12_PASSWORD", "")
            .step(),
        smime("list").step(),
        smime("list --json").step(),
        smime(&format!("list --mailbox {alice}")).step(),
        smime("list --mailbox bob@example.org --json").step(),
        smime("list --mailbox nobody@example.org --json").step(),
        smime("list --mailbox nobody@example.org").step(),
        smime(&format!("settings --mailbox {alice}")).step(),
        smime(&format!("settings --mailbox {alice} --sign-by-default on --encrypt-by-default on --default-signer $ALICE_FP")).step(),
        smime(&format!("settings --mailbox {alice}")).step(),
        smime(&format!("settings --mailbox {alice} --default-signer auto --sign-by-default off")).step(),
        smime("settings --mailbox nobody@example.org --encrypt-by-default on").step(),
        smime("settings --mailbox noeku@example.org --default-signer 0000000000000000000000000000000000000000000000000000000000000000").step(),
        smime("settings --mailbox").arg("not an address").step(),
        smime("settings --mailbox grace@example.org --encrypt-by-default on").step(),
        smime(&format!("remove --mailbox {alice} $ALICE_FP")).step(),
        smime(&format!("remove --mailbox {alice} $ALICE_FP")).step(),
        smime(&format!("remove --mailbox {alice} not-a-fingerprint")).step(),
        smime(&format!("remove --mailbox {alice}"))
            .arg(&"AB:".repeat(32))
            .step(),
        smime(&format!("list --mailbox {alice}")).step(),
    ];
    check("store", &steps);
}

#[test]
fn import_errors_and_passphrases() {
    let steps = [
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .env("SMIME_P12_PASSWORD", "not the password")
            .step(),
        Step::Write("$DIR/garbage.p12", b"this is not a PKCS#12 bundle at all"),
        smime("import --mailbox alice@example.org $DIR/garbage.p12")
            .p12()
            .step(),
        smime("import --mailbox alice@example.org $DIR/missing.p12")
            .p12()
            .step(),
        smime("import --mailbox alice@example.org $FIX/p12/certs-only.p12")
            .p12()
            .step(),
        smime("import --mailbox")
            .arg("not an address")
            .arg("$FIX/p12/alice.p12")
            .p12()
            .step(),
        smime("import --mailbox alice@example.org $FIX/p12/mallory.p12")
            .p12()
            .step(),
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12").step(),
        smime("list").env_remove("SMIME_STORE_PASSPHRASE").step(),
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .p12()
            .step(),
        smime("list")
            .env("SMIME_STORE_PASSPHRASE", "not the passphrase")
            .step(),
        Step::Write("$DIR/wrong-passphrase", b"not the passphrase\n"),
        Step::Write("$DIR/passphrase", b"store passphrase for tests\n"),
        smime("--passphrase-file $DIR/wrong-passphrase list").step(),
        smime("--passphrase-file $DIR/wrong-passphrase list")
            .env_remove("SMIME_STORE_PASSPHRASE")
            .step(),
        smime("--passphrase-file $DIR/passphrase list")
            .env_remove("SMIME_STORE_PASSPHRASE")
            .step(),
        smime("--passphrase-file $DIR/missing list")
            .env_remove("SMIME_STORE_PASSPHRASE")
            .step(),
        smime("passwd").step(),
        Step::Write("$DIR/empty", b"\n"),
        smime("passwd --new-passphrase-file $DIR/empty").step(),
        smime("passwd").env("SMIME_NEW_STORE_PASSPHRASE", "").step(),
        Step::Write("$DIR/new-passphrase", b"the new passphrase\n"),
        smime("passwd --new-passphrase-file $DIR/new-passphrase").step(),
        smime("list").step(),
        smime("list")
            .env("SMIME_STORE_PASSPHRASE", "the new passphrase")
            .step(),
        smime("passwd")
            .env("SMIME_STORE_PASSPHRASE", "the new passphrase")
            .env("SMIME_NEW_STORE_PASSPHRASE", "third")
            .step(),
        smime("list --json")
            .env("SMIME_STORE_PASSPHRASE", "third")
            .step(),
        Step::Write("$DIR/not-a-store.db", b"SQLite format 3\0 but not really"),
        smime("list")
            .arg("--store")
            .arg("$DIR/not-a-store.db")
            .bare()
            .step(),
        smime("list")
            .bare()
            .env("SMIME_STORE", "$DIR/store.db")
            .env("SMIME_STORE_PASSPHRASE", "third")
            .step(),
    ];
    check("import-errors", &steps);
}

#[test]
fn add_cert_and_recipients() {
    let steps = [
        smime("add-cert $FIX/certs/bob.pem").step(),
        smime("add-cert $FIX/certs/bob.pem").step(),
        smime("add-cert $FIX/certs/bundle.pem $FIX/certs/alice.der").step(),
        smime("add-cert $FIX/certs/dave.pem $FIX/ca/root.pem").step(),
        smime("add-cert $FIX/certs/dave.pem").step(),
        Step::Write("$DIR/garbage.pem", b"not a certificate"),
        smime("add-cert $DIR/garbage.pem").step(),
        smime("add-cert $DIR/missing.pem").step(),
        Step::Write("$DIR/empty.pem", b""),
        smime("add-cert $DIR/empty.pem").step(),
        smime("list --recipients --mailbox bob@example.org").step(),
        smime("list --recipients --mailbox bob@example.org --json").step(),
        smime("list --recipients --mailbox alice@example.org --json").step(),
        smime("list --recipients --mailbox nobody@example.org --json").step(),
        smime("list --json").step(),
    ];
    check("add-cert", &steps);
}

#[test]
fn verify_reports() {
    let trust = "--trust $FIX/ca/root.pem";
    let mut steps = Vec::new();
    for input in [
        "signed-detached",
        "signed-opaque",
        "signed-sha512",
        "signed-tampered",
        "signed-by-openssl",
        "signed-p256",
    ] {
        let file = format!("$GOLD/inputs/{input}.eml");
        steps.extend([
            smime(&format!("verify {trust} --in {file}")).step(),
            smime(&format!("verify {trust} --json --in {file}")).step(),
            smime(&format!("verify --json --in {file}")).step(),
            smime(&format!("verify {trust} --in {file}"))
                .env_remove("SMIME_STORE_PASSPHRASE")
                .step(),
        ]);
    }
    let detached = "$GOLD/inputs/signed-detached.eml";
    steps.extend([
        smime(&format!("verify {trust} --at 2130-01-01T00:00:00Z --in {detached}")).step(),
        smime(&format!("verify {trust} --json --at 2130-01-01T00:00:00+00:00 --in {detached}"))
            .step(),
        smime(&format!("verify {trust} --json --at 2000-01-01T00:00:00Z --in {detached}")).step(),
        smime(&format!("verify {trust} --at garbage --in {detached}")).step(),
        smime(&format!("verify {trust} --at 2030-06-01T12:00:00+02:00 --in {detached}")).step(),
        smime(&format!("verify --trust $FIX/ca/intermediate.pem --trust $FIX/ca/chain.pem --in {detached}")).step(),
        smime(&format!("verify --trust $FIX/certs/alice.der --in {detached}")).step(),
        Step::Write("$DIR/garbage.pem", b"not a certificate"),
        smime(&format!("verify --trust $DIR/garbage.pem --in {detached}")).step(),
        smime(&format!("verify {trust}")).stdin(detached).step(),
        smime(&format!("verify {trust} --in $GOLD/inputs/unsigned.eml")).step(),
        smime(&format!("verify {trust} --in $GOLD/inputs/encrypted-cbc.eml")).step(),
        smime(&format!("verify {trust} --in $DIR/missing.eml")).step(),
        smime(&format!("verify {trust} --in {detached} --out $DIR/content.eml"))
            .file("$DIR/content.eml")
            .step(),
        smime(&format!(
            "verify {trust} --in $GOLD/inputs/signed-opaque.eml --out $DIR/opaque-content.eml"
        ))
        .file("$DIR/opaque-content.eml")
        .step(),
        smime(&format!(
            "verify {trust} --json --in $GOLD/inputs/signed-tampered.eml --out $DIR/tampered-content.eml"
        ))
        .file("$DIR/tampered-content.eml")
        .step(),
        smime(&format!("verify --remember {trust} --in $GOLD/inputs/signed-bob.eml")).step(),
        smime("list --recipients --mailbox bob@example.org").step(),
    ]);
    check("verify", &steps);
}

#[test]
fn decrypt_results_and_errors() {
    let bob = "decrypt --mailbox bob@example.org";
    let gold = "$GOLD/inputs";
    let steps = [
        smime("import --mailbox bob@example.org $FIX/p12/bob.p12")
            .p12()
            .step(),
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .p12()
            .step(),
        smime("import --mailbox carol@example.org $FIX/p12/carol.p12")
            .p12()
            .step(),
        smime(&format!("{bob} --in {gold}/encrypted-cbc.eml")).step(),
        smime(bob).stdin(&format!("{gold}/encrypted-cbc.eml")).step(),
        smime(&format!("{bob} --json --in {gold}/encrypted-cbc.eml --out $DIR/cbc.eml"))
            .file("$DIR/cbc.eml")
            .step(),
        smime(&format!("{bob} --json --in {gold}/encrypted-gcm.eml --out $DIR/gcm.eml"))
            .file("$DIR/gcm.eml")
            .step(),
        smime(&format!("{bob} --json --in {gold}/encrypted-oaep.eml --out $DIR/oaep.eml"))
            .file("$DIR/oaep.eml")
            .step(),
        smime(&format!("decrypt --mailbox carol@example.org --json --in {gold}/encrypted-carol.eml --out $DIR/carol.eml"))
            .file("$DIR/carol.eml")
            .step(),
        smime(&format!("{bob} --in {gold}/encrypted-signed.eml")).step(),
        smime(&format!("{bob} --verify --trust $FIX/ca/root.pem --in {gold}/encrypted-signed.eml")).step(),
        smime(&format!("{bob} --verify --in {gold}/encrypted-signed.eml")).step(),
        smime(&format!("{bob} --verify --json --out $DIR/v1.eml --in {gold}/encrypted-signed.eml"))
            .file("$DIR/v1.eml")
            .step(),
        smime(&format!("{bob} --verify --trust $FIX/ca/root.pem --json --out $DIR/v2.eml --in {gold}/encrypted-signed.eml"))
            .file("$DIR/v2.eml")
            .step(),
        smime(&format!("decrypt --mailbox alice@example.org --json --out $DIR/self.eml --in {gold}/encrypted-signed.eml"))
            .file("$DIR/self.eml")
            .step(),
        smime(&format!("{bob} --verify --trust $FIX/ca/root.pem --in {gold}/encrypted-cbc.eml")).step(),
        smime(&format!("{bob} --verify --json --out $DIR/v3.eml --in {gold}/encrypted-cbc.eml"))
            .file("$DIR/v3.eml")
            .step(),
        smime(&format!("decrypt --mailbox alice@example.org --in {gold}/encrypted-cbc.eml")).step(),
        smime(&format!("decrypt --mailbox nobody@example.org --in {gold}/encrypted-cbc.eml")).step(),
        smime(&format!("{bob} --in {gold}/unsigned.eml")).step(),
        smime(&format!("{bob} --in {gold}/signed-detached.eml")).step(),
        smime(&format!("{bob} --in {gold}/encrypted-gcm-tampered.eml --out $DIR/tampered.eml"))
            .file("$DIR/tampered.eml")
            .step(),
        smime(&format!("{bob} --in {gold}/encrypted-gcm-tampered.eml")).step(),
        smime(&format!("decrypt --p12 $FIX/p12/bob.p12 --in {gold}/encrypted-gcm.eml"))
            .p12()
            .env_remove("SMIME_STORE_PASSPHRASE")
            .step(),
        smime(&format!("decrypt --p12 $FIX/p12/bob.p12 --in {gold}/encrypted-gcm.eml"))
            .env("SMIME_P12_PASSWORD", "wrong")
            .step(),
        smime(&format!("decrypt --p12 $FIX/p12/alice.p12 --in {gold}/encrypted-gcm.eml"))
            .p12()
            .step(),
    ];
    check("decrypt", &steps);
}

#[test]
fn sign_and_encrypt_outcomes() {
    let message = "$GOLD/inputs/unsigned.eml";
    let steps = [
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .p12()
            .step(),
        smime("import --mailbox grace@example.org $FIX/p12/grace.p12")
            .p12()
            .step(),
        smime("import --mailbox expired@example.org $FIX/p12/expired.p12")
            .p12()
            .step(),
        smime("add-cert $FIX/certs/bob.pem").step(),
        smime(&format!("sign --mailbox alice@example.org --in {message}"))
            .ignore_stdout()
            .step(),
        smime("sign --mailbox alice@example.org --opaque --digest sha384")
            .stdin(message)
            .ignore_stdout()
            .step(),
        smime(&format!("sign --mailbox alice@example.org --in {message} --out $DIR/signed.eml")).step(),
        smime("verify --trust $FIX/ca/root.pem --in $DIR/signed.eml --out $DIR/signed-content.eml")
            .ignore_stdout()
            .file("$DIR/signed-content.eml")
            .step(),
        smime(&format!("sign --p12 $FIX/p12/alice.p12 --in {message}"))
            .p12()
            .env_remove("SMIME_STORE_PASSPHRASE")
            .ignore_stdout()
            .step(),
        smime(&format!("sign --mailbox nobody@example.org --in {message}")).step(),
        smime(&format!("sign --mailbox expired@example.org --in {message}")).step(),
        smime("settings --mailbox expired@example.org --default-signer $EXPIRED_FP").step(),
        smime(&format!("sign --mailbox expired@example.org --in {message}")).step(),
        smime("sign --mailbox alice@example.org --in $DIR/missing.eml").step(),
        smime(&format!("encrypt --to $FIX/certs/bob.pem --in {message}"))
            .env_remove("SMIME_STORE_PASSPHRASE")
            .ignore_stdout()
            .step(),
        smime(&format!("encrypt --to-addr bob@example.org --to-addr alice@example.org --in {message} --out $DIR/sealed.eml")).step(),
        smime("decrypt --mailbox alice@example.org --json --in $DIR/sealed.eml --out $DIR/opened.eml")
            .file("$DIR/opened.eml")
            .step(),
        smime(&format!("encrypt --to $FIX/certs/bob.pem --sign-with alice@example.org --cipher aes256-gcm --oaep --in {message}"))
            .ignore_stdout()
            .step(),
        smime(&format!("encrypt --to $FIX/certs/grace.pem --in {message}")).step(),
        smime(&format!("encrypt --to $FIX/certs/expired.pem --in {message}")).step(),
        smime(&format!("encrypt --to $FIX/certs/expired.pem --allow-expired --in {message}"))
            .ignore_stdout()
            .step(),
        smime(&format!("encrypt --to $FIX/ca/root.pem --in {message}")).step(),
        Step::Write("$DIR/garbage.pem", b"not a certificate"),
        smime(&format!("encrypt --to $DIR/garbage.pem --in {message}")).step(),
        smime(&format!("encrypt --to-addr nobody@example.org --in {message}")).step(),
        smime("encrypt --to-addr")
            .arg("not an address")
            .arg("--in")
            .arg(message)
            .step(),
        smime(&format!("encrypt --to $FIX/certs/bob.pem --sign-with grace@example.org --in {message}")).step(),
        smime(&format!("encrypt --to $FIX/certs/bob.pem --sign-with nobody@example.org --in {message}")).step(),
        smime(&format!("encrypt --to $FIX/certs/bob.pem --in {message}"))
            .env_remove("SMIME_STORE_PASSPHRASE")
            .env("SMIME_STORE", "$DIR/unused.db")
            .ignore_stdout()
            .step(),
    ];
    check("sign-encrypt", &steps);
}

#[test]
fn compose_and_open() {
    let compose = "compose --mailbox alice@example.org";
    let open = "open --mailbox bob@example.org";
    let trust = "--trust $FIX/ca/root.pem";
    let rfc = "--trust $FIX/rfc9788/keys/ca.rsa.crt --in $FIX/rfc9788/vectors";
    let steps = [
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12").p12().step(),
        smime("import --mailbox bob@example.org $FIX/p12/bob.p12").p12().step(),
        Step::Write(
            "$DIR/msg.eml",
            b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.org>\r\n\
Subject: lunch plans\r\nDate: Sat, 20 Feb 2021 10:09:02 -0500\r\n\r\nAt noon?\r\n",
        ),
        Step::Write(
            "$DIR/carol.eml",
            b"From: alice@example.org\r\nTo: bob@example.org, carol@example.org\r\n\
Cc: dave@example.org\r\nSubject: s\r\n\r\nhi\r\n",
        ),
        // Both settings off: the message as it was.
        smime(&format!("{compose} --in $DIR/msg.eml")).step(),
        // Every address without a certificate, at once (exit 3).
        smime(&format!("{compose} --encrypt --in $DIR/carol.eml")).step(),
        smime(&format!("{compose} --sign --no-sign --in $DIR/msg.eml")).step(),
        smime(&format!("{compose} --header-protection maybe --in $DIR/msg.eml")).step(),
        smime(&format!("{compose} --sign --encrypt --in $DIR/msg.eml --out $DIR/sent.eml")).step(),
        smime(&format!("{open} {trust} --in $DIR/sent.eml --out $DIR/shown.eml"))
            .file("$DIR/shown.eml")
            .step(),
        smime(&format!(
            "{compose} --sign --encrypt --header-protection shy --in $DIR/msg.eml --out $DIR/shy.eml"
        ))
        .step(),
        smime(&format!("{open} {trust} --in $DIR/shy.eml")).step(),
        smime(&format!(
            "{compose} --encrypt --no-sign --header-protection off --in $DIR/msg.eml --out $DIR/plain.eml"
        ))
        .step(),
        smime(&format!("{open} --in $DIR/plain.eml")).step(),
        smime("settings --mailbox alice@example.org --sign-by-default on").step(),
        smime(&format!("{compose} --in $DIR/msg.eml --out $DIR/signed.eml")).step(),
        // Signed, but no trust anchor given: exit 1.
        smime(&format!("{open} --in $DIR/signed.eml")).step(),
        smime(&format!("{open} --json {rfc}/C.2.2-smime-multipart-hp.eml")).step(),
        smime(&format!("{open} {rfc}/C.1.1-no-crypto.eml")).step(),
        smime(&format!("{open} --in $DIR/missing.eml")).step(),
    ];
    check("compose-open", &steps);
}
