//! The mail-client layer for tokio (feature `async`): an [`AsyncStore`]
//! whose every blocking call — opening the store (a 600 000-iteration
//! PBKDF2, 0.3–0.8 s), SQLite or PostgreSQL I/O, signing, encryption,
//! verification — runs on tokio's blocking pool
//! ([`tokio::task::spawn_blocking`]), so no runtime worker is held up;
//! and [`compose`](crate::compose())/[`open`](crate::open()) over
//! [`AsyncRead`]/[`AsyncWrite`].
//!
//! # Cancellation
//!
//! Every method is cancel-safe in this sense: dropping its future (a
//! `timeout`, a `select!` branch that lost, a client that went away)
//!
//! * writes nothing more: output is written only once the whole result
//!   is ready, by the future itself, never by the blocking task; a future
//!   dropped before that point has written nothing at all. One dropped
//!   *during* that final write leaves a prefix in the writer, as any
//!   `write_all` does: write to a temporary file and rename it on success
//!   when the target must never hold a partial message, or use the
//!   methods that return bytes ([`AsyncStore::compose`],
//!   [`AsyncStore::open_message`]);
//! * does not keep working forever: the blocking task tokio already runs
//!   cannot be interrupted (no blocking task can), but it is one bounded
//!   operation on one message (within [`Limits`](crate::Limits)); it
//!   finishes, its result (plaintext included, zeroized where the
//!   synchronous API zeroizes it) is dropped, and nothing else starts.
//!   A task not yet started when its future is dropped (the blocking
//!   pool busy) never runs: its handle aborts it.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

use super::compose::{ComposeOptions, compose};
use super::open::{OpenOptions, Opened, open};
use crate::error::{Error, Result};
use crate::mailbox::Mailbox;
use crate::secret::Passphrase;
use crate::store::{KeyEncryptionKey, Store};

/// A [`Store`] for async code: cheap to clone (one store shared), every
/// blocking operation on tokio's blocking pool.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use smime::{AsyncStore, ComposeOptions, Mailbox, Password, Store};
/// let store = AsyncStore::from_store(Store::in_memory()?);
/// let alice: Mailbox = "alice@example.org".parse()?;
/// let p12 = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/p12/alice.p12"))?;
/// let mailbox = alice.clone();
/// store.blocking(move |s| s.import_pkcs12(&mailbox, &p12, &Password::new("test-password"))).await?;
/// let message = b"From: alice@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nHello\r\n".to_vec();
/// let sent = store.compose(message, alice, ComposeOptions::default().sign(true)).await?;
/// assert!(String::from_utf8_lossy(&sent).contains("multipart/signed"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AsyncStore {
    store: Arc<Store>,
}

impl std::fmt::Debug for AsyncStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStore").finish_non_exhaustive()
    }
}

impl AsyncStore {
    /// Wraps an open store.
    pub fn from_store(store: Store) -> Self {
        AsyncStore {
            store: Arc::new(store),
        }
    }

    /// [`Store::open`] with a passphrase, on the blocking pool (the KDF
    /// alone takes 0.3–0.8 s).
    pub async fn open(location: impl Into<PathBuf>, passphrase: Passphrase) -> Result<Self> {
        let location = location.into();
        Self::open_with(move || Store::open(location, &passphrase)).await
    }

    /// [`Store::open`] with a key-encryption key, on the blocking pool.
    pub async fn open_with_key(
        location: impl Into<PathBuf>,
        key: KeyEncryptionKey,
    ) -> Result<Self> {
        let location = location.into();
        Self::open_with(move || Store::open(location, &key)).await
    }

    /// Any way of opening a store ([`Store::open_postgres`],
    /// [`Store::with_backend`], ...), run on the blocking pool.
    pub async fn open_with<F>(open: F) -> Result<Self>
    where
        F: FnOnce() -> Result<Store> + Send + 'static,
    {
        Ok(Self::from_store(run_blocking(open).await?))
    }

    /// The store, for calls that are quick enough to make in place
    /// (none of its methods is async-aware: prefer [`AsyncStore::blocking`]).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Runs `f` on the store on the blocking pool: any [`Store`] method.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        run_blocking(move || f(&store)).await
    }

    /// [`compose`](crate::compose()) on the blocking pool.
    pub async fn compose(
        &self,
        message: Vec<u8>,
        sender: Mailbox,
        options: ComposeOptions,
    ) -> Result<Vec<u8>> {
        self.blocking(move |store| compose(&message, store, &sender, &options))
            .await
    }

    /// [`open`](crate::open()) with the private keys of `mailbox`, on the
    /// blocking pool.
    pub async fn open_message(
        &self,
        message: Vec<u8>,
        mailbox: Mailbox,
        options: OpenOptions,
    ) -> Result<Opened> {
        let message = Zeroizing::new(message);
        self.blocking(move |store| {
            let identities = store.identities(&mailbox)?;
            open(&message, &identities, &options)
        })
        .await
    }

    /// [`AsyncStore::compose`] from a reader (at most
    /// [`Limits::max_in_memory`](crate::Limits::max_in_memory) bytes) to a writer, flushed; nothing is
    /// written unless composing succeeded.
    pub async fn compose_stream<R, W>(
        &self,
        input: R,
        mut output: W,
        sender: Mailbox,
        options: ComposeOptions,
    ) -> Result<()>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let message = read_bounded(input, options.sign_options.limits.max_in_memory).await?;
        let composed = self.compose(message, sender, options).await?;
        output.write_all(&composed).await?;
        output.flush().await?;
        Ok(())
    }

    /// [`AsyncStore::open_message`] from a reader (at most
    /// [`Limits::max_in_memory`](crate::Limits::max_in_memory) bytes), the displayable message written
    /// to `output` (flushed) only once every layer was opened.
    pub async fn open_stream<R, W>(
        &self,
        input: R,
        mut output: W,
        mailbox: Mailbox,
        options: OpenOptions,
    ) -> Result<Opened>
    where
        R: AsyncRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let limit = options.verify.limits.max_in_memory;
        let message = read_bounded(input, limit).await?;
        let opened = self.open_message(message, mailbox, options).await?;
        output.write_all(&opened.message).await?;
        output.flush().await?;
        Ok(opened)
    }
}

/// `f` on tokio's blocking pool. A panic in `f` is resumed here; a task
/// the runtime cancelled (it is shutting down) is an
/// [`std::io::ErrorKind::Interrupted`] I/O error.
async fn run_blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    match AbortOnDrop(tokio::task::spawn_blocking(f)).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Error::Io(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "the runtime cancelled the blocking task",
        ))),
    }
}

/// A blocking task's handle that aborts the task when dropped: a task
/// still queued (the blocking pool busy) then never starts; one already
/// running finishes (tokio cannot interrupt it) and its result is
/// dropped. A bare `JoinHandle` dropped would only detach the task.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = std::result::Result<T, tokio::task::JoinError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// All of `input`, refused over `max` bytes.
async fn read_bounded<R: AsyncRead + Unpin>(input: R, max: u64) -> Result<Vec<u8>> {
    let mut message = Vec::new();
    input
        .take(max.saturating_add(1))
        .read_to_end(&mut message)
        .await?;
    crate::limits::check("max_in_memory", message.len() as u64, max)?;
    Ok(message)
}
