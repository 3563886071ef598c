use differentiate::prelude::*;

#[differentiate(revers)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
