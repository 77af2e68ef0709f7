//! Languages: Galley's data is bilingual (Japanese and English).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The language a session is held in. Japanese is the default: Galley's first users are Japanese pre-sales teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// Japanese.
    #[default]
    Ja,
    /// English.
    En,
}

impl Locale {
    /// The BCP 47 tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Ja => "ja",
            Locale::En => "en",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A locale name that is neither `ja` nor `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale {0:?}: use \"ja\" or \"en\"")]
pub struct UnknownLocale(pub String);

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        match lower.as_str() {
            "ja" | "ja-jp" | "jp" | "japanese" | "日本語" => Ok(Locale::Ja),
            "en" | "en-us" | "en-gb" | "english" | "英語" => Ok(Locale::En),
            _ => Err(UnknownLocale(s.to_owned())),
        }
    }
}

/// A text in both of Galley's languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    /// The text in `locale`.
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::Ja => &self.ja,
            Locale::En => &self.en,
        }
    }

    /// Whether `s` equals either language's text, ignoring case and surrounding space.
    pub fn matches(&self, s: &str) -> bool {
        let s = s.trim();
        self.ja.trim() == s || self.en.trim().eq_ignore_ascii_case(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locales() {
        for (input, expect) in
            [("ja", Some(Locale::Ja)), ("EN", Some(Locale::En)), ("en-US", Some(Locale::En)), ("fr", None)]
        {
            assert_eq!(input.parse::<Locale>().ok(), expect, "{input}");
        }
    }
}
