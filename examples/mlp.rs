//! A two-layer perceptron `W2 relu(W1 x + b1) + b2` trained by gradient descent:
//! `cargo run --release --example mlp`.
//!
//! The network maps R^2 to R with H = 8 hidden units. Its 33 parameters live in
//! one flat slice `p = [W1 (8x2, row-major), b1 (8), W2 (1x8), b2 (1)]` (tensors
//! inside differentiated code are not available yet, slices are). The loss is
//! the mean squared error over a synthetic data set of 49 points sampled from
//! `y = sin(x0) cos(x1)` on a grid. `#[differentiate(reverse, wrt(p))]` makes
//! only the parameters active: `loss_vjp(p, xs, ys, 1.0)` returns the loss and
//! its 33 partial derivatives in one sweep; the data are never differentiated.
//!
//! Before training the gradient is checked against central differences; then
//! plain gradient descent runs until the loss has dropped by a large factor.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use differentiate::testing::check_gradient;
use std::process::ExitCode;

const INPUTS: usize = 2;
const HIDDEN: usize = 8;
/// Offsets of the four blocks in the flat parameter slice.
const B1: usize = HIDDEN * INPUTS;
const W2: usize = B1 + HIDDEN;
const B2: usize = W2 + HIDDEN;
const PARAMS: usize = B2 + 1;

/// relu, with `relu'(0) = 0` (the SPEC's convention, which `z.max(0.0)`
/// would not give: ties of `max` send the derivative to its first argument).
#[differentiate(reverse)]
fn relu(z: f64) -> f64 {
    if z > 0.0 {
        z
    } else {
        0.0
    }
}

/// The network's output for one input `(x0, x1)`.
#[differentiate(reverse)]
fn predict(p: &[f64], x0: f64, x1: f64) -> f64 {
    let mut out = p[B2];
    for h in 0..HIDDEN {
        let z = p[INPUTS * h] * x0 + p[INPUTS * h + 1] * x1 + p[B1 + h];
        out += p[W2 + h] * relu(z);
    }
    out
}

/// Mean squared error over the data set (`xs` holds the inputs as pairs).
#[differentiate(reverse, wrt(p))]
fn loss(p: &[f64], xs: &[f64], ys: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 0..ys.len() {
        let e = predict(p, xs[2 * k], xs[2 * k + 1]) - ys[k];
        total += e * e;
    }
    total / ys.len() as f64
}

/// Deterministic pseudo-random numbers in [-1, 1) (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    // The data: a 7 x 7 grid on [-1.5, 1.5]^2, targets sin(x0) cos(x1).
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..7 {
        for j in 0..7 {
            let (a, b) = (-1.5 + 0.5 * i as f64, -1.5 + 0.5 * j as f64);
            xs.extend([a, b]);
            ys.push(a.sin() * b.cos());
        }
    }
    // Small random weights, biases 0.1 so that most units start active.
    let mut rng = Rng(42);
    let mut p: Vec<f64> = (0..PARAMS).map(|_| 0.8 * rng.next()).collect();
    for h in 0..HIDDEN {
        p[B1 + h] = 0.1;
    }
    println!(
        "network R^{INPUTS} -> {HIDDEN} relu units -> R: {PARAMS} parameters, {} data points",
        ys.len()
    );

    check(
        "relu'(0) == 0, relu'(2) == 1, relu'(-2) == 0 (relu_vjp)",
        relu_vjp(0.0, 1.0) == (0.0, 0.0)
            && relu_vjp(2.0, 1.0) == (2.0, 1.0)
            && relu_vjp(-2.0, 1.0) == (0.0, 0.0),
    );

    println!("1. the gradient of the loss w.r.t. all {PARAMS} parameters, one reverse sweep");
    let (l0, grad) = loss_vjp(&p, &xs, &ys, 1.0);
    check(
        &format!("loss_vjp's value == loss(p) = {l0:.6}"),
        l0 == loss(&p, &xs, &ys),
    );
    check(
        &format!("the gradient has {PARAMS} entries"),
        grad.len() == PARAMS,
    );
    let fd = check_gradient(
        |q: &[f64]| loss(q, &xs, &ys),
        |q: &[f64]| loss_vjp(q, &xs, &ys, 1.0).1,
        &p,
        1e-7,
    );
    if let Err(m) = &fd {
        println!("{m}");
    }
    check(
        "all 33 partials == central differences (testing::check_gradient, rel/abs 1e-7)",
        fd.is_ok(),
    );
    let norm = |g: &[f64]| g.iter().map(|v| v * v).sum::<f64>().sqrt();
    println!("  |grad| = {:.6}", norm(&grad));

    // The loss of the best constant prediction (the targets' variance): a
    // trained network must do far better than that, not just than its start.
    let mean = ys.iter().sum::<f64>() / ys.len() as f64;
    let variance = ys.iter().map(|y| (y - mean) * (y - mean)).sum::<f64>() / ys.len() as f64;
    let goal = variance / 100.0;
    println!(
        "2. gradient descent, step 0.1, until the loss is below variance(y) / 100 = {goal:.6}"
    );
    let rate = 0.1;
    let mut l = l0;
    let mut steps: usize = 0;
    while steps < 100_000 && l > goal {
        let (value, g) = loss_vjp(&p, &xs, &ys, 1.0);
        l = value;
        for (pi, gi) in p.iter_mut().zip(&g) {
            *pi -= rate * gi;
        }
        steps += 1;
        if steps.is_power_of_two() {
            println!("  step {steps:>5}: loss {l:.6}");
        }
    }
    let final_loss = loss(&p, &xs, &ys);
    println!("  step {steps:>5}: loss {final_loss:.6}");
    check(
        &format!(
            "loss dropped by a factor of {:.0} (at least 100) in {steps} steps",
            l0 / final_loss
        ),
        final_loss * 100.0 <= l0,
    );
    check(
        &format!(
            "and is {:.0} times smaller than the best constant's, variance(y) = {variance:.4}",
            variance / final_loss
        ),
        final_loss <= goal,
    );
    let (_, g_end) = loss_vjp(&p, &xs, &ys, 1.0);
    check(
        "the gradient at the trained weights still matches central differences",
        check_gradient(
            |q: &[f64]| loss(q, &xs, &ys),
            |q: &[f64]| loss_vjp(q, &xs, &ys, 1.0).1,
            &p,
            1e-7,
        )
        .is_ok(),
    );
    println!("  |grad| = {:.6}", norm(&g_end));
    let probe = predict(&p, 1.0, 0.5);
    println!(
        "  prediction at (1, 0.5): {probe:.4} (target sin 1 cos 0.5 = {:.4})",
        1.0_f64.sin() * 0.5_f64.cos()
    );
    check(
        "the prediction there is within 0.1 of the target",
        (probe - 1.0_f64.sin() * 0.5_f64.cos()).abs() < 0.1,
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
