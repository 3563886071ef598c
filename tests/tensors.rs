//! Tensors inside differentiated functions: parameters, locals and outputs,
//! both modes and second order, against closed forms, central differences,
//! and forward against reverse (the dot-product test).
#![allow(clippy::needless_range_loop)]

use differentiate::prelude::*;
use differentiate::Tensor;

/// Central differences of `f` with respect to every element of `x`.
fn fd_grad(x: &Tensor<f64>, f: impl Fn(&Tensor<f64>) -> f64) -> Tensor<f64> {
    let h = 1e-6;
    let mut g = x.zeros_like();
    for i in 0..x.len() {
        let mut p = x.clone();
        p.as_mut_slice()[i] += h;
        let mut m = x.clone();
        m.as_mut_slice()[i] -= h;
        g.as_mut_slice()[i] = (f(&p) - f(&m)) / (2.0 * h);
    }
    g
}

#[track_caller]
fn assert_close(a: &Tensor<f64>, b: &Tensor<f64>, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    for (i, (x, y)) in a.as_slice().iter().zip(b.as_slice()).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "element {i}: {x} vs {y}\n{a:?}\n{b:?}"
        );
    }
}

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape)
}

/// Deterministic pseudo-random values in [-1, 1].
fn vals(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

// ----- x^T A x ---------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn quad(a: &Tensor<f64>, x: &Tensor<f64>) -> f64 {
    x.dot(&a.matmul(x))
}

#[test]
fn quadratic_form_gradient_is_a_plus_a_transpose_x_and_x_x_transpose() {
    let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let x = t(&[0.5, -1.0], &[2]);
    let (v, da, dx) = quad_vjp(&a, &x, 1.0);
    assert_eq!(v, x.dot(&a.matmul(&x)));
    assert_eq!(dx, (&a + &a.transpose()).matmul(&x));
    // x x^T
    assert_eq!(da.to_vec(), vec![0.25, -0.5, -0.5, 1.0]);
    // forward: each direction of x gives one component of the gradient
    let z = Tensor::zeros(&[2, 2]);
    for i in 0..2 {
        let mut e = Tensor::zeros(&[2]);
        e.as_mut_slice()[i] = 1.0;
        let (fv, tan) = quad_jvp(&a, &x, &z, &e);
        assert_eq!(fv, v);
        assert_eq!(tan, dx.as_slice()[i]);
    }
}

#[test]
fn quadratic_form_hessian_vector_product_is_a_plus_a_transpose_v() {
    let a = t(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let x = t(&[0.5, -1.0], &[2]);
    let v = t(&[0.25, 2.0], &[2]);
    // forward over reverse: tangent of the gradient along (dA, dx) = (0, v)
    let ((_, _, _), (_, d_da, d_dx)) = quad_vjp_jvp(&a, &x, 1.0, &Tensor::zeros(&[2, 2]), &v, 0.0);
    assert_eq!(d_dx, (&a + &a.transpose()).matmul(&v));
    // d(x x^T) = v x^T + x v^T
    let expect: Vec<f64> = (0..4)
        .map(|k| {
            v.as_slice()[k / 2] * x.as_slice()[k % 2] + x.as_slice()[k / 2] * v.as_slice()[k % 2]
        })
        .collect();
    assert_eq!(d_da.to_vec(), expect);
    // forward over forward: v^T (A + A^T) v
    let z = Tensor::zeros(&[2, 2]);
    let ((_, _), (_, second)) = quad_jvp_jvp(&a, &x, &z, &v, &z, &v, &z, &Tensor::zeros(&[2]));
    assert_eq!(second, v.dot(&(&a + &a.transpose()).matmul(&v)));
}

// ----- least squares -----------------------------------------------------------

#[differentiate(reverse, wrt(w))]
fn least_squares(x: &Tensor<f64>, w: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let r = &x.matmul(w) - y;
    r.dot(&r)
}

#[test]
fn least_squares_gradient_is_two_x_transpose_residual() {
    let x = t(&vals(12, 1), &[4, 3]);
    let w = t(&vals(3, 2), &[3]);
    let y = t(&vals(4, 3), &[4]);
    let (v, dw) = least_squares_vjp(&x, &w, &y, 1.0);
    let r = &x.matmul(&w) - &y;
    assert_eq!(v, r.dot(&r));
    let expect = x.transpose().matmul(&r) * 2.0;
    assert_close(&dw, &expect, 1e-14);
}

// ----- an MLP ------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn mlp(
    w1: &Tensor<f64>,
    b1: &Tensor<f64>,
    w2: &Tensor<f64>,
    b2: &Tensor<f64>,
    x: &Tensor<f64>,
) -> f64 {
    let h = (&w1.matmul(x) + b1).tanh();
    let o = &w2.matmul(&h) + b2;
    o.log_softmax().sum() + 0.5 * h.relu().sum()
}

#[test]
fn mlp_gradients_match_central_differences_and_forward_mode() {
    let w1 = t(&vals(12, 4), &[4, 3]);
    let b1 = t(&vals(4, 5), &[4]);
    let w2 = t(&vals(8, 6), &[2, 4]);
    let b2 = t(&vals(2, 7), &[2]);
    let x = t(&vals(6, 8), &[3, 2]);
    let b1m = t(&vals(8, 5), &[4, 2]);
    let b2m = t(&vals(4, 7), &[2, 2]);
    let _ = (&b1, &b2);
    let (v, dw1, db1, dw2, db2, dx) = mlp_vjp(&w1, &b1m, &w2, &b2m, &x, 1.0);
    assert_eq!(v, mlp(&w1, &b1m, &w2, &b2m, &x));
    assert_close(&dw1, &fd_grad(&w1, |p| mlp(p, &b1m, &w2, &b2m, &x)), 1e-7);
    assert_close(&db1, &fd_grad(&b1m, |p| mlp(&w1, p, &w2, &b2m, &x)), 1e-7);
    assert_close(&dw2, &fd_grad(&w2, |p| mlp(&w1, &b1m, p, &b2m, &x)), 1e-7);
    assert_close(&db2, &fd_grad(&b2m, |p| mlp(&w1, &b1m, &w2, p, &x)), 1e-7);
    assert_close(&dx, &fd_grad(&x, |p| mlp(&w1, &b1m, &w2, &b2m, p)), 1e-7);
    // dot-product test: <J v, 1> = <v, J^T 1> for a random direction
    let dirs = [
        t(&vals(12, 9), &[4, 3]),
        t(&vals(8, 10), &[4, 2]),
        t(&vals(8, 11), &[2, 4]),
        t(&vals(4, 12), &[2, 2]),
        t(&vals(6, 13), &[3, 2]),
    ];
    let (_, jv) = mlp_jvp(
        &w1, &b1m, &w2, &b2m, &x, &dirs[0], &dirs[1], &dirs[2], &dirs[3], &dirs[4],
    );
    let vjt = dw1.dot(&dirs[0])
        + db1.dot(&dirs[1])
        + dw2.dot(&dirs[2])
        + db2.dot(&dirs[3])
        + dx.dot(&dirs[4]);
    assert!(
        (jv - vjt).abs() <= 1e-12 * (1.0 + jv.abs()),
        "{jv} vs {vjt}"
    );
}

#[test]
fn mlp_hessian_vector_product_matches_differences_of_gradients() {
    let w1 = t(&vals(12, 14), &[4, 3]);
    let b1 = t(&vals(8, 15), &[4, 2]);
    let w2 = t(&vals(8, 16), &[2, 4]);
    let b2 = t(&vals(4, 17), &[2, 2]);
    let x = t(&vals(6, 18), &[3, 2]);
    let v1 = t(&vals(12, 19), &[4, 3]);
    let z = |s: &[usize]| Tensor::<f64>::zeros(s);
    // H v along w1 only, read on the gradient of w1
    let (_, (_, hv, _, _, _, _)) = mlp_vjp_jvp(
        &w1,
        &b1,
        &w2,
        &b2,
        &x,
        1.0,
        &v1,
        &z(&[4, 2]),
        &z(&[2, 4]),
        &z(&[2, 2]),
        &z(&[3, 2]),
        0.0,
    );
    let h = 1e-5;
    let grad = |w: &Tensor<f64>| mlp_vjp(w, &b1, &w2, &b2, &x, 1.0).1;
    let fd = (grad(&(&w1 + &(&v1 * h))) - grad(&(&w1 - &(&v1 * h)))) / (2.0 * h);
    assert_close(&hv, &fd, 1e-6);
}

// ----- numerics ------------------------------------------------------------------

#[differentiate(reverse, forward)]
fn lse(x: &Tensor<f64>) -> f64 {
    x.logsumexp().sum()
}

#[test]
fn logsumexp_gradient_stays_finite_at_1000() {
    let x = t(&[1000.0, 1000.0], &[2]);
    let (v, dx) = lse_vjp(&x, 1.0);
    assert_eq!(v, 1000.0 + 2.0_f64.ln());
    assert_eq!(dx.to_vec(), vec![0.5, 0.5]);
    let (_, tan) = lse_jvp(&x, &t(&[1.0, 3.0], &[2]));
    assert_eq!(tan, 2.0);
}

// ----- linear algebra -------------------------------------------------------------

fn well_conditioned(n: usize, seed: u64) -> Tensor<f64> {
    let mut a = t(&vals(n * n, seed), &[n, n]);
    for i in 0..n {
        a.as_mut_slice()[i * n + i] += n as f64;
    }
    a
}

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn solve_logdet(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    a.solve(b).sum() + a.logdet() + a.inverse().mean()
}

#[test]
fn solve_logdet_inverse_gradients_match_central_differences() {
    let a = well_conditioned(3, 20);
    let b = t(&vals(6, 21), &[3, 2]);
    let (_, da, db) = solve_logdet_vjp(&a, &b, 1.0);
    assert_close(&da, &fd_grad(&a, |p| solve_logdet(p, &b)), 1e-7);
    assert_close(&db, &fd_grad(&b, |p| solve_logdet(&a, p)), 1e-7);
    let va = t(&vals(9, 22), &[3, 3]);
    let vb = t(&vals(6, 23), &[3, 2]);
    let (_, jv) = solve_logdet_jvp(&a, &b, &va, &vb);
    let vjt = da.dot(&va) + db.dot(&vb);
    assert!(
        (jv - vjt).abs() <= 1e-12 * (1.0 + jv.abs()),
        "{jv} vs {vjt}"
    );
    // second order: H v against differences of the gradient
    let (_, (_, hva, _)) = solve_logdet_vjp_jvp(&a, &b, 1.0, &va, &vb, 0.0);
    let h = 1e-5;
    let grad = |a: &Tensor<f64>, b: &Tensor<f64>| solve_logdet_vjp(a, b, 1.0).1;
    let fd = (grad(&(&a + &(&va * h)), &(&b + &(&vb * h)))
        - grad(&(&a - &(&va * h)), &(&b - &(&vb * h))))
        / (2.0 * h);
    assert_close(&hva, &fd, 1e-6);
}

#[differentiate(reverse, forward)]
fn chol(a: &Tensor<f64>) -> f64 {
    let l = a.cholesky();
    (&l * &l).sum()
}

#[test]
fn cholesky_gradient_matches_central_differences_of_the_lower_triangle() {
    let m = t(&vals(9, 24), &[3, 3]);
    let a = &m.matmul(&m.transpose()) + &(Tensor::eye(3) * 3.0);
    let (v, da) = chol_vjp(&a, 1.0);
    assert_eq!(v, chol(&a));
    // cholesky reads the lower triangle: perturb it alone
    let fd = fd_grad(&a, chol);
    let va = t(&vals(9, 25), &[3, 3]);
    let (_, jv) = chol_jvp(&a, &va);
    // both agree on symmetric directions (the function of a symmetric matrix)
    let sym = &va + &va.transpose();
    let (_, js) = chol_jvp(&a, &sym);
    assert!(
        (js - da.dot(&sym)).abs() <= 1e-10 * (1.0 + js.abs()),
        "{js} vs {}",
        da.dot(&sym)
    );
    let fds: f64 = fd.dot(&sym);
    assert!((js - fds).abs() <= 1e-6 * (1.0 + js.abs()), "{js} vs {fds}");
    let _ = jv;
}

// ----- scalars with tensors ------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn mixed(s: f64, x: &Tensor<f64>) -> f64 {
    let y = (s * x).sin();
    let z = x / s;
    let w = 2.0 - x;
    y.sum() + z.sum() * s - w.mean() + (x + s).powi(2).sum() + (s / &(x * 3.0).exp()).sum()
}

#[test]
fn a_scalar_scaling_and_shifting_a_tensor_has_both_derivatives() {
    let s = 0.7;
    let x = t(&vals(5, 26), &[5]);
    let (v, ds, dx) = mixed_vjp(s, &x, 1.0);
    assert_eq!(v, mixed(s, &x));
    let h = 1e-6;
    let fds = (mixed(s + h, &x) - mixed(s - h, &x)) / (2.0 * h);
    assert!(
        (ds - fds).abs() <= 1e-7 * (1.0 + fds.abs()),
        "{ds} vs {fds}"
    );
    assert_close(&dx, &fd_grad(&x, |p| mixed(s, p)), 1e-7);
    let vx = t(&vals(5, 27), &[5]);
    let (_, jv) = mixed_jvp(s, &x, 0.3, &vx);
    let vjt = 0.3 * ds + dx.dot(&vx);
    assert!(
        (jv - vjt).abs() <= 1e-12 * (1.0 + jv.abs()),
        "{jv} vs {vjt}"
    );
    // second order in s: d/ds of ds
    let ((_, _, _), (_, dds, _)) = mixed_vjp_jvp(s, &x, 1.0, 1.0, &Tensor::zeros(&[5]), 0.0);
    let fd2 = (mixed_vjp(s + h, &x, 1.0).1 - mixed_vjp(s - h, &x, 1.0).1) / (2.0 * h);
    assert!(
        (dds - fd2).abs() <= 1e-6 * (1.0 + fd2.abs()),
        "{dds} vs {fd2}"
    );
}

// ----- tensor outputs -------------------------------------------------------------

#[differentiate(reverse, forward)]
fn layer(w: &Tensor<f64>, x: &Tensor<f64>) -> Tensor<f64> {
    (w.matmul(x) * 2.0).sigmoid().softmax()
}

#[test]
fn a_tensor_output_takes_a_tensor_seed_and_gives_a_tensor_tangent() {
    let w = t(&vals(6, 28), &[2, 3]);
    let x = t(&vals(3, 29), &[3]);
    let seed = t(&[1.0, -2.0], &[2]);
    let (y, dw, dx) = layer_vjp(&w, &x, &seed);
    assert_eq!(y, layer(&w, &x));
    assert_close(&dw, &fd_grad(&w, |p| layer(p, &x).dot(&seed)), 1e-7);
    assert_close(&dx, &fd_grad(&x, |p| layer(&w, p).dot(&seed)), 1e-7);
    let vw = t(&vals(6, 30), &[2, 3]);
    let vx = t(&vals(3, 31), &[3]);
    let (_, ty) = layer_jvp(&w, &x, &vw, &vx);
    assert_eq!(ty.shape(), &[2]);
    let lhs = ty.dot(&seed);
    let rhs = dw.dot(&vw) + dx.dot(&vx);
    assert!((lhs - rhs).abs() <= 1e-12, "{lhs} vs {rhs}");
}

// ----- every elementwise operation, both modes, second order ------------------------

#[differentiate(forward)]
#[differentiate(reverse, forward)]
fn every_op(x: &Tensor<f64>) -> f64 {
    // x in (0.1, 0.9): inside every domain
    let a = x.sin() + x.cos() + x.tan() + x.asin() + x.acos() + x.atan();
    let b = x.sinh() + x.cosh() + x.tanh() + x.exp() + x.exp2() + x.exp_m1();
    let c = x.ln() + x.log2() + x.log10() + x.ln_1p() + x.sqrt() + x.cbrt();
    let d = x.recip() + x.abs() + x.powi(3) + x.powf(1.5) + x.sigmoid() + x.softplus();
    let e = (&a * &b) / &(&c + 10.0) - &d;
    e.sum() + e.norm() + e.max() - e.min()
        + x.softmax().dot(&e)
        + x.reshape(&[2, 2]).transpose().sum_axis(0).mean()
}

#[test]
fn every_elementwise_operation_in_both_modes_and_second_order() {
    let x = t(&[0.15, 0.4, 0.62, 0.85], &[4]);
    let (v, dx) = every_op_vjp(&x, 1.0);
    assert_eq!(v, every_op(&x));
    assert_close(&dx, &fd_grad(&x, every_op), 1e-7);
    let vx = t(&[0.3, -0.7, 0.2, 0.9], &[4]);
    let (_, jv) = every_op_jvp(&x, &vx);
    assert!((jv - dx.dot(&vx)).abs() <= 1e-12 * (1.0 + jv.abs()));
    let (_, (_, hv)) = every_op_vjp_jvp(&x, 1.0, &vx, 0.0);
    let h = 1e-5;
    let g = |p: &Tensor<f64>| every_op_vjp(p, 1.0).1;
    let fd = (g(&(&x + &(&vx * h))) - g(&(&x - &(&vx * h)))) / (2.0 * h);
    assert_close(&hv, &fd, 1e-5);
    // forward over forward agrees with forward over reverse: v^T H v
    let ((_, _), (_, vhv)) = every_op_jvp_jvp(&x, &vx, &vx, &Tensor::zeros(&[4]));
    assert!(
        (vhv - hv.dot(&vx)).abs() <= 1e-9 * (1.0 + vhv.abs()),
        "{vhv} vs {}",
        hv.dot(&vx)
    );
}

// ----- building tensors in the body ------------------------------------------------

#[differentiate(reverse, forward)]
fn built(a: f64, b: f64) -> f64 {
    let v = vec![a, b, a * b];
    let t = Tensor::from_vec(v, &[3]);
    let u = t.exp().to_vec();
    u[0] + u[1] * u[2] + Tensor::ones(&[3]).dot(&t)
}

#[test]
fn tensors_built_from_active_scalars_carry_their_derivatives() {
    let (a, b) = (0.3, -0.4);
    let (v, da, db) = built_vjp(a, b, 1.0);
    assert_eq!(v, built(a, b));
    let f = |a: f64, b: f64| a.exp() + b.exp() * (a * b).exp() + a + b + a * b;
    assert!((v - f(a, b)).abs() < 1e-15);
    let h = 1e-6;
    let fa = (f(a + h, b) - f(a - h, b)) / (2.0 * h);
    let fb = (f(a, b + h) - f(a, b - h)) / (2.0 * h);
    assert!(
        (da - fa).abs() < 1e-8 && (db - fb).abs() < 1e-8,
        "{da} {fa} {db} {fb}"
    );
    let (_, jv) = built_jvp(a, b, 1.0, 2.0);
    assert!((jv - (da + 2.0 * db)).abs() < 1e-14);
}

// ----- shapes ------------------------------------------------------------------------

#[test]
#[should_panic(expected = "sub: shapes [2] and [3]")]
fn a_shape_mismatch_in_differentiated_code_names_the_operation_and_both_shapes() {
    let w = t(&vals(6, 32), &[2, 3]);
    let x = t(&vals(3, 33), &[3]);
    // X w has shape [2]; y has shape [3]
    let _ = least_squares_vjp(&w, &x, &x, 1.0);
}

#[test]
#[should_panic(expected = "[3]")]
fn a_seed_of_the_wrong_shape_panics_naming_the_shapes() {
    let w = t(&vals(6, 34), &[2, 3]);
    let x = t(&vals(3, 35), &[3]);
    let _ = layer_vjp(&w, &x, &t(&[1.0, 2.0, 3.0], &[3]));
}

// ----- f32 and generic code ---------------------------------------------------------------

#[differentiate(reverse, forward)]
fn generic_loss<F: Real>(w: &Tensor<F>, x: &Tensor<F>) -> F {
    (w.matmul(x)).tanh().sum()
}

#[test]
fn generic_code_works_in_f32_and_f64_alike() {
    let w64 = t(&vals(6, 36), &[2, 3]);
    let x64 = t(&vals(3, 37), &[3]);
    let (v64, dw64, _) = generic_loss_vjp(&w64, &x64, 1.0);
    let w32 = Tensor::from_vec(w64.as_slice().iter().map(|&v| v as f32).collect(), &[2, 3]);
    let x32 = Tensor::from_vec(x64.as_slice().iter().map(|&v| v as f32).collect(), &[3]);
    let (v32, dw32, _) = generic_loss_vjp(&w32, &x32, 1.0f32);
    assert!((v32 as f64 - v64).abs() < 1e-6);
    for (a, b) in dw32.as_slice().iter().zip(dw64.as_slice()) {
        assert!((*a as f64 - b).abs() < 1e-6);
    }
    assert_close(&dw64, &fd_grad(&w64, |p| generic_loss(p, &x64)), 1e-7);
}

// ----- parameter structs ---------------------------------------------------------------

/// A parameter struct with a hand-written `Differentiable` (what
/// `#[derive(Differentiable)]` writes): its adjoint is a `Params` of gradients.
#[derive(Clone, Debug, PartialEq)]
struct Params {
    w: Tensor<f64>,
    b: Tensor<f64>,
    s: f64,
}

impl Differentiable for Params {
    type Adjoint = Params;
    fn zero_adjoint(&self) -> Params {
        Params {
            w: self.w.zeros_like(),
            b: self.b.zeros_like(),
            s: 0.0,
        }
    }
}

impl differentiate::Accumulate for Params {
    fn accumulate(&mut self, o: Params) {
        self.w.accumulate(o.w);
        self.b.accumulate(o.b);
        self.s += o.s;
    }
}

#[differentiate(reverse, forward)]
fn net(p: &Params, x: &Tensor<f64>) -> f64 {
    let h = (&p.w.matmul(x) + &p.b).relu();
    let s: f64 = p.s;
    (s * &h).sum() + s * s
}

#[test]
fn fields_of_a_parameter_struct_get_their_gradients_in_a_struct_of_the_same_type() {
    let p = Params {
        w: t(&vals(6, 40), &[2, 3]),
        b: t(&[0.1, -0.2], &[2]),
        s: 1.5,
    };
    let x = t(&vals(3, 41), &[3]);
    let (v, dp, dx) = net_vjp(&p, &x, 1.0);
    assert_eq!(v, net(&p, &x));
    let fw = fd_grad(&p.w, |w| {
        net(
            &Params {
                w: w.clone(),
                ..p.clone()
            },
            &x,
        )
    });
    let fb = fd_grad(&p.b, |b| {
        net(
            &Params {
                b: b.clone(),
                ..p.clone()
            },
            &x,
        )
    });
    assert_close(&dp.w, &fw, 1e-7);
    assert_close(&dp.b, &fb, 1e-7);
    let h = 1e-6;
    let fs = (net(
        &Params {
            s: p.s + h,
            ..p.clone()
        },
        &x,
    ) - net(
        &Params {
            s: p.s - h,
            ..p.clone()
        },
        &x,
    )) / (2.0 * h);
    assert!((dp.s - fs).abs() < 1e-7, "{} vs {fs}", dp.s);
    assert_close(&dx, &fd_grad(&x, |x| net(&p, x)), 1e-7);
    // forward mode takes a tangent struct by reference
    let tp = Params {
        w: t(&vals(6, 42), &[2, 3]),
        b: t(&vals(2, 43), &[2]),
        s: 0.25,
    };
    let tx = t(&vals(3, 44), &[3]);
    let (_, jv) = net_jvp(&p, &x, &tp, &tx);
    let vjt = dp.w.dot(&tp.w) + dp.b.dot(&tp.b) + dp.s * tp.s + dx.dot(&tx);
    assert!(
        (jv - vjt).abs() <= 1e-12 * (1.0 + jv.abs()),
        "{jv} vs {vjt}"
    );
}

/// The MLP: `W2 relu(W1 x + b1) + b2` with a derived parameter struct.
#[derive(Clone, Debug, Differentiable)]
struct Mlp {
    w1: Tensor<f64>,
    b1: Tensor<f64>,
    w2: Tensor<f64>,
    b2: Tensor<f64>,
}

#[differentiate(reverse, forward, wrt(p))]
fn mlp_loss(p: &Mlp, x: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
    let h = (&p.w1.matmul(x) + &p.b1).relu();
    let o = &p.w2.matmul(&h) + &p.b2;
    let r = &o - y;
    r.dot(&r)
}

#[test]
fn mlp_with_a_derived_parameter_struct_matches_central_differences_and_one_step_descends() {
    let mut p = Mlp {
        w1: t(&vals(20, 50), &[5, 4]),
        b1: t(&vals(5, 51), &[5]),
        w2: t(&vals(10, 52), &[2, 5]),
        b2: t(&vals(2, 53), &[2]),
    };
    let x = t(&vals(4, 54), &[4]);
    let y = t(&[0.5, -0.5], &[2]);
    let (v, g) = mlp_loss_vjp(&p, &x, &y, 1.0);
    assert_eq!(v, mlp_loss(&p, &x, &y));
    assert_close(
        &g.w1,
        &fd_grad(&p.w1, |w| {
            mlp_loss(
                &Mlp {
                    w1: w.clone(),
                    ..p.clone()
                },
                &x,
                &y,
            )
        }),
        1e-7,
    );
    assert_close(
        &g.b1,
        &fd_grad(&p.b1, |b| {
            mlp_loss(
                &Mlp {
                    b1: b.clone(),
                    ..p.clone()
                },
                &x,
                &y,
            )
        }),
        1e-7,
    );
    assert_close(
        &g.w2,
        &fd_grad(&p.w2, |w| {
            mlp_loss(
                &Mlp {
                    w2: w.clone(),
                    ..p.clone()
                },
                &x,
                &y,
            )
        }),
        1e-7,
    );
    assert_close(
        &g.b2,
        &fd_grad(&p.b2, |b| {
            mlp_loss(
                &Mlp {
                    b2: b.clone(),
                    ..p.clone()
                },
                &x,
                &y,
            )
        }),
        1e-7,
    );
    // forward mode with a tangent struct: the directional derivative along g is |g|^2
    let (_, along) = mlp_loss_jvp(&p, &x, &y, &g);
    let g2 = g.w1.dot(&g.w1) + g.b1.dot(&g.b1) + g.w2.dot(&g.w2) + g.b2.dot(&g.b2);
    assert!((along - g2).abs() <= 1e-12 * g2, "{along} vs {g2}");
    // an optimizer step is one line
    p.axpy(-0.01, &g);
    assert!(mlp_loss(&p, &x, &y) < v);
}
