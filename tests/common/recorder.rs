//! A tracing subscriber for tests: records spans (with the fields recorded on them later) and events,
//! in order, as text, so a test can assert what a call or a stream reported and that the key never
//! appears. Events are entries named by their message.
//!
//! Use it from a test file with `#[path = "common/recorder.rs"] mod recorder;` (or `#[path =
//! "../common/recorder.rs"]` from a test directory).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span (its name) or an event (its message), with its fields as text.
pub type Entry = (String, Vec<(String, String)>);

/// Records every span and event; clones share the record.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Entry>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_string(), format!("{value:?}").trim_matches('"').to_string()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Vec::new();
        span.record(&mut Fields(&mut fields));
        let mut all = self.0.lock().unwrap();
        all.push((span.metadata().name().to_string(), fields));
        Id::from_u64(all.len() as u64)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        let mut all = self.0.lock().unwrap();
        if let Some((_, fields)) = all.get_mut(id.into_u64() as usize - 1) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.iter().find(|(k, _)| k == "message").map(|(_, v)| v.clone()).unwrap_or_default();
        self.0.lock().unwrap().push((message, fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Recorder {
    /// The fields of every span or event named `name`, in order.
    pub fn find(&self, name: &str) -> Vec<Vec<(String, String)>> {
        self.0.lock().unwrap().iter().filter(|(n, _)| n == name).map(|(_, f)| f.clone()).collect()
    }

    /// The one span named `name` (panics, listing everything, unless there is exactly one).
    pub fn span(&self, name: &str) -> Vec<(String, String)> {
        let found = self.find(name);
        assert_eq!(found.len(), 1, "expected one `{name}`, got {}", self.everything());
        found.into_iter().next().unwrap_or_default()
    }

    /// Everything recorded, as text (for "the key never appears" checks and failure messages).
    pub fn everything(&self) -> String {
        format!("{:?}", self.0.lock().unwrap())
    }
}

/// The value of `name` in `fields` (the last one recorded), or a panic listing the fields.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no `{name}` in {fields:?}"))
}

/// The process-wide default: records nothing, but keeps every callsite's interest at "sometimes".
/// Without it, a callsite first hit by a test on another thread while the recorder is the only
/// registered dispatcher is cached as "never" (tracing-core asks that thread's default, the no-op one),
/// and the recorder misses it. Install with `tracing::subscriber::set_global_default(Quiet)`.
pub struct Quiet;

impl Subscriber for Quiet {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::sometimes()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
