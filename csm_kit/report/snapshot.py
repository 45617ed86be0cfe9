"""The report runner's validated copy of the data, handed to its notebooks.

Every report notebook starts with ``csm_kit.load_dataset(data)``, which reads,
types and validates the tables: about a second on the sample data, paid once
per notebook. The runner has already loaded and validated the same data before
any notebook starts, so it pickles that :class:`~csm_kit.dataset.Dataset` and
names the file in the environment variable :data:`ENV` for the kernels it
starts. :func:`csm_kit.load_dataset` returns the copy (in ~0.05 s) only when
it is asked for exactly what was snapshotted: the same source path, all
tables, and files whose names, sizes and modification times have not changed
since. In every other case it loads as usual, so the ``data`` parameter keeps
its meaning and a notebook run by hand, or by papermill, is unaffected.

Database sources (URLs, DuckDB files are treated as files) are never
snapshotted from a URL: their contents cannot be stamped cheaply.
"""
from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

#: Environment variable naming the snapshot file (set by the runner for its kernels only).
ENV = "CSM_KIT_DATASET_SNAPSHOT"
_FORMAT = 1


def source_stamp(source) -> tuple | None:
    """What identifies the contents of a local source cheaply: file names, sizes and mtimes.

    None for anything that is not a local file or folder (SQLAlchemy URLs,
    in-memory frames): those are never snapshotted.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "customers.csv").write_text("customer_id,signup_date\\n")
    >>> [entry[0] for entry in source_stamp(folder)]
    ['customers.csv']
    >>> source_stamp("sqlite:///cs.db") is None
    True
    """
    if not isinstance(source, (str, Path)) or "://" in str(source):
        return None
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file())
    elif path.is_file():
        files = [path]
    else:
        return None
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)


def _key(source) -> str:
    return str(Path(source).resolve())


def write_snapshot(dataset, source, path: Path) -> Path | None:
    """Pickle ``dataset``, loaded from ``source``, to ``path``; None (nothing written) if it cannot be stamped.

    Parameters
    ----------
    dataset : Dataset
        The data as :func:`csm_kit.load_dataset` returned it for ``source`` (all tables).
    source : str or Path
        The local folder or file it was loaded from.
    path : Path
        Where to write the snapshot.
    """
    stamp = source_stamp(source)
    if stamp is None:
        return None
    with open(path, "wb") as fh:
        pickle.dump({"format": _FORMAT, "source": _key(source), "stamp": stamp, "dataset": dataset}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    return Path(path)


def read_snapshot(source):
    """The runner's snapshot of ``source`` if one is announced in :data:`ENV` and still current, else None.

    Warnings the original load emitted are emitted again, as a fresh load would.

    >>> read_snapshot("data/sample") is None  # no runner around: load as usual
    True
    """
    path = os.environ.get(ENV)
    if not path or source_stamp(source) is None:
        return None
    try:
        with open(path, "rb") as fh:
            snap = pickle.load(fh)  # written by this machine's runner moments ago, never from elsewhere
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if (snap.get("format") != _FORMAT or snap.get("source") != _key(source)
            or snap.get("stamp") != source_stamp(source)):
        return None
    from ..exceptions import DataValidationWarning

    dataset = snap["dataset"]
    for message in dataset.warnings:
        warnings.warn(message, DataValidationWarning, stacklevel=3)
    return dataset
