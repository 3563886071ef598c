//! [`Real`]: the two float types every part of the library is generic over.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

macro_rules! float_methods {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` of the underlying float type.")]
            fn $name(self $(, $arg: $ty)*) -> Self;
        )*
    };
}

macro_rules! float_impls {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {
        $(
            #[inline(always)]
            fn $name(self $(, $arg: $ty)*) -> Self { <Self>::$name(self $(, $arg)*) }
        )*
    };
}

/// `f32` or `f64`: the scalar types derivatives are taken in.
///
/// Generic runtime code (tensors, drivers, the `testing` checks) is written once
/// over `Real`; generated derivative code never needs it, because the macro emits
/// plain float arithmetic.
///
/// ```
/// use autodiff_runtime::Real;
/// fn half<F: Real>(x: F) -> F { x * F::from_f64(0.5) }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(half(3.0_f64), 1.5);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a float type: expected `f32` or `f64`",
    label = "not `f32` or `f64`",
    note = "derivatives are taken in `f32` or `f64` (or a generic `F: Real`); arrays, `Vec`s and tensors that carry derivatives hold one of them directly"
)]
pub trait Real:
    Copy
    + Debug
    + Display
    + Default
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + core::iter::Sum
    + crate::Accumulate
    + crate::Differentiable<Adjoint = Self>
    + crate::GradientField
{
    /// Machine epsilon.
    const EPSILON: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Not a number.
    const NAN: Self;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Name of the type, for messages (`"f32"`, `"f64"`).
    const NAME: &'static str;
    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(x: f64) -> Self;
    /// Converts from `i32` exactly where representable.
    fn from_i32(n: i32) -> Self;
    /// Converts from `usize`.
    fn from_usize(n: usize) -> Self;
    /// Widens to `f64`.
    fn to_f64(self) -> f64;
    /// `true` when neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// `true` for NaN.
    fn is_nan(self) -> bool;
    /// `powi` of the underlying float type.
    fn powi(self, n: i32) -> Self;
    /// `clamp` of the underlying float type.
    fn clamp(self, lo: Self, hi: Self) -> Self;
    float_methods!(
        sin(), cos(), tan(), asin(), acos(), atan(), atan2(other: Self), sinh(), cosh(),
        tanh(), exp(), exp2(), exp_m1(), ln(), log10(), log2(), ln_1p(), sqrt(), cbrt(),
        recip(), powf(p: Self), abs(), signum(), hypot(other: Self), max(other: Self),
        min(other: Self), mul_add(a: Self, b: Self), floor(), ceil(), round(), trunc(),
    );
}

macro_rules! impl_real {
    ($t:ident) => {
        impl Real for $t {
            const EPSILON: Self = $t::EPSILON;
            const INFINITY: Self = $t::INFINITY;
            const NAN: Self = $t::NAN;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn from_i32(n: i32) -> Self {
                n as $t
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline(always)]
            fn clamp(self, lo: Self, hi: Self) -> Self {
                <$t>::clamp(self, lo, hi)
            }
            float_impls!(
                sin(), cos(), tan(), asin(), acos(), atan(), atan2(other: Self), sinh(), cosh(),
                tanh(), exp(), exp2(), exp_m1(), ln(), log10(), log2(), ln_1p(), sqrt(), cbrt(),
                recip(), powf(p: Self), abs(), signum(), hypot(other: Self), max(other: Self),
                min(other: Self), mul_add(a: Self, b: Self), floor(), ceil(), round(), trunc(),
            );
        }
    };
}
impl_real!(f32);
impl_real!(f64);
