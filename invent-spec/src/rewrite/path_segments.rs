//! Rule `path-segment-checked`: every path parameter of a generated `send` becomes exactly one path
//! segment. progenitor writes `encode_path(&id.to_string())` into the URL's `format!`, which leaves `.`,
//! `..` and `\` alone, so a URL parser then moves the request to another path. The rule replaces each
//! of those calls with `<runtime>::call::path_segment("<name>", &id.to_string())?`, which refuses `""`,
//! `.` and `..` and percent-encodes everything that is not unreserved.
//!
//! Fail closed: the URL must be one `format!` whose arguments are the base URL and then one
//! `encode_path(…)` per `{param}` of the generated path, in order, and no `encode_path` may be left
//! anywhere in `send`.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::punctuated::Punctuated;
use syn::visit::Visit;

use super::ops::LoweredOp;
use crate::SpecError;

/// Rule name in the report (one count per path parameter).
pub const RULE: &str = "path-segment-checked";

/// Rewrites the path parameters of progenitor's `send` for `op`; returns how many it rewrote.
pub fn apply(f: &mut syn::ImplItemFn, op: &LoweredOp, runtime: &syn::Path) -> Result<usize, SpecError> {
    let fail = |what: String| SpecError::new(op.pointer.clone(), RULE, format!("`{}`: {what}", op.id));
    let names = placeholders(&op.path);
    let mut urls = f.block.stmts.iter_mut().filter_map(super::send::url_format);
    let mac = urls.next().ok_or_else(|| fail("progenitor's `send` builds no `url` with `format!`".into()))?;
    let rewritten = rewrite_format(mac, &names, runtime).map_err(fail)?;
    if urls.next().is_some() {
        return Err(fail("progenitor's `send` builds more than one `url`".into()));
    }
    let mut left = EncodePath(false);
    left.visit_impl_item_fn(f);
    if left.0 {
        return Err(fail("an `encode_path` call is left outside the URL's `format!`".into()));
    }
    Ok(rewritten)
}

/// `{name}` placeholders of a path, in order.
fn placeholders(path: &str) -> Vec<String> {
    path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string())).collect()
}

/// `format!("{}/a/{}", client.baseurl, encode_path(&x.to_string()))` →
/// `format!("{}/a/{}", client.baseurl, <runtime>::call::path_segment("x", &x.to_string())?)`.
fn rewrite_format(mac: &mut syn::Macro, names: &[String], runtime: &syn::Path) -> Result<usize, String> {
    let args: Punctuated<syn::Expr, syn::Token![,]> = mac
        .parse_body_with(Punctuated::parse_terminated)
        .map_err(|e| format!("progenitor's URL format does not parse: {e}"))?;
    let mut args: Vec<syn::Expr> = args.into_iter().collect();
    let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(template), .. })) = args.first() else {
        return Err("progenitor's URL format has no literal template".into());
    };
    let holes = template.value().matches("{}").count();
    if holes != args.len() - 1 || holes != names.len() + 1 {
        return Err(format!(
            "URL `{}` has {holes} `{{}}` for {} arguments; expected the base URL and {} path parameters",
            template.value(),
            args.len() - 1,
            names.len()
        ));
    }
    if !is_client_baseurl(&args[1]) {
        return Err(format!("the URL does not start with `client.baseurl` but `{}`", args[1].to_token_stream()));
    }
    for (arg, name) in args[2..].iter_mut().zip(names) {
        let value = encode_path_arg(arg).ok_or_else(|| {
            format!("path parameter `{name}` is not written with `encode_path(…)` but `{}`", arg.to_token_stream())
        })?;
        *arg = syn::parse_quote!(#runtime::call::path_segment(#name, #value)?);
    }
    mac.tokens = quote!(#(#args),*);
    Ok(names.len())
}

/// `encode_path(value)` (any path ending in `encode_path`) → `value`.
fn encode_path_arg(expr: &syn::Expr) -> Option<TokenStream> {
    let syn::Expr::Call(call) = expr else { return None };
    let syn::Expr::Path(func) = &*call.func else { return None };
    if func.path.segments.last()?.ident != "encode_path" || call.args.len() != 1 {
        return None;
    }
    Some(call.args[0].to_token_stream())
}

/// Finds any `encode_path` left in an item (a path, or a name inside a macro's tokens).
struct EncodePath(bool);

impl<'ast> Visit<'ast> for EncodePath {
    fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
        self.0 |= ident == "encode_path";
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.0 |= mac.tokens.to_string().contains("encode_path");
        syn::visit::visit_macro(self, mac);
    }
}

/// `client.baseurl`: progenitor's first URL argument.
fn is_client_baseurl(expr: &syn::Expr) -> bool {
    let syn::Expr::Field(field) = expr else { return false };
    let syn::Expr::Path(base) = &*field.base else { return false };
    base.path.is_ident("client") && matches!(&field.member, syn::Member::Named(m) if m == "baseurl")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(path: &str) -> LoweredOp {
        LoweredOp {
            id: "delete_chat_memory".into(),
            pointer: "/paths/x/delete".into(),
            method: "DELETE".into(),
            path: path.into(),
            template: path.into(),
            org_scoped: false,
            quota: None,
            typed_responses: None,
            multipart: None,
            deep_object_params: Vec::new(),
            cookies: Vec::new(),
            wire_names: Vec::new(),
        }
    }

    fn send(url: TokenStream, rest: TokenStream) -> syn::ImplItemFn {
        syn::parse_quote! {
            pub async fn send(self) -> Result<(), ()> {
                let Self { client, chat_id, memory_id } = self;
                let url = #url;
                #rest
                Ok(())
            }
        }
    }

    fn runtime() -> syn::Path {
        syn::parse_quote!(crate)
    }

    fn text(f: &syn::ImplItemFn) -> String {
        f.to_token_stream().to_string().replace(' ', "")
    }

    #[test]
    fn each_path_parameter_goes_through_the_runtime_with_its_name() {
        let mut f = send(
            quote!(format!(
                "{}/chats/{}/memories/{}",
                client.baseurl,
                encode_path(&chat_id.to_string()),
                encode_path(&memory_id.to_string()),
            )),
            quote!(),
        );
        let n = apply(&mut f, &op("/chats/{chat_id}/memories/{memory_id}"), &runtime()).unwrap();
        assert_eq!(n, 2);
        let text = text(&f);
        assert!(text.contains("crate::call::path_segment(\"chat_id\",&chat_id.to_string())?"), "{text}");
        assert!(text.contains("crate::call::path_segment(\"memory_id\",&memory_id.to_string())?"), "{text}");
        assert!(!text.contains("encode_path"), "{text}");
    }

    #[test]
    fn a_path_without_parameters_counts_zero() {
        let mut f = send(quote!(format!("{}/orgs/c/assistants", client.baseurl)), quote!());
        assert_eq!(apply(&mut f, &op("/orgs/c/assistants"), &runtime()).unwrap(), 0);
    }

    #[test]
    fn any_other_shape_fails_with_the_rule_name() {
        let cases = [
            // A parameter written without `encode_path`.
            (quote!(format!("{}/chats/{}", client.baseurl, chat_id)), quote!(), "/chats/{chat_id}"),
            // One parameter more in the path than in the format.
            (quote!(format!("{}/chats/{}", client.baseurl, encode_path(&chat_id))), quote!(), "/chats/{a}/{b}"),
            // Not the base URL first.
            (quote!(format!("{}/chats/{}", other, encode_path(&chat_id))), quote!(), "/chats/{chat_id}"),
            // An `encode_path` outside the URL.
            (
                quote!(format!("{}/chats/{}", client.baseurl, encode_path(&chat_id))),
                quote!(let again = encode_path(&memory_id);),
                "/chats/{chat_id}",
            ),
            // An `encode_path` inside another macro, where only its tokens show it.
            (
                quote!(format!("{}/chats/{}", client.baseurl, encode_path(&chat_id))),
                quote!(let again = vec![encode_path(&memory_id)];),
                "/chats/{chat_id}",
            ),
            // A parameter through a function that is not `encode_path`.
            (quote!(format!("{}/chats/{}", client.baseurl, escape(&chat_id))), quote!(), "/chats/{chat_id}"),
            // Another field of the client than its base URL.
            (quote!(format!("{}/chats/{}", client.other, encode_path(&chat_id))), quote!(), "/chats/{chat_id}"),
            // No URL at all.
            (quote!(String::new()), quote!(), "/chats"),
        ];
        for (url, rest, path) in cases {
            let mut f = send(url, rest);
            let error = apply(&mut f, &op(path), &runtime()).unwrap_err();
            assert_eq!(error.rule, RULE, "{error}");
        }
    }
}
