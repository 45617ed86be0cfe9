"""Segment-style product analytics events (JSON lines) as the kit's ``usage_events`` table.

Segment (and tools that speak its spec: RudderStack, Jitsu, June) deliver each
call as one JSON object; an archive or warehouse export holds one per line.
The Spec's *track* call records what a user did::

    {"type": "track", "event": "Report Created", "userId": "u_19",
     "timestamp": "2026-10-01T09:14:05.120Z", "messageId": "ajs-5f2...",
     "properties": {"format": "pdf"}, "context": {"groupId": "acct_001"}}

and its *group* call ties a user to an account (``{"type": "group",
"userId": "u_19", "groupId": "acct_001"}``). B2B set-ups either put the account
on every event (``context.groupId`` is Segment's convention, a property such as
``properties.account_id`` is common) or send group calls once.

Column mapping (also in ``data/README.md``, "Importers")
--------------------------------------------------------
==================  ==========================================================
contract column     Segment field
==================  ==========================================================
``customer_id``     ``account_field`` (a dotted path, default
                    ``context.groupId``); when an event lacks it, the
                    ``groupId`` of the user's latest *group* call in the file
``user_id``         ``userId``, else ``anonymousId``
``timestamp``       ``timestamp`` (else ``originalTimestamp``, else
                    ``receivedAt``), ISO 8601, converted to UTC
``event``           ``event`` for track calls; ``"page: <name>"`` /
                    ``"screen: <name>"`` for page and screen calls when
                    ``types`` includes them
``message_id``      ``messageId`` (an extra column)
==================  ==========================================================

Segment delivers at least once: events repeating a ``messageId`` are kept
once, with a warning giving their number. Calls of other types
(``identify``, ``alias``, and page/screen unless asked for) are not usage and
are skipped. An event whose account cannot be found is an error naming its
line (``unattributed="drop"`` leaves such events out, with a warning
giving their number). A line that is not JSON, or an event without a user or
a readable time, is an error naming the file and line.
"""
from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import pandas as pd

from ..exceptions import DataValidationError, DataValidationWarning

USAGE_TYPES = ("track", "page", "screen")
_SHOWN = 5


def _field(record: dict, path: str):
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    if value is None or value == "":
        return None
    return str(value) if not isinstance(value, str) else value


def _lines(path: Path, encoding: str):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def _refuse(file: str, column: str, rule: str, lines: list, values: list, detail: str = "") -> None:
    rows = pd.DataFrame({column: values[:_SHOWN]}, index=pd.Index(lines[:_SHOWN], name="line"))
    raise DataValidationError(file, column, rule, rows=rows,
                              detail=f"{len(lines)} line(s)" + (f"; {detail}" if detail else ""))


def read_segment_events(path, *, account_field: str = "context.groupId", types=("track",),
                        unattributed: str = "error", encoding: str = "utf-8") -> pd.DataFrame:
    """Segment track events (one JSON object per line) as the contract's ``usage_events`` table.

    Mapping: module docstring. Times with an offset (``Z``, ``+02:00``) are
    converted to UTC and stored without a zone, as the contract says.

    Parameters
    ----------
    path : str or Path
        A ``.jsonl`` / ``.json`` file of JSON lines (``.gz`` is read compressed).
    account_field : str
        Dotted path to the account id in each event: ``"context.groupId"``
        (Segment's), ``"properties.account_id"``, ``"groupId"``...
    types : sequence of str
        Call types that are usage: ``track`` (default), ``page``, ``screen``.
    unattributed : {"error", "drop"}
        What to do with events whose account cannot be found.
    encoding : str

    Returns
    -------
    DataFrame
        ``customer_id, user_id, timestamp, event, message_id`` in file order.
        Load it with the customers it refers to, ``csm_kit.load_dataset({"customers": ...,
        "usage_events": events})``, to validate.

    Raises
    ------
    DataValidationError
        Naming the file, the field and the lines.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> _ = f.write_text('{"type":"group","userId":"u1","groupId":"acct_1"}\\n'
    ...                  '{"type":"track","event":"Report Created","userId":"u1","timestamp":"2026-10-01T09:14:05Z"}\\n')
    >>> read_segment_events(f)
      customer_id user_id           timestamp           event message_id
    0      acct_1      u1 2026-10-01 09:14:05  Report Created       None
    """
    path = Path(path)
    file = path.name
    unknown = [t for t in types if t not in USAGE_TYPES]
    if unknown:
        raise ValueError(f"read_segment_events: types must be among {USAGE_TYPES}, not {unknown}.")
    if unattributed not in ("error", "drop"):
        raise ValueError(f"read_segment_events: unattributed is 'error' or 'drop', not {unattributed!r}.")
    groups, groups_at = {}, {}
    kept = []
    bad_json, no_user, no_event = [], [], []
    for number, line in _lines(path, encoding):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad_json.append((number, f"{exc.msg} at column {exc.colno}"))
            continue
        if not isinstance(record, dict):
            bad_json.append((number, "not a JSON object"))
            continue
        kind = record.get("type")
        user = _field(record, "userId") or _field(record, "anonymousId")
        when = _field(record, "timestamp") or _field(record, "originalTimestamp") or _field(record, "receivedAt")
        if kind == "group":
            group = _field(record, "groupId")
            if user and group and (user not in groups_at or (when or "") >= groups_at[user]):
                groups[user], groups_at[user] = group, when or ""
            continue
        if kind not in types:
            continue
        if not user:
            no_user.append((number, line.strip()[:60]))
            continue
        if kind == "track":
            event = _field(record, "event")
        else:
            event = f"{kind}: {_field(record, 'name') or '(no name)'}"
        if not event:
            no_event.append((number, line.strip()[:60]))
            continue
        kept.append((number, _field(record, account_field), user, when, event, _field(record, "messageId")))
    for problems, column, rule in ((bad_json, "json", "line is not a JSON object"),
                                   (no_user, "userId", "event has no userId or anonymousId"),
                                   (no_event, "event", "track call without an event name")):
        if problems:
            _refuse(file, column, rule, [p[0] for p in problems], [p[1] for p in problems])
    frame = pd.DataFrame(kept, columns=["line", "customer_id", "user_id", "when", "event", "message_id"])
    missing = frame["customer_id"].isna()
    frame.loc[missing, "customer_id"] = frame.loc[missing, "user_id"].map(groups)
    orphan = frame["customer_id"].isna()
    if orphan.any():
        if unattributed == "error":
            _refuse(file, account_field, "event without an account", frame.loc[orphan, "line"].tolist(),
                    frame.loc[orphan, "user_id"].tolist(),
                    f"neither {account_field} nor a group call of its user; pass account_field= or "
                    "unattributed='drop'")
        warnings.warn(f"{file}: {int(orphan.sum())} event(s) without an account left out "
                      f"(unattributed='drop')", DataValidationWarning, stacklevel=2)
        frame = frame[~orphan]
    times = pd.to_datetime(frame["when"], format="ISO8601", errors="coerce", utc=True)
    bad_time = times.isna()
    if bad_time.any():
        _refuse(file, "timestamp", "not an ISO 8601 time", frame.loc[bad_time, "line"].tolist(),
                frame.loc[bad_time, "when"].tolist())
    frame = frame.assign(timestamp=times.dt.tz_localize(None).astype("datetime64[ns]"))
    repeated = frame["message_id"].notna() & frame["message_id"].duplicated()
    if repeated.any():
        warnings.warn(f"{file}: {int(repeated.sum())} event(s) repeat a messageId (delivered twice) and are "
                      "kept once", DataValidationWarning, stacklevel=2)
        frame = frame[~repeated]
    out = frame[["customer_id", "user_id", "timestamp", "event", "message_id"]].reset_index(drop=True)
    return out.astype({"customer_id": object, "user_id": object, "event": object, "message_id": object})
