//! `#[derive(Differentiable)]`: a struct of parameters becomes its own adjoint
//! (SPEC.md's type table: the adjoint of a derived struct is the same struct,
//! its forward tangent `&` the same struct), like a JAX pytree or Swift's
//! `TangentVector`.
//!
//! Phases in order: [`parse`] (the struct and its `#[differentiable(..)]`
//! attributes, every mistake collected) -> [`generate`] (three impls, field by
//! field). On a mistake the errors are emitted beside stub impls with the
//! right signatures, so that code using the struct reports nothing more.
//!
//! For every field the derive emits, field by field:
//!
//! | field | `zero_adjoint` | `accumulate` | `VectorSpace` |
//! |---|---|---|---|
//! | carries a gradient | its zero | adds | applies |
//! | integers, `bool`, `char`, `String`, `Option`, `PhantomData`, `#[differentiable(skip)]` | a clone of the primal's | ignored | ignored |
//!
//! A field carrying a gradient gets the bound `FieldType: GradientField`
//! (runtime: its own adjoint, `Accumulate`, `VectorSpace`), spanned at the
//! field's type so that a field of another type is reported there, saying
//! what to do.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Member, Type};

/// Expands `#[derive(Differentiable)]` on `input`.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    match parse(&input) {
        Ok(fields) => generate(&input, &fields),
        Err(errors) => {
            let errors = errors.into_iter().map(syn::Error::into_compile_error);
            let stubs = stubs(&input);
            quote!(#(#errors)* #stubs)
        }
    }
}

/// How a field takes part in the struct's derivative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Carries a gradient: zeroed, accumulated, part of the vector space.
    Active,
    /// Copied from the primal into the adjoint and otherwise ignored: a type
    /// that never has a derivative, or a field marked `skip`.
    Copied,
}

struct Field<'a> {
    member: Member,
    ty: &'a Type,
    role: Role,
}

// ----- parse and check ------------------------------------------------------

/// The fields of the struct with their roles, or every mistake found.
fn parse(input: &DeriveInput) -> Result<Vec<Field<'_>>, Vec<syn::Error>> {
    let mut errors = Vec::new();
    check_container_attrs(input, &mut errors);
    let fields = match &input.data {
        Data::Struct(s) => &s.fields,
        Data::Enum(e) => {
            // An enum's variants hold different data, so no one value can be
            // the zero of all of them, and adjoints of two variants cannot add.
            errors.push(syn::Error::new(
                e.enum_token.span(),
                "`#[derive(Differentiable)]` works on structs only: the variants of an enum have no common shape for a gradient to take; put the parameters in a struct (one field per parameter), or implement `Differentiable` and `Accumulate` for the enum by hand",
            ));
            return Err(errors);
        }
        Data::Union(u) => {
            // Which field of a union is live is not known at run time.
            errors.push(syn::Error::new(
                u.union_token.span(),
                "`#[derive(Differentiable)]` works on structs only: a union does not record which field holds a value, so no field can carry a gradient; use a struct",
            ));
            return Err(errors);
        }
    };
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let member = match &f.ident {
            Some(id) => Member::Named(id.clone()),
            None => Member::Unnamed(syn::Index {
                index: i as u32,
                span: f.ty.span(),
            }),
        };
        let skip = field_skip(f, &mut errors);
        let role = if skip || never_differentiable(&f.ty) {
            Role::Copied
        } else {
            check_owned(&f.ty, &mut errors);
            Role::Active
        };
        out.push(Field {
            member,
            ty: &f.ty,
            role,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The struct itself takes no options: `#[differentiable(..)]` belongs on a
/// field. Rejected rather than ignored, so a misplaced `skip` is not silently
/// without effect.
fn check_container_attrs(input: &DeriveInput, errors: &mut Vec<syn::Error>) {
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("differentiable"))
    {
        errors.push(syn::Error::new(
            attr.path().span(),
            "`#[differentiable(..)]` goes on a field, not on the struct: write `#[differentiable(skip)]` above each field that carries no gradient",
        ));
    }
}

/// Whether the field is marked `#[differentiable(skip)]`. The only option is
/// `skip`; anything else (or `skip` twice) is an error at the token, so a typo
/// never turns a field silently active.
fn field_skip(field: &syn::Field, errors: &mut Vec<syn::Error>) -> bool {
    let mut skip = false;
    for attr in field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("differentiable"))
    {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                if skip {
                    return Err(meta.error("`skip` is given twice for this field; once is enough"));
                }
                skip = true;
                Ok(())
            } else {
                let name = meta
                    .path
                    .get_ident()
                    .map_or_else(|| "this option".to_string(), |i| format!("`{i}`"));
                Err(meta.error(format!(
                    "unknown option {name} of `#[differentiable(..)]`: the only field option is `skip` (the field is copied into the adjoint and carries no gradient)"
                )))
            }
        });
        if let Err(e) = parsed {
            errors.push(e);
        }
    }
    skip
}

/// Types that never carry a derivative (the runtime gives them the adjoint
/// `()`): their value is copied into the adjoint so that the adjoint is a
/// complete struct, and nothing else is done with them.
fn never_differentiable(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => never_differentiable(&p.elem),
        Type::Group(g) => never_differentiable(&g.elem),
        Type::Tuple(t) => t.elems.is_empty(),
        Type::Path(p) if p.qself.is_none() => {
            let Some(last) = p.path.segments.last() else {
                return false;
            };
            let name = last.ident.to_string();
            let single = p.path.segments.len() == 1;
            (single && crate::types::is_inactive_name(&name))
                || matches!(name.as_str(), "String" | "Option" | "PhantomData")
        }
        _ => false,
    }
}

/// A field that carries a gradient must own its data: the adjoint is a new
/// value of the struct, and a reference has nothing to point its gradient at.
fn check_owned(ty: &Type, errors: &mut Vec<syn::Error>) {
    let what = match ty {
        Type::Reference(_) => "a reference",
        Type::Ptr(_) => "a raw pointer",
        Type::BareFn(_) => "a function pointer",
        Type::ImplTrait(_) | Type::TraitObject(_) => "a trait object",
        _ => return,
    };
    errors.push(syn::Error::new_spanned(
        ty,
        format!(
            "this field is {what}, which cannot hold a gradient (the adjoint is a new value of this struct, with its own data); make the field own its data (`Vec<f64>` instead of `&[f64]`, `Tensor<F>` instead of `&Tensor<F>`), or mark it `#[differentiable(skip)]` to copy it into the adjoint unchanged"
        ),
    ));
}

// ----- generate -------------------------------------------------------------

/// `f32` or `f64`, spelled as such.
fn is_float(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && (p.path.is_ident("f32") || p.path.is_ident("f64")))
}

/// Whether `ty` names one of the struct's type parameters anywhere.
fn mentions_any(ty: &Type, params: &[String]) -> bool {
    struct Finder<'a> {
        params: &'a [String],
        found: bool,
    }
    impl<'ast> syn::visit::Visit<'ast> for Finder<'_> {
        fn visit_path(&mut self, p: &'ast syn::Path) {
            if p.leading_colon.is_none() {
                if let Some(first) = p.segments.first() {
                    if self.params.iter().any(|n| first.ident == n) {
                        self.found = true;
                    }
                }
            }
            syn::visit::visit_path(self, p);
        }
        // A macro's tokens are opaque: assume the worst.
        fn visit_macro(&mut self, _: &'ast syn::Macro) {
            self.found = true;
        }
    }
    if params.is_empty() {
        return false;
    }
    let mut f = Finder {
        params,
        found: false,
    };
    syn::visit::Visit::visit_type(&mut f, ty);
    f.found
}

/// `Differentiable` (adjoint = the struct), `Accumulate`, `VectorSpace`, and
/// `GradientField` (so that derived structs nest).
///
/// Bounds. A field type that mentions a type parameter (`Tensor<F>`, `T`) gets
/// a where-clause, as serde infers `T: Serialize`: the impls then hold exactly
/// for the parameters that make the fields differentiable. A field type that
/// mentions none (`f64`, `Config`) is checked once, by an assertion spanned at
/// the type, whose message says what to do; the impls carry its bound as
/// `for<'__d> Ty: GradientField`, which rustc takes as an assumption rather
/// than reporting it again at the derive (a plain `Config: GradientField`
/// would be a second, unspanned "trivial bound" error per impl).
fn generate(input: &DeriveInput, fields: &[Field<'_>]) -> TokenStream {
    let rt = quote!(::differentiate::__private);
    let name = &input.ident;
    let params: Vec<String> = input
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut generics = input.generics.clone();
    let mut checks = Vec::new();
    {
        let wc = generics.make_where_clause();
        for f in fields {
            let ty = f.ty;
            let generic = mentions_any(ty, &params);
            // Spanned at the field's type: that is where a wrong type is reported.
            match (f.role, generic) {
                (Role::Active, true) => wc
                    .predicates
                    .push(syn::parse_quote_spanned!(ty.span()=> #ty: #rt::GradientField)),
                // Always a gradient field; no clutter in the impls' docs.
                (Role::Active, false) if is_float(ty) => {}
                (Role::Active, false) => {
                    wc.predicates.push(
                        syn::parse_quote_spanned!(ty.span()=> for<'__d> #ty: #rt::GradientField),
                    );
                    checks.push(quote_spanned!(ty.span()=> ::differentiate::__private::assert_gradient_field::<#ty>();));
                }
                (Role::Copied, true) => wc
                    .predicates
                    .push(syn::parse_quote_spanned!(ty.span()=> #ty: ::core::clone::Clone)),
                (Role::Copied, false) => {}
            }
        }
    }
    let (impl_g, ty_g, where_c) = generics.split_for_impl();
    let (check_g, _, check_where) = input.generics.split_for_impl();
    let checks = if checks.is_empty() {
        quote!()
    } else {
        quote! {
            const _: () = {
                #[allow(dead_code)]
                fn __check_fields #check_g () #check_where { #(#checks)* }
            };
        }
    };
    let active: Vec<&Member> = fields
        .iter()
        .filter(|f| f.role == Role::Active)
        .map(|f| &f.member)
        .collect();

    let zeros = fields.iter().map(|f| {
        let m = &f.member;
        match f.role {
            Role::Active => quote!(#m: #rt::Differentiable::zero_adjoint(&self.#m)),
            // The call spanned at the type alone: a type that is not `Clone`
            // is reported there and nowhere else.
            Role::Copied => quote_spanned!(f.ty.span()=>
                #m: ::differentiate::__private::copy_field(&self.#m)
            ),
        }
    });
    // With no active field the arguments are unused.
    let unused = |ident: TokenStream| {
        if active.is_empty() {
            quote!(let _ = #ident;)
        } else {
            quote!()
        }
    };
    let (unused_other, unused_a, unused_x) =
        (unused(quote!(other)), unused(quote!(a)), unused(quote!(x)));
    quote! {
        #checks

        #[automatically_derived]
        impl #impl_g #rt::GradientField for #name #ty_g #where_c {}

        #[automatically_derived]
        impl #impl_g #rt::Differentiable for #name #ty_g #where_c {
            type Adjoint = Self;
            #[inline]
            fn zero_adjoint(&self) -> Self {
                Self { #(#zeros,)* }
            }
        }

        #[automatically_derived]
        impl #impl_g #rt::Accumulate for #name #ty_g #where_c {
            #[inline]
            #[track_caller]
            fn accumulate(&mut self, other: Self) {
                #unused_other
                #(#rt::Accumulate::accumulate(&mut self.#active, other.#active);)*
            }
        }

        #[automatically_derived]
        impl #impl_g #rt::VectorSpace for #name #ty_g #where_c {
            #[inline]
            fn scale<__DifferentiableCoef: #rt::Real>(&mut self, a: __DifferentiableCoef) {
                #unused_a
                #(#rt::VectorSpace::scale(&mut self.#active, a);)*
            }
            #[inline]
            #[track_caller]
            fn axpy<__DifferentiableCoef: #rt::Real>(&mut self, a: __DifferentiableCoef, x: &Self) {
                #unused_a
                #unused_x
                #(#rt::VectorSpace::axpy(&mut self.#active, a, &x.#active);)*
            }
            #[inline]
            #[track_caller]
            fn dot(&self, other: &Self) -> f64 {
                #unused_other
                0.0 #(+ #rt::VectorSpace::dot(&self.#active, &other.#active))*
            }
            #[inline]
            fn set_zero(&mut self) {
                #(#rt::VectorSpace::set_zero(&mut self.#active);)*
            }
        }
    }
}

/// The three impls with the right signatures and no field access, emitted
/// beside the errors so that uses of the struct as a `Differentiable` type
/// add no second error. They are never run: the crate does not compile.
fn stubs(input: &DeriveInput) -> TokenStream {
    let rt = quote!(::differentiate::__private);
    let name = &input.ident;
    let (impl_g, ty_g, where_c) = input.generics.split_for_impl();
    let body = quote_spanned!(Span::call_site()=> ::core::unreachable!());
    quote! {
        impl #impl_g #rt::GradientField for #name #ty_g #where_c {}
        impl #impl_g #rt::Differentiable for #name #ty_g #where_c {
            type Adjoint = Self;
            fn zero_adjoint(&self) -> Self { #body }
        }
        impl #impl_g #rt::Accumulate for #name #ty_g #where_c {
            fn accumulate(&mut self, _other: Self) {}
        }
        impl #impl_g #rt::VectorSpace for #name #ty_g #where_c {
            fn scale<__DifferentiableCoef: #rt::Real>(&mut self, _a: __DifferentiableCoef) {}
            fn axpy<__DifferentiableCoef: #rt::Real>(&mut self, _a: __DifferentiableCoef, _x: &Self) {}
            fn dot(&self, _other: &Self) -> f64 { #body }
            fn set_zero(&mut self) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(src: &str) -> Result<Vec<Role>, Vec<String>> {
        let input: DeriveInput = syn::parse_str(src).unwrap();
        parse(&input)
            .map(|fs| fs.iter().map(|f| f.role).collect())
            .map_err(|es| es.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn integers_flags_and_skipped_fields_are_copied() {
        use Role::*;
        assert_eq!(
            roles(
                "struct P<F> { w: Vec<F>, n: usize, on: bool, name: String, \
                 #[differentiable(skip)] frozen: [f64; 2], b: F, o: Option<f64>, \
                 m: core::marker::PhantomData<F> }"
            ),
            Ok(vec![
                Active, Copied, Copied, Copied, Copied, Active, Copied, Copied
            ])
        );
        assert_eq!(
            roles("struct T(f64, u8, #[differentiable(skip)] f32);"),
            Ok(vec![Active, Copied, Copied])
        );
        assert_eq!(roles("struct U;"), Ok(vec![]));
    }

    #[test]
    fn every_mistake_is_reported_once() {
        let errs = roles(
            "#[differentiable(skip)] struct P<'a> { \
             #[differentiable(skp)] a: f64, \
             #[differentiable(skip, skip)] b: f64, \
             c: &'a [f64], \
             #[differentiable(skip)] d: &'a [f64] }",
        )
        .unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:#?}");
        assert!(errs[0].contains("goes on a field"));
        assert!(errs[1].contains("unknown option `skp`"));
        assert!(errs[2].contains("given twice"));
        assert!(errs[3].contains("is a reference"));
    }

    #[test]
    fn enums_and_unions_are_rejected_with_what_to_do() {
        let e = roles("enum E { A(f64), B }").unwrap_err();
        assert!(e[0].contains("structs only") && e[0].contains("by hand"));
        let u = roles("union U { a: f64, b: u64 }").unwrap_err();
        assert!(u[0].contains("structs only"));
    }

    #[test]
    fn errors_come_with_stubs_and_no_panic() {
        let out = expand(quote!(
            enum E {
                A,
            }
        ))
        .to_string();
        assert!(out.contains("compile_error"));
        assert!(out.contains("Differentiable for E"));
    }
}
