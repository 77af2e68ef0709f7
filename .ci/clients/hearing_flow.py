#!/usr/bin/env python3
"""End-to-end hearing flow against a real galley process, through the official Python `mcp` SDK.

Usage:
    hearing_flow.py SPEC [--modes legacy,auto]

SPEC is either
    stdio:<galley bin>:<store dir>      runs `galley serve --stdio --store file://<dir>` (one process per mode)
    http://HOST:PORT/mcp?token=TOKEN    an already running `galley serve --http ...`

For every mode (`legacy` = initialize handshake, `auto` = server/discover, 2026-07-28) the whole hearing is
driven: tools/list, create_session, the catalog, batch and single answers, every kind of refused value, an
all-or-nothing batch, completion with and without required questions open, the structured result, and the
lock after completion. Over HTTP the token is checked with plain urllib as well.

Every check prints one line, `ok - ...` or `FAIL - ... (reason)`; the exit status is 1 when any check failed.
concurrency.py imports the value generator and the small helpers from here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from mcp import Client, StdioServerParameters

TOOLS = {
    # name -> read-only?
    "create_session": False,
    "list_hearing_questions": True,
    "save_answer": False,
    "save_answers_batch": False,
    "complete_hearing": False,
    "get_hearing_result": True,
    "list_sessions": True,
    "get_session": True,
}

CALL_TIMEOUT = 60.0  # seconds per MCP request
SCENARIO_TIMEOUT = 300.0  # seconds for one mode's whole flow


# ---------------------------------------------------------------------------------------------------------------
# Reporting


class Report:
    """Counts checks and prints one line per check."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.prefix = ""

    def ok(self, desc: str) -> None:
        self.passed += 1
        print(f"ok - {self.prefix}{desc}", flush=True)

    def fail(self, desc: str, why: str) -> None:
        self.failed += 1
        why = why.replace("\n", " | ")
        if len(why) > 1500:
            why = why[:1500] + "…"
        print(f"FAIL - {self.prefix}{desc}: {why}", flush=True)

    def check(self, cond: bool, desc: str, why: str = "") -> bool:
        if cond:
            self.ok(desc)
        else:
            self.fail(desc, why or "condition false")
        return cond

    def eq(self, got: Any, want: Any, desc: str) -> bool:
        return self.check(same(got, want), desc, f"got {short(got)}, want {short(want)}")

    def contains(self, text: str, needles: list[str], desc: str) -> bool:
        missing = [n for n in needles if n not in text]
        return self.check(not missing, desc, f"message lacks {missing!r}; message: {text!r}")


def short(v: Any, limit: int = 400) -> str:
    s = json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else repr(v)
    return s if len(s) <= limit else s[:limit] + "…"


def same(a: Any, b: Any) -> bool:
    """JSON equality that also tells bool from number and int from float."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def describe_exc(e: BaseException) -> str:
    """One line for an exception, looking inside the ExceptionGroups anyio wraps everything in."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    return f"{type(e).__name__}: {e}"


def result_text(r: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in (r.content or []))


class ToolFailed(Exception):
    pass


async def call(c: Client, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """Calls a tool that must succeed; returns its structuredContent."""
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT)
    if r.is_error:
        raise ToolFailed(f"{name} {short(args, 300)} returned isError: {result_text(r)}")
    if not isinstance(r.structured_content, dict):
        raise ToolFailed(f"{name} returned no structuredContent: {short(result_text(r))}")
    return r.structured_content


async def call_err(c: Client, name: str, args: dict[str, Any]) -> tuple[bool, str]:
    """Calls a tool that should fail; returns (is_error, message text)."""
    r = await c.call_tool(name, args, read_timeout_seconds=CALL_TIMEOUT)
    return bool(r.is_error), result_text(r) if r.is_error else short(r.structured_content)


# ---------------------------------------------------------------------------------------------------------------
# Values


def _num_fmt(n: float) -> Any:
    return int(n) if float(n).is_integer() else float(n)


def gen_value(q: dict[str, Any], variant: int = 0, tricky: bool = False, forced: Any = None) -> tuple[Any, Any]:
    """A valid answer for question `q` as (value to send, value galley must store).

    `variant` picks a different valid value (variant 0 and 1 differ for every question type where the
    catalog allows it). `tricky` sends a non-canonical but unambiguous spelling that galley normalises
    (surrounding spaces, upper-case or label instead of the choice value, "a, b" for a multi choice,
    "1,234" for a number, "yes"/"no" for a boolean). `forced` is a canonical value to use instead.
    """
    kind = q["type"]
    qid = q["id"]
    if kind == "text":
        limit = q.get("max_length") or 1000
        text = f"要件 {qid} v{variant}: 可用性とコスト / availability and cost"
        text = text[:limit].strip()
        return (f"  {text}\n " if tricky else text), text
    if kind == "single_choice":
        choices = q["choices"]
        ch = next(c for c in choices if c["value"] == forced) if forced is not None else choices[variant % len(choices)]
        if tricky:
            # the label (locale of the catalog) or the value in upper case both map back to the value
            raw = ch["label"] if variant % 2 == 0 else ch["value"].upper()
            return raw, ch["value"]
        return ch["value"], ch["value"]
    if kind == "multi_choice":
        vals = [c["value"] for c in q["choices"]]
        if forced is not None:
            picked = [forced]
        elif len(vals) >= 2:
            a = vals[variant % len(vals)]
            b = vals[(variant + 2) % len(vals)]
            picked = [a] if a == b else [a, b]
        else:
            picked = vals[:1]
        if tricky:
            if len(picked) > 1:
                return ", ".join(picked), picked
            return [picked[0], picked[0]], picked  # duplicates are dropped
        return picked, picked
    if kind == "number":
        lo = q.get("min")
        hi = q.get("max")
        lo = 0.0 if lo is None else float(lo)
        hi = lo + 100000.0 if hi is None else float(hi)
        if forced is not None:
            n = float(forced)
        else:
            span = hi - lo
            # a few fixed fractions of the range, different per variant
            frac = [0.0123, 0.5, 0.0071, 0.25][variant % 4]
            n = lo + span * frac
            if q.get("integer"):
                n = float(round(n))
                if variant % 4 == 0 and n == lo and hi > lo:
                    n = lo + 1
            else:
                n = round(n, 1)
                if not q.get("integer") and variant % 2 == 1:
                    n = round(n + 0.5, 1) if n + 0.5 <= hi else n
            n = min(max(n, lo), hi)
        expected = _num_fmt(n)
        if tricky and isinstance(expected, int) and expected >= 1000:
            return f"{expected:,}", expected
        if tricky:
            return str(expected), expected
        return expected, expected
    if kind == "boolean":
        b = bool(forced) if forced is not None else variant % 2 == 0
        if tricky:
            return ("yes" if b else "no"), b
        return b, b
    raise ValueError(f"unknown question type {kind!r} for {qid}")


def dependency_targets(questions: list[dict[str, Any]]) -> dict[str, Any]:
    """question id -> the value that makes its dependants apply."""
    return {q["depends_on"]: q.get("depends_on_value") for q in questions if q.get("depends_on")}


def bad_inputs(questions: list[dict[str, Any]]) -> list[tuple[str, str, Any, list[str]]]:
    """(description, question id, bad value, substrings the error must contain)."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for q in questions:
        by_type.setdefault(q["type"], []).append(q)
    out: list[tuple[str, str, Any, list[str]]] = []
    nums = by_type.get("number", [])
    if nums:
        q = nums[0]
        out.append(("a string for a number question", q["id"], "lots of users", [q["id"], "takes a number"]))
        if q.get("max") is not None:
            out.append(("a number above max", q["id"], q["max"] + 1, [q["id"], "at most"]))
        if q.get("min") is not None:
            out.append(("a number below min", q["id"], q["min"] - 1, [q["id"], "at least"]))
        ints = [x for x in nums if x.get("integer")]
        if ints:
            out.append(("a fraction for an integer question", ints[0]["id"], 1.5, [ints[0]["id"], "whole number"]))
    closed_single = [q for q in by_type.get("single_choice", []) if not q.get("allow_other")]
    if closed_single:
        q = closed_single[0]
        valid = [c["value"] for c in q["choices"]]
        out.append(("a choice not in the list", q["id"], "mainframe", [q["id"], "mainframe", "valid values", *valid]))
        out.append(("a number for a single choice", q["id"], 3, [q["id"], "valid values"]))
    closed_multi = [q for q in by_type.get("multi_choice", []) if not q.get("allow_other")]
    if closed_multi:
        q = closed_multi[0]
        ok_val = q["choices"][0]["value"]
        out.append(
            ("an unknown item in a multi choice", q["id"], [ok_val, "atlantis"], [q["id"], "atlantis", "not one of the choices"])
        )
        out.append(("an empty multi choice", q["id"], [], [q["id"], "at least one choice"]))
    texts = [q for q in by_type.get("text", []) if q.get("max_length")]
    if texts:
        q = texts[0]
        n = q["max_length"]
        out.append(("a text over max_length", q["id"], "x" * (n + 1), [q["id"], f"at most {n} characters"]))
        out.append(("an object for a text question", q["id"], {"a": 1}, [q["id"], "takes text"]))
    bools = by_type.get("boolean", [])
    if bools:
        out.append(("'maybe' for a boolean", bools[0]["id"], "maybe", [bools[0]["id"], "true or false"]))
    if questions:
        out.append(("null as a value", questions[0]["id"], None, [questions[0]["id"], "no value given"]))
    return out


# ---------------------------------------------------------------------------------------------------------------
# The flow


async def check_tools(rep: Report, c: Client) -> None:
    listed = await c.list_tools()
    tools = {t.name: t for t in listed.tools}
    missing = sorted(set(TOOLS) - set(tools))
    rep.check(not missing, f"tools/list has the {len(TOOLS)} hearing tools", f"missing {missing}; listed {sorted(tools)}")
    for name, read_only in TOOLS.items():
        t = tools.get(name)
        if t is None:
            continue
        a = t.annotations
        problems = []
        if a is None:
            problems.append("no annotations")
        else:
            if not a.title:
                problems.append("no title")
            if a.read_only_hint is not read_only:
                problems.append(f"readOnlyHint={a.read_only_hint!r}, want {read_only}")
            if a.destructive_hint is not False:
                problems.append(f"destructiveHint={a.destructive_hint!r}, want False")
            if a.open_world_hint is not False:
                problems.append(f"openWorldHint={a.open_world_hint!r}, want False")
        if t.output_schema is None:
            problems.append("no outputSchema")
        if not isinstance(t.input_schema, dict) or t.input_schema.get("type") != "object":
            problems.append("inputSchema is not an object schema")
        rep.check(not problems, f"tool {name} has annotations (readOnlyHint={read_only}) and schemas", "; ".join(problems))
    req = (tools["create_session"].input_schema.get("required") or []) if "create_session" in tools else []
    rep.check({"customer", "project"} <= set(req), "create_session requires customer and project", f"required={req}")


async def get_session(c: Client, sid: str) -> dict[str, Any]:
    return await call(c, "get_session", {"session_id": sid})


def applies(q: dict[str, Any], expected: dict[str, dict[str, Any]]) -> bool:
    """Whether question `q` applies given the expected answers (its dependency, if any, holds)."""
    if not q.get("depends_on"):
        return True
    dep = expected.get(q["depends_on"])
    if dep is None:
        return False
    want = q.get("depends_on_value")
    return same(dep["value"], want) or (isinstance(dep["value"], list) and any(same(v, want) for v in dep["value"]))


def answers_map(sess: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["question_id"]: a for a in sess.get("answers", [])}


async def hearing_flow(rep: Report, c: Client, label: str) -> None:
    await check_tools(rep, c)

    # --- create -------------------------------------------------------------------------------------------
    created = await call(
        c,
        "create_session",
        {"customer": f"Acme 株式会社 ({label})", "project": "EC rebuild", "locale": "en", "notes": "from the RFP"},
    )
    sid = created.get("session_id")
    rep.check(isinstance(sid, str) and len(sid) == 36, "create_session returns a session id", f"got {short(created)}")
    rep.eq(created.get("status"), "hearing", "new session status is hearing")
    rep.eq(created.get("locale"), "en", "new session keeps locale en")
    rep.eq(created.get("customer"), f"Acme 株式会社 ({label})", "customer is read back")
    prog = created.get("progress", {})
    rep.check(prog.get("answered") == 0 and prog.get("required_open"), "new session: 0 answered, required questions open", short(prog))
    nq = created.get("next_questions") or []
    rep.check(bool(nq) and all(q.get("required") for q in nq), "next_questions of a new session are required ones", short([q.get("id") for q in nq]))

    # --- catalog ------------------------------------------------------------------------------------------
    cat = await call(c, "list_hearing_questions", {"locale": "en", "session_id": sid})
    questions: list[dict[str, Any]] = cat.get("questions", [])
    byid = {q["id"]: q for q in questions}
    counts = sum(int(k.get("question_count", 0)) for k in cat.get("categories", []))
    rep.check(len(questions) > 0 and counts == len(questions), f"catalog lists {len(questions)} questions, matching the category counts", f"categories say {counts}")
    rep.check(all(q.get("answered") is False for q in questions), "catalog with session_id marks every question unanswered", "")
    deps = [q for q in questions if q.get("depends_on")]
    rep.check(all(q.get("applies") is False for q in deps), f"{len(deps)} dependent question(s) do not apply before their condition is answered", short([(q["id"], q.get("applies")) for q in deps]))
    types = {q["type"] for q in questions}
    rep.check(types <= {"text", "single_choice", "multi_choice", "number", "boolean"}, f"question types are known: {sorted(types)}", "")
    required_ids = [q["id"] for q in questions if q.get("required")]
    rep.eq(prog.get("required_open"), [i for i in required_ids if not byid[i].get("depends_on")], "progress.required_open is the required questions in catalog order")

    cats = [k["id"] for k in cat.get("categories", [])]
    if cats:
        one = await call(c, "list_hearing_questions", {"category": cats[1 % len(cats)], "locale": "ja"})
        rep.check(
            one.get("locale") == "ja" and one.get("questions") and all(q["category"] == cats[1 % len(cats)] for q in one["questions"]),
            "list_hearing_questions filters by category and locale",
            short(one)[:300],
        )
    is_err, msg = await call_err(c, "list_hearing_questions", {"category": "no_such_category"})
    rep.check(is_err, "an unknown category is an error", msg)
    rep.contains(msg, ["no_such_category", *cats[:2]], "the unknown-category error lists the valid categories")

    # --- values -------------------------------------------------------------------------------------------
    forced = dependency_targets(questions)
    plan: dict[str, tuple[Any, Any]] = {}
    for i, q in enumerate(questions):
        plan[q["id"]] = gen_value(q, variant=i, tricky=(i % 3 == 0), forced=forced.get(q["id"]))
    expected: dict[str, dict[str, Any]] = {}  # question id -> {value, source, note}
    spelled = [qid for qid, (raw, want) in plan.items() if not same(raw, want)]
    rep.check(len(spelled) >= 5, f"{len(spelled)} answers are sent in a non-canonical spelling galley must normalise", short(spelled))

    # --- batch: about half --------------------------------------------------------------------------------
    half = [q["id"] for i, q in enumerate(questions) if i % 2 == 0]
    batch = [{"question_id": qid, "value": plan[qid][0]} for qid in half]
    saved = await call(c, "save_answers_batch", {"session_id": sid, "answers": batch})
    got = [(s["question_id"], s["value"]) for s in saved.get("saved", [])]
    want = [(qid, plan[qid][1]) for qid in half]
    rep.check(
        len(got) == len(want) and all(g[0] == w[0] and same(g[1], w[1]) for g, w in zip(got, want)),
        f"save_answers_batch saves {len(half)} answers and returns the normalised values in order",
        f"got {short(got, 800)}, want {short(want, 800)}",
    )
    for qid in half:
        expected[qid] = {"value": plan[qid][1], "source": "customer", "note": None}
    rep.eq(saved.get("progress", {}).get("answered"), len(expected), "progress.answered counts the batch")
    rep.check(bool(saved.get("next_step")), "save_answers_batch gives a next_step", "")

    # --- one more, as an assumption -----------------------------------------------------------------------
    rest = [q["id"] for q in questions if q["id"] not in expected]
    assumed = next((qid for qid in rest if not byid[qid].get("required")), rest[0])
    one = await call(
        c,
        "save_answer",
        {"session_id": sid, "question_id": assumed, "value": plan[assumed][0], "source": "assumption", "note": "  assumed; confirm with the customer  "},
    )
    rep.check(
        [(s["question_id"], s["value"]) for s in one.get("saved", [])] == [(assumed, plan[assumed][1])]
        and same(one["saved"][0]["value"], plan[assumed][1]),
        f"save_answer stores {assumed} as an assumption",
        short(one.get("saved")),
    )
    expected[assumed] = {"value": plan[assumed][1], "source": "assumption", "note": "assumed; confirm with the customer"}
    rep.eq(one.get("progress", {}).get("answered"), len(expected), "progress.answered counts the single answer")

    # --- refused values -----------------------------------------------------------------------------------
    before = await get_session(c, sid)
    for desc, qid, value, needles in bad_inputs(questions):
        is_err, msg = await call_err(c, "save_answer", {"session_id": sid, "question_id": qid, "value": value})
        if rep.check(is_err, f"{desc} ({qid} = {short(value, 40)}) is refused with isError", f"accepted: {msg}"):
            rep.contains(msg, needles, f"the error for {desc} names the problem")
    typo = questions[0]["id"] + "x"
    is_err, msg = await call_err(c, "save_answer", {"session_id": sid, "question_id": typo, "value": "x"})
    if rep.check(is_err, "an unknown question id is refused", msg):
        rep.contains(msg, ["unknown question", typo, questions[0]["id"]], "the unknown-question error names the id and suggests the right one")
    is_err, msg = await call_err(c, "save_answer", {"session_id": sid, "question_id": "zzzz.qqqq", "value": "x"})
    if rep.check(is_err, "a far-off question id is refused", msg):
        rep.contains(msg, ["unknown question", "list_hearing_questions"], "the far-off id error points to list_hearing_questions")
    ghost = str(uuid.uuid4())
    is_err, msg = await call_err(c, "save_answer", {"session_id": ghost, "question_id": questions[0]["id"], "value": plan[questions[0]["id"]][0]})
    if rep.check(is_err, "an unknown session id is refused", msg):
        rep.contains(msg, ["no session", ghost], "the unknown-session error names the id")
    is_err, msg = await call_err(c, "save_answer", {"session_id": "not-a-session", "question_id": questions[0]["id"], "value": "x"})
    if rep.check(is_err, "a malformed session id is refused", msg):
        rep.contains(msg, ["no session", "not-a-session"], "the malformed-session error names the id")
    for tool in ("get_session", "get_hearing_result"):
        is_err, msg = await call_err(c, tool, {"session_id": ghost})
        rep.check(is_err and "no session" in msg, f"{tool} on an unknown session is an error naming it", msg)
    is_err, msg = await call_err(c, "complete_hearing", {"session_id": ghost, "force": True})
    rep.check(is_err and "no session" in msg, "complete_hearing on an unknown session is an error", msg)
    after = await get_session(c, sid)
    rep.eq(after.get("revision"), before.get("revision"), "refused values changed nothing (revision unchanged)")
    rep.check(same(answers_map(after), answers_map(before)), "refused values changed nothing (answers unchanged)", "answers differ")

    # --- all-or-nothing batch -----------------------------------------------------------------------------
    rest = [q["id"] for q in questions if q["id"] not in expected]
    changed = half[1] if len(half) > 1 else half[0]
    bad = bad_inputs(questions)[0]
    mixed = [
        {"question_id": rest[0], "value": plan[rest[0]][0]},
        {"question_id": changed, "value": gen_value(byid[changed], variant=7)[0]},
        {"question_id": bad[1], "value": bad[2]},
        {"question_id": rest[1], "value": plan[rest[1]][0]},
    ]
    is_err, msg = await call_err(c, "save_answers_batch", {"session_id": sid, "answers": mixed})
    if rep.check(is_err, "a batch with one invalid answer is refused", f"accepted: {msg}"):
        rep.contains(msg, ["nothing was saved", "[2]", bad[1]], "the batch error says nothing was saved and points at entry [2]")
    after = await get_session(c, sid)
    rep.eq(after.get("revision"), before.get("revision"), "refused batch saved nothing (revision unchanged)")
    rep.check(same(answers_map(after), answers_map(before)), "refused batch saved nothing (answers unchanged)", f"now {sorted(answers_map(after))}")
    is_err, msg = await call_err(c, "save_answers_batch", {"session_id": sid, "answers": []})
    rep.check(is_err and "at least one" in msg, "an empty batch is refused", msg)

    # --- complete too early -------------------------------------------------------------------------------
    sess = await get_session(c, sid)
    open_req = sess.get("progress", {}).get("required_open", [])
    want_open = [q["id"] for q in questions if q.get("required") and q["id"] not in expected and applies(q, expected)]
    rep.eq(open_req, want_open, "get_session progress.required_open lists the unanswered required questions")
    if open_req:
        is_err, msg = await call_err(c, "complete_hearing", {"session_id": sid})
        if rep.check(is_err, f"complete_hearing without force fails while {len(open_req)} required question(s) are open", msg):
            rep.contains(msg, open_req, "the completion error lists every open required question")
        st = await get_session(c, sid)
        rep.eq(st.get("status"), "hearing", "the refused completion leaves the session in hearing")
    else:
        rep.ok("no required question open after the first half (nothing to refuse)")

    # --- answer the remaining required --------------------------------------------------------------------
    if open_req:
        fill = [{"question_id": qid, "value": plan[qid][0]} for qid in open_req]
        filled = await call(c, "save_answers_batch", {"session_id": sid, "answers": fill})
        for qid in open_req:
            expected[qid] = {"value": plan[qid][1], "source": "customer", "note": None}
        rep.eq(filled.get("progress", {}).get("required_open"), [], "after answering the rest, no required question is open")
        rep.eq(filled.get("progress", {}).get("answered"), len(expected), "progress.answered counts every answer")
    cat2 = await call(c, "list_hearing_questions", {"session_id": sid})
    flags_ok = all(q.get("answered") is (q["id"] in expected) for q in cat2.get("questions", []))
    rep.check(flags_ok, "list_hearing_questions marks exactly the saved questions answered", "")
    rep.eq(cat2.get("locale"), "en", "list_hearing_questions defaults to the session's locale")
    for q in cat2.get("questions", []):
        if q.get("depends_on"):
            want_applies = applies(q, expected)
            dep = expected.get(q["depends_on"])
            rep.eq(q.get("applies"), want_applies, f"{q['id']} applies={want_applies} given {q['depends_on']}={short(dep and dep['value'], 40)}")

    # --- complete -----------------------------------------------------------------------------------------
    done = await call(c, "complete_hearing", {"session_id": sid})
    rep.eq(done.get("status"), "completed", "complete_hearing completes the session")
    rep.eq(done.get("open_assumptions"), [], "no open assumptions when all required questions are answered")
    rep.check(bool(done.get("completed_at")), "completed_at is set", short(done))

    # --- result -------------------------------------------------------------------------------------------
    res = await call(c, "get_hearing_result", {"session_id": sid})
    rep.eq(res.get("status"), "completed", "get_hearing_result status is completed")
    rep.eq(res.get("session_id"), sid, "get_hearing_result is for the session")
    rep.check(bool(res.get("completed_at")), "get_hearing_result has completed_at", "")
    reqs: dict[str, dict[str, Any]] = {}
    misplaced = []
    for k in res.get("categories", []):
        for r in k.get("requirements", []):
            reqs[r["question_id"]] = r
            if byid.get(r["question_id"], {}).get("category") != k.get("category"):
                misplaced.append(r["question_id"])
    rep.check(not misplaced, "every requirement sits in its question's category", short(misplaced))
    rep.eq(sorted(reqs), sorted(expected), f"get_hearing_result lists exactly the {len(expected)} saved answers")
    wrong = []
    for qid, e in expected.items():
        r = reqs.get(qid)
        if r is None:
            continue
        if not same(r.get("value"), e["value"]) or r.get("source") != e["source"] or r.get("note") != e["note"]:
            wrong.append((qid, {k: r.get(k) for k in ("value", "source", "note")}, e))
        elif not r.get("display") or not r.get("question"):
            wrong.append((qid, "no display/question text", r))
    rep.check(not wrong, "every answer reads back with its normalised value, source and note", short(wrong, 1200))
    bools = [qid for qid in expected if byid[qid]["type"] == "boolean"]
    disp_ok = all(reqs[q]["display"] == ("Yes" if expected[q]["value"] else "No") for q in bools if q in reqs)
    rep.check(disp_ok, "booleans display as Yes/No in English", short([(q, reqs.get(q, {}).get("display")) for q in bools]))
    rep.eq([a.get("question_id") for a in res.get("assumptions", [])], [assumed], "the assumption is listed in assumptions")
    rep.eq(res.get("open_assumptions"), [], "open_assumptions is empty")
    open_q = [o["question_id"] for o in res.get("open_questions", [])]
    rep.check(not set(open_q) & set(expected) and not any(o.get("required") for o in res.get("open_questions", [])), "open_questions are unanswered optional questions only", short(open_q))
    rep.eq(res.get("progress", {}).get("required_open"), [], "result progress: no required question open")
    res_ja = await call(c, "get_hearing_result", {"session_id": sid, "locale": "ja"})
    rep.eq(res_ja.get("locale"), "ja", "get_hearing_result can be read in another locale")

    sess = await get_session(c, sid)
    am = answers_map(sess)
    rep.check(
        all(same(am.get(q, {}).get("value"), e["value"]) for q, e in expected.items()) and len(am) == len(expected),
        "get_session answers equal the expected normalised values",
        "",
    )
    rep.eq(sess.get("status"), "completed", "get_session status is completed")

    # --- locked after completion --------------------------------------------------------------------------
    q0 = questions[0]["id"]
    is_err, msg = await call_err(c, "save_answer", {"session_id": sid, "question_id": q0, "value": plan[q0][0]})
    if rep.check(is_err, "save_answer after completion is refused", msg):
        rep.contains(msg, ["completed", "create_session"], "the after-completion error says the session is completed")
    is_err, msg = await call_err(c, "save_answers_batch", {"session_id": sid, "answers": [{"question_id": q0, "value": plan[q0][0]}]})
    rep.check(is_err and "completed" in msg, "save_answers_batch after completion is refused", msg)
    again = await call(c, "complete_hearing", {"session_id": sid})
    rep.check(again.get("status") == "completed" and again.get("completed_at") == done.get("completed_at"), "complete_hearing again succeeds and keeps completed_at", short(again))
    final = await get_session(c, sid)
    rep.eq(final.get("revision"), sess.get("revision"), "nothing changed after completion (revision)")

    # --- list_sessions ------------------------------------------------------------------------------------
    listed = await call(c, "list_sessions", {"limit": 100})
    mine = [s for s in listed.get("sessions", []) if s.get("session_id") == sid]
    rep.check(
        len(mine) == 1 and mine[0].get("status") == "completed" and mine[0].get("answered") == len(expected),
        "list_sessions shows the session completed with its answer count",
        short(mine),
    )

    # --- forced completion on a second session (default locale) ------------------------------------------
    s2 = await call(c, "create_session", {"customer": f"Beta ({label})", "project": "force"})
    rep.eq(s2.get("locale"), "ja", "create_session defaults to locale ja")
    sid2 = s2["session_id"]
    open2 = s2.get("progress", {}).get("required_open", [])
    forced_done = await call(c, "complete_hearing", {"session_id": sid2, "force": True})
    rep.eq(forced_done.get("open_assumptions"), open2, "complete_hearing force=true records the open required questions")
    res2 = await call(c, "get_hearing_result", {"session_id": sid2})
    rep.eq([o.get("question_id") for o in res2.get("open_assumptions", [])], open2, "the result lists them as open_assumptions")

    page1 = await call(c, "list_sessions", {"limit": 1})
    if rep.check(len(page1.get("sessions", [])) == 1 and page1.get("next_cursor"), "list_sessions limit=1 returns one session and a cursor", short(page1)):
        page2 = await call(c, "list_sessions", {"limit": 1, "cursor": page1["next_cursor"]})
        rep.check(
            len(page2.get("sessions", [])) == 1 and page2["sessions"][0]["session_id"] != page1["sessions"][0]["session_id"],
            "the cursor leads to the next session",
            short(page2),
        )
    is_err, msg = await call_err(c, "list_sessions", {"limit": 0})
    rep.check(is_err and "limit" in msg, "list_sessions limit=0 is refused", msg)


# ---------------------------------------------------------------------------------------------------------------
# Transports


def http_checks(rep: Report, url: str) -> None:
    """Token checks with plain urllib (no MCP client)."""
    parts = urllib.parse.urlsplit(url)
    token = dict(urllib.parse.parse_qsl(parts.query)).get("token", "")
    bare = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    rep.prefix = "[http] "
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def post(u: str, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        req = urllib.request.Request(u, data=body, headers={**headers, **(extra or {})}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    for desc, u, extra in (
        ("POST /mcp without the token", bare, None),
        ("POST /mcp with a wrong token", bare + "?token=" + urllib.parse.quote("wrong-" + token[::-1]), None),
        ("POST /mcp with a wrong bearer token", bare, {"Authorization": "Bearer nope-nope-nope-nope-nope"}),
    ):
        status, hdrs, raw = post(u, extra)
        rep.eq(status, 401, f"{desc} is 401")
        try:
            doc = json.loads(raw)
            rep.check(isinstance(doc, dict) and doc.get("error") == "unauthorized" and bool(doc.get("message")), f"{desc}: 401 body is JSON with error and message", raw.decode(errors="replace"))
        except ValueError:
            rep.fail(f"{desc}: 401 body is JSON", f"not JSON: {raw[:200]!r}")
        rep.check(bool(token) and token not in raw.decode(errors="replace") and token not in json.dumps(hdrs), f"{desc}: the response does not contain the token", "token leaked")
        rep.check("bearer" in {k.lower(): v for k, v in hdrs.items()}.get("www-authenticate", "").lower(), f"{desc}: WWW-Authenticate: Bearer", short(hdrs))
    status, _, raw = post(bare, {"Authorization": f"Bearer {token}"})
    rep.check(status != 401, "POST /mcp with Authorization: Bearer <token> is let through", f"status {status}: {raw[:200]!r}")
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
            hz = r.read().decode()
            rep.check(r.status == 200 and json.loads(hz).get("status") == "ok" and token not in hz, "GET /healthz is 200 without a token and holds no token", hz)
    except Exception as e:  # noqa: BLE001
        rep.fail("GET /healthz is 200 without a token", describe_exc(e))


async def sdk_without_token(rep: Report, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    bare = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for mode in ("auto", "legacy"):
        rep.prefix = f"[http/{mode}] "
        try:
            async with asyncio.timeout(30):
                async with Client(bare, mode=mode, read_timeout_seconds=20) as c:
                    await c.list_tools()
            rep.fail("the SDK client without the token cannot connect", "it connected and listed tools")
        except TimeoutError:
            rep.fail("the SDK client without the token fails promptly", "timed out after 30 s")
        except BaseException as e:  # noqa: BLE001 - anyio raises ExceptionGroups
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            rep.ok(f"the SDK client without the token is refused ({describe_exc(e)[:120]})")


def make_client(spec: str, mode: str) -> Client:
    if spec.startswith("stdio:"):
        bin_path, store = spec[len("stdio:"):].rsplit(":", 1)
        params = StdioServerParameters(
            command=bin_path,
            args=["serve", "--stdio", "--store", f"file://{store}"],
            env={"GALLEY_LOG": "warn"},
        )
        return Client(params, mode=mode, read_timeout_seconds=CALL_TIMEOUT)
    return Client(spec, mode=mode, read_timeout_seconds=CALL_TIMEOUT)


async def run_mode(rep: Report, spec: str, mode: str) -> None:
    kind = "stdio" if spec.startswith("stdio:") else "http"
    label = f"{kind}/{mode}"
    rep.prefix = f"[{label}] "
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            async with make_client(spec, mode) as c:
                want = "2025-11-25" if mode == "legacy" else "2026-07-28"
                rep.eq(c.protocol_version, want, f"negotiated protocol {want}")
                info = c.server_info
                rep.check(info is not None and info.name == "galley", "server identifies as galley", short(str(info)))
                await hearing_flow(rep, c, label)
    except TimeoutError:
        rep.fail("hearing flow finished", f"timed out after {SCENARIO_TIMEOUT} s")
    except ToolFailed as e:
        rep.fail("hearing flow ran to the end", str(e))
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        rep.fail("hearing flow ran to the end", describe_exc(e) + " :: " + "".join(traceback.format_exception(e))[-800:])


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", help="stdio:<galley bin>:<store dir> or http://HOST:PORT/mcp?token=T")
    ap.add_argument("--modes", default="legacy,auto", help="comma-separated: legacy, auto (default both)")
    args = ap.parse_args()
    rep = Report()
    spec = args.spec
    if not (spec.startswith("stdio:") or spec.startswith("http://") or spec.startswith("https://")):
        print(f"FAIL - bad transport spec {spec!r}", flush=True)
        return 2
    if spec.startswith("http"):
        http_checks(rep, spec)
        await sdk_without_token(rep, spec)
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        await run_mode(rep, spec, mode)
    print(f"# hearing_flow {spec.split('?')[0]}: {rep.passed} ok, {rep.failed} not ok", flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
