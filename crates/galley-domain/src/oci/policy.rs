//! The mutation policy for the two tools that reach OCI (`oci_sdk_call`, `run_oci_cli`).
//!
//! Every call is classified as a [`Class::Read`], a [`Class::Mutation`] or a [`Class::Destructive`] change, from
//! the SDK operation name ([`classify_operation`]), the HTTP method of a raw call ([`classify_raw`]) or the OCI CLI
//! command ([`check_cli`]); then [`decide`] allows or refuses it for the server's [`WriteMode`]:
//!
//! | class       | read-only | plan   | full                                   |
//! |-------------|-----------|--------|----------------------------------------|
//! | read        | allow     | allow  | allow                                  |
//! | mutation    | refuse    | refuse | allow                                  |
//! | destructive | refuse    | refuse | allow only with `confirm_destructive`  |
//!
//! `plan` refuses mutations because a direct OCI change is an apply without a plan. Names Galley does not recognise
//! are mutations (never reads), so a new verb cannot slip through read-only mode.
//!
//! The CLI check also refuses, in every mode, arguments that would change whom Galley trusts or where requests go
//! (endpoint, config file, profile, auth, certificates, proxies, debug output that prints signed headers), that
//! read or write the server's own files (Galley's credentials live there), and the commands that manage local
//! credentials (`setup`, `session`) or send a signed request to any URL (`raw-request`).

use std::fmt;

use serde::Serialize;

/// What a call does to OCI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Reads only (list, get, search, summarize, head).
    Read,
    /// Creates or changes resources.
    Mutation,
    /// Deletes, terminates, cancels or removes something.
    Destructive,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Read => "read",
            Class::Mutation => "mutation",
            Class::Destructive => "destructive",
        })
    }
}

/// What the server lets the model change (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteMode {
    /// Reads only.
    ReadOnly,
    /// Plans, but no changes to real resources.
    Plan,
    /// Everything (destructive changes still need an explicit confirmation).
    #[default]
    Full,
}

/// Allowed, or refused with a message that says why and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused; the message is for the model.
    Refuse(String),
}

/// Allows or refuses a call of `class` in `mode`.
pub fn decide(mode: WriteMode, class: Class, confirm_destructive: bool) -> Decision {
    match (class, mode) {
        (Class::Read, _) => Decision::Allow,
        (_, WriteMode::ReadOnly) => Decision::Refuse(format!(
            "refused: this is a {class} call and Galley runs in read-only mode (--mode read-only), which allows only \
             reads (list, get, search, summarize). Tell the user; the Galley operator can restart it with --mode full."
        )),
        (_, WriteMode::Plan) => Decision::Refuse(format!(
            "refused: this is a {class} call and Galley runs in plan mode (--mode plan), which allows plans and reads \
             but no direct changes to OCI resources. Use reads (list, get) here, or ask the operator for --mode full."
        )),
        (Class::Mutation, WriteMode::Full) => Decision::Allow,
        (Class::Destructive, WriteMode::Full) if confirm_destructive => Decision::Allow,
        (Class::Destructive, WriteMode::Full) => Decision::Refuse(
            "refused: this call deletes, terminates, cancels or removes something and cannot be undone. Show the user \
             exactly what will be destroyed and ask them; only if they agree, call again with confirm_destructive=true."
                .to_owned(),
        ),
    }
}

/// First words (of an SDK operation or a CLI verb) that only read.
const READ_WORDS: &[&str] =
    &["list", "get", "head", "search", "summarize", "show", "view", "describe", "find", "lookup"];

/// Words that make a call destructive wherever they appear in the name (`bulk_delete`, `schedule_key_deletion`).
const DESTRUCTIVE_WORDS: &[&str] = &[
    "delete",
    "deletion",
    "terminate",
    "termination",
    "cancel",
    "remove",
    "purge",
    "drop",
    "destroy",
    "revoke",
    "uninstall",
    "erase",
    "wipe",
];

/// SDK operations that read although their first word is not a read word.
const READ_OPERATIONS_PREFIXES: &[&str] = &["request_summarized_", "structured_search", "free_text_search"];

/// Classifies an SDK operation name (`list_instances`, `DeleteBucket`, `terminate_instance`).
pub fn classify_operation(name: &str) -> Class {
    let snake = to_snake(name);
    let words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else { return Class::Mutation };
    if READ_WORDS.contains(first) || READ_OPERATIONS_PREFIXES.iter().any(|p| snake.starts_with(p)) {
        return Class::Read;
    }
    if words.iter().any(|w| DESTRUCTIVE_WORDS.contains(w)) {
        return Class::Destructive;
    }
    Class::Mutation
}

/// Classifies a raw call by HTTP method (and, for POST, a destructive action in the path such as
/// `/actions/terminate`).
pub fn classify_raw(method: &str, path: &str) -> Class {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => Class::Read,
        "DELETE" => Class::Destructive,
        _ => {
            let path = path.split('?').next().unwrap_or_default().to_ascii_lowercase();
            let destructive = path.split(['/', '-', '_']).any(|w| DESTRUCTIVE_WORDS.contains(&w));
            if destructive { Class::Destructive } else { Class::Mutation }
        }
    }
}

fn to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

// ---------- the OCI CLI ----------

/// Options refused anywhere in the argv: they change whom Galley trusts or where requests go.
const TRUST_OPTIONS: &[(&str, &str)] = &[
    ("--endpoint", "it sends the request (signed with Galley's credentials) to another host"),
    ("--config-file", "it makes the CLI load other credentials"),
    ("--profile", "it makes the CLI use other credentials"),
    ("--auth", "Galley chooses the authentication itself"),
    ("--auth-purpose", "Galley chooses the authentication itself"),
    ("--cert-bundle", "it changes which TLS certificates are trusted"),
    ("--federation-endpoint", "it changes where instance-principal credentials come from"),
    ("--proxy", "it routes requests through another host"),
    ("--realm-specific-endpoint", "it changes the endpoint host"),
    ("--cli-rc-file", "it loads defaults (which can set an endpoint or profile) from a file"),
    ("--defaults-file", "it loads defaults (which can set an endpoint or profile) from a file"),
    ("--debug", "debug output prints signed request headers and credentials"),
    ("-d", "debug output (--debug) prints signed request headers and credentials"),
    ("--cli-auto-prompt", "it is interactive"),
    ("-i", "it is interactive (--cli-auto-prompt)"),
    ("--generate-full-command-json-input", "it prints an input template instead of calling OCI"),
    ("--generate-param-json-input", "it prints an input template instead of calling OCI"),
];

/// Root short flags click lets a user bundle (`-dv`): a bundle with a refused one is refused.
const ROOT_SHORT_FLAGS: &str = "dvhi?";

/// Commands refused as a whole.
const REFUSED_COMMANDS: &[(&str, &str)] = &[
    ("setup", "it writes local keys and config files; the operator configures Galley's credentials"),
    ("session", "it manages local session tokens; the operator configures Galley's credentials"),
    ("raw-request", "it sends a signed request to any URL given; use the service commands instead"),
];

/// Root options that take a value (skipped when they come before the command).
const ROOT_VALUE_OPTIONS: &[&str] = &[
    "--region",
    "--output",
    "--query",
    "--opc-request-id",
    "--opc-client-request-id",
    "--request-id",
    "--connection-timeout",
    "--read-timeout",
    "--max-retries",
    "--enable-propagation",
];

/// What a CLI argv does, once it passed the refusal rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliCommand {
    /// The service (`os`, `compute`, `network`), the first command word.
    pub service: String,
    /// Every command word (`["os", "object", "delete"]`).
    pub words: Vec<String>,
    /// The word that decided the class (`delete`), if one did.
    pub verb: Option<String>,
    /// Read, mutation or destructive.
    pub class: Class,
}

/// Why an argv is refused whatever the mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CliRefusal(pub String);

fn option_name(token: &str) -> &str {
    token.split_once('=').map_or(token, |(name, _)| name)
}

/// Whether an option names a file or directory on the machine Galley runs on.
fn is_local_path_option(name: &str) -> bool {
    if name.starts_with("--is-") || name.starts_with("--should-") {
        return false;
    }
    name == "--file"
        || name == "--config-source"
        || name.ends_with("-file")
        || name.ends_with("-dir")
        || name.ends_with("-directory")
        || name == "--src"
        || name == "--dest"
}

fn is_valid_region(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Checks an OCI CLI argv (without the leading `oci`) and classifies it. Refuses trust- and target-changing
/// options, local file access and credential commands in every mode; the caller then applies [`decide`].
pub fn check_cli(args: &[String]) -> Result<CliCommand, CliRefusal> {
    if args.is_empty() {
        return Err(CliRefusal(
            "args is empty: pass the OCI CLI arguments without `oci`, e.g. [\"os\", \"ns\", \"get\"] or [\"compute\", \
             \"instance\", \"list\", \"--compartment-id\", \"ocid1.compartment...\"]"
                .to_owned(),
        ));
    }
    // Refusal rules look at every token (a value that looks like a refused option is refused too: conservative).
    for (i, token) in args.iter().enumerate() {
        let name = option_name(token);
        if let Some((opt, why)) = TRUST_OPTIONS.iter().find(|(o, _)| *o == name) {
            return Err(CliRefusal(format!(
                "refused: {opt} is not allowed because {why}. Remove it; the Galley operator configures credentials \
                 and endpoints (GALLEY_OCI_AUTH, GALLEY_OCI_ENDPOINT_<SERVICE>)."
            )));
        }
        if let Some(flags) = token.strip_prefix('-').filter(|f| !f.starts_with('-') && f.len() > 1)
            && flags.chars().all(|c| ROOT_SHORT_FLAGS.contains(c))
            && flags.chars().any(|c| c == 'd' || c == 'i')
        {
            return Err(CliRefusal(format!(
                "refused: {token} bundles -d (--debug, which prints signed headers) or -i (interactive). Remove it."
            )));
        }
        let value = match token.split_once('=') {
            Some((_, v)) => Some(v),
            None => args.get(i + 1).map(String::as_str),
        };
        if name.starts_with("--") && is_local_path_option(name) && value != Some("-") {
            return Err(CliRefusal(format!(
                "refused: {name} reads or writes a file on the Galley server, whose files (credentials among them) \
                 are off limits. Pass content inline instead (JSON options take a JSON string), or use `{name} -` \
                 where the CLI accepts standard input/output."
            )));
        }
        let raw_value = token.split_once('=').map_or(token.as_str(), |(_, v)| v);
        if raw_value.starts_with("file://") || raw_value.starts_with("fileb://") {
            return Err(CliRefusal(format!(
                "refused: {raw_value:?} reads a file on the Galley server, whose files (credentials among them) are \
                 off limits. Pass the JSON inline as a string instead."
            )));
        }
        if name == "--region" {
            let region =
                token.split_once('=').map(|(_, v)| v).or_else(|| args.get(i + 1).map(String::as_str));
            if !region.is_some_and(is_valid_region) {
                return Err(CliRefusal(
                    "refused: --region takes a region identifier such as ap-tokyo-1 (letters, digits and '-' only)"
                        .to_owned(),
                ));
            }
        }
    }
    let words = command_words(args);
    let Some(service) = words.first().cloned() else {
        return Err(CliRefusal(
            "no command found: args must name a service and a command, e.g. [\"os\", \"ns\", \"get\"]"
                .to_owned(),
        ));
    };
    if let Some((cmd, why)) = REFUSED_COMMANDS.iter().find(|(c, _)| *c == service) {
        return Err(CliRefusal(format!("refused: `oci {cmd}` is not allowed because {why}.")));
    }
    let (class, verb) = classify_cli_words(&words[1..]);
    let destructive_option = args.iter().any(|t| option_name(t) == "--delete");
    let class = if destructive_option { Class::Destructive } else { class };
    Ok(CliCommand { service, words, verb, class })
}

/// The command words: the first run of non-option tokens, after root options (and their values) given first.
fn command_words(args: &[String]) -> Vec<String> {
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let takes_value = ROOT_VALUE_OPTIONS.contains(&args[i].as_str());
        i += if takes_value { 2 } else { 1 };
    }
    args.iter().skip(i).take_while(|t| !t.starts_with('-')).cloned().collect()
}

/// Classifies the words after the service, from the last one back: the last word that is a verb decides
/// (`db patch list by-database` → `list`; `fn function create container-function` → `create`).
fn classify_cli_words(words: &[String]) -> (Class, Option<String>) {
    for word in words.iter().rev() {
        if let Some(class) = classify_cli_word(word) {
            return (class, Some(word.clone()));
        }
    }
    (Class::Mutation, None)
}

/// Mutation words (first words of CLI verbs and SDK operations seen in OCI CLI 3.95 / SDK 2.189).
const MUTATION_WORDS: &[&str] = &[
    "create",
    "update",
    "change",
    "patch",
    "put",
    "add",
    "enable",
    "disable",
    "start",
    "stop",
    "launch",
    "attach",
    "detach",
    "restart",
    "reboot",
    "resize",
    "scale",
    "set",
    "unset",
    "upload",
    "import",
    "export",
    "copy",
    "clone",
    "move",
    "rename",
    "restore",
    "activate",
    "deactivate",
    "install",
    "upgrade",
    "rotate",
    "reset",
    "register",
    "unregister",
    "deregister",
    "publish",
    "generate",
    "apply",
    "run",
    "execute",
    "trigger",
    "submit",
    "schedule",
    "action",
    "bulk",
    "configure",
    "modify",
    "migrate",
    "switchover",
    "failover",
    "pause",
    "resume",
    "retry",
    "refresh",
    "validate",
    "test",
    "approve",
    "reject",
    "sync",
    "replicate",
    "backup",
    "upsert",
    "ingest",
    "download",
    "request",
    "reinstate",
    "convert",
    "assign",
    "unassign",
    "associate",
    "disassociate",
    "mount",
    "unmount",
    "invoke",
    "send",
    "deploy",
    "rollback",
    "promote",
    "recover",
    "reencrypt",
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "withdraw",
    "accept",
    "confirm",
    "complete",
    "extend",
    "renew",
    "release",
    "suspend",
];

/// One CLI word (a hyphenated verb like `change-compartment`) → its class, or `None` if it is not a verb.
fn classify_cli_word(word: &str) -> Option<Class> {
    let parts: Vec<&str> = word.split('-').filter(|p| !p.is_empty()).collect();
    let first = parts.first()?;
    if READ_WORDS.contains(first)
        || word == "structured-search"
        || word == "free-text-search"
        || word.starts_with("request-summarized-")
    {
        return Some(Class::Read);
    }
    if parts.iter().any(|p| DESTRUCTIVE_WORDS.contains(p)) {
        return Some(Class::Destructive);
    }
    if parts.iter().any(|p| MUTATION_WORDS.contains(p)) {
        return Some(Class::Mutation);
    }
    None
}

/// The endpoint services a CLI service talks to, for `GALLEY_OCI_ENDPOINT_<SERVICE>` (the CLI's own name is
/// tried first, then these). Covers the services Galley uses; others use their CLI name.
pub fn cli_endpoint_services(cli_service: &str) -> &'static [&'static str] {
    match cli_service {
        "os" => &["objectstorage"],
        "compute" | "compute-management" | "network" | "bv" | "work-requests" => &["iaas"],
        "iam" => &["identity"],
        "resource-manager" => &["resourcemanager"],
        "ce" => &["containerengine"],
        "container-instances" => &["computecontainers"],
        "api-gateway" => &["apigateway"],
        "artifacts" => &["artifacts"],
        "devops" => &["devops"],
        "db" => &["database"],
        "lb" => &["iaas"],
        "nlb" => &["networkloadbalancerapi"],
        "fn" => &["functions"],
        "kms" => &["kms"],
        "vault" => &["vaults"],
        "secrets" => &["secretsvaults"],
        "logging" => &["logging"],
        "monitoring" => &["telemetry"],
        "search" => &["query"],
        "dns" => &["dns"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_sdk_operations() {
        for (name, want) in [
            ("list_instances", Class::Read),
            ("ListInstances", Class::Read),
            ("get_namespace", Class::Read),
            ("head_object", Class::Read),
            ("summarize_metrics_data", Class::Read),
            ("search_resources", Class::Read),
            ("request_summarized_usages", Class::Read),
            ("create_vcn", Class::Mutation),
            ("update_instance", Class::Mutation),
            ("change_instance_compartment", Class::Mutation),
            ("launch_instance", Class::Mutation),
            ("instance_action", Class::Mutation),
            ("put_object", Class::Mutation),
            ("delete_bucket", Class::Destructive),
            ("DeleteObject", Class::Destructive),
            ("terminate_instance", Class::Destructive),
            ("cancel_job", Class::Destructive),
            ("remove_lock", Class::Destructive),
            ("bulk_delete_tags", Class::Destructive),
            ("schedule_key_deletion", Class::Destructive),
            ("cascading_delete_tag_namespace", Class::Destructive),
            ("purge_logs", Class::Destructive),
            ("brand_new_verb_thing", Class::Mutation),
            ("", Class::Mutation),
        ] {
            assert_eq!(classify_operation(name), want, "{name}");
        }
    }

    #[test]
    fn classifies_raw_calls() {
        for (method, path, want) in [
            ("GET", "/20160918/instances", Class::Read),
            ("head", "/n/ns/b/b/o/x", Class::Read),
            ("POST", "/20160918/instances", Class::Mutation),
            ("PUT", "/n/ns/b/b/o/x", Class::Mutation),
            ("DELETE", "/n/ns/b/b", Class::Destructive),
            ("POST", "/20180917/jobs/ocid1.x/actions/cancel", Class::Destructive),
            ("POST", "/20160918/instances/ocid1.x?action=STOP", Class::Mutation),
        ] {
            assert_eq!(classify_raw(method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn decisions() {
        use Class::*;
        use WriteMode::*;
        // (mode, class, confirm) → allowed, or a piece of the refusal
        let cases: &[(WriteMode, Class, bool, Result<(), &str>)] = &[
            (ReadOnly, Read, false, Ok(())),
            (Plan, Read, false, Ok(())),
            (Full, Read, false, Ok(())),
            (ReadOnly, Mutation, false, Err("read-only mode")),
            (ReadOnly, Destructive, true, Err("read-only mode")),
            (Plan, Mutation, false, Err("plan mode")),
            (Plan, Destructive, true, Err("plan mode")),
            (Full, Mutation, false, Ok(())),
            (Full, Destructive, false, Err("confirm_destructive=true")),
            (Full, Destructive, true, Ok(())),
        ];
        for (mode, class, confirm, want) in cases {
            match (decide(*mode, *class, *confirm), want) {
                (Decision::Allow, Ok(())) => {}
                (Decision::Refuse(m), Err(part)) => assert!(m.contains(part), "{mode:?} {class:?}: {m}"),
                (got, want) => panic!("{mode:?} {class:?} {confirm}: got {got:?}, want {want:?}"),
            }
        }
    }

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    /// argv → Ok((service, class)) or Err(piece of the refusal).
    fn check(args: &str, expect: Result<(&str, Class), &str>) {
        match (check_cli(&argv(args)), expect) {
            (Ok(c), Ok((service, class))) => {
                assert_eq!((c.service.as_str(), c.class), (service, class), "{args}");
            }
            (Err(e), Err(part)) => assert!(e.0.contains(part), "{args}: {e}"),
            (got, want) => panic!("{args}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn cli_verbs() {
        use Class::*;
        check("os ns get", Ok(("os", Read)));
        check("os object list --bucket-name b --all", Ok(("os", Read)));
        check("os object get --bucket-name b --name x --file -", Ok(("os", Read)));
        check("os object head --bucket-name b --name x", Ok(("os", Read)));
        check("compute instance list --compartment-id ocid1.c", Ok(("compute", Read)));
        check("search resource structured-search --query-text query", Ok(("search", Read)));
        check("db patch list by-database --database-id x", Ok(("db", Read)));
        check("network security-list list --compartment-id c", Ok(("network", Read)));
        check("usage-api usage-summary request-summarized-usages", Ok(("usage-api", Read)));
        check("--region ap-tokyo-1 iam region list", Ok(("iam", Read)));
        check("--output table compute shape list -c x", Ok(("compute", Read)));
        check("compute instance launch --shape VM.Standard.E4.Flex", Ok(("compute", Mutation)));
        check("network vcn create --cidr-block 10.0.0.0/16", Ok(("network", Mutation)));
        check("network security-list update --security-list-id x", Ok(("network", Mutation)));
        check("compute instance action --action STOP --instance-id x", Ok(("compute", Mutation)));
        check("iam compartment change-compartment --compartment-id x", Ok(("iam", Mutation)));
        check("fn function create container-function --image x", Ok(("fn", Mutation)));
        check("os object put --bucket-name b --name x --file -", Ok(("os", Mutation)));
        check("data-catalog catalog recommendations", Ok(("data-catalog", Mutation)));
        check("os object delete --bucket-name b --object-name x", Ok(("os", Destructive)));
        check("os object bulk-delete --bucket-name b", Ok(("os", Destructive)));
        check("os object sync --bucket-name b --delete", Ok(("os", Destructive)));
        check("compute instance terminate --instance-id x --force", Ok(("compute", Destructive)));
        check("resource-manager job cancel --job-id x", Ok(("resource-manager", Destructive)));
        check("kms management key schedule-deletion --key-id x", Ok(("kms", Destructive)));
        check("network security-list delete --security-list-id x", Ok(("network", Destructive)));
        check("iam tag-namespace cascading-delete --tag-namespace-id x", Ok(("iam", Destructive)));
        check("os bucket remove-lock --bucket-name b", Ok(("os", Destructive)));
    }

    #[test]
    fn cli_refusals() {
        check("", Err("args is empty"));
        check("--region ap-tokyo-1", Err("no command found"));
        // Both option forms, anywhere in the argv.
        check("os ns get --endpoint http://evil.example", Err("--endpoint is not allowed"));
        check("os ns get --endpoint=http://evil.example", Err("--endpoint is not allowed"));
        check("--endpoint http://evil.example os ns get", Err("--endpoint is not allowed"));
        check("os ns get --config-file /tmp/c", Err("--config-file is not allowed"));
        check("os ns get --profile OTHER", Err("--profile is not allowed"));
        check("os ns get --profile=OTHER", Err("--profile is not allowed"));
        check("os ns get --auth api_key", Err("--auth is not allowed"));
        check("os ns get --auth=security_token", Err("--auth is not allowed"));
        check("os ns get --auth-purpose x", Err("--auth-purpose is not allowed"));
        check("os ns get --cert-bundle /tmp/ca.pem", Err("--cert-bundle is not allowed"));
        check("os ns get --proxy http://p:3128", Err("--proxy is not allowed"));
        check("os ns get --federation-endpoint https://x", Err("--federation-endpoint"));
        check("os ns get --realm-specific-endpoint", Err("--realm-specific-endpoint"));
        check("os ns get --cli-rc-file /tmp/rc", Err("--cli-rc-file"));
        check("os ns get --defaults-file /tmp/rc", Err("--defaults-file"));
        check("os ns get --debug", Err("--debug is not allowed"));
        check("os ns get -d", Err("-d is not allowed"));
        check("os ns get -dv", Err("bundles -d"));
        check("os ns get -i", Err("-i is not allowed"));
        check(
            "compute instance launch --generate-full-command-json-input",
            Err("--generate-full-command-json-input"),
        );
        check(
            "compute instance launch --generate-param-json-input shape-config",
            Err("--generate-param-json-input"),
        );
        // Local files and directories on the server.
        check("os object put --bucket-name b --file /etc/passwd", Err("--file reads or writes a file"));
        check("os object put --bucket-name b --file=/var/run/rp.pem", Err("--file reads or writes a file"));
        check("os object get --bucket-name b --name x --file /tmp/out", Err("--file reads or writes"));
        check("os object bulk-upload --bucket-name b --src-dir /", Err("--src-dir"));
        check("os object bulk-download --bucket-name b --download-dir /tmp", Err("--download-dir"));
        check(
            "compute instance launch --ssh-authorized-keys-file /root/.ssh/id.pub",
            Err("--ssh-authorized-keys-file"),
        );
        check("resource-manager stack create --config-source /tmp/s.zip", Err("--config-source"));
        check(
            "compute instance launch --from-json file:///tmp/in.json",
            Err("reads a file on the Galley server"),
        );
        check("compute instance launch --metadata=file:///etc/x", Err("reads a file"));
        // Credential and any-URL commands.
        check("setup config", Err("`oci setup`"));
        check("session authenticate", Err("`oci session`"));
        check("raw-request --http-method GET --target-uri https://x", Err("`oci raw-request`"));
        // --region is allowed when it is a region identifier (it cannot name another host).
        check("os ns get --region ap-osaka-1", Ok(("os", Class::Read)));
        check("os ns get --region=us-ashburn-1", Ok(("os", Class::Read)));
        check("os ns get --region evil.example/", Err("--region takes a region identifier"));
        check("os ns get --region", Err("--region takes a region identifier"));
        // Flags that are not refused.
        check("os ns get --raw-output --query data", Ok(("os", Class::Read)));
        check("os object list -bn b", Ok(("os", Class::Read)));
        check("compute instance list -c x --is-file-ok true", Ok(("compute", Class::Read)));
    }

    #[test]
    fn delete_without_confirmation_is_refused_end_to_end() {
        let cmd = check_cli(&argv("os object delete --bucket-name b --object-name x --force")).unwrap();
        assert!(
            matches!(decide(WriteMode::Full, cmd.class, false), Decision::Refuse(m) if m.contains("confirm_destructive"))
        );
        assert_eq!(decide(WriteMode::Full, cmd.class, true), Decision::Allow);
        let create = check_cli(&argv("os bucket create --name b")).unwrap();
        assert!(
            matches!(decide(WriteMode::ReadOnly, create.class, true), Decision::Refuse(m) if m.contains("read-only"))
        );
        let list = check_cli(&argv("os bucket list")).unwrap();
        assert_eq!(decide(WriteMode::ReadOnly, list.class, false), Decision::Allow);
    }

    #[test]
    fn endpoint_services_of_cli_services() {
        assert_eq!(cli_endpoint_services("os"), ["objectstorage"]);
        assert_eq!(cli_endpoint_services("compute"), ["iaas"]);
        assert!(cli_endpoint_services("no-such").is_empty());
    }
}
