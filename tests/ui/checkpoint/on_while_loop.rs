use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    let mut i = 0;
    #[checkpoint]
    while i < n {
        y = y.sin();
        i += 1;
    }
    y
}

fn main() {}
