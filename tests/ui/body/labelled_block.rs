use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    'a: {
        break 'a;
    }
    x
}

fn main() {
    let _ = f(1.0);
}
