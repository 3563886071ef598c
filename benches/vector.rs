//! Vector-mode forward Jacobians: the 2 x 15 Jacobian of a bundle-adjustment
//! reprojection error (ADBench's BA residual: Rodrigues rotation, perspective
//! division, radial distortion, weight), side by side:
//!
//! - `scalar_sweeps`: [`jacobian_forward`] over `f_jvp`, 15 scalar sweeps;
//! - `vec_K`: [`jacobian_forward_vec`] over `f_jvp_vec::<K>`, `ceil(15 / K)`
//!   vector sweeps (`vec_15`: one sweep carrying every column);
//! - `auto_16`: [`jacobian_vec`], the automatic choice (one vector sweep here);
//! - `reverse`: [`jacobian_reverse`], one primal evaluation and 2 reverse sweeps;
//! - `num_dual_vec`: num-dual's own `jacobian` in `DualSVec64<15>` (every number
//!   carries its 15 partials: num-dual's vector mode);
//! - `num_dual_sweeps`: 15 `Dual64` sweeps;
//! - `primal`: one evaluation of the residual, the unit of the ratios.
//!
//! `cargo bench --bench vector`; tests/vector_mode.rs includes this file and
//! checks that every Jacobian timed here is the same matrix.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use differentiate::drivers::{
    jacobian_forward, jacobian_forward_vec, jacobian_reverse, jacobian_vec,
};
use differentiate::prelude::*;
use num_dual::{Dual64, DualNum, DualSVec64};

/// Number of inputs: a camera (rotation 3, center 3, focal 1, principal
/// point 2, radial distortion 2), a point (3) and a weight.
pub const BA_N: usize = 15;

/// Rotates `x` by the axis-angle vector `r` (Rodrigues' formula; the first
/// order expansion at `r = 0`), as ADBench's `rodrigues_rotate_point`.
#[differentiate(forward, reverse, vector)]
pub fn rodrigues(r: [f64; 3], x: [f64; 3]) -> [f64; 3] {
    let sqtheta = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    let mut out = [0.0; 3];
    if sqtheta != 0.0 {
        let theta = sqtheta.sqrt();
        let (c, s) = (theta.cos(), theta.sin());
        let w = [r[0] / theta, r[1] / theta, r[2] / theta];
        let wx = [
            w[1] * x[2] - w[2] * x[1],
            w[2] * x[0] - w[0] * x[2],
            w[0] * x[1] - w[1] * x[0],
        ];
        let tmp = (w[0] * x[0] + w[1] * x[1] + w[2] * x[2]) * (1.0 - c);
        for i in 0..3 {
            out[i] = x[i] * c + wx[i] * s + w[i] * tmp;
        }
    } else {
        let rx = [
            r[1] * x[2] - r[2] * x[1],
            r[2] * x[0] - r[0] * x[2],
            r[0] * x[1] - r[1] * x[0],
        ];
        for i in 0..3 {
            out[i] = x[i] + rx[i];
        }
    }
    out
}

/// The weighted reprojection error of one observation `feat` of point
/// `p[11..14]` by camera `p[0..11]`, weight `p[14]`: R^15 -> R^2.
#[differentiate(forward, reverse, vector, wrt(p))]
pub fn ba_residual(p: &[f64], feat: [f64; 2]) -> Vec<f64> {
    let r = [p[0], p[1], p[2]];
    let x = [p[11] - p[3], p[12] - p[4], p[13] - p[5]];
    let xc = rodrigues(r, x);
    let u = xc[0] / xc[2];
    let v = xc[1] / xc[2];
    let rsq = u * u + v * v;
    let l = 1.0 + p[9] * rsq + p[10] * rsq * rsq;
    let w = p[14];
    vec![
        w * (u * l * p[6] + p[7] - feat[0]),
        w * (v * l * p[6] + p[8] - feat[1]),
    ]
}

/// The same residual over num-dual numbers, written like `ba_residual`.
pub fn ba_residual_dual<T: DualNum<Primitive = f64> + Copy>(p: &[T], feat: [f64; 2]) -> [T; 2] {
    let r = [p[0], p[1], p[2]];
    let x = [p[11] - p[3], p[12] - p[4], p[13] - p[5]];
    let sqtheta = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    let xc = if sqtheta.re() != 0.0 {
        let theta = sqtheta.sqrt();
        let (c, s) = (theta.cos(), theta.sin());
        let w = [r[0] / theta, r[1] / theta, r[2] / theta];
        let wx = [
            w[1] * x[2] - w[2] * x[1],
            w[2] * x[0] - w[0] * x[2],
            w[0] * x[1] - w[1] * x[0],
        ];
        let tmp = (w[0] * x[0] + w[1] * x[1] + w[2] * x[2]) * (-c + 1.0);
        [
            x[0] * c + wx[0] * s + w[0] * tmp,
            x[1] * c + wx[1] * s + w[1] * tmp,
            x[2] * c + wx[2] * s + w[2] * tmp,
        ]
    } else {
        [
            x[0] + r[1] * x[2] - r[2] * x[1],
            x[1] + r[2] * x[0] - r[0] * x[2],
            x[2] + r[0] * x[1] - r[1] * x[0],
        ]
    };
    let u = xc[0] / xc[2];
    let v = xc[1] / xc[2];
    let rsq = u * u + v * v;
    let l = p[9] * rsq + p[10] * rsq * rsq + 1.0;
    let w = p[14];
    [
        w * (u * l * p[6] + p[7] - feat[0]),
        w * (v * l * p[6] + p[8] - feat[1]),
    ]
}

/// A camera and point in ADBench's ranges, and an observation near the projection.
pub fn ba_problem() -> (Vec<f64>, [f64; 2]) {
    let p = vec![
        0.12, -0.21, 0.05, // rotation
        -0.4, 0.3, -6.0,  // center
        650.0, // focal length
        12.0, -8.0, // principal point
        1.2e-2, -3.0e-4, // radial distortion
        0.9, -0.6, 2.5, // point
        0.8, // weight
    ];
    (p, [30.0, -55.0])
}

/// 15 scalar forward sweeps.
pub fn jac_scalar_sweeps(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    jacobian_forward(|q: &[f64], d: &[f64]| ba_residual_jvp(q, feat, d), p)
}

/// `ceil(15 / K)` vector sweeps.
pub fn jac_vec<const K: usize>(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    jacobian_forward_vec(
        |q: &[f64], d: &[Lanes<f64, K>]| ba_residual_jvp_vec(q, feat, d),
        p,
    )
}

/// The automatic choice with `K = 16` (one vector sweep).
pub fn jac_auto(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    jacobian_vec(
        |q: &[f64], d: &[Lanes<f64, 16>]| ba_residual_jvp_vec(q, feat, d),
        |q: &[f64], w: &[f64]| ba_residual_vjp(q, feat, w),
        p,
    )
}

/// One primal evaluation and 2 reverse sweeps.
pub fn jac_reverse(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    jacobian_reverse(
        |q: &[f64]| ba_residual(q, feat),
        |q: &[f64], w: &[f64]| ba_residual_vjp(q, feat, w),
        p,
    )
}

/// num-dual's vector mode: one sweep in `DualSVec64<15>`.
pub fn jac_num_dual_vec(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    let x = nalgebra::SVector::<f64, BA_N>::from_column_slice(p);
    let (_, j) = num_dual::jacobian(
        |q: nalgebra::SVector<DualSVec64<BA_N>, BA_N>| {
            nalgebra::SVector::from(ba_residual_dual(q.as_slice(), feat))
        },
        &x,
    );
    (0..2)
        .map(|i| (0..BA_N).map(|k| j[(i, k)]).collect())
        .collect()
}

/// 15 `Dual64` sweeps.
pub fn jac_num_dual_sweeps(p: &[f64], feat: [f64; 2]) -> Vec<Vec<f64>> {
    let mut q: Vec<Dual64> = p.iter().map(|&v| Dual64::from_re(v)).collect();
    let mut rows = vec![vec![0.0; BA_N]; 2];
    for k in 0..BA_N {
        q[k].eps = 1.0;
        let r = ba_residual_dual(&q, feat);
        q[k].eps = 0.0;
        rows[0][k] = r[0].eps;
        rows[1][k] = r[1].eps;
    }
    rows
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("vector");
    g.sample_size(50)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    let (p, feat) = ba_problem();
    let id = "ba";
    g.bench_function(BenchmarkId::new("primal", id), |b| {
        b.iter(|| ba_residual(black_box(&p), feat))
    });
    // One sweep alone, without the driver (seeds built once).
    g.bench_function(BenchmarkId::new("sweep_scalar", id), |b| {
        let d = vec![1.0; BA_N];
        b.iter(|| ba_residual_jvp(black_box(&p), feat, black_box(&d)))
    });
    g.bench_function(BenchmarkId::new("sweep_vec_16", id), |b| {
        let d: Vec<Lanes<f64, 16>> = (0..BA_N).map(Lanes::unit).collect();
        b.iter(|| ba_residual_jvp_vec(black_box(&p), feat, black_box(&d)))
    });
    g.bench_function(BenchmarkId::new("scalar_sweeps", id), |b| {
        b.iter(|| jac_scalar_sweeps(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("vec_4", id), |b| {
        b.iter(|| jac_vec::<4>(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("vec_8", id), |b| {
        b.iter(|| jac_vec::<8>(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("vec_15", id), |b| {
        b.iter(|| jac_vec::<15>(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("vec_16", id), |b| {
        b.iter(|| jac_vec::<16>(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("auto_16", id), |b| {
        b.iter(|| jac_auto(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("reverse", id), |b| {
        b.iter(|| jac_reverse(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("num_dual_vec", id), |b| {
        b.iter(|| jac_num_dual_vec(black_box(&p), feat))
    });
    g.bench_function(BenchmarkId::new("num_dual_sweeps", id), |b| {
        b.iter(|| jac_num_dual_sweeps(black_box(&p), feat))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
