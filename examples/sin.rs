//! `sin' = cos` and `sin'' = -sin`, exactly; and all 1001 derivatives on a grid
//! in ONE sweep: `cargo run --release --example sin`.
//!
//! An elementwise function `x -> (sin x_0, ..., sin x_n)` has a diagonal
//! Jacobian, so one forward sweep with the tangent `(1, 1, ..., 1)` returns
//! every diagonal entry `sin'(x_i)` at once; stacking a second `forward` gives
//! every `sin''(x_i)` in one sweep too. Evaluating one point per sweep would
//! take 1001 sweeps for the same numbers.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::drivers;
use differentiate::prelude::*;
use std::cell::Cell;
use std::process::ExitCode;
use std::time::Instant;

/// The scalar function: `wave_jvp` is its first derivative, `wave_jvp_jvp` its
/// second (two stacked `forward`s).
#[differentiate(forward)]
#[differentiate(forward)]
fn wave(x: f64) -> f64 {
    x.sin()
}

/// Elementwise sine over a whole grid. Its Jacobian is diagonal, so
/// `sin_all_jvp(x, ones)` is the vector of all first derivatives and
/// `sin_all_jvp_jvp(x, ones, ones, zeros)` carries all second derivatives.
#[differentiate(forward)]
#[differentiate(forward)]
fn sin_all(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i].sin();
    }
    y
}

struct Checker {
    failures: usize,
}

impl Checker {
    /// `got == want` to the last bit.
    fn exact(&mut self, what: &str, got: f64, want: f64) {
        let ok = got == want;
        println!(
            "  {} {what}: {got:?} (expected {want:?}, exactly)",
            if ok { "ok  " } else { "FAIL" }
        );
        if !ok {
            self.failures += 1;
        }
    }

    /// A condition over many numbers, reported in one line.
    fn all(&mut self, what: &str, ok: bool) {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures += 1;
        }
    }

    fn finish(self) -> ExitCode {
        if self.failures == 0 {
            println!("all checks passed");
            ExitCode::SUCCESS
        } else {
            println!("{} check(s) FAILED", self.failures);
            ExitCode::FAILURE
        }
    }
}

/// How many entries of `got` differ from `want(i)` (by `==`).
fn mismatches(got: &[f64], want: impl Fn(usize) -> f64) -> usize {
    got.iter()
        .enumerate()
        .filter(|&(i, &g)| g != want(i))
        .count()
}

fn main() -> ExitCode {
    let mut c = Checker { failures: 0 };

    println!("1. sin' = cos and sin'' = -sin, exactly (==), at single points");
    for x in [
        0.0,
        0.5,
        1.0,
        -2.25,
        std::f64::consts::PI,
        10.0,
        1e-300,
        123.456,
    ] {
        let (value, d1) = wave_jvp(x, 1.0);
        // wave_jvp_jvp(x, dx, tangent of x, tangent of dx): with dx = 1 and
        // tangents (1, 0), the tangent of wave_jvp's derivative is sin''(x)
        let ((_, _), (_, d2)) = wave_jvp_jvp(x, 1.0, 1.0, 0.0);
        println!("  x = {x:?}");
        c.exact("sin x", value, x.sin());
        c.exact("sin'(x)", d1, x.cos());
        c.exact("sin''(x)", d2, -x.sin());
    }

    println!("2. the grid x = 0, 0.001, ..., 1 (1001 points)");
    let n = 1001;
    let xs: Vec<f64> = (0..n).map(|i| i as f64 / 1000.0).collect();
    let ones = vec![1.0; n];
    let zeros = vec![0.0; n];

    // ONE forward sweep: the tangent of ones picks out the diagonal Jacobian.
    let start = Instant::now();
    let (values, first) = sin_all_jvp(&xs, &ones);
    let one_sweep = start.elapsed();
    println!("  all 1001 first derivatives: ONE forward sweep of sin_all_jvp, tangent = ones");
    c.all(
        "1001 values == sin x_i",
        values.len() == n && mismatches(&values, |i| xs[i].sin()) == 0,
    );
    c.all(
        "1001 first derivatives == cos x_i",
        first.len() == n && mismatches(&first, |i| xs[i].cos()) == 0,
    );

    // ONE forward-over-forward sweep: tangents of ones for x and for dx.
    let start = Instant::now();
    let ((values2, first2), (first3, second)) = sin_all_jvp_jvp(&xs, &ones, &ones, &zeros);
    let one_sweep2 = start.elapsed();
    println!("  all 1001 second derivatives: ONE sweep of sin_all_jvp_jvp (forward over forward)");
    c.all(
        "its value part repeats sin x_i and cos x_i",
        mismatches(&values2, |i| xs[i].sin()) == 0 && mismatches(&first2, |i| xs[i].cos()) == 0,
    );
    c.all(
        "its tangent of the value is cos x_i again",
        mismatches(&first3, |i| xs[i].cos()) == 0,
    );
    c.all(
        "1001 second derivatives == -sin x_i",
        second.len() == n && mismatches(&second, |i| -xs[i].sin()) == 0,
    );
    println!(
        "  e.g. x = {}: sin' = {}, sin'' = {}",
        xs[500], first[500], second[500]
    );

    // The contrast: without using that the Jacobian is diagonal, a derivative
    // per point costs a sweep per point. A general forward-mode Jacobian pushes
    // one unit tangent e_j through sin_all per sweep: 1001 sweeps (each over
    // all 1001 points) to fill a 1001 x 1001 matrix whose diagonal is the same.
    let sweeps = Cell::new(0usize);
    let counted = |x: &[f64], d: &[f64]| {
        sweeps.set(sweeps.get() + 1);
        sin_all_jvp(x, d)
    };
    let start = Instant::now();
    let jac = drivers::jacobian_forward(counted, &xs);
    let per_point = start.elapsed();
    println!(
        "  contrast, one sweep per point: drivers::jacobian_forward took {} sweeps ({per_point:?})",
        sweeps.get()
    );
    c.all(
        "its diagonal is the same 1001 first derivatives, off-diagonal all 0",
        sweeps.get() == n
            && (0..n).all(|i| (0..n).all(|j| jac[i][j] == if i == j { first[i] } else { 0.0 })),
    );
    // The scalar function point by point: 1001 sweeps of wave_jvp_jvp.
    let scalar: Vec<f64> = xs
        .iter()
        .map(|&x| wave_jvp_jvp(x, 1.0, 1.0, 0.0).1 .1)
        .collect();
    c.all(
        "1001 scalar sweeps of wave_jvp_jvp give the same second derivatives",
        scalar == second,
    );
    println!(
        "  sweeps: first derivatives 1 ({one_sweep:?}), second derivatives 1 ({one_sweep2:?}), \
         versus 1001 per derivative order point by point"
    );

    c.finish()
}
