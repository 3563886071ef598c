use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, n: usize) -> f64 {
    let mut y = x;
    #[checkpoint]
    for _i in 0..n {
        y = y.sin();
        if y < 0.1 {
            break;
        }
    }
    y
}

fn main() {}
