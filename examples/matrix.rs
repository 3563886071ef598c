//! The mixed second derivative d/dY (d/dX f) of `f(X, Y) = ||X X Y||_F^2` for
//! 3 x 3 matrices: `cargo run --release --example matrix`.
//!
//! Matrices are `[f64; 9]`, row-major (tensors inside differentiated code are
//! not available yet; fixed-size arrays are). Stacking `forward` over `reverse`
//! gives `frob_vjp_jvp`: with the tangent `(dX, dY) = (0, E_b)` its tangent of
//! the X-adjoint is `d/dY_b (df/dX)`, one column of the 9 x 9 mixed block per
//! sweep.
//!
//! The closed form, derived by hand. Let `A = X X` and `Z = A Y`, so
//! `f = tr(Z^T Z)` and `df = 2 tr(Z^T dZ)`.
//!
//! ```text
//! First order in X (Y fixed):  dZ = (dX X + X dX) Y
//!   df = 2 tr(Z^T dX X Y) + 2 tr(Z^T X dX Y)
//!      = 2 tr((X Y Z^T) dX) + 2 tr((Y Z^T X) dX)         (cyclic trace)
//!   so G := df/dX = 2 (Z Y^T X^T + X^T Z Y^T)             (tr(M dX) <-> M^T)
//!
//! Then vary Y along dY (X fixed): Z changes by dZ = A dY, and
//!   dG = 2 (dZ Y^T X^T + Z dY^T X^T + X^T dZ Y^T + X^T Z dY^T)
//!      = 2 (A dY Y^T X^T + A Y dY^T X^T + X^T A dY Y^T + X^T A Y dY^T)
//! The mixed derivative d^2 f / dY_b dX_a is entry a of dG at dY = E_b.
//! ```
//!
//! Both are also compared with central differences.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use differentiate::testing::approx_eq;
use std::process::ExitCode;

/// `f(X, Y) = ||X X Y||_F^2`, the two products written out as loops.
#[differentiate(forward)]
#[differentiate(reverse)]
fn frob(x: [f64; 9], y: [f64; 9]) -> f64 {
    // A = X X
    let mut a = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            let mut s = 0.0;
            for k in 0..3 {
                s += x[3 * i + k] * x[3 * k + j];
            }
            a[3 * i + j] = s;
        }
    }
    // Z = A Y, and f = sum of Z_ij^2
    let mut f = 0.0;
    for i in 0..3 {
        for j in 0..3 {
            let mut z = 0.0;
            for k in 0..3 {
                z += a[3 * i + k] * y[3 * k + j];
            }
            f += z * z;
        }
    }
    f
}

// ---- plain matrix helpers for the closed form ----

type M = [f64; 9];

fn mul(a: &M, b: &M) -> M {
    let mut c = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            c[3 * i + j] = (0..3).map(|k| a[3 * i + k] * b[3 * k + j]).sum();
        }
    }
    c
}

fn t(a: &M) -> M {
    let mut c = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            c[3 * i + j] = a[3 * j + i];
        }
    }
    c
}

fn add(terms: &[M], scale: f64) -> M {
    let mut c = [0.0; 9];
    for m in terms {
        for i in 0..9 {
            c[i] += scale * m[i];
        }
    }
    c
}

/// `G = df/dX = 2 (Z Y^T X^T + X^T Z Y^T)`.
fn closed_grad_x(x: &M, y: &M) -> M {
    let z = mul(&mul(x, x), y);
    add(
        &[mul(&mul(&z, &t(y)), &t(x)), mul(&mul(&t(x), &z), &t(y))],
        2.0,
    )
}

/// `dG` along `dY`: `2 (A dY Y^T X^T + A Y dY^T X^T + X^T A dY Y^T + X^T A Y dY^T)`.
fn closed_mixed(x: &M, y: &M, dy: &M) -> M {
    let a = mul(x, x);
    let (xt, yt, dyt) = (t(x), t(y), t(dy));
    add(
        &[
            mul(&mul(&mul(&a, dy), &yt), &xt),
            mul(&mul(&mul(&a, y), &dyt), &xt),
            mul(&mul(&mul(&xt, &a), dy), &yt),
            mul(&mul(&mul(&xt, &a), y), &dyt),
        ],
        2.0,
    )
}

fn unit(b: usize) -> M {
    let mut e = [0.0; 9];
    e[b] = 1.0;
    e
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };
    let x: M = [0.9, -0.4, 0.3, 0.2, 1.1, -0.5, -0.7, 0.6, 0.8];
    let y: M = [0.5, 1.2, -0.3, -1.0, 0.4, 0.7, 0.6, -0.2, 1.3];
    println!("f(X, Y) = ||X X Y||_F^2, X and Y 3 x 3 (row-major [f64; 9])");

    println!("1. first order: frob_vjp(X, Y, 1) = (f, df/dX, df/dY), one reverse sweep");
    let (value, gx, _gy) = frob_vjp(x, y, 1.0);
    check(
        &format!("f = {value:.6} == frob(X, Y) exactly"),
        value == frob(x, y),
    );
    let want = closed_grad_x(&x, &y);
    check(
        "df/dX == 2 (Z Y^T X^T + X^T Z Y^T) to 1e-13",
        (0..9).all(|i| approx_eq(gx[i], want[i], 1e-13, 1e-13)),
    );
    let h = 1e-5;
    let fd_ok = (0..9).all(|a| {
        let (mut xp, mut xm) = (x, x);
        xp[a] += h;
        xm[a] -= h;
        approx_eq((frob(xp, y) - frob(xm, y)) / (2.0 * h), gx[a], 1e-8, 1e-8)
    });
    check("df/dX == central differences of f to 1e-8", fd_ok);

    println!(
        "2. mixed second order: column b of d/dY (df/dX) from frob_vjp_jvp(X, Y, 1, 0, E_b, 0)"
    );
    let mut mixed = [[0.0; 9]; 9]; // mixed[a][b] = d^2 f / dY_b dX_a
    for b in 0..9 {
        let ((_, gx_again, _), (_, d_gx, _)) = frob_vjp_jvp(x, y, 1.0, [0.0; 9], unit(b), 0.0);
        if b == 0 {
            check(
                "the sweep's value part repeats df/dX exactly",
                gx_again == gx,
            );
        }
        for (row, d) in mixed.iter_mut().zip(d_gx) {
            row[b] = d;
        }
    }
    println!("  d^2 f / dY_b dX_a (rows a = X entries, columns b = Y entries):");
    for row in &mixed {
        println!(
            "   {}",
            row.iter()
                .map(|v| format!("{v:8.4}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    let closed_ok = (0..9).all(|b| {
        let col = closed_mixed(&x, &y, &unit(b));
        (0..9).all(|a| approx_eq(mixed[a][b], col[a], 1e-13, 1e-13))
    });
    check(
        "all 81 entries == the hand-derived closed form to 1e-13",
        closed_ok,
    );
    let fd_ok = (0..9).all(|b| {
        let (mut yp, mut ym) = (y, y);
        yp[b] += h;
        ym[b] -= h;
        let (gp, gm) = (frob_vjp(x, yp, 1.0).1, frob_vjp(x, ym, 1.0).1);
        (0..9).all(|a| approx_eq((gp[a] - gm[a]) / (2.0 * h), mixed[a][b], 1e-7, 1e-7))
    });
    check(
        "all 81 == central differences in Y of the generated df/dX to 1e-7",
        fd_ok,
    );
    let fd2_ok = (0..9).all(|b| {
        (0..9).all(|a| {
            let f_at = |sa: f64, sb: f64| {
                let (mut xx, mut yy) = (x, y);
                xx[a] += sa;
                yy[b] += sb;
                frob(xx, yy)
            };
            let k = 1e-4;
            let fd = (f_at(k, k) - f_at(k, -k) - f_at(-k, k) + f_at(-k, -k)) / (4.0 * k * k);
            approx_eq(fd, mixed[a][b], 1e-5, 1e-5)
        })
    });
    check(
        "all 81 == second central differences of f itself to 1e-5",
        fd2_ok,
    );

    println!("3. symmetry: the same block from the other side, d/dX (df/dY)");
    let sym_ok = (0..9).all(|a| {
        let ((_, _, _), (_, _, d_gy)) = frob_vjp_jvp(x, y, 1.0, unit(a), [0.0; 9], 0.0);
        (0..9).all(|b| approx_eq(d_gy[b], mixed[a][b], 1e-13, 1e-13))
    });
    check(
        "d^2 f / dX_a dY_b == d^2 f / dY_b dX_a for all 81 pairs (to 1e-13)",
        sym_ok,
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
