"""Acknowledged writes survive SIGKILL."""

import signal

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service.settings import ListType

from conftest import make_workspace
from support.server import new_backend, remove


def test_acknowledged_writes_survive_kill_9():
    b = new_backend()
    try:
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        workspaces = [make_workspace(a, workspace_name=f"durable-{i}") for i in range(3)]
        w = WorkspaceClient(host=b.ws_url(workspaces[0].workspace_id), token=b.token)
        tokens = [w.tokens.create(comment=f"t{i}").token_value for i in range(10)]
        lst = w.ip_access_lists.create(label="kept", list_type=ListType.ALLOW, ip_addresses=["10.0.0.0/8"])
        w.workspace_conf.set_status({"maxTokenLifetimeDays": "12"})
        b.stop(signal.SIGKILL)
        b.start()
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        assert {x.workspace_id for x in workspaces} <= {x.workspace_id for x in a.workspaces.list()}
        for t in tokens:
            assert WorkspaceClient(host=b.ws_url(workspaces[0].workspace_id), token=t).current_user.me()
        w = WorkspaceClient(host=b.ws_url(workspaces[0].workspace_id), token=b.token)
        assert w.ip_access_lists.get(lst.ip_access_list.list_id).ip_access_list.label == "kept"
        assert w.workspace_conf.get_status(keys="maxTokenLifetimeDays") == {"maxTokenLifetimeDays": "12"}
    finally:
        remove(b)
