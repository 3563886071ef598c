use differentiate::prelude::*;

fn helper(v: f64) -> f64 {
    v * v
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    helper(x) * x
}

fn main() {}
