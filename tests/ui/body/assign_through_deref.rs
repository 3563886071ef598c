use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let mut b = Box::new(x);
    *b = x * x;
    x
}

fn main() {}
