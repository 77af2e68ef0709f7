//! The region table validation rules use (`data/regions.yaml`, embedded): regions with their realm and number of
//! availability domains, and the services that are offered only in some regions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The built-in region table.
pub const BUILTIN_REGIONS_YAML: &str = include_str!("../../../../data/regions.yaml");

/// One OCI region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Identifier, e.g. `ap-tokyo-1`.
    pub id: String,
    /// Three-letter key, e.g. `NRT`.
    pub key: String,
    /// Realm, e.g. `oc1`.
    pub realm: String,
    /// Number of availability domains (1: spread over fault domains instead).
    pub ads: u32,
}

/// Where a service is offered (one of the two lists).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRegions {
    /// Offered only in these regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Not offered in these regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_in: Vec<String>,
}

impl ServiceRegions {
    /// Whether the service is offered in `region`.
    pub fn offered_in(&self, region: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|r| r == region))
            && !self.not_in.iter().any(|r| r == region)
    }
}

/// The region table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionTable {
    /// Format version (1).
    pub schema_version: u32,
    /// Known regions.
    pub regions: Vec<Region>,
    /// Services not offered in every region, by service id.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceRegions>,
}

impl RegionTable {
    /// Parses a table; problems (duplicates, unknown regions in service lists) are returned as text.
    pub fn parse(yaml: &str) -> Result<RegionTable, String> {
        let table: RegionTable = serde_saphyr::from_str(yaml).map_err(|e| format!("regions.yaml: {e}"))?;
        let mut problems = Vec::new();
        if table.schema_version != 1 {
            problems.push(format!("schema_version {} is not 1", table.schema_version));
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &table.regions {
            if !seen.insert(r.id.as_str()) {
                problems.push(format!("region {} appears twice", r.id));
            }
            if r.ads == 0 {
                problems.push(format!("region {} has 0 availability domains", r.id));
            }
        }
        for (service, s) in &table.services {
            if !s.only.is_empty() && !s.not_in.is_empty() {
                problems.push(format!("service {service}: give either only or not_in"));
            }
            for r in s.only.iter().chain(&s.not_in) {
                if !seen.contains(r.as_str()) {
                    problems.push(format!("service {service}: unknown region {r}"));
                }
            }
        }
        if problems.is_empty() { Ok(table) } else { Err(format!("regions.yaml: {}", problems.join("; "))) }
    }

    /// The built-in table (an empty table if it were broken, which the tests rule out).
    pub fn builtin() -> RegionTable {
        RegionTable::parse(BUILTIN_REGIONS_YAML).unwrap_or_else(|_| RegionTable {
            schema_version: 1,
            regions: Vec::new(),
            services: BTreeMap::new(),
        })
    }

    /// A region by identifier.
    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.id == id)
    }

    /// Whether `service` is offered in `region` (true for services the table does not list).
    pub fn offered(&self, service: &str, region: &str) -> bool {
        self.services.get(service).is_none_or(|s| s.offered_in(region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses() {
        let t = RegionTable::parse(BUILTIN_REGIONS_YAML).unwrap();
        assert_eq!(t.region("ap-tokyo-1").unwrap().ads, 1);
        assert_eq!(t.region("us-ashburn-1").unwrap().ads, 3);
        assert!(t.offered("generative_ai", "us-chicago-1"));
        assert!(!t.offered("generative_ai", "ap-tokyo-1"));
        assert!(t.offered("oke", "ap-tokyo-1"));
        assert!(
            RegionTable::parse("schema_version: 1\nregions: []\nservices: {x: {only: [nowhere-1]}}").is_err()
        );
    }
}
