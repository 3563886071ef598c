//! [`Tensor`]: a dense, contiguous, row-major array of `f32` or `f64`, with
//! elementwise math, reductions, activations and linear algebra, and the
//! derivative rule of every operation in one table ([`rules`]).
//!
//! Shapes are `Vec<usize>`; rank 0 is a scalar. Operations between two tensors
//! require one shape, except that a scalar (a plain `F` or a rank-0 tensor)
//! broadcasts against anything; nothing else is ever broadcast. A shape
//! mismatch panics with a message naming the operation and both shapes; the
//! `try_` forms return the same message as a [`ShapeError`].
//!
//! ```
//! use autodiff_runtime::Tensor;
//! let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
//! let b = Tensor::eye(2);
//! let c = &a.matmul(&b) * 2.0 + &a;
//! assert_eq!(c.to_vec(), vec![3.0, 6.0, 9.0, 12.0]);
//! assert_eq!(c[[1, 0]], 9.0);
//! assert_eq!(c.sum(), 30.0);
//! ```

pub mod ad;
mod error;
mod gemm;
#[cfg(any(feature = "ndarray", feature = "nalgebra"))]
mod interop;
mod linalg;
mod math;
mod ops;
pub mod rules;

pub use error::{LinalgError, ShapeError, ShapeErrorKind};
pub use rules::ScalarRules;

use crate::{Accumulate, Differentiable, Real};
use core::fmt;
use core::ops::{Index, IndexMut};
use error::fail;

/// A dense, contiguous, row-major tensor of `F` (`f32` or `f64`).
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from_vec(vec![1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
/// assert_eq!(t.shape(), &[2, 3]);
/// assert_eq!(t[[1, 2]], 6.0);
/// assert_eq!(t.transpose().shape(), &[3, 2]);
/// ```
#[derive(Clone, PartialEq)]
pub struct Tensor<F> {
    data: Vec<F>,
    shape: Vec<usize>,
}

/// The number of elements of a tensor of `shape` (1 for rank 0).
fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl<F: Real> Tensor<F> {
    // ----- constructors -------------------------------------------------

    /// A tensor of `shape` filled with `value`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::full(&[2], 7.0).to_vec(), vec![7.0, 7.0]);
    /// ```
    pub fn full(shape: &[usize], value: F) -> Self {
        Tensor {
            data: vec![value; numel(shape)],
            shape: shape.to_vec(),
        }
    }

    /// A tensor of `shape` filled with zeros.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let z = Tensor::<f64>::zeros(&[2, 3]);
    /// assert_eq!((z.shape(), z.sum()), (&[2, 3][..], 0.0));
    /// ```
    pub fn zeros(shape: &[usize]) -> Self {
        Self::full(shape, F::ZERO)
    }

    /// A tensor of `shape` filled with ones.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f32>::ones(&[3]).sum(), 3.0);
    /// ```
    pub fn ones(shape: &[usize]) -> Self {
        Self::full(shape, F::ONE)
    }

    /// A rank-0 tensor holding `value`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let s = Tensor::scalar(2.5);
    /// assert_eq!((s.ndim(), s.item()), (0, 2.5));
    /// ```
    pub fn scalar(value: F) -> Self {
        Tensor {
            data: vec![value],
            shape: Vec::new(),
        }
    }

    /// The `n` x `n` identity matrix.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn eye(n: usize) -> Self {
        let mut t = Self::zeros(&[n, n]);
        for i in 0..n {
            t.data[i * n + i] = F::ONE;
        }
        t
    }

    /// `data` (row-major) viewed with `shape`, without copying.
    ///
    /// Panics if the lengths differ: `from_vec: 5 elements do not fill shape [2, 3] (6 elements)`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t[[0, 2]], 3.0);
    /// ```
    #[track_caller]
    pub fn from_vec(data: Vec<F>, shape: &[usize]) -> Self {
        Self::try_from_vec(data, shape).unwrap_or_else(fail)
    }

    /// [`from_vec`](Self::from_vec), returning an error when the lengths differ.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let e = Tensor::try_from_vec(vec![1.0; 5], &[2, 3]).unwrap_err();
    /// assert_eq!(e.to_string(), "from_vec: shape [2, 3]: 5 elements do not fill it (6 needed)");
    /// ```
    pub fn try_from_vec(data: Vec<F>, shape: &[usize]) -> Result<Self, ShapeError> {
        let n = numel(shape);
        if data.len() != n {
            return Err(ShapeError::new(
                ShapeErrorKind::Size,
                "from_vec",
                &[shape],
                format!("{} elements do not fill it ({n} needed)", data.len()),
            ));
        }
        Ok(Tensor {
            data,
            shape: shape.to_vec(),
        })
    }

    /// A tensor of `shape` whose element at flat (row-major) index `i` is `f(i)`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_fn(&[2, 2], |i| i as f64);
    /// assert_eq!(t[[1, 0]], 2.0);
    /// ```
    pub fn from_fn(shape: &[usize], f: impl FnMut(usize) -> F) -> Self {
        Tensor {
            data: (0..numel(shape)).map(f).collect(),
            shape: shape.to_vec(),
        }
    }

    /// `n` evenly spaced values from `start` to `end`, both included (numpy's
    /// `linspace`); `n = 1` gives `[start]`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    /// ```
    pub fn linspace(start: F, end: F, n: usize) -> Self {
        let step = if n > 1 {
            (end - start) / F::from_usize(n - 1)
        } else {
            F::ZERO
        };
        let mut t = Self::from_fn(&[n], |i| start + F::from_usize(i) * step);
        if n > 1 {
            t.data[n - 1] = end;
        }
        t
    }

    /// Values `start, start + step, ...` strictly before `end` (numpy's `arange`).
    ///
    /// Panics if `step` is zero or not finite.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::arange(0.0, 1.0, 0.25).to_vec(), vec![0.0, 0.25, 0.5, 0.75]);
    /// assert_eq!(Tensor::arange(3.0, 0.0, -1.0).to_vec(), vec![3.0, 2.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn arange(start: F, end: F, step: F) -> Self {
        if step == F::ZERO || !step.is_finite() {
            panic!("arange: step must be finite and non-zero, got {step}");
        }
        let span = ((end - start) / step).ceil();
        let n = if span > F::ZERO {
            span.to_f64() as usize
        } else {
            0
        };
        Self::from_fn(&[n], |i| start + F::from_usize(i) * step)
    }

    // ----- accessors ----------------------------------------------------

    /// The shape.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::zeros(&[4, 1]).shape(), &[4, 1]);
    /// ```
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The rank (number of axes); 0 for a scalar.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::zeros(&[4, 1]).ndim(), 2);
    /// ```
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::zeros(&[4, 3]).len(), 12);
    /// ```
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// `true` when the tensor has no elements.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert!(Tensor::<f64>::zeros(&[0, 3]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The elements in row-major order.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::eye(2).as_slice(), &[1.0, 0.0, 0.0, 1.0]);
    /// ```
    pub fn as_slice(&self) -> &[F] {
        &self.data
    }

    /// The elements in row-major order, writable.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let mut t = Tensor::zeros(&[2]);
    /// t.as_mut_slice()[1] = 5.0;
    /// assert_eq!(t.to_vec(), vec![0.0, 5.0]);
    /// ```
    pub fn as_mut_slice(&mut self) -> &mut [F] {
        &mut self.data
    }

    /// A copy of the elements in row-major order.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::ones(&[2]).to_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn to_vec(&self) -> Vec<F> {
        self.data.clone()
    }

    /// The elements in row-major order, without copying.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::ones(&[2]).into_vec(), vec![1.0, 1.0]);
    /// ```
    pub fn into_vec(self) -> Vec<F> {
        self.data
    }

    /// The element at multi-index `index`, or `None` if the index has the wrong
    /// length or lies outside the shape.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.get(&[1, 1]), Some(5.0));
    /// assert_eq!(t.get(&[2, 0]), None);
    /// ```
    pub fn get(&self, index: &[usize]) -> Option<F> {
        self.offset(index).map(|o| self.data[o])
    }

    /// A mutable reference to the element at multi-index `index`, if it exists.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let mut t = Tensor::zeros(&[2, 2]);
    /// *t.get_mut(&[0, 1]).unwrap() = 3.0;
    /// assert_eq!(t[[0, 1]], 3.0);
    /// ```
    pub fn get_mut(&mut self, index: &[usize]) -> Option<&mut F> {
        self.offset(index).map(|o| &mut self.data[o])
    }

    /// The flat offset of a multi-index, if it lies inside the shape.
    fn offset(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() {
            return None;
        }
        let mut o = 0;
        for (&i, &n) in index.iter().zip(&self.shape) {
            if i >= n {
                return None;
            }
            o = o * n + i;
        }
        Some(o)
    }

    /// The only element of a one-element tensor (rank 0, or any shape of size 1).
    ///
    /// Panics otherwise: `item: shape [2]: needs exactly one element`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::scalar(4.0).item(), 4.0);
    /// assert_eq!(Tensor::full(&[1, 1], 2.0).item(), 2.0);
    /// ```
    #[track_caller]
    pub fn item(&self) -> F {
        if self.data.len() != 1 {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::Size,
                "item",
                &[&self.shape],
                "needs exactly one element",
            ));
        }
        self.data[0]
    }

    /// A zero tensor of this shape.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// assert_eq!(Tensor::<f64>::ones(&[3]).zeros_like(), Tensor::zeros(&[3]));
    /// ```
    pub fn zeros_like(&self) -> Self {
        Self::zeros(&self.shape)
    }

    // ----- elementwise building blocks ----------------------------------

    /// `f` applied to every element.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0], &[2]).map(|x| x * 10.0);
    /// assert_eq!(t.to_vec(), vec![10.0, 20.0]);
    /// ```
    pub fn map(&self, f: impl Fn(F) -> F) -> Self {
        Tensor {
            data: self.data.iter().map(|&x| f(x)).collect(),
            shape: self.shape.clone(),
        }
    }

    /// `f` applied to every element, in place, consuming `self`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0], &[2]).into_map(|x| -x);
    /// assert_eq!(t.to_vec(), vec![-1.0, -2.0]);
    /// ```
    pub fn into_map(mut self, f: impl Fn(F) -> F) -> Self {
        for x in &mut self.data {
            *x = f(*x);
        }
        self
    }

    /// `f` applied elementwise to `self` and `other`, which must have one shape
    /// unless one is a scalar (rank 0), which broadcasts. Panics naming `op`
    /// otherwise.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0], &[2]);
    /// let b = Tensor::from_vec(vec![3.0, 5.0], &[2]);
    /// assert_eq!(a.zip_map(&b, "max", f64::max).to_vec(), vec![3.0, 5.0]);
    /// assert_eq!(a.zip_map(&Tensor::scalar(1.5), "max", f64::max).to_vec(), vec![1.5, 2.0]);
    /// ```
    #[track_caller]
    pub fn zip_map(&self, other: &Self, op: &'static str, f: impl Fn(F, F) -> F) -> Self {
        self.try_zip_map(other, op, f).unwrap_or_else(fail)
    }

    /// [`zip_map`](Self::zip_map), returning a [`ShapeError`] on a mismatch.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::<f64>::zeros(&[2]);
    /// let e = a.try_zip_map(&Tensor::zeros(&[3]), "hypot", f64::hypot).unwrap_err();
    /// assert_eq!(e.to_string(), "hypot: shapes [2] and [3] differ");
    /// ```
    pub fn try_zip_map(
        &self,
        other: &Self,
        op: &'static str,
        f: impl Fn(F, F) -> F,
    ) -> Result<Self, ShapeError> {
        let shape = broadcast_shape(op, &self.shape, &other.shape)?;
        let data = match (self.shape.is_empty(), other.shape.is_empty()) {
            (false, true) => {
                let b = other.data[0];
                self.data.iter().map(|&a| f(a, b)).collect()
            }
            (true, false) => {
                let a = self.data[0];
                other.data.iter().map(|&b| f(a, b)).collect()
            }
            _ => self
                .data
                .iter()
                .zip(&other.data)
                .map(|(&a, &b)| f(a, b))
                .collect(),
        };
        Ok(Tensor {
            data,
            shape: shape.to_vec(),
        })
    }

    /// `self[i] = f(self[i], other[i])` in place (`other` may be a scalar).
    #[track_caller]
    pub(crate) fn zip_assign(&mut self, other: &Self, op: &'static str, f: impl Fn(F, F) -> F) {
        if self.shape == other.shape {
            for (a, &b) in self.data.iter_mut().zip(&other.data) {
                *a = f(*a, b);
            }
        } else if other.shape.is_empty() {
            let b = other.data[0];
            for a in &mut self.data {
                *a = f(*a, b);
            }
        } else {
            *self = self.zip_map(other, op, f);
        }
    }

    // ----- shape operations ---------------------------------------------

    /// The same elements with a new shape of the same size (a copy; see
    /// [`into_shape`](Self::into_shape) for the move).
    ///
    /// Panics if the sizes differ: `reshape: shapes [2, 3], [4]: sizes 6 and 4 differ`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(t[[1, 0]], 3.0);
    /// ```
    #[track_caller]
    pub fn reshape(&self, shape: &[usize]) -> Self {
        self.clone().into_shape(shape)
    }

    /// [`reshape`](Self::reshape), moving the data instead of copying it.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::<f64>::zeros(&[6]).into_shape(&[3, 2]);
    /// assert_eq!(t.shape(), &[3, 2]);
    /// ```
    #[track_caller]
    pub fn into_shape(self, shape: &[usize]) -> Self {
        self.try_into_shape(shape).unwrap_or_else(fail)
    }

    /// [`into_shape`](Self::into_shape), returning an error when the sizes differ.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let e = Tensor::<f64>::zeros(&[2, 3]).try_into_shape(&[4]).unwrap_err();
    /// assert_eq!(e.to_string(), "reshape: shapes [2, 3], [4]: sizes 6 and 4 differ");
    /// ```
    pub fn try_into_shape(mut self, shape: &[usize]) -> Result<Self, ShapeError> {
        let n = numel(shape);
        if n != self.data.len() {
            return Err(ShapeError::new(
                ShapeErrorKind::Size,
                "reshape",
                &[&self.shape, shape],
                format!("sizes {} and {n} differ", self.data.len()),
            ));
        }
        self.shape = shape.to_vec();
        Ok(self)
    }

    /// The transpose of a matrix (2-D only; panics otherwise).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(t.transpose().to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn transpose(&self) -> Self {
        let (m, n) = self.matrix_dims("transpose");
        let mut data = Vec::with_capacity(m * n);
        for j in 0..n {
            data.extend((0..m).map(|i| self.data[i * n + j]));
        }
        Tensor {
            data,
            shape: vec![n, m],
        }
    }

    /// `len` consecutive slices along axis 0 starting at `start`: shape
    /// `[len, rest...]`. Panics if the range leaves the tensor or it is a scalar.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[3, 2]);
    /// assert_eq!(t.narrow(1, 2).to_vec(), vec![2.0, 3.0, 4.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn narrow(&self, start: usize, len: usize) -> Self {
        let stride = self.axis0_stride("narrow");
        if start.checked_add(len).is_none_or(|end| end > self.shape[0]) {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                "narrow",
                &[&self.shape],
                format!("rows {start}..{} do not fit", start.saturating_add(len)),
            ));
        }
        let mut shape = self.shape.clone();
        shape[0] = len;
        Tensor {
            data: self.data[start * stride..(start + len) * stride].to_vec(),
            shape,
        }
    }

    /// Slice `i` along axis 0: row `i` of a matrix, element `i` (rank 0) of a
    /// vector. Panics if `i` is out of range.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::<f64>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(t.row(1).to_vec(), vec![3.0, 4.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn row(&self, i: usize) -> Self {
        let stride = self.axis0_stride("row");
        if i >= self.shape[0] {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                "row",
                &[&self.shape],
                format!("index {i} is out of range"),
            ));
        }
        Tensor {
            data: self.data[i * stride..(i + 1) * stride].to_vec(),
            shape: self.shape[1..].to_vec(),
        }
    }

    /// The number of elements of one slice along axis 0; panics on a scalar.
    #[track_caller]
    fn axis0_stride(&self, op: &'static str) -> usize {
        if self.shape.is_empty() {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::Rank,
                op,
                &[&self.shape],
                "needs at least one axis",
            ));
        }
        numel(&self.shape[1..])
    }

    /// `(rows, cols)` of a matrix; panics naming `op` if the rank is not 2.
    #[track_caller]
    pub(crate) fn matrix_dims(&self, op: &'static str) -> (usize, usize) {
        match self.shape[..] {
            [m, n] => (m, n),
            _ => fail(ShapeError::new(
                ShapeErrorKind::Rank,
                op,
                &[&self.shape],
                "needs a 2-D tensor",
            )),
        }
    }
}

/// The shape of an elementwise result: the common shape, or the other operand's
/// shape when one is a scalar.
pub(crate) fn broadcast_shape<'a>(
    op: &'static str,
    a: &'a [usize],
    b: &'a [usize],
) -> Result<&'a [usize], ShapeError> {
    if a == b || b.is_empty() {
        Ok(a)
    } else if a.is_empty() {
        Ok(b)
    } else {
        Err(ShapeError::mismatch(op, a, b))
    }
}

// ----- indexing -------------------------------------------------------------

/// Flat (row-major) indexing.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(t[3], 4.0);
/// ```
impl<F: Real> Index<usize> for Tensor<F> {
    type Output = F;
    #[track_caller]
    fn index(&self, i: usize) -> &F {
        match self.data.get(i) {
            Some(x) => x,
            None => fail(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                "index",
                &[&self.shape],
                format!("flat index {i} is out of range"),
            )),
        }
    }
}

/// Flat (row-major) indexing, writable.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let mut t = Tensor::zeros(&[2, 2]);
/// t[3] = 1.0;
/// assert_eq!(t[[1, 1]], 1.0);
/// ```
impl<F: Real> IndexMut<usize> for Tensor<F> {
    #[track_caller]
    fn index_mut(&mut self, i: usize) -> &mut F {
        if i >= self.data.len() {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                "index",
                &[&self.shape],
                format!("flat index {i} is out of range"),
            ));
        }
        &mut self.data[i]
    }
}

/// Matrix indexing `t[[i, j]]` (2-D tensors only).
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(t[[1, 0]], 3.0);
/// ```
impl<F: Real> Index<[usize; 2]> for Tensor<F> {
    type Output = F;
    #[track_caller]
    fn index(&self, [i, j]: [usize; 2]) -> &F {
        let o = self.matrix_offset(i, j);
        &self.data[o]
    }
}

/// Matrix indexing `t[[i, j]]`, writable.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let mut t = Tensor::zeros(&[2, 2]);
/// t[[0, 1]] = 2.0;
/// assert_eq!(t.to_vec(), vec![0.0, 2.0, 0.0, 0.0]);
/// ```
impl<F: Real> IndexMut<[usize; 2]> for Tensor<F> {
    #[track_caller]
    fn index_mut(&mut self, [i, j]: [usize; 2]) -> &mut F {
        let o = self.matrix_offset(i, j);
        &mut self.data[o]
    }
}

impl<F: Real> Tensor<F> {
    #[track_caller]
    fn matrix_offset(&self, i: usize, j: usize) -> usize {
        let (m, n) = self.matrix_dims("index");
        if i >= m || j >= n {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::OutOfBounds,
                "index",
                &[&self.shape],
                format!("[{i}, {j}] is out of range"),
            ));
        }
        i * n + j
    }
}

// ----- conversions and formatting ------------------------------------------

/// A vector becomes a 1-D tensor, without copying.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from(vec![1.0, 2.0]);
/// assert_eq!(t.shape(), &[2]);
/// ```
impl<F: Real> From<Vec<F>> for Tensor<F> {
    fn from(data: Vec<F>) -> Self {
        let n = data.len();
        Tensor {
            data,
            shape: vec![n],
        }
    }
}

/// Debug output names the shape and lists the data.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0], &[2]);
/// assert_eq!(format!("{t:?}"), "Tensor { shape: [2], data: [1.0, 2.0] }");
/// ```
impl<F: fmt::Debug> fmt::Debug for Tensor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tensor")
            .field("shape", &self.shape)
            .field("data", &self.data)
            .finish()
    }
}

/// Nested brackets, row-major, as numpy prints.
///
/// ```
/// use autodiff_runtime::Tensor;
/// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
/// assert_eq!(t.to_string(), "[[1, 2], [3, 4]]");
/// assert_eq!(Tensor::scalar(1.5).to_string(), "1.5");
/// ```
impl<F: fmt::Display> fmt::Display for Tensor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn rec<F: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            data: &[F],
            shape: &[usize],
        ) -> fmt::Result {
            let Some((&n, rest)) = shape.split_first() else {
                return write!(f, "{}", data[0]);
            };
            let stride = numel(rest);
            write!(f, "[")?;
            for i in 0..n {
                if i > 0 {
                    write!(f, ", ")?;
                }
                rec(f, &data[i * stride..(i + 1) * stride], rest)?;
            }
            write!(f, "]")
        }
        rec(f, &self.data, &self.shape)
    }
}

// ----- derivative types ------------------------------------------------------

/// The adjoint (and tangent) of a tensor is a tensor of its shape.
///
/// ```
/// use autodiff_runtime::{zero_like, Tensor};
/// let x = Tensor::<f64>::ones(&[2, 3]);
/// assert_eq!(zero_like(&x), Tensor::zeros(&[2, 3]));
/// ```
#[diagnostic::do_not_recommend]
impl<F: Real> Differentiable for Tensor<F> {
    type Adjoint = Tensor<F>;
    fn zero_adjoint(&self) -> Tensor<F> {
        self.zeros_like()
    }
}

/// Adjoints add elementwise; the shapes must agree (panics naming both).
///
/// ```
/// use autodiff_runtime::{accumulate, Tensor};
/// let mut g = Tensor::<f64>::ones(&[2]);
/// accumulate(&mut g, Tensor::from_vec(vec![1.0, 2.0], &[2]));
/// assert_eq!(g.to_vec(), vec![2.0, 3.0]);
/// ```
impl<F: Real> Accumulate for Tensor<F> {
    #[track_caller]
    fn accumulate(&mut self, other: Tensor<F>) {
        if self.shape != other.shape {
            panic!(
                "accumulate: adjoint of shape {:?} cannot take a contribution of shape {:?}",
                self.shape, other.shape
            );
        }
        for (a, b) in self.data.iter_mut().zip(other.data) {
            *a += b;
        }
    }
}
