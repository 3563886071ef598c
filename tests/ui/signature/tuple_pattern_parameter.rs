use differentiate::prelude::*;

#[differentiate(reverse)]
fn f((x, y): (f64, f64)) -> f64 {
    x * y
}

fn main() {}
