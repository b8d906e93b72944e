"""PrivateLink objects through the official SDK: VPC endpoint registrations, private access
settings (create, get, list, replace, delete), a network's vpc_endpoints, and a workspace's
private_access_settings_id set at creation and changed later."""

from __future__ import annotations

import secrets
import uuid

import pytest
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound, ResourceAlreadyExists
from databricks.sdk.service import provisioning

from conftest import make_workspace


def vpce() -> str:
    return "vpce-" + secrets.token_hex(9)[:17]


def register(acct, region: str = "us-east-1", **kw) -> provisioning.VpcEndpoint:
    return acct.vpc_endpoints.create(vpc_endpoint_name=f"ep-{uuid.uuid4().hex[:6]}",
                                     aws_vpc_endpoint_id=kw.pop("aws_id", vpce()), region=region, **kw)


def test_vpc_endpoint_registrations(acct):
    aws_id = vpce()
    ep = register(acct, aws_id=aws_id)
    assert (ep.aws_vpc_endpoint_id, ep.region, ep.state) == (aws_id, "us-east-1", "available")
    assert ep.use_case == provisioning.EndpointUseCase.WORKSPACE_ACCESS and ep.account_id == acct.config.account_id
    assert acct.vpc_endpoints.get(ep.vpc_endpoint_id).vpc_endpoint_name == ep.vpc_endpoint_name
    assert ep.vpc_endpoint_id in [e.vpc_endpoint_id for e in acct.vpc_endpoints.list()]
    with pytest.raises(ResourceAlreadyExists, match="already registered"):
        register(acct, aws_id=aws_id)
    for bad, message in [({"aws_id": "vpce-123"}, "17 hex digits"), ({"aws_id": "vpc-0123456789abcdef0"}, "vpce-"),
                         ({"region": "mars-1"}, "region")]:
        with pytest.raises(InvalidParameterValue, match=message):
            register(acct, **bad)
    with pytest.raises(InvalidParameterValue, match="Ironbrick serves AWS workspaces"):
        acct.api_client.do("POST", f"/api/2.0/accounts/{acct.config.account_id}/vpc-endpoints", body={
            "vpc_endpoint_name": "g", "gcp_vpc_endpoint_info": {"project_id": "p"}})
    acct.vpc_endpoints.delete(ep.vpc_endpoint_id)
    with pytest.raises(NotFound):
        acct.vpc_endpoints.get(ep.vpc_endpoint_id)


def test_private_access_settings(acct):
    east, east2, west = register(acct), register(acct), register(acct, region="us-west-2")
    pas = acct.private_access.create(private_access_settings_name="private", region="us-east-1",
                                     private_access_level=provisioning.PrivateAccessLevel.ENDPOINT,
                                     allowed_vpc_endpoint_ids=[east.vpc_endpoint_id])
    assert (pas.public_access_enabled, pas.private_access_level.value) == (False, "ENDPOINT")
    assert pas.allowed_vpc_endpoint_ids == [east.vpc_endpoint_id]
    default = acct.private_access.create(private_access_settings_name="default", region="us-east-1")
    assert default.private_access_level == provisioning.PrivateAccessLevel.ACCOUNT
    assert {p.private_access_settings_id for p in acct.private_access.list()} >= {
        pas.private_access_settings_id, default.private_access_settings_id}

    with pytest.raises(InvalidParameterValue, match="is in us-west-2, not us-east-1"):
        acct.private_access.create(private_access_settings_name="x", region="us-east-1",
                                   allowed_vpc_endpoint_ids=[west.vpc_endpoint_id])
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        acct.private_access.create(private_access_settings_name="x", region="us-east-1",
                                   allowed_vpc_endpoint_ids=[str(uuid.uuid4())])
    with pytest.raises(InvalidParameterValue, match="private_access_level"):
        acct.api_client.do("POST", f"/api/2.0/accounts/{acct.config.account_id}/private-access-settings", body={
            "private_access_settings_name": "x", "region": "us-east-1", "private_access_level": "ANYONE"})

    replaced = acct.private_access.replace(pas.private_access_settings_id, provisioning.PrivateAccessSettings(
        private_access_settings_name="private", region="us-east-1", public_access_enabled=True,
        private_access_level=provisioning.PrivateAccessLevel.ENDPOINT,
        allowed_vpc_endpoint_ids=[east.vpc_endpoint_id, east2.vpc_endpoint_id]))
    assert replaced.public_access_enabled is True
    got = acct.private_access.get(pas.private_access_settings_id)
    assert got.allowed_vpc_endpoint_ids == [east.vpc_endpoint_id, east2.vpc_endpoint_id]
    with pytest.raises(InvalidParameterValue, match="region cannot change"):
        acct.private_access.replace(pas.private_access_settings_id, provisioning.PrivateAccessSettings(
            private_access_settings_name="private", region="us-west-2"))

    with pytest.raises(InvalidState, match=f"in use by private access settings {pas.private_access_settings_id}"):
        acct.vpc_endpoints.delete(east2.vpc_endpoint_id)
    acct.private_access.delete(default.private_access_settings_id)
    with pytest.raises(NotFound):
        acct.private_access.get(default.private_access_settings_id)


def test_networks_name_registered_endpoints(acct):
    rest, relay = register(acct), register(acct)
    net = acct.networks.create(network_name=f"net-{uuid.uuid4().hex[:6]}", vpc_id="vpc-0123456789abcdef0",
                               subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                               security_group_ids=["sg-0123456789abcdef0"],
                               vpc_endpoints=provisioning.NetworkVpcEndpoints(
                                   rest_api=[rest.vpc_endpoint_id], dataplane_relay=[relay.vpc_endpoint_id]))
    got = acct.networks.get(net.network_id).vpc_endpoints
    assert (got.rest_api, got.dataplane_relay) == ([rest.vpc_endpoint_id], [relay.vpc_endpoint_id])
    with pytest.raises(InvalidState, match=f"in use by network configuration {net.network_id}"):
        acct.vpc_endpoints.delete(relay.vpc_endpoint_id)
    with pytest.raises(InvalidParameterValue, match="vpc_endpoints.rest_api: VPC endpoint registration"):
        acct.networks.create(network_name="n2", vpc_id="vpc-0123456789abcdef0",
                             subnet_ids=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                             security_group_ids=["sg-0123456789abcdef0"],
                             vpc_endpoints=provisioning.NetworkVpcEndpoints(rest_api=[str(uuid.uuid4())]))


def test_workspaces_use_private_access_settings(acct):
    first = acct.private_access.create(private_access_settings_name="one", region="us-east-1")
    second = acct.private_access.create(private_access_settings_name="two", region="us-east-1")
    west = acct.private_access.create(private_access_settings_name="west", region="us-west-2")
    ws = make_workspace(acct, private_access_settings_id=first.private_access_settings_id)
    assert acct.workspaces.get(ws.workspace_id).private_access_settings_id == first.private_access_settings_id
    with pytest.raises(InvalidParameterValue, match="are for us-west-2, and the workspace is in us-east-1"):
        make_workspace(acct, private_access_settings_id=west.private_access_settings_id)
    with pytest.raises(InvalidState, match=f"in use by workspace {ws.workspace_id}"):
        acct.private_access.delete(first.private_access_settings_id)

    acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
        private_access_settings_id=second.private_access_settings_id),
        update_mask="private_access_settings_id").result()
    assert acct.workspaces.get(ws.workspace_id).private_access_settings_id == second.private_access_settings_id
    acct.private_access.delete(first.private_access_settings_id)
    with pytest.raises(InvalidState):
        acct.private_access.delete(second.private_access_settings_id)
