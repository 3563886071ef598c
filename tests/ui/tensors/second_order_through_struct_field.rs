use differentiate::prelude::*;

#[derive(Clone, Differentiable)]
struct Params {
    w: Tensor<f64>,
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn loss(p: &Params, x: &Tensor<f64>) -> f64 {
    p.w.matmul(x).sum()
}

fn main() {}
