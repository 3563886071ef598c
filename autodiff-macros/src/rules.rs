//! The scalar rule table, read from the runtime's `rules/table.rs` (the one
//! table: the runtime compiles the same file into executable rules).
//!
//! Each row's partial derivatives are kept as syntax; the transforms substitute
//! the operands into them, so the rule is inlined as plain arithmetic.

use std::collections::HashMap;
use std::sync::OnceLock;

use proc_macro2::{Ident, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::visit_mut::VisitMut;
use syn::{bracketed, parenthesized, Expr, Token};

const TABLE: &str = include_str!("../../autodiff-runtime/src/rules/table.rs");

/// One row: `name(recv, args...) -> out: [partials...]`.
///
/// Kept as text: syntax trees hold spans that are only valid during one macro
/// invocation, while this table is parsed once per compiler process.
pub struct Rule {
    pub name: String,
    /// Names of the float arguments, receiver first (as written in the table).
    pub args: Vec<String>,
    /// The integer argument (`powi`'s `n`), if any.
    pub int_arg: Option<String>,
    pub out: String,
    /// One partial per float argument.
    pub partials: Vec<String>,
    /// All partials are the literal `0.0`: the result is piecewise constant.
    pub zero: bool,
    /// Some partial reads the primal output.
    pub uses_out: bool,
}

struct Row(Rule);

impl Parse for Row {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        let content;
        parenthesized!(content in input);
        let mut args = Vec::new();
        let mut int_arg = None;
        while !content.is_empty() {
            let a: Ident = content.parse()?;
            if content.peek(Token![:]) {
                content.parse::<Token![:]>()?;
                content.parse::<syn::Type>()?;
                int_arg = Some(a);
            } else {
                args.push(a);
            }
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        input.parse::<Token![->]>()?;
        let out: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let list;
        bracketed!(list in input);
        let partials: Vec<Expr> = Punctuated::<Expr, Token![,]>::parse_terminated(&list)?
            .into_iter()
            .collect();
        input.parse::<Token![;]>()?;
        let zero = partials
            .iter()
            .all(|p| p.to_token_stream().to_string() == "0.0");
        let mut idents = std::collections::HashSet::new();
        for p in &partials {
            crate::lower::collect_idents(p.to_token_stream(), &mut idents);
        }
        let uses_out = idents.contains(&out.to_string());
        Ok(Row(Rule {
            name: name.to_string(),
            args: args.iter().map(ToString::to_string).collect(),
            int_arg: int_arg.map(|i| i.to_string()),
            out: out.to_string(),
            partials: partials
                .iter()
                .map(|p| p.to_token_stream().to_string())
                .collect(),
            zero,
            uses_out,
        }))
    }
}

struct Table(Vec<Rule>);

impl Parse for Table {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mac: syn::Macro = input.parse()?;
        let rows = mac.parse_body_with(|body: ParseStream| {
            let mut rows = Vec::new();
            while !body.is_empty() {
                rows.push(body.parse::<Row>()?.0);
            }
            Ok(rows)
        })?;
        Ok(Table(rows))
    }
}

pub struct Rules {
    pub rows: Vec<Rule>,
    by_name: HashMap<String, usize>,
}

impl Rules {
    pub fn get() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            // The table ships with the runtime and is checked by its tests; a
            // parse failure here is a bug in this repository, not in user code.
            let table: Table = syn::parse_str(TABLE).expect("rules/table.rs parses");
            let by_name = table
                .0
                .iter()
                .enumerate()
                .map(|(i, r)| (r.name.clone(), i))
                .collect();
            Rules {
                rows: table.0,
                by_name,
            }
        })
    }

    pub fn lookup(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The names, for "did you mean" messages.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|r| r.name.as_str())
    }
}

impl Rule {
    /// The partial with respect to float argument `k`, with the table's names
    /// replaced by `args` (expressions already in scope), `out` by `out`, and
    /// helper calls routed to the runtime's `nodiff` module.
    pub fn partial(
        &self,
        k: usize,
        args: &[TokenStream],
        int_arg: Option<&TokenStream>,
        out: &TokenStream,
    ) -> Expr {
        if self.partials[k] == "1.0" {
            // A unit partial: the caller drops the factor.
            return syn::parse_quote!(1.0);
        }
        let mut e: Expr =
            syn::parse_str(&self.partials[k]).expect("the rule table's partials parse");
        Literals.visit_expr_mut(&mut e);
        let mut subst: HashMap<String, TokenStream> = HashMap::new();
        for (name, a) in self.args.iter().zip(args) {
            subst.insert(name.clone(), a.clone());
        }
        if let (Some(n), Some(a)) = (&self.int_arg, int_arg) {
            subst.insert(n.clone(), a.clone());
        }
        subst.insert(self.out.clone(), out.clone());
        Subst { subst: &subst }.visit_expr_mut(&mut e);
        e
    }
}

/// Float literals in the generated code's float type.
struct Literals;

impl VisitMut for Literals {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        if let Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Float(f),
            ..
        }) = e
        {
            let t = crate::gen::float_lit(&f.to_string());
            *e = syn::parse2(t).expect("a float literal parses");
            return;
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}

struct Subst<'a> {
    subst: &'a HashMap<String, TokenStream>,
}

impl VisitMut for Subst<'_> {
    fn visit_expr_mut(&mut self, e: &mut Expr) {
        match e {
            Expr::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
                let name = p.path.segments[0].ident.to_string();
                if let Some(t) = self.subst.get(&name) {
                    *e = if t.clone().into_iter().count() == 1 {
                        syn::parse_quote!(#t)
                    } else {
                        syn::parse_quote!((#t))
                    };
                }
                return;
            }
            Expr::Call(c) => {
                if let Expr::Path(p) = &mut *c.func {
                    if p.path.segments.len() == 1 {
                        let f = p.path.segments[0].ident.clone();
                        p.path = syn::parse_quote!(::differentiate::__private::nodiff::#f);
                    }
                }
                for a in &mut c.args {
                    self.visit_expr_mut(a);
                }
                return;
            }
            _ => {}
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}
