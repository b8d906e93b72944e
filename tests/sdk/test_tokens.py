"""Personal access tokens, token management, workspace scoping and auth refusals."""

import time

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, PermissionDenied, Unauthenticated

from conftest import make_workspace

SP = "9f0c1f5e-3c2a-4d55-9b1e-0c8d1e2f3a4b"


def with_sp(w: WorkspaceClient) -> str:
    """Adds service principal SP to the workspace through SCIM (OBO tokens need one)."""
    return w.service_principals.create(application_id=SP, display_name="token bot").application_id


def test_create_list_use_delete(backend, ws_admin, workspace):
    created = ws_admin.tokens.create(comment="ci", lifetime_seconds=3600)
    assert created.token_value.startswith("dapi") and len(created.token_value) == 36
    info = created.token_info
    assert info.expiry_time - info.creation_time == 3600 * 1000
    assert info.token_id in [t.token_id for t in ws_admin.tokens.list()]
    w = WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=created.token_value)
    assert w.current_user.me().user_name == "admin@ironbrick.local"
    ws_admin.tokens.delete(info.token_id)
    with pytest.raises(Unauthenticated):
        w.current_user.me()


def test_default_lifetime_is_two_years(ws_admin):
    info = ws_admin.tokens.create(comment="default").token_info
    assert abs((info.expiry_time - info.creation_time) / 1000 - 2 * 365 * 86400) < 5


def test_expired_tokens_are_refused(backend, ws_admin, workspace):
    t = ws_admin.tokens.create(comment="short", lifetime_seconds=1)
    time.sleep(1.5)
    w = WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=t.token_value)
    with pytest.raises(Unauthenticated):
        w.current_user.me()


def test_tokens_are_scoped_to_their_workspace(backend, acct, ws_admin, workspace):
    other = make_workspace(acct)
    t = ws_admin.tokens.create(comment="scoped").token_value
    foreign = WorkspaceClient(host=backend.ws_url(other.workspace_id), token=t)
    with pytest.raises(Unauthenticated):
        foreign.current_user.me()
    with pytest.raises(PermissionDenied):
        AccountClient(host=backend.host, account_id=backend.account_id, token=t).workspaces.list()
    admin_elsewhere = WorkspaceClient(host=backend.ws_url(other.workspace_id), token=backend.token)
    assert admin_elsewhere.current_user.me().user_name == "admin@ironbrick.local"


def test_missing_and_bogus_credentials(backend, workspace):
    url = f"{backend.ws_url(workspace.workspace_id)}/api/2.0/preview/scim/v2/Me"
    r = requests.get(url)
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    r = requests.get(url, headers={"Authorization": "Bearer dapi00000000000000000000000000000000"})
    assert r.status_code == 401
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces",
                     headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert r.status_code == 401


def test_max_lifetime_is_enforced(ws_admin):
    ws_admin.workspace_conf.set_status({"maxTokenLifetimeDays": "7"})
    with pytest.raises(InvalidParameterValue):
        ws_admin.tokens.create(comment="too long", lifetime_seconds=8 * 86400)
    bounded = ws_admin.tokens.create(comment="bounded").token_info
    assert (bounded.expiry_time - bounded.creation_time) / 1000 <= 7 * 86400
    ws_admin.workspace_conf.set_status({"maxTokenLifetimeDays": ""})
    assert ws_admin.tokens.create(comment="ok", lifetime_seconds=8 * 86400)


def test_token_management_and_obo(backend, ws_admin, workspace):
    mine = ws_admin.tokens.create(comment="admin's").token_info
    with_sp(ws_admin)
    obo = ws_admin.token_management.create_obo_token(application_id=SP, comment="for sp", lifetime_seconds=600)
    assert obo.token_info.owner_id != mine.token_id
    ids = [t.token_id for t in ws_admin.token_management.list()]
    assert mine.token_id in ids and obo.token_info.token_id in ids
    by_admin = list(ws_admin.token_management.list(created_by_username="admin@ironbrick.local"))
    assert {t.token_id for t in by_admin} >= {mine.token_id, obo.token_info.token_id}
    got = ws_admin.token_management.get(obo.token_info.token_id).token_info
    assert got.comment == "for sp" and got.owner_id == obo.token_info.owner_id
    sp = WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=obo.token_value)
    assert sp.current_user.me().user_name == SP
    with pytest.raises(PermissionDenied):
        list(sp.token_management.list())
    with pytest.raises(PermissionDenied):
        sp.workspace_conf.set_status({"enableIpAccessLists": "false"})
    assert [t.comment for t in sp.tokens.list()] == ["for sp"]
    ws_admin.token_management.delete(obo.token_info.token_id)
    with pytest.raises(Unauthenticated):
        sp.current_user.me()
    with pytest.raises(NotFound):
        ws_admin.token_management.get(obo.token_info.token_id)
    with pytest.raises(InvalidParameterValue):
        ws_admin.token_management.create_obo_token(application_id="not-a-uuid")


def test_tokens_config_blocks_non_admin_creation(backend, ws_admin, workspace):
    sp_token = ws_admin.token_management.create_obo_token(application_id=with_sp(ws_admin)).token_value
    sp = WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=sp_token)
    assert sp.tokens.create(comment="allowed").token_value
    ws_admin.workspace_conf.set_status({"enableTokensConfig": "false"})
    with pytest.raises(PermissionDenied):
        sp.tokens.create(comment="refused")
    assert ws_admin.tokens.create(comment="admins still can").token_value
