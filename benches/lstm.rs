//! ADBench LSTM (a diagonal LSTM, l layers, c characters), side by side: the
//! objective, the generated gradient (`lstm_objective_vjp`) and the gradient
//! written by hand (back-propagation through time), with respect to all
//! `8 l b + 3 b` parameters.
//!
//! `cargo bench --bench lstm`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. tests/bench_correctness_adbench.rs checks both
//! gradients (against each other and against finite differences).
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/lstm.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

/// (l, c) of the files benchmarked.
pub const FILES: [(usize, usize); 2] = [(2, 1024), (4, 4096)];

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
}

criterion_group!(benches, bench);
criterion_main!(benches);
