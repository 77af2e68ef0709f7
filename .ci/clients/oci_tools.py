#!/usr/bin/env python3
"""Galley's OCI tools through the official Python `mcp` SDK, over HTTP, against galley-emulator.

Usage:
    oci_tools.py URL --namespace NS --bucket BUCKET --compartment OCID

URL is a running `galley serve --http ...` (mode full) whose OCI requests go to the emulator
(GALLEY_OCI_ENDPOINT_OBJECTSTORAGE) and whose `run_oci_cli` runs Oracle's real `oci` CLI (GALLEY_OCI_CLI_BIN).
BUCKET exists in the emulator; the checks write only under `mcp-tools/` in it, and create the bucket `mcp-made`.

Checks: both tools are listed with the OCI annotations; `run_oci_cli` reads (`os ns get`, `os object list`),
creates (`os bucket create`), refuses a deletion without confirm_destructive and a model-supplied --endpoint, and
deletes with confirmation; `oci_sdk_call` writes, lists (fields, max_results, pages, all_pages), reads what the CLI
created, refuses a deletion without confirmation, answers an unknown operation with suggestions and an OCI error
with its code and request id, and serves raw mode. Every check prints `ok - ...` or `FAIL - ... (reason)`; the
exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import traceback
from typing import Any

from mcp import Client

from hearing_flow import CALL_TIMEOUT, Report, ToolFailed, call, call_err, describe_exc, short

SCENARIO_TIMEOUT = 300.0
PREFIX = "mcp-tools/"
MADE = "mcp-made"


async def check_listing(rep: Report, c: Client) -> None:
    tools = {t.name: t for t in (await c.list_tools()).tools}
    for name in ("oci_sdk_call", "run_oci_cli"):
        t = tools.get(name)
        if t is None:
            rep.fail(f"tools/list has {name}", f"listed {sorted(tools)}")
            continue
        a = t.annotations
        got = None if a is None else (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint)
        rep.eq(list(got) if got else None, [False, True, False, True], f"{name} annotations: readOnly false, destructive true, idempotent false, openWorld true")
        schema = t.input_schema if isinstance(t.input_schema, dict) else {}
        rep.check(
            schema.get("type") == "object" and not any(k in schema for k in ("oneOf", "anyOf", "allOf")) and t.output_schema is not None,
            f"{name} has an object input schema without a top-level oneOf/anyOf/allOf, and an output schema",
            short(schema),
        )


async def cli(c: Client, *args: str, confirm: bool = False) -> dict[str, Any]:
    return await call(c, "run_oci_cli", {"args": list(args), "confirm_destructive": confirm, "timeout_seconds": 120})


async def sdk(c: Client, operation: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return await call(c, "oci_sdk_call", {"service": "object_storage", "operation": operation, "parameters": parameters, **extra})


async def flow(rep: Report, c: Client, ns: str, bucket: str, compartment: str) -> None:
    await check_listing(rep, c)
    obj = lambda name: {"namespace_name": ns, "bucket_name": bucket, "object_name": name}  # noqa: E731

    # --- run_oci_cli: Oracle's CLI, Galley adding --endpoint ---------------------------------------------------
    out = await cli(c, "os", "ns", "get")
    rep.eq(out["output"].get("data") if isinstance(out["output"], dict) else out["output"], ns, "run_oci_cli os ns get returns the emulator's namespace")
    command = out["command"]
    rep.check("--endpoint" in command and command[-3:] == ["os", "ns", "get"], "run_oci_cli adds --endpoint from GALLEY_OCI_ENDPOINT_OBJECTSTORAGE", short(command))
    rep.eq((out["class"], out["exit_code"], out["output_format"]), ("read", 0, "json"), "run_oci_cli os ns get: class read, exit 0, JSON output")

    out = await cli(c, "os", "bucket", "create", "--name", MADE, "--compartment-id", compartment)
    data = out["output"].get("data", {}) if isinstance(out["output"], dict) else {}
    rep.eq((out["class"], data.get("name"), data.get("namespace")), ("mutation", MADE, ns), "run_oci_cli os bucket create (a mutation in full mode)")

    # Objects to look at, written natively.
    for i in (1, 2, 3):
        put = await sdk(c, "put_object", {**obj(f"{PREFIX}page-{i}.txt"), "put_object_body": f"page {i}\n", "content_type": "text/plain"})
        rep.check(put["class"] == "mutation" and bool(put["headers"].get("etag")), f"oci_sdk_call put_object {PREFIX}page-{i}.txt", short(put))

    out = await cli(c, "os", "object", "list", "--bucket-name", bucket, "--prefix", PREFIX)
    names = [o.get("name") for o in (out["output"].get("data") or [])] if isinstance(out["output"], dict) else []
    rep.eq(names, [f"{PREFIX}page-{i}.txt" for i in (1, 2, 3)], "run_oci_cli os object list --bucket-name B lists what oci_sdk_call wrote")

    delete = ["os", "object", "delete", "--bucket-name", bucket, "--object-name", f"{PREFIX}page-3.txt", "--force"]
    is_err, msg = await call_err(c, "run_oci_cli", {"args": delete})
    rep.check(is_err and "confirm_destructive=true" in msg, "run_oci_cli refuses os object delete without confirm_destructive", msg)
    head = await sdk(c, "head_object", obj(f"{PREFIX}page-3.txt"))
    rep.eq(head["status"], 200, "the refused deletion deleted nothing (head_object is 200)")

    is_err, msg = await call_err(c, "run_oci_cli", {"args": ["os", "ns", "get", "--endpoint", "http://evil.example"]})
    rep.check(is_err and "--endpoint is not allowed" in msg, "run_oci_cli refuses a --endpoint argument", msg)

    out = await cli(c, *delete, confirm=True)
    rep.eq((out["class"], out["exit_code"]), ("destructive", 0), "run_oci_cli os object delete with confirm_destructive runs")
    is_err, msg = await call_err(c, "oci_sdk_call", {"service": "object_storage", "operation": "head_object", "parameters": obj(f"{PREFIX}page-3.txt")})
    rep.check(is_err and "HTTP 404" in msg and "opc-request-id" in msg and "Hint:" in msg, "after the confirmed deletion the object is gone (404 with request id and hint)", msg)

    # --- oci_sdk_call: native calls ----------------------------------------------------------------------------
    listing = {"namespace_name": ns, "bucket_name": bucket, "prefix": PREFIX}
    out = await sdk(c, "list_objects", listing, fields=["name"])
    rep.eq(out["data"].get("objects"), [{"name": f"{PREFIX}page-{i}.txt"} for i in (1, 2)], "oci_sdk_call list_objects with fields=[name]")
    out = await sdk(c, "list_objects", {**listing, "limit": 1})
    rep.eq((len(out["data"]["objects"]), out.get("next_page")), (1, {"parameter": "start", "value": f"{PREFIX}page-2.txt"}), "oci_sdk_call list_objects limit=1 returns next_page")
    out = await sdk(c, "list_objects", {**listing, "limit": 1}, all_pages=True, fields=["name"])
    rep.eq((out["pages"], [o["name"] for o in out["data"]["objects"]], out.get("next_page")), (2, [f"{PREFIX}page-1.txt", f"{PREFIX}page-2.txt"], None), "oci_sdk_call list_objects all_pages follows nextStartWith")
    out = await sdk(c, "list_objects", listing, max_results=1)
    rep.eq((out["returned_items"], out["total_items"], out["truncated"]), (1, 2, True), "oci_sdk_call list_objects max_results=1")

    out = await call(c, "oci_sdk_call", {"service": "object_storage", "operation": "GetBucket", "parameters": {"namespace_name": ns, "bucket_name": MADE}, "fields": ["name", "compartmentId"]})
    rep.eq(out["data"], {"name": MADE, "compartmentId": compartment}, "oci_sdk_call GetBucket sees the bucket the CLI created")

    is_err, msg = await call_err(c, "oci_sdk_call", {"service": "object_storage", "operation": "delete_object", "parameters": obj(f"{PREFIX}page-1.txt")})
    rep.check(is_err and "confirm_destructive=true" in msg, "oci_sdk_call refuses delete_object without confirm_destructive", msg)
    is_err, msg = await call_err(c, "oci_sdk_call", {"service": "object_storage", "operation": "list_objekts"})
    rep.check(is_err and "did you mean" in msg and "list_objects" in msg, "oci_sdk_call names the closest operations for an unknown one", msg)
    is_err, msg = await call_err(c, "oci_sdk_call", {"service": "object_storage", "operation": "get_bucket", "parameters": {"namespace_name": ns, "bucket_name": "no-such-bucket"}})
    rep.check(is_err and "BucketNotFound" in msg and "opc-request-id" in msg, "oci_sdk_call returns OCI's error code and request id", msg)

    out = await call(c, "oci_sdk_call", {"raw": {"service": "object_storage", "method": "GET", "path": "/n"}})
    rep.eq((out["operation"], out["class"], out["data"]), ("raw", "read", ns), "oci_sdk_call raw GET /n")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--compartment", required=True)
    args = ap.parse_args()
    rep = Report()
    rep.prefix = "[oci tools] "
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            async with Client(args.url, mode="auto", read_timeout_seconds=CALL_TIMEOUT) as c:
                await flow(rep, c, args.namespace, args.bucket, args.compartment)
    except TimeoutError:
        rep.fail("the OCI tool checks finished", f"timed out after {SCENARIO_TIMEOUT} s")
    except ToolFailed as e:
        rep.fail("the OCI tool checks ran to the end", str(e))
    except BaseException as e:  # noqa: BLE001 - anyio raises ExceptionGroups
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        rep.fail("the OCI tool checks ran to the end", describe_exc(e) + " :: " + "".join(traceback.format_exception(e))[-800:])
    print(f"# oci_tools: {rep.passed} ok, {rep.failed} not ok", flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
