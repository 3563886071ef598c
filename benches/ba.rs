//! ADBench bundle adjustment: the sparse Jacobian of the reprojection errors
//! (a 2 x 15 block per observation) and of the weight errors, side by side:
//! the objective (all residuals), the Jacobian written by hand, by forward
//! mode (`jvp`: `FORWARD_BLOCK` in benches/common/ba.rs, one 16-lane
//! `ba_residual_jvp_vec` sweep per block; `jvp_scalar`: 15 scalar
//! `ba_residual_jvp` sweeps per block) and by reverse mode (2
//! `ba_residual_vjp` sweeps per block, one per residual).
//!
//! `cargo bench --bench ba`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. tests/bench_correctness_adbench.rs checks every
//! Jacobian timed here.
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "common/ba.rs"]
mod problem;
use problem::*;

#[path = "common/quick.rs"]
mod quick;

/// The files benchmarked (ba1, ba3, ...).
pub const FILES: [usize; 5] = [1, 3, 5, 8, 12];

fn bench(c: &mut Criterion) {
    let mut grp = c.benchmark_group("ba");
    grp.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    quick::configure(&mut grp);
    for k in FILES {
        if quick::quick() && k > 5 {
            continue;
        }
        let ba = read_ba(k);
        let id = format!("ba{k}");
        // outputs live across iterations, as in ADBench's harness
        let (mut reproj, mut werr) = ba.objective();
        let mut jac = ba.jacobian_buffer();
        grp.bench_function(BenchmarkId::new("objective", &id), |b| {
            b.iter(|| black_box(&ba).objective_into(&mut reproj, &mut werr))
        });
        grp.bench_function(BenchmarkId::new("hand", &id), |b| {
            b.iter(|| black_box(&ba).jacobian_into(block_hand, weight_error_hand, &mut jac))
        });
        grp.bench_function(BenchmarkId::new("jvp", &id), |b| {
            b.iter(|| black_box(&ba).jacobian_into(FORWARD_BLOCK, weight_error_forward, &mut jac))
        });
        grp.bench_function(BenchmarkId::new("jvp_scalar", &id), |b| {
            b.iter(|| {
                black_box(&ba).jacobian_into(block_forward_scalar, weight_error_forward, &mut jac)
            })
        });
        grp.bench_function(BenchmarkId::new("vjp", &id), |b| {
            b.iter(|| black_box(&ba).jacobian_into(block_reverse, weight_error_forward, &mut jac))
        });
    }
    grp.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
