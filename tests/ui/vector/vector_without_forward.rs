use differentiate::prelude::*;

// `vector` is the vector-mode *forward* derivative: it needs `forward`.
#[differentiate(reverse, vector)]
fn f(x: f64) -> f64 {
    x * x
}

fn main() {}
