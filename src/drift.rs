//! Drift capture (feature `drift`): the client checks sampled responses against the spec it was
//! generated from and records where the real API departs — undeclared properties, enum values,
//! statuses and media types, required properties absent or null — as shapes, never values. Read it
//! with [`Client::drift_report`], write it with [`DriftConfig::file`]; `invent-spec learn` turns a
//! report into overrides and `invent-spec verify-drift` fails CI on undescribed drift
//! ([guide](crate::guide::drift)).

mod config;
mod index;
mod report;
mod sink;
mod sketch;
mod walk;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use reqwest::header::{HeaderMap, CONTENT_TYPE};
use serde_json::Value;

use bytes::Bytes;

use crate::{ApiError, Client, OperationSpec, ResponseBody};

pub use config::{DriftConfig, DEFAULT_MAX_FINDINGS, ENV_DRIFT_FILE, ENV_DRIFT_SAMPLE};
pub use report::{DriftFinding, DriftKind, DriftReport};

use index::SchemaIndex;
use report::{FindingKey, Store};
pub(crate) use walk::{json_body_watched, Events, Listener};

/// Longest media type a report repeats (a longer `Content-Type` is reported as `(invalid)`).
const MAX_MEDIA_TYPE: usize = 100;

/// A client's capture: sampling, the lazily parsed index, the findings and the sink.
pub(crate) struct Recorder {
    /// Sample when the mixed counter is below this (`None`: every response).
    threshold: Option<u64>,
    counter: AtomicU64,
    index: OnceLock<Option<SchemaIndex>>,
    store: Mutex<Store>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("threshold", &self.threshold).field("file", &self.file).finish_non_exhaustive()
    }
}

impl Recorder {
    /// The recorder `config` asks for, or `None` when capture is off.
    pub(crate) fn new(config: &DriftConfig) -> Option<Self> {
        if !config.is_on() {
            return None;
        }
        // rate · 2^64, as the bound a uniform u64 falls under with that probability.
        let threshold = (config.rate < 1.0).then_some((config.rate * 18_446_744_073_709_551_616.0) as u64);
        let seed = config.seed.unwrap_or_else(|| crate::rng::u128() as u64);
        Some(Recorder {
            threshold,
            counter: AtomicU64::new(seed),
            index: OnceLock::new(),
            store: Mutex::new(Store::new(config.max_findings)),
            file: config.file.clone(),
        })
    }

    /// A capture of `op`'s response when this call is sampled.
    pub(crate) fn capture<'a>(&'a self, op: &'a OperationSpec) -> Option<Capture<'a>> {
        let sampled = match self.threshold {
            None => true,
            Some(bound) => mix(self.counter.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)) < bound,
        };
        sampled.then_some(Capture { recorder: self, op })
    }

    fn index(&self) -> Option<&SchemaIndex> {
        self.index
            .get_or_init(|| match SchemaIndex::parse(index::EMBEDDED) {
                Ok(index) => Some(index),
                Err(error) => {
                    tracing::warn!(target: "invent_api::drift", %error, "drift capture disabled");
                    None
                }
            })
            .as_ref()
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn report(&self) -> DriftReport {
        self.store().report()
    }

    /// Appends what arrived since the last flush to the file, if one is configured.
    pub(crate) fn flush(&self) -> std::io::Result<()> {
        let Some(path) = &self.file else { return Ok(()) };
        let lines = self.store().take_unflushed();
        sink::append(path, &lines)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Err(error) = self.flush() {
            let file = self.file.as_ref().map(|p| p.display().to_string());
            tracing::warn!(target: "invent_api::drift", ?file, %error, "could not write the drift report");
        }
    }
}

/// SplitMix64's output function: a counter in, a uniform u64 out.
fn mix(x: u64) -> u64 {
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One sampled response of one operation.
#[derive(Clone, Copy)]
pub(crate) struct Capture<'a> {
    recorder: &'a Recorder,
    op: &'a OperationSpec,
}

/// What the decoder had of the body.
enum Seen<'b> {
    /// Not read (streamed to the caller, or discarded).
    #[allow(dead_code, reason = "built by the `Empty` and `Stream` decoders, which a spec may not use")]
    Unread,
    Bytes(&'b [u8]),
    /// An error body: parsed when it was JSON, and whether it had any bytes.
    Parsed(Option<&'b Value>, bool),
}

impl Capture<'_> {
    /// Decodes a success body the decoder read whole, checking it on the way: the typed decode drives
    /// the parse and the schema walk listens to it (one parse); when it could not listen to all of it
    /// (a type that skips or reinterprets tokens, or a body that fails to decode, the drift most worth
    /// knowing about), the body is walked on its own.
    pub(crate) fn decode<T: ResponseBody>(
        &self,
        status: reqwest::StatusCode,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<T, serde_json::Error> {
        let Some((place, schema)) = self.check(status.as_u16(), headers, Seen::Bytes(body)) else {
            return T::decode(status.as_u16(), body);
        };
        let listener = self.recorder.index().and_then(|index| index.schemas.listen(schema));
        let Some(mut listener) = listener else { return T::decode(status.as_u16(), body) };
        let decoded = T::decode_watched(status.as_u16(), body, &mut listener);
        match listener.finish().filter(|_| decoded.is_ok()) {
            Some(observations) => {
                for observation in observations {
                    self.record(&place, observation);
                }
            }
            None => self.walk(&place, schema, body),
        }
        decoded
    }

    /// A success body obtained another way (a raw call), walked on its own.
    pub(crate) fn body(&self, status: reqwest::StatusCode, headers: &HeaderMap, body: &[u8]) {
        if let Some((place, schema)) = self.check(status.as_u16(), headers, Seen::Bytes(body)) {
            self.walk(&place, schema, body);
        }
    }

    fn walk(&self, place: &Place<'_>, schema: &str, body: &[u8]) {
        let Some(index) = self.recorder.index() else { return };
        for observation in index.schemas.walk_bytes(schema, body).unwrap_or_default() {
            self.record(place, observation);
        }
    }

    /// A success response whose body is not read here.
    #[allow(dead_code, reason = "called by the `Empty` and `Stream` decoders, which a spec may not use")]
    pub(crate) fn head(&self, status: reqwest::StatusCode, headers: &HeaderMap) {
        self.check(status.as_u16(), headers, Seen::Unread);
    }

    /// An error response (its body as the error kept it).
    pub(crate) fn error(&self, error: &ApiError) {
        let seen = Seen::Parsed(error.parsed.as_ref(), !error.body.iter().all(u8::is_ascii_whitespace));
        self.check(error.status.as_u16(), &error.headers, seen);
    }

    /// Records what the status and media type say, and walks a parsed body; for JSON bytes, returns
    /// where they land and the pointer of the schema to walk them against (the caller walks them).
    fn check<'i>(&'i self, status: u16, headers: &HeaderMap, seen: Seen<'_>) -> Option<(Place<'i>, &'i str)> {
        let index = self.recorder.index()?;
        let entry = index.operation(self.op.method.as_str(), self.op.template)?;
        self.recorder.store().checked += 1;
        let media = headers.get(CONTENT_TYPE).map(|v| media_type(v.as_bytes()));
        let (body, has_body) = match seen {
            Seen::Unread => (Body::None, media.is_some()),
            Seen::Bytes(bytes) => {
                let has_body = !bytes.iter().all(u8::is_ascii_whitespace);
                // Without a Content-Type the client decodes the body as JSON all the same.
                let json = has_body && media.as_deref().is_none_or(is_json);
                (if json { Body::Json(bytes) } else { Body::None }, has_body)
            }
            Seen::Parsed(Some(value), has_body) => (Body::Parsed(value), has_body),
            Seen::Parsed(None, has_body) => (Body::None, has_body),
        };
        let place = Place { entry, status, media: media.clone() };
        let Some(response) = entry.response(status) else {
            let responses = entry.responses_pointer();
            self.record(
                &place,
                walk::Observation {
                    kind: DriftKind::StatusUndeclared,
                    schema: responses,
                    at: String::new(),
                    name: None,
                    value: None,
                    sketch: body.sketch(),
                },
            );
            return None;
        };
        if !has_body {
            return None;
        }
        let schema = match media {
            // No Content-Type: checked against the declared JSON schema, as the client decodes it.
            None => response.json_schema()?,
            Some(media) => match response.media(&media) {
                None => {
                    self.record(
                        &place,
                        walk::Observation {
                            kind: DriftKind::MediaTypeUndeclared,
                            schema: response.pointer.clone(),
                            at: String::new(),
                            name: None,
                            value: None,
                            sketch: body.sketch(),
                        },
                    );
                    return None;
                }
                Some(schema) => schema?,
            },
        };
        match body {
            Body::None => None,
            Body::Json(_) => Some((place, schema)),
            Body::Parsed(value) => {
                for observation in index.schemas.walk(schema, value) {
                    self.record(&place, observation);
                }
                None
            }
        }
    }

    fn record(&self, place: &Place<'_>, o: walk::Observation) {
        let key = FindingKey {
            kind: o.kind,
            operation: self.op.id,
            status: place.status,
            media_type: place.media.clone(),
            schema: o.schema.clone(),
            name: o.name.clone(),
            value: o.value.as_ref().map(Value::to_string),
        };
        let now = now_rfc3339();
        let sketch = o.sketch.clone();
        let finding = || DriftFinding {
            kind: o.kind,
            operation: place.entry.operation.clone(),
            method: place.entry.method.clone(),
            path: place.entry.path.clone(),
            status: place.status,
            media_type: place.media.clone(),
            schema: o.schema.clone(),
            at: o.at.clone(),
            name: o.name.clone(),
            value: o.value.clone(),
            sketch: o.sketch.clone(),
            count: 1,
            first_seen: now.clone(),
            last_seen: now.clone(),
        };
        let mut store = self.recorder.store();
        match store.record(key.clone(), finding, &now) {
            Some(true) => {
                drop(store);
                tracing::info!(
                    target: "invent_api::drift",
                    kind = o.kind.as_str(),
                    operation = %place.entry.operation,
                    status = place.status,
                    schema = %o.schema,
                    name = o.name.as_deref().unwrap_or(""),
                    "new drift: the response departs from the spec"
                );
            }
            Some(false) => {
                if let Some(sketch) = &sketch {
                    store.widen(&key, sketch);
                }
            }
            None => {}
        }
    }
}

/// A body as the checks see it.
enum Body<'b> {
    /// Nothing to check: not read, empty, not JSON or not parsed.
    None,
    /// JSON bytes (walked by the caller, as they are decoded).
    Json(&'b [u8]),
    /// Already parsed (an error body).
    Parsed(&'b Value),
}

impl Body<'_> {
    /// The body's shape (an undeclared status or media type: parsed only then).
    fn sketch(&self) -> Option<Value> {
        match self {
            Body::None => None,
            Body::Json(bytes) => serde_json::from_slice::<Value>(bytes).ok().map(|value| sketch::sketch(&value)),
            Body::Parsed(value) => Some(sketch::sketch(value)),
        }
    }
}

/// Where a response landed: its operation, status and media type.
struct Place<'i> {
    entry: &'i index::OperationEntry,
    status: u16,
    media: Option<String>,
}

/// The essence of a `Content-Type` (`application/json`), lower-cased; `(invalid)` for one that is not
/// a short `type/subtype` token.
fn media_type(header: &[u8]) -> String {
    let essence = header.split(|b| *b == b';').next().unwrap_or_default().trim_ascii();
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(b);
    let valid = essence.len() <= MAX_MEDIA_TYPE
        && essence.iter().filter(|b| **b == b'/').count() == 1
        && essence.iter().all(|b| *b == b'/' || token(b));
    match (valid, std::str::from_utf8(essence)) {
        (true, Ok(text)) => text.to_ascii_lowercase(),
        _ => "(invalid)".to_string(),
    }
}

fn is_json(media: &str) -> bool {
    media == "application/json" || media.ends_with("+json")
}

/// Now, RFC 3339 UTC to the second.
fn now_rfc3339() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Client {
    /// (Feature `drift`.) What drift capture has found so far on this client and its clones (empty
    /// when capture is off).
    ///
    /// ```no_run
    /// use invent_api::{Client, DriftConfig};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::builder().api_key("sk_…").drift(DriftConfig::all()).build()?;
    /// client.list_assistants().send().await?;
    /// for finding in client.drift_report().findings {
    ///     // Shapes only: where the answer departs from the spec, never the values it held.
    ///     println!("{} {} {:?} at {}", finding.kind.as_str(), finding.operation, finding.name, finding.schema);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn drift_report(&self) -> DriftReport {
        self.inner.shared.drift.as_ref().map(Recorder::report).unwrap_or_default()
    }

    /// (Feature `drift`.) Checks a response this client obtained another way — a raw call
    /// ([`Client::raw`]) standing for the operation `op` — against `op`'s declared responses, sampled
    /// like the client's own calls. The CLI does this for the answers it prints as received.
    pub fn drift_check(&self, op: &OperationSpec, status: crate::StatusCode, headers: &HeaderMap, body: &[u8]) {
        if let Some(capture) = self.inner.shared.drift.as_ref().and_then(|recorder| recorder.capture(op)) {
            capture.body(status, headers, body);
        }
    }

    /// (Feature `drift`.) Appends the findings since the last write to the file of
    /// [`DriftConfig::file`] now (it is also written when the last clone of the client is dropped).
    pub fn drift_flush(&self) -> std::io::Result<()> {
        self.inner.shared.drift.as_ref().map_or(Ok(()), Recorder::flush)
    }
}

#[cfg(test)]
mod tests;
