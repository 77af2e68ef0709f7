//! Fixtures of the official MCP conformance suite (`galley serve --conformance-fixtures`; never on by
//! default).
//!
//! Names, arguments and outputs are the ones the suite's server scenarios ask for
//! (`@modelcontextprotocol/conformance`, `src/scenarios/server/`); `.ci/conformance.sh` runs the suite
//! against them. Nothing here touches the store, and none of it is reachable without the flag: the tools
//! live in their own router (merged only with the flag) and the handler methods in `mod.rs` call in here
//! only with the flag.
//!
//! Two families:
//! * 2025-11-25 fixtures: content types, progress, logging, and sampling/elicitation through server-to-client
//!   requests. The latter need a session (stdio). Galley's HTTP transport is stateless: a client's answer to
//!   a server-to-client request would arrive on a new POST that no handler waits for, and the client's
//!   capabilities are not known. Those tools therefore check the declared capabilities and answer with
//!   `isError` at once instead of sending a request that could never be answered.
//! * 2026-07-28 fixtures: multi round-trip requests (SEP-2322 `InputRequiredResult`), per-request client
//!   capabilities (SEP-2575), the per-request log level, and a custom `Mcp-Param-*` header (SEP-2243).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::handler::server::tool::{InputResponses, RequestState};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResponse, CallToolResult, ClientCapabilities, ClientResult, ContentBlock, ElicitRequest,
    ElicitRequestParams, GetPromptRequestParams, GetPromptResponse, GetPromptResult, InputRequest,
    InputRequiredResult, JsonObject, ProgressNotificationParam, Prompt, PromptArgument, PromptMessage,
    ProtocolVersion, ReadResourceResult, Resource, ResourceContents, ResourceTemplate, Role,
    ServerCapabilities, ServerRequest,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, tool, tool_router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::GalleyServer;

/// A 1x1 PNG (one teal pixel).
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGNgaGgAAAGEAQFWjyAjAAAAAElFTkSuQmCC";
/// A WAV file: 8 kHz mono 16-bit, four samples of silence.
const WAV_SILENCE: &str = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQgAAAAAAAAAAAAAAA==";

const STATIC_TEXT_URI: &str = "test://static-text";
const STATIC_BINARY_URI: &str = "test://static-binary";
const WATCHED_URI: &str = "test://watched-resource";
const TEMPLATE_URI: &str = "test://template/{id}/data";

/// Input of `test_sampling`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SamplingInput {
    /// The prompt to send to the client's LLM.
    pub prompt: String,
}

/// Input of `test_elicitation`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ElicitationInput {
    /// The message to show the user.
    pub message: String,
}

#[tool_router(router = conformance_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Conformance fixture: returns a fixed text.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_simple_text(&self) -> String {
        "This is a simple text response for testing.".to_owned()
    }

    /// Conformance fixture: returns one PNG image content block.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_image_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::image(PNG_1X1, "image/png")])
    }

    /// Conformance fixture: returns one WAV audio content block.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_audio_content(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::audio(WAV_SILENCE, "audio/wav")])
    }

    /// Conformance fixture: returns an embedded text resource.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_embedded_resource(&self) -> CallToolResult {
        CallToolResult::success(vec![ContentBlock::resource(ResourceContents::text(
            "This is an embedded resource content.",
            "test://embedded-resource",
        ))])
    }

    /// Conformance fixture: returns text, image and embedded resource content together.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_multiple_content_types(&self) -> CallToolResult {
        CallToolResult::success(vec![
            ContentBlock::text("Multiple content types test:"),
            ContentBlock::image(PNG_1X1, "image/png"),
            ContentBlock::resource(
                ResourceContents::text(r#"{"test":"data","value":123}"#, "test://mixed-content-resource")
                    .with_mime_type("application/json"),
            ),
        ])
    }

    /// Conformance fixture: sends three info log notifications (50 ms apart) while it runs.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_tool_with_logging(&self, ctx: RequestContext<RoleServer>) -> String {
        send_logs(&ctx).await;
        "Tool with logging executed successfully".to_owned()
    }

    /// Conformance fixture: always fails with isError true.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_error_handling(&self) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(
            "This tool intentionally returns an error for testing",
        )])
    }

    /// Conformance fixture: reports progress 0, 50 and 100 of 100 when the call carries a progress token.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_tool_with_progress(&self, ctx: RequestContext<RoleServer>) -> String {
        let token = ctx.meta.get_progress_token();
        for (step, progress) in [0.0, 50.0, 100.0].into_iter().enumerate() {
            if step > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Some(token) = &token {
                let param = ProgressNotificationParam::new(token.clone(), progress)
                    .with_total(100.0)
                    .with_message(format!("Completed step {progress} of 100"));
                if let Err(error) = ctx.peer.notify_progress(param).await {
                    tracing::debug!(%error, "conformance fixture: progress notification not delivered");
                }
            }
        }
        match token.and_then(|t| serde_json::to_value(t).ok()) {
            Some(token) => format!("Progress test completed (token {token})"),
            None => "Progress test completed without a progress token".to_owned(),
        }
    }

    /// Conformance fixture: asks the client's LLM for a completion (sampling/createMessage) and returns it.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn test_sampling(
        &self,
        Parameters(input): Parameters<SamplingInput>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        if !declares(&ctx, "sampling") {
            return undeclared_for_legacy_request("sampling");
        }
        match sample(&ctx, &input.prompt).await {
            Ok(text) => CallToolResult::success(vec![ContentBlock::text(format!("LLM response: {text}"))]),
            Err(error) => CallToolResult::error(vec![ContentBlock::text(format!("Sampling error: {error}"))]),
        }
    }

    /// Conformance fixture: asks the user for a username and an email (elicitation/create) and returns
    /// the answer.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn test_elicitation(
        &self,
        Parameters(input): Parameters<ElicitationInput>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let schema = json!({
            "type": "object",
            "properties": {
                "username": { "type": "string", "description": "User's response" },
                "email": { "type": "string", "description": "User's email address" }
            },
            "required": ["username", "email"]
        });
        elicitation_tool(&ctx, &input.message, schema, "User response").await
    }

    /// Conformance fixture: elicitation whose schema gives a default for every primitive type (SEP-1034).
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn test_elicitation_sep1034_defaults(&self, ctx: RequestContext<RoleServer>) -> CallToolResult {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": { "type": "string", "description": "User name", "default": "John Doe" },
                "age": { "type": "integer", "description": "User age", "default": 30 },
                "score": { "type": "number", "description": "User score", "default": 95.5 },
                "status": {
                    "type": "string",
                    "description": "User status",
                    "enum": ["active", "inactive", "pending"],
                    "default": "active"
                },
                "verified": { "type": "boolean", "description": "Verification status", "default": true }
            },
            "required": []
        });
        let message = "Please review and update the form fields with defaults";
        elicitation_tool(&ctx, message, schema, "Elicitation completed").await
    }

    /// Conformance fixture: elicitation using the five enum schema variants of SEP-1330.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn test_elicitation_sep1330_enums(&self, ctx: RequestContext<RoleServer>) -> CallToolResult {
        let schema = json!({
            "type": "object",
            "properties": {
                "untitledSingle": {
                    "type": "string",
                    "description": "Select one option",
                    "enum": ["option1", "option2", "option3"]
                },
                "titledSingle": {
                    "type": "string",
                    "description": "Select one option with titles",
                    "oneOf": [
                        { "const": "value1", "title": "First Option" },
                        { "const": "value2", "title": "Second Option" },
                        { "const": "value3", "title": "Third Option" }
                    ]
                },
                "legacyEnum": {
                    "type": "string",
                    "description": "Select one option (legacy)",
                    "enum": ["opt1", "opt2", "opt3"],
                    "enumNames": ["Option One", "Option Two", "Option Three"]
                },
                "untitledMulti": {
                    "type": "array",
                    "description": "Select multiple options",
                    "minItems": 1,
                    "maxItems": 3,
                    "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
                },
                "titledMulti": {
                    "type": "array",
                    "description": "Select multiple options with titles",
                    "minItems": 1,
                    "maxItems": 3,
                    "items": {
                        "anyOf": [
                            { "const": "value1", "title": "First Choice" },
                            { "const": "value2", "title": "Second Choice" },
                            { "const": "value3", "title": "Third Choice" }
                        ]
                    }
                }
            },
            "required": []
        });
        let message = "Please select options from the enum fields";
        elicitation_tool(&ctx, message, schema, "Elicitation completed").await
    }

    /// Conformance fixture: its input schema uses JSON Schema 2020-12 keywords ($schema, $defs, $anchor,
    /// if/then/else, additionalProperties) that must reach the client unchanged (SEP-1613, SEP-2106).
    #[tool(
        input_schema = json_schema_2020_12_input(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn json_schema_2020_12_tool(&self, arguments: JsonObject) -> String {
        format!("JSON Schema 2020-12 tool called with: {}", Value::Object(arguments))
    }

    /// Conformance fixture for SSE polling (SEP-1699); over stateless HTTP it simply answers.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_reconnection(&self) -> String {
        "Reconnection test completed successfully (stateless server: the result arrives on the first stream)."
            .to_owned()
    }

    /// Conformance fixture: needs the client's sampling capability; fails with -32021 when it is not
    /// declared.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_missing_capability(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !declares(&ctx, "sampling") {
            return Err(missing_capability("sampling"));
        }
        match sampling_answer(responses.as_ref(), "probe") {
            Some(text) => Ok(text_result(format!("Sampling answered: {text}"))),
            None => Ok(input_required(vec![("probe", sampling_request("Say hello", 20))], None)?.into()),
        }
    }

    /// Conformance fixture: asks for user input through an InputRequiredResult, never through a request on
    /// the response stream (SEP-2575).
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_streaming_elicitation(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !declares(&ctx, "elicitation") {
            return Err(missing_capability("elicitation"));
        }
        match elicitation_answer(responses.as_ref(), "confirm") {
            Some(answer) => Ok(text_result(format!("Streaming elicitation finished: {}", answer.describe()))),
            None => {
                Ok(input_required(vec![("confirm", confirm_request("Please confirm to continue"))], None)?
                    .into())
            }
        }
    }

    /// Conformance fixture: logs three info messages, but only when the request asks for logs with
    /// `_meta["io.modelcontextprotocol/logLevel"]` at info or below.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_logging_tool(&self, ctx: RequestContext<RoleServer>) -> String {
        if requested_info_logs(&ctx) {
            send_logs(&ctx).await;
            "Logging tool finished (logs sent)".to_owned()
        } else {
            "Logging tool finished (no log level requested, no logs sent)".to_owned()
        }
    }

    /// Conformance fixture: echoes a string parameter that clients also send as the Mcp-Param-Region header
    /// (SEP-2243 x-mcp-header).
    #[tool(
        input_schema = custom_header_input(),
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn test_custom_header(&self, arguments: JsonObject) -> String {
        let region = arguments.get("region").and_then(Value::as_str).unwrap_or_default();
        format!("region={region}")
    }

    /// Conformance fixture (SEP-2322): asks for the user's name with an InputRequiredResult, then greets.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_elicitation(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !declares(&ctx, "elicitation") {
            return Err(missing_capability("elicitation"));
        }
        let responses = responses.as_ref();
        if let Some(Answer::Declined(action)) = elicitation_answer(responses, "user_name") {
            return Ok(text_result(format!("No name given (action={action}).")));
        }
        match accepted_string(responses, "user_name", "name") {
            Some(name) => Ok(text_result(format!("Hello, {name}!"))),
            // Missing, malformed or incomplete answers are asked for again (SEP-2322: re-request).
            None => Ok(input_required(vec![("user_name", name_request("What is your name?"))], None)?.into()),
        }
    }

    /// Conformance fixture (SEP-2322): asks the client's LLM a question with an InputRequiredResult.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_sampling(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !declares(&ctx, "sampling") {
            return Err(missing_capability("sampling"));
        }
        match sampling_answer(responses.as_ref(), "capital_question") {
            Some(text) => Ok(text_result(format!("The model answered: {text}"))),
            None => Ok(input_required(
                vec![("capital_question", sampling_request("What is the capital of France?", 100))],
                None,
            )?
            .into()),
        }
    }

    /// Conformance fixture (SEP-2322): asks for the client's roots with an InputRequiredResult.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_list_roots(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        if !declares(&ctx, "roots") {
            return Err(missing_capability("roots"));
        }
        match roots_answer(responses.as_ref(), "client_roots") {
            Some(roots) => Ok(text_result(format!("Client roots: {}", roots.join(", ")))),
            None => Ok(input_required(vec![("client_roots", roots_request())], None)?.into()),
        }
    }

    /// Conformance fixture (SEP-2322): a round trip carrying an integrity-protected requestState.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_request_state(
        &self,
        InputResponses(responses): InputResponses,
        RequestState(state): RequestState,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        confirm_round_trip(&ctx, "test_input_required_result_request_state", responses, state, "state-ok")
    }

    /// Conformance fixture (SEP-2322): like the request-state fixture; a modified requestState is rejected.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_tampered_state(
        &self,
        InputResponses(responses): InputResponses,
        RequestState(state): RequestState,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        confirm_round_trip(
            &ctx,
            "test_input_required_result_tampered_state",
            responses,
            state,
            "state verified",
        )
    }

    /// Conformance fixture (SEP-2322): one InputRequiredResult with elicitation, sampling and roots requests.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_multiple_inputs(
        &self,
        InputResponses(responses): InputResponses,
        RequestState(state): RequestState,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let tool = "test_input_required_result_multiple_inputs";
        let opened = open_state(tool, state.as_deref())?;
        let keys = requested_keys(
            &ctx,
            [("user_name", "elicitation"), ("greeting", "sampling"), ("client_roots", "roots")],
        );
        if keys.is_empty() {
            return Err(missing_capability("elicitation"));
        }
        if opened.is_some() {
            let responses = responses.as_ref();
            let answered: Vec<String> = keys
                .iter()
                .filter_map(|key| match *key {
                    "user_name" => match elicitation_answer(responses, key)? {
                        Answer::Accepted(c) => Some(format!("name={}", string_field(&c, "name")?)),
                        Answer::Declined(action) => Some(format!("name declined ({action})")),
                    },
                    "greeting" => sampling_answer(responses, key).map(|t| format!("greeting={t}")),
                    _ => roots_answer(responses, key).map(|r| format!("roots={}", r.join(","))),
                })
                .collect();
            if answered.len() == keys.len() {
                return Ok(text_result(format!("All inputs received: {}", answered.join("; "))));
            }
        }
        let requests = keys
            .iter()
            .map(|key| match *key {
                "user_name" => (*key, name_request("What is your name?")),
                "greeting" => (*key, sampling_request("Generate a greeting", 50)),
                _ => (*key, roots_request()),
            })
            .collect();
        Ok(input_required(requests, Some(seal_state(tool, &json!({ "round": 1 }))))?.into())
    }

    /// Conformance fixture (SEP-2322): three rounds; the requestState changes after every round.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_multi_round(
        &self,
        InputResponses(responses): InputResponses,
        RequestState(state): RequestState,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let tool = "test_input_required_result_multi_round";
        if !declares(&ctx, "elicitation") {
            return Err(missing_capability("elicitation"));
        }
        let opened = open_state(tool, state.as_deref())?;
        let round = opened.as_ref().and_then(|s| s.get("round")).and_then(Value::as_u64).unwrap_or(0);
        let responses = responses.as_ref();
        let step1 = || {
            let request = name_request("Step 1: What is your name?");
            input_required(vec![("step1", request)], Some(seal_state(tool, &json!({ "round": 1 }))))
        };
        let step2 = |name: &str| {
            let request = elicitation_request(
                "Step 2: What is your favorite color?",
                json!({
                    "type": "object",
                    "properties": { "color": { "type": "string" } },
                    "required": ["color"]
                }),
            );
            input_required(
                vec![("step2", request)],
                Some(seal_state(tool, &json!({ "round": 2, "name": name }))),
            )
        };
        match round {
            1 => match accepted_string(responses, "step1", "name") {
                Some(name) => Ok(step2(&name)?.into()),
                None => Ok(step1()?.into()),
            },
            2 => {
                let name =
                    opened.as_ref().and_then(|s| s.get("name")).and_then(Value::as_str).unwrap_or_default();
                match accepted_string(responses, "step2", "color") {
                    Some(color) => Ok(text_result(format!("{name}'s favorite color is {color}."))),
                    None => Ok(step2(name)?.into()),
                }
            }
            _ => Ok(step1()?.into()),
        }
    }

    /// Conformance fixture (SEP-2322): input requests only for the capabilities the client declared.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn test_input_required_result_capabilities(
        &self,
        InputResponses(responses): InputResponses,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let keys = requested_keys(
            &ctx,
            [("user_name", "elicitation"), ("question", "sampling"), ("client_roots", "roots")],
        );
        if keys.is_empty() {
            return Err(missing_capability("sampling"));
        }
        let responses = responses.as_ref();
        let complete = keys.iter().all(|key| match *key {
            "user_name" => elicitation_answer(responses, key).is_some(),
            "question" => sampling_answer(responses, key).is_some(),
            _ => roots_answer(responses, key).is_some(),
        });
        if complete {
            return Ok(text_result(format!("Received input for: {}", keys.join(", "))));
        }
        let requests = keys
            .iter()
            .map(|key| match *key {
                "user_name" => (*key, name_request("What is your name?")),
                "question" => (*key, sampling_request("What is the capital of France?", 100)),
                _ => (*key, roots_request()),
            })
            .collect();
        Ok(input_required(requests, None)?.into())
    }
}

/// The input schema of `json_schema_2020_12_tool`, with the SEP-1613/SEP-2106 keywords the suite checks
/// (including a top-level `allOf`, which the inventory test allows for fixtures only).
fn json_schema_2020_12_input() -> Arc<JsonObject> {
    json_object(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contactMethod": { "type": "string", "enum": ["phone", "email"] },
            "phone": { "type": "string" },
            "email": { "type": "string" }
        },
        "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
        "then": { "required": ["phone"] },
        "else": { "required": ["email"] },
        "allOf": [{ "required": ["name"] }, { "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
        "additionalProperties": false
    }))
}

/// The input schema of `test_custom_header`: `region` travels in the body and as `Mcp-Param-Region`.
fn custom_header_input() -> Arc<JsonObject> {
    json_object(json!({
        "type": "object",
        "properties": {
            "region": {
                "type": "string",
                "description": "A region name; clients also send it as the Mcp-Param-Region header.",
                "x-mcp-header": "Region"
            }
        },
        "required": ["region"]
    }))
}

fn json_object(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

fn text_result(text: String) -> CallToolResponse {
    CallToolResult::success(vec![ContentBlock::text(text)]).into()
}

// ---------------------------------------------------------------------------------------------------------
// Capabilities, protocol versions and logging
// ---------------------------------------------------------------------------------------------------------

/// Whether the request's client declared `capability` (per-request `_meta` at 2026-07-28, the `initialize`
/// capabilities on a session; stateless HTTP requests at older versions declare nothing).
fn declares(ctx: &RequestContext<RoleServer>, capability: &str) -> bool {
    ctx.client_capabilities()
        .and_then(|caps| serde_json::to_value(caps).ok())
        .is_some_and(|caps| caps.get(capability).is_some_and(|c| !c.is_null()))
}

/// The keys of `candidates` whose capability the client declared, in order.
fn requested_keys<const N: usize>(
    ctx: &RequestContext<RoleServer>,
    candidates: [(&'static str, &str); N],
) -> Vec<&'static str> {
    candidates.into_iter().filter(|(_, capability)| declares(ctx, capability)).map(|(key, _)| key).collect()
}

/// A -32021 MissingRequiredClientCapabilityError naming `capability`.
fn missing_capability(capability: &str) -> McpError {
    let mut required = Map::new();
    required.insert(capability.to_owned(), json!({}));
    match serde_json::from_value::<ClientCapabilities>(Value::Object(required)) {
        Ok(caps) => McpError::missing_required_client_capability(caps),
        Err(error) => McpError::internal_error(format!("cannot name the missing capability: {error}"), None),
    }
}

/// Result of a server-to-client-request tool whose client declared no matching capability.
fn undeclared_for_legacy_request(capability: &str) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "The client did not declare the {capability} capability for this request, so the server cannot \
         send it a {capability} request. (Galley's HTTP transport is stateless: server-to-client requests \
         need a session, e.g. stdio.)"
    ))])
}

fn is_2026_or_later(ctx: &RequestContext<RoleServer>) -> bool {
    ctx.protocol_version().is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// Whether the request asked for info-level logs through `_meta["io.modelcontextprotocol/logLevel"]`.
#[allow(deprecated)] // Logging is deprecated by SEP-2577; these fixtures exercise it on purpose.
fn requested_info_logs(ctx: &RequestContext<RoleServer>) -> bool {
    use rmcp::model::LoggingLevel;
    matches!(ctx.meta.log_level(), Some(LoggingLevel::Debug | LoggingLevel::Info))
}

/// Three info log notifications, 50 ms apart.
#[allow(deprecated)] // Logging is deprecated by SEP-2577; these fixtures exercise it on purpose.
async fn send_logs(ctx: &RequestContext<RoleServer>) {
    use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
    for (i, message) in
        ["Tool execution started", "Tool processing data", "Tool execution completed"].into_iter().enumerate()
    {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let param = LoggingMessageNotificationParam::new(LoggingLevel::Info, json!(message))
            .with_logger("galley-conformance");
        if let Err(error) = ctx.peer.notify_logging_message(param).await {
            tracing::debug!(%error, "conformance fixture: log notification not delivered");
        }
    }
}

/// `logging/setLevel`: accepted on 2025-11-25 sessions (the level is not kept: over stateless HTTP the next
/// request may reach another handler); removed in 2026-07-28, where clients set a level per request.
pub fn set_level(ctx: &RequestContext<RoleServer>) -> Result<(), McpError> {
    if is_2026_or_later(ctx) {
        return Err(McpError::method_not_found::<rmcp::model::SetLevelRequestMethod>());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------
// Server-to-client requests (2025-11-25 sessions)
// ---------------------------------------------------------------------------------------------------------

async fn elicitation_tool(
    ctx: &RequestContext<RoleServer>,
    message: &str,
    schema: Value,
    label: &str,
) -> CallToolResult {
    if !declares(ctx, "elicitation") {
        return undeclared_for_legacy_request("elicitation");
    }
    match elicit(ctx, message, schema).await {
        Ok(result) => {
            let action = result.get("action").and_then(Value::as_str).unwrap_or("unknown");
            let content = result.get("content").cloned().unwrap_or_else(|| json!({}));
            CallToolResult::success(vec![ContentBlock::text(format!(
                "{label}: action={action}, content={content}"
            ))])
        }
        Err(error) => CallToolResult::error(vec![ContentBlock::text(format!("Elicitation error: {error}"))]),
    }
}

/// Sends `elicitation/create` to the client and returns its answer as JSON.
async fn elicit(ctx: &RequestContext<RoleServer>, message: &str, schema: Value) -> Result<Value, String> {
    let params: ElicitRequestParams =
        serde_json::from_value(json!({ "mode": "form", "message": message, "requestedSchema": schema }))
            .map_err(|e| format!("invalid elicitation request: {e}"))?;
    match ctx.peer.send_request(ServerRequest::ElicitRequest(ElicitRequest::new(params))).await {
        Ok(ClientResult::ElicitResult(result)) => serde_json::to_value(result).map_err(|e| e.to_string()),
        Ok(_) => Err("the client answered with an unexpected result".to_owned()),
        Err(error) => Err(error.to_string()),
    }
}

/// Sends `sampling/createMessage` to the client and returns the text of its answer.
#[allow(deprecated)] // Sampling is deprecated by SEP-2577; the 2025-11-25 fixtures exercise it on purpose.
async fn sample(ctx: &RequestContext<RoleServer>, prompt: &str) -> Result<String, String> {
    let params: rmcp::model::CreateMessageRequestParams = serde_json::from_value(json!({
        "messages": [{ "role": "user", "content": { "type": "text", "text": prompt } }],
        "maxTokens": 100
    }))
    .map_err(|e| format!("invalid sampling request: {e}"))?;
    let result = ctx.peer.create_message(params).await.map_err(|e| e.to_string())?;
    let value = serde_json::to_value(result).map_err(|e| e.to_string())?;
    Ok(text_of_sampling_result(&value).unwrap_or_else(|| "No text response".to_owned()))
}

// ---------------------------------------------------------------------------------------------------------
// Multi round-trip requests (SEP-2322)
// ---------------------------------------------------------------------------------------------------------

fn elicitation_request(message: &str, schema: Value) -> Value {
    json!({
        "method": "elicitation/create",
        "params": { "mode": "form", "message": message, "requestedSchema": schema }
    })
}

fn name_request(message: &str) -> Value {
    elicitation_request(
        message,
        json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }),
    )
}

fn confirm_request(message: &str) -> Value {
    elicitation_request(
        message,
        json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] }),
    )
}

fn sampling_request(text: &str, max_tokens: u32) -> Value {
    json!({
        "method": "sampling/createMessage",
        "params": {
            "messages": [{ "role": "user", "content": { "type": "text", "text": text } }],
            "maxTokens": max_tokens
        }
    })
}

fn roots_request() -> Value {
    json!({ "method": "roots/list", "params": {} })
}

fn input_required(
    requests: Vec<(&str, Value)>,
    state: Option<String>,
) -> Result<InputRequiredResult, McpError> {
    let mut map = BTreeMap::new();
    for (key, request) in requests {
        let request: InputRequest = serde_json::from_value(request)
            .map_err(|e| McpError::internal_error(format!("invalid input request {key}: {e}"), None))?;
        map.insert(key.to_owned(), request);
    }
    Ok(InputRequiredResult::new(Some(map), state))
}

/// A client's answer to an elicitation input request.
enum Answer {
    Accepted(Map<String, Value>),
    Declined(String),
}

impl Answer {
    fn describe(&self) -> String {
        match self {
            Answer::Accepted(content) => format!("accepted {}", Value::Object(content.clone())),
            Answer::Declined(action) => format!("action={action}"),
        }
    }
}

fn response<'a>(
    responses: Option<&'a rmcp::model::InputResponses>,
    key: &str,
) -> Option<&'a Map<String, Value>> {
    responses?.get(key)?.as_object()
}

/// The answer under `key` when it is a well-formed ElicitResult; `None` when missing or malformed.
fn elicitation_answer(responses: Option<&rmcp::model::InputResponses>, key: &str) -> Option<Answer> {
    let answer = response(responses, key)?;
    match answer.get("action")?.as_str()? {
        "accept" => answer.get("content").and_then(Value::as_object).cloned().map(Answer::Accepted),
        action @ ("decline" | "cancel") => Some(Answer::Declined(action.to_owned())),
        _ => None,
    }
}

/// The string `field` of an accepted elicitation answer under `key`.
fn accepted_string(
    responses: Option<&rmcp::model::InputResponses>,
    key: &str,
    field: &str,
) -> Option<String> {
    match elicitation_answer(responses, key)? {
        Answer::Accepted(content) => string_field(&content, field),
        Answer::Declined(_) => None,
    }
}

fn string_field(content: &Map<String, Value>, field: &str) -> Option<String> {
    content.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The text of a CreateMessageResult under `key`.
fn sampling_answer(responses: Option<&rmcp::model::InputResponses>, key: &str) -> Option<String> {
    text_of_sampling_result(responses?.get(key)?)
}

fn text_of_sampling_result(result: &Value) -> Option<String> {
    let content = result.get("content")?;
    let block = match content {
        Value::Array(blocks) => {
            blocks.iter().find(|b| b.get("type").and_then(Value::as_str) == Some("text"))?
        }
        other => other,
    };
    block.get("text").and_then(Value::as_str).map(str::to_owned)
}

/// The root URIs of a ListRootsResult under `key`.
fn roots_answer(responses: Option<&rmcp::model::InputResponses>, key: &str) -> Option<Vec<String>> {
    let roots = response(responses, key)?.get("roots")?.as_array()?;
    roots.iter().map(|r| r.get("uri").and_then(Value::as_str).map(str::to_owned)).collect()
}

/// Round 1 asks for a confirmation with a sealed requestState; round 2 needs that exact state back.
fn confirm_round_trip(
    ctx: &RequestContext<RoleServer>,
    tool: &str,
    responses: Option<rmcp::model::InputResponses>,
    state: Option<String>,
    done: &str,
) -> Result<CallToolResponse, McpError> {
    if !declares(ctx, "elicitation") {
        return Err(missing_capability("elicitation"));
    }
    let opened = open_state(tool, state.as_deref())?;
    if opened.is_some()
        && let Some(answer) = elicitation_answer(responses.as_ref(), "confirm")
    {
        return Ok(text_result(format!("{done}: requestState verified, confirmation {}", answer.describe())));
    }
    let state = seal_state(tool, &json!({ "round": 1 }));
    Ok(input_required(vec![("confirm", confirm_request("Please confirm"))], Some(state))?.into())
}

/// The per-process key that signs requestState values. Per process is enough for fixtures; a real
/// multi-replica server would share the key (requestState must survive a retry on another replica).
fn state_key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(rand::random)
}

fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let ipad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&ipad).chain_update(message).finalize();
    Sha256::new().chain_update(&opad).chain_update(inner).finalize().into()
}

fn state_mac(tool: &str, payload: &[u8]) -> [u8; 32] {
    let mut message = Vec::with_capacity(tool.len() + 1 + payload.len());
    message.extend_from_slice(tool.as_bytes());
    message.push(0);
    message.extend_from_slice(payload);
    hmac_sha256(state_key(), &message)
}

/// `payload` as an opaque requestState bound to `tool`: base64url(JSON) "." base64url(HMAC-SHA256).
fn seal_state(tool: &str, payload: &Value) -> String {
    let payload = payload.to_string();
    let mac = state_mac(tool, payload.as_bytes());
    format!("{}.{}", URL_SAFE_NO_PAD.encode(payload.as_bytes()), URL_SAFE_NO_PAD.encode(mac))
}

/// Opens a requestState sealed by [`seal_state`] for `tool`. A state that fails verification is a JSON-RPC
/// invalid-params error (SEP-2322: servers MUST reject state that fails integrity verification).
fn open_state(tool: &str, state: Option<&str>) -> Result<Option<Value>, McpError> {
    let Some(state) = state else {
        return Ok(None);
    };
    let rejected = || McpError::invalid_params("requestState failed integrity verification", None);
    let (payload, mac) = state.split_once('.').ok_or_else(rejected)?;
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| rejected())?;
    let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| rejected())?;
    let expected = state_mac(tool, &payload);
    if !bool::from(expected.as_slice().ct_eq(&mac)) {
        return Err(rejected());
    }
    serde_json::from_slice(&payload).map(Some).map_err(|_| rejected())
}

// ---------------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------------

/// Fixture resources.
pub fn resources() -> Vec<Resource> {
    vec![
        Resource::new(STATIC_TEXT_URI, "static-text")
            .with_title("Static Text Resource")
            .with_description("A static text resource for testing")
            .with_mime_type("text/plain"),
        Resource::new(STATIC_BINARY_URI, "static-binary")
            .with_title("Static Binary Resource")
            .with_description("A static binary resource (image) for testing")
            .with_mime_type("image/png"),
        Resource::new(WATCHED_URI, "watched-resource")
            .with_title("Watched Resource")
            .with_description("A resource clients may subscribe to")
            .with_mime_type("text/plain"),
    ]
}

/// Fixture resource templates.
pub fn resource_templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(TEMPLATE_URI, "template")
            .with_title("Resource Template")
            .with_description("A resource template with parameter substitution")
            .with_mime_type("application/json"),
    ]
}

/// Reads a fixture resource.
pub fn read_resource(uri: &str) -> Option<ReadResourceResult> {
    let contents = match uri {
        STATIC_TEXT_URI => ResourceContents::text("This is the content of the static text resource.", uri),
        STATIC_BINARY_URI => ResourceContents::blob(PNG_1X1, uri).with_mime_type("image/png"),
        WATCHED_URI => ResourceContents::text("Watched resource content", uri),
        _ => {
            let id = template_id(uri)?;
            let text = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
            ResourceContents::text(text.to_string(), uri).with_mime_type("application/json")
        }
    };
    Some(ReadResourceResult::new(vec![contents]))
}

/// The `{id}` of `test://template/{id}/data`.
fn template_id(uri: &str) -> Option<&str> {
    let id = uri.strip_prefix("test://template/")?.strip_suffix("/data")?;
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// `resources/subscribe` and `resources/unsubscribe` (2025-11-25 only; rmcp rejects them at 2026-07-28).
/// Accepted for fixture resources; updates are never sent (stateless HTTP has no stream to send them on),
/// which is why the `subscribe` capability is not announced.
pub fn subscription(uri: &str) -> Result<(), McpError> {
    if read_resource(uri).is_some() {
        Ok(())
    } else {
        Err(McpError::resource_not_found(format!("unknown resource {uri}"), Some(json!({ "uri": uri }))))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Prompts
// ---------------------------------------------------------------------------------------------------------

/// Fixture prompts.
pub fn prompts() -> Vec<Prompt> {
    let arg = |name: &str, description: &str| {
        PromptArgument::new(name).with_description(description).with_required(true)
    };
    vec![
        Prompt::new("test_simple_prompt", Some("A simple prompt without arguments"), None)
            .with_title("Simple Test Prompt"),
        Prompt::new(
            "test_prompt_with_arguments",
            Some("A prompt with required arguments"),
            Some(vec![arg("arg1", "First test argument"), arg("arg2", "Second test argument")]),
        )
        .with_title("Prompt With Arguments"),
        Prompt::new(
            "test_prompt_with_embedded_resource",
            Some("A prompt that includes an embedded resource"),
            Some(vec![arg("resourceUri", "URI of the resource to embed")]),
        )
        .with_title("Prompt With Embedded Resource"),
        Prompt::new("test_prompt_with_image", Some("A prompt that includes image content"), None)
            .with_title("Prompt With Image"),
        Prompt::new(
            "test_input_required_result_prompt",
            Some("A prompt that first asks the user for context through an InputRequiredResult (SEP-2322)"),
            None,
        )
        .with_title("Prompt Requiring Input"),
    ]
}

/// `prompts/get` for the fixture prompts.
pub fn get_prompt(
    request: GetPromptRequestParams,
    ctx: &RequestContext<RoleServer>,
) -> Result<GetPromptResponse, McpError> {
    let arguments = request.arguments.unwrap_or_default();
    let argument = |name: &str| {
        arguments.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| {
            McpError::invalid_params(
                format!("prompt {} needs the string argument {name}", request.name),
                None,
            )
        })
    };
    let messages = match request.name.as_str() {
        "test_simple_prompt" => {
            vec![PromptMessage::new_text(Role::User, "This is a simple prompt for testing.")]
        }
        "test_prompt_with_arguments" => {
            let (arg1, arg2) = (argument("arg1")?, argument("arg2")?);
            vec![PromptMessage::new_text(
                Role::User,
                format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"),
            )]
        }
        "test_prompt_with_embedded_resource" => {
            let uri = argument("resourceUri")?;
            vec![
                PromptMessage::new(
                    Role::User,
                    ContentBlock::resource(ResourceContents::text(
                        "Embedded resource content for testing.",
                        uri,
                    )),
                ),
                PromptMessage::new_text(Role::User, "Please process the embedded resource above."),
            ]
        }
        "test_prompt_with_image" => vec![
            PromptMessage::new(Role::User, ContentBlock::image(PNG_1X1, "image/png")),
            PromptMessage::new_text(Role::User, "Please analyze the image above."),
        ],
        "test_input_required_result_prompt" => {
            if !declares(ctx, "elicitation") {
                return Err(missing_capability("elicitation"));
            }
            match accepted_string(request.input_responses.as_ref(), "user_context", "context") {
                Some(context) => {
                    vec![PromptMessage::new_text(
                        Role::User,
                        format!("Answer with this context in mind: {context}"),
                    )]
                }
                None => {
                    let request = elicitation_request(
                        "What context should the prompt use?",
                        json!({
                            "type": "object",
                            "properties": { "context": { "type": "string" } },
                            "required": ["context"]
                        }),
                    );
                    return Ok(input_required(vec![("user_context", request)], None)?.into());
                }
            }
        }
        other => {
            return Err(McpError::invalid_params(
                format!("unknown prompt {other}"),
                Some(json!({ "name": other })),
            ));
        }
    };
    Ok(GetPromptResult::new(messages).into())
}

/// Capabilities announced with the fixtures on: prompts and logging in addition to Galley's tools and
/// resources. Not announced: resource `subscribe` and `listChanged` (nothing can be pushed to a stateless
/// client, and at 2026-07-28 they would promise a `subscriptions/listen` stream).
#[allow(deprecated)] // Logging is deprecated by SEP-2577; the 2025-11-25 fixtures still exercise it.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities::builder().enable_logging().enable_prompts().enable_resources().enable_tools().build()
}
