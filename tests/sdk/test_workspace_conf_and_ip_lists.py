"""Workspace settings and IP access lists, including enforcement from 127.0.0.2."""

import pytest
import requests
from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotFound, ResourceAlreadyExists
from databricks.sdk.service.settings import ListType

from support.loopback import session_from


def get_from(source: str, url: str, token: str) -> requests.Response:
    return session_from(source).get(url, headers={"Authorization": f"Bearer {token}"})


def me_url(backend, workspace) -> str:
    return f"{backend.ws_url(workspace.workspace_id)}/api/2.0/preview/scim/v2/Me"


def test_conf_round_trip_and_validation(ws_admin):
    assert ws_admin.workspace_conf.get_status(keys="enableIpAccessLists,enableTokensConfig") == {
        "enableIpAccessLists": "false", "enableTokensConfig": "true"}
    ws_admin.workspace_conf.set_status({"maxTokenLifetimeDays": "30"})
    assert ws_admin.workspace_conf.get_status(keys="maxTokenLifetimeDays") == {"maxTokenLifetimeDays": "30"}
    for bad in [{"maxTokenLifetimeDays": "forever"}, {"enableIpAccessLists": "maybe"}, {"noSuchKey": "true"}]:
        with pytest.raises(InvalidParameterValue):
            ws_admin.workspace_conf.set_status(bad)
    with pytest.raises(InvalidParameterValue):
        ws_admin.workspace_conf.get_status(keys="noSuchKey")


def test_crud_update_replace(ws_admin):
    created = ws_admin.ip_access_lists.create(label="office", list_type=ListType.ALLOW,
                                              ip_addresses=["10.0.0.0/16", "192.168.1.1"]).ip_access_list
    assert created.address_count == 2 and created.enabled
    with pytest.raises(ResourceAlreadyExists):
        ws_admin.ip_access_lists.create(label="office", list_type=ListType.ALLOW, ip_addresses=["10.1.0.0/16"])
    ws_admin.ip_access_lists.update(created.list_id, label="hq", enabled=False)
    got = ws_admin.ip_access_lists.get(created.list_id).ip_access_list
    assert (got.label, got.enabled, got.ip_addresses) == ("hq", False, ["10.0.0.0/16", "192.168.1.1"])
    ws_admin.ip_access_lists.replace(created.list_id, label="vpn", list_type=ListType.BLOCK,
                                     ip_addresses=["172.16.0.0/12"], enabled=True)
    got = ws_admin.ip_access_lists.get(created.list_id).ip_access_list
    assert (got.label, got.list_type, got.ip_addresses, got.address_count) == ("vpn", ListType.BLOCK, ["172.16.0.0/12"], 1)
    assert created.list_id in [l.list_id for l in ws_admin.ip_access_lists.list()]
    ws_admin.ip_access_lists.delete(created.list_id)
    with pytest.raises(NotFound):
        ws_admin.ip_access_lists.get(created.list_id)


@pytest.mark.parametrize("bad", [["10.0.0.1/8"], ["300.0.0.1"], ["10.0.0.0/33"], ["banana"]])
def test_invalid_cidrs_are_refused(ws_admin, bad):
    with pytest.raises(InvalidParameterValue):
        ws_admin.ip_access_lists.create(label="bad", list_type=ListType.ALLOW, ip_addresses=bad)


def test_invalid_list_type_is_refused(backend, workspace):
    r = requests.post(f"{backend.ws_url(workspace.workspace_id)}/api/2.0/ip-access-lists",
                      json={"label": "x", "list_type": "MAYBE", "ip_addresses": ["1.2.3.4"]},
                      headers={"Authorization": f"Bearer {backend.token}"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_quota_of_1000_entries(ws_admin):
    ips = [f"10.{i // 250}.{i % 250}.1" for i in range(1000)]
    ws_admin.ip_access_lists.create(label="big", list_type=ListType.BLOCK, ip_addresses=ips)
    with pytest.raises(BadRequest, match="1000"):
        ws_admin.ip_access_lists.create(label="one more", list_type=ListType.BLOCK, ip_addresses=["11.0.0.1"])


def test_block_list_is_enforced(backend, ws_admin, workspace):
    ws_admin.ip_access_lists.create(label="block two", list_type=ListType.BLOCK, ip_addresses=["127.0.0.2"])
    url = me_url(backend, workspace)
    assert get_from("127.0.0.2", url, backend.token).status_code == 200, "not enforced while disabled"
    ws_admin.workspace_conf.set_status({"enableIpAccessLists": "true"})
    blocked = get_from("127.0.0.2", url, backend.token)
    assert blocked.status_code == 403 and blocked.json()["error_code"] == "PERMISSION_DENIED"
    assert "127.0.0.2" in blocked.json()["message"]
    assert get_from("127.0.0.1", url, backend.token).status_code == 200
    unauthenticated = get_from("127.0.0.2", url, "dapinothing")
    assert unauthenticated.status_code == 403


def test_allow_list_is_enforced(backend, ws_admin, workspace):
    ws_admin.ip_access_lists.create(label="only one", list_type=ListType.ALLOW, ip_addresses=["127.0.0.1/32"])
    ws_admin.workspace_conf.set_status({"enableIpAccessLists": "true"})
    url = me_url(backend, workspace)
    assert get_from("127.0.0.1", url, backend.token).status_code == 200
    assert get_from("127.0.0.2", url, backend.token).status_code == 403
    ws_admin.workspace_conf.set_status({"enableIpAccessLists": "false"})
    assert get_from("127.0.0.2", url, backend.token).status_code == 200


def test_self_lockout_is_refused(backend, ws_admin, workspace):
    ws_admin.workspace_conf.set_status({"enableIpAccessLists": "true"})
    with pytest.raises(InvalidParameterValue, match="127.0.0.1"):
        ws_admin.ip_access_lists.create(label="me", list_type=ListType.BLOCK, ip_addresses=["127.0.0.0/8"])
    with pytest.raises(InvalidParameterValue):
        ws_admin.ip_access_lists.create(label="not me", list_type=ListType.ALLOW, ip_addresses=["10.0.0.0/8"])
    allow = ws_admin.ip_access_lists.create(label="me", list_type=ListType.ALLOW,
                                            ip_addresses=["127.0.0.1"]).ip_access_list
    with pytest.raises(InvalidParameterValue):
        ws_admin.ip_access_lists.replace(allow.list_id, label="me", list_type=ListType.ALLOW,
                                         ip_addresses=["10.0.0.1"], enabled=True)
    ws_admin.workspace_conf.set_status({"enableIpAccessLists": "false"})
    ws_admin.ip_access_lists.create(label="lock", list_type=ListType.BLOCK, ip_addresses=["127.0.0.1"])
    with pytest.raises(InvalidParameterValue):
        ws_admin.workspace_conf.set_status({"enableIpAccessLists": "true"})
    assert get_from("127.0.0.1", me_url(backend, workspace), backend.token).status_code == 200
