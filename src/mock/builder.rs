//! [`MockInventBuilder`]: the settings of a mock Invent (seed sizes, key, 429 cadence); `start` is with
//! the server it starts (`server.rs`).

use super::conventions::MOCK_API_KEY;
use super::data::Seed;

/// Settings of a [`MockInvent`](super::server::MockInvent); start from
/// [`MockInvent::builder`](super::server::MockInvent::builder).
#[derive(Debug, Clone)]
pub struct MockInventBuilder {
    pub(super) seed: Seed,
    pub(super) api_key: String,
    pub(super) rate_limit_every: Option<u64>,
}

impl Default for MockInventBuilder {
    fn default() -> Self {
        MockInventBuilder { seed: Seed::default(), api_key: MOCK_API_KEY.to_string(), rate_limit_every: None }
    }
}

impl MockInventBuilder {
    /// Every `n`-th request gets a 429 (`Retry-After: 0`); 0 or 1 turns it off (1 would refuse everything).
    pub fn rate_limit_every(mut self, n: u64) -> Self {
        self.rate_limit_every = (n >= 2).then_some(n);
        self
    }
    /// The key the server accepts (default [`MOCK_API_KEY`]).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }
    /// Number of assistants in the key's own org (default 25).
    pub fn assistants(mut self, n: usize) -> Self {
        self.seed.assistants = n;
        self
    }
    /// Number of contacts in the key's own org (default 12).
    pub fn contacts(mut self, n: usize) -> Self {
        self.seed.contacts = n;
        self
    }
    /// Number of chats in the key's own org (default 3).
    pub fn chats(mut self, n: usize) -> Self {
        self.seed.chats = n;
        self
    }
    /// Number of sub-orgs (default 2), each with 3 assistants, 4 contacts and 1 chat unless [`Self::seed`]
    /// says otherwise.
    pub fn sub_orgs(mut self, n: usize) -> Self {
        self.seed.sub_orgs = n;
        self
    }
    /// All seed counts at once.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }
}
