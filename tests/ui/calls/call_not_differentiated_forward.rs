use differentiate::prelude::*;

mod geometry {
    pub fn norm(a: f64, b: f64) -> f64 {
        (a * a + b * b).sqrt()
    }
}
use geometry::norm;

#[differentiate(forward)]
fn f(x: f64, y: f64) -> f64 {
    norm(x, y) * 2.0
}

fn main() {}
