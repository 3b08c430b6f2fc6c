//! Walking a decoded JSON body against the schema it was decoded into (from the schema index), noting
//! where it departs: undeclared properties (with a sketch of their shape), enum values the schema does
//! not list, required properties absent or null, and values of another type. Notes shapes only: a
//! string or number of the body never lands in an [`Observation`] (see `sketch`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::report::DriftKind;
use super::sketch;

/// Deepest schema nesting followed (a body nested deeper is not checked below it).
const MAX_DEPTH: usize = 64;
/// Longest `$ref` chain followed.
const MAX_REF_HOPS: usize = 32;
/// Most `allOf` parts gathered for one schema.
const MAX_PARTS: usize = 32;
/// Most `oneOf`/`anyOf` branches tried for one value.
const MAX_BRANCHES: usize = 16;
/// Schema nodes visited per body at most: keeps a body of nested unions linear, not exponential.
const NODE_BUDGET: usize = 200_000;
/// Distinct observations kept per body.
const MAX_OBSERVATIONS: usize = 256;

/// Where a body departs from its schema, once per schema place (repeats merge their sketches).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Observation {
    pub(crate) kind: DriftKind,
    /// JSON pointer of the schema (in the spec with overrides) the finding belongs to.
    pub(crate) schema: String,
    /// Where in the body, by property names (`*` for array elements and map entries).
    pub(crate) at: String,
    /// The property concerned (`None` when its name looks like data and is withheld).
    pub(crate) name: Option<String>,
    /// The enum literal (`None` when withheld), or the types the schema expected (type mismatch).
    pub(crate) value: Option<Value>,
    /// The shape of what arrived.
    pub(crate) sketch: Option<Value>,
}

type Key = (DriftKind, String, Option<String>, Option<String>);

/// Observations of one body, deduplicated by kind, schema and name.
#[derive(Debug, Default)]
pub(crate) struct Observations {
    found: BTreeMap<Key, Observation>,
}

impl Observations {
    fn add(&mut self, o: Observation) {
        let key = (o.kind, o.schema.clone(), o.name.clone(), o.value.as_ref().map(Value::to_string));
        let room = self.found.len() < MAX_OBSERVATIONS;
        match self.found.get_mut(&key) {
            Some(seen) => {
                if let (Some(a), Some(b)) = (&seen.sketch, &o.sketch) {
                    seen.sketch = Some(sketch::merge(a, b));
                }
            }
            None if room => {
                self.found.insert(key, o);
            }
            None => {}
        }
    }

    fn len(&self) -> usize {
        self.found.len()
    }

    pub(crate) fn into_vec(self) -> Vec<Observation> {
        self.found.into_values().collect()
    }
}

/// Checks `body` against the schema at `schema_ptr` of `doc` (the index's document).
pub(crate) fn walk(doc: &Value, schema_ptr: &str, body: &Value) -> Vec<Observation> {
    let Some(schema) = doc.pointer(schema_ptr) else { return Vec::new() };
    let mut walker = Walker { doc, budget: NODE_BUDGET, out: Observations::default() };
    walker.check(schema_ptr, schema, body, "", 0);
    walker.out.into_vec()
}

struct Walker<'d> {
    doc: &'d Value,
    budget: usize,
    out: Observations,
}

/// One schema object with the pointer it sits at.
type Part<'d> = (String, &'d Map<String, Value>);

impl<'d> Walker<'d> {
    fn note(&mut self, kind: DriftKind, schema: &str, at: &str, name: Option<String>, value: Option<Value>, sketch: Option<Value>) {
        self.out.add(Observation { kind, schema: schema.to_string(), at: at.to_string(), name, value, sketch });
    }

    /// `schema` behind its `$ref`s, with its pointer; `None` for a dangling or endless reference.
    fn resolve(&self, ptr: &str, schema: &'d Value) -> Option<(String, &'d Value)> {
        let (mut ptr, mut schema) = (ptr.to_string(), schema);
        for _ in 0..MAX_REF_HOPS {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let target = reference.strip_prefix('#')?;
                    schema = self.doc.pointer(target)?;
                    ptr = target.to_string();
                }
                None => return Some((ptr, schema)),
            }
        }
        None
    }

    /// The schema and its `allOf` members (recursively), each resolved: every constraint that applies.
    fn parts(&self, ptr: &str, schema: &'d Value) -> Vec<Part<'d>> {
        let mut out = Vec::new();
        self.gather(ptr, schema, &mut out, 0);
        out
    }

    fn gather(&self, ptr: &str, schema: &'d Value, out: &mut Vec<Part<'d>>, depth: usize) {
        if out.len() >= MAX_PARTS || depth > MAX_REF_HOPS {
            return;
        }
        let Some((ptr, Value::Object(map))) = self.resolve(ptr, schema) else { return };
        out.push((ptr.clone(), map));
        if let Some(Value::Array(members)) = map.get("allOf") {
            for (i, member) in members.iter().enumerate() {
                self.gather(&format!("{ptr}/allOf/{i}"), member, out, depth + 1);
            }
        }
    }

    fn check(&mut self, ptr: &str, schema: &'d Value, value: &Value, at: &str, depth: usize) {
        if depth > MAX_DEPTH || self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let parts = self.parts(ptr, schema);
        if parts.is_empty() {
            return;
        }
        for (part_ptr, map) in &parts {
            for keyword in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = map.get(keyword) {
                    self.union(&format!("{part_ptr}/{keyword}"), branches, value, at, depth);
                }
            }
        }
        if let Some((type_ptr, expected)) = declared_types(&parts) {
            let actual = sketch::json_type(value);
            let fits = expected.iter().any(|t| *t == actual || (*t == "number" && actual == "integer"));
            if !fits {
                let expected = Value::Array(expected.iter().map(|t| Value::String((*t).to_string())).collect());
                self.note(DriftKind::TypeMismatch, &type_ptr, at, None, Some(expected), Some(sketch::sketch(value)));
                return;
            }
        }
        if value.is_null() {
            return;
        }
        for (part_ptr, map) in &parts {
            let listed = match (map.get("enum"), map.get("const")) {
                (Some(Value::Array(values)), _) => Some(values.iter().any(|v| same(v, value))),
                (_, Some(constant)) => Some(same(constant, value)),
                _ => None,
            };
            if listed == Some(false) {
                self.note(DriftKind::EnumValueAdded, part_ptr, at, None, sketch::safe_literal(value), None);
                break;
            }
        }
        match value {
            Value::Object(object) => self.object(ptr, &parts, object, at, depth),
            Value::Array(items) => {
                let item_schema = parts.iter().find_map(|(p, m)| m.get("items").map(|s| (format!("{p}/items"), s)));
                if let Some((item_ptr, item_schema)) = item_schema {
                    let at = format!("{at}/*");
                    for item in items {
                        self.check(&item_ptr, item_schema, item, &at, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, ptr: &str, parts: &[Part<'d>], object: &Map<String, Value>, at: &str, depth: usize) {
        let mut properties: BTreeMap<&str, (String, &'d Value)> = BTreeMap::new();
        let mut required: Vec<(&str, &str)> = Vec::new();
        let mut extras: Option<(String, &'d Value)> = None;
        let mut target = ptr.to_string();
        let mut has_properties = false;
        for (part_ptr, map) in parts {
            if let Some(Value::Object(props)) = map.get("properties") {
                // New properties go to the schema itself when it lists properties, else to its last
                // `allOf` member that does (the specific part, not a shared base).
                if !has_properties || part_ptr != &parts[0].0 && !parts[0].1.contains_key("properties") {
                    target = part_ptr.clone();
                }
                has_properties = true;
                for (name, schema) in props {
                    properties.entry(name).or_insert_with(|| (format!("{part_ptr}/properties/{}", escape(name)), schema));
                }
            }
            if let Some(Value::Array(names)) = map.get("required") {
                required.extend(names.iter().filter_map(Value::as_str).map(|n| (n, part_ptr.as_str())));
            }
            if let Some(extra @ Value::Object(m)) = map.get("additionalProperties") {
                if !m.is_empty() && extras.is_none() {
                    extras = Some((format!("{part_ptr}/additionalProperties"), extra));
                }
            }
        }
        // Undeclared properties are drift only where the schema lists properties and allows no others.
        let declares_extras = parts.iter().any(|(_, m)| {
            m.get("patternProperties").is_some()
                || m.get("additionalProperties").is_some_and(|v| v != &Value::Bool(false))
        });
        let open = !has_properties || declares_extras;
        for (name, part_ptr) in required {
            if !object.contains_key(name) {
                self.note(DriftKind::RequiredMissing, part_ptr, at, safe(name), None, None);
            }
        }
        for (key, value) in object {
            if let Some((prop_ptr, prop_schema)) = properties.get(key.as_str()) {
                if value.is_null() {
                    let is_required = parts.iter().any(|(_, m)| {
                        m.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|n| n == key.as_str()))
                    });
                    if is_required && !self.accepts_null(prop_ptr, prop_schema) {
                        self.note(DriftKind::RequiredNull, &target, at, safe(key), None, None);
                    }
                    continue;
                }
                let at = format!("{at}/{}", safe(key).unwrap_or_else(|| "*".into()));
                self.check(prop_ptr, prop_schema, value, &at, depth + 1);
            } else if let Some((extra_ptr, extra_schema)) = &extras {
                let at = format!("{at}/*");
                self.check(extra_ptr, extra_schema, value, &at, depth + 1);
            } else if !open {
                self.note(DriftKind::PropertyAdded, &target, at, safe(key), None, Some(sketch::sketch(value)));
            }
        }
    }

    /// Whether `null` fits the schema (checked like any value, on a scratch walker).
    fn accepts_null(&mut self, ptr: &str, schema: &'d Value) -> bool {
        let mut scratch = Walker { doc: self.doc, budget: self.budget, out: Observations::default() };
        scratch.check(ptr, schema, &Value::Null, "", 0);
        self.budget = scratch.budget;
        scratch.out.len() == 0
    }

    /// A `oneOf`/`anyOf`: the branch that fits best (fewest observations) speaks for the value.
    fn union(&mut self, ptr: &str, branches: &'d [Value], value: &Value, at: &str, depth: usize) {
        let mut best: Option<Observations> = None;
        for (i, branch) in branches.iter().take(MAX_BRANCHES).enumerate() {
            let mut scratch = Walker { doc: self.doc, budget: self.budget, out: Observations::default() };
            scratch.check(&format!("{ptr}/{i}"), branch, value, at, depth + 1);
            self.budget = scratch.budget;
            let fewer = best.as_ref().is_none_or(|b| scratch.out.len() < b.len());
            if fewer {
                let perfect = scratch.out.len() == 0;
                best = Some(scratch.out);
                if perfect {
                    break;
                }
            }
        }
        for o in best.map(Observations::into_vec).unwrap_or_default() {
            self.out.add(o);
        }
    }
}

/// The types the parts allow (`nullable: true` adds `null`), with the pointer of the part that says
/// so; `None` when no part constrains the type.
fn declared_types(parts: &[Part<'_>]) -> Option<(String, Vec<&'static str>)> {
    const NAMES: [&str; 7] = ["null", "boolean", "integer", "number", "string", "array", "object"];
    let mut found: Option<(String, Vec<&'static str>)> = None;
    let nullable = parts.iter().any(|(_, m)| m.get("nullable") == Some(&Value::Bool(true)));
    for (ptr, map) in parts {
        let types: Vec<&'static str> = match map.get("type") {
            Some(Value::String(t)) => NAMES.iter().copied().filter(|n| n == t).collect(),
            Some(Value::Array(list)) => {
                NAMES.iter().copied().filter(|n| list.iter().any(|t| t.as_str() == Some(n))).collect()
            }
            _ => continue,
        };
        match &mut found {
            // Every part must allow the value: keep what all of them allow.
            Some((_, allowed)) => allowed.retain(|t| types.contains(t)),
            None => found = Some((ptr.clone(), types)),
        }
    }
    if let (true, Some((_, allowed))) = (nullable, found.as_mut()) {
        if !allowed.contains(&"null") {
            allowed.push("null");
        }
    }
    found
}

/// JSON equality with numbers compared by value (`1` and `1.0` are the same enum value).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn safe(name: &str) -> Option<String> {
    sketch::is_safe_name(name).then(|| name.to_string())
}

/// RFC 6901 escaping of one pointer token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
