use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let mut y = x;
    let r = &mut y;
    r.clone()
}

fn main() {}
