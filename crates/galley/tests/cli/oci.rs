//! OCI through the real `galley` process against galley-emulator, served in-process by this test on a loopback
//! port (it verifies every request's signature): the `oci://` store (a whole hearing, two replicas saving
//! concurrently, start-up errors), `oci_sdk_call` (reads, pages, shaping, the mutation policy, raw mode, errors),
//! `galley doctor`, Resource Principal auth, and Terraform state and plans in the bucket. The spawned galley
//! signs with a test API key from a temp `~/.oci/config` (or the RP 2.2 variables) and reaches the emulator
//! through `GALLEY_OCI_ENDPOINT_OBJECTSTORAGE`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use galley_emulator::{AppState, Config, Keys, PublicKey, ResourcePrincipal, TokenSource};
use galley_oci::key::PrivateKey;
use serde_json::{Value, json};

use super::{Mcp, Server, TOKEN, free_port, galley, rt, valid_value};

const NS: &str = "galleyns";
const BUCKET: &str = "galley-state";
const TENANCY: &str = "ocid1.tenancy.oc1..galleyclitest";
const USER: &str = "ocid1.user.oc1..galleyclitest";

/// The emulator, serving on its own runtime until dropped, and the credentials it trusts.
pub(crate) struct Emulator {
    pub(crate) url: String,
    pub(crate) state: AppState,
    home: PathBuf,
    rp_token: PathBuf,
    rp_key: PathBuf,
    _runtime: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

impl Emulator {
    pub(crate) fn start() -> Emulator {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        // An API key as `oci setup keys` leaves it, and the config file galley reads (HOME points here).
        let api_key = PrivateKey::generate().unwrap();
        write(&home.join(".oci/galley_key.pem"), &api_key.private_key_pkcs8_pem().unwrap());
        write(
            &home.join(".oci/config"),
            &format!(
                "[DEFAULT]\nuser={USER}\nfingerprint={}\ntenancy={TENANCY}\nregion=us-ashburn-1\nkey_file=~/.oci/galley_key.pem\n",
                api_key.fingerprint()
            ),
        );
        // A Resource Principal as a Container Instance mounts it: a session token and its key.
        let rp = PrivateKey::generate().unwrap();
        let rp_token = dir.path().join("rp/rpst");
        let rp_key = dir.path().join("rp/private.pem");
        let exp = jiff::Timestamp::now().as_second() + 3600;
        write(
            &rp_token,
            &galley_oci::auth::jwt::encode_unverified(
                &json!({"exp": exp, "res_tenant": TENANCY, "res_type": "computecontainerinstance"}),
            ),
        );
        write(&rp_key, &rp.private_key_pkcs8_pem().unwrap());

        let mut keys = Keys::default();
        keys.add_api_key(
            format!("{TENANCY}/{USER}/{}", api_key.fingerprint()),
            PublicKey::from_pem(&api_key.public_key_pem().unwrap()).unwrap(),
        );
        keys.set_resource_principal(ResourcePrincipal {
            token: TokenSource::File(rp_token.clone()),
            public_key: PublicKey::from_pem(&rp.public_key_pem().unwrap()).unwrap(),
        });
        let state = AppState::new(Config {
            namespace: NS.into(),
            keys,
            buckets: vec![BUCKET.into()],
            ..Config::default()
        })
        .unwrap();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = galley_emulator::app(state.clone());
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await
        });
        Emulator { url, state, home, rp_token, rp_key, _runtime: runtime, dir }
    }

    /// A galley signing with the API key from `~/.oci/config` (auto: no RP environment).
    pub(crate) fn api_key_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.home.display().to_string()),
            ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", self.url.clone()),
        ]
    }

    /// A galley signing as the Resource Principal (auto: the RP 2.2 variables are set); no config file.
    fn rp_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", self.dir.path().join("empty-home").display().to_string()),
            ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", self.url.clone()),
            ("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2".into()),
            ("OCI_RESOURCE_PRINCIPAL_RPST", self.rp_token.display().to_string()),
            ("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", self.rp_key.display().to_string()),
            ("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1".into()),
        ]
    }

    fn objects(&self, prefix: &str) -> Vec<String> {
        let buckets = self.state.buckets();
        buckets[BUCKET].objects.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }

    fn object(&self, name: &str) -> Option<Vec<u8>> {
        self.state.buckets()[BUCKET].objects.get(name).map(|o| o.data.to_vec())
    }
}

/// `galley` with only the given OCI environment (the test's own OCI variables removed).
pub(crate) fn galley_with(env: &[(&str, String)]) -> Command {
    let mut cmd = galley();
    for (k, _) in std::env::vars() {
        if k.starts_with("GALLEY_OCI_") || k.starts_with("OCI_") || k == "GALLEY_REGION" {
            cmd.env_remove(k);
        }
    }
    cmd.env("GALLEY_OCI_CLI_BIN", "/nonexistent/oci");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `galley serve --http` on `store` with `env`.
pub(crate) fn serve(store: &str, env: &[(&str, String)], extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = galley_with(env);
    cmd.args(["serve", "--http", &format!("127.0.0.1:{port}"), "--store", store, "--token", TOKEN])
        .args(extra);
    Server::spawn(cmd, port)
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn store(prefix: &str) -> String {
    format!("oci://{NS}/{BUCKET}/{prefix}")
}

#[test]
fn oci_store_serves_a_whole_hearing_and_keeps_it_in_the_bucket() {
    let emu = Emulator::start();
    let env = emu.api_key_env();
    let server = serve(&store("galley/test"), &env, &[]);
    let mcp = Mcp::new(server.mcp_url());
    let (sid, questions) = rt().block_on(async {
        let created = mcp.ok("create_session", json!({"customer": "Acme", "project": "EC", "locale": "en"})).await;
        let sid = created["session_id"].as_str().unwrap().to_owned();
        let questions =
            mcp.ok("list_hearing_questions", json!({"locale": "en"})).await["questions"].as_array().unwrap().clone();
        let num = questions.iter().find(|q| q["type"] == "number").unwrap();
        let e = mcp.err("save_answer", json!({"session_id": sid, "question_id": num["id"], "value": "lots"})).await;
        assert!(e.contains("takes a number"), "{e}");
        // A batch with one bad value saves nothing.
        let e = mcp
            .err(
                "save_answers_batch",
                json!({"session_id": sid, "answers": [
                    {"question_id": questions[0]["id"], "value": valid_value(&questions[0], 0)},
                    {"question_id": num["id"], "value": "lots"}]}),
            )
            .await;
        assert!(e.contains("nothing was saved"), "{e}");
        let answers: Vec<Value> = questions
            .iter()
            .skip(1)
            .map(|q| json!({"question_id": q["id"], "value": valid_value(q, 1)}))
            .collect();
        mcp.ok("save_answers_batch", json!({"session_id": sid, "answers": answers})).await;
        mcp.ok(
            "save_answer",
            json!({"session_id": sid, "question_id": questions[0]["id"], "value": valid_value(&questions[0], 1), "source": "assumption"}),
        )
        .await;
        let done = mcp.ok("complete_hearing", json!({"session_id": sid})).await;
        assert_eq!(done["status"], "completed");
        let result = mcp.ok("get_hearing_result", json!({"session_id": sid})).await;
        let mut read_back = 0;
        for cat in result["categories"].as_array().unwrap() {
            for r in cat["requirements"].as_array().unwrap() {
                let q = questions.iter().find(|q| q["id"] == r["question_id"]).unwrap();
                assert_eq!(r["value"], valid_value(q, 1), "{}", q["id"]);
                read_back += 1;
            }
        }
        assert_eq!(read_back, questions.len());
        assert_eq!(result["assumptions"][0]["question_id"], questions[0]["id"]);
        let list = mcp.ok("list_sessions", json!({})).await;
        assert_eq!(list["sessions"][0]["session_id"], sid.as_str());
        (sid, questions)
    });
    // The session document is an object in the bucket, under the store's prefix.
    let name = format!("galley/test/sessions/{sid}/session.json");
    assert_eq!(emu.objects("galley/"), std::slice::from_ref(&name));
    let doc: Value = serde_json::from_slice(&emu.object(&name).unwrap()).unwrap();
    assert_eq!((doc["customer"].as_str(), doc["status"].as_str()), (Some("Acme"), Some("completed")));
    assert_eq!(doc["answers"].as_object().unwrap().len(), questions.len());
    drop(server);

    // Two replicas on the same bucket, every question saved at once through either: nothing is lost (the
    // emulator's if-match is the compare-and-swap).
    let a = serve(&store("galley/replicas"), &env, &[]);
    let b = serve(&store("galley/replicas"), &env, &[]);
    let (ma, mb) = (Mcp::new(a.mcp_url()), Mcp::new(b.mcp_url()));
    rt().block_on(async {
        let sid =
            ma.ok("create_session", json!({"customer": "C", "project": "P"})).await["session_id"].clone();
        let mut tasks = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let client = if i % 2 == 0 { ma.clone() } else { mb.clone() };
            let args = json!({"session_id": sid, "question_id": q["id"], "value": valid_value(q, 2)});
            tasks.push(tokio::spawn(async move { client.ok("save_answer", args).await }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let session = mb.ok("get_session", json!({"session_id": sid})).await;
        let answers = session["answers"].as_array().unwrap();
        assert_eq!(answers.len(), questions.len());
        for q in &questions {
            let a = answers.iter().find(|a| a["question_id"] == q["id"]).unwrap();
            assert_eq!(a["value"], valid_value(q, 2), "{}", q["id"]);
        }
        assert_eq!(session["revision"], json!(1 + questions.len()));
    });
    for log in [a.stderr(), b.stderr()] {
        assert!(!log.contains("PRIVATE KEY") && !log.contains(TOKEN), "secret in the log:\n{log}");
    }
}

#[test]
fn oci_store_start_up_errors_say_what_to_fix() {
    let emu = Emulator::start();
    let env = emu.api_key_env();
    let run = |store: &str, env: &[(&str, String)]| {
        let out = galley_with(env)
            .args(["serve", "--stdio", "--store", store])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{store} started");
        let (_, err) = text(&out);
        err.lines().find(|l| l.starts_with("galley: ")).unwrap_or_else(|| panic!("{err}")).to_owned()
    };
    let line = run(&format!("oci://{NS}/no-such-bucket"), &env);
    assert!(
        line.contains("\"no-such-bucket\" does not exist")
            && line.contains("oci os bucket create")
            && line.contains("GALLEY_STORE"),
        "{line}"
    );
    let line = run(&format!("oci://othernamespace/{BUCKET}"), &env);
    assert!(
        line.contains(&format!(
            "\"othernamespace\" is not this tenancy's Object Storage namespace, \"{NS}\" is"
        )),
        "{line}"
    );
    // No credentials at all: no RP environment and no config file.
    let no_config = vec![
        ("HOME", "/nonexistent-home".to_owned()),
        ("GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", emu.url.clone()),
    ];
    let line = run(&store("x"), &no_config);
    assert!(
        line.contains("does not exist")
            && line.contains("oci setup config")
            && line.contains("GALLEY_OCI_AUTH"),
        "{line}"
    );
    let line = run(&format!("oci://{NS}/{BUCKET}/a/../b"), &env);
    assert!(line.contains("prefix is invalid"), "{line}");
}

#[test]
fn doctor_checks_an_oci_store_and_names_the_principal() {
    let emu = Emulator::start();
    let env = emu.api_key_env();
    let out = galley_with(&env).args(["doctor", "--store", &store("doctor")]).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("store: ok oci://{NS}/{BUCKET}/doctor")), "{stdout}");
    assert!(stdout.contains("oci auth: ok api_key (auto: no Resource Principal environment"), "{stdout}");
    assert!(stdout.contains("region us-ashburn-1"), "{stdout}");
    assert!(emu.objects("doctor/").is_empty(), "the probe object is deleted");

    let out = galley_with(&env)
        .args(["doctor", "--store", &format!("oci://{NS}/missing-bucket")])
        .output()
        .unwrap();
    let (stdout, _) = text(&out);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains("store: FAIL") && stdout.contains("oci os bucket create --name missing-bucket"),
        "{stdout}"
    );

    // The principal as galley-oci selects it, without the network.
    let out = galley_with(&emu.rp_env()).args(["doctor", "--store", "memory://"]).output().unwrap();
    let (stdout, _) = text(&out);
    assert!(stdout.contains("oci auth: ok resource_principal (auto: OCI_RESOURCE_PRINCIPAL_VERSION is set), region us-ashburn-1"), "{stdout}");
    let mut ip = env.clone();
    ip.push(("GALLEY_OCI_AUTH", "instance_principal".into()));
    let out = galley_with(&ip).args(["doctor", "--store", "memory://"]).output().unwrap();
    assert!(
        text(&out).0.contains("oci auth: instance_principal (GALLEY_OCI_AUTH; not loaded here"),
        "{}",
        text(&out).0
    );
    let none = [("HOME", "/nonexistent-home".to_owned())];
    let out = galley_with(&none).args(["doctor", "--store", "memory://"]).output().unwrap();
    assert!(out.status.success());
    assert!(text(&out).0.contains("oci auth: none usable (auto: no Resource Principal environment, so the config file /nonexistent-home/.oci/config)"), "{}", text(&out).0);
}

#[test]
fn resource_principal_signs_the_store_and_oci_sdk_call() {
    let emu = Emulator::start();
    let server = serve(&store("rp"), &emu.rp_env(), &[]);
    let mcp = Mcp::new(server.mcp_url());
    let sid = rt().block_on(async {
        let sid = mcp.ok("create_session", json!({"customer": "RP", "project": "P"})).await["session_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let ns =
            mcp.ok("oci_sdk_call", json!({"service": "object_storage", "operation": "get_namespace"})).await;
        assert_eq!(ns["data"], NS);
        sid
    });
    assert_eq!(emu.objects("rp/"), [format!("rp/sessions/{sid}/session.json")]);
    let log = server.stderr();
    let token = std::fs::read_to_string(&emu.rp_token).unwrap();
    assert!(!log.contains(token.trim()), "the RP token is in the log:\n{log}");
}

#[test]
fn oci_sdk_call_reads_pages_shapes_and_enforces_the_policy() {
    let emu = Emulator::start();
    let env = emu.api_key_env();
    let server = serve("memory://", &env, &[]);
    let mcp = Mcp::new(server.mcp_url());
    let os =
        |op: &str, params: Value| json!({"service": "object_storage", "operation": op, "parameters": params});
    let obj = |name: &str| json!({"namespace_name": NS, "bucket_name": BUCKET, "object_name": name});
    rt().block_on(async {
        let ns = mcp.ok("oci_sdk_call", json!({"service": "object_storage", "operation": "GetNamespace"})).await;
        assert_eq!((ns["data"].as_str(), ns["status"].as_u64(), ns["class"].as_str()), (Some(NS), Some(200), Some("read")));
        assert!(!ns["opc_request_id"].as_str().unwrap().is_empty(), "{ns}");
        assert_eq!((ns["method"].as_str(), ns["path"].as_str()), (Some("GET"), Some("/n")));

        // Creates in full mode; the body is the object's content.
        for i in 1..=5 {
            let mut params = obj(&format!("page/obj-{i}"));
            params["put_object_body"] = json!(format!("content {i}"));
            params["content_type"] = json!("text/plain");
            let put = mcp.ok("oci_sdk_call", os("put_object", params)).await;
            assert_eq!(put["class"], "mutation");
            assert!(put["headers"]["etag"].is_string(), "{put}");
        }
        assert_eq!(emu.object("page/obj-3").as_deref(), Some(&b"content 3"[..]));

        // One page, and how to get the next.
        let list = json!({"namespace_name": NS, "bucket_name": BUCKET, "prefix": "page/", "limit": 2});
        let page = mcp.ok("oci_sdk_call", json!({"service": "object_storage", "operation": "list_objects", "parameters": list})).await;
        let names: Vec<&str> = page["data"]["objects"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["page/obj-1", "page/obj-2"]);
        assert_eq!(page["next_page"], json!({"parameter": "start", "value": "page/obj-3"}));
        assert!(page["note"].as_str().unwrap().contains("parameters.start"), "{page}");
        // Every page, projected onto `name`.
        let all = mcp
            .ok("oci_sdk_call", json!({"service": "object_storage", "operation": "list_objects", "parameters": list, "all_pages": true, "fields": ["name"]}))
            .await;
        assert_eq!(all["pages"], 3);
        assert_eq!(all["returned_items"], 5);
        assert!(all["next_page"].is_null(), "{all}");
        let objects = all["data"]["objects"].as_array().unwrap();
        assert_eq!(objects.len(), 5);
        assert!(objects.iter().all(|o| o.as_object().unwrap().keys().eq(["name"])), "{all}");
        assert!(all["data"].get("nextStartWith").is_none(), "{all}");
        // max_results stops the pages early and cuts the list.
        let few = mcp
            .ok("oci_sdk_call", json!({"service": "object_storage", "operation": "list_objects", "parameters": list, "all_pages": true, "max_results": 3}))
            .await;
        assert_eq!((few["pages"].as_u64(), few["total_items"].as_u64(), few["returned_items"].as_u64()), (Some(2), Some(4), Some(3)));
        assert_eq!((few["truncated"].as_bool(), few["next_page"]["value"].as_str()), (Some(true), Some("page/obj-5")));
        // A field that matches nothing is named, with the closest existing one.
        let typo = mcp.ok("oci_sdk_call", json!({"service": "object_storage", "operation": "list_objects", "parameters": list, "fields": ["nmae"]})).await;
        assert!(typo["note"].as_str().unwrap().contains("did you mean name"), "{typo}");

        // Text content comes back as text, with secrets redacted.
        let mut params = obj("secret.pem");
        params["put_object_body"] = json!("key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n");
        mcp.ok("oci_sdk_call", os("put_object", params)).await;
        let got = mcp.ok("oci_sdk_call", os("get_object", obj("secret.pem"))).await;
        let data = got["data"].as_str().unwrap();
        assert!(data.starts_with("key:") && !data.contains("MIIEvQ") && data.contains("[redacted"), "{got}");
        let got = mcp.ok("oci_sdk_call", os("get_object", obj("page/obj-1"))).await;
        assert_eq!((got["data"].as_str(), got["headers"]["content-type"].as_str()), (Some("content 1"), Some("text/plain")));

        // Downloads are limited to what the output can show, unless a range is given.
        let mut params = obj("big.txt");
        params["put_object_body"] = json!("x".repeat(10_000));
        mcp.ok("oci_sdk_call", os("put_object", params)).await;
        let mut get = os("get_object", obj("big.txt"));
        get["max_output_chars"] = json!(1000);
        let got = mcp.ok("oci_sdk_call", get).await;
        assert_eq!((got["status"].as_u64(), got["headers"]["content-range"].as_str()), (Some(206), Some("bytes 0-3999/10000")));
        assert!(got["note"].as_str().unwrap().contains("only the first 4000 bytes were read"), "{got}");
        let mut params = obj("big.txt");
        params["range"] = json!("bytes=9990-9999");
        let got = mcp.ok("oci_sdk_call", os("get_object", params)).await;
        assert_eq!(got["data"], "x".repeat(10));
        assert!(got.get("note").is_none(), "{got}");

        let mut params = obj("empty.txt");
        params["put_object_body"] = json!("");
        mcp.ok("oci_sdk_call", os("put_object", params)).await;
        let got = mcp.ok("oci_sdk_call", os("get_object", obj("empty.txt"))).await;
        assert_eq!((got["status"].as_u64(), &got["data"]), (Some(200), &Value::Null), "{got}");

        // Deletions need the user's confirmation.
        let e = mcp.err("oci_sdk_call", os("delete_object", obj("page/obj-5"))).await;
        assert!(e.contains("confirm_destructive=true") && e.contains("delete_object"), "{e}");
        assert!(emu.object("page/obj-5").is_some(), "nothing was sent");
        let mut confirmed = os("delete_object", obj("page/obj-5"));
        confirmed["confirm_destructive"] = json!(true);
        let deleted = mcp.ok("oci_sdk_call", confirmed).await;
        assert_eq!((deleted["class"].as_str(), deleted["status"].as_u64()), (Some("destructive"), Some(204)));
        assert!(emu.object("page/obj-5").is_none());

        // OCI's errors: code, message, status, request id and a hint.
        let e = mcp.err("oci_sdk_call", os("get_object", obj("page/obj-5"))).await;
        for part in ["HTTP 404", "ObjectNotFound", "opc-request-id: ", "Hint: "] {
            assert!(e.contains(part), "{part}: {e}");
        }
        assert!(!e.contains("opc-request-id: none"), "{e}");
        let e = mcp.err("oci_sdk_call", os("list_objects", json!({"namespace_name": NS, "bucket_name": "nope"}))).await;
        assert!(e.contains("BucketNotFound") && e.contains("Hint: it does not exist"), "{e}");

        // Wrong names come back with the closest valid ones; parameter problems all at once.
        let e = mcp.err("oci_sdk_call", json!({"service": "object_storage", "operation": "list_objekts"})).await;
        assert!(e.contains("did you mean") && e.contains("list_objects"), "{e}");
        let e = mcp.err("oci_sdk_call", json!({"service": "objekt_storage", "operation": "list_objects"})).await;
        assert!(e.contains("object_storage"), "{e}");
        let e = mcp.err("oci_sdk_call", os("get_object", json!({"namespace_name": NS, "bucket": BUCKET, "limit": 1}))).await;
        for part in ["missing required path parameter bucket_name", "missing required path parameter object_name", "unknown parameter \"bucket\"", "Valid parameters:"] {
            assert!(e.contains(part), "{part}: {e}");
        }
        let e = mcp.err("oci_sdk_call", json!({"operation": "list_objects"})).await;
        assert!(e.contains("service is missing"), "{e}");

        // Raw mode: a GET by path, and the same policy for a raw DELETE.
        let raw = mcp
            .ok("oci_sdk_call", json!({"raw": {"service": "object_storage", "method": "GET", "path": format!("/n/{NS}/b/{BUCKET}/o"), "query": {"prefix": "page/", "fields": "name,size"}}, "fields": ["name", "size"]}))
            .await;
        assert_eq!((raw["operation"].as_str(), raw["returned_items"].as_u64()), (Some("raw"), Some(4)));
        assert_eq!(raw["data"]["objects"][0], json!({"name": "page/obj-1", "size": 9}));
        let e = mcp
            .err("oci_sdk_call", json!({"raw": {"service": "object_storage", "method": "DELETE", "path": format!("/n/{NS}/b/{BUCKET}/o/page%2Fobj-1")}}))
            .await;
        assert!(e.contains("confirm_destructive=true"), "{e}");
        let e = mcp.err("oci_sdk_call", json!({"service": "object_storage", "operation": "get_namespace", "raw": {"service": "object_storage", "method": "GET", "path": "/n"}})).await;
        assert!(e.contains("not both"), "{e}");
    });
    let log = server.stderr();
    assert!(!log.contains("MIIEvQ") && !log.contains("PRIVATE KEY"), "secret in the log:\n{log}");
}

#[test]
fn oci_sdk_call_in_read_only_mode_reads_and_refuses_changes() {
    let emu = Emulator::start();
    let server = serve("memory://", &emu.api_key_env(), &["--mode", "read-only"]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let v = mcp.rpc("tools/list", json!({})).await;
        let tools = v["result"]["tools"].as_array().unwrap();
        let tool = tools.iter().find(|t| t["name"] == "oci_sdk_call").expect("oci_sdk_call is listed in read-only mode");
        assert_eq!(
            tool["annotations"],
            json!({"title": "Call OCI API", "readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true})
        );
        let ns = mcp.ok("oci_sdk_call", json!({"service": "object_storage", "operation": "get_namespace"})).await;
        assert_eq!(ns["data"], NS);
        let put = json!({"service": "object_storage", "operation": "put_object", "parameters":
            {"namespace_name": NS, "bucket_name": BUCKET, "object_name": "ro.txt", "put_object_body": "x"}});
        let e = mcp.err("oci_sdk_call", put).await;
        assert!(e.contains("read-only mode"), "{e}");
        let delete = json!({"service": "object_storage", "operation": "delete_object", "confirm_destructive": true,
            "parameters": {"namespace_name": NS, "bucket_name": BUCKET, "object_name": "ro.txt"}});
        let e = mcp.err("oci_sdk_call", delete).await;
        assert!(e.contains("read-only mode"), "{e}");
    });
    assert!(emu.objects("").is_empty(), "nothing was written");
}

#[test]
fn oci_sdk_call_without_credentials_says_what_to_configure() {
    let server = serve("memory://", &[("HOME", "/nonexistent-home".to_owned())], &[]);
    let mcp = Mcp::new(server.mcp_url());
    rt().block_on(async {
        let e =
            mcp.err("oci_sdk_call", json!({"service": "object_storage", "operation": "get_namespace"})).await;
        for part in [
            "no usable OCI credentials",
            "/nonexistent-home/.oci/config does not exist",
            "GALLEY_OCI_AUTH",
            "galley doctor",
        ] {
            assert!(e.contains(part), "{part}: {e}");
        }
    });
}

#[test]
fn terraform_state_and_plans_live_in_the_bucket_and_a_new_process_continues_from_them() {
    if !super::terraform::terraform_available("terraform_state_and_plans_live_in_the_bucket") {
        return;
    }
    let emu = Emulator::start();
    let tf = "resource \"terraform_data\" \"a\" {\n  input = \"on oci\"\n}\n\noutput \"o\" {\n  value = terraform_data.a.output\n}\n";
    let first_work = tempfile::tempdir().unwrap();
    let mut env = emu.api_key_env();
    env.push(("GALLEY_TERRAFORM_WORK_DIR", first_work.path().display().to_string()));
    let server = serve(&store("galley/tf"), &env, &[]);
    let sid = rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let created =
            mcp.ok("create_session", json!({"customer": "Acme", "project": "TF", "locale": "en"})).await;
        let sid = created["session_id"].as_str().unwrap().to_owned();
        let files = json!([{"name": "main.tf", "content": tf}]);
        let plan = mcp.ok("run_terraform_plan", json!({"session_id": sid, "files": files})).await;
        let applied = mcp
            .ok("run_terraform_apply", json!({"session_id": sid, "plan_id": plan["plan"]["plan_id"]}))
            .await;
        assert_eq!(applied["apply"]["outputs"]["o"]["value"], "on oci", "{applied}");
        sid
    });
    drop(server);
    let prefix = format!("galley/tf/tfstate/{sid}/");
    let objects = emu.objects(&prefix);
    for want in ["terraform.tfstate", "plans/"] {
        assert!(objects.iter().any(|o| o.starts_with(&format!("{prefix}{want}"))), "{want} in {objects:?}");
    }
    assert!(!objects.iter().any(|o| o.ends_with("lock.json")), "the lock is released: {objects:?}");
    let state: Value =
        serde_json::from_slice(&emu.object(&format!("{prefix}terraform.tfstate")).unwrap()).unwrap();
    assert_eq!(state["outputs"]["o"]["value"], "on oci");

    // Another process with an empty working directory (a new container) continues from the bucket.
    let second_work = tempfile::tempdir().unwrap();
    let mut env = emu.api_key_env();
    env.push(("GALLEY_TERRAFORM_WORK_DIR", second_work.path().display().to_string()));
    let server = serve(&store("galley/tf"), &env, &[]);
    rt().block_on(async {
        let mcp = Mcp::new(server.mcp_url());
        let plan = mcp.ok("run_terraform_plan", json!({"session_id": sid})).await;
        assert_eq!(plan["plan"]["changes"], false, "{plan}");
        assert_eq!(plan["plan"]["init_ran"], true, "a new working directory is initialised: {plan}");
    });
}
