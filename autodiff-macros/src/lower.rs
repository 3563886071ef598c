//! Fence and lowering: source syntax to the A-normal form of [`crate::ir`].
//!
//! The fence and the lowering are one walk: every construct the engine cannot
//! differentiate is reported here, at the smallest span that names it, with what
//! to do instead. Lowering never stops at the first error; it records it, puts a
//! placeholder in, and goes on, so one compile reports every mistake.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Expr, Pat};

use crate::ir::*;
use crate::rules::Rules;
use crate::types::DType;

/// A parameter of the function being differentiated.
#[derive(Clone)]
pub struct Param {
    pub ident: syn::Ident,
    pub mutable: bool,
    pub ty: syn::Type,
    pub dtype: DType,
    pub var: VarId,
}

/// Macros whose expansion is inactive: passed through untouched.
const INACTIVE_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "dbg",
];

/// Float methods that exist on `f64` but have no row in the rule table.
const FLOAT_METHODS_WITHOUT_RULES: &[&str] = &[
    "rem_euclid",
    "div_euclid",
    "copysign",
    "log",
    "sin_cos",
    "round_ties_even",
    "next_up",
    "next_down",
];

/// Methods whose result never carries a derivative.
const INACTIVE_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_sign_negative",
    "is_sign_positive",
    "is_normal",
    "to_bits",
    "total_cmp",
    "shape",
    "ndim",
];

pub struct Lowerer<'a> {
    pub body: Body,
    scopes: Vec<HashMap<String, VarId>>,
    loops: Vec<(LoopId, Option<String>)>,
    pub errors: &'a mut Vec<syn::Error>,
    used_names: HashSet<String>,
    float_generics: Vec<String>,
    temps: usize,
    /// Names of functions this body calls (to detect recursion).
    pub callees: Vec<syn::Path>,
    /// Variables bound to an expression already reported as an error.
    rejected: HashSet<VarId>,
    /// `let v;` variables: every assignment defines them.
    deferred: HashSet<VarId>,
    /// The signature has no `-> T` (reported by the signature check).
    pub no_return_type: bool,
    /// Element reads already bound within the current source statement
    /// (`x[i] * x[i]` reads `x[i]` once). Cleared at every statement and block.
    reads: HashMap<String, VarId>,
}

fn err(errors: &mut Vec<syn::Error>, span: Span, msg: impl std::fmt::Display) {
    errors.push(syn::Error::new(span, msg));
}

/// An error covering every token of `node` (a plain span is only its first token on stable).
fn err_at(errors: &mut Vec<syn::Error>, node: impl ToTokens, msg: impl std::fmt::Display) {
    errors.push(syn::Error::new_spanned(node, msg));
}

fn zero_atom() -> Atom {
    Atom::Const(syn::parse_quote!(0.0))
}

/// Every identifier in a token stream (to keep generated names clear of them).
pub fn collect_idents(ts: TokenStream, out: &mut HashSet<String>) {
    for tt in ts {
        match tt {
            TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

impl<'a> Lowerer<'a> {
    pub fn new(
        errors: &'a mut Vec<syn::Error>,
        item: &syn::ItemFn,
        float_generics: Vec<String>,
    ) -> Self {
        let mut used_names = HashSet::new();
        collect_idents(item.to_token_stream(), &mut used_names);
        Lowerer {
            body: Body {
                vars: Vec::new(),
                block: Block::default(),
                result: zero_atom(),
                loops: 0,
            },
            scopes: vec![HashMap::new()],
            loops: Vec::new(),
            errors,
            used_names,
            float_generics,
            temps: 0,
            callees: Vec::new(),
            rejected: HashSet::new(),
            deferred: HashSet::new(),
            no_return_type: matches!(item.sig.output, syn::ReturnType::Default),
            reads: HashMap::new(),
        }
    }

    /// All names the source uses plus every variable name chosen so far.
    pub fn used_names(&self) -> &HashSet<String> {
        &self.used_names
    }

    fn unique(&mut self, base: &str) -> String {
        let base = base.trim_start_matches("r#");
        if !self.used_names_contains_var(base) {
            self.used_names.insert(base.to_string());
            return base.to_string();
        }
        for k in 1.. {
            let cand = format!("{base}_{k}");
            if !self.used_names.contains(&cand) {
                self.used_names.insert(cand.clone());
                return cand;
            }
        }
        unreachable!()
    }

    /// A user name can be reused verbatim the first time it is declared.
    fn used_names_contains_var(&self, base: &str) -> bool {
        self.body.vars.iter().any(|v| v.name == base)
    }

    fn declare(&mut self, ident: &syn::Ident, kind: Kind) -> VarId {
        let name = self.unique(&ident.to_string());
        let v = self.body.new_var(name, kind);
        // The source's span: inside a `macro_rules!` expansion, hygiene
        // resolves a name only with the context it was written in.
        self.body.vars[v].span = ident.span();
        self.scopes.last_mut().unwrap().insert(ident.to_string(), v);
        v
    }

    fn temp(&mut self, base: &str, kind: Kind) -> VarId {
        self.temps += 1;
        let mut name = format!("{base}{}", self.temps);
        while self.used_names.contains(&name) {
            self.temps += 1;
            name = format!("{base}{}", self.temps);
        }
        self.used_names.insert(name.clone());
        self.body.new_var(name, kind)
    }

    fn lookup(&self, name: &str) -> Option<VarId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    pub fn add_param(
        &mut self,
        ident: &syn::Ident,
        ty: &syn::Type,
        mutable: bool,
        index: usize,
    ) -> Param {
        let dtype = DType::of(ty, &self.float_generics);
        let v = self.declare(ident, dtype.kind());
        self.body.vars[v].param = Some(index);
        Param {
            ident: ident.clone(),
            mutable,
            ty: ty.clone(),
            dtype,
            var: v,
        }
    }

    fn kind_of_atom(&self, a: &Atom) -> Kind {
        match a {
            Atom::Var(v) | Atom::Ref(v) => self.body.vars[*v].kind.clone(),
            Atom::Const(Expr::Lit(l)) => match &l.lit {
                syn::Lit::Float(_) => Kind::Float,
                syn::Lit::Int(i) if i.suffix().starts_with('f') => Kind::Float,
                syn::Lit::Int(_) => Kind::Int,
                syn::Lit::Bool(_) => Kind::Bool,
                _ => Kind::Unknown,
            },
            Atom::Const(Expr::Unary(u)) => self.kind_of_atom(&Atom::Const((*u.expr).clone())),
            Atom::Const(_) => Kind::Unknown,
        }
    }

    fn kind_of_rhs(&self, rhs: &Rhs) -> Kind {
        match rhs {
            Rhs::Atom(a) | Rhs::Copy(a, _) => self.kind_of_atom(a),
            Rhs::Unary(UnOp::Not, a) => match self.kind_of_atom(a) {
                Kind::Int => Kind::Int,
                _ => Kind::Bool,
            },
            Rhs::Unary(_, a) => self.kind_of_atom(a),
            Rhs::Binary(BinOp::Other(op), a, _) => match op {
                OtherOp::BitAnd
                | OtherOp::BitOr
                | OtherOp::BitXor
                | OtherOp::Shl
                | OtherOp::Shr => match self.kind_of_atom(a) {
                    Kind::Bool => Kind::Bool,
                    _ => Kind::Int,
                },
                _ => Kind::Bool,
            },
            Rhs::Binary(_, a, b) => {
                let (ka, kb) = (self.kind_of_atom(a), self.kind_of_atom(b));
                if ka == Kind::Float || kb == Kind::Float {
                    Kind::Float
                } else if ka == Kind::Int && kb == Kind::Int {
                    Kind::Int
                } else if ka == Kind::Unknown {
                    kb
                } else {
                    ka
                }
            }
            Rhs::Prim { .. } | Rhs::CastAs(..) => Kind::Float,
            Rhs::InactiveMethod { method, .. } => {
                if method == "len" || method == "to_bits" {
                    Kind::Int
                } else {
                    Kind::Bool
                }
            }
            Rhs::Call { path, .. } => match tensor_op_result(path) {
                Some(k) => k,
                None => Kind::Unknown,
            },
            Rhs::NoDiff { path, .. } if is_tensor_path(path) => Kind::Tensor,
            // The runtime's shape helpers: integers, never active.
            Rhs::NoDiff { path, .. }
                if path.segments.last().is_some_and(|s| {
                    matches!(
                        s.ident.to_string().as_str(),
                        "axis_len"
                            | "last_len"
                            | "last_axis"
                            | "left_shape"
                            | "right_shape"
                            | "out_shape"
                    )
                }) =>
            {
                Kind::Int
            }
            Rhs::NoDiff { .. } | Rhs::ZeroLike(_) => Kind::Unknown,
            Rhs::Pop(s) => self.body.vars[*s].kind.element(),
            Rhs::Index(b, idx) => {
                let mut k = self.body.vars[*b].kind.clone();
                for _ in idx {
                    k = k.element();
                }
                k
            }
            Rhs::Field(a, syn::Member::Unnamed(i)) => match self.kind_of_atom(a) {
                Kind::Tuple(ks) => ks.get(i.index as usize).cloned().unwrap_or(Kind::Unknown),
                _ => Kind::Unknown,
            },
            Rhs::Field(_, syn::Member::Named(_)) => Kind::Unknown,
            Rhs::Tuple(xs) => Kind::Tuple(xs.iter().map(|a| self.kind_of_atom(a)).collect()),
            Rhs::Array(xs) => {
                let n = xs.len();
                Kind::Array(Box::new(self.elements_kind(xs)), syn::parse_quote!(#n))
            }
            Rhs::VecLit(xs) => Kind::Vec(Box::new(self.elements_kind(xs))),
            Rhs::Repeat { elem, len, vec } => {
                let k = Box::new(self.kind_of_atom(elem));
                if *vec {
                    Kind::Vec(k)
                } else {
                    Kind::Array(k, len.clone())
                }
            }
            Rhs::VecNew(_) => Kind::Vec(Box::new(Kind::Unknown)),
            Rhs::Cast(_, ty) => match DType::of(ty, &self.float_generics) {
                DType::Float(_) => Kind::Float,
                DType::Inactive => Kind::Int,
                _ => Kind::Unknown,
            },
        }
    }

    /// The kind of a literal's elements: a float element makes them floats,
    /// whichever comes first.
    fn elements_kind(&self, xs: &[Atom]) -> Kind {
        if xs.iter().any(|a| self.kind_of_atom(a) == Kind::Float) {
            return Kind::Float;
        }
        xs.first()
            .map(|a| self.kind_of_atom(a))
            .unwrap_or(Kind::Float)
    }

    /// `let tmp = rhs;` unless the right-hand side is already an atom.
    fn bind(&mut self, rhs: Rhs, out: &mut Block) -> Atom {
        if let Rhs::Atom(a) = rhs {
            return a;
        }
        let key = match &rhs {
            Rhs::Index(b, idx) => {
                let idx: Vec<String> = idx
                    .iter()
                    .map(|a| atom_tokens(&self.body, a).to_string())
                    .collect();
                Some(format!("{b}[{}]", idx.join("][")))
            }
            _ => None,
        };
        if let Some(v) = key.as_ref().and_then(|k| self.reads.get(k)) {
            return Atom::Var(*v);
        }
        let base = match &rhs {
            Rhs::Prim { rule, .. } => Rules::get().rows[*rule].name.clone() + "_",
            Rhs::Index(b, _) => self.body.vars[*b].name.clone() + "_i",
            Rhs::Call { path, .. } => path.segments.last().unwrap().ident.to_string() + "_",
            _ => "t".to_string(),
        };
        let kind = self.kind_of_rhs(&rhs);
        let v = self.temp(&base, kind);
        out.stmts.push(Stmt::Let {
            var: v,
            rhs: Some(rhs),
        });
        if let Some(k) = key {
            self.reads.insert(k, v);
        }
        Atom::Var(v)
    }

    /// Lowers a whole function body; the tail is the returned value.
    pub fn lower_body(&mut self, block: &syn::Block, ret_span: Span) {
        let mut out = Block::default();
        let result = self.block_stmts(&block.stmts, &mut out, true);
        self.body.result = match result {
            Some(a) => a,
            None => {
                // A body ending in `return x;` has no tail: fine, the returns carry it.
                let ends_in_return = matches!(
                    block.stmts.last(),
                    Some(syn::Stmt::Expr(Expr::Return(_), _))
                );
                if !ends_in_return && !self.no_return_type {
                    err(
                        self.errors,
                        ret_span,
                        "a differentiated function must end with the value it returns",
                    );
                }
                zero_atom()
            }
        };
        check_checkpoints(&out, true, self.errors);
        self.body.block = out;
        self.body.loops = self.loops.len().max(self.body.loops);
    }

    /// `#[checkpoint]` or `#[checkpoint(every = n)]` among a loop's
    /// attributes; `n` is lowered into `out` (before the loop). Other
    /// attributes are left to rustc on the re-emitted function.
    fn checkpoint_attr(&mut self, attrs: &[syn::Attribute], out: &mut Block) -> Option<Checkpoint> {
        let mut found = None;
        for a in attrs.iter().filter(|a| a.path().is_ident("checkpoint")) {
            if found.is_some() {
                err_at(
                    self.errors,
                    a,
                    "`#[checkpoint]` is given twice on this loop",
                );
                continue;
            }
            let every = match &a.meta {
                syn::Meta::Path(_) => None,
                meta => {
                    let parsed = a.parse_args_with(|input: syn::parse::ParseStream| {
                        let key: syn::Ident = input.parse()?;
                        if key != "every" {
                            return Err(syn::Error::new(
                                key.span(),
                                "expected `every = <iterations per segment>`",
                            ));
                        }
                        input.parse::<syn::Token![=]>()?;
                        input.parse::<Expr>()
                    });
                    match parsed {
                        Ok(e) => Some(self.expr(&e, out)),
                        Err(e) => {
                            err_at(
                                self.errors,
                                meta,
                                format!("{e}: write `#[checkpoint]` (segments of about the square root of the trip count) or `#[checkpoint(every = 100)]`"),
                            );
                            None
                        }
                    }
                }
            };
            found = Some(Checkpoint {
                every,
                span: a.path().span(),
            });
        }
        found
    }

    fn block_stmts(
        &mut self,
        stmts: &[syn::Stmt],
        out: &mut Block,
        want_value: bool,
    ) -> Option<Atom> {
        let mut result = None;
        for (i, s) in stmts.iter().enumerate() {
            self.reads.clear();
            let last = i + 1 == stmts.len();
            match s {
                syn::Stmt::Local(l) => self.local(l, out),
                syn::Stmt::Expr(e, semi) => {
                    if last && semi.is_none() && want_value {
                        result = Some(self.expr(e, out));
                    } else {
                        self.stmt_expr(e, out);
                    }
                }
                syn::Stmt::Macro(m) => self.macro_stmt(&m.mac, out),
                syn::Stmt::Item(item) => err(
                    self.errors,
                    item.span(),
                    "items (nested `fn`, `const`, `struct`, `use`) are not supported inside a differentiated function; move them outside it",
                ),
            }
        }
        result
    }

    fn scoped_block(&mut self, b: &syn::Block, want_value: bool) -> (Block, Option<Atom>) {
        self.scopes.push(HashMap::new());
        self.reads.clear();
        let mut out = Block::default();
        let r = self.block_stmts(&b.stmts, &mut out, want_value);
        self.scopes.pop();
        self.reads.clear();
        (out, r)
    }

    fn local(&mut self, l: &syn::Local, out: &mut Block) {
        let Some(init) = &l.init else {
            // `let v;` assigned later: Rust itself guarantees a non-`mut` one is
            // assigned at most once on every path, so each assignment defines it.
            let (pat, declared) = match &l.pat {
                Pat::Type(pt) => (
                    &*pt.pat,
                    Some(DType::of(&pt.ty, &self.float_generics).kind()),
                ),
                p => (p, None),
            };
            match pat {
                Pat::Ident(pi) if pi.subpat.is_none() && pi.mutability.is_none() => {
                    let v = self.declare(&pi.ident, declared.unwrap_or(Kind::Unknown));
                    self.deferred.insert(v);
                    out.stmts.push(Stmt::Let { var: v, rhs: None });
                }
                _ => {
                    err_at(self.errors, l, "`let mut` without a value is not supported: give the variable its first value where it is declared");
                    // Still declare the names, so later uses do not report a second error.
                    let mut binds = Vec::new();
                    let _ = self.bind_pattern(&l.pat, &mut binds);
                }
            }
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            err(
                self.errors,
                else_token.span(),
                "`let ... else` is not supported in differentiated code: use `match` with an arm for each case",
            );
            return;
        }
        let (pat, declared) = match &l.pat {
            Pat::Type(pt) => (
                &*pt.pat,
                Some(DType::of(&pt.ty, &self.float_generics).kind()),
            ),
            p => (p, None),
        };
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let before = self.errors.len();
                let rhs = self.rhs(&init.expr, out);
                let kind = declared.unwrap_or_else(|| self.kind_of_rhs(&rhs));
                let v = self.declare(&pi.ident, kind);
                if self.errors.len() > before {
                    self.rejected.insert(v);
                }
                out.stmts.push(Stmt::Let { var: v, rhs: Some(rhs) });
            }
            Pat::Wild(_) => {
                self.stmt_expr(&init.expr, out);
            }
            Pat::Tuple(pt) => {
                let a = self.expr(&init.expr, out);
                let kinds = match &declared {
                    Some(Kind::Tuple(ks)) => ks.clone(),
                    _ => match self.kind_of_atom(&a) {
                        Kind::Tuple(ks) => ks,
                        _ => {
                            // The pattern tells the arity of a value of unknown
                            // type (a call's result): a tuple of floats.
                            let ks = vec![Kind::Float; pt.elems.len()];
                            if let Atom::Var(v) = &a {
                                if self.body.vars[*v].kind == Kind::Unknown {
                                    self.body.vars[*v].kind = Kind::Tuple(ks.clone());
                                }
                            }
                            ks
                        }
                    },
                };
                for (i, p) in pt.elems.iter().enumerate() {
                    let index = syn::Index::from(i);
                    match p {
                        Pat::Ident(pi) if pi.subpat.is_none() => {
                            let kind = kinds.get(i).cloned().unwrap_or(Kind::Unknown);
                            let v = self.declare(&pi.ident, kind);
                            out.stmts.push(Stmt::Let { var: v, rhs: Some(Rhs::Field(a.clone(), syn::Member::Unnamed(index))) });
                        }
                        Pat::Wild(_) => {}
                        other => err(self.errors, other.span(), "only names and `_` are supported inside a tuple pattern"),
                    }
                }
            }
            other => err(
                self.errors,
                other.span(),
                "this pattern is not supported in a differentiated `let`: bind a name (`let x = ...`) or a tuple of names",
            ),
        }
    }

    fn macro_stmt(&mut self, mac: &syn::Macro, out: &mut Block) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if INACTIVE_MACROS.contains(&name.as_str()) {
            let tokens = self.rename_tokens(mac.to_token_stream());
            out.stmts.push(Stmt::Inactive(quote!(#tokens;)));
        } else if matches!(name.as_str(), "asm" | "global_asm" | "naked_asm") {
            err(
                self.errors,
                mac.path.span(),
                "inline assembly cannot be differentiated: the engine cannot see what it does to values; move it into a function with a `#[custom_derivative]`",
            );
        } else {
            err(
                self.errors,
                mac.path.span(),
                format!(
                    "macro `{name}!` is not supported in differentiated code; allowed: `vec!` and the inactive {}",
                    INACTIVE_MACROS.iter().map(|m| format!("`{m}!`")).collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }

    /// Renames identifiers in passed-through tokens to the names variables got.
    fn rename_tokens(&self, ts: TokenStream) -> TokenStream {
        ts.into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(i) => match self.lookup(&i.to_string()) {
                    Some(v) => TokenTree::Ident(syn::Ident::new(&self.body.vars[v].name, i.span())),
                    None => TokenTree::Ident(i),
                },
                TokenTree::Group(g) => {
                    let mut ng =
                        proc_macro2::Group::new(g.delimiter(), self.rename_tokens(g.stream()));
                    ng.set_span(g.span());
                    TokenTree::Group(ng)
                }
                t => t,
            })
            .collect()
    }

    /// An expression in statement position (its value, if any, is dropped).
    fn stmt_expr(&mut self, e: &Expr, out: &mut Block) {
        match e {
            Expr::Assign(a) => self.assign(&a.left, None, &a.right, out),
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                self.assign(&b.left, compound_op(&b.op), &b.right, out)
            }
            Expr::If(i) => self.if_expr(i, out, None),
            Expr::Match(m) => self.match_expr(m, out, None),
            Expr::ForLoop(f) => self.for_loop(f, out),
            Expr::While(w) => self.while_loop(w, out),
            Expr::Loop(l) => {
                self.no_checkpoint(&l.attrs);
                let (id, label) = self.push_loop(&l.label);
                let (body, _) = self.scoped_block(&l.body, false);
                self.loops.pop();
                out.stmts.push(Stmt::Loop(Loop {
                    id,
                    label,
                    kind: LoopKind::Loop,
                    body,
                    counter: None,
                    exit: None,
                    checkpoint: None,
                }));
            }
            Expr::Block(b) if b.label.is_none() => {
                let (blk, _) = self.scoped_block(&b.block, false);
                // A plain block only scopes names; its statements join the parent.
                out.stmts.extend(blk.stmts);
            }
            Expr::Break(b) => {
                if let Some(v) = &b.expr {
                    err_at(self.errors, v, "`break` with a value is not supported; assign to a variable before `break`");
                }
                if let Some(id) = self.loop_target(&b.label, b.span()) {
                    out.stmts.push(Stmt::Break(id));
                }
            }
            Expr::Continue(c) => {
                if let Some(id) = self.loop_target(&c.label, c.span()) {
                    out.stmts.push(Stmt::Continue(id));
                }
            }
            Expr::Return(r) => {
                let a = match &r.expr {
                    Some(v) => self.expr(v, out),
                    None => {
                        err(
                            self.errors,
                            r.span(),
                            "a differentiated function must return a value",
                        );
                        zero_atom()
                    }
                };
                out.stmts.push(Stmt::Return(a));
            }
            Expr::MethodCall(m) if m.method == "push" => {
                let Some(var) = self.place_var(&m.receiver) else {
                    return;
                };
                if m.args.len() != 1 {
                    err(self.errors, m.span(), "`push` takes one argument");
                    return;
                }
                let value = self.expr(&m.args[0], out);
                if let Kind::Vec(k) = &self.body.vars[var].kind {
                    if **k == Kind::Unknown {
                        let vk = self.kind_of_atom(&value);
                        self.body.vars[var].kind = Kind::Vec(Box::new(vk));
                    }
                }
                out.stmts.push(Stmt::Push { var, value });
            }
            Expr::Call(c)
                if path_ends_with(&c.func, "accumulate") || path_ends_with(&c.func, "add_into") =>
            {
                if c.args.len() != 2 {
                    err(self.errors, c.span(), "`accumulate` takes two arguments");
                    return;
                }
                let Some(var) = self.mut_ref_var(&c.args[0]) else {
                    return;
                };
                // `add_into(&mut a, &b)` is `a += b` for float buffers.
                let value = match self.expr(&c.args[1], out) {
                    Atom::Ref(v) => Atom::Var(v),
                    a => a,
                };
                out.stmts.push(Stmt::Accumulate { var, value });
            }
            Expr::Call(c) if path_ends_with(&c.func, "check_len") => {
                let tokens = self.rename_tokens(e.to_token_stream());
                out.stmts.push(Stmt::Inactive(quote!(#tokens;)));
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac, out),
            Expr::Paren(p) => self.stmt_expr(&p.expr, out),
            other => {
                let rhs = self.rhs(other, out);
                match rhs {
                    Rhs::Atom(_) => {}
                    // A discarded pop still gets a variable: reversing it
                    // pushes that value back.
                    r @ Rhs::Pop(_) => {
                        let _ = self.bind(r, out);
                    }
                    r => out.stmts.push(Stmt::Discard(r)),
                }
            }
        }
    }

    fn push_loop(&mut self, label: &Option<syn::Label>) -> (LoopId, Option<syn::Lifetime>) {
        let id = self.body.loops;
        self.body.loops += 1;
        let l = label.as_ref().map(|l| l.name.clone());
        self.loops
            .push((id, l.as_ref().map(|l| l.ident.to_string())));
        (id, l)
    }

    fn loop_target(&mut self, label: &Option<syn::Lifetime>, span: Span) -> Option<LoopId> {
        match label {
            None => match self.loops.last() {
                Some((id, _)) => Some(*id),
                None => {
                    err(self.errors, span, "`break`/`continue` outside a loop");
                    None
                }
            },
            Some(l) => {
                let name = l.ident.to_string();
                match self
                    .loops
                    .iter()
                    .rev()
                    .find(|(_, n)| n.as_deref() == Some(&name))
                {
                    Some((id, _)) => Some(*id),
                    None => {
                        err(
                            self.errors,
                            l.span(),
                            format!("no enclosing loop is labelled `'{name}`"),
                        );
                        None
                    }
                }
            }
        }
    }

    fn place_var(&mut self, e: &Expr) -> Option<VarId> {
        match e {
            Expr::Path(p) if p.path.get_ident().is_some() => {
                let name = p.path.get_ident().unwrap().to_string();
                match self.lookup(&name) {
                    Some(v) => Some(v),
                    None => {
                        err(self.errors, p.span(), format!("cannot assign to `{name}`: only local variables and parameters can be written"));
                        None
                    }
                }
            }
            Expr::Paren(p) => self.place_var(&p.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => {
                err_at(
                    self.errors,
                    u,
                    "writing through a reference (`*r = ...`) is not supported: the engine cannot follow `&mut` aliasing; return the new value instead",
                );
                None
            }
            other => {
                err(self.errors, other.span(), "this place cannot be written in differentiated code: assign to a variable or an element `x[i]`");
                None
            }
        }
    }

    fn mut_ref_var(&mut self, e: &Expr) -> Option<VarId> {
        match e {
            Expr::Reference(r) if r.mutability.is_some() => self.place_var(&r.expr),
            other => {
                err(self.errors, other.span(), "expected `&mut variable`");
                None
            }
        }
    }

    fn assign(&mut self, left: &Expr, op: Option<BinOp>, right: &Expr, out: &mut Block) {
        match left {
            Expr::Index(_) => {
                let Some((var, index)) = self.index_place(left, out) else {
                    return;
                };
                let value = match op {
                    None => self.expr(right, out),
                    Some(op) => {
                        let old = self.bind(Rhs::Index(var, index.clone()), out);
                        let r = self.expr(right, out);
                        self.bind(Rhs::Binary(op, old, r), out)
                    }
                };
                out.stmts.push(Stmt::IndexAssign { var, index, value });
            }
            Expr::Field(f) => err(
                self.errors,
                f.member.span(),
                "assigning to a field is not supported yet; build a new tuple instead",
            ),
            _ => {
                let Some(var) = self.place_var(left) else {
                    return;
                };
                let rhs = match op {
                    None => self.rhs(right, out),
                    Some(op) => {
                        let r = self.expr(right, out);
                        Rhs::Binary(op, Atom::Var(var), r)
                    }
                };
                let def = self.deferred.contains(&var);
                if def && self.body.vars[var].kind == Kind::Unknown {
                    self.body.vars[var].kind = self.kind_of_rhs(&rhs);
                }
                out.stmts.push(Stmt::Assign { var, rhs, def });
            }
        }
    }

    /// `x[i][j]` as a place: the base variable and the index atoms.
    fn index_place(&mut self, e: &Expr, out: &mut Block) -> Option<(VarId, Vec<Atom>)> {
        match e {
            Expr::Index(ix) => {
                let (var, mut idx) = match &*ix.expr {
                    Expr::Index(_) => self.index_place(&ix.expr, out)?,
                    Expr::Paren(p) => return self.index_place(&p.expr, out),
                    base => (self.place_var(base)?, Vec::new()),
                };
                if let Expr::Range(r) = &*ix.index {
                    err_at(self.errors, r, "range indexing (`x[a..b]`) is not supported in differentiated code; index elements one at a time");
                    return None;
                }
                let i = self.expr(&ix.index, out);
                idx.push(i);
                Some((var, idx))
            }
            Expr::Paren(p) => self.index_place(&p.expr, out),
            other => Some((self.place_var(other)?, Vec::new())),
        }
    }

    /// Lowers an expression to an atom, binding a temporary if needed.
    fn expr(&mut self, e: &Expr, out: &mut Block) -> Atom {
        match e {
            Expr::If(i) => {
                let v = self.temp("t", Kind::Unknown);
                out.stmts.push(Stmt::Let { var: v, rhs: None });
                self.if_expr(i, out, Some(v));
                Atom::Var(v)
            }
            Expr::Match(m) => {
                let v = self.temp("t", Kind::Unknown);
                out.stmts.push(Stmt::Let { var: v, rhs: None });
                self.match_expr(m, out, Some(v));
                Atom::Var(v)
            }
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(HashMap::new());
                self.reads.clear();
                let r = self.block_stmts(&b.block.stmts, out, true);
                self.scopes.pop();
                self.reads.clear();
                r.unwrap_or_else(|| {
                    err(self.errors, b.span(), "this block has no value");
                    zero_atom()
                })
            }
            _ => {
                let rhs = self.rhs(e, out);
                self.bind(rhs, out)
            }
        }
    }

    /// Lowers the top operation of an expression to a right-hand side.
    fn rhs(&mut self, e: &Expr, out: &mut Block) -> Rhs {
        match e {
            Expr::Lit(l) => {
                match &l.lit {
                    syn::Lit::Float(_) | syn::Lit::Int(_) | syn::Lit::Bool(_) => {
                        Rhs::Atom(Atom::Const(e.clone()))
                    }
                    other => {
                        err(self.errors, other.span(), "only numeric and boolean literals are supported in differentiated code");
                        Rhs::Atom(zero_atom())
                    }
                }
            }
            Expr::Paren(p) => self.rhs(&p.expr, out),
            Expr::Group(g) => self.rhs(&g.expr, out),
            Expr::Path(p) => {
                if let Some(id) = p.path.get_ident() {
                    if let Some(v) = self.lookup(&id.to_string()) {
                        return Rhs::Atom(Atom::Var(v));
                    }
                }
                // A constant (`PI`, `f64::EPSILON`, a `const` item): never active.
                Rhs::Atom(Atom::Const(e.clone()))
            }
            Expr::Unary(u) => {
                let op = match u.op {
                    syn::UnOp::Neg(_) => UnOp::Neg,
                    syn::UnOp::Not(_) => UnOp::Not,
                    syn::UnOp::Deref(_) => UnOp::Deref,
                    _ => {
                        err(
                            self.errors,
                            u.op.span(),
                            "this unary operator is not supported",
                        );
                        UnOp::Neg
                    }
                };
                if op == UnOp::Neg {
                    if let Expr::Lit(_) = &*u.expr {
                        return Rhs::Atom(Atom::Const(e.clone()));
                    }
                }
                let a = self.expr(&u.expr, out);
                if op == UnOp::Neg && self.kind_of_atom(&a) == Kind::Tensor {
                    return self.tensor_call("neg", vec![tensor_arg(a)], u.op.span());
                }
                Rhs::Unary(op, a)
            }
            Expr::Binary(b) => {
                if let Some(op) = compound_op(&b.op) {
                    // `(x += 1)` as a value is `()`; lower it as a statement.
                    self.assign(&b.left, Some(op), &b.right, out);
                    return Rhs::Atom(Atom::Const(syn::parse_quote!(())));
                }
                match b.op {
                    syn::BinOp::And(_) | syn::BinOp::Or(_) => return self.short_circuit(b, out),
                    _ => {}
                }
                let op = match bin_op(&b.op) {
                    Some(op) => op,
                    None => {
                        err(self.errors, b.op.span(), "this operator is not supported");
                        BinOp::Add
                    }
                };
                let l = self.expr(&b.left, out);
                let r = self.expr(&b.right, out);
                if !matches!(op, BinOp::Other(_))
                    && (self.kind_of_atom(&l) == Kind::Tensor
                        || self.kind_of_atom(&r) == Kind::Tensor)
                {
                    return self.tensor_binary(op, l, r, b.op.span(), out);
                }
                if !matches!(op, BinOp::Other(_)) {
                    self.unify_float(&l, &r);
                }
                Rhs::Binary(op, l, r)
            }
            Expr::MethodCall(m) => self.method_call(m, out),
            Expr::Call(c) => self.call(c, out),
            Expr::Index(_) => match self.index_place(e, out) {
                Some((var, idx)) => Rhs::Index(var, idx),
                None => Rhs::Atom(zero_atom()),
            },
            Expr::Field(f) => {
                let a = self.expr(&f.base, out);
                Rhs::Field(a, f.member.clone())
            }
            Expr::Tuple(t) => {
                if t.elems.is_empty() {
                    return Rhs::Atom(Atom::Const(e.clone()));
                }
                Rhs::Tuple(t.elems.iter().map(|x| self.expr(x, out)).collect())
            }
            Expr::Array(a) => Rhs::Array(a.elems.iter().map(|x| self.expr(x, out)).collect()),
            Expr::Repeat(r) => {
                let elem = self.expr(&r.expr, out);
                let len = self.rename_expr(&r.len);
                Rhs::Repeat {
                    elem,
                    len,
                    vec: false,
                }
            }
            Expr::Cast(c) => {
                let a = self.expr(&c.expr, out);
                Rhs::Cast(a, (*c.ty).clone())
            }
            Expr::Reference(r) => {
                if r.mutability.is_some() {
                    err_at(self.errors, r, "`&mut` is not supported in differentiated code: the engine cannot follow mutation through references; pass values and return results");
                    return Rhs::Atom(zero_atom());
                }
                match self.expr(&r.expr, out) {
                    Atom::Var(v) => Rhs::Atom(Atom::Ref(v)),
                    // `&0.0`, `&()` (zero tangents in generated calls) stay references.
                    Atom::Const(e) => Rhs::Atom(Atom::Const(syn::parse_quote!(&#e))),
                    a => Rhs::Atom(a),
                }
            }
            Expr::Macro(m) => self.macro_expr(&m.mac, out),
            Expr::Block(b) if b.label.is_some() => {
                err_at(
                    self.errors,
                    &b.label,
                    "labelled blocks are not supported in differentiated code: use `loop { ...; break }` or an `if`",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::If(_) | Expr::Match(_) | Expr::Block(_) => {
                let a = self.expr(e, out);
                Rhs::Atom(a)
            }
            Expr::Closure(c) => {
                err(self.errors, c.or1_token.span(), "closures are not supported in differentiated code yet; write a separate `#[differentiate]` function and call it");
                Rhs::Atom(zero_atom())
            }
            Expr::Unsafe(u) => {
                err(self.errors, u.unsafe_token.span(), "`unsafe` blocks cannot be differentiated: the engine cannot see what raw code does to values");
                Rhs::Atom(zero_atom())
            }
            Expr::Async(a) => {
                err(
                    self.errors,
                    a.async_token.span(),
                    "`async` blocks cannot be differentiated",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::Await(a) => {
                err(
                    self.errors,
                    a.await_token.span(),
                    "`.await` cannot be differentiated",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::Try(t) => {
                err(
                    self.errors,
                    t.question_token.span(),
                    "the `?` operator is not supported in differentiated code: handle the error before calling, or use `match`",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::Range(r) => {
                err_at(
                    self.errors,
                    r,
                    "a range is only supported as the iterator of a `for` loop: write `for i in a..b`",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::Struct(s) => {
                err_at(
                    self.errors,
                    &s.path,
                    "struct literals are not supported in differentiated code yet: build the value outside and pass its fields as parameters",
                );
                Rhs::Atom(zero_atom())
            }
            Expr::Assign(_)
            | Expr::ForLoop(_)
            | Expr::While(_)
            | Expr::Loop(_)
            | Expr::Break(_)
            | Expr::Continue(_)
            | Expr::Return(_) => {
                self.stmt_expr(e, out);
                Rhs::Atom(Atom::Const(syn::parse_quote!(())))
            }
            other => {
                err(
                    self.errors,
                    other.span(),
                    "this expression is not supported in differentiated code",
                );
                Rhs::Atom(zero_atom())
            }
        }
    }

    /// `a && b` / `a || b` keep their short circuit: `if a { b } else { false }`.
    fn short_circuit(&mut self, b: &syn::ExprBinary, out: &mut Block) -> Rhs {
        let l = self.expr(&b.left, out);
        let v = self.temp("t", Kind::Bool);
        out.stmts.push(Stmt::Let { var: v, rhs: None });
        let mut rhs_block = Block::default();
        self.scopes.push(HashMap::new());
        self.reads.clear();
        let r = self.expr(&b.right, &mut rhs_block);
        self.scopes.pop();
        self.reads.clear();
        rhs_block.stmts.push(Stmt::Assign {
            var: v,
            rhs: Rhs::Atom(r),
            def: true,
        });
        let mut const_block = Block::default();
        let is_and = matches!(b.op, syn::BinOp::And(_));
        let c: Expr = if is_and {
            syn::parse_quote!(false)
        } else {
            syn::parse_quote!(true)
        };
        const_block.stmts.push(Stmt::Assign {
            var: v,
            rhs: Rhs::Atom(Atom::Const(c)),
            def: true,
        });
        let (then, els) = if is_and {
            (rhs_block, const_block)
        } else {
            (const_block, rhs_block)
        };
        out.stmts.push(Stmt::If { cond: l, then, els });
        Rhs::Atom(Atom::Var(v))
    }

    fn rename_expr(&self, e: &Expr) -> Expr {
        let ts = self.rename_tokens(e.to_token_stream());
        syn::parse2(ts).unwrap_or_else(|_| e.clone())
    }

    fn macro_expr(&mut self, mac: &syn::Macro, out: &mut Block) -> Rhs {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if name == "vec" {
            // vec![elem; n] or vec![a, b, c]
            if let Ok(r) = mac.parse_body::<VecRepeat>() {
                let elem = self.expr(&r.elem, out);
                let len = self.rename_expr(&r.len);
                return Rhs::Repeat {
                    elem,
                    len,
                    vec: true,
                };
            }
            match mac.parse_body_with(
                syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
            ) {
                Ok(items) => return Rhs::VecLit(items.iter().map(|x| self.expr(x, out)).collect()),
                Err(e) => {
                    self.errors.push(e);
                    return Rhs::Atom(zero_atom());
                }
            }
        }
        if INACTIVE_MACROS.contains(&name.as_str()) {
            self.macro_stmt(mac, out);
            return Rhs::Atom(Atom::Const(syn::parse_quote!(())));
        }
        self.macro_stmt(mac, out);
        Rhs::Atom(zero_atom())
    }

    fn method_call(&mut self, m: &syn::ExprMethodCall, out: &mut Block) -> Rhs {
        let name = m.method.to_string();
        if m.turbofish.is_some() {
            err(
                self.errors,
                m.method.span(),
                "turbofish method calls are not supported",
            );
        }
        if let Some(rhs) = self.tensor_method(m, out) {
            return rhs;
        }
        if let Some(rule) = Rules::get().lookup(&name) {
            return self.prim(
                rule,
                &m.receiver,
                m.args.iter().collect(),
                m.method.span(),
                out,
            );
        }
        if INACTIVE_METHODS.contains(&name.as_str()) {
            let recv = match &*m.receiver {
                // `x.len()` reads only the length: no need to copy x.
                Expr::Path(_) => self.expr(&m.receiver, out),
                r => self.expr(r, out),
            };
            let args = m.args.iter().map(|a| self.expr(a, out)).collect();
            return Rhs::InactiveMethod {
                recv,
                method: m.method.clone(),
                args,
            };
        }
        if (name == "clone" || name == "to_vec" || name == "to_owned") && m.args.is_empty() {
            let a = self.expr(&m.receiver, out);
            let method = if name == "clone" {
                None
            } else {
                Some(m.method.clone())
            };
            return Rhs::Copy(a, method);
        }
        if name == "push" {
            self.stmt_expr(&Expr::MethodCall(m.clone()), out);
            return Rhs::Atom(Atom::Const(syn::parse_quote!(())));
        }
        // A float method the table lacks gets no "did you mean" (it is not a typo).
        let hint = if FLOAT_METHODS_WITHOUT_RULES.contains(&name.as_str()) {
            format!(" (`{name}` is a float method, but the rule table has no row for it: wrap it in a function with a custom derivative)")
        } else {
            suggest(&name, Rules::get().names())
        };
        err(
            self.errors,
            m.method.span(),
            format!(
                "method `{name}` has no derivative rule{hint}; supported float methods: {}. For your own function, make it a free function with `#[differentiate]` or a custom derivative",
                Rules::get().names().collect::<Vec<_>>().join(" ")
            ),
        );
        Rhs::Atom(zero_atom())
    }

    /// `a op b` where one side is a tensor: a call of the runtime's tensor
    /// operation (tensor-tensor operands of one shape; a scalar on either side
    /// scales or shifts every element).
    fn tensor_binary(&mut self, op: BinOp, l: Atom, r: Atom, span: Span, out: &mut Block) -> Rhs {
        let (lt, rt) = (self.is_tensor_operand(&l), self.is_tensor_operand(&r));
        let name = match op {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::Div => "div",
            _ => {
                err(self.errors, span, "this operator has no tensor form: tensors take `+ - * /` (elementwise) and methods such as `matmul`");
                return Rhs::Atom(zero_atom());
            }
        };
        if lt && rt {
            return self.tensor_call(name, vec![tensor_arg(l), tensor_arg(r)], span);
        }
        let (t, s) = if lt { (l, r) } else { (r, l) };
        self.mark_float(&s);
        match (op, lt) {
            (BinOp::Mul, _) => self.tensor_call("scale", vec![s, tensor_arg(t)], span),
            (BinOp::Add, _) => self.tensor_call("add_scalar", vec![tensor_arg(t), s], span),
            // t - s = t + (-s)
            (BinOp::Sub, true) => {
                let ns = self.bind(Rhs::Unary(UnOp::Neg, s), out);
                self.tensor_call("add_scalar", vec![tensor_arg(t), ns], span)
            }
            // s - t = (-t) + s
            (BinOp::Sub, false) => {
                let nt = self.tensor_call("neg", vec![tensor_arg(t)], span);
                let nt = self.bind(nt, out);
                self.tensor_call("add_scalar", vec![tensor_arg(nt), s], span)
            }
            (BinOp::Div, true) => self.tensor_call("div_scalar", vec![tensor_arg(t), s], span),
            // s / t = s * recip(t)
            _ => {
                let rt = self.tensor_call("recip", vec![tensor_arg(t)], span);
                let rt = self.bind(rt, out);
                self.tensor_call("scale", vec![s, tensor_arg(rt)], span)
            }
        }
    }

    /// A tensor operand: of tensor kind, or a borrowed value of unknown type
    /// (`&p.weights`; a scalar is not borrowed for arithmetic).
    fn is_tensor_operand(&mut self, a: &Atom) -> bool {
        match self.kind_of_atom(a) {
            Kind::Tensor => true,
            Kind::Unknown if matches!(a, Atom::Ref(_)) => {
                self.mark_tensor(a);
                true
            }
            _ => false,
        }
    }

    /// A value of unknown type (a field, a call's result) used as a tensor is one.
    fn mark_tensor(&mut self, a: &Atom) {
        if let Some(v) = a.var() {
            if self.body.vars[v].kind == Kind::Unknown {
                self.body.vars[v].kind = Kind::Tensor;
            }
        }
    }

    fn mark_float(&mut self, a: &Atom) {
        if let Atom::Var(v) = a {
            if self.body.vars[*v].kind == Kind::Unknown {
                self.body.vars[*v].kind = Kind::Float;
            }
        }
    }

    /// A call of the runtime's tensor operation `name` (`tensor_ops::name`).
    fn tensor_call(&mut self, name: &str, args: Vec<Atom>, span: Span) -> Rhs {
        let path = tensor_path(name, span);
        self.callees.push(path.clone());
        Rhs::Call { path, args }
    }

    /// `x.method(...)` on a tensor: the runtime's operation of that name.
    /// `None` when the receiver is not a tensor (a float method, ...).
    fn tensor_method(&mut self, m: &syn::ExprMethodCall, out: &mut Block) -> Option<Rhs> {
        let name = m.method.to_string();
        let known = TENSOR_METHODS.iter().find(|(n, _)| *n == name);
        let tensor_only = TENSOR_ONLY_METHODS.contains(&name.as_str())
            || (m.args.is_empty() && (name == "max" || name == "min"));
        // A receiver that is a plain local or parameter is looked at without
        // lowering it twice; anything else is lowered once here.
        let recv_kind = self.local_kind(&m.receiver);
        if !tensor_only && recv_kind.is_some() && recv_kind != Some(Kind::Tensor) {
            return None;
        }
        if !tensor_only && recv_kind.is_none() {
            // Only a receiver of tensor kind makes a shared name (`sin`) a tensor method.
            known?;
            if !self.receiver_is_tensor(&m.receiver) {
                return None;
            }
        }
        let Some((_, argk)) = known else {
            if recv_kind == Some(Kind::Tensor)
                && !INACTIVE_METHODS.contains(&name.as_str())
                && !matches!(name.as_str(), "clone" | "shape" | "ndim")
            {
                err(
                    self.errors,
                    m.method.span(),
                    format!(
                        "tensor method `{name}` has no derivative rule; supported tensor methods: {}",
                        TENSOR_METHODS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ")
                    ),
                );
                return Some(Rhs::Atom(zero_atom()));
            }
            return None;
        };
        let recv = self.expr(&m.receiver, out);
        self.mark_tensor(&recv);
        let mut args = vec![tensor_arg(recv)];
        let want = match argk {
            TArgs::None => 0,
            TArgs::Tensor | TArgs::Float | TArgs::Int | TArgs::Shape => 1,
        };
        if m.args.len() != want {
            err(
                self.errors,
                m.method.span(),
                format!("tensor method `{name}` takes {want} argument(s)"),
            );
            return Some(Rhs::Atom(zero_atom()));
        }
        for a in &m.args {
            let at = self.expr(a, out);
            match argk {
                TArgs::Tensor => {
                    self.mark_tensor(&at);
                    args.push(tensor_arg(at));
                }
                TArgs::Float => {
                    self.mark_float(&at);
                    args.push(at);
                }
                _ => args.push(at),
            }
        }
        Some(self.tensor_call(&name, args, m.method.span()))
    }

    /// Is this receiver expression (not a plain variable) a tensor? Only
    /// when its kind is known without lowering it: a field or call is not.
    fn receiver_is_tensor(&self, e: &Expr) -> bool {
        match e {
            Expr::Paren(p) => self.receiver_is_tensor(&p.expr),
            Expr::MethodCall(m) => {
                let n = m.method.to_string();
                let tensor_result = tensor_result_kind(&n) == Kind::Tensor;
                TENSOR_ONLY_METHODS.contains(&n.as_str()) && tensor_result
                    || (TENSOR_METHODS.iter().any(|(k, _)| *k == n)
                        && tensor_result
                        && self.receiver_is_tensor(&m.receiver))
            }
            Expr::Binary(b) => {
                self.receiver_is_tensor(&b.left) || self.receiver_is_tensor(&b.right)
            }
            Expr::Reference(r) => self.receiver_is_tensor(&r.expr),
            e => self.local_kind(e) == Some(Kind::Tensor),
        }
    }

    /// The kind of a plain local or parameter (`x`, `&x`, `(x)`), without
    /// lowering anything; `None` for any other expression.
    fn local_kind(&self, e: &Expr) -> Option<Kind> {
        match e {
            Expr::Paren(p) => self.local_kind(&p.expr),
            Expr::Reference(r) => self.local_kind(&r.expr),
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|id| self.lookup(&id.to_string()))
                .map(|v| self.body.vars[v].kind.clone()),
            _ => None,
        }
    }

    fn prim(
        &mut self,
        rule: usize,
        recv: &Expr,
        args: Vec<&Expr>,
        span: Span,
        out: &mut Block,
    ) -> Rhs {
        let row = &Rules::get().rows[rule];
        let expected = row.args.len() - 1 + usize::from(row.int_arg.is_some());
        if args.len() != expected {
            err(
                self.errors,
                span,
                format!("`{}` takes {} argument(s)", row.name, expected),
            );
            return Rhs::Atom(zero_atom());
        }
        let has_int = row.int_arg.is_some();
        let mut atoms = vec![self.expr(recv, out)];
        let mut int_arg = None;
        for (i, a) in args.iter().enumerate() {
            let at = self.expr(a, out);
            if has_int && i == args.len() - 1 {
                int_arg = Some(at);
            } else {
                atoms.push(at);
            }
        }
        // A float method's operands are floats.
        for a in &atoms {
            if let Atom::Var(v) = a {
                if self.body.vars[*v].kind == Kind::Unknown {
                    self.body.vars[*v].kind = Kind::Float;
                }
            }
        }
        Rhs::Prim {
            rule,
            args: atoms,
            int_arg,
        }
    }

    /// Arithmetic with a float: a value of unknown type (a call's result) is
    /// a float too (the subset has no other type that mixes with floats).
    fn unify_float(&mut self, a: &Atom, b: &Atom) {
        let (ka, kb) = (self.kind_of_atom(a), self.kind_of_atom(b));
        for (x, other) in [(a, &kb), (b, &ka)] {
            if let Atom::Var(v) = x {
                if self.body.vars[*v].kind == Kind::Unknown && *other == Kind::Float {
                    self.body.vars[*v].kind = Kind::Float;
                }
            }
        }
    }

    fn call(&mut self, c: &syn::ExprCall, out: &mut Block) -> Rhs {
        let Expr::Path(p) = &*c.func else {
            err(
                self.errors,
                c.func.span(),
                "only calls of named functions are supported in differentiated code",
            );
            return Rhs::Atom(zero_atom());
        };
        if p.qself.is_some() {
            // `<F as Real>::from_f64(0.5)`: a constant when nothing local goes in.
            let mut names = HashSet::new();
            collect_idents(c.args.to_token_stream(), &mut names);
            if names.iter().all(|n| self.lookup(n).is_none()) {
                return Rhs::Atom(Atom::Const(Expr::Call(c.clone())));
            }
            err_at(self.errors, &c.func, "qualified calls (`<T as Trait>::f(x)`) of local values are not supported in differentiated code; call the method on the value or a `#[differentiate]` function");
            return Rhs::Atom(zero_atom());
        }
        let path = &p.path;
        let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        // `f64::sin(x)`, `f32::max(a, b)`
        if segs.len() == 2 && (segs[0] == "f64" || segs[0] == "f32") {
            if let Some(rule) = Rules::get().lookup(&segs[1]) {
                let mut it = c.args.iter();
                let Some(recv) = it.next() else {
                    err(self.errors, c.span(), "missing argument");
                    return Rhs::Atom(zero_atom());
                };
                // The path names the float type: literal operands get it as a
                // suffix, so the method form emitted is never ambiguous.
                let ty = syn::Ident::new(&segs[0], path.segments[0].ident.span());
                let floats = Rules::get().rows[rule].args.len();
                let typed = |e: &Expr| -> Expr {
                    match e {
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Float(f),
                            ..
                        }) if f.suffix().is_empty() => {
                            let l = syn::LitFloat::new(
                                &format!("{}{}", f.base10_digits(), ty),
                                f.span(),
                            );
                            syn::parse_quote!(#l)
                        }
                        // A local bound to a literal only (`let c = 1.5;`)
                        // is typed by this call alone: the method form needs
                        // the type spelled out.
                        Expr::Path(p)
                            if p.path.get_ident().is_some_and(|i| {
                                self.lookup(&i.to_string())
                                    .is_some_and(|v| self.body.vars[v].param.is_none())
                            }) =>
                        {
                            syn::parse_quote!(#e as #ty)
                        }
                        Expr::Path(_) | Expr::Lit(_) => e.clone(),
                        // A constant expression takes its type from the path.
                        e => syn::parse_quote!((#e) as #ty),
                    }
                };
                let recv = typed(recv);
                // Float arguments are typed; `powi`'s integer exponent is not.
                let rest: Vec<Expr> = it
                    .enumerate()
                    .map(|(k, a)| if k + 1 < floats { typed(a) } else { a.clone() })
                    .collect();
                return self.prim(rule, &recv, rest.iter().collect(), path.span(), out);
            }
        }
        let n = segs.len();
        // `u32::max(n, 1)`, `usize::min(a, b)`: functions of integers, inactive.
        const INT_TYPES: &[&str] = &[
            "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
            "bool", "char",
        ];
        if n == 2 && INT_TYPES.contains(&segs[0].as_str()) {
            let args = c.args.iter().map(|a| self.expr(a, out)).collect();
            return Rhs::NoDiff {
                path: path.clone(),
                args,
            };
        }
        if n >= 2
            && segs[n - 2] == "Vec"
            && (segs[n - 1] == "new" || segs[n - 1] == "with_capacity")
        {
            let n = c.args.first().map(|a| self.expr(a, out));
            return Rhs::VecNew(n);
        }
        if n >= 2 && segs[n - 2] == "Tensor" {
            let args: Vec<Atom> = c.args.iter().map(|a| self.expr(a, out)).collect();
            let span = path.segments[n - 1].ident.span();
            return match segs[n - 1].as_str() {
                // The data may be active: a tensor operation with rules.
                "from_vec" if args.len() == 2 => {
                    let mut args = args;
                    let shape = args.pop().unwrap();
                    let data = args.pop().unwrap();
                    self.tensor_call("from_vec", vec![tensor_arg(data), shape], span)
                }
                "scalar" if args.len() == 1 => self.tensor_call("scalar", args, span),
                // Constructors from integers and constants: no derivative.
                "zeros" | "ones" | "eye" => Rhs::NoDiff {
                    path: path.clone(),
                    args,
                },
                other => {
                    err(
                        self.errors,
                        span,
                        format!("`Tensor::{other}` is not supported in differentiated code: build the tensor with `Tensor::from_vec(data, &shape)` (differentiable in `data`), or `zeros`/`ones`/`eye`, or pass it in as a parameter"),
                    );
                    Rhs::Atom(zero_atom())
                }
            };
        }
        if segs.iter().any(|s| s == "__private") {
            let last = segs.last().unwrap().as_str();
            let in_nodiff = segs.iter().any(|s| s == "nodiff");
            let args: Vec<&Expr> = c.args.iter().collect();
            match last {
                _ if in_nodiff => {
                    let args = args.iter().map(|a| self.expr(a, out)).collect();
                    return Rhs::NoDiff {
                        path: path.clone(),
                        args,
                    };
                }
                "pop" => {
                    if let Some(v) = args.first().and_then(|a| self.mut_ref_var(a)) {
                        return Rhs::Pop(v);
                    }
                    return Rhs::Atom(zero_atom());
                }
                "zero_like" | "zero_tensor_like" if args.len() == 1 => {
                    let a = self.expr(args[0], out);
                    return Rhs::ZeroLike(a);
                }
                "cast_as" if args.len() == 2 => {
                    let a = self.expr(args[0], out);
                    let b = self.expr(args[1], out);
                    return Rhs::CastAs(a, b);
                }
                _ => {}
            }
        }
        if c.args.is_empty() && self.lookup(&segs[0]).is_none() {
            // `Default::default()`, `T::new()`: nothing active goes in.
            return Rhs::Atom(Atom::Const(Expr::Call(c.clone())));
        }
        if let Some(id) = path.get_ident() {
            if let Some(v) = self.lookup(&id.to_string()) {
                if !self.rejected.contains(&v) {
                    err(self.errors, id.span(), "calling a closure or function value is not supported; call a named `#[differentiate]` function");
                }
                return Rhs::Atom(zero_atom());
            }
        }
        if let Some(seg) = path.segments.iter().find(|s| !s.arguments.is_none()) {
            err_at(
                self.errors,
                &seg.arguments,
                "calls with explicit generic arguments are not supported yet: drop the `::<...>`, the types are inferred from the arguments",
            );
        }
        let args = c.args.iter().map(|a| self.expr(a, out)).collect();
        self.callees.push(path.clone());
        Rhs::Call {
            path: path.clone(),
            args,
        }
    }

    fn if_expr(&mut self, i: &syn::ExprIf, out: &mut Block, result: Option<VarId>) {
        if let Expr::Let(l) = &*i.cond {
            err(
                self.errors,
                l.let_token.span(),
                "`if let` is not supported in differentiated code; use `match` or a condition",
            );
            return;
        }
        let cond = self.expr(&i.cond, out);
        let then = self.branch(&i.then_branch, result);
        let els = match &i.else_branch {
            None => {
                if let Some(v) = result {
                    err(
                        self.errors,
                        i.span(),
                        "an `if` used as a value needs an `else`",
                    );
                    let mut b = Block::default();
                    b.stmts.push(Stmt::Assign {
                        var: v,
                        rhs: Rhs::Atom(zero_atom()),
                        def: true,
                    });
                    b
                } else {
                    Block::default()
                }
            }
            Some((_, e)) => match &**e {
                Expr::Block(b) => self.branch(&b.block, result),
                Expr::If(inner) => {
                    let mut b = Block::default();
                    self.scopes.push(HashMap::new());
                    self.reads.clear();
                    self.if_expr(inner, &mut b, result);
                    self.scopes.pop();
                    self.reads.clear();
                    b
                }
                other => {
                    err(self.errors, other.span(), "unexpected `else` branch");
                    Block::default()
                }
            },
        };
        out.stmts.push(Stmt::If { cond, then, els });
    }

    fn branch(&mut self, b: &syn::Block, result: Option<VarId>) -> Block {
        self.scopes.push(HashMap::new());
        self.reads.clear();
        let mut out = Block::default();
        let r = self.block_stmts(&b.stmts, &mut out, result.is_some());
        self.scopes.pop();
        self.reads.clear();
        if let Some(v) = result {
            match r {
                Some(a) => {
                    if self.body.vars[v].kind == Kind::Unknown {
                        self.body.vars[v].kind = self.kind_of_atom(&a);
                    }
                    out.stmts.push(Stmt::Assign {
                        var: v,
                        rhs: Rhs::Atom(a),
                        def: true,
                    });
                }
                None => {
                    // A branch that ends in `return`/`break`/`continue` has no value.
                    let diverges = matches!(
                        b.stmts.last(),
                        Some(syn::Stmt::Expr(
                            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_),
                            _
                        ))
                    ) || matches!(b.stmts.last(), Some(syn::Stmt::Macro(m)) if m.mac.path.is_ident("panic") || m.mac.path.is_ident("unreachable"));
                    if !diverges {
                        err(self.errors, b.span(), "this branch has no value");
                    }
                }
            }
        }
        out
    }

    fn match_expr(&mut self, m: &syn::ExprMatch, out: &mut Block, result: Option<VarId>) {
        let scrut = self.expr(&m.expr, out);
        let mut arms = Vec::new();
        for arm in &m.arms {
            if let Some((if_token, g)) = &arm.guard {
                err_at(self.errors, quote!(#if_token #g), "match guards are not supported in differentiated code; put an `if` inside the arm");
            }
            self.scopes.push(HashMap::new());
            self.reads.clear();
            let mut binds = Vec::new();
            let pat = self.bind_pattern(&arm.pat, &mut binds);
            let mut body = Block::default();
            let r = match &*arm.body {
                Expr::Block(b) if b.label.is_none() => {
                    self.block_stmts(&b.block.stmts, &mut body, result.is_some())
                }
                e => {
                    if result.is_some() {
                        Some(self.expr(e, &mut body))
                    } else {
                        self.stmt_expr(e, &mut body);
                        None
                    }
                }
            };
            if let (Some(v), Some(a)) = (result, r) {
                if self.body.vars[v].kind == Kind::Unknown {
                    self.body.vars[v].kind = self.kind_of_atom(&a);
                }
                body.stmts.push(Stmt::Assign {
                    var: v,
                    rhs: Rhs::Atom(a),
                    def: true,
                });
            }
            self.scopes.pop();
            self.reads.clear();
            arms.push(Arm { pat, binds, body });
        }
        out.stmts.push(Stmt::Match {
            scrut,
            arms,
            record: None,
        });
    }

    /// Declares the names a pattern binds (inactive values) and renames them.
    fn bind_pattern(&mut self, pat: &Pat, binds: &mut Vec<VarId>) -> Pat {
        struct Binder<'b, 'c> {
            l: &'b mut Lowerer<'c>,
            binds: &'b mut Vec<VarId>,
        }
        impl syn::visit_mut::VisitMut for Binder<'_, '_> {
            fn visit_pat_ident_mut(&mut self, pi: &mut syn::PatIdent) {
                // Items of an inactive iterator or match scrutinee: of unknown
                // type (floats too), never varied (nothing assigns them).
                let v = self.l.declare(&pi.ident, Kind::Unknown);
                self.binds.push(v);
                pi.ident = syn::Ident::new(&self.l.body.vars[v].name, pi.ident.span());
                if let Some((_, sub)) = &mut pi.subpat {
                    self.visit_pat_mut(sub);
                }
            }
            fn visit_pat_mut(&mut self, p: &mut Pat) {
                match p {
                    // `SomeEnum::Variant` paths and constants are not bindings.
                    Pat::Ident(pi)
                        if pi
                            .ident
                            .to_string()
                            .chars()
                            .next()
                            .is_some_and(char::is_uppercase) => {}
                    _ => syn::visit_mut::visit_pat_mut(self, p),
                }
            }
        }
        let mut p = pat.clone();
        syn::visit_mut::VisitMut::visit_pat_mut(&mut Binder { l: self, binds }, &mut p);
        p
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop, out: &mut Block) {
        let checkpoint = self.checkpoint_attr(&f.attrs, out);
        let (id, label) = self.push_loop(&f.label);
        let range = match &*f.expr {
            Expr::Range(r) => Some(r),
            Expr::Paren(p) => match &*p.expr {
                Expr::Range(r) => Some(r),
                _ => None,
            },
            _ => None,
        };
        let simple_pat = match &*f.pat {
            Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => Some(pi.ident.clone()),
            Pat::Wild(w) => Some(syn::Ident::new("_i", w.span())),
            _ => None,
        };
        let kind = match (range, simple_pat) {
            (Some(r), Some(ident)) if r.start.is_some() && r.end.is_some() => {
                let lo = self.expr(r.start.as_ref().unwrap(), out);
                let hi = self.expr(r.end.as_ref().unwrap(), out);
                self.scopes.push(HashMap::new());
                self.reads.clear();
                let var = self.declare(&ident, Kind::Int);
                let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
                Some(LoopKind::Range {
                    var,
                    lo,
                    hi,
                    inclusive,
                })
            }
            _ => None,
        };
        let kind = match kind {
            Some(k) => k,
            None => {
                // Any other iterator: its items must be inactive values. What
                // the items are made of is the iterator's source: the receiver
                // under adaptors like `.iter().enumerate().rev()` (and what is
                // zipped or chained in); a range's items are indices.
                let mut iter_vars = Vec::new();
                for root in iter_sources(&f.expr) {
                    if let Some(v) = root.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                        iter_vars.push(v);
                    }
                }
                let iter = self.rename_tokens(f.expr.to_token_stream());
                self.scopes.push(HashMap::new());
                self.reads.clear();
                let mut binds = Vec::new();
                let pat = self.bind_pattern(&f.pat, &mut binds);
                LoopKind::Iter {
                    pat,
                    binds,
                    iter,
                    iter_vars,
                }
            }
        };
        let (body, _) = self.scoped_block(&f.body, false);
        self.scopes.pop();
        self.reads.clear();
        self.loops.pop();
        out.stmts.push(Stmt::Loop(Loop {
            id,
            label,
            kind,
            body,
            counter: None,
            exit: None,
            checkpoint,
        }));
    }

    /// `#[checkpoint]` on a `while` or `loop`: its trip count is not known
    /// when it starts, so segments cannot be laid out.
    fn no_checkpoint(&mut self, attrs: &[syn::Attribute]) {
        for a in attrs.iter().filter(|a| a.path().is_ident("checkpoint")) {
            err_at(
                self.errors,
                a,
                "`#[checkpoint]` applies to range loops (`for i in lo..hi`); rewrite this loop as one, with the iteration count as `hi`",
            );
        }
    }

    fn while_loop(&mut self, w: &syn::ExprWhile, out: &mut Block) {
        if let Expr::Let(l) = &*w.cond {
            err(
                self.errors,
                l.let_token.span(),
                "`while let` is not supported in differentiated code: use `loop` with a `match` that `break`s, or `while` on a condition",
            );
            return;
        }
        self.no_checkpoint(&w.attrs);
        let (id, label) = self.push_loop(&w.label);
        let mut cond_stmts = Block::default();
        let cond = self.expr(&w.cond, &mut cond_stmts);
        let (body, _) = self.scoped_block(&w.body, false);
        self.loops.pop();
        out.stmts.push(Stmt::Loop(Loop {
            id,
            label,
            kind: LoopKind::While { cond_stmts, cond },
            body,
            counter: None,
            exit: None,
            checkpoint: None,
        }));
    }
}

/// Where `#[checkpoint]` may stand: on a range loop `lo..hi` at the top level
/// of the body (its snapshots and segment bookkeeping are plain locals of the
/// sweep), whose body does not leave it early (segments replay whole
/// iterations).
fn check_checkpoints(b: &Block, top: bool, errors: &mut Vec<syn::Error>) {
    for s in &b.stmts {
        let nested: Vec<&Block> = match s {
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::Match { arms, .. } => arms.iter().map(|a| &a.body).collect(),
            Stmt::Loop(l) => {
                if let Some(c) = &l.checkpoint {
                    if !top {
                        err(errors, c.span, "`#[checkpoint]` applies to a loop at the top level of the function body, not inside another loop or a branch");
                    }
                    if !matches!(l.kind, LoopKind::Range { .. }) {
                        err(errors, c.span, "`#[checkpoint]` applies to range loops (`for i in lo..hi`); loop over indices instead");
                    } else if matches!(
                        l.kind,
                        LoopKind::Range {
                            inclusive: true,
                            ..
                        }
                    ) {
                        err(errors, c.span, "`#[checkpoint]` needs an exclusive range: write `lo..hi + 1` for `lo..=hi`");
                    }
                    let mut leaves = false;
                    walk_stmts(&l.body, &mut |t| {
                        leaves |= matches!(t, Stmt::Return(_))
                            || matches!(t, Stmt::Break(id) | Stmt::Continue(id) if *id == l.id)
                    });
                    if leaves {
                        err(errors, c.span, "a `#[checkpoint]` loop runs every iteration to its end: it cannot contain `return`, or `break`/`continue` of this loop (put the rest of the body in an `if`)");
                    }
                }
                vec![&l.body]
            }
            _ => vec![],
        };
        for n in nested {
            check_checkpoints(n, false, errors);
        }
    }
}

/// What a tensor method takes besides its receiver.
#[derive(Clone, Copy)]
enum TArgs {
    None,
    Tensor,
    Float,
    Int,
    Shape,
}

/// The methods of `Tensor` differentiated code may call, each lowered to the
/// runtime's operation of the same name (`tensor::ad`), which carries its rules.
const TENSOR_METHODS: &[(&str, TArgs)] = &[
    ("sin", TArgs::None),
    ("cos", TArgs::None),
    ("tan", TArgs::None),
    ("asin", TArgs::None),
    ("acos", TArgs::None),
    ("atan", TArgs::None),
    ("sinh", TArgs::None),
    ("cosh", TArgs::None),
    ("tanh", TArgs::None),
    ("exp", TArgs::None),
    ("exp2", TArgs::None),
    ("exp_m1", TArgs::None),
    ("ln", TArgs::None),
    ("log2", TArgs::None),
    ("log10", TArgs::None),
    ("ln_1p", TArgs::None),
    ("sqrt", TArgs::None),
    ("cbrt", TArgs::None),
    ("recip", TArgs::None),
    ("abs", TArgs::None),
    ("signum", TArgs::None),
    ("powi", TArgs::Int),
    ("powf", TArgs::Float),
    ("relu", TArgs::None),
    ("sigmoid", TArgs::None),
    ("softplus", TArgs::None),
    ("logsumexp", TArgs::None),
    ("softmax", TArgs::None),
    ("log_softmax", TArgs::None),
    ("sum", TArgs::None),
    ("mean", TArgs::None),
    ("norm", TArgs::None),
    ("max", TArgs::None),
    ("min", TArgs::None),
    ("sum_axis", TArgs::Int),
    ("dot", TArgs::Tensor),
    ("matmul", TArgs::Tensor),
    ("transpose", TArgs::None),
    ("reshape", TArgs::Shape),
    ("solve", TArgs::Tensor),
    ("inverse", TArgs::None),
    ("cholesky", TArgs::None),
    ("logdet", TArgs::None),
    ("to_vec", TArgs::None),
];

/// Tensor methods no float has: they make their receiver a tensor.
const TENSOR_ONLY_METHODS: &[&str] = &[
    "relu",
    "sigmoid",
    "softplus",
    "logsumexp",
    "softmax",
    "log_softmax",
    "sum",
    "mean",
    "norm",
    "sum_axis",
    "dot",
    "matmul",
    "transpose",
    "reshape",
    "solve",
    "inverse",
    "cholesky",
    "logdet",
];

/// `::differentiate::__private::tensor_ops::NAME`, spanned at the operation.
fn tensor_path(name: &str, span: Span) -> syn::Path {
    let id = syn::Ident::new(name, span);
    syn::parse_quote_spanned!(span=> ::differentiate::__private::tensor_ops::#id)
}

/// A tensor goes to an operation by reference.
fn tensor_arg(a: Atom) -> Atom {
    match a {
        Atom::Var(v) => Atom::Ref(v),
        other => other,
    }
}

/// `Tensor::zeros(...)` and the like.
fn is_tensor_path(path: &syn::Path) -> bool {
    let n = path.segments.len();
    n >= 2 && path.segments[n - 2].ident == "Tensor"
}

/// The kind of a tensor operation's result; `None` for other calls.
fn tensor_op_result(path: &syn::Path) -> Option<Kind> {
    if !path.segments.iter().any(|s| s.ident == "tensor_ops") {
        return None;
    }
    Some(tensor_result_kind(&path.segments.last()?.ident.to_string()))
}

/// The kind of the result of the tensor operation (or method) `name`.
fn tensor_result_kind(name: &str) -> Kind {
    match name {
        "sum" | "mean" | "norm" | "max" | "min" | "dot" | "logdet" => Kind::Float,
        "to_vec" => Kind::Vec(Box::new(Kind::Float)),
        _ => Kind::Tensor,
    }
}

/// The variables an iterator expression draws its items from.
fn iter_sources(e: &Expr) -> Vec<syn::Path> {
    match e {
        Expr::Paren(p) => iter_sources(&p.expr),
        Expr::Group(g) => iter_sources(&g.expr),
        Expr::Reference(r) => iter_sources(&r.expr),
        Expr::Range(_) => Vec::new(),
        Expr::MethodCall(m) => {
            let mut out = iter_sources(&m.receiver);
            if m.method == "zip" || m.method == "chain" {
                for a in &m.args {
                    out.extend(iter_sources(a));
                }
            }
            out
        }
        Expr::Path(p) => vec![p.path.clone()],
        _ => Vec::new(),
    }
}

struct VecRepeat {
    elem: Expr,
    len: Expr,
}

impl syn::parse::Parse for VecRepeat {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<Self> {
        let elem = input.parse()?;
        input.parse::<syn::Token![;]>()?;
        let len = input.parse()?;
        Ok(VecRepeat { elem, len })
    }
}

fn path_ends_with(e: &Expr, name: &str) -> bool {
    match e {
        Expr::Path(p) => {
            p.path.segments.last().is_some_and(|s| s.ident == name) && p.path.segments.len() > 1
        }
        _ => false,
    }
}

fn compound_op(op: &syn::BinOp) -> Option<BinOp> {
    Some(match op {
        syn::BinOp::AddAssign(_) => BinOp::Add,
        syn::BinOp::SubAssign(_) => BinOp::Sub,
        syn::BinOp::MulAssign(_) => BinOp::Mul,
        syn::BinOp::DivAssign(_) => BinOp::Div,
        syn::BinOp::RemAssign(_) => BinOp::Rem,
        syn::BinOp::BitAndAssign(_) => BinOp::Other(OtherOp::BitAnd),
        syn::BinOp::BitOrAssign(_) => BinOp::Other(OtherOp::BitOr),
        syn::BinOp::BitXorAssign(_) => BinOp::Other(OtherOp::BitXor),
        syn::BinOp::ShlAssign(_) => BinOp::Other(OtherOp::Shl),
        syn::BinOp::ShrAssign(_) => BinOp::Other(OtherOp::Shr),
        _ => return None,
    })
}

fn bin_op(op: &syn::BinOp) -> Option<BinOp> {
    use OtherOp::*;
    Some(match op {
        syn::BinOp::Add(_) => BinOp::Add,
        syn::BinOp::Sub(_) => BinOp::Sub,
        syn::BinOp::Mul(_) => BinOp::Mul,
        syn::BinOp::Div(_) => BinOp::Div,
        syn::BinOp::Rem(_) => BinOp::Rem,
        syn::BinOp::Eq(_) => BinOp::Other(Eq),
        syn::BinOp::Ne(_) => BinOp::Other(Ne),
        syn::BinOp::Lt(_) => BinOp::Other(Lt),
        syn::BinOp::Le(_) => BinOp::Other(Le),
        syn::BinOp::Gt(_) => BinOp::Other(Gt),
        syn::BinOp::Ge(_) => BinOp::Other(Ge),
        syn::BinOp::BitAnd(_) => BinOp::Other(BitAnd),
        syn::BinOp::BitOr(_) => BinOp::Other(BitOr),
        syn::BinOp::BitXor(_) => BinOp::Other(BitXor),
        syn::BinOp::Shl(_) => BinOp::Other(Shl),
        syn::BinOp::Shr(_) => BinOp::Other(Shr),
        _ => return None,
    })
}

/// " (did you mean `x`?)" for a close name.
pub fn suggest<'s>(name: &str, candidates: impl Iterator<Item = &'s str>) -> String {
    let best = candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, c)) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Renders an atom as an expression with the variable names chosen.
pub fn atom_tokens(body: &Body, a: &Atom) -> TokenStream {
    match a {
        Atom::Var(v) => {
            let id = syn::Ident::new(&body.vars[*v].name, body.vars[*v].span);
            quote!(#id)
        }
        Atom::Ref(v) => {
            let id = syn::Ident::new(&body.vars[*v].name, body.vars[*v].span);
            quote!(&#id)
        }
        Atom::Const(e) => e.to_token_stream(),
    }
}
