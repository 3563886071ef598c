use differentiate::prelude::*;

#[custom_derivative(forward = sq_jvp, pullback = sq_pb)]
fn sq(x: f64) -> f64 {
    x * x
}

fn sq_jvp(x: f64, d_x: f64) -> (f64, f64) {
    (x * x, 2.0 * x * d_x)
}

fn sq_pb(x: f64) -> (f64, impl FnOnce(f64) -> (f64,)) {
    (x * x, move |d| (2.0 * x * d,))
}

fn main() {}
