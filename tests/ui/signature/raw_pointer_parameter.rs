use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, _p: *const f64) -> f64 {
    x * x
}

fn main() {}
