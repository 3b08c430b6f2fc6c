//! The schema index `build.rs` writes from the spec with overrides (`invent_spec::drift::index`),
//! embedded under feature `drift` and parsed on a client's first sampled response: per operation its
//! declared statuses, media types and response schemas, and the schemas they point to.

use std::collections::HashMap;

use serde_json::Value;

/// The index text of the spec this crate was generated from.
pub(crate) const EMBEDDED: &str = include_str!(concat!(env!("OUT_DIR"), "/drift-index.json"));

/// The parsed index.
#[derive(Debug)]
pub(crate) struct SchemaIndex {
    /// The spec's response schemas, compiled for walking.
    pub(crate) schemas: super::walk::Compiled,
    operations: HashMap<String, OperationEntry>,
}

/// One operation as the spec declares its responses.
#[derive(Debug)]
pub(crate) struct OperationEntry {
    /// The spec's operationId.
    pub(crate) operation: String,
    pub(crate) method: String,
    /// The path as the spec writes it.
    pub(crate) path: String,
    /// `(status key as written: 200, 4XX, default; the response)`.
    responses: Vec<(String, Response)>,
}

/// One declared response.
#[derive(Debug)]
pub(crate) struct Response {
    /// Pointer of the response object in the spec.
    pub(crate) pointer: String,
    /// `(media type, pointer of its schema)`.
    content: Vec<(String, Option<String>)>,
}

impl SchemaIndex {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut root: Value = serde_json::from_str(text).map_err(|e| format!("the drift index is not JSON: {e}"))?;
        let document = root.get_mut("document").map(Value::take).ok_or("the drift index has no `document`")?;
        let mut operations = HashMap::new();
        for (key, op) in root.get("operations").and_then(Value::as_object).into_iter().flatten() {
            let text = |name: &str| op.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(status, response)| {
                    let content = response
                        .get("content")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(|(media, schema)| (media.clone(), schema.as_str().map(str::to_string)))
                        .collect();
                    let pointer = response.get("pointer").and_then(Value::as_str).unwrap_or_default().to_string();
                    (status.clone(), Response { pointer, content })
                })
                .collect();
            let entry =
                OperationEntry { operation: text("operation"), method: text("method"), path: text("path"), responses };
            operations.insert(key.clone(), entry);
        }
        Ok(SchemaIndex { schemas: super::walk::Compiled::new(&document), operations })
    }

    /// The operation `method` `template` (parameter names ignored).
    pub(crate) fn operation(&self, method: &str, template: &str) -> Option<&OperationEntry> {
        self.operations.get(&format!("{method} {}", path_shape(template)))
    }
}

impl OperationEntry {
    /// Pointer of the operation's `responses` in the spec.
    pub(crate) fn responses_pointer(&self) -> String {
        format!(
            "/paths/{}/{}/responses",
            self.path.replace('~', "~0").replace('/', "~1"),
            self.method.to_ascii_lowercase()
        )
    }

    /// The response declared for `status`: exact, then its range (`4XX`), then `default`.
    pub(crate) fn response(&self, status: u16) -> Option<&Response> {
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let find = |key: &str| self.responses.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, r)| r);
        find(&exact).or_else(|| find(&range)).or_else(|| find("default"))
    }
}

impl Response {
    /// The schema pointer declared for `media_type` (exact, `type/*`, `*/*`): `Some(None)` when declared
    /// without a schema, `None` when not declared.
    pub(crate) fn media(&self, media_type: &str) -> Option<Option<&str>> {
        let wildcard = media_type.split_once('/').map(|(t, _)| format!("{t}/*")).unwrap_or_default();
        let found = [media_type, wildcard.as_str(), "*/*"].into_iter().find_map(|wanted| {
            self.content.iter().find(|(m, _)| m.eq_ignore_ascii_case(wanted)).map(|(_, schema)| schema.as_deref())
        });
        found
    }
}

impl Response {
    /// The schema pointer of the first JSON media type declared with a schema.
    pub(crate) fn json_schema(&self) -> Option<&str> {
        self.content.iter().find_map(|(media, schema)| {
            let json = media.eq_ignore_ascii_case("application/json") || media.to_ascii_lowercase().ends_with("+json");
            schema.as_deref().filter(|_| json)
        })
    }
}

/// `/orgs/{org_id}/x` → `/orgs/{}/x`.
fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push('{');
            }
            '}' => {
                in_param = false;
                out.push('}');
            }
            _ if in_param => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_index_parses_and_names_every_generated_operation() {
        let index = SchemaIndex::parse(EMBEDDED).expect("the index build.rs wrote");
        for op in crate::operations() {
            let entry = index.operation(op.method.as_str(), op.template);
            assert!(entry.is_some(), "{} {} is not in the drift index", op.method, op.template);
        }
        let list = index.operation("GET", "/orgs/{org}/assistants").expect("parameter names do not matter");
        assert_eq!((list.operation.as_str(), list.path.as_str()), ("listAssistants", "/orgs/{org_id}/assistants"));
        let ok = list.response(200).expect("200 declared");
        assert!(ok.media("application/json").flatten().is_some());
        assert_eq!(list.response(503).map(|r| r.pointer.as_str()), Some("/components/responses/ServerError"), "5XX");
        assert!(list.response(302).is_none());
        assert!(SchemaIndex::parse("{").is_err());
        assert!(SchemaIndex::parse("{}").is_err());
    }
}
