use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, n: usize) -> f64 {
    let steps = 0..n;
    let mut y = x;
    for _ in steps {
        y = y * x;
    }
    y
}

fn main() {}
