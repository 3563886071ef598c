//! The ADBench bundle-adjustment (BA) problem shared by `benches/ba.rs` and
//! `tests/bench_correctness_adbench.rs` (both include this file with
//! `#[path]`, so the benchmark and the tests measure the same code).
//!
//! From `../shared/data/adbench/README.md`: per observation `j` (camera
//! `j mod n`, point `j mod m`), the reprojection error is
//! `w_j (feature_j - project(camera, point))` (2 numbers) and per weight the
//! weight error is `1 - w_j^2`. A camera is 11 numbers: Rodrigues rotation
//! `r` (3), centre `C` (3), focal length `f`, principal point (2) and radial
//! distortion `k1 k2`. `project` rotates `X - C` by `r`, divides by the third
//! coordinate, applies the distortion `1 + k1 rsq + k2 rsq^2` and maps by
//! `f` and the principal point.
//!
//! The Jacobian is sparse: per observation a 2 x 15 block (11 camera, 3
//! point, 1 weight columns) and per weight one number. Methods:
//!
//! - hand: the block written by hand (chain rule through the rotation,
//!   projection and distortion);
//! - forward: the generated `ba_residual_jvp_vec::<16>`, one vector sweep
//!   carrying the 15 columns in its lanes ([`FORWARD_BLOCK`]); also the
//!   scalar `ba_residual_jvp`, one sweep per column (15 per block), and two
//!   8-lane sweeps (slower than one of 16: 23.5 vs 8.7 ms on ba1);
//! - reverse: the generated `ba_residual_vjp`, one sweep per residual row (2
//!   sweeps per block).
#![allow(dead_code)]
// Index loops mirror the differentiated bodies (which must use them).
#![allow(clippy::needless_range_loop)]

use differentiate::prelude::*;
use std::path::PathBuf;

/// Below this squared angle the rotation uses its first-order form
/// `p + r x p`, which is then exact to rounding, derivatives included.
pub const TINY_ANGLE_SQ: f64 = f64::EPSILON * f64::EPSILON;

/// The reprojection error of one observation: `w (feat - project(cam, x))`.
#[differentiate(forward, reverse, vector, wrt(cam, x, w))]
pub fn ba_residual(cam: [f64; 11], x: [f64; 3], w: f64, feat: [f64; 2]) -> [f64; 2] {
    // the point relative to the camera centre
    let p0 = x[0] - cam[3];
    let p1 = x[1] - cam[4];
    let p2 = x[2] - cam[5];
    let (r0, r1, r2) = (cam[0], cam[1], cam[2]);
    let sqtheta = r0 * r0 + r1 * r1 + r2 * r2;
    let (q0, q1, q2) = if sqtheta > TINY_ANGLE_SQ {
        // Rodrigues: p cos t + (u x p) sin t + u (u . p)(1 - cos t), u = r / t
        let theta = sqtheta.sqrt();
        let c = theta.cos();
        let s = theta.sin();
        let inv = 1.0 / theta;
        let u0 = r0 * inv;
        let u1 = r1 * inv;
        let u2 = r2 * inv;
        let k = (u0 * p0 + u1 * p1 + u2 * p2) * (1.0 - c);
        (
            p0 * c + (u1 * p2 - u2 * p1) * s + u0 * k,
            p1 * c + (u2 * p0 - u0 * p2) * s + u1 * k,
            p2 * c + (u0 * p1 - u1 * p0) * s + u2 * k,
        )
    } else {
        (
            p0 + (r1 * p2 - r2 * p1),
            p1 + (r2 * p0 - r0 * p2),
            p2 + (r0 * p1 - r1 * p0),
        )
    };
    // perspective division, radial distortion, intrinsics
    let px = q0 / q2;
    let py = q1 / q2;
    let rsq = px * px + py * py;
    let l = 1.0 + cam[9] * rsq + cam[10] * rsq * rsq;
    let ux = cam[6] * (px * l) + cam[7];
    let uy = cam[6] * (py * l) + cam[8];
    let mut out = [0.0; 2];
    out[0] = w * (feat[0] - ux);
    out[1] = w * (feat[1] - uy);
    out
}

/// The weight error `1 - w^2`.
#[differentiate(forward)]
pub fn ba_weight_error(w: f64) -> f64 {
    1.0 - w * w
}

/// One BA problem, replicated from its file as the data README says.
#[derive(Clone, Debug)]
pub struct Ba {
    pub n: usize,
    pub m: usize,
    pub p: usize,
    pub cams: Vec<f64>,
    pub points: Vec<f64>,
    pub weights: Vec<f64>,
    pub feats: Vec<f64>,
    /// (camera, point) of each observation
    pub obs: Vec<(usize, usize)>,
}

/// The sparse Jacobian: per observation its 2 x 15 block (row 0 then row 1,
/// columns: camera 11, point 3, weight), and per weight d(1 - w^2)/dw.
#[derive(Clone, Debug, PartialEq)]
pub struct BaJacobian {
    pub blocks: Vec<[[f64; 15]; 2]>,
    pub weights: Vec<f64>,
}

/// A method that computes one observation's 2 x 15 block.
pub type BlockFn = fn(&[f64; 11], &[f64; 3], f64, &[f64; 2]) -> [[f64; 15]; 2];

/// The forward-mode block the benchmark and tests use: one
/// `ba_residual_jvp_vec` sweep carrying all 15 columns
/// ([`block_forward_vec16`]).
pub const FORWARD_BLOCK: BlockFn = block_forward_vec16;

fn cam_of(cams: &[f64], c: usize) -> [f64; 11] {
    let mut a = [0.0; 11];
    a.copy_from_slice(&cams[11 * c..11 * c + 11]);
    a
}

fn point_of(points: &[f64], i: usize) -> [f64; 3] {
    [points[3 * i], points[3 * i + 1], points[3 * i + 2]]
}

impl Ba {
    /// All residuals into `reproj` (2 reprojection errors per observation)
    /// and `werr` (one weight error per observation).
    pub fn objective_into(&self, reproj: &mut [f64], werr: &mut [f64]) {
        assert_eq!(
            (reproj.len(), werr.len()),
            (2 * self.p, self.p),
            "residual buffer sizes"
        );
        for (j, &(c, i)) in self.obs.iter().enumerate() {
            let feat = [self.feats[2 * j], self.feats[2 * j + 1]];
            let e = ba_residual(
                cam_of(&self.cams, c),
                point_of(&self.points, i),
                self.weights[j],
                feat,
            );
            reproj[2 * j] = e[0];
            reproj[2 * j + 1] = e[1];
            werr[j] = ba_weight_error(self.weights[j]);
        }
    }

    /// All residuals, in new buffers.
    pub fn objective(&self) -> (Vec<f64>, Vec<f64>) {
        let mut reproj = vec![0.0; 2 * self.p];
        let mut werr = vec![0.0; self.p];
        self.objective_into(&mut reproj, &mut werr);
        (reproj, werr)
    }

    /// An output buffer for the Jacobian, the right size and zeroed.
    pub fn jacobian_buffer(&self) -> BaJacobian {
        BaJacobian {
            blocks: vec![[[0.0; 15]; 2]; self.p],
            weights: vec![0.0; self.p],
        }
    }

    /// The sparse Jacobian into `out` (from [`Ba::jacobian_buffer`]), with
    /// `block` computing each observation's block and `weight` each weight
    /// error's derivative. Writing into a buffer the caller keeps (as
    /// ADBench's harness does) times the derivative, not the allocator: the
    /// Jacobian of ba12 is 216 MB.
    pub fn jacobian_into(&self, block: BlockFn, weight: fn(f64) -> f64, out: &mut BaJacobian) {
        assert_eq!(out.blocks.len(), self.p, "Jacobian buffer size");
        for (j, &(c, i)) in self.obs.iter().enumerate() {
            let feat = [self.feats[2 * j], self.feats[2 * j + 1]];
            out.blocks[j] = block(
                &cam_of(&self.cams, c),
                &point_of(&self.points, i),
                self.weights[j],
                &feat,
            );
            out.weights[j] = weight(self.weights[j]);
        }
    }

    /// The sparse Jacobian in a new buffer.
    pub fn jacobian_with(&self, block: BlockFn, weight: fn(f64) -> f64) -> BaJacobian {
        let mut out = self.jacobian_buffer();
        self.jacobian_into(block, weight, &mut out);
        out
    }

    /// By hand.
    pub fn jacobian_hand(&self) -> BaJacobian {
        self.jacobian_with(block_hand, weight_error_hand)
    }

    /// Forward mode ([`FORWARD_BLOCK`]).
    pub fn jacobian_forward(&self) -> BaJacobian {
        self.jacobian_with(FORWARD_BLOCK, weight_error_forward)
    }

    /// Reverse mode, one sweep per residual row.
    pub fn jacobian_reverse(&self) -> BaJacobian {
        self.jacobian_with(block_reverse, weight_error_forward)
    }
}

/// The block by 15 forward sweeps of `ba_residual_jvp`, one unit tangent
/// each.
#[inline(never)]
pub fn block_forward_scalar(
    cam: &[f64; 11],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
) -> [[f64; 15]; 2] {
    let mut out = [[0.0; 15]; 2];
    for k in 0..15 {
        let mut dc = [0.0; 11];
        let mut dx = [0.0; 3];
        let mut dw = 0.0;
        if k < 11 {
            dc[k] = 1.0;
        } else if k < 14 {
            dx[k - 11] = 1.0;
        } else {
            dw = 1.0;
        }
        let (_, t) = ba_residual_jvp(*cam, *x, w, *feat, dc, dx, dw);
        out[0][k] = t[0];
        out[1][k] = t[1];
    }
    out
}

/// The columns `first..first + K` (those below 15) of the block by one
/// `ba_residual_jvp_vec::<K>` sweep: lane `l` seeds input `first + l`.
#[inline(always)]
fn columns_vec<const K: usize>(
    cam: &[f64; 11],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
    first: usize,
    out: &mut [[f64; 15]; 2],
) {
    // input `i` is lane `i - first` when that is in range, else zero
    let seed = |i: usize| match i.checked_sub(first) {
        Some(l) if l < K => Lanes::unit(l),
        _ => Lanes::zero(),
    };
    let dc: [Lanes<f64, K>; 11] = std::array::from_fn(seed);
    let dx: [Lanes<f64, K>; 3] = std::array::from_fn(|i| seed(11 + i));
    let (_, t) = ba_residual_jvp_vec(*cam, *x, w, *feat, dc, dx, seed(14));
    for a in 0..2 {
        let n = K.min(15 - first);
        out[a][first..first + n].copy_from_slice(&t[a].as_slice()[..n]);
    }
}

/// The block by one vector forward sweep of 16 lanes (15 used).
#[inline(never)]
pub fn block_forward_vec16(
    cam: &[f64; 11],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
) -> [[f64; 15]; 2] {
    let mut out = [[0.0; 15]; 2];
    columns_vec::<16>(cam, x, w, feat, 0, &mut out);
    out
}

/// The block by two vector forward sweeps of 8 lanes (columns 0..8, 8..15).
#[inline(never)]
pub fn block_forward_vec8(
    cam: &[f64; 11],
    x: &[f64; 3],
    w: f64,
    feat: &[f64; 2],
) -> [[f64; 15]; 2] {
    let mut out = [[0.0; 15]; 2];
    columns_vec::<8>(cam, x, w, feat, 0, &mut out);
    columns_vec::<8>(cam, x, w, feat, 8, &mut out);
    out
}

/// The block by 2 reverse sweeps of `ba_residual_vjp`, one per residual.
#[inline(never)]
pub fn block_reverse(cam: &[f64; 11], x: &[f64; 3], w: f64, feat: &[f64; 2]) -> [[f64; 15]; 2] {
    let mut out = [[0.0; 15]; 2];
    for row in 0..2 {
        let mut seed = [0.0; 2];
        seed[row] = 1.0;
        let (_, dc, dx, dw) = ba_residual_vjp(*cam, *x, w, *feat, seed);
        out[row][..11].copy_from_slice(&dc);
        out[row][11..14].copy_from_slice(&dx);
        out[row][14] = dw;
    }
    out
}

/// d(1 - w^2)/dw by one forward sweep.
pub fn weight_error_forward(w: f64) -> f64 {
    ba_weight_error_jvp(w, 1.0).1
}

/// d(1 - w^2)/dw by hand.
pub fn weight_error_hand(w: f64) -> f64 {
    -2.0 * w
}

/// The block written by hand: the chain rule through the rotation (with
/// `u = r / theta`: `d theta / dr = u`, `du/dr = (I - u u^T) / theta`), the
/// perspective division, the distortion and the intrinsics.
#[inline(never)]
pub fn block_hand(cam: &[f64; 11], x: &[f64; 3], w: f64, feat: &[f64; 2]) -> [[f64; 15]; 2] {
    let p = [x[0] - cam[3], x[1] - cam[4], x[2] - cam[5]];
    let r = [cam[0], cam[1], cam[2]];
    let sqtheta = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
    // q = R p; dq_dr[i][j] = d q_i / d r_j; dq_dp = R
    let mut q = [0.0; 3];
    let mut dq_dr = [[0.0; 3]; 3];
    let mut rm = [[0.0; 3]; 3];
    if sqtheta > TINY_ANGLE_SQ {
        let theta = sqtheta.sqrt();
        let (s, c) = theta.sin_cos();
        let inv = 1.0 / theta;
        let u = [r[0] * inv, r[1] * inv, r[2] * inv];
        let up = u[0] * p[0] + u[1] * p[1] + u[2] * p[2];
        let uxp = cross(&u, &p);
        let omc = 1.0 - c;
        for i in 0..3 {
            q[i] = p[i] * c + uxp[i] * s + u[i] * up * omc;
        }
        // R = c I + s [u]x + (1 - c) u u^T
        for i in 0..3 {
            for j in 0..3 {
                rm[i][j] = omc * u[i] * u[j];
            }
            rm[i][i] += c;
        }
        rm[0][1] -= s * u[2];
        rm[0][2] += s * u[1];
        rm[1][0] += s * u[2];
        rm[1][2] -= s * u[0];
        rm[2][0] -= s * u[1];
        rm[2][1] += s * u[0];
        // d q / d theta at fixed u
        let mut a = [0.0; 3];
        for i in 0..3 {
            a[i] = -s * p[i] + c * uxp[i] + s * u[i] * up;
        }
        for j in 0..3 {
            // du / dr_j = (e_j - u u_j) / theta
            let mut du = [-u[0] * u[j] * inv, -u[1] * u[j] * inv, -u[2] * u[j] * inv];
            du[j] += inv;
            let duxp = cross(&du, &p);
            let dup = du[0] * p[0] + du[1] * p[1] + du[2] * p[2];
            for i in 0..3 {
                dq_dr[i][j] = a[i] * u[j] + s * duxp[i] + omc * (du[i] * up + u[i] * dup);
            }
        }
    } else {
        let rxp = cross(&r, &p);
        for i in 0..3 {
            q[i] = p[i] + rxp[i];
            rm[i][i] = 1.0;
        }
        // q = p + r x p: dq/dr = -[p]x, dq/dp = I + [r]x
        dq_dr = [[0.0, p[2], -p[1]], [-p[2], 0.0, p[0]], [p[1], -p[0], 0.0]];
        rm[0][1] -= r[2];
        rm[0][2] += r[1];
        rm[1][0] += r[2];
        rm[1][2] -= r[0];
        rm[2][0] -= r[1];
        rm[2][1] += r[0];
    }
    // perspective division: d(px, py)/dq
    let iz = 1.0 / q[2];
    let px = q[0] * iz;
    let py = q[1] * iz;
    let dproj = [[iz, 0.0, -px * iz], [0.0, iz, -py * iz]];
    // distortion: d = proj * l, l = 1 + k1 rsq + k2 rsq^2
    let (k1, k2) = (cam[9], cam[10]);
    let rsq = px * px + py * py;
    let l = 1.0 + k1 * rsq + k2 * rsq * rsq;
    let dl = 2.0 * (k1 + 2.0 * k2 * rsq); // dl/dpx = dl * px
    let proj = [px, py];
    // dd/dproj
    let dd = [
        [l + dl * px * px, dl * px * py],
        [dl * py * px, l + dl * py * py],
    ];
    let f = cam[6];
    // residual = w (feat - (f d + pp)): d residual / d q = -w f dd dproj
    let mut dres_dq = [[0.0; 3]; 2];
    for a in 0..2 {
        for i in 0..3 {
            dres_dq[a][i] = -w * f * (dd[a][0] * dproj[0][i] + dd[a][1] * dproj[1][i]);
        }
    }
    let mut out = [[0.0; 15]; 2];
    for a in 0..2 {
        let o = &mut out[a];
        let g = &dres_dq[a];
        for j in 0..3 {
            // rotation
            o[j] = g[0] * dq_dr[0][j] + g[1] * dq_dr[1][j] + g[2] * dq_dr[2][j];
            // through p = X - C: d/dX = g R, d/dC = -g R
            let gr = g[0] * rm[0][j] + g[1] * rm[1][j] + g[2] * rm[2][j];
            o[11 + j] = gr;
            o[3 + j] = -gr;
        }
        let d = proj[a] * l;
        o[6] = -w * d;
        o[7 + a] = -w;
        o[9] = -w * f * proj[a] * rsq;
        o[10] = -w * f * proj[a] * rsq * rsq;
        o[14] = feat[a] - (f * d + cam[7 + a]);
    }
    out
}

fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Where the ADBench inputs are: `$ADBENCH_DIR`, else `../shared/data/adbench`
/// beside the workspace.
pub fn adbench_dir() -> PathBuf {
    match std::env::var_os("ADBENCH_DIR") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/adbench"),
    }
}

/// Reads `ba/ba<k>_*.txt` (`k` = 1 for ba1, ...).
pub fn read_ba(k: usize) -> Ba {
    let dir = adbench_dir().join("ba");
    let prefix = format!("ba{k}_");
    let path = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e} (set ADBENCH_DIR)", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no ba{k}_*.txt in {}", dir.display()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_ba(&text)
}

/// Parses the ADBench BA format and replicates it: `n m p`, then one camera
/// (11), one point (3), one weight and one feature (2); observation `j` uses
/// camera `j mod n` and point `j mod m`.
pub fn parse_ba(text: &str) -> Ba {
    let mut it = text.split_whitespace();
    let mut next = || -> f64 {
        it.next()
            .expect("BA file ends early")
            .parse()
            .expect("a number")
    };
    let n = next() as usize;
    let m = next() as usize;
    let p = next() as usize;
    let cam: Vec<f64> = (0..11).map(|_| next()).collect();
    let point: Vec<f64> = (0..3).map(|_| next()).collect();
    let w = next();
    let feat = [next(), next()];
    Ba {
        n,
        m,
        p,
        cams: cam.repeat(n),
        points: point.repeat(m),
        weights: vec![w; p],
        feats: feat.repeat(p),
        obs: (0..p).map(|j| (j % n, j % m)).collect(),
    }
}
