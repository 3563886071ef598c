use differentiate::prelude::*;

#[differentiate(reverse)]
fn total(t: &Tensor<f64>) -> f64 {
    t.sum()
}

fn main() {
    let _ = total(&Tensor::ones(&[2]));
}
