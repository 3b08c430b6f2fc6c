//! The two WebSocket routes of Invent and what identifies each (path, operation id for the limiter and
//! tracing).

use std::fmt;

/// Which of Invent's event routes a stream follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feed {
    /// `GET /orgs/{org_id}/chats/ws`: chat events of an org, frames `{"type": "create", "data": Chat}`.
    Chats,
    /// `GET /orgs/{org_id}/inbox/ws`: chat events of an org's inbox, frames `{"data": Chat, …}`.
    Inbox,
}

impl Feed {
    /// The path template as the docs write it.
    pub fn template(self) -> &'static str {
        match self {
            Feed::Chats => "/orgs/{org_id}/chats/ws",
            Feed::Inbox => "/orgs/{org_id}/inbox/ws",
        }
    }

    /// The path after `/orgs/{org_id}/`.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Feed::Chats => "chats/ws",
            Feed::Inbox => "inbox/ws",
        }
    }

    /// The operation id the upgrade is known by (limiter bucket choice, tracing). Named after the docs'
    /// page titles ("Chat Org WebSocket", "Chat Org Inbox WebSocket").
    pub fn operation_id(self) -> &'static str {
        match self {
            Feed::Chats => "chat_org_websocket",
            Feed::Inbox => "chat_org_inbox_websocket",
        }
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
