//! Mocks of the Invent API for tests and demos (feature `mock`).
//!
//! - [`server::MockInvent`]: a stateful local Invent server on loopback with spec-shaped seed data,
//!   pagination headers, Bearer auth, sub-orgs and an optional deterministic 429 cadence.

pub mod data;
pub mod server;
