//! Edge cases: the documented conventions at non-differentiable points
//! (`abs'(0) = 0`, `max`/`min` ties to the first argument, `sqrt'(0) = +inf`,
//! `signum' = 0`, `clamp` at its bounds, `floor`-like methods), `wrt(...)`
//! restricting the active parameters, user variables named like generated
//! ones, empty inputs and zero-trip loops, infinities, and the shape checks on
//! tangents and seeds.
#![allow(
    clippy::assign_op_pattern,
    clippy::needless_range_loop,
    clippy::let_and_return
)]

use differentiate::prelude::*;
use differentiate::testing::{approx_eq, assert_gradient, assert_jvp_vs_vjp};

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

// ---------------------------------------------------------------------------
// non-differentiable points
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn abs_of(x: f64) -> f64 {
    x.abs()
}

#[test]
fn abs_derivative_at_zero_is_zero() {
    assert_eq!(abs_of(0.0), 0.0);
    assert_eq!(abs_of_vjp(0.0, 1.0), (0.0, 0.0));
    assert_eq!(abs_of_jvp(0.0, 1.0), (0.0, 0.0));
    assert_eq!(abs_of_vjp_jvp(0.0, 1.0, 1.0, 0.0).1, (0.0, 0.0));
    assert_eq!(abs_of_jvp_jvp(0.0, 1.0, 1.0, 0.0), ((0.0, 0.0), (0.0, 0.0)));
    // -0.0 too
    assert_eq!(abs_of_vjp(-0.0, 1.0).1, 0.0);
    assert_eq!(abs_of_jvp(-0.0, 1.0).1, 0.0);
    // and +-1 either side
    assert_eq!(abs_of_vjp(1e-300, 1.0).1, 1.0);
    assert_eq!(abs_of_vjp(-1e-300, 1.0).1, -1.0);
    assert_eq!(abs_of_jvp(-1e-300, 1.0).1, -1.0);
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn max_of(x: f64, y: f64) -> f64 {
    x.max(y)
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn min_of(x: f64, y: f64) -> f64 {
    f64::min(x, y)
}

#[differentiate(forward, reverse)]
fn relu_like(x: f64) -> f64 {
    // the first argument wins ties: d/dx at 0 is 1 here ...
    x.max(0.0)
}

#[differentiate(forward, reverse)]
fn relu_other_way(x: f64) -> f64 {
    // ... and 0 here, where the constant is the first argument
    let zero = 0.0;
    zero.max(x)
}

#[test]
fn max_min_ties_go_to_the_first_argument() {
    for &t in &[0.0, 1.5, -2.0] {
        assert_eq!(max_of_vjp(t, t, 1.0), (t, 1.0, 0.0));
        assert_eq!(min_of_vjp(t, t, 1.0), (t, 1.0, 0.0));
        assert_eq!(max_of_jvp(t, t, 1.0, 0.0), (t, 1.0));
        assert_eq!(max_of_jvp(t, t, 0.0, 1.0), (t, 0.0));
        assert_eq!(min_of_jvp(t, t, 0.0, 1.0), (t, 0.0));
        assert_eq!(min_of_jvp(t, t, 3.0, 1.0), (t, 3.0));
        // the seed's tangent follows the same rule at second order
        assert_eq!(
            max_of_vjp_jvp(t, t, 1.0, 0.0, 0.0, 1.0),
            ((t, 1.0, 0.0), (0.0, 1.0, 0.0))
        );
        assert_eq!(
            min_of_vjp_jvp(t, t, 1.0, 0.0, 0.0, 1.0),
            ((t, 1.0, 0.0), (0.0, 1.0, 0.0))
        );
        assert_eq!(
            max_of_jvp_jvp(t, t, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0).0,
            (t, 1.0)
        );
    }
    assert_eq!(max_of(1.0, 2.0), 2.0);
    assert_eq!(min_of(1.0, 2.0), 1.0);
    // away from ties the larger (smaller) one gets everything
    assert_eq!(max_of_vjp(1.0, 2.0, 1.0), (2.0, 0.0, 1.0));
    assert_eq!(min_of_vjp(1.0, 2.0, 1.0), (1.0, 1.0, 0.0));
    // relu written as x.max(0) and 0.max(x)
    assert_eq!(relu_like_vjp(0.0, 1.0), (0.0, 1.0));
    assert_eq!(relu_like_jvp(0.0, 1.0), (0.0, 1.0));
    assert_eq!(relu_other_way_vjp(0.0, 1.0), (0.0, 0.0));
    assert_eq!(relu_other_way_jvp(0.0, 1.0), (0.0, 0.0));
    assert_eq!(relu_like(-1.0), 0.0);
    assert_eq!(relu_other_way(-1.0), 0.0);
    assert_eq!(relu_other_way_vjp(2.0, 1.0), (2.0, 1.0));
    assert_eq!(relu_other_way_vjp(-2.0, 1.0), (0.0, 0.0));
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn sqrt_of(x: f64) -> f64 {
    x.sqrt()
}

#[test]
fn sqrt_derivative_at_zero_is_plus_infinity() {
    assert_eq!(sqrt_of(0.0), 0.0);
    assert_eq!(sqrt_of_vjp(0.0, 1.0), (0.0, f64::INFINITY));
    assert_eq!(sqrt_of_jvp(0.0, 1.0), (0.0, f64::INFINITY));
    // a positive seed keeps the sign
    assert_eq!(sqrt_of_vjp(0.0, 2.0).1, f64::INFINITY);
    assert_eq!(sqrt_of_jvp(0.0, 0.5).1, f64::INFINITY);
    // near zero, large and finite
    let (_, d) = sqrt_of_vjp(1e-300, 1.0);
    assert!(d.is_finite() && d > 1e149);
    // second derivative -1/(4 x^(3/2)) at 4: -1/32
    assert_eq!(sqrt_of_vjp_jvp(4.0, 1.0, 1.0, 0.0).1, (0.25, -1.0 / 32.0));
    assert_eq!(sqrt_of_jvp_jvp(4.0, 1.0, 1.0, 0.0).1, (0.25, -1.0 / 32.0));
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn piecewise_constant(x: f64) -> f64 {
    // signum, floor, ceil, round, trunc: derivative 0; fract: derivative 1
    x.signum() + x.floor() + x.ceil() + x.round() + x.trunc() + x.fract() * x
}

#[test]
fn signum_floor_ceil_round_trunc_have_zero_derivative() {
    for &x in &[0.0f64, 2.5, -1.25, 3.0] {
        let fr = x.fract();
        // d/dx (fract(x) x) = x + fract(x)
        assert_eq!(piecewise_constant_vjp(x, 1.0).1, x + fr);
        assert_eq!(piecewise_constant_jvp(x, 1.0).1, x + fr);
        // d2/dx2 = 2
        assert_eq!(piecewise_constant_vjp_jvp(x, 1.0, 1.0, 0.0).1 .1, 2.0);
        assert_eq!(piecewise_constant_jvp_jvp(x, 1.0, 1.0, 0.0).1 .1, 2.0);
    }
    assert_eq!(
        piecewise_constant(2.5),
        1.0 + 2.0 + 3.0 + 3.0 + 2.0 + 0.5 * 2.5
    );
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn clamp_of(x: f64, lo: f64) -> f64 {
    x.clamp(lo, 2.0)
}

#[test]
fn clamp_passes_the_derivative_only_strictly_inside() {
    // inside
    assert_eq!(clamp_of_vjp(1.0, 0.0, 1.0), (1.0, 1.0, 0.0));
    assert_eq!(clamp_of_jvp(1.0, 0.0, 1.0, 0.0), (1.0, 1.0));
    // on the bounds: nothing to x
    assert_eq!(clamp_of_vjp(0.0, 0.0, 1.0).1, 0.0);
    assert_eq!(clamp_of_vjp(2.0, 0.0, 1.0).1, 0.0);
    assert_eq!(clamp_of_jvp(0.0, 0.0, 1.0, 0.0).1, 0.0);
    assert_eq!(clamp_of_jvp(2.0, 0.0, 1.0, 0.0).1, 0.0);
    // below: everything to lo
    assert_eq!(clamp_of_vjp(-1.0, 0.0, 1.0), (0.0, 0.0, 1.0));
    assert_eq!(clamp_of_jvp(-1.0, 0.0, 0.0, 1.0), (0.0, 1.0));
    // the two modes agree everywhere, including on the bounds
    for p in [[1.0, 0.0], [0.0, 0.0], [2.0, 0.0], [-1.0, 0.0], [3.0, 0.5]] {
        assert_jvp_vs_vjp(
            |q: &[f64], t: &[f64]| vec![clamp_of_jvp(q[0], q[1], t[0], t[1]).1],
            |q: &[f64], w: &[f64]| {
                let (_, a, b) = clamp_of_vjp(q[0], q[1], w[0]);
                vec![a, b]
            },
            &p,
            1,
            3,
            1e-15,
        );
        let (_, (_, a, b)) = clamp_of_vjp_jvp(p[0], p[1], 1.0, 1.0, 1.0, 0.0);
        assert_eq!((a, b), (0.0, 0.0));
        assert_eq!(
            clamp_of_jvp_jvp(p[0], p[1], 1.0, 1.0, 1.0, 1.0, 0.0, 0.0)
                .1
                 .1,
            0.0
        );
    }
    assert_eq!(clamp_of(5.0, 0.0), 2.0);
}

#[differentiate(forward, reverse)]
fn log_of(x: f64) -> f64 {
    x.ln()
}

#[test]
fn infinities_propagate() {
    // ln at 0: value -inf, derivative +inf
    assert_eq!(log_of_vjp(0.0, 1.0), (f64::NEG_INFINITY, f64::INFINITY));
    assert_eq!(log_of_jvp(0.0, 1.0), (f64::NEG_INFINITY, f64::INFINITY));
    assert_eq!(log_of(1.0), 0.0);
    // a NaN input gives NaN derivatives, not a panic
    assert!(log_of_vjp(f64::NAN, 1.0).1.is_nan());
    assert!(log_of_jvp(-1.0, 1.0).0.is_nan());
}

// ---------------------------------------------------------------------------
// wrt(...) restricting the active parameters
// ---------------------------------------------------------------------------

#[differentiate(forward, reverse, wrt(x))]
fn only_x(x: f64, y: f64) -> f64 {
    x * x * y
}

#[differentiate(forward, reverse, wrt(a, c))]
fn a_and_c(a: f64, b: f64, c: [f64; 2], n: usize) -> f64 {
    let mut s = a * b;
    for i in 0..n {
        s += c[i % 2] * a;
    }
    s * b
}

#[differentiate(forward)]
#[differentiate(reverse, wrt(y))]
fn only_y_then_forward(x: f64, y: f64) -> f64 {
    x.exp() * y * y
}

#[test]
fn wrt_restricts_the_active_parameters() {
    // only x: one adjoint, one tangent
    assert_eq!(only_x_vjp(3.0, 2.0, 1.0), (18.0, 12.0));
    assert_eq!(only_x_jvp(3.0, 2.0, 1.0), (18.0, 12.0));
    assert_eq!(only_x(3.0, 2.0), 18.0);
    // a and c (b is a float but not active, n is never active):
    // f = (a b + a (n_even c0 + n_odd c1)) b
    let c = [0.5, -1.0];
    // n = 3: c0 twice, c1 once: s = a b + a (2 c0 + c1) = a b + 0
    let (v, da, dc) = a_and_c_vjp(2.0, 3.0, c, 3, 1.0);
    assert_eq!(v, (2.0 * 3.0 + 2.0 * (2.0 * 0.5 - 1.0)) * 3.0);
    assert_eq!(da, (3.0 + 0.0) * 3.0);
    assert_eq!(dc, [2.0 * 2.0 * 3.0, 2.0 * 3.0]);
    let (_, t) = a_and_c_jvp(2.0, 3.0, c, 3, 1.0, [0.0, 0.0]);
    assert_eq!(t, 9.0);
    let (_, t) = a_and_c_jvp(2.0, 3.0, c, 3, 0.0, [1.0, 1.0]);
    assert_eq!(t, 12.0 + 6.0);
    assert_eq!(a_and_c(2.0, 3.0, c, 0), 18.0);
    // forward over a reverse restricted to y: the outer level sees x, y and d_out
    // f = e^x y^2: d/dy = 2 e^x y; along x: 2 e^x y; along y: 2 e^x
    let (x, y) = (0.5f64, 3.0);
    let ((v, gy), (tv, tgy)) = only_y_then_forward_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    close(v, x.exp() * 9.0, 1e-15);
    close(gy, 2.0 * x.exp() * y, 1e-15);
    close(tv, x.exp() * 9.0, 1e-15);
    close(tgy, 2.0 * x.exp() * y, 1e-15);
    let (_, (_, tgy)) = only_y_then_forward_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
    close(tgy, 2.0 * x.exp(), 1e-15);
    // the outer forward is unrestricted: jvp takes both tangents
    close(
        only_y_then_forward_jvp(x, y, 1.0, 1.0).1,
        x.exp() * 9.0 + 2.0 * x.exp() * y,
        1e-15,
    );
    assert_eq!(only_y_then_forward(0.0, 1.0), 1.0);
}

// ---------------------------------------------------------------------------
// user variables named like the generated ones
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn collisions(x: f64, d_x: f64) -> f64 {
    // `d_x` is a parameter; the tangent of `x` would naturally be called that
    let value = x * d_x;
    let t1 = value + x;
    let t2 = t1 * t1;
    let mut iters = 0.0;
    let mut go = true;
    let mut s_stack = t2;
    let mut returned = 0.0;
    for i in 0..3 {
        iters += 1.0;
        if go && i == 1 {
            go = false;
            s_stack = s_stack * x;
        }
        returned += s_stack * iters;
    }
    let d_out = returned;
    let flag = if go { 1 } else { 0 };
    let arm = match flag {
        0 => d_out * 2.0,
        _ => d_out,
    };
    let skip = arm - value;
    let ret_val = skip;
    let d_x_new = ret_val + d_x;
    d_x_new
}

fn collisions_by_hand(x: f64, y: f64) -> f64 {
    // t2 = (x y + x)^2, s = t2, then t2 x from the second iteration:
    // returned = t2 + 2 t2 x + 3 t2 x; doubled; minus x y; plus y
    let t2 = (x * y + x) * (x * y + x);
    let returned = t2 + 5.0 * t2 * x;
    2.0 * returned - x * y + y
}

#[test]
fn user_names_that_look_generated() {
    for p in [[1.0, 2.0], [-0.5, 0.3], [0.7, -1.2]] {
        let (x, y) = (p[0], p[1]);
        close(collisions(x, y), collisions_by_hand(x, y), 1e-14);
        assert_gradient(
            |q: &[f64]| collisions(q[0], q[1]),
            |q| {
                let (_, a, b) = collisions_vjp(q[0], q[1], 1.0);
                vec![a, b]
            },
            &p,
            1e-7,
        );
        assert_jvp_vs_vjp(
            |q: &[f64], t: &[f64]| vec![collisions_jvp(q[0], q[1], t[0], t[1]).1],
            |q: &[f64], w: &[f64]| {
                let (_, a, b) = collisions_vjp(q[0], q[1], w[0]);
                vec![a, b]
            },
            &p,
            1,
            4,
            1e-13,
        );
        // second order: forward over reverse against forward over forward
        let (_, (_, hxy, hyy)) = collisions_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
        let (_, (_, fxy)) = collisions_jvp_jvp(x, y, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        let (_, (_, fyy)) = collisions_jvp_jvp(x, y, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0);
        close(hxy, fxy, 1e-12);
        close(hyy, fyy, 1e-12);
    }
    // exact at (1, 2): t2 = 9, returned = 9 + 45 = 54, f = 108 - 2 + 2 = 108
    assert_eq!(collisions(1.0, 2.0), 108.0);
    // df/dy = 2 (1 + 5x) * 2 (x y + x) x - x + 1 = 2 * 6 * 6 - 1 + 1 = 72
    assert_eq!(collisions_vjp(1.0, 2.0, 1.0).2, 72.0);
    assert_eq!(collisions_jvp(1.0, 2.0, 0.0, 1.0).1, 72.0);
}

// ---------------------------------------------------------------------------
// empty inputs, zero-trip loops, shape checks
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn total(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i] * x[i];
    }
    s
}

#[test]
fn empty_slices() {
    assert_eq!(total(&[]), 0.0);
    assert_eq!(total_vjp(&[], 1.0), (0.0, vec![]));
    assert_eq!(total_jvp(&[], &[]), (0.0, 0.0));
    assert_eq!(
        total_vjp_jvp(&[], 1.0, &[], 0.0),
        ((0.0, vec![]), (0.0, vec![]))
    );
    assert_eq!(total_vjp(&[2.0], 1.0), (8.0, vec![12.0]));
    assert_eq!(
        total_jvp_jvp(&[2.0], &[1.0], &[1.0], &[0.0]).1,
        (12.0, 12.0)
    );
}

#[test]
#[should_panic(expected = "length")]
fn a_tangent_of_the_wrong_length_panics() {
    let _ = total_jvp(&[1.0, 2.0], &[1.0]);
}

#[differentiate(forward, reverse)]
fn doubled(x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; x.len()];
    for i in 0..x.len() {
        y[i] = 2.0 * x[i];
    }
    y
}

#[test]
#[should_panic(expected = "length")]
fn a_seed_of_the_wrong_length_panics() {
    assert_eq!(doubled(&[1.0]), vec![2.0]);
    let _ = doubled_vjp(&[1.0, 2.0], &[1.0, 1.0, 1.0]);
}

#[test]
fn vec_seeds_and_tangents_of_the_right_length() {
    assert_eq!(
        doubled_vjp(&[1.0, 2.0], &[1.0, -1.0]),
        (vec![2.0, 4.0], vec![2.0, -2.0])
    );
    assert_eq!(
        doubled_jvp(&[1.0, 2.0], &[0.5, 1.0]),
        (vec![2.0, 4.0], vec![1.0, 2.0])
    );
}
