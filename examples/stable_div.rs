//! A custom derivative rule for numerical stability, naive vs stable, first and
//! second order: `cargo run --release --example stable_div`.
//!
//! `d(a/b)/db = -a/b^2`. Written naively as `-a / (b * b)`, the product `b * b`
//! underflows to 0 in f32 once `|b| < 3.7e-23`, and the derivative becomes
//! `-inf` (or NaN), although the true value may be perfectly representable.
//! Written as `-(a/b)/b` it stays finite: at a = b = 1e-25, `a/b = 1` and
//! `-(a/b)/b = -1e25`.
//!
//! `#[custom_derivative(reverse = .., forward = ..)]` registers the rules;
//! every differentiated function that calls `stable_div` (or `naive_div`) uses
//! them, in both modes. The rules carry `#[differentiate(forward)]` themselves,
//! so second derivatives of a caller go through the rules' own derivatives and
//! are exact and stable too.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use std::process::ExitCode;

// ---- the stable rule ----

#[differentiate(forward)]
#[custom_derivative(reverse = stable_div_vjp, forward = stable_div_jvp)]
fn stable_div(a: f32, b: f32) -> f32 {
    a / b
}

/// `(a/b, d_out / b, -(a/b)/b * d_out)`: the signature `#[differentiate(reverse)]` would generate.
#[differentiate(forward)]
fn stable_div_vjp(a: f32, b: f32, d_out: f32) -> (f32, f32, f32) {
    let q = a / b;
    (q, d_out / b, -(q / b) * d_out)
}

/// `(a/b, da / b - (a/b)/b * db)`: the signature `#[differentiate(forward)]` would generate.
#[differentiate(forward)]
fn stable_div_jvp(a: f32, b: f32, da: f32, db: f32) -> (f32, f32) {
    let q = a / b;
    (q, da / b - (q / b) * db)
}

// ---- the naive rule, for comparison ----

#[differentiate(forward)]
#[custom_derivative(reverse = naive_div_vjp, forward = naive_div_jvp)]
fn naive_div(a: f32, b: f32) -> f32 {
    a / b
}

#[differentiate(forward)]
fn naive_div_vjp(a: f32, b: f32, d_out: f32) -> (f32, f32, f32) {
    (a / b, d_out / b, -a / (b * b) * d_out)
}

#[differentiate(forward)]
fn naive_div_jvp(a: f32, b: f32, da: f32, db: f32) -> (f32, f32) {
    (a / b, da / b - a / (b * b) * db)
}

// ---- two callers that differ only in which division they call ----

/// `3 a / b`. The outer `forward` over the inner `forward, reverse` gives
/// second derivatives both as forward over reverse (`_vjp_jvp`) and as forward
/// over forward (`_jvp_jvp`).
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn ratio_stable(a: f32, b: f32) -> f32 {
    3.0 * stable_div(a, b)
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn ratio_naive(a: f32, b: f32) -> f32 {
    3.0 * naive_div(a, b)
}

struct Checker {
    failures: usize,
}

impl Checker {
    fn check(&mut self, what: &str, ok: bool) {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failures += 1;
        }
    }
}

/// `got` (f32) equals the f64 reference to f32 precision.
fn close(got: f32, want: f64) -> bool {
    got.is_finite() && ((got as f64 - want) / want).abs() < 1e-6
}

fn main() -> ExitCode {
    let mut c = Checker { failures: 0 };

    let t = 1e-25_f32;
    let (a, b) = (t, t);
    println!(
        "f(a, b) = 3 a / b in f32 at a = b = {t:e}: b * b = {:e} underflows",
        b * b
    );
    // The exact values for these f32 inputs, computed in f64 where nothing underflows.
    let (a64, b64) = (a as f64, b as f64);
    let want_da = 3.0 / b64;
    let want_db = -3.0 * a64 / (b64 * b64);
    println!("  exact (in f64, for the f32 inputs): df/da = {want_da:e}, df/db = {want_db:e}");

    println!("1. first order, reverse mode: ratio_*_vjp(a, b, 1)");
    let (v, da, db) = ratio_stable_vjp(a, b, 1.0);
    println!("  stable: f = {v}, df/da = {da:e}, df/db = {db:e}");
    c.check("stable: f == 3 exactly", v == 3.0);
    c.check("stable: df/da == 3/b to f32 precision", close(da, want_da));
    c.check(
        "stable: df/db == -3/b finite, to f32 precision",
        close(db, want_db),
    );
    c.check(
        "stable: df/db == -(3 / b) exactly, as f32 division computes it",
        db == -(3.0 / b),
    );
    let (nv, nda, ndb) = ratio_naive_vjp(a, b, 1.0);
    println!("  naive:  f = {nv}, df/da = {nda:e}, df/db = {ndb}");
    c.check(
        "naive: df/db is -inf or NaN (b * b underflowed)",
        ndb.is_infinite() || ndb.is_nan(),
    );
    c.check(
        "naive: df/da is still fine (no b * b there)",
        close(nda, want_da),
    );

    println!("2. first order, forward mode: ratio_*_jvp(a, b, 0, 1) = df/db");
    let (_, tb) = ratio_stable_jvp(a, b, 0.0, 1.0);
    let (_, ntb) = ratio_naive_jvp(a, b, 0.0, 1.0);
    println!("  stable: {tb:e}; naive: {ntb}");
    c.check("stable forward == stable reverse, exactly", tb == db);
    c.check(
        "naive forward is -inf or NaN",
        ntb.is_infinite() || ntb.is_nan(),
    );

    println!("3. second order (forward over reverse, through the rules' own derivatives)");
    // At a = b = 1e-25 every second derivative of a/b is about 1/b^2 = 1e50,
    // beyond f32's range (3.4e38) whatever the formula. Take a point where the
    // exact second derivative d^2f/db^2 = 6 a / b^3 is representable while b * b
    // still underflows: a = 1e-38, b = 1e-23.
    let (a2, b2) = (1e-38_f32, 1e-23_f32);
    let (a2_64, b2_64) = (a2 as f64, b2 as f64);
    let want_db = -3.0 * a2_64 / (b2_64 * b2_64);
    let want_dbdb = 6.0 * a2_64 / (b2_64 * b2_64 * b2_64);
    println!(
        "  at a = {a2:e}, b = {b2:e} (b * b = {:e}): exact df/db = {want_db:e}, d2f/db2 = {want_dbdb:e}",
        b2 * b2
    );
    // tangent (da, db) = (0, 1): the tangent of the b-adjoint is d2f/db2
    let ((_, _, g_b), (_, _, h_bb)) = ratio_stable_vjp_jvp(a2, b2, 1.0, 0.0, 1.0, 0.0);
    println!("  stable: df/db = {g_b:e}, d2f/db2 = {h_bb:e}");
    c.check("stable: df/db to f32 precision", close(g_b, want_db));
    c.check(
        "stable: d2f/db2 == 6 a / b^3, finite, to f32 precision",
        close(h_bb, want_dbdb),
    );
    let ((_, _, ng_b), (_, _, nh_bb)) = ratio_naive_vjp_jvp(a2, b2, 1.0, 0.0, 1.0, 0.0);
    println!("  naive:  df/db = {ng_b}, d2f/db2 = {nh_bb}");
    c.check(
        "naive: both are inf or NaN",
        !ng_b.is_finite() && !nh_bb.is_finite(),
    );
    // Second derivatives by forward over forward agree.
    let ((_, _), (_, h_ff)) = ratio_stable_jvp_jvp(a2, b2, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0);
    c.check(
        &format!("stable, forward over forward: d2f/db2 = {h_ff:e}, to f32 precision"),
        close(h_ff, want_dbdb),
    );

    println!("4. at an ordinary point the rules are exact: (a, b) = (2, 4), f = 3a/b");
    let ((v, ga, gb), (tv, ha, hb)) = ratio_stable_vjp_jvp(2.0, 4.0, 1.0, 0.0, 1.0, 0.0);
    println!("  f = {v}, gradient ({ga}, {gb}), Hessian column along b ({ha}, {hb}), df/db = {tv}");
    c.check(
        "f = 1.5, gradient (3/b, -3a/b^2) = (0.75, -0.375) exactly",
        (v, ga, gb) == (1.5, 0.75, -0.375),
    );
    c.check(
        "Hessian column along b: (-3/b^2, 6a/b^3) = (-0.1875, 0.1875) exactly",
        (tv, ha, hb) == (-0.375, -0.1875, 0.1875),
    );
    let ((_, nga, ngb), (_, nha, nhb)) = ratio_naive_vjp_jvp(2.0, 4.0, 1.0, 0.0, 1.0, 0.0);
    c.check(
        "the naive rule agrees there (it fails only at extreme scales)",
        (nga, ngb, nha, nhb) == (ga, gb, ha, hb),
    );
    c.check(
        "stable_div and naive_div are plain division",
        stable_div(6.0, 3.0) == 2.0 && naive_div(6.0, 3.0) == 2.0,
    );

    if c.failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{} check(s) FAILED", c.failures);
        ExitCode::FAILURE
    }
}
