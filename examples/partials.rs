//! Partial derivatives of two small functions, by reverse and by forward mode:
//! `cargo run --release --example partials`.
//!
//! - `f(x, y) = (x + y)(y + 3)` at (1, 2): df/dx = 5 and df/dy = 8, exactly.
//! - `g(x1, x2) = ln x1 + x1 x2 - sin x2` at (2, 5): dg/dx1 = 5.5 and
//!   dg/dx2 = 2 - cos 5, exactly.
//!
//! Reverse mode (`_vjp`) gives every partial in one sweep; forward mode
//! (`_jvp`) gives one directional derivative per sweep, so a partial is the
//! sweep along that axis. Both are also compared with central differences.
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::prelude::*;
use differentiate::testing::{approx_eq, central_gradient};
use std::process::ExitCode;

#[differentiate(reverse, forward)]
fn f(x: f64, y: f64) -> f64 {
    (x + y) * (y + 3.0)
}

#[differentiate(reverse, forward)]
fn g(x1: f64, x2: f64) -> f64 {
    x1.ln() + x1 * x2 - x2.sin()
}

struct Checker {
    failures: usize,
}

impl Checker {
    /// `got == want` when `rel == 0`, else equal to a relative tolerance.
    fn check(&mut self, what: &str, got: f64, want: f64, rel: f64) {
        let ok = if rel == 0.0 {
            got == want
        } else {
            approx_eq(got, want, rel, rel)
        };
        let how = if rel == 0.0 {
            "exactly".to_string()
        } else {
            format!("to {rel:.0e}")
        };
        println!(
            "  {} {what}: {got:?} (expected {want:?}, {how})",
            if ok { "ok  " } else { "FAIL" }
        );
        if !ok {
            self.failures += 1;
        }
    }

    fn finish(self) -> ExitCode {
        if self.failures == 0 {
            println!("all checks passed");
            ExitCode::SUCCESS
        } else {
            println!("{} check(s) FAILED", self.failures);
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let mut c = Checker { failures: 0 };

    println!("1. f(x, y) = (x + y)(y + 3) at (1, 2)");
    println!("  reverse mode, one sweep: f_vjp(1, 2, d_out = 1) = (f, df/dx, df/dy)");
    let (v, dx, dy) = f_vjp(1.0, 2.0, 1.0);
    c.check("f", v, 15.0, 0.0);
    c.check("df/dx", dx, 5.0, 0.0);
    c.check("df/dy", dy, 8.0, 0.0);
    println!("  forward mode, one sweep per axis: f_jvp(1, 2, dx, dy)");
    c.check("df/dx", f_jvp(1.0, 2.0, 1.0, 0.0).1, 5.0, 0.0);
    c.check("df/dy", f_jvp(1.0, 2.0, 0.0, 1.0).1, 8.0, 0.0);
    // a directional derivative is the same linear combination of the partials
    c.check(
        "along (3, -1): 3 df/dx - df/dy",
        f_jvp(1.0, 2.0, 3.0, -1.0).1,
        7.0,
        0.0,
    );
    // The seed scales the whole gradient.
    let (_, dx2, dy2) = f_vjp(1.0, 2.0, 2.0);
    c.check("d_out = 2 scales df/dx", dx2, 10.0, 0.0);
    c.check("d_out = 2 scales df/dy", dy2, 16.0, 0.0);
    let fd = central_gradient(|p: &[f64]| f(p[0], p[1]), &[1.0, 2.0], 1e-5);
    c.check("central difference df/dx", fd[0], 5.0, 1e-9);
    c.check("central difference df/dy", fd[1], 8.0, 1e-9);

    println!("2. g(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5)");
    let want_dx2 = 2.0 - 5.0_f64.cos();
    println!("  forward mode: g_jvp(2, 5, dx1, dx2)");
    c.check("dg/dx1", g_jvp(2.0, 5.0, 1.0, 0.0).1, 5.5, 0.0);
    c.check("dg/dx2", g_jvp(2.0, 5.0, 0.0, 1.0).1, want_dx2, 0.0);
    println!("  reverse mode: g_vjp(2, 5, 1) = (g, dg/dx1, dg/dx2)");
    let (v, d1, d2) = g_vjp(2.0, 5.0, 1.0);
    c.check("g", v, 2.0_f64.ln() + 10.0 - 5.0_f64.sin(), 0.0);
    c.check("dg/dx1", d1, 5.5, 0.0);
    c.check("dg/dx2 = 2 - cos 5", d2, want_dx2, 0.0);
    let fd = central_gradient(|p: &[f64]| g(p[0], p[1]), &[2.0, 5.0], 1e-5);
    c.check("central difference dg/dx1", fd[0], 5.5, 1e-9);
    c.check("central difference dg/dx2", fd[1], want_dx2, 1e-9);

    c.finish()
}
