use differentiate::prelude::*;

struct Spring {
    k: f64,
}

impl Spring {
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

fn spring() -> Spring {
    Spring { k: 2.0 }
}

#[differentiate(reverse)]
fn f(x: f64) -> f64 {
    let s = spring();
    s.energy(x)
}

fn main() {}
