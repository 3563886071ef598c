//! The RK4 loop of examples/ode.rs at T = 10^3 to 10^6 steps: the objective,
//! the generated gradient (`logistic_vjp`, one reverse sweep through the
//! loop) and the discrete adjoint written by hand, timed by criterion; and
//! the peak memory of one call of each, measured by a counting global
//! allocator (peak of live heap bytes above the level before the call). It is
//! the baseline for checkpointing, which would bound the gradient's memory
//! at some recomputation.
//!
//! `cargo bench --bench rk4` writes the memory to
//! target/bench-memory/rk4.json; `python3 scripts/benchmarks_md.py` puts
//! both into BENCHMARKS.md. tests/bench_correctness_more.rs checks the
//! gradients.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/rk4.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

/// The step counts.
const STEPS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

// ------------------------------------------------------------ memory

struct Counting;

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
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

fn shrink(bytes: usize) {
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

/// Peak live heap bytes during `f` above the level at its start.
fn peak_bytes<R>(f: impl FnOnce() -> R) -> usize {
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    MEASURING.with(|m| m.set(true));
    black_box(f());
    MEASURING.with(|m| m.set(false));
    PEAK.load(Relaxed)
}

/// Writes {"steps": {"objective": bytes, "vjp": bytes, "hand": bytes}} to
/// target/bench-memory/rk4.json.
fn write_memory(steps: &[usize]) {
    let mut rows = Vec::new();
    for &n in steps {
        let o = peak_bytes(|| objective(n));
        let v = peak_bytes(|| grad_generated(n));
        let h = peak_bytes(|| grad_hand(n));
        rows.push(format!(
            "\"{n}\": {{\"objective\": {o}, \"vjp\": {v}, \"hand\": {h}}}"
        ));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-memory");
    std::fs::create_dir_all(&dir).expect("create target/bench-memory");
    let path = dir.join("rk4.json");
    std::fs::write(&path, format!("{{{}}}\n", rows.join(", "))).expect("write rk4.json");
    eprintln!("peak memory written to {}", path.display());
}

fn bench(c: &mut Criterion) {
    let steps: Vec<usize> = STEPS
        .into_iter()
        .filter(|&n| !quick::quick() || n <= 100_000)
        .collect();
    write_memory(&steps);
    let mut g = c.benchmark_group("rk4");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut g);
    for &n in &steps {
        g.bench_function(BenchmarkId::new("objective", n), |b| {
            b.iter(|| objective(black_box(n)))
        });
        g.bench_function(BenchmarkId::new("vjp", n), |b| {
            b.iter(|| grad_generated(black_box(n)))
        });
        g.bench_function(BenchmarkId::new("hand", n), |b| {
            b.iter(|| grad_hand(black_box(n)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
