#![warn(clippy::pedantic)]
// Exact comparisons are the point: these derivatives are exact in floating point.
#![allow(clippy::float_cmp)]
//! `#[custom_derivative]`: the rule is what every caller uses, in both modes,
//! through plain calls, module paths and `use` imports, and at second order.
use differentiate::prelude::*;

// The SPEC's stable division: d(a/b)/db written as -(a/b)/b.
#[differentiate(forward)]
#[custom_derivative(reverse = stable_div_vjp, forward = stable_div_jvp)]
fn stable_div(a: f32, b: f32) -> f32 {
    a / b
}

#[differentiate(forward)]
fn stable_div_vjp(a: f32, b: f32, d_out: f32) -> (f32, f32, f32) {
    let q = a / b;
    (q, d_out / b, -(q / b) * d_out)
}

#[differentiate(forward)]
fn stable_div_jvp(a: f32, b: f32, da: f32, db: f32) -> (f32, f32) {
    let q = a / b;
    (q, da / b - (q / b) * db)
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn twice_ratio(a: f32, b: f32) -> f32 {
    stable_div(a, b) * 2.0
}

// The naive rule, -a/(b*b), for comparison.
#[custom_derivative(reverse = naive_div_vjp, forward = naive_div_jvp)]
fn naive_div(a: f32, b: f32) -> f32 {
    a / b
}

fn naive_div_vjp(a: f32, b: f32, d_out: f32) -> (f32, f32, f32) {
    (a / b, d_out / b, -a / (b * b) * d_out)
}

fn naive_div_jvp(a: f32, b: f32, da: f32, db: f32) -> (f32, f32) {
    (a / b, da / b - a / (b * b) * db)
}

#[differentiate(reverse, forward)]
fn naive_twice_ratio(a: f32, b: f32) -> f32 {
    naive_div(a, b) * 2.0
}

// The built-in division rule is the stable one too.
#[differentiate(reverse, forward)]
fn builtin_twice_ratio(a: f32, b: f32) -> f32 {
    a / b * 2.0
}

#[test]
fn stable_rule_stays_finite_where_naive_division_overflows() {
    let t = 1e-25_f32;
    let (v, da, db) = twice_ratio_vjp(t, t, 1.0);
    assert_eq!(v, 2.0);
    assert_eq!(da, 2.0 / t);
    assert_eq!(db, -2.0 / t);
    assert!(db.is_finite());
    let (_, _, naive_db) = naive_twice_ratio_vjp(t, t, 1.0);
    assert!(
        naive_db.is_infinite() || naive_db.is_nan(),
        "naive: {naive_db}"
    );
    assert_eq!(twice_ratio_jvp(t, t, 0.0, 1.0).1, -2.0 / t);
    assert!(naive_twice_ratio_jvp(t, t, 0.0, 1.0).1.is_infinite());
    assert_eq!(stable_div(6.0, 3.0), 2.0);
    assert_eq!(builtin_twice_ratio_vjp(t, t, 1.0).2, -2.0 / t);
    assert_eq!(builtin_twice_ratio_jvp(t, t, 0.0, 1.0).1, -2.0 / t);
    assert_eq!(
        naive_twice_ratio(1.0, 2.0) + builtin_twice_ratio(1.0, 2.0),
        2.0
    );
}

#[test]
fn second_order_goes_through_the_rules_own_derivatives() {
    // twice_ratio = 2a/b at (2, 4): gradient (2/b, -2a/b^2); Hessian column along b.
    let ((v, ga, gb), (tv, ha, hb)) = twice_ratio_vjp_jvp(2.0, 4.0, 1.0, 0.0, 1.0, 0.0);
    assert_eq!((v, ga, gb), (1.0, 0.5, -0.25));
    assert_eq!((tv, ha, hb), (-0.25, -0.125, 0.125));
    // The rules themselves are ordinary functions with their own derivatives.
    // d/da of the b-adjoint -(a/b^2) d_out is -1/b^2.
    assert_eq!(
        stable_div_vjp_jvp(2.0, 4.0, 1.0, 1.0, 0.0, 0.0).1 .2,
        -1.0 / 16.0
    );
    assert_eq!(
        stable_div_jvp_jvp(2.0, 4.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
            .1
             .1,
        -1.0 / 16.0
    );
}

// A deliberately wrong rule shows that callers really use it.
#[custom_derivative(reverse = marked_vjp, forward = marked_jvp)]
fn marked(x: f64) -> f64 {
    x * x
}

fn marked_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x * x, 1000.0 * d_out)
}

fn marked_jvp(x: f64, dx: f64) -> (f64, f64) {
    (x * x, -1000.0 * dx)
}

mod shapes {
    use differentiate::prelude::*;

    #[custom_derivative(reverse = square_vjp)]
    pub fn square(x: f64) -> f64 {
        x * x
    }

    pub fn square_vjp(x: f64, d_out: f64) -> (f64, f64) {
        (x * x, 7.0 * d_out)
    }
}

use shapes::square;

#[differentiate(reverse, forward)]
fn calls_marked(x: f64) -> f64 {
    marked(x) + 3.0 * x
}

#[differentiate(reverse)]
fn calls_by_path(x: f64) -> f64 {
    shapes::square(x) * 2.0
}

#[differentiate(reverse, forward)]
fn calls_imported(x: f64) -> f64 {
    square(x) + x
}

#[test]
fn callers_use_the_rule_in_both_modes() {
    assert_eq!(calls_marked_vjp(2.0, 1.0), (10.0, 1003.0));
    assert_eq!(calls_marked_jvp(2.0, 1.0), (10.0, -997.0));
    assert_eq!(marked(3.0), 9.0);
    assert_eq!(calls_marked(1.0), 4.0);
}

#[test]
fn rules_are_used_through_module_paths_and_imports() {
    assert_eq!(calls_by_path_vjp(3.0, 1.0), (18.0, 14.0));
    assert_eq!(calls_imported_vjp(3.0, 1.0), (12.0, 8.0));
    // No forward rule: forward mode is derived from the body (2x), not the rule.
    assert_eq!(calls_imported_jvp(3.0, 1.0), (12.0, 7.0));
    assert_eq!(calls_by_path(1.0) + calls_imported(1.0), 4.0);
}

// A body outside the subset is fine when rules cover the modes used.
#[custom_derivative(reverse = opaque_vjp)]
fn opaque(x: f64) -> f64 {
    let c = |v: f64| v.sin();
    c(x)
}

fn opaque_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x.sin(), x.cos() * d_out)
}

#[differentiate(reverse)]
fn calls_opaque(x: f64, y: f64) -> f64 {
    opaque(x * y) * y
}

#[test]
fn a_rule_covers_a_body_the_engine_cannot_differentiate() {
    let (x, y) = (0.3, 1.7);
    let (v, dx, dy) = calls_opaque_vjp(x, y, 1.0);
    assert_eq!(v, (x * y).sin() * y);
    assert!((dx - (x * y).cos() * y * y).abs() < 1e-15);
    assert!((dy - ((x * y).cos() * x * y + (x * y).sin())).abs() < 1e-15);
    assert_eq!(opaque(0.0), 0.0);
}

// `pullback = ...`: a first-order shortcut that keeps what the forward
// computation made; second order still goes through `reverse`.
static CUBE_PULLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[differentiate(forward)]
#[custom_derivative(reverse = cube_vjp, forward = cube_jvp, pullback = cube_pb)]
fn cube(x: f64) -> f64 {
    x * x * x
}

#[differentiate(forward)]
fn cube_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x * x * x, 3.0 * x * x * d_out)
}

#[differentiate(forward)]
fn cube_jvp(x: f64, d_x: f64) -> (f64, f64) {
    (x * x * x, 3.0 * x * x * d_x)
}

fn cube_pb(x: f64) -> (f64, impl FnOnce(f64) -> (f64,)) {
    CUBE_PULLBACKS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let sq = x * x;
    (sq * x, move |d_out| (3.0 * sq * d_out,))
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn cube_then_double(x: f64) -> f64 {
    cube(x) * 2.0
}

#[test]
fn a_pullback_rule_serves_first_order_reverse_and_the_reverse_rule_second_order() {
    let before = CUBE_PULLBACKS.load(std::sync::atomic::Ordering::SeqCst);
    let (v, d) = cube_then_double_vjp(1.5, 1.0);
    assert_eq!((v, d), (6.75, 13.5));
    assert!(CUBE_PULLBACKS.load(std::sync::atomic::Ordering::SeqCst) > before);
    // second derivative 12 x through cube_vjp's own forward derivative
    let ((_, d1), (_, d2)) = cube_then_double_vjp_jvp(1.5, 1.0, 1.0, 0.0);
    assert_eq!((d1, d2), (13.5, 18.0));
}
