//! Forward mode: one sweep computing each active value and its tangent.
//!
//! The body keeps its control flow exactly (branches, loops, `break`,
//! `return`); after each statement that defines an active variable comes the
//! statement defining its tangent `d_<name>`. Inactive values carry nothing.
//!
//! Vector mode (`f_jvp_vec`, see `crate::gen::lanes`) is this same code with
//! tangents of type `Lanes<F, K>`: a tangent is always the left operand of a
//! product with a primal (`d * x`, never `x * d`: Rust has no generic
//! `F * Lanes<F, K>`), which in scalar mode is the same number.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::gen::{derived_path, rt, sum, times, Gen};
use crate::ir::*;
use crate::rules::Rules;

pub struct Forward<'g, 'a> {
    pub g: &'g mut Gen<'a>,
    /// Loops that need a label (targets of `break`/`continue` from inner loops).
    labels: Vec<Option<syn::Lifetime>>,
    loop_stack: Vec<LoopId>,
    /// The output's zero tangent when its type has a constant one (for an
    /// inactive output).
    pub out_zero: Option<TokenStream>,
    /// `u -> v` for each float `u` defined once as `c * v`, `v * c` or `v / c`
    /// (`c` inactive), with neither `u` nor `v` written afterwards: `u * v` then has
    /// the tangent `2 u dv`, as `v * v` has `2 v dv`.
    scaled: HashMap<VarId, VarId>,
}

impl<'g, 'a> Forward<'g, 'a> {
    pub fn new(g: &'g mut Gen<'a>, out_zero: Option<TokenStream>) -> Self {
        let labels = loop_labels(g.body);
        let scaled = scaled_vars(g);
        Forward {
            g,
            labels,
            loop_stack: Vec::new(),
            out_zero,
            scaled,
        }
    }

    pub fn body(&mut self) -> TokenStream {
        let stmts = self.block(&self.g.body.block.clone());
        let (pre, ret) = self.value_and_tangent(&self.g.body.result.clone());
        quote! {
            #stmts
            #pre
            #ret
        }
    }

    /// `(value, tangent)` of a returned atom, after the statements it needs.
    /// An inactive output of a type without a constant zero gets
    /// `zero_like(&value)`, bound before the value moves into the pair.
    fn value_and_tangent(&mut self, a: &Atom) -> (TokenStream, TokenStream) {
        let v = self.g.a(a);
        if let Some(d) = self.g.da(a) {
            return (quote!(), quote!((#v, #d)));
        }
        let zero = match a.var() {
            Some(x) => crate::gen::const_zero(&self.g.body.vars[x].kind),
            None => None,
        };
        match zero.or_else(|| self.out_zero.clone()) {
            Some(z) => (quote!(), quote!((#v, #z))),
            None => {
                let d = self.g.names.fresh("d_value");
                let z = crate::gen::zero_like_of(quote!(#v));
                (quote!(let #d = #z;), quote!((#v, #d)))
            }
        }
    }

    fn block(&mut self, b: &Block) -> TokenStream {
        let stmts: Vec<TokenStream> = b.stmts.iter().map(|s| self.stmt(s)).collect();
        quote!(#(#stmts)*)
    }

    /// The tangent of `rhs` assigned to `out`, or `None` for a symbolic zero.
    fn tangent(&self, rhs: &Rhs, out: &TokenStream) -> Option<TokenStream> {
        let g = &*self.g;
        let rt = rt();
        let lanes = crate::gen::lanes().is_some();
        match rhs {
            Rhs::Atom(a) => g.da(a),
            // A copy owns its value, so its tangent is owned too (a slice
            // tangent `&[F]` becomes a `Vec<F>`).
            Rhs::Copy(a, None) => match a.var().map(|v| &g.body.vars[v].kind) {
                Some(Kind::Float) | None => g.da(a),
                Some(_) => g.da(a).map(|d| quote!(#d.to_owned())),
            },
            Rhs::Copy(a, Some(m)) => g.da(a).map(|d| quote!(#d.#m())),
            Rhs::Unary(UnOp::Neg, a) => g.da(a).map(|d| quote!(-#d)),
            Rhs::Unary(UnOp::Deref, a) => g.da(a),
            Rhs::Unary(UnOp::Not, _) => None,
            Rhs::Binary(op, a, b) => {
                let (da, db) = (g.da(a), g.da(b));
                let (av, bv) = (g.a(a), g.a(b));
                match op {
                    BinOp::Add => match (da, db) {
                        (Some(x), Some(y)) => Some(quote!(#x + #y)),
                        (x, y) => x.or(y),
                    },
                    BinOp::Sub => match (da, db) {
                        (Some(x), Some(y)) => Some(quote!(#x - #y)),
                        (Some(x), None) => Some(x),
                        (None, Some(y)) => Some(quote!(-#y)),
                        (None, None) => None,
                    },
                    // `v * v`: `d v + v d` computed exactly as `d v 2`.
                    BinOp::Mul if a.var().is_some() && a.var() == b.var() => da.map(|x| {
                        let two = crate::gen::float_lit("2.0");
                        quote!(#x * #av * #two)
                    }),
                    // `u * v` with `u = c v` (`100.0 * b * b`): `du v + u dv` is
                    // `2 u dv`, one product instead of three.
                    BinOp::Mul if self.scales(a, b) || self.scales(b, a) => {
                        let (u, dv) = if self.scales(a, b) {
                            (av, db)
                        } else {
                            (bv, da)
                        };
                        let two = crate::gen::float_lit("2.0");
                        dv.map(|d| quote!(#d * #u * #two))
                    }
                    BinOp::Mul if lanes => {
                        sum([da.map(|x| quote!(#x * #bv)), db.map(|y| quote!(#y * #av))]
                            .into_iter()
                            .flatten()
                            .collect())
                    }
                    BinOp::Mul => sum([da.map(|x| quote!(#x * #bv)), db.map(|y| quote!(#av * #y))]
                        .into_iter()
                        .flatten()
                        .collect()),
                    BinOp::Div if lanes => match (da, db) {
                        (Some(x), None) => Some(quote!(#x / #bv)),
                        (Some(x), Some(y)) => Some(quote!((#x - #y * #out) / #bv)),
                        (None, Some(y)) => Some(quote!(-(#y * #out) / #bv)),
                        (None, None) => None,
                    },
                    BinOp::Div => match (da, db) {
                        (Some(x), None) => Some(quote!(#x / #bv)),
                        (Some(x), Some(y)) => Some(quote!((#x - #out * #y) / #bv)),
                        (None, Some(y)) => Some(quote!(-(#out * #y) / #bv)),
                        (None, None) => None,
                    },
                    // d(a % b) = da - trunc(a / b) db
                    BinOp::Rem if lanes => match (da, db) {
                        (Some(x), Some(y)) => Some(quote!(#x - #y * (#av / #bv).trunc())),
                        (None, Some(y)) => Some(quote!(-(#y * (#av / #bv).trunc()))),
                        (x, None) => x,
                    },
                    BinOp::Rem => match (da, db) {
                        (x, Some(y)) => {
                            let x = x.unwrap_or_else(|| crate::gen::float_lit("0.0"));
                            Some(quote!(#x - (#av / #bv).trunc() * #y))
                        }
                        (x, None) => x,
                    },
                    BinOp::Other(_) => None,
                }
            }
            Rhs::Prim {
                rule,
                args,
                int_arg,
            } => {
                let row = &Rules::get().rows[*rule];
                if row.zero {
                    return None;
                }
                let arg_ts: Vec<TokenStream> = args.iter().map(|a| g.a(a)).collect();
                let int_ts = int_arg.as_ref().map(|a| g.a(a));
                let terms = args
                    .iter()
                    .enumerate()
                    .filter_map(|(k, a)| {
                        let d = g.da(a)?;
                        let p = row.partial(k, &arg_ts, int_ts.as_ref(), out);
                        Some(times(&d, &p))
                    })
                    .collect();
                sum(terms)
            }
            Rhs::CastAs(a, like) => {
                let like = g.a(like);
                if lanes {
                    g.da(a).map(|d| quote!(#rt::cast_lanes_as(#d, #like)))
                } else {
                    g.da(a).map(|d| quote!(#rt::cast_as(#d, #like)))
                }
            }
            Rhs::Cast(a, ty) if lanes => g.da(a).map(|d| quote!(#d.cast::<#ty>())),
            Rhs::Cast(a, ty) => g.da(a).map(|d| quote!(#d as #ty)),
            Rhs::Pop(s) => {
                if g.act.active(*s) {
                    let d = &g.d[*s];
                    Some(quote!(#rt::pop(&mut #d)))
                } else {
                    None
                }
            }
            Rhs::Index(b, idx) => {
                if g.act.active(*b) {
                    let d = &g.d[*b];
                    let idx = idx.iter().map(|i| g.a(i));
                    Some(quote!(#d #([#idx])*))
                } else {
                    None
                }
            }
            Rhs::Field(a, i @ syn::Member::Unnamed(_)) => g.da(a).map(|d| quote!(#d.#i)),
            // A struct's field is cloned out of the (borrowed) tangent struct.
            Rhs::Field(a, i) => g.da(a).map(|d| quote!(#d.#i.clone())),
            Rhs::Tuple(xs) => {
                if xs.iter().all(|a| g.da(a).is_none()) {
                    return None;
                }
                let ts = xs.iter().map(|a| g.da(a).unwrap_or_else(|| g.zero_atom(a)));
                Some(quote!((#(#ts,)*)))
            }
            Rhs::Array(xs) | Rhs::VecLit(xs) => {
                if xs.iter().all(|a| g.da(a).is_none()) {
                    return None;
                }
                let ts = xs.iter().map(|a| g.da(a).unwrap_or_else(|| g.zero_atom(a)));
                if matches!(rhs, Rhs::VecLit(_)) {
                    Some(quote!(vec![#(#ts),*]))
                } else {
                    Some(quote!([#(#ts),*]))
                }
            }
            Rhs::Repeat { elem, len, vec } => {
                let d = g.da(elem)?;
                if *vec {
                    Some(quote!(vec![#d; #len]))
                } else {
                    Some(quote!([#d; #len]))
                }
            }
            Rhs::VecNew(_)
            | Rhs::InactiveMethod { .. }
            | Rhs::NoDiff { .. }
            | Rhs::ZeroLike(_)
            | Rhs::Call { .. } => None,
        }
    }

    /// Is `u` a constant multiple of `v` (see `scaled`)?
    fn scales(&self, u: &Atom, v: &Atom) -> bool {
        match (u, v) {
            (Atom::Var(u), Atom::Var(v)) => self.scaled.get(u) == Some(v),
            _ => false,
        }
    }

    /// The zero tangent for a variable that becomes active later but is
    /// defined here from inactive values (`let mut s = 0.0;`).
    fn zero_init(&self, var: VarId, rhs: &Rhs) -> TokenStream {
        let g = &*self.g;
        match rhs {
            Rhs::Repeat { elem, len, vec } => {
                let z = match crate::gen::const_zero(&g.body.vars[var].kind.element()) {
                    Some(z) => z,
                    None => crate::gen::zero_like_of(g.a(elem)),
                };
                if *vec {
                    quote!(vec![#z; #len])
                } else {
                    quote!([#z; #len])
                }
            }
            Rhs::VecNew(None) => quote!(::std::vec::Vec::new()),
            Rhs::VecNew(Some(n)) => {
                let n = g.a(n);
                quote!(::std::vec::Vec::with_capacity(#n))
            }
            _ => g.zero_of(var),
        }
    }

    /// `pop(&mut d_s);` when `rhs` pops an active stack into an inactive value.
    fn pop_sync(&self, rhs: &Rhs) -> TokenStream {
        match rhs {
            Rhs::Pop(s) if self.g.act.active(*s) => {
                let d = &self.g.d[*s];
                let rt = rt();
                quote!(#rt::pop(&mut #d);)
            }
            _ => quote!(),
        }
    }

    /// `let (v, d_v) = g::__jvp(args.., &d_args..);` (`g::__jvp_vec` in vector mode).
    fn call(&self, path: &syn::Path, args: &[Atom]) -> TokenStream {
        let g = &*self.g;
        let suffix = if crate::gen::lanes().is_some() {
            "jvp_vec"
        } else {
            "jvp"
        };
        let jvp = derived_path(path, suffix);
        let primals = args.iter().map(|a| g.a(a));
        let tangents = args.iter().map(|a| match g.da(a) {
            Some(d) => quote!(&#d),
            None => g.zero_atom(a).pipe_ref(),
        });
        quote!(#jvp(#(#primals,)* #(#tangents),*))
    }

    fn stmt(&mut self, s: &Stmt) -> TokenStream {
        match s {
            Stmt::Let { var, rhs: None } => {
                let v = self.g.v(*var);
                if self.g.act.active(*var) {
                    let d = &self.g.d[*var];
                    quote!(let #v; let #d;)
                } else {
                    quote!(let #v;)
                }
            }
            Stmt::Let {
                var,
                rhs: Some(rhs),
            } => {
                let v = self.g.v(*var);
                let m = self.g.mut_kw(*var);
                let d = self.g.d[*var].clone();
                if let Rhs::Call { path, args } = rhs {
                    if self.g.act.active(*var) {
                        let call = self.call(path, args);
                        return quote!(let (#m #v, #m #d) = #call;);
                    }
                }
                let primal = self.g.rhs(rhs);
                if !self.g.act.active(*var) {
                    // A pop from an active stack pops its tangent too, used or
                    // not, so the two stacks stay in step.
                    let sync = self.pop_sync(rhs);
                    return quote!(let #m #v = #primal; #sync);
                }
                let t = match self.tangent(rhs, &quote!(#v)) {
                    Some(t) => t,
                    None => self.zero_init(*var, rhs),
                };
                // An aggregate's primal moves its parts, which its tangent may
                // still borrow (zeros shaped like them): the tangent goes first.
                if matches!(rhs, Rhs::Tuple(_) | Rhs::Array(_) | Rhs::VecLit(_)) {
                    return quote! {
                        let #m #d = #t;
                        let #m #v = #primal;
                    };
                }
                quote! {
                    let #m #v = #primal;
                    let #m #d = #t;
                }
            }
            Stmt::Assign { var, rhs, def } => {
                let v = self.g.v(*var);
                let primal = self.g.rhs(rhs);
                if !self.g.act.active(*var) {
                    let sync = self.pop_sync(rhs);
                    return quote!(#v = #primal; #sync);
                }
                let d = self.g.d[*var].clone();
                if let Rhs::Call { path, args } = rhs {
                    let call = self.call(path, args);
                    let nv = self.g.names.fresh(&format!("{v}_new"));
                    let nd = self.g.names.fresh(&format!("{d}_new"));
                    return quote! {
                        let (#nv, #nd) = #call;
                        #v = #nv;
                        #d = #nd;
                    };
                }
                let reads_self = rhs.reads().contains(var);
                if *def || !reads_self {
                    let t = self
                        .tangent(rhs, &quote!(#v))
                        .unwrap_or_else(|| self.zero_init(*var, rhs));
                    quote! {
                        #v = #primal;
                        #d = #t;
                    }
                } else {
                    // The tangent reads the old value: compute both before writing.
                    let nv = self.g.names.fresh(&format!("{v}_new"));
                    let t = self
                        .tangent(rhs, &quote!(#nv))
                        .unwrap_or_else(|| self.zero_init(*var, rhs));
                    quote! {
                        let #nv = #primal;
                        #d = #t;
                        #v = #nv;
                    }
                }
            }
            Stmt::IndexAssign { var, index, value } => {
                let v = self.g.v(*var);
                let idx: Vec<TokenStream> = index.iter().map(|i| self.g.a(i)).collect();
                let val = self.g.a(value);
                let primal = quote!(#v #([#idx])* = #val;);
                if !self.g.act.active(*var) {
                    return primal;
                }
                let d = &self.g.d[*var];
                let dv = self.g.da(value).unwrap_or_else(|| self.g.zero_atom(value));
                quote! {
                    #primal
                    #d #([#idx])* = #dv;
                }
            }
            Stmt::Push { var, value } => {
                let v = self.g.v(*var);
                let val = self.g.a(value);
                if !self.g.act.active(*var) {
                    return quote!(#v.push(#val););
                }
                let d = &self.g.d[*var];
                let dv = self.g.da(value).unwrap_or_else(|| self.g.zero_atom(value));
                quote! {
                    #v.push(#val);
                    #d.push(#dv);
                }
            }
            Stmt::Accumulate { var, value } => {
                let v = self.g.v(*var);
                let val = self.g.a(value);
                let primal = crate::gen::accumulate(quote!(#v), &self.g.body.vars[*var].kind, val);
                if !self.g.act.active(*var) {
                    return primal;
                }
                match self.g.da(value) {
                    Some(dv) => {
                        let d = &self.g.d[*var];
                        let acc =
                            crate::gen::accumulate(quote!(#d), &self.g.body.vars[*var].kind, dv);
                        quote!(#primal #acc)
                    }
                    None => primal,
                }
            }
            Stmt::Discard(rhs) => {
                let p = self.g.rhs(rhs);
                quote!(#p;)
            }
            Stmt::If { cond, then, els } => {
                let c = self.g.a(cond);
                let t = self.block(then);
                if els.stmts.is_empty() {
                    quote!(if #c { #t })
                } else {
                    let e = self.block(els);
                    quote!(if #c { #t } else { #e })
                }
            }
            Stmt::Match { scrut, arms, .. } => {
                let sc = self.g.a(scrut);
                let arms = arms.iter().map(|arm| {
                    let pat = &arm.pat;
                    let b = self.block(&arm.body);
                    quote!(#pat => { #b })
                });
                let arms: Vec<_> = arms.collect();
                quote!(match #sc { #(#arms)* })
            }
            Stmt::Loop(l) => {
                self.loop_stack.push(l.id);
                let body = self.block(&l.body);
                self.loop_stack.pop();
                let label = self.labels[l.id].as_ref().map(|l| quote!(#l:));
                match &l.kind {
                    LoopKind::Range {
                        var,
                        lo,
                        hi,
                        inclusive,
                    } => {
                        let v = self.g.v(*var);
                        let (lo, hi) = (self.g.a(lo), self.g.a(hi));
                        if *inclusive {
                            quote!(#label for #v in #lo..=#hi { #body })
                        } else {
                            quote!(#label for #v in #lo..#hi { #body })
                        }
                    }
                    LoopKind::Iter { pat, iter, .. } => quote!(#label for #pat in #iter { #body }),
                    LoopKind::While { cond_stmts, cond } => {
                        let c = self.g.a(cond);
                        if cond_stmts.stmts.is_empty() {
                            quote!(#label while #c { #body })
                        } else {
                            self.loop_stack.push(l.id);
                            let cs = self.block(cond_stmts);
                            self.loop_stack.pop();
                            quote!(#label loop { #cs if !#c { break; } #body })
                        }
                    }
                    LoopKind::Loop => quote!(#label loop { #body }),
                }
            }
            Stmt::Break(id) => {
                let l = self.jump_label(*id);
                quote!(break #l;)
            }
            Stmt::Continue(id) => {
                let l = self.jump_label(*id);
                quote!(continue #l;)
            }
            Stmt::Return(a) => {
                let (pre, ret) = self.value_and_tangent(a);
                if pre.is_empty() {
                    quote!(return #ret;)
                } else {
                    quote!({ #pre return #ret; })
                }
            }
            Stmt::Inactive(ts) => ts.clone(),
            Stmt::Bind(_) => quote!(),
        }
    }

    fn jump_label(&self, id: LoopId) -> Option<syn::Lifetime> {
        if self.loop_stack.last() == Some(&id) {
            None
        } else {
            self.labels[id].clone()
        }
    }
}

trait PipeRef {
    fn pipe_ref(self) -> TokenStream;
}

impl PipeRef for TokenStream {
    fn pipe_ref(self) -> TokenStream {
        quote!(&#self)
    }
}

/// The `scaled` map of [`Forward`]: floats `u` defined by one `let u = c * v`
/// (or `v * c`, `v / c`) with `c` inactive and `v` active, where neither `u`
/// nor `v` is ever assigned again, so `u = c v` and `du = c dv` hold wherever
/// both are in scope.
fn scaled_vars(g: &Gen) -> HashMap<VarId, VarId> {
    let body = g.body;
    let mut lets: HashMap<VarId, usize> = HashMap::new();
    let mut written: HashSet<VarId> = g.mutated.clone();
    walk_stmts(&body.block, &mut |s| match s {
        Stmt::Let { var, .. } => *lets.entry(*var).or_default() += 1,
        Stmt::Assign { var, .. } => {
            written.insert(*var);
        }
        Stmt::Bind(vs) => written.extend(vs.iter().copied()),
        _ => {}
    });
    let float = |v: VarId| body.vars[v].kind == Kind::Float;
    let inactive = |a: &Atom| a.var().is_none_or(|c| !g.act.active(c));
    let mut scaled = HashMap::new();
    walk_stmts(&body.block, &mut |s| {
        let Stmt::Let {
            var: u,
            rhs: Some(Rhs::Binary(op, a, b)),
        } = s
        else {
            return;
        };
        let v = match (op, a, b) {
            (BinOp::Mul, c, Atom::Var(v)) | (BinOp::Mul | BinOp::Div, Atom::Var(v), c)
                if inactive(c) =>
            {
                *v
            }
            _ => return,
        };
        if lets.get(u) == Some(&1)
            && !written.contains(u)
            && !written.contains(&v)
            && float(*u)
            && float(v)
            && g.act.active(v)
        {
            scaled.insert(*u, v);
        }
    });
    scaled
}

/// Labels for loops: the source's own, or a made-up one where an inner loop
/// jumps to an outer one.
pub fn loop_labels(body: &Body) -> Vec<Option<syn::Lifetime>> {
    let mut labels: Vec<Option<syn::Lifetime>> = vec![None; body.loops];
    fn visit(
        b: &Block,
        stack: &mut Vec<LoopId>,
        labels: &mut Vec<Option<syn::Lifetime>>,
        need: &mut Vec<bool>,
    ) {
        for s in &b.stmts {
            match s {
                Stmt::Loop(l) => {
                    if let Some(lt) = &l.label {
                        labels[l.id] = Some(lt.clone());
                    }
                    stack.push(l.id);
                    if let LoopKind::While { cond_stmts, .. } = &l.kind {
                        visit(cond_stmts, stack, labels, need);
                    }
                    visit(&l.body, stack, labels, need);
                    stack.pop();
                }
                Stmt::Break(id) | Stmt::Continue(id) if stack.last() != Some(id) => {
                    need[*id] = true;
                }
                Stmt::If { then, els, .. } => {
                    visit(then, stack, labels, need);
                    visit(els, stack, labels, need);
                }
                Stmt::Match { arms, .. } => {
                    for a in arms {
                        visit(&a.body, stack, labels, need);
                    }
                }
                _ => {}
            }
        }
    }
    let mut need = vec![false; body.loops];
    visit(&body.block, &mut Vec::new(), &mut labels, &mut need);
    for (id, n) in need.iter().enumerate() {
        if *n && labels[id].is_none() {
            labels[id] = Some(syn::Lifetime::new(
                &format!("'loop{id}"),
                proc_macro2::Span::call_site(),
            ));
        }
    }
    labels
}
