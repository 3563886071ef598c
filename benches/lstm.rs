//! ADBench LSTM (a diagonal LSTM, l layers, c characters), side by side: the
//! objective, the generated gradient (`lstm_objective_vjp`) and the gradient
//! written by hand (back-propagation through time), with respect to all
//! `8 l b + 3 b` parameters.
//!
//! Then time and memory against the sequence length: the l2 file's sequence
//! tiled to c = 10^3 ... 10^6 characters (synthetic: the file's 1024
//! characters repeated), with the objective, the plain generated gradient,
//! the checkpointed one (`lstm_objective_ck_vjp`, `#[checkpoint]` on the
//! time loop: segments of ceil(sqrt(c - 1)) steps) and the hand-written one.
//! Each is timed by a plain clock (the median of a few calls; one call when
//! it takes over 1.5 s, as at 10^6, where criterion's ten samples would take
//! minutes each) and its peak heap measured by the counting
//! allocator of benches/common/alloc.rs; both go to
//! target/bench-memory/lstm.json.
//!
//! `cargo bench --bench lstm`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. tests/bench_correctness_adbench.rs checks the
//! gradients (against each other and against finite differences).
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/lstm.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

#[path = "common/alloc.rs"]
mod alloc;
use alloc::peak_bytes;

/// (l, c) of the files benchmarked.
pub const FILES: [(usize, usize); 2] = [(2, 1024), (4, 4096)];

/// Sequence lengths of the sweep (quick mode: up to 10^4).
const LENGTHS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Wall time of `f` in ns: one call if it takes more than 1.5 s, else the
/// median of as many more calls as fit in about 1.5 s (at most 11). The
/// memory measurement's call before it is the warm-up.
fn time_ns<R>(mut f: impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    black_box(f());
    let first = start.elapsed().as_secs_f64();
    if first > 1.5 {
        return first * 1e9;
    }
    let runs = ((1.5 / first.max(1e-9)).ceil() as usize).clamp(1, 11);
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed().as_nanos() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

/// One method at one length: {"ns": median time, "peak": bytes}.
fn measure<R>(mut f: impl FnMut() -> R) -> String {
    let peak = peak_bytes(&mut f);
    let ns = time_ns(f);
    format!("{{\"ns\": {ns:.0}, \"peak\": {peak}}}")
}

/// The sweep: {"<c>": {"objective": {...}, "vjp": {...}, "checkpointed":
/// {...}, "hand": {...}}} to target/bench-memory/lstm.json.
fn sweep() {
    let base = read_lstm(2, 1024);
    let mut rows = Vec::new();
    for c in LENGTHS
        .into_iter()
        .filter(|&c| !quick::quick() || c <= 10_000)
    {
        let p = base.tiled(c);
        let cols = [
            format!("\"objective\": {}", measure(|| p.objective())),
            format!("\"vjp\": {}", measure(|| p.vjp())),
            format!("\"checkpointed\": {}", measure(|| p.vjp_checkpointed())),
            format!("\"hand\": {}", measure(|| p.hand())),
        ];
        eprintln!("lstm sweep c = {c}: {}", cols.join(", "));
        rows.push(format!("\"{c}\": {{{}}}", cols.join(", ")));
    }
    alloc::write_result("lstm.json", &format!("{{{}}}\n", rows.join(", ")));
}

fn bench(c: &mut Criterion) {
    let mut grp = c.benchmark_group("lstm");
    grp.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut grp);
    for (l, ch) in FILES {
        let p = read_lstm(l, ch);
        let id = format!("l{l}_c{ch}");
        grp.bench_function(BenchmarkId::new("objective", &id), |b| {
            b.iter(|| black_box(&p).objective())
        });
        grp.bench_function(BenchmarkId::new("vjp", &id), |b| {
            b.iter(|| black_box(&p).vjp())
        });
        grp.bench_function(BenchmarkId::new("hand", &id), |b| {
            b.iter(|| black_box(&p).hand())
        });
    }
    grp.finish();
    sweep();
}

criterion_group!(benches, bench);
criterion_main!(benches);
