//! The comparison itself: operations, parameters, request bodies and responses of two *lowered*
//! documents, and their schemas with `$ref`s resolved (cycle-guarded), each change classified for a client
//! of the generated Rust code. See the table in [`super`] for the classification.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::locate::{self, Part, Step};
use super::{Change, Doc};
use crate::generate::METHODS;
use crate::lower::walk;
use crate::report::Note;

/// One side of the comparison: the document as written (for pointers) and as lowered (for comparing).
pub(super) struct Side<'a> {
    pub original: &'a Value,
    pub lowered: &'a Value,
    /// Operations the lowering dropped (not generated), with the reason.
    pub dropped: &'a [Note],
}

/// Which way data flows: into the server (parameters, request bodies) or out of it (responses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Request,
    Response,
}

/// Upper bound on schema comparisons per document pair, so a pathological document cannot make the
/// comparison run for ever (cycles are cut by the `$ref` guard; this bounds diamond-shaped blow-ups).
const BUDGET: usize = 200_000;
/// Deepest schema nesting compared.
const MAX_STEPS: usize = 48;

struct OpRef<'a> {
    path: String,
    method: &'static str,
    op: &'a Value,
    item: &'a Value,
}

type OpKey = (String, &'static str);

fn operations(doc: &Value) -> BTreeMap<OpKey, OpRef<'_>> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else { return out };
    for (path, item) in paths {
        if !path.starts_with('/') {
            continue;
        }
        let item = deref(doc, item);
        for method in METHODS {
            let Some(op) = item.get(method).filter(|o| o.is_object()) else { continue };
            let mut key = (crate::lower::walk::path_shape(path), method);
            if out.contains_key(&key) {
                key = (path.clone(), method);
            }
            out.insert(key, OpRef { path: path.clone(), method, op, item });
        }
    }
    out
}

fn deref<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..walk::MAX_REF_HOPS {
        match walk::ref_of(v).and_then(|r| walk::resolve(doc, r)) {
            Some(t) => v = t,
            None => break,
        }
    }
    v
}

/// The Rust method progenitor derives from an operationId (one definition: [`crate::names`]).
pub use crate::names::operation_method as rust_method_name;

/// Compares every operation of the two documents, in order of path then method.
pub(super) fn compare(old: &Side, new: &Side) -> Vec<Change> {
    let old_ops = operations(old.lowered);
    let new_ops = operations(new.lowered);
    let old_orig = operations(old.original);
    let new_orig = operations(new.original);

    let mut keys: Vec<&OpKey> = old_ops.keys().chain(new_ops.keys()).collect();
    keys.extend(new_orig.keys().filter(|k| !old_orig.contains_key(*k)));
    keys.sort_by(|a, b| {
        let pa = display_path(a, &new_ops, &old_ops, &new_orig);
        let pb = display_path(b, &new_ops, &old_ops, &new_orig);
        (pa, a.1.to_uppercase()).cmp(&(pb, b.1.to_uppercase()))
    });
    keys.dedup();

    let mut budget = BUDGET;
    let mut out = Vec::new();
    for key in keys {
        let method = key.1.to_uppercase();
        match (old_ops.get(key), new_ops.get(key)) {
            (Some(o), Some(n)) => {
                let mut cx = OpCx::new(old, new, Some(o), Some(n), &mut out);
                cx.compare_op(o, n, &mut budget);
            }
            (Some(o), None) => {
                let mut cx = OpCx::new(old, new, Some(o), None, &mut out);
                let message = match new_orig.get(key) {
                    Some(n) => format!("operation no longer generated: {}", dropped_reason(new, &n.path, n.method)),
                    None => "operation removed".to_string(),
                };
                cx.push("operation-removed", true, Doc::Old, Part::Operation, &[], message);
            }
            (None, Some(n)) => {
                let mut cx = OpCx::new(old, new, None, Some(n), &mut out);
                let message = if old_orig.contains_key(key) {
                    "operation now generated (the lowering dropped it from the old document)".to_string()
                } else {
                    "operation added".to_string()
                };
                cx.push("operation-added", false, Doc::New, Part::Operation, &[], message);
            }
            (None, None) => {
                if let Some(n) = new_orig.get(key) {
                    let mut cx = OpCx::new(old, new, None, None, &mut out);
                    cx.new_path = Some(n.path.clone());
                    cx.id = original_id(n.op);
                    cx.method = method;
                    let message =
                        format!("operation added, but not generated: {}", dropped_reason(new, &n.path, n.method));
                    cx.push("operation-added", false, Doc::New, Part::Operation, &[], message);
                }
            }
        }
    }
    out
}

fn display_path(
    key: &OpKey,
    new_ops: &BTreeMap<OpKey, OpRef>,
    old_ops: &BTreeMap<OpKey, OpRef>,
    new_orig: &BTreeMap<OpKey, OpRef>,
) -> String {
    new_ops
        .get(key)
        .or_else(|| old_ops.get(key))
        .or_else(|| new_orig.get(key))
        .map_or_else(|| key.0.clone(), |o| o.path.clone())
}

fn dropped_reason(side: &Side, path: &str, method: &str) -> String {
    let ptr = crate::pointer::join(&crate::pointer::join("/paths", path), method);
    side.dropped
        .iter()
        .find(|n| n.pointer == ptr || n.pointer.starts_with(&format!("{ptr}/")))
        .map_or_else(|| "the lowering dropped it".to_string(), |n| format!("{} (rule `{}`)", n.message, n.rule))
}

fn original_id(op: &Value) -> Option<String> {
    op.get("operationId").and_then(Value::as_str).map(str::to_string)
}

/// A schema-level change before it is placed in an operation.
struct SchemaChange {
    kind: &'static str,
    breaking: bool,
    doc: Doc,
    steps: Vec<Step>,
    message: String,
}

struct OpCx<'s, 'o> {
    old: &'s Side<'s>,
    new: &'s Side<'s>,
    method: String,
    old_path: Option<String>,
    new_path: Option<String>,
    id: Option<String>,
    out: &'o mut Vec<Change>,
}

impl<'s, 'o> OpCx<'s, 'o> {
    fn new(
        old: &'s Side<'s>,
        new: &'s Side<'s>,
        o: Option<&OpRef>,
        n: Option<&OpRef>,
        out: &'o mut Vec<Change>,
    ) -> Self {
        let method = n.or(o).map_or_else(String::new, |r| r.method.to_uppercase());
        // The operationId as the input documents write it (falling back to the one the lowering gave it).
        let id_of = |side: &Side, r: &OpRef| {
            side.original
                .get("paths")
                .and_then(|p| p.get(&r.path))
                .map(|item| deref(side.original, item))
                .and_then(|item| item.get(r.method))
                .and_then(original_id)
                .or_else(|| original_id(r.op))
        };
        let id = n.and_then(|r| id_of(new, r)).or_else(|| o.and_then(|r| id_of(old, r)));
        OpCx { old, new, method, old_path: o.map(|r| r.path.clone()), new_path: n.map(|r| r.path.clone()), id, out }
    }

    fn push(&mut self, kind: &'static str, breaking: bool, doc: Doc, part: Part, steps: &[Step], message: String) {
        let (side, path) = match doc {
            Doc::Old => (self.old, self.old_path.as_ref().or(self.new_path.as_ref())),
            Doc::New => (self.new, self.new_path.as_ref().or(self.old_path.as_ref())),
        };
        let path = path.cloned().unwrap_or_default();
        let pointer = locate::pointer(side.original, &path, &self.method.to_lowercase(), &part, steps, doc);
        let location = match &part {
            Part::Operation => String::new(),
            Part::Param { name, location, .. } => format!("parameter `{name}` ({location})"),
            Part::RequestBody { media: Some(m) } => format!("request body ({m})"),
            Part::RequestBody { media: None } => "request body".to_string(),
            Part::Response { status, media: Some(m) } => format!("response {status} ({m})"),
            Part::Response { status, media: None } => format!("response {status}"),
        };
        self.out.push(Change {
            breaking,
            kind,
            method: self.method.clone(),
            path,
            operation_id: self.id.clone(),
            location,
            field: locate::field(steps),
            message,
            doc,
            pointer,
        });
    }

    fn push_schema(&mut self, part: &Part, changes: Vec<SchemaChange>) {
        for c in changes {
            self.push(c.kind, c.breaking, c.doc, part.clone(), &c.steps, c.message);
        }
    }

    fn schemas(&mut self, part: Part, dir: Dir, old: &Value, new: &Value, budget: &mut usize) {
        let mut cmp = SchemaCmp {
            old_doc: self.old.lowered,
            new_doc: self.new.lowered,
            dir,
            guard: Vec::new(),
            budget,
            out: Vec::new(),
        };
        cmp.compare(old, new, &mut Vec::new(), false);
        let changes = cmp.out;
        self.push_schema(&part, changes);
    }

    fn compare_op(&mut self, o: &OpRef, n: &OpRef, budget: &mut usize) {
        // operationId: it names the Rust method.
        let (oid, nid) = (original_id(o.op), original_id(n.op));
        if oid != nid {
            let (om, nm) = (oid.as_deref().map(rust_method_name), nid.as_deref().map(rust_method_name));
            let breaking = om != nm;
            let show = |v: &Option<String>| v.as_deref().map_or_else(|| "(none)".to_string(), |s| format!("`{s}`"));
            let message = if breaking {
                format!(
                    "operationId changed from {} to {}: the Rust method is renamed from {} to {}",
                    show(&oid),
                    show(&nid),
                    show(&om),
                    show(&nm)
                )
            } else {
                format!("operationId changed from {} to {} (same Rust method {})", show(&oid), show(&nid), show(&nm))
            };
            self.push("operation-id-changed", breaking, Doc::New, Part::Operation, &[], message);
        }
        let dep = |r: &OpRef| r.op.get("deprecated").and_then(Value::as_bool).unwrap_or(false);
        if !dep(o) && dep(n) {
            self.push(
                "operation-deprecated",
                false,
                Doc::New,
                Part::Operation,
                &[],
                "operation deprecated".to_string(),
            );
        }
        self.compare_params(o, n, budget);
        self.compare_body(o, n, budget);
        self.compare_responses(o, n, budget);
    }

    fn compare_params(&mut self, o: &OpRef, n: &OpRef, budget: &mut usize) {
        let old_list = params(self.old.lowered, o);
        let new_list = params(self.new.lowered, n);
        // Key by name, unless a name is used in two locations (then by name and location).
        let mut seen = BTreeMap::<&str, BTreeSet<&str>>::new();
        for p in old_list.iter().chain(&new_list) {
            seen.entry(p.name.as_str()).or_default();
        }
        for list in [&old_list, &new_list] {
            let mut count = BTreeMap::<&str, usize>::new();
            for p in list.iter() {
                *count.entry(p.name.as_str()).or_default() += 1;
            }
            for (name, c) in count {
                if c > 1 {
                    seen.entry(name).or_default().insert("dup");
                }
            }
        }
        let key = |p: &Param| {
            if seen.get(p.name.as_str()).is_some_and(|s| !s.is_empty()) {
                format!("{} ({})", p.name, p.location)
            } else {
                p.name.clone()
            }
        };
        let old_map: BTreeMap<String, &Param> = old_list.iter().map(|p| (key(p), p)).collect();
        let new_map: BTreeMap<String, &Param> = new_list.iter().map(|p| (key(p), p)).collect();
        let names: BTreeSet<&String> = old_map.keys().chain(new_map.keys()).collect();
        for k in names {
            match (old_map.get(k), new_map.get(k)) {
                (Some(p), None) => {
                    let part = p.part();
                    self.push("parameter-removed", true, Doc::Old, part, &[], "parameter removed".to_string());
                }
                (None, Some(p)) => {
                    let message = if p.required { "required parameter added" } else { "optional parameter added" };
                    self.push("parameter-added", p.required, Doc::New, p.part(), &[], message.to_string());
                }
                (Some(a), Some(b)) => {
                    if a.location != b.location {
                        let message = format!("parameter moved from {} to {}", a.location, b.location);
                        self.push("parameter-location-changed", true, Doc::New, b.part(), &[], message);
                    }
                    if a.required != b.required {
                        let message =
                            if b.required { "parameter is now required" } else { "parameter is no longer required" };
                        self.push(
                            "parameter-required-changed",
                            b.required,
                            Doc::New,
                            b.part(),
                            &[],
                            message.to_string(),
                        );
                    }
                    if let (Some(sa), Some(sb)) = (a.schema, b.schema) {
                        self.schemas(b.schema_part(), Dir::Request, sa, sb, budget);
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn compare_body(&mut self, o: &OpRef, n: &OpRef, budget: &mut usize) {
        let ob = o.op.get("requestBody").map(|b| deref(self.old.lowered, b));
        let nb = n.op.get("requestBody").map(|b| deref(self.new.lowered, b));
        let required = |b: &Value| b.get("required").and_then(Value::as_bool).unwrap_or(false);
        match (ob, nb) {
            (None, None) => {}
            (Some(_), None) => {
                self.push(
                    "request-body-removed",
                    true,
                    Doc::Old,
                    Part::RequestBody { media: None },
                    &[],
                    "request body removed".to_string(),
                );
            }
            (None, Some(b)) => {
                let req = required(b);
                let message = if req { "required request body added" } else { "optional request body added" };
                self.push(
                    "request-body-added",
                    req,
                    Doc::New,
                    Part::RequestBody { media: None },
                    &[],
                    message.to_string(),
                );
            }
            (Some(a), Some(b)) => {
                if required(a) != required(b) {
                    let req = required(b);
                    let message =
                        if req { "request body is now required" } else { "request body is no longer required" };
                    self.push(
                        "request-body-required-changed",
                        req,
                        Doc::New,
                        Part::RequestBody { media: None },
                        &[],
                        message.to_string(),
                    );
                }
                let (ca, cb) = (content(a), content(b));
                for m in ca.keys().chain(cb.keys()).collect::<BTreeSet<_>>() {
                    let part = Part::RequestBody { media: Some(m.clone()) };
                    match (ca.get(m), cb.get(m)) {
                        (Some(_), None) => self.push(
                            "request-media-type-removed",
                            true,
                            Doc::Old,
                            part,
                            &[],
                            format!("request media type `{m}` removed"),
                        ),
                        (None, Some(_)) => self.push(
                            "request-media-type-added",
                            false,
                            Doc::New,
                            part,
                            &[],
                            format!("request media type `{m}` added"),
                        ),
                        (Some(Some(sa)), Some(Some(sb))) => self.schemas(part, Dir::Request, sa, sb, budget),
                        _ => {}
                    }
                }
            }
        }
    }

    fn compare_responses(&mut self, o: &OpRef, n: &OpRef, budget: &mut usize) {
        let empty = serde_json::Map::new();
        let ra = o.op.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        let rb = n.op.get("responses").and_then(Value::as_object).unwrap_or(&empty);
        let success = |s: &str| s.starts_with('2');
        for status in ra.keys().chain(rb.keys()).collect::<BTreeSet<_>>() {
            let part = Part::Response { status: status.clone(), media: None };
            match (ra.get(status), rb.get(status)) {
                (Some(_), None) => {
                    let breaking = success(status);
                    let message = if breaking {
                        format!("success response {status} removed: the generated client treats other statuses as unexpected")
                    } else {
                        format!("response {status} removed")
                    };
                    self.push("response-status-removed", breaking, Doc::Old, part, &[], message);
                }
                (None, Some(_)) => {
                    self.push("response-status-added", false, Doc::New, part, &[], format!("response {status} added"))
                }
                (Some(a), Some(b)) => {
                    let (ca, cb) = (content(deref(self.old.lowered, a)), content(deref(self.new.lowered, b)));
                    for m in ca.keys().chain(cb.keys()).collect::<BTreeSet<_>>() {
                        let part = Part::Response { status: status.clone(), media: Some(m.clone()) };
                        match (ca.get(m), cb.get(m)) {
                            (Some(_), None) => {
                                let message = format!("response body ({m}) removed");
                                self.push("response-media-type-removed", true, Doc::Old, part, &[], message);
                            }
                            (None, Some(_)) => self.push(
                                "response-media-type-added",
                                false,
                                Doc::New,
                                part,
                                &[],
                                format!("response body ({m}) added"),
                            ),
                            (Some(Some(sa)), Some(Some(sb))) => self.schemas(part, Dir::Response, sa, sb, budget),
                            _ => {}
                        }
                    }
                }
                (None, None) => {}
            }
        }
    }
}

fn content(v: &Value) -> BTreeMap<String, Option<&Value>> {
    v.get("content")
        .and_then(Value::as_object)
        .map(|c| c.iter().map(|(k, mt)| (k.clone(), mt.get("schema"))).collect())
        .unwrap_or_default()
}

struct Param<'a> {
    name: String,
    location: String,
    required: bool,
    schema: Option<&'a Value>,
}

impl Param<'_> {
    fn part(&self) -> Part {
        Part::Param { name: self.name.clone(), location: self.location.clone(), schema: false }
    }

    fn schema_part(&self) -> Part {
        Part::Param { name: self.name.clone(), location: self.location.clone(), schema: true }
    }
}

/// The operation's parameters with the path item's ones it does not override, `$ref`s resolved.
fn params<'a>(doc: &'a Value, r: &OpRef<'a>) -> Vec<Param<'a>> {
    let mut out: Vec<Param> = Vec::new();
    for owner in [r.op, r.item] {
        for p in owner.get("parameters").and_then(Value::as_array).into_iter().flatten() {
            let p = deref(doc, p);
            let (Some(name), Some(location)) =
                (p.get("name").and_then(Value::as_str), p.get("in").and_then(Value::as_str))
            else {
                continue;
            };
            if out.iter().any(|q| q.name == name && q.location == location) {
                continue;
            }
            let schema = p.get("schema").or_else(|| {
                p.get("content")
                    .and_then(Value::as_object)
                    .and_then(|c| c.values().next())
                    .and_then(|mt| mt.get("schema"))
            });
            let required = location == "path" || p.get("required").and_then(Value::as_bool).unwrap_or(false);
            out.push(Param { name: name.to_string(), location: location.to_string(), required, schema });
        }
    }
    out
}

/// What a schema says, flattened: `$ref`s followed, `allOf` merged, a single non-null `oneOf`/`anyOf`
/// branch merged, `null` branches / types / enum values turned into `nullable`.
#[derive(Default)]
struct View<'a> {
    refs: Vec<String>,
    types: BTreeSet<String>,
    format: Option<String>,
    nullable: bool,
    enum_values: Option<Vec<&'a Value>>,
    props: BTreeMap<String, &'a Value>,
    required: BTreeSet<String>,
    items: Option<&'a Value>,
    additional: Option<&'a Value>,
    variants: Vec<(String, &'a Value)>,
}

fn is_null_schema(doc: &Value, v: &Value) -> bool {
    let v = deref(doc, v);
    match v.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => !ts.is_empty() && ts.iter().all(|t| t == "null"),
        _ => matches!(v.get("enum").and_then(Value::as_array).map(Vec::as_slice), Some([Value::Null])),
    }
}

fn view<'a>(doc: &'a Value, schema: &'a Value) -> View<'a> {
    let mut v = View::default();
    add(doc, schema, &mut v, 0);
    if v.types.is_empty() && v.variants.is_empty() {
        if !v.props.is_empty() || v.additional.is_some() {
            v.types.insert("object".to_string());
        } else if v.items.is_some() {
            v.types.insert("array".to_string());
        }
    }
    v
}

fn add<'a>(doc: &'a Value, schema: &'a Value, v: &mut View<'a>, depth: usize) {
    if depth > 32 {
        return;
    }
    let mut s = schema;
    for _ in 0..walk::MAX_REF_HOPS {
        let Some(r) = walk::ref_of(s) else { break };
        v.refs.push(r.to_string());
        match walk::resolve(doc, r) {
            Some(t) => s = t,
            None => {
                v.types.insert(format!("unresolved {r}"));
                return;
            }
        }
    }
    let Value::Object(obj) = s else { return };
    if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        v.nullable = true;
    }
    let mut insert_type = |t: &str| {
        if t == "null" {
            v.nullable = true;
        } else {
            v.types.insert(t.to_string());
        }
    };
    match obj.get("type") {
        Some(Value::String(t)) => insert_type(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).for_each(insert_type),
        _ => {}
    }
    if let Some(f) = obj.get("format").and_then(Value::as_str) {
        v.format.get_or_insert_with(|| f.to_string());
    }
    let values: Option<Vec<&Value>> = match (obj.get("enum"), obj.get("const")) {
        (Some(Value::Array(list)), _) => Some(list.iter().collect()),
        (_, Some(c)) => Some(vec![c]),
        _ => None,
    };
    if let Some(values) = values {
        if values.iter().any(|x| x.is_null()) {
            v.nullable = true;
        }
        if v.enum_values.is_none() {
            v.enum_values = Some(values.into_iter().filter(|x| !x.is_null()).collect());
        }
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        for (k, p) in props {
            v.props.entry(k.clone()).or_insert(p);
        }
    }
    if let Some(Value::Array(req)) = obj.get("required") {
        v.required.extend(req.iter().filter_map(Value::as_str).map(str::to_string));
    }
    if let Some(items) = obj.get("items").filter(|i| i.is_object()) {
        v.items.get_or_insert(items);
    }
    if let Some(ap) = obj.get("additionalProperties").filter(|a| a.is_object()) {
        v.additional.get_or_insert(ap);
    }
    if let Some(Value::Array(all)) = obj.get("allOf") {
        for sub in all {
            add(doc, sub, v, depth + 1);
        }
    }
    for kw in ["oneOf", "anyOf"] {
        let Some(Value::Array(branches)) = obj.get(kw) else { continue };
        let mut non_null = Vec::new();
        for b in branches {
            if is_null_schema(doc, b) {
                v.nullable = true;
            } else {
                non_null.push(b);
            }
        }
        if let [only] = non_null.as_slice() {
            add(doc, only, v, depth + 1);
        } else {
            for (i, b) in non_null.into_iter().enumerate() {
                let label = walk::ref_of(b)
                    .and_then(|r| r.rsplit('/').next())
                    .map_or_else(|| format!("#{}", i + 1), |n| walk::unescape(&walk::percent_decode(n)));
                v.variants.push((label, b));
            }
        }
    }
}

fn type_label(v: &View) -> String {
    let base = if !v.types.is_empty() {
        v.types.iter().cloned().collect::<Vec<_>>().join(" | ")
    } else if !v.variants.is_empty() {
        "oneOf".to_string()
    } else {
        "any".to_string()
    };
    match &v.format {
        Some(f) => format!("{base} ({f})"),
        None => base,
    }
}

/// String formats for which typify picks a Rust type other than `String`.
const TYPED_STRING_FORMATS: [&str; 7] = ["date-time", "date", "uuid", "ip", "ipv4", "ipv6", "binary"];

/// Whether changing the format from/to these changes the generated Rust type.
fn format_changes_rust_type(a: &View, b: &View) -> bool {
    let numeric = a.types.iter().chain(&b.types).any(|t| t == "integer" || t == "number");
    let typed = |v: &View| v.format.as_deref().is_some_and(|f| TYPED_STRING_FORMATS.contains(&f));
    numeric || typed(a) || typed(b)
}

struct SchemaCmp<'d, 'b> {
    old_doc: &'d Value,
    new_doc: &'d Value,
    dir: Dir,
    /// `$ref` chains (old, new) being compared further up: meeting one again is a cycle.
    guard: Vec<(String, String)>,
    budget: &'b mut usize,
    out: Vec<SchemaChange>,
}

impl SchemaCmp<'_, '_> {
    fn emit(&mut self, kind: &'static str, breaking: bool, doc: Doc, steps: &[Step], message: String) {
        self.out.push(SchemaChange { kind, breaking, doc, steps: steps.to_vec(), message });
    }

    /// `nullable_by_parent`: the caller (an object comparing its properties) already classified a
    /// nullability change together with required-ness.
    fn compare(&mut self, old: &Value, new: &Value, steps: &mut Vec<Step>, nullable_by_parent: bool) {
        if steps.len() > MAX_STEPS || *self.budget == 0 {
            return;
        }
        *self.budget -= 1;
        let (old_doc, new_doc) = (self.old_doc, self.new_doc);
        let ov = view(old_doc, old);
        let nv = view(new_doc, new);
        let key = (ov.refs.join(" > "), nv.refs.join(" > "));
        let guarded = !(key.0.is_empty() && key.1.is_empty());
        if guarded {
            if self.guard.contains(&key) {
                return;
            }
            self.guard.push(key);
        }
        self.compare_views(&ov, &nv, steps, nullable_by_parent);
        if guarded {
            self.guard.pop();
        }
    }

    fn compare_views(&mut self, ov: &View, nv: &View, steps: &mut Vec<Step>, nullable_by_parent: bool) {
        let request = self.dir == Dir::Request;
        if ov.types != nv.types {
            let message = format!("type changed from `{}` to `{}`", type_label(ov), type_label(nv));
            self.emit("type-changed", true, Doc::New, steps, message);
            return;
        }
        if ov.format != nv.format {
            let breaking = format_changes_rust_type(ov, nv);
            let show = |f: &Option<String>| f.as_deref().map_or_else(|| "(none)".to_string(), |f| format!("`{f}`"));
            let mut message = format!("format changed from {} to {}", show(&ov.format), show(&nv.format));
            if !breaking {
                message.push_str(" (same Rust type)");
            }
            self.emit("format-changed", breaking, Doc::New, steps, message);
        }
        if !nullable_by_parent && ov.nullable != nv.nullable {
            let (breaking, message) = match (request, nv.nullable) {
                (true, true) => (false, "now nullable".to_string()),
                (true, false) => (true, "no longer nullable: sending null is rejected".to_string()),
                (false, true) => (
                    true,
                    "now nullable: null does not deserialize into the old Rust type (`T` becomes `Option<T>`)"
                        .to_string(),
                ),
                (false, false) => {
                    (true, "no longer nullable: the Rust type changes from `Option<T>` to `T`".to_string())
                }
            };
            self.emit("nullable-changed", breaking, Doc::New, steps, message);
        }
        self.compare_enums(ov, nv, steps);
        if !(ov.props.is_empty() && nv.props.is_empty()) {
            self.compare_props(ov, nv, steps);
        }
        if let (Some(a), Some(b)) = (ov.items, nv.items) {
            steps.push(Step::Items);
            self.compare(a, b, steps, false);
            steps.pop();
        }
        if let (Some(a), Some(b)) = (ov.additional, nv.additional) {
            steps.push(Step::Additional);
            self.compare(a, b, steps, false);
            steps.pop();
        }
        self.compare_variants(ov, nv, steps);
    }

    fn compare_enums(&mut self, ov: &View, nv: &View, steps: &[Step]) {
        let request = self.dir == Dir::Request;
        match (&ov.enum_values, &nv.enum_values) {
            (Some(a), Some(b)) => {
                for value in b.iter().filter(|x| !a.contains(x)) {
                    let (breaking, why) = if request {
                        (false, "")
                    } else {
                        (true, ": a new variant of the Rust enum (exhaustive matches stop compiling; builds from the old spec read it as `Unknown`, or fail to decode where the enum is closed)")
                    };
                    self.emit("enum-value-added", breaking, Doc::New, steps, format!("enum value {value} added{why}"));
                }
                for value in a.iter().filter(|x| !b.contains(x)) {
                    let why = if request {
                        ": the server no longer accepts it"
                    } else {
                        ": the Rust enum variant disappears"
                    };
                    self.emit("enum-value-removed", true, Doc::Old, steps, format!("enum value {value} removed{why}"));
                }
            }
            (None, Some(b)) => {
                let list: Vec<String> = b.iter().map(|x| x.to_string()).collect();
                let message =
                    format!("values restricted to the enum [{}]: the Rust type becomes an enum", list.join(", "));
                self.emit("enum-added", true, Doc::New, steps, message);
            }
            (Some(_), None) => {
                self.emit(
                    "enum-removed",
                    true,
                    Doc::New,
                    steps,
                    "enum removed: the Rust type is no longer an enum".to_string(),
                );
            }
            (None, None) => {}
        }
    }

    fn compare_props(&mut self, ov: &View, nv: &View, steps: &mut Vec<Step>) {
        let request = self.dir == Dir::Request;
        let (old_doc, new_doc) = (self.old_doc, self.new_doc);
        let names: BTreeSet<&String> = ov.props.keys().chain(nv.props.keys()).collect();
        for name in names {
            steps.push(Step::Property(name.clone()));
            match (ov.props.get(name), nv.props.get(name)) {
                (Some(_), None) => {
                    let message = if request {
                        "property removed: its Rust field/setter disappears"
                    } else {
                        "property removed: its Rust field disappears"
                    };
                    self.emit("property-removed", true, Doc::Old, steps, message.to_string());
                }
                (None, Some(_)) => {
                    let required = nv.required.contains(name.as_str());
                    let (breaking, message) = match (request, required) {
                        (true, true) => (true, "required property added: existing requests lack it"),
                        (true, false) => (false, "optional property added"),
                        (false, true) => (false, "property added (required)"),
                        (false, false) => (false, "optional property added"),
                    };
                    self.emit("property-added", breaking, Doc::New, steps, message.to_string());
                }
                (Some(a), Some(b)) => {
                    let (av, bv) = (view(old_doc, a), view(new_doc, b));
                    let (old_req, new_req) = (ov.required.contains(name.as_str()), nv.required.contains(name.as_str()));
                    // typify: `Option<T>` unless required and not nullable.
                    let (old_opt, new_opt) = (!old_req || av.nullable, !new_req || bv.nullable);
                    if old_req != new_req {
                        let (breaking, message) = if request {
                            if new_req {
                                (true, "property is now required".to_string())
                            } else {
                                (false, "property is no longer required".to_string())
                            }
                        } else {
                            let what =
                                if new_req { "property is now required" } else { "property is no longer required" };
                            if old_opt != new_opt {
                                (true, format!("{what}: the Rust field changes between `T` and `Option<T>`"))
                            } else {
                                (false, format!("{what} (still `Option<T>`: it is nullable)"))
                            }
                        };
                        self.emit("required-changed", breaking, Doc::New, steps, message);
                    }
                    if av.nullable != bv.nullable {
                        let (breaking, message) = match (request, bv.nullable) {
                            (true, true) => (false, "property is now nullable".to_string()),
                            (true, false) => {
                                (true, "property is no longer nullable: sending null is rejected".to_string())
                            }
                            (false, now) => {
                                let what =
                                    if now { "property is now nullable" } else { "property is no longer nullable" };
                                if old_opt != new_opt {
                                    let why = if now {
                                        "null does not deserialize into the old `T` field (it becomes `Option<T>`)"
                                    } else {
                                        "the Rust field changes from `Option<T>` to `T`"
                                    };
                                    (true, format!("{what}: {why}"))
                                } else {
                                    (false, format!("{what} (optional, so already `Option<T>`)"))
                                }
                            }
                        };
                        self.emit("nullable-changed", breaking, Doc::New, steps, message);
                    }
                    self.compare(a, b, steps, true);
                }
                (None, None) => {}
            }
            steps.pop();
        }
    }

    fn compare_variants(&mut self, ov: &View, nv: &View, steps: &mut Vec<Step>) {
        if ov.variants.is_empty() && nv.variants.is_empty() {
            return;
        }
        let request = self.dir == Dir::Request;
        let find = |list: &[(String, &Value)], label: &str| list.iter().position(|(l, _)| l == label);
        let mut labels: Vec<&String> = ov.variants.iter().map(|(l, _)| l).collect();
        labels.extend(nv.variants.iter().map(|(l, _)| l).filter(|l| find(&ov.variants, l).is_none()));
        for label in labels {
            match (find(&ov.variants, label), find(&nv.variants, label)) {
                (Some(i), None) => {
                    let message = format!("union variant `{label}` removed");
                    steps.push(Step::Variant { label: label.clone(), old: i, new: i });
                    self.emit("variant-removed", true, Doc::Old, steps, message);
                    steps.pop();
                }
                (None, Some(j)) => {
                    let (breaking, message) = if request {
                        (false, format!("union variant `{label}` added"))
                    } else {
                        (true, format!("union variant `{label}` added: the Rust type cannot deserialize it"))
                    };
                    steps.push(Step::Variant { label: label.clone(), old: j, new: j });
                    self.emit("variant-added", breaking, Doc::New, steps, message);
                    steps.pop();
                }
                (Some(i), Some(j)) => {
                    steps.push(Step::Variant { label: label.clone(), old: i, new: j });
                    self.compare(ov.variants[i].1, nv.variants[j].1, steps, false);
                    steps.pop();
                }
                (None, None) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_method_names_follow_progenitor() {
        assert_eq!(rust_method_name("listAssistants"), "list_assistants");
        assert_eq!(rust_method_name("ListAssistants"), "list_assistants");
        assert_eq!(rust_method_name("list-assistants"), "list_assistants");
        assert_eq!(rust_method_name("getHTTPThing"), "get_http_thing");
    }

    #[test]
    fn path_keys_ignore_parameter_names() {
        assert_eq!(crate::lower::walk::path_shape("/orgs/{org_id}/a/{id}"), "/orgs/{}/a/{}");
    }
}
