//! A parameter of a user type without derivatives: one error, at its type.
//!
//! Every generated function names `<T as Differentiable>::Adjoint` for a
//! parameter of a user type `T` (in its signature, in zeros and seeds in its
//! body), and each of those places would report the same missing impl again.
//! So every generated function gets `where T: Differentiable`, spanned at the
//! parameter's type. Inside the function the bound is assumed, so nothing in
//! its signature or body reports it; the bound itself is checked once where the
//! function is defined (rustc checks a where clause that names no generic
//! parameter right away), and the generated functions' checks are the same
//! diagnostic, which rustc prints once. When `T` has derivatives the bound
//! holds and changes nothing (rustc prefers the impl over such a where clause,
//! so `T::Adjoint` still normalizes to the impl's type).
//!
//! Types that mention the function's generic parameters are left alone: the
//! bound would be a real requirement on callers, and inside the function it
//! would hide the impl's associated types.

use quote::ToTokens;
use syn::{FnArg, ItemFn, ReturnType};

use crate::types::DType;

/// Adds `where T: Differentiable` for each user type `T` among `source`'s
/// parameter and return types to every function in `fns`.
pub fn bound_user_types(source: &ItemFn, float_generics: &[String], fns: &mut [ItemFn]) {
    let mut types: Vec<syn::Type> = Vec::new();
    let mut add = |d: &DType| collect_other(d, &mut types);
    for a in &source.sig.inputs {
        if let FnArg::Typed(pt) = a {
            add(&DType::of(&pt.ty, float_generics));
        }
    }
    if let ReturnType::Type(_, t) = &source.sig.output {
        add(&DType::of(t, float_generics));
    }
    let generic = generic_names(&source.sig.generics);
    types.retain(|t| !mentions_any(t, &generic));
    let mut seen = std::collections::HashSet::new();
    types.retain(|t| seen.insert(t.to_token_stream().to_string()));
    if types.is_empty() {
        return;
    }
    for f in fns {
        let wc = f.sig.generics.make_where_clause();
        for t in &types {
            let span = syn::spanned::Spanned::span(t);
            // Every token at the type, so the error points there.
            wc.predicates.push(syn::parse_quote_spanned!(span=>
                #t: ::differentiate::__private::Differentiable
            ));
        }
    }
}

fn collect_other(d: &DType, out: &mut Vec<syn::Type>) {
    match d {
        DType::Other(t) => out.push(t.clone()),
        DType::Array(e, _) | DType::SliceRef(e) | DType::Vec(e) | DType::Ref(e) => {
            collect_other(e, out)
        }
        DType::Tuple(ts) => ts.iter().for_each(|t| collect_other(t, out)),
        DType::Float(_) | DType::Inactive => {}
    }
}

/// The names of a function's generic parameters, lifetimes included, and `_`
/// (an elided lifetime cannot appear in a where clause).
fn generic_names(g: &syn::Generics) -> Vec<String> {
    let mut names: Vec<String> = g
        .params
        .iter()
        .map(|p| match p {
            syn::GenericParam::Type(t) => t.ident.to_string(),
            syn::GenericParam::Const(c) => c.ident.to_string(),
            syn::GenericParam::Lifetime(l) => l.lifetime.ident.to_string(),
        })
        .collect();
    names.push("_".to_string());
    names
}

/// Does the type name one of `names`, or have a lifetime or `impl Trait`?
fn mentions_any(t: &syn::Type, names: &[String]) -> bool {
    struct Find<'a> {
        names: &'a [String],
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Find<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            self.found |= self.names.iter().any(|n| i == n);
        }
        fn visit_lifetime(&mut self, _: &'ast syn::Lifetime) {
            self.found = true;
        }
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            self.found |= r.lifetime.is_none();
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.found = true;
        }
    }
    let mut f = Find {
        names,
        found: false,
    };
    syn::visit::Visit::visit_type(&mut f, t);
    f.found
}
