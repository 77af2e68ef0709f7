#!/usr/bin/env python3
"""Terraform through Galley's MCP tools, driven by the official Python `mcp` SDK, with the real terraform binary.

Usage:
    terraform_flow.py URL --phase main           error loop, fix, plan, apply, outputs, stale plans, destroy,
                                                 refused local-exec (server WITHOUT GALLEY_TERRAFORM_ALLOW_EXEC)
    terraform_flow.py URL --phase lock           two concurrent applies on one workspace, then cancel_job of a
                                                 long apply (server WITH GALLEY_TERRAFORM_ALLOW_EXEC=1: a
                                                 local-exec sleep makes the apply slow)
    terraform_flow.py URL --phase start-long     starts a long apply and prints `SESSION=<id> JOB=<id>` (the
                                                 caller then kills and restarts galley)
    terraform_flow.py URL --phase after-restart --session S --job J
                                                 the job is interrupted, the lock released, the stored state usable

Every check prints `ok - ...` or `FAIL - ...`; exit status 1 when any failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from mcp import Client

CALL_TIMEOUT = 90.0

GOOD = """resource "terraform_data" "web" {
  input = "hello"
}

output "greeting" {
  value = terraform_data.web.output
}

output "password" {
  value     = "hunter2"
  sensitive = true
}
"""
BAD = """resource "terraform_data" "web" {
  input = "hello"
  colour = "blue"
}
"""
EXEC = """resource "terraform_data" "x" {
  provisioner "local-exec" {
    command = "touch /tmp/galley-terraform-pwned"
  }
}
"""
SLOW = """resource "terraform_data" "slow" {
  input = "%s"
  provisioner "local-exec" {
    command = "sleep %d"
  }
}
"""
FIRST_THEN_SLOW = """resource "terraform_data" "first" {
  input = "v1"
}

resource "terraform_data" "slow" {
  input = terraform_data.first.output
  provisioner "local-exec" {
    command = "sleep 120"
  }
}
"""


class Report:
    def __init__(self, prefix: str) -> None:
        self.failed = 0
        self.prefix = prefix

    def check(self, cond: bool, desc: str, why: Any = "") -> bool:
        if cond:
            print(f"ok - {self.prefix}{desc}", flush=True)
        else:
            self.failed += 1
            why = str(why).replace("\n", " | ")[:1500]
            print(f"FAIL - {self.prefix}{desc}: {why or 'condition false'}", flush=True)
        return cond


def text_of(r: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in (r.content or []))


async def ok(c: Client, name: str, args: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT, **kw)
    if r.is_error:
        raise RuntimeError(f"{name} failed: {text_of(r)[:1500]}")
    return r.structured_content or {}


async def err(c: Client, name: str, args: dict[str, Any]) -> tuple[bool, str]:
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT)
    return bool(r.is_error), text_of(r) if r.is_error else json.dumps(r.structured_content)[:800]


def details(text: str) -> dict[str, Any]:
    """The JSON after `details:` in an error text."""
    _, _, rest = text.partition("\ndetails: ")
    try:
        return json.loads(rest) if rest else {}
    except json.JSONDecodeError:
        return {}


async def session(c: Client) -> str:
    s = await ok(c, "create_session", {"customer": "Acme", "project": "Terraform CI", "locale": "en"})
    return s["session_id"]


async def phase_main(rep: Report, c: Client) -> None:
    tools = {t.name: t for t in (await c.list_tools()).tools}
    for name in ["write_terraform_files", "read_terraform_file", "list_terraform_files", "delete_terraform_file",
                 "run_terraform_plan", "run_terraform_apply", "run_terraform_destroy", "get_job", "cancel_job"]:
        rep.check(name in tools, f"tools/list has {name}")
    sid = await session(c)

    # 1. a mistake: diagnostics with the right file and line, a snippet and a hint
    await ok(c, "write_terraform_files", {"session_id": sid, "files": [{"name": "main.tf", "content": BAD}]})
    is_err, msg = await err(c, "run_terraform_plan", {"session_id": sid})
    rep.check(is_err, "a plan of a configuration with a mistake is an error", msg)
    diags = details(msg).get("diagnostics", [])
    d = diags[0] if diags else {}
    rep.check(d.get("file") == "main.tf" and d.get("start_line") == 3, "the diagnostic names main.tf line 3", d or msg)
    rep.check("colour" in (d.get("snippet") or ""), "the diagnostic quotes the source line", d)
    rep.check(bool(d.get("hint", {}).get("fix")), "the diagnostic carries a fix hint", d)

    # 2. fix -> clean plan (with progress notifications) -> apply -> outputs
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    plan = await ok(c, "run_terraform_plan", {"session_id": sid, "files": [{"name": "main.tf", "content": GOOD}]},
                    progress_callback=on_progress)
    digest = plan.get("plan", {}).get("digest", {})
    rep.check(digest.get("create") == ["terraform_data.web"], "the fixed plan digest creates terraform_data.web", plan)
    rep.check(len(progress) > 0, f"progress notifications arrived during the plan ({len(progress)})")
    plan_id = plan["plan"]["plan_id"]
    applied = await ok(c, "run_terraform_apply", {"session_id": sid, "plan_id": plan_id})
    outputs = applied.get("apply", {}).get("outputs", {})
    rep.check(outputs.get("greeting", {}).get("value") == "hello", "apply returns the outputs", applied)
    rep.check(outputs.get("password", {}).get("value") == "(sensitive)" and "hunter2" not in json.dumps(applied),
              "sensitive outputs are masked", outputs)

    # 3. stale plans are refused
    is_err, msg = await err(c, "run_terraform_apply", {"session_id": sid, "plan_id": plan_id})
    rep.check(is_err and ("already applied" in msg or "stale" in msg), "a plan is applied once", msg)
    p2 = await ok(c, "run_terraform_plan", {"session_id": sid, "files": [{"name": "main.tf", "content": GOOD.replace("hello", "hi")}]})
    await ok(c, "write_terraform_files", {"session_id": sid, "files": [{"name": "extra.tf", "content": "locals {\n  x = 1\n}\n"}]})
    is_err, msg = await err(c, "run_terraform_apply", {"session_id": sid, "plan_id": p2["plan"]["plan_id"]})
    rep.check(is_err and "stale" in msg and "files changed" in msg, "a plan made before a file change is refused", msg)
    p3 = await ok(c, "run_terraform_plan", {"session_id": sid})
    p4 = await ok(c, "run_terraform_plan", {"session_id": sid})
    await ok(c, "run_terraform_apply", {"session_id": sid, "plan_id": p3["plan"]["plan_id"]})
    is_err, msg = await err(c, "run_terraform_apply", {"session_id": sid, "plan_id": p4["plan"]["plan_id"]})
    rep.check(is_err and "state changed" in msg, "a plan made before another apply is refused", msg)

    # 4. destroy is two-step
    dp = await ok(c, "run_terraform_destroy", {"session_id": sid})
    rep.check(dp.get("plan", {}).get("digest", {}).get("destroy") == ["terraform_data.web"], "the destroy plan lists what goes", dp)
    done = await ok(c, "run_terraform_destroy", {"session_id": sid, "plan_id": dp["plan"]["plan_id"]})
    rep.check([a.get("action") for a in done.get("apply", {}).get("applied", [])] == ["delete"], "destroy applies the destroy plan", done)

    # 5. local-exec is refused before terraform runs
    sid2 = await session(c)
    is_err, msg = await err(c, "run_terraform_plan", {"session_id": sid2, "files": [{"name": "main.tf", "content": EXEC}]})
    rep.check(is_err and "main.tf:2: [provisioner]" in msg, "a local-exec provisioner is refused with file and line", msg)


async def phase_lock(rep: Report, c: Client) -> None:
    sid = await session(c)
    await ok(c, "write_terraform_files", {"session_id": sid, "files": [{"name": "main.tf", "content": SLOW % ("v1", 4)}]})
    a = await ok(c, "run_terraform_plan", {"session_id": sid})
    b = await ok(c, "run_terraform_plan", {"session_id": sid})

    async def apply(plan: dict[str, Any]) -> tuple[bool, str]:
        r = await c.call_tool("run_terraform_apply", {"session_id": sid, "plan_id": plan["plan"]["plan_id"], "wait_seconds": 30},
                              read_timeout_seconds=CALL_TIMEOUT)
        return bool(r.is_error), text_of(r)

    results = await asyncio.gather(apply(a), apply(b))
    oks = [m for e, m in results if not e]
    errs = [m for e, m in results if e]
    rep.check(len(oks) == 1 and len(errs) == 1, "of two concurrent applies on one workspace exactly one runs", results)
    if errs:
        rep.check("locked by job" in errs[0] or "stale" in errs[0], "the other is refused: locked by the running job (or stale)", errs[0])
    after = await ok(c, "run_terraform_plan", {"session_id": sid})
    rep.check(after.get("plan", {}).get("changes") is False, "the state is intact: a new plan has no changes", after)
    files = await ok(c, "list_terraform_files", {"session_id": sid})
    rep.check(files.get("state", {}).get("serial", 0) >= 1 and "locked_by_job" not in files, "state stored, lock released", files)

    # cancel_job: a long apply is interrupted (Terraform saves its state), the job ends canceled, the lock is free
    sid = await session(c)
    plan = await ok(c, "run_terraform_plan", {"session_id": sid, "files": [{"name": "main.tf", "content": FIRST_THEN_SLOW}]})
    started = await ok(c, "run_terraform_apply", {"session_id": sid, "plan_id": plan["plan"]["plan_id"], "wait_seconds": 0})
    job_id = started.get("job_id", "")
    for _ in range(120):
        seen = await ok(c, "get_job", {"job_id": job_id, "log_lines": 50})
        if seen.get("status") != "running" or any("local-exec" in line for line in seen.get("log_tail", [])):
            break
        await asyncio.sleep(0.3)
    canceled = await ok(c, "cancel_job", {"job_id": job_id, "wait_seconds": 45})
    message = (canceled.get("error") or {}).get("message", "")
    rep.check(canceled.get("status") == "canceled", "cancel_job stops a running apply: status canceled", canceled)
    rep.check("terraform_data.first" in message, "the canceled job says what the apply changed before the stop", message)
    is_err, msg = await err(c, "cancel_job", {"job_id": "not-a-job"})
    rep.check(is_err and "not a job id" in msg, "cancel_job refuses a malformed job id", msg)
    after = await ok(c, "run_terraform_plan", {"session_id": sid})
    digest = after.get("plan", {}).get("digest", {})
    touched = [a for k in ("create", "update", "replace", "destroy") for a in digest.get(k, [])]
    rep.check("terraform_data.slow" in touched and "terraform_data.first" not in touched,
              "after the cancel the lock is free and the state keeps what was created", after)


async def phase_start_long(rep: Report, c: Client) -> None:
    sid = await session(c)
    plan = await ok(c, "run_terraform_plan", {"session_id": sid, "files": [{"name": "main.tf", "content": SLOW % ("v1", 30)}]})
    started = await ok(c, "run_terraform_apply", {"session_id": sid, "plan_id": plan["plan"]["plan_id"], "wait_seconds": 2})
    rep.check(started.get("status") == "running", "a long apply returns a job id while it runs", started)
    job = await ok(c, "get_job", {"job_id": started["job_id"]})
    rep.check(job.get("status") == "running" and job.get("step") == "apply", "get_job reports the running apply", job)
    print(f"SESSION={sid} JOB={started['job_id']}", flush=True)


async def phase_after_restart(rep: Report, c: Client, sid: str, job_id: str) -> None:
    job = await ok(c, "get_job", {"job_id": job_id})
    rep.check(job.get("status") == "interrupted", "after a restart the job is reported interrupted", job)
    files = await ok(c, "list_terraform_files", {"session_id": sid})
    rep.check("locked_by_job" not in files, "its lock was released", files)
    plan = await ok(c, "run_terraform_plan", {"session_id": sid, "files": [{"name": "main.tf", "content": SLOW % ("v2", 0)}]})
    rep.check(plan.get("status") == "succeeded", "the stored state is usable: a new plan runs", plan)
    done = await ok(c, "run_terraform_apply", {"session_id": sid, "plan_id": plan["plan"]["plan_id"], "wait_seconds": 40})
    rep.check(done.get("status") == "succeeded", "and applies", done)
    again = await ok(c, "run_terraform_plan", {"session_id": sid})
    rep.check(again.get("plan", {}).get("changes") is False, "the state continues from the store", again)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--phase", required=True, choices=["main", "lock", "start-long", "after-restart"])
    ap.add_argument("--session")
    ap.add_argument("--job")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    rep = Report(f"[terraform {args.label or args.phase}] ")
    try:
        async with asyncio.timeout(300):
            async with Client(args.url, read_timeout_seconds=CALL_TIMEOUT) as c:
                if args.phase == "main":
                    await phase_main(rep, c)
                elif args.phase == "lock":
                    await phase_lock(rep, c)
                elif args.phase == "start-long":
                    await phase_start_long(rep, c)
                else:
                    await phase_after_restart(rep, c, args.session, args.job)
    except BaseException as e:  # noqa: BLE001 - anyio wraps errors in ExceptionGroups
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        while isinstance(e, BaseExceptionGroup) and e.exceptions:
            e = e.exceptions[0]
        rep.check(False, f"phase {args.phase} ran to the end", f"{type(e).__name__}: {e}")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
