//! Arrays, slices and vectors: `[f64; N]` parameters, returns and locals,
//! `&[f64]` and `Vec<f64>` parameters, `Vec<f64>` returns, buffers made with
//! `vec![0.0; n]`, `[0.0; N]` and `Vec::with_capacity` + `push` and written
//! element by element, elements read more than once (adjoint accumulation),
//! written more than once, and written at computed indices. Checked in both
//! modes and at second order, against closed forms, central differences, the
//! dot-product identity and the drivers (gradient, Hessian, Jacobians).
// Indexing loops (`for i in 0..x.len()`) and element reassignment
// (`y[i] = y[i] + ...`) are the constructs under test.
#![allow(clippy::needless_range_loop, clippy::assign_op_pattern)]

use differentiate::drivers::{
    directional_derivative, gradient, hessian, hvp, jacobian_forward, jacobian_reverse,
};
use differentiate::prelude::*;
use differentiate::testing::{
    approx_eq, assert_gradient, assert_jvp, assert_jvp_vs_vjp, assert_vjp,
};

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

#[track_caller]
fn close_all(got: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(got.len(), expected.len(), "lengths differ");
    for (g, e) in got.iter().zip(expected) {
        close(*g, *e, tol);
    }
}

type Scalar = fn(&[f64]) -> f64;
type ScalarJvp = fn(&[f64], &[f64]) -> (f64, f64);
type ScalarVjp = fn(&[f64], f64) -> (f64, Vec<f64>);
type ScalarVjpJvp = fn(&[f64], f64, &[f64], f64) -> ((f64, Vec<f64>), (f64, Vec<f64>));

/// A scalar function of a slice: gradient (both modes, the drivers), and
/// Hessian-vector products against central differences of the gradient.
#[track_caller]
fn check_scalar(f: Scalar, jvp: ScalarJvp, vjp: ScalarVjp, vjp_jvp: ScalarVjpJvp, x: &[f64]) {
    let n = x.len();
    let (v, g) = gradient(vjp, x);
    assert_eq!(v, f(x));
    assert_eq!(g.len(), n);
    assert_gradient(f, |p| vjp(p, 1.0).1, x, 1e-7);
    assert_jvp(|p: &[f64]| vec![f(p)], |p, t| vec![jvp(p, t).1], x, 1e-7);
    assert_jvp_vs_vjp(
        |p: &[f64], t: &[f64]| vec![jvp(p, t).1],
        |p: &[f64], w: &[f64]| vjp(p, w[0]).1,
        x,
        1,
        5,
        1e-12,
    );
    // the directional derivative along a basis vector is that gradient entry
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        close(directional_derivative(jvp, x, &e).1, g[j], 1e-13);
    }
    // second order
    let ((v2, g2), _) = vjp_jvp(x, 1.0, &vec![0.0; n], 0.0);
    assert_eq!(v2, v);
    assert_eq!(g2, g);
    assert_jvp(
        |p: &[f64]| vjp(p, 1.0).1,
        |p, t| hvp(vjp_jvp, p, t),
        x,
        1e-6,
    );
    let h = hessian(vjp_jvp, x);
    for i in 0..n {
        for j in 0..n {
            close(h[i][j], h[j][i], 1e-12);
        }
    }
}

type Vector = fn(&[f64]) -> Vec<f64>;
type VectorJvp = fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);
type VectorVjp = fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>);

/// A vector function of a slice: Jacobian by both modes against central
/// differences and each other.
#[track_caller]
fn check_vector(f: Vector, jvp: VectorJvp, vjp: VectorVjp, x: &[f64]) {
    let y = f(x);
    let m = y.len();
    assert_eq!(jvp(x, &vec![0.0; x.len()]).0, y);
    assert_eq!(vjp(x, &vec![0.0; m]).0, y);
    assert_jvp(f, |p, t| jvp(p, t).1, x, 1e-7);
    assert_vjp(f, |p, w| vjp(p, w).1, x, 1e-7);
    assert_jvp_vs_vjp(|p, t| jvp(p, t).1, |p, w| vjp(p, w).1, x, m, 5, 1e-12);
    let jf = jacobian_forward(jvp, x);
    let jr = jacobian_reverse(f, vjp, x);
    for (a, b) in jf.iter().zip(&jr) {
        close_all(a, b, 1e-13);
    }
}

// ---------------------------------------------------------------------------
// slices: elements read more than once
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn sum_squares(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    // x[0] and x[1] read again: their adjoints accumulate
    s + x[0] * x[1] + x[0]
}

#[test]
fn slice_elements_read_more_than_once() {
    let x = [1.0, 2.0, 3.0];
    // f = |x|^2 + x0 x1 + x0
    assert_eq!(sum_squares(&x), 17.0);
    assert_eq!(sum_squares_vjp(&x, 1.0), (17.0, vec![5.0, 5.0, 6.0]));
    assert_eq!(sum_squares_vjp(&x, 2.0), (17.0, vec![10.0, 10.0, 12.0]));
    assert_eq!(gradient(sum_squares_vjp, &x), (17.0, vec![5.0, 5.0, 6.0]));
    assert_eq!(sum_squares_jvp(&x, &[1.0, 0.0, 0.0]), (17.0, 5.0));
    assert_eq!(sum_squares_jvp(&x, &[1.0, 1.0, 1.0]), (17.0, 16.0));
    // Hessian: 2 I + (e0 e1^T + e1 e0^T)
    assert_eq!(
        hessian(sum_squares_vjp_jvp, &x),
        vec![
            vec![2.0, 1.0, 0.0],
            vec![1.0, 2.0, 0.0],
            vec![0.0, 0.0, 2.0]
        ]
    );
    // forward over forward: e_i^T H e_j
    assert_eq!(
        sum_squares_jvp_jvp(&x, &[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0; 3])
            .1
             .1,
        1.0
    );
    assert_eq!(
        sum_squares_jvp_jvp(&x, &[0.0, 0.0, 1.0], &[0.0, 0.0, 1.0], &[0.0; 3])
            .1
             .1,
        2.0
    );
    check_scalar(
        sum_squares,
        sum_squares_jvp,
        sum_squares_vjp,
        sum_squares_vjp_jvp,
        &[0.3, -1.2, 2.5, 0.7],
    );
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn logsumexp(x: &[f64]) -> f64 {
    // the running maximum is picked by active comparisons
    let mut m = x[0];
    for i in 1..x.len() {
        if x[i] > m {
            m = x[i];
        }
    }
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (x[i] - m).exp();
    }
    m + s.ln()
}

#[test]
fn logsumexp_gradient_is_softmax() {
    let x = [0.5, -1.0, 2.0, 1.5];
    let z: f64 = x.iter().map(|v| v.exp()).sum();
    let p: Vec<f64> = x.iter().map(|v| v.exp() / z).collect();
    let (v, g) = logsumexp_vjp(&x, 1.0);
    close(v, z.ln(), 1e-15);
    close_all(&g, &p, 1e-15);
    // Hessian = diag(p) - p p^T
    let h = hessian(logsumexp_vjp_jvp, &x);
    for i in 0..4 {
        for j in 0..4 {
            let d = if i == j { p[i] } else { 0.0 };
            close(h[i][j], d - p[i] * p[j], 1e-14);
        }
    }
    check_scalar(
        logsumexp,
        logsumexp_jvp,
        logsumexp_vjp,
        logsumexp_vjp_jvp,
        &x,
    );
    // the maximum at the first element and at the last
    check_scalar(
        logsumexp,
        logsumexp_jvp,
        logsumexp_vjp,
        logsumexp_vjp_jvp,
        &[3.0, 0.1, -0.4],
    );
}

// ---------------------------------------------------------------------------
// fixed-size arrays: parameters, returns, locals
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn rotate(a: [f64; 3], t: f64) -> [f64; 3] {
    let c = t.cos();
    let s = t.sin();
    let mut out = [0.0; 3];
    out[0] = c * a[0] - s * a[1];
    out[1] = s * a[0] + c * a[1];
    out[2] = a[2] * a[2];
    out
}

fn rotate_flat(p: &[f64]) -> Vec<f64> {
    rotate([p[0], p[1], p[2]], p[3]).to_vec()
}

#[test]
fn fixed_size_array_parameter_and_return() {
    let a = [1.0, 2.0, 3.0];
    // t = 0: identity on the first two, square on the third
    assert_eq!(rotate(a, 0.0), [1.0, 2.0, 9.0]);
    assert_eq!(
        rotate_vjp(a, 0.0, [1.0, 1.0, 1.0]),
        ([1.0, 2.0, 9.0], [1.0, 1.0, 6.0], -1.0)
    );
    assert_eq!(
        rotate_jvp(a, 0.0, [0.0, 0.0, 1.0], 1.0),
        ([1.0, 2.0, 9.0], [-2.0, 1.0, 6.0])
    );
    let t = 0.7;
    let (c, s) = (t.cos(), t.sin());
    let w = [0.5, -1.5, 2.0];
    let (_, da, dt) = rotate_vjp(a, t, w);
    close_all(
        &da,
        &[c * w[0] + s * w[1], -s * w[0] + c * w[1], 2.0 * a[2] * w[2]],
        1e-15,
    );
    close(
        dt,
        (-s * a[0] - c * a[1]) * w[0] + (c * a[0] - s * a[1]) * w[1],
        1e-15,
    );
    let p = [1.0, 2.0, 3.0, 0.7];
    let jvp = |q: &[f64], v: &[f64]| {
        let (y, dy) = rotate_jvp([q[0], q[1], q[2]], q[3], [v[0], v[1], v[2]], v[3]);
        (y.to_vec(), dy.to_vec())
    };
    let vjp = |q: &[f64], w: &[f64]| {
        let (y, da, dt) = rotate_vjp([q[0], q[1], q[2]], q[3], [w[0], w[1], w[2]]);
        (y.to_vec(), vec![da[0], da[1], da[2], dt])
    };
    assert_jvp(rotate_flat, |q, v| jvp(q, v).1, &p, 1e-7);
    assert_vjp(rotate_flat, |q, w| vjp(q, w).1, &p, 1e-7);
    assert_jvp_vs_vjp(|q, v| jvp(q, v).1, |q, w| vjp(q, w).1, &p, 3, 5, 1e-13);
    // second order: w . f'' v against differences of the vjp
    assert_jvp(
        |q: &[f64]| vjp(q, &w).1,
        |q, v| {
            let (_, (_, da, dt)) = rotate_vjp_jvp(
                [q[0], q[1], q[2]],
                q[3],
                w,
                [v[0], v[1], v[2]],
                v[3],
                [0.0; 3],
            );
            vec![da[0], da[1], da[2], dt]
        },
        &p,
        1e-6,
    );
    // d2/dt2 of w . out along t: -(w0 out0 + w1 out1)
    let out = rotate(a, t);
    let (_, (_, _, dtt)) = rotate_vjp_jvp(a, t, w, [0.0; 3], 1.0, [0.0; 3]);
    close(dtt, -(w[0] * out[0] + w[1] * out[1]), 1e-14);
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn array_buffer(x: [f64; 4]) -> f64 {
    // a local `[0.0; N]` written element by element, then updated in place
    let mut b = [0.0; 4];
    for i in 0..4 {
        b[i] = x[i].sin();
    }
    for i in 1..4 {
        b[i] += b[i - 1] * x[i];
    }
    b[3]
}

#[test]
fn local_array_buffer_updated_in_place() {
    // b3 = s3 + x3 (s2 + x2 (s1 + x1 s0)), s_i = sin x_i
    let x = [0.3, -0.8, 1.1, 0.6];
    let s: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let c: Vec<f64> = x.iter().map(|v| v.cos()).collect();
    let b1 = s[1] + x[1] * s[0];
    let b2 = s[2] + x[2] * b1;
    let g = [
        x[3] * x[2] * x[1] * c[0],
        x[3] * x[2] * (c[1] + s[0]),
        x[3] * (c[2] + b1),
        c[3] + b2,
    ];
    let (v, gr) = array_buffer_vjp(x, 1.0);
    close(v, s[3] + x[3] * b2, 1e-15);
    close_all(&gr, &g, 1e-15);
    close(array_buffer_jvp(x, [1.0, 0.0, 0.0, 0.0]).1, g[0], 1e-15);
    close(array_buffer_jvp(x, [0.0, 0.0, 0.0, 1.0]).1, g[3], 1e-15);
    let flat = |p: &[f64]| [p[0], p[1], p[2], p[3]];
    check_scalar_arr(x, &flat);
    // d2/dx3 dx2 = c2 + b1 (x3 drops out), by forward over forward
    let (_, (_, h32)) =
        array_buffer_jvp_jvp(x, [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [0.0; 4]);
    close(h32, c[2] + b1, 1e-15);
}

fn check_scalar_arr(x: [f64; 4], flat: &dyn Fn(&[f64]) -> [f64; 4]) {
    let f = |p: &[f64]| array_buffer(flat(p));
    let grad = |p: &[f64]| array_buffer_vjp(flat(p), 1.0).1.to_vec();
    assert_gradient(f, grad, &x, 1e-7);
    assert_jvp_vs_vjp(
        |p: &[f64], t: &[f64]| vec![array_buffer_jvp(flat(p), flat(t)).1],
        |p: &[f64], w: &[f64]| array_buffer_vjp(flat(p), w[0]).1.to_vec(),
        &x,
        1,
        5,
        1e-13,
    );
    assert_jvp(
        grad,
        |p, t| {
            array_buffer_vjp_jvp(flat(p), 1.0, flat(t), 0.0)
                .1
                 .1
                .to_vec()
        },
        &x,
        1e-6,
    );
}

// ---------------------------------------------------------------------------
// Vec parameters and returns, buffers
// ---------------------------------------------------------------------------

#[differentiate(forward)]
#[differentiate(reverse)]
fn owned_vec(x: Vec<f64>, k: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (k * x[i]).sin();
    }
    s * k
}

#[test]
fn owned_vec_parameter() {
    let x = vec![0.5, -1.0, 2.0];
    let (v, gx, gk) = owned_vec_vjp(x.clone(), 0.7, 1.0);
    let k = 0.7;
    let s: f64 = x.iter().map(|v| (k * v).sin()).sum();
    close(v, s * k, 1e-15);
    let expect: Vec<f64> = x.iter().map(|v| k * k * (k * v).cos()).collect();
    close_all(&gx, &expect, 1e-15);
    let ds: f64 = x.iter().map(|v| v * (k * v).cos()).sum();
    close(gk, s + k * ds, 1e-14);
    assert_eq!(owned_vec(x.clone(), k), v);
    // forward: the tangent of a Vec parameter is a slice
    let (_, t) = owned_vec_jvp(x.clone(), k, &[1.0, 0.0, 0.0], 0.0);
    close(t, expect[0], 1e-15);
    let (_, t) = owned_vec_jvp(x.clone(), k, &[0.0; 3], 1.0);
    close(t, gk, 1e-14);
    // second order in k: d2/dk2 = 2 ds + k sum(-x^2 sin(k x))
    let dss: f64 = x.iter().map(|v| -v * v * (k * v).sin()).sum();
    let (_, (_, _, hkk)) = owned_vec_vjp_jvp(x.clone(), k, 1.0, &[0.0; 3], 1.0, 0.0);
    close(hkk, 2.0 * ds + k * dss, 1e-14);
    let flat = |p: &[f64]| (p[..3].to_vec(), p[3]);
    assert_jvp(
        |p: &[f64]| {
            let (x, k) = flat(p);
            let (_, mut g, gk) = owned_vec_vjp(x, k, 1.0);
            g.push(gk);
            g
        },
        |p, t| {
            let (x, k) = flat(p);
            let (_, (_, mut g, gk)) = owned_vec_vjp_jvp(x, k, 1.0, &t[..3], t[3], 0.0);
            g.push(gk);
            g
        },
        &[0.5, -1.0, 2.0, 0.7],
        1e-6,
    );
}

#[differentiate(forward, reverse)]
fn vec_buffers(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    // `vec![0.0; n]` written at computed indices (reversed order)
    let mut rev = vec![0.0; n];
    for i in 0..n {
        rev[n - 1 - i] = x[i] * ((i + 1) as f64);
    }
    // `Vec::with_capacity` + push, reading neighbours (each x[i] read twice)
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let j = (i + 1) % n;
        out.push(x[i] * x[j] + rev[i]);
    }
    // an element overwritten several times
    out[0] = out[0] * out[0];
    out[0] = out[0] - x[0];
    out
}

fn vec_buffers_by_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut out: Vec<f64> = (0..n)
        .map(|i| x[i] * x[(i + 1) % n] + x[n - 1 - i] * ((n - i) as f64))
        .collect();
    out[0] = out[0] * out[0] - x[0];
    out
}

#[test]
fn vec_return_and_buffers() {
    let x = [1.0, 2.0, 3.0];
    // rev = [9, 4, 1], out = [2 + 9, 6 + 4, 3 + 1] -> out0 = 121 - 1
    assert_eq!(vec_buffers(&x), vec![120.0, 10.0, 4.0]);
    assert_eq!(vec_buffers(&x), vec_buffers_by_hand(&x));
    // Jacobian by hand at x = (1, 2, 3):
    // out1 = x1 x2 + 2 x1      -> [0, x2 + 2, x1] = [0, 5, 2]
    // out2 = x2 x0 + x0        -> [x2 + 1, 0, x0] = [4, 0, 1]
    // out0 = (x0 x1 + 3 x2)^2 - x0 -> 2 * 11 * [x1, x0, 3] - [1, 0, 0] = [43, 22, 66]
    let jac = vec![
        vec![43.0, 22.0, 66.0],
        vec![0.0, 5.0, 2.0],
        vec![4.0, 0.0, 1.0],
    ];
    assert_eq!(jacobian_forward(vec_buffers_jvp, &x), jac);
    assert_eq!(jacobian_reverse(vec_buffers, vec_buffers_vjp, &x), jac);
    assert_eq!(
        vec_buffers_vjp(&x, &[1.0, 1.0, 1.0]),
        (vec![120.0, 10.0, 4.0], vec![47.0, 27.0, 69.0])
    );
    check_vector(
        vec_buffers,
        vec_buffers_jvp,
        vec_buffers_vjp,
        &[0.4, -1.3, 0.8, 2.1],
    );
}

#[differentiate(forward, reverse)]
fn prefix_products(x: &[f64]) -> Vec<f64> {
    // in-place recurrence: y[i] = y[i-1] * x[i] + y[i]
    let mut y = x.to_vec();
    for i in 1..x.len() {
        y[i] = y[i - 1] * x[i] + y[i];
    }
    y
}

#[test]
fn in_place_recurrence_over_a_vec() {
    // y0 = x0, y1 = x0 x1 + x1, y2 = y1 x2 + x2
    assert_eq!(prefix_products(&[1.0, 2.0, 3.0]), vec![1.0, 4.0, 15.0]);
    let (y, g) = prefix_products_vjp(&[1.0, 2.0, 3.0], &[0.0, 0.0, 1.0]);
    assert_eq!(y, vec![1.0, 4.0, 15.0]);
    // dy2 = x2 dy1 + (y1 + 1) dx2, dy1 = (x0 + 1) dx1 + x1 dx0
    assert_eq!(g, vec![6.0, 6.0, 5.0]);
    let (_, t) = prefix_products_jvp(&[1.0, 2.0, 3.0], &[1.0, 0.0, 0.0]);
    assert_eq!(t, vec![1.0, 2.0, 6.0]);
    check_vector(
        prefix_products,
        prefix_products_jvp,
        prefix_products_vjp,
        &[0.5, -1.5, 0.9, 1.3, -0.2],
    );
}

#[differentiate(forward, reverse)]
fn matvec(a: &[f64], x: &[f64]) -> Vec<f64> {
    // a is row-major with x.len() columns
    let m = x.len();
    let rows = a.len() / m;
    let mut y = vec![0.0; rows];
    for i in 0..rows {
        for j in 0..m {
            y[i] += a[i * m + j] * x[j];
        }
    }
    y
}

#[test]
fn matrix_vector_product_in_flat_storage() {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let x = [1.0, -1.0, 2.0];
    assert_eq!(matvec(&a, &x), vec![5.0, 11.0]);
    // adjoints: A^T w for x, w x^T for A
    let (y, da, dx) = matvec_vjp(&a, &x, &[1.0, 2.0]);
    assert_eq!(y, vec![5.0, 11.0]);
    assert_eq!(dx, vec![9.0, 12.0, 15.0]);
    assert_eq!(da, vec![1.0, -1.0, 2.0, 2.0, -2.0, 4.0]);
    let (_, t) = matvec_jvp(&a, &x, &[0.0; 6], &[1.0, 0.0, 0.0]);
    assert_eq!(t, vec![1.0, 4.0]);
    let (_, t) = matvec_jvp(&a, &x, &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0], &[0.0; 3]);
    assert_eq!(t, vec![1.0, 2.0]);
    // all parameters flattened: Jacobians by both modes
    let split = |p: &[f64]| (p[..6].to_vec(), p[6..].to_vec());
    let f = |p: &[f64]| {
        let (a, x) = split(p);
        matvec(&a, &x)
    };
    let jvp = |p: &[f64], v: &[f64]| {
        let (a, x) = split(p);
        matvec_jvp(&a, &x, &v[..6], &v[6..])
    };
    let vjp = |p: &[f64], w: &[f64]| {
        let (a, x) = split(p);
        let (y, mut da, dx) = matvec_vjp(&a, &x, w);
        da.extend(dx);
        (y, da)
    };
    let p = [0.3, -0.2, 1.1, 0.8, 0.5, -1.4, 0.9, 2.0, -0.6];
    assert_jvp(f, |q, v| jvp(q, v).1, &p, 1e-7);
    assert_vjp(f, |q, w| vjp(q, w).1, &p, 1e-7);
    assert_jvp_vs_vjp(|q, v| jvp(q, v).1, |q, w| vjp(q, w).1, &p, 2, 5, 1e-13);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn vec_buffers2(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut rev = vec![0.0; n];
    for i in 0..n {
        rev[n - 1 - i] = x[i] * ((i + 1) as f64);
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let j = (i + 1) % n;
        out.push(x[i] * x[j] + rev[i]);
    }
    out[0] = out[0] * out[0];
    out[0] = out[0] - x[0];
    out
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn prefix_products2(x: &[f64]) -> Vec<f64> {
    let mut y = x.to_vec();
    for i in 1..x.len() {
        y[i] = y[i - 1] * x[i] + y[i];
    }
    y
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn matvec2(a: &[f64], x: &[f64]) -> Vec<f64> {
    let m = x.len();
    let rows = a.len() / m;
    let mut y = vec![0.0; rows];
    for i in 0..rows {
        for j in 0..m {
            y[i] += a[i * m + j] * x[j];
        }
    }
    y
}

#[test]
fn vec_returns_second_order() {
    let p = [0.4, -1.3, 0.8, 2.1];
    assert_eq!(vec_buffers2(&p), vec_buffers(&p));
    assert_eq!(
        vec_buffers2_jvp(&p, &[1.0; 4]),
        vec_buffers_jvp(&p, &[1.0; 4])
    );
    // w . f'' v, against differences of the vjp
    let w = [0.3, -0.5, 1.2, 0.7];
    assert_jvp(
        |q: &[f64]| vec_buffers2_vjp(q, &w).1,
        |q, v| vec_buffers2_vjp_jvp(q, &w, v, &[0.0; 4]).1 .1,
        &p,
        1e-6,
    );
    // out0 = (x0 x1 + 3 x2)^2 - x0 at (1, 2, 3): d2 out0 / dx0^2 = 2 x1^2 = 8
    let (_, (_, h)) = vec_buffers2_vjp_jvp(
        &[1.0, 2.0, 3.0],
        &[1.0, 0.0, 0.0],
        &[1.0, 0.0, 0.0],
        &[0.0; 3],
    );
    assert_eq!(h, vec![8.0, 2.0 * 2.0 * 1.0 + 2.0 * 11.0, 12.0]);

    let q = [0.5, -1.5, 0.9, 1.3, -0.2];
    assert_eq!(prefix_products2(&q), prefix_products(&q));
    let w = [0.2, 0.4, -0.6, 1.0, 0.5];
    assert_jvp(
        |r: &[f64]| prefix_products2_vjp(r, &w).1,
        |r, v| prefix_products2_vjp_jvp(r, &w, v, &[0.0; 5]).1 .1,
        &q,
        1e-6,
    );
    let _ = prefix_products2_jvp(&q, &[1.0; 5]);

    // matvec: the only curvature is the bilinear a * x term:
    // d/dx (w . A x) along dA is dA^T w, d/dA along dx is w dx^T
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let x = [1.0, -1.0, 2.0];
    assert_eq!(matvec2(&a, &x), matvec(&a, &x));
    let _ = matvec2_jvp(&a, &x, &[0.0; 6], &[1.0; 3]);
    let w = [1.0, 2.0];
    let (_, (_, dda, ddx)) = matvec2_vjp_jvp(
        &a,
        &x,
        &w,
        &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        &[0.0; 3],
        &[0.0, 0.0],
    );
    assert_eq!(ddx, vec![1.0, 0.0, 2.0]);
    assert_eq!(dda, vec![0.0; 6]);
    let (_, (_, dda, ddx)) = matvec2_vjp_jvp(&a, &x, &w, &[0.0; 6], &[1.0, 0.0, 0.0], &[0.0, 0.0]);
    assert_eq!(ddx, vec![0.0; 3]);
    assert_eq!(dda, vec![1.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
}

#[differentiate(forward)]
#[differentiate(reverse)]
fn partly_active_buffer(x: &[f64], n: usize) -> f64 {
    // a buffer of constants that becomes active only where x goes in
    let mut b = vec![1.0; n];
    b[1] = x[0] * 2.0;
    let mut s = 0.0;
    for i in 0..n {
        s += b[i] * b[i];
    }
    s * x[1]
}

#[test]
fn buffer_partly_active() {
    // b = [1, 2 x0, 1, ...]: s = (n - 1) + 4 x0^2, f = s x1
    let x = [1.5, 2.0];
    assert_eq!(partly_active_buffer(&x, 4), 24.0);
    assert_eq!(
        partly_active_buffer_vjp(&x, 4, 1.0),
        (24.0, vec![24.0, 12.0])
    );
    assert_eq!(partly_active_buffer_jvp(&x, 4, &[1.0, 1.0]), (24.0, 36.0));
    // Hessian [[8 x1, 8 x0], [8 x0, 0]]
    assert_eq!(
        partly_active_buffer_vjp_jvp(&x, 4, 1.0, &[1.0, 0.0], 0.0).1,
        (24.0, vec![16.0, 12.0])
    );
    assert_eq!(
        partly_active_buffer_vjp_jvp(&x, 4, 1.0, &[0.0, 1.0], 0.0).1,
        (12.0, vec![12.0, 0.0])
    );
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn pushed_then_reduced(x: &[f64]) -> f64 {
    // a Vec built by push from active values, then overwritten element by
    // element and reduced: scalar output, so every order applies
    let n = x.len();
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(x[i] * x[(i + 1) % n]);
    }
    for i in 0..n {
        v[i] = v[i].sin() + x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += v[i] * v[i];
    }
    s
}

#[test]
fn pushed_buffer_at_second_order() {
    let x = [0.4, -1.1, 0.9, 0.3];
    // by hand: v_i = sin(x_i x_{i+1}) + x_i, f = sum v_i^2
    let n = x.len();
    let mut g = vec![0.0; n];
    let mut f = 0.0;
    for i in 0..n {
        let j = (i + 1) % n;
        let u = x[i] * x[j];
        let v = u.sin() + x[i];
        f += v * v;
        g[i] += 2.0 * v * (u.cos() * x[j] + 1.0);
        g[j] += 2.0 * v * u.cos() * x[i];
    }
    let (value, grad) = pushed_then_reduced_vjp(&x, 1.0);
    close(value, f, 1e-15);
    close_all(&grad, &g, 1e-14);
    check_scalar(
        pushed_then_reduced,
        pushed_then_reduced_jvp,
        pushed_then_reduced_vjp,
        pushed_then_reduced_vjp_jvp,
        &x,
    );
    // forward over forward agrees with the Hessian from forward over reverse
    let h = hessian(pushed_then_reduced_vjp_jvp, &x);
    for i in 0..n {
        for j in 0..n {
            let mut ei = vec![0.0; n];
            let mut ej = vec![0.0; n];
            ei[i] = 1.0;
            ej[j] = 1.0;
            let (_, (_, hij)) = pushed_then_reduced_jvp_jvp(&x, &ei, &ej, &[0.0; 4]);
            close(hij, h[i][j], 1e-12);
        }
    }
    assert_eq!(pushed_then_reduced(&[]), 0.0);
}
