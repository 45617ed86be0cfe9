"""``csm-kit kpis``: the monthly KPI table as a file, for schedulers and BI tools.

With the DuckDB engine, the data is checked by queries
(:func:`csm_kit.engine.validation.validated_tables`: the same rules and
messages as :func:`csm_kit.load_dataset`, without pandas frames of the
tables) and the KPI queries read its typed views; the months asked are
checked against the data's coverage as :func:`~csm_kit.engine.kpi_tables`
checks a Dataset's. With Spark, the data is loaded by ``load_dataset`` and
handed to the Spark session as today.
"""
from __future__ import annotations

import inspect
import sys
import time
from pathlib import Path

import pandas as pd

from .kpis import ADOPTION_COLUMNS, MONTHLY_COLUMNS, kpi_tables

FORMATS = {".csv": "csv", ".parquet": "parquet"}
#: The tables ``csm-kit kpis`` reads (customers for the references of the other two).
KPI_TABLES = ["customers", "subscriptions", "usage_events"]


def adoption_path(out: str | Path) -> Path:
    """Where the adoption table goes: ``<stem>_adoption<ext>`` beside ``out``.

    >>> adoption_path("exports/kpis.csv").as_posix()
    'exports/kpis_adoption.csv'
    """
    out = Path(out)
    return out.with_name(f"{out.stem}_adoption{out.suffix}")


def _format(out: Path) -> str:
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ValueError(f"--out {out}: the file name must end in .csv or .parquet (the format follows it).")
    return fmt


def _spark_backend():
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ValueError("--engine spark needs PySpark: pip install 'csm-kit[spark]' (and Java 17).") from exc
    from .backends import SparkBackend

    spark = SparkSession.builder.appName("csm-kit kpis").getOrCreate()  # spark-submit's master, or local
    return SparkBackend(spark)


def _write(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    frame = frame.assign(month=frame["month"].astype(str))
    if fmt == "csv":
        from ..display import csv_safe

        csv_safe(frame).to_csv(path, index=False, lineterminator="\n")
    else:
        frame.to_parquet(path, index=False)


def write_kpis(data, *, start, end, out, engine: str = "duckdb", mapping=None, progress: bool = True,
               log=None) -> tuple[Path, Path]:
    """Validate ``data`` as :func:`csm_kit.load_dataset` does, compute :func:`kpi_tables`, write two files.

    DuckDB engine: a folder of CSV/Parquet files or a DuckDB file is checked
    by queries (:func:`~csm_kit.engine.validation.validated_tables`), and
    the KPI queries read the checked tables in place; a mapping, a dict of
    frames or an SQLAlchemy URL is loaded by ``load_dataset``. Spark engine:
    ``load_dataset``, then the frames go to the Spark session.

    ``out`` gets one row per month (columns
    :data:`~csm_kit.engine.MONTHLY_COLUMNS`), ``<stem>_adoption<ext>`` one
    row per month and feature (:data:`~csm_kit.engine.ADOPTION_COLUMNS`).
    CSV or Parquet by the extension; CSV cells pass
    :func:`csm_kit.display.csv_safe` (a feature named ``=cmd()`` cannot
    become a spreadsheet formula), months are written ``YYYY-MM``.

    Parameters
    ----------
    data : str, Path or dict
        Anything :func:`csm_kit.load_dataset` reads.
    start, end : str
        First and last month, ``YYYY-MM``.
    out : str or Path
        The monthly file, ``.csv`` or ``.parquet``.
    engine : {"duckdb", "spark"}
        Where the KPI queries run (Spark: the session ``spark-submit``
        configures, or a local one).
    mapping : str or Path, optional
        A mapping file, passed to :func:`csm_kit.load_dataset`.
    progress : bool
        Progress bar and timings on ``log`` (stderr).

    Returns
    -------
    (Path, Path)
        The two files written.
    """
    from .. import load_dataset

    log = sys.stderr if log is None else log
    out = Path(out)
    fmt = _format(out)
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"--engine must be duckdb or spark, not {engine!r}.")
    kwargs = {}
    if mapping is not None:
        if "mapping" not in inspect.signature(load_dataset).parameters:
            raise ValueError("--mapping: this version of load_dataset reads no mapping files.")
        kwargs["mapping"] = mapping
    t0 = time.perf_counter()
    if progress:
        print(f"csm-kit kpis: reading and validating {data} ...", file=log, flush=True)
    available = None if mapping is not None else _available_tables(data)  # a mapping names its own files
    if engine == "spark":
        ds = load_dataset(data, tables=available, **kwargs)
        t1 = time.perf_counter()
        result = kpi_tables(ds, start=start, end=end, backend=_spark_backend(), progress=progress)
    else:
        from ..metrics.coverage import check_months
        from .backends import DuckDBBackend
        from .validation import validated_tables

        backend = DuckDBBackend()  # the engine's policy for big inputs (memory limit, a spill folder it removes)
        checked = validated_tables(data, tables=available, con=backend.con, **kwargs)
        t1 = time.perf_counter()
        if progress:
            by_pandas = f" ({', '.join(checked.by_pandas)} by load_dataset)" if checked.by_pandas else ""
            print(f"csm-kit kpis: {sum(checked.rows.values()):,} rows checked in {t1 - t0:.1f} s{by_pandas}",
                  file=log, flush=True)
        check_months(checked.coverage_dataset(), start, end, fn="kpi_tables", tables=["subscriptions"])
        inputs = {name: checked.views[name] for name in ("subscriptions", "usage_events") if name in checked.views}
        result = kpi_tables(inputs, start=start, end=end, backend=backend, progress=progress)
        backend.close()
    t2 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    second = adoption_path(out)
    _write(result.monthly[MONTHLY_COLUMNS], out, fmt)
    _write(result.adoption[ADOPTION_COLUMNS], second, fmt)
    if progress:
        print(f"csm-kit kpis: load and validation {t1 - t0:.1f} s, KPIs ({result.engine}) {t2 - t1:.1f} s",
              file=log, flush=True)
    return out, second


def _available_tables(data) -> list[str] | None:
    """The KPI tables the source has (load_dataset refuses a named table it cannot find)."""
    if isinstance(data, dict):
        return [t for t in KPI_TABLES if t in data]
    path = Path(str(data))
    if path.is_dir():
        return [t for t in KPI_TABLES if (path / f"{t}.csv").exists() or (path / f"{t}.parquet").exists()] or None
    return KPI_TABLES
