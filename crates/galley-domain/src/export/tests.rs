use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::architecture::{ArchitectureInput, ComponentId, Connection, Rationale};
use crate::hearing::{AnswerInput, AnswerSource, Catalog, Session};
use crate::ids::SessionId;
use crate::rules::{Finding, RuleCategory, Severity, Summary, Validation};

fn services() -> ServiceCatalog {
    ServiceCatalog::builtin().unwrap()
}

fn hearing() -> Catalog {
    Catalog::builtin().unwrap()
}

fn now() -> Timestamp {
    "2026-12-01T09:30:00Z".parse().unwrap()
}

fn sid(n: u128) -> SessionId {
    SessionId::from_uuid(uuid::Uuid::from_u128(0x0192_f3c4_5d6e_7f80_9a1b_2c3d_4e5f_0000 + n))
}

fn l(locale: Locale, en: &str, ja: &str) -> String {
    tr_owned(locale, en, ja)
}

fn tr_owned(locale: Locale, en: &str, ja: &str) -> String {
    match locale {
        Locale::En => en.to_owned(),
        Locale::Ja => ja.to_owned(),
    }
}

fn answer(q: &str, v: Value) -> AnswerInput {
    AnswerInput { question_id: q.into(), value: v, source: AnswerSource::Customer, note: None }
}

fn assumed(q: &str, v: Value, note: &str) -> AnswerInput {
    AnswerInput { question_id: q.into(), value: v, source: AnswerSource::Assumption, note: Some(note.into()) }
}

fn design(session: &Session, region: Option<&str>, pattern: &str, input: Value) -> Architecture {
    let mut a = Architecture::new(session.id, region.map(str::to_owned), now());
    let input: ArchitectureInput = serde_json::from_value(input).unwrap();
    a.replace(&services(), input, Some(pattern.to_owned()), now()).unwrap();
    a
}

fn why(reason: String, answers: &[&str]) -> Value {
    json!({"reason": reason, "answers": answers})
}

fn finding(
    rule: &str,
    severity: Severity,
    category: RuleCategory,
    components: &[&str],
    message: String,
    fix: String,
) -> Finding {
    Finding {
        rule_id: rule.into(),
        severity,
        category,
        components: components.iter().map(|c| c.parse().unwrap()).collect(),
        message,
        fix,
        docs: Some("https://docs.oracle.com/en-us/iaas/Content/home.htm".into()),
    }
}

fn validation(findings: Vec<Finding>, rules_checked: usize) -> Validation {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let summary = Summary {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        valid: count(Severity::Error) == 0,
        rules_checked,
    };
    Validation { findings, summary }
}

/// A session, its design and its validation.
struct Scenario {
    session: Session,
    arch: Architecture,
    validation: Option<Validation>,
}

/// An EC site rebuilt on OKE and Autonomous Database, with a WAF-protected public load balancer.
fn ec_site(locale: Locale) -> Scenario {
    let h = hearing();
    let t = |en: &str, ja: &str| l(locale, en, ja);
    let mut session = Session::new(
        sid(1),
        &t("Sample Trading Co., Ltd.", "株式会社サンプル商事"),
        &t("EC site rebuild", "ECサイト刷新"),
        locale,
        Some(&t(
            "Follow-up workshop on 12/10 | bring the traffic report",
            "12/10に追加ワークショップ | トラフィック資料を持参",
        )),
        now(),
    )
    .unwrap();
    session
        .record_answers(
            &h,
            &[
                answer("project.industry", json!("retail")),
                answer(
                    "project.goal",
                    json!(t(
                        "Replace the on-premises EC platform before its hardware reaches end of support.\nCut the time to release new campaigns.",
                        "オンプレミスのECサイト基盤を保守切れ前に刷新する。\nキャンペーンのリリース期間を短縮したい。"
                    )),
                ),
                answer("project.phase", json!("production")),
                answer("workload.type", json!(["web_app", "api_backend"])),
                answer("workload.app_stack", json!(["java", "nodejs"])),
                answer("workload.containerization", json!("docker")),
                answer("traffic.total_users", json!(800000)),
                answer("traffic.peak_concurrent_users", json!(12000)),
                answer("availability.sla_target", json!("sla_99_95")),
                assumed("availability.rpo_minutes", json!(15), &t("assumed from the current backup cycle", "現行のバックアップ周期から仮定")),
                answer("availability.dr_required", json!(false)),
                answer("data.database_kind", json!(["oracle_db"])),
                answer("data.size_gb", json!(1500)),
                answer("data.object_storage", json!(["static_content", "user_uploads"])),
                answer("security.compliance", json!(["pci_dss"])),
                answer("security.data_residency", json!(true)),
                answer("security.key_management", json!("customer_managed_vault")),
                answer("security.waf_required", json!(true)),
                answer("network.onprem_connectivity", json!("none")),
                answer("network.exposure", json!("public")),
                answer("operations.cicd", json!("oci_devops")),
                answer("operations.monitoring", json!(["oci_native"])),
                assumed("budget.monthly_budget", json!("jpy_1m_3m"), &t("to confirm with purchasing", "購買部門に確認予定")),
                answer("budget.timeline", json!(t("Go live in 2027-04 (spring sale)", "2027年4月（春セール）に本番稼働"))),
                answer("region.primary", json!("ap-tokyo-1")),
            ],
            now(),
        )
        .unwrap();
    let arch = design(
        &session,
        Some("ap-tokyo-1"),
        "oke_adb_web",
        json!({
            "components": [
                {"id": "vcn", "service": "vcn", "name": t("EC VCN", "EC用VCN"), "config": {"cidr": "10.20.0.0/16", "dns_label": "ec"},
                 "rationale": why(t("One VCN for the site; 10.20/16 does not overlap the office network.", "サイト用のVCN。10.20/16は社内ネットワークと重複しません。"), &["network.exposure"])},
                {"id": "public-lb", "service": "subnet", "name": t("Public LB subnet", "パブリックLBサブネット"), "placement": "vcn",
                 "config": {"tier": "public", "role": "lb", "cidr": "10.20.0.0/24", "ingress": ["tcp:443:0.0.0.0/0"]}},
                {"id": "oke-api", "service": "subnet", "name": t("OKE API subnet", "OKE APIサブネット"), "placement": "vcn",
                 "config": {"tier": "private", "role": "oke_api", "cidr": "10.20.1.0/28"}},
                {"id": "workers", "service": "subnet", "name": t("Worker subnet", "ワーカー・サブネット"), "placement": "vcn",
                 "config": {"tier": "private", "role": "oke_workers", "cidr": "10.20.10.0/24"}},
                {"id": "db", "service": "subnet", "name": t("Database subnet", "DBサブネット"), "placement": "vcn",
                 "config": {"tier": "private", "role": "db", "cidr": "10.20.20.0/24"}},
                {"id": "igw", "service": "internet_gateway", "placement": "vcn"},
                {"id": "natgw", "service": "nat_gateway", "placement": "vcn"},
                {"id": "sgw", "service": "service_gateway", "placement": "vcn"},
                {"id": "lb", "service": "load_balancer", "name": t("Storefront LB", "ストアフロントLB"), "placement": "public-lb",
                 "config": {"visibility": "public", "listener_protocol": "https", "min_bandwidth_mbps": 100, "max_bandwidth_mbps": 400},
                 "rationale": why(t("HTTPS entry point for 12,000 concurrent users.", "ピーク時1.2万同時接続のHTTPS入口。"), &["traffic.peak_concurrent_users", "network.exposure"])},
                {"id": "waf", "service": "waf", "config": {"target": "lb", "action": "block"},
                 "rationale": why(t("PCI DSS and the customer ask for a WAF in front of the site.", "PCI DSS対応とお客様の要望によりWAFを前段に配置。"), &["security.waf_required", "security.compliance"])},
                {"id": "oke", "service": "oke", "name": t("Storefront cluster", "ストアフロント・クラスタ"), "placement": "workers",
                 "config": {"node_count": 3, "node_ocpus": 2, "node_memory_gb": 32, "endpoint_visibility": "private",
                            "lb_subnet": "public-lb", "api_endpoint_subnet": "oke-api"},
                 "rationale": why(t("The application is already in Docker images; OKE runs them with rolling updates.", "アプリは既にDockerイメージ化済み。OKEでローリング更新しながら運用します。"), &["workload.containerization", "workload.type", "availability.sla_target"])},
                {"id": "adb", "service": "autonomous_database", "name": t("Orders database", "受注DB"), "placement": "db",
                 "config": {"network_access": "private_endpoint", "workload": "oltp", "ecpu_count": 4, "storage_gb": 2048, "data_guard": true},
                 "rationale": why(t("Oracle Database today; ATP removes patching work and keeps RPO within 15 minutes.", "現行はOracle Database。ATPでパッチ適用を自動化し、RPO 15分以内を満たします。"), &["data.database_kind", "data.size_gb", "availability.rpo_minutes", "availability.sla_target"])},
                {"id": "assets", "service": "object_storage", "name": t("Static assets", "静的コンテンツ"), "config": {"bucket_name": "ec-static-assets"},
                 "rationale": why(t("Product images and user uploads.", "商品画像とユーザーのアップロード。"), &["data.object_storage"])},
                {"id": "ocir", "service": "container_registry", "config": {"repository_name": "ec/storefront"}},
                {"id": "vault", "service": "vault", "rationale": why(t("Customer-managed keys for the database and the bucket.", "DBとバケットの暗号鍵をお客様管理で。"), &["security.key_management"])},
                {"id": "ops-topic", "service": "notifications", "name": t("Ops alerts", "運用アラート"), "config": {"protocol": "email"}},
                {"id": "monitoring", "service": "monitoring", "config": {"alarm_topic": "ops-topic"},
                 "rationale": why(t("OCI native monitoring as requested.", "ご要望どおりOCI標準の監視。"), &["operations.monitoring"])},
                {"id": "logs", "service": "logging", "config": {"retention_months": 3}},
                {"id": "dns", "service": "dns", "config": {"zone_name": "shop.example.co.jp", "zone_type": "public"}},
                {"id": "pipeline", "service": "devops", "name": t("Release pipeline", "リリース・パイプライン"), "config": {"deploy_target": "oke"},
                 "rationale": why(t("OCI DevOps builds and deploys to OKE.", "OCI DevOpsでビルドしOKEへデプロイ。"), &["operations.cicd", "project.unknown_question"])}
            ],
            "connections": [
                {"from": "lb", "to": "oke", "protocol": "https", "port": 443, "purpose": t("storefront traffic", "ストアフロントへの通信")},
                {"from": "oke", "to": "adb", "protocol": "sqlnet", "port": 1522, "purpose": t("orders and stock", "受注・在庫")},
                {"from": "oke", "to": "assets", "protocol": "https", "port": 443, "purpose": t("product images", "商品画像")},
                {"from": "oke", "to": "ocir", "protocol": "https", "port": 443, "purpose": t("image pull", "イメージ取得")},
                {"from": "pipeline", "to": "oke", "protocol": "https", "port": 6443}
            ]
        }),
    );
    let validation = validation(
        vec![
            finding(
                "oke.single_node_pool",
                Severity::Warning,
                RuleCategory::Availability,
                &["oke"],
                t(
                    "The cluster has one node pool across 3 nodes | no spare capacity during upgrades.",
                    "ノードプールが1つ（3ノード）| アップグレード中の余力がありません。",
                ),
                t(
                    "Add a second node pool or raise node_count to 4.",
                    "2つ目のノードプールを追加するか、node_countを4にしてください。",
                ),
            ),
            finding(
                "logging.short_retention",
                Severity::Info,
                RuleCategory::Security,
                &["logs"],
                t(
                    "PCI DSS asks for 12 months of audit logs; Logging keeps 3.",
                    "PCI DSSは12か月の監査ログを求めますが、Loggingの保持は3か月です。",
                ),
                t(
                    "Archive logs to Object Storage with a service connector.",
                    "Service Connectorでログを Object Storage に保管してください。",
                ),
            ),
        ],
        42,
    );
    Scenario { session, arch, validation: Some(validation) }
}

/// An event-driven IoT backend: API Gateway → Functions → Streaming → Functions → NoSQL and an archive bucket.
fn iot_backend(locale: Locale) -> Scenario {
    let h = hearing();
    let t = |en: &str, ja: &str| l(locale, en, ja);
    let mut session = Session::new(
        sid(2),
        &t("Example Energy", "エグザンプル電力"),
        &t("Smart meter telemetry", "スマートメーター・テレメトリ"),
        locale,
        None,
        now(),
    )
    .unwrap();
    session
        .record_answers(
            &h,
            &[
                answer("project.industry", json!("energy")),
                answer(
                    "project.goal",
                    json!(t(
                        "Collect readings from 2 million meters every 5 minutes.",
                        "200万台のメーターから5分ごとに計測値を収集する。"
                    )),
                ),
                answer("project.phase", json!("pilot")),
                answer("workload.type", json!(["event_driven", "api_backend"])),
                answer("workload.app_stack", json!(["python"])),
                answer("traffic.total_users", json!(2000000)),
                answer("availability.sla_target", json!("sla_99_9")),
                answer("data.database_kind", json!(["nosql"])),
                answer("data.size_gb", json!(20000)),
                answer("data.object_storage", json!(["data_lake"])),
                answer("security.compliance", json!(["none"])),
                answer("security.data_residency", json!(true)),
                answer("network.onprem_connectivity", json!("site_to_site_vpn")),
                assumed(
                    "budget.monthly_budget",
                    json!("undecided"),
                    &t("pilot budget not fixed yet", "パイロット予算は未確定"),
                ),
                answer("region.primary", json!("ap-osaka-1")),
            ],
            now(),
        )
        .unwrap();
    let arch = design(
        &session,
        Some("ap-osaka-1"),
        "event_driven_iot",
        json!({
            "components": [
                {"id": "vcn", "service": "vcn", "name": "iot-vcn", "config": {"cidr": "10.40.0.0/16"}},
                {"id": "edge", "service": "subnet", "name": t("Edge subnet", "エッジ・サブネット"), "placement": "vcn", "config": {"tier": "public", "cidr": "10.40.0.0/24"}},
                {"id": "fn-subnet", "service": "subnet", "name": t("Functions subnet", "Functionsサブネット"), "placement": "vcn", "config": {"tier": "private", "role": "functions"}},
                {"id": "igw", "service": "internet_gateway", "placement": "vcn"},
                {"id": "sgw", "service": "service_gateway", "placement": "vcn", "config": {"services": "all_services"}},
                {"id": "api", "service": "api_gateway", "name": t("Ingest API", "収集API"), "placement": "edge", "config": {"endpoint_type": "PUBLIC"},
                 "rationale": why(t("Meters post readings over HTTPS with an API key.", "メーターはAPIキー付きHTTPSで送信。"), &["workload.type"])},
                {"id": "ingest", "service": "functions", "name": t("ingest-fn", "ingest-fn"), "placement": "fn-subnet", "config": {"memory_mb": 512, "function_count": 2},
                 "rationale": why(t("Stateless validation scales to zero between bursts.", "バースト間はゼロまでスケールするステートレスな検証処理。"), &["workload.type", "traffic.total_users"])},
                {"id": "stream", "service": "streaming", "name": "meter-readings", "config": {"partitions": 8, "retention_hours": 72},
                 "rationale": why(t("Buffers 6,700 readings per second; 3 days to replay.", "毎秒6,700件をバッファし、3日間再処理できます。"), &["traffic.total_users"])},
                {"id": "process", "service": "functions", "name": t("process-fn", "process-fn"), "placement": "fn-subnet", "config": {"memory_mb": 1024, "timeout_seconds": 120}},
                {"id": "readings", "service": "nosql", "name": t("Latest readings", "最新計測値"), "config": {"table_name": "meter_readings", "capacity_mode": "provisioned", "read_units": 2000, "write_units": 8000},
                 "rationale": why(t("Key-value lookups by meter id at low latency.", "メーターIDによる低レイテンシのキー検索。"), &["data.database_kind"])},
                {"id": "lake", "service": "object_storage", "name": t("Raw archive", "生データ保管"), "config": {"bucket_name": "meter-raw", "storage_tier": "standard"},
                 "rationale": why(t("Raw data for the data lake.", "データレイク用の生データ。"), &["data.object_storage", "data.size_gb"])},
                {"id": "rules", "service": "events", "name": t("Bucket events", "バケット・イベント")},
                {"id": "alerts", "service": "notifications", "config": {"protocol": "https"}},
                {"id": "dlq", "service": "queue", "name": t("Dead letters", "デッドレター"), "config": {"max_delivery_attempts": 3}},
                {"id": "monitoring", "service": "monitoring", "config": {"alarm_topic": "alerts"}}
            ],
            "connections": [
                {"from": "api", "to": "ingest", "protocol": "https", "port": 443, "purpose": t("meter readings (JSON)", "計測値（JSON）")},
                {"from": "ingest", "to": "stream", "protocol": "https", "port": 443, "purpose": t("publish", "パブリッシュ")},
                {"from": "stream", "to": "process", "purpose": t("service connector", "Service Connector")},
                {"from": "process", "to": "readings", "protocol": "https", "port": 443, "purpose": t("upsert latest value", "最新値を更新")},
                {"from": "process", "to": "lake", "protocol": "https", "port": 443},
                {"from": "process", "to": "dlq", "protocol": "https", "port": 443, "purpose": t("failed readings", "失敗した計測値")},
                {"from": "lake", "to": "rules"},
                {"from": "rules", "to": "alerts", "purpose": t("new object", "新規オブジェクト")}
            ]
        }),
    );
    Scenario { session, arch, validation: Some(validation(Vec::new(), 37)) }
}

/// A two-week PoC on one VM with an Always Free Autonomous Database, hearing completed with force.
fn small_poc(locale: Locale) -> Scenario {
    let h = hearing();
    let t = |en: &str, ja: &str| l(locale, en, ja);
    let mut session = Session::new(
        sid(3),
        &t("Kita Clinic", "きたクリニック"),
        &t("Booking app PoC", "予約アプリPoC"),
        locale,
        None,
        now(),
    )
    .unwrap();
    session
        .record_answers(
            &h,
            &[
                answer("project.industry", json!("healthcare")),
                answer("project.phase", json!("poc")),
                answer("budget.poc_duration_weeks", json!(2)),
                answer("workload.type", json!(["web_app"])),
                answer("workload.app_stack", json!(["php"])),
                assumed("traffic.total_users", json!(50), &t("staff only during the PoC", "PoC中は職員のみ")),
                answer("data.database_kind", json!(["oracle_db"])),
                answer("region.primary", json!("ap-tokyo-1")),
            ],
            now(),
        )
        .unwrap();
    session.complete(&h, true, now()).unwrap();
    let arch = design(
        &session,
        Some("ap-tokyo-1"),
        "single_vm",
        json!({
            "components": [
                {"id": "vcn", "service": "vcn", "name": "poc-vcn"},
                {"id": "public", "service": "subnet", "name": t("Public subnet", "パブリック・サブネット"), "placement": "vcn",
                 "config": {"tier": "public", "cidr": "10.0.0.0/24", "ingress": ["tcp:22:0.0.0.0/0", "tcp:443:0.0.0.0/0"]}},
                {"id": "igw", "service": "internet_gateway", "placement": "vcn"},
                {"id": "app", "service": "compute_instance", "name": t("App server", "アプリサーバー"), "placement": "public",
                 "config": {"shape": "VM.Standard.A1.Flex", "ocpus": 2, "memory_gb": 12, "assign_public_ip": true, "is_free_tier": true},
                 "rationale": why(t("A single Always Free VM is enough for a two-week PoC.", "2週間のPoCにはAlways FreeのVM 1台で十分です。"), &["project.phase", "budget.poc_duration_weeks"])},
                {"id": "data", "service": "block_volume", "config": {"attached_to": "app", "size_gb": 50, "vpus_per_gb": 10}},
                {"id": "adb", "service": "autonomous_database", "name": "poc-atp",
                 "config": {"network_access": "public", "is_free_tier": true, "ecpu_count": 2, "storage_gb": 20},
                 "rationale": why(t("Always Free ATP; public endpoint with an ACL for the PoC only.", "Always Free ATP。PoC期間のみACL付きのパブリック・エンドポイント。"), &["data.database_kind", "project.phase"])}
            ],
            "connections": [
                {"from": "app", "to": "adb", "protocol": "tcps", "port": 1522, "purpose": "mTLS"}
            ]
        }),
    );
    let validation = validation(
        vec![
            finding(
                "network.ssh_open_to_internet",
                Severity::Error,
                RuleCategory::Security,
                &["public"],
                t(
                    "public allows SSH (tcp:22) from 0.0.0.0/0.",
                    "publicは0.0.0.0/0からのSSH（tcp:22）を許可しています。",
                ),
                t(
                    "Use the Bastion service or restrict the source CIDR.",
                    "Bastionサービスを使うか、接続元CIDRを制限してください。",
                ),
            ),
            finding(
                "adb.public_endpoint",
                Severity::Warning,
                RuleCategory::Security,
                &["adb"],
                t(
                    "The database is reachable from the internet.",
                    "データベースがインターネットから到達可能です。",
                ),
                t(
                    "Set network_access to private_endpoint before production.",
                    "本番前にnetwork_accessをprivate_endpointにしてください。",
                ),
            ),
        ],
        42,
    );
    Scenario { session, arch, validation: Some(validation) }
}

/// A hand-built design full of text Mermaid and Markdown choke on.
fn hostile() -> Scenario {
    let h = hearing();
    let mut session = Session::new(
        sid(4),
        "ACME \"Quotes\" | <b>Pipes</b> #1",
        "end; subgraph [x] `code` *bold* _it_",
        Locale::En,
        None,
        now(),
    )
    .unwrap();
    session
        .record_answers(
            &h,
            &[assumed(
                "project.goal",
                json!("a | b\nline 2 <script>alert(1)</script> &amp; 100%"),
                "note | with pipe\nand newline",
            )],
            now(),
        )
        .unwrap();
    let nasty = "He said \"hi\" [a] (b) {c} #1; <script>alert('x')</script> | `tick` %% 100% & end";
    let mut arch = design(
        &session,
        None,
        "hostile",
        json!({
            "components": [
                {"id": "end", "service": "vcn", "name": "end", "config": {"cidr": "10.0.0.0/16"}},
                {"id": "subgraph", "service": "subnet", "name": "subgraph \"public\" [edge]", "placement": "end", "config": {"tier": "public"}},
                {"id": "class", "service": "load_balancer", "name": nasty, "placement": "subgraph"},
                {"id": "style", "service": "object_storage", "name": "クラスタ「本番」の#バケット;", "config": {"bucket_name": "a-b_c.d"}},
                {"id": "default", "service": "dns", "name": "default --> click", "config": {"zone_name": "example.com"}},
                {"id": "o", "service": "events", "name": "o"},
                {"id": "x", "service": "events", "name": "x"}
            ],
            "connections": [
                {"from": "class", "to": "style", "protocol": "https", "port": 443, "purpose": "a | b --> c; \"d\" #e"},
                {"from": "o", "to": "x", "purpose": "end"},
                {"from": "x", "to": "o"},
                {"from": "default", "to": "class"}
            ]
        }),
    );
    // What edits would refuse, drawn anyway: a newline in a name, an unknown service, a dangling placement,
    // a duplicate id and a connection to nowhere.
    arch.components[2].name.push_str("\nsecond line\ttab");
    arch.components.push(Component {
        id: "ghost".parse().unwrap(),
        service: "not_a_service".into(),
        name: "Ghost ]\"[".into(),
        config: [("k".to_owned(), json!({"nested": [1, 2.5, "x|y"]}))].into_iter().collect(),
        placement: Some("nowhere".parse().unwrap()),
        rationale: Some(Rationale { reason: "why | not\n*really*".into(), answers: vec!["x`y".into()] }),
    });
    arch.components.push(arch.components[0].clone());
    arch.connections.push(Connection {
        from: "ghost".parse().unwrap(),
        to: "missing".parse().unwrap(),
        protocol: Some("tcp".into()),
        port: Some(1),
        purpose: None,
    });
    let v = validation(
        vec![Finding {
            rule_id: "x|y".into(),
            severity: Severity::Error,
            category: RuleCategory::Network,
            components: vec!["class".parse().unwrap(), "missing".parse().unwrap()],
            message: "bad | worse\nworst".into(),
            fix: "fix `it`".into(),
            docs: Some("https://example.com/a b|c".into()),
        }],
        1,
    );
    Scenario { session, arch, validation: Some(v) }
}

fn render(s: &Scenario, locale: Locale) -> (String, String) {
    let services = services();
    let hearing = hearing();
    let diagram = mermaid(&s.arch, &services, locale);
    let input = SummaryInput {
        architecture: Some(&s.arch),
        validation: s.validation.as_ref(),
        locale,
        generated_at: Some("2026-12-01 18:30 JST"),
        ..SummaryInput::new(&s.session, &hearing, &services)
    };
    (diagram, summary(&input))
}

/// Structural checks every export must pass (the CI script runs Mermaid's own parser on the snapshots).
fn check_structure(diagram: &str, markdown: &str) {
    let opens = diagram.lines().filter(|l| l.trim_start().starts_with("subgraph ")).count();
    let ends = diagram.lines().filter(|l| l.trim() == "end").count();
    assert_eq!(opens, ends, "{diagram}");
    for line in diagram.lines().skip(1) {
        assert_eq!(line.matches('"').count() % 2, 0, "unbalanced quotes: {line}");
        assert!(!line.contains("\"\""), "empty label: {line}");
    }
    assert!(diagram.starts_with("flowchart TB\n"));
    // Every table row has as many cell separators as its header.
    let mut expected: Option<usize> = None;
    for line in markdown.lines() {
        if line.starts_with('|') {
            let bars = line.char_indices().filter(|(i, c)| *c == '|' && !line[..*i].ends_with('\\')).count();
            match expected {
                None => expected = Some(bars),
                Some(n) => assert_eq!(bars, n, "broken table row: {line}"),
            }
        } else {
            expected = None;
        }
    }
    assert_eq!(markdown.matches("```").count() % 2, 0);
}

macro_rules! scenario_snapshots {
    ($($test:ident: $build:ident, $locale:expr;)*) => {$(
        #[test]
        fn $test() {
            let s = $build($locale);
            let (diagram, markdown) = render(&s, $locale);
            check_structure(&diagram, &markdown);
            assert!(markdown.contains(&diagram), "the summary embeds the diagram");
            insta::assert_snapshot!(concat!(stringify!($test), "_mermaid"), diagram);
            insta::assert_snapshot!(concat!(stringify!($test), "_summary"), markdown);
        }
    )*};
}

scenario_snapshots! {
    ec_site_ja: ec_site, Locale::Ja;
    ec_site_en: ec_site, Locale::En;
    iot_backend_ja: iot_backend, Locale::Ja;
    iot_backend_en: iot_backend, Locale::En;
    small_poc_ja: small_poc, Locale::Ja;
    small_poc_en: small_poc, Locale::En;
}

#[test]
fn hostile_text_is_escaped() {
    let s = hostile();
    let (diagram, markdown) = render(&s, Locale::En);
    check_structure(&diagram, &markdown);
    for forbidden in ["<script", "\"hi\"", "end;", "\n  end\n  end\n  end"] {
        assert!(!diagram.contains(forbidden), "{forbidden} in {diagram}");
    }
    assert!(!markdown.replace("\\<script", "").contains("<script"), "{markdown}");
    assert!(diagram.contains("n_end[\""), "node ids are prefixed: {diagram}");
    insta::assert_snapshot!("hostile_mermaid", diagram);
    insta::assert_snapshot!("hostile_summary", markdown);
}

#[test]
fn empty_and_missing_designs() {
    let services = services();
    let hearing = hearing();
    let session = Session::new(sid(5), "c", "p", Locale::Ja, None, now()).unwrap();
    let arch = Architecture::new(session.id, None, now());
    let diagram = mermaid(&arch, &services, Locale::Ja);
    insta::assert_snapshot!("empty_mermaid", diagram);
    let without = summary(&SummaryInput::new(&session, &hearing, &services));
    assert!(without.contains("アーキテクチャはまだ作成されていません"), "{without}");
    assert!(!without.contains("```mermaid"));
    let with_empty = summary(&SummaryInput {
        architecture: Some(&arch),
        ..SummaryInput::new(&session, &hearing, &services)
    });
    assert!(with_empty.contains("```mermaid\nflowchart TB\n"), "{with_empty}");
}

#[test]
fn escaping_helpers() {
    use super::mermaid::{escape_label, node_id};
    use super::summary::escape_markdown;
    assert_eq!(escape_label("a\"b#c;d<e>|`"), "a#quot;b#35;c#59;d#lt;e#gt;#124;#96;");
    assert_eq!(escape_label("日本語\n(x)"), "日本語 (x)");
    assert_eq!(node_id("app-db"), "n_app_db");
    assert_eq!(node_id("end"), "n_end");
    assert_eq!(
        escape_markdown("a|b\nc *d* private_endpoint _x_ [l](u) C#"),
        "a\\|b<br>c \\*d\\* private_endpoint \\_x\\_ \\[l\\](u) C\\#"
    );
    assert_eq!(escape_markdown("R&D &amp; x\r\ny"), "R\\&D \\&amp; x<br>y");
}

// ---- random designs -------------------------------------------------------------------------------------

const NASTY: &str =
    "[a-zA-Z0-9 \"'\\[\\](){}<>#;:|`%&*_~\\\\/\n\t-]{0,12}|end|subgraph|graph|クラスタ「本番」|a-->b|%%x";

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        NASTY.prop_map(Value::String),
        proptest::collection::vec(NASTY.prop_map(Value::String), 0..3).prop_map(Value::Array),
    ]
}

prop_compose! {
    fn arb_component(n: usize)(
        id in "[a-z][a-z0-9-]{0,3}",
        service in prop_oneof![
            proptest::sample::select(services().services.iter().map(|s| s.id.clone()).collect::<Vec<_>>()),
            Just("unknown".to_owned()),
        ],
        name in NASTY,
        placement in proptest::option::of(0..n.max(1) + 1),
        config in proptest::collection::btree_map(
            proptest::sample::select(vec!["cidr", "tier", "shape", "ocpus", "node_count", "lb_subnet", "target", "attached_to", "alarm_topic", "bucket_name", "visibility", "network_access", "zz"]).prop_map(str::to_owned),
            arb_value(), 0..5),
        reason in proptest::option::of((NASTY, proptest::collection::vec("[a-z]{1,8}\\.[a-z_]{1,12}|workload\\.type|x`y", 0..3))),
    ) -> (String, String, String, Option<usize>, BTreeMapAlias, Option<(String, Vec<String>)>) {
        (id, service, name, placement, config, reason)
    }
}

type BTreeMapAlias = std::collections::BTreeMap<String, Value>;

fn arb_architecture() -> impl Strategy<Value = Architecture> {
    (0usize..14)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(arb_component(n), n),
                proptest::collection::vec(
                    (
                        0..n + 2,
                        0..n + 2,
                        proptest::option::of("[a-z]{1,5}|\"x\"|a b"),
                        proptest::option::of(any::<u16>()),
                        proptest::option::of(NASTY),
                    ),
                    0..n * 2 + 1,
                ),
                proptest::option::of("[a-z0-9-]{1,12}|\"x\" #;"),
            )
        })
        .prop_map(|(comps, conns, region)| {
            let ids: Vec<ComponentId> = comps.iter().map(|c| ComponentId::slugify(&c.0)).collect();
            let pick = |i: usize| ids.get(i).cloned().unwrap_or_else(|| "dangling".parse().unwrap());
            let mut a = Architecture::new(sid(9), region, now());
            for (i, (_, service, name, placement, config, reason)) in comps.into_iter().enumerate() {
                let mut config = config;
                // Component references to existing ids, sometimes.
                for v in config.values_mut() {
                    if let Value::String(s) = v
                        && s.len() == 1
                    {
                        *v = Value::String(pick(s.len() + i).to_string());
                    }
                }
                a.components.push(Component {
                    id: ids[i].clone(),
                    service,
                    name,
                    config,
                    placement: placement.map(pick),
                    rationale: reason.map(|(reason, answers)| Rationale { reason, answers }),
                });
            }
            for (from, to, protocol, port, purpose) in conns {
                a.connections.push(Connection { from: pick(from), to: pick(to), protocol, port, purpose });
            }
            a
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Exports never panic, are well-formed, and are deterministic: same design, same bytes.
    #[test]
    fn exports_are_deterministic(arch in arb_architecture(), ja in any::<bool>()) {
        let locale = if ja { Locale::Ja } else { Locale::En };
        let services = services();
        let hearing = hearing();
        let session = Session::new(sid(9), "c|d", "p", locale, Some("n\n#x"), now()).unwrap();
        let copy = arch.clone();
        let d1 = mermaid(&arch, &services, locale);
        let d2 = mermaid(&copy, &services, locale);
        prop_assert_eq!(&d1, &d2);
        let v = validation(vec![finding("r", Severity::Warning, RuleCategory::Cost, &["a", "b"], "m|x".into(), "f".into())], 3);
        let input = SummaryInput { architecture: Some(&arch), validation: Some(&v), ..SummaryInput::new(&session, &hearing, &services) };
        let s1 = summary(&input);
        let s2 = summary(&SummaryInput { architecture: Some(&copy), ..input });
        prop_assert_eq!(&s1, &s2);
        check_structure(&d1, &s1);
    }
}

/// Writes random diagrams for Mermaid's own parser: `GALLEY_MERMAID_CORPUS=DIR cargo test -p galley-domain
/// export::tests::write_random_corpus -- --ignored`, then `.ci/mermaid.sh DIR`.
#[test]
#[ignore = "writes files; run by hand or from CI with GALLEY_MERMAID_CORPUS set"]
fn write_random_corpus() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let Some(dir) = std::env::var_os("GALLEY_MERMAID_CORPUS") else { return };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    let services = services();
    let mut runner = TestRunner::deterministic();
    let strategy = arb_architecture();
    for i in 0..200 {
        let arch = strategy.new_tree(&mut runner).unwrap().current();
        let locale = if i % 2 == 0 { Locale::En } else { Locale::Ja };
        std::fs::write(dir.join(format!("random-{i:03}.mmd")), mermaid(&arch, &services, locale)).unwrap();
    }
    for (name, s) in [("ec", ec_site(Locale::Ja)), ("iot", iot_backend(Locale::En)), ("hostile", hostile())] {
        std::fs::write(dir.join(format!("{name}.mmd")), mermaid(&s.arch, &services, Locale::En)).unwrap();
    }
}
