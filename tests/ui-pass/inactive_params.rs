//! Parameters of inactive types (integers, bool, Option, &str) sit beside active
//! ones in both modes, warning-free.
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn scaled(x: f64, n: usize, flip: bool, offset: Option<f64>, label: &str) -> f64 {
    let _ = label;
    let _ = offset;
    let s = if flip { -x } else { x };
    s * n as f64
}

fn main() {
    assert_eq!(scaled(2.0, 3, true, None, "a"), -6.0);
    assert_eq!(scaled_vjp(2.0, 3, true, Some(1.0), "a", 1.0), (-6.0, -3.0));
    assert_eq!(scaled_jvp(2.0, 3, false, None, "a", 1.0), (6.0, 3.0));
}
