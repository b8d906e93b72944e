"""Clusters through the official SDK: the lifecycle (the SDK's own waiters), events, cluster
ACLs, policies enforced on create and edit (one table of rules x specifications), who may use
which policy, max_clusters_per_user, and libraries."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound, PermissionDenied
from databricks.sdk.service import compute, iam

from support.server import new_backend, remove

FAST = timedelta(seconds=30)
BASE = {"spark_version": "15.4.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}


@pytest.fixture(scope="module")
def backend():
    b = new_backend(env={"IRONBRICK_CLUSTER_TRANSITION": "300ms"})
    yield b
    remove(b)


def create(ws: WorkspaceClient, **spec) -> str:
    """Creates a cluster through the raw API (so any field can be sent); returns its id."""
    return ws.api_client.do("POST", "/api/2.1/clusters/create", body={"cluster_name": "c", **spec})["cluster_id"]


def member(backend, workspace, ws_admin, *entitlements: str) -> tuple[WorkspaceClient, iam.ServicePrincipal]:
    sp = ws_admin.service_principals.create(
        display_name=f"m-{uuid.uuid4().hex[:6]}",
        entitlements=[iam.ComplexValue(value=e) for e in entitlements] or None)
    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    return WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=token), sp


def test_lifecycle_with_the_sdk_waiters(ws_admin):
    waiter = ws_admin.clusters.create(cluster_name="etl", spark_version="15.4.x-scala2.12",
                                      node_type_id="i3.xlarge", num_workers=2, autotermination_minutes=60,
                                      custom_tags={"team": "data"})
    assert ws_admin.clusters.get(waiter.cluster_id).state == compute.State.PENDING
    c = waiter.result(timeout=FAST)
    assert c.state == compute.State.RUNNING and c.cluster_name == "etl" and c.num_workers == 2
    assert c.creator_user_name == "admin@ironbrick.local" and c.cluster_source == compute.ClusterSource.API
    assert c.default_tags == {"Vendor": "Databricks", "Creator": "admin@ironbrick.local",
                              "ClusterName": "etl", "ClusterId": c.cluster_id}
    assert c.custom_tags == {"team": "data"} and c.cluster_cores == 12.0

    ws_admin.clusters.edit_and_wait(c.cluster_id, spark_version="15.4.x-scala2.12", cluster_name="etl",
                                    node_type_id="i3.xlarge", num_workers=3, timeout=FAST)
    assert ws_admin.clusters.get(c.cluster_id).num_workers == 3
    ws_admin.clusters.restart_and_wait(c.cluster_id, timeout=FAST)
    ws_admin.clusters.resize_and_wait(c.cluster_id, autoscale=compute.AutoScale(min_workers=1, max_workers=4),
                                      timeout=FAST)
    assert ws_admin.clusters.get(c.cluster_id).autoscale.max_workers == 4

    stopped = ws_admin.clusters.delete_and_wait(c.cluster_id, timeout=FAST)
    assert stopped.state == compute.State.TERMINATED
    assert stopped.termination_reason.code.value == "USER_REQUEST"
    with pytest.raises(InvalidState, match="only a RUNNING cluster can be restarted"):
        ws_admin.clusters.restart(c.cluster_id)
    ws_admin.clusters.start_and_wait(c.cluster_id, timeout=FAST)

    kinds = [e.type.value for e in ws_admin.clusters.events(c.cluster_id, order=compute.GetEventsOrder.ASC)]
    assert kinds == ["CREATING", "RUNNING", "EDITED", "RESTARTING", "RUNNING", "RESTARTING", "RUNNING",
                     "RESIZING", "RUNNING", "TERMINATING", "STARTING", "RUNNING"]
    paged = list(ws_admin.clusters.events(c.cluster_id, limit=5))
    assert len(paged) == len(kinds) and paged[0].type.value == "RUNNING"

    running = [x.cluster_id for x in ws_admin.clusters.list(
        filter_by=compute.ListClustersFilterBy(cluster_states=[compute.State.RUNNING]))]
    assert c.cluster_id in running
    ws_admin.clusters.permanent_delete(c.cluster_id)
    with pytest.raises(NotFound):
        ws_admin.clusters.get(c.cluster_id)
    with pytest.raises(NotFound):
        list(ws_admin.clusters.events(c.cluster_id))


@pytest.mark.parametrize("spec, message", [
    ({"spark_version": "1.0.x"}, "Invalid spark version"),
    ({"node_type_id": "z9.huge"}, 'node_type_id "z9.huge" is not a node type'),
    ({"num_workers": 2, "autoscale": {"min_workers": 1, "max_workers": 2}}, "not both"),
    ({"autoscale": {"min_workers": 5, "max_workers": 2}}, "min_workers <= max_workers"),
    ({"autotermination_minutes": 3}, "between 10 and 10000"),
    ({"custom_tags": {"ClusterId": "x"}}, "custom_tags.ClusterId"),
    ({"gcp_attributes": {"zone_id": "x"}}, "Ironbrick serves AWS workspaces"),
    ({"node_typo_id": "i3.xlarge"}, 'Unknown field "node_typo_id"'),
    ({"aws_attributes": {"availability": "SOMETIMES"}}, "aws_attributes.availability"),
    ({"instance_pool_id": "pool-1"}, "Instance pool pool-1 does not exist"),
    ({"policy_id": "0000000000000000"}, "Cluster policy 0000000000000000 does not exist"),
])
def test_bad_specifications_are_refused_clearly(ws_admin, spec, message):
    body = {**BASE, **spec}
    if "autoscale" in spec and "num_workers" not in spec:
        body.pop("num_workers")
    with pytest.raises(InvalidParameterValue, match=message):
        create(ws_admin, **body)


# One table: a policy definition, a specification, and the verdict (None: admitted, with the
# attributes the completed cluster must have; or the violated paths, in order).
TABLE = [
    ("fixed fills in and hides",
     {"spark_conf.spark.databricks.cluster.profile": {"type": "fixed", "value": "singleNode", "hidden": True}},
     {}, None, {"spark_conf": {"spark.databricks.cluster.profile": "singleNode"}}),
    ("fixed refuses another value",
     {"autotermination_minutes": {"type": "fixed", "value": 30}},
     {"autotermination_minutes": 60}, ["autotermination_minutes"], None),
    ("forbidden",
     {"driver_node_type_id": {"type": "forbidden"}},
     {"driver_node_type_id": "i3.2xlarge"}, ["driver_node_type_id"], None),
    ("allowlist",
     {"node_type_id": {"type": "allowlist", "values": ["m5d.large"]}},
     {}, ["node_type_id"], None),
    ("blocklist",
     {"spark_version": {"type": "blocklist", "values": ["15.4.x-scala2.12"]}},
     {}, ["spark_version"], None),
    ("regex on a map key",
     {"custom_tags.cost_center": {"type": "regex", "pattern": "cc-[0-9]+"}},
     {"custom_tags": {"cost_center": "marketing"}}, ["custom_tags.cost_center"], None),
    ("range on a nested path",
     {"autoscale.max_workers": {"type": "range", "minValue": 2, "maxValue": 8}},
     {"num_workers": None, "autoscale": {"min_workers": 1, "max_workers": 20}}, ["autoscale.max_workers"], None),
    ("range on aws_attributes",
     {"aws_attributes.first_on_demand": {"type": "range", "minValue": 1}},
     {"aws_attributes": {"first_on_demand": 0}}, ["aws_attributes.first_on_demand"], None),
    ("unlimited with a default",
     {"autotermination_minutes": {"type": "unlimited", "defaultValue": 45}},
     {}, None, {"autotermination_minutes": 45}),
    ("a default does not override the client",
     {"num_workers": {"type": "range", "maxValue": 10, "defaultValue": 2}},
     {"num_workers": 5}, None, {"num_workers": 5}),
    ("a limiting rule without isOptional makes the attribute required",
     {"aws_attributes.instance_profile_arn": {"type": "regex", "pattern": "arn:aws:iam::.*"}},
     {}, ["aws_attributes.instance_profile_arn"], None),
    ("isOptional lets it be left out",
     {"aws_attributes.instance_profile_arn": {"type": "regex", "pattern": "arn:aws:iam::.*", "isOptional": True}},
     {}, None, {}),
    ("dbus_per_hour counts the driver and the most workers",
     {"dbus_per_hour": {"type": "range", "maxValue": 10}},
     {"num_workers": None, "autoscale": {"min_workers": 1, "max_workers": 12}}, ["dbus_per_hour"], None),
    ("dbus_per_hour within the limit",
     {"dbus_per_hour": {"type": "range", "maxValue": 10}},
     {"num_workers": 8}, None, {}),
    ("cluster_type of an API cluster",
     {"cluster_type": {"type": "fixed", "value": "job"}},
     {}, ["cluster_type"], None),
    ("every violated path at once",
     {"node_type_id": {"type": "allowlist", "values": ["m5d.large"]},
      "num_workers": {"type": "range", "maxValue": 0},
      "spark_version": {"type": "regex", "pattern": "14\\..*"}},
     {}, ["node_type_id", "num_workers", "spark_version"], None),
]


@pytest.mark.parametrize("name, definition, spec, violated, expected", TABLE, ids=[t[0] for t in TABLE])
def test_policy_rules_against_specifications(ws_admin, name, definition, spec, violated, expected):
    policy = ws_admin.cluster_policies.create(name=f"p-{uuid.uuid4().hex[:6]}", definition=json.dumps(definition))
    body = {**BASE, **spec, "policy_id": policy.policy_id}
    body = {k: v for k, v in body.items() if v is not None}
    if violated is None:
        got = ws_admin.clusters.get(create(ws_admin, **body)).as_dict()
        for key, value in expected.items():
            assert got[key] == value, key
    else:
        with pytest.raises(InvalidParameterValue) as e:
            create(ws_admin, **body)
        reported = [p.split(":")[0].strip() for p in str(e.value).split(": ", 1)[1].split("; ")]
        assert reported == violated, str(e.value)
        assert policy.policy_id in str(e.value)


def test_family_with_overrides_and_fixed_only_completion(ws_admin):
    overrides = {"autotermination_minutes": {"type": "fixed", "value": 30}}
    policy = ws_admin.cluster_policies.create(name=f"personal-{uuid.uuid4().hex[:6]}", policy_family_id="personal-vm",
                                              policy_family_definition_overrides=json.dumps(overrides))
    cid = create(ws_admin, spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge", num_workers=0,
                 policy_id=policy.policy_id, data_security_mode="SINGLE_USER",
                 single_user_name="admin@ironbrick.local")
    got = ws_admin.clusters.get(cid)
    assert got.autotermination_minutes == 30
    assert got.spark_conf["spark.databricks.cluster.profile"] == "singleNode"
    with pytest.raises(InvalidParameterValue, match="num_workers"):
        create(ws_admin, spark_version="15.4.x-scala2.12", node_type_id="i3.xlarge", num_workers=3,
               policy_id=policy.policy_id, single_user_name="admin@ironbrick.local")

    with_default = ws_admin.cluster_policies.create(
        name=f"d-{uuid.uuid4().hex[:6]}",
        definition=json.dumps({"autotermination_minutes": {"type": "unlimited", "defaultValue": 20}}))
    plain = create(ws_admin, **BASE, policy_id=with_default.policy_id, apply_policy_default_values=False)
    assert ws_admin.clusters.get(plain).autotermination_minutes is None
    assert ws_admin.clusters.get(plain).spec.apply_policy_default_values is False


def test_who_may_use_which_policy(backend, workspace, ws_admin):
    alice, alice_sp = member(backend, workspace, ws_admin)
    policy = ws_admin.cluster_policies.create(name=f"team-{uuid.uuid4().hex[:6]}", definition="{}")
    with pytest.raises(PermissionDenied, match="allow-cluster-create"):
        create(alice, **BASE)
    with pytest.raises(PermissionDenied, match="CAN_USE"):
        create(alice, **BASE, policy_id=policy.policy_id)
    ws_admin.cluster_policies.set_permissions(policy.policy_id, access_control_list=[
        compute.ClusterPolicyAccessControlRequest(service_principal_name=alice_sp.application_id,
                                                  permission_level=compute.ClusterPolicyPermissionLevel.CAN_USE)])
    mine = create(alice, **BASE, policy_id=policy.policy_id)
    levels = {e.service_principal_name: e.all_permissions[0].permission_level.value
              for e in ws_admin.clusters.get_permissions(mine).access_control_list if e.service_principal_name}
    assert levels == {alice_sp.application_id: "CAN_MANAGE"}

    bob, bob_sp = member(backend, workspace, ws_admin, "allow-cluster-create")
    free = create(bob, **BASE)
    with pytest.raises(PermissionDenied, match="CAN_USE"):
        create(bob, **BASE, policy_id=policy.policy_id)
    assert [c.cluster_id for c in bob.clusters.list()] == [free]
    with pytest.raises(PermissionDenied, match="CAN_ATTACH_TO"):
        bob.clusters.get(mine)
    alice.clusters.update_permissions(mine, access_control_list=[
        compute.ClusterAccessControlRequest(service_principal_name=bob_sp.application_id,
                                            permission_level=compute.ClusterPermissionLevel.CAN_ATTACH_TO)])
    assert bob.clusters.get(mine).cluster_id == mine
    alice.clusters.wait_get_cluster_running(mine, timeout=FAST)
    with pytest.raises(PermissionDenied, match="CAN_RESTART"):
        bob.clusters.restart(mine)
    with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
        bob.clusters.permanent_delete(mine)
    alice.clusters.delete_and_wait(mine, timeout=FAST)


def test_max_clusters_per_user_counts_active_clusters(backend, workspace, ws_admin):
    from databricks.sdk.errors import DatabricksError
    alice, alice_sp = member(backend, workspace, ws_admin)
    policy = ws_admin.cluster_policies.create(name=f"two-{uuid.uuid4().hex[:6]}", definition="{}",
                                              max_clusters_per_user=2)
    ws_admin.cluster_policies.set_permissions(policy.policy_id, access_control_list=[
        compute.ClusterPolicyAccessControlRequest(service_principal_name=alice_sp.application_id,
                                                  permission_level=compute.ClusterPolicyPermissionLevel.CAN_USE)])
    first = create(alice, **BASE, policy_id=policy.policy_id)
    create(alice, **BASE, policy_id=policy.policy_id)
    with pytest.raises(DatabricksError, match="max_clusters_per_user is 2") as e:
        create(alice, **BASE, policy_id=policy.policy_id)
    assert e.value.error_code == "QUOTA_EXCEEDED"
    create(ws_admin, **BASE, policy_id=policy.policy_id)  # another user's count is their own
    alice.clusters.wait_get_cluster_running(first, timeout=FAST)
    alice.clusters.delete_and_wait(first, timeout=FAST)
    third = create(alice, **BASE, policy_id=policy.policy_id)
    with pytest.raises(DatabricksError, match="max_clusters_per_user"):
        alice.clusters.start(first)
    assert third


def test_policy_edits_leave_clusters_until_their_next_edit(ws_admin):
    name = f"small-{uuid.uuid4().hex[:6]}"
    policy = ws_admin.cluster_policies.create(
        name=name,
        definition=json.dumps({"num_workers": {"type": "range", "maxValue": 4}}))
    cid = create(ws_admin, **{**BASE, "num_workers": 4}, policy_id=policy.policy_id)
    ws_admin.clusters.wait_get_cluster_running(cid, timeout=FAST)
    ws_admin.cluster_policies.edit(policy.policy_id, name=name,
                                   definition=json.dumps({"num_workers": {"type": "range", "maxValue": 2}}))
    assert ws_admin.clusters.get(cid).num_workers == 4
    ws_admin.clusters.restart_and_wait(cid, timeout=FAST)
    with pytest.raises(InvalidParameterValue, match="num_workers: 4 is above the maximum 2"):
        ws_admin.api_client.do("POST", "/api/2.1/clusters/edit", body={
            "cluster_id": cid, **BASE, "num_workers": 4, "policy_id": policy.policy_id})
    ws_admin.api_client.do("POST", "/api/2.1/clusters/edit", body={
        "cluster_id": cid, **BASE, "num_workers": 2, "policy_id": policy.policy_id})
    assert ws_admin.clusters.get(cid).num_workers == 2


def test_libraries(ws_admin):
    cid = create(ws_admin, **BASE)
    ws_admin.clusters.wait_get_cluster_running(cid, timeout=FAST)
    numpy = compute.Library(pypi=compute.PythonPyPiLibrary(package="numpy==2.1.0"))
    jar = compute.Library(jar="/Volumes/main/default/libs/x.jar")
    ws_admin.libraries.install(cid, [numpy, jar])
    status = {json.dumps(s.library.as_dict(), sort_keys=True): s.status.value
              for s in ws_admin.libraries.cluster_status(cid)}
    assert set(status.values()) == {"INSTALLED"} and len(status) == 2
    ws_admin.libraries.uninstall(cid, [jar])
    status = {s.library.jar: s.status.value for s in ws_admin.libraries.cluster_status(cid)}
    assert status["/Volumes/main/default/libs/x.jar"] == "UNINSTALL_ON_RESTART"
    ws_admin.clusters.restart_and_wait(cid, timeout=FAST)
    assert [s.library.pypi.package for s in ws_admin.libraries.cluster_status(cid)] == ["numpy==2.1.0"]
    with pytest.raises(InvalidParameterValue, match="pypi library needs pypi.package"):
        ws_admin.api_client.do("POST", "/api/2.0/libraries/install",
                               body={"cluster_id": cid, "libraries": [{"pypi": {}}]})

    policy = ws_admin.cluster_policies.create(name=f"libs-{uuid.uuid4().hex[:6]}", definition="{}",
                                              libraries=[compute.Library(whl="/Volumes/a/b/c/tool.whl")])
    governed = create(ws_admin, **BASE, policy_id=policy.policy_id)
    assert [s.library.whl for s in ws_admin.libraries.cluster_status(governed)] == ["/Volumes/a/b/c/tool.whl"]
    with pytest.raises(InvalidParameterValue, match="sets its libraries"):
        ws_admin.libraries.install(governed, [numpy])
    assert {s.cluster_id for s in ws_admin.libraries.all_cluster_statuses()} >= {cid, governed}
