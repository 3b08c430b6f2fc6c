//! Secrets never printed: a generated type's derived `Debug` prints every field, so a struct (or enum)
//! with a field named like a secret ([`is_secret_name`]: `password`, `secret`, `*_password`,
//! `*_secret`, `*_key`, `*_token`, by its Rust or its JSON name) gets a written `impl Debug` instead,
//! printing `<redacted>` for such a field (`Some(<redacted>)` / `None` for an `Option`) and the value,
//! as the derive would, for every other field. A field that can only hold a boolean
//! (`generate_secret_key`) holds no secret and is printed. Fail closed: a type with such a field that
//! this rule cannot rewrite (generic, or a derive it cannot read) stops generation. Applies to the
//! `types` module and the modules inside it (`types::builder`). Rule `redact-secrets`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;

use crate::SpecError;

/// The rule's name in the lowering report.
pub const RULE: &str = "redact-secrets";

/// Whether a field called `name` (snake_case or as the spec spells it) holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    // `apiKey` → `apikey`: camelCase suffixes count too.
    let exact = ["password", "secret", "passwd", "apikey", "api_key"];
    let suffixes = ["_password", "_secret", "_key", "_token", "secretkey", "apikey", "accesstoken", "refreshtoken"];
    exact.contains(&name.as_str()) || suffixes.iter().any(|suffix| name.ends_with(suffix))
}

/// Rewrites every type in `items` (and in modules inside it) that has a secret field; returns how
/// many fields are redacted.
pub fn apply(items: &mut Vec<syn::Item>) -> Result<usize, SpecError> {
    let mut redacted = 0;
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        match item {
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = m.content.as_mut() {
                    redacted += apply(inner)?;
                }
            }
            syn::Item::Struct(s) => {
                let secrets = secret_fields(s.fields.iter());
                if secrets == 0 || !take_debug_derive(&mut s.attrs, &s.ident)? {
                    continue;
                }
                refuse_generics(&s.generics, &s.ident)?;
                impls.push(struct_debug(s));
                redacted += secrets;
            }
            syn::Item::Enum(e) => {
                let secrets = secret_fields(e.variants.iter().flat_map(|v| v.fields.iter()));
                if secrets == 0 || !take_debug_derive(&mut e.attrs, &e.ident)? {
                    continue;
                }
                refuse_generics(&e.generics, &e.ident)?;
                impls.push(enum_debug(e));
                redacted += secrets;
            }
            _ => {}
        }
    }
    for tokens in impls {
        let item: syn::Item = syn::parse2(tokens.clone())
            .map_err(|e| SpecError::at_root(RULE, format!("generated `impl Debug` does not parse: {e}: {tokens}")))?;
        items.push(item);
    }
    Ok(redacted)
}

/// Named fields whose name is a secret's and whose type can hold more than a boolean.
fn secret_fields<'f>(fields: impl Iterator<Item = &'f syn::Field>) -> usize {
    fields.filter(|f| is_secret(f)).count()
}

fn is_secret(field: &syn::Field) -> bool {
    let Some(ident) = &field.ident else { return false };
    let named =
        is_secret_name(&ident.unraw().to_string()) || serde_rename(&field.attrs).is_some_and(|n| is_secret_name(&n));
    named && !only_bool(&field.ty)
}

/// The JSON name of a field (`#[serde(rename = "…")]`), if it has one.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut name = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.input.peek(syn::Token![=]) {
                let value = meta.value()?.parse::<syn::Expr>()?;
                if meta.path.is_ident("rename") {
                    if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = value {
                        name = Some(s.value());
                    }
                }
            } else if meta.input.peek(syn::token::Paren) {
                // `rename(serialize = "…", deserialize = "…")` and the like: read and skip.
                meta.parse_nested_meta(|inner| {
                    if inner.input.peek(syn::Token![=]) {
                        inner.value()?.parse::<syn::Expr>()?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        });
    }
    name
}

/// `bool`, possibly inside `Option`, `Result<_, _>` (the builders' fields) or `Box`.
fn only_bool(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else { return false };
    if last.ident == "bool" {
        return true;
    }
    if !["Option", "Result", "Box"].iter().any(|w| last.ident == w) {
        return false;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return false };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) => only_bool(inner),
        _ => false,
    }
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Option"))
}

/// Takes `Debug` out of the type's derives; `false` when it derives no `Debug` (nothing prints it).
fn take_debug_derive(attrs: &mut Vec<syn::Attribute>, name: &syn::Ident) -> Result<bool, SpecError> {
    let mut found = false;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !attr.path().is_ident("derive") {
            kept.push(attr);
            continue;
        }
        let paths = attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated).map_err(|e| {
            SpecError::at_root(RULE, format!("`{name}` has a secret field and a derive this rule cannot read: {e}"))
        })?;
        let before = paths.len();
        let rest: Vec<syn::Path> =
            paths.into_iter().filter(|p| p.segments.last().is_none_or(|s| s.ident != "Debug")).collect();
        found |= rest.len() != before;
        if !rest.is_empty() {
            kept.push(syn::parse_quote!(#[derive(#(#rest),*)]));
        }
    }
    *attrs = kept;
    Ok(found)
}

fn refuse_generics(generics: &syn::Generics, name: &syn::Ident) -> Result<(), SpecError> {
    if generics.params.is_empty() {
        return Ok(());
    }
    Err(SpecError::at_root(
        RULE,
        format!("`{name}` has a secret field and generic parameters, which this rule does not rewrite"),
    ))
}

/// `.field("name", value)` for one named field, `value` an expression of type `&T`.
fn field_call(field: &syn::Field, value: TokenStream) -> TokenStream {
    let Some(ident) = &field.ident else { return TokenStream::new() };
    let label = ident.unraw().to_string();
    if !is_secret(field) {
        return quote!(.field(#label, #value));
    }
    if is_option(&field.ty) {
        quote!(.field(#label, &(#value).as_ref().map(|_| format_args!("<redacted>"))))
    } else {
        quote!(.field(#label, &format_args!("<redacted>")))
    }
}

fn struct_debug(s: &syn::ItemStruct) -> TokenStream {
    let name = &s.ident;
    let label = name.unraw().to_string();
    let calls = s.fields.iter().map(|f| {
        let ident = &f.ident;
        field_call(f, quote!(&self.#ident))
    });
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#label) #(#calls)* .finish()
            }
        }
    }
}

fn enum_debug(e: &syn::ItemEnum) -> TokenStream {
    let name = &e.ident;
    let arms = e.variants.iter().map(|v| {
        let variant = &v.ident;
        let label = variant.unraw().to_string();
        match &v.fields {
            syn::Fields::Named(named) => {
                // A redacted field's value is not printed: bound as `_`, or the generated code warns.
                let bindings = named.named.iter().map(|f| {
                    let ident = &f.ident;
                    if is_secret(f) && !is_option(&f.ty) {
                        quote!(#ident: _)
                    } else {
                        quote!(#ident)
                    }
                });
                let calls = named.named.iter().map(|f| {
                    let ident = &f.ident;
                    field_call(f, quote!(#ident))
                });
                quote!(Self::#variant { #(#bindings),* } => f.debug_struct(#label) #(#calls)* .finish(),)
            }
            syn::Fields::Unnamed(unnamed) => {
                let bindings: Vec<_> = (0..unnamed.unnamed.len()).map(|i| format_ident!("field_{i}")).collect();
                quote!(Self::#variant(#(#bindings),*) => f.debug_tuple(#label) #(.field(#bindings))* .finish(),)
            }
            syn::Fields::Unit => quote!(Self::#variant => f.write_str(#label),),
        }
    });
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self { #(#arms)* }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn run(code: &str) -> Result<(String, usize), SpecError> {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let n = apply(&mut file.items)?;
        Ok((file.to_token_stream().to_string(), n))
    }

    #[test]
    fn secret_names() {
        for name in [
            "secret_key",
            "password",
            "secret",
            "client_secret",
            "api_key",
            "access_token",
            "apiKey",
            "refreshToken",
            "db_password",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["key", "input_tokens", "token_count", "keyboard", "secretive", "id", "name", "monkey"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn a_struct_with_a_secret_gets_a_written_debug() {
        let (out, n) = run(r#"
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct Assistant {
                pub id: String,
                #[serde(default, skip_serializing_if = "::std::option::Option::is_none")]
                pub secret_key: ::std::option::Option<::std::string::String>,
                #[serde(rename = "apiKey")]
                pub r#api: String,
                pub generate_secret_key: ::std::option::Option<bool>,
            }
            #[derive(Clone, Debug)]
            pub struct Plain { pub id: String }
        "#)
        .unwrap();
        assert_eq!(n, 2, "{out}");
        let compact = out.replace(' ', "");
        assert!(
            compact.contains("#[derive(::serde::Deserialize,::serde::Serialize,Clone)]pubstructAssistant"),
            "{out}"
        );
        assert!(
            compact.contains(r#".field("secret_key",&(&self.secret_key).as_ref().map(|_|format_args!("<redacted>")))"#),
            "{out}"
        );
        assert!(compact.contains(r#".field("api",&format_args!("<redacted>"))"#), "{out}");
        assert!(compact.contains(r#".field("generate_secret_key",&self.generate_secret_key)"#), "{out}");
        assert!(compact.contains("#[derive(Clone,Debug)]pubstructPlain"), "{out}");
        assert_eq!(compact.matches("impl::std::fmt::DebugforAssistant").count(), 1, "{out}");
    }

    #[test]
    fn nested_modules_and_enums_are_covered() {
        let (out, n) = run(r#"
            pub mod builder {
                #[derive(Clone, Debug)]
                pub struct Login { password: ::std::result::Result<String, String>, user: ::std::result::Result<String, String> }
            }
            #[derive(Debug, Clone)]
            pub enum Credential { Token { access_token: String, kind: String }, Session { refresh_token: Option<String> }, Other(String), None }
        "#)
        .unwrap();
        assert_eq!(n, 3, "{out}");
        let compact = out.replace(' ', "");
        assert!(compact.contains(r#".field("password",&format_args!("<redacted>"))"#), "{out}");
        // The redacted value is bound as `_` (it is not printed, and an unused binding warns).
        assert!(compact.contains(r#"Self::Token{access_token:_,kind}=>f.debug_struct("Token").field("access_token",&format_args!("<redacted>")).field("kind",kind).finish()"#), "{out}");
        // An optional one prints whether it is there, so it stays bound.
        assert!(compact.contains(r#"Self::Session{refresh_token}=>f.debug_struct("Session").field("refresh_token",&(refresh_token).as_ref().map(|_|format_args!("<redacted>"))).finish()"#), "{out}");
        assert!(compact.contains(r#"Self::Other(field_0)=>f.debug_tuple("Other").field(field_0).finish()"#), "{out}");
    }

    #[test]
    fn fails_closed() {
        let generic = run("#[derive(Debug)] pub struct S<T> { pub api_key: T }").unwrap_err();
        assert_eq!(generic.rule, RULE);
        assert!(generic.message.contains("generic"), "{generic}");
        let unreadable = run("#[derive(Debug = 1)] pub struct S { pub api_key: String }").unwrap_err();
        assert!(unreadable.message.contains("derive"), "{unreadable}");
        // Without a `Debug` nothing prints the secret: left alone.
        let (out, n) = run("#[derive(Clone)] pub struct S { pub api_key: String }").unwrap();
        assert_eq!(n, 0);
        assert!(!out.contains("impl"), "{out}");
    }
}
