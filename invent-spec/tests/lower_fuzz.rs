//! Property test: mutated corpus specs and arbitrary JSON never panic the lowering; it returns `Ok` or a
//! `SpecError`, deterministically, and whatever it returns `Ok` for, `openapiv3` parses. A seeded xorshift PRNG keeps every run identical; a failure prints the
//! seed and the mutations, so it can be replayed.

use std::panic::{catch_unwind, AssertUnwindSafe};

use invent_spec::{lower, LowerOptions};
use serde_json::{json, Map, Value};

mod common;
use common::corpus;

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Keywords worth inserting: the ones the rules look at.
const KEYS: &[&str] = &[
    "type",
    "$ref",
    "items",
    "prefixItems",
    "properties",
    "additionalProperties",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
    "enum",
    "const",
    "default",
    "nullable",
    "exclusiveMinimum",
    "minimum",
    "maximum",
    "minLength",
    "multipleOf",
    "required",
    "format",
    "pattern",
    "examples",
    "example",
    "title",
    "$defs",
    "discriminator",
    "contentMediaType",
    "unevaluatedProperties",
    "parameters",
    "requestBody",
    "responses",
    "content",
    "schema",
    "in",
    "name",
    "style",
    "operationId",
    "openapi",
    "paths",
    "components",
    "schemas",
    "default",
    "description",
    "info",
    "securitySchemes",
    "flows",
    "scopes",
    "callbacks",
    "webhooks",
    "pathItems",
    "200",
    "default",
    "4XX",
    "application/json",
    "multipart/form-data",
    "/a/{id}",
    "get",
    "post",
    "headers",
];

const STRINGS: &[&str] = &[
    "",
    "null",
    "string",
    "integer",
    "number",
    "object",
    "array",
    "boolean",
    "file",
    "query",
    "path",
    "header",
    "cookie",
    "deepObject",
    "#",
    "#/",
    "#/components/schemas/A",
    "#/components/schemas",
    "#/paths",
    "#/$defs/X",
    "#/components/parameters/P",
    "other.json#/A",
    "#/components/schemas/A/properties/x",
    "(?P<n>a)(?P=n",
    "3.1.0",
    "3.0.0",
    "1e-08",
    "-1",
    "{id}",
    "/a/{b",
    "application/json",
    "Add",
    "add",
    "%",
    "~",
    "~1",
    "\u{0}",
];

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.next() as i64 % 2000 - 1000),
        3 => json!((rng.next() % 10_000) as f64 / 7.0 - 500.0),
        4 => json!(u64::MAX - rng.below(3) as u64),
        _ => Value::String(rng.pick(STRINGS).to_string()),
    }
}

/// An arbitrary JSON value, biased towards OpenAPI-looking objects.
fn random_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 || rng.chance(35) {
        return random_scalar(rng);
    }
    if rng.chance(30) {
        let n = rng.below(4);
        Value::Array((0..n).map(|_| random_value(rng, depth - 1)).collect())
    } else {
        let n = rng.below(5);
        let mut m = Map::new();
        for _ in 0..n {
            m.insert(rng.pick(KEYS).to_string(), random_value(rng, depth - 1));
        }
        Value::Object(m)
    }
}

/// Walks down from the root to a random node below it (stopping early with some probability). The
/// `openapi` member is left alone most of the time, so most mutants get past the version gate.
fn random_node<'a>(rng: &mut Rng, v: &'a mut Value) -> &'a mut Value {
    let keys: Vec<String> = match &*v {
        Value::Object(root) => root.keys().filter(|k| *k != "openapi").cloned().collect(),
        _ => Vec::new(),
    };
    if keys.is_empty() || !rng.chance(97) {
        return descend(rng, v, 0);
    }
    let key = rng.pick(&keys).clone();
    match v {
        Value::Object(root) => match root.get_mut(&key) {
            Some(child) => descend(rng, child, 1),
            None => unreachable!(),
        },
        _ => unreachable!(),
    }
}

fn descend<'a>(rng: &mut Rng, v: &'a mut Value, depth: usize) -> &'a mut Value {
    let len = match &*v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if (depth > 0 && rng.chance(12)) || len == 0 {
        return v;
    }
    let i = rng.below(len);
    let has_child = match &*v {
        Value::Object(m) => m.values().nth(i).is_some(),
        Value::Array(a) => a.get(i).is_some(),
        _ => false,
    };
    if !has_child {
        return v;
    }
    match v {
        Value::Object(m) => match m.values_mut().nth(i) {
            Some(child) => descend(rng, child, depth + 1),
            None => unreachable!(),
        },
        Value::Array(a) => match a.get_mut(i) {
            Some(child) => descend(rng, child, depth + 1),
            None => unreachable!(),
        },
        _ => unreachable!(),
    }
}

fn nest(v: Value, levels: usize, key: &str) -> Value {
    (0..levels).fold(v, |inner, _| {
        let mut m = Map::new();
        m.insert(key.to_string(), inner);
        Value::Object(m)
    })
}

/// Applies one random mutation; returns a short description.
fn mutate(rng: &mut Rng, doc: &mut Value) -> String {
    let kind = rng.below(7);
    let node = random_node(rng, doc);
    match kind {
        0 => {
            if let Value::Object(m) = node {
                if !m.is_empty() {
                    let i = rng.below(m.len());
                    let key = m.keys().nth(i).cloned().unwrap_or_default();
                    m.shift_remove(&key);
                    return format!("delete {key}");
                }
            }
            *node = Value::Null;
            "null".into()
        }
        1 => {
            *node = random_scalar(rng);
            format!("swap to {node}")
        }
        2 => {
            let key = rng.pick(KEYS).to_string();
            let value = random_value(rng, 3);
            let desc = format!("insert {key}");
            match node {
                Value::Object(m) => {
                    m.insert(key, value);
                }
                Value::Array(a) => a.push(value),
                other => *other = value,
            }
            desc
        }
        3 => {
            let r = if rng.chance(50) {
                rng.pick(STRINGS).to_string()
            } else {
                format!("#/components/schemas/S{}", rng.below(4))
            };
            let mut m = Map::new();
            m.insert("$ref".into(), Value::String(r.clone()));
            if rng.chance(30) {
                m.insert("description".into(), json!("d"));
            }
            *node = Value::Object(m);
            format!("ref {r}")
        }
        4 => {
            let levels = if rng.chance(10) { 300 } else { 2 + rng.below(60) };
            let key = *rng.pick(&["items", "not", "schema", "properties", "x"]);
            let inner = std::mem::take(node);
            *node = nest(inner, levels, key);
            format!("nest {levels} x {key}")
        }
        5 => {
            *node = Value::Bool(rng.chance(50));
            "boolean".into()
        }
        _ => {
            *node = random_value(rng, 4);
            "random subtree".into()
        }
    }
}

/// A small document made of random pieces of a corpus spec (fast to lower, so many can be tried).
fn fragment(rng: &mut Rng, spec: &Value) -> Value {
    let mut doc = json!({"openapi": if rng.chance(70) { "3.1.0" } else { "3.0.3" }, "info": {"title": "f", "version": "1"},
                         "paths": {}, "components": {"schemas": {}}});
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for _ in 0..3 {
            if let Some((k, v)) = paths.iter().nth(rng.below(paths.len())) {
                doc["paths"][k] = v.clone();
            }
        }
    }
    if let Some(schemas) = spec.pointer("/components/schemas").and_then(Value::as_object) {
        for _ in 0..6 {
            if let Some((k, v)) = schemas.iter().nth(rng.below(schemas.len())) {
                doc["components"]["schemas"][k] = v.clone();
            }
        }
        // Keep references resolvable often enough to reach the deeper rules.
        let names: Vec<String> = schemas.keys().take(4).cloned().collect();
        for (i, n) in names.iter().enumerate() {
            doc["components"]["schemas"][format!("S{i}")] = schemas[n].clone();
        }
    }
    doc
}

/// Lowers `doc` twice under `catch_unwind`; panics are failures, results must be identical. Returns
/// `None` when lowered, else the rule of the `SpecError`.
fn check(doc: Value, what: &str) -> Result<Option<String>, String> {
    let opts = LowerOptions::default();
    let run = |mut d: Value| catch_unwind(AssertUnwindSafe(|| (lower(&mut d, &opts), d)));
    let first = run(doc.clone()).map_err(|_| format!("lowering panicked: {what}"))?;
    if doc.to_string().len() < 20_000 {
        let second = run(doc).map_err(|_| format!("lowering panicked on the second run: {what}"))?;
        if first.0 != second.0 || first.1 != second.1 {
            return Err(format!("lowering is not deterministic: {what}"));
        }
    }
    // Whatever lowers must be a document openapiv3 parses (what progenitor is handed next).
    if first.0.is_ok() {
        if let Err(e) = serde_json::from_value::<openapiv3::OpenAPI>(first.1) {
            return Err(format!("openapiv3 rejects the lowered document ({e}): {what}"));
        }
    }
    Ok(first.0.err().map(|e| e.rule))
}

/// `FUZZ_SEED=n` explores other sequences (the default run is fixed, so CI is reproducible).
fn fuzz(seed: u64, whole_spec_mutants: usize, fragment_mutants: usize, random_docs: usize) {
    let seed = seed ^ std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let mut rng = Rng(seed | 1);
    // Random documents need no corpus: only the mutants read it (GitHub's CI has no corpus).
    let specs = if whole_spec_mutants + fragment_mutants > 0 { corpus() } else { Vec::new() };
    let mut ok = 0usize;
    let mut refused: std::collections::BTreeMap<String, usize> = Default::default();
    let mut failures = Vec::new();
    let mut tally = |r: Result<Option<String>, String>| match r {
        Ok(None) => ok += 1,
        Ok(Some(rule)) => *refused.entry(rule).or_default() += 1,
        Err(e) => failures.push(e),
    };
    for (name, spec) in &specs {
        for m in 0..whole_spec_mutants {
            let mut doc = spec.clone();
            let muts: Vec<String> = (0..1 + rng.below(8)).map(|_| mutate(&mut rng, &mut doc)).collect();
            tally(check(doc, &format!("seed {seed}: {name} mutant {m}: {muts:?}")));
        }
    }
    for m in 0..fragment_mutants {
        if specs.is_empty() {
            break;
        }
        let (name, spec) = &specs[rng.below(specs.len())];
        let mut doc = fragment(&mut rng, spec);
        let muts: Vec<String> = (0..1 + rng.below(12)).map(|_| mutate(&mut rng, &mut doc)).collect();
        tally(check(doc, &format!("seed {seed}: fragment {m} of {name}: {muts:?}")));
    }
    for m in 0..random_docs {
        let mut doc = random_value(&mut rng, 6);
        if rng.chance(80) {
            let mut root = Map::new();
            root.insert("openapi".into(), json!(if rng.chance(50) { "3.1.0" } else { "3.0.1" }));
            for key in ["info", "paths", "components"] {
                if rng.chance(70) {
                    root.insert(key.into(), random_value(&mut rng, 5));
                }
            }
            if let Value::Object(extra) = doc {
                for (k, v) in extra {
                    root.entry(k).or_insert(v);
                }
            }
            doc = Value::Object(root);
        }
        tally(check(doc.clone(), &format!("seed {seed}: random doc {m}: {doc}")));
    }
    assert!(failures.is_empty(), "{} failures, first: {}", failures.len(), failures.join("\n"));
    eprintln!("seed {seed}: {ok} lowered; refused by rule: {refused:?}");
}

#[test]
fn mutated_corpus_specs_never_panic() {
    fuzz(0x5EED_1234_ABCD_0001, 2, 0, 0);
}

#[test]
fn mutated_corpus_fragments_never_panic() {
    fuzz(0x5EED_1234_ABCD_0002, 0, 1000, 0);
}

#[test]
fn arbitrary_json_never_panics() {
    fuzz(0x5EED_1234_ABCD_0003, 0, 0, 2500);
}

#[test]
fn deep_documents_are_refused_not_overflowed() {
    // Run on a thread with the default test stack: nothing may recurse without a bound.
    let handle = std::thread::spawn(|| {
        // (`json!` would serialize an embedded deep value recursively: insert it by hand.)
        let with = |schema: Value| {
            let mut d = json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
                               "components": {"schemas": {}}});
            if let Some(Value::Object(m)) = d.pointer_mut("/components/schemas") {
                m.insert("Deep".into(), schema);
            }
            d
        };
        let mut ok_doc = with(nest(json!({"type": "string"}), 250, "items"));
        assert!(lower(&mut ok_doc, &LowerOptions::default()).is_ok());
        let mut deep = with(nest(json!({}), 5000, "items"));
        let err = lower(&mut deep, &LowerOptions::default()).unwrap_err();
        assert_eq!(err.rule, "max-depth");
        // Dropping a 5000-level Value recurses; unwind it by hand.
        let mut cur = deep.pointer_mut("/components/schemas/Deep").map(std::mem::take).unwrap_or_default();
        while let Some(next) = cur.as_object_mut().and_then(|m| m.shift_remove("items")) {
            cur = next;
        }
    });
    handle.join().expect("deep documents must not overflow the stack");
}
