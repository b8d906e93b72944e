"""Terraform acceptance for databricks_mws_log_delivery: audit logs of one workspace delivered
through a credential and a storage configuration. `status` changes in place (the same
configuration, disabled and enabled again through the API), every other argument replaces the
configuration (the old one is disabled: Databricks cannot delete one), it imports by the
official id `<account_id>|<config_id>`, destroy disables it, and mistakes fail at plan time.
"""

from __future__ import annotations

from pathlib import Path

import requests

from support.inventory import assert_account_empty, assert_log_delivery_disabled, log_delivery_configs
from support.terraform import copy_example

FIXTURES = Path(__file__).parent / "fixtures"
ADDR = "databricks_mws_log_delivery.audit"


def get_config(b, config_id: str) -> dict:
    r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/log-delivery/{config_id}",
                     headers={"Authorization": f"Bearer {b.token}"}, timeout=10)
    assert r.ok, r.text
    return r.json()["log_delivery_configuration"]


def test_log_delivery_lifecycle(tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    tf = tf_factory(copy_example(FIXTURES / "log_delivery", tmp_path / "log_delivery"))

    # credentials, storage, a workspace and the configuration; then nothing left to do
    tf.apply()
    assert tf.plan().code == 0
    res = tf.resources()
    ld = res[ADDR]
    ws = res["databricks_mws_workspaces.this"]["workspace_id"]
    cfg = ld["config_id"]
    assert cfg and ld["id"] == f"{b.account_id}|{cfg}"
    assert (ld["status"], ld["log_type"], ld["output_format"], ld["workspace_ids_filter"]) == (
        "ENABLED", "AUDIT_LOGS", "JSON", [ws])
    api = get_config(b, cfg)
    assert {k: api.get(k) for k in ("account_id", "config_name", "log_type", "output_format", "credentials_id",
                                    "storage_configuration_id", "delivery_path_prefix", "workspace_ids_filter",
                                    "status")} == {
        "account_id": b.account_id, "config_name": "Audit Logs", "log_type": "AUDIT_LOGS", "output_format": "JSON",
        "credentials_id": res["databricks_mws_credentials.log_writer"]["credentials_id"],
        "storage_configuration_id": res["databricks_mws_storage_configurations.log_bucket"]["storage_configuration_id"],
        "delivery_path_prefix": "audit-logs", "workspace_ids_filter": [ws], "status": "ENABLED"}

    # status changes in place: the same configuration is disabled, then enabled again
    for status in ("DISABLED", "ENABLED"):
        plan = tf.plan(f"-var=status={status}")
        assert f"{ADDR} will be updated in-place" in plan.out, plan.out
        assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
        tf.apply(f"-var=status={status}")
        assert tf.plan(f"-var=status={status}").code == 0
        now = tf.resources()[ADDR]
        assert (now["config_id"], now["status"]) == (cfg, status)
        assert get_config(b, cfg)["status"] == status
        assert len(log_delivery_configs(b)) == 1, "no configuration was created"

    # any other argument is a new configuration; the old one is disabled, not deleted
    moved = ["-var=status=ENABLED", "-var=prefix=audit-logs/v2"]
    plan = tf.plan(*moved)
    assert f"{ADDR} must be replaced" in plan.out, plan.out
    assert "forces replacement" in plan.out and "1 to add, 0 to change, 1 to destroy" in plan.out, plan.out
    tf.apply(*moved)
    assert tf.plan(*moved).code == 0
    new = tf.resources()[ADDR]
    assert new["config_id"] != cfg and new["delivery_path_prefix"] == "audit-logs/v2"
    assert get_config(b, cfg)["status"] == "DISABLED"
    assert {c["config_id"]: c["status"] for c in log_delivery_configs(b)} == {
        cfg: "DISABLED", new["config_id"]: "ENABLED"}

    # import by the official id: the same state, nothing to do
    tf.run("state", "rm", ADDR)
    tf.run("import", "-input=false", "-no-color", *moved, ADDR, f"{b.account_id}|{new['config_id']}")
    assert tf.resources()[ADDR] == new
    assert tf.plan(*moved).code == 0

    # destroy: everything else is gone, and the configurations stay, disabled
    tf.destroy(*moved)
    assert_account_empty(b)
    assert_log_delivery_disabled(b)
    assert {c["config_id"] for c in log_delivery_configs(b)} == {cfg, new["config_id"]}


def test_log_delivery_mistakes_fail_at_plan_time(tf_factory, fresh_backend, tmp_path):
    tf = tf_factory(copy_example(FIXTURES / "log_delivery_mistakes", tmp_path / "mistakes"))
    r = tf.run("plan", "-input=false", "-no-color", check=False)
    assert r.code == 1
    text = " ".join((r.err + r.out).split())
    for expected in (
        "output_format must be JSON when log_type is AUDIT_LOGS",
        '"EVENT_LOGS" is not one of',
        '"PAUSED" is not one of',
        "config_name has 256 characters; at most 255 are allowed",
        '"/audit-logs/" is not a valid S3 key prefix',
        '"2018-12" is not a date in yyyy-mm-dd format (UTC) on or after 2019-03-01',
        "0 is not a workspace id",
        "config_id cannot be set",
        'The argument "account_id" is required',
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert log_delivery_configs(fresh_backend) == []
