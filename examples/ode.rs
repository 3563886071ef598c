//! Gradients through an RK4 integration loop with respect to the model's
//! parameters: `cargo run --release --example ode`.
//!
//! 1. Logistic growth `y' = r y (1 - y / K)`, `y(0) = y0`, integrated to t = T
//!    with 1000 classic Runge-Kutta steps. `logistic_vjp` returns `y(T)` and its
//!    derivatives with respect to `r`, `K` and `y0` in one reverse sweep through
//!    the loop. The closed-form solution `y(t) = K / (1 + (K/y0 - 1) e^{-r t})`
//!    has derivatives by hand; the RK4 solution's derivatives approach them.
//! 2. A damped oscillator `x'' = -k x - c x'`, state `(x, v)`, parameters `k`, `c`
//!    and the initial state, by reverse and by forward mode.
//!
//! The generated derivative is the exact derivative of the discrete RK4
//! program, so it agrees with central differences of that program to their own
//! accuracy, and with the continuous closed form to the method's accuracy.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use differentiate::testing::{approx_eq, central_gradient};
use std::process::ExitCode;

/// The right-hand side of the logistic equation.
#[differentiate(reverse, forward)]
fn logistic_rhs(y: f64, r: f64, k: f64) -> f64 {
    r * y * (1.0 - y / k)
}

/// `y(t_end)` by `steps` RK4 steps. `t_end` is a fixed input (not differentiated).
#[differentiate(reverse, forward, wrt(r, k, y0))]
fn logistic(r: f64, k: f64, y0: f64, t_end: f64, steps: usize) -> f64 {
    let h = t_end / steps as f64;
    let mut y = y0;
    for _ in 0..steps {
        let k1 = logistic_rhs(y, r, k);
        let k2 = logistic_rhs(y + 0.5 * h * k1, r, k);
        let k3 = logistic_rhs(y + 0.5 * h * k2, r, k);
        let k4 = logistic_rhs(y + h * k3, r, k);
        y += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    }
    y
}

/// `x(t_end)` of `x'' = -k x - c x'` by `steps` RK4 steps on the state `(x, v)`.
#[differentiate(reverse, forward, wrt(k, c, x0, v0))]
fn oscillator(k: f64, c: f64, x0: f64, v0: f64, t_end: f64, steps: usize) -> f64 {
    let h = t_end / steps as f64;
    let mut x = x0;
    let mut v = v0;
    for _ in 0..steps {
        let (x1, v1) = (v, -k * x - c * v);
        let (xa, va) = (x + 0.5 * h * x1, v + 0.5 * h * v1);
        let (x2, v2) = (va, -k * xa - c * va);
        let (xb, vb) = (x + 0.5 * h * x2, v + 0.5 * h * v2);
        let (x3, v3) = (vb, -k * xb - c * vb);
        let (xc, vc) = (x + h * x3, v + h * v3);
        let (x4, v4) = (vc, -k * xc - c * vc);
        x += h / 6.0 * (x1 + 2.0 * x2 + 2.0 * x3 + x4);
        v += h / 6.0 * (v1 + 2.0 * v2 + 2.0 * v3 + v4);
    }
    x
}

/// The logistic closed form and its derivatives by hand:
/// with `E = e^{-rt}`, `c = K/y0 - 1`, `D = 1 + c E`, `y = K / D`,
/// `dy/dr = K c t E / D^2`, `dy/dK = 1/D - K E / (y0 D^2)`,
/// `dy/dy0 = K^2 E / (y0^2 D^2)`.
fn logistic_exact(r: f64, k: f64, y0: f64, t: f64) -> (f64, [f64; 3]) {
    let e = (-r * t).exp();
    let c = k / y0 - 1.0;
    let d = 1.0 + c * e;
    let y = k / d;
    let dr = k * c * t * e / (d * d);
    let dk = 1.0 / d - k * e / (y0 * d * d);
    let dy0 = k * k * e / (y0 * y0 * d * d);
    (y, [dr, dk, dy0])
}

/// The underdamped oscillator's closed form
/// `x(t) = e^{-ct/2} (x0 cos wt + (v0 + c x0 / 2) / w sin wt)`, `w = sqrt(k - c^2/4)`,
/// and its derivatives in the initial state (it is linear in them).
fn oscillator_exact(k: f64, c: f64, x0: f64, v0: f64, t: f64) -> (f64, f64, f64) {
    let w = (k - c * c / 4.0).sqrt();
    let decay = (-c * t / 2.0).exp();
    let (s, co) = (w * t).sin_cos();
    let x = decay * (x0 * co + (v0 + c * x0 / 2.0) / w * s);
    let dx0 = decay * (co + c / (2.0 * w) * s);
    let dv0 = decay * s / w;
    (x, dx0, dv0)
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    println!("1. logistic growth y' = r y (1 - y/K), RK4, 1000 steps to T = 10");
    let (r, k, y0, t_end, steps) = (0.8, 5.0, 0.2, 10.0, 1000);
    let (y_t, dr, dk, dy0) = logistic_vjp(r, k, y0, t_end, steps, 1.0);
    let (y_exact, [er, ek, ey0]) = logistic_exact(r, k, y0, t_end);
    println!("  (r, K, y0) = ({r}, {k}, {y0}): y(T) = {y_t:.10} (closed form {y_exact:.10})");
    println!(
        "  one reverse sweep through the loop: dy/dr = {dr:.8}, dy/dK = {dk:.8}, dy/dy0 = {dy0:.8}"
    );
    println!(
        "  closed form:                        dy/dr = {er:.8}, dy/dK = {ek:.8}, dy/dy0 = {ey0:.8}"
    );
    check(
        "y(T) == logistic(...) exactly",
        y_t == logistic(r, k, y0, t_end, steps),
    );
    check(
        "RK4 matches the closed form to 1e-9",
        approx_eq(y_t, y_exact, 1e-9, 1e-9),
    );
    check(
        "the three derivatives match the closed form's to 1e-8",
        approx_eq(dr, er, 1e-8, 1e-8)
            && approx_eq(dk, ek, 1e-8, 1e-8)
            && approx_eq(dy0, ey0, 1e-8, 1e-8),
    );
    let fd = central_gradient(
        |p: &[f64]| logistic(p[0], p[1], p[2], t_end, steps),
        &[r, k, y0],
        1e-6,
    );
    println!("  central differences of the RK4 program: {fd:.8?}");
    check(
        "and central differences of the RK4 program to 1e-8",
        approx_eq(dr, fd[0], 1e-8, 1e-8)
            && approx_eq(dk, fd[1], 1e-8, 1e-8)
            && approx_eq(dy0, fd[2], 1e-8, 1e-8),
    );
    let t_r = logistic_jvp(r, k, y0, t_end, steps, 1.0, 0.0, 0.0).1;
    let t_k = logistic_jvp(r, k, y0, t_end, steps, 0.0, 1.0, 0.0).1;
    let t_y0 = logistic_jvp(r, k, y0, t_end, steps, 0.0, 0.0, 1.0).1;
    check(
        "forward mode (three sweeps) gives the same three derivatives to 1e-13",
        approx_eq(t_r, dr, 1e-13, 1e-13)
            && approx_eq(t_k, dk, 1e-13, 1e-13)
            && approx_eq(t_y0, dy0, 1e-13, 1e-13),
    );
    // Convergence: the derivative of the discrete program approaches the
    // continuous one at RK4's fourth order as the step shrinks.
    let err = |n: usize| (logistic_vjp(r, k, y0, t_end, n, 1.0).1 - er).abs();
    let (e50, e100) = (err(50), err(100));
    println!(
        "  |dy/dr - closed form| with 50 steps {e50:.2e}, with 100 steps {e100:.2e}: ratio {:.1}",
        e50 / e100
    );
    check(
        "halving the step cuts the derivative's error about 16x (fourth order)",
        (10.0..25.0).contains(&(e50 / e100)),
    );

    println!("2. damped oscillator x'' = -k x - c x', RK4, 2000 steps to T = 10");
    let (kk, c, x0, v0, t_end, steps) = (4.0, 0.3, 1.0, 0.5, 10.0, 2000);
    let (x_t, dk, dc, dx0, dv0) = oscillator_vjp(kk, c, x0, v0, t_end, steps, 1.0);
    let (x_exact, ex0, ev0) = oscillator_exact(kk, c, x0, v0, t_end);
    println!(
        "  (k, c, x0, v0) = ({kk}, {c}, {x0}, {v0}): x(T) = {x_t:.10} (closed form {x_exact:.10})"
    );
    println!("  gradient: dx/dk = {dk:.8}, dx/dc = {dc:.8}, dx/dx0 = {dx0:.8}, dx/dv0 = {dv0:.8}");
    check(
        "RK4 matches the closed form to 1e-9",
        approx_eq(x_t, x_exact, 1e-9, 1e-9),
    );
    check(
        "dx/dx0 and dx/dv0 match the closed form's to 1e-9",
        approx_eq(dx0, ex0, 1e-9, 1e-9) && approx_eq(dv0, ev0, 1e-9, 1e-9),
    );
    let h = 1e-6;
    let cf = |k: f64, c: f64| oscillator_exact(k, c, x0, v0, t_end).0;
    let (cf_k, cf_c) = (
        (cf(kk + h, c) - cf(kk - h, c)) / (2.0 * h),
        (cf(kk, c + h) - cf(kk, c - h)) / (2.0 * h),
    );
    check(
        &format!("dx/dk and dx/dc match central differences of the closed form ({cf_k:.8}, {cf_c:.8}) to 1e-7"),
        approx_eq(dk, cf_k, 1e-7, 1e-7) && approx_eq(dc, cf_c, 1e-7, 1e-7),
    );
    let p = [kk, c, x0, v0];
    let fd = central_gradient(
        |p: &[f64]| oscillator(p[0], p[1], p[2], p[3], t_end, steps),
        &p,
        1e-6,
    );
    check(
        "all four match central differences of the RK4 program to 1e-7",
        [dk, dc, dx0, dv0]
            .iter()
            .zip(&fd)
            .all(|(a, b)| approx_eq(*a, *b, 1e-7, 1e-7)),
    );
    // One forward sweep along a direction gives the directional derivative.
    let dir = [1.0, -2.0, 0.5, 3.0];
    let (_, along) = oscillator_jvp(kk, c, x0, v0, t_end, steps, dir[0], dir[1], dir[2], dir[3]);
    let dot = dk * dir[0] + dc * dir[1] + dx0 * dir[2] + dv0 * dir[3];
    check(
        &format!("forward mode along (1, -2, 0.5, 3): {along:.8} == gradient . direction to 1e-12"),
        approx_eq(along, dot, 1e-12, 1e-12),
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
