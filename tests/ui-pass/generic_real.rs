//! A function generic over the float type, differentiated in both modes and
//! used at f32 and f64.
#![deny(warnings)]

use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn square<T: Real>(x: T) -> T {
    x * x
}

fn main() {
    assert_eq!(square_vjp(3.0f64, 1.0), (9.0, 6.0));
    assert_eq!(square_vjp(3.0f32, 1.0), (9.0, 6.0));
    assert_eq!(square_jvp(3.0f64, 1.0), (9.0, 6.0));
}
