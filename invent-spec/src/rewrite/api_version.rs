//! Rule `api-version-dropped`: progenitor sends `api-version: <info.version>` with every request. Invent
//! documents no such header (and the vendored spec's `info.version` is the date it was reconstructed),
//! so the generated `send` leaves it off; the `HeaderMap` progenitor built for it goes too unless header
//! parameters still use it. Fails closed: a `send` without that exact header is an error, because
//! progenitor's output then changed shape and the header could slip back unnoticed.

/// The rule's name in the lowering report.
pub const RULE: &str = "api-version-dropped";

/// Removes progenitor's `api-version` header from the request-building statements of one `send`.
pub fn drop_header(stmts: &mut Vec<syn::Stmt>) -> Result<(), String> {
    let found: Vec<usize> =
        stmts.iter().enumerate().filter(|(_, s)| is_api_version_append(s)).map(|(i, _)| i).collect();
    let [at] = found[..] else {
        return Err(format!(
            "expected one `header_map.append(\"api-version\", Client::api_version())` in progenitor's `send`, found {} \
             (its output changed shape)",
            found.len()
        ));
    };
    stmts.remove(at);
    if stmts.iter().any(mentions_header_map) {
        // Header parameters still fill the map: it stays, merged as before.
        return Ok(());
    }
    let mut merges = 0;
    for stmt in stmts.iter_mut() {
        let syn::Stmt::Local(local) = stmt else { continue };
        let Some(init) = local.init.as_mut() else { continue };
        drop_headers_merge(&mut init.expr, &mut merges);
    }
    if merges != 1 {
        return Err(format!("expected one `.headers(header_map)` in progenitor's request, found {merges}"));
    }
    stmts.retain(|s| !is_header_map_let(s));
    Ok(())
}

/// `header_map.append(HeaderName::from_static("api-version"), HeaderValue::from_static(…Client::api_version()));`
/// Only progenitor's own header: a header parameter the spec declares is appended with its value.
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else { return false };
    call.method == "append"
        && call.args.len() == 2
        && matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("header_map"))
        && call_of(&call.args[0], &["HeaderName", "from_static"]).is_some_and(|args| {
            matches!(args[..], [syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. })] if s.value() == "api-version")
        })
        && call_of(&call.args[1], &["HeaderValue", "from_static"]).is_some_and(|args| {
            matches!(args[..], [inner] if call_of(inner, &["Client", "api_version"]).is_some_and(|a| a.is_empty()))
        })
}

/// The arguments of `expr` when it calls a path ending in `tail` (`…::HeaderName::from_static(…)`).
fn call_of<'e>(expr: &'e syn::Expr, tail: &[&str]) -> Option<Vec<&'e syn::Expr>> {
    let syn::Expr::Call(call) = expr else { return None };
    let syn::Expr::Path(func) = &*call.func else { return None };
    let names: Vec<String> = func.path.segments.iter().map(|s| s.ident.to_string()).collect();
    let ends = names.len() >= tail.len() && names[names.len() - tail.len()..].iter().zip(tail).all(|(a, b)| a == b);
    ends.then(|| call.args.iter().collect())
}

/// `let mut header_map = …;`
fn is_header_map_let(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Local(l) if matches!(&l.pat, syn::Pat::Ident(p) if p.ident == "header_map"))
}

/// Whether `stmt` uses `header_map` other than by declaring it or merging it (`.headers(header_map)`):
/// header parameters appended to it.
fn mentions_header_map(stmt: &syn::Stmt) -> bool {
    if is_header_map_let(stmt) {
        return false;
    }
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if call.method == "headers" {
                // The merge's argument does not count; its receiver chain might.
                syn::visit::Visit::visit_expr(self, &call.receiver);
                return;
            }
            syn::visit::visit_expr_method_call(self, call);
        }
        fn visit_ident(&mut self, ident: &'ast proc_macro2::Ident) {
            self.0 |= ident == "header_map";
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_stmt(&mut finder, stmt);
    finder.0
}

/// Walks a method-call chain and replaces `receiver.headers(header_map)` with `receiver`, counting.
fn drop_headers_merge(expr: &mut syn::Expr, merges: &mut usize) {
    match expr {
        syn::Expr::MethodCall(call)
            if call.method == "headers"
                && matches!(call.args.first(), Some(syn::Expr::Path(p)) if p.path.is_ident("header_map")) =>
        {
            drop_headers_merge(&mut call.receiver, merges);
            *merges += 1;
            let receiver = (*call.receiver).clone();
            *expr = receiver;
        }
        syn::Expr::MethodCall(call) => drop_headers_merge(&mut call.receiver, merges),
        syn::Expr::Try(t) => drop_headers_merge(&mut t.expr, merges),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn stmts(code: &str) -> Vec<syn::Stmt> {
        let block: syn::Block = syn::parse_str(&format!("{{ {code} }}")).expect("test code parses");
        block.stmts
    }

    fn text(stmts: &[syn::Stmt]) -> String {
        stmts.iter().map(|s| s.to_token_stream().to_string()).collect::<Vec<_>>().join(" ")
    }

    const APPEND: &str = r#"header_map.append(::reqwest::header::HeaderName::from_static("api-version"), ::reqwest::header::HeaderValue::from_static(super::Client::api_version()));"#;

    #[test]
    fn the_header_and_its_map_go() {
        let mut code = stmts(&format!(
            "let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize); {APPEND} \
             let request = client.client.get(url).header(ACCEPT, json).headers(header_map).build()?;"
        ));
        drop_header(&mut code).unwrap();
        let out = text(&code);
        assert!(!out.contains("api-version") && !out.contains("header_map"), "{out}");
        assert!(out.contains(". header (ACCEPT , json) . build ()"), "{out}");
    }

    #[test]
    fn a_map_that_carries_header_parameters_stays() {
        let mut code = stmts(&format!(
            "let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize); {APPEND} \
             header_map.append(\"x-trace\", value.to_string().try_into()?); \
             let request = client.client.get(url).headers(header_map).build()?;"
        ));
        drop_header(&mut code).unwrap();
        let out = text(&code);
        assert!(!out.contains("api-version"), "{out}");
        assert!(out.contains("header_map . append (\"x-trace\"") && out.contains(". headers (header_map)"), "{out}");
    }

    #[test]
    fn a_declared_api_version_header_parameter_is_not_progenitors() {
        // A spec that documents `api-version` as a header parameter: the caller's value stays, however
        // the name is written.
        let param = r#"header_map.append("api-version", api_version.to_string().try_into()?);
            header_map.append(::reqwest::header::HeaderName::from_static("api-version"), value.try_into()?);"#;
        let mut code = stmts(&format!(
            "let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize); {APPEND} {param} \
             let request = client.client.get(url).headers(header_map).build()?;"
        ));
        drop_header(&mut code).unwrap();
        let out = text(&code);
        assert!(out.contains("api_version . to_string ()") && !out.contains("Client :: api_version"), "{out}");
        assert!(out.contains("value . try_into ()"), "{out}");
    }

    #[test]
    fn fails_closed_when_progenitor_changes_shape() {
        let mut none = stmts("let request = client.client.get(url).build()?;");
        assert!(drop_header(&mut none).unwrap_err().contains("found 0"));
        let mut twice = stmts(&format!("let mut header_map = HeaderMap::new(); {APPEND} {APPEND}"));
        assert!(drop_header(&mut twice).unwrap_err().contains("found 2"));
        let mut unmerged = stmts(&format!(
            "let mut header_map = HeaderMap::new(); {APPEND} let request = client.client.get(url).build()?;"
        ));
        assert!(drop_header(&mut unmerged).unwrap_err().contains("`.headers(header_map)`"));
    }
}
