use differentiate::prelude::*;

#[derive(Differentiable)]
struct Params {
    rows: Vec<Vec<f64>>,
}

fn main() {}
