//! Rule `list-take-readable`: the page size a caller set on a list builder (`.take(n)`) is a private
//! field progenitor writes; the generated `ListOperation::requested_take` (see `ext`) reads it, so a
//! stream of items keeps the caller's page size instead of replacing it. The field becomes visible to
//! the module above `builder` (where the extension code lives) and nowhere else.

/// The rule's name in the lowering report.
pub const RULE: &str = "list-take-readable";

/// Makes the `take` field of every builder that has both `page` and `take` visible to `super`.
/// Returns how many builders changed.
pub fn expose(builder_items: &mut [syn::Item]) -> usize {
    let mut changed = 0;
    for item in builder_items {
        let syn::Item::Struct(s) = item else { continue };
        let has = |name: &str| s.fields.iter().any(|f| f.ident.as_ref().is_some_and(|i| i == name));
        if !(has("page") && has("take")) {
            continue;
        }
        for field in s.fields.iter_mut() {
            if field.ident.as_ref().is_some_and(|i| i == "take") {
                field.vis = syn::parse_quote!(pub(super));
                changed += 1;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    #[test]
    fn only_the_take_of_paged_builders_is_exposed() {
        let file: syn::File = syn::parse_str(
            "pub struct ListX<'a> { client: &'a super::Client, page: Result<Option<u32>, String>, take: Result<Option<u32>, String> }
             pub struct GetX<'a> { client: &'a super::Client, take: Result<Option<u32>, String> }",
        )
        .unwrap();
        let mut items = file.items;
        assert_eq!(super::expose(&mut items), 1);
        let text: Vec<String> = items.iter().map(|i| i.to_token_stream().to_string()).collect();
        assert!(text[0].contains("pub (super) take"), "{}", text[0]);
        assert!(!text[0].contains("pub (super) page") && !text[1].contains("pub (super)"), "{text:?}");
    }
}
