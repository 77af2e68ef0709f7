//! Reading a hearing session for the proposal: typed access to the answers and the values derived from them
//! (peak concurrency, availability level, phase), each default recorded as an assumption.

use serde_json::Value;

use crate::hearing::view::display_value;
use crate::hearing::{AnswerSource, Catalog, Session};
use crate::locale::Locale;

/// Text in the proposal's language.
pub(crate) fn t(locale: Locale, ja: impl Into<String>, en: impl Into<String>) -> String {
    match locale {
        Locale::Ja => ja.into(),
        Locale::En => en.into(),
    }
}

/// The project phase (`project.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Information gathering or a PoC: smallest sizes, Always Free where sensible.
    Small,
    /// Pilot / small-scale production.
    Pilot,
    /// Production (also when unanswered).
    Production,
}

/// The availability level from `availability.sla_target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Sla {
    /// 99 %, 99.5 %, not defined.
    Basic,
    /// 99.9 %.
    High,
    /// 99.95 %.
    Higher,
    /// 99.99 %.
    Highest,
}

/// The answers of one session, with the proposal's language and the question catalog for display.
pub(crate) struct Facts<'a> {
    session: &'a Session,
    questions: &'a Catalog,
    /// The language of every text of the proposal.
    pub locale: Locale,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(session: &'a Session, questions: &'a Catalog, locale: Locale) -> Self {
        Facts { session, questions, locale }
    }

    /// Text in the proposal's language.
    pub(crate) fn t(&self, ja: impl Into<String>, en: impl Into<String>) -> String {
        t(self.locale, ja, en)
    }

    fn value(&self, id: &str) -> Option<&'a Value> {
        self.session.answers.get(id).map(|a| &a.value)
    }

    /// Whether the question is answered.
    pub(crate) fn answered(&self, id: &str) -> bool {
        self.session.answers.contains_key(id)
    }

    /// A single-choice or text answer.
    pub(crate) fn str(&self, id: &str) -> Option<&'a str> {
        self.value(id).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A multi-choice answer (a single string reads as a one-item list).
    pub(crate) fn list(&self, id: &str) -> Vec<&'a str> {
        match self.value(id) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        }
    }

    /// Whether a multi-choice (or single-choice) answer contains `choice`.
    pub(crate) fn has(&self, id: &str, choice: &str) -> bool {
        self.list(id).contains(&choice)
    }

    /// Whether a single-choice answer is one of `choices`.
    pub(crate) fn is(&self, id: &str, choices: &[&str]) -> bool {
        self.str(id).is_some_and(|v| choices.contains(&v))
    }

    /// A number answer.
    pub(crate) fn num(&self, id: &str) -> Option<f64> {
        self.value(id).and_then(Value::as_f64).filter(|n| n.is_finite() && *n >= 0.0)
    }

    /// A boolean answer.
    pub(crate) fn bool(&self, id: &str) -> Option<bool> {
        self.value(id).and_then(Value::as_bool)
    }

    /// How an answer reads to a person (choice labels, units), or the raw id when unknown.
    pub(crate) fn display(&self, id: &str) -> String {
        match (self.questions.question(id), self.value(id)) {
            (Some(q), Some(v)) => display_value(q, v, self.locale),
            (None, Some(v)) => v.to_string(),
            _ => "-".to_owned(),
        }
    }

    /// `question id = display value`, for reasons.
    pub(crate) fn cite(&self, id: &str) -> String {
        format!("{id} = {}", self.display(id))
    }

    /// Answers the engineer recorded as assumptions and required questions left open at completion.
    pub(crate) fn recorded_assumptions(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (id, answer) in &self.session.answers {
            if answer.source == AnswerSource::Assumption {
                out.push(self.t(
                    format!("{} は顧客未確認の仮定として記録されています（要確認）。", self.cite(id)),
                    format!("{} was recorded as an assumption; confirm it with the customer.", self.cite(id)),
                ));
            }
        }
        if !self.session.open_assumptions.is_empty() {
            let ids = self.session.open_assumptions.join(", ");
            out.push(self.t(
                format!("必須の質問 {ids} は未回答のままヒアリングが完了しています。"),
                format!("The hearing was completed with the required questions {ids} unanswered."),
            ));
        }
        out
    }

    /// Whether the workload serves users or clients directly (web, API, mobile, ERP).
    pub(crate) fn interactive(&self) -> bool {
        ["web_app", "api_backend", "mobile_backend", "erp_packaged"]
            .iter()
            .any(|c| self.has("workload.type", c))
    }

    /// The phase; unanswered counts as production (with an assumption).
    pub(crate) fn phase(&self, assumptions: &mut Vec<String>) -> Phase {
        match self.str("project.phase") {
            Some("poc" | "information_gathering") => Phase::Small,
            Some("pilot") => Phase::Pilot,
            Some(_) => Phase::Production,
            None => {
                assumptions.push(self.t(
                    "project.phase が未回答のため、本番導入を前提にサイジングしています。",
                    "project.phase is not answered: sized for production.",
                ));
                Phase::Production
            }
        }
    }

    /// The availability level.
    pub(crate) fn sla(&self) -> Sla {
        match self.str("availability.sla_target") {
            Some("sla_99_9") => Sla::High,
            Some("sla_99_95") => Sla::Higher,
            Some("sla_99_99") => Sla::Highest,
            _ => Sla::Basic,
        }
    }

    /// Peak concurrent users: the answer, else 10 % of the total users, else 100 (both recorded as assumptions).
    pub(crate) fn peak(&self, assumptions: &mut Vec<String>) -> u64 {
        if let Some(p) = self.num("traffic.peak_concurrent_users") {
            return p.ceil() as u64;
        }
        if let Some(total) = self.num("traffic.total_users") {
            let p = (total * 0.1).ceil().max(1.0) as u64;
            assumptions.push(self.t(
                format!(
                    "ピーク時の同時接続数は未回答のため、総ユーザー数 {} の10%（{p}人）と仮定しています。",
                    self.display("traffic.total_users")
                ),
                format!(
                    "Peak concurrency is not answered: assumed 10% of traffic.total_users = {} ({p}).",
                    self.display("traffic.total_users")
                ),
            ));
            return p;
        }
        assumptions.push(self.t(
            "利用者数が未回答のため、ピーク同時接続数を100人と仮定しています。",
            "The number of users is not answered: assumed 100 concurrent users at peak.",
        ));
        100
    }

    /// Data volume in GB: the answer, else 100 GB (an assumption).
    pub(crate) fn data_gb(&self, assumptions: &mut Vec<String>) -> f64 {
        if let Some(gb) = self.num("data.size_gb") {
            return gb;
        }
        assumptions.push(self.t(
            "データ量が未回答のため、100GBと仮定しています。",
            "The data volume is not answered: assumed 100 GB.",
        ));
        100.0
    }
}
