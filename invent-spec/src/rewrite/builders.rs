//! Rule `builders-for-bodies`: typify writes a builder (`types::builder::X`, `X::builder()`, and the
//! conversions between them) for every struct, about half of the generated client. Only request bodies
//! use them (an operation builder's `body_map` and body field); the others are dropped, which keeps
//! what a build compiles in proportion to what the API needs. Types themselves keep every field
//! public, `Default` where typify derives it, and `serde`, so they stay constructible.

use std::collections::BTreeSet;

use syn::visit::Visit;

/// Drops the builders in `types::builder` that no item outside `types` names (as
/// `types::builder::X`), with their impls and the `X::builder()` constructors. Returns how many.
pub fn prune(file: &mut syn::File) -> usize {
    let used = named_outside_types(file);
    let Some(types) = module_items_mut(file, "types") else { return 0 };
    let Some(builders) = types.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return 0;
    };
    let dropped: BTreeSet<String> = builders
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(s) if !used.contains(&s.ident.to_string()) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect();
    builders.retain(|item| match item {
        syn::Item::Struct(s) => !dropped.contains(&s.ident.to_string()),
        syn::Item::Impl(imp) => !impl_names(imp).iter().any(|n| dropped.contains(n)),
        _ => true,
    });
    types.retain(|item| match item {
        syn::Item::Impl(imp) => !is_builder_constructor(imp, &dropped),
        _ => true,
    });
    dropped.len()
}

/// Builder names (`X` of `types::builder::X`) used anywhere but inside the `types` module.
fn named_outside_types(file: &syn::File) -> BTreeSet<String> {
    struct Finder(BTreeSet<String>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let Some(at) = segments.windows(2).position(|w| w[0] == "types" && w[1] == "builder") {
                if let Some(name) = segments.get(at + 2) {
                    self.0.insert(name.clone());
                }
            }
            syn::visit::visit_path(self, path);
        }
    }
    let mut finder = Finder(BTreeSet::new());
    for item in &file.items {
        if matches!(item, syn::Item::Mod(m) if m.ident == "types") {
            continue;
        }
        finder.visit_item(item);
    }
    finder.0
}

/// The builder-local names an impl in `types::builder` is about: its self type and its trait's type
/// arguments, when they are single-segment paths (`X`, not `super::X`).
fn impl_names(imp: &syn::ItemImpl) -> Vec<String> {
    let mut names = Vec::new();
    let local = |ty: &syn::Type| match ty {
        syn::Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            Some(p.path.segments[0].ident.to_string())
        }
        _ => None,
    };
    names.extend(local(&imp.self_ty));
    if let Some((trait_path, _)) = &imp.trait_ {
        for segment in &trait_path.segments {
            if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                for arg in &args.args {
                    if let syn::GenericArgument::Type(ty) = arg {
                        names.extend(local(ty));
                    }
                }
            }
        }
    }
    names
}

/// `impl X { pub fn builder() -> builder::X { … } }` for a dropped `X`.
fn is_builder_constructor(imp: &syn::ItemImpl, dropped: &BTreeSet<String>) -> bool {
    let syn::Type::Path(p) = &*imp.self_ty else { return false };
    let Some(name) = p.path.segments.last().map(|s| s.ident.to_string()) else { return false };
    imp.trait_.is_none()
        && dropped.contains(&name)
        && imp.items.len() == 1
        && matches!(&imp.items[0], syn::ImplItem::Fn(f) if f.sig.ident == "builder" && f.sig.inputs.is_empty())
}

fn module_items_mut<'f>(file: &'f mut syn::File, name: &str) -> Option<&'f mut Vec<syn::Item>> {
    file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_builders_bodies_use_and_drops_the_rest() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Body { pub name: String }
                pub struct Reply { pub id: String }
                impl Body { pub fn builder() -> builder::Body { Default::default() } }
                impl Reply { pub fn builder() -> builder::Reply { Default::default() } }
                impl Reply { pub fn other(&self) {} }
                pub mod builder {
                    pub struct Body { name: Result<String, String> }
                    impl Default for Body { fn default() -> Self { todo!() } }
                    impl Body { pub fn name(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Body> for super::Body { type Error = String; fn try_from(v: Body) -> Result<Self, String> { todo!() } }
                    impl ::std::convert::From<super::Body> for Body { fn from(v: super::Body) -> Self { todo!() } }
                    pub struct Reply { id: Result<String, String> }
                    impl Default for Reply { fn default() -> Self { todo!() } }
                    impl Reply { pub fn id(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Reply> for super::Reply { type Error = String; fn try_from(v: Reply) -> Result<Self, String> { todo!() } }
                    impl ::std::convert::From<super::Reply> for Reply { fn from(v: super::Reply) -> Self { todo!() } }
                }
            }
            pub mod builder {
                pub struct CreateThing<'a> { body: Result<types::builder::Body, String>, client: &'a () }
            }
        };
        assert_eq!(prune(&mut file), 1);
        let text = quote::quote!(#file).to_string();
        assert!(text.contains("pub struct Body { name"), "the body's builder stays");
        assert!(text.contains("for super :: Body"), "its conversions stay");
        assert!(!text.contains("pub struct Reply { id"), "an unused builder goes");
        assert!(
            !text.contains("for super :: Reply") && !text.contains("From < super :: Reply >"),
            "with its conversions"
        );
        assert!(!text.contains("fn builder () -> builder :: Reply"), "and its constructor");
        assert!(text.contains("fn builder () -> builder :: Body"));
        assert!(text.contains("fn other"), "other impls of the type stay");
        assert!(text.contains("pub struct Reply { pub id"), "the type stays");
    }
}
