//! An input used twice: `f(x0, x1) = ln(x0 x1) sin(x1)` at (0.5, 0.75):
//! `cargo run --release --example shared_input`.
//!
//! `x1` reaches the output along two paths, through `ln(x0 x1)` and through
//! `sin(x1)`; its partial derivative is the sum over both paths:
//!
//! ```text
//! df/dx0 = sin(x1) / x0                              = 1.3633 at (0.5, 0.75)
//! df/dx1 = sin(x1) / x1 + ln(x0 x1) cos(x1)          = 0.1912
//! ```
//!
//! Reverse mode accumulates the two adjoints of `x1` into one; forward mode
//! carries one tangent of `x1` into both uses.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::drivers;
use differentiate::prelude::*;
use differentiate::testing::{approx_eq, check_gradient};
use std::process::ExitCode;

#[differentiate(reverse, forward)]
fn f(x0: f64, x1: f64) -> f64 {
    (x0 * x1).ln() * x1.sin()
}

/// The same function on a slice, for the drivers: `x[1]` is read twice.
#[differentiate(reverse, forward)]
fn f_slice(x: &[f64]) -> f64 {
    (x[0] * x[1]).ln() * x[1].sin()
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };
    let (x0, x1) = (0.5_f64, 0.75_f64);
    let closed = [x1.sin() / x0, x1.sin() / x1 + (x0 * x1).ln() * x1.cos()];
    let spec = [1.3633, 0.1912];
    println!("f(x0, x1) = ln(x0 x1) sin(x1) at ({x0}, {x1})");

    println!("1. reverse mode, one sweep: f_vjp(x0, x1, 1)");
    let (v, d0, d1) = f_vjp(x0, x1, 1.0);
    println!("  value {v:.6}, gradient [{d0:.4}, {d1:.4}] (SPEC: {spec:?})");
    let four = |a: f64, b: f64| format!("{a:.4}") == format!("{b:.4}");
    check("value == f(x0, x1) exactly", v == f(x0, x1));
    check("df/dx0 == 1.3633 to 4 places", four(d0, spec[0]));
    check("df/dx1 == 0.1912 to 4 places", four(d1, spec[1]));
    check(
        "both == the closed forms (to 1e-15)",
        approx_eq(d0, closed[0], 1e-15, 0.0) && approx_eq(d1, closed[1], 1e-15, 0.0),
    );

    println!("2. forward mode, one sweep per input: f_jvp(x0, x1, dx0, dx1)");
    let (_, t0) = f_jvp(x0, x1, 1.0, 0.0);
    let (_, t1) = f_jvp(x0, x1, 0.0, 1.0);
    println!("  [{t0:.4}, {t1:.4}]");
    check(
        "df/dx0 by forward == by reverse (to 1e-15)",
        approx_eq(t0, d0, 1e-15, 0.0),
    );
    check(
        "df/dx1 by forward == by reverse (to 1e-15)",
        approx_eq(t1, d1, 1e-15, 0.0),
    );

    println!("3. the slice version through drivers::gradient");
    let x = [x0, x1];
    let (value, grad) = drivers::gradient(f_slice_vjp, &x);
    println!("  gradient {grad:?}");
    check(
        "value and gradient == the two-argument version's, exactly",
        value == v && grad == [d0, d1],
    );
    check(
        "gradient == central differences (testing::check_gradient, to 1e-8)",
        check_gradient(f_slice, |x| f_slice_vjp(x, 1.0).1, &x, 1e-8).is_ok(),
    );
    let (_, dd) = drivers::directional_derivative(f_slice_jvp, &x, &[1.0, 1.0]);
    check(
        "the directional derivative along (1, 1) is df/dx0 + df/dx1 (to 1e-15)",
        approx_eq(dd, d0 + d1, 1e-15, 0.0),
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
