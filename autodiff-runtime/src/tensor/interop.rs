//! Conversions to and from `ndarray` (feature `ndarray`) and `nalgebra`
//! (feature `nalgebra`), without copying wherever the memory layouts agree.
//!
//! | conversion | copies? |
//! |---|---|
//! | `Tensor` -> `ndarray::ArrayD` | no (the buffer moves) |
//! | `ndarray::Array` -> `Tensor` | no for a standard-layout array that owns exactly its elements; else one copy |
//! | `Tensor::as_ndarray` (a view) | no |
//! | `Tensor` (1-D) <-> `nalgebra::DVector` | no |
//! | `Tensor::as_nalgebra_transpose` (a view of the transpose) | no |
//! | `Tensor` (2-D) <-> `nalgebra::DMatrix` | yes: nalgebra is column-major, a tensor row-major |

#[cfg(feature = "ndarray")]
mod with_ndarray {
    use crate::tensor::Tensor;
    use crate::Real;
    use ndarray::{Array, ArrayD, ArrayViewD, Dimension, IxDyn};

    /// Moves a tensor's buffer into an `ndarray` array of the same shape.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let a: ndarray::ArrayD<f64> = t.into();
    /// assert_eq!(a.shape(), &[2, 3]);
    /// assert_eq!(a[[1, 0]], 4.0);
    /// ```
    impl<F: Real> From<Tensor<F>> for ArrayD<F> {
        fn from(t: Tensor<F>) -> Self {
            match ArrayD::from_shape_vec(IxDyn(&t.shape), t.data) {
                Ok(a) => a,
                Err(e) => unreachable!("a tensor's buffer always fills its shape: {e}"),
            }
        }
    }

    /// An `ndarray` array as a tensor: the buffer moves when the array is in
    /// standard (row-major, contiguous) layout and owns exactly its elements;
    /// otherwise the elements are copied in logical order.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
    /// let t = Tensor::from(a.clone());
    /// assert_eq!(t.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    /// // a transposed (column-major) array is copied in logical order
    /// let t = Tensor::from(a.reversed_axes());
    /// assert_eq!(t.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    impl<F: Real, D: Dimension> From<Array<F, D>> for Tensor<F> {
        fn from(a: Array<F, D>) -> Self {
            let shape = a.shape().to_vec();
            if a.is_standard_layout() {
                let n = a.len();
                let (data, offset) = a.into_raw_vec_and_offset();
                if data.len() == n && offset.unwrap_or(0) == 0 {
                    return Tensor { data, shape };
                }
                // a standard-layout window into a larger buffer
                let start = offset.unwrap_or(0);
                return Tensor {
                    data: data[start..start + n].to_vec(),
                    shape,
                };
            }
            Tensor {
                data: a.iter().copied().collect(),
                shape,
            }
        }
    }

    impl<F: Real> Tensor<F> {
        /// A borrowed `ndarray` view of the tensor, without copying.
        ///
        /// ```
        /// use autodiff_runtime::Tensor;
        /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
        /// let v = t.as_ndarray();
        /// assert_eq!(v.sum_axis(ndarray::Axis(0)), ndarray::arr1(&[4.0, 6.0]).into_dyn());
        /// ```
        pub fn as_ndarray(&self) -> ArrayViewD<'_, F> {
            match ArrayViewD::from_shape(IxDyn(&self.shape), &self.data) {
                Ok(v) => v,
                Err(e) => unreachable!("a tensor's buffer always fills its shape: {e}"),
            }
        }
    }
}

#[cfg(feature = "nalgebra")]
mod with_nalgebra {
    use crate::tensor::{error::fail, ShapeError, ShapeErrorKind, Tensor};
    use crate::Real;
    use nalgebra::{DMatrix, DMatrixView, DVector};

    fn rank_error(op: &'static str, shape: &[usize], want: &str) -> ShapeError {
        ShapeError::new(
            ShapeErrorKind::Rank,
            op,
            &[shape],
            format!("needs a {want} tensor"),
        )
    }

    /// A 1-D tensor as a `DVector`, moving the buffer; other ranks are an error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// use nalgebra::DVector;
    /// let v = DVector::try_from(Tensor::from_vec(vec![1.0, 2.0], &[2])).unwrap();
    /// assert_eq!(v, DVector::from_vec(vec![1.0, 2.0]));
    /// assert!(DVector::try_from(Tensor::<f64>::zeros(&[2, 2])).is_err());
    /// ```
    impl<F: Real> TryFrom<Tensor<F>> for DVector<F> {
        type Error = ShapeError;
        fn try_from(t: Tensor<F>) -> Result<Self, ShapeError> {
            if t.ndim() != 1 {
                return Err(rank_error("to_nalgebra", &t.shape, "1-D"));
            }
            Ok(DVector::from_vec(t.data))
        }
    }

    /// A `DVector` as a 1-D tensor, moving the buffer.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let t = Tensor::from(nalgebra::DVector::from_vec(vec![1.0, 2.0, 3.0]));
    /// assert_eq!(t.shape(), &[3]);
    /// ```
    impl<F: Real> From<DVector<F>> for Tensor<F> {
        fn from(v: DVector<F>) -> Self {
            let n = v.len();
            Tensor {
                data: v.data.into(),
                shape: vec![n],
            }
        }
    }

    /// A 2-D tensor as a (column-major) `DMatrix`: one copy; other ranks are
    /// an error. For a view without copying, see [`Tensor::as_nalgebra_transpose`].
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// use nalgebra::DMatrix;
    /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let m = DMatrix::try_from(&t).unwrap();
    /// assert_eq!(m[(1, 0)], 4.0);
    /// ```
    impl<F: Real> TryFrom<&Tensor<F>> for DMatrix<F> {
        type Error = ShapeError;
        fn try_from(t: &Tensor<F>) -> Result<Self, ShapeError> {
            match t.shape[..] {
                [m, n] => Ok(DMatrix::from_row_slice(m, n, &t.data)),
                _ => Err(rank_error("to_nalgebra", &t.shape, "2-D")),
            }
        }
    }

    /// A `DMatrix` as a 2-D tensor: one copy (column-major to row-major).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let m = nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!(Tensor::from(&m).to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
    /// ```
    impl<F: Real> From<&DMatrix<F>> for Tensor<F> {
        fn from(m: &DMatrix<F>) -> Self {
            let (r, c) = m.shape();
            Tensor::from_fn(&[r, c], |i| m[(i / c, i % c)])
        }
    }

    impl<F: Real> Tensor<F> {
        /// A borrowed `nalgebra` view of the TRANSPOSE of a matrix, without
        /// copying: a row-major `m x n` buffer is exactly the column-major
        /// buffer of the `n x m` transpose. Panics unless 2-D.
        ///
        /// (A view of the matrix itself would need a row stride other than 1,
        /// which nalgebra 0.33's matrix products do not handle correctly.)
        ///
        /// ```
        /// use autodiff_runtime::Tensor;
        /// let t = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        /// let at = t.as_nalgebra_transpose();
        /// assert_eq!((at.nrows(), at.ncols(), at[(2, 1)]), (3, 2, 6.0));
        /// assert_eq!((at.transpose() * at)[(0, 0)], 14.0);
        /// ```
        #[track_caller]
        pub fn as_nalgebra_transpose(&self) -> DMatrixView<'_, F> {
            let (m, n) = match self.shape[..] {
                [m, n] => (m, n),
                _ => fail(rank_error("as_nalgebra_transpose", &self.shape, "2-D")),
            };
            DMatrixView::from_slice(&self.data, n, m)
        }
    }
}
