//! The attribute's expansion: parse -> check the signature -> lower ->
//! analyse -> transform, once per stacked attribute and per mode, innermost
//! first, each level applied to the function and to everything generated below it.
//!
//! What is emitted for `#[differentiate(reverse)] fn f`:
//! - `f` itself, untouched;
//! - `f_vjp`, the user-facing derivative (SPEC.md signatures, `wrt` applied);
//! - hidden entries with one uniform convention that callers use without
//!   knowing the callee's `wrt` (every parameter gets a derivative slot, `()` for
//!   inactive ones; derivatives passed by reference): `__ad_f_vjp` (reverse),
//!   `__ad_f_pullback` (forward sweep returning the reverse sweep as a closure,
//!   so a caller's reverse pass never recomputes the callee), `__ad_f_jvp`
//!   (and `__ad_f_jvp_vec` with `vector`, see `vector.rs`);
//! - `mod f` re-exporting them as `f::__vjp`, `f::__pullback`, ... A module
//!   shares the function's name in the other namespace, so `use m::f;` imports
//!   both and a caller writes `f::__vjp` wherever it can write `f`.
//!
//! On any error the original function and stubs with the right signatures are
//! still emitted next to the `compile_error!`s, so the user sees the mistake and
//! not a cascade of "cannot find `f_vjp`".

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, ReturnType};

use crate::activity::analyze;
use crate::attr::{
    is_custom, is_differentiate, parse_attr, parse_custom_attr, Args, CustomArgs, Mode,
};
use crate::forward::Forward;
use crate::gen::{rt, Gen};
use crate::lower::{Lowerer, Param};
use crate::reverse::{CallStyle, Reverse};
use crate::types::DType;

/// How a generated function is called.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// SPEC.md's signature: derivatives of the active (`wrt`) parameters only.
    User,
    /// Every parameter has a slot; derivatives are passed by reference.
    Full,
    /// Reverse only: returns `(value, closure from the output's adjoint to all adjoints)`.
    Pullback,
}

/// A function of the stack: the source one or a generated derivative.
#[derive(Clone)]
struct Logical {
    /// "" for the source, then "vjp", "vjp_jvp", ...
    chain: String,
    /// The user-facing function (`f`, `f_vjp`, ...), in the supported subset.
    user: ItemFn,
    /// The full-convention function (`f` itself for the source).
    full: ItemFn,
    /// Derived from a custom rule: its user-facing derivatives are the rule's
    /// own (`#[differentiate]` on the rule), so none are emitted here.
    from_rule: bool,
}

/// The attribute being expanded (the outermost of the stack).
pub enum Current {
    Differentiate(TokenStream),
    Custom(TokenStream),
}

/// One attribute of the stack.
enum Level {
    Differentiate(Args),
    Custom(CustomArgs),
}

/// What the levels accumulate.
struct Ctx {
    base: syn::Ident,
    logicals: Vec<Logical>,
    emitted: Vec<ItemFn>,
    /// Items that are not functions (signature checks).
    extra: Vec<TokenStream>,
    reexports: Vec<(syn::Ident, syn::Ident)>,
    dumps: Vec<(syn::Ident, String)>,
    stub: bool,
    errors: Vec<syn::Error>,
    /// `recursive` was given: pullbacks are boxed.
    recursive: bool,
    /// The user-facing vector adapter of a custom forward rule, emitted if a
    /// `#[differentiate(forward, vector)]` level asks for `f_jvp_vec`.
    rule_vec_user: Option<ItemFn>,
}

/// `#[differentiate(...)]`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stack(Current::Differentiate(args), item)
}

/// `#[custom_derivative(...)]`.
pub fn expand_custom(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stack(Current::Custom(args), item)
}

fn expand_stack(current: Current, item: TokenStream) -> TokenStream {
    let mut errors: Vec<syn::Error> = Vec::new();
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let span = item
                .clone()
                .into_iter()
                .next()
                .map(|t| t.span())
                .unwrap_or_else(Span::call_site);
            let e = syn::Error::new(
                span,
                "#[differentiate] applies to free functions (`fn name(...) -> T { ... }`)",
            )
            .into_compile_error();
            return quote!(#e #item);
        }
    };
    // Every stacked attribute of ours, innermost first, then the one being expanded.
    let mut levels: Vec<Level> = Vec::new();
    let (inner, others): (Vec<syn::Attribute>, Vec<syn::Attribute>) = item
        .attrs
        .iter()
        .cloned()
        .partition(|a| is_differentiate(a) || is_custom(a));
    for attr in inner.iter().rev() {
        let parsed = if is_custom(attr) {
            parse_custom_attr(attr).map(Level::Custom)
        } else {
            parse_attr(attr).map(Level::Differentiate)
        };
        match parsed {
            Ok(l) => levels.push(l),
            Err(e) => errors.push(e),
        }
    }
    match current {
        Current::Differentiate(args) => match syn::parse2::<Args>(args) {
            Ok(a) => levels.push(Level::Differentiate(a)),
            Err(e) => errors.push(e),
        },
        Current::Custom(args) => match syn::parse2::<CustomArgs>(args) {
            Ok(a) => levels.push(Level::Custom(a)),
            Err(e) => errors.push(e),
        },
    }
    // A custom rule replaces the first derivative: it must come first.
    for (i, l) in levels.iter().enumerate() {
        if let Level::Custom(c) = l {
            if i > 0 {
                errors.push(syn::Error::new(
                    c.span,
                    "#[custom_derivative] must be the innermost attribute: put it below every #[differentiate]",
                ));
            }
        }
    }
    let custom = matches!(levels.first(), Some(Level::Custom(_)));
    let mut source = item.clone();
    source.attrs = others;
    // The engine asks for index loops (`for i in 0..x.len()`): clippy must not
    // then ask for iterators on the function it re-emits.
    source
        .attrs
        .push(syn::parse_quote!(#[allow(clippy::needless_range_loop)]));

    let diff_levels: Vec<Args> = levels
        .iter()
        .filter_map(|l| match l {
            Level::Differentiate(a) => Some(a.clone()),
            Level::Custom(_) => None,
        })
        .collect();
    check_signature(&source, &diff_levels, &mut errors);
    if in_impl(&source).is_some() {
        // Inside an `impl` neither stubs nor a module can be emitted.
        let errs = errors.into_iter().map(|e| e.into_compile_error());
        return quote!(#(#errs)* #source);
    }
    // Lower once up front so user mistakes are reported against user code,
    // all of them, even when the signature has mistakes too. A function with a
    // custom rule may have a body outside the subset: that is what rules are for.
    let body_ok = {
        let mut errs = Vec::new();
        let low = lower_fn(&source, &mut errs);
        if errs.is_empty() && errors.is_empty() {
            check_activity(&low, &mut errs);
        }
        // A reverse level below another one: its adjoint code writes into the
        // fields of a struct's adjoint, which the level above cannot follow.
        let n = diff_levels.len();
        if diff_levels
            .iter()
            .take(n.saturating_sub(1))
            .any(|a| a.modes.contains(&Mode::Reverse))
        {
            named_field_reads(&low.body, &mut errs);
        }
        let ok = errs.is_empty();
        if !custom {
            errors.extend(errs);
        }
        ok
    };
    // The body has a mistake the macro reported: emit the function with a
    // stub body, so rustc does not report the same construct a second time.
    let mut emitted_source = source.clone();
    let block = strip_checkpoint_attrs(source.block.to_token_stream());
    if let Ok(b) = syn::parse2(block) {
        emitted_source.block = b;
    }
    if !body_ok && !custom {
        emitted_source.block = syn::parse_quote!({
            ::core::panic!("#[differentiate] rejected this function's body; see the compile error")
        });
        emitted_source
            .attrs
            .push(syn::parse_quote!(#[allow(unused_variables, unreachable_code)]));
    }

    let base = source.sig.ident.clone();
    let mut ctx = Ctx {
        base: base.clone(),
        logicals: vec![Logical {
            chain: String::new(),
            user: source.clone(),
            full: source.clone(),
            from_rule: false,
        }],
        emitted: Vec::new(),
        extra: Vec::new(),
        reexports: Vec::new(),
        dumps: Vec::new(),
        stub: !errors.is_empty(),
        errors,
        recursive: levels
            .iter()
            .any(|l| matches!(l, Level::Differentiate(a) if a.recursive)),
        rule_vec_user: None,
    };

    for level in &levels {
        match level {
            Level::Custom(c) => custom_level(&mut ctx, &source, c, body_ok),
            Level::Differentiate(args) => {
                let current = ctx.logicals.clone();
                for l in &current {
                    for &mode in &args.modes {
                        apply_mode(&mut ctx, l, mode, args.wrt.clone(), args.dump);
                    }
                    if args.vector {
                        apply_vector(&mut ctx, l, args.wrt.clone(), args.dump, true);
                    }
                }
            }
        }
    }
    let Ctx {
        errors,
        mut emitted,
        extra,
        reexports,
        dumps,
        ..
    } = ctx;

    let callees = crate::callees::guard(&base, &mut emitted);
    crate::bounds::bound_user_types(&source, &float_generics(&source.sig), &mut emitted);
    let errs = errors.into_iter().map(|e| e.into_compile_error());
    // Calling only `f_vjp` uses `f`: an allowed-dead item counts as used, so
    // rustc does not warn that `f` is never used. (An attribute rather than an
    // item naming `f`: inside an `impl`, where `f` is not in scope by its bare
    // name, it adds no error of its own to rustc's about the module.)
    emitted_source
        .attrs
        .push(syn::parse_quote!(#[allow(dead_code)]));
    let vis = &source.vis;
    let mod_vis = reexport_vis(vis);
    let present: Vec<String> = reexports.iter().map(|(_, to)| to.to_string()).collect();
    let n_params = source.sig.inputs.len();
    let missing = crate::callees::missing_entries(&base, &present, n_params, &mod_vis, custom);
    let reexports = reexports
        .iter()
        .map(|(from, to)| quote!(#mod_vis use super::#from as #to;));
    let dumps = dumps.iter().map(|(name, src)| {
        let c = format_ident!("{}_SOURCE", name.to_string().to_uppercase());
        let doc = format!(
            "The generated source of [`{name}`], pretty-printed (`#[differentiate(dump)]`)."
        );
        quote!(#[doc = #doc] #vis const #c: &str = #src;)
    });
    quote! {
        #(#errs)*
        #emitted_source
        #(#emitted)*
        #(#extra)*
        #callees
        #(#dumps)*
        #[doc(hidden)]
        #[allow(non_snake_case, unused_imports)]
        #vis mod #base {
            #(#reexports)*
            #missing
        }
    }
}

/// Applies one mode to one function of the stack: the user-facing derivative,
/// its full-convention twin, and (reverse) the pullback.
fn apply_mode(ctx: &mut Ctx, l: &Logical, mode: Mode, wrt: Option<Vec<syn::Ident>>, dump: bool) {
    let chain = chain_of(&l.chain, mode);
    // `forward` over `forward` applies to `f` again: `f_jvp` exists already.
    if ctx.logicals.iter().any(|x| x.chain == chain) {
        return;
    }
    let base = ctx.base.clone();
    let stub = ctx.stub;
    let recursive = ctx.recursive;
    let user_name = format_ident!("{}_{}", l.user.sig.ident, mode.suffix());
    let full_name = format_ident!("__ad_{}__{}", base, chain);
    let errors = &mut ctx.errors;
    let mut gen = |src: &ItemFn,
                   name: &syn::Ident,
                   conv: Conv,
                   calls: CallStyle,
                   wrt: Option<Vec<syn::Ident>>| {
        transform(
            src,
            &base,
            mode,
            name,
            conv,
            calls,
            wrt.as_deref(),
            stub,
            recursive,
            errors,
        )
    };
    let user_emit = gen(
        &l.user,
        &user_name,
        Conv::User,
        CallStyle::Split,
        wrt.clone(),
    );
    let full_emit = gen(&l.full, &full_name, Conv::Full, CallStyle::Split, None);
    let (user_next, full_next) = if mode == Mode::Reverse {
        (
            gen(
                &l.user,
                &user_name,
                Conv::User,
                CallStyle::Joint,
                wrt.clone(),
            ),
            gen(&l.full, &full_name, Conv::Full, CallStyle::Joint, None),
        )
    } else {
        (user_emit.clone(), full_emit.clone())
    };
    let pullback = (mode == Mode::Reverse).then(|| {
        let pb_name = pullback_name(&base, &l.chain);
        (
            gen(&l.full, &pb_name, Conv::Pullback, CallStyle::Split, None),
            pb_name,
        )
    });
    if dump && !l.from_rule {
        ctx.dumps.push((user_name.clone(), pretty(&user_emit)));
    }
    match std::env::var("DIFFERENTIATE_DUMP").as_deref() {
        Ok("all") => eprintln!("{}\n{}", pretty(&user_emit), pretty(&full_emit)),
        Ok(_) => eprintln!("// generated by #[differentiate]\n{}", pretty(&user_emit)),
        Err(_) => {}
    }
    if !l.from_rule {
        ctx.emitted.push(user_emit);
    }
    ctx.emitted.push(full_emit);
    ctx.reexports
        .push((full_name, format_ident!("__{}", chain)));
    if let Some((pb, pb_name)) = pullback {
        ctx.emitted.push(pb);
        ctx.reexports.push((pb_name, pullback_reexport(&l.chain)));
    }
    ctx.logicals.push(Logical {
        chain,
        user: user_next,
        full: full_next,
        from_rule: l.from_rule,
    });
}

/// Vector mode over one function of the stack: `<name>_jvp_vec` (when
/// `user`) and the hidden `__ad_f__<chain>_jvp_vec`, re-exported as
/// `f::__<chain>_jvp_vec`. A leaf: not added to the stack's functions.
fn apply_vector(ctx: &mut Ctx, l: &Logical, wrt: Option<Vec<syn::Ident>>, dump: bool, user: bool) {
    let chain = format!("{}_vec", chain_of(&l.chain, Mode::Forward));
    let reexport = format_ident!("__{}", chain);
    if ctx.reexports.iter().any(|(_, to)| *to == reexport) {
        // A custom forward rule made the hidden entry already.
        if user && l.chain.is_empty() {
            if let Some(u) = ctx.rule_vec_user.take() {
                ctx.emitted.push(u);
            }
        }
        return;
    }
    let base = ctx.base.clone();
    let k = crate::vector::lanes_param(&[&l.user, &l.full]);
    let user_name = format_ident!("{}_jvp_vec", l.user.sig.ident);
    let full_name = format_ident!("__ad_{}__{}", base, chain);
    let (stub, recursive) = (ctx.stub, ctx.recursive);
    let errors = &mut ctx.errors;
    let (user_emit, full_emit) = crate::gen::with_lanes(Some(k.clone()), || {
        let mut gen = |src: &ItemFn, name: &syn::Ident, conv: Conv, wrt: Option<&[syn::Ident]>| {
            let src = crate::vector::with_lanes_param(src, &k);
            transform(
                &src,
                &base,
                Mode::Forward,
                name,
                conv,
                CallStyle::Split,
                wrt,
                stub,
                recursive,
                errors,
            )
        };
        let u =
            (user && !l.from_rule).then(|| gen(&l.user, &user_name, Conv::User, wrt.as_deref()));
        (u, gen(&l.full, &full_name, Conv::Full, None))
    });
    if let Some(u) = user_emit {
        if dump {
            ctx.dumps.push((user_name.clone(), pretty(&u)));
        }
        match std::env::var("DIFFERENTIATE_DUMP").as_deref() {
            Ok("all") => eprintln!("{}\n{}", pretty(&u), pretty(&full_emit)),
            Ok(_) => eprintln!("// generated by #[differentiate]\n{}", pretty(&u)),
            Err(_) => {}
        }
        ctx.emitted.push(u);
    }
    ctx.emitted.push(full_emit);
    ctx.reexports.push((full_name, reexport));
}

fn chain_of(chain: &str, mode: Mode) -> String {
    if chain.is_empty() {
        mode.suffix().to_string()
    } else {
        format!("{}_{}", chain, mode.suffix())
    }
}

fn pullback_name(base: &syn::Ident, chain: &str) -> syn::Ident {
    if chain.is_empty() {
        format_ident!("__ad_{}__pullback", base)
    } else {
        format_ident!("__ad_{}__{}_pullback", base, chain)
    }
}

fn pullback_reexport(chain: &str) -> syn::Ident {
    if chain.is_empty() {
        format_ident!("__pullback")
    } else {
        format_ident!("__{}_pullback", chain)
    }
}

/// `#[custom_derivative(reverse = r, forward = j)]`: the first derivatives are
/// the user's rules. The hidden call entries become small adapters calling
/// them (so every caller, through any path, uses the rule); the rule's
/// signature is checked by coercion to the exact `fn` type SPEC.md gives it,
/// spanned at the rule. A mode without a rule is derived from the body when
/// the body is in the subset, and is otherwise left out: a caller that needs it
/// gets a compile error at the call. Stacked `#[differentiate]` levels above
/// differentiate the adapters, so higher orders go through the rule (which must
/// carry `#[differentiate]` itself for that).
fn custom_level(ctx: &mut Ctx, f: &ItemFn, c: &CustomArgs, body_ok: bool) {
    let source = ctx.logicals[0].clone();
    for mode in [Mode::Forward, Mode::Reverse] {
        let rule = match mode {
            Mode::Forward => c.forward.as_ref(),
            Mode::Reverse => c.reverse.as_ref(),
        };
        match rule {
            None if body_ok => {
                apply_mode(ctx, &source, mode, None, false);
                // Callers in vector mode find `__jvp_vec` whatever the rule
                // attribute says.
                if mode == Mode::Forward {
                    apply_vector(ctx, &source, None, false, false);
                }
            }
            None => {}
            Some(rule) => {
                let mut errs = Vec::new();
                let low = lower_fn(f, &mut errs);
                let pullback = match mode {
                    Mode::Reverse => c.pullback.as_ref(),
                    Mode::Forward => None,
                };
                let adapters = rule_adapters(f, &low, mode, rule, pullback, &ctx.base);
                ctx.extra.push(adapters.check);
                ctx.emitted.push(adapters.full.clone());
                ctx.reexports.push((
                    adapters.full.sig.ident.clone(),
                    format_ident!("__{}", mode.suffix()),
                ));
                if let Some(pb) = adapters.pullback {
                    ctx.reexports
                        .push((pb.sig.ident.clone(), pullback_reexport("")));
                    ctx.emitted.push(pb);
                }
                if let Some((user, full)) = adapters.vector {
                    ctx.reexports
                        .push((full.sig.ident.clone(), format_ident!("__jvp_vec")));
                    ctx.emitted.push(full);
                    ctx.rule_vec_user = Some(user);
                }
                ctx.logicals.push(Logical {
                    chain: mode.suffix().to_string(),
                    user: adapters.user,
                    full: adapters.full_next,
                    from_rule: true,
                });
            }
        }
    }
}

struct Adapters {
    /// `f_jvp`/`f_vjp` as the user would call them, calling the rule (a source
    /// for stacked levels; not emitted: the rule is that function).
    user: ItemFn,
    /// The full-convention entry, calling the rule (emitted).
    full: ItemFn,
    /// The same, calling the rule by path (a source for stacked levels).
    full_next: ItemFn,
    pullback: Option<ItemFn>,
    check: TokenStream,
    /// Forward only: the vector-mode adapters (user-facing, hidden), running
    /// the rule once per lane.
    vector: Option<(ItemFn, ItemFn)>,
}

fn rule_adapters(
    f: &ItemFn,
    low: &Lowered,
    mode: Mode,
    rule: &syn::Path,
    pullback_rule: Option<&syn::Path>,
    base: &syn::Ident,
) -> Adapters {
    let vis = &f.vis;
    let generics = &f.sig.generics;
    let wc = &generics.where_clause;
    let fname = &f.sig.ident;
    let ret_ty = match &f.sig.output {
        ReturnType::Type(_, t) => quote!(#t),
        ReturnType::Default => quote!(()),
    };
    let ret_adj = low.ret.adjoint();
    let params: Vec<TokenStream> = low.params.iter().map(param_tokens).collect();
    let names: Vec<&syn::Ident> = low.params.iter().map(|p| &p.ident).collect();
    let diff: Vec<&Param> = low
        .params
        .iter()
        .filter(|p| p.dtype.is_differentiable())
        .collect();
    let d = |p: &Param| format_ident!("d_{}", p.ident);
    let seed = format_ident!("d_out");
    let allow = quote!(#[allow(dead_code, unused_variables, non_snake_case, clippy::all, clippy::pedantic)]);
    let span = rule
        .segments
        .last()
        .map(|s| s.ident.span())
        .unwrap_or_else(Span::call_site);
    let user_name = format_ident!("{}_{}", fname, mode.suffix());
    let full_name = format_ident!("__ad_{}__{}", base, mode.suffix());
    // SPEC.md's signature for the rule, which the rule must have exactly.
    let param_tys: Vec<&syn::Type> = low.params.iter().map(|p| &p.ty).collect();
    let build = |callee: &TokenStream| match mode {
        Mode::Forward => {
            let tan_tys: Vec<TokenStream> = diff.iter().map(|p| p.dtype.borrowed()).collect();
            let fn_ty = quote!(fn(#(#param_tys,)* #(#tan_tys),*) -> (#ret_ty, #ret_adj));
            let tans: Vec<syn::Ident> = diff.iter().map(|p| d(p)).collect();
            let user_params = diff.iter().zip(&tans).map(|(p, t)| {
                let ty = p.dtype.borrowed();
                quote!(#t: #ty)
            });
            let user = quote! {
                #vis fn #user_name #generics (#(#params,)* #(#user_params),*) -> (#ret_ty, #ret_adj) #wc {
                    #rule(#(#names,)* #(#tans),*)
                }
            };
            let slots = low.params.iter().map(|p| {
                let t = d(p);
                let ty = full_slot(&p.dtype);
                quote!(#t: &#ty)
            });
            let derefs = diff.iter().filter(|p| p.dtype.by_value()).map(|p| {
                let t = d(p);
                quote!(let #t = *#t;)
            });
            let full = quote! {
                #[doc(hidden)] #allow
                #vis fn #full_name #generics (#(#params,)* #(#slots),*) -> (#ret_ty, #ret_adj) #wc {
                    #(#derefs)*
                    #callee(#(#names,)* #(#tans),*)
                }
            };
            (fn_ty, user, full, None)
        }
        Mode::Reverse => {
            let seed_ty = low.ret.borrowed();
            let adj_tys: Vec<TokenStream> = diff.iter().map(|p| p.dtype.adjoint()).collect();
            let fn_ty = quote!(fn(#(#param_tys,)* #seed_ty) -> (#ret_ty, #(#adj_tys),*));
            let user = quote! {
                #vis fn #user_name #generics (#(#params,)* #seed: #seed_ty) -> (#ret_ty, #(#adj_tys),*) #wc {
                    #rule(#(#names,)* #seed)
                }
            };
            let outs: Vec<syn::Ident> = diff.iter().map(|p| d(p)).collect();
            // The rule returns adjoints of the differentiable parameters only.
            let all = low.params.iter().map(|p| {
                if p.dtype.is_differentiable() {
                    let t = d(p);
                    quote!(#t)
                } else {
                    quote!(())
                }
            });
            let all: Vec<TokenStream> = all.collect();
            let all_adjs: Vec<TokenStream> = low.params.iter().map(|p| p.dtype.adjoint()).collect();
            let seed_arg = if low.ret.by_value() {
                quote!(*#seed)
            } else {
                quote!(#seed)
            };
            let full = quote! {
                #[doc(hidden)] #allow
                #vis fn #full_name #generics (#(#params,)* #seed: &#ret_adj) -> (#ret_ty, #(#all_adjs),*) #wc {
                    let (value, #(#outs),*) = #callee(#(#names,)* #seed_arg);
                    (value, #(#all),*)
                }
            };
            let mut named = low.params.clone();
            let count = name_param_lifetimes(&mut named, false);
            let (pg, capture) = pullback_generics(generics, count);
            let pparams: Vec<TokenStream> = named.iter().map(param_tokens).collect();
            let pb_name = pullback_name(base, "");
            let call_args = low.params.iter().map(pass_copy);
            let pullback = match pullback_rule {
                // The rule's own forward computation and closure.
                Some(p) => quote! {
                    #[doc(hidden)] #allow
                    #vis fn #pb_name #pg (#(#pparams),*) -> (#ret_ty, impl ::core::ops::FnOnce(&#ret_adj) -> (#(#all_adjs,)*) + #capture) #wc {
                        let (value, pullback) = #p(#(#names),*);
                        (value, move |#seed: &#ret_adj| {
                            let (#(#outs,)*) = pullback(#seed_arg);
                            (#(#all,)*)
                        })
                    }
                },
                None => quote! {
                    #[doc(hidden)] #allow
                    #vis fn #pb_name #pg (#(#pparams),*) -> (#ret_ty, impl ::core::ops::FnOnce(&#ret_adj) -> (#(#all_adjs,)*) + #capture) #wc {
                        let value = #fname(#(#call_args),*);
                        (value, move |#seed: &#ret_adj| {
                            let (_, #(#outs),*) = #callee(#(#names,)* #seed_arg);
                            (#(#all,)*)
                        })
                    }
                },
            };
            (fn_ty, user, full, Some(pullback))
        }
    };
    // The code fed to stacked levels calls the rule by path (its own
    // derivatives are found through it). The emitted entries call it through a
    // constant of exactly the `fn` type SPEC.md gives the rule: a rule with
    // another signature is ONE error, at the rule, printing the type that fits.
    // (Generic functions have no single `fn` type; they call the rule directly.)
    let rule_tokens = quote!(#rule);
    let (_, user, full_next, _) = build(&rule_tokens);
    let (check, callee) = if generics.params.is_empty() {
        let (fn_ty, ..) = build(&rule_tokens);
        let name = format_ident!(
            "__AD_{}__{}_RULE",
            base.to_string().to_uppercase(),
            mode.suffix().to_uppercase()
        );
        let rule_spanned = quote::quote_spanned!(span=> #rule);
        (
            quote!(#[allow(non_upper_case_globals)] #[doc(hidden)] const #name: #fn_ty = #rule_spanned;),
            quote!(#name),
        )
    } else {
        (quote!(), rule_tokens)
    };
    let (_, _, full, pullback) = build(&callee);
    let parse = |ts: TokenStream| syn::parse2::<ItemFn>(ts).expect("adapter parses");
    let vector =
        (mode == Mode::Forward).then(|| crate::vector::rule_adapters(f, low, &callee, base));
    Adapters {
        user: parse(user),
        full: parse(full),
        full_next: parse(full_next),
        pullback: pullback.map(parse),
        check,
        vector,
    }
}

/// A parameter passed on to another call while the function keeps it: as is
/// for `Copy` values and references (`.clone()` on a reference would clone
/// its referent), cloned otherwise.
pub fn pass_copy(p: &Param) -> TokenStream {
    let x = &p.ident;
    if p.dtype.by_value() || matches!(p.ty, syn::Type::Reference(_)) {
        quote!(#x)
    } else {
        quote!(#x.clone())
    }
}

/// Visibility of the re-exports inside `mod f`: as visible as the functions.
fn reexport_vis(vis: &syn::Visibility) -> TokenStream {
    match vis {
        syn::Visibility::Inherited => quote!(pub(super)),
        syn::Visibility::Restricted(r) if r.path.is_ident("super") => quote!(pub(in super::super)),
        syn::Visibility::Restricted(r) if r.path.is_ident("self") => quote!(pub(super)),
        v => v.to_token_stream(),
    }
}

pub fn pretty(f: &ItemFn) -> String {
    prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: vec![],
        items: vec![syn::Item::Fn(f.clone())],
    })
}

/// Signature rules, checked before anything is generated.
fn check_signature(f: &ItemFn, levels: &[Args], errors: &mut Vec<syn::Error>) {
    let sig = &f.sig;
    // The derivatives live in a module named after the function (see `mod f`
    // above), which an `impl` cannot hold. A receiver or `Self` says where the
    // function is; an associated function without either is indistinguishable
    // from a free one here, and gets rustc's "module is not supported in
    // `trait`s or `impl`s" at the attribute.
    match in_impl(f) {
        Some(InImpl::Receiver(r)) => errors.push(syn::Error::new_spanned(r, format!(
            "#[differentiate] applies to module-level functions, not methods: move `{}` out of the `impl` and pass what it needs from `self` as parameters",
            sig.ident
        ))),
        Some(InImpl::SelfType(span)) => errors.push(syn::Error::new(span, format!(
            "#[differentiate] applies to module-level functions, not associated functions (`Self` names the `impl`'s type): move `{}` out of the `impl` and name the type instead of `Self`",
            sig.ident
        ))),
        None => {}
    }
    if let Some(a) = &sig.asyncness {
        errors.push(syn::Error::new(
            a.span(),
            "`async fn` cannot be differentiated: remove `async` (derivatives are plain synchronous functions)",
        ));
    }
    if let Some(u) = &sig.unsafety {
        errors.push(syn::Error::new(u.span(), "`unsafe fn` cannot be differentiated: the engine cannot see what raw code does to values"));
    }
    if let Some(v) = &sig.variadic {
        errors.push(syn::Error::new(
            v.span(),
            "variadic functions cannot be differentiated",
        ));
    }
    let floats = float_generics(sig);
    let mut names = Vec::new();
    for a in &sig.inputs {
        if let FnArg::Typed(pt) = a {
            match &*pt.pat {
                Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => names.push((pi.ident.clone(), DType::of(&pt.ty, &floats))),
                p => errors.push(syn::Error::new_spanned(p, "parameters of a differentiated function must be plain names (`x: f64`); destructure inside the body")),
            }
            if let syn::Type::Reference(r) = &*pt.ty {
                if r.mutability.is_some() {
                    errors.push(syn::Error::new_spanned(r, "`&mut` parameters are not supported: the engine cannot follow mutation through a reference; take the value and return the result"));
                }
            }
            if let syn::Type::Ptr(p) = &*pt.ty {
                errors.push(syn::Error::new(
                    p.span(),
                    "raw pointers cannot be differentiated",
                ));
            }
        }
    }
    let ret = match &sig.output {
        ReturnType::Default => {
            errors.push(syn::Error::new(
                sig.ident.span(),
                "a differentiated function must return a value (`-> f64`, `-> Vec<f64>`, ...)",
            ));
            None
        }
        ReturnType::Type(_, t) => Some((t.span(), DType::of(t, &floats))),
    };
    for level in levels {
        if let Some(wrt) = &level.wrt {
            for w in wrt {
                match names.iter().find(|(n, _)| n == w) {
                    None => {
                        let hint = crate::lower::suggest(&w.to_string(), names.iter().map(|(n, _)| n.to_string()).collect::<Vec<_>>().iter().map(String::as_str));
                        errors.push(syn::Error::new(w.span(), format!("`wrt` names `{w}`, which is not a parameter of `{}`{hint}", sig.ident)));
                    }
                    Some((_, d)) if !d.is_differentiable() => errors.push(syn::Error::new(
                        w.span(),
                        format!("parameter `{w}` has no derivative type (integers, `bool` and the like are never active); remove it from `wrt`"),
                    )),
                    _ => {}
                }
            }
        }
        if let Some((span, d)) = &ret {
            if !d.is_differentiable() && level.modes.contains(&Mode::Reverse) {
                errors.push(syn::Error::new(*span, "reverse mode needs a differentiable output (a float, an array, a Vec or a tuple of them), not an integer or `bool`"));
            }
        }
    }
}

/// Where a function shows that it is inside an `impl`.
enum InImpl {
    Receiver(syn::Receiver),
    SelfType(Span),
}

/// A `self` receiver, or the first `Self` in the signature or body.
fn in_impl(f: &ItemFn) -> Option<InImpl> {
    if let Some(FnArg::Receiver(r)) = f.sig.inputs.first() {
        return Some(InImpl::Receiver(r.clone()));
    }
    fn find(ts: TokenStream) -> Option<Span> {
        ts.into_iter().find_map(|t| match t {
            proc_macro2::TokenTree::Ident(i) if i == "Self" => Some(i.span()),
            proc_macro2::TokenTree::Group(g) => find(g.stream()),
            _ => None,
        })
    }
    let sig = &f.sig;
    find(quote!(#sig))
        .or_else(|| find(f.block.to_token_stream()))
        .map(InImpl::SelfType)
}

/// Rules that need to know what is active (with every parameter active).
fn check_activity(low: &Lowered, errors: &mut Vec<syn::Error>) {
    let active: Vec<usize> = low
        .params
        .iter()
        .filter(|p| p.dtype.is_differentiable())
        .map(|p| p.var)
        .collect();
    let act = analyze(&low.body, &active);
    crate::ir::walk_stmts(&low.body.block, &mut |s| {
        // A `for` over an iterator binds its items as inactive values: iterating
        // active values would silently drop their derivatives.
        if let crate::ir::Stmt::Loop(crate::ir::Loop {
            kind: crate::ir::LoopKind::Iter {
                iter, iter_vars, ..
            },
            ..
        }) = s
        {
            if let Some(v) = iter_vars.iter().find(|v| act.varied[**v]) {
                let span = iter
                    .clone()
                    .into_iter()
                    .next()
                    .map(|t| t.span())
                    .unwrap_or_else(Span::call_site);
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "this loop iterates over `{}`, which carries a derivative; loop over indices instead (`for i in 0..{}.len()`) and read `{}[i]`",
                        low.body.vars[*v].name, low.body.vars[*v].name, low.body.vars[*v].name
                    ),
                ));
            }
        }
    });
}

/// One error per struct field read (`p.w`): second derivatives through
/// reverse mode do not follow struct fields yet.
fn named_field_reads(body: &crate::ir::Body, errors: &mut Vec<syn::Error>) {
    crate::ir::walk_stmts(&body.block, &mut |s| {
        if let crate::ir::Stmt::Let {
            rhs: Some(crate::ir::Rhs::Field(_, syn::Member::Named(name))),
            ..
        }
        | crate::ir::Stmt::Assign {
            rhs: crate::ir::Rhs::Field(_, syn::Member::Named(name)),
            ..
        } = s
        {
            errors.push(syn::Error::new(
                name.span(),
                format!("second derivatives through reverse mode do not follow struct fields yet (`.{name}`): for a Hessian, take the fields as separate parameters (tensors are fine), or stack only `forward` attributes"),
            ));
        }
    });
}

/// Does the body call the function itself (or one of its generated entries)?
fn calls_itself(body: &crate::ir::Body, base: &syn::Ident) -> bool {
    let mut found = false;
    crate::ir::walk_stmts(&body.block, &mut |s| {
        if let crate::ir::Stmt::Let {
            rhs: Some(crate::ir::Rhs::Call { path, .. }),
            ..
        }
        | crate::ir::Stmt::Assign {
            rhs: crate::ir::Rhs::Call { path, .. },
            ..
        }
        | crate::ir::Stmt::Discard(crate::ir::Rhs::Call { path, .. }) = s
        {
            let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let n = segs.len();
            found |= *base == segs[n - 1]
                || (n >= 2 && *base == segs[n - 2] && segs[n - 1].starts_with("__"));
        }
    });
    found
}

/// Type parameters bounded by `Real` (or `Float`) are float types.
pub(crate) fn float_generics(sig: &syn::Signature) -> Vec<String> {
    let mut out = Vec::new();
    let is_real = |b: &syn::TypeParamBound| match b {
        syn::TypeParamBound::Trait(t) => t
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Real" || s.ident == "Float"),
        _ => false,
    };
    for p in &sig.generics.params {
        if let syn::GenericParam::Type(t) = p {
            if t.bounds.iter().any(is_real) {
                out.push(t.ident.to_string());
            }
        }
    }
    if let Some(w) = &sig.generics.where_clause {
        for pred in &w.predicates {
            if let syn::WherePredicate::Type(pt) = pred {
                if pt.bounds.iter().any(is_real) {
                    out.push(pt.bounded_ty.to_token_stream().to_string());
                }
            }
        }
    }
    out
}

pub struct Lowered {
    pub body: crate::ir::Body,
    pub params: Vec<Param>,
    pub ret: DType,
    pub used: std::collections::HashSet<String>,
}

pub fn lower_fn(f: &ItemFn, errors: &mut Vec<syn::Error>) -> Lowered {
    let floats = float_generics(&f.sig);
    let mut l = Lowerer::new(errors, f, floats.clone());
    let mut params = Vec::new();
    for (i, a) in f.sig.inputs.iter().enumerate() {
        if let FnArg::Typed(pt) = a {
            if let Pat::Ident(pi) = &*pt.pat {
                params.push(l.add_param(&pi.ident, &pt.ty, pi.mutability.is_some(), i));
            }
        }
    }
    let ret = match &f.sig.output {
        ReturnType::Type(_, t) => DType::of(t, &floats),
        ReturnType::Default => DType::Inactive,
    };
    l.lower_body(&f.block, f.sig.ident.span());
    // The returned variable has the declared return type.
    if let crate::ir::Atom::Var(v) = l.body.result {
        if l.body.vars[v].kind == crate::ir::Kind::Unknown {
            l.body.vars[v].kind = ret.kind();
        }
    }
    let used = l.used_names().clone();
    Lowered {
        body: l.body,
        params,
        ret,
        used,
    }
}

/// The body as rustc compiles it: without the `#[checkpoint]` attributes of
/// its loops, which only the reverse transform reads. A segment length given
/// as `every = n` stays used (`let _ = &(n);`), so `n` draws no warning.
fn strip_checkpoint_attrs(ts: TokenStream) -> TokenStream {
    use proc_macro2::{Delimiter, Group, TokenTree};
    let mut out = Vec::new();
    let mut it = ts.into_iter().peekable();
    while let Some(t) = it.next() {
        match t {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                let ours = matches!(it.peek(), Some(TokenTree::Group(g))
                    if g.delimiter() == Delimiter::Bracket
                        && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "checkpoint"));
                if ours {
                    if let Some(TokenTree::Group(g)) = it.next() {
                        let args = g.stream().into_iter().nth(1);
                        if let Some(TokenTree::Group(args)) = args {
                            let value: TokenStream = args
                                .stream()
                                .into_iter()
                                .skip_while(
                                    |t| !matches!(t, TokenTree::Punct(p) if p.as_char() == '='),
                                )
                                .skip(1)
                                .collect();
                            if !value.is_empty() {
                                out.extend(quote!(let _ = &(#value);));
                            }
                        }
                    }
                } else {
                    out.push(TokenTree::Punct(p));
                }
            }
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), strip_checkpoint_attrs(g.stream()));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Generates one derivative function of `src`.
#[allow(clippy::too_many_arguments)]
fn transform(
    src: &ItemFn,
    base: &syn::Ident,
    mode: Mode,
    name: &syn::Ident,
    conv: Conv,
    calls: CallStyle,
    wrt: Option<&[syn::Ident]>,
    stub: bool,
    recursive: bool,
    errors: &mut Vec<syn::Error>,
) -> ItemFn {
    // Literals in generated code are written in the function's float type.
    let param = float_generics(&src.sig)
        .first()
        .map(|f| format_ident!("{}", f));
    crate::gen::with_float_param(param, || {
        transform_in(
            src, base, mode, name, conv, calls, wrt, stub, recursive, errors,
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn transform_in(
    src: &ItemFn,
    base: &syn::Ident,
    mode: Mode,
    name: &syn::Ident,
    conv: Conv,
    calls: CallStyle,
    wrt: Option<&[syn::Ident]>,
    stub: bool,
    recursive: bool,
    errors: &mut Vec<syn::Error>,
) -> ItemFn {
    let mut errs = Vec::new();
    let mut low = lower_fn(src, &mut errs);
    if !errs.is_empty() && !stub {
        // The source lowered cleanly, so this is generated code outside the subset.
        for e in errs {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!("internal error in #[differentiate] while generating `{name}`: {e}; please report this with the function"),
            ));
        }
    }
    if calls == CallStyle::Joint {
        crate::reverse::drop_checkpoints(&mut low.body);
    }
    let pullbacks = if mode == Mode::Reverse && !stub {
        crate::reverse::prepare(&mut low.body, &low.ret, calls, conv == Conv::Pullback)
    } else {
        Default::default()
    };
    let active: Vec<usize> = low
        .params
        .iter()
        .filter(|p| p.dtype.is_differentiable())
        .filter(|p| conv != Conv::User || wrt.is_none_or(|w| w.contains(&p.ident)))
        .map(|p| p.var)
        .collect();
    let act = analyze(&low.body, &active);
    let mut g = Gen::new(&low.body, &act, &low.used);
    let seed = g.names.fresh("d_out");
    // A recursive pullback cannot return its own opaque closure type: box it.
    let boxed = conv == Conv::Pullback && (recursive || calls_itself(&low.body, base));
    let sig = signature(src, &low, &g, &active, mode, name, conv, &seed, boxed);
    let doc = doc_comment(src, &low, &active, mode, conv);
    let vis = &src.vis;
    let hidden = if conv == Conv::User {
        quote!()
    } else {
        quote!(#[doc(hidden)])
    };
    let body = if stub {
        let msg =
            quote!("#[differentiate] could not generate this function; see the compile error");
        if conv == Conv::Pullback {
            // An opaque closure type cannot be inferred from `!`: give one.
            let ret_adj = low.ret.adjoint();
            let adjs = low.params.iter().map(|p| p.dtype.adjoint());
            let closure = quote!(move |_: &#ret_adj| -> (#(#adjs,)*) { ::core::unreachable!() });
            let closure = if boxed {
                quote!(::std::boxed::Box::new(#closure))
            } else {
                closure
            };
            quote!({
                #[allow(unreachable_code)]
                (::core::panic!(#msg), #closure)
            })
        } else {
            quote!({ ::core::panic!(#msg) })
        }
    } else {
        let prologue = prologue(&g, &low, &active, mode, conv);
        let inner = match mode {
            Mode::Forward => {
                let out_zero = low.ret.const_zero();
                Forward::new(&mut g, out_zero).body()
            }
            Mode::Reverse => {
                let mut r = Reverse::new(&mut g, &low, &active, conv, pullbacks, seed);
                r.boxed = boxed;
                r.pooled = calls == CallStyle::Split;
                r.body_tokens()
            }
        };
        quote!({ #prologue #inner })
    };
    let _ = calls;
    let tokens = quote! {
        #[doc = #doc]
        #hidden
        #[allow(dead_code, unused_mut, unused_variables, unused_assignments, unused_parens, unused_labels, non_snake_case, clippy::all, clippy::pedantic, clippy::nursery)]
        #vis #sig #body
    };
    match syn::parse2::<ItemFn>(tokens.clone()) {
        Ok(f) => f,
        Err(e) => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "internal error in #[differentiate]: generated `{name}` does not parse: {e}"
                ),
            ));
            let stub_body = quote!({ ::core::panic!() });
            syn::parse2(quote!(#vis #sig #stub_body)).unwrap_or_else(|_| src.clone())
        }
    }
}

fn param_tokens(p: &Param) -> TokenStream {
    let (id, ty) = (&p.ident, &p.ty);
    if p.mutable {
        quote!(mut #id: #ty)
    } else {
        quote!(#id: #ty)
    }
}

#[allow(clippy::too_many_arguments)]
fn signature(
    src: &ItemFn,
    low: &Lowered,
    g: &Gen,
    active: &[usize],
    mode: Mode,
    name: &syn::Ident,
    conv: Conv,
    seed: &syn::Ident,
    boxed: bool,
) -> TokenStream {
    let generics = &src.sig.generics;
    let where_clause = &generics.where_clause;
    let params: Vec<TokenStream> = low.params.iter().map(param_tokens).collect();
    let ret_ty = match &src.sig.output {
        ReturnType::Type(_, t) => quote!(#t),
        ReturnType::Default => quote!(()),
    };
    let ret_adj = low.ret.adjoint();
    match (mode, conv) {
        (Mode::Forward, Conv::User) => {
            let tangents = low
                .params
                .iter()
                .filter(|p| active.contains(&p.var))
                .map(|p| {
                    let d = &g.d[p.var];
                    let t = p.dtype.borrowed();
                    // A reassigned parameter's tangent is reassigned with it.
                    let m = if g.mutated.contains(&p.var) && p.dtype.by_value() {
                        quote!(mut)
                    } else {
                        quote!()
                    };
                    quote!(#m #d: #t)
                });
            quote!(fn #name #generics (#(#params,)* #(#tangents),*) -> (#ret_ty, #ret_adj) #where_clause)
        }
        (Mode::Forward, _) => {
            let tangents = low.params.iter().map(|p| {
                let d = &g.d[p.var];
                let t = full_slot(&p.dtype);
                quote!(#d: &#t)
            });
            quote!(fn #name #generics (#(#params,)* #(#tangents),*) -> (#ret_ty, #ret_adj) #where_clause)
        }
        (Mode::Reverse, Conv::User) => {
            let seed_ty = low.ret.borrowed();
            let adjs = low
                .params
                .iter()
                .filter(|p| active.contains(&p.var))
                .map(|p| p.dtype.adjoint());
            quote!(fn #name #generics (#(#params,)* #seed: #seed_ty) -> (#ret_ty, #(#adjs),*) #where_clause)
        }
        (Mode::Reverse, Conv::Full) => {
            let adjs = low.params.iter().map(|p| p.dtype.adjoint());
            quote!(fn #name #generics (#(#params,)* #seed: &#ret_adj) -> (#ret_ty, #(#adjs),*) #where_clause)
        }
        (Mode::Reverse, Conv::Pullback) if boxed => {
            // One lifetime `'ad` for every borrowed parameter, which the boxed
            // closure (and every type parameter) outlives.
            let adjs = low.params.iter().map(|p| p.dtype.adjoint());
            let mut named = low.params.clone();
            name_param_lifetimes(&mut named, true);
            let mut generics = generics.clone();
            let lt = syn::Lifetime::new("'ad", Span::call_site());
            generics.params.insert(
                0,
                syn::GenericParam::Lifetime(syn::LifetimeParam::new(lt.clone())),
            );
            let wc = generics.make_where_clause();
            for p in src.sig.generics.params.iter() {
                if let syn::GenericParam::Type(t) = p {
                    let id = &t.ident;
                    wc.predicates.push(syn::parse_quote!(#id: #lt));
                }
            }
            let where_clause = generics.where_clause.clone();
            let params: Vec<TokenStream> = named.iter().map(param_tokens).collect();
            quote!(fn #name #generics (#(#params),*) -> (#ret_ty, ::std::boxed::Box<dyn ::core::ops::FnOnce(&#ret_adj) -> (#(#adjs,)*) + #lt>) #where_clause)
        }
        (Mode::Reverse, Conv::Pullback) => {
            let adjs = low.params.iter().map(|p| p.dtype.adjoint());
            let mut named = low.params.clone();
            let count = name_param_lifetimes(&mut named, false);
            let (generics, capture) = pullback_generics(generics, count);
            let params: Vec<TokenStream> = named.iter().map(param_tokens).collect();
            quote!(fn #name #generics (#(#params),*) -> (#ret_ty, impl ::core::ops::FnOnce(&#ret_adj) -> (#(#adjs,)*) + #capture) #where_clause)
        }
    }
}

/// The slot type of a parameter's derivative in full-convention functions.
fn full_slot(d: &DType) -> TokenStream {
    match d {
        DType::SliceRef(_) | DType::Vec(_) => d.borrowed().into_iter().skip(1).collect(),
        d => d.adjoint(),
    }
}

/// Generics of a pullback: the source's plus `'ad0..'adN` for the elided
/// lifetimes of its parameters, and the `use<...>` list of everything the
/// returned closure may capture.
fn pullback_generics(generics: &syn::Generics, count: usize) -> (syn::Generics, TokenStream) {
    let mut g = generics.clone();
    for k in (0..count).rev() {
        let lt = syn::Lifetime::new(&format!("'ad{k}"), Span::call_site());
        g.params
            .insert(0, syn::GenericParam::Lifetime(syn::LifetimeParam::new(lt)));
    }
    let caps = g.params.iter().map(|p| match p {
        syn::GenericParam::Lifetime(l) => l.lifetime.to_token_stream(),
        syn::GenericParam::Type(t) => t.ident.to_token_stream(),
        syn::GenericParam::Const(c) => c.ident.to_token_stream(),
    });
    let caps = quote!(use<#(#caps),*>);
    (g, caps)
}

/// Names elided lifetimes in parameter types `'ad0`, `'ad1`, ... in order (or
/// all `'ad` when `single`); returns how many.
fn name_param_lifetimes(params: &mut [Param], single: bool) -> usize {
    struct Namer(usize, bool);
    impl syn::visit_mut::VisitMut for Namer {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                let name = if self.1 {
                    "'ad".to_string()
                } else {
                    format!("'ad{}", self.0)
                };
                r.lifetime = Some(syn::Lifetime::new(&name, Span::call_site()));
                self.0 += 1;
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    let mut n = Namer(0, single);
    for p in params {
        syn::visit_mut::VisitMut::visit_type_mut(&mut n, &mut p.ty);
    }
    n.0
}

/// Statements before the body: take derivative slots into the form the body uses,
/// and check lengths of slices against their primals.
fn prologue(g: &Gen, low: &Lowered, active: &[usize], mode: Mode, conv: Conv) -> TokenStream {
    let rt = rt();
    let fname = "derivative";
    let mut out = TokenStream::new();
    for p in &low.params {
        let d = g.d[p.var].clone();
        let x = &p.ident;
        let is_active = active.contains(&p.var);
        match (mode, conv) {
            (Mode::Forward, Conv::Full) => {
                if p.dtype.by_value() {
                    let m = if g.mutated.contains(&p.var) {
                        quote!(mut)
                    } else {
                        quote!()
                    };
                    out.extend(quote!(let #m #d = *#d;));
                }
                if matches!(p.dtype, DType::SliceRef(_) | DType::Vec(_)) {
                    let msg_d = format!("tangent {d}");
                    let msg_x = x.to_string();
                    out.extend(quote!(#rt::check_len(#fname, #msg_d, #d.len(), #msg_x, #x.len());));
                }
            }
            (Mode::Forward, Conv::User) if is_active => {
                if matches!(p.dtype, DType::SliceRef(_) | DType::Vec(_)) {
                    let msg_d = format!("tangent {d}");
                    let msg_x = x.to_string();
                    out.extend(quote!(#rt::check_len(#fname, #msg_d, #d.len(), #msg_x, #x.len());));
                }
            }
            _ => {}
        }
        if mode == Mode::Forward
            && is_active
            && g.mutated.contains(&p.var)
            && matches!(p.dtype, DType::SliceRef(_) | DType::Vec(_))
        {
            out.extend(quote!(let mut #d = #d.to_vec();));
        }
    }
    out
}

fn doc_comment(src: &ItemFn, low: &Lowered, active: &[usize], mode: Mode, conv: Conv) -> String {
    let f = &src.sig.ident;
    let names: Vec<String> = low
        .params
        .iter()
        .filter(|p| active.contains(&p.var))
        .map(|p| format!("`{}`", p.ident))
        .collect();
    match (mode, conv) {
        (Mode::Forward, Conv::User) if crate::gen::lanes().is_some() => format!(
            "Vector-mode forward derivative of [`{f}`], generated by `#[differentiate(forward, vector)]`.\n\n\
             Takes `{f}`'s arguments, then for each of {} a tangent of `K` lanes (`Lanes<F, K>` for each float); \
             returns `({f}(...), tangent of the output)` with `K` lanes: lane `k` is the directional derivative \
             along lane `k` of the tangents, exactly what `{f}_jvp` computes for them. One sweep for `K` directions.",
            names.join(", ")
        ),
        (Mode::Forward, Conv::User) => format!(
            "Forward-mode derivative (JVP) of [`{f}`], generated by `#[differentiate(forward)]`.\n\n\
             Takes `{f}`'s arguments, then one tangent for each of {}; returns `({f}(...), tangent of the output)`, \
             the directional derivative along the given tangents, in one sweep.",
            names.join(", ")
        ),
        (Mode::Reverse, Conv::User) => format!(
            "Reverse-mode derivative (VJP) of [`{f}`], generated by `#[differentiate(reverse)]`.\n\n\
             Takes `{f}`'s arguments, then the output's cotangent (seed) `d_out`; returns `({f}(...), adjoint of {})`: \
             `d_out` times the derivative of the output with respect to each, in one forward and one reverse sweep.",
            names.join(", adjoint of ")
        ),
        _ => "Hidden entry of `#[differentiate]` for calls from other differentiated functions.".to_string(),
    }
}
