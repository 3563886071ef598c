#![warn(clippy::pedantic)]
// Exact comparisons are the point: these derivatives are exact in floating point.
#![allow(clippy::float_cmp)]
//! The examples SPEC.md states with their numbers.
use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, y: f64) -> f64 {
    (x + y) * (y + 3.0)
}

#[differentiate(forward)]
fn g(x: f64, y: f64) -> f64 {
    x.ln() + x * y - y.sin()
}

#[test]
fn reverse_partials_are_exact() {
    assert_eq!(f_vjp(1.0, 2.0, 1.0), (15.0, 5.0, 8.0));
}

#[test]
fn forward_partials_are_exact() {
    assert_eq!(g_jvp(2.0, 5.0, 1.0, 0.0).1, 5.5);
    assert_eq!(g_jvp(2.0, 5.0, 0.0, 1.0).1, 2.0 - 5.0_f64.cos());
}
