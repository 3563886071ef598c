//! A short walk through `differentiate`: `cargo run --release --example tour`.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use std::process::ExitCode;

// 1. Reverse mode: the value and every partial derivative in one sweep.
#[differentiate(reverse)]
fn f(x: f64, y: f64) -> f64 {
    (x + y) * (y + 3.0)
}

// 2. Forward mode: the value and one directional derivative in one sweep.
#[differentiate(forward)]
fn g(x: f64, y: f64) -> f64 {
    x.ln() + x * y - y.sin()
}

// 3. Ordinary loops over slices: the gradient of Rosenbrock's function.
#[differentiate(reverse, forward)]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = 1.0 - x[i];
        let b = x[i + 1] - x[i] * x[i];
        s += a * a + 100.0 * b * b;
    }
    s
}

// 4. Stacked attributes compose: forward over reverse gives Hessian-vector products.
#[differentiate(forward)]
#[differentiate(reverse)]
fn h(x: f64, y: f64) -> f64 {
    x * x * y + y.exp()
}

// 5. Control flow is taken at run time; derivatives follow the branch taken.
#[differentiate(reverse, forward)]
fn smooth_abs_sum(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.0 {
            s += x[i] * x[i];
        } else {
            s -= x[i];
        }
    }
    s
}

struct Checker {
    failures: usize,
}

impl Checker {
    fn check(&mut self, what: &str, got: f64, want: f64, tol: f64) {
        let ok = (got - want).abs() <= tol * (1.0 + want.abs());
        println!(
            "  {} {what}: {got} (expected {want})",
            if ok { "ok  " } else { "FAIL" }
        );
        if !ok {
            self.failures += 1;
        }
    }
}

fn main() -> ExitCode {
    let mut c = Checker { failures: 0 };

    println!("1. reverse mode: f(x, y) = (x + y)(y + 3) at (1, 2)");
    let (v, dx, dy) = f_vjp(1.0, 2.0, 1.0);
    c.check("f", v, f(1.0, 2.0), 0.0);
    c.check("df/dx", dx, 5.0, 0.0);
    c.check("df/dy", dy, 8.0, 0.0);

    println!("2. forward mode: g(x, y) = ln x + x y - sin y at (2, 5)");
    c.check("dg/dx", g_jvp(2.0, 5.0, 1.0, 0.0).1, 5.5, 0.0);
    c.check(
        "dg/dy",
        g_jvp(2.0, 5.0, 0.0, 1.0).1,
        2.0 - 5.0_f64.cos(),
        0.0,
    );
    c.check("g", g(2.0, 5.0), 2.0_f64.ln() + 10.0 - 5.0_f64.sin(), 0.0);

    println!("3. Rosenbrock gradient at (1.5, 0.7, -0.3, 2.0): one reverse sweep");
    let x = [1.5, 0.7, -0.3, 2.0];
    let (value, grad) = rosenbrock_vjp(&x, 1.0);
    c.check("value", value, rosenbrock(&x), 0.0);
    let closed = [
        -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]),
        200.0 * (x[1] - x[0] * x[0]) - 2.0 * (1.0 - x[1]) - 400.0 * x[1] * (x[2] - x[1] * x[1]),
        200.0 * (x[2] - x[1] * x[1]) - 2.0 * (1.0 - x[2]) - 400.0 * x[2] * (x[3] - x[2] * x[2]),
        200.0 * (x[3] - x[2] * x[2]),
    ];
    for i in 0..4 {
        c.check(&format!("d/dx{i}"), grad[i], closed[i], 1e-12);
        // The same partial by forward mode, one sweep per direction.
        let mut e = [0.0; 4];
        e[i] = 1.0;
        c.check(
            &format!("forward d/dx{i}"),
            rosenbrock_jvp(&x, &e).1,
            closed[i],
            1e-12,
        );
    }

    println!("4. second order: h(x, y) = x^2 y + e^y, Hessian column along x at (1, 2)");
    let ((_, gx, gy), (_, hxx, hyx)) = h_vjp_jvp(1.0, 2.0, 1.0, 1.0, 0.0, 0.0);
    c.check("dh/dx", gx, 4.0, 0.0);
    c.check("dh/dy", gy, 1.0 + 2.0_f64.exp(), 1e-15);
    c.check("d2h/dx2", hxx, 4.0, 0.0);
    c.check("d2h/dydx", hyx, 2.0, 0.0);
    c.check("h", h_vjp(1.0, 2.0, 1.0).0, h(1.0, 2.0), 0.0);
    c.check(
        "h by forward mode",
        h_jvp(1.0, 2.0, 0.0, 0.0).0,
        2.0 + 2.0_f64.exp(),
        1e-15,
    );

    println!("5. branches: sum of x^2 (x > 0) and -x (x <= 0)");
    let x = [-1.0, 2.0, 0.5, -3.0];
    let (v, grad) = smooth_abs_sum_vjp(&x, 1.0);
    c.check("value", v, smooth_abs_sum(&x), 0.0);
    for (i, (&gi, &xi)) in grad.iter().zip(&x).enumerate() {
        let want = if xi > 0.0 { 2.0 * xi } else { -1.0 };
        c.check(&format!("d/dx{i}"), gi, want, 0.0);
        let mut e = [0.0; 4];
        e[i] = 1.0;
        c.check(
            &format!("forward d/dx{i}"),
            smooth_abs_sum_jvp(&x, &e).1,
            want,
            0.0,
        );
    }

    println!("More, one example per capability (cargo run --release --example NAME):");
    for (name, what) in [
        (
            "sin",
            "sin' = cos and sin'' = -sin exactly; 1001 points in one sweep each",
        ),
        (
            "partials",
            "(x + y)(y + 3) and ln x1 + x1 x2 - sin x2, by both modes",
        ),
        (
            "vectors",
            "gradient, Laplacian (general and diagonal), divergence, curl",
        ),
        (
            "jacobian",
            "a 3 x 3 Jacobian by forward and by reverse mode, equal exactly",
        ),
        (
            "batch",
            "x^2 + sqrt(x) at eight points in one forward sweep",
        ),
        ("shared_input", "an input used twice: adjoints add up"),
        ("mlp", "a two-layer perceptron trained by gradient descent"),
        (
            "hessian",
            "HVPs and an inverse-HVP by CG on 10^6 parameters",
        ),
        (
            "matrix",
            "d/dY (d/dX ||X X Y||_F^2) against its closed form",
        ),
        (
            "stable_div",
            "a custom derivative rule, naive vs stable, first and second order",
        ),
        ("ode", "gradients through an RK4 integration loop"),
        ("show", "the generated derivative's source code"),
    ] {
        println!("  {name:<13} {what}");
    }

    if c.failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{} check(s) FAILED", c.failures);
        ExitCode::FAILURE
    }
}
