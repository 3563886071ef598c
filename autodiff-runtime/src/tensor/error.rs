//! Errors of tensor operations: [`ShapeError`] (operands whose shapes do not
//! fit the operation) and [`LinalgError`] (a matrix the factorisation cannot
//! handle, or a shape error).
//!
//! Every panicking operation panics with the `Display` text of one of these, so
//! the `try_` form and the panic say the same thing.

use core::fmt;

/// What is wrong with the shapes in a [`ShapeError`].
///
/// ```
/// use autodiff_runtime::tensor::ShapeErrorKind;
/// use autodiff_runtime::Tensor;
/// let a = Tensor::<f64>::zeros(&[2, 3]);
/// let e = a.try_add(&Tensor::zeros(&[3, 2])).unwrap_err();
/// assert_eq!(e.kind(), ShapeErrorKind::Mismatch);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShapeErrorKind {
    /// Two operands must have one shape (or one of them be a scalar) and do not.
    Mismatch,
    /// The inner dimensions of a matrix product differ.
    Matmul,
    /// An operand has a rank the operation does not accept.
    Rank,
    /// A matrix operand must be square and is not.
    NotSquare,
    /// The number of elements does not fit the requested shape.
    Size,
    /// An axis, index or range lies outside the tensor.
    OutOfBounds,
}

/// Operands whose shapes do not fit an operation.
///
/// The message names the operation and the shapes involved:
///
/// ```
/// use autodiff_runtime::Tensor;
/// let a = Tensor::<f64>::zeros(&[2, 3]);
/// let b = Tensor::<f64>::zeros(&[3, 2]);
/// let e = a.try_mul(&b).unwrap_err();
/// assert_eq!(e.to_string(), "mul: shapes [2, 3] and [3, 2] differ");
/// assert_eq!(e.op(), "mul");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeError {
    kind: ShapeErrorKind,
    op: &'static str,
    shapes: Vec<Vec<usize>>,
    detail: String,
}

impl ShapeError {
    /// An error of `kind` in operation `op` on operands of `shapes`, with an
    /// optional `detail` appended to the message.
    ///
    /// ```
    /// use autodiff_runtime::tensor::{ShapeError, ShapeErrorKind};
    /// let e = ShapeError::new(ShapeErrorKind::Rank, "transpose", &[&[3]], "needs a 2-D tensor");
    /// assert_eq!(e.to_string(), "transpose: shape [3]: needs a 2-D tensor");
    /// ```
    pub fn new(
        kind: ShapeErrorKind,
        op: &'static str,
        shapes: &[&[usize]],
        detail: impl Into<String>,
    ) -> Self {
        ShapeError {
            kind,
            op,
            shapes: shapes.iter().map(|s| s.to_vec()).collect(),
            detail: detail.into(),
        }
    }

    /// Two operands of `op` whose shapes differ.
    ///
    /// ```
    /// use autodiff_runtime::tensor::ShapeError;
    /// let e = ShapeError::mismatch("add", &[2], &[3]);
    /// assert_eq!(e.to_string(), "add: shapes [2] and [3] differ");
    /// ```
    pub fn mismatch(op: &'static str, a: &[usize], b: &[usize]) -> Self {
        Self::new(ShapeErrorKind::Mismatch, op, &[a, b], "")
    }

    /// What went wrong.
    ///
    /// ```
    /// use autodiff_runtime::tensor::{ShapeError, ShapeErrorKind};
    /// assert_eq!(ShapeError::mismatch("add", &[2], &[3]).kind(), ShapeErrorKind::Mismatch);
    /// ```
    pub fn kind(&self) -> ShapeErrorKind {
        self.kind
    }

    /// The operation that failed.
    ///
    /// ```
    /// use autodiff_runtime::tensor::ShapeError;
    /// assert_eq!(ShapeError::mismatch("sub", &[2], &[3]).op(), "sub");
    /// ```
    pub fn op(&self) -> &'static str {
        self.op
    }

    /// The shapes of the operands involved.
    ///
    /// ```
    /// use autodiff_runtime::tensor::ShapeError;
    /// let e = ShapeError::mismatch("add", &[2], &[3]);
    /// assert_eq!(e.shapes(), &[vec![2], vec![3]]);
    /// ```
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.shapes.as_slice()) {
            (ShapeErrorKind::Mismatch, [a, b]) => {
                write!(f, "{}: shapes {a:?} and {b:?} differ", self.op)?;
            }
            (ShapeErrorKind::Matmul, [a, b]) => write!(f, "{}: {a:?} x {b:?}", self.op)?,
            (_, shapes) => {
                write!(f, "{}: shape", self.op)?;
                if shapes.len() > 1 {
                    write!(f, "s")?;
                }
                for (i, s) in shapes.iter().enumerate() {
                    let sep = if i == 0 { " " } else { ", " };
                    write!(f, "{sep}{s:?}")?;
                }
            }
        }
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for ShapeError {}

/// Why a linear-algebra operation (`solve`, `cholesky`, `logdet`) failed.
///
/// ```
/// use autodiff_runtime::tensor::LinalgError;
/// use autodiff_runtime::Tensor;
/// let singular = Tensor::from_vec(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
/// let e = singular.try_logdet().unwrap_err();
/// assert!(matches!(e, LinalgError::Singular { .. }));
/// assert_eq!(e.to_string(), "logdet: the matrix is singular (zero pivot in column 1)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinalgError {
    /// The operands' shapes do not fit.
    Shape(ShapeError),
    /// LU factorisation met an exactly zero pivot.
    Singular {
        /// The operation.
        op: &'static str,
        /// The column whose pivot was zero.
        column: usize,
    },
    /// Cholesky factorisation met a non-positive (or NaN) pivot.
    NotPositiveDefinite {
        /// The operation.
        op: &'static str,
        /// The column whose pivot was not positive.
        column: usize,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::Shape(e) => e.fmt(f),
            LinalgError::Singular { op, column } => {
                write!(
                    f,
                    "{op}: the matrix is singular (zero pivot in column {column})"
                )
            }
            LinalgError::NotPositiveDefinite { op, column } => write!(
                f,
                "{op}: the matrix is not positive definite (non-positive pivot in column {column})"
            ),
        }
    }
}

impl std::error::Error for LinalgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LinalgError::Shape(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ShapeError> for LinalgError {
    fn from(e: ShapeError) -> Self {
        LinalgError::Shape(e)
    }
}

/// Panics with the error's message, at the caller's location.
#[track_caller]
pub(crate) fn fail<T>(e: impl fmt::Display) -> T {
    panic!("{e}")
}
