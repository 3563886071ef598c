use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for v in x.iter() {
        s += v;
    }
    s
}

fn main() {}
