//! Every generated item must be warning-free in a user's crate.
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn product(x: f64, y: f64) -> f64 {
    (x + y) * (y + 3.0)
}

#[differentiate(forward)]
fn mixed(x: f64, y: f64) -> f64 {
    x.ln() + x * y - y.sin()
}

#[differentiate(forward, reverse)]
fn both(x: f32, y: f32) -> f32 {
    let mut s = x;
    s *= y;
    s.exp() / (1.0 + y * y)
}

#[differentiate(reverse, wrt(w))]
fn weighted(w: f64, x: f64, n: usize) -> f64 {
    let mut acc = 0.0;
    for _ in 0..n {
        acc += w * x;
    }
    acc
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn cube(x: f64) -> f64 {
    x * x * x
}

#[differentiate(reverse)]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * y[i];
    }
    s
}

#[differentiate(reverse)]
fn branch(x: f64) -> f64 {
    if x > 0.0 {
        x * x
    } else {
        -x
    }
}

#[differentiate(forward, reverse)]
fn calls_other(x: f64, y: f64) -> f64 {
    product(x, y) * 2.0 + x
}

mod inner {
    use differentiate::prelude::*;

    #[differentiate(forward, reverse)]
    pub fn scaled(x: f64) -> f64 {
        3.0 * x
    }
}

use inner::scaled;

#[differentiate(reverse)]
fn uses_import(x: f64) -> f64 {
    scaled(x) * x
}

fn main() {
    assert_eq!(product(1.0, 2.0), 15.0);
    assert_eq!(product_vjp(1.0, 2.0, 1.0), (15.0, 5.0, 8.0));
    assert_eq!(product_jvp(1.0, 2.0, 1.0, 0.0).1, 5.0);
    assert_eq!(mixed_jvp(2.0, 5.0, 1.0, 0.0).1, 5.5);
    let _ = both(1.0, 2.0);
    let _ = both_jvp(1.0, 2.0, 1.0, 0.0);
    let _ = both_vjp(1.0, 2.0, 1.0);
    let (v, dw) = weighted_vjp(2.0, 3.0, 4, 1.0);
    assert_eq!((v, dw), (24.0, 12.0));
    assert_eq!(weighted(2.0, 3.0, 4), 24.0);
    assert_eq!(cube(2.0), 8.0);
    assert_eq!(cube_vjp(2.0, 1.0).1, 12.0);
    assert_eq!(cube_jvp(2.0, 1.0).1, 12.0);
    // forward over reverse: d/dx (3 x^2) = 6 x
    assert_eq!(cube_vjp_jvp(2.0, 1.0, 1.0, 0.0).1 .1, 12.0);
    let (s, dx, dy) = dot_vjp(&[1.0, 2.0], &[3.0, 4.0], 1.0);
    assert_eq!((s, dx, dy), (11.0, vec![3.0, 4.0], vec![1.0, 2.0]));
    assert_eq!(branch(-1.0), 1.0);
    assert_eq!(branch_vjp(3.0, 1.0).1, 6.0);
    assert_eq!(calls_other(1.0, 2.0), 31.0);
    assert_eq!(calls_other_vjp(1.0, 2.0, 1.0), (31.0, 11.0, 16.0));
    assert_eq!(calls_other_jvp(1.0, 2.0, 1.0, 0.0).1, 11.0);
    assert_eq!(inner::scaled_jvp(1.0, 1.0).1, 3.0);
    assert_eq!(inner::scaled_vjp(1.0, 1.0).1, 3.0);
    assert_eq!(uses_import_vjp(2.0, 1.0), (12.0, 12.0));
}
