//! The building blocks every pattern shares: the derived sizing context, the network (VCN, subnets with their
//! security-list ingress, gateways), the load balancer with WAF, databases, buckets, Bastion, registry, DevOps,
//! and the common security/observability/connectivity services.
//!
//! What real OCI taught (see `shared/reference/real-oci-lessons.md`) is built in here: subnet CIDRs derived from
//! the VCN's range, private subnets with NAT + service gateway, a public load balancer only in a public subnet,
//! ADB through a private endpoint in the DB subnet with 1522 allowed, OKE's three subnet roles with 6443 on the
//! API endpoint subnet and all-TCP-from-VCN + ICMP 3/4 on the workers, SSH only from inside the VCN (Bastion).

use serde_json::json;

use super::build::{Builder, Part};
use super::facts::{Facts, Phase, Sla};
use super::net::{Cidr, choose_vcn, find_cidrs};

/// Values derived once from the answers, shared by every pattern.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub phase: Phase,
    pub sla: Sla,
    /// Redundancy wanted: SLA 99.9 % or more, or production without a defined SLA.
    pub ha: bool,
    pub dr: bool,
    pub peak: u64,
    pub data_gb: f64,
    /// Internet-facing (network.exposure is not private_only).
    pub public: bool,
    pub vcn: Cidr,
    /// Whether on-premises connectivity was asked for.
    pub onprem: bool,
    /// The existing (on-premises) ranges from network.avoid_cidrs, used as security-list sources.
    pub onprem_cidrs: Vec<Cidr>,
    pub dbs: Vec<Db>,
}

impl Ctx {
    /// PoC or information gathering.
    pub(crate) fn small(&self) -> bool {
        self.phase == Phase::Small
    }

    /// Whether any database needs the private DB subnet.
    pub(crate) fn needs_db_subnet(&self) -> bool {
        self.dbs.iter().any(|d| *d != Db::Nosql)
    }

    pub(crate) fn derive(f: &Facts<'_>, assumptions: &mut Vec<String>) -> Ctx {
        let phase = f.phase(assumptions);
        let sla = f.sla();
        let defined =
            f.answered("availability.sla_target") && !f.is("availability.sla_target", &["undefined"]);
        let ha = sla >= Sla::High || (!defined && phase == Phase::Production);
        if !defined && phase == Phase::Production {
            assumptions.push(f.t(
                "可用性目標が未定義のため、本番導入として冗長構成（2台以上・フォールト・ドメイン分散）を前提にしています。",
                "No availability target is defined: as a production system it is designed redundant (2+ instances across fault domains).",
            ));
        }
        let peak = f.peak(assumptions);
        let data_gb = f.data_gb(assumptions);
        let exposure = f.str("network.exposure");
        if exposure.is_none() {
            assumptions.push(f.t(
                "network.exposure が未回答のため、インターネット公開を前提にしています。",
                "network.exposure is not answered: the system is assumed to be internet-facing.",
            ));
        }
        let public = exposure != Some("private_only");
        let onprem = f.str("network.onprem_connectivity").is_some_and(|v| v != "none");
        let avoid_text = f.str("network.avoid_cidrs").unwrap_or_default();
        let avoid = find_cidrs(avoid_text);
        if !avoid_text.is_empty() && avoid.is_empty() {
            assumptions.push(f.t(
                format!("network.avoid_cidrs（{avoid_text}）からCIDRを読み取れなかったため、VCNの範囲は重複確認が必要です。"),
                format!("No CIDR could be read from network.avoid_cidrs ({avoid_text}): check the VCN range for overlaps."),
            ));
        }
        let vcn = choose_vcn(&avoid).unwrap_or_else(|| {
            assumptions.push(f.t(
                "避けるべきCIDRがすべての候補と重なるため、10.0.0.0/16 を仮置きしています。VCNの範囲を決めてください。",
                "The ranges to avoid cover every candidate: 10.0.0.0/16 is a placeholder; choose the VCN range.",
            ));
            Cidr { base: 10 << 24, len: 16 }
        });
        Ctx {
            phase,
            sla,
            ha,
            dr: f.bool("availability.dr_required") == Some(true),
            peak,
            data_gb,
            public,
            vcn,
            onprem,
            onprem_cidrs: if onprem { avoid } else { Vec::new() },
            dbs: Vec::new(),
        }
    }

    /// Security-list sources for clients inside the corporate network: the VCN and the on-premises ranges.
    pub(crate) fn internal_sources(&self) -> Vec<String> {
        let mut out = vec!["vcn".to_owned()];
        out.extend(self.onprem_cidrs.iter().map(ToString::to_string));
        out
    }
}

/// A database the design uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Db {
    /// Autonomous Database with this workload (`oltp`, `dw`, `json`).
    Adb(&'static str),
    /// Base Database Service (packaged applications such as E-Business Suite).
    Base,
    Mysql,
    Nosql,
    /// Self-managed PostgreSQL on a compute instance.
    Postgres,
    /// SQL Server on a Windows compute instance.
    SqlServer,
}

impl Db {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Db::Adb(_) => "adb",
            Db::Base => "basedb",
            Db::Mysql => "mysql",
            Db::Nosql => "nosql",
            Db::Postgres => "postgres",
            Db::SqlServer => "sqlserver",
        }
    }

    /// (protocol, port) clients use.
    pub(crate) fn port(self) -> (&'static str, u16) {
        match self {
            Db::Adb(_) => ("tcp", 1522),
            Db::Base => ("tcp", 1521),
            Db::Mysql => ("tcp", 3306),
            Db::Nosql => ("https", 443),
            Db::Postgres => ("tcp", 5432),
            Db::SqlServer => ("tcp", 1433),
        }
    }
}

/// Which pattern-specific default applies when the database kind is unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DbDefault {
    AdbOltp,
    AdbDw,
    Nosql,
}

/// The databases from data.database_kind (a warehouse is always ADB `dw` for analytics).
pub(crate) fn choose_dbs(f: &Facts<'_>, default: DbDefault, assumptions: &mut Vec<String>) -> Vec<Db> {
    let kinds = f.list("data.database_kind");
    let mut out: Vec<Db> = Vec::new();
    fn push(out: &mut Vec<Db>, d: Db) {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    if kinds.is_empty() {
        let d = match default {
            DbDefault::AdbOltp => Db::Adb("oltp"),
            DbDefault::AdbDw => Db::Adb("dw"),
            DbDefault::Nosql => Db::Nosql,
        };
        assumptions.push(f.t(
            format!("data.database_kind が未回答のため、{} を前提にしています。", d.id()),
            format!("data.database_kind is not answered: {} is assumed.", d.id()),
        ));
        push(&mut out, d);
        return out;
    }
    for kind in kinds {
        match kind {
            "oracle_db" if default == DbDefault::AdbDw => push(&mut out, Db::Adb("dw")),
            "oracle_db" if f.has("workload.type", "erp_packaged") => push(&mut out, Db::Base),
            "oracle_db" => push(&mut out, Db::Adb("oltp")),
            "mysql" => push(&mut out, Db::Mysql),
            "postgresql" => push(&mut out, Db::Postgres),
            "sql_server" => push(&mut out, Db::SqlServer),
            "nosql" => push(&mut out, Db::Nosql),
            "none" => {}
            other => assumptions.push(f.t(
                format!("データベース「{other}」はカタログにないため構成に含めていません。"),
                format!("The database \"{other}\" is not in the catalog and is not part of the design."),
            )),
        }
    }
    if default == DbDefault::AdbDw && !out.contains(&Db::Adb("dw")) {
        push(&mut out, Db::Adb("dw"));
    }
    out
}

/// A subnet to create.
pub(crate) struct Subnet {
    pub id: &'static str,
    pub role: &'static str,
    pub public: bool,
    /// Third octet of the subnet's range inside the VCN /16 (a multiple of 16 for a /20).
    pub third: u8,
    pub len: u8,
    pub ingress: Vec<String>,
    pub name: String,
    pub reason: String,
    pub answers: &'static [&'static str],
}

fn rules(protocol: &str, ports: &str, sources: &[String]) -> Vec<String> {
    sources.iter().map(|s| format!("{protocol}:{ports}:{s}")).collect()
}

/// ICMP type 3 code 4 (path MTU discovery) from anywhere: OCI's default, needed by every subnet.
fn icmp() -> String {
    "icmp:3.4:0.0.0.0/0".to_owned()
}

/// The front subnet of a load balancer: public (HTTPS/HTTP from the internet) or private (from the VCN and the
/// on-premises ranges).
pub(crate) fn lb_subnet(
    f: &Facts<'_>,
    ctx: &Ctx,
    id: &'static str,
    role: &'static str,
    public: bool,
) -> Subnet {
    let ingress = if public {
        vec!["tcp:443:0.0.0.0/0".to_owned(), "tcp:80:0.0.0.0/0".to_owned(), icmp()]
    } else {
        let mut r = rules("tcp", "443", &ctx.internal_sources());
        r.push(icmp());
        r
    };
    Subnet {
        id,
        role,
        public,
        third: 0,
        len: 24,
        ingress,
        name: if public {
            f.t("パブリック・サブネット（ロードバランサー）", "Public subnet (load balancer)")
        } else {
            f.t("プライベート・サブネット（内部ロードバランサー）", "Private subnet (internal load balancer)")
        },
        reason: if public {
            f.t(
                "インターネットからのHTTPSを受けるロードバランサーはパブリック・サブネットに置きます（プライベート・サブネットには置けません）。",
                "The internet-facing load balancer needs a public subnet (a public LB cannot live in a private subnet).",
            )
        } else {
            f.t(
                "閉域のみのアクセスのため、ロードバランサーもプライベート・サブネットに置き、VCNとオンプレミスからのHTTPSのみ許可します。",
                "Access is private only, so the load balancer is in a private subnet that allows HTTPS from the VCN and on-premises only.",
            )
        },
        answers: &["network.exposure", "workload.type"],
    }
}

/// The private DB subnet: the database ports from the VCN only.
pub(crate) fn db_subnet(f: &Facts<'_>, ctx: &Ctx) -> Subnet {
    let mut ingress = Vec::new();
    for db in &ctx.dbs {
        let (_, port) = db.port();
        if *db == Db::Nosql {
            continue;
        }
        ingress.extend(rules("tcp", &port.to_string(), &ctx.internal_sources()));
        if *db == Db::Mysql {
            ingress.push("tcp:33060:vcn".to_owned());
        }
        if matches!(db, Db::Postgres | Db::SqlServer) {
            ingress.push("tcp:22:vcn".to_owned());
        }
    }
    ingress.push(icmp());
    ingress.dedup();
    Subnet {
        id: "subnet-db",
        role: "db",
        public: false,
        third: 2,
        len: 24,
        ingress,
        name: f.t("プライベート・サブネット（データベース）", "Private subnet (database)"),
        reason: f.t(
            "データベースはインターネットから到達できないプライベート・サブネットに置き、VCN内からDBポートのみ許可します。",
            "Databases live in a private subnet unreachable from the internet; only the database ports from inside the VCN are allowed.",
        ),
        answers: &["data.database_kind", "security.compliance"],
    }
}

/// The private application subnet (from the LB on 8080, SSH only from inside the VCN for Bastion sessions).
pub(crate) fn app_subnet(f: &Facts<'_>, ssh: bool, extra: &[&str]) -> Subnet {
    let mut ingress = vec!["tcp:8080:vcn".to_owned()];
    if ssh {
        ingress.push("tcp:22:vcn".to_owned());
    }
    ingress.extend(extra.iter().map(|s| (*s).to_owned()));
    ingress.push(icmp());
    Subnet {
        id: "subnet-app",
        role: "app",
        public: false,
        third: 1,
        len: 24,
        ingress,
        name: f.t("プライベート・サブネット（アプリケーション）", "Private subnet (application)"),
        reason: f.t(
            "アプリケーションはプライベート・サブネットに置き、ロードバランサーからの通信だけを受けます。SSHはVCN内（Bastion経由）からのみ許可し、0.0.0.0/0には開けません。",
            "The application runs in a private subnet and only accepts traffic from the load balancer; SSH is allowed from inside the VCN (through Bastion) only, never from 0.0.0.0/0.",
        ),
        answers: &["workload.type", "network.exposure"],
    }
}

/// VCN, subnets, then the gateways they need (and the DRG when on-premises connectivity is asked).
pub(crate) fn network(b: &mut Builder<'_>, ctx: &Ctx, subnets: Vec<Subnet>) {
    let f = b.f;
    let (a, o2) = ctx.vcn.prefix16();
    let avoided = if ctx.onprem_cidrs.is_empty() && !f.answered("network.avoid_cidrs") {
        String::new()
    } else {
        f.t(
            format!("（{} と重複しない範囲）", f.display("network.avoid_cidrs")),
            format!(" (does not overlap {})", f.display("network.avoid_cidrs")),
        )
    };
    b.add(
        Part::new("vcn", "vcn")
            .name(f.t("VCN", "VCN"))
            .cfg(json!({"cidr": ctx.vcn.to_string(), "dns_label": "main"}))
            .why(
                f.t(
                    format!("全コンポーネントを1つのVCN {}{avoided} に収め、サブネットの範囲はVCNのCIDRから導出します。", ctx.vcn),
                    format!("One VCN {}{avoided} holds everything; subnet ranges are derived from the VCN's CIDR.", ctx.vcn),
                ),
                &["network.avoid_cidrs", "network.onprem_connectivity", "workload.type"],
            ),
    );
    let any_public = subnets.iter().any(|s| s.public);
    let any_private = subnets.iter().any(|s| !s.public);
    for s in subnets {
        let cidr = format!("{a}.{o2}.{}.0/{}", s.third, s.len);
        b.add(
            Part::new(s.id, "subnet")
                .name(s.name)
                .at("vcn")
                .cfg(json!({
                    "tier": if s.public { "public" } else { "private" },
                    "role": s.role,
                    "cidr": cidr,
                    "ingress": s.ingress,
                }))
                .why(s.reason, s.answers),
        );
    }
    if any_public {
        b.add(Part::new("igw", "internet_gateway").at("vcn").why(
            f.t(
                "パブリック・サブネットのロードバランサー／API Gatewayをインターネットに公開するため（パブリック・ルート表 0.0.0.0/0 → IGW）。",
                "Exposes the public subnet's load balancer / API Gateway to the internet (public route table 0.0.0.0/0 → IGW).",
            ),
            &["network.exposure", "workload.type"],
        ));
    }
    if any_private {
        b.add(Part::new("nat", "nat_gateway").at("vcn").why(
            f.t(
                "プライベート・サブネットからの外向き通信（パッチ、外部API）用。プライベート・ルート表 0.0.0.0/0 → NAT。",
                "Outbound access from the private subnets (patches, external APIs): private route table 0.0.0.0/0 → NAT.",
            ),
            &["workload.type", "network.exposure"],
        ));
        b.add(Part::new("sgw", "service_gateway").at("vcn").cfg(json!({"services": "all_services"})).why(
            f.t(
                "プライベート・サブネットからObject Storage・Container Registry等のOCIサービスへインターネットを経由せずに接続するため（リージョンのサービスCIDRへのルート）。",
                "Private subnets reach Object Storage, Container Registry and other OCI services without the internet (route to the region's service CIDR).",
            ),
            &["data.object_storage", "data.database_kind", "workload.type"],
        ));
    }
    if ctx.onprem {
        b.add(Part::new("drg", "drg").at("vcn").why(
            f.t(
                format!(
                    "オンプレミス接続（{}）の終端としてVCNにアタッチします。",
                    f.display("network.onprem_connectivity")
                ),
                format!(
                    "Attaches the VCN to on-premises connectivity ({}).",
                    f.display("network.onprem_connectivity")
                ),
            ),
            &["network.onprem_connectivity"],
        ));
    }
}

fn round_up(n: f64, step: f64) -> f64 {
    (n / step).ceil() * step
}

/// A load balancer in `subnet` and, when internet-facing (or a WAF is required), a WAF in front of it.
pub(crate) fn load_balancer(
    b: &mut Builder<'_>,
    ctx: &Ctx,
    id: &'static str,
    subnet: &'static str,
    public: bool,
) {
    let f = b.f;
    let (min_bw, max_bw) = if ctx.small() {
        (10.0, 10.0)
    } else {
        let max = round_up((ctx.peak as f64 * 0.1).clamp(10.0, 8000.0), 10.0).min(8000.0);
        let min = if ctx.ha { round_up((max / 4.0).max(10.0), 10.0) } else { 10.0 };
        (min, max)
    };
    let sizing = if ctx.small() {
        f.t("PoCのため10Mbps（Always Freeの範囲）", "10 Mbps for the PoC (within Always Free)")
    } else {
        f.t(
            format!("ピーク同時接続 {} 人 × 約0.1Mbpsから最大 {max_bw}Mbps", ctx.peak),
            format!("up to {max_bw} Mbps from {} concurrent users × ~0.1 Mbps", ctx.peak),
        )
    };
    b.add(
        Part::new(id, "load_balancer")
            .at(subnet)
            .cfg(json!({
                "visibility": if public { "public" } else { "private" },
                "min_bandwidth_mbps": min_bw as i64,
                "max_bandwidth_mbps": max_bw as i64,
                "listener_protocol": "https",
            }))
            .why(
                f.t(
                    format!("利用者からのHTTPSを終端し、アプリケーションに分散します。帯域は{sizing}。"),
                    format!(
                        "Terminates the users' HTTPS and spreads it over the application; bandwidth {sizing}."
                    ),
                ),
                &[
                    "workload.type",
                    "network.exposure",
                    "traffic.peak_concurrent_users",
                    "traffic.total_users",
                ],
            ),
    );
    let waf = f.bool("security.waf_required");
    if public || waf == Some(true) {
        let (action, reason) = match waf {
            Some(true) => (
                "block",
                f.t(
                    "WAFが必要との回答どおり、ロードバランサーの前段でOWASP Top 10・レート制限を適用します。",
                    "A WAF is required: OWASP Top 10 protection and rate limiting in front of the load balancer.",
                ),
            ),
            Some(false) => (
                "detect",
                f.t(
                    "WAFは不要との回答ですが、インターネット公開のロードバランサーには推奨のため検知モードで配置します（不要なら削除可）。",
                    "A WAF was not asked for, but an internet-facing load balancer should have one: placed in detect mode (remove it if unwanted).",
                ),
            ),
            None => (
                "block",
                f.t(
                    "インターネット公開のロードバランサーを保護するため、WAFを前段に置きます。",
                    "Protects the internet-facing load balancer with a WAF in front of it.",
                ),
            ),
        };
        let waf_id = if id == "lb" { "waf" } else { "waf-oke" };
        b.add(
            Part::new(waf_id, "waf")
                .cfg(json!({"target": id, "action": action}))
                .why(reason, &["security.waf_required", "network.exposure", "security.compliance"]),
        );
    }
}

/// Application instances sized from the peak concurrency: (instances, OCPUs each, memory GB each).
pub(crate) fn app_sizing(ctx: &Ctx) -> (u64, u64, u64) {
    if ctx.small() {
        return (1, 1, 16);
    }
    let total = (ctx.peak as f64 / 200.0).ceil().max(1.0) as u64;
    let min_count = if ctx.ha { 2 } else { 1 };
    let count = total.div_ceil(8).max(min_count).min(100);
    let ocpus = total.div_ceil(count).clamp(2, 8);
    (count, ocpus, ocpus * 16)
}

/// The application tier on compute instances.
pub(crate) fn compute_app(
    b: &mut Builder<'_>,
    ctx: &Ctx,
    id: &'static str,
    subnet: &'static str,
    role: String,
) {
    let f = b.f;
    let windows = f.has("workload.app_stack", "dotnet");
    let arm_ok = !windows && !f.has("workload.app_stack", "packaged");
    let free = ctx.small() && arm_ok && f.is("budget.monthly_budget", &["jpy_under_100k"]);
    let (count, ocpus, memory) = app_sizing(ctx);
    let (shape, ocpus, memory) =
        if free { ("VM.Standard.A1.Flex", 2, 12) } else { ("VM.Standard.E5.Flex", ocpus, memory) };
    let os = if windows { "windows_server_2022" } else { "oracle_linux_9" };
    let mut reason = f.t(
        format!(
            "{role}。ピーク同時接続 {} 人（1 OCPUあたり約200人）から {count} 台 × {ocpus} OCPU / {memory} GB（{shape}）。",
            ctx.peak
        ),
        format!("{role}. {count} × {ocpus} OCPU / {memory} GB ({shape}) for {} concurrent users (~200 per OCPU).", ctx.peak),
    );
    if ctx.ha && count >= 2 {
        reason.push_str(&f.t(
            "可用性目標に合わせ2台以上をフォールト・ドメインに分散します。",
            " Two or more instances spread across fault domains for the availability target.",
        ));
    }
    if free {
        reason.push_str(&f.t(
            "PoCかつ予算10万円未満のため、Always FreeのAmpere A1を使います（Arm対応が前提）。",
            " A PoC under JPY 100,000 a month: Always Free Ampere A1 (the application must run on Arm).",
        ));
        b.assume(f.t(
            "アプリケーションがArm（Ampere A1）で動作することを前提にAlways Free枠を使っています。",
            "The application is assumed to run on Arm (Ampere A1) to use the Always Free tier.",
        ));
    }
    if windows {
        reason.push_str(&f.t(
            ".NETのためWindows Serverを前提にしています（.NET 6以降ならLinuxも可）。",
            " .NET: Windows Server is assumed (.NET 6+ could run on Linux).",
        ));
    }
    b.add(
        Part::new(id, "compute_instance")
            .at(subnet)
            .cfg(json!({
                "shape": shape,
                "ocpus": ocpus,
                "memory_gb": memory,
                "instance_count": count,
                "os": os,
                "assign_public_ip": false,
                "is_free_tier": free,
            }))
            .why(
                reason,
                &[
                    "workload.type",
                    "workload.app_stack",
                    "workload.containerization",
                    "traffic.peak_concurrent_users",
                    "traffic.total_users",
                    "availability.sla_target",
                    "project.phase",
                ],
            ),
    );
}

/// The application tier on Container Instances (one, or two for redundancy).
pub(crate) fn container_app(
    b: &mut Builder<'_>,
    ctx: &Ctx,
    subnet: &'static str,
    role: String,
) -> Vec<&'static str> {
    let f = b.f;
    let (count, ocpus, _) = app_sizing(ctx);
    let instances: u64 = if ctx.small() { 1 } else { count.clamp(if ctx.ha { 2 } else { 1 }, 2) };
    let ocpus = if ctx.small() { 1 } else { ocpus };
    let memory = ocpus * 8;
    let ids: &[&'static str] = if instances >= 2 { &["app", "app-2"] } else { &["app"] };
    for (i, id) in ids.iter().enumerate() {
        let mut reason = f.t(
            format!("{role}。コンテナ化済みのためContainer Instancesで稼働させます（{ocpus} OCPU / {memory} GB）。"),
            format!("{role}. The application is containerized, so it runs on Container Instances ({ocpus} OCPU / {memory} GB)."),
        );
        if instances >= 2 {
            reason.push_str(&f.t(
                format!("冗長化のため2つ目のインスタンスを別フォールト・ドメインに置きます（{}/2）。", i + 1),
                format!(" A second instance in another fault domain for redundancy ({}/2).", i + 1),
            ));
        }
        b.add(
            Part::new(id, "container_instance")
                .name(
                    f.t(format!("コンテナ・インスタンス {}", i + 1), format!("Container instance {}", i + 1)),
                )
                .at(subnet)
                .cfg(json!({
                    "shape": "CI.Standard.E4.Flex",
                    "ocpus": ocpus,
                    "memory_gb": memory,
                    "container_count": 1,
                    "assign_public_ip": false,
                }))
                .why(
                    reason,
                    &[
                        "workload.containerization",
                        "traffic.peak_concurrent_users",
                        "traffic.total_users",
                        "availability.sla_target",
                        "project.phase",
                    ],
                ),
        );
    }
    if count > 2 && !ctx.small() {
        b.assume(f.t(
            "Container Instancesは2インスタンスまでとしています。さらに負荷が高い場合はOKEを検討してください。",
            "Container Instances are limited to two instances here; for more load consider OKE.",
        ));
    }
    ids.to_vec()
}

/// ECPUs of an Autonomous Database from data size and concurrency.
fn adb_ecpus(ctx: &Ctx) -> u64 {
    if ctx.small() {
        return 2;
    }
    let by_size = match ctx.data_gb {
        g if g <= 100.0 => 2,
        g if g <= 1000.0 => 4,
        g if g <= 5000.0 => 8,
        g if g <= 20000.0 => 16,
        _ => 32,
    };
    let by_peak = (ctx.peak as f64 / 500.0).ceil() as u64 * 2;
    by_size.max(by_peak).clamp(2, 512)
}

/// The databases (in the DB subnet when they are placed) and the connections from `clients`.
pub(crate) fn databases(b: &mut Builder<'_>, ctx: &Ctx, clients: &[&str]) {
    let f = b.f;
    let size_ids: &[&'static str] =
        &["data.database_kind", "data.size_gb", "traffic.peak_concurrent_users", "availability.sla_target"];
    for db in ctx.dbs.clone() {
        match db {
            Db::Adb(workload) => {
                let ecpu = adb_ecpus(ctx);
                let min_storage = if workload == "dw" { 1024.0 } else { 20.0 };
                let storage = round_up((ctx.data_gb * 1.5).max(min_storage), 10.0).min(393_216.0) as i64;
                let data_guard = ctx.sla >= Sla::Higher || ctx.dr;
                let mut reason = f.t(
                    format!(
                        "{}。データ量 {} GB × 1.5 から {storage} GB、ECPUはデータ量と同時接続から {ecpu}。VCN内のプライベート・エンドポイントでDBサブネットに置きます（ポート1522）。",
                        if workload == "dw" { "データウェアハウス（ADW）" } else { "業務データベース（ATP）" },
                        ctx.data_gb
                    ),
                    format!(
                        "{}. {storage} GB storage from {} GB × 1.5, {ecpu} ECPUs from the data size and concurrency; a private endpoint in the DB subnet (port 1522).",
                        if workload == "dw" { "Data warehouse (ADW)" } else { "Transactional database (ATP)" },
                        ctx.data_gb
                    ),
                );
                if data_guard {
                    reason.push_str(&f.t(
                        "可用性目標／DR要件のためAutonomous Data Guardを有効にします。",
                        " Autonomous Data Guard for the availability target / DR requirement.",
                    ));
                }
                if ctx.small() {
                    b.assume(f.t(
                        "Always FreeのAutonomous Databaseはプライベート・エンドポイントに対応しないため、PoCでも最小の有償構成（2 ECPU）にしています。",
                        "Always Free Autonomous Database does not support private endpoints, so the PoC uses the smallest paid size (2 ECPUs).",
                    ));
                }
                b.add(
                    Part::new("adb", "autonomous_database")
                        .at("subnet-db")
                        .cfg(json!({
                            "workload": workload,
                            "deployment": "serverless",
                            "ecpu_count": ecpu,
                            "storage_gb": storage,
                            "network_access": "private_endpoint",
                            "is_free_tier": false,
                            "auto_scaling": !ctx.small(),
                            "data_guard": data_guard,
                        }))
                        .why(reason, size_ids),
                );
            }
            Db::Base => {
                let ocpus = match ctx.data_gb {
                    g if g <= 500.0 => 2,
                    g if g <= 2000.0 => 4,
                    g if g <= 10000.0 => 8,
                    _ => 16,
                };
                let rac = ctx.sla >= Sla::Highest;
                let storage = round_up((ctx.data_gb * 2.0).max(256.0), 256.0).min(81_920.0) as i64;
                b.add(
                    Part::new("basedb", "base_database")
                        .at("subnet-db")
                        .cfg(json!({
                            "edition": if rac { "enterprise_extreme_performance" } else { "enterprise" },
                            "ocpus": ocpus,
                            "storage_gb": storage,
                            "node_count": if rac { 2 } else { 1 },
                            "db_version": "19c",
                        }))
                        .why(
                            f.t(
                                format!("パッケージ・アプリケーション（ERP）の認定構成に合わせBase Database Service（19c）を使います。{storage} GB / {ocpus} OCPU{}。", if rac { "、99.99%のためRAC 2ノード" } else { "" }),
                                format!("Packaged (ERP) applications are certified on Base Database Service (19c): {storage} GB / {ocpus} OCPUs{}.", if rac { ", 2-node RAC for 99.99%" } else { "" }),
                            ),
                            &["workload.type", "data.database_kind", "data.size_gb", "availability.sla_target"],
                        ),
                );
            }
            Db::Mysql => {
                let shape = match (ctx.small(), ctx.peak, ctx.data_gb) {
                    (true, _, _) => "MySQL.2",
                    (_, p, g) if p <= 500 && g <= 200.0 => "MySQL.2",
                    (_, p, g) if p <= 2000 && g <= 1000.0 => "MySQL.4",
                    (_, p, g) if p <= 5000 && g <= 5000.0 => "MySQL.8",
                    _ => "MySQL.16",
                };
                let heatwave = f.has("workload.type", "data_analytics");
                let storage = round_up((ctx.data_gb * 1.5).max(50.0), 10.0).min(131_072.0) as i64;
                if ctx.small() {
                    b.assume(f.t(
                        "MySQL.Freeはホーム・リージョンでのみ利用できるため、有償の最小シェイプ MySQL.2 にしています。",
                        "MySQL.Free exists only in the home region, so the smallest paid shape MySQL.2 is used.",
                    ));
                }
                b.add(
                    Part::new("mysql", "mysql_heatwave")
                        .at("subnet-db")
                        .cfg(json!({
                            "shape": shape,
                            "is_highly_available": ctx.ha && !ctx.small(),
                            "heatwave_cluster": heatwave,
                            "storage_gb": storage,
                        }))
                        .why(
                            f.t(
                                format!(
                                    "MySQLのためHeatWave MySQL（{shape}、{storage} GB{}{}）。",
                                    if ctx.ha && !ctx.small() { "、高可用性構成" } else { "" },
                                    if heatwave { "、分析用HeatWaveクラスタ" } else { "" }
                                ),
                                format!(
                                    "MySQL: HeatWave MySQL ({shape}, {storage} GB{}{}).",
                                    if ctx.ha && !ctx.small() { ", highly available" } else { "" },
                                    if heatwave { ", HeatWave cluster for analytics" } else { "" }
                                ),
                            ),
                            size_ids,
                        ),
                );
            }
            Db::Nosql => {
                let free = ctx.small();
                let cfg = if free {
                    json!({"table_name": "app_data", "capacity_mode": "provisioned", "read_units": 50, "write_units": 50, "storage_gb": 25, "is_free_tier": true})
                } else {
                    json!({"table_name": "app_data", "capacity_mode": "on_demand", "storage_gb": round_up((ctx.data_gb * 1.5).clamp(25.0, 5000.0), 5.0) as i64, "is_free_tier": false})
                };
                b.add(Part::new("nosql", "nosql").cfg(cfg).why(
                    if free {
                        f.t(
                            "NoSQLデータはOracle NoSQL Database（PoCのためAlways Free枠）に格納します。",
                            "NoSQL data goes to Oracle NoSQL Database (Always Free for the PoC).",
                        )
                    } else {
                        f.t(
                            "NoSQLデータはOracle NoSQL Database（オンデマンド容量）に格納します。",
                            "NoSQL data goes to Oracle NoSQL Database (on-demand capacity).",
                        )
                    },
                    &["data.database_kind", "data.size_gb", "workload.type"],
                ));
            }
            Db::Postgres | Db::SqlServer => {
                let pg = db == Db::Postgres;
                let ocpus: u64 = if ctx.small() { 1 } else { adb_ecpus(ctx).div_ceil(2).clamp(2, 16) };
                b.add(
                    Part::new(db.id(), "compute_instance")
                        .name(if pg { f.t("PostgreSQL（コンピュート）", "PostgreSQL (compute)") } else { f.t("SQL Server（コンピュート）", "SQL Server (compute)") })
                        .at("subnet-db")
                        .cfg(json!({
                            "shape": "VM.Standard.E5.Flex",
                            "ocpus": ocpus,
                            "memory_gb": ocpus * 16,
                            "instance_count": if ctx.ha && !ctx.small() { 2 } else { 1 },
                            "os": if pg { "oracle_linux_9" } else { "windows_server_2022" },
                            "boot_volume_gb": 100,
                        }))
                        .why(
                            if pg {
                                f.t("PostgreSQLはカタログにマネージド・サービスがないため、コンピュート上の自己管理構成としています（OCI Database with PostgreSQLも検討）。", "PostgreSQL has no managed service in the catalog: self-managed on compute (consider OCI Database with PostgreSQL).")
                            } else {
                                f.t("SQL ServerはWindowsコンピュート上で稼働させます（ライセンス持込み／込みを確認）。", "SQL Server runs on Windows compute (confirm licence included vs. bring your own).")
                            },
                            &["data.database_kind", "data.size_gb"],
                        ),
                );
            }
        }
        let (protocol, port) = db.port();
        for client in clients {
            b.connect(
                client,
                db.id(),
                protocol,
                port,
                f.t(
                    format!("{client} → {}（データアクセス）", db.id()),
                    format!("{client} → {} (data access)", db.id()),
                ),
            );
        }
    }
}

/// An Object Storage bucket.
pub(crate) fn bucket(
    b: &mut Builder<'_>,
    id: &'static str,
    name: &str,
    archive: bool,
    reason: String,
    answers: &[&'static str],
) {
    b.add(
        Part::new(id, "object_storage")
            .name(name.to_owned())
            .cfg(json!({
                "bucket_name": name,
                "storage_tier": if archive { "archive" } else { "standard" },
                "versioning": !archive,
                "public_access": "no_public_access",
            }))
            .why(reason, answers),
    );
}

/// Buckets for the Object Storage uses that were answered (uploads/static content, backups, data lake).
pub(crate) fn usage_buckets(b: &mut Builder<'_>, clients: &[&str]) {
    let f = b.f;
    let mut made: Vec<&'static str> = Vec::new();
    if f.has("data.object_storage", "user_uploads") || f.has("data.object_storage", "static_content") {
        bucket(
            b,
            "bucket-app",
            "app-content",
            false,
            f.t(
                "ユーザーのアップロード／静的コンテンツ用のバケット（非公開、配布は事前認証済リクエストで）。",
                "Bucket for user uploads / static content (not public; serve with pre-authenticated requests).",
            ),
            &["data.object_storage"],
        );
        made.push("bucket-app");
    }
    if f.has("data.object_storage", "data_lake") && !b.contains("bucket-lake") {
        bucket(
            b,
            "bucket-lake",
            "data-lake",
            false,
            f.t("分析用データ（データレイク）のバケット。", "Bucket for analytics data (data lake)."),
            &["data.object_storage"],
        );
        made.push("bucket-lake");
    }
    if f.has("data.object_storage", "backup_archive") {
        bucket(
            b,
            "bucket-backup",
            "backup-archive",
            true,
            f.t(
                format!(
                    "バックアップ・アーカイブ用（アーカイブ層）。保持期間: {}。",
                    f.display("data.backup_retention_days")
                ),
                format!(
                    "Backups and archives (archive tier). Retention: {}.",
                    f.display("data.backup_retention_days")
                ),
            ),
            &["data.object_storage", "data.backup_retention_days"],
        );
    }
    for id in made {
        for client in clients {
            b.connect(
                client,
                id,
                "https",
                443,
                f.t(
                    "サービス・ゲートウェイ経由のObject Storageアクセス",
                    "Object Storage access through the service gateway",
                ),
            );
        }
    }
}

/// Bastion in the private `subnet` instead of public SSH.
pub(crate) fn bastion(b: &mut Builder<'_>, subnet: &'static str, what: String) {
    let f = b.f;
    b.add(
        Part::new("bastion", "bastion").at(subnet).cfg(json!({"max_session_ttl_minutes": 180})).why(
            f.t(
                format!("{what}への管理アクセスはBastionのセッション経由とし、SSHを0.0.0.0/0に公開しません。"),
                format!("Administrative access to {what} goes through Bastion sessions instead of SSH open to 0.0.0.0/0."),
            ),
            &["network.exposure", "security.compliance", "operations.team_skill"],
        ),
    );
    b.assume(f.t(
        "Bastionの接続元CIDR（client_cidrs）は運用者のグローバルIP範囲を確認して設定してください。",
        "Set Bastion's client_cidrs to the operators' public IP ranges once known.",
    ));
}

/// Container Registry for the application images.
pub(crate) fn registry(b: &mut Builder<'_>, what: String) {
    let f = b.f;
    b.add(
        Part::new("ocir", "container_registry")
            .cfg(json!({"is_public": false, "repository_name": "app"}))
            .why(
                f.t(
                    format!("{what}のコンテナ・イメージを保管します（非公開）。"),
                    format!("Holds the container images of {what} (private)."),
                ),
                &["workload.containerization", "operations.cicd"],
            ),
    );
}

/// OCI DevOps when asked for (or, for container patterns, when no other CI/CD tool is used).
pub(crate) fn devops(b: &mut Builder<'_>, target: &'static str, deployed: &str, wanted_by_pattern: bool) {
    let f = b.f;
    let cicd = f.str("operations.cicd");
    let add = match cicd {
        Some("oci_devops") => true,
        Some("none") | None => wanted_by_pattern,
        Some(_) => false,
    };
    if add {
        if cicd.is_none() {
            b.assume(f.t(
                "CI/CDツールが未回答のため、OCI DevOpsでのビルド・デプロイを前提にしています。",
                "CI/CD tooling is not answered: OCI DevOps build and deployment is assumed.",
            ));
        }
        let to = b.name_of(deployed);
        b.add(Part::new("devops", "devops").cfg(json!({"deploy_target": target})).why(
            f.t(
                format!("OCI DevOpsでビルドし、{to} へデプロイします。"),
                format!("OCI DevOps builds and deploys to {to}."),
            ),
            &["operations.cicd", "workload.containerization"],
        ));
        b.connect(
            "devops",
            deployed,
            "https",
            if target == "oke" { 6443 } else { 443 },
            f.t("デプロイ", "deployment"),
        );
    } else if cicd.is_some_and(|c| c != "none") {
        b.reason(f.t(
            format!(
                "CI/CDは既存の {} を継続利用します（OCI DevOpsは含めていません）。",
                f.display("operations.cicd")
            ),
            format!("CI/CD stays on the existing {} (no OCI DevOps).", f.display("operations.cicd")),
        ));
    }
}

/// Services every pattern gets: Vault, identity, logging/monitoring/notifications (APM when asked),
/// on-premises connectivity, and notes for DR, compliance and the region.
pub(crate) fn common(b: &mut Builder<'_>, ctx: &Ctx) {
    let f = b.f;
    let keys = f.str("security.key_management");
    let strict: Vec<&str> = f.list("security.compliance").into_iter().filter(|c| *c != "none").collect();
    let has_db = !ctx.dbs.is_empty();
    let vault_keys = matches!(keys, Some("customer_managed_vault" | "dedicated_hsm" | "external_kms"));
    if vault_keys || has_db || !strict.is_empty() {
        let private = keys == Some("dedicated_hsm");
        let mut reason = if vault_keys {
            f.t(
                format!(
                    "暗号化鍵の管理要件（{}）に合わせ、顧客管理の鍵をVaultで管理します。",
                    f.display("security.key_management")
                ),
                format!(
                    "Customer-managed keys in Vault for the key management requirement ({}).",
                    f.display("security.key_management")
                ),
            )
        } else {
            f.t(
                "データベースの認証情報などのシークレットをVaultで管理します（設計にパスワードを書かない）。",
                "Secrets such as database credentials live in Vault (never in the design).",
            )
        };
        if keys == Some("external_kms") {
            reason.push_str(&f.t(
                "External KMSとの連携はVaultの外部鍵管理として構成します。",
                " The external KMS is connected through Vault's external key management.",
            ));
        }
        b.add(
            Part::new("vault", "vault")
                .cfg(json!({"vault_type": if private { "virtual_private" } else { "default" }, "protection_mode": "hsm"}))
                .why(reason, &["security.key_management", "security.compliance", "data.database_kind"]),
        );
    }
    let auth = f.list("security.authentication");
    let federation = if auth.contains(&"entra_id") {
        Some("entra_id")
    } else if auth.contains(&"okta") {
        Some("okta")
    } else if auth.contains(&"other_saml_oidc") {
        Some("saml")
    } else if auth.contains(&"active_directory") {
        Some("other")
    } else if auth.contains(&"oci_identity_domains") {
        Some("none")
    } else {
        None
    };
    if let Some(federation) = federation {
        b.add(
            Part::new("identity", "identity_domain")
                .cfg(json!({"domain_type": "free", "federation": federation}))
                .why(
                    f.t(
                        format!(
                            "利用者認証（{}）をOCI IAMアイデンティティ・ドメインで構成します。",
                            f.display("security.authentication")
                        ),
                        format!(
                            "User authentication ({}) through an OCI IAM identity domain.",
                            f.display("security.authentication")
                        ),
                    ),
                    &["security.authentication"],
                ),
        );
    }
    let days = f.num("operations.log_retention_days");
    let months = days.map_or(1, |d| ((d / 30.0).ceil() as i64).clamp(1, 6));
    b.add(Part::new("logging", "logging").cfg(json!({"retention_months": months})).why(
        f.t(
            format!("監査・アプリケーション・ログを集約します（保持 {months} か月）。"),
            format!("Collects audit and application logs ({months} month retention)."),
        ),
        &["operations.log_retention_days", "operations.monitoring"],
    ));
    if days.is_some_and(|d| d > 180.0) || f.has("data.object_storage", "log_archive") {
        bucket(
            b,
            "bucket-logs",
            "log-archive",
            true,
            f.t(
                "Loggingの保持期間（最大6か月）を超えるログはConnector HubでObject Storage（アーカイブ層）に保管します。",
                "Logs kept longer than Logging's 6 months go to Object Storage (archive tier) through Connector Hub.",
            ),
            &["operations.log_retention_days", "data.object_storage"],
        );
    }
    let third_party = f.has("operations.monitoring", "third_party") || f.has("operations.monitoring", "siem");
    b.add(
        Part::new("notifications", "notifications")
            .cfg(json!({"protocol": if third_party { "https" } else { "email" }}))
            .why(
                if third_party {
                    f.t(
                        "アラームを既存の監視ツール／SIEMへHTTPS（Webhook）で通知します。",
                        "Sends alarms to the existing monitoring tools / SIEM over HTTPS (webhook).",
                    )
                } else {
                    f.t(
                        "アラームを運用担当者にメールで通知します。",
                        "Sends alarms to the operators by email.",
                    )
                },
                &["operations.monitoring"],
            ),
    );
    b.add(Part::new("monitoring", "monitoring").cfg(json!({"alarm_topic": "notifications"})).why(
        f.t(
            "CPU・可用性・エラー率のアラームを設定し、通知トピックへ送ります。",
            "Alarms on CPU, availability and error rates, sent to the notification topic.",
        ),
        &["operations.monitoring", "availability.sla_target"],
    ));
    if f.has("operations.monitoring", "apm") {
        b.add(Part::new("apm", "apm").cfg(json!({"is_free_tier": ctx.small()})).why(
            f.t(
                "アプリケーション性能監視（APM）が求められているため。",
                "Application performance monitoring (APM) was asked for.",
            ),
            &["operations.monitoring"],
        ));
    }
    connectivity(b, ctx);
    notes(b, ctx);
}

fn connectivity(b: &mut Builder<'_>, ctx: &Ctx) {
    let f = b.f;
    if !ctx.onprem {
        return;
    }
    let mode = f.str("network.onprem_connectivity").unwrap_or("undecided");
    let bandwidth = f.num("network.bandwidth_mbps");
    let fc = matches!(mode, "fastconnect" | "fastconnect_vpn_backup");
    let vpn = matches!(mode, "site_to_site_vpn" | "fastconnect_vpn_backup" | "undecided");
    if !matches!(mode, "site_to_site_vpn" | "fastconnect" | "fastconnect_vpn_backup" | "undecided") {
        b.assume(f.t(
            format!("オンプレミス接続「{mode}」はサイト間VPNとして仮置きしています。"),
            format!("On-premises connectivity \"{mode}\" is modelled as a Site-to-Site VPN for now."),
        ));
    }
    if fc {
        let gbps = match bandwidth {
            Some(m) if m > 10_000.0 => "100",
            Some(m) if m > 1_000.0 => "10",
            _ => "1",
        };
        b.add(
            Part::new("fastconnect", "fastconnect")
                .cfg(json!({"drg": "drg", "bandwidth_gbps": gbps, "redundant": ctx.ha}))
                .why(
                    f.t(
                        format!(
                            "オンプレミスとの専用線接続（{gbps} Gbps、帯域要件 {}{}）。",
                            f.display("network.bandwidth_mbps"),
                            if ctx.ha { "、冗長2回線" } else { "" }
                        ),
                        format!(
                            "Private connection to on-premises ({gbps} Gbps for {}{}).",
                            f.display("network.bandwidth_mbps"),
                            if ctx.ha { ", redundant circuits" } else { "" }
                        ),
                    ),
                    &["network.onprem_connectivity", "network.bandwidth_mbps", "availability.sla_target"],
                ),
        );
        b.assume(f.t(
            "FastConnectはパートナー／コロケーション経由の開通にリードタイムがかかります。",
            "FastConnect needs lead time to provision through a partner or colocation.",
        ));
    }
    if vpn {
        let reason = match mode {
            "fastconnect_vpn_backup" => f.t(
                "FastConnectのバックアップ回線としてサイト間VPN（BGP）を張ります。",
                "Site-to-Site VPN (BGP) as the backup of FastConnect.",
            ),
            "undecided" => f.t(
                "接続方式が未定のため、まずサイト間VPN（BGP）を想定します。",
                "The method is undecided: a Site-to-Site VPN (BGP) is assumed first.",
            ),
            _ => f.t(
                "オンプレミスとのサイト間VPN（IPSec、BGP）。",
                "Site-to-Site VPN (IPSec, BGP) to on-premises.",
            ),
        };
        b.add(
            Part::new("vpn", "vpn_connect")
                .cfg(json!({"drg": "drg", "routing": "bgp"}))
                .why(reason, &["network.onprem_connectivity", "network.bandwidth_mbps"]),
        );
        if mode != "fastconnect_vpn_backup" && bandwidth.is_some_and(|m| m > 500.0) {
            b.reason(f.t(
                format!(
                    "必要帯域 {} はVPNでは安定確保が難しいため、FastConnectを推奨します。",
                    f.display("network.bandwidth_mbps")
                ),
                format!(
                    "{} is hard to guarantee over VPN: FastConnect is recommended.",
                    f.display("network.bandwidth_mbps")
                ),
            ));
        }
    }
    if ctx.onprem_cidrs.is_empty() {
        b.assume(f.t(
            "オンプレミスのCIDRが不明のため、セキュリティ・リストはVCN内からの通信のみ許可しています。接続元の範囲を追加してください。",
            "The on-premises ranges are unknown, so security lists only allow the VCN: add the on-premises sources.",
        ));
    }
}

fn notes(b: &mut Builder<'_>, ctx: &Ctx) {
    let f = b.f;
    if ctx.dr {
        let secondary = f.str("region.secondary").map(str::to_owned);
        let target = secondary.clone().unwrap_or_else(|| {
            f.t("ペア・リージョン（例: 東京に対して大阪）", "a paired region (e.g. Osaka for Tokyo)")
        });
        b.reason(f.t(
            format!("DR要件のため、データベースはリージョン間Data Guard、Object Storageはレプリケーションで {target} に複製する方針です。"),
            format!("For DR, databases replicate with cross-region Data Guard and Object Storage with replication to {target}."),
        ));
        b.assume(f.t(
            format!(
                "この提案はプライマリ・リージョンの構成のみです。DR先（{target}）の構成は別途作成します。"
            ),
            format!(
                "This proposal covers the primary region only; the DR side ({target}) is designed separately."
            ),
        ));
        if secondary.is_none() {
            b.assume(f.t(
                "region.secondary が未回答のため、DR先リージョンは未確定です。",
                "region.secondary is not answered: the DR region is open.",
            ));
        }
    }
    let strict: Vec<&str> = f.list("security.compliance").into_iter().filter(|c| *c != "none").collect();
    if !strict.is_empty() {
        b.reason(f.t(
            format!("準拠基準（{}）に向け、Cloud Guard・Security Zones・監査ログ保管をテナンシー側で有効化します。", f.display("security.compliance")),
            format!("For {}, enable Cloud Guard, Security Zones and audit-log retention at tenancy level.", f.display("security.compliance")),
        ));
    }
    if ctx.ha {
        b.reason(f.t(
            "冗長化はフォールト・ドメイン分散を基本とします（東京・大阪は単一可用性ドメイン）。",
            "Redundancy spreads across fault domains (Tokyo and Osaka have a single availability domain).",
        ));
    }
}
