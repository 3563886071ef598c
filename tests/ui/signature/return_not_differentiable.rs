use differentiate::prelude::*;

#[derive(Default)]
struct Point {
    x: f64,
}

#[differentiate(forward)]
fn origin(x: f64) -> Point {
    let _ = x;
    Point::default()
}

fn main() {
    let _ = origin(1.0).x;
}
