//! Activity analysis: which variables carry a derivative.
//!
//! A variable is *varied* when its value depends, through differentiable
//! operations, on an active parameter; it is *useful* when the output depends on
//! it. Only variables that are both get tangents (forward) or adjoints
//! (reverse): everything else is plain primal code, so work the output does not
//! need is never done. Both are fixpoints over the whole body, so values carried
//! around loops are handled.

use crate::ir::*;
use crate::rules::Rules;

pub struct Activity {
    pub varied: Vec<bool>,
    pub useful: Vec<bool>,
}

impl Activity {
    pub fn active(&self, v: VarId) -> bool {
        self.varied[v] && self.useful[v]
    }

    /// Whether `rhs` passes a derivative from its operands to its result.
    pub fn rhs_varied(&self, rhs: &Rhs) -> bool {
        let va = |a: &Atom| a.var().is_some_and(|v| self.varied[v]);
        match rhs {
            Rhs::Atom(a) | Rhs::Copy(a, _) | Rhs::Field(a, _) | Rhs::CastAs(a, _) => va(a),
            Rhs::Unary(UnOp::Not, _) => false,
            Rhs::Unary(_, a) => va(a),
            Rhs::Binary(BinOp::Other(_), ..) => false,
            Rhs::Binary(_, a, b) => va(a) || va(b),
            Rhs::Prim { rule, args, .. } => !Rules::get().rows[*rule].zero && args.iter().any(va),
            Rhs::InactiveMethod { .. } | Rhs::NoDiff { .. } | Rhs::ZeroLike(_) | Rhs::VecNew(_) => {
                false
            }
            Rhs::Call { args, .. } => args.iter().any(va),
            Rhs::Pop(s) | Rhs::Index(s, _) => self.varied[*s],
            Rhs::Tuple(xs) | Rhs::Array(xs) | Rhs::VecLit(xs) => xs.iter().any(va),
            Rhs::Repeat { elem, .. } => va(elem),
            // `x as f32` carries the derivative; `x as usize` does not.
            Rhs::Cast(a, ty) => va(a) && crate::types::DType::of(ty, &[]).is_differentiable(),
        }
    }
}

/// Runs both analyses. `active_params` are the parameters derivatives are taken with respect to.
pub fn analyze(body: &Body, active_params: &[VarId]) -> Activity {
    let n = body.vars.len();
    let mut act = Activity {
        varied: vec![false; n],
        useful: vec![false; n],
    };
    for &p in active_params {
        act.varied[p] = !body.vars[p].kind.never_active();
    }
    // Forward: varied.
    loop {
        let mut changed = false;
        let mut mark = |act: &mut Activity, v: VarId| {
            if !act.varied[v] && !body.vars[v].kind.never_active() {
                act.varied[v] = true;
                changed = true;
            }
        };
        let mut todo: Vec<VarId> = Vec::new();
        walk_stmts(&body.block, &mut |s| match s {
            Stmt::Let {
                var,
                rhs: Some(rhs),
            }
            | Stmt::Assign { var, rhs, .. }
                if act.rhs_varied(rhs) =>
            {
                todo.push(*var);
            }
            Stmt::IndexAssign { var, value, .. }
            | Stmt::Push { var, value }
            | Stmt::Accumulate { var, value }
                if value.var().is_some_and(|v| act.varied[v]) =>
            {
                todo.push(*var);
            }
            _ => {}
        });
        for v in todo {
            mark(&mut act, v);
        }
        if !changed {
            break;
        }
    }
    // Backward: useful.
    let mut roots: Vec<VarId> = body.result.var().into_iter().collect();
    walk_stmts(&body.block, &mut |s| {
        if let Stmt::Return(a) = s {
            roots.extend(a.var());
        }
    });
    for r in roots {
        act.useful[r] = true;
    }
    loop {
        let mut todo: Vec<VarId> = Vec::new();
        walk_stmts(&body.block, &mut |s| match s {
            Stmt::Let {
                var,
                rhs: Some(rhs),
            }
            | Stmt::Assign { var, rhs, .. }
                if act.useful[*var] && act.rhs_varied(rhs) =>
            {
                todo.extend(rhs.reads().into_iter().filter(|v| act.varied[*v]));
            }
            Stmt::IndexAssign { var, value, .. }
            | Stmt::Push { var, value }
            | Stmt::Accumulate { var, value }
                if act.useful[*var] =>
            {
                todo.extend(value.var().filter(|v| act.varied[*v]));
            }
            _ => {}
        });
        let mut changed = false;
        for v in todo {
            if !act.useful[v] {
                act.useful[v] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    act
}
