use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let label = format!("x = {x}");
    println!("{label}");
    x * x
}

fn main() {}
