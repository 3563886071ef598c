//! Calls to functions that have no derivatives: one error, in our words, at
//! the callee.
//!
//! A differentiated caller calls `g(x)` through `g`'s hidden entries
//! (`g::__pullback(x)`, `g::__jvp(x, &d_x)`, ...), which `#[differentiate]` on
//! `g` puts in a module named `g`. A proc macro cannot see whether the callee
//! carries the attribute, so when it does not, rustc used to report "cannot
//! find module or crate `g`". Instead, every generated function that calls
//! `g` starts with
//!
//! ```text
//! use self::g;                    // the function, and its module if there is one
//! use self::__ad_f__callees::*;   // a stand-in `g`, for when there is none
//! ```
//!
//! An explicit import shadows a glob one, per namespace: when `g` has
//! derivatives, `g::__pullback` is the real entry; when it has none, only the
//! function comes in through `self::g` and the type namespace falls back to
//! the stand-in, a type alias
//!
//! ```text
//! type g = <Callee as __g::Differentiated>::Entries;
//! ```
//!
//! whose `Differentiated` impl needs a trait nothing implements, carrying
//! `#[diagnostic::on_unimplemented]` with the message. Resolving `g::__pullback`
//! then fails exactly once, at `g` in the user's call, with our text; the
//! alias still normalizes (to a type whose entries have the called arities and
//! any types), so nothing else in the generated code reports a second error.
//! Every generated function of one caller makes the same diagnostic, which
//! rustc prints once.
//!
//! A path call (`shapes::g(x)`) is rewritten to go through an import too
//! (`use shapes::g;` then `g::__pullback(x)`), so it gets the same message.
//! Constructors and associated functions (`T::f`, capitalized paths) are left
//! alone.
//!
//! The other half is in the callee's `mod g`: [`missing_entries`] adds, for
//! each entry `g`'s attributes do not generate (up to second order), a function
//! of the entry's arity whose where clause fails at the call with a message
//! saying which derivative `g` lacks and which attribute gives it. (A where
//! clause rather than the alias trick: the entry is a value in a module that
//! exists. Its bound names the return type parameter so that rustc checks it
//! at the call, not at `g`.)

use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Expr, ItemFn};

use crate::gen::rt;

/// A called function, as the generated code names it.
struct Callee {
    /// The path to import it by (`self::g`, `shapes::g`).
    import: syn::Path,
    /// The path as written, for the message.
    written: String,
    /// The name it is imported as, which the calls then use (`g`).
    local: syn::Ident,
    /// Entry name -> arity.
    entries: BTreeMap<String, usize>,
}

/// The callee-derivative entries one function's generated code calls, by
/// the path as written.
#[derive(Default)]
struct Calls {
    callees: BTreeMap<String, Callee>,
}

/// `shapes::g` as written (`shapes::g`), and `g` as `g`.
fn written(callee: &syn::Path) -> String {
    quote!(#callee).to_string().replace(' ', "")
}

impl Calls {
    fn add(&mut self, callee: &syn::Path, entry: &syn::Ident, arity: usize) {
        let written = written(callee);
        let taken: Vec<String> = self.callees.values().map(|c| c.local.to_string()).collect();
        let slot = self.callees.entry(written.clone()).or_insert_with(|| {
            let last = &callee.segments.last().expect("a path").ident;
            let import = if callee.segments.len() == 1 && callee.leading_colon.is_none() {
                syn::parse_quote_spanned!(last.span()=> self::#last)
            } else {
                callee.clone()
            };
            // `a::g` and `b::g` in one body: the second is imported as `g__1`.
            let mut local = last.clone();
            let mut k = 0_usize;
            while taken.contains(&local.to_string()) {
                k += 1;
                local = format_ident!("{}__{}", last, k, span = last.span());
            }
            Callee {
                import,
                written,
                local,
                entries: BTreeMap::new(),
            }
        });
        slot.entries.insert(entry.to_string(), arity);
    }
}

/// Collects the calls `path::__entry(...)`.
struct Collect<'c>(&'c mut Calls);

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Some((callee, entry)) = entry_call(&c.func) {
            self.0.add(&callee, entry, c.args.len());
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// Rewrites `shapes::g::__entry(...)` to `g::__entry(...)`, `g` being imported.
struct Rewrite<'c>(&'c Calls);

impl VisitMut for Rewrite<'_> {
    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        if let Some((callee, _)) = entry_call(&c.func) {
            if let (Some(found), Expr::Path(p)) =
                (self.0.callees.get(&written(&callee)), &mut *c.func)
            {
                let span = callee.segments.last().expect("a path").ident.span();
                let entry = p.path.segments.pop().expect("an entry").into_value();
                let mut local = syn::PathSegment::from(found.local.clone());
                local.ident.set_span(span);
                p.path.leading_colon = None;
                p.path.segments = [local, entry].into_iter().collect();
                // The call's parentheses at the callee too: an error about the
                // call as a whole then points at the callee, not the attribute.
                c.paren_token = syn::token::Paren(span);
            }
        }
        syn::visit_mut::visit_expr_call_mut(self, c);
    }
}

/// `callee::__entry` with `callee` a path of plain module and function names.
fn entry_call(func: &Expr) -> Option<(syn::Path, &syn::Ident)> {
    let Expr::Path(p) = func else { return None };
    let n = p.path.segments.len();
    if p.qself.is_some() || n < 2 {
        return None;
    }
    let entry = &p.path.segments[n - 1];
    if !entry.arguments.is_none() || !entry.ident.to_string().starts_with("__") {
        return None;
    }
    let mut callee = p.path.clone();
    callee.segments.pop();
    callee.segments.pop_punct();
    if callee.segments.iter().any(|s| !s.arguments.is_none()) {
        return None;
    }
    let names: Vec<String> = callee
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let last = names[names.len() - 1].trim_start_matches("r#");
    // Constructors, associated functions (`T::f`) and the prelude's functions
    // are not items of a module the stand-ins can back.
    let plain = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_lowercase() || c == '_')
    };
    if !names.iter().all(|s| plain(s.trim_start_matches("r#")))
        || matches!(last, "self" | "super" | "crate")
        || (names.len() == 1 && last == "drop")
    {
        return None;
    }
    Some((callee, &entry.ident))
}

/// Adds the imports to every function in `fns` that calls a callee's entries,
/// and returns the module of stand-ins (empty when nothing is called).
pub fn guard(base: &syn::Ident, fns: &mut [ItemFn]) -> TokenStream {
    let module = format_ident!("__ad_{}__callees", base);
    let mut all: BTreeMap<String, Callee> = BTreeMap::new();
    for f in fns.iter_mut() {
        let mut calls = Calls::default();
        Collect(&mut calls).visit_block(&f.block);
        if calls.callees.is_empty() {
            continue;
        }
        Rewrite(&calls).visit_block_mut(&mut f.block);
        let mut uses: Vec<syn::Stmt> = calls
            .callees
            .values()
            .map(|c| {
                let (import, local) = (&c.import, &c.local);
                // A path that names nothing is reported at the call.
                let span = local.span();
                if import.segments.last().is_some_and(|s| s.ident == *local) {
                    syn::parse_quote_spanned!(span=> #[allow(unused_imports)] use #import;)
                } else {
                    syn::parse_quote_spanned!(span=> #[allow(unused_imports)] use #import as #local;)
                }
            })
            .collect();
        uses.push(syn::parse_quote!(#[allow(unused_imports)] use self::#module::*;));
        f.block.stmts.splice(0..0, uses);
        for c in calls.callees.into_values() {
            match all.get_mut(&c.local.to_string()) {
                Some(slot) => slot.entries.extend(c.entries),
                None => {
                    all.insert(c.local.to_string(), c);
                }
            }
        }
    }
    if all.is_empty() {
        return TokenStream::new();
    }
    let standins = all.values().map(standin);
    quote! {
        #[doc(hidden)]
        #[allow(dead_code, non_camel_case_types, non_snake_case, unreachable_pub, clippy::all, clippy::pedantic, clippy::nursery)]
        mod #module {
            #(#standins)*
        }
    }
}

/// The stand-in for callee `g`: `type g = ...` and what it needs.
fn standin(c: &Callee) -> TokenStream {
    let id = &c.local;
    let written = &c.written;
    let name = written.rsplit("::").next().unwrap_or(written);
    let name = name.trim_start_matches("r#");
    let inner = format_ident!("__{}", id.to_string().trim_start_matches("r#"));
    let message = format!(
        "`{written}` has no derivatives: annotate it with {}, register a `#[custom_derivative]` for it, or do not pass it values that carry a derivative",
        needed_attrs(c.entries.keys())
    );
    let label = format!("`{name}` is called with an argument that carries a derivative");
    let note = format!(
        "differentiating a call uses the callee's own derivatives, which `#[differentiate]` on `{name}` would generate"
    );
    let rt = rt();
    let fns = c.entries.iter().map(|(entry, &arity)| {
        let entry = syn::Ident::new(entry, Span::call_site());
        let tys: Vec<syn::Ident> = (0..arity).map(|k| format_ident!("A{}", k)).collect();
        quote!(pub fn #entry<#(#tys,)* R>(#(_: #tys),*) -> R { ::differentiate::__private::stand_in() })
    });
    // The alias is resolved where the user wrote the callee: spanned there.
    let span = id.span();
    let alias =
        quote_spanned!(span=> pub type #id = <#rt::Callee as #inner::Differentiated>::Entries;);
    quote! {
        #alias
        pub mod #inner {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            pub trait Annotated {}
            pub trait Differentiated {
                type Entries;
            }
            #[diagnostic::do_not_recommend]
            impl<T: Annotated> Differentiated for T {
                type Entries = Entries;
            }
            pub enum Entries {}
            impl Entries {
                #(#fns)*
            }
        }
    }
}

/// The attributes `g` needs for the entries its caller uses: `__pullback` and
/// `__vjp` are reverse mode, `__jvp` forward, `__vjp_jvp` forward over reverse, ...
fn needed_attrs<'a>(entries: impl Iterator<Item = &'a String>) -> String {
    let chains: Vec<Vec<String>> = entries
        .map(|e| {
            let chain = e.trim_start_matches("__").replace("pullback", "vjp");
            chain.split('_').map(str::to_string).collect()
        })
        .collect();
    // A stack generates every chain that picks at most one mode per level, in
    // order: the chains that are part of a longer one need nothing more.
    let is_sub = |a: &[String], b: &[String]| {
        let mut it = b.iter();
        a.len() < b.len() && a.iter().all(|m| it.any(|n| n == m))
    };
    let longest: Vec<&Vec<String>> = chains
        .iter()
        .filter(|a| !chains.iter().any(|b| is_sub(a, b)))
        .collect();
    let depth = longest.iter().map(|c| c.len()).max().unwrap_or(1);
    let attrs: Vec<String> = (0..depth)
        .rev()
        .map(|k| {
            let has = |m: &str| longest.iter().any(|c| c.get(k).is_some_and(|x| x == m));
            let modes = match (has("jvp"), has("vjp")) {
                (true, true) => "forward, reverse",
                (true, false) => "forward",
                _ => "reverse",
            };
            format!("`#[differentiate({modes})]`")
        })
        .collect();
    attrs.join(" above ")
}

/// The longest stack of attributes whose missing derivatives get a stand-in.
const STANDIN_ORDER: usize = 2;

/// Stand-ins, inside `mod f`, for the entries `f`'s attributes do not
/// generate (up to second order): a caller that needs one (a forward-mode
/// caller of a reverse-only `f`) gets one error saying what `f` lacks, at the
/// call, instead of "cannot find function `__jvp` in module `f`".
pub fn missing_entries(
    base: &syn::Ident,
    present: &[String],
    params: usize,
    vis: &TokenStream,
    custom: bool,
) -> TokenStream {
    // Every chain of modes up to the order, the empty one (`f` itself) first.
    let mut chains: Vec<Vec<&str>> = vec![vec![]];
    let mut level: Vec<Vec<&str>> = vec![vec![]];
    for _ in 0..STANDIN_ORDER {
        level = level
            .iter()
            .flat_map(|c| {
                ["jvp", "vjp"].map(|m| {
                    let mut c = c.clone();
                    c.push(m);
                    c
                })
            })
            .collect();
        chains.extend(level.iter().cloned());
    }
    let arity = |c: &[&str]| {
        c.iter()
            .fold(params, |a, m| if *m == "jvp" { 2 * a } else { a + 1 })
    };
    let has = present;
    let mut out = TokenStream::new();
    for c in &chains {
        let mut entries = Vec::new();
        if !c.is_empty() {
            entries.push((format!("__{}", c.join("_")), arity(c)));
        }
        // A pullback serves a reverse-mode caller one level up.
        if c.len() < STANDIN_ORDER {
            let pb = if c.is_empty() {
                "__pullback".to_string()
            } else {
                format!("__{}_pullback", c.join("_"))
            };
            entries.push((pb, arity(c)));
        }
        for (entry, n) in entries {
            if has.contains(&entry) {
                continue;
            }
            let message = if custom && !entry.trim_start_matches("__").contains('_') {
                let mode = if entry == "__jvp" {
                    "forward"
                } else {
                    "reverse"
                };
                format!(
                    "`{base}` lacks the {} derivative this call needs: register one with `#[custom_derivative({mode} = ...)]`, or make its body differentiable",
                    describe(&entry),
                )
            } else {
                format!(
                    "`{base}` lacks the {} derivative this call needs: give `{base}` {} (it has {})",
                    describe(&entry),
                    needed_attrs(has.iter().chain(std::iter::once(&entry))),
                    needed_attrs(has.iter())
                )
            };
            let label = format!("`{base}` has no {} derivative", describe(&entry));
            let tr = format_ident!("{}_derivative", entry);
            let name = syn::Ident::new(&entry, Span::call_site());
            let tys: Vec<syn::Ident> = (0..n).map(|k| format_ident!("A{}", k)).collect();
            // `R` in the bound keeps rustc from checking it where `f` is
            // defined; it fails at the call, where `f` lacks the entry.
            out.extend(quote! {
                #[diagnostic::on_unimplemented(message = #message, label = #label)]
                #[doc(hidden)]
                #vis trait #tr<R> {}
                #[diagnostic::do_not_recommend]
                impl<R> #tr<R> for () {}
                #[doc(hidden)]
                #[allow(clippy::all, clippy::pedantic)]
                #vis fn #name<#(#tys,)* R>(#(_: #tys),*) -> R
                where
                    ::differentiate::__private::Callee: #tr<R>,
                {
                    ::differentiate::__private::stand_in()
                }
            });
        }
    }
    // Vector mode (`#[differentiate(forward, vector)]`) at first order.
    if !has.iter().any(|e| e == "__jvp_vec") {
        let message = format!(
            "`{base}` lacks the vector-mode forward derivative this call needs: add `vector` to its forward attribute (`#[differentiate(forward, vector)]`)"
        );
        let label = format!("`{base}` has no vector-mode derivative");
        let tys: Vec<syn::Ident> = (0..2 * params).map(|k| format_ident!("A{}", k)).collect();
        out.extend(quote! {
            #[diagnostic::on_unimplemented(message = #message, label = #label)]
            #[doc(hidden)]
            #vis trait __jvp_vec_derivative<R> {}
            #[diagnostic::do_not_recommend]
            impl<R> __jvp_vec_derivative<R> for () {}
            #[doc(hidden)]
            #[allow(clippy::all, clippy::pedantic)]
            #vis fn __jvp_vec<#(#tys,)* R>(#(_: #tys),*) -> R
            where
                ::differentiate::__private::Callee: __jvp_vec_derivative<R>,
            {
                ::differentiate::__private::stand_in()
            }
        });
    }
    out
}

/// `__vjp_jvp` -> "forward-over-reverse", `__pullback` -> "reverse-mode".
fn describe(entry: &str) -> String {
    let chain = entry.trim_start_matches("__").replace("pullback", "vjp");
    let modes: Vec<&str> = chain
        .split('_')
        .rev()
        .map(|m| if m == "jvp" { "forward" } else { "reverse" })
        .collect();
    if modes.len() == 1 {
        format!("{}-mode", modes[0])
    } else {
        modes.join("-over-")
    }
}
