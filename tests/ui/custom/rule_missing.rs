use differentiate::prelude::*;

#[custom_derivative(reverse = no_such_rule)]
fn ratio(a: f64, b: f64) -> f64 {
    a / b
}

fn main() {
    let _ = ratio(1.0, 2.0);
}
