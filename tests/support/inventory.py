"""What an account holds, read through the account API."""

from __future__ import annotations

import requests

from .server import Backend


def account_inventory(b: Backend) -> dict[str, list]:
    """Everything the account holds, by kind."""
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
