use differentiate::prelude::*;

struct Cache {
    hits: usize,
}

#[derive(Differentiable)]
struct Params {
    w: Vec<f64>,
    #[differentiable(skip)]
    cache: Cache,
}

fn main() {}
