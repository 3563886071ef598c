//! The derivative of `x^2 + sqrt(x)` at eight points in ONE sweep:
//! `cargo run --release --example batch`.
//!
//! `batch(x)_i = x_i^2 + sqrt(x_i)` is elementwise, so its Jacobian is diagonal
//! and one forward sweep with the tangent `(1, ..., 1)` returns the diagonal:
//! `d/dx (x^2 + sqrt x) = 2x + 1 / (2 sqrt x)` at every point at once. (For a
//! function that mixes its inputs, a tangent of ones gives the row sums of the
//! Jacobian instead; see the `jacobian` example for the general case.)
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use differentiate::testing::approx_eq;
use std::process::ExitCode;

#[differentiate(forward, reverse)]
fn batch(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = x[i] * x[i] + x[i].sqrt();
    }
    y
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    let xs = [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7];
    // SPEC's numbers, to 4 decimal places.
    let spec = [2.5, 2.6767, 2.8564, 3.0385, 3.2226, 3.4082, 3.5953, 3.7835];
    println!("d/dx (x^2 + sqrt x) at x = {xs:?}");
    println!("ONE forward sweep: batch_jvp(xs, ones)");
    let (values, derivs) = batch_jvp(&xs, &[1.0; 8]);

    println!(
        "  {:>4}  {:>10}  {:>8}  {:>8}",
        "x", "value", "f'(x)", "SPEC"
    );
    for i in 0..xs.len() {
        println!(
            "  {:>4}  {:>10.6}  {:>8.4}  {:>8.4}",
            xs[i], values[i], derivs[i], spec[i]
        );
    }
    check(
        "8 values == x^2 + sqrt(x) exactly",
        (0..8).all(|i| values[i] == xs[i] * xs[i] + xs[i].sqrt()),
    );
    // "to 4 places": rounding to 4 decimals gives SPEC's digits.
    check(
        "8 derivatives == SPEC's list to 4 places",
        (0..8).all(|i| format!("{:.4}", derivs[i]) == format!("{:.4}", spec[i])),
    );
    check(
        "8 derivatives == 2x + 1/(2 sqrt x) (closed form, to 1e-15)",
        (0..8).all(|i| approx_eq(derivs[i], 2.0 * xs[i] + 0.5 / xs[i].sqrt(), 1e-15, 0.0)),
    );
    check("the first is exactly 2.5", derivs[0] == 2.5);

    println!("The same numbers by other routes:");
    // Reverse mode with a seed of ones: J^T 1, again the diagonal.
    let (_, by_reverse) = batch_vjp(&xs, &[1.0; 8]);
    check(
        "one reverse sweep, batch_vjp(xs, ones), gives the same 8 derivatives (exactly)",
        by_reverse == derivs,
    );
    // Point by point: eight sweeps of a unit tangent each.
    let per_point: Vec<f64> = (0..8)
        .map(|j| {
            let mut e = [0.0; 8];
            e[j] = 1.0;
            batch_jvp(&xs, &e).1[j]
        })
        .collect();
    check(
        "eight sweeps, one unit tangent each: the same derivatives (exactly)",
        per_point == derivs,
    );
    let h = 1e-6;
    check(
        "central differences agree to 1e-8",
        (0..8).all(|i| {
            let p = xs[i] + h;
            let m = xs[i] - h;
            let fd = ((p * p + p.sqrt()) - (m * m + m.sqrt())) / (2.0 * h);
            approx_eq(fd, derivs[i], 1e-8, 1e-8)
        }),
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
