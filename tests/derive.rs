#![warn(clippy::pedantic)]
// Exact comparisons are the point: these sums and products are exact in floating point.
#![allow(clippy::float_cmp)]
// The hand-written rules index several arrays in step.
#![allow(clippy::needless_range_loop)]
//! `#[derive(Differentiable)]`: a struct of parameters is its own adjoint
//! (`zero_adjoint`, `accumulate`, field by field), has `VectorSpace`
//! arithmetic for one-line optimiser steps, and passes through differentiated
//! functions as `&Params` to functions with custom derivative rules.
//!
//! Field access inside differentiated bodies (`p.w`) is not supported by the
//! engine yet, so the differentiated functions here hand the struct to a
//! `#[custom_derivative]` function, which reads the fields in ordinary code.
use differentiate::prelude::*;
use differentiate::{zero_like, Accumulate, GradientField};

#[track_caller]
fn close(got: f64, expected: f64, tol: f64) {
    assert!(
        differentiate::testing::approx_eq(got, expected, tol, tol),
        "got {got:e}, expected {expected:e} (tolerance {tol:e})"
    );
}

// ----- the structs ------------------------------------------------------------

#[derive(Differentiable, Debug, Clone, PartialEq)]
struct Layer {
    w: Tensor<f64>,
    b: Vec<f64>,
}

/// Every kind of field: scalar, array, Vec, Tensor, nested struct, and fields
/// copied into the adjoint (an integer, a string, an option, a skipped float).
#[derive(Differentiable, Debug, Clone, PartialEq)]
struct Params {
    scalar: f64,
    array: [f64; 2],
    list: Vec<f64>,
    matrix: Tensor<f64>,
    layer: Layer,
    count: usize,
    name: String,
    tag: Option<u8>,
    #[differentiable(skip)]
    frozen: f64,
}

fn params(k: f64) -> Params {
    Params {
        scalar: k,
        array: [2.0 * k, 3.0 * k],
        list: vec![4.0 * k, 5.0 * k, 6.0 * k],
        matrix: Tensor::from_vec(vec![k, -k, 0.5 * k, 2.0 * k], &[2, 2]),
        layer: Layer {
            w: Tensor::from_vec(vec![7.0 * k, 8.0 * k], &[2]),
            b: vec![9.0 * k],
        },
        count: 3,
        name: "p".to_string(),
        tag: Some(1),
        frozen: 10.0 * k,
    }
}

/// Generic over the float type, with a type parameter in every field.
#[derive(Differentiable, Debug, Clone, PartialEq)]
struct Mlp<F: Real> {
    w1: Tensor<F>,
    b1: Vec<F>,
    w2: [F; 2],
    b2: F,
    hidden: usize,
}

fn mlp<F: Real>(k: F) -> Mlp<F> {
    let c = |x: f64| F::from_f64(x) * k;
    Mlp {
        w1: Tensor::from_vec(vec![c(1.0), c(2.0), c(3.0), c(4.0)], &[2, 2]),
        b1: vec![c(0.5), c(-0.5)],
        w2: [c(1.5), c(-2.0)],
        b2: c(0.25),
        hidden: 2,
    }
}

/// A tuple struct mixing f32 and f64 fields.
#[derive(Differentiable, Debug, Clone, PartialEq)]
struct Pair(f64, [f32; 2], u8);

/// No field carries a gradient.
#[derive(Differentiable, Debug, Clone, PartialEq)]
struct Config {
    steps: usize,
    #[differentiable(skip)]
    rate: f64,
}

// ----- zero_adjoint and accumulate ----------------------------------------------

#[test]
fn zero_adjoint_zeroes_gradients_and_copies_the_rest() {
    let p = params(1.0);
    let z: Params = p.zero_adjoint();
    assert_eq!(z.scalar, 0.0);
    assert_eq!(z.array, [0.0; 2]);
    assert_eq!(z.list, vec![0.0; 3]);
    assert_eq!(z.matrix, Tensor::zeros(&[2, 2]));
    assert_eq!(z.layer.w, Tensor::zeros(&[2]));
    assert_eq!(z.layer.b, vec![0.0]);
    // Copied from the primal: they describe the parameters, not their gradient.
    assert_eq!(
        (z.count, z.name.as_str(), z.tag, z.frozen),
        (3, "p", Some(1), 10.0)
    );
    assert_eq!(zero_like(&p), z);
    // Through a reference, as the engine sees a `&Params` parameter.
    assert_eq!(zero_like(&&p), z);
}

#[test]
fn accumulate_adds_field_by_field_and_ignores_copied_fields() {
    let mut acc = params(1.0);
    let mut other = params(2.0);
    other.count = 99;
    other.name = "other".to_string();
    other.frozen = -1.0;
    acc.accumulate(other);
    let mut expected = params(3.0);
    expected.frozen = 10.0; // the accumulator's own
    assert_eq!(acc, expected);
    // Nested structs on their own.
    let mut l = params(1.0).layer;
    l.accumulate(params(0.5).layer);
    assert_eq!(l, params(1.5).layer);
}

#[test]
fn tuple_structs_and_structs_without_gradients() {
    let mut p = Pair(1.5, [2.0, -1.0], 7);
    assert_eq!(p.zero_adjoint(), Pair(0.0, [0.0; 2], 7));
    p.accumulate(Pair(0.5, [1.0, 1.0], 1));
    assert_eq!(p, Pair(2.0, [3.0, 0.0], 7));
    p.axpy(-2.0, &Pair(1.0, [0.5, 0.25], 0));
    assert_eq!(p, Pair(0.0, [2.0, -0.5], 7));
    // f32 products are exact in the f64 inner product.
    assert_eq!(
        p.dot(&Pair(3.0, [0.1, 1.0], 0)),
        2.0 * f64::from(0.1_f32) - 0.5
    );

    let mut c = Config {
        steps: 4,
        rate: 0.5,
    };
    assert_eq!(c.zero_adjoint(), c);
    c.accumulate(Config {
        steps: 1,
        rate: 1.0,
    });
    c.scale(3.0);
    c.set_zero();
    assert_eq!(
        c,
        Config {
            steps: 4,
            rate: 0.5
        }
    );
    assert_eq!(c.dot(&c), 0.0);
}

// ----- VectorSpace --------------------------------------------------------------

#[test]
fn axpy_scale_dot_norm_and_set_zero_on_a_derived_struct() {
    let mut p = params(1.0);
    let g = params(0.5);
    p.axpy(-2.0, &g); // p - 2 * (p / 2) = 0 on every active field
    assert_eq!(p.scalar, 0.0);
    assert_eq!(p.array, [0.0; 2]);
    assert_eq!(p.list, vec![0.0; 3]);
    assert_eq!(p.matrix, Tensor::zeros(&[2, 2]));
    assert_eq!(
        p.layer,
        Layer {
            w: Tensor::zeros(&[2]),
            b: vec![0.0]
        }
    );
    assert_eq!((p.count, p.frozen), (3, 10.0));

    let mut q = params(1.0);
    q.scale(4.0);
    let mut expected = params(4.0);
    expected.frozen = 10.0;
    assert_eq!(q, expected);

    // Active entries of params(1): 1; 2, 3; 4, 5, 6; 1, -1, 0.5, 2; 7, 8; 9.
    let squares =
        1.0 + 4.0 + 9.0 + 16.0 + 25.0 + 36.0 + 1.0 + 1.0 + 0.25 + 4.0 + 49.0 + 64.0 + 81.0;
    let one = params(1.0);
    assert_eq!(one.dot(&one), squares);
    assert_eq!(one.dot(&params(2.0)), 2.0 * squares);
    assert_eq!(one.norm(), squares.sqrt());

    q.set_zero();
    let mut zero = params(1.0).zero_adjoint();
    zero.frozen = 10.0;
    assert_eq!(q, zero);
}

/// A generic optimiser step, written once for every derived struct.
fn sgd_step<P: VectorSpace>(p: &mut P, grad: &P, lr: f32) {
    p.axpy(-lr, grad);
}

/// The same in a generic float type.
fn generic_step<F: Real>(p: &mut Mlp<F>, grad: &Mlp<F>, lr: F) {
    p.axpy(-lr, grad);
}

#[test]
fn generic_structs_in_f32_and_f64() {
    fn check<F: Real + std::fmt::Debug>() {
        let mut m = mlp(F::ONE);
        let g = mlp(F::from_f64(0.5));
        generic_step(&mut m, &g, F::from_f64(2.0));
        assert_eq!(
            m,
            Mlp {
                hidden: 2,
                ..mlp(F::ZERO)
            }
        );
        let mut m = mlp(F::ONE);
        sgd_step(&mut m, &g, 1.0);
        assert_eq!(
            m,
            Mlp {
                hidden: 2,
                ..mlp(F::from_f64(0.5))
            }
        );
        // 1 + 4 + 9 + 16 + 0.25 + 0.25 + 2.25 + 4 + 0.0625
        assert_eq!(mlp(F::ONE).dot(&mlp(F::ONE)), 36.8125);
        let mut acc = mlp(F::ONE).zero_adjoint();
        assert_eq!(acc.hidden, 2);
        acc.accumulate(mlp(F::from_f64(0.25)));
        acc.accumulate(mlp(F::from_f64(0.75)));
        assert_eq!(acc, mlp(F::ONE));
    }
    check::<f32>();
    check::<f64>();
}

#[test]
fn derived_structs_are_gradient_fields_so_they_nest() {
    fn field<T: GradientField>() {}
    field::<Layer>();
    field::<Params>();
    field::<Mlp<f32>>();
    field::<(Pair, Layer)>();
}

#[test]
#[should_panic(expected = "axpy: shapes [2] and [3] differ")]
fn axpy_on_a_struct_checks_the_shapes_of_its_tensors() {
    let mut a = params(1.0).layer;
    let mut b = a.clone();
    b.w = Tensor::zeros(&[3]);
    a.axpy(1.0, &b);
}

#[test]
#[should_panic(expected = "accumulate: adjoint of length 1 cannot take a contribution of length 2")]
fn accumulate_on_a_struct_checks_lengths() {
    let mut a = params(1.0).layer;
    let mut b = a.clone();
    b.b = vec![1.0, 2.0];
    a.accumulate(b);
}

// ----- through differentiated code ----------------------------------------------
//
// A one-hidden-layer network y = bias + sum_i out_i tanh(w_i (s x) + b_i), with
// a frozen input scale s. Its derivative rules are written by hand with the
// struct as the adjoint (reverse) and `&` the struct as the tangent (forward).
// (Not `Clone`: see the report of issue 3, a reverse custom rule whose
// parameter is a reference to a `Clone` struct does not compile yet.)

#[derive(Differentiable, Debug, PartialEq)]
struct Net {
    hidden: Layer, // w: [3], b: [3]
    out: [f64; 3],
    bias: f64,
    #[differentiable(skip)]
    input_scale: f64,
    epochs: usize,
}

fn net() -> Net {
    Net {
        hidden: Layer {
            w: Tensor::from_vec(vec![0.5, -1.0, 2.0], &[3]),
            b: vec![0.1, 0.2, -0.3],
        },
        out: [1.0, -0.5, 0.25],
        bias: 0.125,
        input_scale: 2.0,
        epochs: 0,
    }
}

fn hidden(n: &Net, x: f64) -> (f64, [f64; 3]) {
    let u = n.input_scale * x;
    let mut h = [0.0; 3];
    for (i, hi) in h.iter_mut().enumerate() {
        *hi = (n.hidden.w[i] * u + n.hidden.b[i]).tanh();
    }
    (u, h)
}

#[custom_derivative(reverse = predict_vjp, forward = predict_jvp)]
fn predict(n: &Net, x: f64) -> f64 {
    let (_, h) = hidden(n, x);
    n.bias + (0..3).map(|i| n.out[i] * h[i]).sum::<f64>()
}

fn predict_vjp(n: &Net, x: f64, d_out: f64) -> (f64, Net, f64) {
    let (scaled, h) = hidden(n, x);
    let mut grad = n.zero_adjoint();
    let mut dx = 0.0;
    for i in 0..3 {
        let dz = d_out * n.out[i] * (1.0 - h[i] * h[i]);
        grad.out[i] = d_out * h[i];
        grad.hidden.b[i] = dz;
        grad.hidden.w[i] = dz * scaled;
        dx += dz * n.hidden.w[i] * n.input_scale;
    }
    grad.bias = d_out;
    (predict(n, x), grad, dx)
}

fn predict_jvp(n: &Net, x: f64, dn: &Net, dx: f64) -> (f64, f64) {
    let (scaled, h) = hidden(n, x);
    let mut tangent = dn.bias;
    for i in 0..3 {
        let dz = dn.hidden.w[i] * scaled + n.hidden.w[i] * n.input_scale * dx + dn.hidden.b[i];
        tangent += dn.out[i] * h[i] + n.out[i] * (1.0 - h[i] * h[i]) * dz;
    }
    (predict(n, x), tangent)
}

#[differentiate(reverse, forward)]
fn loss(n: &Net, x: f64, target: f64) -> f64 {
    let e = predict(n, x) - target;
    0.5 * e * e
}

// A differentiated caller of a differentiated function, passing the struct on.
#[differentiate(reverse, forward)]
fn batch_loss(n: &Net, x0: f64, x1: f64) -> f64 {
    loss(n, x0, 1.0) + loss(n, x1, -1.0)
}

/// Central difference of `f` at `net()` along the direction `d`, through `VectorSpace`.
fn directional_fd(f: impl Fn(&Net) -> f64, d: &Net, h: f64) -> f64 {
    let mut plus = net();
    plus.axpy(h, d);
    let mut minus = net();
    minus.axpy(-h, d);
    (f(&plus) - f(&minus)) / (2.0 * h)
}

fn direction() -> Net {
    Net {
        hidden: Layer {
            w: Tensor::from_vec(vec![0.3, 0.7, -0.2], &[3]),
            b: vec![-0.4, 0.1, 0.9],
        },
        out: [0.6, -0.8, 0.5],
        bias: -0.35,
        input_scale: 123.0, // skipped: ignored by axpy and dot
        epochs: 7,
    }
}

#[test]
fn reverse_gradient_of_a_struct_parameter_matches_finite_differences() {
    let n = net();
    let (x, target) = (0.75, 0.5);
    let (value, grad, dx, dtarget) = loss_vjp(&n, x, target, 1.0);
    assert_eq!(value, loss(&n, x, target));
    // The adjoint is a `Net`: the skipped field and the integer are copies.
    assert_eq!((grad.input_scale, grad.epochs), (2.0, 0));
    // d loss / d bias = error exactly; d loss / d target = -error.
    let error = predict(&n, x) - target;
    assert_eq!(grad.bias, error);
    assert_eq!(dtarget, -error);
    // Every active parameter at once, along a direction, by central differences.
    let dir = direction();
    let fd = directional_fd(|m| loss(m, x, target), &dir, 1e-6);
    close(grad.dot(&dir), fd, 1e-9);
    // And x alone.
    let fdx = (loss(&n, x + 1e-6, target) - loss(&n, x - 1e-6, target)) / 2e-6;
    close(dx, fdx, 1e-9);
}

#[test]
fn forward_tangent_of_a_struct_parameter_matches_reverse() {
    let n = net();
    let dir = direction();
    let (x, target) = (-0.4, 0.2);
    let (value, tangent) = loss_jvp(&n, x, target, &dir, 0.0, 0.0);
    assert_eq!(value, loss(&n, x, target));
    // The dot-product test: <J d, 1> = <d, J^T 1>.
    let (_, grad, _, _) = loss_vjp(&n, x, target, 1.0);
    close(tangent, grad.dot(&dir), 1e-14);
    // The tangent of x alone.
    let (_, tx) = loss_jvp(&n, x, target, &n.zero_adjoint(), 1.0, 0.0);
    let (_, _, dx, _) = loss_vjp(&n, x, target, 1.0);
    close(tx, dx, 1e-14);
}

#[test]
fn calls_between_differentiated_functions_pass_the_struct_and_sum_its_adjoints() {
    let n = net();
    let (x0, x1) = (0.3, -0.6);
    let (value, g, _, _) = batch_loss_vjp(&n, x0, x1, 1.0);
    assert_eq!(value, loss(&n, x0, 1.0) + loss(&n, x1, -1.0));
    let (_, mut expected, _, _) = loss_vjp(&n, x0, 1.0, 1.0);
    expected.accumulate(loss_vjp(&n, x1, -1.0, 1.0).1);
    assert_eq!(g, expected);
    let d = direction();
    close(batch_loss_jvp(&n, x0, x1, &d, 0.0, 0.0).1, g.dot(&d), 1e-14);
}

#[test]
fn gradient_descent_is_one_line_per_step() {
    let data = [(-1.0, -0.5), (-0.25, 0.1), (0.5, 0.4), (1.0, 0.2)];
    let total = |n: &Net| data.iter().map(|&(x, y)| loss(n, x, y)).sum::<f64>();
    let mut n = net();
    let mut last = total(&n);
    for epoch in 1..=50 {
        let mut grad = n.zero_adjoint();
        for &(x, y) in &data {
            grad.accumulate(loss_vjp(&n, x, y, 1.0).1);
        }
        n.axpy(-0.1, &grad);
        n.epochs = epoch;
        let now = total(&n);
        assert!(now < last, "epoch {epoch}: loss {now} after {last}");
        last = now;
    }
    assert!(last < 0.5 * total(&net()), "loss {last}");
    assert_eq!((n.input_scale, n.epochs), (2.0, 50));
}
