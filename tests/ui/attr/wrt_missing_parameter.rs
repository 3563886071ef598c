use differentiate::prelude::*;

#[differentiate(reverse, wrt(wieght))]
fn f(x: f64, weight: f64) -> f64 {
    x * weight
}

fn main() {}
