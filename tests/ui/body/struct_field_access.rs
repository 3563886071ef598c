use differentiate::prelude::*;

struct Params {
    scale: f64,
}

fn params() -> Params {
    Params { scale: 2.0 }
}

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let p = params();
    x * p.scale
}

fn main() {}
