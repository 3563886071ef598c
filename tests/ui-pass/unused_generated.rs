//! Asking for both modes and using only the function itself: the hidden entries
//! and the unused derivative must not trip `dead_code` under `#![deny(warnings)]`.
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn f(x: f64, y: f64) -> f64 {
    x * y + y.sin()
}

fn main() {
    assert_eq!(f(1.0, 0.0), 0.0);
}
