//! The Jacobian of `f(x) = (x0 x1 x2, x1^2, x0 + x2)` at (1, 2, 3), by forward
//! and by reverse mode: `cargo run --release --example jacobian`.
//!
//! ```text
//!          [ x1 x2  x0 x2  x0 x1 ]   [ 6 3 2 ]
//! J(x)  =  [   0    2 x1     0   ] = [ 0 4 0 ]   at (1, 2, 3)
//!          [   1      0      1   ]   [ 1 0 1 ]
//! ```
//!
//! Forward mode gives a column `J e_j` per sweep (n sweeps), vector mode `K`
//! columns per sweep (`ceil(n / K)` sweeps), reverse mode a row `J^T e_i` per
//! sweep (m sweeps); the drivers in `differentiate::drivers` assemble them, and
//! `drivers::jacobian` picks the cheaper. The derivatives are exact, so all the
//! matrices are equal with `==`.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::drivers;
use differentiate::prelude::*;
use differentiate::testing::{approx_eq, central_difference, check_jvp_vs_vjp};
use std::process::ExitCode;

/// `f: R^3 -> R^3`; `f_jvp(x, dx)` is `J dx`, `f_vjp(x, w)` is `J^T w`,
/// `f_jvp_vec(x, dx)` is `J dx` for `K` tangents at once.
#[differentiate(forward, reverse, vector)]
fn f(x: &[f64]) -> Vec<f64> {
    vec![x[0] * x[1] * x[2], x[1] * x[1], x[0] + x[2]]
}

fn print_matrix(name: &str, m: &[Vec<f64>]) {
    println!("  {name}:");
    for row in m {
        println!("    {row:?}");
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

    let x = [1.0, 2.0, 3.0];
    let want = vec![
        vec![6.0, 3.0, 2.0],
        vec![0.0, 4.0, 0.0],
        vec![1.0, 0.0, 1.0],
    ];
    println!("f(x) = (x0 x1 x2, x1^2, x0 + x2) at x = {x:?}");
    let value = f(&x);
    check(
        &format!("f(x) = {value:?} == [6, 4, 4]"),
        value == [6.0, 4.0, 4.0],
    );

    println!("1. forward mode: column j = f_jvp(x, e_j), 3 sweeps");
    let forward = drivers::jacobian_forward(f_jvp, &x);
    print_matrix("J by forward mode", &forward);
    check("== [[6,3,2],[0,4,0],[1,0,1]] exactly", forward == want);
    // One column by hand, to show what a sweep returns.
    let (value_again, column1) = f_jvp(&x, &[0.0, 1.0, 0.0]);
    check(
        &format!("f_jvp(x, e_1) = (f(x), column 1) = ({value_again:?}, {column1:?})"),
        value_again == value && column1 == [3.0, 4.0, 0.0],
    );

    println!("2. vector mode: K columns per sweep, all 3 in one sweep with K = 3");
    let seeds = [Lanes::unit(0), Lanes::unit(1), Lanes::unit(2)];
    let (value_vec, lanes) = f_jvp_vec::<3>(&x, &seeds);
    let columns: Vec<[f64; 3]> = lanes.iter().map(|l| l.to_array()).collect();
    check(
        &format!("f_jvp_vec(x, [e_0, e_1, e_2]) = (f(x), rows of J) = {columns:?}"),
        value_vec == value && columns.iter().map(|r| r.to_vec()).collect::<Vec<_>>() == want,
    );
    let vector = drivers::jacobian_forward_vec(f_jvp_vec::<2>, &x);
    check(
        "drivers::jacobian_forward_vec with K = 2 (2 sweeps) == forward mode exactly",
        vector == forward,
    );

    println!("3. reverse mode: row i = f_vjp(x, e_i), 3 sweeps");
    let reverse = drivers::jacobian_reverse(f, f_vjp, &x);
    print_matrix("J by reverse mode", &reverse);
    check("== [[6,3,2],[0,4,0],[1,0,1]] exactly", reverse == want);
    check("forward == reverse, exactly", forward == reverse);
    let (_, row0) = f_vjp(&x, &[1.0, 0.0, 0.0]);
    check(
        &format!("f_vjp(x, e_0).1 = row 0 = {row0:?}"),
        row0 == [6.0, 3.0, 2.0],
    );
    // A general seed w gives w^T J, every row weighted at once.
    let (_, wj) = f_vjp(&x, &[1.0, -1.0, 2.0]);
    check(
        &format!("f_vjp(x, w = (1, -1, 2)).1 = w^T J = {wj:?} == [8, -1, 4]"),
        wj == [8.0, -1.0, 4.0],
    );

    println!("4. drivers::jacobian chooses by shape (n = m = 3: forward)");
    let auto = drivers::jacobian(f_jvp, f_vjp, &x);
    check("== the forward and reverse matrices", auto == want);
    let auto_vec = drivers::jacobian_vec(f_jvp_vec::<4>, f_vjp, &x);
    check(
        "drivers::jacobian_vec (vector forward or reverse; K = 4: one sweep) == the same",
        auto_vec == want,
    );

    println!("5. independent checks");
    let fd = central_difference(f, &x, 1e-5);
    print_matrix("central differences", &fd);
    let close = fd
        .iter()
        .flatten()
        .zip(want.iter().flatten())
        .all(|(a, b)| approx_eq(*a, *b, 1e-9, 1e-9));
    check("central differences agree to 1e-9", close);
    let identity = check_jvp_vs_vjp(
        |x: &[f64], v: &[f64]| f_jvp(x, v).1,
        |x: &[f64], w: &[f64]| f_vjp(x, w).1,
        &[0.3, -1.7, 2.4],
        3,
        20,
        1e-14,
    );
    check(
        "<J v, w> == <v, J^T w> for 20 random v, w at another point (to 1e-14)",
        identity.is_ok(),
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
