//! Golden transcripts (see `golden.rs`) of the commands issues 16 and 19
//! added: multi-identity `import`, `domain`, `export`, `export-certs`,
//! `add-cert` of a certs-only message, `sign --compress`.

#[path = "golden/harness.rs"]
mod harness;

use harness::{Step, check, smime};

#[test]
fn import_of_a_bundle_with_two_identities() {
    let alice = "alice@smime.example";
    let bundle = "$FIX/interop/rfc9216-alice.p12";
    let steps = [
        smime(&format!("import --mailbox {alice} {bundle}"))
            .env("SMIME_P12_PASSWORD", "alice")
            .step(),
        smime(&format!("import --mailbox {alice} {bundle}"))
            .env("SMIME_P12_PASSWORD", "alice")
            .step(),
        smime(&format!("list --mailbox {alice}")).step(),
        smime(&format!("import --mailbox bob@smime.example {bundle}"))
            .env("SMIME_P12_PASSWORD", "alice")
            .step(),
        smime(&format!("import --mailbox {alice} {bundle}"))
            .env("SMIME_P12_PASSWORD", "wrong")
            .step(),
        smime(&format!(
            "import --mailbox {alice} $FIX/hostile/twokeys.p12"
        ))
        .p12()
        .step(),
        smime(&format!("settings --mailbox {alice}")).step(),
        Step::Write(
            "$DIR/m.eml",
            b"From: alice@smime.example\r\nTo: bob@smime.example\r\nSubject: hi\r\n\r\nHello\r\n",
        ),
        smime(&format!(
            "sign --mailbox {alice} --in $DIR/m.eml --out $DIR/signed.eml"
        ))
        .step(),
        smime("verify --trust $FIX/interop/rfc9216-ca.rsa.crt --in $DIR/signed.eml").step(),
    ];
    check("bundle-import", &steps);
}

#[test]
fn domain_policy_and_hosted_mode() {
    let steps = [
        smime("domain list").step(),
        smime("domain list --json").step(),
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .p12()
            .step(),
        smime("domain enable Example.ORG").step(),
        smime("domain enable strict.example --no-encrypt-by-default").step(),
        smime("domain disable other.example").step(),
        smime("domain list").step(),
        smime("domain list --json").step(),
        smime("domain require on").step(),
        smime("import --mailbox bob@example.net --allow-address-mismatch $FIX/p12/bob.p12")
            .p12()
            .step(),
        smime("sign --mailbox alice@example.org --in $GOLD/inputs/unsigned.eml")
            .ignore_stdout()
            .step(),
        smime("domain disable example.org").step(),
        smime("sign --mailbox alice@example.org --in $GOLD/inputs/unsigned.eml").step(),
        smime("decrypt --mailbox alice@example.org --in $GOLD/inputs/encrypted-cbc.eml").step(),
        smime("settings --mailbox alice@example.org --encrypt-by-default on").step(),
        smime("domain require off").step(),
        smime("domain list").step(),
        smime("domain enable").arg("not a domain").step(),
        smime("domain require maybe").step(),
        smime("domain").step(),
    ];
    check("domain", &steps);
}

#[test]
fn export_and_export_certs() {
    let alice = "--mailbox alice@example.org";
    let steps = [
        smime("import --mailbox alice@example.org $FIX/p12/alice.p12")
            .p12()
            .step(),
        smime(&format!("export {alice} $ALICE_FP --out $DIR/alice.p12"))
            .env("SMIME_EXPORT_PASSWORD", "export password")
            .step(),
        smime("import --mailbox alice@example.org --allow-address-mismatch $DIR/alice.p12")
            .env("SMIME_P12_PASSWORD", "export password")
            .step(),
        smime(&format!(
            "export {alice} $ALICE_FP --legacy --out $DIR/legacy.p12"
        ))
        .env("SMIME_EXPORT_PASSWORD", "export password")
        .step(),
        smime(&format!("export {alice} $ALICE_FP --out $DIR/x.p12"))
            .env("SMIME_EXPORT_PASSWORD", "")
            .file("$DIR/x.p12")
            .step(),
        smime(&format!("export {alice} $ALICE_FP --out $DIR/x.p12")).step(),
        Step::Write("$DIR/blank", b"  \n"),
        smime(&format!(
            "export {alice} $ALICE_FP --password-file $DIR/blank --out $DIR/x.p12"
        ))
        .step(),
        smime(&format!("export {alice} $EXPIRED_FP"))
            .env("SMIME_EXPORT_PASSWORD", "export password")
            .step(),
        smime(&format!("export {alice} not-a-fingerprint")).step(),
        smime("export $ALICE_FP").step(),
        smime(&format!("export-certs {alice} --out $DIR/alice.p7m"))
            .file("$DIR/alice.p7m")
            .step(),
        smime("export-certs --recipient alice@example.org").step(),
        smime("add-cert $DIR/alice.p7m").step(),
        smime("export-certs --recipient alice@example.org").step(),
        smime("export-certs --mailbox nobody@example.org").step(),
        smime("export-certs").step(),
        smime(&format!(
            "sign {alice} --compress --in $GOLD/inputs/unsigned.eml --out $DIR/z.eml"
        ))
        .step(),
        smime("verify --trust $FIX/ca/root.pem --in $DIR/z.eml --out $DIR/z-content.eml")
            .file("$DIR/z-content.eml")
            .step(),
    ];
    check("export", &steps);
}
