//! Seeing the derivative: `cargo run --release --example show`.
//!
//! `#[differentiate(reverse, dump)]` puts the pretty-printed source of the
//! generated `f_vjp` in a constant `F_VJP_SOURCE` (and `forward, dump` the
//! source of `f_jvp` in `F_JVP_SOURCE`). The code is what the program runs: a
//! forward sweep that computes the value, then a reverse sweep that propagates
//! `d_out` back to the inputs, statement by statement. (Building with
//! `DIFFERENTIATE_DUMP=1` prints every generated function to stderr.)
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use std::process::ExitCode;

/// `f(x, y) = sin(x y) + x^2 / y`.
#[differentiate(reverse, forward, dump)]
fn f(x: f64, y: f64) -> f64 {
    let p = x * y;
    p.sin() + x * x / y
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    println!("The source of f:");
    println!("    fn f(x: f64, y: f64) -> f64 {{");
    println!("        let p = x * y;");
    println!("        p.sin() + x * x / y");
    println!("    }}");
    println!();
    println!("What #[differentiate(reverse, dump)] generated (F_VJP_SOURCE):");
    println!();
    println!("{F_VJP_SOURCE}");

    println!("And the forward mode (F_JVP_SOURCE), tangents beside values:");
    println!();
    println!("{F_JVP_SOURCE}");

    println!("Checks:");
    check(
        "the source defines f_vjp(x, y, d_out) returning (value, d_x, d_y)",
        F_VJP_SOURCE.contains("fn f_vjp(x: f64, y: f64, d_out: f64) -> (f64, f64, f64)"),
    );
    check(
        "it is the code that runs: no tape, no closure, no allocation",
        !F_VJP_SOURCE.contains("Vec")
            && !F_VJP_SOURCE.contains("Box")
            && !F_VJP_SOURCE.contains("|"),
    );
    // df/dx = y cos(x y) + 2x / y, df/dy = x cos(x y) - x^2 / y^2
    let (x, y) = (0.7, 1.9);
    let (v, dx, dy) = f_vjp(x, y, 1.0);
    let want = (
        (x * y).sin() + x * x / y,
        y * (x * y).cos() + 2.0 * x / y,
        x * (x * y).cos() - x * x / (y * y),
    );
    println!("  f_vjp({x}, {y}, 1) = ({v}, {dx}, {dy})");
    check("value == f(x, y) exactly", v == f(x, y));
    check(
        "df/dx == y cos(xy) + 2x/y and df/dy == x cos(xy) - x^2/y^2 (to 1e-15)",
        (dx - want.1).abs() <= 1e-15 * want.1.abs() && (dy - want.2).abs() <= 1e-15 * want.2.abs(),
    );
    check(
        "f_jvp gives the same partials, one sweep each (to 1e-15)",
        (f_jvp(x, y, 1.0, 0.0).1 - dx).abs() <= 1e-15 * dx.abs()
            && (f_jvp(x, y, 0.0, 1.0).1 - dy).abs() <= 1e-15 * dy.abs(),
    );
    check(
        "F_JVP_SOURCE defines f_jvp(x, y, d_x, d_y)",
        F_JVP_SOURCE.contains("fn f_jvp(x: f64, y: f64, d_x: f64, d_y: f64) -> (f64, f64)"),
    );
    let (_, dx2, dy2) = f_vjp(x, y, -2.0);
    check(
        "the seed d_out = -2 scales both adjoints exactly",
        dx2 == -2.0 * dx && dy2 == -2.0 * dy,
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
