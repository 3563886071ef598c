//! Elementwise math (every float method the macro supports, mapped over the
//! elements), reductions, and numerically stable activations.
//!
//! The elementwise table below has one line per method; the derivative of each
//! is the scalar rule of the same name (see [`super::rules`]).

use super::{broadcast_shape, error::fail, numel, ShapeError, ShapeErrorKind, Tensor};
use crate::Real;

macro_rules! unary_methods {
    ($($name:ident: $doc:literal;)*) => {
        impl<F: Real> Tensor<F> {
            $(
                #[doc = concat!($doc, ", elementwise.")]
                ///
                /// ```
                /// use autodiff_runtime::Tensor;
                /// let x = Tensor::from_vec(vec![0.25, 0.5, 0.75], &[3]);
                #[doc = concat!("let y = x.", stringify!($name), "();")]
                #[doc = concat!("assert_eq!(y[2], 0.75_f64.", stringify!($name), "());")]
                /// assert_eq!(y.shape(), x.shape());
                /// ```
                #[inline]
                pub fn $name(&self) -> Tensor<F> {
                    self.map(F::$name)
                }
            )*
        }
    };
}

unary_methods! {
    sin: "Sine";
    cos: "Cosine";
    tan: "Tangent";
    asin: "Arcsine";
    acos: "Arccosine";
    atan: "Arctangent";
    sinh: "Hyperbolic sine";
    cosh: "Hyperbolic cosine";
    tanh: "Hyperbolic tangent";
    exp: "`e^x`";
    exp2: "`2^x`";
    exp_m1: "`e^x - 1`, accurate near 0";
    ln: "Natural logarithm";
    log10: "Base-10 logarithm";
    log2: "Base-2 logarithm";
    ln_1p: "`ln(1 + x)`, accurate near 0";
    sqrt: "Square root";
    cbrt: "Cube root";
    recip: "`1 / x`";
    abs: "Absolute value";
    signum: "Sign (`1`, `-1`, or NaN)";
    floor: "Largest integer not above `x`";
    ceil: "Smallest integer not below `x`";
    round: "Nearest integer, half away from zero";
    trunc: "Integer part";
}

macro_rules! binary_methods {
    ($($name:ident = $scalar:ident: $doc:literal, $ex:literal;)*) => {
        impl<F: Real> Tensor<F> {
            $(
                #[doc = concat!($doc, ", elementwise; `other` has `self`'s shape, or either is a scalar (rank 0).")]
                ///
                #[doc = concat!("Panics on a shape mismatch: `", stringify!($name), ": shapes [2] and [3] differ`.")]
                ///
                /// ```
                /// use autodiff_runtime::Tensor;
                /// let a = Tensor::from_vec(vec![1.0, 4.0], &[2]);
                /// let b = Tensor::from_vec(vec![3.0, 2.0], &[2]);
                #[doc = concat!("assert_eq!(a.", stringify!($name), "(&b).to_vec(), ", $ex, ");")]
                /// ```
                #[track_caller]
                pub fn $name(&self, other: &Tensor<F>) -> Tensor<F> {
                    self.zip_map(other, stringify!($name), F::$scalar)
                }
            )*
        }
    };
}

binary_methods! {
    atan2 = atan2: "Four-quadrant arctangent of `self / other`", "vec![1.0_f64.atan2(3.0), 4.0_f64.atan2(2.0)]";
    hypot = hypot: "`sqrt(self^2 + other^2)` without overflow", "vec![1.0_f64.hypot(3.0), 4.0_f64.hypot(2.0)]";
    maximum = max: "The larger of the two (the float method `max`; ties and NaN as `f64::max`)", "vec![3.0, 4.0]";
    minimum = min: "The smaller of the two (the float method `min`)", "vec![1.0, 2.0]";
}

impl<F: Real> Tensor<F> {
    /// `x^n` elementwise for an integer power.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![2.0, 3.0], &[2]).powi(3).to_vec(), vec![8.0, 27.0]);
    /// ```
    pub fn powi(&self, n: i32) -> Tensor<F> {
        self.map(|x| x.powi(n))
    }

    /// `x^p` elementwise for a float power `p`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![4.0, 9.0], &[2]).powf(0.5).to_vec(), vec![2.0, 3.0]);
    /// ```
    pub fn powf(&self, p: F) -> Tensor<F> {
        self.map(|x| x.powf(p))
    }

    /// Each element clamped to `[lo, hi]`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![-2.0, 0.5, 3.0], &[3]);
    /// assert_eq!(t.clamp(0.0, 1.0).to_vec(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn clamp(&self, lo: F, hi: F) -> Tensor<F> {
        self.map(|x| x.clamp(lo, hi))
    }

    /// `self * a + b` elementwise with one rounding (`a` and `b` have `self`'s
    /// shape or are scalars).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let y = x.mul_add(&Tensor::scalar(3.0), &Tensor::from_vec(vec![0.5, 0.25], &[2]));
    /// assert_eq!(y.to_vec(), vec![3.5, 6.25]);
    /// ```
    #[track_caller]
    pub fn mul_add(&self, a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
        let xa = broadcast_shape("mul_add", &self.shape, &a.shape).unwrap_or_else(fail);
        let shape = broadcast_shape("mul_add", xa, &b.shape).unwrap_or_else(fail);
        // Index through the broadcast shape so every operand may be a scalar.
        let pick = |t: &Tensor<F>, i: usize| {
            if t.shape.is_empty() {
                t.data[0]
            } else {
                t.data[i]
            }
        };
        Tensor::from_fn(shape, |i| pick(self, i).mul_add(pick(a, i), pick(b, i)))
    }

    // ----- reductions ---------------------------------------------------

    /// The sum of all elements (0 for an empty tensor).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).sum(), 6.0);
    /// ```
    pub fn sum(&self) -> F {
        self.data.iter().copied().sum()
    }

    /// The mean of all elements (NaN for an empty tensor).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]).mean(), 2.0);
    /// ```
    pub fn mean(&self) -> F {
        self.sum() / F::from_usize(self.data.len())
    }

    /// The largest element; NaN if any element is NaN. Panics on an empty tensor.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 3.0, 2.0], &[3]).max(), 3.0);
    /// ```
    #[track_caller]
    pub fn max(&self) -> F {
        self.data[self.extreme_index("max", |a, b| a > b)]
    }

    /// The smallest element; NaN if any element is NaN. Panics on an empty tensor.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 3.0, -2.0], &[3]).min(), -2.0);
    /// ```
    #[track_caller]
    pub fn min(&self) -> F {
        self.data[self.extreme_index("min", |a, b| a < b)]
    }

    /// Flat index of the largest element, the first one on ties (where the
    /// derivative of [`max`](Self::max) goes). Panics on an empty tensor.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, 3.0, 3.0], &[3]).argmax(), 1);
    /// ```
    #[track_caller]
    pub fn argmax(&self) -> usize {
        self.extreme_index("argmax", |a, b| a > b)
    }

    /// Flat index of the smallest element, the first one on ties. Panics on an
    /// empty tensor.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0, -3.0, -3.0], &[3]).argmin(), 1);
    /// ```
    #[track_caller]
    pub fn argmin(&self) -> usize {
        self.extreme_index("argmin", |a, b| a < b)
    }

    /// Index of the first element that `better` prefers to all others; a NaN
    /// wins at once.
    #[track_caller]
    fn extreme_index(&self, op: &'static str, better: fn(F, F) -> bool) -> usize {
        if self.data.is_empty() {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::Size,
                op,
                &[&self.shape],
                "needs at least one element",
            ));
        }
        let mut best = 0;
        for (i, &x) in self.data.iter().enumerate() {
            if x.is_nan() {
                return i;
            }
            if better(x, self.data[best]) {
                best = i;
            }
        }
        best
    }

    /// The Euclidean (Frobenius) norm, computed with scaling so it neither
    /// overflows nor underflows.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0, 4.0], &[2]).norm(), 5.0);
    /// let big = Tensor::from_vec(vec![3e200_f64, 4e200], &[2]).norm();
    /// assert!((big / 5e200 - 1.0).abs() < 1e-15); // no overflow
    /// ```
    pub fn norm(&self) -> F {
        let scale = self.data.iter().fold(F::ZERO, |m, &x| m.max(x.abs()));
        if scale == F::ZERO || !scale.is_finite() {
            return scale;
        }
        let s: F = self.data.iter().map(|&x| (x / scale) * (x / scale)).sum();
        scale * s.sqrt()
    }

    /// The sum of the elementwise product of two tensors of one shape (the dot
    /// product of vectors, the Frobenius inner product of matrices).
    ///
    /// Panics on a shape mismatch: `dot: shapes [2] and [3] differ`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// assert_eq!(a.dot(&a), 5.0);
    /// ```
    #[track_caller]
    pub fn dot(&self, other: &Tensor<F>) -> F {
        self.try_dot(other).unwrap_or_else(fail)
    }

    /// [`dot`](Self::dot), returning an error on a shape mismatch.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let e = Tensor::<f64>::zeros(&[2]).try_dot(&Tensor::zeros(&[3])).unwrap_err();
    /// assert_eq!(e.to_string(), "dot: shapes [2] and [3] differ");
    /// ```
    pub fn try_dot(&self, other: &Tensor<F>) -> Result<F, ShapeError> {
        if self.shape != other.shape {
            return Err(ShapeError::mismatch("dot", &self.shape, &other.shape));
        }
        Ok(self
            .data
            .iter()
            .zip(&other.data)
            .map(|(&a, &b)| a * b)
            .sum())
    }

    /// Sums along `axis`, removing it: shape `[2, 3]` summed along axis 1 gives
    /// `[2]`. Panics if the axis does not exist.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.sum_axis(0).to_vec(), vec![5.0, 7.0, 9.0]);
    /// assert_eq!(t.sum_axis(1).to_vec(), vec![6.0, 15.0]);
    /// ```
    #[track_caller]
    pub fn sum_axis(&self, axis: usize) -> Tensor<F> {
        let (outer, n, inner) = self.split_at_axis("sum_axis", axis);
        let mut out = vec![F::ZERO; outer * inner];
        for o in 0..outer {
            for k in 0..n {
                let src = &self.data[(o * n + k) * inner..(o * n + k + 1) * inner];
                for (acc, &x) in out[o * inner..(o + 1) * inner].iter_mut().zip(src) {
                    *acc += x;
                }
            }
        }
        let mut shape = self.shape.clone();
        shape.remove(axis);
        Tensor { data: out, shape }
    }

    /// `(product of the dimensions before axis, dimension of axis, product after)`.
    #[track_caller]
    pub(crate) fn split_at_axis(&self, op: &'static str, axis: usize) -> (usize, usize, usize) {
        if axis >= self.shape.len() {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                op,
                &[&self.shape],
                format!("axis {axis} does not exist"),
            ));
        }
        (
            numel(&self.shape[..axis]),
            self.shape[axis],
            numel(&self.shape[axis + 1..]),
        )
    }

    // ----- activations --------------------------------------------------

    /// `max(x, 0)` elementwise (its derivative at 0 is 0).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0, 2.0], &[2]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    pub fn relu(&self) -> Tensor<F> {
        self.map(|x| {
            if x > F::ZERO || x.is_nan() {
                x
            } else {
                F::ZERO
            }
        })
    }

    /// The logistic function `1 / (1 + e^-x)`, computed without overflow for
    /// large `|x|`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let s = Tensor::from_vec(vec![0.0, -1000.0, 1000.0], &[3]).sigmoid();
    /// assert_eq!(s.to_vec(), vec![0.5, 0.0, 1.0]);
    /// ```
    pub fn sigmoid(&self) -> Tensor<F> {
        self.map(sigmoid)
    }

    /// `ln(1 + e^x)` computed as `max(x, 0) + ln_1p(e^-|x|)`, exact for large `|x|`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let s = Tensor::from_vec(vec![1000.0, -1000.0, 0.0], &[3]).softplus();
    /// assert_eq!(s.to_vec(), vec![1000.0, 0.0, 2.0_f64.ln()]);
    /// ```
    pub fn softplus(&self) -> Tensor<F> {
        self.map(|x| x.max(F::ZERO) + (-x.abs()).exp().ln_1p())
    }

    /// `ln(sum(e^x))` over the last axis, shifted by the maximum so it never
    /// overflows: a vector gives a scalar (rank 0), a matrix one value per row.
    /// Panics on a scalar.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let x = Tensor::from_vec(vec![1000.0, 1000.0], &[2]);
    /// assert_eq!(x.logsumexp().item(), 1000.0 + 2.0_f64.ln());
    /// let m = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0], &[2, 2]);
    /// assert_eq!(m.logsumexp().shape(), &[2]);
    /// ```
    #[track_caller]
    pub fn logsumexp(&self) -> Tensor<F> {
        let (rows, n) = self.last_axis("logsumexp");
        let data = (0..rows)
            .map(|r| lse(&self.data[r * n..(r + 1) * n]))
            .collect();
        Tensor {
            data,
            shape: self.shape[..self.shape.len() - 1].to_vec(),
        }
    }

    /// `e^x / sum(e^x)` over the last axis (of a vector, or each row of a
    /// matrix), shifted by the maximum so it never overflows.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let p = Tensor::from_vec(vec![1000.0, 1000.0], &[2]).softmax();
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn softmax(&self) -> Tensor<F> {
        let (rows, n) = self.last_axis("softmax");
        let mut out = self.clone();
        for r in 0..rows {
            let row = &mut out.data[r * n..(r + 1) * n];
            let m = shift(row);
            let mut s = F::ZERO;
            for y in row.iter_mut() {
                *y = (*y - m).exp();
                s += *y;
            }
            for y in row.iter_mut() {
                *y /= s;
            }
        }
        out
    }

    /// `x - logsumexp(x)` over the last axis (of a vector, or each row of a
    /// matrix), finite wherever the input is.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let p = Tensor::from_vec(vec![0.0, 2000.0], &[2]).log_softmax();
    /// assert_eq!(p.to_vec(), vec![-2000.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn log_softmax(&self) -> Tensor<F> {
        let (rows, n) = self.last_axis("log_softmax");
        let mut out = self.clone();
        for r in 0..rows {
            let row = &mut out.data[r * n..(r + 1) * n];
            let m = shift(row);
            let l = row.iter().map(|&x| (x - m).exp()).sum::<F>().ln();
            for y in row {
                *y = (*y - m) - l;
            }
        }
        out
    }

    /// `(number of rows, length of the last axis)`; panics on a scalar.
    #[track_caller]
    pub(crate) fn last_axis(&self, op: &'static str) -> (usize, usize) {
        match self.shape.last() {
            Some(&n) => (numel(&self.shape[..self.shape.len() - 1]), n),
            None => fail(ShapeError::new(
                ShapeErrorKind::Rank,
                op,
                &[&self.shape],
                "needs at least one axis",
            )),
        }
    }
}

/// The logistic function, stable for large `|x|`.
pub(crate) fn sigmoid<F: Real>(x: F) -> F {
    if x >= F::ZERO {
        (F::ONE + (-x).exp()).recip()
    } else {
        let e = x.exp();
        e / (F::ONE + e)
    }
}

/// The shift that keeps `exp` from overflowing: the maximum, or 0 when that is
/// not finite (all `-inf`, or an `inf`/NaN present: the plain formula is right there).
fn shift<F: Real>(xs: &[F]) -> F {
    let m = xs.iter().fold(-F::INFINITY, |m, &x| m.max(x));
    if m.is_finite() {
        m
    } else {
        F::ZERO
    }
}

/// `ln(sum(e^x))` of a slice, shifted by the maximum (`-inf` when empty).
fn lse<F: Real>(xs: &[F]) -> F {
    let m = shift(xs);
    let s: F = xs.iter().map(|&x| (x - m).exp()).sum();
    m + s.ln()
}
