use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> i64 {
    x as i64
}

fn main() {}
