use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    #[checkpoint]
    #[checkpoint(every = 10)]
    for _i in 0..n {
        y = y.sin();
    }
    y
}

fn main() {}
