//! Memory amplification: what hostile input may make us allocate. A
//! global allocator records the peak of live heap bytes; each test runs
//! alone (one lock) and compares the peak during the call with what was
//! live before it. A binary of its own, because the allocator counts every
//! thread of the process.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Peak;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Peak = Peak;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` and returns the peak heap growth it caused, in bytes.
fn peak_during(f: impl FnOnce()) -> usize {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(before)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/").to_owned() + name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// 333 bytes whose opaque SignedData declares a 250 MiB element: the BER
/// reader used to allocate the declared length before reading (264 MB
/// RSS); now the buffer grows with the bytes that arrive.
#[test]
fn a_declared_ber_length_is_not_allocated() {
    let message = fixture("hostile/ber-declared-length.eml");
    assert!(message.len() < 400);
    let mut result = None;
    let peak = peak_during(|| {
        result = Some(smime::verify_stream(
            &message[..],
            std::io::sink(),
            &smime::VerifyOptions::new(&[]),
        ));
    });
    assert!(
        matches!(
            result,
            Some(Err(smime::Error::InvalidCms(smime::CmsError::Truncated)))
        ),
        "{result:?}"
    );
    assert!(peak < 4 << 20, "peak heap growth {peak} bytes");
}
