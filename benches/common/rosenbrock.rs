//! The Rosenbrock problem shared by `benches/rosenbrock.rs`,
//! `tests/bench_correctness.rs` and `tests/memory.rs` (each includes this file
//! with `#[path]`, so the benchmark and the tests measure the same code).
#![allow(dead_code)]

use differentiate::prelude::*;

/// Rosenbrock, written the natural way: one loop over indices.
/// `f(x) = sum_{i<n-1} (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2`.
#[differentiate(reverse, forward)]
pub fn rosenbrock(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

/// What a careful person writes by hand: one loop computing the value and the
/// gradient together.
///
/// `#[inline(never)]` (on both hand versions) keeps their code from depending
/// on the caller: inlined into criterion's closure, LLVM has been seen to pair
/// the `g[i]` and `g[i + 1]` updates into one 16-byte load/add/store, whose
/// load overlaps the previous iteration's store at an 8-byte offset, so
/// store-to-load forwarding fails every iteration (3x slower).
#[inline(never)]
pub fn rosenbrock_grad_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut s = 0.0;
    for i in 0..n - 1 {
        let xi = x[i];
        let a = 1.0 - xi;
        let b = x[i + 1] - xi * xi;
        s += a * a + 100.0 * b * b;
        g[i] += -2.0 * a - 400.0 * b * xi;
        g[i + 1] += 200.0 * b;
    }
    (s, g)
}

/// The same, tuned: the `g[i + 1]` contribution is carried in a register to
/// the next iteration instead of going through memory, and `windows(2)` lets
/// the compiler drop the bounds checks. The floor for a gradient here.
#[inline(never)]
pub fn rosenbrock_grad_hand_tuned(x: &[f64]) -> (f64, Vec<f64>) {
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut s = 0.0;
    let mut carry = 0.0;
    for (gi, w) in g.iter_mut().zip(x.windows(2)) {
        let (xi, xn) = (w[0], w[1]);
        let a = 1.0 - xi;
        let b = xn - xi * xi;
        s += a * a + 100.0 * b * b;
        *gi = carry - 2.0 * a - 400.0 * b * xi;
        carry = 200.0 * b;
    }
    if n > 0 {
        g[n - 1] = carry;
    }
    (s, g)
}

/// A directional derivative by hand: the value and the tangent along `dx` in
/// one loop, with the derivative simplified on paper
/// (`d/dt [a^2 + 100 b^2] = 2 a da + 200 b db`, `da = -dx_i`,
/// `db = dx_{i+1} - 2 x_i dx_i`). The value is computed exactly as
/// `rosenbrock` computes it. The peer of the generated `rosenbrock_jvp`.
///
/// # Panics
///
/// If `dx` is not as long as `x`.
#[inline(never)]
pub fn rosenbrock_jvp_hand(x: &[f64], dx: &[f64]) -> (f64, f64) {
    assert_eq!(
        dx.len(),
        x.len(),
        "rosenbrock_jvp_hand: dx and x differ in length"
    );
    let n = x.len();
    let mut s = 0.0;
    let mut ds = 0.0;
    for i in 0..n - 1 {
        let (xi, dxi) = (x[i], dx[i]);
        let a = 1.0 - xi;
        let b = x[i + 1] - xi * xi;
        let db = dx[i + 1] - 2.0 * xi * dxi;
        s += a * a + 100.0 * b * b;
        ds += 200.0 * b * db - 2.0 * a * dxi;
    }
    (s, ds)
}

/// Central finite differences: 2n evaluations of `f`. `x` is perturbed in
/// place and restored.
pub fn central_fd(f: impl Fn(&[f64]) -> f64, x: &mut [f64], h: f64) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() {
        let xi = x[i];
        x[i] = xi + h;
        let fp = f(x);
        x[i] = xi - h;
        let fm = f(x);
        x[i] = xi;
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

/// Deterministic pseudo-random points in [lo, hi) (xorshift64*), so the
/// benchmark and the tests need no extra dependency.
pub fn points(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            lo + (hi - lo) * u
        })
        .collect()
}
