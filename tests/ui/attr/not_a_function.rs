use differentiate::prelude::*;

#[differentiate(reverse)]
struct Point {
    x: f64,
}

fn main() {
    let _ = Point { x: 1.0 }.x;
}
