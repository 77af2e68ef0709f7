#!/usr/bin/env python3
"""Parallel writes to one hearing session must never lose an update, in one galley process or across replicas.

Usage:
    concurrency.py URL [URL ...] [--mode auto|legacy]

Each URL is a running `galley serve --http ... --token T` endpoint (`http://HOST:PORT/mcp?token=T`). With several
URLs the requests alternate between them (replicas sharing one `file://` store).

Rounds, each fired at once (every call on its own `Client` connection, all released together by one event):
  1. one save_answer per catalog question with value v1;
  2. the same with a different valid value v2;
  3. one question written by many clients at once (the revision must count every write);
  4. disjoint save_answers_batch calls in parallel;
  5. parallel create_session calls (list_sessions must show every one).
After each round get_session (through every URL) must show every value, the answered count and a revision that
counts every successful write (a lost update shows up as a missing value or a short revision).

Every check prints one line, `ok - ...` or `FAIL - ... (reason)`; the exit status is 1 when any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import AsyncExitStack
from typing import Any, Awaitable, Callable

from mcp import Client

from hearing_flow import CALL_TIMEOUT, Report, ToolFailed, call, describe_exc, gen_value, result_text, same, short

ROUND_TIMEOUT = 240.0


def peak_in_flight(spans: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans], key=lambda x: (x[0], x[1]))
    cur = peak = 0
    for _, d in events:
        cur += d
        peak = max(peak, cur)
    return peak


class Pool:
    """`n` connected clients, client i talking to urls[i % len(urls)]."""

    def __init__(self, urls: list[str], mode: str) -> None:
        self.urls = urls
        self.mode = mode
        self.stack = AsyncExitStack()
        self.clients: list[Client] = []

    async def grow(self, n: int) -> None:
        async def connect(i: int) -> Client:
            c = Client(self.urls[i % len(self.urls)], mode=self.mode, read_timeout_seconds=CALL_TIMEOUT)
            await self.stack.enter_async_context(c)
            await c.list_tools()  # so tools/call needs no re-listing inside the timed round
            return c

        start = len(self.clients)
        # connect in small waves; the round itself is what must be concurrent
        for lo in range(start, n, 8):
            self.clients.extend(await asyncio.gather(*(connect(i) for i in range(lo, min(n, lo + 8)))))

    async def close(self) -> None:
        await self.stack.aclose()


async def fire(
    rep: Report, desc: str, calls: list[Callable[[], Awaitable[Any]]]
) -> tuple[list[Any], list[tuple[float, float]]]:
    """Runs every call at the same moment; returns results (or exceptions) and their time spans."""
    go = asyncio.Event()
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * len(calls)

    async def one(i: int) -> Any:
        await go.wait()
        t0 = time.monotonic()
        try:
            return await calls[i]()
        finally:
            spans[i] = (t0, time.monotonic())

    tasks = [asyncio.create_task(one(i)) for i in range(len(calls))]
    await asyncio.sleep(0)
    t0 = time.monotonic()
    go.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    peak = peak_in_flight(spans)
    rep.check(
        peak > 1 or len(calls) == 1,
        f"{desc}: {len(calls)} calls ran concurrently (peak {peak} in flight, {time.monotonic() - t0:.2f} s)",
        f"peak in flight {peak}",
    )
    return results, spans


def failures(results: list[Any]) -> list[str]:
    out = []
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            out.append(f"#{i}: {describe_exc(r)}")
        elif getattr(r, "is_error", False):
            out.append(f"#{i}: isError {result_text(r)[:300]}")
    return out


async def verify(
    rep: Report, pool: Pool, sid: str, want: dict[str, Any], revision: int, label: str
) -> None:
    """get_session through every URL: every value, the answered count and the revision."""
    for u in range(len(pool.urls)):
        c = pool.clients[u]
        where = f" (via URL #{u + 1})" if len(pool.urls) > 1 else ""
        s = await call(c, "get_session", {"session_id": sid})
        answers = {a["question_id"]: a["value"] for a in s.get("answers", [])}
        lost = [q for q in want if q not in answers]
        wrong = [(q, answers[q], want[q]) for q in want if q in answers and not same(answers[q], want[q])]
        rep.check(not lost, f"{label}: no answer lost{where}", f"{len(lost)} missing: {lost}")
        rep.check(not wrong, f"{label}: every question holds the value of the last write{where}", short(wrong, 1200))
        rep.eq(s.get("answered"), len(want), f"{label}: answered == {len(want)}{where}")
        rep.eq(s.get("revision"), revision, f"{label}: revision counts every write{where}")


async def run(rep: Report, urls: list[str], mode: str) -> None:
    pool = Pool(urls, mode)
    try:
        await pool.grow(len(urls))
        c0 = pool.clients[0]
        created = await call(c0, "create_session", {"customer": "Concurrency 株式会社", "project": f"{len(urls)} replica(s)", "locale": "en"})
        sid = created["session_id"]
        rev = 1
        cat = await call(c0, "list_hearing_questions", {"locale": "en"})
        questions = cat["questions"]
        n = len(questions)
        rep.check(n > 1, f"catalog has {n} questions", "")
        await pool.grow(max(n, 24))

        v1 = {q["id"]: gen_value(q, variant=0)[1] for q in questions}
        v2 = {q["id"]: gen_value(q, variant=1)[1] for q in questions}
        same_vals = [q for q in v1 if same(v1[q], v2[q])]
        rep.check(not same_vals, "v2 differs from v1 for every question", short(same_vals))

        for label, values in (("round 1 (v1)", v1), ("round 2 (v2)", v2)):
            calls = [
                (lambda i=i, q=q: pool.clients[i].call_tool(
                    "save_answer", {"session_id": sid, "question_id": q["id"], "value": values[q["id"]]}, read_timeout_seconds=CALL_TIMEOUT
                ))
                for i, q in enumerate(questions)
            ]
            results, _ = await fire(rep, f"{label}: one save_answer per question", calls)
            bad = failures(results)
            rep.check(not bad, f"{label}: all {n} parallel save_answer calls succeeded", "; ".join(bad))
            echoed = [
                q["id"]
                for q, r in zip(questions, results)
                if not isinstance(r, BaseException) and not r.is_error
                and not (r.structured_content["saved"][0]["question_id"] == q["id"] and same(r.structured_content["saved"][0]["value"], values[q["id"]]))
            ]
            rep.check(not echoed, f"{label}: every call echoes its own normalised value", short(echoed))
            rev += n - len(bad)
            await verify(rep, pool, sid, values, rev, label)

        # one question, many writers
        hot = next((q for q in questions if q["type"] == "text"), questions[0])
        k = min(24, len(pool.clients))
        hot_values = [f"writer {i} / {hot['id']}" for i in range(k)] if hot["type"] == "text" else [v2[hot["id"]]] * k
        calls = [
            (lambda i=i: pool.clients[i].call_tool(
                "save_answer", {"session_id": sid, "question_id": hot["id"], "value": hot_values[i]}, read_timeout_seconds=CALL_TIMEOUT
            ))
            for i in range(k)
        ]
        results, _ = await fire(rep, f"round 3: {k} writers on {hot['id']}", calls)
        bad = failures(results)
        rep.check(not bad, f"round 3: all {k} writes to one question succeeded", "; ".join(bad))
        rev += k - len(bad)
        s = await call(c0, "get_session", {"session_id": sid})
        final = {a["question_id"]: a["value"] for a in s["answers"]}.get(hot["id"])
        rep.check(final in hot_values, "round 3: the question holds one of the written values", short(final))
        rep.eq(s.get("revision"), rev, "round 3: revision counts every one of the writes")

        # disjoint batches in parallel, back to v1
        parts = 6
        groups = [questions[i::parts] for i in range(parts)]
        calls = [
            (lambda i=i, g=g: pool.clients[i].call_tool(
                "save_answers_batch",
                {"session_id": sid, "answers": [{"question_id": q["id"], "value": v1[q["id"]], "source": "assumption" if i % 2 else "customer"} for q in g]},
                read_timeout_seconds=CALL_TIMEOUT,
            ))
            for i, g in enumerate(groups)
        ]
        results, _ = await fire(rep, f"round 4: {parts} disjoint batches", calls)
        bad = failures(results)
        rep.check(not bad, f"round 4: all {parts} parallel batches succeeded", "; ".join(bad))
        rev += parts - len(bad)
        await verify(rep, pool, sid, v1, rev, "round 4")
        s = await call(c0, "get_session", {"session_id": sid})
        srcs = {a["question_id"]: a["source"] for a in s["answers"]}
        want_src = {q["id"]: ("assumption" if i % 2 else "customer") for i, g in enumerate(groups) for q in g}
        rep.check(srcs == want_src, "round 4: every answer carries the source of its batch", short({q: srcs.get(q) for q in want_src if srcs.get(q) != want_src[q]}))

        # many sessions at once
        m = 12
        calls = [
            (lambda i=i: pool.clients[i].call_tool(
                "create_session", {"customer": f"Parallel {i}", "project": f"{len(urls)}-replica burst"}, read_timeout_seconds=CALL_TIMEOUT
            ))
            for i in range(m)
        ]
        results, _ = await fire(rep, f"round 5: {m} create_session calls", calls)
        bad = failures(results)
        rep.check(not bad, f"round 5: all {m} sessions were created", "; ".join(bad))
        ids = {r.structured_content["session_id"] for r in results if not isinstance(r, BaseException) and not r.is_error}
        rep.eq(len(ids), m - len(bad), "round 5: every session got its own id")
        seen: set[str] = set()
        cursor = None
        for _ in range(50):
            args: dict[str, Any] = {"limit": 100}
            if cursor:
                args["cursor"] = cursor
            page = await call(pool.clients[-1], "list_sessions", args)
            seen |= {x["session_id"] for x in page.get("sessions", [])}
            cursor = page.get("next_cursor")
            if not cursor:
                break
        rep.check(ids <= seen, "round 5: list_sessions shows every new session", f"missing {sorted(ids - seen)}")
    finally:
        try:
            await pool.close()
        except BaseException as e:  # noqa: BLE001 - closing many anyio clients can raise groups
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("urls", nargs="+", help="http://HOST:PORT/mcp?token=T (several: replicas, used in turn)")
    ap.add_argument("--mode", default="auto", choices=["auto", "legacy"])
    args = ap.parse_args()
    rep = Report()
    rep.prefix = f"[{len(args.urls)} replica(s)/{args.mode}] "
    try:
        async with asyncio.timeout(ROUND_TIMEOUT * 3):
            await run(rep, args.urls, args.mode)
    except TimeoutError:
        rep.fail("concurrency scenario finished", "timed out")
    except ToolFailed as e:
        rep.fail("concurrency scenario ran to the end", str(e))
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        rep.fail("concurrency scenario ran to the end", describe_exc(e))
    print(f"# concurrency ({len(args.urls)} URL(s)): {rep.passed} ok, {rep.failed} not ok", flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    import sys

    sys.exit(asyncio.run(main()))
