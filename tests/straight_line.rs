//! Straight-line code: arithmetic, compound assignment, bindings, blocks,
//! tuples, casts and every float method SPEC.md lists, in forward mode,
//! reverse mode and forward over reverse (and forward over forward where the
//! engine supports stacking a mode twice).
// `x = x * y` is written out on purpose: plain reassignment is one of the
// forms under test, next to the compound `x *= y`.
#![allow(clippy::assign_op_pattern)]

use differentiate::prelude::*;
use differentiate::testing::{approx_eq, assert_gradient, assert_jvp, assert_jvp_vs_vjp};

// ---------------------------------------------------------------------------
// checking helpers
// ---------------------------------------------------------------------------

type F1 = fn(f64) -> f64;
type Jvp1 = fn(f64, f64) -> (f64, f64);
type Vjp1 = fn(f64, f64) -> (f64, f64);
type VjpJvp1 = fn(f64, f64, f64, f64) -> ((f64, f64), (f64, f64));
type JvpJvp1 = fn(f64, f64, f64, f64) -> ((f64, f64), (f64, f64));
/// (f, f_jvp, f_vjp, f_vjp_jvp, f_jvp_jvp)
type Set1 = (F1, Jvp1, Vjp1, VjpJvp1, JvpJvp1);

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

/// A one-argument function with its three derivatives against its closed-form
/// first and second derivatives, central differences, and each other.
#[track_caller]
fn check1(fns: Set1, x: f64, d1: f64, d2: f64) {
    let (f, jvp, vjp, vjp_jvp, jvp_jvp) = fns;
    let v = f(x);
    // values agree with the plain function
    assert_eq!(jvp(x, 1.0).0, v);
    assert_eq!(vjp(x, 1.0).0, v);
    assert_eq!(vjp_jvp(x, 1.0, 1.0, 0.0).0 .0, v);
    // first derivative, both modes, closed form
    close(jvp(x, 1.0).1, d1, 1e-13);
    close(vjp(x, 1.0).1, d1, 1e-13);
    // linearity in the seed / tangent
    close(jvp(x, -2.5).1, -2.5 * d1, 1e-13);
    close(vjp(x, 0.5).1, 0.5 * d1, 1e-13);
    // against central differences
    assert_gradient(|p: &[f64]| f(p[0]), |p| vec![vjp(p[0], 1.0).1], &[x], 1e-7);
    assert_jvp(
        |p: &[f64]| vec![f(p[0])],
        |p, t| vec![jvp(p[0], t[0]).1],
        &[x],
        1e-7,
    );
    // second derivative: forward over reverse
    let ((_, g), (dv, h)) = vjp_jvp(x, 1.0, 1.0, 0.0);
    close(g, d1, 1e-13);
    close(dv, d1, 1e-13);
    close(h, d2, 1e-12);
    // second derivative: forward over forward
    let ((v2, t), (t2, tt)) = jvp_jvp(x, 1.0, 1.0, 0.0);
    assert_eq!(v2, v);
    close(t, d1, 1e-13);
    close(t2, d1, 1e-13);
    close(tt, d2, 1e-12);
    // the inner tangent's own tangent enters linearly
    let (_, (_, tt)) = jvp_jvp(x, 0.0, 0.0, 1.0);
    close(tt, d1, 1e-13);
    // the seed's tangent contributes the gradient
    let ((_, _), (_, h2)) = vjp_jvp(x, 1.0, 0.0, 1.0);
    close(h2, d1, 1e-13);
    // and the second derivative against differences of the gradient
    assert_jvp(
        |p: &[f64]| vec![vjp(p[0], 1.0).1],
        |p, t| vec![vjp_jvp(p[0], 1.0, t[0], 0.0).1 .1],
        &[x],
        1e-6,
    );
}

type F2 = fn(f64, f64) -> f64;
type Jvp2 = fn(f64, f64, f64, f64) -> (f64, f64);
type Vjp2 = fn(f64, f64, f64) -> (f64, f64, f64);
type VjpJvp2 = fn(f64, f64, f64, f64, f64, f64) -> ((f64, f64, f64), (f64, f64, f64));

/// A two-argument function: gradient and Hessian by every route, against
/// central differences and the dot-product identity.
#[track_caller]
fn check2(f: F2, jvp: Jvp2, vjp: Vjp2, vjp_jvp: VjpJvp2, x: [f64; 2]) {
    let v = f(x[0], x[1]);
    assert_eq!(jvp(x[0], x[1], 1.0, 0.0).0, v);
    assert_eq!(vjp(x[0], x[1], 1.0).0, v);
    assert_eq!(vjp_jvp(x[0], x[1], 1.0, 0.0, 0.0, 0.0).0 .0, v);
    let grad = |p: &[f64]| {
        let (_, a, b) = vjp(p[0], p[1], 1.0);
        vec![a, b]
    };
    assert_gradient(|p: &[f64]| f(p[0], p[1]), grad, &x, 1e-7);
    assert_jvp(
        |p: &[f64]| vec![f(p[0], p[1])],
        |p, t| vec![jvp(p[0], p[1], t[0], t[1]).1],
        &x,
        1e-7,
    );
    assert_jvp_vs_vjp(
        |p: &[f64], t: &[f64]| vec![jvp(p[0], p[1], t[0], t[1]).1],
        |p: &[f64], w: &[f64]| {
            let (_, a, b) = vjp(p[0], p[1], w[0]);
            vec![a, b]
        },
        &x,
        1,
        4,
        1e-13,
    );
    // forward over reverse: first half is the gradient, second the Hessian column
    let g = grad(&x);
    let ((_, a, b), (dv, _, _)) = vjp_jvp(x[0], x[1], 1.0, 0.3, -0.7, 0.0);
    assert_eq!((a, b), (g[0], g[1]));
    close(dv, 0.3 * g[0] - 0.7 * g[1], 1e-13);
    assert_jvp(
        grad,
        |p, t| {
            let (_, (_, ha, hb)) = vjp_jvp(p[0], p[1], 1.0, t[0], t[1], 0.0);
            vec![ha, hb]
        },
        &x,
        1e-6,
    );
    // the Hessian is symmetric: <e0, H e1> = <e1, H e0>
    let (_, (_, _, h10)) = vjp_jvp(x[0], x[1], 1.0, 1.0, 0.0, 0.0);
    let (_, (_, h01, _)) = vjp_jvp(x[0], x[1], 1.0, 0.0, 1.0, 0.0);
    close(h10, h01, 1e-12);
}

// ---------------------------------------------------------------------------
// arithmetic, bindings and blocks
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn arith(x: f64, y: f64) -> f64 {
    let a = x + y;
    let b = x - 2.0 * y;
    let c = -a * b;
    c / (y + 4.0) + 3.0
}

#[test]
fn arithmetic_exact_polynomial() {
    // c = -(x+y)(x-2y) = -(x^2 - xy - 2y^2); at y = 0 the divisor is 4
    // f(x, 0) = -x^2/4 + 3
    assert_eq!(arith(2.0, 0.0), 2.0);
    // d/dx at (2, 0): -(2x - y)/4 = -1; d/dy: (x + 4y)/4 - c/16 with c = -4: 0.5 + 0.25
    assert_eq!(arith_vjp(2.0, 0.0, 1.0), (2.0, -1.0, 0.75));
    assert_eq!(arith_jvp(2.0, 0.0, 1.0, 0.0), (2.0, -1.0));
    assert_eq!(arith_jvp(2.0, 0.0, 0.0, 1.0), (2.0, 0.75));
    assert_eq!(arith_jvp(2.0, 0.0, 2.0, 4.0), (2.0, 1.0));
    check2(arith, arith_jvp, arith_vjp, arith_vjp_jvp, [0.7, -1.3]);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn compound(x: f64, y: f64) -> f64 {
    let mut s = x;
    s += y;
    s *= x;
    s -= 3.0 * y;
    s /= y;
    s += s * x;
    s
}

fn compound_by_hand(x: f64, y: f64) -> f64 {
    let s = ((x + y) * x - 3.0 * y) / y;
    s + s * x
}

#[test]
fn compound_assignment() {
    assert_eq!(compound(2.0, 1.0), compound_by_hand(2.0, 1.0));
    // s = ((x+y)x - 3y)/y = x^2/y + x - 3, f = s (1 + x)
    // at (2, 1): s = 3, ds/dx = 2x/y + 1 = 5, ds/dy = -x^2/y^2 = -4
    // df/dx = ds/dx (1+x) + s = 18, df/dy = ds/dy (1+x) = -12
    assert_eq!(compound_vjp(2.0, 1.0, 1.0), (9.0, 18.0, -12.0));
    assert_eq!(compound_jvp(2.0, 1.0, 1.0, 1.0), (9.0, 6.0));
    // second order: d2f/dx2 = (2/y)(1+x) + 2 ds/dx = 6 + 10 = 16
    let (_, (_, hxx, hyx)) = compound_vjp_jvp(2.0, 1.0, 1.0, 1.0, 0.0, 0.0);
    assert_eq!(hxx, 16.0);
    // d2f/dxdy = (-2x/y^2)(1+x) + ds/dy = -12 - 4 = -16
    assert_eq!(hyx, -16.0);
    check2(
        compound,
        compound_jvp,
        compound_vjp,
        compound_vjp_jvp,
        [1.3, 0.6],
    );
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn rebinding(x: f64, y: f64) -> f64 {
    let t = x * y;
    let mut u = t + 1.0;
    u = u * u;
    // shadowing: a new `t`, the old one still used through `u`
    let t = u - t;
    let w = {
        let inner = t * 2.0;
        let t = inner + x;
        t * y
    };
    // reassigning a variable from itself several times
    let mut z = w;
    z = z + t;
    z = z * x;
    z
}

fn rebinding_by_hand(x: f64, y: f64) -> f64 {
    let t0 = x * y;
    let u = (t0 + 1.0) * (t0 + 1.0);
    let t = u - t0;
    let w = (2.0 * t + x) * y;
    (w + t) * x
}

#[test]
fn let_mut_reassignment_shadowing_blocks() {
    for &(x, y) in &[(1.0, 2.0), (-0.5, 0.25), (3.0, -1.0)] {
        assert_eq!(rebinding(x, y), rebinding_by_hand(x, y));
    }
    // at (1, 1): t0 = 1, u = 4, t = 3, w = 7, f = 10
    // exact rational arithmetic everywhere, so compare with the hand gradient exactly
    let g = |x: f64, y: f64| {
        // f = (w + t) x with t = (xy+1)^2 - xy, w = (2t + x) y
        let t0 = x * y;
        let t = (t0 + 1.0) * (t0 + 1.0) - t0;
        let dt_dx = 2.0 * (t0 + 1.0) * y - y;
        let dt_dy = 2.0 * (t0 + 1.0) * x - x;
        let w = (2.0 * t + x) * y;
        let dw_dx = (2.0 * dt_dx + 1.0) * y;
        let dw_dy = 2.0 * dt_dy * y + (2.0 * t + x);
        ((dw_dx + dt_dx) * x + (w + t), (dw_dy + dt_dy) * x)
    };
    let (v, gx, gy) = rebinding_vjp(1.0, 1.0, 1.0);
    assert_eq!(v, 10.0);
    assert_eq!((gx, gy), g(1.0, 1.0));
    assert_eq!(rebinding_jvp(1.0, 1.0, 1.0, 0.0).1, g(1.0, 1.0).0);
    assert_eq!(rebinding_jvp(1.0, 1.0, 0.0, 1.0).1, g(1.0, 1.0).1);
    check2(
        rebinding,
        rebinding_jvp,
        rebinding_vjp,
        rebinding_vjp_jvp,
        [0.4, -0.9],
    );
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn shadow_params(x: f64, y: f64) -> f64 {
    // parameters shadowed by new bindings of the same names
    let x = x * 2.0;
    let y = x + y;
    let x = x * y;
    x * y
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn nested_blocks(x: f64, y: f64) -> f64 {
    let v = {
        let a = x * y;
        let b = {
            let c = a + x;
            c * c
        };
        b - a
    };
    let w = if v > 1.0 {
        let z = v.sqrt();
        z * x
    } else {
        v * y
    };
    w + v
}

#[test]
fn shadowed_parameters_and_nested_blocks() {
    // shadow_params: 2x (2x + y)^2
    assert_eq!(shadow_params(1.0, 1.0), 18.0);
    // d/dx = 2 (2x + y)^2 + 8x (2x + y) = 18 + 24, d/dy = 4x (2x + y) = 12
    assert_eq!(shadow_params_vjp(1.0, 1.0, 1.0), (18.0, 42.0, 12.0));
    assert_eq!(shadow_params_jvp(1.0, 1.0, 1.0, 1.0), (18.0, 54.0));
    // d2/dx2 = 8 (2x + y) + 8 (2x + y) + 16 x = 64,
    // d2/dxdy = 4 (2x + y) + 8 x = 20, d2/dy2 = 4 x = 4
    assert_eq!(
        shadow_params_vjp_jvp(1.0, 1.0, 1.0, 1.0, 0.0, 0.0).1,
        (42.0, 64.0, 20.0)
    );
    assert_eq!(
        shadow_params_vjp_jvp(1.0, 1.0, 1.0, 0.0, 1.0, 0.0).1,
        (12.0, 20.0, 4.0)
    );
    // nested_blocks: v = (x y + x)^2 - x y
    // at (1, 1): v = 3 > 1: w = sqrt(3) x
    let (v, gx, gy) = nested_blocks_vjp(1.0, 1.0, 1.0);
    let r3 = 3f64.sqrt();
    close(v, r3 + 3.0, 1e-15);
    // dv/dx = 2 (xy + x)(y + 1) - y = 7, dv/dy = 2 (xy + x) x - x = 3
    close(gx, 7.0 / (2.0 * r3) + r3 + 7.0, 1e-14);
    close(gy, 3.0 / (2.0 * r3) + 3.0, 1e-14);
    for p in [[1.0, 1.0], [0.3, -0.4], [-1.2, 0.5], [0.8, 1.7]] {
        check2(
            shadow_params,
            shadow_params_jvp,
            shadow_params_vjp,
            shadow_params_vjp_jvp,
            p,
        );
        check2(
            nested_blocks,
            nested_blocks_jvp,
            nested_blocks_vjp,
            nested_blocks_vjp_jvp,
            p,
        );
    }
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn temporaries(x: f64, y: f64) -> f64 {
    // a temporary reused for several purposes and overwritten
    let mut tmp = x * x;
    let a = tmp * y;
    tmp = y.sin();
    let b = tmp * x;
    tmp = tmp * tmp + a;
    a + b + tmp
}

#[test]
fn temporaries_reused_and_overwritten() {
    // f = x^2 y + x sin y + sin^2 y + x^2 y
    let f = |x: f64, y: f64| 2.0 * x * x * y + x * y.sin() + y.sin() * y.sin();
    let (x, y) = (0.8, 1.7);
    close(temporaries(x, y), f(x, y), 1e-15);
    let (_, gx, gy) = temporaries_vjp(x, y, 1.0);
    close(gx, 4.0 * x * y + y.sin(), 1e-14);
    close(
        gy,
        2.0 * x * x + x * y.cos() + 2.0 * y.sin() * y.cos(),
        1e-14,
    );
    // Hessian closed form
    let (_, (_, hxx, hxy)) = temporaries_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    close(hxx, 4.0 * y, 1e-14);
    close(hxy, 4.0 * x + y.cos(), 1e-14);
    let (_, (_, _, hyy)) = temporaries_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
    close(hyy, -x * y.sin() + 2.0 * (2.0 * y).cos(), 1e-14);
    check2(
        temporaries,
        temporaries_jvp,
        temporaries_vjp,
        temporaries_vjp_jvp,
        [x, y],
    );
}

#[differentiate(reverse)]
fn overwritten_argument(mut x: f64, y: f64) -> f64 {
    let first = x * y;
    x = x * x;
    x += first;
    x = x.sin() * y;
    x
}

#[test]
fn argument_overwritten_reverse() {
    // f = sin(x^2 + x y) y
    let (x, y) = (0.6, -1.1);
    let u = x * x + x * y;
    close(overwritten_argument(x, y), u.sin() * y, 1e-15);
    let (v, gx, gy) = overwritten_argument_vjp(x, y, 1.0);
    assert_eq!(v, overwritten_argument(x, y));
    close(gx, u.cos() * (2.0 * x + y) * y, 1e-14);
    close(gy, u.cos() * x * y + u.sin(), 1e-14);
    assert_gradient(
        |p: &[f64]| overwritten_argument(p[0], p[1]),
        |p| {
            let (_, a, b) = overwritten_argument_vjp(p[0], p[1], 1.0);
            vec![a, b]
        },
        &[x, y],
        1e-7,
    );
}

// Regression test for bug C2 (fixed): the forward transform of a reassigned `mut` parameter does not compile.
#[differentiate(forward)]
#[differentiate(reverse)]
fn overwritten_argument_all(mut x: f64, y: f64) -> f64 {
    let first = x * y;
    x = x * x;
    x += first;
    x = x.sin() * y;
    x
}

#[test]
fn argument_overwritten_all_modes() {
    let (x, y) = (0.6, -1.1);
    let u = x * x + x * y;
    close(overwritten_argument_all(x, y), u.sin() * y, 1e-15);
    close(
        overwritten_argument_all_jvp(x, y, 1.0, 0.0).1,
        u.cos() * (2.0 * x + y) * y,
        1e-14,
    );
    close(
        overwritten_argument_all_jvp(x, y, 0.0, 1.0).1,
        u.cos() * x * y + u.sin(),
        1e-14,
    );
    check2(
        overwritten_argument_all,
        overwritten_argument_all_jvp,
        overwritten_argument_all_vjp,
        overwritten_argument_all_vjp_jvp,
        [x, y],
    );
}

// ---------------------------------------------------------------------------
// user names that look like derivative names
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn derivative_names(dx: f64, d_x: f64) -> f64 {
    let d_out = dx * d_x;
    let d_d_out = d_out + dx;
    let value = d_d_out * d_x;
    let t1 = value - d_out;
    t1 * 2.0
}

#[test]
fn user_variables_named_like_derivatives() {
    // f = 2 ((a b + a) b - a b) = 2 a b^2
    assert_eq!(derivative_names(3.0, 2.0), 24.0);
    assert_eq!(derivative_names_vjp(3.0, 2.0, 1.0), (24.0, 8.0, 24.0));
    assert_eq!(derivative_names_vjp(3.0, 2.0, 0.5), (24.0, 4.0, 12.0));
    assert_eq!(derivative_names_jvp(3.0, 2.0, 1.0, 0.0), (24.0, 8.0));
    assert_eq!(derivative_names_jvp(3.0, 2.0, 0.0, 1.0), (24.0, 24.0));
    // Hessian of 2 a b^2: [[0, 4b], [4b, 4a]]
    let (g, h) = derivative_names_vjp_jvp(3.0, 2.0, 1.0, 1.0, 0.0, 0.0);
    assert_eq!(g, (24.0, 8.0, 24.0));
    assert_eq!(h, (8.0, 0.0, 8.0));
    let (_, h) = derivative_names_vjp_jvp(3.0, 2.0, 1.0, 0.0, 1.0, 0.0);
    assert_eq!(h, (24.0, 8.0, 12.0));
    check2(
        derivative_names,
        derivative_names_jvp,
        derivative_names_vjp,
        derivative_names_vjp_jvp,
        [0.3, -1.7],
    );
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn named_d_out(d_out: f64, d_d_out: f64) -> f64 {
    d_out * d_out * d_d_out
}

#[test]
fn parameter_named_like_the_seed() {
    assert_eq!(named_d_out(3.0, 2.0), 18.0);
    assert_eq!(named_d_out_vjp(3.0, 2.0, 1.0), (18.0, 12.0, 9.0));
    assert_eq!(named_d_out_vjp(3.0, 2.0, 2.0), (18.0, 24.0, 18.0));
    assert_eq!(named_d_out_jvp(3.0, 2.0, 1.0, 1.0), (18.0, 21.0));
    let (g, h) = named_d_out_vjp_jvp(3.0, 2.0, 1.0, 1.0, 0.0, 0.0);
    assert_eq!(g, (18.0, 12.0, 9.0));
    // H = [[2 b, 2 a], [2 a, 0]] = [[4, 6], [6, 0]]
    assert_eq!(h, (12.0, 4.0, 6.0));
    check2(
        named_d_out,
        named_d_out_jvp,
        named_d_out_vjp,
        named_d_out_vjp_jvp,
        [1.2, -0.4],
    );
}

// ---------------------------------------------------------------------------
// tuples
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse)]
fn tuple_param(p: (f64, f64), s: f64) -> f64 {
    let (a, b) = p;
    a * b * s + p.0
}

#[test]
fn tuple_parameter() {
    // f = a b s + a
    assert_eq!(tuple_param((2.0, 3.0), 4.0), 26.0);
    assert_eq!(
        tuple_param_vjp((2.0, 3.0), 4.0, 1.0),
        (26.0, (13.0, 8.0), 6.0)
    );
    assert_eq!(
        tuple_param_vjp((2.0, 3.0), 4.0, -2.0),
        (26.0, (-26.0, -16.0), -12.0)
    );
    assert_eq!(
        tuple_param_jvp((2.0, 3.0), 4.0, (1.0, 0.0), 0.0),
        (26.0, 13.0)
    );
    assert_eq!(tuple_param_jvp((2.0, 3.0), 4.0, (0.0, 1.0), 1.0).1, 14.0);
    let pack = |q: &[f64]| ((q[0], q[1]), q[2]);
    assert_jvp_vs_vjp(
        |q: &[f64], d: &[f64]| {
            let (p, s) = pack(q);
            vec![tuple_param_jvp(p, s, (d[0], d[1]), d[2]).1]
        },
        |q: &[f64], w: &[f64]| {
            let (p, s) = pack(q);
            let (_, dp, ds) = tuple_param_vjp(p, s, w[0]);
            vec![dp.0, dp.1, ds]
        },
        &[0.3, -1.1, 2.3],
        1,
        4,
        1e-13,
    );
}

#[differentiate(forward, reverse)]
fn tuple_return(x: f64, y: f64) -> (f64, f64) {
    let pair = (x * y, x + y);
    let (p, s) = pair;
    (p * s, s - p.sin())
}

#[test]
fn tuple_return_with_tuple_seed() {
    let (x, y) = (0.9, -0.4);
    let (p, s) = (x * y, x + y);
    let out = tuple_return(x, y);
    assert_eq!(out, (p * s, s - p.sin()));
    // Jacobian rows
    let j0 = [y * s + p, x * s + p];
    let j1 = [1.0 - p.cos() * y, 1.0 - p.cos() * x];
    let (v, gx, gy) = tuple_return_vjp(x, y, (1.0, 0.0));
    assert_eq!(v, out);
    close(gx, j0[0], 1e-15);
    close(gy, j0[1], 1e-15);
    let (_, gx, gy) = tuple_return_vjp(x, y, (0.0, 1.0));
    close(gx, j1[0], 1e-15);
    close(gy, j1[1], 1e-15);
    let (v, t) = tuple_return_jvp(x, y, 1.0, 0.0);
    assert_eq!(v, out);
    close(t.0, j0[0], 1e-15);
    close(t.1, j1[0], 1e-15);
    // exact where everything is exact: x = 2, y = 1 -> p = 2, s = 3
    assert_eq!(
        tuple_return_vjp(2.0, 1.0, (1.0, 0.0)),
        ((6.0, 3.0 - 2f64.sin()), 5.0, 8.0)
    );
    // dot-product test on the 2x2 Jacobian
    assert_jvp_vs_vjp(
        |q: &[f64], d: &[f64]| {
            let (_, t) = tuple_return_jvp(q[0], q[1], d[0], d[1]);
            vec![t.0, t.1]
        },
        |q: &[f64], w: &[f64]| {
            let (_, a, b) = tuple_return_vjp(q[0], q[1], (w[0], w[1]));
            vec![a, b]
        },
        &[x, y],
        2,
        5,
        1e-13,
    );
    assert_jvp(
        |q: &[f64]| {
            let r = tuple_return(q[0], q[1]);
            vec![r.0, r.1]
        },
        |q, d| {
            let (_, t) = tuple_return_jvp(q[0], q[1], d[0], d[1]);
            vec![t.0, t.1]
        },
        &[x, y],
        1e-7,
    );
}

// Regression test for bug C3 (fixed): forward over reverse of tuple parameters / tuple returns is an internal error.
#[differentiate(forward)]
#[differentiate(reverse)]
fn tuple_param2(p: (f64, f64), s: f64) -> f64 {
    let (a, b) = p;
    a * b * s + p.0
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn tuple_return2(x: f64, y: f64) -> (f64, f64) {
    let pair = (x * y, x + y);
    let (p, s) = pair;
    (p * s, s - p.sin())
}

#[test]
fn tuples_second_order() {
    assert_eq!(tuple_param2((2.0, 3.0), 4.0), 26.0);
    // Hessian of a b s + a, row of a: [0, s, b]
    let (g, h) = tuple_param2_vjp_jvp((2.0, 3.0), 4.0, 1.0, (1.0, 0.0), 0.0, 0.0);
    assert_eq!(g, (26.0, (13.0, 8.0), 6.0));
    assert_eq!(h, (13.0, (0.0, 4.0), 3.0));
    let (_, h) = tuple_param2_vjp_jvp((2.0, 3.0), 4.0, 1.0, (0.0, 0.0), 1.0, 0.0);
    assert_eq!(h, (6.0, (3.0, 2.0), 0.0));
    assert_eq!(tuple_param2_jvp((2.0, 3.0), 4.0, (1.0, 0.0), 0.0).1, 13.0);

    let (x, y) = (0.9, -0.4);
    assert_eq!(tuple_return2(x, y), tuple_return(x, y));
    assert_eq!(
        tuple_return2_jvp(x, y, 0.5, 2.0),
        tuple_return_jvp(x, y, 0.5, 2.0)
    );
    // w . f'' along v, against differences of the vjp
    let w = (0.3, -1.2);
    assert_jvp(
        |q: &[f64]| {
            let (_, a, b) = tuple_return2_vjp(q[0], q[1], w);
            vec![a, b]
        },
        |q, d| {
            let (_, (_, a, b)) = tuple_return2_vjp_jvp(q[0], q[1], w, d[0], d[1], (0.0, 0.0));
            vec![a, b]
        },
        &[x, y],
        1e-6,
    );
    // the tangent of the value output is the jvp
    let (_, (tv, _, _)) = tuple_return2_vjp_jvp(x, y, w, 0.5, 2.0, (0.0, 0.0));
    let (_, t) = tuple_return_jvp(x, y, 0.5, 2.0);
    assert_eq!(tv, t);
}

// ---------------------------------------------------------------------------
// casts between float types
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn through_f32(x: f64, y: f64) -> f64 {
    let a = (x * y) as f32;
    let b = a * a + 1.0f32;
    let c = b as f64;
    c * x
}

#[test]
fn cast_f64_f32_f64() {
    // exactly representable: (xy)^2 + 1 then times x, every step exact in f32
    assert_eq!(through_f32(2.0, 3.0), 74.0);
    // f = ((xy)^2 + 1) x: df/dx = 3 x^2 y^2 + 1 = 109, df/dy = 2 x^3 y = 48
    assert_eq!(through_f32_vjp(2.0, 3.0, 1.0), (74.0, 109.0, 48.0));
    assert_eq!(through_f32_jvp(2.0, 3.0, 1.0, 0.0), (74.0, 109.0));
    assert_eq!(through_f32_jvp(2.0, 3.0, 0.0, 1.0), (74.0, 48.0));
    // Hessian: [[6 x y^2, 6 x^2 y], [6 x^2 y, 2 x^3]] = [[108, 72], [72, 16]]
    assert_eq!(
        through_f32_vjp_jvp(2.0, 3.0, 1.0, 1.0, 0.0, 0.0).1,
        (109.0, 108.0, 72.0)
    );
    assert_eq!(
        through_f32_vjp_jvp(2.0, 3.0, 1.0, 0.0, 1.0, 0.0).1,
        (48.0, 72.0, 16.0)
    );
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn from_f32(x: f32) -> f64 {
    let w = x as f64;
    w.sin() * w
}

#[test]
fn cast_f32_parameter_to_f64_output() {
    let x = 0.75f32;
    let w = x as f64;
    assert_eq!(from_f32(x), w.sin() * w);
    let (v, g) = from_f32_vjp(x, 1.0);
    assert_eq!(v, w.sin() * w);
    // the adjoint comes back as f32
    let expected = (w.cos() * w + w.sin()) as f32;
    assert!((g - expected).abs() <= 1e-6 * expected.abs());
    let (_, t) = from_f32_jvp(x, 1.0);
    assert!((t - (w.cos() * w + w.sin())).abs() < 1e-14);
    let (_, (_, h)) = from_f32_vjp_jvp(x, 1.0, 1.0, 0.0);
    let expected = (2.0 * w.cos() - w * w.sin()) as f32;
    assert!((h - expected).abs() <= 1e-6 * expected.abs());
}

// ---------------------------------------------------------------------------
// float methods, one function each (method-call syntax)
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_sin(x: f64) -> f64 {
    x.sin()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_cos(x: f64) -> f64 {
    x.cos()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_tan(x: f64) -> f64 {
    x.tan()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_asin(x: f64) -> f64 {
    x.asin()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_acos(x: f64) -> f64 {
    x.acos()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_atan(x: f64) -> f64 {
    x.atan()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_sinh(x: f64) -> f64 {
    x.sinh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_cosh(x: f64) -> f64 {
    x.cosh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_tanh(x: f64) -> f64 {
    x.tanh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_exp(x: f64) -> f64 {
    x.exp()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_exp2(x: f64) -> f64 {
    x.exp2()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_ln(x: f64) -> f64 {
    x.ln()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_log10(x: f64) -> f64 {
    x.log10()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_log2(x: f64) -> f64 {
    x.log2()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_ln_1p(x: f64) -> f64 {
    x.ln_1p()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_exp_m1(x: f64) -> f64 {
    x.exp_m1()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_sqrt(x: f64) -> f64 {
    x.sqrt()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_cbrt(x: f64) -> f64 {
    x.cbrt()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_powi3(x: f64) -> f64 {
    x.powi(3)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_powi_neg2(x: f64) -> f64 {
    x.powi(-2)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_powf_const(x: f64) -> f64 {
    x.powf(2.5)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_abs(x: f64) -> f64 {
    x.abs()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_signum(x: f64) -> f64 {
    x.signum() * x
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_recip(x: f64) -> f64 {
    x.recip()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_asinh(x: f64) -> f64 {
    x.asinh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_acosh(x: f64) -> f64 {
    x.acosh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_atanh(x: f64) -> f64 {
    x.atanh()
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_degrees(x: f64) -> f64 {
    x.to_degrees() * x.to_radians()
}

#[test]
fn trigonometric() {
    for &x in &[0.3, -1.2, 2.0] {
        check1(
            (m_sin, m_sin_jvp, m_sin_vjp, m_sin_vjp_jvp, m_sin_jvp_jvp),
            x,
            x.cos(),
            -x.sin(),
        );
        check1(
            (m_cos, m_cos_jvp, m_cos_vjp, m_cos_vjp_jvp, m_cos_jvp_jvp),
            x,
            -x.sin(),
            -x.cos(),
        );
    }
    for &x in &[0.3, -1.2, 1.0] {
        let t = x.tan();
        let d1 = 1.0 + t * t;
        check1(
            (m_tan, m_tan_jvp, m_tan_vjp, m_tan_vjp_jvp, m_tan_jvp_jvp),
            x,
            d1,
            2.0 * t * d1,
        );
    }
    // sin' and sin'' are cos and -sin exactly
    assert_eq!(m_sin_jvp(0.7, 1.0).1, 0.7f64.cos());
    assert_eq!(m_sin_vjp(0.7, 1.0).1, 0.7f64.cos());
    assert_eq!(m_sin_vjp_jvp(0.7, 1.0, 1.0, 0.0).1 .1, -(0.7f64.sin()));
    assert_eq!(m_sin_jvp_jvp(0.7, 1.0, 1.0, 0.0).1 .1, -(0.7f64.sin()));
    assert_eq!(m_cos_jvp_jvp(0.7, 1.0, 1.0, 0.0).1 .1, -(0.7f64.cos()));
}

#[test]
fn inverse_trigonometric() {
    for &x in &[0.3, -0.8, 0.95] {
        let s = 1.0 - x * x;
        let d1 = 1.0 / s.sqrt();
        let d2 = x / (s * s.sqrt());
        check1(
            (
                m_asin,
                m_asin_jvp,
                m_asin_vjp,
                m_asin_vjp_jvp,
                m_asin_jvp_jvp,
            ),
            x,
            d1,
            d2,
        );
        check1(
            (
                m_acos,
                m_acos_jvp,
                m_acos_vjp,
                m_acos_vjp_jvp,
                m_acos_jvp_jvp,
            ),
            x,
            -d1,
            -d2,
        );
    }
    for &x in &[0.3, -2.5, 10.0] {
        let q = 1.0 + x * x;
        check1(
            (
                m_atan,
                m_atan_jvp,
                m_atan_vjp,
                m_atan_vjp_jvp,
                m_atan_jvp_jvp,
            ),
            x,
            1.0 / q,
            -2.0 * x / (q * q),
        );
    }
}

#[test]
fn hyperbolic() {
    for &x in &[0.3, -1.7, 3.0] {
        check1(
            (
                m_sinh,
                m_sinh_jvp,
                m_sinh_vjp,
                m_sinh_vjp_jvp,
                m_sinh_jvp_jvp,
            ),
            x,
            x.cosh(),
            x.sinh(),
        );
        check1(
            (
                m_cosh,
                m_cosh_jvp,
                m_cosh_vjp,
                m_cosh_vjp_jvp,
                m_cosh_jvp_jvp,
            ),
            x,
            x.sinh(),
            x.cosh(),
        );
        let t = x.tanh();
        let d1 = 1.0 - t * t;
        check1(
            (
                m_tanh,
                m_tanh_jvp,
                m_tanh_vjp,
                m_tanh_vjp_jvp,
                m_tanh_jvp_jvp,
            ),
            x,
            d1,
            -2.0 * t * d1,
        );
    }
}

#[test]
fn exponentials_and_logarithms() {
    for &x in &[0.3, -1.7, 4.0] {
        let e = x.exp();
        check1(
            (m_exp, m_exp_jvp, m_exp_vjp, m_exp_vjp_jvp, m_exp_jvp_jvp),
            x,
            e,
            e,
        );
        let l2 = std::f64::consts::LN_2;
        let p = x.exp2();
        check1(
            (
                m_exp2,
                m_exp2_jvp,
                m_exp2_vjp,
                m_exp2_vjp_jvp,
                m_exp2_jvp_jvp,
            ),
            x,
            l2 * p,
            l2 * l2 * p,
        );
        check1(
            (
                m_exp_m1,
                m_exp_m1_jvp,
                m_exp_m1_vjp,
                m_exp_m1_vjp_jvp,
                m_exp_m1_jvp_jvp,
            ),
            x,
            e,
            e,
        );
    }
    for &x in &[0.3, 1.0, 17.0] {
        let l10 = std::f64::consts::LN_10;
        let l2 = std::f64::consts::LN_2;
        check1(
            (m_ln, m_ln_jvp, m_ln_vjp, m_ln_vjp_jvp, m_ln_jvp_jvp),
            x,
            1.0 / x,
            -1.0 / (x * x),
        );
        check1(
            (
                m_log10,
                m_log10_jvp,
                m_log10_vjp,
                m_log10_vjp_jvp,
                m_log10_jvp_jvp,
            ),
            x,
            1.0 / (x * l10),
            -1.0 / (x * x * l10),
        );
        check1(
            (
                m_log2,
                m_log2_jvp,
                m_log2_vjp,
                m_log2_vjp_jvp,
                m_log2_jvp_jvp,
            ),
            x,
            1.0 / (x * l2),
            -1.0 / (x * x * l2),
        );
    }
    for &x in &[0.3, -0.5, 1e-3, 5.0] {
        let q = 1.0 + x;
        check1(
            (
                m_ln_1p,
                m_ln_1p_jvp,
                m_ln_1p_vjp,
                m_ln_1p_vjp_jvp,
                m_ln_1p_jvp_jvp,
            ),
            x,
            1.0 / q,
            -1.0 / (q * q),
        );
    }
    // exact where the closed forms are exact
    assert_eq!(m_ln_vjp(4.0, 1.0), (4.0f64.ln(), 0.25));
    assert_eq!(m_ln_jvp(4.0, 1.0).1, 0.25);
    assert_eq!(m_ln_vjp_jvp(4.0, 1.0, 1.0, 0.0).1 .1, -0.0625);
}

#[test]
fn roots_powers_reciprocal() {
    for &x in &[0.3, 2.0, 9.0] {
        let r = x.sqrt();
        check1(
            (
                m_sqrt,
                m_sqrt_jvp,
                m_sqrt_vjp,
                m_sqrt_vjp_jvp,
                m_sqrt_jvp_jvp,
            ),
            x,
            0.5 / r,
            -0.25 / (x * r),
        );
        check1(
            (
                m_powf_const,
                m_powf_const_jvp,
                m_powf_const_vjp,
                m_powf_const_vjp_jvp,
                m_powf_const_jvp_jvp,
            ),
            x,
            2.5 * x.powf(1.5),
            3.75 * x.powf(0.5),
        );
    }
    for &x in &[0.3, -2.0, 27.0] {
        let c = x.cbrt();
        check1(
            (
                m_cbrt,
                m_cbrt_jvp,
                m_cbrt_vjp,
                m_cbrt_vjp_jvp,
                m_cbrt_jvp_jvp,
            ),
            x,
            1.0 / (3.0 * c * c),
            -2.0 / (9.0 * c * c * c * c * c),
        );
    }
    for &x in &[0.3, -2.0, 5.0] {
        check1(
            (
                m_powi3,
                m_powi3_jvp,
                m_powi3_vjp,
                m_powi3_vjp_jvp,
                m_powi3_jvp_jvp,
            ),
            x,
            3.0 * x * x,
            6.0 * x,
        );
        check1(
            (
                m_powi_neg2,
                m_powi_neg2_jvp,
                m_powi_neg2_vjp,
                m_powi_neg2_vjp_jvp,
                m_powi_neg2_jvp_jvp,
            ),
            x,
            -2.0 / (x * x * x),
            6.0 / (x * x * x * x),
        );
        check1(
            (
                m_recip,
                m_recip_jvp,
                m_recip_vjp,
                m_recip_vjp_jvp,
                m_recip_jvp_jvp,
            ),
            x,
            -1.0 / (x * x),
            2.0 / (x * x * x),
        );
    }
    // exact cases
    assert_eq!(m_powi3_vjp(2.0, 1.0), (8.0, 12.0));
    assert_eq!(m_powi3_jvp(2.0, 1.0), (8.0, 12.0));
    assert_eq!(m_powi3_vjp_jvp(2.0, 1.0, 1.0, 0.0).1 .1, 12.0);
    assert_eq!(m_sqrt_vjp(4.0, 1.0), (2.0, 0.25));
    assert_eq!(m_recip_vjp(2.0, 1.0), (0.5, -0.25));
}

#[test]
fn inverse_hyperbolic_and_angle_conversions() {
    for &x in &[0.3, -1.7, 2.5] {
        let q = x * x + 1.0;
        check1(
            (
                m_asinh,
                m_asinh_jvp,
                m_asinh_vjp,
                m_asinh_vjp_jvp,
                m_asinh_jvp_jvp,
            ),
            x,
            1.0 / q.sqrt(),
            -x / (q * q.sqrt()),
        );
    }
    for &x in &[1.3, 2.0, 7.5] {
        let q = x * x - 1.0;
        check1(
            (
                m_acosh,
                m_acosh_jvp,
                m_acosh_vjp,
                m_acosh_vjp_jvp,
                m_acosh_jvp_jvp,
            ),
            x,
            1.0 / q.sqrt(),
            -x / (q * q.sqrt()),
        );
    }
    for &x in &[0.3, -0.8, 0.95] {
        let q = 1.0 - x * x;
        check1(
            (
                m_atanh,
                m_atanh_jvp,
                m_atanh_vjp,
                m_atanh_vjp_jvp,
                m_atanh_jvp_jvp,
            ),
            x,
            1.0 / q,
            2.0 * x / (q * q),
        );
    }
    // to_degrees(x) * to_radians(x) = x^2 (180/pi)(pi/180) = x^2 up to rounding
    let k = (180.0 / std::f64::consts::PI) * (std::f64::consts::PI / 180.0);
    for &x in &[0.3, -1.7, 2.5] {
        check1(
            (
                m_degrees,
                m_degrees_jvp,
                m_degrees_vjp,
                m_degrees_vjp_jvp,
                m_degrees_jvp_jvp,
            ),
            x,
            2.0 * k * x,
            2.0 * k,
        );
    }
}

#[test]
fn abs_and_signum() {
    for &x in &[0.3, -2.0] {
        let s = x.signum();
        check1(
            (m_abs, m_abs_jvp, m_abs_vjp, m_abs_vjp_jvp, m_abs_jvp_jvp),
            x,
            s,
            0.0,
        );
        // signum has derivative 0, so (signum x) * x has derivative signum x
        check1(
            (
                m_signum,
                m_signum_jvp,
                m_signum_vjp,
                m_signum_vjp_jvp,
                m_signum_jvp_jvp,
            ),
            x,
            s,
            0.0,
        );
    }
    assert_eq!(m_abs_vjp(-3.0, 1.0), (3.0, -1.0));
    assert_eq!(m_abs_jvp(-3.0, 2.0), (3.0, -2.0));
}

// binary methods

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_powf(x: f64, y: f64) -> f64 {
    x.powf(y)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_hypot(x: f64, y: f64) -> f64 {
    x.hypot(y)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_max(x: f64, y: f64) -> f64 {
    x.max(y) * x
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_min(x: f64, y: f64) -> f64 {
    x.min(y) * y
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_mul_add(x: f64, y: f64) -> f64 {
    x.mul_add(y, x * x)
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_clamp(x: f64, y: f64) -> f64 {
    (x * y).clamp(-1.0, 2.0) * x
}
#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn m_clamp_bounds(lo: f64, hi: f64) -> f64 {
    let z = 0.5f64;
    z.clamp(lo, hi) * (lo + hi)
}

#[test]
fn atan2_partials() {
    for &(y, x) in &[(1.0, 2.0), (-0.5, -1.5), (2.0, -0.1)] {
        let r2 = x * x + y * y;
        let (v, gy, gx) = m_atan2_vjp(y, x, 1.0);
        assert_eq!(v, y.atan2(x));
        close(gy, x / r2, 1e-14);
        close(gx, -y / r2, 1e-14);
        close(m_atan2_jvp(y, x, 1.0, 0.0).1, x / r2, 1e-14);
        close(m_atan2_jvp(y, x, 0.0, 1.0).1, -y / r2, 1e-14);
        // Hessian of atan2(y, x): [[-2xy, y^2 - x^2], [y^2 - x^2, 2xy]] / r^4
        let (_, (_, hyy, hyx)) = m_atan2_vjp_jvp(y, x, 1.0, 1.0, 0.0, 0.0);
        close(hyy, -2.0 * x * y / (r2 * r2), 1e-13);
        close(hyx, (y * y - x * x) / (r2 * r2), 1e-13);
        check2(m_atan2, m_atan2_jvp, m_atan2_vjp, m_atan2_vjp_jvp, [y, x]);
    }
    assert_eq!(m_atan2_vjp(1.0, 1.0, 1.0).1, 0.5);
}

#[test]
fn powf_partials() {
    for &(x, y) in &[(1.5, 2.5), (0.7, -1.3), (3.0, 0.5)] {
        let p = x.powf(y);
        let l = x.ln();
        let (_, gx, gy) = m_powf_vjp(x, y, 1.0);
        close(gx, y * x.powf(y - 1.0), 1e-13);
        close(gy, p * l, 1e-13);
        let (_, (_, hxx, hxy)) = m_powf_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
        close(hxx, y * (y - 1.0) * x.powf(y - 2.0), 1e-12);
        close(hxy, x.powf(y - 1.0) * (1.0 + y * l), 1e-12);
        let (_, (_, _, hyy)) = m_powf_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
        close(hyy, p * l * l, 1e-12);
        check2(m_powf, m_powf_jvp, m_powf_vjp, m_powf_vjp_jvp, [x, y]);
    }
    assert_eq!(m_powf_vjp(2.0, 3.0, 1.0).1, 12.0);
}

#[test]
fn hypot_partials() {
    for &(x, y) in &[(3.0, 4.0), (-1.0, 0.5), (0.2, -7.0)] {
        let r = x.hypot(y);
        let (_, gx, gy) = m_hypot_vjp(x, y, 1.0);
        close(gx, x / r, 1e-14);
        close(gy, y / r, 1e-14);
        let r3 = r * r * r;
        let (_, (_, hxx, hxy)) = m_hypot_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
        close(hxx, y * y / r3, 1e-13);
        close(hxy, -x * y / r3, 1e-13);
        check2(m_hypot, m_hypot_jvp, m_hypot_vjp, m_hypot_vjp_jvp, [x, y]);
    }
    assert_eq!(m_hypot_vjp(3.0, 4.0, 1.0), (5.0, 0.6, 0.8));
}

#[test]
fn max_min_away_from_ties() {
    // x.max(y) * x: x wins -> x^2, y wins -> x y
    assert_eq!(m_max_vjp(3.0, 1.0, 1.0), (9.0, 6.0, 0.0));
    assert_eq!(m_max_vjp(1.0, 3.0, 1.0), (3.0, 3.0, 1.0));
    assert_eq!(m_max_jvp(3.0, 1.0, 1.0, 1.0), (9.0, 6.0));
    assert_eq!(m_max_jvp(1.0, 3.0, 1.0, 1.0), (3.0, 4.0));
    assert_eq!(
        m_max_vjp_jvp(3.0, 1.0, 1.0, 1.0, 0.0, 0.0).1,
        (6.0, 2.0, 0.0)
    );
    assert_eq!(
        m_max_vjp_jvp(1.0, 3.0, 1.0, 1.0, 0.0, 0.0).1,
        (3.0, 0.0, 1.0)
    );
    // x.min(y) * y: x wins -> x y, y wins -> y^2
    assert_eq!(m_min_vjp(1.0, 3.0, 1.0), (3.0, 3.0, 1.0));
    assert_eq!(m_min_vjp(3.0, 1.0, 1.0), (1.0, 0.0, 2.0));
    assert_eq!(m_min_jvp(3.0, 1.0, 0.0, 1.0), (1.0, 2.0));
    assert_eq!(
        m_min_vjp_jvp(3.0, 1.0, 1.0, 0.0, 1.0, 0.0).1,
        (2.0, 0.0, 2.0)
    );
    for p in [[0.3, 1.2], [1.2, 0.3], [-1.0, -2.0]] {
        check2(m_max, m_max_jvp, m_max_vjp, m_max_vjp_jvp, p);
        check2(m_min, m_min_jvp, m_min_vjp, m_min_vjp_jvp, p);
    }
}

#[test]
fn mul_add_partials() {
    // x y + x^2
    assert_eq!(m_mul_add(2.0, 3.0), 10.0);
    assert_eq!(m_mul_add_vjp(2.0, 3.0, 1.0), (10.0, 7.0, 2.0));
    assert_eq!(m_mul_add_jvp(2.0, 3.0, 1.0, 1.0), (10.0, 9.0));
    assert_eq!(
        m_mul_add_vjp_jvp(2.0, 3.0, 1.0, 1.0, 0.0, 0.0).1,
        (7.0, 2.0, 1.0)
    );
    assert_eq!(
        m_mul_add_vjp_jvp(2.0, 3.0, 1.0, 0.0, 1.0, 0.0).1,
        (2.0, 1.0, 0.0)
    );
    check2(
        m_mul_add,
        m_mul_add_jvp,
        m_mul_add_vjp,
        m_mul_add_vjp_jvp,
        [-0.6, 1.9],
    );
}

#[test]
fn clamp_partials() {
    // inside: (x y) x, clamped: bound * x
    assert_eq!(m_clamp_vjp(1.0, 1.5, 1.0), (1.5, 3.0, 1.0));
    assert_eq!(m_clamp_vjp(2.0, 3.0, 1.0), (4.0, 2.0, 0.0));
    assert_eq!(m_clamp_vjp(2.0, -3.0, 1.0), (-2.0, -1.0, 0.0));
    assert_eq!(m_clamp_jvp(1.0, 1.5, 1.0, 1.0), (1.5, 4.0));
    assert_eq!(m_clamp_jvp(2.0, 3.0, 1.0, 1.0), (4.0, 2.0));
    assert_eq!(
        m_clamp_vjp_jvp(1.0, 1.5, 1.0, 1.0, 0.0, 0.0).1,
        (3.0, 3.0, 2.0)
    );
    assert_eq!(
        m_clamp_vjp_jvp(2.0, 3.0, 1.0, 1.0, 0.0, 0.0).1,
        (2.0, 0.0, 0.0)
    );
    for p in [[1.0, 0.7], [2.0, 3.0], [0.5, -4.0]] {
        check2(m_clamp, m_clamp_jvp, m_clamp_vjp, m_clamp_vjp_jvp, p);
    }
    // derivative through the bounds: when the bound is the result it gets the adjoint
    // 0.5.clamp(lo, hi) * (lo + hi)
    // lo = 1 > 0.5: value lo (lo + hi) -> d/dlo = 2 lo + hi, d/dhi = lo
    assert_eq!(m_clamp_bounds_vjp(1.0, 3.0, 1.0), (4.0, 5.0, 1.0));
    // hi = 0.25 < 0.5: value hi (lo + hi)
    assert_eq!(m_clamp_bounds_vjp(-1.0, 0.25, 1.0), (-0.1875, 0.25, -0.5));
    // inside: 0.5 (lo + hi)
    assert_eq!(m_clamp_bounds_vjp(0.0, 1.0, 1.0), (0.5, 0.5, 0.5));
    assert_eq!(m_clamp_bounds_jvp(1.0, 3.0, 1.0, 1.0), (4.0, 6.0));
    for p in [[1.0, 3.0], [-1.0, 0.25], [0.0, 1.0]] {
        check2(
            m_clamp_bounds,
            m_clamp_bounds_jvp,
            m_clamp_bounds_vjp,
            m_clamp_bounds_vjp_jvp,
            p,
        );
    }
}

// ---------------------------------------------------------------------------
// the same methods in function-call syntax `f64::sin(x)`
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn call_syntax_a(x: f64, y: f64) -> f64 {
    f64::sin(x) * f64::cos(y) + f64::tan(x * 0.5) + f64::asin(y * 0.3) + f64::acos(x * 0.2)
        - f64::atan(x * y)
        + f64::atan2(y, x)
        + f64::sinh(x) * f64::cosh(y)
        + f64::tanh(x - y)
        + f64::exp(y) * f64::exp2(x)
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn call_syntax_b(x: f64, y: f64) -> f64 {
    f64::ln(x) + f64::log10(y) * f64::log2(x + y) + f64::ln_1p(x * y) - f64::exp_m1(y)
        + f64::sqrt(x) * f64::cbrt(y)
        + f64::powi(x, 3)
        + f64::powf(x, y)
        + f64::abs(x - y)
        + f64::hypot(x, y)
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn call_syntax_c(x: f64, y: f64) -> f64 {
    f64::max(x, y) * f64::min(x, y) + f64::signum(x) * f64::mul_add(x, y, 1.0) - f64::recip(y)
        + f64::clamp(x * y, -0.5, 0.5)
}

fn call_syntax_a_by_hand(x: f64, y: f64) -> f64 {
    x.sin() * y.cos() + (x * 0.5).tan() + (y * 0.3).asin() + (x * 0.2).acos() - (x * y).atan()
        + y.atan2(x)
        + x.sinh() * y.cosh()
        + (x - y).tanh()
        + y.exp() * x.exp2()
}

#[test]
fn function_call_syntax() {
    let p = [0.7, 1.3];
    assert_eq!(call_syntax_a(p[0], p[1]), call_syntax_a_by_hand(p[0], p[1]));
    // gradient in closed form for the first group
    let (x, y) = (p[0], p[1]);
    let gx = x.cos() * y.cos() + 0.5 / (0.5 * x).cos().powi(2)
        - 0.2 / (1.0 - 0.04 * x * x).sqrt()
        - y / (1.0 + x * x * y * y)
        - y / (x * x + y * y)
        + x.cosh() * y.cosh()
        + 1.0 / (x - y).cosh().powi(2)
        + y.exp() * x.exp2() * std::f64::consts::LN_2;
    let gy = -x.sin() * y.sin() + 0.3 / (1.0 - 0.09 * y * y).sqrt() - x / (1.0 + x * x * y * y)
        + x / (x * x + y * y)
        + x.sinh() * y.sinh()
        - 1.0 / (x - y).cosh().powi(2)
        + y.exp() * x.exp2();
    let (_, ax, ay) = call_syntax_a_vjp(x, y, 1.0);
    close(ax, gx, 1e-13);
    close(ay, gy, 1e-13);
    close(call_syntax_a_jvp(x, y, 1.0, 0.0).1, gx, 1e-13);
    close(call_syntax_a_jvp(x, y, 0.0, 1.0).1, gy, 1e-13);
    check2(
        call_syntax_a,
        call_syntax_a_jvp,
        call_syntax_a_vjp,
        call_syntax_a_vjp_jvp,
        p,
    );
    for q in [[0.7, 1.3], [2.2, 0.4]] {
        check2(
            call_syntax_b,
            call_syntax_b_jvp,
            call_syntax_b_vjp,
            call_syntax_b_vjp_jvp,
            q,
        );
    }
    for q in [[0.7, 1.3], [-0.4, 0.6], [2.0, -3.0]] {
        check2(
            call_syntax_c,
            call_syntax_c_jvp,
            call_syntax_c_vjp,
            call_syntax_c_vjp_jvp,
            q,
        );
    }
    // call_syntax_c at (2, 3): max*min = 6, signum * (2*3+1) = 7, -1/3, clamp(6) = 0.5
    // d/dx = y (x is the min) + (y) = 6, d/dy = x + x + 1/9
    let (v, gx, gy) = call_syntax_c_vjp(2.0, 3.0, 1.0);
    close(v, 6.0 + 7.0 - 1.0 / 3.0 + 0.5, 1e-15);
    assert_eq!(gx, 6.0);
    close(gy, 4.0 + 1.0 / 9.0, 1e-15);
}

// ---------------------------------------------------------------------------
// a larger straight-line program, to third order
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn cubic(x: f64) -> f64 {
    let a = x * x;
    let b = a * x - 2.0 * a;
    b + 5.0 * x - 1.0
}

#[test]
fn cubic_first_and_second_order_exact() {
    // f = x^3 - 2 x^2 + 5 x - 1, f' = 3x^2 - 4x + 5, f'' = 6x - 4
    assert_eq!(cubic(2.0), 9.0);
    assert_eq!(cubic_vjp(2.0, 1.0), (9.0, 9.0));
    assert_eq!(cubic_jvp(2.0, 1.0), (9.0, 9.0));
    assert_eq!(cubic_vjp_jvp(2.0, 1.0, 1.0, 0.0), ((9.0, 9.0), (9.0, 8.0)));
    for &x in &[-1.5, 0.25, 3.0] {
        check1(
            (cubic, cubic_jvp, cubic_vjp, cubic_vjp_jvp, cubic_jvp_jvp),
            x,
            3.0 * x * x - 4.0 * x + 5.0,
            6.0 * x - 4.0,
        );
    }
}

#[differentiate(forward)]
#[differentiate(forward)]
#[differentiate(reverse)]
fn cubic3(x: f64) -> f64 {
    let a = x * x;
    let b = a * x - 2.0 * a;
    b + 5.0 * x - 1.0
}

#[differentiate(forward)]
#[differentiate(forward)]
fn wave(x: f64) -> f64 {
    x.sin() * x.exp()
}

#[test]
fn third_order_by_stacking_three_attributes() {
    assert_eq!(cubic3(2.0), 9.0);
    // forward over forward: f'' from the tangent of the tangent
    // cubic3_jvp_jvp(x, dx, tx, tdx) -> ((f, f' dx), (f' tx, f'' dx tx + f' tdx))
    assert_eq!(cubic3_jvp_jvp(2.0, 1.0, 1.0, 0.0), ((9.0, 9.0), (9.0, 8.0)));
    // forward over forward over reverse: the tangent of (f'' along the
    // inner tangent) along the outer one is f''' = 6
    // cubic3_vjp_jvp_jvp(x, d_out, dx, dd_out, tx, td_out, tdx, tdd_out)
    let (_, (_, third)) = cubic3_vjp_jvp_jvp(2.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
    assert_eq!(third, (8.0, 6.0));
    // (sin x e^x)'' = 2 cos x e^x
    for &x in &[0.3, -1.0, 2.5] {
        let ((v, d1), (d1b, d2)) = wave_jvp_jvp(x, 1.0, 1.0, 0.0);
        assert_eq!(v, wave(x));
        close(d1, (x.sin() + x.cos()) * x.exp(), 1e-14);
        assert_eq!(d1, d1b);
        close(d2, 2.0 * x.cos() * x.exp(), 1e-13);
    }
}

// ---------------------------------------------------------------------------
// `c * v * v`: forward mode writes the tangent of `(c v) v` as `2 (c v) dv`
// (one product instead of `(c dv) v + (c v) dv`); it must only do so while
// `c v` and `v` still hold the values it was derived from.
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward)]
fn scaled_squares(x: f64, y: f64) -> f64 {
    let a = 100.0 * x * x;
    let q = y / 4.0;
    let b = y * q;
    let c = x * 0.5;
    a + b + x * c
}

#[differentiate(forward, wrt(x))]
fn scaled_by_argument(x: f64, k: f64) -> f64 {
    k * x * x
}

#[differentiate(forward, reverse)]
fn scaled_then_overwritten(x: f64) -> f64 {
    let mut v = x;
    let u = 3.0 * v;
    v = v + 1.0;
    u * v
}

#[differentiate(forward)]
fn scaled_in_a_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let t = 2.5 * x[i];
        s += t * x[i];
    }
    s
}

#[test]
fn scaled_squares_have_exact_tangents() {
    for &(x, y) in &[(0.7, -1.3), (-2.0, 3.0), (1e-3, 5e2)] {
        let f = 100.0 * x * x + y / 4.0 * y + x * 0.5 * x;
        let (v, d) = scaled_squares_jvp(x, y, 1.0, 0.0);
        assert_eq!(v, scaled_squares(x, y));
        assert_eq!(v, f);
        close(d, 200.0 * x + x, 1e-14);
        // y / 4 and 2 are exact scalings: the tangent along y is exactly y / 2
        assert_eq!(scaled_squares_jvp(x, y, 0.0, 1.0).1, y / 2.0);
        assert_eq!(scaled_squares_jvp(x, y, 0.0, 3.0).1, y * 3.0 / 2.0);
        // forward over forward: the Hessian is diag(201, 0.5)
        let ((_, _), (_, hxx)) = scaled_squares_jvp_jvp(x, y, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
        let ((_, _), (_, hyy)) = scaled_squares_jvp_jvp(x, y, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0);
        let ((_, _), (_, hxy)) = scaled_squares_jvp_jvp(x, y, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        assert_eq!((hxx, hyy, hxy), (201.0, 0.5, 0.0));
        assert_eq!(scaled_by_argument_jvp(x, y, 1.0), (y * x * x, y * x * 2.0));
    }
}

#[test]
fn a_scaled_value_whose_base_changes_keeps_the_product_rule() {
    // u = 3x, v = x + 1: (u v)' = 3 (x + 1) + 3 x
    for &x in &[0.5, -4.0, 10.0] {
        let (v, d) = scaled_then_overwritten_jvp(x, 1.0);
        assert_eq!(v, 3.0 * x * (x + 1.0));
        assert_eq!(d, 6.0 * x + 3.0);
        assert_eq!(scaled_then_overwritten_vjp(x, 1.0).1, d);
    }
    let x = [0.5, -1.5, 2.0];
    let dx = [1.0, 0.25, -2.0];
    let (v, d) = scaled_in_a_loop_jvp(&x, &dx);
    assert_eq!(v, scaled_in_a_loop(&x));
    let expected: f64 = x.iter().zip(&dx).map(|(x, dx)| 5.0 * x * dx).sum();
    assert_eq!(d, expected);
}
