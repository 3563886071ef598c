//! Exact derivatives of plain Rust numeric code, generated at compile time.
//!
//! ```
//! use differentiate::prelude::*;
//!
//! #[differentiate(reverse)]
//! fn f(x: f64, y: f64) -> f64 {
//!     (x + y) * (y + 3.0)
//! }
//!
//! assert_eq!(f_vjp(1.0, 2.0, 1.0), (15.0, 5.0, 8.0));
//! ```
#![forbid(unsafe_code)]

// Lets `::differentiate::...` paths in generated code resolve inside this crate too.
extern crate self as differentiate;

pub use autodiff_macros::differentiate;
pub use autodiff_runtime::{
    drivers, nodiff, rules, testing, zero_like, Accumulate, Differentiable, Real,
};

/// Everything a user of the attribute needs: `use differentiate::prelude::*;`.
pub mod prelude {
    pub use autodiff_macros::differentiate;
    pub use autodiff_runtime::{Differentiable, Real};
}

/// The path generated code uses to reach the runtime. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use autodiff_runtime::__private::*;
}
