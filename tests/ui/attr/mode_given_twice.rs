use differentiate::prelude::*;

#[differentiate(forward, reverse, forward)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
