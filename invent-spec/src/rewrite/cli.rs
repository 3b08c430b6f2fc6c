//! Post-processing of progenitor's CLI: its argument parsing is kept, its sending and printing go.
//! Each `Cli::execute_<op>` ends with the `CliConfig::execute_<op>` hook (which sends the builder
//! through the crate's one call path and prints), and `CliConfig` loses the output callbacks that only
//! progenitor's own sending used (they bound every type to `schemars::JsonSchema`).

use crate::SpecError;

const RULE: &str = "generated-cli";

/// The output callbacks of progenitor's `CliConfig`.
const CALLBACKS: [&str; 7] =
    ["success_item", "success_no_item", "error", "list_start", "list_item", "list_end_success", "list_end_error"];

/// One operation's hook: `(operation id, builder name)`.
pub type Hook = (String, String);

/// Rewrites the CLI file in place; returns the hooks in order.
pub fn rewrite(file: &mut syn::File) -> Result<Vec<Hook>, SpecError> {
    let mut hooks = Vec::new();
    for item in file.items.iter_mut() {
        match item {
            syn::Item::Trait(t) if t.ident == "CliConfig" => {
                t.items.retain(
                    |i| !matches!(i, syn::TraitItem::Fn(f) if CALLBACKS.contains(&f.sig.ident.to_string().as_str())),
                );
                for i in &t.items {
                    let syn::TraitItem::Fn(f) = i else { continue };
                    let name = f.sig.ident.to_string();
                    let Some(id) = name.strip_prefix("execute_") else { continue };
                    // `request: &mut builder::X`.
                    let builder = f.sig.inputs.iter().find_map(|arg| match arg {
                        syn::FnArg::Typed(p) => match &*p.ty {
                            syn::Type::Reference(r) => match &*r.elem {
                                syn::Type::Path(t) if t.path.segments.iter().any(|s| s.ident == "builder") => {
                                    crate::rewrite::type_name(&r.elem)
                                }
                                _ => None,
                            },
                            _ => None,
                        },
                        _ => None,
                    });
                    let builder =
                        builder.ok_or_else(|| SpecError::at_root(RULE, format!("hook `{name}` takes no builder")))?;
                    hooks.push((id.to_string(), builder));
                }
            }
            syn::Item::Impl(imp) if crate::rewrite::type_name(&imp.self_ty).as_deref() == Some("Cli") => {
                for i in imp.items.iter_mut() {
                    let syn::ImplItem::Fn(f) = i else { continue };
                    let name = f.sig.ident.to_string();
                    if name.starts_with("execute_") {
                        end_at_hook(f, &name)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(hooks)
}

/// Keeps the statements up to the `self.config.<name>(…)?;` hook call and returns `Ok(())` after it.
fn end_at_hook(f: &mut syn::ImplItemFn, name: &str) -> Result<(), SpecError> {
    let calls_hook = |stmt: &syn::Stmt| {
        let syn::Stmt::Expr(syn::Expr::Try(t), _) = stmt else { return false };
        matches!(&*t.expr, syn::Expr::MethodCall(m) if m.method == name)
    };
    let at = f
        .block
        .stmts
        .iter()
        .position(calls_hook)
        .ok_or_else(|| SpecError::at_root(RULE, format!("`Cli::{name}` does not call its hook")))?;
    f.block.stmts.truncate(at + 1);
    f.block.stmts.push(syn::parse_quote!(return Ok(());));
    Ok(())
}
