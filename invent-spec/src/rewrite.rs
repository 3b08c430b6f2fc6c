//! Post-processing of progenitor's client into the crate's one call path. progenitor's output is read
//! and changed with `syn` (never by hand): every builder's `send` goes through the crate's executor and
//! returns the crate's error (`send`), operations with several body types get by-status enums
//! (`responses`), enums that responses reach accept values the spec does not list (`open_enums`),
//! `null` for an optional collection reads as absent (`null_as_absent`), cookies go in one `Cookie`
//! header (`cookies`), renamed parameters are sent by their wire names (`wire_names`), progenitor's doc
//! examples are fenced as text, not doctests (`doc_examples`), types with secret fields print them
//! redacted (`redact_secrets`), every path parameter is one checked path segment (`path_segments`), and
//! `Client`'s constructors leave the rendered docs (`constructors`).
//! Every generated operation must match one operation of the lowered document (`ops`), or generation
//! fails: nothing is scoped, named or decoded by guesswork.

pub mod api_version;
pub mod builders;
pub mod cli;
pub mod constructors;
pub mod cookies;
pub mod deep_object;
pub mod doc_examples;
pub mod list_take;
pub mod null_as_absent;
pub mod open_enums;
pub mod ops;
pub mod path_segments;
pub mod redact_secrets;
pub mod responses;
pub mod send;
pub mod wire_names;

use std::collections::{BTreeMap, BTreeSet};

use quote::{format_ident, quote, ToTokens};
use serde_json::Value;
use syn::visit::Visit;

use crate::{Report, SpecError};

pub use ops::LoweredOp;

/// How the rewritten code names the hand-written runtime.
#[derive(Debug, Clone)]
pub struct Options {
    /// Path of the crate that provides `Error`, `ResponseBody`, `Unlisted`, `call::` and `multipart::`.
    pub runtime: String,
    /// The alias inlined into org-scoped paths (`c`), when org scoping is on.
    pub org_alias: Option<String>,
}

/// One rewritten operation.
#[derive(Debug, Clone)]
pub struct Rewritten {
    pub op: LoweredOp,
    /// The builder struct in `builder::`.
    pub builder: String,
    /// `Output` of `send`.
    pub output: syn::Type,
    /// The error body type.
    pub error: syn::Type,
    /// Setter names of the builder.
    pub setters: BTreeSet<String>,
    /// Field types of the builder (name → type).
    pub fields: BTreeMap<String, syn::Type>,
}

/// Rewrites `file` in place and returns one entry per operation, in the order of `impl Client`.
pub fn rewrite(
    file: &mut syn::File,
    doc: &Value,
    opts: &Options,
    report: &mut Report,
) -> Result<Vec<Rewritten>, SpecError> {
    let runtime: syn::Path = syn::parse_str(&opts.runtime)
        .map_err(|e| SpecError::at_root("generated-send", format!("runtime path `{}`: {e}", opts.runtime)))?;
    let lowered = ops::index(doc)?;
    let order = client_methods(file);

    let type_names: BTreeSet<String> =
        module_items(file, "types").map(|items| items.iter().filter_map(item_name).collect()).unwrap_or_default();
    let mut new_types: Vec<syn::Item> = Vec::new();
    let mut taken = BTreeSet::new();
    let mut roots: BTreeSet<String> = BTreeSet::new();
    let mut done: BTreeMap<String, Rewritten> = BTreeMap::new();

    let builder_items = module_items_mut(file, "builder")
        .ok_or_else(|| SpecError::at_root("generated-send", "progenitor emitted no `builder` module"))?;
    let fields = builder_fields(builder_items);
    report.count_n(list_take::RULE, list_take::expose(builder_items));
    for item in builder_items.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let Some(builder) = type_name(&imp.self_ty) else { continue };
        let setters: BTreeSet<String> = imp
            .items
            .iter()
            .filter_map(|i| match i {
                syn::ImplItem::Fn(f) if f.sig.ident != "send" && f.sig.ident != "new" => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        let Some(f) = imp.items.iter_mut().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        }) else {
            continue;
        };
        let inspected = send::inspect(f)?;
        let op = lowered.get(&inspected.id).ok_or_else(|| {
            SpecError::at_root(
                "generated-send",
                format!("progenitor generated `{}`, which matches no operation of the lowered document", inspected.id),
            )
        })?;
        let success = responses::by_status(op, "success", &type_names, &mut taken, &runtime)?;
        let errors = responses::by_status(op, "errors", &type_names, &mut taken, &runtime)?;
        let output: syn::Type = match &success {
            Some(s) => {
                let ident = format_ident!("{}", s.name);
                syn::parse_quote!(types::#ident)
            }
            None => inspected.output.clone(),
        };
        let error: syn::Type = match &errors {
            Some(e) => {
                let ident = format_ident!("{}", e.name);
                syn::parse_quote!(types::#ident)
            }
            None => inspected.error.clone(),
        };
        for by_status in [&success, &errors].into_iter().flatten() {
            roots.insert(by_status.name.clone());
            roots.extend(by_status.members.iter().cloned());
            let items: syn::File = syn::parse2(by_status.tokens.clone()).map_err(|e| {
                SpecError::new(op.pointer.clone(), "typed-responses", format!("generated enum does not parse: {e}"))
            })?;
            new_types.extend(items.items);
            report.count("typed-responses-enum");
        }
        let mut names = open_enums::Names::default();
        names.visit_type(&output);
        names.visit_type(&error);
        roots.extend(names.0);
        let decoder = decoder(&output, success.is_some(), &runtime).ok_or_else(|| {
            SpecError::new(
                op.pointer.clone(),
                DECODER_RULE,
                format!("no decoder for the success type `{}` of `{}`", output.to_token_stream(), op.id),
            )
        })?;
        let multipart = op.multipart.as_ref().map(|encoding| {
            let pairs = encoding.iter().map(|(k, v)| quote!((#k, #v)));
            quote!(&[#(#pairs),*])
        });
        // Before `send` rewrites the request: rule `absent-query-skipped` replaces the `QueryParam`
        // calls these look for. The cookie and deepObject rules match progenitor's (Rust-side) names,
        // so they run before `wire-name` puts the wire names back.
        report.count_n(cookies::RULE, cookies::apply(f, op, &runtime)?);
        report.count_n(deep_object::RULE, deep_object::apply(f, op, &runtime)?);
        report.count_n(wire_names::RULE, wire_names::apply(f, op)?);
        // Before `send` inserts the org segment: this rule expects progenitor's URL arguments as written.
        report.count_n(path_segments::RULE, path_segments::apply(f, op, &runtime)?);
        let lean = send::rewrite_fn(
            f,
            &send::Target {
                op,
                output: &output,
                decoder,
                runtime: &runtime,
                alias: opts.org_alias.as_deref(),
                multipart,
            },
        )?;
        for (rule, n) in lean {
            report.count_n(rule, n);
        }
        report.count("generated-send");
        done.insert(
            inspected.id.clone(),
            Rewritten {
                op: op.clone(),
                builder: builder.clone(),
                output,
                error,
                setters,
                fields: fields.get(&builder).cloned().unwrap_or_default(),
            },
        );
    }

    if let Some(missing) = lowered.keys().find(|id| !done.contains_key(*id)) {
        let op = &lowered[missing];
        return Err(SpecError::new(
            op.pointer.clone(),
            "generated-send",
            format!("operation `{missing}` is in the lowered document but progenitor generated no builder for it"),
        ));
    }

    let types = module_items_mut(file, "types")
        .ok_or_else(|| SpecError::at_root("generated-send", "progenitor emitted no `types` module"))?;
    types.extend(new_types);
    let opened = open_enums::open(types, &roots, &taken, &runtime)?;
    report.count_n("open-enum", opened);
    report.count_n(null_as_absent::RULE, null_as_absent::apply(types, &runtime));
    report.count_n(redact_secrets::RULE, redact_secrets::apply(types)?);

    let mut out = Vec::new();
    for (id, _) in order {
        if let Some(r) = done.remove(&id) {
            out.push(r);
        }
    }
    out.extend(done.into_values());
    Ok(out)
}

/// Rule name of a success type no decoder fits.
pub const DECODER_RULE: &str = "generated-decoder";

/// The executor's decoder for a success type, read from the type's shape: `()` → `Empty`,
/// progenitor's `ByteStream` → `Stream`, `reqwest::Upgraded` → `Upgrade`, any other named type (a
/// generated type, `Vec<..>`, `String`, a map, a number: what serde decodes) or a by-status enum →
/// `Body<T>`. `None` for any other shape (a reference, a tuple, a trait object, …): the caller fails
/// the build naming [`DECODER_RULE`] instead of guessing.
fn decoder(output: &syn::Type, by_status: bool, runtime: &syn::Path) -> Option<proc_macro2::TokenStream> {
    let body = quote!(#runtime::call::Body<#output>);
    if by_status {
        return Some(body);
    }
    match output {
        syn::Type::Tuple(t) if t.elems.is_empty() => Some(quote!(#runtime::call::Empty)),
        syn::Type::Path(p) if p.qself.is_none() => {
            let names: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
            Some(match names.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                ["ByteStream"] => quote!(#runtime::call::Stream),
                ["reqwest", "Upgraded"] => quote!(#runtime::call::Upgrade),
                _ => body,
            })
        }
        _ => None,
    }
}

/// `impl Client { pub fn list_x(&self) -> builder::ListX<'_> }`: method → builder, in order.
fn client_methods(file: &syn::File) -> Vec<(String, String)> {
    let mut order = Vec::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || type_name(&imp.self_ty).as_deref() != Some("Client") {
            continue;
        }
        for f in &imp.items {
            let syn::ImplItem::Fn(f) = f else { continue };
            if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                if let Some(b) = type_name(ty) {
                    order.push((f.sig.ident.to_string(), b));
                }
            }
        }
    }
    order
}

fn builder_fields(items: &[syn::Item]) -> BTreeMap<String, BTreeMap<String, syn::Type>> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) => Some((
                s.ident.to_string(),
                s.fields.iter().filter_map(|f| Some((f.ident.as_ref()?.to_string(), f.ty.clone()))).collect(),
            )),
            _ => None,
        })
        .collect()
}

fn module_items<'f>(file: &'f syn::File, name: &str) -> Option<&'f Vec<syn::Item>> {
    file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

fn module_items_mut<'f>(file: &'f mut syn::File, name: &str) -> Option<&'f mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

fn item_name(item: &syn::Item) -> Option<String> {
    match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        syn::Item::Enum(e) => Some(e.ident.to_string()),
        syn::Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

pub(crate) fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Whether `call` is progenitor's `…QueryParam::new(…)` (how its `send` adds each query parameter).
pub(crate) fn is_query_param_new(call: &syn::ExprCall) -> bool {
    let syn::Expr::Path(func) = &*call.func else { return false };
    let mut segments = func.path.segments.iter().rev().map(|s| s.ident.to_string());
    segments.next().as_deref() == Some("new") && segments.next().as_deref() == Some("QueryParam")
}

/// The generic arguments of `Name<..>` when `ty`'s last path segment is `Name`.
pub(crate) fn generic_args<'t>(ty: &'t syn::Type, name: &str) -> Option<Vec<&'t syn::Type>> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(a) = &seg.arguments else { return None };
    Some(
        a.args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(ty: &str, by_status: bool) -> Option<String> {
        let ty: syn::Type = syn::parse_str(ty).unwrap();
        decoder(&ty, by_status, &syn::parse_quote!(crate)).map(|d| d.to_string())
    }

    #[test]
    fn the_decoder_follows_the_success_types_shape() {
        assert_eq!(decoded("()", false).as_deref(), Some("crate :: call :: Empty"));
        assert_eq!(decoded("ByteStream", false).as_deref(), Some("crate :: call :: Stream"));
        assert_eq!(decoded("reqwest::Upgraded", false).as_deref(), Some("crate :: call :: Upgrade"));
        assert_eq!(decoded("::reqwest::Upgraded", false).as_deref(), Some("crate :: call :: Upgrade"));
        for json in ["types::Assistant", "::std::vec::Vec<types::Chat>", "::std::string::String", "f64"] {
            assert!(decoded(json, false).is_some_and(|d| d.starts_with("crate :: call :: Body <")), "{json}");
        }
        assert!(decoded("()", true).is_some_and(|d| d.starts_with("crate :: call :: Body <")), "by status");
    }

    #[test]
    fn a_shape_no_decoder_fits_is_refused() {
        for other in ["&'static str", "(u8, u8)", "[u8; 4]", "dyn std::any::Any", "<T as Tr>::Out"] {
            assert_eq!(decoded(other, false), None, "{other}");
        }
    }
}
