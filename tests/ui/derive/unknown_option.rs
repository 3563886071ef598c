use differentiate::prelude::*;

#[derive(Differentiable)]
struct Params {
    w: Vec<f64>,
    #[differentiable(skipped)]
    steps: f64,
}

fn main() {
    let p = Params { w: vec![1.0], steps: 2.0 };
    let _ = p.zero_adjoint();
}
