use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let y = unsafe { std::ptr::read(&x) };
    y * x
}

fn main() {}
