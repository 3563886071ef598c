//! Derivative types: what the adjoint of each parameter type is, its zero, and
//! how adjoints add up.
//!
//! | type | adjoint (`Differentiable::Adjoint`) |
//! |---|---|
//! | `f32`, `f64` | the same float |
//! | `[F; N]` | `[F; N]` |
//! | `[F]`, `Vec<F>` | `Vec<F>` |
//! | `&T` | `T::Adjoint` |
//! | tuples | tuples of adjoints |
//! | integers, `bool`, `()` | `()` (never active) |

use crate::Real;

/// A type with an adjoint (and tangent) type.
///
/// Implement it for a type of your own to use it as a parameter: with
/// `type Adjoint = ();` the type is never active (configuration, lookup data).
///
/// ```
/// use autodiff_runtime::{zero_like, Differentiable};
/// let x: &[f64] = &[1.0, 2.0];
/// assert_eq!(zero_like(x), vec![0.0, 0.0]);
/// assert_eq!(zero_like(&(1.5_f32, [2.0_f64; 2])), (0.0, [0.0; 2]));
/// assert_eq!(zero_like(&7_usize), ());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no derivative type, so it cannot be a parameter or the result of a differentiated function",
    label = "not `Differentiable`",
    note = "implement `differentiate::Differentiable` for it (`type Adjoint = ();` if it never carries a derivative), or pass the values it holds as separate parameters"
)]
pub trait Differentiable {
    /// The type of this value's adjoint (and tangent).
    type Adjoint: Accumulate;
    /// A zero adjoint of this value's shape.
    fn zero_adjoint(&self) -> Self::Adjoint;
}

/// Adding an adjoint contribution into an accumulator.
///
/// Lengths must agree; a mismatch panics naming both lengths.
///
/// ```
/// use autodiff_runtime::Accumulate;
/// let mut a = vec![1.0, 2.0];
/// a.accumulate(vec![0.5, 0.5]);
/// assert_eq!(a, vec![1.5, 2.5]);
/// ```
pub trait Accumulate<Rhs = Self> {
    /// `self += other`, elementwise.
    fn accumulate(&mut self, other: Rhs);
}

/// A zero adjoint shaped like `x`.
///
/// ```
/// assert_eq!(autodiff_runtime::zero_like(&[1.0_f64; 3]), [0.0; 3]);
/// ```
#[inline(always)]
pub fn zero_like<T: Differentiable + ?Sized>(x: &T) -> T::Adjoint {
    x.zero_adjoint()
}

/// `*acc += contribution`, for adjoints of any differentiable type.
///
/// ```
/// let mut g = [1.0_f64, 1.0];
/// autodiff_runtime::accumulate(&mut g, [2.0, 3.0]);
/// assert_eq!(g, [3.0, 4.0]);
/// ```
#[inline(always)]
pub fn accumulate<A: Accumulate<B>, B>(acc: &mut A, contribution: B) {
    acc.accumulate(contribution);
}

macro_rules! real_impls {
    ($($t:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl Differentiable for $t {
            type Adjoint = $t;
            #[inline(always)]
            fn zero_adjoint(&self) -> $t { 0.0 }
        }
        impl Accumulate for $t {
            #[inline(always)]
            fn accumulate(&mut self, other: $t) { *self += other; }
        }
    )*};
}
real_impls!(f32, f64);

macro_rules! inactive_impls {
    ($($t:ty),*) => {$(
        #[diagnostic::do_not_recommend]
        impl Differentiable for $t {
            type Adjoint = ();
            #[inline(always)]
            fn zero_adjoint(&self) {}
        }
    )*};
}
inactive_impls!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    bool,
    char,
    (),
    str,
    String
);

/// An `Option` never carries a derivative (its payload may be absent).
#[diagnostic::do_not_recommend]
impl<T> Differentiable for Option<T> {
    type Adjoint = ();
    #[inline(always)]
    fn zero_adjoint(&self) {}
}

impl Accumulate for () {
    #[inline(always)]
    fn accumulate(&mut self, _other: ()) {}
}

/// An array's adjoint takes a `Vec` contribution (a callee saw it as a slice).
impl<A: Accumulate, const N: usize> Accumulate<Vec<A>> for [A; N] {
    #[inline]
    fn accumulate(&mut self, other: Vec<A>) {
        assert_eq!(
            N,
            other.len(),
            "accumulate: adjoint of length {} cannot take a contribution of length {}",
            N,
            other.len()
        );
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<F: Real + Differentiable<Adjoint = F> + Accumulate, const N: usize> Differentiable for [F; N] {
    type Adjoint = [F; N];
    #[inline(always)]
    fn zero_adjoint(&self) -> [F; N] {
        [F::ZERO; N]
    }
}

impl<A: Accumulate, const N: usize> Accumulate for [A; N] {
    #[inline(always)]
    fn accumulate(&mut self, other: [A; N]) {
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<F: Real + Accumulate> Differentiable for [F] {
    type Adjoint = Vec<F>;
    #[inline]
    fn zero_adjoint(&self) -> Vec<F> {
        vec![F::ZERO; self.len()]
    }
}

#[diagnostic::do_not_recommend]
impl<F: Real + Accumulate> Differentiable for Vec<F> {
    type Adjoint = Vec<F>;
    #[inline]
    fn zero_adjoint(&self) -> Vec<F> {
        vec![F::ZERO; self.len()]
    }
}

impl<A: Accumulate> Accumulate for Vec<A> {
    #[inline]
    fn accumulate(&mut self, other: Vec<A>) {
        assert_eq!(
            self.len(),
            other.len(),
            "accumulate: adjoint of length {} cannot take a contribution of length {}",
            self.len(),
            other.len()
        );
        for (a, b) in self.iter_mut().zip(other) {
            a.accumulate(b);
        }
    }
}

#[diagnostic::do_not_recommend]
impl<T: Differentiable + ?Sized> Differentiable for &T {
    type Adjoint = T::Adjoint;
    #[inline(always)]
    fn zero_adjoint(&self) -> T::Adjoint {
        (**self).zero_adjoint()
    }
}

#[diagnostic::do_not_recommend]
impl<T: Differentiable + ?Sized> Differentiable for &mut T {
    type Adjoint = T::Adjoint;
    #[inline(always)]
    fn zero_adjoint(&self) -> T::Adjoint {
        (**self).zero_adjoint()
    }
}

macro_rules! tuple_impls {
    ($(($($n:tt $t:ident),+))*) => {$(
        #[diagnostic::do_not_recommend]
        impl<$($t: Differentiable),+> Differentiable for ($($t,)+) {
            type Adjoint = ($($t::Adjoint,)+);
            #[inline(always)]
            fn zero_adjoint(&self) -> Self::Adjoint { ($(self.$n.zero_adjoint(),)+) }
        }
        impl<$($t: Accumulate),+> Accumulate for ($($t,)+) {
            #[inline(always)]
            fn accumulate(&mut self, other: Self) { $(self.$n.accumulate(other.$n);)+ }
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
