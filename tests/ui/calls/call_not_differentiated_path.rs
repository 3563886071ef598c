use differentiate::prelude::*;

mod shapes {
    pub fn area(w: f64, h: f64) -> f64 {
        w * h
    }
}

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    shapes::area(x, 2.0) + x
}

fn main() {}
