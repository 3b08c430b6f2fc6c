//! The mock Invent's handlers, one file per resource group: each takes the world, the org or chat the
//! path names and the call, and answers like Invent (or as close as its documentation allows).

pub(super) mod assistants;
pub(super) mod chats;
pub(super) mod contacts;
pub(super) mod segments;
pub(super) mod sub_orgs;
