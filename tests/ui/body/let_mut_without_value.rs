use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let mut y;
    y = x;
    y *= x;
    y
}

fn main() {}
