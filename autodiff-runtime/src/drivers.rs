//! Derivative drivers: gradients, Jacobians, Hessians and the rest, built from
//! the functions `#[differentiate]` generates.
//!
//! Each driver takes the generated function itself (any `Fn` of the right
//! shape, so a fn item is passed as it is) and documents its cost in sweeps: one
//! sweep is one call of the generated function, which costs a small constant
//! times one evaluation of the original.
//!
//! The shapes, for `fn f(x: &[F]) -> F` (scalar output) and
//! `fn f(x: &[F]) -> Vec<F>` (vector output, length `m`), with `n = x.len()`:
//!
//! | attribute(s) | generated function | used by |
//! |---|---|---|
//! | `reverse`, scalar | `f_vjp(x: &[F], d_out: F) -> (F, Vec<F>)` | [`gradient`] |
//! | `forward`, scalar | `f_jvp(x: &[F], d_x: &[F]) -> (F, F)` | [`directional_derivative`] |
//! | `reverse`, vector | `f_vjp(x: &[F], d_out: &[F]) -> (Vec<F>, Vec<F>)` | [`jacobian_reverse`], [`jacobian`] |
//! | `forward`, vector | `f_jvp(x: &[F], d_x: &[F]) -> (Vec<F>, Vec<F>)` | [`jacobian_forward`], [`jacobian`], [`divergence`], [`divergence_diagonal`], [`curl`] |
//! | `forward, vector`, vector | `f_jvp_vec::<K>(x: &[F], d_x: &[Lanes<F, K>]) -> (Vec<F>, Vec<Lanes<F, K>>)` | [`jacobian_forward_vec`], [`jacobian_vec`] |
//! | `forward, vector` over `reverse`, scalar | `f_vjp_jvp_vec::<K>(x: &[F], d_out: F, d_x: &[Lanes<F, K>], d_d_out: Lanes<F, K>)` | [`hessian_vec`] |
//! | `forward` over `reverse`, scalar | `f_vjp_jvp(x: &[F], d_out: F, d_x: &[F], d_d_out: F) -> ((F, Vec<F>), (F, Vec<F>))` | [`hvp`], [`hessian`], [`laplacian`], [`laplacian_diagonal`], [`inverse_hvp_cg`] |
//!
//! A length that does not fit (a direction, a right-hand side, or what the
//! generated function returned) panics with a message naming the driver and
//! both lengths.
//!
//! ```
//! use autodiff_runtime::drivers::{gradient, hessian};
//! // what #[differentiate(forward)] #[differentiate(reverse)] generates for
//! // fn f(x: &[f64]) -> f64 { x[0] * x[0] * x[1] }
//! fn f_vjp(x: &[f64], d_out: f64) -> (f64, Vec<f64>) {
//!     (x[0] * x[0] * x[1], vec![d_out * 2.0 * x[0] * x[1], d_out * x[0] * x[0]])
//! }
//! fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
//!     let g = [2.0 * x[0] * x[1], x[0] * x[0]];
//!     let hv = [2.0 * x[1] * d_x[0] + 2.0 * x[0] * d_x[1], 2.0 * x[0] * d_x[0]];
//!     (
//!         (x[0] * x[0] * x[1], vec![d_out * g[0], d_out * g[1]]),
//!         (g[0] * d_x[0] + g[1] * d_x[1], vec![d_out * hv[0] + d_d_out * g[0], d_out * hv[1] + d_d_out * g[1]]),
//!     )
//! }
//! assert_eq!(gradient(f_vjp, &[3.0, 2.0]), (18.0, vec![12.0, 9.0]));
//! assert_eq!(hessian(f_vjp_jvp, &[3.0, 2.0]), vec![vec![4.0, 6.0], vec![6.0, 0.0]]);
//! ```

use crate::{Lanes, Real};

/// Panics unless `got == expected`, naming the driver and both lengths.
#[inline]
#[track_caller]
fn check_len(driver: &str, what: &str, got: usize, other: &str, expected: usize) {
    if got != expected {
        panic!("{driver}: {what} has length {got} but {other} has length {expected}");
    }
}

fn unit_vector<F: Real>(n: usize, j: usize) -> Vec<F> {
    let mut e = vec![F::ZERO; n];
    e[j] = F::ONE;
    e
}

fn dot<F: Real>(a: &[F], b: &[F]) -> F {
    a.iter().zip(b).map(|(&p, &q)| p * q).sum()
}

/// Value and gradient of a scalar function from its reverse-mode derivative
/// `vjp(x, d_out)`, seeded with `d_out = 1`.
///
/// Cost: one reverse sweep, whatever `n` is.
///
/// ```
/// use autodiff_runtime::drivers::gradient;
/// // generated for fn f(x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }
/// fn f_vjp(x: &[f64], d_out: f64) -> (f64, Vec<f64>) {
///     (x.iter().map(|v| v * v).sum(), x.iter().map(|v| d_out * 2.0 * v).collect())
/// }
/// assert_eq!(gradient(f_vjp, &[1.0, 1.0, 1.0]), (3.0, vec![2.0, 2.0, 2.0]));
/// ```
#[track_caller]
pub fn gradient<F: Real>(vjp: impl Fn(&[F], F) -> (F, Vec<F>), x: &[F]) -> (F, Vec<F>) {
    let (value, grad) = vjp(x, F::ONE);
    check_len(
        "gradient",
        "the adjoint returned by vjp",
        grad.len(),
        "x",
        x.len(),
    );
    (value, grad)
}

/// Value and directional derivative `∇f(x) · v` of a scalar function from its
/// forward-mode derivative `jvp(x, d_x)`.
///
/// Cost: one forward sweep.
///
/// ```
/// use autodiff_runtime::drivers::directional_derivative;
/// // generated for fn f(x: &[f64]) -> f64 { x[0] * x[1] }
/// fn f_jvp(x: &[f64], d_x: &[f64]) -> (f64, f64) {
///     (x[0] * x[1], x[1] * d_x[0] + x[0] * d_x[1])
/// }
/// assert_eq!(directional_derivative(f_jvp, &[2.0, 3.0], &[1.0, -1.0]), (6.0, 1.0));
/// ```
#[track_caller]
pub fn directional_derivative<F: Real>(
    jvp: impl Fn(&[F], &[F]) -> (F, F),
    x: &[F],
    v: &[F],
) -> (F, F) {
    check_len("directional_derivative", "v", v.len(), "x", x.len());
    jvp(x, v)
}

/// The `m x n` Jacobian (a `Vec` of `m` rows) of a vector function from its
/// forward-mode derivative, one column `J e_j` per sweep.
///
/// Cost: `n` forward sweeps (one, to learn `m`, when `n = 0`). The better
/// choice when `n <= m`; see [`jacobian`].
///
/// ```
/// use autodiff_runtime::drivers::jacobian_forward;
/// // generated for fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1], x[1], 2.0 * x[0]] }
/// fn f_jvp(x: &[f64], d_x: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (
///         vec![x[0] * x[1], x[1], 2.0 * x[0]],
///         vec![x[1] * d_x[0] + x[0] * d_x[1], d_x[1], 2.0 * d_x[0]],
///     )
/// }
/// let j = jacobian_forward(f_jvp, &[3.0, 4.0]);
/// assert_eq!(j, vec![vec![4.0, 3.0], vec![0.0, 1.0], vec![2.0, 0.0]]);
/// ```
#[track_caller]
pub fn jacobian_forward<F: Real>(
    jvp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    if n == 0 {
        let (value, tangent) = jvp(x, &[]);
        check_len(
            "jacobian_forward",
            "the tangent returned by jvp",
            tangent.len(),
            "its value",
            value.len(),
        );
        return vec![Vec::new(); value.len()];
    }
    let mut rows: Vec<Vec<F>> = Vec::new();
    for j in 0..n {
        forward_column("jacobian_forward", &jvp, x, j, &mut rows);
    }
    rows
}

/// Writes column `j` of the Jacobian into `rows` (allocating the `m` rows on the
/// first column) from one forward sweep along `e_j`.
#[track_caller]
fn forward_column<F: Real>(
    driver: &str,
    jvp: &impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
    j: usize,
    rows: &mut Vec<Vec<F>>,
) {
    let n = x.len();
    let (value, column) = jvp(x, &unit_vector(n, j));
    check_len(
        driver,
        "the tangent returned by jvp",
        column.len(),
        "its value",
        value.len(),
    );
    if rows.is_empty() && j == 0 {
        *rows = vec![vec![F::ZERO; n]; column.len()];
    }
    check_len(
        driver,
        "the tangent returned by jvp",
        column.len(),
        "the first tangent",
        rows.len(),
    );
    for (row, c) in rows.iter_mut().zip(column) {
        row[j] = c;
    }
}

/// The `m x n` Jacobian (a `Vec` of `m` rows) of a vector function from its
/// reverse-mode derivative, one row `J^T e_i` per sweep.
///
/// `f` is the original function: one primal evaluation `f(x)` tells the driver
/// `m` (a seed must have the output's length, so `vjp` cannot be called before
/// `m` is known).
///
/// Cost: one primal evaluation and `m` reverse sweeps. The better choice when
/// `m < n`; see [`jacobian`].
///
/// ```
/// use autodiff_runtime::drivers::jacobian_reverse;
/// fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1] * x[2]] }
/// // generated by #[differentiate(reverse)] on f
/// fn f_vjp(x: &[f64], d_out: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (f(x), vec![d_out[0] * x[1] * x[2], d_out[0] * x[0] * x[2], d_out[0] * x[0] * x[1]])
/// }
/// assert_eq!(jacobian_reverse(f, f_vjp, &[1.0, 2.0, 3.0]), vec![vec![6.0, 3.0, 2.0]]);
/// ```
#[track_caller]
pub fn jacobian_reverse<F: Real>(
    f: impl Fn(&[F]) -> Vec<F>,
    vjp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
) -> Vec<Vec<F>> {
    let m = f(x).len();
    reverse_rows("jacobian_reverse", &vjp, x, m)
}

/// The `m` rows of the Jacobian, one reverse sweep each.
#[track_caller]
fn reverse_rows<F: Real>(
    driver: &str,
    vjp: &impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
    m: usize,
) -> Vec<Vec<F>> {
    (0..m)
        .map(|i| {
            let (value, row) = vjp(x, &unit_vector(m, i));
            check_len(
                driver,
                "the value returned by vjp",
                value.len(),
                "the seed",
                m,
            );
            check_len(
                driver,
                "the adjoint returned by vjp",
                row.len(),
                "x",
                x.len(),
            );
            row
        })
        .collect()
}

/// The `m x n` Jacobian, by forward mode when `n <= m` (`n` sweeps) and by
/// reverse mode otherwise (`m` sweeps): whichever needs fewer.
///
/// The first forward sweep (along `e_0`) tells the driver `m`; it is also the
/// first column when forward mode is chosen, so the cost is `min(n, m)` sweeps
/// plus one forward sweep when reverse mode wins. With exact derivatives both
/// modes give the same matrix.
///
/// With a vector-mode derivative (`#[differentiate(forward, vector)]`),
/// [`jacobian_vec`] makes the same choice with `K` columns per forward sweep,
/// which pays whenever `n > m` but `ceil(n / K)` is small.
///
/// ```
/// use autodiff_runtime::drivers::jacobian;
/// // f(x) = (x0 x1 x2, x1^2, x0 + x2), the SPEC's example
/// fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1] * x[2], x[1] * x[1], x[0] + x[2]] }
/// fn f_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (f(x), vec![
///         x[1] * x[2] * d[0] + x[0] * x[2] * d[1] + x[0] * x[1] * d[2],
///         2.0 * x[1] * d[1],
///         d[0] + d[2],
///     ])
/// }
/// fn f_vjp(x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (f(x), vec![
///         x[1] * x[2] * w[0] + w[2],
///         x[0] * x[2] * w[0] + 2.0 * x[1] * w[1],
///         x[0] * x[1] * w[0] + w[2],
///     ])
/// }
/// let j = jacobian(f_jvp, f_vjp, &[1.0, 2.0, 3.0]);
/// assert_eq!(j, vec![vec![6.0, 3.0, 2.0], vec![0.0, 4.0, 0.0], vec![1.0, 0.0, 1.0]]);
/// ```
#[track_caller]
pub fn jacobian<F: Real>(
    jvp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    vjp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    if n == 0 {
        return jacobian_forward(jvp, x);
    }
    let mut rows: Vec<Vec<F>> = Vec::new();
    forward_column("jacobian", &jvp, x, 0, &mut rows);
    let m = rows.len();
    if n <= m {
        for j in 1..n {
            forward_column("jacobian", &jvp, x, j, &mut rows);
        }
        rows
    } else {
        reverse_rows("jacobian", &vjp, x, m)
    }
}

/// The `m x n` Jacobian (a `Vec` of `m` rows) of a vector function from its
/// vector-mode forward derivative (`#[differentiate(forward, vector)]`
/// generates `f_jvp_vec`), `K` columns per sweep: sweep `s` seeds lane `l`
/// of the tangent with `e_{sK+l}` (lanes past `n` stay zero).
///
/// Cost: `ceil(n / K)` vector sweeps (one, to learn `m`, when `n = 0`). A
/// vector sweep evaluates `f` once and carries `K` tangents, so it costs less
/// than `K` scalar sweeps: the primal work is shared and the lane arithmetic
/// runs on SIMD registers. The columns are exactly those of
/// [`jacobian_forward`] (each lane does the same operations as one scalar
/// sweep). Fix `K` by naming it: `jacobian_forward_vec(f_jvp_vec::<8>, &x)`.
///
/// ```
/// use autodiff_runtime::drivers::{jacobian_forward, jacobian_forward_vec};
/// use autodiff_runtime::Lanes;
/// // generated for fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1], x[1], 2.0 * x[0]] }
/// fn f_jvp(x: &[f64], d_x: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (vec![x[0] * x[1], x[1], 2.0 * x[0]], vec![d_x[0] * x[1] + d_x[1] * x[0], d_x[1], d_x[0] * 2.0])
/// }
/// fn f_jvp_vec<const K: usize>(x: &[f64], d_x: &[Lanes<f64, K>]) -> (Vec<f64>, Vec<Lanes<f64, K>>) {
///     (vec![x[0] * x[1], x[1], 2.0 * x[0]], vec![d_x[0] * x[1] + d_x[1] * x[0], d_x[1], d_x[0] * 2.0])
/// }
/// let j = jacobian_forward_vec(f_jvp_vec::<2>, &[3.0, 4.0]); // one sweep
/// assert_eq!(j, vec![vec![4.0, 3.0], vec![0.0, 1.0], vec![2.0, 0.0]]);
/// assert_eq!(jacobian_forward_vec(f_jvp_vec::<4>, &[3.0, 4.0]), j);
/// assert_eq!(jacobian_forward(f_jvp, &[3.0, 4.0]), j);
/// ```
#[track_caller]
pub fn jacobian_forward_vec<const K: usize, F: Real>(
    jvp_vec: impl Fn(&[F], &[Lanes<F, K>]) -> (Vec<F>, Vec<Lanes<F, K>>),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    lanes_nonzero("jacobian_forward_vec", K);
    let mut rows: Vec<Vec<F>> = Vec::new();
    if n == 0 {
        let (value, tangent) = jvp_vec(x, &[]);
        check_len(
            "jacobian_forward_vec",
            "the tangent returned by jvp_vec",
            tangent.len(),
            "its value",
            value.len(),
        );
        return vec![Vec::new(); value.len()];
    }
    let mut seed = vec![Lanes::zero(); n];
    let mut start = 0;
    while start < n {
        forward_columns_vec(
            "jacobian_forward_vec",
            &jvp_vec,
            x,
            start,
            &mut seed,
            &mut rows,
        );
        start += K;
    }
    rows
}

#[track_caller]
fn lanes_nonzero(driver: &str, k: usize) {
    if k == 0 {
        panic!("{driver}: K = 0 lanes carry no tangent; use K >= 1");
    }
}

/// Writes columns `start..start + K` (those below `n`) of the Jacobian into
/// `rows` (allocating the `m` rows on the first sweep) from one vector sweep.
/// `seed` is all zero on entry and on exit.
#[track_caller]
fn forward_columns_vec<const K: usize, F: Real>(
    driver: &str,
    jvp_vec: &impl Fn(&[F], &[Lanes<F, K>]) -> (Vec<F>, Vec<Lanes<F, K>>),
    x: &[F],
    start: usize,
    seed: &mut [Lanes<F, K>],
    rows: &mut Vec<Vec<F>>,
) {
    let n = x.len();
    let end = (start + K).min(n);
    for (lane, s) in seed[start..end].iter_mut().enumerate() {
        *s = Lanes::unit(lane);
    }
    let (value, columns) = jvp_vec(x, seed);
    for s in &mut seed[start..end] {
        *s = Lanes::zero();
    }
    check_len(
        driver,
        "the tangent returned by jvp_vec",
        columns.len(),
        "its value",
        value.len(),
    );
    if start == 0 {
        *rows = vec![vec![F::ZERO; n]; columns.len()];
    }
    check_len(
        driver,
        "the tangent returned by jvp_vec",
        columns.len(),
        "the first tangent",
        rows.len(),
    );
    for (row, c) in rows.iter_mut().zip(&columns) {
        row[start..end].copy_from_slice(&c.as_slice()[..end - start]);
    }
}

/// The `m x n` Jacobian by the cheaper of vector-mode forward (`K` columns per
/// sweep) and reverse mode (one row per sweep): [`jacobian`] with
/// [`jacobian_forward_vec`] as its forward half.
///
/// The first vector sweep (columns `0..K`) tells the driver `m`. If the
/// `ceil(n / K) - 1` vector sweeps left are no more than the `m` reverse
/// sweeps reverse mode would need, the driver finishes in forward mode;
/// otherwise it runs `m` reverse sweeps. Cost: `min(ceil(n / K), 1 + m)`
/// sweeps, counting a vector sweep like a reverse sweep (both are a small
/// multiple of one evaluation of `f`). With `K >= n` that is always one
/// vector sweep. Same matrix either way, up to rounding between the modes.
///
/// ```
/// use autodiff_runtime::drivers::jacobian_vec;
/// use autodiff_runtime::Lanes;
/// // f(x) = (x0 x1 x2, x1^2, x0 + x2), the SPEC's example
/// fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1] * x[2], x[1] * x[1], x[0] + x[2]] }
/// fn f_jvp_vec<const K: usize>(x: &[f64], d: &[Lanes<f64, K>]) -> (Vec<f64>, Vec<Lanes<f64, K>>) {
///     (f(x), vec![
///         d[0] * (x[1] * x[2]) + d[1] * (x[0] * x[2]) + d[2] * (x[0] * x[1]),
///         d[1] * (2.0 * x[1]),
///         d[0] + d[2],
///     ])
/// }
/// fn f_vjp(x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (f(x), vec![
///         x[1] * x[2] * w[0] + w[2],
///         x[0] * x[2] * w[0] + 2.0 * x[1] * w[1],
///         x[0] * x[1] * w[0] + w[2],
///     ])
/// }
/// let want = vec![vec![6.0, 3.0, 2.0], vec![0.0, 4.0, 0.0], vec![1.0, 0.0, 1.0]];
/// assert_eq!(jacobian_vec(f_jvp_vec::<4>, f_vjp, &[1.0, 2.0, 3.0]), want);
/// assert_eq!(jacobian_vec(f_jvp_vec::<1>, f_vjp, &[1.0, 2.0, 3.0]), want);
/// ```
#[track_caller]
pub fn jacobian_vec<const K: usize, F: Real>(
    jvp_vec: impl Fn(&[F], &[Lanes<F, K>]) -> (Vec<F>, Vec<Lanes<F, K>>),
    vjp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    lanes_nonzero("jacobian_vec", K);
    if n == 0 {
        return jacobian_forward_vec(jvp_vec, x);
    }
    let mut rows: Vec<Vec<F>> = Vec::new();
    let mut seed = vec![Lanes::zero(); n];
    forward_columns_vec("jacobian_vec", &jvp_vec, x, 0, &mut seed, &mut rows);
    let m = rows.len();
    let vector_sweeps = n.div_ceil(K);
    if vector_sweeps - 1 <= m {
        let mut start = K;
        while start < n {
            forward_columns_vec("jacobian_vec", &jvp_vec, x, start, &mut seed, &mut rows);
            start += K;
        }
        rows
    } else {
        reverse_rows("jacobian_vec", &vjp, x, m)
    }
}

/// Hessian-vector product `H v` of a scalar function from its forward-over-reverse
/// derivative `vjp_jvp(x, d_out, d_x, d_d_out)`, called with `d_out = 1`,
/// `d_x = v`, `d_d_out = 0`: the tangent of the gradient along `v`.
///
/// Cost: one forward-over-reverse sweep (a small constant times a gradient);
/// the Hessian is never formed.
///
/// ```
/// use autodiff_runtime::drivers::hvp;
/// // generated for fn f(x: &[f64]) -> f64 { x[0] * x[1] }: H = [[0, 1], [1, 0]]
/// fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
///     (
///         (x[0] * x[1], vec![d_out * x[1], d_out * x[0]]),
///         (x[1] * d_x[0] + x[0] * d_x[1], vec![d_out * d_x[1] + d_d_out * x[1], d_out * d_x[0] + d_d_out * x[0]]),
///     )
/// }
/// assert_eq!(hvp(f_vjp_jvp, &[2.0, 3.0], &[5.0, 7.0]), vec![7.0, 5.0]);
/// ```
#[track_caller]
pub fn hvp<F: Real>(
    vjp_jvp: impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
    v: &[F],
) -> Vec<F> {
    check_len("hvp", "v", v.len(), "x", x.len());
    hvp_unchecked("hvp", &vjp_jvp, x, v)
}

#[track_caller]
fn hvp_unchecked<F: Real>(
    driver: &str,
    vjp_jvp: &impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
    v: &[F],
) -> Vec<F> {
    let ((_, grad), (_, hv)) = vjp_jvp(x, F::ONE, v, F::ZERO);
    check_len(
        driver,
        "the gradient returned by vjp_jvp",
        grad.len(),
        "x",
        x.len(),
    );
    check_len(
        driver,
        "the Hessian-vector product returned by vjp_jvp",
        hv.len(),
        "x",
        x.len(),
    );
    hv
}

/// The `n x n` Hessian of a scalar function, column `j` being `H e_j`.
///
/// Cost: `n` forward-over-reverse sweeps. The result is symmetric up to
/// rounding (it is not symmetrised).
///
/// ```
/// use autodiff_runtime::drivers::hessian;
/// // generated for fn f(x: &[f64]) -> f64 { x[0].powi(3) + x[0] * x[1] }
/// fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
///     let g = [3.0 * x[0] * x[0] + x[1], x[0]];
///     let hv = [6.0 * x[0] * d_x[0] + d_x[1], d_x[0]];
///     (
///         (x[0].powi(3) + x[0] * x[1], vec![d_out * g[0], d_out * g[1]]),
///         (g[0] * d_x[0] + g[1] * d_x[1], vec![d_out * hv[0] + d_d_out * g[0], d_out * hv[1] + d_d_out * g[1]]),
///     )
/// }
/// assert_eq!(hessian(f_vjp_jvp, &[2.0, 5.0]), vec![vec![12.0, 1.0], vec![1.0, 0.0]]);
/// ```
#[track_caller]
pub fn hessian<F: Real>(
    vjp_jvp: impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    let mut rows = vec![vec![F::ZERO; n]; n];
    for j in 0..n {
        let column = hvp_unchecked("hessian", &vjp_jvp, x, &unit_vector(n, j));
        for (row, c) in rows.iter_mut().zip(column) {
            row[j] = c;
        }
    }
    rows
}

/// The `n x n` Hessian of a scalar function from its vector forward-over-reverse
/// derivative (`#[differentiate(forward, vector)] #[differentiate(reverse)]`
/// generates `f_vjp_jvp_vec`), `K` columns `H e_j` per sweep.
///
/// Cost: `ceil(n / K)` vector forward-over-reverse sweeps, each one gradient
/// evaluation carrying `K` tangents. The columns are exactly those of
/// [`hessian`] (each lane repeats one scalar sweep's operations).
///
/// ```
/// use autodiff_runtime::drivers::hessian_vec;
/// use autodiff_runtime::Lanes;
/// // generated for fn f(x: &[f64]) -> f64 { x[0].powi(3) + x[0] * x[1] }
/// fn f_vjp_jvp_vec<const K: usize>(
///     x: &[f64], d_out: f64, d_x: &[Lanes<f64, K>], d_d_out: Lanes<f64, K>,
/// ) -> ((f64, Vec<f64>), (Lanes<f64, K>, Vec<Lanes<f64, K>>)) {
///     let g = [3.0 * x[0] * x[0] + x[1], x[0]];
///     let hv = [d_x[0] * (6.0 * x[0]) + d_x[1], d_x[0]];
///     (
///         (x[0].powi(3) + x[0] * x[1], vec![d_out * g[0], d_out * g[1]]),
///         (d_x[0] * g[0] + d_x[1] * g[1], vec![hv[0] * d_out + d_d_out * g[0], hv[1] * d_out + d_d_out * g[1]]),
///     )
/// }
/// assert_eq!(hessian_vec(f_vjp_jvp_vec::<2>, &[2.0, 5.0]), vec![vec![12.0, 1.0], vec![1.0, 0.0]]);
/// ```
#[track_caller]
#[allow(clippy::type_complexity)]
pub fn hessian_vec<const K: usize, F: Real>(
    vjp_jvp_vec: impl Fn(
        &[F],
        F,
        &[Lanes<F, K>],
        Lanes<F, K>,
    ) -> ((F, Vec<F>), (Lanes<F, K>, Vec<Lanes<F, K>>)),
    x: &[F],
) -> Vec<Vec<F>> {
    let n = x.len();
    lanes_nonzero("hessian_vec", K);
    let mut rows = vec![vec![F::ZERO; n]; n];
    let mut seed = vec![Lanes::zero(); n];
    let mut start = 0;
    while start < n {
        let end = (start + K).min(n);
        for (lane, s) in seed[start..end].iter_mut().enumerate() {
            *s = Lanes::unit(lane);
        }
        let ((_, grad), (_, columns)) = vjp_jvp_vec(x, F::ONE, &seed, Lanes::zero());
        for s in &mut seed[start..end] {
            *s = Lanes::zero();
        }
        check_len(
            "hessian_vec",
            "the gradient returned by vjp_jvp_vec",
            grad.len(),
            "x",
            n,
        );
        check_len(
            "hessian_vec",
            "the Hessian-vector products returned by vjp_jvp_vec",
            columns.len(),
            "x",
            n,
        );
        for (row, c) in rows.iter_mut().zip(&columns) {
            row[start..end].copy_from_slice(&c.as_slice()[..end - start]);
        }
        start += K;
    }
    rows
}

/// The Laplacian `Σ_j ∂²f/∂x_j²` (trace of the Hessian) of a scalar function,
/// as `Σ_j (H e_j)_j`. Makes no assumption about the Hessian.
///
/// Cost: `n` forward-over-reverse sweeps. When the Hessian is known to be
/// diagonal, [`laplacian_diagonal`] needs one.
///
/// ```
/// use autodiff_runtime::drivers::laplacian;
/// // generated for fn f(x: &[f64]) -> f64 { x[0] * x[1] + x[1] * x[1] }: H = [[0, 1], [1, 2]]
/// fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
///     let g = [x[1], x[0] + 2.0 * x[1]];
///     let hv = [d_x[1], d_x[0] + 2.0 * d_x[1]];
///     (
///         (x[0] * x[1] + x[1] * x[1], vec![d_out * g[0], d_out * g[1]]),
///         (g[0] * d_x[0] + g[1] * d_x[1], vec![d_out * hv[0] + d_d_out * g[0], d_out * hv[1] + d_d_out * g[1]]),
///     )
/// }
/// assert_eq!(laplacian(f_vjp_jvp, &[1.0, 1.0]), 2.0);
/// ```
#[track_caller]
pub fn laplacian<F: Real>(
    vjp_jvp: impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
) -> F {
    let n = x.len();
    (0..n)
        .map(|j| hvp_unchecked("laplacian", &vjp_jvp, x, &unit_vector(n, j))[j])
        .sum()
}

/// The Laplacian of a scalar function whose Hessian the caller KNOWS to be
/// diagonal (a sum of functions of one coordinate each): then `H · 1` is the
/// diagonal, and its sum the trace.
///
/// Cost: one forward-over-reverse sweep. If the Hessian is not diagonal, the
/// result is the sum of ALL its entries, not the Laplacian: use [`laplacian`].
///
/// ```
/// use autodiff_runtime::drivers::laplacian_diagonal;
/// // generated for fn f(x: &[f64]) -> f64 { x.iter().map(|v| v * v).sum() }: H = 2 I
/// fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
///     let value = x.iter().map(|v| v * v).sum();
///     let grad: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
///     let tangent = grad.iter().zip(d_x).map(|(g, d)| g * d).sum();
///     let hv = d_x.iter().zip(&grad).map(|(d, g)| d_out * 2.0 * d + d_d_out * g).collect();
///     ((value, grad.iter().map(|g| d_out * g).collect()), (tangent, hv))
/// }
/// assert_eq!(laplacian_diagonal(f_vjp_jvp, &[1.0, 1.0, 1.0]), 6.0);
/// ```
#[track_caller]
pub fn laplacian_diagonal<F: Real>(
    vjp_jvp: impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
) -> F {
    let ones = vec![F::ONE; x.len()];
    hvp_unchecked("laplacian_diagonal", &vjp_jvp, x, &ones)
        .into_iter()
        .sum()
}

/// The divergence `Σ_j ∂f_j/∂x_j` (trace of the Jacobian) of a vector field
/// `f: R^n -> R^n`, as `Σ_j (J e_j)_j`. Makes no assumption about the Jacobian.
///
/// Cost: `n` forward sweeps. When the field is elementwise (`f_j` depends on
/// `x_j` only), [`divergence_diagonal`] needs one. Panics if the field's output
/// length differs from `n`.
///
/// ```
/// use autodiff_runtime::drivers::divergence;
/// // generated for fn f(x: &[f64]) -> Vec<f64> { vec![x[0] * x[1], x[0] + x[1] * x[1]] }
/// fn f_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (
///         vec![x[0] * x[1], x[0] + x[1] * x[1]],
///         vec![x[1] * d[0] + x[0] * d[1], d[0] + 2.0 * x[1] * d[1]],
///     )
/// }
/// assert_eq!(divergence(f_jvp, &[3.0, 5.0]), 5.0 + 10.0);
/// ```
#[track_caller]
pub fn divergence<F: Real>(jvp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>), x: &[F]) -> F {
    let n = x.len();
    let mut total = F::ZERO;
    for j in 0..n {
        let (value, column) = jvp(x, &unit_vector(n, j));
        check_len("divergence", "the field's value", value.len(), "x", n);
        check_len(
            "divergence",
            "the tangent returned by jvp",
            column.len(),
            "x",
            n,
        );
        total += column[j];
    }
    total
}

/// The divergence of a vector field the caller KNOWS to be elementwise (`f_j`
/// depends on `x_j` only, so the Jacobian is diagonal): `J · 1` is then the
/// diagonal, and its sum the trace.
///
/// Cost: one forward sweep. If the Jacobian is not diagonal, the result is the
/// sum of ALL its entries, not the divergence: use [`divergence`].
///
/// ```
/// use autodiff_runtime::drivers::divergence_diagonal;
/// // generated for fn f(x: &[f64]) -> Vec<f64> { x.iter().map(|v| v.sin()).collect() }
/// fn f_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (x.iter().map(|v| v.sin()).collect(), x.iter().zip(d).map(|(v, t)| v.cos() * t).collect())
/// }
/// assert_eq!(divergence_diagonal(f_jvp, &[0.0, 0.0]), 2.0);
/// ```
#[track_caller]
pub fn divergence_diagonal<F: Real>(jvp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>), x: &[F]) -> F {
    let n = x.len();
    let (value, tangent) = jvp(x, &vec![F::ONE; n]);
    check_len(
        "divergence_diagonal",
        "the field's value",
        value.len(),
        "x",
        n,
    );
    check_len(
        "divergence_diagonal",
        "the tangent returned by jvp",
        tangent.len(),
        "x",
        n,
    );
    tangent.into_iter().sum()
}

/// The curl `∇ × f` of a vector field `f: R^3 -> R^3`:
/// `(∂f_2/∂x_1 - ∂f_1/∂x_2, ∂f_0/∂x_2 - ∂f_2/∂x_0, ∂f_1/∂x_0 - ∂f_0/∂x_1)`.
///
/// Cost: 3 forward sweeps (the off-diagonal Jacobian entries are all needed).
/// Panics unless `x` and the field's value have length 3.
///
/// ```
/// use autodiff_runtime::drivers::curl;
/// // the rotation field (-y, x, 0)
/// fn f_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
///     (vec![-x[1], x[0], 0.0], vec![-d[1], d[0], 0.0])
/// }
/// assert_eq!(curl(f_jvp, &[1.0, 2.0, 3.0]), [0.0, 0.0, 2.0]);
/// ```
#[track_caller]
pub fn curl<F: Real>(jvp: impl Fn(&[F], &[F]) -> (Vec<F>, Vec<F>), x: &[F]) -> [F; 3] {
    check_len("curl", "x", x.len(), "a field on R^3", 3);
    let mut rows: Vec<Vec<F>> = Vec::new();
    for j in 0..3 {
        forward_column("curl", &jvp, x, j, &mut rows);
    }
    check_len("curl", "the field's value", rows.len(), "a field on R^3", 3);
    [
        rows[2][1] - rows[1][2],
        rows[0][2] - rows[2][0],
        rows[1][0] - rows[0][1],
    ]
}

/// What [`inverse_hvp_cg`] found.
///
/// ```
/// use autodiff_runtime::drivers::CgResult;
/// let r = CgResult { solution: vec![1.0_f64], iterations: 1, residual_norm: 0.0, converged: true };
/// assert!(r.converged && r.solution == [1.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CgResult<F> {
    /// The approximate solution `y` of `H y = b`.
    pub solution: Vec<F>,
    /// Conjugate-gradient iterations taken (one Hessian-vector product each).
    pub iterations: usize,
    /// `||b - H y||`, as tracked by the iteration's recurrence.
    pub residual_norm: F,
    /// Whether `residual_norm <= tol * ||b||`. `false` when `max_iter` ran out
    /// or the Hessian showed non-positive curvature (it must be symmetric
    /// positive definite for CG).
    pub converged: bool,
}

/// Solves `H y = b` (an inverse-Hessian-vector product) by conjugate gradients,
/// touching the Hessian only through Hessian-vector products: it is never
/// formed, so this works for any `n` a gradient works for.
///
/// Starts from `y = 0` and stops when `||b - H y|| <= tol * ||b||` (relative
/// residual), after `max_iter` iterations, or when a search direction `p` has
/// `p · H p <= 0` (the Hessian is not positive definite there; the result then
/// reports `converged: false` with the iterate reached so far).
///
/// Cost: one forward-over-reverse sweep per iteration; at most `n` iterations in
/// exact arithmetic for a symmetric positive definite `H`, usually far fewer
/// when its eigenvalues cluster. Panics if `b.len() != x.len()`.
///
/// ```
/// use autodiff_runtime::drivers::inverse_hvp_cg;
/// // f(x) = x0^2 + x0 x1 + x1^2: H = [[2, 1], [1, 2]]
/// fn f_vjp_jvp(x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
///     let g = [2.0 * x[0] + x[1], x[0] + 2.0 * x[1]];
///     let hv = [2.0 * d_x[0] + d_x[1], d_x[0] + 2.0 * d_x[1]];
///     (
///         (x[0] * x[0] + x[0] * x[1] + x[1] * x[1], vec![d_out * g[0], d_out * g[1]]),
///         (g[0] * d_x[0] + g[1] * d_x[1], vec![d_out * hv[0] + d_d_out * g[0], d_out * hv[1] + d_d_out * g[1]]),
///     )
/// }
/// // H (1, -2) = (0, -3)
/// let r = inverse_hvp_cg(f_vjp_jvp, &[0.3, 0.7], &[0.0, -3.0], 1e-12, 10);
/// assert!(r.converged && r.iterations <= 2);
/// assert!((r.solution[0] - 1.0).abs() < 1e-12 && (r.solution[1] + 2.0).abs() < 1e-12);
/// ```
#[track_caller]
pub fn inverse_hvp_cg<F: Real>(
    vjp_jvp: impl Fn(&[F], F, &[F], F) -> ((F, Vec<F>), (F, Vec<F>)),
    x: &[F],
    b: &[F],
    tol: F,
    max_iter: usize,
) -> CgResult<F> {
    const WHO: &str = "inverse_hvp_cg";
    check_len(WHO, "b", b.len(), "x", x.len());
    let n = x.len();
    let mut y = vec![F::ZERO; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut rr = dot(&r, &r);
    let threshold = tol * rr.sqrt();
    let mut iterations = 0;
    while rr.sqrt() > threshold && iterations < max_iter {
        let hp = hvp_unchecked(WHO, &vjp_jvp, x, &p);
        let curvature = dot(&p, &hp);
        if curvature <= F::ZERO || curvature.is_nan() {
            return CgResult {
                solution: y,
                iterations,
                residual_norm: rr.sqrt(),
                converged: false,
            };
        }
        let alpha = rr / curvature;
        for ((yi, ri), (&pi, &hpi)) in y.iter_mut().zip(r.iter_mut()).zip(p.iter().zip(&hp)) {
            *yi += alpha * pi;
            *ri -= alpha * hpi;
        }
        let rr_next = dot(&r, &r);
        let beta = rr_next / rr;
        for (pi, &ri) in p.iter_mut().zip(&r) {
            *pi = ri + beta * *pi;
        }
        rr = rr_next;
        iterations += 1;
    }
    let residual_norm = rr.sqrt();
    CgResult {
        solution: y,
        iterations,
        residual_norm,
        converged: residual_norm <= threshold,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a `vjp_jvp` returns: `((value, gradient), (tangent, Hessian-vector product))`.
    type VjpJvpOut = ((f64, Vec<f64>), (f64, Vec<f64>));

    // ---- Rosenbrock, f(x) = Σ_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 ----

    fn rosenbrock(x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
            .sum()
    }

    fn rosenbrock_gradient(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut g = vec![0.0; n];
        for i in 0..n - 1 {
            let t = x[i + 1] - x[i] * x[i];
            g[i] += -400.0 * x[i] * t - 2.0 * (1.0 - x[i]);
            g[i + 1] += 200.0 * t;
        }
        g
    }

    /// The closed-form Hessian entry by entry: tridiagonal.
    fn rosenbrock_hessian(x: &[f64]) -> Vec<Vec<f64>> {
        let n = x.len();
        let mut h = vec![vec![0.0; n]; n];
        for i in 0..n {
            if i + 1 < n {
                h[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
                h[i][i + 1] = -400.0 * x[i];
                h[i + 1][i] = -400.0 * x[i];
            }
            if i > 0 {
                h[i][i] += 200.0;
            }
        }
        h
    }

    // The shapes the macro generates, hand-written.
    fn rosenbrock_vjp(x: &[f64], d_out: f64) -> (f64, Vec<f64>) {
        (
            rosenbrock(x),
            rosenbrock_gradient(x)
                .into_iter()
                .map(|g| d_out * g)
                .collect(),
        )
    }

    fn rosenbrock_jvp(x: &[f64], d_x: &[f64]) -> (f64, f64) {
        (rosenbrock(x), dot(&rosenbrock_gradient(x), d_x))
    }

    /// Tangent of `(f, d_out ∇f)`: `(∇f · d_x, d_out H d_x + d_d_out ∇f)`, with
    /// `H d_x` from the band structure (not from the dense matrix above).
    fn rosenbrock_vjp_jvp(
        x: &[f64],
        d_out: f64,
        d_x: &[f64],
        d_d_out: f64,
    ) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
        let n = x.len();
        let g = rosenbrock_gradient(x);
        let mut hv = vec![0.0; n];
        for i in 0..n - 1 {
            // d/dε of the two gradient contributions of term i
            let t = x[i + 1] - x[i] * x[i];
            let dt = d_x[i + 1] - 2.0 * x[i] * d_x[i];
            hv[i] += -400.0 * (d_x[i] * t + x[i] * dt) + 2.0 * d_x[i];
            hv[i + 1] += 200.0 * dt;
        }
        let value = (rosenbrock(x), g.iter().map(|gi| d_out * gi).collect());
        let tangent = (
            dot(&g, d_x),
            hv.iter()
                .zip(&g)
                .map(|(h, gi)| d_out * h + d_d_out * gi)
                .collect(),
        );
        (value, tangent)
    }

    fn assert_close(a: f64, b: f64) {
        assert!(
            (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs())),
            "{a} vs {b}"
        );
    }

    #[test]
    fn gradient_of_rosenbrock_at_the_classic_start() {
        let (value, g) = gradient(rosenbrock_vjp, &[-1.2, 1.0]);
        assert_close(value, 24.2);
        assert_close(g[0], -215.6);
        assert_close(g[1], -88.0);
    }

    #[test]
    fn gradient_vanishes_at_the_minimum() {
        assert_eq!(gradient(rosenbrock_vjp, &[1.0; 5]), (0.0, vec![0.0; 5]));
    }

    #[test]
    fn gradient_works_in_f32_through_a_closure() {
        let vjp = |x: &[f32], d: f32| (x[0] * x[0], vec![d * 2.0 * x[0]]);
        assert_eq!(gradient(vjp, &[1.5_f32]), (2.25, vec![3.0]));
    }

    #[test]
    #[should_panic(
        expected = "gradient: the adjoint returned by vjp has length 1 but x has length 2"
    )]
    fn gradient_rejects_a_wrong_adjoint_length() {
        gradient(|_: &[f64], _| (0.0, vec![0.0]), &[1.0, 2.0]);
    }

    #[test]
    fn directional_derivative_is_gradient_dot_v() {
        let x = [0.5, -0.3, 1.2, 0.9];
        let v = [1.0, 2.0, -1.0, 0.5];
        let (value, d) = directional_derivative(rosenbrock_jvp, &x, &v);
        assert_eq!(value, rosenbrock(&x));
        assert_close(d, dot(&rosenbrock_gradient(&x), &v));
    }

    #[test]
    #[should_panic(expected = "directional_derivative: v has length 3 but x has length 2")]
    fn directional_derivative_rejects_a_wrong_direction_length() {
        directional_derivative(rosenbrock_jvp, &[1.0, 2.0], &[1.0, 0.0, 0.0]);
    }

    // ---- a non-square map R^3 -> R^2 and its transpose-shaped cousin R^2 -> R^3 ----

    fn wide(x: &[f64]) -> Vec<f64> {
        vec![x[0] * x[1] + x[2].sin(), x[0] * x[0] * x[2]]
    }
    fn wide_jacobian(x: &[f64]) -> Vec<Vec<f64>> {
        vec![
            vec![x[1], x[0], x[2].cos()],
            vec![2.0 * x[0] * x[2], 0.0, x[0] * x[0]],
        ]
    }
    fn wide_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let t0 = x[1] * d[0] + x[0] * d[1] + x[2].cos() * d[2];
        let t1 = 2.0 * x[0] * x[2] * d[0] + x[0] * x[0] * d[2];
        (wide(x), vec![t0, t1])
    }
    fn wide_vjp(x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let a0 = x[1] * w[0] + 2.0 * x[0] * x[2] * w[1];
        let a1 = x[0] * w[0];
        let a2 = x[2].cos() * w[0] + x[0] * x[0] * w[1];
        (wide(x), vec![a0, a1, a2])
    }

    fn tall(x: &[f64]) -> Vec<f64> {
        vec![x[0] * x[1], x[0].exp(), x[1] * x[1] - x[0]]
    }
    fn tall_jacobian(x: &[f64]) -> Vec<Vec<f64>> {
        vec![
            vec![x[1], x[0]],
            vec![x[0].exp(), 0.0],
            vec![-1.0, 2.0 * x[1]],
        ]
    }
    fn tall_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (
            tall(x),
            vec![
                x[1] * d[0] + x[0] * d[1],
                x[0].exp() * d[0],
                -d[0] + 2.0 * x[1] * d[1],
            ],
        )
    }
    fn tall_vjp(x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
        (
            tall(x),
            vec![
                x[1] * w[0] + x[0].exp() * w[1] - w[2],
                x[0] * w[0] + 2.0 * x[1] * w[2],
            ],
        )
    }

    #[test]
    fn jacobians_of_a_wide_map_agree_exactly_by_both_modes() {
        let x = [0.7, -1.3, 0.4];
        let forward = jacobian_forward(wide_jvp, &x);
        let reverse = jacobian_reverse(wide, wide_vjp, &x);
        assert_eq!(forward, wide_jacobian(&x));
        assert_eq!(forward, reverse);
        // m = 2 < n = 3: the automatic choice is reverse, same matrix
        assert_eq!(jacobian(wide_jvp, wide_vjp, &x), forward);
    }

    #[test]
    fn jacobians_of_a_tall_map_agree_exactly_by_both_modes() {
        let x = [0.3, 2.5];
        let forward = jacobian_forward(tall_jvp, &x);
        let reverse = jacobian_reverse(tall, tall_vjp, &x);
        assert_eq!(forward, tall_jacobian(&x));
        assert_eq!(forward, reverse);
        assert_eq!(jacobian(tall_jvp, tall_vjp, &x), forward);
    }

    /// The sweeps each driver makes, counted.
    #[test]
    fn jacobian_chooses_the_cheaper_mode() {
        use std::cell::Cell;
        let forward_calls = Cell::new(0);
        let reverse_calls = Cell::new(0);
        let count_jvp = |x: &[f64], d: &[f64]| {
            forward_calls.set(forward_calls.get() + 1);
            wide_jvp(x, d)
        };
        let count_vjp = |x: &[f64], w: &[f64]| {
            reverse_calls.set(reverse_calls.get() + 1);
            wide_vjp(x, w)
        };
        jacobian(count_jvp, count_vjp, &[0.7, -1.3, 0.4]);
        assert_eq!((forward_calls.get(), reverse_calls.get()), (1, 2));

        let (forward_calls, reverse_calls) = (Cell::new(0), Cell::new(0));
        let count_jvp = |x: &[f64], d: &[f64]| {
            forward_calls.set(forward_calls.get() + 1);
            tall_jvp(x, d)
        };
        let count_vjp = |x: &[f64], w: &[f64]| {
            reverse_calls.set(reverse_calls.get() + 1);
            tall_vjp(x, w)
        };
        jacobian(count_jvp, count_vjp, &[0.3, 2.5]);
        assert_eq!((forward_calls.get(), reverse_calls.get()), (2, 0));
    }

    // ---- vector mode ----

    /// A map R^n -> R^2 for any n: (Σ x_i x_{i+1 mod n}, Σ i sin x_i).
    fn long(x: &[f64]) -> Vec<f64> {
        let mut a = 0.0;
        let mut b = 0.0;
        for i in 0..x.len() {
            a += x[i] * x[(i + 1) % x.len()];
            b += x[i].sin() * i as f64;
        }
        vec![a, b]
    }
    fn long_jacobian(x: &[f64]) -> Vec<Vec<f64>> {
        let n = x.len();
        let mut j = vec![vec![0.0; n]; 2];
        for i in 0..n {
            j[0][i] += x[(i + 1) % n];
            j[0][(i + 1) % n] += x[i];
            j[1][i] = x[i].cos() * i as f64;
        }
        j
    }
    fn long_jvp_vec<const K: usize>(
        x: &[f64],
        d: &[Lanes<f64, K>],
    ) -> (Vec<f64>, Vec<Lanes<f64, K>>) {
        let n = x.len();
        let (mut ta, mut tb) = (Lanes::zero(), Lanes::zero());
        for i in 0..n {
            ta += d[i] * x[(i + 1) % n] + d[(i + 1) % n] * x[i];
            tb += d[i] * (x[i].cos() * i as f64);
        }
        (long(x), vec![ta, tb])
    }
    fn long_vjp(x: &[f64], w: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = x.len();
        let mut g = vec![0.0; n];
        for i in 0..n {
            g[i] += w[0] * x[(i + 1) % n] + w[1] * x[i].cos() * i as f64;
            g[(i + 1) % n] += w[0] * x[i];
        }
        (long(x), g)
    }

    #[test]
    fn jacobian_forward_vec_takes_ceil_n_over_k_sweeps() {
        use std::cell::Cell;
        // small integers: every product and sum is exact, whatever the order
        let x: Vec<f64> = (0..7).map(|i| (i as f64) - 3.0).collect();
        let want = long_jacobian(&x);
        let sweeps = Cell::new(0);
        macro_rules! check {
            ($k:literal, $expected_sweeps:expr) => {{
                sweeps.set(0);
                let counted = |x: &[f64], d: &[Lanes<f64, $k>]| {
                    sweeps.set(sweeps.get() + 1);
                    long_jvp_vec(x, d)
                };
                assert_eq!(jacobian_forward_vec(counted, &x), want, "K = {}", $k);
                assert_eq!(sweeps.get(), $expected_sweeps, "K = {}", $k);
            }};
        }
        check!(1, 7);
        check!(2, 4);
        check!(3, 3);
        check!(7, 1);
        check!(16, 1);
    }

    #[test]
    fn jacobian_vec_chooses_the_cheaper_mode() {
        use std::cell::Cell;
        let x: Vec<f64> = (0..9).map(|i| (i as f64) * 0.5 - 2.0).collect();
        let (fwd, rev) = (Cell::new(0), Cell::new(0));
        macro_rules! run {
            ($k:literal) => {{
                fwd.set(0);
                rev.set(0);
                let j = jacobian_vec(
                    |x: &[f64], d: &[Lanes<f64, $k>]| {
                        fwd.set(fwd.get() + 1);
                        long_jvp_vec(x, d)
                    },
                    |x: &[f64], w: &[f64]| {
                        rev.set(rev.get() + 1);
                        long_vjp(x, w)
                    },
                    &x,
                );
                (j, fwd.get(), rev.get())
            }};
        }
        // n = 9, m = 2: K = 4 needs 3 vector sweeps, the first plus 2 more <= m: forward
        let (j, f, r) = run!(4);
        assert_eq!((f, r), (3, 0));
        assert_eq!(j, jacobian_forward_vec(long_jvp_vec::<4>, &x));
        // K = 2 needs 5: after the first, 4 > m = 2 reverse sweeps: reverse
        let (j, f, r) = run!(2);
        assert_eq!((f, r), (1, 2));
        assert_eq!(j, jacobian_reverse(long, long_vjp, &x));
        for (a, b) in j.iter().flatten().zip(long_jacobian(&x).iter().flatten()) {
            assert_close(*a, *b);
        }
        // K >= n: the first sweep is the whole Jacobian
        let (j, f, r) = run!(16);
        assert_eq!((f, r), (1, 0));
        assert_eq!(j, long_jacobian(&x));
    }

    #[test]
    fn vector_jacobians_with_no_inputs_or_no_outputs() {
        let jvp = |_: &[f64], _: &[Lanes<f64, 2>]| (vec![1.0, 2.0], vec![Lanes::zero(); 2]);
        let vjp = |_: &[f64], _: &[f64]| (vec![1.0, 2.0], vec![]);
        assert_eq!(jacobian_forward_vec(jvp, &[]), vec![Vec::<f64>::new(); 2]);
        assert_eq!(jacobian_vec(jvp, vjp, &[]), vec![Vec::<f64>::new(); 2]);
        let none = |_: &[f64], _: &[Lanes<f64, 2>]| (Vec::new(), Vec::new());
        assert!(jacobian_forward_vec(none, &[1.0, 2.0, 3.0]).is_empty());
    }

    #[test]
    #[should_panic(expected = "jacobian_forward_vec: K = 0 lanes carry no tangent; use K >= 1")]
    fn jacobian_forward_vec_rejects_zero_lanes() {
        jacobian_forward_vec(long_jvp_vec::<0>, &[1.0, 2.0]);
    }

    #[test]
    #[should_panic(
        expected = "jacobian_forward_vec: the tangent returned by jvp_vec has length 1 but its value has length 2"
    )]
    fn jacobian_forward_vec_rejects_a_wrong_tangent_length() {
        jacobian_forward_vec(
            |x: &[f64], _: &[Lanes<f64, 2>]| (long(x), vec![Lanes::zero()]),
            &[1.0, 2.0, 3.0],
        );
    }

    #[test]
    fn hessian_vec_equals_hessian_column_for_column() {
        // the Rosenbrock Hessian, K columns per sweep, from its HVP lane by lane
        #[allow(clippy::type_complexity)]
        fn vjp_jvp_vec<const K: usize>(
            x: &[f64],
            d_out: f64,
            d_x: &[Lanes<f64, K>],
            d_d_out: Lanes<f64, K>,
        ) -> ((f64, Vec<f64>), (Lanes<f64, K>, Vec<Lanes<f64, K>>)) {
            let mut t = Lanes::zero();
            let mut hv = vec![Lanes::zero(); x.len()];
            for k in 0..K {
                let dk: Vec<f64> = d_x.iter().map(|l| l[k]).collect();
                let (_, (tk, hk)) = rosenbrock_vjp_jvp(x, d_out, &dk, d_d_out[k]);
                t[k] = tk;
                for (h, v) in hv.iter_mut().zip(hk) {
                    h[k] = v;
                }
            }
            let (v, g) = rosenbrock_vjp(x, d_out);
            ((v, g), (t, hv))
        }
        let x = [-1.2, 1.0, 0.5, 2.0, 0.7];
        let h = hessian(rosenbrock_vjp_jvp, &x);
        assert_eq!(hessian_vec(vjp_jvp_vec::<2>, &x), h);
        assert_eq!(hessian_vec(vjp_jvp_vec::<5>, &x), h);
        assert_eq!(hessian_vec(vjp_jvp_vec::<8>, &x), h);
    }

    #[test]
    fn jacobian_of_the_spec_example() {
        fn f_jvp(x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
            let value = vec![x[0] * x[1] * x[2], x[1] * x[1], x[0] + x[2]];
            let t = vec![
                x[1] * x[2] * d[0] + x[0] * x[2] * d[1] + x[0] * x[1] * d[2],
                2.0 * x[1] * d[1],
                d[0] + d[2],
            ];
            (value, t)
        }
        let want = vec![
            vec![6.0, 3.0, 2.0],
            vec![0.0, 4.0, 0.0],
            vec![1.0, 0.0, 1.0],
        ];
        assert_eq!(jacobian_forward(f_jvp, &[1.0, 2.0, 3.0]), want);
    }

    #[test]
    fn jacobian_with_no_inputs_has_m_empty_rows() {
        let jvp = |_: &[f64], _: &[f64]| (vec![1.0, 2.0], vec![0.0, 0.0]);
        let vjp = |_: &[f64], _: &[f64]| (vec![1.0, 2.0], vec![]);
        assert_eq!(jacobian_forward(jvp, &[]), vec![Vec::<f64>::new(); 2]);
        assert_eq!(jacobian(jvp, vjp, &[]), vec![Vec::<f64>::new(); 2]);
        assert_eq!(
            jacobian_reverse(|_: &[f64]| vec![1.0, 2.0], vjp, &[]),
            vec![Vec::<f64>::new(); 2]
        );
    }

    #[test]
    fn jacobian_of_a_map_with_no_outputs_is_empty() {
        let jvp = |_: &[f64], _: &[f64]| (Vec::new(), Vec::new());
        let vjp = |x: &[f64], _: &[f64]| (Vec::new(), vec![0.0; x.len()]);
        assert!(jacobian(jvp, vjp, &[1.0, 2.0]).is_empty());
        assert!(jacobian_reverse(|_: &[f64]| Vec::new(), vjp, &[1.0, 2.0]).is_empty());
    }

    #[test]
    #[should_panic(
        expected = "jacobian_reverse: the adjoint returned by vjp has length 2 but x has length 3"
    )]
    fn jacobian_reverse_rejects_a_wrong_adjoint_length() {
        jacobian_reverse(
            wide,
            |x: &[f64], _: &[f64]| (wide(x), vec![0.0; 2]),
            &[0.7, -1.3, 0.4],
        );
    }

    #[test]
    #[should_panic(
        expected = "jacobian_forward: the tangent returned by jvp has length 1 but its value has length 2"
    )]
    fn jacobian_forward_rejects_a_wrong_tangent_length() {
        jacobian_forward(
            |x: &[f64], _: &[f64]| (wide(x), vec![0.0]),
            &[0.7, -1.3, 0.4],
        );
    }

    #[test]
    fn hvp_and_hessian_of_rosenbrock_match_the_closed_form() {
        let x = [-1.2, 1.0, 0.5, 2.0];
        let h = rosenbrock_hessian(&x);
        let computed = hessian(rosenbrock_vjp_jvp, &x);
        for (a, b) in computed.iter().zip(&h) {
            for (&p, &q) in a.iter().zip(b) {
                assert_close(p, q);
            }
        }
        let v = [0.3, -1.0, 2.0, 0.25];
        let hv = hvp(rosenbrock_vjp_jvp, &x, &v);
        for (i, row) in h.iter().enumerate() {
            assert_close(hv[i], dot(row, &v));
        }
    }

    #[test]
    fn hessian_of_rosenbrock_at_the_minimum() {
        assert_eq!(
            hessian(rosenbrock_vjp_jvp, &[1.0, 1.0]),
            vec![vec![802.0, -400.0], vec![-400.0, 200.0]]
        );
    }

    #[test]
    #[should_panic(expected = "hvp: v has length 3 but x has length 2")]
    fn hvp_rejects_a_wrong_direction_length() {
        hvp(rosenbrock_vjp_jvp, &[1.0, 2.0], &[1.0, 0.0, 0.0]);
    }

    #[test]
    #[should_panic(
        expected = "hessian: the Hessian-vector product returned by vjp_jvp has length 1 but x has length 2"
    )]
    fn hessian_rejects_a_wrong_hvp_length() {
        hessian(
            |x: &[f64], _, _: &[f64], _| ((0.0, vec![0.0; x.len()]), (0.0, vec![0.0])),
            &[1.0, 2.0],
        );
    }

    /// `sum(x_i^2)`: gradient `2x`, Hessian `2I`.
    fn sum_of_squares_vjp_jvp(
        x: &[f64],
        d_out: f64,
        d_x: &[f64],
        d_d_out: f64,
    ) -> ((f64, Vec<f64>), (f64, Vec<f64>)) {
        let value = x.iter().map(|v| v * v).sum();
        let grad: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        let tangent = dot(&grad, d_x);
        let hv = d_x
            .iter()
            .zip(&grad)
            .map(|(d, g)| d_out * 2.0 * d + d_d_out * g)
            .collect();
        (
            (value, grad.iter().map(|g| d_out * g).collect()),
            (tangent, hv),
        )
    }

    #[test]
    fn laplacian_of_sum_of_squares_is_2n() {
        for n in [1, 3, 10] {
            let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 1.0).collect();
            assert_eq!(laplacian(sum_of_squares_vjp_jvp, &x), 2.0 * n as f64);
            assert_eq!(
                laplacian_diagonal(sum_of_squares_vjp_jvp, &x),
                2.0 * n as f64
            );
        }
    }

    #[test]
    fn laplacian_of_rosenbrock_is_the_trace_of_its_hessian() {
        let x = [-1.2, 1.0, 0.5];
        let trace: f64 = (0..3).map(|i| rosenbrock_hessian(&x)[i][i]).sum();
        assert_close(laplacian(rosenbrock_vjp_jvp, &x), trace);
        // the Hessian is not diagonal, so the one-sweep shortcut sums every entry instead
        let all: f64 = rosenbrock_hessian(&x).iter().flatten().sum();
        assert_close(laplacian_diagonal(rosenbrock_vjp_jvp, &x), all);
    }

    #[test]
    fn laplacian_of_no_inputs_is_zero() {
        assert_eq!(laplacian(sum_of_squares_vjp_jvp, &[]), 0.0);
    }

    #[test]
    fn divergence_of_a_general_field() {
        // f = (x0 x1, x1 sin x2, x0 + x2^2): div = x1 + sin x2 + 2 x2
        let f_jvp = |x: &[f64], d: &[f64]| {
            let value = vec![x[0] * x[1], x[1] * x[2].sin(), x[0] + x[2] * x[2]];
            let t = vec![
                x[1] * d[0] + x[0] * d[1],
                x[2].sin() * d[1] + x[1] * x[2].cos() * d[2],
                d[0] + 2.0 * x[2] * d[2],
            ];
            (value, t)
        };
        let x = [0.5, 2.0, 0.75];
        assert_close(divergence(f_jvp, &x), 2.0 + 0.75_f64.sin() + 1.5);
    }

    #[test]
    fn divergence_of_the_gradient_field_is_the_laplacian() {
        // the SPEC's `vectors` example: ∇ dot(x, x) = 2x, divergence 6 at ones(3)
        let grad_jvp = |x: &[f64], d: &[f64]| {
            let ((_, g), (_, hv)) = sum_of_squares_vjp_jvp(x, 1.0, d, 0.0);
            (g, hv)
        };
        assert_eq!(divergence(grad_jvp, &[1.0; 3]), 6.0);
        assert_eq!(divergence_diagonal(grad_jvp, &[1.0; 3]), 6.0);
    }

    #[test]
    fn divergence_diagonal_of_an_elementwise_field_in_f32() {
        let f_jvp = |x: &[f32], d: &[f32]| {
            (
                x.iter().map(|v| v * v * v).collect(),
                x.iter().zip(d).map(|(v, t)| 3.0 * v * v * t).collect(),
            )
        };
        assert_eq!(divergence_diagonal(f_jvp, &[1.0_f32, 2.0]), 3.0 + 12.0);
        assert_eq!(divergence(f_jvp, &[1.0_f32, 2.0]), 3.0 + 12.0);
    }

    #[test]
    #[should_panic(expected = "divergence: the field's value has length 2 but x has length 3")]
    fn divergence_rejects_a_non_square_field() {
        divergence(wide_jvp, &[0.7, -1.3, 0.4]);
    }

    #[test]
    fn curl_of_the_rotation_field_is_2_ez() {
        let f_jvp = |x: &[f64], d: &[f64]| (vec![-x[1], x[0], 0.0], vec![-d[1], d[0], 0.0]);
        assert_eq!(curl(f_jvp, &[0.3, -2.0, 5.0]), [0.0, 0.0, 2.0]);
    }

    #[test]
    fn curl_of_a_gradient_field_vanishes_and_a_general_field_matches() {
        // ∇(x y z) = (y z, x z, x y): curl 0
        let grad_jvp = |x: &[f64], d: &[f64]| {
            (
                vec![x[1] * x[2], x[0] * x[2], x[0] * x[1]],
                vec![
                    x[2] * d[1] + x[1] * d[2],
                    x[2] * d[0] + x[0] * d[2],
                    x[1] * d[0] + x[0] * d[1],
                ],
            )
        };
        assert_eq!(curl(grad_jvp, &[1.5, -2.0, 0.5]), [0.0, 0.0, 0.0]);
        // f = (y z^2, x^2, sin y): curl = (cos y, 2 y z, 2 x - z^2)
        let f_jvp = |x: &[f64], d: &[f64]| {
            (
                vec![x[1] * x[2] * x[2], x[0] * x[0], x[1].sin()],
                vec![
                    x[2] * x[2] * d[1] + 2.0 * x[1] * x[2] * d[2],
                    2.0 * x[0] * d[0],
                    x[1].cos() * d[1],
                ],
            )
        };
        let (a, b, c) = (1.5, -2.0, 0.5);
        assert_eq!(
            curl(f_jvp, &[a, b, c]),
            [b.cos(), 2.0 * b * c, 2.0 * a - c * c]
        );
    }

    #[test]
    #[should_panic(expected = "curl: x has length 2 but a field on R^3 has length 3")]
    fn curl_rejects_a_point_not_in_r3() {
        curl(|x: &[f64], _: &[f64]| (x.to_vec(), x.to_vec()), &[1.0, 2.0]);
    }

    /// `f(x) = ½ xᵀ A x - cᵀ x` with `A = Bᵀ B + I` (symmetric positive definite):
    /// HVP = `A v` (with `c` only in the gradient).
    fn spd_matrix(n: usize) -> Vec<Vec<f64>> {
        let b: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| ((i * 7 + j * 3) % 5) as f64 - 2.0 + if i == j { 1.0 } else { 0.0 })
                    .collect()
            })
            .collect();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        (0..n).map(|k| b[k][i] * b[k][j]).sum::<f64>()
                            + if i == j { 1.0 } else { 0.0 }
                    })
                    .collect()
            })
            .collect()
    }

    fn quadratic_vjp_jvp(a: &[Vec<f64>]) -> impl Fn(&[f64], f64, &[f64], f64) -> VjpJvpOut + '_ {
        move |x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64| {
            let ax: Vec<f64> = a.iter().map(|row| dot(row, x)).collect();
            let grad: Vec<f64> = ax.iter().map(|v| v - 1.0).collect();
            let value = 0.5 * dot(x, &ax) - x.iter().sum::<f64>();
            let hv: Vec<f64> = a.iter().map(|row| dot(row, d_x)).collect();
            (
                (value, grad.iter().map(|g| d_out * g).collect()),
                (
                    dot(&grad, d_x),
                    hv.iter()
                        .zip(&grad)
                        .map(|(h, g)| d_out * h + d_d_out * g)
                        .collect(),
                ),
            )
        }
    }

    #[test]
    fn cg_recovers_the_solution_of_an_spd_system() {
        let n = 6;
        let a = spd_matrix(n);
        let want: Vec<f64> = (0..n).map(|i| (i as f64 - 2.5) * 0.75).collect();
        let b: Vec<f64> = a.iter().map(|row| dot(row, &want)).collect();
        let x = vec![0.25; n];
        let r = inverse_hvp_cg(quadratic_vjp_jvp(&a), &x, &b, 1e-12, 100);
        assert!(r.converged, "{r:?}");
        assert!(r.iterations <= n + 2, "{r:?}");
        assert!(r.residual_norm <= 1e-12 * dot(&b, &b).sqrt());
        for (got, want) in r.solution.iter().zip(&want) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn cg_counts_one_hvp_per_iteration() {
        use std::cell::Cell;
        let a = spd_matrix(5);
        let calls = Cell::new(0);
        let inner = quadratic_vjp_jvp(&a);
        let counted = |x: &[f64], d: f64, dx: &[f64], dd: f64| {
            calls.set(calls.get() + 1);
            inner(x, d, dx, dd)
        };
        let r = inverse_hvp_cg(counted, &[0.0; 5], &[1.0, 0.0, -1.0, 2.0, 0.5], 1e-10, 100);
        assert!(r.converged);
        assert_eq!(calls.get(), r.iterations);
    }

    #[test]
    fn cg_on_rosenbrock_near_the_minimum_inverts_the_hessian() {
        let x = [1.0, 1.0, 1.0, 1.0];
        let b = [1.0, -2.0, 0.5, 3.0];
        let r = inverse_hvp_cg(rosenbrock_vjp_jvp, &x, &b, 1e-13, 50);
        assert!(r.converged, "{r:?}");
        let hy = hvp(rosenbrock_vjp_jvp, &x, &r.solution);
        for (got, want) in hy.iter().zip(&b) {
            assert!((got - want).abs() < 1e-8, "{got} vs {want}");
        }
    }

    #[test]
    fn cg_with_a_zero_right_hand_side_returns_zero_at_once() {
        let a = spd_matrix(3);
        let r = inverse_hvp_cg(quadratic_vjp_jvp(&a), &[1.0; 3], &[0.0; 3], 1e-10, 10);
        assert_eq!(
            r,
            CgResult {
                solution: vec![0.0; 3],
                iterations: 0,
                residual_norm: 0.0,
                converged: true
            }
        );
    }

    #[test]
    fn cg_stops_at_max_iter_unconverged() {
        let a = spd_matrix(6);
        let r = inverse_hvp_cg(quadratic_vjp_jvp(&a), &[0.0; 6], &[1.0; 6], 1e-14, 1);
        assert_eq!(r.iterations, 1);
        assert!(!r.converged);
        assert!(r.residual_norm > 0.0);
    }

    #[test]
    fn cg_reports_negative_curvature() {
        // f = x0^2 - x1^2: H = diag(2, -2)
        let indefinite = |x: &[f64], d_out: f64, d_x: &[f64], d_d_out: f64| {
            let g = [2.0 * x[0], -2.0 * x[1]];
            let hv = [2.0 * d_x[0], -2.0 * d_x[1]];
            (
                (x[0] * x[0] - x[1] * x[1], vec![d_out * g[0], d_out * g[1]]),
                (
                    g[0] * d_x[0] + g[1] * d_x[1],
                    vec![
                        d_out * hv[0] + d_d_out * g[0],
                        d_out * hv[1] + d_d_out * g[1],
                    ],
                ),
            )
        };
        let r = inverse_hvp_cg(indefinite, &[0.0, 0.0], &[0.0, 1.0], 1e-10, 10);
        assert!(!r.converged);
        assert_eq!(r.iterations, 0);
    }

    #[test]
    #[should_panic(expected = "inverse_hvp_cg: b has length 2 but x has length 3")]
    fn cg_rejects_a_wrong_right_hand_side_length() {
        inverse_hvp_cg(sum_of_squares_vjp_jvp, &[1.0; 3], &[1.0; 2], 1e-10, 10);
    }

    #[test]
    fn drivers_accept_generic_fn_items() {
        fn square_vjp<F: Real>(x: &[F], d_out: F) -> (F, Vec<F>) {
            (x[0] * x[0], vec![d_out * (x[0] + x[0])])
        }
        assert_eq!(gradient(square_vjp::<f32>, &[3.0]), (9.0, vec![6.0]));
        assert_eq!(gradient(square_vjp, &[3.0_f64]), (9.0, vec![6.0]));
    }
}
