//! Reverse mode: a forward sweep that keeps what the reverse sweep will need,
//! then the adjoint sweep over the statements in reverse order.
//!
//! The reverse sweep runs the primal state *backwards*: when it reaches a
//! statement, every variable holds the value it had just after that statement
//! ran forward. Three mechanisms keep that true at a cost proportional to what
//! is really needed (a to-be-recorded analysis, not "save everything"):
//!
//! - **needed**: the set of variables whose values some adjoint computation
//!   reads (operands of nonlinear operations, indices, branch conditions, loop
//!   bounds, arguments of calls). Nothing else is ever saved.
//! - **restore on overwrite**: a needed variable that is overwritten has its
//!   old value saved just before (a local at the top level, a stack inside
//!   branches and loops) and put back when the reverse sweep passes the write.
//! - **block locals**: a needed variable declared inside a loop body or a
//!   branch dies with its block, so it reaches the reverse block either by
//!   *recomputation* (a pure operation on values still available: the common
//!   case, which keeps loops like Rosenbrock's free of any stack) or by a push
//!   at the end of the forward block and a pop at the start of the reverse one.
//!
//! Control flow is replayed from recorded facts: branch conditions are needed
//! variables like any other, loops count their iterations (or re-run their
//! range backwards), `match` records the arm taken, and `break`, `continue` and
//! early `return` are first lowered to flags so every block runs to its end.
//!
//! Calls: in the emitted function (split mode) a call runs the callee's
//! `__pullback`, which returns the callee's reverse sweep as a closure; the
//! caller's reverse sweep calls it, so no callee is ever recomputed and the
//! cost stays a constant factor at any call depth. The copy of the function
//! fed to further (stacked) transforms uses joint mode instead, calling the
//! callee's `__vjp` in the reverse sweep, because it must stay in the subset
//! the engine can differentiate again.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand::{Conv, Lowered};
use crate::gen::{const_zero, derived_path, rt, times, Gen};
use crate::ir::*;
use crate::rules::Rules;
use crate::types::DType;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CallStyle {
    /// Calls go through the callee's pullback closure (the emitted code).
    Split,
    /// Calls re-run through the callee's `__vjp` (the copy fed to stacked transforms).
    Joint,
}

/// Rewrites a body for the reverse transform: jumps become flags, calls get a
/// variable of their own (and a pullback variable), loops get counters and
/// `match`es a record of the arm taken.
///
/// `escapes`: the reverse sweep runs after the function returns (a pullback),
/// so a callee's pullback must not borrow this function's locals: such calls
/// are re-run through the callee's `__vjp` instead (joint mode).
pub fn prepare(
    body: &mut Body,
    ret: &DType,
    calls: CallStyle,
    escapes: bool,
) -> HashMap<VarId, VarId> {
    // Variables written after their definition: a callee's pullback must not
    // keep a borrow of one alive until the reverse sweep.
    let mut written: HashSet<VarId> = HashSet::new();
    walk_stmts(&body.block, &mut |s| match s {
        Stmt::Assign { var, .. }
        | Stmt::IndexAssign { var, .. }
        | Stmt::Push { var, .. }
        | Stmt::Accumulate { var, .. } => {
            written.insert(*var);
        }
        _ => {}
    });
    let mut p = Prep {
        written,
        body,
        pullbacks: HashMap::new(),
        calls,
        escapes,
        depth: 0,
        flags: HashMap::new(),
        returned: None,
        ret_val: None,
    };
    let has_return = {
        let mut r = false;
        walk_stmts(&p.body.block, &mut |s| r |= matches!(s, Stmt::Return(_)));
        r
    };
    let mut block = std::mem::take(&mut p.body.block);
    if has_return {
        let kind = ret.kind();
        let zero: syn::Expr = match ret.const_zero() {
            Some(z) if !matches!(ret, DType::Inactive) => syn::parse2(z).unwrap(),
            _ => match ret {
                DType::Vec(_) => syn::parse_quote!(::std::vec::Vec::new()),
                _ => syn::parse_quote!(::core::default::Default::default()),
            },
        };
        let rv = p.body.new_var("ret_val", kind);
        let rf = p.body.new_var("returned", Kind::Bool);
        p.body.vars[rf].no_restore = true;
        p.ret_val = Some(rv);
        p.returned = Some(rf);
        let result = p.body.result.clone();
        block.stmts.push(Stmt::Assign {
            var: rv,
            rhs: Rhs::Atom(result),
            def: false,
        });
        let mut top = Block::default();
        top.stmts.push(Stmt::Let {
            var: rv,
            rhs: Some(Rhs::Atom(Atom::Const(zero))),
        });
        top.stmts.push(Stmt::Let {
            var: rf,
            rhs: Some(Rhs::Atom(Atom::Const(syn::parse_quote!(false)))),
        });
        top.stmts.extend(p.block(block).stmts);
        p.body.result = Atom::Var(rv);
        p.body.block = top;
    } else {
        p.body.block = p.block(block);
    }
    make_names_unique(p.body);
    p.pullbacks
}

/// Joint-mode code is differentiated again by stacked levels: it runs
/// checkpointed loops plainly (snapshots and stack truncation are outside the
/// subset the engine reads back).
pub fn drop_checkpoints(body: &mut Body) {
    for s in &mut body.block.stmts {
        if let Stmt::Loop(l) = s {
            l.checkpoint = None;
        }
    }
}

/// Variables made here get base names; give them unique ones.
fn make_names_unique(body: &mut Body) {
    let mut seen: HashSet<String> = HashSet::new();
    for i in 0..body.vars.len() {
        let base = body.vars[i].name.clone();
        let mut name = base.clone();
        let mut k = 1;
        while seen.contains(&name) {
            name = format!("{base}{k}");
            k += 1;
        }
        seen.insert(name.clone());
        body.vars[i].name = name;
    }
}

struct Prep<'b> {
    body: &'b mut Body,
    pullbacks: HashMap<VarId, VarId>,
    calls: CallStyle,
    escapes: bool,
    /// Blocks entered: 1 at the function's top level.
    depth: usize,
    /// Variables written after their definition.
    written: HashSet<VarId>,
    /// Per loop: (break flag, continue flag).
    flags: HashMap<LoopId, (Option<VarId>, Option<VarId>)>,
    returned: Option<VarId>,
    ret_val: Option<VarId>,
}

/// Which loops (and whether a `return`) a block can jump out of.
fn jumps(b: &Block, out: &mut (HashSet<LoopId>, HashSet<LoopId>, bool)) {
    walk_stmts(b, &mut |s| match s {
        Stmt::Break(l) => {
            out.0.insert(*l);
        }
        Stmt::Continue(l) => {
            out.1.insert(*l);
        }
        Stmt::Return(_) => out.2 = true,
        _ => {}
    });
}

fn stmt_jumps(s: &Stmt) -> (HashSet<LoopId>, HashSet<LoopId>, bool) {
    let mut j = (HashSet::new(), HashSet::new(), false);
    let b = Block {
        stmts: vec![s.clone()],
    };
    jumps(&b, &mut j);
    j
}

impl Prep<'_> {
    fn flag(&mut self, name: &str) -> VarId {
        let v = self.body.new_var(name, Kind::Bool);
        self.body.vars[v].no_restore = true;
        v
    }

    fn block(&mut self, b: Block) -> Block {
        self.depth += 1;
        let out = self.block_in(b);
        self.depth -= 1;
        out
    }

    fn block_in(&mut self, b: Block) -> Block {
        let mut out = Block::default();
        let mut stmts = b.stmts.into_iter();
        while let Some(s) = stmts.next() {
            let (brks, cnts, ret) = stmt_jumps(&s);
            // Jumps to loops that enclose this block (not loops inside `s`).
            let mut stop: Vec<VarId> = Vec::new();
            for l in brks {
                if let Some((Some(f), _)) = self.flags.get(&l) {
                    stop.push(*f);
                }
            }
            for l in cnts {
                if let Some((_, Some(f))) = self.flags.get(&l) {
                    stop.push(*f);
                }
            }
            if ret {
                stop.extend(self.returned);
            }
            self.stmt(s, &mut out);
            let rest: Vec<Stmt> = stmts.by_ref().collect();
            if rest.is_empty() {
                break;
            }
            if stop.is_empty() {
                stmts = rest.into_iter();
                continue;
            }
            // The rest of the block runs only if no jump happened.
            stop.sort_unstable();
            stop.dedup();
            let any = self.or_flags(&stop, &mut out);
            let go = self.body.new_var("go", Kind::Bool);
            out.stmts.push(Stmt::Let {
                var: go,
                rhs: Some(Rhs::Unary(UnOp::Not, any)),
            });
            let then = self.block(Block { stmts: rest });
            out.stmts.push(Stmt::If {
                cond: Atom::Var(go),
                then,
                els: Block::default(),
            });
            break;
        }
        out
    }

    fn or_flags(&mut self, flags: &[VarId], out: &mut Block) -> Atom {
        let mut acc = Atom::Var(flags[0]);
        for f in &flags[1..] {
            let t = self.body.new_var("jumped", Kind::Bool);
            out.stmts.push(Stmt::Let {
                var: t,
                rhs: Some(Rhs::Binary(
                    BinOp::Other(OtherOp::BitOr),
                    acc,
                    Atom::Var(*f),
                )),
            });
            acc = Atom::Var(t);
        }
        acc
    }

    fn stmt(&mut self, s: Stmt, out: &mut Block) {
        let t: syn::Expr = syn::parse_quote!(true);
        match s {
            Stmt::Break(l) => {
                let f = self.flags[&l].0.unwrap();
                out.stmts.push(Stmt::Assign {
                    var: f,
                    rhs: Rhs::Atom(Atom::Const(t)),
                    def: false,
                });
            }
            Stmt::Continue(l) => {
                let f = self.flags[&l].1.unwrap();
                out.stmts.push(Stmt::Assign {
                    var: f,
                    rhs: Rhs::Atom(Atom::Const(t)),
                    def: false,
                });
            }
            Stmt::Return(a) => {
                let (rv, rf) = (self.ret_val.unwrap(), self.returned.unwrap());
                out.stmts.push(Stmt::Assign {
                    var: rv,
                    rhs: Rhs::Atom(a),
                    def: false,
                });
                out.stmts.push(Stmt::Assign {
                    var: rf,
                    rhs: Rhs::Atom(Atom::Const(t)),
                    def: false,
                });
            }
            Stmt::If { cond, then, els } => {
                let then = self.block(then);
                let els = self.block(els);
                out.stmts.push(Stmt::If { cond, then, els });
            }
            Stmt::Match { scrut, arms, .. } => {
                let rec = self.body.new_var("arm", Kind::Int);
                out.stmts.push(Stmt::Let {
                    var: rec,
                    rhs: None,
                });
                let arms = arms
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        let mut body = Block::default();
                        let lit: syn::Expr = syn::parse_quote!(#i);
                        body.stmts.push(Stmt::Bind(a.binds.clone()));
                        body.stmts.push(Stmt::Assign {
                            var: rec,
                            rhs: Rhs::Atom(Atom::Const(lit)),
                            def: true,
                        });
                        body.stmts.extend(self.block(a.body).stmts);
                        Arm {
                            pat: a.pat,
                            binds: a.binds,
                            body,
                        }
                    })
                    .collect();
                out.stmts.push(Stmt::Match {
                    scrut,
                    arms,
                    record: Some(rec),
                });
            }
            Stmt::Loop(mut l) => {
                let (brks, cnts, ret) = {
                    let mut j = (HashSet::new(), HashSet::new(), false);
                    jumps(&l.body, &mut j);
                    j
                };
                // Loops around this one (their flags exist already).
                let enclosing: HashSet<LoopId> = self.flags.keys().copied().collect();
                let brk = (brks.contains(&l.id)).then(|| self.flag("broke"));
                let cnt = (cnts.contains(&l.id)).then(|| self.flag("skip"));
                self.flags.insert(l.id, (brk, cnt));
                let f: syn::Expr = syn::parse_quote!(false);
                if let Some(b) = brk {
                    out.stmts.push(Stmt::Let {
                        var: b,
                        rhs: Some(Rhs::Atom(Atom::Const(f.clone()))),
                    });
                }
                // A range loop without early exits re-runs its range backwards;
                // every other loop counts its iterations.
                let outer_jump = brks.iter().chain(&cnts).any(|o| enclosing.contains(o));
                let needs_counter =
                    !matches!(l.kind, LoopKind::Range { .. }) || brk.is_some() || ret || outer_jump;
                let counter = needs_counter.then(|| {
                    let c = self.body.new_var("iters", Kind::Int);
                    self.body.vars[c].no_restore = true;
                    out.stmts.push(Stmt::Let {
                        var: c,
                        // Untyped: it takes the type of the range it replays (`lo..lo + iters`).
                        rhs: Some(Rhs::Atom(Atom::Const(syn::parse_quote!(0)))),
                    });
                    c
                });
                let mut body = Block::default();
                if let LoopKind::Iter { binds, .. } = &l.kind {
                    body.stmts.push(Stmt::Bind(binds.clone()));
                }
                if let Some(c) = cnt {
                    body.stmts.push(Stmt::Let {
                        var: c,
                        rhs: Some(Rhs::Atom(Atom::Const(f))),
                    });
                }
                body.stmts.extend(std::mem::take(&mut l.body).stmts);
                let mut body = self.block(body);
                if let Some(c) = counter {
                    body.stmts.push(Stmt::Assign {
                        var: c,
                        rhs: Rhs::Binary(
                            BinOp::Add,
                            Atom::Var(c),
                            Atom::Const(syn::parse_quote!(1)),
                        ),
                        def: false,
                    });
                }
                let mut exit: Vec<VarId> = brk.into_iter().collect();
                if ret {
                    exit.extend(self.returned);
                }
                // A `break`/`continue` to an enclosing loop leaves this one too.
                for outer in brks.iter().chain(&cnts).filter(|o| enclosing.contains(o)) {
                    if let Some((b, c)) = self.flags.get(outer) {
                        exit.extend(b.iter().chain(c.iter()).copied());
                    }
                }
                exit.sort_unstable();
                exit.dedup();
                if !exit.is_empty() {
                    l.exit = Some(self.or_flags(&exit, &mut body));
                }
                l.body = body;
                l.counter = counter;
                if let LoopKind::While { cond_stmts, .. } = &mut l.kind {
                    *cond_stmts = self.block(std::mem::take(cond_stmts));
                }
                out.stmts.push(Stmt::Loop(l));
            }
            Stmt::Assign {
                var,
                rhs: rhs @ Rhs::Call { .. },
                def,
            } => {
                // Give every call its own variable (and pullback).
                let kind = self.body.vars[var].kind.clone();
                let name = format!("{}_call", self.body.vars[var].name);
                let t = self.body.new_var(name, kind);
                self.stmt(
                    Stmt::Let {
                        var: t,
                        rhs: Some(rhs),
                    },
                    out,
                );
                out.stmts.push(Stmt::Assign {
                    var,
                    rhs: Rhs::Atom(Atom::Var(t)),
                    def,
                });
            }
            Stmt::Let {
                var,
                rhs: Some(rhs @ Rhs::Call { .. }),
            } => {
                let borrows_local = match &rhs {
                    Rhs::Call { args, .. } => args
                        .iter()
                        // `&v` borrows the variable `v` itself, a local of
                        // this function even when `v` is a parameter.
                        .any(|a| matches!(a, Atom::Ref(_))),
                    _ => false,
                };
                // A pullback that borrows a local cannot outlive it: not when
                // it is returned (a pullback function), nor when it is kept on
                // a stack past the block that owns the local.
                let outlives = self.escapes
                    || self.depth > 1
                    || matches!(&rhs, Rhs::Call { args, .. } if args.iter().any(|a| matches!(a, Atom::Ref(v) if self.written.contains(v))));
                if self.calls == CallStyle::Split && !(outlives && borrows_local) {
                    let name = format!("{}_pullback", self.body.vars[var].name);
                    let pb = self.body.new_var(name, Kind::Closure);
                    self.pullbacks.insert(var, pb);
                }
                out.stmts.push(Stmt::Let {
                    var,
                    rhs: Some(rhs),
                });
            }
            other => out.stmts.push(other),
        }
    }
}

pub struct Reverse<'g, 'a> {
    g: &'g mut Gen<'a>,
    low: &'g Lowered,
    active_params: &'g [VarId],
    conv: Conv,
    pullbacks: HashMap<VarId, VarId>,
    seed: syn::Ident,
    /// Values the reverse sweep reads.
    needed: HashSet<VarId>,
    /// Block locals recomputed at the start of their reverse block.
    recompute: HashSet<VarId>,
    /// Variables only ever defined by one `let` (never written again).
    stable: HashSet<VarId>,
    /// Stacks, per variable, for values saved inside blocks.
    stacks: HashMap<VarId, syn::Ident>,
    /// Stacks for the old values of overwritten elements (`v[i] = ...`),
    /// apart from the stack of whole values of `v`.
    elem_stacks: HashMap<VarId, syn::Ident>,
    /// Top-level saves before an overwrite: a local per write.
    saves: Vec<syn::Ident>,
    /// Writes of needed variables whose old value no reverse code reads
    /// (`find_unobserved_writes`): neither saved nor restored.
    unobserved: HashSet<*const Stmt>,
    /// Checkpointed loops (`#[checkpoint]`, split conventions only): their
    /// state and what they read from outside.
    ck_loops: HashMap<LoopId, CkLoop>,
    /// Names the forward sweep of a checkpointed loop made, for its reverse.
    ck_names: HashMap<LoopId, CkNames>,
    /// The pullback returns its closure boxed (recursive functions).
    pub boxed: bool,
    /// Save stacks of owned values take their buffers from the runtime's
    /// per-thread pool (`__private::Stack`); off for code differentiated again.
    pub pooled: bool,
    /// Block locals recomputed late, at the reverse of their last reader
    /// (after the overwrites of their operands have been undone): the
    /// statement index of that reader.
    late: HashMap<VarId, usize>,
    /// Late recomputations to emit in the reverse statement being generated.
    pending: Vec<TokenStream>,
    /// Generating a fused loop: forward values are in scope, nothing is recomputed.
    fusing: bool,
    labels: Vec<Option<syn::Lifetime>>,
}

impl<'g, 'a> Reverse<'g, 'a> {
    pub fn new(
        g: &'g mut Gen<'a>,
        low: &'g Lowered,
        active_params: &'g [VarId],
        conv: Conv,
        pullbacks: HashMap<VarId, VarId>,
        seed: syn::Ident,
    ) -> Self {
        let labels = crate::forward::loop_labels(g.body);
        let mut r = Reverse {
            g,
            low,
            active_params,
            conv,
            pullbacks,
            seed,
            needed: HashSet::new(),
            recompute: HashSet::new(),
            stable: HashSet::new(),
            stacks: HashMap::new(),
            elem_stacks: HashMap::new(),
            saves: Vec::new(),
            unobserved: HashSet::new(),
            ck_loops: HashMap::new(),
            ck_names: HashMap::new(),
            boxed: false,
            pooled: false,
            late: HashMap::new(),
            pending: Vec::new(),
            fusing: false,
            labels,
        };
        r.analyze();
        r
    }

    fn body(&self) -> &'a Body {
        self.g.body
    }

    fn active(&self, v: VarId) -> bool {
        self.g.act.active(v)
    }

    /// The primal values one statement's own adjoint code reads (not counting
    /// the statements nested in it, nor recomputations placed at it).
    fn adjoint_reads(&self, s: &Stmt) -> Vec<VarId> {
        let act = self.g.act;
        let mut out = Vec::new();
        let mut add = |a: &Atom| out.extend(a.var());
        match s {
            Stmt::Let {
                var,
                rhs: Some(rhs),
            }
            | Stmt::Assign { var, rhs, .. }
                if act.active(*var) =>
            {
                match rhs {
                    // d(a*b): the adjoint of each operand reads the other one.
                    Rhs::Binary(BinOp::Mul, a, b) => {
                        if a.var().is_some_and(|v| act.active(v)) {
                            add(b);
                        }
                        if b.var().is_some_and(|v| act.active(v)) {
                            add(a);
                        }
                    }
                    Rhs::Binary(BinOp::Div | BinOp::Rem, a, b) => {
                        add(b);
                        if b.var().is_some_and(|v| act.active(v)) {
                            add(a);
                        }
                    }
                    Rhs::Prim {
                        rule,
                        args,
                        int_arg,
                    } => {
                        args.iter().chain(int_arg.iter()).for_each(&mut add);
                        if Rules::get().rows[*rule].uses_out {
                            out.push(*var);
                        }
                    }
                    Rhs::Index(_, idx) => idx.iter().for_each(add),
                    Rhs::Cast(a, _) | Rhs::CastAs(a, _) => add(a),
                    Rhs::Call { args, .. } => match self.pullbacks.get(var) {
                        Some(pb) => out.push(*pb),
                        None => args.iter().for_each(add),
                    },
                    Rhs::Pop(_) => out.push(*var),
                    _ => {}
                }
            }
            Stmt::IndexAssign { var, index, .. } if act.active(*var) => index.iter().for_each(add),
            _ => {}
        }
        out
    }

    /// The values each statement's adjoint code reads, the stable variables,
    /// and which block locals are recomputed rather than stored.
    fn analyze(&mut self) {
        let body = self.body();
        let act = self.g.act;
        let mut defs: HashMap<VarId, usize> = HashMap::new();
        let mut needed: HashSet<VarId> = HashSet::new();
        // A checkpointed loop replays its body in the reverse sweep: what it
        // reads from outside must then hold the values it had, so writes
        // after the loop restore them (its own state comes from snapshots).
        {
            for s in &body.block.stmts {
                if let Stmt::Loop(l) = s {
                    if l.checkpoint.is_some() {
                        let ck = CkLoop::of(l);
                        needed.extend(ck.outer_reads.iter().copied());
                        self.ck_loops.insert(l.id, ck);
                    }
                }
            }
        }
        walk_stmts(&body.block, &mut |s| {
            match s {
                Stmt::Let { var, rhs } => {
                    *defs.entry(*var).or_default() += if rhs.is_some() { 1 } else { 0 };
                }
                Stmt::Assign { var, .. } => {
                    *defs.entry(*var).or_default() += 2;
                }
                _ => {}
            }
            needed.extend(self.adjoint_reads(s));
            match s {
                Stmt::Let {
                    var,
                    rhs: Some(Rhs::Pop(s)),
                }
                | Stmt::Assign {
                    var,
                    rhs: Rhs::Pop(s),
                    ..
                } if needed.contains(s) => {
                    needed.insert(*var);
                }
                _ => {}
            }
        });
        self.replay_needs(&mut needed);
        for (v, var) in body.vars.iter().enumerate() {
            if act.active(v) && const_zero(&var.kind).is_none() {
                needed.insert(v);
            }
        }
        // A stack that is popped (generated code differentiated again) is state:
        // undoing a pop pushes the value back, undoing a push pops it, so both
        // the stack and the popped values are kept.
        walk_stmts(&body.block, &mut |s| {
            if let Stmt::Let {
                var,
                rhs: Some(Rhs::Pop(st)),
            }
            | Stmt::Assign {
                var,
                rhs: Rhs::Pop(st),
                ..
            } = s
            {
                needed.insert(*st);
                needed.insert(*var);
            }
        });
        let stable: HashSet<VarId> = defs
            .iter()
            .filter(|(v, n)| **n == 1 && !self.g.mutated.contains(v))
            .map(|(v, _)| *v)
            .chain(
                body.vars
                    .iter()
                    .enumerate()
                    .filter(|(v, x)| x.param.is_some() && !self.g.mutated.contains(v))
                    .map(|(v, _)| v),
            )
            .collect();
        // Recompute: pure operations on stable, available values.
        let mut rhs_of: HashMap<VarId, &Rhs> = HashMap::new();
        walk_stmts(&body.block, &mut |s| {
            if let Stmt::Let {
                var,
                rhs: Some(rhs),
            } = s
            {
                rhs_of.insert(*var, rhs);
            }
        });
        let top: HashSet<VarId> = body
            .block
            .stmts
            .iter()
            .filter_map(|s| match s {
                Stmt::Let { var, .. } => Some(*var),
                _ => None,
            })
            .flat_map(|v| std::iter::once(v).chain(self.pullbacks.get(&v).copied()))
            .chain(
                body.vars
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.param.is_some())
                    .map(|(v, _)| v),
            )
            .collect();
        let range_vars: HashSet<VarId> = {
            let mut r = HashSet::new();
            walk_stmts(&body.block, &mut |s| {
                if let Stmt::Loop(Loop {
                    kind: LoopKind::Range { var, .. },
                    ..
                }) = s
                {
                    r.insert(*var);
                }
            });
            r
        };
        let mut recompute: HashSet<VarId> = HashSet::new();
        loop {
            let mut changed = false;
            for v in needed.clone() {
                if top.contains(&v)
                    || recompute.contains(&v)
                    || range_vars.contains(&v)
                    || !stable.contains(&v)
                {
                    continue;
                }
                let Some(rhs) = rhs_of.get(&v) else { continue };
                let pure = matches!(
                    rhs,
                    Rhs::Atom(_)
                        | Rhs::Unary(..)
                        | Rhs::Binary(..)
                        | Rhs::Prim { .. }
                        | Rhs::Index(..)
                        | Rhs::Field(..)
                        | Rhs::Cast(..)
                        | Rhs::CastAs(..)
                        | Rhs::Tuple(_)
                        | Rhs::NoDiff { .. }
                ) || matches!(rhs, Rhs::InactiveMethod { method, .. } if method == "len");
                let base_ok = match rhs {
                    Rhs::Index(b, _) => stable.contains(b),
                    _ => true,
                };
                let reads_ok = rhs
                    .reads()
                    .iter()
                    .all(|u| stable.contains(u) || range_vars.contains(u));
                if pure && base_ok && reads_ok && !matches!(body.vars[v].kind, Kind::Closure) {
                    recompute.insert(v);
                    changed = true;
                }
            }
            for v in recompute.clone() {
                for u in rhs_of[&v].reads() {
                    if needed.insert(u) {
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        self.needed = needed;
        self.recompute = recompute;
        self.stable = stable;
        let mut late = HashMap::new();
        self.find_late(&body.block, true, &range_vars, &mut late);
        for v in late.keys() {
            for u in rhs_of[v].reads() {
                self.needed.insert(u);
            }
        }
        self.late = late;
        // Recomputation needs more values: more loops and branches may replay.
        let mut needed = std::mem::take(&mut self.needed);
        self.replay_needs(&mut needed);
        self.needed = needed;
        self.find_unobserved_writes();
        // A stack for every needed variable that is saved inside a block.
        let mut stacks = HashMap::new();
        let needed = &self.needed;
        let mut names: Vec<(VarId, String)> = Vec::new();
        for &v in needed {
            if !top.contains(&v)
                && !self.recompute.contains(&v)
                && !range_vars.contains(&v)
                && !self.late.contains_key(&v)
            {
                names.push((v, format!("{}_stack", body.vars[v].name)));
            }
        }
        // Overwrites of needed variables inside blocks.
        let mut elems = Vec::new();
        self.collect_overwrite_stacks(&body.block, 0, &mut names, &mut elems);
        names.sort();
        names.dedup();
        let mut elem_stacks = HashMap::new();
        for (v, n) in names {
            let id = self.g.names.fresh(&n);
            stacks.insert(v, id);
        }
        elems.sort();
        elems.dedup();
        for (v, n) in elems {
            let id = self.g.names.fresh(&n);
            elem_stacks.insert(v, id);
        }
        self.stacks = stacks;
        self.elem_stacks = elem_stacks;
    }

    /// Where each recomputed block local is recomputed in the reverse sweep:
    /// just before the reverse of its last reader (in forward order), which is
    /// the first place the reverse sweep needs it. Two kinds of locals:
    ///
    /// - pure operations on stable values (`recompute`): valid anywhere, and
    ///   recomputing at the last reader keeps them out of blocks that never
    ///   need them;
    /// - pure operations on a value the block overwrites later (`y = (y *
    ///   a).sin()` makes `t = y * a` and then overwrites `y`): when the reverse
    ///   sweep reaches the last reader of `t`, every overwrite of `y` after it
    ///   has been undone (and an overwrite *by* that reader, a plain assignment,
    ///   is undone before its adjoint), so `y` holds the value `t` was computed
    ///   from. Such a `t` costs nothing to keep: only the overwritten `y` is
    ///   saved, once per iteration.
    ///
    /// A recomputation reads its operands at its own position, so an operand
    /// that is recomputed too is placed no earlier in the reverse sweep
    /// (blocks are scanned last definition first). Locals read at the start of
    /// their reverse block (zeros of non-float adjoints) stay there.
    fn find_late(
        &self,
        b: &Block,
        top: bool,
        range_vars: &HashSet<VarId>,
        late: &mut HashMap<VarId, usize>,
    ) {
        let body = self.body();
        for s in &b.stmts {
            match s {
                Stmt::If { then, els, .. } => {
                    self.find_late(then, false, range_vars, late);
                    self.find_late(els, false, range_vars, late);
                }
                Stmt::Match { arms, .. } => arms
                    .iter()
                    .for_each(|a| self.find_late(&a.body, false, range_vars, late)),
                Stmt::Loop(l) => self.find_late(&l.body, false, range_vars, late),
                _ => {}
            }
        }
        if top {
            return;
        }
        // Read by `t` or by a statement nested in it.
        let reads_of = |t: &Stmt, v: VarId| -> bool {
            let mut r = false;
            walk_stmt(t, &mut |x| r |= x.reads().contains(&v));
            r
        };
        for (k, s) in b.stmts.iter().enumerate().rev() {
            let Stmt::Let {
                var: v,
                rhs: Some(rhs),
            } = s
            else {
                continue;
            };
            let v = *v;
            let in_r = self.recompute.contains(&v);
            // Needed by the adjoint code, or by a recomputation placed already.
            let read_by_late = late.keys().any(|w| {
                b.stmts.iter().any(|t| matches!(t, Stmt::Let { var, rhs: Some(r) } if var == w && r.reads().contains(&v)))
            });
            let late_kind = !in_r
                && (self.needed.contains(&v) || read_by_late)
                && self.stable.contains(&v)
                && body.vars[v].kind == Kind::Float
                && matches!(
                    rhs,
                    Rhs::Unary(..)
                        | Rhs::Index(..)
                        | Rhs::Binary(..)
                        | Rhs::Prim { .. }
                        | Rhs::Cast(..)
                        | Rhs::CastAs(..)
                );
            if !(in_r || late_kind) {
                continue;
            }
            // The value is needed at block entry for a zero of its adjoint.
            if self.active(v) && const_zero(&body.vars[v].kind).is_none() {
                continue;
            }
            // ... or by a recomputation there (a later local not placed late,
            // such as a tuple whose adjoint's zero is built from it).
            let read_at_entry = b.stmts.iter().any(|t| {
                matches!(t, Stmt::Let { var: w, rhs: Some(r) }
                    if self.recompute.contains(w) && !late.contains_key(w) && r.reads().contains(&v))
            });
            if read_at_entry {
                continue;
            }
            // Last reader: a statement reading it (directly or inside), or the
            // recomputation of another local reading it.
            // (Only statements with reverse code read anything in the reverse sweep.)
            let mut last = None;
            for (j, t) in b.stmts.iter().enumerate().skip(k + 1) {
                if reads_of(t, v)
                    && self.has_rev(&Block {
                        stmts: vec![t.clone()],
                    })
                {
                    last = Some(j);
                }
            }
            for (w, &at) in late.iter() {
                let reads = b.stmts.iter().any(|t| matches!(t, Stmt::Let { var, rhs: Some(r) } if var == w && r.reads().contains(&v)));
                if reads {
                    last = Some(last.map_or(at, |l: usize| l.max(at)));
                }
            }
            let Some(last) = last else { continue };
            let mut ok = true;
            for u in rhs.reads() {
                if self.stable.contains(&u) || range_vars.contains(&u) {
                    continue;
                }
                if in_r {
                    ok = false;
                    break;
                }
                for (j, t) in b.stmts.iter().enumerate().skip(k + 1).take(last - k) {
                    let one = Block {
                        stmts: vec![t.clone()],
                    };
                    let mut writes = false;
                    walk_stmts(&one, &mut |x| {
                        writes |= match x {
                            Stmt::Assign { var, .. }
                            | Stmt::IndexAssign { var, .. }
                            | Stmt::Push { var, .. }
                            | Stmt::Accumulate { var, .. } => *var == u,
                            Stmt::Let {
                                rhs: Some(Rhs::Pop(st)),
                                ..
                            } => *st == u,
                            _ => false,
                        };
                    });
                    let allowed =
                        j == last && matches!(t, Stmt::Assign { var, def: false, .. } if *var == u);
                    if writes && !allowed {
                        ok = false;
                    }
                }
            }
            if ok {
                late.insert(v, last);
            }
        }
    }

    /// Writes whose restore no reverse code reads. Undoing an overwrite puts
    /// back the value the variable had before it; that is worth a save only if
    /// some reverse code run after the undo, and before the undo of an earlier
    /// write of the same variable, reads the variable. A running sum (`s += e`
    /// in a loop, its final value read by `s.ln()`) is needed, yet no adjoint
    /// reads its partial sums: saving them would cost a push per iteration.
    ///
    /// For each write of a needed float, the statements that can run just
    /// before it are scanned backwards (in a loop body, the previous iteration
    /// too; then out through the enclosing blocks) until a write of the same
    /// variable, which stops the path. The write is observed if a statement on
    /// the way reads it in its adjoint code, in a late recomputation placed
    /// there, or (in a nested block) in any replay of control flow. Only
    /// floats (arrays' element writes and other kinds keep their saves), and
    /// not in code with explicit stacks (generated code differentiated again).
    fn find_unobserved_writes(&mut self) {
        let body = self.body();
        let mut explicit_stacks = false;
        walk_stmts(&body.block, &mut |s| {
            explicit_stacks |= matches!(
                s,
                Stmt::Push { .. }
                    | Stmt::Let {
                        rhs: Some(Rhs::Pop(_)),
                        ..
                    }
                    | Stmt::Assign {
                        rhs: Rhs::Pop(_),
                        ..
                    }
            );
        });
        if explicit_stacks {
            return;
        }
        // The late recomputations placed at each statement, by what they read.
        let mut late_at: HashMap<*const Stmt, Vec<VarId>> = HashMap::new();
        let mut blocks = vec![&body.block];
        walk_stmts(&body.block, &mut |s| match s {
            Stmt::If { then, els, .. } => blocks.extend([then, els]),
            Stmt::Match { arms, .. } => blocks.extend(arms.iter().map(|a| &a.body)),
            Stmt::Loop(l) => blocks.push(&l.body),
            _ => {}
        });
        for b in blocks {
            for s in &b.stmts {
                if let Stmt::Let {
                    var,
                    rhs: Some(rhs),
                } = s
                {
                    if let Some(&j) = self.late.get(var) {
                        late_at
                            .entry(&b.stmts[j] as *const Stmt)
                            .or_default()
                            .extend(rhs.reads());
                    }
                }
            }
        }
        let mut found = HashSet::new();
        let mut frames = Vec::new();
        self.unobserved_in(&body.block, None, &mut frames, &late_at, &mut found);
        self.unobserved = found;
    }

    fn unobserved_in<'b>(
        &self,
        b: &'b Block,
        lp: Option<&'b Loop>,
        frames: &mut Vec<(&'b Block, usize, Option<&'b Loop>)>,
        late_at: &HashMap<*const Stmt, Vec<VarId>>,
        found: &mut HashSet<*const Stmt>,
    ) {
        for (k, s) in b.stmts.iter().enumerate() {
            frames.push((b, k, lp));
            match s {
                Stmt::Assign {
                    var, def: false, ..
                }
                | Stmt::Accumulate { var, .. }
                    if self.saves_on_write(s, *var)
                        && self.body().vars[*var].kind == Kind::Float
                        && !self.observed(frames, *var, late_at) =>
                {
                    found.insert(s as *const Stmt);
                }
                Stmt::If { then, els, .. } => {
                    self.unobserved_in(then, None, frames, late_at, found);
                    self.unobserved_in(els, None, frames, late_at, found);
                }
                Stmt::Match { arms, .. } => arms
                    .iter()
                    .for_each(|a| self.unobserved_in(&a.body, None, frames, late_at, found)),
                // (Writes in a `while` condition's statements keep their saves.)
                Stmt::Loop(l) => self.unobserved_in(&l.body, Some(l), frames, late_at, found),
                _ => {}
            }
            frames.pop();
        }
    }

    /// Is the value `v` had before the write at the end of `frames` read by
    /// reverse code run after that write is undone? See `find_unobserved_writes`.
    fn observed(
        &self,
        frames: &[(&Block, usize, Option<&Loop>)],
        v: VarId,
        late_at: &HashMap<*const Stmt, Vec<VarId>>,
    ) -> bool {
        let reads = |s: &Stmt| {
            let mut r = false;
            walk_stmt(s, &mut |x| {
                r |= matches!(x, Stmt::Loop(l) if self.ck_loops.get(&l.id).is_some_and(|c| c.outer_reads.contains(&v)))
                    || self.adjoint_reads(x).contains(&v)
                    || late_at
                        .get(&(x as *const Stmt))
                        .is_some_and(|l| l.contains(&v))
                    || replay_reads(x, v);
            });
            r
        };
        let writes = |s: &Stmt| {
            matches!(s, Stmt::Let { var, .. } | Stmt::Assign { var, .. } | Stmt::Accumulate { var, .. } if *var == v)
                || matches!(s, Stmt::Bind(vs) if vs.contains(&v))
        };
        let last = frames.len() - 1;
        let (b, k, _) = frames[last];
        if reads(&b.stmts[k]) {
            return true;
        }
        for (level, &(b, k, lp)) in frames.iter().enumerate().rev() {
            for s in b.stmts[..k].iter().rev() {
                if reads(s) {
                    return true;
                }
                if writes(s) {
                    return false;
                }
            }
            let Some(l) = lp else { continue };
            // The previous iteration: the condition, then the body from its end.
            if let LoopKind::While { cond_stmts, cond } = &l.kind {
                if cond.var() == Some(v) || cond_stmts.stmts.iter().any(&reads) {
                    return true;
                }
            }
            let mut stopped = false;
            for s in b.stmts[k + 1..].iter().rev() {
                if reads(s) {
                    return true;
                }
                if writes(s) {
                    stopped = true;
                    break;
                }
            }
            // Back at the statement holding the write (itself a write when
            // innermost; otherwise a block it may or may not run).
            if !stopped && level != last && reads(&b.stmts[k]) {
                return true;
            }
        }
        false
    }

    /// Branch records and loop replays are needed only where reverse code
    /// exists, which in turn depends on what is needed (restores of needed
    /// values are reverse code): a fixpoint, run again whenever `needed` grows.
    fn replay_needs(&mut self, needed: &mut HashSet<VarId>) {
        let body = self.body();
        let add = |needed: &mut HashSet<VarId>, a: &Atom| {
            if let Some(v) = a.var() {
                needed.insert(v);
            }
        };
        loop {
            self.needed = needed.clone();
            let before = needed.len();
            walk_stmts(&body.block, &mut |s| match s {
                Stmt::If { cond, then, els } if self.has_rev(then) || self.has_rev(els) => {
                    add(needed, cond)
                }
                Stmt::Match {
                    arms,
                    record: Some(r),
                    ..
                } if arms.iter().any(|a| self.has_rev(&a.body)) => {
                    needed.insert(*r);
                }
                Stmt::Loop(l) if self.has_rev(&l.body) => {
                    if let Some(c) = l.counter {
                        needed.insert(c);
                    }
                    if let LoopKind::Range { lo, hi, .. } = &l.kind {
                        add(needed, lo);
                        if l.counter.is_none() {
                            add(needed, hi);
                        }
                    }
                }
                _ => {}
            });
            if needed.len() == before {
                break;
            }
        }
    }

    fn drain_pending(&mut self) -> TokenStream {
        let p = std::mem::take(&mut self.pending);
        quote!(#(#p)*)
    }

    fn collect_overwrite_stacks(
        &self,
        b: &Block,
        depth: usize,
        names: &mut Vec<(VarId, String)>,
        elems: &mut Vec<(VarId, String)>,
    ) {
        for s in &b.stmts {
            match s {
                Stmt::Assign {
                    var, def: false, ..
                }
                | Stmt::Accumulate { var, .. }
                    if depth > 0 && self.saves_on_write(s, *var) =>
                {
                    names.push((*var, format!("{}_stack", self.body().vars[*var].name)));
                }
                Stmt::IndexAssign { var, .. } if depth > 0 && self.saves_on_write(s, *var) => {
                    // Element saves: a stack of their own, apart from `v`'s.
                    elems.push((*var, format!("{}_elem_stack", self.body().vars[*var].name)));
                }
                Stmt::If { then, els, .. } => {
                    self.collect_overwrite_stacks(then, depth + 1, names, elems);
                    self.collect_overwrite_stacks(els, depth + 1, names, elems);
                }
                Stmt::Match { arms, .. } => arms
                    .iter()
                    .for_each(|a| self.collect_overwrite_stacks(&a.body, depth + 1, names, elems)),
                Stmt::Loop(l) => self.collect_overwrite_stacks(&l.body, depth + 1, names, elems),
                _ => {}
            }
        }
    }

    /// Does the write `s` of `v` save the old value (and its reverse put it back)?
    fn saves_on_write(&self, s: &Stmt, v: VarId) -> bool {
        self.needed.contains(&v)
            && !self.body().vars[v].no_restore
            && !self.unobserved.contains(&(s as *const Stmt))
    }

    /// Does a block contain any statement with adjoint or restore code?
    fn has_rev(&self, b: &Block) -> bool {
        let mut r = false;
        walk_stmts(b, &mut |s| {
            r |= match s {
                Stmt::Let {
                    rhs: Some(Rhs::Pop(_)),
                    ..
                } => true,
                Stmt::Let { var, rhs: Some(_) } => self.active(*var),
                Stmt::Assign { var, .. }
                | Stmt::IndexAssign { var, .. }
                | Stmt::Push { var, .. }
                | Stmt::Accumulate { var, .. } => self.active(*var) || self.needed.contains(var),
                _ => false,
            }
        });
        r
    }

    /// Tail-loop fusion. When the body ends with a range loop whose iterations
    /// only *add* into loop-carried variables (`s += e`, `s -= e`) and whose
    /// adjoint code reads nothing the loop overwrites, every iteration's
    /// adjoint depends only on that iteration and on adjoints fixed before the
    /// loop (the seed flows to `s` unchanged). The reverse of the loop can then
    /// run inside the forward loop, iteration by iteration: one pass over the
    /// data, like a hand-written gradient, instead of two. Not for pullbacks,
    /// whose seed arrives only after the forward sweep.
    fn fusable_tail(&self) -> Option<&'a Loop> {
        if self.conv == Conv::Pullback {
            return None;
        }
        let body = self.body();
        let Some(Stmt::Loop(l)) = body.block.stmts.last() else {
            return None;
        };
        if !matches!(l.kind, LoopKind::Range { .. }) || l.counter.is_some() || l.exit.is_some() {
            return None;
        }
        let locals: HashSet<VarId> = self.locals(&l.body).into_iter().collect();
        let reads_outside = |v: VarId, skip: usize| {
            l.body.stmts.iter().enumerate().any(|(k, s)| {
                k != skip
                    && match s {
                        Stmt::Let { rhs: Some(r), .. } | Stmt::Assign { rhs: r, .. } => {
                            r.reads().contains(&v)
                        }
                        _ => false,
                    }
            })
        };
        for (k, s) in l.body.stmts.iter().enumerate() {
            match s {
                Stmt::Let {
                    var,
                    rhs: Some(rhs),
                } => {
                    if matches!(rhs, Rhs::Call { .. } | Rhs::Pop(_)) || self.g.mutated.contains(var)
                    {
                        return None;
                    }
                }
                Stmt::Assign {
                    var,
                    rhs,
                    def: false,
                } if !locals.contains(var) => {
                    let accumulates = matches!(rhs, Rhs::Binary(BinOp::Add | BinOp::Sub, Atom::Var(a), b)
                        if a == var && b.var() != Some(*var));
                    if !accumulates || self.needed.contains(var) || reads_outside(*var, k) {
                        return None;
                    }
                }
                Stmt::Inactive(_) => {}
                _ => return None,
            }
        }
        Some(l)
    }

    /// Every stack of saved values, in a fixed order.
    fn all_stacks(&self) -> Vec<syn::Ident> {
        let mut stacks: Vec<syn::Ident> = self
            .stacks
            .values()
            .chain(self.elem_stacks.values())
            .cloned()
            .collect();
        stacks.sort_by_key(|s| s.to_string());
        stacks
    }

    pub fn body_tokens(&mut self) -> TokenStream {
        let rt = rt();
        let body = self.body();
        let fused = self.fusable_tail();
        let mut stack_decls = TokenStream::new();
        let pooled: HashSet<&syn::Ident> = self
            .stacks
            .iter()
            .filter(|(v, _)| !matches!(body.vars[**v].kind, Kind::Slice(_)))
            .map(|(v, s)| (body.vars[*v].kind.clone(), s))
            .chain(
                self.elem_stacks
                    .iter()
                    .map(|(v, s)| (body.vars[*v].kind.element(), s)),
            )
            .filter(|(k, _)| self.pooled && owned(k))
            .map(|(_, s)| s)
            .collect();
        for s in &self.all_stacks() {
            stack_decls.extend(if pooled.contains(s) {
                quote!(let mut #s = #rt::Stack::new();)
            } else {
                quote!(let mut #s = ::std::vec::Vec::new();)
            });
        }
        let fwd = match fused {
            Some(_) => self.fwd_stmts(&body.block.stmts[..body.block.stmts.len() - 1], 0),
            None => self.fwd_block(&body.block, 0),
        };
        // Adjoints of parameters and top-level variables.
        let mut decls = TokenStream::new();
        for (v, var) in body.vars.iter().enumerate() {
            if var.param.is_some() && self.active(v) {
                let d = &self.g.d[v];
                let z = self.g.zero_of(v);
                decls.extend(quote!(let mut #d = #z;));
            }
        }
        decls.extend(self.adjoint_decls(&body.block));
        let seed = self.seed.clone();
        let seed_owned = match (self.conv, self.low.ret.by_value()) {
            (Conv::User, true) => quote!(#seed),
            // A tensor or a user type: the seed is a borrowed value of the adjoint type.
            (Conv::User, false) if matches!(self.low.ret, crate::types::DType::Other(_)) => {
                quote!(#seed.clone())
            }
            (Conv::User, false) => quote!(#seed.to_vec()),
            (_, true) => quote!(*#seed),
            (_, false) => quote!(#seed.clone()),
        };
        let result = self.g.a(&body.result);
        let seeding = match &body.result {
            Atom::Var(v) | Atom::Ref(v) if self.active(*v) => {
                let d = &self.g.d[*v];
                let check = if self.conv == Conv::User
                    && !self.low.ret.by_value()
                    && !matches!(self.low.ret, crate::types::DType::Other(_))
                {
                    quote!(#rt::check_len("derivative", "seed", #seed.len(), "the output", #result.len());)
                } else {
                    quote!()
                };
                if matches!(self.body().vars[*v].kind, Kind::Float) {
                    quote!(#d += #seed_owned;)
                } else {
                    quote!(#check #rt::accumulate(&mut #d, #seed_owned);)
                }
            }
            _ => quote!(),
        };
        if let Some(l) = fused {
            // Forward and reverse of each iteration, in one loop.
            let head = &body.block.stmts[..body.block.stmts.len() - 1];
            let fwd_body = self.fwd_block(&l.body, 1);
            let local_decls = self.adjoint_decls(&l.body);
            self.fusing = true;
            let rev_body = self.rev_stmts(&l.body.stmts, 1);
            self.fusing = false;
            let iter = crate::gen::fold_zero_inits(quote!(#fwd_body #local_decls #rev_body));
            let LoopKind::Range {
                var,
                lo,
                hi,
                inclusive,
            } = &l.kind
            else {
                unreachable!()
            };
            let (v, lo, hi) = (self.g.v(*var), self.g.a(lo), self.g.a(hi));
            let range = if *inclusive {
                quote!(#lo..=#hi)
            } else {
                quote!(#lo..#hi)
            };
            let rev_head = self.rev_stmts(head, 0);
            let result_name = self.g.names.fresh("value");
            let pre = crate::gen::fold_zero_inits(quote!(#decls #seeding));
            let post = crate::gen::fold_zero_inits(quote!(#rev_head));
            let adjs = self.param_adjoints();
            return quote! {
                #stack_decls
                #fwd
                #pre
                for #v in #range { #iter }
                let #result_name = #result;
                #post
                (#result_name, #(#adjs),*)
            };
        }
        let rev = self.rev_stmts(&body.block.stmts, 0);
        let rev = crate::gen::fold_zero_inits(quote!(#decls #seeding #rev));
        let adjs = self.param_adjoints();
        // The reverse sweep rolls variables back: keep the output first.
        let result_name = self.g.names.fresh("value");
        let keep = match body.result.var() {
            // (A checkpointed loop's replay reads its variables again.)
            Some(v)
                if self.needed.contains(&v)
                    || self
                        .ck_loops
                        .values()
                        .any(|c| c.state.contains(&v) || c.outer_reads.contains(&v)) =>
            {
                quote!(let #result_name = #result.clone();)
            }
            _ => quote!(let #result_name = #result;),
        };
        match self.conv {
            Conv::Pullback => {
                let ret_adj = self.low.ret.adjoint();
                let closure = quote! {
                    move |#seed: &#ret_adj| {
                        #rev
                        (#(#adjs,)*)
                    }
                };
                let closure = if self.boxed {
                    quote!(::std::boxed::Box::new(#closure))
                } else {
                    closure
                };
                quote! {
                    #stack_decls
                    #fwd
                    #keep
                    (#result_name, #closure)
                }
            }
            _ => quote! {
                #stack_decls
                #fwd
                #keep
                #rev
                (#result_name, #(#adjs),*)
            },
        }
    }

    /// What the function returns for each parameter's adjoint.
    fn param_adjoints(&self) -> Vec<TokenStream> {
        let rt = rt();
        self.low
            .params
            .iter()
            .filter(|p| self.conv != Conv::User || self.active_params.contains(&p.var))
            .map(|p| {
                if self.active(p.var) {
                    let d = &self.g.d[p.var];
                    quote!(#d)
                } else if !p.dtype.is_differentiable() {
                    quote!(())
                } else {
                    p.dtype.const_zero().unwrap_or_else(|| {
                        let x = &p.ident;
                        quote!(#rt::zero_like(&#x))
                    })
                }
            })
            .collect()
    }

    /// `let mut d_v = 0;` for the active variables declared directly in `b`.
    fn adjoint_decls(&self, b: &Block) -> TokenStream {
        let mut out = TokenStream::new();
        for v in self.locals(b) {
            if self.active(v) {
                let d = &self.g.d[v];
                let z = self.g.zero_of(v);
                out.extend(quote!(let mut #d = #z;));
            }
        }
        out
    }

    /// Variables declared directly in a block.
    fn locals(&self, b: &Block) -> Vec<VarId> {
        b.stmts
            .iter()
            .flat_map(|s| match s {
                Stmt::Let { var, .. } => vec![*var],
                Stmt::Bind(vs) => vs.clone(),
                _ => vec![],
            })
            .flat_map(|v| std::iter::once(v).chain(self.pullbacks.get(&v).copied()))
            .collect()
    }

    // ---------------------------------------------------------------- forward sweep

    fn fwd_block(&mut self, b: &Block, depth: usize) -> TokenStream {
        let mut out = self.fwd_stmts(&b.stmts, depth);
        if depth > 0 {
            // Block locals the reverse block needs and cannot recompute.
            let mut extra: Vec<VarId> = Vec::new();
            for v in self.locals(b) {
                extra.push(v);
            }
            for v in extra {
                if self.needed.contains(&v) && !self.recompute.contains(&v) {
                    if let Some(s) = self.stacks.get(&v) {
                        let x = self.g.v(v);
                        out.extend(quote!(#s.push(#x);));
                    }
                }
            }
        }
        out
    }

    /// The forward sweep of statements (statements of the body itself, never
    /// copies: what the analysis decided is looked up by their addresses).
    fn fwd_stmts(&mut self, stmts: &[Stmt], depth: usize) -> TokenStream {
        let mut out = TokenStream::new();
        for s in stmts {
            out.extend(self.fwd_stmt(s, depth));
        }
        out
    }

    fn save(&mut self, v: VarId, value: TokenStream, depth: usize, elem: bool) -> TokenStream {
        if depth > 0 {
            let s = if elem {
                &self.elem_stacks[&v]
            } else {
                &self.stacks[&v]
            };
            quote!(#s.push(#value);)
        } else {
            let name = self
                .g
                .names
                .fresh(&format!("{}_saved", self.body().vars[v].name));
            self.saves.push(name.clone());
            quote!(let #name = #value;)
        }
    }

    fn fwd_stmt(&mut self, s: &Stmt, depth: usize) -> TokenStream {
        match s {
            Stmt::Let { var, rhs: None } => {
                let v = self.g.v(*var);
                quote!(let #v;)
            }
            Stmt::Let {
                var,
                rhs: Some(rhs),
            } => {
                let v = self.g.v(*var);
                let m = self.g.mut_kw(*var);
                // An inactive call is a plain call: nothing to pull back.
                let pb = self.pullbacks.get(var).filter(|_| self.active(*var));
                if let (Rhs::Call { path, args }, Some(pb)) = (rhs, pb) {
                    let pb = self.g.v(*pb);
                    let needs: Vec<bool> = args
                        .iter()
                        .map(|a| a.var().is_some_and(|v| self.active(v)))
                        .collect();
                    let arg_tokens: Vec<TokenStream> = args.iter().map(|a| self.g.a(a)).collect();
                    // A tensor product with an operand that needs no adjoint
                    // (data, a constant) skips that operand's GEMM.
                    if let Some(partial) = tensor_partial_pullback(path, &needs) {
                        return quote!(let (#m #v, #pb) = #partial(#(#arg_tokens,)* [#(#needs),*]););
                    }
                    let path = derived_path(path, "pullback");
                    return quote!(let (#m #v, #pb) = #path(#(#arg_tokens),*););
                }
                let p = self.g.rhs(rhs);
                quote!(let #m #v = #p;)
            }
            Stmt::Assign { var, rhs, def } => {
                let v = self.g.v(*var);
                let p = self.g.rhs(rhs);
                let save = if !def && self.saves_on_write(s, *var) {
                    self.save(*var, quote!(#v.clone()), depth, false)
                } else {
                    quote!()
                };
                quote!(#save #v = #p;)
            }
            Stmt::IndexAssign { var, index, value } => {
                let v = self.g.v(*var);
                let idx: Vec<_> = index.iter().map(|i| self.g.a(i)).collect();
                let val = self.g.a(value);
                let save = if self.saves_on_write(s, *var) {
                    self.save(*var, quote!(#v #([#idx])*), depth, true)
                } else {
                    quote!()
                };
                quote!(#save #v #([#idx])* = #val;)
            }
            Stmt::Push { var, value } => {
                let v = self.g.v(*var);
                let val = self.g.a(value);
                quote!(#v.push(#val);)
            }
            Stmt::Accumulate { var, value } => {
                let v = self.g.v(*var);
                let val = self.g.a(value);
                let save = if self.saves_on_write(s, *var) {
                    self.save(*var, quote!(#v.clone()), depth, false)
                } else {
                    quote!()
                };
                let acc = crate::gen::accumulate(quote!(#v), &self.body().vars[*var].kind, val);
                quote!(#save #acc)
            }
            Stmt::Discard(rhs) => {
                let p = self.g.rhs(rhs);
                quote!(#p;)
            }
            Stmt::If { cond, then, els } => {
                let c = self.g.a(cond);
                let t = self.fwd_block(then, depth + 1);
                let e = self.fwd_block(els, depth + 1);
                if e.is_empty() {
                    quote!(if #c { #t })
                } else {
                    quote!(if #c { #t } else { #e })
                }
            }
            Stmt::Match { scrut, arms, .. } => {
                let sc = self.g.a(scrut);
                let arms: Vec<TokenStream> = arms
                    .iter()
                    .map(|a| {
                        let pat = &a.pat;
                        let b = self.fwd_block(&a.body, depth + 1);
                        quote!(#pat => { #b })
                    })
                    .collect();
                quote!(match #sc { #(#arms)* })
            }
            Stmt::Loop(l) if self.ck_loops.contains_key(&l.id) && self.has_rev(&l.body) => {
                self.fwd_checkpointed(l)
            }
            Stmt::Loop(l) => {
                let label = self.labels[l.id].as_ref().map(|l| quote!(#l:));
                let mut body = self.fwd_block(&l.body, depth + 1);
                if let Some(e) = &l.exit {
                    let e = self.g.a(e);
                    body.extend(quote!(if #e { break; }));
                }
                match &l.kind {
                    LoopKind::Range {
                        var,
                        lo,
                        hi,
                        inclusive,
                    } => {
                        let v = self.g.v(*var);
                        let (lo, hi) = (self.g.a(lo), self.g.a(hi));
                        let range = if *inclusive {
                            quote!(#lo..=#hi)
                        } else {
                            quote!(#lo..#hi)
                        };
                        quote!(#label for #v in #range { #body })
                    }
                    LoopKind::Iter { pat, iter, .. } => {
                        quote!(#label for #pat in #iter { #body })
                    }
                    LoopKind::While { cond_stmts, cond } => {
                        let c = self.g.a(cond);
                        if cond_stmts.stmts.is_empty() {
                            quote!(#label while #c { #body })
                        } else {
                            let cs = self.fwd_block(cond_stmts, depth + 1);
                            quote!(#label loop { #cs if !#c { break; } #body })
                        }
                    }
                    LoopKind::Loop => quote!(#label loop { #body }),
                }
            }
            Stmt::Break(id) => {
                let l = &self.labels[*id];
                quote!(break #l;)
            }
            Stmt::Continue(id) => {
                let l = &self.labels[*id];
                quote!(continue #l;)
            }
            Stmt::Return(_) => {
                unreachable!("returns are lowered to flags before the reverse transform")
            }
            Stmt::Inactive(ts) => ts.clone(),
            Stmt::Bind(_) => quote!(),
        }
    }

    /// The forward sweep of a `#[checkpoint]` loop (top level, a range
    /// without early exits): segments of `every` iterations. Each segment
    /// starts with a snapshot of the loop's state (the variables from outside
    /// it that it writes) and runs the body with its saves, then drops what it
    /// saved: every stack goes back to its length before the loop, so the
    /// stacks never hold more than one segment. The reverse sweep rebuilds
    /// them one segment at a time (`rev_checkpointed`).
    fn fwd_checkpointed(&mut self, l: &Loop) -> TokenStream {
        let rt = rt();
        let LoopKind::Range { var, lo, hi, .. } = &l.kind else {
            unreachable!("lowering accepts #[checkpoint] on ranges only")
        };
        let state: Vec<syn::Ident> = self.ck_loops[&l.id]
            .state
            .iter()
            .map(|&v| self.g.v(v))
            .collect();
        let mut n = |s: &str| self.g.names.fresh(s);
        let (lo_n, hi_n, every, snaps, i, m) = (
            n("ck_lo"),
            n("ck_hi"),
            n("ck_every"),
            n("ck_snapshots"),
            n("ck_i"),
            n("ck_m"),
        );
        let (lo, hi) = (self.g.a(lo), self.g.a(hi));
        let every_value = match l.checkpoint.as_ref().and_then(|c| c.every.as_ref()) {
            Some(e) => {
                let e = self.g.a(e);
                quote!(#rt::checkpoint_every(#e))
            }
            None => quote!(#rt::checkpoint_sqrt(#rt::trip_count(#lo_n, #hi_n))),
        };
        let stacks = self.all_stacks();
        let lens: Vec<syn::Ident> = stacks
            .iter()
            .map(|s| self.g.names.fresh(&format!("{s}_len")))
            .collect();
        let v = self.g.v(*var);
        let body = self.fwd_block(&l.body, 1);
        let out = quote! {
            let #lo_n = #lo;
            let #hi_n = #hi;
            let #every: usize = #every_value;
            #(let #lens = #stacks.len();)*
            let mut #snaps = ::std::vec::Vec::new();
            let mut #i = #lo_n;
            while #i < #hi_n {
                #snaps.push((#i, #(#state.clone(),)*));
                let mut #m: usize = 0;
                while #m < #every && #i < #hi_n {
                    #[allow(unused_variables)]
                    let #v = #i;
                    #body
                    #i += 1;
                    #m += 1;
                }
                #(#stacks.truncate(#lens);)*
            }
        };
        self.ck_names.insert(
            l.id,
            CkNames {
                snaps,
                hi: hi_n,
                body,
            },
        );
        out
    }

    /// The reverse sweep of a checkpointed loop, last segment first: put the
    /// segment's snapshot back, run its iterations forward again with their
    /// saves, then backwards.
    fn rev_checkpointed(&mut self, l: &Loop, rev_body: TokenStream) -> TokenStream {
        let LoopKind::Range { var, .. } = &l.kind else {
            unreachable!("lowering accepts #[checkpoint] on ranges only")
        };
        let CkNames { snaps, hi, body } = self
            .ck_names
            .remove(&l.id)
            .expect("the forward sweep of a checkpointed loop comes first");
        let state: Vec<syn::Ident> = self.ck_loops[&l.id]
            .state
            .iter()
            .map(|&v| self.g.v(v))
            .collect();
        let snap: Vec<syn::Ident> = state
            .iter()
            .map(|x| self.g.names.fresh(&format!("{x}_snapshot")))
            .collect();
        let mut n = |s: &str| self.g.names.fresh(s);
        let (start, end, i) = (n("ck_start"), n("ck_end"), n("ck_i"));
        let v = self.g.v(*var);
        quote! {
            let mut #end = #hi;
            while let ::std::option::Option::Some((#start, #(#snap,)*)) = #snaps.pop() {
                #(#state = #snap;)*
                let mut #i = #start;
                while #i < #end {
                    #[allow(unused_variables)]
                    let #v = #i;
                    #body
                    #i += 1;
                }
                while #i > #start {
                    #i -= 1;
                    let #v = #i;
                    #rev_body
                }
                #end = #start;
            }
        }
    }

    // ---------------------------------------------------------------- reverse sweep

    fn rev_stmts(&mut self, stmts: &[Stmt], depth: usize) -> TokenStream {
        let mut out = TokenStream::new();
        for (j, s) in stmts.iter().enumerate().rev() {
            // Late recomputations due at this statement, in definition order.
            for t in stmts[..j].iter().filter(|_| !self.fusing) {
                if let Stmt::Let {
                    var,
                    rhs: Some(rhs),
                } = t
                {
                    if self.late.get(var) == Some(&j) {
                        let x = self.g.v(*var);
                        let p = self.g.rhs(rhs);
                        self.pending.push(quote!(let #x = #p;));
                    }
                }
            }
            // An assignment takes them after undoing its overwrite; any other
            // statement (which may contain blocks of its own) after them.
            if !matches!(s, Stmt::Assign { .. }) {
                let due = self.drain_pending();
                out.extend(due);
            }
            let code = self.rev_stmt(s, depth);
            let rest = self.drain_pending();
            out.extend(rest);
            out.extend(code);
        }
        out
    }

    /// The reverse of a nested block: bring its locals back, declare their
    /// adjoints, then the statements backwards.
    fn rev_block(&mut self, b: &Block, depth: usize) -> TokenStream {
        let inner = self.rev_stmts(&b.stmts, depth);
        if inner.is_empty() {
            return inner;
        }
        let mut pro = TokenStream::new();
        let locals = self.locals(b);
        for &v in &locals {
            if self.needed.contains(&v) && !self.recompute.contains(&v) {
                if let Some(s) = self.stacks.get(&v) {
                    let x = self.g.v(v);
                    let m = if self.g.mutated.contains(&v) {
                        quote!(mut)
                    } else {
                        quote!()
                    };
                    let rt = rt();
                    pro.extend(quote!(let #m #x = #rt::pop(&mut #s);));
                }
            }
        }
        for s in &b.stmts {
            if let Stmt::Let {
                var,
                rhs: Some(rhs),
            } = s
            {
                if self.recompute.contains(var) && !self.late.contains_key(var) {
                    let x = self.g.v(*var);
                    let p = self.g.rhs(rhs);
                    pro.extend(quote!(let #x = #p;));
                }
            }
        }
        let decls = self.adjoint_decls(b);
        crate::gen::fold_zero_inits(quote!(#pro #decls #inner))
    }

    fn restore(&mut self, v: VarId, place: TokenStream, depth: usize, elem: bool) -> TokenStream {
        if depth > 0 {
            let s = if elem {
                &self.elem_stacks[&v]
            } else {
                &self.stacks[&v]
            };
            let rt = rt();
            quote!(#place = #rt::pop(&mut #s);)
        } else {
            let name = self.saves.pop().expect("a save for every restore");
            quote!(#place = #name;)
        }
    }

    /// `target += value` for an adjoint of the given kind.
    fn acc(&self, target: TokenStream, kind: &Kind, value: TokenStream) -> TokenStream {
        crate::gen::accumulate(target, kind, value)
    }

    fn acc_atom(&self, a: &Atom, value: TokenStream) -> TokenStream {
        match a.var() {
            Some(v) if self.active(v) => {
                let d = &self.g.d[v];
                self.acc(quote!(#d), &self.body().vars[v].kind, value)
            }
            _ => quote!(),
        }
    }

    fn sub_atom(&self, a: &Atom, value: TokenStream) -> TokenStream {
        match a.var() {
            Some(v) if self.active(v) => {
                let d = &self.g.d[v];
                match &self.body().vars[v].kind {
                    Kind::Float => quote!(#d -= #value;),
                    k => self.acc(quote!(#d), k, quote!(-(#value))),
                }
            }
            _ => quote!(),
        }
    }

    /// Adjoint propagation of `var = rhs` with adjoint `d` (an expression).
    fn propagate(
        &mut self,
        var: VarId,
        rhs: &Rhs,
        d: &TokenStream,
        out_val: &TokenStream,
    ) -> TokenStream {
        let g = &*self.g;
        let rt = rt();
        match rhs {
            Rhs::Atom(a) | Rhs::Copy(a, _) | Rhs::Unary(UnOp::Deref, a) => {
                self.acc_atom(a, d.clone())
            }
            Rhs::Unary(UnOp::Neg, a) => self.sub_atom(a, d.clone()),
            Rhs::Unary(UnOp::Not, _) | Rhs::Binary(BinOp::Other(_), ..) => quote!(),
            Rhs::Binary(op, a, b) => {
                let (av, bv) = (g.a(a), g.a(b));
                match op {
                    BinOp::Add => {
                        let x = self.acc_atom(a, d.clone());
                        let y = self.acc_atom(b, d.clone());
                        quote!(#x #y)
                    }
                    BinOp::Sub => {
                        let x = self.acc_atom(a, d.clone());
                        let y = self.sub_atom(b, d.clone());
                        quote!(#x #y)
                    }
                    // `v * v`: one contribution, `d v + v d` computed exactly as `d v 2`.
                    BinOp::Mul if a.var().is_some() && a.var() == b.var() => {
                        let two = crate::gen::float_lit("2.0");
                        self.acc_atom(a, quote!(#d * #av * #two))
                    }
                    BinOp::Mul => {
                        let x = self.acc_atom(a, quote!(#d * #bv));
                        let y = self.acc_atom(b, quote!(#av * #d));
                        quote!(#x #y)
                    }
                    BinOp::Div => {
                        let x = self.acc_atom(a, quote!(#d / #bv));
                        // d(a/b)/db = -(a/b)/b: finite where a/(b*b) would overflow.
                        let y = self.sub_atom(b, quote!(#d * (#av / #bv) / #bv));
                        quote!(#x #y)
                    }
                    BinOp::Rem => {
                        let x = self.acc_atom(a, d.clone());
                        let y = self.sub_atom(b, quote!(#d * (#av / #bv).trunc()));
                        quote!(#x #y)
                    }
                    BinOp::Other(_) => quote!(),
                }
            }
            Rhs::Prim {
                rule,
                args,
                int_arg,
            } => {
                let row = &Rules::get().rows[*rule];
                if row.zero {
                    return quote!();
                }
                let arg_ts: Vec<TokenStream> = args.iter().map(|a| g.a(a)).collect();
                let int_ts = int_arg.as_ref().map(|a| g.a(a));
                let mut out = TokenStream::new();
                for (k, a) in args.iter().enumerate() {
                    if a.var().is_some_and(|v| self.active(v)) {
                        let p = row.partial(k, &arg_ts, int_ts.as_ref(), out_val);
                        out.extend(self.acc_atom(a, times(d, &p)));
                    }
                }
                out
            }
            Rhs::Index(b, idx) => {
                if !self.active(*b) {
                    return quote!();
                }
                let db = &g.d[*b];
                let idx = idx.iter().map(|i| g.a(i));
                let mut k = self.body().vars[*b].kind.clone();
                for _ in 0..match rhs {
                    Rhs::Index(_, i) => i.len(),
                    _ => 0,
                } {
                    k = k.element();
                }
                self.acc(quote!(#db #([#idx])*), &k, d.clone())
            }
            Rhs::Field(a, syn::Member::Named(name)) => match a.var() {
                Some(v) if self.active(v) => {
                    let da = &g.d[v];
                    self.acc(quote!(#da.#name), &Kind::Unknown, d.clone())
                }
                _ => quote!(),
            },
            Rhs::Field(a, syn::Member::Unnamed(i)) => match a.var() {
                Some(v) if self.active(v) => {
                    let da = &g.d[v];
                    match &self.body().vars[v].kind {
                        // Rebuild the tuple (a field write is outside the subset
                        // that stacked transforms accept).
                        Kind::Tuple(ks)
                            if ks
                                .get(i.index as usize)
                                .is_some_and(|k| matches!(k, Kind::Float | Kind::Unknown)) =>
                        {
                            let parts = (0..ks.len()).map(|j| {
                                let j = syn::Index::from(j);
                                if j.index == i.index {
                                    quote!(#da.#j + #d)
                                } else {
                                    quote!(#da.#j)
                                }
                            });
                            quote!(#da = (#(#parts,)*);)
                        }
                        Kind::Tuple(ks) => {
                            let k = ks.get(i.index as usize).cloned().unwrap_or(Kind::Unknown);
                            self.acc(quote!(#da.#i), &k, d.clone())
                        }
                        _ => self.acc(quote!(#da.#i), &Kind::Unknown, d.clone()),
                    }
                }
                _ => quote!(),
            },
            Rhs::Tuple(xs) => {
                let mut out = TokenStream::new();
                for (i, a) in xs.iter().enumerate() {
                    let i = syn::Index::from(i);
                    out.extend(self.acc_atom(a, quote!(#d.#i)));
                }
                out
            }
            Rhs::Array(xs) | Rhs::VecLit(xs) => {
                let mut out = TokenStream::new();
                for (i, a) in xs.iter().enumerate() {
                    out.extend(self.acc_atom(a, quote!(#d[#i])));
                }
                out
            }
            Rhs::Repeat { elem, .. } => match elem.var() {
                Some(v) if self.active(v) => {
                    let de = g.d[v].clone();
                    let k = self.g.names.fresh("k");
                    quote!(for #k in 0..#d.len() { #de += #d[#k]; })
                }
                _ => quote!(),
            },
            Rhs::Cast(a, _) | Rhs::CastAs(a, _) => {
                let av = g.a(a);
                self.acc_atom(a, quote!(#rt::cast_as(#d, #av)))
            }
            Rhs::Call { path, args } => {
                let outs: Vec<syn::Ident> =
                    args.iter().map(|_| self.g.names.fresh("d_arg")).collect();
                let pats = args.iter().zip(&outs).map(|(a, o)| {
                    if a.var().is_some_and(|v| self.active(v)) {
                        quote!(#o)
                    } else {
                        quote!(_)
                    }
                });
                let call = match self.pullbacks.get(&var) {
                    Some(pb) => {
                        let pb = self.g.v(*pb);
                        quote!(#pb(&#d))
                    }
                    None => {
                        let vjp = derived_path(path, "vjp");
                        let args = args.iter().map(|a| self.g.a(a));
                        quote!(#vjp(#(#args,)* &#d).1)
                    }
                };
                let pats: Vec<_> = pats.collect();
                let bind = if self.pullbacks.contains_key(&var) {
                    quote!(let (#(#pats,)*) = #call;)
                } else {
                    let vjp_call = call;
                    quote!(let (_, #(#pats),*) = { let r = #vjp_call; r };)
                };
                let _ = bind;
                let call_expr = match self.pullbacks.get(&var) {
                    Some(pb) => {
                        let pb = self.g.v(*pb);
                        quote!(let (#(#pats,)*) = #pb(&#d);)
                    }
                    None => {
                        let vjp = derived_path(path, "vjp");
                        let args = args.iter().map(|a| self.g.a(a));
                        quote!(let (_, #(#pats),*) = #vjp(#(#args,)* &#d);)
                    }
                };
                let mut accs = TokenStream::new();
                for (a, o) in args.iter().zip(&outs) {
                    accs.extend(self.acc_atom(a, quote!(#o)));
                }
                quote!(#call_expr #accs)
            }
            Rhs::Pop(s) => {
                if self.active(*s) {
                    let ds = &g.d[*s];
                    quote!(#ds.push(#d);)
                } else {
                    quote!()
                }
            }
            Rhs::InactiveMethod { .. } | Rhs::NoDiff { .. } | Rhs::ZeroLike(_) | Rhs::VecNew(_) => {
                quote!()
            }
        }
    }

    fn rev_stmt(&mut self, s: &Stmt, depth: usize) -> TokenStream {
        let rt = rt();
        match s {
            Stmt::Let { rhs: None, .. }
            | Stmt::Discard(_)
            | Stmt::Inactive(_)
            | Stmt::Bind(_)
            | Stmt::Break(_)
            | Stmt::Continue(_) => quote!(),
            Stmt::Let {
                var,
                rhs: Some(rhs),
            } => {
                let mut out = TokenStream::new();
                if let Rhs::Pop(st) = rhs {
                    // Undo the pop: the value goes back on the stack.
                    let sv = self.g.v(*st);
                    let v = self.g.v(*var);
                    out.extend(quote!(#sv.push(#v.clone());));
                }
                if !self.active(*var) {
                    // An inactive value popped from an active stack: push a
                    // zero adjoint so the adjoint stack stays in step.
                    if let Rhs::Pop(st) = rhs {
                        if self.active(*st) {
                            let ds = &self.g.d[*st];
                            let z = self.g.zero_of(*var);
                            out.extend(quote!(#ds.push(#z);));
                        }
                    }
                    return out;
                }
                let d = self.g.d[*var].clone();
                let v = self.g.v(*var);
                out.extend(self.propagate(*var, rhs, &quote!(#d), &quote!(#v)));
                out
            }
            Stmt::Assign { var, rhs, def } => {
                let v = self.g.v(*var);
                let mut out = TokenStream::new();
                if let Rhs::Pop(st) = rhs {
                    // Undo the pop: the popped value goes back on the stack.
                    let sv = self.g.v(*st);
                    out.extend(quote!(#sv.push(#v.clone());));
                }
                let restores = !def && self.saves_on_write(s, *var);
                if !self.active(*var) {
                    if restores {
                        out.extend(self.restore(*var, quote!(#v), depth, false));
                    }
                    out.extend(self.drain_pending());
                    return out;
                }
                let d = self.g.d[*var].clone();
                let kind = self.body().vars[*var].kind.clone();
                // `v = v + e` / `v = v - e`: the adjoint of v passes through
                // unchanged, only e receives it.
                // (`v = e + v` likewise.)
                let through = match rhs {
                    Rhs::Binary(op @ (BinOp::Add | BinOp::Sub), Atom::Var(a), b) => {
                        Some((*op, *a, b))
                    }
                    Rhs::Binary(BinOp::Add, b, Atom::Var(a)) => Some((BinOp::Add, *a, b)),
                    _ => None,
                };
                if let Some((op, a, b)) = through {
                    if a == *var && b.var() != Some(*var) && !def {
                        if restores {
                            out.extend(self.restore(*var, quote!(#v), depth, false));
                        }
                        out.extend(self.drain_pending());
                        out.extend(if op == BinOp::Add {
                            self.acc_atom(b, quote!(#d))
                        } else {
                            self.sub_atom(b, quote!(#d))
                        });
                        return out;
                    }
                }
                let (dexpr, take) = if *def {
                    (quote!(#d), quote!())
                } else {
                    let t = self.g.names.fresh(&format!("{d}_new"));
                    let z = self.g.zero_of(*var);
                    let take = if matches!(kind, Kind::Float) {
                        quote!(let #t = #d; #d = #z;)
                    } else {
                        quote!(let #t = #d.clone(); #d = #z;)
                    };
                    (quote!(#t), take)
                };
                out.extend(take);
                let out_val = if restores
                    && matches!(rhs, Rhs::Prim { rule, .. } if Rules::get().rows[*rule].uses_out)
                {
                    let o = self.g.names.fresh(&format!("{v}_out"));
                    out.extend(quote!(let #o = #v;));
                    quote!(#o)
                } else {
                    quote!(#v)
                };
                if restores {
                    out.extend(self.restore(*var, quote!(#v), depth, false));
                }
                out.extend(self.drain_pending());
                out.extend(self.propagate(*var, rhs, &dexpr, &out_val));
                out
            }
            Stmt::IndexAssign { var, index, value } => {
                let v = self.g.v(*var);
                let idx: Vec<_> = index.iter().map(|i| self.g.a(i)).collect();
                let mut out = TokenStream::new();
                if self.active(*var) {
                    let d = self.g.d[*var].clone();
                    let t = self.g.names.fresh(&format!("{d}_elem"));
                    let ek = {
                        let mut k = self.body().vars[*var].kind.clone();
                        for _ in index {
                            k = k.element();
                        }
                        k
                    };
                    let z =
                        const_zero(&ek).unwrap_or_else(|| quote!(#rt::zero_like(&#d #([#idx])*)));
                    let take = if ek == Kind::Float {
                        quote!(#d #([#idx])*)
                    } else {
                        quote!(#d #([#idx])*.clone())
                    };
                    out.extend(quote!(let #t = #take; #d #([#idx])* = #z;));
                    out.extend(self.acc_atom(value, quote!(#t)));
                }
                if self.saves_on_write(s, *var) {
                    out.extend(self.restore(*var, quote!(#v #([#idx])*), depth, true));
                }
                out
            }
            Stmt::Push { var, value } => {
                let mut out = TokenStream::new();
                if self.active(*var) {
                    let d = &self.g.d[*var];
                    let t = self.g.names.fresh(&format!("{d}_top"));
                    out.extend(quote!(let #t = #rt::pop(&mut #d);));
                    out.extend(self.acc_atom(value, quote!(#t)));
                }
                if self.needed.contains(var) {
                    let v = self.g.v(*var);
                    out.extend(quote!(#rt::pop(&mut #v);));
                }
                out
            }
            Stmt::Accumulate { var, value } => {
                let mut out = TokenStream::new();
                if self.active(*var) {
                    let d = &self.g.d[*var];
                    out.extend(self.acc_atom(value, quote!(#d.clone())));
                }
                if self.saves_on_write(s, *var) {
                    let v = self.g.v(*var);
                    out.extend(self.restore(*var, quote!(#v), depth, false));
                }
                out
            }
            Stmt::If { cond, then, els } => {
                let t = self.rev_block(then, depth + 1);
                let e = self.rev_block(els, depth + 1);
                if t.is_empty() && e.is_empty() {
                    return quote!();
                }
                let c = self.g.a(cond);
                if e.is_empty() {
                    quote!(if #c { #t })
                } else if t.is_empty() {
                    quote!(if !#c { #e })
                } else {
                    quote!(if #c { #t } else { #e })
                }
            }
            Stmt::Match { arms, record, .. } => {
                let bodies: Vec<TokenStream> = arms
                    .iter()
                    .map(|a| self.rev_block(&a.body, depth + 1))
                    .collect();
                if bodies.iter().all(TokenStream::is_empty) {
                    return quote!();
                }
                let r = self.g.v(record.expect("prepare records match arms"));
                let arms = bodies.iter().enumerate().map(|(i, b)| quote!(#i => { #b }));
                quote!(match #r { #(#arms)* _ => {} })
            }
            Stmt::Loop(l) => {
                let body = self.rev_block(&l.body, depth + 1);
                if body.is_empty() {
                    return quote!();
                }
                if self.ck_names.contains_key(&l.id) {
                    return self.rev_checkpointed(l, body);
                }
                match (&l.kind, l.counter) {
                    (
                        LoopKind::Range {
                            var,
                            lo,
                            hi,
                            inclusive,
                        },
                        None,
                    ) => {
                        let v = self.g.v(*var);
                        let (lo, hi) = (self.g.a(lo), self.g.a(hi));
                        let range = if *inclusive {
                            quote!(#lo..=#hi)
                        } else {
                            quote!(#lo..#hi)
                        };
                        quote!(for #v in (#range).rev() { #body })
                    }
                    (LoopKind::Range { var, lo, .. }, Some(c)) => {
                        let v = self.g.v(*var);
                        let lo = self.g.a(lo);
                        let c = self.g.v(c);
                        quote!(for #v in (#lo..#lo + #c).rev() { #body })
                    }
                    (_, Some(c)) => {
                        let c = self.g.v(c);
                        quote!(for _ in 0..#c { #body })
                    }
                    (_, None) => unreachable!("non-range loops always count"),
                }
            }
            Stmt::Return(_) => {
                unreachable!("returns are lowered to flags before the reverse transform")
            }
        }
    }
}

/// What a checkpointed loop carries from one iteration to the next.
struct CkLoop {
    /// Variables declared outside the loop and written in it: the snapshot.
    state: Vec<VarId>,
    /// Variables declared outside the loop and only read in it.
    outer_reads: HashSet<VarId>,
}

impl CkLoop {
    fn of(l: &Loop) -> Self {
        let mut inside = HashSet::new();
        let mut written = HashSet::new();
        let mut reads: HashSet<VarId> = HashSet::new();
        if let LoopKind::Range { var, .. } = &l.kind {
            inside.insert(*var);
        }
        walk_stmts(&l.body, &mut |s| {
            reads.extend(s.reads());
            match s {
                Stmt::Let { var, .. } => {
                    inside.insert(*var);
                }
                Stmt::Assign { var, .. }
                | Stmt::IndexAssign { var, .. }
                | Stmt::Push { var, .. }
                | Stmt::Accumulate { var, .. } => {
                    written.insert(*var);
                }
                Stmt::Match { arms, .. } => arms
                    .iter()
                    .for_each(|a| inside.extend(a.binds.iter().copied())),
                Stmt::Loop(inner) => match &inner.kind {
                    LoopKind::Range { var, .. } => {
                        inside.insert(*var);
                    }
                    LoopKind::Iter { binds, .. } => inside.extend(binds.iter().copied()),
                    LoopKind::While { .. } | LoopKind::Loop => {}
                },
                Stmt::Bind(vs) => inside.extend(vs.iter().copied()),
                _ => {}
            }
        });
        let mut state: Vec<VarId> = written.difference(&inside).copied().collect();
        state.sort_unstable();
        let outer_reads = reads
            .into_iter()
            .filter(|v| !inside.contains(v) && !written.contains(v))
            .collect();
        CkLoop { state, outer_reads }
    }
}

/// The names a checkpointed loop's forward sweep binds for its reverse sweep.
struct CkNames {
    snaps: syn::Ident,
    hi: syn::Ident,
    /// The forward body of one iteration, with its saves: run again for each
    /// segment in the reverse sweep.
    body: TokenStream,
}

/// Is a value of this kind owned, with no borrow inside (`'static`), so its
/// stack can be a pooled `Stack`? Not slices, closures (pullbacks may borrow
/// their arguments) or types the engine cannot see.
fn owned(k: &Kind) -> bool {
    match k {
        Kind::Float | Kind::Int | Kind::Bool | Kind::Tensor => true,
        Kind::Array(e, _) | Kind::Vec(e) => owned(e),
        Kind::Tuple(ks) => ks.iter().all(owned),
        Kind::Slice(_) | Kind::Closure | Kind::Unknown => false,
    }
}

/// Does the reverse of this statement replay control flow by reading `v`
/// (a branch condition, a match record, a loop's bounds, counter or exit)?
fn replay_reads(s: &Stmt, v: VarId) -> bool {
    match s {
        Stmt::Match { record, .. } => *record == Some(v) || s.reads().contains(&v),
        Stmt::Loop(l) => l.counter == Some(v) || s.reads().contains(&v),
        Stmt::If { .. } => s.reads().contains(&v),
        _ => false,
    }
}

/// `tensor_ops::needs::NAME` for a call of the runtime's tensor operation
/// `NAME` of which some operand needs no adjoint, where the runtime has such
/// a pullback (the products, whose unneeded adjoints would cost a GEMM or a
/// full pass each).
fn tensor_partial_pullback(path: &syn::Path, needs: &[bool]) -> Option<syn::Path> {
    if needs.iter().all(|n| *n) || !path.segments.iter().any(|s| s.ident == "tensor_ops") {
        return None;
    }
    let last = path.segments.last()?.ident.clone();
    if !matches!(last.to_string().as_str(), "matmul" | "mul" | "div") {
        return None;
    }
    Some(syn::parse_quote!(::differentiate::__private::tensor_ops::needs::#last))
}
