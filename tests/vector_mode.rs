//! Vector mode: `#[differentiate(forward, vector)]` generates `f_jvp_vec::<K>`,
//! the forward sweep carrying `K` tangents at once. Every lane must equal the
//! scalar `f_jvp` for that lane's tangents EXACTLY (`==`): the vector sweep
//! performs the same operations on the same numbers.
// Lane loops index several tangents by the same lane.
#![allow(clippy::needless_range_loop)]
use differentiate::drivers::{
    hessian, hessian_vec, jacobian, jacobian_forward, jacobian_forward_vec, jacobian_reverse,
    jacobian_vec,
};
use differentiate::prelude::*;

/// Deterministic, irregular tangent components (lane `k`, component `i`).
fn dir(k: usize, i: usize) -> f64 {
    let t = (k * 7 + i * 13 + 3) as f64;
    (t * 0.618_033_988_749_895).fract() * 4.0 - 2.0
}

fn lanes<const K: usize>(i: usize) -> Lanes<f64, K> {
    Lanes::new(std::array::from_fn(|k| dir(k, i)))
}

fn lanes32<const K: usize>(i: usize) -> Lanes<f32, K> {
    Lanes::new(std::array::from_fn(|k| dir(k, i) as f32))
}

// ---- scalars: every float method of the subset ----

#[differentiate(forward, vector)]
fn methods(x: f64, y: f64) -> f64 {
    let a = x.sin() * y.cos() + (x * 0.3).tan() + (x * 0.2).asin() - (y * 0.1).acos();
    let b = x.atan() + x.atan2(y) + x.sinh() - y.cosh() * 0.01 + (x * 0.5).tanh();
    let c = x.exp() + y.exp2() + x.ln() * y.log10() + y.log2() + x.ln_1p() - y.exp_m1() * 0.1;
    let d = x.sqrt() + y.cbrt() + x.powi(3) - y.powf(x) + (x - y).abs() + x.hypot(y);
    let e = x.max(y) * x.min(y) + x.signum() + x.mul_add(y, 2.0) + y.recip() + x.clamp(0.5, 1.2);
    let mut s = a + b;
    s += c;
    s -= d * 0.5;
    s *= 1.0 + e * 0.01;
    s /= y;
    -s + (x % 0.4) * (y % x) + (x / y).floor()
}

#[test]
fn scalar_methods_every_lane_equals_the_scalar_jvp() {
    let (x, y) = (1.1, 1.7);
    let (dx, dy) = (lanes::<5>(0), lanes::<5>(1));
    let (v, t) = methods_jvp_vec(x, y, dx, dy);
    assert_eq!(v, methods(x, y));
    for k in 0..5 {
        assert_eq!(methods_jvp(x, y, dx[k], dy[k]), (v, t[k]), "lane {k}");
    }
    // unit seeds give the partial derivatives
    let (_, g) = methods_jvp_vec(x, y, Lanes::new([1.0, 0.0]), Lanes::new([0.0, 1.0]));
    assert_eq!(g[0], methods_jvp(x, y, 1.0, 0.0).1);
    assert_eq!(g[1], methods_jvp(x, y, 0.0, 1.0).1);
}

// ---- f32, and casts between float types ----

#[differentiate(forward, vector)]
fn mixed(x: f32, y: f64) -> f64 {
    let wide = x as f64;
    let narrow = (y * wide) as f32;
    (narrow.sin() * x) as f64 + wide.exp() * y
}

#[differentiate(forward, vector)]
fn single(x: f32, w: [f32; 3]) -> f32 {
    let mut s = 0.0;
    for i in 0..3 {
        s += w[i] * (x * i as f32).cos();
    }
    s.tanh() / (1.0 + x * x)
}

#[test]
fn f32_and_casts() {
    let (dx, dy) = (lanes32::<4>(0), lanes::<4>(1));
    let (v, t) = mixed_jvp_vec(0.7, 1.3, dx, dy);
    assert_eq!(v, mixed(0.7, 1.3));
    for k in 0..4 {
        assert_eq!(mixed_jvp(0.7, 1.3, dx[k], dy[k]), (v, t[k]));
    }
    let w = [0.5_f32, -1.5, 2.0];
    let dw = [lanes32::<3>(1), lanes32::<3>(2), lanes32::<3>(3)];
    let (v, t) = single_jvp_vec(0.4, w, lanes32::<3>(0), dw);
    for k in 0..3 {
        let dwk = [dw[0][k], dw[1][k], dw[2][k]];
        assert_eq!(single_jvp(0.4, w, lanes32::<3>(0)[k], dwk), (v, t[k]));
    }
}

// ---- arrays ----

#[differentiate(forward, vector)]
fn rotate(angle: f64, p: [f64; 3]) -> [f64; 2] {
    let (s, c) = (angle.sin(), angle.cos());
    let mut out = [0.0; 2];
    out[0] = c * p[0] - s * p[1];
    out[1] = (s * p[0] + c * p[1]) / p[2];
    out
}

#[test]
fn arrays_of_lanes() {
    let p = [0.3, -1.2, 2.5];
    let da = lanes::<6>(0);
    let dp = [lanes::<6>(1), lanes::<6>(2), lanes::<6>(3)];
    let (v, t) = rotate_jvp_vec(0.8, p, da, dp);
    assert_eq!(v, rotate(0.8, p));
    for k in 0..6 {
        let (sv, st) = rotate_jvp(0.8, p, da[k], [dp[0][k], dp[1][k], dp[2][k]]);
        assert_eq!(sv, v);
        assert_eq!(st, [t[0][k], t[1][k]], "lane {k}");
    }
}

// ---- slices and vectors, buffers, push ----

#[differentiate(forward, reverse, vector)]
fn smooth(x: &[f64], c: f64) -> Vec<f64> {
    let n = x.len();
    let mut out = vec![0.0; n];
    let mut acc = Vec::with_capacity(n);
    for i in 0..n {
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        out[i] = c * x[i] * x[i] + left * x[i];
        acc.push(out[i].exp());
    }
    let mut total = 0.0;
    for i in 0..n {
        total += acc[i];
    }
    out.push(total.ln());
    out
}

#[test]
fn slices_and_vectors() {
    let x = [0.4, -0.3, 1.1, 0.9];
    let dx: Vec<Lanes<f64, 3>> = (0..4).map(|i| lanes(i + 1)).collect();
    let dc = lanes::<3>(0);
    let (v, t) = smooth_jvp_vec(&x, 1.5, &dx, dc);
    assert_eq!(v, smooth(&x, 1.5));
    assert_eq!(t.len(), 5);
    for k in 0..3 {
        let dxk: Vec<f64> = dx.iter().map(|l| l[k]).collect();
        let (_, st) = smooth_jvp(&x, 1.5, &dxk, dc[k]);
        let tk: Vec<f64> = t.iter().map(|l| l[k]).collect();
        assert_eq!(st, tk, "lane {k}");
    }
}

#[test]
#[should_panic(expected = "tangent d_x has length 2 but x has length 3")]
fn a_tangent_of_the_wrong_length_panics() {
    smooth_jvp_vec(
        &[1.0, 2.0, 3.0],
        1.0,
        &[Lanes::<f64, 2>::zero(); 2],
        Lanes::zero(),
    );
}

// ---- tuples, wrt ----

#[differentiate(forward, vector, wrt(p))]
fn tuple_in_out(p: (f64, [f64; 2]), scale: f64) -> (f64, f64) {
    let (a, b) = p;
    (a * b[0] * scale, (a + b[1]).sin())
}

#[test]
fn tuples_and_wrt() {
    let p = (0.5, [1.5, -0.25]);
    let dp = (lanes::<2>(0), [lanes::<2>(1), lanes::<2>(2)]);
    let (v, t) = tuple_in_out_jvp_vec(p, 3.0, dp);
    for k in 0..2 {
        let dpk = (dp.0[k], [dp.1[0][k], dp.1[1][k]]);
        assert_eq!(tuple_in_out_jvp(p, 3.0, dpk), (v, (t.0[k], t.1[k])));
    }
}

// ---- branches, match, loops, early return ----

#[differentiate(forward, vector)]
fn control(x: f64, y: f64, n: usize) -> f64 {
    let mut s = x;
    let mut i = 0;
    while i < n {
        s = if s > y { s * 0.5 + y } else { s * s + x };
        i += 1;
    }
    let mut k = 0;
    loop {
        k += 1;
        if k > 3 {
            break;
        }
        s += match k {
            1 => x * y,
            2 => y.sin(),
            _ => 0.5,
        };
    }
    if s > 100.0 {
        return s.ln();
    }
    for j in 0..n {
        if j == 2 {
            continue;
        }
        s = s * 0.9 + (j as f64) * x;
    }
    s
}

#[test]
fn branches_and_loops() {
    for &(x, y, n) in &[(0.3, 0.8, 5), (2.0, -1.0, 3), (9.0, 7.0, 6), (0.1, 0.2, 0)] {
        let (dx, dy) = (lanes::<3>(0), lanes::<3>(1));
        let (v, t) = control_jvp_vec(x, y, n, dx, dy);
        assert_eq!(v, control(x, y, n));
        for k in 0..3 {
            assert_eq!(control_jvp(x, y, n, dx[k], dy[k]), (v, t[k]));
        }
    }
}

// ---- calls: same module, by path, imported, recursion ----

mod helpers {
    use differentiate::prelude::*;

    #[differentiate(forward, vector)]
    pub fn softplus(x: f64) -> f64 {
        if x > 20.0 {
            x
        } else {
            x.exp().ln_1p()
        }
    }

    #[differentiate(forward, vector)]
    pub fn norm2(v: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..v.len() {
            s += v[i] * v[i];
        }
        s.sqrt()
    }
}

use helpers::softplus;

#[differentiate(forward, vector)]
fn power(x: f64, n: u32) -> f64 {
    if n == 0 {
        1.0
    } else {
        x * power(x, n - 1)
    }
}

#[differentiate(forward, vector)]
fn caller(x: &[f64], a: f64) -> f64 {
    let r = helpers::norm2(x);
    softplus(r * a) + power(a, 3) * x[0]
}

#[test]
fn calls_use_the_callees_vector_mode() {
    let x = [0.6, -0.8, 1.2];
    let dx: Vec<Lanes<f64, 4>> = (0..3).map(|i| lanes(i + 2)).collect();
    let da = lanes::<4>(0);
    let (v, t) = caller_jvp_vec(&x, 1.3, &dx, da);
    assert_eq!(v, caller(&x, 1.3));
    for k in 0..4 {
        let dxk: Vec<f64> = dx.iter().map(|l| l[k]).collect();
        assert_eq!(caller_jvp(&x, 1.3, &dxk, da[k]), (v, t[k]));
    }
}

// ---- generic over the float type ----

#[differentiate(forward, vector)]
fn generic_poly<F: Real>(x: &[F], y: F) -> F {
    let mut s = F::ZERO;
    for i in 0..x.len() {
        s += x[i] * x[i] * y + (x[i] / y).sin();
    }
    s * F::from_f64(0.5) - y.sqrt()
}

#[test]
fn generic_in_f64_and_f32() {
    let x = [0.2, 1.4, -0.7];
    let dx: Vec<Lanes<f64, 2>> = (0..3).map(|i| lanes(i + 1)).collect();
    let (v, t) = generic_poly_jvp_vec(&x, 2.2, &dx, lanes(0));
    for k in 0..2 {
        let dxk: Vec<f64> = dx.iter().map(|l| l[k]).collect();
        assert_eq!(generic_poly_jvp(&x, 2.2, &dxk, lanes::<2>(0)[k]), (v, t[k]));
    }
    let x32 = [0.2_f32, 1.4, -0.7];
    let dx32: Vec<Lanes<f32, 2>> = (0..3).map(|i| lanes32(i + 1)).collect();
    let (v, t) = generic_poly_jvp_vec(&x32, 2.2, &dx32, lanes32(0));
    for k in 0..2 {
        let dxk: Vec<f32> = dx32.iter().map(|l| l[k]).collect();
        assert_eq!(
            generic_poly_jvp(&x32, 2.2, &dxk, lanes32::<2>(0)[k]),
            (v, t[k])
        );
    }
}

// ---- custom derivatives ----

/// A forward rule that deliberately differs from the math (tangent doubled):
/// seeing the doubling proves the rule is used, once per lane.
#[custom_derivative(forward = odd_square_jvp)]
fn odd_square(x: f64) -> f64 {
    x * x
}

// differentiated itself, for the stacked attribute on `odd_square_too`
#[differentiate(forward, vector)]
fn odd_square_jvp(x: f64, d_x: f64) -> (f64, f64) {
    (x * x, 4.0 * x * d_x)
}

/// Only a reverse rule: forward (and vector) mode come from the body.
#[custom_derivative(reverse = cube_vjp)]
fn cube(x: f64) -> f64 {
    x * x * x
}

fn cube_vjp(x: f64, d_out: f64) -> (f64, f64) {
    (x * x * x, 3.0 * x * x * d_out)
}

/// A rule over a slice.
#[custom_derivative(forward = weighted_jvp)]
fn weighted(x: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * w;
    }
    s
}

fn weighted_jvp(x: &[f64], w: f64, d_x: &[f64], d_w: f64) -> (f64, f64) {
    let s: f64 = x.iter().sum();
    let ds: f64 = d_x.iter().sum();
    (s * w, ds * w + s * d_w + 1000.0)
}

#[differentiate(forward, vector)]
fn uses_rules(x: f64, v: &[f64]) -> f64 {
    odd_square(x) + cube(x) + weighted(v, x)
}

#[test]
fn custom_rules_run_once_per_lane() {
    let v = [1.0, 2.0];
    let dx = lanes::<3>(0);
    let dv: Vec<Lanes<f64, 3>> = vec![lanes(1), lanes(2)];
    let (val, t) = uses_rules_jvp_vec(0.5, &v, dx, &dv);
    for k in 0..3 {
        let dvk = [dv[0][k], dv[1][k]];
        assert_eq!(uses_rules_jvp(0.5, &v, dx[k], &dvk), (val, t[k]));
        let expected = 4.0 * 0.5 * dx[k]
            + 3.0 * 0.25 * dx[k]
            + ((dvk[0] + dvk[1]) * 0.5 + 3.0 * dx[k] + 1000.0);
        assert!((t[k] - expected).abs() < 1e-12);
    }
}

/// `vector` on top of a custom rule gives the user-facing `f_jvp_vec`.
#[differentiate(forward, vector)]
#[custom_derivative(forward = odd_square_jvp)]
fn odd_square_too(x: f64) -> f64 {
    x * x
}

#[test]
fn user_facing_vector_adapter_of_a_rule() {
    let (v, t) = odd_square_too_jvp_vec(3.0, Lanes::new([1.0, 0.5]));
    assert_eq!((v, t.to_array()), (9.0, [12.0, 6.0]));
    let (v, t) = odd_square_too_jvp_vec::<0>(3.0, Lanes::new([]));
    assert_eq!((v, t.to_array()), (9.0, []));
}

// ---- Jacobians of a non-square map ----

/// A pinhole projection with radial distortion: R^8 -> R^2.
#[differentiate(forward, reverse, vector)]
fn project(p: &[f64]) -> Vec<f64> {
    // p = [rx, ry, X, Y, Z, f, k1, k2]
    let (rx, ry) = (p[0], p[1]);
    let x = p[2] * ry.cos() + p[4] * ry.sin();
    let z = -p[2] * ry.sin() + p[4] * ry.cos();
    let y = p[3] * rx.cos() - z * rx.sin();
    let z = p[3] * rx.sin() + z * rx.cos() + 5.0;
    let (u, v) = (x / z, y / z);
    let r2 = u * u + v * v;
    let d = 1.0 + p[6] * r2 + p[7] * r2 * r2;
    vec![p[5] * d * u, p[5] * d * v]
}

#[test]
fn jacobian_of_a_non_square_map_by_every_method() {
    let p = [0.1, -0.2, 0.5, -0.3, 1.0, 800.0, 0.01, -0.002];
    let fwd = jacobian_forward(project_jvp, &p);
    assert_eq!(fwd.len(), 2);
    // every K, whether it divides n or not: the same columns, exactly
    assert_eq!(jacobian_forward_vec(project_jvp_vec::<1>, &p), fwd);
    assert_eq!(jacobian_forward_vec(project_jvp_vec::<3>, &p), fwd);
    assert_eq!(jacobian_forward_vec(project_jvp_vec::<8>, &p), fwd);
    assert_eq!(jacobian_forward_vec(project_jvp_vec::<11>, &p), fwd);
    assert_eq!(jacobian_vec(project_jvp_vec::<8>, project_vjp, &p), fwd);
    assert_eq!(
        jacobian(project_jvp, project_vjp, &p),
        jacobian_reverse(project, project_vjp, &p)
    );
    let rev = jacobian_reverse(project, project_vjp, &p);
    for (a, b) in fwd.iter().flatten().zip(rev.iter().flatten()) {
        assert!((a - b).abs() <= 1e-12 * a.abs().max(1.0), "{a} vs {b}");
    }
}

#[differentiate(forward, reverse, vector)]
fn spec_map(x: &[f64]) -> Vec<f64> {
    vec![x[0] * x[1] * x[2], x[1] * x[1], x[0] + x[2]]
}

#[test]
fn jacobian_of_the_spec_example_agrees_exactly() {
    let x = [1.0, 2.0, 3.0];
    let want = vec![
        vec![6.0, 3.0, 2.0],
        vec![0.0, 4.0, 0.0],
        vec![1.0, 0.0, 1.0],
    ];
    assert_eq!(jacobian_forward_vec(spec_map_jvp_vec::<2>, &x), want);
    assert_eq!(jacobian_vec(spec_map_jvp_vec::<2>, spec_map_vjp, &x), want);
    assert_eq!(jacobian_forward(spec_map_jvp, &x), want);
    assert_eq!(jacobian_reverse(spec_map, spec_map_vjp, &x), want);
}

// ---- forward vector over reverse: K Hessian columns per sweep ----

#[differentiate(forward, vector)]
#[differentiate(reverse)]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[test]
fn hessian_columns_in_one_vector_sweep() {
    let x = [-1.2, 1.0, 0.5, 2.0, 0.3];
    let h = hessian(rosen_vjp_jvp, &x);
    assert_eq!(hessian_vec(rosen_vjp_jvp_vec::<5>, &x), h);
    assert_eq!(hessian_vec(rosen_vjp_jvp_vec::<2>, &x), h);
    // the lanes are the scalar HVPs
    let dx: Vec<Lanes<f64, 3>> = (0..5).map(lanes).collect();
    let ((v, g), (dv, hv)) = rosen_vjp_jvp_vec(&x, 1.0, &dx, Lanes::zero());
    for k in 0..3 {
        let dxk: Vec<f64> = dx.iter().map(|l| l[k]).collect();
        let ((sv, sg), (sdv, shv)) = rosen_vjp_jvp(&x, 1.0, &dxk, 0.0);
        assert_eq!((sv, &sg), (v, &g));
        assert_eq!(sdv, dv[k]);
        assert_eq!(shv, hv.iter().map(|l| l[k]).collect::<Vec<_>>());
    }
}

// ---- a type of the user's own ----

/// A parameter type of the user's own whose tangent has no vector form.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pair {
    a: f64,
    b: f64,
}

impl Differentiable for Pair {
    type Adjoint = Pair;
    fn zero_adjoint(&self) -> Pair {
        Pair { a: 0.0, b: 0.0 }
    }
}

impl differentiate::Accumulate for Pair {
    fn accumulate(&mut self, other: Pair) {
        self.a += other.a;
        self.b += other.b;
    }
}

#[custom_derivative(forward = pair_dot_jvp)]
fn pair_dot(p: Pair, x: f64) -> f64 {
    p.a * x + p.b
}

fn pair_dot_jvp(p: Pair, x: f64, d_p: &Pair, d_x: f64) -> (f64, f64) {
    (p.a * x + p.b, d_p.a * x + p.a * d_x + d_p.b)
}

#[differentiate(forward)]
fn uses_pair(p: Pair, x: f64) -> f64 {
    pair_dot(p, x) * x
}

/// The vector entry every custom rule gets is bounded on the type having a
/// vector tangent, so a rule over a type without one still compiles and
/// works in scalar mode.
#[test]
fn a_rule_over_a_type_without_vector_tangent_still_compiles() {
    let p = Pair { a: 2.0, b: 1.0 };
    let (v, t) = uses_pair_jvp(p, 3.0, &Pair { a: 1.0, b: 0.0 }, 0.0);
    assert_eq!((v, t), (21.0, 9.0));
}

// ---- the benchmark's Jacobians (benches/vector.rs) ----

// The bench file itself (its `main` and criterion functions go unused here):
// the Jacobians checked are exactly the ones timed.
#[path = "../benches/vector.rs"]
mod bench_vector;

#[test]
fn the_benchmarked_jacobians_are_one_matrix() {
    use bench_vector::*;
    let (p, feat) = ba_problem();
    let fwd = jac_scalar_sweeps(&p, feat);
    assert_eq!(fwd.len(), 2);
    assert!(fwd.iter().all(|row| row.len() == BA_N));
    // vector mode repeats the scalar sweeps' operations: exactly equal
    assert_eq!(jac_vec::<4>(&p, feat), fwd);
    assert_eq!(jac_vec::<8>(&p, feat), fwd);
    assert_eq!(jac_vec::<15>(&p, feat), fwd);
    assert_eq!(jac_vec::<16>(&p, feat), fwd);
    assert_eq!(jac_auto(&p, feat), fwd);
    // other methods round differently
    let close_to = |a: &[Vec<f64>], b: &[Vec<f64>], what: &str| {
        assert_eq!(a.len(), b.len());
        for (ra, rb) in a.iter().zip(b) {
            assert_eq!(ra.len(), rb.len());
            for (x, y) in ra.iter().zip(rb) {
                assert!(
                    (x - y).abs() <= 1e-11 * y.abs().max(1.0),
                    "{what}: {x} vs {y}"
                );
            }
        }
    };
    close_to(&jac_reverse(&p, feat), &fwd, "reverse");
    close_to(&jac_num_dual_vec(&p, feat), &fwd, "num-dual vector");
    close_to(&jac_num_dual_sweeps(&p, feat), &fwd, "num-dual sweeps");
    // and the matrix is the derivative: central differences
    let mut q = p.clone();
    for k in 0..BA_N {
        let h = 1e-6 * p[k].abs().max(1.0);
        q[k] = p[k] + h;
        let plus = ba_residual(&q, feat);
        q[k] = p[k] - h;
        let minus = ba_residual(&q, feat);
        q[k] = p[k];
        for i in 0..2 {
            let fd = (plus[i] - minus[i]) / (2.0 * h);
            assert!(
                (fd - fwd[i][k]).abs() <= 1e-6 * fwd[i][k].abs().max(1.0),
                "d r{i} / d p{k}: {fd} vs {}",
                fwd[i][k]
            );
        }
    }
    // the rotation's other branch (r = 0) too
    let mut p0 = p.clone();
    p0[..3].fill(0.0);
    let fwd0 = jac_scalar_sweeps(&p0, feat);
    assert_eq!(jac_vec::<15>(&p0, feat), fwd0);
    close_to(
        &jac_num_dual_sweeps(&p0, feat),
        &fwd0,
        "num-dual sweeps at r = 0",
    );
    close_to(&jac_reverse(&p0, feat), &fwd0, "reverse at r = 0");
}

// ---- stacking ----

#[differentiate(forward, vector)]
#[differentiate(reverse)]
fn damped(x: f64, y: f64) -> f64 {
    x.exp() * y + x * y * y
}

/// Vector forward over reverse through a call, a loop that overwrites its
/// state (the reverse sweep's tape) and a branch.
#[differentiate(forward, vector)]
#[differentiate(reverse)]
fn iterate(x: &[f64], n: usize) -> f64 {
    let mut s = x[0];
    for i in 0..n {
        s = if s > 1.0 {
            damped(s * 0.5, x[1]).sqrt()
        } else {
            s * s + x[i % x.len()]
        };
    }
    s * x[1]
}

#[test]
fn vector_forward_over_reverse_through_calls_and_tapes() {
    let x = [0.7, 1.3, -0.2];
    let dx: Vec<Lanes<f64, 4>> = (0..3).map(lanes).collect();
    let dd = lanes::<4>(5);
    let (primal, tangent) = iterate_vjp_jvp_vec(&x, 5, 1.0, &dx, dd);
    assert_eq!(primal, iterate_vjp(&x, 5, 1.0));
    for k in 0..4 {
        let dxk: Vec<f64> = dx.iter().map(|l| l[k]).collect();
        let (p, (t, hv)) = iterate_vjp_jvp(&x, 5, 1.0, &dxk, dd[k]);
        assert_eq!(p, primal);
        assert_eq!(t, tangent.0[k]);
        assert_eq!(hv, tangent.1.iter().map(|l| l[k]).collect::<Vec<_>>());
    }
    assert_eq!(
        hessian_vec(
            |x: &[f64], d_out: f64, d_x: &[Lanes<f64, 3>], dd: Lanes<f64, 3>| iterate_vjp_jvp_vec(
                x, 5, d_out, d_x, dd
            ),
            &x
        ),
        hessian(
            |x: &[f64], d_out: f64, d_x: &[f64], dd: f64| iterate_vjp_jvp(x, 5, d_out, d_x, dd),
            &x
        )
    );
}

/// Vector forward over forward: `K` second directional derivatives.
#[differentiate(forward, vector)]
#[differentiate(forward)]
fn curvy(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.powi(3) / y
}

/// Reverse over forward-with-vector: `f_jvp_vec` is a leaf, `f_jvp` is
/// differentiated again as usual.
#[differentiate(reverse)]
#[differentiate(forward, vector)]
fn leafy(x: f64, y: f64) -> f64 {
    x * y.cos()
}

#[test]
fn vector_forward_over_forward_and_reverse_over_vector() {
    let (x, y) = (0.9, 1.4);
    let t = [lanes::<3>(0), lanes::<3>(1), lanes::<3>(2), lanes::<3>(3)];
    let (v, d) = curvy_jvp_jvp_vec(x, y, 1.0, 0.5, t[0], t[1], t[2], t[3]);
    for k in 0..3 {
        let (sv, sd) = curvy_jvp_jvp(x, y, 1.0, 0.5, t[0][k], t[1][k], t[2][k], t[3][k]);
        assert_eq!(sv, v);
        assert_eq!(sd, (d.0[k], d.1[k]));
    }
    let (v, d) = curvy_jvp_vec(x, y, t[0], t[1]);
    for k in 0..3 {
        assert_eq!(curvy_jvp(x, y, t[0][k], t[1][k]), (v, d[k]));
    }
    // the scalar tower is unchanged by `vector`
    assert_eq!(leafy_jvp(x, y, 1.0, 0.0), (leafy(x, y), y.cos()));
    assert_eq!(
        leafy_jvp_vec(x, y, Lanes::new([1.0]), Lanes::new([0.0])).1[0],
        y.cos()
    );
    // tangent = dx cos y - x sin y dy: its gradient along (dx, dy) = (1, 0)
    let (_, ax, ay, adx, ady) = leafy_jvp_vjp(x, y, 1.0, 0.0, (0.0, 1.0));
    assert_eq!((ax, ay, adx, ady), (0.0, -y.sin(), y.cos(), -(x * y.sin())));
}

// ---- a generic function with a custom rule ----

#[custom_derivative(forward = soft_abs_jvp)]
fn soft_abs<F: Real>(x: F) -> F {
    (x * x + F::from_f64(1e-3)).sqrt()
}

fn soft_abs_jvp<F: Real>(x: F, d_x: F) -> (F, F) {
    let y = (x * x + F::from_f64(1e-3)).sqrt();
    (y, x / y * d_x)
}

#[differentiate(forward, vector)]
fn uses_soft_abs<F: Real>(x: &[F]) -> F {
    let mut s = F::ZERO;
    for i in 0..x.len() {
        s += soft_abs(x[i] - F::ONE);
    }
    s
}

#[test]
fn generic_custom_rule_in_vector_mode() {
    let x = [0.5_f32, 1.5, -2.0];
    let dx: Vec<Lanes<f32, 2>> = (0..3).map(lanes32).collect();
    let (v, t) = uses_soft_abs_jvp_vec(&x, &dx);
    for k in 0..2 {
        let dxk: Vec<f32> = dx.iter().map(|l| l[k]).collect();
        assert_eq!(uses_soft_abs_jvp(&x, &dxk), (v, t[k]));
    }
}

// ---- a function that already uses the name `K` ----

mod named_k {
    use differentiate::prelude::*;

    pub const K: usize = 3;

    /// The lane count is then called `LANES`, so this `K` keeps its meaning.
    #[differentiate(forward, vector)]
    pub fn ends(x: [f64; K]) -> f64 {
        x[0] * x[K - 1]
    }
}

#[test]
fn the_lane_parameter_avoids_the_functions_names() {
    let x = [2.0, 5.0, 7.0];
    let d = [
        Lanes::new([1.0, 0.0]),
        Lanes::zero(),
        Lanes::new([0.0, 1.0]),
    ];
    let (v, t) = named_k::ends_jvp_vec::<2>(x, d);
    assert_eq!((v, t.to_array()), (14.0, [7.0, 2.0]));
}
