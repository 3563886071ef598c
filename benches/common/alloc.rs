//! A counting global allocator for memory measurements (benches/rk4.rs,
//! benches/lstm.rs and tests/memory.rs include this file with `#[path]`; it
//! installs itself as the `#[global_allocator]` of the crate that does).
//!
//! [`measure`] runs a closure and returns what it allocated in total and the
//! peak of live heap bytes during it above the level at its start;
//! [`peak_bytes`] is the peak of one call with the save-stack pool off.
//! Only the allocations of the
//! measuring thread while a measurement is open are counted; every method
//! forwards to `System`, so outside a measurement the bench runs on the
//! system allocator with one thread-local read per call.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;

static TOTAL: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // const-initialised, no destructor: reading it never allocates
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn measuring() -> bool {
    MEASURING.try_with(Cell::get).unwrap_or(false)
}

fn grow(bytes: usize) {
    TOTAL.fetch_add(bytes, Relaxed);
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

fn shrink(bytes: usize) {
    // frees of blocks allocated before the window opened may go below zero
    let _ = LIVE.fetch_update(Relaxed, Relaxed, |l| Some(l.saturating_sub(bytes)));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so blocks, layouts and lifetimes are System's own; the
// bookkeeping is atomics and a const thread-local, which never allocate,
// re-enter the allocator or unwind.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && measuring() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && measuring() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, i.e. System.
        unsafe { System.dealloc(ptr, layout) };
        if measuring() {
            shrink(layout.size());
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, i.e. System.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && measuring() {
            let old = layout.size();
            if new_size >= old {
                grow(new_size - old);
            } else {
                shrink(old - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What one call allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes {
    /// Bytes handed out during the call (a realloc counts its growth).
    pub total: usize,
    /// Peak of live bytes above the level at the start of the call.
    pub peak: usize,
}

/// Runs `f`, returning its result and what it allocated. The result is still
/// alive when the peak is read, so a returned gradient counts.
pub fn measure<R>(f: impl FnOnce() -> R) -> (R, Bytes) {
    TOTAL.store(0, Relaxed);
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    MEASURING.with(|m| m.set(true));
    let r = black_box(f());
    MEASURING.with(|m| m.set(false));
    let b = Bytes {
        total: TOTAL.load(Relaxed),
        peak: PEAK.load(Relaxed),
    };
    (r, b)
}

/// Peak live heap bytes during `f` above the level at its start, with the
/// save stacks' pool off: an earlier call's pooled buffers would hide this
/// call's own.
pub fn peak_bytes<R>(f: impl FnOnce() -> R) -> usize {
    differentiate::__private::set_stack_pooling(false);
    let (_, b) = measure(f);
    differentiate::__private::set_stack_pooling(true);
    b.peak
}

/// Writes `json` to target/bench-memory/`name`.
pub fn write_result(name: &str, json: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-memory");
    std::fs::create_dir_all(&dir).expect("create target/bench-memory");
    let path = dir.join(name);
    std::fs::write(&path, json).expect("write the memory results");
    eprintln!("memory results written to {}", path.display());
}
