//! What the hearing tools return: compact, localised views of questions, sessions and results.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::catalog::{Catalog, Question, QuestionType};
use super::session::{AnswerSource, Progress, Session, SessionStatus};
use crate::ids::SessionId;
use crate::locale::Locale;

/// A choice as shown to the model.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ChoiceView {
    /// The value to send back in `save_answer`.
    pub value: String,
    /// Label in the session's language.
    pub label: String,
}

/// A question as shown to the model.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct QuestionView {
    /// Question id (use it in `save_answer`).
    pub id: String,
    /// Category id.
    pub category: String,
    /// `text`, `single_choice`, `multi_choice`, `number` or `boolean`.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// Whether the hearing needs it.
    pub required: bool,
    /// The question, in the requested language.
    pub text: String,
    /// Why it matters for the design.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// Choices (choice questions).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ChoiceView>,
    /// Whether free text outside the choices is accepted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_other: bool,
    /// Unit (number questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Smallest value (number questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value (number questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Whether only whole numbers are accepted (number questions).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
    /// Maximum characters (text questions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// Suggested answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Asked only when this question id has the value `depends_on_value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<String>,
    /// See `depends_on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depends_on_value: Option<Value>,
}

impl QuestionView {
    /// The view of `q` in `locale`; `with_help` adds the explanation (longer output).
    pub fn of(q: &Question, locale: Locale, with_help: bool) -> QuestionView {
        let number = q.number.as_ref();
        QuestionView {
            id: q.id.clone(),
            category: q.category.clone(),
            kind: q.kind,
            required: q.required,
            text: q.text.get(locale).to_owned(),
            help: if with_help { q.help.as_ref().map(|h| h.get(locale).to_owned()) } else { None },
            choices: q
                .choices
                .iter()
                .map(|c| ChoiceView { value: c.value.clone(), label: c.label.get(locale).to_owned() })
                .collect(),
            allow_other: q.allow_other,
            unit: number.and_then(|n| n.unit.as_ref()).map(|u| u.get(locale).to_owned()),
            min: number.and_then(|n| n.min),
            max: number.and_then(|n| n.max),
            integer: number.is_some_and(|n| n.integer),
            max_length: q.max_length,
            default: q.default.clone(),
            depends_on: q.depends_on.as_ref().map(|d| d.question.clone()),
            depends_on_value: q.depends_on.as_ref().map(|d| d.equals.clone()),
        }
    }
}

/// How a stored value reads to a person: choice labels instead of values, numbers with their unit.
pub fn display_value(q: &Question, value: &Value, locale: Locale) -> String {
    let label = |v: &Value| match v.as_str() {
        Some(s) => q.choice(s).map_or_else(|| s.to_owned(), |c| c.label.get(locale).to_owned()),
        None => v.to_string(),
    };
    match (q.kind, value) {
        (QuestionType::MultiChoice, Value::Array(items)) => {
            items.iter().map(label).collect::<Vec<_>>().join(if locale == Locale::Ja { "、" } else { ", " })
        }
        (QuestionType::SingleChoice, v) => label(v),
        (QuestionType::Number, v) => {
            let unit = q.number.as_ref().and_then(|n| n.unit.as_ref()).map(|u| u.get(locale));
            match unit {
                Some(u) if locale == Locale::Ja => format!("{v}{u}"),
                Some(u) => format!("{v} {u}"),
                None => v.to_string(),
            }
        }
        (QuestionType::Boolean, Value::Bool(b)) => match (locale, b) {
            (Locale::Ja, true) => "はい".into(),
            (Locale::Ja, false) => "いいえ".into(),
            (Locale::En, true) => "Yes".into(),
            (Locale::En, false) => "No".into(),
        },
        (_, Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    }
}

/// One answered requirement in a hearing result.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct RequirementView {
    /// Question id.
    pub question_id: String,
    /// The question.
    pub question: String,
    /// The stored value (choice values, numbers, booleans).
    pub value: Value,
    /// The value as a person reads it.
    pub display: String,
    /// Customer statement or assumption.
    pub source: AnswerSource,
    /// Context given with the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Requirements of one category.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct CategoryRequirements {
    /// Category id.
    pub category: String,
    /// Category title.
    pub title: String,
    /// Answered questions, in catalog order.
    pub requirements: Vec<RequirementView>,
}

/// A question still open.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct OpenQuestionView {
    /// Question id.
    pub question_id: String,
    /// The question.
    pub question: String,
    /// Whether it is required.
    pub required: bool,
}

/// The structured outcome of a hearing.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct HearingResult {
    /// Session id.
    pub session_id: SessionId,
    /// Customer name.
    pub customer: String,
    /// Project name.
    pub project: String,
    /// Language of the texts below.
    pub locale: Locale,
    /// Hearing or completed.
    pub status: SessionStatus,
    /// Requirements by category (categories without answers are left out).
    pub categories: Vec<CategoryRequirements>,
    /// Answers recorded as assumptions: confirm them with the customer.
    pub assumptions: Vec<RequirementView>,
    /// Required questions left open when the hearing was completed with force: treat them as open assumptions.
    pub open_assumptions: Vec<OpenQuestionView>,
    /// Applicable questions without an answer.
    pub open_questions: Vec<OpenQuestionView>,
    /// Counts.
    pub progress: Progress,
    /// When the hearing was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

impl HearingResult {
    /// Builds the result of `session` in `locale`.
    pub fn of(session: &Session, catalog: &Catalog, locale: Locale) -> HearingResult {
        let mut categories = Vec::new();
        let mut assumptions = Vec::new();
        for cat in &catalog.categories {
            let mut requirements = Vec::new();
            for q in catalog.questions_in(&cat.id) {
                let Some(a) = session.answers.get(&q.id) else { continue };
                let view = RequirementView {
                    question_id: q.id.clone(),
                    question: q.text.get(locale).to_owned(),
                    value: a.value.clone(),
                    display: display_value(q, &a.value, locale),
                    source: a.source,
                    note: a.note.clone(),
                };
                if a.source == AnswerSource::Assumption {
                    assumptions.push(view.clone());
                }
                requirements.push(view);
            }
            if !requirements.is_empty() {
                categories.push(CategoryRequirements {
                    category: cat.id.clone(),
                    title: cat.title.get(locale).to_owned(),
                    requirements,
                });
            }
        }
        let open_view = |q: &Question| OpenQuestionView {
            question_id: q.id.clone(),
            question: q.text.get(locale).to_owned(),
            required: q.required,
        };
        HearingResult {
            session_id: session.id,
            customer: session.customer.clone(),
            project: session.project.clone(),
            locale,
            status: session.status,
            categories,
            assumptions,
            open_assumptions: session
                .open_assumptions
                .iter()
                .filter_map(|id| catalog.question(id))
                .map(open_view)
                .collect(),
            open_questions: catalog
                .questions
                .iter()
                .filter(|q| session.applies(q) && !session.answers.contains_key(&q.id))
                .map(open_view)
                .collect(),
            progress: session.progress(catalog),
            completed_at: session.completed_at,
        }
    }
}
