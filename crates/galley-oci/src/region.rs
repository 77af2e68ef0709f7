//! OCI regions, realms and service endpoints.
//!
//! The region table (identifier ↔ three-letter key ↔ realm) and the realm domains come from the OCI
//! SDKs' region definitions (oci-facts §9). Lookups accept an identifier (`ap-tokyo-1`) or a key
//! (`NRT`, `nrt`), case-insensitively. A region missing from the table can still be used: it is
//! assumed to be in the commercial realm (`oc1`, `oraclecloud.com`), as the SDKs do.
//!
//! Endpoints come from per-service templates ([`endpoint_template`]), or from an override variable
//! `GALLEY_OCI_ENDPOINT_<SERVICE>` (e.g. `GALLEY_OCI_ENDPOINT_OBJECTSTORAGE=http://127.0.0.1:9100`),
//! which tests and private endpoints use.

use std::fmt;

use crate::env::Env;

/// A realm: a set of regions sharing a second-level domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Realm {
    /// `oc1`, `oc2`, …
    pub key: &'static str,
    /// The second-level domain: `oraclecloud.com`, `oraclegovcloud.com`, …
    pub domain: &'static str,
}

/// Every realm Galley knows.
pub const REALMS: &[Realm] = &[
    Realm { key: "oc1", domain: "oraclecloud.com" },
    Realm { key: "oc2", domain: "oraclegovcloud.com" },
    Realm { key: "oc3", domain: "oraclegovcloud.com" },
    Realm { key: "oc4", domain: "oraclegovcloud.uk" },
    Realm { key: "oc8", domain: "oraclecloud8.com" },
    Realm { key: "oc9", domain: "oraclecloud9.com" },
    Realm { key: "oc10", domain: "oraclecloud10.com" },
    Realm { key: "oc14", domain: "oraclecloud14.com" },
    Realm { key: "oc15", domain: "oraclecloud15.com" },
    Realm { key: "oc19", domain: "oraclecloud.eu" },
    Realm { key: "oc20", domain: "oraclecloud20.com" },
    Realm { key: "oc21", domain: "oraclecloud21.com" },
    Realm { key: "oc23", domain: "oraclecloud23.com" },
    Realm { key: "oc24", domain: "oraclecloud24.com" },
    Realm { key: "oc26", domain: "oraclecloud26.com" },
    Realm { key: "oc29", domain: "oraclecloud29.com" },
    Realm { key: "oc35", domain: "oraclecloud35.com" },
    Realm { key: "oc42", domain: "oraclecloud42.com" },
    Realm { key: "oc51", domain: "oraclecloud51.com" },
    Realm { key: "oc52", domain: "oraclecloud52.com" },
];

/// `(identifier, key, realm)` for every known region.
pub const REGION_TABLE: &[(&str, &str, &str)] = &[
    // oc1 (commercial)
    ("af-casablanca-1", "LEJ", "oc1"),
    ("af-johannesburg-1", "JNB", "oc1"),
    ("ap-batam-1", "HSG", "oc1"),
    ("ap-chuncheon-1", "YNY", "oc1"),
    ("ap-delhi-1", "ONM", "oc1"),
    ("ap-hyderabad-1", "HYD", "oc1"),
    ("ap-kulai-2", "JBP", "oc1"),
    ("ap-melbourne-1", "MEL", "oc1"),
    ("ap-mumbai-1", "BOM", "oc1"),
    ("ap-osaka-1", "KIX", "oc1"),
    ("ap-seoul-1", "ICN", "oc1"),
    ("ap-singapore-1", "SIN", "oc1"),
    ("ap-singapore-2", "XSP", "oc1"),
    ("ap-sydney-1", "SYD", "oc1"),
    ("ap-tokyo-1", "NRT", "oc1"),
    ("ca-montreal-1", "YUL", "oc1"),
    ("ca-toronto-1", "YYZ", "oc1"),
    ("eu-amsterdam-1", "AMS", "oc1"),
    ("eu-frankfurt-1", "FRA", "oc1"),
    ("eu-madrid-1", "MAD", "oc1"),
    ("eu-madrid-3", "ORF", "oc1"),
    ("eu-marseille-1", "MRS", "oc1"),
    ("eu-milan-1", "LIN", "oc1"),
    ("eu-paris-1", "CDG", "oc1"),
    ("eu-stockholm-1", "ARN", "oc1"),
    ("eu-turin-1", "NRQ", "oc1"),
    ("eu-zurich-1", "ZRH", "oc1"),
    ("il-jerusalem-1", "MTZ", "oc1"),
    ("me-abudhabi-1", "AUH", "oc1"),
    ("me-dubai-1", "DXB", "oc1"),
    ("me-jeddah-1", "JED", "oc1"),
    ("me-riyadh-1", "RUH", "oc1"),
    ("mx-monterrey-1", "MTY", "oc1"),
    ("mx-queretaro-1", "QRO", "oc1"),
    ("sa-bogota-1", "BOG", "oc1"),
    ("sa-santiago-1", "SCL", "oc1"),
    ("sa-saopaulo-1", "GRU", "oc1"),
    ("sa-valparaiso-1", "VAP", "oc1"),
    ("sa-vinhedo-1", "VCP", "oc1"),
    ("uk-cardiff-1", "CWL", "oc1"),
    ("uk-london-1", "LHR", "oc1"),
    ("us-ashburn-1", "IAD", "oc1"),
    ("us-chicago-1", "ORD", "oc1"),
    ("us-phoenix-1", "PHX", "oc1"),
    ("us-saltlake-2", "AGA", "oc1"),
    ("us-sanjose-1", "SJC", "oc1"),
    // government and sovereign realms
    ("us-langley-1", "LFI", "oc2"),
    ("us-luke-1", "LUF", "oc2"),
    ("us-gov-ashburn-1", "RIC", "oc3"),
    ("us-gov-chicago-1", "PIA", "oc3"),
    ("us-gov-phoenix-1", "TUS", "oc3"),
    ("uk-gov-cardiff-1", "BRS", "oc4"),
    ("uk-gov-london-1", "LTN", "oc4"),
    ("ap-chiyoda-1", "NJA", "oc8"),
    ("ap-ibaraki-1", "UKB", "oc8"),
    ("me-dcc-muscat-1", "MCT", "oc9"),
    ("me-ibri-1", "IBR", "oc9"),
    ("ap-dcc-canberra-1", "WGA", "oc10"),
    ("eu-dcc-dublin-1", "ORK", "oc14"),
    ("eu-dcc-dublin-2", "SNN", "oc14"),
    ("eu-dcc-milan-1", "BGY", "oc14"),
    ("eu-dcc-milan-2", "MXP", "oc14"),
    ("eu-dcc-rating-1", "DUS", "oc14"),
    ("eu-dcc-rating-2", "DTM", "oc14"),
    ("ap-dcc-gazipur-1", "DAC", "oc15"),
    ("eu-frankfurt-2", "STR", "oc19"),
    ("eu-madrid-2", "VLL", "oc19"),
    ("eu-jovanovac-1", "BEG", "oc20"),
    ("me-alrayyan-1", "VVE", "oc21"),
    ("me-dcc-doha-1", "DOH", "oc21"),
    ("us-somerset-1", "EBB", "oc23"),
    ("us-thames-1", "EBL", "oc23"),
    ("eu-crissier-1", "AVF", "oc24"),
    ("eu-dcc-zurich-1", "AVZ", "oc24"),
    ("me-abudhabi-3", "AHU", "oc26"),
    ("me-alain-1", "RBA", "oc26"),
    ("me-abudhabi-2", "RKT", "oc29"),
    ("me-abudhabi-4", "SHJ", "oc29"),
    ("ap-chuncheon-2", "BNO", "oc35"),
    ("ap-seoul-2", "DTZ", "oc35"),
    ("ap-suwon-1", "DLN", "oc35"),
    ("us-ashburn-2", "YXJ", "oc42"),
    ("us-newark-1", "PGC", "oc42"),
    ("eu-budapest-1", "JSK", "oc51"),
    ("sa-riodejaneiro-1", "HNW", "oc52"),
];

/// A region: its identifier, its key when known, and its realm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    id: String,
    key: Option<&'static str>,
    realm: Realm,
}

/// Why a region name was refused.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
#[error(
    "`{input}` is not an OCI region; use a region identifier such as `us-ashburn-1` or `ap-tokyo-1`, or a region key such as `IAD` or `NRT`"
)]
pub struct RegionError {
    /// What was given.
    pub input: String,
}

fn realm(key: &str) -> Realm {
    REALMS.iter().copied().find(|realm| realm.key == key).unwrap_or(REALMS[0])
}

impl Region {
    /// A known region by identifier or key, case-insensitively (`us-ashburn-1`, `IAD`, `iad`).
    pub fn lookup(name: &str) -> Option<Region> {
        let name = name.trim();
        REGION_TABLE
            .iter()
            .find(|(id, key, _)| id.eq_ignore_ascii_case(name) || key.eq_ignore_ascii_case(name))
            .map(|&(id, key, realm_key)| Region {
                id: id.to_owned(),
                key: Some(key),
                realm: realm(realm_key),
            })
    }

    /// A known region, or an unknown one that looks like a region identifier (`xx-name-N`, assumed in
    /// the commercial realm, as the SDKs do).
    ///
    /// # Errors
    /// [`RegionError`] when `name` is neither.
    pub fn parse(name: &str) -> Result<Region, RegionError> {
        if let Some(region) = Region::lookup(name) {
            return Ok(region);
        }
        let id = name.trim().to_ascii_lowercase();
        let parts: Vec<&str> = id.split('-').collect();
        let looks_like_id = parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
            && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if looks_like_id {
            tracing::warn!(region = %id, "region not in Galley's table; assuming the commercial realm (oraclecloud.com)");
            Ok(Region { id, key: None, realm: REALMS[0] })
        } else {
            Err(RegionError { input: name.to_owned() })
        }
    }

    /// The identifier, e.g. `ap-tokyo-1`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The three-letter key in upper case, e.g. `NRT`, when known.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// The realm.
    pub fn realm(&self) -> Realm {
        self.realm
    }

    /// The realm's second-level domain, e.g. `oraclecloud.com`.
    pub fn domain(&self) -> &'static str {
        self.realm.domain
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// Endpoint templates by normalised service name. `{region}` is the region identifier and
/// `{secondLevelDomain}` the realm's domain. Operation paths carry their API version (`/20180917/stacks`).
pub const ENDPOINT_TEMPLATES: &[(&str, &str)] = &[
    ("objectstorage", "https://objectstorage.{region}.{secondLevelDomain}"),
    ("resourcemanager", "https://resourcemanager.{region}.{secondLevelDomain}"),
    ("identity", "https://identity.{region}.oci.{secondLevelDomain}"),
    ("iaas", "https://iaas.{region}.{secondLevelDomain}"),
    ("core", "https://iaas.{region}.{secondLevelDomain}"),
    ("containerengine", "https://containerengine.{region}.oci.{secondLevelDomain}"),
    ("devops", "https://devops.{region}.oci.{secondLevelDomain}"),
    ("containerinstances", "https://compute-containers.{region}.oci.{secondLevelDomain}"),
    ("computecontainers", "https://compute-containers.{region}.oci.{secondLevelDomain}"),
    ("apigateway", "https://apigateway.{region}.oci.{secondLevelDomain}"),
    ("artifacts", "https://artifacts.{region}.oci.{secondLevelDomain}"),
    ("auth", "https://auth.{region}.{secondLevelDomain}"),
];

/// A service name normalised for lookups: ASCII alphanumerics only, lower case
/// (`Object_Storage`, `object-storage` and `objectstorage` are all `objectstorage`).
pub fn normalize_service(service: &str) -> String {
    service.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The built-in endpoint template of a service, if Galley has one.
pub fn endpoint_template(service: &str) -> Option<&'static str> {
    let service = normalize_service(service);
    ENDPOINT_TEMPLATES.iter().find(|(name, _)| *name == service).map(|(_, template)| *template)
}

/// The override variable of a service: `GALLEY_OCI_ENDPOINT_` + the normalised name in upper case.
pub fn endpoint_override_var(service: &str) -> String {
    format!("GALLEY_OCI_ENDPOINT_{}", normalize_service(service).to_ascii_uppercase())
}

/// Fills a template's `{region}` and `{secondLevelDomain}` (also `{domain}`).
pub fn fill_template(template: &str, region: &Region) -> String {
    template
        .replace("{region}", region.id())
        .replace("{secondLevelDomain}", region.domain())
        .replace("{domain}", region.domain())
}

/// Why no endpoint could be found.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum EndpointError {
    /// The service has no override and no region is known.
    #[error(
        "no region is configured, so the {service} endpoint is unknown; set GALLEY_REGION (or OCI_REGION, or `region` in the OCI config profile), or set {var}"
    )]
    NoRegion {
        /// The service.
        service: String,
        /// Its override variable.
        var: String,
    },
    /// The service has no built-in template and none was given.
    #[error("Galley has no endpoint template for the service `{service}`; pass a template or set {var}")]
    UnknownService {
        /// The service.
        service: String,
        /// Its override variable.
        var: String,
    },
    /// The override is not an http(s) URL.
    #[error("{var} must be an http:// or https:// URL, not `{value}`")]
    BadOverride {
        /// The variable.
        var: String,
        /// Its value.
        value: String,
    },
}

/// The base URL (no trailing `/`) of `service`: its `GALLEY_OCI_ENDPOINT_<SERVICE>` override when
/// set, else `template` (or the built-in template) filled for `region`.
///
/// # Errors
/// See [`EndpointError`].
pub fn resolve_endpoint(
    env: &Env,
    service: &str,
    template: Option<&str>,
    region: Option<&Region>,
) -> Result<String, EndpointError> {
    let var = endpoint_override_var(service);
    if let Some(value) = env.get(&var).filter(|v| !v.trim().is_empty()) {
        let value = value.trim();
        if !(value.starts_with("http://") || value.starts_with("https://")) {
            return Err(EndpointError::BadOverride { var, value: value.to_owned() });
        }
        return Ok(value.trim_end_matches('/').to_owned());
    }
    let template = template
        .or_else(|| endpoint_template(service))
        .ok_or_else(|| EndpointError::UnknownService { service: service.to_owned(), var: var.clone() })?;
    let region = region.ok_or_else(|| EndpointError::NoRegion { service: service.to_owned(), var })?;
    Ok(fill_template(template, region).trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::type_complexity)]

    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn lookups() {
        let cases: &[(&str, Option<(&str, &str, &str, &str)>)] = &[
            ("ap-tokyo-1", Some(("ap-tokyo-1", "NRT", "oc1", "oraclecloud.com"))),
            ("NRT", Some(("ap-tokyo-1", "NRT", "oc1", "oraclecloud.com"))),
            ("nrt", Some(("ap-tokyo-1", "NRT", "oc1", "oraclecloud.com"))),
            ("AP-TOKYO-1", Some(("ap-tokyo-1", "NRT", "oc1", "oraclecloud.com"))),
            (" iad ", Some(("us-ashburn-1", "IAD", "oc1", "oraclecloud.com"))),
            ("us-gov-ashburn-1", Some(("us-gov-ashburn-1", "RIC", "oc3", "oraclegovcloud.com"))),
            ("luf", Some(("us-luke-1", "LUF", "oc2", "oraclegovcloud.com"))),
            ("uk-gov-london-1", Some(("uk-gov-london-1", "LTN", "oc4", "oraclegovcloud.uk"))),
            ("eu-frankfurt-2", Some(("eu-frankfurt-2", "STR", "oc19", "oraclecloud.eu"))),
            ("ap-chiyoda-1", Some(("ap-chiyoda-1", "NJA", "oc8", "oraclecloud8.com"))),
            ("us-newark-1", Some(("us-newark-1", "PGC", "oc42", "oraclecloud42.com"))),
            ("sa-riodejaneiro-1", Some(("sa-riodejaneiro-1", "HNW", "oc52", "oraclecloud52.com"))),
            ("atlantis-1", None),
            ("", None),
        ];
        for (input, want) in cases {
            let got = Region::lookup(input).map(|r| (r.id().to_owned(), r.key(), r.realm().key, r.domain()));
            let want = want.map(|(id, key, realm, domain)| (id.to_owned(), Some(key), realm, domain));
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn table_is_consistent() {
        let ids: BTreeSet<_> = REGION_TABLE.iter().map(|(id, _, _)| *id).collect();
        let keys: BTreeSet<_> = REGION_TABLE.iter().map(|(_, key, _)| *key).collect();
        assert_eq!(ids.len(), REGION_TABLE.len(), "duplicate region identifier");
        assert_eq!(keys.len(), REGION_TABLE.len(), "duplicate region key");
        assert_eq!(REGION_TABLE.iter().filter(|(_, _, realm)| *realm == "oc1").count(), 46);
        for (id, key, realm_key) in REGION_TABLE {
            assert!(REALMS.iter().any(|r| r.key == *realm_key), "{id}: unknown realm {realm_key}");
            assert!(key.len() == 3 && key.bytes().all(|b| b.is_ascii_uppercase()), "{id}: key {key}");
        }
        for realm in REALMS {
            assert!(
                REGION_TABLE.iter().any(|(_, _, r)| *r == realm.key),
                "realm {} has no region",
                realm.key
            );
        }
    }

    #[test]
    fn parse_accepts_unknown_region_shapes_only() {
        let cases = [
            ("us-ashburn-1", Ok("us-ashburn-1")),
            ("xx-newplace-1", Ok("xx-newplace-1")),
            ("XX-NewPlace-2", Ok("xx-newplace-2")),
            ("ashburn", Err(())),
            ("us-ashburn", Err(())),
            ("us ashburn 1", Err(())),
        ];
        for (input, want) in cases {
            let got = Region::parse(input).map(|r| r.id().to_owned()).map_err(|_| ());
            assert_eq!(got, want.map(str::to_owned), "{input}");
        }
        assert!(Region::parse("ashburn").unwrap_err().to_string().contains("us-ashburn-1"));
    }

    #[test]
    fn endpoints() {
        let tokyo = Region::lookup("ap-tokyo-1");
        let gov = Region::lookup("us-gov-phoenix-1");
        let env = Env::from_pairs([
            ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", "http://127.0.0.1:9100/"),
            ("GALLEY_OCI_ENDPOINT_DEVOPS", "ftp://x"),
        ]);
        let cases: &[(&str, Option<&str>, Option<&Region>, Result<&str, &str>)] = &[
            ("objectstorage", None, tokyo.as_ref(), Ok("http://127.0.0.1:9100")),
            ("object_storage", None, None, Ok("http://127.0.0.1:9100")),
            (
                "resourcemanager",
                None,
                tokyo.as_ref(),
                Ok("https://resourcemanager.ap-tokyo-1.oraclecloud.com"),
            ),
            ("identity", None, gov.as_ref(), Ok("https://identity.us-gov-phoenix-1.oci.oraclegovcloud.com")),
            ("iaas", None, tokyo.as_ref(), Ok("https://iaas.ap-tokyo-1.oraclecloud.com")),
            (
                "containerengine",
                None,
                tokyo.as_ref(),
                Ok("https://containerengine.ap-tokyo-1.oci.oraclecloud.com"),
            ),
            (
                "container-instances",
                None,
                tokyo.as_ref(),
                Ok("https://compute-containers.ap-tokyo-1.oci.oraclecloud.com"),
            ),
            ("auth", None, gov.as_ref(), Ok("https://auth.us-gov-phoenix-1.oraclegovcloud.com")),
            (
                "logging",
                Some("https://logging.{region}.oci.{secondLevelDomain}"),
                tokyo.as_ref(),
                Ok("https://logging.ap-tokyo-1.oci.oraclecloud.com"),
            ),
            ("logging", None, tokyo.as_ref(), Err("GALLEY_OCI_ENDPOINT_LOGGING")),
            ("identity", None, None, Err("GALLEY_REGION")),
            ("devops", None, tokyo.as_ref(), Err("ftp://x")),
        ];
        for (service, template, region, want) in cases {
            let got = resolve_endpoint(&env, service, *template, *region);
            match want {
                Ok(url) => assert_eq!(got.as_deref(), Ok(*url), "{service}"),
                Err(fragment) => {
                    let err = got.unwrap_err().to_string();
                    assert!(err.contains(fragment), "{service}: {err}");
                }
            }
        }
    }
}
