//! Walking a decoded JSON body against the schema it was decoded into (from the schema index), noting
//! where it departs: undeclared properties (with a sketch of their shape), enum values the schema does
//! not list, required properties absent or null, and values of another type. Notes shapes only: a
//! string or number of the body never lands in an [`Observation`] (see `sketch`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::report::DriftKind;
use super::sketch;

mod listen;
mod tee;

pub(crate) use listen::{Events, Listener};
pub(crate) use tee::json_body_watched;

/// Deepest schema nesting followed (a body nested deeper is not checked below it).
const MAX_DEPTH: usize = 64;
/// Longest `$ref` chain followed.
const MAX_REF_HOPS: usize = 32;
/// Most `oneOf`/`anyOf` branches tried for one value.
const MAX_BRANCHES: usize = 16;
/// Schema nodes visited per body at most: keeps a body of nested unions linear, not exponential.
const NODE_BUDGET: usize = 200_000;
/// Distinct observations kept per body.
const MAX_OBSERVATIONS: usize = 256;
/// Most parts (a schema and its `allOf` members) gathered for one schema.
const MAX_PARTS: usize = 16;

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

/// Checks `body` against the schema at `schema_ptr` of `doc` (compiles the document first; the
/// client compiles it once, see [`Compiled`]), and checks that walking its bytes finds the same.
#[cfg(test)]
pub(crate) fn walk(doc: &Value, schema_ptr: &str, body: &Value) -> Vec<Observation> {
    let compiled = Compiled::new(doc);
    let found = compiled.walk(schema_ptr, body);
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let streamed = compiled.walk_bytes(schema_ptr, &bytes).map_err(|e| e.to_string());
    assert_eq!(streamed.as_ref(), Ok(&found), "the streaming walk of {body} differs");
    found
}

const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const INTEGER: u8 = 4;
const NUMBER: u8 = 8;
const STRING: u8 = 16;
const ARRAY: u8 = 32;
const OBJECT: u8 = 64;
const TYPE_NAMES: [(&str, u8); 7] = [
    ("null", NULL),
    ("boolean", BOOLEAN),
    ("integer", INTEGER),
    ("number", NUMBER),
    ("string", STRING),
    ("array", ARRAY),
    ("object", OBJECT),
];

fn type_bit(value: &Value) -> u8 {
    match value {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Number(n) if n.is_i64() || n.is_u64() => INTEGER,
        Value::Number(_) => NUMBER,
        Value::String(_) => STRING,
        Value::Array(_) => ARRAY,
        Value::Object(_) => OBJECT,
    }
}

type NodeId = usize;

/// One schema of the spec, its keywords read once (at the client's first sampled response), `$ref`s
/// resolved to node ids: walking a body is then pointer chasing and one hash lookup per property.
#[derive(Debug, Default)]
struct Node {
    /// JSON pointer of the schema in the spec.
    pointer: String,
    /// The `$ref` target, when the schema is a reference.
    reference: Option<NodeId>,
    /// Allowed JSON types; `None` when unconstrained.
    types: Option<u8>,
    /// `nullable: true` (OpenAPI 3.0): `null` is allowed whatever the other parts say.
    nullable: bool,
    enum_values: Option<Vec<Value>>,
    constant: Option<Value>,
    /// `None` without a `properties` keyword; sorted by [`by_length`] (a binary search per key of a
    /// body, mostly settled by lengths, is cheaper than hashing it).
    properties: Option<Vec<(String, NodeId)>>,
    required: Vec<String>,
    /// `additionalProperties` as a schema.
    extra_schema: Option<NodeId>,
    /// `additionalProperties` other than `false`, or `patternProperties`: other properties are allowed.
    allows_extra: bool,
    items: Option<NodeId>,
    all_of: Vec<NodeId>,
    /// `oneOf` and `anyOf` branches (each keyword a list).
    unions: Vec<Vec<NodeId>>,
    /// This schema (resolved) and its `allOf` members (resolved, recursively): every part that applies.
    parts: Vec<NodeId>,
    /// What the parts say of any value, read once (see [`Summary`]).
    summary: Summary,
}

/// What a schema's parts say of any value, so a scalar that fits is passed in a few comparisons.
#[derive(Debug, Default, Clone, Copy)]
struct Summary {
    /// A part has `oneOf`/`anyOf`.
    unions: bool,
    /// A part lists values (`enum` or `const`).
    listed: bool,
    /// The types all parts allow (`declared_types`).
    types: Option<(NodeId, u8)>,
    /// How many `required` names the parts list.
    required: usize,
    /// What the parts say of an object's properties (see [`ObjectShape`]).
    target: Option<NodeId>,
    allows_extra: bool,
    extras: Option<NodeId>,
}

impl Summary {
    /// Whether a scalar of type `actual` can lead to no finding at all.
    fn quiet_for(self, actual: u8) -> bool {
        !self.unions && !self.listed && self.types.is_none_or(|(_, allowed)| type_fits(allowed, actual))
    }

    /// Whether an object or array (`kind`) can be followed token by token: no union to choose a
    /// branch of, no `enum` to compare it with, and of a declared type (else the finding sketches it).
    fn streams(self, kind: u8) -> bool {
        self.quiet_for(kind)
    }
}

/// The spec's schemas, compiled into [`Node`]s on first use (by pointer).
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    nodes: Vec<Node>,
    by_pointer: HashMap<String, NodeId>,
}

impl Compiled {
    /// Compiles every schema reachable from the responses of `doc` (the index's document).
    pub(crate) fn new(doc: &Value) -> Self {
        let mut compiled = Compiled::default();
        let mut roots = Vec::new();
        collect_response_schemas(doc, "", &mut roots, 0);
        for (pointer, schema) in roots {
            compiled.compile(doc, &pointer, schema, 0);
        }
        for id in 0..compiled.nodes.len() {
            let mut parts = Vec::new();
            compiled.gather(id, &mut parts, 0);
            let shape = ObjectShape::of(&compiled, &parts);
            let summary = Summary {
                required: parts.iter().map(|&p| compiled.nodes[p].required.len()).sum(),
                target: shape.target,
                allows_extra: shape.allows_extra,
                extras: shape.extras,
                unions: parts.iter().any(|&p| !compiled.nodes[p].unions.is_empty()),
                listed: parts
                    .iter()
                    .any(|&p| compiled.nodes[p].enum_values.is_some() || compiled.nodes[p].constant.is_some()),
                types: declared_types(&compiled, &parts),
            };
            compiled.nodes[id].parts = parts;
            compiled.nodes[id].summary = summary;
        }
        compiled
    }

    fn compile(&mut self, doc: &Value, pointer: &str, schema: &Value, depth: usize) -> Option<NodeId> {
        if let Some(&id) = self.by_pointer.get(pointer) {
            return Some(id);
        }
        if depth > MAX_DEPTH {
            return None;
        }
        let Value::Object(map) = schema else { return None };
        let id = self.nodes.len();
        self.nodes.push(Node { pointer: pointer.to_string(), ..Node::default() });
        self.by_pointer.insert(pointer.to_string(), id);
        let mut node = Node { pointer: pointer.to_string(), ..Node::default() };
        let child = |key: &str| format!("{pointer}/{}", escape(key));
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            if let Some(target) = reference.strip_prefix('#') {
                if let Some(target_schema) = doc.pointer(target) {
                    node.reference = self.compile(doc, target, target_schema, depth + 1);
                }
            }
        }
        let types = match map.get("type") {
            Some(Value::String(t)) => Some(TYPE_NAMES.iter().filter(|(n, _)| n == t).fold(0, |b, (_, bit)| b | bit)),
            Some(Value::Array(list)) => Some(
                TYPE_NAMES
                    .iter()
                    .filter(|(n, _)| list.iter().any(|t| t.as_str() == Some(n)))
                    .fold(0, |b, (_, bit)| b | bit),
            ),
            _ => None,
        };
        node.types = types;
        node.nullable = map.get("nullable") == Some(&Value::Bool(true));
        node.enum_values = map.get("enum").and_then(Value::as_array).cloned();
        node.constant = map.get("const").cloned();
        if let Some(Value::Object(props)) = map.get("properties") {
            let base = child("properties");
            let mut compiled = Vec::with_capacity(props.len());
            for (name, prop) in props {
                if let Some(pid) = self.compile(doc, &format!("{base}/{}", escape(name)), prop, depth + 1) {
                    compiled.push((name.clone(), pid));
                }
            }
            compiled.sort_unstable_by(|a, b| by_length(&a.0, &b.0));
            node.properties = Some(compiled);
        }
        node.required = map
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        match map.get("additionalProperties") {
            Some(extra @ Value::Object(m)) => {
                node.allows_extra = true;
                if !m.is_empty() {
                    node.extra_schema = self.compile(doc, &child("additionalProperties"), extra, depth + 1);
                }
            }
            Some(Value::Bool(false)) | None => {}
            Some(_) => node.allows_extra = true,
        }
        node.allows_extra |= map.contains_key("patternProperties");
        if let Some(items) = map.get("items") {
            node.items = self.compile(doc, &child("items"), items, depth + 1);
        }
        if let Some(Value::Array(members)) = map.get("allOf") {
            let base = child("allOf");
            node.all_of = members
                .iter()
                .enumerate()
                .filter_map(|(i, m)| self.compile(doc, &format!("{base}/{i}"), m, depth + 1))
                .collect();
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = map.get(keyword) {
                let base = child(keyword);
                let list = branches
                    .iter()
                    .take(MAX_BRANCHES)
                    .enumerate()
                    .filter_map(|(i, b)| self.compile(doc, &format!("{base}/{i}"), b, depth + 1))
                    .collect();
                node.unions.push(list);
            }
        }
        self.nodes[id] = node;
        Some(id)
    }

    /// `id` behind its references.
    fn resolve(&self, mut id: NodeId) -> Option<NodeId> {
        for _ in 0..MAX_REF_HOPS {
            match self.nodes[id].reference {
                Some(next) => id = next,
                None => return Some(id),
            }
        }
        None
    }

    fn gather(&self, id: NodeId, parts: &mut Vec<NodeId>, depth: usize) {
        if parts.len() >= MAX_PARTS || depth > MAX_REF_HOPS {
            return;
        }
        let Some(id) = self.resolve(id) else { return };
        parts.push(id);
        for &member in &self.nodes[id].all_of {
            self.gather(member, parts, depth + 1);
        }
    }

    /// Checks the JSON `body` against the schema at `pointer` (a response schema of the index): the
    /// findings [`Compiled::walk`] gives for the parsed body, or the parse error when it is not JSON.
    /// The body's tokens are told to a [`Listener`] as they are parsed; no `Value` is built for what
    /// fits the schema.
    pub(crate) fn walk_bytes(&self, pointer: &str, body: &[u8]) -> Result<Vec<Observation>, serde_json::Error> {
        use serde::Deserialize as _;
        let Some(mut listener) = self.listen(pointer) else { return Ok(Vec::new()) };
        // One UTF-8 check of the whole body instead of one per string (`from_slice` fails on the same
        // bodies: invalid UTF-8 outside a string is a syntax error anyway).
        let text = std::str::from_utf8(body).map_err(|_| serde::de::Error::custom("the body is not UTF-8"))?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde::de::IgnoredAny::deserialize(tee::Tee::new(&mut deserializer, &mut listener))?;
        deserializer.end()?;
        Ok(listener.finish().unwrap_or_default())
    }

    /// Checks `body` against the schema at `pointer` (a response schema of the index).
    pub(crate) fn walk(&self, pointer: &str, body: &Value) -> Vec<Observation> {
        let Some(&root) = self.by_pointer.get(pointer) else { return Vec::new() };
        let mut walker = Walker::new(self);
        walker.check(root, body, 0);
        walker.out.into_vec()
    }
}

/// Every response schema of the index's document (`…/responses/<status>/content/<media>/schema`).
fn collect_response_schemas<'d>(value: &'d Value, pointer: &str, out: &mut Vec<(String, &'d Value)>, depth: usize) {
    let Value::Object(map) = value else { return };
    if depth > 12 {
        return;
    }
    for (key, child) in map {
        let child_pointer = format!("{pointer}/{}", escape(key));
        if key == "schema" && pointer.contains("/content/") {
            out.push((child_pointer, child));
        } else if key != "schemas" || depth != 1 {
            collect_response_schemas(child, &child_pointer, out, depth + 1);
        } else {
            // components/schemas: every named schema is a root too (tests walk them directly).
            for (name, schema) in child.as_object().into_iter().flatten() {
                out.push((format!("{child_pointer}/{}", escape(name)), schema));
            }
        }
    }
}

/// The path in the body, written as it is walked (`/tags/*`): a property name when it may appear in a
/// report, else `*` (array elements, map entries, names that look like data).
#[derive(Debug, Clone, Default)]
struct Path {
    text: String,
}

impl Path {
    /// Appends one step; returns the length to truncate back to.
    fn push(&mut self, name: Option<&str>) -> usize {
        let mark = self.text.len();
        self.text.push('/');
        match name {
            Some(name) if sketch::is_safe_name(name) => self.text.push_str(name),
            _ => self.text.push('*'),
        }
        mark
    }

    fn pop(&mut self, mark: usize) {
        self.text.truncate(mark);
    }
}

struct Walker<'c> {
    compiled: &'c Compiled,
    budget: usize,
    out: Observations,
    /// Where in the body.
    at: Path,
}

impl<'c> Walker<'c> {
    fn new(compiled: &'c Compiled) -> Self {
        Walker { compiled, budget: NODE_BUDGET, out: Observations::default(), at: Path::default() }
    }

    fn node(&self, id: NodeId) -> &'c Node {
        &self.compiled.nodes[id]
    }

    fn note(
        &mut self,
        kind: DriftKind,
        node: NodeId,
        name: Option<String>,
        value: Option<Value>,
        sketch: Option<Value>,
    ) {
        let o = Observation {
            kind,
            schema: self.node(node).pointer.clone(),
            at: self.at.text.clone(),
            name,
            value,
            sketch,
        };
        self.out.add(o);
    }

    /// Takes one node of the budget for `id`: its parts, or `None` when nothing is checked there.
    fn enter(&mut self, id: NodeId, depth: usize) -> Option<&'c [NodeId]> {
        if depth > MAX_DEPTH || self.budget == 0 {
            return None;
        }
        self.budget -= 1;
        let parts = &self.compiled.nodes[id].parts;
        (!parts.is_empty()).then_some(parts.as_slice())
    }

    /// Takes the budget [`Walker::enter`] takes, for a value known to need no check.
    fn enter_quietly(&mut self, depth: usize) {
        if depth <= MAX_DEPTH && self.budget > 0 {
            self.budget -= 1;
        }
    }

    fn has_unions(&self, parts: &[NodeId]) -> bool {
        parts.iter().any(|&p| !self.compiled.nodes[p].unions.is_empty())
    }

    fn check(&mut self, id: NodeId, value: &Value, depth: usize) {
        if let Some(parts) = self.enter(id, depth) {
            self.entered(parts, value, depth);
        }
    }

    /// The checks of `value` at `parts`, once entered.
    fn entered(&mut self, parts: &'c [NodeId], value: &Value, depth: usize) {
        let compiled = self.compiled;
        for &part in parts {
            for branches in &compiled.nodes[part].unions {
                self.union(branches, value, depth);
            }
        }
        if !self.fits_type(parts, type_bit(value), || sketch::sketch(value)) || value.is_null() {
            return;
        }
        self.check_enum(parts, |listed| same(listed, value), || sketch::safe_literal(value));
        match value {
            Value::Object(object) => self.object(parts, object, depth),
            Value::Array(items) => {
                if let Some(item_schema) = self.items(parts) {
                    let mark = self.at.push(None);
                    for item in items {
                        self.check(item_schema, item, depth + 1);
                    }
                    self.at.pop(mark);
                }
            }
            _ => {}
        }
    }

    /// Whether a value of type `actual` fits the types the parts declare; notes a mismatch (with the
    /// value's sketch) when it does not.
    fn fits_type(&mut self, parts: &[NodeId], actual: u8, sketch: impl FnOnce() -> Value) -> bool {
        let Some((first, allowed)) = declared_types(self.compiled, parts) else { return true };
        let fits = type_fits(allowed, actual);
        if !fits {
            let expected = TYPE_NAMES
                .iter()
                .filter(|(_, bit)| allowed & bit != 0)
                .map(|(name, _)| Value::String((*name).to_string()))
                .collect();
            self.note(DriftKind::TypeMismatch, first, None, Some(Value::Array(expected)), Some(sketch()));
        }
        fits
    }

    /// Notes the first part whose `enum`/`const` does not list the value (`is` compares a listed value).
    fn check_enum(&mut self, parts: &[NodeId], is: impl Fn(&Value) -> bool, literal: impl FnOnce() -> Option<Value>) {
        for &part in parts {
            let node = &self.compiled.nodes[part];
            let listed = match (&node.enum_values, &node.constant) {
                (Some(values), _) => Some(values.iter().any(&is)),
                (_, Some(constant)) => Some(is(constant)),
                _ => None,
            };
            if listed == Some(false) {
                self.note(DriftKind::EnumValueAdded, part, None, literal(), None);
                return;
            }
        }
    }

    /// The schema of array items, from the first part that has one.
    fn items(&self, parts: &[NodeId]) -> Option<NodeId> {
        parts.iter().find_map(|&p| self.compiled.nodes[p].items)
    }

    fn object(&mut self, parts: &'c [NodeId], object: &Map<String, Value>, depth: usize) {
        let shape = ObjectShape::of(self.compiled, parts);
        for (key, value) in object {
            match shape.property(self.compiled, key) {
                Some((part, prop)) => {
                    if value.is_null() {
                        self.declared_null(&shape, part, prop, key);
                        continue;
                    }
                    let mark = self.at.push(Some(key));
                    self.check(prop, value, depth + 1);
                    self.at.pop(mark);
                }
                None => match shape.undeclared() {
                    Undeclared::Schema(extra) => {
                        let mark = self.at.push(None);
                        self.check(extra, value, depth + 1);
                        self.at.pop(mark);
                    }
                    Undeclared::Added(target) => {
                        self.note(DriftKind::PropertyAdded, target, safe(key), None, Some(sketch::sketch(value)))
                    }
                    Undeclared::Allowed => {}
                },
            }
        }
        // After the properties, as a streamed object can only tell them at its end.
        for &part in parts {
            for name in &self.compiled.nodes[part].required {
                if !object.contains_key(name) {
                    self.note(DriftKind::RequiredMissing, part, safe(name), None, None);
                }
            }
        }
    }

    /// A declared property that is `null`: drift when it is required and its schema does not allow it.
    fn declared_null(&mut self, shape: &ObjectShape<'_>, part: NodeId, prop: NodeId, key: &str) {
        let required = shape.parts.iter().any(|&p| self.compiled.nodes[p].required.iter().any(|r| r == key));
        if required && !self.accepts_null(prop, 0) {
            self.note(DriftKind::RequiredNull, shape.target.unwrap_or(part), safe(key), None, None);
        }
    }

    /// Whether `null` fits the schema: a declared type that includes it (or none at all), and an enum
    /// (if any) that lists it; for unions, any branch that does.
    fn accepts_null(&self, id: NodeId, depth: usize) -> bool {
        if depth > MAX_REF_HOPS {
            return true;
        }
        let compiled = self.compiled;
        let parts = &compiled.nodes[id].parts;
        let typed = declared_types(compiled, parts).is_none_or(|(_, allowed)| allowed & NULL != 0);
        let enum_ok =
            parts.iter().all(|&p| compiled.nodes[p].enum_values.as_ref().is_none_or(|v| v.contains(&Value::Null)));
        let unions_ok = parts.iter().all(|&p| {
            compiled.nodes[p].unions.iter().all(|branches| branches.iter().any(|&b| self.accepts_null(b, depth + 1)))
        });
        typed && enum_ok && unions_ok
    }

    /// A `oneOf`/`anyOf`: the branch that fits best (fewest observations) speaks for the value.
    fn union(&mut self, branches: &[NodeId], value: &Value, depth: usize) {
        let mut best: Option<Observations> = None;
        for &branch in branches {
            let mut scratch = Walker {
                compiled: self.compiled,
                budget: self.budget,
                out: Observations::default(),
                at: self.at.clone(),
            };
            scratch.check(branch, value, depth + 1);
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

/// What the parts of an object schema say about its properties.
#[derive(Clone, Copy)]
struct ObjectShape<'c> {
    parts: &'c [NodeId],
    /// Where new properties go: the schema itself when it lists properties, else its last `allOf`
    /// member that does (the specific part, not a shared base).
    target: Option<NodeId>,
    allows_extra: bool,
    extras: Option<NodeId>,
}

/// What an undeclared property is.
enum Undeclared {
    /// Checked against `additionalProperties`.
    Schema(NodeId),
    /// Drift, noted at this schema.
    Added(NodeId),
    /// Allowed (or nowhere to note it).
    Allowed,
}

impl<'c> ObjectShape<'c> {
    fn of(compiled: &Compiled, parts: &'c [NodeId]) -> Self {
        let with_properties = |p: &&NodeId| compiled.nodes[**p].properties.is_some();
        let target = match parts.first().filter(with_properties) {
            Some(first) => Some(*first),
            None => parts.iter().rev().find(with_properties).copied(),
        };
        let allows_extra = parts.iter().any(|&p| compiled.nodes[p].allows_extra);
        let extras = parts.iter().find_map(|&p| compiled.nodes[p].extra_schema);
        ObjectShape { parts, target, allows_extra, extras }
    }

    /// The part declaring `key` and the property's schema.
    fn property(&self, compiled: &Compiled, key: &str) -> Option<(NodeId, NodeId)> {
        self.parts.iter().find_map(|&p| {
            let properties = compiled.nodes[p].properties.as_ref()?;
            let found = properties.binary_search_by(|(name, _)| by_length(name, key)).ok()?;
            Some((p, properties[found].1))
        })
    }

    fn undeclared(&self) -> Undeclared {
        match (self.extras, self.allows_extra, self.target) {
            (Some(extra), _, _) => Undeclared::Schema(extra),
            (None, false, Some(target)) => Undeclared::Added(target),
            _ => Undeclared::Allowed,
        }
    }
}

/// The types the parts allow as bits, with the first part that constrains them; `None` when no part
/// does.
fn declared_types(compiled: &Compiled, parts: &[NodeId]) -> Option<(NodeId, u8)> {
    let mut found: Option<(NodeId, u8)> = None;
    let nullable = parts.iter().any(|&p| compiled.nodes[p].nullable);
    for &part in parts {
        let Some(bits) = compiled.nodes[part].types else { continue };
        match &mut found {
            // Every part must allow the value: keep what all of them allow.
            Some((_, allowed)) => *allowed &= bits,
            None => found = Some((part, bits)),
        }
    }
    if let (true, Some((_, allowed))) = (nullable, found.as_mut()) {
        *allowed |= NULL;
    }
    found
}

/// Names ordered by length, then bytes.
fn by_length(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether a value of type `actual` is one of the `allowed` types (an integer is a number).
fn type_fits(allowed: u8, actual: u8) -> bool {
    allowed & actual != 0 || (actual == INTEGER && allowed & NUMBER != 0)
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
fn escape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}
