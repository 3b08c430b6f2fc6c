//! Open enums in responses: every enum a response body can reach (through fields, variants, `Vec`s,
//! `Option`s, maps) gets a last `Unknown` variant, so a value the spec does not list still decodes:
//! `Unknown(String)` for string enums, `Unknown(<runtime>::Unlisted)` (the raw JSON) for tagged and
//! untagged unions. Enums only requests use stay closed: the client never sends what the spec does not
//! list unless the caller builds an `Unknown` on purpose. So do the single-value enums (`const`s) that
//! tag the members of an untagged union (see `union_tags`).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use quote::format_ident;
use syn::visit::Visit;

use crate::SpecError;

const RULE: &str = "open-enum";

/// Adds the fallback variant to every enum of `items` reachable from `roots`, except the by-status
/// enums in `by_status` (their decoder picks a variant by status and never needs a fallback); returns
/// how many.
pub fn open(
    items: &mut [syn::Item],
    roots: &BTreeSet<String>,
    by_status: &BTreeSet<String>,
    runtime: &syn::Path,
) -> Result<usize, SpecError> {
    let defined: BTreeMap<String, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| match item {
            syn::Item::Struct(s) => Some((s.ident.to_string(), i)),
            syn::Item::Enum(e) => Some((e.ident.to_string(), i)),
            syn::Item::Type(t) => Some((t.ident.to_string(), i)),
            _ => None,
        })
        .collect();
    let reachable = reachable(items, &defined, roots);
    let tags = union_tags(items, &defined);
    let mut opened = BTreeMap::new();
    for name in reachable.difference(&tags).filter(|n| !by_status.contains(*n)) {
        let Some(&i) = defined.get(name) else { continue };
        let syn::Item::Enum(e) = &mut items[i] else { continue };
        if let Some(variant) = add_fallback(e, runtime) {
            opened.insert(name.clone(), variant);
        }
    }
    for item in items.iter_mut() {
        let syn::Item::Impl(imp) = item else { continue };
        let Some(name) = self_name(&imp.self_ty) else { continue };
        let Some(variant) = opened.get(&name) else { continue };
        for f in imp.items.iter_mut() {
            let syn::ImplItem::Fn(f) = f else { continue };
            complete_matches(f, &name, variant)?;
        }
    }
    Ok(opened.len())
}

/// Names of the `types` items reachable from `roots` through the types of fields and variants.
fn reachable(items: &[syn::Item], defined: &BTreeMap<String, usize>, roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = roots.iter().filter(|r| defined.contains_key(*r)).cloned().collect();
    while let Some(name) = queue.pop_front() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut names = Names::default();
        match &items[defined[&name]] {
            syn::Item::Struct(s) => s.fields.iter().for_each(|f| names.visit_type(&f.ty)),
            syn::Item::Enum(e) => e.variants.iter().flat_map(|v| v.fields.iter()).for_each(|f| names.visit_type(&f.ty)),
            syn::Item::Type(t) => names.visit_type(&t.ty),
            _ => {}
        }
        queue.extend(names.0.into_iter().filter(|n| defined.contains_key(n) && !seen.contains(n)));
    }
    seen
}

/// Single-value enums (from a `const`) that a required field of an untagged union's member holds: its
/// tag. They stay closed: open, a variant the spec does not list (`{"type": "sms", "text": ..}`) would
/// decode as the first member whose other fields it fits (a `MessageEvent` whose type is
/// `Unknown("sms")`) instead of falling through to the union's own `Unknown`.
fn union_tags(items: &[syn::Item], defined: &BTreeMap<String, usize>) -> BTreeSet<String> {
    let item = |ty: &syn::Type| self_name(ty).and_then(|n| defined.get(&n)).map(|&i| (&items[i], self_name(ty)));
    let mut tags = BTreeSet::new();
    for union in items {
        let syn::Item::Enum(e) = union else { continue };
        let untagged = serde_keys(&e.attrs).iter().any(|k| k == "untagged");
        if !untagged {
            continue;
        }
        for member in e.variants.iter().flat_map(|v| v.fields.iter()) {
            let Some((syn::Item::Struct(s), _)) = item(&member.ty) else { continue };
            for field in &s.fields {
                if let Some((syn::Item::Enum(tag), Some(name))) = item(&field.ty) {
                    if tag.variants.len() == 1 && tag.variants.iter().all(|v| matches!(v.fields, syn::Fields::Unit)) {
                        tags.insert(name);
                    }
                }
            }
        }
    }
    tags
}

/// Every identifier of every path segment in a type (`Option<Vec<types::X>>` → Option, Vec, types, X).
#[derive(Default)]
pub struct Names(pub BTreeSet<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_path_segment(&mut self, segment: &'ast syn::PathSegment) {
        self.0.insert(segment.ident.to_string());
        syn::visit::visit_path_segment(self, segment);
    }
}

fn self_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// Appends the fallback variant; `None` when the enum already has one (`#[serde(other)]` or an
/// untagged catch-all).
fn add_fallback(e: &mut syn::ItemEnum, runtime: &syn::Path) -> Option<syn::Ident> {
    if e.variants.iter().any(|v| serde_keys(&v.attrs).iter().any(|k| k == "other" || k == "untagged")) {
        return None;
    }
    let enum_keys = serde_keys(&e.attrs);
    let untagged_enum = enum_keys.iter().any(|k| k == "untagged");
    let string_enum = !untagged_enum
        && !enum_keys.iter().any(|k| k == "tag")
        && e.variants.iter().all(|v| matches!(v.fields, syn::Fields::Unit));
    let taken: BTreeSet<String> = e.variants.iter().map(|v| v.ident.to_string()).collect();
    let ident = ["Unknown", "UnknownValue", "Unlisted", "UnlistedValue"]
        .iter()
        .find(|n| !taken.contains(**n))
        .map(|n| format_ident!("{n}"))?;
    let field: syn::Type =
        if string_enum { syn::parse_quote!(::std::string::String) } else { syn::parse_quote!(#runtime::Unlisted) };
    let what = if string_enum { "value" } else { "body" };
    let doc = format!("A {what} this version of the spec does not list (kept as received).");
    let variant: syn::Variant = if untagged_enum {
        syn::parse_quote!(#[doc = #doc] #ident(#field))
    } else {
        syn::parse_quote!(#[doc = #doc] #[serde(untagged)] #ident(#field))
    };
    e.variants.push(variant);
    if string_enum {
        for attr in e.attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
            if let Ok(list) =
                attr.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            {
                let kept = list.into_iter().filter(|p| !p.is_ident("Copy"));
                *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            }
        }
    }
    Some(ident)
}

/// Adds an arm for the new variant to every exhaustive `match self` in `f` (typify's `Display` and
/// friends); a match the rule does not understand is an error rather than a silent gap.
fn complete_matches(f: &mut syn::ImplItemFn, enum_name: &str, variant: &syn::Ident) -> Result<(), SpecError> {
    struct Arms<'a> {
        variant: &'a syn::Ident,
        in_fmt: bool,
        error: Option<String>,
    }
    impl syn::visit_mut::VisitMut for Arms<'_> {
        fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
            syn::visit_mut::visit_expr_match_mut(self, m);
            let on_self = matches!(&*m.expr, syn::Expr::Path(p) if p.path.is_ident("self"))
                || matches!(&*m.expr, syn::Expr::Unary(u) if matches!(&*u.expr, syn::Expr::Path(p) if p.path.is_ident("self")));
            let has_wildcard = m.arms.iter().any(|a| matches!(a.pat, syn::Pat::Wild(_) | syn::Pat::Ident(_)));
            if !on_self || has_wildcard {
                return;
            }
            let variant = self.variant;
            if self.in_fmt {
                m.arms.push(syn::parse_quote!(Self::#variant(ref value) => ::std::fmt::Display::fmt(value, f),));
            } else {
                self.error = Some("a `match self` outside `fmt`".into());
            }
        }
    }
    let mut arms = Arms { variant, in_fmt: f.sig.ident == "fmt", error: None };
    syn::visit_mut::VisitMut::visit_impl_item_fn_mut(&mut arms, f);
    match arms.error {
        Some(what) => Err(SpecError::at_root(
            RULE,
            format!("`{enum_name}::{}`: cannot complete {what} in `{}`", variant, f.sig.ident),
        )),
        None => Ok(()),
    }
}

/// The keys of `#[serde(…)]` attributes (`untagged`, `tag`, `rename`, `other`, …), read as syn
/// metas. An attribute that does not parse as a list of metas gives no keys.
fn serde_keys(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .filter_map(|a| {
            a.parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated).ok()
        })
        .flatten()
        .filter_map(|meta| meta.path().get_ident().map(ToString::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opened(code: &str, roots: &[&str]) -> (BTreeSet<String>, usize) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let runtime: syn::Path = syn::parse_str("crate").unwrap();
        let roots = roots.iter().map(|r| r.to_string()).collect();
        let n = open(&mut file.items, &roots, &BTreeSet::new(), &runtime).unwrap();
        let names = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Enum(e) if e.variants.iter().any(|v| v.ident == "Unknown") => Some(e.ident.to_string()),
                _ => None,
            })
            .collect();
        (names, n)
    }

    #[test]
    fn the_const_tags_of_union_members_stay_closed() {
        let code = r#"
            #[derive(Deserialize)] #[serde(untagged)] pub enum Event { Message(Message), Call(Call) }
            #[derive(Deserialize)] pub struct Message { pub type_: MessageType, pub text: String }
            #[derive(Deserialize)] pub struct Call { pub type_: CallType, pub dir: Option<Direction> }
            #[derive(Deserialize)] pub enum MessageType { #[serde(rename = "message")] Message }
            #[derive(Deserialize)] pub enum CallType { #[serde(rename = "call")] Call }
            #[derive(Deserialize)] pub enum Direction { In, Out }
            #[derive(Deserialize)] pub struct Page { pub kind: Kind, pub events: Vec<Event> }
            #[derive(Deserialize)] pub enum Kind { #[serde(rename = "page")] Page }
        "#;
        let (names, n) = opened(code, &["Page"]);
        // The union, a multi-value enum in a member, and a const outside any union are opened.
        assert_eq!(names, ["Direction", "Event", "Kind"].map(String::from).into_iter().collect());
        assert_eq!(n, 3);
    }
}
