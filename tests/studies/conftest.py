"""A private PostgreSQL server for the study tests: the real server, not a stand-in.

The server's binaries come with the `dev` extra (the `pgserver` package ships PostgreSQL's own
initdb, pg_ctl and postgres), so the README's setup command installs them; an installed server
(initdb on PATH, or Debian's `postgresql` package) serves where that package has no build. Root
cannot run the server, so as root it runs as the `postgres` user (or `nobody`).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL_HINT = 'pip install -e ".[dev]" (it brings pgserver), or apt-get install -y postgresql'


def server_binaries() -> Path:
    """The directory holding initdb and pg_ctl: pgserver's, on PATH, or where Debian puts them."""
    package = importlib.util.find_spec("pgserver")
    if package is not None and package.origin is not None:
        shipped = Path(package.origin).parent / "pginstall" / "bin"
        if (shipped / "initdb").is_file():
            return shipped
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert candidates, f"no PostgreSQL server found: {INSTALL_HINT}"
    return Path(candidates[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL server started for this test session in a temporary directory."""
    binaries = server_binaries()
    home = Path(tempfile.mkdtemp(prefix="workbench-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        account = pwd.getpwnam(user)
        os.chown(home, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", user, "--"]
    data, log, port = home / "data", home / "server.log", free_port()

    def run(*command: str) -> None:
        subprocess.run([*as_user, *command], check=True, capture_output=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "workbench", "--auth=trust", "-E", "UTF8",
            "--no-sync")
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60",
            "start")
    except subprocess.CalledProcessError as error:
        details = error.stderr.decode(errors="replace") + (log.read_text() if log.is_file() else "")
        shutil.rmtree(home, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {details}")
    try:
        yield f"postgresql://workbench@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
