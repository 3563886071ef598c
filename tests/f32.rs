//! f32 everywhere: the same programs written for f32 and for f64 (by hand, by
//! a `macro_rules!` that stamps out both, and as one generic `F: Real`
//! function), whose values and derivatives (both modes, second order by
//! forward over reverse and forward over forward) agree to f32 precision;
//! exact f32 results where the arithmetic is exact; f32 arrays, slices, `Vec`,
//! calls and casts, checked against central differences taken in f32.
// Reassignment and indexing loops are constructs under test.
#![allow(clippy::assign_op_pattern, clippy::needless_range_loop)]

use differentiate::drivers::{gradient, hessian};
use differentiate::prelude::*;
use differentiate::testing::{assert_gradient, assert_jvp, assert_jvp_vs_vjp};

/// `|a - b| <= tol * max(1, |b|)`, with `b` the f64 reference.
#[track_caller]
fn agree(a: f32, b: f64, tol: f64) {
    let err = (a as f64 - b).abs();
    assert!(
        err <= tol * b.abs().max(1.0),
        "f32 {a:e} vs f64 {b:e}: error {err:e} above {tol:e} (relative to max(1, |f64|))"
    );
}

/// The functions generated for a two-argument scalar function over `T`:
/// (f, f_jvp, f_vjp, f_vjp_jvp, f_jvp_jvp).
type Set2<T> = (
    fn(T, T) -> T,
    fn(T, T, T, T) -> (T, T),
    fn(T, T, T) -> (T, T, T),
    fn(T, T, T, T, T, T) -> ((T, T, T), (T, T, T)),
    fn(T, T, T, T, T, T, T, T) -> ((T, T), (T, T)),
);

/// Every derivative of a function of two variables by every generated route:
/// [value, grad x, grad y, H v x, H v y, (H v)_x by forward over forward,
/// directional derivative along v].
fn all_numbers<T: Copy>(s: &Set2<T>, p: [T; 2], v: [T; 2], one: T, zero: T) -> [T; 7] {
    let (f, jvp, vjp, vjp_jvp, jvp_jvp) = *s;
    let value = f(p[0], p[1]);
    let (_, gx, gy) = vjp(p[0], p[1], one);
    let (_, (_, hx, hy)) = vjp_jvp(p[0], p[1], one, v[0], v[1], zero);
    let (_, (_, fx)) = jvp_jvp(p[0], p[1], v[0], v[1], one, zero, zero, zero);
    let (_, dir) = jvp(p[0], p[1], v[0], v[1]);
    [value, gx, gy, hx, hy, fx, dir]
}

/// The f32 and f64 twins agree to `tol` at `p` (rounded to f32 first, so only
/// the arithmetic differs), and the f32 gradient and Hessian pass central
/// differences taken in f32.
#[track_caller]
fn check_twin2(s32: Set2<f32>, s64: Set2<f64>, p: [f64; 2], tol: f64) {
    let q = [p[0] as f32, p[1] as f32];
    let r = [q[0] as f64, q[1] as f64];
    for v in [[1.0, 0.0], [0.0, 1.0], [0.75, -1.25]] {
        let a = all_numbers(&s32, q, [v[0] as f32, v[1] as f32], 1.0, 0.0);
        let b = all_numbers(&s64, r, v, 1.0, 0.0);
        for k in 0..7 {
            agree(a[k], b[k], tol);
        }
    }
    let (f, jvp, vjp, vjp_jvp, _) = s32;
    let grad = |x: &[f32]| {
        let (_, a, b) = vjp(x[0], x[1], 1.0);
        vec![a, b]
    };
    assert_gradient(|x: &[f32]| f(x[0], x[1]), grad, &q, 1e-2f32);
    assert_jvp_vs_vjp(
        |x: &[f32], t: &[f32]| vec![jvp(x[0], x[1], t[0], t[1]).1],
        |x: &[f32], w: &[f32]| {
            let (_, a, b) = vjp(x[0], x[1], w[0]);
            vec![a, b]
        },
        &q,
        1,
        4,
        1e-5f32,
    );
    assert_jvp(
        grad,
        |x, t| {
            let (_, (_, a, b)) = vjp_jvp(x[0], x[1], 1.0, t[0], t[1], 0.0);
            vec![a, b]
        },
        &q,
        2e-2f32,
    );
}

// ---------------------------------------------------------------------------
// twins
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn poly32(x: f32, y: f32) -> f32 {
    let mut s = x * y * 3.0 - x / y;
    s += 2.0;
    s *= x;
    s
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn poly64(x: f64, y: f64) -> f64 {
    let mut s = x * y * 3.0 - x / y;
    s += 2.0;
    s *= x;
    s
}

#[test]
fn polynomial_exact_in_f32() {
    // f = (3 x y - x / y + 2) x at (2, 4): s = 24 - 0.5 + 2 = 25.5, f = 51
    assert_eq!(poly32(2.0, 4.0), 51.0f32);
    // f = 3 x^2 y - x^2 / y + 2 x:
    // df/dx = 6 x y - 2 x / y + 2 = 48 - 1 + 2 = 49
    // df/dy = 3 x^2 + x^2 / y^2 = 12 + 0.25 = 12.25
    assert_eq!(poly32_vjp(2.0, 4.0, 1.0), (51.0f32, 49.0f32, 12.25f32));
    assert_eq!(poly32_jvp(2.0, 4.0, 1.0, 1.0), (51.0f32, 61.25f32));
    // H = [[6 y - 2 / y, 6 x + 2 x / y^2], [.., -2 x^2 / y^3]] = [[23.5, 12.25], [12.25, -0.125]]
    assert_eq!(
        poly32_vjp_jvp(2.0, 4.0, 1.0, 1.0, 0.0, 0.0).1,
        (49.0f32, 23.5f32, 12.25f32)
    );
    assert_eq!(
        poly32_jvp_jvp(2.0, 4.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0).1,
        (12.25f32, -0.125f32)
    );
    assert_eq!(
        hessian(
            |x: &[f32], d: f32, t: &[f32], dd: f32| {
                let ((v, a, b), (tv, ta, tb)) = poly32_vjp_jvp(x[0], x[1], d, t[0], t[1], dd);
                ((v, vec![a, b]), (tv, vec![ta, tb]))
            },
            &[2.0f32, 4.0]
        ),
        vec![vec![23.5f32, 12.25], vec![12.25, -0.125]]
    );
    check_twin2(
        (
            poly32,
            poly32_jvp,
            poly32_vjp,
            poly32_vjp_jvp,
            poly32_jvp_jvp,
        ),
        (
            poly64,
            poly64_jvp,
            poly64_vjp,
            poly64_vjp_jvp,
            poly64_jvp_jvp,
        ),
        [0.7, -1.3],
        1e-5,
    );
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn trig32(x: f32, y: f32) -> f32 {
    x.sin() * y.cos() + (0.5 * x).tan() - (0.3 * y).asin()
        + (0.2 * x).acos() * x.atan()
        + y.atan2(x)
        + x.sinh() * y.cosh()
        + (x - y).tanh()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn trig64(x: f64, y: f64) -> f64 {
    x.sin() * y.cos() + (0.5 * x).tan() - (0.3 * y).asin()
        + (0.2 * x).acos() * x.atan()
        + y.atan2(x)
        + x.sinh() * y.cosh()
        + (x - y).tanh()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn expo32(x: f32, y: f32) -> f32 {
    x.exp() * y.exp2() + x.ln() * y.log10() + (x + y).log2() - (x * y).ln_1p()
        + y.exp_m1()
        + x.sqrt() * y.cbrt()
        + x.powi(3)
        + x.powf(y)
        + x.recip()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn expo64(x: f64, y: f64) -> f64 {
    x.exp() * y.exp2() + x.ln() * y.log10() + (x + y).log2() - (x * y).ln_1p()
        + y.exp_m1()
        + x.sqrt() * y.cbrt()
        + x.powi(3)
        + x.powf(y)
        + x.recip()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn misc32(x: f32, y: f32) -> f32 {
    (x - y).abs()
        + x.hypot(y)
        + x.max(y) * x.min(y)
        + x.signum() * y
        + x.mul_add(y, 1.0)
        + (x * y).clamp(-0.5, 0.8)
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn misc64(x: f64, y: f64) -> f64 {
    (x - y).abs()
        + x.hypot(y)
        + x.max(y) * x.min(y)
        + x.signum() * y
        + x.mul_add(y, 1.0)
        + (x * y).clamp(-0.5, 0.8)
}

#[test]
fn every_float_method_in_f32_agrees_with_f64() {
    for p in [[0.7, 1.3], [1.9, 0.4], [0.35, 2.2]] {
        check_twin2(
            (
                trig32,
                trig32_jvp,
                trig32_vjp,
                trig32_vjp_jvp,
                trig32_jvp_jvp,
            ),
            (
                trig64,
                trig64_jvp,
                trig64_vjp,
                trig64_vjp_jvp,
                trig64_jvp_jvp,
            ),
            p,
            2e-5,
        );
        check_twin2(
            (
                expo32,
                expo32_jvp,
                expo32_vjp,
                expo32_vjp_jvp,
                expo32_jvp_jvp,
            ),
            (
                expo64,
                expo64_jvp,
                expo64_vjp,
                expo64_vjp_jvp,
                expo64_jvp_jvp,
            ),
            p,
            2e-5,
        );
        check_twin2(
            (
                misc32,
                misc32_jvp,
                misc32_vjp,
                misc32_vjp_jvp,
                misc32_jvp_jvp,
            ),
            (
                misc64,
                misc64_jvp,
                misc64_vjp,
                misc64_vjp_jvp,
                misc64_jvp_jvp,
            ),
            p,
            2e-5,
        );
    }
    // closed forms in f32
    let (x, y) = (0.7f32, 1.3f32);
    let (_, gx, _) = misc32_vjp(x, y, 1.0);
    // d/dx: -1 (x < y) + x / r + y (min is x, max is y) + 0 + y + 0 (x y = 0.91 > 0.8)
    let r = x.hypot(y);
    let expected = -1.0 + x / r + y + y;
    assert!((gx - expected).abs() <= 1e-6 * expected.abs());
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn flow32(x: f32, y: f32) -> f32 {
    // branches, a while loop with a data-dependent condition, a break
    let mut s = x;
    let mut k = 0;
    while s < 10.0 && k < 20 {
        if s > 0.0 {
            s = s * (1.0 + y * y) + 0.5;
        } else {
            s = -s + y;
        }
        k += 1;
    }
    let mut acc = 0.0;
    let mut c = 0.0;
    for _ in 0..8 {
        c += 1.0;
        acc += (s * 0.1).sin() * c;
        if acc > 3.0 {
            break;
        }
    }
    acc + s
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn flow64(x: f64, y: f64) -> f64 {
    // branches, a while loop with a data-dependent condition, a break
    let mut s = x;
    let mut k = 0;
    while s < 10.0 && k < 20 {
        if s > 0.0 {
            s = s * (1.0 + y * y) + 0.5;
        } else {
            s = -s + y;
        }
        k += 1;
    }
    let mut acc = 0.0;
    let mut c = 0.0;
    for _ in 0..8 {
        c += 1.0;
        acc += (s * 0.1).sin() * c;
        if acc > 3.0 {
            break;
        }
    }
    acc + s
}

#[test]
fn control_flow_in_f32_agrees_with_f64() {
    // points where the f32 and f64 runs take the same branches and counts
    for p in [[0.5, 0.8], [-0.7, 1.5], [2.0, 0.3]] {
        check_twin2(
            (
                flow32,
                flow32_jvp,
                flow32_vjp,
                flow32_vjp_jvp,
                flow32_jvp_jvp,
            ),
            (
                flow64,
                flow64_jvp,
                flow64_vjp,
                flow64_vjp_jvp,
                flow64_jvp_jvp,
            ),
            p,
            5e-5,
        );
    }
}

// ---------------------------------------------------------------------------
// f32 aggregates, calls and casts
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn sumsq32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s + x[0] * x[1]
}

#[test]
fn f32_slice_gradient_and_hessian_exact() {
    let x = [1.0f32, 2.0, 3.0];
    assert_eq!(sumsq32(&x), 16.0);
    assert_eq!(sumsq32_vjp(&x, 1.0), (16.0, vec![4.0, 5.0, 6.0]));
    assert_eq!(gradient(sumsq32_vjp, &x), (16.0, vec![4.0, 5.0, 6.0]));
    assert_eq!(sumsq32_jvp(&x, &[1.0, 1.0, 1.0]), (16.0, 15.0));
    assert_eq!(
        hessian(sumsq32_vjp_jvp, &x),
        vec![
            vec![2.0f32, 1.0, 0.0],
            vec![1.0, 2.0, 0.0],
            vec![0.0, 0.0, 2.0]
        ]
    );
    assert_eq!(
        sumsq32_jvp_jvp(&x, &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0; 3])
            .1
             .1,
        1.0
    );
    assert_gradient(
        sumsq32,
        |p| sumsq32_vjp(p, 1.0).1,
        &[0.3f32, -1.1, 0.8],
        1e-2f32,
    );
}

#[differentiate(forward, reverse)]
fn rot32(a: [f32; 2], t: f32) -> [f32; 2] {
    let c = t.cos();
    let s = t.sin();
    let mut out = [0.0; 2];
    out[0] = c * a[0] - s * a[1];
    out[1] = s * a[0] + c * a[1];
    out
}

#[test]
fn f32_array_parameter_and_return() {
    assert_eq!(rot32([1.0, 2.0], 0.0), [1.0, 2.0]);
    assert_eq!(
        rot32_vjp([1.0, 2.0], 0.0, [1.0, 1.0]),
        ([1.0, 2.0], [1.0, 1.0], -1.0)
    );
    assert_eq!(
        rot32_jvp([1.0, 2.0], 0.0, [0.0, 0.0], 1.0),
        ([1.0, 2.0], [-2.0, 1.0])
    );
    let t = 0.6f32;
    let w = [0.5f32, -1.5];
    let (_, da, dt) = rot32_vjp([1.0, 2.0], t, w);
    let (c, s) = (t.cos(), t.sin());
    assert!((da[0] - (c * w[0] + s * w[1])).abs() < 1e-6);
    assert!((da[1] - (-s * w[0] + c * w[1])).abs() < 1e-6);
    let dt_expected = (-s - 2.0 * c) * w[0] + (c - 2.0 * s) * w[1];
    assert!((dt - dt_expected).abs() < 1e-6);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn rot32_2(a: [f32; 2], t: f32) -> [f32; 2] {
    let c = t.cos();
    let s = t.sin();
    let mut out = [0.0; 2];
    out[0] = c * a[0] - s * a[1];
    out[1] = s * a[0] + c * a[1];
    out
}

#[test]
fn f32_array_second_order() {
    let t = 0.6f32;
    let w = [0.5f32, -1.5];
    assert_eq!(rot32_2([1.0, 2.0], t), rot32([1.0, 2.0], t));
    assert_eq!(
        rot32_2_jvp([1.0, 2.0], t, [0.0; 2], 1.0),
        rot32_jvp([1.0, 2.0], t, [0.0; 2], 1.0)
    );
    // d2/dt2 (w . out) = -(w . out)
    let out = rot32([1.0, 2.0], t);
    let (_, (_, _, dtt)) = rot32_2_vjp_jvp([1.0, 2.0], t, w, [0.0, 0.0], 1.0, [0.0, 0.0]);
    assert!((dtt + (w[0] * out[0] + w[1] * out[1])).abs() < 1e-6);
}

#[differentiate(forward, reverse)]
fn scale32(x: Vec<f32>, k: f32) -> Vec<f32> {
    let mut y = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        y.push(x[i] * k + x[i] * x[i]);
    }
    y
}

#[test]
fn f32_vec_parameter_and_return() {
    let x = vec![1.0f32, -2.0, 0.5];
    assert_eq!(scale32(x.clone(), 3.0), vec![4.0, -2.0, 1.75]);
    // d/dx_i = k + 2 x_i, d/dk = x_i
    let (y, dx, dk) = scale32_vjp(x.clone(), 3.0, &[1.0, 1.0, 1.0]);
    assert_eq!(y, vec![4.0, -2.0, 1.75]);
    assert_eq!(dx, vec![5.0, -1.0, 4.0]);
    assert_eq!(dk, -0.5);
    let (_, t) = scale32_jvp(x.clone(), 3.0, &[1.0, 0.0, 0.0], 1.0);
    assert_eq!(t, vec![6.0, -2.0, 0.5]);
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn inner32(x: f32, y: f32) -> f32 {
    x * y.exp()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn outer32(x: f32, y: f32) -> f32 {
    let mut s = 0.0;
    for _ in 0..3 {
        s = inner32(s + x, y * 0.5);
    }
    s
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn inner64(x: f64, y: f64) -> f64 {
    x * y.exp()
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn outer64(x: f64, y: f64) -> f64 {
    let mut s = 0.0;
    for _ in 0..3 {
        s = inner64(s + x, y * 0.5);
    }
    s
}

#[test]
fn f32_calls_agree_with_f64() {
    assert_eq!(inner32(1.0, 0.0), 1.0);
    assert_eq!(inner64(1.0, 0.0), 1.0);
    for p in [[0.4, 0.3], [-1.2, 0.9]] {
        check_twin2(
            (
                outer32,
                outer32_jvp,
                outer32_vjp,
                outer32_vjp_jvp,
                outer32_jvp_jvp,
            ),
            (
                outer64,
                outer64_jvp,
                outer64_vjp,
                outer64_vjp_jvp,
                outer64_jvp_jvp,
            ),
            p,
            2e-5,
        );
    }
    // x = 1, y = 0: s = 1, 2, 3: f = 3 x, df/dx = 3
    assert_eq!(outer32_vjp(1.0, 0.0, 1.0).1, 3.0);
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn mixed_precision(x: f32, y: f64) -> f32 {
    // computed in f64, returned in f32
    let wide = x as f64;
    let r = (wide * y).sin() + wide * wide;
    r as f32
}

#[test]
fn casts_between_f32_and_f64() {
    let (x, y) = (0.75f32, 1.5f64);
    let w = x as f64;
    let (v, gx, gy) = mixed_precision_vjp(x, y, 1.0);
    assert_eq!(v, ((w * y).sin() + w * w) as f32);
    assert_eq!(mixed_precision(x, y), v);
    // adjoints come back in each parameter's own type
    let gx_expected = ((w * y).cos() * y + 2.0 * w) as f32;
    let gy_expected = (w * y).cos() * w;
    assert!((gx - gx_expected).abs() <= 1e-6 * gx_expected.abs());
    assert!((gy - gy_expected).abs() <= 1e-6 * gy_expected.abs());
    let (_, t) = mixed_precision_jvp(x, y, 1.0, 0.0);
    assert!((t - gx_expected).abs() <= 1e-6 * gx_expected.abs());
    // second order: d2/dx2 = -sin(x y) y^2 + 2
    let h_expected = (-(w * y).sin() * y * y + 2.0) as f32;
    let (_, (_, hxx, _)) = mixed_precision_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    assert!((hxx - h_expected).abs() <= 1e-5 * h_expected.abs());
    let (_, (_, fxx)) = mixed_precision_jvp_jvp(x, y, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0);
    assert!((fxx - h_expected).abs() <= 1e-5 * h_expected.abs());
}

// ---------------------------------------------------------------------------
// one generic program, instantiated at f32 and f64
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn generic<F: Real>(x: F, y: F) -> F {
    let half = F::from_f64(0.5);
    let mut s = F::ZERO;
    for i in 0..4 {
        if s > F::ONE {
            s = s.ln() + y * F::from_usize(i);
        } else {
            s = s * y + x.sin() * half;
        }
    }
    s * s + x.hypot(y) - F::ONE
}

#[test]
fn generic_function_at_f32_and_f64() {
    for p in [[0.6, 1.9], [1.7, -0.4], [-0.8, 2.5]] {
        check_twin2(
            (
                generic::<f32>,
                generic_jvp::<f32>,
                generic_vjp::<f32>,
                generic_vjp_jvp::<f32>,
                generic_jvp_jvp::<f32>,
            ),
            (
                generic::<f64>,
                generic_jvp::<f64>,
                generic_vjp::<f64>,
                generic_vjp_jvp::<f64>,
                generic_jvp_jvp::<f64>,
            ),
            p,
            2e-5,
        );
    }
    // and the f64 instance against the same program written for f64
    let (x, y) = (0.6f64, 1.9f64);
    let mut s = 0.0;
    let mut sx = 0.0;
    let mut sy = 0.0;
    for i in 0..4 {
        if s > 1.0 {
            sx /= s;
            sy = sy / s + i as f64;
            s = s.ln() + y * i as f64;
        } else {
            sx = sx * y + x.cos() * 0.5;
            sy = sy * y + s;
            s = s * y + x.sin() * 0.5;
        }
    }
    let r = x.hypot(y);
    let (v, gx, gy) = generic_vjp(x, y, 1.0);
    assert!((v - (s * s + r - 1.0)).abs() < 1e-15);
    assert!((gx - (2.0 * s * sx + x / r)).abs() < 1e-14);
    assert!((gy - (2.0 * s * sy + y / r)).abs() < 1e-14);
}

macro_rules! twin {
    ($n32:ident, $n64:ident, ($($arg:ident),*) { $($body:tt)* }) => {
        #[differentiate(forward)]
        #[differentiate(forward, reverse)]
        fn $n32($($arg: f32),*) -> f32 { $($body)* }

        #[differentiate(forward)]
        #[differentiate(forward, reverse)]
        fn $n64($($arg: f64),*) -> f64 { $($body)* }
    };
}

twin!(macro32, macro64, (x, y) {
    let mut s = x * y;
    for _ in 0..3 {
        s = (s + x).sin() * y;
    }
    s
});

#[test]
fn twins_from_a_macro() {
    check_twin2(
        (
            macro32,
            macro32_jvp,
            macro32_vjp,
            macro32_vjp_jvp,
            macro32_jvp_jvp,
        ),
        (
            macro64,
            macro64_jvp,
            macro64_vjp,
            macro64_vjp_jvp,
            macro64_jvp_jvp,
        ),
        [0.6, 1.4],
        2e-5,
    );
}
