//! Segments of an org (`/orgs/{org}/segments…`): the list with its search, and renaming or recoloring
//! one (which the contacts' copies of it follow).

use serde_json::{json, Value};

use super::super::data::{self, World};
use super::super::reply::{conformed, find, merge, now, page, Call, Handled, Reply};
use crate::types;

pub(in crate::mock) fn list(world: &World, org: usize, call: &Call<'_>) -> Handled {
    let search = call.query.get("search").map(str::to_lowercase);
    let matches =
        |s: &&Value| search.as_ref().is_none_or(|t| s["name"].as_str().is_some_and(|n| n.to_lowercase().contains(t)));
    page(world.orgs[org].segments.iter().filter(matches).collect(), call.query)
}

pub(in crate::mock) fn update(world: &mut World, org: usize, id: &str, call: &Call<'_>) -> Handled {
    let patch = call.patch::<types::UpdateSegmentRequest>()?;
    if patch.get("name").and_then(Value::as_str).is_some_and(|n| !(1..=128).contains(&n.chars().count())) {
        return Err(Reply::bad_request("name must be between 1 and 128 characters"));
    }
    let segment = find(&mut world.orgs[org].segments, id).ok_or_else(|| Reply::not_found("Segment", id))?;
    let mut updated = segment.clone();
    merge(&mut updated, &patch, &["name", "color"]);
    updated["updated_at"] = json!(now());
    *segment = conformed::<types::Segment>(updated)?;
    let result = segment.clone();
    // Contacts carry a copy of each of their segments.
    let nested = data::nested_segment(&result);
    for contact in &mut world.orgs[org].contacts {
        if let Some(list) = contact["segments"].as_array_mut() {
            for s in list.iter_mut().filter(|s| s["id"] == id) {
                *s = nested.clone();
            }
        }
    }
    Ok(Reply::ok(result))
}
