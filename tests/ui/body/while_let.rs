use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, mut steps: Vec<f64>) -> f64 {
    let mut y = x;
    while let Some(s) = steps.pop() {
        y = y * s;
    }
    y
}

fn main() {}
