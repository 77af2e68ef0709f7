//! The distribution Terraform in `deploy/`, parsed with hcl-rs and checked for what a user's tenancy relies on:
//! exactly four input variables, the MCP URL (with its token) as a sensitive output, no public IP on the container,
//! the token enforced at the API gateway by dynamic routing with a 401 default (and no query validation that would
//! answer Claude's OAuth probes with 400), and IAM that never reaches `any-user` or manages anything tenancy-wide.
//! Run alone with `cargo test -p galley --test cli deploy`; `.ci/deploy.sh` adds fmt, checkov and the schema check.

use std::collections::BTreeSet;
use std::path::PathBuf;

use hcl::expr::TemplateExpr;
use hcl::{Block, Body, Expression};

/// Every top-level block of every `deploy/*.tf`, with the file it came from.
struct Deploy {
    blocks: Vec<(String, Block)>,
}

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn load() -> Deploy {
    let dir = deploy_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "expected the deployment's .tf files in {}", dir.display());
    let mut blocks = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        blocks.extend(body.into_blocks().map(|b| (name.clone(), b)));
    }
    Deploy { blocks }
}

impl Deploy {
    /// Top-level blocks `ident "label0" ...`.
    fn top(&self, ident: &str) -> impl Iterator<Item = &Block> {
        self.blocks.iter().map(|(_, b)| b).filter(move |b| b.identifier() == ident)
    }

    /// `resource "<ty>" "<name>"` blocks of one type: (name, body).
    fn resources(&self, ty: &str) -> Vec<(&str, &Body)> {
        self.top("resource")
            .filter(|b| label(b, 0) == Some(ty))
            .map(|b| (label(b, 1).unwrap(), b.body()))
            .collect()
    }

    /// The one `resource "<ty>" "<name>"`.
    fn resource(&self, ty: &str, name: &str) -> &Body {
        let found: Vec<_> = self.resources(ty).into_iter().filter(|(n, _)| *n == name).collect();
        assert_eq!(found.len(), 1, "expected exactly one resource {ty}.{name}");
        found[0].1
    }

    /// The one resource of a type.
    fn only(&self, ty: &str) -> &Body {
        let found = self.resources(ty);
        assert_eq!(found.len(), 1, "expected exactly one {ty}, found {}", found.len());
        found[0].1
    }
}

fn label(b: &Block, i: usize) -> Option<&str> {
    b.labels().get(i).map(|l| l.as_str())
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

fn sub<'a>(body: &'a Body, ident: &str) -> Vec<&'a Body> {
    body.blocks().filter(|b| b.identifier() == ident).map(|b| b.body()).collect()
}

fn one<'a>(body: &'a Body, ident: &str) -> &'a Body {
    let found = sub(body, ident);
    assert_eq!(found.len(), 1, "expected exactly one `{ident}` block");
    found[0]
}

/// An expression as text: the raw template of a string (interpolations kept as `${...}`), HCL for the rest.
fn text(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        Expression::TemplateExpr(t) => match t.as_ref() {
            TemplateExpr::QuotedString(s) => s.clone(),
            TemplateExpr::Heredoc(h) => h.template.clone(),
        },
        other => hcl::format::to_string(other).unwrap(),
    }
}

/// A literal list as the text of each element.
fn list(body: &Body, key: &str) -> Vec<String> {
    match attr(body, key) {
        Some(Expression::Array(items)) => items.iter().map(text).collect(),
        other => panic!("`{key}` must be a literal list, is {other:?}"),
    }
}

fn attr_text(body: &Body, key: &str) -> String {
    text(attr(body, key).unwrap_or_else(|| panic!("missing attribute `{key}`")))
}

fn is_true(body: &Body, key: &str) -> bool {
    matches!(attr(body, key), Some(Expression::Bool(true)))
}

fn number(body: &Body, key: &str) -> Option<f64> {
    match attr(body, key)? {
        Expression::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Every block nested anywhere below `body` with this identifier.
fn nested<'a>(body: &'a Body, ident: &str, out: &mut Vec<&'a Body>) {
    for b in body.blocks() {
        if b.identifier() == ident {
            out.push(b.body());
        }
        nested(b.body(), ident, out);
    }
}

const TOKEN_REF: &str = "random_password.token.result";

#[test]
fn deploy_variables_are_exactly_the_four_and_the_optional_ones_have_defaults() {
    let d = load();
    let vars: Vec<(&str, &Body)> = d.top("variable").map(|b| (label(b, 0).unwrap(), b.body())).collect();
    let names: BTreeSet<&str> = vars.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        BTreeSet::from(["compartment_id", "region", "galley_work_compartment_id", "image_tag"]),
        "the only inputs are these four; everything else is discovered"
    );
    assert_eq!(vars.len(), 4, "a variable is declared twice");
    let var = |n: &str| vars.iter().find(|(v, _)| *v == n).unwrap().1;
    for required in ["compartment_id", "region"] {
        assert!(attr(var(required), "default").is_none(), "{required} must be required (no default)");
    }
    assert_eq!(
        attr(var("galley_work_compartment_id"), "default"),
        Some(&Expression::Null),
        "galley_work_compartment_id defaults to null (then compartment_id is used)"
    );
    assert_eq!(attr(var("image_tag"), "default"), Some(&Expression::String("latest".into())));
    // null means "use compartment_id" somewhere
    let locals: String = d.top("locals").map(|b| hcl::format::to_string(b.body()).unwrap()).collect();
    assert!(
        locals.contains(
            "var.galley_work_compartment_id != null ? var.galley_work_compartment_id : var.compartment_id"
        ),
        "the work compartment falls back to compartment_id"
    );
}

#[test]
fn deploy_outputs_the_mcp_url_with_its_token_as_sensitive_and_says_how_to_read_it() {
    let d = load();
    let outputs: Vec<(&str, &Body)> = d.top("output").map(|b| (label(b, 0).unwrap(), b.body())).collect();
    let with_token: Vec<_> = outputs
        .iter()
        .filter(|(_, b)| {
            let v = attr_text(b, "value");
            v.contains("/mcp?token=") && v.contains(TOKEN_REF)
        })
        .collect();
    assert_eq!(with_token.len(), 1, "exactly one output is the MCP URL with the token");
    let (name, url) = with_token[0];
    assert_eq!(*name, "mcp_url");
    assert!(is_true(url, "sensitive"), "the URL carries the token: it must be sensitive");
    assert!(attr_text(url, "value").starts_with("https://"), "the URL is HTTPS");
    // every other output mentioning the token must be sensitive too
    for (n, b) in &outputs {
        if attr_text(b, "value").contains(TOKEN_REF) {
            assert!(is_true(b, "sensitive"), "output {n} exposes the token");
        }
    }
    let how = outputs.iter().find(|(n, _)| *n == "how_to_connect").expect("a how_to_connect output").1;
    assert!(!is_true(how, "sensitive"));
    assert!(attr_text(how, "value").contains("terraform output -raw mcp_url"));
}

#[test]
fn deploy_container_instance_is_private_and_configured_for_oci() {
    let d = load();
    let ci = d.only("oci_container_instances_container_instance");
    let vnics = sub(ci, "vnics");
    assert!(!vnics.is_empty());
    for vnic in &vnics {
        assert_eq!(
            attr(vnic, "is_public_ip_assigned"),
            Some(&Expression::Bool(false)),
            "the container must not get a public IP"
        );
        assert_eq!(attr_text(vnic, "subnet_id"), "oci_core_subnet.private.id");
    }
    let private = d.resource("oci_core_subnet", "private");
    assert!(is_true(private, "prohibit_public_ip_on_vnic"), "the private subnet refuses public IPs");
    assert!(is_true(private, "prohibit_internet_ingress"));

    assert_eq!(attr_text(ci, "container_restart_policy"), "ALWAYS");
    let container = one(ci, "containers");
    assert!(attr_text(container, "image_url").contains("local.image_url"));
    assert!(
        !is_true(container, "is_resource_principal_disabled"),
        "Galley calls OCI with the resource principal"
    );
    let Some(Expression::Object(env)) = attr(container, "environment_variables") else {
        panic!("environment_variables must be a literal map");
    };
    let env_of = |k: &str| {
        env.iter()
            .find(|(key, _)| hcl::format::to_string(*key).unwrap().trim_matches('"') == k)
            .map(|(_, v)| text(v))
            .unwrap_or_else(|| panic!("missing env {k}"))
    };
    assert!(env_of("GALLEY_STORE").starts_with("oci://${local.namespace}/"));
    assert_eq!(env_of("GALLEY_AUTH_TOKEN"), TOKEN_REF);
    assert_eq!(env_of("GALLEY_OCI_AUTH"), "resource_principal");
    assert_eq!(env_of("GALLEY_REGION"), "var.region");
    assert_eq!(env_of("GALLEY_WORK_COMPARTMENT_ID"), "local.work_compartment_id");

    let hc = one(container, "health_checks");
    assert_eq!(attr_text(hc, "health_check_type"), "HTTP");
    assert_eq!(
        attr_text(hc, "path"),
        "/healthz",
        "health checks need the plain route: /mcp answers 406 to a GET"
    );
    assert_eq!(attr_text(hc, "port"), "local.galley_port");

    // the image path is derived, never a variable: <region-key>.ocir.io/<namespace>/galley:<tag>
    let locals: String = d.top("locals").map(|b| hcl::format::to_string(b.body()).unwrap()).collect();
    assert!(
        locals.contains(r#""${local.region_key}.ocir.io/${local.namespace}/galley:${var.image_tag}""#),
        "{locals}"
    );
}

#[test]
fn deploy_gateway_checks_the_token_by_dynamic_routing_with_a_401_default() {
    let d = load();
    let gw = d.only("oci_apigateway_gateway");
    assert_eq!(attr_text(gw, "endpoint_type"), "PUBLIC", "upper case, or the API refuses it");
    assert_eq!(attr_text(gw, "subnet_id"), "oci_core_subnet.public.id");

    let dep = d.only("oci_apigateway_deployment");
    let spec = one(dep, "specification");
    let routes = sub(spec, "routes");
    let mcp: Vec<_> = routes.iter().filter(|r| attr_text(r, "path") == "/mcp").collect();
    assert_eq!(mcp.len(), 1, "one /mcp route");
    let methods = list(mcp[0], "methods");
    assert!(methods.iter().any(|m| m == "POST"), "{methods:?}");

    let backend = one(mcp[0], "backend");
    assert_eq!(attr_text(backend, "type"), "DYNAMIC_ROUTING_BACKEND");
    let source = one(backend, "selection_source");
    assert_eq!(attr_text(source, "type"), "SINGLE");
    assert_eq!(attr_text(source, "selector"), "request.query[token]");

    let branches = sub(backend, "routing_backends");
    assert_eq!(branches.len(), 2, "the token branch and the default branch");
    let (mut token_branch, mut default_branch) = (None, None);
    for b in &branches {
        let key = one(b, "key");
        if is_true(key, "is_default") {
            default_branch = Some(one(b, "backend"));
        } else {
            assert_eq!(attr_text(key, "type"), "ANY_OF");
            assert_eq!(list(key, "values"), [TOKEN_REF], "the branch matches exactly the token");
            token_branch = Some(one(b, "backend"));
        }
    }
    let deny = default_branch.expect("a default branch (is_default = true)");
    assert_eq!(attr_text(deny, "type"), "STOCK_RESPONSE_BACKEND");
    assert_eq!(number(deny, "status"), Some(401.0), "no token or a wrong one gets 401");
    let allow = token_branch.expect("a branch for the token");
    assert_eq!(attr_text(allow, "type"), "HTTP_BACKEND");
    assert_eq!(attr_text(allow, "url"), "http://${local.galley_ip}:${local.galley_port}/mcp");
    let read = number(allow, "read_timeout_in_seconds").expect("a read timeout for long tool calls");
    assert!(
        (60.0..=300.0).contains(&read),
        "read timeout {read}: long calls need more than the 10 s default"
    );

    // Claude Desktop's token-less OAuth probes must get 401/404, never 400: no query validation that enforces.
    let mut validations = Vec::new();
    nested(spec, "query_parameter_validations", &mut validations);
    for v in validations {
        let mode = attr(v, "validation_mode").map(text).unwrap_or_default();
        assert_ne!(mode, "ENFORCING", "ENFORCING query validation answers token-less probes with 400");
    }
    // and the token is passed on: Galley checks it again
    let mut filters = Vec::new();
    nested(spec, "filter_query_parameters", &mut filters);
    assert!(filters.is_empty(), "the token must reach Galley (defense in depth)");

    // OAuth discovery gets an explicit 404 (or 401), never 400
    let well_known: Vec<_> =
        routes.iter().filter(|r| attr_text(r, "path").starts_with("/.well-known/")).collect();
    assert_eq!(well_known.len(), 1);
    let b = one(well_known[0], "backend");
    assert_eq!(attr_text(b, "type"), "STOCK_RESPONSE_BACKEND");
    assert!(matches!(number(b, "status"), Some(s) if s == 404.0 || s == 401.0));
    assert_eq!(attr_text(dep, "path_prefix"), "/", "so /.well-known/... at the root reaches this deployment");
}

#[test]
fn deploy_token_is_long_random_and_url_safe() {
    let d = load();
    let token = d.resource("random_password", "token");
    assert!(number(token, "length").is_some_and(|l| l >= 32.0), "at least 32 characters");
    assert_eq!(
        attr(token, "special"),
        Some(&Expression::Bool(false)),
        "no characters that need URL escaping"
    );
    assert!(attr(token, "override_special").is_none());
}

/// Why a policy statement is not acceptable, or `None`. Statements are normalised (lower case, single spaces).
/// Allowed `in tenancy`: only what cannot be scoped to a compartment, listed here with the reason.
fn statement_problem(raw: &str) -> Option<String> {
    const TENANCY_ALLOW_LIST: [&str; 1] = [
        // The Object Storage namespace is a tenancy-level resource: it cannot be granted per compartment. Read-only.
        "to read objectstorage-namespaces in tenancy",
    ];
    let s = raw.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    if !s.starts_with("allow ") {
        return Some("not an allow statement".into());
    }
    if s.contains("any-user") || s.contains("any-group") {
        return Some("addresses any-user/any-group".into());
    }
    if !s.starts_with("allow dynamic-group ") {
        return Some("grants to something other than Galley's dynamic group".into());
    }
    if s.contains("manage all-resources in tenancy") {
        return Some("manage all-resources in tenancy".into());
    }
    if s.contains(" in tenancy") {
        return if TENANCY_ALLOW_LIST.iter().any(|a| s.ends_with(a)) {
            None
        } else {
            Some("tenancy-wide and not in the documented allow-list".into())
        };
    }
    if !s.contains(" in compartment id ") {
        return Some("not scoped to a compartment (by OCID)".into());
    }
    if s.contains(" manage objects ") && !s.contains("where target.bucket.name") {
        return Some("objects not limited to the one bucket".into());
    }
    None
}

#[test]
fn deploy_statement_rule_catches_what_it_must() {
    let bad = [
        "Allow any-user to read objects in compartment id x",
        "Allow dynamic-group id x to manage all-resources in tenancy",
        "Allow dynamic-group id x to MANAGE   all-resources IN tenancy",
        "Allow dynamic-group id x to read buckets in tenancy",
        "Allow dynamic-group id x to manage objects in compartment id c",
        "Allow group admins to manage objects in compartment id c where target.bucket.name = 'b'",
        "Allow dynamic-group id x to use functions-family in compartment id c where request.principal.type = 'x' or any-user",
        "Allow dynamic-group id x to read buckets in compartment galley",
    ];
    for s in bad {
        assert!(statement_problem(s).is_some(), "should be refused: {s}");
    }
    let good = [
        "Allow dynamic-group id x to read objectstorage-namespaces in tenancy",
        "Allow dynamic-group id x to manage objects in compartment id c where target.bucket.name = 'b'",
        "Allow dynamic-group id x to manage all-resources in compartment id w",
    ];
    for s in good {
        assert_eq!(statement_problem(s), None, "{s}");
    }
}

#[test]
fn deploy_policies_are_least_privilege_and_attached_where_they_apply() {
    let d = load();
    let policies = d.resources("oci_identity_policy");
    assert!(!policies.is_empty());
    let mut all = Vec::new();
    for (name, p) in &policies {
        assert_eq!(attr_text(p, "provider"), "oci.home", "IAM writes go to the home region");
        let attached = attr_text(p, "compartment_id");
        let Some(Expression::Array(statements)) = attr(p, "statements") else {
            panic!("{name}: statements must be a literal list");
        };
        for st in statements {
            let s = text(st);
            if let Some(problem) = statement_problem(&s) {
                panic!("policy {name}: {problem}: {s}");
            }
            assert!(
                s.starts_with("Allow dynamic-group id ${oci_identity_dynamic_group.galley.id} to "),
                "policy {name} names the dynamic group by OCID (works with identity domains): {s}"
            );
            // A statement must be attached at the compartment it is about (or, for `in tenancy`, the root).
            let scope = if s.ends_with(" in tenancy") {
                "${local.tenancy_id}".to_owned()
            } else {
                let after = s.split(" in compartment id ").nth(1).unwrap();
                after.split_whitespace().next().unwrap().to_owned()
            };
            assert_eq!(format!("${{{attached}}}"), scope, "policy {name} is attached where it applies: {s}");
            all.push(s);
        }
    }
    let has = |needle: &str| all.iter().any(|s| s.contains(needle));
    assert!(has(
        "to manage objects in compartment id ${var.compartment_id} where target.bucket.name = '${local.bucket_name}'"
    ));
    assert!(has(
        "to read buckets in compartment id ${var.compartment_id} where target.bucket.name = '${local.bucket_name}'"
    ));
    // verification resources: the work compartment, and nothing broad anywhere else
    for s in &all {
        if s.contains("all-resources") {
            assert!(
                s.ends_with("to manage all-resources in compartment id ${local.work_compartment_id}"),
                "{s}"
            );
        }
    }

    let dg = d.only("oci_identity_dynamic_group");
    assert_eq!(
        attr_text(dg, "compartment_id"),
        "local.tenancy_id",
        "dynamic groups live in the root compartment"
    );
    assert_eq!(attr_text(dg, "provider"), "oci.home");
    let rule = attr_text(dg, "matching_rule");
    assert!(rule.contains("resource.type = 'computecontainerinstance'"), "{rule}");
    assert!(
        rule.contains("resource.compartment.id = '${var.compartment_id}'"),
        "scoped by compartment: {rule}"
    );
    assert!(rule.starts_with("ALL {"), "both conditions must hold: {rule}");
}

#[test]
fn deploy_network_opens_only_443_to_the_internet_and_8080_from_the_gateway_subnet() {
    let d = load();
    let lists = d.resources("oci_core_security_list");
    assert_eq!(lists.len(), 2);
    for (name, sl) in &lists {
        for rule in sub(sl, "ingress_security_rules") {
            let source = attr_text(rule, "source");
            let protocol = attr_text(rule, "protocol");
            let ports = sub(rule, "tcp_options")
                .first()
                .map(|t| (attr_text(t, "min"), attr_text(t, "max")))
                .unwrap_or_default();
            match (*name, protocol.as_str()) {
                // ICMP type 3 code 4 only (path MTU discovery)
                (_, "1") => {
                    let icmp = one(rule, "icmp_options");
                    assert_eq!((number(icmp, "type"), number(icmp, "code")), (Some(3.0), Some(4.0)));
                }
                ("public", "6") => {
                    assert_eq!(source, "0.0.0.0/0");
                    assert_eq!(ports, ("443".into(), "443".into()), "only HTTPS from the internet");
                }
                ("private", "6") => {
                    assert_eq!(source, "local.public_cidr", "only from the gateway subnet");
                    assert_eq!(ports, ("local.galley_port".into(), "local.galley_port".into()));
                }
                other => panic!("unexpected ingress rule {other:?} in {name}"),
            }
        }
    }
    let locals: String = d.top("locals").map(|b| hcl::format::to_string(b.body()).unwrap()).collect();
    assert!(locals.contains("cidrsubnet(local.vcn_cidr"), "subnets are derived from the VCN CIDR");
    assert!(locals.contains("galley_port = 8080"), "{locals}");
    assert_eq!(
        attr_text(d.resource("oci_core_subnet", "public"), "route_table_id"),
        "oci_core_route_table.public.id"
    );
    assert_eq!(
        attr_text(d.resource("oci_core_subnet", "private"), "route_table_id"),
        "oci_core_route_table.private.id"
    );

    // the service gateway uses the regex, never a region-specific service name
    let services =
        d.top("data").find(|b| label(b, 0) == Some("oci_core_services")).expect("data oci_core_services");
    let filter = one(services.body(), "filter");
    assert_eq!(list(filter, "values"), ["All .* Services In Oracle Services Network"]);
    assert!(is_true(filter, "regex"));
    let everything: String = d.blocks.iter().map(|(_, b)| hcl::format::to_string(b).unwrap()).collect();
    assert!(!everything.contains("-services-in-oracle-services-network"));
}

#[test]
fn deploy_discovers_the_tenancy_and_takes_credentials_from_the_environment() {
    let d = load();
    let providers: Vec<&Body> =
        d.top("provider").filter(|b| label(b, 0) == Some("oci")).map(|b| b.body()).collect();
    assert!(!providers.is_empty());
    for p in &providers {
        for secret in [
            "private_key",
            "private_key_path",
            "private_key_password",
            "fingerprint",
            "user_ocid",
            "tenancy_ocid",
        ] {
            assert!(attr(p, secret).is_none(), "no credentials in files: provider sets {secret}");
        }
    }
    let default = providers.iter().find(|p| attr(p, "alias").is_none()).expect("a default oci provider");
    assert_eq!(attr_text(default, "region"), "var.region");

    // tenancy from the availability domains' compartment (the Identity API returns the tenancy OCID there)
    let locals: String = d.top("locals").map(|b| hcl::format::to_string(b.body()).unwrap()).collect();
    assert!(
        locals.contains(
            "tenancy_id = data.oci_identity_availability_domains.ads.availability_domains[0].compartment_id"
        ),
        "{locals}"
    );
    let versions = d.top("terraform").next().expect("a terraform block");
    let rp = one(versions.body(), "required_providers");
    let oci = attr_text(rp, "oci");
    assert!(oci.contains("oracle/oci") && oci.contains("8.28"), "{oci}");
    assert!(attr_text(rp, "random").contains("hashicorp/random"));
}
