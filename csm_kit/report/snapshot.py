"""The report runner's validated copy of the data, handed to its notebooks.

Every report notebook starts with ``csm_kit.load_dataset(data)`` (through
``csm_kit.report_data``), which reads, types and validates the tables: about a
second on the sample data, paid once per notebook. The runner has already
loaded and validated the same data before any notebook starts, so it pickles
that :class:`~csm_kit.dataset.Dataset` into a private temporary folder
(mode 0700, never inside the report's ``--out`` folder, which people share;
removed when the run ends) and names the file in the environment variable
:data:`ENV` for the kernels it starts. :func:`csm_kit.load_dataset` returns
the copy (in ~0.05 s) only when it is asked for exactly what was
snapshotted: the same source, all tables, the same column mapping (or none
given), and for a local folder or file, files whose names, sizes and
modification times have not changed since. In every other case it loads as
usual, so the ``data`` parameter keeps its meaning and a notebook run by
hand, or by papermill, is unaffected.

A database URL is matched by its text with the password masked
(:func:`redact`): the runner passes the notebooks that masked URL, so a
password never reaches an executed notebook, its HTML or a log, and the
notebooks read the runner's copy instead of connecting (its contents cannot
be stamped, but the snapshot only exists for the run that made it).
"""
from __future__ import annotations

import json
import os
import pickle
import re
import warnings
from pathlib import Path

#: Environment variable naming the snapshot file (set by the runner for its kernels only).
ENV = "CSM_KIT_DATASET_SNAPSHOT"
_FORMAT = 2
#: The snapshot's file name inside the runner's private folder.
FILE_NAME = "dataset.pkl"


def is_url(source) -> bool:
    """True for an SQLAlchemy URL (``dialect://...``), False for a path or anything else.

    >>> is_url("postgresql://u:pw@db/cs"), is_url("data/sample")
    (True, False)
    """
    return isinstance(source, str) and "://" in source


def redact(source) -> str:
    """The data source as it may be shown or written anywhere: a URL's password masked as ``***``.

    >>> redact("postgresql://analyst:s3cret@db.internal:5432/cs")
    'postgresql://analyst:***@db.internal:5432/cs'
    >>> redact("data/sample")
    'data/sample'
    """
    text = str(source)
    if not is_url(text):
        return text
    import sqlalchemy

    try:
        return sqlalchemy.engine.make_url(text).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: mask everything between :// and @
        return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", text)


def mapping_key(mapping):
    """What identifies a column mapping: None; a file's path, size and mtime; or a mapping's sorted JSON.

    >>> mapping_key(None) is None
    True
    >>> mapping_key({"customers": {"id": "customer_id"}})
    '{"customers": {"id": "customer_id"}}'
    """
    if mapping is None:
        return None
    if isinstance(mapping, (str, Path)):
        path = Path(mapping)
        if path.is_file():
            return (str(path.resolve()), path.stat().st_size, path.stat().st_mtime_ns)
        return str(mapping)
    try:
        return json.dumps(mapping, sort_keys=True, default=str)
    except TypeError:
        return repr(mapping)


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
    return redact(source) if is_url(source) else str(Path(source).resolve())


def write_snapshot(dataset, source, folder: Path, *, mapping=None) -> Path | None:
    """Pickle ``dataset``, loaded from ``source``, into ``folder``; None (nothing written) if it can't be matched.

    Parameters
    ----------
    dataset : Dataset
        The data as :func:`csm_kit.load_dataset` returned it for ``source`` (all tables).
    source : str or Path
        The local folder or file, or the SQLAlchemy URL, it was loaded from.
    folder : Path
        Where to write :data:`FILE_NAME`: the runner's private temporary folder.
    mapping : optional
        The column mapping the data was loaded with (part of the snapshot's key).

    Returns
    -------
    Path or None
        The file written; None for a source that is neither a URL nor a local
        file or folder (an in-memory dict).
    """
    url = is_url(source)
    stamp = None if url else source_stamp(source)
    if stamp is None and not url:
        return None
    path = Path(folder) / FILE_NAME
    with open(path, "wb") as fh:
        pickle.dump({"format": _FORMAT, "source": _key(source), "stamp": stamp, "mapping": mapping_key(mapping),
                     "dataset": dataset}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def read_snapshot(source, *, mapping=None):
    """The runner's snapshot of ``source`` if one is announced in :data:`ENV` and still current, else None.

    ``mapping``: the column mapping asked for; None accepts the runner's
    (a notebook loads what the runner loaded), anything else must be the same.
    Warnings the original load emitted are emitted again, as a fresh load would.

    >>> read_snapshot("data/sample") is None  # no runner around: load as usual
    True
    """
    path = os.environ.get(ENV)
    if not path or not isinstance(source, (str, Path)):
        return None
    url = is_url(source)
    if not url and source_stamp(source) is None:
        return None
    try:
        with open(path, "rb") as fh:
            snap = pickle.load(fh)  # written by this machine's runner moments ago, never from elsewhere
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if snap.get("format") != _FORMAT or snap.get("source") != _key(source):
        return None
    if not url and snap.get("stamp") != source_stamp(source):
        return None
    if mapping is not None and mapping_key(mapping) != snap.get("mapping"):
        return None
    from ..exceptions import DataValidationWarning

    dataset = snap["dataset"]
    for message in dataset.warnings:
        warnings.warn(message, DataValidationWarning, stacklevel=3)
    return dataset
