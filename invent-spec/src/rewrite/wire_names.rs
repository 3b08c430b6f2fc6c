//! Parameters the lowering renamed for a Rust name of their own (marked `x-invent-wire-name`: a query
//! parameter named like a path parameter, two names that make one Rust identifier): progenitor sends
//! them under the Rust-side name, so the name literal of their `QueryParam::new` / `DeepObject::new` /
//! `header_map.append` call becomes the wire name again.

use syn::visit_mut::VisitMut;

use super::ops::LoweredOp;
use crate::SpecError;

/// Rule name in the report.
pub const RULE: &str = "wire-name";

/// Puts the wire names of `op`'s renamed parameters back on the wire; fails when one of them is not
/// found in the generated `send`.
pub fn apply(f: &mut syn::ImplItemFn, op: &LoweredOp) -> Result<usize, SpecError> {
    if op.wire_names.is_empty() {
        return Ok(0);
    }
    let mut visitor = Rewrite { names: &op.wire_names, found: Vec::new() };
    visitor.visit_impl_item_fn_mut(f);
    if let Some((missing, _)) = op.wire_names.iter().find(|(name, _)| !visitor.found.contains(name)) {
        return Err(SpecError::new(
            op.pointer.clone(),
            RULE,
            format!("renamed parameter `{missing}` is not sent by the generated `{}`", op.id),
        ));
    }
    Ok(visitor.found.len())
}

struct Rewrite<'a> {
    names: &'a [(String, String)],
    found: Vec<String>,
}

impl Rewrite<'_> {
    /// Replaces `lit` by the wire name when it names a renamed parameter.
    fn rename(&mut self, lit: &mut syn::Expr) {
        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. }) = lit else { return };
        let Some((param, wire)) = self.names.iter().find(|(param, _)| *param == name.value()) else { return };
        *name = syn::LitStr::new(wire, name.span());
        self.found.push(param.clone());
    }
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        let syn::Expr::Path(func) = &*call.func else { return };
        let mut segments = func.path.segments.iter().rev().map(|s| s.ident.to_string());
        let is_new = segments.next().as_deref() == Some("new");
        let sender = segments.next();
        if is_new && matches!(sender.as_deref(), Some("QueryParam" | "DeepObject")) {
            if let Some(first) = call.args.first_mut() {
                self.rename(first);
            }
        }
    }

    fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, call);
        let syn::Expr::Path(receiver) = &*call.receiver else { return };
        if call.method == "append" && receiver.path.is_ident("header_map") && call.args.len() == 2 {
            if let Some(first) = call.args.first_mut() {
                self.rename(first);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn op(wire_names: &[(&str, &str)]) -> LoweredOp {
        LoweredOp {
            id: "get_thing".into(),
            pointer: "/paths/~1things~1{id}/get".into(),
            method: "GET".into(),
            path: "/things/{id}".into(),
            template: "/things/{id}".into(),
            org_scoped: false,
            quota: None,
            typed_responses: None,
            multipart: None,
            deep_object_params: Vec::new(),
            cookies: Vec::new(),
            wire_names: wire_names.iter().map(|(p, w)| (p.to_string(), w.to_string())).collect(),
        }
    }

    fn send() -> syn::ImplItemFn {
        syn::parse_quote! {
            pub async fn send(self) -> Result<(), ()> {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                header_map.append("id_header", id_header.to_string().try_into()?);
                let request = client
                    .client
                    .get(url)
                    .query(&progenitor_client::QueryParam::new("id_query", &id_query))
                    .query(&crate::query::DeepObject::new("filter_query", &filter_query))
                    .query(&progenitor_client::QueryParam::new("q", &q))
                    .headers(header_map)
                    .build()?;
            }
        }
    }

    #[test]
    fn renamed_query_deep_object_and_header_parameters_are_sent_by_their_wire_names() {
        let mut f = send();
        let renamed = [("id_query", "id"), ("filter_query", "filter"), ("id_header", "id")];
        assert_eq!(apply(&mut f, &op(&renamed)).unwrap(), 3);
        let text = f.to_token_stream().to_string();
        assert!(text.contains(r#"QueryParam :: new ("id" , & id_query)"#), "{text}");
        assert!(text.contains(r#"DeepObject :: new ("filter" , & filter_query)"#), "{text}");
        assert!(text.contains(r#"header_map . append ("id" , id_header"#), "{text}");
        assert!(text.contains(r#"QueryParam :: new ("q" , & q)"#), "{text}");
    }

    /// Only progenitor's own calls are renamed: a lookalike (another method, receiver, argument count,
    /// constructor or type) keeps the name it has.
    #[test]
    fn lookalike_calls_keep_their_names() {
        let mut f: syn::ImplItemFn = syn::parse_quote! {
            pub async fn send(self) -> Result<(), ()> {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append("id_header", id_header.to_string().try_into()?);
                header_map.insert("id_header", other);
                other_map.append("id_header", other);
                header_map.append("id_header", other, extra);
                let request = client
                    .client
                    .get(url)
                    .query(&progenitor_client::QueryParam::new("id_query", &id_query))
                    .query(&progenitor_client::QueryParam::with("id_query", &id_query))
                    .query(&crate::query::Other::new("id_query", &id_query))
                    .build()?;
            }
        };
        apply(&mut f, &op(&[("id_query", "id"), ("id_header", "id")])).unwrap();
        let text = f.to_token_stream().to_string();
        assert_eq!(text.matches(r#""id""#).count(), 2, "{text}");
        assert_eq!(text.matches(r#""id_header""#).count(), 3, "{text}");
        assert_eq!(text.matches(r#""id_query""#).count(), 2, "{text}");
    }

    #[test]
    fn a_renamed_parameter_not_sent_fails_naming_the_rule() {
        let mut f = send();
        let err = apply(&mut f, &op(&[("page_query", "page")])).unwrap_err();
        assert_eq!(err.rule, RULE);
        assert!(err.message.contains("`page_query`"), "{}", err.message);
    }
}
