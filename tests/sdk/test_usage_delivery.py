"""Billable usage delivery to moto's S3: each workspace's month file of cluster usage, in
Databricks' CSV schema, under `{prefix}/billable-usage/csv/`, rewritten as the month grows; the
workspace filter; the delivered hours equal what the clusters' events say they ran."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import datetime, timezone

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service import billing, provisioning
from databricks.sdk.service.compute import EventType

from conftest import make_workspace
from test_audit_delivery import b, bucket, moto, objects, wait_for  # noqa: F401 (fixtures)

COLUMNS = ["workspaceId", "timestamp", "clusterId", "clusterName", "clusterNodeType", "clusterOwnerUserId",
           "clusterCustomTags", "sku", "dbus", "machineHours", "clusterOwnerUserName", "tags"]


def configure_usage(a: AccountClient, bucket_name: str, workspace_ids: list[int]):
    cred = a.credentials.create(
        credentials_name=f"usage-{uuid.uuid4().hex[:6]}",
        aws_credentials=provisioning.CreateCredentialAwsCredentials(
            sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/usage")))
    storage = a.storage.create(storage_configuration_name=f"usage-{uuid.uuid4().hex[:6]}",
                               root_bucket_info=provisioning.RootBucketInfo(bucket_name=bucket_name))
    return a.log_delivery.create(billing.CreateLogDeliveryConfigurationParams(
        log_type=billing.LogType.BILLABLE_USAGE, output_format=billing.OutputFormat.CSV,
        credentials_id=cred.credentials_id, storage_configuration_id=storage.storage_configuration_id,
        delivery_path_prefix="usage", workspace_ids_filter=workspace_ids)).log_delivery_configuration


def cluster(w: WorkspaceClient, name: str) -> str:
    return w.clusters.create_and_wait(cluster_name=name, spark_version="15.4.x-scala2.12",
                                      node_type_id="i3.xlarge", num_workers=1,
                                      custom_tags={"team": "data, \"platform\""}).cluster_id


def rows(body: bytes) -> list[dict]:
    reader = csv.DictReader(io.StringIO(body.decode()))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def test_usage_files_bill_what_the_clusters_ran(moto, b):
    a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    name = bucket(moto)
    billed, other = make_workspace(a), make_workspace(a)
    config = configure_usage(a, name, [billed.workspace_id])
    w = WorkspaceClient(host=b.ws_url(billed.workspace_id), token=b.token)
    mine = cluster(w, "etl, nightly")
    theirs = cluster(WorkspaceClient(host=b.ws_url(other.workspace_id), token=b.token), "other")

    month = datetime.now(timezone.utc).strftime("%Y-%m")
    key = f"usage/billable-usage/csv/workspaceId={billed.workspace_id}-usageMonth={month}.csv"
    wait_for("the running cluster's usage file", lambda: key in objects(moto, name))
    first = rows(objects(moto, name)[key])
    assert first and all(r["clusterId"] == mine for r in first)

    w.clusters.delete_and_wait(cluster_id=mine)
    events = list(w.clusters.events(cluster_id=mine))
    ran = {e.type: e.timestamp for e in events if e.type in (EventType.RUNNING, EventType.TERMINATING)}
    expected = 2 * (ran[EventType.TERMINATING] - ran[EventType.RUNNING]) / 3_600_000

    def final():
        got = rows(objects(moto, name)[key])
        hours = sum(float(r["machineHours"]) for r in got)
        return got if abs(hours - expected) <= 1e-6 * len(got) else None

    delivered = wait_for("the file rewritten up to the termination", final)
    for r in delivered:
        assert r["workspaceId"] == str(billed.workspace_id)
        assert r["clusterName"] == "etl, nightly" and r["clusterNodeType"] == "i3.xlarge"
        assert r["sku"].endswith("_ALL_PURPOSE_COMPUTE")
        assert abs(float(r["dbus"]) - float(r["machineHours"])) < 1e-6, "i3.xlarge is 1 DBU an hour"
        assert r["timestamp"].endswith(":59:59.999Z")
        assert json.loads(r["clusterCustomTags"]) == {"team": "data, \"platform\""}
    assert all(k.startswith("usage/billable-usage/csv/workspaceId=") for k in objects(moto, name))
    assert not [k for k in objects(moto, name) if f"workspaceId={other.workspace_id}-" in k], \
        "the filter leaves the other workspace out"
    assert theirs
    status = a.log_delivery.get(config.config_id).log_delivery_configuration.log_delivery_status
    assert status.status == billing.DeliveryStatus.SUCCEEDED, status

