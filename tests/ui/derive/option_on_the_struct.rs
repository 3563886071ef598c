use differentiate::prelude::*;

#[derive(Differentiable)]
#[differentiable(skip)]
struct Params {
    w: Vec<f64>,
}

fn main() {}
