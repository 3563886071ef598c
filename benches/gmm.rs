//! ADBench GMM, side by side: the objective, the generated gradient
//! (`gmm_objective_vjp`), the gradient written by hand, and (where feasible:
//! their cost grows with the number of parameters, or the tape's memory with
//! n K d^2) central finite differences, num-dual's forward mode (one `Dual64`
//! sweep per parameter) and the `reverse` crate's run-time tape.
//!
//! `cargo bench --bench gmm`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/gmm.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

/// (set, d, K) of the files benchmarked.
pub const FILES: [(&str, usize, usize); 6] = [
    ("1k", 2, 5),
    ("1k", 10, 25),
    ("1k", 20, 50),
    ("1k", 32, 100),
    ("1k", 64, 100),
    ("10k", 20, 50),
];

fn bench(c: &mut Criterion) {
    let mut grp = c.benchmark_group("gmm");
    grp.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut grp);
    for (set, d, k) in FILES {
        // quick mode: the files whose gradient takes under 0.1 s
        if quick::quick() && (set != "1k" || d > 20) {
            continue;
        }
        let g = read_gmm(set, d, k);
        let id = format!("{set}_d{d}_K{k}");
        grp.bench_function(BenchmarkId::new("objective", &id), |b| {
            b.iter(|| black_box(&g).objective())
        });
        grp.bench_function(BenchmarkId::new("vjp", &id), |b| {
            b.iter(|| black_box(&g).vjp())
        });
        grp.bench_function(BenchmarkId::new("hand", &id), |b| {
            b.iter(|| black_box(&g).hand())
        });
        let np = g.n_params();
        if np <= 30 {
            // 2 * 30 objective evaluations
            let mut p = g.params();
            grp.bench_function(BenchmarkId::new("fd", &id), |b| {
                b.iter(|| gmm_fd(&g, black_box(&mut p), 0..np, 1e-6))
            });
            // one Dual64 sweep per parameter
            let p = g.params();
            grp.bench_function(BenchmarkId::new("num_dual", &id), |b| {
                b.iter(|| gmm_grad_num_dual(&g, black_box(&p)))
            });
        }
        if d * d * k <= 2500 && set == "1k" {
            let p = g.params();
            grp.bench_function(BenchmarkId::new("tape", &id), |b| {
                b.iter(|| gmm_grad_tape(&g, black_box(&p)))
            });
        }
    }
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
