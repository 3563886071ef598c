//! Tangents of several directions at once: [`Lanes`], and the tangent types of
//! vector-mode forward derivatives ([`VectorTangent`]).
//!
//! `#[differentiate(forward, vector)]` generates, beside `f_jvp`, a function
//! `f_jvp_vec::<K>` that runs the same forward sweep with every tangent
//! replaced by `K` tangents side by side: one sweep pushes `K` directions
//! through `f`, sharing the primal computation. Lane `k` of the result is
//! exactly what `f_jvp` returns for the tangents' lane `k` (the same
//! operations on the same numbers).
//!
//! | scalar tangent (`f_jvp`) | vector tangent (`f_jvp_vec::<K>`) |
//! |---|---|
//! | `F` | `Lanes<F, K>` |
//! | `[F; N]` | `[Lanes<F, K>; N]` |
//! | `&[F]` (argument), `Vec<F>` (result) | `&[Lanes<F, K>]`, `Vec<Lanes<F, K>>` |
//! | tuples | tuples |

use core::ops::{
    Add, AddAssign, Div, DivAssign, Index, IndexMut, Mul, MulAssign, Neg, Sub, SubAssign,
};

use crate::{Accumulate, Differentiable, Real};

/// `K` tangent components of one float carried side by side: the tangent type
/// of a float in vector-mode forward derivatives (`f_jvp_vec`).
///
/// Arithmetic is lane by lane: `+ -` between lanes, `* /` by a float (the
/// derivative is linear in the tangent, so nothing else is needed), compound
/// assignment, unary `-`. Everything is `#[inline]` and works on a plain
/// `[F; K]`, so the compiler turns the lane loops into SIMD instructions.
///
/// ```
/// use autodiff_runtime::Lanes;
/// let a = Lanes::new([1.0, 2.0, 3.0]);
/// let b = Lanes::<f64, 3>::unit(1); // [0, 1, 0]
/// assert_eq!((a + b) * 2.0, Lanes::new([2.0, 6.0, 6.0]));
/// assert_eq!((-a)[2], -3.0);
/// let raw: [f64; 3] = (a / 2.0).into();
/// assert_eq!(raw, [0.5, 1.0, 1.5]);
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
#[repr(transparent)]
pub struct Lanes<F, const K: usize>([F; K]);

impl<F: Real, const K: usize> Lanes<F, K> {
    /// The lanes `values`.
    #[inline(always)]
    pub const fn new(values: [F; K]) -> Self {
        Lanes(values)
    }

    /// All lanes zero.
    #[inline(always)]
    pub fn zero() -> Self {
        Lanes([F::ZERO; K])
    }

    /// Every lane `value`.
    #[inline(always)]
    pub fn splat(value: F) -> Self {
        Lanes([value; K])
    }

    /// Lane `k` one, the others zero: the `k`-th unit seed.
    ///
    /// Panics when `k >= K`.
    #[inline]
    #[track_caller]
    pub fn unit(k: usize) -> Self {
        let mut l = Self::zero();
        l.0[k] = F::ONE;
        l
    }

    /// The lanes as an array.
    #[inline(always)]
    pub fn to_array(self) -> [F; K] {
        self.0
    }

    /// The lanes as a slice.
    #[inline(always)]
    pub fn as_slice(&self) -> &[F] {
        &self.0
    }

    /// Each lane converted to another float type (`as` between `f32` and
    /// `f64`: exact widening, round-to-nearest narrowing).
    ///
    /// ```
    /// use autodiff_runtime::Lanes;
    /// assert_eq!(Lanes::new([0.5_f32, 2.0]).cast::<f64>(), Lanes::new([0.5_f64, 2.0]));
    /// ```
    #[inline(always)]
    pub fn cast<G: Real>(self) -> Lanes<G, K> {
        Lanes(self.0.map(|v| G::from_f64(v.to_f64())))
    }
}

impl<F: Real, const K: usize> Default for Lanes<F, K> {
    #[inline(always)]
    fn default() -> Self {
        Self::zero()
    }
}

impl<F, const K: usize> From<[F; K]> for Lanes<F, K> {
    #[inline(always)]
    fn from(values: [F; K]) -> Self {
        Lanes(values)
    }
}

impl<F, const K: usize> From<Lanes<F, K>> for [F; K] {
    #[inline(always)]
    fn from(l: Lanes<F, K>) -> Self {
        l.0
    }
}

impl<F, const K: usize> Index<usize> for Lanes<F, K> {
    type Output = F;
    #[inline(always)]
    fn index(&self, k: usize) -> &F {
        &self.0[k]
    }
}

impl<F, const K: usize> IndexMut<usize> for Lanes<F, K> {
    #[inline(always)]
    fn index_mut(&mut self, k: usize) -> &mut F {
        &mut self.0[k]
    }
}

/// Lane-by-lane binary operators between two `Lanes`, or `Lanes` and a float.
macro_rules! lane_ops {
    ($($op:ident $method:ident $assign:ident $assign_method:ident, $rhs:ty, $rhs_lane:tt;)*) => {$(
        impl<F: Real, const K: usize> $op<$rhs> for Lanes<F, K> {
            type Output = Lanes<F, K>;
            #[inline(always)]
            fn $method(mut self, rhs: $rhs) -> Lanes<F, K> {
                for k in 0..K {
                    self.0[k] = $op::$method(self.0[k], lane_ops!(@lane rhs, k, $rhs_lane));
                }
                self
            }
        }
        impl<F: Real, const K: usize> $assign<$rhs> for Lanes<F, K> {
            #[inline(always)]
            fn $assign_method(&mut self, rhs: $rhs) {
                for k in 0..K {
                    $assign::$assign_method(&mut self.0[k], lane_ops!(@lane rhs, k, $rhs_lane));
                }
            }
        }
    )*};
    (@lane $rhs:ident, $k:ident, lanes) => { $rhs.0[$k] };
    (@lane $rhs:ident, $k:ident, scalar) => { $rhs };
}

lane_ops! {
    Add add AddAssign add_assign, Lanes<F, K>, lanes;
    Sub sub SubAssign sub_assign, Lanes<F, K>, lanes;
    Mul mul MulAssign mul_assign, F, scalar;
    Div div DivAssign div_assign, F, scalar;
}

impl<F: Real, const K: usize> Neg for Lanes<F, K> {
    type Output = Lanes<F, K>;
    #[inline(always)]
    fn neg(mut self) -> Lanes<F, K> {
        for k in 0..K {
            self.0[k] = -self.0[k];
        }
        self
    }
}

/// `float * lanes` for the two concrete float types (a generic `F * Lanes`
/// cannot be written in Rust; generated code always puts the tangent first).
macro_rules! scalar_times_lanes {
    ($($t:ty),*) => {$(
        impl<const K: usize> Mul<Lanes<$t, K>> for $t {
            type Output = Lanes<$t, K>;
            #[inline(always)]
            fn mul(self, rhs: Lanes<$t, K>) -> Lanes<$t, K> {
                rhs * self
            }
        }
    )*};
}
scalar_times_lanes!(f32, f64);

impl<F: Real, const K: usize> Accumulate for Lanes<F, K> {
    #[inline(always)]
    fn accumulate(&mut self, other: Self) {
        *self += other;
    }
}

/// A tangent type of scalar forward mode (the `Adjoint` of a
/// [`Differentiable`] type) and its vector-mode counterpart of `K` lanes.
///
/// Implemented for the floats, arrays, vectors and tuples of them, and `()`
/// (inactive values). Generated `f_jvp_vec` code uses it for zeros of values
/// whose shape is only known at run time; the vector-mode adapter of a
/// `#[custom_derivative]` forward rule uses `lane`/`set_lane` to run the scalar
/// rule once per lane.
///
/// ```
/// use autodiff_runtime::{Lanes, VectorTangent};
/// let mut t: Vec<Lanes<f64, 2>> = vec![1.5_f64, 2.0].zero_lanes();
/// assert_eq!(t, vec![Lanes::zero(); 2]);
/// VectorTangent::set_lane(&mut t, 1, vec![3.0, 4.0]);
/// assert_eq!(<Vec<f64> as VectorTangent<2>>::lane(&t, 1), vec![3.0, 4.0]);
/// ```
pub trait VectorTangent<const K: usize>: Sized {
    /// The same shape with every float replaced by `Lanes<F, K>`.
    type Lanes;
    /// Zero lanes shaped like `self`.
    fn zero_lanes(&self) -> Self::Lanes;
    /// Lane `k` of `lanes`, as a scalar-mode tangent.
    fn lane(lanes: &Self::Lanes, k: usize) -> Self;
    /// Writes `value` into lane `k` of `lanes` (shapes must agree).
    fn set_lane(lanes: &mut Self::Lanes, k: usize, value: Self);
}

impl<F: Real, const K: usize> VectorTangent<K> for F {
    type Lanes = Lanes<F, K>;
    #[inline(always)]
    fn zero_lanes(&self) -> Lanes<F, K> {
        Lanes::zero()
    }
    #[inline(always)]
    fn lane(lanes: &Lanes<F, K>, k: usize) -> F {
        lanes.0[k]
    }
    #[inline(always)]
    fn set_lane(lanes: &mut Lanes<F, K>, k: usize, value: F) {
        lanes.0[k] = value;
    }
}

impl<const K: usize> VectorTangent<K> for () {
    type Lanes = ();
    #[inline(always)]
    fn zero_lanes(&self) {}
    #[inline(always)]
    fn lane(_: &(), _: usize) {}
    #[inline(always)]
    fn set_lane(_: &mut (), _: usize, _: ()) {}
}

impl<A: VectorTangent<K>, const N: usize, const K: usize> VectorTangent<K> for [A; N] {
    type Lanes = [A::Lanes; N];
    #[inline]
    fn zero_lanes(&self) -> [A::Lanes; N] {
        core::array::from_fn(|i| self[i].zero_lanes())
    }
    #[inline]
    fn lane(lanes: &[A::Lanes; N], k: usize) -> [A; N] {
        core::array::from_fn(|i| A::lane(&lanes[i], k))
    }
    #[inline]
    fn set_lane(lanes: &mut [A::Lanes; N], k: usize, value: [A; N]) {
        for (l, v) in lanes.iter_mut().zip(value) {
            A::set_lane(l, k, v);
        }
    }
}

impl<A: VectorTangent<K>, const K: usize> VectorTangent<K> for Vec<A> {
    type Lanes = Vec<A::Lanes>;
    #[inline]
    fn zero_lanes(&self) -> Vec<A::Lanes> {
        self.iter().map(A::zero_lanes).collect()
    }
    #[inline]
    fn lane(lanes: &Vec<A::Lanes>, k: usize) -> Vec<A> {
        lanes.iter().map(|l| A::lane(l, k)).collect()
    }
    #[inline]
    #[track_caller]
    fn set_lane(lanes: &mut Vec<A::Lanes>, k: usize, value: Vec<A>) {
        if lanes.len() != value.len() {
            panic!(
                "set_lane: a tangent of length {} cannot go into lanes of length {}",
                value.len(),
                lanes.len()
            );
        }
        for (l, v) in lanes.iter_mut().zip(value) {
            A::set_lane(l, k, v);
        }
    }
}

macro_rules! tuple_vector_tangent {
    ($(($($n:tt $t:ident),+))*) => {$(
        impl<$($t: VectorTangent<K>,)+ const K: usize> VectorTangent<K> for ($($t,)+) {
            type Lanes = ($($t::Lanes,)+);
            #[inline]
            fn zero_lanes(&self) -> Self::Lanes {
                ($(self.$n.zero_lanes(),)+)
            }
            #[inline]
            fn lane(lanes: &Self::Lanes, k: usize) -> Self {
                ($($t::lane(&lanes.$n, k),)+)
            }
            #[inline]
            fn set_lane(lanes: &mut Self::Lanes, k: usize, value: Self) {
                $($t::set_lane(&mut lanes.$n, k, value.$n);)+
            }
        }
    )*};
}
tuple_vector_tangent! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G, 6 H)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 G, 6 H, 7 I)
}

/// Zero vector-mode tangent (`K` lanes) shaped like `x`.
///
/// ```
/// use autodiff_runtime::{zero_lanes_like, Lanes};
/// let x: &[f32] = &[1.0, 2.0];
/// assert_eq!(zero_lanes_like::<_, 4>(x), vec![Lanes::<f32, 4>::zero(); 2]);
/// ```
#[inline(always)]
pub fn zero_lanes_like<T, const K: usize>(x: &T) -> <T::Adjoint as VectorTangent<K>>::Lanes
where
    T: Differentiable + ?Sized,
    T::Adjoint: VectorTangent<K>,
{
    x.zero_adjoint().zero_lanes()
}

/// Lane `k` of a slice of lanes, as the scalar tangent `Vec<A>` (the vector
/// adapter of a custom forward rule passes it as `&[A]`).
#[doc(hidden)]
#[inline]
pub fn slice_lane<A: VectorTangent<K>, const K: usize>(lanes: &[A::Lanes], k: usize) -> Vec<A> {
    lanes.iter().map(|l| A::lane(l, k)).collect()
}

/// `value` cast to the float type of `like`, lane by lane (vector mode's
/// counterpart of `__private::cast_as`).
#[doc(hidden)]
#[inline(always)]
pub fn cast_lanes_as<A: Real, B: Real, const K: usize>(
    value: Lanes<A, K>,
    _like: B,
) -> Lanes<B, K> {
    value.cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_is_lane_by_lane_and_exact() {
        let a = Lanes::new([0.1_f64, 0.2, 0.3]);
        let b = Lanes::new([1e-3_f64, -2.5, 7.0]);
        let s = 1.7_f64;
        let sum = a + b;
        let diff = a - b;
        let prod = a * s;
        let quot = a / s;
        for k in 0..3 {
            assert_eq!(sum[k], a[k] + b[k]);
            assert_eq!(diff[k], a[k] - b[k]);
            assert_eq!(prod[k], a[k] * s);
            assert_eq!(quot[k], a[k] / s);
            assert_eq!((s * a)[k], s * a[k]);
            assert_eq!((-a)[k], -a[k]);
        }
        let mut c = a;
        c += b;
        c -= a;
        c *= s;
        c /= 3.0;
        for k in 0..3 {
            assert_eq!(c[k], (a[k] + b[k] - a[k]) * s / 3.0);
        }
    }

    #[test]
    fn unit_splat_and_conversions() {
        let u = Lanes::<f32, 4>::unit(2);
        assert_eq!(u.to_array(), [0.0, 0.0, 1.0, 0.0]);
        assert_eq!(Lanes::<f32, 2>::splat(3.0).as_slice(), &[3.0, 3.0]);
        let back: [f32; 4] = u.into();
        assert_eq!(Lanes::from(back), u);
        assert_eq!(Lanes::<f64, 3>::default(), Lanes::zero());
        let narrowed = Lanes::new([0.1_f64, 1e300]).cast::<f32>();
        assert_eq!(narrowed.to_array(), [0.1_f64 as f32, 1e300_f64 as f32]);
    }

    #[test]
    #[should_panic(expected = "index out of bounds")]
    fn unit_past_the_last_lane_panics() {
        let _ = Lanes::<f64, 2>::unit(2);
    }

    #[test]
    fn vector_tangents_of_nested_shapes() {
        let x = ([1.0_f64, 2.0], vec![3.0_f64], 4.0_f32, ());
        type L3 = ([Lanes<f64, 3>; 2], Vec<Lanes<f64, 3>>, Lanes<f32, 3>, ());
        let mut z: L3 = x.zero_lanes();
        assert_eq!(z.1.len(), 1);
        VectorTangent::set_lane(&mut z, 2, x.clone());
        assert_eq!(<(_, _, _, ()) as VectorTangent<3>>::lane(&z, 2), x);
        assert_eq!(z.0[1].to_array(), [0.0, 0.0, 2.0]);
        assert_eq!(z.2.to_array(), [0.0, 0.0, 4.0]);
        let mut acc = z.clone();
        acc.accumulate(z);
        assert_eq!(acc.0[0].to_array(), [0.0, 0.0, 2.0]);
    }

    #[test]
    #[should_panic(expected = "set_lane: a tangent of length 1 cannot go into lanes of length 2")]
    fn set_lane_rejects_a_wrong_length() {
        let mut l = vec![Lanes::<f64, 2>::zero(); 2];
        VectorTangent::set_lane(&mut l, 0, vec![1.0]);
    }

    #[test]
    fn zero_lanes_like_follows_the_adjoint_type() {
        let s: &[f64] = &[1.0, 2.0, 3.0];
        assert_eq!(zero_lanes_like::<_, 2>(s), vec![Lanes::zero(); 3]);
        assert_eq!(zero_lanes_like::<_, 2>(&[1.0_f32; 2]), [Lanes::zero(); 2]);
        zero_lanes_like::<_, 2>(&7_usize);
        assert_eq!(
            slice_lane::<f64, 2>(&[Lanes::new([1.0, 2.0]), Lanes::new([3.0, 4.0])], 1),
            vec![2.0, 4.0]
        );
        assert_eq!(
            cast_lanes_as(Lanes::new([1.5_f32]), 0.0_f64),
            Lanes::new([1.5_f64])
        );
    }
}
