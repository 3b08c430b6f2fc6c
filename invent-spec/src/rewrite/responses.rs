//! By-status enums for operations that declare several success or error body types (progenitor types
//! one of each): `types::<Op>Success` / `types::<Op>Error`, one variant per declared status
//! (`Status200(T)`, `Status204`, `Status4xx(T)`, `Default(T)`), decoded by the status that arrived,
//! added to the `types` module.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote, ToTokens as _};
use serde_json::Value;

use super::ops::LoweredOp;
use crate::{names, SpecError};

const RULE: &str = "typed-responses";

/// One generated enum: its name and the item tokens.
pub struct ByStatus {
    pub name: String,
    pub tokens: TokenStream,
    /// The types its variants hold (for the response-reachability walk).
    pub members: Vec<String>,
}

/// The enum for `class` (`success` or `errors`) of `op`, if the lowering recorded one.
pub fn by_status(
    op: &LoweredOp,
    class: &str,
    types: &BTreeSet<String>,
    taken: &mut BTreeSet<String>,
    runtime: &syn::Path,
) -> Result<Option<ByStatus>, SpecError> {
    let Some(entries) = op.typed_responses.as_ref().and_then(|t| t.get(class)).and_then(Value::as_array) else {
        return Ok(None);
    };
    let suffix = if class == "success" { "Success" } else { "Error" };
    let base = format!("{}{suffix}", names::component_type(&op.id));
    let mut name = base.clone();
    let mut n = 2;
    while types.contains(&name) || !taken.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    let ident = format_ident!("{name}");

    let mut variants = Vec::new();
    let mut exact = Vec::new();
    let mut ranges = Vec::new();
    let mut fallback_json = Vec::new();
    let mut fallback_empty = None;
    let mut default_arm = None;
    let mut members = Vec::new();
    for entry in entries {
        let status = entry.get("status").and_then(Value::as_str).unwrap_or_default();
        let kind = entry.get("kind").and_then(Value::as_str).unwrap_or_default();
        let variant = match status {
            "default" => format_ident!("Default"),
            s => format_ident!("Status{}", s.to_ascii_lowercase()),
        };
        let doc = format!(
            "`{status}`{}",
            entry.get("description").and_then(Value::as_str).map(|d| format!(": {d}")).unwrap_or_default()
        );
        let mut serialize_with = None;
        let (field, decode) = match kind {
            "json" => {
                let key = entry
                    .get("schema")
                    .and_then(|s| s.get("$ref"))
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .ok_or_else(|| {
                        SpecError::new(op.pointer.clone(), RULE, format!("`{status}`: schema is not a component"))
                    })?;
                let ty = names::component_type(key);
                if !types.contains(&ty) {
                    return Err(SpecError::new(
                        op.pointer.clone(),
                        RULE,
                        format!("`{status}`: component `{key}` did not generate a type named `{ty}`"),
                    ));
                }
                members.push(ty.clone());
                let ty = format_ident!("{ty}");
                fallback_json
                    .push(quote!(if let Ok(v) = #runtime::decode::json_body(body) { return Ok(Self::#variant(v)); }));
                (quote!((#ty)), quote!(#runtime::decode::json_body(body).map(Self::#variant)))
            }
            "raw" => {
                // Serialized as bytes through the runtime, so `bytes` needs no `serde` feature (which
                // would compile it, and `http` above it, twice in every dependent's build).
                let with = format!("{}::decode::serialize_raw", runtime.to_token_stream()).replace(' ', "");
                serialize_with = Some(quote!(#[serde(serialize_with = #with)]));
                (quote!((::bytes::Bytes)), quote!(Ok(Self::#variant(body.clone()))))
            }
            _ => {
                fallback_empty.get_or_insert_with(|| quote!(if body.is_empty() { return Ok(Self::#variant); }));
                (quote!(), quote!(Ok(Self::#variant)))
            }
        };
        variants.push(quote!(#[doc = #doc] #serialize_with #variant #field,));
        match status.as_bytes() {
            b"default" => default_arm = Some(decode),
            [d, b'X' | b'x', b'X' | b'x'] => {
                let hundred = u16::from(d.saturating_sub(b'0'));
                ranges.push(quote!(#hundred => return #decode,));
            }
            _ => {
                let code: u16 = status.parse().map_err(|_| {
                    SpecError::new(op.pointer.clone(), RULE, format!("status `{status}` is not a code"))
                })?;
                exact.push(quote!(#code => return #decode,));
            }
        }
    }
    let default_arm = default_arm.map(|d| quote!(return #d;));
    let what = if class == "success" { "success" } else { "error" };
    let doc = format!(
        "The {what} bodies `{}` declares, by status. A status it does not declare is decoded as the first variant its body fits.",
        op.id
    );
    let tokens = quote! {
        #[doc = #doc]
        #[derive(Clone, Debug, ::serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum #ident { #(#variants)* }

        impl #runtime::ResponseBody for #ident {
            fn decode(status: u16, body: &::bytes::Bytes) -> ::std::result::Result<Self, ::serde_json::Error> {
                match status { #(#exact)* _ => {} }
                match status / 100 { #(#ranges)* _ => {} }
                #default_arm
                #fallback_empty
                #(#fallback_json)*
                #runtime::decode::json_body::<::serde_json::Value>(body)
                    .and_then(|_| Err(<::serde_json::Error as ::serde::de::Error>::custom(
                        ::std::format!("status {status}: the body matches none of the declared bodies"),
                    )))
            }
        }
    };
    Ok(Some(ByStatus { name, tokens, members }))
}
