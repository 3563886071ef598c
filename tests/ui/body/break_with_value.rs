use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let y = loop {
        break x * x;
    };
    y
}

fn main() {}
