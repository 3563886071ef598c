//! The engine's intermediate form: a function body in A-normal form.
//!
//! Every intermediate value gets its own variable ([`Var`]); every operation
//! reads only atoms (variables, literals, constants). Control flow stays
//! structured (blocks, `if`, `match`, loops) because the output is Rust source,
//! which has no `goto`. Each `let` of the source becomes a distinct variable, so
//! shadowing is gone and names can be chosen freely at code generation.

/// Index of a variable in [`Body::vars`].
pub type VarId = usize;
/// Index of a loop, for `break`/`continue` targets.
pub type LoopId = usize;

/// What the engine knows of a value's type: enough to build zeros and to tell
/// integers (never active) from floats.
#[derive(Clone)]
pub enum Kind {
    /// `f32`, `f64` or a float of not yet known width.
    Float,
    /// An integer (any width): never active.
    Int,
    /// `bool`: never active.
    Bool,
    /// `[K; n]`.
    Array(Box<Kind>, syn::Expr),
    /// `Vec<K>`.
    Vec(Box<Kind>),
    /// `[K]` behind a reference.
    Slice(Box<Kind>),
    /// A tuple.
    Tuple(Vec<Kind>),
    /// A `Tensor<F>` (of the runtime): its arithmetic and methods are calls
    /// of the runtime's tensor operations, which carry their own rules.
    Tensor,
    /// A closure returned by a pullback.
    Closure,
    /// A value whose type the engine cannot see (a call's result, a user type).
    Unknown,
}

impl PartialEq for Kind {
    fn eq(&self, other: &Kind) -> bool {
        use quote::ToTokens;
        match (self, other) {
            (Kind::Float, Kind::Float)
            | (Kind::Int, Kind::Int)
            | (Kind::Bool, Kind::Bool)
            | (Kind::Closure, Kind::Closure)
            | (Kind::Tensor, Kind::Tensor)
            | (Kind::Unknown, Kind::Unknown) => true,
            (Kind::Array(a, n), Kind::Array(b, m)) => {
                a == b && n.to_token_stream().to_string() == m.to_token_stream().to_string()
            }
            (Kind::Vec(a), Kind::Vec(b)) | (Kind::Slice(a), Kind::Slice(b)) => a == b,
            (Kind::Tuple(a), Kind::Tuple(b)) => a == b,
            _ => false,
        }
    }
}

impl Kind {
    /// Integers and booleans never carry a derivative.
    pub fn never_active(&self) -> bool {
        matches!(self, Kind::Int | Kind::Bool)
    }
    /// The element kind of an indexable kind. An element of a value of
    /// unknown type (a call's result) is taken to be a float: the subset
    /// indexes only float buffers, and nested ones have known kinds.
    pub fn element(&self) -> Kind {
        match self {
            Kind::Array(k, _) | Kind::Vec(k) | Kind::Slice(k) => (**k).clone(),
            _ => Kind::Float,
        }
    }
}

/// A variable of the body: a parameter, a source `let`, or a temporary.
#[derive(Clone)]
pub struct Var {
    /// Base name used in generated code (the source name, or a descriptive one).
    pub name: String,
    pub kind: Kind,
    /// Index of the parameter, if it is one.
    pub param: Option<usize>,
    /// Counters and flags made by the engine whose old values are never needed.
    pub no_restore: bool,
    /// The span references to the variable are emitted with (the source's,
    /// for variables the source declares).
    pub span: proc_macro2::Span,
}

/// An operand.
#[derive(Clone)]
pub enum Atom {
    Var(VarId),
    /// `&v`: passes a variable by reference (to a call).
    Ref(VarId),
    /// A literal or a path to a constant: never active.
    Const(syn::Expr),
}

impl Atom {
    pub fn var(&self) -> Option<VarId> {
        match self {
            Atom::Var(v) | Atom::Ref(v) => Some(*v),
            Atom::Const(_) => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// Comparisons and bit/logic operators: results never active.
    Other(OtherOp),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum OtherOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    Deref,
}

/// The right-hand side of an assignment: one operation on atoms.
#[derive(Clone)]
pub enum Rhs {
    Atom(Atom),
    Unary(UnOp, Atom),
    Binary(BinOp, Atom, Atom),
    /// A row of the scalar rule table: `args[0].name(args[1..])`; `int_arg` is
    /// the non-differentiable integer argument of `powi`.
    Prim {
        rule: usize,
        args: Vec<Atom>,
        int_arg: Option<Atom>,
    },
    /// A method with an inactive result (`len`, `is_nan`, ...).
    InactiveMethod {
        recv: Atom,
        method: syn::Ident,
        args: Vec<Atom>,
    },
    /// A call to a function with derivatives (`#[differentiate]` or a custom rule).
    Call {
        path: syn::Path,
        args: Vec<Atom>,
    },
    /// A call to one of the runtime's zero-derivative helpers.
    NoDiff {
        path: syn::Path,
        args: Vec<Atom>,
    },
    /// `zero_like(&x)` in generated code: a constant.
    ZeroLike(Atom),
    /// `cast_as(value, like)`: linear in `value`.
    CastAs(Atom, Atom),
    /// `pop(&mut stack)`.
    Pop(VarId),
    /// `base[i][j]...`
    Index(VarId, Vec<Atom>),
    /// `t.0`, `p.weights`
    Field(Atom, syn::Member),
    Tuple(Vec<Atom>),
    Array(Vec<Atom>),
    /// `vec![a, b]`
    VecLit(Vec<Atom>),
    /// `[elem; len]` (`vec == false`) or `vec![elem; len]`.
    Repeat {
        elem: Atom,
        len: syn::Expr,
        vec: bool,
    },
    /// `Vec::new()` / `Vec::with_capacity(n)`.
    VecNew(Option<Atom>),
    /// `x as T`.
    Cast(Atom, syn::Type),
    /// `x.clone()` / `x.to_vec()`: a copy.
    Copy(Atom, Option<syn::Ident>),
}

/// A statement.
// Bodies hold tens to thousands of statements: variant size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Stmt {
    /// `let [mut] v = rhs;` (`rhs == None`: `let v;`, assigned later).
    Let {
        var: VarId,
        rhs: Option<Rhs>,
    },
    /// `v = rhs;` `def` is true when this is the variable's first value on every
    /// path (a `let v;` assigned in the branches of an `if`): nothing is overwritten.
    Assign {
        var: VarId,
        rhs: Rhs,
        def: bool,
    },
    /// `v[i]... = value;`
    IndexAssign {
        var: VarId,
        index: Vec<Atom>,
        value: Atom,
    },
    /// `v.push(value);`
    Push {
        var: VarId,
        value: Atom,
    },
    /// `accumulate(&mut v, value);` (`v += value` for any adjoint type).
    Accumulate {
        var: VarId,
        value: Atom,
    },
    /// A call whose result is discarded (only for inactive calls).
    Discard(Rhs),
    If {
        cond: Atom,
        then: Block,
        els: Block,
    },
    /// `record` (reverse mode): a variable set to the index of the arm taken.
    Match {
        scrut: Atom,
        arms: Vec<Arm>,
        record: Option<VarId>,
    },
    Loop(Loop),
    Break(LoopId),
    Continue(LoopId),
    Return(Atom),
    /// Code the engine passes through untouched (`println!`, `assert!`).
    Inactive(proc_macro2::TokenStream),
    /// Reverse mode: variables a pattern defines at this point (a `for`
    /// pattern, a `match` arm), so they are locals of the block like `let`s.
    Bind(Vec<VarId>),
}

#[derive(Clone)]
pub struct Arm {
    pub pat: syn::Pat,
    /// Variables the pattern binds (inactive).
    pub binds: Vec<VarId>,
    pub body: Block,
}

#[derive(Clone)]
pub struct Loop {
    pub id: LoopId,
    pub label: Option<syn::Lifetime>,
    pub kind: LoopKind,
    pub body: Block,
    /// Reverse mode: a counter of the iterations run, when the reverse sweep
    /// cannot re-run the range.
    pub counter: Option<VarId>,
    /// Reverse mode: leave the loop when this flag is set, checked after the
    /// body (and its saves) ran to its end.
    pub exit: Option<Atom>,
    /// `#[checkpoint]` on the loop: reverse mode keeps snapshots of the loop's
    /// state at segment starts instead of every iteration's saves.
    pub checkpoint: Option<Checkpoint>,
}

/// How a checkpointed loop is cut into segments.
#[derive(Clone)]
pub struct Checkpoint {
    /// Iterations per segment; `None`: the ceiling of the square root of the
    /// trip count.
    pub every: Option<Atom>,
    /// The attribute, for errors.
    pub span: proc_macro2::Span,
}

#[derive(Clone)]
pub enum LoopKind {
    /// `for pat in lo..hi` / `lo..=hi` with one integer variable.
    Range {
        var: VarId,
        lo: Atom,
        hi: Atom,
        inclusive: bool,
    },
    /// `for pat in <inactive iterator>`.
    Iter {
        pat: syn::Pat,
        binds: Vec<VarId>,
        iter: proc_macro2::TokenStream,
        iter_vars: Vec<VarId>,
    },
    /// `while cond` where `cond` needs no statements.
    While { cond_stmts: Block, cond: Atom },
    /// `loop`.
    Loop,
}

#[derive(Clone, Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

/// A lowered function body.
#[derive(Clone)]
pub struct Body {
    pub vars: Vec<Var>,
    pub block: Block,
    /// The value returned at the end of the body.
    pub result: Atom,
    pub loops: usize,
}

impl Body {
    pub fn new_var(&mut self, name: impl Into<String>, kind: Kind) -> VarId {
        self.vars.push(Var {
            name: name.into(),
            kind,
            param: None,
            no_restore: false,
            span: proc_macro2::Span::call_site(),
        });
        self.vars.len() - 1
    }
}

impl Rhs {
    /// Every atom the right-hand side reads.
    pub fn atoms(&self) -> Vec<&Atom> {
        match self {
            Rhs::Atom(a) | Rhs::Unary(_, a) | Rhs::ZeroLike(a) | Rhs::Field(a, _) => vec![a],
            Rhs::Cast(a, _) | Rhs::Copy(a, _) => vec![a],
            Rhs::Binary(_, a, b) | Rhs::CastAs(a, b) => vec![a, b],
            Rhs::Prim { args, int_arg, .. } => args.iter().chain(int_arg.iter()).collect(),
            Rhs::InactiveMethod { recv, args, .. } => std::iter::once(recv).chain(args).collect(),
            Rhs::Call { args, .. } | Rhs::NoDiff { args, .. } => args.iter().collect(),
            Rhs::Tuple(xs) | Rhs::Array(xs) | Rhs::VecLit(xs) => xs.iter().collect(),
            Rhs::Index(_, idx) => idx.iter().collect(),
            Rhs::Repeat { elem, .. } => vec![elem],
            Rhs::VecNew(n) => n.iter().collect(),
            Rhs::Pop(_) => vec![],
        }
    }

    /// Every variable the right-hand side reads (including indexed bases).
    pub fn reads(&self) -> Vec<VarId> {
        let mut v: Vec<VarId> = self.atoms().into_iter().filter_map(Atom::var).collect();
        match self {
            Rhs::Index(b, _) | Rhs::Pop(b) => v.push(*b),
            _ => {}
        }
        v
    }
}

impl Stmt {
    /// The variables this statement itself reads (not the statements nested
    /// in it): right-hand sides, stored values and indices, conditions,
    /// scrutinees, loop bounds and exits. An element write `v[i] = x` reads
    /// `i` and `x`, not `v`.
    pub fn reads(&self) -> Vec<VarId> {
        let mut atoms: Vec<&Atom> = Vec::new();
        let mut vars = Vec::new();
        match self {
            Stmt::Let { rhs: Some(r), .. } | Stmt::Assign { rhs: r, .. } | Stmt::Discard(r) => {
                vars = r.reads()
            }
            Stmt::IndexAssign { index, value, .. } => atoms.extend(index.iter().chain([value])),
            Stmt::Push { value, .. } | Stmt::Accumulate { value, .. } | Stmt::Return(value) => {
                atoms.push(value)
            }
            Stmt::If { cond, .. } => atoms.push(cond),
            Stmt::Match { scrut, .. } => atoms.push(scrut),
            Stmt::Loop(l) => {
                atoms.extend(l.exit.iter());
                match &l.kind {
                    LoopKind::Range { lo, hi, .. } => atoms.extend([lo, hi]),
                    LoopKind::While { cond, .. } => atoms.push(cond),
                    LoopKind::Iter { iter_vars, .. } => vars.extend(iter_vars.iter().copied()),
                    LoopKind::Loop => {}
                }
            }
            Stmt::Let { rhs: None, .. }
            | Stmt::Break(_)
            | Stmt::Continue(_)
            | Stmt::Inactive(_)
            | Stmt::Bind(_) => {}
        }
        vars.extend(atoms.into_iter().filter_map(Atom::var));
        vars
    }
}

/// Calls `f` on every statement, depth first.
pub fn walk_stmts<'a>(block: &'a Block, f: &mut dyn FnMut(&'a Stmt)) {
    for s in &block.stmts {
        walk_stmt(s, f);
    }
}

/// One statement, then every statement nested in it.
pub fn walk_stmt<'a>(s: &'a Stmt, f: &mut dyn FnMut(&'a Stmt)) {
    f(s);
    match s {
        Stmt::If { then, els, .. } => {
            walk_stmts(then, f);
            walk_stmts(els, f);
        }
        Stmt::Match { arms, .. } => {
            for a in arms {
                walk_stmts(&a.body, f);
            }
        }
        Stmt::Loop(l) => {
            if let LoopKind::While { cond_stmts, .. } = &l.kind {
                walk_stmts(cond_stmts, f);
            }
            walk_stmts(&l.body, f);
        }
        _ => {}
    }
}
