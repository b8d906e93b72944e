"""The provider binary's go-plugin contract, as Terraform's plugin client sees it."""

from __future__ import annotations

import base64
import os
import subprocess

import pytest

from support.server import binary

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"


def run_plugin(env: dict[str, str], timeout: float = 20) -> tuple[int | None, str, str]:
    """Starts the plugin, reads its first stdout line, then stops it by PID."""
    exe = binary("terraform-provider-databricks", "PROVIDER_BIN")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "PLUGIN_"))}
    proc = subprocess.Popen([str(exe)], env={**base, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        code = proc.poll()
        if code is None:
            proc.kill()
        proc.wait(timeout=timeout)
        return code if code is not None else None, line.strip(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_run_by_hand_explains_itself():
    exe = binary("terraform-provider-databricks", "PROVIDER_BIN")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    p = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert "Terraform plugin" in p.stderr and "not meant to be run directly" in p.stderr
    assert p.stdout == ""


def test_refuses_hosts_without_protocol_6():
    code, line, err = run_plugin({"TF_PLUGIN_MAGIC_COOKIE": COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "4,5"})
    assert line == ""
    assert "only version 6" in err


@pytest.mark.parametrize("mtls", [False, True], ids=["plain", "automtls"])
def test_handshake_line_within_port_range(mtls):
    env = {"TF_PLUGIN_MAGIC_COOKIE": COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "5,6",
           "PLUGIN_MIN_PORT": "20100", "PLUGIN_MAX_PORT": "20199"}
    if mtls:
        env["PLUGIN_CLIENT_CERT"] = real_client_cert()
    code, line, err = run_plugin(env)
    assert code is None, err
    core, proto, net, addr, wire, cert = line.split("|")
    assert (core, proto, net, wire) == ("1", "6", "tcp", "grpc")
    host, port = addr.rsplit(":", 1)
    assert host == "127.0.0.1" and 20100 <= int(port) <= 20199
    if mtls:
        der = base64.b64decode(cert + "=" * (-len(cert) % 4))
        assert der[0] == 0x30 and b"localhost" in der
    else:
        assert cert == ""


def real_client_cert() -> str:
    """A P-521 self-signed certificate made with openssl, like go-plugin's client certificate."""
    p = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521", "-nodes",
         "-keyout", "/dev/null", "-days", "1", "-subj", "/CN=localhost"],
        capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"openssl failed (install Debian's openssl): {p.stderr}")
    return p.stdout
