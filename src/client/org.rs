//! The `c` org alias: which org an org-scoped request (`/orgs/{org_id}/…`) goes to.
//!
//! `build.rs` inlines the org segment of every org-scoped path (`/orgs/{org_id}/…`), so no call needs
//! an org argument: generated code writes the client's org there (`c`, the key's own org, unless the
//! client was made with [`Client::for_org`]). Raw calls to `/orgs/c/…` get the same org by a path
//! rewrite. An org id goes into the path through [`crate::path_segment`]: an id that cannot be one
//! segment (`""`, `.`, `..`) fails every org-scoped call of the client with [`Error::InvalidRequest`]
//! (and [`crate::ClientBuilder::build`] with a [`crate::ConfigError`]), never falling back to another
//! org.

use std::fmt;

use crate::client::path;
use crate::{Client, Error};

/// The path segment Invent resolves to the org the API key belongs to.
pub const CURRENT_ORG: &str = include!(concat!(env!("OUT_DIR"), "/org_alias.rs"));

/// Which org a request is scoped to. Anything that takes an org (`for_org`, `ClientBuilder::org`)
/// takes `&str` and `String` too: `"c"` is [`Org::Current`], anything else an id (a blank one is
/// refused by every call, never read as the key's own org).
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
    /// `"c"` → [`Org::Current`], anything else (white space trimmed) → [`Org::Id`]. An empty id is an
    /// `Id` too, not the current org: calls with it fail (see [`Org::check`]) rather than act on the
    /// key's own org.
    pub fn parse(value: &str) -> Self {
        match value.trim() {
            CURRENT_ORG => Org::Current,
            id => Org::Id(id.to_string()),
        }
    }

    /// Whether the org can go into a path as one segment: an id that is empty, `.` or `..` is an
    /// [`Error::InvalidRequest`].
    pub fn check(&self) -> Result<(), Error> {
        self.path_segment().map(drop)
    }

    /// The org as the server knows it (`c` or the id).
    pub fn segment(&self) -> &str {
        match self {
            Org::Current => CURRENT_ORG,
            Org::Id(id) => id,
        }
    }

    /// The segment as it goes into a URL path (percent-encoded), or why it cannot.
    pub(crate) fn path_segment(&self) -> Result<String, Error> {
        path::named_segment("org id", self.segment())
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
    /// connection pool, rate limiter and retry budget with `self`. An id that cannot be one path
    /// segment (`""`, `.`, `..`) makes every org-scoped call of the returned client fail with
    /// [`Error::InvalidRequest`] before anything is sent; [`Client::try_for_org`] says so at once.
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
        client.inner.org_path = org.path_segment().ok().map(Into::into);
        client.inner.org = org;
        client
    }

    /// [`Client::for_org`], failing with [`Error::InvalidRequest`] when `org` cannot be one path segment.
    ///
    /// ```no_run
    /// # async fn run(client: invent_api::Client, org_from_a_webhook: String) -> invent_api::Result<()> {
    /// // An org id from outside: `..` or an empty string is refused here, before anything is sent.
    /// let sub_org = client.try_for_org(org_from_a_webhook)?;
    /// let assistants = sub_org.list_assistants().send().await?;
    /// println!("{} assistants", assistants.len());
    /// # Ok(())
    /// # }
    /// ```
    pub fn try_for_org(&self, org: impl Into<Org>) -> Result<Client, Error> {
        let org = org.into();
        org.check()?;
        Ok(self.for_org(org))
    }

    /// The org this client's org-scoped calls go to.
    pub fn org(&self) -> &Org {
        &self.inner.org
    }
}

/// The client's org segment (percent-encoded), or the [`Error::InvalidRequest`] its id makes.
pub(crate) fn segment_of(inner: &crate::Inner) -> Result<&str, Error> {
    match &inner.org_path {
        Some(segment) => Ok(segment),
        None => Err(inner
            .org
            .path_segment()
            .err()
            .unwrap_or_else(|| Error::InvalidRequest("org id: not a path segment".into()))),
    }
}

/// Rewrites the `c` segment after `{base path}/orgs/` to `org`'s id. Only paths that start with
/// `{base}/orgs/c/` (or equal `{base}/orgs/c`) are touched (`Ok(None)`: nothing to rewrite).
pub(crate) fn rewrite_path(path: &str, base_path: &str, org: &Org) -> Result<Option<String>, Error> {
    let Org::Id(_) = org else { return Ok(None) };
    let Some(tail) =
        path.strip_prefix(base_path).and_then(|p| p.strip_prefix("/orgs/")).and_then(|p| p.strip_prefix(CURRENT_ORG))
    else {
        return Ok(None);
    };
    if !(tail.is_empty() || tail.starts_with('/')) {
        return Ok(None);
    }
    let encoded = org.path_segment()?;
    Ok(Some(format!("{base_path}/orgs/{encoded}{tail}")))
}

/// Applies the client's org to an org-scoped request.
pub(crate) fn apply(request: &mut reqwest::Request, base_path: &str, org: &Org) -> Result<(), Error> {
    if let Some(path) = rewrite_path(request.url().path(), base_path, org)? {
        request.url_mut().set_path(&path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(path: &str, base: &str, org: &Org) -> Option<String> {
        rewrite_path(path, base, org).unwrap()
    }

    #[test]
    fn rewrites_only_the_org_segment() {
        let sub = Org::Id("org_sub".into());
        assert_eq!(rewritten("/orgs/c/assistants", "", &sub).as_deref(), Some("/orgs/org_sub/assistants"));
        assert_eq!(rewritten("/orgs/c", "", &sub).as_deref(), Some("/orgs/org_sub"));
        assert_eq!(rewritten("/api/orgs/c/x", "/api", &sub).as_deref(), Some("/api/orgs/org_sub/x"));
        assert_eq!(rewritten("/orgs/cats", "", &sub), None);
        assert_eq!(rewritten("/chats/c", "", &sub), None);
        assert_eq!(rewritten("/orgs/c/x", "", &Org::Current), None);
        assert_eq!(rewritten("/orgs/c/orgs/c", "", &sub).as_deref(), Some("/orgs/org_sub/orgs/c"));
        let slashed = Org::Id(r"..\org_B/x".into());
        assert_eq!(rewritten("/orgs/c/a", "", &slashed).as_deref(), Some("/orgs/..%5Corg_B%2Fx/a"));
    }

    #[test]
    fn an_org_id_that_is_no_segment_fails_the_rewrite() {
        for id in ["", ".", ".."] {
            let org = Org::Id(id.into());
            assert!(matches!(rewrite_path("/orgs/c/a", "", &org), Err(Error::InvalidRequest(_))), "{id:?}");
            assert!(org.check().is_err(), "{id:?}");
        }
        assert_eq!(Org::Id("org_1".into()).check().ok(), Some(()));
    }

    #[test]
    fn parse_and_display() {
        assert_eq!(Org::parse("c"), Org::Current);
        assert_eq!(Org::parse(" c "), Org::Current);
        // An empty id is not the key's own org: a call with it fails instead of acting on the parent.
        assert_eq!(Org::parse(""), Org::Id(String::new()));
        assert_eq!(Org::from("org_1").to_string(), "org_1");
        assert_eq!(Org::Current.to_string(), "c");
    }
}
