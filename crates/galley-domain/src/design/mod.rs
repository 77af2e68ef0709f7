//! Proposing an architecture from a hearing: deterministic patterns chosen from the answers.
//!
//! [`propose`] scores every pattern against the session's answers (workload type, containerization, team skills,
//! phase, budget, traffic, ...), builds the best one (or the one asked for) as an [`ArchitectureInput`] and
//! returns it as a [`Proposal`] with the reasons, the assumptions made for missing answers and the other
//! patterns that also fit. Every component carries a [`Rationale`](crate::architecture::Rationale) naming the
//! answered questions that justify it. The result is checked with [`Architecture::replace`] before it is
//! returned, so the lead's service can always apply it.
//!
//! Pure: no IO, no clock, no randomness; the same session gives the same proposal, byte for byte.
//! The network follows what real OCI requires (see `parts`): validation rules are the referee.

mod build;
mod facts;
mod net;
mod parts;
mod patterns;

#[cfg(test)]
mod tests;

use schemars::JsonSchema;
use serde::Serialize;

use crate::architecture::{Architecture, ArchitectureInput};
use crate::catalog::ServiceCatalog;
use crate::hearing::{self, Session};
use crate::locale::Locale;
use build::Builder;
use facts::Facts;
use parts::{Ctx, DbDefault, choose_dbs};

/// Text in both languages, as constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StaticText {
    /// Japanese.
    pub ja: &'static str,
    /// English.
    pub en: &'static str,
}

impl StaticText {
    /// The text in `locale`.
    pub fn get(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::Ja => self.ja,
            Locale::En => self.en,
        }
    }
}

/// A proposal pattern, for the tool that lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PatternInfo {
    /// Stable id, e.g. `api_oke_adb` (what `propose_architecture`'s `pattern` takes).
    pub id: &'static str,
    /// Display title.
    pub title: StaticText,
    /// When it fits (which answers select it).
    pub fits: StaticText,
}

/// A pattern in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PatternView {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// When it fits.
    pub fits: String,
}

impl PatternInfo {
    /// This pattern in `locale`.
    pub fn view(&self, locale: Locale) -> PatternView {
        PatternView {
            id: self.id.to_owned(),
            title: self.title.get(locale).to_owned(),
            fits: self.fits.get(locale).to_owned(),
        }
    }
}

const PATTERNS: [PatternInfo; 6] = [
    PatternInfo {
        id: "web_three_tier",
        title: StaticText {
            ja: "Web 3層構成（LB → アプリ → DB）", en: "Web three-tier (LB → app → DB)"
        },
        fits: StaticText {
            ja: "Webアプリケーション・ERPパッケージで、コンテナ化していない（または軽いコンテナ運用の）場合。ロードバランサー（WAF付き）→ コンピュート／Container Instances → データベース。",
            en: "Web applications and packaged ERP that are not containerized (or run plain containers): load balancer (with WAF) → compute / Container Instances → database.",
        },
    },
    PatternInfo {
        id: "api_oke_adb",
        title: StaticText { ja: "OKE上のAPI + Autonomous Database", en: "API + ADB on OKE" },
        fits: StaticText {
            ja: "APIバックエンド・マイクロサービスで、Kubernetesで稼働中／コンテナ化済み、またはチームにKubernetes経験がある場合。API Gateway／LB → OKE → ADB、Container Registry、DevOps。",
            en: "API backends and microservices already on Kubernetes or containerized, or a team with Kubernetes experience: API Gateway / LB → OKE → ADB, Container Registry, DevOps.",
        },
    },
    PatternInfo {
        id: "event_driven",
        title: StaticText {
            ja: "イベント駆動（Functions + Streaming／Queue）",
            en: "Event-driven (Functions + Streaming / Queue)",
        },
        fits: StaticText {
            ja: "イベント駆動・非同期処理、モバイル・バックエンド。Events／API Gateway → Functions → Streaming（大量・順序付き）またはQueue → NoSQL／ADB。",
            en: "Event-driven and asynchronous processing, mobile backends: Events / API Gateway → Functions → Streaming (high volume, ordered) or Queue → NoSQL / ADB.",
        },
    },
    PatternInfo {
        id: "batch",
        title: StaticText { ja: "バッチ処理", en: "Batch processing" },
        fits: StaticText {
            ja: "バッチ処理が中心の場合。スケジュール起動のコンピュート／Container Instances、Object Storage、File Storage。",
            en: "Mainly batch processing: scheduled compute or Container Instances, Object Storage, File Storage.",
        },
    },
    PatternInfo {
        id: "data_analytics",
        title: StaticText {
            ja: "データ分析基盤（ADW + データレイク）",
            en: "Data analytics (ADW + data lake)",
        },
        fits: StaticText {
            ja: "データ分析・DWH、AI・機械学習、データレイク用途。ADW、Object Storageのデータレイク、AIを求める場合はData Science／Generative AI。",
            en: "Analytics / data warehouse, AI / ML and data lake use: ADW, an Object Storage data lake, Data Science / Generative AI when AI is asked for.",
        },
    },
    PatternInfo {
        id: "container_light",
        title: StaticText {
            ja: "軽量コンテナ（小規模PoC向けContainer Instances）",
            en: "Light containers (Container Instances for a small PoC)",
        },
        fits: StaticText {
            ja: "PoC・情報収集段階の小規模なWeb／APIで、コンテナ化済み・低予算・少人数の場合。LB（10Mbps）→ Container Instances → 小さなDB。",
            en: "Small web / API PoCs or estimates with containers, a low budget and few users: LB (10 Mbps) → Container Instances → a small database.",
        },
    },
];

/// Every pattern `propose` knows, in a stable order.
pub fn patterns() -> &'static [PatternInfo] {
    &PATTERNS
}

/// The proposal: a whole design and why.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Proposal {
    /// The pattern id (see [`patterns`]).
    pub pattern: String,
    /// The pattern's title.
    pub title: String,
    /// One paragraph: the flow and the size of the design.
    pub summary: String,
    /// Why this pattern and the main design decisions, each naming the answers behind it.
    pub reasons: Vec<String>,
    /// What was assumed because an answer was missing or unclear (confirm these with the customer).
    pub assumptions: Vec<String>,
    /// Other pattern ids that also fit, with why.
    pub alternatives: Vec<String>,
    /// The design, ready for `save_architecture` / `Architecture::replace`.
    pub architecture: ArchitectureInput,
}

/// Why no proposal was made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProposeError {
    /// The requested pattern does not exist.
    #[error("unknown pattern {given:?}; valid patterns: {}", .valid.join(", "))]
    UnknownPattern {
        /// The id given.
        given: String,
        /// The valid ids.
        valid: Vec<String>,
    },
    /// The proposal does not fit the service catalog (a catalog without the services the patterns use).
    #[error(
        "the proposal does not fit the service catalog, so nothing was proposed: {0}. Build the design with add_component instead"
    )]
    Catalog(String),
}

/// Proposes a design for the session: the best-fitting pattern, or `pattern` when given.
pub fn propose(
    session: &Session,
    questions: &hearing::Catalog,
    services: &ServiceCatalog,
    locale: Locale,
    pattern: Option<&str>,
) -> Result<Proposal, ProposeError> {
    let f = Facts::new(session, questions, locale);
    let scores = score(&f);
    let (chosen, forced) = match pattern.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => {
            let Some(i) = PATTERNS.iter().position(|x| x.id.eq_ignore_ascii_case(p)) else {
                return Err(ProposeError::UnknownPattern {
                    given: p.to_owned(),
                    valid: PATTERNS.iter().map(|x| x.id.to_owned()).collect(),
                });
            };
            (i, true)
        }
        None => (best(&scores), false),
    };
    let info = &PATTERNS[chosen];

    let mut assumptions = f.recorded_assumptions();
    let mut ctx = Ctx::derive(&f, &mut assumptions);
    let default_db = match info.id {
        "data_analytics" => DbDefault::AdbDw,
        "event_driven" => DbDefault::Nosql,
        _ => DbDefault::AdbOltp,
    };
    ctx.dbs = choose_dbs(&f, default_db, &mut assumptions);
    let mut b = Builder::new(&f, services, assumptions);

    // Why this pattern.
    let own = &scores[chosen];
    if forced {
        b.reason(f.t(
            format!("パターン「{}」が指定されました。", info.title.ja),
            format!("The pattern \"{}\" was requested.", info.title.en),
        ));
    }
    if own.points > 0 {
        b.reason(f.t(
            format!("「{}」を選んだ根拠: {}", info.title.ja, cites(&f, &own.signals)),
            format!("\"{}\" fits because of {}", info.title.en, cites(&f, &own.signals)),
        ));
    } else if !forced {
        b.assume(f.t(
            "パターンを決める回答（workload.type など）が不足しているため、最も汎用的なWeb 3層構成を前提にしています。",
            "Too few answers decide the pattern (workload.type, ...): the general web three-tier design is assumed.",
        ));
    }
    if ctx.small() {
        b.reason(f.t(
            format!("{} のため最小構成（Always Free を活用）にしています。", f.cite("project.phase")),
            format!("{}: minimal sizes (Always Free where sensible).", f.cite("project.phase")),
        ));
    }

    let flow = match info.id {
        "web_three_tier" => patterns::web_three_tier(&mut b, &ctx),
        "api_oke_adb" => patterns::api_oke_adb(&mut b, &ctx),
        "event_driven" => patterns::event_driven(&mut b, &ctx),
        "batch" => patterns::batch(&mut b, &ctx),
        "data_analytics" => patterns::data_analytics(&mut b, &ctx),
        _ => patterns::container_light(&mut b, &ctx),
    };

    let region = region(&f, &mut b);
    let alternatives = alternatives(&f, &scores, chosen);
    let Builder { components, connections, reasons, assumptions, .. } = b;
    let summary = f.t(
        format!(
            "「{}」構成の提案です: {flow}。コンポーネント {} 個、接続 {} 本{}。",
            info.title.ja,
            components.len(),
            connections.len(),
            region.as_deref().map(|r| format!("、リージョン {r}")).unwrap_or_default()
        ),
        format!(
            "A \"{}\" design: {flow}. {} components, {} connections{}.",
            info.title.en,
            components.len(),
            connections.len(),
            region.as_deref().map(|r| format!(", region {r}")).unwrap_or_default()
        ),
    );
    let architecture = ArchitectureInput { region, components, connections };

    // The proposal must apply as it is; a failure here means the catalog lacks what the patterns use.
    let mut check = Architecture::new(session.id, None, session.updated_at);
    check
        .replace(services, architecture.clone(), Some(info.id.to_owned()), session.updated_at)
        .map_err(|e| ProposeError::Catalog(e.to_string()))?;

    Ok(Proposal {
        pattern: info.id.to_owned(),
        title: info.title.get(locale).to_owned(),
        summary,
        reasons,
        assumptions,
        alternatives,
        architecture,
    })
}

/// How well one pattern fits: points and the questions whose answers gave them.
struct Score {
    points: i32,
    signals: Vec<&'static str>,
}

impl Score {
    fn add(&mut self, points: i32, question: &'static str) {
        self.points += points;
        if points > 0 && !self.signals.contains(&question) {
            self.signals.push(question);
        }
    }
}

/// Scores in `PATTERNS` order.
fn score(f: &Facts<'_>) -> Vec<Score> {
    let mut s: Vec<Score> = PATTERNS.iter().map(|_| Score { points: 0, signals: Vec::new() }).collect();
    let ty = |c: &str| f.has("workload.type", c);
    let ctr = f.str("workload.containerization");
    let small = f.is("project.phase", &["poc", "information_gathering"]);
    const W: &str = "workload.type";
    const C: &str = "workload.containerization";
    // web_three_tier
    if ty("web_app") {
        s[0].add(2, W);
    }
    if ty("erp_packaged") {
        s[0].add(2, W);
    }
    if ctr == Some("not_containerized") {
        s[0].add(1, C);
    }
    if f.has("workload.app_stack", "packaged") {
        s[0].add(1, "workload.app_stack");
    }
    // api_oke_adb
    if ty("api_backend") {
        s[1].add(2, W);
    }
    if ty("mobile_backend") {
        s[1].add(1, W);
    }
    match ctr {
        Some("kubernetes") => s[1].add(3, C),
        Some("docker" | "planned") if !small => s[1].add(1, C),
        Some("not_containerized") => s[1].add(-1, C),
        _ => {}
    }
    match f.str("operations.team_skill") {
        Some("oci_kubernetes" | "other_cloud_kubernetes") => s[1].add(1, "operations.team_skill"),
        Some("none") => s[1].add(-1, "operations.team_skill"),
        _ => {}
    }
    // event_driven
    if ty("event_driven") {
        s[2].add(3, W);
    }
    if ty("mobile_backend") {
        s[2].add(1, W);
    }
    // batch: the main pattern only when nothing interactive is asked for.
    if ty("batch") {
        s[3].add(if f.interactive() || ty("event_driven") { 1 } else { 3 }, W);
    }
    // data_analytics
    if ty("data_analytics") {
        s[4].add(3, W);
    }
    if ty("ai_ml") {
        s[4].add(2, W);
    }
    if f.has("data.object_storage", "data_lake") {
        s[4].add(1, "data.object_storage");
    }
    // container_light: small, containerized, cheap, few users, and something users call.
    if small && (f.interactive() || !f.answered(W)) && !ty("erp_packaged") {
        s[5].add(2, "project.phase");
        match ctr {
            Some("docker") => s[5].add(2, C),
            Some("planned" | "kubernetes") => s[5].add(1, C),
            _ => {}
        }
        if f.is("budget.monthly_budget", &["jpy_under_100k"]) {
            s[5].add(1, "budget.monthly_budget");
        }
        if f.num("traffic.peak_concurrent_users").is_some_and(|p| p < 100.0) {
            s[5].add(1, "traffic.peak_concurrent_users");
        }
    }
    s
}

/// Tie-break order when points are equal: the more specific pattern first, web three-tier last.
const PRIORITY: [usize; 6] = [1, 2, 4, 5, 3, 0];

fn best(scores: &[Score]) -> usize {
    let mut best = 0usize; // web_three_tier when nothing scores
    let mut best_points = 0;
    for &i in &PRIORITY {
        if scores[i].points > best_points {
            best = i;
            best_points = scores[i].points;
        }
    }
    best
}

fn cites(f: &Facts<'_>, ids: &[&str]) -> String {
    let sep = if f.locale == Locale::Ja { "、" } else { "; " };
    ids.iter().map(|id| f.cite(id)).collect::<Vec<_>>().join(sep)
}

fn alternatives(f: &Facts<'_>, scores: &[Score], chosen: usize) -> Vec<String> {
    let mut order: Vec<usize> =
        PRIORITY.iter().copied().filter(|&i| i != chosen && scores[i].points >= 2).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(scores[i].points));
    order
        .into_iter()
        .map(|i| {
            let p = &PATTERNS[i];
            format!("{} ({}): {}", p.id, p.title.get(f.locale), cites(f, &scores[i].signals))
        })
        .collect()
}

/// The region from region.primary when it is an OCI region identifier.
fn region(f: &Facts<'_>, b: &mut Builder<'_>) -> Option<String> {
    let Some(raw) = f.str("region.primary") else {
        b.assume(f.t(
            "region.primary が未回答のため、リージョンは未設定です（リージョン別のサービス提供状況は未確認）。",
            "region.primary is not answered: no region is set (service availability per region is unchecked).",
        ));
        return None;
    };
    let r = raw.to_ascii_lowercase();
    let parts: Vec<&str> = r.split('-').collect();
    let ok = parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        b.reason(
            f.t(format!("リージョンは {r}（region.primary）。"), format!("Region {r} (region.primary).")),
        );
        Some(r)
    } else {
        b.assume(f.t(
            format!("region.primary「{raw}」はリージョン識別子（例: ap-tokyo-1）ではないため、リージョンは未設定です。"),
            format!("region.primary \"{raw}\" is not a region identifier (e.g. ap-tokyo-1): no region is set."),
        ));
        None
    }
}
