//! The schema walk driven by parse events (scalars, keys, where objects and arrays begin and end), so it
//! can ride along the typed decode ([`super::tee`]) instead of parsing the body a second time. Objects
//! and arrays the schema fully describes are followed event by event, strings and numbers are checked
//! where they lie and what no schema asks about is skipped. A `Value` is built only where the findings
//! need one: a value below `oneOf`/`anyOf` (to choose a branch), an object or array an `enum` constrains
//! or of the wrong type, and an undeclared property (for its sketch). The findings are those of the
//! `Value` walk of the same body, which stays for bodies already parsed (error bodies) and as the
//! oracle of the tests.

use serde_json::{Map, Value};

use super::{
    safe, sketch, Compiled, DriftKind, NodeId, ObjectShape, Observation, Undeclared, Walker, ARRAY, BOOLEAN, INTEGER,
    NULL, NUMBER, OBJECT, STRING,
};

/// Most `required` names of one object schema tracked while listening; an object schema with more is
/// checked through a `Value`.
const MAX_TRACKED_REQUIRED: usize = 128;
/// Most keys of one object schema remembered for the next object of it.
const MAX_REMEMBERED_KEYS: usize = 256;

/// What a JSON parse tells as it goes. A value is one scalar, or a `begin_*` … `end_*` pair; an
/// object's entries are a key then its value.
pub(crate) trait Events {
    fn scalar(&mut self, scalar: Scalar<'_>);
    fn begin_map(&mut self);
    fn key(&mut self, key: &str);
    fn end_map(&mut self);
    fn begin_seq(&mut self);
    fn end_seq(&mut self);
    /// Part of the body went by unseen (bytes, an enum access, a key read as a number): the events
    /// do not describe the body, and its walk must be done another way.
    fn blind(&mut self);
}

/// A JSON scalar as the body holds it (strings borrowed, never copied).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'s> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'s str),
}

impl Scalar<'_> {
    fn type_bit(self) -> u8 {
        match self {
            Scalar::Null => NULL,
            Scalar::Bool(_) => BOOLEAN,
            Scalar::Int(_) | Scalar::UInt(_) => INTEGER,
            Scalar::Float(_) => NUMBER,
            Scalar::Str(_) => STRING,
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Scalar::Int(n) => Some(n as f64),
            Scalar::UInt(n) => Some(n as f64),
            Scalar::Float(n) => Some(n),
            _ => None,
        }
    }

    /// The value `serde_json` would have parsed.
    fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) => Value::from(n),
            Scalar::UInt(n) => Value::from(n),
            Scalar::Float(n) => Value::from(n),
            Scalar::Str(s) => Value::String(s.to_string()),
        }
    }

    /// `walk::same(listed, self)` without building `self` as a `Value`.
    fn same(self, listed: &Value) -> bool {
        match (listed, self) {
            (Value::Number(x), _) if self.as_f64().is_some() => x.as_f64() == self.as_f64(),
            (Value::Null, Scalar::Null) => true,
            (Value::Bool(x), Scalar::Bool(y)) => *x == y,
            (Value::String(x), Scalar::Str(y)) => x == y,
            _ => false,
        }
    }
}

impl Compiled {
    /// A listener checking one body against the schema at `pointer` (a response schema of the index);
    /// `None` when the index has no such schema.
    pub(crate) fn listen(&self, pointer: &str) -> Option<Listener<'_>> {
        let &root = self.by_pointer.get(pointer)?;
        Some(Listener {
            walker: Walker::new(self),
            root,
            stack: Vec::new(),
            last: (0, 0),
            required: false,
            orders: Vec::new(),
            started: false,
            done: false,
            blind: false,
        })
    }
}

/// The walk of one body, fed by [`Events`]. [`Listener::finish`] gives the findings the `Value` walk
/// would give, or `None` when the events did not describe one whole JSON value. (Public only because
/// the hidden `ResponseBody::decode_watched` names it; not reachable from outside the crate.)
pub struct Listener<'c> {
    walker: Walker<'c>,
    root: NodeId,
    /// The objects and arrays the events are inside, innermost last.
    stack: Vec<Frame<'c>>,
    /// The last key, until its value begins: its entry in `orders`.
    last: (usize, usize),
    /// Whether the last key is a `required` name.
    required: bool,
    /// Per object schema, the keys of the last object of it and what they were: the objects of a
    /// list mostly repeat their keys in one order, so a key is then judged by one comparison.
    orders: Vec<(NodeId, Vec<Heard>)>,
    started: bool,
    done: bool,
    blind: bool,
}

/// An object or array being listened to.
enum Frame<'c> {
    /// Followed entry by entry.
    Object {
        /// Its parts (`shape.parts`) and what they say of its properties.
        shape: ObjectShape<'c>,
        /// `required` names seen, one bit per name in part order, of how many.
        seen: u128,
        required: usize,
        depth: usize,
        /// What the value after the last key is.
        next: Option<Next>,
        /// Its schema's entry in `orders`, and how many keys came so far.
        order: usize,
        position: usize,
        /// The path to truncate back to when the object ends.
        mark: Option<usize>,
    },
    /// Followed element by element (`item`: the elements' schema; without one they are skipped).
    Array { item: Option<NodeId>, depth: usize, mark: Option<usize>, items_mark: Option<usize> },
    /// Not checked: only its end is awaited (`nesting`: containers open inside it, itself included).
    Skip { nesting: usize, mark: Option<usize> },
    /// Built into a `Value`, then checked as a whole.
    Record { builder: Builder, then: Then<'c> },
}

/// A key as judged at one position of an object.
struct Heard {
    key: Box<str>,
    next: Next,
    /// Its bits among the `required` names.
    required: u128,
}

/// The value after an object's key.
#[derive(Clone, Copy)]
enum Next {
    /// `quiet`: the scalar types (bits) that can lead to no finding at `prop`.
    Declared {
        part: NodeId,
        prop: NodeId,
        quiet: u8,
    },
    Extra(NodeId),
    Added(NodeId),
    Allowed,
}

/// What a value is checked as, once it begins.
enum Slot {
    Check {
        id: NodeId,
        depth: usize,
        /// A declared property (the part declaring it): its path step and, for `null`, its
        /// parent's judgement.
        property: Option<NodeId>,
        /// An `additionalProperties` entry: a `*` step in the path.
        extra: bool,
    },
    Added {
        target: NodeId,
        name: Option<String>,
    },
    Skip,
}

/// What a recorded value is for.
enum Then<'c> {
    /// The checks at `parts` (the path to truncate back to after them).
    Entered { parts: &'c [NodeId], depth: usize, mark: Option<usize> },
    /// The sketch of an undeclared property.
    Added { target: NodeId, name: Option<String> },
}

impl<'c> Listener<'c> {
    /// The findings, when the events described exactly one whole JSON value.
    pub(crate) fn finish(self) -> Option<Vec<Observation>> {
        (self.done && !self.blind && self.stack.is_empty()).then(|| self.walker.out.into_vec())
    }

    /// Where the value that begins now belongs.
    fn slot(&mut self) -> Option<Slot> {
        let Some(top) = self.stack.last_mut() else {
            if std::mem::replace(&mut self.started, true) {
                return None;
            }
            return Some(Slot::Check { id: self.root, depth: 0, property: None, extra: false });
        };
        Some(match top {
            Frame::Object { depth, next, .. } => match next.take()? {
                Next::Declared { part, prop, .. } => {
                    Slot::Check { id: prop, depth: *depth + 1, property: Some(part), extra: false }
                }
                Next::Extra(id) => Slot::Check { id, depth: *depth + 1, property: None, extra: true },
                Next::Added(target) => Slot::Added { target, name: safe(last_key(&self.orders, self.last)) },
                Next::Allowed => Slot::Skip,
            },
            Frame::Array { item: Some(id), depth, .. } => {
                Slot::Check { id: *id, depth: *depth + 1, property: None, extra: false }
            }
            Frame::Array { item: None, .. } => Slot::Skip,
            Frame::Skip { .. } | Frame::Record { .. } => return None,
        })
    }

    /// The path step of a checked value.
    fn step(&mut self, property: bool, extra: bool) -> Option<usize> {
        if property {
            Some(self.walker.at.push(Some(last_key(&self.orders, self.last))))
        } else if extra {
            Some(self.walker.at.push(None))
        } else {
            None
        }
    }

    fn pop(&mut self, mark: Option<usize>) {
        if let Some(mark) = mark {
            self.walker.at.pop(mark);
        }
    }

    /// A value ended (the root, or one inside the innermost frame).
    fn ended(&mut self) {
        if self.stack.is_empty() {
            self.done = true;
        }
    }

    /// The value a `Record` frame built is complete: check it.
    fn recorded(&mut self, value: Value, then: Then<'c>) {
        match then {
            Then::Entered { parts, depth, mark } => {
                self.walker.entered(parts, &value, depth);
                self.pop(mark);
            }
            Then::Added { target, name } => {
                self.walker.note(DriftKind::PropertyAdded, target, name, None, Some(sketch::sketch(&value)));
            }
        }
        self.ended();
    }

    /// Feeds a `Record` frame on top; `true` when there was one.
    fn feed(&mut self, event: impl FnOnce(&mut Builder)) -> bool {
        let Some(Frame::Record { builder, .. }) = self.stack.last_mut() else { return false };
        event(builder);
        if builder.value.is_some() {
            if let Some(Frame::Record { builder, then }) = self.stack.pop() {
                self.recorded(builder.value.unwrap_or_default(), then);
            }
        }
        true
    }

    /// A container begins: how it is listened to.
    fn begin(&mut self, kind: u8) {
        if self.feed(|b| b.begin(kind)) {
            return;
        }
        if let Some(Frame::Skip { nesting, .. }) = self.stack.last_mut() {
            *nesting += 1;
            return;
        }
        let Some(slot) = self.slot() else { return self.blind() };
        let frame = match slot {
            Slot::Skip => Frame::Skip { nesting: 1, mark: None },
            Slot::Added { target, name } => {
                Frame::Record { builder: Builder::new(kind), then: Then::Added { target, name } }
            }
            Slot::Check { id, depth, property, extra } => {
                let mark = self.step(property.is_some(), extra);
                match self.walker.enter(id, depth) {
                    None => Frame::Skip { nesting: 1, mark },
                    Some(parts) if kind == OBJECT => {
                        let summary = self.walker.compiled.nodes[id].summary;
                        if summary.streams(OBJECT) && summary.required <= MAX_TRACKED_REQUIRED {
                            let shape = ObjectShape {
                                parts,
                                target: summary.target,
                                allows_extra: summary.allows_extra,
                                extras: summary.extras,
                            };
                            let order = match self.orders.iter().position(|(of, _)| *of == id) {
                                Some(order) => order,
                                None => {
                                    self.orders.push((id, Vec::new()));
                                    self.orders.len() - 1
                                }
                            };
                            let required = summary.required;
                            Frame::Object { shape, seen: 0, required, depth, next: None, order, position: 0, mark }
                        } else {
                            Frame::Record { builder: Builder::new(kind), then: Then::Entered { parts, depth, mark } }
                        }
                    }
                    Some(parts) => {
                        if self.walker.compiled.nodes[id].summary.streams(ARRAY) {
                            let item = self.walker.items(parts);
                            let items_mark = item.map(|_| self.walker.at.push(None));
                            Frame::Array { item, depth, mark, items_mark }
                        } else {
                            Frame::Record { builder: Builder::new(kind), then: Then::Entered { parts, depth, mark } }
                        }
                    }
                }
            }
        };
        self.stack.push(frame);
    }

    /// A container ends.
    fn end(&mut self, kind: u8) {
        if self.feed(|b| b.end()) {
            return;
        }
        match self.stack.pop() {
            Some(Frame::Skip { nesting, mark }) => {
                if nesting > 1 {
                    self.stack.push(Frame::Skip { nesting: nesting - 1, mark });
                    return;
                }
                self.pop(mark);
            }
            Some(Frame::Object { shape, seen, required, mark, .. }) if kind == OBJECT => {
                let all = u128::MAX.checked_shr(128 - required as u32).unwrap_or(0);
                if seen != all {
                    for (bit, (part, name)) in self.walker.required_names(shape.parts).enumerate() {
                        if seen & (1 << bit) == 0 {
                            self.walker.note(DriftKind::RequiredMissing, part, safe(name), None, None);
                        }
                    }
                }
                self.pop(mark);
            }
            Some(Frame::Array { mark, items_mark, .. }) if kind == ARRAY => {
                self.pop(items_mark);
                self.pop(mark);
            }
            _ => return self.blind(),
        }
        self.ended();
    }
}

impl Events for Listener<'_> {
    fn scalar(&mut self, scalar: Scalar<'_>) {
        // The common case first: a declared property's scalar that can lead to no finding. Only the
        // budget is taken, as `enter` would (a `null` is judged by its parent, without entering).
        if let Some(Frame::Object { next, depth, .. }) = self.stack.last_mut() {
            let quiet = match (*next, scalar) {
                (Some(Next::Declared { .. }), Scalar::Null) => !self.required,
                (Some(Next::Declared { quiet, .. }), _) => quiet & scalar.type_bit() != 0,
                _ => false,
            };
            if quiet {
                *next = None;
                if !matches!(scalar, Scalar::Null) {
                    self.walker.enter_quietly(*depth + 1);
                }
                return;
            }
        }
        if self.feed(|b| b.put(scalar.to_value())) {
            return;
        }
        if let Some(Frame::Skip { .. }) = self.stack.last() {
            return;
        }
        let Some(slot) = self.slot() else { return self.blind() };
        match slot {
            Slot::Skip => {}
            Slot::Added { target, name } => {
                let sketch = sketch::sketch(&scalar.to_value());
                self.walker.note(DriftKind::PropertyAdded, target, name, None, Some(sketch));
            }
            Slot::Check { id, property: Some(part), .. } if matches!(scalar, Scalar::Null) => {
                // As in the `Value` walk: a declared property that is `null` is judged by its parent
                // (only a required one can be drift).
                if let (true, Some(Frame::Object { shape, .. })) = (self.required, self.stack.last()) {
                    self.walker.declared_null(shape, part, id, last_key(&self.orders, self.last));
                }
            }
            Slot::Check { id, depth, property, extra } => {
                if let Some(parts) = self.walker.enter(id, depth) {
                    // Most scalars fit a schema that lists nothing: then there is no finding to place.
                    if !self.walker.compiled.nodes[id].summary.quiet_for(scalar.type_bit()) {
                        let mark = self.step(property.is_some(), extra);
                        self.walker.scalar(parts, scalar, depth);
                        self.pop(mark);
                    }
                }
            }
        }
        self.ended();
    }

    fn begin_map(&mut self) {
        self.begin(OBJECT);
    }

    fn key(&mut self, key: &str) {
        let walker = &self.walker;
        match self.stack.last_mut() {
            Some(Frame::Record { builder, .. }) => builder.key(key),
            Some(Frame::Skip { .. }) => {}
            Some(Frame::Object { shape, seen, next, order, position, .. }) if next.is_none() => {
                let known = &mut self.orders[*order].1;
                let (at, heard) = match known.get(*position) {
                    Some(heard) if *heard.key == *key => (*position, (heard.next, heard.required)),
                    _ => {
                        let judged = judge(walker, shape, key);
                        // An object of the same schema nested in this one may have left fewer keys; a
                        // map's keys rarely repeat, and past the bound only the last slot is reused.
                        known.truncate((*position).min(MAX_REMEMBERED_KEYS - 1));
                        known.push(Heard { key: key.into(), next: judged.0, required: judged.1 });
                        (known.len() - 1, judged)
                    }
                };
                self.last = (*order, at);
                *position += 1;
                *seen |= heard.1;
                *next = Some(heard.0);
                self.required = heard.1 != 0;
            }
            _ => self.blind(),
        }
    }

    fn end_map(&mut self) {
        self.end(OBJECT);
    }

    fn begin_seq(&mut self) {
        self.begin(ARRAY);
    }

    fn end_seq(&mut self) {
        self.end(ARRAY);
    }

    fn blind(&mut self) {
        self.blind = true;
    }
}

/// The key `orders` holds at `at`.
fn last_key(orders: &[(NodeId, Vec<Heard>)], (order, position): (usize, usize)) -> &str {
    orders.get(order).and_then(|(_, heard)| heard.get(position)).map_or("", |heard| &heard.key)
}

/// What the value after `key` is in an object of `shape`, and the key's bits among its parts' `required`
/// names.
fn judge(walker: &Walker<'_>, shape: &ObjectShape<'_>, key: &str) -> (Next, u128) {
    let mut required = 0;
    for (bit, (_, name)) in walker.required_names(shape.parts).enumerate() {
        if name == key {
            required |= 1 << bit;
        }
    }
    let next = match shape.property(walker.compiled, key) {
        Some((part, prop)) => {
            let node = &walker.compiled.nodes[prop];
            let quiet = [NULL, BOOLEAN, INTEGER, NUMBER, STRING]
                .into_iter()
                .filter(|&bit| node.parts.is_empty() || node.summary.quiet_for(bit))
                .fold(0, |bits, bit| bits | bit);
            Next::Declared { part, prop, quiet }
        }
        None => match shape.undeclared() {
            Undeclared::Schema(extra) => Next::Extra(extra),
            Undeclared::Added(target) => Next::Added(target),
            Undeclared::Allowed => Next::Allowed,
        },
    };
    (next, required)
}

/// A `Value` built from events (what `serde_json` would have parsed).
struct Builder {
    /// Open containers, innermost last, each object with the key its next value goes under.
    open: Vec<(Value, Option<String>)>,
    value: Option<Value>,
}

impl Builder {
    fn new(kind: u8) -> Self {
        let mut builder = Builder { open: Vec::new(), value: None };
        builder.begin(kind);
        builder
    }

    fn begin(&mut self, kind: u8) {
        let container = if kind == OBJECT { Value::Object(Map::new()) } else { Value::Array(Vec::new()) };
        self.open.push((container, None));
    }

    fn key(&mut self, key: &str) {
        if let Some((_, slot)) = self.open.last_mut() {
            *slot = Some(key.to_string());
        }
    }

    fn end(&mut self) {
        if let Some((container, _)) = self.open.pop() {
            self.put(container);
        }
    }

    fn put(&mut self, value: Value) {
        match self.open.last_mut() {
            None => self.value = Some(value),
            Some((Value::Object(map), key)) => {
                map.insert(key.take().unwrap_or_default(), value);
            }
            Some((Value::Array(items), _)) => items.push(value),
            Some(_) => {}
        }
    }
}

impl<'c> Walker<'c> {
    fn required_names(&self, parts: &'c [NodeId]) -> impl Iterator<Item = (NodeId, &'c String)> + 'c {
        let compiled = self.compiled;
        parts.iter().flat_map(move |&p| compiled.nodes[p].required.iter().map(move |name| (p, name)))
    }

    /// The checks of a scalar at `parts`, once entered.
    fn scalar(&mut self, parts: &'c [NodeId], scalar: Scalar<'_>, depth: usize) {
        if self.has_unions(parts) {
            self.entered(parts, &scalar.to_value(), depth);
            return;
        }
        let fits = self.fits_type(parts, scalar.type_bit(), || sketch::sketch(&scalar.to_value()));
        if !fits || matches!(scalar, Scalar::Null) {
            return;
        }
        self.check_enum(parts, |listed| scalar.same(listed), || sketch::safe_literal(&scalar.to_value()));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use serde_json::json;

    use super::super::super::index::EMBEDDED;
    use super::*;

    /// The vendored spec's index document, compiled, with every schema pointer it compiled and the
    /// property names and enum strings it declares (so arbitrary bodies hit declared places).
    struct Vendored {
        compiled: Compiled,
        pointers: Vec<String>,
        names: Vec<String>,
        literals: Vec<String>,
    }

    static VENDORED: LazyLock<Vendored> = LazyLock::new(|| {
        let root: Value = serde_json::from_str(EMBEDDED).expect("the index build.rs wrote");
        let document = &root["document"];
        let compiled = Compiled::new(document);
        let mut pointers: Vec<String> = compiled.by_pointer.keys().cloned().collect();
        pointers.sort();
        let (mut names, mut literals) = (BTreeSet::new(), BTreeSet::new());
        fn gather(v: &Value, names: &mut BTreeSet<String>, literals: &mut BTreeSet<String>) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties") {
                        names.extend(props.keys().cloned());
                    }
                    for listed in
                        map.get("enum").and_then(Value::as_array).into_iter().flatten().chain(map.get("const"))
                    {
                        literals.extend(listed.as_str().map(str::to_string));
                    }
                    map.values().for_each(|x| gather(x, names, literals));
                }
                Value::Array(items) => items.iter().for_each(|x| gather(x, names, literals)),
                _ => {}
            }
        }
        gather(document, &mut names, &mut literals);
        Vendored { compiled, pointers, names: names.into_iter().collect(), literals: literals.into_iter().collect() }
    });

    fn arbitrary_body() -> impl Strategy<Value = Value> {
        let vendored = &*VENDORED;
        let literal = prop::sample::select(vendored.literals.clone());
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            "[a-z\"\\\\\n]{0,6}".prop_map(Value::String),
            literal.prop_map(Value::String),
        ];
        let name = prop::sample::select(vendored.names.clone());
        leaf.prop_recursive(6, 128, 10, move |inner| {
            let keys = prop_oneof![3 => name.clone(), 1 => "[a-z]{1,6}", 1 => "[a-z\"\\\\@ ]{1,6}", 1 => "\\PC{1,6}"];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(keys, inner, 0..10).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The streaming walk finds what the `Value` walk finds, for arbitrary JSON (with the spec's own
        /// property names and enum literals) at any schema of the vendored index, compact or pretty.
        #[test]
        fn the_streaming_walk_finds_what_the_value_walk_finds(
            body in arbitrary_body(),
            at in any::<prop::sample::Index>(),
            pretty in any::<bool>(),
        ) {
            let vendored = &*VENDORED;
            let pointer = at.get(&vendored.pointers);
            let bytes = if pretty { serde_json::to_vec_pretty(&body) } else { serde_json::to_vec(&body) };
            let bytes = bytes.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let streamed = vendored.compiled.walk_bytes(pointer, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(streamed, vendored.compiled.walk(pointer, &body), "at {}: {}", pointer, body);
        }
    }

    #[test]
    fn the_vendored_index_has_places_to_hit() {
        let vendored = &*VENDORED;
        assert!(vendored.pointers.iter().any(|p| p == "/components/schemas/Assistant"));
        assert!(vendored.names.len() > 50 && !vendored.literals.is_empty());
    }

    #[test]
    fn a_body_that_is_not_json_is_an_error_not_findings() {
        let compiled = &VENDORED.compiled;
        let assistant = "/components/schemas/Assistant";
        for bad in [&b"{"[..], b"{\"id\": 1} x", b"", b"{\"id\": \"a\", }", b"[1, 2", b"{\"id\": \"\xff\"}"] {
            assert!(compiled.walk_bytes(assistant, bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let found = compiled.walk_bytes(assistant, br#"{"id": "a", "name": "b", "enabled": true, "mood": "x"}"#);
        let found = found.expect("JSON");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].kind, found[0].name.as_deref()), (DriftKind::PropertyAdded, Some("mood")));
    }

    #[test]
    fn a_scalar_below_a_union_is_judged_by_its_best_branch() {
        let doc = json!({"components": {"schemas": {"S": {"oneOf": [{"type": "string", "enum": ["a"]}, {"type": "integer"}]}}}});
        let compiled = Compiled::new(&doc);
        for (body, expected) in [
            ("\"a\"", vec![]),
            ("5", vec![]),
            ("\"b\"", vec![DriftKind::EnumValueAdded]),
            ("true", vec![DriftKind::TypeMismatch]),
        ] {
            let found = compiled.walk_bytes("/components/schemas/S", body.as_bytes()).expect("JSON");
            assert_eq!(found.iter().map(|o| o.kind).collect::<Vec<_>>(), expected, "{body}");
            let value: Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(found, compiled.walk("/components/schemas/S", &value), "{body}");
        }
    }

    /// An object nested in an object of its own schema (a recursive schema) shares the memo of keys:
    /// the inner one rewrites it, and the outer one's later keys are still judged and named right.
    #[test]
    fn a_recursive_schema_keeps_names_right_across_nesting() {
        let doc = json!({"components": {"schemas": {"Node": {
            "type": "object",
            "additionalProperties": false,
            "properties": {"name": {"type": "string"}, "kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}
        }}}});
        let node = "/components/schemas/Node";
        for body in [
            json!({"name": "a", "kids": [{"zzz": 1}], "extra": 2}),
            json!({"name": "a", "kids": [{"name": "b", "kids": [], "inner": 1}], "outer": true}),
            json!({"kids": [{"kids": [{"deep": null}], "mid": 1}], "name": "a", "top": "x"}),
            json!({"kids": [{"name": "x", "kids": [{"deep": 1}], "mid": 1}]}),
        ] {
            let found = super::super::walk(&doc, node, &body);
            assert!(found.iter().all(|o| o.name.is_some()), "every added property named: {found:?}");
        }
    }

    /// A map with more keys than are remembered is judged key by key all the same.
    #[test]
    fn a_map_past_the_remembered_keys_is_judged_whole() {
        let doc = json!({"components": {"schemas": {"M": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": false, "properties": {"n": {"type": "integer"}}}
        }}}});
        let entries: serde_json::Map<String, Value> = (0..600)
            .map(|i| (format!("k{i}"), if i == 599 { json!({"n": 1, "late": 1}) } else { json!({"n": i}) }))
            .collect();
        let found = super::super::walk(&doc, "/components/schemas/M", &Value::Object(entries));
        let names: Vec<_> = found.iter().map(|o| o.name.as_deref()).collect();
        assert_eq!(names, [Some("late")]);
    }

    /// A body past the node budget is checked up to it, as the `Value` walk checks it: a scalar
    /// passed without entering its schema still takes its share.
    #[test]
    fn the_budget_ends_the_walk_where_the_value_walk_ends() {
        let compiled = &VENDORED.compiled;
        let list = "/paths/~1orgs~1{org_id}~1assistants/get/responses/200/content/application~1json/schema";
        let item = json!({"id": "a", "name": "b", "enabled": true});
        let mut items = vec![item; 60_000];
        items[0]["mood"] = json!(1);
        items[59_999]["late"] = json!(1);
        let body = Value::Array(items);
        let bytes = serde_json::to_vec(&body).expect("JSON");
        let found = compiled.walk_bytes(list, &bytes).expect("JSON");
        let names: Vec<_> = found.iter().filter_map(|o| o.name.as_deref()).collect();
        assert_eq!(names, ["mood"], "within the budget, and nothing after it");
        assert_eq!(found, compiled.walk(list, &body));
    }

    #[test]
    fn escaped_keys_and_strings_are_read_as_their_text() {
        let compiled = &VENDORED.compiled;
        let body = br#"{"\u0069d": "a", "n\u0061me": "b\n", "enabled": true, "\u006dood": 1}"#;
        let found = compiled.walk_bytes("/components/schemas/Assistant", body).expect("JSON");
        assert_eq!(
            found.iter().map(|o| (o.kind, o.name.as_deref())).collect::<Vec<_>>(),
            [(DriftKind::PropertyAdded, Some("mood"))]
        );
        assert_eq!(found[0].sketch, Some(json!({"type": "integer"})));
    }

    /// Spec-shaped bodies with drift in them: a seeded mock world's values of the generated types,
    /// then random edits (new properties, replaced and removed values) anywhere in them.
    #[cfg(feature = "mock")]
    mod typed {
        use serde::de::DeserializeOwned;

        use super::super::super::tee::json_body_watched;
        use super::*;
        use crate::mock::data::{Seed, World};
        use crate::types;

        static WORLD: LazyLock<World> = LazyLock::new(|| World::seeded(&Seed::default()));

        /// One edit: which object or value (an index into all of them, wrapping) and what to do there.
        #[derive(Debug, Clone)]
        enum Edit {
            Insert(usize, String, Value),
            Replace(usize, Value),
            Remove(usize, usize),
        }

        fn edits() -> impl Strategy<Value = Vec<Edit>> {
            let name = prop::sample::select(VENDORED.names.clone());
            let key = prop_oneof![2 => name, 1 => "[a-z_]{1,8}"];
            let edit = prop_oneof![
                (any::<usize>(), key, arbitrary_body()).prop_map(|(at, k, v)| Edit::Insert(at, k, v)),
                (any::<usize>(), arbitrary_body()).prop_map(|(at, v)| Edit::Replace(at, v)),
                (any::<usize>(), any::<usize>()).prop_map(|(at, k)| Edit::Remove(at, k)),
            ];
            prop::collection::vec(edit, 0..4)
        }

        /// Pointers to every value of `v` (objects only when `objects`), in document order.
        fn places(v: &Value, at: String, objects: bool, out: &mut Vec<String>) {
            if !objects || v.is_object() {
                out.push(at.clone());
            }
            match v {
                Value::Object(map) => {
                    for (k, x) in map {
                        places(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), objects, out)
                    }
                }
                Value::Array(items) => {
                    for (i, x) in items.iter().enumerate() {
                        places(x, format!("{at}/{i}"), objects, out)
                    }
                }
                _ => {}
            }
        }

        fn apply(mut body: Value, edits: &[Edit]) -> Value {
            for edit in edits {
                let (objects, at) = match edit {
                    Edit::Insert(at, ..) | Edit::Remove(at, _) => (true, *at),
                    Edit::Replace(at, _) => (false, *at),
                };
                let mut found = Vec::new();
                places(&body, String::new(), objects, &mut found);
                let Some(pointer) = found.get(at % found.len().max(1)).cloned() else { continue };
                let Some(target) = body.pointer_mut(&pointer) else { continue };
                match (edit, target) {
                    (Edit::Insert(_, k, v), Value::Object(map)) => {
                        map.insert(k.clone(), v.clone());
                    }
                    (Edit::Remove(_, k), Value::Object(map)) if !map.is_empty() => {
                        let key = map.keys().nth(k % map.len()).cloned().unwrap_or_default();
                        map.remove(&key);
                    }
                    (Edit::Replace(_, v), target) => *target = v.clone(),
                    _ => {}
                }
            }
            body
        }

        /// Decodes `body` into `T` with the walk listening: the same value or the same error as the
        /// decode alone (the tee is transparent), and when it succeeds, the listener heard the whole
        /// body and found what walking the bytes on their own finds. Returns whether it decoded and
        /// the findings.
        fn heard<T: DeserializeOwned + serde::Serialize>(
            pointer: &str,
            body: &[u8],
        ) -> Result<(bool, usize), TestCaseError> {
            let compiled = &VENDORED.compiled;
            let mut listener = compiled.listen(pointer).ok_or_else(|| TestCaseError::fail(pointer.to_string()))?;
            let decoded = json_body_watched::<T, _>(body, &mut listener);
            let alone_decoded = crate::decode::json_body::<T>(body);
            let as_text = |r: &Result<T, serde_json::Error>| match r {
                Ok(value) => serde_json::to_string(value).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            prop_assert_eq!(as_text(&decoded), as_text(&alone_decoded), "{}", String::from_utf8_lossy(body));
            let alone = compiled.walk_bytes(pointer, body).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if decoded.is_err() {
                return Ok((false, alone.len()));
            }
            let heard = listener.finish();
            prop_assert_eq!(heard.as_ref(), Some(&alone), "{}", String::from_utf8_lossy(body));
            Ok((true, alone.len()))
        }

        fn pick(values: &[Value], at: prop::sample::Index) -> Value {
            if values.is_empty() {
                Value::Null
            } else {
                values[at.index(values.len())].clone()
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// The walk listening to the typed decode (one parse) finds what the walk of the bytes
            /// alone finds, for the generated types the vendored spec's responses decode into.
            #[test]
            fn listening_to_the_typed_decode_finds_what_walking_the_bytes_finds(
                which in 0usize..5,
                at in any::<prop::sample::Index>(),
                edits in edits(),
            ) {
                let org = &WORLD.orgs[0];
                let chat_messages: Vec<Value> = WORLD.messages.values().flatten().cloned().collect();
                let (pointer, value) = match which {
                    0 => ("/components/schemas/Assistant", pick(&org.assistants, at)),
                    1 => ("/components/schemas/Contact", pick(&org.contacts, at)),
                    2 => ("/components/schemas/Chat", pick(&org.chats, at)),
                    3 => ("/components/schemas/ChatMessage", pick(&chat_messages, at)),
                    _ => ("/components/schemas/Connection", pick(&org.connections, at)),
                };
                let body = serde_json::to_vec(&apply(value, &edits)).map_err(|e| TestCaseError::fail(e.to_string()))?;
                match which {
                    0 => heard::<types::Assistant>(pointer, &body)?,
                    1 => heard::<types::Contact>(pointer, &body)?,
                    2 => heard::<types::Chat>(pointer, &body)?,
                    3 => heard::<types::ChatMessage>(pointer, &body)?,
                    _ => heard::<types::Connection>(pointer, &body)?,
                };
            }
        }

        /// Not vacuous: edited bodies that still decode, with findings, are common among those cases.
        #[test]
        fn edited_bodies_decode_with_findings() {
            let org = &WORLD.orgs[0];
            let mut assistant = org.assistants[0].clone();
            assistant["mood"] = json!({"level": 3, "tags": ["a"]});
            assistant["config"] = json!({"tone": "dry"});
            let body = serde_json::to_vec(&assistant).expect("JSON");
            let result = heard::<types::Assistant>("/components/schemas/Assistant", &body);
            assert_eq!(result.ok(), Some((true, 2)), "mood and config.tone: {assistant}");
        }

        /// A type that reads tokens the events cannot describe makes the listener blind, so capture
        /// walks the bytes on their own instead of trusting it.
        #[test]
        fn what_the_events_cannot_describe_makes_the_listener_blind() {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            enum Tagged {
                A(u32),
            }
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct EnumAccess {
                id: Tagged,
            }
            #[derive(serde::Deserialize)]
            #[allow(dead_code)]
            struct NumberKeys {
                id: String,
                by_number: std::collections::BTreeMap<u32, bool>,
            }
            let compiled = &VENDORED.compiled;
            let blind = |decoded: bool, listener: Listener<'_>| (decoded, listener.finish());
            let mut listener = compiled.listen("/components/schemas/Assistant").expect("compiled");
            let decoded = json_body_watched::<EnumAccess, _>(br#"{"id": {"A": 1}}"#, &mut listener).is_ok();
            assert_eq!(blind(decoded, listener), (true, None), "an enum access");
            let mut listener = compiled.listen("/components/schemas/Assistant").expect("compiled");
            let body = br#"{"id": "a", "by_number": {"7": true}}"#;
            let decoded = json_body_watched::<NumberKeys, _>(body, &mut listener).is_ok();
            assert_eq!(blind(decoded, listener), (true, None), "a key read as a number");
            let mut listener = compiled.listen("/components/schemas/Assistant").expect("compiled");
            let decoded = json_body_watched::<NumberKeys, _>(br#"{"id": "a", "by_number": {}}"#, &mut listener).is_ok();
            assert!(decoded && listener.finish().is_some(), "the same type, heard whole when it reads no such key");
            let mut listener = compiled.listen("/components/schemas/Assistant").expect("compiled");
            assert!(json_body_watched::<serde_json::Value, _>(
                br#"{"id": "a", "name": "b", "enabled": true}"#,
                &mut listener
            )
            .is_ok());
            assert_eq!(listener.finish(), Some(vec![]), "a type that reads every token is heard whole");
        }
    }
}
