//! `invent-spec learn REPORT...`: drift reports → additions to the spec overrides (or a patched spec).
//! Adds only what widens the description without changing a generated type already there: new
//! optional properties typed from their sketches, enum values, response statuses and media types.
//! Each addition is a `patches` entry carrying its evidence in `x-invent-observed` (kind, where, how
//! often, first and last seen); RFC 6902 lets a patch carry members it does not use. Never removes or
//! tightens anything; required properties found absent or null and values of another type are listed
//! for review instead (making them optional or nullable changes the Rust type). Learning the same
//! report twice changes nothing: a finding the overridden spec already describes adds no patch, and
//! evidence merges by maximum (count) and earliest/latest (first/last seen).

use serde_json::{json, Map, Value};

use super::index;
use super::report::{Finding, Reports};
use crate::pointer::join;
use crate::SpecError;

/// The member of a learned patch that holds its evidence.
pub const EVIDENCE: &str = "x-invent-observed";

/// What the spec (with overrides) says about one finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    /// The spec describes it (or allows it): nothing to do.
    Described,
    /// Not described; this patch describes it (`{"op": "add", "path", "value"}`).
    Learnable { patch: Value, message: String },
    /// Not described, and not something `learn` adds: a human decides.
    Review { message: String },
}

/// What `learn` did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The overrides with the new patches appended (and evidence refreshed).
    pub overrides: Value,
    /// The new patches, each with its finding.
    pub added: Vec<(Finding, Value)>,
    /// Findings left for review, with why.
    pub review: Vec<(Finding, String)>,
    /// Findings already described.
    pub described: usize,
}

/// Judges one finding against `doc` (the spec with overrides, see [`index::overridden`]).
pub fn judge(doc: &Value, f: &Finding) -> Judgement {
    let review = |message: String| Judgement::Review { message };
    let Some(target) = doc.pointer(&f.schema) else {
        return review(format!("{} is not in the spec", f.schema));
    };
    match f.kind.as_str() {
        "property-added" => {
            if allows_extra_properties(target) {
                return Judgement::Described;
            }
            let Some(name) = &f.name else {
                return review(
                    "properties whose names look like data (withheld): a map? describe it with `additionalProperties`"
                        .into(),
                );
            };
            if target.get("properties").and_then(|p| p.get(name)).is_some() {
                return Judgement::Described;
            }
            let schema = f.sketch.clone().unwrap_or_else(|| json!({}));
            let message = format!("property `{name}` added ({})", type_label(&schema));
            let patch = if target.get("properties").is_some_and(Value::is_object) {
                json!({"op": "add", "path": join(&join(&f.schema, "properties"), name), "value": schema})
            } else {
                json!({"op": "add", "path": join(&f.schema, "properties"), "value": {name.clone(): schema}})
            };
            Judgement::Learnable { patch, message }
        }
        "enum-value-added" => {
            let Some(value) = &f.value else {
                return review("an enum value that is not a short token (withheld)".into());
            };
            match (target.get("enum"), target.get("const")) {
                (Some(Value::Array(values)), _) if values.contains(value) => Judgement::Described,
                (Some(Value::Array(_)), _) => Judgement::Learnable {
                    patch: json!({"op": "add", "path": join(&join(&f.schema, "enum"), "-"), "value": value}),
                    message: format!("enum value {value} added"),
                },
                (_, Some(constant)) if constant == value => Judgement::Described,
                (_, Some(constant)) => review(format!(
                    "tag {value} where the spec has the constant {constant}: a new union variant, describe its schema"
                )),
                _ => Judgement::Described,
            }
        }
        "status-undeclared" => {
            if declares_status(target, f.status) {
                // Declared since (an earlier finding of this run, or by hand): its media type may not be.
                let key = status_key(target, f.status).unwrap_or_default();
                let response_ptr = join(&f.schema, &key);
                return media_judgement(doc, &response_ptr, f);
            }
            let mut response = json!({"description": "Observed in traffic; not in the published spec."});
            if let (Some(media), Some(map)) =
                (f.media_type.as_deref().filter(|m| valid_media(m)), response.as_object_mut())
            {
                map.insert("content".into(), json!({media: {"schema": f.sketch.clone().unwrap_or_else(|| json!({}))}}));
            }
            Judgement::Learnable {
                patch: json!({"op": "add", "path": join(&f.schema, &f.status.to_string()), "value": response}),
                message: format!("status {} added", f.status),
            }
        }
        "media-type-undeclared" => media_judgement(doc, &f.schema, f),
        "required-missing" => match &f.name {
            Some(name) if required(target).contains(&name.as_str()) => {
                review(format!("required property `{name}` absent: optional in practice? (changes the Rust type)"))
            }
            Some(_) => Judgement::Described,
            None => review("a required property with a name that looks like data is absent".into()),
        },
        "required-null" => match &f.name {
            Some(name) => {
                let nullable = target.get("properties").and_then(|p| p.get(name)).is_some_and(|p| allows_null(doc, p));
                if nullable || !required(target).contains(&name.as_str()) {
                    Judgement::Described
                } else {
                    review(format!("required property `{name}` is null: nullable in practice? (changes the Rust type)"))
                }
            }
            None => review("a required property with a name that looks like data is null".into()),
        },
        "type-mismatch" => {
            let arrived = f.sketch.as_ref().map(type_label).unwrap_or_else(|| "?".into());
            let declared = types(target);
            let fits = declared.is_empty()
                || declared.iter().any(|t| *t == arrived || (t == "number" && arrived == "integer"));
            if fits {
                Judgement::Described
            } else {
                review(format!("{} expected, {arrived} arrived (changes the Rust type)", declared.join(" or ")))
            }
        }
        other => review(format!("unknown kind `{other}`")),
    }
}

fn media_judgement(doc: &Value, response_ptr: &str, f: &Finding) -> Judgement {
    let Some(media) = f.media_type.as_deref().filter(|m| valid_media(m)) else {
        return Judgement::Review { message: "a body without a valid media type".into() };
    };
    let Some(response) = doc.pointer(response_ptr) else {
        return Judgement::Review { message: format!("{response_ptr} is not in the spec") };
    };
    let content = response.get("content").and_then(Value::as_object);
    let wildcard = media.split_once('/').map(|(t, _)| format!("{t}/*")).unwrap_or_default();
    let declared = content.is_some_and(|c| {
        c.keys().any(|k| k.eq_ignore_ascii_case(media) || k.eq_ignore_ascii_case(&wildcard) || k == "*/*")
    });
    if declared {
        return Judgement::Described;
    }
    let body = json!({"schema": f.sketch.clone().unwrap_or_else(|| json!({}))});
    let patch = if content.is_some() {
        json!({"op": "add", "path": join(&join(response_ptr, "content"), media), "value": body})
    } else {
        json!({"op": "add", "path": join(response_ptr, "content"), "value": {media: body}})
    };
    Judgement::Learnable { patch, message: format!("media type {media} added to status {}", f.status) }
}

fn valid_media(media: &str) -> bool {
    media != "(invalid)" && media.contains('/')
}

fn allows_extra_properties(schema: &Value) -> bool {
    schema.get("patternProperties").is_some()
        || schema.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false))
        || (schema.get("properties").is_none() && schema.get("allOf").is_none() && schema.get("$ref").is_none())
}

fn required(schema: &Value) -> Vec<&str> {
    schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

fn types(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn allows_null(doc: &Value, schema: &Value) -> bool {
    let schema = match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(target) => doc.pointer(target).unwrap_or(schema),
        None => schema,
    };
    types(schema).iter().any(|t| t == "null")
        || schema.get("nullable") == Some(&Value::Bool(true))
        || schema.get("enum").and_then(Value::as_array).is_some_and(|e| e.contains(&Value::Null))
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|branches| branches.iter().any(|b| types(b) == ["null"]))
        })
}

/// The key under which `responses` declares `status`: exact, range (`4XX`), or `default`.
fn status_key(responses: &Value, status: u16) -> Option<String> {
    let map = responses.as_object()?;
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    let found = [exact.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|wanted| map.keys().find(|k| k.eq_ignore_ascii_case(wanted)).cloned());
    found
}

fn declares_status(responses: &Value, status: u16) -> bool {
    status_key(responses, status).is_some()
}

/// `string`, `object`, `string or null`, `any`.
fn type_label(schema: &Value) -> String {
    let t = types(schema);
    if t.is_empty() {
        "any JSON".into()
    } else {
        t.join(" or ")
    }
}

fn evidence(f: &Finding) -> Value {
    json!({
        "kind": f.kind,
        "in": format!("{} {}", f.operation_label(), f.response_label()),
        "count": f.count,
        "first_seen": f.first_seen,
        "last_seen": f.last_seen,
    })
}

/// Merges `new` evidence into `old`: largest count, earliest first seen, latest last seen (so the
/// same report learned twice leaves it as it was).
fn merge_evidence(old: &mut Map<String, Value>, new: &Value) {
    let count = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    let new_count = count(new.get("count"));
    if new_count > count(old.get("count")) {
        old.insert("count".into(), json!(new_count));
    }
    for (key, earlier) in [("first_seen", true), ("last_seen", false)] {
        let (Some(n), o) = (new.get(key).and_then(Value::as_str), old.get(key).and_then(Value::as_str)) else {
            continue;
        };
        let replace = match o {
            None => true,
            Some(o) => (earlier && n < o) || (!earlier && n > o),
        };
        if replace {
            old.insert(key.into(), json!(n));
        }
    }
}

/// Learns `reports` into `overrides` for `spec`.
pub fn learn(spec: &Value, overrides: &Value, reports: &Reports) -> Result<Outcome, SpecError> {
    let mut doc = index::overridden(spec, Some(overrides))?;
    let mut out = overrides.clone();
    let Some(root) = out.as_object_mut() else {
        return Err(SpecError::at_root("overrides", "overrides must be a JSON object"));
    };
    let patches = root.entry("patches").or_insert_with(|| json!([]));
    let Some(patches) = patches.as_array_mut() else {
        return Err(SpecError::new("/patches", "overrides", "`patches` must be a list"));
    };
    let mut outcome = Outcome { overrides: Value::Null, added: Vec::new(), review: Vec::new(), described: 0 };
    for f in &reports.findings {
        match judge(&doc, f) {
            Judgement::Described => {
                outcome.described += 1;
                refresh(patches, f);
            }
            Judgement::Learnable { patch, .. } => {
                crate::overrides::apply(&mut doc, &json!({"patches": [patch.clone()]}))?;
                let mut recorded = patch.clone();
                if let Some(map) = recorded.as_object_mut() {
                    map.insert(EVIDENCE.into(), evidence(f));
                }
                patches.push(recorded);
                outcome.added.push((f.clone(), patch));
            }
            Judgement::Review { message } => outcome.review.push((f.clone(), message)),
        }
    }
    outcome.overrides = out;
    Ok(outcome)
}

/// Refreshes the evidence of the learned patch that describes `f`, if there is one.
fn refresh(patches: &mut [Value], f: &Finding) {
    let target = match f.kind.as_str() {
        "property-added" => f.name.as_ref().map(|n| (join(&join(&f.schema, "properties"), n), None)),
        "enum-value-added" => f.value.as_ref().map(|v| (join(&join(&f.schema, "enum"), "-"), Some(v))),
        "status-undeclared" => Some((join(&f.schema, &f.status.to_string()), None)),
        "media-type-undeclared" => f.media_type.as_ref().map(|m| (join(&join(&f.schema, "content"), m), None)),
        _ => None,
    };
    let Some((path, value)) = target else { return };
    for patch in patches.iter_mut() {
        let same = patch.get("path").and_then(Value::as_str) == Some(path.as_str())
            && value.is_none_or(|v| patch.get("value") == Some(v));
        if let (true, Some(Value::Object(old))) = (same, patch.get_mut(EVIDENCE)) {
            merge_evidence(old, &evidence(f));
        }
    }
}

/// The original spec with the new patches applied (`learn --out`).
pub fn patched_spec(spec: &Value, outcome: &Outcome) -> Result<Value, SpecError> {
    let mut doc = spec.clone();
    let patches: Vec<Value> = outcome.added.iter().map(|(_, p)| p.clone()).collect();
    crate::overrides::apply(&mut doc, &json!({"patches": patches}))?;
    Ok(doc)
}

/// `learn REPORT... [--spec openapi.json] [--overrides FILE] [--out FILE]`: exit 0 done (findings for
/// review are listed, not errors), 2 bad arguments or input.
pub fn cmd_learn(args: &[String]) -> u8 {
    crate::cmdline::run_cmd("learn", || {
        let a = crate::cmdline::Args::parse(args, &["spec", "overrides", "out"], 1, usize::MAX)?;
        let spec_path = a.option("spec").unwrap_or(crate::files::DEFAULT_SPEC);
        let spec = crate::files::read_json_file(std::path::Path::new(spec_path))?;
        let overrides_path = a.option("overrides").map_or_else(
            || std::path::Path::new(spec_path).with_file_name(crate::files::OVERRIDES_FILE),
            std::path::PathBuf::from,
        );
        // A new overrides file starts empty.
        let overrides = if overrides_path.is_file() {
            crate::files::read_json_file(&overrides_path)?
        } else {
            crate::overrides::empty()
        };
        let reports = Reports::read(&a.positional)?;
        let outcome = learn(&spec, &overrides, &reports).map_err(|e| e.to_string())?;
        for (f, patch) in &outcome.added {
            let path = patch.get("path").and_then(Value::as_str).unwrap_or_default();
            println!("add {path}  [{}] {}; {}", f.kind, f.operation_label(), f.evidence_label());
        }
        for (f, why) in &outcome.review {
            println!(
                "review [{}] {} {} `{}`: {why}; {}",
                f.kind,
                f.operation_label(),
                f.response_label(),
                f.schema,
                f.evidence_label()
            );
        }
        println!(
            "learned {} addition{}; {} finding{} for review; {} already described",
            outcome.added.len(),
            if outcome.added.len() == 1 { "" } else { "s" },
            outcome.review.len(),
            if outcome.review.len() == 1 { "" } else { "s" },
            outcome.described
        );
        match a.option("out") {
            Some(out) => {
                let patched = patched_spec(&spec, &outcome).map_err(|e| e.to_string())?;
                let text = format!("{}\n", serde_json::to_string_pretty(&patched).map_err(|e| e.to_string())?);
                crate::files::write_atomic(std::path::Path::new(out), text.as_bytes())?;
            }
            None if outcome.overrides != overrides => {
                let text =
                    format!("{}\n", serde_json::to_string_pretty(&outcome.overrides).map_err(|e| e.to_string())?);
                crate::files::write_atomic(&overrides_path, text.as_bytes())?;
            }
            None => {}
        }
        Ok(0)
    })
}
