"""Terraform acceptance: write-only secret values (`string_value_wo`).

On Terraform 1.11 the value reaches the backend but is never written to the plan or the state,
and a new `string_value_wo_version` sends a new value. Terraform 1.0 cannot keep a value out of
state, so the provider refuses the argument there with a clear error at plan time.
"""

from __future__ import annotations

import base64
from pathlib import Path

import requests

from support.inventory import assert_account_empty, create_workspace, delete_workspace
from support.terraform import copy_example, _version

FIXTURE = Path(__file__).parent / "fixtures" / "write_only"


def secret_value(backend, ws_id: int) -> str:
    r = requests.get(f"{backend.ws_url(ws_id)}/api/2.0/secrets/get", params={"scope": "wo", "key": "password"},
                     headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)
    r.raise_for_status()
    return base64.b64decode(r.json()["value"]).decode()


def test_write_only_secret_never_reaches_plan_or_state(tf_factory, terraform_exe, fresh_backend, tmp_path):
    made = create_workspace(fresh_backend)
    ws = int(made["workspace_id"])
    work = copy_example(FIXTURE, tmp_path / "wo")
    tf = tf_factory(work)
    v1 = [f"-var=workspace_id={ws}", "-var=secret_value=first-wo-value", "-var=secret_version=1"]
    major, minor = (int(x) for x in _version(terraform_exe).split(".")[:2])

    if (major, minor) < (1, 11):
        r = tf.run("plan", "-input=false", "-no-color", *v1, check=False)
        assert r.code == 1
        assert "string_value_wo needs Terraform 1.11 or later" in r.out + r.err, r.out + r.err
        delete_workspace(fresh_backend, made)
        return

    tf.apply(*v1)
    assert secret_value(fresh_backend, ws) == "first-wo-value"
    plan = tf.plan(*v1)
    assert plan.code == 0, plan.out
    state = (work / "terraform.tfstate").read_text()
    assert "first-wo-value" not in state
    secret = tf.resources()["databricks_secret.password"]
    assert secret["string_value_wo"] is None and secret["string_value"] is None

    # a new value alone changes nothing (Terraform cannot see it); a new version sends it
    v2 = [f"-var=workspace_id={ws}", "-var=secret_value=second-wo-value", "-var=secret_version=1"]
    assert tf.plan(*v2).code == 0
    v2[-1] = "-var=secret_version=2"
    plan = tf.plan(*v2)
    assert plan.code == 2 and "1 to change" in plan.out, plan.out
    tf.apply(*v2)
    assert secret_value(fresh_backend, ws) == "second-wo-value"
    assert "second-wo-value" not in (work / "terraform.tfstate").read_text()

    tf.destroy(*v2)
    delete_workspace(fresh_backend, made)
    assert_account_empty(fresh_backend)
