//! Fixtures of the official MCP conformance suite (`galley serve --conformance-fixtures`, never on by default).

use rmcp::model::{ReadResourceResult, Resource, ServerCapabilities};
use rmcp::{tool, tool_router};

use super::GalleyServer;

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
}

/// Fixture resources.
pub fn resources() -> Vec<Resource> {
    Vec::new()
}

/// Reads a fixture resource.
pub fn read_resource(_uri: &str) -> Option<ReadResourceResult> {
    None
}

/// Capabilities announced with the fixtures on.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build()
}
