//! The tensor operations differentiated code calls.
//!
//! Inside a `#[differentiate]`d function, `&a * &b`, `w.matmul(&x)`,
//! `h.relu()`, `t.sum()`, `Tensor::from_vec(v, &shape)` ... become calls of the
//! functions of this module (the macro rewrites them; users never name this
//! module). Each operation is registered with `#[custom_derivative]`, the same
//! mechanism users have: one path for every rule, the runtime's and theirs.
//!
//! Every operation has three rules beside it:
//! - `NAME_vjp` (reverse) and `NAME_jvp` (forward), written in the subset the
//!   macro differentiates, over the operations of this module only. They carry
//!   `#[differentiate(forward)]` themselves, and each operation carries a
//!   stacked `#[differentiate(forward)]`, so second derivatives (forward over
//!   reverse: Hessian-vector products; forward over forward) go through exact
//!   rules. The set is closed: the derivative of every operation is written
//!   with operations of the set.
//! - `NAME_pb`, the first-order shortcut callers' reverse sweeps use
//!   (`pullback = ...`): the forward computation keeps what the reverse one
//!   needs (the output of `exp`, `tanh`, `sigmoid`, ...), and the adjoints are
//!   fused loops or transposed GEMMs, not compositions of operations.
//!
//! Conventions: elementwise binary operations take tensors of one shape (no
//! broadcasting; a shape mismatch panics naming the operation and both
//! shapes); a scalar on either side of `+ - * /` scales or shifts every
//! element (`scale`, `add_scalar`, `div_scalar`). Non-differentiable points
//! follow the scalar table: `relu'(0) = 0`, `abs'(0) = 0`, reductions `max`
//! and `min` send the adjoint to the first extreme element.
//!
//! Second order is exact for every operation except `cholesky`, which has
//! first-order rules only (its reverse rule is a dedicated kernel): a
//! `_vjp_jvp` of code calling `cholesky` does not compile; use `solve` and
//! `logdet`, which are closed.
//!
//! ```
//! use autodiff_runtime::tensor::ad;
//! use autodiff_runtime::Tensor;
//! let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
//! let b = Tensor::from_vec(vec![3.0, 4.0], &[2]);
//! // value and both adjoints of a * b (elementwise) for the seed [1, 1]
//! let (y, da, db) = ad::mul_vjp(&a, &b, &Tensor::ones(&[2]));
//! assert_eq!((y.to_vec(), da.to_vec(), db.to_vec()), (vec![3.0, 8.0], vec![3.0, 4.0], vec![1.0, 2.0]));
//! ```
// The rules are documented as a family above and by their op's doc comment.
#![allow(missing_docs)]
#![allow(clippy::type_complexity)]

use super::{rules, Tensor};
use crate::Real;

// ----- elementwise binary --------------------------------------------------------

/// `a + b` elementwise (one shape).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = add_vjp, forward = add_jvp, pullback = add_pb)]
pub fn add<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a + b
}

#[autodiff_macros::differentiate(forward)]
pub fn add_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    (add(a, b), d_out.clone(), d_out.clone())
}

#[autodiff_macros::differentiate(forward)]
pub fn add_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (add(a, b), add(d_a, d_b))
}

pub fn add_pb<'a, 'b, F: Real>(
    a: &'a Tensor<F>,
    b: &'b Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
) {
    (a + b, |g: &Tensor<F>| (g.clone(), g.clone()))
}

/// `a - b` elementwise (one shape).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = sub_vjp, forward = sub_jvp, pullback = sub_pb)]
pub fn sub<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a - b
}

#[autodiff_macros::differentiate(forward)]
pub fn sub_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    (sub(a, b), d_out.clone(), neg(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn sub_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (sub(a, b), sub(d_a, d_b))
}

pub fn sub_pb<'a, 'b, F: Real>(
    a: &'a Tensor<F>,
    b: &'b Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
) {
    (a - b, |g: &Tensor<F>| (g.clone(), -g))
}

/// `a * b` elementwise (one shape).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = mul_vjp, forward = mul_jvp, pullback = mul_pb)]
pub fn mul<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a * b
}

#[autodiff_macros::differentiate(forward)]
pub fn mul_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    (mul(a, b), mul(d_out, b), mul(d_out, a))
}

#[autodiff_macros::differentiate(forward)]
pub fn mul_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (mul(a, b), add(&mul(d_a, b), &mul(a, d_b)))
}

pub fn mul_pb<'a, 'b, F: Real>(
    a: &'a Tensor<F>,
    b: &'b Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
) {
    // every adjoint wanted: the same kernel as a call with inactive operands
    needs::mul(a, b, [true, true])
}

/// `a / b` elementwise (one shape). The adjoint of `b` is `-(g / b) * (a / b)`,
/// finite where `a / b` is (the stable-division form).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = div_vjp, forward = div_jvp, pullback = div_pb)]
pub fn div<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a / b
}

#[autodiff_macros::differentiate(forward)]
pub fn div_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    let y = div(a, b);
    let d_a = div(d_out, b);
    let d_b = neg(&mul(&d_a, &y));
    (y, d_a, d_b)
}

#[autodiff_macros::differentiate(forward)]
pub fn div_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    let y = div(a, b);
    let t = div(&sub(d_a, &mul(&y, d_b)), b);
    (y, t)
}

pub fn div_pb<'a, 'b, F: Real>(
    a: &'a Tensor<F>,
    b: &'b Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
) {
    // every adjoint wanted: the same kernel as a call with inactive operands
    needs::div(a, b, [true, true])
}

// ----- a scalar with a tensor ----------------------------------------------------

/// `s * t`: every element scaled.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = scale_vjp, forward = scale_jvp, pullback = scale_pb)]
pub fn scale<F: Real>(s: F, t: &Tensor<F>) -> Tensor<F> {
    t.map(|x| s * x)
}

#[autodiff_macros::differentiate(forward)]
pub fn scale_vjp<F: Real>(s: F, t: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, F, Tensor<F>) {
    (scale(s, t), dot(d_out, t), scale(s, d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn scale_jvp<F: Real>(s: F, t: &Tensor<F>, d_s: F, d_t: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (scale(s, t), add(&scale(d_s, t), &scale(s, d_t)))
}

pub fn scale_pb<'a, F: Real>(
    s: F,
    t: &'a Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (F, Tensor<F>) + use<'a, F>,
) {
    (t.map(|x| s * x), move |g: &Tensor<F>| {
        (g.dot(t), g.map(|x| s * x))
    })
}

/// `t + s`: every element shifted.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = add_scalar_vjp, forward = add_scalar_jvp, pullback = add_scalar_pb)]
pub fn add_scalar<F: Real>(t: &Tensor<F>, s: F) -> Tensor<F> {
    t.map(|x| x + s)
}

#[autodiff_macros::differentiate(forward)]
pub fn add_scalar_vjp<F: Real>(
    t: &Tensor<F>,
    s: F,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, F) {
    (add_scalar(t, s), d_out.clone(), sum(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn add_scalar_jvp<F: Real>(
    t: &Tensor<F>,
    s: F,
    d_t: &Tensor<F>,
    d_s: F,
) -> (Tensor<F>, Tensor<F>) {
    (add_scalar(t, s), add_scalar(d_t, d_s))
}

pub fn add_scalar_pb<'a, F: Real>(
    t: &'a Tensor<F>,
    s: F,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, F) + use<'a, F>,
) {
    (t.map(|x| x + s), |g: &Tensor<F>| (g.clone(), g.sum()))
}

/// `t / s`: every element divided.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = div_scalar_vjp, forward = div_scalar_jvp)]
pub fn div_scalar<F: Real>(t: &Tensor<F>, s: F) -> Tensor<F> {
    t.map(|x| x / s)
}

#[autodiff_macros::differentiate(forward)]
pub fn div_scalar_vjp<F: Real>(
    t: &Tensor<F>,
    s: F,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, F) {
    let y = div_scalar(t, s);
    let d_s = -dot(d_out, &y) / s;
    (y, div_scalar(d_out, s), d_s)
}

#[autodiff_macros::differentiate(forward)]
pub fn div_scalar_jvp<F: Real>(
    t: &Tensor<F>,
    s: F,
    d_t: &Tensor<F>,
    d_s: F,
) -> (Tensor<F>, Tensor<F>) {
    let y = div_scalar(t, s);
    let d = div_scalar(&sub(d_t, &scale(d_s, &y)), s);
    (y, d)
}

/// A tensor of `a`'s shape with every element `v`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = fill_like_vjp, forward = fill_like_jvp)]
pub fn fill_like<F: Real>(a: &Tensor<F>, v: F) -> Tensor<F> {
    Tensor::full(a.shape(), v)
}

#[autodiff_macros::differentiate(forward)]
pub fn fill_like_vjp<F: Real>(a: &Tensor<F>, v: F, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>, F) {
    (
        fill_like(a, v),
        ::differentiate::__private::zero_like(a),
        sum(d_out),
    )
}

#[autodiff_macros::differentiate(forward)]
pub fn fill_like_jvp<F: Real>(
    a: &Tensor<F>,
    v: F,
    _d_a: &Tensor<F>,
    d_v: F,
) -> (Tensor<F>, Tensor<F>) {
    (fill_like(a, v), fill_like(a, d_v))
}

/// A rank-0 tensor holding `v`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = scalar_vjp, forward = scalar_jvp)]
pub fn scalar<F: Real>(v: F) -> Tensor<F> {
    Tensor::scalar(v)
}

#[autodiff_macros::differentiate(forward)]
pub fn scalar_vjp<F: Real>(v: F, d_out: &Tensor<F>) -> (Tensor<F>, F) {
    (scalar(v), sum(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn scalar_jvp<F: Real>(v: F, d_v: F) -> (Tensor<F>, Tensor<F>) {
    (scalar(v), scalar(d_v))
}

// ----- elementwise unary ---------------------------------------------------------

/// `-x`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = neg_vjp, forward = neg_jvp)]
pub fn neg<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    -x
}

#[autodiff_macros::differentiate(forward)]
pub fn neg_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (neg(x), neg(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn neg_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (neg(x), neg(d_x))
}

/// Operations with a zero derivative everywhere they have one (`signum`, the
/// step of `relu`, one-hot masks).
macro_rules! flat {
    ($( $(#[$doc:meta])* $name:ident, $vjp:ident, $jvp:ident => |$x:ident| $value:expr; )*) => {$(
        $(#[$doc])*
        #[autodiff_macros::differentiate(forward)]
        #[autodiff_macros::custom_derivative(reverse = $vjp, forward = $jvp)]
        pub fn $name<F: Real>($x: &Tensor<F>) -> Tensor<F> {
            $value
        }

        #[autodiff_macros::differentiate(forward)]
        pub fn $vjp<F: Real>(x: &Tensor<F>, _d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
            ($name(x), ::differentiate::__private::zero_like(x))
        }

        #[autodiff_macros::differentiate(forward)]
        pub fn $jvp<F: Real>(x: &Tensor<F>, _d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
            let y = $name(x);
            let z = ::differentiate::__private::zero_like(&y);
            (y, z)
        }
    )*};
}

flat! {
    /// `signum` elementwise, with `signum(0) = 0` (the derivative of `abs`).
    sign0, sign0_vjp, sign0_jvp => |x| x.map(crate::nodiff::sign0);
    /// `1` where `x > 0`, else `0` (the derivative of `relu`).
    step, step_vjp, step_jvp => |x| x.map(|v| if v > F::ZERO { F::ONE } else { F::ZERO });
    /// `1` at the first maximum, `0` elsewhere (the derivative of `max`).
    onehot_max, onehot_max_vjp, onehot_max_jvp => |x| onehot(x, x.argmax());
    /// `1` at the first minimum, `0` elsewhere (the derivative of `min`).
    onehot_min, onehot_min_vjp, onehot_min_jvp => |x| onehot(x, x.argmin());
    /// `signum` elementwise (`signum(0) = 1`, as `f64::signum`; derivative 0).
    signum, signum_vjp, signum_jvp => |x| x.map(|v| v.signum());
}

fn onehot<F: Real>(x: &Tensor<F>, i: usize) -> Tensor<F> {
    let mut z = x.zeros_like();
    z.as_mut_slice()[i] = F::ONE;
    z
}

/// Elementwise operations: the derivative `D(x, y)` (`y` the output) is
/// written with the operations of this module, and a fused kernel computes
/// `g * D` for the first-order pullback from `x` (`from x`) or from a copy of
/// the output kept by the forward computation (`from y`).
macro_rules! elementwise {
    ($(
        $(#[$doc:meta])*
        $name:ident, $vjp:ident, $jvp:ident, $pb:ident:
        |$x:ident, $y:ident| $d:expr,
        from $which:ident |$fv:ident| $fast:expr;
    )*) => {$(
        $(#[$doc])*
        #[autodiff_macros::differentiate(forward)]
        #[autodiff_macros::custom_derivative(reverse = $vjp, forward = $jvp, pullback = $pb)]
        pub fn $name<F: Real>(x: &Tensor<F>) -> Tensor<F> {
            x.map(|v| v.$name())
        }

        #[autodiff_macros::differentiate(forward)]
        #[allow(unused_variables)]
        pub fn $vjp<F: Real>($x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
            let $y = $name($x);
            let partial = $d;
            let d_x = mul(d_out, &partial);
            ($y, d_x)
        }

        #[autodiff_macros::differentiate(forward)]
        #[allow(unused_variables)]
        pub fn $jvp<F: Real>($x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
            let $y = $name($x);
            let partial = $d;
            let t = mul(d_x, &partial);
            ($y, t)
        }

        elementwise!(@pb $name, $pb, $which, |$fv| $fast);
    )*};
    (@pb $name:ident, $pb:ident, x, |$fv:ident| $fast:expr) => {
        pub fn $pb<'a, F: Real>(
            x: &'a Tensor<F>,
        ) -> (Tensor<F>, impl FnOnce(&Tensor<F>) -> (Tensor<F>,) + use<'a, F>) {
            let y = x.map(|v| v.$name());
            (y, move |g: &Tensor<F>| {
                (g.zip_map(x, stringify!($name), |g, $fv| g * $fast),)
            })
        }
    };
    (@pb $name:ident, $pb:ident, y, |$fv:ident| $fast:expr) => {
        pub fn $pb<'a, F: Real>(
            x: &'a Tensor<F>,
        ) -> (Tensor<F>, impl FnOnce(&Tensor<F>) -> (Tensor<F>,) + use<'a, F>) {
            let y = x.map(|v| v.$name());
            let keep = y.clone();
            (y, move |g: &Tensor<F>| {
                (g.zip_map(&keep, stringify!($name), |g, $fv| g * $fast),)
            })
        }
    };
}

elementwise! {
    /// `sin` elementwise.
    sin, sin_vjp, sin_jvp, sin_pb: |x, y| cos(x), from x |v| v.cos();
    /// `cos` elementwise.
    cos, cos_vjp, cos_jvp, cos_pb: |x, y| neg(&sin(x)), from x |v| -v.sin();
    /// `tan` elementwise.
    tan, tan_vjp, tan_jvp, tan_pb: |x, y| add_scalar(&mul(&y, &y), F::ONE), from y |v| v * v + F::ONE;
    /// `asin` elementwise.
    asin, asin_vjp, asin_jvp, asin_pb:
        |x, y| powf(&add_scalar(&neg(&mul(x, x)), F::ONE), <F as Real>::from_f64(-0.5)),
        from x |v| (F::ONE - v * v).powf(<F as Real>::from_f64(-0.5));
    /// `acos` elementwise.
    acos, acos_vjp, acos_jvp, acos_pb:
        |x, y| neg(&powf(&add_scalar(&neg(&mul(x, x)), F::ONE), <F as Real>::from_f64(-0.5))),
        from x |v| -(F::ONE - v * v).powf(<F as Real>::from_f64(-0.5));
    /// `atan` elementwise.
    atan, atan_vjp, atan_jvp, atan_pb: |x, y| recip(&add_scalar(&mul(x, x), F::ONE)), from x |v| (F::ONE + v * v).recip();
    /// `sinh` elementwise.
    sinh, sinh_vjp, sinh_jvp, sinh_pb: |x, y| cosh(x), from x |v| v.cosh();
    /// `cosh` elementwise.
    cosh, cosh_vjp, cosh_jvp, cosh_pb: |x, y| sinh(x), from x |v| v.sinh();
    /// `tanh` elementwise.
    tanh, tanh_vjp, tanh_jvp, tanh_pb: |x, y| add_scalar(&neg(&mul(&y, &y)), F::ONE), from y |v| F::ONE - v * v;
    /// `exp` elementwise.
    exp, exp_vjp, exp_jvp, exp_pb: |x, y| y.clone(), from y |v| v;
    /// `exp2` elementwise.
    exp2, exp2_vjp, exp2_jvp, exp2_pb: |x, y| scale(<F as Real>::from_f64(core::f64::consts::LN_2), &y), from y |v| v * <F as Real>::from_f64(core::f64::consts::LN_2);
    /// `exp_m1` elementwise.
    exp_m1, exp_m1_vjp, exp_m1_jvp, exp_m1_pb: |x, y| add_scalar(&y, F::ONE), from y |v| v + F::ONE;
    /// `ln` elementwise.
    ln, ln_vjp, ln_jvp, ln_pb: |x, y| recip(x), from x |v| v.recip();
    /// `log2` elementwise.
    log2, log2_vjp, log2_jvp, log2_pb: |x, y| scale(<F as Real>::from_f64(core::f64::consts::LOG2_E), &recip(x)), from x |v| <F as Real>::from_f64(core::f64::consts::LOG2_E) / v;
    /// `log10` elementwise.
    log10, log10_vjp, log10_jvp, log10_pb: |x, y| scale(<F as Real>::from_f64(core::f64::consts::LOG10_E), &recip(x)), from x |v| <F as Real>::from_f64(core::f64::consts::LOG10_E) / v;
    /// `ln_1p` elementwise.
    ln_1p, ln_1p_vjp, ln_1p_jvp, ln_1p_pb: |x, y| recip(&add_scalar(x, F::ONE)), from x |v| (v + F::ONE).recip();
    /// `sqrt` elementwise (`sqrt'(0) = +inf`).
    sqrt, sqrt_vjp, sqrt_jvp, sqrt_pb: |x, y| scale(<F as Real>::from_f64(0.5), &recip(&y)), from y |v| <F as Real>::from_f64(0.5) / v;
    /// `cbrt` elementwise.
    cbrt, cbrt_vjp, cbrt_jvp, cbrt_pb: |x, y| recip(&scale(<F as Real>::from_f64(3.0), &mul(&y, &y))), from y |v| (<F as Real>::from_f64(3.0) * v * v).recip();
    /// `1 / x` elementwise.
    recip, recip_vjp, recip_jvp, recip_pb: |x, y| neg(&mul(&y, &y)), from y |v| -(v * v);
    /// `|x|` elementwise (`abs'(0) = 0`).
    abs, abs_vjp, abs_jvp, abs_pb: |x, y| sign0(x), from x |v| crate::nodiff::sign0(v);
}

/// `max(x, 0)` elementwise (`relu'(0) = 0`).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = relu_vjp, forward = relu_jvp, pullback = relu_pb)]
pub fn relu<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.relu()
}

#[autodiff_macros::differentiate(forward)]
pub fn relu_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (relu(x), mul(d_out, &step(x)))
}

#[autodiff_macros::differentiate(forward)]
pub fn relu_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (relu(x), mul(d_x, &step(x)))
}

pub fn relu_pb<'a, F: Real>(
    x: &'a Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>,) + use<'a, F>,
) {
    (x.relu(), move |g: &Tensor<F>| {
        (g.zip_map(x, "relu", |g, v| if v > F::ZERO { g } else { F::ZERO }),)
    })
}

/// `1 / (1 + e^-x)` elementwise, stable at both ends.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = sigmoid_vjp, forward = sigmoid_jvp, pullback = sigmoid_pb)]
pub fn sigmoid<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.sigmoid()
}

#[autodiff_macros::differentiate(forward)]
pub fn sigmoid_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = sigmoid(x);
    let p = mul(&y, &add_scalar(&neg(&y), F::ONE));
    let d_x = mul(d_out, &p);
    (y, d_x)
}

#[autodiff_macros::differentiate(forward)]
pub fn sigmoid_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = sigmoid(x);
    let p = mul(&y, &add_scalar(&neg(&y), F::ONE));
    let t = mul(d_x, &p);
    (y, t)
}

pub fn sigmoid_pb<'a, F: Real>(
    x: &'a Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>,) + use<'a, F>,
) {
    let y = x.sigmoid();
    let keep = y.clone();
    (y, move |g: &Tensor<F>| {
        (g.zip_map(&keep, "sigmoid", |g, s| g * s * (F::ONE - s)),)
    })
}

/// `ln(1 + e^x)` elementwise, stable at both ends; its derivative is `sigmoid`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = softplus_vjp, forward = softplus_jvp, pullback = softplus_pb)]
pub fn softplus<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.softplus()
}

#[autodiff_macros::differentiate(forward)]
pub fn softplus_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (softplus(x), mul(d_out, &sigmoid(x)))
}

#[autodiff_macros::differentiate(forward)]
pub fn softplus_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (softplus(x), mul(d_x, &sigmoid(x)))
}

pub fn softplus_pb<'a, F: Real>(
    x: &'a Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>,) + use<'a, F>,
) {
    (x.softplus(), move |g: &Tensor<F>| (g * &x.sigmoid(),))
}

/// `x^n` elementwise, integer `n` (not differentiated).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = powi_vjp, forward = powi_jvp)]
pub fn powi<F: Real>(x: &Tensor<F>, n: i32) -> Tensor<F> {
    x.powi(n)
}

#[autodiff_macros::differentiate(forward)]
pub fn powi_vjp<F: Real>(x: &Tensor<F>, n: i32, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = powi(x, n);
    let d_x = mul(d_out, &powi_partial(x, n));
    (y, d_x)
}

#[autodiff_macros::differentiate(forward)]
pub fn powi_jvp<F: Real>(x: &Tensor<F>, n: i32, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = powi(x, n);
    let t = mul(d_x, &powi_partial(x, n));
    (y, t)
}

/// `n x^(n-1)`, and exactly 0 for `n = 0` (as the scalar rule).
#[autodiff_macros::differentiate(forward)]
pub fn powi_partial<F: Real>(x: &Tensor<F>, n: i32) -> Tensor<F> {
    if n == 0 {
        ::differentiate::__private::zero_like(x)
    } else {
        let nf: F = ::differentiate::__private::nodiff::cast(n, F::ONE);
        scale(nf, &powi(x, n - 1))
    }
}

/// `x^p` elementwise, scalar `p`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = powf_vjp, forward = powf_jvp)]
pub fn powf<F: Real>(x: &Tensor<F>, p: F) -> Tensor<F> {
    x.powf(p)
}

#[autodiff_macros::differentiate(forward)]
pub fn powf_vjp<F: Real>(x: &Tensor<F>, p: F, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>, F) {
    let y = powf(x, p);
    let d_x = mul(d_out, &scale(p, &powf(x, p - F::ONE)));
    let d_p = dot(d_out, &mul(&y, &ln(x)));
    (y, d_x, d_p)
}

#[autodiff_macros::differentiate(forward)]
pub fn powf_jvp<F: Real>(x: &Tensor<F>, p: F, d_x: &Tensor<F>, d_p: F) -> (Tensor<F>, Tensor<F>) {
    let y = powf(x, p);
    let tx = mul(d_x, &scale(p, &powf(x, p - F::ONE)));
    let t = add(&tx, &scale(d_p, &mul(&y, &ln(x))));
    (y, t)
}

// ----- reductions ----------------------------------------------------------------

/// The sum of all elements.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = sum_vjp, forward = sum_jvp)]
pub fn sum<F: Real>(x: &Tensor<F>) -> F {
    x.sum()
}

#[autodiff_macros::differentiate(forward)]
pub fn sum_vjp<F: Real>(x: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    (sum(x), fill_like(x, d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn sum_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (F, F) {
    (sum(x), sum(d_x))
}

/// The mean of all elements.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = mean_vjp, forward = mean_jvp)]
pub fn mean<F: Real>(x: &Tensor<F>) -> F {
    x.mean()
}

#[autodiff_macros::differentiate(forward)]
pub fn mean_vjp<F: Real>(x: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    let n: F = ::differentiate::__private::nodiff::count(x.len(), F::ONE);
    (mean(x), fill_like(x, d_out / n))
}

#[autodiff_macros::differentiate(forward)]
pub fn mean_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (F, F) {
    (mean(x), mean(d_x))
}

/// `<a, b>`: the sum of the elementwise product (one shape).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = dot_vjp, forward = dot_jvp)]
pub fn dot<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> F {
    a.dot(b)
}

#[autodiff_macros::differentiate(forward)]
pub fn dot_vjp<F: Real>(a: &Tensor<F>, b: &Tensor<F>, d_out: F) -> (F, Tensor<F>, Tensor<F>) {
    (dot(a, b), scale(d_out, b), scale(d_out, a))
}

#[autodiff_macros::differentiate(forward)]
pub fn dot_jvp<F: Real>(a: &Tensor<F>, b: &Tensor<F>, d_a: &Tensor<F>, d_b: &Tensor<F>) -> (F, F) {
    (dot(a, b), dot(d_a, b) + dot(a, d_b))
}

/// The Euclidean norm of all elements.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = norm_vjp, forward = norm_jvp)]
pub fn norm<F: Real>(x: &Tensor<F>) -> F {
    x.norm()
}

#[autodiff_macros::differentiate(forward)]
pub fn norm_vjp<F: Real>(x: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    let y = norm(x);
    (y, scale(d_out / y, x))
}

#[autodiff_macros::differentiate(forward)]
pub fn norm_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (F, F) {
    let y = norm(x);
    (y, dot(x, d_x) / y)
}

/// The largest element (the adjoint goes to the first one).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = max_vjp, forward = max_jvp)]
pub fn max<F: Real>(x: &Tensor<F>) -> F {
    x.max()
}

#[autodiff_macros::differentiate(forward)]
pub fn max_vjp<F: Real>(x: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    (max(x), scale(d_out, &onehot_max(x)))
}

#[autodiff_macros::differentiate(forward)]
pub fn max_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (F, F) {
    (max(x), dot(&onehot_max(x), d_x))
}

/// The smallest element (the adjoint goes to the first one).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = min_vjp, forward = min_jvp)]
pub fn min<F: Real>(x: &Tensor<F>) -> F {
    x.min()
}

#[autodiff_macros::differentiate(forward)]
pub fn min_vjp<F: Real>(x: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    (min(x), scale(d_out, &onehot_min(x)))
}

#[autodiff_macros::differentiate(forward)]
pub fn min_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (F, F) {
    (min(x), dot(&onehot_min(x), d_x))
}

/// The sum over one axis (which disappears from the shape).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = sum_axis_vjp, forward = sum_axis_jvp)]
pub fn sum_axis<F: Real>(x: &Tensor<F>, axis: usize) -> Tensor<F> {
    x.sum_axis(axis)
}

#[autodiff_macros::differentiate(forward)]
pub fn sum_axis_vjp<F: Real>(
    x: &Tensor<F>,
    axis: usize,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    let n = ::differentiate::__private::nodiff::axis_len(x, axis);
    (sum_axis(x, axis), expand_axis(d_out, axis, n))
}

#[autodiff_macros::differentiate(forward)]
pub fn sum_axis_jvp<F: Real>(
    x: &Tensor<F>,
    axis: usize,
    d_x: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (sum_axis(x, axis), sum_axis(d_x, axis))
}

/// `x` repeated `n` times along a new axis at `axis` (the adjoint of `sum_axis`).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = expand_axis_vjp, forward = expand_axis_jvp)]
pub fn expand_axis<F: Real>(x: &Tensor<F>, axis: usize, n: usize) -> Tensor<F> {
    let mut shape = x.shape().to_vec();
    shape.insert(axis, n);
    let outer: usize = x.shape()[..axis].iter().product();
    let inner: usize = x.shape()[axis..].iter().product();
    let src = x.as_slice();
    let mut data = Vec::with_capacity(outer * n * inner);
    for o in 0..outer {
        for _ in 0..n {
            data.extend_from_slice(&src[o * inner..(o + 1) * inner]);
        }
    }
    Tensor::from_vec(data, &shape)
}

#[autodiff_macros::differentiate(forward)]
pub fn expand_axis_vjp<F: Real>(
    x: &Tensor<F>,
    axis: usize,
    n: usize,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (expand_axis(x, axis, n), sum_axis(d_out, axis))
}

#[autodiff_macros::differentiate(forward)]
pub fn expand_axis_jvp<F: Real>(
    x: &Tensor<F>,
    axis: usize,
    n: usize,
    d_x: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (expand_axis(x, axis, n), expand_axis(d_x, axis, n))
}

/// `ln(sum(e^x))` over the last axis, shifted so it never overflows.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = logsumexp_vjp, forward = logsumexp_jvp)]
pub fn logsumexp<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.logsumexp()
}

#[autodiff_macros::differentiate(forward)]
pub fn logsumexp_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let n = ::differentiate::__private::nodiff::last_len(x);
    let d_x = mul(&softmax(x), &expand_axis(d_out, axis, n));
    (logsumexp(x), d_x)
}

#[autodiff_macros::differentiate(forward)]
pub fn logsumexp_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let t = sum_axis(&mul(&softmax(x), d_x), axis);
    (logsumexp(x), t)
}

/// `e^x / sum(e^x)` over the last axis, stable.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = softmax_vjp, forward = softmax_jvp)]
pub fn softmax<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.softmax()
}

#[autodiff_macros::differentiate(forward)]
pub fn softmax_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let n = ::differentiate::__private::nodiff::last_len(x);
    let y = softmax(x);
    let s = expand_axis(&sum_axis(&mul(d_out, &y), axis), axis, n);
    let d_x = mul(&y, &sub(d_out, &s));
    (y, d_x)
}

#[autodiff_macros::differentiate(forward)]
pub fn softmax_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let n = ::differentiate::__private::nodiff::last_len(x);
    let y = softmax(x);
    let s = expand_axis(&sum_axis(&mul(d_x, &y), axis), axis, n);
    let t = mul(&y, &sub(d_x, &s));
    (y, t)
}

/// `x - logsumexp(x)` over the last axis, finite wherever `x` is.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = log_softmax_vjp, forward = log_softmax_jvp)]
pub fn log_softmax<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.log_softmax()
}

#[autodiff_macros::differentiate(forward)]
pub fn log_softmax_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let n = ::differentiate::__private::nodiff::last_len(x);
    let s = expand_axis(&sum_axis(d_out, axis), axis, n);
    let d_x = sub(d_out, &mul(&softmax(x), &s));
    (log_softmax(x), d_x)
}

#[autodiff_macros::differentiate(forward)]
pub fn log_softmax_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let axis = ::differentiate::__private::nodiff::last_axis(x);
    let n = ::differentiate::__private::nodiff::last_len(x);
    let s = expand_axis(&sum_axis(&mul(&softmax(x), d_x), axis), axis, n);
    (log_softmax(x), sub(d_x, &s))
}

// ----- shapes --------------------------------------------------------------------

/// The transpose of a matrix (a vector is its own transpose).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = transpose_vjp, forward = transpose_jvp)]
pub fn transpose<F: Real>(x: &Tensor<F>) -> Tensor<F> {
    x.transpose()
}

#[autodiff_macros::differentiate(forward)]
pub fn transpose_vjp<F: Real>(x: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (transpose(x), transpose(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn transpose_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    (transpose(x), transpose(d_x))
}

/// The same elements in another shape (same count).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = reshape_vjp, forward = reshape_jvp)]
pub fn reshape<F: Real>(x: &Tensor<F>, shape: &[usize]) -> Tensor<F> {
    x.reshape(shape)
}

#[autodiff_macros::differentiate(forward)]
pub fn reshape_vjp<F: Real>(
    x: &Tensor<F>,
    shape: &[usize],
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (reshape(x, shape), reshape(d_out, x.shape()))
}

#[autodiff_macros::differentiate(forward)]
pub fn reshape_jvp<F: Real>(
    x: &Tensor<F>,
    shape: &[usize],
    d_x: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (reshape(x, shape), reshape(d_x, shape))
}

/// The elements, row-major.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = to_vec_vjp, forward = to_vec_jvp)]
pub fn to_vec<F: Real>(x: &Tensor<F>) -> Vec<F> {
    x.to_vec()
}

#[autodiff_macros::differentiate(forward)]
pub fn to_vec_vjp<F: Real>(x: &Tensor<F>, d_out: &[F]) -> (Vec<F>, Tensor<F>) {
    (to_vec(x), from_vec(d_out, x.shape()))
}

#[autodiff_macros::differentiate(forward)]
pub fn to_vec_jvp<F: Real>(x: &Tensor<F>, d_x: &Tensor<F>) -> (Vec<F>, Vec<F>) {
    (to_vec(x), to_vec(d_x))
}

/// A tensor of `shape` holding `data` (row-major).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = from_vec_vjp, forward = from_vec_jvp)]
pub fn from_vec<F: Real>(data: &[F], shape: &[usize]) -> Tensor<F> {
    Tensor::from_vec(data.to_vec(), shape)
}

#[autodiff_macros::differentiate(forward)]
pub fn from_vec_vjp<F: Real>(
    data: &[F],
    shape: &[usize],
    d_out: &Tensor<F>,
) -> (Tensor<F>, Vec<F>) {
    (from_vec(data, shape), to_vec(d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn from_vec_jvp<F: Real>(data: &[F], shape: &[usize], d_data: &[F]) -> (Tensor<F>, Tensor<F>) {
    (from_vec(data, shape), from_vec(d_data, shape))
}

// ----- matrix products -----------------------------------------------------------

/// The matrix product with numpy's rules for 1-D operands (a vector on the
/// left is a row, on the right a column, and that axis is dropped from the
/// result). On a real GEMM; the adjoints are GEMMs with transposed operands.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = matmul_vjp, forward = matmul_jvp, pullback = matmul_pb)]
pub fn matmul<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a.matmul(b)
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    let g = reshape(
        d_out,
        &::differentiate::__private::nodiff::out_shape(a.shape(), b.shape()),
    );
    let a2 = reshape(
        a,
        &::differentiate::__private::nodiff::left_shape(a.shape()),
    );
    let b2 = reshape(
        b,
        &::differentiate::__private::nodiff::right_shape(b.shape()),
    );
    let d_a = reshape(&matmul_nt(&g, &b2), a.shape());
    let d_b = reshape(&matmul_tn(&a2, &g), b.shape());
    (matmul(a, b), d_a, d_b)
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (matmul(a, b), add(&matmul(d_a, b), &matmul(a, d_b)))
}

pub fn matmul_pb<'a, 'b, F: Real>(
    a: &'a Tensor<F>,
    b: &'b Tensor<F>,
) -> (
    Tensor<F>,
    impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
) {
    // every adjoint wanted: the same kernel as a call with inactive operands
    needs::matmul(a, b, [true, true])
}

/// `a b^T` for matrices (a GEMM with a transposed operand, no copy).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = matmul_nt_vjp, forward = matmul_nt_jvp)]
pub fn matmul_nt<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a.matmul_t(false, b, true)
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_nt_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    (matmul_nt(a, b), matmul(d_out, b), matmul_tn(d_out, a))
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_nt_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (matmul_nt(a, b), add(&matmul_nt(d_a, b), &matmul_nt(a, d_b)))
}

/// `a^T b` for matrices (a GEMM with a transposed operand, no copy).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = matmul_tn_vjp, forward = matmul_tn_jvp)]
pub fn matmul_tn<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a.matmul_t(true, b, false)
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_tn_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    (matmul_tn(a, b), matmul_nt(b, d_out), matmul(a, d_out))
}

#[autodiff_macros::differentiate(forward)]
pub fn matmul_tn_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    (matmul_tn(a, b), add(&matmul_tn(d_a, b), &matmul_tn(a, d_b)))
}

// ----- linear algebra ------------------------------------------------------------

/// `A^-1 b` for a square `A` and a vector or matrix `b`.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = solve_vjp, forward = solve_jvp)]
pub fn solve<F: Real>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    a.solve(b)
}

#[autodiff_macros::differentiate(forward)]
pub fn solve_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_out: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>, Tensor<F>) {
    let x = solve(a, b);
    let d_b = solve(&transpose(a), d_out);
    let g2 = reshape(
        &d_b,
        &::differentiate::__private::nodiff::right_shape(b.shape()),
    );
    let x2 = reshape(
        &x,
        &::differentiate::__private::nodiff::right_shape(b.shape()),
    );
    let d_a = neg(&matmul_nt(&g2, &x2));
    (x, d_a, d_b)
}

#[autodiff_macros::differentiate(forward)]
pub fn solve_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    d_a: &Tensor<F>,
    d_b: &Tensor<F>,
) -> (Tensor<F>, Tensor<F>) {
    let x = solve(a, b);
    let t = solve(a, &sub(d_b, &matmul(d_a, &x)));
    (x, t)
}

/// The inverse of a square matrix (panics when it is singular).
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = inverse_vjp, forward = inverse_jvp)]
pub fn inverse<F: Real>(a: &Tensor<F>) -> Tensor<F> {
    a.inverse()
}

#[autodiff_macros::differentiate(forward)]
pub fn inverse_vjp<F: Real>(a: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = inverse(a);
    let d_a = neg(&matmul_tn(&y, &matmul_nt(d_out, &y)));
    (y, d_a)
}

#[autodiff_macros::differentiate(forward)]
pub fn inverse_jvp<F: Real>(a: &Tensor<F>, d_a: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let y = inverse(a);
    let t = neg(&matmul(&y, &matmul(d_a, &y)));
    (y, t)
}

/// `ln |det A|` of a square matrix.
#[autodiff_macros::differentiate(forward)]
#[autodiff_macros::custom_derivative(reverse = logdet_vjp, forward = logdet_jvp)]
pub fn logdet<F: Real>(a: &Tensor<F>) -> F {
    a.logdet()
}

#[autodiff_macros::differentiate(forward)]
pub fn logdet_vjp<F: Real>(a: &Tensor<F>, d_out: F) -> (F, Tensor<F>) {
    (logdet(a), scale(d_out, &transpose(&inverse(a))))
}

#[autodiff_macros::differentiate(forward)]
pub fn logdet_jvp<F: Real>(a: &Tensor<F>, d_a: &Tensor<F>) -> (F, F) {
    (logdet(a), dot(&transpose(&inverse(a)), d_a))
}

/// The lower Cholesky factor `L` of a symmetric positive definite matrix
/// (`A = L L^T`; reads the lower triangle). First-order rules only.
#[autodiff_macros::custom_derivative(reverse = cholesky_vjp, forward = cholesky_jvp)]
pub fn cholesky<F: Real>(a: &Tensor<F>) -> Tensor<F> {
    a.cholesky()
}

pub fn cholesky_vjp<F: Real>(a: &Tensor<F>, d_out: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    let l = a.cholesky();
    let d_a = rules::cholesky_vjp(&l, d_out);
    (l, d_a)
}

pub fn cholesky_jvp<F: Real>(a: &Tensor<F>, d_a: &Tensor<F>) -> (Tensor<F>, Tensor<F>) {
    rules::cholesky_jvp(a, Some(d_a))
}

/// First-order pullbacks of the products for calls where some operand needs
/// no adjoint (the code generator passes which): an unneeded adjoint is an
/// empty tensor, and its GEMM or pass is never run.
pub mod needs {
    use super::super::{rules, Tensor};
    use crate::Real;

    fn or_empty<F: Real>(t: Option<Tensor<F>>) -> Tensor<F> {
        t.unwrap_or_else(|| Tensor::zeros(&[0]))
    }

    /// [`matmul`](super::matmul) with only the needed adjoints.
    pub fn matmul<'a, 'b, F: Real>(
        a: &'a Tensor<F>,
        b: &'b Tensor<F>,
        needs: [bool; 2],
    ) -> (
        Tensor<F>,
        impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
    ) {
        (a.matmul(b), move |g: &Tensor<F>| {
            let [d_a, d_b] = rules::matmul_vjp(a, b, g, needs);
            (or_empty(d_a), or_empty(d_b))
        })
    }

    /// [`mul`](super::mul) with only the needed adjoints.
    pub fn mul<'a, 'b, F: Real>(
        a: &'a Tensor<F>,
        b: &'b Tensor<F>,
        needs: [bool; 2],
    ) -> (
        Tensor<F>,
        impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
    ) {
        (a * b, move |g: &Tensor<F>| {
            (
                or_empty(needs[0].then(|| g * b)),
                or_empty(needs[1].then(|| g * a)),
            )
        })
    }

    /// [`div`](super::div) with only the needed adjoints.
    pub fn div<'a, 'b, F: Real>(
        a: &'a Tensor<F>,
        b: &'b Tensor<F>,
        needs: [bool; 2],
    ) -> (
        Tensor<F>,
        impl FnOnce(&Tensor<F>) -> (Tensor<F>, Tensor<F>) + use<'a, 'b, F>,
    ) {
        let y = a / b;
        let keep = needs[1].then(|| y.clone());
        (y, move |g: &Tensor<F>| {
            let d_a = g / b;
            let d_b = keep.map(|y| d_a.zip_map(&y, "div", |ga, y| -(ga * y)));
            (or_empty(needs[0].then_some(d_a)), or_empty(d_b))
        })
    }
}
