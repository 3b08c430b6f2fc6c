//! Drift from traffic: what the client saw on the wire that the spec does not describe. `index` is the
//! compact schema index `build.rs` embeds for the client's capture (feature `drift` of invent-api);
//! `report` reads the JSON-lines drift reports the client writes; `learn` turns them into additions to
//! the overrides file; `verify` is the CI check that fails while a report holds undescribed drift.

pub mod index;
#[cfg(feature = "tools")]
pub mod learn;
#[cfg(feature = "tools")]
pub mod report;
#[cfg(feature = "tools")]
pub mod verify;
