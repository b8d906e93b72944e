"""Terraform acceptance: the `databricks_clusters` data source and `databricks_permissions` with
`cluster_id`.

Clusters are made outside Terraform, through the workspace REST API (two live shared ones, one
of them pinned and under a policy, a terminated shared one and a live personal one). Then:
apply → no-op plan → what the data sources found (by name ignoring case, by state, pinning,
policy and source) → the grants on the live shared clusters, seen through the Permissions API →
a changed level updates in place → `terraform import` of a grant by its official id → no-op
plan → destroy removes the grants and leaves the clusters.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from support.inventory import create_workspace, delete_workspace
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "clusters_data_source"


class Api:
    """The workspace REST API as the account admin."""

    def __init__(self, backend, ws: int) -> None:
        self.base = f"{backend.ws_url(ws)}/api/2.0"
        self.h = {"Authorization": f"Bearer {backend.token}"}

    def get(self, path: str, **params) -> dict:
        r = requests.get(f"{self.base}/{path}", params=params, headers=self.h, timeout=10)
        assert r.ok, f"GET {path}: {r.status_code} {r.text}"
        return r.json()

    def post(self, path: str, body: dict) -> dict:
        r = requests.post(f"{self.base}/{path}", json=body, headers=self.h, timeout=10)
        assert r.ok, f"POST {path}: {r.status_code} {r.text}"
        return r.json()

    def create_cluster(self, name: str, **extra) -> str:
        spec = {"cluster_name": name, "spark_version": "16.4.x-scala2.12", "node_type_id": "m5d.large",
                "num_workers": 1, "autotermination_minutes": 0, **extra}
        return self.post("clusters/create", spec)["cluster_id"]

    def state(self, cluster_id: str) -> str:
        return self.get("clusters/get", cluster_id=cluster_id)["state"]

    def wait(self, cluster_id: str, state: str) -> None:
        deadline = time.monotonic() + 30
        while self.state(cluster_id) != state:
            assert time.monotonic() < deadline, f"{cluster_id} never became {state}"
            time.sleep(0.2)

    def grants(self, cluster_id: str) -> dict[str, str]:
        """Group → level of the cluster's direct group grants, admins left out."""
        acl = self.get(f"permissions/clusters/{cluster_id}")["access_control_list"]
        return {e["group_name"]: p["permission_level"] for e in acl if e.get("group_name") not in (None, "admins")
                for p in e.get("all_permissions", []) if not p.get("inherited")}


@pytest.fixture
def clusters(fresh_backend):
    """A workspace with four clusters made through the REST API, by role."""
    made = create_workspace(fresh_backend)
    ws = int(made["workspace_id"])
    api = Api(fresh_backend, ws)
    policy = api.post("policies/clusters/create", {
        "name": "ops", "definition": '{"autotermination_minutes": {"type": "unlimited", "defaultValue": 0}}'})
    ids = {
        "alpha": api.create_cluster("team-shared-alpha"),
        "pinned": api.create_cluster("Shared Pinned", policy_id=policy["policy_id"]),
        "old": api.create_cluster("old SHARED cluster"),
        "personal": api.create_cluster("personal compute"),
    }
    api.post("clusters/pin", {"cluster_id": ids["pinned"]})
    for c in ("alpha", "pinned", "personal"):
        api.wait(ids[c], "RUNNING")
    api.wait(ids["old"], "RUNNING")
    api.post("clusters/delete", {"cluster_id": ids["old"]})
    api.wait(ids["old"], "TERMINATED")
    yield {"ws": ws, "api": api, "ids": ids, "policy_id": policy["policy_id"]}
    delete_workspace(fresh_backend, made)


def planned(out: str) -> dict[str, str]:
    """Managed resource address → planned action."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  # (\S+) (?:will be|must be) (.+)$", out, re.M)
            if not m.group(1).startswith("data.")}


def test_clusters_data_source_and_cluster_permissions(tf_factory, clusters, tmp_path):
    ws, api, ids = clusters["ws"], clusters["api"], clusters["ids"]
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "clusters_data_source"))
    v1 = [f"-var=workspace_id={ws}", f"-var=policy_id={clusters['policy_id']}"]

    # apply, then nothing left to do
    tf.apply(*v1)
    plan = tf.plan(*v1)
    assert plan.code == 0, plan.out

    # what the data sources found
    found = {k: sorted(v) for k, v in tf.outputs()["ids"].items()}
    assert found == {
        "shared": sorted([ids["alpha"], ids["pinned"], ids["old"]]),
        "shared_live": sorted([ids["alpha"], ids["pinned"]]),
        "all": sorted(ids.values()),
        "terminated": [ids["old"]],
        "pinned": [ids["pinned"]],
        "under_policy": [ids["pinned"]],
        "from_ui": [],
    }
    assert tf.outputs()["data_source_id"] == "_"

    # the grants, on the live shared clusters only
    live = (ids["alpha"], ids["pinned"])
    for c in live:
        assert api.grants(c) == {"Cluster Operators": "CAN_RESTART", "users": "CAN_ATTACH_TO"}, c
    for c in (ids["old"], ids["personal"]):
        assert api.grants(c) == {}, c
    res = tf.resources()
    for c in live:
        perm = res[f'databricks_permissions.shared_live["{c}"]']
        assert (perm["id"], perm["object_type"], perm["cluster_id"]) == (f"/clusters/{c}", "cluster", c)

    # a higher level updates both grants in place
    v2 = [*v1, "-var=operators_level=CAN_MANAGE"]
    plan = tf.plan(*v2)
    assert planned(plan.out) == {f'databricks_permissions.shared_live["{c}"]': "updated in-place"
                                 for c in live}, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0
    for c in live:
        assert api.grants(c)["Cluster Operators"] == "CAN_MANAGE", c

    # import a grant by the official id, with the workspace in front
    addr = f'databricks_permissions.shared_live["{ids["alpha"]}"]'
    before = tf.resources()[addr]
    tf.run("state", "rm", addr)
    tf.run("import", "-input=false", "-no-color", *v2, addr, f"{ws}//clusters/{ids['alpha']}")
    after = tf.resources()[addr]
    assert (after["cluster_id"], after["provider_config"]) == (ids["alpha"], before["provider_config"])
    assert planned(tf.plan(*v2).out) == {}
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0

    # destroy removes the grants; the clusters stay as they were
    tf.destroy(*v2)
    for c in live:
        assert api.grants(c) == {}, c
    states = {c: api.state(i) for c, i in ids.items()}
    assert states == {"alpha": "RUNNING", "pinned": "RUNNING", "old": "TERMINATED", "personal": "RUNNING"}
