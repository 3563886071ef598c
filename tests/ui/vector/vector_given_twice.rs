use differentiate::prelude::*;

#[differentiate(forward, vector, vector)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
