//! The patterns: how each one is assembled from the shared parts. Each returns the flow it implements
//! (e.g. "LB → Compute → ADB") for the summary.

use serde_json::json;

use super::build::{Builder, Part};
use super::parts::{
    Ctx, Db, Subnet, app_subnet, bastion, bucket, common, compute_app, container_app, databases, db_subnet,
    devops, lb_subnet, load_balancer, network, registry, usage_buckets,
};

fn db_flow(ctx: &Ctx) -> String {
    if ctx.dbs.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = ctx
        .dbs
        .iter()
        .map(|d| match d {
            Db::Adb("dw") => "ADW",
            Db::Adb(_) => "ADB",
            Db::Base => "Base DB",
            Db::Mysql => "MySQL",
            Db::Nosql => "NoSQL",
            Db::Postgres => "PostgreSQL",
            Db::SqlServer => "SQL Server",
        })
        .collect();
    format!(" → {}", names.join(" / "))
}

/// LB (+WAF) → compute or container instances → database.
pub(crate) fn web_three_tier(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let containers = f.is("workload.containerization", &["docker", "kubernetes"]);
    let mut subnets = vec![lb_subnet(f, ctx, "subnet-lb", "lb", ctx.public), app_subnet(f, !containers, &[])];
    if ctx.needs_db_subnet() {
        subnets.push(db_subnet(f, ctx));
    }
    network(b, ctx, subnets);
    load_balancer(b, ctx, "lb", "subnet-lb", ctx.public);
    let role = f.t("Web／アプリケーション層", "Web / application tier");
    let apps: Vec<&'static str> = if containers {
        container_app(b, ctx, "subnet-app", role)
    } else {
        compute_app(b, ctx, "app", "subnet-app", role);
        vec!["app"]
    };
    for app in &apps {
        b.connect("lb", app, "http", 8080, f.t("LB → アプリケーション", "LB → application"));
    }
    databases(b, ctx, &apps);
    usage_buckets(b, &apps);
    if containers {
        registry(b, f.t("アプリケーション", "the application"));
        devops(b, "container_instance", "app", false);
    } else {
        bastion(b, "subnet-app", f.t("アプリケーション・サーバー", "the application servers"));
        devops(b, "compute", "app", false);
    }
    common(b, ctx);
    let app = if containers { "Container Instances" } else { "Compute" };
    format!("{}LB → {app}{}", if ctx.public { "WAF → " } else { "" }, db_flow(ctx))
}

/// (API Gateway →) LB (+WAF) → OKE → ADB, with Container Registry and DevOps.
pub(crate) fn api_oke_adb(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let api_centric = (f.has("workload.type", "api_backend") || f.has("workload.type", "mobile_backend"))
        && !f.has("workload.type", "web_app");
    let gateway = api_centric && ctx.public;
    let mut api_ingress = vec!["tcp:6443:vcn".to_owned(), "tcp:12250:vcn".to_owned()];
    api_ingress.extend(ctx.onprem_cidrs.iter().map(|c| format!("tcp:6443:{c}")));
    api_ingress.push("icmp:3.4:0.0.0.0/0".to_owned());
    let lb_public = ctx.public && !gateway;
    let mut subnets = vec![
        lb_subnet(f, ctx, "subnet-oke-lb", "oke_lb", lb_public),
        Subnet {
            id: "subnet-oke-api",
            role: "oke_api",
            public: false,
            third: 3,
            len: 24,
            ingress: api_ingress,
            name: f.t("プライベート・サブネット（OKE APIエンドポイント）", "Private subnet (OKE API endpoint)"),
            reason: f.t(
                "OKEのKubernetes APIエンドポイント用（プライベート）。ワーカーとVCN内からの6443・12250を許可します。",
                "The OKE Kubernetes API endpoint (private): 6443 and 12250 from the workers and the VCN.",
            ),
            answers: &["workload.containerization", "network.exposure"],
        },
        Subnet {
            id: "subnet-oke-workers",
            role: "oke_workers",
            public: false,
            third: 16,
            len: 20,
            ingress: vec!["all:*:vcn".to_owned(), "icmp:3.4:0.0.0.0/0".to_owned()],
            name: f.t("プライベート・サブネット（OKEワーカー・ノード／Pod）", "Private subnet (OKE worker nodes / pods)"),
            reason: f.t(
                "ワーカー・ノードとPod（VCNネイティブCNI）用。/20でノード数×Pod数を収容し、VCNからの全TCP（10250・12250等）とICMP 3/4を許可します（ないとノード登録がタイムアウト）。",
                "Worker nodes and pods (VCN-native CNI): a /20 fits nodes × pods; all TCP from the VCN (10250, 12250, ...) and ICMP 3/4 are allowed (without them nodes fail to register).",
            ),
            answers: &["workload.containerization", "traffic.peak_concurrent_users"],
        },
    ];
    if gateway {
        subnets.push(Subnet {
            id: "subnet-apigw",
            role: "general",
            public: true,
            third: 4,
            len: 24,
            ingress: vec!["tcp:443:0.0.0.0/0".to_owned(), "icmp:3.4:0.0.0.0/0".to_owned()],
            name: f.t("パブリック・サブネット（API Gateway）", "Public subnet (API Gateway)"),
            reason: f
                .t("公開APIの入口となるAPI Gateway用。", "For the API Gateway, the public API's front door."),
            answers: &["workload.type", "network.exposure"],
        });
    }
    if ctx.needs_db_subnet() {
        subnets.push(db_subnet(f, ctx));
    }
    network(b, ctx, subnets);

    // Sizing: ~200 concurrent users per OCPU plus one OCPU per node for the system pods.
    let work = (ctx.peak as f64 / 200.0).ceil().max(1.0) as u64;
    let node_ocpus: u64 = match work {
        _ if ctx.small() => 2,
        w if w > 24 => 8,
        w if w > 8 => 4,
        _ => 2,
    };
    let nodes = if ctx.small() {
        1
    } else {
        (work + 1).div_ceil(node_ocpus - 1).max(if ctx.ha { 3 } else { 2 }).min(100)
    };
    let mut reason = if ctx.small() {
        f.t(
            format!("Kubernetesで稼働するAPI／アプリケーション。PoCのため {nodes} ノード × {node_ocpus} OCPU / {} GB の最小構成（Basicクラスタ）。", node_ocpus * 16),
            format!("APIs / applications on Kubernetes: the minimal PoC size, {nodes} node × {node_ocpus} OCPU / {} GB (basic cluster).", node_ocpus * 16),
        )
    } else {
        f.t(
            format!(
                "Kubernetesで稼働するAPI／アプリケーション。ピーク同時接続 {} 人から {nodes} ノード × {node_ocpus} OCPU / {} GB（1ノードあたり1 OCPUをシステムPod用に確保）。",
                ctx.peak,
                node_ocpus * 16
            ),
            format!(
                "APIs / applications on Kubernetes: {nodes} nodes × {node_ocpus} OCPU / {} GB for {} concurrent users (one OCPU per node kept for system pods).",
                node_ocpus * 16,
                ctx.peak
            ),
        )
    };
    reason.push_str(&f.t(
        "APIエンドポイントはプライベート（Bastion経由で操作）、CNIはVCNネイティブ。",
        " Private API endpoint (operated through Bastion), VCN-native CNI.",
    ));
    if ctx.ha && !ctx.small() {
        reason.push_str(&f.t(
            "3ノード以上をフォールト・ドメインに分散します。",
            " Three or more nodes across fault domains.",
        ));
    }
    b.add(
        Part::new("oke", "oke")
            .at("subnet-oke-workers")
            .cfg(json!({
                "endpoint_visibility": "private",
                "api_endpoint_subnet": "subnet-oke-api",
                "lb_subnet": "subnet-oke-lb",
                "node_pool_type": "managed",
                "node_shape": "VM.Standard.E5.Flex",
                "node_ocpus": node_ocpus,
                "node_memory_gb": node_ocpus * 16,
                "node_count": nodes,
                "cni": "vcn_native",
                "cluster_type": if ctx.small() { "basic" } else { "enhanced" },
                "pods_per_node": 31,
            }))
            .why(
                reason,
                &[
                    "workload.containerization",
                    "workload.type",
                    "operations.team_skill",
                    "traffic.peak_concurrent_users",
                    "traffic.total_users",
                    "availability.sla_target",
                    "project.phase",
                ],
            ),
    );
    load_balancer(b, ctx, "lb", "subnet-oke-lb", lb_public);
    b.connect(
        "lb",
        "oke",
        "tcp",
        443,
        f.t("LB → Ingressコントローラー（NodePort）", "LB → ingress controller (NodePort)"),
    );
    if gateway {
        b.add(Part::new("apigw", "api_gateway").at("subnet-apigw").cfg(json!({"endpoint_type": "PUBLIC"})).why(
            f.t(
                "公開APIの入口。認証・レート制限・ルーティングを行い、内部LB経由でOKEへ転送します。",
                "The public API's front door: authentication, rate limiting and routing, forwarding to OKE through the internal LB.",
            ),
            &["workload.type", "network.exposure", "security.authentication"],
        ));
        b.connect("apigw", "lb", "https", 443, f.t("API Gateway → 内部LB", "API Gateway → internal LB"));
        if f.bool("security.waf_required") == Some(true) {
            b.reason(f.t(
                "API GatewayはWAFポリシーの対象外のため、レート制限と認証はAPI Gatewayで、WAFは内部LBに適用しています。",
                "WAF policies do not attach to API Gateway: rate limiting and authentication are done there, the WAF sits on the internal LB.",
            ));
        }
    }
    databases(b, ctx, &["oke"]);
    usage_buckets(b, &["oke"]);
    registry(b, f.t("OKEで稼働するアプリケーション", "the applications on OKE"));
    b.connect(
        "oke",
        "ocir",
        "https",
        443,
        f.t("イメージのpull（サービス・ゲートウェイ経由）", "image pulls (through the service gateway)"),
    );
    devops(b, "oke", "oke", true);
    bastion(
        b,
        "subnet-oke-api",
        f.t("OKEのプライベートAPIエンドポイント（kubectl）", "the OKE private API endpoint (kubectl)"),
    );
    common(b, ctx);
    let front = if gateway {
        "API Gateway → LB"
    } else if ctx.public {
        "WAF → LB"
    } else {
        "LB"
    };
    format!("{front} → OKE{}", db_flow(ctx))
}

/// Events / API Gateway → Functions → Streaming or Queue → NoSQL / ADB.
pub(crate) fn event_driven(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let http = ctx.public
        || f.has("workload.type", "api_backend")
        || f.has("workload.type", "mobile_backend")
        || f.has("workload.type", "web_app");
    let public_gateway = http && ctx.public;
    let mut subnets = Vec::new();
    if public_gateway {
        subnets.push(Subnet {
            id: "subnet-apigw",
            role: "general",
            public: true,
            third: 4,
            len: 24,
            ingress: vec!["tcp:443:0.0.0.0/0".to_owned(), "icmp:3.4:0.0.0.0/0".to_owned()],
            name: f.t("パブリック・サブネット（API Gateway）", "Public subnet (API Gateway)"),
            reason: f.t(
                "HTTPで受けるイベントの入口となるAPI Gateway用。",
                "For the API Gateway that receives events over HTTP.",
            ),
            answers: &["workload.type", "network.exposure"],
        });
    }
    let mut fn_ingress = if http && !public_gateway { vec!["tcp:443:vcn".to_owned()] } else { Vec::new() };
    fn_ingress.push("icmp:3.4:0.0.0.0/0".to_owned());
    subnets.push(Subnet {
        id: "subnet-fn",
        role: "functions",
        public: false,
        third: 5,
        len: 24,
        ingress: fn_ingress,
        name: f.t("プライベート・サブネット（Functions）", "Private subnet (Functions)"),
        reason: f.t(
            "Functionsはプライベート・サブネットで実行し、NAT／サービス・ゲートウェイ経由でOCIサービスにアクセスします。",
            "Functions run in a private subnet and reach OCI services through the NAT / service gateway.",
        ),
        answers: &["workload.type"],
    });
    if ctx.needs_db_subnet() {
        subnets.push(db_subnet(f, ctx));
    }
    network(b, ctx, subnets);
    if http {
        let (endpoint, at) =
            if public_gateway { ("PUBLIC", "subnet-apigw") } else { ("PRIVATE", "subnet-fn") };
        b.add(Part::new("apigw", "api_gateway").at(at).cfg(json!({"endpoint_type": endpoint})).why(
            f.t(
                format!("HTTP（API・Webhook）で受けたイベントをFunctionsに渡します（{endpoint}）。"),
                format!(
                    "Receives events over HTTP (APIs, webhooks) and hands them to Functions ({endpoint})."
                ),
            ),
            &["workload.type", "network.exposure", "security.authentication"],
        ));
    }
    b.add(Part::new("events", "events").why(
        f.t(
            "Object Storageへのアップロード等のOCIイベントをルールでFunctionsに連携します。",
            "Event rules route OCI events (Object Storage uploads, ...) to Functions.",
        ),
        &["workload.type", "data.object_storage"],
    ));
    let streaming = ctx.peak >= 1000
        || f.has("workload.type", "data_analytics")
        || f.is("traffic.growth_rate", &["high", "rapid"]);
    b.add(
        Part::new("fn", "functions")
            .at("subnet-fn")
            .cfg(json!({"memory_mb": if ctx.small() { 256 } else { 512 }, "timeout_seconds": 120, "function_count": 3}))
            .why(
                f.t(
                    "受付・処理・後続連携の関数（3つ）をサーバーレスで実行し、負荷に応じて自動でスケールします。",
                    "Receive, process and forward functions (three), serverless and scaling with the load.",
                ),
                &["workload.type", "traffic.peak_concurrent_users"],
            ),
    );
    if http {
        b.connect(
            "apigw",
            "fn",
            "https",
            443,
            f.t("API Gateway → 受付関数", "API Gateway → receiving function"),
        );
    }
    b.connect(
        "events",
        "fn",
        "https",
        443,
        f.t("イベント・ルール → 関数の起動", "event rule → function invocation"),
    );
    let buffer = if streaming {
        let partitions = (ctx.peak as f64 / 1000.0).ceil().clamp(1.0, 50.0) as i64;
        let retention = if f.has("workload.type", "data_analytics") || ctx.dr { 168 } else { 24 };
        b.add(
            Part::new("stream", "streaming")
                .cfg(json!({"partitions": partitions, "retention_hours": retention}))
                .why(
                    f.t(
                        format!("大量・順序付きのイベントをStreamingで受けます（{partitions} パーティション ≒ 秒間 {}件、保持 {retention} 時間）。", partitions * 1000),
                        format!("High-volume, ordered events go through Streaming ({partitions} partitions ≈ {} messages/s, {retention} h retention).", partitions * 1000),
                    ),
                    &["traffic.peak_concurrent_users", "traffic.growth_rate", "workload.type"],
                ),
        );
        "stream"
    } else {
        b.add(
            Part::new("queue", "queue")
                .cfg(json!({"visibility_timeout_seconds": 720, "max_delivery_attempts": 5}))
                .why(
                    f.t(
                        "非同期処理のジョブをQueueでバッファし、失敗時は最大5回再配信します（可視性タイムアウトは関数タイムアウトの6倍）。",
                        "Queue buffers the asynchronous jobs and redelivers up to 5 times (visibility timeout 6× the function timeout).",
                    ),
                    &["workload.type", "traffic.peak_concurrent_users"],
                ),
        );
        "queue"
    };
    b.connect("fn", buffer, "https", 443, f.t("関数 ⇄ メッセージの送受信", "functions ⇄ messages"));
    databases(b, ctx, &["fn"]);
    usage_buckets(b, &["fn"]);
    registry(b, f.t("Functions", "the functions"));
    b.connect("fn", "ocir", "https", 443, f.t("関数イメージのpull", "function image pulls"));
    devops(b, "functions", "fn", false);
    common(b, ctx);
    let front = if http { "API Gateway / Events" } else { "Events" };
    let buffer = if streaming { "Streaming" } else { "Queue" };
    format!("{front} → Functions → {buffer}{}", db_flow(ctx))
}

/// Scheduled compute or container instances with Object Storage and File Storage.
pub(crate) fn batch(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let containers = f.is("workload.containerization", &["docker", "kubernetes"]);
    let nfs = ["tcp:111:vcn", "udp:111:vcn", "tcp:2048-2050:vcn", "udp:2048:vcn"];
    let mut subnets = vec![app_subnet(f, !containers, &nfs)];
    if ctx.needs_db_subnet() {
        subnets.push(db_subnet(f, ctx));
    }
    network(b, ctx, subnets);
    let role = f.t(
        "スケジュール実行のバッチ処理（cron／OCI Resource Schedulerで起動）",
        "Scheduled batch jobs (started by cron / OCI Resource Scheduler)",
    );
    let workers: Vec<&'static str> = if containers {
        container_app(b, ctx, "subnet-app", role)
    } else {
        let ocpus: u64 = match (ctx.small(), ctx.data_gb) {
            (true, _) => 1,
            (_, g) if g <= 500.0 => 2,
            (_, g) if g <= 5000.0 => 4,
            _ => 8,
        };
        let count = if ctx.ha && !ctx.small() { 2 } else { 1 };
        b.add(
            Part::new("batch", "compute_instance")
                .at("subnet-app")
                .cfg(json!({
                    "shape": "VM.Standard.E5.Flex",
                    "ocpus": ocpus,
                    "memory_gb": ocpus * 16,
                    "instance_count": count,
                    "os": if f.has("workload.app_stack", "dotnet") { "windows_server_2022" } else { "oracle_linux_9" },
                    "assign_public_ip": false,
                }))
                .why(
                    f.t(
                        format!("{role}。データ量 {} GB から {count} 台 × {ocpus} OCPU / {} GB。", ctx.data_gb, ocpus * 16),
                        format!("{role}: {count} × {ocpus} OCPU / {} GB for {} GB of data.", ocpus * 16, ctx.data_gb),
                    ),
                    &["workload.type", "data.size_gb", "availability.sla_target", "project.phase"],
                ),
        );
        vec!["batch"]
    };
    b.add(
        Part::new("fss", "file_storage").at("subnet-app").cfg(json!({"export_path": "/data"})).why(
            f.t(
                "バッチ間で共有する作業ファイル用のNFS（マウント・ターゲットはアプリ・サブネット、NFSポートをVCN内に許可）。",
                "NFS for work files shared between jobs (mount target in the app subnet, NFS ports allowed from the VCN).",
            ),
            &["workload.type", "data.size_gb"],
        ),
    );
    bucket(
        b,
        "bucket-batch",
        "batch-data",
        false,
        f.t("バッチの入力・出力データを保管します。", "Holds the batch input and output data."),
        &["workload.type", "data.object_storage"],
    );
    for w in &workers {
        b.connect(w, "fss", "tcp", 2049, f.t("NFSマウント", "NFS mount"));
        b.connect(
            w,
            "bucket-batch",
            "https",
            443,
            f.t(
                "入出力データ（サービス・ゲートウェイ経由）",
                "input/output data (through the service gateway)",
            ),
        );
    }
    databases(b, ctx, &workers);
    usage_buckets(b, &workers);
    if containers {
        registry(b, f.t("バッチ・ジョブ", "the batch jobs"));
        devops(b, "container_instance", workers[0], false);
    } else {
        bastion(b, "subnet-app", f.t("バッチ・サーバー", "the batch servers"));
        devops(b, "compute", "batch", false);
    }
    common(b, ctx);
    let runner = if containers { "Container Instances" } else { "Compute" };
    format!("{runner} (schedule) → File Storage / Object Storage{}", db_flow(ctx))
}

/// ADW with an Object Storage data lake; Data Science and Generative AI when AI is asked for.
pub(crate) fn data_analytics(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let ai = f.has("workload.type", "ai_ml");
    let mut subnets = Vec::new();
    if ai {
        subnets.push(Subnet {
            id: "subnet-analytics",
            role: "app",
            public: false,
            third: 6,
            len: 24,
            ingress: vec!["tcp:443:vcn".to_owned(), "icmp:3.4:0.0.0.0/0".to_owned()],
            name: f.t("プライベート・サブネット（分析・AI）", "Private subnet (analytics and AI)"),
            reason: f.t(
                "Data Scienceのノートブック／モデル・デプロイをプライベート・ネットワークで実行します。",
                "Data Science notebooks / model deployments run on a private network.",
            ),
            answers: &["workload.type"],
        });
    }
    subnets.push(db_subnet(f, ctx));
    network(b, ctx, subnets);
    bucket(
        b,
        "bucket-lake",
        "data-lake",
        false,
        f.t(
            "データレイク: 取り込んだ生データを保管し、ADWから外部表として参照します。",
            "Data lake: raw data lands here and ADW reads it as external tables.",
        ),
        &["workload.type", "data.object_storage", "data.size_gb"],
    );
    databases(b, ctx, &[]);
    b.connect(
        "adb",
        "bucket-lake",
        "https",
        443,
        f.t(
            "DBMS_CLOUDでのロード／外部表（サービス・ゲートウェイ経由）",
            "DBMS_CLOUD loads / external tables (through the service gateway)",
        ),
    );
    if f.has("workload.type", "event_driven") {
        b.add(
            Part::new("stream", "streaming").cfg(json!({"partitions": (ctx.peak as f64 / 1000.0).ceil().clamp(1.0, 50.0) as i64, "retention_hours": 168})).why(
                f.t("イベント・データをStreamingで取り込み、データレイクへ蓄積します。", "Streaming ingests event data into the data lake."),
                &["workload.type", "traffic.peak_concurrent_users"],
            ),
        );
        b.connect(
            "stream",
            "bucket-lake",
            "https",
            443,
            f.t("ストリームからデータレイクへの蓄積", "stream → data lake"),
        );
    }
    if ai {
        b.add(
            Part::new("datascience", "data_science")
                .at("subnet-analytics")
                .cfg(json!({"model_deployment": !ctx.small()}))
                .why(
                    f.t(
                        "機械学習のモデル開発・デプロイ用（AI・機械学習のワークロード）。",
                        "Machine-learning model development and deployment (AI / ML workload).",
                    ),
                    &["workload.type"],
                ),
        );
        b.add(Part::new("genai", "generative_ai").cfg(json!({"serving_mode": "on_demand"})).why(
            f.t(
                "生成AI（要約・RAG等）をオンデマンドで利用します。提供リージョンが限られるため確認が必要です。",
                "Generative AI (summaries, RAG, ...) on demand; it is offered in a subset of regions, so check the region.",
            ),
            &["workload.type", "region.primary"],
        ));
        b.connect("datascience", "adb", "tcp", 1522, f.t("学習データの参照", "training data"));
        b.connect("datascience", "bucket-lake", "https", 443, f.t("データレイクの参照", "data lake access"));
        b.connect(
            "datascience",
            "genai",
            "https",
            443,
            f.t("生成AIの推論呼び出し", "generative AI inference"),
        );
    }
    usage_buckets(b, &[]);
    bastion(b, "subnet-db", f.t("ADW（SQLツールからのポート転送）", "ADW (port forwarding for SQL tools)"));
    b.assume(f.t(
        "BIツール（Oracle Analytics Cloud等）とデータ連携サービスはカタログ外のため構成に含めていません。",
        "BI tools (Oracle Analytics Cloud, ...) and data integration services are outside the catalog and not in the design.",
    ));
    common(b, ctx);
    let mut flow = "Object Storage (data lake) → ADW".to_owned();
    if ai {
        flow.push_str(" → Data Science / Generative AI");
    }
    flow
}

/// A small PoC: LB (+WAF, 10 Mbps) → one container instance → a small database.
pub(crate) fn container_light(b: &mut Builder<'_>, ctx: &Ctx) -> String {
    let f = b.f;
    let mut subnets = vec![lb_subnet(f, ctx, "subnet-lb", "lb", ctx.public), app_subnet(f, false, &[])];
    if ctx.needs_db_subnet() {
        subnets.push(db_subnet(f, ctx));
    }
    network(b, ctx, subnets);
    let light = Ctx { phase: super::facts::Phase::Small, ha: false, ..ctx.clone() };
    load_balancer(b, &light, "lb", "subnet-lb", ctx.public);
    let apps = container_app(b, &light, "subnet-app", f.t("PoC用のアプリケーション", "The PoC application"));
    for app in &apps {
        b.connect("lb", app, "http", 8080, f.t("LB → コンテナ", "LB → container"));
    }
    databases(b, &light, &apps);
    usage_buckets(b, &apps);
    registry(b, f.t("PoCアプリケーション", "the PoC application"));
    devops(b, "container_instance", "app", false);
    common(b, &light);
    format!("{}LB → Container Instances{}", if ctx.public { "WAF → " } else { "" }, db_flow(ctx))
}
