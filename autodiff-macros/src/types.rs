//! Parameter and return types: which are differentiable, and the types of their
//! derivatives (SPEC.md, "Types and their derivative types").

use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

use crate::ir::Kind;

/// How a parameter or return type takes part in differentiation.
#[derive(Clone)]
pub enum DType {
    /// `f32` / `f64` (or a generic float parameter bound by `Real`).
    Float(Type),
    /// `[F; N]`
    Array(Box<DType>, syn::Expr),
    /// `&[F]` (owned adjoint `Vec<F>`).
    SliceRef(Box<DType>),
    /// `Vec<F>`.
    Vec(Box<DType>),
    /// `&T` of a Copy-like differentiable `T` (`&f64`, `&[f64; 3]`).
    Ref(Box<DType>),
    Tuple(Vec<DType>),
    /// Integers, `bool`, `()`, `char`: never active.
    Inactive,
    /// Anything else: handled through the runtime's `Differentiable` trait.
    Other(Type),
}

fn is_float_name(s: &str) -> bool {
    s == "f32" || s == "f64"
}

/// Integer, `bool`, `char` and string type names: never active.
pub fn is_inactive_name(s: &str) -> bool {
    matches!(
        s,
        "i8" | "i16"
            | "i32"
            | "i64"
            | "i128"
            | "isize"
            | "u8"
            | "u16"
            | "u32"
            | "u64"
            | "u128"
            | "usize"
            | "bool"
            | "char"
            | "str"
            | "String"
    )
}

impl DType {
    /// Classifies a type; `float_generics` are type parameters bounded by `Real`.
    pub fn of(ty: &Type, float_generics: &[String]) -> DType {
        match ty {
            Type::Paren(p) => DType::of(&p.elem, float_generics),
            Type::Group(g) => DType::of(&g.elem, float_generics),
            Type::Path(p) if p.qself.is_none() => {
                let seg = p.path.segments.last().unwrap();
                let name = seg.ident.to_string();
                if p.path.segments.len() == 1
                    && (is_float_name(&name) || float_generics.contains(&name))
                {
                    return DType::Float(ty.clone());
                }
                if p.path.segments.len() == 1 && is_inactive_name(&name) {
                    return DType::Inactive;
                }
                if name == "Option" {
                    // An optional value never carries a derivative.
                    return DType::Inactive;
                }
                if name == "Vec" {
                    if let syn::PathArguments::AngleBracketed(a) = &seg.arguments {
                        if let Some(syn::GenericArgument::Type(t)) = a.args.first() {
                            let inner = DType::of(t, float_generics);
                            if inner.is_differentiable() {
                                return DType::Vec(Box::new(inner));
                            }
                            return DType::Inactive;
                        }
                    }
                }
                DType::Other(ty.clone())
            }
            Type::Array(a) => {
                let inner = DType::of(&a.elem, float_generics);
                if inner.is_differentiable() {
                    DType::Array(Box::new(inner), a.len.clone())
                } else {
                    DType::Inactive
                }
            }
            Type::Reference(r) => match &*r.elem {
                Type::Slice(s) => {
                    let inner = DType::of(&s.elem, float_generics);
                    if inner.is_differentiable() {
                        DType::SliceRef(Box::new(inner))
                    } else {
                        DType::Inactive
                    }
                }
                other => {
                    let inner = DType::of(other, float_generics);
                    match inner {
                        DType::Inactive => DType::Inactive,
                        DType::Vec(e) => DType::SliceRef(e),
                        // The adjoint of `&T` is `T`'s: no lifetime in derivative types.
                        DType::Other(_) => DType::Other(other.clone()),
                        d => DType::Ref(Box::new(d)),
                    }
                }
            },
            Type::Tuple(t) if t.elems.is_empty() => DType::Inactive,
            // Rejected by the signature check; inactive so stubs add no second error.
            Type::Ptr(_) => DType::Inactive,
            Type::Tuple(t) => DType::Tuple(
                t.elems
                    .iter()
                    .map(|e| DType::of(e, float_generics))
                    .collect(),
            ),
            _ => DType::Other(ty.clone()),
        }
    }

    pub fn is_differentiable(&self) -> bool {
        match self {
            DType::Inactive => false,
            DType::Tuple(ts) => ts.iter().any(DType::is_differentiable),
            _ => true,
        }
    }

    /// The engine's kind for a value of this type.
    pub fn kind(&self) -> Kind {
        match self {
            DType::Float(_) => Kind::Float,
            DType::Array(e, n) => Kind::Array(Box::new(e.kind()), n.clone()),
            DType::SliceRef(e) => Kind::Slice(Box::new(e.kind())),
            DType::Vec(e) => Kind::Vec(Box::new(e.kind())),
            DType::Ref(e) => e.kind(),
            DType::Tuple(ts) => Kind::Tuple(ts.iter().map(DType::kind).collect()),
            DType::Inactive => Kind::Int,
            DType::Other(t) if is_tensor(t) => Kind::Tensor,
            DType::Other(_) => Kind::Unknown,
        }
    }

    /// The owned adjoint type (reverse-mode result; forward-mode output tangent).
    /// In vector mode (`crate::gen::lanes()`) every float becomes `Lanes<F, K>`.
    pub fn adjoint(&self) -> TokenStream {
        match self {
            DType::Float(t) => match crate::gen::lanes() {
                None => quote!(#t),
                Some(k) => quote!(::differentiate::__private::Lanes<#t, #k>),
            },
            DType::Array(e, n) => {
                let e = e.adjoint();
                quote!([#e; #n])
            }
            DType::SliceRef(e) | DType::Vec(e) => {
                let e = e.adjoint();
                quote!(::std::vec::Vec<#e>)
            }
            DType::Ref(e) => e.adjoint(),
            DType::Tuple(ts) => {
                let ts = ts.iter().map(DType::adjoint);
                quote!((#(#ts,)*))
            }
            DType::Inactive => quote!(()),
            // Spanned on the type: a type without derivatives is reported at the parameter.
            DType::Other(t) => {
                let adj = quote::quote_spanned!(syn::spanned::Spanned::span(t)=> <#t as ::differentiate::__private::Differentiable>::Adjoint);
                match crate::gen::lanes() {
                    None => adj,
                    Some(k) => {
                        quote!(<#adj as ::differentiate::__private::VectorTangent<#k>>::Lanes)
                    }
                }
            }
        }
    }

    /// The type a derivative of this value is passed as: forward tangents of
    /// parameters, reverse seeds of outputs. Copy types by value, the rest by
    /// reference (`&[F]` for slices and vectors).
    pub fn borrowed(&self) -> TokenStream {
        match self {
            DType::SliceRef(e) | DType::Vec(e) => {
                let e = e.adjoint();
                quote!(&[#e])
            }
            DType::Other(_) => {
                let a = self.adjoint();
                quote!(&#a)
            }
            DType::Tuple(ts) => {
                let ts = ts.iter().map(DType::borrowed);
                quote!((#(#ts,)*))
            }
            d => d.adjoint(),
        }
    }

    /// Whether a derivative of this type is passed by value (it is `Copy`).
    pub fn by_value(&self) -> bool {
        match self {
            DType::Float(_) | DType::Array(..) | DType::Ref(_) | DType::Inactive => true,
            DType::Tuple(ts) => ts.iter().all(DType::by_value),
            _ => false,
        }
    }

    /// A zero of the adjoint type that needs no value to build, if there is one.
    pub fn const_zero(&self) -> Option<TokenStream> {
        match self {
            DType::Float(_) => Some(crate::gen::tangent_zero_float()),
            DType::Array(e, n) => {
                let z = e.const_zero()?;
                Some(quote!([#z; #n]))
            }
            DType::Ref(e) => e.const_zero(),
            DType::Tuple(ts) => {
                let zs = ts
                    .iter()
                    .map(DType::const_zero)
                    .collect::<Option<Vec<_>>>()?;
                Some(quote!((#(#zs,)*)))
            }
            DType::Inactive => Some(quote!(())),
            _ => None,
        }
    }
}

/// `Tensor<F>` (any path ending in `Tensor`), behind any references.
pub fn is_tensor(ty: &Type) -> bool {
    match ty {
        Type::Paren(p) => is_tensor(&p.elem),
        Type::Group(g) => is_tensor(&g.elem),
        Type::Reference(r) => is_tensor(&r.elem),
        Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().is_some_and(|s| s.ident == "Tensor")
        }
        _ => false,
    }
}
