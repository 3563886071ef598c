use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, y: f64) -> f64 {
    let mut p = (x, y);
    p.0 = x * y;
    p.0 + p.1
}

fn main() {}
