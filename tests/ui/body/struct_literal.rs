use differentiate::prelude::*;

struct Point {
    x: f64,
}

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let p = Point { x };
    let _ = p;
    x * x
}

fn main() {
    let _ = Point { x: 1.0 }.x;
}
