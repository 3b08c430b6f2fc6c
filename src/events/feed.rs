//! The two WebSocket routes of Invent and what identifies each: the generated operation's spec (path
//! template, operation id and quota for the limiter and tracing), so nothing is written twice.

use std::fmt;

use crate::operation::{Operation, OperationSpec};

/// Which of Invent's event routes a stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    /// `GET /orgs/{org_id}/chats/ws`: chat events of an org, frames `{"type": "create", "data": Chat}`.
    Chats,
    /// `GET /orgs/{org_id}/inbox/ws`: chat events of an org's inbox, frames `{"data": Chat, …}`.
    Inbox,
}

impl Feed {
    /// The generated upgrade operation of this route.
    pub fn spec(self) -> &'static OperationSpec {
        match self {
            Feed::Chats => <crate::builder::WatchOrgChats<'_> as Operation>::SPEC,
            Feed::Inbox => <crate::builder::WatchOrgInbox<'_> as Operation>::SPEC,
        }
    }

    /// The route of a generated upgrade operation, if it is one of these.
    pub fn of(spec: &OperationSpec) -> Option<Feed> {
        [Feed::Chats, Feed::Inbox].into_iter().find(|feed| feed.spec().id == spec.id)
    }

    /// The path template (`/orgs/{org_id}/chats/ws`).
    pub fn template(self) -> &'static str {
        self.spec().template
    }

    /// The path after the org segment (`chats/ws`).
    pub(crate) fn suffix(self) -> &'static str {
        let template = self.template();
        template.strip_prefix("/orgs/{org_id}/").unwrap_or(template.trim_start_matches('/'))
    }

    /// The operation id the upgrade is known by (tracing).
    pub fn operation_id(self) -> &'static str {
        self.spec().id
    }

    /// `chats` or `inbox`.
    pub fn name(self) -> &'static str {
        match self {
            Feed::Chats => "chats",
            Feed::Inbox => "inbox",
        }
    }
}

impl fmt::Display for Feed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            Feed::Chats => "chat events",
            Feed::Inbox => "inbox events",
        };
        write!(f, "{what} ({})", self.template())
    }
}
