use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, _scratch: &mut Vec<f64>) -> f64 {
    x * x
}

fn main() {}
