//! The golden-transcript harness shared by `golden.rs` and
//! `golden_bundle.rs` (see `golden.rs` for what a transcript is): steps,
//! placeholders, recording and comparing.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the transcripts and their input messages live.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The repository's `fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

pub const STORE_PASSPHRASE: &str = "store passphrase for tests";
pub const P12_PASSWORD: &str = "test-password";
/// Fingerprint placeholders usable in arguments: `$NAME_FP` is the SHA-256
/// of `fixtures/certs/name.pem`'s certificate (from `certs/name.der` or the PEM).
pub const FINGERPRINTS: [(&str, &str); 2] = [("$ALICE_FP", "alice"), ("$EXPIRED_FP", "expired")];

/// One thing a case does.
pub enum Step {
    /// Runs `smime` with these arguments (placeholders expanded).
    Run(Run),
    /// Writes a file (placeholders expanded in the path); not recorded
    /// beyond a comment line.
    Write(&'static str, &'static [u8]),
}

/// One `smime` invocation.
pub struct Run {
    args: Vec<String>,
    /// Prepend `--store $DIR/store.db`.
    store: bool,
    /// `(name, Some(value))` sets, `(name, None)` removes a variable.
    env: Vec<(&'static str, Option<String>)>,
    stdin: Option<String>,
    /// Files (placeholders expanded) whose content is recorded after the run.
    files: Vec<&'static str>,
    /// stdout differs from run to run (fresh signatures, encryptions): only
    /// its being empty or not is recorded.
    ignore_stdout: bool,
}

/// `smime --store $DIR/store.db <args>` (split on whitespace).
pub fn smime(args: &str) -> Run {
    Run {
        args: args.split_whitespace().map(str::to_owned).collect(),
        store: true,
        env: Vec::new(),
        stdin: None,
        files: Vec::new(),
        ignore_stdout: false,
    }
}

impl Run {
    /// Without `--store`.
    pub fn bare(mut self) -> Self {
        self.store = false;
        self
    }
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }
    pub fn env(mut self, name: &'static str, value: &str) -> Self {
        self.env.push((name, Some(value.to_owned())));
        self
    }
    pub fn env_remove(mut self, name: &'static str) -> Self {
        self.env.push((name, None));
        self
    }
    pub fn p12(self) -> Self {
        self.env("SMIME_P12_PASSWORD", P12_PASSWORD)
    }
    pub fn stdin(mut self, file: &str) -> Self {
        self.stdin = Some(file.to_owned());
        self
    }
    pub fn file(mut self, file: &'static str) -> Self {
        self.files.push(file);
        self
    }
    pub fn ignore_stdout(mut self) -> Self {
        self.ignore_stdout = true;
        self
    }
    pub fn step(self) -> Step {
        Step::Run(self)
    }
}

/// The placeholders of one case and their values.
pub struct Places {
    dir: String,
    fix: String,
    gold: String,
    fingerprints: Vec<(&'static str, String)>,
}

impl Places {
    pub fn expand(&self, text: &str) -> String {
        let mut text = text
            .replace("$DIR", &self.dir)
            .replace("$FIX", &self.fix)
            .replace("$GOLD", &self.gold);
        for (name, value) in &self.fingerprints {
            text = text.replace(name, value);
        }
        text
    }

    pub fn normalise(&self, text: &str) -> String {
        let text = text
            .replace(&self.dir, "$DIR")
            .replace(&self.fix, "$FIX")
            .replace(&self.gold, "$GOLD");
        let mut out = String::with_capacity(text.len());
        for line in text.split_inclusive('\n') {
            match line.find("\"imported_at\": \"") {
                Some(at) => {
                    let head = &line[..at + "\"imported_at\": \"".len()];
                    let tail = line[head.len()..]
                        .split_once('"')
                        .map_or("", |(_, rest)| rest);
                    out.push_str(head);
                    out.push_str("<time>\"");
                    out.push_str(tail);
                }
                None => out.push_str(line),
            }
        }
        out
    }
}

pub fn canonical(path: &Path) -> String {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .display()
        .to_string()
}

/// Appends `label: N bytes` and the text to the transcript.
pub fn section(out: &mut String, label: &str, bytes: &[u8], places: &Places) {
    let text = places.normalise(&String::from_utf8_lossy(bytes));
    // The length of what is shown: with the checkout's and the temporary
    // directory's paths replaced, so no transcript depends on where the
    // repository was cloned.
    writeln!(out, "{label}: {} bytes", text.len()).unwrap();
    out.push_str(&text);
    if !text.is_empty() && !text.ends_with('\n') {
        out.push_str("\n\\ no newline at end\n");
    }
}

/// Runs every step of a case; the transcript.
pub fn transcript(steps: &[Step]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let places = Places {
        dir: canonical(dir.path()),
        fix: canonical(&fixtures_dir()),
        gold: canonical(&golden_dir()),
        fingerprints: FINGERPRINTS
            .iter()
            .map(|(name, cert)| {
                (
                    *name,
                    fingerprint(&fixtures_dir().join(format!("certs/{cert}.pem"))),
                )
            })
            .collect(),
    };
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Write(path, bytes) => {
                std::fs::write(places.expand(path), bytes).unwrap();
                writeln!(out, "# write {path} ({} bytes)", bytes.len()).unwrap();
            }
            Step::Run(run) => record(&mut out, run, &places),
        }
        out.push('\n');
    }
    out
}

/// SHA-256 of a PEM certificate's DER, lowercase hex.
pub fn fingerprint(pem: &Path) -> String {
    let pem = std::fs::read(pem).unwrap();
    let der = openssl::x509::X509::from_pem(&pem)
        .unwrap()
        .to_der()
        .unwrap();
    openssl::sha::sha256(&der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn record(out: &mut String, run: &Run, places: &Places) {
    let mut args: Vec<String> = Vec::new();
    if run.store {
        args.extend(["--store".to_owned(), "$DIR/store.db".to_owned()]);
    }
    args.extend(run.args.iter().cloned());
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if a.is_empty() || a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    writeln!(out, "$ smime {}", shown.join(" ")).unwrap();
    for (name, value) in &run.env {
        match value {
            Some(value) => writeln!(out, "  env {name}={value}").unwrap(),
            None => writeln!(out, "  env -u {name}").unwrap(),
        }
    }
    if let Some(stdin) = &run.stdin {
        writeln!(out, "  < {stdin}").unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_smime"));
    cmd.args(args.iter().map(|a| places.expand(a)))
        .env_remove("SMIME_STORE")
        .env_remove("SMIME_P12_PASSWORD")
        .env_remove("SMIME_EXPORT_PASSWORD")
        .env_remove("SMIME_NEW_STORE_PASSPHRASE")
        .env("SMIME_STORE_PASSPHRASE", STORE_PASSPHRASE)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in &run.env {
        match value {
            Some(value) => cmd.env(name, places.expand(value)),
            None => cmd.env_remove(name),
        };
    }
    match &run.stdin {
        Some(file) => cmd.stdin(std::fs::File::open(places.expand(file)).unwrap()),
        None => cmd.stdin(Stdio::null()),
    };
    let output = cmd.output().unwrap();
    match output.status.code() {
        Some(code) => writeln!(out, "exit {code}").unwrap(),
        None => writeln!(out, "exit by signal").unwrap(),
    }
    if run.ignore_stdout {
        let what = if output.stdout.is_empty() {
            "empty"
        } else {
            "not empty"
        };
        writeln!(out, "stdout: {what} (not compared)").unwrap();
    } else {
        section(out, "stdout", &output.stdout, places);
    }
    section(out, "stderr", &output.stderr, places);
    for file in &run.files {
        let path = places.expand(file);
        match std::fs::read(&path) {
            Ok(bytes) => section(out, &format!("file {file}"), &bytes, places),
            Err(e) => writeln!(out, "file {file}: {:?}", e.kind()).unwrap(),
        }
    }
}

/// Records (with `SMIME_GOLDEN_RECORD=1`) or compares one case.
pub fn check(case: &str, steps: &[Step]) {
    let got = transcript(steps);
    let path = golden_dir().join(format!("{case}.txt"));
    if std::env::var_os("SMIME_GOLDEN_RECORD").is_some() {
        std::fs::write(&path, &got).unwrap();
        eprintln!("recorded {}", path.display());
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record with SMIME_GOLDEN_RECORD=1)",
            path.display()
        )
    });
    if got != want {
        let mut diff = String::new();
        let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
        for i in 0..g.len().max(w.len()) {
            let (gl, wl) = (g.get(i).copied(), w.get(i).copied());
            if gl != wl {
                writeln!(diff, "line {}:\n  want {wl:?}\n  got  {gl:?}", i + 1).unwrap();
            }
        }
        panic!(
            "{case}: output differs from {}\n{diff}\n--- got:\n{got}",
            path.display()
        );
    }
}
