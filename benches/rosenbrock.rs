//! Rosenbrock, side by side: the primal, the generated gradient (`_vjp`), a
//! hand-written fused gradient (plain, and tuned), one generated directional derivative (`_jvp`)
//! and the same written by hand (`rosenbrock_jvp_hand`),
//! and central finite differences (n = 10^3 only: 2n evaluations).
//!
//! `cargo bench --bench rosenbrock && python3 scripts/bench_ratios.py`
//! prints the ratios.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/rosenbrock.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("rosenbrock");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    quick::configure(&mut g);
    for n in [1_000usize, 10_000, 1_000_000] {
        if quick::quick() && n > 10_000 {
            continue;
        }
        let x = points(n, 1, -2.0, 2.0);
        let dx = points(n, 2, -1.0, 1.0);
        g.bench_with_input(BenchmarkId::new("primal", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x.as_slice())))
        });
        g.bench_with_input(BenchmarkId::new("vjp", n), &x, |b, x| {
            b.iter(|| rosenbrock_vjp(black_box(x.as_slice()), black_box(1.0)))
        });
        g.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_hand(black_box(x.as_slice())))
        });
        g.bench_with_input(BenchmarkId::new("hand_tuned", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_hand_tuned(black_box(x.as_slice())))
        });
        g.bench_with_input(BenchmarkId::new("jvp", n), &x, |b, x| {
            b.iter(|| rosenbrock_jvp(black_box(x.as_slice()), black_box(dx.as_slice())))
        });
        g.bench_with_input(BenchmarkId::new("jvp_hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_jvp_hand(black_box(x.as_slice()), black_box(dx.as_slice())))
        });
        if n == 1_000 {
            let mut xm = x.clone();
            g.bench_function(BenchmarkId::new("fd", n), |b| {
                b.iter(|| central_fd(rosenbrock, black_box(xm.as_mut_slice()), 1e-6))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
