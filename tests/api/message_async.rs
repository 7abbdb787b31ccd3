//! The async API (feature `async`) under a multi-threaded tokio runtime:
//! compose and open over AsyncRead/AsyncWrite, the store's blocking work
//! off the runtime's workers, and cancellation (a dropped future writes
//! nothing and its blocking work ends).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use smime::{AsyncStore, ComposeOptions, ImportOptions, Mailbox, Passphrase, Store, Verdict};
use tokio::io::AsyncWrite;

use super::message_rfc9788::{rfc9216_identities, rfc9216_options};

fn mailbox(s: &str) -> Mailbox {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Alice's and Bob's RFC 9216 identities in one in-memory store.
fn store() -> AsyncStore {
    let store = Store::in_memory().unwrap_or_else(|e| panic!("{e}"));
    for name in ["alice", "bob"] {
        let address = mailbox(&format!("{name}@smime.example"));
        for identity in rfc9216_identities(name) {
            store
                .import_identity(&address, &identity, ImportOptions::default())
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    AsyncStore::from_store(store)
}

const MESSAGE: &[u8] = b"From: Alice <alice@smime.example>\r\nTo: Bob <bob@smime.example>\r\n\
Subject: async\r\n\r\nHello from tokio\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compose_and_open_stream_round_trip() {
    let store = store();
    let options = ComposeOptions::default().sign(true).encrypt(true);
    let mut sent = Vec::new();
    store
        .compose_stream(MESSAGE, &mut sent, mailbox("alice@smime.example"), options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&sent).contains("Subject: [...]"));
    let mut shown = Vec::new();
    let opened = store
        .open_stream(
            &sent[..],
            &mut shown,
            mailbox("bob@smime.example"),
            rfc9216_options(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(opened.verdict, Verdict::SignedAndEncrypted);
    assert_eq!(shown, *opened.message);
    assert!(shown.ends_with(b"Hello from tokio\r\n"));
    assert_eq!(
        opened.header("Subject").map(|h| h.value.as_str()),
        Some("async")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn opening_a_store_does_not_block_the_runtime() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ticks = Arc::new(AtomicUsize::new(0));
    let ticker = {
        let ticks = Arc::clone(&ticks);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(2)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let started = Instant::now();
    // A new store: one PBKDF2 of 600 000 iterations. Opened from a task
    // on the runtime's only worker (the test body itself runs on the
    // test thread), which the ticker needs too.
    let path = dir.path().join("store.db");
    let store =
        tokio::spawn(async move { AsyncStore::open(path, Passphrase::new("a passphrase")).await })
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let during = ticks.load(Ordering::Relaxed);
    ticker.abort();
    eprintln!("AsyncStore::open took {took:?}; the other task ran {during} times meanwhile");
    // With the KDF on the only worker, the ticker could not have run.
    assert!(
        during as u128 >= took.as_millis() / 20,
        "{during} ticks in {took:?}: the worker was blocked"
    );
    let mailboxes = store
        .blocking(|s| s.mailboxes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(mailboxes.is_empty());
    // A wrong passphrase is the store's typed error, through the pool.
    let wrong = AsyncStore::open(dir.path().join("store.db"), Passphrase::new("another one")).await;
    assert!(
        matches!(wrong, Err(smime::Error::WrongPassphrase)),
        "{wrong:?}"
    );
}

/// Counts the bytes written to it.
struct Counting(Arc<AtomicUsize>);

impl AsyncWrite for Counting {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_compose_writes_nothing_and_its_work_ends() {
    let store = store();
    // Big enough that signing and encrypting it takes a while.
    let mut message = MESSAGE.to_vec();
    message.extend(
        std::iter::repeat_n(
            b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd\r\n".as_slice(),
            256 * 1024,
        )
        .flatten(),
    );
    let written = Arc::new(AtomicUsize::new(0));
    let options = ComposeOptions::default().sign(true).encrypt(true);
    let future = store.compose_stream(
        &message[..],
        Counting(Arc::clone(&written)),
        mailbox("alice@smime.example"),
        options.clone(),
    );
    let outcome = tokio::time::timeout(Duration::from_millis(5), future).await;
    assert!(outcome.is_err(), "composing 16 MiB took under 5 ms?");
    assert_eq!(
        written.load(Ordering::Relaxed),
        0,
        "a cancelled compose wrote output"
    );
    // The blocking task holds a handle on the store until it ends: it
    // ends (bounded work), and nothing keeps running.
    let deadline = Instant::now() + Duration::from_secs(120);
    while Arc::strong_count(store.store()) > 1 {
        assert!(Instant::now() < deadline, "the blocking work never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(written.load(Ordering::Relaxed), 0);
    // The store is fine afterwards.
    let sent = store
        .compose(MESSAGE.to_vec(), mailbox("alice@smime.example"), options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!sent.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_come_back_typed_through_the_pool() {
    let store = store();
    let message = b"From: alice@smime.example\r\nTo: nobody@x.example\r\n\r\nhi\r\n".to_vec();
    let err = store
        .compose(
            message,
            mailbox("alice@smime.example"),
            ComposeOptions::default().encrypt(true),
        )
        .await;
    assert!(
        matches!(&err, Err(smime::Error::NoCertificateFor { addresses }) if addresses == &[mailbox("nobody@x.example")]),
        "{err:?}"
    );
    let too_big = [b'a'; 64];
    let mut options = rfc9216_options();
    let mut limits = smime::Limits::default();
    limits.max_in_memory = 16;
    options.verify = options.verify.limits(limits);
    let err = store
        .open_stream(
            &too_big[..],
            Vec::new(),
            mailbox("bob@smime.example"),
            options,
        )
        .await;
    assert!(
        matches!(
            err,
            Err(smime::Error::LimitExceeded {
                limit: "max_in_memory",
                ..
            })
        ),
        "{err:?}"
    );
}

/// A call whose future is dropped while its blocking task is still
/// queued (the pool busy) never runs: the task is aborted, not detached.
#[test]
fn a_dropped_call_still_queued_never_runs() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .enable_time()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let ran = Arc::new(AtomicUsize::new(0));
    runtime.block_on(async {
        let store = AsyncStore::from_store(Store::in_memory().unwrap_or_else(|e| panic!("{e}")));
        let started = Arc::new(AtomicUsize::new(0));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        // Occupies the one blocking thread until released.
        let occupier = tokio::spawn({
            let store = store.clone();
            let started = Arc::clone(&started);
            async move {
                store
                    .blocking(move |_| {
                        started.store(1, Ordering::SeqCst);
                        let _ = release_rx.recv_timeout(Duration::from_secs(30));
                        Ok(())
                    })
                    .await
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while started.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            started.load(Ordering::SeqCst),
            1,
            "the occupier never started"
        );
        let queued = {
            let ran = Arc::clone(&ran);
            store.blocking(move |_| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        };
        let dropped = tokio::time::timeout(Duration::from_millis(50), queued).await;
        assert!(
            dropped.is_err(),
            "the queued call ran while the pool was busy"
        );
        let _ = release_tx.send(());
        occupier
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        // Anything queued behind the occupier has had its turn by now.
        store
            .blocking(|_| Ok(()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    });
    drop(runtime);
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}
