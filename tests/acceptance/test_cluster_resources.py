"""Terraform acceptance: `databricks_cluster` under a `databricks_cluster_policy`.

apply → no-op plan → the cluster as the API sees it (RUNNING, the policy's hidden tag applied,
its library installed) → a size the policy forbids fails at apply naming the path, and changes
nothing → a policy edit that allows it, then the resize, apply in place → `terraform import`
by cluster id → no-op plan → destroy deletes the cluster.
"""

from __future__ import annotations

from pathlib import Path

import requests

from support.inventory import create_workspace
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "clusters"


def get(backend, ws: int, path: str, **params) -> requests.Response:
    return requests.get(f"{backend.ws_url(ws)}/api/2.0/{path}", params=params,
                        headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)


def test_cluster_under_a_policy(tf_factory, fresh_backend, tmp_path):
    ws = int(create_workspace(fresh_backend)["workspace_id"])
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "clusters"))
    v = [f"-var=workspace_id={ws}"]

    tf.apply(*v)
    assert tf.plan(*v).code == 0
    cid = tf.outputs()["cluster_id"]
    got = get(fresh_backend, ws, "clusters/get", cluster_id=cid).json()
    assert (got["state"], got["num_workers"], got["custom_tags"]) == ("RUNNING", 2, {"Team": "data"})
    libs = get(fresh_backend, ws, "libraries/cluster-status", cluster_id=cid).json()["library_statuses"]
    assert [x["status"] for x in libs] == ["INSTALLED"]

    too_big = tf.run("apply", "-auto-approve", "-input=false", "-no-color", *v, "-var=workers=6", check=False)
    assert too_big.code != 0
    assert "num_workers: 6 is above the maximum 4" in " ".join((too_big.out + too_big.err).split())
    assert get(fresh_backend, ws, "clusters/get", cluster_id=cid).json()["num_workers"] == 2

    tf.apply(*v, "-var=max_workers_allowed=8", "-var=workers=6")
    assert get(fresh_backend, ws, "clusters/get", cluster_id=cid).json()["num_workers"] == 6
    assert tf.plan(*v, "-var=max_workers_allowed=8", "-var=workers=6").code == 0

    tf.run("state", "rm", "databricks_cluster.etl")
    tf.run("import", "-input=false", "-no-color", *v, "-var=max_workers_allowed=8", "-var=workers=6",
           "databricks_cluster.etl", f"{ws}/{cid}")
    after_import = tf.plan(*v, "-var=max_workers_allowed=8", "-var=workers=6")
    # Terraform 1.0 leaves the imported resource's outputs to the next apply; no resource changes
    assert "will be" not in after_import.out and "must be" not in after_import.out, after_import.out
    tf.apply(*v, "-var=max_workers_allowed=8", "-var=workers=6")
    assert tf.plan(*v, "-var=max_workers_allowed=8", "-var=workers=6").code == 0

    tf.destroy(*v, "-var=max_workers_allowed=8", "-var=workers=6")
    assert get(fresh_backend, ws, "clusters/get", cluster_id=cid).status_code == 404
