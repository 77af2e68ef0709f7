//! Store keys: the validated names of objects.
//!
//! A [`Key`] is a relative, `/`-separated path such as `sessions/0193/session.json`. Every backend maps
//! keys to its own namespace (a directory tree, a bucket, a map), so the rules are chosen to be safe for
//! all of them. This is *the documented key charset*:
//!
//! - 1 to [`MAX_KEY_LEN`] (1024) bytes;
//! - ASCII only, drawn from `A-Z a-z 0-9 . _ - / + = @ ,` (see [`ALLOWED_CHARS`]);
//! - segments are separated by `/`, and no segment is empty: no leading `/` (keys are never absolute),
//!   no trailing `/`, no `//`;
//! - no segment is `.` or `..`, so a key joined to a directory can never escape it.
//!
//! Names that merely start with a dot (`.gitignore`, `.terraform.lock.hcl`) are allowed. The tilde `~` is
//! deliberately *not* allowed: backends use it to name their internal files (lock stripes, temporary
//! files), which therefore can never collide with an object.
//!
//! Keys order bytewise (which, for ASCII, is the order of [`str`]); listings are returned in that order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The maximum length of a key, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// The characters a key may contain, as shown in error messages.
pub const ALLOWED_CHARS: &str = "A-Z a-z 0-9 . _ - / + = @ ,";

/// A validated object key (see the [module documentation](self) for the rules).
///
/// Construct one with [`Key::new`], [`str::parse`] or serde (deserialization validates too).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

impl Key {
    /// Validates `key` and wraps it.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] saying which rule the input breaks.
    pub fn new(key: impl Into<String>) -> Result<Key> {
        let key = key.into();
        match validate(&key) {
            Ok(()) => Ok(Key(key)),
            Err(reason) => Err(Error::invalid_key(&key, reason)),
        }
    }

    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Appends `/` and `rest` (one or more segments) to this key, validating the result.
    ///
    /// `Key::new("sessions/abc")?.join("session.json")` is `sessions/abc/session.json`.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] when `rest` is not a valid relative key or the result is too long.
    pub fn join(&self, rest: &str) -> Result<Key> {
        Key::new(format!("{}/{rest}", self.0))
    }

    /// The `/`-separated segments of the key, in order (never empty, never `.` or `..`).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last segment of the key (its "file name").
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key").field(&self.0).finish()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for Key {
    type Err = Error;

    fn from_str(s: &str) -> Result<Key> {
        Key::new(s)
    }
}

impl TryFrom<String> for Key {
    type Error = Error;

    fn try_from(value: String) -> Result<Key> {
        Key::new(value)
    }
}

impl TryFrom<&str> for Key {
    type Error = Error;

    fn try_from(value: &str) -> Result<Key> {
        Key::new(value)
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.0
    }
}

/// Whether `c` may appear in a key (`/` included).
pub(crate) fn is_allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+' | '=' | '@' | ',')
}

/// Whether `name` is a valid single key segment (what a backend may list as one path component).
pub(crate) fn is_valid_segment(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= MAX_KEY_LEN
        && name.chars().all(|c| c != '/' && is_allowed_char(c))
}

/// Checks the key rules; `Err` carries the human-readable reason.
fn validate(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty".to_owned());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!("the key is {} bytes long, the maximum is {MAX_KEY_LEN}", key.len()));
    }
    if let Some((at, c)) = key.char_indices().find(|&(_, c)| !is_allowed_char(c)) {
        return Err(format!("the character {c:?} at byte {at} is not allowed"));
    }
    if key.starts_with('/') {
        return Err("the key starts with `/`; keys are relative, like `sessions/abc/session.json`".to_owned());
    }
    if key.ends_with('/') {
        return Err("the key ends with `/`; name an object, not a folder".to_owned());
    }
    for segment in key.split('/') {
        match segment {
            "" => return Err("the key contains an empty segment (`//`)".to_owned()),
            "." | ".." => return Err(format!("the key contains a `{segment}` segment")),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Component, Path};

    use proptest::prelude::*;

    use super::*;

    /// `expect` is `"ok"` or a fragment of the expected rejection reason.
    fn check(input: &str, expect: &str) {
        match (Key::new(input), expect) {
            (Ok(key), "ok") => assert_eq!(key.as_str(), input),
            (Ok(_), _) => panic!("{input:?} was accepted, expected a rejection containing {expect:?}"),
            (Err(err), "ok") => panic!("{input:?} was rejected: {err}"),
            (Err(Error::InvalidKey { key, reason }), _) => {
                assert!(reason.contains(expect), "{input:?}: reason {reason:?} lacks {expect:?}");
                assert!(input.starts_with(key.trim_end_matches('…')), "{input:?}: error names {key:?}");
                let message = Error::InvalidKey { key, reason }.to_string();
                assert!(message.contains(ALLOWED_CHARS), "message lacks the charset: {message}");
            }
            (Err(other), _) => panic!("{input:?}: unexpected error kind {other:?}"),
        }
    }

    #[test]
    fn key_validation_table() {
        check("a", "ok");
        check("sessions/0193abc/session.json", "ok");
        check("sessions/x/terraform/main.tf", "ok");
        check("a/b@c+d=e,f.g_h-i", "ok");
        check(".gitignore", "ok");
        check("app/.terraform.lock.hcl", "ok");
        check("...", "ok");
        check("a/..b/c..", "ok");
        check("UPPER/lower/0123456789", "ok");
        check(&"a".repeat(MAX_KEY_LEN), "ok");

        check("", "empty");
        check(&"a".repeat(MAX_KEY_LEN + 1), "1025 bytes long");
        check("/etc/passwd", "starts with `/`");
        check("a/", "ends with `/`");
        check("a//b", "empty segment");
        check("/", "starts with `/`");
        check("..", "`..` segment");
        check("../x", "`..` segment");
        check("a/../../x", "`..` segment");
        check("a/..", "`..` segment");
        check(".", "`.` segment");
        check("a/./b", "`.` segment");
        check("a b", "' ' at byte 1");
        check("a~tmp~1", "'~' at byte 1");
        check("a\\b", "'\\\\' at byte 1");
        check("a\0b", "'\\0' at byte 1");
        check("a\nb", "'\\n' at byte 1");
        check("caf\u{e9}", "'é' at byte 3");
        check("a:b", "':'");
        check("a?b", "'?'");
        check("a*b", "'*'");
        check("a%2e", "'%'");
    }

    #[test]
    fn key_api() {
        let key = Key::new("sessions/abc").unwrap();
        assert_eq!(key.join("session.json").unwrap().as_str(), "sessions/abc/session.json");
        assert_eq!(key.join("t/main.tf").unwrap().as_str(), "sessions/abc/t/main.tf");
        assert!(key.join("../x").is_err());
        assert!(key.join("").is_err());
        assert_eq!(key.segments().collect::<Vec<_>>(), ["sessions", "abc"]);
        assert_eq!(key.file_name(), "abc");
        assert_eq!(Key::new("x").unwrap().file_name(), "x");
        assert_eq!(key.to_string(), "sessions/abc");
        assert_eq!("sessions/abc".parse::<Key>().unwrap(), key);
        assert!("a//b".parse::<Key>().is_err());
    }

    #[test]
    fn key_serde_validates() {
        let key: Key = serde_json::from_str("\"a/b.json\"").unwrap();
        assert_eq!(key.as_str(), "a/b.json");
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"a/b.json\"");
        let err = serde_json::from_str::<Key>("\"../etc/passwd\"").unwrap_err();
        assert!(err.to_string().contains("`..` segment"), "{err}");
    }

    #[test]
    fn long_invalid_key_is_truncated_in_the_error() {
        let input = format!("{}~", "a".repeat(5000));
        let err = Key::new(input).unwrap_err();
        assert!(err.to_string().len() < 700, "{err}");
    }

    /// Whether joining `key` to `root` stays strictly inside `root`.
    fn stays_inside(root: &Path, key: &str) -> bool {
        let joined = root.join(key);
        joined.starts_with(root)
            && joined.components().count() > root.components().count()
            && joined
                .strip_prefix(root)
                .is_ok_and(|rest| rest.components().all(|c| matches!(c, Component::Normal(_))))
    }

    fn segment() -> impl Strategy<Value = String> {
        "[A-Za-z0-9._+=@,-]{1,12}".prop_filter("not . or ..", |s| s != "." && s != "..")
    }

    proptest! {
        #[test]
        fn valid_keys_are_accepted_and_never_escape(segments in prop::collection::vec(segment(), 1..8)) {
            let input = segments.join("/");
            let key = Key::new(input.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(stays_inside(Path::new("/store/root"), key.as_str()), "{key:?} escapes");
        }

        #[test]
        fn arbitrary_strings_are_rejected_or_safe(input in "[ -~]{0,40}|[./a~]{0,12}") {
            if let Ok(key) = Key::new(input.clone()) {
                prop_assert!(stays_inside(Path::new("/store/root"), key.as_str()), "{key:?} escapes");
                prop_assert!(key.segments().all(is_valid_segment));
            }
        }

        #[test]
        fn breaking_one_rule_is_rejected(
            segments in prop::collection::vec(segment(), 1..6),
            at in 0usize..6,
            breakage in prop::sample::select(vec!["..", ".", "", "a b", "a~b", "a\\b", "\u{e9}", "a:b"]),
        ) {
            let mut segments = segments;
            let at = at.min(segments.len());
            segments.insert(at, breakage.to_owned());
            let input = segments.join("/");
            prop_assert!(Key::new(input.clone()).is_err(), "{input:?} was accepted");
            let absolute = format!("/{}", segments.join("/"));
            prop_assert!(Key::new(absolute.clone()).is_err(), "{absolute:?} was accepted");
        }
    }
}
