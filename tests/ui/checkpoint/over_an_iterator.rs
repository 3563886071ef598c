use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, steps: &[usize]) -> f64 {
    let mut y = x;
    #[checkpoint]
    for _s in steps.iter() {
        y = y.sin();
    }
    y
}

fn main() {}
