use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let name = "x";
    println!("{name} = {x}");
    x * x
}

fn main() {}
