//! Rust names exactly as progenitor 0.15.1 and typify 0.8.0 derive them from the document, so generated
//! extension code can name what they emitted (operation ids → `Client` methods, component keys → types).

use heck::{ToPascalCase, ToSnakeCase};
use unicode_ident::{is_xid_continue, is_xid_start};

/// progenitor's name for an operation: `getAssistant` → `get_assistant` (its `sanitize(_, Snake)`).
pub fn operation_method(operation_id: &str) -> String {
    let cased = clean(operation_id).to_snake_case();
    let cased = match cased.chars().next() {
        None => "x".to_string(),
        Some(c) if is_xid_start(c) => cased,
        Some(_) => format!("_{cased}"),
    };
    keyword_safe(cased)
}

/// typify's name for the component schema `key`: `HTTPValidationError` → `HttpValidationError`.
pub fn component_type(key: &str) -> String {
    let cased = match key {
        "+1" => "plus1".to_string(),
        "-1" => "minus1".to_string(),
        _ => clean(key).to_pascal_case(),
    };
    let cased = match cased.chars().next() {
        None => "X".to_string(),
        Some(c) if is_xid_start(c) => cased,
        Some(_) => format!("X{cased}"),
    };
    keyword_safe(cased)
}

fn clean(input: &str) -> String {
    input.replace('\'', "").replace(|c: char| !is_xid_continue(c), "-")
}

/// typify's `accept_as_ident`: keywords (and `_`) get a trailing underscore.
fn keyword_safe(name: String) -> String {
    const KEYWORDS: &[&str] = &[
        "_", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
        "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
        "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "Self", "self", "static", "struct",
        "super", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while",
        "yield",
    ];
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_progenitor_and_typify() {
        assert_eq!(operation_method("getAssistant"), "get_assistant");
        assert_eq!(operation_method("list-org.chats"), "list_org_chats");
        assert_eq!(operation_method("2fa"), "_2fa");
        assert_eq!(operation_method("type"), "type_");
        assert_eq!(component_type("HTTPValidationError"), "HttpValidationError");
        assert_eq!(component_type("assistant_v2"), "AssistantV2");
        assert_eq!(component_type("CreateFoo422Response"), "CreateFoo422Response");
        assert_eq!(component_type("1thing"), "X1thing");
    }
}
