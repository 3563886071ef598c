use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, n: i32) -> f64 {
    match n {
        k if k > 0 => x * x,
        _ => x,
    }
}

fn main() {}
