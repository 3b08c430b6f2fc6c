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

/// Checks `body` against the schema at `schema_ptr` of `doc` (the index's document).
pub(crate) fn walk(doc: &Value, schema_ptr: &str, body: &Value) -> Vec<Observation> {
    let Some(schema) = doc.pointer(schema_ptr) else { return Vec::new() };
    let mut walker = Walker::new(doc);
    walker.ptr.push(Token::Base(schema_ptr));
    walker.check(schema, body, 0);
    walker.out.into_vec()
}

/// One step of a JSON pointer into the spec. Pointers are kept as a stack of borrowed steps and only
/// written out when an observation is recorded, so a body that fits its schema allocates nothing per
/// value.
#[derive(Debug, Clone, Copy)]
enum Token<'d> {
    /// A whole pointer (a `$ref` target or the start): writing starts over here.
    Base(&'d str),
    Key(&'d str),
    Index(usize),
}

/// One step of the path in the body: a property name, or `*` (an array element or map entry).
#[derive(Debug, Clone, Copy)]
enum Step<'v> {
    Name(&'v str),
    Any,
}

/// Most `allOf`/`$ref` steps remembered between a schema and one of its parts.
const MAX_SUFFIX: usize = 8;

/// One schema object that applies to a value: the schema itself or an `allOf` member (resolved), with
/// the pointer steps from the schema to it.
#[derive(Debug, Clone, Copy)]
struct Part<'d> {
    map: &'d Map<String, Value>,
    suffix: [Option<Token<'d>>; MAX_SUFFIX],
}

impl<'d> Part<'d> {
    fn tokens(&self) -> impl Iterator<Item = Token<'d>> + '_ {
        self.suffix.iter().map_while(|t| *t)
    }
}

/// The parts of one schema, without allocating (at most [`MAX_PARTS`]).
struct Parts<'d> {
    items: [Option<Part<'d>>; MAX_PARTS],
    len: usize,
}

impl<'d> Parts<'d> {
    fn iter(&self) -> impl Iterator<Item = &Part<'d>> {
        self.items[..self.len].iter().flatten()
    }
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

struct Walker<'d, 'v> {
    doc: &'d Value,
    budget: usize,
    out: Observations,
    /// Pointer of the schema being checked.
    ptr: Vec<Token<'d>>,
    /// Where in the body.
    at: Vec<Step<'v>>,
}

impl<'d, 'v> Walker<'d, 'v> {
    fn new(doc: &'d Value) -> Self {
        Walker {
            doc,
            budget: NODE_BUDGET,
            out: Observations::default(),
            ptr: Vec::with_capacity(32),
            at: Vec::with_capacity(16),
        }
    }

    /// A walker for trying one union branch: same position, its own observations.
    fn scratch(&self) -> Self {
        Walker {
            doc: self.doc,
            budget: self.budget,
            out: Observations::default(),
            ptr: self.ptr.clone(),
            at: self.at.clone(),
        }
    }

    fn pointer(&self, part: Option<&Part<'d>>) -> String {
        let tokens = self.ptr.iter().copied().chain(part.into_iter().flat_map(Part::tokens));
        let mut out = String::new();
        for token in tokens {
            match token {
                Token::Base(base) => {
                    out.clear();
                    out.push_str(base);
                }
                Token::Key(key) => {
                    out.push('/');
                    out.push_str(&escape(key));
                }
                Token::Index(i) => {
                    out.push('/');
                    out.push_str(&i.to_string());
                }
            }
        }
        out
    }

    fn at(&self) -> String {
        let mut out = String::new();
        for step in &self.at {
            out.push('/');
            match step {
                Step::Name(name) if sketch::is_safe_name(name) => out.push_str(name),
                _ => out.push('*'),
            }
        }
        out
    }

    fn note(
        &mut self,
        kind: DriftKind,
        part: Option<&Part<'d>>,
        name: Option<String>,
        value: Option<Value>,
        sketch: Option<Value>,
    ) {
        let o = Observation { kind, schema: self.pointer(part), at: self.at(), name, value, sketch };
        self.out.add(o);
    }

    /// Follows `$ref`s from `schema`; the steps taken go into `suffix` from `len` on.
    fn resolve(
        &self,
        schema: &'d Value,
        suffix: &mut [Option<Token<'d>>; MAX_SUFFIX],
        len: &mut usize,
    ) -> Option<&'d Value> {
        let mut schema = schema;
        for _ in 0..MAX_REF_HOPS {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    let target = reference.strip_prefix('#')?;
                    schema = self.doc.pointer(target)?;
                    // A reference starts the pointer over: it replaces whatever came before.
                    *suffix = [None; MAX_SUFFIX];
                    suffix[0] = Some(Token::Base(target));
                    *len = 1;
                }
                None => return Some(schema),
            }
        }
        None
    }

    /// The schema and its `allOf` members (recursively), each resolved: every constraint that applies.
    fn parts(&self, schema: &'d Value) -> Parts<'d> {
        let mut parts = Parts { items: [None; MAX_PARTS], len: 0 };
        self.gather(schema, [None; MAX_SUFFIX], 0, &mut parts, 0);
        parts
    }

    fn gather(
        &self,
        schema: &'d Value,
        mut suffix: [Option<Token<'d>>; MAX_SUFFIX],
        mut len: usize,
        parts: &mut Parts<'d>,
        depth: usize,
    ) {
        if parts.len >= MAX_PARTS || depth > MAX_REF_HOPS {
            return;
        }
        let Some(Value::Object(map)) = self.resolve(schema, &mut suffix, &mut len) else { return };
        parts.items[parts.len] = Some(Part { map, suffix });
        parts.len += 1;
        if let Some(Value::Array(members)) = map.get("allOf") {
            if len + 2 > MAX_SUFFIX {
                return;
            }
            for (i, member) in members.iter().enumerate() {
                let mut member_suffix = suffix;
                member_suffix[len] = Some(Token::Key("allOf"));
                member_suffix[len + 1] = Some(Token::Index(i));
                self.gather(member, member_suffix, len + 2, parts, depth + 1);
            }
        }
    }

    /// Runs `f` with the pointer moved to `part` and then `keys`.
    fn below<R>(&mut self, part: &Part<'d>, keys: &[Token<'d>], f: impl FnOnce(&mut Self) -> R) -> R {
        let mark = self.ptr.len();
        self.ptr.extend(part.tokens());
        self.ptr.extend_from_slice(keys);
        let out = f(self);
        self.ptr.truncate(mark);
        out
    }

    fn check(&mut self, schema: &'d Value, value: &'v Value, depth: usize) {
        if depth > MAX_DEPTH || self.budget == 0 {
            return;
        }
        self.budget -= 1;
        let parts = self.parts(schema);
        if parts.len == 0 {
            return;
        }
        for part in parts.iter() {
            for keyword in ["oneOf", "anyOf"] {
                if let Some(Value::Array(branches)) = part.map.get(keyword) {
                    self.below(part, &[Token::Key(keyword)], |w| w.union(branches, value, depth));
                }
            }
        }
        if let Some((first, allowed)) = declared_types(&parts) {
            let actual = type_bit(value);
            let fits = allowed & actual != 0 || (actual == INTEGER && allowed & NUMBER != 0);
            if !fits {
                let expected = TYPE_NAMES
                    .iter()
                    .filter(|(_, bit)| allowed & bit != 0)
                    .map(|(name, _)| Value::String((*name).to_string()))
                    .collect();
                self.note(
                    DriftKind::TypeMismatch,
                    Some(&first),
                    None,
                    Some(Value::Array(expected)),
                    Some(sketch::sketch(value)),
                );
                return;
            }
        }
        if value.is_null() {
            return;
        }
        for part in parts.iter() {
            let listed = match (part.map.get("enum"), part.map.get("const")) {
                (Some(Value::Array(values)), _) => Some(values.iter().any(|v| same(v, value))),
                (_, Some(constant)) => Some(same(constant, value)),
                _ => None,
            };
            if listed == Some(false) {
                self.note(DriftKind::EnumValueAdded, Some(part), None, sketch::safe_literal(value), None);
                break;
            }
        }
        match value {
            Value::Object(object) => self.object(&parts, object, depth),
            Value::Array(items) => {
                if let Some((part, item_schema)) = parts.iter().find_map(|p| p.map.get("items").map(|s| (*p, s))) {
                    self.at.push(Step::Any);
                    self.below(&part, &[Token::Key("items")], |w| {
                        for item in items {
                            w.check(item_schema, item, depth + 1);
                        }
                    });
                    self.at.pop();
                }
            }
            _ => {}
        }
    }

    fn object(&mut self, parts: &Parts<'d>, object: &'v Map<String, Value>, depth: usize) {
        let with_properties = |p: &&Part<'d>| matches!(p.map.get("properties"), Some(Value::Object(_)));
        // New properties go to the schema itself when it lists properties, else to its last `allOf`
        // member that does (the specific part, not a shared base).
        let target = match parts.iter().next().filter(with_properties) {
            Some(first) => Some(*first),
            None => parts.iter().filter(with_properties).last().copied(),
        };
        let declares_extras = parts.iter().any(|p| {
            p.map.get("patternProperties").is_some()
                || p.map.get("additionalProperties").is_some_and(|v| v != &Value::Bool(false))
        });
        let extras = parts.iter().find_map(|p| match p.map.get("additionalProperties") {
            Some(schema @ Value::Object(m)) if !m.is_empty() => Some((*p, schema)),
            _ => None,
        });
        let required = |name: &str| {
            parts
                .iter()
                .any(|p| p.map.get("required").and_then(Value::as_array).is_some_and(|r| r.iter().any(|n| n == name)))
        };
        for part in parts.iter() {
            for name in
                part.map.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    self.note(DriftKind::RequiredMissing, Some(part), safe(name), None, None);
                }
            }
        }
        for (key, value) in object {
            let declared = parts.iter().find_map(|p| {
                p.map
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|props| props.get_key_value(key.as_str()))
                    .map(|(name, schema)| (*p, name.as_str(), schema))
            });
            if let Some((part, name, prop_schema)) = declared {
                if value.is_null() {
                    if required(key) && !self.accepts_null(prop_schema) {
                        let target = target.unwrap_or(part);
                        self.note(DriftKind::RequiredNull, Some(&target), safe(key), None, None);
                    }
                    continue;
                }
                self.at.push(Step::Name(key));
                self.below(&part, &[Token::Key("properties"), Token::Key(name)], |w| {
                    w.check(prop_schema, value, depth + 1)
                });
                self.at.pop();
            } else if let Some((part, extra_schema)) = extras {
                self.at.push(Step::Any);
                self.below(&part, &[Token::Key("additionalProperties")], |w| w.check(extra_schema, value, depth + 1));
                self.at.pop();
            } else if let (false, Some(target)) = (declares_extras, target) {
                self.note(DriftKind::PropertyAdded, Some(&target), safe(key), None, Some(sketch::sketch(value)));
            }
        }
    }

    /// Whether `null` fits the schema: a declared type that includes it (or none at all), and an enum
    /// (if any) that lists it; for unions, any branch that does.
    fn accepts_null(&self, schema: &'d Value) -> bool {
        let parts = self.parts(schema);
        let typed = declared_types(&parts).is_none_or(|(_, allowed)| allowed & NULL != 0);
        let enum_ok = parts.iter().all(|p| match p.map.get("enum") {
            Some(Value::Array(values)) => values.contains(&Value::Null),
            _ => true,
        });
        let unions_ok = parts.iter().all(|p| {
            ["oneOf", "anyOf"].iter().all(|k| match p.map.get(*k) {
                Some(Value::Array(branches)) => branches.iter().take(MAX_BRANCHES).any(|b| self.accepts_null(b)),
                _ => true,
            })
        });
        typed && enum_ok && unions_ok
    }

    /// A `oneOf`/`anyOf`: the branch that fits best (fewest observations) speaks for the value.
    fn union(&mut self, branches: &'d [Value], value: &'v Value, depth: usize) {
        let mut best: Option<Observations> = None;
        for (i, branch) in branches.iter().take(MAX_BRANCHES).enumerate() {
            let mut scratch = self.scratch();
            scratch.ptr.push(Token::Index(i));
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

/// The types the parts allow (`nullable: true` adds `null`) as bits, with the part that says so;
/// `None` when no part constrains the type.
fn declared_types<'d>(parts: &Parts<'d>) -> Option<(Part<'d>, u8)> {
    let mut found: Option<(Part<'d>, u8)> = None;
    let nullable = parts.iter().any(|p| p.map.get("nullable") == Some(&Value::Bool(true)));
    for part in parts.iter() {
        let bits = match part.map.get("type") {
            Some(Value::String(t)) => TYPE_NAMES.iter().filter(|(n, _)| n == t).fold(0, |b, (_, bit)| b | bit),
            Some(Value::Array(list)) => TYPE_NAMES
                .iter()
                .filter(|(n, _)| list.iter().any(|t| t.as_str() == Some(n)))
                .fold(0, |b, (_, bit)| b | bit),
            _ => continue,
        };
        match &mut found {
            // Every part must allow the value: keep what all of them allow.
            Some((_, allowed)) => *allowed &= bits,
            None => found = Some((*part, bits)),
        }
    }
    if let (true, Some((_, allowed))) = (nullable, found.as_mut()) {
        *allowed |= NULL;
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
fn escape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}
