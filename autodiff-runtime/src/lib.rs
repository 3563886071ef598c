//! Runtime of [`differentiate`](https://docs.rs/differentiate): the scalar rule
//! table, derivative types, and the helpers generated code calls.
//!
//! Users depend on the `differentiate` facade, not on this crate directly.
#![deny(unsafe_code)]
#![warn(missing_docs)]

// The tensor operations are registered with the macros users have; generated
// code names the runtime `::differentiate::__private`, which is this crate.
extern crate self as differentiate;

pub mod drivers;
mod lanes;
pub mod nodiff;
mod real;
pub mod rules;
mod stack;
mod tangent;
pub mod tensor;
pub mod testing;
mod vector_space;

pub use lanes::{zero_lanes_like, Lanes, VectorTangent};
pub use real::Real;
pub use stack::release_pooled_stacks;
pub use tangent::{accumulate, zero_like, Accumulate, Differentiable};
pub use tensor::{ShapeError, Tensor};
pub use vector_space::{GradientField, VectorSpace};

/// Items that generated code reaches through `::differentiate::__private`.
/// Not a public API: names and signatures change without notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::lanes::{cast_lanes_as, slice_lane, zero_lanes_like, Lanes, VectorTangent};
    pub use crate::nodiff;
    pub use crate::rules;
    pub use crate::stack::{set_stack_pooling, SaveStack, Stack, MAX_POOLED, MAX_POOLED_BYTES};
    pub use crate::tangent::{accumulate, zero_like, Accumulate, Differentiable};
    pub use crate::tensor::ad as tensor_ops;
    pub use crate::vector_space::{GradientField, VectorSpace};
    pub use crate::Real;

    /// [`zero_like`] for a tensor's adjoint: the same value, a name the code
    /// generator's clean-up recognises (a tensor adjoint whose first use adds
    /// a contribution starts as that contribution, with no zeros allocated).
    #[inline(always)]
    pub fn zero_tensor_like<T: Differentiable + ?Sized>(x: &T) -> T::Adjoint {
        x.zero_adjoint()
    }

    /// Compiles only for a type that can carry a gradient as a field of a
    /// `#[derive(Differentiable)]` struct (the derive's check of each field).
    #[inline(always)]
    pub fn assert_gradient_field<T: crate::GradientField>() {}

    /// A field that carries no gradient, copied into a derived struct's adjoint.
    #[inline(always)]
    pub fn copy_field<T: CopiedField>(x: &T) -> T {
        x.clone()
    }

    /// What `#[derive(Differentiable)]` needs of a field that carries no
    /// gradient: a copy of it goes into the adjoint.
    #[diagnostic::on_unimplemented(
        message = "field type `{Self}` carries no gradient, so `#[derive(Differentiable)]` copies it into the adjoint, and it must be `Clone`",
        label = "not `Clone`",
        note = "derive or implement `Clone` for `{Self}`"
    )]
    pub trait CopiedField: Clone {}
    impl<T: Clone> CopiedField for T {}

    /// The self type of the stand-in that `#[differentiate]` resolves a call
    /// to when the callee has no derivatives; its (unsatisfiable) trait bound
    /// carries the error message, spanned at the callee.
    pub enum Callee {}

    /// Pops a value the forward sweep pushed; the reverse sweep pops exactly as
    /// many as were pushed, so an empty stack is a bug in the generator.
    #[inline(always)]
    #[track_caller]
    pub fn pop<S: SaveStack>(stack: &mut S) -> S::Item {
        match stack.pop_saved() {
            Some(v) => v,
            None => panic!("differentiate: internal error: reverse sweep popped an empty stack"),
        }
    }

    /// The body of the stand-in entries that make a missing derivative one
    /// readable error (`callees.rs`): a call of one does not compile (its
    /// trait bound fails with the message), so this never runs. A function
    /// rather than `unreachable!()`, whose expansion names unstable internals
    /// and so cannot be compiled from `-Zunpretty=expanded` output.
    #[cold]
    pub fn stand_in<R>() -> R {
        unreachable!("differentiate: a stand-in for a missing derivative was called")
    }

    /// Iterations in `lo..hi` (0 when empty), for a checkpointed loop.
    #[inline]
    pub fn trip_count<T: Copy + PartialOrd + core::ops::Sub<Output = T> + TryInto<usize>>(
        lo: T,
        hi: T,
    ) -> usize {
        if hi > lo {
            (hi - lo).try_into().unwrap_or(usize::MAX)
        } else {
            0
        }
    }

    /// Segment length of `#[checkpoint]`: the ceiling of the square root of
    /// the trip count, so that snapshots and one segment's saves are both
    /// about `sqrt(n)`.
    #[inline]
    pub fn checkpoint_sqrt(n: usize) -> usize {
        let mut s = (n as f64).sqrt() as usize;
        while s.saturating_mul(s) < n {
            s += 1;
        }
        s.max(1)
    }

    /// Segment length of `#[checkpoint(every = n)]`.
    #[inline]
    #[track_caller]
    pub fn checkpoint_every(n: usize) -> usize {
        if n == 0 {
            panic!(
                "#[checkpoint(every = n)]: a segment needs at least one iteration, got every = 0"
            );
        }
        n
    }

    /// `value` converted to the float type of `like` (the derivative of `x as T`
    /// flows back through this, in the source type).
    #[inline(always)]
    pub fn cast_as<A: crate::Real, B: crate::Real>(value: A, _like: B) -> B {
        B::from_f64(value.to_f64())
    }

    /// `acc += c` elementwise, for float buffers (arrays, slices, vectors).
    #[inline]
    #[track_caller]
    pub fn add_into<F: Copy + core::ops::AddAssign>(acc: &mut [F], c: &[F]) {
        if acc.len() != c.len() {
            panic!(
                "accumulate: adjoint of length {} cannot take a contribution of length {}",
                acc.len(),
                c.len()
            );
        }
        for (a, b) in acc.iter_mut().zip(c) {
            *a += *b;
        }
    }

    /// Checks a tangent or seed against the shape of its primal.
    ///
    /// Inlined, it is one compare and branch: the message is built on the
    /// cold path only (built before the compare, it cost every call of a
    /// generated JVP a dozen stores).
    #[inline]
    #[track_caller]
    pub fn check_len(op: &str, what: &str, got: usize, primal: &str, expected: usize) {
        if got != expected {
            len_mismatch(op, what, got, primal, expected);
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn len_mismatch(op: &str, what: &str, got: usize, primal: &str, expected: usize) -> ! {
        panic!("{op}: {what} has length {got} but {primal} has length {expected}");
    }
}
