//! Free-form `deepObject` query parameters (marked `x-invent-deep-object` by the lowering): progenitor
//! sends a map as `key=value`; the generated code sends it through `<runtime>::query::DeepObject`
//! instead, as `name[key]=value` (nested maps `name[a][b]=value`, arrays as repeated pairs).

use syn::visit_mut::VisitMut;

use super::ops::LoweredOp;
use crate::SpecError;

/// Rule name in the report.
pub const RULE: &str = "deep-object-map";

/// Points the query parameters of `op` that are deepObject maps at the runtime's serializer; fails when
/// one of them is not found in the generated `send`.
pub fn apply(f: &mut syn::ImplItemFn, op: &LoweredOp, runtime: &syn::Path) -> Result<usize, SpecError> {
    if op.deep_object_params.is_empty() {
        return Ok(0);
    }
    let mut visitor = Rewrite { names: &op.deep_object_params, runtime, found: Vec::new() };
    visitor.visit_impl_item_fn_mut(f);
    if let Some(missing) = op.deep_object_params.iter().find(|n| !visitor.found.contains(n)) {
        return Err(SpecError::new(
            op.pointer.clone(),
            RULE,
            format!("deepObject parameter `{missing}` is not sent by the generated `{}`", op.id),
        ));
    }
    Ok(visitor.found.len())
}

struct Rewrite<'a> {
    names: &'a [String],
    runtime: &'a syn::Path,
    found: Vec<String>,
}

impl VisitMut for Rewrite<'_> {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        syn::visit_mut::visit_expr_call_mut(self, call);
        if !super::is_query_param_new(call) {
            return;
        }
        let Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(name), .. })) = call.args.first() else { return };
        let name = name.value();
        if self.names.contains(&name) {
            let runtime = self.runtime;
            *call.func = syn::parse_quote!(#runtime::query::DeepObject::new);
            self.found.push(name);
        }
    }
}
