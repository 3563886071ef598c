//! Gradient, Laplacian, divergence and curl of `f(x) = dot(x, x)`:
//! `cargo run --release --example vectors`.
//!
//! - The gradient of `f(x) = x . x` is `2x`: `[2, 2, 2]` at `ones(3)`.
//! - The Laplacian `sum_j d^2 f / dx_j^2` (the trace of the Hessian `2 I`) is 6.
//!   The general method takes `n` Hessian-vector products `H e_j` and keeps
//!   entry `j` of each; it does not care what the Hessian looks like. When the
//!   Hessian is KNOWN to be diagonal, one product `H 1` already is the diagonal
//!   (1 sweep instead of n); on a function with a non-diagonal Hessian that
//!   shortcut returns the sum of all entries instead, shown below.
//! - The divergence of the gradient field `grad f` is the same Laplacian, now
//!   from forward mode on a function that returns the gradient; its curl is 0.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::drivers;
use differentiate::prelude::*;
use std::process::ExitCode;

/// `f(x) = x . x`. Stacking `forward` over `reverse` generates `dot_self_vjp`
/// (the gradient) and `dot_self_vjp_jvp` (Hessian-vector products).
#[differentiate(forward)]
#[differentiate(reverse)]
fn dot_self(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

/// The gradient field `x -> grad f(x)` as a forward-mode derivative
/// `(x, v) -> (grad f(x), J v)`: the Jacobian of a gradient is the Hessian, so
/// its JVP is the Hessian-vector product that `dot_self_vjp_jvp` returns
/// beside the gradient. This has the shape of a `_jvp` for the drivers.
fn grad_field_jvp(x: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let ((_, grad), (_, hv)) = dot_self_vjp_jvp(x, 1.0, v, 0.0);
    (grad, hv)
}

/// A function whose Hessian is NOT diagonal: `x . x + x0 x1`,
/// `H = [[2, 1, 0], [1, 2, 0], [0, 0, 2]]`, Laplacian still 6.
#[differentiate(forward)]
#[differentiate(reverse)]
fn coupled(x: &[f64]) -> f64 {
    dot_self(x) + x[0] * x[1]
}

/// A field with a curl: the rotation `(-x1, x0, 0)` plus the gradient field.
#[differentiate(forward)]
fn swirl(x: &[f64]) -> Vec<f64> {
    vec![2.0 * x[0] - x[1], 2.0 * x[1] + x[0], 2.0 * x[2]]
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };
    let x = [1.0; 3];
    println!("f(x) = dot(x, x) at x = ones(3)");

    println!("1. gradient, one reverse sweep: drivers::gradient(dot_self_vjp, x)");
    let (value, grad) = drivers::gradient(dot_self_vjp, &x);
    println!("  f = {value}, gradient = {grad:?}");
    check(
        "f == 3 and gradient == [2, 2, 2], exactly",
        value == 3.0 && grad == [2.0; 3],
    );
    let y = [0.5, -1.5, 3.0];
    let (_, g_y) = dot_self_vjp(&y, 1.0);
    check(
        &format!("at {y:?} the gradient is 2x = {g_y:?}"),
        g_y == [1.0, -3.0, 6.0],
    );

    println!("2. Laplacian of f (trace of the Hessian 2I)");
    let general = drivers::laplacian(dot_self_vjp_jvp, &x);
    println!("  general: drivers::laplacian, n = 3 HVPs H e_j, keep entry j: {general}");
    check("general method == 6 exactly", general == 6.0);
    let diagonal = drivers::laplacian_diagonal(dot_self_vjp_jvp, &x);
    println!("  diagonal shortcut: drivers::laplacian_diagonal, ONE HVP H 1: {diagonal}");
    check(
        "diagonal shortcut == 6 exactly (valid: H is diagonal)",
        diagonal == 6.0,
    );
    let hessian = drivers::hessian(dot_self_vjp_jvp, &x);
    check(
        &format!("the Hessian itself is 2I: {hessian:?}"),
        hessian == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]],
    );

    println!("  why the shortcut needs a diagonal Hessian: g(x) = x . x + x0 x1");
    let general = drivers::laplacian(coupled_vjp_jvp, &x);
    let shortcut = drivers::laplacian_diagonal(coupled_vjp_jvp, &x);
    println!("  general: {general}; diagonal shortcut: {shortcut} (the sum of ALL entries)");
    check(
        "general == 6 (trace of [[2,1,0],[1,2,0],[0,0,2]])",
        general == 6.0,
    );
    check("shortcut == 8, wrong here, as documented", shortcut == 8.0);

    println!("3. divergence of the gradient field grad f = 2x (its JVP is an HVP)");
    let (field, _) = grad_field_jvp(&x, &[0.0; 3]);
    check(
        &format!("grad_field(ones) = {field:?} == [2, 2, 2]"),
        field == [2.0; 3],
    );
    let div = drivers::divergence(grad_field_jvp, &x);
    println!("  general: drivers::divergence, n = 3 forward sweeps J e_j: {div}");
    check("divergence == 6 == the Laplacian, exactly", div == 6.0);
    let div_diag = drivers::divergence_diagonal(grad_field_jvp, &x);
    println!("  diagonal shortcut: drivers::divergence_diagonal, ONE sweep J 1: {div_diag}");
    check(
        "diagonal shortcut == 6 exactly (2x is elementwise)",
        div_diag == 6.0,
    );
    let y = [0.3, -2.0, 7.5];
    check(
        "at another point, still 6 (f is quadratic)",
        drivers::divergence(grad_field_jvp, &y) == 6.0,
    );

    println!("4. curl (fields on R^3)");
    let curl = drivers::curl(grad_field_jvp, &y);
    check(
        &format!("curl of a gradient field is 0: {curl:?}"),
        curl == [0.0; 3],
    );
    let curl = drivers::curl(swirl_jvp, &y);
    check(
        &format!("curl of 2x + (-x1, x0, 0) is (0, 0, 2): {curl:?}"),
        curl == [0.0, 0.0, 2.0],
    );
    let div = drivers::divergence(swirl_jvp, &y);
    check(
        "its divergence is still 6 (the rotation adds none)",
        div == 6.0,
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
