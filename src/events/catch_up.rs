//! Catching up after a [`super::Gap`]: the chats created or changed since a moment, from the generated
//! `list_org_chats` (events are not replayed by the server).

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use crate::pagination::Paginate;
use crate::{types, Client, Error};

/// How far before `since` [`Client::chats_since`] looks, to absorb a difference between this machine's
/// clock (which stamps [`super::Gap::since`]) and Invent's (which stamps chats).
pub const CATCH_UP_MARGIN: Duration = Duration::from_secs(120);
/// Most pages (of 100 chats) one catch-up reads.
pub const CATCH_UP_MAX_PAGES: usize = 10;

/// What a catch-up found.
#[derive(Debug, Clone)]
pub struct CatchUp {
    /// Chats created or updated at or after `since - CATCH_UP_MARGIN`, oldest change first; chats
    /// without timestamps are included (nothing shows they are old). May include chats the stream did
    /// deliver: deduplicate by id.
    pub chats: Vec<types::Chat>,
    /// `false` when [`CATCH_UP_MAX_PAGES`] pages were read and the last one still had recent chats.
    pub complete: bool,
}

/// When a chat last changed as far as its timestamps say.
fn changed_at(chat: &types::Chat) -> Option<DateTime<Utc>> {
    chat.created_at.max(chat.updated_at)
}

#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
impl Client {
    /// The chats of this client's org created or updated since `since` (minus [`CATCH_UP_MARGIN`]), for
    /// after a [`super::ChatEvent::Gap`]: `client.chats_since(gap.since)`.
    ///
    /// Reads `list_org_chats` page by page and stops at the first page that holds an older chat. That
    /// relies on the list being served newest first (as the mock does; Invent does not document the
    /// order, and a chat created long ago but updated since may sit deeper); [`CATCH_UP_MAX_PAGES`]
    /// bounds the cost either way.
    pub async fn chats_since(&self, since: DateTime<Utc>) -> Result<CatchUp, Error> {
        let cutoff = since - chrono::Duration::from_std(CATCH_UP_MARGIN).unwrap_or_default();
        let recent = |chat: &types::Chat| changed_at(chat).is_none_or(|at| at >= cutoff);
        let mut pages = std::pin::pin!(self.list_org_chats().pages());
        let mut chats: Vec<types::Chat> = Vec::new();
        let mut read = 0;
        let mut complete = true;
        while let Some(page) = pages.try_next().await? {
            read += 1;
            let (new, old): (Vec<_>, Vec<_>) = page.items.into_iter().partition(recent);
            chats.extend(new);
            // Newest first: the first chat older than the cutoff means the rest are older too.
            if !old.is_empty() {
                break;
            }
            if read == CATCH_UP_MAX_PAGES {
                complete = false;
                break;
            }
        }
        let mut seen = std::collections::HashSet::new();
        chats.retain(|c| c.id.as_ref().is_none_or(|id| seen.insert(id.clone())));
        chats.sort_by_key(changed_at);
        Ok(CatchUp { chats, complete })
    }
}
