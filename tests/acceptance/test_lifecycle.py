"""Terraform acceptance: the provider's whole lifecycle with real Terraform CLIs.

apply → no-op plan → in-place update → out-of-band delete planned as create → import then no-op
plan → CMK change replaces the workspace → destroy leaves the account empty.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import requests

from support.inventory import account_inventory, assert_account_empty
from support.terraform import copy_example

FIXTURES = Path(__file__).parent / "fixtures"
KEY_1 = "arn:aws:kms:us-east-1:111122223333:key/acc-key-one"
KEY_2 = "arn:aws:kms:us-east-1:111122223333:key/acc-key-two"


def ws_api(backend, ws_id: int) -> tuple[str, dict]:
    return f"{backend.ws_url(ws_id)}/api/2.0", {"Authorization": f"Bearer {backend.token}"}


def test_full_lifecycle(tf_factory, fresh_backend, tmp_path):
    work = copy_example(FIXTURES / "full", tmp_path / "full")
    source = work / "etl.py"
    source.write_text("# Databricks notebook source\nprint('v1')\n")
    tf = tf_factory(work)
    base_vars = [f"-var=notebook_source={source}"]
    key = lambda k: [f"-var=key_arn={k}"]  # noqa: E731

    # apply, then nothing left to do
    tf.apply(*base_vars, *key(KEY_1))
    assert tf.plan(*base_vars, *key(KEY_1)).code == 0
    res = tf.resources()
    ws_id = int(res["databricks_mws_workspaces.this"]["workspace_id"])
    assert res["databricks_mws_workspaces.this"]["workspace_status"] == "RUNNING"
    assert res["databricks_mws_workspaces.this"]["token"][0]["token_value"].startswith("dapi")
    assert res["databricks_token.this"]["token_value"].startswith("dapi")
    out = tf.outputs()
    assert out["workspace_ids"] == {"acceptance": ws_id}
    assert base64.b64decode(out["notebook_content"]).decode() == source.read_text()
    assert out["user_home"].startswith("/Users/")

    api, h = ws_api(fresh_backend, ws_id)
    secret = requests.get(f"{api}/secrets/get", params={"scope": "app", "key": "password"}, headers=h, timeout=10)
    assert base64.b64decode(secret.json()["value"]).decode() == "s3cr3t-one"
    conf = requests.get(f"{api}/workspace-conf", params={"keys": "enableIpAccessLists"}, headers=h, timeout=10)
    assert conf.json() == {"enableIpAccessLists": "true"}

    # in-place update: label, secret value and notebook content change; nothing is replaced
    source.write_text("# Databricks notebook source\nprint('v2')\n")
    upd = [*base_vars, *key(KEY_1), "-var=allow_label=office", "-var=secret_value=s3cr3t-two"]
    plan = tf.plan(*upd)
    assert plan.code == 2, plan.out
    assert "0 to add, 3 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*upd)
    assert tf.plan(*upd).code == 0
    exported = requests.get(f"{api}/workspace/export", params={"path": "/Shared/team/etl", "format": "SOURCE"},
                            headers=h, timeout=10).json()
    assert b"v2" in base64.b64decode(exported["content"])
    lists = requests.get(f"{api}/ip-access-lists", headers=h, timeout=10).json()["ip_access_lists"]
    assert sorted(lst["label"] for lst in lists) == ["blocked", "office"]

    # out-of-band deletes are planned as creates
    allow_id = tf.resources()["databricks_ip_access_list.allow"]["id"]
    assert requests.delete(f"{api}/ip-access-lists/{allow_id}", headers=h, timeout=10).ok
    assert requests.post(f"{api}/workspace/delete", json={"path": "/Shared/team/etl"}, headers=h, timeout=10).ok
    plan = tf.plan(*upd)
    assert plan.code == 2
    assert "2 to add, 0 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*upd)
    assert tf.plan(*upd).code == 0

    # forget objects, import them back by their documented ids, and find nothing to change
    res = tf.resources()
    imports = {
        "databricks_ip_access_list.allow": f"{ws_id}/{res['databricks_ip_access_list.allow']['id']}",
        "databricks_secret_scope.app": f"{ws_id}/app",
        "databricks_directory.team": f"{ws_id}//Shared/team",
        "databricks_mws_customer_managed_keys.this": res["databricks_mws_customer_managed_keys.this"]["id"],
        "databricks_mws_networks.this": res["databricks_mws_networks.this"]["id"],
        "databricks_mws_credentials.this": res["databricks_mws_credentials.this"]["id"],
        "databricks_mws_storage_configurations.this": res["databricks_mws_storage_configurations.this"]["id"],
        "databricks_workspace_conf.this": str(ws_id),
        "databricks_ip_access_list.block": f"{ws_id}/{res['databricks_ip_access_list.block']['id']}",
    }
    tf.run("state", "rm", *imports)
    for addr, import_id in imports.items():
        tf.run("import", "-input=false", "-no-color", *upd, addr, import_id)
    plan = tf.plan(*upd)
    assert plan.code == 0, plan.out
    # what an import cannot recover plans in place: the workspace's bootstrap token (its value is
    # shown once), the notebook's local `source` path (its content already matches: same md5) and
    # a secret's value (never imported into the state: the configuration may set it write-only)
    tf.run("state", "rm", "databricks_mws_workspaces.this", "databricks_notebook.etl", "databricks_secret.password")
    tf.run("import", "-input=false", "-no-color", *upd, "databricks_secret.password", f"{ws_id}/app|||password")
    tf.run("import", "-input=false", "-no-color", *upd, "databricks_mws_workspaces.this",
           f"{fresh_backend.account_id}/{ws_id}")
    tf.run("import", "-input=false", "-no-color", *upd, "databricks_notebook.etl", f"{ws_id}//Shared/team/etl")
    assert tf.resources()["databricks_notebook.etl"]["md5"] == hashlib.md5(source.read_bytes()).hexdigest()
    plan = tf.plan(*upd)
    assert "0 to add, 3 to change, 0 to destroy" in plan.out, plan.out
    assert "md5" not in plan.out.split("databricks_notebook.etl will be updated")[1].split("# ")[0]
    tf.apply(*upd)
    assert tf.plan(*upd).code == 0

    # a new CMK replaces the key configuration and the workspace (and what lives in it)
    new_key = [*base_vars, *key(KEY_2), "-var=allow_label=office", "-var=secret_value=s3cr3t-two"]
    plan = tf.plan(*new_key)
    assert plan.code == 2
    assert "databricks_mws_workspaces.this must be replaced" in plan.out, plan.out
    assert "forces replacement" in plan.out
    tf.apply(*new_key)
    assert tf.plan(*new_key).code == 0
    new_ws = int(tf.resources()["databricks_mws_workspaces.this"]["workspace_id"])
    assert new_ws != ws_id
    inv = account_inventory(fresh_backend)
    assert [w["workspace_id"] for w in inv["workspaces"]] == [new_ws]
    assert [k["aws_key_info"]["key_arn"] for k in inv["customer-managed-keys"]] == [KEY_2]

    tf.destroy(*new_key)
    assert_account_empty(fresh_backend)


def test_quickstart_example(tf_factory, fresh_backend, tmp_path):
    from support.terraform import examples_dir

    work = copy_example(examples_dir() / "quickstart", tmp_path / "quickstart")
    tf = tf_factory(work)
    tf.apply()
    assert tf.plan().code == 0
    out = tf.outputs()
    assert out["workspace_url"] == fresh_backend.ws_url(out["workspace_id"])
    ci_token = out["ci_token"]
    me = requests.get(f"{out['workspace_url']}/api/2.0/preview/scim/v2/Me",
                      headers={"Authorization": f"Bearer {ci_token}"}, timeout=10)
    assert me.ok, me.text
    plan = tf.plan('-var=allowed_cidrs=["127.0.0.0/8","::1/128","10.0.0.0/8"]')
    assert "1 to change" in plan.out and "0 to destroy" in plan.out, plan.out
    tf.destroy()
    assert_account_empty(fresh_backend)


def test_many_workspaces_example(tf_factory, fresh_backend, tmp_path):
    from support.terraform import examples_dir

    work = copy_example(examples_dir() / "many-workspaces", tmp_path / "fleet")
    tf = tf_factory(work)
    tf.apply()
    assert tf.plan().code == 0
    urls = tf.outputs()["workspace_urls"]
    assert sorted(urls) == ["analytics", "platform", "research"]
    inv = account_inventory(fresh_backend)
    assert len(inv["workspaces"]) == 3 and len(inv["customer-managed-keys"]) == 3
    for url in urls.values():
        lists = requests.get(f"{url}/api/2.0/ip-access-lists",
                             headers={"Authorization": f"Bearer {fresh_backend.token}"}, timeout=10)
        assert len(lists.json()["ip_access_lists"]) == 1
    tf.destroy()
    assert_account_empty(fresh_backend)


def test_mistakes_fail_at_plan_time(tf_factory, fresh_backend, tmp_path):
    work = copy_example(FIXTURES / "invalid", tmp_path / "invalid")
    tf = tf_factory(work)
    r = tf.run("plan", "-input=false", "-no-color", check=False)
    assert r.code == 1
    text = r.err + r.out
    for expected in ("Invalid key_arn", "Invalid use_cases", "Invalid aws_region", "Invalid list_type",
                     "Invalid ip_addresses", "Invalid lifetime_seconds", "Invalid role_arn"):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert_account_empty(fresh_backend)
