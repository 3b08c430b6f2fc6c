//! Text in and out of chat messages without JSON by hand: [`types::MessagePart::text`] builds the one
//! part variant Invent documents, [`types::ChatMessage::text`] reads a reply's text.

use serde_json::{Map, Value};

use crate::types;

impl types::MessagePart {
    /// A text part: `{"type": "text", "text": …}` (what `create_chat_message` sends).
    ///
    /// ```no_run
    /// use invent_api::types;
    ///
    /// # async fn run(client: invent_api::Client) -> invent_api::Result<()> {
    /// let body = types::CreateChatMessageRequest { message: vec![types::MessagePart::text("Are you open today?")] };
    /// let reply = client.create_chat_message().chat_id("ch_1").body(body).send().await?;
    /// println!("{}", reply.text());
    /// # Ok(())
    /// # }
    /// ```
    pub fn text(text: impl Into<String>) -> Self {
        let mut part = Map::new();
        part.insert("type".into(), Value::String("text".into()));
        part.insert("text".into(), Value::String(text.into()));
        Self(part)
    }

    /// The part's text, when it is a text part (`type` `"text"`, or no `type`, with a string `text`).
    /// Other variants (reasoning, tool calls, files) are `None`, even when they carry a `text`.
    pub fn as_text(&self) -> Option<&str> {
        match self.0.get("type") {
            None => {}
            Some(Value::String(kind)) if kind == "text" => {}
            Some(_) => return None,
        }
        self.0.get("text")?.as_str()
    }
}

impl From<types::TextMessagePart> for types::MessagePart {
    /// The documented text variant as an open part (its fields, `type` set to `"text"` if unset).
    fn from(part: types::TextMessagePart) -> Self {
        let mut map = match serde_json::to_value(part) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, files and JSON values always serializes to an object.
            _ => Map::new(),
        };
        map.entry("type").or_insert_with(|| Value::String("text".into()));
        Self(map)
    }
}

impl types::ChatMessage {
    /// The message's text: its text parts (see [`types::MessagePart::as_text`]), in order across its
    /// `messages`, joined with a newline. Empty when it has none.
    ///
    /// ```
    /// use invent_api::types;
    ///
    /// let reply: types::ChatMessage = serde_json::from_value(serde_json::json!({
    ///     "id": "msg_1", "chat_id": "ch_1", "role": "assistant", "created_at": "2026-01-01T00:00:00Z",
    ///     "messages": [{"parts": [{"type": "text", "text": "We open at 9."}, {"type": "reasoning", "text": "…"}]}]
    /// }))?;
    /// assert_eq!(reply.text(), "We open at 9.");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn text(&self) -> String {
        let parts: Vec<&str> =
            self.messages.iter().flat_map(|m| &m.parts).filter_map(types::MessagePart::as_text).collect();
        parts.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::types;

    fn part(value: serde_json::Value) -> types::MessagePart {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_text_part_serializes_as_invent_documents_it() {
        let value = serde_json::to_value(types::MessagePart::text("Are you open on Saturday?")).unwrap();
        assert_eq!(value, json!({"type": "text", "text": "Are you open on Saturday?"}));
        let typed = types::TextMessagePart { text: Some("hi".into()), ..Default::default() };
        assert_eq!(
            serde_json::to_value(types::MessagePart::from(typed)).unwrap(),
            json!({"type": "text", "text": "hi"})
        );
    }

    #[test]
    fn a_reply_reads_its_text_parts_in_order_and_nothing_else() {
        let message: types::ChatMessage = serde_json::from_value(json!({
            "id": "msg_1",
            "messages": [
                {"role": "assistant", "parts": [
                    {"type": "reasoning", "text": "the user asks about hours"},
                    {"type": "text", "text": "Yes,"},
                    {"type": "tool-call", "toolName": "hours"},
                ]},
                {"role": "assistant", "parts": [{"text": "from 9 to 5."}, {"type": "text", "text": 5}]}
            ]
        }))
        .unwrap();
        assert_eq!(message.text(), "Yes,\nfrom 9 to 5.");
        assert_eq!(types::ChatMessage::default().text(), "");
        assert_eq!(part(json!({"type": "text", "text": "x"})).as_text(), Some("x"));
        assert_eq!(part(json!({"type": 1, "text": "x"})).as_text(), None);
    }
}
