//! Pointers into the *original* documents: the comparison runs on lowered copies, and every change is
//! reported at the place a reader of the input file would look (following its `$ref`s, `allOf`s and
//! 3.1 nullable unions). Best effort: when a step cannot be followed, the deepest pointer found is used.

use serde_json::Value;

use super::Doc;
use crate::lower::walk;
use crate::pointer::join;

/// What part of an operation a change is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Operation,
    /// A parameter; `schema`: its schema (for schema-level changes) rather than the parameter object.
    Param {
        name: String,
        location: String,
        schema: bool,
    },
    RequestBody {
        media: Option<String>,
    },
    Response {
        status: String,
        media: Option<String>,
    },
}

/// One step from a schema into a subschema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Property(String),
    Items,
    Additional,
    /// A `oneOf`/`anyOf` branch: its label and its index among the non-null branches of each side.
    Variant {
        label: String,
        old: usize,
        new: usize,
    },
}

/// `a.b[].c{*}<Label>`: the field a change is about, relative to the body or parameter.
pub(super) fn field(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Property(n) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(n);
            }
            Step::Items => out.push_str("[]"),
            Step::Additional => out.push_str("{*}"),
            Step::Variant { label, .. } => {
                out.push('<');
                out.push_str(label);
                out.push('>');
            }
        }
    }
    out
}

const MAX_HOPS: usize = 64;
const MAX_NESTING: usize = 16;

/// Follows local `$ref`s from `(ptr, v)`; the pointer becomes the target's.
fn deref<'a>(doc: &'a Value, mut ptr: String, mut v: &'a Value) -> (String, &'a Value) {
    for _ in 0..MAX_HOPS {
        let Some(tokens) = walk::ref_of(v).and_then(walk::parse_local_ref) else { break };
        let Some(target) = walk::get(doc, &tokens) else { break };
        ptr = walk::to_pointer(&tokens);
        v = target;
    }
    (ptr, v)
}

/// The pointer of an operation, or of a part of it, or of a field below that part.
pub(super) fn pointer(doc: &Value, path: &str, method: &str, part: &Part, steps: &[Step], side: Doc) -> String {
    let fallback = join(&join("/paths", path), method);
    let Some(item) = doc.get("paths").and_then(|p| p.get(path)) else { return fallback };
    let (item_ptr, item) = deref(doc, join("/paths", path), item);
    let op_ptr = join(&item_ptr, method);
    let Some(op) = item.get(method) else { return fallback };
    let start = match part {
        Part::Operation => return op_ptr,
        Part::Param { name, location, schema } => {
            find_param(doc, &op_ptr, op, &item_ptr, item, name, location, *schema)
        }
        Part::RequestBody { media } => op.get("requestBody").map(|b| {
            let (p, b) = deref(doc, join(&op_ptr, "requestBody"), b);
            with_media(p, b, media.as_deref())
        }),
        Part::Response { status, media } => op.get("responses").and_then(|rs| {
            let key = if rs.get(status).is_some() { status.as_str() } else { "default" };
            rs.get(key).map(|r| {
                let (p, r) = deref(doc, join(&join(&op_ptr, "responses"), key), r);
                with_media(p, r, media.as_deref())
            })
        }),
    };
    let Some((mut ptr, mut schema)) = start else { return op_ptr };
    for step in steps {
        match find_child(doc, &ptr, schema, step, side, 0) {
            Some((p, s)) => {
                ptr = p;
                schema = s;
            }
            None => break,
        }
    }
    ptr
}

#[allow(clippy::too_many_arguments)]
fn find_param<'a>(
    doc: &'a Value,
    op_ptr: &str,
    op: &'a Value,
    item_ptr: &str,
    item: &'a Value,
    name: &str,
    location: &str,
    want_schema: bool,
) -> Option<(String, &'a Value)> {
    for (base, owner) in [(op_ptr, op), (item_ptr, item)] {
        let Some(list) = owner.get("parameters").and_then(Value::as_array) else { continue };
        for (i, p) in list.iter().enumerate() {
            let (pp, pv) = deref(doc, join(&join(base, "parameters"), &i.to_string()), p);
            let same = pv.get("name").and_then(Value::as_str) == Some(name)
                && pv.get("in").and_then(Value::as_str) == Some(location);
            if !same {
                continue;
            }
            if !want_schema {
                return Some((pp, pv));
            }
            if let Some(s) = pv.get("schema") {
                return Some((join(&pp, "schema"), s));
            }
            if let Some((m, c)) = pv.get("content").and_then(Value::as_object).and_then(|c| c.iter().next()) {
                if let Some(s) = c.get("schema") {
                    return Some((join(&join(&join(&pp, "content"), m), "schema"), s));
                }
            }
            return Some((pp, pv));
        }
    }
    None
}

/// `…/content/<media>/schema` of a request body or response; the lowering renames JSON-ish media types
/// to `application/json`, so an unknown media type falls back to the first JSON-ish one, then the first.
fn with_media<'a>(ptr: String, v: &'a Value, media: Option<&str>) -> (String, &'a Value) {
    let Some(media) = media else { return (ptr, v) };
    let Some(content) = v.get("content").and_then(Value::as_object) else { return (ptr, v) };
    let key = if content.contains_key(media) {
        Some(media.to_string())
    } else {
        content.keys().find(|k| k.contains("json")).or_else(|| content.keys().next()).cloned()
    };
    let Some(key) = key else { return (ptr, v) };
    let mt_ptr = join(&join(&ptr, "content"), &key);
    match content.get(&key).and_then(|mt| mt.get("schema")) {
        Some(s) => (join(&mt_ptr, "schema"), s),
        None => (mt_ptr, v),
    }
}

fn is_null_branch(v: &Value) -> bool {
    match v.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t == "null"),
        _ => matches!(v.get("enum").and_then(Value::as_array).map(Vec::as_slice), Some([Value::Null])),
    }
}

fn find_child<'a>(
    doc: &'a Value,
    ptr: &str,
    schema: &'a Value,
    step: &Step,
    side: Doc,
    depth: usize,
) -> Option<(String, &'a Value)> {
    if depth > MAX_NESTING {
        return None;
    }
    let (ptr, s) = deref(doc, ptr.to_string(), schema);
    let obj = s.as_object()?;
    match step {
        Step::Property(name) => {
            if let Some(p) = obj.get("properties").and_then(|p| p.get(name)) {
                return Some((join(&join(&ptr, "properties"), name), p));
            }
        }
        Step::Items => {
            if let Some(it) = obj.get("items").filter(|v| v.is_object()) {
                return Some((join(&ptr, "items"), it));
            }
        }
        Step::Additional => {
            if let Some(ap) = obj.get("additionalProperties").filter(|v| v.is_object()) {
                return Some((join(&ptr, "additionalProperties"), ap));
            }
        }
        Step::Variant { old, new, .. } => {
            let want = if side == Doc::Old { *old } else { *new };
            for kw in ["oneOf", "anyOf"] {
                let Some(list) = obj.get(kw).and_then(Value::as_array) else { continue };
                let branches: Vec<(usize, &Value)> =
                    list.iter().enumerate().filter(|(_, b)| !is_null_branch(b)).collect();
                if branches.len() > 1 {
                    if let Some((i, b)) = branches.get(want) {
                        return Some((join(&join(&ptr, kw), &i.to_string()), b));
                    }
                }
            }
        }
    }
    for kw in ["allOf", "anyOf", "oneOf"] {
        let Some(list) = obj.get(kw).and_then(Value::as_array) else { continue };
        for (i, sub) in list.iter().enumerate() {
            let sub_ptr = join(&join(&ptr, kw), &i.to_string());
            if let Some(found) = find_child(doc, &sub_ptr, sub, step, side, depth + 1) {
                return Some(found);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn follows_refs_nullable_unions_and_all_of_into_the_original() {
        let doc = json!({
            "paths": {"/a/{id}": {"get": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}
            }}},
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}},
                "schemas": {
                    "A": {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"tags": {"type": "array", "items": {"type": "string"}}}}]},
                    "Base": {"properties": {"b": {"anyOf": [{"$ref": "#/components/schemas/B"}, {"type": "null"}]}}},
                    "B": {"type": "object", "properties": {"c": {"type": ["string", "null"]}}}
                }
            }
        });
        let resp = Part::Response { status: "200".into(), media: Some("application/json".into()) };
        let steps = [Step::Property("b".into()), Step::Property("c".into())];
        assert_eq!(pointer(&doc, "/a/{id}", "get", &resp, &steps, Doc::New), "/components/schemas/B/properties/c");
        let steps = [Step::Property("tags".into()), Step::Items];
        assert_eq!(
            pointer(&doc, "/a/{id}", "get", &resp, &steps, Doc::New),
            "/components/schemas/A/allOf/1/properties/tags/items"
        );
        let param = Part::Param { name: "id".into(), location: "path".into(), schema: true };
        assert_eq!(pointer(&doc, "/a/{id}", "get", &param, &[], Doc::Old), "/components/parameters/Id/schema");
        let param = Part::Param { name: "id".into(), location: "path".into(), schema: false };
        assert_eq!(pointer(&doc, "/a/{id}", "get", &param, &[], Doc::Old), "/components/parameters/Id");
        assert_eq!(pointer(&doc, "/nope", "get", &Part::Operation, &[], Doc::Old), "/paths/~1nope/get");
        assert_eq!(field(&[Step::Property("a".into()), Step::Items, Step::Property("b".into())]), "a[].b");
    }
}
