//! Validation of an architecture against OCI's rules, written as data.
//!
//! Rules are YAML (`data/rules/*.yaml`, embedded; and files developers upload to the store under `rules/`),
//! parsed with unknown fields denied ([`format`]), loaded into a [`RuleSet`] where a broken uploaded file or rule
//! is reported as a [`RuleLoadProblem`] and skipped, and checked against the service catalog
//! ([`RuleSet::check_against`]). [`validate`] indexes the design once (id → component, children, VCN and subnet
//! of each component, connections by endpoint, references) and evaluates every rule, so a validation is close to
//! linear in the design's size. The format's reference is `docs/rules.md`; the region table the region rules use
//! is `data/regions.yaml` ([`regions`]).
//!
//! [`bench_support::generated_design`] builds a large realistic design for benchmarks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::architecture::ComponentId;

pub mod bench_support;
mod engine;
pub mod format;
mod load;
pub mod net;
pub mod regions;
#[cfg(test)]
mod tests;

pub use engine::validate;
pub use format::RuleDef;
pub use load::{BUILTIN_RULE_FILES, LoadedRule, RULES_SCHEMA_VERSION, RuleLoadProblem, RuleSet};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The design will not work (or will be refused by OCI) as it is.
    Error,
    /// It works, but is risky or against best practice.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// The name used in rules and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleCategory {
    /// Whether components can reach each other.
    Connectivity,
    /// Service availability in the design's region.
    Region,
    /// Shape, service and tenancy limits.
    Limits,
    /// Subnets, gateways, routing, CIDRs.
    Network,
    /// Exposure, secrets, access.
    Security,
    /// Redundancy and fault tolerance.
    Availability,
    /// Spending.
    Cost,
}

/// One problem (or advice) found in a design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// The rule that found it.
    pub rule_id: String,
    /// Error, warning or info.
    pub severity: Severity,
    /// What it is about.
    pub category: RuleCategory,
    /// The components involved.
    pub components: Vec<ComponentId>,
    /// What is wrong, in the requested language.
    pub message: String,
    /// How to fix it, in the requested language.
    pub fix: String,
    /// OCI documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
}

/// Counts of a validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning.
    pub warnings: usize,
    /// Findings of severity info.
    pub infos: usize,
    /// No errors.
    pub valid: bool,
    /// Rules that were evaluated.
    pub rules_checked: usize,
}

/// The result of validating a design: findings (errors first, then by rule id and components) and counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Validation {
    /// Findings in a stable order.
    pub findings: Vec<Finding>,
    /// Counts.
    pub summary: Summary,
}
