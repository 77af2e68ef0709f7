//! Where configuration variables come from: the process environment, or an explicit map (tests,
//! and callers that must not mutate the process environment).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A source of environment variables.
///
/// `Debug` lists variable names only: values may be secrets (a Resource Principal key can be given
/// literally in `OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM`).
#[derive(Clone, Default)]
pub struct Env {
    map: Option<BTreeMap<String, String>>,
}

impl Env {
    /// The process environment.
    pub fn process() -> Env {
        Env { map: None }
    }

    /// An explicit set of variables (nothing is read from the process environment).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Env {
        Env { map: Some(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect()) }
    }

    /// Adds or replaces a variable (turning a process environment into a snapshot of it first).
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Env {
        let map = self.map.get_or_insert_with(|| std::env::vars().collect());
        map.insert(key.into(), value.into());
        self
    }

    /// A variable's value; unset and non-UTF-8 values are `None`.
    pub fn get(&self, key: &str) -> Option<String> {
        match &self.map {
            Some(map) => map.get(key).cloned(),
            None => std::env::var(key).ok(),
        }
    }

    /// A variable's value when set and not blank, trimmed.
    pub fn get_nonempty(&self, key: &str) -> Option<String> {
        self.get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The home directory (`HOME`).
    pub fn home(&self) -> Option<PathBuf> {
        self.get_nonempty("HOME").map(PathBuf::from)
    }

    /// Expands a leading `~` or `~/` to the home directory.
    pub fn expand_tilde(&self, path: &str) -> PathBuf {
        match (path.strip_prefix('~'), self.home()) {
            (Some(""), Some(home)) => home,
            (Some(rest), Some(home)) if rest.starts_with('/') => home.join(rest.trim_start_matches('/')),
            _ => PathBuf::from(path),
        }
    }
}

impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.map {
            None => f.write_str("Env(process)"),
            Some(map) => f.debug_tuple("Env").field(&map.keys().collect::<Vec<_>>()).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_expansion() {
        let env = Env::from_pairs([("HOME", "/home/u")]);
        let cases = [
            ("~/.oci/key.pem", "/home/u/.oci/key.pem"),
            ("~", "/home/u"),
            ("/abs/key.pem", "/abs/key.pem"),
            ("rel/key.pem", "rel/key.pem"),
            ("~other/key.pem", "~other/key.pem"),
        ];
        for (input, want) in cases {
            assert_eq!(env.expand_tilde(input), PathBuf::from(want), "{input}");
        }
    }

    #[test]
    fn debug_hides_values() {
        let env = Env::from_pairs([("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", "-----BEGIN secret")]);
        assert_eq!(format!("{env:?}"), "Env([\"OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM\"])");
    }
}
