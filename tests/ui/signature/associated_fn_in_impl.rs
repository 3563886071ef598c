use differentiate::prelude::*;

struct Model;

impl Model {
    #[differentiate(reverse)]
    fn square(x: f64) -> f64 {
        x * x
    }
}

fn main() {
    let _ = Model::square(1.0);
}
