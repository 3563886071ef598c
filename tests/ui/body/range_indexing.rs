use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: &[f64]) -> f64 {
    let head = &x[1..3];
    head[0] * head[1]
}

fn main() {}
