use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64, _scratch: &mut Vec<f64>) -> f64 {
    let label = format!("{x}");
    println!("{label}");
    x * x
}

fn main() {}
