//! Fuzzing the front end: whatever tokens reach `#[differentiate(..)]`, the
//! expansion must not panic, and what it emits must either parse as a Rust
//! file or carry a `compile_error!` (the user then sees a message, not an
//! "proc macro panicked").
//!
//! The inputs are valid functions of the supported subset (a fixed corpus),
//! mutated at the token level (delete, duplicate, swap, replace, unwrap or
//! re-delimit groups, splice in random expressions from a small grammar and
//! constructs outside the subset), with attribute arguments that are valid,
//! nearly valid or garbage. `expand` only uses proc_macro2/syn, so it runs
//! here, outside a compiler.
//!
//! `cargo test -p autodiff-macros fuzz` runs a fixed budget (256 cases per
//! property); for a long run set `PROPTEST_CASES` (see docs/TESTING.md).

use std::panic::{catch_unwind, AssertUnwindSafe};

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Valid functions of the supported subset: the material the mutations start from.
const CORPUS: &[&str] = &[
    "fn f(x: f64, y: f64) -> f64 { (x + y) * (y + 3.0) }",
    "fn g(x: f64) -> f64 { x.sin() * x.cos() + x.exp().ln() - x.powi(3) + x.powf(0.5) }",
    "fn h(x: f64, y: f64) -> f64 { let mut r = x * y; if x > y { r = r * x; } else { r += y * y * y; } r }",
    "fn l(x: f64, n: usize) -> f64 { let mut s = 0.0; for i in 0..n { s += x * (i as f64); } s }",
    "fn w(x: f64) -> f64 { let mut t = x; let mut i = 0; while i < 3 { t = t * 0.5 + x; i += 1; } t }",
    "fn lp(x: f64) -> f64 { let mut t = x; loop { t = t * x; if t > 10.0 { break; } } t }",
    "fn a(x: [f64; 3]) -> f64 { let mut s = 0.0; for i in 0..3 { s += x[i] * x[i]; } s.sqrt() }",
    "fn sl(x: &[f64]) -> f64 { let mut s = 0.0; for i in 0..x.len() { s += x[i].tanh(); } s }",
    "fn v(x: &[f64]) -> Vec<f64> { let mut y = vec![0.0; x.len()]; for i in 0..x.len() { y[i] = x[i] * 2.0; } y }",
    "fn m(x: f64, k: u32) -> f64 { match k { 0 => x, 1 => x * x, _ => x.abs() } }",
    "fn r(x: f64, k: i32) -> f64 { if k <= 0 { return x; } r(x * 0.5, k - 1) + x }",
    "fn t(p: (f64, f64)) -> f64 { let (a, b) = p; a * b }",
    "fn tu(x: f64) -> (f64, f64) { (x.sin(), x.cos()) }",
    "fn c(x: f64, y: f64) -> f64 { f(x, y) * g(x) }",
    "fn pth(x: f64) -> f64 { f64::max(x, 0.0) + f64::hypot(x, 1.0) + x.clamp(-1.0, 1.0) }",
    "fn lab(x: f64) -> f64 { let mut s = 0.0; 'outer: for i in 0..3 { for j in 0..3 { if j > i { continue 'outer; } s += x; } } s }",
    "fn pr(x: f64) -> f64 { println!(\"{}\", x); assert!(x.is_finite()); debug_assert!(x > -1e9); x * 2.0 }",
    "fn buf(x: f64, n: usize) -> f64 { let mut b = Vec::with_capacity(n); for i in 0..n { b.push(x * (i as f64)); } b[n - 1] }",
    "fn sh(x: f64) -> f64 { let y = x * x; let y = y + x; let y = y.sin(); y }",
    "fn cast(x: f32) -> f64 { let y = x as f64; y * y }",
    "pub fn gen<F: Real>(x: F) -> F { x * x + x }",
    "fn ifv(x: f64) -> f64 { let t = if x > 0.0 { x * x } else { -x }; t + x }",
    "fn mulad(x: f64, y: f64, z: f64) -> f64 { x.mul_add(y, z).atan2(y) + x.min(y).max(z) }",
    "fn arr2(x: f64) -> [f64; 2] { let mut o = [0.0; 2]; o[0] = x; o[1] = x * x; o }",
    "fn blk(x: f64) -> f64 { let y = { let z = x * 2.0; z + 1.0 }; y * y }",
    "fn it(x: f64) -> f64 { let mut s = 0.0; for c in [0.5, 1.5, 2.5] { s += c * x; } s }",
    "fn rv(x: &[f64]) -> f64 { let mut s = 0.0; for i in (0..x.len()).rev() { s = s * x[i] + 1.0; } s }",
];

/// Constructs outside the subset (and a few odd corners inside it), spliced
/// into bodies as statements or expressions.
const ODD: &[&str] = &[
    "|z: f64| z * 2.0",
    "x?",
    "&mut x",
    "*x",
    "unsafe { x }",
    "S { a: x }",
    "x.0",
    "(x, x).1",
    "x..y",
    "x..=y",
    "async { x }",
    "x.await",
    "x.sine()",
    "x.rem_euclid(2.0)",
    "x.copysign(y)",
    "helper(x)",
    "Vec::<f64>::new()",
    "vec![x, y]",
    "[x; 3]",
    "format!(\"{}\", x)",
    "let Some(q) = x else { return 0.0; };",
    "let _ = x;",
    "let (a, b, c) = (x, x);",
    "let [a, b] = [x, x];",
    "let mut q: f64;",
    "static S: f64 = 1.0;",
    "fn inner(z: f64) -> f64 { z }",
    "struct Q;",
    "impl Q {}",
    "use std::f64::consts::PI;",
    "x as i32 as f64",
    "x as u8",
    "true as f64",
    "1e400",
    "0x10 as f64",
    "'c' as u8 as f64",
    "\"s\".len() as f64",
    "b'x' as f64",
    "x.powi(2.5)",
    "x.powf()",
    "f64::sin()",
    "f64::sin(x, y)",
    "x.clamp(1.0)",
    "<f64 as Real>::sin(x)",
    "Real::sin(x)",
    "x.sin::<f64>()",
    "return;",
    "break 'nowhere;",
    "continue;",
    "loop { break x; }",
    "'a: { break 'a x; }", // F16: a spanned error now (it overflowed the stack)
    "while let Some(q) = it.next() { s += q; }",
    "for (i, q) in x.iter().enumerate() { s += q; }",
    "for q in x { s += q; }",
    "for q in x.iter() { s += *q; }",
    "if let Some(q) = o { q } else { x }",
    "match x { q if q > 0.0 => q, _ => -x }",
    "match (x, y) { (a, b) => a * b }",
    "x += { return x; }",
    "x[0][1]",
    "x[i..j]",
    "x[..]",
    "x.len()",
    "x.iter().sum::<f64>()",
    "x.iter().map(|z| z * 2.0).sum::<f64>()",
    "std::mem::swap(&mut x, &mut y)",
    "x = y = 1.0",
    "(x, y) = (y, x)",
    "[x, y] = [y, x]",
    "Self::f(x)",
    "self.x",
    "super::g(x)",
    "crate::g(x)",
    "g::<f64>(x)",
    "yield x",
    "macro_rules! q { () => {} }",
    "q!()",
    "#[allow(unused)] let z = x;",
    "const C: f64 = 2.0;",
    "-(-(-x))",
    "!x",
    "x % y",
    "x << 2",
    "x & y",
    "x == y",
    "(((((((((((x)))))))))))",
    "{{{{{{ x }}}}}}",
];

/// Attribute arguments: valid, nearly valid, garbage.
const ARGS: &[&str] = &[
    "reverse",
    "forward",
    "forward, reverse",
    "reverse, forward",
    "reverse, wrt(x)",
    "reverse, wrt(x, y)",
    "reverse, dump",
    "forward, dump",
    "forward, reverse, vector, wrt(x)",
    "reverse, wrt()",
    "reverse, wrt(nope)",
    "reverse, wrt(x), wrt(y)",
    "reverse, reverse",
    "",
    "backward",
    "reverse,",
    ", reverse",
    "reverse forward",
    "reverse = 1",
    "wrt(x)",
    "dump",
    "reverse, wrt",
    "reverse, wrt = x",
    "reverse, wrt(1)",
    "reverse, wrt(x.y)",
    "forward(reverse)",
    "\"reverse\"",
    "reverse; forward",
    "reverse, dump, dump",
    "mode = reverse",
    "reverse, wrt(self)",
    "reverse, vector",
    "vector",
    "forward, vector, vector",
    "forward, vector = 1",
    "forward, vector(4)",
];

/// Attributes a mutated item may carry (stacking, foreign attributes).
const ATTRS: &[&str] = &[
    "",
    "#[differentiate(forward)]",
    "#[differentiate(reverse)]",
    "#[differentiate(forward, reverse)]",
    "#[differentiate(forward)] #[differentiate(forward)]",
    "#[differentiate(forward, vector)] #[differentiate(reverse)]",
    "#[differentiate(reverse)] #[differentiate(forward, vector)]",
    "#[differentiate(bogus)]",
    "#[differentiate]",
    "#[custom_derivative(reverse = r)]",
    "#[inline]",
    "#[doc = \"x\"]",
    "/// doc\n",
    "#[cfg(test)]",
    "#[must_use]",
];

/// Identifiers, punctuation and literals for replacements and insertions.
const IDENTS: &[&str] = &[
    "x", "y", "z", "k", "n", "i", "f", "g", "r", "s", "self", "Self", "super", "crate", "fn",
    "let", "mut", "if", "else", "for", "in", "while", "loop", "break", "continue", "return",
    "match", "as", "f64", "f32", "usize", "i32", "Vec", "Tensor", "sin", "powi", "impl", "dyn",
    "where", "move", "ref", "static", "const", "unsafe", "async", "await", "type", "struct",
    "enum", "trait", "pub", "_", "r#try", "d_out", "value", "__ad_f", "f_vjp",
];
const PUNCTS: &[&str] = &[
    "+", "-", "*", "/", "%", "=", "+=", "-=", "*=", "/=", "==", "!=", "<", ">", "<=", ">=", "&&",
    "||", "!", "&", "|", "^", ";", ":", "::", ",", ".", "..", "..=", "->", "=>", "?", "#", "@",
    "'", "$", "~",
];
const LITERALS: &[&str] = &[
    "0", "1", "2.0", "0.5", "1e300", "1e-300", "-0.0", "3usize", "2i32", "1.5f32", "\"s\"", "'c'",
    "b'x'", "true", "false", "0x1f", "1_000.0",
];

/// A token tree we can edit: groups hold their children.
#[derive(Clone, Debug)]
enum Tok {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Tok>),
}

fn to_toks(ts: TokenStream) -> Vec<Tok> {
    ts.into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => Tok::Group(g.delimiter(), to_toks(g.stream())),
            other => Tok::Leaf(other),
        })
        .collect()
}

fn to_stream(toks: &[Tok]) -> TokenStream {
    toks.iter()
        .map(|t| match t {
            Tok::Leaf(tt) => tt.clone(),
            Tok::Group(d, inner) => TokenTree::Group(Group::new(*d, to_stream(inner))),
        })
        .collect()
}

fn parse(s: &str) -> TokenStream {
    s.parse()
        .unwrap_or_else(|e| panic!("fuzz corpus entry does not tokenize: {s:?}: {e}"))
}

/// Number of nodes (leaves and groups) of a token list, recursively.
fn count(toks: &[Tok]) -> usize {
    toks.iter()
        .map(|t| match t {
            Tok::Leaf(_) => 1,
            Tok::Group(_, inner) => 1 + count(inner),
        })
        .sum()
}

/// One edit of the token tree.
#[derive(Clone, Debug)]
enum Mutation {
    Delete,
    Duplicate,
    SwapWithNext,
    ReplaceIdent(usize),
    ReplacePunct(usize),
    ReplaceLiteral(usize),
    InsertIdent(usize),
    InsertPunct(usize),
    Unwrap,
    Redelimit(u8),
    Wrap(u8),
    InsertOdd(usize),
    ReplaceWithExpr(ExprRecipe),
    InsertStatement(ExprRecipe),
}

/// Applies `m` at the node numbered `pos` (pre-order, modulo the node count).
fn apply(toks: &mut Vec<Tok>, pos: usize, m: &Mutation) {
    let n = count(toks);
    if n == 0 {
        if let Mutation::InsertOdd(i) = m {
            toks.extend(to_toks(parse(ODD[i % ODD.len()])));
        }
        return;
    }
    let mut target = pos % n;
    apply_at(toks, &mut target, m);
}

/// Walks to the node numbered `*target` and edits it in its parent list.
/// Returns true once applied.
fn apply_at(list: &mut Vec<Tok>, target: &mut usize, m: &Mutation) -> bool {
    let mut i = 0;
    while i < list.len() {
        if *target == 0 {
            edit(list, i, m);
            return true;
        }
        *target -= 1;
        if let Tok::Group(_, inner) = &mut list[i] {
            if apply_at(inner, target, m) {
                return true;
            }
        }
        i += 1;
    }
    false
}

fn delimiter(d: u8) -> Delimiter {
    match d % 4 {
        0 => Delimiter::Parenthesis,
        1 => Delimiter::Bracket,
        2 => Delimiter::Brace,
        _ => Delimiter::None,
    }
}

fn punct_tokens(p: &str) -> Vec<Tok> {
    let chars: Vec<char> = p.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(j, &c)| {
            let spacing = if j + 1 < chars.len() {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            Tok::Leaf(TokenTree::Punct(Punct::new(c, spacing)))
        })
        .collect()
}

fn ident_token(s: &str) -> Tok {
    if let Some(raw) = s.strip_prefix("r#") {
        Tok::Leaf(TokenTree::Ident(Ident::new_raw(raw, Span::call_site())))
    } else {
        Tok::Leaf(TokenTree::Ident(Ident::new(s, Span::call_site())))
    }
}

fn literal_tokens(s: &str) -> Vec<Tok> {
    to_toks(parse(s))
}

fn edit(list: &mut Vec<Tok>, i: usize, m: &Mutation) {
    match m {
        Mutation::Delete => {
            list.remove(i);
        }
        Mutation::Duplicate => {
            let t = list[i].clone();
            list.insert(i, t);
        }
        Mutation::SwapWithNext => {
            if i + 1 < list.len() {
                list.swap(i, i + 1);
            }
        }
        Mutation::ReplaceIdent(j) => {
            list[i] = ident_token(IDENTS[j % IDENTS.len()]);
        }
        Mutation::ReplacePunct(j) => {
            let p = punct_tokens(PUNCTS[j % PUNCTS.len()]);
            list.splice(i..=i, p);
        }
        Mutation::ReplaceLiteral(j) => {
            let l = literal_tokens(LITERALS[j % LITERALS.len()]);
            list.splice(i..=i, l);
        }
        Mutation::InsertIdent(j) => {
            list.insert(i, ident_token(IDENTS[j % IDENTS.len()]));
        }
        Mutation::InsertPunct(j) => {
            let p = punct_tokens(PUNCTS[j % PUNCTS.len()]);
            list.splice(i..i, p);
        }
        Mutation::Unwrap => {
            if let Tok::Group(_, inner) = list[i].clone() {
                list.splice(i..=i, inner);
            }
        }
        Mutation::Redelimit(d) => {
            if let Tok::Group(_, inner) = list[i].clone() {
                list[i] = Tok::Group(delimiter(*d), inner);
            }
        }
        Mutation::Wrap(d) => {
            let t = list[i].clone();
            list[i] = Tok::Group(delimiter(*d), vec![t]);
        }
        Mutation::InsertOdd(j) => {
            let odd = to_toks(parse(ODD[j % ODD.len()]));
            list.splice(i..i, odd);
        }
        Mutation::ReplaceWithExpr(e) => {
            let toks = to_toks(parse(&e.render()));
            list.splice(i..=i, vec![Tok::Group(Delimiter::Parenthesis, toks)]);
        }
        Mutation::InsertStatement(e) => {
            let toks = to_toks(parse(&format!("let fz = {};", e.render())));
            list.splice(i..i, toks);
        }
    }
}

/// A random expression of a small grammar (as a tree of choices, so that
/// proptest can shrink it).
#[derive(Clone, Debug)]
enum ExprRecipe {
    Var(u8),
    Lit(u8),
    Bin(u8, Box<ExprRecipe>, Box<ExprRecipe>),
    Neg(Box<ExprRecipe>),
    Method(u8, Box<ExprRecipe>, Option<Box<ExprRecipe>>),
    Path(u8, Box<ExprRecipe>),
    If(Box<ExprRecipe>, Box<ExprRecipe>, Box<ExprRecipe>),
    Block(Box<ExprRecipe>),
    Index(u8, Box<ExprRecipe>),
    Cast(Box<ExprRecipe>),
    Call(u8, Box<ExprRecipe>),
    Odd(u8),
}

const VARS: &[&str] = &[
    "x", "y", "z", "k", "n", "i", "p", "o", "s", "value", "d_out",
];
const BINOPS: &[&str] = &[
    "+", "-", "*", "/", "%", "<", ">", "==", "&&", "||", "&", "^",
];
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
    "ln",
    "log10",
    "log2",
    "ln_1p",
    "exp_m1",
    "sqrt",
    "cbrt",
    "powi",
    "powf",
    "abs",
    "hypot",
    "max",
    "min",
    "signum",
    "mul_add",
    "recip",
    "clamp",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fract",
    "to_degrees",
    "to_radians",
    "len",
    "iter",
    "sum",
    "clone",
    "unwrap",
    "sine",
    "is_nan",
    "to_vec",
    "push",
];
const CALLEES: &[&str] = &[
    "f",
    "g",
    "h",
    "r",
    "c",
    "unknown",
    "f64::sqrt",
    "Vec::new",
    "vec!",
];

impl ExprRecipe {
    fn render(&self) -> String {
        match self {
            ExprRecipe::Var(v) => VARS[*v as usize % VARS.len()].to_string(),
            ExprRecipe::Lit(l) => LITERALS[*l as usize % LITERALS.len()].to_string(),
            ExprRecipe::Bin(op, a, b) => {
                format!(
                    "({} {} {})",
                    a.render(),
                    BINOPS[*op as usize % BINOPS.len()],
                    b.render()
                )
            }
            ExprRecipe::Neg(a) => format!("(-{})", a.render()),
            ExprRecipe::Method(m, a, b) => {
                let m = METHODS[*m as usize % METHODS.len()];
                match b {
                    Some(b) => format!("{}.{m}({})", a.render(), b.render()),
                    None => format!("{}.{m}()", a.render()),
                }
            }
            ExprRecipe::Path(m, a) => {
                format!(
                    "f64::{}({})",
                    METHODS[*m as usize % METHODS.len()],
                    a.render()
                )
            }
            ExprRecipe::If(c, a, b) => {
                format!(
                    "(if {} {{ {} }} else {{ {} }})",
                    c.render(),
                    a.render(),
                    b.render()
                )
            }
            ExprRecipe::Block(a) => format!("{{ let q = {}; q * q }}", a.render()),
            ExprRecipe::Index(v, i) => {
                format!("{}[{}]", VARS[*v as usize % VARS.len()], i.render())
            }
            ExprRecipe::Cast(a) => format!("({} as f64)", a.render()),
            ExprRecipe::Call(c, a) => {
                let c = CALLEES[*c as usize % CALLEES.len()];
                if c.ends_with('!') {
                    format!("{c}[{}]", a.render())
                } else {
                    format!("{c}({})", a.render())
                }
            }
            ExprRecipe::Odd(o) => {
                format!("({})", ODD[*o as usize % ODD.len()].trim_end_matches(';'))
            }
        }
    }
}

fn expr_recipe() -> impl Strategy<Value = ExprRecipe> {
    let leaf = prop_oneof![
        any::<u8>().prop_map(ExprRecipe::Var),
        any::<u8>().prop_map(ExprRecipe::Lit),
        any::<u8>().prop_map(ExprRecipe::Odd),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (any::<u8>(), inner.clone(), inner.clone()).prop_map(|(o, a, b)| ExprRecipe::Bin(
                o,
                Box::new(a),
                Box::new(b)
            )),
            inner.clone().prop_map(|a| ExprRecipe::Neg(Box::new(a))),
            (
                any::<u8>(),
                inner.clone(),
                proptest::option::of(inner.clone())
            )
                .prop_map(|(m, a, b)| ExprRecipe::Method(
                    m,
                    Box::new(a),
                    b.map(Box::new)
                )),
            (any::<u8>(), inner.clone()).prop_map(|(m, a)| ExprRecipe::Path(m, Box::new(a))),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| ExprRecipe::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            )),
            inner.clone().prop_map(|a| ExprRecipe::Block(Box::new(a))),
            (any::<u8>(), inner.clone()).prop_map(|(v, i)| ExprRecipe::Index(v, Box::new(i))),
            inner.clone().prop_map(|a| ExprRecipe::Cast(Box::new(a))),
            (any::<u8>(), inner).prop_map(|(c, a)| ExprRecipe::Call(c, Box::new(a))),
        ]
    })
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Delete),
        2 => Just(Mutation::Duplicate),
        2 => Just(Mutation::SwapWithNext),
        2 => any::<usize>().prop_map(Mutation::ReplaceIdent),
        2 => any::<usize>().prop_map(Mutation::ReplacePunct),
        1 => any::<usize>().prop_map(Mutation::ReplaceLiteral),
        1 => any::<usize>().prop_map(Mutation::InsertIdent),
        1 => any::<usize>().prop_map(Mutation::InsertPunct),
        1 => Just(Mutation::Unwrap),
        1 => any::<u8>().prop_map(Mutation::Redelimit),
        1 => any::<u8>().prop_map(Mutation::Wrap),
        2 => any::<usize>().prop_map(Mutation::InsertOdd),
        2 => expr_recipe().prop_map(Mutation::ReplaceWithExpr),
        2 => expr_recipe().prop_map(Mutation::InsertStatement),
    ]
}

/// What to feed `expand`: a corpus function, edits, extra attributes, args.
#[derive(Clone, Debug)]
struct Case {
    seed: usize,
    attrs: usize,
    mutations: Vec<(usize, Mutation)>,
    args: ArgsRecipe,
}

#[derive(Clone, Debug)]
enum ArgsRecipe {
    Listed(usize),
    Mutated(usize, Vec<(usize, Mutation)>),
    Expr(ExprRecipe),
}

impl ArgsRecipe {
    fn tokens(&self) -> TokenStream {
        match self {
            ArgsRecipe::Listed(i) => parse(ARGS[i % ARGS.len()]),
            ArgsRecipe::Mutated(i, ms) => {
                let mut toks = to_toks(parse(ARGS[i % ARGS.len()]));
                for (pos, m) in ms {
                    apply(&mut toks, *pos, m);
                }
                to_stream(&toks)
            }
            ArgsRecipe::Expr(e) => parse(&e.render()),
        }
    }
}

impl Case {
    fn item(&self) -> TokenStream {
        let src = format!(
            "{} {}",
            ATTRS[self.attrs % ATTRS.len()],
            CORPUS[self.seed % CORPUS.len()]
        );
        let mut toks = to_toks(parse(&src));
        for (pos, m) in &self.mutations {
            apply(&mut toks, *pos, m);
        }
        to_stream(&toks)
    }
}

fn args_recipe() -> impl Strategy<Value = ArgsRecipe> {
    prop_oneof![
        4 => any::<usize>().prop_map(ArgsRecipe::Listed),
        2 => (any::<usize>(), proptest::collection::vec((any::<usize>(), mutation()), 1..3))
            .prop_map(|(i, ms)| ArgsRecipe::Mutated(i, ms)),
        1 => expr_recipe().prop_map(ArgsRecipe::Expr),
    ]
}

fn case(max_mutations: usize) -> impl Strategy<Value = Case> {
    (
        any::<usize>(),
        any::<usize>(),
        proptest::collection::vec((any::<usize>(), mutation()), 0..=max_mutations),
        args_recipe(),
    )
        .prop_map(|(seed, attrs, mutations, args)| Case {
            seed,
            attrs,
            mutations,
            args,
        })
}

/// Runs `expand`, turning a panic into an error that names it.
fn expand_checked(args: TokenStream, item: TokenStream) -> Result<TokenStream, String> {
    let result = catch_unwind(AssertUnwindSafe(|| crate::expand::expand(args, item)));
    result.map_err(|payload| {
        if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        }
    })
}

/// Expansions that produced derivatives without any error.
static CLEAN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Expansions that reported a compile error.
static WITH_ERROR: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The property: no panic; the output parses as a file or carries `compile_error`.
/// (After the FUZZ_REPLAY input, when there is one.)
fn check(args: TokenStream, item: TokenStream) -> Result<(), TestCaseError> {
    REPLAY.call_once(replay);
    check_one(args, item)
}

fn check_one(args: TokenStream, item: TokenStream) -> Result<(), TestCaseError> {
    let shown = format!("#[differentiate({args})] {item}");
    // A stack overflow aborts the process before proptest can report: with
    // FUZZ_LAST=path, every input is written there first.
    if let Some(path) = std::env::var_os("FUZZ_LAST") {
        let _ = std::fs::write(path, format!("{args}\n{SEPARATOR}\n{item}"));
    }
    let out = match expand_checked(args, item) {
        Ok(out) => out,
        Err(msg) => {
            return Err(TestCaseError::fail(format!(
                "expand panicked: {msg}\n  input: {shown}"
            )))
        }
    };
    let text = out.to_string();
    let has_error = text.contains("compile_error");
    if syn::parse2::<syn::File>(out).is_ok() {
        let counter = if has_error { &WITH_ERROR } else { &CLEAN };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Ok(());
    }
    if has_error {
        WITH_ERROR.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Ok(());
    }
    Err(TestCaseError::fail(format!(
        "expand returned tokens that neither parse as a file nor carry compile_error!\n  input: {shown}\n  output: {text}"
    )))
}

/// Between the arguments and the item in a FUZZ_LAST file.
const SEPARATOR: &str = "=====";

static REPLAY: std::sync::Once = std::sync::Once::new();

/// With FUZZ_REPLAY=path (a file FUZZ_LAST wrote: the arguments, a
/// SEPARATOR line, the item), that input is checked before any other, so
/// `FUZZ_REPLAY=path cargo test -p autodiff-macros fuzz::regressions`
/// reproduces a crash that aborted a long run (a stack overflow) at once,
/// then runs the regressions.
fn replay() {
    let Some(path) = std::env::var_os("FUZZ_REPLAY") else {
        return;
    };
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("FUZZ_REPLAY={}: {e}", path.to_string_lossy()));
    let (args, item) = text
        .split_once(&format!("\n{SEPARATOR}\n"))
        .unwrap_or_else(|| {
            panic!("FUZZ_REPLAY: no `{SEPARATOR}` line between the arguments and the item")
        });
    let (args, item): (TokenStream, TokenStream) = match (args.parse(), item.parse()) {
        (Ok(a), Ok(i)) => (a, i),
        _ => panic!("FUZZ_REPLAY: the saved input does not tokenize"),
    };
    eprintln!("fuzz: replaying {}", path.to_string_lossy());
    // `check` itself would wait on REPLAY: the property is checked here
    if let Err(e) = check_one(args, item) {
        panic!("fuzz: the replayed input fails: {e}");
    }
    eprintln!("fuzz: the replayed input expands without a panic");
}

/// Cases per property: `PROPTEST_CASES` when set, else a budget that keeps
/// `cargo test` quick.
fn config() -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = 256;
    }
    // the same inputs on every `cargo test`; PROPTEST_RNG_SEED picks others
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(0x5EED_F022);
    }
    // never write proptest-regressions/ files into the source tree
    c.failure_persistence = None;
    c
}

/// Counts cases run across the properties (printed by the long run).
static RUN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn counted() {
    let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    if std::env::var_os("FUZZ_PROGRESS").is_some() && n % 10_000 == 0 {
        eprintln!("fuzz: {n} expansions");
    }
}

/// The corpus itself, with every valid argument list (all of them: a few
/// hundred inputs, so a long run's budget goes to the mutations), expands
/// without errors... or with a clean error (calls to functions that are not
/// in the corpus item are fine: they are resolved by rustc later).
#[test]
fn corpus_with_valid_args_never_panics() {
    for item in CORPUS {
        for args in &ARGS[..9] {
            counted();
            if let Err(e) = check(parse(args), parse(item)) {
                panic!("{e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Token-level mutations of valid functions, with any arguments.
    #[test]
    fn mutated_functions_never_panic(c in case(4)) {
        counted();
        check(c.args.tokens(), c.item())?;
    }

    /// Heavier mutation: many edits, mostly garbage.
    #[test]
    fn heavily_mutated_functions_never_panic(c in case(24)) {
        counted();
        check(c.args.tokens(), c.item())?;
    }

    /// Random expressions of the grammar as the whole body, returned.
    #[test]
    fn random_bodies_never_panic(e in expr_recipe(), stmt in expr_recipe(), args in 0..ARGS.len()) {
        counted();
        let src = format!(
            "fn fz(x: f64, y: f64, k: i32, s: &[f64], p: (f64, f64), o: Option<f64>) -> f64 {{ let t = {}; {} }}",
            stmt.render(),
            e.render()
        );
        // a rendered expression always tokenizes (balanced by construction)
        check(parse(ARGS[args]), parse(&src))?;
    }

    /// Any token stream at all as the item (not a function in general).
    #[test]
    fn arbitrary_items_never_panic(ms in proptest::collection::vec((any::<usize>(), mutation()), 0..12), args in args_recipe()) {
        counted();
        let mut toks = Vec::new();
        for (pos, m) in &ms {
            apply(&mut toks, *pos, m);
            // keep some material to mutate
            if toks.is_empty() {
                toks = to_toks(parse("fn"));
            }
        }
        check(args.tokens(), to_stream(&toks))?;
    }
}

/// Regressions: inputs that broke `expand`, minimised, one test per bug.
mod regressions {
    #[allow(unused_imports)]
    use super::*;

    // F16: a labelled block made the expansion recurse until the stack
    // overflowed; it is now a spanned error.
    #[test]
    fn f16_labelled_block() {
        for args in ["reverse", "forward"] {
            check(
                parse(args),
                parse("fn f(x: f64) -> f64 { 'a: { break 'a; } x }"),
            )
            .unwrap();
            check(
                parse(args),
                parse("fn f(x: f64) -> f64 { 'a: { break 'a x; } }"),
            )
            .unwrap();
        }
    }
}

/// How many expansions the properties ran (and skipped): printed with
/// `--nocapture`, for the record of a long run.
#[test]
fn zz_report_counts() {
    // runs last only by name order within a single thread; the long run
    // uses `--test-threads=1`
    use std::sync::atomic::Ordering::Relaxed;
    eprintln!(
        "fuzz: {} inputs: {} expanded cleanly, {} with a compile error",
        RUN.load(Relaxed),
        CLEAN.load(Relaxed),
        WITH_ERROR.load(Relaxed)
    );
}
