#!/usr/bin/env python3
"""The design layer end to end through the official Python `mcp` SDK, against a real galley process.

Usage:
    design_flow.py SPEC [--mermaid-out DIR]

SPEC is `stdio:<galley bin>:<store dir>` or `http://HOST:PORT/mcp?token=T` (see hearing_flow.py).

The scenario of the design issue: a hearing for an EC site on Kubernetes with an Oracle database →
propose_architecture (every component justified by answers, already valid) → an edit that trips a rule (the
Autonomous Database on a public endpoint while OKE connects to it) → validate_architecture reports it with the
fix → configure_component back to a private endpoint → valid → export_mermaid and export_summary. Bad input
(unknown pattern, unknown attribute, wrong session) comes back as isError with the valid values. With
--mermaid-out, every diagram is written there for Mermaid's own parser (.ci/mermaid.sh).

Every check prints one line, `ok - ...` or `FAIL - ... (reason)`; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import re
import sys
import traceback
from typing import Any

from mcp import Client

from hearing_flow import Report, ToolFailed, call, call_err, describe_exc, make_client, short

SCENARIO_TIMEOUT = 300.0

EC_SITE = {
    "project.industry": "retail",
    "project.goal": "Move the EC site off end-of-life hardware and handle sale-day peaks",
    "project.phase": "production",
    "workload.type": ["web_app", "api_backend"],
    "workload.app_stack": ["java"],
    "workload.containerization": "kubernetes",
    "workload.current_environment": "on_premises",
    "traffic.total_users": 200000,
    "traffic.peak_concurrent_users": 5000,
    "availability.sla_target": "sla_99_95",
    "data.database_kind": ["oracle_db"],
    "data.size_gb": 800,
    "data.object_storage": ["static_content", "user_uploads"],
    "security.compliance": ["pci_dss"],
    "security.data_residency": True,
    "security.key_management": "customer_managed_vault",
    "security.waf_required": True,
    "network.onprem_connectivity": "site_to_site_vpn",
    "network.exposure": "public",
    "operations.monitoring": ["oci_native", "apm"],
    "operations.cicd": "oci_devops",
    "budget.monthly_budget": "jpy_1m_3m",
    "budget.timeline": "Go live in April",
    "region.primary": "ap-tokyo-1",
}


def by_service(arch: dict[str, Any], service: str) -> list[dict[str, Any]]:
    return [c for c in arch["components"] if c["service"] == service]


async def design_flow(rep: Report, c: Client, mermaid_out: pathlib.Path | None) -> None:
    tools = {t.name for t in (await c.list_tools()).tools}
    wanted = {
        "list_available_services", "get_architecture", "add_component", "remove_component", "configure_component",
        "connect_components", "save_architecture", "validate_architecture", "propose_architecture",
        "export_mermaid", "export_summary",
    }
    rep.check(wanted <= tools, "tools/list has the design tools", f"missing {sorted(wanted - tools)}")

    sess = await call(c, "create_session", {"customer": "Acme Retail", "project": "EC site renewal", "locale": "en"})
    sid = sess["session_id"]
    answers = [{"question_id": k, "value": v} for k, v in EC_SITE.items()]
    await call(c, "save_answers_batch", {"session_id": sid, "answers": answers})
    await call(c, "complete_hearing", {"session_id": sid, "force": True})

    # --- proposal ---------------------------------------------------------------------------------------------
    ok, msg = await call_err(c, "propose_architecture", {"session_id": sid, "pattern": "no_such_pattern"})
    rep.check(ok and "api_oke_adb" in msg, "an unknown pattern is refused with the valid ones", msg)
    prop = await call(c, "propose_architecture", {"session_id": sid})
    rep.eq(prop["pattern"], "api_oke_adb", "Kubernetes + Oracle DB answers give the OKE + ADB pattern")
    arch = (await call(c, "get_architecture", {"session_id": sid}))["architecture"]
    comps = arch["components"]
    rep.check(len(comps) >= 10, "the proposal was saved with its network", f"{len(comps)} components")
    unjustified = [x["id"] for x in comps if not (x.get("rationale") or {}).get("answers")]
    rep.check(not unjustified, "every proposed component names the answers that justify it", f"{unjustified}")
    cited = {a for x in comps for a in (x.get("rationale") or {}).get("answers", [])}
    rep.check(cited <= set(EC_SITE) | {"region.secondary", "availability.dr_required", "network.avoid_cidrs"},
              "rationales cite questions of this hearing", f"{sorted(cited - set(EC_SITE))}")
    rep.eq(arch.get("region"), "ap-tokyo-1", "the design's region comes from the hearing")
    v = await call(c, "validate_architecture", {"session_id": sid})
    rep.eq(v["summary"]["errors"], 0, "the proposal passes validation")
    rep.check(v["summary"]["rules_checked"] >= 40, "validation ran all the rules", short(v["summary"]))

    adb = by_service(arch, "autonomous_database")
    oke = by_service(arch, "oke")
    if not (rep.check(adb and oke, "the proposal has OKE and an Autonomous Database", short(comps)) ):
        return
    adb_id, oke_id, adb_subnet = adb[0]["id"], oke[0]["id"], adb[0].get("placement")
    conns = [x for x in arch["connections"] if x["from"] == oke_id and x["to"] == adb_id]
    rep.check(bool(conns), "OKE connects to the Autonomous Database", short(arch["connections"]))

    # --- an edit that trips a rule -----------------------------------------------------------------------------
    ok, msg = await call_err(c, "configure_component",
                             {"session_id": sid, "component_id": adb_id, "config": {"network_access": "open"}})
    rep.check(ok and "private_endpoint" in msg, "a bad value is refused with the valid values", msg)
    await call(c, "configure_component", {"session_id": sid, "component_id": adb_id,
                                         "config": {"network_access": "public"}, "clear_placement": True})
    v = await call(c, "validate_architecture", {"session_id": sid})
    hits = [f for f in v["findings"] if f["severity"] == "error" and adb_id in f["components"] and oke_id in f["components"]]
    rep.check(bool(hits), "validation reports OKE → ADB without a private endpoint as an error", short(v["findings"]))
    if hits:
        f = hits[0]
        rep.check("private endpoint" in (f["message"] + f["fix"]).lower(), "the finding names the private endpoint", short(f))
        rep.check(bool(f["fix"]) and bool(f.get("docs")), "the finding has a fix hint and a docs link", short(f))
    rep.check(not v["summary"]["valid"], "the summary says the design is not valid", short(v["summary"]))
    vja = await call(c, "validate_architecture", {"session_id": sid, "locale": "ja"})
    rep.check(any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", f["message"]) for f in vja["findings"]),
              "findings come back in Japanese with locale=ja", short(vja["findings"][:2]))

    # --- fix it -----------------------------------------------------------------------------------------------
    await call(c, "configure_component", {"session_id": sid, "component_id": adb_id,
                                         "config": {"network_access": "private_endpoint"}, "placement": adb_subnet})
    v = await call(c, "validate_architecture", {"session_id": sid})
    rep.eq(v["summary"]["errors"], 0, "after the fix the design is valid again")

    # --- exports ----------------------------------------------------------------------------------------------
    m = await call(c, "export_mermaid", {"session_id": sid})
    text = m["mermaid"]
    rep.check(text.startswith("flowchart"), "export_mermaid returns a flowchart", short(text[:80]))
    rep.check("subgraph" in text and "ap-tokyo-1" in text, "the diagram nests region, VCN and subnets", short(text[:300]))
    m2 = await call(c, "export_mermaid", {"session_id": sid})
    rep.check(m2["mermaid"] == text, "export_mermaid is deterministic")
    s = await call(c, "export_summary", {"session_id": sid})
    md = s["markdown"]
    rep.contains(md, ["Acme Retail", "EC site renewal", "```mermaid", adb_id, oke_id], "export_summary has the customer, the table and the diagram")
    sja = await call(c, "export_summary", {"session_id": sid, "locale": "ja"})
    rep.check(re.search(r"[\u3040-\u30ff]", sja["markdown"]) is not None, "export_summary speaks Japanese with locale=ja")
    if mermaid_out is not None:
        mermaid_out.mkdir(parents=True, exist_ok=True)
        (mermaid_out / "design_flow.mmd").write_text(text, encoding="utf-8")
        rep.ok(f"diagram written to {mermaid_out}/design_flow.mmd for Mermaid's parser")

    # --- bad input --------------------------------------------------------------------------------------------
    ok, msg = await call_err(c, "validate_architecture", {"session_id": "00000000-0000-7000-8000-000000000000"})
    rep.check(ok and "list_sessions" in msg, "an unknown session is refused with a next step", msg)
    ok, msg = await call_err(c, "propose_architecture", {"session_id": sid})
    rep.check(ok and "replace" in msg, "proposing over an existing design asks for replace=true", msg)
    prop2 = await call(c, "propose_architecture", {"session_id": sid, "pattern": "web_three_tier", "replace": True})
    rep.eq(prop2["pattern"], "web_three_tier", "a forced pattern replaces the design when asked")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec")
    ap.add_argument("--mermaid-out", type=pathlib.Path, default=None)
    args = ap.parse_args()
    rep = Report()
    rep.prefix = "[design] "
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            async with make_client(args.spec, "auto") as c:
                await design_flow(rep, c, args.mermaid_out)
    except TimeoutError:
        rep.fail("design flow finished", f"timed out after {SCENARIO_TIMEOUT} s")
    except ToolFailed as e:
        rep.fail("design flow ran to the end", str(e))
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        rep.fail("design flow ran to the end", describe_exc(e) + " :: " + "".join(traceback.format_exception(e))[-800:])
    print(f"# design_flow: {rep.passed} ok, {rep.failed} not ok", flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
