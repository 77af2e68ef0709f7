#!/usr/bin/env python3
"""Generates data/oci/operations.json: every operation of every OCI service, from the OCI Python SDK itself.

Galley's `oci_sdk_call` calls any OCI API operation by service + operation name, like the Python SDK does. The table it
needs (HTTP method, path template, path/query/header/body parameters, enums, pagination, endpoint) is not written by
hand: this script reads it out of the SDK's generated clients. Each `oci.<module>.<X>Client` method is generated from
the API spec and builds `resource_path`, `method`, `path_params`, `query_params`, `header_params` and `body`; the
script parses the installed sources with `ast` (nothing is executed but `import oci` for its version) and records them.

Run it (the SDK version is pinned here and recorded in the output):

    python3 -m venv .venv && .venv/bin/pip install 'oci==2.189.0'
    .venv/bin/python scripts/gen_oci_operations.py            # writes data/oci/operations.json
    .venv/bin/python scripts/gen_oci_operations.py --check    # regenerates in memory, exits 1 if the file differs

The output format is described in data/oci/README.md (short keys, compact JSON with one operation per line, so a new
SDK version diffs line by line; the same SDK always gives the same bytes). Then run `cargo test -p galley-domain`
(the Rust side embeds the file, loads it and checks it).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

PINNED_SDK = "2.189.0"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "oci" / "operations.json"
FORMAT = 1

# kwargs every generated method accepts that are SDK behaviour, not API parameters.
SDK_ONLY_KWARGS = {"retry_strategy", "allow_control_chars", "enable_strict_url_encoding", "buffer_limit"}
# Constant headers most operations send; an operation records its constant headers only when they differ.
DEFAULT_CONST_HEADERS = {"accept": "application/json", "content-type": "application/json"}


def snake(wire: str) -> str:
    """The default kwarg name for a wire name; must match `default_kwarg` in galley-domain/src/oci/table.rs."""
    out = []
    for i, ch in enumerate(wire):
        if ch.isupper():
            if i > 0 and out and out[-1] != "_":
                out.append("_")
            out.append(ch.lower())
        elif ch in "-.":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def camel(op: str) -> str:
    """The default API name for an SDK operation name; must match `default_api_name` in table.rs."""
    return "".join(p[:1].upper() + p[1:] for p in op.split("_") if p)


def endpoint_service(template: str) -> str:
    """The service part of an endpoint host: `https://objectstorage.{region}.oci...` -> `objectstorage`.

    Used when the client does not name it (`endpoint_service_name` is set by only a few clients). For hosts with no
    `{region}` (global endpoints) it is the whole host.
    """
    host = re.sub(r"^https?://", "", template).split("/", 1)[0]
    host = re.sub(r"^\{[^}]*\}", "", host)  # a leading {namespaceName+Dot}
    return host.split(".{region}", 1)[0] if ".{region}" in host else host


class Skip(Exception):
    pass


def const(node):
    return ast.literal_eval(node)


def docstring_types(fn: ast.FunctionDef) -> dict[str, str]:
    doc = ast.get_docstring(fn) or ""
    types = {}
    for m in re.finditer(r":param ([^:]+?) (\w+): \((required|optional)\)", doc):
        types[m.group(2)] = m.group(1).strip()
    return types


def short_type(t: str | None) -> str | None:
    if t is None:
        return None
    return re.sub(r"oci\.[a-z0-9_]+\.models\.", "", t)


def value_ref(node, positional: set[str]):
    """What a params-dict value reads: (kwarg, required, collection_format) or ('=', constant)."""
    if isinstance(node, ast.Constant):
        return ("=", node.value)
    if isinstance(node, ast.Name):
        return (node.id, node.id in positional, None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and isinstance(node.func.value, ast.Name) and node.func.value.id == "kwargs":
            return (const(node.args[0]), False, None)
        if node.func.attr == "generate_collection_format_param":
            kw, req, _ = value_ref(node.args[0], positional)
            return (kw, req, const(node.args[1]))
    raise Skip(f"unsupported value expression {ast.dump(node)[:120]}")


def dict_assign(fn: ast.FunctionDef, name: str):
    """The first `name = {...}` literal in the function."""
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
            and isinstance(node.value, ast.Dict)
        ):
            return node.value
    return None


def simple_assigns(fn: ast.FunctionDef) -> dict[str, object]:
    out = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in out:
                continue
            try:
                out[name] = const(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                pass
    return out


def call_api_keywords(fn: ast.FunctionDef) -> dict[str, ast.AST]:
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "call_api":
            return {k.arg: k.value for k in node.keywords if k.arg}
    raise Skip("no call_api")


def prefix_headers(fn: ast.FunctionDef) -> list[tuple[str, str]]:
    """`for key, value in kwargs.get("opc_meta", {}).items(): header_params[f"opc-meta-{key}"] = value`."""
    found = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.For):
            continue
        src = ast.unparse(node.iter)
        m = re.search(r'kwargs\.get\(\s*[\'"](\w+)[\'"]', src)
        if not m:
            continue
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.Assign)
                and isinstance(sub.targets[0], ast.Subscript)
                and isinstance(sub.targets[0].value, ast.Name)
                and sub.targets[0].value.id == "header_params"
                and isinstance(sub.targets[0].slice, ast.JoinedStr)
            ):
                parts = sub.targets[0].slice.values
                if parts and isinstance(parts[0], ast.Constant):
                    found.append((m.group(1), parts[0].value))
    return found


def param_entry(wire, kw, required, fmt, enums, types):
    e = {"w": wire}
    if kw != snake(wire):
        e["k"] = kw
    if required:
        e["r"] = 1
    if fmt:
        e["f"] = fmt
    if kw in enums:
        e["e"] = enums[kw]
    t = types.get(kw)
    if t and t not in ("str",):
        e["t"] = short_type(t)
    return e


def parse_operation(fn: ast.FunctionDef, enum_pool: dict[tuple, int]):
    a = simple_assigns(fn)
    if "resource_path" not in a or "method" not in a:
        raise Skip("not an API operation")
    positional = {x.arg for x in fn.args.args[1:]}
    types = docstring_types(fn)
    enums = {}
    for name, val in a.items():
        if name.endswith("_allowed_values") and isinstance(val, list):
            key = tuple(val)
            if key not in enum_pool:
                enum_pool[key] = len(enum_pool)
            enums[name[: -len("_allowed_values")]] = enum_pool[key]
    op = {"n": fn.name}
    link = a.get("api_reference_link") or ""
    api = link.rstrip("/").rsplit("/", 1)[-1] if link else ""
    if api and re.fullmatch(r"[A-Z][A-Za-z0-9]*", api) and api != camel(fn.name):
        op["a"] = api
    op["h"] = a["method"]
    op["p"] = a["resource_path"]
    used = set()
    for key, section in (("pp", "path_params"), ("q", "query_params"), ("hd", "header_params")):
        d = dict_assign(fn, section)
        if d is None:
            continue
        entries, consts = [], {}
        for k, v in zip(d.keys, d.values):
            wire = const(k)
            ref = value_ref(v, positional)
            if ref[0] == "=":
                consts[wire] = ref[1]
                continue
            kw, req, fmt = ref
            used.add(kw)
            entries.append(param_entry(wire, kw, req or section == "path_params", fmt, enums, types))
        if section == "header_params":
            lower = {k.lower(): v for k, v in consts.items()}
            if lower != DEFAULT_CONST_HEADERS:
                op["ch"] = consts
            for kw, prefix in prefix_headers(fn):
                used.add(kw)
                entries.append({"w": prefix + "*", "k": kw, "x": 1})
        if entries:
            op[key] = entries
    kws = call_api_keywords(fn)
    if "body" in kws:
        node = kws["body"]
        if isinstance(node, ast.Name):
            kw = node.id
        else:
            kw = value_ref(node, positional)[0]
        used.add(kw)
        body = {"k": kw}
        if kw in positional:
            body["r"] = 1
        t = short_type(types.get(kw))
        if t:
            body["t"] = t
        op["b"] = body
    rt = kws.get("response_type")
    if isinstance(rt, ast.Constant) and rt.value:
        op["rt"] = short_type(rt.value)
    q = {e["w"] for e in op.get("q", [])}
    if "page" in q:
        op["pg"] = 1
    # Anything the method accepts that no section used (should be nothing but SDK-only kwargs).
    expected = set(a.get("expected_kwargs") or []) | positional
    leftover = sorted(expected - used - SDK_ONLY_KWARGS)
    if leftover:
        op["u"] = leftover
    return op


def parse_client(path: Path, enum_pool, stats):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    clients = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef) or not cls.name.endswith("Client"):
            continue
        init = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)
        d = dict_assign(init, "base_client_init_kwargs") if init else None
        if d is None:
            continue
        kw = {}
        for k, v in zip(d.keys, d.values):
            try:
                kw[const(k)] = const(v)
            except (ValueError, TypeError, SyntaxError):
                pass
        template = kw.get("service_endpoint_template") or ""
        client = {
            "n": cls.name,
            "e": kw.get("endpoint_service_name") or endpoint_service(template),
            "t": kw.get("service_endpoint_template"),
            "b": kw.get("base_path", ""),
        }
        if kw.get("service_endpoint_template_per_realm"):
            client["tr"] = kw["service_endpoint_template_per_realm"]
        if kw.get("regional_client") is False:
            client["g"] = 1
        ops = []
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            try:
                ops.append(parse_operation(fn, enum_pool))
            except Skip as e:
                if str(e) != "not an API operation":
                    stats["skipped"].append(f"{path.parent.name}.{cls.name}.{fn.name}: {e}")
        ops.sort(key=lambda o: o["n"])
        client["o"] = ops
        clients.append(client)
    return clients


def generate(sdk_dir: Path, version: str):
    enum_pool: dict[tuple, int] = {}
    stats = {"skipped": []}
    services = []
    for mod in sorted(p for p in sdk_dir.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        clients = []
        for f in sorted(mod.glob("*_client.py")):
            if f.name.startswith("async_"):
                continue  # the async variant of a sync client: same operations
            clients.extend(parse_client(f, enum_pool, stats))
        clients = [c for c in clients if c["o"]]
        if clients:
            clients.sort(key=lambda c: c["n"])
            services.append({"m": mod.name, "c": clients})
    enums = [list(k) for k, _ in sorted(enum_pool.items(), key=lambda kv: kv[1])]
    doc = {
        "fmt": FORMAT,
        "sdk": "oci",
        "v": version,
        "gen": "scripts/gen_oci_operations.py",
        "en": enums,
        "s": services,
    }
    return doc, stats


def compact(v) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def encode(doc) -> bytes:
    """Compact JSON with one enum and one operation per line, so a regeneration diffs line by line."""
    head = {k: v for k, v in doc.items() if k not in ("en", "s")}
    out = [compact(head)[:-1] + ',"en":[']
    out.append(",\n".join(compact(e) for e in doc["en"]))
    out.append('],"s":[')
    services = []
    for s in doc["s"]:
        clients = []
        for c in s["c"]:
            meta = {k: v for k, v in c.items() if k != "o"}
            ops = ",\n".join(compact(o) for o in c["o"])
            clients.append(compact(meta)[:-1] + ',"o":[\n' + ops + "]}")
        services.append('{"m":' + compact(s["m"]) + ',"c":[\n' + ",\n".join(clients) + "]}")
    out.append(",\n".join(services))
    out.append("]}\n")
    text = "\n".join(out)
    assert json.loads(text) == doc
    return text.encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    ap.add_argument("--allow-other-version", action="store_true")
    args = ap.parse_args()
    import oci  # noqa: PLC0415 (only for the version and location)

    version = oci.__version__
    if version != PINNED_SDK and not args.allow_other_version:
        print(f"oci {version} is installed, the pinned version is {PINNED_SDK}: pip install 'oci=={PINNED_SDK}' "
              "(or pass --allow-other-version and update PINNED_SDK)", file=sys.stderr)
        return 2
    sdk_dir = Path(oci.__file__).resolve().parent
    doc, stats = generate(sdk_dir, version)
    raw = encode(doc)
    n_ops = sum(len(c["o"]) for s in doc["s"] for c in s["c"])
    n_clients = sum(len(s["c"]) for s in doc["s"])
    summary = (f"oci {version}: {len(doc['s'])} services, {n_clients} clients, {n_ops} operations, "
               f"{len(doc['en'])} enums; {len(raw)} bytes")
    for s in stats["skipped"]:
        print(f"skipped {s}", file=sys.stderr)
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == raw
        print(("up to date: " if same else "DIFFERS: ") + summary)
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(raw)
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
