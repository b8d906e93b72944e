"""Acceptance fixtures: a fresh backend per test and every Terraform CLI available."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from support.server import Backend, new_backend, remove
from support.terraform import Terraform, cli_id, clis

CLIS = clis()


@pytest.fixture(params=CLIS, ids=[cli_id(c) for c in CLIS])
def terraform_exe(request) -> Path:
    return request.param


@pytest.fixture
def fresh_backend() -> Backend:
    b = new_backend("--provisioning-delay", "200ms")
    yield b
    remove(b)


@pytest.fixture
def tf_factory(terraform_exe: Path, fresh_backend: Backend, tmp_path: Path):
    def make(workdir: Path) -> Terraform:
        return Terraform(terraform_exe, workdir, fresh_backend)
    return make


def account_inventory(b: Backend) -> dict[str, list]:
    """Everything the account holds, through the account API."""
    base = f"{b.host}/api/2.0/accounts/{b.account_id}"
    h = {"Authorization": f"Bearer {b.token}"}
    out = {}
    for kind in ("workspaces", "credentials", "storage-configurations", "networks", "customer-managed-keys"):
        r = requests.get(f"{base}/{kind}", headers=h, timeout=10)
        r.raise_for_status()
        out[kind] = r.json()
    return out


def assert_account_empty(b: Backend) -> None:
    inv = account_inventory(b)
    assert all(v == [] for v in inv.values()), inv
