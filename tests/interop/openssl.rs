//! PKCS#12 bundles produced at test time by the `openssl` CLI, the
//! independent peer: every export flavour a user may hand us must import
//! to the very key and certificate that went in.

use std::path::Path;
use std::process::Command;

use crate::common::{fixture, openssl_cli};
use smime::{Error, Password, pkcs12};

fn run(args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A key and a self-contained leaf signed by the fixture intermediate.
fn make_identity(dir: &Path, name: &str, keyspec: &[&str]) {
    let key = format!("{name}.key");
    let mut genpkey = vec!["genpkey", "-out", &key];
    genpkey.extend_from_slice(keyspec);
    run(&genpkey, dir).unwrap();
    let subj = format!("/CN={name}/emailAddress={name}@example.org");
    let san = format!("subjectAltName=email:{name}@example.org");
    run(
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &subj,
            "-out",
            &format!("{name}.csr"),
        ],
        dir,
    )
    .unwrap();
    std::fs::write(dir.join("ext.cnf"), format!("{san}\nkeyUsage=critical,digitalSignature,keyEncipherment,keyAgreement\nextendedKeyUsage=emailProtection\n")).unwrap();
    let ca = fixture("ca/intermediate.pem");
    let ca_key = fixture("ca/intermediate.key");
    run(
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            ca.to_str().unwrap(),
            "-CAkey",
            ca_key.to_str().unwrap(),
            "-CAserial",
            "ca.srl",
            "-CAcreateserial",
            "-days",
            "30",
            "-extfile",
            "ext.cnf",
            "-out",
            &format!("{name}.pem"),
        ],
        dir,
    )
    .unwrap();
}

fn export(
    dir: &Path,
    name: &str,
    out: &str,
    password: &str,
    extra: &[&str],
) -> Result<Vec<u8>, String> {
    let (key, cert) = (format!("{name}.key"), format!("{name}.pem"));
    let chain = fixture("ca/chain.pem");
    let pass = format!("pass:{password}");
    let mut args = vec![
        "pkcs12",
        "-export",
        "-inkey",
        &key,
        "-in",
        &cert,
        "-certfile",
        chain.to_str().unwrap(),
        "-name",
        name,
        "-passout",
        &pass,
        "-out",
        out,
    ];
    args.extend_from_slice(extra);
    run(&args, dir)?;
    Ok(std::fs::read(dir.join(out)).unwrap())
}

fn assert_same_identity(dir: &Path, name: &str, bundle: &[u8], password: &str, what: &str) {
    let id = pkcs12::import(bundle, &Password::new(password), &smime::Limits::default())
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let cert =
        openssl::x509::X509::from_pem(&std::fs::read(dir.join(format!("{name}.pem"))).unwrap())
            .unwrap();
    assert_eq!(
        id.certificate().to_der(),
        &cert.to_der().unwrap()[..],
        "{what}: certificate"
    );
    let key = openssl::pkey::PKey::private_key_from_pem(
        &std::fs::read(dir.join(format!("{name}.key"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        *id.private_key().to_pkcs8_der().unwrap(),
        key.private_key_to_pkcs8().unwrap(),
        "{what}: key"
    );
    assert_eq!(id.chain().len(), 2, "{what}: chain");
    let wrong = pkcs12::import(bundle, &Password::new("wrong"), &smime::Limits::default());
    assert!(
        matches!(wrong, Err(Error::WrongPassword)),
        "{what}: wrong password gave {wrong:?}"
    );
}

#[test]
fn bundles_exported_by_the_openssl_cli_import() {
    if openssl_cli().is_none() {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_identity(
        dir,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    make_identity(
        dir,
        "ec",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );
    let pw = "s3cret pässword";
    for name in ["rsa", "ec"] {
        let flavours: &[(&str, &[&str])] = &[
            ("openssl 3 defaults (PBES2, AES-256-CBC, SHA-256 MAC)", &[]),
            (
                "3DES + SHA-1 MAC (Windows/macOS style)",
                &[
                    "-certpbe",
                    "PBE-SHA1-3DES",
                    "-keypbe",
                    "PBE-SHA1-3DES",
                    "-macalg",
                    "sha1",
                ],
            ),
            (
                "AES-128-CBC, SHA-512 MAC, 100000 iterations",
                &[
                    "-certpbe",
                    "AES-128-CBC",
                    "-keypbe",
                    "AES-128-CBC",
                    "-macalg",
                    "sha512",
                    "-iter",
                    "100000",
                ],
            ),
            ("unencrypted certificates", &["-certpbe", "NONE"]),
        ];
        for (i, (what, extra)) in flavours.iter().enumerate() {
            let out = format!("{name}-{i}.p12");
            let bundle =
                export(dir, name, &out, pw, extra).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_same_identity(dir, name, &bundle, pw, &format!("{name}: {what}"));
        }
        // -legacy needs the CLI's legacy provider; our import must not.
        match export(dir, name, &format!("{name}-legacy.p12"), pw, &["-legacy"]) {
            Ok(bundle) => assert_same_identity(
                dir,
                name,
                &bundle,
                pw,
                &format!("{name}: -legacy (RC2-40, 3DES, SHA-1 MAC)"),
            ),
            Err(e) => println!(
                "skipped {name} -legacy: the openssl CLI has no legacy provider here: {}",
                e.lines().next().unwrap_or("")
            ),
        }
        // Empty password, modern and legacy.
        let bundle = export(dir, name, &format!("{name}-empty.p12"), "", &[]).unwrap();
        let id = pkcs12::import(&bundle, &Password::empty(), &smime::Limits::default()).unwrap();
        assert_eq!(
            id.certificate().email_addresses(),
            [format!("{name}@example.org")]
        );
        if let Ok(bundle) = export(
            dir,
            name,
            &format!("{name}-empty-legacy.p12"),
            "",
            &["-legacy"],
        ) {
            let id =
                pkcs12::import(&bundle, &Password::empty(), &smime::Limits::default()).unwrap();
            assert_eq!(
                id.certificate().email_addresses(),
                [format!("{name}@example.org")]
            );
        }
    }
}
