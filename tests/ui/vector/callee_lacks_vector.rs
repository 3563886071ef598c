use differentiate::prelude::*;

// The callee has scalar forward mode only; a vector-mode caller needs its
// `vector` too.
#[differentiate(forward)]
fn inner(x: f64) -> f64 {
    x * x
}

#[differentiate(forward, vector)]
fn outer(x: f64) -> f64 {
    inner(x) + x
}

fn main() {}
