//! What a mock handler is given (the call: method, query, body) and what it gives back (a [`Reply`]:
//! status, JSON body, headers and the event it raises), plus the helpers every handler shares.

use serde_json::{json, Map, Value};

use super::conventions;
use super::data;
use super::events::MockEvent;

/// A response before it becomes an `HttpMockResponse`.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) headers: Vec<(&'static str, String)>,
    /// Sent to the event sockets once the reply is made. Boxed: a `Reply` is also every handler's `Err`,
    /// which stays small without the event inline (clippy `result_large_err`).
    pub(super) event: Option<Box<MockEvent>>,
}

impl Reply {
    pub(super) fn ok(body: Value) -> Reply {
        Reply { status: 200, body, headers: Vec::new(), event: None }
    }

    pub(super) fn error(status: u16, message: impl Into<String>) -> Reply {
        Reply { status, body: conventions::error_body(status, &message.into()), headers: Vec::new(), event: None }
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Reply {
        Reply::error(400, message)
    }

    pub(super) fn not_found(what: &str, id: &str) -> Reply {
        Reply::error(404, format!("{what} {id} not found"))
    }

    pub(super) fn event(mut self, event: MockEvent) -> Reply {
        self.event = Some(Box::new(event));
        self
    }

    pub(super) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// A handler's answer: `Err` is an error reply, so `?` works on lookups and body checks.
pub(super) type Handled = Result<Reply, Reply>;

/// The query string's pairs, in order.
pub(super) struct Query(pub(super) Vec<(String, String)>);

impl Query {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// `page` and `take`, validated like Invent's query validation.
    pub(super) fn paging(&self) -> Result<(u64, u64), Reply> {
        conventions::paging(|name| self.get(name)).map_err(Reply::bad_request)
    }

    pub(super) fn flag(&self, name: &str) -> Result<Option<bool>, Reply> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Reply::bad_request(format!("{name} must be a boolean value"))),
        }
    }
}

/// One request as a handler sees it.
pub(super) struct Call<'a> {
    pub(super) method: &'a str,
    pub(super) query: &'a Query,
    pub(super) body: &'a [u8],
}

impl Call<'_> {
    /// The JSON body, checked against the generated request type `T` (an empty body is `{}`).
    pub(super) fn body<T: serde::de::DeserializeOwned + serde::Serialize>(&self) -> Result<Value, Reply> {
        let value: Value = if self.body.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(self.body)
                .map_err(|e| Reply::bad_request(format!("the body is not valid JSON: {e}")))?
        };
        data::conform::<T>(value).map_err(Reply::bad_request)
    }

    /// [`Self::body`] as an object (a request type that serializes to something else is an empty patch).
    pub(super) fn patch<T: serde::de::DeserializeOwned + serde::Serialize>(&self) -> Result<Map<String, Value>, Reply> {
        Ok(self.body::<T>()?.as_object().cloned().unwrap_or_default())
    }
}

/// One page of `items` with the pagination headers.
pub(super) fn page(items: Vec<&Value>, query: &Query) -> Handled {
    let (page, take) = query.paging()?;
    let (slice, headers) = conventions::page_of(&items, page, take);
    let mut reply = Reply::ok(Value::Array(slice.into_iter().cloned().collect()));
    for (name, value) in headers {
        reply = reply.header(name, value);
    }
    Ok(reply)
}

/// The current time as Invent writes it.
pub(super) fn now() -> String {
    data::timestamp(chrono::Utc::now())
}

/// The item whose `id` is `id`.
pub(super) fn find<'a>(items: &'a mut [Value], id: &str) -> Option<&'a mut Value> {
    items.iter_mut().find(|item| item["id"] == id)
}

/// `value` through the generated type `T`; a mismatch is the mock's own bug, so a 500 naming it.
pub(super) fn conformed<T: serde::de::DeserializeOwned + serde::Serialize>(value: Value) -> Result<Value, Reply> {
    data::conform::<T>(value).map_err(|e| Reply::error(500, e))
}

/// Copies the fields of `patch` named in `fields` into `target`; an object replaces nothing but is
/// merged one level deep (Invent deep-merges partial `config` objects).
pub(super) fn merge(target: &mut Value, patch: &Map<String, Value>, fields: &[&str]) {
    for field in fields {
        let Some(value) = patch.get(*field) else { continue };
        match (target.get_mut(*field), value) {
            (Some(Value::Object(old)), Value::Object(new)) => {
                for (k, v) in new {
                    old.insert(k.clone(), v.clone());
                }
            }
            _ => target[*field] = value.clone(),
        }
    }
}

/// The `message` parts of a body: `Err` (400) when there are none and `required` says there must be.
pub(super) fn parts(body: &Value, required: bool) -> Result<Vec<Value>, Reply> {
    let parts = body["message"].as_array().cloned().unwrap_or_default();
    if required && parts.is_empty() {
        return Err(Reply::bad_request("message must contain at least 1 element"));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_scalars_and_merges_objects_one_level() {
        let mut target = json!({ "name": "a", "config": { "x": 1, "y": 2 }, "other": 1 });
        let patch = json!({ "name": "b", "config": { "y": 3, "z": 4 }, "other": 9 });
        merge(&mut target, patch.as_object().unwrap(), &["name", "config"]);
        assert_eq!(target, json!({ "name": "b", "config": { "x": 1, "y": 3, "z": 4 }, "other": 1 }));
    }

    #[test]
    fn query_flags_and_paging_errors_are_400s() {
        let q = Query(vec![("flag".into(), "yes".into()), ("take".into(), "0".into())]);
        assert_eq!(q.flag("flag").err().map(|r| r.status), Some(400));
        assert_eq!(q.flag("absent").ok(), Some(None));
        assert_eq!(q.paging().err().map(|r| r.status), Some(400));
        assert_eq!(parts(&json!({ "message": [] }), true).err().map(|r| r.status), Some(400));
        assert_eq!(parts(&json!({}), false).ok(), Some(vec![]));
    }
}
