"""Terraform acceptance: the HCL of docs/ (written the way the official provider's documentation
writes it, `provider_config` included, only `source` changed) against a real backend.

The fixture, tests/acceptance/fixtures/official/, is generated from the examples in
provider/plugin/docs-src/ that docs/ shows (provider/plugin/tests/docs.rs proves they are the
same). For each Terraform CLI: apply → no-op plan → `terraform state rm` and `terraform import`
of every importable object by its documented id (the official one; `<workspace_id>/<id>` for
workspace-level objects, as an account-level provider needs) → plan (only the documented in-place
updates) →
apply → no-op plan → destroy → nothing left in the account (log delivery configurations, which
Databricks cannot delete, left disabled). Terraform >= 1.11 also applies the
write-only secret example (fixtures/official-tf1.11/) and an `import {}` block.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import requests

from support.inventory import (account_inventory, assert_account_empty, assert_log_delivery_disabled,
                               log_delivery_configs)
from support.terraform import cli_id, copy_example

FIXTURES = Path(__file__).parent / "fixtures"
PUBLISHING_API_KEY = "pk-live-0123456789"
WAREHOUSE_PASSWORD = "wh-pa55-never-in-state"

# What `terraform import` cannot recover, so the plan after the imports updates in place (and
# nothing else): a notebook's `source` (a local path) and `content_base64` (the content is
# compared by md5, so the update uploads nothing new); a secret's value (an import never reads it
# into the state, since the configuration may set it write-only: the update writes it again); on
# Terraform >= 1.11 also the write-only secret's `string_value_wo_version`.
UPDATED_AFTER_IMPORT = {"databricks_notebook.ddl", "databricks_notebook.notebook", "databricks_notebook.this",
                        "databricks_secret.publishing_api"}
UPDATED_AFTER_IMPORT_TF_1_11 = {"databricks_secret.warehouse_password"}


def version(exe: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", cli_id(exe))[:2])


def ws_get(backend, ws_id: int | str, path: str, **params) -> dict:
    r = requests.get(f"{backend.ws_url(ws_id)}/api/2.0/{path}", params=params,
                     headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)
    r.raise_for_status()
    return r.json()


def planned_actions(out: str) -> dict[str, str]:
    """Resource address → action ('created', 'updated in-place', 'destroyed', 'replaced', ...).
    Data sources read again because something they depend on changes are left out."""
    found = {}
    for m in re.finditer(r"^  # (\S+) (?:will be|must be) (.+)$", out, re.M):
        if not (m.group(1).startswith("data.") and m.group(2) == "read during apply"):
            found[m.group(1)] = m.group(2)
    return found


def import_ids(res: dict[str, dict], account_id: str) -> dict[str, str]:
    """Address → import id: the official provider's, with the workspace in front for
    workspace-level objects (`<workspace_id>/<id>`), as an account-level provider needs."""
    acct = lambda attr: lambda v: f"{account_id}/{v[attr]}"  # noqa: E731
    account_level = {
        "databricks_mws_credentials": acct("credentials_id"),
        "databricks_mws_storage_configurations": acct("storage_configuration_id"),
        "databricks_mws_networks": acct("network_id"),
        "databricks_mws_customer_managed_keys": acct("customer_managed_key_id"),
        "databricks_mws_workspaces": acct("workspace_id"),
        "databricks_mws_vpc_endpoint": acct("vpc_endpoint_id"),
        "databricks_mws_private_access_settings": acct("private_access_settings_id"),
        "databricks_mws_permission_assignment": lambda v: f"{v['workspace_id']}|{v['principal_id']}",
        "databricks_mws_log_delivery": lambda v: f"{account_id}|{v['config_id']}",
    }
    workspace_level = {
        "databricks_ip_access_list": lambda v: v["id"],
        "databricks_notebook": lambda v: v["path"],
        "databricks_directory": lambda v: v["path"],
        "databricks_secret_scope": lambda v: v["name"],
        "databricks_secret": lambda v: f"{v['scope']}|||{v['key']}",
        "databricks_permissions": lambda v: v["id"],  # /authorization/tokens, /notebooks/<id>, ...
        "databricks_secret_acl": lambda v: f"{v['scope']}|||{v['principal']}",
        "databricks_entitlements": lambda v: v["id"],
        "databricks_cluster_policy": lambda v: v["id"],
        "databricks_cluster": lambda v: v["id"],
    }
    # at the account, or in the workspace their provider_config names
    account_or_workspace = {
        "databricks_user": lambda v: v["id"],
        "databricks_group": lambda v: v["id"],
        "databricks_service_principal": lambda v: v["id"],
        "databricks_group_member": lambda v: f"{v['group_id']}|{v['member_id']}",
    }
    ids = {}  # account-level objects first: the workspace-level ones name their workspaces
    for addr, v in sorted(res.items(), key=lambda kv: kv[0].split(".")[0] not in account_level):
        kind = addr.split(".")[0]  # data sources ("data.…") match nothing
        if kind in account_level:
            ids[addr] = account_level[kind](v)
        elif kind in workspace_level:
            ids[addr] = f"{v['provider_config'][0]['workspace_id']}/{workspace_level[kind](v)}"
        elif kind in account_or_workspace:
            own = account_or_workspace[kind](v)
            ids[addr] = f"{v['provider_config'][0]['workspace_id']}/{own}" if v.get("provider_config") else own
        elif kind == "databricks_workspace_conf":  # not importable upstream; here by workspace id
            ids[addr] = v["provider_config"][0]["workspace_id"]
    return ids


def test_official_docs_examples(terraform_exe, tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    work = copy_example(FIXTURES / "official", tmp_path / "official")
    newer = version(terraform_exe) >= (1, 11)
    if newer:
        for f in (FIXTURES / "official-tf1.11").glob("*.tf"):
            shutil.copy(f, work / f.name)
    tf = tf_factory(work)
    # the provider block of the docs configures the provider, not the harness's environment
    for k in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_ACCOUNT_ID"):
        tf.env.pop(k)
    tf.env.update({
        "TF_VAR_databricks_host": b.host,
        "TF_VAR_databricks_account_id": b.account_id,
        "TF_VAR_databricks_token": b.token,
        "TF_VAR_publishing_api_key": PUBLISHING_API_KEY,
        "TF_VAR_warehouse_password": WAREHOUSE_PASSWORD,
    })

    # apply, then nothing left to do
    tf.apply()
    plan = tf.plan()
    assert plan.code == 0, plan.out
    res = tf.resources()
    ws = str(res["databricks_mws_workspaces.this"]["workspace_id"])
    teams = {k: str(res[f'databricks_mws_workspaces.team["{k}"]']["workspace_id"]) for k in ("analytics", "research")}

    # what the examples built, seen through the API
    inv = account_inventory(b)
    assert sorted(w["workspace_name"] for w in inv["workspaces"]) == [
        "demo", "demo-analytics", "demo-private-link", "demo-research"]
    assert {w["workspace_status"] for w in inv["workspaces"]} == {"RUNNING"}
    this = next(w for w in inv["workspaces"] if w["workspace_name"] == "demo")
    assert this["managed_services_customer_managed_key_id"] and this["storage_customer_managed_key_id"]
    # PrivateLink: two registered endpoints, a network naming them, settings allowing one of them
    endpoints = {e["vpc_endpoint_name"]: e for e in inv["vpc-endpoints"]}
    assert sorted(endpoints) == ["demo-vpce-relay", "demo-vpce-workspace"]
    rest, relay = endpoints["demo-vpce-workspace"]["vpc_endpoint_id"], endpoints["demo-vpce-relay"]["vpc_endpoint_id"]
    net = next(n for n in inv["networks"] if n["network_name"] == "demo-private-link-network")
    assert net["vpc_endpoints"] == {"rest_api": [rest], "dataplane_relay": [relay]}
    [pas] = inv["private-access-settings"]
    assert (pas["private_access_level"], pas["public_access_enabled"], pas["allowed_vpc_endpoint_ids"]) == (
        "ENDPOINT", True, [rest])
    private = next(w for w in inv["workspaces"] if w["workspace_name"] == "demo-private-link")
    assert (private["network_id"], private["private_access_settings_id"]) == (
        net["network_id"], pas["private_access_settings_id"])
    # audit logs delivered to the log bucket, through the log writer's role
    [logs] = log_delivery_configs(b)
    creds = {c["credentials_name"]: c["credentials_id"] for c in inv["credentials"]}
    buckets = {s["storage_configuration_name"]: s["storage_configuration_id"] for s in inv["storage-configurations"]}
    assert {k: logs.get(k) for k in ("config_name", "log_type", "output_format", "delivery_path_prefix", "status",
                                     "credentials_id", "storage_configuration_id")} == {
        "config_name": "Audit Logs", "log_type": "AUDIT_LOGS", "output_format": "JSON",
        "delivery_path_prefix": "audit-logs", "status": "ENABLED", "credentials_id": creds["Usage Delivery"],
        "storage_configuration_id": buckets["Usage Logs"]}
    out = tf.outputs()
    assert out["all_mws_workspaces"] == {"demo": int(ws), "demo-private-link": private["workspace_id"],
                                         **{f"demo-{k}": int(v) for k, v in teams.items()}}
    assert out["my_home_folder"] == "/Users/admin@ironbrick.local"
    assert out["ddl_gen_source"] == (work / "ddl_gen.py").read_text()
    assert out["publishing_api_reference"] == "{{secrets/application-secret-scope/publishing_api}}"
    assert out["workspace_url"] == b.ws_url(ws)
    assert out["me_acl_principal_id"] == "users/me@example.com"
    sp_app = res["databricks_service_principal.sp"]["application_id"]
    assert out["automation_acl_principal_id"] == f"servicePrincipals/{sp_app}"
    assert res["databricks_token.pat"]["token_value"].startswith("dapi")
    secret = ws_get(b, ws, "secrets/get", scope="application-secret-scope", key="publishing_api")
    assert base64.b64decode(secret["value"]).decode() == PUBLISHING_API_KEY
    conf = ws_get(b, ws, "workspace-conf", keys="enableIpAccessLists,maxTokenLifetimeDays")
    assert conf == {"enableIpAccessLists": "true", "maxTokenLifetimeDays": "90"}
    lists = ws_get(b, ws, "ip-access-lists")["ip_access_lists"]
    assert [(lst["label"], lst["list_type"]) for lst in lists] == [("allow_in", "ALLOW")]
    for team, team_ws in teams.items():
        scopes = ws_get(b, team_ws, "secrets/scopes/list")["scopes"]
        assert [s["name"] for s in scopes] == [f"{team}-pipelines"], "each scope lives in its own workspace"
    policies = {p["name"]: p for p in ws_get(b, ws, "policies/clusters/list")["policies"]}
    assert sorted(policies) == ["Personal Compute", "marketing cluster policy", "shared autoscaling"]
    cluster = res["databricks_cluster.shared_autoscaling"]
    assert out["cluster_state"] == "RUNNING" and cluster["state"] == "RUNNING"
    got = ws_get(b, ws, "clusters/get", cluster_id=cluster["cluster_id"])
    assert got["policy_id"] == policies["shared autoscaling"]["policy_id"]
    assert got["custom_tags"] == {"Team": "analytics"}, "the policy's hidden fixed tag is applied"
    assert cluster["custom_tags"] is None, "values the policy fills in are not drift"
    assert got["autoscale"] == {"min_workers": 1, "max_workers": 4} and got["autotermination_minutes"] == 20
    libs = ws_get(b, ws, "libraries/cluster-status", cluster_id=cluster["cluster_id"])["library_statuses"]
    assert [(x["library"], x["status"]) for x in libs] == [({"pypi": {"package": "fbprophet==0.6"}}, "INSTALLED")]
    assert policies["Personal Compute"]["policy_family_id"] == "personal-vm"
    assert policies["marketing cluster policy"]["libraries"] == [{"pypi": {"package": "databricks-sdk==0.12.0"}}]
    fair_use = res["databricks_cluster_policy.fair_use"]["id"]
    grants = ws_get(b, ws, f"permissions/cluster-policies/{fair_use}")["access_control_list"]
    assert {"group_name": "Workspace Engineers", "permission_level": "CAN_USE"} in [
        {"group_name": e.get("group_name"), "permission_level": p["permission_level"]}
        for e in grants for p in e["all_permissions"]]
    assert out["personal_compute_num_workers"] == 0
    cluster = res["databricks_cluster.shared_autoscaling"]["id"]
    assert out["shared_cluster_ids"] == [cluster], "the data source finds the cluster by name and state"
    grants = ws_get(b, ws, f"permissions/clusters/{cluster}")["access_control_list"]
    assert {(e.get("group_name"), p["permission_level"]) for e in grants for p in e["all_permissions"]
            if e.get("group_name") in ("Automation", "Engineering")} == {
        ("Automation", "CAN_ATTACH_TO"), ("Engineering", "CAN_RESTART")}
    assert (out["smallest_node_type"], out["gpu_node_type"]) == ("m5d.large", "g4dn.2xlarge")
    assert (out["latest_lts_runtime"], out["gpu_ml_runtime"]) == ("16.4.x-scala2.12", "15.4.x-gpu-ml-scala2.12")
    if newer:
        secret = ws_get(b, ws, "secrets/get", scope="application-secret-scope", key="warehouse_password")
        assert base64.b64decode(secret["value"]).decode() == WAREHOUSE_PASSWORD
        state_text = json.dumps(tf.state())
        assert WAREHOUSE_PASSWORD not in state_text and WAREHOUSE_PASSWORD not in (work / "terraform.tfstate").read_text()

    # forget every importable object and import it back by its documented id
    managed = {a for a in res if not a.startswith("data.")}
    ids = import_ids(res, b.account_id)
    not_importable = {a for a in managed if a.split(".")[0] in (
        "databricks_token", "databricks_obo_token", "databricks_service_principal_secret")}
    assert set(ids) | not_importable == managed, managed - set(ids) - not_importable
    tf.run("state", "rm", *ids)
    for addr, import_id in ids.items():
        tf.run("import", "-input=false", "-no-color", addr, import_id)
    imported = tf.resources()
    for addr in ids:
        if "provider_config" in res[addr]:
            assert imported[addr]["provider_config"] == res[addr]["provider_config"], addr
    plan = tf.plan()
    expected = UPDATED_AFTER_IMPORT | (UPDATED_AFTER_IMPORT_TF_1_11 if newer else set())
    assert planned_actions(plan.out) == {a: "updated in-place" for a in expected}, plan.out
    assert "md5" not in plan.out, "the notebooks' content is unchanged"
    tf.apply()
    plan = tf.plan()
    assert plan.code == 0, plan.out
    assert WAREHOUSE_PASSWORD not in (work / "terraform.tfstate").read_text()

    if newer:
        # an import {} block, with the workspace in the id (<workspace_id>/<id>)
        tf.run("state", "rm", "databricks_secret_scope.this")
        (work / "imports.tf").write_text(
            'import {\n  to = databricks_secret_scope.this\n'
            f'  id = "{ws}/terraform-demo-scope"\n}}\n')
        plan = tf.plan()
        assert "1 to import, 0 to add, 0 to change, 0 to destroy" in plan.out, plan.out
        tf.apply()
        (work / "imports.tf").unlink()
        plan = tf.plan()
        assert plan.code == 0, plan.out

    tf.destroy()
    assert_account_empty(b)
    # a log delivery configuration cannot be deleted: destroy disabled it
    assert [c["status"] for c in log_delivery_configs(b)] == ["DISABLED"]
    assert_log_delivery_disabled(b)
