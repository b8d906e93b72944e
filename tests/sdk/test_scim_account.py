"""Account SCIM (a.users, a.groups, a.service_principals) with the official SDK."""

import uuid

import pytest
import requests
from databricks.sdk.errors import BadRequest, InvalidParameterValue, NotFound, ResourceAlreadyExists
from databricks.sdk.service import iam

PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]


def op(kind: str, path: str | None = None, value=None) -> iam.Patch:
    return iam.Patch(op=iam.PatchOp(kind), path=path, value=value)


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_users_roles_filters_and_delete(acct):
    tag = uniq("acct")
    u = acct.users.create(user_name=f"{tag}@example.com", display_name="Acct User",
                          emails=[iam.ComplexValue(value=f"{tag}@corp.example", type="work", primary=True)])
    assert u.id and not u.roles and u.emails[0].value == f"{tag}@corp.example"
    with pytest.raises(ResourceAlreadyExists):
        acct.users.create(user_name=f"{tag.upper()}@EXAMPLE.COM")
    acct.users.patch(u.id, schemas=PATCH, operations=[op("add", "roles", [{"value": "account_admin"}])])
    assert [r.value for r in acct.users.get(u.id).roles] == ["account_admin"]
    assert [x.id for x in acct.users.list(filter='roles.value eq "account_admin"')] >= ["1"]
    assert u.id in [x.id for x in acct.users.list(filter='roles eq "account_admin"')]
    acct.users.patch(u.id, schemas=PATCH, operations=[op("remove", "roles")])
    assert not acct.users.get(u.id).roles
    acct.users.update(u.id, user_name=f"{tag}-renamed@example.com", display_name="Renamed", active=False)
    got = acct.users.get(u.id)
    assert (got.user_name, got.display_name, got.active) == (f"{tag}-renamed@example.com", "Renamed", False)
    assert [x.id for x in acct.users.list(filter=f'userName eq "{tag}-renamed@example.com" and active eq false')] == [u.id]
    every = list(acct.users.list(count=1))
    assert len({x.id for x in every}) == len(every) >= 2
    acct.users.delete(u.id)
    with pytest.raises(NotFound):
        acct.users.get(u.id)


def test_bootstrap_admin_cannot_be_locked_out(acct):
    with pytest.raises(BadRequest, match="bootstrap account admin"):
        acct.users.patch("1", schemas=PATCH, operations=[op("replace", "active", False)])
    with pytest.raises(BadRequest, match="bootstrap account admin"):
        acct.users.patch("1", schemas=PATCH, operations=[op("remove", 'roles[value eq "account_admin"]')])
    with pytest.raises(BadRequest, match="bootstrap account admin"):
        acct.users.delete("1")
    assert acct.users.get("1").active


def test_groups_nest_and_contain_account_principals_only(acct, ws_admin):
    sp = acct.service_principals.create(display_name="acct bot")
    inner = acct.groups.create(display_name=uniq("inner"), members=[iam.ComplexValue(value=sp.id)])
    outer = acct.groups.create(display_name=uniq("outer"), members=[iam.ComplexValue(value=inner.id)])
    assert inner.meta.resource_type == "Group"
    assert [g.value for g in acct.groups.get(inner.id).groups] == [outer.id]
    assert [g.value for g in acct.service_principals.get(sp.id).groups] == [inner.id]
    with pytest.raises(ResourceAlreadyExists):
        acct.groups.create(display_name=inner.display_name)
    with pytest.raises(BadRequest, match="nest a group inside itself"):
        acct.groups.patch(inner.id, schemas=PATCH, operations=[op("add", "members", [{"value": outer.id}])])
    local = next(g for g in ws_admin.groups.list() if g.display_name == "admins")
    with pytest.raises(BadRequest, match=f"Member {local.id} does not exist"):
        acct.groups.patch(inner.id, schemas=PATCH, operations=[op("add", "members", [{"value": local.id}])])
    with pytest.raises(InvalidParameterValue, match="Groups cannot hold account roles"):
        acct.groups.update(inner.id, display_name=inner.display_name, roles=[iam.ComplexValue(value="account_admin")])
    with pytest.raises(InvalidParameterValue, match="per workspace"):
        acct.groups.update(inner.id, display_name=inner.display_name,
                           entitlements=[iam.ComplexValue(value="workspace-access")])
    acct.groups.patch(inner.id, schemas=PATCH, operations=[op("remove", f'members[value eq "{sp.id}"]')])
    assert not acct.groups.get(inner.id).members
    assert [g.id for g in acct.groups.list(filter=f'displayName sw "{outer.display_name[:9]}"')] == [outer.id]
    acct.groups.delete(inner.id)
    assert not acct.groups.get(outer.id).members


def test_service_principals_generate_and_keep_application_ids(acct):
    sp = acct.service_principals.create(display_name="gen")
    assert uuid.UUID(sp.application_id)
    fixed = str(uuid.uuid4())
    other = acct.service_principals.create(application_id=fixed, display_name="fixed")
    assert other.application_id == fixed
    with pytest.raises(ResourceAlreadyExists):
        acct.service_principals.create(application_id=fixed)
    with pytest.raises(InvalidParameterValue, match="not a UUID"):
        acct.service_principals.create(application_id="nope")
    with pytest.raises(InvalidParameterValue, match="cannot be changed"):
        acct.service_principals.update(sp.id, application_id=fixed)
    acct.service_principals.update(sp.id, display_name="renamed")
    got = acct.service_principals.get(sp.id)
    assert (got.application_id, got.display_name) == (sp.application_id, "renamed")
    listed = list(acct.service_principals.list(filter=f'applicationId eq "{fixed}"', attributes="displayName"))
    assert [(s.id, s.display_name, s.application_id) for s in listed] == [(other.id, "fixed", None)]
    acct.service_principals.delete(sp.id)
    with pytest.raises(NotFound):
        acct.service_principals.get(sp.id)


def test_account_scim_needs_an_account_admin(backend, acct, workspace, ws_admin):
    sp = ws_admin.service_principals.create(display_name="ws only")
    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/scim/v2/Users",
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
