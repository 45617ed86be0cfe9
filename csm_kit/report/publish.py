"""Publishing a report folder without losing or leaking anything.

A report is built in a hidden folder beside its target (same file system, so
the final move is a rename) and moved into place only when it is complete.
Three rules keep a user's files safe:

- Only a folder the kit wrote is ever replaced: a report folder holds a
  ``manifest.json`` naming that report. A folder of the user's that happens to
  carry a month's name is refused, with a message, before any notebook runs.
- Every folder the runner creates for itself (a build folder, the previous
  report while it is being swapped out, the private folder of the data
  snapshot) holds an owner file :data:`OWNER_FILE` with the process id, the
  process's start time and the host. The next run removes such folders whose
  owner is gone (a run killed with ``kill -9``, a power cut), and nothing
  else: a folder without the owner file is never touched.
- On SIGTERM (and Ctrl-C) the runner removes its own folders before it exits
  (:func:`terminating_cleanly`).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

from ..exceptions import ReportError

#: The file inside every folder the runner creates for itself, naming the process that owns it.
OWNER_FILE = ".csm-kit-owner.json"
#: Prefix of the private temporary folders holding the data snapshot (under the system's temp folder).
SNAPSHOT_PREFIX = "csm-kit-snapshot-"
_WORK_NAME = re.compile(r"^\.(?P<report>.+)\.(?P<kind>building|previous)-[0-9a-f]{8,}$")


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from /proc), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()  # field 22 of stat: starttime (fields[0] is field 3, the state)
    except (OSError, IndexError):
        return None


def owner_record() -> dict:
    """What identifies this process as a folder's owner: pid, start time, host.

    >>> sorted(owner_record())
    ['host', 'pid', 'started']
    """
    return {"pid": os.getpid(), "started": _start_time(os.getpid()), "host": socket.gethostname()}


def mark_owned(folder: Path) -> Path:
    """Write the owner file into ``folder`` (which the runner has just created); return the folder."""
    (Path(folder) / OWNER_FILE).write_text(json.dumps(owner_record()), encoding="utf-8")
    return Path(folder)


def owner_gone(folder: Path) -> bool:
    """True when ``folder`` carries an owner file whose process no longer runs on this host.

    False for a folder without an owner file (not ours: never removed), for
    another host's folder (its process cannot be checked from here), and for
    a live owner.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> owner_gone(folder)                 # no owner file: not the runner's, left alone
    False
    >>> owner_gone(mark_owned(folder))     # this very process: alive
    False
    >>> _ = (folder / OWNER_FILE).write_text('{"pid": 999999999, "started": "1", "host": "%s"}' % socket.gethostname())
    >>> owner_gone(folder)
    True
    """
    try:
        owner = json.loads((Path(folder) / OWNER_FILE).read_text(encoding="utf-8"))
        pid, started, host = int(owner["pid"]), owner.get("started"), owner.get("host")
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    # the pid exists: the same process only if it started when the owner file says (pids are reused)
    now = _start_time(pid)
    return started is not None and now is not None and now != started


def remove_stale(out: Path) -> list[Path]:
    """Remove the runner's leftovers whose owner process is gone: in ``out``, and snapshot folders in the temp dir.

    In ``out``: hidden ``.<report>.building-<hex>`` and ``.<report>.previous-<hex>``
    folders. In the system's temporary folder: ``csm-kit-snapshot-*`` folders
    of this user. Each only when it holds an owner file naming a process that
    no longer runs (:func:`owner_gone`). Returns what was removed.
    """
    removed = []
    candidates = []
    if Path(out).is_dir():
        candidates += [p for p in Path(out).iterdir() if p.is_dir() and _WORK_NAME.match(p.name)]
    temp = Path(tempfile.gettempdir())
    try:
        candidates += [p for p in temp.glob(SNAPSHOT_PREFIX + "*")
                       if p.is_dir() and not p.is_symlink() and p.stat().st_uid == os.getuid()]
    except OSError:
        pass
    for folder in candidates:
        if owner_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    return removed


def is_report_folder(folder: Path, name: str) -> bool:
    """True when ``folder`` is a report the kit wrote under ``name``: its ``manifest.json`` says so.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> is_report_folder(folder, "2026-10")
    False
    >>> _ = (folder / "manifest.json").write_text('{"report": "2026-10"}')
    >>> is_report_folder(folder, "2026-10"), is_report_folder(folder, "2026-09")
    (True, False)
    """
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("report") == name


def check_target(target: Path, name: str) -> None:
    """Refuse to publish over anything at ``target`` that is not an earlier report of the same name.

    Raises
    ------
    ReportError
        ``target`` exists and is a file, a link, or a folder without the
        report's ``manifest.json``: the user's own files, never deleted or replaced.
    """
    target = Path(target)
    if not (target.exists() or target.is_symlink()):
        return
    if target.is_symlink() or not target.is_dir() or not is_report_folder(target, name):
        raise ReportError(
            f"{target} already exists and is not a csm-kit report (it has no manifest.json for report "
            f"{name!r}); it was left untouched. Move it away, or choose another --out folder.")


def new_work_folder(out: Path, name: str, kind: str = "building") -> Path:
    """A fresh hidden folder ``.<name>.<kind>-<hex>`` in ``out``, owned by this process."""
    folder = Path(out) / f".{name}.{kind}-{uuid.uuid4().hex[:12]}"
    folder.mkdir()  # mkdir, not mkdtemp: the report keeps the user's usual permissions
    return mark_owned(folder)


def swap_into_place(built: Path, target: Path, name: str) -> None:
    """Move ``built`` to ``target``; an earlier report there is replaced (checked again just before).

    Renames on one file system: the earlier report is first renamed to an
    owned ``.<name>.previous-<hex>`` folder, then the new one takes its place,
    then the earlier one is removed. A crash in between leaves the earlier
    report in that folder, which the next run removes once the owner is gone.
    """
    check_target(target, name)  # it may have appeared while the notebooks ran
    built, target = Path(built), Path(target)
    (built / OWNER_FILE).unlink(missing_ok=True)
    if target.exists():
        backup = target.with_name(f".{name}.previous-{uuid.uuid4().hex[:12]}")
        os.replace(target, backup)
        mark_owned(backup)
        try:
            os.replace(built, target)
        except OSError:
            os.replace(backup, target)  # put the earlier report back
            (target / OWNER_FILE).unlink(missing_ok=True)
            raise
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(built, target)


def private_folder() -> Path:
    """A new private temporary folder (mode 0700, this user's only) for the data snapshot, owned by this process."""
    return mark_owned(Path(tempfile.mkdtemp(prefix=SNAPSHOT_PREFIX)))


class Terminated(BaseException):
    """Raised in the main thread when the process gets SIGTERM during a report run (cleanup then exit)."""

    def __init__(self, signum: int):
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


@contextmanager
def terminating_cleanly():
    """Turn SIGTERM into :class:`Terminated` while the block runs, so its ``finally`` clauses clean up.

    Only in the main thread (Python delivers signals there); elsewhere the
    block runs as is. The earlier handler is restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
