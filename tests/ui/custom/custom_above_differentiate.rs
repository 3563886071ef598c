use differentiate::prelude::*;

#[custom_derivative(reverse = sq_vjp)]
#[differentiate(forward)]
fn sq(x: f64) -> f64 {
    x * x
}

fn sq_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x * x, 2.0 * x * d_out)
}

fn main() {
    let _ = sq(1.0);
}
