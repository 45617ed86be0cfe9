"""Bundled data sets, each documented in its folder's README.

- :func:`load_sample`: ``data/sample``, a simulated SaaS company (2,000
  accounts, 2023-11 to 2026-10), made by ``csm-kit simulate``.
- :func:`load_cdnow`: ``data/cdnow``, the CDNOW sample of 2,357 music buyers
  (1997-01 to 1998-06) behind Fader, Hardie & Lee's BG/NBD paper (2005),
  as customers and transactions only.
"""
from __future__ import annotations

import warnings

from .config import CDNOW_DIR, SAMPLE_DIR
from .dataset import Dataset
from .exceptions import DataValidationWarning


def load_sample() -> Dataset:
    """The simulated sample data set (all nine tables).

    >>> load_sample().customers.shape[0]
    2000
    """
    from .io.loaders import load_dataset

    return load_dataset(SAMPLE_DIR)


def load_cdnow() -> Dataset:
    """The CDNOW sample: 2,357 customers and their 6,919 purchases (no subscriptions).

    Transactions carry two columns beyond the contract: ``quantity`` (CDs
    bought, as Int64) and ``master_id`` (the id in the full CDNOW file, text).

    >>> ds = load_cdnow()
    >>> len(ds.customers), len(ds.transactions), ds.subscriptions is None
    (2357, 6919, True)
    >>> int(ds.transactions["quantity"].sum()), round(float(ds.transactions["amount"].sum()), 2)
    (16479, 244091.94)
    """
    from .io.loaders import load_dataset

    ds = load_dataset(CDNOW_DIR)
    # The loader keeps columns outside the contract as text; CD counts are whole numbers.
    transactions = ds.transactions.assign(quantity=ds.transactions["quantity"].astype("Int64"))
    return ds.with_tables(transactions=transactions)


def report_data(data: str = "", *, segment: str = "all", tables=None, mapping=None) -> Dataset:
    """The data set a report notebook works on: ``data`` loaded (the sample when empty), restricted to ``segment``.

    Every report notebook starts with this line, so a notebook runs the same
    from JupyterLab, the papermill command line in any working directory, and
    ``csm-kit report`` (which passes ``data`` as an absolute path or URL).

    Parameters
    ----------
    data : str
        A data source :func:`csm_kit.load_dataset` reads; ``""`` means the
        bundled sample (``data/sample``), wherever the notebook runs from.
    segment : str
        One customer segment, or ``"all"``.
    tables : list of str, optional
        Only these tables (see :func:`csm_kit.load_dataset`).
    mapping : str, Path or dict, optional
        A mapping file for data with its own file and column names (see
        ``data/README.md``, "Mapping files"); ``""`` or None: none.

    Soft validation problems are kept on ``Dataset.warnings`` (the overview
    page and the index list them) rather than emitted as Python warnings.

    >>> report_data(segment="enterprise").customers["segment"].unique().tolist()
    ['enterprise']
    """
    from .io.loaders import load_dataset

    source = data if data else SAMPLE_DIR
    # Soft problems stay on ds.warnings, which the overview page and the index list once, written for a
    # reader; emitted as Python warnings they would print as stderr noise on every page.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataValidationWarning)
        ds = load_dataset(source, tables=tables, mapping=mapping or None)
    return ds.for_segment(segment)
