//! A parameter of the user's own (inactive) type, and calls by path, by
//! `self::`/`crate::` and through a glob import: the bounds and imports the
//! generated functions carry must be warning-free under `#![deny(warnings)]`.
#![deny(warnings)]

use differentiate::prelude::*;
use differentiate::Differentiable;

/// Lookup data that never carries a derivative.
pub struct Table {
    pub offset: usize,
}

impl Differentiable for Table {
    type Adjoint = ();
    fn zero_adjoint(&self) {}
}

mod shapes {
    use differentiate::prelude::*;

    #[differentiate(forward)]
    #[differentiate(forward, reverse)]
    pub fn square(v: f64) -> f64 {
        v * v
    }
}

mod more {
    use differentiate::prelude::*;

    #[differentiate(forward)]
    #[differentiate(forward, reverse)]
    pub fn twice(v: f64) -> f64 {
        2.0 * v
    }
}
use more::*;

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn scale(x: f64, table: &Table) -> f64 {
    let _ = table;
    x * 3.0
}

#[differentiate(forward)]
#[differentiate(forward, reverse)]
fn f(x: f64, table: &Table) -> f64 {
    shapes::square(x) + self::scale(x, table) + crate::shapes::square(x) * twice(x)
}

fn main() {
    let t = Table { offset: 1 };
    assert_eq!(t.offset, 1);
    // f = x^2 + 3 x + 2 x^3 = 26 at x = 2; f' = 2 x + 3 + 6 x^2 = 31
    let (v, dx, ()) = f_vjp(2.0, &t, 1.0);
    assert_eq!((v, dx), (26.0, 31.0));
    assert_eq!(f_jvp(2.0, &t, 1.0, &()).1, 31.0);
    // f'' = 2 + 12 x = 26
    assert_eq!(f_jvp_jvp(2.0, &t, 1.0, &(), 1.0, &(), 0.0, &()).1 .1, 26.0);
}
