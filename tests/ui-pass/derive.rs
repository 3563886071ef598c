//! `#[derive(Differentiable)]` output is warning-free in a user's crate: a
//! public struct with a private field type, lifetimes, const and type
//! parameters, a where-clause, tuple structs and a struct with no gradient.
#![deny(warnings)]

use differentiate::prelude::*;

#[derive(Differentiable)]
struct Private {
    w: f64,
}

#[derive(Differentiable)]
pub struct Public<'a, F: Real, const N: usize>
where
    F: Copy,
{
    inner: Private,
    weights: [F; N],
    bias: Tensor<F>,
    #[differentiable(skip)]
    data: &'a [f64],
    steps: usize,
}

#[derive(Differentiable)]
pub struct Wrapper<T>(T, u8);

#[derive(Differentiable)]
pub struct Nothing {
    #[differentiable(skip)]
    pub rate: f64,
}

#[derive(Differentiable)]
pub struct Unit;

fn main() {
    let data = [1.0, 2.0];
    let mut p = Public {
        inner: Private { w: 1.0 },
        weights: [1.0_f32, 2.0],
        bias: Tensor::zeros(&[2]),
        data: &data,
        steps: 0,
    };
    let g = p.zero_adjoint();
    p.axpy(-0.5, &g);
    assert_eq!(p.data, g.data);
    assert_eq!(p.inner.w + f64::from(p.weights[0]) + p.steps as f64, 2.0);
    let mut w = Wrapper(vec![1.0_f64], 3);
    w.scale(2.0);
    assert_eq!((w.0[0], w.1), (2.0, 3));
    let n = Nothing { rate: 0.5 };
    assert_eq!(n.zero_adjoint().rate + n.norm(), 0.5);
    let _ = (Unit.zero_adjoint(), Unit.dot(&Unit));
}
