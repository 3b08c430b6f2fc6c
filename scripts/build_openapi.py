#!/usr/bin/env python3
"""Build the vendored openapi.json from the facts in ../shared/invent-api/REFERENCE.md.

The Invent API's live spec (https://api.useinvent.com/openapi.json) could not be downloaded when this file was
written, so the vendored spec is reconstructed by hand from the public documentation. This script is the single
place where that reconstruction lives; `openapi.json` is its output and must stay byte-identical to it:

    python3 scripts/build_openapi.py            # rewrite openapi.json
    python3 scripts/build_openapi.py --check    # exit 1 if openapi.json is not what this script produces
    python3 scripts/build_openapi.py --help     # usage; writes nothing (any other argument: exit 2)

Row numbers in the comments ("#15") refer to the endpoint table of REFERENCE.md section 2.
Once the live spec is reachable, `cargo run -p invent-spec -- update` replaces openapi.json and this script
becomes history.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "openapi.json"

# ---------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(type_name, **kw):
    """An OpenAPI 3.1 nullable, written as the real spec writes it: `type: [X, "null"]`."""
    return {"type": [type_name, "null"], **kw}


def string(**kw):
    return {"type": "string", **kw}


def boolean(**kw):
    return {"type": "boolean", **kw}


def number(**kw):
    return {"type": "number", **kw}


def integer(**kw):
    return {"type": "integer", **kw}


def date_time(description=None, null=False):
    s = nullable("string") if null else string()
    s["format"] = "date-time"
    if description:
        s["description"] = description
    return s


def array(items, **kw):
    return {"type": "array", "items": items, **kw}


def obj(properties, required=None, description=None, additional=None, null=False, **kw):
    s = {}
    if description:
        s["description"] = description
    s["type"] = ["object", "null"] if null else "object"
    s["properties"] = properties
    if required:
        s["required"] = required
    if additional is not None:
        s["additionalProperties"] = additional
    s.update(kw)
    return s


def open_object(description):
    """An object whose members the documentation does not show. Accept anything."""
    return {"description": description, "type": "object", "additionalProperties": True}


def untyped(description):
    """A value whose JSON type the documentation does not show."""
    return {"description": description}


TYPE_NOT_SHOWN = "The documentation names this field but does not show its type."

# Ids are prefixed opaque strings (REFERENCE.md section 1, "ID format"); these two are real examples.
ORG_ID_EXAMPLE = "org_7wHuTTRIfOM537zxuAHi6g"
ASSISTANT_ID_EXAMPLE = "ast_3KBrzrQtmz96OiN97iIztc"


def org_id(**kw):
    """An org id (`org_` + 22 characters)."""
    return string(examples=[ORG_ID_EXAMPLE], **kw)


def assistant_id(**kw):
    """An assistant id (`ast_` + 22 characters)."""
    return string(examples=[ASSISTANT_ID_EXAMPLE], **kw)


# Flags a field whose name the documentation does not show: it is optional and the body stays open, so
# a caller can send the real name instead.
GUESSED = {"x-invent-guessed": True}

# ---------------------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------------------

PATH_PARAM_DESCRIPTIONS = {
    "org_id": (
        "The ID of the org. `c` means the org the API key belongs to (never a sub-org); a key made in a parent "
        "(agency) org may pass a sub-org's real id here to act on that sub-org."
    ),
    "assistant_id": "The ID of the assistant",
    "action_id": "The ID of the assistant action",
    "contact_id": "Contact ID",
    "segment_id": "Segment ID",
    "channel_id": "Channel ID",
    "chat_id": "Chat ID",
    "message_id": "The ID of the message",
    "tool_call_id": "The ID of the tool call to decide on",
    "memory_id": "The ID of the conversation summary",
    "sub_org_id": "The ID of the sub-organization",
}


PATH_PARAM_EXAMPLES = {
    "org_id": [ORG_ID_EXAMPLE, "c"],
    "sub_org_id": [ORG_ID_EXAMPLE],
    "assistant_id": [ASSISTANT_ID_EXAMPLE],
}


def path_param(name, description=None):
    schema = string(examples=PATH_PARAM_EXAMPLES[name]) if name in PATH_PARAM_EXAMPLES else string()
    return {
        "name": name,
        "in": "path",
        "description": description or PATH_PARAM_DESCRIPTIONS[name],
        "required": True,
        "schema": schema,
    }


def path_params(path, overrides=None):
    overrides = overrides or {}
    names = [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]
    return [path_param(n, overrides.get(n)) for n in names]


def query(name, schema, description):
    return {"name": name, "in": "query", "description": description, "required": False, "schema": schema}


PAGE = query("page", number(), "Page number, starting at 1")
TAKE = query("take", number(maximum=100), "Number of items per page (at most 100)")
NEXT = query("next", string(), "Next page token (Only used on special endpoints)")
PAGINATION = [PAGE, TAKE, NEXT]

UNCONFIRMED = "The parameter's name is not visible in the public documentation; this name is unconfirmed."

# ---------------------------------------------------------------------------------------------------------------
# Component schemas (REFERENCE.md section 3)
# ---------------------------------------------------------------------------------------------------------------

INTEGRATION_IDS = [
    "internal", "custom", "whatsapp_bot", "messenger_bot", "instagram_dm", "tiktok_dm", "telegram_bot", "gmail",
    "slack_bot", "twilio", "telnyx", "email", "google_calendar",
]

SEGMENT_COLORS = [
    "red", "orange", "amber", "yellow", "lime", "green", "teal", "cyan", "sky", "blue", "indigo", "violet",
    "purple", "fuchsia", "pink", "rose", "neutral",
]

ACTIVITY_TYPES = [
    "note_created", "file_uploaded", "segment_added", "segment_removed", "contact_blocked", "contact_unblocked",
    "contact_unsubscribed", "contact_resubscribed",
]

CONNECTION_TYPES = [
    "SCHEDULER", "WORKFLOWS", "TOOLS", "FILES", "PHONE", "GMAIL", "GOOGLE_SHEETS", "GOOGLE_CALENDAR", "AIRTABLE",
    "NOTION", "LINEAR", "HUBSPOT", "GOHIGHLEVEL", "CAL", "CALENDLY", "RESEND", "OAUTH", "SLACK", "TELEGRAM",
    "TRELLO", "FACEBOOK", "WHATSAPP", "INSTAGRAM", "MESSENGER", "JAPIFON", "TWILIO", "ZOHO", "SALESFORCE", "STRIPE",
    "SHOPIFY", "ZENDESK", "MCP",
]

CONTACT_FIELD_TYPES = [
    "string", "number", "boolean", "date", "datetime", "enum", "file", "record", "contact", "user", "chat",
    "segment", "assistant",
]


def user_ref(description, with_email_seen_at=False, null=False):
    props = {"id": string(), "name": string()}
    if with_email_seen_at:
        props["email"] = string()
    props["avatar"] = string()
    if with_email_seen_at:
        props["seen_at"] = date_time()
    return obj(props, description=description, null=null)


def conversation_config():
    return obj(
        {
            "thread_mode": string(description="Thread mode. Only the value `new` was seen; the full set is unknown.",
                                  examples=["new"]),
            "enable_memories": boolean(),
            "enable_transfer_to_human_tool": boolean(),
            "welcome_banner": untyped(TYPE_NOT_SHOWN),
            "suggested_messages": array(untyped(TYPE_NOT_SHOWN)),
            "auto_intro_message": untyped(TYPE_NOT_SHOWN),
            "enable_end_conversation_tool": boolean(),
            "enable_block_contact_tool": boolean(),
            "enable_auto_resolve": boolean(),
            "enable_auto_follow_ups": boolean(),
            "enable_auto_csat": boolean(),
            "enable_private_chats": boolean(),
            "enable_update_contact_tool": boolean(),
        },
        description="Conversation settings of the assistant",
    )


def assistant_action_config():
    return {
        "description": (
            "Configuration of an assistant action: the input values with their dynamic field definitions. "
            "The shape of `input` depends on the action and is not documented."
        ),
        "type": "object",
        "properties": {
            "input": open_object("Input values of the action"),
            "definitions": array(
                obj({"path": string(), "definition": open_object("Dynamic field definition")}),
                description="Dynamic field definitions for the input values",
            ),
        },
        "additionalProperties": True,
    }


def file_properties():
    return {
        "id": string(),
        "file_path": string(maxLength=2048),
        "file_filename": string(maxLength=255),
        "file_size": number(description="File size in bytes"),
        "file_mimetype": string(maxLength=255),
        "file_url": string(maxLength=2048),
        "created_at": date_time(),
    }


def org_features(description):
    return obj(
        {
            "enterprise": boolean(),
            "allow_overdraft": boolean(),
            "workflows": boolean(),
            "broadcasts": boolean(),
            "enable_japifon": boolean(),
            "custom_domain": boolean(),
            "slack_access": boolean(),
        },
        description=description,
    )


SCHEMAS = {}

SCHEMAS["Assistant"] = obj(
    {
        "id": string(examples=["ast_3KBrzrQtmz96OiN97iIztc"]),
        "name": string(),
        "enabled": boolean(),
        "deleted": boolean(),
        "secret_key": nullable("string", description="The secret key to create session hashes"),
        "avatar_url": nullable("string"),
        "config": ref("AssistantConfig"),
        "integrations": array(ref("AssistantIntegration")),
        "actions": array(ref("AssistantAction")),
        "boards": array(ref("AssistantBoard")),
        "created_at": date_time(),
        "updated_at": date_time(),
    },
    required=["id", "name", "enabled"],
    description="Schema for an assistant",
)

SCHEMAS["AssistantConfig"] = obj(
    {
        "language": string(description="Language of the assistant. Only `auto` was seen; the full set is unknown.",
                           examples=["auto"]),
        "model": string(description="The model the assistant uses"),
        "stt": obj({"model": string()}, description="Speech-to-text settings"),
        "tts": obj({"model": string(), "voice_id": string()}, description="Text-to-speech settings"),
        "conversation": conversation_config(),
        "knowledge_scope": string(
            description=(
                "Which knowledge the assistant uses (global or assistant knowledge). Only `all` was seen; the "
                "full set is unknown."
            ),
            examples=["all"],
        ),
        "timezone": string(),
        "instructions": string(),
    },
    description="Schema for the configuration of an assistant",
)

SCHEMAS["AssistantIntegration"] = obj(
    {
        "id": string(),
        "enabled": boolean(),
        "integration_id": ref("IntegrationId"),
        "assistant_id": assistant_id(),
        "connection_id": string(),
        "config": open_object("Channel-specific configuration; not documented"),
        "error": untyped(TYPE_NOT_SHOWN),
        "created_at": date_time(),
        "updated_at": date_time(),
    },
    description="A channel binding of an assistant",
)

SCHEMAS["AssistantActionConfig"] = assistant_action_config()

SCHEMAS["AssistantAction"] = obj(
    {
        "id": string(),
        "enabled": boolean(),
        "name": nullable("string"),
        "instructions": nullable("string"),
        "action_id": string(examples=["TOOLS:HTTP_REQUEST", "TOOLS:WEB_SEARCH", "TOOLS:WEB_SCRAPING"]),
        "assistant_id": string(examples=["ast_XXX"]),
        "connection_id": nullable("string", examples=["con_XXX"]),
        "config": ref("AssistantActionConfig"),
        "position": integer(
            description="Position of the action within its group, bucketed in multiples of 100",
            examples=[100, 200],
        ),
        "created_at": date_time(null=True),
        "updated_at": date_time(null=True),
    },
    required=["id", "enabled", "name", "instructions", "action_id"],
    description="Schema for an assistant action",
)

SCHEMAS["AssistantBoard"] = obj(
    {
        "id": string(),
        "board_id": string(),
        "board_name": string(),
        "created_at": date_time(),
        "updated_at": date_time(),
        "initial_segment": ref("Segment"),
    },
    description="A board the assistant is attached to",
)

SCHEMAS["Chat"] = obj(
    {
        "id": string(),
        "title": string(),
        "model": string(),
        "members": array(ref("ChatMember")),
        "temporary": boolean(),
        "visibility": string(description="Visibility of the chat. Only `PRIVATE` was seen; the full set is unknown.",
                             examples=["PRIVATE"]),
        "pinned": boolean(),
        "status": string(
            description="Status of the chat (see MessageStatus). Only `RUNNING` was seen here.",
            examples=["RUNNING"],
        ),
        "shared_url": string(),
        "created_at": date_time(),
        "updated_at": date_time(),
        "tools": array(ref("Tool")),
        "features": obj(
            {
                "web_search": open_object("Web search settings; not documented"),
                "reasoning": obj(
                    {"effort": string(description="Only `low` was seen; the full set is unknown.",
                                      examples=["low"])}
                ),
            }
        ),
        "org_id": org_id(),
        "state": ref("ChatState"),
    },
    description="A chat (conversation)",
)

SCHEMAS["ChatEvent"] = obj(
    {
        "type": string(description="What happened. Only `create` was seen (org chats route).",
                       examples=["create"]),
        "data": ref("Chat"),
    },
    description=(
        "One JSON text frame of the WebSocket routes `GET /orgs/{org_id}/chats/ws` (`{type, data}`) and "
        "`GET /orgs/{org_id}/inbox/ws` (`{data, ...}`, the rest of the frame was not visible). Other fields may "
        "appear."
    ),
)

SCHEMAS["ChatMember"] = obj(
    {
        "id": string(),
        "role": string(description="Role of the member. Only `ADMIN` was seen; the full set is unknown.",
                       examples=["ADMIN"]),
        "user": user_ref("The user behind the member, if any"),
        "session": obj({"id": string()}),
        "contact_channel": obj(
            {
                "id": string(),
                "type": ref("IntegrationId"),
                "user_id": string(),
                "avatar": string(),
                "name": string(),
                "username": string(),
                "email": string(),
                "phone": string(),
                "country": string(),
                "agent": string(),
                "ip": string(),
                "language": string(),
                "contact": obj({"id": string(), "name": string(), "blocked": boolean(), "is_admin": boolean()}),
                "link": string(),
            },
            description="The contact channel behind the member, if any",
        ),
    },
    description=(
        "A member of a chat. Fields as the newer documentation shows them; the older pages used `channel_type`, "
        "`channel_id`, `channel_name`, `channel_display_name` and `channel_avatar` in `contact_channel`."
    ),
)

SCHEMAS["ChatState"] = obj(
    {
        "id": string(),
        "state": string(enum=["OPEN", "SNOOZED", "CLOSED"]),
        "integration_id": ref("IntegrationId"),
        "assistant_id": assistant_id(),
        "assistant_integration_id": string(),
        "conversation_id": string(),
        "ai_enabled": boolean(),
        "admin_unseen_count": number(),
        "user_unseen_count": number(),
        "assistant": obj(
            {
                "id": assistant_id(),
                "name": string(),
                "enabled": boolean(),
                "avatar_url": string(),
                "deleted": boolean(),
                "config": obj(
                    {
                        "conversation": obj(
                            {
                                "welcome_banner": untyped(TYPE_NOT_SHOWN),
                                "suggested_messages": array(untyped(TYPE_NOT_SHOWN)),
                                "auto_intro_message": untyped(TYPE_NOT_SHOWN),
                                "enable_auto_csat": boolean(),
                                "enable_ai_replies": boolean(),
                            }
                        )
                    }
                ),
            },
            description="Public view of the assistant handling the chat",
        ),
        "assistant_integration": obj(
            {"id": string(), "enabled": boolean(), "has_connection": boolean()},
            description="The assistant channel binding of the chat",
        ),
        "assigned_user": user_ref("The agent the conversation is assigned to", with_email_seen_at=True),
        "assigned_at": date_time(),
        "assistant_config": ref("AssistantConfig"),
        "follow_up_at": date_time(null=True),
        "muted_until": date_time("Muted until this time; null means not muted", null=True),
        "csat_score": integer(minimum=1, maximum=5, description="Customer satisfaction score, 1 to 5"),
    },
    description="Schema for the chat state",
)

SCHEMAS["IntegrationId"] = string(
    enum=INTEGRATION_IDS,
    description="The channel (integration) a chat or contact channel belongs to",
)

SCHEMAS["MessageStatus"] = string(enum=["RUNNING", "COMPLETED", "FAILED", "CANCELED"],
                                  description="Status of a chat message")

SCHEMAS["MessagePart"] = open_object(
    "One part of a message. The spec has six part variants, of which only the text part is documented: "
    '`{"type": "text", "text": "...", "start_timestamp": ..., "end_timestamp": ...}` (see TextMessagePart; the '
    "older page also shows an `audio` File inside a part). The other variants are not documented, so a part is "
    "an open object."
)

SCHEMAS["TextMessagePart"] = obj(
    {
        "type": string(enum=["text"]),
        "text": string(),
        "audio": ref("File"),
        "start_timestamp": untyped(TYPE_NOT_SHOWN),
        "end_timestamp": untyped(TYPE_NOT_SHOWN),
    },
    description=(
        "The one documented variant of MessagePart: a text part. Message parts are typed as open objects "
        "because the other five variants are unknown; serialise a TextMessagePart into a MessagePart to send text."
    ),
)

SCHEMAS["ChatMessage"] = obj(
    {
        "id": string(),
        "role": string(enum=["user", "assistant", "system", "tool", "event", "note"]),
        "model": string(),
        "status": ref("MessageStatus"),
        "created_at": date_time(),
        "updated_at": date_time(),
        "messages": array(obj({"role": string(), "parts": array(ref("MessagePart"))})),
        "tools": array(ref("Tool"), maxItems=10),
        "features": open_object("Features used for the message; not documented"),
        "member": ref("ChatMember"),
        "error": string(description="Error message if the message failed"),
        "broadcast_id": string(),
        "is_broadcast_message": boolean(),
        "usage": obj(
            {
                "input_tokens": number(),
                "output_tokens": number(),
                "total_tokens": number(),
                "reasoning_tokens": number(),
                "input_tokens_cache_read": number(),
                "input_tokens_cache_write": number(),
                "turns": array(untyped("A usage turn; its fields are not documented")),
            },
            description="Token usage of the message",
        ),
    },
    description="The chat message schema",
)

SCHEMAS["Tool"] = obj(
    {
        "name": string(),
        "display_name": string(),
        "action_name": string(),
        "description": string(),
        "icon": string(examples=["StepFormIcon"]),
        "icon_url": string(),
        "parameters": open_object("Parameters of the tool; not documented"),
        "enabled_by_default": boolean(),
        "callback": untyped(TYPE_NOT_SHOWN),
        "validation": untyped(TYPE_NOT_SHOWN),
    },
    description=(
        "A chat tool descriptor. Fields as the newer documentation shows them; the older pages also had "
        "`connection_id`."
    ),
)

SCHEMAS["Contact"] = obj(
    {
        "id": string(),
        "name": nullable("string"),
        "blocked": boolean(),
        "unsubscribed": boolean(),
        "is_admin": boolean(),
        "channels": array(ref("ContactChannel")),
        "segments": array(ref("Segment")),
        "created_at": date_time(),
        "updated_at": date_time(),
        "blocked_at": date_time(),
        "unsubscribed_at": date_time(),
        "unsubscribe_reason": string(),
        "unsubscribe_feedback": string(),
    },
    required=["id", "name", "blocked", "is_admin", "channels", "segments"],
    description="Schema for the contact",
)

SCHEMAS["ContactChannel"] = obj(
    {
        "id": string(),
        "type": ref("IntegrationId"),
        "user_id": string(description="The unique identifier for the contact channel, e.g. phone number or user ID"),
        "avatar": nullable("string"),
        "name": string(),
        "username": string(),
        "email": string(),
        "phone": string(),
        "country": string(),
        "agent": string(),
        "ip": string(),
        "language": string(),
        "platform_data": open_object("Platform-specific data; not documented"),
        "created_at": date_time(),
        "updated_at": date_time(),
        "link": string(),
    },
    description="Schema for the contact channel",
)

SCHEMAS["Segment"] = obj(
    {
        "id": string(),
        "name": string(),
        "color": ref("SegmentColor"),
        "contacts_count": number(),
        "boards": array(
            obj({"board_id": string(), "board_name": string(), "column_id": string()}),
            description="Boards using the segment as a column (left out where a segment is nested in a contact)",
        ),
        "created_at": date_time(),
        "updated_at": date_time(),
    },
    description="Schema for the segment",
)

SCHEMAS["SegmentColor"] = string(enum=SEGMENT_COLORS, description="The name of the color to use in the UI")

SCHEMAS["ContactFieldType"] = string(enum=CONTACT_FIELD_TYPES, description="Type of a contact field")

SCHEMAS["ContactField"] = obj(
    {
        "id": string(),
        "table_id": string(),
        "key": string(),
        "type": ref("ContactFieldType"),
        "schema": obj(
            {
                "type": string(),
                "name": string(),
                "description": string(),
                "optional": boolean(),
                "array": boolean(),
                "placeholder": string(),
                "display": open_object("Display settings; not documented"),
                "order": number(),
                "link": untyped(TYPE_NOT_SHOWN),
                "metadata": open_object("Metadata; not documented"),
                "allowed_modes": array(untyped(TYPE_NOT_SHOWN)),
                "broadcast_hidden": boolean(),
                "broadcast_field": untyped(TYPE_NOT_SHOWN),
                "integration_field": untyped(TYPE_NOT_SHOWN),
                "display_field": untyped(TYPE_NOT_SHOWN),
                "conditions": array(obj({"field": string(), "value": untyped(TYPE_NOT_SHOWN)})),
                "hidden": boolean(),
                "picker": obj(
                    {
                        "type": string(examples=["google_drive"]),
                        "views": array(untyped(TYPE_NOT_SHOWN)),
                        "selectable_mime_types": array(string()),
                    }
                ),
                "disable_variables": boolean(),
                "allowed_types": array(string()),
                "visibility": string(description="Only `PRIVATE` was seen; the full set is unknown.",
                                     examples=["PRIVATE"]),
            },
            description="Definition of the field",
        ),
        "readonly": boolean(),
        "kind": string(description="Kind of field. Only `system` was seen; the full set is unknown.",
                       examples=["system"]),
    },
    description="A custom or system field of contacts",
)

SCHEMAS["Note"] = obj(
    {
        "id": string(),
        "contact_id": string(),
        "content": nullable("string"),
        "attachments": array(ref("File")),
        "created_at": date_time(null=True),
        "updated_at": date_time(null=True),
        "user": user_ref("The author of the note"),
    },
    description="A note on a contact",
)

SCHEMAS["ActivityType"] = string(enum=ACTIVITY_TYPES, description="Type of a contact activity")

SCHEMAS["Activity"] = obj(
    {
        "id": string(),
        "type": ref("ActivityType"),
        "created_at": date_time(),
        "actor": user_ref("The staff member who acted", with_email_seen_at=True),
        "assistant": obj({"id": assistant_id(), "name": string(), "avatar_url": string()}),
        "segment": ref("Segment"),
        "broadcast": obj({"id": string(), "name": string()}),
        "note": ref("Note"),
        "file": ref("File"),
        "metadata": open_object("Activity metadata; not documented"),
    },
    description="An entry of a contact's activity timeline",
)

SCHEMAS["File"] = obj(file_properties(), description="A stored file")

SCHEMAS["ContactFile"] = obj(
    {
        **file_properties(),
        "source": string(enum=["direct", "note", "chat"], description="Where the file came from"),
        "user": user_ref(
            "The staff member who linked the file; null if it came from the contact or the assistant",
            with_email_seen_at=True,
            null=True,
        ),
    },
    description="A file of a contact: a File plus where it came from and who linked it",
)

SCHEMAS["Memory"] = obj(
    {
        "id": string(),
        "chat_id": string(),
        "summary": string(),
        "key_points": array(string()),
        "message_count": number(),
        "summarized_at": date_time(null=True),
        "created_at": date_time(null=True),
    },
    description="A conversation summary, created automatically every 10 messages",
)

SCHEMAS["ConnectionType"] = string(enum=CONNECTION_TYPES, description="Type of a connection (as the older page lists it)")

SCHEMAS["Connection"] = obj(
    {
        "id": string(description="Unique identifier for the connection", examples=["con_XXX"]),
        "type": ref("ConnectionType"),
        "name": nullable("string", description="Optional label of the connection",
                         examples=["My Encompass Connection"]),
        "external_name": nullable("string"),
        "external_id": nullable("string"),
        "status": string(enum=["ACTIVE", "INACTIVE"]),
        "status_error": nullable("string"),
        "config": open_object(
            "Connection configuration, a union by connection type whose branches are not documented "
            '(one seen: `{"type": "PHONE", "auth_method": "MANUAL", "phone": ..., "code": ...}`)'
        ),
        "created_at": date_time(null=True),
        "updated_at": date_time(null=True),
    },
    description="An integration connection of an org (WhatsApp, Slack, Stripe and so on), as the older page shows it",
)

SCHEMAS["OrgFeatures"] = org_features("Org gate-keeping features configuration")

SCHEMAS["OrgConfig"] = obj(
    {
        "email": string(),
        "address": string(),
        "terms_url": string(),
        "privacy_url": string(),
        "access": obj(
            {
                "session_ttl_seconds": number(),
                "allow_google": boolean(),
                "allow_microsoft": boolean(),
                "allow_email_code": boolean(),
                "allow_invites": boolean(),
            }
        ),
        "modules": obj(
            {
                "enable_inbox": boolean(),
                "enable_analytics": boolean(),
                "enable_boards": boolean(),
                "enable_assistants": boolean(),
                "enable_knowledge_base": boolean(),
                "enable_broadcasts": boolean(),
                "enable_workflows": boolean(),
            },
            description="Module visibility toggles (the documentation lists more than these)",
            additional=True,
        ),
    },
    description="Org configuration",
)

SCHEMAS["SubOrganization"] = obj(
    {
        "id": org_id(),
        "name": string(),
        "logo_url": string(),
        "plan": string(enum=["free", "business"]),
        "balance": number(),
        "promo_balance": number(),
        "billing": obj(
            {
                "auto_recharge": obj(
                    {"enabled": boolean(), "recharge_threshold": number(), "recharge_amount": number()}
                ),
                "use_parent_balance": boolean(),
                "spending_cap": obj({"enabled": boolean(), "amount": number(), "reset_at": date_time()}),
                "payment_method": obj(
                    {
                        "type": string(),
                        "payment_method_id": string(),
                        "brand": string(),
                        "last4": string(),
                        "inactive": boolean(),
                        "failed_at": date_time(),
                        "failed_message": string(),
                    }
                ),
                "last_low_balance_notification_at": date_time(),
                "last_out_of_balance_notification_at": date_time(),
                "last_spending_cap_notification_at": date_time(),
            }
        ),
        "members": array(ref("Member")),
        "spending_cap_used": number(description="Amount spent in the current month"),
        "created_at": date_time(),
        "features": ref("OrgFeatures"),
        "config": ref("OrgConfig"),
    },
    description="Summary information about a sub-organization",
)

SCHEMAS["Member"] = obj(
    {
        "id": string(),
        "name": string(),
        "email": string(),
        "avatar": string(),
        "role": string(
            description=(
                "Role of the member. Only `ADMIN` was seen; the UI names the roles Admin, Developer, Manager "
                "and Agent."
            ),
            examples=["ADMIN"],
        ),
        "status": string(description="Only `ACTIVE` was seen; the full set is unknown.", examples=["ACTIVE"]),
        "org_id": org_id(),
        "user_id": string(),
        "preferences": obj(
            {
                "notifications": obj(
                    {"assigned_to_me": obj({"enabled": boolean(), "notified_at": date_time()})}
                )
            }
        ),
        "created_at": date_time(),
        "updated_at": date_time(),
        "seen_at": date_time(),
    },
    description="A member of an org",
)

SCHEMAS["DuplicateContactGroup"] = obj(
    {"primary": ref("Contact"), "duplicates": array(ref("Contact"))},
    description="Contacts sharing at least one external channel, with the suggested primary",
)

SCHEMAS["MergeContactsResponse"] = obj(
    {"merged": ref("Contact"), "merged_contact_ids": array(string())},
    description="The merged (primary) contact and the ids of the contacts merged into it",
)

SCHEMAS["ChatStateInfo"] = obj(
    {"newest_chat_id": nullable("string", description="The newer chat of the same conversation, if any")},
    description="Whether a newer chat exists for the same conversation",
)

SCHEMAS["Error"] = {
    "description": (
        "An error response. The body shape of errors is not documented anywhere, so this is an open object; "
        "no fields are assumed."
    ),
    "type": "object",
    "additionalProperties": True,
}

# --- request bodies ---------------------------------------------------------------------------------------------

SCHEMAS["CreateAssistantRequest"] = obj(
    {
        "name": string(minLength=1, maxLength=1024, description="Name of the assistant"),
        "enabled": boolean(),
        "avatar_id": string(),
        "generate_secret_key": boolean(),
        "config": ref("AssistantConfig"),
    },
    required=["name"],
    description="Body for creating an assistant",
)

SCHEMAS["UpdateAssistantRequest"] = obj(
    {
        "name": string(),
        "enabled": boolean(),
        "avatar_id": string(),
        "config": obj(
            {
                "instructions": string(),
                "language": string(examples=["auto"]),
                "model": string(),
                "knowledge_scope": string(examples=["all"]),
                "timezone": string(),
            },
            description=(
                "Configuration fields that can be updated (the newer page; the older page also accepted `stt`, "
                "`tts` and `conversation`)"
            ),
        ),
        "boards": array(obj({"board_id": string(), "initial_segment_id": string()})),
    },
    description="Body for updating an assistant",
)

SCHEMAS["CreateAssistantActionRequest"] = obj(
    {
        "enabled": boolean(),
        "action_id": string(examples=["TOOLS:HTTP_REQUEST"]),
        "config": ref("AssistantActionConfig"),
        "name": string(maxLength=64),
        "instructions": string(maxLength=1024),
        "connection_id": string(examples=["con_XXX"]),
    },
    required=["enabled", "action_id", "config"],
    description="Schema for creating a new assistant action",
)

SCHEMAS["UpdateAssistantActionRequest"] = obj(
    {
        "enabled": boolean(),
        "name": string(maxLength=64, examples=["Send email"]),
        "instructions": string(maxLength=2048, description="Extra instructions for the action"),
        "connection_id": nullable("string", examples=["con_XXX"]),
        "config": ref("AssistantActionConfig"),
    },
    description="Schema for updating an existing assistant action",
)

SCHEMAS["ReorderAssistantActionsRequest"] = obj(
    {
        "positions": array(
            obj({"id": string(), "position": integer()}),
            maxItems=25,
            description="The new explicit position for each action",
        )
    },
    required=["positions"],
    description="Body for reordering assistant actions",
)

SCHEMAS["CreateAssistantChatRequest"] = obj(
    {"message": array(ref("MessagePart"), description="The first message, as parts")},
    description="Body seen in third-party code only: the first message of the chat",
)

SCHEMAS["CreateContactRequest"] = obj(
    {
        "channel": obj(
            {
                "user_id": string(),
                "name": string(),
                "email": string(),
                "phone": string(),
                "contact_id": string(),
            },
            description="The first channel of the contact",
        ),
        "segment_ids": array(string(), description="Segments to add the contact to"),
    },
    description="Body for creating a contact (which fields are required is not visible in the documentation)",
)

SCHEMAS["UpdateContactRequest"] = obj(
    {
        "name": nullable("string", maxLength=512),
        "blocked": boolean(),
        "unsubscribed": boolean(),
    },
    description="Schema for updating a contact",
)

SCHEMAS["MergeContactsRequest"] = obj(
    {
        "source_contact_ids": array(
            string(),
            minItems=1,
            maxItems=50,
            description="Contacts to merge into the primary; leave out to merge all auto-detected duplicates",
        )
    },
    description="Body for merging contacts",
)

SCHEMAS["UploadContactFileRequest"] = obj(
    {
        "file": untyped(
            "The file: a file object, a base64 string, or an object with the base64 `data`, `name` and `type`. "
            "The union's exact shape is not documented."
        ),
        "file_url": string(description="URL to fetch the file from",
                           examples=["https://example.com/files/document.pdf"]),
        "allowed_types": array(
            string(maxLength=255),
            maxItems=255,
            description="Allowed MIME types",
            examples=[["image/*", "application/pdf"]],
        ),
    },
    description="Body for uploading a file to a contact",
)

SCHEMAS["UpdateContactChannelRequest"] = obj(
    {
        "avatar": nullable("string", format="uri", maxLength=2048),
        "name": nullable("string", maxLength=256),
        "phone": nullable("string", maxLength=256),
        "username": nullable("string", maxLength=256),
        "email": nullable("string", format="email", maxLength=256),
    },
    description="Schema for updating a contact channel",
)

SCHEMAS["CreateContactChannelChatRequest"] = obj(
    {
        "assistant_id": assistant_id(),
        "title": string(),
        "message": array(ref("MessagePart"), description="An optional first message, authored as the contact"),
    },
    description="Body for creating a chat on a contact channel",
)

SCHEMAS["CreateContactChatMessageRequest"] = obj(
    {
        "message": array(ref("MessagePart"), description="The message content, authored as the contact"),
        "channel_id": string(),
    },
    description="Body for sending a message as a contact",
)

SCHEMAS["CreateContactChannelChatMessageRequest"] = obj(
    {"message": array(ref("MessagePart"), minItems=1, description="The message content, authored as the contact")},
    description="Body for sending a message as a contact on a channel",
)

SCHEMAS["DecideActionApprovalRequest"] = obj(
    {
        "decision": string(
            enum=["accepted", "rejected"],
            description="Accept or reject the pending approval. " + UNCONFIRMED.replace("parameter's", "field's"),
            **GUESSED,
        ),
        "reason": string(
            maxLength=512,
            description=(
                "Optional explanation, passed back to the assistant when the approval is rejected. "
                + UNCONFIRMED.replace("parameter's", "field's")
            ),
            **GUESSED,
        ),
        "background": boolean(
            description=(
                "When true, record the decision and run the tool in the background, returning the message in its "
                "running state; when false (the documented default), block until the tool finishes and return the "
                "final message. " + UNCONFIRMED.replace("parameter's", "field's")
            ),
            **GUESSED,
        ),
    },
    description=(
        "Body for deciding a pending action approval. The documentation shows a decision (`accepted` or "
        "`rejected`), an optional explanation of at most 512 characters and a background flag, but not their "
        "names: the three fields below are guesses (`x-invent-guessed`), all optional, and the object is open, "
        "so the real names can be sent instead."
    ),
    additional={},
)

SCHEMAS["UpdateSegmentRequest"] = obj(
    {"name": string(minLength=1, maxLength=128), "color": ref("SegmentColor")},
    description="Schema for updating a segment",
)

SCHEMAS["UpdateChatRequest"] = obj(
    {
        "title": string(),
        "model": string(),
        "visibility": string(description="Only `PRIVATE` was seen; the full set is unknown.", examples=["PRIVATE"]),
        "pinned": boolean(),
        "tools": array(ref("Tool")),
    },
    description="Body for updating a chat",
)

SCHEMAS["CreateChatMessageRequest"] = obj(
    {"message": array(ref("MessagePart"), minItems=1, description="The user message, as parts")},
    description="Body for creating a chat message",
)

SCHEMAS["EditChatMessageRequest"] = obj(
    {"message": array(ref("MessagePart"), description="The new message content, as parts")},
    description="Body for editing a chat message",
)

SCHEMAS["UpdateChatStateRequest"] = obj(
    {
        "ai_enabled": boolean(),
        "follow_up_at": date_time(),
        "muted_until": date_time(),
        "csat_score": integer(minimum=1, maximum=5),
    },
    description="Body for updating the state of a chat",
)

SCHEMAS["AssignConversationRequest"] = obj(
    {"member_id": nullable("string", description="The member to assign; null unassigns the conversation")},
    required=["member_id"],
    description="Schema for assigning or unassigning a conversation to/from an agent",
)

SCHEMAS["CreateSubOrganizationRequest"] = open_object(
    "Body for creating a sub-organization. The page shows a body but its fields were not visible, so it is an "
    "open object."
)

SCHEMAS["JoinSubOrganizationRequest"] = obj(
    {"role": string(description="Role to join with. Only `ADMIN` was seen; the full set is unknown.",
                    examples=["ADMIN"])},
    description="Body for joining a sub-organization",
)

SCHEMAS["TransferOrganizationRequest"] = open_object(
    "Schema for transferring an org to become a sub-organization. It contains a delegatable features "
    "configuration for sub-orgs, but its field names were not visible, so it is an open object."
)

SCHEMAS["UpdateSubOrganizationRequest"] = obj(
    {
        "name": string(minLength=2, maxLength=64),
        "logo_id": nullable("string", description="Logo to use; null clears it"),
        "config": ref("OrgConfig"),
        "features": obj(
            {
                "allow_overdraft": boolean(),
                "workflows": boolean(),
                "broadcasts": boolean(),
                "enable_japifon": boolean(),
            },
            description=(
                "Deprecated and ignored: feature flags are managed exclusively by platform admins. The older page "
                "(Update Sub-Organization Features) accepted these fields."
            ),
            deprecated=True,
        ),
    },
    description="Body for updating a sub-organization. `config` is partial and deep-merged server-side.",
)

# ---------------------------------------------------------------------------------------------------------------
# Operations (REFERENCE.md section 2)
# ---------------------------------------------------------------------------------------------------------------

# REFERENCE.md's confidence labels, plus one for "D" operations whose method and path only an
# old-generation reference page shows (an earlier spec: no auth block, placeholder servers).
EVIDENCE = {
    "D": "documented",
    "D-old": "documented-old-generation",
    "D*": "path-inferred",
    "T": "third-party",
}

NOT_DOCUMENTED_BODY = "Success; the response body is not documented"

OPERATIONS = []


def op(method, path, operation_id, tag, summary, description, evidence, params=(), body=None, body_required=None,
       response=None, response_description="Success", list_response=False, path_param_descriptions=None,
       undocumented_response=False, upgrade=None, too_many_requests="TooManyRequests"):
    """One operation. `upgrade` (a description) makes it a WebSocket route answering 101 Switching Protocols;
    `too_many_requests` names the 429 response component."""
    OPERATIONS.append(
        dict(
            method=method,
            path=path,
            operation_id=operation_id,
            tag=tag,
            summary=summary,
            description=description,
            evidence=EVIDENCE[evidence],
            params=list(params),
            body=body,
            body_required=body_required,
            response=response,
            response_description=response_description,
            list_response=list_response,
            path_param_descriptions=path_param_descriptions or {},
            undocumented_response=undocumented_response,
            upgrade=upgrade,
            too_many_requests=too_many_requests,
        )
    )


def list_of(name):
    return array(ref(name))


INFERRED_TAG = " The tag is inferred: no page of the newer documentation shows one for this group."

# 2.1 Assistants ------------------------------------------------------------------------------------------------

A = "Orgs Assistants"

op("get", "/orgs/{org_id}/assistants", "listAssistants", A, "Get Assistants",
   "Lists all assistants of an org.", "D",
   params=PAGINATION, response=list_of("Assistant"), response_description="An array of assistants",
   list_response=True)
op("post", "/orgs/{org_id}/assistants", "createAssistant", A, "Create Assistant",
   "Creates a new assistant in an org. Assistant creation is rate limited to 10 per hour per org.", "D",
   body="CreateAssistantRequest", body_required=True, response=ref("Assistant"),
   response_description="The created assistant", too_many_requests="CreateAssistantTooManyRequests")
op("get", "/orgs/{org_id}/assistants/{assistant_id}", "getAssistant", A, "Get Assistant",
   "Gets one assistant by its id.", "D",
   response=ref("Assistant"), response_description="The assistant details")
op("patch", "/orgs/{org_id}/assistants/{assistant_id}", "updateAssistant", A, "Update Assistant",
   "Updates an existing assistant.", "D",
   body="UpdateAssistantRequest", body_required=True, response=ref("Assistant"),
   response_description="The updated assistant")
op("get", "/orgs/{org_id}/assistants/{assistant_id}/actions", "listAssistantActions", A, "Get Assistant Actions",
   "Lists the actions of an assistant.", "D",
   params=PAGINATION, response=list_of("AssistantAction"), response_description="An array of assistant actions",
   list_response=True)
op("post", "/orgs/{org_id}/assistants/{assistant_id}/actions", "createAssistantAction", A, "Create Assistant Action",
   "Creates a new action on an assistant (for example `TOOLS:HTTP_REQUEST`). Only the older documentation "
   "shows this page.", "D-old",
   body="CreateAssistantActionRequest", body_required=True, response=ref("AssistantAction"),
   response_description="The created assistant action")
op("get", "/orgs/{org_id}/assistants/{assistant_id}/actions/{action_id}", "getAssistantAction", A,
   "Get Assistant Action", "Gets one action of an assistant by its id.", "D",
   response=ref("AssistantAction"), response_description="The assistant action")
op("patch", "/orgs/{org_id}/assistants/{assistant_id}/actions/{action_id}", "updateAssistantAction", A,
   "Update Assistant Action", "Updates an existing action of an assistant.", "D",
   body="UpdateAssistantActionRequest", body_required=True, response=ref("AssistantAction"),
   response_description="The updated assistant action")
op("patch", "/orgs/{org_id}/assistants/{assistant_id}/actions/reorder", "reorderAssistantActions", A,
   "Reorder Assistant Actions",
   "Sets a new explicit position for each given action of an assistant (at most 25 per call). The spec lists "
   "the pagination query parameters on this operation too.", "D",
   params=PAGINATION, body="ReorderAssistantActionsRequest", body_required=True,
   response=list_of("AssistantAction"), response_description="The reordered assistant actions",
   list_response=True)
op("post", "/orgs/{org_id}/assistants/{assistant_id}/chats", "createAssistantChat", A,
   "Start a chat with an assistant",
   "Starts a chat with an assistant. Seen only in third-party code that probed it with a text message and "
   "logged the status; not in the documentation, and the response is unknown.", "T",
   body="CreateAssistantChatRequest", body_required=True, undocumented_response=True)

# 2.2 Contacts --------------------------------------------------------------------------------------------------

C = "Orgs Contacts"
CONTACT_IDS = {"org_id": PATH_PARAM_DESCRIPTIONS["org_id"], "contact_id": "Contact ID"}

op("get", "/orgs/{org_id}/contacts", "listContacts", C, "Get Contacts",
   "Lists the contacts of an org, with optional filters.", "D",
   params=[
       query("search", string(), "Search contacts by name. " + UNCONFIRMED),
       query("unsubscribed", boolean(), "Filter by unsubscribed state"),
       query("user_id", string(), "Filter by user id"),
       query("name", string(), "Filter by name"),
       query("username", string(), "Filter by username"),
       query("email", string(format="email"), "Filter by email"),
       query("segment_id", string(), "Filter by segment"),
       query("exclude_admins", boolean(), "Leave out admin contacts"),
       query("exclude_board_id", string(), "Exclude contacts already on this board"),
       query("status", string(enum=["ALL", "SUBSCRIBED", "UNSUBSCRIBED", "BLOCKED", "AI_REPLIES_DISABLED"]),
             "Filter by contact status"),
       *PAGINATION,
   ],
   response=list_of("Contact"), response_description="An array of contacts", list_response=True)
op("post", "/orgs/{org_id}/contacts", "createContact", C, "Create a contact",
   "Creates a contact with a first channel and optional segments.", "D",
   body="CreateContactRequest", body_required=True, response=ref("Contact"),
   response_description="The created contact")
op("patch", "/orgs/{org_id}/contacts/{contact_id}", "updateContact", C, "Update a contact",
   "Updates a contact's name, blocked and unsubscribed state.", "D",
   body="UpdateContactRequest", body_required=True, response=ref("Contact"),
   response_description="The updated contact",
   path_param_descriptions={"org_id": "Org ID. `c` means the org the API key belongs to."})
op("get", "/orgs/{org_id}/contacts/duplicates", "listDuplicateContactGroups", C, "List duplicate contact groups",
   "Lists, page by page, groups of contacts that share at least one external channel, each with a suggested "
   "primary contact. The pagination parameters are assumed from the paginated description.", "D",
   params=PAGINATION, response=list_of("DuplicateContactGroup"),
   response_description="An array of duplicate contact groups", list_response=True)
op("post", "/orgs/{org_id}/contacts/{contact_id}/merge", "mergeContacts", C, "Merge contacts",
   "Merges contacts into `contact_id`, the primary. Leaving out `source_contact_ids` merges all auto-detected "
   "duplicates of the primary.", "D",
   body="MergeContactsRequest", body_required=True, response=ref("MergeContactsResponse"),
   response_description="The merged contact and the ids merged into it")
op("get", "/orgs/{org_id}/contacts/fields", "listContactFields", C, "List contact fields",
   "Lists the contact fields of an org.", "D",
   params=PAGINATION, response=list_of("ContactField"), response_description="An array of contact fields",
   list_response=True)
op("get", "/orgs/{org_id}/contacts/{contact_id}/segments", "listContactSegments", C, "Get Contact Segments",
   "Lists the segments of a contact (without their boards).", "D",
   params=PAGINATION, response=list_of("Segment"), response_description="An array of segments",
   list_response=True)
op("post", "/orgs/{org_id}/contacts/{contact_id}/segments/{segment_id}", "addContactSegment", C,
   "Add segment to contact", "Adds a segment to a contact. No request body.", "D",
   response=ref("Contact"), response_description="The updated contact")
op("get", "/orgs/{org_id}/contacts/{contact_id}/notes", "listContactNotes", C, "List contact notes",
   "Lists the notes on a contact.", "D",
   params=PAGINATION, response=list_of("Note"), response_description="An array of notes", list_response=True)
op("get", "/orgs/{org_id}/contacts/{contact_id}/activities", "listContactActivities", C, "List contact activities",
   "Lists a contact's activity timeline, newest first.", "D",
   params=[query("type", ref("ActivityType"), "Filter by activity type"), *PAGINATION],
   response=list_of("Activity"), response_description="An array of activities", list_response=True)
op("get", "/orgs/{org_id}/contacts/{contact_id}/files", "listContactFiles", C, "Get contact files",
   "Lists all files of a contact, including files shared in chats and direct uploads. The page did not show the "
   "method and path; they are taken from Upload Contact File, which shares the path.", "D*",
   params=[
       query("search", string(maxLength=256, examples=["document.pdf"]), "Search files by filename. " + UNCONFIRMED),
       query("mime_type", string(examples=["image/"]), "Filter by MIME type prefix. " + UNCONFIRMED),
       *PAGINATION,
   ],
   response=list_of("ContactFile"), response_description="An array of contact files", list_response=True)
op("post", "/orgs/{org_id}/contacts/{contact_id}/files", "uploadContactFile", C, "Upload Contact File",
   "Uploads a file to a contact, given as the file itself or as a URL to fetch.", "D",
   body="UploadContactFileRequest", body_required=True, response=ref("ContactFile"),
   response_description="The uploaded contact file")
op("patch", "/orgs/{org_id}/contacts/{contact_id}/channels/{channel_id}", "updateContactChannel", C,
   "Update a contact channel (only for custom channels)",
   "Updates the avatar, name, phone, username or email of a contact channel. Only custom channels can be "
   "updated. Only the older documentation shows this page.", "D-old",
   body="UpdateContactChannelRequest", body_required=True, response=ref("ContactChannel"),
   response_description="The updated contact channel")
op("post", "/orgs/{org_id}/contacts/{contact_id}/channels/{channel_id}/chats", "createContactChannelChat", C,
   "Create a chat on a contact channel",
   "Starts a chat on one of the contact's custom channels. The contact channel is the only member (the admin is "
   "not), and any first message is authored as the contact.", "D",
   body="CreateContactChannelChatRequest", body_required=True, response=ref("Chat"),
   response_description="The created chat")
op("post", "/orgs/{org_id}/contacts/{contact_id}/chats/{chat_id}/messages", "createContactChatMessage", C,
   "Send a message as a contact",
   "Posts a message into an existing chat as the contact, not as the admin. Custom channels only.", "D",
   body="CreateContactChatMessageRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The created message")
op("post", "/orgs/{org_id}/contacts/{contact_id}/channels/{channel_id}/chats/{chat_id}/messages",
   "createContactChannelChatMessage", C, "Send a message as a contact on a channel",
   "Posts a message into an existing chat as the contact, with the channel in the path. Custom channels only. "
   "The page did not show the method and path; they are inferred from its four path parameters and from Create "
   "a chat on a contact channel.", "D*",
   body="CreateContactChannelChatMessageRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The created message")
op("post",
   "/orgs/{org_id}/contacts/{contact_id}/channels/{channel_id}/chats/{chat_id}/messages/{message_id}/approvals/"
   "{tool_call_id}",
   "decideContactChannelActionApproval", C, "Decide Action Approval as a contact on a channel",
   "Accepts or rejects a pending approval on an assistant action, recorded as the contact rather than the "
   "admin or API key. Custom channels only. The page did not show the method and path; they are inferred from "
   "its six path parameters and from Decide Action Approval.", "D*",
   body="DecideActionApprovalRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The message with the decided approval",
   path_param_descriptions={"message_id": "The ID of the message with the pending approval"})

# 2.3 Segments --------------------------------------------------------------------------------------------------

SG = "Orgs Segments"

op("get", "/orgs/{org_id}/segments", "listSegments", SG, "Get Segments",
   "Lists the segments of an org, with their boards. Only the older documentation shows this page." + INFERRED_TAG,
   "D-old",
   params=[
       query("search", string(), "Search segments by name. " + UNCONFIRMED),
       query("exclude_board_columns", boolean(), "Exclude segments used as board columns"),
       *PAGINATION,
   ],
   response=list_of("Segment"), response_description="An array of segments", list_response=True)
op("patch", "/orgs/{org_id}/segments/{segment_id}", "updateSegment", SG, "Update a Segment",
   "Updates the name or color of a segment. Only the older documentation shows this page." + INFERRED_TAG, "D-old",
   body="UpdateSegmentRequest", body_required=True, response=ref("Segment"),
   response_description="The updated segment")

# 2.4 Connections -----------------------------------------------------------------------------------------------

op("get", "/orgs/{org_id}/connections", "listConnections", "Orgs Connections", "Get Org Connections",
   "Lists the org's connections (integrations such as WhatsApp, Slack or Stripe). Only the older documentation "
   "shows this page; the cookbook shows the call too (`GET /orgs/c/connections?page=1&take=50`)." + INFERRED_TAG,
   "D",
   params=PAGINATION, response=list_of("Connection"), response_description="A list of connections",
   list_response=True)

# 2.5 Org-level chats and inbox ---------------------------------------------------------------------------------

op("get", "/orgs/{org_id}/chats", "listOrgChats", "Orgs Chats", "Get Org Chats",
   "Lists the chats of an org. Only the older documentation shows this page, and its query parameters were not "
   "visible; the standard pagination parameters are assumed." + INFERRED_TAG, "D-old",
   params=PAGINATION, response=list_of("Chat"), response_description="An array of chats", list_response=True)
op("get", "/orgs/{org_id}/inbox", "listInbox", "Orgs Inbox", "List inbox",
   "Lists the conversations of the org's inbox. Seen only in third-party code (with `integration_id` and "
   "`take`), not in the documentation; the shape of the items is unknown, and the pagination headers are assumed "
   "from the general rule for list endpoints.", "T",
   params=[
       query("integration_id", string(examples=["messenger_bot"]),
             "Filter by channel (integration); name taken from third-party code"),
       TAKE,
   ],
   response=array({"description": "An inbox entry; its shape is not documented"}),
   response_description="An array of inbox entries", list_response=True)
op("get", "/orgs/{org_id}/chats/ws", "watchOrgChats", "Orgs Chats", "Chat Org WebSocket",
   "Opens a WebSocket of the org's chat events. Each text frame is a JSON event "
   '`{"type": "create", "data": Chat}` (see ChatEvent); only `create` was seen. Only the older documentation '
   "shows this page (server api.dev.useinvent.com)." + INFERRED_TAG, "D-old",
   upgrade="Switching Protocols: the connection becomes a WebSocket of chat events (JSON text frames, see "
           "ChatEvent)")
op("get", "/orgs/{org_id}/inbox/ws", "watchOrgInbox", "Orgs Inbox", "Chat Org Inbox WebSocket",
   "Opens a WebSocket of chat events for the org's inbox. Each text frame is a JSON event "
   '`{"data": Chat, ...}` (see ChatEvent); the page excerpt cut off before the other fields.', "D",
   upgrade="Switching Protocols: the connection becomes a WebSocket of inbox chat events (JSON text frames, see "
           "ChatEvent)")

# 2.6 Chats -----------------------------------------------------------------------------------------------------

op("patch", "/chats/{chat_id}", "updateChat", "Chats", "Update Chat",
   "Updates the title, model, visibility, pinned state or tools of a chat. Only the older documentation shows "
   "this page." + INFERRED_TAG, "D-old",
   body="UpdateChatRequest", body_required=True, response=ref("Chat"), response_description="The updated chat")

M = "Chats Messages"

op("get", "/chats/{chat_id}/messages", "listChatMessages", M, "Get Chat Messages",
   "Lists the messages of a chat.", "D",
   params=[
       query("from_date", string(),
             "The date to start fetching messages from. The name is taken from third-party code and unconfirmed."),
       *PAGINATION,
   ],
   response=list_of("ChatMessage"), response_description="An array of chat messages", list_response=True)
op("post", "/chats/{chat_id}/messages", "createChatMessage", M, "Create Chat Message",
   "Sends a user message, made of at least one part, to a chat.", "D",
   body="CreateChatMessageRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The created chat message")
op("get", "/chats/{chat_id}/messages/{message_id}", "getChatMessage", M, "Get Chat Message",
   "Gets one message of a chat.", "D",
   response=ref("ChatMessage"), response_description="The chat message")
op("patch", "/chats/{chat_id}/messages/{message_id}", "editChatMessage", M, "Edit Chat Message",
   "Edits the text of a message.", "D",
   body="EditChatMessageRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The edited chat message")
op("post", "/chats/{chat_id}/messages/{message_id}/approvals/{tool_call_id}", "decideActionApproval", M,
   "Decide Action Approval",
   "Accepts or rejects a pending approval on an assistant action. By default the call blocks until the tool "
   "finishes and returns the final message; in background mode it records the decision, runs the tool in the "
   "background and returns the running state.", "D",
   body="DecideActionApprovalRequest", body_required=True, response=ref("ChatMessage"),
   response_description="The message with the decided approval")
op("delete", "/chats/{chat_id}/messages/{message_id}", "deleteChatMessage", M, "Delete Chat Message",
   "Deletes a message of a chat. The response was not seen.", "D", undocumented_response=True)

op("get", "/chats/{chat_id}/files", "listChatFiles", "Chats Files", "Get Chat Files",
   "Lists all files shared in a chat.", "D",
   params=[
       query("search", string(maxLength=256), "Search files by filename. " + UNCONFIRMED),
       query("mime_type", string(examples=["image/"]), "Filter by MIME type prefix. " + UNCONFIRMED),
       *PAGINATION,
   ],
   response=list_of("File"), response_description="An array of files", list_response=True)

MEM = "Chats Memories"

op("get", "/chats/{chat_id}/memories", "listChatMemories", MEM, "Get conversation summaries",
   "Lists the conversation summaries of a chat, which are created automatically every 10 messages.", "D",
   params=PAGINATION, response=list_of("Memory"), response_description="An array of conversation summaries",
   list_response=True)
op("delete", "/chats/{chat_id}/memories", "clearChatMemories", MEM, "Clear conversation summaries",
   "Deletes all conversation summaries of a chat; the messages are kept. The response was not seen.", "D",
   undocumented_response=True)
op("delete", "/chats/{chat_id}/memories/{memory_id}", "deleteChatMemory", MEM, "Delete a conversation summary",
   "Deletes one conversation summary of a chat. The response was not seen.", "D", undocumented_response=True)

ST = "Chats State"

op("patch", "/chats/{chat_id}/state", "updateChatState", ST, "Update Chat State",
   "Updates the state of a chat: AI replies, follow-up time, mute and CSAT score.", "D",
   body="UpdateChatStateRequest", body_required=True, response=ref("Chat"), response_description="The updated chat")
op("get", "/chats/{chat_id}/state/info", "getChatStateInfo", ST, "Get Chat State Info",
   "Tells whether a newer chat exists for the same conversation.", "D",
   response=ref("ChatStateInfo"), response_description="The newest chat of the conversation, if any")
op("patch", "/chats/{chat_id}/state/assign", "assignConversation", ST, "Assign Conversation",
   "Assigns a conversation to an agent, or unassigns it when `member_id` is null.", "D",
   body="AssignConversationRequest", body_required=True, response=ref("ChatState"),
   response_description="The updated chat state")

# 2.7 Organizations ---------------------------------------------------------------------------------------------

O = "Orgs Orgs"
SUB_ORG_IDS = {
    "org_id": "The ID of the parent org. `c` means the org the API key belongs to.",
    "sub_org_id": "The ID of the sub-organization",
}

op("get", "/orgs/{org_id}/orgs", "listSubOrganizations", O, "List Sub-Organizations",
   "Lists all sub-organizations of an org, with their plan, balance, members and features.", "D",
   params=PAGINATION, response=list_of("SubOrganization"), response_description="An array of sub-organizations",
   list_response=True, path_param_descriptions=SUB_ORG_IDS)
op("post", "/orgs/{org_id}/orgs", "createSubOrganization", O, "Create Sub-Organization",
   "Creates a sub-organization. The page did not show the method and path; they are inferred from List "
   "Sub-Organizations and the title. The body's fields were not visible.", "D*",
   body="CreateSubOrganizationRequest", body_required=True, response=ref("SubOrganization"),
   response_description="The created sub-organization", path_param_descriptions=SUB_ORG_IDS)
op("post", "/orgs/{org_id}/orgs/{sub_org_id}/join", "joinSubOrganization", O, "Join Sub-Organization",
   "Adds the calling parent-org admin to the sub-organization with the given role.", "D",
   body="JoinSubOrganizationRequest", body_required=True, response=ref("SubOrganization"),
   response_description="The joined sub-organization", path_param_descriptions=SUB_ORG_IDS)
op("post", "/orgs/{org_id}/orgs/{sub_org_id}/transfer", "transferOrganization", O, "Transfer Organization",
   "Makes an existing standalone org a sub-organization of `org_id`; the caller must be an admin of both. The "
   "page did not show the method and path; the `/transfer` suffix is inferred.", "D*",
   body="TransferOrganizationRequest", body_required=True, response=ref("SubOrganization"),
   response_description="The sub-organization with its updated parent and features",
   path_param_descriptions={
       "org_id": "The ID of the parent org to transfer into. `c` means the org the API key belongs to.",
       "sub_org_id": "The ID of the org to transfer",
   })
op("patch", "/orgs/{org_id}/orgs/{sub_org_id}", "updateSubOrganization", O, "Update Sub-Organization",
   "The parent org updates a sub-organization. `config` is partial and deep-merged server-side (including the "
   "module visibility toggles), and `logo_id` is optional. Feature flags are not writable here: they are managed "
   "exclusively by platform admins, and `features` is deprecated and ignored. The method and path are documented "
   "by the older Update Sub-Organization Features page; the body is the newer page's.", "D",
   body="UpdateSubOrganizationRequest", body_required=True, response=ref("SubOrganization"),
   response_description="The updated sub-organization", path_param_descriptions=SUB_ORG_IDS)

# ---------------------------------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------------------------------

PAGINATION_HEADERS = {
    "pagination-count": {"$ref": "#/components/headers/PaginationCount"},
    "pagination-page": {"$ref": "#/components/headers/PaginationPage"},
    "pagination-take": {"$ref": "#/components/headers/PaginationTake"},
}

def error_responses(too_many_requests):
    """The documented error statuses: 400, 401, 404 and 429 (JSON of an undocumented shape), and 5xx
    ("infrastructure errors", which need not be JSON) as the range `5XX`. A `default` would also cover
    them, but progenitor orders a range next to the codes it overlaps (`4XX` is what a `default` becomes),
    which makes the explicit 4xx arms unreachable."""
    return {
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
        "429": {"$ref": f"#/components/responses/{too_many_requests}"},
        "5XX": {"$ref": "#/components/responses/ServerError"},
    }


def build_operation(o):
    out = {
        "tags": [o["tag"]],
        "summary": o["summary"],
        "description": o["description"],
        "operationId": o["operation_id"],
        "x-invent-evidence": o["evidence"],
    }
    params = path_params(o["path"], o["path_param_descriptions"]) + o["params"]
    if params:
        out["parameters"] = params
    if o["body"]:
        rb = {"content": {"application/json": {"schema": ref(o["body"])}}}
        if o["body_required"]:
            rb["required"] = True
        out["requestBody"] = rb
    if o["upgrade"]:
        out["responses"] = {"101": {"description": o["upgrade"]}, **error_responses(o["too_many_requests"])}
        return out
    if o["undocumented_response"]:
        ok = {"description": NOT_DOCUMENTED_BODY, "content": {"application/json": {"schema": {}}}}
    else:
        ok = {"description": o["response_description"]}
        if o["list_response"]:
            ok["headers"] = PAGINATION_HEADERS
        ok["content"] = {"application/json": {"schema": o["response"]}}
    out["responses"] = {"200": ok, **error_responses(o["too_many_requests"])}
    return out


def error_response(description):
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


TAG_DESCRIPTIONS = {
    "Orgs Assistants": "Assistants of an org and their actions",
    "Orgs Contacts": "Contacts of an org: channels, segments, notes, activities, files, and acting as a contact",
    "Orgs Inbox": "The org's inbox",
    "Orgs Orgs": "Sub-organizations of an org",
    "Orgs Segments": "Contact segments of an org (tag name inferred; not seen in the documentation)",
    "Orgs Connections": "Integration connections of an org (tag name inferred; not seen in the documentation)",
    "Orgs Chats": "Chats of an org (tag name inferred; not seen in the documentation)",
    "Chats": "A chat itself (tag name inferred; not seen in the documentation)",
    "Chats Messages": "Messages of a chat and action approvals",
    "Chats Files": "Files shared in a chat",
    "Chats Memories": "Conversation summaries of a chat",
    "Chats State": "Inbox state of a chat: status, follow-ups, CSAT and assignment",
}


def build():
    paths = {}
    for o in OPERATIONS:
        paths.setdefault(o["path"], {})[o["method"]] = build_operation(o)

    used_tags = []
    for o in OPERATIONS:
        if o["tag"] not in used_tags:
            used_tags.append(o["tag"])

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Invent API",
            "version": "2026-11-29",
            "x-invent-reconstruction": "rebuilt from docs.useinvent.com on 2026-11-29; see README, Where openapi.json comes from",
            "description": (
                "The Invent REST API, reconstructed from the public documentation at docs.useinvent.com on "
                "2026-11-29 because the live spec (https://api.useinvent.com/openapi.json) could not be read. "
                "Each operation carries `x-invent-evidence`: `documented` (the docs show the method and path), "
                "`documented-old-generation` (only an old-generation reference page, which shows an earlier spec, "
                "shows the method and path), `path-inferred` (the docs page exists but the method or path was "
                "inferred) or `third-party` (seen only in third-party code). Fields whose names the docs do not show "
                "carry `x-invent-guessed: true`. Resources live under `/orgs/{org_id}`, where `c` means the org "
                "the API key belongs to. List endpoints return bare JSON arrays and report counts in the "
                "`pagination-count`, `pagination-page` and `pagination-take` response headers. Rate limit: 500 "
                "requests per minute per IP; assistant creation 10 per hour per org."
            ),
        },
        "servers": [{"url": "https://api.useinvent.com"}],
        "security": [{"bearer": []}],
        "tags": [{"name": t, "description": TAG_DESCRIPTIONS[t]} for t in used_tags],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Bearer token authentication using your API key",
                }
            },
            "headers": {
                "PaginationCount": {
                    "description": "The item count of the listing, as reported by the server",
                    "schema": number(),
                },
                "PaginationPage": {"description": "The page returned (1-based)", "schema": number()},
                "PaginationTake": {"description": "The page size used", "schema": number()},
            },
            "responses": {
                "BadRequest": error_response("Bad request: check the parameters"),
                "Unauthorized": error_response(
                    "Unauthorized: check the API key. A 401 can also mean that the endpoint is not available to "
                    "API keys."
                ),
                "NotFound": error_response("Not found"),
                "TooManyRequests": error_response("Rate limited: more than 500 requests per minute from one IP"),
                "CreateAssistantTooManyRequests": error_response(
                    "Rate limited: more than 500 requests per minute from one IP, or more than 10 assistant "
                    "creations per hour for one org"
                ),
                "ServerError": {
                    "description": (
                        "A 5xx: infrastructure errors. The body is not documented and need not be JSON: a proxy "
                        "may answer with an HTML page, plain text or nothing."
                    ),
                    "content": {
                        "application/json": {"schema": ref("Error")},
                        "*/*": {"schema": {"description": "Any body, as sent"}},
                    },
                },
            },
            "schemas": SCHEMAS,
        },
    }


def render():
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(
        prog="build_openapi.py",
        description="Build openapi.json (the Invent spec reconstructed from the public documentation).",
    )
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if openapi.json differs from what this script builds; write nothing")
    args = parser.parse_args(argv)  # unknown arguments: usage on stderr, exit 2; --help: usage, exit 0
    text = render()
    if args.check:
        current = OUT.read_text() if OUT.exists() else ""
        if current != text:
            print("openapi.json is out of date: run python3 scripts/build_openapi.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
