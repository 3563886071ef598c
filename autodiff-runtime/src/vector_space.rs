//! [`VectorSpace`]: the arithmetic an optimiser needs on parameters and their
//! gradients, implemented for floats, arrays, `Vec`, [`Tensor`] and tuples;
//! `#[derive(Differentiable)]` implements it for structs.

use crate::{Accumulate, Differentiable, Real, Tensor};

/// Vector-space arithmetic on parameters and gradients, in place, so that an
/// optimiser step is one line: `params.axpy(-lr, &grad)`.
///
/// Shapes (lengths of vectors, shapes of tensors) of the two operands of
/// [`axpy`](Self::axpy) and [`dot`](Self::dot) must agree; a mismatch panics
/// naming the operation and both shapes. The inactive parts of a derived
/// struct (integers, flags, fields marked `#[differentiable(skip)]`) are left
/// alone by every method and ignored by `dot`.
///
/// ```
/// use autodiff_runtime::{Tensor, VectorSpace};
/// let mut w = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// let g = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0], &[2, 2]);
/// w.axpy(-0.5, &g); // one step of gradient descent, learning rate 0.5
/// assert_eq!(w.to_vec(), vec![0.5, 2.0, 3.0, 3.5]);
/// w.scale(2.0);
/// assert_eq!(w.to_vec(), vec![1.0, 4.0, 6.0, 7.0]);
/// assert_eq!(VectorSpace::dot(&g, &g), 2.0);
/// w.set_zero();
/// assert_eq!(w, Tensor::zeros(&[2, 2]));
/// ```
///
/// # Coefficients and precision
///
/// A coefficient (`a` in [`scale`](Self::scale) and [`axpy`](Self::axpy)) may
/// be an `f32`, an `f64` or a generic `F: Real`, whatever the element type:
/// `params.axpy(-lr, &grad)` compiles for an `f32` model with an `f32` or an
/// `f64` learning rate, and an untyped literal (`-0.1`) is an `f64`. The
/// coefficient is converted once to the element type (exactly, unless an
/// `f64` goes into `f32` data: then rounded to nearest) and the arithmetic is
/// done in the element type, so an `f32` model costs `f32` arithmetic, as if
/// the update had been written out by hand.
///
/// [`dot`](Self::dot) and [`norm`](Self::norm) return `f64` for every element
/// type, accumulated in `f64`: for `f32` data each product is exact in `f64`
/// (two 24-bit significands fit in 53 bits) and only the sum rounds. A struct
/// mixing `f32` and `f64` fields therefore has one well-defined inner product.
///
/// ```
/// use autodiff_runtime::VectorSpace;
/// let mut w = vec![1.0_f32, 2.0];
/// let g = vec![0.5_f32, -1.0];
/// let lr = 0.5_f32;
/// w.axpy(-lr, &g); // f32 coefficient, f32 arithmetic
/// assert_eq!(w, vec![0.75, 2.5]);
/// w.axpy(1.0, &g); // an f64 literal works as well
/// assert_eq!(w, vec![1.25, 1.5]);
/// let d: f64 = g.dot(&g);
/// assert_eq!(d, 1.25);
/// ```
pub trait VectorSpace {
    /// `self *= a`.
    ///
    /// ```
    /// use autodiff_runtime::VectorSpace;
    /// let mut v = [1.0_f64, -2.0];
    /// v.scale(3.0);
    /// assert_eq!(v, [3.0, -6.0]);
    /// ```
    fn scale<A: Real>(&mut self, a: A);

    /// `self += a * x` ("a x plus y"), the update of gradient descent.
    ///
    /// ```
    /// use autodiff_runtime::VectorSpace;
    /// let mut y = vec![1.0_f64, 1.0];
    /// y.axpy(2.0, &vec![0.5, -1.0]);
    /// assert_eq!(y, vec![2.0, -1.0]);
    /// ```
    fn axpy<A: Real>(&mut self, a: A, x: &Self);

    /// The inner product `sum of self_i * other_i`, accumulated in `f64`.
    ///
    /// ```
    /// use autodiff_runtime::VectorSpace;
    /// assert_eq!([1.0_f32, 2.0].dot(&[3.0, 4.0]), 11.0_f64);
    /// ```
    fn dot(&self, other: &Self) -> f64;

    /// The Euclidean norm, `sqrt(self.dot(self))`.
    ///
    /// ```
    /// use autodiff_runtime::VectorSpace;
    /// assert_eq!(vec![3.0_f64, 4.0].norm(), 5.0);
    /// ```
    fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// Sets every component to zero, keeping the shape.
    ///
    /// ```
    /// use autodiff_runtime::VectorSpace;
    /// let mut v = vec![1.0_f64, 2.0];
    /// v.set_zero();
    /// assert_eq!(v, vec![0.0, 0.0]);
    /// ```
    fn set_zero(&mut self);
}

/// A coefficient converted to the element type `F` (exact unless an `f64`
/// goes to `f32`).
#[inline(always)]
fn coef<A: Real, F: Real>(a: A) -> F {
    F::from_f64(a.to_f64())
}

macro_rules! real_impls {
    ($($t:ty),*) => {$(
        impl VectorSpace for $t {
            #[inline(always)]
            fn scale<A: Real>(&mut self, a: A) {
                *self *= coef::<A, $t>(a);
            }
            #[inline(always)]
            fn axpy<A: Real>(&mut self, a: A, x: &Self) {
                *self += coef::<A, $t>(a) * *x;
            }
            #[inline(always)]
            fn dot(&self, other: &Self) -> f64 {
                f64::from(*self) * f64::from(*other)
            }
            #[inline(always)]
            fn set_zero(&mut self) {
                *self = 0.0;
            }
        }
    )*};
}
real_impls!(f32, f64);

/// Panics unless the two lengths agree (`axpy: lengths 3 and 2 differ`).
#[inline]
#[track_caller]
fn same_len(op: &str, a: usize, b: usize) {
    if a != b {
        panic!("{op}: lengths {a} and {b} differ");
    }
}

/// Element by element.
impl<T: VectorSpace, const N: usize> VectorSpace for [T; N] {
    #[inline]
    fn scale<A: Real>(&mut self, a: A) {
        self.iter_mut().for_each(|v| v.scale(a));
    }
    #[inline]
    fn axpy<A: Real>(&mut self, a: A, x: &Self) {
        self.iter_mut().zip(x).for_each(|(y, x)| y.axpy(a, x));
    }
    #[inline]
    fn dot(&self, other: &Self) -> f64 {
        self.iter().zip(other).map(|(x, y)| x.dot(y)).sum()
    }
    #[inline]
    fn set_zero(&mut self) {
        self.iter_mut().for_each(VectorSpace::set_zero);
    }
}

/// Element by element; the lengths of both operands must agree.
///
/// ```should_panic
/// use autodiff_runtime::VectorSpace;
/// let mut y = vec![1.0_f64, 2.0, 3.0];
/// y.axpy(1.0, &vec![1.0, 2.0]); // panics: "axpy: lengths 3 and 2 differ"
/// ```
impl<T: VectorSpace> VectorSpace for Vec<T> {
    #[inline]
    fn scale<A: Real>(&mut self, a: A) {
        self.iter_mut().for_each(|v| v.scale(a));
    }
    #[inline]
    #[track_caller]
    fn axpy<A: Real>(&mut self, a: A, x: &Self) {
        same_len("axpy", self.len(), x.len());
        self.iter_mut().zip(x).for_each(|(y, x)| y.axpy(a, x));
    }
    #[inline]
    #[track_caller]
    fn dot(&self, other: &Self) -> f64 {
        same_len("dot", self.len(), other.len());
        self.iter().zip(other).map(|(x, y)| x.dot(y)).sum()
    }
    #[inline]
    fn set_zero(&mut self) {
        self.iter_mut().for_each(VectorSpace::set_zero);
    }
}

/// Panics unless the two shapes agree (`axpy: shapes [2, 3] and [3, 2] differ`).
#[inline]
#[track_caller]
fn same_shape(op: &str, a: &[usize], b: &[usize]) {
    if a != b {
        panic!("{op}: shapes {a:?} and {b:?} differ");
    }
}

/// Elementwise over the data; the shapes must agree exactly (a tensor's
/// [`VectorSpace`] never broadcasts, not even a scalar).
///
/// In method syntax `t.dot(&u)` and `t.norm()` are the tensor's own
/// [`Tensor::dot`] and [`Tensor::norm`], which return `F`; the trait's
/// versions (`VectorSpace::dot(&t, &u)`) return `f64`, accumulated in `f64`.
///
/// ```should_panic
/// use autodiff_runtime::{Tensor, VectorSpace};
/// let mut w = Tensor::<f64>::zeros(&[2, 3]);
/// w.axpy(1.0, &Tensor::zeros(&[3, 2])); // panics: "axpy: shapes [2, 3] and [3, 2] differ"
/// ```
impl<F: Real> VectorSpace for Tensor<F> {
    #[inline]
    fn scale<A: Real>(&mut self, a: A) {
        let a: F = coef(a);
        self.as_mut_slice().iter_mut().for_each(|v| *v *= a);
    }
    #[track_caller]
    fn axpy<A: Real>(&mut self, a: A, x: &Self) {
        same_shape("axpy", self.shape(), x.shape());
        let a: F = coef(a);
        for (y, x) in self.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *y += a * *x;
        }
    }
    #[track_caller]
    fn dot(&self, other: &Self) -> f64 {
        same_shape("dot", self.shape(), other.shape());
        self.as_slice()
            .iter()
            .zip(other.as_slice())
            .map(|(x, y)| x.to_f64() * y.to_f64())
            .sum()
    }
    #[inline]
    fn set_zero(&mut self) {
        self.as_mut_slice().iter_mut().for_each(|v| *v = F::ZERO);
    }
}

macro_rules! tuple_impls {
    ($(($($n:tt $t:ident),+))*) => {$(
        /// Component by component.
        impl<$($t: VectorSpace),+> VectorSpace for ($($t,)+) {
            #[inline]
            fn scale<K: Real>(&mut self, a: K) { $(self.$n.scale(a);)+ }
            #[inline]
            #[track_caller]
            fn axpy<K: Real>(&mut self, a: K, x: &Self) { $(self.$n.axpy(a, &x.$n);)+ }
            #[inline]
            #[track_caller]
            fn dot(&self, other: &Self) -> f64 { 0.0 $(+ self.$n.dot(&other.$n))+ }
            #[inline]
            fn set_zero(&mut self) { $(self.$n.set_zero();)+ }
        }
    )*};
}
tuple_impls! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G, 6 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G, 6 H, 7 I)
}

/// A type that can be a gradient-carrying field of a
/// `#[derive(Differentiable)]` struct: it is its own adjoint, adjoints of it
/// add up ([`Accumulate`]), and it has [`VectorSpace`] arithmetic.
///
/// Implemented for `f32`, `f64`, `[F; N]`, `Vec<F>`, [`Tensor<F>`] and tuples
/// of these, and by `#[derive(Differentiable)]` for the struct it derives, so
/// derived structs nest. A type of your own that meets the supertraits by hand
/// becomes a possible field with an empty `impl GradientField for MyType {}`.
///
/// ```
/// use autodiff_runtime::{GradientField, Tensor};
/// fn field<T: GradientField>() {}
/// field::<f32>();
/// field::<[f64; 3]>();
/// field::<(Vec<f64>, Tensor<f32>)>();
/// ```
#[diagnostic::on_unimplemented(
    message = "field type `{Self}` cannot hold a gradient in a `#[derive(Differentiable)]` struct",
    label = "not a differentiable field type",
    note = "a field carrying a gradient must be its own adjoint, with `Accumulate` and `VectorSpace`: f32, f64, `[F; N]`, `Vec<F>`, `Tensor<F>`, tuples of these, or another `#[derive(Differentiable)]` struct",
    note = "mark the field `#[differentiable(skip)]` to copy it into the adjoint unchanged (it then carries no gradient)"
)]
pub trait GradientField: Differentiable<Adjoint = Self> + Accumulate + VectorSpace + Sized {}

impl GradientField for f32 {}
impl GradientField for f64 {}
impl<F: Real, const N: usize> GradientField for [F; N] {}
impl<F: Real> GradientField for Vec<F> {}
impl<F: Real> GradientField for Tensor<F> {}

macro_rules! tuple_fields {
    ($(($($t:ident),+))*) => {$(
        impl<$($t: GradientField),+> GradientField for ($($t,)+) {}
    )*};
}
tuple_fields! {
    (A)
    (A, B)
    (A, B, C)
    (A, B, C, D)
    (A, B, C, D, E)
    (A, B, C, D, E, G)
    (A, B, C, D, E, G, H)
    (A, B, C, D, E, G, H, I)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_coefficients_are_exact_and_f64_ones_round_once() {
        let mut x = 1.0_f32;
        x.axpy(0.1_f32, &1.0);
        assert_eq!(x, 1.0 + 0.1_f32);
        let mut y = 1.0_f32;
        y.axpy(0.1_f64, &1.0);
        assert_eq!(y, 1.0 + 0.1_f64 as f32);
        let mut z = 3.0_f64;
        z.scale(0.1_f32);
        assert_eq!(z, 3.0 * f64::from(0.1_f32));
    }

    #[test]
    fn f32_dot_products_are_exact_in_f64() {
        // (1 + 2^-20)^2 = 1 + 2^-19 + 2^-40 is exact in f64, not in f32.
        let a = 1.0 + 2.0_f32.powi(-20);
        assert_eq!(a.dot(&a), 1.0 + 2.0_f64.powi(-19) + 2.0_f64.powi(-40));
        let t = Tensor::from_vec(vec![a, a], &[2]);
        assert_eq!(
            VectorSpace::dot(&t, &t),
            2.0 * (1.0 + 2.0_f64.powi(-19) + 2.0_f64.powi(-40))
        );
    }

    #[test]
    fn nested_containers_and_tuples() {
        let mut p = (vec![[1.0_f64, 2.0]; 2], 3.0_f32);
        let g = (vec![[1.0, 1.0], [0.0, 2.0]], 4.0_f32);
        p.axpy(-0.5, &g);
        assert_eq!(p, (vec![[0.5, 1.5], [1.0, 1.0]], 1.0));
        assert_eq!(g.dot(&g), 1.0 + 1.0 + 4.0 + 16.0);
        assert_eq!(g.norm(), 22.0_f64.sqrt());
        p.scale(2.0);
        assert_eq!(p, (vec![[1.0, 3.0], [2.0, 2.0]], 2.0));
        p.set_zero();
        assert_eq!(p, (vec![[0.0, 0.0]; 2], 0.0));
    }

    #[test]
    #[should_panic(expected = "dot: lengths 2 and 1 differ")]
    fn vec_dot_checks_lengths() {
        let _ = vec![1.0_f64, 2.0].dot(&vec![1.0]);
    }

    #[test]
    #[should_panic(expected = "dot: shapes [2, 1] and [2] differ")]
    fn tensor_dot_checks_shapes() {
        let _ = VectorSpace::dot(&Tensor::<f32>::zeros(&[2, 1]), &Tensor::zeros(&[2]));
    }
}
