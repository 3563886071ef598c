//! The `#[differentiate]` attribute. See the `differentiate` crate for docs.
//!
//! The engine is a pipeline of passes over syn types, each its own module:
//! `attr` (arguments) -> `lower` (fence + A-normal form, `ir`) ->
//! `activity` -> `forward` / `reverse` (with `gen`) -> `expand`
//! (stacking, signatures, hidden call entries, stubs on error), then two passes
//! over the emitted functions for diagnostics: `callees` (a call to a function
//! without derivatives is one error in our words) and `bounds` (a user type
//! without `Differentiable` is one error at the parameter). The scalar
//! derivative rules come from the runtime's table (`rules`).
//! `#[derive(Differentiable)]` is apart from the pipeline (`derive`).
//! `vector` reuses `forward` for vector mode (`f_jvp_vec`, several tangents per sweep).
#![forbid(unsafe_code)]

mod activity;
mod attr;
mod bounds;
mod callees;
mod derive;
mod expand;
mod forward;
#[cfg(test)]
mod fuzz;
mod gen;
mod ir;
mod lower;
mod reverse;
mod rules;
mod types;
mod vector;

use proc_macro::TokenStream;

/// Generates forward (`_jvp`) and/or reverse (`_vjp`) derivatives of a function.
///
/// See the `differentiate` crate documentation for the full contract.
#[proc_macro_attribute]
pub fn differentiate(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}

/// Registers derivative rules for a function: every differentiated function
/// that calls it uses them.
///
/// See the `differentiate` crate documentation.
#[proc_macro_attribute]
pub fn custom_derivative(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand_custom(args.into(), item.into()).into()
}

/// Makes a struct of parameters its own adjoint: `impl Differentiable` (with
/// `type Adjoint = Self`), `Accumulate` and `VectorSpace`, field by field.
/// Fields of integer, `bool`, `String` or `Option` type, and fields marked
/// `#[differentiable(skip)]`, are copied into the adjoint and carry no gradient.
///
/// See the `differentiate` crate documentation.
#[proc_macro_derive(Differentiable, attributes(differentiable))]
pub fn derive_differentiable(item: TokenStream) -> TokenStream {
    derive::expand(item.into()).into()
}
