//! Cookie parameters (marked `x-invent-cookie` by the lowering, which hands them to progenitor as
//! headers): each `header_map.append(name, value.to_string().try_into()?)` of a cookie becomes
//! `<runtime>::cookie::append(&mut header_map, cookie_name, &value)?`, which joins the operation's
//! cookies into one `Cookie` header with percent-encoded values.

use syn::visit_mut::VisitMut;

use super::ops::LoweredOp;
use crate::SpecError;

/// Rule name in the report.
pub const RULE: &str = "cookie-parameter";

/// Sends the cookie parameters of `op` through the runtime; fails when one of them is not found in the
/// generated `send` in progenitor's header shape.
pub fn apply(f: &mut syn::ImplItemFn, op: &LoweredOp, runtime: &syn::Path) -> Result<usize, SpecError> {
    if op.cookies.is_empty() {
        return Ok(0);
    }
    let mut visitor = Rewrite { cookies: &op.cookies, runtime, found: Vec::new() };
    visitor.visit_impl_item_fn_mut(f);
    if let Some((missing, _)) = op.cookies.iter().find(|(name, _)| !visitor.found.contains(name)) {
        return Err(SpecError::new(
            op.pointer.clone(),
            RULE,
            format!(
                "cookie parameter `{missing}` is not sent as `header_map.append({missing:?}, value.to_string().try_into()?)` by the generated `{}`",
                op.id
            ),
        ));
    }
    Ok(visitor.found.len())
}

struct Rewrite<'a> {
    cookies: &'a [(String, String)],
    runtime: &'a syn::Path,
    found: Vec<String>,
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        let Some((name, value)) = header_append(expr) else { return };
        let Some((_, cookie)) = self.cookies.iter().find(|(param, _)| *param == name) else { return };
        let runtime = self.runtime;
        *expr = syn::parse_quote!(#runtime::cookie::append(&mut header_map, #cookie, &#value)?);
        self.found.push(name);
    }
}

/// progenitor's `header_map.append("name", value.to_string().try_into()?)` → (`name`, `value`).
fn header_append(expr: &syn::Expr) -> Option<(String, syn::Expr)> {
    let syn::Expr::MethodCall(append) = expr else { return None };
    let syn::Expr::Path(receiver) = &*append.receiver else { return None };
    if append.method != "append" || !receiver.path.is_ident("header_map") || append.args.len() != 2 {
        return None;
    }
    let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. }) = &append.args[0] else { return None };
    let syn::Expr::Try(tried) = &append.args[1] else { return None };
    let syn::Expr::MethodCall(try_into) = &*tried.expr else { return None };
    let syn::Expr::MethodCall(to_string) = &*try_into.receiver else { return None };
    if try_into.method != "try_into" || to_string.method != "to_string" || !to_string.args.is_empty() {
        return None;
    }
    Some((name.value(), (*to_string.receiver).clone()))
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn op(cookies: &[(&str, &str)]) -> LoweredOp {
        LoweredOp {
            id: "get_session".into(),
            pointer: "/paths/~1s/get".into(),
            method: "GET".into(),
            path: "/s".into(),
            template: "/s".into(),
            org_scoped: false,
            quota: None,
            typed_responses: None,
            multipart: None,
            deep_object_params: Vec::new(),
            cookies: cookies.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect(),
            wire_names: Vec::new(),
        }
    }

    fn send() -> syn::ImplItemFn {
        syn::parse_quote! {
            pub async fn send(self) -> Result<(), ()> {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(3usize);
                header_map.append("session_cookie", session_cookie.to_string().try_into()?);
                if let Some(value) = theme {
                    header_map.append("theme", value.to_string().try_into()?);
                }
                header_map.append("x-trace", x_trace.to_string().try_into()?);
            }
        }
    }

    #[test]
    fn required_and_optional_cookies_go_through_the_runtime_and_headers_stay() {
        let mut f = send();
        let runtime: syn::Path = syn::parse_quote!(crate);
        let n = apply(&mut f, &op(&[("session_cookie", "session"), ("theme", "theme")]), &runtime).unwrap();
        assert_eq!(n, 2);
        let text = f.to_token_stream().to_string();
        assert!(
            text.contains(r#"crate :: cookie :: append (& mut header_map , "session" , & session_cookie) ?"#),
            "{text}"
        );
        assert!(text.contains(r#"crate :: cookie :: append (& mut header_map , "theme" , & value) ?"#), "{text}");
        assert!(text.contains(r#"header_map . append ("x-trace""#), "{text}");
    }

    /// Only progenitor's exact `header_map.append("name", value.to_string().try_into()?)` is a cookie
    /// site; a lookalike is left as it is (and the cookie then fails as not found).
    #[test]
    fn only_progenitors_exact_append_is_a_cookie_site() {
        let site =
            |expr: syn::Expr| header_append(&expr).map(|(name, value)| (name, value.to_token_stream().to_string()));
        assert_eq!(
            site(syn::parse_quote!(header_map.append("theme", value.to_string().try_into()?))),
            Some(("theme".to_string(), "value".to_string()))
        );
        let lookalikes: [syn::Expr; 6] = [
            syn::parse_quote!(header_map.insert("theme", value.to_string().try_into()?)),
            syn::parse_quote!(other_map.append("theme", value.to_string().try_into()?)),
            syn::parse_quote!(header_map.append("theme", value.to_string().try_into()?, extra)),
            syn::parse_quote!(header_map.append("theme", value.to_str().try_into()?)),
            syn::parse_quote!(header_map.append("theme", value.to_string().into()?)),
            syn::parse_quote!(header_map.append("theme", value.to_string(1).try_into()?)),
        ];
        for expr in lookalikes {
            let text = expr.to_token_stream().to_string();
            assert_eq!(site(expr), None, "{text}");
        }
    }

    #[test]
    fn a_cookie_not_found_in_progenitors_shape_fails_naming_the_rule() {
        let mut f = send();
        let runtime: syn::Path = syn::parse_quote!(crate);
        let err = apply(&mut f, &op(&[("csrf", "csrf")]), &runtime).unwrap_err();
        assert_eq!(err.rule, RULE);
        assert!(err.message.contains("`csrf`"), "{}", err.message);
    }
}
