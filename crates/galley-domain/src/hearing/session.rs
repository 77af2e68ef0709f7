//! A hearing session: who it is for, the answers so far, and whether the hearing is complete.
//!
//! [`Session`] is the persisted document (`sessions/<id>/session.json`); its serde shape is an API
//! (`schema_version`, snapshot-tested). Every change goes through a method here that checks it against the
//! catalog first and changes nothing when it fails.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalog::{Catalog, Question};
use super::value::normalize;
use crate::ids::SessionId;
use crate::locale::Locale;

/// The `schema_version` of session documents written by this build.
pub const SESSION_SCHEMA_VERSION: u32 = 1;

/// Longest customer or project name accepted.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest note accepted on an answer or a session.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most answers accepted in one batch.
pub const MAX_BATCH: usize = 200;

/// Where a hearing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Answers are being collected.
    Hearing,
    /// The hearing is closed; answers can no longer change.
    Completed,
}

/// Whether an answer is what the customer said or what the engineer assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// The customer's own statement.
    #[default]
    Customer,
    /// An assumption to confirm with the customer later.
    Assumption,
}

/// One stored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Answer {
    /// The normalised value (see the question's type).
    pub value: Value,
    /// Customer statement or assumption.
    pub source: AnswerSource,
    /// Free-form context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was last saved.
    pub answered_at: Timestamp,
}

/// The persisted hearing session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Document format version ([`SESSION_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Session id.
    pub id: SessionId,
    /// Customer name.
    pub customer: String,
    /// Project name.
    pub project: String,
    /// Language of the hearing.
    pub locale: Locale,
    /// Free-form notes about the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Hearing or completed.
    pub status: SessionStatus,
    /// Answers by question id.
    pub answers: BTreeMap<String, Answer>,
    /// Required questions that were still open when the hearing was completed with `force`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub open_assumptions: Vec<String>,
    /// Increases with every change.
    pub revision: u64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// When the hearing was completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Timestamp>,
}

/// An answer as given by a caller, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerInput {
    /// Question id.
    pub question_id: String,
    /// Raw value.
    pub value: Value,
    /// Customer statement or assumption.
    pub source: AnswerSource,
    /// Free-form context.
    pub note: Option<String>,
}

/// One reason an answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AnswerProblem {
    /// Position in the batch (0-based).
    pub index: usize,
    /// The question id as given.
    pub question_id: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

/// Why a hearing operation was refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HearingError {
    /// An input field is empty or too long.
    #[error("{field}: {message}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// One or more answers were refused.
    #[error("{}", invalid_answers_message(.0))]
    InvalidAnswers(Vec<AnswerProblem>),
    /// The session is completed.
    #[error(
        "session {0} is completed, so its answers can no longer change; create a new session (create_session) to run another hearing"
    )]
    Completed(SessionId),
    /// Required questions are open and `force` was not given.
    #[error(
        "{} required question(s) are still open: {}. Ask them, record them with source \"assumption\", or call complete_hearing with force=true to record them as open assumptions",
        .0.len(), .0.join(", ")
    )]
    RequiredOpen(Vec<String>),
}

fn invalid_answers_message(problems: &[AnswerProblem]) -> String {
    match problems {
        [only] if only.index == 0 => format!("{} Nothing was saved.", only.message),
        _ => format!(
            "{} answer(s) refused, nothing was saved: {}",
            problems.len(),
            problems.iter().map(|p| format!("[{}] {}", p.index, p.message)).collect::<Vec<_>>().join("; ")
        ),
    }
}

fn check_name(field: &'static str, value: &str, max: usize) -> Result<String, HearingError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(HearingError::InvalidField { field, message: "must not be empty".into() });
    }
    if v.chars().count() > max {
        return Err(HearingError::InvalidField {
            field,
            message: format!("must be at most {max} characters"),
        });
    }
    if v.chars().any(char::is_control) {
        return Err(HearingError::InvalidField {
            field,
            message: "must not contain control characters".into(),
        });
    }
    Ok(v.to_owned())
}

fn check_note(field: &'static str, note: Option<&str>) -> Result<Option<String>, HearingError> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(HearingError::InvalidField {
            field,
            message: format!("must be at most {MAX_NOTE_CHARS} characters"),
        }),
        Some(n) => Ok(Some(n.to_owned())),
    }
}

/// Where a hearing stands against the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Progress {
    /// Questions answered.
    pub answered: usize,
    /// Questions that apply to this session (dependencies considered).
    pub applicable: usize,
    /// Required questions that apply and are still open, in catalog order.
    pub required_open: Vec<String>,
}

impl Session {
    /// A new session in the hearing state.
    pub fn new(
        id: SessionId,
        customer: &str,
        project: &str,
        locale: Locale,
        notes: Option<&str>,
        now: Timestamp,
    ) -> Result<Session, HearingError> {
        Ok(Session {
            schema_version: SESSION_SCHEMA_VERSION,
            id,
            customer: check_name("customer", customer, MAX_NAME_CHARS)?,
            project: check_name("project", project, MAX_NAME_CHARS)?,
            locale,
            notes: check_note("notes", notes)?,
            status: SessionStatus::Hearing,
            answers: BTreeMap::new(),
            open_assumptions: Vec::new(),
            revision: 1,
            created_at: now,
            updated_at: now,
            completed_at: None,
        })
    }

    /// Validates every answer first; when all are valid, stores them all (later entries win for a repeated
    /// question) and returns the stored values in input order. When any is invalid, nothing changes and every
    /// problem is reported.
    pub fn record_answers(
        &mut self,
        catalog: &Catalog,
        inputs: &[AnswerInput],
        now: Timestamp,
    ) -> Result<Vec<(String, Value)>, HearingError> {
        if self.status == SessionStatus::Completed {
            return Err(HearingError::Completed(self.id));
        }
        if inputs.is_empty() {
            return Err(HearingError::InvalidField {
                field: "answers",
                message: "give at least one answer".into(),
            });
        }
        if inputs.len() > MAX_BATCH {
            return Err(HearingError::InvalidField {
                field: "answers",
                message: format!("at most {MAX_BATCH} answers per call, got {}", inputs.len()),
            });
        }
        let mut problems = Vec::new();
        let mut accepted = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            let problem =
                |message: String| AnswerProblem { index, question_id: input.question_id.clone(), message };
            let Some(question) = catalog.question(&input.question_id.trim().to_ascii_lowercase()) else {
                let suggestions = catalog.suggest(&input.question_id);
                let hint = if suggestions.is_empty() {
                    "call list_hearing_questions for the valid ids".to_owned()
                } else {
                    format!("did you mean {}? (list_hearing_questions lists all ids)", suggestions.join(", "))
                };
                problems.push(problem(format!("unknown question id {:?}; {hint}", input.question_id)));
                continue;
            };
            let note = match check_note("note", input.note.as_deref()) {
                Ok(n) => n,
                Err(e) => {
                    problems.push(problem(format!("{}: {e}", question.id)));
                    continue;
                }
            };
            match normalize(question, &input.value) {
                Ok(value) => accepted.push((question.id.clone(), value, input.source, note)),
                Err(e) => problems.push(problem(e.0)),
            }
        }
        if !problems.is_empty() {
            return Err(HearingError::InvalidAnswers(problems));
        }
        let stored = accepted.iter().map(|(id, v, _, _)| (id.clone(), v.clone())).collect();
        for (id, value, source, note) in accepted {
            self.answers.insert(id, Answer { value, source, note, answered_at: now });
        }
        self.touch(now);
        Ok(stored)
    }

    /// Completes the hearing. Without `force`, refuses while required questions are open; with it, records them
    /// as open assumptions. Completing a completed session changes nothing and succeeds.
    pub fn complete(&mut self, catalog: &Catalog, force: bool, now: Timestamp) -> Result<(), HearingError> {
        if self.status == SessionStatus::Completed {
            return Ok(());
        }
        let open = self.progress(catalog).required_open;
        if !open.is_empty() && !force {
            return Err(HearingError::RequiredOpen(open));
        }
        self.open_assumptions = open;
        self.status = SessionStatus::Completed;
        self.completed_at = Some(now);
        self.touch(now);
        Ok(())
    }

    fn touch(&mut self, now: Timestamp) {
        self.revision += 1;
        self.updated_at = now;
    }

    /// Whether a question applies, given the answers so far (its dependency, if any, is satisfied).
    pub fn applies(&self, question: &Question) -> bool {
        let Some(dep) = &question.depends_on else { return true };
        match self.answers.get(&dep.question).map(|a| &a.value) {
            Some(Value::Array(items)) => items.contains(&dep.equals),
            Some(v) => *v == dep.equals,
            None => false,
        }
    }

    /// Counts and open required questions.
    pub fn progress(&self, catalog: &Catalog) -> Progress {
        let applicable: Vec<&Question> = catalog.questions.iter().filter(|q| self.applies(q)).collect();
        Progress {
            answered: self.answers.len(),
            applicable: applicable.len(),
            required_open: applicable
                .iter()
                .filter(|q| q.required && !self.answers.contains_key(&q.id))
                .map(|q| q.id.clone())
                .collect(),
        }
    }

    /// The next questions to ask: open required ones first, then open optional ones, in catalog order.
    pub fn next_questions<'c>(&self, catalog: &'c Catalog, limit: usize) -> Vec<&'c Question> {
        if self.status == SessionStatus::Completed {
            return Vec::new();
        }
        let open = |q: &&Question| self.applies(q) && !self.answers.contains_key(&q.id);
        let required = catalog.questions.iter().filter(open).filter(|q| q.required);
        let optional = catalog.questions.iter().filter(open).filter(|q| !q.required);
        required.chain(optional).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T10:00:00Z".parse().unwrap()
    }

    fn session() -> Session {
        let id = SessionId::from_uuid(uuid::Uuid::from_u128(0x0192_f3c4_5d6e_7f80_9a1b_2c3d_4e5f_6a7b));
        Session::new(id, "Acme 株式会社", "EC rebuild", Locale::Ja, None, now()).unwrap()
    }

    fn input(q: &str, v: Value) -> AnswerInput {
        AnswerInput { question_id: q.into(), value: v, source: AnswerSource::Customer, note: None }
    }

    fn valid_answer(q: &Question) -> Value {
        use super::super::catalog::QuestionType::*;
        match q.kind {
            Text => json!("answer"),
            SingleChoice => json!(q.choices[0].value),
            MultiChoice => json!([q.choices[0].value]),
            Number => json!(q.number.as_ref().and_then(|n| n.min).unwrap_or(1.0).max(1.0)),
            Boolean => json!(true),
        }
    }

    #[test]
    fn rejects_bad_names() {
        let id = session().id;
        assert!(Session::new(id, " ", "p", Locale::En, None, now()).is_err());
        assert!(Session::new(id, &"x".repeat(201), "p", Locale::En, None, now()).is_err());
        assert!(Session::new(id, "a\u{7}", "p", Locale::En, None, now()).is_err());
    }

    #[test]
    fn batch_is_all_or_nothing_and_reports_every_problem() {
        let c = Catalog::builtin().unwrap();
        let mut s = session();
        let q0 = &c.questions[0];
        let before = s.clone();
        let err = s
            .record_answers(
                &c,
                &[
                    input(&q0.id, valid_answer(q0)),
                    input("nope.nothing", json!(1)),
                    input(&q0.id, json!(null)),
                ],
                now(),
            )
            .unwrap_err();
        let HearingError::InvalidAnswers(problems) = &err else { panic!("{err}") };
        assert_eq!(problems.iter().map(|p| p.index).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(s, before, "nothing may change on a refused batch");
    }

    #[test]
    fn full_hearing_completes_and_locks() {
        let c = Catalog::builtin().unwrap();
        let mut s = session();
        assert!(
            matches!(s.complete(&c, false, now()), Err(HearingError::RequiredOpen(open)) if !open.is_empty())
        );
        let all: Vec<AnswerInput> =
            c.questions.iter().filter(|q| q.required).map(|q| input(&q.id, valid_answer(q))).collect();
        s.record_answers(&c, &all, now()).unwrap();
        assert!(s.progress(&c).required_open.is_empty());
        assert!(s.next_questions(&c, 5).iter().all(|q| !q.required));
        s.complete(&c, false, now()).unwrap();
        assert_eq!(s.status, SessionStatus::Completed);
        assert!(s.open_assumptions.is_empty());
        let q0 = &c.questions[0];
        assert_eq!(
            s.record_answers(&c, &[input(&q0.id, valid_answer(q0))], now()),
            Err(HearingError::Completed(s.id))
        );
        s.complete(&c, false, now()).unwrap();
    }

    #[test]
    fn force_records_open_assumptions() {
        let c = Catalog::builtin().unwrap();
        let mut s = session();
        let open = s.progress(&c).required_open;
        s.complete(&c, true, now()).unwrap();
        assert_eq!(s.open_assumptions, open);
    }

    #[test]
    fn dependent_questions_apply_only_when_their_condition_holds() {
        let c = Catalog::builtin().unwrap();
        let Some(q) = c.questions.iter().find(|q| q.depends_on.is_some()) else { return };
        let dep = q.depends_on.clone().unwrap();
        let mut s = session();
        assert!(!s.applies(q));
        s.record_answers(&c, &[input(&dep.question, dep.equals.clone())], now()).unwrap();
        assert!(s.applies(q));
    }

    #[test]
    fn persisted_shape_is_stable() {
        let c = Catalog::builtin().unwrap();
        let mut s = session();
        let q0 = &c.questions[0];
        s.record_answers(
            &c,
            &[AnswerInput {
                question_id: q0.id.clone(),
                value: valid_answer(q0),
                source: AnswerSource::Assumption,
                note: Some("from the RFP".into()),
            }],
            now(),
        )
        .unwrap();
        insta::assert_json_snapshot!(s);
        let back: Session = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
