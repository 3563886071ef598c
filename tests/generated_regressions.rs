//! One test per engine bug the random-program generator (`tools/progen`,
//! see docs/TESTING.md) found, named after it (the F-series; F16 is the front-end
//! fuzzer's, in autodiff-macros/src/fuzz.rs, and F15 is in tests/regressions.rs).
//! Each is the generated program minimised by hand, checked against closed forms.
#![allow(clippy::float_cmp)] // the derivatives below are exact
use differentiate::prelude::*;
use differentiate::testing::approx_eq;

#[track_caller]
fn close(got: f64, want: f64) {
    assert!(
        approx_eq(got, want, 1e-14, 1e-14),
        "got {got:e}, want {want:e}"
    );
}

// F7: an output that depends on the active inputs only through steps
// (`floor`, `round`, a constant), in a function with a slice parameter.
// Forward mode built the zero tangent of such an output from the value
// after moving the value into the pair (E0382 in `_vjp_jvp`, whose output
// holds the slice's adjoint `Vec`), and an early `return` of an inactive
// value built it from the function's final result, a temporary not in
// scope at the `return` (E0425).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f7_stepped(x: f64, s: &[f64]) -> f64 {
    if x > 1.0 {
        return (x * s[1]).floor();
    }
    (x * s[0]).round() * 2.0
}

#[differentiate(forward)]
fn f7_rows(x: f64, k: usize) -> Vec<f64> {
    if k == 0 {
        return vec![1.0, 2.0];
    }
    vec![x, x * x]
}

#[differentiate(forward)]
fn f7_rows_late(x: f64, k: usize) -> Vec<f64> {
    if k == 0 {
        return vec![x, 2.0];
    }
    vec![1.0, 3.0]
}

#[test]
fn f7_inactive_output() {
    // piecewise constant in (x, s): every derivative is zero, on both returns
    let zero = (0.0, 0.0, vec![0.0, 0.0]);
    let ((v, a, b), t) = f7_stepped_vjp_jvp(3.0, &[1.0, 2.5], 1.0, 1.0, &[1.0, 1.0], 1.0);
    assert_eq!(((v, a, b), t), ((7.0, 0.0, vec![0.0, 0.0]), zero.clone()));
    let ((v, a, b), t) = f7_stepped_vjp_jvp(0.5, &[1.4, 0.0], -2.0, 1.0, &[1.0, 1.0], 3.0);
    assert_eq!(((v, a, b), t), ((2.0, 0.0, vec![0.0, 0.0]), zero));
    assert_eq!(
        f7_stepped_vjp(0.5, &[1.4, 0.0], 1.0),
        (2.0, 0.0, vec![0.0, 0.0])
    );
    assert_eq!(
        f7_stepped_jvp(0.5, &[1.4, 0.0], 1.0, &[1.0, 1.0]),
        (2.0, 0.0)
    );
    // an inactive early return, then an active result (and the other way round)
    assert_eq!(f7_rows_jvp(3.0, 0, 1.0), (vec![1.0, 2.0], vec![0.0, 0.0]));
    assert_eq!(f7_rows_jvp(3.0, 1, 1.0), (vec![3.0, 9.0], vec![1.0, 6.0]));
    assert_eq!(
        f7_rows_late_jvp(3.0, 0, 1.0),
        (vec![3.0, 2.0], vec![1.0, 0.0])
    );
    assert_eq!(
        f7_rows_late_jvp(3.0, 1, 1.0),
        (vec![1.0, 3.0], vec![0.0, 0.0])
    );
    assert_eq!(f7_stepped(0.5, &[1.4, 0.0]) + f7_rows(1.0, 0)[1], 4.0);
}

// F17: a tuple holding a call's result, after an early `return` (so the
// function's body is a block of the reverse sweep). The reverse sweep
// rebuilds the tuple at the start of its block (the zero of its adjoint is
// built from it) but recomputed the tuple's other element only later, at
// its last reader: `cannot find value sin_3` (or `t80`, `recip_39`, ...),
// in `_vjp` and `_vjp_jvp` alike.
#[differentiate(forward)]
#[differentiate(reverse)]
fn f17_product(x: f64, y: f64) -> f64 {
    x * y
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f17_tuple_after_return(x: f64, y: f64) -> f64 {
    if x > 1.0 {
        return x;
    }
    let (a, b) = (f17_product(y, x), x.sin());
    a * b
}

#[test]
fn f17_tuple_after_an_early_return() {
    // f = x y sin x (x <= 1)
    let (x, y) = (0.5, 2.0);
    let (s, c) = (x.sin(), x.cos());
    let (fx, fy) = (y * s + x * y * c, x * s);
    let (v, gx, gy) = f17_tuple_after_return_vjp(x, y, 1.0);
    close(v, x * y * s);
    close(gx, fx);
    close(gy, fy);
    close(f17_tuple_after_return_jvp(x, y, 1.0, 0.0).1, fx);
    close(f17_tuple_after_return_jvp(x, y, 0.0, 1.0).1, fy);
    // Hessian columns: f_xx = 2 y c - x y s, f_xy = s + x c, f_yy = 0
    let (hxx, hxy) = (2.0 * y * c - x * y * s, s + x * c);
    let ((_, ax, ay), (_, hx0, hx1)) = f17_tuple_after_return_vjp_jvp(x, y, 1.0, 1.0, 0.0, 0.0);
    assert_eq!((ax, ay), (gx, gy));
    close(hx0, hxx);
    close(hx1, hxy);
    let ((_, _, _), (_, hy0, hy1)) = f17_tuple_after_return_vjp_jvp(x, y, 1.0, 0.0, 1.0, 0.0);
    close(hy0, hxy);
    assert_eq!(hy1, 0.0);
    // the early return: f = x
    assert_eq!(f17_tuple_after_return_vjp(2.0, 3.0, 1.0), (2.0, 1.0, 0.0));
    assert_eq!(
        f17_tuple_after_return_vjp_jvp(2.0, 3.0, 1.0, 1.0, 1.0, 0.0),
        ((2.0, 1.0, 0.0), (1.0, 0.0, 0.0))
    );
    assert_eq!(
        f17_tuple_after_return(2.0, 0.0) + f17_product(1.0, 2.0),
        4.0
    );
}

// F18: a float method in path form on a local bound only to a literal
// (`let c = -1.59; f64::fract(c)`). The path types `c`; the method form of
// A-normal form (`c.fract()`) left it an ambiguous `{float}` (E0689).
#[differentiate(forward)]
#[differentiate(reverse)]
fn f18_literal_locals(x: f64) -> f64 {
    let c = -1.59;
    let w = 0.5;
    f64::fract(c) * x + f64::sin(w) * x * x
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f18_literal_receiver_f32(x: f32) -> f32 {
    let c = 3.0;
    f32::hypot(c, x)
}

#[test]
fn f18_path_form_method_of_a_literal_local() {
    let (c, s) = ((-1.59f64).fract(), 0.5f64.sin());
    let x = 0.75;
    // f = c x + s x^2, f' = c + 2 s x, f'' = 2 s
    let (v, g) = f18_literal_locals_vjp(x, 1.0);
    close(v, c * x + s * x * x);
    close(g, c + 2.0 * s * x);
    close(f18_literal_locals_jvp(x, 1.0).1, c + 2.0 * s * x);
    let ((_, g2), (_, h)) = f18_literal_locals_vjp_jvp(x, 1.0, 1.0, 0.0);
    assert_eq!(g2, g);
    close(h, 2.0 * s);
    // hypot(3, x): derivative x / hypot(3, x) (f32 throughout)
    let (v, g) = f18_literal_receiver_f32_vjp(4.0, 1.0);
    assert_eq!((v, g), (5.0, 0.8));
    assert_eq!(f18_literal_receiver_f32_jvp(4.0, 2.0), (5.0, 1.6));
    // d/dx (x / hypot) = 9 / hypot^3
    let ((_, _), (_, h)) = f18_literal_receiver_f32_vjp_jvp(4.0, 1.0, 1.0, 0.0);
    assert!((h - 9.0 / 125.0).abs() <= 1e-7, "{h}");
    assert_eq!(
        f18_literal_locals(0.0) + f18_literal_receiver_f32(0.0) as f64,
        3.0
    );
}
