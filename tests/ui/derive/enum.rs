use differentiate::prelude::*;

#[derive(Differentiable)]
enum Model {
    Linear { w: f64 },
    Quadratic { a: f64, b: f64 },
}

fn main() {
    let m = Model::Linear { w: 1.0 };
    let _ = m.zero_adjoint();
}
