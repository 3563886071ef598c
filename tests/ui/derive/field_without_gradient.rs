use differentiate::prelude::*;

struct Schedule {
    rate: f64,
}

#[derive(Differentiable)]
struct Params {
    w: Vec<f64>,
    schedule: Schedule,
}

fn main() {
    let p = Params { w: vec![1.0], schedule: Schedule { rate: 0.1 } };
    let _ = p.schedule.rate;
    let _ = p.w;
}
