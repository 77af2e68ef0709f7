"""Oracle's Python SDK (`oci.resource_manager.ResourceManagerClient`) against galley-emulator's Resource Manager:
stacks from zips and jobs that really run terraform in the emulator.

Usage: python rm_check.py ENDPOINT KEYDIR CONFIG_FILE

ENDPOINT      the emulator's base URL (http://127.0.0.1:PORT)
KEYDIR        the directory .ci/oci/make_keys.py wrote (rp_key.pem, rpst, ...)
CONFIG_FILE   an OCI config file whose DEFAULT profile is a trusted API key

The emulator must have no stack in the compartment below named `sdk-*` (this script creates them). Each check
prints `ok - ...` or `FAIL - ...`; exit 1 if any failed.
"""

import base64
import json
import os
import sys
import tempfile
import time

import oci
from oci.resource_manager import models

ENDPOINT, KEYDIR, CONFIG_FILE = sys.argv[1:4]
COMPARTMENT = "ocid1.compartment.oc1..aaaaaaaagalleytest"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rm_zips  # noqa: E402 - the same configurations the CLI checks use
from checks import Checks, expect_service_error  # noqa: E402

CHECKS = Checks("sdk rm")
check = CHECKS.check


config = oci.config.from_file(CONFIG_FILE, "DEFAULT")
rm = oci.resource_manager.ResourceManagerClient(config, service_endpoint=ENDPOINT)
state = {}
ZIPS = tempfile.mkdtemp(prefix="galley-rm-zips-")
rm_zips.write(os.path.join(ZIPS, "good.zip"), [("main.tf", rm_zips.GOOD)])
rm_zips.write(os.path.join(ZIPS, "broken.zip"), [("main.tf", rm_zips.BROKEN)])
rm_zips.write(os.path.join(ZIPS, "evil.zip"), [("main.tf", rm_zips.GOOD), ("../escape.tf", "# outside\n")])


def zip_b64(name):
    with open(os.path.join(ZIPS, name), "rb") as f:
        return base64.b64encode(f.read()).decode()


def stack_details(name, zip_name, variables=None):
    return models.CreateStackDetails(
        compartment_id=COMPARTMENT,
        display_name=name,
        config_source=models.CreateZipUploadConfigSourceDetails(zip_file_base64_encoded=zip_b64(zip_name)),
        variables=variables or {},
        terraform_version="1.5.x",
    )


def wait_job(job_id, timeout=300):
    """Polls GetJob until the job ends; returns the job and the lifecycle states seen, in order."""
    seen, deadline = [], time.time() + timeout
    while time.time() < deadline:
        job = rm.get_job(job_id).data
        if not seen or seen[-1] != job.lifecycle_state:
            seen.append(job.lifecycle_state)
        if job.lifecycle_state not in ("ACCEPTED", "IN_PROGRESS", "CANCELING"):
            return job, seen
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {seen}")


def create_job(stack_id, details, name=None):
    job = rm.create_job(models.CreateJobDetails(stack_id=stack_id, display_name=name, job_operation_details=details)).data
    assert job.lifecycle_state == "ACCEPTED", job.lifecycle_state
    return job


def create_stack():
    resp = rm.create_stack(
        stack_details("sdk-stack", "good.zip", {"name": "sdk", "region": "us-ashburn-1", "tenancy_ocid": "t"}),
        opc_retry_token="sdk-stack-token",
    )
    stack = resp.data
    assert stack.lifecycle_state == "ACTIVE" and stack.config_source.config_source_type == "ZIP_UPLOAD", stack
    assert stack.variables["name"] == "sdk" and stack.terraform_version == "1.5.x", stack
    assert resp.headers["etag"], resp.headers
    again = rm.create_stack(stack_details("sdk-stack", "good.zip"), opc_retry_token="sdk-stack-token").data
    assert again.id == stack.id, "the same opc-retry-token created a second stack"
    state["stack"], state["etag"] = stack.id, resp.headers["etag"]
    return stack.id


def get_and_list_stacks():
    got = rm.get_stack(state["stack"])
    assert got.data.display_name == "sdk-stack" and got.headers["etag"] == state["etag"]
    rm.create_stack(stack_details("sdk-other", "good.zip", {"name": "other"}))
    listed = oci.pagination.list_call_get_all_results(rm.list_stacks, compartment_id=COMPARTMENT, limit=1).data
    names = [s.display_name for s in listed if s.display_name.startswith("sdk-")]
    assert sorted(names) == ["sdk-other", "sdk-stack"], names
    first = rm.list_stacks(compartment_id=COMPARTMENT, limit=1)
    assert len(first.data) == 1 and first.next_page, (first.data, first.next_page)
    return f"{len(listed)} stacks over pages of 1 (opc-next-page)"


def update_stack_if_match():
    stale = lambda: rm.update_stack(state["stack"], models.UpdateStackDetails(description="x"), if_match="stale")  # noqa: E731
    refused = expect_service_error(stale, 412, "NoEtagMatch")
    resp = rm.update_stack(
        state["stack"], models.UpdateStackDetails(description="updated by the SDK"), if_match=state["etag"]
    )
    assert resp.data.description == "updated by the SDK" and resp.headers["etag"] != state["etag"]
    state["etag"] = resp.headers["etag"]
    return f"{refused} for a stale etag, then updated"


def plan_job():
    job = create_job(state["stack"], models.CreatePlanJobOperationDetails(), "sdk-plan")
    # While the job holds the stack's lock, another job and a stack update are refused.
    locked = expect_service_error(
        lambda: rm.create_job(
            models.CreateJobDetails(stack_id=state["stack"], job_operation_details=models.CreatePlanJobOperationDetails())
        ),
        409,
        "Conflict",
    )
    expect_service_error(lambda: rm.update_stack(state["stack"], models.UpdateStackDetails(description="y")), 409)
    done, seen = wait_job(job.id)
    assert done.lifecycle_state == "SUCCEEDED", (done.lifecycle_state, done.failure_details)
    assert seen[0] == "ACCEPTED" and "IN_PROGRESS" in seen, seen
    assert done.operation == "PLAN" and done.job_operation_details.operation == "PLAN" and done.time_finished
    state["plan"] = job.id
    return f"{' -> '.join(seen)}; {locked} while it ran"


def job_logs():
    content = rm.get_job_logs_content(state["plan"]).data
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in content, content
    entries = oci.pagination.list_call_get_all_results(rm.get_job_logs, state["plan"], limit=3).data
    assert [e.message for e in entries] == content.rstrip("\n").split("\n"), "GetJobLogs and GetJobLogsContent differ"
    assert all(e.type == "TERRAFORM_CONSOLE" and e.level == "INFO" and e.timestamp for e in entries)
    first = rm.get_job_logs(state["plan"], limit=3)
    assert len(first.data) == 3 and first.next_page
    errors = rm.get_job_logs(state["plan"], level_greater_than_or_equal_to="ERROR").data
    assert errors == [], errors
    return f"{len(entries)} entries over pages of 3 = the plain-text content"


def tf_plan_json():
    plan = json.loads(rm.get_job_tf_plan(state["plan"], tf_plan_format="JSON").data.content)
    change = plan["resource_changes"][0]
    assert change["type"] == "terraform_data" and change["change"]["actions"] == ["create"], change
    return "terraform show -json of the saved plan"


def apply_from_plan():
    details = models.CreateApplyJobOperationDetails(
        execution_plan_strategy="FROM_PLAN_JOB_ID", execution_plan_job_id=state["plan"]
    )
    job = create_job(state["stack"], details)
    done, _ = wait_job(job.id)
    assert done.lifecycle_state == "SUCCEEDED", (done.lifecycle_state, done.failure_details)
    assert done.resolved_plan_job_id == state["plan"], done.resolved_plan_job_id
    assert done.job_operation_details.execution_plan_strategy == "FROM_PLAN_JOB_ID"
    content = rm.get_job_logs_content(job.id).data
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in content, content
    tf_state = json.loads(rm.get_job_tf_state(job.id).data.content)
    assert tf_state["outputs"]["greeting"]["value"] == "hello sdk in us-ashburn-1", tf_state["outputs"]
    stack_state = json.loads(rm.get_stack_tf_state(state["stack"]).data.content)
    assert stack_state["serial"] == tf_state["serial"]
    state["apply"] = job.id
    return "SUCCEEDED; GetJobTfState has the output; GetStackTfState is the same state"


def destroy():
    job = create_job(state["stack"], models.CreateDestroyJobOperationDetails(execution_plan_strategy="AUTO_APPROVED"))
    done, _ = wait_job(job.id)
    assert done.lifecycle_state == "SUCCEEDED", (done.lifecycle_state, done.failure_details)
    assert "Destroy complete! Resources: 1 destroyed." in rm.get_job_logs_content(job.id).data
    assert json.loads(rm.get_job_tf_state(job.id).data.content)["resources"] == []
    jobs = rm.list_jobs(stack_id=state["stack"]).data
    assert [j.operation for j in jobs] == ["DESTROY", "APPLY", "PLAN"], [j.operation for j in jobs]
    return "SUCCEEDED; no resources left; list_jobs newest first"


def broken_config():
    stack = rm.create_stack(stack_details("sdk-broken", "broken.zip")).data
    job = create_job(stack.id, models.CreatePlanJobOperationDetails())
    done, _ = wait_job(job.id)
    assert done.lifecycle_state == "FAILED", done.lifecycle_state
    assert done.failure_details.code == "TERRAFORM_EXECUTION_ERROR", done.failure_details
    assert "Error: Invalid expression" in done.failure_details.message, done.failure_details.message
    content = rm.get_job_logs_content(job.id).data
    assert "Error: Invalid expression" in content and "main.tf line 2" in content, content
    errors = rm.get_job_logs(job.id, level_greater_than_or_equal_to="ERROR").data
    assert any("Invalid expression" in e.message for e in errors), [e.message for e in errors]
    rm.delete_stack(stack.id)
    return f"FAILED {done.failure_details.code}: {done.failure_details.message[:60]}..."


def cancel():
    job = create_job(state["stack"], models.CreatePlanJobOperationDetails())
    rm.cancel_job(job.id)
    done, _ = wait_job(job.id)
    assert done.lifecycle_state == "CANCELED", done.lifecycle_state
    # The SDK's default retry strategy retries 409 IncorrectState for minutes: no retries here.
    twice = lambda: rm.cancel_job(job.id, retry_strategy=oci.retry.NoneRetryStrategy())  # noqa: E731
    return expect_service_error(twice, 409, "IncorrectState") + " when canceled twice"


def evil_zip():
    return expect_service_error(lambda: rm.create_stack(stack_details("sdk-evil", "evil.zip")), 400, "InvalidParameter")


def resource_principal():
    key = oci.signer.load_private_key_from_file(os.path.join(KEYDIR, "rp_key.pem"))
    with open(os.path.join(KEYDIR, "rpst")) as f:
        signer = oci.auth.signers.SecurityTokenSigner(f.read().strip(), key)
    c = oci.resource_manager.ResourceManagerClient({"region": "us-ashburn-1"}, signer=signer, service_endpoint=ENDPOINT)
    assert "Plan: 1 to add" in c.get_job_logs_content(state["plan"]).data
    assert len(c.get_job_logs(state["plan"]).data) > 0
    return "GetJobLogs and GetJobLogsContent with keyId ST$<rpst>"


def delete_stack():
    expect_service_error(lambda: rm.delete_stack(state["stack"], if_match="stale"), 412, "NoEtagMatch")
    resp = rm.delete_stack(state["stack"])
    assert resp.status == 204, resp.status
    return expect_service_error(lambda: rm.get_stack(state["stack"]), 404, "NotAuthorizedOrNotFound") + " afterwards"


check("create_stack (ZIP_UPLOAD, variables, terraformVersion; opc-retry-token)", create_stack)
if "stack" not in state:
    CHECKS.finish("rm_check.py", force_fail=True)
check("get_stack / list_stacks paging", get_and_list_stacks)
check("update_stack if_match", update_stack_if_match)
check("create_job PLAN: lifecycle and the stack's lock (409)", plan_job)
check("get_job_logs (paged, level filter) and get_job_logs_content", job_logs)
check("get_job_tf_plan JSON", tf_plan_json)
check("create_job APPLY FROM_PLAN_JOB_ID, get_job_tf_state, get_stack_tf_state", apply_from_plan)
check("create_job DESTROY AUTO_APPROVED, list_jobs", destroy)
check("a syntax error: job FAILED, Terraform's message in failureDetails and the logs", broken_config)
check("cancel_job", cancel)
check("create_stack with a zip entry outside the root -> 400", evil_zip)
check("job logs with a resource principal (SecurityTokenSigner)", resource_principal)
check("delete_stack (412 for a stale if-match first)", delete_stack)

CHECKS.finish("rm_check.py")
