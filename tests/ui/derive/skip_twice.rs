use differentiate::prelude::*;

#[derive(Differentiable)]
struct Params {
    w: Vec<f64>,
    #[differentiable(skip, skip)]
    rate: f64,
}

fn main() {}
