//! Walking an OpenAPI document: JSON pointers and `$ref` resolution, every place a schema can sit, the
//! subschemas of a schema, and small inspection helpers. Every lowering rule goes through these; none
//! keeps its own traversal.

use serde_json::{Map, Value};

use crate::pointer::join;
use crate::SpecError;

/// HTTP methods of a path item, in the order progenitor walks them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Deepest nesting (JSON levels) the lowering accepts; deeper documents are refused with a
/// [`SpecError`] (rule `max-depth`) instead of risking a stack overflow.
pub const MAX_DEPTH: usize = 256;

/// Longest `$ref` chain followed before giving up (a cycle of references is reported, not looped on).
pub const MAX_REF_HOPS: usize = 64;

pub type Result<T> = std::result::Result<T, SpecError>;

/// Undoes RFC 6901 escaping of one token (`~1` → `/`, then `~0` → `~`).
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits an RFC 6901 pointer (`""` or `/a/b`) into unescaped tokens.
pub fn parse_pointer(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(rest.split('/').map(unescape).collect())
}

/// Builds a pointer from unescaped tokens.
pub fn to_pointer(tokens: &[String]) -> String {
    tokens.iter().fold(String::new(), |acc, t| join(&acc, t))
}

/// Decodes `%XX` escapes of a URI fragment (invalid escapes are kept as written).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The tokens of a local reference (`#/a/b`, percent-decoded); `None` for external references and for
/// fragments that are not JSON pointers (anchors such as `#foo`).
pub fn parse_local_ref(reference: &str) -> Option<Vec<String>> {
    let fragment = reference.strip_prefix('#')?;
    parse_pointer(&percent_decode(fragment))
}

/// The value at `tokens` below `root`.
pub fn get<'a>(root: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    tokens.iter().try_fold(root, |v, t| match v {
        Value::Object(m) => m.get(t.as_str()),
        Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// Mutable access to the value at `tokens` below `root`.
pub fn get_mut<'a>(root: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    tokens.iter().try_fold(root, |v, t| match v {
        Value::Object(m) => m.get_mut(t.as_str()),
        Value::Array(a) => t.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
        _ => None,
    })
}

/// Resolves a local `$ref` string against the document.
pub fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    get(root, &parse_local_ref(reference)?)
}

/// The `$ref` of an object, when it is a string.
pub fn ref_of(v: &Value) -> Option<&str> {
    v.get("$ref").and_then(Value::as_str)
}

/// The component name of a canonical schema reference `#/components/schemas/<name>`.
pub fn component_name(reference: &str) -> Option<String> {
    match parse_local_ref(reference)?.as_slice() {
        [c, s, name] if c == "components" && s == "schemas" => Some(name.clone()),
        _ => None,
    }
}

/// `#/components/schemas/<name>` for a (safe) component name.
pub fn component_ref(name: &str) -> String {
    format!("#/components/schemas/{}", crate::pointer::escape(name))
}

/// Follows `$ref` chains through `components.schemas` (and `allOf: [single]` wrappers) to the schema
/// that says what a value is; also reports whether any schema on the way was `nullable`. Stops after
/// [`MAX_REF_HOPS`] (a reference cycle), returning the last object reached.
pub fn deref_schema<'a>(schemas: Option<&'a Map<String, Value>>, schema: &'a Value) -> (&'a Value, bool) {
    let mut cur = schema;
    let mut nullable = false;
    for _ in 0..MAX_REF_HOPS {
        nullable |= cur.get("nullable").and_then(Value::as_bool).unwrap_or(false);
        if let Some(r) = ref_of(cur) {
            match component_name(r).and_then(|n| schemas?.get(&n)) {
                Some(next) => cur = next,
                None => return (cur, nullable),
            }
        } else if let Some([only]) = cur.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            cur = only;
        } else {
            return (cur, nullable);
        }
    }
    (cur, nullable)
}

/// What a schema (after lowering) makes typify generate, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// `anyOf`/`oneOf`/`not`, or a multi-type schema.
    Union,
    /// No constraint at all (`{}`), or only a `null` schema.
    Any,
}

/// The [`Shape`] of a schema, following references; `nullable` is reported separately.
pub fn shape(schemas: Option<&Map<String, Value>>, schema: &Value) -> (Shape, bool) {
    shape_at(schemas, schema, &mut { SHAPE_BUDGET })
}

/// How many schemas one [`shape`] call may look at through nested `allOf`s (bounds the work on
/// reference cycles and wide self-referencing `allOf`s).
const SHAPE_BUDGET: usize = 256;

fn shape_at(schemas: Option<&Map<String, Value>>, schema: &Value, budget: &mut usize) -> (Shape, bool) {
    let (s, nullable) = deref_schema(schemas, schema);
    let shape = match s.get("type").and_then(Value::as_str) {
        Some("string") => Shape::String,
        Some("integer") => Shape::Integer,
        Some("number") => Shape::Number,
        Some("boolean") => Shape::Boolean,
        Some("array") => Shape::Array,
        Some("object") => Shape::Object,
        _ if ["anyOf", "oneOf", "not"].iter().any(|k| s.get(*k).is_some()) => Shape::Union,
        _ if s.get("properties").is_some() || s.get("additionalProperties").is_some() => Shape::Object,
        _ if s.get("items").is_some() => Shape::Array,
        _ if s.get("allOf").is_some() => all_of_shape(schemas, s, budget),
        _ => match s.get("enum").and_then(Value::as_array) {
            Some(values) if !values.is_empty() && values.iter().all(|v| v.is_string() || v.is_null()) => Shape::String,
            _ => Shape::Any,
        },
    };
    (shape, nullable)
}

/// An `allOf` is what its members agree on when they are all one scalar or array shape, ignoring
/// members that only annotate (`allOf: [{$ref: Currency}, {example: USD}]` is a string); anything else
/// is treated as an object, since typify merges it into a struct.
fn all_of_shape(schemas: Option<&Map<String, Value>>, s: &Value, budget: &mut usize) -> Shape {
    let Some(members) = s.get("allOf").and_then(Value::as_array) else { return Shape::Object };
    let mut agreed: Option<Shape> = None;
    for m in members {
        if *budget == 0 {
            return Shape::Object;
        }
        *budget -= 1;
        match shape_at(schemas, m, budget).0 {
            Shape::Any => {}
            found if agreed.is_none_or(|a| a == found) => agreed = Some(found),
            _ => return Shape::Object,
        }
    }
    match agreed {
        Some(shape @ (Shape::String | Shape::Integer | Shape::Number | Shape::Boolean | Shape::Array)) => shape,
        _ => Shape::Object,
    }
}

/// Refuses documents nested deeper than `max` levels (iteratively, so the check itself cannot overflow).
pub fn check_depth(doc: &Value, max: usize) -> Result<()> {
    let mut stack: Vec<(&Value, usize, Vec<&str>)> = vec![(doc, 0, Vec::new())];
    while let Some((v, depth, path)) = stack.pop() {
        if depth > max {
            let tokens: Vec<String> = path.iter().map(|s| s.to_string()).collect();
            return Err(SpecError::new(
                to_pointer(&tokens),
                "max-depth",
                format!("the document nests deeper than {max} levels"),
            ));
        }
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if child.is_object() || child.is_array() {
                        let mut p = path.clone();
                        p.push(k.as_str());
                        stack.push((child, depth + 1, p));
                    }
                }
            }
            Value::Array(a) => {
                for child in a {
                    if child.is_object() || child.is_array() {
                        // Array indices are not kept in the path (they would need owned strings);
                        // the pointer names the enclosing member, which is enough to find the spot.
                        stack.push((child, depth + 1, path.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Keywords whose value is a single subschema.
const SINGLE: [&str; 11] = [
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "contains",
    "unevaluatedItems",
    "unevaluatedProperties",
    "additionalItems",
];
/// Keywords whose value is an array of subschemas.
const LISTS: [&str; 5] = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
/// Keywords whose value is a map of subschemas.
const MAPS: [&str; 6] = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"];

/// Whether the value of a single-subschema keyword is visited as a schema. Boolean
/// `additionalProperties` is valid OpenAPI 3.0 as it is; array `items` is listed per element.
fn is_subschema(keyword: &str, value: &Value) -> bool {
    match keyword {
        "additionalProperties" => !value.is_boolean(),
        "items" => !value.is_array(),
        _ => true,
    }
}

/// The direct subschemas of a schema object, with the pointer suffix of each (`/properties/id`).
/// Every value in a schema position is listed, malformed ones included (the rules repair them);
/// boolean `additionalProperties` and `dependencies` arrays are not subschemas.
pub fn subschemas_mut(schema: &mut Map<String, Value>) -> Vec<(String, &mut Value)> {
    let mut out = Vec::new();
    for (key, value) in schema.iter_mut() {
        let k = key.as_str();
        if k == "contentSchema" && value.is_object() {
            out.push((join("", k), value));
        } else if LISTS.contains(&k) && value.is_array() {
            if let Value::Array(items) = value {
                for (i, item) in items.iter_mut().enumerate() {
                    out.push((format!("{}/{i}", join("", k)), item));
                }
            }
        } else if SINGLE.contains(&k) {
            if is_subschema(k, value) {
                out.push((join("", k), value));
            }
        } else if MAPS.contains(&k) {
            if let Value::Object(m) = value {
                for (name, sub) in m.iter_mut() {
                    if k != "dependencies" || !sub.is_array() {
                        out.push((join(&join("", k), name), sub));
                    }
                }
            }
        }
    }
    out
}

/// Read-only twin of [`subschemas_mut`].
pub fn subschemas(schema: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (key, value) in schema.iter() {
        let k = key.as_str();
        if k == "contentSchema" && value.is_object() {
            out.push((join("", k), value));
        } else if LISTS.contains(&k) && value.is_array() {
            if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    out.push((format!("{}/{i}", join("", k)), item));
                }
            }
        } else if SINGLE.contains(&k) {
            if is_subschema(k, value) {
                out.push((join("", k), value));
            }
        } else if MAPS.contains(&k) {
            if let Value::Object(m) = value {
                for (name, sub) in m.iter() {
                    if k != "dependencies" || !sub.is_array() {
                        out.push((join(&join("", k), name), sub));
                    }
                }
            }
        }
    }
    out
}

/// When [`walk_schema`] calls its visitor for a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the children are listed: the visitor may restructure the node.
    Pre,
    /// After all children were visited.
    Post,
}

/// Visits a schema and all its subschemas, calling `f` with [`Phase::Pre`] and [`Phase::Post`] for each.
/// Fails with rule `max-depth` beyond [`MAX_DEPTH`] levels.
pub fn walk_schema<F>(schema: &mut Value, ptr: &str, depth: usize, f: &mut F) -> Result<()>
where
    F: FnMut(Phase, &mut Value, &str) -> Result<()>,
{
    if depth > MAX_DEPTH {
        return Err(SpecError::new(ptr, "max-depth", format!("schemas nest deeper than {MAX_DEPTH} levels")));
    }
    f(Phase::Pre, schema, ptr)?;
    if let Value::Object(m) = schema {
        for (suffix, child) in subschemas_mut(m) {
            walk_schema(child, &format!("{ptr}{suffix}"), depth + 1, f)?;
        }
    }
    f(Phase::Post, schema, ptr)
}

/// Calls `f` on every value in the document that is a schema root (not a subschema): component
/// schemas, and the `schema` of every parameter, header and media type reachable without following
/// references, in document order. Pointers are those of the current document.
pub fn for_each_schema_root<F>(doc: &mut Value, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    let Value::Object(root) = doc else { return Ok(()) };
    if let Some(Value::Object(components)) = root.get_mut("components") {
        for (kind, section) in components.iter_mut() {
            let Value::Object(entries) = section else { continue };
            let base = join("/components", kind);
            for (name, entry) in entries.iter_mut() {
                let ptr = join(&base, name);
                match kind.as_str() {
                    "schemas" => f(entry, &ptr)?,
                    "parameters" | "headers" => parameter_like(entry, &ptr, f)?,
                    "requestBodies" => content(entry, &ptr, f)?,
                    "responses" => response(entry, &ptr, f)?,
                    _ => {}
                }
            }
        }
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            let Value::Object(item) = item else { continue };
            let item_ptr = join("/paths", path);
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    parameters(value, &join(&item_ptr, key), f)?;
                } else if METHODS.contains(&key.as_str()) {
                    operation(value, &join(&item_ptr, key), f)?;
                }
            }
        }
    }
    Ok(())
}

fn operation<F>(op: &mut Value, ptr: &str, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    let Value::Object(op) = op else { return Ok(()) };
    for (key, value) in op.iter_mut() {
        let p = join(ptr, key);
        match key.as_str() {
            "parameters" => parameters(value, &p, f)?,
            "requestBody" => content(value, &p, f)?,
            "responses" => {
                if let Value::Object(rs) = value {
                    for (code, r) in rs.iter_mut() {
                        response(r, &join(&p, code), f)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn parameters<F>(list: &mut Value, ptr: &str, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    if let Value::Array(list) = list {
        for (i, p) in list.iter_mut().enumerate() {
            parameter_like(p, &format!("{ptr}/{i}"), f)?;
        }
    }
    Ok(())
}

/// A parameter or header: `schema`, or `content.*.schema`.
fn parameter_like<F>(p: &mut Value, ptr: &str, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    if let Some(schema) = p.get_mut("schema") {
        f(schema, &join(ptr, "schema"))?;
    }
    content(p, ptr, f)
}

/// Anything with `content: {media: {schema}}` (request bodies, responses, parameters).
fn content<F>(holder: &mut Value, ptr: &str, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    if let Some(Value::Object(media)) = holder.get_mut("content") {
        let cptr = join(ptr, "content");
        for (mt, m) in media.iter_mut() {
            if let Some(schema) = m.get_mut("schema") {
                f(schema, &join(&join(&cptr, mt), "schema"))?;
            }
        }
    }
    Ok(())
}

fn response<F>(r: &mut Value, ptr: &str, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    content(r, ptr, f)?;
    if let Some(Value::Object(headers)) = r.get_mut("headers") {
        let hptr = join(ptr, "headers");
        for (name, h) in headers.iter_mut() {
            parameter_like(h, &join(&hptr, name), f)?;
        }
    }
    Ok(())
}

/// Calls `f` on every schema and subschema of the document, pre-order (see [`walk_schema`]).
pub fn for_each_schema<F>(doc: &mut Value, f: &mut F) -> Result<()>
where
    F: FnMut(&mut Value, &str) -> Result<()>,
{
    for_each_schema_root(doc, &mut |schema, ptr| {
        walk_schema(schema, ptr, 0, &mut |phase, s, p| if phase == Phase::Pre { f(s, p) } else { Ok(()) })
    })
}

/// Every operation of the document: `(path, method, pointer)`, in document order.
pub fn operations(doc: &Value) -> Vec<(String, &'static str, String)> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some_and(Value::is_object) {
                    out.push((path.clone(), m, join(&join("/paths", path), m)));
                }
            }
        }
    }
    out
}

/// Key under which two names become the same Rust identifier once progenitor/typify snake- or
/// Pascal-case them (conservative: only ASCII letters and digits, lower-cased).
pub fn ident_key(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// `PascalCase` words of a string (non-alphanumerics separate words; existing capitals are kept).
pub fn pascal(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

/// Picks `base`, or `base2`, `base3`... whichever `taken` rejects first, by [`ident_key`].
pub fn unique_name(base: &str, taken: &mut std::collections::BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while taken.contains(&ident_key(&name)) || ident_key(&name).is_empty() {
        name = format!("{base}{n}");
        n += 1;
    }
    taken.insert(ident_key(&name));
    name
}

/// `/orgs/{org_id}/x` → `/orgs/{}/x`: a path with its parameter names left out, for matching paths
/// whose parameters are named differently.
pub fn path_shape(path: &str) -> String {
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
            _ => out.push(c),
        }
    }
    out
}

/// A parameter's `(name, in)`, empty strings where missing.
pub fn param_key(p: &Value) -> (String, String) {
    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    (s("name"), s("in"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_round_trip_and_resolve() {
        let doc = json!({"a": {"b/c": [1, {"d~e": 2}]}});
        let t = parse_pointer("/a/b~1c/1/d~0e").unwrap();
        assert_eq!(t, vec!["a", "b/c", "1", "d~e"]);
        assert_eq!(to_pointer(&t), "/a/b~1c/1/d~0e");
        assert_eq!(get(&doc, &t), Some(&json!(2)));
        assert_eq!(resolve(&doc, "#/a/b~1c/0"), Some(&json!(1)));
        assert_eq!(resolve(&doc, "#/a/b%7E1c/0"), Some(&json!(1)));
        assert_eq!(resolve(&doc, "other.json#/a"), None);
        assert_eq!(resolve(&doc, "#anchor"), None);
        assert_eq!(parse_pointer("a"), None);
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%41%zz"), "A%zz");
    }

    #[test]
    fn depth_is_checked_without_recursion() {
        let mut v = json!(1);
        for _ in 0..10_000 {
            v = Value::Array(vec![v]);
        }
        let err = check_depth(&v, MAX_DEPTH).unwrap_err();
        assert_eq!(err.rule, "max-depth");
        // Dropping a deep Value recurses; unwind it iteratively.
        let mut cur = v;
        while let Value::Array(mut a) = cur {
            cur = a.pop().unwrap_or(Value::Null);
        }
    }

    #[test]
    fn all_of_takes_the_shape_its_members_agree_on() {
        let schemas = json!({"Currency": {"type": "string", "enum": ["USD"]}, "O": {"type": "object"},
                             "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}, {"description": "x"}]}});
        let schemas = schemas.as_object();
        let shape_of = |v: Value| shape(schemas, &v).0;
        assert_eq!(
            shape_of(json!({"allOf": [{"$ref": "#/components/schemas/Currency"}, {"example": "USD"}]})),
            Shape::String
        );
        assert_eq!(shape_of(json!({"allOf": [{"type": "array", "items": {}}, {"maxItems": 3}]})), Shape::Array);
        assert_eq!(shape_of(json!({"allOf": [{"$ref": "#/components/schemas/O"}, {"type": "string"}]})), Shape::Object);
        assert_eq!(
            shape_of(json!({"allOf": [{"$ref": "#/components/schemas/O"}, {"description": "d"}]})),
            Shape::Object
        );
        assert_eq!(shape_of(json!({"allOf": [{"description": "a"}, {"description": "b"}]})), Shape::Object);
        // A reference cycle through a multi-member allOf ends instead of recursing forever, and a
        // wide self-referencing allOf does not blow up exponentially.
        assert_eq!(shape_of(json!({"$ref": "#/components/schemas/Loop"})), Shape::Object);
        let wide = json!({"Wide": {"allOf": vec![json!({"$ref": "#/components/schemas/Wide"}); 16]}});
        assert_eq!(shape(wide.as_object(), &json!({"$ref": "#/components/schemas/Wide"})).0, Shape::Object);
    }

    #[test]
    fn names_are_compared_as_rust_identifiers() {
        assert_eq!(ident_key("get_Foo-bar"), ident_key("getFooBar"));
        let mut taken = Default::default();
        assert_eq!(unique_name("Foo", &mut taken), "Foo");
        assert_eq!(unique_name("foo", &mut taken), "foo2");
        assert_eq!(pascal("by org_id"), "ByOrgId");
    }
}
