//! Helpers whose derivative is zero wherever it exists.
//!
//! Rule formulas in the table (and so generated code) call these; the
//! `#[differentiate]` macro knows every function of this module is inactive, so
//! derivative code that uses them can be differentiated again.

use crate::Real;

/// `n` converted to the float type of `like`.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::cast(3, 2.0_f32), 3.0_f32);
/// ```
#[inline(always)]
pub fn cast<F: Real>(n: i32, _like: F) -> F {
    F::from_i32(n)
}

/// ln 2 in the float type of `like`.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::ln2(0.0_f64), std::f64::consts::LN_2);
/// ```
#[inline(always)]
pub fn ln2<F: Real>(_like: F) -> F {
    F::from_f64(core::f64::consts::LN_2)
}

/// ln 10 in the float type of `like`.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::ln10(0.0_f64), std::f64::consts::LN_10);
/// ```
#[inline(always)]
pub fn ln10<F: Real>(_like: F) -> F {
    F::from_f64(core::f64::consts::LN_10)
}

/// 180 / pi (degrees per radian) in the float type of `like`.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::deg_per_rad(0.0_f64), 1.0_f64.to_degrees());
/// ```
#[inline(always)]
pub fn deg_per_rad<F: Real>(_like: F) -> F {
    F::from_f64(1.0_f64.to_degrees())
}

/// The sign with `sign0(0) = 0` (JAX's `abs'(0) = 0`); NaN stays NaN.
///
/// ```
/// use autodiff_runtime::nodiff::sign0;
/// assert_eq!((sign0(-2.0), sign0(0.0), sign0(3.0)), (-1.0, 0.0, 1.0));
/// assert!(sign0(f64::NAN).is_nan());
/// ```
#[inline(always)]
pub fn sign0<F: Real>(x: F) -> F {
    if x > F::ZERO {
        F::ONE
    } else if x < F::ZERO {
        -F::ONE
    } else if x.is_nan() {
        x
    } else {
        F::ZERO
    }
}

/// 1 where `cond` holds, else 0, in the float type of `like`.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::step(1.0 > 0.0, 5.0_f32), 1.0);
/// ```
#[inline(always)]
pub fn step<F: Real>(cond: bool, _like: F) -> F {
    if cond {
        F::ONE
    } else {
        F::ZERO
    }
}

// ----- shapes, for the tensor rules (`tensor::ad`) -----------------------------

/// `n` as a float of `like`'s type.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::count(3, 0.0_f32), 3.0_f32);
/// ```
#[inline(always)]
pub fn count<F: Real>(n: usize, _like: F) -> F {
    F::from_usize(n)
}

/// The length of axis `axis` of `x`.
///
/// ```
/// use autodiff_runtime::Tensor;
/// assert_eq!(autodiff_runtime::nodiff::axis_len(&Tensor::<f64>::zeros(&[2, 3]), 1), 3);
/// ```
#[inline(always)]
#[track_caller]
pub fn axis_len<F: Real>(x: &crate::Tensor<F>, axis: usize) -> usize {
    x.shape()[axis]
}

/// The length of the last axis (1 for a rank-0 tensor).
///
/// ```
/// use autodiff_runtime::Tensor;
/// assert_eq!(autodiff_runtime::nodiff::last_len(&Tensor::<f64>::zeros(&[2, 3])), 3);
/// ```
#[inline(always)]
pub fn last_len<F: Real>(x: &crate::Tensor<F>) -> usize {
    x.shape().last().copied().unwrap_or(1)
}

/// The index of the last axis (0 for a rank-0 tensor).
///
/// ```
/// use autodiff_runtime::Tensor;
/// assert_eq!(autodiff_runtime::nodiff::last_axis(&Tensor::<f64>::zeros(&[2, 3])), 1);
/// ```
#[inline(always)]
pub fn last_axis<F: Real>(x: &crate::Tensor<F>) -> usize {
    x.ndim().saturating_sub(1)
}

/// The `[m, k]` matrix shape of a left `matmul` operand (`[1, k]` for a vector).
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::left_shape(&[3]), vec![1, 3]);
/// ```
pub fn left_shape(s: &[usize]) -> Vec<usize> {
    match s {
        [k] => vec![1, *k],
        _ => s.to_vec(),
    }
}

/// The `[k, n]` matrix shape of a right `matmul` operand (`[k, 1]` for a vector).
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::right_shape(&[3]), vec![3, 1]);
/// ```
pub fn right_shape(s: &[usize]) -> Vec<usize> {
    match s {
        [k] => vec![*k, 1],
        _ => s.to_vec(),
    }
}

/// The `[m, n]` matrix shape of a `matmul` output, from its operands' shapes.
///
/// ```
/// assert_eq!(autodiff_runtime::nodiff::out_shape(&[3], &[3, 4]), vec![1, 4]);
/// ```
pub fn out_shape(a: &[usize], b: &[usize]) -> Vec<usize> {
    let m = if a.len() == 1 { 1 } else { a[0] };
    let n = if b.len() == 1 { 1 } else { b[b.len() - 1] };
    vec![m, n]
}
