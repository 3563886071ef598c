//! Loops: `for` over exclusive, inclusive and reversed ranges, `while` with a
//! data-dependent condition, `loop` with `break`, labelled `break`/`continue`
//! at depth, early `return` from inside a loop, nested loops, loop-carried
//! state (an RNN cell), temporaries overwritten in every iteration and an
//! argument overwritten in a loop. Each function is checked in forward mode,
//! reverse mode and at second order against hand-written derivatives of the
//! same control flow, central differences and the dot-product identity.
// `x = x * y` is written out on purpose: plain reassignment is one of the
// forms under test, next to the compound `x *= y`; indexing loops
// (`for i in 0..xs.len()`) are what the engine differentiates.
#![allow(clippy::assign_op_pattern, clippy::needless_range_loop)]

use differentiate::prelude::*;
mod common;
use common::*;

/// The same checks for any function of a flat vector: `f`, its forward
/// derivative `jvp(x, v)`, its reverse derivative `vjp(x, w)` and a
/// Hessian-vector product `hvp(x, v)` (seed 1).
#[track_caller]
fn checkv(
    f: impl Fn(&[f64]) -> f64,
    jvp: impl Fn(&[f64], &[f64]) -> f64,
    vjp: impl Fn(&[f64], f64) -> Vec<f64>,
    hvp: impl Fn(&[f64], &[f64]) -> Vec<f64>,
    x: &[f64],
) {
    assert_gradient(&f, |p| vjp(p, 1.0), x, 1e-7);
    assert_jvp(|p: &[f64]| vec![f(p)], |p, t| vec![jvp(p, t)], x, 1e-7);
    assert_jvp_vs_vjp(
        |p: &[f64], t: &[f64]| vec![jvp(p, t)],
        |p: &[f64], w: &[f64]| vjp(p, w[0]),
        x,
        1,
        4,
        1e-12,
    );
    assert_jvp(|p: &[f64]| vjp(p, 1.0), &hvp, x, 1e-6);
    // H is symmetric: <u, H v> = <v, H u>
    let n = x.len();
    let u: Vec<f64> = (0..n).map(|i| 0.3 + 0.1 * i as f64).collect();
    let v: Vec<f64> = (0..n).map(|i| 1.0 - 0.25 * i as f64).collect();
    let uhv: f64 = u.iter().zip(hvp(x, &v)).map(|(a, b)| a * b).sum();
    let vhu: f64 = v.iter().zip(hvp(x, &u)).map(|(a, b)| a * b).sum();
    close(uhv, vhu, 1e-12);
}

// ---------------------------------------------------------------------------
// for over ranges
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn ranges(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    // exclusive: sum_{i < n} i x y
    for i in 0..n {
        let k = i as f64;
        s += k * x * y;
    }
    // inclusive: sum_{j = 1..=n} x^j / j
    for j in 1..=n {
        s += x.powi(j as i32) / (j as f64);
    }
    // reversed, inactive range: Horner on the coefficients 0, 1, ..., n-1
    let mut h = 0.0;
    for i in (0..n).rev() {
        h = h * y + (i as f64);
    }
    s + h
}

/// Value, gradient and Hessian of `ranges`, in closed form.
fn ranges_by_hand(x: f64, y: f64, n: usize) -> (f64, [f64; 2], [[f64; 2]; 2]) {
    let t = (n * (n - 1) / 2) as f64;
    let mut v = t * x * y;
    let mut gx = t * y;
    let mut gy = t * x;
    let mut hxx = 0.0;
    let mut hyy = 0.0;
    for j in 1..=n {
        let jf = j as f64;
        v += x.powi(j as i32) / jf;
        gx += x.powi(j as i32 - 1);
        hxx += (jf - 1.0) * x.powi(j as i32 - 2);
    }
    for i in 0..n {
        let k = i as f64;
        v += k * y.powi(i as i32);
        gy += k * k * y.powi(i as i32 - 1);
        hyy += k * k * (k - 1.0) * y.powi(i as i32 - 2);
    }
    (v, [gx, gy], [[hxx, t], [t, hyy]])
}

#[test]
fn for_over_exclusive_inclusive_and_reversed_ranges() {
    for &(x, y, n) in &[(0.7, 1.3, 4usize), (-1.1, 0.4, 5), (2.0, -1.5, 1)] {
        let (v, g, h) = ranges_by_hand(x, y, n);
        let (w, gx, gy) = ranges_vjp(x, y, n, 1.0);
        close(w, v, 1e-13);
        close(gx, g[0], 1e-13);
        close(gy, g[1], 1e-13);
        close(ranges_jvp(x, y, n, 1.0, 0.0).1, g[0], 1e-13);
        close(ranges_jvp(x, y, n, 0.0, 1.0).1, g[1], 1e-13);
        let (_, (_, hxx, hxy)) = ranges_vjp_jvp(x, y, n, 1.0, 1.0, 0.0, 0.0);
        let (_, (_, hyx, hyy)) = ranges_vjp_jvp(x, y, n, 1.0, 0.0, 1.0, 0.0);
        close(hxx, h[0][0], 1e-12);
        close(hxy, h[0][1], 1e-12);
        close(hyx, h[1][0], 1e-12);
        close(hyy, h[1][1], 1e-12);
        let (_, (_, fxx)) = ranges_jvp_jvp(x, y, n, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
        let (_, (_, fyy)) = ranges_jvp_jvp(x, y, n, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0);
        close(fxx, h[0][0], 1e-12);
        close(fyy, h[1][1], 1e-12);
        checkv(
            |p| ranges(p[0], p[1], n),
            |p, t| ranges_jvp(p[0], p[1], n, t[0], t[1]).1,
            |p, w| {
                let (_, a, b) = ranges_vjp(p[0], p[1], n, w);
                vec![a, b]
            },
            |p, t| {
                let (_, (_, a, b)) = ranges_vjp_jvp(p[0], p[1], n, 1.0, t[0], t[1], 0.0);
                vec![a, b]
            },
            &[x, y],
        );
    }
    // exact: n = 3 at (2, 1): s = 3 x y + x + x^2/2 + x^3/3, h = 2 y^2 + y
    // d/dx = 3y + 1 + x + x^2 = 10, d/dy = 3x + 4y + 1 = 11
    assert_eq!(ranges_vjp(2.0, 1.0, 3, 1.0).1, 10.0);
    assert_eq!(ranges_vjp(2.0, 1.0, 3, 1.0).2, 11.0);
    assert_eq!(ranges_jvp(2.0, 1.0, 3, 1.0, 1.0).1, 21.0);
    // zero iterations: everything is zero
    assert_eq!(ranges_vjp(2.0, 1.0, 0, 1.0), (0.0, 0.0, 0.0));
    assert_eq!(ranges_jvp(2.0, 1.0, 0, 1.0, 1.0), (0.0, 0.0));
}

// ---------------------------------------------------------------------------
// while with a data-dependent condition
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn doubling(x: f64) -> f64 {
    // p = x^k for the first k with x^k >= 10 (x > 1): the number of
    // iterations depends on x itself
    let mut p = x;
    while p < 10.0 {
        p = p * x;
    }
    p
}

#[test]
fn while_with_a_data_dependent_condition() {
    // x = 2: 2, 4, 8, 16 -> x^4
    assert_eq!(doubling(2.0), 16.0);
    assert_eq!(doubling_vjp(2.0, 1.0), (16.0, 32.0));
    assert_eq!(doubling_jvp(2.0, 1.0), (16.0, 32.0));
    assert_eq!(doubling_vjp_jvp(2.0, 1.0, 1.0, 0.0).1, (32.0, 48.0));
    assert_eq!(
        doubling_jvp_jvp(2.0, 1.0, 1.0, 0.0),
        ((16.0, 32.0), (32.0, 48.0))
    );
    // x = 3: 3, 9, 27 -> x^3
    assert_eq!(doubling_vjp(3.0, 1.0), (27.0, 27.0));
    assert_eq!(doubling_vjp_jvp(3.0, 1.0, 1.0, 0.0).1, (27.0, 18.0));
    // x = 11: no iteration -> x
    assert_eq!(doubling_vjp(11.0, 1.0), (11.0, 1.0));
    assert_eq!(doubling_vjp_jvp(11.0, 1.0, 1.0, 0.0).1, (1.0, 0.0));
    for &x in &[1.3, 2.5, 4.0] {
        // find k by hand
        let mut k = 1;
        while x.powi(k) < 10.0 {
            k += 1;
        }
        let kf = k as f64;
        close(doubling_vjp(x, 1.0).1, kf * x.powi(k - 1), 1e-13);
        close(doubling_jvp(x, 1.0).1, kf * x.powi(k - 1), 1e-13);
        close(
            doubling_vjp_jvp(x, 1.0, 1.0, 0.0).1 .1,
            kf * (kf - 1.0) * x.powi(k - 2),
            1e-13,
        );
        close(
            doubling_jvp_jvp(x, 1.0, 1.0, 0.0).1 .1,
            kf * (kf - 1.0) * x.powi(k - 2),
            1e-13,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn newton_sqrt(a: f64) -> f64 {
    // Newton's iteration for sqrt(a), stopped by a test on the residual
    let mut y = a.max(1.0);
    let mut k = 0;
    while (y * y - a).abs() > 1e-15 * a && k < 60 {
        y = 0.5 * (y + a / y);
        k += 1;
    }
    y
}

#[test]
fn derivative_through_an_iterative_solver() {
    for &a in &[0.3, 2.0, 50.0] {
        let s = a.sqrt();
        let (v, d) = newton_sqrt_vjp(a, 1.0);
        close(v, s, 1e-15);
        // the derivative of the converged iterate is the derivative of sqrt
        close(d, 0.5 / s, 1e-9);
        close(newton_sqrt_jvp(a, 1.0).1, 0.5 / s, 1e-9);
        close(
            newton_sqrt_vjp_jvp(a, 1.0, 1.0, 0.0).1 .1,
            -0.25 / (a * s),
            1e-6,
        );
        close(
            newton_sqrt_jvp_jvp(a, 1.0, 1.0, 0.0).1 .1,
            -0.25 / (a * s),
            1e-6,
        );
        assert_gradient(
            |p: &[f64]| newton_sqrt(p[0]),
            |p| vec![newton_sqrt_vjp(p[0], 1.0).1],
            &[a],
            1e-7,
        );
    }
}

// ---------------------------------------------------------------------------
// loop with break, labelled break and continue at depth
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
fn loop_break(x: f64, c: f64) -> f64 {
    // s <- s x + c until s exceeds 100 or 8 steps are done
    let mut s = 1.0;
    let mut i = 0;
    loop {
        s = s * x + c;
        i += 1;
        if s > 100.0 || i >= 8 {
            break;
        }
    }
    s
}

/// The same iteration with derivatives carried by hand: value, d/dx, d/dc,
/// d2/dx2, d2/dxdc (d2/dc2 = 0).
fn loop_break_by_hand(x: f64, c: f64) -> [f64; 5] {
    let (mut s, mut sx, mut sc, mut sxx, mut sxc) = (1.0, 0.0, 0.0, 0.0, 0.0);
    for _ in 0..8 {
        // s' = s x + c
        sxx = sxx * x + 2.0 * sx;
        sxc = sxc * x + sc;
        sx = sx * x + s;
        sc = sc * x + 1.0;
        s = s * x + c;
        if s > 100.0 {
            break;
        }
    }
    [s, sx, sc, sxx, sxc]
}

#[test]
fn loop_with_break() {
    let hv = fr(loop_break_vjp, loop_break_jvp, loop_break_vjp_jvp);
    let hf = ff(loop_break_jvp, loop_break_jvp_jvp);
    let hr = rf(loop_break_vjp, loop_break_jvp, loop_break_jvp_vjp);
    // x = 2, c = 1: 3, 7, 15, 31, 63, 127 -> stops after 6 steps
    // s = 2^6 + (2^6 - 1) = 127; the derivatives come from loop_break_by_hand
    let r = loop_break_by_hand(2.0, 1.0);
    assert_eq!(r[0], 127.0);
    assert_eq!(loop_break_vjp(2.0, 1.0, 1.0), (127.0, r[1], r[2]));
    assert_eq!(loop_break_jvp(2.0, 1.0, 1.0, 0.0), (127.0, r[1]));
    assert_eq!(hv(&[2.0, 1.0], &[1.0, 0.0]), [r[3], r[4]]);
    assert_eq!(hf(&[2.0, 1.0], &[1.0, 0.0]), [r[3], r[4]]);
    assert_eq!(hv(&[2.0, 1.0], &[0.0, 1.0]), [r[4], 0.0]);
    assert_eq!(hr(&[2.0, 1.0], &[1.0, 0.0]), [r[3], r[4]]);
    for p in [[2.0, 1.0], [1.1, 0.5], [-1.5, 2.0], [3.3, -0.2]] {
        let r = loop_break_by_hand(p[0], p[1]);
        let (v, gx, gc) = loop_break_vjp(p[0], p[1], 1.0);
        close(v, r[0], 1e-14);
        close(gx, r[1], 1e-13);
        close(gc, r[2], 1e-13);
        let h = hv(&p, &[1.0, 0.0]);
        close(h[0], r[3], 1e-12);
        close(h[1], r[4], 1e-12);
        check2(
            loop_break,
            loop_break_jvp,
            loop_break_vjp,
            &[&hv, &hf, &hr],
            p,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn labelled_jumps(x: f64, y: f64) -> f64 {
    // `continue 'outer` and `break 'outer` from an inner `while`, and an
    // active condition ending both loops
    let mut s = 0.0;
    'outer: for i in 0..6 {
        let mut j = 0;
        while j < 6 {
            if j > i {
                continue 'outer;
            }
            if i + j == 8 {
                break 'outer;
            }
            j += 1;
            s += x.powi(i) * y.powi(j);
            if s > 1e6 {
                break 'outer;
            }
        }
    }
    s
}

/// The (i, j) exponent pairs `labelled_jumps` adds at (x, y).
fn labelled_jumps_terms(x: f64, y: f64) -> Vec<(i32, i32)> {
    let mut terms = Vec::new();
    let mut s = 0.0;
    for i in 0..6 {
        // j runs to i + 1 (the `continue 'outer` at j > i), unless i + j hits 8
        for j in 0..=i {
            if i + j == 8 {
                return terms;
            }
            terms.push((i, j + 1));
            s += x.powi(i) * y.powi(j + 1);
            if s > 1e6 {
                return terms;
            }
        }
    }
    terms
}

#[test]
fn labelled_continue_and_break_at_depth() {
    let hv = fr(
        labelled_jumps_vjp,
        labelled_jumps_jvp,
        labelled_jumps_vjp_jvp,
    );
    let hf = ff(labelled_jumps_jvp, labelled_jumps_jvp_jvp);
    // the jumps are taken: `break 'outer` at i = j = 4 (i = 5 never runs),
    // and for x = 40 the sum passes 1e6 earlier still
    assert_eq!(labelled_jumps_terms(1.0, 1.0).len(), 1 + 2 + 3 + 4 + 4);
    assert!(labelled_jumps_terms(40.0, 1.1).len() < 14);
    for p in [[0.9, 1.1], [-0.7, 0.6], [1.2, -1.3], [40.0, 1.1]] {
        let (x, y) = (p[0], p[1]);
        let mut v = 0.0;
        let mut g = [0.0; 2];
        let mut h = [[0.0; 2]; 2];
        for &(i, j) in &labelled_jumps_terms(x, y) {
            let (fi, fj) = (i as f64, j as f64);
            v += x.powi(i) * y.powi(j);
            g[0] += fi * x.powi(i - 1) * y.powi(j);
            g[1] += fj * x.powi(i) * y.powi(j - 1);
            h[0][0] += fi * (fi - 1.0) * x.powi(i - 2) * y.powi(j);
            h[0][1] += fi * fj * x.powi(i - 1) * y.powi(j - 1);
            h[1][1] += fj * (fj - 1.0) * x.powi(i) * y.powi(j - 2);
        }
        let (w, a, b) = labelled_jumps_vjp(x, y, 1.0);
        close(w, v, 1e-14);
        close(a, g[0], 1e-13);
        close(b, g[1], 1e-13);
        let hx = hv(&p, &[1.0, 0.0]);
        let hy = hf(&p, &[0.0, 1.0]);
        close(hx[0], h[0][0], 1e-12);
        close(hx[1], h[0][1], 1e-12);
        close(hy[1], h[1][1], 1e-12);
        check2(
            labelled_jumps,
            labelled_jumps_jvp,
            labelled_jumps_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn labelled(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..6 {
        for j0 in 0..6 {
            if j0 > i {
                continue 'outer;
            }
            if i + j0 == 8 {
                break 'outer;
            }
            let j = j0 + 1;
            if (i + j) % 3 == 0 {
                continue;
            }
            s += x.powi(i) * y.powi(j);
            if s > 1e6 {
                // an active condition ending both loops
                break 'outer;
            }
        }
    }
    s
}

/// The terms `labelled` adds at (x, y), as (i, j) exponent pairs.
fn labelled_terms(x: f64, y: f64) -> Vec<(i32, i32)> {
    let mut terms = Vec::new();
    let mut s = 0.0;
    'outer: for i in 0..6 {
        let mut j = 0;
        while j < 6 {
            if j > i {
                continue 'outer;
            }
            if i + j == 8 {
                break 'outer;
            }
            j += 1;
            if (i + j) % 3 == 0 {
                continue;
            }
            terms.push((i, j));
            s += x.powi(i) * y.powi(j);
            if s > 1e6 {
                break 'outer;
            }
        }
    }
    terms
}

#[test]
fn labelled_break_and_continue_at_depth() {
    let hv = fr(labelled_vjp, labelled_jvp, labelled_vjp_jvp);
    let hf = ff(labelled_jvp, labelled_jvp_jvp);
    // the control flow really does leave through `break 'outer` (at i + j == 8)
    assert!(!labelled_terms(1.0, 1.0).iter().any(|&(i, _)| i == 5));
    // and through the active `break 'outer` (s > 1e6) for large x
    assert!(labelled_terms(40.0, 1.0).len() < labelled_terms(1.0, 1.0).len());
    for p in [[0.9, 1.1], [-0.7, 0.6], [1.2, -1.3], [40.0, 1.1]] {
        let (x, y) = (p[0], p[1]);
        let terms = labelled_terms(x, y);
        let mut v = 0.0;
        let mut g = [0.0; 2];
        let mut h = [[0.0; 2]; 2];
        for &(i, j) in &terms {
            let (fi, fj) = (i as f64, j as f64);
            v += x.powi(i) * y.powi(j);
            g[0] += fi * x.powi(i - 1) * y.powi(j);
            g[1] += fj * x.powi(i) * y.powi(j - 1);
            h[0][0] += fi * (fi - 1.0) * x.powi(i - 2) * y.powi(j);
            h[0][1] += fi * fj * x.powi(i - 1) * y.powi(j - 1);
            h[1][1] += fj * (fj - 1.0) * x.powi(i) * y.powi(j - 2);
        }
        let (w, a, b) = labelled_vjp(x, y, 1.0);
        close(w, v, 1e-14);
        close(a, g[0], 1e-13);
        close(b, g[1], 1e-13);
        let hx = hv(&p, &[1.0, 0.0]);
        let hy = hf(&p, &[0.0, 1.0]);
        close(hx[0], h[0][0], 1e-12);
        close(hx[1], h[0][1], 1e-12);
        close(hy[1], h[1][1], 1e-12);
        check2(labelled, labelled_jvp, labelled_vjp, &[&hv, &hf], p);
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn labelled_while(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    'outer: for i in 0..6 {
        let mut j = 0;
        while j < 6 {
            if j > i {
                continue 'outer;
            }
            if i + j == 8 {
                break 'outer;
            }
            j += 1;
            if (i + j) % 3 == 0 {
                continue;
            }
            s += x.powi(i) * y.powi(j);
            if s > 1e6 {
                // an active condition ending both loops
                break 'outer;
            }
        }
    }
    s
}

#[test]
fn labelled_break_and_continue_out_of_a_while() {
    let hv = fr(
        labelled_while_vjp,
        labelled_while_jvp,
        labelled_while_vjp_jvp,
    );
    let hf = ff(labelled_while_jvp, labelled_while_jvp_jvp);
    // the `for` version, checked against hand derivatives above, is the reference
    let reference = fr(labelled_vjp, labelled_jvp, labelled_vjp_jvp);
    for p in [[0.9, 1.1], [-0.7, 0.6], [1.2, -1.3], [40.0, 1.1]] {
        let (x, y) = (p[0], p[1]);
        assert_eq!(labelled_while(x, y), labelled(x, y));
        let (w, a, b) = labelled_while_vjp(x, y, 1.0);
        let (w2, a2, b2) = labelled_vjp(x, y, 1.0);
        assert_eq!(w, w2);
        close(a, a2, 1e-14);
        close(b, b2, 1e-14);
        for v in [[1.0, 0.0], [0.0, 1.0]] {
            let r = reference(&p, &v);
            close_all2(&hv(&p, &v), &r);
            close_all2(&hf(&p, &v), &r);
        }
        check2(
            labelled_while,
            labelled_while_jvp,
            labelled_while_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

#[track_caller]
fn close_all2(got: &[f64], expected: &[f64]) {
    close(got[0], expected[0], 1e-12);
    close(got[1], expected[1], 1e-12);
}

// ---------------------------------------------------------------------------
// early return from inside a loop
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn return_from_loop(x: f64, y: f64) -> f64 {
    let mut acc = y;
    for i in 0..20 {
        acc = acc * x + 1.0;
        if acc > 50.0 {
            return acc.ln() * (i as f64);
        }
    }
    acc * y
}

#[test]
fn early_return_inside_a_loop() {
    let hv = fr(
        return_from_loop_vjp,
        return_from_loop_jvp,
        return_from_loop_vjp_jvp,
    );
    let hf = ff(return_from_loop_jvp, return_from_loop_jvp_jvp);
    // x = 2, y = 1: acc 3, 7, 15, 31, 63 at i = 4 -> 4 ln(63)
    // acc = 2^5 y + 2^5 - 1 = 32 y + 31 -> d/dy = 4 * 32 / 63
    let (v, _, gy) = return_from_loop_vjp(2.0, 1.0, 1.0);
    close(v, 4.0 * 63f64.ln(), 1e-15);
    close(gy, 4.0 * 32.0 / 63.0, 1e-15);
    // x = 0.5, y = 1: acc stays below 2, so the loop runs out and returns acc * y
    let (v, _, _) = return_from_loop_vjp(0.5, 1.0, 1.0);
    assert!(v < 50.0);
    for p in [[2.0, 1.0], [0.5, 1.0], [1.3, 0.8], [-0.4, 2.0]] {
        check2(
            return_from_loop,
            return_from_loop_jvp,
            return_from_loop_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

// ---------------------------------------------------------------------------
// nested loops, temporaries overwritten in every iteration
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn nested(x: f64, y: f64, n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        let mut t = x;
        for j in 0..i {
            // t overwritten every inner iteration
            t = t * y + (j as f64) * x;
        }
        let u = t.sin();
        s += u * u;
    }
    s
}

/// t_i and its derivatives, carried by hand.
fn nested_by_hand(x: f64, y: f64, n: usize) -> (f64, [f64; 2]) {
    let mut s = 0.0;
    let mut g = [0.0; 2];
    for i in 0..n {
        let (mut t, mut tx, mut ty) = (x, 1.0, 0.0);
        for j in 0..i {
            let jf = j as f64;
            ty = ty * y + t;
            tx = tx * y + jf;
            t = t * y + jf * x;
        }
        let (si, co) = (t.sin(), t.cos());
        s += si * si;
        g[0] += 2.0 * si * co * tx;
        g[1] += 2.0 * si * co * ty;
    }
    (s, g)
}

#[test]
fn nested_loops() {
    for &(x, y, n) in &[
        (0.7, 0.9, 4usize),
        (-0.3, 1.2, 5),
        (1.5, -0.5, 2),
        (0.4, 0.4, 0),
    ] {
        let (v, g) = nested_by_hand(x, y, n);
        let (w, a, b) = nested_vjp(x, y, n, 1.0);
        close(w, v, 1e-14);
        close(a, g[0], 1e-13);
        close(b, g[1], 1e-13);
        close(nested_jvp(x, y, n, 1.0, 0.0).1, g[0], 1e-13);
        close(nested_jvp(x, y, n, 0.0, 1.0).1, g[1], 1e-13);
        checkv(
            |p| nested(p[0], p[1], n),
            |p, t| nested_jvp(p[0], p[1], n, t[0], t[1]).1,
            |p, w| {
                let (_, a, b) = nested_vjp(p[0], p[1], n, w);
                vec![a, b]
            },
            |p, t| {
                let (_, (_, a, b)) = nested_vjp_jvp(p[0], p[1], n, 1.0, t[0], t[1], 0.0);
                vec![a, b]
            },
            &[x, y],
        );
        // forward over forward agrees with forward over reverse
        let (_, (_, hxy)) = nested_jvp_jvp(x, y, n, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let (_, (_, _, hyx)) = nested_vjp_jvp(x, y, n, 1.0, 1.0, 0.0, 0.0);
        close(hxy, hyx, 1e-12);
    }
}

// ---------------------------------------------------------------------------
// loop-carried state read from an array: an RNN cell
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn rnn(w: f64, h0: f64, xs: &[f64]) -> f64 {
    let mut h = h0;
    for t in 0..xs.len() {
        h = (w * h + xs[t]).tanh();
    }
    h * h
}

/// rnn's parameters flattened as [w, h0, xs...].
fn rnn_flat(p: &[f64]) -> f64 {
    rnn(p[0], p[1], &p[2..])
}

fn rnn_grad(p: &[f64], d: f64) -> Vec<f64> {
    let (_, gw, gh, gx) = rnn_vjp(p[0], p[1], &p[2..], d);
    let mut g = vec![gw, gh];
    g.extend(gx);
    g
}

#[test]
fn rnn_loop_carried_state() {
    let p = [0.8, 0.3, 0.5, -1.0, 0.25, 0.7, -0.2];
    // backpropagation through time by hand
    let xs = &p[2..];
    let mut hs = vec![p[1]];
    for &x in xs {
        let h = *hs.last().unwrap();
        hs.push((p[0] * h + x).tanh());
    }
    let hn = *hs.last().unwrap();
    let mut dh = 2.0 * hn;
    let mut gw = 0.0;
    let mut gx = vec![0.0; xs.len()];
    for t in (0..xs.len()).rev() {
        let pre = 1.0 - hs[t + 1] * hs[t + 1];
        let da = dh * pre;
        gw += da * hs[t];
        gx[t] = da;
        dh = da * p[0];
    }
    let (v, a, b, c) = rnn_vjp(p[0], p[1], xs, 1.0);
    close(v, hn * hn, 1e-15);
    close(a, gw, 1e-14);
    close(b, dh, 1e-14);
    for t in 0..xs.len() {
        close(c[t], gx[t], 1e-14);
    }
    let jvp = |q: &[f64], v: &[f64]| rnn_jvp(q[0], q[1], &q[2..], v[0], v[1], &v[2..]).1;
    checkv(
        rnn_flat,
        jvp,
        rnn_grad,
        |q, v| {
            let (_, (_, a, b, c)) = rnn_vjp_jvp(q[0], q[1], &q[2..], 1.0, v[0], v[1], &v[2..], 0.0);
            let mut g = vec![a, b];
            g.extend(c);
            g
        },
        &p,
    );
    // an empty sequence: h0^2
    assert_eq!(rnn_vjp(0.8, 3.0, &[], 1.0), (9.0, 0.0, 6.0, vec![]));
    assert_eq!(rnn_jvp(0.8, 3.0, &[], 1.0, 1.0, &[]), (9.0, 6.0));
}

// ---------------------------------------------------------------------------
// an argument overwritten inside a loop
// ---------------------------------------------------------------------------

#[differentiate(reverse)]
fn argument_in_loop(mut x: f64, y: f64, n: usize) -> f64 {
    for _ in 0..n {
        x = x * y + x.sin();
    }
    x
}

#[test]
fn argument_overwritten_in_a_loop_reverse() {
    for &(x, y, n) in &[(0.5, 0.9, 3usize), (-1.2, 1.1, 5), (0.3, 2.0, 0)] {
        // carry (x, dx/dx0, dx/dy) by hand
        let (mut v, mut dx, mut dy) = (x, 1.0, 0.0);
        for _ in 0..n {
            let k = y + v.cos();
            dy = dy * k + v;
            dx *= k;
            v = v * y + v.sin();
        }
        let (w, a, b) = argument_in_loop_vjp(x, y, n, 1.0);
        assert_eq!(w, argument_in_loop(x, y, n));
        close(w, v, 1e-15);
        close(a, dx, 1e-14);
        close(b, dy, 1e-14);
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn powers_until(x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..10 {
        s += x.powi(i);
        if s > 5.0 {
            break;
        }
    }
    s
}

#[test]
fn i32_loop_variable_with_break() {
    // x = 2: 1 + 2 + 4 = 7 > 5 stops at i = 2: f = 1 + x + x^2
    assert_eq!(powers_until(2.0), 7.0);
    assert_eq!(powers_until_vjp(2.0, 1.0), (7.0, 5.0));
    assert_eq!(powers_until_jvp(2.0, 1.0), (7.0, 5.0));
    assert_eq!(powers_until_vjp_jvp(2.0, 1.0, 1.0, 0.0).1, (5.0, 2.0));
    assert_eq!(powers_until_jvp_jvp(2.0, 1.0, 1.0, 0.0).1, (5.0, 2.0));
}

// Regression test for bug C2 (fixed): the forward transform of a reassigned `mut` parameter does not compile.
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn argument_in_loop_all(mut x: f64, y: f64, n: usize) -> f64 {
    for _ in 0..n {
        x = x * y + x.sin();
    }
    x
}

#[test]
fn argument_overwritten_in_a_loop_all_modes() {
    for &(x, y, n) in &[(0.5, 0.9, 3usize), (-1.2, 1.1, 5), (0.3, 2.0, 0)] {
        assert_eq!(argument_in_loop_all(x, y, n), argument_in_loop(x, y, n));
        let (_, a, b) = argument_in_loop_vjp(x, y, n, 1.0);
        close(argument_in_loop_all_jvp(x, y, n, 1.0, 0.0).1, a, 1e-14);
        close(argument_in_loop_all_jvp(x, y, n, 0.0, 1.0).1, b, 1e-14);
        checkv(
            |p| argument_in_loop_all(p[0], p[1], n),
            |p, t| argument_in_loop_all_jvp(p[0], p[1], n, t[0], t[1]).1,
            |p, w| {
                let (_, a, b) = argument_in_loop_all_vjp(p[0], p[1], n, w);
                vec![a, b]
            },
            |p, t| {
                let (_, (_, a, b)) =
                    argument_in_loop_all_vjp_jvp(p[0], p[1], n, 1.0, t[0], t[1], 0.0);
                vec![a, b]
            },
            &[x, y],
        );
        let (_, (_, fxx)) = argument_in_loop_all_jvp_jvp(x, y, n, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
        let (_, (_, hxx, _)) = argument_in_loop_all_vjp_jvp(x, y, n, 1.0, 1.0, 0.0, 0.0);
        close(fxx, hxx, 1e-12);
    }
}

// ---------------------------------------------------------------------------
// reversed range over a slice's indices
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn horner_fwd(x: f64, c: &[f64]) -> f64 {
    // forward-order Horner (highest coefficient first in `c`)
    let mut s = 0.0;
    for i in 0..c.len() {
        s = s * x + c[i];
    }
    s
}

#[test]
fn horner_over_slice_indices() {
    // c = [3, 2, 1]: 3 x^2 + 2 x + 1
    let c = [3.0, 2.0, 1.0];
    assert_eq!(horner_fwd(2.0, &c), 17.0);
    assert_eq!(
        horner_fwd_vjp(2.0, &c, 1.0),
        (17.0, 14.0, vec![4.0, 2.0, 1.0])
    );
    assert_eq!(horner_fwd_jvp(2.0, &c, 1.0, &[0.0, 0.0, 0.0]), (17.0, 14.0));
    assert_eq!(horner_fwd_jvp(2.0, &c, 0.0, &[1.0, 1.0, 1.0]), (17.0, 7.0));
    // second order: d2/dx2 = 6, d2/dx dc = [2x, 1, 0] = [4, 1, 0]
    let ((_, _, _), (_, hxx, hxc)) = horner_fwd_vjp_jvp(2.0, &c, 1.0, 1.0, &[0.0, 0.0, 0.0], 0.0);
    assert_eq!(hxx, 6.0);
    assert_eq!(hxc, vec![4.0, 1.0, 0.0]);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn horner_rev(x: f64, c: &[f64]) -> f64 {
    // lowest coefficient first in `c`
    let mut s = 0.0;
    for i in (0..c.len()).rev() {
        s = s * x + c[i];
    }
    s
}

#[test]
fn horner_over_a_reversed_range() {
    // c = [1, 2, 3]: 3 x^2 + 2 x + 1
    let c = [1.0, 2.0, 3.0];
    assert_eq!(horner_rev(2.0, &c), 17.0);
    assert_eq!(
        horner_rev_vjp(2.0, &c, 1.0),
        (17.0, 14.0, vec![1.0, 2.0, 4.0])
    );
    assert_eq!(horner_rev_jvp(2.0, &c, 1.0, &[0.0, 0.0, 0.0]), (17.0, 14.0));
    let ((_, _, _), (_, hxx, hxc)) = horner_rev_vjp_jvp(2.0, &c, 1.0, 1.0, &[0.0, 0.0, 0.0], 0.0);
    assert_eq!(hxx, 6.0);
    assert_eq!(hxc, vec![0.0, 1.0, 4.0]);
}

// ---------------------------------------------------------------------------
// shadowing, swaps and rotations inside loops
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn shadow_in_loop(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        // `x` shadowed inside the body, the parameter read again next time
        let x = x * (i as f64 + 1.0);
        let s2 = s + x;
        s = s2 * y;
    }
    s
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn swap_in_loop(x: f64, y: f64) -> f64 {
    // two state variables updated through a temporary
    let mut t = x;
    let mut u = y;
    for _ in 0..4 {
        let tmp = t;
        t = u * 0.5 + t.sin();
        u = tmp * u;
    }
    t + u
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn rotate_in_array(x: f64, y: f64) -> f64 {
    // each step reads two elements and overwrites a third, in a cycle
    let mut a = [x, y, x * y];
    for i in 0..3 {
        a[(i + 1) % 3] = a[i] * a[(i + 2) % 3] + a[(i + 1) % 3];
    }
    a[0] + a[1] * a[2]
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn loop_continue_break(x: f64, y: f64) -> f64 {
    let mut s = x;
    let mut k = 0;
    loop {
        k += 1;
        if k > 10 {
            break;
        }
        if k % 3 == 0 {
            continue;
        }
        s = s * y + (k as f64) * x;
        if s.abs() > 50.0 {
            break;
        }
    }
    s
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn while_return(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    let mut i = 0;
    while i < 5 {
        let t = if i % 2 == 0 { x } else { y };
        s = s + t * s + 1.0;
        i += 1;
        if s > 20.0 {
            return s.ln();
        }
    }
    s
}

#[test]
fn shadowing_swaps_rotations_continue() {
    type Fns = (F2, Jvp2, Vjp2, VjpJvp2, JvpJvp2);
    let all: [Fns; 5] = [
        (
            shadow_in_loop,
            shadow_in_loop_jvp,
            shadow_in_loop_vjp,
            shadow_in_loop_vjp_jvp,
            shadow_in_loop_jvp_jvp,
        ),
        (
            swap_in_loop,
            swap_in_loop_jvp,
            swap_in_loop_vjp,
            swap_in_loop_vjp_jvp,
            swap_in_loop_jvp_jvp,
        ),
        (
            rotate_in_array,
            rotate_in_array_jvp,
            rotate_in_array_vjp,
            rotate_in_array_vjp_jvp,
            rotate_in_array_jvp_jvp,
        ),
        (
            loop_continue_break,
            loop_continue_break_jvp,
            loop_continue_break_vjp,
            loop_continue_break_vjp_jvp,
            loop_continue_break_jvp_jvp,
        ),
        (
            while_return,
            while_return_jvp,
            while_return_vjp,
            while_return_vjp_jvp,
            while_return_jvp_jvp,
        ),
    ];
    for (f, jvp, vjp, vjp_jvp, jvp_jvp) in all {
        let hv = fr(vjp, jvp, vjp_jvp);
        let hf = ff(jvp, jvp_jvp);
        for p in [[0.7, 1.3], [-0.4, 0.8], [1.5, -0.6]] {
            check2(f, jvp, vjp, &[&hv, &hf], p);
        }
    }
    // closed forms
    // shadow_in_loop: s = ((x y + 2 x) y + 3 x) y = x (y^3 + 2 y^2 + 3 y)
    assert_eq!(shadow_in_loop_vjp(2.0, 1.0, 1.0), (12.0, 6.0, 2.0 * 10.0));
    // rotate_in_array at (1, 1): a = [1, 1, 1] -> a1 = 2, a2 = 3, a0 = 7; f = 7 + 6
    assert_eq!(rotate_in_array(1.0, 1.0), 13.0);
    // while_return at (1, 1): s = 1, 3, 7, 15, 31 -> ln 31 after the fifth step
    assert_eq!(while_return(1.0, 1.0), 31f64.ln());
}
