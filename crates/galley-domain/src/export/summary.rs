//! The whole session as Markdown, ready to paste into a customer document: customer and project, requirements by
//! category, assumptions and open questions, the design as a table whose rationale links to the requirement rows it
//! is based on, connections, validation findings by severity, and the Mermaid diagram.
//!
//! Every text from the session or the design is escaped for Markdown (pipes and newlines in table cells too), so
//! a customer name or a note cannot break the document's structure.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::architecture::{Architecture, Component};
use crate::catalog::{PlacementKind, ServiceCatalog};
use crate::hearing::session::SessionStatus;
use crate::hearing::view::display_value;
use crate::hearing::{AnswerSource, Catalog, HearingResult, Session};
use crate::locale::Locale;
use crate::rules::{RuleCategory, Severity, Validation};

use super::{key_config, mermaid, service_label, tr, unique_components};

/// What the summary is made of. [`SummaryInput::new`] fills the usual defaults.
#[derive(Debug, Clone, Copy)]
pub struct SummaryInput<'a> {
    /// The hearing session.
    pub session: &'a Session,
    /// The question catalog the session was held with.
    pub hearing: &'a Catalog,
    /// The hearing result; computed from the session when None.
    pub result: Option<&'a HearingResult>,
    /// The design, when there is one.
    pub architecture: Option<&'a Architecture>,
    /// The service catalog (display names, placement kinds).
    pub services: &'a ServiceCatalog,
    /// The latest validation of the design, when there is one.
    pub validation: Option<&'a Validation>,
    /// The language of the document (usually the session's).
    pub locale: Locale,
    /// A "generated at" label to print under the title (the caller's clock; the domain has none).
    pub generated_at: Option<&'a str>,
}

impl<'a> SummaryInput<'a> {
    /// A summary of `session` in its own language, without design, validation or date.
    pub fn new(session: &'a Session, hearing: &'a Catalog, services: &'a ServiceCatalog) -> Self {
        SummaryInput {
            session,
            hearing,
            result: None,
            architecture: None,
            services,
            validation: None,
            locale: session.locale,
            generated_at: None,
        }
    }
}

/// Escapes inline Markdown: characters that would start emphasis, code, links, HTML or a table cell are
/// backslash-escaped (`_` only where it could start or end emphasis), line breaks become `<br>`, other control
/// characters spaces.
pub fn escape_markdown(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br>"),
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            '&' if chars.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '#') => {
                out.push_str("\\&")
            }
            '_' => {
                let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
                let inner = i > 0 && word(chars.get(i - 1)) && word(chars.get(i + 1));
                if !inner {
                    out.push('\\');
                }
                out.push('_');
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Text as an inline code span: no backticks inside, pipes escaped (GFM splits table cells on them even in
/// code), control characters as spaces.
fn code(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("`{}`", inner.replace('|', "\\|"))
}

/// The anchor of a requirement row.
fn req_anchor(question_id: &str) -> String {
    format!("req-{}", question_id.replace(['.', '_'], "-"))
}

/// The anchor of a component row.
fn cmp_anchor(component_id: &str) -> String {
    format!("cmp-{component_id}")
}

/// An anchor id safe to print (ids from hand-built designs may hold anything).
fn safe_anchor(raw: &str) -> Option<String> {
    raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_').then(|| raw.to_owned())
}

struct Doc {
    out: String,
}

impl Doc {
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.line(&format!("| {} |", header.join(" | ")));
        self.line(&format!("|{}|", header.iter().map(|_| "---").collect::<Vec<_>>().join("|")));
        for row in rows {
            let cells: Vec<&str> = row.iter().map(|c| if c.is_empty() { " " } else { c.as_str() }).collect();
            self.line(&format!("| {} |", cells.join(" | ")));
        }
        self.blank();
    }
}

fn severity_title(s: Severity, locale: Locale) -> &'static str {
    match s {
        Severity::Error => tr(locale, "Errors", "エラー"),
        Severity::Warning => tr(locale, "Warnings", "警告"),
        Severity::Info => tr(locale, "Information", "情報"),
    }
}

fn rule_category(c: RuleCategory, locale: Locale) -> &'static str {
    match c {
        RuleCategory::Connectivity => tr(locale, "connectivity", "接続性"),
        RuleCategory::Region => tr(locale, "region", "リージョン"),
        RuleCategory::Limits => tr(locale, "limits", "制限"),
        RuleCategory::Network => tr(locale, "network", "ネットワーク"),
        RuleCategory::Security => tr(locale, "security", "セキュリティ"),
        RuleCategory::Availability => tr(locale, "availability", "可用性"),
        RuleCategory::Cost => tr(locale, "cost", "コスト"),
    }
}

fn counts(locale: Locale, errors: usize, warnings: usize, infos: usize) -> String {
    match locale {
        Locale::En => format!(
            "{errors} error{}, {warnings} warning{}, {infos} info",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        ),
        Locale::Ja => format!("エラー {errors} 件、警告 {warnings} 件、情報 {infos} 件"),
    }
}

/// A link to a component row (its escaped name), or the id as code when it is not in the design.
fn component_link(arch: Option<&Architecture>, id: &str) -> String {
    match (arch.and_then(|a| a.component(id)), safe_anchor(id)) {
        (Some(c), Some(anchor)) => format!("[{}](#{})", escape_markdown(&c.name), cmp_anchor(&anchor)),
        _ => code(id),
    }
}

/// Where a component sits, as text: its subnet and VCN, or "regional"/"global".
fn placement_text(arch: &Architecture, services: &ServiceCatalog, c: &Component, locale: Locale) -> String {
    let chain = arch.ancestors(c.id.as_str());
    if !chain.is_empty() {
        let parts: Vec<String> = chain
            .iter()
            .map(|p| {
                let tier = match (p.service.as_str(), p.config_str("tier")) {
                    ("subnet", Some("public")) => format!(" ({})", tr(locale, "public", "パブリック")),
                    ("subnet", Some("private")) => format!(" ({})", tr(locale, "private", "プライベート")),
                    _ => String::new(),
                };
                format!("{}{tier}", component_link(Some(arch), p.id.as_str()))
            })
            .collect();
        return parts.join(" › ");
    }
    if let Some(p) = &c.placement {
        return format!("{} ({})", code(p.as_str()), tr(locale, "missing", "存在しません"));
    }
    match services.service(&c.service).map(|s| s.placement) {
        Some(PlacementKind::Global) => tr(locale, "Global", "グローバル").to_owned(),
        _ => tr(locale, "Regional", "リージョナル").to_owned(),
    }
}

/// The whole session as Markdown in `input.locale`. Deterministic: the same input gives the same text.
pub fn summary(input: &SummaryInput<'_>) -> String {
    let locale = input.locale;
    let t = |en, ja| tr(locale, en, ja);
    let computed;
    let result = match input.result {
        Some(r) => r,
        None => {
            computed = HearingResult::of(input.session, input.hearing, locale);
            &computed
        }
    };
    let arch = input.architecture;
    let components: Vec<&Component> = arch.map(unique_components).unwrap_or_default();
    // Which components cite each question, in design order.
    let mut cited_by: BTreeMap<&str, Vec<&Component>> = BTreeMap::new();
    for c in &components {
        for a in c.rationale.iter().flat_map(|r| &r.answers) {
            let list = cited_by.entry(a.as_str()).or_default();
            if !list.iter().any(|x| x.id == c.id) {
                list.push(c);
            }
        }
    }

    let mut d = Doc { out: String::new() };
    d.line(&format!("# {} — {}", escape_markdown(&result.customer), escape_markdown(&result.project)));
    d.blank();
    if let Some(g) = input.generated_at.filter(|g| !g.trim().is_empty()) {
        d.line(&format!("{}: {}", t("Generated", "作成日時"), escape_markdown(g)));
        d.blank();
    }

    // Overview.
    d.line(&format!("## {}", t("Overview", "概要")));
    d.blank();
    let mut rows = vec![
        vec![t("Customer", "お客様").to_owned(), escape_markdown(&result.customer)],
        vec![t("Project", "プロジェクト").to_owned(), escape_markdown(&result.project)],
    ];
    let progress = &result.progress;
    let hearing = match (result.status, result.completed_at) {
        (SessionStatus::Completed, Some(at)) => match locale {
            Locale::En => format!("completed {at} ({} answers)", progress.answered),
            Locale::Ja => format!("完了 {at}（回答 {} 件）", progress.answered),
        },
        _ => match locale {
            Locale::En => format!(
                "in progress: {} of {} applicable questions answered, {} required open",
                progress.answered,
                progress.applicable,
                progress.required_open.len()
            ),
            Locale::Ja => format!(
                "ヒアリング中：対象 {} 問のうち {} 問回答済み、未回答の必須質問 {} 問",
                progress.applicable,
                progress.answered,
                progress.required_open.len()
            ),
        },
    };
    rows.push(vec![t("Hearing", "ヒアリング").to_owned(), hearing]);
    if let Some(notes) = input.session.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        rows.push(vec![t("Notes", "メモ").to_owned(), escape_markdown(notes)]);
    }
    if let Some(a) = arch {
        if let Some(r) = &a.region {
            rows.push(vec![t("Region", "リージョン").to_owned(), escape_markdown(r)]);
        }
        let design = match locale {
            Locale::En => format!(
                "{} component{}, {} connection{} (revision {})",
                components.len(),
                if components.len() == 1 { "" } else { "s" },
                a.connections.len(),
                if a.connections.len() == 1 { "" } else { "s" },
                a.revision
            ),
            Locale::Ja => format!(
                "コンポーネント {} 個、接続 {} 本（リビジョン {}）",
                components.len(),
                a.connections.len(),
                a.revision
            ),
        };
        rows.push(vec![t("Design", "構成").to_owned(), design]);
        if let Some(p) = &a.pattern {
            rows.push(vec![t("Pattern", "パターン").to_owned(), escape_markdown(p)]);
        }
    }
    if let Some(v) = input.validation {
        let s = v.summary;
        rows.push(vec![t("Validation", "検証").to_owned(), counts(locale, s.errors, s.warnings, s.infos)]);
    }
    d.table(&[t("Item", "項目"), t("Value", "内容")], &rows);

    // Requirements by category.
    d.line(&format!("## {}", t("Requirements", "要件")));
    d.blank();
    if result.categories.is_empty() {
        d.line(t("No answers yet.", "回答はまだありません。"));
        d.blank();
    }
    for cat in &result.categories {
        d.line(&format!("### {}", escape_markdown(&cat.title)));
        d.blank();
        let mut header = vec![t("Question", "質問"), t("Answer", "回答"), t("Source", "根拠")];
        if arch.is_some() {
            header.push(t("Used by", "反映先"));
        }
        let rows: Vec<Vec<String>> = cat
            .requirements
            .iter()
            .map(|r| {
                let mut answer = escape_markdown(&r.display);
                if let Some(n) = r.note.as_deref().filter(|n| !n.trim().is_empty()) {
                    let _ = write!(answer, "<br>{}: {}", t("Note", "補足"), escape_markdown(n));
                }
                let source = match r.source {
                    AnswerSource::Customer => t("customer", "お客様回答"),
                    AnswerSource::Assumption => t("**assumption**", "**仮定**"),
                };
                let mut row = vec![
                    format!("<a id=\"{}\"></a>{}", req_anchor(&r.question_id), escape_markdown(&r.question)),
                    answer,
                    source.to_owned(),
                ];
                if arch.is_some() {
                    let users = cited_by.get(r.question_id.as_str()).map_or_else(String::new, |cs| {
                        cs.iter().map(|c| component_link(arch, c.id.as_str())).collect::<Vec<_>>().join(", ")
                    });
                    row.push(users);
                }
                row
            })
            .collect();
        d.table(&header, &rows);
    }

    // Assumptions and open questions.
    d.line(&format!("## {}", t("Assumptions to confirm", "確認が必要な前提")));
    d.blank();
    if result.assumptions.is_empty() && result.open_assumptions.is_empty() {
        d.line(t("None.", "なし。"));
    }
    for a in &result.assumptions {
        let mut line = format!(
            "- [{}](#{}): {}",
            escape_markdown(&a.question),
            req_anchor(&a.question_id),
            escape_markdown(&a.display)
        );
        if let Some(n) = a.note.as_deref().filter(|n| !n.trim().is_empty()) {
            let _ = write!(line, " — {}", escape_markdown(n));
        }
        d.line(&line);
    }
    for q in &result.open_assumptions {
        d.line(&format!(
            "- {} — {}",
            escape_markdown(&q.question),
            t(
                "required, left open when the hearing was completed",
                "必須質問ですが未回答のままヒアリングを完了しました"
            )
        ));
    }
    d.blank();
    d.line(&format!("## {}", t("Open questions", "未回答の質問")));
    d.blank();
    if result.open_questions.is_empty() {
        d.line(t("None.", "なし。"));
    }
    let open_questions: Vec<_> = result
        .open_questions
        .iter()
        .filter(|q| !result.open_assumptions.iter().any(|o| o.question_id == q.question_id))
        .collect();
    if open_questions.is_empty() && !result.open_questions.is_empty() {
        d.line(t("None besides the open assumptions above.", "上記の未回答の前提以外はありません。"));
    }
    for q in open_questions {
        let req = if q.required { t(" (required)", "（必須）") } else { "" };
        d.line(&format!("- {}{req}", escape_markdown(&q.question)));
    }
    d.blank();

    // The design.
    d.line(&format!("## {}", t("Architecture", "アーキテクチャ")));
    d.blank();
    match arch {
        None => {
            d.line(t("No architecture has been designed yet.", "アーキテクチャはまだ作成されていません。"));
            d.blank();
        }
        Some(a) if components.is_empty() => {
            let _ = a;
            d.line(t("The design has no components yet.", "構成にはまだコンポーネントがありません。"));
            d.blank();
        }
        Some(a) => {
            let rows: Vec<Vec<String>> = components
                .iter()
                .map(|c| {
                    let anchor = safe_anchor(c.id.as_str())
                        .map(|id| format!("<a id=\"{}\"></a>", cmp_anchor(&id)))
                        .unwrap_or_default();
                    let based_on: Vec<String> = c
                        .rationale
                        .iter()
                        .flat_map(|r| &r.answers)
                        .map(|qid| match input.hearing.question(qid) {
                            Some(q) => {
                                let link = format!(
                                    "[{}](#{})",
                                    escape_markdown(q.text.get(locale)),
                                    req_anchor(&q.id)
                                );
                                match input.session.answers.get(&q.id) {
                                    Some(ans)
                                        if result.categories.iter().any(|cat| {
                                            cat.requirements.iter().any(|r| r.question_id == q.id)
                                        }) =>
                                    {
                                        format!(
                                            "{link}: {}",
                                            escape_markdown(&display_value(q, &ans.value, locale))
                                        )
                                    }
                                    _ => format!(
                                        "{} ({})",
                                        escape_markdown(q.text.get(locale)),
                                        t("not answered", "未回答")
                                    ),
                                }
                            }
                            None => code(qid),
                        })
                        .collect();
                    vec![
                        format!("{anchor}**{}**<br>{}", escape_markdown(&c.name), code(c.id.as_str())),
                        escape_markdown(service_label(input.services, c, locale)),
                        placement_text(a, input.services, c, locale),
                        key_config(a, c, locale)
                            .iter()
                            .map(|l| escape_markdown(l))
                            .collect::<Vec<_>>()
                            .join("<br>"),
                        c.rationale.as_ref().map(|r| escape_markdown(&r.reason)).unwrap_or_default(),
                        based_on.join("<br>"),
                    ]
                })
                .collect();
            d.table(
                &[
                    t("Component", "コンポーネント"),
                    t("Service", "サービス"),
                    t("Placement", "配置"),
                    t("Key configuration", "主な設定"),
                    t("Rationale", "採用理由"),
                    t("Based on", "根拠となる要件"),
                ],
                &rows,
            );
            d.line(&format!("### {}", t("Connections", "接続")));
            d.blank();
            if a.connections.is_empty() {
                d.line(t("None.", "なし。"));
                d.blank();
            } else {
                let rows: Vec<Vec<String>> = a
                    .connections
                    .iter()
                    .map(|conn| {
                        vec![
                            component_link(arch, conn.from.as_str()),
                            component_link(arch, conn.to.as_str()),
                            conn.protocol.as_deref().map(escape_markdown).unwrap_or_default(),
                            conn.port.map(|p| p.to_string()).unwrap_or_default(),
                            conn.purpose.as_deref().map(escape_markdown).unwrap_or_default(),
                        ]
                    })
                    .collect();
                d.table(
                    &[
                        t("From", "接続元"),
                        t("To", "接続先"),
                        t("Protocol", "プロトコル"),
                        t("Port", "ポート"),
                        t("Purpose", "用途"),
                    ],
                    &rows,
                );
            }
        }
    }

    // Validation.
    d.line(&format!("## {}", t("Validation", "検証結果")));
    d.blank();
    match input.validation {
        None => {
            d.line(t("The design has not been validated yet.", "構成はまだ検証されていません。"));
            d.blank();
        }
        Some(v) => {
            let s = v.summary;
            let verdict =
                if s.valid { t("no errors", "エラーなし") } else { t("has errors", "エラーあり") };
            d.line(&match locale {
                Locale::En => format!(
                    "{} — {verdict} ({} rules checked).",
                    counts(locale, s.errors, s.warnings, s.infos),
                    s.rules_checked
                ),
                Locale::Ja => format!(
                    "{}（{verdict}、チェックしたルール {} 件）。",
                    counts(locale, s.errors, s.warnings, s.infos),
                    s.rules_checked
                ),
            });
            d.blank();
            for severity in [Severity::Error, Severity::Warning, Severity::Info] {
                let findings: Vec<_> = v.findings.iter().filter(|f| f.severity == severity).collect();
                if findings.is_empty() {
                    continue;
                }
                d.line(&format!("### {} ({})", severity_title(severity, locale), findings.len()));
                d.blank();
                let rows: Vec<Vec<String>> = findings
                    .iter()
                    .map(|f| {
                        let mut fix = escape_markdown(&f.fix);
                        if let Some(url) = f.docs.as_deref().filter(|u| {
                            u.starts_with("https://")
                                && !u.chars().any(|c| c.is_whitespace() || "<>()|".contains(c))
                        }) {
                            let _ = write!(fix, " ([{}]({url}))", t("docs", "ドキュメント"));
                        }
                        vec![
                            code(&f.rule_id),
                            rule_category(f.category, locale).to_owned(),
                            f.components
                                .iter()
                                .map(|c| component_link(arch, c.as_str()))
                                .collect::<Vec<_>>()
                                .join(", "),
                            escape_markdown(&f.message),
                            fix,
                        ]
                    })
                    .collect();
                d.table(
                    &[
                        t("Rule", "ルール"),
                        t("Category", "分類"),
                        t("Components", "対象"),
                        t("Finding", "内容"),
                        t("Fix", "対処"),
                    ],
                    &rows,
                );
            }
            if v.findings.is_empty() {
                d.line(t("No findings.", "指摘事項はありません。"));
                d.blank();
            }
        }
    }

    // The diagram.
    if let Some(a) = arch {
        d.line(&format!("## {}", t("Diagram", "構成図")));
        d.blank();
        d.line("```mermaid");
        d.out.push_str(&mermaid(a, input.services, locale));
        d.line("```");
    }
    while d.out.ends_with("\n\n") {
        d.out.pop();
    }
    d.out
}
