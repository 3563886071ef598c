use differentiate::prelude::*;

#[differentiate(forward, reverse)]
fn inner(x: f64) -> f64 {
    x * x
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn outer(x: f64) -> f64 {
    inner(x) * x
}

fn main() {}
