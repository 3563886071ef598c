//! The ADBench LSTM problem shared by `benches/lstm.rs` and
//! `tests/bench_correctness_lstm.rs` (both include this file with `#[path]`,
//! so the benchmark and the tests measure the same code).
//!
//! ADBench's "LSTM" is a diagonal LSTM: every weight matrix is a vector
//! applied elementwise. With `b` the width (characters are one-hot-ish
//! vectors of `b` numbers), `l` layers and a sequence of `c` characters, one
//! step feeds character `t` through the layers and scores the prediction
//! against character `t + 1`:
//!
//! ```text
//! x      = seq_t * in_weight
//! per layer, elementwise (h, s = the layer's hidden and cell state):
//!   f = sigmoid(x w_f + b_f)      i = sigmoid(h w_i + b_i)
//!   o = sigmoid(x w_o + b_o)      g = tanh(h w_g + b_g)
//!   s = s f + i g                 h = o tanh(s)        x = h
//! y      = x * out_weight + out_bias
//! loss  -= sum_j seq_{t+1,j} (y_j - log(2 + sum_k exp y_k))
//! ```
//!
//! and the loss is divided by `(c - 1) b`. The `2 +` inside the log is
//! ADBench's (every implementation of the benchmark keeps it).
//!
//! Layout (as in the files): `main_params` holds, per layer, the four weight
//! vectors (forget, input, output, change: `4b`) then the four bias vectors
//! (`4b`); `extra_params` is in_weight, out_weight, out_bias (`3b`); `state`
//! holds, per layer, hidden then cell (`2b`); `sequence` is `c x b`. The
//! gradient is with respect to `main_params` and `extra_params`; the initial
//! state is an input that each evaluation starts from (it is copied, never
//! changed).
#![allow(dead_code)]
// Index loops mirror the differentiated body (which must use them, copies
// included).
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

use differentiate::prelude::*;
use std::path::PathBuf;

/// Defines the objective once per loop attribute: one body, so the plain and
/// checkpointed gradients are the same computation
/// (tests/bench_correctness_adbench.rs checks them `==`).
macro_rules! lstm_objective_with {
    ($(#[$doc:meta])* $name:ident, $(#[$loop_attr:meta])*) => {
        $(#[$doc])*
        #[differentiate(reverse, wrt(main_params, extra_params))]
        pub fn $name(
            main_params: &[f64],
            extra_params: &[f64],
            state: &[f64],
            sequence: &[f64],
            l: usize,
            c: usize,
            b: usize,
        ) -> f64 {
            // the running state, a copy of the initial one
            let mut s = vec![0.0; 2 * l * b];
            for i in 0..2 * l * b {
                s[i] = state[i];
            }
            // the current layer's input, then the prediction
            let mut x = vec![0.0; b];
            let mut total = 0.0;
            $(#[$loop_attr])*
            for t in 0..c - 1 {
                for j in 0..b {
                    x[j] = sequence[t * b + j] * extra_params[j];
                }
                for layer in 0..l {
                    let w = 8 * layer * b;
                    let bias = w + 4 * b;
                    let h = 2 * layer * b;
                    let cell = h + b;
                    for j in 0..b {
                        let xj = x[j];
                        let hj = s[h + j];
                        let zf = xj * main_params[w + j] + main_params[bias + j];
                        let zi = hj * main_params[w + b + j] + main_params[bias + b + j];
                        let zo = xj * main_params[w + 2 * b + j] + main_params[bias + 2 * b + j];
                        let zg = hj * main_params[w + 3 * b + j] + main_params[bias + 3 * b + j];
                        let forget = 1.0 / (1.0 + (-zf).exp());
                        let ingate = 1.0 / (1.0 + (-zi).exp());
                        let outgate = 1.0 / (1.0 + (-zo).exp());
                        let change = zg.tanh();
                        let sc = s[cell + j] * forget + ingate * change;
                        s[cell + j] = sc;
                        let hid = outgate * sc.tanh();
                        s[h + j] = hid;
                        x[j] = hid;
                    }
                }
                let mut sum = 0.0;
                for j in 0..b {
                    let y = x[j] * extra_params[b + j] + extra_params[2 * b + j];
                    x[j] = y;
                    sum += y.exp();
                }
                let lse = (sum + 2.0).ln();
                for j in 0..b {
                    total += sequence[(t + 1) * b + j] * (x[j] - lse);
                }
            }
            -total / ((c - 1) * b) as f64
        }
    };
}

lstm_objective_with!(
    /// The objective, written as plain loops over slices.
    lstm_objective,
);
lstm_objective_with!(
    /// [`lstm_objective`] with `#[checkpoint]` on its time loop: the reverse
    /// sweep keeps the running state (`s`, `x`, `total`) at the start of every
    /// segment of ceil(sqrt(c - 1)) steps and replays one segment at a time,
    /// instead of keeping every step's saves.
    lstm_objective_ck,
    #[checkpoint]
);

/// One LSTM input file.
#[derive(Clone, Debug)]
pub struct Lstm {
    pub l: usize,
    pub c: usize,
    pub b: usize,
    pub main_params: Vec<f64>,
    pub extra_params: Vec<f64>,
    pub state: Vec<f64>,
    pub sequence: Vec<f64>,
}

impl Lstm {
    pub fn objective(&self) -> f64 {
        lstm_objective(
            &self.main_params,
            &self.extra_params,
            &self.state,
            &self.sequence,
            self.l,
            self.c,
            self.b,
        )
    }

    /// Generated gradient: (value, d_main_params, d_extra_params).
    pub fn vjp(&self) -> (f64, Vec<f64>, Vec<f64>) {
        lstm_objective_vjp(
            &self.main_params,
            &self.extra_params,
            &self.state,
            &self.sequence,
            self.l,
            self.c,
            self.b,
            1.0,
        )
    }

    /// Checkpointed generated gradient (`lstm_objective_ck_vjp`): (value,
    /// d_main_params, d_extra_params).
    pub fn vjp_checkpointed(&self) -> (f64, Vec<f64>, Vec<f64>) {
        lstm_objective_ck_vjp(
            &self.main_params,
            &self.extra_params,
            &self.state,
            &self.sequence,
            self.l,
            self.c,
            self.b,
            1.0,
        )
    }

    /// Hand-written gradient: (value, d_main_params, d_extra_params).
    pub fn hand(&self) -> (f64, Vec<f64>, Vec<f64>) {
        lstm_grad_hand(
            &self.main_params,
            &self.extra_params,
            &self.state,
            &self.sequence,
            self.l,
            self.c,
            self.b,
        )
    }

    /// Number of parameters: `8 l b + 3 b`.
    pub fn n_params(&self) -> usize {
        self.main_params.len() + self.extra_params.len()
    }

    /// The parameters packed (main, then extra).
    pub fn params(&self) -> Vec<f64> {
        let mut p = self.main_params.clone();
        p.extend_from_slice(&self.extra_params);
        p
    }

    /// The objective at packed parameters (see [`Lstm::params`]).
    pub fn objective_at(&self, p: &[f64]) -> f64 {
        let (m, e) = p.split_at(self.main_params.len());
        lstm_objective(m, e, &self.state, &self.sequence, self.l, self.c, self.b)
    }

    /// The same problem with only the first `c` characters.
    pub fn truncated(&self, c: usize) -> Lstm {
        let mut p = self.clone();
        p.c = c.min(self.c);
        p.sequence.truncate(p.c * p.b);
        p
    }

    /// The same problem over a synthetic sequence of `c` characters: the
    /// file's sequence repeated (tiled) as often as needed, then cut.
    pub fn tiled(&self, c: usize) -> Lstm {
        let mut p = self.clone();
        p.c = c;
        p.sequence = self
            .sequence
            .iter()
            .copied()
            .cycle()
            .take(c * self.b)
            .collect();
        p
    }
}

/// Where the ADBench inputs are: `$ADBENCH_DIR`, else `../shared/data/adbench`
/// beside the workspace.
pub fn adbench_dir() -> PathBuf {
    match std::env::var_os("ADBENCH_DIR") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/adbench"),
    }
}

/// Reads `lstm/lstm_l<l>_c<c>.txt`.
pub fn read_lstm(l: usize, c: usize) -> Lstm {
    let path = adbench_dir()
        .join("lstm")
        .join(format!("lstm_l{l}_c{c}.txt"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (set ADBENCH_DIR)", path.display()));
    parse_lstm(&text)
}

/// Parses the ADBench LSTM format: `l c b`, then the main parameters (`2l`
/// lines of `4b`: weights then biases of each layer), the extra parameters
/// (3 lines of `b`), the state (`2l` lines of `b`: hidden then cell of each
/// layer) and the sequence (`c` lines of `b`).
pub fn parse_lstm(text: &str) -> Lstm {
    let mut it = text.split_whitespace();
    let mut next = || -> f64 {
        it.next()
            .expect("LSTM file ends early")
            .parse()
            .expect("a number")
    };
    let l = next() as usize;
    let c = next() as usize;
    let b = next() as usize;
    let main_params: Vec<f64> = (0..8 * l * b).map(|_| next()).collect();
    let extra_params: Vec<f64> = (0..3 * b).map(|_| next()).collect();
    let state: Vec<f64> = (0..2 * l * b).map(|_| next()).collect();
    let sequence: Vec<f64> = (0..c * b).map(|_| next()).collect();
    Lstm {
        l,
        c,
        b,
        main_params,
        extra_params,
        state,
        sequence,
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The gradient written by hand (back-propagation through time): the forward
/// pass keeps, per step and layer, the layer's input, its previous hidden and
/// cell state and the four gate values; the backward pass walks the steps in
/// reverse, carrying the adjoints of every layer's hidden and cell state.
/// Returns (value, d_main_params, d_extra_params).
#[inline(never)]
#[allow(clippy::type_complexity)]
pub fn lstm_grad_hand(
    main_params: &[f64],
    extra_params: &[f64],
    state: &[f64],
    sequence: &[f64],
    l: usize,
    c: usize,
    b: usize,
) -> (f64, Vec<f64>, Vec<f64>) {
    let steps = c - 1;
    let lb = l * b;
    // per (step, layer, j): input x, previous hidden, previous cell, the four
    // gates and the new cell
    let mut xin = vec![0.0; steps * lb];
    let mut hprev = vec![0.0; steps * lb];
    let mut cprev = vec![0.0; steps * lb];
    let mut gf = vec![0.0; steps * lb];
    let mut gi = vec![0.0; steps * lb];
    let mut go = vec![0.0; steps * lb];
    let mut gg = vec![0.0; steps * lb];
    let mut cnew = vec![0.0; steps * lb];
    // per step: the top hidden (the output layer's input) and the softmax
    // weights exp(y_j) / (2 + sum exp y)
    let mut top = vec![0.0; steps * b];
    let mut soft = vec![0.0; steps * b];

    let (in_w, rest) = extra_params.split_at(b);
    let (out_w, out_b) = rest.split_at(b);
    let mut hid = vec![0.0; lb];
    let mut cel = vec![0.0; lb];
    for layer in 0..l {
        hid[layer * b..(layer + 1) * b].copy_from_slice(&state[2 * layer * b..(2 * layer + 1) * b]);
        cel[layer * b..(layer + 1) * b]
            .copy_from_slice(&state[(2 * layer + 1) * b..(2 * layer + 2) * b]);
    }
    let mut x = vec![0.0; b];
    let mut total = 0.0;
    for t in 0..steps {
        for j in 0..b {
            x[j] = sequence[t * b + j] * in_w[j];
        }
        for layer in 0..l {
            let w = &main_params[8 * layer * b..8 * layer * b + 4 * b];
            let bi = &main_params[8 * layer * b + 4 * b..8 * (layer + 1) * b];
            let o = t * lb + layer * b;
            for j in 0..b {
                let hp = hid[layer * b + j];
                let cp = cel[layer * b + j];
                let f = sigmoid(x[j] * w[j] + bi[j]);
                let i = sigmoid(hp * w[b + j] + bi[b + j]);
                let og = sigmoid(x[j] * w[2 * b + j] + bi[2 * b + j]);
                let g = (hp * w[3 * b + j] + bi[3 * b + j]).tanh();
                let cn = cp * f + i * g;
                let hn = og * cn.tanh();
                xin[o + j] = x[j];
                hprev[o + j] = hp;
                cprev[o + j] = cp;
                gf[o + j] = f;
                gi[o + j] = i;
                go[o + j] = og;
                gg[o + j] = g;
                cnew[o + j] = cn;
                cel[layer * b + j] = cn;
                hid[layer * b + j] = hn;
                x[j] = hn;
            }
        }
        top[t * b..(t + 1) * b].copy_from_slice(&x);
        let mut sum = 2.0;
        for j in 0..b {
            let e = (x[j] * out_w[j] + out_b[j]).exp();
            soft[t * b + j] = e;
            sum += e;
        }
        let lse = sum.ln();
        for j in 0..b {
            soft[t * b + j] /= sum;
            let y = x[j] * out_w[j] + out_b[j];
            total += sequence[(t + 1) * b + j] * (y - lse);
        }
    }
    let scale = -1.0 / (steps * b) as f64;
    let value = scale * total;

    let mut dmain = vec![0.0; main_params.len()];
    let mut dextra = vec![0.0; extra_params.len()];
    // adjoints of each layer's hidden and cell state, carried backwards
    let mut dh = vec![0.0; lb];
    let mut dc = vec![0.0; lb];
    let mut dx = vec![0.0; b];
    for t in (0..steps).rev() {
        // loss term: d total / d y_j = target_j - soft_j * sum(target)
        let target = &sequence[(t + 1) * b..(t + 2) * b];
        let tsum: f64 = target.iter().sum();
        for j in 0..b {
            let dy = scale * (target[j] - soft[t * b + j] * tsum);
            dextra[2 * b + j] += dy;
            dextra[b + j] += dy * top[t * b + j];
            dx[j] = dy * out_w[j];
        }
        for layer in (0..l).rev() {
            let w = &main_params[8 * layer * b..8 * layer * b + 4 * b];
            let o = t * lb + layer * b;
            let base = 8 * layer * b;
            for j in 0..b {
                let k = layer * b + j;
                // the layer's new hidden feeds the layer above (dx) and the
                // next step (dh)
                let dhn = dx[j] + dh[k];
                let cn = cnew[o + j];
                let tc = cn.tanh();
                let og = go[o + j];
                let dog = dhn * tc;
                let dcn = dc[k] + dhn * og * (1.0 - tc * tc);
                let (f, i, g) = (gf[o + j], gi[o + j], gg[o + j]);
                let df = dcn * cprev[o + j];
                let di = dcn * g;
                let dg = dcn * i;
                dc[k] = dcn * f;
                // through the nonlinearities
                let zf = df * f * (1.0 - f);
                let zi = di * i * (1.0 - i);
                let zo = dog * og * (1.0 - og);
                let zg = dg * (1.0 - g * g);
                let xj = xin[o + j];
                let hp = hprev[o + j];
                dmain[base + j] += zf * xj;
                dmain[base + b + j] += zi * hp;
                dmain[base + 2 * b + j] += zo * xj;
                dmain[base + 3 * b + j] += zg * hp;
                dmain[base + 4 * b + j] += zf;
                dmain[base + 5 * b + j] += zi;
                dmain[base + 6 * b + j] += zo;
                dmain[base + 7 * b + j] += zg;
                dh[k] = zi * w[b + j] + zg * w[3 * b + j];
                dx[j] = zf * w[j] + zo * w[2 * b + j];
            }
        }
        for j in 0..b {
            dextra[j] += dx[j] * sequence[t * b + j];
        }
    }
    (value, dmain, dextra)
}

/// Central finite differences of the objective in the packed parameters, over
/// the components `idx`.
pub fn lstm_fd(p: &Lstm, q: &mut [f64], idx: impl Iterator<Item = usize>, h: f64) -> Vec<f64> {
    idx.map(|i| {
        let qi = q[i];
        q[i] = qi + h;
        let fp = p.objective_at(q);
        q[i] = qi - h;
        let fm = p.objective_at(q);
        q[i] = qi;
        (fp - fm) / (2.0 * h)
    })
    .collect()
}
