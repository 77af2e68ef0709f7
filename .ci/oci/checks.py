"""What sdk_check.py and rm_check.py share: numbered `ok - ...` / `FAIL - ...` checks and the SDK's error shape.

    checks = Checks("sdk rm")
    checks.check("get_stack", fn)        # fn returns an optional detail string; an exception is a FAIL
    checks.finish("rm_check.py")         # prints the count and exits 1 when anything failed
"""

import sys
import traceback

import oci


class Checks:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.ok = 0
        self.failed = 0

    def check(self, name, fn):
        try:
            detail = fn()
        except Exception as exc:  # noqa: BLE001 - every failure is a reported check
            self.failed += 1
            print(f"FAIL - {self.prefix}: {name}: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            return None
        self.ok += 1
        print(f"ok - {self.prefix}: {name}" + (f" ({detail})" if isinstance(detail, str) and detail else ""))
        return detail

    def finish(self, script: str, force_fail: bool = False):
        print(f"# {script}: {self.ok} checks ok, {self.failed} failed")
        sys.exit(1 if self.failed or force_fail else 0)


def expect_service_error(fn, status, code=None):
    """Runs fn, which must fail with an OCI ServiceError of `status` (and `code`) carrying a request id."""
    try:
        fn()
    except oci.exceptions.ServiceError as exc:
        assert exc.status == status, f"status {exc.status} {exc.code}: {exc.message}, expected {status}"
        if code is not None:
            assert exc.code == code, f"code {exc.code!r}, expected {code!r}"
        assert exc.request_id, "no opc-request-id on the error"
        return f"{exc.status} {exc.code}"
    raise AssertionError(f"succeeded, expected {status} {code}")
