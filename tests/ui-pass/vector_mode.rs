//! Vector mode's generated items are warning-free in a user's crate too,
//! including the per-lane adapters every `#[custom_derivative]` gets.
#![deny(warnings)]

use differentiate::prelude::*;

#[custom_derivative(forward = clipped_jvp)]
fn clipped(x: f64) -> f64 {
    x.min(1.0)
}

fn clipped_jvp(x: f64, d_x: f64) -> (f64, f64) {
    if x < 1.0 {
        (x, d_x)
    } else {
        (1.0, 0.0)
    }
}

#[custom_derivative(reverse = unused_rule_vjp)]
fn unused_rule(x: f64) -> f64 {
    x * 2.0
}

fn unused_rule_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x * 2.0, 2.0 * d_out)
}

#[differentiate(forward, reverse, vector)]
fn helper(x: &[f64], i: usize) -> f64 {
    x[i] * x[i]
}

#[differentiate(forward, vector)]
#[differentiate(reverse)]
fn total<F: Real>(x: &[F]) -> F {
    let mut s = F::ZERO;
    for i in 0..x.len() {
        s += x[i].sin();
    }
    s
}

#[differentiate(forward, reverse, vector)]
fn map(x: &[f64], scale: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        out.push(clipped(x[i] * scale) + helper(x, i));
    }
    out
}

fn main() {
    let x = [0.2, 0.9, 1.4];
    let d = [Lanes::<f64, 2>::unit(0), Lanes::unit(1), Lanes::zero()];
    let (_, t) = map_jvp_vec(&x, 2.0, &d, Lanes::zero());
    assert_eq!(t.len(), 3);
    let (_, t) = total_jvp_vec(&x, &d);
    assert_eq!(t[0], 0.2_f64.cos());
    let ((_, g), _) = total_vjp_jvp_vec(&x, 1.0, &d, Lanes::zero());
    assert_eq!(g.len(), 3);
    assert_eq!(unused_rule(1.0), 2.0);
}
