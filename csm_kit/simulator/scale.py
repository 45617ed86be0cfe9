"""The simulator at scale: accounts drawn in blocks, and a writer that streams blocks to Parquet.

A company is simulated in blocks of :data:`BLOCK_CUSTOMERS` accounts. Block
``b`` draws its accounts with its own generator, ``numpy.random.default_rng(seed)``
for block 0 and ``default_rng([seed, b])`` after it, and numbers them on from
the blocks before it (customers ``C0100001``... for block 1; subscription,
ticket, survey, send and purchase ids likewise), so:

- a company of up to :data:`BLOCK_CUSTOMERS` accounts is one block: exactly
  what :func:`~csm_kit.simulator.simulate` always gave (the sample data and
  the tests' data sets are unchanged);
- a bigger one is the blocks side by side, and :func:`write_parquet` writes the
  same data block by block without ever holding more than one block: 10M
  accounts (about 560M usage rows) in the memory of 100k.

Every block draws sign-ups over the whole window with the same growth, so
blocks are alike in distribution and the company's shape does not depend on
the block size (only which random numbers each account gets does).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import TABLES

#: Accounts per block (the unit of memory of a simulation).
BLOCK_CUSTOMERS = 100_000

# Identifier prefixes numbered on from block to block, with the table whose rows each block counts.
_NUMBERED = {"S": "subscriptions", "P": "transactions", "T": "tickets", "E": "survey_sends", "R": "surveys"}


def blocks(n_customers: int, seed: int):
    """``(block, first_customer, size, rng)`` for each block of a company of ``n_customers``.

    >>> [(b, first, size) for b, first, size, _ in blocks(250_000, seed=1)]
    [(0, 1, 100000), (1, 100001, 100000), (2, 200001, 50000)]
    """
    size = BLOCK_CUSTOMERS
    for b, first in enumerate(range(0, n_customers, size)):
        rng = np.random.default_rng(seed if b == 0 else [seed, b])
        yield b, first + 1, min(size, n_customers - first), rng


def _last_number(ids: pd.Series, before: int) -> int:
    """The largest number of the ``ids`` (``"E00001234"`` -> 1234), or ``before`` if there are none.

    Not its row count: a block numbers its survey sends before dropping those
    sent after the window ends, so the next block must start after the
    numbers given, or its first ids repeat ones this block kept.

    >>> _last_number(pd.Series(["E00000007", "E00000012", "E00000009"]), 6)
    12
    """
    if ids.empty:
        return before
    return int(pd.to_numeric(ids.str[1:]).max())


def _each_block(n_customers, start, months, seed, usage_intensity):
    from . import simulate_block
    from .calendar import Calendar

    cal = Calendar.of(start, months)
    offsets = dict.fromkeys(_NUMBERED, 0)
    for b, first, size, rng in blocks(n_customers, seed):
        tables = simulate_block(rng, cal, size, usage_intensity, first_customer=first,
                                first_ids={prefix: offsets[prefix] + 1 for prefix in _NUMBERED})
        for prefix, name in _NUMBERED.items():  # the next block numbers on from this one's last id
            offsets[prefix] = _last_number(tables[name][TABLES[name].key[0]], offsets[prefix])
        if b:
            tables.pop("milestones")  # the plan is the same in every block
        yield b, tables


def simulate_blocks(n_customers: int, start, months: int, seed: int, usage_intensity: float) -> dict:
    """Every table (and ``truth``) of the company, blocks concatenated: what :func:`simulate` returns.

    The result is ``pd.concat(<the blocks' frames>, ignore_index=True)`` table by
    table, built in less memory: each block's frames are taken apart into one
    array per column as the block comes (copied only where a column is a view
    into a 2-D block, so that no block frame outlives its block), and each column
    is concatenated in turn, its pieces freed as soon as it is made: pieces and
    result are never alive together for more than one column. The frames are
    assembled from those arrays without a copy (``copy=False``: one array per
    column, not consolidated into 2-D blocks). A company of one block is that
    block's frames as they are.
    """
    each = _each_block(n_customers, start, months, seed, usage_intensity)
    if n_customers <= BLOCK_CUSTOMERS:
        return next(each)[1]
    columns: dict[str, dict[str, list]] = {}
    for _, tables in each:
        for name in list(tables):
            df = tables.pop(name)
            pieces = columns.setdefault(name, {column: [] for column in df.columns})
            if list(pieces) != list(df.columns):
                raise AssertionError(f"block columns differ for {name}: {list(df.columns)} vs {list(pieces)}")
            for column in df.columns:
                pieces[column].append(_own_column(df[column]))
            del df
    out = {}
    for name in list(columns):
        pieces = columns.pop(name)
        out[name] = pd.DataFrame({column: _concat_column(pieces.pop(column)) for column in list(pieces)},
                                 copy=False)
    return out


def _own_column(s: pd.Series):
    """A column's values, in an array of their own (copied only if they are a view into a 2-D block)."""
    if isinstance(s.dtype, np.dtype):
        values = s.to_numpy()
        whole = values
        while isinstance(whole.base, np.ndarray):
            whole = whole.base
        return values if whole.nbytes == values.nbytes else values.copy()
    return s.array


def _concat_column(pieces: list):
    """The pieces of one column end to end, as ``pd.concat`` of the blocks' frames gives them."""
    first = pieces[0]
    if isinstance(first, np.ndarray) and all(isinstance(p, np.ndarray) and p.dtype == first.dtype for p in pieces):
        values = np.concatenate(pieces)
    else:
        values = pd.concat([pd.Series(p, copy=False) for p in pieces], ignore_index=True).array
    pieces.clear()
    return values


def _arrow(df: pd.DataFrame, schema=None):
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    if schema is None:  # the first block fixes the types: text for all-empty columns, timestamps in us
        fields = []
        for field in table.schema:
            kind = field.type
            if pa.types.is_null(kind):
                kind = pa.string()
            elif pa.types.is_timestamp(kind):
                kind = pa.timestamp("us")  # Spark and most engines read micro-, not nanoseconds
            fields.append(pa.field(field.name, kind))
        schema = pa.schema(fields)
    return table.cast(schema), schema


def write_parquet(out, *, n_customers: int, start="2023-11", months: int = 36, seed: int = 0,
                  usage_intensity: float = 5.0, truth=None, progress: bool = False) -> Path:
    """Simulate a company block by block straight into ``out/<table>.parquet``.

    The data are those of :func:`~csm_kit.simulator.simulate` with the same
    arguments (loading the folder gives the same tables), written without
    holding more than one block of :data:`BLOCK_CUSTOMERS` accounts in memory:
    one Parquet row group per block and table (zstd; timestamps in
    microseconds, which Spark reads).

    Parameters
    ----------
    out : str or Path
        Folder to write (created; existing files of the same names are replaced).
    n_customers, start, months, seed, usage_intensity
        As :func:`~csm_kit.simulator.simulate`.
    truth : str or Path, optional
        Also write the hidden traits (``Dataset.truth``) to this CSV file; it
        must not be inside ``out``.
    progress : bool
        A progress bar on stderr (tqdm), one step per block.

    Returns
    -------
    Path
        ``out``.

    Examples
    --------
    >>> import tempfile, csm_kit
    >>> folder = write_parquet(tempfile.mkdtemp(), n_customers=30, start="2026-01", months=3, seed=2)
    >>> ds = csm_kit.load_dataset(folder, tables=["customers", "subscriptions"])
    >>> ds.customers["customer_id"].tolist() == csm_kit.simulate(30, "2026-01", 3, seed=2).customers["customer_id"].tolist()
    True
    """
    import pyarrow.parquet as pq
    from tqdm.auto import tqdm

    from ..display import csv_safe
    from ..dataset import Dataset

    if n_customers < 1 or months < 1:
        raise ValueError(f"n_customers and months must be at least 1, not {n_customers!r} and {months!r}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truth = Path(truth) if truth is not None else None
    if truth is not None and out.resolve() in truth.resolve().parents:
        raise ValueError(f"truth {truth} is inside the data folder {out}: the truth must not travel with the data.")
    writers: dict = {}
    n_blocks = -(-n_customers // BLOCK_CUSTOMERS)
    bar = tqdm(total=n_blocks, desc="simulating", unit="block", disable=not progress, file=sys.stderr)
    try:
        for b, tables in _each_block(n_customers, start, months, seed, usage_intensity):
            hidden = tables.pop("truth")
            for name, df in Dataset(**tables):  # the contract's tables, in the contract's order
                if name not in writers:
                    table, schema = _arrow(df)
                    writers[name] = pq.ParquetWriter(out / f"{name}.parquet", schema, compression="zstd")
                else:
                    table, _ = _arrow(df, writers[name].schema)
                writers[name].write_table(table)
            if truth is not None:
                csv_safe(hidden).to_csv(truth, mode="w" if b == 0 else "a", header=b == 0, index=False,
                                        lineterminator="\n")
            del tables, hidden
            bar.update(1)
    finally:
        for writer in writers.values():
            writer.close()
        bar.close()
    return out
