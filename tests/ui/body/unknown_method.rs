use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    x.sine()
}

fn main() {}
