//! `null` for an optional field reads as if the field were absent. typify types an optional array or map
//! (and other types with an empty default) as the bare type with `#[serde(default)]`, so a missing field
//! decodes as empty but a `null` one fails the whole response — while an optional scalar (`Option<T>`)
//! takes `null` as `None`. Such fields get `deserialize_with = "<runtime>::decode::null_as_absent"`:
//! `null` → the type's default. Required fields and fields with a spec default (`default = "…"`) are
//! left as they are. Rule `null-as-absent`.

use quote::ToTokens;

/// The rule's name in the lowering report.
pub const RULE: &str = "null-as-absent";

/// Adds the decoder to every qualifying field of the structs and struct-like enum variants in `items`;
/// returns how many fields changed.
pub fn apply(items: &mut [syn::Item], runtime: &syn::Path) -> usize {
    let with = format!("{}::decode::null_as_absent", runtime.to_token_stream()).replace(' ', "");
    let mut changed = 0;
    for item in items.iter_mut() {
        let fields: Vec<&mut syn::Field> = match item {
            syn::Item::Struct(s) if derives_deserialize(&s.attrs) => s.fields.iter_mut().collect(),
            syn::Item::Enum(e) if derives_deserialize(&e.attrs) => {
                e.variants.iter_mut().flat_map(|v| v.fields.iter_mut()).collect()
            }
            _ => continue,
        };
        for field in fields {
            if field.ident.is_some() && defaults_when_absent(&field.attrs) {
                field.attrs.push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
                changed += 1;
            }
        }
    }
    changed
}

fn derives_deserialize(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("derive")).any(|a| {
        a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .is_ok_and(|paths| paths.iter().any(|p| p.segments.last().is_some_and(|s| s.ident == "Deserialize")))
    })
}

/// A bare `#[serde(default)]` and no decoder or flattening of its own.
fn defaults_when_absent(attrs: &[syn::Attribute]) -> bool {
    let (mut bare_default, mut other) = (false, false);
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let parsed = attr.parse_nested_meta(|meta| {
            let has_value = meta.input.peek(syn::Token![=]);
            if has_value {
                meta.value()?.parse::<syn::Expr>()?;
            }
            if meta.path.is_ident("default") && !has_value {
                bare_default = true;
            } else if ["default", "deserialize_with", "with", "flatten"].iter().any(|k| meta.path.is_ident(k)) {
                other = true;
            }
            Ok(())
        });
        // An attribute this rule does not understand: leave the field alone.
        if parsed.is_err() {
            return false;
        }
    }
    bare_default && !other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: &str) -> (String, usize) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let runtime: syn::Path = syn::parse_str("crate").unwrap();
        let n = apply(&mut file.items, &runtime);
        (file.to_token_stream().to_string().replace(' ', ""), n)
    }

    #[test]
    fn optional_collections_get_the_decoder() {
        let (out, n) = run(r#"
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default)]
            pub struct A {
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub items: ::std::vec::Vec<B>,
                #[serde(default, skip_serializing_if = "::serde_json::Map::is_empty")]
                pub config: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                #[serde(default)]
                pub flag: bool,
            }
            #[derive(::serde::Deserialize)]
            pub enum E { V { #[serde(default)] xs: Vec<u8> }, W(#[serde(default)] Vec<u8>) }
        "#);
        assert_eq!(n, 4, "{out}");
        assert_eq!(out.matches(r#"#[serde(deserialize_with="crate::decode::null_as_absent")]"#).count(), 4, "{out}");
    }

    #[test]
    fn other_fields_are_left_alone() {
        let code = r#"
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub struct A {
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub a: ::std::option::Option<String>,
                pub required: Vec<String>,
                #[serde(deserialize_with = "::std::option::Option::deserialize")]
                pub nullable: ::std::option::Option<String>,
                #[serde(default = "defaults::a_take")]
                pub take: i64,
                #[serde(default, deserialize_with = "x")]
                pub own: Vec<u8>,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            }
            #[derive(Default)]
            pub struct NotSerde { #[serde(default)] pub x: Vec<u8> }
        "#;
        let (out, n) = run(code);
        assert_eq!(n, 0, "{out}");
        assert!(!out.contains("null_as_absent"), "{out}");
    }
}
