use differentiate::prelude::*;

struct Config {
    scale: f64,
}

#[differentiate(reverse)]
fn f(x: f64, config: &Config) -> f64 {
    let _ = config;
    x * x
}

fn main() {
    let _ = f(1.0, &Config { scale: 2.0 }).max(Config { scale: 1.0 }.scale);
}
