"""Workspace SCIM (w.users, w.groups, w.service_principals, w.current_user) with the official SDK."""

import uuid

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    ResourceAlreadyExists,
)
from databricks.sdk.service import iam

PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]


def op(kind: str, path: str | None = None, value=None) -> iam.Patch:
    return iam.Patch(op=iam.PatchOp(kind), path=path, value=value)


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client_for_sp(backend, workspace, ws_admin: WorkspaceClient, application_id: str) -> WorkspaceClient:
    token = ws_admin.token_management.create_obo_token(application_id=application_id).token_value
    return WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=token)


def test_users_create_get_list_update_patch_delete(acct, ws_admin):
    tag = uniq("u")
    made = [
        ws_admin.users.create(
            user_name=f"{tag}-{i}@example.com",
            display_name=f"{tag} User {i}",
            name=iam.Name(given_name=f"Given{i}", family_name="Family"),
            entitlements=[iam.ComplexValue(value="allow-cluster-create")] if i == 0 else None,
        )
        for i in range(3)
    ]
    first = made[0]
    assert first.id and len(first.id) == 16 and first.active
    assert first.emails[0].value == f"{tag}-0@example.com"
    assert [e.value for e in first.entitlements] == ["allow-cluster-create"]
    assert "users" in [g.display for g in first.groups]
    got = ws_admin.users.get(first.id)
    assert got.user_name == first.user_name and got.name.given_name == "Given0"

    # Filters: case-insensitive names and operators, and/or/not, emails.value.
    def names(**kw):
        return sorted(u.user_name for u in ws_admin.users.list(**kw))

    assert names(filter=f'USERNAME EQ "{tag.upper()}-1@EXAMPLE.COM"') == [f"{tag}-1@example.com"]
    assert len(names(filter=f'userName sw "{tag}"')) == 3
    assert names(filter=f'userName sw "{tag}" and not (displayName ew "0" or displayName ew "1")') == [
        f"{tag}-2@example.com"
    ]
    assert names(filter=f'emails.value co "{tag}-2"') == [f"{tag}-2@example.com"]
    assert names(filter=f'userName sw "{tag}" and userName gt "{tag}-0@example.com"') == [
        f"{tag}-1@example.com",
        f"{tag}-2@example.com",
    ]

    # Sorting, paging (the SDK pages with startIndex until it has everything), projections.
    ordered = list(ws_admin.users.list(filter=f'userName sw "{tag}"', sort_by="userName",
                                       sort_order=iam.ListSortOrder.DESCENDING, count=1))
    assert [u.user_name for u in ordered] == [f"{tag}-{i}@example.com" for i in (2, 1, 0)]
    slim = list(ws_admin.users.list(filter=f'userName sw "{tag}"', attributes="userName"))
    assert all(u.id and u.user_name and u.display_name is None and not u.groups for u in slim)
    trimmed = ws_admin.users.get(first.id, excluded_attributes="groups,emails")
    assert trimmed.id == first.id and not trimmed.groups and not trimmed.emails and trimmed.user_name

    page = ws_admin.api_client.do("GET", "/api/2.0/preview/scim/v2/Users",
                                  query={"filter": f'userName sw "{tag}"', "startIndex": 2, "count": 1})
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)

    # PUT replaces; PATCH edits attributes, entitlements with a value filter.
    ws_admin.users.update(first.id, user_name=first.user_name, display_name="Renamed",
                          entitlements=[iam.ComplexValue(value="databricks-sql-access")])
    got = ws_admin.users.get(first.id)
    assert got.display_name == "Renamed"
    assert [e.value for e in got.entitlements] == ["databricks-sql-access"]
    ws_admin.users.patch(first.id, schemas=PATCH, operations=[
        op("replace", "displayName", "Patched"),
        op("replace", "name.givenName", "Ann"),
        op("add", "entitlements", [{"value": "allow-instance-pool-create"}, {"value": "workspace-access"}]),
        op("remove", 'entitlements[value eq "databricks-sql-access"]'),
    ])
    got = ws_admin.users.get(first.id)
    assert (got.display_name, got.name.given_name) == ("Patched", "Ann")
    assert sorted(e.value for e in got.entitlements) == ["allow-instance-pool-create", "workspace-access"]

    # Workspace delete removes the user from the workspace only.
    ws_admin.users.delete(first.id)
    with pytest.raises(NotFound):
        ws_admin.users.get(first.id)
    assert first.id not in [u.id for u in ws_admin.users.list()]
    assert acct.users.get(first.id).user_name == first.user_name


def test_create_reuses_the_account_user_and_account_delete_removes_it(acct, ws_admin):
    name = f"{uniq('shared')}@example.com"
    account_user = acct.users.create(user_name=name, display_name="Shared")
    with pytest.raises(NotFound):
        ws_admin.users.get(account_user.id)
    here = ws_admin.users.create(user_name=name.upper())
    assert here.id == account_user.id and here.display_name == "Shared"
    with pytest.raises(ResourceAlreadyExists):
        ws_admin.users.create(user_name=name)
    acct.users.delete(account_user.id)
    with pytest.raises(NotFound):
        ws_admin.users.get(account_user.id)


def test_service_principal_deactivation_and_removal_refuse_its_token_at_once(backend, workspace, ws_admin):
    sp = ws_admin.service_principals.create(display_name="bot",
                                            entitlements=[iam.ComplexValue(value="workspace-access")])
    assert uuid.UUID(sp.application_id) and sp.active
    assert [e.value for e in sp.entitlements] == ["workspace-access"]
    found = list(ws_admin.service_principals.list(filter=f'applicationId eq "{sp.application_id}"'))
    assert [s.id for s in found] == [sp.id]
    bot = client_for_sp(backend, workspace, ws_admin, sp.application_id)
    me = bot.current_user.me()
    assert (me.user_name, me.id, me.active) == (sp.application_id, sp.id, True)
    assert [g.display for g in me.groups] == ["users"]

    # The SDK drops `value: False`: a replace of active without value deactivates.
    ws_admin.service_principals.patch(sp.id, schemas=PATCH, operations=[op("replace", "active", False)])
    assert ws_admin.service_principals.get(sp.id).active is False
    with pytest.raises(PermissionDenied, match="deactivated"):
        bot.current_user.me()
    ws_admin.service_principals.update(sp.id, application_id=sp.application_id, display_name="bot", active=True)
    assert bot.current_user.me().display_name == "bot"

    ws_admin.service_principals.delete(sp.id)
    with pytest.raises(PermissionDenied, match="not a member"):
        bot.current_user.me()
    with pytest.raises(NotFound):
        ws_admin.service_principals.get(sp.id)


def test_groups_builtins_nesting_and_admin_through_admins(backend, workspace, ws_admin):
    groups = {g.display_name: g for g in ws_admin.groups.list()}
    assert {"admins", "users"} <= set(groups)
    admins, users = groups["admins"], groups["users"]
    assert admins.meta.resource_type == "WorkspaceGroup"

    sp = ws_admin.service_principals.create(display_name="nested bot")
    bot = client_for_sp(backend, workspace, ws_admin, sp.application_id)
    with pytest.raises(PermissionDenied):
        list(bot.token_management.list())
    assert sp.id in [m.value for m in ws_admin.groups.get(users.id).members]

    team = ws_admin.groups.create(display_name=uniq("team"), members=[iam.ComplexValue(value=sp.id)])
    outer = ws_admin.groups.create(display_name=uniq("outer"), members=[iam.ComplexValue(value=team.id)])
    assert [m.value for m in ws_admin.groups.get(team.id).members] == [sp.id]
    assert [g.value for g in ws_admin.groups.get(team.id).groups] == [outer.id]
    with pytest.raises(ResourceAlreadyExists):
        ws_admin.groups.create(display_name=team.display_name)
    with pytest.raises(BadRequest, match="nest a group inside itself"):
        ws_admin.groups.patch(team.id, schemas=PATCH, operations=[op("add", "members", [{"value": outer.id}])])
    with pytest.raises(BadRequest, match="Member 1234567890123456 does not exist"):
        ws_admin.groups.patch(team.id, schemas=PATCH,
                              operations=[op("add", "members", [{"value": "1234567890123456"}])])

    # outer ∋ team ∋ sp: putting outer into admins makes the service principal an admin at once.
    ws_admin.groups.patch(admins.id, schemas=PATCH, operations=[op("add", "members", [{"value": outer.id}])])
    assert isinstance(list(bot.token_management.list()), list)
    me = bot.current_user.me()
    assert {"users", "admins", team.display_name, outer.display_name} <= {g.display for g in me.groups}
    ws_admin.groups.patch(admins.id, schemas=PATCH, operations=[op("remove", f'members[value eq "{outer.id}"]')])
    with pytest.raises(PermissionDenied):
        list(bot.token_management.list())

    # The built-in groups: users' members are implicit, neither can be renamed or deleted.
    with pytest.raises(BadRequest, match="implicit"):
        ws_admin.groups.patch(users.id, schemas=PATCH, operations=[op("add", "members", [{"value": team.id}])])
    with pytest.raises(BadRequest, match="cannot be renamed"):
        ws_admin.groups.patch(admins.id, schemas=PATCH, operations=[op("replace", "displayName", "root")])
    with pytest.raises(BadRequest, match="cannot be deleted"):
        ws_admin.groups.delete(users.id)
    ws_admin.groups.patch(users.id, schemas=PATCH,
                          operations=[op("add", "entitlements", [{"value": "databricks-sql-access"}])])
    assert [e.value for e in ws_admin.groups.get(users.id).entitlements] == ["databricks-sql-access"]

    # PUT replaces the members; a deleted group leaves its parent.
    ws_admin.groups.update(team.id, display_name=team.display_name + "-x", members=[])
    renamed = ws_admin.groups.get(team.id)
    assert renamed.display_name == team.display_name + "-x" and not renamed.members
    ws_admin.groups.delete(team.id)
    assert not ws_admin.groups.get(outer.id).members
    with pytest.raises(NotFound):
        ws_admin.groups.get(team.id)
    assert [g.display_name for g in ws_admin.groups.list(filter=f'displayName eq "{outer.display_name}"')] == [
        outer.display_name
    ]


def test_me_reports_the_real_record(ws_admin):
    me = ws_admin.current_user.me()
    assert (me.id, me.user_name, me.active) == ("1", "admin@ironbrick.local", True)
    assert {"admins", "users"} <= {g.display for g in me.groups}
    assert me.emails[0].value == "admin@ironbrick.local"
    only = ws_admin.current_user.me(attributes="userName")
    assert only.id == "1" and only.user_name and not only.groups and not only.emails and only.active is None


def test_members_read_and_admins_write(backend, workspace, ws_admin):
    sp = ws_admin.service_principals.create(display_name="reader")
    bot = client_for_sp(backend, workspace, ws_admin, sp.application_id)
    assert sp.id in [s.id for s in bot.service_principals.list()]
    assert bot.users.get("1").user_name == "admin@ironbrick.local"
    with pytest.raises(PermissionDenied):
        bot.users.create(user_name=f"{uniq('x')}@example.com")
    with pytest.raises(PermissionDenied):
        bot.groups.create(display_name=uniq("g"))
    admins = next(g.id for g in ws_admin.groups.list() if g.display_name == "admins")
    ws_admin.groups.patch(admins, schemas=PATCH, operations=[op("add", "members", [{"value": sp.id}])])
    made = bot.groups.create(display_name=uniq("by-bot"))
    assert made.meta.resource_type == "WorkspaceGroup"
    # A workspace admin who is not an account admin cannot change account admins.
    with pytest.raises(PermissionDenied, match="only account admins"):
        bot.users.update("1", user_name="admin@ironbrick.local", display_name="pwned")


def test_bad_requests_get_typed_errors(backend, workspace, ws_admin):
    with pytest.raises(NotFound):
        ws_admin.users.get("999")
    with pytest.raises(NotFound):
        ws_admin.groups.get("not-a-number")
    with pytest.raises(InvalidParameterValue, match="Invalid filter") as e:
        list(ws_admin.users.list(filter='userName eq "unterminated'))
    assert "unterminated string" in str(e.value)
    with pytest.raises(InvalidParameterValue, match="unknown attribute 'nickName'"):
        list(ws_admin.users.list(filter='nickName eq "x"'))
    with pytest.raises(InvalidParameterValue, match="Unknown entitlement"):
        ws_admin.users.create(user_name=f"{uniq('e')}@example.com", entitlements=[iam.ComplexValue(value="root")])
    with pytest.raises(InvalidParameterValue, match="userName is required"):
        ws_admin.users.create(display_name="nobody")
    with pytest.raises(InvalidParameterValue, match="account SCIM API"):
        ws_admin.users.patch("1", schemas=PATCH, operations=[op("add", "roles", [{"value": "account_admin"}])])
    with pytest.raises(BadRequest, match="bootstrap account admin"):
        ws_admin.users.patch("1", schemas=PATCH, operations=[op("replace", "active", False)])
    with pytest.raises(BadRequest, match="bootstrap account admin"):
        ws_admin.users.delete("1")
    url = f"{backend.ws_url(workspace.workspace_id)}/api/2.0/preview/scim/v2/Users"
    r = requests.post(url, data="{not json", headers={"Authorization": f"Bearer {backend.token}"})
    assert r.status_code == 400 and r.json()["error_code"] == "MALFORMED_REQUEST"
    r = requests.post(url, json={"userName": f"{uniq('p')}@example.com", "password": "hunter2-secret"},
                      headers={"Authorization": f"Bearer {backend.token}"})
    assert r.status_code == 201 and "hunter2" not in r.text and "password" not in r.json()


def test_concurrent_member_patches_all_land(ws_admin):
    """Parallel PATCHes adding different members to one group (what Terraform does with
    databricks_group_member at -parallelism=10) must not lose each other's member."""
    from concurrent.futures import ThreadPoolExecutor

    tag = uniq("par")
    group = ws_admin.groups.create(display_name=tag)
    users = [ws_admin.users.create(user_name=f"{tag}-{i}@example.com") for i in range(32)]

    def add(u):
        ws_admin.groups.patch(group.id, schemas=PATCH, operations=[op("add", "members", [{"value": u.id}])])

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(add, users))
    members = {m.value for m in ws_admin.groups.get(group.id).members or []}
    assert members == {u.id for u in users}
