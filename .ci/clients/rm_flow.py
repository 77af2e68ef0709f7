#!/usr/bin/env python3
"""Resource Manager through Galley's MCP tools, driven by the official Python `mcp` SDK, against galley-emulator
(whose RM jobs run the real terraform on the stack's zip), and the hand-off package of export_all.

Usage:
    rm_flow.py URL --out DIR

A provider-less workspace (terraform_data + output) -> create_rm_stack (twice: one stack) -> run_rm_plan ->
get_rm_job_status until done -> run_rm_apply of that plan -> status with the outputs; a broken configuration's
Terraform error in get_rm_job_status; run_rm_destroy needs confirm; export_all on the OCI store returns a deploy
link whose PAR URL serves the zip, saved as DIR/stack.zip (the caller checks its schema.yaml and Terraform), the
PAR token in DIR/par_token (the caller checks no log holds it).

Every check prints `ok - ...` or `FAIL - ...`; exit status 1 when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import urllib.parse
import urllib.request
from typing import Any

from mcp import Client

CALL_TIMEOUT = 90.0

GOOD = """variable "greeting" {
  type        = string
  description = "What the stack says"
}

resource "terraform_data" "hello" {
  input = var.greeting
}

output "hello" {
  value = terraform_data.hello.output
}
"""
BROKEN = """resource "terraform_data" "hello" {
  input = terraform_data.missing.output
}
"""
DEPLOY = "https://cloud.oracle.com/resourcemanager/stacks/create?region=home&zipUrl="


class Report:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, cond: bool, desc: str, why: Any = "") -> bool:
        if cond:
            print(f"ok - [rm] {desc}", flush=True)
        else:
            self.failed += 1
            why = str(why).replace("\n", " | ")[:1500]
            print(f"FAIL - [rm] {desc}: {why or 'condition false'}", flush=True)
        return cond


def text_of(r: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in (r.content or []))


async def ok(c: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT)
    if r.is_error:
        raise RuntimeError(f"{name} failed: {text_of(r)[:1500]}")
    return r.structured_content or {}


async def err(c: Client, name: str, args: dict[str, Any]) -> tuple[bool, str]:
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT)
    return bool(r.is_error), text_of(r) if r.is_error else json.dumps(r.structured_content)[:800]


async def session(c: Client, main_tf: str) -> str:
    s = await ok(c, "create_session", {"customer": "Acme", "project": "RM CI", "locale": "en"})
    sid = s["session_id"]
    await ok(c, "write_terraform_files", {"session_id": sid, "files": [{"name": "main.tf", "content": main_tf}]})
    return sid


async def until_done(c: Client, rm_job_id: str) -> dict[str, Any]:
    """get_rm_job_status until the RM job has finished."""
    for _ in range(120):
        status = await ok(c, "get_rm_job_status", {"rm_job_id": rm_job_id})
        if status.get("finished"):
            return status
        await asyncio.sleep(1)
    raise RuntimeError(f"RM job {rm_job_id} did not finish")


async def flow(rep: Report, c: Client, out: str) -> None:
    tools = {t.name: t for t in (await c.list_tools()).tools}
    for name in ["create_rm_stack", "run_rm_plan", "run_rm_apply", "run_rm_destroy", "get_rm_job_status", "export_all"]:
        rep.check(name in tools, f"tools/list has {name}")
    sid = await session(c, GOOD)

    # One stack per session: the second call updates it.
    first = await ok(c, "create_rm_stack", {"session_id": sid, "variables": {"greeting": "hello from RM"}})
    second = await ok(c, "create_rm_stack", {"session_id": sid})
    rep.check(first.get("created") is True and second.get("created") is False
              and first.get("stack_id") == second.get("stack_id"),
              "create_rm_stack twice keeps one stack (created, then updated)", (first, second))
    rep.check({"region", "compartment_ocid", "tenancy_ocid", "greeting"} <= set(first.get("variable_names", [])),
              "the stack has region, compartment_ocid and tenancy_ocid set by Galley", first)

    # Plan with a short wait, then status until done.
    plan = await ok(c, "run_rm_plan", {"session_id": sid, "wait_seconds": 0})
    rep.check(bool(plan.get("rm_job_id")) and plan.get("status") in ("running", "succeeded"),
              "run_rm_plan returns the RM job id at once", plan)
    status = await until_done(c, plan["rm_job_id"])
    rep.check(status.get("lifecycle_state") == "SUCCEEDED"
              and status.get("resource_counts") == {"add": 1, "change": 0, "destroy": 0},
              "get_rm_job_status: the plan succeeded and adds one resource", status)
    job = await ok(c, "get_job", {"job_id": plan["job_id"], "wait_seconds": 10})
    rep.check(job.get("status") == "succeeded" and job.get("kind") == "rm_plan",
              "get_job follows the Galley job that polled the RM job", job)

    # Apply exactly that plan (with progress notifications); outputs in the status.
    progress: list[str] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(message or "")

    r = await c.call_tool("run_rm_apply", {"session_id": sid, "plan_job_id": plan["rm_job_id"], "wait_seconds": 50},
                          read_timeout_seconds=CALL_TIMEOUT, progress_callback=on_progress)
    if r.is_error:
        raise RuntimeError(f"run_rm_apply failed: {text_of(r)[:1500]}")
    applied = r.structured_content or {}
    rep.check(len(progress) > 0, f"progress notifications arrived while the RM apply ran ({progress[-1:] or 'none'})")
    if applied.get("status") == "running":
        await until_done(c, applied["rm_job_id"])
    status = await ok(c, "get_rm_job_status", {"session_id": sid})
    rep.check(status.get("operation") == "APPLY" and status.get("lifecycle_state") == "SUCCEEDED",
              "the apply of that plan succeeded", status)
    rep.check(status.get("outputs") == {"hello": "hello from RM"} and status.get("resources") == ["terraform_data.hello"],
              "its status has the outputs and the resources", status)
    is_err, msg = await err(c, "run_rm_apply", {"session_id": sid, "plan_job_id": plan["rm_job_id"]})
    rep.check(is_err and "changed since plan job" in msg, "the same plan is not applied twice", msg)

    # Destroy needs confirm.
    is_err, msg = await err(c, "run_rm_destroy", {"session_id": sid})
    rep.check(is_err and "confirm" in msg, "run_rm_destroy without confirm is refused", msg)

    # export_all: the deploy link's PAR URL serves the zip.
    package = await ok(c, "export_all", {"session_id": sid, "output_dir": "ci-handoff", "link_hours": 1})
    names = [f.get("name") for f in package.get("files", [])]
    rep.check(names == ["summary.md", "architecture.mmd", "stack.zip"], "export_all lists the files and sizes", package)
    rep.check("schema.yaml" in package.get("zip_entries", []) and "main.tf" in package.get("zip_entries", []),
              "the zip has main.tf and schema.yaml at its root", package)
    link = package.get("deploy_url", "")
    if rep.check(link.startswith(DEPLOY), "export_all on the OCI store returns a Deploy to Oracle Cloud link", package):
        par = urllib.parse.unquote(link[len(DEPLOY):])
        with urllib.request.urlopen(par, timeout=30) as resp:  # noqa: S310 - the emulator's PAR URL
            data = resp.read()
        rep.check(data[:2] == b"PK", "the link's PAR URL serves the zip without signing", len(data))
        with open(os.path.join(out, "stack.zip"), "wb") as f:
            f.write(data)
        with open(os.path.join(out, "par_token"), "w") as f:
            f.write(par.split("/p/", 1)[1].split("/", 1)[0])

    destroyed = await ok(c, "run_rm_destroy", {"session_id": sid, "confirm": True, "wait_seconds": 50})
    if destroyed.get("status") == "running":
        await until_done(c, destroyed["rm_job_id"])
    status = await ok(c, "get_rm_job_status", {"session_id": sid})
    rep.check(status.get("operation") == "DESTROY" and status.get("lifecycle_state") == "SUCCEEDED",
              "run_rm_destroy with confirm destroys the stack's resources", status)

    # A broken configuration: Terraform's error comes back.
    bad = await session(c, BROKEN)
    await ok(c, "create_rm_stack", {"session_id": bad})
    is_err, msg = await err(c, "run_rm_plan", {"session_id": bad, "wait_seconds": 50})
    if not is_err:  # still running: follow it
        started = json.loads(msg)
        await until_done(c, started["rm_job_id"])
    status = await ok(c, "get_rm_job_status", {"session_id": bad})
    errors = status.get("terraform_errors", [])
    rep.check(status.get("lifecycle_state") == "FAILED" and any("undeclared resource" in e for e in errors),
              "a broken configuration shows Terraform's error in get_rm_job_status", status)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rep = Report()
    try:
        async with asyncio.timeout(400):
            async with Client(args.url, read_timeout_seconds=CALL_TIMEOUT) as c:
                await flow(rep, c, args.out)
    except BaseException as e:  # noqa: BLE001 - anyio wraps errors in ExceptionGroups
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        rep.check(False, "the flow ran to the end", f"{type(e).__name__}: {e}")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
