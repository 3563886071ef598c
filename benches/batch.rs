//! Parallel batches: the generated gradients are plain functions of their
//! arguments (no global tape, no shared state), so a batch of independent
//! inputs parallelises with rayon as any pure function does. Each batch is
//! timed three ways: a plain sequential loop, and rayon's `par_iter` in a
//! pool of 1 thread and of 2 threads (this machine's cores).
//!
//! - Rosenbrock: 64 inputs of n = 10,000 (`rosenbrock_vjp` each);
//! - GMM: 8 problems of d10 K25 with 200 points each (`gmm_objective_vjp`
//!   each, the parameters perturbed per problem).
//!
//! `cargo bench --bench batch`; `python3 scripts/benchmarks_md.py` writes the
//! scaling into BENCHMARKS.md. tests/bench_correctness_more.rs checks that the
//! parallel results equal the sequential ones exactly.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rayon::prelude::*;

#[path = "common/gmm.rs"]
pub mod gmm;
#[path = "common/quick.rs"]
mod quick;
#[path = "common/rosenbrock.rs"]
pub mod rosen;

pub const ROSEN_BATCH: usize = 64;
pub const ROSEN_N: usize = 10_000;
pub const GMM_BATCH: usize = 8;
pub const GMM_POINTS: usize = 200;
/// The thread counts timed.
pub const THREADS: [usize; 2] = [1, 2];

/// The Rosenbrock batch: `ROSEN_BATCH` inputs of `ROSEN_N` points.
pub fn rosen_batch() -> Vec<Vec<f64>> {
    (0..ROSEN_BATCH as u64)
        .map(|s| rosen::points(ROSEN_N, 100 + s, -2.0, 2.0))
        .collect()
}

/// The GMM batch: d10 K25 (first `GMM_POINTS` points) with alpha and the
/// means shifted a little per problem.
pub fn gmm_batch() -> Vec<gmm::Gmm> {
    let base = gmm::read_gmm("1k", 10, 25).truncated(GMM_POINTS);
    (0..GMM_BATCH)
        .map(|i| {
            let mut g = base.clone();
            let shift = rosen::points(g.alpha.len() + g.means.len(), 200 + i as u64, -0.1, 0.1);
            let (sa, sm) = shift.split_at(g.alpha.len());
            g.alpha.iter_mut().zip(sa).for_each(|(a, s)| *a += s);
            g.means.iter_mut().zip(sm).for_each(|(m, s)| *m += s);
            g
        })
        .collect()
}

pub type RosenGrad = (f64, Vec<f64>);
pub type GmmGrad = (f64, Vec<f64>, Vec<f64>, Vec<f64>);

pub fn rosen_sequential(xs: &[Vec<f64>]) -> Vec<RosenGrad> {
    xs.iter().map(|x| rosen::rosenbrock_vjp(x, 1.0)).collect()
}

pub fn rosen_parallel(xs: &[Vec<f64>]) -> Vec<RosenGrad> {
    xs.par_iter()
        .map(|x| rosen::rosenbrock_vjp(x, 1.0))
        .collect()
}

pub fn gmm_sequential(gs: &[gmm::Gmm]) -> Vec<GmmGrad> {
    gs.iter().map(|g| g.vjp()).collect()
}

pub fn gmm_parallel(gs: &[gmm::Gmm]) -> Vec<GmmGrad> {
    gs.par_iter().map(|g| g.vjp()).collect()
}

/// A rayon pool of `threads` threads.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon thread pool")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut g);
    let xs = rosen_batch();
    g.bench_function(BenchmarkId::new("sequential", "rosenbrock"), |b| {
        b.iter(|| rosen_sequential(black_box(&xs)))
    });
    for t in THREADS {
        let p = pool(t);
        g.bench_function(
            BenchmarkId::new(format!("threads_{t}"), "rosenbrock"),
            |b| b.iter(|| p.install(|| rosen_parallel(black_box(&xs)))),
        );
    }
    let gs = gmm_batch();
    g.bench_function(BenchmarkId::new("sequential", "gmm"), |b| {
        b.iter(|| gmm_sequential(black_box(&gs)))
    });
    for t in THREADS {
        let p = pool(t);
        g.bench_function(BenchmarkId::new(format!("threads_{t}"), "gmm"), |b| {
            b.iter(|| p.install(|| gmm_parallel(black_box(&gs))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
