//! Linear algebra: `matmul` (numpy's rules for 1-D and 2-D operands) on
//! matrixmultiply's GEMM, a transposed-operand product for derivatives,
//! `solve` (LU with partial pivoting), `cholesky` and `logdet`.
//!
//! GEMM dispatch: `f32` and `f64` tensors go to `sgemm` / `dgemm` (found by a
//! `TypeId` comparison, which the optimiser folds away); any other `Real` type
//! falls back to a plain loop. Measured on the 2-core CI machine (release,
//! `f64`, square): n = 64, a vectorisable i-k-j loop 0.068 ms vs `dgemm`
//! 0.006 ms; n = 256, 4.3 ms vs 0.41 ms; n = 512, 24 ms vs 3.9 ms (2.4 ms for
//! `A B^T` read through strides). That is the case for the `unsafe` in `gemm.rs`.

use super::{error::fail, gemm, LinalgError, ShapeError, ShapeErrorKind, Tensor};
use crate::Real;
use core::any::Any;

/// A matrix operand of a GEMM: its tensor, its dimensions as stored (row-major
/// `[rows, cols]`, whatever the tensor's rank), and whether to use its transpose.
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, F> {
    pub t: &'a Tensor<F>,
    pub dims: [usize; 2],
    pub trans: bool,
}

impl<'a, F> Operand<'a, F> {
    pub(crate) fn new(t: &'a Tensor<F>, dims: [usize; 2], trans: bool) -> Self {
        Operand { t, dims, trans }
    }
    /// `(rows, cols)` of op(X).
    fn op_dims(&self) -> (usize, usize) {
        let [r, c] = self.dims;
        if self.trans {
            (c, r)
        } else {
            (r, c)
        }
    }
    /// Strides of op(X) over the row-major data.
    fn strides(&self) -> [usize; 2] {
        if self.trans {
            [1, self.dims[1]]
        } else {
            [self.dims[1], 1]
        }
    }
}

/// `c <- op(A) op(B) + beta * c`, with `c` an `m x n` row-major buffer. The
/// caller guarantees the dimensions agree.
pub(crate) fn gemm_into<F: Real>(a: Operand<'_, F>, b: Operand<'_, F>, beta: F, c: &mut Tensor<F>) {
    let (m, k) = a.op_dims();
    let (k2, n) = b.op_dims();
    assert!(
        k == k2 && c.data.len() == m * n,
        "matmul: internal error: GEMM operands do not fit"
    );
    let (sa, sb) = (a.strides(), b.strides());
    let any_c: &mut dyn Any = c;
    if let Some(c) = any_c.downcast_mut::<Tensor<f64>>() {
        let (a, b): (&dyn Any, &dyn Any) = (a.t, b.t);
        if let (Some(a), Some(b)) = (
            a.downcast_ref::<Tensor<f64>>(),
            b.downcast_ref::<Tensor<f64>>(),
        ) {
            let beta = beta.to_f64();
            gemm::dgemm(
                [m, k, n],
                1.0,
                (&a.data, sa),
                (&b.data, sb),
                beta,
                &mut c.data,
            );
            return;
        }
    }
    let any_c: &mut dyn Any = c;
    if let Some(c) = any_c.downcast_mut::<Tensor<f32>>() {
        let (a, b): (&dyn Any, &dyn Any) = (a.t, b.t);
        if let (Some(a), Some(b)) = (
            a.downcast_ref::<Tensor<f32>>(),
            b.downcast_ref::<Tensor<f32>>(),
        ) {
            let beta = beta.to_f64() as f32;
            gemm::sgemm(
                [m, k, n],
                1.0,
                (&a.data, sa),
                (&b.data, sb),
                beta,
                &mut c.data,
            );
            return;
        }
    }
    // Any other `Real` type: a plain loop.
    let (ad, bd) = (&a.t.data, &b.t.data);
    for i in 0..m {
        for j in 0..n {
            let mut s = F::ZERO;
            for p in 0..k {
                s += ad[i * sa[0] + p * sa[1]] * bd[p * sb[0] + j * sb[1]];
            }
            let cij = &mut c.data[i * n + j];
            *cij = if beta == F::ZERO { s } else { beta * *cij + s };
        }
    }
}

/// `op(A) op(B)` as a new tensor of `shape` (which must have `m * n` elements).
pub(crate) fn gemm_new<F: Real>(
    a: Operand<'_, F>,
    b: Operand<'_, F>,
    shape: &[usize],
) -> Tensor<F> {
    let mut c = Tensor::zeros(shape);
    gemm_into(a, b, F::ZERO, &mut c);
    c
}

/// The matrix view of a `matmul` operand: a vector on the left is a row
/// `[1, k]`, on the right a column `[k, 1]`.
pub(crate) fn matmul_dims<F>(t: &Tensor<F>, left: bool) -> [usize; 2] {
    match t.shape[..] {
        [k] if left => [1, k],
        [k] => [k, 1],
        [r, c] => [r, c],
        _ => [0, 0],
    }
}

/// The shape of `a.matmul(b)`, or why there is none.
pub(crate) fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, ShapeError> {
    let bad = |kind, detail: &str| Err(ShapeError::new(kind, "matmul", &[a, b], detail));
    let (ka, kb, shape) = match (a, b) {
        (&[ka], &[kb]) => (ka, kb, vec![]),
        (&[m, ka], &[kb]) => (ka, kb, vec![m]),
        (&[ka], &[kb, n]) => (ka, kb, vec![n]),
        (&[m, ka], &[kb, n]) => (ka, kb, vec![m, n]),
        _ => return bad(ShapeErrorKind::Rank, "operands must be 1-D or 2-D"),
    };
    if ka != kb {
        return Err(ShapeError::new(
            ShapeErrorKind::Matmul,
            "matmul",
            &[a, b],
            format!("inner dimensions {ka} and {kb} differ"),
        ));
    }
    Ok(shape)
}

impl<F: Real> Tensor<F> {
    /// The matrix product with numpy's rules for 1-D and 2-D operands:
    /// vector . vector is a scalar (rank 0), matrix . vector and
    /// vector . matrix are vectors, matrix . matrix a matrix. Runs on a
    /// blocked, vectorised GEMM (matrixmultiply).
    ///
    /// Panics on a mismatch: `matmul: [2, 3] x [2, 1]: inner dimensions 3 and 2 differ`.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let x = Tensor::from_vec(vec![1.0, 0.0, -1.0], &[3]);
    /// assert_eq!(a.matmul(&x).to_vec(), vec![-2.0, -2.0]);
    /// assert_eq!(x.matmul(&x).item(), 2.0);
    /// assert_eq!(a.matmul(&a.transpose()).to_vec(), vec![14.0, 32.0, 32.0, 77.0]);
    /// ```
    #[track_caller]
    pub fn matmul(&self, other: &Tensor<F>) -> Tensor<F> {
        self.try_matmul(other).unwrap_or_else(fail)
    }

    /// [`matmul`](Self::matmul), returning a [`ShapeError`] on a mismatch.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let e = Tensor::<f64>::zeros(&[2, 3]).try_matmul(&Tensor::zeros(&[2, 1])).unwrap_err();
    /// assert_eq!(e.to_string(), "matmul: [2, 3] x [2, 1]: inner dimensions 3 and 2 differ");
    /// ```
    pub fn try_matmul(&self, other: &Tensor<F>) -> Result<Tensor<F>, ShapeError> {
        let shape = matmul_shape(&self.shape, &other.shape)?;
        let a = Operand::new(self, matmul_dims(self, true), false);
        let b = Operand::new(other, matmul_dims(other, false), false);
        Ok(gemm_new(a, b, &shape))
    }

    /// `op(self) op(other)` for matrices, where `op` transposes when its flag
    /// is set, without forming the transpose (the GEMM reads with swapped
    /// strides). This is how matmul's derivative computes `G B^T` and `A^T G`.
    ///
    /// Panics unless both are 2-D with matching inner dimensions.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let gram = a.matmul_t(true, &a, false); // A^T A, 3 x 3
    /// assert_eq!(gram, a.transpose().matmul(&a));
    /// ```
    #[track_caller]
    pub fn matmul_t(&self, trans_self: bool, other: &Tensor<F>, trans_other: bool) -> Tensor<F> {
        let (r1, c1) = self.matrix_dims("matmul_t");
        let (r2, c2) = other.matrix_dims("matmul_t");
        let a = Operand::new(self, [r1, c1], trans_self);
        let b = Operand::new(other, [r2, c2], trans_other);
        let ((m, k), (k2, n)) = (a.op_dims(), b.op_dims());
        if k != k2 {
            fail::<()>(ShapeError::new(
                ShapeErrorKind::Matmul,
                "matmul_t",
                &[&self.shape, &other.shape],
                format!("inner dimensions {k} and {k2} differ after transposition"),
            ));
        }
        gemm_new(a, b, &[m, n])
    }

    /// The solution `x` of `self x = b` for a square, non-singular `self`, by LU
    /// factorisation with partial pivoting. `b` is a vector `[n]` or a matrix
    /// `[n, k]` of right-hand sides; `x` has `b`'s shape.
    ///
    /// Panics where [`try_solve`](Self::try_solve) returns an error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![2.0_f64, 1.0, 1.0, 3.0], &[2, 2]);
    /// let x = a.solve(&Tensor::from_vec(vec![3.0, 5.0], &[2]));
    /// assert!((x[0] - 0.8).abs() < 1e-15 && (x[1] - 1.4).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn solve(&self, b: &Tensor<F>) -> Tensor<F> {
        self.try_solve(b).unwrap_or_else(fail)
    }

    /// [`solve`](Self::solve), returning an error for a shape mismatch or a
    /// singular matrix (an exactly zero pivot).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 2.0, 4.0], &[2, 2]);
    /// let e = a.try_solve(&Tensor::ones(&[2])).unwrap_err();
    /// assert_eq!(e.to_string(), "solve: the matrix is singular (zero pivot in column 1)");
    /// ```
    pub fn try_solve(&self, b: &Tensor<F>) -> Result<Tensor<F>, LinalgError> {
        let n = square_dim(self, "solve")?;
        let k = rhs_cols(self, b, n, "solve")?;
        let lu = Lu::new(self, "solve")?;
        let mut x = b.clone();
        lu.solve_in_place(&mut x.data, k, false);
        Ok(x)
    }

    /// The lower-triangular Cholesky factor `L` of a symmetric positive-definite
    /// matrix (`self = L L^T`). Only the lower triangle of `self` is read.
    ///
    /// Panics where [`try_cholesky`](Self::try_cholesky) returns an error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![4.0, 2.0, 2.0, 5.0], &[2, 2]);
    /// assert_eq!(a.cholesky().to_vec(), vec![2.0, 0.0, 1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn cholesky(&self) -> Tensor<F> {
        self.try_cholesky().unwrap_or_else(fail)
    }

    /// [`cholesky`](Self::cholesky), returning an error for a non-square
    /// matrix or one that is not positive definite.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 2.0, 1.0], &[2, 2]);
    /// let e = a.try_cholesky().unwrap_err();
    /// assert_eq!(
    ///     e.to_string(),
    ///     "cholesky: the matrix is not positive definite (non-positive pivot in column 1)"
    /// );
    /// ```
    pub fn try_cholesky(&self) -> Result<Tensor<F>, LinalgError> {
        let n = square_dim(self, "cholesky")?;
        let a = &self.data;
        let mut l = vec![F::ZERO; n * n];
        for j in 0..n {
            let mut d = a[j * n + j];
            for p in 0..j {
                d -= l[j * n + p] * l[j * n + p];
            }
            if d <= F::ZERO || d.is_nan() {
                return Err(LinalgError::NotPositiveDefinite {
                    op: "cholesky",
                    column: j,
                });
            }
            let ljj = d.sqrt();
            l[j * n + j] = ljj;
            for i in j + 1..n {
                let mut s = a[i * n + j];
                for p in 0..j {
                    s -= l[i * n + p] * l[j * n + p];
                }
                l[i * n + j] = s / ljj;
            }
        }
        Ok(Tensor {
            data: l,
            shape: vec![n, n],
        })
    }

    /// `ln |det(self)|` of a square matrix, from its LU factorisation with
    /// partial pivoting (so any non-singular matrix works; for a symmetric
    /// positive-definite one this is `ln det`). Its derivative is `self^-T`.
    ///
    /// Panics where [`try_logdet`](Self::try_logdet) returns an error.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![2.0, 1.0, 1.0, 3.0], &[2, 2]);
    /// assert!((a.logdet() - 5.0_f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn logdet(&self) -> F {
        self.try_logdet().unwrap_or_else(fail)
    }

    /// [`logdet`](Self::logdet), returning an error for a non-square or
    /// singular matrix.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let e = Tensor::<f64>::zeros(&[2, 3]).try_logdet().unwrap_err();
    /// assert_eq!(e.to_string(), "logdet: shape [2, 3]: needs a square matrix");
    /// ```
    pub fn try_logdet(&self) -> Result<F, LinalgError> {
        square_dim(self, "logdet")?;
        Ok(Lu::new(self, "logdet")?.logabsdet())
    }

    /// The inverse of a square matrix (by LU); panics naming the problem
    /// when the matrix is not square or singular.
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![2.0, 0.0, 0.0, 4.0], &[2, 2]);
    /// assert_eq!(a.inverse().to_vec(), vec![0.5, 0.0, 0.0, 0.25]);
    /// ```
    #[track_caller]
    pub fn inverse(&self) -> Tensor<F> {
        self.try_inverse().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The inverse of a square non-singular matrix (by LU).
    ///
    /// ```
    /// use autodiff_runtime::Tensor;
    /// let a = Tensor::from_vec(vec![2.0, 0.0, 0.0, 4.0], &[2, 2]);
    /// assert_eq!(a.try_inverse().unwrap().to_vec(), vec![0.5, 0.0, 0.0, 0.25]);
    /// ```
    pub fn try_inverse(&self) -> Result<Tensor<F>, LinalgError> {
        self.try_solve(&Tensor::eye(square_dim(self, "inverse")?))
    }
}

/// `n` for an `n x n` matrix, or the error naming `op`.
pub(crate) fn square_dim<F>(a: &Tensor<F>, op: &'static str) -> Result<usize, ShapeError> {
    match a.shape[..] {
        [n, m] if n == m => Ok(n),
        [_, _] => Err(ShapeError::new(
            ShapeErrorKind::NotSquare,
            op,
            &[&a.shape],
            "needs a square matrix",
        )),
        _ => Err(ShapeError::new(
            ShapeErrorKind::Rank,
            op,
            &[&a.shape],
            "needs a square matrix",
        )),
    }
}

/// The number of right-hand sides in `b` (`[n]` or `[n, k]`) for an `n x n` `a`.
fn rhs_cols<F>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    n: usize,
    op: &'static str,
) -> Result<usize, ShapeError> {
    match b.shape[..] {
        [r] if r == n => Ok(1),
        [r, k] if r == n => Ok(k),
        _ => Err(ShapeError::new(
            ShapeErrorKind::Mismatch,
            op,
            &[&a.shape, &b.shape],
            format!("the right-hand side needs shape [{n}] or [{n}, k]"),
        )),
    }
}

/// An LU factorisation with partial pivoting, `P A = L U`, packed row-major:
/// `L` (unit diagonal, not stored) below the diagonal, `U` on and above it.
pub(crate) struct Lu<F> {
    lu: Vec<F>,
    n: usize,
    /// Row `i` of `P A` is row `perm[i]` of `A`.
    perm: Vec<usize>,
}

impl<F: Real> Lu<F> {
    /// Factorises the square matrix `a`; an exactly zero pivot is an error.
    pub(crate) fn new(a: &Tensor<F>, op: &'static str) -> Result<Self, LinalgError> {
        let n = square_dim(a, op)?;
        let mut lu = a.data.clone();
        let mut perm: Vec<usize> = (0..n).collect();
        for j in 0..n {
            let mut p = j;
            for i in j + 1..n {
                if lu[i * n + j].abs() > lu[p * n + j].abs() {
                    p = i;
                }
            }
            let pivot = lu[p * n + j];
            if pivot == F::ZERO || pivot.is_nan() {
                return Err(LinalgError::Singular { op, column: j });
            }
            if p != j {
                for c in 0..n {
                    lu.swap(j * n + c, p * n + c);
                }
                perm.swap(j, p);
            }
            let (top, bottom) = lu.split_at_mut((j + 1) * n);
            let urow = &top[j * n..];
            for row in bottom.chunks_exact_mut(n) {
                let l = row[j] / pivot;
                row[j] = l;
                if l != F::ZERO {
                    for c in j + 1..n {
                        row[c] -= l * urow[c];
                    }
                }
            }
        }
        Ok(Lu { lu, n, perm })
    }

    /// `ln |det A|`.
    pub(crate) fn logabsdet(&self) -> F {
        (0..self.n)
            .map(|i| self.lu[i * self.n + i].abs().ln())
            .sum()
    }

    /// Overwrites `b` (`n x k`, row-major) with `A^-1 b`, or `A^-T b` when
    /// `trans` is set.
    pub(crate) fn solve_in_place(&self, b: &mut [F], k: usize, trans: bool) {
        let n = self.n;
        let lu = &self.lu;
        let row_axpy = |b: &mut [F], dst: usize, src: usize, s: F| {
            if s != F::ZERO {
                for c in 0..k {
                    let v = b[src * k + c];
                    b[dst * k + c] -= s * v;
                }
            }
        };
        let row_scale = |b: &mut [F], r: usize, d: F| {
            for x in &mut b[r * k..(r + 1) * k] {
                *x /= d;
            }
        };
        if !trans {
            // L U x = P b
            let mut pb = vec![F::ZERO; n * k];
            for (i, &p) in self.perm.iter().enumerate() {
                pb[i * k..(i + 1) * k].copy_from_slice(&b[p * k..(p + 1) * k]);
            }
            for i in 0..n {
                for j in 0..i {
                    row_axpy(&mut pb, i, j, lu[i * n + j]);
                }
            }
            for i in (0..n).rev() {
                for j in i + 1..n {
                    row_axpy(&mut pb, i, j, lu[i * n + j]);
                }
                row_scale(&mut pb, i, lu[i * n + i]);
            }
            b.copy_from_slice(&pb);
        } else {
            // A^T = U^T L^T P: solve U^T z = b, L^T w = z, then x = P^T w.
            let mut w = b.to_vec();
            for i in 0..n {
                for j in 0..i {
                    row_axpy(&mut w, i, j, lu[j * n + i]);
                }
                row_scale(&mut w, i, lu[i * n + i]);
            }
            for i in (0..n).rev() {
                for j in i + 1..n {
                    row_axpy(&mut w, i, j, lu[j * n + i]);
                }
            }
            for (i, &p) in self.perm.iter().enumerate() {
                b[p * k..(p + 1) * k].copy_from_slice(&w[i * k..(i + 1) * k]);
            }
        }
    }
}

/// Solves `op(L) X = B` for lower-triangular `L` (`n x n`), where `op`
/// transposes when `trans` is set; `B` is `[n]` or `[n, k]` and so is `X`.
pub(crate) fn tri_solve<F: Real>(l: &Tensor<F>, trans: bool, b: &Tensor<F>) -> Tensor<F> {
    let n = l.shape[0];
    let k = if b.shape.len() == 2 { b.shape[1] } else { 1 };
    let ld = &l.data;
    let mut x = b.clone();
    let xd = &mut x.data;
    for step in 0..n {
        let i = if trans { n - 1 - step } else { step };
        // x_i = (b_i - sum over solved j of op(L)_ij x_j) / L_ii
        let solved = if trans { i + 1..n } else { 0..i };
        for j in solved {
            let s = if trans { ld[j * n + i] } else { ld[i * n + j] };
            if s != F::ZERO {
                for c in 0..k {
                    let v = xd[j * k + c];
                    xd[i * k + c] -= s * v;
                }
            }
        }
        for c in 0..k {
            xd[i * k + c] /= ld[i * n + i];
        }
    }
    x
}
