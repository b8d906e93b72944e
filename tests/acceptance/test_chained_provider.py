"""Terraform acceptance: a workspace-level provider configured from a workspace created in the
same configuration never wedges when that workspace is replaced (its CMK changed).

While the workspace is being replaced, the chained provider's host and token are unknown at plan
time. Terraform still asks the provider to refresh the objects it manages; the provider keeps
their prior state until its configuration is known, so plan, apply and destroy go through, and
the next apply recreates the objects in the new workspace.
"""

from __future__ import annotations

import base64
from pathlib import Path

import requests

from support.inventory import account_inventory, assert_account_empty
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "chained"
KEY_1 = "arn:aws:kms:us-east-1:111122223333:key/chained-key-one"
KEY_2 = "arn:aws:kms:us-east-1:111122223333:key/chained-key-two"


def key(arn: str) -> str:
    return f"-var=key_arn={arn}"


def workspace_objects(backend, ws_id: int) -> dict:
    """What the workspace holds of the fixture's objects, through its API."""
    api = f"{backend.ws_url(ws_id)}/api/2.0"
    h = {"Authorization": f"Bearer {backend.token}"}
    secret = requests.get(f"{api}/secrets/get", params={"scope": "app", "key": "password"}, headers=h, timeout=10)
    notebook = requests.get(f"{api}/workspace/get-status", params={"path": "/Shared/chained/hello"}, headers=h,
                            timeout=10)
    tokens = requests.get(f"{api}/token-management/tokens", headers=h, timeout=10).json().get("token_infos", [])
    conf = requests.get(f"{api}/workspace-conf", params={"keys": "maxTokenLifetimeDays"}, headers=h, timeout=10)
    return {
        "secret": base64.b64decode(secret.json()["value"]).decode() if secret.ok else None,
        "notebook": notebook.ok,
        "ci_tokens": sum(1 for t in tokens if t.get("comment") == "ci"),
        "max_days": conf.json().get("maxTokenLifetimeDays") if conf.ok else None,
    }


def test_cmk_change_replaces_the_workspace_and_converges_in_two_applies(tf_factory, fresh_backend, tmp_path):
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "chained"))
    tf.apply(key(KEY_1))
    assert tf.plan(key(KEY_1)).code == 0
    old_ws = int(tf.outputs()["workspace_id"])
    assert workspace_objects(fresh_backend, old_ws) == {
        "secret": "chained-secret", "notebook": True, "ci_tokens": 1, "max_days": "90"}

    # the CMK change plans the workspace's replacement; the chained provider does not block it
    plan = tf.plan(key(KEY_2))
    assert plan.code == 2, plan.out
    assert "databricks_mws_workspaces.this must be replaced" in plan.out, plan.out
    assert "Provider not configured" not in plan.out + plan.err
    refresh = tf.run("plan", "-refresh-only", "-input=false", "-no-color", key(KEY_2))
    assert "Provider not configured" not in refresh.out + refresh.err

    # first apply: the workspace is replaced; the second recreates its objects in the new one
    tf.apply(key(KEY_2))
    new_ws = int(tf.outputs()["workspace_id"])
    assert new_ws != old_ws
    tf.apply(key(KEY_2))
    assert tf.plan(key(KEY_2)).code == 0
    assert workspace_objects(fresh_backend, new_ws) == {
        "secret": "chained-secret", "notebook": True, "ci_tokens": 1, "max_days": "90"}
    inv = account_inventory(fresh_backend)
    assert [w["workspace_id"] for w in inv["workspaces"]] == [new_ws]

    tf.destroy(key(KEY_2))
    assert_account_empty(fresh_backend)


def test_destroy_goes_through_while_the_replacement_is_pending(tf_factory, fresh_backend, tmp_path):
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "chained"))
    tf.apply(key(KEY_1))
    # the configuration already names another key (the workspace would be replaced), and the
    # user destroys instead of applying
    tf.destroy(key(KEY_2))
    assert_account_empty(fresh_backend)

    # and after a first apply of a replacement, before the second one converges
    tf.apply(key(KEY_1))
    tf.apply(key(KEY_2))
    tf.destroy(key(KEY_2))
    assert_account_empty(fresh_backend)
