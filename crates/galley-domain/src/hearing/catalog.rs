//! The question catalog: what a pre-sales engineer asks, as data (`data/questions.yaml`, embedded).
//!
//! The catalog is parsed with unknown fields denied and then checked as a whole ([`Catalog::parse`]), so a
//! mistake in the YAML is a clear error at start-up (and in the test that parses the built-in file), never a
//! surprise in the middle of a hearing.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::locale::{Locale, Text};

/// The catalog built into Galley.
pub const BUILTIN_CATALOG_YAML: &str = include_str!("../../../../data/questions.yaml");

/// The catalog format version this build reads.
pub const CATALOG_SCHEMA_VERSION: u32 = 1;

/// A whole question catalog: ordered categories and ordered questions.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Format version ([`CATALOG_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Categories in the order a hearing goes through them.
    pub categories: Vec<Category>,
    /// Questions, grouped by category, in asking order.
    pub questions: Vec<Question>,
    #[serde(skip)]
    index: BTreeMap<String, usize>,
}

/// A group of questions (project, workload, traffic, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id, e.g. `availability`.
    pub id: String,
    /// Display title.
    pub title: Text,
    /// What this category covers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
}

/// The kind of value a question takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// Free text.
    Text,
    /// Exactly one of the choices.
    SingleChoice,
    /// One or more of the choices.
    MultiChoice,
    /// A number, with an optional unit and range.
    Number,
    /// Yes or no.
    Boolean,
}

impl QuestionType {
    /// The name used in the catalog and in tool results.
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Text => "text",
            QuestionType::SingleChoice => "single_choice",
            QuestionType::MultiChoice => "multi_choice",
            QuestionType::Number => "number",
            QuestionType::Boolean => "boolean",
        }
    }
}

/// One choice of a choice question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// The stored value, `^[a-z0-9_-]+$`.
    pub value: String,
    /// Display label.
    pub label: Text,
}

/// Unit and range of a number question.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberSpec {
    /// Unit shown after the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Text>,
    /// Smallest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether only whole numbers are allowed.
    #[serde(default)]
    pub integer: bool,
}

/// A question is asked only when an earlier answer equals a value.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The earlier question.
    pub question: String,
    /// The answer that makes this question applicable (a choice value or a boolean).
    pub equals: serde_json::Value,
}

/// One question of the catalog.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id `<category>.<name>`, e.g. `availability.rto_minutes`.
    pub id: String,
    /// The category id.
    pub category: String,
    /// The kind of value.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// Whether the hearing is incomplete without an answer.
    pub required: bool,
    /// The question as asked.
    pub text: Text,
    /// Why it is asked and how it shapes the design.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Text>,
    /// Choices (choice questions only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// Unit and range (number questions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<NumberSpec>,
    /// Maximum length in characters (text questions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A suggested answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Ask only when an earlier answer has a given value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Dependency>,
    /// Whether a choice question also accepts free text outside its choices.
    #[serde(default)]
    pub allow_other: bool,
}

/// Default maximum length of a text answer when the catalog does not say.
pub const DEFAULT_TEXT_MAX_LENGTH: usize = 4000;

impl Question {
    /// The choice with this value.
    pub fn choice(&self, value: &str) -> Option<&Choice> {
        self.choices.iter().find(|c| c.value == value)
    }

    /// Maximum length of a text answer.
    pub fn text_max_length(&self) -> usize {
        self.max_length.unwrap_or(DEFAULT_TEXT_MAX_LENGTH)
    }
}

/// What is wrong with a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The YAML does not parse or has the wrong shape.
    #[error("question catalog does not parse: {0}")]
    Parse(String),
    /// The YAML parses but breaks a rule.
    #[error("question catalog is invalid: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

fn is_slug(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Choice values also allow `-`, so OCI identifiers such as `ap-tokyo-1` are stored as they are.
fn is_choice_value(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Catalog {
    /// The catalog built into Galley.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::parse(BUILTIN_CATALOG_YAML)
    }

    /// Parses and checks a catalog.
    pub fn parse(yaml: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog =
            serde_saphyr::from_str(yaml).map_err(|e| CatalogError::Parse(e.to_string()))?;
        let problems = catalog.problems();
        if !problems.is_empty() {
            return Err(CatalogError::Invalid(problems));
        }
        catalog.index = catalog.questions.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
        Ok(catalog)
    }

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.schema_version != CATALOG_SCHEMA_VERSION {
            out.push(format!(
                "schema_version is {}, this build reads {CATALOG_SCHEMA_VERSION}",
                self.schema_version
            ));
        }
        let mut categories = HashSet::new();
        for c in &self.categories {
            if !is_slug(&c.id) || !categories.insert(c.id.as_str()) {
                out.push(format!("category id {:?} is not a unique lowercase slug", c.id));
            }
        }
        let mut seen: HashSet<&str> = HashSet::new();
        for q in &self.questions {
            let id = q.id.as_str();
            match id.split_once('.') {
                Some((cat, name)) if cat == q.category && is_slug(name) => {}
                _ => out.push(format!("question id {id:?} must be \"{}.<snake_case_name>\"", q.category)),
            }
            if !categories.contains(q.category.as_str()) {
                out.push(format!("question {id}: unknown category {:?}", q.category));
            }
            let is_choice = matches!(q.kind, QuestionType::SingleChoice | QuestionType::MultiChoice);
            if is_choice {
                if !(2..=30).contains(&q.choices.len()) {
                    out.push(format!("question {id}: a choice question needs 2 to 30 choices"));
                }
                let mut values = HashSet::new();
                for c in &q.choices {
                    if !is_choice_value(&c.value) || !values.insert(c.value.as_str()) {
                        out.push(format!("question {id}: choice value {:?} is not a unique slug", c.value));
                    }
                }
            } else if !q.choices.is_empty() || q.allow_other {
                out.push(format!("question {id}: only choice questions take choices or allow_other"));
            }
            if q.number.is_some() && q.kind != QuestionType::Number {
                out.push(format!("question {id}: only number questions take `number`"));
            }
            if let Some(NumberSpec { min: Some(min), max: Some(max), .. }) = &q.number
                && min > max
            {
                out.push(format!("question {id}: min {min} is greater than max {max}"));
            }
            if q.max_length.is_some() && q.kind != QuestionType::Text {
                out.push(format!("question {id}: only text questions take max_length"));
            }
            if let Some(dep) = &q.depends_on {
                match self.questions.iter().find(|p| p.id == dep.question) {
                    Some(p) if seen.contains(p.id.as_str()) => {
                        if let Err(e) = super::value::normalize(p, &dep.equals) {
                            out.push(format!("question {id}: depends_on value is not a valid answer: {e}"));
                        }
                    }
                    _ => out.push(format!("question {id}: depends_on must name an earlier question")),
                }
            }
            if let Some(default) = &q.default
                && let Err(e) = super::value::normalize(q, default)
            {
                out.push(format!("question {id}: default is not a valid answer: {e}"));
            }
            if !seen.insert(id) {
                out.push(format!("question id {id:?} is used twice"));
            }
        }
        out
    }

    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.index.get(id).and_then(|&i| self.questions.get(i))
    }

    /// The category with this id.
    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// Questions of one category, in order.
    pub fn questions_in<'a>(&'a self, category: &'a str) -> impl Iterator<Item = &'a Question> + 'a {
        self.questions.iter().filter(move |q| q.category == category)
    }

    /// Up to five question ids close to an unknown id, best first, to put in an error message.
    pub fn suggest(&self, unknown: &str) -> Vec<String> {
        let unknown = unknown.trim().to_ascii_lowercase();
        let name = unknown.rsplit('.').next().unwrap_or(&unknown).to_owned();
        let mut scored: Vec<(f64, &str)> = self
            .questions
            .iter()
            .map(|q| {
                let qname = q.id.rsplit('.').next().unwrap_or(&q.id);
                let score = strsim::jaro_winkler(&unknown, &q.id).max(strsim::jaro_winkler(&name, qname));
                (score, q.id.as_str())
            })
            .filter(|(s, _)| *s > 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored.into_iter().take(5).map(|(_, id)| id.to_owned()).collect()
    }

    /// The display title of a category in `locale` (its id when unknown).
    pub fn category_title(&self, id: &str, locale: Locale) -> String {
        self.category(id).map_or_else(|| id.to_owned(), |c| c.title.get(locale).to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_valid_and_sized_for_a_real_hearing() {
        let c = Catalog::builtin().unwrap();
        assert!((30..=40).contains(&c.questions.len()), "{} questions", c.questions.len());
        let required = c.questions.iter().filter(|q| q.required).count();
        assert!((8..=20).contains(&required), "{required} required");
        for cat in [
            "project",
            "workload",
            "traffic",
            "availability",
            "data",
            "security",
            "network",
            "operations",
            "budget",
            "region",
        ] {
            assert!(c.questions_in(cat).count() > 0, "category {cat} has no question");
        }
        for kind in [
            QuestionType::Text,
            QuestionType::SingleChoice,
            QuestionType::MultiChoice,
            QuestionType::Number,
            QuestionType::Boolean,
        ] {
            assert!(c.questions.iter().any(|q| q.kind == kind), "no {kind:?} question");
        }
        for q in &c.questions {
            assert!(!q.text.ja.is_empty() && !q.text.en.is_empty(), "{}", q.id);
        }
    }

    fn check_invalid(yaml: &str, expect: &str) {
        match Catalog::parse(yaml) {
            Ok(_) => panic!("accepted invalid catalog, expected error containing {expect:?}"),
            Err(e) => assert!(e.to_string().contains(expect), "{e} does not contain {expect:?}"),
        }
    }

    const HEAD: &str =
        "schema_version: 1\ncategories:\n  - { id: a, title: { ja: あ, en: A } }\nquestions:\n";

    #[test]
    fn rejects_broken_catalogs() {
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: texty, required: true, text: {{ ja: x, en: x }} }}\n"
            ),
            "does not parse",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: b.x, category: b, type: text, required: true, text: {{ ja: x, en: x }} }}\n"
            ),
            "unknown category",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: single_choice, required: true, text: {{ ja: x, en: x }} }}\n"
            ),
            "2 to 30 choices",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: text, required: true, text: {{ ja: x, en: x }} }}\n  - {{ id: a.x, category: a, type: text, required: true, text: {{ ja: x, en: x }} }}\n"
            ),
            "used twice",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: text, required: true, text: {{ ja: x, en: x }}, depends_on: {{ question: a.y, equals: true }} }}\n"
            ),
            "earlier question",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: number, required: true, text: {{ ja: x, en: x }}, number: {{ min: 5, max: 1 }} }}\n"
            ),
            "greater than max",
        );
        check_invalid(
            &format!(
                "{HEAD}  - {{ id: a.x, category: a, type: text, required: true, text: {{ ja: x, en: x }}, bogus: 1 }}\n"
            ),
            "does not parse",
        );
    }

    #[test]
    fn suggests_close_ids() {
        let c = Catalog::builtin().unwrap();
        let some = &c.questions[3].id;
        let typo = format!("{}x", some);
        assert!(c.suggest(&typo).contains(some), "{:?}", c.suggest(&typo));
        assert!(c.suggest("zzzzzzzzzzzz").is_empty());
    }
}
