//! Two small problems, gradient against objective, side by side with the
//! same gradient written by hand, num-dual's forward mode (one `Dual64` sweep
//! per parameter), the `reverse` crate's run-time tape, and central finite
//! differences:
//!
//! - an MLP loss: one tanh hidden layer, weights as flat slices, mean squared
//!   error over a batch (16 inputs, 32 hidden units, batch 64: 577 parameters);
//! - an RK4 loop: 1,000 classical Runge-Kutta steps of the Lotka-Volterra ODE,
//!   loss = squared distance of the trajectory to observations, gradient with
//!   respect to the 4 parameters and the 2 initial values. The vector field is
//!   its own differentiated function, called 4 times per step.
//!
//! `cargo bench --bench small`; `python3 scripts/benchmarks_md.py` writes the
//! ratios into BENCHMARKS.md. tests/bench_correctness_more.rs includes this
//! file and checks every derivative timed here.
#![allow(dead_code)]
// Index loops mirror the differentiated bodies (which must use them).
#![allow(clippy::needless_range_loop)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use differentiate::prelude::*;
use num_dual::{Dual64, DualNum};

#[path = "common/quick.rs"]
mod quick;

// ---------------------------------------------------------------- MLP

pub const MLP_IN: usize = 16;
pub const MLP_HIDDEN: usize = 32;
pub const MLP_BATCH: usize = 64;

/// Mean squared error of `y = w2 . tanh(W1 x + b1) + b2` over a batch.
/// `w1` is `nh x nin` row-major, `xs` is `batch x nin`; `nh = b1.len()`.
#[differentiate(reverse, wrt(w1, b1, w2, b2))]
pub fn mlp_loss(w1: &[f64], b1: &[f64], w2: &[f64], b2: f64, xs: &[f64], ys: &[f64]) -> f64 {
    let nh = b1.len();
    let nin = w1.len() / nh;
    let batch = ys.len();
    let mut loss = 0.0;
    for s in 0..batch {
        let mut out = b2;
        for h in 0..nh {
            let mut z = b1[h];
            for j in 0..nin {
                z += w1[h * nin + j] * xs[s * nin + j];
            }
            out += w2[h] * z.tanh();
        }
        let e = out - ys[s];
        loss += e * e;
    }
    loss / batch as f64
}

/// The MLP problem: weights, biases and a batch of data.
#[derive(Clone, Debug)]
pub struct Mlp {
    pub w1: Vec<f64>,
    pub b1: Vec<f64>,
    pub w2: Vec<f64>,
    pub b2: f64,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
}

impl Mlp {
    pub fn new() -> Mlp {
        let (nin, nh, nb) = (MLP_IN, MLP_HIDDEN, MLP_BATCH);
        let s = 1.0 / (nin as f64).sqrt();
        Mlp {
            w1: rand(nh * nin, 31, -s, s),
            b1: rand(nh, 32, -0.1, 0.1),
            w2: rand(nh, 33, -0.3, 0.3),
            b2: 0.05,
            xs: rand(nb * nin, 34, -1.0, 1.0),
            ys: rand(nb, 35, -1.0, 1.0),
        }
    }

    pub fn objective(&self) -> f64 {
        mlp_loss(&self.w1, &self.b1, &self.w2, self.b2, &self.xs, &self.ys)
    }

    /// Generated gradient, packed (w1, b1, w2, b2).
    pub fn vjp(&self) -> (f64, Vec<f64>) {
        let (v, dw1, db1, dw2, db2) = mlp_loss_vjp(
            &self.w1, &self.b1, &self.w2, self.b2, &self.xs, &self.ys, 1.0,
        );
        let mut g = dw1;
        g.extend_from_slice(&db1);
        g.extend_from_slice(&dw2);
        g.push(db2);
        (v, g)
    }

    pub fn params(&self) -> Vec<f64> {
        let mut p = self.w1.clone();
        p.extend_from_slice(&self.b1);
        p.extend_from_slice(&self.w2);
        p.push(self.b2);
        p
    }

    /// The loss at packed parameters.
    pub fn objective_at(&self, p: &[f64]) -> f64 {
        let (w1, rest) = p.split_at(self.w1.len());
        let (b1, rest) = rest.split_at(self.b1.len());
        let (w2, b2) = rest.split_at(self.w2.len());
        mlp_loss(w1, b1, w2, b2[0], &self.xs, &self.ys)
    }
}

impl Default for Mlp {
    fn default() -> Self {
        Self::new()
    }
}

/// By hand: forward pass keeping the hidden activations of one sample, then
/// back-propagation. Returns (loss, packed gradient).
#[inline(never)]
pub fn mlp_grad_hand(p: &Mlp) -> (f64, Vec<f64>) {
    let nh = p.b1.len();
    let nin = p.w1.len() / nh;
    let batch = p.ys.len();
    let mut g = vec![0.0; nh * nin + 2 * nh + 1];
    let (gw1, rest) = g.split_at_mut(nh * nin);
    let (gb1, rest) = rest.split_at_mut(nh);
    let (gw2, gb2) = rest.split_at_mut(nh);
    let mut a = vec![0.0; nh];
    let mut loss = 0.0;
    let scale = 2.0 / batch as f64;
    for s in 0..batch {
        let x = &p.xs[s * nin..(s + 1) * nin];
        let mut out = p.b2;
        for h in 0..nh {
            let w = &p.w1[h * nin..(h + 1) * nin];
            let mut z = p.b1[h];
            for j in 0..nin {
                z += w[j] * x[j];
            }
            a[h] = z.tanh();
            out += p.w2[h] * a[h];
        }
        let e = out - p.ys[s];
        loss += e * e;
        let dout = scale * e;
        gb2[0] += dout;
        for h in 0..nh {
            gw2[h] += dout * a[h];
            let dz = dout * p.w2[h] * (1.0 - a[h] * a[h]);
            gb1[h] += dz;
            let gw = &mut gw1[h * nin..(h + 1) * nin];
            for j in 0..nin {
                gw[j] += dz * x[j];
            }
        }
    }
    (loss / batch as f64, g)
}

/// The loss over any num-dual number, packed parameters.
pub fn mlp_loss_dual<T: DualNum<Primitive = f64> + Copy>(p: &Mlp, params: &[T]) -> T {
    let nh = p.b1.len();
    let nin = p.w1.len() / nh;
    let batch = p.ys.len();
    let (w1, rest) = params.split_at(nh * nin);
    let (b1, rest) = rest.split_at(nh);
    let (w2, b2) = rest.split_at(nh);
    let mut loss = T::zero();
    for s in 0..batch {
        let mut out = b2[0];
        for h in 0..nh {
            let mut z = b1[h];
            for j in 0..nin {
                z += w1[h * nin + j] * p.xs[s * nin + j];
            }
            out += w2[h] * z.tanh();
        }
        let e = out - p.ys[s];
        loss += e * e;
    }
    loss / batch as f64
}

/// num-dual: one `Dual64` sweep per parameter.
pub fn mlp_grad_num_dual(p: &Mlp) -> (f64, Vec<f64>) {
    sweeps(&p.params(), |x| mlp_loss_dual(p, x))
}

/// The `reverse` tape.
pub fn mlp_grad_tape(p: &Mlp) -> (f64, Vec<f64>) {
    use reverse::{Gradient, Tape};
    let nh = p.b1.len();
    let nin = p.w1.len() / nh;
    let batch = p.ys.len();
    let tape = Tape::new();
    let vars = tape.add_vars(&p.params());
    let (w1, rest) = vars.split_at(nh * nin);
    let (b1, rest) = rest.split_at(nh);
    let (w2, b2) = rest.split_at(nh);
    let mut loss = tape.add_var(0.0);
    for s in 0..batch {
        let mut out = b2[0];
        for h in 0..nh {
            let mut z = b1[h];
            for j in 0..nin {
                z = z + w1[h * nin + j] * p.xs[s * nin + j];
            }
            out = out + w2[h] * z.tanh();
        }
        let e = out - p.ys[s];
        loss = loss + e * e;
    }
    let loss = loss / batch as f64;
    let g = loss.grad();
    (loss.val(), g.wrt(&vars))
}

// ---------------------------------------------------------------- RK4

pub const RK4_STEPS: usize = 1_000;
pub const RK4_H: f64 = 0.01;

/// Lotka-Volterra, first component: `a u - b u v`.
#[differentiate(reverse)]
pub fn lv_u(u: f64, v: f64, a: f64, b: f64) -> f64 {
    a * u - b * u * v
}

/// Lotka-Volterra, second component: `c u v - d v`.
#[differentiate(reverse)]
pub fn lv_v(u: f64, v: f64, c: f64, d: f64) -> f64 {
    c * u * v - d * v
}

/// `steps` RK4 steps of Lotka-Volterra from `y0` with parameters
/// `p = (a, b, c, d)`; the loss is the sum over steps of the squared distance
/// of the state to `obs` (2 numbers per step).
#[differentiate(reverse, wrt(p, y0))]
pub fn rk4_loss(p: &[f64], y0: &[f64], obs: &[f64], h: f64, steps: usize) -> f64 {
    let (a, b, c, d) = (p[0], p[1], p[2], p[3]);
    let mut u = y0[0];
    let mut v = y0[1];
    let mut loss = 0.0;
    for t in 0..steps {
        let k1u = lv_u(u, v, a, b);
        let k1v = lv_v(u, v, c, d);
        let k2u = lv_u(u + 0.5 * h * k1u, v + 0.5 * h * k1v, a, b);
        let k2v = lv_v(u + 0.5 * h * k1u, v + 0.5 * h * k1v, c, d);
        let k3u = lv_u(u + 0.5 * h * k2u, v + 0.5 * h * k2v, a, b);
        let k3v = lv_v(u + 0.5 * h * k2u, v + 0.5 * h * k2v, c, d);
        let k4u = lv_u(u + h * k3u, v + h * k3v, a, b);
        let k4v = lv_v(u + h * k3u, v + h * k3v, c, d);
        u += h / 6.0 * (k1u + 2.0 * k2u + 2.0 * k3u + k4u);
        v += h / 6.0 * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        let eu = u - obs[2 * t];
        let ev = v - obs[2 * t + 1];
        loss += eu * eu + ev * ev;
    }
    loss
}

/// The RK4 problem: parameters, initial state and observations (a noisy
/// trajectory of nearby parameters).
#[derive(Clone, Debug)]
pub struct Rk4 {
    pub p: Vec<f64>,
    pub y0: Vec<f64>,
    pub obs: Vec<f64>,
}

impl Rk4 {
    pub fn new() -> Rk4 {
        let truth = [1.1, 0.4, 0.1, 0.4];
        let noise = rand(2 * RK4_STEPS, 41, -0.05, 0.05);
        let (mut u, mut v) = (10.0, 5.0);
        let mut obs = Vec::with_capacity(2 * RK4_STEPS);
        for t in 0..RK4_STEPS {
            let f = |u: f64, v: f64| {
                (
                    truth[0] * u - truth[1] * u * v,
                    truth[2] * u * v - truth[3] * v,
                )
            };
            let h = RK4_H;
            let k1 = f(u, v);
            let k2 = f(u + 0.5 * h * k1.0, v + 0.5 * h * k1.1);
            let k3 = f(u + 0.5 * h * k2.0, v + 0.5 * h * k2.1);
            let k4 = f(u + h * k3.0, v + h * k3.1);
            u += h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
            v += h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
            obs.push(u + noise[2 * t]);
            obs.push(v + noise[2 * t + 1]);
        }
        Rk4 {
            p: vec![1.0, 0.45, 0.12, 0.38],
            y0: vec![9.5, 5.3],
            obs,
        }
    }

    pub fn objective(&self) -> f64 {
        rk4_loss(&self.p, &self.y0, &self.obs, RK4_H, RK4_STEPS)
    }

    /// Generated gradient, packed (p, y0).
    pub fn vjp(&self) -> (f64, Vec<f64>) {
        let (v, dp, dy) = rk4_loss_vjp(&self.p, &self.y0, &self.obs, RK4_H, RK4_STEPS, 1.0);
        let mut g = dp;
        g.extend_from_slice(&dy);
        (v, g)
    }

    pub fn params(&self) -> Vec<f64> {
        let mut q = self.p.clone();
        q.extend_from_slice(&self.y0);
        q
    }

    pub fn objective_at(&self, q: &[f64]) -> f64 {
        rk4_loss(&q[..4], &q[4..], &self.obs, RK4_H, RK4_STEPS)
    }
}

impl Default for Rk4 {
    fn default() -> Self {
        Self::new()
    }
}

/// By hand: the discrete adjoint of RK4. The forward pass stores the state
/// at every step; the reverse pass recomputes each step's stages and
/// propagates the adjoint of the state through them (transposed Jacobians of
/// the vector field), accumulating the parameter adjoint.
#[inline(never)]
pub fn rk4_grad_hand(pr: &Rk4) -> (f64, Vec<f64>) {
    let (a, b, c, d) = (pr.p[0], pr.p[1], pr.p[2], pr.p[3]);
    let h = RK4_H;
    let steps = RK4_STEPS;
    let obs = &pr.obs;
    let f = |u: f64, v: f64| (a * u - b * u * v, c * u * v - d * v);
    let mut ys = Vec::with_capacity(2 * steps + 2);
    let (mut u, mut v) = (pr.y0[0], pr.y0[1]);
    let mut loss = 0.0;
    for t in 0..steps {
        ys.push(u);
        ys.push(v);
        let k1 = f(u, v);
        let k2 = f(u + 0.5 * h * k1.0, v + 0.5 * h * k1.1);
        let k3 = f(u + 0.5 * h * k2.0, v + 0.5 * h * k2.1);
        let k4 = f(u + h * k3.0, v + h * k3.1);
        u += h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
        v += h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
        let eu = u - obs[2 * t];
        let ev = v - obs[2 * t + 1];
        loss += eu * eu + ev * ev;
    }
    // adjoint of the vector field at (u, v) applied to (gu, gv): returns
    // (J^T g, d/dp (g . f)) with p = (a, b, c, d)
    let vf_adj = |u: f64, v: f64, gu: f64, gv: f64| -> ((f64, f64), [f64; 4]) {
        (
            (
                gu * (a - b * v) + gv * c * v,
                -gu * b * u + gv * (c * u - d),
            ),
            [gu * u, -gu * u * v, gv * u * v, -gv * v],
        )
    };
    let mut dp = [0.0; 4];
    let (mut bu, mut bv) = (0.0, 0.0);
    for t in (0..steps).rev() {
        // loss term of this step, at the new state
        bu += 2.0 * (u - obs[2 * t]);
        bv += 2.0 * (v - obs[2 * t + 1]);
        let (u0, v0) = (ys[2 * t], ys[2 * t + 1]);
        // recompute the stages
        let k1 = f(u0, v0);
        let y1 = (u0 + 0.5 * h * k1.0, v0 + 0.5 * h * k1.1);
        let k2 = f(y1.0, y1.1);
        let y2 = (u0 + 0.5 * h * k2.0, v0 + 0.5 * h * k2.1);
        let k3 = f(y2.0, y2.1);
        let y3 = (u0 + h * k3.0, v0 + h * k3.1);
        // y_new = y + h/6 (k1 + 2 k2 + 2 k3 + k4)
        let (mut yu, mut yv) = (bu, bv);
        let w = h / 6.0;
        let (k4bu, k4bv) = (w * bu, w * bv);
        let (mut k3bu, mut k3bv) = (2.0 * w * bu, 2.0 * w * bv);
        let (mut k2bu, mut k2bv) = (2.0 * w * bu, 2.0 * w * bv);
        let (mut k1bu, mut k1bv) = (w * bu, w * bv);
        // k4 = f(y3), y3 = y + h k3
        let ((gu, gv), gp) = vf_adj(y3.0, y3.1, k4bu, k4bv);
        for i in 0..4 {
            dp[i] += gp[i];
        }
        yu += gu;
        yv += gv;
        k3bu += h * gu;
        k3bv += h * gv;
        // k3 = f(y2), y2 = y + h/2 k2
        let ((gu, gv), gp) = vf_adj(y2.0, y2.1, k3bu, k3bv);
        for i in 0..4 {
            dp[i] += gp[i];
        }
        yu += gu;
        yv += gv;
        k2bu += 0.5 * h * gu;
        k2bv += 0.5 * h * gv;
        // k2 = f(y1), y1 = y + h/2 k1
        let ((gu, gv), gp) = vf_adj(y1.0, y1.1, k2bu, k2bv);
        for i in 0..4 {
            dp[i] += gp[i];
        }
        yu += gu;
        yv += gv;
        k1bu += 0.5 * h * gu;
        k1bv += 0.5 * h * gv;
        // k1 = f(y)
        let ((gu, gv), gp) = vf_adj(u0, v0, k1bu, k1bv);
        for i in 0..4 {
            dp[i] += gp[i];
        }
        bu = yu + gu;
        bv = yv + gv;
        u = u0;
        v = v0;
    }
    (loss, vec![dp[0], dp[1], dp[2], dp[3], bu, bv])
}

/// The loss over any num-dual number, packed parameters (p, y0).
pub fn rk4_loss_dual<T: DualNum<Primitive = f64> + Copy>(pr: &Rk4, q: &[T]) -> T {
    let (a, b, c, d) = (q[0], q[1], q[2], q[3]);
    let h = RK4_H;
    let f = |u: T, v: T| (a * u - b * u * v, c * u * v - d * v);
    let (mut u, mut v) = (q[4], q[5]);
    let mut loss = T::zero();
    for t in 0..RK4_STEPS {
        let k1 = f(u, v);
        let k2 = f(u + k1.0 * (0.5 * h), v + k1.1 * (0.5 * h));
        let k3 = f(u + k2.0 * (0.5 * h), v + k2.1 * (0.5 * h));
        let k4 = f(u + k3.0 * h, v + k3.1 * h);
        u += (k1.0 + k2.0 * 2.0 + k3.0 * 2.0 + k4.0) * (h / 6.0);
        v += (k1.1 + k2.1 * 2.0 + k3.1 * 2.0 + k4.1) * (h / 6.0);
        let eu = u - pr.obs[2 * t];
        let ev = v - pr.obs[2 * t + 1];
        loss += eu * eu + ev * ev;
    }
    loss
}

/// num-dual: one `Dual64` sweep per parameter (6 sweeps).
pub fn rk4_grad_num_dual(pr: &Rk4) -> (f64, Vec<f64>) {
    sweeps(&pr.params(), |q| rk4_loss_dual(pr, q))
}

/// The `reverse` tape.
pub fn rk4_grad_tape(pr: &Rk4) -> (f64, Vec<f64>) {
    let tape = reverse::Tape::new();
    rk4_tape_on(pr, &tape)
}

fn rk4_tape_on<'a>(pr: &Rk4, tape: &'a reverse::Tape) -> (f64, Vec<f64>) {
    use reverse::{Gradient, Var};
    let q = tape.add_vars(&pr.params());
    let (a, b, c, d) = (q[0], q[1], q[2], q[3]);
    let h = RK4_H;
    let f = |u: Var<'a>, v: Var<'a>| (a * u - b * u * v, c * u * v - d * v);
    let (mut u, mut v) = (q[4], q[5]);
    let mut loss = tape.add_var(0.0);
    for t in 0..RK4_STEPS {
        let k1 = f(u, v);
        let k2 = f(u + 0.5 * h * k1.0, v + 0.5 * h * k1.1);
        let k3 = f(u + 0.5 * h * k2.0, v + 0.5 * h * k2.1);
        let k4 = f(u + h * k3.0, v + h * k3.1);
        u = u + h / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
        v = v + h / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
        let eu = u - pr.obs[2 * t];
        let ev = v - pr.obs[2 * t + 1];
        loss = loss + eu * eu + ev * ev;
    }
    let g = loss.grad();
    (loss.val(), g.wrt(&q))
}

// ---------------------------------------------------------------- shared

/// The gradient of `f` by one `Dual64` sweep per component of `x`.
pub fn sweeps(x: &[f64], f: impl Fn(&[Dual64]) -> Dual64) -> (f64, Vec<f64>) {
    let mut xd: Vec<Dual64> = x.iter().map(|&v| Dual64::from_re(v)).collect();
    let mut g = vec![0.0; x.len()];
    let mut value = 0.0;
    for i in 0..x.len() {
        xd[i].eps = 1.0;
        let r = f(&xd);
        xd[i].eps = 0.0;
        value = r.re;
        g[i] = r.eps;
    }
    (value, g)
}

/// Central finite differences of `f` at `x` (perturbed in place, restored).
pub fn fd(f: impl Fn(&[f64]) -> f64, x: &mut [f64], h: f64) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() {
        let xi = x[i];
        x[i] = xi + h;
        let fp = f(x);
        x[i] = xi - h;
        let fm = f(x);
        x[i] = xi;
        g[i] = (fp - fm) / (2.0 * h);
    }
    g
}

/// Deterministic pseudo-random numbers in [lo, hi) (xorshift64*).
pub fn rand(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            lo + (hi - lo) * u
        })
        .collect()
}

// ---------------------------------------------------------------- benches

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("small");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_secs(1));
    quick::configure(&mut g);
    let mlp = Mlp::new();
    let id = "mlp";
    g.bench_function(BenchmarkId::new("objective", id), |b| {
        b.iter(|| black_box(&mlp).objective())
    });
    g.bench_function(BenchmarkId::new("vjp", id), |b| {
        b.iter(|| black_box(&mlp).vjp())
    });
    g.bench_function(BenchmarkId::new("hand", id), |b| {
        b.iter(|| mlp_grad_hand(black_box(&mlp)))
    });
    g.bench_function(BenchmarkId::new("num_dual_sweeps", id), |b| {
        b.iter(|| mlp_grad_num_dual(black_box(&mlp)))
    });
    g.bench_function(BenchmarkId::new("tape", id), |b| {
        b.iter(|| mlp_grad_tape(black_box(&mlp)))
    });
    let mut p = mlp.params();
    g.bench_function(BenchmarkId::new("fd", id), |b| {
        b.iter(|| fd(|q| mlp.objective_at(q), black_box(&mut p), 1e-6))
    });

    let rk = Rk4::new();
    let id = "rk4";
    g.bench_function(BenchmarkId::new("objective", id), |b| {
        b.iter(|| black_box(&rk).objective())
    });
    g.bench_function(BenchmarkId::new("vjp", id), |b| {
        b.iter(|| black_box(&rk).vjp())
    });
    g.bench_function(BenchmarkId::new("hand", id), |b| {
        b.iter(|| rk4_grad_hand(black_box(&rk)))
    });
    g.bench_function(BenchmarkId::new("num_dual_sweeps", id), |b| {
        b.iter(|| rk4_grad_num_dual(black_box(&rk)))
    });
    g.bench_function(BenchmarkId::new("tape", id), |b| {
        b.iter(|| rk4_grad_tape(black_box(&rk)))
    });
    let mut q = rk.params();
    g.bench_function(BenchmarkId::new("fd", id), |b| {
        b.iter(|| fd(|x| rk.objective_at(x), black_box(&mut q), 1e-6))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
