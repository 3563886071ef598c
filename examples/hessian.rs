//! Hessian, Hessian-vector products and an inverse-Hessian-vector product by
//! conjugate gradients on a function of 10^6 parameters, never forming the
//! Hessian: `cargo run --release --example hessian`.
//!
//! ```text
//! f(x) = sum_i (x_i^4 / 4 + x_i^2 / 2) + 0.1 sum_i x_i x_{i+1}
//! grad_i = x_i^3 + x_i + 0.1 (x_{i-1} + x_{i+1})
//! H      = tridiagonal: H_ii = 3 x_i^2 + 1, H_{i,i+1} = H_{i+1,i} = 0.1
//! ```
//!
//! `H` is symmetric positive definite (its diagonal is at least 1, and each row's
//! off-diagonal entries add up to at most 0.2), so conjugate gradients solve
//! `H y = b` with one Hessian-vector product per iteration. Stacking
//! `forward` over `reverse` generates `energy_vjp_jvp`, which returns the
//! gradient and `H v` in one sweep; a dense Hessian at n = 10^6 would be 10^12
//! entries (8 TB).
//!
//! Every number printed is checked; the program exits non-zero on a mismatch.

use differentiate::drivers;
use differentiate::prelude::*;
use differentiate::testing::approx_eq;
use std::process::ExitCode;
use std::time::Instant;

#[differentiate(forward)]
#[differentiate(reverse)]
fn energy(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let v2 = x[i] * x[i];
        s += 0.25 * v2 * v2 + 0.5 * v2;
    }
    for i in 0..n - 1 {
        s += 0.1 * x[i] * x[i + 1];
    }
    s
}

// ---- the closed forms, for checking only ----

fn closed_gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let left = if i > 0 { x[i - 1] } else { 0.0 };
            let right = if i + 1 < n { x[i + 1] } else { 0.0 };
            x[i] * x[i] * x[i] + x[i] + 0.1 * (left + right)
        })
        .collect()
}

fn closed_hessian_entry(x: &[f64], i: usize, j: usize) -> f64 {
    if i == j {
        3.0 * x[i] * x[i] + 1.0
    } else if i.abs_diff(j) == 1 {
        0.1
    } else {
        0.0
    }
}

fn closed_hvp(x: &[f64], v: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            let left = if i > 0 { v[i - 1] } else { 0.0 };
            let right = if i + 1 < n { v[i + 1] } else { 0.0 };
            (3.0 * x[i] * x[i] + 1.0) * v[i] + 0.1 * (left + right)
        })
        .collect()
}

/// Direct tridiagonal solve (Thomas algorithm) from the closed-form bands: an
/// independent reference for the CG solution.
fn thomas_solve(x: &[f64], b: &[f64]) -> Vec<f64> {
    let n = x.len();
    let (off, diag) = (0.1, |i: usize| 3.0 * x[i] * x[i] + 1.0);
    let mut c = vec![0.0; n];
    let mut d = vec![0.0; n];
    c[0] = off / diag(0);
    d[0] = b[0] / diag(0);
    for i in 1..n {
        let m = diag(i) - off * c[i - 1];
        c[i] = off / m;
        d[i] = (b[i] - off * d[i - 1]) / m;
    }
    let mut y = vec![0.0; n];
    y[n - 1] = d[n - 1];
    for i in (0..n - 1).rev() {
        y[i] = d[i] - c[i] * y[i + 1];
    }
    y
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// Worst relative error of `got` against `want`, entrywise (scaled by max(1, |want|)).
fn worst(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs() / w.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// A field of /proc/self/status in MiB (Linux: `VmRSS` now, `VmHWM` the peak so far).
fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> ExitCode {
    let mut failures = 0;
    let mut check = |what: &str, ok: bool| {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    let n = 1_000_000;
    let vec_mib = (n * std::mem::size_of::<f64>()) as f64 / (1024.0 * 1024.0);
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
    let b: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.5 * (i as f64 * 0.11).cos())
        .collect();
    println!("n = {n} parameters; one vector of n f64 = {vec_mib:.1} MiB");
    println!(
        "a dense Hessian would be n^2 = 10^12 entries = {:.1} TB: never formed here",
        (n as f64).powi(2) * 8.0 / 1e12
    );

    // CG runs first, while the process's peak memory is still x and b, so that
    // the peak it reaches measures CG alone; its results are printed in part 4.
    let rss_before_cg = status_mib("VmRSS:");
    let start = Instant::now();
    let cg = drivers::inverse_hvp_cg(energy_vjp_jvp, &x, &b, 1e-10, 200);
    let t_cg = start.elapsed();
    let peak_during_cg = status_mib("VmHWM:");

    println!("1. gradient, one reverse sweep (energy_vjp)");
    let start = Instant::now();
    let (value, grad) = drivers::gradient(energy_vjp, &x);
    let t_grad = start.elapsed();
    println!("  f(x) = {value:.6}, {t_grad:?}");
    check("value == energy(x) exactly", value == energy(&x));
    let err = worst(&grad, &closed_gradient(&x));
    check(
        &format!("all 10^6 partials == the closed form (worst rel. error {err:.1e} <= 1e-14)"),
        err <= 1e-14,
    );

    println!("2. Hessian-vector product, one forward-over-reverse sweep (energy_vjp_jvp)");
    let v: Vec<f64> = (0..n).map(|i| (i as f64 * 1.3).cos()).collect();
    let start = Instant::now();
    let hv = drivers::hvp(energy_vjp_jvp, &x, &v);
    let t_hvp = start.elapsed();
    println!(
        "  {t_hvp:?} ({:.1}x the gradient)",
        t_hvp.as_secs_f64() / t_grad.as_secs_f64()
    );
    let err = worst(&hv, &closed_hvp(&x, &v));
    check(
        &format!(
            "all 10^6 entries of H v == the closed form (worst rel. error {err:.1e} <= 1e-14)"
        ),
        err <= 1e-14,
    );
    // The same sweep also returns the gradient and the directional derivative.
    let ((_, g2), (dir, _)) = energy_vjp_jvp(&x, 1.0, &v, 0.0);
    let dot: f64 = grad.iter().zip(&v).map(|(g, vi)| g * vi).sum();
    check(
        "the same sweep returns the gradient (==) and grad . v (to 1e-12)",
        g2 == grad && approx_eq(dir, dot, 1e-12, 1e-12),
    );

    println!("3. Hessian entries: column j is H e_j (one HVP each)");
    for j in [0, 1, 499_999, n - 1] {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        let column = drivers::hvp(energy_vjp_jvp, &x, &e);
        let rows: Vec<usize> = (j.saturating_sub(2)..(j + 3).min(n)).collect();
        let mut ok = true;
        let mut shown = Vec::new();
        for &i in &rows {
            let want = closed_hessian_entry(&x, i, j);
            ok &= approx_eq(column[i], want, 1e-15, 0.0);
            shown.push(format!("H[{i}][{j}] = {:.6}", column[i]));
        }
        // Every other entry of the column is exactly zero.
        let zeros = column
            .iter()
            .enumerate()
            .all(|(i, &h)| i.abs_diff(j) <= 2 || h == 0.0);
        check(
            &format!(
                "{}; 3 x_j^2 + 1 = {:.6} on the diagonal, 0.1 beside it, 0 elsewhere",
                shown.join(", "),
                closed_hessian_entry(&x, j, j)
            ),
            ok && zeros,
        );
    }
    println!("  (and the full Hessian of a 6-parameter instance, drivers::hessian: 6 HVPs)");
    let small: Vec<f64> = x[..6].to_vec();
    let h_small = drivers::hessian(energy_vjp_jvp, &small);
    let ok = (0..6).all(|i| {
        (0..6).all(|j| {
            approx_eq(
                h_small[i][j],
                closed_hessian_entry(&small, i, j),
                1e-15,
                0.0,
            )
        })
    });
    for row in &h_small {
        println!(
            "    {}",
            row.iter()
                .map(|h| format!("{h:8.5}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    check(
        "the 6 x 6 Hessian == the closed form, symmetric and tridiagonal",
        ok,
    );

    println!("4. inverse-HVP: solve H y = b by conjugate gradients (drivers::inverse_hvp_cg)");
    println!(
        "  {} iterations = {} HVPs, relative residual {:.1e}, {t_cg:?}",
        cg.iterations,
        cg.iterations,
        cg.residual_norm / norm(&b)
    );
    match (rss_before_cg, peak_during_cg) {
        (Some(before), Some(peak)) => println!(
            "  memory: resident {before:.1} MiB before CG (x, b), peak {peak:.1} MiB during it: \
             {:.1} MiB = {:.1} vectors of n f64 for y, r, p, H p and the HVP sweep's own \
             vectors, against {:.0} TB for the Hessian",
            peak - before,
            (peak - before) / vec_mib,
            (n as f64).powi(2) * 8.0 / 1e12
        ),
        _ => println!("  memory: /proc/self/status not available on this system"),
    }
    check("CG converged to a relative residual <= 1e-10", cg.converged);
    // Verify independently: apply one more HVP to the solution.
    let hy = drivers::hvp(energy_vjp_jvp, &x, &cg.solution);
    let residual: Vec<f64> = hy.iter().zip(&b).map(|(a, bi)| a - bi).collect();
    let rel = norm(&residual) / norm(&b);
    check(
        &format!("|H y - b| / |b| = {rel:.1e} <= 1e-9, with H y from a fresh HVP"),
        rel <= 1e-9,
    );
    let direct = thomas_solve(&x, &b);
    let err = worst(&cg.solution, &direct);
    check(
        &format!("y == a direct tridiagonal solve from the closed-form bands (worst error {err:.1e} <= 1e-9)"),
        err <= 1e-9,
    );
    println!(
        "  wall time: gradient {t_grad:?}, HVP {t_hvp:?}, CG solve {t_cg:?} ({:.1} ms per iteration)",
        t_cg.as_secs_f64() * 1e3 / cg.iterations.max(1) as f64
    );

    if failures == 0 {
        println!("all checks passed");
        ExitCode::SUCCESS
    } else {
        println!("{failures} check(s) FAILED");
        ExitCode::FAILURE
    }
}
