"""Terraform acceptance for PrivateLink: databricks_mws_vpc_endpoint registrations, a network
naming them in vpc_endpoints, databricks_mws_private_access_settings, and a workspace that uses
them. The workspace moves to other settings in place, settings are replaced in place (only a new
region replaces them), everything imports by the official ids, and mistakes fail at plan time. A
workspace created without private access settings switches to PrivateLink in place, with the
settings created in the same apply.
"""

from __future__ import annotations

from pathlib import Path

import requests

from support.inventory import account_inventory, assert_account_empty
from support.terraform import copy_example

FIXTURES = Path(__file__).parent / "fixtures"


def account_get(backend, path: str) -> dict:
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/{path}",
                     headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)
    assert r.ok, r.text
    return r.json()


def test_private_link_lifecycle(tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    tf = tf_factory(copy_example(FIXTURES / "private_link", tmp_path / "private_link"))

    # endpoints, network, settings and workspace; then nothing left to do
    tf.apply()
    assert tf.plan().code == 0
    res = tf.resources()
    rest, relay, extra = (res[f"databricks_mws_vpc_endpoint.{n}"] for n in ("rest", "relay", "extra"))
    assert (rest["aws_vpc_endpoint_id"], rest["region"], rest["state"], rest["use_case"]) == (
        "vpce-0aaaaaaaaaaaaaaa1", "us-east-1", "available", "WORKSPACE_ACCESS")
    assert rest["id"] == f"{b.account_id}/{rest['vpc_endpoint_id']}"
    assert extra["account_id"] == b.account_id, "the provider's account when unset"
    net = res["databricks_mws_networks.this"]
    assert net["vpc_endpoints"] == [{"rest_api": [rest["vpc_endpoint_id"]],
                                     "dataplane_relay": [relay["vpc_endpoint_id"]]}]
    first, second = (res[f"databricks_mws_private_access_settings.{n}"] for n in ("first", "second"))
    assert (first["private_access_level"], first["public_access_enabled"], first["allowed_vpc_endpoint_ids"]) == (
        "ENDPOINT", False, [rest["vpc_endpoint_id"]])
    assert (second["private_access_level"], second["public_access_enabled"]) == ("ACCOUNT", False)
    ws = res["databricks_mws_workspaces.this"]
    assert ws["private_access_settings_id"] == first["private_access_settings_id"]
    api = account_get(b, f"workspaces/{ws['workspace_id']}")
    assert (api["network_id"], api["private_access_settings_id"]) == (
        net["network_id"], first["private_access_settings_id"])
    inv = account_inventory(b)
    assert sorted(e["vpc_endpoint_name"] for e in inv["vpc-endpoints"]) == ["pl-extra", "pl-relay", "pl-rest"]

    # the workspace moves to the other settings in place
    other = ["-var=settings=second"]
    plan = tf.plan(*other)
    assert "databricks_mws_workspaces.this will be updated in-place" in plan.out, plan.out
    assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*other)
    assert tf.plan(*other).code == 0
    moved = tf.resources()["databricks_mws_workspaces.this"]
    assert moved["workspace_id"] == ws["workspace_id"]
    assert moved["private_access_settings_id"] == second["private_access_settings_id"]
    assert account_get(b, f"workspaces/{ws['workspace_id']}")["private_access_settings_id"] == \
        second["private_access_settings_id"]

    # the first settings are replaced in place: name, public access, allowed endpoints
    changed = [*other, "-var=first_name=pl-first-renamed", "-var=first_public=true", "-var=first_allow_extra=true"]
    plan = tf.plan(*changed)
    assert "databricks_mws_private_access_settings.first will be updated in-place" in plan.out, plan.out
    assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*changed)
    assert tf.plan(*changed).code == 0
    now = tf.resources()["databricks_mws_private_access_settings.first"]
    assert now["private_access_settings_id"] == first["private_access_settings_id"]
    got = account_get(b, f"private-access-settings/{first['private_access_settings_id']}")
    assert (got["private_access_settings_name"], got["public_access_enabled"], got["private_access_level"]) == (
        "pl-first-renamed", True, "ENDPOINT")
    assert got["allowed_vpc_endpoint_ids"] == [rest["vpc_endpoint_id"], extra["vpc_endpoint_id"]]
    # and then back to the ACCOUNT level, still in place
    account_level = [*changed, "-var=first_level=ACCOUNT"]
    plan = tf.plan(*account_level)
    assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*account_level)
    got = account_get(b, f"private-access-settings/{first['private_access_settings_id']}")
    assert got["private_access_level"] == "ACCOUNT"
    # a new region is new settings
    plan = tf.plan(*account_level, "-var=first_region=us-west-2")
    assert "databricks_mws_private_access_settings.first must be replaced" in plan.out, plan.out
    assert "forces replacement" in plan.out

    # import everything back by the documented ids: nothing to do afterwards
    res = tf.resources()
    ids = {
        **{f"databricks_mws_vpc_endpoint.{n}": res[f"databricks_mws_vpc_endpoint.{n}"]["vpc_endpoint_id"]
           for n in ("rest", "relay", "extra")},
        **{f"databricks_mws_private_access_settings.{n}":
           res[f"databricks_mws_private_access_settings.{n}"]["private_access_settings_id"]
           for n in ("first", "second")},
        "databricks_mws_networks.this": res["databricks_mws_networks.this"]["network_id"],
        "databricks_mws_workspaces.this": str(res["databricks_mws_workspaces.this"]["workspace_id"]),
    }
    tf.run("state", "rm", *ids)
    for addr, oid in ids.items():
        tf.run("import", "-input=false", "-no-color", *account_level, addr, f"{b.account_id}/{oid}")
    imported = tf.resources()
    for addr in ids:
        assert imported[addr] == res[addr], addr
    assert tf.plan(*account_level).code == 0

    tf.destroy(*account_level)
    assert_account_empty(b)


def test_workspace_switched_to_private_access_in_place(tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    tf = tf_factory(copy_example(FIXTURES / "private_link_switch", tmp_path / "switch"))
    tf.apply()
    assert tf.plan().code == 0
    ws = tf.resources()["databricks_mws_workspaces.this"]
    assert ws["private_access_settings_id"] in (None, "")
    assert not account_get(b, f"workspaces/{ws['workspace_id']}").get("private_access_settings_id")

    # the settings are created and named by the workspace in one apply: updated, not replaced
    private = ["-var=private=true"]
    plan = tf.plan(*private)
    assert "databricks_mws_private_access_settings.this[0] will be created" in plan.out, plan.out
    assert "databricks_mws_workspaces.this will be updated in-place" in plan.out, plan.out
    assert "1 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*private)
    assert tf.plan(*private).code == 0
    res = tf.resources()
    pas = res["databricks_mws_private_access_settings.this[0]"]["private_access_settings_id"]
    now = res["databricks_mws_workspaces.this"]
    assert (now["workspace_id"], now["private_access_settings_id"]) == (ws["workspace_id"], pas)
    api = account_get(b, f"workspaces/{ws['workspace_id']}")
    assert (api["private_access_settings_id"], api["workspace_status"]) == (pas, "RUNNING")

    tf.destroy(*private)
    assert_account_empty(b)


def test_private_link_mistakes_fail_at_plan_time(tf_factory, fresh_backend, tmp_path):
    tf = tf_factory(copy_example(FIXTURES / "private_link_mistakes", tmp_path / "mistakes"))
    r = tf.run("plan", "-input=false", "-no-color", check=False)
    assert r.code == 1
    text = " ".join((r.err + r.out).split())
    for expected in (
        "gcp_vpc_endpoint_info is not supported: Ironbrick serves AWS workspaces",
        "aws_vpc_endpoint_id is required",
        "region is required",
        "vpce- and 17 hex digits",
        "state is set by the server",
        "Invalid private_access_level",
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert_account_empty(fresh_backend)
