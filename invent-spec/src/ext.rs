//! Reads progenitor's own output (with `syn`) to learn each operation's builder, method, path and
//! response types, and renders the extension code the thin layer builds on: the operation table and
//! `impl crate::Operation` / `impl crate::ListOperation` for every builder. Generated, never hand-edited.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use quote::ToTokens;
use serde_json::Value;

/// One generated operation, as progenitor emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMeta {
    /// progenitor's snake_case id (`OperationInfo::operation_id`), also the `Client` method name.
    pub id: String,
    /// The builder struct in `builder::`.
    pub builder: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path as generated (org scope already inlined, e.g. `/orgs/c/assistants`).
    pub path: String,
    /// Path template as the spec writes it (e.g. `/orgs/{org_id}/assistants`).
    pub template: String,
    /// Whether the leading `orgs/{..}` segment was inlined, so the client's org applies.
    pub org_scoped: bool,
    /// Success type inside `ResponseValue<..>`.
    pub output: String,
    /// Error body type inside `Error<..>`.
    pub error: String,
    /// Present when the operation takes `page` and `take` and returns an array.
    pub list: Option<ListMeta>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMeta {
    pub item: String,
    pub page_type: String,
    pub take_type: String,
}

/// Collects operation metadata from the generated client file.
pub fn operations(_doc: &Value, file: &syn::File, org_scoped: &[(String, String, String)]) -> Vec<OperationMeta> {
    let Some(builder_items) = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    }) else {
        return Vec::new();
    };

    // `impl Client { pub fn list_x(&self) -> builder::ListX<'_> }`: method name → builder name, in order.
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

    // Per builder: its setters (name → value type) and the `send` signature and doc.
    let mut builders: BTreeMap<String, (BTreeMap<String, String>, Option<(String, String, String)>)> = BTreeMap::new();
    let mut fields: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in builder_items {
        match item {
            syn::Item::Struct(s) => {
                let map = s
                    .fields
                    .iter()
                    .filter_map(|f| Some((f.ident.as_ref()?.to_string(), tokens(&f.ty))))
                    .collect();
                fields.insert(s.ident.to_string(), map);
            }
            syn::Item::Impl(imp) if imp.trait_.is_none() => {
                let Some(name) = type_name(&imp.self_ty) else { continue };
                let entry = builders.entry(name).or_default();
                for f in &imp.items {
                    let syn::ImplItem::Fn(f) = f else { continue };
                    let fname = f.sig.ident.to_string();
                    if fname == "send" {
                        entry.1 = send_signature(f);
                    } else {
                        entry.0.insert(fname, String::new());
                    }
                }
            }
            _ => {}
        }
    }

    let mut out = Vec::new();
    for (id, builder) in order {
        let Some((setters, Some((output, error, doc)))) = builders.get(&builder) else { continue };
        let (method, path) = parse_send_doc(&doc);
        let scoped = org_scoped.iter().find(|(m, p, _)| *m == method && *p == path);
        let template = scoped.map(|(_, _, t)| t.clone()).unwrap_or_else(|| path.clone());
        let field_types = fields.get(&builder);
        let list = match (setters.contains_key("page"), setters.contains_key("take"), vec_item(output)) {
            (true, true, Some(item)) => {
                let inner = |name: &str| {
                    field_types
                        .and_then(|f| f.get(name))
                        .and_then(|t| option_inner(t))
                        .unwrap_or_default()
                };
                Some(ListMeta { item, page_type: inner("page"), take_type: inner("take") })
            }
            _ => None,
        };
        out.push(OperationMeta {
            id,
            builder,
            method,
            path,
            template,
            org_scoped: scoped.is_some(),
            output: output.clone(),
            error: error.clone(),
            list,
        });
    }
    out
}

/// Renders the extension code (included next to the generated client, in the same module).
pub fn render(ops: &[OperationMeta]) -> String {
    let mut s = String::new();
    s.push_str("// Generated by invent-spec from progenitor's output; do not edit.\n\n");
    s.push_str("/// Every generated operation: id, HTTP method, path as sent, path template, org-scoped.\n");
    s.push_str("pub(crate) const OPERATIONS: &[crate::operation::OperationSpec] = &[\n");
    for op in ops {
        let _ = writeln!(
            s,
            "    crate::operation::OperationSpec {{ id: {:?}, method: {:?}, path: {:?}, template: {:?}, org_scoped: {} }},",
            op.id, op.method, op.path, op.template, op.org_scoped
        );
    }
    s.push_str("];\n\n");
    for op in ops {
        let _ = writeln!(
            s,
            "impl<'a> crate::operation::Operation for builder::{b}<'a> {{\n    type Output = {o};\n    type ErrorBody = {e};\n    const ID: &'static str = {id:?};\n    fn dispatch(self) -> impl ::std::future::Future<Output = ::std::result::Result<ResponseValue<{o}>, Error<{e}>>> + Send {{\n        builder::{b}::send(self)\n    }}\n}}\n",
            b = op.builder,
            o = op.output,
            e = op.error,
            id = op.id,
        );
        if let Some(list) = &op.list {
            let _ = writeln!(
                s,
                "impl<'a> crate::pagination::ListOperation for builder::{b}<'a> {{\n    type Item = {item};\n    fn with_page(self, page: u64, take: u64) -> Self {{\n        self.page({page}).take({take})\n    }}\n}}\n",
                b = op.builder,
                item = list.item,
                page = convert("page", &list.page_type),
                take = convert("take", &list.take_type),
            );
        }
    }
    s
}

/// Expression converting a `u64` variable to the setter's parameter type.
fn convert(var: &str, ty: &str) -> String {
    match ty.replace(' ', "").as_str() {
        "f64" | "f32" => format!("{var} as {ty}"),
        // NonZero* and the integer types implement `TryFrom<u64>`; the builder's `TryInto` does the rest.
        _ => var.to_string(),
    }
}

fn tokens<T: ToTokens>(t: &T) -> String {
    t.to_token_stream().to_string()
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `Result<ResponseValue<T>, Error<E>>` → (T, E, doc).
fn send_signature(f: &syn::ImplItemFn) -> Option<(String, String, String)> {
    let syn::ReturnType::Type(_, ty) = &f.sig.output else { return None };
    let args = generic_args(ty, "Result")?;
    let ok = generic_args(args.first()?, "ResponseValue")?;
    let err = generic_args(args.get(1)?, "Error")?;
    let doc = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some((tokens(ok.first()?), tokens(err.first()?), doc))
}

/// The generic arguments of `Name<..>` when `ty`'s last path segment is `Name`.
fn generic_args<'t>(ty: &'t syn::Type, name: &str) -> Option<Vec<&'t syn::Type>> {
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

/// ``Sends a `GET` request to `/orgs/c/x` `` → ("GET", "/orgs/c/x").
fn parse_send_doc(doc: &str) -> (String, String) {
    let mut parts = doc.split('`');
    let _ = parts.next();
    let method = parts.next().unwrap_or_default().to_string();
    let _ = parts.next();
    let path = parts.next().unwrap_or_default().to_string();
    (method, path)
}

/// `:: std :: vec :: Vec < T >` → `T`.
fn vec_item(ty: &str) -> Option<String> {
    let parsed: syn::Type = syn::parse_str(ty).ok()?;
    let args = generic_args(&parsed, "Vec")?;
    Some(tokens(args.first()?))
}

/// `Result < Option < T > , String >` → `T`.
fn option_inner(ty: &str) -> Option<String> {
    let parsed: syn::Type = syn::parse_str(ty).ok()?;
    let args = generic_args(&parsed, "Result")?;
    let opt = generic_args(args.first()?, "Option")?;
    Some(tokens(opt.first()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_doc_gives_method_and_path() {
        assert_eq!(parse_send_doc("Sends a `GET` request to `/orgs/c/x`"), ("GET".into(), "/orgs/c/x".into()));
        assert_eq!(parse_send_doc(""), (String::new(), String::new()));
    }

    #[test]
    fn type_helpers_unwrap_the_generated_shapes() {
        assert_eq!(vec_item(":: std :: vec :: Vec < types :: Assistant >").as_deref(), Some("types :: Assistant"));
        assert_eq!(vec_item("types :: Assistant"), None);
        assert_eq!(option_inner("Result < Option < u32 > , String >").as_deref(), Some("u32"));
        assert_eq!(convert("page", "f64"), "page as f64");
        assert_eq!(convert("page", "u32"), "page");
    }
}
