use differentiate::prelude::*;

struct Model {
    scale: f64,
}

impl Model {
    #[differentiate(reverse)]
    fn f(&self, x: f64) -> f64 {
        self.scale * x
    }
}

fn main() {
    let _ = Model { scale: 2.0 }.f(1.0);
}
