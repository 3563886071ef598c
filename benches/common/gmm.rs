//! The ADBench GMM problem shared by `benches/gmm.rs` and
//! `tests/bench_correctness_more.rs` (both include this file with `#[path]`,
//! so the benchmark and the tests measure the same code).
//!
//! Objective (from `../shared/data/adbench/README.md`), over flat slices:
//!
//! ```text
//!   sum_i logsumexp_k( alpha_k + sum(q_k) - 0.5 ||Q_k (x_i - mu_k)||^2 )
//! - n logsumexp(alpha)
//! + sum_k ( 0.5 gamma^2 (||exp(q_k)||^2 + ||l_k||^2) - m sum(q_k) )
//! ```
//!
//! without the constant terms (`-n d/2 log 2 pi` and the Wishart normaliser),
//! which do not change the gradient. Layout: `alpha` K, `means` K*d (row k is
//! mu_k), `icf` K*(d + d(d-1)/2) (row k: the d log-diagonal entries q_k, then
//! the strictly-lower entries of Q_k column by column), `x` n*d.
#![allow(dead_code)]
// Index loops mirror the differentiated bodies (which must use them).
#![allow(clippy::needless_range_loop)]

use differentiate::prelude::*;
use std::path::PathBuf;

/// The GMM objective, written the natural way: loops, `exp`, `ln`, and a
/// logsumexp made stable with a max. Only `alpha`, `means` and `icf` are
/// active; the data `x`, the sizes and the Wishart parameters are not.
///
/// As in ADBench's C++, `exp(q_k)` and `sum(q_k)` are computed once per
/// component, not per point. `Q_k (x_i - mu_k)` is computed row by row (`(Q xc)_r = exp(q_r) xc_r +
/// sum_{c<r} L_rc xc_c`), so each row is one scalar accumulation and the only
/// buffers are the centred point `xc` and the K mixture terms.
#[differentiate(reverse, wrt(alpha, means, icf))]
#[allow(clippy::too_many_arguments)]
pub fn gmm_objective(
    alpha: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    gamma: f64,
    m: f64,
) -> f64 {
    let n = x.len() / d;
    let icf_sz = d * (d + 1) / 2;
    // sum(q_k) and the prior, once per component
    let mut sum_q = vec![0.0; k];
    let mut qdiag = vec![0.0; k * d];
    let mut prior = 0.0;
    for c in 0..k {
        let base = c * icf_sz;
        let mut s = 0.0;
        let mut frob = 0.0;
        for j in 0..d {
            let q = icf[base + j];
            s += q;
            let e = q.exp();
            qdiag[c * d + j] = e;
            frob += e * e;
        }
        for j in d..icf_sz {
            let l = icf[base + j];
            frob += l * l;
        }
        sum_q[c] = s;
        prior += 0.5 * gamma * gamma * frob - m * s;
    }
    let mut xc = vec![0.0; d];
    let mut main_term = vec![0.0; k];
    let mut total = 0.0;
    for i in 0..n {
        for c in 0..k {
            for j in 0..d {
                xc[j] = x[i * d + j] - means[c * d + j];
            }
            let base = c * icf_sz;
            let mut sq = 0.0;
            for r in 0..d {
                let mut v = qdiag[c * d + r] * xc[r];
                // L_rc sits at d + c(2d - c - 1)/2 + (r - c - 1) in the row
                for cc in 0..r {
                    let li = base + d + cc * (2 * d - cc - 1) / 2 + r - cc - 1;
                    v += icf[li] * xc[cc];
                }
                sq += v * v;
            }
            main_term[c] = alpha[c] + sum_q[c] - 0.5 * sq;
        }
        let mut mx = main_term[0];
        for c in 1..k {
            mx = mx.max(main_term[c]);
        }
        let mut se = 0.0;
        for c in 0..k {
            se += (main_term[c] - mx).exp();
        }
        total += mx + se.ln();
    }
    let mut amx = alpha[0];
    for c in 1..k {
        amx = amx.max(alpha[c]);
    }
    let mut ase = 0.0;
    for c in 0..k {
        ase += (alpha[c] - amx).exp();
    }
    let lse_alpha = amx + ase.ln();
    total - (n as f64) * lse_alpha + prior
}

/// One GMM input file.
#[derive(Clone, Debug)]
pub struct Gmm {
    pub d: usize,
    pub k: usize,
    pub n: usize,
    pub alpha: Vec<f64>,
    pub means: Vec<f64>,
    pub icf: Vec<f64>,
    pub x: Vec<f64>,
    pub gamma: f64,
    pub m: f64,
}

impl Gmm {
    pub fn objective(&self) -> f64 {
        gmm_objective(
            &self.alpha,
            &self.means,
            &self.icf,
            &self.x,
            self.d,
            self.k,
            self.gamma,
            self.m,
        )
    }

    /// Generated gradient: (value, d_alpha, d_means, d_icf).
    pub fn vjp(&self) -> (f64, Vec<f64>, Vec<f64>, Vec<f64>) {
        gmm_objective_vjp(
            &self.alpha,
            &self.means,
            &self.icf,
            &self.x,
            self.d,
            self.k,
            self.gamma,
            self.m,
            1.0,
        )
    }

    pub fn hand(&self) -> (f64, Vec<f64>, Vec<f64>, Vec<f64>) {
        gmm_grad_hand(
            &self.alpha,
            &self.means,
            &self.icf,
            &self.x,
            self.d,
            self.k,
            self.gamma,
            self.m,
        )
    }

    /// Number of parameters: K (1 + d + d(d+1)/2).
    pub fn n_params(&self) -> usize {
        self.alpha.len() + self.means.len() + self.icf.len()
    }

    /// All parameters in one vector (alpha, means, icf), the layout the
    /// finite-difference, dual-number and tape gradients use.
    pub fn params(&self) -> Vec<f64> {
        let mut p = self.alpha.clone();
        p.extend_from_slice(&self.means);
        p.extend_from_slice(&self.icf);
        p
    }

    /// The objective at packed parameters `p` (see [`Gmm::params`]).
    pub fn objective_at(&self, p: &[f64]) -> f64 {
        let (a, rest) = p.split_at(self.k);
        let (mu, icf) = rest.split_at(self.k * self.d);
        gmm_objective(a, mu, icf, &self.x, self.d, self.k, self.gamma, self.m)
    }

    /// The same problem with only the first `n` points.
    pub fn truncated(&self, n: usize) -> Gmm {
        let mut g = self.clone();
        g.n = n.min(self.n);
        g.x.truncate(g.n * g.d);
        g
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

/// Reads `gmm/<set>/gmm_d<d>_K<k>.txt` (e.g. `set = "1k"`).
pub fn read_gmm(set: &str, d: usize, k: usize) -> Gmm {
    let path = adbench_dir()
        .join("gmm")
        .join(set)
        .join(format!("gmm_d{d}_K{k}.txt"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (set ADBENCH_DIR)", path.display()));
    parse_gmm(&text)
}

/// Parses the ADBench GMM format (see the data README).
pub fn parse_gmm(text: &str) -> Gmm {
    let mut it = text.split_whitespace();
    let mut next = || -> f64 {
        it.next()
            .expect("GMM file ends early")
            .parse()
            .expect("a number")
    };
    let d = next() as usize;
    let k = next() as usize;
    let n = next() as usize;
    let icf_sz = d * (d + 1) / 2;
    let alpha: Vec<f64> = (0..k).map(|_| next()).collect();
    let means: Vec<f64> = (0..k * d).map(|_| next()).collect();
    let icf: Vec<f64> = (0..k * icf_sz).map(|_| next()).collect();
    let x: Vec<f64> = (0..n * d).map(|_| next()).collect();
    let gamma = next();
    let m = next();
    Gmm {
        d,
        k,
        n,
        alpha,
        means,
        icf,
        x,
        gamma,
        m,
    }
}

/// The gradient written by hand, in the style of ADBench's hand-written C++:
/// per point, the K mixture terms and their softmax weights, then each
/// component's contribution to d_alpha, d_mu, d_q and d_L in one pass over
/// `Q_k`. Returns (value, d_alpha, d_means, d_icf).
#[inline(never)]
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
pub fn gmm_grad_hand(
    alpha: &[f64],
    means: &[f64],
    icf: &[f64],
    x: &[f64],
    d: usize,
    k: usize,
    gamma: f64,
    m: f64,
) -> (f64, Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = x.len() / d;
    let icf_sz = d * (d + 1) / 2;
    let mut d_alpha = vec![0.0; k];
    let mut d_means = vec![0.0; k * d];
    let mut d_icf = vec![0.0; k * icf_sz];

    // exp(q) and sum(q) per component
    let mut qdiag = vec![0.0; k * d];
    let mut sum_q = vec![0.0; k];
    for c in 0..k {
        for j in 0..d {
            let q = icf[c * icf_sz + j];
            qdiag[c * d + j] = q.exp();
            sum_q[c] += q;
        }
    }

    let mut xc = vec![0.0; k * d]; // x_i - mu_c, per component
    let mut qxc = vec![0.0; k * d]; // Q_c (x_i - mu_c), per component
    let mut main_term = vec![0.0; k];
    let mut tmp = vec![0.0; d];
    let mut total = 0.0;
    for i in 0..n {
        let xi = &x[i * d..(i + 1) * d];
        for c in 0..k {
            let xcc = &mut xc[c * d..(c + 1) * d];
            for j in 0..d {
                xcc[j] = xi[j] - means[c * d + j];
            }
            let qd = &qdiag[c * d..(c + 1) * d];
            let l = &icf[c * icf_sz + d..(c + 1) * icf_sz];
            let out = &mut qxc[c * d..(c + 1) * d];
            for j in 0..d {
                out[j] = qd[j] * xcc[j];
            }
            // L column by column
            let mut li = 0;
            for col in 0..d {
                let xcol = xcc[col];
                for r in col + 1..d {
                    out[r] += l[li] * xcol;
                    li += 1;
                }
            }
            let sq: f64 = out.iter().map(|v| v * v).sum();
            main_term[c] = alpha[c] + sum_q[c] - 0.5 * sq;
        }
        let mx = main_term.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let se: f64 = main_term.iter().map(|t| (t - mx).exp()).sum();
        let lse = mx + se.ln();
        total += lse;
        for c in 0..k {
            // posterior weight of component c for point i
            let w = (main_term[c] - lse).exp();
            d_alpha[c] += w;
            let xcc = &xc[c * d..(c + 1) * d];
            let out = &qxc[c * d..(c + 1) * d];
            let qd = &qdiag[c * d..(c + 1) * d];
            let l = &icf[c * icf_sz + d..(c + 1) * icf_sz];
            let g = &mut d_icf[c * icf_sz..(c + 1) * icf_sz];
            // d/dq_j: 1 - (Q xc)_j exp(q_j) xc_j; tmp = Q^T (Q xc) for d_mu
            for j in 0..d {
                g[j] += w * (1.0 - out[j] * qd[j] * xcc[j]);
                tmp[j] = qd[j] * out[j];
            }
            let mut li = 0;
            for col in 0..d {
                let xcol = xcc[col];
                let mut t = tmp[col];
                for r in col + 1..d {
                    g[d + li] -= w * out[r] * xcol;
                    t += l[li] * out[r];
                    li += 1;
                }
                tmp[col] = t;
            }
            let dm = &mut d_means[c * d..(c + 1) * d];
            for j in 0..d {
                dm[j] += w * tmp[j];
            }
        }
    }

    // - n logsumexp(alpha)
    let amx = alpha.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let ase: f64 = alpha.iter().map(|a| (a - amx).exp()).sum();
    let lse_alpha = amx + ase.ln();
    for c in 0..k {
        d_alpha[c] -= n as f64 * (alpha[c] - lse_alpha).exp();
    }

    // Wishart prior
    let g2 = gamma * gamma;
    let mut prior = 0.0;
    for c in 0..k {
        let mut frob = 0.0;
        for j in 0..d {
            let e = qdiag[c * d + j];
            frob += e * e;
            d_icf[c * icf_sz + j] += g2 * e * e - m;
        }
        for j in d..icf_sz {
            let l = icf[c * icf_sz + j];
            frob += l * l;
            d_icf[c * icf_sz + j] += g2 * l;
        }
        prior += 0.5 * g2 * frob - m * sum_q[c];
    }
    (
        total - n as f64 * lse_alpha + prior,
        d_alpha,
        d_means,
        d_icf,
    )
}

/// Central finite differences of the objective in the packed parameters,
/// over the components `idx` only (all of them: `0..g.n_params()`).
pub fn gmm_fd(g: &Gmm, p: &mut [f64], idx: impl Iterator<Item = usize>, h: f64) -> Vec<f64> {
    idx.map(|i| {
        let pi = p[i];
        p[i] = pi + h;
        let fp = g.objective_at(p);
        p[i] = pi - h;
        let fm = g.objective_at(p);
        p[i] = pi;
        (fp - fm) / (2.0 * h)
    })
    .collect()
}

/// The same objective over any `num_dual::DualNum` (for the dual-number peer);
/// `p` packed as in [`Gmm::params`].
pub fn gmm_objective_dual<T: num_dual::DualNum<Primitive = f64> + Copy>(g: &Gmm, p: &[T]) -> T {
    let (d, k) = (g.d, g.k);
    let icf_sz = d * (d + 1) / 2;
    let (alpha, rest) = p.split_at(k);
    let (means, icf) = rest.split_at(k * d);
    let mut sum_q = vec![T::zero(); k];
    let mut qdiag = vec![T::zero(); k * d];
    let mut prior = T::zero();
    for c in 0..k {
        let base = c * icf_sz;
        let mut s = T::zero();
        let mut frob = T::zero();
        for j in 0..d {
            s += icf[base + j];
            let e = icf[base + j].exp();
            qdiag[c * d + j] = e;
            frob += e * e;
        }
        for j in d..icf_sz {
            frob += icf[base + j] * icf[base + j];
        }
        sum_q[c] = s;
        prior += frob * (0.5 * g.gamma * g.gamma) - s * g.m;
    }
    let mut xc = vec![T::zero(); d];
    let mut main_term = vec![T::zero(); k];
    let mut total = T::zero();
    for i in 0..g.n {
        for c in 0..k {
            for j in 0..d {
                xc[j] = -means[c * d + j] + g.x[i * d + j];
            }
            let base = c * icf_sz;
            let mut sq = T::zero();
            for r in 0..d {
                let mut v = qdiag[c * d + r] * xc[r];
                for cc in 0..r {
                    let li = base + d + cc * (2 * d - cc - 1) / 2 + r - cc - 1;
                    v += icf[li] * xc[cc];
                }
                sq += v * v;
            }
            main_term[c] = alpha[c] + sum_q[c] - sq * 0.5f64;
        }
        total += logsumexp_dual(&main_term);
    }
    total - logsumexp_dual(alpha) * (g.n as f64) + prior
}

fn logsumexp_dual<T: num_dual::DualNum<Primitive = f64> + Copy>(v: &[T]) -> T {
    let mut mx = v[0].re();
    for t in &v[1..] {
        mx = mx.max(t.re());
    }
    let mut se = T::zero();
    for &t in v {
        se += (t - mx).exp();
    }
    se.ln() + mx
}

/// num-dual's forward mode: one sweep of the objective in `num_dual::Dual64` per
/// parameter (num-dual's own `gradient` would carry a vector of all
/// parameters in every number instead; see benches/peers.rs).
pub fn gmm_grad_num_dual(g: &Gmm, p: &[f64]) -> (f64, Vec<f64>) {
    let mut pd: Vec<num_dual::Dual64> = p.iter().map(|&v| num_dual::Dual64::from(v)).collect();
    let mut grad = vec![0.0; p.len()];
    let mut value = 0.0;
    for i in 0..p.len() {
        pd[i].eps = 1.0;
        let r = gmm_objective_dual(g, &pd);
        pd[i].eps = 0.0;
        value = num_dual::DualStruct::re(&r);
        grad[i] = r.eps;
    }
    (value, grad)
}

/// The same objective recorded on the `reverse` crate's tape (the run-time
/// tape peer). Returns (value, gradient in the packed layout).
pub fn gmm_grad_tape(g: &Gmm, p: &[f64]) -> (f64, Vec<f64>) {
    use reverse::{Gradient, Tape};
    let tape = Tape::new();
    let vars = tape.add_vars(p);
    let (d, k) = (g.d, g.k);
    let icf_sz = d * (d + 1) / 2;
    let (alpha, rest) = vars.split_at(k);
    let (means, icf) = rest.split_at(k * d);
    let mut sum_q = Vec::with_capacity(k);
    let mut qdiag = Vec::with_capacity(k * d);
    let mut prior = tape.add_var(0.0);
    for c in 0..k {
        let base = c * icf_sz;
        let mut s = icf[base];
        let e0 = icf[base].exp();
        qdiag.push(e0);
        let mut frob = e0 * e0;
        for j in 1..d {
            s = s + icf[base + j];
            let e = icf[base + j].exp();
            qdiag.push(e);
            frob = frob + e * e;
        }
        for j in d..icf_sz {
            frob = frob + icf[base + j] * icf[base + j];
        }
        sum_q.push(s);
        prior = prior + frob * (0.5 * g.gamma * g.gamma) - s * g.m;
    }
    let mut total = tape.add_var(0.0);
    let mut main_term = Vec::with_capacity(k);
    let mut xc = Vec::with_capacity(d);
    for i in 0..g.n {
        main_term.clear();
        for c in 0..k {
            xc.clear();
            for j in 0..d {
                xc.push(g.x[i * d + j] - means[c * d + j]);
            }
            let base = c * icf_sz;
            let mut sq = tape.add_var(0.0);
            for r in 0..d {
                let mut v = qdiag[c * d + r] * xc[r];
                for cc in 0..r {
                    let li = base + d + cc * (2 * d - cc - 1) / 2 + r - cc - 1;
                    v = v + icf[li] * xc[cc];
                }
                sq = sq + v * v;
            }
            main_term.push(alpha[c] + sum_q[c] - sq * 0.5);
        }
        total = total + tape_lse(&main_term);
    }
    let out = total - tape_lse(alpha) * (g.n as f64) + prior;
    let grads = out.grad();
    (out.val(), grads.wrt(&vars))
}

fn tape_lse<'a>(v: &[reverse::Var<'a>]) -> reverse::Var<'a> {
    let mut mx = v[0].val();
    for t in &v[1..] {
        mx = mx.max(t.val());
    }
    let mut se = (v[0] - mx).exp();
    for &t in &v[1..] {
        se = se + (t - mx).exp();
    }
    se.ln() + mx
}
