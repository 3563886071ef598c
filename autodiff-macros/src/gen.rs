//! What both transforms share: names for derivative variables, primal
//! expressions, zeros, and the paths of callees' derivatives.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::activity::Activity;
use crate::ir::*;
use crate::lower::atom_tokens;
use crate::rules::Rules;

thread_local! {
    /// The float type parameter of the function being generated (`F` in
    /// `fn f<F: Real>`), if it is generic: literals must then be written
    /// through `Real` (`0.0` is not an `F`).
    static FLOAT_PARAM: std::cell::RefCell<Option<syn::Ident>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `param` as the generic float type of generated literals.
pub fn with_float_param<R>(param: Option<syn::Ident>, f: impl FnOnce() -> R) -> R {
    let old = FLOAT_PARAM.with(|p| p.replace(param));
    let r = f();
    FLOAT_PARAM.with(|p| *p.borrow_mut() = old);
    r
}

thread_local! {
    /// Set while generating a vector-mode forward derivative (`f_jvp_vec`):
    /// the name of its lane-count parameter (`K`). Tangent types and zeros are
    /// then `Lanes<F, K>` instead of `F`.
    static LANES: std::cell::RefCell<Option<syn::Ident>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` generating vector-mode tangents with `k` lanes (or scalar ones for `None`).
pub fn with_lanes<R>(k: Option<syn::Ident>, f: impl FnOnce() -> R) -> R {
    let old = LANES.with(|l| l.replace(k));
    let r = f();
    LANES.with(|l| *l.borrow_mut() = old);
    r
}

/// The lane-count parameter while generating vector mode.
pub fn lanes() -> Option<syn::Ident> {
    LANES.with(|l| l.borrow().clone())
}

/// A zero tangent of a float: `0.0`, or zero lanes in vector mode.
pub fn tangent_zero_float() -> TokenStream {
    match lanes() {
        None => float_lit("0.0"),
        Some(k) => {
            let rt = rt();
            quote!(#rt::Lanes::<_, #k>::zero())
        }
    }
}

/// `zero_like(&value)`: a zero derivative shaped like `value` (zero lanes in
/// vector mode).
pub fn zero_like_of(value: TokenStream) -> TokenStream {
    let rt = rt();
    match lanes() {
        None => quote!(#rt::zero_like(&#value)),
        Some(k) => quote!(#rt::zero_lanes_like::<_, #k>(&#value)),
    }
}

/// A float literal of the generated code's float type (`text` like `"2.0"`).
pub fn float_lit(text: &str) -> TokenStream {
    let lit: syn::LitFloat = syn::LitFloat::new(text, Span::call_site());
    match FLOAT_PARAM.with(|p| p.borrow().clone()) {
        None => quote!(#lit),
        Some(f) if text == "0.0" => quote!(<#f as ::differentiate::__private::Real>::ZERO),
        Some(f) if text == "1.0" => quote!(<#f as ::differentiate::__private::Real>::ONE),
        Some(f) => quote!(<#f as ::differentiate::__private::Real>::from_f64(#lit)),
    }
}

/// Fresh, readable names that collide with nothing in the source.
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    pub fn new(used: &HashSet<String>, body: &Body) -> Self {
        let mut used = used.clone();
        used.extend(body.vars.iter().map(|v| v.name.clone()));
        Names { used }
    }

    pub fn fresh(&mut self, base: &str) -> syn::Ident {
        let mut name = base.to_string();
        let mut k = 1;
        while self.used.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.used.insert(name.clone());
        syn::Ident::new(&name, Span::call_site())
    }
}

/// Code generation context for one body.
pub struct Gen<'a> {
    pub body: &'a Body,
    pub act: &'a Activity,
    pub names: Names,
    /// `d_<name>` for each variable (only used for active ones).
    pub d: Vec<syn::Ident>,
    /// Variables written after their declaration (declared `mut`).
    pub mutated: HashSet<VarId>,
}

pub fn rt() -> TokenStream {
    quote!(::differentiate::__private)
}

impl<'a> Gen<'a> {
    pub fn new(body: &'a Body, act: &'a Activity, used: &HashSet<String>) -> Self {
        let mut names = Names::new(used, body);
        let d = body
            .vars
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if act.active(i) || v.param.is_some() {
                    names.fresh(&format!("d_{}", v.name))
                } else {
                    format_ident!("d_unused_{}", i)
                }
            })
            .collect();
        let mut mutated = HashSet::new();
        walk_stmts(&body.block, &mut |s| match s {
            Stmt::Assign {
                var, def: false, ..
            }
            | Stmt::IndexAssign { var, .. }
            | Stmt::Push { var, .. }
            | Stmt::Accumulate { var, .. } => {
                mutated.insert(*var);
            }
            Stmt::Let {
                rhs: Some(Rhs::Pop(s)),
                ..
            }
            | Stmt::Assign {
                rhs: Rhs::Pop(s), ..
            }
            | Stmt::Discard(Rhs::Pop(s)) => {
                mutated.insert(*s);
            }
            _ => {}
        });
        Gen {
            body,
            act,
            names,
            d,
            mutated,
        }
    }

    pub fn v(&self, v: VarId) -> syn::Ident {
        syn::Ident::new(&self.body.vars[v].name, self.body.vars[v].span)
    }

    pub fn a(&self, a: &Atom) -> TokenStream {
        atom_tokens(self.body, a)
    }

    /// An atom used as a method receiver: constants are parenthesised.
    pub fn recv(&self, a: &Atom) -> TokenStream {
        match a {
            Atom::Const(e) => quote!((#e)),
            _ => self.a(a),
        }
    }

    /// The derivative of an atom, or `None` for a symbolic zero.
    pub fn da(&self, a: &Atom) -> Option<TokenStream> {
        match a {
            Atom::Var(v) | Atom::Ref(v) if self.act.active(*v) => {
                let d = &self.d[*v];
                Some(quote!(#d))
            }
            _ => None,
        }
    }

    /// A zero derivative shaped like variable `v` (which must be in scope when
    /// its kind does not fix the shape).
    pub fn zero_of(&self, v: VarId) -> TokenStream {
        self.zero_kind(&self.body.vars[v].kind, || {
            self.v(v).into_token_stream_ref()
        })
    }

    pub fn zero_atom(&self, a: &Atom) -> TokenStream {
        match a {
            Atom::Var(v) | Atom::Ref(v) => self.zero_of(*v),
            // A float literal's zero is a float literal: its type is inferred
            // where it is used (`zero_like(&0.0)` would fix it to f64).
            Atom::Const(e) if is_float_literal(e) => tangent_zero_float(),
            Atom::Const(e) => zero_like_of(quote!((#e))),
        }
    }

    pub fn zero_kind(&self, k: &Kind, value: impl FnOnce() -> TokenStream) -> TokenStream {
        match const_zero(k) {
            Some(z) => z,
            // A distinct name, so `fold_zero_inits` can drop a tensor zero
            // whose first use adds a contribution (always a tensor).
            None if *k == Kind::Tensor && lanes().is_none() => {
                let rt = rt();
                let v = value();
                quote!(#rt::zero_tensor_like(&#v))
            }
            None => zero_like_of(value()),
        }
    }

    /// The primal expression of a right-hand side.
    pub fn rhs(&self, rhs: &Rhs) -> TokenStream {
        let rt = rt();
        match rhs {
            Rhs::Atom(a) => self.a(a),
            Rhs::Unary(op, a) => {
                let a = self.a(a);
                match op {
                    UnOp::Neg => quote!(-#a),
                    UnOp::Not => quote!(!#a),
                    UnOp::Deref => quote!(*#a),
                }
            }
            Rhs::Binary(op, a, b) => {
                let (a, b) = (self.a(a), self.a(b));
                let op = bin_tokens(*op);
                quote!(#a #op #b)
            }
            Rhs::Prim {
                rule,
                args,
                int_arg,
            } => {
                let name = format_ident!("{}", Rules::get().rows[*rule].name);
                let recv = self.recv(&args[0]);
                let rest = args[1..].iter().chain(int_arg.iter()).map(|a| self.a(a));
                quote!(#recv.#name(#(#rest),*))
            }
            Rhs::InactiveMethod { recv, method, args } => {
                let recv = self.recv(recv);
                let args = args.iter().map(|a| self.a(a));
                quote!(#recv.#method(#(#args),*))
            }
            Rhs::Call { path, args } | Rhs::NoDiff { path, args } => {
                let args = args.iter().map(|a| self.a(a));
                quote!(#path(#(#args),*))
            }
            Rhs::ZeroLike(a) => {
                let a = self.a(a);
                quote!(#rt::zero_like(&#a))
            }
            Rhs::CastAs(a, b) => {
                let (a, b) = (self.a(a), self.a(b));
                quote!(#rt::cast_as(#a, #b))
            }
            Rhs::Pop(s) => {
                let s = self.v(*s);
                quote!(#rt::pop(&mut #s))
            }
            Rhs::Index(b, idx) => {
                let b = self.v(*b);
                let idx = idx.iter().map(|i| self.a(i));
                quote!(#b #([#idx])*)
            }
            Rhs::Field(a, i @ syn::Member::Unnamed(_)) => {
                let a = self.recv(a);
                quote!(#a.#i)
            }
            // A struct's field is cloned: the struct (often borrowed) stays whole.
            Rhs::Field(a, i) => {
                let a = self.recv(a);
                quote!(#a.#i.clone())
            }
            Rhs::Tuple(xs) => {
                let xs = xs.iter().map(|a| self.a(a));
                quote!((#(#xs,)*))
            }
            Rhs::Array(xs) => {
                let xs = xs.iter().map(|a| self.a(a));
                quote!([#(#xs),*])
            }
            Rhs::VecLit(xs) => {
                let xs = xs.iter().map(|a| self.a(a));
                quote!(vec![#(#xs),*])
            }
            Rhs::Repeat { elem, len, vec } => {
                let e = self.a(elem);
                if *vec {
                    quote!(vec![#e; #len])
                } else {
                    quote!([#e; #len])
                }
            }
            Rhs::VecNew(None) => quote!(::std::vec::Vec::new()),
            Rhs::VecNew(Some(n)) => {
                let n = self.a(n);
                quote!(::std::vec::Vec::with_capacity(#n))
            }
            Rhs::Cast(a, ty) => {
                let a = self.recv(a);
                quote!(#a as #ty)
            }
            Rhs::Copy(a, None) => {
                let a = self.recv(a);
                quote!(#a.clone())
            }
            Rhs::Copy(a, Some(m)) => {
                let a = self.recv(a);
                quote!(#a.#m())
            }
        }
    }

    /// `mut` if the variable is written after its declaration.
    pub fn mut_kw(&self, v: VarId) -> TokenStream {
        if self.mutated.contains(&v) {
            quote!(mut)
        } else {
            quote!()
        }
    }
}

trait IdentTokens {
    fn into_token_stream_ref(self) -> TokenStream;
}

impl IdentTokens for syn::Ident {
    fn into_token_stream_ref(self) -> TokenStream {
        quote!(#self)
    }
}

/// `target += value` for a derivative of the given kind: `+=` on floats,
/// `add_into` on float buffers (it takes any mix of arrays, slices and vectors),
/// the `Accumulate` trait otherwise.
pub fn accumulate(target: TokenStream, kind: &Kind, value: TokenStream) -> TokenStream {
    let rt = rt();
    match kind {
        Kind::Float => quote!(#target += #value;),
        Kind::Array(e, _) | Kind::Vec(e) | Kind::Slice(e) if **e == Kind::Float => {
            quote!(#rt::add_into(&mut #target, &#value);)
        }
        _ => quote!(#rt::accumulate(&mut #target, #value);),
    }
}

fn is_float_literal(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Lit(l) => matches!(l.lit, syn::Lit::Float(_)),
        syn::Expr::Unary(u) => is_float_literal(&u.expr),
        syn::Expr::Paren(p) => is_float_literal(&p.expr),
        _ => false,
    }
}

/// A zero that needs no value to build, for the kinds that fix their shape.
pub fn const_zero(k: &Kind) -> Option<TokenStream> {
    match k {
        Kind::Float => Some(tangent_zero_float()),
        // An array of integers (a shape) has no derivative at all.
        Kind::Array(e, _) if e.never_active() => Some(quote!(())),
        Kind::Array(e, n) => {
            let z = const_zero(e)?;
            Some(quote!([#z; #n]))
        }
        Kind::Tuple(ks) => {
            let zs = ks.iter().map(const_zero).collect::<Option<Vec<_>>>()?;
            Some(quote!((#(#zs,)*)))
        }
        Kind::Int | Kind::Bool => Some(quote!(())),
        _ => None,
    }
}

pub fn bin_tokens(op: BinOp) -> TokenStream {
    match op {
        BinOp::Add => quote!(+),
        BinOp::Sub => quote!(-),
        BinOp::Mul => quote!(*),
        BinOp::Div => quote!(/),
        BinOp::Rem => quote!(%),
        BinOp::Other(o) => match o {
            OtherOp::Eq => quote!(==),
            OtherOp::Ne => quote!(!=),
            OtherOp::Lt => quote!(<),
            OtherOp::Le => quote!(<=),
            OtherOp::Gt => quote!(>),
            OtherOp::Ge => quote!(>=),
            OtherOp::BitAnd => quote!(&),
            OtherOp::BitOr => quote!(|),
            OtherOp::BitXor => quote!(^),
            OtherOp::Shl => quote!(<<),
            OtherOp::Shr => quote!(>>),
        },
    }
}

/// The path of a callee's derivative entry: `g` -> `g::__jvp`,
/// `g::__vjp` -> `g::__vjp_jvp` (the callee's stack generates the same names).
pub fn derived_path(path: &syn::Path, suffix: &str) -> syn::Path {
    let mut p = path.clone();
    let last_ident = p.segments.last().unwrap().ident.clone();
    let last = last_ident.to_string();
    // The callee's span: a missing derivative is reported at the call, not the attribute.
    let span = last_ident.span();
    if last.starts_with("__") && p.segments.len() >= 2 {
        p.segments.last_mut().unwrap().ident = syn::Ident::new(&format!("{last}_{suffix}"), span);
    } else {
        p.segments.push(syn::PathSegment::from(syn::Ident::new(
            &format!("__{suffix}"),
            span,
        )));
    }
    p
}

/// Sum of terms, or `None` when there are none (a symbolic zero).
pub fn sum(terms: Vec<TokenStream>) -> Option<TokenStream> {
    let mut it = terms.into_iter();
    let first = it.next()?;
    Some(it.fold(first, |acc, t| quote!(#acc + #t)))
}

/// `d * p`, dropping a factor that is the literal `1.0`.
pub fn times(d: &TokenStream, p: &syn::Expr) -> TokenStream {
    let ps = quote!(#p).to_string();
    if ps == "1.0" {
        d.clone()
    } else if needs_parens(p) {
        quote!(#d * (#p))
    } else {
        quote!(#d * #p)
    }
}

fn needs_parens(e: &syn::Expr) -> bool {
    matches!(
        e,
        syn::Expr::Binary(_) | syn::Expr::If(_) | syn::Expr::Unary(_) | syn::Expr::Cast(_)
    )
}

/// Clean-up of a reverse block: an adjoint declared as zero whose first use
/// is `d_v += e;` (or `-=`) becomes `let mut d_v = e;`. The zero was symbolic;
/// the generated code then reads like a hand-written adjoint.
pub fn fold_zero_inits(ts: TokenStream) -> TokenStream {
    let Ok(block) = syn::parse2::<syn::Block>(quote!({ #ts })) else {
        return ts;
    };
    let mut stmts = block.stmts;
    let mut i = 0;
    while i < stmts.len() {
        let name = match &stmts[i] {
            syn::Stmt::Local(l) => match (&l.pat, &l.init) {
                (syn::Pat::Ident(pi), Some(init))
                    if pi.ident.to_string().starts_with("d_") && is_zero_literal(&init.expr) =>
                {
                    Some(pi.ident.clone())
                }
                _ => None,
            },
            _ => None,
        };
        let tensor_zero = match &stmts[i] {
            syn::Stmt::Local(l) => match (&l.pat, &l.init) {
                (syn::Pat::Ident(pi), Some(init))
                    if pi.ident.to_string().starts_with("d_")
                        && is_call_of(&init.expr, "zero_tensor_like") =>
                {
                    Some(pi.ident.clone())
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = tensor_zero {
            // `let mut d_v = zero; accumulate(&mut d_v, e);` -> `let mut d_v = e;`
            let first = (i + 1..stmts.len()).find(|&j| mentions(&stmts[j], &name));
            if let Some(e) = first.and_then(|j| accumulate_on(&stmts[j], &name)) {
                let j = first.unwrap();
                stmts[j] = syn::parse_quote!(let mut #name = #e;);
                stmts.remove(i);
                continue;
            }
        }
        if let Some(name) = name {
            let first = (i + 1..stmts.len()).find(|&j| mentions(&stmts[j], &name));
            if let Some(j) = first {
                if let Some((neg, e)) = compound_on(&stmts[j], &name) {
                    let e = match (neg, &e) {
                        (false, _) => quote!(#e),
                        (
                            true,
                            syn::Expr::Path(_) | syn::Expr::Lit(_) | syn::Expr::MethodCall(_),
                        ) => quote!(-#e),
                        (true, _) => quote!(-(#e)),
                    };
                    stmts[j] = syn::parse_quote!(let mut #name = #e;);
                    stmts.remove(i);
                    continue;
                }
            }
        }
        i += 1;
    }
    quote!(#(#stmts)*)
}

fn is_zero_literal(e: &syn::Expr) -> bool {
    let s = quote!(#e).to_string();
    s == "0.0" || (s.starts_with("[0.0 ;") && !s.contains("zero_like"))
}

fn mentions(s: &syn::Stmt, name: &syn::Ident) -> bool {
    let mut set = HashSet::new();
    crate::lower::collect_idents(quote!(#s), &mut set);
    set.contains(&name.to_string())
}

/// Is `e` a call of a function whose path ends in `name`?
fn is_call_of(e: &syn::Expr, name: &str) -> bool {
    match e {
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
        }
        _ => false,
    }
}

/// `accumulate(&mut name, e);` (e not reading `name`) -> e.
fn accumulate_on(s: &syn::Stmt, name: &syn::Ident) -> Option<syn::Expr> {
    let syn::Stmt::Expr(e @ syn::Expr::Call(c), Some(_)) = s else {
        return None;
    };
    if !is_call_of(e, "accumulate") || c.args.len() != 2 {
        return None;
    }
    let syn::Expr::Reference(r) = &c.args[0] else {
        return None;
    };
    match &*r.expr {
        syn::Expr::Path(p) if r.mutability.is_some() && p.path.is_ident(name) => {}
        _ => return None,
    }
    let value = c.args[1].clone();
    if mentions(&syn::Stmt::Expr(value.clone(), None), name) {
        return None;
    }
    Some(value)
}

/// `name += e;` -> (false, e); `name -= e;` -> (true, e).
fn compound_on(s: &syn::Stmt, name: &syn::Ident) -> Option<(bool, syn::Expr)> {
    let syn::Stmt::Expr(syn::Expr::Binary(b), Some(_)) = s else {
        return None;
    };
    let syn::Expr::Path(p) = &*b.left else {
        return None;
    };
    if !p.path.is_ident(name) || mentions(&syn::Stmt::Expr((*b.right).clone(), None), name) {
        return None;
    }
    match b.op {
        syn::BinOp::AddAssign(_) => Some((false, (*b.right).clone())),
        syn::BinOp::SubAssign(_) => Some((true, (*b.right).clone())),
        _ => None,
    }
}
