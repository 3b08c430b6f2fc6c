//! References: every schema `$ref` made canonical (`#/components/schemas/<safe name>`, existing):
//! `$defs`/`definitions` hoisted, deep local pointers hoisted as components, dangling and external
//! references replaced by `{}` with a note, unsafe or colliding component names renamed. Non-schema
//! references (parameters, request bodies, responses, headers) are inlined, since progenitor resolves
//! them by last segment only, and the non-schema component sections are then removed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::walk::{self, Result};
use crate::pointer::join;
use crate::Report;

/// Runs all reference rewrites, in order.
pub fn lower(doc: &mut Value, report: &mut Report) -> Result<()> {
    hoist_defs(doc, report)?;
    canonicalize_schema_refs(doc, report)?;
    rename_components(doc, report)?;
    inline_non_schema_refs(doc, report);
    drop_non_schema_components(doc, report);
    Ok(())
}

fn schemas_mut(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    let root = doc.as_object_mut()?;
    let components = root.entry("components").or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let schemas = components.as_object_mut()?.entry("schemas").or_insert_with(|| Value::Object(Map::new()));
    if !schemas.is_object() {
        *schemas = Value::Object(Map::new());
    }
    schemas.as_object_mut()
}

fn taken_names(doc: &Value) -> BTreeSet<String> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(|k| walk::ident_key(k)).collect())
        .unwrap_or_default()
}

/// Moves every `$defs`/`definitions` block into `components.schemas` and rewrites the references to it.
/// Rule `hoist-defs`.
fn hoist_defs(doc: &mut Value, report: &mut Report) -> Result<()> {
    let mut taken = taken_names(doc);
    // (pointer of the def, its key, the schema)
    let mut pending: Vec<(String, String, Value)> = Vec::new();
    walk::for_each_schema(doc, &mut |schema, ptr| {
        take_defs(schema, ptr, &mut pending);
        Ok(())
    })?;
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    let mut by_key: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut rounds = 0;
    while !pending.is_empty() && rounds < walk::MAX_DEPTH {
        rounds += 1;
        let batch = std::mem::take(&mut pending);
        for (ptr, key, mut schema) in batch {
            // Nested defs inside a hoisted def are hoisted too.
            walk::walk_schema(&mut schema, &ptr, 0, &mut |phase, s, p| {
                if phase == walk::Phase::Pre {
                    take_defs(s, p, &mut pending);
                }
                Ok(())
            })?;
            let name = walk::unique_name(&safe_name(&key), &mut taken);
            report.count("hoist-defs");
            moved.insert(ptr, name.clone());
            by_key.entry(key).and_modify(|e| *e = None).or_insert_with(|| Some(name.clone()));
            if let Some(schemas) = schemas_mut(doc) {
                schemas.insert(name, schema);
            }
        }
    }
    if moved.is_empty() {
        return Ok(());
    }
    walk::for_each_schema(doc, &mut |schema, _| {
        let Some(r) = walk::ref_of(schema) else { return Ok(()) };
        let target = match walk::parse_local_ref(r) {
            Some(tokens) => {
                let p = walk::to_pointer(&tokens);
                moved.get(&p).cloned().or_else(|| match tokens.as_slice() {
                    // `#/$defs/X` written inside a component means that component's own `$defs`.
                    [d, key] if d == "$defs" || d == "definitions" => by_key.get(key).cloned().flatten(),
                    _ => None,
                })
            }
            None => None,
        };
        if let (Some(name), Some(obj)) = (target, schema.as_object_mut()) {
            obj.insert("$ref".into(), Value::String(walk::component_ref(&name)));
        }
        Ok(())
    })
}

fn take_defs(schema: &mut Value, ptr: &str, pending: &mut Vec<(String, String, Value)>) {
    let Value::Object(obj) = schema else { return };
    for kw in ["$defs", "definitions"] {
        if let Some(Value::Object(defs)) = obj.shift_remove(kw) {
            for (key, def) in defs {
                pending.push((join(&join(ptr, kw), &key), key, def));
            }
        }
    }
}

/// What to do with one `$ref` string.
enum Action {
    Keep,
    Point(String),
    Hoist(String, Value),
    Empty(&'static str, String),
}

/// Makes every schema `$ref` point at an existing `components.schemas` entry: deep local pointers are
/// hoisted as new components (`hoist-ref`), anything else becomes `{}` (`dangling-ref`, `external-ref`).
fn canonicalize_schema_refs(doc: &mut Value, report: &mut Report) -> Result<()> {
    let mut taken = taken_names(doc);
    let mut hoisted: BTreeMap<String, String> = BTreeMap::new();
    for _round in 0..walk::MAX_DEPTH {
        let mut refs: BTreeSet<String> = BTreeSet::new();
        let mut bad: Vec<String> = Vec::new();
        walk::for_each_schema(doc, &mut |schema, ptr| {
            if let Some(obj) = schema.as_object_mut() {
                match obj.get("$ref") {
                    Some(Value::String(r)) => {
                        refs.insert(r.clone());
                    }
                    Some(_) => {
                        obj.shift_remove("$ref");
                        bad.push(ptr.to_string());
                    }
                    None => {}
                }
            }
            Ok(())
        })?;
        for ptr in bad {
            report.note(&ptr, "invalid-ref", "`$ref` is not a string; removed");
        }
        let mut actions: BTreeMap<String, Action> = BTreeMap::new();
        let mut new_components: Vec<(String, Value)> = Vec::new();
        for r in refs {
            let action = decide(doc, &r, &mut hoisted, &mut taken);
            if let Action::Hoist(name, v) = &action {
                new_components.push((name.clone(), v.clone()));
            }
            actions.insert(r, action);
        }
        let mut notes: Vec<(String, &'static str, String)> = Vec::new();
        walk::for_each_schema(doc, &mut |schema, ptr| {
            let Some(r) = walk::ref_of(schema) else { return Ok(()) };
            let Some(action) = actions.get(r) else { return Ok(()) };
            let Some(obj) = schema.as_object_mut() else { return Ok(()) };
            match action {
                Action::Keep => {}
                Action::Point(name) | Action::Hoist(name, _) => {
                    obj.insert("$ref".into(), Value::String(walk::component_ref(name)));
                }
                Action::Empty(rule, message) => {
                    obj.shift_remove("$ref");
                    notes.push((ptr.to_string(), rule, message.clone()));
                }
            }
            Ok(())
        })?;
        for (ptr, rule, message) in notes {
            report.note(&ptr, rule, message);
        }
        if new_components.is_empty() {
            return Ok(());
        }
        if let Some(schemas) = schemas_mut(doc) {
            for (name, v) in new_components {
                report.count("hoist-ref");
                schemas.insert(name, v);
            }
        }
    }
    Ok(())
}

fn decide(doc: &Value, r: &str, hoisted: &mut BTreeMap<String, String>, taken: &mut BTreeSet<String>) -> Action {
    let Some(tokens) = walk::parse_local_ref(r) else {
        return if r.starts_with('#') {
            Action::Empty("dangling-ref", format!("`{r}` is not a JSON pointer; replaced by `{{}}`"))
        } else {
            Action::Empty("external-ref", format!("external reference `{r}` is not resolved; replaced by `{{}}`"))
        };
    };
    if let [c, s, name] = tokens.as_slice() {
        if c == "components" && s == "schemas" {
            return match doc.pointer("/components/schemas").and_then(|m| m.get(name.as_str())) {
                Some(_) if walk::component_ref(name) == r => Action::Keep,
                Some(_) => Action::Point(name.clone()),
                None => Action::Empty("dangling-ref", format!("`{r}` does not exist; replaced by `{{}}`")),
            };
        }
    }
    let ptr = walk::to_pointer(&tokens);
    if let Some(name) = hoisted.get(&ptr) {
        return Action::Point(name.clone());
    }
    match walk::get(doc, &tokens) {
        Some(target) if target.is_object() || target.is_boolean() => {
            let name = walk::unique_name(&hoist_name(&tokens), taken);
            hoisted.insert(ptr, name.clone());
            Action::Hoist(name, target.clone())
        }
        _ => Action::Empty("dangling-ref", format!("`{r}` does not resolve to a schema; replaced by `{{}}`")),
    }
}

/// Name for a schema hoisted from a deep pointer: the last two meaningful tokens, PascalCased.
fn hoist_name(tokens: &[String]) -> String {
    const STRUCTURAL: [&str; 20] = [
        "components",
        "schemas",
        "schema",
        "properties",
        "items",
        "additionalProperties",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "content",
        "$defs",
        "definitions",
        "paths",
        "parameters",
        "requestBody",
        "requestBodies",
        "responses",
        "headers",
        "prefixItems",
    ];
    let meaningful: Vec<&String> = tokens
        .iter()
        .filter(|t| {
            !STRUCTURAL.contains(&t.as_str())
                && !walk::METHODS.contains(&t.as_str())
                && !t.contains('/')
                && t.parse::<u64>().is_err()
        })
        .collect();
    let tail: Vec<String> = meaningful.iter().rev().take(2).rev().map(|t| walk::pascal(t)).collect();
    let name = safe_name(&tail.concat());
    if name.is_empty() {
        "Schema".to_string()
    } else {
        name
    }
}

/// A component name typify and progenitor resolve safely: `[A-Za-z0-9._-]`, other characters → `_`.
pub fn safe_name(name: &str) -> String {
    let s: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if walk::ident_key(&s).is_empty() {
        "Schema".to_string()
    } else {
        s
    }
}

/// Renames component schemas whose names are unsafe in a `$ref` or collide once typify PascalCases them
/// (`foo_bar` vs `FooBar`), and rewrites every reference. Rule `component-name`.
fn rename_components(doc: &mut Value, report: &mut Report) -> Result<()> {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let mut taken = BTreeSet::new();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    let old = std::mem::take(schemas);
    for (name, schema) in old {
        let safe = safe_name(&name);
        let new = walk::unique_name(&safe, &mut taken);
        if new != name {
            let why = if safe != name {
                "has characters that are unsafe in a reference"
            } else {
                "collides with an earlier schema once typify names it"
            };
            report.note(
                &join("/components/schemas", &name),
                "component-name",
                format!("schema `{name}` renamed `{new}`: it {why}"),
            );
            renames.insert(name, new.clone());
        }
        schemas.insert(new, schema);
    }
    if renames.is_empty() {
        return Ok(());
    }
    walk::for_each_schema(doc, &mut |schema, _| {
        let Some(r) = walk::ref_of(schema) else { return Ok(()) };
        let Some(new) = walk::component_name(r).and_then(|n| renames.get(&n)) else { return Ok(()) };
        let new_ref = walk::component_ref(new);
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("$ref".into(), Value::String(new_ref));
        }
        Ok(())
    })
}

/// Follows a non-schema `$ref` chain to the object it names.
fn resolve_chain(doc: &Value, v: &Value) -> std::result::Result<Value, String> {
    let mut cur = v;
    let mut seen = BTreeSet::new();
    for _ in 0..walk::MAX_REF_HOPS {
        let Some(r) = walk::ref_of(cur) else {
            return if cur.is_object() { Ok(cur.clone()) } else { Err("does not resolve to an object".into()) };
        };
        if !seen.insert(r.to_string()) {
            return Err(format!("`{r}` is part of a reference cycle"));
        }
        cur = match walk::resolve(doc, r) {
            Some(next) => next,
            None if r.starts_with('#') => return Err(format!("`{r}` does not exist")),
            None => return Err(format!("external reference `{r}` is not resolved")),
        };
    }
    Err("reference chain too long".into())
}

/// Inlines `$ref`s of parameters, request bodies, responses and their headers inside `paths`; drops
/// the ones that do not resolve (`dangling-ref`). Rule `inline-ref`.
fn inline_non_schema_refs(doc: &mut Value, report: &mut Report) {
    let has_refs = {
        let mut found = false;
        if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
            found = paths.values().any(|item| contains_non_schema_ref(item, 0));
        }
        found
    };
    if !has_refs {
        return;
    }
    let snapshot = doc.clone();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        let item_ptr = join("/paths", path);
        if let Some(params) = item.get_mut("parameters") {
            inline_list(&snapshot, params, &join(&item_ptr, "parameters"), report);
        }
        for m in walk::METHODS {
            let Some(Value::Object(op)) = item.get_mut(m) else { continue };
            let op_ptr = join(&item_ptr, m);
            if let Some(params) = op.get_mut("parameters") {
                inline_list(&snapshot, params, &join(&op_ptr, "parameters"), report);
            }
            if let Some(body) = op.get_mut("requestBody") {
                if let Err(why) = inline_one(&snapshot, body, report) {
                    op.shift_remove("requestBody");
                    report.note(&join(&op_ptr, "requestBody"), "dangling-ref", format!("request body {why}; dropped"));
                }
            }
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                let rptr = join(&op_ptr, "responses");
                let mut dead = Vec::new();
                for (code, r) in responses.iter_mut() {
                    if code.starts_with("x-") {
                        continue;
                    }
                    if let Err(why) = inline_one(&snapshot, r, report) {
                        dead.push((code.clone(), why));
                        continue;
                    }
                    if let Some(Value::Object(headers)) = r.get_mut("headers") {
                        let mut dead_headers = Vec::new();
                        for (name, h) in headers.iter_mut() {
                            if let Err(why) = inline_one(&snapshot, h, report) {
                                dead_headers.push((name.clone(), why));
                            }
                        }
                        for (name, why) in dead_headers {
                            headers.shift_remove(&name);
                            let p = join(&join(&join(&rptr, &code.clone()), "headers"), &name);
                            report.note(&p, "dangling-ref", format!("header {why}; dropped"));
                        }
                    }
                }
                for (code, why) in dead {
                    responses.shift_remove(&code);
                    report.drop_response(&join(&rptr, &code), "dangling-ref", format!("response {why}; dropped"));
                }
            }
        }
    }
}

fn contains_non_schema_ref(v: &Value, depth: usize) -> bool {
    if depth > 8 {
        return false;
    }
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| match k.as_str() {
            "$ref" => true,
            "schema" => false,
            _ => contains_non_schema_ref(v, depth + 1),
        }),
        Value::Array(a) => a.iter().any(|v| contains_non_schema_ref(v, depth + 1)),
        _ => false,
    }
}

fn inline_list(doc: &Value, list: &mut Value, ptr: &str, report: &mut Report) {
    let Value::Array(items) = list else { return };
    let mut keep = Vec::with_capacity(items.len());
    for (i, mut p) in std::mem::take(items).into_iter().enumerate() {
        match inline_one(doc, &mut p, report) {
            Ok(()) => keep.push(p),
            Err(why) => {
                report.drop_parameter(&format!("{ptr}/{i}"), "dangling-ref", format!("parameter {why}; dropped"))
            }
        }
    }
    *items = keep;
}

fn inline_one(doc: &Value, v: &mut Value, report: &mut Report) -> std::result::Result<(), String> {
    if walk::ref_of(v).is_none() {
        return if v.get("$ref").is_some() { Err("has a non-string `$ref`".into()) } else { Ok(()) };
    }
    let mut out = resolve_chain(doc, v)?;
    // Fields next to the reference (3.1 allows `summary`/`description`) win over the referenced ones.
    if let (Some(siblings), Some(target)) = (v.as_object(), out.as_object_mut()) {
        for (k, s) in siblings {
            if k != "$ref" {
                target.insert(k.clone(), s.clone());
            }
        }
    }
    *v = out;
    report.count("inline-ref");
    Ok(())
}

/// Removes component sections progenitor only reaches through references, which are inlined by now.
/// Rule `unused-components` (one per entry).
fn drop_non_schema_components(doc: &mut Value, report: &mut Report) {
    let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) else { return };
    for section in
        ["parameters", "requestBodies", "responses", "headers", "examples", "links", "callbacks", "pathItems"]
    {
        if let Some(v) = components.shift_remove(section) {
            report.count_n("unused-components", v.as_object().map_or(1, Map::len));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut doc: Value) -> (Value, Report) {
        let mut r = Report::new();
        lower(&mut doc, &mut r).unwrap();
        (doc, r)
    }

    #[test]
    fn defs_are_hoisted_and_refs_rewritten() {
        let (doc, r) = run(json!({
            "paths": {},
            "components": {"schemas": {
                "X": {"$defs": {"Y": {"type": "string"}}, "properties": {
                    "a": {"$ref": "#/components/schemas/X/$defs/Y"},
                    "b": {"$ref": "#/$defs/Y"}}},
                "Y": {"type": "integer"}}}
        }));
        assert_eq!(
            doc["components"]["schemas"],
            json!({
                "X": {"properties": {"a": {"$ref": "#/components/schemas/Y2"}, "b": {"$ref": "#/components/schemas/Y2"}}},
                "Y": {"type": "integer"},
                "Y2": {"type": "string"}
            })
        );
        assert_eq!(r.rule_count("hoist-defs"), 1);
    }

    #[test]
    fn deep_pointers_are_hoisted_and_dangling_refs_emptied() {
        let (doc, r) = run(json!({
            "paths": {"/a": {"get": {"responses": {"200": {"description": "", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"n": {"type": "number"}}}}}}}}}},
            "components": {"schemas": {
                "A": {"properties": {
                    "p": {"$ref": "#/paths/~1a/get/responses/200/content/application~1json/schema/properties/n"},
                    "q": {"$ref": "#/components/schemas/Missing"},
                    "r": {"$ref": "other.json#/X"},
                    "s": {"$ref": "#/components/schemas/A"}}}}}
        }));
        assert_eq!(
            doc["components"]["schemas"],
            json!({
                "A": {"properties": {"p": {"$ref": "#/components/schemas/N"}, "q": {}, "r": {}, "s": {"$ref": "#/components/schemas/A"}}},
                "N": {"type": "number"}
            })
        );
        assert_eq!(r.rule_count("dangling-ref"), 1);
        assert_eq!(r.rule_count("external-ref"), 1);
        assert_eq!(r.rule_count("hoist-ref"), 1);
    }

    #[test]
    fn unsafe_and_colliding_component_names_are_renamed() {
        let (doc, _) = run(json!({
            "paths": {},
            "components": {"schemas": {
                "a b": {"type": "string"}, "ab": {"type": "integer"}, "Ok": {"$ref": "#/components/schemas/a%20b"}}}
        }));
        assert_eq!(
            doc["components"]["schemas"],
            json!({"a_b": {"type": "string"}, "ab2": {"type": "integer"}, "Ok": {"$ref": "#/components/schemas/a_b"}})
        );
    }

    #[test]
    fn non_schema_refs_are_inlined_and_sections_dropped() {
        let (doc, r) = run(json!({
            "paths": {"/a/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {"parameters": [{"$ref": "#/components/parameters/Nope"}],
                        "responses": {"200": {"$ref": "#/components/responses/Ok"},
                                      "404": {"$ref": "#/components/responses/Gone"}}}}},
            "components": {
                "parameters": {"Id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}},
                "responses": {"Ok": {"$ref": "#/components/responses/Ok2"}, "Ok2": {"description": "fine"}}}
        }));
        assert_eq!(
            doc["paths"],
            json!({"/a/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"parameters": [], "responses": {"200": {"description": "fine"}}}}})
        );
        assert_eq!(doc["components"], json!({}));
        assert_eq!(r.dropped_responses().len(), 1);
        assert_eq!(r.rule_count("unused-components"), 3);
    }
}
