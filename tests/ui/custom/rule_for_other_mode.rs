use differentiate::prelude::*;

fn clamp_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x.clamp(0.0, 1.0), d_out)
}

// The body is outside the subset (a closure), so no forward derivative can be
// derived from it: only the registered reverse rule exists.
#[custom_derivative(reverse = clamp_vjp)]
fn clamp(x: f64) -> f64 {
    let f = |v: f64| v.clamp(0.0, 1.0);
    f(x)
}

#[differentiate(forward)]
fn g(x: f64) -> f64 {
    clamp(x) * 2.0
}

fn main() {}
