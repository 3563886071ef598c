use differentiate::prelude::*;

#[differentiate(reverse)]
fn wave<T: Real>(x: T) -> T {
    x.sin()
}

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    wave::<f64>(x)
}

fn main() {}
