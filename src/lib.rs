//! Exact derivatives of plain Rust numeric code, generated at compile time.
//!
//! Put `#[differentiate(reverse)]` or `#[differentiate(forward)]` on an ordinary
//! function and its derivative is generated beside it as ordinary Rust: no tape,
//! no graph, no boxing at run time.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[differentiate(reverse)]
//! fn f(x: f64, y: f64) -> f64 {
//!     (x + y) * (y + 3.0)
//! }
//!
//! #[differentiate(forward)]
//! fn g(x: f64, y: f64) -> f64 {
//!     x.ln() + x * y - y.sin()
//! }
//!
//! fn main() {
//!     // f_vjp(x, y, d_out) = (f(x, y), d_out * df/dx, d_out * df/dy)
//!     assert_eq!(f_vjp(1.0, 2.0, 1.0), (15.0, 5.0, 8.0));
//!     // g_jvp(x, y, dx, dy) = (g(x, y), dg/dx * dx + dg/dy * dy)
//!     assert_eq!(g_jvp(2.0, 5.0, 1.0, 0.0).1, 5.5);
//! }
//! ```
//!
//! (Differentiated functions are module-level items; in a doctest that means
//! writing `fn main` yourself, as here.)
//!
//! # What is generated
//!
//! | attribute | generated | signature |
//! |---|---|---|
//! | `reverse` | `f_vjp` | `(args..., d_out) -> (value, adjoint of each active parameter...)` |
//! | `forward` | `f_jvp` | `(args..., one tangent per active parameter) -> (value, tangent of the output)` |
//! | `forward, reverse` | both | |
//! | `forward, vector` | `f_jvp` and `f_jvp_vec` | `<const K: usize>(args..., K-lane tangents...) -> (value, K-lane tangent of the output)`, see [Vector mode](#vector-mode) |
//! | `reverse, wrt(a, b)` | `f_vjp` | only `a` and `b` are active |
//! | `dump` | `F_VJP_SOURCE: &str` | the pretty-printed generated source |
//! | `recursive` | | boxes the pullback (mutual recursion, see Limits) |
//!
//! Parameters of type `f32`/`f64`, `[F; N]`, `&[F]`, `Vec<F>` and tuples of
//! them are active unless `wrt(...)` says otherwise; integers, `bool`, `usize`,
//! `Option<T>` are never active. Adjoints of `&[F]` and `Vec<F>` are `Vec<F>`;
//! forward tangents and reverse seeds of slices and vectors are passed as `&[F]`.
//! A tangent or seed of the wrong length panics naming both lengths.
//!
//! **Stacking** composes, innermost first, and applies to everything generated
//! below: `#[differentiate(forward)] #[differentiate(reverse)] fn f` gives
//! `f_vjp`, `f_jvp` and `f_vjp_jvp` (forward over reverse: Hessian-vector
//! products). `f_vjp_jvp` takes `f_vjp`'s arguments (including `d_out`), then a
//! tangent for each of them, and returns `(f_vjp(...), its tangent)`.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[differentiate(forward)]
//! #[differentiate(reverse)]
//! fn h(x: f64, y: f64) -> f64 {
//!     x * x * y + y.exp()
//! }
//!
//! fn main() {
//!     // Gradient and the Hessian's column along x, at (1, 2), in one sweep.
//!     let ((_, gx, _), (_, hxx, hyx)) = h_vjp_jvp(1.0, 2.0, 1.0, 1.0, 0.0, 0.0);
//!     assert_eq!((gx, hxx, hyx), (4.0, 4.0, 2.0));
//! }
//! ```
//!
//! # Vector mode
//!
//! `#[differentiate(forward, vector)]` also generates `f_jvp_vec::<K>`: the
//! same forward sweep as `f_jvp`, with every tangent replaced by `K` tangents
//! side by side, so one sweep computes `K` directional derivatives and shares
//! the primal work between them. Each float's tangent is a [`Lanes<F, K>`]
//! (a `[F; K]` with lane-wise arithmetic, which the compiler vectorises);
//! `[F; N]` gets `[Lanes<F, K>; N]`, `&[F]` and `Vec<F>` get `&[Lanes<F, K>]`
//! as arguments and `Vec<Lanes<F, K>>` as results, tuples get tuples. Lane `k`
//! of the result is exactly (`==`) what `f_jvp` returns for lane `k` of the
//! tangents: the same operations on the same numbers.
//!
//! ```
//! use differentiate::prelude::*;
//! use differentiate::drivers::{jacobian_forward, jacobian_forward_vec};
//!
//! #[differentiate(forward, vector)]
//! fn polar(p: &[f64]) -> Vec<f64> {
//!     vec![p[0] * p[1].cos(), p[0] * p[1].sin(), p[0] * p[2]]
//! }
//!
//! fn main() {
//!     let p = [2.0, 0.5, 3.0];
//!     // three directions in one sweep: the unit seeds give all three columns
//!     let seeds = [Lanes::unit(0), Lanes::unit(1), Lanes::unit(2)];
//!     let (value, columns) = polar_jvp_vec::<3>(&p, &seeds);
//!     assert_eq!(value, polar(&p));
//!     assert_eq!(columns[2].to_array(), [3.0, 0.0, 2.0]); // d(p0 p2)/dp
//!     // the driver does the same: ceil(3 / K) sweeps
//!     assert_eq!(jacobian_forward_vec(polar_jvp_vec::<4>, &p), jacobian_forward(polar_jvp, &p));
//! }
//! ```
//!
//! - Calls: a vector-mode function calls its callees' vector mode, so a callee
//!   needs `vector` as well (rustc reports ``cannot find function `__jvp_vec` in
//!   module `g` `` otherwise). A `#[custom_derivative]` function always has it:
//!   its scalar `forward` rule runs once per lane (`K` calls; the rule stays
//!   the one source of truth), or, without a forward rule, its body's vector mode.
//! - Stacking: `vector` applies wherever its attribute's `forward` does, so
//!   `#[differentiate(forward, vector)] #[differentiate(reverse)]` also gives
//!   `f_vjp_jvp_vec`: `K` Hessian-vector products per sweep
//!   ([`drivers::hessian_vec`]). `f_jvp_vec` itself is a leaf: outer attributes
//!   do not differentiate it again (stack `forward` below instead).
//! - `wrt(...)` applies as for `f_jvp`. `K` is a const generic parameter of the
//!   generated function (named `K`, or `LANES` where the function already uses
//!   `K`); fix it with a turbofish (`f_jvp_vec::<8>`) or let the tangents' type
//!   decide.
//! - Cost: one vector sweep costs one evaluation of `f` plus `K` tangent
//!   updates per operation, done lane by lane on SIMD registers. A Jacobian
//!   takes `ceil(n / K)` sweeps with [`drivers::jacobian_forward_vec`];
//!   [`drivers::jacobian_vec`] picks between that and reverse mode. On the
//!   2 x 15 Jacobian of a bundle-adjustment residual (`benches/vector.rs`) one
//!   16-lane sweep takes about a third of the time of 15 scalar sweeps.
//!
//! # What a body may contain
//!
//! Arithmetic, compound assignment, `let`/`let mut`, shadowing, tuples, casts
//! between float types; the float methods `sin cos tan asin acos atan atan2 sinh
//! cosh tanh exp exp2 ln log10 log2 ln_1p exp_m1 sqrt cbrt powi powf abs hypot
//! max min signum mul_add recip clamp floor ceil round trunc` (also as
//! `f64::sin(x)`); `if`/`else`, `match`, `for` over ranges and over iterators
//! of inactive values, `while`, `loop`, `break`/`continue` (labelled too), early
//! `return`; indexing of arrays, slices and vectors, reading and writing;
//! buffers from `vec![0.0; n]`, `[0.0; N]`, `Vec::with_capacity(n)` + `push`;
//! `println!`/`assert!`-style macros (passed through untouched); calls to other
//! differentiated functions, including recursion.
//!
//! Anything else is a compile error pointing at the construct, saying what to
//! do instead. The three most common:
//!
//! ```text
//! error: method `sine` has no derivative rule (did you mean `sin`?); supported float methods: ...
//!  --> src/lib.rs:5:7
//!   |
//! 5 |     x.sine()
//!   |       ^^^^
//! ```
//! Fix: use a supported method, or move the computation into a function of
//! your own that carries `#[differentiate]`.
//!
//! ```text
//! error[E0277]: `helper` has no derivatives: annotate it with `#[differentiate(reverse)]`,
//!               register a `#[custom_derivative]` for it, or do not pass it values that
//!               carry a derivative
//!   |
//! 9 |     helper(x) + x
//!   |     ^^^^^^ `helper` is called with an argument that carries a derivative
//! ```
//! Fix: put the attribute the message names on `helper` (the caller's modes;
//! for a stacked caller, its stack), or register a `#[custom_derivative]` for
//! it, or keep values that carry a derivative out of the call (see [Calls
//! between differentiated functions](#calls-between-differentiated-functions)).
//!
//! ```text
//! error: this loop iterates over `x`, which carries a derivative; loop over
//!        indices instead (`for i in 0..x.len()`) and read `x[i]`
//! ```
//!
//! # Calls between differentiated functions
//!
//! A call `g(x)` inside a differentiated function uses `g`'s derivatives, which
//! live in a hidden module named like the function (`g::__vjp`,
//! `g::__pullback`, `g::__jvp`, ...). A module and a function share a name in
//! different namespaces, so **whatever imports `g` imports its derivatives
//! too**: `use crate::shapes::g;` or `use crate::shapes::*;`, or call it by path
//! (`shapes::g(x)`). Nothing else needs importing. The callee needs the modes the
//! caller uses (and, for stacked callers, the same stack).
//!
//! A call to a function without derivatives is one error, at the callee, in
//! the library's words (above); a callee that has derivatives but not the
//! ones the caller needs (a `forward` caller of a `reverse`-only function, a
//! stacked caller of an unstacked one, up to second order) is one error at
//! the callee saying which derivative it lacks and which attribute gives it.
//! (How: a call `g(x)` is generated as `g::__pullback(x)`; each generated
//! function imports `g`, whose derivative module then shadows a stand-in that
//! exists only to fail with that message, through a trait bound carrying
//! `#[diagnostic::on_unimplemented]`. A proc macro cannot see whether `g` is
//! annotated; rustc's name resolution can.) Beyond second order a missing
//! stacked derivative is rustc's "cannot find function `__vjp_jvp_jvp` in
//! module `g`".
//!
//! In reverse mode a call costs the callee's own forward and reverse sweeps
//! once: the caller runs the callee's `__pullback`, which returns the callee's
//! reverse sweep as a closure, so nothing is recomputed at any call depth. A
//! self-recursive function's pullback is boxed (one allocation per level).
//!
//! # Custom derivatives
//!
//! `#[custom_derivative(reverse = r, forward = j)]` on a function makes every
//! differentiated caller use the rules `r` and `j`, whose signatures are the
//! ones `#[differentiate]` would generate (checked at compile time, one error
//! at the rule). Either may be omitted: the other mode is then derived from the
//! body. A rule that carries `#[differentiate(forward)]` itself, with a stacked
//! `#[differentiate(forward)]` on the function, gives exact second
//! derivatives. Optionally, `pullback = p` adds a first-order shortcut for
//! callers' reverse sweeps: `p(args) -> (value, closure)`, the closure mapping
//! the output's cotangent to a tuple of the adjoints, so the rule keeps what its
//! forward computation made instead of recomputing it (second order still goes
//! through `reverse`). The runtime's tensor operations are registered this way.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[custom_derivative(reverse = cube_vjp, pullback = cube_pb)]
//! fn cube(x: f64) -> f64 { x * x * x }
//!
//! fn cube_vjp(x: f64, d_out: f64) -> (f64, f64) { (x * x * x, 3.0 * x * x * d_out) }
//!
//! fn cube_pb(x: f64) -> (f64, impl FnOnce(f64) -> (f64,)) {
//!     let sq = x * x; // kept for the reverse sweep
//!     (sq * x, move |d_out| (3.0 * sq * d_out,))
//! }
//!
//! #[differentiate(reverse)]
//! fn twice_cube(x: f64) -> f64 { 2.0 * cube(x) }
//!
//! fn main() {
//!     assert_eq!(twice_cube_vjp(2.0, 1.0), (16.0, 24.0));
//! }
//! ```
//!
//! # Tensors and parameter structs
//!
//! [`Tensor<F>`](Tensor) parameters (`&Tensor<F>` or `Tensor<F>`), locals and
//! results work in both modes and to second order. Their adjoint is a tensor
//! of the same shape; forward tangents and reverse seeds are `&Tensor<F>`.
//! Inside a differentiated body, `+ - * /` between tensors (one shape,
//! elementwise; owned or borrowed, `&a * &b`) and with scalars (`s * &t`,
//! `&t + 1.0`, `2.0 - &t`, `&t / s`: every element), unary `-`, and the methods
//! `sin cos tan asin acos atan sinh cosh tanh exp exp2 exp_m1 ln log2 log10
//! ln_1p sqrt cbrt recip abs signum powi powf relu sigmoid softplus logsumexp
//! softmax log_softmax sum mean norm max min sum_axis dot matmul transpose
//! reshape solve inverse cholesky logdet to_vec` become calls of the runtime's
//! tensor operations. Each is registered with `#[custom_derivative]`, the
//! mechanism users have, and its rules are written over the same set of
//! operations, so `f_vjp_jvp` of tensor code is exact (`cholesky` has
//! first-order rules only). `Tensor::from_vec(data, &shape)` is differentiable
//! in `data`; `Tensor::zeros`, `ones` and `eye` are constants.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[differentiate(reverse, wrt(w))]
//! fn least_squares(x: &Tensor<f64>, w: &Tensor<f64>, y: &Tensor<f64>) -> f64 {
//!     let r = &x.matmul(w) - y;
//!     r.dot(&r)
//! }
//!
//! fn main() {
//!     let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
//!     let w = Tensor::from_vec(vec![0.5, -1.0], &[2]);
//!     let y = Tensor::from_vec(vec![1.0, 0.0], &[2]);
//!     let (_, dw) = least_squares_vjp(&x, &w, &y, 1.0);
//!     // 2 X^T (X w - y)
//!     let r = &x.matmul(&w) - &y;
//!     assert_eq!(dw, x.transpose().matmul(&r) * 2.0);
//! }
//! ```
//!
//! How the engine tells a tensor from a scalar: parameters and `let`s typed
//! `Tensor`, results of tensor operations, receivers of tensor-only methods
//! (`matmul`, `relu`, `sum`, ...), and borrowed operands of arithmetic with a
//! tensor (`&h + &p.bias`). A tensor returned by one of your own functions is
//! of a type the macro cannot see: write `let h: Tensor<f64> = layer(..);`.
//!
//! Fields of structs are read with `p.name` (the adjoint of a `&Params`
//! parameter is a `Params` of gradients, the forward tangent a `&Params`);
//! `#[derive(Differentiable)]` gives a struct its derivative type. Second
//! derivatives through reverse mode (`f_vjp_jvp`) do not follow struct fields
//! yet (a spanned error says so): for Hessians, pass the fields as separate
//! parameters. Shape mismatches
//! panic naming the operation and both shapes (`sub: shapes [2] and [3]
//! differ`), in the primal and in every derivative.
//!
//! Speed: the first-order reverse sweep of each operation is a fused kernel
//! (`pullback = ...` in `#[custom_derivative]`) that keeps what the forward
//! computation made (the output of `tanh`, `exp`, ...); products skip the
//! GEMM of an operand that needs no adjoint (data, constants); adjoints of
//! matrix products are GEMMs with transposed operands, never materialised
//! transposes. A tensor adjoint starts as its first contribution, so no zero
//! tensors are allocated and added.
//!
//! # Conventions
//!
//! - Non-differentiable points follow JAX: `abs'(0) = 0`, `signum' = 0`, ties of
//!   `max`/`min` send the whole derivative to the first argument, `sqrt'(0) =
//!   +inf`, `clamp` passes the derivative only strictly inside its bounds,
//!   `floor`/`ceil`/`round`/`trunc` have derivative 0.
//! - Branch conditions are evaluated at run time; the derivative is that of the
//!   branch taken.
//! - The derivative rules of the float methods are in one table,
//!   `autodiff-runtime/src/rules/table.rs`, compiled into the runtime
//!   ([`rules`]) and inlined by the macro.
//!
//! # Parameter structs
//!
//! `#[derive(Differentiable)]` makes a struct of parameters its own adjoint,
//! like a JAX pytree: the gradient of a `&Params` parameter is a `Params` of
//! gradients, and its forward tangent is a `&Params`. Fields may be `f32`,
//! `f64`, `[F; N]`, `Vec<F>`, [`Tensor<F>`](Tensor), tuples of these and
//! other derived structs; fields of integer, `bool`, `char`, `String` or
//! `Option` type, and fields marked `#[differentiable(skip)]`, carry no
//! gradient and are copied from the primal into the adjoint. The struct may
//! be generic (`struct Mlp<F: Real>`). The derive also implements
//! [`VectorSpace`] (`scale`, `axpy`, `dot`, `norm`, `set_zero`), so an
//! optimiser step is one line:
//!
//! ```
//! use differentiate::prelude::*;
//! use differentiate::Accumulate;
//!
//! #[derive(Differentiable, Debug, PartialEq)]
//! struct Mlp<F: Real> {
//!     w: Tensor<F>,
//!     b: Vec<F>,
//!     #[differentiable(skip)]
//!     dropout: F,
//!     layers: usize,
//! }
//!
//! let mut p = Mlp { w: Tensor::ones(&[2, 2]), b: vec![0.5_f32; 2], dropout: 0.1, layers: 1 };
//! let mut grad = p.zero_adjoint(); // an Mlp: zero gradients, copied dropout and layers
//! grad.accumulate(Mlp { w: Tensor::eye(2), b: vec![1.0, -1.0], dropout: 0.0, layers: 0 });
//! p.axpy(-0.5, &grad); // p -= 0.5 * grad, on the gradient fields only
//! assert_eq!(p.w.to_vec(), vec![0.5, 1.0, 1.0, 0.5]);
//! assert_eq!(p.b, vec![0.0, 1.0]);
//! assert_eq!((p.dropout, p.layers), (0.1, 1));
//! assert_eq!(grad.dot(&grad), 4.0);
//! ```
//!
//! A differentiated function may take `&Params` and hand it to other
//! differentiated functions or to functions with a `#[custom_derivative]`,
//! whose rules receive and return the struct (`f_vjp(p, .., d_out) -> (value,
//! Params, ..)`, `f_jvp(p, .., dp: &Params, ..)`); reading its fields inside a
//! differentiated body is not supported yet (see Limits). A field type
//! without a gradient, an enum, or a reference field is a compile error at the
//! type saying what to do.
//!
//! # Memory, and checkpointing long loops
//!
//! Reverse mode keeps what its sweep back needs and nothing else: the old
//! value of a variable it overwrites, if some adjoint reads that value (a
//! running sum `s += x[i]` read only at the end by `s.ln()` keeps nothing per
//! iteration); and the loop locals it cannot recompute from what is still
//! available. A loop of `T` iterations that overwrites needed values still
//! keeps `O(T)` of them. `#[checkpoint]` on such a loop trades that memory for
//! one more forward run of it: the forward sweep keeps a snapshot of the
//! loop's state (the variables from outside the loop that it writes) every
//! `ceil(sqrt(T))` iterations and drops each segment's saves, and the reverse
//! sweep runs each segment forward again, with its saves, just before running
//! it backwards. Memory is `O(sqrt(T))` (snapshots plus one segment's saves),
//! time at most one extra forward run of the loop, and the gradient is the
//! same computation, bit for bit.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[differentiate(reverse)]
//! fn decay(y0: f64, rate: f64, steps: usize) -> f64 {
//!     let h = 0.001;
//!     let mut y = y0;
//!     #[checkpoint]
//!     for _ in 0..steps {
//!         y = y - h * rate * y.sin();
//!     }
//!     y
//! }
//!
//! fn main() {
//!     let (y, dy0, drate) = decay_vjp(1.0, 2.0, 100_000, 1.0);
//!     let h = 1e-6;
//!     let fd = (decay(1.0 + h, 2.0, 100_000) - decay(1.0 - h, 2.0, 100_000)) / (2.0 * h);
//!     assert!((dy0 - fd).abs() < 1e-6 * fd.abs().max(1.0));
//!     assert!(y < 1.0 && drate < 0.0);
//! }
//! ```
//!
//! The stacks that hold the saved values take their buffers from a
//! per-thread pool and give them back when the derivative returns, so a
//! derivative called again and again (an optimizer's loop) does not allocate,
//! fault in and zero fresh memory each time;
//! [`release_pooled_stacks`] frees what the
//! current thread keeps.
//!
//! `#[checkpoint(every = n)]` sets the segment length (`n: usize`, any
//! expression of the function's parameters): snapshots cost `T / n` states,
//! saves `n` iterations. The loop must be a range `for i in lo..hi` at the top
//! level of the body, without `break`, `continue` or `return` of its own
//! (segments replay whole iterations); anything else is a compile error
//! saying so. Forward mode, and the copy of the reverse code that stacked
//! attributes differentiate again, run the loop plainly. `println!` in a
//! checkpointed loop prints again when its segment is replayed.
//!
//! # Limits (today)
//!
//! - Free functions at module level only: not methods or associated
//!   functions, not functions declared inside another function's body (their
//!   hidden module would not be reachable). The derivatives of `f` live in a
//!   module named `f` (that is what makes `use m::f;` import them), and an
//!   `impl` cannot hold a module. A method (`self` receiver) or an associated
//!   function that mentions `Self` is a spanned error saying to move it out of
//!   the `impl`. An associated function without either is indistinguishable
//!   from a free function to its attribute (a function-level attribute sees
//!   only the function), so it gets rustc's "module is not supported in
//!   `trait`s or `impl`s" at the attribute, and nothing else. Write it as a
//!   free function (in a module named after the type, if you want the
//!   grouping) taking what it needs as parameters. Why an error rather than
//!   support: a method's body mostly reads `self`'s fields, which
//!   differentiated code cannot do yet (field access comes with
//!   `#[derive(Differentiable)]`); when it can, an attribute on the `impl`
//!   block, which does see its context, is the way to emit the derivatives as
//!   associated functions.
//! - A parameter (or result) of a type of your own needs [`Differentiable`];
//!   without it the error is one, at the parameter's type. `type Adjoint =
//!   ();` makes the type inactive (configuration, lookup data): it is passed
//!   through and gets the `()` derivative.
//! - Mutual recursion (`f` calls `g` calls `f`) in reverse mode needs
//!   `recursive` on one function of the cycle (`#[differentiate(reverse,
//!   recursive)]`): its pullback is then boxed, as a self-recursive function's
//!   is automatically. Without it rustc reports `cannot resolve opaque type`.
//! - Calling a generated derivative (`f_vjp`) from a differentiated function
//!   is not supported: call `f` and stack attributes instead.
//! - Closures, `&mut` parameters, writing struct fields and `?` are not
//!   supported in differentiated bodies.
//! - Shadowed variables used inside `println!("{x}")`-style inline format
//!   arguments print the first binding.
//!
//! # Seeing the derivative
//!
//! `#[differentiate(reverse, dump)] fn f` adds `const F_VJP_SOURCE: &str` with
//! the pretty-printed derivative; setting `DIFFERENTIATE_DUMP=1` while building
//! prints every generated user-facing function to stderr (`=all` also prints the
//! hidden entries).
#![forbid(unsafe_code)]

// Lets `::differentiate::...` paths in generated code resolve inside this crate too.
extern crate self as differentiate;

pub use autodiff_macros::{custom_derivative, differentiate, Differentiable};
pub use autodiff_runtime::{
    drivers, nodiff, release_pooled_stacks, rules, testing, zero_lanes_like, zero_like, Accumulate,
    Differentiable, GradientField, Lanes, Real, ShapeError, Tensor, VectorSpace, VectorTangent,
};

/// Everything a user of the attribute needs: `use differentiate::prelude::*;`.
pub mod prelude {
    pub use autodiff_macros::{custom_derivative, differentiate, Differentiable};
    pub use autodiff_runtime::{Differentiable, Lanes, Real, Tensor, VectorSpace};
}

/// The path generated code uses to reach the runtime. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use autodiff_runtime::__private::*;
}
