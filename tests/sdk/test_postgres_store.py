"""The backend on PostgreSQL (--store postgres://): it answers 503 TEMPORARILY_UNAVAILABLE while
the database is down and recovers by itself, with nothing committed lost. Needs the PostgreSQL
server binaries (the test fails with an install hint without them)."""

from __future__ import annotations

import time

import pytest
import requests
from databricks.sdk import AccountClient
from databricks.sdk.service import provisioning

from support.server import new_backend, remove


def test_database_outage_answers_503_then_recovers(pg):
    b = new_backend("--store", pg.database())
    try:
        acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        cred = acct.credentials.create(
            credentials_name="before-outage",
            aws_credentials=provisioning.CreateCredentialAwsCredentials(
                sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/x")
            ),
        )
        url = f"{b.host}/api/2.0/accounts/{b.account_id}/credentials/{cred.credentials_id}"
        headers = {"Authorization": f"Bearer {b.token}"}
        assert requests.get(url, headers=headers, timeout=10).status_code == 200

        pg.stop()
        r = requests.get(url, headers=headers, timeout=30)
        assert r.status_code == 503, r.text
        assert r.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "postgres" not in r.text.lower(), "details stay in the log"
        assert requests.get(f"{b.host}/healthz", timeout=10).ok, "the process stays up"

        pg.start()
        deadline = time.time() + 30
        while True:
            r = requests.get(url, headers=headers, timeout=30)
            if r.status_code == 200 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert r.status_code == 200, r.text
        assert r.json()["credentials_name"] == "before-outage"
    finally:
        remove(b)


def test_the_password_stays_out_of_the_log(pg):
    url = pg.database().replace("ironbrick@", "ironbrick:pw-never-logged@")
    b = new_backend("--store", url)
    try:
        log = (b.data_dir.parent / f"ironbrick-{b.port}.log").read_text()
        assert "PostgreSQL store is ready" in log
        assert "pw-never-logged" not in log
    finally:
        remove(b)
