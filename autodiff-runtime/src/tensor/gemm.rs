//! The crate's only `unsafe` code: the calls into matrixmultiply's `sgemm` and
//! `dgemm`, which take raw pointers and strides. Each is wrapped in one small
//! safe function that checks every bound first.
//!
//! Why not a safe loop: on this project's 2-core machine matrixmultiply's
//! blocked, vectorised GEMM is 6-11x faster than the best plain-Rust loop
//! (n = 256 `f64`: 0.41 ms against 4.3 ms; the numbers are in `linalg.rs`),
//! and matmul is the cost of every dense layer and of every matmul derivative.
#![allow(unsafe_code)]

/// Whether a `rows` x `cols` matrix with row stride `rs` and column stride `cs`
/// starting at offset 0 lies inside a buffer of `len` elements, with strides
/// that fit `isize`.
fn fits(rows: usize, cols: usize, [rs, cs]: [usize; 2], len: usize) -> bool {
    if rs > isize::MAX as usize || cs > isize::MAX as usize {
        return false;
    }
    if rows == 0 || cols == 0 {
        return true;
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)));
    last.is_some_and(|last| last < len)
}

/// `c <- alpha * op(A) op(B) + beta * c` in `f64`, where `op(A)` is the `m` x `k`
/// matrix `A[i, p] = a[i * sa[0] + p * sa[1]]`, `op(B)` the `k` x `n` matrix
/// `B[p, j] = b[p * sb[0] + j * sb[1]]`, and `c` is `m` x `n`, contiguous and
/// row-major. Panics (an internal error) if any matrix leaves its buffer.
pub(super) fn dgemm(
    [m, k, n]: [usize; 3],
    alpha: f64,
    (a, sa): (&[f64], [usize; 2]),
    (b, sb): (&[f64], [usize; 2]),
    beta: f64,
    c: &mut [f64],
) {
    assert!(
        fits(m, k, sa, a.len()) && fits(k, n, sb, b.len()) && Some(c.len()) == m.checked_mul(n),
        "dgemm: internal error: operands do not fit their buffers"
    );
    // SAFETY: the assertion above proves that every element of A (m x k, strides
    // sa), of B (k x n, strides sb) and of C (m x n, row-major, strides [n, 1])
    // lies inside the slice it is read from or written to, and that the strides
    // fit isize. C's elements are distinct (column stride 1, row stride n), as
    // matrixmultiply requires, and `c` is a unique borrow, so it aliases
    // neither `a` nor `b`. matrixmultiply reads no element when m, k or n is 0.
    unsafe {
        matrixmultiply::dgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            sa[0] as isize,
            sa[1] as isize,
            b.as_ptr(),
            sb[0] as isize,
            sb[1] as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// [`dgemm`] in `f32`.
pub(super) fn sgemm(
    [m, k, n]: [usize; 3],
    alpha: f32,
    (a, sa): (&[f32], [usize; 2]),
    (b, sb): (&[f32], [usize; 2]),
    beta: f32,
    c: &mut [f32],
) {
    assert!(
        fits(m, k, sa, a.len()) && fits(k, n, sb, b.len()) && Some(c.len()) == m.checked_mul(n),
        "sgemm: internal error: operands do not fit their buffers"
    );
    // SAFETY: as in `dgemm`: the assertion bounds every element of A, B and C
    // inside its slice, C's elements are distinct, `c` is a unique borrow, and
    // nothing is read when a dimension is 0.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            sa[0] as isize,
            sa[1] as isize,
            b.as_ptr(),
            sb[0] as isize,
            sb[1] as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_checks_the_last_element() {
        assert!(fits(2, 3, [3, 1], 6));
        assert!(!fits(2, 3, [3, 1], 5));
        assert!(fits(2, 3, [1, 2], 6));
        assert!(fits(0, 3, [3, 1], 0));
        assert!(!fits(2, 2, [usize::MAX, 1], 10));
    }

    #[test]
    #[should_panic(expected = "dgemm: internal error")]
    fn dgemm_refuses_a_short_buffer() {
        let mut c = [0.0; 4];
        dgemm(
            [2, 2, 2],
            1.0,
            (&[1.0; 3], [2, 1]),
            (&[1.0; 4], [2, 1]),
            0.0,
            &mut c,
        );
    }

    #[test]
    fn transposed_strides_multiply_the_transpose() {
        // A = [[1, 2], [3, 4]] stored row-major; read as A^T via strides [1, 2].
        let a = [1.0_f32, 2.0, 3.0, 4.0];
        let mut c = [0.0_f32; 4];
        sgemm([2, 2, 2], 1.0, (&a, [1, 2]), (&a, [2, 1]), 0.0, &mut c);
        // A^T A = [[10, 14], [14, 20]]
        assert_eq!(c, [10.0, 14.0, 14.0, 20.0]);
    }
}
