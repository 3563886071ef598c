use differentiate::prelude::*;

#[differentiate(reverse)]
fn f(x: f64) {
    println!("{}", x * x);
}

fn main() {}
