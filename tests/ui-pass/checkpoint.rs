//! A checkpointed loop leaves no warning in a user's crate: the primal keeps
//! using the segment length it no longer carries as an attribute, and the
//! generated segments compile cleanly, called directly and as a pullback.
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn decay(y0: f64, rate: f64, steps: usize, every: usize) -> f64 {
    let mut y = y0;
    #[checkpoint(every = every)]
    for _ in 0..steps {
        y -= 0.01 * rate * y.sin();
    }
    y
}

#[differentiate(reverse)]
fn sqrt_segments(x: &[f64], steps: usize) -> f64 {
    let mut h = vec![0.0; x.len()];
    #[checkpoint]
    for t in 0..steps {
        for i in 0..x.len() {
            h[i] = (h[i] + x[i] * (t as f64)).tanh();
        }
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i];
    }
    s
}

#[differentiate(reverse)]
fn caller(y0: f64, rate: f64) -> f64 {
    decay(y0, rate, 50, 7) * decay(rate, y0, 20, 3)
}

fn main() {
    let (v, dy0, drate) = decay_vjp(1.0, 0.5, 100, 9, 1.0);
    assert_eq!(v, decay(1.0, 0.5, 100, 9));
    assert!(dy0 > 0.0 && drate < 0.0);
    let (_, g) = sqrt_segments_vjp(&[0.1, -0.2, 0.3], 25, 1.0);
    assert_eq!(g.len(), 3);
    let (_, a, b) = caller_vjp(1.0, 0.5, 1.0);
    assert!(a.is_finite() && b.is_finite());
}
