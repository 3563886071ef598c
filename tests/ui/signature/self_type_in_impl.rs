use differentiate::prelude::*;

struct Model;

impl Model {
    const SCALE: f64 = 2.0;

    #[differentiate(reverse)]
    fn scaled(x: f64) -> f64 {
        x * Self::SCALE
    }
}

fn main() {
    let _ = Model::scaled(1.0);
}
