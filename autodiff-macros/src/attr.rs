//! The attribute's arguments: `#[differentiate(reverse, forward, vector, wrt(x, y), dump)]`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, Token};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Forward,
    Reverse,
}

impl Mode {
    /// The suffix of generated names (`f_jvp`, `f_vjp`).
    pub fn suffix(self) -> &'static str {
        match self {
            Mode::Forward => "jvp",
            Mode::Reverse => "vjp",
        }
    }
}

/// One `#[differentiate(...)]` attribute.
#[derive(Clone, Default)]
pub struct Args {
    pub modes: Vec<Mode>,
    pub wrt: Option<Vec<Ident>>,
    pub dump: bool,
    /// Box the pullback: for functions in a cycle of calls (mutual recursion),
    /// whose pullbacks' closure types would otherwise nest without end.
    pub recursive: bool,
    /// Also generate the vector-mode forward derivative (`f_jvp_vec`, `K`
    /// tangents per sweep) wherever `forward` applies.
    pub vector: bool,
}

enum Arg {
    Mode(Mode, Ident),
    Wrt(Vec<Ident>, Ident),
    Dump,
    Recursive,
    Vector(Ident),
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let id: Ident = input.parse()?;
        match id.to_string().as_str() {
            "forward" => Ok(Arg::Mode(Mode::Forward, id)),
            "reverse" => Ok(Arg::Mode(Mode::Reverse, id)),
            "dump" => Ok(Arg::Dump),
            "recursive" => Ok(Arg::Recursive),
            "vector" => Ok(Arg::Vector(id)),
            "wrt" => {
                if !input.peek(syn::token::Paren) {
                    return Err(syn::Error::new(
                        id.span(),
                        "`wrt` lists the active parameters: `wrt(x, y)`",
                    ));
                }
                let content;
                syn::parenthesized!(content in input);
                let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
                if names.is_empty() {
                    return Err(syn::Error::new(
                        id.span(),
                        "`wrt()` needs at least one parameter name",
                    ));
                }
                Ok(Arg::Wrt(names.into_iter().collect(), id))
            }
            other => {
                let hint = crate::lower::suggest(
                    other,
                    ["forward", "reverse", "vector", "wrt", "dump", "recursive"].into_iter(),
                );
                Err(syn::Error::new(
                    id.span(),
                    format!("unknown option `{other}`{hint}; expected `forward`, `reverse`, `vector`, `wrt(...)`, `dump` or `recursive`"),
                ))
            }
        }
    }
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let list = Punctuated::<Arg, Token![,]>::parse_terminated(input)?;
        let mut args = Args::default();
        let mut vector: Option<Ident> = None;
        for a in list {
            match a {
                Arg::Mode(m, id) => {
                    if args.modes.contains(&m) {
                        return Err(syn::Error::new(id.span(), format!("`{id}` is given twice")));
                    }
                    args.modes.push(m)
                }
                Arg::Wrt(w, id) => {
                    if args.wrt.is_some() {
                        return Err(syn::Error::new(
                            id.span(),
                            "`wrt` is given twice: list every active parameter in one `wrt(...)`",
                        ));
                    }
                    args.wrt = Some(w)
                }
                Arg::Dump => args.dump = true,
                Arg::Recursive => args.recursive = true,
                Arg::Vector(id) => {
                    if vector.is_some() {
                        return Err(syn::Error::new(id.span(), "`vector` is given twice"));
                    }
                    vector = Some(id);
                }
            }
        }
        if let Some(id) = vector {
            if !args.modes.contains(&Mode::Forward) {
                return Err(syn::Error::new(
                    id.span(),
                    "`vector` adds the vector-mode forward derivative (`f_jvp_vec`, several tangents per sweep) and needs `forward` beside it: `#[differentiate(forward, vector)]`",
                ));
            }
            args.vector = true;
        }
        if args.modes.is_empty() {
            return Err(syn::Error::new(
                span,
                "say which derivative to generate: `#[differentiate(reverse)]`, `#[differentiate(forward)]` or both",
            ));
        }
        // Forward first, so `f_jvp` comes before `f_vjp` in the output.
        args.modes.sort_by_key(|m| *m == Mode::Reverse);
        Ok(args)
    }
}

/// Is this attribute one of ours (`differentiate` or `...::differentiate`)?
pub fn is_differentiate(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "differentiate")
}

pub fn parse_attr(attr: &syn::Attribute) -> syn::Result<Args> {
    match &attr.meta {
        syn::Meta::List(l) => l.parse_args(),
        other => Err(syn::Error::new(
            other.span(),
            "say which derivative to generate: `#[differentiate(reverse)]`, `#[differentiate(forward)]` or both",
        )),
    }
}

/// `#[custom_derivative(reverse = path, forward = path)]`.
#[derive(Clone)]
pub struct CustomArgs {
    pub reverse: Option<syn::Path>,
    pub forward: Option<syn::Path>,
    /// A first-order shortcut beside `reverse`: `p(args) -> (value, closure)`
    /// where the closure maps the output's cotangent to the adjoints of the
    /// differentiable parameters. Callers' reverse sweeps use it (so the rule
    /// can keep what the forward computation made); higher orders still go
    /// through `reverse`.
    pub pullback: Option<syn::Path>,
    pub span: proc_macro2::Span,
}

impl Parse for CustomArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let mut args = CustomArgs {
            reverse: None,
            forward: None,
            pullback: None,
            span,
        };
        let list = Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated(input)?;
        for nv in list {
            let key = nv
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            let path = match &nv.value {
                syn::Expr::Path(p) => p.path.clone(),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "expected the path of a rule function",
                    ));
                }
            };
            let slot = match key.as_str() {
                "reverse" => &mut args.reverse,
                "forward" => &mut args.forward,
                "pullback" => &mut args.pullback,
                _ => {
                    return Err(syn::Error::new_spanned(
                        &nv.path,
                        format!("unknown option `{key}`; expected `reverse = rule` and/or `forward = rule` (and optionally `pullback = rule`)"),
                    ));
                }
            };
            if slot.is_some() {
                return Err(syn::Error::new_spanned(
                    &nv.path,
                    format!("`{key}` is given twice"),
                ));
            }
            *slot = Some(path);
        }
        if let (Some(p), None) = (&args.pullback, &args.reverse) {
            return Err(syn::Error::new_spanned(
                p,
                "`pullback = rule` is a shortcut beside `reverse = rule`: give the reverse rule too (it is what second derivatives go through)",
            ));
        }
        if args.reverse.is_none() && args.forward.is_none() {
            return Err(syn::Error::new(
                span,
                "name at least one rule: `#[custom_derivative(reverse = f_vjp, forward = f_jvp)]`",
            ));
        }
        Ok(args)
    }
}

/// Is this attribute `custom_derivative` (or `...::custom_derivative`)?
pub fn is_custom(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "custom_derivative")
}

pub fn parse_custom_attr(attr: &syn::Attribute) -> syn::Result<CustomArgs> {
    match &attr.meta {
        syn::Meta::List(l) => l.parse_args(),
        other => Err(syn::Error::new(
            other.span(),
            "name at least one rule: `#[custom_derivative(reverse = f_vjp, forward = f_jvp)]`",
        )),
    }
}
