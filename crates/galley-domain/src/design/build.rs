//! Accumulates a proposal: components (parents first), connections, reasons and assumptions.

use std::collections::BTreeMap;

use serde_json::Value;

use super::facts::Facts;
use crate::architecture::{ComponentInput, ConnectionInput, Rationale};
use crate::catalog::ServiceCatalog;

/// One component to add, built fluently.
pub(crate) struct Part {
    id: &'static str,
    service: &'static str,
    name: Option<String>,
    placement: Option<&'static str>,
    config: Value,
    reason: String,
    answers: Vec<&'static str>,
}

impl Part {
    /// A component of `service` with id `id`.
    pub(crate) fn new(id: &'static str, service: &'static str) -> Part {
        Part {
            id,
            service,
            name: None,
            placement: None,
            config: Value::Object(serde_json::Map::new()),
            reason: String::new(),
            answers: Vec::new(),
        }
    }

    /// Display name (the service's label when not given).
    pub(crate) fn name(mut self, name: String) -> Part {
        self.name = Some(name);
        self
    }

    /// The parent component (subnet or VCN).
    pub(crate) fn at(mut self, placement: &'static str) -> Part {
        self.placement = Some(placement);
        self
    }

    /// Attribute values (a JSON object).
    pub(crate) fn cfg(mut self, config: Value) -> Part {
        self.config = config;
        self
    }

    /// Why it is there and which questions' answers justify it.
    pub(crate) fn why(mut self, reason: String, answers: &[&'static str]) -> Part {
        self.reason = reason;
        self.answers = answers.to_vec();
        self
    }
}

/// The proposal under construction.
pub(crate) struct Builder<'a> {
    pub f: &'a Facts<'a>,
    services: &'a ServiceCatalog,
    pub components: Vec<ComponentInput>,
    pub connections: Vec<ConnectionInput>,
    pub reasons: Vec<String>,
    pub assumptions: Vec<String>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(f: &'a Facts<'a>, services: &'a ServiceCatalog, assumptions: Vec<String>) -> Self {
        Builder {
            f,
            services,
            components: Vec::new(),
            connections: Vec::new(),
            reasons: Vec::new(),
            assumptions,
        }
    }

    /// Adds a component. Its rationale names the answered questions among `answers`; when none of them is
    /// answered, the reason says so (an explicit assumption).
    pub(crate) fn add(&mut self, part: Part) {
        let mut answered: Vec<String> = Vec::new();
        for id in &part.answers {
            if self.f.answered(id) && !answered.iter().any(|a| a == id) {
                answered.push((*id).to_owned());
            }
        }
        let mut reason = part.reason;
        if answered.is_empty() {
            let ids = part.answers.join(", ");
            reason.push_str(
                &self.f.t(format!("（仮定: {ids} は未回答）"), format!(" (assumed: {ids} not answered)")),
            );
        }
        let config: BTreeMap<String, Value> = match part.config {
            Value::Object(m) => m.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => BTreeMap::new(),
        };
        let name = part.name.unwrap_or_else(|| {
            self.services
                .service(part.service)
                .map_or_else(|| part.service.to_owned(), |s| s.label(self.f.locale).to_owned())
        });
        self.components.push(ComponentInput {
            id: Some(part.id.to_owned()),
            service: part.service.to_owned(),
            name: Some(name),
            config,
            placement: part.placement.map(str::to_owned),
            rationale: Some(Rationale { reason, answers: answered }),
        });
    }

    /// Whether a component with this id was added.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.components.iter().any(|c| c.id.as_deref() == Some(id))
    }

    /// The display name of an added component (its id when unknown).
    pub(crate) fn name_of(&self, id: &str) -> String {
        self.components
            .iter()
            .find(|c| c.id.as_deref() == Some(id))
            .and_then(|c| c.name.clone())
            .map_or_else(|| id.to_owned(), |n| format!("{n} ({id})"))
    }

    /// Adds a connection.
    pub(crate) fn connect(&mut self, from: &str, to: &str, protocol: &str, port: u16, purpose: String) {
        self.connections.push(ConnectionInput {
            from: from.to_owned(),
            to: to.to_owned(),
            protocol: Some(protocol.to_owned()),
            port: Some(port),
            purpose: Some(purpose),
        });
    }

    /// Adds a design decision to the proposal's reasons.
    pub(crate) fn reason(&mut self, text: String) {
        if !self.reasons.contains(&text) {
            self.reasons.push(text);
        }
    }

    /// Records something assumed because an answer was missing or unclear.
    pub(crate) fn assume(&mut self, text: String) {
        if !self.assumptions.contains(&text) {
            self.assumptions.push(text);
        }
    }
}
