//! `--out` never harms the host: regular files are replaced atomically and
//! keep their mode and owner, everything else (symbolic links, hard-linked
//! files, FIFOs, devices, our own stdout) is written through, and a killed
//! `decrypt` leaves no plaintext behind. Every special file is made in the
//! test's own temp dir; no test touches a real system path.

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::*;
use rustix::fs::{CWD, FileType, Mode, makedev, mknodat};
use rustix::process::{Pid, Signal, geteuid, kill_process};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `sign --p12 alice.p12 --out <out>` of `MESSAGE` (no store).
fn sign_to(env: &Env, out: &Path) -> Output {
    let mut cmd = env.command(&["sign", "--p12", &fixture_arg("p12/alice.p12"), "--out"]);
    cmd.arg(out).env("SMIME_P12_PASSWORD", PASSWORD);
    env.run_with_stdin(cmd, MESSAGE.as_bytes())
}

fn assert_signed(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(text.contains("multipart/signed"), "{text}");
    assert!(text.contains("Hello Bob"), "{text}");
}

/// `decrypt --p12 bob.p12 --in <sealed> --out <out>` (no store).
fn decrypt_to(env: &Env, sealed: &Path, out: &Path) -> Output {
    let mut cmd = env.command(&["decrypt", "--p12", &fixture_arg("p12/bob.p12"), "--in"]);
    cmd.arg(sealed)
        .arg("--out")
        .arg(out)
        .env("SMIME_P12_PASSWORD", PASSWORD);
    run(cmd)
}

/// `MESSAGE` encrypted to bob, in a file.
fn sealed_for_bob(env: &Env) -> PathBuf {
    let sealed = env
        .encrypt(&[
            "--to",
            &fixture_arg("certs/bob.pem"),
            "--cipher",
            "aes256-gcm",
        ])
        .expect(0)
        .stdout;
    env.file("sealed.eml", sealed.as_bytes())
}

#[test]
fn a_new_file_is_0600_and_a_replaced_one_keeps_its_mode() {
    let env = Env::new();
    let new = env.dir.path().join("new.eml");
    sign_to(&env, &new).expect(0);
    assert_signed(&fs::read(&new).unwrap());
    assert_eq!(mode(&new), 0o600);

    let kept = env.file("kept.eml", b"old content\n");
    fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
    let inode = fs::metadata(&kept).unwrap().ino();
    sign_to(&env, &kept).expect(0);
    assert_signed(&fs::read(&kept).unwrap());
    assert_eq!(
        mode(&kept),
        0o640,
        "the mode of the replaced file was not kept"
    );
    assert_ne!(
        fs::metadata(&kept).unwrap().ino(),
        inode,
        "a single-name regular file is replaced by rename, not rewritten"
    );
    assert_eq!(names_in(env.dir.path()), ["kept.eml", "new.eml"]);
}

#[test]
fn a_replaced_file_keeps_its_owner_when_running_as_root() {
    if !geteuid().is_root() {
        eprintln!("skipped: giving a file to another user needs root");
        return;
    }
    let env = Env::new();
    let owned = env.file("owned.eml", b"old content\n");
    std::os::unix::fs::chown(&owned, Some(4242), Some(4243)).unwrap();
    sign_to(&env, &owned).expect(0);
    let meta = fs::metadata(&owned).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (4242, 4243));
    assert_signed(&fs::read(&owned).unwrap());
}

#[test]
fn a_symbolic_link_is_written_through_and_stays_a_link() {
    let env = Env::new();
    let target = env.file("target.eml", b"old content\n");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
    let link = env.dir.path().join("link.eml");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    sign_to(&env, &link).expect(0);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_link(&link).unwrap(), target);
    assert_signed(&fs::read(&target).unwrap());
    assert_eq!(mode(&target), 0o644);

    // A dangling link: its target is created (0600), the link kept.
    let missing = env.dir.path().join("missing.eml");
    let dangling = env.dir.path().join("dangling.eml");
    std::os::unix::fs::symlink(&missing, &dangling).unwrap();
    sign_to(&env, &dangling).expect(0);
    assert!(
        fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_signed(&fs::read(&missing).unwrap());
    assert_eq!(mode(&missing), 0o600);
}

#[test]
fn a_hard_linked_file_is_written_in_place_so_every_name_sees_it() {
    let env = Env::new();
    let first = env.file("first.eml", b"old content\n");
    let second = env.dir.path().join("second.eml");
    fs::hard_link(&first, &second).unwrap();
    let inode = fs::metadata(&first).unwrap().ino();
    sign_to(&env, &first).expect(0);
    let (a, b) = (
        fs::metadata(&first).unwrap(),
        fs::metadata(&second).unwrap(),
    );
    assert_eq!((a.ino(), b.ino(), a.nlink()), (inode, inode, 2));
    assert_signed(&fs::read(&second).unwrap());
    assert_eq!(fs::read(&first).unwrap(), fs::read(&second).unwrap());
}

#[test]
fn a_failed_command_leaves_every_kind_of_target_as_it_was() {
    let env = Env::new();
    let sealed = sealed_for_bob(&env);
    let mut bytes = fs::read(&sealed).unwrap();
    let at = bytes.len() * 2 / 3;
    let pos = (at..bytes.len())
        .find(|&i| bytes[i].is_ascii_alphabetic())
        .unwrap();
    bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
    let tampered = env.file("tampered.eml", &bytes);

    let plain = env.file("plain.eml", b"old content\n");
    let linked = env.file("linked.eml", b"old content\n");
    fs::hard_link(&linked, env.dir.path().join("linked-too.eml")).unwrap();
    let behind = env.file("behind.eml", b"old content\n");
    let link = env.dir.path().join("link.eml");
    std::os::unix::fs::symlink(&behind, &link).unwrap();
    let before = names_in(env.dir.path());
    for target in [&plain, &linked, &link] {
        decrypt_to(&env, &tampered, target)
            .expect(2)
            .one_line_error();
        assert_eq!(fs::read(target).unwrap(), b"old content\n", "{target:?}");
    }
    assert_eq!(
        names_in(env.dir.path()),
        before,
        "a temporary file was left"
    );
}

#[test]
fn a_fifo_is_written_through_as_signed_and_once_decrypted() {
    let env = Env::new();
    let fifo = env.dir.path().join("fifo");
    mknodat(CWD, &fifo, FileType::Fifo, Mode::from_raw_mode(0o600), 0).unwrap();
    // The test holds the FIFO open for reading and writing (Linux never
    // blocks on that) while smime runs: the reader's open() returns at
    // once, and its EOF comes when both smime and the test have closed it,
    // so a smime that never opened the FIFO fails the test instead of
    // hanging it.
    let read_fifo = |fifo: &Path| {
        let keep = OpenOptions::new()
            .read(true)
            .write(true)
            .open(fifo)
            .unwrap();
        let path = fifo.to_owned();
        (keep, std::thread::spawn(move || fs::read(path).unwrap()))
    };

    let (keep, reader) = read_fifo(&fifo);
    let out = sign_to(&env, &fifo);
    drop(keep);
    out.expect(0);
    assert_signed(&reader.join().unwrap());

    let sealed = sealed_for_bob(&env);
    let (keep, reader) = read_fifo(&fifo);
    let out = decrypt_to(&env, &sealed, &fifo);
    drop(keep);
    out.expect(0);
    assert_is_the_entity(&String::from_utf8(reader.join().unwrap()).unwrap());
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn a_character_device_made_for_the_test_is_written_through() {
    if !geteuid().is_root() {
        eprintln!("skipped: making a device node (mknod) needs root");
        return;
    }
    let env = Env::new();
    // The null device's numbers, as a node in our temp dir.
    let null = env.dir.path().join("null");
    if let Err(e) = mknodat(
        CWD,
        &null,
        FileType::CharacterDevice,
        Mode::from_raw_mode(0o666),
        makedev(1, 3),
    ) {
        eprintln!("skipped: mknod in the temp dir failed ({e})");
        return;
    }
    if let Err(e) = OpenOptions::new().write(true).open(&null) {
        eprintln!("skipped: the device node cannot be opened ({e}; temp dir mounted nodev?)");
        return;
    }
    sign_to(&env, &null).expect(0);
    let sealed = sealed_for_bob(&env);
    decrypt_to(&env, &sealed, &null).expect(0);
    let signed = env.alice_signed(&[]);
    let file = env.file("signed.eml", signed.as_bytes());
    let mut cmd = env.command(&["verify", "--trust", &root_pem(), "--in"]);
    cmd.arg(&file).arg("--out").arg(&null);
    let out = run(cmd).expect(0);
    assert_eq!(out.stdout.lines().next(), Some("valid"));
    let meta = fs::symlink_metadata(&null).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "the device node was replaced"
    );
    assert_eq!(meta.rdev(), makedev(1, 3));
}

/// `sign` of `message` from stdin into a pipe of the default size: the
/// pipe's size once `smime` is done, and what came out.
#[cfg(target_os = "linux")]
fn sign_into_a_pipe(env: &Env, message: Vec<u8>) -> (usize, Vec<u8>) {
    use rustix::pipe::{fcntl_getpipe_size, pipe};
    use std::io::Read;
    let (read, write) = pipe().unwrap();
    assert!(fcntl_getpipe_size(&read).unwrap() < 1 << 20);
    let mut cmd = env.command(&["sign", "--p12", &fixture_arg("p12/alice.p12")]);
    cmd.env("SMIME_P12_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(write));
    let mut child = cmd.spawn().unwrap();
    // Our copy of the write end goes with the command: EOF when it exits.
    drop(cmd);
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&message).unwrap());
    let mut signed = Vec::new();
    fs::File::from(read.try_clone().unwrap())
        .read_to_end(&mut signed)
        .unwrap();
    feeder.join().unwrap();
    assert!(child.wait().unwrap().success());
    (fcntl_getpipe_size(&read).unwrap(), signed)
}

/// A stdout that is a pipe is widened to 1 MiB once the output passes
/// 1 MiB (the reader at the other end is woken sixteen times less often),
/// a short output leaves it as it was, and what comes out is the same.
#[cfg(target_os = "linux")]
#[test]
fn a_stdout_pipe_is_widened_to_one_mib_for_a_long_output_only() {
    let max = fs::read_to_string("/proc/sys/fs/pipe-max-size").ok();
    if max.and_then(|m| m.trim().parse::<usize>().ok()) < Some(1 << 20) {
        eprintln!("skipped: /proc/sys/fs/pipe-max-size is below 1 MiB or unreadable");
        return;
    }
    let env = Env::new();
    let (size, signed) = sign_into_a_pipe(&env, MESSAGE.as_bytes().to_vec());
    assert!(size < 1 << 20, "a short output widened the pipe to {size}");
    assert_signed(&signed);
    let mut long = MESSAGE.as_bytes().to_vec();
    while long.len() < 2 << 20 {
        long.extend_from_slice(b"Hello Bob, a long line of text to make the message long.\r\n");
    }
    let (size, signed) = sign_into_a_pipe(&env, long);
    assert_eq!(size, 1 << 20);
    assert_signed(&signed);
    assert!(signed.len() > 2 << 20);
}

#[test]
fn our_own_stdout_by_another_name_is_written_through() {
    if !Path::new("/proc/self/fd/1").exists() {
        eprintln!("skipped: no /proc/self/fd");
        return;
    }
    let env = Env::new();
    // What /dev/stdout is, as a link in our temp dir.
    let link = env.dir.path().join("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let out = sign_to(&env, &link).expect(0);
    assert_signed(out.stdout.as_bytes());
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_directory_is_refused() {
    let env = Env::new();
    let out = sign_to(&env, env.dir.path()).expect(2).one_line_error();
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
}

/// A message of about 8 MiB encrypted to bob, in a file.
fn large_sealed_for_bob(env: &Env) -> Vec<u8> {
    let mut message = String::from("Content-Type: text/plain\r\n\r\n");
    while message.len() < 8 << 20 {
        message.push_str("a line of the secret plaintext, long enough to be seen\r\n");
    }
    let input = env.file("large.eml", message.as_bytes());
    let sealed = env.dir.path().join("large.p7m");
    let mut cmd = env.command(&["encrypt", "--to", &fixture_arg("certs/bob.pem"), "--in"]);
    cmd.arg(&input).arg("--out").arg(&sealed);
    run(cmd).expect(0);
    fs::read(sealed).unwrap()
}

/// Starts `decrypt --out out/plain.eml` from a pipe, feeds it half the
/// message, kills it with `signal` while it waits for the rest, and asserts
/// nothing is left in `out/`. With `named`, the fallback for file systems
/// without O_TMPFILE (debug builds only) is taken.
fn killed_decrypt_leaves_nothing(signal: Signal, named: bool) -> std::process::ExitStatus {
    let env = Env::new();
    let sealed = large_sealed_for_bob(&env);
    let out_dir = env.dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let mut cmd = env.command(&["decrypt", "--p12", &fixture_arg("p12/bob.p12"), "--out"]);
    cmd.arg(out_dir.join("plain.eml"))
        .env("SMIME_P12_PASSWORD", PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if named {
        cmd.env("SMIME_TEST_NAMED_STAGING", "1");
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Returns once the child has read all but a pipe buffer of it: it is
    // decrypting into its staged output, waiting for more.
    stdin.write_all(&sealed[..sealed.len() / 2]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let during = names_in(&out_dir);
    if named {
        assert_eq!(
            during.len(),
            1,
            "no named temporary file to clean up: {during:?}"
        );
    } else {
        assert!(
            during.is_empty(),
            "partial plaintext is visible: {during:?}"
        );
    }
    kill_process(Pid::from_child(&child), signal).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert!(
        names_in(&out_dir).is_empty(),
        "left behind after {signal:?}: {:?}",
        names_in(&out_dir)
    );
    status
}

#[test]
fn sigkill_mid_decryption_leaves_no_plaintext_file() {
    use std::os::unix::process::ExitStatusExt;
    let status = killed_decrypt_leaves_nothing(Signal::KILL, false);
    assert_eq!(status.signal(), Some(9), "{status:?}");
}

#[test]
fn sigterm_mid_decryption_leaves_no_plaintext_file() {
    use std::os::unix::process::ExitStatusExt;
    let status = killed_decrypt_leaves_nothing(Signal::TERM, false);
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

#[test]
fn sigterm_and_sighup_remove_a_named_temporary_file_and_exit_128_plus_the_signal() {
    let status = killed_decrypt_leaves_nothing(Signal::TERM, true);
    assert_eq!(status.code(), Some(128 + 15), "{status:?}");
    let status = killed_decrypt_leaves_nothing(Signal::HUP, true);
    assert_eq!(status.code(), Some(128 + 1), "{status:?}");
}

#[test]
fn decrypt_to_a_new_file_is_0600_and_complete() {
    let env = Env::new();
    let sealed = sealed_for_bob(&env);
    let out = env.dir.path().join("plain.eml");
    decrypt_to(&env, &sealed, &out).expect(0);
    assert_is_the_entity(&fs::read_to_string(&out).unwrap());
    assert_eq!(mode(&out), 0o600);
}
