//! A test PKI made at test time: certificates of any shape issued in
//! process (RSA/EC keys, digests, EKU, SAN and DN addresses), a CA run
//! with the `openssl ca` / `openssl ocsp` CLIs for CRLs and OCSP
//! responses, both verification entry points side by side, and edits of
//! the CMS inside a signed message.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509NameBuilder};
use smime::{Certificate, Identity, VerifyOptions, VerifyReport};

use super::{PASSWORD, bundle, read_fixture};

/// A key to issue a certificate for.
#[derive(Clone, Copy)]
pub enum Key {
    Rsa(u32),
    Ec(Nid),
}

impl Key {
    pub fn generate(self) -> PKey<Private> {
        match self {
            Key::Rsa(bits) => PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap(),
            Key::Ec(nid) => {
                let group = EcGroup::from_curve_name(nid).unwrap();
                PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
            }
        }
    }
}

/// What to put into a certificate.
#[derive(Clone)]
pub struct Spec<'a> {
    pub cn: &'a str,
    pub serial: u32,
    pub ca: bool,
    /// Subject DN emailAddress.
    pub dn_email: Option<&'a str>,
    /// SAN rfc822Name entries.
    pub san_emails: Vec<&'a str>,
    /// SAN SmtpUTF8Mailbox otherNames (RFC 8398).
    pub san_utf8: Vec<&'a str>,
    /// Extended key usage by OpenSSL short name (`emailProtection`,
    /// `serverAuth`, `anyExtendedKeyUsage`, `OCSPSigning`); `None`: absent.
    pub eku: Option<Vec<&'a str>>,
    pub key: Key,
    /// The digest the issuer signs with.
    pub digest: MessageDigest,
    /// Days from now.
    pub not_before_days: i64,
    pub not_after_days: i64,
    /// Use this public key instead of a generated one (no private key
    /// then: the returned private key is a throw-away).
    pub public_key: Option<PKey<openssl::pkey::Public>>,
}

impl<'a> Spec<'a> {
    pub fn leaf(cn: &'a str, email: &'a str, serial: u32) -> Self {
        Spec {
            cn,
            serial,
            ca: false,
            dn_email: None,
            san_emails: vec![email],
            san_utf8: Vec::new(),
            eku: Some(vec!["emailProtection"]),
            key: Key::Ec(Nid::X9_62_PRIME256V1),
            digest: MessageDigest::sha256(),
            not_before_days: -1,
            not_after_days: 365,
            public_key: None,
        }
    }

    pub fn ca(cn: &'a str, serial: u32) -> Self {
        Spec {
            ca: true,
            san_emails: Vec::new(),
            eku: None,
            key: Key::Rsa(2048),
            ..Spec::leaf(cn, "", serial)
        }
    }
}

fn days_from_now(days: i64) -> Asn1Time {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Asn1Time::from_unix(now + days * 86_400).unwrap()
}

/// Issues a certificate for `spec` by `issuer` (self-signed when `None`).
pub fn issue(spec: &Spec<'_>, issuer: Option<(&X509, &PKey<Private>)>) -> (X509, PKey<Private>) {
    let key = spec.key.generate();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", spec.cn).unwrap();
    name.append_entry_by_text("O", "smime pki tests").unwrap();
    if let Some(email) = spec.dn_email {
        name.append_entry_by_nid(Nid::PKCS9_EMAILADDRESS, email)
            .unwrap();
    }
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(spec.serial).unwrap()).unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map_or(&name, |(c, _)| c.subject_name()))
        .unwrap();
    match &spec.public_key {
        Some(public) => b.set_pubkey(public).unwrap(),
        None => b.set_pubkey(&key).unwrap(),
    }
    b.set_not_before(&days_from_now(spec.not_before_days))
        .unwrap();
    b.set_not_after(&days_from_now(spec.not_after_days))
        .unwrap();
    let mut bc = BasicConstraints::new();
    if spec.ca {
        bc.critical().ca();
    }
    b.append_extension(bc.build().unwrap()).unwrap();
    let mut ku = KeyUsage::new();
    ku.critical();
    if spec.ca {
        ku.key_cert_sign().crl_sign();
    } else {
        ku.digital_signature().key_encipherment();
    }
    b.append_extension(ku.build().unwrap()).unwrap();
    if let Some(purposes) = &spec.eku {
        let mut eku = ExtendedKeyUsage::new();
        for p in purposes {
            eku.other(p);
        }
        b.append_extension(eku.build().unwrap()).unwrap();
    }
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(ski).unwrap();
    if !spec.san_emails.is_empty() || !spec.san_utf8.is_empty() {
        let mut san = SubjectAlternativeName::new();
        for e in &spec.san_emails {
            san.email(e);
        }
        for u in &spec.san_utf8 {
            let mut utf8 = vec![0x0c, u.len() as u8];
            utf8.extend_from_slice(u.as_bytes());
            san.other_name2(Asn1Object::from_str("1.3.6.1.5.5.7.8.9").unwrap(), &utf8);
        }
        let ext = san.build(&b.x509v3_context(None, None)).unwrap();
        b.append_extension(ext).unwrap();
    }
    b.sign(issuer.map_or(&key, |(_, k)| k), spec.digest)
        .unwrap();
    (b.build(), key)
}

/// The fixture root (cert and key).
pub fn fixture_root() -> (X509, PKey<Private>) {
    (
        X509::from_pem(&read_fixture("ca/root.pem")).unwrap(),
        PKey::private_key_from_pem(&read_fixture("ca/root.key")).unwrap(),
    )
}

/// An identity of `key`, `cert` and the `chain` above it.
pub fn identity_of(key: &PKey<Private>, cert: &X509, chain: &[X509]) -> Identity {
    smime::pkcs12::import(
        &bundle(Some(key), Some(cert), chain, PASSWORD),
        &smime::Password::new(PASSWORD),
        &smime::Limits::default(),
    )
    .unwrap()
}

pub fn smime_cert(x: &X509) -> Certificate {
    Certificate::from_der(&x.to_der().unwrap()).unwrap()
}

// ---------------------------------------------------------------------------
// Both entry points.

/// What must be equal between the two entry points' reports.
pub fn essentials(report: &VerifyReport) -> String {
    let signers: Vec<String> = report
        .signers
        .iter()
        .map(|s| {
            format!(
                "sig={:?} chain={:?} at={:?} from={:?} digest={:?} alg={:?} weak={:?} rev={:?} fp={:?} path={:?}",
                s.signature,
                s.chain,
                s.chain_certificate,
                s.from_matches,
                s.digest_algorithm,
                s.signature_algorithm,
                s.weaknesses,
                s.revocation,
                s.fingerprint(),
                s.path
                    .iter()
                    .map(|p| (p.certificate.fingerprint(), p.trust_anchor, p.revocation))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    format!(
        "valid={} form={:?} from={:?} coverage={:?} problems={:?} signers={signers:?}",
        report.valid, report.form, report.from, report.coverage, report.problems
    )
}

/// `verify` and `verify_stream` on `message`: their reports must agree
/// (and the streamed content equal the reported one); the in-memory report.
pub fn both(message: &[u8], options: &VerifyOptions) -> VerifyReport {
    let memory = smime::verify(message, options).unwrap();
    let mut content = Vec::new();
    let streamed = smime::verify_stream(message, &mut content, options).unwrap();
    assert_eq!(
        essentials(&memory),
        essentials(&streamed),
        "verify and verify_stream disagree"
    );
    memory
}

// ---------------------------------------------------------------------------
// The CMS inside a signed message.

/// The DER of the (last) base64 CMS body of a signed message, and where
/// its base64 text is.
fn cms_span(text: &str) -> (usize, usize) {
    let marker = "Content-Transfer-Encoding: base64\r\n";
    let start = text.rfind(marker).unwrap() + marker.len();
    let body_start = text[start..]
        .find("\r\n\r\n")
        .map_or(start, |i| start + i + 4);
    let body_start = if text[start..].starts_with("Content-") {
        body_start
    } else {
        start + 2
    };
    let end = text[body_start..]
        .find("--")
        .map_or(text.len(), |i| body_start + i);
    (body_start, end)
}

/// The CMS DER of a signed message.
pub fn cms_of(signed: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(signed.to_vec()).unwrap();
    let (start, end) = cms_span(&text);
    let b64: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(&b64).unwrap()
}

/// `signed` with its CMS DER replaced by `edit`'s result.
pub fn edit_cms(signed: &[u8], edit: impl FnOnce(Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(signed.to_vec()).unwrap();
    let (start, end) = cms_span(&text);
    let der = edit(cms_of(signed));
    let mut encoded = String::new();
    for chunk in STANDARD.encode(&der).as_bytes().chunks(76) {
        encoded.push_str(std::str::from_utf8(chunk).unwrap());
        encoded.push_str("\r\n");
    }
    format!("{}{}{}", &text[..start], encoded, &text[end..]).into_bytes()
}

/// Rewrites the SignedData (typed) inside a signed message.
pub fn edit_signed_data(
    signed: &[u8],
    edit: impl FnOnce(&mut cms::signed_data::SignedData),
) -> Vec<u8> {
    use der::{Decode, Encode};
    edit_cms(signed, |der| {
        let mut ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
        let mut sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
        edit(&mut sd);
        ci.content = der::Any::encode_from(&sd).unwrap();
        ci.to_der().unwrap()
    })
}

/// Adds `choices` (each a RevocationInfoChoice TLV: a CRL, or an RFC 5940
/// `other [1]` OCSP response) as the SignedData `crls [1]` field.
pub fn with_revocation_info(signed: &[u8], choices: &[Vec<u8>]) -> Vec<u8> {
    use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
    edit_cms(signed, |der| {
        let ci = cms::content_info::ContentInfo::from_der(&der).unwrap();
        let mut reader = SliceReader::new(ci.content.value()).unwrap();
        let mut fields = Vec::new();
        while !reader.is_finished() {
            fields.push(der::Any::decode(&mut reader).unwrap());
        }
        let crls_tag = Tag::ContextSpecific {
            constructed: true,
            number: TagNumber::N1,
        };
        let crls = der::Any::new(crls_tag, choices.concat()).unwrap();
        // After certificates [0], before signerInfos (the last SET).
        let at = fields.len() - 1;
        assert_eq!(fields[at].tag(), Tag::Set);
        fields.insert(at, crls);
        let mut body = Vec::new();
        for f in &fields {
            body.extend(f.to_der().unwrap());
        }
        cms::content_info::ContentInfo {
            content_type: ci.content_type,
            content: der::Any::new(Tag::Sequence, body).unwrap(),
        }
        .to_der()
        .unwrap()
    })
}

/// An RFC 5940 `other [1] IMPLICIT OtherRevocationInfoFormat` choice
/// holding an OCSP response.
pub fn ocsp_choice(response: &[u8]) -> Vec<u8> {
    use der::Encode;
    let oid = const_oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2")
        .to_der()
        .unwrap();
    let body = [oid, response.to_vec()].concat();
    let tag = der::Tag::ContextSpecific {
        constructed: true,
        number: der::TagNumber::N1,
    };
    der::Any::new(tag, body).unwrap().to_der().unwrap()
}

// ---------------------------------------------------------------------------
// A CA run by the openssl CLI.

/// A certificate authority under a temp directory, run with `openssl ca`.
pub struct CliCa {
    pub dir: PathBuf,
    pub name: String,
}

/// Runs `openssl` in `dir`; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

const CA_CONFIG: &str = "\
[ca]
default_ca = CA_default
[CA_default]
dir = .
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
default_days = 365
default_crl_days = 7
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
organizationName = optional
emailAddress = optional
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ocsp]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

impl CliCa {
    /// A new CA named `name` in `root/name`: self-signed when `issuer` is
    /// `None`, else issued by it.
    pub fn new(root: &Path, name: &str, issuer: Option<&CliCa>) -> CliCa {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("new")).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), format!("{:02X}\n", 0x10 + name.len())).unwrap();
        std::fs::write(dir.join("crlnumber"), "01\n").unwrap();
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        let ca = CliCa {
            dir,
            name: name.to_owned(),
        };
        let subj = format!("/CN={name}/O=smime cli pki");
        openssl(
            &ca.dir,
            &[
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.csr", "-subj", &subj,
            ],
        );
        match issuer {
            None => {
                openssl(
                    &ca.dir,
                    &[
                        "ca",
                        "-batch",
                        "-config",
                        "ca.cnf",
                        "-selfsign",
                        "-keyfile",
                        "ca.key",
                        "-in",
                        "ca.csr",
                        "-out",
                        "ca.pem",
                        "-extensions",
                        "v3_ca",
                        "-days",
                        "3650",
                        "-notext",
                    ],
                );
            }
            Some(parent) => {
                let cert = parent.sign_csr(&ca.dir.join("ca.csr"), "v3_ca", None);
                std::fs::write(ca.dir.join("ca.pem"), cert).unwrap();
            }
        }
        ca
    }

    /// Signs a CSR with extensions section `section` of the config (or of
    /// `extfile`); returns the PEM.
    pub fn sign_csr(&self, csr: &Path, section: &str, extfile: Option<&Path>) -> Vec<u8> {
        let out = self.dir.join("issued.pem");
        let mut args = vec![
            "ca".to_owned(),
            "-batch".to_owned(),
            "-config".to_owned(),
            "ca.cnf".to_owned(),
            "-keyfile".to_owned(),
            "ca.key".to_owned(),
            "-cert".to_owned(),
            "ca.pem".to_owned(),
            "-in".to_owned(),
            csr.to_str().unwrap().to_owned(),
            "-out".to_owned(),
            out.to_str().unwrap().to_owned(),
            "-extensions".to_owned(),
            section.to_owned(),
            "-notext".to_owned(),
        ];
        if let Some(extfile) = extfile {
            args.push("-extfile".to_owned());
            args.push(extfile.to_str().unwrap().to_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&self.dir, &args);
        std::fs::read(out).unwrap()
    }

    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.pem")).unwrap()
    }

    pub fn x509(&self) -> X509 {
        X509::from_pem(&self.cert_pem()).unwrap()
    }

    pub fn key(&self) -> PKey<Private> {
        PKey::private_key_from_pem(&std::fs::read(self.dir.join("ca.key")).unwrap()).unwrap()
    }

    pub fn certificate(&self) -> Certificate {
        Certificate::from_pem(&self.cert_pem()).unwrap()
    }

    /// Issues an S/MIME leaf for `email` (files `NAME.pem`, `NAME.key`),
    /// with a CRL distribution point and an OCSP responder URL.
    pub fn leaf(&self, name: &str, email: &str) -> (X509, PKey<Private>) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subj = format!("/CN={name}");
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &subj,
            ],
        );
        let ext = self.dir.join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!(
                "[leaf]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature,keyAgreement\n\
extendedKeyUsage = emailProtection\nsubjectAltName = email:{email}\n\
crlDistributionPoints = URI:http://crl.example/{}.crl\n\
authorityInfoAccess = OCSP;URI:http://ocsp.example/{}\n",
                self.name, self.name
            ),
        )
        .unwrap();
        let pem = self.sign_csr(&self.dir.join(&csr), "leaf", Some(&ext));
        std::fs::write(self.dir.join(format!("{name}.pem")), &pem).unwrap();
        (
            X509::from_pem(&pem).unwrap(),
            PKey::private_key_from_pem(&std::fs::read(self.dir.join(key)).unwrap()).unwrap(),
        )
    }

    /// Issues a delegated OCSP responder (id-kp-OCSPSigning) `NAME.pem`.
    pub fn responder(&self, name: &str) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let subj = format!("/CN={name}");
        openssl(
            &self.dir,
            &[
                "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", &key, "-out", &csr,
                "-subj", &subj,
            ],
        );
        let pem = self.sign_csr(&self.dir.join(&csr), "ocsp", None);
        std::fs::write(self.dir.join(format!("{name}.pem")), pem).unwrap();
    }

    /// `openssl ca -revoke` with a reason.
    pub fn revoke(&self, cert_pem_path: &Path, reason: &str) {
        openssl(
            &self.dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-keyfile",
                "ca.key",
                "-cert",
                "ca.pem",
                "-revoke",
                cert_pem_path.to_str().unwrap(),
                "-crl_reason",
                reason,
            ],
        );
    }

    /// `openssl ca -gencrl`, DER.
    pub fn crl(&self, hours: u32) -> Vec<u8> {
        let hours = hours.to_string();
        openssl(
            &self.dir,
            &[
                "ca",
                "-config",
                "ca.cnf",
                "-keyfile",
                "ca.key",
                "-cert",
                "ca.pem",
                "-gencrl",
                "-crlhours",
                &hours,
                "-out",
                "crl.pem",
            ],
        );
        openssl(
            &self.dir,
            &[
                "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der",
            ],
        );
        std::fs::read(self.dir.join("crl.der")).unwrap()
    }

    /// An OCSP response (DER) for `cert_pem_path` from this CA's index,
    /// signed by `signer` (`NAME` of `NAME.pem`/`NAME.key` in this CA's
    /// directory, or a path pair), valid for `minutes` (none: no nextUpdate).
    pub fn ocsp(
        &self,
        cert_pem_path: &Path,
        signer: (&Path, &Path),
        minutes: Option<u32>,
    ) -> Vec<u8> {
        openssl(
            &self.dir,
            &[
                "ocsp",
                "-issuer",
                "ca.pem",
                "-cert",
                cert_pem_path.to_str().unwrap(),
                "-no_nonce",
                "-reqout",
                "req.der",
            ],
        );
        let mut args = vec![
            "ocsp".to_owned(),
            "-index".to_owned(),
            "index.txt".to_owned(),
            "-CA".to_owned(),
            "ca.pem".to_owned(),
            "-rsigner".to_owned(),
            signer.0.to_str().unwrap().to_owned(),
            "-rkey".to_owned(),
            signer.1.to_str().unwrap().to_owned(),
            "-reqin".to_owned(),
            "req.der".to_owned(),
            "-respout".to_owned(),
            "resp.der".to_owned(),
        ];
        if let Some(minutes) = minutes {
            args.push("-nmin".to_owned());
            args.push(minutes.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        openssl(&self.dir, &args);
        std::fs::read(self.dir.join("resp.der")).unwrap()
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
}

// ---------------------------------------------------------------------------
// Signing content exactly as given (protected header fields stay inside).

/// `entity` signed as is (no MIME preparation: `smime::sign` moves header
/// fields such as `From` outside the signature, RFC 9788 signers keep
/// them inside) by OpenSSL's CMS (`CMS_sign`, binary), detached as
/// `multipart/signed` or opaque, under `headers`.
pub fn raw_signed(
    headers: &str,
    entity: &[u8],
    cert: &X509,
    key: &PKey<Private>,
    chain: &[X509],
    opaque: bool,
) -> Vec<u8> {
    use openssl::cms::{CMSOptions, CmsContentInfo};
    let mut certs = openssl::stack::Stack::new().unwrap();
    for c in chain {
        certs.push(c.clone()).unwrap();
    }
    let mut flags = CMSOptions::BINARY;
    if !opaque {
        flags |= CMSOptions::DETACHED;
    }
    let der = CmsContentInfo::sign(Some(cert), Some(key), Some(&certs), Some(entity), flags)
        .unwrap()
        .to_der()
        .unwrap();
    let mut b64 = String::new();
    for chunk in STANDARD.encode(der).as_bytes().chunks(76) {
        b64.push_str(std::str::from_utf8(chunk).unwrap());
        b64.push_str("\r\n");
    }
    let mut out = headers.as_bytes().to_vec();
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    if opaque {
        out.extend_from_slice(
            b"Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        );
        out.extend_from_slice(b64.as_bytes());
    } else {
        out.extend_from_slice(
            b"Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"raw-boundary\"\r\n\r\n--raw-boundary\r\n",
        );
        out.extend_from_slice(entity);
        out.extend_from_slice(b"\r\n--raw-boundary\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        out.extend_from_slice(b64.as_bytes());
        out.extend_from_slice(b"--raw-boundary--\r\n");
    }
    out
}

/// [`raw_signed`] by the fixture identity `name` (its key and certificate
/// from `fixtures/keys`, `fixtures/certs`), detached and opaque.
pub fn raw_signed_by(headers: &str, entity: &[u8], name: &str) -> [Vec<u8>; 2] {
    let cert = X509::from_pem(&read_fixture(&format!("certs/{name}.pem"))).unwrap();
    let key = PKey::private_key_from_pem(&read_fixture(&format!("keys/{name}.key"))).unwrap();
    let chain = [super::intermediate().0];
    [false, true].map(|opaque| raw_signed(headers, entity, &cert, &key, &chain, opaque))
}
