"""Throwaway servers for tests: a PostgreSQL cluster in a temporary folder on a free local port.

Debian's ``postgresql`` package provides the server binaries
(``/usr/lib/postgresql/<version>/bin``); :func:`postgres_server` runs
``initdb`` on a fresh folder, starts the server on 127.0.0.1 with a free
port, yields an SQLAlchemy URL, and stops the server and removes the folder
afterwards. ``initdb`` refuses to run as root, so as root the server runs as
the ``postgres`` user (created by the package) or, failing that, ``nobody``.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def postgres_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (the newest installed version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """Who runs the server: None (the current user) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("Running as root and neither a 'postgres' nor a 'nobody' user exists to run initdb as.")


def _run(cmd: list[str], user: str | None, **kwargs) -> subprocess.CompletedProcess:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kwargs)


@contextlib.contextmanager
def postgres_server(database: str = "csm"):
    """Start a throwaway PostgreSQL server; yields ``postgresql://csm@127.0.0.1:<port>/<database>``.

    Trust authentication on 127.0.0.1 only (no password; nothing listens on
    other addresses); the cluster lives in a temporary folder that is removed
    when the block ends, whatever happens inside it.
    """
    binaries = postgres_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL's server binaries are not installed (Debian: apt-get install postgresql).")
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix="csm-kit-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    started = False
    try:
        init = _run([str(binaries / "initdb"), "-D", str(data), "-U", "csm", "--auth=trust", "-E", "UTF8",
                     "--locale=C"], user)
        if init.returncode:
            raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = _run([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"], user)
        if start.returncode:
            text = log.read_text() if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{start.stdout}\n{start.stderr}\n{text}")
        started = True
        created = _run([str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "csm", database], user)
        if created.returncode:
            raise RuntimeError(f"createdb failed:\n{created.stderr}")
        yield f"postgresql://csm@127.0.0.1:{port}/{database}"
    finally:
        if started:
            _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
        shutil.rmtree(root, ignore_errors=True)
