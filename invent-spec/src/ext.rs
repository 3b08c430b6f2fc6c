//! Renders the extension code the thin layer builds on, from the rewritten client: one `OperationSpec`
//! static per operation, the operation table, and `impl Operation` / `impl ListOperation` for every
//! builder. Built as tokens (`quote!`) from the `syn::Type`s the rewrite read off progenitor's output,
//! and formatted with prettyplease. Generated, never hand-edited.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::rewrite::{generic_args, Rewritten};
use crate::SpecError;

/// Rule name of a list operation whose page or take parameter has a type the generator cannot convert.
pub const LIST_RULE: &str = "list-operation";

/// One generated operation, as progenitor emitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationMeta {
    /// progenitor's snake_case id (`OperationInfo::operation_id`), also the `Client` method name.
    pub id: String,
    /// The builder struct in `builder::`.
    pub builder: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path as generated (org scope already inlined, e.g. `/orgs/c/assistants`).
    pub path: String,
    /// Path template as the spec writes it (e.g. `/orgs/{org_id}/assistants`).
    pub template: String,
    /// Whether the leading `orgs/{..}` segment was inlined, so the client's org applies.
    pub org_scoped: bool,
    /// `x-invent-quota`: the server-side quota the operation counts against, besides the per-IP limit.
    pub quota: Option<String>,
    /// Pointer to the operation in the lowered document.
    pub pointer: String,
    /// Success type inside `ResponseValue<..>`.
    pub output: syn::Type,
    /// Error body type inside `Error<..>`.
    pub error: syn::Type,
    /// Present when the operation takes `page` and `take` and returns an array.
    pub list: Option<ListMeta>,
}

/// What a list operation's `ListOperation` impl needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMeta {
    /// The array's item type.
    pub item: syn::Type,
    /// The type the `page` setter takes (the `T` of the builder's `Result<Option<T>, String>` field).
    pub page_type: syn::Type,
    /// The type the `take` setter takes.
    pub take_type: syn::Type,
}

/// Operation metadata from the rewritten client (see [`crate::rewrite`]). An operation with `page` and
/// `take` setters that returns an array is a list operation; one whose `page` or `take` field is not
/// progenitor's `Result<Option<T>, String>` is an error naming rule [`LIST_RULE`].
pub fn operations(rewritten: &[Rewritten]) -> Result<Vec<OperationMeta>, SpecError> {
    rewritten
        .iter()
        .map(|r| {
            let item = generic_args(&r.output, "Vec").and_then(|args| args.first().map(|t| (*t).clone()));
            let list = match (r.setters.contains("page"), r.setters.contains("take"), item) {
                (true, true, Some(item)) => {
                    let inner = |name: &str| {
                        r.fields.get(name).and_then(option_inner).ok_or_else(|| {
                            SpecError::new(
                                r.op.pointer.clone(),
                                LIST_RULE,
                                format!(
                                    "`{}`'s `{name}` field is not progenitor's `Result<Option<T>, String>`",
                                    r.builder
                                ),
                            )
                        })
                    };
                    Some(ListMeta { item, page_type: inner("page")?, take_type: inner("take")? })
                }
                _ => None,
            };
            Ok(OperationMeta {
                id: r.op.id.clone(),
                builder: r.builder.clone(),
                method: r.op.method.clone(),
                path: r.op.path.clone(),
                template: r.op.template.clone(),
                org_scoped: r.op.org_scoped,
                quota: r.op.quota.clone(),
                pointer: r.op.pointer.clone(),
                output: r.output.clone(),
                error: r.error.clone(),
                list,
            })
        })
        .collect()
}

/// Quota classes the runtime knows (`x-invent-quota` value → `Quota` variant).
const QUOTAS: &[(&str, &str)] = &[("assistant-creations", "AssistantCreations")];

/// Renders the extension code (included next to the generated client, in the same module): one
/// `OperationSpec` static per operation, the table of all of them, and the `Operation` /
/// `ListOperation` impls. `runtime` is the path of the hand-written crate (`crate`).
pub fn render(ops: &[OperationMeta], runtime: &str) -> Result<String, SpecError> {
    let runtime: syn::Path = syn::parse_str(runtime)
        .map_err(|e| SpecError::at_root("generated-send", format!("runtime path `{runtime}`: {e}")))?;
    let specs = ops.iter().map(|op| operation_spec(op, &runtime)).collect::<Result<Vec<_>, _>>()?;
    let konsts = ops.iter().map(spec_ident);
    let impls = ops.iter().map(|op| operation_impls(op, &runtime)).collect::<Result<Vec<_>, _>>()?;
    let tokens = quote! {
        #[doc = " One `OperationSpec` per operation: what the executor needs to send it."]
        pub(crate) mod op_specs {
            #(#specs)*
        }

        #[doc = " Every generated operation, in spec order."]
        pub(crate) static OPERATIONS: &[&#runtime::OperationSpec] = &[#(&op_specs::#konsts),*];

        #(#impls)*
    };
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| SpecError::at_root("generated-send", format!("the extension code does not parse: {e}")))?;
    Ok(format!(
        "// Generated by invent-spec from the lowered document and progenitor's output; do not edit.\n\n{}",
        prettyplease::unparse(&file)
    ))
}

fn spec_ident(op: &OperationMeta) -> syn::Ident {
    format_ident!("{}", op.id.to_uppercase())
}

/// `pub(crate) static LIST_X: OperationSpec = OperationSpec { … };`
fn operation_spec(op: &OperationMeta, runtime: &syn::Path) -> Result<TokenStream, SpecError> {
    let quota = match &op.quota {
        None => "Shared",
        Some(q) => QUOTAS.iter().find(|(k, _)| k == q).map(|(_, v)| *v).ok_or_else(|| {
            let known: Vec<&str> = QUOTAS.iter().map(|(k, _)| *k).collect();
            SpecError::new(
                format!("{}/x-invent-quota", op.pointer),
                "quota",
                format!("unknown quota `{q}` (known: {known:?})"),
            )
        })?,
    };
    let (konst, quota) = (spec_ident(op), format_ident!("{quota}"));
    let (id, template, org_scoped) = (&op.id, &op.template, op.org_scoped);
    let method = format_ident!("{}", op.method);
    Ok(quote! {
        pub(crate) static #konst: #runtime::OperationSpec = #runtime::OperationSpec {
            id: #id,
            method: ::reqwest::Method::#method,
            template: #template,
            org_scoped: #org_scoped,
            quota: #runtime::Quota::#quota,
        };
    })
}

/// `impl Operation` for the builder, and `impl ListOperation` for a list operation.
fn operation_impls(op: &OperationMeta, runtime: &syn::Path) -> Result<TokenStream, SpecError> {
    let builder = format_ident!("{}", op.builder);
    let (output, error, konst) = (&op.output, &op.error, spec_ident(op));
    let operation = quote! {
        impl<'a> #runtime::Operation for builder::#builder<'a> {
            type Output = #output;
            type ErrorBody = #error;
            const SPEC: &'static #runtime::OperationSpec = &op_specs::#konst;
            fn send(self) -> impl ::std::future::Future<
                Output = ::std::result::Result<ResponseValue<#output>, #runtime::Error>,
            > + Send {
                builder::#builder::send(self)
            }
        }
    };
    let Some(list) = &op.list else { return Ok(operation) };
    let unsupported = |name: &str, ty: &syn::Type| {
        SpecError::new(
            op.pointer.clone(),
            LIST_RULE,
            format!("the `{name}` parameter of `{}` is typed `{}`: not a number the pager can set", op.id, quote!(#ty)),
        )
    };
    let page = convert(quote!(page), &list.page_type).ok_or_else(|| unsupported("page", &list.page_type))?;
    let take = convert(quote!(take), &list.take_type).ok_or_else(|| unsupported("take", &list.take_type))?;
    let read = read_take(&list.take_type).ok_or_else(|| unsupported("take", &list.take_type))?;
    let item = &list.item;
    Ok(quote! {
        #operation
        impl<'a> #runtime::ListOperation for builder::#builder<'a> {
            type Item = #item;
            fn with_page(self, page: u32, take: u32) -> Self {
                let (page, take) = (u64::from(page), u64::from(take));
                self.page(#page).take(#take)
            }
            fn requested_take(&self) -> ::std::option::Option<u32> {
                match &self.take {
                    ::std::result::Result::Ok(::std::option::Option::Some(take)) => #read,
                    _ => ::std::option::Option::None,
                }
            }
        }
    })
}

/// The number types progenitor gives `page` and `take` setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Number {
    /// `f64`, `f32`.
    Float,
    /// A primitive integer.
    Integer,
    /// `::std::num::NonZeroU64` and the like.
    NonZero,
}

/// The number kind of `ty`, read from its path; `None` for anything else.
fn number(ty: &syn::Type) -> Option<Number> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if p.qself.is_some() || !last.arguments.is_none() {
        return None;
    }
    let name = last.ident.to_string();
    let primitive = p.path.segments.len() == 1 && p.path.leading_colon.is_none();
    match name.as_str() {
        "f64" | "f32" if primitive => Some(Number::Float),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128" | "isize"
            if primitive =>
        {
            Some(Number::Integer)
        }
        _ if name.starts_with("NonZero") => Some(Number::NonZero),
        _ => None,
    }
}

/// Expression reading the builder's `take` (a `&T` named `take`, `T` the setter's type) as a `u32`
/// page size: `None` when it is not a whole number that fits.
fn read_take(ty: &syn::Type) -> Option<TokenStream> {
    Some(match number(ty)? {
        Number::Float => quote! {
            (take.fract() == 0.0 && *take >= 0.0 && f64::from(*take) <= f64::from(u32::MAX)).then(|| *take as u32)
        },
        Number::NonZero => quote!(u32::try_from(take.get()).ok()),
        Number::Integer => quote!(u32::try_from(*take).ok()),
    })
}

/// Expression converting the `u64` variable `var` to the setter's parameter type. NonZero* and the
/// integer types implement `TryFrom<u64>`, and the builder's `TryInto` does the rest.
fn convert(var: TokenStream, ty: &syn::Type) -> Option<TokenStream> {
    Some(match number(ty)? {
        Number::Float => quote!(#var as #ty),
        Number::Integer | Number::NonZero => var,
    })
}

/// `Result<Option<T>, String>` → `T`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let result = generic_args(ty, "Result")?;
    let option = generic_args(result.first()?, "Option")?;
    option.first().map(|t| (*t).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(tokens: Option<TokenStream>) -> Option<String> {
        tokens.map(|t| t.to_string())
    }

    #[test]
    fn numbers_are_read_from_the_type_and_anything_else_is_refused() {
        let ty = |s: &str| -> syn::Type { syn::parse_str(s).unwrap() };
        assert_eq!(text(convert(quote!(page), &ty("f64"))).as_deref(), Some("page as f64"));
        assert_eq!(text(convert(quote!(page), &ty("u32"))).as_deref(), Some("page"));
        assert_eq!(text(read_take(&ty("u32"))).as_deref(), Some("u32 :: try_from (* take) . ok ()"));
        assert_eq!(
            text(read_take(&ty("::std::num::NonZeroU64"))).as_deref(),
            Some("u32 :: try_from (take . get ()) . ok ()")
        );
        assert!(text(read_take(&ty("f32"))).unwrap_or_default().contains("fract"));
        for other in ["::std::string::String", "types::Page", "Vec<u32>", "::u32", "(u32, u32)"] {
            assert_eq!(number(&ty(other)), None, "{other}");
            assert!(read_take(&ty(other)).is_none() && convert(quote!(take), &ty(other)).is_none(), "{other}");
        }
    }

    #[test]
    fn option_inner_unwraps_progenitors_builder_fields() {
        let ty: syn::Type = syn::parse_str("Result<Option<u32>, String>").unwrap();
        assert_eq!(option_inner(&ty), Some(syn::parse_str("u32").unwrap()));
        assert_eq!(option_inner(&syn::parse_str("Result<u32, String>").unwrap()), None);
    }

    fn meta(list: Option<ListMeta>) -> OperationMeta {
        OperationMeta {
            id: "list_assistants".into(),
            builder: "ListAssistants".into(),
            method: "GET".into(),
            path: "/orgs/c/assistants".into(),
            template: "/orgs/{org_id}/assistants".into(),
            org_scoped: true,
            quota: None,
            pointer: "/paths/~1orgs~1{org_id}~1assistants/get".into(),
            output: syn::parse_str("::std::vec::Vec<types::Assistant>").unwrap(),
            error: syn::parse_str("types::ErrorBody").unwrap(),
            list,
        }
    }

    #[test]
    fn the_rendered_code_is_formatted_rust() {
        let list = ListMeta {
            item: syn::parse_str("types::Assistant").unwrap(),
            page_type: syn::parse_str("f64").unwrap(),
            take_type: syn::parse_str("::std::num::NonZeroU64").unwrap(),
        };
        let code = render(&[meta(Some(list))], "crate").unwrap();
        for line in [
            "    type Output = ::std::vec::Vec<types::Assistant>;",
            "        self.page(page as f64).take(take)",
            "pub(crate) static OPERATIONS: &[&crate::OperationSpec] = &[&op_specs::LIST_ASSISTANTS];",
        ] {
            assert!(code.lines().any(|l| l == line), "no line `{line}` in:\n{code}");
        }
    }

    #[test]
    fn a_page_type_the_pager_cannot_set_is_an_error_naming_the_rule() {
        let list = ListMeta {
            item: syn::parse_str("types::Assistant").unwrap(),
            page_type: syn::parse_str("::std::string::String").unwrap(),
            take_type: syn::parse_str("u32").unwrap(),
        };
        let err = render(&[meta(Some(list))], "crate").unwrap_err();
        assert_eq!(err.rule, LIST_RULE);
        assert!(err.message.contains("`page`"), "{}", err.message);
    }
}
