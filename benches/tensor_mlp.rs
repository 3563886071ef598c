//! An MLP loss on tensors: `W2 tanh(W1 X + b1 1^T) + b2 1^T` against targets
//! `Y`, mean squared error over a batch (the bias is spread over the batch by
//! a rank-1 product with a row of ones). The generated gradient (one
//! `#[differentiate(reverse)]` on the loss) against the loss itself and
//! against the same gradient written by hand with the same tensor operations.
//!
//! `cargo bench --bench tensor_mlp`; tests/bench_tensor_mlp.rs checks the
//! generated gradient against the hand-written one and central differences.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use differentiate::prelude::*;
use differentiate::Tensor;

/// Sizes: batch, inputs, hidden units, outputs.
pub const SIZES: &[(usize, usize, usize, usize)] = &[(64, 64, 128, 10), (256, 256, 512, 10)];

pub struct Problem {
    pub w1: Tensor<f64>,
    pub b1: Tensor<f64>,
    pub w2: Tensor<f64>,
    pub b2: Tensor<f64>,
    pub x: Tensor<f64>,
    pub y: Tensor<f64>,
    pub ones: Tensor<f64>,
}

fn values(n: usize, seed: u64, scale: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * scale
        })
        .collect()
}

impl Problem {
    pub fn new(batch: usize, inputs: usize, hidden: usize, outputs: usize) -> Self {
        let t =
            |n: &[usize], seed, scale| Tensor::from_vec(values(n.iter().product(), seed, scale), n);
        Problem {
            w1: t(&[hidden, inputs], 1, 1.0 / (inputs as f64).sqrt()),
            b1: t(&[hidden, 1], 2, 0.1),
            w2: t(&[outputs, hidden], 3, 1.0 / (hidden as f64).sqrt()),
            b2: t(&[outputs, 1], 4, 0.1),
            x: t(&[inputs, batch], 5, 1.0),
            y: t(&[outputs, batch], 6, 1.0),
            ones: Tensor::ones(&[1, batch]),
        }
    }
}

#[differentiate(reverse, wrt(w1, b1, w2, b2))]
#[allow(clippy::too_many_arguments)]
pub fn loss(
    w1: &Tensor<f64>,
    b1: &Tensor<f64>,
    w2: &Tensor<f64>,
    b2: &Tensor<f64>,
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    ones: &Tensor<f64>,
) -> f64 {
    let h = (&w1.matmul(x) + &b1.matmul(ones)).tanh();
    let o = &w2.matmul(&h) + &b2.matmul(ones);
    let r = &o - y;
    (&r * &r).mean()
}

pub fn run_loss(p: &Problem) -> f64 {
    loss(&p.w1, &p.b1, &p.w2, &p.b2, &p.x, &p.y, &p.ones)
}

pub fn generated(p: &Problem) -> (f64, [Tensor<f64>; 4]) {
    let (v, a, b, c, d) = loss_vjp(&p.w1, &p.b1, &p.w2, &p.b2, &p.x, &p.y, &p.ones, 1.0);
    (v, [a, b, c, d])
}

/// The gradient as a person writes it with the same operations: forward
/// keeping `h`, then transposed products.
pub fn by_hand(p: &Problem) -> (f64, [Tensor<f64>; 4]) {
    let h = (&p.w1.matmul(&p.x) + &p.b1.matmul(&p.ones)).tanh();
    let o = &p.w2.matmul(&h) + &p.b2.matmul(&p.ones);
    let r = &o - &p.y;
    let n = r.len() as f64;
    let v = r.dot(&r) / n;
    let g_o = r * (2.0 / n);
    let g_w2 = g_o.matmul_t(false, &h, true);
    let g_b2 = g_o.matmul_t(false, &p.ones, true);
    let g_h = p.w2.matmul_t(true, &g_o, false);
    let g_z = g_h.zip_map(&h, "tanh", |g, h| g * (1.0 - h * h));
    let g_w1 = g_z.matmul_t(false, &p.x, true);
    let g_b1 = g_z.matmul_t(false, &p.ones, true);
    (v, [g_w1, g_b1, g_w2, g_b2])
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("tensor_mlp");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for &(b, i, h, o) in SIZES {
        let p = Problem::new(b, i, h, o);
        let id = format!("b{b}_i{i}_h{h}_o{o}");
        g.bench_with_input(BenchmarkId::new("objective", &id), &p, |bn, p| {
            bn.iter(|| black_box(run_loss(black_box(p))))
        });
        g.bench_with_input(BenchmarkId::new("vjp", &id), &p, |bn, p| {
            bn.iter(|| black_box(generated(black_box(p))))
        });
        g.bench_with_input(BenchmarkId::new("hand", &id), &p, |bn, p| {
            bn.iter(|| black_box(by_hand(black_box(p))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
