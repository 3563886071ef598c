//! Vector mode: `#[differentiate(forward, vector)]` also generates
//! `f_jvp_vec::<K>`, the forward derivative carrying `K` tangents per sweep.
//!
//! The code is the forward transform's own (`forward.rs`), generated with
//! `crate::gen::with_lanes` set: every tangent type becomes `Lanes<F, K>`
//! (arrays, vectors and tuples of them), zeros are zero lanes, and calls go to
//! the callee's `__jvp_vec`. A `#[custom_derivative]` with a forward rule gets
//! a `__jvp_vec` adapter here that runs the scalar rule once per lane.
//!
//! `f_jvp_vec` is a leaf of the stack: outer attributes do not differentiate
//! it again (its const parameter `K` and lane types are outside the subset).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::ItemFn;

use crate::expand::Lowered;
use crate::types::DType;

/// The name of the lane-count parameter: `K`, unless the functions use that name.
pub fn lanes_param(fns: &[&ItemFn]) -> syn::Ident {
    let mut used = std::collections::HashSet::new();
    for f in fns {
        crate::lower::collect_idents(f.to_token_stream(), &mut used);
    }
    let name = ["K", "LANES", "K_LANES"]
        .into_iter()
        .map(str::to_string)
        .chain((1..).map(|i| format!("K_LANES_{i}")))
        .find(|n| !used.contains(n))
        .expect("an unused name exists");
    syn::Ident::new(&name, Span::call_site())
}

/// `f` with `const K: usize` appended to its generic parameters, and for each
/// parameter or result of a type of the user's own (`Differentiable`, not a
/// float shape) the bound that its tangent has a vector form: a type without
/// one is then an error where vector mode is used, not where it is defined.
pub fn with_lanes_param(f: &ItemFn, k: &syn::Ident) -> ItemFn {
    let mut f = f.clone();
    let floats = crate::expand::float_generics(&f.sig);
    let mut others = Vec::new();
    for a in &f.sig.inputs {
        if let syn::FnArg::Typed(pt) = a {
            other_types(&DType::of(&pt.ty, &floats), &mut others);
        }
    }
    if let syn::ReturnType::Type(_, t) = &f.sig.output {
        other_types(&DType::of(t, &floats), &mut others);
    }
    f.sig
        .generics
        .params
        .push(syn::parse_quote!(const #k: usize));
    let rt = crate::gen::rt();
    for t in others {
        f.sig
            .generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(<#t as #rt::Differentiable>::Adjoint: #rt::VectorTangent<#k>));
    }
    f
}

/// The `DType::Other` types inside `d`.
fn other_types(d: &DType, out: &mut Vec<syn::Type>) {
    match d {
        DType::Other(t) => out.push(t.clone()),
        DType::Array(e, _) | DType::SliceRef(e) | DType::Vec(e) | DType::Ref(e) => {
            other_types(e, out)
        }
        DType::Tuple(ts) => ts.iter().for_each(|t| other_types(t, out)),
        DType::Float(_) | DType::Inactive => {}
    }
}

/// The vector-mode adapters of a forward rule: the user-facing
/// `f_jvp_vec` and the hidden `__ad_f__jvp_vec`, each calling `callee` (the
/// rule, or the constant that checks its signature) once per lane.
pub fn rule_adapters(
    f: &ItemFn,
    low: &Lowered,
    callee: &TokenStream,
    base: &syn::Ident,
) -> (ItemFn, ItemFn) {
    let k = lanes_param(&[f]);
    let rt = crate::gen::rt();
    let vis = &f.vis;
    let generics = with_lanes_param(f, &k).sig.generics;
    let wc = &generics.where_clause;
    let fname = &f.sig.ident;
    let ret_ty = match &f.sig.output {
        syn::ReturnType::Type(_, t) => quote!(#t),
        syn::ReturnType::Default => quote!(()),
    };
    let ret_adj = low.ret.adjoint();
    let ret_lanes = crate::gen::with_lanes(Some(k.clone()), || low.ret.adjoint());
    let params: Vec<TokenStream> = low
        .params
        .iter()
        .map(|p| {
            let (id, ty) = (&p.ident, &p.ty);
            if p.mutable {
                quote!(mut #id: #ty)
            } else {
                quote!(#id: #ty)
            }
        })
        .collect();
    let d = |id: &syn::Ident| format_ident!("d_{}", id);
    let lane = format_ident!("__ad_k");
    // Each call gets its own copy of arguments that are not `Copy`.
    let args: Vec<TokenStream> = low.params.iter().map(crate::expand::pass_copy).collect();
    let diff: Vec<&crate::lower::Param> = low
        .params
        .iter()
        .filter(|p| p.dtype.is_differentiable())
        .collect();
    let lane_args: Vec<TokenStream> = diff
        .iter()
        .map(|p| lane_of(&p.dtype, &d(&p.ident), &k, &lane))
        .collect();
    let body = quote! {
        let mut __ad_out = ::core::option::Option::None;
        for #lane in 0..#k {
            let (__ad_value, __ad_t) = #callee(#(#args,)* #(#lane_args),*);
            match &mut __ad_out {
                ::core::option::Option::None => {
                    let mut __ad_z = <#ret_adj as #rt::VectorTangent<#k>>::zero_lanes(&__ad_t);
                    <#ret_adj as #rt::VectorTangent<#k>>::set_lane(&mut __ad_z, #lane, __ad_t);
                    __ad_out = ::core::option::Option::Some((__ad_value, __ad_z));
                }
                ::core::option::Option::Some((_, __ad_z)) => {
                    <#ret_adj as #rt::VectorTangent<#k>>::set_lane(__ad_z, #lane, __ad_t);
                }
            }
        }
        match __ad_out {
            ::core::option::Option::Some(__ad_r) => __ad_r,
            ::core::option::Option::None => {
                let __ad_value = #fname(#(#args),*);
                let __ad_z = #rt::zero_lanes_like::<_, #k>(&__ad_value);
                (__ad_value, __ad_z)
            }
        }
    };
    let allow = quote!(#[allow(dead_code, unused_variables, unused_mut, non_snake_case, clippy::all, clippy::pedantic)]);
    let user_name = format_ident!("{}_jvp_vec", fname);
    let user_tans = diff.iter().map(|p| {
        let t = d(&p.ident);
        let ty = crate::gen::with_lanes(Some(k.clone()), || p.dtype.borrowed());
        quote!(#t: #ty)
    });
    let doc = format!(
        "Vector-mode forward derivative of [`{fname}`] through its `#[custom_derivative]` forward rule, \
         run once per lane: lane `k` of the result is the rule's tangent for lane `k` of the tangents."
    );
    let user = quote! {
        #[doc = #doc] #allow
        #vis fn #user_name #generics (#(#params,)* #(#user_tans),*) -> (#ret_ty, #ret_lanes) #wc {
            #body
        }
    };
    let full_name = format_ident!("__ad_{}__jvp_vec", base);
    let slots = low.params.iter().map(|p| {
        let t = d(&p.ident);
        let ty = crate::gen::with_lanes(Some(k.clone()), || full_slot(&p.dtype));
        quote!(#t: &#ty)
    });
    let derefs = diff.iter().filter(|p| p.dtype.by_value()).map(|p| {
        let t = d(&p.ident);
        quote!(let #t = *#t;)
    });
    let full = quote! {
        #[doc(hidden)] #allow
        #vis fn #full_name #generics (#(#params,)* #(#slots),*) -> (#ret_ty, #ret_lanes) #wc {
            #(#derefs)*
            #body
        }
    };
    let parse = |ts: TokenStream| syn::parse2::<ItemFn>(ts).expect("vector adapter parses");
    (parse(user), parse(full))
}

/// The slot type of a derivative in full-convention functions (as `expand`'s).
fn full_slot(d: &DType) -> TokenStream {
    match d {
        DType::SliceRef(_) | DType::Vec(_) => d.borrowed().into_iter().skip(1).collect(),
        d => d.adjoint(),
    }
}

/// Lane `k` of the tangent `d` (passed as a rule's tangent argument: by value
/// for `Copy` shapes, `&[F]` for slices and vectors, `&T` otherwise).
fn lane_of(dtype: &DType, d: &syn::Ident, k: &syn::Ident, lane: &syn::Ident) -> TokenStream {
    let rt = crate::gen::rt();
    match dtype {
        DType::SliceRef(e) | DType::Vec(e) => {
            let e = e.adjoint();
            quote!(&#rt::slice_lane::<#e, #k>(#d, #lane))
        }
        DType::Other(_) => {
            let adj = dtype.adjoint();
            quote!(&<#adj as #rt::VectorTangent<#k>>::lane(#d, #lane))
        }
        _ => {
            let adj = dtype.adjoint();
            quote!(<#adj as #rt::VectorTangent<#k>>::lane(&#d, #lane))
        }
    }
}
