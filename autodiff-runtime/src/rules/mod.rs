//! The scalar rule table (`table.rs`, one row per primitive), compiled for `f32`
//! and `f64`.
//!
//! Each row becomes a module `rules::f64::NAME` (and `rules::f32::NAME`) with:
//! - `value(args) -> F`: the primitive itself;
//! - `partials(args) -> [F; K]`: one partial derivative per differentiable argument;
//! - `jvp(args, tangents) -> (F, F)`: value and tangent, the signature
//!   `#[differentiate(forward)]` would give;
//! - `vjp(args, d_out) -> (F, partials...)` as an array: value and the adjoint
//!   of each differentiable argument.
//!
//! [`NAMES`] lists the rows, so tests can iterate the table.
//!
//! ```
//! use autodiff_runtime::rules::f64::sin;
//! assert_eq!(sin::jvp([0.5], [2.0]), (0.5_f64.sin(), 2.0 * 0.5_f64.cos()));
//! assert_eq!(sin::vjp([0.5], 3.0), (0.5_f64.sin(), [3.0 * 0.5_f64.cos()]));
//! ```

/// Builds one module per row; see the module documentation.
macro_rules! scalar_rules {
    ($($name:ident ( $recv:ident $(, $arg:ident $(: $int:ty)?)* ) -> $out:ident : [ $($d:expr),* $(,)? ];)*) => {
        /// The names of the rows, in table order.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];
        $(
            #[doc = concat!("Rule for `", stringify!($name), "`.")]
            #[allow(clippy::neg_multiply, clippy::eq_op, clippy::nonminimal_bool, clippy::neg_cmp_op_on_partial_ord)]
            pub mod $name {
                #[allow(unused_imports)]
                use super::F;
                #[allow(unused_imports)]
                use $crate::nodiff::*;
                scalar_rules!(@row $name ($recv $(, $arg $(: $int)?)*) -> $out : [$($d),*]);
            }
        )*
    };
    // A row whose arguments after the receiver are all floats.
    (@row $name:ident ($recv:ident $(, $arg:ident)*) -> $out:ident : [$($d:expr),*]) => {
        /// Number of differentiable arguments (including the receiver).
        pub const ARITY: usize = 1 $(+ { let _ = stringify!($arg); 1 })*;
        /// The primitive's value.
        #[inline(always)]
        pub fn value(args: [F; ARITY]) -> F {
            let [$recv $(, $arg)*] = args;
            $recv.$name($($arg),*)
        }
        /// The partial derivative with respect to each argument.
        #[inline(always)]
        pub fn partials(args: [F; ARITY]) -> [F; ARITY] {
            let [$recv $(, $arg)*] = args;
            let $out: F = $recv.$name($($arg),*);
            let _ = $out;
            [$($d),*]
        }
        /// Value and tangent: the forward-mode rule.
        #[inline(always)]
        pub fn jvp(args: [F; ARITY], tangents: [F; ARITY]) -> (F, F) {
            let d = partials(args);
            let mut t: F = 0.0;
            for k in 0..ARITY {
                t += d[k] * tangents[k];
            }
            (value(args), t)
        }
        /// Value and the adjoint of each argument: the reverse-mode rule.
        #[inline(always)]
        pub fn vjp(args: [F; ARITY], d_out: F) -> (F, [F; ARITY]) {
            let d = partials(args);
            (value(args), d.map(|p| d_out * p))
        }
    };
    // A row with one integer argument after the receiver (`powi`).
    (@row $name:ident ($recv:ident, $n:ident : $int:ty) -> $out:ident : [$($d:expr),*]) => {
        /// Number of differentiable arguments (the integer one is not).
        pub const ARITY: usize = 1;
        /// The primitive's value.
        #[inline(always)]
        pub fn value(args: [F; 1], $n: $int) -> F {
            args[0].$name($n)
        }
        /// The partial derivative with respect to the float argument.
        #[inline(always)]
        pub fn partials(args: [F; 1], $n: $int) -> [F; 1] {
            let [$recv] = args;
            let $out: F = $recv.$name($n);
            let _ = $out;
            [$($d),*]
        }
        /// Value and tangent: the forward-mode rule.
        #[inline(always)]
        pub fn jvp(args: [F; 1], tangents: [F; 1], $n: $int) -> (F, F) {
            (value(args, $n), partials(args, $n)[0] * tangents[0])
        }
        /// Value and the adjoint of the float argument: the reverse-mode rule.
        #[inline(always)]
        pub fn vjp(args: [F; 1], d_out: F, $n: $int) -> (F, [F; 1]) {
            (value(args, $n), [d_out * partials(args, $n)[0]])
        }
    };
}

/// The table compiled for `f64`.
pub mod f64 {
    /// The float type of this instance of the table.
    pub type F = f64;
    include!("table.rs");
}

/// The table compiled for `f32`.
pub mod f32 {
    /// The float type of this instance of the table.
    pub type F = f32;
    include!("table.rs");
}

/// The table's text, as the `#[differentiate]` macro reads it.
pub const TABLE_SOURCE: &str = include_str!("table.rs");

/// The names of the table's rows, in table order (the same in both instances).
pub use self::f64::NAMES;
