//! Branches: `if`/`else` (as statements and as values, chains, nesting),
//! `match` on integers and on conditions computed from active values,
//! early `return`, with inactive integer and `bool` parameters steering them,
//! branches in loops and loops in branches. Every function is checked in
//! forward mode, reverse mode and at second order (forward over reverse,
//! forward over forward, and reverse over forward for some), on every side
//! of each branch, against closed forms, central differences and the
//! dot-product identity.
// `x = x * y` is written out on purpose: plain reassignment is one of the
// forms under test, next to the compound `x *= y`.
#![allow(clippy::assign_op_pattern)]

use differentiate::prelude::*;
mod common;
use common::*;

// ---------------------------------------------------------------------------
// if / else
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn branch_active(x: f64, y: f64) -> f64 {
    let mut r = x * y;
    if x > y {
        r = r * x;
    } else {
        r += y * y * y;
    }
    r
}

#[test]
fn if_else_on_an_active_condition() {
    let hv = fr(branch_active_vjp, branch_active_jvp, branch_active_vjp_jvp);
    let hf = ff(branch_active_jvp, branch_active_jvp_jvp);
    // x > y: x^2 y
    assert_eq!(branch_active(3.0, 2.0), 18.0);
    assert_eq!(branch_active_vjp(3.0, 2.0, 1.0), (18.0, 12.0, 9.0));
    assert_eq!(branch_active_jvp(3.0, 2.0, 1.0, 1.0), (18.0, 21.0));
    // Hessian [[2y, 2x], [2x, 0]]
    assert_eq!(hv(&[3.0, 2.0], &[1.0, 0.0]), [4.0, 6.0]);
    assert_eq!(hv(&[3.0, 2.0], &[0.0, 1.0]), [6.0, 0.0]);
    assert_eq!(hf(&[3.0, 2.0], &[1.0, 0.0]), [4.0, 6.0]);
    // x <= y: x y + y^3, Hessian [[0, 1], [1, 6y]]
    assert_eq!(branch_active(1.0, 2.0), 10.0);
    assert_eq!(branch_active_vjp(1.0, 2.0, 1.0), (10.0, 2.0, 13.0));
    assert_eq!(branch_active_jvp(1.0, 2.0, 0.0, 1.0), (10.0, 13.0));
    assert_eq!(hv(&[1.0, 2.0], &[0.0, 1.0]), [1.0, 12.0]);
    assert_eq!(hf(&[1.0, 2.0], &[0.0, 1.0]), [1.0, 12.0]);
    for p in [[0.7, -0.3], [-0.3, 0.7], [2.5, 2.4]] {
        check2(
            branch_active,
            branch_active_jvp,
            branch_active_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn if_value(x: f64, y: f64) -> f64 {
    let s = x.sin();
    let t = if s > 0.0 {
        let u = s * y;
        u * u
    } else if y > 1.0 {
        x.exp() * y
    } else {
        -x * y.cos()
    };
    t + s
}

fn if_value_grad(x: f64, y: f64) -> (f64, f64) {
    let s = x.sin();
    let c = x.cos();
    if s > 0.0 {
        (2.0 * s * c * y * y + c, 2.0 * s * s * y)
    } else if y > 1.0 {
        (x.exp() * y + c, x.exp())
    } else {
        (-y.cos() + c, x * y.sin())
    }
}

#[test]
fn if_as_a_value_with_else_if_chain() {
    let hv = fr(if_value_vjp, if_value_jvp, if_value_vjp_jvp);
    let hf = ff(if_value_jvp, if_value_jvp_jvp);
    for p in [[0.5, 1.5], [-0.5, 1.5], [-0.5, 0.2], [2.0, -1.0]] {
        let (g0, g1) = if_value_grad(p[0], p[1]);
        let (_, a, b) = if_value_vjp(p[0], p[1], 1.0);
        close(a, g0, 1e-14);
        close(b, g1, 1e-14);
        close(if_value_jvp(p[0], p[1], 1.0, 0.0).1, g0, 1e-14);
        close(if_value_jvp(p[0], p[1], 0.0, 1.0).1, g1, 1e-14);
        check2(if_value, if_value_jvp, if_value_vjp, &[&hv, &hf], p);
    }
    // middle branch (sin x <= 0, y > 1): e^x y + sin x,
    // H = [[e^x y - sin x, e^x], [e^x, 0]]
    let x = -1.0f64;
    for h in [hv(&[x, 2.0], &[1.0, 0.0]), hf(&[x, 2.0], &[1.0, 0.0])] {
        close(h[0], x.exp() * 2.0 - x.sin(), 1e-14);
        close(h[1], x.exp(), 1e-14);
    }
}

#[differentiate(reverse)]
#[differentiate(forward)]
fn nested_if(x: f64, y: f64) -> f64 {
    let mut z = x + y;
    if x > 0.0 {
        if y > 0.0 {
            z = z * z;
        } else {
            z = z * x;
            if z < -1.0 {
                z = z.abs().ln() * y;
            }
        }
    } else {
        z = z * y;
    }
    z
}

#[test]
fn nested_ifs_reverse_over_forward() {
    let hv = rf(nested_if_vjp, nested_if_jvp, nested_if_jvp_vjp);
    // x > 0, y > 0: (x + y)^2
    assert_eq!(nested_if_vjp(1.0, 2.0, 1.0), (9.0, 6.0, 6.0));
    assert_eq!(hv(&[1.0, 2.0], &[1.0, 0.0]), [2.0, 2.0]);
    // x > 0, y <= 0, z = (x + y) x >= -1: x^2 + x y
    assert_eq!(nested_if_vjp(2.0, -2.5, 1.0), (-1.0, 1.5, 2.0));
    assert_eq!(hv(&[2.0, -2.5], &[1.0, 0.0]), [2.0, 1.0]);
    // x <= 0: (x + y) y
    assert_eq!(nested_if_vjp(-1.0, 3.0, 1.0), (6.0, 3.0, 5.0));
    assert_eq!(nested_if_jvp(-1.0, 3.0, 1.0, 1.0), (6.0, 8.0));
    assert_eq!(hv(&[-1.0, 3.0], &[0.0, 1.0]), [1.0, 2.0]);
    // innermost branch: z = (x + y) x < -1, then ln|z| y
    let (x, y) = (3.0, -3.5);
    let z = (x + y) * x;
    assert!(z < -1.0);
    let (v, a, b) = nested_if_vjp(x, y, 1.0);
    assert_eq!(v, z.abs().ln() * y);
    close(a, (2.0 * x + y) / z * y, 1e-15);
    close(b, x / z * y + z.abs().ln(), 1e-15);
    for p in [[1.0, 2.0], [2.0, -2.4], [-1.0, 3.0], [0.5, -0.2], [x, y]] {
        check2(nested_if, nested_if_jvp, nested_if_vjp, &[&hv], p);
    }
}

// ---------------------------------------------------------------------------
// inactive integer, usize and bool parameters steering branches
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn by_flags(x: f64, n: i32, square: bool, k: usize) -> f64 {
    let mut r = x;
    if square {
        r = r * r;
    }
    if n < 0 {
        r = -r;
    }
    if k == 2 {
        r = r * x;
    }
    r
}

#[test]
fn integer_usize_bool_parameters() {
    // the inactive parameters take no derivative slots
    // square, n >= 0, k == 2: x^3
    assert_eq!(by_flags(2.0, 1, true, 2), 8.0);
    assert_eq!(by_flags_vjp(2.0, 1, true, 2, 1.0), (8.0, 12.0));
    assert_eq!(by_flags_jvp(2.0, 1, true, 2, 1.0), (8.0, 12.0));
    assert_eq!(
        by_flags_vjp_jvp(2.0, 1, true, 2, 1.0, 1.0, 0.0),
        ((8.0, 12.0), (12.0, 12.0))
    );
    assert_eq!(
        by_flags_jvp_jvp(2.0, 1, true, 2, 1.0, 1.0, 0.0),
        ((8.0, 12.0), (12.0, 12.0))
    );
    // !square, n < 0, k != 2: -x
    assert_eq!(by_flags_vjp(2.0, -1, false, 0, 1.0), (-2.0, -1.0));
    assert_eq!(by_flags_jvp(2.0, -1, false, 0, 3.0), (-2.0, -3.0));
    assert_eq!(
        by_flags_vjp_jvp(2.0, -1, false, 0, 1.0, 1.0, 0.0).1,
        (-1.0, 0.0)
    );
    // square, n < 0, k == 2: -x^3
    assert_eq!(by_flags_vjp(-2.0, -5, true, 2, 1.0), (8.0, -12.0));
    assert_eq!(
        by_flags_vjp_jvp(-2.0, -5, true, 2, 1.0, 1.0, 0.0).1,
        (-12.0, 12.0)
    );
    assert_eq!(
        by_flags_jvp_jvp(-2.0, -5, true, 2, 1.0, 1.0, 0.0).1,
        (-12.0, 12.0)
    );
    // square, n >= 0, k != 2: x^2
    assert_eq!(
        by_flags_jvp_jvp(-3.0, 0, true, 1, 1.0, 1.0, 0.0),
        ((9.0, -6.0), (-6.0, 2.0))
    );
}

// ---------------------------------------------------------------------------
// match
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn match_int(x: f64, y: f64, k: u32) -> f64 {
    let r = match k {
        0 => x + y,
        1 => x * y,
        2 | 3 => x.sin() * y,
        _ => {
            let t = x / y;
            t * t
        }
    };
    r * x
}

#[test]
fn match_on_an_integer() {
    // k = 0: (x + y) x
    assert_eq!(match_int_vjp(2.0, 3.0, 0, 1.0), (10.0, 7.0, 2.0));
    // k = 1: x^2 y, H = [[2y, 2x], [2x, 0]]
    assert_eq!(match_int_vjp(2.0, 3.0, 1, 1.0), (12.0, 12.0, 4.0));
    assert_eq!(match_int_jvp(2.0, 3.0, 1, 1.0, 1.0), (12.0, 16.0));
    assert_eq!(
        match_int_vjp_jvp(2.0, 3.0, 1, 1.0, 1.0, 0.0, 0.0).1,
        (12.0, 6.0, 4.0)
    );
    assert_eq!(
        match_int_jvp_jvp(2.0, 3.0, 1, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0).1,
        (4.0, 4.0)
    );
    // k = 2 and 3: x sin x y
    for k in [2, 3] {
        let (x, y) = (0.8, 1.7);
        let (_, a, b) = match_int_vjp(x, y, k, 1.0);
        close(a, (x.cos() * x + x.sin()) * y, 1e-15);
        close(b, x.sin() * x, 1e-15);
    }
    // k = 7: x^3 / y^2
    assert_eq!(match_int_vjp(2.0, 4.0, 7, 1.0), (0.5, 0.75, -0.25));
    for k in 0..6 {
        let (x, y) = (0.8, 1.7);
        let f = |p: &[f64]| match_int(p[0], p[1], k);
        let grad = |p: &[f64]| {
            let (_, a, b) = match_int_vjp(p[0], p[1], k, 1.0);
            vec![a, b]
        };
        assert_gradient(f, grad, &[x, y], 1e-7);
        assert_jvp_vs_vjp(
            |p: &[f64], t: &[f64]| vec![match_int_jvp(p[0], p[1], k, t[0], t[1]).1],
            |p: &[f64], w: &[f64]| {
                let (_, a, b) = match_int_vjp(p[0], p[1], k, w[0]);
                vec![a, b]
            },
            &[x, y],
            1,
            3,
            1e-13,
        );
        assert_jvp(
            grad,
            |p, t| {
                let (_, (_, a, b)) = match_int_vjp_jvp(p[0], p[1], k, 1.0, t[0], t[1], 0.0);
                vec![a, b]
            },
            &[x, y],
            1e-6,
        );
        // forward over forward: e_i^T H v
        let v = [0.4, -0.9];
        let (_, h) = match_int_vjp_jvp(x, y, k, 1.0, v[0], v[1], 0.0);
        let h0 = match_int_jvp_jvp(x, y, k, v[0], v[1], 1.0, 0.0, 0.0, 0.0)
            .1
             .1;
        let h1 = match_int_jvp_jvp(x, y, k, v[0], v[1], 0.0, 1.0, 0.0, 0.0)
            .1
             .1;
        close(h0, h.1, 1e-13);
        close(h1, h.2, 1e-13);
    }
}

#[differentiate(reverse)]
#[differentiate(forward)]
fn match_active(x: f64, y: f64) -> f64 {
    let big = x * y > 1.0;
    match big {
        true => (x * y).ln() * x,
        false => x * y * y,
    }
}

#[test]
fn match_on_an_active_condition() {
    let hv = rf(match_active_vjp, match_active_jvp, match_active_jvp_vjp);
    // xy <= 1: x y^2, H = [[0, 2y], [2y, 2x]]
    assert_eq!(match_active(0.5, 1.0), 0.5);
    assert_eq!(match_active_vjp(0.5, 1.0, 1.0), (0.5, 1.0, 1.0));
    assert_eq!(match_active_jvp(0.5, 1.0, 1.0, 1.0), (0.5, 2.0));
    assert_eq!(hv(&[0.5, 1.0], &[0.0, 1.0]), [2.0, 1.0]);
    // xy > 1: x ln(xy): d/dx = ln(xy) + 1, d/dy = x / y,
    // H = [[1/x, 1/y], [1/y, -x/y^2]]
    let (x, y) = (2.0, 4.0);
    let (_, a, b) = match_active_vjp(x, y, 1.0);
    close(a, (x * y).ln() + 1.0, 1e-15);
    assert_eq!(b, 0.5);
    assert_eq!(hv(&[x, y], &[1.0, 0.0]), [0.5, 0.25]);
    assert_eq!(hv(&[x, y], &[0.0, 1.0]), [0.25, -0.125]);
    for p in [[0.5, 1.0], [2.0, 3.0], [-3.0, -0.7]] {
        check2(match_active, match_active_jvp, match_active_vjp, &[&hv], p);
    }
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn match_cast_index(x: f64, y: f64) -> f64 {
    // the arm is chosen by an integer computed from an active value
    let bucket = (x * 2.0) as i64;
    match bucket {
        0 => y * y,
        1 => x * y,
        _ => x * x * x,
    }
}

#[test]
fn match_on_an_integer_computed_from_an_active_value() {
    let hv = fr(
        match_cast_index_vjp,
        match_cast_index_jvp,
        match_cast_index_vjp_jvp,
    );
    let hf = ff(match_cast_index_jvp, match_cast_index_jvp_jvp);
    assert_eq!(match_cast_index_vjp(0.25, 3.0, 1.0), (9.0, 0.0, 6.0));
    assert_eq!(match_cast_index_vjp(0.75, 3.0, 1.0), (2.25, 3.0, 0.75));
    assert_eq!(match_cast_index_vjp(2.0, 3.0, 1.0), (8.0, 12.0, 0.0));
    assert_eq!(match_cast_index_jvp(2.0, 3.0, 1.0, 1.0), (8.0, 12.0));
    assert_eq!(hv(&[0.25, 3.0], &[0.0, 1.0]), [0.0, 2.0]);
    assert_eq!(hv(&[0.75, 3.0], &[1.0, 0.0]), [0.0, 1.0]);
    assert_eq!(hf(&[2.0, 3.0], &[1.0, 0.0]), [12.0, 0.0]);
    for p in [[0.25, 3.0], [0.75, -1.0], [2.0, 3.0]] {
        check2(
            match_cast_index,
            match_cast_index_jvp,
            match_cast_index_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

// ---------------------------------------------------------------------------
// early return
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn early_return(x: f64, y: f64) -> f64 {
    let a = x * y;
    if a > 4.0 {
        return a.sqrt();
    }
    let b = a + x;
    if b < 0.0 {
        return b * b;
    }
    b * y
}

#[test]
fn early_returns() {
    let hv = fr(early_return_vjp, early_return_jvp, early_return_vjp_jvp);
    let hf = ff(early_return_jvp, early_return_jvp_jvp);
    // a = 8 > 4: sqrt(x y); d/dx = y / (2 sqrt(xy))
    let (v, a, b) = early_return_vjp(2.0, 4.0, 1.0);
    assert_eq!(v, 8f64.sqrt());
    close(a, 4.0 / (2.0 * 8f64.sqrt()), 1e-15);
    close(b, 2.0 / (2.0 * 8f64.sqrt()), 1e-15);
    // b = xy + x < 0: (xy + x)^2, at (-2, 1): b = -4, d/dx = 2b (y + 1) = -16, d/dy = 2b x = 16
    assert_eq!(early_return_vjp(-2.0, 1.0, 1.0), (16.0, -16.0, 16.0));
    assert_eq!(early_return_jvp(-2.0, 1.0, 1.0, 1.0), (16.0, 0.0));
    // H = 2 [[(y+1)^2, b + x (y+1)], [.., x^2]] = [[8, -16], [-16, 8]]
    assert_eq!(hv(&[-2.0, 1.0], &[1.0, 0.0]), [8.0, -16.0]);
    assert_eq!(hf(&[-2.0, 1.0], &[0.0, 1.0]), [-16.0, 8.0]);
    // otherwise (xy + x) y, at (1, 2): 6, d/dx = (y+1) y = 6, d/dy = 2xy + x = 5
    assert_eq!(early_return_vjp(1.0, 2.0, 1.0), (6.0, 6.0, 5.0));
    assert_eq!(early_return_jvp(1.0, 2.0, 0.0, 1.0), (6.0, 5.0));
    // H = [[0, 2y + 1], [2y + 1, 2x]]
    assert_eq!(hv(&[1.0, 2.0], &[1.0, 0.0]), [0.0, 5.0]);
    assert_eq!(hv(&[1.0, 2.0], &[0.0, 1.0]), [5.0, 2.0]);
    assert_eq!(hf(&[1.0, 2.0], &[0.0, 1.0]), [5.0, 2.0]);
    for p in [[2.0, 4.0], [-2.0, 1.0], [1.0, 2.0], [0.3, -0.4]] {
        check2(
            early_return,
            early_return_jvp,
            early_return_vjp,
            &[&hv, &hf],
            p,
        );
    }
}

// ---------------------------------------------------------------------------
// branches around loops and loops around branches
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn if_in_loop(x: f64, y: f64) -> f64 {
    let mut acc = 0.0;
    let mut p = x;
    for i in 0..6 {
        if i % 2 == 0 {
            acc += p * y;
        } else if p > 1.0 {
            acc -= p.ln();
        } else {
            acc += p;
        }
        p = p * x;
    }
    acc
}

/// Value and gradient of `if_in_loop`, term by term: `p = x^(i+1)`.
fn if_in_loop_by_hand(x: f64, y: f64) -> (f64, f64, f64) {
    let (mut v, mut gx, mut gy) = (0.0, 0.0, 0.0);
    for i in 0..6 {
        let k = (i + 1) as f64;
        let p = x.powi(i + 1);
        let dp = k * x.powi(i);
        if i % 2 == 0 {
            v += p * y;
            gx += dp * y;
            gy += p;
        } else if p > 1.0 {
            v -= k * x.ln();
            gx -= k / x;
        } else {
            v += p;
            gx += dp;
        }
    }
    (v, gx, gy)
}

#[test]
fn if_inside_a_loop() {
    let hv = fr(if_in_loop_vjp, if_in_loop_jvp, if_in_loop_vjp_jvp);
    let hf = ff(if_in_loop_jvp, if_in_loop_jvp_jvp);
    for p in [[1.3, 0.7], [0.8, -2.0], [-0.9, 1.1]] {
        let (v, gx, gy) = if_in_loop_by_hand(p[0], p[1]);
        let (w, a, b) = if_in_loop_vjp(p[0], p[1], 1.0);
        close(w, v, 1e-14);
        close(a, gx, 1e-13);
        close(b, gy, 1e-13);
        close(if_in_loop_jvp(p[0], p[1], 1.0, 0.0).1, gx, 1e-13);
        check2(if_in_loop, if_in_loop_jvp, if_in_loop_vjp, &[&hv, &hf], p);
    }
    // x = 1: p = 1 in every iteration (never > 1): acc = 3 y + 3
    // d/dx: (1 + 3 + 5) y + (2 + 4 + 6) = 9 y + 12
    assert_eq!(if_in_loop_vjp(1.0, 2.0, 1.0), (9.0, 30.0, 3.0));
    assert_eq!(if_in_loop_jvp(1.0, 2.0, 1.0, 1.0), (9.0, 33.0));
    // d2/dx2 at x = 1: sum of k (k - 1): (0 + 6 + 20) y + (2 + 12 + 30); d2/dxdy = 9
    assert_eq!(hv(&[1.0, 2.0], &[1.0, 0.0]), [96.0, 9.0]);
    assert_eq!(hf(&[1.0, 2.0], &[1.0, 0.0]), [96.0, 9.0]);
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn loop_in_if(x: f64, n: usize) -> f64 {
    let mut r = x;
    if x > 0.0 {
        for _ in 0..n {
            r = r * x;
        }
    } else {
        let mut k = 0;
        while k < n {
            r = r + x * x;
            k += 1;
        }
    }
    r
}

#[test]
fn loop_inside_an_if() {
    // x > 0: x^(n+1)
    assert_eq!(loop_in_if_vjp(2.0, 3, 1.0), (16.0, 32.0));
    assert_eq!(loop_in_if_jvp(2.0, 3, 1.0), (16.0, 32.0));
    assert_eq!(loop_in_if_vjp_jvp(2.0, 3, 1.0, 1.0, 0.0).1, (32.0, 48.0));
    assert_eq!(loop_in_if_jvp_jvp(2.0, 3, 1.0, 1.0, 0.0).1, (32.0, 48.0));
    // x <= 0: x + n x^2
    assert_eq!(loop_in_if_vjp(-2.0, 3, 1.0), (10.0, -11.0));
    assert_eq!(loop_in_if_jvp(-2.0, 3, 1.0), (10.0, -11.0));
    assert_eq!(loop_in_if_vjp_jvp(-2.0, 3, 1.0, 1.0, 0.0).1, (-11.0, 6.0));
    assert_eq!(loop_in_if_jvp_jvp(-2.0, 3, 1.0, 1.0, 0.0).1, (-11.0, 6.0));
    // zero iterations
    assert_eq!(loop_in_if_vjp(2.0, 0, 1.0), (2.0, 1.0));
    assert_eq!(loop_in_if_vjp(-2.0, 0, 1.0), (-2.0, 1.0));
    assert_eq!(loop_in_if_vjp_jvp(-2.0, 0, 1.0, 1.0, 0.0).1, (1.0, 0.0));
    for &(x, n) in &[(0.7, 4usize), (-0.7, 4), (1.3, 1)] {
        assert_gradient(
            |p: &[f64]| loop_in_if(p[0], n),
            |p| vec![loop_in_if_vjp(p[0], n, 1.0).1],
            &[x],
            1e-7,
        );
        assert_jvp(
            |p: &[f64]| vec![loop_in_if_vjp(p[0], n, 1.0).1],
            |p, t| vec![loop_in_if_vjp_jvp(p[0], n, 1.0, t[0], 0.0).1 .1],
            &[x],
            1e-6,
        );
        close(
            loop_in_if_jvp(x, n, 1.0).1,
            loop_in_if_vjp(x, n, 1.0).1,
            1e-15,
        );
        close(
            loop_in_if_jvp_jvp(x, n, 1.0, 1.0, 0.0).1 .1,
            loop_in_if_vjp_jvp(x, n, 1.0, 1.0, 0.0).1 .1,
            1e-14,
        );
    }
}

// ---------------------------------------------------------------------------
// inactive code in a differentiated body
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn with_asserts(x: f64, y: f64) -> f64 {
    assert!(y != 0.0, "y must be nonzero");
    debug_assert!(x.is_finite());
    let r = x / y;
    if r.is_nan() {
        println!("not reached: {r}");
    }
    r * x
}

#[test]
fn asserts_and_prints_are_inactive() {
    let hv = fr(with_asserts_vjp, with_asserts_jvp, with_asserts_vjp_jvp);
    assert_eq!(with_asserts_vjp(3.0, 2.0, 1.0), (4.5, 3.0, -2.25));
    assert_eq!(with_asserts_jvp(3.0, 2.0, 1.0, 1.0), (4.5, 0.75));
    // x^2 / y: H = [[2/y, -2x/y^2], [-2x/y^2, 2x^2/y^3]]
    assert_eq!(hv(&[3.0, 2.0], &[1.0, 0.0]), [1.0, -1.5]);
    check2(
        with_asserts,
        with_asserts_jvp,
        with_asserts_vjp,
        &[&hv],
        [0.6, -1.4],
    );
}

#[test]
#[should_panic(expected = "y must be nonzero")]
fn asserts_still_fire_in_the_derivative() {
    let _ = with_asserts(1.0, 1.0);
    let _ = with_asserts_vjp(1.0, 0.0, 1.0);
}
