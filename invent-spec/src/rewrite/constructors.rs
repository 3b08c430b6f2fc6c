//! Rule `constructors-hidden`: progenitor gives `Client` two public constructors, `new(baseurl, inner)`
//! and `new_with_client(baseurl, client, inner)`. With the crate's own inner type they cannot be called
//! from outside (the inner state is built only by the runtime's client builder), so they are marked
//! `#[doc(hidden)]`: still there for the runtime, no longer offered in the rendered docs.

/// The rule's name in the lowering report.
pub const RULE: &str = "constructors-hidden";

/// Marks `Client::new` and `Client::new_with_client` `#[doc(hidden)]`. Returns how many it marked;
/// an error when progenitor emitted neither (its output changed shape: fail instead of showing them).
pub fn hide(file: &mut syn::File) -> Result<usize, crate::SpecError> {
    let mut hidden = 0;
    for item in &mut file.items {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || super::type_name(&imp.self_ty).as_deref() != Some("Client") {
            continue;
        }
        for member in &mut imp.items {
            let syn::ImplItem::Fn(f) = member else { continue };
            if f.sig.ident != "new" && f.sig.ident != "new_with_client" {
                continue;
            }
            if !f.attrs.iter().any(is_doc_hidden) {
                f.attrs.push(syn::parse_quote!(#[doc(hidden)]));
            }
            hidden += 1;
        }
    }
    if hidden == 0 {
        return Err(crate::SpecError::at_root(
            RULE,
            "progenitor emitted no `Client::new` or `Client::new_with_client`",
        ));
    }
    Ok(hidden)
}

fn is_doc_hidden(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("doc") && attr.parse_args::<syn::Ident>().is_ok_and(|arg| arg == "hidden")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_file() -> syn::File {
        syn::parse_quote! {
            pub struct Client { inner: crate::Inner }
            impl Client {
                /// Create a new client.
                pub fn new(baseurl: &str, inner: crate::Inner) -> Self { todo!() }
                pub fn new_with_client(baseurl: &str, client: reqwest::Client, inner: crate::Inner) -> Self { todo!() }
                pub fn baseurl(&self) -> &str { todo!() }
            }
            impl Client {
                pub fn list_assistants(&self) -> builder::ListAssistants<'_> { todo!() }
            }
            pub struct Other;
            impl Other {
                pub fn new() -> Self { Other }
            }
        }
    }

    fn hidden_fns(file: &syn::File) -> Vec<String> {
        let mut names = Vec::new();
        for item in &file.items {
            let syn::Item::Impl(imp) = item else { continue };
            let owner = super::super::type_name(&imp.self_ty).unwrap_or_default();
            for member in &imp.items {
                if let syn::ImplItem::Fn(f) = member {
                    if f.attrs.iter().any(is_doc_hidden) {
                        names.push(format!("{owner}::{}", f.sig.ident));
                    }
                }
            }
        }
        names
    }

    #[test]
    fn hides_exactly_the_two_client_constructors() {
        let mut file = client_file();
        assert_eq!(hide(&mut file).ok(), Some(2));
        assert_eq!(hidden_fns(&file), ["Client::new", "Client::new_with_client"]);
        // The doc comment stays; rendered, the attribute is `#[doc(hidden)]`.
        let printed = prettyplease::unparse(&file);
        assert!(printed.contains("/// Create a new client.\n    #[doc(hidden)]\n    pub fn new("), "{printed}");
    }

    #[test]
    fn running_twice_adds_no_second_attribute() {
        let mut file = client_file();
        assert_eq!(hide(&mut file).ok(), Some(2));
        assert_eq!(hide(&mut file).ok(), Some(2));
        assert_eq!(prettyplease::unparse(&file).matches("#[doc(hidden)]").count(), 2);
    }

    #[test]
    fn fails_when_progenitor_emitted_no_constructor() {
        let mut file: syn::File = syn::parse_quote! {
            pub struct Client;
            impl Client { pub fn baseurl(&self) -> &str { todo!() } }
        };
        let err = hide(&mut file).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(RULE) && err.contains("Client::new"), "{err}");
    }
}
