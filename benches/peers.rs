//! Our generated derivatives against the other ways of getting them in Rust,
//! in one run:
//!
//! - Rosenbrock (n = 100, 1,000, 10,000): the objective; our gradient
//!   (`rosenbrock_vjp`) and directional derivative (`rosenbrock_jvp`); the
//!   hand-written gradient; num-dual's forward mode as one `Dual64` sweep
//!   along a direction (the JVP peer), as n `Dual64` sweeps (the gradient the
//!   way forward mode gets it), and as num-dual's own `gradient`, which carries
//!   an n-vector of derivatives in every number (`DualDVec64`; n <= 1,000: it
//!   is O(n^2) with an allocation per operation); the `reverse` crate's
//!   run-time tape; central finite differences (2n evaluations).
//! - The 1001-point sin sweep: all derivatives of sin at 1001 points, by one
//!   forward sweep of an elementwise `fn(&[f64]) -> Vec<f64>` with the tangent
//!   of ones, against one scalar JVP per point (ours, and num-dual's `Dual64`).
//!
//! `cargo bench --bench peers`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. tests/bench_correctness_more.rs includes this
//! file and checks every derivative timed here.
#![allow(dead_code)]
// Index loops mirror the differentiated bodies (which must use them).
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use differentiate::prelude::*;
use num_dual::{Dual64, DualNum};

#[path = "common/quick.rs"]
mod quick;
#[path = "common/rosenbrock.rs"]
pub mod rosen;
use rosen::{central_fd, points, rosenbrock, rosenbrock_grad_hand, rosenbrock_jvp, rosenbrock_vjp};

pub const ROSENBROCK_SIZES: [usize; 3] = [100, 1_000, 10_000];
/// num-dual's vector-mode `gradient` is O(n^2) time with an n-vector
/// allocated per operation: timed up to this size only.
pub const DVEC_MAX_N: usize = 1_000;
pub const SIN_POINTS: usize = 1001;

/// Rosenbrock over any num-dual number, written like `rosenbrock` (the
/// operations take references so that the non-`Copy` `DualDVec64` works too).
pub fn rosenbrock_dual<T: DualNum<Primitive = f64>>(x: &[T]) -> T {
    let mut s = T::zero();
    for i in 0..x.len() - 1 {
        let a = -x[i].clone() + 1.0;
        let b = x[i + 1].clone() - x[i].clone() * &x[i];
        s += a.clone() * a + b.clone() * b * 100.0;
    }
    s
}

/// num-dual, one sweep along `dx`: the peer of `rosenbrock_jvp`.
pub fn rosenbrock_jvp_num_dual(x: &[f64], dx: &[f64]) -> (f64, f64) {
    let xd: Vec<Dual64> = x.iter().zip(dx).map(|(&v, &t)| Dual64::new(v, t)).collect();
    let r = rosenbrock_dual(&xd);
    (r.re, r.eps)
}

/// num-dual, the gradient by n forward sweeps (one unit direction each).
pub fn rosenbrock_grad_num_dual_sweeps(x: &[f64]) -> (f64, Vec<f64>) {
    let mut xd: Vec<Dual64> = x.iter().map(|&v| Dual64::from_re(v)).collect();
    let mut g = vec![0.0; x.len()];
    let mut value = 0.0;
    for i in 0..x.len() {
        xd[i].eps = 1.0;
        let r = rosenbrock_dual(&xd);
        xd[i].eps = 0.0;
        value = r.re;
        g[i] = r.eps;
    }
    (value, g)
}

/// num-dual's own `gradient`: one sweep in `DualDVec64` (every number
/// carries the n-vector of its partial derivatives).
pub fn rosenbrock_grad_num_dual_dvec(x: &[f64]) -> (f64, Vec<f64>) {
    let xv = nalgebra::DVector::from_column_slice(x);
    let (v, g) = num_dual::gradient(
        |v: nalgebra::DVector<num_dual::DualDVec64>| rosenbrock_dual(v.as_slice()),
        &xv,
    );
    (v, g.as_slice().to_vec())
}

/// The `reverse` crate: record the tape, then one reverse sweep over it.
pub fn rosenbrock_grad_tape(x: &[f64]) -> (f64, Vec<f64>) {
    use reverse::{Gradient, Tape};
    let tape = Tape::new();
    let xs = tape.add_vars(x);
    let mut s = tape.add_var(0.0);
    for i in 0..x.len() - 1 {
        let a = 1.0 - xs[i];
        let b = xs[i + 1] - xs[i] * xs[i];
        s = s + a * a + 100.0 * b * b;
    }
    let g = s.grad();
    (s.val(), g.wrt(&xs))
}

/// Elementwise sine: its Jacobian is diagonal, so `sin_all_jvp(x, ones)`
/// returns every derivative in one forward sweep.
#[differentiate(forward)]
pub fn sin_all(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i].sin();
    }
    y
}

/// The scalar function, for one JVP per point.
#[differentiate(forward)]
pub fn wave(x: f64) -> f64 {
    x.sin()
}

/// All derivatives, one `wave_jvp` per point.
#[inline(never)]
pub fn sin_per_point(xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    xs.iter().map(|&x| wave_jvp(x, 1.0)).unzip()
}

/// All derivatives, one num-dual `Dual64` evaluation per point.
#[inline(never)]
pub fn sin_per_point_num_dual(xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    xs.iter()
        .map(|&x| {
            let r = Dual64::new(x, 1.0).sin();
            (r.re, r.eps)
        })
        .unzip()
}

/// By hand: (sin x_i, cos x_i) for every point.
#[inline(never)]
pub fn sin_hand(xs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    (
        xs.iter().map(|x| x.sin()).collect(),
        xs.iter().map(|x| x.cos()).collect(),
    )
}

/// The 1001 points 0, 0.001, ..., 1 (as examples/sin.rs).
pub fn sin_grid() -> Vec<f64> {
    (0..SIN_POINTS).map(|i| i as f64 / 1000.0).collect()
}

fn bench_rosenbrock(c: &mut Criterion) {
    let mut g = c.benchmark_group("peers_rosenbrock");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    quick::configure(&mut g);
    for n in ROSENBROCK_SIZES {
        let x = points(n, 1, -2.0, 2.0);
        let dx = points(n, 2, -1.0, 1.0);
        g.bench_with_input(BenchmarkId::new("objective", n), &x, |b, x| {
            b.iter(|| rosenbrock(black_box(x)))
        });
        g.bench_with_input(BenchmarkId::new("vjp", n), &x, |b, x| {
            b.iter(|| rosenbrock_vjp(black_box(x), 1.0))
        });
        g.bench_with_input(BenchmarkId::new("hand", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_hand(black_box(x)))
        });
        g.bench_with_input(BenchmarkId::new("jvp", n), &x, |b, x| {
            b.iter(|| rosenbrock_jvp(black_box(x), black_box(&dx)))
        });
        g.bench_with_input(BenchmarkId::new("num_dual_jvp", n), &x, |b, x| {
            b.iter(|| rosenbrock_jvp_num_dual(black_box(x), black_box(&dx)))
        });
        g.bench_with_input(BenchmarkId::new("num_dual_sweeps", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_num_dual_sweeps(black_box(x)))
        });
        if n <= DVEC_MAX_N {
            g.bench_with_input(BenchmarkId::new("num_dual_gradient", n), &x, |b, x| {
                b.iter(|| rosenbrock_grad_num_dual_dvec(black_box(x)))
            });
        }
        g.bench_with_input(BenchmarkId::new("tape", n), &x, |b, x| {
            b.iter(|| rosenbrock_grad_tape(black_box(x)))
        });
        let mut xm = x.clone();
        g.bench_function(BenchmarkId::new("fd", n), |b| {
            b.iter(|| central_fd(rosenbrock, black_box(xm.as_mut_slice()), 1e-6))
        });
    }
    g.finish();
}

fn bench_sin(c: &mut Criterion) {
    let mut g = c.benchmark_group("peers_sin");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(500));
    quick::configure(&mut g);
    let xs = sin_grid();
    let ones = vec![1.0; xs.len()];
    let id = SIN_POINTS;
    g.bench_function(BenchmarkId::new("objective", id), |b| {
        b.iter(|| sin_all(black_box(&xs)))
    });
    g.bench_function(BenchmarkId::new("jvp_one_sweep", id), |b| {
        b.iter(|| sin_all_jvp(black_box(&xs), black_box(&ones)))
    });
    g.bench_function(BenchmarkId::new("jvp_per_point", id), |b| {
        b.iter(|| sin_per_point(black_box(&xs)))
    });
    g.bench_function(BenchmarkId::new("hand", id), |b| {
        b.iter(|| sin_hand(black_box(&xs)))
    });
    g.bench_function(BenchmarkId::new("num_dual_per_point", id), |b| {
        b.iter(|| sin_per_point_num_dual(black_box(&xs)))
    });
    g.finish();
}

criterion_group!(benches, bench_rosenbrock, bench_sin);
criterion_main!(benches);
