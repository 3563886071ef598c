//! THE table of tensor derivative rules: one row per tensor primitive, each with
//! its value, its JVP (forward) and its VJP (reverse) rule, like PyTorch's
//! `derivatives.yaml`. Long rules are named functions below the table.
//!
//! Every row becomes a module `rules::NAME` with
//! - `ARITY`: the number of tensor arguments (all differentiable);
//! - `value(args, params...) -> Out`: the primitive;
//! - `jvp(args, tangents, params...) -> (Out, Out)`: the value and its tangent.
//!   A tangent is `Option<&Tensor>`: `None` is a symbolic zero and costs nothing;
//! - `vjp(args, out, g, needs, params...) -> [Option<Tensor>; ARITY]`: the
//!   adjoint of each argument given the primal output `out` (as computed by
//!   `value`) and its cotangent `g`. An argument whose `needs` flag is `false`
//!   gets `None`, with no work or allocation spent on it.
//!
//! `args` is `[&Tensor<F>; ARITY]`; `params` are non-differentiable arguments
//! (an exponent, an axis, a shape); `Out` is `Tensor<F>` or, for reductions to
//! one number, `F`. Tangents and seeds are checked against their primals'
//! shapes, and a mismatch panics naming the rule and both shapes.
//!
//! Formula language of the rows, in Rust syntax:
//!
//! ```text
//! name(arg, ...; param: Type, ...) -> Out {
//!     value => expression of the args and params,
//!     jvp(tangent, ...) => (value, tangent),
//!     vjp(out, g, needs) => [adjoint of each arg as Option<Tensor>],
//! }
//! ```
//!
//! Elementwise rows take their derivative from the scalar table
//! ([`crate::rules`]) through [`ScalarRules`], so the scalar math is written
//! once. Non-differentiable points follow the scalar table's (JAX's)
//! convention: `relu'(0) = 0`, and the derivative of `max`/`min` reductions
//! goes to the first extreme element.
//!
//! ```
//! use autodiff_runtime::tensor::rules::{matmul, NAMES};
//! use autodiff_runtime::Tensor;
//! let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
//! let x = Tensor::from_vec(vec![1.0, -1.0], &[2]);
//! let y = matmul::value([&a, &x]);
//! assert_eq!(y.to_vec(), vec![-1.0, -1.0]);
//! // forward: d(A x) with dx = 0 (a symbolic zero) and dA = I
//! let (_, dy) = matmul::jvp([&a, &x], [Some(&Tensor::eye(2)), None]);
//! assert_eq!(dy.to_vec(), vec![1.0, -1.0]);
//! // reverse: only the adjoint of x is wanted, so A's is never computed
//! let g = Tensor::from_vec(vec![1.0, 0.0], &[2]);
//! let [da, dx] = matmul::vjp([&a, &x], &y, &g, [false, true]);
//! assert!(da.is_none());
//! assert_eq!(dx.unwrap().to_vec(), vec![1.0, 2.0]); // A^T g
//! assert!(NAMES.contains(&"cholesky"));
//! ```

use super::linalg::{gemm_into, gemm_new, matmul_dims, tri_solve, Lu, Operand};
use super::math::sigmoid;
use super::Tensor;
use crate::Real;

// ----- the scalar table, reached generically ---------------------------------

macro_rules! scalar_rules_trait {
    ($($name:ident: $k:literal),* $(,)?) => {
        /// The partial derivatives of the scalar table ([`crate::rules`]) for a
        /// generic float type: each function is the scalar row's `partials`
        /// for `f32` or `f64`, so tensor rules reuse the scalar math instead
        /// of copying it.
        ///
        /// Call them fully qualified, `<F as ScalarRules>::sin([x])`, since
        /// the names are the float methods' names.
        ///
        /// ```
        /// use autodiff_runtime::tensor::ScalarRules;
        /// assert_eq!(<f64 as ScalarRules>::sin([0.5]), [0.5_f64.cos()]);
        /// assert_eq!(<f32 as ScalarRules>::atan2([1.0, 1.0]), [0.5, -0.5]);
        /// assert_eq!(<f64 as ScalarRules>::powi([2.0], 3), [12.0]);
        /// ```
        pub trait ScalarRules: Real {
            $(
                #[doc = concat!("Partials of `", stringify!($name), "`: row `", stringify!($name), "` of the scalar table.")]
                fn $name(args: [Self; $k]) -> [Self; $k];
            )*
            /// Partial of `powi` with respect to the base: row `powi` of the scalar table.
            fn powi(args: [Self; 1], n: i32) -> [Self; 1];
        }
        scalar_rules_trait!(@impl f32 $($name: $k),*);
        scalar_rules_trait!(@impl f64 $($name: $k),*);
    };
    (@impl $t:ident $($name:ident: $k:literal),*) => {
        impl ScalarRules for $t {
            $(
                #[inline(always)]
                fn $name(args: [$t; $k]) -> [$t; $k] {
                    crate::rules::$t::$name::partials(args)
                }
            )*
            #[inline(always)]
            fn powi(args: [$t; 1], n: i32) -> [$t; 1] {
                crate::rules::$t::powi::partials(args, n)
            }
        }
    };
}

scalar_rules_trait! {
    sin: 1, cos: 1, tan: 1, asin: 1, acos: 1, atan: 1, sinh: 1, cosh: 1, tanh: 1,
    exp: 1, exp2: 1, exp_m1: 1, ln: 1, log10: 1, log2: 1, ln_1p: 1, sqrt: 1, cbrt: 1,
    recip: 1, abs: 1, signum: 1, floor: 1, ceil: 1, round: 1, trunc: 1,
    atan2: 2, hypot: 2, max: 2, min: 2, powf: 2, clamp: 3, mul_add: 3,
}

// ----- outputs: tensors or plain numbers -------------------------------------

/// The output of a rule: a [`Tensor`] or, for a reduction, a plain `F` (which
/// behaves as a rank-0 tensor here). Lets generic code (the rule tests, the
/// seed checks) treat both alike.
///
/// ```
/// use autodiff_runtime::tensor::rules::RuleOutput;
/// use autodiff_runtime::Tensor;
/// assert_eq!(RuleOutput::<f64>::shape(&2.0), &[] as &[usize]);
/// assert_eq!(RuleOutput::<f64>::elements(&2.0), &[2.0]);
/// let t: Tensor<f64> = RuleOutput::from_elements(&[2], vec![1.0, 2.0]);
/// assert_eq!(t.shape(), &[2]);
/// ```
pub trait RuleOutput<F>: Sized {
    /// The shape (`[]` for a number).
    fn shape(&self) -> &[usize];
    /// The elements, row-major.
    fn elements(&self) -> &[F];
    /// Builds an output of `shape` from its elements.
    fn from_elements(shape: &[usize], data: Vec<F>) -> Self;
}

impl<F: Real> RuleOutput<F> for F {
    fn shape(&self) -> &[usize] {
        &[]
    }
    fn elements(&self) -> &[F] {
        core::slice::from_ref(self)
    }
    fn from_elements(_shape: &[usize], data: Vec<F>) -> Self {
        data[0]
    }
}

impl<F: Real> RuleOutput<F> for Tensor<F> {
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn elements(&self) -> &[F] {
        &self.data
    }
    fn from_elements(shape: &[usize], data: Vec<F>) -> Self {
        Tensor::from_vec(data, shape)
    }
}

/// Panics unless each tangent has its argument's shape.
#[track_caller]
fn check_tangents<F: Real, const K: usize>(
    op: &str,
    args: [&Tensor<F>; K],
    tangents: [Option<&Tensor<F>>; K],
) {
    for (k, (a, t)) in args.iter().zip(tangents).enumerate() {
        if let Some(t) = t {
            if t.shape != a.shape {
                panic!(
                    "{op}: tangent of shape {:?} for argument {k} of shape {:?}",
                    t.shape, a.shape
                );
            }
        }
    }
}

/// Panics unless the seed `g` has the output's shape.
#[track_caller]
fn check_seed<F, O: RuleOutput<F>>(op: &str, out: &O, g: &O) {
    if out.shape() != g.shape() {
        panic!(
            "{op}: seed of shape {:?} for an output of shape {:?}",
            g.shape(),
            out.shape()
        );
    }
}

// ----- the table -------------------------------------------------------------

macro_rules! tensor_rules {
    (
        elementwise { $($ew:ident),* $(,)? }
        rows {
            $(
                $name:ident ( $($arg:ident),+ $(; $($p:ident : $pty:ty),+)? ) -> $out:ty {
                    value => $value:expr,
                    jvp($($t:ident),+) => $jvp:expr,
                    vjp($o:ident, $g:ident, $needs:ident) => $vjp:expr $(,)?
                }
            )*
        }
    ) => {
        /// The names of the rows, in table order (for tests that iterate the table).
        pub const NAMES: &[&str] = &[$(stringify!($ew),)* $(stringify!($name)),*];

        $(
            #[doc = concat!("Rule for elementwise `", stringify!($ew), "`; the derivative is the scalar table's row `", stringify!($ew), "`.")]
            pub mod $ew {
                use super::*;
                /// Number of tensor arguments.
                pub const ARITY: usize = 1;
                /// The primitive's value.
                pub fn value<F: ScalarRules>(args: [&Tensor<F>; 1]) -> Tensor<F> {
                    args[0].$ew()
                }
                /// Value and tangent: the forward-mode rule.
                #[track_caller]
                pub fn jvp<F: ScalarRules>(
                    args: [&Tensor<F>; 1],
                    tangents: [Option<&Tensor<F>>; 1],
                ) -> (Tensor<F>, Tensor<F>) {
                    check_tangents(stringify!($ew), args, tangents);
                    ew_jvp(args, tangents, value(args), <F as ScalarRules>::$ew)
                }
                /// The adjoint of the argument, if needed: the reverse-mode rule.
                #[track_caller]
                pub fn vjp<F: ScalarRules>(
                    args: [&Tensor<F>; 1],
                    out: &Tensor<F>,
                    g: &Tensor<F>,
                    needs: [bool; 1],
                ) -> [Option<Tensor<F>>; 1] {
                    check_seed::<F, _>(stringify!($ew), out, g);
                    ew_vjp(args, g, needs, <F as ScalarRules>::$ew)
                }
            }
        )*

        $(
            #[doc = concat!("Rule for `", stringify!($name), "`.")]
            pub mod $name {
                use super::*;
                /// Number of tensor arguments.
                pub const ARITY: usize = [$(stringify!($arg)),+].len();
                /// The primitive's value.
                #[track_caller]
                pub fn value<F: ScalarRules>(
                    args: [&Tensor<F>; ARITY] $($(, $p: $pty)+)?
                ) -> $out {
                    let [$($arg),+] = args;
                    $value
                }
                /// Value and tangent: the forward-mode rule.
                #[track_caller]
                #[allow(unused_variables)]
                pub fn jvp<F: ScalarRules>(
                    args: [&Tensor<F>; ARITY],
                    tangents: [Option<&Tensor<F>>; ARITY] $($(, $p: $pty)+)?
                ) -> ($out, $out) {
                    check_tangents(stringify!($name), args, tangents);
                    let [$($arg),+] = args;
                    let [$($t),+] = tangents;
                    $jvp
                }
                /// The adjoint of each needed argument: the reverse-mode rule.
                #[track_caller]
                #[allow(unused_variables)]
                pub fn vjp<F: ScalarRules>(
                    args: [&Tensor<F>; ARITY],
                    out: &$out,
                    g: &$out,
                    needs: [bool; ARITY] $($(, $p: $pty)+)?
                ) -> [Option<Tensor<F>>; ARITY] {
                    check_seed::<F, _>(stringify!($name), out, g);
                    let [$($arg),+] = args;
                    let ($o, $g, $needs) = (out, g, needs);
                    $vjp
                }
            }
        )*
    };
}

tensor_rules! {
    // Elementwise: value `x.NAME()`, derivative `<F as ScalarRules>::NAME`.
    elementwise {
        sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, exp, exp2, exp_m1, ln, log10,
        log2, ln_1p, sqrt, cbrt, recip, abs, signum, floor, ceil, round, trunc,
    }
    rows {
        // --- elementwise with parameters or several arguments (scalar rows) ---
        powi(x; n: i32) -> Tensor<F> {
            value => x.powi(n),
            jvp(dx) => ew_jvp([x], [dx], x.powi(n), |v| <F as ScalarRules>::powi(v, n)),
            vjp(out, g, needs) => ew_vjp([x], g, needs, |v| <F as ScalarRules>::powi(v, n)),
        }
        powf(x; p: F) -> Tensor<F> {
            value => x.powf(p),
            jvp(dx) => ew_jvp([x], [dx], x.powf(p), |[v]| [<F as ScalarRules>::powf([v, p])[0]]),
            vjp(out, g, needs) => ew_vjp([x], g, needs, |[v]| [<F as ScalarRules>::powf([v, p])[0]]),
        }
        clamp(x; lo: F, hi: F) -> Tensor<F> {
            value => x.clamp(lo, hi),
            jvp(dx) => ew_jvp([x], [dx], x.clamp(lo, hi), |[v]| [<F as ScalarRules>::clamp([v, lo, hi])[0]]),
            vjp(out, g, needs) => ew_vjp([x], g, needs, |[v]| [<F as ScalarRules>::clamp([v, lo, hi])[0]]),
        }
        atan2(x, y) -> Tensor<F> {
            value => x.atan2(y),
            jvp(dx, dy) => ew_jvp([x, y], [dx, dy], x.atan2(y), <F as ScalarRules>::atan2),
            vjp(out, g, needs) => ew_vjp([x, y], g, needs, <F as ScalarRules>::atan2),
        }
        hypot(x, y) -> Tensor<F> {
            value => x.hypot(y),
            jvp(dx, dy) => ew_jvp([x, y], [dx, dy], x.hypot(y), <F as ScalarRules>::hypot),
            vjp(out, g, needs) => ew_vjp([x, y], g, needs, <F as ScalarRules>::hypot),
        }
        maximum(x, y) -> Tensor<F> {
            value => x.maximum(y),
            jvp(dx, dy) => ew_jvp([x, y], [dx, dy], x.maximum(y), <F as ScalarRules>::max),
            vjp(out, g, needs) => ew_vjp([x, y], g, needs, <F as ScalarRules>::max),
        }
        minimum(x, y) -> Tensor<F> {
            value => x.minimum(y),
            jvp(dx, dy) => ew_jvp([x, y], [dx, dy], x.minimum(y), <F as ScalarRules>::min),
            vjp(out, g, needs) => ew_vjp([x, y], g, needs, <F as ScalarRules>::min),
        }
        mul_add(x, a, b) -> Tensor<F> {
            value => x.mul_add(a, b),
            jvp(dx, da, db) => ew_jvp([x, a, b], [dx, da, db], x.mul_add(a, b), <F as ScalarRules>::mul_add),
            vjp(out, g, needs) => ew_vjp([x, a, b], g, needs, <F as ScalarRules>::mul_add),
        }

        // --- arithmetic (a rank-0 operand broadcasts; its adjoint is summed) ---
        add(a, b) -> Tensor<F> {
            value => a + b,
            jvp(da, db) => ew_jvp([a, b], [da, db], a + b, |_| [F::ONE, F::ONE]),
            vjp(out, g, needs) => ew_vjp([a, b], g, needs, |_| [F::ONE, F::ONE]),
        }
        sub(a, b) -> Tensor<F> {
            value => a - b,
            jvp(da, db) => ew_jvp([a, b], [da, db], a - b, |_| [F::ONE, -F::ONE]),
            vjp(out, g, needs) => ew_vjp([a, b], g, needs, |_| [F::ONE, -F::ONE]),
        }
        mul(a, b) -> Tensor<F> {
            value => a * b,
            jvp(da, db) => ew_jvp([a, b], [da, db], a * b, |[x, y]| [y, x]),
            vjp(out, g, needs) => ew_vjp([a, b], g, needs, |[x, y]| [y, x]),
        }
        div(a, b) -> Tensor<F> {
            value => a / b,
            jvp(da, db) => ew_jvp([a, b], [da, db], a / b, |[x, y]| [y.recip(), -x / (y * y)]),
            vjp(out, g, needs) => ew_vjp([a, b], g, needs, |[x, y]| [y.recip(), -x / (y * y)]),
        }
        neg(x) -> Tensor<F> {
            value => -x,
            jvp(dx) => (-x, dx.map_or_else(|| x.zeros_like(), |t| -t)),
            vjp(out, g, needs) => [needs[0].then(|| -g)],
        }

        // --- reductions to one number ---
        sum(x) -> F {
            value => x.sum(),
            jvp(dx) => (x.sum(), dx.map_or(F::ZERO, Tensor::sum)),
            vjp(out, g, needs) => [needs[0].then(|| Tensor::full(&x.shape, *g))],
        }
        mean(x) -> F {
            value => x.mean(),
            jvp(dx) => (x.mean(), dx.map_or(F::ZERO, Tensor::mean)),
            vjp(out, g, needs) => [needs[0].then(|| Tensor::full(&x.shape, *g / F::from_usize(x.len())))],
        }
        max(x) -> F {
            value => x.max(),
            jvp(dx) => pick_jvp(x, dx, x.argmax()),
            vjp(out, g, needs) => [needs[0].then(|| one_hot(x, x.argmax(), *g))],
        }
        min(x) -> F {
            value => x.min(),
            jvp(dx) => pick_jvp(x, dx, x.argmin()),
            vjp(out, g, needs) => [needs[0].then(|| one_hot(x, x.argmin(), *g))],
        }
        // norm'(0) = 0, as the scalar table's hypot
        norm(x) -> F {
            value => x.norm(),
            jvp(dx) => norm_jvp(x, dx),
            vjp(out, g, needs) => [needs[0].then(|| norm_vjp(x, *out, *g))],
        }
        dot(a, b) -> F {
            value => a.dot(b),
            jvp(da, db) => (a.dot(b), da.map_or(F::ZERO, |t| t.dot(b)) + db.map_or(F::ZERO, |t| a.dot(t))),
            vjp(out, g, needs) => [needs[0].then(|| b * *g), needs[1].then(|| a * *g)],
        }
        sum_axis(x; axis: usize) -> Tensor<F> {
            value => x.sum_axis(axis),
            jvp(dx) => (x.sum_axis(axis), dx.map_or_else(|| x.sum_axis(axis).zeros_like(), |t| t.sum_axis(axis))),
            vjp(out, g, needs) => [needs[0].then(|| spread_axis(g, &x.shape, axis))],
        }

        // --- activations (along the last axis for the softmax family) ---
        relu(x) -> Tensor<F> {
            value => x.relu(),
            jvp(dx) => ew_jvp([x], [dx], x.relu(), |[v]| [if v > F::ZERO { F::ONE } else { F::ZERO }]),
            vjp(out, g, needs) => ew_vjp([x], g, needs, |[v]| [if v > F::ZERO { F::ONE } else { F::ZERO }]),
        }
        sigmoid(x) -> Tensor<F> {
            value => x.sigmoid(),
            jvp(dx) => out_jvp(x.sigmoid(), dx, |y| y * (F::ONE - y)),
            vjp(out, g, needs) => [needs[0].then(|| out.zip_map(g, "sigmoid", |y, g| g * y * (F::ONE - y)))],
        }
        softplus(x) -> Tensor<F> {
            value => x.softplus(),
            jvp(dx) => ew_jvp([x], [dx], x.softplus(), |[v]| [sigmoid(v)]),
            vjp(out, g, needs) => ew_vjp([x], g, needs, |[v]| [sigmoid(v)]),
        }
        logsumexp(x) -> Tensor<F> {
            value => x.logsumexp(),
            jvp(dx) => logsumexp_jvp(x, dx),
            vjp(out, g, needs) => [needs[0].then(|| logsumexp_vjp(x, out, g))],
        }
        softmax(x) -> Tensor<F> {
            value => x.softmax(),
            jvp(dx) => softmax_jvp(x, dx),
            vjp(out, g, needs) => [needs[0].then(|| softmax_vjp(out, g))],
        }
        log_softmax(x) -> Tensor<F> {
            value => x.log_softmax(),
            jvp(dx) => log_softmax_jvp(x, dx),
            vjp(out, g, needs) => [needs[0].then(|| log_softmax_vjp(out, g))],
        }

        // --- shape ---
        transpose(x) -> Tensor<F> {
            value => x.transpose(),
            jvp(dx) => (x.transpose(), dx.map_or_else(|| x.transpose().zeros_like(), Tensor::transpose)),
            vjp(out, g, needs) => [needs[0].then(|| g.transpose())],
        }
        reshape(x; shape: &[usize]) -> Tensor<F> {
            value => x.reshape(shape),
            jvp(dx) => (x.reshape(shape), dx.map_or_else(|| Tensor::zeros(shape), |t| t.reshape(shape))),
            vjp(out, g, needs) => [needs[0].then(|| g.reshape(&x.shape))],
        }
        narrow(x; start: usize, len: usize) -> Tensor<F> {
            value => x.narrow(start, len),
            jvp(dx) => (x.narrow(start, len), dx.map_or_else(|| x.narrow(start, len).zeros_like(), |t| t.narrow(start, len))),
            vjp(out, g, needs) => [needs[0].then(|| embed_rows(g, &x.shape, start))],
        }
        row(x; i: usize) -> Tensor<F> {
            value => x.row(i),
            jvp(dx) => (x.row(i), dx.map_or_else(|| x.row(i).zeros_like(), |t| t.row(i))),
            vjp(out, g, needs) => [needs[0].then(|| embed_rows(g, &x.shape, i))],
        }

        // --- linear algebra ---
        // d(AB) = dA B + A dB;  A_bar = G B^T, B_bar = A^T G (transposed GEMMs)
        matmul(a, b) -> Tensor<F> {
            value => a.matmul(b),
            jvp(da, db) => matmul_jvp(a, b, da, db),
            vjp(out, g, needs) => matmul_vjp(a, b, g, needs),
        }
        // x = A^-1 b: dx = A^-1 (db - dA x);  b_bar = A^-T G, A_bar = -b_bar x^T
        solve(a, b) -> Tensor<F> {
            value => a.solve(b),
            jvp(da, db) => solve_jvp(a, b, da, db),
            vjp(out, g, needs) => solve_vjp(a, out, g, needs),
        }
        // reads the lower triangle only; Murray (2016), see `cholesky_vjp`
        cholesky(a) -> Tensor<F> {
            value => a.cholesky(),
            jvp(da) => cholesky_jvp(a, da),
            vjp(out, g, needs) => [needs[0].then(|| cholesky_vjp(out, g))],
        }
        // d ln|det A| = tr(A^-1 dA);  A_bar = g A^-T
        logdet(a) -> F {
            value => a.logdet(),
            jvp(da) => logdet_jvp(a, da),
            vjp(out, g, needs) => [needs[0].then(|| logdet_vjp(a, *g))],
        }
    }
}

// ----- elementwise rules -------------------------------------------------------

/// Element `i` of an operand that may be a broadcast scalar.
#[inline(always)]
fn at<F: Copy>(t: &Tensor<F>, i: usize) -> F {
    if t.shape.is_empty() {
        t.data[0]
    } else {
        t.data[i]
    }
}

/// Forward rule of an elementwise primitive with `K` arguments, given its
/// value and its partials: `tangent[i] = sum_k partials(x[i])[k] * t_k[i]`,
/// skipping symbolic-zero tangents.
fn ew_jvp<F: Real, const K: usize>(
    args: [&Tensor<F>; K],
    tangents: [Option<&Tensor<F>>; K],
    value: Tensor<F>,
    partials: impl Fn([F; K]) -> [F; K],
) -> (Tensor<F>, Tensor<F>) {
    let mut tan = value.zeros_like();
    if tangents.iter().any(Option::is_some) {
        for (i, ti) in tan.data.iter_mut().enumerate() {
            let d = partials(args.map(|a| at(a, i)));
            for k in 0..K {
                if let Some(t) = tangents[k] {
                    *ti += d[k] * at(t, i);
                }
            }
        }
    }
    (value, tan)
}

/// Reverse rule of an elementwise primitive with `K` arguments: the adjoint of
/// argument `k` is `g * partials[k]`, summed over the elements if the argument
/// was a broadcast scalar. Unneeded adjoints are neither allocated nor computed.
fn ew_vjp<F: Real, const K: usize>(
    args: [&Tensor<F>; K],
    g: &Tensor<F>,
    needs: [bool; K],
    partials: impl Fn([F; K]) -> [F; K],
) -> [Option<Tensor<F>>; K] {
    let mut adj: [Option<Tensor<F>>; K] =
        core::array::from_fn(|k| needs[k].then(|| args[k].zeros_like()));
    if needs.iter().any(|&n| n) {
        for (i, &gi) in g.data.iter().enumerate() {
            let d = partials(args.map(|a| at(a, i)));
            for k in 0..K {
                if let Some(a) = &mut adj[k] {
                    if a.shape.is_empty() {
                        a.data[0] += gi * d[k];
                    } else {
                        a.data[i] = gi * d[k];
                    }
                }
            }
        }
    }
    adj
}

/// Forward rule whose derivative is a function of the output, `dy = d(y) * dx`.
fn out_jvp<F: Real>(
    y: Tensor<F>,
    dx: Option<&Tensor<F>>,
    d: impl Fn(F) -> F,
) -> (Tensor<F>, Tensor<F>) {
    let tan = match dx {
        Some(t) => y.zip_map(t, "jvp", |y, t| d(y) * t),
        None => y.zeros_like(),
    };
    (y, tan)
}

// ----- reductions ----------------------------------------------------------------

/// Value `x[i]` and tangent `dx[i]`.
fn pick_jvp<F: Real>(x: &Tensor<F>, dx: Option<&Tensor<F>>, i: usize) -> (F, F) {
    (x.data[i], dx.map_or(F::ZERO, |t| t.data[i]))
}

/// Zeros of `x`'s shape with `g` at flat index `i`.
fn one_hot<F: Real>(x: &Tensor<F>, i: usize, g: F) -> Tensor<F> {
    let mut t = x.zeros_like();
    t.data[i] = g;
    t
}

fn norm_jvp<F: Real>(x: &Tensor<F>, dx: Option<&Tensor<F>>) -> (F, F) {
    let n = x.norm();
    let t = match dx {
        Some(t) if n != F::ZERO => x.dot(t) / n,
        _ => F::ZERO,
    };
    (n, t)
}

fn norm_vjp<F: Real>(x: &Tensor<F>, n: F, g: F) -> Tensor<F> {
    if n == F::ZERO {
        x.zeros_like()
    } else {
        let s = g / n;
        x.map(|v| v * s)
    }
}

/// `g` (the sum along `axis`) copied back along `axis` of a tensor of `shape`.
fn spread_axis<F: Real>(g: &Tensor<F>, shape: &[usize], axis: usize) -> Tensor<F> {
    let mut out = Tensor::zeros(shape);
    let (outer, n, inner) = out.split_at_axis("sum_axis", axis);
    for o in 0..outer {
        let src = &g.data[o * inner..(o + 1) * inner];
        for k in 0..n {
            out.data[(o * n + k) * inner..(o * n + k + 1) * inner].copy_from_slice(src);
        }
    }
    out
}

/// Zeros of `shape` with `g` written at rows `start..` along axis 0 (`g` may
/// lack axis 0, as the result of `row`).
fn embed_rows<F: Real>(g: &Tensor<F>, shape: &[usize], start: usize) -> Tensor<F> {
    let mut out = Tensor::zeros(shape);
    let stride = super::numel(&shape[1..]);
    out.data[start * stride..start * stride + g.data.len()].copy_from_slice(&g.data);
    out
}

// ----- softmax family (along the last axis) ------------------------------------------

/// Calls `f(row_of_a, row_of_b, ...)` for each row (last-axis slice) of two
/// tensors of one shape.
fn rows2<F: Real>(a: &Tensor<F>, b: &mut Tensor<F>, n: usize, mut f: impl FnMut(&[F], &mut [F])) {
    if n == 0 {
        return;
    }
    for (ra, rb) in a.data.chunks_exact(n).zip(b.data.chunks_exact_mut(n)) {
        f(ra, rb);
    }
}

fn logsumexp_jvp<F: Real>(x: &Tensor<F>, dx: Option<&Tensor<F>>) -> (Tensor<F>, Tensor<F>) {
    let v = x.logsumexp();
    let tan = match dx {
        // d lse = sum(softmax(x) * dx) along the last axis
        Some(t) => (&x.softmax() * t).sum_axis(x.ndim() - 1),
        None => v.zeros_like(),
    };
    (v, tan)
}

fn logsumexp_vjp<F: Real>(x: &Tensor<F>, out: &Tensor<F>, g: &Tensor<F>) -> Tensor<F> {
    // x_bar = softmax(x) * g, with g spread along the last axis
    let (_, n) = x.last_axis("logsumexp");
    let mut adj = x.clone();
    let mut r = 0;
    rows2(x, &mut adj, n, |xr, ar| {
        let (l, gr) = (out.data[r], g.data[r]);
        for (a, &v) in ar.iter_mut().zip(xr) {
            *a = (v - l).exp() * gr;
        }
        r += 1;
    });
    adj
}

fn softmax_jvp<F: Real>(x: &Tensor<F>, dx: Option<&Tensor<F>>) -> (Tensor<F>, Tensor<F>) {
    let y = x.softmax();
    let Some(t) = dx else {
        let z = y.zeros_like();
        return (y, z);
    };
    // dy = y * (t - sum(y * t))
    let (_, n) = y.last_axis("softmax");
    let mut tan = t.clone();
    rows2(&y, &mut tan, n, |yr, tr| {
        let s: F = yr.iter().zip(tr.iter()).map(|(&y, &t)| y * t).sum();
        for (t, &y) in tr.iter_mut().zip(yr) {
            *t = y * (*t - s);
        }
    });
    (y, tan)
}

fn softmax_vjp<F: Real>(y: &Tensor<F>, g: &Tensor<F>) -> Tensor<F> {
    // x_bar = y * (g - sum(g * y))
    let (_, n) = y.last_axis("softmax");
    let mut adj = g.clone();
    rows2(y, &mut adj, n, |yr, ar| {
        let s: F = yr.iter().zip(ar.iter()).map(|(&y, &g)| y * g).sum();
        for (a, &y) in ar.iter_mut().zip(yr) {
            *a = y * (*a - s);
        }
    });
    adj
}

fn log_softmax_jvp<F: Real>(x: &Tensor<F>, dx: Option<&Tensor<F>>) -> (Tensor<F>, Tensor<F>) {
    let z = x.log_softmax();
    let Some(t) = dx else {
        let zero = z.zeros_like();
        return (z, zero);
    };
    // dz = t - sum(softmax * t)
    let (_, n) = z.last_axis("log_softmax");
    let mut tan = t.clone();
    rows2(&z, &mut tan, n, |zr, tr| {
        let s: F = zr.iter().zip(tr.iter()).map(|(&z, &t)| z.exp() * t).sum();
        for t in tr.iter_mut() {
            *t -= s;
        }
    });
    (z, tan)
}

fn log_softmax_vjp<F: Real>(z: &Tensor<F>, g: &Tensor<F>) -> Tensor<F> {
    // x_bar = g - softmax * sum(g)
    let (_, n) = z.last_axis("log_softmax");
    let mut adj = g.clone();
    rows2(z, &mut adj, n, |zr, ar| {
        let s: F = ar.iter().copied().sum();
        for (a, &z) in ar.iter_mut().zip(zr) {
            *a -= z.exp() * s;
        }
    });
    adj
}

// ----- linear algebra -------------------------------------------------------------

fn matmul_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    da: Option<&Tensor<F>>,
    db: Option<&Tensor<F>>,
) -> (Tensor<F>, Tensor<F>) {
    let c = a.matmul(b);
    let mut tan = c.zeros_like();
    let (ad, bd) = (matmul_dims(a, true), matmul_dims(b, false));
    if let Some(da) = da {
        gemm_into(
            Operand::new(da, ad, false),
            Operand::new(b, bd, false),
            F::ZERO,
            &mut tan,
        );
    }
    if let Some(db) = db {
        gemm_into(
            Operand::new(a, ad, false),
            Operand::new(db, bd, false),
            F::ONE,
            &mut tan,
        );
    }
    (c, tan)
}

pub(crate) fn matmul_vjp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    g: &Tensor<F>,
    needs: [bool; 2],
) -> [Option<Tensor<F>>; 2] {
    // Vectors are rows on the left and columns on the right, so G is m x n.
    let (ad, bd) = (matmul_dims(a, true), matmul_dims(b, false));
    let gv = Operand::new(g, [ad[0], bd[1]], false);
    [
        needs[0].then(|| gemm_new(gv, Operand::new(b, bd, true), &a.shape)),
        needs[1].then(|| gemm_new(Operand::new(a, ad, true), gv, &b.shape)),
    ]
}

/// The number of right-hand-side columns of `b` (`[n]` or `[n, k]`).
fn rhs_k<F>(b: &Tensor<F>) -> usize {
    if b.shape.len() == 2 {
        b.shape[1]
    } else {
        1
    }
}

#[track_caller]
fn lu_or_panic<F: Real>(a: &Tensor<F>, op: &'static str) -> Lu<F> {
    Lu::new(a, op).unwrap_or_else(super::error::fail)
}

fn solve_jvp<F: Real>(
    a: &Tensor<F>,
    b: &Tensor<F>,
    da: Option<&Tensor<F>>,
    db: Option<&Tensor<F>>,
) -> (Tensor<F>, Tensor<F>) {
    let x = a.solve(b);
    let lu = lu_or_panic(a, "solve");
    // dx = A^-1 (db - dA x)
    let mut rhs = db.map_or_else(|| x.zeros_like(), Tensor::clone);
    if let Some(da) = da {
        rhs -= da.matmul(&x);
    }
    if da.is_some() || db.is_some() {
        lu.solve_in_place(&mut rhs.data, rhs_k(b), false);
    }
    (x, rhs)
}

fn solve_vjp<F: Real>(
    a: &Tensor<F>,
    x: &Tensor<F>,
    g: &Tensor<F>,
    needs: [bool; 2],
) -> [Option<Tensor<F>>; 2] {
    if !needs[0] && !needs[1] {
        return [None, None];
    }
    // b_bar = A^-T g;  A_bar = -b_bar x^T
    let mut bbar = g.clone();
    lu_or_panic(a, "solve").solve_in_place(&mut bbar.data, rhs_k(x), true);
    let abar = needs[0].then(|| {
        let (n, k) = (a.shape[0], rhs_k(x));
        let outer = gemm_new(
            Operand::new(&bbar, [n, k], false),
            Operand::new(x, [n, k], true),
            &a.shape,
        );
        -outer
    });
    [abar, needs[1].then_some(bbar)]
}

/// `Phi(X)`: the lower triangle with the diagonal halved.
fn phi<F: Real>(mut x: Tensor<F>) -> Tensor<F> {
    let n = x.shape[0];
    let half = F::from_f64(0.5);
    for i in 0..n {
        for j in i + 1..n {
            x.data[i * n + j] = F::ZERO;
        }
        x.data[i * n + i] *= half;
    }
    x
}

/// The symmetric matrix whose lower triangle is `a`'s (the input `cholesky`
/// actually reads).
fn sym_from_lower<F: Real>(a: &Tensor<F>) -> Tensor<F> {
    let n = a.shape[0];
    let mut s = a.clone();
    for i in 0..n {
        for j in i + 1..n {
            s.data[i * n + j] = a.data[j * n + i];
        }
    }
    s
}

pub(crate) fn cholesky_jvp<F: Real>(
    a: &Tensor<F>,
    da: Option<&Tensor<F>>,
) -> (Tensor<F>, Tensor<F>) {
    let l = a.cholesky();
    let Some(da) = da else {
        let z = l.zeros_like();
        return (l, z);
    };
    // A = L L^T  =>  L^-1 dS L^-T = L^-1 dL + (L^-1 dL)^T, whose lower part with
    // the diagonal halved is L^-1 dL (lower triangular): dL = L Phi(L^-1 dS L^-T).
    let ds = sym_from_lower(da);
    let y = tri_solve(&l, false, &ds); // L^-1 dS
    let m = tri_solve(&l, false, &y.transpose()); // L^-1 dS L^-T (symmetric)
    let n = l.shape[0];
    let dl = gemm_new(
        Operand::new(&l, [n, n], false),
        Operand::new(&phi(m), [n, n], false),
        &[n, n],
    );
    (l, dl)
}

/// Murray (2016), "Differentiation of the Cholesky decomposition": with
/// `P = Phi(L^T L_bar)`, the adjoint of the symmetric input is
/// `S_bar = L^-T P L^-1`. Since `cholesky` reads only the lower triangle of
/// `A`, an off-diagonal `A[i][j]` (i > j) stands for both `S[i][j]` and
/// `S[j][i]`: `A_bar = tril(S_bar + S_bar^T)` with diagonal `S_bar[i][i]`, and
/// zero above the diagonal. This is the exact derivative of the function as
/// implemented, so it passes finite differences in every direction.
pub(crate) fn cholesky_vjp<F: Real>(l: &Tensor<F>, g: &Tensor<F>) -> Tensor<F> {
    let n = l.shape[0];
    let p = phi(gemm_new(
        Operand::new(l, [n, n], true),
        Operand::new(g, [n, n], false),
        &[n, n],
    ));
    let y = tri_solve(l, true, &p); // L^-T P
    let w = tri_solve(l, true, &y.transpose()); // (L^-T P L^-1)^T = S_bar^T
    let mut abar = Tensor::zeros(&[n, n]);
    for i in 0..n {
        for j in 0..i {
            abar.data[i * n + j] = w.data[i * n + j] + w.data[j * n + i];
        }
        abar.data[i * n + i] = w.data[i * n + i];
    }
    abar
}

fn logdet_jvp<F: Real>(a: &Tensor<F>, da: Option<&Tensor<F>>) -> (F, F) {
    let lu = lu_or_panic(a, "logdet");
    let v = lu.logabsdet();
    let Some(da) = da else {
        return (v, F::ZERO);
    };
    // tr(A^-1 dA)
    let n = a.shape[0];
    let mut s = da.clone();
    lu.solve_in_place(&mut s.data, n, false);
    (v, (0..n).map(|i| s.data[i * n + i]).sum())
}

fn logdet_vjp<F: Real>(a: &Tensor<F>, g: F) -> Tensor<F> {
    // g A^-T
    let n = a.shape[0];
    let mut inv_t = Tensor::eye(n);
    lu_or_panic(a, "logdet").solve_in_place(&mut inv_t.data, n, true);
    inv_t * g
}
