//! progenitor's usage examples in generated doc comments (```` ```ignore ```` blocks calling a builder with
//! unbound variables) become ```` ```text ````: they illustrate and cannot compile, so as `ignore` doctests
//! `cargo test` would list them as ignored tests that were never run. Rule `doc-examples-as-text`.

use syn::visit_mut::VisitMut;

/// The rule's name in the lowering report.
pub const RULE: &str = "doc-examples-as-text";

/// Re-fences every ```` ```ignore ```` block in the doc attributes of `file`; returns how many changed.
pub fn apply(file: &mut syn::File) -> usize {
    let mut fence = Fence { changed: 0 };
    fence.visit_file_mut(file);
    fence.changed
}

struct Fence {
    changed: usize,
}

impl VisitMut for Fence {
    fn visit_attribute_mut(&mut self, attr: &mut syn::Attribute) {
        let syn::Meta::NameValue(nv) = &mut attr.meta else { return };
        if !nv.path.is_ident("doc") {
            return;
        }
        let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }) = &mut nv.value else { return };
        let (fenced, n) = refence(&text.value());
        if n > 0 {
            *text = syn::LitStr::new(&fenced, text.span());
            self.changed += n;
        }
    }
}

/// `doc` with each line that opens an `ignore` code block opening a `text` one instead, and how many.
fn refence(doc: &str) -> (String, usize) {
    let mut n = 0;
    let lines: Vec<String> = doc
        .split('\n')
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            match line.trim_start().strip_prefix("```ignore") {
                Some(rest) if rest.trim().is_empty() => {
                    n += 1;
                    format!("{indent}```text")
                }
                _ => line.to_string(),
            }
        })
        .collect();
    (lines.join("\n"), n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    #[test]
    fn ignore_blocks_become_text_and_nothing_else_changes() {
        let mut file: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Sends a `GET`\n\n```ignore\nlet r = client.get()\n    .send()\n    .await;\n```"]
                pub fn get(&self) {}
                #[doc = "Keeps ```rust and ```ignored_word and ``` as they are\n  ```ignore  \nx\n```"]
                pub fn other(&self) {}
                #[doc(hidden)]
                pub fn hidden(&self) {}
            }
        };
        assert_eq!(apply(&mut file), 2);
        let docs: Vec<String> = match &file.items[0] {
            syn::Item::Impl(imp) => imp
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::ImplItem::Fn(f) => f.attrs.first().map(|a| a.to_token_stream().to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(docs.len(), 3);
        assert!(docs[0].contains(r"\n\n```text\nlet r = client.get()"), "{}", docs[0]);
        assert!(!docs[0].contains("ignore"), "{}", docs[0]);
        assert!(
            docs[1].contains(r"Keeps ```rust and ```ignored_word and ``` as they are\n  ```text\nx"),
            "{}",
            docs[1]
        );
        assert_eq!(docs[2], "# [doc (hidden)]");
        assert_eq!(apply(&mut file), 0, "a second pass finds nothing left");
    }
}
