//! Hearing tools: sessions, the question catalog, answers, completion and the structured result.

use galley_domain::hearing::view::{CategoryRequirements, OpenQuestionView, RequirementView};
use galley_domain::hearing::{
    AnswerInput, AnswerSource, HearingResult, Progress, QuestionView, Session, SessionStatus,
};
use galley_domain::ids::SessionId;
use galley_domain::locale::Locale;
use jiff::Timestamp;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::model::{ReadResourceResult, Resource, ResourceContents};
use rmcp::{ErrorData as McpError, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GalleyServer;
use super::{fail, parse_locale};
use crate::services::ServiceError;
use crate::services::hearing::{SessionSummary, parse_session_id};

// Tool functions return `Result<Json<T>, String>` spelled out (not through an alias): rmcp's macro derives the
// output schema from that exact shape. `Err(String)` becomes an `isError` result whose text says what to do next.

const NEXT_QUESTIONS: usize = 5;
const CATALOG_URI: &str = "galley://hearing/questions";

// ---------- inputs ----------

/// Arguments of `create_session`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSessionInput {
    /// Customer (company) name, as the user calls it. 1-200 characters.
    pub customer: String,
    /// Project or opportunity name. 1-200 characters.
    pub project: String,
    /// Language of the hearing: "ja" (default) or "en". Question texts and results come back in it.
    #[serde(default)]
    pub locale: Option<String>,
    /// Optional context about the engagement (up to 2000 characters).
    #[serde(default)]
    pub notes: Option<String>,
}

/// Arguments of `list_hearing_questions`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuestionsInput {
    /// Only this category (project, workload, traffic, availability, data, security, network, operations, budget, region).
    #[serde(default)]
    pub category: Option<String>,
    /// "ja" or "en". Defaults to the session's language, else "ja".
    #[serde(default)]
    pub locale: Option<String>,
    /// When given, each question says whether this session already answered it, and dependencies are evaluated.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Include the explanation of why each question matters (longer output). Default false.
    #[serde(default)]
    pub include_help: bool,
}

/// One answer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerArg {
    /// Question id from list_hearing_questions, e.g. "traffic.total_users".
    pub question_id: String,
    /// The answer. Text: a string. single_choice: one choice value (a label also works). multi_choice: an array
    /// of choice values. number: a number (in the question's unit). boolean: true or false.
    pub value: Value,
    /// "customer" (default): the customer said so. "assumption": your or the engineer's assumption, to confirm later.
    #[serde(default)]
    pub source: Option<AnswerSource>,
    /// Optional context, e.g. the customer's exact words (up to 2000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

impl AnswerArg {
    fn into_input(self) -> AnswerInput {
        AnswerInput {
            question_id: self.question_id,
            value: self.value,
            source: self.source.unwrap_or_default(),
            note: self.note,
        }
    }
}

/// Arguments of `save_answer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAnswerInput {
    /// The session id returned by create_session.
    pub session_id: String,
    /// Question id from list_hearing_questions, e.g. "traffic.total_users".
    pub question_id: String,
    /// The answer. Text: a string. single_choice: one choice value (a label also works). multi_choice: an array
    /// of choice values. number: a number (in the question's unit). boolean: true or false.
    pub value: Value,
    /// "customer" (default): the customer said so. "assumption": your or the engineer's assumption, to confirm later.
    #[serde(default)]
    pub source: Option<AnswerSource>,
    /// Optional context, e.g. the customer's exact words (up to 2000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Arguments of `save_answers_batch`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAnswersBatchInput {
    /// The session id returned by create_session.
    pub session_id: String,
    /// The answers (1-200). All are validated first; if any is invalid, none is saved.
    pub answers: Vec<AnswerArg>,
}

/// Arguments of `complete_hearing`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteHearingInput {
    /// The session id.
    pub session_id: String,
    /// Complete even though required questions are open; they are recorded as open assumptions. Default false.
    #[serde(default)]
    pub force: bool,
}

/// Arguments naming a session.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    /// The session id.
    pub session_id: String,
    /// "ja" or "en". Defaults to the session's language.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Arguments of `list_sessions`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSessionsInput {
    /// Most sessions to return (1-100, default 20). Newest first.
    #[serde(default)]
    pub limit: Option<usize>,
    /// `next_cursor` from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

// ---------- outputs ----------

/// Result of `create_session`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreateSessionOutput {
    /// The new session's id. Show it to the user.
    pub session_id: SessionId,
    /// Customer name.
    pub customer: String,
    /// Project name.
    pub project: String,
    /// Language of the hearing.
    pub locale: Locale,
    /// Always `hearing` for a new session.
    pub status: SessionStatus,
    /// Counts.
    pub progress: Progress,
    /// What to ask first.
    pub next_questions: Vec<QuestionView>,
    /// What to do next.
    pub next_step: String,
}

/// A catalog category.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryView {
    /// Category id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Number of questions in it.
    pub question_count: usize,
}

/// A question with the session's state.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogQuestion {
    /// The question.
    #[serde(flatten)]
    pub question: QuestionView,
    /// With session_id: whether it is answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<bool>,
    /// With session_id: whether it applies (its dependency holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies: Option<bool>,
}

/// Result of `list_hearing_questions`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListQuestionsOutput {
    /// Language of the texts.
    pub locale: Locale,
    /// Categories, in hearing order.
    pub categories: Vec<CategoryView>,
    /// Questions, in hearing order.
    pub questions: Vec<CatalogQuestion>,
}

/// A stored answer, as the tools return it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SavedAnswer {
    /// Question id.
    pub question_id: String,
    /// The value as stored (normalised).
    pub value: Value,
}

/// Result of `save_answer` and `save_answers_batch`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SaveAnswersOutput {
    /// Session id.
    pub session_id: SessionId,
    /// What was stored, in input order.
    pub saved: Vec<SavedAnswer>,
    /// Counts and open required questions.
    pub progress: Progress,
    /// What to ask next.
    pub next_questions: Vec<QuestionView>,
    /// What to do next.
    pub next_step: String,
}

/// Result of `complete_hearing`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CompleteHearingOutput {
    /// Session id.
    pub session_id: SessionId,
    /// `completed`.
    pub status: SessionStatus,
    /// Required questions recorded as open assumptions (with force).
    pub open_assumptions: Vec<String>,
    /// When it was completed.
    pub completed_at: Option<Timestamp>,
    /// What to do next.
    pub next_step: String,
}

/// One answer in `get_session`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionAnswer {
    /// Question id.
    pub question_id: String,
    /// Stored value.
    pub value: Value,
    /// Customer statement or assumption.
    pub source: AnswerSource,
    /// Context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it was saved.
    pub answered_at: Timestamp,
}

/// Result of `get_session`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct GetSessionOutput {
    /// Summary.
    #[serde(flatten)]
    pub summary: SessionSummary,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Answers, by question id order.
    pub answers: Vec<SessionAnswer>,
    /// Required questions left open at completion.
    pub open_assumptions: Vec<String>,
    /// Counts.
    pub progress: Progress,
    /// What to ask next (empty when completed).
    pub next_questions: Vec<QuestionView>,
    /// Revision; increases with every change.
    pub revision: u64,
}

/// Result of `list_sessions`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ListSessionsOutput {
    /// Sessions, newest first.
    pub sessions: Vec<SessionSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The hearing result (re-exported shapes, for the schema).
#[derive(Debug, Serialize, JsonSchema)]
pub struct HearingResultOutput {
    /// The result.
    #[serde(flatten)]
    pub result: HearingResult,
    /// What to do next.
    pub next_step: String,
}

// Keep the domain view types referenced so their schemas stay part of the API surface.
#[allow(dead_code)]
type _Views = (CategoryRequirements, RequirementView, OpenQuestionView);

// ---------- tools ----------

impl GalleyServer {
    fn next_questions(&self, session: &Session, locale: Locale) -> Vec<QuestionView> {
        let catalog = self.app().hearing.catalog();
        session
            .next_questions(catalog, NEXT_QUESTIONS)
            .into_iter()
            .map(|q| QuestionView::of(q, locale, false))
            .collect()
    }

    fn save_output(&self, session: &Session, saved: Vec<(String, Value)>) -> SaveAnswersOutput {
        let catalog = self.app().hearing.catalog();
        let progress = session.progress(catalog);
        let next_step = if progress.required_open.is_empty() {
            "All required questions are answered. Ask the optional ones that matter for this customer, then call complete_hearing.".to_owned()
        } else {
            format!(
                "{} required question(s) open. Ask the next questions in chat and save the answers.",
                progress.required_open.len()
            )
        };
        SaveAnswersOutput {
            session_id: session.id,
            saved: saved.into_iter().map(|(question_id, value)| SavedAnswer { question_id, value }).collect(),
            next_questions: self.next_questions(session, session.locale),
            progress,
            next_step,
        }
    }
}

#[tool_router(router = hearing_tools, vis = "pub(crate)")]
impl GalleyServer {
    /// Start a requirements hearing for a customer project. Use this first, before any other Galley tool, when
    /// the user begins a new engagement. Returns the session_id (always show it to the user), the progress and
    /// the first questions to ask. Next: ask those questions in chat and save the answers with save_answer or
    /// save_answers_batch.
    #[tool(annotations(
        title = "Create hearing session",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = false,
        open_world_hint = false
    ))]
    async fn create_session(
        &self,
        Parameters(input): Parameters<CreateSessionInput>,
    ) -> Result<Json<CreateSessionOutput>, String> {
        let locale = parse_locale(input.locale.as_deref(), Locale::Ja)?;
        let hearing = &self.app().hearing;
        let session = hearing
            .create(&input.customer, &input.project, locale, input.notes.as_deref())
            .await
            .map_err(fail)?;
        let progress = session.progress(hearing.catalog());
        Ok(Json(CreateSessionOutput {
            session_id: session.id,
            customer: session.customer.clone(),
            project: session.project.clone(),
            locale,
            status: session.status,
            next_questions: self.next_questions(&session, locale),
            progress,
            next_step: format!(
                "Tell the user the session id {}. Then ask the next questions conversationally in chat (not as a form) and save each answer with save_answer.",
                session.id
            ),
        }))
    }

    /// List the hearing question catalog: ids, types, choices (values and labels), units and ranges, and which
    /// questions are required. Use it to know what to ask and which value to send for each question. With
    /// session_id, each question also says whether it is answered and whether it applies. Read-only.
    #[tool(annotations(
        title = "List hearing questions",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_hearing_questions(
        &self,
        Parameters(input): Parameters<ListQuestionsInput>,
    ) -> Result<Json<ListQuestionsOutput>, String> {
        let hearing = &self.app().hearing;
        let catalog = hearing.catalog();
        let session = match input.session_id.as_deref() {
            Some(raw) => Some(hearing.get(parse_session_id(raw).map_err(fail)?).await.map_err(fail)?),
            None => None,
        };
        let locale =
            parse_locale(input.locale.as_deref(), session.as_ref().map_or(Locale::Ja, |s| s.locale))?;
        if let Some(cat) = input.category.as_deref()
            && catalog.category(cat).is_none()
        {
            let valid: Vec<&str> = catalog.categories.iter().map(|c| c.id.as_str()).collect();
            return Err(format!("unknown category {cat:?}; valid categories: {}", valid.join(", ")));
        }
        let questions = catalog
            .questions
            .iter()
            .filter(|q| input.category.as_deref().is_none_or(|c| q.category == c))
            .map(|q| CatalogQuestion {
                question: QuestionView::of(q, locale, input.include_help),
                answered: session.as_ref().map(|s| s.answers.contains_key(&q.id)),
                applies: session.as_ref().map(|s| s.applies(q)),
            })
            .collect();
        Ok(Json(ListQuestionsOutput {
            locale,
            categories: catalog
                .categories
                .iter()
                .map(|c| CategoryView {
                    id: c.id.clone(),
                    title: c.title.get(locale).to_owned(),
                    question_count: catalog.questions_in(&c.id).count(),
                })
                .collect(),
            questions,
        }))
    }

    /// Save one hearing answer (overwrites an earlier answer to the same question). The value is checked against
    /// the question's type, choices and range; a wrong value comes back as an error naming the valid values.
    /// Returns the stored (normalised) value, the progress and the next questions to ask.
    #[tool(annotations(
        title = "Save hearing answer",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn save_answer(
        &self,
        Parameters(input): Parameters<SaveAnswerInput>,
    ) -> Result<Json<SaveAnswersOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let answer = AnswerArg {
            question_id: input.question_id,
            value: input.value,
            source: input.source,
            note: input.note,
        };
        let (session, saved) =
            self.app().hearing.save_answers(id, &[answer.into_input()]).await.map_err(fail)?;
        Ok(Json(self.save_output(&session, saved)))
    }

    /// Save several hearing answers in one call, all or nothing: every answer is validated first, and if any is
    /// invalid nothing is saved and every problem is listed (with its index). Use it after the customer has
    /// answered several questions at once. Returns what was stored, the progress and the next questions.
    #[tool(annotations(
        title = "Save hearing answers (batch)",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn save_answers_batch(
        &self,
        Parameters(input): Parameters<SaveAnswersBatchInput>,
    ) -> Result<Json<SaveAnswersOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let inputs: Vec<AnswerInput> = input.answers.into_iter().map(AnswerArg::into_input).collect();
        let (session, saved) = self.app().hearing.save_answers(id, &inputs).await.map_err(fail)?;
        Ok(Json(self.save_output(&session, saved)))
    }

    /// Complete the hearing. Without force it refuses while required questions are open and lists them; with
    /// force=true it completes and records them as open assumptions. After completion answers can no longer
    /// change. Next: get_hearing_result for the structured requirements.
    #[tool(annotations(
        title = "Complete hearing",
        read_only_hint = false,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn complete_hearing(
        &self,
        Parameters(input): Parameters<CompleteHearingInput>,
    ) -> Result<Json<CompleteHearingOutput>, String> {
        let id = parse_session_id(&input.session_id).map_err(fail)?;
        let session = self.app().hearing.complete(id, input.force).await.map_err(fail)?;
        let next_step = if session.open_assumptions.is_empty() {
            "Call get_hearing_result and summarise the requirements for the user.".to_owned()
        } else {
            format!(
                "Completed with {} required question(s) open; confirm them with the customer. Call get_hearing_result next.",
                session.open_assumptions.len()
            )
        };
        Ok(Json(CompleteHearingOutput {
            session_id: session.id,
            status: session.status,
            open_assumptions: session.open_assumptions,
            completed_at: session.completed_at,
            next_step,
        }))
    }

    /// Get the structured requirements of a session: answers grouped by category (with readable values),
    /// assumptions to confirm, required questions left open, and open questions. Works during the hearing too.
    /// Use it to summarise the hearing and as the input of the architecture design. Read-only.
    #[tool(annotations(
        title = "Get hearing result",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn get_hearing_result(
        &self,
        Parameters(input): Parameters<SessionInput>,
    ) -> Result<Json<HearingResultOutput>, String> {
        let hearing = &self.app().hearing;
        let session = hearing.get(parse_session_id(&input.session_id).map_err(fail)?).await.map_err(fail)?;
        let locale = parse_locale(input.locale.as_deref(), session.locale)?;
        let result = HearingResult::of(&session, hearing.catalog(), locale);
        let next_step = match session.status {
            SessionStatus::Completed => {
                "Summarise these requirements for the user and confirm the assumptions."
            }
            SessionStatus::Hearing => {
                "The hearing is still open: ask the open questions, then call complete_hearing."
            }
        };
        Ok(Json(HearingResultOutput { result, next_step: next_step.to_owned() }))
    }

    /// List hearing sessions, newest first, with customer, project, status and answer count. Use it when the
    /// user refers to earlier work without the session id. Paginated with cursor. Read-only.
    #[tool(annotations(
        title = "List sessions",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn list_sessions(
        &self,
        Parameters(input): Parameters<ListSessionsInput>,
    ) -> Result<Json<ListSessionsOutput>, String> {
        let limit = input.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(format!("limit must be between 1 and 100, got {limit}"));
        }
        let cursor = match input.cursor.as_deref() {
            Some(c) => Some(c.parse::<SessionId>().map_err(|_| {
                format!("cursor {c:?} is not a next_cursor returned by list_sessions; call it without cursor to start over")
            })?),
            None => None,
        };
        let (sessions, next_cursor) = self.app().hearing.list(limit, cursor).await.map_err(fail)?;
        Ok(Json(ListSessionsOutput { sessions, next_cursor }))
    }

    /// Get one session: summary, every stored answer with its source and time, progress and the next questions
    /// to ask. Use it to resume a hearing. Read-only.
    #[tool(annotations(
        title = "Get session",
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    async fn get_session(
        &self,
        Parameters(input): Parameters<SessionInput>,
    ) -> Result<Json<GetSessionOutput>, String> {
        let hearing = &self.app().hearing;
        let session = hearing.get(parse_session_id(&input.session_id).map_err(fail)?).await.map_err(fail)?;
        let locale = parse_locale(input.locale.as_deref(), session.locale)?;
        let catalog = hearing.catalog();
        Ok(Json(GetSessionOutput {
            summary: SessionSummary::of(&session),
            notes: session.notes.clone(),
            answers: session
                .answers
                .iter()
                .map(|(id, a)| SessionAnswer {
                    question_id: id.clone(),
                    value: a.value.clone(),
                    source: a.source,
                    note: a.note.clone(),
                    answered_at: a.answered_at,
                })
                .collect(),
            open_assumptions: session.open_assumptions.clone(),
            progress: session.progress(catalog),
            next_questions: self.next_questions(&session, locale),
            revision: session.revision,
        }))
    }
}

// ---------- resources ----------

/// Resources of the hearing layer (the same data is reachable through list_hearing_questions).
pub fn resources() -> Vec<Resource> {
    vec![
        Resource::new(CATALOG_URI, "hearing-questions")
            .with_description("The hearing question catalog (bilingual JSON). The list_hearing_questions tool returns the same.")
            .with_mime_type("application/json"),
    ]
}

/// Reads a hearing resource; `Ok(None)` when the URI is not one of ours.
pub fn read_resource(server: &GalleyServer, uri: &str) -> Result<Option<ReadResourceResult>, McpError> {
    if uri != CATALOG_URI {
        return Ok(None);
    }
    let catalog = server.app().hearing.catalog();
    let json = serde_json::to_string_pretty(catalog)
        .map_err(|e| McpError::internal_error(format!("catalog does not serialise: {e}"), None))?;
    Ok(Some(ReadResourceResult::new(vec![
        ResourceContents::text(json, uri).with_mime_type("application/json"),
    ])))
}

impl From<ServiceError> for String {
    fn from(e: ServiceError) -> String {
        e.to_string()
    }
}
