//! Differentiated functions in a module of their own, called from
//! `tests/calls.rs` by path (`calls_helpers::scale(x)`) and imported with
//! `use` (importing `f` brings `f`'s derivative entries along: they live in a
//! module named `f`).
use differentiate::prelude::*;

/// `x^2 sin(y)`.
#[differentiate(forward, reverse)]
#[differentiate(forward, reverse)]
pub fn wave(x: f64, y: f64) -> f64 {
    x * x * y.sin()
}

/// `k x^3`, differentiated with respect to `x` only.
#[differentiate(forward, wrt(x))]
#[differentiate(forward, reverse, wrt(x))]
pub fn scaled_cube(x: f64, k: f64) -> f64 {
    k * x * x * x
}

/// `sum_i w_i x_i^2` over slices.
#[differentiate(forward)]
#[differentiate(forward, reverse)]
pub fn weighted_norm(w: &[f64], x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += w[i] * x[i] * x[i];
    }
    s
}

/// A nested module: calls reach it as `calls_helpers::inner::smooth`.
pub mod inner {
    use differentiate::prelude::*;

    /// `ln(1 + e^x)`, calling a sibling in its own module.
    #[differentiate(forward, reverse)]
    #[differentiate(forward, reverse)]
    pub fn smooth(x: f64) -> f64 {
        softplus_core(x)
    }

    #[differentiate(forward, reverse)]
    #[differentiate(forward, reverse)]
    pub fn softplus_core(x: f64) -> f64 {
        if x > 0.0 {
            x + (-x).exp().ln_1p()
        } else {
            x.exp().ln_1p()
        }
    }
}
