"""Terraform acceptance: the provider block's settings through a real Terraform CLI.

Refused settings fail the plan with Ironbrick's diagnostics; accepted ones apply; with
`TF_LOG=DEBUG` the provider logs each HTTP round trip, and neither the token nor a secret value
reaches the log.
"""

from __future__ import annotations

from pathlib import Path

from support.inventory import assert_account_empty, create_workspace, delete_workspace
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "settings"
SECRET = "settings-secret-value-4242"


def flat(text: str) -> str:
    """Terraform wraps diagnostics: compare with whitespace collapsed."""
    return " ".join(text.split())


def test_provider_settings_refusals_and_redacted_debug_log(tf_factory, fresh_backend, tmp_path):
    made = create_workspace(fresh_backend)
    ws = int(made["workspace_id"])
    work = copy_example(FIXTURE, tmp_path / "settings")
    tf = tf_factory(work)
    base = [f"-var=workspace_id={ws}"]
    tf.env["TF_VAR_secret_value"] = SECRET  # not on the command line, which Terraform logs

    r = tf.run("plan", "-input=false", "-no-color", *base, "-var=auth_type=azure-cli", check=False)
    assert r.code == 1, r.out
    assert 'auth_type "azure-cli" is not supported' in flat(r.err), r.err
    assert "`pat` (`token`), `basic` (`username` and `password`) and `oauth-m2m`" in flat(r.err), r.err

    r = tf.run("plan", "-input=false", "-no-color", *base,
               "-var=azure_workspace_resource_id=/subscriptions/x", check=False)
    assert r.code == 1, r.out
    assert "azure_workspace_resource_id is not supported: Ironbrick serves AWS workspaces." in flat(r.err), r.err

    tf.env["TF_LOG"] = "DEBUG"
    try:
        r = tf.apply(*base, "-var=auth_type=pat", "-var=debug_headers=true")
    finally:
        del tf.env["TF_LOG"]
    log = r.err
    provider_lines = "\n".join(line for line in log.splitlines() if "terraform-provider-databricks" in line)
    for shown in ("ironbrick_api::client", "POST ", "/api/2.0/secrets/put", "status=200", "elapsed_ms=",
                  "authorization: **REDACTED**", '"string_value":"**REDACTED**"'):
        assert shown in provider_lines, f"{shown!r} missing from the provider's debug log"
    assert fresh_backend.token not in log, "the token reached the log"
    assert SECRET not in log, "the secret value reached the log"

    assert tf.plan(*base).code == 0
    tf.destroy(*base)
    delete_workspace(fresh_backend, made)
    assert_account_empty(fresh_backend)
