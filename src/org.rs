//! The `c` org alias: which org an org-scoped request (`/orgs/{org_id}/…`) goes to.
//!
//! `build.rs` inlines the org segment of every org-scoped path (`/orgs/{org_id}/…`), so no call needs
//! an org argument: generated code writes the client's org there (`c`, the key's own org, unless the
//! client was made with [`Client::for_org`]). Raw calls to `/orgs/c/…` get the same org by a path
//! rewrite.

use std::fmt;

use crate::Client;

/// The path segment Invent resolves to the org the API key belongs to.
pub const CURRENT_ORG: &str = crate::generated::ORG_ALIAS;

/// Which org a request is scoped to. Anything that takes an org (`for_org`, `ClientBuilder::org`)
/// takes `&str` and `String` too: `"c"` (or empty) is [`Org::Current`], anything else an id.
/// [Guide: orgs and sub-orgs](crate::guide::orgs).
///
/// ```
/// use invent_api::Org;
///
/// assert_eq!(Org::parse("c"), Org::Current);
/// assert_eq!(Org::parse(" org_7wHuTTRIfOM537zxuAHi6g "), Org::Id("org_7wHuTTRIfOM537zxuAHi6g".into()));
/// assert_eq!(Org::Current.segment(), "c");
/// assert_eq!(Org::from("org_1").to_string(), "org_1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub enum Org {
    /// The org the API key belongs to (`c`). For a parent (agency) key this is the parent, never a
    /// sub-org.
    #[default]
    Current,
    /// An org by its real id, e.g. a sub-org `org_7wHuTTRIfOM537zxuAHi6g`.
    Id(String),
}

impl Org {
    /// `"c"` or `"org_…"` → the matching variant (empty means current).
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            "" | CURRENT_ORG => Org::Current,
            id => Org::Id(id.to_string()),
        }
    }

    /// The org as the server knows it (`c` or the id).
    pub fn segment(&self) -> &str {
        match self {
            Org::Current => CURRENT_ORG,
            Org::Id(id) => id,
        }
    }

    /// The segment as it goes into a URL path (percent-encoded).
    pub(crate) fn path_segment(&self) -> String {
        progenitor_client::encode_path(self.segment())
    }
}

impl fmt::Display for Org {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.segment())
    }
}

impl From<&str> for Org {
    fn from(value: &str) -> Self {
        Org::parse(value)
    }
}

impl From<String> for Org {
    fn from(value: String) -> Self {
        Org::parse(&value)
    }
}

impl Client {
    /// A client whose org-scoped calls go to `org` (e.g. a sub-org id). Cheap: it shares the HTTP
    /// connection pool, rate limiter and retry budget with `self`.
    ///
    /// ```
    /// use invent_api::{Client, Org};
    ///
    /// let client = Client::builder().api_key("sk_test").build()?;
    /// assert_eq!(client.org(), &Org::Current); // `/orgs/c/…`: the key's own org
    /// let sub = client.for_org("org_7wHuTTRIfOM537zxuAHi6g"); // `/orgs/org_7wHu…/…`
    /// assert_eq!(sub.org().segment(), "org_7wHuTTRIfOM537zxuAHi6g");
    /// // Then the same calls: sub.list_assistants().send().await?
    /// # Ok::<(), invent_api::ConfigError>(())
    /// ```
    pub fn for_org(&self, org: impl Into<Org>) -> Client {
        let mut client = self.clone();
        let org = org.into();
        client.inner.org_path = org.path_segment().into();
        client.inner.org = org;
        client
    }

    /// The org this client's org-scoped calls go to.
    pub fn org(&self) -> &Org {
        &self.inner.org
    }
}

/// Rewrites the `c` segment after `{base path}/orgs/` to `org`'s id. Only paths that start with
/// `{base}/orgs/c/` (or equal `{base}/orgs/c`) are touched.
pub(crate) fn rewrite_path(path: &str, base_path: &str, org: &Org) -> Option<String> {
    let Org::Id(id) = org else { return None };
    let rest = path.strip_prefix(base_path)?.strip_prefix("/orgs/")?;
    let tail = rest.strip_prefix(CURRENT_ORG)?;
    if !(tail.is_empty() || tail.starts_with('/')) {
        return None;
    }
    let encoded = progenitor_client::encode_path(id);
    Some(format!("{base_path}/orgs/{encoded}{tail}"))
}

/// Applies the client's org to an org-scoped request.
pub(crate) fn apply(request: &mut reqwest::Request, base_path: &str, org: &Org) {
    if let Some(path) = rewrite_path(request.url().path(), base_path, org) {
        request.url_mut().set_path(&path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_org_segment() {
        let sub = Org::Id("org_sub".into());
        assert_eq!(rewrite_path("/orgs/c/assistants", "", &sub).as_deref(), Some("/orgs/org_sub/assistants"));
        assert_eq!(rewrite_path("/orgs/c", "", &sub).as_deref(), Some("/orgs/org_sub"));
        assert_eq!(rewrite_path("/api/orgs/c/x", "/api", &sub).as_deref(), Some("/api/orgs/org_sub/x"));
        assert_eq!(rewrite_path("/orgs/cats", "", &sub), None);
        assert_eq!(rewrite_path("/chats/c", "", &sub), None);
        assert_eq!(rewrite_path("/orgs/c/x", "", &Org::Current), None);
        assert_eq!(rewrite_path("/orgs/c/orgs/c", "", &sub).as_deref(), Some("/orgs/org_sub/orgs/c"));
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(Org::parse("c"), Org::Current);
        assert_eq!(Org::parse(""), Org::Current);
        assert_eq!(Org::from("org_1").to_string(), "org_1");
        assert_eq!(Org::Current.to_string(), "c");
    }
}
