//! The drift suite (issue 12): a loopback server answers the way the live API may differ from
//! `openapi.json` — other 2xx codes, empty bodies, enum values and fields the spec does not list, nulls,
//! other number and date spellings, error bodies of any media type — and every call goes through the
//! GENERATED builders (`client.create_assistant()…send()`). Each case ends in `Ok` with the right typed
//! value, or in an `Error` that keeps status and body; none panics. What is tolerated and what is not is
//! documented in the crate docs (`docs/guide/live_api.md`, "When the live API differs from openapi.json").
//!
//! The unknown-union-variant case needs a spec with a response union, which the vendored one does not
//! have: it builds the crate against `invent-spec/tests/specs/drift-unions.json` (see the last section).

mod common;

#[path = "common/spec_program.rs"]
mod spec_program;

use std::fmt::Debug;

use httpmock::prelude::*;
use invent_api::types;
use invent_api::{ApiError, DecodeError, Error, ResponseValue};
use serde_json::{json, Value};

// --- helpers ---------------------------------------------------------------------------------------

/// A loopback server whose only route, `method path`, answers `status` with `headers` and `body`.
async fn answering(
    method: httpmock::Method,
    path: &str,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
) -> MockServer {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(method).path(path);
            let mut then = then.status(status);
            for (name, value) in headers {
                then = then.header(*name, *value);
            }
            if !body.is_empty() {
                then.body(body);
            }
        })
        .await;
    server
}

/// `answering` with a JSON body and `content-type: application/json`.
async fn answering_json(method: httpmock::Method, path: &str, status: u16, body: &Value) -> MockServer {
    answering(method, path, status, &[("content-type", "application/json")], &body.to_string()).await
}

/// One line saying what an error kept, for failure messages.
fn describe(err: &Error) -> String {
    let kind = match err {
        Error::Api(_) => "Error::Api",
        Error::Decode(_) => "Error::Decode",
        Error::Transport { .. } => "Error::Transport",
        Error::InvalidRequest(_) => "Error::InvalidRequest",
        _ => "another Error",
    };
    let body = err.body().map(|b| String::from_utf8_lossy(b).into_owned());
    format!("{kind} (status {:?}, body {body:?}): {err}", err.status())
}

#[track_caller]
fn expect_ok<T: Debug>(case: &str, result: Result<ResponseValue<T>, Error>) -> ResponseValue<T> {
    match result {
        Ok(value) => value,
        Err(err) => panic!("{case}: expected Ok, got {}", describe(&err)),
    }
}

#[track_caller]
fn expect_api<T: Debug>(case: &str, result: Result<ResponseValue<T>, Error>) -> ApiError {
    match result {
        Err(Error::Api(api)) => *api,
        Err(other) => panic!("{case}: expected Error::Api, got {}", describe(&other)),
        Ok(value) => panic!("{case}: expected Error::Api, got Ok({:?})", value.into_inner()),
    }
}

#[track_caller]
fn expect_decode<T: Debug>(case: &str, result: Result<ResponseValue<T>, Error>) -> DecodeError {
    match result {
        Err(Error::Decode(decode)) => *decode,
        Err(other) => panic!("{case}: expected Error::Decode, got {}", describe(&other)),
        Ok(value) => panic!("{case}: expected Error::Decode, got Ok({:?})", value.into_inner()),
    }
}

/// An `Assistant` as the live API might send it: the required fields plus `extra`.
fn assistant_with(extra: Value) -> Value {
    let mut body = common::assistant("ast_1");
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    body
}

fn create_assistant_request() -> types::CreateAssistantRequest {
    match types::CreateAssistantRequest::builder().name("Drift").try_into() {
        Ok(body) => body,
        Err(e) => panic!("CreateAssistantRequest did not build: {e}"),
    }
}

// --- any 2xx is success ----------------------------------------------------------------------------

#[tokio::test]
async fn created_201_decodes_the_assistant() {
    let server = answering_json(POST, "/orgs/c/assistants", 201, &assistant_with(json!({"name": "Drift"}))).await;
    let client = common::client(&server);
    let created = expect_ok("201 Created", client.create_assistant().body(create_assistant_request()).send().await);
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.id, "ast_1");
    assert_eq!(created.name, "Drift");
    assert!(created.enabled);
}

#[tokio::test]
async fn accepted_202_decodes_the_body() {
    let server =
        answering_json(PATCH, "/orgs/c/assistants/ast_1", 202, &assistant_with(json!({"enabled": false}))).await;
    let client = common::client(&server);
    let body = types::UpdateAssistantRequest::default();
    let updated = expect_ok("202 Accepted", client.update_assistant().assistant_id("ast_1").body(body).send().await);
    assert_eq!(updated.status().as_u16(), 202);
    assert_eq!(updated.id, "ast_1");
    assert!(!updated.enabled);
}

#[tokio::test]
async fn a_2xx_the_spec_does_not_declare_decodes_its_body() {
    // 203 Non-Authoritative Information: what a caching proxy in front of the API may answer.
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 203, &common::assistant("ast_1")).await;
    let client = common::client(&server);
    let got = expect_ok("203", client.get_assistant().assistant_id("ast_1").send().await);
    assert_eq!((got.status().as_u16(), got.id.as_str()), (203, "ast_1"));
}

#[tokio::test]
async fn delete_answered_204_or_an_empty_200_is_ok() {
    for (case, status, body) in
        [("204 No Content", 204, ""), ("200 with an empty body", 200, ""), ("200 with whitespace", 200, " \r\n")]
    {
        let server = answering(DELETE, "/chats/chat_1/messages/msg_1", status, &[], body).await;
        let client = common::client(&server);
        let deleted = expect_ok(case, client.delete_chat_message().chat_id("chat_1").message_id("msg_1").send().await);
        assert_eq!(deleted.status().as_u16(), status, "{case}");
        // The operation's success type carries no data: the empty body reads as JSON null.
        assert_eq!(deleted.into_inner(), Value::Null, "{case}");
    }
}

#[tokio::test]
async fn a_json_success_labelled_with_another_media_type_still_decodes() {
    // Content types are not checked on success: a proxy or framework default may relabel JSON.
    for content_type in ["text/plain", "text/html; charset=utf-8", "application/octet-stream"] {
        let server = answering(
            GET,
            "/orgs/c/assistants/ast_1",
            200,
            &[("content-type", content_type)],
            &common::assistant("ast_1").to_string(),
        )
        .await;
        let got = expect_ok(content_type, common::client(&server).get_assistant().assistant_id("ast_1").send().await);
        assert_eq!(got.id, "ast_1", "{content_type}");
    }
}

// --- empty or non-JSON success where typed data was expected ---------------------------------------

#[tokio::test]
async fn an_empty_2xx_where_an_assistant_was_expected_is_a_decode_error_keeping_status_headers_body() {
    for (case, status, body) in [("204 No Content", 204, ""), ("200 with an empty body", 200, "")] {
        let server = answering(GET, "/orgs/c/assistants/ast_1", status, &[("x-request-id", "req_empty")], body).await;
        let result = common::client(&server).get_assistant().assistant_id("ast_1").send().await;
        // Never Error::Api: the server said success, the body is what does not fit.
        let decode = expect_decode(case, result);
        assert_eq!(decode.status.as_u16(), status, "{case}");
        assert_eq!(decode.headers.get("x-request-id").map(|v| v.as_bytes()), Some(&b"req_empty"[..]), "{case}");
        assert!(decode.body.is_empty(), "{case}");
    }
}

#[tokio::test]
async fn an_html_page_answered_200_by_a_captive_proxy_is_a_decode_error_with_the_page() {
    let page = "<!DOCTYPE html><html><body><h1>Sign in to the Wi-Fi</h1></body></html>";
    let server = answering(GET, "/orgs/c/assistants/ast_1", 200, &[("content-type", "text/html")], page).await;
    let decode = expect_decode("HTML 200", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    assert_eq!(decode.status.as_u16(), 200);
    assert_eq!(&decode.body[..], page.as_bytes());
    assert_eq!(decode.headers.get("content-type").map(|v| v.as_bytes()), Some(&b"text/html"[..]));
}

// --- open enums in responses -----------------------------------------------------------------------

#[tokio::test]
async fn an_unlisted_connection_type_decodes_as_unknown_and_prints_the_raw_value() {
    let page = json!([
        {"id": "con_1", "type": "WHATSAPP", "status": "ACTIVE"},
        {"id": "con_2", "type": "DISCORD", "status": "PAUSED"},
        {"id": "con_3", "type": "SLACK"},
    ]);
    let server = answering_json(GET, "/orgs/c/connections", 200, &page).await;
    let connections = expect_ok("unlisted type", common::client(&server).list_connections().send().await).into_inner();
    assert_eq!(connections.len(), 3, "one new enum value must not make the page unreadable");
    assert_eq!(connections[0].type_, Some(types::ConnectionType::Whatsapp));
    assert_eq!(connections[1].type_, Some(types::ConnectionType::Unknown("DISCORD".to_string())));
    assert_eq!(connections[1].type_.as_ref().map(ToString::to_string).as_deref(), Some("DISCORD"));
    assert_eq!(connections[1].status, Some(types::ConnectionStatus::Unknown("PAUSED".to_string())));
    assert_eq!(connections[2].type_, Some(types::ConnectionType::Slack));
    // Serialized back, the unknown value is what arrived.
    let back = serde_json::to_value(&connections[1]).unwrap_or_default();
    assert_eq!((&back["type"], &back["status"]), (&json!("DISCORD"), &json!("PAUSED")));
}

#[tokio::test]
async fn an_unlisted_enum_nested_in_an_array_decodes_as_unknown() {
    let body = assistant_with(json!({"integrations": [
        {"id": "int_1", "integration_id": "whatsapp_bot"},
        {"id": "int_2", "integration_id": "discord_bot"},
    ]}));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let got = expect_ok("nested", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    let ids: Vec<Option<types::IntegrationId>> = got.integrations.iter().map(|i| i.integration_id.clone()).collect();
    assert_eq!(
        ids,
        [Some(types::IntegrationId::WhatsappBot), Some(types::IntegrationId::Unknown("discord_bot".to_string()))]
    );
}

#[tokio::test]
async fn an_enum_used_both_ways_reads_unknown_values_and_sends_them_back_only_on_purpose() {
    // `SegmentColor` is in `Segment` (response) and `UpdateSegmentRequest` (request).
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/orgs/c/segments");
            then.status(200).json_body(json!([{"id": "seg_1", "name": "VIP", "color": "mauve"}]));
        })
        .await;
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path("/orgs/c/segments/seg_1").json_body(json!({"color": "mauve"}));
            then.status(200).json_body(json!({"id": "seg_1", "name": "VIP", "color": "mauve"}));
        })
        .await;
    let client = common::client(&server);
    let segments = expect_ok("list", client.list_segments().send().await).into_inner();
    let color = segments[0].color.clone();
    assert_eq!(color, Some(types::SegmentColor::Unknown("mauve".to_string())));
    // Typed from a string, a request still only offers the listed values…
    assert!("mauve".parse::<types::SegmentColor>().is_err(), "FromStr must stay closed");
    assert!(types::SegmentColor::try_from("mauve").is_err(), "TryFrom<&str> must stay closed");
    assert_eq!(types::SegmentColor::try_from("teal").ok(), Some(types::SegmentColor::Teal));
    // …but a value read from the server can be sent back as it is.
    let body = types::UpdateSegmentRequest { color, name: None };
    let updated = expect_ok("send back", client.update_segment().segment_id("seg_1").body(body).send().await);
    assert_eq!(updated.color, Some(types::SegmentColor::Unknown("mauve".to_string())));
    patch.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_request_only_enum_stays_closed_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!([]));
        })
        .await;
    let err = common::client(&server).list_contacts().status("ARCHIVED").send().await;
    match err {
        Err(Error::InvalidRequest(message)) => assert!(message.contains("status"), "{message}"),
        other => panic!("expected Error::InvalidRequest, got {:?}", other.map(|v| v.into_inner())),
    }
    any.assert_calls_async(0).await;
}

// --- unknown, missing and null fields --------------------------------------------------------------

#[tokio::test]
async fn unknown_fields_are_ignored_at_every_level() {
    let body = assistant_with(json!({
        "workspace_id": "ws_1",
        "metrics": {"chats": 3},
        "config": {"model": "gpt-x", "reasoning_effort": "high", "stt": {"model": "whisper", "beam": 5}},
        "integrations": [{"id": "int_1", "enabled": true, "latency_ms": 12}],
    }));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let got = expect_ok("unknown fields", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    let config = got.config.as_ref().expect("config decoded");
    assert_eq!(config.model.as_deref(), Some("gpt-x"));
    assert_eq!(config.stt.as_ref().and_then(|s| s.model.as_deref()), Some("whisper"));
    assert_eq!(got.integrations.len(), 1);
    assert_eq!(got.integrations[0].enabled, Some(true));
}

#[tokio::test]
async fn fields_the_spec_allows_as_additional_properties_are_kept() {
    // `OrgConfig.modules` declares seven toggles and `additionalProperties: true` ("the documentation
    // lists more than these"): rule `extra-properties` keeps the others in `extra`.
    let page = json!([{
        "id": "org_1",
        "config": {"modules": {"enable_inbox": true, "enable_tickets": false, "beta": {"voice": true}}},
    }]);
    let server = answering_json(GET, "/orgs/c/orgs", 200, &page).await;
    let orgs = expect_ok("extras", common::client(&server).list_sub_organizations().send().await).into_inner();
    let modules = orgs[0].config.as_ref().and_then(|c| c.modules.as_ref()).expect("modules decoded");
    assert_eq!(modules.enable_inbox, Some(true));
    assert_eq!(modules.extra.get("enable_tickets"), Some(&json!(false)));
    assert_eq!(modules.extra.get("beta"), Some(&json!({"voice": true})));
    assert!(!modules.extra.contains_key("enable_inbox"), "declared fields are not duplicated: {:?}", modules.extra);
    // Serialized (e.g. sent back in an update), the extras are where they came from.
    let back = serde_json::to_value(modules).unwrap_or_default();
    assert_eq!(back, json!({"enable_inbox": true, "enable_tickets": false, "beta": {"voice": true}}));
}

#[tokio::test]
async fn additional_properties_are_kept_inside_array_items_too() {
    // `AssistantAction.config` is an `AssistantActionConfig` (`input`, `definitions` + extras allowed).
    let actions = json!([{
        "id": "act_1", "enabled": true, "name": null, "instructions": null, "action_id": "TOOLS:HTTP_REQUEST",
        "config": {"input": {"url": "https://example.test"}, "retries": 2},
    }]);
    let server = answering_json(GET, "/orgs/c/assistants/ast_1/actions", 200, &actions).await;
    let got = expect_ok(
        "extras in items",
        common::client(&server).list_assistant_actions().assistant_id("ast_1").send().await,
    );
    let config = got[0].config.as_ref().expect("config decoded");
    assert_eq!(config.input.get("url"), Some(&json!("https://example.test")));
    assert_eq!(config.extra.get("retries"), Some(&json!(2)));
}

#[tokio::test]
async fn missing_optional_fields_decode_as_absent() {
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &common::assistant("ast_1")).await;
    let got = expect_ok("minimal", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    assert!(got.config.is_none() && got.created_at.is_none() && got.secret_key.is_none());
    assert!(got.integrations.is_empty() && got.actions.is_empty());
}

#[tokio::test]
async fn null_for_an_optional_field_reads_as_absent() {
    // The spec types `created_at` as a date-time and `config` as an object (neither nullable).
    let body = assistant_with(json!({"created_at": null, "config": null, "deleted": null, "avatar_url": null}));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let got =
        expect_ok("nulls", common::client(&server).get_assistant().assistant_id("ast_1").send().await).into_inner();
    assert_eq!((got.created_at, got.config.is_none(), got.deleted, got.avatar_url), (None, true, None, None));
}

#[tokio::test]
async fn null_for_an_optional_array_or_map_reads_as_empty() {
    // typify types these as `Vec`/`Map` with `#[serde(default)]`; rule `null-as-absent` makes `null`
    // read like the absent field (as it does for `Option` fields), instead of failing the response.
    let body = assistant_with(json!({"integrations": null, "actions": null, "boards": [{"id": "b"}]}));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let got = expect_ok("null arrays", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    assert!(got.integrations.is_empty() && got.actions.is_empty());
    assert_eq!(got.boards.len(), 1);
    let page = json!([{"id": "con_1", "config": null}]);
    let server = answering_json(GET, "/orgs/c/connections", 200, &page).await;
    let got = expect_ok("null map", common::client(&server).list_connections().send().await);
    assert!(got[0].config.is_empty());
    // A wrong type is still a decode error.
    let body = assistant_with(json!({"integrations": "none"}));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    expect_decode("string array", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
}

#[tokio::test]
async fn null_for_a_required_field_is_a_decode_error_naming_it() {
    let body = json!({"id": "ast_1", "name": null, "enabled": true});
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let decode = expect_decode("null name", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    assert_eq!(decode.status.as_u16(), 200);
    assert_eq!(serde_json::from_slice::<Value>(&decode.body).ok(), Some(body));
    assert!(decode.source.to_string().contains("null"), "{}", decode.source);
}

#[tokio::test]
async fn a_missing_required_field_or_a_changed_type_is_a_decode_error_keeping_the_body() {
    for (case, body, says) in [
        ("missing `enabled`", json!({"id": "ast_1", "name": "A"}), "enabled"),
        ("`enabled` as a string", json!({"id": "ast_1", "name": "A", "enabled": "yes"}), "boolean"),
    ] {
        let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
        let decode = expect_decode(case, common::client(&server).get_assistant().assistant_id("ast_1").send().await);
        assert_eq!(serde_json::from_slice::<Value>(&decode.body).ok(), Some(body), "{case}");
        assert!(decode.source.to_string().contains(says), "{case}: {}", decode.source);
    }
}

// --- numbers and dates -----------------------------------------------------------------------------

#[tokio::test]
async fn an_integer_written_as_12_0_is_a_decode_error_with_the_body() {
    // `AssistantAction.position` is an integer (`i64`). serde_json does not read `12.0` as one; the
    // live API is JavaScript, whose JSON never writes integral numbers with a fraction. Kept strict
    // (and documented): accepting it would need a custom deserializer on every integer field.
    let actions = json!([{"id": "act_1", "enabled": true, "name": null, "instructions": null,
                          "action_id": "TOOLS:HTTP_REQUEST", "position": 12.0}]);
    let server = answering_json(GET, "/orgs/c/assistants/ast_1/actions", 200, &actions).await;
    let result = common::client(&server).list_assistant_actions().assistant_id("ast_1").send().await;
    let decode = expect_decode("12.0", result);
    assert!(String::from_utf8_lossy(&decode.body).contains("12.0"));
    assert!(decode.source.to_string().contains("i64"), "{}", decode.source);

    // The same page with `12` decodes; a `number` field (`Segment.contacts_count`) takes both.
    let actions = json!([{"id": "act_1", "enabled": true, "name": null, "instructions": null,
                          "action_id": "TOOLS:HTTP_REQUEST", "position": 12}]);
    let server = answering_json(GET, "/orgs/c/assistants/ast_1/actions", 200, &actions).await;
    let got = expect_ok("12", common::client(&server).list_assistant_actions().assistant_id("ast_1").send().await);
    assert_eq!(got[0].position, Some(12));
    let server = answering_json(
        GET,
        "/orgs/c/segments",
        200,
        &json!([{"id": "s", "contacts_count": 12.0}, {"id": "t", "contacts_count": 7}]),
    )
    .await;
    let got = expect_ok("number", common::client(&server).list_segments().send().await);
    assert_eq!((got[0].contacts_count, got[1].contacts_count), (Some(12.0), Some(7.0)));
}

#[tokio::test]
async fn date_times_with_an_offset_or_fractional_seconds_decode_to_the_same_instant() {
    let instant = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z").map(|t| t.to_utc()).ok();
    for spelled in [
        "2024-05-01T12:00:00+02:00",
        "2024-05-01T05:30:00-04:30",
        "2024-05-01T10:00:00.000000Z",
        "2024-05-01t10:00:00z",
    ] {
        let body = assistant_with(json!({"created_at": spelled}));
        let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
        let got = expect_ok(spelled, common::client(&server).get_assistant().assistant_id("ast_1").send().await);
        assert_eq!(got.created_at, instant, "{spelled}");
    }
    // Without an offset the instant is ambiguous: a decode error keeping the body, not a guess.
    let body = assistant_with(json!({"created_at": "2024-05-01T10:00:00"}));
    let server = answering_json(GET, "/orgs/c/assistants/ast_1", 200, &body).await;
    let decode = expect_decode("no offset", common::client(&server).get_assistant().assistant_id("ast_1").send().await);
    assert!(String::from_utf8_lossy(&decode.body).contains("2024-05-01T10:00:00"));
}

// --- error bodies of any media type ----------------------------------------------------------------

#[tokio::test]
async fn a_json_error_body_reads_as_the_spec_error_type() {
    let error = json!({"statusCode": 400, "message": ["name must be shorter"], "error": "Bad Request"});
    let server = answering_json(POST, "/orgs/c/assistants", 400, &error).await;
    let result = common::client(&server).create_assistant().body(create_assistant_request()).send().await;
    let err = match result {
        Err(err) => err,
        Ok(v) => panic!("expected an error, got Ok({:?})", v.into_inner()),
    };
    let typed = err.body_as::<types::ErrorBody>().expect("the body decodes as types::ErrorBody");
    assert_eq!(typed.get("message"), Some(&json!(["name must be shorter"])));
    assert_eq!(err.body_as::<Value>(), Some(error.clone()));
    let Error::Api(api) = &err else { panic!("expected Error::Api, got {}", describe(&err)) };
    assert_eq!((api.status.as_u16(), api.parsed.as_ref()), (400, Some(&error)));
}

#[tokio::test]
async fn error_bodies_that_are_not_json_keep_status_media_type_and_raw_body() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
    for (case, status, content_type, body) in [
        ("text/plain 401", 401, Some("text/plain"), "Unauthorized"),
        ("HTML 502 from a proxy", 502, Some("text/html"), html),
        ("empty 503", 503, None, ""),
        ("empty 404 labelled JSON", 404, Some("application/json"), ""),
        ("truncated JSON 500", 500, Some("application/json"), "{\"message\": \"Internal"),
    ] {
        let headers: Vec<(&str, &str)> = content_type.map(|c| ("content-type", c)).into_iter().collect();
        let server = answering(GET, "/orgs/c/assistants/ast_1", status, &headers, body).await;
        let api = expect_api(case, common::client(&server).get_assistant().assistant_id("ast_1").send().await);
        assert_eq!(api.status.as_u16(), status, "{case}");
        assert_eq!(&api.body[..], body.as_bytes(), "{case}");
        assert!(api.parsed.is_none() && !api.truncated, "{case}");
        assert_eq!(api.headers.get("content-type").map(|v| v.to_str().unwrap_or_default()), content_type, "{case}");
        // `body_as` on a body that is not JSON: `None`, not a panic.
        let err = Error::Api(Box::new(api));
        assert!(err.body_as::<types::ErrorBody>().is_none(), "{case}");
        assert!(err.to_string().contains(&status.to_string()), "{case}: {err}");
    }
}

// --- an unknown union variant (a spec with response unions) ----------------------------------------

/// The program the union case builds: invent-api generated from `drift-unions.json`, a scripted
/// loopback server (`tests/common/faults.rs`), drifted answers decoded through the generated builders.
/// It prints `ok <case>` per case and panics (exit status 101) on the first wrong result.
const UNIONS_MAIN: &str = r##"
#[path = "@FAULTS@"]
mod faults;

use faults::{FaultServer, Reply};
use invent_api::{types, Error, Unlisted};
use serde_json::json;

fn json(status: u16, body: serde_json::Value) -> Reply {
    Reply::status(status).header("content-type", "application/json").body(&body.to_string())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = FaultServer::start(|_, seen| match seen.last().map(|s| s.path.as_str()).unwrap_or_default() {
        "/events" => json(200, json!([
            {"type": "message", "text": "hi", "attachments": null},
            {"type": "call", "seconds": 30, "direction": "sideways"},
            {"type": "reaction", "emoji": "+1"},
            {"type": "sms", "text": "fits MessageEvent but for its tag"},
        ])),
        "/shapes/circle" => json(200, json!({"radius": 2.5, "label": "c"})),
        "/shapes/square" => json(200, json!({"side": 3, "color": "red"})),
        "/shapes/pentagon" => json(200, json!({"sides": 5})),
        "/shapes/text" => json(200, json!("a hexagon")),
        "/jobs/done" => json(200, json!({"id": "j1", "state": "done",
            "labels": {"team": "core", "cost_center": "42", "tags": ["a"]},
            "meta": {"source": "api", "extra": "x", "trace": "t"}})),
        "/jobs/running" => json(202, json!({"id": "j2", "progress": 0.5})),
        "/jobs/archived" => json(203, json!({"id": "j3", "state": "archived"})),
        "/jobs/broken" => json(200, json!({"id": "j4"})),
        other => Reply::status(404).body(other),
    })
    .await;
    let client = invent_api::Client::builder()
        .api_key("sk_drift")
        .base_url(server.base_url())
        .limiter(None)
        .max_retries(0)
        .build()
        .expect("client");

    let events = client.list_events().send().await.expect("events").into_inner();
    let sideways = Some(types::CallEventDirection::Unknown("sideways".into()));
    assert!(matches!(&events[0], types::Event::MessageEvent(m) if m.text == "hi" && m.attachments.is_empty()));
    assert!(matches!(&events[1], types::Event::CallEvent(c) if c.seconds == 30 && c.direction == sideways));
    println!("ok known union variants, with an unknown enum value and a null array inside");
    let reaction = Unlisted(json!({"type": "reaction", "emoji": "+1"}));
    let types::Event::Unknown(unknown) = &events[2] else { panic!("expected Event::Unknown: {events:?}") };
    assert_eq!(*unknown, reaction);
    // Printed, it is the JSON that arrived.
    assert_eq!(serde_json::from_str::<serde_json::Value>(&unknown.to_string()).ok().as_ref(), Some(&reaction.0));
    println!("ok unknown tagged variant kept as raw JSON");
    assert!(matches!(&events[3], types::Event::Unknown(u) if u["type"] == "sms"), "{events:?}");
    println!("ok unknown tag with the fields of a known variant is not taken for it");

    let shape = |id: &'static str| {
        let client = client.clone();
        async move { client.get_shape().shape_id(id).send().await.expect(id).into_inner() }
    };
    let circle = shape("circle").await;
    assert!(matches!(&circle, types::Shape::Variant0 { radius, label } if *radius == 2.5 && label.as_deref() == Some("c")));
    assert!(matches!(shape("square").await, types::Shape::Variant1 { side, label: None } if side == 3.0));
    println!("ok untagged union variants, unknown fields ignored");
    assert!(matches!(shape("pentagon").await, types::Shape::Unknown(u) if u.0 == json!({"sides": 5})));
    assert!(matches!(shape("text").await, types::Shape::Unknown(u) if u.0 == json!("a hexagon")));
    println!("ok unknown untagged variant kept as raw JSON");

    let done = client.get_job().job_id("done").send().await.expect("done");
    let types::GetJobSuccess::Status200(job) = done.into_inner() else { panic!("200 is Status200") };
    let labels = job.labels.expect("labels");
    assert_eq!((labels.team.as_deref(), labels.extra.get("cost_center")), (Some("core"), Some(&json!("42"))));
    assert_eq!(labels.extra.get("tags"), Some(&json!(["a"])));
    let meta = job.meta.expect("meta");
    assert_eq!((meta.extra.as_deref(), meta.source.as_deref()), (Some("x"), Some("api")));
    println!("ok additional properties kept next to declared ones (not where a property is named extra)");
    let running = client.get_job().job_id("running").send().await.expect("running");
    assert_eq!(running.status().as_u16(), 202);
    assert!(matches!(running.into_inner(), types::GetJobSuccess::Status202(p) if p.progress == Some(0.5)));
    println!("ok by-status success enum picks the 202 body");
    let archived = client.get_job().job_id("archived").send().await.expect("archived");
    assert_eq!(archived.status().as_u16(), 203);
    assert!(matches!(archived.into_inner(),
        types::GetJobSuccess::Status200(j) if j.state == types::JobState::Unknown("archived".into())));
    println!("ok undeclared 2xx decoded as the first body it fits, unknown enum value inside");
    match client.get_job().job_id("broken").send().await {
        Err(Error::Decode(d)) => assert!(d.status.as_u16() == 200 && d.body.as_ref() == br#"{"id":"j4"}"#, "{d:?}"),
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    println!("ok by-status body that fits no declared body is a decode error with status and body");
}

"##;

/// What the program must print, in order.
const UNIONS_CASES: [&str; 10] = [
    "ok known union variants, with an unknown enum value and a null array inside",
    "ok unknown tagged variant kept as raw JSON",
    "ok unknown tag with the fields of a known variant is not taken for it",
    "ok untagged union variants, unknown fields ignored",
    "ok unknown untagged variant kept as raw JSON",
    "ok additional properties kept next to declared ones (not where a property is named extra)",
    "ok by-status success enum picks the 202 body",
    "ok undeclared 2xx decoded as the first body it fits, unknown enum value inside",
    "ok by-status body that fits no declared body is a decode error with status and body",
    "",
];

/// Builds and runs [`UNIONS_MAIN`] against invent-api generated from `drift-unions.json`: generation,
/// compilation and decoding of response unions end to end (see `tests/common/spec_program.rs`).
#[test]
fn unknown_union_variants_decode_end_to_end_in_a_crate_built_from_a_spec_with_unions() {
    let printed = spec_program::run("drift-unions", "drift-unions.json", UNIONS_MAIN);
    let printed: Vec<&str> = printed.iter().map(String::as_str).chain([""]).collect();
    assert_eq!(printed, UNIONS_CASES);
}
