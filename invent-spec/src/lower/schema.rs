//! Schema keywords, JSON Schema 2020-12 (OpenAPI 3.1) → OpenAPI 3.0: boolean schemas, `type` arrays and
//! `type: null`, `null` branches of `anyOf`/`oneOf`, `const`, `examples`, numeric exclusive bounds,
//! numeric keywords written as strings, `contentMediaType`/`contentEncoding`, `prefixItems` and tuple
//! `items`, `unevaluatedProperties`, keywords 3.0 lacks (`if`/`then`/`else`, `dependent*`,
//! `patternProperties`, `propertyNames`, `contains`, `$id`/`$schema`/`$comment`/`$anchor`/`$dynamicRef`),
//! arrays without `items`, `format` on non-scalars, Python-only regex syntax, malformed keyword values,
//! `title` (typify names types after it) and `$ref` siblings (wrapped in `allOf`).

use serde_json::{Map, Number, Value};

use super::walk::{self, Phase, Result};
use super::LowerOptions;
use crate::pointer::join;
use crate::Report;

pub fn lower(doc: &mut Value, opts: &LowerOptions, report: &mut Report) -> Result<()> {
    walk::for_each_schema_root(doc, &mut |schema, ptr| {
        walk::walk_schema(schema, ptr, 0, &mut |phase, s, p| {
            if phase == Phase::Pre {
                lower_node(s, p, opts, report);
            }
            Ok(())
        })
    })
}

/// All keyword rewrites of one schema node (its subschemas are visited afterwards).
pub fn lower_node(schema: &mut Value, ptr: &str, opts: &LowerOptions, report: &mut Report) {
    boolean_schema(schema, ptr, report);
    let Value::Object(obj) = schema else { return };
    meta_keywords(obj, ptr, report);
    for _ in 0..8 {
        if !null_branches(obj, report) {
            break;
        }
    }
    if opts.strip_titles && obj.shift_remove("title").is_some() {
        report.count("strip-title");
    }
    examples(obj, report);
    numeric_keywords(obj, ptr, report);
    exclusive_bounds(obj, report);
    const_keyword(obj, report);
    untyped_enum(obj, report);
    types(obj, ptr, report);
    content_media_type(obj, report);
    tuples(obj, report);
    unsupported_keywords(obj, report);
    malformed_keywords(obj, ptr, report);
    array_items(obj, report);
    format_on_non_scalar(obj, report);
    pattern_dialect(obj, ptr, report);
    ref_siblings(obj, opts, report);
}

/// `true` → `{}`, `false` → `{not: {}}`; any other non-object → `{}` (rule `invalid-schema`).
fn boolean_schema(schema: &mut Value, ptr: &str, report: &mut Report) {
    match schema {
        Value::Object(_) => {}
        Value::Bool(true) => {
            *schema = Value::Object(Map::new());
            report.count("boolean-schema");
        }
        Value::Bool(false) => {
            *schema = obj_single("not", Value::Object(Map::new()));
            report.count("boolean-schema");
        }
        _ => {
            let kind = json_type(schema);
            *schema = Value::Object(Map::new());
            report.note(ptr, "invalid-schema", format!("a schema cannot be a {kind}; replaced by `{{}}`"));
        }
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `$id`, `$schema`, `$comment`, `$anchor`, `$vocabulary`, ... are dropped (`schema-meta-keyword`);
/// `$dynamicRef`/`$recursiveRef` cannot be resolved and are dropped with a note.
fn meta_keywords(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    for k in ["$id", "$schema", "$comment", "$anchor", "$dynamicAnchor", "$vocabulary", "$recursiveAnchor"] {
        if obj.shift_remove(k).is_some() {
            report.count("schema-meta-keyword");
        }
    }
    for k in ["$dynamicRef", "$recursiveRef"] {
        if obj.shift_remove(k).is_some() {
            report.note(ptr, "dangling-ref", format!("`{k}` is not supported; dropped"));
        }
    }
}

/// Whether a schema only admits `null` (`{type: null}`, `{type: [null]}`, `{const: null}`,
/// `{enum: [null]}`).
pub fn is_null_schema(v: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    if o.contains_key("$ref") || ["anyOf", "oneOf", "allOf", "properties", "items"].iter().any(|k| o.contains_key(*k)) {
        return false;
    }
    match o.get("type") {
        Some(Value::String(t)) if t == "null" => return true,
        Some(Value::Array(ts)) if !ts.is_empty() && ts.iter().all(|t| t == "null") => return true,
        Some(_) => return false,
        None => {}
    }
    o.get("const").is_some_and(Value::is_null)
        || o.get("enum").and_then(Value::as_array).is_some_and(|e| !e.is_empty() && e.iter().all(Value::is_null))
}

/// Annotation keywords that may sit next to anything without changing what it validates.
const ANNOTATIONS: [&str; 8] =
    ["description", "title", "example", "examples", "deprecated", "readOnly", "writeOnly", "externalDocs"];

/// `anyOf`/`oneOf` with `null` branches → `nullable: true` on the node; a single remaining branch is
/// merged into the node (a `$ref` branch as `allOf: [$ref]`). Rule `null-branch`. Returns whether
/// anything changed.
fn null_branches(obj: &mut Map<String, Value>, report: &mut Report) -> bool {
    let mut changed = false;
    for comb in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = obj.get_mut(comb) else { continue };
        let before = branches.len();
        branches.retain(|b| !is_null_schema(b));
        if branches.len() == before {
            continue;
        }
        changed = true;
        report.count("null-branch");
        let rest = std::mem::take(branches);
        obj.shift_remove(comb);
        match rest.len() {
            0 => make_null(obj),
            1 => {
                let mut rest = rest;
                let branch = rest.pop().unwrap_or_default();
                merge_branch(obj, branch);
                obj.insert("nullable".into(), Value::Bool(true));
            }
            _ => {
                obj.insert(comb.into(), Value::Array(rest));
                obj.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
    changed
}

/// The 3.0 spelling of "only null": `{nullable: true, enum: [null]}`.
fn make_null(obj: &mut Map<String, Value>) {
    obj.shift_remove("type");
    obj.insert("nullable".into(), Value::Bool(true));
    obj.insert("enum".into(), Value::Array(vec![Value::Null]));
}

/// Merges the only remaining branch of a union into the node: inline when no keyword clashes,
/// otherwise (or for `$ref`s and booleans) as an `allOf` member.
fn merge_branch(obj: &mut Map<String, Value>, branch: Value) {
    let clash = match &branch {
        Value::Object(b) => {
            b.contains_key("$ref") || b.keys().any(|k| obj.contains_key(k) && !ANNOTATIONS.contains(&k.as_str()))
        }
        _ => true,
    };
    if clash {
        match obj.get_mut("allOf") {
            Some(Value::Array(all)) => all.push(branch),
            _ => {
                obj.insert("allOf".into(), Value::Array(vec![branch]));
            }
        }
    } else if let Value::Object(b) = branch {
        for (k, v) in b {
            obj.entry(k).or_insert(v);
        }
    }
}

/// `examples: [a, ...]` → `example: a` (rule `examples`).
fn examples(obj: &mut Map<String, Value>, report: &mut Report) {
    let Some(ex) = obj.shift_remove("examples") else { return };
    report.count("examples");
    if obj.contains_key("example") {
        return;
    }
    if let Value::Array(mut values) = ex {
        if !values.is_empty() {
            obj.insert("example".into(), values.swap_remove(0));
        }
    }
}

/// Parses a keyword value written as a string (`"1e-08"`).
fn parse_number(s: &str) -> Option<Number> {
    let s = s.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = s.parse::<u64>() {
        return Some(u.into());
    }
    s.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Numeric keywords: strings parsed (`numeric-keyword`), counts made non-negative integers, anything
/// else removed (`malformed-keyword`).
fn numeric_keywords(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    for k in ["minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum"] {
        let fixed = match obj.get(k) {
            None | Some(Value::Number(_)) => continue,
            Some(Value::Bool(_)) if k.starts_with("exclusive") => continue,
            Some(Value::String(s)) => parse_number(s),
            Some(_) => None,
        };
        match fixed {
            Some(n) => {
                obj.insert(k.into(), Value::Number(n));
                report.count("numeric-keyword");
            }
            None => {
                obj.shift_remove(k);
                report.note(&join(ptr, k), "malformed-keyword", format!("`{k}` is not a number; removed"));
            }
        }
    }
    if obj.get("multipleOf").and_then(Value::as_f64).is_some_and(|m| m <= 0.0) {
        obj.shift_remove("multipleOf");
        report.count("malformed-keyword");
    }
    for k in ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"] {
        let Some(v) = obj.get(k) else { continue };
        if v.is_u64() {
            continue;
        }
        let as_f = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match as_f {
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 9.0e15 => {
                obj.insert(k.into(), Value::Number(Number::from(f as u64)));
                report.count("numeric-keyword");
            }
            _ => {
                obj.shift_remove(k);
                report.note(
                    &join(ptr, k),
                    "malformed-keyword",
                    format!("`{k}` is not a non-negative integer; removed"),
                );
            }
        }
    }
}

/// Numeric `exclusiveMinimum: x` → `minimum: x, exclusiveMinimum: true` (the stricter bound wins);
/// a boolean exclusive flag without its bound is removed (progenitor `todo!`s on it). Rule
/// `exclusive-bound`.
fn exclusive_bounds(obj: &mut Map<String, Value>, report: &mut Report) {
    for (ex, bound, lower) in [("exclusiveMinimum", "minimum", true), ("exclusiveMaximum", "maximum", false)] {
        match obj.get(ex) {
            Some(Value::Number(x)) => {
                let x = x.clone();
                let stricter = match obj.get(bound).and_then(Value::as_f64) {
                    None => true,
                    Some(b) => {
                        let xf = x.as_f64().unwrap_or(b);
                        if lower {
                            xf >= b
                        } else {
                            xf <= b
                        }
                    }
                };
                if stricter {
                    obj.insert(bound.into(), Value::Number(x));
                    obj.insert(ex.into(), Value::Bool(true));
                } else {
                    obj.shift_remove(ex);
                }
                report.count("exclusive-bound");
            }
            Some(Value::Bool(true)) if !obj.contains_key(bound) => {
                obj.shift_remove(ex);
                report.count("exclusive-bound");
            }
            _ => {}
        }
    }
}

/// `const: v` → `enum: [v]`, with `type` inferred when absent (`const: null` → the null schema).
/// Rule `const`.
fn const_keyword(obj: &mut Map<String, Value>, report: &mut Report) {
    let Some(c) = obj.shift_remove("const") else { return };
    report.count("const");
    if c.is_null() {
        make_null(obj);
        return;
    }
    let inferred = json_type(&c);
    obj.insert("enum".into(), Value::Array(vec![c]));
    let combinators = ["allOf", "anyOf", "oneOf", "$ref"].iter().any(|k| obj.contains_key(*k));
    if !obj.contains_key("type") && !combinators {
        obj.insert("type".into(), Value::String(inferred.into()));
    }
}

/// An `enum` without `type` whose values have several JSON types makes typify panic ("multiple implied
/// types for an un-typed enum"): the types are spelled out (then split by the `type`-array rule).
/// Rule `untyped-enum`.
fn untyped_enum(obj: &mut Map<String, Value>, report: &mut Report) {
    if obj.contains_key("type") || ["allOf", "anyOf", "oneOf", "$ref"].iter().any(|k| obj.contains_key(*k)) {
        return;
    }
    let Some(Value::Array(values)) = obj.get("enum") else { return };
    let mut types: Vec<&str> = Vec::new();
    for v in values {
        let t = match json_type(v) {
            "integer" if values.iter().any(|w| json_type(w) == "number") => "number",
            t => t,
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    if types.iter().filter(|t| **t != "null").count() > 1 {
        let list = types.iter().map(|t| Value::String((*t).to_string())).collect();
        obj.insert("type".into(), Value::Array(list));
        report.count("untyped-enum");
    }
}

const STRING_KW: [&str; 3] = ["pattern", "minLength", "maxLength"];
const NUMBER_KW: [&str; 5] = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"];
const ARRAY_KW: [&str; 9] = [
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "unevaluatedItems",
];
const OBJECT_KW: [&str; 11] = [
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "maxProperties",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "dependentRequired",
    "dependentSchemas",
    "discriminator",
];
const KNOWN_TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

fn is_numeric_format(f: &str) -> bool {
    matches!(f, "float" | "double" | "decimal") || f.starts_with("int") || f.starts_with("uint")
}

/// `type` arrays → one type (+ `nullable`) or `oneOf` branches with the type-specific keywords moved
/// into them (`type-array`); `type: null` → the null schema (`type-null`); `file` → binary string,
/// `any` and unknown types removed (`unknown-type`).
fn types(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(t) = obj.get("type") else { return };
    let list: Vec<Value> = match t {
        Value::String(s) if KNOWN_TYPES.contains(&s.as_str()) => return,
        Value::String(s) if s == "null" => {
            make_null(obj);
            report.count("type-null");
            return;
        }
        Value::String(s) if s == "file" => {
            obj.insert("type".into(), Value::String("string".into()));
            obj.insert("format".into(), Value::String("binary".into()));
            report.count("unknown-type");
            return;
        }
        Value::Array(list) => list.clone(),
        other => {
            let shown = other.to_string();
            obj.shift_remove("type");
            report.note(&join(ptr, "type"), "unknown-type", format!("unknown type {shown} removed"));
            return;
        }
    };
    report.count("type-array");
    obj.shift_remove("type");
    let mut names: Vec<String> = Vec::new();
    let mut nullable = false;
    for t in list {
        match t.as_str() {
            Some("null") => nullable = true,
            Some(s) if KNOWN_TYPES.contains(&s) => {
                if !names.iter().any(|n| n == s) {
                    names.push(s.to_string());
                }
            }
            _ => report.note(&join(ptr, "type"), "unknown-type", format!("unknown type {t} removed")),
        }
    }
    if names.iter().any(|n| n == "number") {
        names.retain(|n| n != "integer");
    }
    match names.len() {
        0 if nullable => make_null(obj),
        0 => {}
        1 => {
            obj.insert("type".into(), Value::String(names.remove(0)));
            if nullable {
                obj.insert("nullable".into(), Value::Bool(true));
            }
        }
        _ => {
            split_types(obj, &names);
            if nullable {
                obj.insert("nullable".into(), Value::Bool(true));
            }
        }
    }
}

/// Builds one `oneOf` branch per type, moving `enum` values and type-specific keywords into them.
fn split_types(obj: &mut Map<String, Value>, names: &[String]) {
    let values: Option<Vec<Value>> = match obj.shift_remove("enum") {
        Some(Value::Array(v)) => Some(v),
        _ => None,
    };
    let format = obj.shift_remove("format");
    let mut branches = Vec::new();
    for t in names {
        let mut b = Map::new();
        b.insert("type".into(), Value::String(t.clone()));
        let keywords: &[&str] = match t.as_str() {
            "string" => &STRING_KW,
            "number" | "integer" => &NUMBER_KW,
            "array" => &ARRAY_KW,
            "object" => &OBJECT_KW,
            _ => &[],
        };
        for k in keywords {
            if let Some(v) = obj.get(*k) {
                b.insert((*k).into(), v.clone());
            }
        }
        if let Some(Value::String(f)) = &format {
            let fits = match t.as_str() {
                "string" => !is_numeric_format(f),
                "number" | "integer" => is_numeric_format(f),
                _ => false,
            };
            if fits {
                b.insert("format".into(), Value::String(f.clone()));
            }
        }
        if let Some(values) = &values {
            let mine: Vec<Value> = values.iter().filter(|v| value_fits(v, t)).cloned().collect();
            if mine.is_empty() {
                continue;
            }
            b.insert("enum".into(), Value::Array(mine));
        }
        branches.push(Value::Object(b));
    }
    for k in STRING_KW.iter().chain(NUMBER_KW.iter()).chain(ARRAY_KW.iter()).chain(OBJECT_KW.iter()) {
        obj.shift_remove(*k);
    }
    if branches.len() == 1 {
        if let Some(Value::Object(b)) = branches.pop() {
            for (k, v) in b {
                obj.insert(k, v);
            }
        }
        return;
    }
    let target = if !obj.contains_key("oneOf") {
        "oneOf"
    } else if !obj.contains_key("anyOf") {
        "anyOf"
    } else {
        let wrapped = obj_single("oneOf", Value::Array(branches));
        match obj.get_mut("allOf") {
            Some(Value::Array(all)) => all.push(wrapped),
            _ => {
                obj.insert("allOf".into(), Value::Array(vec![wrapped]));
            }
        }
        return;
    };
    obj.insert(target.into(), Value::Array(branches));
}

/// Whether a JSON value is an instance of an OpenAPI 3.0 `type`.
pub fn value_fits(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// `contentMediaType`/`contentEncoding`/`contentSchema` → `format: byte` (base64) or `format: binary`
/// (non-text media type) on strings. Rule `content-media-type`.
fn content_media_type(obj: &mut Map<String, Value>, report: &mut Report) {
    let media = obj.shift_remove("contentMediaType");
    let encoding = obj.shift_remove("contentEncoding");
    let schema = obj.shift_remove("contentSchema");
    if media.is_none() && encoding.is_none() && schema.is_none() {
        return;
    }
    report.count("content-media-type");
    if obj.get("type").and_then(Value::as_str) != Some("string") || obj.contains_key("format") {
        return;
    }
    let encoding = encoding.as_ref().and_then(Value::as_str).map(str::to_ascii_lowercase);
    let media = media.as_ref().and_then(Value::as_str).map(str::to_ascii_lowercase);
    let format = match (encoding.as_deref(), media.as_deref()) {
        (Some("base64" | "base64url"), _) => Some("byte"),
        (_, Some(m)) if !(m.starts_with("text/") || m.contains("json") || m.contains("xml")) => Some("binary"),
        _ => None,
    };
    if let Some(f) = format {
        obj.insert("format".into(), Value::String(f.into()));
    }
}

/// `prefixItems` (and draft-4 array `items`) → `items: {anyOf: [distinct schemas]}` (or the single
/// schema), `maxItems` when no further items are allowed; boolean `items` → `{}`. Rule `tuple-items`.
fn tuples(obj: &mut Map<String, Value>, report: &mut Report) {
    let (prefix, rest) = match (obj.shift_remove("prefixItems"), obj.get("items")) {
        (Some(Value::Array(prefix)), _) => (prefix, obj.shift_remove("items")),
        (Some(_), _) => {
            report.count("tuple-items");
            (Vec::new(), obj.shift_remove("items"))
        }
        (None, Some(Value::Array(_))) => match obj.shift_remove("items") {
            Some(Value::Array(prefix)) => (prefix, obj.shift_remove("additionalItems")),
            _ => return,
        },
        (None, Some(Value::Bool(allowed))) => {
            let allowed = *allowed;
            obj.insert("items".into(), Value::Object(Map::new()));
            if !allowed {
                obj.insert("maxItems".into(), Value::from(0u64));
            }
            report.count("tuple-items");
            return;
        }
        (None, _) => return,
    };
    report.count("tuple-items");
    let n = prefix.len();
    let mut distinct: Vec<Value> = Vec::new();
    for p in prefix {
        if !distinct.contains(&p) {
            distinct.push(p);
        }
    }
    match rest {
        Some(Value::Bool(false)) => {
            let max = obj.get("maxItems").and_then(Value::as_u64).map_or(n as u64, |m| m.min(n as u64));
            obj.insert("maxItems".into(), Value::from(max));
        }
        Some(v @ Value::Object(_)) if !distinct.contains(&v) => distinct.push(v),
        _ => {}
    }
    let items = match distinct.len() {
        0 => Value::Object(Map::new()),
        1 => distinct.pop().unwrap_or_default(),
        _ => obj_single("anyOf", Value::Array(distinct)),
    };
    obj.insert("items".into(), items);
}

/// Keywords OpenAPI 3.0 lacks: `unevaluatedProperties: false` becomes `additionalProperties: false`
/// (`unevaluated-properties`); the rest is removed (`unsupported-keyword`, one per keyword).
fn unsupported_keywords(obj: &mut Map<String, Value>, report: &mut Report) {
    if let Some(u) = obj.shift_remove("unevaluatedProperties") {
        report.count("unevaluated-properties");
        if u == Value::Bool(false) && !obj.contains_key("additionalProperties") {
            obj.insert("additionalProperties".into(), Value::Bool(false));
        }
    }
    for k in [
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "patternProperties",
        "propertyNames",
        "contains",
        "minContains",
        "maxContains",
        "unevaluatedItems",
        "additionalItems",
        "$defs",
        "definitions",
    ] {
        if obj.shift_remove(k).is_some() {
            report.count("unsupported-keyword");
        }
    }
}

/// Keyword values of the wrong JSON type (which make `openapiv3` reject the whole document) are removed
/// or repaired. Rule `malformed-keyword`.
fn malformed_keywords(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let mut removed: Vec<&str> = Vec::new();
    for k in ["nullable", "readOnly", "writeOnly", "deprecated", "uniqueItems"] {
        match obj.get(k) {
            Some(Value::Bool(false)) => {
                obj.shift_remove(k);
            }
            Some(Value::Bool(true)) | None => {}
            Some(_) => {
                obj.shift_remove(k);
                removed.push(k);
            }
        }
    }
    for k in ["description", "format", "pattern"] {
        if obj.get(k).is_some_and(|v| !v.is_string()) {
            obj.shift_remove(k);
            removed.push(k);
        }
    }
    if let Some(req) = obj.get_mut("required") {
        match req {
            Value::Array(list) => {
                let before = list.len();
                list.retain(Value::is_string);
                let mut seen = std::collections::BTreeSet::new();
                list.retain(|v| seen.insert(v.as_str().unwrap_or_default().to_string()));
                if list.len() != before {
                    report.count("malformed-keyword");
                }
                if list.is_empty() {
                    obj.shift_remove("required");
                }
            }
            _ => {
                obj.shift_remove("required");
                removed.push("required");
            }
        }
    }
    match obj.get_mut("enum") {
        Some(Value::Array(values)) => {
            let mut distinct: Vec<Value> = Vec::new();
            for v in values.drain(..) {
                if !distinct.contains(&v) {
                    distinct.push(v);
                }
            }
            if distinct.is_empty() {
                obj.shift_remove("enum");
                removed.push("enum");
            } else {
                *values = distinct;
            }
        }
        Some(_) => {
            obj.shift_remove("enum");
            removed.push("enum");
        }
        None => {}
    }
    if obj.get("properties").is_some_and(|p| !p.is_object()) {
        obj.shift_remove("properties");
        removed.push("properties");
    }
    if obj.get("additionalProperties").is_some_and(|a| !a.is_object() && !a.is_boolean()) {
        obj.shift_remove("additionalProperties");
        removed.push("additionalProperties");
    }
    if obj.get("not").is_some_and(|n| !n.is_object() && !n.is_boolean()) {
        obj.shift_remove("not");
        removed.push("not");
    }
    if obj.get("items").is_some_and(|i| !i.is_object()) {
        obj.shift_remove("items");
        removed.push("items");
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        match obj.get(k) {
            Some(Value::Array(a)) if !a.is_empty() => {}
            Some(_) => {
                obj.shift_remove(k);
                removed.push(k);
            }
            None => {}
        }
    }
    if let Some(d) = obj.get("discriminator") {
        let ok = d.get("propertyName").is_some_and(Value::is_string)
            && d.get("mapping").is_none_or(|m| m.as_object().is_some_and(|m| m.values().all(Value::is_string)));
        if !ok {
            obj.shift_remove("discriminator");
            removed.push("discriminator");
        }
    }
    if let Some(d) = obj.get("externalDocs") {
        if !d.get("url").is_some_and(Value::is_string) || d.get("description").is_some_and(|v| !v.is_string()) {
            obj.shift_remove("externalDocs");
            removed.push("externalDocs");
        }
    }
    if obj.get("type").is_some_and(|t| !t.is_string()) {
        obj.shift_remove("type");
        removed.push("type");
    }
    if obj.get("title").is_some_and(|t| !t.is_string()) {
        obj.shift_remove("title");
        removed.push("title");
    }
    for k in removed {
        report.note(&join(ptr, k), "malformed-keyword", format!("`{k}` has the wrong JSON type; removed"));
    }
}

/// `type: array` without `items` → `items: {}` (rule `array-items`).
fn array_items(obj: &mut Map<String, Value>, report: &mut Report) {
    if obj.get("type").and_then(Value::as_str) == Some("array") && !obj.contains_key("items") {
        obj.insert("items".into(), Value::Object(Map::new()));
        report.count("array-items");
    }
}

/// `format` on `object`/`array`/`boolean` makes typify fail; removed (rule `format-on-non-scalar`).
fn format_on_non_scalar(obj: &mut Map<String, Value>, report: &mut Report) {
    let non_scalar = matches!(obj.get("type").and_then(Value::as_str), Some("object" | "array" | "boolean"));
    if non_scalar && obj.shift_remove("format").is_some() {
        report.count("format-on-non-scalar");
    }
}

/// Regex syntax ECMA-262 (regress) lacks: Python named groups `(?P<n>` → `(?<n>`, `(?P=n)` → `\k<n>`,
/// `\A`/`\Z` → `^`/`$`. Patterns with inline flags or possessive/atomic groups are dropped (a client
/// does not need to validate). Rule `pattern-dialect`.
fn pattern_dialect(obj: &mut Map<String, Value>, ptr: &str, report: &mut Report) {
    let Some(Value::String(p)) = obj.get("pattern") else { return };
    let mut fixed = p.replace("(?P<", "(?<");
    while let Some(start) = fixed.find("(?P=") {
        let Some(end) = fixed[start..].find(')') else { break };
        let name = fixed[start + 4..start + end].to_string();
        fixed.replace_range(start..start + end + 1, &format!("\\k<{name}>"));
    }
    fixed = fixed.replace("\\A", "^").replace("\\Z", "$").replace("\\z", "$");
    let unsupported = ["(?i", "(?m", "(?s", "(?x", "(?u", "(?a", "(?>", "(?#", "*+", "++", "?+", "\\h", "\\G", "[[:"]
        .iter()
        .any(|bad| fixed.contains(bad));
    if unsupported {
        obj.shift_remove("pattern");
        report.note(&join(ptr, "pattern"), "pattern-dialect", "pattern uses syntax ECMA-262 regexes lack; removed");
    } else if &fixed != p {
        obj.insert("pattern".into(), Value::String(fixed));
        report.count("pattern-dialect");
    }
}

/// `$ref` with siblings: `{allOf: [{$ref}], ...siblings}` so the siblings are not silently lost
/// (or siblings dropped when `wrap_ref_siblings` is off). Rule `ref-siblings`.
fn ref_siblings(obj: &mut Map<String, Value>, opts: &LowerOptions, report: &mut Report) {
    let Some(r) = obj.get("$ref").cloned() else { return };
    if obj.len() == 1 {
        return;
    }
    report.count("ref-siblings");
    let extensions: Vec<String> = obj.keys().filter(|k| k.starts_with("x-")).cloned().collect();
    for k in extensions {
        obj.shift_remove(&k);
    }
    obj.shift_remove("$ref");
    if obj.is_empty() || !opts.wrap_ref_siblings {
        obj.clear();
        obj.insert("$ref".into(), r);
        return;
    }
    let member = obj_single("$ref", r);
    match obj.get_mut("allOf") {
        Some(Value::Array(all)) => all.insert(0, member),
        _ => {
            obj.insert("allOf".into(), Value::Array(vec![member]));
        }
    }
}

fn obj_single(k: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(k.into(), v);
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Lowers one schema (and its subschemas) with default options.
    fn lower_one(mut v: Value) -> (Value, Report) {
        let mut r = Report::new();
        let opts = LowerOptions::default();
        walk::walk_schema(&mut v, "", 0, &mut |phase, s, p| {
            if phase == Phase::Pre {
                lower_node(s, p, &opts, &mut r);
            }
            Ok(())
        })
        .unwrap();
        (v, r)
    }

    fn check(input: Value, expected: Value, rule: &str) {
        let (out, r) = lower_one(input.clone());
        assert_eq!(out, expected, "input: {input}");
        assert!(r.rule_count(rule) > 0, "rule {rule} did not fire on {input}: {:?}", r.counts());
    }

    #[test]
    fn boolean_schema() {
        check(
            json!({"properties": {"a": true, "b": false}}),
            json!({"properties": {"a": {}, "b": {"not": {}}}}),
            "boolean-schema",
        );
        check(json!({"items": 3, "type": "array"}), json!({"type": "array", "items": {}}), "malformed-keyword");
        check(json!({"properties": {"a": "string"}}), json!({"properties": {"a": {}}}), "invalid-schema");
    }

    #[test]
    fn type_array_with_null() {
        check(json!({"type": ["string", "null"]}), json!({"type": "string", "nullable": true}), "type-array");
    }

    #[test]
    fn type_array_multi() {
        check(
            json!({"type": ["integer", "string", "null"], "minimum": 1, "maxLength": 3, "enum": [1, "a", null], "description": "d"}),
            json!({"description": "d", "oneOf": [
                {"type": "integer", "minimum": 1, "enum": [1]},
                {"type": "string", "maxLength": 3, "enum": ["a"]}], "nullable": true}),
            "type-array",
        );
        check(json!({"type": ["number", "integer"]}), json!({"type": "number"}), "type-array");
    }

    #[test]
    fn type_null() {
        check(json!({"type": "null"}), json!({"nullable": true, "enum": [null]}), "type-null");
    }

    #[test]
    fn untyped_enum() {
        check(
            json!({"enum": ["a", 1, 2.5]}),
            json!({"oneOf": [{"type": "string", "enum": ["a"]}, {"type": "number", "enum": [1, 2.5]}]}),
            "untyped-enum",
        );
    }

    #[test]
    fn unknown_types() {
        check(json!({"type": "file"}), json!({"type": "string", "format": "binary"}), "unknown-type");
        check(json!({"type": "any"}), json!({}), "unknown-type");
    }

    #[test]
    fn null_branch_ref() {
        check(
            json!({"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}], "description": "d"}),
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}], "nullable": true}),
            "null-branch",
        );
    }

    #[test]
    fn null_branch_inline_and_many() {
        check(
            json!({"oneOf": [{"type": "string"}, {"type": "null"}]}),
            json!({"type": "string", "nullable": true}),
            "null-branch",
        );
        check(
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}),
            "null-branch",
        );
        check(json!({"anyOf": [{"type": "null"}]}), json!({"nullable": true, "enum": [null]}), "null-branch");
    }

    #[test]
    fn const_keyword() {
        check(json!({"const": "x"}), json!({"enum": ["x"], "type": "string"}), "const");
        check(json!({"const": false}), json!({"enum": [false], "type": "boolean"}), "const");
        check(json!({"type": "integer", "const": 3}), json!({"type": "integer", "enum": [3]}), "const");
    }

    #[test]
    fn examples() {
        check(json!({"type": "string", "examples": ["a", "b"]}), json!({"type": "string", "example": "a"}), "examples");
    }

    #[test]
    fn exclusive_bounds() {
        check(
            json!({"type": "number", "exclusiveMinimum": 0}),
            json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}),
            "exclusive-bound",
        );
        check(
            json!({"type": "number", "minimum": 5, "exclusiveMinimum": 0}),
            json!({"type": "number", "minimum": 5}),
            "exclusive-bound",
        );
        check(json!({"exclusiveMaximum": true}), json!({}), "exclusive-bound");
    }

    #[test]
    fn numeric_keywords() {
        check(
            json!({"type": "number", "minimum": "1e-08", "maxLength": 2.0}),
            json!({"type": "number", "minimum": 1e-08, "maxLength": 2}),
            "numeric-keyword",
        );
        check(json!({"minItems": -1, "multipleOf": 0}), json!({}), "malformed-keyword");
    }

    #[test]
    fn content_media_type() {
        check(
            json!({"type": "string", "contentMediaType": "image/png"}),
            json!({"type": "string", "format": "binary"}),
            "content-media-type",
        );
        check(
            json!({"type": "string", "contentEncoding": "base64"}),
            json!({"type": "string", "format": "byte"}),
            "content-media-type",
        );
        check(json!({"type": "string", "contentEncoding": "base16"}), json!({"type": "string"}), "content-media-type");
        check(
            json!({"type": "string", "contentMediaType": "application/json"}),
            json!({"type": "string"}),
            "content-media-type",
        );
    }

    #[test]
    fn prefix_items() {
        check(
            json!({"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}, {"type": "string"}], "items": false}),
            json!({"type": "array", "maxItems": 3, "items": {"anyOf": [{"type": "number"}, {"type": "string"}]}}),
            "tuple-items",
        );
        check(
            json!({"type": "array", "items": [{"type": "string"}]}),
            json!({"type": "array", "items": {"type": "string"}}),
            "tuple-items",
        );
        check(
            json!({"type": "array", "items": false}),
            json!({"type": "array", "items": {}, "maxItems": 0}),
            "tuple-items",
        );
    }

    #[test]
    fn unevaluated_properties() {
        check(
            json!({"type": "object", "unevaluatedProperties": false}),
            json!({"type": "object", "additionalProperties": false}),
            "unevaluated-properties",
        );
    }

    #[test]
    fn unsupported_keywords() {
        check(
            json!({"type": "object", "if": {}, "then": {}, "else": {}, "dependentRequired": {}, "patternProperties": {"^a": {}},
                   "propertyNames": {}, "contains": {}}),
            json!({"type": "object"}),
            "unsupported-keyword",
        );
    }

    #[test]
    fn meta_keywords() {
        check(
            json!({"$id": "x", "$schema": "y", "$comment": "z", "$anchor": "a", "type": "string"}),
            json!({"type": "string"}),
            "schema-meta-keyword",
        );
        check(json!({"$dynamicRef": "#meta"}), json!({}), "dangling-ref");
    }

    #[test]
    fn array_without_items() {
        check(json!({"type": "array"}), json!({"type": "array", "items": {}}), "array-items");
    }

    #[test]
    fn format_on_non_scalar() {
        check(json!({"type": "object", "format": "object"}), json!({"type": "object"}), "format-on-non-scalar");
    }

    #[test]
    fn pattern_dialect() {
        check(
            json!({"type": "string", "pattern": "^(?P<x>a)(?P=x)\\Z"}),
            json!({"type": "string", "pattern": "^(?<x>a)\\k<x>$"}),
            "pattern-dialect",
        );
        check(json!({"type": "string", "pattern": "(?i)abc"}), json!({"type": "string"}), "pattern-dialect");
    }

    #[test]
    fn strip_title() {
        check(json!({"title": "Simple User", "type": "object"}), json!({"type": "object"}), "strip-title");
    }

    #[test]
    fn ref_siblings() {
        check(
            json!({"$ref": "#/components/schemas/X", "description": "d", "title": "t", "x-a": 1}),
            json!({"description": "d", "allOf": [{"$ref": "#/components/schemas/X"}]}),
            "ref-siblings",
        );
        check(
            json!({"$ref": "#/components/schemas/X", "title": "t"}),
            json!({"$ref": "#/components/schemas/X"}),
            "strip-title",
        );
    }

    #[test]
    fn malformed_keywords() {
        check(
            json!({"type": "object", "required": ["a", 1, "a"], "nullable": "yes", "enum": [], "allOf": [], "discriminator": {"mapping": {}}}),
            json!({"type": "object", "required": ["a"]}),
            "malformed-keyword",
        );
    }
}
