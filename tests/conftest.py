"""Shared fixtures: a backend per test module, SDK clients, and a helper that creates a workspace."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from databricks.sdk import AccountClient, WorkspaceClient  # noqa: E402
from databricks.sdk.service import provisioning  # noqa: E402

from support import postgres  # noqa: E402
from support.server import Backend, new_backend, remove  # noqa: E402


@pytest.fixture(scope="module")
def backend() -> Backend:
    b = new_backend()
    yield b
    remove(b)


@pytest.fixture(scope="module")
def acct(backend: Backend) -> AccountClient:
    return AccountClient(host=backend.host, account_id=backend.account_id, token=backend.token)


def account_objects(a: AccountClient) -> tuple[str, str]:
    cred = a.credentials.create(
        credentials_name=f"cred-{uuid.uuid4().hex[:6]}",
        aws_credentials=provisioning.CreateCredentialAwsCredentials(
            sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/ironbrick")
        ),
    )
    storage = a.storage.create(
        storage_configuration_name=f"storage-{uuid.uuid4().hex[:6]}",
        root_bucket_info=provisioning.RootBucketInfo(bucket_name="ironbrick-root"),
    )
    return cred.credentials_id, storage.storage_configuration_id


def make_workspace(a: AccountClient, **kw) -> provisioning.Workspace:
    cred, storage = account_objects(a)
    kw.setdefault("workspace_name", f"ws-{uuid.uuid4().hex[:6]}")
    kw.setdefault("aws_region", "us-east-1")
    return a.workspaces.create_and_wait(credentials_id=cred, storage_configuration_id=storage, **kw)


def make_key(a: AccountClient, region: str = "us-east-1", use_cases=("MANAGED_SERVICES",), arn: str | None = None):
    arn = arn or f"arn:aws:kms:{region}:123456789012:key/{uuid.uuid4()}"
    return a.encryption_keys.create(
        aws_key_info=provisioning.CreateAwsKeyInfo(key_arn=arn),
        use_cases=[provisioning.KeyUseCase(u) for u in use_cases],
    )


@pytest.fixture
def workspace(acct: AccountClient) -> provisioning.Workspace:
    return make_workspace(acct)


@pytest.fixture
def ws_admin(backend: Backend, workspace) -> WorkspaceClient:
    return WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=backend.token)


# --- Terraform acceptance (tests/acceptance) -------------------------------------------------


def pytest_generate_tests(metafunc) -> None:
    """Runs each acceptance test once per Terraform CLI available (missing tools fail loudly)."""
    if "terraform_exe" in metafunc.fixturenames:
        from support.terraform import cli_id, clis

        found = clis()
        metafunc.parametrize("terraform_exe", found, ids=[cli_id(c) for c in found])


@pytest.fixture
def fresh_backend() -> Backend:
    b = new_backend("--provisioning-delay", "200ms")
    yield b
    remove(b)


@pytest.fixture
def tf_factory(terraform_exe: Path, fresh_backend: Backend):
    from support.terraform import Terraform

    def make(workdir: Path):
        return Terraform(terraform_exe, workdir, fresh_backend)

    return make


@pytest.fixture(scope="module")
def pg():
    """A throwaway PostgreSQL server of the test module's own (initdb + pg_ctl on a loopback
    port), removed after the module."""
    server = postgres.Postgres()
    yield server
    server.remove()
