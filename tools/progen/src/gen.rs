//! The random function generator: code and bounds together.
//!
//! Every expression is generated twice at once: `n`, the code that goes into
//! the differentiated function, and `t`, the same arithmetic for the
//! instrumented twin (decisions go through `tr::...`). `b` bounds its
//! magnitude, `k` says it is built from literals only (a method call on such a
//! value would be ambiguous in Rust, so it is written `f64::m(..)`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Largest bound of a value stored in a variable (larger values are squashed).
pub const VAR_CAP: f64 = 10.0;
/// Largest bound of an operand of `*` (larger ones are squashed first).
const MUL_CAP: f64 = 10.0;
/// Bound of the arguments a function assumes (the harness draws from
/// [-1.5, 1.5]; callers squash their arguments to this).
const ARG_CAP: f64 = 2.0;
/// Largest estimated cost of a function (statement executions, callees
/// included): keeps call trees from exploding and the test quick.
const COST_CAP: f64 = 500.0;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x005E_ED0F_D1FF)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// An index drawn with the given weights.
    pub fn weighted(&mut self, w: &[u32]) -> usize {
        let total: u32 = w.iter().sum();
        let mut r = (self.next_u64() % total as u64) as u32;
        for (i, &wi) in w.iter().enumerate() {
            if r < wi {
                return i;
            }
            r -= wi;
        }
        unreachable!()
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum PKind {
    Scalar,
    Array,
    Slice,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub kind: PKind,
}

#[derive(Clone, Debug)]
pub struct Sig {
    pub name: String,
    pub params: Vec<Param>,
    pub has_k: bool,
    /// Bound of the result for arguments within `ARG_CAP`.
    pub bound: f64,
    /// Estimated run time (statement executions, callees included).
    pub cost: f64,
}

pub fn random_sig(rng: &mut Rng, i: usize) -> Sig {
    let count = 1 + rng.weighted(&[3, 4, 2]);
    let params = (0..count)
        .map(|j| {
            let kind = match rng.weighted(&[6, 2, 2]) {
                0 => PKind::Scalar,
                1 => PKind::Array,
                _ => PKind::Slice,
            };
            let name = match kind {
                PKind::Scalar => format!("x{j}"),
                PKind::Array => format!("a{j}"),
                PKind::Slice => format!("s{j}"),
            };
            Param { name, kind }
        })
        .collect();
    Sig {
        name: format!("p{i:03}"),
        params,
        has_k: rng.chance(0.5),
        bound: f64::INFINITY,
        cost: 0.0,
    }
}

/// How often each construct was generated (printed by `progen --out`).
#[derive(Default)]
pub struct Stats {
    pub counts: BTreeMap<&'static str, usize>,
}

impl Stats {
    fn hit(&mut self, what: &'static str) {
        *self.counts.entry(what).or_insert(0) += 1;
    }
    pub fn report(&self) -> String {
        let mut s = String::from("constructs generated:");
        for (i, (k, v)) in self.counts.iter().enumerate() {
            if i % 6 == 0 {
                s.push_str("\n ");
            }
            write!(s, " {k}={v}").unwrap();
        }
        s
    }
}

/// Code for the function (`n`), for its twin (`t`), a bound on the magnitude
/// and whether it is made of literals only.
#[derive(Clone, Debug)]
pub struct C {
    pub n: String,
    pub t: String,
    pub b: f64,
    pub k: bool,
}

impl C {
    fn same(s: String, b: f64, k: bool) -> C {
        C {
            t: s.clone(),
            n: s,
            b,
            k,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum VKind {
    Scalar,
    /// `[f64; 3]`, local or parameter.
    Array,
    /// A local `Vec<f64>` of length 3.
    Vec,
    /// A `&[f64]` parameter (length 3 in the harness).
    Slice,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    kind: VKind,
    /// Bound of the value (of every element for arrays).
    b: f64,
    mutable: bool,
    /// Holds a literal-only value so far (its type is still `{float}`).
    konst: bool,
    /// Loops around the declaration.
    loop_depth: usize,
    /// Declared in the function's body itself (not in a block): lives to the end.
    top: bool,
    /// Declared after an early `return` (textually).
    after_return: bool,
    /// A parameter of the function.
    param: bool,
    /// The variable of a `for` over constant values.
    loop_value: bool,
    /// Shadowed by a later `let` of the same name.
    hidden: bool,
    /// Index in `vars` of the binding this one shadows.
    shadows: Option<usize>,
    /// An accumulator of this loop: `+=` allowed in it, not readable in it.
    acc_loop: Option<usize>,
    acc_inc: f64,
    uses: usize,
}

#[derive(Clone, Debug)]
struct Ix {
    name: String,
    /// Largest value it takes.
    max: usize,
    /// `usize` (may index, after `% 3` when `max > 2`) or `i32`.
    is_usize: bool,
}

/// Constructs that hit engine bugs (each fixed bug has its regression test in
/// tests/generated_regressions.rs or tests/regressions.rs): `true` = do not
/// generate. All are fixed, so the default avoids nothing; `--avoid-all
/// --with NAME` still isolates one construct when minimising a new failure,
/// and a construct that hits a new open bug is avoided here until it is fixed.
#[derive(Clone, Copy, Debug)]
pub struct Avoid {
    /// C3, F17: `let (a, mut b) = (.., ..);` broke forward over reverse.
    pub tuple: bool,
    /// F1: `f64::m(literal-only)` is lowered to `(lit).m()`, ambiguous `{float}`.
    pub path_literal: bool,
    /// F2: a `Vec` element write after an early `return`, or to a vector
    /// declared in a block (reverse mode: one save stack used for the element
    /// and for the whole vector).
    pub vec_after_return: bool,
    /// F3 (C11): `continue` in a loop nested in another loop (reverse mode:
    /// `cannot find value skip`).
    pub nested_continue: bool,
    /// F4: `break`/`return` in a loop around an inner loop with `break`
    /// (reverse mode: the inner `break` leaves the outer loop, or `cannot
    /// find value broke`): no `return` in loops, no `break` and no
    /// `loop { .. break }` inside another loop.
    pub return_in_loop: bool,
    /// F5: a call with a borrowed block-local argument (`g(&[a, b])`,
    /// `g(&local)`) inside a branch or loop (reverse mode: E0716).
    pub borrow_in_branch: bool,
    /// F6, F11: loops after an early return (reverse mode: values the
    /// reverse sweep re-reads are declared inside the forward `go` block:
    /// `cannot find value t2` / `iters`). No loops after a `return`.
    pub len_after_return: bool,
    /// F7: a function whose output is inactive (e.g. only through `floor`),
    /// with a slice parameter (forward over reverse: E0382). Avoided by
    /// always ending the result with a smooth term in a parameter.
    pub inactive_output: bool,
    /// F8: `g(&a)` where `a` is an array PARAMETER of the caller (reverse
    /// mode: E0597 / E0515, the pullback borrows a by-value parameter).
    pub borrow_array_param: bool,
    /// F9: `Vec::with_capacity` + `push` in a branch or loop (forward over
    /// reverse: E0596, the popped vector is not `mut`).
    pub push_in_block: bool,
    /// F10: the variable of a `for` over constants inside an array literal
    /// (the array is taken as inactive: wrong derivatives, or type errors).
    pub loop_value_in_array: bool,
    /// F12: a call's result inside an array literal (forward over reverse:
    /// internal error "this place cannot be written").
    pub call_in_array: bool,
    /// F13: `x.powi(n)` at `x = 0` with n = 0 (NaN first derivative) or
    /// n = 1 (NaN second derivative): such bases are kept positive.
    pub powi_zero: bool,
    /// F14: a constant `push`ed onto a vector (forward over reverse: the
    /// adjoint vector and its tangent get out of step). Pushed values get an
    /// active term.
    pub const_push: bool,
    /// F15: a local array or vector passed as a slice and written later
    /// (reverse mode: E0506). Slices come from slice parameters only.
    pub borrow_local: bool,
}

impl Avoid {
    pub const NAMES: &'static [(&'static str, &'static str)] = &[
        (
            "tuple",
            "C3/F17: tuple destructuring (forward over reverse internal error)",
        ),
        (
            "path_literal",
            "F1: f64::m(literal) lowered to (literal).m(): E0689",
        ),
        (
            "vec_after_return",
            "F2: Vec element write after an early return: save-stack type error",
        ),
        (
            "nested_continue",
            "F3: continue in a nested loop: cannot find value skip",
        ),
        (
            "return_in_loop",
            "F4: return in a loop around a loop with break: wrong values / cannot find broke",
        ),
        (
            "borrow_in_branch",
            "F5: call with a borrowed block-local argument in a branch/loop: E0716",
        ),
        (
            "len_after_return",
            "F6/F11: loops after an early return: cannot find t2 / iters",
        ),
        (
            "inactive_output",
            "F7: inactive output with a slice parameter: E0382 in _vjp_jvp",
        ),
        (
            "borrow_array_param",
            "F8: g(&a) with `a` an array parameter: E0597/E0515",
        ),
        (
            "push_in_block",
            "F9: Vec::with_capacity + push in a branch/loop: E0596 in _vjp_jvp",
        ),
        (
            "loop_value_in_array",
            "F10: `for i in [..]` variable in an array literal: wrong derivative",
        ),
        (
            "call_in_array",
            "F12: a call's result in an array literal: internal error in _vjp_jvp",
        ),
        (
            "powi_zero",
            "F13: powi(0) / powi(1) at a zero base: NaN derivatives",
        ),
        (
            "const_push",
            "F14: a constant pushed onto a vector: wrong second order",
        ),
        (
            "borrow_local",
            "F15: g(&local) and a later write to `local`: E0506",
        ),
    ];
    /// The constructs of open bugs: none (C3, F1-F15 and F17 are fixed, so
    /// every construct is generated).
    pub fn open_bugs() -> Self {
        Avoid {
            tuple: false,
            path_literal: false,
            vec_after_return: false,
            nested_continue: false,
            return_in_loop: false,
            borrow_in_branch: false,
            len_after_return: false,
            inactive_output: false,
            borrow_array_param: false,
            push_in_block: false,
            loop_value_in_array: false,
            call_in_array: false,
            powi_zero: false,
            const_push: false,
            borrow_local: false,
        }
    }

    /// Every listed construct avoided (to find which one a failure needs).
    pub fn all() -> Self {
        Avoid {
            tuple: true,
            path_literal: true,
            vec_after_return: true,
            nested_continue: true,
            return_in_loop: true,
            borrow_in_branch: true,
            len_after_return: true,
            inactive_output: true,
            borrow_array_param: true,
            push_in_block: true,
            loop_value_in_array: true,
            call_in_array: true,
            powi_zero: true,
            const_push: true,
            borrow_local: true,
        }
    }

    /// Generates the construct `name` (`--with`).
    pub fn allow(&mut self, name: &str) {
        self.set(name, false);
    }

    /// Does not generate the construct `name` (`--avoid`).
    pub fn forbid(&mut self, name: &str) {
        self.set(name, true);
    }

    fn set(&mut self, name: &str, avoid: bool) {
        match name {
            "tuple" => self.tuple = avoid,
            "path_literal" => self.path_literal = avoid,
            "vec_after_return" => self.vec_after_return = avoid,
            "nested_continue" => self.nested_continue = avoid,
            "return_in_loop" => self.return_in_loop = avoid,
            "borrow_in_branch" => self.borrow_in_branch = avoid,
            "len_after_return" => self.len_after_return = avoid,
            "inactive_output" => self.inactive_output = avoid,
            "borrow_array_param" => self.borrow_array_param = avoid,
            "push_in_block" => self.push_in_block = avoid,
            "loop_value_in_array" => self.loop_value_in_array = avoid,
            "call_in_array" => self.call_in_array = avoid,
            "powi_zero" => self.powi_zero = avoid,
            "const_push" => self.const_push = avoid,
            "borrow_local" => self.borrow_local = avoid,
            other => panic!("unknown construct {other:?}; known: {:?}", Self::NAMES),
        }
    }
}

pub struct Gen<'a> {
    avoid: Avoid,
    /// An early `return` was generated (textually before what comes next).
    returned: bool,
    /// Nesting of the statement being generated (1 = the function's body).
    cur_d: usize,
    /// Inside a branch of an `if`/`match` expression (or a `return`'s value).
    in_branch: usize,
    /// Generating an element of an array literal.
    in_array: usize,
    rng: &'a mut Rng,
    sigs: &'a [Sig],
    me: Sig,
    vars: Vec<Var>,
    idx: Vec<Ix>,
    loop_depth: usize,
    loop_ids: Vec<usize>,
    next_loop_id: usize,
    fresh: usize,
    ret_bound: f64,
    stats: &'a mut Stats,
    /// Statements generated so far (keeps bodies moderate).
    budget: usize,
    /// Estimated run time of the function (statement executions, callees included).
    cost: f64,
    /// Trips of the loops around the current statement (product).
    mult: f64,
    mults: Vec<f64>,
    /// A self-recursive call was generated.
    recursed: bool,
}

fn lit(v: f64) -> String {
    let s = format!("{v:.2}");
    if v < 0.0 {
        format!("({s})")
    } else {
        s
    }
}

/// A positive scale literal with enough digits.
fn scale_lit(v: f64) -> String {
    format!("{v:.6}")
}

/// `recv.m(args)`, or `f64::m(recv, args)` when the receiver is made of
/// literals only (a method call on a `{float}` would be ambiguous).
fn msg(recv: &str, konst: bool, m: &str, args: &[&str]) -> String {
    if konst {
        let mut all = vec![recv];
        all.extend_from_slice(args);
        format!("f64::{m}({})", all.join(", "))
    } else {
        format!("{recv}.{m}({})", args.join(", "))
    }
}

fn ind(d: usize) -> String {
    "    ".repeat(d)
}

/// Both versions of a statement (already indented, newline-terminated).
#[derive(Default)]
struct S {
    n: String,
    t: String,
}

impl S {
    fn line(&mut self, d: usize, n: impl AsRef<str>, t: impl AsRef<str>) {
        writeln!(self.n, "{}{}", ind(d), n.as_ref()).unwrap();
        writeln!(self.t, "{}{}", ind(d), t.as_ref()).unwrap();
    }
    fn both(&mut self, d: usize, s: impl AsRef<str>) {
        self.line(d, s.as_ref(), s.as_ref());
    }
    fn append(&mut self, o: S) {
        self.n.push_str(&o.n);
        self.t.push_str(&o.t);
    }
}

/// Methods, for coverage: each is picked uniformly.
const METHODS: &[&str] = &[
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "exp_m1",
    "ln",
    "log10",
    "log2",
    "ln_1p",
    "sqrt",
    "cbrt",
    "recip",
    "powi",
    "powf",
    "abs",
    "hypot",
    "max",
    "min",
    "signum",
    "mul_add",
    "clamp",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fract",
    "to_degrees",
    "to_radians",
];

/// Methods whose use the twin records (kinks and jumps).
const TRACED: &[&str] = &[
    "abs", "signum", "max", "min", "clamp", "floor", "ceil", "round", "trunc", "fract", "atan2",
];

impl<'a> Gen<'a> {
    pub fn new(
        rng: &'a mut Rng,
        sigs: &'a [Sig],
        me: Sig,
        stats: &'a mut Stats,
        avoid: Avoid,
    ) -> Self {
        let vars = me
            .params
            .iter()
            .map(|p| Var {
                name: p.name.clone(),
                kind: match p.kind {
                    PKind::Scalar => VKind::Scalar,
                    PKind::Array => VKind::Array,
                    PKind::Slice => VKind::Slice,
                },
                b: ARG_CAP,
                mutable: false,
                konst: false,
                loop_depth: 0,
                top: true,
                after_return: false,
                param: true,
                loop_value: false,
                hidden: false,
                shadows: None,
                acc_loop: None,
                acc_inc: 0.0,
                uses: 0,
            })
            .collect();
        Gen {
            avoid,
            returned: false,
            cur_d: 1,
            in_branch: 0,
            in_array: 0,
            rng,
            sigs,
            me,
            vars,
            idx: Vec::new(),
            loop_depth: 0,
            loop_ids: Vec::new(),
            next_loop_id: 0,
            fresh: 0,
            ret_bound: 0.0,
            stats,
            budget: 0,
            cost: 0.0,
            mult: 1.0,
            mults: Vec::new(),
            recursed: false,
        }
    }

    pub fn into_sig(self) -> Sig {
        self.me
    }

    fn name(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    // ---------------------------------------------------------------- bounds

    /// `c` with its magnitude brought within `l` (unchanged when it already is).
    fn sq(&mut self, c: C, l: f64) -> C {
        if c.b <= l {
            return c;
        }
        self.stats.hit("squash");
        let c = self.typed(c);
        let s = scale_lit(1.0 / c.b);
        let (f, mult) = match self.rng.below(3) {
            0 => ("tanh", l),
            1 => ("sin", l),
            _ => ("atan", l / std::f64::consts::FRAC_PI_4 * 0.999),
        };
        let k = c.k;
        let wrap = |x: &str| {
            format!(
                "({} * {})",
                msg(&format!("({x} * {s})"), k, f, &[]),
                scale_lit(mult)
            )
        };
        C {
            n: wrap(&c.n),
            t: wrap(&c.t),
            b: l,
            k: false,
        }
    }

    // ----------------------------------------------------------- expressions

    fn visible(&self, pred: impl Fn(&Var) -> bool) -> Vec<usize> {
        let cur = self.loop_ids.last().copied();
        (0..self.vars.len())
            .filter(|&i| {
                let v = &self.vars[i];
                !v.hidden
                    && (v.acc_loop.is_none()
                        || v.acc_loop != cur && !self.loop_ids.contains(&v.acc_loop.unwrap()))
                    && pred(v)
            })
            .collect()
    }

    /// Picks one of `cands`, preferring variables not read yet.
    fn pick_var(&mut self, cands: &[usize]) -> usize {
        let unused: Vec<usize> = cands
            .iter()
            .copied()
            .filter(|&i| self.vars[i].uses == 0)
            .collect();
        let i = if !unused.is_empty() && self.rng.chance(0.6) {
            unused[self.rng.below(unused.len())]
        } else {
            cands[self.rng.below(cands.len())]
        };
        self.vars[i].uses += 1;
        i
    }

    /// An index expression for an element of a length-3 array.
    fn index(&mut self) -> String {
        let ixs: Vec<Ix> = self.idx.iter().filter(|i| i.is_usize).cloned().collect();
        if !ixs.is_empty() && self.rng.chance(0.6) {
            let ix = &ixs[self.rng.below(ixs.len())];
            self.stats.hit("index_by_loop_var");
            if ix.max <= 2 {
                match self.rng.below(3) {
                    0 => format!("(2 - {})", ix.name),
                    1 => format!("({} + 1) % 3", ix.name),
                    _ => ix.name.clone(),
                }
            } else {
                format!("{} % 3", ix.name)
            }
        } else {
            format!("{}", self.rng.below(3))
        }
    }

    /// `c` itself, or `(c + v)` for a non-literal `v` when `c` is literal-only
    /// and F1 is avoided (so no method is ever called on a `{float}`).
    fn typed(&mut self, c: C) -> C {
        if !c.k || !self.avoid.path_literal {
            return c;
        }
        let mut v = self.leaf();
        for _ in 0..50 {
            if !v.k {
                break;
            }
            v = self.leaf();
        }
        if v.k {
            let p = &self.me.params[0];
            let s = match p.kind {
                PKind::Scalar => p.name.clone(),
                _ => format!("{}[0]", p.name),
            };
            v = C::same(s, ARG_CAP, false);
        }
        C {
            n: format!("({} + {})", c.n, v.n),
            t: format!("({} + {})", c.t, v.t),
            b: c.b + v.b,
            k: false,
        }
    }

    /// `e` with a known float type even when F1 is not avoided (a literal-only
    /// value used later as a method receiver would be ambiguous Rust).
    fn force_typed(&mut self, e: C) -> C {
        if !e.k {
            return e;
        }
        let saved = self.avoid.path_literal;
        self.avoid.path_literal = true;
        let e = self.typed(e);
        self.avoid.path_literal = saved;
        e
    }

    /// `(e + 0.125 * p)` for the first parameter `p` (an active value).
    fn with_active_term(&mut self, e: C) -> C {
        let p = &self.me.params[0];
        let r = match p.kind {
            PKind::Scalar => p.name.clone(),
            _ => format!("{}[0]", p.name),
        };
        C {
            n: format!("({} + 0.125 * {r})", e.n),
            t: format!("({} + 0.125 * {r})", e.t),
            b: e.b + 0.125 * ARG_CAP,
            k: false,
        }
    }

    fn literal(&mut self) -> C {
        let mut v = self.rng.range(0.1, 2.0);
        if self.rng.chance(0.3) {
            v = -v;
        }
        C::same(lit(v), v.abs() + 0.01, true)
    }

    fn leaf(&mut self) -> C {
        loop {
            match self.rng.weighted(&[10, 6, 3, 2, 2]) {
                0 => {
                    let no_lv = self.in_array > 0 && self.avoid.loop_value_in_array;
                    let c = self.visible(|v| v.kind == VKind::Scalar && !(no_lv && v.loop_value));
                    if c.is_empty() {
                        continue;
                    }
                    let i = self.pick_var(&c);
                    let v = &self.vars[i];
                    return C::same(v.name.clone(), v.b, v.konst);
                }
                1 => {
                    let c = self.visible(|v| v.kind != VKind::Scalar);
                    if c.is_empty() {
                        continue;
                    }
                    let i = self.pick_var(&c);
                    let ix = self.index();
                    let v = &self.vars[i];
                    self.stats.hit("element_read");
                    return C::same(format!("{}[{ix}]", v.name), v.b, v.konst);
                }
                2 => return self.literal(),
                3 => {
                    if !self.me.has_k {
                        continue;
                    }
                    self.stats.hit("int_cast");
                    return C::same("(k as f64)".into(), 3.0, false);
                }
                _ => {
                    if self.idx.is_empty() {
                        continue;
                    }
                    let ix = self.idx[self.rng.below(self.idx.len())].clone();
                    self.stats.hit("loop_var_cast");
                    return C::same(format!("({} as f64)", ix.name), ix.max as f64, false);
                }
            }
        }
    }

    pub fn expr(&mut self, depth: u32) -> C {
        if depth == 0 || self.rng.chance(0.2) {
            return self.leaf();
        }
        let can_call = !self.sigs.is_empty() && !(self.in_array > 0 && self.avoid.call_in_array);
        let w = [
            30,                                // binary
            3,                                 // negation
            34,                                // method
            4,                                 // if expression
            if self.me.has_k { 2 } else { 0 }, // match
            if can_call { 7 } else { 0 },      // call
            2,                                 // block expression
            if self.me.has_k && !(self.in_array > 0 && self.avoid.call_in_array) {
                1
            } else {
                0
            }, // self recursion
        ];
        match self.rng.weighted(&w) {
            0 => self.binary(depth),
            1 => {
                let a = self.expr(depth - 1);
                self.stats.hit("neg");
                C {
                    n: format!("(-{})", a.n),
                    t: format!("(-{})", a.t),
                    b: a.b,
                    k: a.k,
                }
            }
            2 => self.method(depth),
            3 => {
                let c = self.cond(depth - 1);
                self.in_branch += 1;
                let a = self.expr(depth - 1);
                let b = self.expr(depth - 1);
                self.in_branch -= 1;
                self.stats.hit("if_expr");
                C {
                    n: format!("(if {} {{ {} }} else {{ {} }})", c.n, a.n, b.n),
                    t: format!("(if {} {{ {} }} else {{ {} }})", c.t, a.t, b.t),
                    b: a.b.max(b.b),
                    k: a.k && b.k,
                }
            }
            4 => {
                self.in_branch += 1;
                let a = self.expr(depth - 1);
                let b = self.expr(depth - 1);
                let c = self.expr(depth - 1);
                self.in_branch -= 1;
                self.stats.hit("match_expr");
                let m = self.rng.below(3) + 1;
                C {
                    n: format!("(match k {{ 0 => {}, {m} => {}, _ => {} }})", a.n, b.n, c.n),
                    t: format!("(match k {{ 0 => {}, {m} => {}, _ => {} }})", a.t, b.t, c.t),
                    b: a.b.max(b.b).max(c.b),
                    k: a.k && b.k && c.k,
                }
            }
            5 => self.call(depth),
            6 => {
                let a = self.expr(depth - 1);
                let a = self.sq(a, MUL_CAP);
                let name = self.name("q");
                let b = self.expr(depth - 1);
                self.stats.hit("block_expr");
                C {
                    n: format!("({{ let {name} = {}; {name} * {name} + {} }})", a.n, b.n),
                    t: format!(
                        "({{ let {name} = tr::m({}); {name} * {name} + {} }})",
                        a.t, b.t
                    ),
                    b: a.b * a.b + b.b,
                    k: a.k && b.k,
                }
            }
            _ => self.recursion(depth),
        }
    }

    fn binary(&mut self, depth: u32) -> C {
        let a = self.expr(depth - 1);
        let b = self.expr(depth - 1);
        match self.rng.weighted(&[4, 3, 4, 2, 1]) {
            0 => {
                self.stats.hit("add");
                C {
                    n: format!("({} + {})", a.n, b.n),
                    t: format!("({} + {})", a.t, b.t),
                    b: a.b + b.b,
                    k: a.k && b.k,
                }
            }
            1 => {
                self.stats.hit("sub");
                C {
                    n: format!("({} - {})", a.n, b.n),
                    t: format!("({} - {})", a.t, b.t),
                    b: a.b + b.b,
                    k: a.k && b.k,
                }
            }
            2 => {
                self.stats.hit("mul");
                let a = self.sq(a, MUL_CAP);
                let b = self.sq(b, MUL_CAP);
                C {
                    n: format!("({} * {})", a.n, b.n),
                    t: format!("({} * {})", a.t, b.t),
                    b: a.b * b.b,
                    k: a.k && b.k,
                }
            }
            3 => {
                // a / (b * b + c): the divisor stays >= c
                self.stats.hit("div");
                let b = self.sq(b, MUL_CAP);
                let c = [0.5, 1.0, 2.0][self.rng.below(3)];
                C {
                    n: format!("({} / ({} * {} + {}))", a.n, b.n, b.n, lit(c)),
                    t: format!("({} / ({} * {} + {}))", a.t, b.t, b.t, lit(c)),
                    b: a.b / c,
                    k: a.k && b.k,
                }
            }
            _ => {
                self.stats.hit("div_lit");
                let c = [2.0, -4.0, 0.5, 3.0][self.rng.below(4)];
                C {
                    n: format!("({} / {})", a.n, lit(c)),
                    t: format!("({} / {})", a.t, lit(c)),
                    b: a.b / c.abs(),
                    k: a.k,
                }
            }
        }
    }

    /// `recv.m(args)` for the function, `tr::m(recv, args)` for the twin when
    /// `m` is recorded; `f64::m(recv, args)` when the receiver is a literal
    /// expression (or at random, for coverage of the path form).
    fn call_method(&mut self, m: &'static str, recv: &C, args: &[&C], b: f64) -> C {
        self.stats.hit(m);
        assert!(
            !(recv.k && self.avoid.path_literal),
            "progen: literal-only receiver {} (typed() must come first)",
            recv.n
        );
        let path = recv.k || self.rng.chance(0.15);
        let render = |r: &str, a: Vec<&str>| -> String { msg(r, path, m, &a) };
        let n = render(&recv.n, args.iter().map(|a| a.n.as_str()).collect());
        let t = if TRACED.contains(&m) {
            let mut all = vec![recv.t.as_str()];
            all.extend(args.iter().map(|a| a.t.as_str()));
            format!("tr::{m}({})", all.join(", "))
        } else {
            render(&recv.t, args.iter().map(|a| a.t.as_str()).collect())
        };
        if path {
            self.stats.hit("path_form");
        }
        C { n, t, b, k: false }
    }

    /// `(a * a + c)`, positive: the safe argument of logarithms and roots.
    fn pos(&mut self, a: C, c: f64) -> C {
        if a.n.len() <= 24 {
            return C {
                n: format!("({} * {} + {})", a.n, a.n, lit(c)),
                t: format!("({} * {} + {})", a.t, a.t, lit(c)),
                b: a.b * a.b + c,
                k: a.k,
            };
        }
        // a long operand is computed once (a block expression)
        let q = self.name("q");
        self.stats.hit("square_block");
        C {
            n: format!("({{ let {q} = {}; {q} * {q} + {} }})", a.n, lit(c)),
            t: format!("({{ let {q} = {}; {q} * {q} + {} }})", a.t, lit(c)),
            b: a.b * a.b + c,
            k: a.k,
        }
    }

    fn method(&mut self, depth: u32) -> C {
        let m = METHODS[self.rng.below(METHODS.len())];
        let a = self.expr(depth - 1);
        // typed first: adding a term afterwards would leave the method's domain
        let a = self.typed(a);
        match m {
            "sin" | "cos" => self.call_method(m, &a, &[], 1.0),
            "tan" => {
                let a = self.sq(a, 1.2);
                self.call_method(m, &a, &[], 2.58)
            }
            "asin" | "acos" => {
                let a = self.sq(a, 0.9);
                self.call_method(m, &a, &[], std::f64::consts::PI)
            }
            "atan" => self.call_method(m, &a, &[], 1.58),
            "atan2" => {
                let o = self.expr(depth - 1);
                let o = self.sq(o, 3.0);
                // the second argument stays away from 0 (the origin is a
                // singularity); its sign is recorded, so is the cut.
                let (cn, ct) = (msg(&o.n, o.k, "cos", &[]), msg(&o.t, o.k, "cos", &[]));
                let o = if self.rng.chance(0.5) {
                    C {
                        n: format!("({cn} + 1.5)"),
                        t: format!("({ct} + 1.5)"),
                        b: 2.5,
                        k: false,
                    }
                } else {
                    C {
                        n: format!("(-{cn} - 1.5)"),
                        t: format!("(-{ct} - 1.5)"),
                        b: 2.5,
                        k: false,
                    }
                };
                self.call_method(m, &a, &[&o], std::f64::consts::PI)
            }
            "sinh" | "cosh" | "exp" | "exp2" | "exp_m1" => {
                let a = self.sq(a, 2.5);
                self.call_method(m, &a, &[], 12.2)
            }
            "tanh" => self.call_method(m, &a, &[], 1.0),
            "asinh" => {
                let b = a.b.asinh() + 0.01;
                self.call_method(m, &a, &[], b)
            }
            "acosh" => {
                let a = self.sq(a, 2.0);
                let p = self.pos(a, 1.2);
                self.call_method(m, &p, &[], 2.4)
            }
            "atanh" => {
                let a = self.sq(a, 0.8);
                self.call_method(m, &a, &[], 1.1)
            }
            "ln" | "log10" | "log2" => {
                let a = self.sq(a, 3.0);
                let c = [0.2, 0.5, 1.0][self.rng.below(3)];
                let p = self.pos(a, c);
                self.call_method(m, &p, &[], 3.4)
            }
            "ln_1p" => {
                if self.rng.chance(0.5) {
                    let a = self.sq(a, 3.0);
                    let p = C {
                        n: format!("({} * {})", a.n, a.n),
                        t: format!("({} * {})", a.t, a.t),
                        b: a.b * a.b,
                        k: a.k,
                    };
                    self.call_method(m, &p, &[], 2.31)
                } else {
                    let a = self.sq(a, 0.8);
                    self.call_method(m, &a, &[], 1.61)
                }
            }
            "sqrt" => {
                let a = self.sq(a, 3.0);
                let c = [0.25, 0.5, 1.0][self.rng.below(3)];
                let p = self.pos(a, c);
                self.call_method(m, &p, &[], 3.2)
            }
            "cbrt" => {
                let a = self.sq(a, 3.0);
                let p = self.pos(a, 0.3);
                let p = if self.rng.chance(0.5) {
                    p
                } else {
                    C {
                        n: format!("(-{})", p.n),
                        t: format!("(-{})", p.t),
                        b: p.b,
                        k: p.k,
                    }
                };
                self.call_method(m, &p, &[], 2.2)
            }
            "recip" => {
                let a = self.sq(a, MUL_CAP);
                let c = [0.5, 1.0][self.rng.below(2)];
                let p = self.pos(a, c);
                self.call_method(m, &p, &[], 1.0 / c)
            }
            "powi" => {
                let a = self.sq(a, 1.5);
                match self.rng.below(4) {
                    0 | 1 => {
                        let n = self.rng.below(5) as i32;
                        let nn = C::same(format!("{n}"), 0.0, false);
                        if n <= 1 && self.avoid.powi_zero {
                            let p = self.pos(a, 0.5);
                            self.call_method(m, &p, &[&nn], 2.75)
                        } else {
                            self.call_method(m, &a, &[&nn], 5.1)
                        }
                    }
                    2 => {
                        let n = -(1 + self.rng.below(2) as i32);
                        let p = self.pos(a, 0.5);
                        let nn = C::same(format!("({n})"), 0.0, false);
                        self.call_method(m, &p, &[&nn], 4.0)
                    }
                    _ => {
                        if self.me.has_k {
                            self.stats.hit("powi_k");
                            if self.rng.chance(0.5) {
                                let kk = C::same("k".into(), 0.0, false);
                                if self.avoid.powi_zero {
                                    let p = self.pos(a, 0.5);
                                    self.call_method(m, &p, &[&kk], 20.8)
                                } else {
                                    self.call_method(m, &a, &[&kk], 3.4)
                                }
                            } else {
                                let p = self.pos(a, 0.5);
                                let kk = C::same("(k - 1)".into(), 0.0, false);
                                self.call_method(m, &p, &[&kk], 7.6)
                            }
                        } else {
                            let nn = C::same("3".into(), 0.0, false);
                            self.call_method(m, &a, &[&nn], 3.4)
                        }
                    }
                }
            }
            "powf" => {
                let a = self.sq(a, 1.2);
                let base = self.pos(a, 0.5);
                if self.rng.chance(0.6) {
                    let e = self.expr(depth - 1);
                    let e = self.sq(e, 2.0);
                    self.call_method(m, &base, &[&e], 4.0)
                } else {
                    let e = [0.5, 1.5, -0.5, 2.5, 2.0][self.rng.below(5)];
                    let e = C::same(lit(e), e.abs(), true);
                    self.call_method(m, &base, &[&e], 5.3)
                }
            }
            "abs" => {
                let b = a.b;
                self.call_method(m, &a, &[], b)
            }
            "hypot" => {
                let o = self.expr(depth - 1);
                let b = a.b + o.b;
                self.call_method(m, &a, &[&o], b)
            }
            "max" | "min" => {
                let o = self.expr(depth - 1);
                let b = a.b.max(o.b);
                self.call_method(m, &a, &[&o], b)
            }
            "signum" => {
                let s = self.call_method(m, &a, &[], 1.0);
                let c = self.expr(depth - 1);
                let c = self.sq(c, MUL_CAP);
                C {
                    n: format!("({} * {})", s.n, c.n),
                    t: format!("({} * {})", s.t, c.t),
                    b: c.b,
                    k: false,
                }
            }
            "mul_add" => {
                let a = self.sq(a, MUL_CAP);
                let x = self.expr(depth - 1);
                let x = self.sq(x, MUL_CAP);
                let y = self.expr(depth - 1);
                let b = a.b * x.b + y.b;
                self.call_method(m, &a, &[&x, &y], b)
            }
            "clamp" => {
                if self.rng.chance(0.5) {
                    let lo = -self.rng.range(0.1, 1.5);
                    let hi = self.rng.range(0.1, 1.5);
                    let lo_c = C::same(lit(lo), lo.abs(), true);
                    let hi_c = C::same(lit(hi), hi, true);
                    self.call_method(m, &a, &[&lo_c, &hi_c], 1.5)
                } else {
                    // bounds around an active centre: lo <= hi always
                    let c = self.expr(depth - 1);
                    let c = self.sq(c, 3.0);
                    let lo = C {
                        n: format!("({} - 0.5)", c.n),
                        t: format!("({} - 0.5)", c.t),
                        b: c.b + 0.5,
                        k: false,
                    };
                    let hi = C {
                        n: format!("({} + 0.75)", c.n),
                        t: format!("({} + 0.75)", c.t),
                        b: c.b + 0.75,
                        k: false,
                    };
                    self.stats.hit("clamp_active_bounds");
                    self.call_method(m, &a, &[&lo, &hi], c.b + 0.75)
                }
            }
            "floor" | "ceil" | "round" | "trunc" => {
                let b = a.b + 1.0;
                let r = self.call_method(m, &a, &[], b);
                // usually mixed with something smooth
                if self.rng.chance(0.7) {
                    let s = self.expr(depth - 1);
                    C {
                        n: format!("({} + {})", r.n, s.n),
                        t: format!("({} + {})", r.t, s.t),
                        b: b + s.b,
                        k: false,
                    }
                } else {
                    r
                }
            }
            "fract" => self.call_method(m, &a, &[], 1.0),
            "to_degrees" => {
                let a = self.sq(a, 0.2);
                self.call_method(m, &a, &[], 11.5)
            }
            "to_radians" => {
                let b = a.b * 0.0175;
                self.call_method(m, &a, &[], b)
            }
            _ => unreachable!("{m}"),
        }
    }

    /// Whether a borrowed block-local argument would hit F5 here.
    fn f5_risk(&self) -> bool {
        self.avoid.borrow_in_branch && (self.cur_d > 1 || self.in_branch > 0)
    }

    /// Variables a `&[f64]` argument can be taken from.
    fn slice_sources(&self) -> Vec<usize> {
        let risk = self.f5_risk();
        let f8 = self.avoid.borrow_array_param;
        let f15 = self.avoid.borrow_local;
        self.visible(|v| {
            matches!(v.kind, VKind::Slice | VKind::Vec | VKind::Array)
                && v.b <= ARG_CAP
                && !v.konst
                && (v.kind == VKind::Slice || !risk || v.top)
                && !(f8 && v.kind == VKind::Array && v.param)
                && !(f15 && !v.param)
        })
    }

    /// A call of an earlier generated function.
    fn call(&mut self, depth: u32) -> C {
        // callees whose slice parameters can be served here
        let no_literal = self.f5_risk();
        let have_slices = !self.slice_sources().is_empty();
        let room = COST_CAP - self.cost;
        let mult = self.mult;
        let ok: Vec<usize> = (0..self.sigs.len())
            .filter(|&j| {
                have_slices
                    || !no_literal
                    || self.sigs[j].params.iter().all(|p| p.kind != PKind::Slice)
            })
            .filter(|&j| self.sigs[j].cost * mult <= room)
            .collect();
        if ok.is_empty() {
            return self.leaf();
        }
        let j = ok[self.rng.below(ok.len())];
        let sig = self.sigs[j].clone();
        self.cost += sig.cost * self.mult;
        let mut n_args = Vec::new();
        let mut t_args = Vec::new();
        for p in &sig.params {
            match p.kind {
                PKind::Scalar => {
                    let a = self.expr(depth - 1);
                    let a = self.sq(a, ARG_CAP);
                    n_args.push(a.n);
                    t_args.push(a.t);
                }
                PKind::Array => {
                    let c = self.visible(|v| v.kind == VKind::Array && v.b <= ARG_CAP && !v.konst);
                    if !c.is_empty() && self.rng.chance(0.6) {
                        let i = self.pick_var(&c);
                        self.stats.hit("call_array_var");
                        n_args.push(self.vars[i].name.clone());
                        t_args.push(self.vars[i].name.clone());
                    } else {
                        let mut ns = Vec::new();
                        let mut ts = Vec::new();
                        self.in_array += 1;
                        for _ in 0..3 {
                            let a = self.expr(depth.saturating_sub(2));
                            let a = self.sq(a, ARG_CAP);
                            ns.push(a.n);
                            ts.push(a.t);
                        }
                        self.in_array -= 1;
                        self.stats.hit("call_array_literal");
                        n_args.push(format!("[{}]", ns.join(", ")));
                        t_args.push(format!("[{}]", ts.join(", ")));
                    }
                }
                PKind::Slice => {
                    let c = self.slice_sources();
                    if !c.is_empty() {
                        let i = self.pick_var(&c);
                        let v = &self.vars[i];
                        let s = match v.kind {
                            VKind::Slice => v.name.clone(),
                            _ => format!("&{}", v.name),
                        };
                        self.stats.hit(match v.kind {
                            VKind::Slice => "call_slice_param",
                            VKind::Vec => "call_slice_of_vec",
                            _ => "call_slice_of_array",
                        });
                        n_args.push(s.clone());
                        t_args.push(s);
                    } else {
                        let mut ns = Vec::new();
                        let mut ts = Vec::new();
                        self.in_array += 1;
                        for _ in 0..3 {
                            let a = self.expr(depth.saturating_sub(2));
                            let a = self.sq(a, ARG_CAP);
                            ns.push(a.n);
                            ts.push(a.t);
                        }
                        self.in_array -= 1;
                        self.stats.hit("call_slice_of_array_literal");
                        n_args.push(format!("&[{}]", ns.join(", ")));
                        t_args.push(format!("&[{}]", ts.join(", ")));
                    }
                }
            }
        }
        if sig.has_k {
            let k = if self.me.has_k && self.rng.chance(0.6) {
                "k".to_string()
            } else {
                format!("{}", self.rng.below(4))
            };
            n_args.push(k.clone());
            t_args.push(k);
        }
        self.stats.hit("call");
        C {
            n: format!("{}({})", sig.name, n_args.join(", ")),
            t: format!("{}({})", sig.name, t_args.join(", ")),
            b: sig.bound,
            k: false,
        }
    }

    /// `(if k > 0 { self(args, k - 1).tanh() * L } else { e })`.
    fn recursion(&mut self, depth: u32) -> C {
        if self.recursed || self.loop_depth > 0 {
            return self.leaf();
        }
        self.recursed = true;
        self.in_branch += 1;
        let c = self.recursion_inner(depth);
        self.in_branch -= 1;
        c
    }

    fn recursion_inner(&mut self, depth: u32) -> C {
        let mut n_args = Vec::new();
        let mut t_args = Vec::new();
        for p in self.me.params.clone() {
            match p.kind {
                PKind::Scalar => {
                    let a = self.expr(depth - 1);
                    let a = self.sq(a, ARG_CAP);
                    n_args.push(a.n);
                    t_args.push(a.t);
                }
                _ => {
                    n_args.push(p.name.clone());
                    t_args.push(p.name.clone());
                }
            }
        }
        let e = self.expr(depth - 1);
        let l = 2.0;
        self.stats.hit("self_recursion");
        let me = self.me.name.clone();
        C {
            n: format!(
                "(if k > 0 {{ {me}({}, k - 1).tanh() * {} }} else {{ {} }})",
                n_args.join(", "),
                lit(l),
                e.n
            ),
            t: format!(
                "(if k > 0 {{ {me}({}, k - 1).tanh() * {} }} else {{ {} }})",
                t_args.join(", "),
                lit(l),
                e.t
            ),
            b: e.b.max(l),
            k: false,
        }
    }

    // ------------------------------------------------------------ conditions

    fn cond(&mut self, depth: u32) -> C {
        let d = depth.max(1);
        match self.rng.weighted(&[
            10,
            if self.me.has_k { 4 } else { 0 },
            if self.idx.is_empty() { 0 } else { 3 },
            2,
            2,
        ]) {
            0 => {
                let a = self.expr(d - 1);
                let b = if self.rng.chance(0.5) {
                    self.literal()
                } else {
                    self.expr(d - 1)
                };
                let (op, f) =
                    [(">", "gt"), ("<", "lt"), (">=", "ge"), ("<=", "le")][self.rng.below(4)];
                self.stats.hit("active_condition");
                C {
                    n: format!("{} {op} {}", a.n, b.n),
                    t: format!("tr::{f}({}, {})", a.t, b.t),
                    b: 0.0,
                    k: false,
                }
            }
            1 => {
                self.stats.hit("inactive_condition");
                let s = match self.rng.below(3) {
                    0 => format!("k > {}", self.rng.below(3)),
                    1 => "k % 2 == 0".to_string(),
                    _ => format!("k == {}", self.rng.below(4)),
                };
                C::same(s, 0.0, false)
            }
            2 => {
                let ix = self.idx[self.rng.below(self.idx.len())].clone();
                self.stats.hit("loop_var_condition");
                let s = match self.rng.below(2) {
                    0 => format!("{} % 2 == 0", ix.name),
                    _ => format!("{} > 0", ix.name),
                };
                C::same(s, 0.0, false)
            }
            3 => {
                let a = self.cond(d - 1);
                let b = self.cond(d - 1);
                let op = if self.rng.chance(0.5) { "&&" } else { "||" };
                self.stats.hit("compound_condition");
                C {
                    n: format!("({} {op} {})", a.n, b.n),
                    t: format!("({} {op} {})", a.t, b.t),
                    b: 0.0,
                    k: false,
                }
            }
            _ => {
                let a = self.cond(d - 1);
                self.stats.hit("not_condition");
                C {
                    n: format!("!({})", a.n),
                    t: format!("!({})", a.t),
                    b: 0.0,
                    k: false,
                }
            }
        }
    }

    // ------------------------------------------------------------ statements

    fn declare(&mut self, name: String, kind: VKind, b: f64, mutable: bool, konst: bool) -> usize {
        let shadows = self.vars.iter().rposition(|v| v.name == name && !v.hidden);
        if let Some(s) = shadows {
            self.vars[s].hidden = true;
        }
        self.vars.push(Var {
            name,
            kind,
            b,
            mutable,
            konst,
            loop_depth: self.loop_depth,
            top: self.cur_d == 1,
            after_return: self.returned,
            param: false,
            loop_value: false,
            hidden: false,
            shadows,
            acc_loop: None,
            acc_inc: 0.0,
            uses: 0,
        });
        self.vars.len() - 1
    }

    /// Leaves a block: its declarations go out of scope.
    fn truncate(&mut self, len: usize, idx_len: usize) {
        while self.vars.len() > len {
            let v = self.vars.pop().unwrap();
            if let Some(s) = v.shadows {
                self.vars[s].hidden = false;
            }
        }
        self.idx.truncate(idx_len);
    }

    fn bounds(&self) -> Vec<(f64, bool)> {
        self.vars.iter().map(|v| (v.b, v.konst)).collect()
    }

    fn block(&mut self, count: usize, d: usize, depth: u32) -> S {
        let (len, idx_len) = (self.vars.len(), self.idx.len());
        let mut s = S::default();
        for _ in 0..count {
            s.append(self.stmt(d, depth));
        }
        self.truncate(len, idx_len);
        s
    }

    /// Assigns `value` to variable `i`, keeping the loop invariant: a
    /// variable declared outside the current loop keeps its bound.
    fn stored(&mut self, i: usize, value: C) -> C {
        let frozen = self.vars[i].loop_depth < self.loop_depth;
        let cap = if frozen {
            self.vars[i].b
        } else {
            VAR_CAP.max(self.vars[i].b)
        };
        self.sq(value, cap)
    }

    fn stmt(&mut self, d: usize, depth: u32) -> S {
        self.budget += 1;
        self.cost += self.mult;
        self.cur_d = d;
        let s = self.stmt_inner(d, depth);
        self.cur_d = d;
        s
    }

    fn stmt_inner(&mut self, d: usize, depth: u32) -> S {
        let deep = depth == 0 || self.budget > 14;
        let in_loop = self.loop_depth > 0;
        let no_loops = deep || self.returned && self.avoid.len_after_return;
        let w = [
            25,                                   // let
            if self.avoid.tuple { 0 } else { 3 }, // let tuple
            5,                                    // let array
            4,                                    // let vec
            6,                                    // shadow
            15,                                   // assign scalar
            8,                                    // assign element
            if deep { 0 } else { 10 },            // if
            if no_loops { 0 } else { 8 },         // for
            if no_loops { 0 } else { 3 },         // while (inactive)
            if no_loops { 0 } else { 3 },         // while (active)
            if no_loops || in_loop && self.avoid.return_in_loop {
                0
            } else {
                2
            }, // loop + break
            if in_loop && self.avoid.return_in_loop {
                0
            } else {
                3
            }, // early return
            if in_loop && !(self.loop_depth > 1 && self.avoid.return_in_loop) {
                4
            } else {
                0
            }, // break / continue
            if deep || !self.me.has_k { 0 } else { 2 }, // match statement
            1,                                    // assert!
        ];
        let ed = if self.rng.chance(0.3) { 3 } else { 2 };
        let mut s = S::default();
        match self.rng.weighted(&w) {
            0 => {
                let e = self.expr(ed);
                let e = self.sq(e, VAR_CAP);
                let mutable = self.rng.chance(0.5);
                let name = self.name("v");
                let m = if mutable { "mut " } else { "" };
                s.line(
                    d,
                    format!("let {m}{name} = {};", e.n),
                    format!("let {m}{name} = tr::m({});", e.t),
                );
                self.declare(name, VKind::Scalar, e.b, mutable, e.k);
                self.stats.hit("let");
            }
            1 => {
                let a = self.expr(ed - 1);
                let a = self.sq(a, VAR_CAP);
                let b = self.expr(ed - 1);
                let b = self.sq(b, VAR_CAP);
                let (n1, n2) = (self.name("u"), self.name("u"));
                s.line(
                    d,
                    format!("let ({n1}, mut {n2}) = ({}, {});", a.n, b.n),
                    format!("let ({n1}, mut {n2}) = (tr::m({}), tr::m({}));", a.t, b.t),
                );
                self.declare(n1, VKind::Scalar, a.b, false, a.k);
                self.declare(n2, VKind::Scalar, b.b, true, b.k);
                self.stats.hit("let_tuple");
            }
            2 => {
                let name = self.name("b");
                match self.rng.below(3) {
                    0 => {
                        s.both(d, format!("let mut {name} = [0.0; 3];"));
                        self.declare(name, VKind::Array, 0.0, true, true);
                    }
                    1 => {
                        let mut es = Vec::new();
                        self.in_array += 1;
                        for _ in 0..3 {
                            let e = self.expr(ed - 1);
                            es.push(self.sq(e, VAR_CAP));
                        }
                        self.in_array -= 1;
                        let b = es.iter().fold(0.0f64, |m, e| m.max(e.b));
                        let k = es.iter().all(|e| e.k);
                        s.line(
                            d,
                            format!(
                                "let mut {name} = [{}];",
                                es.iter()
                                    .map(|e| e.n.clone())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            format!(
                                "let mut {name} = [{}];",
                                es.iter()
                                    .map(|e| format!("tr::m({})", e.t))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                        self.declare(name, VKind::Array, b, true, k);
                    }
                    _ => {
                        let c = self.visible(|v| v.kind == VKind::Array);
                        if c.is_empty() {
                            s.both(d, format!("let mut {name} = [1.0; 3];"));
                            self.declare(name, VKind::Array, 1.0, true, true);
                        } else {
                            let i = self.pick_var(&c);
                            let (src, b, k) = (
                                self.vars[i].name.clone(),
                                self.vars[i].b,
                                self.vars[i].konst,
                            );
                            s.both(d, format!("let mut {name} = {src};"));
                            self.declare(name, VKind::Array, b, true, k);
                            self.stats.hit("array_copy");
                        }
                    }
                }
                self.stats.hit("let_array");
            }
            3 => {
                let name = self.name("w");
                let f9 = self.avoid.push_in_block && (self.cur_d > 1 || self.returned);
                if self.rng.chance(0.5) || f9 {
                    s.both(d, format!("let mut {name} = vec![0.0; 3];"));
                    self.declare(name, VKind::Vec, 0.0, true, true);
                    self.stats.hit("vec_macro");
                } else {
                    s.both(d, format!("let mut {name} = Vec::with_capacity(3);"));
                    let mut b = 0.0f64;
                    let mut k = true;
                    for _ in 0..3 {
                        let e = self.expr(ed - 1);
                        let e = self.sq(e, VAR_CAP);
                        let e = if self.avoid.const_push {
                            self.with_active_term(e)
                        } else {
                            e
                        };
                        s.line(
                            d,
                            format!("{name}.push({});", e.n),
                            format!("{name}.push(tr::m({}));", e.t),
                        );
                        b = b.max(e.b);
                        k &= e.k;
                    }
                    self.declare(name, VKind::Vec, b, true, k);
                    self.stats.hit("vec_push");
                }
            }
            4 => {
                let c = self.visible(|v| v.kind == VKind::Scalar);
                if c.is_empty() {
                    return self.stmt(d, depth);
                }
                let i = self.pick_var(&c);
                let name = self.vars[i].name.clone();
                let e = self.expr(ed);
                let k = e.k && self.vars[i].konst;
                let e = C {
                    n: format!("({} + {name})", e.n),
                    t: format!("({} + {name})", e.t),
                    b: e.b + self.vars[i].b,
                    k,
                };
                let e = self.sq(e, VAR_CAP);
                let mutable = self.rng.chance(0.3);
                let m = if mutable { "mut " } else { "" };
                s.line(
                    d,
                    format!("let {m}{name} = {};", e.n),
                    format!("let {m}{name} = tr::m({});", e.t),
                );
                self.declare(name, VKind::Scalar, e.b, mutable, e.k);
                self.stats.hit("shadow");
            }
            5 => {
                let cur = self.loop_ids.last().copied();
                // accumulators of the current loop
                let accs: Vec<usize> = (0..self.vars.len())
                    .filter(|&i| {
                        !self.vars[i].hidden && cur.is_some() && self.vars[i].acc_loop == cur
                    })
                    .collect();
                if !accs.is_empty() && self.rng.chance(0.6) {
                    let i = accs[self.rng.below(accs.len())];
                    let e = self.expr(ed - 1);
                    let e = self.sq(e, 3.0);
                    let name = self.vars[i].name.clone();
                    let op = if self.rng.chance(0.7) { "+=" } else { "-=" };
                    s.line(
                        d,
                        format!("{name} {op} {};", e.n),
                        format!("{name} {op} tr::m({});", e.t),
                    );
                    self.vars[i].acc_inc += e.b;
                    self.vars[i].konst &= e.k;
                    self.stats.hit("accumulate");
                    return s;
                }
                let c = self.visible(|v| v.kind == VKind::Scalar && v.mutable);
                if c.is_empty() {
                    return self.stmt(d, depth);
                }
                let i = c[self.rng.below(c.len())];
                let name = self.vars[i].name.clone();
                let frozen = self.vars[i].loop_depth < self.loop_depth;
                let vb = self.vars[i].b;
                match self.rng.below(5) {
                    // v = e (may read v)
                    0 | 1 => {
                        let e = self.expr(ed);
                        let e = self.stored(i, e);
                        s.line(
                            d,
                            format!("{name} = {};", e.n),
                            format!("{name} = tr::m({});", e.t),
                        );
                        self.vars[i].b = if frozen { vb } else { e.b };
                        self.vars[i].konst &= e.k;
                        self.stats.hit("assign");
                    }
                    2 => {
                        // v op= e, growing: only where the bound allows it
                        let e = self.expr(ed - 1);
                        let e = self.sq(e, 3.0);
                        let op = if self.rng.chance(0.5) { "+=" } else { "-=" };
                        if !frozen && vb + e.b <= VAR_CAP {
                            s.line(
                                d,
                                format!("{name} {op} {};", e.n),
                                format!("{name} {op} tr::m({});", e.t),
                            );
                            self.vars[i].b = vb + e.b;
                            self.stats.hit("compound_add");
                        } else {
                            let o = if op == "+=" { "+" } else { "-" };
                            let v = C {
                                n: format!("({name} {o} {})", e.n),
                                t: format!("({name} {o} {})", e.t),
                                b: vb + e.b,
                                k: false,
                            };
                            let v = self.stored(i, v);
                            s.line(
                                d,
                                format!("{name} = {};", v.n),
                                format!("{name} = tr::m({});", v.t),
                            );
                            if !frozen {
                                self.vars[i].b = v.b;
                            }
                            self.stats.hit("assign_self");
                        }
                        self.vars[i].konst &= e.k;
                    }
                    3 => {
                        // v *= f with |f| <= 1
                        let e = self.expr(ed - 1);
                        let e = self.typed(e);
                        let f = if self.rng.chance(0.5) {
                            C {
                                n: msg(&e.n, e.k, "cos", &[]),
                                t: msg(&e.t, e.k, "cos", &[]),
                                b: 1.0,
                                k: false,
                            }
                        } else {
                            let e = self.sq(e, 1.0);
                            C {
                                n: format!("({} * 0.9)", e.n),
                                t: format!("({} * 0.9)", e.t),
                                b: 0.9,
                                k: e.k,
                            }
                        };
                        s.line(
                            d,
                            format!("{name} *= {};", f.n),
                            format!("{name} *= {};", f.t),
                        );
                        self.vars[i].konst &= f.k;
                        self.stats.hit("compound_mul");
                    }
                    _ => {
                        // v /= (e * e + c), c >= 1
                        let e = self.expr(ed - 1);
                        let e = self.sq(e, MUL_CAP);
                        let p = self.pos(e, 1.0);
                        s.line(
                            d,
                            format!("{name} /= {};", p.n),
                            format!("{name} /= {};", p.t),
                        );
                        self.vars[i].konst &= p.k;
                        self.stats.hit("compound_div");
                    }
                }
            }
            6 => {
                // F2: only vectors of the function's top level, declared before any return
                let f2 = self.avoid.vec_after_return;
                let c = self.visible(|v| {
                    (v.kind == VKind::Array
                        || v.kind == VKind::Vec && !(f2 && (!v.top || v.after_return)))
                        && v.mutable
                });
                if c.is_empty() {
                    return self.stmt(d, depth);
                }
                let i = c[self.rng.below(c.len())];
                let name = self.vars[i].name.clone();
                let ix = self.index();
                let e = self.expr(ed);
                let frozen = self.vars[i].loop_depth < self.loop_depth;
                let vb = self.vars[i].b;
                if self.rng.chance(0.3) && !frozen {
                    let e = self.sq(e, 3.0);
                    if vb + e.b <= VAR_CAP {
                        s.line(
                            d,
                            format!("{name}[{ix}] += {};", e.n),
                            format!("{name}[{ix}] += tr::m({});", e.t),
                        );
                        self.vars[i].b = vb + e.b;
                        self.vars[i].konst &= e.k;
                        self.stats.hit("element_add");
                        return s;
                    }
                    let e2 = self.stored(i, e);
                    s.line(
                        d,
                        format!("{name}[{ix}] = {};", e2.n),
                        format!("{name}[{ix}] = tr::m({});", e2.t),
                    );
                    self.vars[i].b = vb.max(e2.b);
                    self.vars[i].konst &= e2.k;
                } else {
                    let e = self.stored(i, e);
                    s.line(
                        d,
                        format!("{name}[{ix}] = {};", e.n),
                        format!("{name}[{ix}] = tr::m({});", e.t),
                    );
                    if !frozen {
                        self.vars[i].b = vb.max(e.b);
                    }
                    self.vars[i].konst &= e.k;
                }
                self.stats.hit("element_write");
            }
            7 => {
                let c = self.cond(2);
                let before = self.bounds();
                let n_then = 1 + self.rng.below(3);
                let then = self.block(n_then, d + 1, depth - 1);
                let after_then = self.bounds();
                for (v, (b, k)) in self.vars.iter_mut().zip(&before) {
                    v.b = *b;
                    v.konst = *k;
                }
                let has_else = self.rng.chance(0.6);
                let els = if has_else {
                    let n_else = 1 + self.rng.below(3);
                    Some(self.block(n_else, d + 1, depth - 1))
                } else {
                    None
                };
                for (v, (b, k)) in self.vars.iter_mut().zip(&after_then) {
                    v.b = v.b.max(*b);
                    v.konst &= *k;
                }
                s.line(d, format!("if {} {{", c.n), format!("if {} {{", c.t));
                s.append(then);
                if let Some(e) = els {
                    s.both(d, "} else {");
                    s.append(e);
                    self.stats.hit("if_else");
                } else {
                    self.stats.hit("if");
                }
                s.both(d, "}");
            }
            8 => {
                // for loop, maybe with an accumulator declared just before
                let i = self.name("i");
                let slices = self.visible(|v| v.kind == VKind::Slice || v.kind == VKind::Vec);
                let (head, max, is_usize, trips, konst_elems) = match self.rng.below(6) {
                    0 | 1 => ("0..3".to_string(), 2, true, 3.0, None),
                    2 => {
                        let n = 2 + self.rng.below(3);
                        (format!("0..{n}"), n - 1, true, n as f64, None)
                    }
                    3 if self.me.has_k => ("0..k".to_string(), 2, false, 3.0, None),
                    4 if !slices.is_empty() && !(self.returned && self.avoid.len_after_return) => {
                        let v = self.vars[slices[self.rng.below(slices.len())]].name.clone();
                        self.stats.hit("for_len");
                        (format!("0..{v}.len()"), 2, true, 3.0, None)
                    }
                    5 => {
                        let vals: Vec<f64> = (0..3).map(|_| self.rng.range(-1.5, 1.5)).collect();
                        let b = vals.iter().fold(0.0f64, |m, v| m.max(v.abs())) + 0.01;
                        self.stats.hit("for_over_values");
                        (
                            format!(
                                "[{}]",
                                vals.iter().map(|v| lit(*v)).collect::<Vec<_>>().join(", ")
                            ),
                            0,
                            false,
                            3.0,
                            Some(b),
                        )
                    }
                    _ => ("(0..3).rev()".to_string(), 2, true, 3.0, None),
                };
                let acc = if self.rng.chance(0.5) {
                    let a = self.name("acc");
                    s.both(d, format!("let mut {a} = 0.0;"));
                    let ai = self.declare(a, VKind::Scalar, 0.0, true, true);
                    Some(ai)
                } else {
                    None
                };
                let id = self.enter_loop(trips);
                if let Some(ai) = acc {
                    self.vars[ai].acc_loop = Some(id);
                }
                let header_at = s.n.len();
                s.both(d, format!("for {i} in {head} {{"));
                let (len, idx_len) = (self.vars.len(), self.idx.len());
                if let Some(b) = konst_elems {
                    let vi = self.declare(i.clone(), VKind::Scalar, b, false, true);
                    self.vars[vi].loop_value = true;
                } else {
                    self.idx.push(Ix {
                        name: i.clone(),
                        max,
                        is_usize,
                    });
                }
                let n = 1 + self.rng.below(3);
                let mut body = S::default();
                for _ in 0..n {
                    body.append(self.stmt(d + 1, depth - 1));
                }
                if let Some(ai) = acc {
                    if self.vars[ai].acc_inc == 0.0 {
                        let e = self.expr(2);
                        let e = self.sq(e, 3.0);
                        let a = self.vars[ai].name.clone();
                        body.line(
                            d + 1,
                            format!("{a} += {};", e.n),
                            format!("{a} += tr::m({});", e.t),
                        );
                        self.vars[ai].acc_inc += e.b;
                        self.vars[ai].konst &= e.k;
                    }
                }
                self.truncate(len, idx_len);
                self.leave_loop();
                // `#[checkpoint]` where it may stand: a range loop at the top
                // level of the body that does not leave early (the body's
                // text is checked: conservative). Reverse mode then runs it in
                // segments; the derivatives must not change.
                let leaves = ["break", "continue", "return"]
                    .iter()
                    .any(|w| body.n.contains(w));
                if d == 1 && head.starts_with("0..") && !leaves && self.rng.chance(0.35) {
                    let attr = if self.rng.chance(0.5) {
                        "#[checkpoint]".to_string()
                    } else {
                        format!("#[checkpoint(every = {})]", 1 + self.rng.below(3))
                    };
                    s.n.insert_str(header_at, &format!("{}{attr}\n", ind(d)));
                    self.stats.hit("checkpoint");
                }
                s.append(body);
                s.both(d, "}");
                if let Some(ai) = acc {
                    let v = &mut self.vars[ai];
                    v.b = trips * v.acc_inc;
                    v.acc_loop = None;
                    self.stats.hit("for_accumulator");
                }
                self.stats.hit("for");
            }
            9 => {
                let c = self.name("c");
                let lim = if self.me.has_k && self.rng.chance(0.4) {
                    "k".to_string()
                } else {
                    format!("{}", 2 + self.rng.below(2))
                };
                s.both(d, format!("let mut {c} = 0;"));
                s.both(d, format!("while {c} < {lim} {{"));
                s.both(d + 1, format!("{c} += 1;"));
                let id = self.enter_loop(3.0);
                let _ = id;
                let (len, idx_len) = (self.vars.len(), self.idx.len());
                self.idx.push(Ix {
                    name: c.clone(),
                    max: 3,
                    is_usize: false,
                });
                let n = 1 + self.rng.below(3);
                for _ in 0..n {
                    let st = self.stmt(d + 1, depth - 1);
                    s.append(st);
                }
                self.truncate(len, idx_len);
                self.leave_loop();
                s.both(d, "}");
                self.stats.hit("while_counter");
            }
            10 => {
                // while on an active condition: t grows by >= 0.25 each trip
                let t = self.name("t");
                let e = self.expr(2);
                // `t` is read as a receiver (`t.sin()`): its type must be known
                let e = self.force_typed(e);
                let e = self.sq(e, 1.0);
                s.line(
                    d,
                    format!("let mut {t} = {};", e.n),
                    format!("let mut {t} = tr::m({});", e.t),
                );
                let lim = [1.0, 1.5, 2.0][self.rng.below(3)];
                let id = self.enter_loop(10.0);
                let _ = id;
                let (len, idx_len) = (self.vars.len(), self.idx.len());
                // inside: t is readable, not writable
                let ti = self.declare(t.clone(), VKind::Scalar, lim + 1.25, false, false);
                self.vars[ti].loop_depth = self.loop_depth;
                s.line(
                    d,
                    format!("while {t} < {} {{", lit(lim)),
                    format!("while tr::lt({t}, {}) {{", lit(lim)),
                );
                let inc = self.expr(2);
                let inc = self.sq(inc, 1.0);
                s.line(
                    d + 1,
                    format!("{t} += 0.25 + {} * {};", inc.n, inc.n),
                    format!("{t} += 0.25 + {} * {};", inc.t, inc.t),
                );
                let n = 1 + self.rng.below(3);
                for _ in 0..n {
                    let st = self.stmt(d + 1, depth - 1);
                    s.append(st);
                }
                self.truncate(len, idx_len);
                self.leave_loop();
                s.both(d, "}");
                self.declare(t, VKind::Scalar, lim + 1.25, false, false);
                self.stats.hit("while_active");
            }
            11 => {
                let c = self.name("c");
                let lim = 2 + self.rng.below(3);
                s.both(d, format!("let mut {c} = 0;"));
                s.both(d, "loop {");
                s.both(d + 1, format!("{c} += 1;"));
                // the guard comes first: a `continue` in the body cannot skip it
                s.both(d + 1, format!("if {c} > {lim} {{"));
                s.both(d + 2, "break;");
                s.both(d + 1, "}");
                let id = self.enter_loop(lim as f64);
                let _ = id;
                let (len, idx_len) = (self.vars.len(), self.idx.len());
                self.idx.push(Ix {
                    name: c.clone(),
                    max: lim,
                    is_usize: false,
                });
                let n = 1 + self.rng.below(3);
                for _ in 0..n {
                    let st = self.stmt(d + 1, depth - 1);
                    s.append(st);
                }
                let cond = if self.rng.chance(0.5) {
                    let cc = self.cond(1);
                    C {
                        n: format!("{c} >= {lim} || {}", cc.n),
                        t: format!("{c} >= {lim} || {}", cc.t),
                        b: 0.0,
                        k: false,
                    }
                } else {
                    C::same(format!("{c} >= {lim}"), 0.0, false)
                };
                s.line(
                    d + 1,
                    format!("if {} {{", cond.n),
                    format!("if {} {{", cond.t),
                );
                s.both(d + 2, "break;");
                s.both(d + 1, "}");
                self.truncate(len, idx_len);
                self.leave_loop();
                s.both(d, "}");
                self.stats.hit("loop_break");
            }
            12 => {
                let c = self.cond(2);
                self.in_branch += 1;
                let e = self.expr(ed);
                self.in_branch -= 1;
                self.ret_bound = self.ret_bound.max(e.b);
                s.line(d, format!("if {} {{", c.n), format!("if {} {{", c.t));
                s.line(
                    d + 1,
                    format!("return {};", e.n),
                    format!("return {};", e.t),
                );
                s.both(d, "}");
                self.returned = true;
                self.stats.hit(if in_loop {
                    "return_in_loop"
                } else {
                    "early_return"
                });
            }
            13 => {
                let c = self.cond(1);
                let no_continue = self.loop_depth > 1 && self.avoid.nested_continue;
                let kw = if self.rng.chance(0.5) || no_continue {
                    "break"
                } else {
                    "continue"
                };
                s.line(d, format!("if {} {{", c.n), format!("if {} {{", c.t));
                s.both(d + 1, format!("{kw};"));
                s.both(d, "}");
                self.stats
                    .hit(if kw == "break" { "break" } else { "continue" });
            }
            14 => {
                let before = self.bounds();
                let mut merged = before.clone();
                let arms = ["0", "1 | 2", "_"];
                s.both(d, "match k {");
                for arm in arms {
                    for (v, (b, k)) in self.vars.iter_mut().zip(&before) {
                        v.b = *b;
                        v.konst = *k;
                    }
                    s.both(d + 1, format!("{arm} => {{"));
                    let n = 1 + self.rng.below(2);
                    let body = self.block(n, d + 2, depth - 1);
                    s.append(body);
                    s.both(d + 1, "}");
                    for (m, v) in merged.iter_mut().zip(&self.vars) {
                        m.0 = m.0.max(v.b);
                        m.1 &= v.konst;
                    }
                }
                for (v, (b, k)) in self.vars.iter_mut().zip(&merged) {
                    v.b = *b;
                    v.konst = *k;
                }
                s.both(d, "}");
                self.stats.hit("match_stmt");
            }
            _ => {
                let c = self.visible(|v| v.kind == VKind::Scalar && !v.konst);
                if c.is_empty() {
                    s.both(d, "debug_assert!(true);");
                } else {
                    let i = c[self.rng.below(c.len())];
                    let name = self.vars[i].name.clone();
                    s.both(d, format!("assert!(!{name}.is_nan(), \"{name} is NaN\");"));
                }
                self.stats.hit("assert");
            }
        }
        s
    }

    /// Enters a loop: every mutable variable declared outside keeps, inside,
    /// the bound it has at the loop's start, raised to `VAR_CAP`.
    fn enter_loop(&mut self, trips: f64) -> usize {
        self.mults.push(self.mult);
        self.mult *= trips;
        self.loop_depth += 1;
        let id = self.next_loop_id;
        self.next_loop_id += 1;
        self.loop_ids.push(id);
        for v in self.vars.iter_mut() {
            if v.mutable && v.loop_depth < self.loop_depth && v.acc_loop.is_none() {
                v.b = v.b.max(VAR_CAP);
            }
        }
        id
    }

    fn leave_loop(&mut self) {
        self.mult = self.mults.pop().unwrap();
        self.loop_depth -= 1;
        self.loop_ids.pop();
    }

    /// The whole function: (code, twin code, bound of the result).
    pub fn function(&mut self) -> (String, String, f64) {
        let mut params: Vec<String> = self
            .me
            .params
            .iter()
            .map(|p| match p.kind {
                PKind::Scalar => format!("{}: f64", p.name),
                PKind::Array => format!("{}: [f64; 3]", p.name),
                PKind::Slice => format!("{}: &[f64]", p.name),
            })
            .collect();
        if self.me.has_k {
            params.push("k: i32".into());
        }
        let head = format!("fn {}({}) -> f64 {{\n", self.me.name, params.join(", "));
        let count = 2 + self.rng.below(5);
        let mut body = S::default();
        for _ in 0..count {
            body.append(self.stmt(1, 2));
        }
        // the result reads the variables nobody read yet
        let mut tail = self.expr(3);
        let unused: Vec<usize> = self.visible(|v| v.uses == 0);
        for i in unused.into_iter().take(4) {
            let v = self.vars[i].clone();
            let (rn, rt) = match v.kind {
                VKind::Scalar => (v.name.clone(), v.name.clone()),
                _ => {
                    let j = self.rng.below(3);
                    (format!("{}[{j}]", v.name), format!("{}[{j}]", v.name))
                }
            };
            let c = [0.5, -0.25, 0.75][self.rng.below(3)];
            tail = C {
                n: format!("{} + {} * {rn}", tail.n, lit(c)),
                t: format!("{} + {} * {rt}", tail.t, lit(c)),
                b: tail.b + c.abs() * v.b,
                k: tail.k && v.konst,
            };
        }
        if self.avoid.inactive_output {
            // F7: the first parameter and every slice parameter reach the result smoothly
            for (i, p) in self.me.params.clone().iter().enumerate() {
                if i > 0 && p.kind != PKind::Slice {
                    continue;
                }
                let r = match p.kind {
                    PKind::Scalar => p.name.clone(),
                    _ => format!("{}[1]", p.name),
                };
                tail = C {
                    n: format!("{} + 0.25 * {r}.sin()", tail.n),
                    t: format!("{} + 0.25 * {r}.sin()", tail.t),
                    b: tail.b + 0.25,
                    k: false,
                };
            }
        }
        body.line(1, &tail.n, &tail.t);
        let bound = tail.b.max(self.ret_bound);
        // one recursive call per level, k <= 3 levels
        self.me.cost = if self.recursed {
            (self.cost + 1.0) * 4.0
        } else {
            self.cost + 1.0
        };
        (
            format!("{head}{}}}\n", body.n),
            format!(
                "pub fn {}({}) -> f64 {{\n{}}}\n",
                self.me.name,
                params.join(", "),
                body.t
            ),
            bound,
        )
    }
}
