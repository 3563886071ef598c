use differentiate::prelude::*;

#[derive(Differentiable)]
struct Batch<'a> {
    weights: &'a [f64],
    scale: f64,
}

fn main() {}
