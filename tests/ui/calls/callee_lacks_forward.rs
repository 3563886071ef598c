use differentiate::prelude::*;

#[differentiate(reverse)]
fn inner(x: f64) -> f64 {
    x * x
}

#[differentiate(forward)]
fn outer(x: f64) -> f64 {
    inner(x) + x
}

fn main() {}
