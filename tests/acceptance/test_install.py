"""Installing the provider like any provider, with no dev_overrides and no network.

scripts/install-provider (run on the debug build, with a fresh HOME) installs into Terraform's
implicit local mirror and writes the release layout; `terraform init` then works with no CLI
configuration file, from the packed filesystem mirror and from the network mirror (served over
HTTPS on 127.0.0.1), and records the package's h1: hash in `.terraform.lock.hcl`. Every
Terraform command runs with its proxy pointed at a closed loopback port, so any attempt to reach
a registry fails the test.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.server import REPO, binary, free_port
from support.terraform import INSTALL_SCRIPT, host_platform

SOURCE = "registry.terraform.io/ironbrick/databricks"
PLAT = host_platform()
CONFIG = """terraform {
  required_providers {
    databricks = {
      source = "ironbrick/databricks"
    }
  }
}

provider "databricks" {}

resource "databricks_secret_scope" "this" {
  name = "install-check"
}
"""


def version() -> str:
    """provider/plugin's version: its own, or the workspace's it inherits (Cargo.toml)."""
    own = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "provider" / "plugin" / "Cargo.toml").read_text(), re.M)
    text = (REPO / "Cargo.toml").read_text()
    m = own or re.search(r'^\[workspace\.package\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
    assert m, "no version for provider/plugin in Cargo.toml"
    return m.group(1)


VERSION = version()
EXE = f"terraform-provider-databricks_v{VERSION}"
ZIP = f"terraform-provider-databricks_{VERSION}_{PLAT}.zip"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def expected_h1(provider: Path) -> str:
    """Terraform's h1: for a package holding one file: SHA-256 of "<sha256>  <name>\\n", base64."""
    line = f"{sha256(provider)}  {EXE}\n".encode()
    return "h1:" + base64.b64encode(hashlib.sha256(line).digest()).decode()


@dataclass
class Installed:
    home: Path
    release: Path
    provider: Path
    output: str


def run_script(home: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    p = subprocess.run([str(INSTALL_SCRIPT), *args], env={**env, "HOME": str(home)}, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, f"scripts/install-provider {' '.join(args)} exited {p.returncode}\n{p.stdout}{p.stderr}"
    return p.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("install")
    home, release = root / "home", root / "release"
    home.mkdir()
    provider = binary("terraform-provider-databricks", "PROVIDER_BIN")
    out = run_script(home, "--binary", str(provider), "--release-dir", str(release))
    return Installed(home, release, provider, out)


def offline_env(home: Path, **extra: str) -> dict[str, str]:
    """No CLI config, a given HOME, and every HTTP(S) request sent to a closed loopback port."""
    dead = f"http://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TF_", "DATABRICKS_")) and k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
    return {**env, "HOME": str(home), "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "NO_PROXY": "",
            "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", **extra}


def terraform(exe: Path, workdir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *args, "-no-color"], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=300)


def workdir(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "main.tf").write_text(CONFIG)
    return d


def locked(workdir: Path) -> tuple[str, set[str]]:
    """The version and hashes .terraform.lock.hcl records for ironbrick/databricks."""
    text = (workdir / ".terraform.lock.hcl").read_text()
    m = re.search(r'provider "' + re.escape(SOURCE) + r'" \{\s*version\s*=\s*"([^"]+)"(.*?)\n\}', text, re.S)
    assert m, f"no lock entry for {SOURCE}:\n{text}"
    hashes = re.search(r"hashes\s*=\s*\[(.*?)\]", m.group(2), re.S)
    return m.group(1), set(re.findall(r'"([^"]+)"', hashes.group(1) if hashes else ""))


def assert_init(exe: Path, wd: Path, env: dict[str, str], provider: Path) -> subprocess.CompletedProcess:
    r = terraform(exe, wd, env, "init", "-input=false")
    assert r.returncode == 0, f"terraform init failed:\n{r.stdout}\n{r.stderr}"
    text = r.stdout + r.stderr
    assert f"Installed ironbrick/databricks v{VERSION}" in text, text
    assert "dev_overrides" not in text and "development overrides" not in text.lower(), text
    assert locked(wd) == (VERSION, {expected_h1(provider)})
    v = terraform(exe, wd, env, "validate")  # starts the installed plugin for its schema
    assert v.returncode == 0, f"terraform validate failed:\n{v.stdout}\n{v.stderr}"
    return r


# --- the script ---------------------------------------------------------------------------------


def test_installs_into_the_implicit_mirror(installed):
    pkg = installed.home / ".terraform.d" / "plugins" / SOURCE / VERSION / PLAT
    assert [p.name for p in pkg.iterdir()] == [EXE]
    exe = pkg / EXE
    assert stat.S_IMODE(exe.stat().st_mode) == 0o755
    assert sha256(exe) == sha256(installed.provider)
    assert f"package hash {expected_h1(installed.provider)}" in installed.output, installed.output


def test_running_again_changes_nothing(installed):
    before = {p: sha256(p) for p in installed.release.rglob("*") if p.is_file()}
    out = run_script(installed.home, "--binary", str(installed.provider), "--release-dir", str(installed.release))
    assert "is up to date" in out and "wrote" not in out and "installed" not in out, out
    assert {p: sha256(p) for p in installed.release.rglob("*") if p.is_file()} == before


def test_release_layout(installed):
    rel, provider = installed.release, installed.provider
    names = sorted(p.name for p in rel.iterdir() if p.is_file())
    manifest, sums = f"terraform-provider-databricks_{VERSION}_manifest.json", \
        f"terraform-provider-databricks_{VERSION}_SHA256SUMS"
    assert names == sorted([ZIP, manifest, sums])

    with zipfile.ZipFile(rel / ZIP) as z:
        [info] = z.infolist()
        assert info.filename == EXE
        assert info.create_system == 3 and (info.external_attr >> 16) == 0o100755
        assert hashlib.sha256(z.read(info)).hexdigest() == sha256(provider)

    assert json.loads((rel / manifest).read_text()) == {"version": 1, "metadata": {"protocol_versions": ["6.0"]}}
    lines = (rel / sums).read_text().splitlines()
    assert sorted(lines) == sorted(f"{sha256(rel / n)}  {n}" for n in (ZIP, manifest))
    check = subprocess.run(["sha256sum", "--check", "--strict", sums], cwd=rel, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    mirror = rel / SOURCE
    assert sorted(p.name for p in mirror.iterdir()) == sorted([ZIP, "index.json", f"{VERSION}.json"])
    assert sha256(mirror / ZIP) == sha256(rel / ZIP)
    assert json.loads((mirror / "index.json").read_text()) == {"versions": {VERSION: {}}}
    assert json.loads((mirror / f"{VERSION}.json").read_text()) == {"archives": {PLAT: {
        "url": ZIP, "hashes": [expected_h1(provider), f"zh:{sha256(rel / ZIP)}"]}}}


def test_release_collects_platforms(terraform_exe, tmp_path):
    """Zips for other platforms (built elsewhere) join SHA256SUMS, <version>.json and lock files."""
    rel, home = tmp_path / "release", tmp_path / "home"
    home.mkdir()
    builds = {}
    for plat in ("linux_amd64", "linux_arm64"):
        exe = tmp_path / f"provider-{plat}"
        exe.write_text(f"#!/bin/sh\necho {plat}\n")
        exe.chmod(0o755)
        builds[plat] = exe
        run_script(home, "--binary", str(exe), "--platform", plat, "--no-install", "--release-dir", str(rel))
    assert not (home / ".terraform.d").exists()
    zips = {plat: f"terraform-provider-databricks_{VERSION}_{plat}.zip" for plat in builds}
    listed = {line.split("  ")[1] for line in (rel / f"terraform-provider-databricks_{VERSION}_SHA256SUMS")
              .read_text().splitlines()}
    assert listed == {*zips.values(), f"terraform-provider-databricks_{VERSION}_manifest.json"}
    archives = json.loads((rel / SOURCE / f"{VERSION}.json").read_text())["archives"]
    assert {plat: a["hashes"][0] for plat, a in archives.items()} == {p: expected_h1(e) for p, e in builds.items()}

    wd = workdir(tmp_path, "lock")
    r = terraform(terraform_exe, wd, offline_env(home), "providers", "lock", f"-fs-mirror={rel}",
                  *(f"-platform={p}" for p in builds))
    assert r.returncode == 0, r.stdout + r.stderr
    assert locked(wd) == (VERSION, {expected_h1(e) for e in builds.values()})


# --- terraform init, with each CLI ----------------------------------------------------------------


def test_init_offline_with_no_cli_config(terraform_exe, installed, tmp_path):
    wd = workdir(tmp_path, "implicit")
    env = offline_env(installed.home)
    assert_init(terraform_exe, wd, env, installed.provider)
    linked = wd / ".terraform" / "providers" / SOURCE / VERSION / PLAT
    assert (linked / EXE).is_file()
    lock = (wd / ".terraform.lock.hcl").read_text()
    again = terraform(terraform_exe, wd, env, "init", "-input=false")
    assert again.returncode == 0, again.stdout + again.stderr
    assert (wd / ".terraform.lock.hcl").read_text() == lock


def test_init_without_the_install_fails_offline(terraform_exe, tmp_path):
    """The control: the same offline init with an empty HOME cannot find the provider."""
    wd = workdir(tmp_path, "empty-home")
    home = tmp_path / "home"
    home.mkdir()
    r = terraform(terraform_exe, wd, offline_env(home), "init", "-input=false")
    assert r.returncode != 0
    assert "ironbrick/databricks" in r.stderr + r.stdout


def test_init_from_packed_filesystem_mirror(terraform_exe, installed, tmp_path):
    rc = tmp_path / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{installed.release}"\n    include = ["{SOURCE}"]\n  }}\n'
        f'  direct {{\n    exclude = ["{SOURCE}"]\n  }}\n'
        "}\n")
    home = tmp_path / "home"
    home.mkdir()
    env = offline_env(home, TF_CLI_CONFIG_FILE=str(rc))
    wd = workdir(tmp_path, "packed")
    assert_init(terraform_exe, wd, env, installed.provider)
    unpacked = wd / ".terraform" / "providers" / SOURCE / VERSION / PLAT / EXE
    assert stat.S_IMODE(unpacked.stat().st_mode) == 0o755  # the zip's mode survives extraction
    r = terraform(terraform_exe, wd, env, "providers", "lock", f"-fs-mirror={installed.release}",
                  f"-platform={PLAT}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert locked(wd) == (VERSION, {expected_h1(installed.provider)})


def test_init_from_network_mirror(terraform_exe, installed, tmp_path):
    cert = self_signed_cert(tmp_path)
    # /good/ serves the release directory; /bad/ the same zip with a wrong h1: in <version>.json.
    root = tmp_path / "www"
    root.mkdir()
    (root / "good").symlink_to(installed.release)
    bad = root / "bad" / SOURCE
    bad.mkdir(parents=True)
    for name in (ZIP, "index.json"):
        (bad / name).symlink_to(installed.release / SOURCE / name)
    doc = json.loads((installed.release / SOURCE / f"{VERSION}.json").read_text())
    doc["archives"][PLAT]["hashes"] = ["h1:" + base64.b64encode(hashlib.sha256(b"other").digest()).decode()]
    (bad / f"{VERSION}.json").write_text(json.dumps(doc))

    home = tmp_path / "home"
    home.mkdir()
    with HttpsServer(root, cert) as server:
        def env_for(prefix: str) -> dict[str, str]:
            rc = tmp_path / f"{prefix}.tfrc"
            rc.write_text(
                "provider_installation {\n"
                f'  network_mirror {{\n    url     = "{server.url}/{prefix}/"\n    include = ["{SOURCE}"]\n  }}\n'
                "}\n")
            return offline_env(home, TF_CLI_CONFIG_FILE=str(rc), SSL_CERT_FILE=str(cert), NO_PROXY="127.0.0.1")

        r = assert_init(terraform_exe, workdir(tmp_path, "network"), env_for("good"), installed.provider)
        assert "verified checksum" in r.stdout, r.stdout
        assert {f"/good/{SOURCE}/index.json", f"/good/{SOURCE}/{VERSION}.json", f"/good/{SOURCE}/{ZIP}"} \
            <= server.paths

        r = terraform(terraform_exe, workdir(tmp_path, "tampered"), env_for("bad"), "init", "-input=false")
        assert r.returncode != 0, r.stdout
        assert "checksum" in (r.stdout + r.stderr).lower(), r.stdout + r.stderr


# --- helpers: a self-signed certificate and an HTTPS static server on 127.0.0.1 ---------------------


def self_signed_cert(tmp_path: Path) -> Path:
    """A certificate for IP 127.0.0.1 made with openssl; Terraform trusts it via SSL_CERT_FILE."""
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is missing: install Debian's openssl (`apt-get install openssl`; .ci/run does)")
    key, crt = tmp_path / "key.pem", tmp_path / "cert.pem"
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(crt)], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"openssl failed (install Debian's openssl): {p.stderr}")
    return crt


class HttpsServer:
    """Serves a directory over HTTPS on 127.0.0.1 from a thread, recording the paths requested."""

    def __init__(self, root: Path, cert: Path) -> None:
        self.paths: set[str] = set()
        paths = self.paths

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                paths.add(self.path)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     functools.partial(Handler, directory=str(root)))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, cert.parent / "key.pem")
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "HttpsServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.thread.join()
        self.httpd.server_close()
