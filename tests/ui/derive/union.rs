use differentiate::prelude::*;

#[derive(Differentiable)]
union Bits {
    value: f64,
    raw: u64,
}

fn main() {}
