use differentiate::prelude::*;

#[custom_derivative(reverse = ratio_vjp)]
fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

// Missing the seed parameter `d_out`.
fn ratio_vjp(a: f64, b: f64) -> (f64, f64, f64) {
    (a / b, 1.0 / b, -a / (b * b))
}

fn main() {
    let _ = ratio(1.0, 2.0);
}
