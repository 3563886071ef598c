use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    x.log(3.0)
}

fn main() {}
