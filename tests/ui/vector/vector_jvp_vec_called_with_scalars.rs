use differentiate::prelude::*;

#[differentiate(forward, vector)]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {
    // the tangents of `f_jvp_vec` are `Lanes<f64, K>`, not `f64`
    let _ = f_jvp_vec(1.0, 2.0, 1.0, 0.0);
}
