//! Two stacked `forward` give second derivatives (SPEC.md "Stacking").
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward)]
#[differentiate(forward)]
fn wave(x: f64) -> f64 {
    x.sin()
}

fn main() {
    assert_eq!(wave(0.0), 0.0);
    assert_eq!(wave_jvp(0.0, 1.0).1, 1.0);
    assert_eq!(wave_jvp_jvp(0.3, 1.0, 1.0, 0.0).1 .1, -(0.3f64).sin());
}
