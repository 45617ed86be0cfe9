"""What produced a report: parameters, versions, git revision, data fingerprint, timings."""
from __future__ import annotations

import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd


def utc_now() -> str:
    """The current time in UTC, ISO 8601 (the manifest records run times; metrics never read the clock).

    >>> utc_now()  # doctest: +ELLIPSIS
    '20...+00:00'
    """
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def git_revision(path: Path) -> str | None:
    """The git commit of the repository at ``path`` (``-dirty`` if files changed), or None.

    None without git, or when ``path`` is not a repository's top folder (only the
    top: a kit installed into a virtualenv inside some other repository
    must not report that repository's revision as its own.)

    >>> import tempfile
    >>> git_revision(Path(tempfile.gettempdir())) is None  # not a repository
    True
    """
    if not (Path(path) / ".git").exists():
        return None
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=path,
                               capture_output=True, text=True, timeout=10)
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.TimeoutExpired):
        return None


def environment() -> dict:
    """Versions that matter for reproducing numbers.

    >>> sorted(environment())
    ['csm_kit', 'pandas', 'platform', 'python']
    """
    from .. import __version__

    return {
        "csm_kit": __version__,
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "platform": platform.platform(),
    }
