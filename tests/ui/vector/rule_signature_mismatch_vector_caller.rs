use differentiate::prelude::*;

// A forward rule with the wrong signature is one error at the rule, also
// when a vector-mode caller runs it once per lane.
#[custom_derivative(forward = ratio_jvp)]
fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

// Missing the tangent of `b`.
fn ratio_jvp(a: f64, b: f64, d_a: f64) -> (f64, f64) {
    (a / b, d_a / b)
}

#[differentiate(forward, vector)]
fn caller(x: f64) -> f64 {
    ratio(x, 2.0) * x
}

fn main() {}
