use differentiate::prelude::*;

struct Config;

fn helper(v: f64) -> f64 {
    v * v
}

#[differentiate(reverse)]
fn f(x: f64, config: &Config) -> f64 {
    let _ = config;
    helper(x) + x
}

fn main() {}
