use differentiate::prelude::*;

#[differentiate(forward)]
#[differentiate(revrse)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
