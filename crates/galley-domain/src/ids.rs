//! Identifiers as newtypes, so a session id cannot be passed where a question id is expected.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A hearing session's id: a UUID v7 (time-ordered, so store listings come back in creation order), written
/// in lowercase hyphenated form. It is safe to use as a store key segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct SessionId(uuid::Uuid);

impl SessionId {
    /// A session id from a UUID (the caller chooses how it is generated: the domain has no clock or RNG).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        SessionId(uuid)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// A string that is not a session id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a Galley session id (expected a UUID like 0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b); call list_sessions to find yours"
)]
pub struct InvalidSessionId(pub String);

impl FromStr for SessionId {
    type Err = InvalidSessionId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::try_parse(s.trim()).map(SessionId).map_err(|_| InvalidSessionId(s.to_owned()))
    }
}

impl TryFrom<String> for SessionId {
    type Error = InvalidSessionId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects() {
        let id: SessionId = "0192F3C4-5D6E-7F80-9A1B-2C3D4E5F6A7B".parse().unwrap();
        assert_eq!(id.to_string(), "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b");
        for bad in ["", "../etc", "abc", "0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b/x"] {
            assert!(bad.parse::<SessionId>().is_err(), "{bad}");
        }
    }
}
